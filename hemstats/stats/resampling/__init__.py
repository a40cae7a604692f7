"""The one resampling engine of :mod:`hemstats.stats`.

- :mod:`~hemstats.stats.resampling.engine`: the design (stratified, clustered, paired), the
  resample indices, :func:`~hemstats.stats.resampling.engine.bootstrap_distribution` and the
  public :func:`~hemstats.stats.resampling.engine.bootstrap_ci` (``y`` first);
- :mod:`~hemstats.stats.resampling.distribution`: the replicates and their percentile, basic
  and BCa intervals (as :func:`scipy.stats.bootstrap`);
- :mod:`~hemstats.stats.resampling.statistics`: the statistics vectorised over resamples
  (AUC, average precision, and the :class:`~hemstats.stats.resampling.statistics.CodedStatistic`
  base the families build on).

Its options are checked in :mod:`hemstats.stats._core.options`.
"""
