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

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from hemstats.stats._proportion import interval as _interval
from hemstats.stats.bootstrap import PerformanceInputError, _chunk, _design, _replicates, bootstrap_distribution
from hemstats.stats.bootstrap_statistics import _CodedStatistic, tie_group_codes
from hemstats.stats.performance_data import (
    GROUP_COLUMNS,
    _finish,
    _groups,
    _prepare,
    _reason_join,
    _reference,
    _wide,
)
from hemstats.stats.roc import auc, average_precision

__all__ = [
    "threshold_metrics",
    "roc_band",
    "reader_operating_points",
    "performance",
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
#: Columns of :func:`threshold_metrics`.
THRESHOLD_COLUMNS: tuple[str, ...] = (
    *GROUP_COLUMNS, "model", "operating_point", "threshold", "metric", "estimate", "ci_low", "ci_high",
    "n", "n_positive", "n_clusters", "method", "confidence_level", "n_resamples", "n_failed_resamples", "reason",
)
#: Columns of :func:`roc_band`.
BAND_COLUMNS: tuple[str, ...] = (
    *GROUP_COLUMNS, "model", "given", "value", "estimate", "ci_low", "ci_high", "n", "n_positive", "n_clusters",
    "method", "confidence_level", "n_resamples", "n_failed_resamples", "reason",
)
#: Columns of :func:`performance`.
PERFORMANCE_COLUMNS: tuple[str, ...] = (
    *GROUP_COLUMNS, "model", "metric", "operating_point", "threshold", "estimate", "ci_low", "ci_high", "n",
    "n_positive", "n_clusters", "method", "confidence_level", "n_resamples", "n_failed_resamples", "reason",
)

ProportionCI = Literal["wilson", "clopper-pearson", "bootstrap"]


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


class _Metric(_CodedStatistic):
    """One operating-point metric at a fixed threshold, as a vectorised bootstrap statistic."""

    def __init__(self, metric: str, threshold: float) -> None:
        self.metric, self.threshold, self.name = metric, threshold, metric

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
    k = int(np.ceil(target * len(neg) - 1e-12))
    if k == 0:
        return float(np.min(s))
    above = np.unique(s[s > neg[k - 1]])
    return float(above[0]) if len(above) else float(np.nextafter(np.max(s), np.inf))


def _check_target(name: str, value: float | None) -> None:
    if value is not None and not 0 < value <= 1:
        raise PerformanceInputError(f"{name} must be in (0, 1], got {value!r}")


def threshold_metrics(
    data: Any,
    labels: Any = None,
    *,
    threshold: float | None = 0.5,
    target_sensitivity: float | None = None,
    target_specificity: float | None = None,
    ci: ProportionCI = "wilson",
    bootstrap_method: Literal["percentile", "basic", "bca"] = "percentile",
    reference: str = "consensus",
    finding: str | Sequence[str] | None = None,
    level: Literal["study", "slice"] | None = None,
    studies: pd.DataFrame | None = None,
    cluster: Any = None,
    stratify: bool = True,
    by: str | None = None,
    confidence_level: float = 0.95,
    n_resamples: int = 2000,
    rng: None | int | np.random.Generator = None,
) -> pd.DataFrame:
    """Sensitivity, specificity, PPV, NPV, F1, accuracy, balanced accuracy and Youden's J.

    Each requested operating point gives one row per metric: the fixed ``threshold``, the
    highest threshold whose sensitivity reaches ``target_sensitivity``, the lowest whose
    specificity reaches ``target_specificity`` (thresholds are observed scores).  A case is
    positive when ``score >= threshold``.

    Parameters
    ----------
    data, labels
        A Cohort, or ``predictions`` and ``labels`` tables, or plain scores and 0/1 labels.
    threshold : float or None, default 0.5
    target_sensitivity, target_specificity : float in (0, 1], optional
    ci : {"wilson", "clopper-pearson", "bootstrap"}
        Interval of the five proportions (statsmodels ``proportion_confint``: ``wilson`` or
        ``beta``), or the bootstrap for all.  F1, balanced accuracy and Youden's J always get
        a bootstrap interval.  Bootstrap intervals hold the threshold fixed.
    cluster : str or array, optional
        Patient-clustered bootstrap (only with ``ci="bootstrap"``; proportions' closed forms
        assume independent rows, so ``cluster`` with ``wilson``/``clopper-pearson`` raises).
    Other parameters
        As :func:`hemstats.stats.auc`.

    Returns
    -------
    pandas.DataFrame
        Columns ``dataset, level, finding, subgroup, subgroup_value, model, operating_point,
        threshold, metric, estimate, ci_low, ci_high, n, n_positive, n_clusters, method,
        confidence_level, n_resamples, n_failed_resamples, reason``.  ``n`` is the metric's
        denominator (cases for sensitivity, calls for PPV...).  A zero denominator (e.g. PPV
        when the threshold is above every score) gives NaN and a ``reason``; a threshold
        outside the score range is noted in ``reason``.

    Notes
    -----
    Validated against: ``pROC::coords(roc, x=threshold, input="threshold")`` (se, sp, ppv,
    npv, accuracy, to 1e-12); statsmodels ``proportion_confint``; bootstrap replicates equal
    a loop on the same indices.

    Examples
    --------
    >>> from hemstats.datasets import demo
    >>> cohort = demo.load(n_studies=200)
    >>> res = threshold_metrics(cohort, finding="any", level="study", threshold=0.5,
    ...                         n_resamples=200, rng=0)
    >>> res.query("model == 'model_a'")[["metric", "method"]].values.tolist()[:3]
    [['sensitivity', 'wilson'], ['specificity', 'wilson'], ['ppv', 'wilson']]
    >>> sens = res.query("model == 'model_a' and metric == 'sensitivity'")
    >>> bool(sens.ci_low.iloc[0] <= sens.estimate.iloc[0] <= sens.ci_high.iloc[0])
    True
    """
    if ci not in ("wilson", "clopper-pearson", "bootstrap"):
        raise PerformanceInputError(f"ci must be 'wilson', 'clopper-pearson' or 'bootstrap', got {ci!r}")
    _check_target("target_sensitivity", target_sensitivity)
    _check_target("target_specificity", target_specificity)
    if threshold is None and target_sensitivity is None and target_specificity is None:
        raise PerformanceInputError("give a threshold, a target_sensitivity or a target_specificity")
    if threshold is not None and not np.isfinite(threshold):
        raise PerformanceInputError(f"threshold must be a finite number, got {threshold!r}")
    if not 0 < confidence_level < 1:
        raise PerformanceInputError(f"confidence_level must be in (0, 1), got {confidence_level!r}")
    joined, unmatched, cluster_col = _prepare(data, labels, studies, reference=reference, finding=finding,
                                              level=level, cluster=cluster, by=by)
    if cluster_col is not None and ci != "bootstrap":
        raise PerformanceInputError(
            f"ci={ci!r} assumes independent rows; with cluster= use ci='bootstrap' (patient-clustered)"
        )
    gen = np.random.default_rng(rng)
    rows: list[dict] = []
    for key, part in _groups(joined):
        group = dict(zip(GROUP_COLUMNS, key))
        wide, y_all, clusters = _wide(part, cluster_col)
        for model in wide.columns:
            ok = wide[model].notna().to_numpy()
            y, s = y_all[ok], wide.loc[ok, model].to_numpy(dtype=np.float64)
            cc = None if clusters is None else clusters[ok]
            n_clusters = len(y) if cc is None else len(pd.unique(cc))
            note = None
            ukey = (group["dataset"], group["level"], group["finding"], model)
            if ukey in unmatched:
                note = f"{unmatched[ukey]} predictions without a {reference!r} label left out"
            points = []
            if threshold is not None:
                points.append(("threshold", float(threshold)))
            for kind, target in (("sensitivity", target_sensitivity), ("specificity", target_specificity)):
                if target is not None:
                    points.append((f"{kind}>={target:g}", _target_threshold(y, s, kind, target)))
            seed = int(gen.integers(2**63 - 1))
            for name, thr in points:
                rows.extend(_point_rows(group, str(model), name, thr, y, s, cc, n_clusters, note, ci,
                                        bootstrap_method, stratify, confidence_level, n_resamples, seed))
    return _finish(rows, THRESHOLD_COLUMNS)


def _point_rows(group, model, name, thr, y, s, cc, n_clusters, note, ci, bootstrap_method, stratify,
                confidence_level, n_resamples, seed) -> list[dict]:
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
    alpha = 1 - confidence_level
    dists = {}
    need_boot = [m for m in METRICS if ci == "bootstrap" or m not in _PROPORTIONS]
    if len(np.unique(y)) == 2 and len(y) >= 2:
        for metric in need_boot:
            dists[metric] = bootstrap_distribution(
                _Metric(metric, thr), y, s, model=[model], cluster=cc, stratify=stratify,
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
        if metric in _PROPORTIONS and ci != "bootstrap":
            k, n = dens[metric]
            if n > 0:
                lo, hi = _interval(k, n, 1 - alpha, "wilson" if ci == "wilson" else "clopper-pearson")
            else:
                lo = hi = np.nan
            out.append({**base, "ci_low": float(lo), "ci_high": float(hi), "method": ci, "n_resamples": 0,
                        "n_failed_resamples": 0, "reason": _reason_join(*reason)})
            continue
        if metric not in dists:
            out.append({**base, "ci_low": np.nan, "ci_high": np.nan, "method": f"bootstrap-{bootstrap_method}",
                        "n_resamples": 0, "n_failed_resamples": 0,
                        "reason": _reason_join(*reason, "one class only: no bootstrap interval")})
            continue
        if np.isfinite(est):
            rec = dists[metric].ci(method=bootstrap_method, confidence_level=confidence_level).iloc[0]
            lo, hi, failed, why = rec["ci_low"], rec["ci_high"], int(rec["n_failed_resamples"]), rec["reason"]
            if failed:
                why = f"{failed} of {n_resamples} resamples left {metric} undefined; the interval uses the others"
        else:
            lo = hi = np.nan
            failed, why = 0, None
        out.append({**base, "ci_low": lo, "ci_high": hi, "method": f"bootstrap-{bootstrap_method}",
                    "n_resamples": int(n_resamples), "n_failed_resamples": failed,
                    "reason": _reason_join(*reason, why)})
    return out


# --------------------------------------------------------------------------------------------
# pointwise ROC band
# --------------------------------------------------------------------------------------------
def _roc_points(totals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sensitivity and specificity (b, G+1) at every cut between tie groups, ascending threshold,
    from (b, 2G) code totals (negatives even, positives odd columns)."""
    gn, gp = totals[:, 0::2], totals[:, 1::2]
    zeros = np.zeros((gp.shape[0], 1))
    cp = np.hstack([zeros, np.cumsum(gp, axis=1)])
    cn = np.hstack([zeros, np.cumsum(gn, axis=1)])
    p, n = cp[:, -1:], cn[:, -1:]
    with np.errstate(invalid="ignore", divide="ignore"):
        return 1 - cp / p, cn / n


def _at(x_coord: np.ndarray, other: np.ndarray, values: np.ndarray) -> np.ndarray:
    """pROC ``coords(input=...)``: ``other`` where ``x_coord`` (nondecreasing per row) equals each
    value (first match), else linear interpolation between the neighbouring points; (b, len(values))."""
    out = np.empty((x_coord.shape[0], len(values)))
    rows = np.arange(x_coord.shape[0])
    last = x_coord.shape[1] - 1
    for j, v in enumerate(values):  # a loop over the few requested values, not over resamples
        k1 = np.minimum((x_coord < v).sum(axis=1), last)
        k0 = np.maximum(k1 - 1, 0)
        x1, x0 = x_coord[rows, k1], x_coord[rows, k0]
        o1, o0 = other[rows, k1], other[rows, k0]
        with np.errstate(invalid="ignore", divide="ignore"):
            prop = np.where(x1 == v, 0.0, (v - x1) / (x0 - x1))
        out[:, j] = np.where(x1 == v, o1, o1 + prop * (o0 - o1))
    return out


class _Band(_CodedStatistic):
    """The ROC curve read at fixed specificities (or sensitivities): (b, len(values))."""

    def __init__(self, given: str, values: np.ndarray) -> None:
        self.given, self.values, self.name = given, values, "roc_band"

    def codes(self, y, score):
        codes, n_codes = tie_group_codes(y, score)

        def finalize(totals: np.ndarray) -> np.ndarray:
            se, sp = _roc_points(totals)
            if self.given == "specificity":
                return _at(sp, se, self.values)
            return _at(se[:, ::-1], sp[:, ::-1], self.values)

        return codes, n_codes, finalize


def roc_band(
    data: Any,
    labels: Any = None,
    *,
    given: Literal["specificity", "sensitivity"] = "specificity",
    values: Sequence[float] | np.ndarray | None = None,
    reference: str = "consensus",
    finding: str | Sequence[str] | None = None,
    level: Literal["study", "slice"] | None = None,
    studies: pd.DataFrame | None = None,
    cluster: Any = None,
    stratify: bool = True,
    by: str | None = None,
    confidence_level: float = 0.95,
    n_resamples: int = 2000,
    rng: None | int | np.random.Generator = None,
) -> pd.DataFrame:
    """Sensitivity at fixed specificities (or specificity at fixed sensitivities) with a bootstrap band.

    The estimate is the empirical ROC curve read at each value as ``pROC::coords`` reads it
    (the best point at an exact match, else linear interpolation); the band is the pointwise
    percentile interval of the same reading on each (stratified, optionally clustered)
    resample, as ``pROC::ci.se`` / ``pROC::ci.sp``.

    Parameters
    ----------
    given : {"specificity", "sensitivity"}
        The fixed coordinate (``ci.se`` fixes specificities).
    values : array, default 0, 0.02, ..., 1
    Other parameters
        As :func:`hemstats.stats.auc`.

    Returns
    -------
    pandas.DataFrame
        Columns ``dataset, level, finding, subgroup, subgroup_value, model, given, value,
        estimate, ci_low, ci_high, n, n_positive, n_clusters, method, confidence_level,
        n_resamples, n_failed_resamples, reason``.

    Notes
    -----
    Validated against: ``pROC::ci.se(roc, specificities=...)`` and ``pROC::ci.sp`` within
    Monte Carlo error at 10,000 resamples.

    Examples
    --------
    >>> from hemstats.datasets import demo
    >>> cohort = demo.load(n_studies=200)
    >>> band = roc_band(cohort, finding="any", level="study", values=[0.8, 0.9], n_resamples=200, rng=0)
    >>> band[["model", "value"]].values.tolist()
    [['model_a', 0.8], ['model_a', 0.9], ['model_b', 0.8], ['model_b', 0.9]]
    """
    if given not in ("specificity", "sensitivity"):
        raise PerformanceInputError(f"given must be 'specificity' or 'sensitivity', got {given!r}")
    vals = np.linspace(0, 1, 51) if values is None else np.asarray(values, dtype=np.float64)
    if vals.ndim != 1 or len(vals) == 0 or (vals < 0).any() or (vals > 1).any():
        raise PerformanceInputError(f"values must be {given} values in [0, 1], got {values!r}")
    joined, unmatched, cluster_col = _prepare(data, labels, studies, reference=reference, finding=finding,
                                              level=level, cluster=cluster, by=by)
    gen = np.random.default_rng(rng)
    band = _Band(given, vals)
    alpha = (1 - confidence_level) / 2
    rows = []
    for key, part in _groups(joined):
        group = dict(zip(GROUP_COLUMNS, key))
        wide, y_all, clusters = _wide(part, cluster_col)
        for model in wide.columns:
            ok = wide[model].notna().to_numpy()
            y, s = y_all[ok], wide.loc[ok, model].to_numpy(dtype=np.float64)
            cc = None if clusters is None else clusters[ok]
            base = {**group, "model": str(model), "given": given, "n": len(y), "n_positive": int(y.sum()),
                    "n_clusters": len(y) if cc is None else len(pd.unique(cc)),
                    "method": "bootstrap-percentile", "confidence_level": float(confidence_level)}
            if len(np.unique(y)) < 2:
                rows.extend({**base, "value": v, "estimate": np.nan, "ci_low": np.nan, "ci_high": np.nan,
                             "n_resamples": 0, "n_failed_resamples": 0, "reason": "one class only: no ROC curve"}
                            for v in vals)
                continue
            est = band(y, s, np.ones((1, len(y))))[0]
            seed = int(gen.integers(2**63 - 1))
            dist = _band_distribution(band, y, s, cc, stratify, n_resamples, seed)
            for j, v in enumerate(vals):
                d = dist[:, j]
                good = np.isfinite(d)
                lo, hi = (np.quantile(d[good], [alpha, 1 - alpha]) if good.any() else (np.nan, np.nan))
                failed = int((~good).sum())
                rows.append({**base, "value": float(v), "estimate": float(est[j]), "ci_low": float(lo),
                             "ci_high": float(hi), "n_resamples": int(n_resamples), "n_failed_resamples": failed,
                             "reason": _reason_join(f"{failed} resamples held one class; left out" if failed else None)})
    return _finish(rows, BAND_COLUMNS)


def _band_distribution(band: _Band, y, s, cc, stratify, n_resamples, seed) -> np.ndarray:
    """(n_resamples, len(values)) bootstrap readings through the engine (chunked, no resample loop)."""
    y8 = y.astype(np.int8)
    design = _design(y8, cc, stratify)
    gen = np.random.default_rng(seed)
    return _replicates(band, y8, s[:, None], design, n_resamples, gen, _chunk(None, design.n_rows, n_resamples))[0]


def reader_operating_points(
    labels: Any,
    *,
    reference: str = "consensus",
    finding: str | Sequence[str] | None = None,
    level: Literal["study", "slice"] | None = "study",
    confidence_level: float = 0.95,
) -> pd.DataFrame:
    """Each reader's sensitivity and specificity against the reference, with Wilson intervals.

    Parameters
    ----------
    labels : Cohort or labels table
        Readers are the raters other than ``consensus``.  With ``reference="majority"`` a
        reader's own vote is part of the reference (say so in a figure caption).

    Returns
    -------
    pandas.DataFrame
        Columns ``dataset, level, finding, rater, sensitivity, sens_ci_low, sens_ci_high,
        specificity, spec_ci_low, spec_ci_high, n, n_positive``.

    Notes
    -----
    Validated against: statsmodels ``proportion_confint(method="wilson")``; the readers'
    counts are cross-tabulations of the labels table.

    Examples
    --------
    >>> from hemstats.datasets import demo
    >>> pts = reader_operating_points(demo.load(n_studies=200), finding="any")
    >>> pts.rater.tolist()
    ['R1', 'R2', 'R3']
    """
    from hemstats.cohort import Cohort

    lab = labels.labels if isinstance(labels, Cohort) else labels
    ref = _reference(lab, reference)
    raters = lab["rater"].astype(object)
    readers = lab[(raters != "consensus") & (raters != reference)]
    if finding is not None:
        wanted = [finding] if isinstance(finding, str) else list(finding)
        readers = readers[readers["finding"].astype(object).isin(wanted)]
    if level is not None:
        readers = readers[readers["level"].astype(object) == level]
    readers = readers.assign(slice_id=readers["slice_id"].astype(object).fillna(""))
    keys = ["dataset", "study_id", "slice_id", "level", "finding"]
    left = readers[keys + ["rater", "value"]].astype({k: object for k in keys + ["rater"]})
    merged = left.merge(ref.astype({k: object for k in keys}).rename(columns={"value": "truth"}), on=keys)
    rows = []
    alpha = 1 - confidence_level
    for (ds, lv, fi, ra), g in merged.groupby(["dataset", "level", "finding", "rater"], sort=False):
        t, v = g["truth"].to_numpy(), g["value"].to_numpy()
        tp, fn = int(((t == 1) & (v == 1)).sum()), int(((t == 1) & (v == 0)).sum())
        tn, fp = int(((t == 0) & (v == 0)).sum()), int(((t == 0) & (v == 1)).sum())
        se_ci = _interval(tp, tp + fn, 1 - alpha, "wilson") if tp + fn else (np.nan, np.nan)
        sp_ci = _interval(tn, tn + fp, 1 - alpha, "wilson") if tn + fp else (np.nan, np.nan)
        rows.append({"dataset": ds, "level": lv, "finding": fi, "rater": ra,
                     "sensitivity": tp / (tp + fn) if tp + fn else np.nan, "sens_ci_low": se_ci[0], "sens_ci_high": se_ci[1],
                     "specificity": tn / (tn + fp) if tn + fp else np.nan, "spec_ci_low": sp_ci[0], "spec_ci_high": sp_ci[1],
                     "n": len(g), "n_positive": tp + fn})
    cols = ["dataset", "level", "finding", "rater", "sensitivity", "sens_ci_low", "sens_ci_high",
            "specificity", "spec_ci_low", "spec_ci_high", "n", "n_positive"]
    return pd.DataFrame(rows, columns=cols)


# --------------------------------------------------------------------------------------------
# everything at once
# --------------------------------------------------------------------------------------------
_PARTS = ("auc", "average_precision", "threshold", "calibration")


def performance(
    data: Any,
    labels: Any = None,
    *,
    threshold: float | None = 0.5,
    target_sensitivity: float | None = None,
    target_specificity: float | None = None,
    include: Sequence[str] = _PARTS,
    auc_method: Literal["auto", "delong", "bootstrap"] = "auto",
    ci: Literal["auto", "wilson", "clopper-pearson", "bootstrap"] = "auto",
    bootstrap_method: Literal["percentile", "basic", "bca"] = "percentile",
    reference: str = "consensus",
    finding: str | Sequence[str] | None = None,
    level: Literal["study", "slice"] | None = None,
    studies: pd.DataFrame | None = None,
    cluster: Any = None,
    stratify: bool = True,
    by: str | None = None,
    confidence_level: float = 0.95,
    n_resamples: int = 2000,
    rng: None | int | np.random.Generator = None,
) -> pd.DataFrame:
    """AUC, average precision, operating-point metrics and calibration for every group at once.

    One long frame for every dataset x level x finding x model (x ``by`` subgroup) of a
    Cohort (or of ``predictions`` and ``labels`` tables, or plain arrays).

    Parameters
    ----------
    threshold, target_sensitivity, target_specificity
        Operating points, as :func:`threshold_metrics`.
    include : sequence of {"auc", "average_precision", "threshold", "calibration"}
        The parts to compute (calibration needs scores in [0, 1]).
    auc_method : {"auto", "delong", "bootstrap"}
        ``auto``: DeLong, or the clustered bootstrap when ``cluster`` is given.
    ci : {"auto", "wilson", "clopper-pearson", "bootstrap"}
        Interval of the operating-point proportions; ``auto``: Wilson, or the clustered
        bootstrap when ``cluster`` is given.
    Other parameters
        As :func:`hemstats.stats.auc`.

    Returns
    -------
    pandas.DataFrame
        Columns ``dataset, level, finding, subgroup, subgroup_value, model, metric,
        operating_point, threshold, estimate, ci_low, ci_high, n, n_positive, n_clusters,
        method, confidence_level, n_resamples, n_failed_resamples, reason``.  ``metric`` is
        ``auc``, ``average_precision``, one of :data:`METRICS`, ``brier``,
        ``calibration_intercept`` or ``calibration_slope``; ``operating_point`` and
        ``threshold`` are missing for threshold-free metrics.

    Notes
    -----
    Validated against: the functions it gathers (:func:`hemstats.stats.auc`,
    :func:`threshold_metrics`, :func:`hemstats.stats.calibration`), each validated against
    pROC, R or scikit-learn.

    Examples
    --------
    >>> from hemstats.datasets import demo
    >>> cohort = demo.load(n_studies=200)
    >>> res = performance(cohort, finding="any", level="study", n_resamples=200, rng=0)
    >>> sorted(res.metric.unique())[:4]
    ['accuracy', 'auc', 'average_precision', 'balanced_accuracy']
    >>> res.query("metric == 'auc'")[["model", "method"]].values.tolist()
    [['model_a', 'delong'], ['model_b', 'delong']]
    """
    from hemstats.stats.performance_calibration import calibration as _calibration

    unknown = sorted(set(include) - set(_PARTS))
    if unknown:
        raise PerformanceInputError(f"include: unknown parts {unknown}; choose from {_PARTS}")
    if auc_method not in ("auto", "delong", "bootstrap"):
        raise PerformanceInputError(f"auc_method must be auto, delong or bootstrap, got {auc_method!r}")
    if ci not in ("auto", "wilson", "clopper-pearson", "bootstrap"):
        raise PerformanceInputError(f"ci must be auto, wilson, clopper-pearson or bootstrap, got {ci!r}")
    clustered = cluster is not None
    a_method = ("bootstrap" if clustered else "delong") if auc_method == "auto" else auc_method
    p_ci = ("bootstrap" if clustered else "wilson") if ci == "auto" else ci
    gen = np.random.default_rng(rng)
    common = dict(reference=reference, finding=finding, level=level, studies=studies, cluster=cluster, by=by,
                  confidence_level=confidence_level)
    boot = dict(n_resamples=n_resamples, rng=gen)
    frames = []
    if "auc" in include:
        frames.append(auc(data, labels, method=a_method, bootstrap_method=bootstrap_method, stratify=stratify,
                          **common, **boot).assign(metric="auc"))
    if "average_precision" in include:
        frames.append(average_precision(data, labels, bootstrap_method=bootstrap_method, stratify=stratify,
                                        **common, **boot).assign(metric="average_precision"))
    if "threshold" in include and not (threshold is None and target_sensitivity is None and target_specificity is None):
        frames.append(threshold_metrics(data, labels, threshold=threshold, target_sensitivity=target_sensitivity,
                                        target_specificity=target_specificity, ci=p_ci,
                                        bootstrap_method=bootstrap_method, stratify=stratify, **common, **boot))
    if "calibration" in include:
        frames.append(_calibration(data, labels, **common, **boot))
    out = pd.concat([f.reindex(columns=list(PERFORMANCE_COLUMNS)) for f in frames], ignore_index=True)
    out["operating_point"] = out["operating_point"].astype("string")
    out["threshold"] = out["threshold"].astype("float64")
    for c in ("metric", "model", "method", "reason"):
        out[c] = out[c].astype("string")
    return out
