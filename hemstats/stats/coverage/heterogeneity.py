"""Monte Carlo type-I error of the heterogeneity tests across acquisition strata.

:func:`heterogeneity_type1_error` simulates patients with correlated slices, assigns each
patient to a stratum that nothing depends on, and counts how often the equal-AUC test and the
interaction test of :func:`~hemstats.stats.heterogeneity` reject at ``alpha``: the
patient-clustered tests (the default) and, for contrast, the independent-rows ones.  The
Methods chapter shows the table; a ``slow`` test keeps the clustered rates within 3-7 %.

The table is a long result (:func:`~hemstats.stats._core.columns.result_frame`), as the
coverage tables of :mod:`hemstats.stats.coverage.diagnostic`: ``metric = "rejection-rate"``,
``estimate`` the share of simulated data sets whose test rejects (``n_positive`` of ``n``)
with its Monte Carlo Wilson interval (``method = "wilson"``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hemstats.errors import InputError
from hemstats.stats._core.columns import result_columns, result_frame
from hemstats.stats._core.intervals import proportion_ci
from hemstats.stats._core.options import check_confidence_level
from hemstats.stats._core.types import CONFIDENCE_LEVEL, Seed
from hemstats.stats.acquisition.clustered import interaction_wald, min_class_clusters, stratum_auc_covariance
from hemstats.stats.acquisition.heterogeneity import auc_heterogeneity, correct_interaction
from hemstats.stats.diagnostic.auc import delong

__all__ = ["clustered_null", "heterogeneity_type1_error", "TYPE1_COLUMNS"]

_EXTRA: tuple[str, ...] = ("test", "test_method", "alpha", "n_patients", "n_slices", "icc", "n_strata")
_AFTER: tuple[str, ...] = ("mc_se", "n_simulations")
#: Columns of :func:`heterogeneity_type1_error`.
TYPE1_COLUMNS: tuple[str, ...] = tuple(result_columns(extra=_EXTRA, after=_AFTER))


def clustered_null(
    rng: np.random.Generator, *, n_patients: int = 100, n_slices: int = 10, icc: float = 0.5, n_strata: int = 3,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One data set under the null: strata assigned per patient, nothing depends on the stratum.

    Label latent and score noise each have a patient effect with ICC ``icc``; ``y = 1`` when the
    label latent exceeds 0.6 (prevalence ~27 %), ``score = 1.5 y + noise`` (AUC ~0.85), calls at
    ``score >= 0.75`` (sensitivity and specificity ~0.77).

    Returns
    -------
    (y, score, stratum, patient) : tuple of numpy.ndarray

    Examples
    --------
    >>> y, score, stratum, patient = clustered_null(np.random.default_rng(0), n_patients=4, n_slices=2)
    >>> patient.tolist()
    [0, 0, 1, 1, 2, 2, 3, 3]
    """
    g = np.repeat(np.arange(n_patients), n_slices)
    stratum = rng.integers(0, n_strata, n_patients)[g]
    sd_b, sd_w = np.sqrt(icc), np.sqrt(1 - icc)
    latent = rng.standard_normal(n_patients)[g] * sd_b + rng.standard_normal(len(g)) * sd_w
    y = (latent > 0.6).astype(int)
    score = 1.5 * y + rng.standard_normal(n_patients)[g] * sd_b + rng.standard_normal(len(g)) * sd_w
    return y, score, stratum, g


def _p_values(y: np.ndarray, s: np.ndarray, st: np.ndarray, g: np.ndarray, n_strata: int,
              clustered: bool) -> tuple[float, float]:
    correct = ((s >= 0.75).astype(int) == y).astype(int)
    if clustered:
        _, a, cov = stratum_auc_covariance(y, s, st, g)
        p_auc = auc_heterogeneity(a, cov, denominator_df=min_class_clusters(y, st, g) - 1)[3]
        return p_auc, interaction_wald(y, correct, st, g)[2]
    est = [delong(y[st == k], s[st == k]) for k in range(n_strata)]
    p_auc = auc_heterogeneity([e[0][0] for e in est], [e[1][0, 0] for e in est])[3]
    return p_auc, correct_interaction(y, correct, st)[2]


def heterogeneity_type1_error(
    *,
    n_patients: int = 100,
    n_slices: int = 10,
    icc: float = 0.5,
    n_strata: int = 3,
    alpha: float = 0.05,
    n_simulations: int = 800,
    clustered: tuple[bool, ...] = (True, False),
    confidence_level: float = CONFIDENCE_LEVEL,
    rng: Seed = 20261201,
) -> pd.DataFrame:
    """Rejection rates of the equal-AUC and the interaction test under a clustered null.

    Replicate ``r`` draws its data from ``numpy.random.default_rng([seed, r])``, so the
    clustered and the independent-rows tests see the same data sets; ``seed`` is ``rng``
    when it is an int, else one integer drawn from ``numpy.random.default_rng(rng)``.

    Parameters
    ----------
    n_patients, n_slices, icc, n_strata
        The simulated design (:func:`clustered_null`).
    alpha : float, default 0.05
        Nominal level of the tests.
    n_simulations : int, default 800
    clustered : tuple of bool, default (True, False)
        The designs tested: patient-clustered tests, independent-rows tests.
    confidence_level : float, default 0.95
        Of the Monte Carlo (Wilson) interval of each rejection rate.
    rng : None, int or numpy.random.Generator

    Returns
    -------
    pandas.DataFrame
        :data:`TYPE1_COLUMNS`: one row per test x design, ``test`` (``auc-equality``,
        ``interaction``), ``test_method`` (the code :func:`~hemstats.stats.heterogeneity`
        writes), the design (``alpha, n_patients, n_slices, icc, n_strata``), ``metric``
        ``rejection-rate``, ``estimate`` with its Wilson interval, ``n_positive`` rejections of
        ``n`` simulations with a p-value, ``mc_se`` and ``n_simulations`` (asked for).

    Examples
    --------
    >>> tab = heterogeneity_type1_error(n_simulations=5, clustered=(True,))
    >>> tab.test_method.tolist()
    ['q-test-clustered-delong', 'gee-wald-sandwich']
    """
    where = "heterogeneity_type1_error"
    confidence_level = check_confidence_level(confidence_level)
    if isinstance(n_simulations, bool) or not isinstance(n_simulations, (int, np.integer)) or n_simulations < 1:
        raise InputError(f"{where}: n_simulations must be an integer >= 1, got {n_simulations!r}")
    if not isinstance(alpha, (int, float)) or not 0 < alpha < 1:
        raise InputError(f"{where}: alpha must be a number in (0, 1), got {alpha!r}")
    if not isinstance(n_strata, (int, np.integer)) or n_strata < 2:
        raise InputError(f"{where}: n_strata must be an integer >= 2, got {n_strata!r}")
    seed = rng if isinstance(rng, int) and not isinstance(rng, bool) else int(
        np.random.default_rng(rng).integers(2**63))
    rows = []
    for cl in clustered:
        p = np.empty((n_simulations, 2))
        for r in range(n_simulations):
            y, s, st, g = clustered_null(np.random.default_rng([seed, r]), n_patients=n_patients,
                                         n_slices=n_slices, icc=icc, n_strata=n_strata)
            p[r] = _p_values(y, s, st, g, n_strata, cl)
        methods = (("q-test-clustered-delong", "gee-wald-sandwich") if cl
                   else ("q-test-delong-independent", "lr-test-independent"))
        for j, (test, method) in enumerate(zip(("auc-equality", "interaction"), methods)):
            ok = np.isfinite(p[:, j])
            k = int(ok.sum())
            hits = int((p[ok, j] < alpha).sum())
            rate = hits / k if k else np.nan
            low, high = (proportion_ci(hits, k, interval="wilson", confidence_level=confidence_level)
                         if k else (np.nan, np.nan))
            rows.append({"test": test, "test_method": method, "alpha": alpha, "n_patients": n_patients,
                         "n_slices": n_slices, "icc": icc, "n_strata": n_strata, "metric": "rejection-rate",
                         "estimate": rate, "ci_low": float(low), "ci_high": float(high), "n": k, "n_positive": hits,
                         "method": "wilson", "confidence_level": confidence_level,
                         "mc_se": float(np.sqrt(rate * (1 - rate) / max(k, 1))), "n_simulations": n_simulations,
                         "reason": (f"{n_simulations - k} of {n_simulations} simulated data sets gave no p-value"
                                    if k < n_simulations else None)})
    return result_frame(rows, extra=_EXTRA, after=_AFTER)
