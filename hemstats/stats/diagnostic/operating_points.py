"""Operating-point metrics, pointwise ROC bands and the ``performance`` aggregate.

* :func:`threshold_metrics`: sensitivity, specificity, PPV, NPV, F1, accuracy, balanced
  accuracy and Youden's J at a threshold, or at the threshold reaching a target sensitivity
  or specificity, with Wilson / Clopper-Pearson or bootstrap intervals.
* :func:`roc_band`: sensitivity at fixed specificities (or the reverse) with a pointwise
  bootstrap band, as ``pROC::ci.se`` / ``pROC::ci.sp``; the curve a ROC figure draws.
* :func:`reader_operating_points`: each reader's sensitivity and specificity against the
  reference, to draw on the same ROC axes.
* :func:`performance`: AUC, average precision and the operating-point metrics for every
  dataset x level x finding x model (x subgroup) of a Cohort, in one long frame.

A case is called positive when ``score >= threshold`` (as ``pROC::coords``).
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeAlias, cast

import numpy as np
import pandas as pd

from hemstats.errors import InputError
from hemstats.stats._core.columns import result_columns, result_frame
from hemstats.stats._core.intervals import interval as proportion_interval
from hemstats.stats._core.options import check_bootstrap_options, method_code
from hemstats.stats._core.types import CONFIDENCE_LEVEL, N_RESAMPLES, BootstrapMethod, By, Findings, Level, Seed
from hemstats.stats.diagnostic._data import model_arrays, prepare, reason_join, unmatched_note
from hemstats.stats.diagnostic.auc import AucInterval, auc, average_precision
from hemstats.stats.diagnostic.curves import BAND_COLUMNS, reader_operating_points, roc_band
from hemstats.stats.resampling.engine import bootstrap_distribution
from hemstats.stats.resampling.statistics import CodedStatistic

if TYPE_CHECKING:
    from hemstats.cohort import Cohort

__all__ = [
    "threshold_metrics",
    "roc_band",
    "reader_operating_points",
    "performance",
    "OperatingPointStatistic",
    "ProportionsInterval",
    "METRICS",
    "THRESHOLD_COLUMNS",
    "BAND_COLUMNS",
    "PERFORMANCE_COLUMNS",
]

#: Operating-point metrics, in the order tables show them.
METRICS: tuple[str, ...] = (
    "sensitivity", "specificity", "ppv", "npv", "f1", "accuracy", "balanced_accuracy", "youden_j",
)
_PROPORTIONS = ("sensitivity", "specificity", "ppv", "npv", "accuracy")
#: Interval of the operating-point proportions: Wilson, Clopper-Pearson, the bootstrap, or
#: ``auto`` (Wilson for independent rows, the cluster bootstrap for clustered ones).
ProportionsInterval: TypeAlias = Literal["auto", "wilson", "clopper-pearson", "bootstrap"]
_INTERVALS: tuple[str, ...] = ("auto", "wilson", "clopper-pearson", "bootstrap")
_OWN: tuple[str, ...] = ("model", "operating_point", "threshold")
#: Columns of :func:`threshold_metrics`.
THRESHOLD_COLUMNS: tuple[str, ...] = tuple(result_columns(extra=_OWN))
#: Columns of :func:`performance` (those of :func:`threshold_metrics`).
PERFORMANCE_COLUMNS: tuple[str, ...] = THRESHOLD_COLUMNS


# --------------------------------------------------------------------------------------------
# counts -> metrics (vectorised over resamples)
# --------------------------------------------------------------------------------------------
def _metric_values(tp, fp, tn, fn) -> dict[str, np.ndarray]:
    tp, fp, tn, fn = (np.asarray(v, dtype=np.float64) for v in (tp, fp, tn, fn))
    with np.errstate(invalid="ignore", divide="ignore"):
        se = tp / (tp + fn)
        sp = tn / (tn + fp)
        return {
            "sensitivity": se,
            "specificity": sp,
            "ppv": tp / (tp + fp),
            "npv": tn / (tn + fn),
            "f1": 2 * tp / (2 * tp + fp + fn),
            "accuracy": (tp + tn) / (tp + fp + tn + fn),
            "balanced_accuracy": (se + sp) / 2,
            "youden_j": se + sp - 1,
        }


def _denominators(tp, fp, tn, fn) -> dict[str, tuple[int, int]]:
    """(successes, trials) of each proportion metric."""
    return {
        "sensitivity": (tp, tp + fn), "specificity": (tn, tn + fp), "ppv": (tp, tp + fp),
        "npv": (tn, tn + fn), "accuracy": (tp + tn, tp + fp + tn + fn),
    }


class OperatingPointStatistic(CodedStatistic):
    """One operating-point metric at a fixed threshold, as a vectorised bootstrap statistic.

    Examples
    --------
    >>> import numpy as np
    >>> stat = OperatingPointStatistic("sensitivity", 0.5)
    >>> float(stat(np.array([0, 1, 1]), np.array([0.2, 0.7, 0.4]), np.ones((1, 3)))[0])
    0.5
    """

    def __init__(self, metric: str, threshold: float) -> None:
        self.metric, self.threshold, self.name = metric, threshold, metric
        self.bounds = (-1.0, 1.0) if metric == "youden_j" else (0.0, 1.0)

    def codes(self, y, score):
        codes = 2 * (score >= self.threshold).astype(np.int64) + y.astype(np.int64)

        def finalize(t: np.ndarray) -> np.ndarray:  # columns: tn, fn, fp, tp
            return _metric_values(t[:, 3], t[:, 2], t[:, 0], t[:, 1])[self.metric]

        return codes, 4, finalize


def _target_threshold(y: np.ndarray, s: np.ndarray, kind: str, target: float) -> float:
    """Highest threshold with sensitivity >= target, or lowest with specificity >= target."""
    pos, neg = np.sort(s[y == 1])[::-1], np.sort(s[y == 0])
    if kind == "sensitivity":
        k = int(np.ceil(target * len(pos) - 1e-12))
        return float(pos[max(k, 1) - 1]) if len(pos) else np.nan
    if not len(neg):
        return np.nan
    k = int(np.ceil(target * len(neg) - 1e-12))
    if k == 0:
        return float(np.min(s))
    above = np.unique(s[s > neg[k - 1]])
    return float(above[0]) if len(above) else float(np.nextafter(np.max(s), np.inf))


def _check_number(name: str, value: Any, low: float, high: float, *, open_low: bool = True) -> None:
    ok = isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))
    if not ok or not ((low < value if open_low else low <= value) and value <= high):
        raise InputError(f"{name} must be a number in {'(' if open_low else '['}{low:g}, {high:g}], "
                                    f"got {value!r}")


def _check_target(name: str, value: float | None) -> None:
    if value is not None:
        _check_number(name, value, 0.0, 1.0)


#: Metrics that do not depend on prevalence: resampled stratified by class by default.
CLASS_CONDITIONAL: tuple[str, ...] = ("sensitivity", "specificity", "balanced_accuracy", "youden_j")


def threshold_metrics(
    data: Cohort | pd.DataFrame,
    *,
    labels: pd.DataFrame | None = None,
    studies: pd.DataFrame | None = None,
    threshold: float | None = 0.5,
    target_sensitivity: float | None = None,
    target_specificity: float | None = None,
    findings: Findings = None,
    level: Level | None = None,
    by: By = None,
    reference: str = "consensus",
    interval: ProportionsInterval = "auto",
    bootstrap_method: BootstrapMethod = "percentile",
    cluster: str | None = "auto",
    stratify: bool | None = None,
    confidence_level: float = CONFIDENCE_LEVEL,
    n_resamples: int = N_RESAMPLES,
    rng: Seed = None,
) -> pd.DataFrame:
    """Sensitivity, specificity, PPV, NPV, F1, accuracy, balanced accuracy and Youden's J.

    Each requested operating point gives one row per metric: the fixed ``threshold``, the
    highest threshold whose sensitivity reaches ``target_sensitivity``, the lowest whose
    specificity reaches ``target_specificity`` (thresholds are observed scores).  A case is
    positive when ``score >= threshold``.

    Resampling design (``stratify=None``, the default): sensitivity, specificity, balanced
    accuracy and Youden's J do not depend on prevalence and are resampled stratified by class
    (``stratified-bootstrap-...``); PPV, NPV, F1 and accuracy depend on prevalence and are
    resampled as the cohort was sampled, unstratified (``bootstrap-...``).  A class-stratified
    bootstrap of PPV/NPV fixes the prevalence and under-covers (86-88% for a nominal 95% at
    n = 200, prevalence 0.15); the cohort bootstrap covers 93-97% (slow test).

    Parameters
    ----------
    data, labels, studies, findings, level, by, reference
        As :func:`hemstats.stats.auc`: a Cohort, or the predictions table with ``labels=``.
        A ``by`` subgroup with one class gets NaN where a metric is undefined, with a
        ``reason``, never an error.
    threshold : float or None, default 0.5
    target_sensitivity, target_specificity : float in (0, 1], optional
    interval : {"auto", "wilson", "clopper-pearson", "bootstrap"}
        Interval of the five proportions: Wilson / Clopper-Pearson (statsmodels
        ``proportion_confint``: ``wilson`` or ``beta``), or the bootstrap.  ``auto`` (default):
        Wilson for independent rows, the cluster bootstrap for clustered ones (slices).  A
        bootstrap interval of a proportion that would have zero width (an estimate of 0 or 1:
        every resample agrees) is replaced by the Wilson interval, and ``reason`` says so.
        F1, balanced accuracy and Youden's J always get a bootstrap interval (held at the
        threshold; clipped to the metric's range).
    cluster : "auto", str or None
        As :func:`hemstats.stats.auc`: slices are clustered by patient by default.  The closed
        forms assume independent rows, so an explicit ``wilson``/``clopper-pearson`` with
        clustered rows raises.
    stratify : bool or None
        ``None``: the design above; ``True``/``False`` force it for every metric.
    bootstrap_method, confidence_level, n_resamples, rng
        As :func:`hemstats.stats.auc`.

    Returns
    -------
    pandas.DataFrame
        Columns ``dataset, level, finding, subgroup, subgroup_value, model, operating_point,
        threshold, metric, estimate, ci_low, ci_high, n, n_positive, method, confidence_level,
        n_resamples, n_failed_resamples, n_clusters, reason``.  ``n`` is the metric's
        denominator (cases for sensitivity, calls for PPV...); ``n_positive`` the cases.  A
        zero denominator (e.g. PPV when the threshold is above every score) gives NaN and a
        ``reason``; a threshold outside the score range is noted in ``reason``.

    Notes
    -----
    Validated against: ``pROC::coords(roc, x=threshold, input="threshold")`` (se, sp, ppv,
    npv, accuracy, to 1e-12); statsmodels ``proportion_confint``; bootstrap replicates equal
    a loop on the same indices.

    Examples
    --------
    >>> from hemstats.datasets import demo
    >>> cohort = demo.load(n_studies=200)
    >>> res = threshold_metrics(cohort, findings="any", level="study", threshold=0.5, cluster=None,
    ...                         n_resamples=200, rng=0)
    >>> res.query("model == 'model_a'")[["metric", "method"]].values.tolist()[:3]
    [['sensitivity', 'wilson'], ['specificity', 'wilson'], ['ppv', 'wilson']]
    >>> sens = res.query("model == 'model_a' and metric == 'sensitivity'")
    >>> bool(sens.ci_low.iloc[0] <= sens.estimate.iloc[0] <= sens.ci_high.iloc[0])
    True
    >>> res.query("model == 'model_a'").set_index("metric").method[["f1", "youden_j"]].tolist()
    ['bootstrap-percentile', 'stratified-bootstrap-percentile']
    """
    where = "threshold_metrics"
    if not isinstance(interval, str) or interval not in _INTERVALS:
        raise InputError(f"{where}: interval must be one of {_INTERVALS}, got {interval!r}")
    check_bootstrap_options(n_resamples=n_resamples, confidence_level=confidence_level,
                            bootstrap_method=bootstrap_method, rng=rng)
    if stratify is not None and not isinstance(stratify, bool | np.bool_):
        raise InputError(f"{where}: stratify must be True, False or None (each metric's design), got {stratify!r}")
    _check_target("target_sensitivity", target_sensitivity)
    _check_target("target_specificity", target_specificity)
    if threshold is None and target_sensitivity is None and target_specificity is None:
        raise InputError(f"{where}: give a threshold, a target_sensitivity or a target_specificity")
    if threshold is not None and not (isinstance(threshold, numbers.Real) and not isinstance(threshold, bool)
                                      and np.isfinite(threshold)):
        raise InputError(f"{where}: threshold must be a finite number, got {threshold!r}")
    joined, unmatched, cluster_col = prepare(data, where=where, labels=labels, studies=studies, reference=reference,
                                             findings=findings, level=level, cluster=cluster, by=by)
    gen = np.random.default_rng(rng)
    rows: list[dict[str, Any]] = []
    for group, model, y, s, cc in model_arrays(joined, cluster_col):
        if cc is not None and interval in ("wilson", "clopper-pearson"):
            raise InputError(
                f"{where}: interval={interval!r} assumes independent rows, but the {group['level']} rows of dataset "
                f"{group['dataset']!r} are clustered: use interval='bootstrap' (or 'auto'), or cluster=None"
            )
        how = ("bootstrap" if cc is not None else "wilson") if interval == "auto" else interval
        n_clusters = len(y) if cc is None else len(pd.unique(cc))
        note = unmatched_note(unmatched, group, model)
        points = []
        if threshold is not None:
            points.append(("threshold", float(threshold)))
        for kind, target in (("sensitivity", target_sensitivity), ("specificity", target_specificity)):
            if target is not None:
                points.append((f"{kind}>={target:g}", _target_threshold(y, s, kind, target)))
        seed = int(gen.integers(2**63 - 1))
        for name, thr in points:
            rows.extend(_point_rows(group, model, name, thr, y, s, cc, n_clusters, note, how,
                                    bootstrap_method, stratify, confidence_level, n_resamples, seed))
    return result_frame(rows, extra=_OWN)


def _point_rows(group: dict[str, Any], model: str, name: str, thr: float, y: np.ndarray, s: np.ndarray,
                cc: np.ndarray | None, n_clusters: int, note: str | None, ci: str, bootstrap_method: BootstrapMethod,
                stratify: bool | None, confidence_level: float, n_resamples: int, seed: int) -> list[dict[str, Any]]:
    call = s >= thr
    pos = y.astype(bool)
    tp, fp = int((pos & call).sum()), int((~pos & call).sum())
    fn, tn = int((pos & ~call).sum()), int((~pos & ~call).sum())
    values = _metric_values(tp, fp, tn, fn)
    dens = _denominators(tp, fp, tn, fn)
    range_note = None
    if np.isfinite(thr) and (thr > s.max() or thr <= s.min()):
        side = "above every score: no positive calls" if thr > s.max() else "at or below every score: every case called positive"
        range_note = f"threshold {thr:g} outside the score range [{s.min():g}, {s.max():g}], {side}"
    out = []
    dists = {}
    strat = {m: (m in CLASS_CONDITIONAL) if stratify is None else bool(stratify) for m in METRICS}
    codes = {m: method_code(bootstrap_method, stratified=strat[m], clustered=cc is not None) for m in METRICS}
    need_boot = [m for m in METRICS if ci == "bootstrap" or m not in _PROPORTIONS]
    if len(np.unique(y)) == 2 and len(y) >= 2 and np.isfinite(thr):
        for metric in need_boot:
            dists[metric] = bootstrap_distribution(
                statistic=OperatingPointStatistic(metric, thr), y=y, score=s, model=[model], cluster=cc, stratify=strat[metric],
                n_resamples=n_resamples, rng=seed, jackknife=bootstrap_method == "bca",
            )
    for metric in METRICS:
        est = float(values[metric])
        n_den = dens[metric][1] if metric in dens else len(y)
        base = {**group, "model": model, "operating_point": name, "threshold": thr, "metric": metric,
                "estimate": est, "n": int(n_den), "n_positive": int(pos.sum()), "n_clusters": n_clusters,
                "confidence_level": float(confidence_level)}
        reason = [note, range_note]
        if not np.isfinite(est):
            reason.append(f"{metric} undefined: zero denominator (tp={tp}, fp={fp}, tn={tn}, fn={fn})")
        closed = None  # a closed-form interval: asked for, or replacing a zero-width bootstrap
        if metric in _PROPORTIONS and ci != "bootstrap":
            closed = ci
        elif metric in _PROPORTIONS and np.isfinite(est) and est in (0.0, 1.0) and metric in dists:
            closed = "wilson"
            reason.append(f"every resample gives {metric} = {est:g}: a bootstrap interval would have zero width; "
                          "Wilson interval instead (assumes independent rows)")
        if closed is not None:
            k, n = dens[metric]
            lo, hi = proportion_interval(k, n, confidence_level, cast(Any, closed)) if n > 0 else (np.nan, np.nan)
            out.append({**base, "ci_low": float(lo), "ci_high": float(hi), "method": closed, "n_resamples": 0,
                        "n_failed_resamples": 0, "reason": reason_join(*reason)})
            continue
        if metric not in dists:
            out.append({**base, "ci_low": np.nan, "ci_high": np.nan, "method": codes[metric],
                        "n_resamples": 0, "n_failed_resamples": 0,
                        "reason": reason_join(*reason, "one class only: no bootstrap interval")})
            continue
        if np.isfinite(est):
            rec = dists[metric].ci(bootstrap_method=bootstrap_method, confidence_level=confidence_level).iloc[0]
            lo, hi, failed, why = rec["ci_low"], rec["ci_high"], int(rec["n_failed_resamples"]), rec["reason"]
            if failed:
                why = reason_join(f"{failed} of {n_resamples} resamples left {metric} undefined; the interval "
                                   "uses the others", *[p for p in str(why).split("; ") if "held one class" not in p])
        else:
            lo = hi = np.nan
            failed, why = 0, None
        out.append({**base, "ci_low": lo, "ci_high": hi, "method": codes[metric],
                    "n_resamples": int(n_resamples), "n_failed_resamples": failed,
                    "reason": reason_join(*reason, why)})
    return out


# --------------------------------------------------------------------------------------------
# everything at once
# --------------------------------------------------------------------------------------------
_PARTS = ("auc", "average_precision", "threshold", "calibration")


def performance(
    data: Cohort | pd.DataFrame,
    *,
    labels: pd.DataFrame | None = None,
    studies: pd.DataFrame | None = None,
    threshold: float | None = 0.5,
    target_sensitivity: float | None = None,
    target_specificity: float | None = None,
    include: str | Sequence[str] = _PARTS,
    findings: Findings = None,
    level: Level | None = None,
    by: By = None,
    reference: str = "consensus",
    auc_interval: AucInterval = "auto",
    interval: ProportionsInterval = "auto",
    bootstrap_method: BootstrapMethod = "percentile",
    cluster: str | None = "auto",
    stratify: bool | None = None,
    confidence_level: float = CONFIDENCE_LEVEL,
    n_resamples: int = N_RESAMPLES,
    rng: Seed = None,
) -> pd.DataFrame:
    """AUC, average precision, operating-point metrics and calibration for every group at once.

    One long frame for every dataset x level x finding x model (x ``by`` subgroup) of a
    Cohort (or of a predictions table with ``labels=``).

    Parameters
    ----------
    threshold, target_sensitivity, target_specificity
        Operating points, as :func:`threshold_metrics`.
    include : sequence of {"auc", "average_precision", "threshold", "calibration"}
        The parts to compute (calibration needs scores in [0, 1]).
    auc_interval : {"auto", "delong", "bootstrap"}
        The ``interval`` of :func:`hemstats.stats.auc`.  ``auto``: DeLong for independent
        rows, the cluster bootstrap for clustered ones (slices are clustered by patient by
        default, ``cluster="auto"``).
    interval : {"auto", "wilson", "clopper-pearson", "bootstrap"}
        The ``interval`` of :func:`threshold_metrics` (the operating-point proportions).
    stratify : bool or None
        ``None`` (default): each metric's design, stratified by class for the AUC,
        sensitivity, specificity, balanced accuracy and Youden's J, unstratified (cohort
        sampling) for average precision, PPV, NPV, F1, accuracy and the Brier score; the
        ``method`` code of each row says which.
    Other parameters
        As :func:`hemstats.stats.auc`.

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`threshold_metrics`.  ``metric`` is ``auc``,
        ``average_precision``, one of :data:`METRICS`, ``brier``, ``calibration_intercept`` or
        ``calibration_slope``; ``operating_point`` and ``threshold`` are missing for
        threshold-free metrics.

    Notes
    -----
    Validated against: the functions it gathers (:func:`hemstats.stats.auc`,
    :func:`threshold_metrics`, :func:`hemstats.stats.calibration`), each validated against
    pROC, R or scikit-learn.

    Examples
    --------
    >>> from hemstats.datasets import demo
    >>> cohort = demo.load(n_studies=200)
    >>> res = performance(cohort, findings="any", level="study", cluster=None, n_resamples=200, rng=0)
    >>> sorted(res.metric.unique())[:4]
    ['accuracy', 'auc', 'average_precision', 'balanced_accuracy']
    >>> res.query("metric == 'auc'")[["model", "method"]].values.tolist()
    [['model_a', 'delong'], ['model_b', 'delong']]
    """
    from hemstats.stats.diagnostic.calibration import calibration

    parts = (include,) if isinstance(include, str) else tuple(include)
    unknown = sorted(set(parts) - set(_PARTS))
    if unknown:
        raise InputError(f"performance: include has unknown parts {unknown}; choose from {_PARTS}")
    if not isinstance(auc_interval, str) or auc_interval not in ("auto", "delong", "bootstrap"):
        raise InputError(f"performance: auc_interval must be one of ('auto', 'delong', 'bootstrap'), "
                         f"got {auc_interval!r}")
    if not isinstance(interval, str) or interval not in _INTERVALS:
        raise InputError(f"performance: interval must be one of {_INTERVALS}, got {interval!r}")
    check_bootstrap_options(n_resamples=n_resamples, confidence_level=confidence_level,
                            bootstrap_method=bootstrap_method, rng=rng)
    gen = np.random.default_rng(rng)
    common: dict[str, Any] = dict(labels=labels, studies=studies, reference=reference, findings=findings,
                                  level=level, cluster=cluster, by=by, confidence_level=confidence_level,
                                  n_resamples=n_resamples, rng=gen, stratify=stratify)
    frames = []
    if "auc" in parts:
        frames.append(auc(data, interval=auc_interval, bootstrap_method=bootstrap_method, **common))
    if "average_precision" in parts:
        frames.append(average_precision(data, bootstrap_method=bootstrap_method, **common))
    if "threshold" in parts and not (threshold is None and target_sensitivity is None and target_specificity is None):
        frames.append(threshold_metrics(data, threshold=threshold, target_sensitivity=target_sensitivity,
                                        target_specificity=target_specificity, interval=interval,
                                        bootstrap_method=bootstrap_method, **common))
    if "calibration" in parts:
        frames.append(calibration(data, **common))
    if not frames:
        return result_frame([], extra=_OWN)
    out = pd.concat([f.reindex(columns=list(PERFORMANCE_COLUMNS)) for f in frames], ignore_index=True)
    return result_frame(out, extra=_OWN)
