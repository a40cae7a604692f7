"""Who is in the cohort and how common each finding is.

:mod:`~hemstats.stats.descriptive.table1` (Table 1), :mod:`~hemstats.stats.descriptive.prevalence`
(prevalence and its comparison across groups), :mod:`~hemstats.stats.descriptive.cooccurrence`
(pairs and combinations of findings) and :mod:`~hemstats.stats.descriptive.volumes` (lesion
volumes).  Each takes a :class:`~hemstats.Cohort` or its canonical table and returns a long
result table (:mod:`hemstats.stats._core.columns`); the public face is :mod:`hemstats.stats`.
"""
