"""Monte Carlo coverage of the proportion intervals: binomial (:func:`proportion_coverage`) and clustered
(:func:`clustered_proportion_coverage`).

The first checks the intervals of :func:`~hemstats.stats._core.intervals.proportion_ci` on
independent units, the second the cluster-robust intervals of
:func:`~hemstats.stats._core.cluster.clustered_proportion` on slices correlated within patients.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats as _st

from hemstats.errors import InputError
from hemstats.stats._core.cluster import ClusterInterval, check_cluster_interval, clustered_proportion
from hemstats.stats._core.intervals import (
    BINOMIAL_INTERVALS,
    BinomialInterval,
    check_confidence_level,
    check_interval,
    proportion_ci,
)
from hemstats.stats._core.types import CONFIDENCE_LEVEL, Seed

__all__ = ["proportion_coverage", "clustered_proportion_coverage", "PROPORTION_COVERAGE_COLUMNS",
           "CLUSTERED_COVERAGE_COLUMNS"]

#: The columns of :func:`proportion_coverage`, in order.
PROPORTION_COVERAGE_COLUMNS: tuple[str, ...] = (
    "method", "n", "prevalence", "coverage", "mc_se", "exact_coverage", "mean_width", "n_simulations",
    "confidence_level",
)  # fmt: skip
#: The columns of :func:`clustered_proportion_coverage`, in order.
CLUSTERED_COVERAGE_COLUMNS: tuple[str, ...] = (
    "icc", "method", "coverage", "mc_se", "mean_width", "mean_design_effect", "n_clusters", "cluster_size",
    "prevalence", "n_simulations", "confidence_level",
)  # fmt: skip


def _check_n_simulations(n_simulations: object) -> int:
    if isinstance(n_simulations, (bool, np.bool_)) or not isinstance(n_simulations, (int, np.integer)) or n_simulations < 1:
        raise InputError(f"n_simulations must be a positive whole number, got {n_simulations!r}")
    return int(n_simulations)


def proportion_coverage(
    *,
    intervals: Sequence[BinomialInterval] = BINOMIAL_INTERVALS,  # type: ignore[assignment]
    n: Sequence[int] = (30, 100, 500),
    prevalence: Sequence[float] = (0.02, 0.10, 0.40),
    confidence_level: float = CONFIDENCE_LEVEL,
    n_simulations: int = 20_000,
    rng: Seed = None,
) -> pd.DataFrame:
    """Coverage of each proportion CI: simulated, and exact by summing binomial probabilities.

    For each interval, sample size and true prevalence, ``n_simulations`` binomial
    counts are drawn and the share of intervals containing the true prevalence is
    the simulated coverage.  The exact coverage, ``sum_x P(X = x) 1[p in CI(x)]``,
    needs no simulation and checks it.

    Parameters
    ----------
    intervals : sequence of str
        Intervals of :func:`~hemstats.stats._core.intervals.proportion_ci` (``wilson``,
        ``clopper-pearson``, ``jeffreys``, ``agresti-coull``).
    n : sequence of int
        Sample sizes.
    prevalence : sequence of float
        True proportions, strictly between 0 and 1.
    confidence_level : float
        Nominal level of every interval.
    n_simulations : int
        Simulated data sets per cell.
    rng : None, int or numpy.random.Generator
        Seed or generator (one stream, cells drawn in table order).

    Returns
    -------
    pandas.DataFrame
        One row per interval x n x prevalence with columns ``method`` (the interval),
        ``n, prevalence, coverage`` (simulated), ``mc_se`` (its Monte Carlo standard error),
        ``exact_coverage``, ``mean_width`` (expected interval width, exact),
        ``n_simulations, confidence_level``.

    Notes
    -----
    Validated against R: ``exact_coverage`` and ``mean_width`` equal
    ``sum(dbinom(0:n, n, p) * covers)`` with the R intervals of ``proportion_ci``
    (tests/reference/prevalence.R); the seeded simulation agrees with them within 4
    Monte Carlo standard errors (tests/stats/test_prevalence.py, marked slow).

    Examples
    --------
    >>> table = proportion_coverage(intervals=["wilson"], n=[100], prevalence=[0.1], rng=0)
    >>> table[["method", "n", "prevalence", "exact_coverage"]].round(4).to_dict("records")
    [{'method': 'wilson', 'n': 100, 'prevalence': 0.1, 'exact_coverage': 0.9364}]
    """
    level = check_confidence_level(confidence_level)
    if isinstance(intervals, str):
        intervals = [intervals]  # type: ignore[list-item]
    for m in intervals:
        check_interval(m, "intervals")
    n_sim = _check_n_simulations(n_simulations)
    generator = np.random.default_rng(rng)
    rows = []
    for method in intervals:
        for size in n:
            size = int(size)
            if size < 1:
                raise InputError(f"n must hold positive sample sizes, got {size!r}")
            xs = np.arange(size + 1)
            low, high = proportion_ci(xs, size, interval=method, confidence_level=level)
            for p in prevalence:
                p = float(p)
                if not 0.0 < p < 1.0:
                    raise InputError(f"prevalence must hold numbers strictly between 0 and 1, got {p!r}")
                covers = (low <= p) & (p <= high)
                pmf = _st.binom.pmf(xs, size, p)
                exact = float(np.sum(pmf * covers))
                draws = generator.binomial(size, p, size=n_sim)
                simulated = float(np.mean(covers[draws]))
                rows.append(
                    (method, size, p, simulated, float(np.sqrt(exact * (1.0 - exact) / n_sim)), exact,
                     float(np.sum(pmf * (high - low))), n_sim, level)
                )
    return pd.DataFrame(rows, columns=list(PROPORTION_COVERAGE_COLUMNS))


def _beta_binomial(generator: np.random.Generator, prevalence: float, icc: float, shape: tuple[int, int], size: int) -> np.ndarray:
    """Positives per cluster: cluster risk ~ Beta with mean ``prevalence`` and ``1 / (a + b + 1) = icc``."""
    total = 1.0 / icc - 1.0
    risk = generator.beta(prevalence * total, (1.0 - prevalence) * total, size=shape)
    return generator.binomial(size, risk)


def clustered_proportion_coverage(
    *,
    icc: Sequence[float] = (0.3, 0.5, 0.7),
    n_clusters: int = 100,
    cluster_size: int = 10,
    prevalence: float = 0.2,
    interval: ClusterInterval = "logit",
    confidence_level: float = CONFIDENCE_LEVEL,
    n_simulations: int = 2000,
    rng: Seed = None,
) -> pd.DataFrame:
    """Monte Carlo coverage of the cluster-robust prevalence interval (and of Wilson ignoring clusters).

    Each simulated data set has ``n_clusters`` patients of ``cluster_size`` slices; a
    patient's slice risk is Beta distributed with mean ``prevalence`` and intra-class
    correlation ``icc`` (beta-binomial), so the true slice prevalence is ``prevalence``.

    Parameters
    ----------
    icc : sequence of float
        Intra-class correlations, each strictly between 0 and 1.
    n_clusters, cluster_size : int
        Patients per data set and slices per patient.
    prevalence : float
        True slice prevalence, strictly between 0 and 1.
    interval : {"logit", "wald", "bootstrap"}
        The cluster-robust interval (see :func:`~hemstats.stats._core.cluster.clustered_proportion`).
    confidence_level : float
        Nominal level.
    n_simulations : int
        Simulated data sets per ICC.
    rng : None, int or numpy.random.Generator
        Seed or generator.

    Returns
    -------
    pandas.DataFrame
        One row per ICC x method (the clustered interval, then ``wilson-independent-rows``):
        ``icc, method, coverage, mc_se`` (binomial Monte Carlo SE of the coverage),
        ``mean_width, mean_design_effect, n_clusters, cluster_size, prevalence,
        n_simulations, confidence_level``.

    Examples
    --------
    >>> t = clustered_proportion_coverage(icc=(0.5,), n_simulations=50, rng=1)
    >>> t.method.tolist()
    ['cluster-logit', 'wilson-independent-rows']
    """
    level = check_confidence_level(confidence_level)
    interval = check_cluster_interval(interval, "interval")  # type: ignore[assignment]
    n_sim = _check_n_simulations(n_simulations)
    if not 0.0 < prevalence < 1.0:
        raise InputError(f"prevalence must be strictly between 0 and 1, got {prevalence!r}")
    if isinstance(icc, (int, float)):
        icc = (float(icc),)
    generator = np.random.default_rng(rng)
    sizes = np.full(n_clusters, cluster_size)
    rows = []
    for rho in icc:
        if not 0.0 < rho < 1.0:
            raise InputError(f"icc must hold numbers strictly between 0 and 1, got {rho!r}")
        pos = _beta_binomial(generator, prevalence, rho, (n_sim, n_clusters), cluster_size)
        res = [clustered_proportion(row, sizes, interval=interval, confidence_level=level, rng=generator) for row in pos]
        low = np.array([r.ci_low for r in res])
        high = np.array([r.ci_high for r in res])
        deff = float(np.nanmean([r.design_effect for r in res]))
        total = pos.sum(axis=1)
        w_low, w_high = proportion_ci(total, n_clusters * cluster_size, interval="wilson", confidence_level=level)
        for name, lo, hi in ((res[0].method, low, high), ("wilson-independent-rows", w_low, w_high)):
            cover = (lo <= prevalence) & (prevalence <= hi)
            cov = float(np.mean(cover))
            rows.append(
                (rho, name, cov, float(np.sqrt(cov * (1 - cov) / n_sim)), float(np.nanmean(hi - lo)), deff,
                 n_clusters, cluster_size, prevalence, n_sim, level)
            )
    return pd.DataFrame(rows, columns=list(CLUSTERED_COVERAGE_COLUMNS))
