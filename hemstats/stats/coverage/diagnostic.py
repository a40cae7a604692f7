"""Monte Carlo coverage of the AUC intervals: DeLong, percentile, basic, BCa, and clustered.

:func:`auc_ci_coverage` simulates equal-variance binormal scores (true AUC
``Phi(d / sqrt(2))``) with a fixed number of cases, computes every interval on each
simulated sample and reports how often it covers the truth.  :func:`clustered_auc_coverage`
simulates patients with several correlated slices and compares the row bootstrap with the
patient-clustered bootstrap.  :func:`operating_point_coverage` samples cohorts (the number of
cases varies) and compares the class-stratified with the cohort (unstratified) bootstrap of
PPV, NPV, sensitivity and specificity at a fixed threshold.  The book's methods chapter shows both tables; a ``slow`` test
keeps them honest.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.special import ndtr

from hemstats.errors import InputError
from hemstats.stats.diagnostic.auc import _delong_ci, delong
from hemstats.stats.resampling.engine import bootstrap_distribution, check_bootstrap_options

__all__ = ["auc_ci_coverage", "clustered_auc_coverage", "operating_point_coverage", "COVERAGE_COLUMNS",
           "OPERATING_COVERAGE_COLUMNS"]

#: Columns of both coverage tables.
COVERAGE_COLUMNS: tuple[str, ...] = (
    "scenario", "n", "n_clusters", "prevalence", "true_auc", "method", "coverage", "mc_se", "below", "above",
    "mean_width", "n_simulations", "n_resamples", "n_failed_resamples", "confidence_level",
)


def _summarise(rows, scenario, n, n_clusters, prevalence, truth, method, lows, highs, n_resamples, failed, level):
    lows, highs = np.asarray(lows), np.asarray(highs)
    ok = np.isfinite(lows) & np.isfinite(highs)
    cover = (lows[ok] <= truth) & (truth <= highs[ok])
    k = int(ok.sum())
    p = cover.mean() if k else np.nan
    rows.append({
        "scenario": scenario, "n": n, "n_clusters": n_clusters, "prevalence": prevalence, "true_auc": truth,
        "method": method, "coverage": p, "mc_se": np.sqrt(p * (1 - p) / k) if k else np.nan,
        "below": float((highs[ok] < truth).mean()) if k else np.nan,
        "above": float((lows[ok] > truth).mean()) if k else np.nan,
        "mean_width": float((highs[ok] - lows[ok]).mean()) if k else np.nan,
        "n_simulations": k, "n_resamples": n_resamples, "n_failed_resamples": int(failed),
        "confidence_level": level,
    })


def auc_ci_coverage(
    *,
    n: Sequence[int] = (50, 200, 1000),
    prevalence: Sequence[float] = (0.05, 0.3),
    d: float = 1.5,
    methods: Sequence[str] = ("delong", "percentile", "basic", "bca"),
    n_simulations: int = 400,
    n_resamples: int = 400,
    confidence_level: float = 0.95,
    rng: int | np.random.Generator | None = None,
) -> pd.DataFrame:
    """Coverage of AUC intervals on simulated binormal data, per n x prevalence x method.

    Each sample has ``max(2, round(n * prevalence))`` cases; scores are ``N(d y, 1)``, so the
    true AUC is ``Phi(d / sqrt(2))`` (0.856 for ``d = 1.5``).  Bootstrap intervals are
    stratified (as pROC), share one bootstrap distribution per sample.

    Returns
    -------
    pandas.DataFrame
        Columns ``scenario, n, n_clusters, prevalence, true_auc, method, coverage, mc_se,
        below, above, mean_width, n_simulations, n_resamples, n_failed_resamples,
        confidence_level``; ``below``/``above`` are the shares of intervals lying wholly
        below/above the truth, ``mc_se`` the Monte Carlo standard error of ``coverage``.

    Examples
    --------
    >>> tab = auc_ci_coverage(n=[100], prevalence=[0.3], n_simulations=20, n_resamples=100, rng=0)
    >>> tab.method.tolist()
    ['delong', 'percentile', 'basic', 'bca']
    """
    check_bootstrap_options(n_resamples=n_resamples, confidence_level=confidence_level, rng=rng)
    unknown = sorted(set(methods) - {"delong", "percentile", "basic", "bca"})
    if unknown:
        raise InputError(f"methods: unknown {unknown}")
    gen = np.random.default_rng(rng)
    truth = float(ndtr(d / np.sqrt(2)))
    rows: list[dict] = []
    boot = [m for m in methods if m != "delong"]
    for size in n:
        for prev in prevalence:
            n_pos = max(2, int(round(size * prev)))
            y = np.r_[np.ones(n_pos, dtype=np.int8), np.zeros(size - n_pos, dtype=np.int8)]
            ci = {m: ([], []) for m in methods}
            failed = 0
            for _ in range(n_simulations):  # a loop over simulated samples, not over resamples
                s = gen.normal(d * y, 1.0)
                if "delong" in methods:
                    a, v = delong(y, s)
                    lo, hi = _delong_ci(float(a[0]), float(v[0, 0]), confidence_level)
                    ci["delong"][0].append(lo)
                    ci["delong"][1].append(hi)
                if boot:
                    dist = bootstrap_distribution("auc", y, s, n_resamples=n_resamples, rng=gen,
                                                  jackknife="bca" in boot)
                    for m in boot:
                        row = dist.ci(method=m, confidence_level=confidence_level).iloc[0]
                        ci[m][0].append(row.ci_low)
                        ci[m][1].append(row.ci_high)
                        failed += int(row.n_failed_resamples)
            for m in methods:
                _summarise(rows, "independent", size, size, prev, truth, m, *ci[m],
                           0 if m == "delong" else n_resamples, 0 if m == "delong" else failed, confidence_level)
    return pd.DataFrame(rows, columns=list(COVERAGE_COLUMNS))


def clustered_auc_coverage(
    *,
    n_patients: int = 100,
    slices_per_patient: int = 10,
    patient_prevalence: float = 0.3,
    slice_positive: float = 0.5,
    d: float = 1.5,
    icc: float = 0.5,
    n_simulations: int = 300,
    n_resamples: int = 400,
    confidence_level: float = 0.95,
    rng: int | np.random.Generator | None = None,
) -> pd.DataFrame:
    """Coverage of the row and the patient-clustered bootstrap with correlated slices.

    Patients are positive with ``patient_prevalence``; a positive patient's slices are
    positive with probability ``slice_positive``.  A slice scores ``d y + u + e`` with a
    patient effect ``u ~ N(0, icc)`` and ``e ~ N(0, 1 - icc)``, so each class's scores are
    ``N(d y, 1)`` and the AUC over pairs of slices from different patients is
    ``Phi(d / sqrt(2))``.  (Pairs within one patient, about 1/``n_patients`` of all pairs,
    rank a little better; the bias this leaves is ~0.001, well inside the Monte Carlo error.)

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`auc_ci_coverage`; ``method`` is ``row-percentile`` (resampling
        slices, stratified) or ``cluster-percentile`` (resampling patients, stratified by
        patient class), plus DeLong (which assumes independent slices).

    Examples
    --------
    >>> tab = clustered_auc_coverage(n_patients=30, n_simulations=10, n_resamples=50, rng=0)
    >>> tab.method.tolist()
    ['delong-rows', 'row-percentile', 'cluster-percentile']
    """
    check_bootstrap_options(n_resamples=n_resamples, confidence_level=confidence_level, rng=rng)
    gen = np.random.default_rng(rng)
    truth = float(ndtr(d / np.sqrt(2)))
    patient = np.repeat(np.arange(n_patients), slices_per_patient)
    ci = {m: ([], []) for m in ("delong-rows", "row-percentile", "cluster-percentile")}
    failed = {"row-percentile": 0, "cluster-percentile": 0}
    for _ in range(n_simulations):
        z = gen.random(n_patients) < patient_prevalence
        y = (z[patient] & (gen.random(len(patient)) < slice_positive)).astype(np.int8)
        if y.sum() == 0 or y.sum() == len(y):
            continue
        s = d * y + np.sqrt(icc) * gen.normal(size=n_patients)[patient] + np.sqrt(1 - icc) * gen.normal(size=len(y))
        a, v = delong(y, s)
        lo, hi = _delong_ci(float(a[0]), float(v[0, 0]), confidence_level)
        ci["delong-rows"][0].append(lo)
        ci["delong-rows"][1].append(hi)
        for m, cl in (("row-percentile", None), ("cluster-percentile", patient)):
            row = bootstrap_distribution("auc", y, s, cluster=cl, n_resamples=n_resamples, rng=gen).ci(
                confidence_level=confidence_level).iloc[0]
            ci[m][0].append(row.ci_low)
            ci[m][1].append(row.ci_high)
            failed[m] += int(row.n_failed_resamples)
    rows: list[dict] = []
    n_rows = n_patients * slices_per_patient
    for m, (lows, highs) in ci.items():
        _summarise(rows, "clustered slices", n_rows, n_patients, patient_prevalence, truth, m, lows, highs,
                   0 if m == "delong-rows" else n_resamples, failed.get(m, 0), confidence_level)
    return pd.DataFrame(rows, columns=list(COVERAGE_COLUMNS))


#: Columns of :func:`operating_point_coverage`.
OPERATING_COVERAGE_COLUMNS: tuple[str, ...] = (
    "scenario", "n", "prevalence", "threshold", "metric", "truth", "method", "coverage", "mc_se", "below",
    "above", "mean_width", "n_simulations", "n_resamples", "n_failed_resamples", "confidence_level",
)


def operating_point_coverage(
    *,
    n: int = 200,
    prevalence: float = 0.15,
    d: float = 1.5,
    threshold: float = 1.0,
    metrics: Sequence[str] = ("sensitivity", "specificity", "ppv", "npv"),
    designs: Sequence[str] = ("stratified", "cohort"),
    n_simulations: int = 1000,
    n_resamples: int = 1000,
    confidence_level: float = 0.95,
    rng: int | np.random.Generator | None = None,
) -> pd.DataFrame:
    """Coverage of the stratified and the cohort (unstratified) bootstrap at an operating point.

    Each simulated cohort draws ``n`` patients, each a case with probability ``prevalence``
    (cohort sampling: the number of cases varies), with scores ``N(d y, 1)``; a case is
    called positive at ``score >= threshold``.  The truths are ``se = Phi(d - t)``,
    ``sp = Phi(t)`` and PPV, NPV from Bayes' rule at ``prevalence``.  Both designs resample the
    same simulated cohorts (percentile intervals); metrics undefined on a simulated cohort
    (e.g. no positive call) are left out of it.  ``designs``: ``stratified`` (by class),
    ``cohort`` (unstratified).

    Measured (``n_simulations=400, n_resamples=500, rng=20261201``, n = 200, prevalence 0.15,
    d = 1.5, threshold 1): PPV 83.5% stratified vs 96.0% cohort; NPV 91.3% vs 95.8%.

    Returns
    -------
    pandas.DataFrame
        Columns ``scenario, n, prevalence, threshold, metric, truth, method, coverage, mc_se,
        below, above, mean_width, n_simulations, n_resamples, n_failed_resamples,
        confidence_level``; ``method`` is ``stratified-bootstrap-percentile`` or
        ``bootstrap-percentile`` (cohort).

    Examples
    --------
    >>> tab = operating_point_coverage(n_simulations=10, n_resamples=100, rng=0)
    >>> tab[["metric", "method"]].values.tolist()[:2]
    [['sensitivity', 'stratified-bootstrap-percentile'], ['sensitivity', 'bootstrap-percentile']]
    """
    from hemstats.stats.diagnostic.operating_points import METRICS, _Metric

    check_bootstrap_options(n_resamples=n_resamples, confidence_level=confidence_level, rng=rng)
    unknown = sorted(set(metrics) - set(METRICS))
    if unknown:
        raise InputError(f"metrics: unknown {unknown}; choose from {METRICS}")
    if not 0 < prevalence < 1:
        raise InputError(f"prevalence must be in (0, 1), got {prevalence!r}")
    se, sp = float(ndtr(d - threshold)), float(ndtr(threshold))
    truth = {"sensitivity": se, "specificity": sp,
             "ppv": prevalence * se / (prevalence * se + (1 - prevalence) * (1 - sp)),
             "npv": (1 - prevalence) * sp / ((1 - prevalence) * sp + prevalence * (1 - se)),
             "accuracy": prevalence * se + (1 - prevalence) * sp, "balanced_accuracy": (se + sp) / 2,
             "youden_j": se + sp - 1}
    truth["f1"] = 2 * truth["ppv"] * se / (truth["ppv"] + se)
    gen = np.random.default_rng(rng)
    known = {"stratified": ("stratified-bootstrap-percentile", True), "cohort": ("bootstrap-percentile", False)}
    if isinstance(designs, str) or not designs or any(x not in known for x in designs):
        raise InputError(f"designs: expected a sequence of {tuple(known)}, got {designs!r}")
    designs = tuple(known[x] for x in designs)
    ci = {(m, code): ([], []) for m in metrics for code, _ in designs}
    failed = dict.fromkeys(ci, 0)
    for _ in range(n_simulations):  # a loop over simulated cohorts, not over resamples
        y = (gen.random(n) < prevalence).astype(np.int8)
        if y.sum() < 2 or y.sum() > n - 2:
            continue
        s = gen.normal(d * y, 1.0)
        for m in metrics:
            for code, strat in designs:
                row = bootstrap_distribution(_Metric(m, threshold), y, s, stratify=strat, n_resamples=n_resamples,
                                             rng=gen).ci(confidence_level=confidence_level).iloc[0]
                if np.isfinite(row.estimate):
                    ci[(m, code)][0].append(row.ci_low)
                    ci[(m, code)][1].append(row.ci_high)
                    failed[(m, code)] += int(row.n_failed_resamples)
    rows: list[dict] = []
    for (m, code), (lows, highs) in ci.items():
        tmp: list[dict] = []
        _summarise(tmp, "cohort sampling", n, n, prevalence, truth[m], code, lows, highs, n_resamples,
                   failed[(m, code)], confidence_level)
        r = tmp[0]
        rows.append({**{k: r[k] for k in OPERATING_COVERAGE_COLUMNS if k in r}, "threshold": threshold,
                     "metric": m, "truth": truth[m]})
    return pd.DataFrame(rows, columns=list(OPERATING_COVERAGE_COLUMNS))
