"""Predictions + labels -> per-group (y, scores): the joins behind every performance statistic.

Tables are joined on ``dataset, study_id, slice_id, level, finding``; the reference standard is
a rater (``consensus`` by default) or ``"majority"``: the one rule of
:func:`hemstats.consensus.majority_labels` (more than half of *all* the dataset's readers);
units without a majority are left out and counted in ``reason``.  Predictions without a
reference label are left out and counted; none joining at all raises :class:`JoinError`.
Duplicated predictions (same unit, finding and model) or duplicated reference labels (same
unit, finding and rater) raise :class:`InputError` naming the rows.  Plain arrays
become one group with missing dataset/finding.

Clustering (``cluster="auto"``, the default of every statistic): slices are nested in
patients, and a patient may have several studies, so a group (dataset x level x finding) is
resampled by the studies' ``patient_id`` when some patient holds more than one of its units,
else by row.  Without a ``patient_id`` (a bare predictions table, no ``studies``) slices are
clustered by ``study_id`` and studies are independent rows.  ``cluster=None`` treats every row
as independent; a column name clusters every group by it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from hemstats.consensus import majority_labels
from hemstats.errors import InputError, JoinError

__all__ = ["paired_scores", "JoinError", "GROUP_COLUMNS"]

GROUP_COLUMNS: tuple[str, ...] = ("dataset", "level", "finding", "subgroup", "subgroup_value")
_KEY = ["dataset", "study_id", "slice_id", "level", "finding"]

# --------------------------------------------------------------------------------------------
# tables -> (y, scores)
# --------------------------------------------------------------------------------------------
def _check_duplicates(table: pd.DataFrame, key: Sequence[str], what: str) -> None:
    """Duplicated rows on ``key`` are an error naming the rows (index labels), never a silent pick."""
    cols = {c: table[c].astype(object).where(table[c].notna(), "") for c in key if c in table.columns}
    dup = pd.DataFrame(cols, index=table.index).duplicated(keep=False).to_numpy()
    if dup.any():
        rows = [str(r) for r in table.index[dup][:10]]
        raise InputError(
            f"{what}: {int(dup.sum())} duplicated rows (same {', '.join(cols)}): rows {', '.join(rows)}"
            + (" ..." if dup.sum() > 10 else "") + "; keep one row per unit"
        )


def _reference(labels: pd.DataFrame, reference: str) -> pd.DataFrame:
    """The reference label of every unit (key columns, ``value``)."""
    return _reference_and_undecided(labels, reference)[0]


def _reference_and_undecided(labels: pd.DataFrame, reference: str) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The reference labels, and (``reference="majority"``) the keys of the units without a majority."""
    need = {"dataset", "study_id", "level", "finding", "rater", "value"}
    missing = sorted(need - set(labels.columns))
    if missing:
        raise InputError(f"labels: missing columns {missing}; expected the canonical labels table")
    values = pd.to_numeric(labels["value"].astype(object), errors="coerce")
    bad = (labels["value"].notna() & ~values.isin([0, 1])).to_numpy()
    if bad.any():
        first = labels.index[bad][0]
        raise InputError(
            f"labels.value: expected 0 or 1 (or missing); {int(bad.sum())} rows are not, first: row {first} "
            f"({labels['value'].loc[first]!r})"
        )
    raters = labels["rater"].astype(object)
    if reference == "majority":
        readers = labels[raters != "consensus"]
        _check_duplicates(readers, [*_KEY, "rater"], "labels")
        if readers.empty:
            raise InputError("labels.rater: reference='majority' needs readers other than 'consensus'")
        decided, undecided = majority_labels(readers)
        key = [c for c in _KEY if c in decided.columns]
        out = decided.assign(slice_id=decided["slice_id"].astype(object).fillna("") if "slice_id" in decided else "")
        out = out[key + ["value"]]
        und = undecided.assign(slice_id=undecided["slice_id"].astype(object).fillna("")
                               if "slice_id" in undecided else "")
        return out, und[key].astype(object)
    else:
        sel = labels[raters == reference]
        if sel.empty:
            known = sorted(map(str, pd.unique(raters)))
            raise InputError(f"labels.rater: no rows with rater {reference!r}; raters present: {known}")
        _check_duplicates(sel, _KEY, f"labels (rater {reference!r})")
        out = sel.assign(slice_id=sel["slice_id"].astype(object).fillna("") if "slice_id" in sel else "")
        out = out[[c for c in _KEY if c in out.columns] + ["value"]]
    return out, None


def _unmatched_note(unmatched: dict, key: tuple) -> str | None:
    """The ``reason`` text for the predictions of ``key = (dataset, level, finding, model)`` left out."""
    return unmatched.get(key)


def _join(
    predictions: pd.DataFrame,
    labels: pd.DataFrame,
    *,
    reference: str,
    finding: str | Sequence[str] | None,
    level: str | None,
    studies: pd.DataFrame | None,
    cluster: str | None,
    by: str | None,
) -> tuple[pd.DataFrame, dict[tuple, int]]:
    """Long frame: group columns, model, study_id, slice_id, score, y (+ cluster); unmatched counts."""
    need = {"dataset", "study_id", "level", "finding", "model", "score"}
    missing = sorted(need - set(predictions.columns))
    if missing:
        raise InputError(f"predictions: missing columns {missing}; expected the canonical predictions table")
    pred = predictions
    if finding is not None:
        wanted = [finding] if isinstance(finding, str) else list(finding)
        pred = pred[pred["finding"].astype(object).isin(wanted)]
        if pred.empty:
            raise InputError(f"predictions: no rows for finding {wanted}")
    if level is not None:
        pred = pred[pred["level"].astype(object) == level]
        if pred.empty:
            raise InputError(f"predictions: no rows at level {level!r}")
    pred = pred.assign(slice_id=pred["slice_id"].astype(object).fillna("") if "slice_id" in pred else "")
    _check_duplicates(pred, [*_KEY, "model"], "predictions")
    score = pd.to_numeric(pred["score"], errors="coerce").astype("float64").to_numpy(na_value=np.nan)
    bad = ~np.isfinite(score)
    if bad.any():
        row = pred.iloc[int(np.flatnonzero(bad)[0])]
        raise InputError(
            f"predictions.score: {int(bad.sum())} scores are missing, NaN or infinite; first: dataset "
            f"{row['dataset']!r}, study_id {row['study_id']!r}, finding {row['finding']!r}, model {row['model']!r}"
        )
    ref, undecided = _reference_and_undecided(labels, reference)
    cols = {c: pred[c].astype(object) for c in ("dataset", "study_id", "slice_id", "level", "finding", "model")}
    left = pd.DataFrame(cols).assign(score=score)
    right = ref.astype({c: object for c in ref.columns if c != "value"})
    merged = left.merge(right, on=[c for c in _KEY], how="left", validate="many_to_one")
    unmatched_mask = merged["value"].isna()
    counts = merged[unmatched_mask].groupby(["dataset", "level", "finding", "model"]).size().to_dict()
    unmatched = {k: f"{v} predictions without a {reference!r} label left out" for k, v in counts.items()}
    if undecided is not None and len(undecided):
        und = merged[unmatched_mask].merge(undecided, on=[c for c in _KEY if c in undecided.columns])
        for k, v in und.groupby(["dataset", "level", "finding", "model"]).size().to_dict().items():
            unmatched[k] = (f"{counts[k]} predictions without a 'majority' label left out, of which {v} units "
                            "have no majority (more than half of all the dataset's readers)")
    merged = merged[~unmatched_mask].assign(y=lambda d: d["value"].astype(np.int8)).drop(columns="value")
    if merged.empty:
        raise JoinError(
            f"predictions and labels do not join: none of {len(left)} predictions has a {reference!r} label on "
            f"({', '.join(_KEY)}); check dataset names, study_id/slice_id and level"
        )
    auto = _is_auto(cluster)
    if auto:
        slices = (merged["level"] == "slice").to_numpy()
        has_patients = studies is not None and "patient_id" in studies.columns
        cluster = "patient_id" if has_patients else ("study_id" if slices.any() else None)
    extra = [c for c in (cluster, by) if c is not None and c not in merged.columns]
    if extra:
        if studies is None or any(c not in studies.columns for c in extra):
            raise InputError(
                f"columns {extra} are neither in predictions nor in studies; pass studies= (or a Cohort)"
            )
        st = studies[["dataset", "study_id", *extra]].astype({"dataset": object, "study_id": object})
        merged = merged.merge(st, on=["dataset", "study_id"], how="left", validate="many_to_one")
        if cluster is not None and not auto and merged[cluster].isna().any():
            first = merged.loc[merged[cluster].isna(), "study_id"].iloc[0]
            raise InputError(f"studies.{cluster}: missing for study_id {first!r}; cannot cluster")
    if auto and cluster is not None:  # by patient (a study without patient_id is its own cluster)
        ids = merged[cluster].astype(object)
        ids = ids.where(ids.notna(), "study:" + merged["study_id"].astype(str))
        merged["__cluster"] = ids if cluster == "patient_id" else ids.where(slices, None)
        cluster = "__cluster"
    merged["subgroup"] = by if by is not None else pd.NA
    merged["subgroup_value"] = merged[by].astype(object) if by is not None else pd.NA
    if by is not None:
        merged = merged[merged["subgroup_value"].notna()]
    merged.attrs["cluster"] = cluster
    return merged, unmatched


def _unpack(data: Any, labels: Any, studies: Any) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame | None]:
    from hemstats.cohort import Cohort

    if isinstance(data, Cohort):
        return data.predictions, data.labels, data.studies if studies is None else studies
    if labels is None or not isinstance(labels, pd.DataFrame):
        raise InputError("labels: pass the labels table with the predictions table (or a Cohort)")
    return data, labels, studies


def _is_table(data: Any, labels: Any = None) -> bool:
    """A Cohort, or a predictions table (its columns, or a labels table beside it)."""
    from hemstats.cohort import Cohort

    if isinstance(data, Cohort):
        return True
    return isinstance(data, pd.DataFrame) and (
        {"model", "score", "finding"} <= set(data.columns) or isinstance(labels, pd.DataFrame)
    )


def _groups(joined: pd.DataFrame):
    keys = list(GROUP_COLUMNS)
    frame = joined.assign(**{k: joined[k].astype(object).where(joined[k].notna(), "\0") for k in keys})
    for key, part in frame.groupby(keys, sort=False, observed=True, dropna=False):
        yield tuple(None if v == "\0" else v for v in key), part


def _wide(part: pd.DataFrame, cluster: str | None):
    """Cases x models (NaN where a model has no score), labels and cluster ids."""
    idx = ["study_id", "slice_id"]
    # duplicated predictions were rejected in _join: "first" is the only value
    wide = part.pivot_table(index=idx, columns="model", values="score", aggfunc="first", observed=True, sort=False)
    meta = part.drop_duplicates(idx).set_index(idx, drop=False).loc[wide.index]
    clusters = None
    if cluster is not None and meta[cluster].notna().any():
        clusters = meta[cluster].astype(object).to_numpy()
        if cluster == "__cluster" and len(pd.unique(clusters)) == len(clusters):
            clusters = None  # cluster="auto": one unit per patient, the rows are independent
    return wide, meta["y"].to_numpy(dtype=np.int8), clusters


def _model_arrays(joined: pd.DataFrame, cluster: str | None):
    """Yield ``(group, model, y, scores, clusters)`` per group and model, over the cases the model scored.

    ``group`` maps :data:`GROUP_COLUMNS` to the group's values; ``clusters`` is None without ``cluster``.
    """
    for key, part in _groups(joined):
        group = dict(zip(GROUP_COLUMNS, key))
        wide, y_all, clusters = _wide(part, cluster)
        for model in wide.columns:
            ok = wide[model].notna().to_numpy()
            y, s = y_all[ok], wide.loc[ok, model].to_numpy(dtype=np.float64)
            yield group, model, y, s, (None if clusters is None else clusters[ok])


def paired_scores(
    predictions: pd.DataFrame,
    labels: pd.DataFrame,
    *,
    finding: str,
    dataset: str | None = None,
    level: Literal["study", "slice"] = "study",
    reference: str = "consensus",
) -> tuple[np.ndarray, pd.DataFrame]:
    """Labels and the cases x models score matrix of one finding (cases every model scored).

    Returns
    -------
    y : ndarray of int8 (n,)
    scores : pandas.DataFrame (n, k), one column per model, indexed by ``study_id, slice_id``.

    Examples
    --------
    >>> from hemstats.datasets import demo
    >>> cohort = demo.load(n_studies=200)
    >>> y, scores = paired_scores(cohort.predictions, cohort.labels, finding="sdh")
    >>> y.shape, list(scores.columns)
    ((200,), ['model_a', 'model_b'])
    """
    joined, _ = _join(predictions, labels, reference=reference, finding=finding, level=level,
                      studies=None, cluster=None, by=None)
    if dataset is not None:
        joined = joined[joined["dataset"] == dataset]
    if joined["dataset"].nunique() > 1:
        raise InputError(f"predictions: several datasets {sorted(joined['dataset'].unique())}; pass dataset=")
    wide, y, _ = _wide(joined, None)
    keep = wide.notna().all(axis=1).to_numpy()
    wide.columns = [str(c) for c in wide.columns]
    wide.columns.name = None
    return y[keep], wide[keep]


def _reason_join(*parts: Any) -> Any:
    text = "; ".join(str(p) for p in parts if p is not None and p is not pd.NA and p == p and str(p))
    return text if text else pd.NA


def _finish(rows: list[dict], columns: Sequence[str]) -> pd.DataFrame:
    out = pd.DataFrame(rows, columns=list(columns))
    for c in ("reason", "method", "model", "model_1", "model_2"):
        if c in out:
            out[c] = out[c].astype("string")
    return out


def _array_groups(scores: Any, y: Any, cluster: Any) -> tuple[pd.DataFrame, dict]:
    """Plain arrays as a one-group long frame (dataset, level, finding missing)."""
    from hemstats.stats.resampling.engine import _check_scores, _check_y

    y_arr = _check_y(y, "labels")
    arr, names = _check_scores(scores, len(y_arr), "scores")
    if cluster is not None:
        n_ids = len(np.asarray(cluster, dtype=object).ravel())
        if n_ids != len(y_arr):
            raise InputError(f"cluster: expected {len(y_arr)} ids (one per label), got {n_ids}")
        if pd.isna(pd.Series(np.asarray(cluster, dtype=object).ravel())).any():
            raise InputError("cluster: some ids are missing; every row needs a cluster id")
    names = names or (["score"] if arr.shape[1] == 1 else [f"score_{i}" for i in range(arr.shape[1])])
    frames = []
    for k, name in enumerate(names):
        frames.append(pd.DataFrame({
            "dataset": pd.NA, "level": pd.NA, "finding": pd.NA, "model": name,
            "study_id": np.arange(len(y_arr)).astype(str), "slice_id": "", "score": arr[:, k], "y": y_arr,
            "__cluster": cluster if cluster is not None else np.arange(len(y_arr)),
        }))
    long = pd.concat(frames, ignore_index=True)
    long["subgroup"] = pd.NA
    long["subgroup_value"] = pd.NA
    for c in ("dataset", "level", "finding"):
        long[c] = long[c].astype(object)
    return long, {}


def _is_auto(cluster: Any) -> bool:
    return isinstance(cluster, str) and cluster == "auto"


def _prepare(data, labels, studies, *, reference, finding, level, cluster, by):
    """``(joined, unmatched, cluster column or None)``; ``cluster="auto"`` clusters slices by patient."""
    if _is_table(data, labels):
        if cluster is not None and not isinstance(cluster, str):
            raise InputError(f"cluster: with tables name a column (e.g. 'patient_id'), got {type(cluster).__name__}")
        preds, labs, studies = _unpack(data, labels, studies)
        joined, unmatched = _join(preds, labs, reference=reference, finding=finding, level=level,
                                  studies=studies, cluster=cluster, by=by)
        return joined, unmatched, (joined.attrs.get("cluster") if _is_auto(cluster) else cluster)
    if _is_auto(cluster):
        cluster = None
    if cluster is not None and isinstance(cluster, str):
        raise InputError("cluster: with plain arrays pass the cluster ids themselves, not a column name")
    joined, unmatched = _array_groups(data, labels, cluster)
    return joined, unmatched, (None if cluster is None else "__cluster")
