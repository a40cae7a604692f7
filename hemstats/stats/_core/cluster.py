"""A proportion whose units come in clusters (slices in patients, studies in patients).

:func:`clustered_proportion` is the kernel behind the slice-level (and repeated-study)
intervals of :func:`~hemstats.stats.descriptive.prevalence.prevalence`;
:func:`~hemstats.stats.coverage.proportion.clustered_proportion_coverage` measures the
coverage of its intervals under within-patient correlation.

The estimator is the ratio ``sum(positives) / sum(units)`` over clusters (the
proportion of all units).  Its variance is the cluster sandwich (Taylor linearisation,
"with replacement" first-stage) variance of a ratio, exactly as R ``survey`` computes it
for ``svydesign(ids = ~patient)``::

    V = k / (k - 1) * sum_i (x_i - p m_i)^2 / (sum_i m_i)^2

with ``x_i`` the positives and ``m_i`` the units of cluster ``i`` and ``k`` clusters.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeAlias, get_args

import numpy as np
from scipy import special as _sp
from scipy import stats as _st

from hemstats.errors import InputError
from hemstats.stats._core.intervals import check_confidence_level, proportion_ci
from hemstats.stats._core.options import MIN_CLUSTERS, check_bootstrap_method, check_n_resamples
from hemstats.stats._core.types import BootstrapMethod, Seed

__all__ = [
    "ClusterInterval",
    "CLUSTER_INTERVALS",
    "ClusteredProportion",
    "check_cluster_interval",
    "cluster_method_code",
    "cluster_total_variance",
    "clustered_proportion",
]

#: Cluster-robust intervals of a proportion.
ClusterInterval: TypeAlias = Literal["logit", "wald", "bootstrap"]
#: The cluster-robust interval families, in the order tables show them.
CLUSTER_INTERVALS: tuple[str, ...] = get_args(ClusterInterval)


@dataclass(frozen=True)
class ClusteredProportion:
    """One clustered proportion: estimate, interval, design effect and why anything is NaN."""

    estimate: float
    ci_low: float
    ci_high: float
    design_effect: float
    n_clusters: int
    method: str
    reason: str


def check_cluster_interval(interval: object, name: str = "cluster_interval") -> str:
    """``interval`` if it is one of :data:`CLUSTER_INTERVALS`, else :class:`InputError` naming ``name``."""
    if not isinstance(interval, str) or interval not in CLUSTER_INTERVALS:
        raise InputError(f"{name} must be one of {list(CLUSTER_INTERVALS)}, got {interval!r}")
    return interval


def cluster_method_code(interval: str, bootstrap_method: str = "percentile") -> str:
    """``cluster-logit``, ``cluster-wald`` or ``cluster-bootstrap-<bootstrap_method>``."""
    return f"cluster-bootstrap-{bootstrap_method}" if interval == "bootstrap" else f"cluster-{interval}"


def _checked_counts(positives: object, sizes: object) -> tuple[np.ndarray, np.ndarray]:
    try:
        x = np.asarray(positives, dtype=float)
        m = np.asarray(sizes, dtype=float)
    except (TypeError, ValueError) as exc:
        raise InputError(f"positives and sizes must be numbers per cluster ({exc})") from None
    if x.ndim != 1 or x.shape != m.shape:
        raise InputError(f"positives and sizes must be 1-d and of one length, got shapes {x.shape} and {m.shape}")
    bad = ~np.isfinite(x) | ~np.isfinite(m) | (x < 0) | (x > m) | (m < 1) | (x != np.round(x)) | (m != np.round(m))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"expected whole counts with 0 <= positives <= sizes and sizes >= 1 per cluster; {int(bad.sum())} "
            f"bad cluster(s), first: cluster {i} (positives={float(x[i])!r}, sizes={float(m[i])!r})"
        )
    return x, m


def cluster_total_variance(totals: np.ndarray, n: float) -> float:
    """Cluster-robust (sandwich) variance of a mean from its clusters' totals of influence values.

    ``G / (G - 1) * sum_g T_g^2 / n^2`` with ``T_g`` the sum of the influence values of cluster
    ``g`` and ``n`` the number of units: the one-stage, with-replacement variance of
    ``survey::svydesign(ids = ~cluster)`` (no fpc).  For a proportion ``p = sum x / sum m``,
    ``T_g = x_g - p m_g``.  NaN with fewer than two clusters.

    Examples
    --------
    >>> cluster_total_variance(np.array([1.0, -1.0]), 4)
    0.25
    """
    g = len(totals)
    if g < 2:
        return float("nan")
    return float(g / (g - 1) * np.sum(np.square(totals)) / float(n) ** 2)


def clustered_proportion(
    positives: np.ndarray,
    sizes: np.ndarray,
    *,
    interval: ClusterInterval = "logit",
    confidence_level: float = 0.95,
    n_resamples: int = 2000,
    rng: Seed = None,
    bootstrap_method: BootstrapMethod = "percentile",
) -> ClusteredProportion:
    """Proportion of units that are positive, with a cluster-robust interval.

    Parameters
    ----------
    positives, sizes : array of int
        Per cluster (patient): positive units and labelled units (``sizes >= 1``).
    interval : {"logit", "wald", "bootstrap"}
        ``logit`` (default): ``expit(logit(p) +- t * SE / (p (1 - p)))`` with ``t`` the
        Student quantile on ``k - 1`` degrees of freedom, R
        ``survey::svyciprop(method = "logit")``; it stays inside (0, 1) and is not
        symmetric, which matters at the low prevalences of ICH subtypes.  ``wald``:
        ``p +- t * SE`` clipped to [0, 1] (``svyciprop(method = "mean")``).
        ``bootstrap``: ``bootstrap_method`` interval of the ratio over ``n_resamples``
        resamples of whole clusters (drawn by
        :func:`hemstats.stats.resampling.engine.resample_indices`; BCa's acceleration from
        the leave-one-cluster-out jackknife).
    confidence_level : float
        Nominal level.
    n_resamples : int
        Cluster-bootstrap resamples, an integer in [2, 10,000,000] (bootstrap only).
    rng : None, int or numpy.random.Generator
        Seed of the cluster bootstrap.
    bootstrap_method : {"percentile", "basic", "bca"}
        How the cluster-bootstrap interval is read off the replicates (bootstrap only,
        always checked).

    Returns
    -------
    ClusteredProportion
        ``design_effect`` is the sandwich variance over the binomial variance of the same
        number of independent units, ``p (1 - p) / (n - 1)`` (R ``svymean(...,
        deff = "replace")``); NaN when ``p`` is 0 or 1.  ``reason`` is empty, or says why
        the interval is NaN (fewer than 2 clusters) or less reliable (fewer than 10).

    Notes
    -----
    When ``p`` is 0 or 1 the sandwich variance is 0 and the logit is infinite: the
    interval is then Clopper-Pearson on ``k`` independent units (one per cluster), the
    worst case of a design effect equal to the mean cluster size, and ``reason`` says
    so.  Validated against R ``survey`` 4.1 (tests/reference/prevalence_cluster.R).

    Examples
    --------
    >>> r = clustered_proportion(np.array([0, 3, 1, 5]), np.array([4, 5, 2, 8]))
    >>> round(r.estimate, 4), r.n_clusters, r.method, r.reason.startswith("only 4 clusters")
    (0.4737, 4, 'cluster-logit', True)
    """
    level = check_confidence_level(confidence_level)
    interval = check_cluster_interval(interval, "interval")  # type: ignore[assignment]
    bootstrap_method = check_bootstrap_method(bootstrap_method)  # type: ignore[assignment]
    x, m = _checked_counts(positives, sizes)
    k = len(x)
    code = cluster_method_code(interval, bootstrap_method)
    n = float(m.sum())
    p = float(x.sum() / n) if n else float("nan")
    if k < 2:
        why = f"only {k} cluster{'s' * (k != 1)} (patient): a cluster-robust interval needs at least 2"
        return ClusteredProportion(p, np.nan, np.nan, np.nan, k, code, why)
    var = cluster_total_variance(x - p * m, np.sum(m))
    deff = var / (p * (1 - p) / (n - 1)) if 0 < p < 1 and n > 1 else np.nan
    reason = ""
    if k < MIN_CLUSTERS:
        reason = f"only {k} clusters (fewer than {MIN_CLUSTERS}): the cluster-robust interval is unreliable"
    alpha = 1.0 - level
    low: float
    high: float
    if p in (0.0, 1.0):
        lows, highs = proportion_ci(round(p * k), k, interval="clopper-pearson", confidence_level=level)
        low, high = float(lows), float(highs)
        edge = f"estimate is {p:g}: Clopper-Pearson on the {k} clusters as independent units"
        reason = f"{reason}; {edge}" if reason else edge
    elif interval == "bootstrap":
        from hemstats.stats.resampling.engine import interval_from_distribution, resample_indices

        n_res = check_n_resamples(n_resamples)
        reps = [
            x[idx].sum(axis=1) / m[idx].sum(axis=1)
            for idx in resample_indices(np.zeros(k, dtype=int), stratify=False, n_resamples=n_res, rng=rng)
        ]
        jackknife = (x.sum() - x) / (m.sum() - m) if bootstrap_method == "bca" else None
        low, high = interval_from_distribution(p, np.concatenate(reps), bootstrap_method=bootstrap_method,
                                               confidence_level=level, jackknife=jackknife)  # fmt: skip
    else:
        t = float(_st.t.ppf(1.0 - alpha / 2.0, k - 1))
        se = np.sqrt(var)
        if interval == "logit":
            half = t * se / (p * (1.0 - p))
            low, high = float(_sp.expit(_sp.logit(p) - half)), float(_sp.expit(_sp.logit(p) + half))
        else:
            low, high = max(0.0, p - t * se), min(1.0, p + t * se)
    return ClusteredProportion(p, low, high, float(deff), k, code, reason)
