"""Segmentation agreement per case: Dice, IoU and absolute volume error, with patient-clustered CIs.

:func:`segmentation_per_case` measures each case from masks (arrays) or, for volumes only,
from two ``lesions`` tables (reference and predicted volumes).  :func:`segmentation_metrics`
summarises the per-case values by their mean with a bootstrap interval that resamples whole
patients (``cluster``), so several studies of one patient count once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

from hemstats.errors import InputError
from hemstats.stats._core.columns import result_columns, result_frame
from hemstats.stats._core.options import check_bootstrap_options, method_code
from hemstats.stats._core.resolve import check_columns
from hemstats.stats._core.types import CONFIDENCE_LEVEL, N_RESAMPLES, BootstrapMethod, Seed
from hemstats.stats.resampling.engine import bootstrap_distribution

if TYPE_CHECKING:
    from hemstats.cohort import Cohort

__all__ = ["segmentation_per_case", "segmentation_metrics", "SEGMENTATION_CASE_COLUMNS", "SEGMENTATION_COLUMNS"]

#: Columns of :func:`segmentation_per_case`.
SEGMENTATION_CASE_COLUMNS: tuple[str, ...] = (
    "dataset", "study_id", "finding", "model", "cluster", "dice", "iou", "reference_ml", "predicted_ml",
    "abs_volume_error_ml", "reason",
)
#: Columns of :func:`segmentation_metrics`.
SEGMENTATION_COLUMNS: tuple[str, ...] = tuple(result_columns(extra=("model",)))
_METRICS = ("dice", "iou", "abs_volume_error_ml")


def _mask_row(ref: np.ndarray, pred: np.ndarray, voxel_ml: float, where: str) -> dict[str, Any]:
    ref, pred = np.asarray(ref), np.asarray(pred)
    if ref.shape != pred.shape:
        raise InputError(f"{where}: reference mask has shape {ref.shape}, prediction {pred.shape}")
    a, b = ref.astype(bool), pred.astype(bool)
    inter, sa, sb = int((a & b).sum()), int(a.sum()), int(b.sum())
    union = sa + sb - inter
    reason = None
    if sa + sb == 0:
        dice = iou = np.nan
        reason = "both masks empty: Dice and IoU undefined (left out of their means)"
    else:
        dice, iou = 2 * inter / (sa + sb), inter / union
    ref_ml, pred_ml = sa * voxel_ml, sb * voxel_ml
    return {"dice": dice, "iou": iou, "reference_ml": ref_ml, "predicted_ml": pred_ml,
            "abs_volume_error_ml": abs(pred_ml - ref_ml), "reason": reason}


def segmentation_per_case(
    reference: Cohort | pd.DataFrame | Sequence[Any] | Mapping[str, Any],
    prediction: pd.DataFrame | Sequence[Any] | Mapping[str, Any],
    *,
    voxel_volume_ml: float | Sequence[float] | None = None,
    spacing_mm: Sequence[float] | Sequence[Sequence[float]] | None = None,
    label: int | None = None,
    case_ids: Sequence[str] | None = None,
    cluster: Sequence[Any] | None = None,
    dataset: str | None = None,
    findings: str | None = None,
    model: str = "model",
) -> pd.DataFrame:
    """Dice, IoU and volumes of each case (a per-case table, one row per case and model).

    An array kernel for masks (reference first, as scikit-learn puts ``y_true`` first), and a
    volume comparison for tables.

    Parameters
    ----------
    reference : Cohort, lesions table, sequence of arrays or mapping case id -> array
        Masks: one per case (binary, or label maps with ``label`` selecting a value).
        Tables: a Cohort (its ``lesions``) or the canonical ``lesions`` table (``dataset,
        study_id, finding, volume_ml``) of the reference.
    prediction : lesions table, sequence of arrays or mapping case id -> array
        The predicted masks (as ``reference``), or a lesions table of predicted volumes, which
        may hold a ``model`` column.  Tables give volumes only (Dice and IoU are NaN with a
        reason); a case missing from one table counts as 0 ml there.
    voxel_volume_ml, spacing_mm
        Voxel size: one volume in ml (or one per case), or the voxel spacing in mm (one
        triple, or one per case; ml = product / 1000).  Required for masks.
    label : int, optional
        The mask value to compare (default: any non-zero voxel).
    case_ids, cluster : sequences, optional
        Case ids (default the mapping keys or 0..n-1) and each case's patient id.
    dataset, model : str, optional
        Written into the output columns (masks).
    findings : str, optional
        Masks: written into ``finding``.  Tables: keep this finding only.

    Returns
    -------
    pandas.DataFrame
        Columns ``dataset, study_id, finding, model, cluster, dice, iou, reference_ml,
        predicted_ml, abs_volume_error_ml, reason``.

    Examples
    --------
    >>> import numpy as np
    >>> ref = np.zeros((4, 4, 4), dtype=np.uint8); ref[:2] = 1
    >>> pred = np.zeros((4, 4, 4), dtype=np.uint8); pred[1:3] = 1
    >>> row = segmentation_per_case([ref], [pred], spacing_mm=(1.0, 1.0, 5.0)).iloc[0]
    >>> float(row.dice), float(row.iou), float(row.abs_volume_error_ml)
    (0.5, 0.3333333333333333, 0.0)
    """
    from hemstats.cohort import Cohort

    if findings is not None and not isinstance(findings, str):
        raise InputError(f"segmentation_per_case: findings must be one finding code, got {findings!r}")
    if isinstance(reference, Cohort):
        reference = reference.lesions
    if isinstance(reference, pd.DataFrame) or isinstance(prediction, pd.DataFrame):
        return _from_tables(reference, prediction, finding=findings, model=model)
    if isinstance(reference, Mapping):
        ids = list(reference) if case_ids is None else list(case_ids)
        if not isinstance(prediction, Mapping):
            raise InputError("prediction: a mapping of case id -> mask, like reference")
        missing = [i for i in ids if i not in prediction]
        if missing:
            raise InputError(f"prediction: no mask for cases {missing[:5]} (of {len(missing)})")
        refs, preds = [reference[i] for i in ids], [prediction[i] for i in ids]
    else:
        refs, preds = list(cast(Sequence[Any], reference)), list(cast(Sequence[Any], prediction))
        if len(refs) != len(preds):
            raise InputError(f"{len(refs)} reference masks but {len(preds)} predicted masks")
        ids = [str(i) for i in range(len(refs))] if case_ids is None else list(case_ids)
    if len(ids) != len(refs):
        raise InputError(f"case_ids: {len(ids)} ids for {len(refs)} cases")
    n = len(refs)
    if voxel_volume_ml is None and spacing_mm is None:
        raise InputError("give voxel_volume_ml or spacing_mm: volumes in ml need the voxel size")
    if voxel_volume_ml is not None:
        vox = np.broadcast_to(np.asarray(voxel_volume_ml, dtype=np.float64), (n,))
    else:
        sp = np.asarray(spacing_mm, dtype=np.float64)
        vox = np.broadcast_to(np.prod(sp, axis=-1) / 1000.0, (n,))
    if (vox <= 0).any() or not np.isfinite(vox).all():
        raise InputError("voxel size must be positive and finite")
    clusters = ids if cluster is None else list(cluster)
    if len(clusters) != n:
        raise InputError(f"cluster: {len(clusters)} ids for {n} cases")
    rows = []
    for i in range(n):
        r, p = np.asarray(refs[i]), np.asarray(preds[i])
        if label is not None:
            r, p = r == label, p == label
        rows.append({"dataset": dataset, "study_id": str(ids[i]), "finding": findings, "model": model,
                     "cluster": clusters[i], **_mask_row(r, p, float(vox[i]), f"case {ids[i]!r}")})
    return _frame(rows)


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    out = pd.DataFrame(rows, columns=list(SEGMENTATION_CASE_COLUMNS))
    out["reason"] = out["reason"].astype("string")
    return out


def _from_tables(reference: Any, prediction: Any, *, finding: str | None, model: str) -> pd.DataFrame:
    for name, t in (("reference", reference), ("prediction", prediction)):
        if not isinstance(t, pd.DataFrame):
            raise InputError(f"segmentation_per_case: {name} must be a lesions table like the other argument, "
                             f"got {type(t).__name__}")
        check_columns(t, "lesions", where=f"segmentation_per_case ({name})",
                      columns=("dataset", "study_id", "finding", "volume_ml"))
    key = ["dataset", "study_id", "finding"]
    ref = reference[key + ["volume_ml"]].astype({k: object for k in key})
    pred = prediction.assign(model=prediction.get("model", model))
    pred = pred[key + ["model", "volume_ml"]].astype({k: object for k in key + ["model"]})
    if finding is not None:
        ref, pred = ref[ref["finding"] == finding], pred[pred["finding"] == finding]
    rows = []
    for m, p in pred.groupby("model", sort=False):
        merged = ref.merge(p.drop(columns="model"), on=key, how="outer", suffixes=("_ref", "_pred"))
        for rec in merged.to_dict("records"):
            r_ml = float(rec["volume_ml_ref"]) if pd.notna(rec["volume_ml_ref"]) else 0.0
            p_ml = float(rec["volume_ml_pred"]) if pd.notna(rec["volume_ml_pred"]) else 0.0
            rows.append({"dataset": rec["dataset"], "study_id": rec["study_id"], "finding": rec["finding"],
                         "model": m, "cluster": rec["study_id"], "dice": np.nan, "iou": np.nan,
                         "reference_ml": r_ml, "predicted_ml": p_ml, "abs_volume_error_ml": abs(p_ml - r_ml),
                         "reason": "volumes only (lesions tables): Dice and IoU need masks"})
    return _frame(rows)


def _weighted_mean(y: np.ndarray, score: np.ndarray, weights: np.ndarray) -> np.ndarray:
    w = np.asarray(weights, dtype=np.float64)
    return (w @ score) / w.sum(axis=1)


def segmentation_metrics(
    per_case: pd.DataFrame,
    *,
    studies: pd.DataFrame | None = None,
    cluster: str | None = "cluster",
    bootstrap_method: BootstrapMethod = "percentile",
    confidence_level: float = CONFIDENCE_LEVEL,
    n_resamples: int = N_RESAMPLES,
    rng: Seed = None,
) -> pd.DataFrame:
    """Mean Dice, IoU and absolute volume error with patient-clustered bootstrap CIs.

    Parameters
    ----------
    per_case : DataFrame
        The output of :func:`segmentation_per_case`.
    studies : DataFrame, optional
        With ``cluster="patient_id"``: the studies table mapping ``study_id`` to patients.
    cluster : str or None, default "cluster"
        Column of ``per_case`` (or of ``studies``) whose values are resampled whole;
        ``None`` resamples cases.
    bootstrap_method, confidence_level, n_resamples, rng
        As :func:`hemstats.stats.bootstrap_ci` (unstratified: there are no classes).  The
        ``method`` column says the design: ``cluster-bootstrap-percentile`` (patients resampled
        whole) or ``bootstrap-percentile`` (``cluster=None``); Dice and IoU intervals are
        clipped to [0, 1].  One cluster gives NaN, fewer than 10 a warning in ``reason``.

    Returns
    -------
    pandas.DataFrame
        Columns ``dataset, level, finding, subgroup, subgroup_value, model, metric, estimate,
        ci_low, ci_high, n, n_positive, method, confidence_level, n_resamples,
        n_failed_resamples, n_clusters, reason`` (``level``, ``subgroup``, ``subgroup_value`` and
        ``n_positive`` missing: masks have no label level and no classes); ``metric`` is
        ``dice``, ``iou`` or ``abs_volume_error_ml``; cases where a metric is undefined
        (both masks empty) are left out of that metric and counted in ``reason``.

    Notes
    -----
    Validated against: a loop over whole patients on the same resample indices (tests).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> refs = [rng.random((8, 8, 4)) > 0.5 for _ in range(6)]
    >>> preds = [r ^ (rng.random(r.shape) > 0.9) for r in refs]
    >>> cases = segmentation_per_case(refs, preds, voxel_volume_ml=0.001, cluster=[1, 1, 2, 2, 3, 3])
    >>> res = segmentation_metrics(cases, n_resamples=200, rng=0)
    >>> res[["metric", "n", "n_clusters"]].values.tolist()
    [['dice', 6, 3], ['iou', 6, 3], ['abs_volume_error_ml', 6, 3]]
    """
    where = "segmentation_metrics"
    n_resamples, confidence_level, checked = check_bootstrap_options(
        n_resamples=n_resamples, confidence_level=confidence_level, bootstrap_method=bootstrap_method, rng=rng)
    method = cast(BootstrapMethod, checked)
    if not isinstance(per_case, pd.DataFrame):
        raise InputError(f"{where}: per_case must be the table of segmentation_per_case, got {type(per_case).__name__}")
    missing = sorted(set(SEGMENTATION_CASE_COLUMNS) - {"reason"} - set(per_case.columns))
    if missing:
        raise InputError(f"{where}: per_case is missing columns {missing}; use segmentation_per_case")
    if cluster is not None and not isinstance(cluster, str):
        raise InputError(f"{where}: cluster must be a column name or None, got {cluster!r}")
    frame = per_case
    if cluster is not None and cluster not in frame.columns:
        if studies is None or cluster not in studies.columns:
            raise InputError(f"{where}: cluster {cluster!r} is neither a per_case column nor a studies column")
        st = studies[["dataset", "study_id", cluster]].astype({"dataset": object, "study_id": object})
        frame = frame.astype({"dataset": object, "study_id": object}).merge(st, on=["dataset", "study_id"], how="left")
    gen = np.random.default_rng(rng)
    rows = []
    keys = ["dataset", "finding", "model"]
    filled = frame.assign(**{k: frame[k].astype(object).where(frame[k].notna(), "\0") for k in keys})
    for key, part in filled.groupby(keys, sort=False, dropna=False):
        group = {k: (None if v == "\0" else v) for k, v in zip(keys, key)}
        for metric in _METRICS:
            vals = part[metric].to_numpy(dtype=np.float64)
            ok = np.isfinite(vals)
            left = int((~ok).sum())
            note = f"{left} cases with {metric} undefined left out" if left else None
            cl = None if cluster is None else part[cluster].to_numpy()[ok]
            base = {**group, "metric": metric, "n": int(ok.sum()),
                    "n_clusters": int(ok.sum()) if cl is None else len(pd.unique(cl)),
                    "method": method_code(method, stratified=False, clustered=cl is not None),
                    "confidence_level": float(confidence_level)}
            if ok.sum() < 2:
                rows.append({**base, "estimate": float(vals[ok].mean()) if ok.any() else np.nan, "ci_low": np.nan,
                             "ci_high": np.nan, "n_resamples": 0, "n_failed_resamples": 0,
                             "reason": "; ".join(x for x in (note, "fewer than 2 cases: no interval") if x)})
                continue
            dist = bootstrap_distribution(statistic=_weighted_mean, y=np.zeros(int(ok.sum()), dtype=np.int8),
                                          score=vals[ok],
                                          model=[str(group["model"])], cluster=cl, stratify=False,
                                          n_resamples=n_resamples, rng=gen, jackknife=method == "bca")
            bounds = (0.0, 1.0) if metric in ("dice", "iou") else (0.0, np.inf)
            ci = dist.ci(bootstrap_method=method, confidence_level=confidence_level, bounds=bounds).iloc[0]
            rows.append({**base, "estimate": float(ci.estimate), "ci_low": ci.ci_low, "ci_high": ci.ci_high,
                         "n_resamples": n_resamples, "n_failed_resamples": int(ci.n_failed_resamples),
                         "reason": "; ".join(str(x) for x in (note, ci.reason) if x is not None and x is not pd.NA)
                         or None})
    return result_frame(rows, extra=("model",))
