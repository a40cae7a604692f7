"""Monte Carlo type-I error of the heterogeneity tests across acquisition strata.

:func:`heterogeneity_type1_error` simulates patients with correlated slices, assigns each
patient to a stratum that nothing depends on, and counts how often the equal-AUC test and the
interaction test of :func:`~hemstats.stats.performance_by_stratum` reject at ``alpha``: the
patient-clustered tests (the default) and, for contrast, the independent-rows ones.  The
Methods chapter shows the table; a ``slow`` test keeps the clustered rates within 3-7 %.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hemstats.stats.acquisition.clustered import interaction_wald, min_class_clusters, stratum_auc_covariance
from hemstats.stats.acquisition.heterogeneity import auc_heterogeneity, correct_interaction
from hemstats.stats.diagnostic.auc import delong

__all__ = ["clustered_null", "heterogeneity_type1_error"]


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
    rng: int | np.random.Generator | None = 20261201,
) -> pd.DataFrame:
    """Rejection rates of the equal-AUC and the interaction test under a clustered null.

    Replicate ``r`` draws its data from ``numpy.random.default_rng([seed, r])``, so the
    clustered and the independent-rows tests see the same data sets; ``seed`` is ``rng``
    when it is an int, else one integer drawn from ``numpy.random.default_rng(rng)``.

    Returns
    -------
    pandas.DataFrame
        One row per test x design: ``test`` (``auc-equality``, ``interaction``), ``method``
        (the code :func:`~hemstats.stats.performance_by_stratum` writes), ``rejection_rate``,
        ``mc_se``, ``alpha``, ``n_patients``, ``n_slices``, ``icc``, ``n_strata``,
        ``n_simulations``.

    Examples
    --------
    >>> tab = heterogeneity_type1_error(n_simulations=5, clustered=(True,))
    >>> tab.method.tolist()
    ['q-test-clustered-delong', 'gee-wald-sandwich']
    """
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
            rate = float((p[ok, j] < alpha).mean()) if ok.any() else np.nan
            rows.append({"test": test, "method": method, "rejection_rate": rate,
                         "mc_se": float(np.sqrt(rate * (1 - rate) / max(ok.sum(), 1))), "alpha": alpha,
                         "n_patients": n_patients, "n_slices": n_slices, "icc": icc, "n_strata": n_strata,
                         "n_simulations": int(ok.sum())})
    return pd.DataFrame(rows)
