"""What a ROC figure draws besides the AUC: a pointwise ROC band and the readers' operating points.

* :func:`roc_band`: sensitivity at fixed specificities (or the reverse) with a pointwise
  bootstrap band, as ``pROC::ci.se`` / ``pROC::ci.sp``; the curve a ROC figure draws.
* :func:`reader_operating_points`: each reader's sensitivity and specificity against the
  reference, to draw on the same ROC axes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from hemstats.errors import InputError
from hemstats.stats._core.columns import result_columns, result_frame
from hemstats.stats._core.intervals import interval as proportion_interval
from hemstats.stats._core.options import (
    check_bootstrap_options,
    check_cluster_count,
    check_confidence_level,
    method_code,
    warn_if_slow,
)
from hemstats.stats._core.resolve import resolve
from hemstats.stats._core.types import CONFIDENCE_LEVEL, N_RESAMPLES, By, Findings, Level, Seed
from hemstats.stats.diagnostic._data import (
    check_duplicates,
    findings_list,
    model_arrays,
    prepare,
    reason_join,
    reference_and_undecided,
    unmatched_note,
)
from hemstats.stats.resampling.engine import chunk_rows, make_design, replicates
from hemstats.stats.resampling.statistics import CodedStatistic, tie_group_codes

if TYPE_CHECKING:
    from hemstats.cohort import Cohort

__all__ = ["roc_band", "reader_operating_points", "BAND_COLUMNS", "READER_COLUMNS"]

_MAX_BAND_BYTES = 2 * 2**30  # the (n_resamples x values) replicates of one band

_BAND_OWN: tuple[str, ...] = ("model", "given", "value")
#: Columns of :func:`roc_band`.
BAND_COLUMNS: tuple[str, ...] = tuple(result_columns(extra=_BAND_OWN))
#: Columns of :func:`reader_operating_points`.
READER_COLUMNS: tuple[str, ...] = tuple(result_columns(extra=("rater",)))


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


class _Band(CodedStatistic):
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
    data: Cohort | pd.DataFrame,
    *,
    labels: pd.DataFrame | None = None,
    studies: pd.DataFrame | None = None,
    given: Literal["specificity", "sensitivity"] = "specificity",
    values: Sequence[float] | np.ndarray | None = None,
    findings: Findings = None,
    level: Level | None = None,
    by: By = None,
    reference: str = "consensus",
    cluster: str | None = "auto",
    stratify: bool | None = None,
    confidence_level: float = CONFIDENCE_LEVEL,
    n_resamples: int = N_RESAMPLES,
    rng: Seed = None,
) -> pd.DataFrame:
    """Sensitivity at fixed specificities (or specificity at fixed sensitivities) with a bootstrap band.

    The estimate is the empirical ROC curve read at each value as ``pROC::coords`` reads it
    (the best point at an exact match, else linear interpolation); the band is the pointwise
    percentile interval of the same reading on each (stratified, optionally clustered)
    resample, as ``pROC::ci.se`` / ``pROC::ci.sp``.

    Parameters
    ----------
    given : {"specificity", "sensitivity"}
        The fixed coordinate (``ci.se`` fixes specificities); the estimate is the other one
        (``metric``).
    values : array, default 0, 0.02, ..., 1
    stratify : bool or None
        ``None`` (default): stratified by class (sensitivity and specificity do not depend on
        prevalence), as pROC; the ``method`` code says the design
        (``stratified-bootstrap-percentile``, ``stratified-cluster-bootstrap-percentile``).
    cluster : "auto", str or None
        As :func:`hemstats.stats.auc`: slices are resampled by patient by default.  One
        cluster gives NaN, fewer than 10 a warning in ``reason``.
    Other parameters
        As :func:`hemstats.stats.auc`.

    Returns
    -------
    pandas.DataFrame
        Columns ``dataset, level, finding, subgroup, subgroup_value, model, given, value,
        metric, estimate, ci_low, ci_high, n, n_positive, method, confidence_level,
        n_resamples, n_failed_resamples, n_clusters, reason``; ``metric`` is ``sensitivity``
        (``given="specificity"``) or ``specificity``.

    Notes
    -----
    Validated against: ``pROC::ci.se(roc, specificities=...)`` and ``pROC::ci.sp`` within
    Monte Carlo error at 10,000 resamples.

    Examples
    --------
    >>> from hemstats.datasets import demo
    >>> cohort = demo.load(n_studies=200)
    >>> band = roc_band(cohort, findings="any", level="study", values=[0.8, 0.9], n_resamples=200, rng=0)
    >>> band[["model", "value", "metric"]].values.tolist()[:2]
    [['model_a', 0.8, 'sensitivity'], ['model_a', 0.9, 'sensitivity']]
    """
    where = "roc_band"
    n_resamples, confidence_level, _ = check_bootstrap_options(
        n_resamples=n_resamples, confidence_level=confidence_level, rng=rng)
    if stratify is not None and not isinstance(stratify, bool | np.bool_):
        raise InputError(f"{where}: stratify must be True, False or None (stratified), got {stratify!r}")
    strat = True if stratify is None else bool(stratify)
    if given not in ("specificity", "sensitivity"):
        raise InputError(f"{where}: given must be 'specificity' or 'sensitivity', got {given!r}")
    try:
        vals = np.linspace(0, 1, 51) if values is None else np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(f"{where}: values must be {given} values in [0, 1], got {values!r}") from None
    if vals.ndim != 1 or len(vals) == 0 or not np.all((vals >= 0) & (vals <= 1)):
        raise InputError(f"{where}: values must be {given} values in [0, 1], got {values!r}")
    need = 8 * n_resamples * len(vals)
    if need > _MAX_BAND_BYTES:
        raise InputError(
            f"{where}: n_resamples={n_resamples} x {len(vals)} values needs {need / 2**30:.1f} GiB of replicates; "
            f"use fewer n_resamples or values (at most {_MAX_BAND_BYTES // 2**30} GiB)"
        )
    joined, unmatched, cluster_col = prepare(data, where=where, labels=labels, studies=studies, reference=reference,
                                             findings=findings, level=level, cluster=cluster, by=by)
    gen = np.random.default_rng(rng)
    band = _Band(given, vals)
    metric = "sensitivity" if given == "specificity" else "specificity"
    alpha = (1 - confidence_level) / 2
    rows: list[dict[str, Any]] = []
    for group, model, y, s, cc in model_arrays(joined, cluster_col):
        n_clusters = len(y) if cc is None else len(pd.unique(cc))
        base = {**group, "model": model, "given": given, "metric": metric, "n": len(y), "n_positive": int(y.sum()),
                "n_clusters": n_clusters,
                "method": method_code("percentile", stratified=strat, clustered=cc is not None),
                "confidence_level": float(confidence_level)}
        few = check_cluster_count(n_clusters, cc is not None)
        note = unmatched_note(unmatched, group, model)
        if len(np.unique(y)) < 2:
            rows.extend({**base, "value": float(v), "estimate": np.nan, "ci_low": np.nan, "ci_high": np.nan,
                         "n_resamples": 0, "n_failed_resamples": 0,
                         "reason": reason_join("one class only: no ROC curve", note)}
                        for v in vals)
            continue
        est = band(y, s, np.ones((1, len(y))))[0]
        seed = int(gen.integers(2**63 - 1))
        dist = _band_distribution(band, y, s, cc, strat, n_resamples, seed)
        for j, v in enumerate(vals):
            d = dist[:, j]
            good = np.isfinite(d)
            lo, hi = (np.quantile(d[good], [alpha, 1 - alpha]) if good.any() else (np.nan, np.nan))
            if cc is not None and n_clusters <= 1:
                lo = hi = np.nan
            failed = int((~good).sum())
            rows.append({**base, "value": float(v), "estimate": float(est[j]), "ci_low": float(lo),
                         "ci_high": float(hi), "n_resamples": int(n_resamples), "n_failed_resamples": failed,
                         "reason": reason_join(f"{failed} resamples held one class; left out" if failed else None,
                                               few, note)})
    return result_frame(rows, extra=_BAND_OWN)


def _band_distribution(band: _Band, y: np.ndarray, s: np.ndarray, cc: np.ndarray | None, stratify: bool,
                       n_resamples: int, seed: int) -> np.ndarray:
    """(n_resamples, len(values)) bootstrap readings through the engine (chunked, no resample loop)."""
    y8 = y.astype(np.int8)
    design = make_design(y8, cc, stratify)
    gen = np.random.default_rng(seed)
    warn_if_slow(n_resamples, design.n_rows, 1)
    return replicates(band, y8, s[:, None], design, n_resamples, gen, chunk_rows(None, design.n_rows, n_resamples))[0]


def reader_operating_points(
    data: Cohort | pd.DataFrame,
    *,
    findings: Findings = None,
    level: Level | None = "study",
    reference: str = "consensus",
    confidence_level: float = CONFIDENCE_LEVEL,
) -> pd.DataFrame:
    """Each reader's sensitivity and specificity against the reference, with Wilson intervals.

    Parameters
    ----------
    data : Cohort or labels table
        Readers are the raters other than ``consensus`` (and other than ``reference``).  With
        ``reference="majority"`` (more than half of all the dataset's readers,
        :func:`hemstats.consensus.majority_labels`; units without a majority are left out) a
        reader's own vote is part of the reference (say so in a figure caption).
    findings : str or list of str, optional
        Restrict to these findings.
    level : {"study", "slice"} or None, default "study"
    confidence_level : float
        Of the Wilson intervals (exact-coverage closed forms, never a bootstrap: a reader with
        every case right gets a Wilson interval below 1, not a zero-width one).

    Returns
    -------
    pandas.DataFrame
        Long: two rows per dataset x level x finding x rater, ``metric`` ``sensitivity`` and
        ``specificity``.  Columns ``dataset, level, finding, subgroup, subgroup_value, rater,
        metric, estimate, ci_low, ci_high, n, n_positive, method, confidence_level,
        n_resamples, n_failed_resamples, n_clusters, reason``; ``n`` is the metric's
        denominator (cases for sensitivity, controls for specificity), ``n_positive`` the
        cases; ``method`` is ``wilson``; ``reason`` counts the units left out for want of a
        majority.

    Notes
    -----
    Validated against: statsmodels ``proportion_confint(method="wilson")``; the readers'
    counts are cross-tabulations of the labels table.

    Examples
    --------
    >>> from hemstats.datasets import demo
    >>> pts = reader_operating_points(demo.load(n_studies=200), findings="any")
    >>> pts.rater.unique().tolist(), pts.metric.unique().tolist()
    (['R1', 'R2', 'R3'], ['sensitivity', 'specificity'])
    """
    where = "reader_operating_points"
    check_confidence_level(confidence_level)
    if not isinstance(reference, str) or not reference:
        raise InputError(f"{where}: reference must be a rater id or 'majority', got {reference!r}")
    if level is not None and level not in ("study", "slice"):
        raise InputError(f"{where}: level must be 'study', 'slice' or None, got {level!r}")
    wanted = findings_list(findings, where)
    lab = resolve(data, "labels", where=where).main
    ref, undecided = reference_and_undecided(lab, reference)
    n_undecided = {} if undecided is None else undecided.groupby(["dataset", "level", "finding"]).size().to_dict()
    raters = lab["rater"].astype(object)
    readers = lab[(raters != "consensus") & (raters != reference)]
    if wanted is not None:
        readers = readers[readers["finding"].astype(object).isin(wanted)]
    if level is not None:
        readers = readers[readers["level"].astype(object) == level]
    check_duplicates(readers, ["dataset", "study_id", "slice_id", "level", "finding", "rater"], "labels")
    readers = readers.assign(slice_id=readers["slice_id"].astype(object).fillna("") if "slice_id" in readers else "")
    keys = ["dataset", "study_id", "slice_id", "level", "finding"]
    left = readers[keys + ["rater", "value"]].astype({k: object for k in keys + ["rater"]})
    merged = left.merge(ref.astype({k: object for k in keys}).rename(columns={"value": "truth"}), on=keys)
    rows: list[dict[str, Any]] = []
    for (ds, lv, fi, ra), g in merged.groupby(["dataset", "level", "finding", "rater"], sort=False):
        t, v = g["truth"].to_numpy(), g["value"].to_numpy()
        tp, fn = int(((t == 1) & (v == 1)).sum()), int(((t == 1) & (v == 0)).sum())
        tn, fp = int(((t == 0) & (v == 0)).sum()), int(((t == 0) & (v == 1)).sum())
        why = (f"{n_undecided[(ds, lv, fi)]} units without a majority (more than half of all the dataset's "
               "readers) left out") if (ds, lv, fi) in n_undecided else None
        base = {"dataset": ds, "level": lv, "finding": fi, "rater": ra, "n_positive": tp + fn, "method": "wilson",
                "confidence_level": float(confidence_level), "n_resamples": 0, "n_failed_resamples": 0}
        for metric, k, n in (("sensitivity", tp, tp + fn), ("specificity", tn, tn + fp)):
            lo, hi = proportion_interval(k, n, confidence_level, "wilson") if n else (np.nan, np.nan)
            rows.append({**base, "metric": metric, "estimate": k / n if n else np.nan, "ci_low": float(lo),
                         "ci_high": float(hi), "n": n,
                         "reason": reason_join(why, None if n else f"no {'cases' if metric == 'sensitivity' else 'controls'}: "
                                               f"{metric} undefined")})
    return result_frame(rows, extra=("rater",))
