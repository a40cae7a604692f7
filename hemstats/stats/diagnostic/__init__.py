"""Model performance: discrimination (auc), operating points, curves, calibration, segmentation.

Every statistic takes a Cohort or the canonical ``predictions`` table first (``labels=``,
``studies=`` keyword-only); :mod:`~hemstats.stats.diagnostic.arrays` turns plain arrays
(``y`` first) into a Cohort.  The public face is :mod:`hemstats.stats`.
"""
