"""Monte Carlo coverage of the slice-level agreement intervals under within-patient correlation.

:func:`simulate_clustered` draws slices nested in patients, :func:`clustered_truth` gives the
population values, :func:`cluster_coverage` the coverage of the cluster-robust intervals that
:mod:`hemstats.stats.reliability.agreement` uses by default, and of the independent-rows intervals for
contrast (the Methods chapter's table; the study-level intervals are in
:func:`hemstats.stats.reliability.kappa.kappa_coverage`).
"""

from __future__ import annotations

import numpy as np

from hemstats.stats.reliability.kappa import (
    ac1_variance,
    cluster_variance,
    cohen_influence,
    fleiss_variance,
    korn_graubard,
    normal_interval,
    set_influence,
    z_interval,
)

__all__ = ["simulate_clustered", "clustered_truth", "cluster_coverage"]


def simulate_clustered(
    n_patients: int, n_slices: int, *, prevalence: float, sensitivity: float, specificity: float, icc: float,
    n_raters: int = 3, n_sim: int = 1, rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Slices nested in patients: ``(truth (n_sim, N), ratings (n_sim, N, n_raters), patient (N,))``.

    Each patient draws its prevalence, sensitivity and specificity from beta distributions
    with those means and intra-cluster correlation ``icc`` (``a + b = 1 / icc - 1``); each
    of its ``n_slices`` slices draws a truth from the patient's prevalence, and each reader
    rates it with the patient's sensitivity and specificity, independently given the truth.
    Slices of one patient are therefore correlated in truth and in reader errors.
    """
    def draw(mean: float) -> np.ndarray:
        if icc <= 0:
            return np.full((n_sim, n_patients), mean)
        s = 1 / icc - 1
        return rng.beta(mean * s, (1 - mean) * s, (n_sim, n_patients))

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
    n_sim: int = 1000,
    confidence_level: float = 0.95,
    rng: int | np.random.Generator | None = None,
):
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
        One row per measure x method x icc: ``measure, method, n_patients, n_slices, icc,
        true_value, coverage, mc_se, mean_width, n_sim, n_defined, confidence_level``.

    Examples
    --------
    >>> tab = cluster_coverage(icc=(0.5,), n_sim=20, rng=0)
    >>> str(tab.loc[0, "measure"]), str(tab.loc[0, "method"]), int(tab.loc[0, "n_sim"])
    ('cohen_kappa', 'cluster-robust-linearised', 20)
    """
    import pandas as pd

    from hemstats.stats._core.intervals import proportion_ci

    gen = np.random.default_rng(rng)
    rows = []
    for rho in icc:
        truth_vals = clustered_truth(prevalence, sensitivity, specificity, rho)
        truth, ratings, patient = simulate_clustered(n_patients, n_slices, prevalence=prevalence,
                                                     sensitivity=sensitivity, specificity=specificity, icc=rho,
                                                     n_sim=n_sim, rng=gen)
        hits: dict[tuple[str, str], list[tuple[float, float]]] = {}
        binom: dict[str, list[tuple[int, int]]] = {}

        def add(measure, method, ci):
            hits.setdefault((measure, method), []).append(ci)

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
                add(measure, "cluster-robust-linearised", z_interval(est, np.sqrt(var), confidence_level, df=g - 1))
                v0 = float((infl**2).sum() / infl.size**2) if naive is None else naive(counts)
                add(measure, "independent-rows", normal_interval(est, np.sqrt(v0), confidence_level,
                                                                  df=None if naive is None else infl.size - 1))
            for measure, value in (("sensitivity", 1), ("specificity", 0)):
                sel = t == value
                hit = r[sel, 0] == value
                add(measure, "cluster-robust-korn-graubard", korn_graubard(hit, patient[sel], confidence_level)[1:])
                binom.setdefault(measure, []).append((int(hit.sum()), int(sel.sum())))
        for measure, xn in binom.items():  # Wilson, vectorised over the simulations
            x, nn = np.asarray(xn).T
            hits[(measure, "independent-rows")] = list(zip(*proportion_ci(x, nn, confidence_level=confidence_level)))
        for (measure, method), ci in hits.items():
            ci = np.asarray(ci, dtype=np.float64)
            ok = np.isfinite(ci).all(axis=1)
            tv = truth_vals[measure]
            cov = float(((ci[ok, 0] <= tv) & (tv <= ci[ok, 1])).mean()) if ok.any() else np.nan
            rows.append(dict(measure=measure, method=method, n_patients=n_patients, n_slices=n_slices, icc=rho,
                             true_value=tv, coverage=cov, mc_se=float(np.sqrt(cov * (1 - cov) / max(ok.sum(), 1))),
                             mean_width=float((ci[ok, 1] - ci[ok, 0]).mean()) if ok.any() else np.nan,
                             n_sim=n_sim, n_defined=int(ok.sum()), confidence_level=confidence_level))
    return pd.DataFrame(rows)
