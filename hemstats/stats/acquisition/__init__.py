"""How images were acquired, and whether it matters.

:mod:`~hemstats.stats.acquisition.mix` describes the scanner, kernel and slice-thickness mix and
tests whether labels depend on it (``acquisition_mix``, ``acquisition_distribution``,
``acquisition_effects``); :mod:`~hemstats.stats.acquisition.heterogeneity` asks whether a
model's performance differs across acquisition strata: the per-stratum rows are the diagnostic
family's ``auc(by=...)`` and ``threshold_metrics(by=...)``, the across-strata tests (clustered
DeLong, GEE Wald) come from :mod:`~hemstats.stats.acquisition.clustered`.
"""
