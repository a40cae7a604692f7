"""Monte Carlo coverage of the agreement intervals, at study level and under within-patient correlation.

:func:`simulate_ratings` draws independent units rated by exchangeable raters and
:func:`kappa_coverage` gives the coverage of the study-level intervals (analytic and bootstrap);
:func:`simulate_clustered` draws slices nested in patients, :func:`clustered_truth` gives the
population values and :func:`cluster_coverage` the coverage of the cluster-robust intervals that
:mod:`hemstats.stats.reliability.agreement` uses by default, and of the independent-rows intervals
for contrast (the Methods chapter's tables).

Both return one row per metric x method x scenario with the method codes of the agreement
results (``fleiss-cohen-everitt-1969``, ``gwet-2014``, ``bootstrap-percentile``,
``cluster-robust-linearised``...), so a coverage row and a result row of the same interval
carry the same ``metric`` and ``method``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from hemstats.errors import InputError
from hemstats.stats._core.intervals import proportion_ci
from hemstats.stats._core.options import check_confidence_level, check_n_resamples, check_rng
from hemstats.stats._core.types import Seed
from hemstats.stats.reliability.kappa import (
    ac1_from_counts,
    ac1_variance,
    cluster_variance,
    cohen_from_cells,
    cohen_influence,
    cohen_variance,
    counts_from_indices,
    fleiss_from_counts,
    fleiss_null_variance,
    fleiss_variance,
    korn_graubard,
    normal_interval,
    set_influence,
    z_interval,
)
from hemstats.stats.resampling.engine import interval_from_distribution, resample_indices

__all__ = [
    "simulate_ratings",
    "kappa_coverage",
    "KAPPA_COVERAGE_COLUMNS",
    "simulate_clustered",
    "clustered_truth",
    "cluster_coverage",
    "CLUSTER_COVERAGE_COLUMNS",
]

#: Columns of :func:`kappa_coverage`.
KAPPA_COVERAGE_COLUMNS: tuple[str, ...] = (
    "metric", "method", "n", "prevalence", "true_value", "coverage", "mc_se", "mean_width", "n_simulations",
    "n_defined", "confidence_level",
)
#: Columns of :func:`cluster_coverage`.
CLUSTER_COVERAGE_COLUMNS: tuple[str, ...] = (
    "metric", "method", "n_patients", "n_slices", "icc", "true_value", "coverage", "mc_se", "mean_width",
    "n_simulations", "n_defined", "confidence_level",
)


def _check_count(value: object, name: str, minimum: int = 1) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or int(value) < minimum:
        raise InputError(f"{name}: expected an integer >= {minimum}, got {value!r}")
    return int(value)


def _check_fractions(values: Any, name: str, *, closed: bool = False) -> tuple[float, ...]:
    seq = (values,) if isinstance(values, (int, float, np.floating)) else values
    try:
        out = tuple(float(v) for v in seq)
    except (TypeError, ValueError):
        raise InputError(f"{name}: expected numbers in (0, 1), got {values!r}") from None
    ok = all((0 <= v <= 1) if closed else (0 < v < 1) for v in out)
    if not out or not ok or any(isinstance(v, bool) for v in seq):
        raise InputError(f"{name}: expected numbers in {'[0, 1]' if closed else '(0, 1)'}, got {values!r}")
    return out


def simulate_ratings(
    n: int, prevalence: float, kappa: float, *, n_raters: int = 3, n_simulations: int = 1,
    rng: np.random.Generator,
) -> np.ndarray:
    """``(n_simulations, n, n_raters)`` 0/1 ratings from the exchangeable "common cause" model.

    With probability ``kappa`` every rater copies one shared Bernoulli(``prevalence``) draw,
    otherwise each rater draws independently.  Every rater's marginal is ``prevalence``, and
    the population Cohen and Fleiss kappa both equal ``kappa``; the population AC1 is
    ``(Po - 2pq) / (1 - 2pq)`` with ``Po = kappa + (1 - kappa)(p^2 + q^2)``.

    Examples
    --------
    >>> simulate_ratings(5, 0.3, 0.6, n_simulations=2, rng=np.random.default_rng(0)).shape
    (2, 5, 3)
    """
    shared = rng.random((n_simulations, n, 1)) < prevalence
    own = rng.random((n_simulations, n, n_raters)) < prevalence
    copy = rng.random((n_simulations, n, 1)) < kappa
    return np.where(copy, shared, own).astype(np.int8)


def _multiplicities(size: int, n_resamples: int, gen: np.random.Generator) -> np.ndarray:
    """``(n_resamples, size)`` multiplicities of one unit bootstrap, drawn by the engine in one chunk."""
    (idx,) = resample_indices(np.zeros(size, np.int8), stratify=False, n_resamples=n_resamples, rng=gen,
                              chunk_size=n_resamples)
    return counts_from_indices(idx, size)


def _percentile(estimate: float, dist: np.ndarray, confidence_level: float) -> tuple[float, float]:
    ok = np.isfinite(dist)
    if ok.sum() < 2 or not np.isfinite(estimate):
        return (np.nan, np.nan)
    return interval_from_distribution(estimate, dist[ok], confidence_level=confidence_level)


def kappa_coverage(
    *,
    n: tuple[int, ...] = (30, 100, 500),
    prevalence: tuple[float, ...] = (0.02, 0.1, 0.4),
    kappa: float = 0.6,
    n_simulations: int = 1000,
    n_resamples: int = 1000,
    confidence_level: float = 0.95,
    rng: Seed = None,
) -> pd.DataFrame:
    """Monte Carlo coverage of the study-level kappa and AC1 intervals, for the Methods chapter.

    Three raters are simulated by :func:`simulate_ratings`; Cohen's kappa uses the first
    two, Fleiss' kappa and Gwet's AC1 all three.  An interval covers when it contains the
    population value.  Data sets where an estimate is undefined (no positive rating at all)
    are left out of that method's coverage and counted in ``n_defined``.  The bootstrap
    resamples units through the engine (:func:`~hemstats.stats.resampling.engine.resample_indices`).

    Parameters
    ----------
    n, prevalence : tuple
        The grid: units per data set and true prevalence.
    kappa : float
        The population kappa, in [0, 1].
    n_simulations, n_resamples : int
        Data sets per grid cell and bootstrap resamples per data set.
    confidence_level : float
    rng : None, int or numpy.random.Generator

    Returns
    -------
    pandas.DataFrame
        Columns of :data:`KAPPA_COVERAGE_COLUMNS`, one row per metric x method x n x
        prevalence: ``metric`` (``cohen_kappa``, ``fleiss_kappa``, ``gwet_ac1``), ``method``
        (the method code of the agreement results: ``fleiss-cohen-everitt-1969``,
        ``gwet-2014``, ``fleiss-nee-landis-1979``, ``gwet-2008``, ``bootstrap-percentile``),
        ``true_value``, ``coverage``, ``mc_se`` (its Monte Carlo SE), ``mean_width``,
        ``n_simulations``, ``n_defined``, ``confidence_level``.

    Examples
    --------
    >>> tab = kappa_coverage(n=(50,), prevalence=(0.3,), n_simulations=20, n_resamples=50, rng=0)
    >>> tab.metric.iloc[0], tab.method.iloc[0], int(tab.n_defined.iloc[0])
    ('cohen_kappa', 'fleiss-cohen-everitt-1969', 20)
    """
    sizes = tuple(_check_count(v, "n", 2) for v in ((n,) if isinstance(n, int) else n))
    prevalences = _check_fractions(prevalence, "prevalence")
    (kappa,) = _check_fractions(kappa, "kappa", closed=True)
    n_simulations = _check_count(n_simulations, "n_simulations")
    n_resamples = check_n_resamples(n_resamples)
    confidence_level = check_confidence_level(confidence_level)
    gen = np.random.default_rng(check_rng(rng))
    rows = []
    for size in sizes:
        for p in prevalences:
            q = 1 - p
            po = kappa + (1 - kappa) * (p**2 + q**2)
            truth = {"cohen_kappa": kappa, "fleiss_kappa": kappa, "gwet_ac1": (po - 2 * p * q) / (1 - 2 * p * q)}
            sims = simulate_ratings(size, p, kappa, n_simulations=n_simulations, rng=gen)
            hits: dict[tuple[str, str], list[tuple[float, float]]] = {}
            for r in sims:
                cells = r[:, 0].astype(np.int64) * 2 + r[:, 1]
                ones = r.sum(axis=1).astype(float)
                counts = np.stack([3 - ones, ones], axis=1)
                W = _multiplicities(size, n_resamples, gen)
                boot = {"cohen_kappa": cohen_from_cells(cells, 2, W), "fleiss_kappa": fleiss_from_counts(counts, W),
                        "gwet_ac1": ac1_from_counts(counts, W)}
                est = {"cohen_kappa": float(cohen_from_cells(cells, 2)[0]),
                       "fleiss_kappa": float(fleiss_from_counts(counts)[0]),
                       "gwet_ac1": float(ac1_from_counts(counts)[0])}
                analytic = (
                    ("cohen_kappa", "fleiss-cohen-everitt-1969", cohen_variance(cells, 2), None),
                    ("fleiss_kappa", "gwet-2014", fleiss_variance(counts), size - 1),
                    ("fleiss_kappa", "fleiss-nee-landis-1979", fleiss_null_variance(counts), None),
                    ("gwet_ac1", "gwet-2008", ac1_variance(counts), size - 1),
                )
                for metric, method, var, df in analytic:
                    e = est[metric]
                    hits.setdefault((metric, method), []).append(
                        normal_interval(e, np.sqrt(var), confidence_level, df=df) if np.isfinite(e) else (np.nan, np.nan))
                    if method in ("fleiss-cohen-everitt-1969", "fleiss-nee-landis-1979", "gwet-2008"):
                        hits.setdefault((metric, "bootstrap-percentile"), []).append(
                            _percentile(e, boot[metric], confidence_level))
            for (metric, method), ci in hits.items():
                arr = np.asarray(ci, dtype=np.float64)
                ok = np.isfinite(arr).all(axis=1)
                t = truth[metric]
                cov = float(((arr[ok, 0] <= t) & (t <= arr[ok, 1])).mean()) if ok.any() else np.nan
                rows.append(dict(metric=metric, method=method, n=size, prevalence=p, true_value=t, coverage=cov,
                                 mc_se=float(np.sqrt(cov * (1 - cov) / max(ok.sum(), 1))),
                                 mean_width=float((arr[ok, 1] - arr[ok, 0]).mean()) if ok.any() else np.nan,
                                 n_simulations=n_simulations, n_defined=int(ok.sum()),
                                 confidence_level=confidence_level))
    order = [("cohen_kappa", "fleiss-cohen-everitt-1969"), ("cohen_kappa", "bootstrap-percentile"),
             ("fleiss_kappa", "gwet-2014"), ("fleiss_kappa", "fleiss-nee-landis-1979"),
             ("fleiss_kappa", "bootstrap-percentile"), ("gwet_ac1", "gwet-2008"), ("gwet_ac1", "bootstrap-percentile")]
    out = pd.DataFrame(rows, columns=list(KAPPA_COVERAGE_COLUMNS))
    rank = [order.index((m, k)) for m, k in zip(out["metric"], out["method"])]
    out = out.assign(_o=rank).sort_values(["_o", "n", "prevalence"], kind="stable").drop(columns="_o")
    return out.reset_index(drop=True)


def simulate_clustered(
    n_patients: int, n_slices: int, *, prevalence: float, sensitivity: float, specificity: float, icc: float,
    n_raters: int = 3, n_simulations: int = 1, rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Slices nested in patients: ``(truth (n_simulations, N), ratings (n_simulations, N, n_raters), patient (N,))``.

    Each patient draws its prevalence, sensitivity and specificity from beta distributions
    with those means and intra-cluster correlation ``icc`` (``a + b = 1 / icc - 1``); each
    of its ``n_slices`` slices draws a truth from the patient's prevalence, and each reader
    rates it with the patient's sensitivity and specificity, independently given the truth.
    Slices of one patient are therefore correlated in truth and in reader errors.
    """
    def draw(mean: float) -> np.ndarray:
        if icc <= 0:
            return np.full((n_simulations, n_patients), mean)
        s = 1 / icc - 1
        return rng.beta(mean * s, (1 - mean) * s, (n_simulations, n_patients))

    pi, se, sp = (np.repeat(draw(m), n_slices, axis=1) for m in (prevalence, sensitivity, specificity))
    truth = rng.random(pi.shape) < pi
    u = rng.random((*pi.shape, n_raters))
    ratings = np.where(truth[..., None], u < se[..., None], u < 1 - sp[..., None])
    return truth.astype(np.int8), ratings.astype(np.int8), np.repeat(np.arange(n_patients), n_slices)


def clustered_truth(prevalence: float, sensitivity: float, specificity: float, icc: float) -> dict[str, float]:
    """Population values of :func:`simulate_clustered`: kappa (Cohen = Fleiss), AC1, and each
    reader against the truth (sensitivity, specificity, kappa)."""
    p, se, sp = prevalence, sensitivity, specificity
    e_se2, e_sp2 = se**2 + icc * se * (1 - se), sp**2 + icc * sp * (1 - sp)  # E[se_i^2], E[sp_i^2]
    po = p * e_se2 + (1 - p) * (1 - 2 * sp + e_sp2) + p * (1 - 2 * se + e_se2) + (1 - p) * e_sp2
    q = p * se + (1 - p) * (1 - sp)
    pe, pe1 = q**2 + (1 - q) ** 2, 2 * q * (1 - q)
    po_r, pe_r = p * se + (1 - p) * sp, q * p + (1 - q) * (1 - p)
    return {"cohen_kappa": (po - pe) / (1 - pe), "fleiss_kappa": (po - pe) / (1 - pe),
            "gwet_ac1": (po - pe1) / (1 - pe1), "sensitivity": se, "specificity": sp,
            "reader_kappa": (po_r - pe_r) / (1 - pe_r)}


def cluster_coverage(
    *,
    n_patients: int = 100,
    n_slices: int = 10,
    icc: tuple[float, ...] = (0.3, 0.5, 0.7),
    prevalence: float = 0.3,
    sensitivity: float = 0.85,
    specificity: float = 0.9,
    n_simulations: int = 1000,
    confidence_level: float = 0.95,
    rng: Seed = None,
) -> pd.DataFrame:
    """Monte Carlo coverage of the slice-level intervals, clustered by patient or not.

    Data from :func:`simulate_clustered` (three readers; reader 1 against the truth for
    sensitivity, specificity and kappa).  Each measure gets the cluster-robust interval
    :mod:`hemstats.stats.reliability.agreement` uses by default (``cluster-robust-linearised``: sandwich
    variance of the linearisation, :func:`z_interval` with ``t(G - 1)``; ``cluster-robust-korn-graubard`` for
    proportions) and the independent-rows interval (``independent-rows``: FCE, Gwet, Wilson)
    for contrast.  An interval covers when it contains :func:`clustered_truth`.

    Returns
    -------
    pandas.DataFrame
        Columns of :data:`CLUSTER_COVERAGE_COLUMNS`, one row per metric x method x icc:
        ``metric`` (``cohen_kappa``, ``fleiss_kappa``, ``gwet_ac1``, ``reader_kappa``,
        ``sensitivity``, ``specificity``), ``method``, ``n_patients, n_slices, icc, true_value,
        coverage, mc_se, mean_width, n_simulations, n_defined, confidence_level``.

    Examples
    --------
    >>> tab = cluster_coverage(icc=(0.5,), n_simulations=20, rng=0)
    >>> str(tab.loc[0, "metric"]), str(tab.loc[0, "method"]), int(tab.loc[0, "n_simulations"])
    ('cohen_kappa', 'cluster-robust-linearised', 20)
    """
    n_patients = _check_count(n_patients, "n_patients", 2)
    n_slices = _check_count(n_slices, "n_slices")
    icc = _check_fractions(icc, "icc", closed=True)
    if any(v >= 1 for v in icc):
        raise InputError(f"icc: expected numbers in [0, 1), got {icc!r}")
    prevalence, sensitivity, specificity = (_check_fractions(v, name)[0] for v, name in (
        (prevalence, "prevalence"), (sensitivity, "sensitivity"), (specificity, "specificity")))
    n_simulations = _check_count(n_simulations, "n_simulations")
    confidence_level = check_confidence_level(confidence_level)
    gen = np.random.default_rng(check_rng(rng))
    rows = []
    for rho in icc:
        truth_vals = clustered_truth(prevalence, sensitivity, specificity, rho)
        truth, ratings, patient = simulate_clustered(n_patients, n_slices, prevalence=prevalence,
                                                     sensitivity=sensitivity, specificity=specificity, icc=rho,
                                                     n_simulations=n_simulations, rng=gen)
        hits: dict[tuple[str, str], list[tuple[float, float]]] = {}
        binom: dict[str, list[tuple[int, int]]] = {}

        for t, r in zip(truth, ratings):
            ones = r.sum(axis=1).astype(float)
            counts = np.stack([3 - ones, ones], axis=1)
            for measure, (est, infl), naive in (
                ("cohen_kappa", cohen_influence(r[:, 0].astype(np.int64) * 2 + r[:, 1], 2), None),
                ("fleiss_kappa", set_influence(counts, "fleiss"), fleiss_variance),
                ("gwet_ac1", set_influence(counts, "ac1"), ac1_variance),
                ("reader_kappa", cohen_influence(r[:, 0].astype(np.int64) * 2 + t, 2), None),
            ):
                var, g = cluster_variance(infl, patient)
                hits.setdefault((measure, "cluster-robust-linearised"), []).append(
                    z_interval(est, np.sqrt(var), confidence_level, df=g - 1))
                v0 = float((infl**2).sum() / infl.size**2) if naive is None else naive(counts)
                hits.setdefault((measure, "independent-rows"), []).append(
                    normal_interval(est, np.sqrt(v0), confidence_level, df=None if naive is None else infl.size - 1))
            for measure, value in (("sensitivity", 1), ("specificity", 0)):
                sel = t == value
                hit = r[sel, 0] == value
                hits.setdefault((measure, "cluster-robust-korn-graubard"), []).append(
                    korn_graubard(hit, patient[sel], confidence_level)[1:])
                binom.setdefault(measure, []).append((int(hit.sum()), int(sel.sum())))
        for measure, xn in binom.items():  # Wilson, vectorised over the simulations
            x, nn = np.asarray(xn).T
            hits[(measure, "independent-rows")] = list(zip(*proportion_ci(x, nn, confidence_level=confidence_level)))
        for (measure, method), intervals in hits.items():
            ci = np.asarray(intervals, dtype=np.float64)
            ok = np.isfinite(ci).all(axis=1)
            tv = truth_vals[measure]
            cov = float(((ci[ok, 0] <= tv) & (tv <= ci[ok, 1])).mean()) if ok.any() else np.nan
            rows.append(dict(metric=measure, method=method, n_patients=n_patients, n_slices=n_slices, icc=rho,
                             true_value=tv, coverage=cov, mc_se=float(np.sqrt(cov * (1 - cov) / max(ok.sum(), 1))),
                             mean_width=float((ci[ok, 1] - ci[ok, 0]).mean()) if ok.any() else np.nan,
                             n_simulations=n_simulations, n_defined=int(ok.sum()),
                             confidence_level=confidence_level))
    return pd.DataFrame(rows, columns=list(CLUSTER_COVERAGE_COLUMNS))
