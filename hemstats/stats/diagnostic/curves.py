"""What a ROC figure draws besides the AUC: a pointwise ROC band and the readers' operating points.

* :func:`roc_band`: sensitivity at fixed specificities (or the reverse) with a pointwise
  bootstrap band, as ``pROC::ci.se`` / ``pROC::ci.sp``; the curve a ROC figure draws.
* :func:`reader_operating_points`: each reader's sensitivity and specificity against the
  reference, to draw on the same ROC axes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from hemstats.errors import InputError
from hemstats.stats._core.intervals import interval as _interval
from hemstats.stats.diagnostic._data import (
    GROUP_COLUMNS,
    _check_duplicates,
    _finish,
    _model_arrays,
    _prepare,
    _reason_join,
    _reference_and_undecided,
    _unmatched_note,
)
from hemstats.stats.resampling.engine import (
    _check_confidence_level,
    _chunk,
    _design,
    _replicates,
    _warn_if_slow,
    check_bootstrap_options,
    check_cluster_count,
    method_code,
)
from hemstats.stats.resampling.statistics import _CodedStatistic, tie_group_codes

__all__ = ["roc_band", "reader_operating_points", "BAND_COLUMNS"]

_MAX_BAND_BYTES = 2 * 2**30  # the (n_resamples x values) replicates of one band

#: Columns of :func:`roc_band`.
BAND_COLUMNS: tuple[str, ...] = (
    *GROUP_COLUMNS, "model", "given", "value", "estimate", "ci_low", "ci_high", "n", "n_positive", "n_clusters",
    "method", "confidence_level", "n_resamples", "n_failed_resamples", "reason",
)


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
    cluster: Any = "auto",
    stratify: bool | None = None,
    by: str | None = None,
    confidence_level: float = 0.95,
    n_resamples: int = 2000,
    rng: int | np.random.Generator | None = None,
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
    stratify : bool or None
        ``None`` (default): stratified by class (sensitivity and specificity do not depend on
        prevalence), as pROC; the ``method`` code says the design
        (``stratified-bootstrap-percentile``, ``stratified-cluster-bootstrap-percentile``).
    cluster : "auto", str, array or None
        As :func:`hemstats.stats.auc`: slices are resampled by patient by default.  One
        cluster gives NaN, fewer than 10 a warning in ``reason``.
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
    n_resamples, confidence_level, _ = check_bootstrap_options(
        n_resamples=n_resamples, confidence_level=confidence_level, rng=rng)
    if stratify is not None and not isinstance(stratify, (bool, np.bool_)):
        raise InputError(f"stratify must be True, False or None (stratified), got {stratify!r}")
    stratify = True if stratify is None else bool(stratify)
    if given not in ("specificity", "sensitivity"):
        raise InputError(f"given must be 'specificity' or 'sensitivity', got {given!r}")
    try:
        vals = np.linspace(0, 1, 51) if values is None else np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(f"values must be {given} values in [0, 1], got {values!r}") from None
    if vals.ndim != 1 or len(vals) == 0 or not np.all((vals >= 0) & (vals <= 1)):
        raise InputError(f"values must be {given} values in [0, 1], got {values!r}")
    need = 8 * n_resamples * len(vals)
    if need > _MAX_BAND_BYTES:
        raise InputError(
            f"n_resamples={n_resamples} x {len(vals)} values needs {need / 2**30:.1f} GiB of replicates; "
            f"use fewer n_resamples or values (at most {_MAX_BAND_BYTES // 2**30} GiB)"
        )
    joined, unmatched, cluster_col = _prepare(data, labels, studies, reference=reference, finding=finding,
                                              level=level, cluster=cluster, by=by)
    gen = np.random.default_rng(rng)
    band = _Band(given, vals)
    alpha = (1 - confidence_level) / 2
    rows = []
    for group, model, y, s, cc in _model_arrays(joined, cluster_col):
        n_clusters = len(y) if cc is None else len(pd.unique(cc))
        base = {**group, "model": str(model), "given": given, "n": len(y), "n_positive": int(y.sum()),
                "n_clusters": n_clusters,
                "method": method_code("percentile", stratified=stratify, clustered=cc is not None),
                "confidence_level": float(confidence_level)}
        few = check_cluster_count(n_clusters, cc is not None)
        note = _unmatched_note(unmatched, (group["dataset"], group["level"], group["finding"], model))
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
            if cc is not None and n_clusters <= 1:
                lo = hi = np.nan
            failed = int((~good).sum())
            rows.append({**base, "value": float(v), "estimate": float(est[j]), "ci_low": float(lo),
                         "ci_high": float(hi), "n_resamples": int(n_resamples), "n_failed_resamples": failed,
                         "reason": _reason_join(f"{failed} resamples held one class; left out" if failed else None,
                                                few, note)})
    return _finish(rows, BAND_COLUMNS)


def _band_distribution(band: _Band, y, s, cc, stratify, n_resamples, seed) -> np.ndarray:
    """(n_resamples, len(values)) bootstrap readings through the engine (chunked, no resample loop)."""
    y8 = y.astype(np.int8)
    design = _design(y8, cc, stratify)
    gen = np.random.default_rng(seed)
    _warn_if_slow(n_resamples, design.n_rows, 1)
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
        Readers are the raters other than ``consensus``.  With ``reference="majority"`` (more
        than half of all the dataset's readers, :func:`hemstats.consensus.majority_labels`;
        units without a majority are left out) a reader's own vote is part of the reference
        (say so in a figure caption).
    confidence_level : float
        Of the Wilson intervals (exact-coverage closed forms, never a bootstrap: a reader with
        every case right gets a Wilson interval below 1, not a zero-width one).

    Returns
    -------
    pandas.DataFrame
        Columns ``dataset, level, finding, rater, sensitivity, sens_ci_low, sens_ci_high,
        specificity, spec_ci_low, spec_ci_high, n, n_positive, method, reason``; ``method`` is
        ``wilson``; ``reason`` counts the units left out for want of a majority.

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

    _check_confidence_level(confidence_level)
    lab = labels.labels if isinstance(labels, Cohort) else labels
    if not isinstance(lab, pd.DataFrame):
        raise InputError(f"labels: expected a Cohort or the labels table, got {type(lab).__name__}")
    ref, undecided = _reference_and_undecided(lab, reference)
    n_undecided = {} if undecided is None else undecided.groupby(["dataset", "level", "finding"]).size().to_dict()
    raters = lab["rater"].astype(object)
    readers = lab[(raters != "consensus") & (raters != reference)]
    if finding is not None:
        wanted = [finding] if isinstance(finding, str) else list(finding)
        readers = readers[readers["finding"].astype(object).isin(wanted)]
    if level is not None:
        readers = readers[readers["level"].astype(object) == level]
    _check_duplicates(readers, ["dataset", "study_id", "slice_id", "level", "finding", "rater"], "labels")
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
                     "n": len(g), "n_positive": tp + fn, "method": "wilson",
                     "reason": (f"{n_undecided[(ds, lv, fi)]} units without a majority (more than half of all the "
                                "dataset's readers) left out") if (ds, lv, fi) in n_undecided else pd.NA})
    cols = ["dataset", "level", "finding", "rater", "sensitivity", "sens_ci_low", "sens_ci_high",
            "specificity", "spec_ci_low", "spec_ci_high", "n", "n_positive", "method", "reason"]
    out = pd.DataFrame(rows, columns=cols)
    out["reason"] = out["reason"].astype("string")
    return out
