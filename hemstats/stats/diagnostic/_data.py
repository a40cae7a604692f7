"""Predictions + labels -> per-group (y, scores): the joins behind every performance statistic.

Every statistic of :mod:`hemstats.stats.diagnostic` takes a Cohort or the canonical
``predictions`` table first (then ``labels=`` and, optionally, ``studies=`` keyword-only);
:func:`prepare` resolves that input (:func:`hemstats.stats._core.resolve.resolve`) and joins
the tables on ``dataset, study_id, slice_id, level, finding``.  The reference standard is a
rater (``consensus`` by default) or ``"majority"``: the one rule of
:func:`hemstats.consensus.majority_labels` (more than half of *all* the dataset's readers);
units without a majority are left out and counted in ``reason``.  Predictions without a
reference label are left out and counted; none joining at all raises :class:`JoinError`.
Duplicated predictions (same unit, finding and model) or duplicated reference labels (same
unit, finding and rater) raise :class:`InputError` naming the rows.

Clustering (``cluster="auto"``, the default of every statistic): slices are nested in
patients, and a patient may have several studies, so a group (dataset x level x finding x
subgroup) is resampled by the studies' ``patient_id`` when some patient holds more than one of
its units, else by row.  Without a ``patient_id`` (a bare predictions table, no ``studies``)
slices are clustered by ``study_id`` and studies are independent rows.  ``cluster=None`` treats
every row as independent; a column name (of predictions or studies) clusters every group by it.

Subgroups (``by=``): one column or a list, of predictions or of studies (``"kernel"``,
``"kernel_family"``, ``["site", "sex"]``); reported as ``subgroup = "site, sex"`` and
``subgroup_value = "A, F"``; rows whose ``by`` value is missing are left out.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import pandas as pd

from hemstats.consensus import majority_labels
from hemstats.errors import InputError, JoinError
from hemstats.stats._core.columns import SUBGROUP_SEPARATOR, subgroup_name
from hemstats.stats._core.resolve import resolve

__all__ = [
    "GROUP_COLUMNS",
    "JoinError",
    "check_duplicates",
    "findings_list",
    "groups",
    "model_arrays",
    "paired_scores",
    "prepare",
    "reason_join",
    "reference_and_undecided",
    "unmatched_note",
    "wide_scores",
]

GROUP_COLUMNS: tuple[str, ...] = ("dataset", "level", "finding", "subgroup", "subgroup_value")
_KEY = ["dataset", "study_id", "slice_id", "level", "finding"]
_CLUSTER = "__cluster"


# --------------------------------------------------------------------------------------------
# options
# --------------------------------------------------------------------------------------------
def findings_list(findings: Any, where: str = "findings") -> list[str] | None:
    """``findings=`` as a list (a string is one code, never split into letters); None for all."""
    if findings is None:
        return None
    if isinstance(findings, str):
        return [findings]
    if isinstance(findings, Sequence | pd.Index | np.ndarray | pd.Series) and all(isinstance(f, str) for f in findings):
        out = list(findings)
        if out:
            return out
    raise InputError(f"{where}: findings must be a finding code or a list of them, got {findings!r}")


def _by_list(by: Any, where: str) -> list[str]:
    if by is None:
        return []
    if isinstance(by, str):
        return [by]
    if isinstance(by, Sequence) and by and all(isinstance(b, str) for b in by):
        return list(by)
    raise InputError(f"{where}: by must be a column name or a list of them, got {by!r}")


def _check_level(level: Any, where: str) -> None:
    if level is not None and level not in ("study", "slice"):
        raise InputError(f"{where}: level must be 'study', 'slice' or None, got {level!r}")


def _check_cluster(cluster: Any, where: str) -> None:
    if cluster is not None and not isinstance(cluster, str):
        raise InputError(f"{where}: cluster must be 'auto', a column name (e.g. 'patient_id') or None, "
                         f"got {type(cluster).__name__}")


def _check_reference(reference: Any, where: str) -> None:
    if not isinstance(reference, str) or not reference:
        raise InputError(f"{where}: reference must be a rater id or 'majority', got {reference!r}")


# --------------------------------------------------------------------------------------------
# tables -> (y, scores)
# --------------------------------------------------------------------------------------------
def check_duplicates(table: pd.DataFrame, key: Sequence[str], what: str) -> None:
    """Duplicated rows on ``key`` are an error naming the rows (index labels), never a silent pick."""
    cols = {c: table[c].astype(object).where(table[c].notna(), "") for c in key if c in table.columns}
    dup = pd.DataFrame(cols, index=table.index).duplicated(keep=False).to_numpy()
    if dup.any():
        rows = [str(r) for r in table.index[dup][:10]]
        raise InputError(
            f"{what}: {int(dup.sum())} duplicated rows (same {', '.join(cols)}): rows {', '.join(rows)}"
            + (" ..." if dup.sum() > 10 else "") + "; keep one row per unit"
        )


def reference_and_undecided(labels: pd.DataFrame, reference: str) -> tuple[pd.DataFrame, pd.DataFrame | None]:
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
        check_duplicates(readers, [*_KEY, "rater"], "labels")
        if readers.empty:
            raise InputError("labels.rater: reference='majority' needs readers other than 'consensus'")
        decided, undecided = majority_labels(readers)
        key = [c for c in _KEY if c in decided.columns]
        out = decided.assign(slice_id=decided["slice_id"].astype(object).fillna("") if "slice_id" in decided else "")
        out = out[key + ["value"]]
        und = undecided.assign(slice_id=undecided["slice_id"].astype(object).fillna("")
                               if "slice_id" in undecided else "")
        return out, und[key].astype(object)
    sel = labels[raters == reference]
    if sel.empty:
        known = sorted(map(str, pd.unique(raters)))
        raise InputError(f"labels.rater: no rows with rater {reference!r} (reference=); raters present: {known}")
    check_duplicates(sel, _KEY, f"labels (rater {reference!r})")
    out = sel.assign(slice_id=sel["slice_id"].astype(object).fillna("") if "slice_id" in sel else "")
    out = out[[c for c in _KEY if c in out.columns] + ["value"]]
    return out, None


def unmatched_note(unmatched: dict[tuple[Any, ...], str], group: dict[str, Any], model: Any) -> str | None:
    """The ``reason`` text for the predictions of one group and model left out for want of a label."""
    return unmatched.get((group["dataset"], group["level"], group["finding"], model))


def _subgroup_values(frame: pd.DataFrame, by: list[str]) -> pd.Series:
    parts = [frame[c].astype(object) for c in by]
    missing = pd.concat([p.isna() for p in parts], axis=1).any(axis=1)
    text = parts[0].map(str)
    for p in parts[1:]:
        text = text + SUBGROUP_SEPARATOR + p.map(str)
    return text.where(~missing, None)


def _join(
    predictions: pd.DataFrame,
    labels: pd.DataFrame,
    *,
    where: str,
    reference: str,
    findings: list[str] | None,
    level: str | None,
    studies: pd.DataFrame | None,
    cluster: str | None,
    by: list[str],
) -> tuple[pd.DataFrame, dict[tuple[Any, ...], str]]:
    """Long frame: group columns, model, study_id, slice_id, score, y (+ cluster); unmatched notes."""
    pred = predictions
    if findings is not None:
        pred = pred[pred["finding"].astype(object).isin(findings)]
        if pred.empty:
            present = sorted(map(str, pd.unique(predictions["finding"].astype(object))))
            raise InputError(f"{where}: no predictions for findings {findings}; findings present: {present}")
    if level is not None:
        pred = pred[pred["level"].astype(object) == level]
        if pred.empty:
            raise InputError(f"{where}: no predictions at level {level!r}")
    pred = pred.assign(slice_id=pred["slice_id"].astype(object).fillna("") if "slice_id" in pred else "")
    check_duplicates(pred, [*_KEY, "model"], "predictions")
    score = pd.to_numeric(pred["score"], errors="coerce").astype("float64").to_numpy(na_value=np.nan)
    bad = ~np.isfinite(score)
    if bad.any():
        row = pred.iloc[int(np.flatnonzero(bad)[0])]
        raise InputError(
            f"predictions.score: {int(bad.sum())} scores are missing, NaN or infinite; first: row {row.name!r} "
            f"(dataset {row['dataset']!r}, finding {row['finding']!r}, model {row['model']!r})"
        )
    ref, undecided = reference_and_undecided(labels, reference)
    auto = cluster == "auto"
    wanted = [c for c in ((None if auto else cluster), *by) if c is not None]
    own = [c for c in dict.fromkeys(wanted) if c in pred.columns and c not in _KEY and c not in ("model", "score")]
    cols = {c: pred[c].astype(object) for c in ("dataset", "study_id", "slice_id", "level", "finding", "model", *own)}
    left = pd.DataFrame(cols).assign(score=score)
    right = ref.astype({c: object for c in ref.columns if c != "value"})
    merged = left.merge(right, on=list(_KEY), how="left", validate="many_to_one")
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
            f"{where}: predictions and labels do not join: none of {len(left)} predictions has a {reference!r} "
            f"label on ({', '.join(_KEY)}); check dataset names, study_id/slice_id and level"
        )
    if auto:
        slices = (merged["level"] == "slice").to_numpy()
        has_patients = studies is not None and "patient_id" in studies.columns
        cluster = "patient_id" if has_patients else ("study_id" if slices.any() else None)
    extra = [c for c in dict.fromkeys([c for c in (cluster, *by) if c is not None]) if c not in merged.columns]
    if extra:
        if studies is None or any(c not in studies.columns for c in extra):
            what = "by" if any(c in by for c in extra) else "cluster"
            raise InputError(
                f"{where}: {what} column(s) {extra} are neither in predictions nor in studies; "
                "pass studies= (or a Cohort)"
            )
        st = studies[["dataset", "study_id", *extra]].astype({"dataset": object, "study_id": object})
        merged = merged.merge(st, on=["dataset", "study_id"], how="left", validate="many_to_one")
    if cluster is not None and not auto and merged[cluster].isna().any():
        n_missing = int(merged[cluster].isna().sum())
        raise InputError(f"{where}: cluster column {cluster!r} is missing for {n_missing} predictions; cannot cluster")
    if auto and cluster is not None:  # by patient (a study without patient_id is its own cluster)
        ids = merged[cluster].astype(object)
        ids = ids.where(ids.notna(), "study:" + merged["study_id"].astype(str))
        merged[_CLUSTER] = ids if cluster == "patient_id" else ids.where(slices, None)
        cluster = _CLUSTER
    merged["subgroup"] = subgroup_name(by) if by else None
    merged["subgroup_value"] = _subgroup_values(merged, by) if by else None
    if by:
        merged = merged[merged["subgroup_value"].notna()]
    merged.attrs["cluster"] = cluster
    return merged, unmatched


def prepare(
    data: Any,
    *,
    where: str,
    labels: pd.DataFrame | None,
    studies: pd.DataFrame | None,
    reference: str,
    findings: Any,
    level: Any,
    cluster: Any,
    by: Any,
) -> tuple[pd.DataFrame, dict[tuple[Any, ...], str], str | None]:
    """``(joined, unmatched, cluster column or None)`` of a Cohort or a predictions table.

    ``cluster="auto"`` clusters by patient where a patient holds several units (see the module).
    """
    if isinstance(data, np.ndarray | list | tuple | pd.Series):
        raise InputError(
            f"{where}: the first argument must be a Cohort or the predictions table, got {type(data).__name__}; "
            "for arrays of labels and scores build a Cohort with "
            "hemstats.stats.diagnostic.arrays.from_arrays(y, score)"
        )
    _check_reference(reference, where)
    _check_level(level, where)
    _check_cluster(cluster, where)
    wanted = findings_list(findings, where)
    by_cols = _by_list(by, where)
    tables = resolve(data, "predictions", where=where, need=("labels",), labels=labels, studies=studies)
    assert tables.labels is not None  # need=("labels",)
    joined, unmatched = _join(tables.main, tables.labels, where=where, reference=reference, findings=wanted,
                              level=level, studies=tables.studies, cluster=cluster, by=by_cols)
    return joined, unmatched, joined.attrs.get("cluster")


def groups(joined: pd.DataFrame) -> Iterator[tuple[dict[str, Any], pd.DataFrame]]:
    """``(group, rows)`` per dataset x level x finding x subgroup, in order of appearance."""
    keys = list(GROUP_COLUMNS)
    frame = joined.assign(**{k: joined[k].astype(object).where(joined[k].notna(), "\0") for k in keys})
    for key, part in frame.groupby(keys, sort=False, observed=True, dropna=False):
        yield {k: (None if v == "\0" else v) for k, v in zip(keys, key, strict=True)}, part


def wide_scores(part: pd.DataFrame, cluster: str | None) -> tuple[pd.DataFrame, np.ndarray, np.ndarray | None]:
    """Cases x models (NaN where a model has no score), labels and cluster ids."""
    idx = ["study_id", "slice_id"]
    # duplicated predictions were rejected in _join: "first" is the only value
    wide = part.pivot_table(index=idx, columns="model", values="score", aggfunc="first", observed=True, sort=False)
    meta = part.drop_duplicates(idx).set_index(idx, drop=False).loc[wide.index]
    clusters = None
    if cluster is not None and meta[cluster].notna().any():
        clusters = meta[cluster].astype(object).to_numpy()
        if cluster == _CLUSTER and len(pd.unique(clusters)) == len(clusters):
            clusters = None  # cluster="auto": one unit per patient, the rows are independent
    return wide, meta["y"].to_numpy(dtype=np.int8), clusters


def model_arrays(
    joined: pd.DataFrame, cluster: str | None,
) -> Iterator[tuple[dict[str, Any], str, np.ndarray, np.ndarray, np.ndarray | None]]:
    """Yield ``(group, model, y, scores, clusters)`` per group and model, over the cases the model scored.

    ``group`` maps :data:`GROUP_COLUMNS` to the group's values; ``clusters`` is None without ``cluster``.
    """
    for group, part in groups(joined):
        wide, y_all, clusters = wide_scores(part, cluster)
        for model in wide.columns:
            ok = wide[model].notna().to_numpy()
            y, s = y_all[ok], wide.loc[ok, model].to_numpy(dtype=np.float64)
            yield group, str(model), y, s, (None if clusters is None else clusters[ok])


def paired_scores(
    data: Any,
    *,
    labels: pd.DataFrame | None = None,
    findings: str,
    dataset: str | None = None,
    level: str = "study",
    reference: str = "consensus",
) -> tuple[np.ndarray, pd.DataFrame]:
    """Labels and the cases x models score matrix of one finding (cases every model scored).

    Parameters
    ----------
    data : Cohort or predictions table
        With a predictions table, pass ``labels=``.
    findings : str
        One finding code.
    dataset : str, optional
        Needed when the predictions hold several datasets.

    Returns
    -------
    y : ndarray of int8 (n,)
    scores : pandas.DataFrame (n, k), one column per model, indexed by ``study_id, slice_id``.

    Examples
    --------
    >>> from hemstats.datasets import demo
    >>> cohort = demo.load(n_studies=200)
    >>> y, scores = paired_scores(cohort, findings="sdh")
    >>> y.shape, list(scores.columns)
    ((200,), ['model_a', 'model_b'])
    """
    wanted = findings_list(findings, "paired_scores")
    if wanted is None or len(wanted) != 1:
        raise InputError(f"paired_scores: findings must be one finding code, got {findings!r}")
    joined, _, _ = prepare(data, where="paired_scores", labels=labels, studies=None, reference=reference,
                           findings=wanted, level=level, cluster=None, by=None)
    if dataset is not None:
        joined = joined[joined["dataset"] == dataset]
    if joined["dataset"].nunique() > 1:
        raise InputError(f"paired_scores: several datasets {sorted(joined['dataset'].unique())}; pass dataset=")
    wide, y, _ = wide_scores(joined, None)
    keep = wide.notna().all(axis=1).to_numpy()
    wide.columns = [str(c) for c in wide.columns]
    wide.columns.name = None
    return y[keep], wide[keep]


def reason_join(*parts: Any) -> str | None:
    """The non-empty parts joined by ``"; "`` (None when there is none)."""
    text = "; ".join(str(p) for p in parts if p is not None and p is not pd.NA and p == p and str(p))
    return text if text else None
