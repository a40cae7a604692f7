"""Monte Carlo coverage of the AUC and operating-point intervals: DeLong and the bootstraps.

:func:`auc_ci_coverage` simulates equal-variance binormal scores (true AUC
``Phi(d / sqrt(2))``) with a fixed number of cases, computes every interval on each
simulated sample and reports how often it covers the truth.  :func:`clustered_auc_coverage`
simulates patients with several correlated slices and compares the row bootstrap with the
patient-clustered bootstrap.  :func:`operating_point_coverage` samples cohorts (the number of
cases varies) and compares the class-stratified with the cohort (unstratified) bootstrap of
PPV, NPV, sensitivity and specificity at a fixed threshold.  The book's methods chapter shows
the tables; ``slow`` tests keep them honest.

Every table is a long result (:func:`~hemstats.stats._core.columns.result_frame`): one row
per scenario x studied interval, ``metric = "coverage"``; ``estimate`` is the share of
simulated intervals that cover the truth, ``n_positive`` of ``n`` simulated samples (those
that gave an interval), and ``ci_low, ci_high`` its Monte Carlo (Wilson) interval at the same
``confidence_level`` as the intervals studied (``method = "wilson"``).  Their own columns:
``scenario``, ``statistic`` (whose interval is studied: ``auc``, ``ppv``...), ``interval``
(the studied interval's method code, as the statistics report it: ``delong``,
``stratified-bootstrap-percentile``, ``stratified-cluster-bootstrap-percentile``...),
``sample_size`` (rows of one simulated sample), ``prevalence`` and ``true_value``; after the
estimate ``mc_se`` (Monte Carlo standard error), ``below``/``above`` (shares of intervals
wholly below/above the truth), ``mean_width`` and ``n_simulations`` (asked for).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import ndtr

from hemstats.errors import InputError
from hemstats.stats._core.columns import result_columns, result_frame
from hemstats.stats._core.intervals import proportion_ci
from hemstats.stats._core.options import check_bootstrap_method, check_bootstrap_options, method_code
from hemstats.stats._core.types import CONFIDENCE_LEVEL, Seed
from hemstats.stats.diagnostic.auc import delong, delong_ci
from hemstats.stats.diagnostic.operating_points import METRICS, OperatingPointStatistic
from hemstats.stats.resampling.engine import bootstrap_distribution

__all__ = [
    "auc_ci_coverage",
    "clustered_auc_coverage",
    "operating_point_coverage",
    "COVERAGE_COLUMNS",
    "OPERATING_COVERAGE_COLUMNS",
    "AUC_INTERVALS",
]

_EXTRA = ("scenario", "statistic", "interval", "sample_size", "prevalence", "true_value")
_AFTER = ("mc_se", "below", "above", "mean_width", "n_simulations")
#: Columns of :func:`auc_ci_coverage` and :func:`clustered_auc_coverage`.
COVERAGE_COLUMNS: tuple[str, ...] = tuple(result_columns(extra=_EXTRA, after=_AFTER))
#: Columns of :func:`operating_point_coverage` (those of :data:`COVERAGE_COLUMNS` and ``threshold``).
OPERATING_COVERAGE_COLUMNS: tuple[str, ...] = tuple(result_columns(extra=(*_EXTRA, "threshold"), after=_AFTER))
#: Interval families of :func:`auc_ci_coverage`.
AUC_INTERVALS: tuple[str, ...] = ("delong", "bootstrap")


# --------------------------------------------------------------------------------------------
# checks and the summary row
# --------------------------------------------------------------------------------------------
def _whole(name: str, value: Any, low: int = 1) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < low:
        raise InputError(f"{name} must be a whole number >= {low}, got {value!r}")
    return int(value)


def _fraction(name: str, value: Any) -> float:
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))
    if not ok or not 0 < float(value) < 1:
        raise InputError(f"{name} must be a number strictly between 0 and 1, got {value!r}")
    return float(value)


def _real(name: str, value: Any) -> float:
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))
    if not ok or not np.isfinite(value):
        raise InputError(f"{name} must be a finite number, got {value!r}")
    return float(value)


def _choices(name: str, values: Any, allowed: Sequence[str]) -> tuple[str, ...]:
    """A str or a sequence of str from ``allowed`` (a str is one choice, never its letters)."""
    chosen = (values,) if isinstance(values, str) else values
    try:
        chosen = tuple(chosen)
    except TypeError:
        raise InputError(f"{name} must be one of {tuple(allowed)} or a sequence of them, got {values!r}") from None
    bad = [v for v in chosen if not isinstance(v, str) or v not in allowed]
    if bad or not chosen:
        raise InputError(f"{name}: expected some of {tuple(allowed)}, got {values!r}")
    return chosen


def _choices_numbers(name: str, values: Any) -> tuple[Any, ...]:
    """A number or a sequence of numbers, as a tuple (never empty)."""
    chosen = (values,) if np.isscalar(values) else values
    try:
        chosen = tuple(chosen)
    except TypeError:
        raise InputError(f"{name} must be a number or a sequence of numbers, got {values!r}") from None
    if not chosen:
        raise InputError(f"{name}: expected at least one value, got {values!r}")
    return chosen


def _summary(
    lows: Sequence[float], highs: Sequence[float], truth: float, confidence_level: float, n_simulations: int,
    what: str = "simulated samples",
) -> dict[str, Any]:
    """Coverage of intervals ``(lows, highs)`` for ``truth``, with its Monte Carlo interval and spread."""
    low_arr, high_arr = np.asarray(lows, dtype=np.float64), np.asarray(highs, dtype=np.float64)
    ok = np.isfinite(low_arr) & np.isfinite(high_arr)
    low_arr, high_arr = low_arr[ok], high_arr[ok]
    k = int(ok.sum())
    covered = int(((low_arr <= truth) & (truth <= high_arr)).sum())
    p = covered / k if k else np.nan
    mc_low, mc_high = (proportion_ci(covered, k, interval="wilson", confidence_level=confidence_level)
                       if k else (np.nan, np.nan))
    reason = pd.NA
    if k < n_simulations:
        reason = (f"{n_simulations - k} of {n_simulations} {what} gave no interval (one class or undefined); "
                  "coverage is over the others")
    return {
        "metric": "coverage", "estimate": p, "ci_low": float(mc_low), "ci_high": float(mc_high), "n": k,
        "n_positive": covered, "method": "wilson", "confidence_level": confidence_level,
        "mc_se": float(np.sqrt(p * (1 - p) / k)) if k else np.nan,
        "below": float((high_arr < truth).mean()) if k else np.nan,
        "above": float((low_arr > truth).mean()) if k else np.nan,
        "mean_width": float((high_arr - low_arr).mean()) if k else np.nan,
        "n_simulations": n_simulations, "reason": reason,
    }


# --------------------------------------------------------------------------------------------
# AUC
# --------------------------------------------------------------------------------------------
def auc_ci_coverage(
    *,
    sample_size: Sequence[int] = (50, 200, 1000),
    prevalence: Sequence[float] = (0.05, 0.3),
    d: float = 1.5,
    intervals: Sequence[str] = AUC_INTERVALS,
    bootstrap_methods: Sequence[str] = ("percentile", "basic", "bca"),
    n_simulations: int = 400,
    n_resamples: int = 400,
    confidence_level: float = CONFIDENCE_LEVEL,
    rng: Seed = None,
) -> pd.DataFrame:
    """Coverage of AUC intervals on simulated binormal data, per sample size x prevalence x interval.

    Each sample has ``max(2, round(sample_size * prevalence))`` cases; scores are ``N(d y, 1)``,
    so the true AUC is ``Phi(d / sqrt(2))`` (0.856 for ``d = 1.5``).  Bootstrap intervals are
    stratified by class (as pROC) and share one bootstrap distribution per sample.

    Parameters
    ----------
    sample_size : sequence of int
        Rows of one simulated sample (each at least 4).
    prevalence : sequence of float
        Share of cases, strictly between 0 and 1.
    d : float, default 1.5
        Separation of the classes' scores.
    intervals : {"delong", "bootstrap"} or a sequence of them
        Interval families to study.
    bootstrap_methods : sequence of {"percentile", "basic", "bca"}
        The bootstrap intervals studied when ``intervals`` holds ``bootstrap``.
    n_simulations : int, default 400
        Simulated samples per cell.
    n_resamples : int, default 400
        Bootstrap resamples per simulated sample.
    confidence_level : float, default 0.95
        Nominal level of every interval studied (and of the Monte Carlo interval of the coverage).
    rng : None, int or numpy.random.Generator
        One stream; cells are drawn in table order (so a cell computed alone with the same seed
        is the first cell of the full table).

    Returns
    -------
    pandas.DataFrame
        :data:`COVERAGE_COLUMNS` (see the module): ``scenario = "independent"``, ``statistic =
        "auc"``, ``interval`` ``delong`` or ``stratified-bootstrap-<method>``, ``true_value`` the
        true AUC; ``n_resamples`` and ``n_failed_resamples`` (summed over the simulations) are
        missing for DeLong; ``n_clusters`` is ``sample_size`` (independent rows).

    Examples
    --------
    >>> tab = auc_ci_coverage(sample_size=[100], prevalence=[0.3], n_simulations=20, n_resamples=100, rng=0)
    >>> tab.interval.tolist()
    ['delong', 'stratified-bootstrap-percentile', 'stratified-bootstrap-basic', 'stratified-bootstrap-bca']
    >>> tab[["metric", "n", "n_simulations"]].drop_duplicates().to_dict("records")
    [{'metric': 'coverage', 'n': 20, 'n_simulations': 20}]
    """
    check_bootstrap_options(n_resamples=n_resamples, confidence_level=confidence_level, rng=rng)
    families = _choices("intervals", intervals, AUC_INTERVALS)
    boot = [check_bootstrap_method(m, "bootstrap_methods") for m in
            _choices("bootstrap_methods", bootstrap_methods, ("percentile", "basic", "bca"))] if "bootstrap" in families else []
    n_simulations = _whole("n_simulations", n_simulations)
    sizes = [_whole("sample_size", s, 4) for s in _choices_numbers("sample_size", sample_size)]
    prevalences = [_fraction("prevalence", p) for p in _choices_numbers("prevalence", prevalence)]
    d = _real("d", d)
    gen = np.random.default_rng(rng)
    truth = float(ndtr(d / np.sqrt(2)))
    studied = (["delong"] if "delong" in families else []) + boot
    rows: list[dict[str, Any]] = []
    for size in sizes:
        for prev in prevalences:
            n_pos = min(size - 2, max(2, round(size * prev)))
            y = np.r_[np.ones(n_pos, dtype=np.int8), np.zeros(size - n_pos, dtype=np.int8)]
            ci: dict[str, tuple[list[float], list[float]]] = {m: ([], []) for m in studied}
            failed = 0
            for _ in range(n_simulations):  # a loop over simulated samples, not over resamples
                s = gen.normal(d * y, 1.0)
                if "delong" in families:
                    a, v = delong(y, s)
                    lo, hi = delong_ci(float(a[0]), float(v[0, 0]), confidence_level)
                    ci["delong"][0].append(lo)
                    ci["delong"][1].append(hi)
                if boot:
                    dist = bootstrap_distribution(y, s, n_resamples=n_resamples, rng=gen, jackknife="bca" in boot)
                    failed += int((~np.isfinite(dist.distribution)).sum())  # the same for every method
                    for m in boot:
                        row = dist.ci(bootstrap_method=m, confidence_level=confidence_level).iloc[0]  # type: ignore[arg-type]
                        ci[m][0].append(row.ci_low)
                        ci[m][1].append(row.ci_high)
            for m in studied:
                bootstrapped = m != "delong"
                rows.append({
                    "scenario": "independent", "statistic": "auc",
                    "interval": method_code(m, stratified=True, clustered=False) if bootstrapped else "delong",
                    "sample_size": size, "prevalence": prev, "true_value": truth,
                    **_summary(*ci[m], truth, confidence_level, n_simulations),
                    "n_resamples": n_resamples if bootstrapped else pd.NA,
                    "n_failed_resamples": failed if bootstrapped else pd.NA, "n_clusters": size,
                })
    return result_frame(rows, extra=_EXTRA, after=_AFTER)


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
    confidence_level: float = CONFIDENCE_LEVEL,
    rng: Seed = None,
) -> pd.DataFrame:
    """Coverage of the row and the patient-clustered bootstrap with correlated slices.

    Patients are positive with ``patient_prevalence``; a positive patient's slices are
    positive with probability ``slice_positive``.  A slice scores ``d y + u + e`` with a
    patient effect ``u ~ N(0, icc)`` and ``e ~ N(0, 1 - icc)``, so each class's scores are
    ``N(d y, 1)`` and the AUC over pairs of slices from different patients is
    ``Phi(d / sqrt(2))``.  (Pairs within one patient, about 1/``n_patients`` of all pairs,
    rank a little better; the bias this leaves is ~0.001, well inside the Monte Carlo error.)
    A simulated sample with one class gives no interval (counted out of ``n``, see ``reason``).

    Parameters
    ----------
    n_patients, slices_per_patient : int
        Patients (clusters) and slices per patient of one simulated sample.
    patient_prevalence, slice_positive : float
        Share of positive patients; share of positive slices in a positive patient.
    d : float, default 1.5
        Separation of the classes' scores.
    icc : float, default 0.5
        Share of the score variance that is the patient's (strictly between 0 and 1).
    n_simulations, n_resamples, confidence_level, rng
        As :func:`auc_ci_coverage`.

    Returns
    -------
    pandas.DataFrame
        :data:`COVERAGE_COLUMNS`: ``scenario = "clustered slices"``, ``interval`` ``delong``
        (slices as independent rows), ``stratified-bootstrap-percentile`` (resampling slices,
        by class) or ``stratified-cluster-bootstrap-percentile`` (resampling patients,
        stratified by patient class); ``sample_size`` slices, ``n_clusters`` patients,
        ``prevalence`` the patient prevalence.

    Examples
    --------
    >>> tab = clustered_auc_coverage(n_patients=30, n_simulations=10, n_resamples=50, rng=0)
    >>> tab.interval.tolist()
    ['delong', 'stratified-bootstrap-percentile', 'stratified-cluster-bootstrap-percentile']
    """
    check_bootstrap_options(n_resamples=n_resamples, confidence_level=confidence_level, rng=rng)
    n_patients = _whole("n_patients", n_patients, 2)
    slices_per_patient = _whole("slices_per_patient", slices_per_patient)
    patient_prevalence = _fraction("patient_prevalence", patient_prevalence)
    slice_positive = _fraction("slice_positive", slice_positive)
    icc = _fraction("icc", icc)
    d = _real("d", d)
    n_simulations = _whole("n_simulations", n_simulations)
    gen = np.random.default_rng(rng)
    truth = float(ndtr(d / np.sqrt(2)))
    patient = np.repeat(np.arange(n_patients), slices_per_patient)
    codes = {
        "delong": "delong",
        "rows": method_code("percentile", stratified=True, clustered=False),
        "patients": method_code("percentile", stratified=True, clustered=True),
    }
    ci: dict[str, tuple[list[float], list[float]]] = {m: ([], []) for m in codes}
    failed = {"rows": 0, "patients": 0}
    for _ in range(n_simulations):
        z = gen.random(n_patients) < patient_prevalence
        y = (z[patient] & (gen.random(len(patient)) < slice_positive)).astype(np.int8)
        if y.sum() == 0 or y.sum() == len(y):
            continue
        s = d * y + np.sqrt(icc) * gen.normal(size=n_patients)[patient] + np.sqrt(1 - icc) * gen.normal(size=len(y))
        a, v = delong(y, s)
        lo, hi = delong_ci(float(a[0]), float(v[0, 0]), confidence_level)
        ci["delong"][0].append(lo)
        ci["delong"][1].append(hi)
        for m, cl in (("rows", None), ("patients", patient)):
            row = bootstrap_distribution(y, s, cluster=cl, n_resamples=n_resamples, rng=gen).ci(
                confidence_level=confidence_level).iloc[0]
            ci[m][0].append(row.ci_low)
            ci[m][1].append(row.ci_high)
            failed[m] += int(row.n_failed_resamples)
    rows = [
        {
            "scenario": "clustered slices", "statistic": "auc", "interval": codes[m],
            "sample_size": n_patients * slices_per_patient, "prevalence": patient_prevalence, "true_value": truth,
            **_summary(lows, highs, truth, confidence_level, n_simulations),
            "n_resamples": pd.NA if m == "delong" else n_resamples,
            "n_failed_resamples": pd.NA if m == "delong" else failed[m], "n_clusters": n_patients,
        }
        for m, (lows, highs) in ci.items()
    ]
    return result_frame(rows, extra=_EXTRA, after=_AFTER)


# --------------------------------------------------------------------------------------------
# operating points
# --------------------------------------------------------------------------------------------
def operating_point_coverage(
    *,
    sample_size: int = 200,
    prevalence: float = 0.15,
    d: float = 1.5,
    threshold: float = 1.0,
    statistics: Sequence[str] = ("sensitivity", "specificity", "ppv", "npv"),
    designs: Sequence[str] = ("stratified", "cohort"),
    n_simulations: int = 1000,
    n_resamples: int = 1000,
    confidence_level: float = CONFIDENCE_LEVEL,
    rng: Seed = None,
) -> pd.DataFrame:
    """Coverage of the stratified and the cohort (unstratified) bootstrap at an operating point.

    Each simulated cohort draws ``sample_size`` patients, each a case with probability
    ``prevalence`` (cohort sampling: the number of cases varies), with scores ``N(d y, 1)``;
    a case is called positive at ``score >= threshold``.  The truths are ``se = Phi(d - t)``,
    ``sp = Phi(t)`` and PPV, NPV from Bayes' rule at ``prevalence``.  Both designs resample
    the same simulated cohorts (percentile intervals); a cohort with fewer than 2 cases or
    controls is skipped, and a statistic undefined on a cohort (e.g. no positive call) is left
    out of it (both counted out of ``n``, see ``reason``).

    Measured (``n_simulations=400, n_resamples=500, rng=20261201``, 200 patients, prevalence 0.15,
    d = 1.5, threshold 1): PPV 83.5% stratified vs 96.0% cohort; NPV 91.3% vs 95.8%.

    Parameters
    ----------
    sample_size : int, default 200
        Patients of one simulated cohort.
    prevalence : float, default 0.15
        Probability that a patient is a case.
    d : float, default 1.5
        Separation of the classes' scores.
    threshold : float, default 1.0
        Scores at or above it are positive calls.
    statistics : str or sequence of str
        Operating-point metrics whose intervals are studied (of
        :data:`~hemstats.stats.diagnostic.operating_points.METRICS`).
    designs : {"stratified", "cohort"} or a sequence of them
        Resampling by class (``stratified``) or of the cohort as sampled (``cohort``).
    n_simulations, n_resamples, confidence_level, rng
        As :func:`auc_ci_coverage`.

    Returns
    -------
    pandas.DataFrame
        :data:`OPERATING_COVERAGE_COLUMNS`: ``scenario = "cohort sampling"``, ``statistic``
        the metric, ``interval`` ``stratified-bootstrap-percentile`` or
        ``bootstrap-percentile`` (cohort), ``threshold``; statistic-major order.

    Examples
    --------
    >>> tab = operating_point_coverage(n_simulations=10, n_resamples=100, rng=0)
    >>> tab[["statistic", "interval"]].values.tolist()[:2]
    [['sensitivity', 'stratified-bootstrap-percentile'], ['sensitivity', 'bootstrap-percentile']]
    """
    check_bootstrap_options(n_resamples=n_resamples, confidence_level=confidence_level, rng=rng)
    chosen = _choices("statistics", statistics, METRICS)
    known = {"stratified": True, "cohort": False}
    strata = [known[x] for x in _choices("designs", designs, tuple(known))]
    sample_size = _whole("sample_size", sample_size, 4)
    prevalence = _fraction("prevalence", prevalence)
    d, threshold = _real("d", d), _real("threshold", threshold)
    n_simulations = _whole("n_simulations", n_simulations)
    se, sp = float(ndtr(d - threshold)), float(ndtr(threshold))
    truth = {"sensitivity": se, "specificity": sp,
             "ppv": prevalence * se / (prevalence * se + (1 - prevalence) * (1 - sp)),
             "npv": (1 - prevalence) * sp / ((1 - prevalence) * sp + prevalence * (1 - se)),
             "accuracy": prevalence * se + (1 - prevalence) * sp, "balanced_accuracy": (se + sp) / 2,
             "youden_j": se + sp - 1}
    truth["f1"] = 2 * truth["ppv"] * se / (truth["ppv"] + se)
    gen = np.random.default_rng(rng)
    ci: dict[tuple[str, bool], tuple[list[float], list[float]]] = {(m, st): ([], []) for m in chosen for st in strata}
    failed = dict.fromkeys(ci, 0)
    for _ in range(n_simulations):  # a loop over simulated cohorts, not over resamples
        y = (gen.random(sample_size) < prevalence).astype(np.int8)
        if y.sum() < 2 or y.sum() > sample_size - 2:
            continue
        s = gen.normal(d * y, 1.0)
        for m in chosen:
            for st in strata:
                row = bootstrap_distribution(y, s, statistic=OperatingPointStatistic(m, threshold), stratify=st,
                                             n_resamples=n_resamples, rng=gen).ci(
                    confidence_level=confidence_level).iloc[0]
                if np.isfinite(row.estimate):
                    ci[(m, st)][0].append(row.ci_low)
                    ci[(m, st)][1].append(row.ci_high)
                    failed[(m, st)] += int(row.n_failed_resamples)
    rows = [
        {
            "scenario": "cohort sampling", "statistic": m,
            "interval": method_code("percentile", stratified=st, clustered=False),
            "sample_size": sample_size, "prevalence": prevalence, "true_value": truth[m], "threshold": threshold,
            **_summary(lows, highs, truth[m], confidence_level, n_simulations, "simulated cohorts"),
            "n_resamples": n_resamples, "n_failed_resamples": failed[(m, st)], "n_clusters": sample_size,
        }
        for (m, st), (lows, highs) in ci.items()
    ]
    return result_frame(rows, extra=(*_EXTRA, "threshold"), after=_AFTER)
