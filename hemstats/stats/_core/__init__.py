"""What every statistic shares: the glossary as types (``types``), option checks (``options``),
the result columns (``columns``), the one input resolver (``resolve``), binomial intervals
(``intervals``) and the cluster sandwich variance (``cluster``).  Private to
:mod:`hemstats.stats`: users import from ``hemstats.stats``."""
