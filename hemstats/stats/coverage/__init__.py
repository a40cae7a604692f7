"""Monte Carlo coverage of every interval hemstats reports, one module per family.

``proportion`` (binomial and clustered prevalence intervals), ``agreement`` (kappa, AC1 and
PABAK intervals, independent and clustered), ``diagnostic`` (AUC and operating-point
intervals) and ``heterogeneity`` (type I error of the across-strata tests).  Each function is
seeded through ``rng`` and returns a long result table whose ``estimate`` is the simulated
coverage (or rejection rate) with a Monte Carlo interval.
"""
