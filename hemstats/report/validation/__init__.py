"""Validation of hemstats' estimators: precomputed CI coverage tables and the list of reference checks.

The Methods and validation chapter of the report shows how often each confidence
interval hemstats offers covers the truth.  Those Monte Carlo tables take minutes, so
they are not computed while the report builds: :func:`regenerate` computes them once,
seeded, and writes them as CSV (plus ``metadata.json``: seed, parameters, hemstats
version, run time) into ``hemstats/report/validation/``, where they ship as package
data; the chapter reads them with :func:`coverage_table` and :func:`coverage_metadata`.

Regenerate them (about 2 minutes on two cores) from the repository root with::

    python -m hemstats.report.validation            # rewrites hemstats/report/validation/
    python -m hemstats.report.validation OUT_DIR    # or anywhere else

:func:`reference_checks` lists, for each estimator, the independent implementation its
tests compare it to (an R call, statsmodels, tableone, ...), the tolerance and where the
script and the test live.

The package: :mod:`~hemstats.report.validation.specs` (which tables, with which
arguments), :mod:`~hemstats.report.validation.coverage` (compute, write and read them),
:mod:`~hemstats.report.validation.references` (the reference checks) and ``__main__``
(the command line); the CSVs and ``metadata.json`` sit beside them.

Examples
--------
>>> sorted(SPECS) == sorted(COVERAGE_TABLES)
True
>>> table = coverage_table("proportion_coverage")
>>> table.columns[:3].tolist()
['method', 'n', 'prevalence']
>>> int(coverage_metadata().set_index("table").loc["proportion_coverage", "seed"]) == SEED
True
"""

from hemstats.report.validation.coverage import compute, coverage_metadata, coverage_table, first_cell, regenerate
from hemstats.report.validation.references import REFERENCE_CHECKS, reference_checks
from hemstats.report.validation.specs import COVERAGE_TABLES, DATA_DIR, SEED, SPECS, CoverageSpec, stream_seed

__all__ = [
    "SEED",
    "DATA_DIR",
    "COVERAGE_TABLES",
    "SPECS",
    "CoverageSpec",
    "compute",
    "regenerate",
    "coverage_table",
    "coverage_metadata",
    "first_cell",
    "stream_seed",
    "reference_checks",
    "REFERENCE_CHECKS",
]
