"""The small demo report the report tests build: every chapter runs, in a fraction of the default build's time."""

N_STUDIES = 300
MANIFEST = f"""version: 1
report:
  title: "hemstats demo report"
  n_resamples: 200
datasets:
  - name: demo
    adapter: demo
    options: {{n_studies: {N_STUDIES}, seed: 0}}
"""
