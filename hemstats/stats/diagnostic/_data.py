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
from dataclasses import dataclass
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
    "Wide",
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
# integer codes: one factorisation per key column
# --------------------------------------------------------------------------------------------
def _codes(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes of ``values`` in order of appearance and the distinct values; missing is ``""``."""
    codes, uniques = pd.factorize(values)
    uniques = np.asarray(uniques, dtype=object)
    if (codes < 0).any():
        empty = np.flatnonzero(uniques == "")
        if len(empty):
            codes = np.where(codes < 0, empty[0], codes)
        else:
            codes, uniques = np.where(codes < 0, len(uniques), codes), np.append(uniques, "")
    return np.asarray(codes, dtype=np.int64), uniques


def _union_codes(left: pd.Series, right: pd.Series) -> tuple[np.ndarray, np.ndarray, int]:
    """Codes of two columns over the union of their values (missing equals ``""``), and how many there are.

    Two categoricals are coded through their categories, so long columns cost one lookup.
    """
    if isinstance(left.dtype, pd.CategoricalDtype) and isinstance(right.dtype, pd.CategoricalDtype):
        n_left = len(left.cat.categories)
        categories = np.concatenate([left.cat.categories.to_numpy(dtype=object),
                                     right.cat.categories.to_numpy(dtype=object), [None]])
        codes, uniques = _codes(pd.Series(categories))
        left_map, right_map = codes[np.r_[:n_left, -1]], codes[n_left:]  # code -1 (missing) is the last entry
        return left_map[left.cat.codes.to_numpy()], right_map[right.cat.codes.to_numpy()], len(uniques)
    codes, uniques = _codes(pd.concat([left, right], ignore_index=True))
    return codes[: len(left)], codes[len(left):], len(uniques)


def _row_keys(n: int, columns: Sequence[tuple[np.ndarray, int]]) -> np.ndarray:
    """One int64 per row of ``n``, equal exactly when every column's code is (codes folded in mixed radix)."""
    key = np.zeros(n, dtype=np.int64)
    radix = 1
    for codes, width in columns:
        if radix * width >= 2**62:  # renumber before the next column could overflow
            key, uniques = pd.factorize(key)
            radix = len(uniques)
        key = key * width + codes
        radix *= width
    return key


def _lookup(left: pd.DataFrame, right: pd.DataFrame, key: Sequence[str]) -> np.ndarray:
    """Position in ``right`` (unique on ``key``) of each row of ``left`` with the same ``key``; -1 for none."""
    pairs = [_union_codes(left[c], right[c]) for c in key]
    both = _row_keys(len(left) + len(right), [(np.concatenate([lc, rc]), width) for lc, rc, width in pairs])
    return pd.Index(both[len(left):]).get_indexer(both[: len(left)])


def check_duplicates(table: pd.DataFrame, key: Sequence[str], what: str) -> None:
    """Duplicated rows on ``key`` are an error naming the rows (index labels), never a silent pick.

    A missing value equals ``""`` (a study-level row has no ``slice_id``).
    """
    cols = [c for c in key if c in table.columns]
    coded = [_codes(table[c]) for c in cols]
    keys = _row_keys(len(table), [(codes, len(uniques)) for codes, uniques in coded])
    dup = pd.Series(keys).duplicated(keep=False).to_numpy()
    if dup.any():
        rows = [str(r) for r in table.index[dup][:10]]
        raise InputError(
            f"{what}: {int(dup.sum())} duplicated rows (same {', '.join(cols)}): rows {', '.join(rows)}"
            + (" ..." if dup.sum() > 10 else "") + "; keep one row per unit"
        )


# --------------------------------------------------------------------------------------------
# tables -> (y, scores)
# --------------------------------------------------------------------------------------------
def reference_and_undecided(
    labels: pd.DataFrame, reference: str, *, trusted: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The reference labels, and (``reference="majority"``) the keys of the units without a majority.

    ``trusted`` labels (a Cohort's) are not checked again: values 0/1, one row per unit and rater.
    """
    need = {"dataset", "study_id", "level", "finding", "rater", "value"}
    missing = sorted(need - set(labels.columns))
    if missing:
        raise InputError(f"labels: missing columns {missing}; expected the canonical labels table")
    if not trusted:
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
        if not trusted:
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
    sel = labels[(raters == reference).to_numpy()]
    if sel.empty:
        known = sorted(map(str, pd.unique(raters)))
        raise InputError(f"labels.rater: no rows with rater {reference!r} (reference=); raters present: {known}")
    if not trusted:
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
    trusted: bool,
) -> tuple[pd.DataFrame, dict[tuple[Any, ...], str]]:
    """Long frame: group columns, model, study_id, slice_id, score, y (+ cluster); unmatched notes.

    ``trusted`` tables (a Cohort's) are not checked again: unique keys, finite scores, 0/1 labels.
    """
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
    score = pred["score"].to_numpy(dtype=np.float64, na_value=np.nan) if trusted else \
        pd.to_numeric(pred["score"], errors="coerce").astype("float64").to_numpy(na_value=np.nan)
    if not trusted:
        check_duplicates(pred, [*_KEY, "model"], "predictions")
        bad = ~np.isfinite(score)
        if bad.any():
            row = pred.iloc[int(np.flatnonzero(bad)[0])]
            raise InputError(
                f"predictions.score: {int(bad.sum())} scores are missing, NaN or infinite; first: row {row.name!r} "
                f"(dataset {row['dataset']!r}, finding {row['finding']!r}, model {row['model']!r})"
            )
    ref, undecided = reference_and_undecided(labels, reference, trusted=trusted)
    auto = cluster == "auto"
    wanted = [c for c in ((None if auto else cluster), *by) if c is not None]
    own = [c for c in dict.fromkeys(wanted) if c in pred.columns and c not in _KEY and c not in ("model", "score")]
    position = _lookup(pred, ref, _KEY)  # the reference label of each prediction (-1: none)
    value = pd.to_numeric(ref["value"], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    y = np.append(value, np.nan)[position]
    matched = ~np.isnan(y)
    merged = pd.DataFrame({c: pred[c].to_numpy(dtype=object) for c in (*_KEY, "model", *own)})
    merged["score"] = score
    unmatched: dict[tuple[Any, ...], str] = {}
    if not matched.all():
        left_out = merged[~matched]
        left_out = left_out.assign(model=left_out["model"].map(str))  # as groups() names the models
        counts = left_out.groupby(["dataset", "level", "finding", "model"]).size().to_dict()
        unmatched = {k: f"{v} predictions without a {reference!r} label left out" for k, v in counts.items()}
        if undecided is not None and len(undecided):
            und = left_out.merge(undecided, on=[c for c in _KEY if c in undecided.columns])
            for k, v in und.groupby(["dataset", "level", "finding", "model"]).size().to_dict().items():
                unmatched[k] = (f"{counts[k]} predictions without a 'majority' label left out, of which {v} units "
                                "have no majority (more than half of all the dataset's readers)")
        merged = merged[matched].reset_index(drop=True)
    if merged.empty:
        raise JoinError(
            f"{where}: predictions and labels do not join: none of {len(pred)} predictions has a {reference!r} "
            f"label on ({', '.join(_KEY)}); check dataset names, study_id/slice_id and level"
        )
    merged["y"] = y[matched].astype(np.int8)
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
        if not trusted:
            check_duplicates(studies, ["dataset", "study_id"], "studies")
        study = _lookup(merged, studies, ["dataset", "study_id"])  # -1: not in studies
        for c in extra:
            merged[c] = np.append(studies[c].to_numpy(dtype=object), [None])[study]
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
                              level=level, studies=tables.studies, cluster=cluster, by=by_cols,
                              trusted=tables.trusted)
    return joined, unmatched, joined.attrs.get("cluster")


@dataclass(frozen=True)
class Wide:
    """One group as arrays: the units (``study_id, slice_id``) x models score matrix, labels and clusters."""

    scores: np.ndarray  # (n_units, n_models), NaN where a model has no score
    models: list[str]
    y: np.ndarray  # (n_units,) int8
    clusters: np.ndarray | None  # (n_units,) cluster ids, or None for independent units
    study_id: np.ndarray
    slice_id: np.ndarray


def groups(joined: pd.DataFrame, cluster: str | None) -> Iterator[tuple[dict[str, Any], Wide]]:
    """``(group, wide)`` per dataset x level x finding x subgroup, in order of appearance.

    The columns are read once; each group's rows become a :class:`Wide` without pandas.
    ``cluster`` is the cluster column :func:`prepare` returns (None: independent rows).
    """
    keys = list(GROUP_COLUMNS)
    coded = [_codes_with_missing(joined[k]) for k in keys]
    row_group, first = pd.factorize(_row_keys(len(joined), [(c + 1, len(u) + 1) for c, u in coded]))
    order = np.argsort(row_group, kind="stable")
    bounds = np.searchsorted(row_group[order], np.arange(len(first) + 1))
    columns = {c: joined[c].to_numpy(dtype=object) for c in ("study_id", "slice_id", "model")}
    columns["score"] = joined["score"].to_numpy(dtype=np.float64)
    columns["y"] = joined["y"].to_numpy(dtype=np.int8)
    ids = None if cluster is None else joined[cluster].to_numpy(dtype=object)
    for g in range(len(first)):
        rows = order[bounds[g]:bounds[g + 1]]
        head = rows[0]
        # a missing value (no subgroup) is reported as "" (the result tables have always said so)
        group = {k: ("" if c[head] < 0 else u[c[head]]) for k, (c, u) in zip(keys, coded, strict=True)}
        yield group, _wide({c: v[rows] for c, v in columns.items()}, None if ids is None else ids[rows], cluster)


def _codes_with_missing(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Codes (``-1`` for missing, a group of its own) and distinct values of a grouping column."""
    codes, uniques = pd.factorize(values.to_numpy(dtype=object))
    return np.asarray(codes, dtype=np.int64), np.asarray(uniques, dtype=object)


def _wide(rows: dict[str, np.ndarray], ids: np.ndarray | None, cluster: str | None) -> Wide:
    """Units in the order of ``pivot_table(index=["study_id", "slice_id"], sort=False)``: by study, then
    slice, each in order of first appearance; models in order of first appearance."""
    study, _ = pd.factorize(rows["study_id"])
    slice_, slice_ids = pd.factorize(rows["slice_id"])
    units, first, unit_of_row = np.unique(study * len(slice_ids) + slice_, return_index=True, return_inverse=True)
    model, models = pd.factorize(rows["model"])
    scores = np.full((len(units), len(models)), np.nan)
    scores[unit_of_row, model] = rows["score"]
    clusters = None
    if ids is not None and pd.notna(ids[first]).any():
        clusters = ids[first]
        if cluster == _CLUSTER and len(pd.unique(clusters)) == len(clusters):
            clusters = None  # cluster="auto": one unit per patient, the rows are independent
    return Wide(scores, [str(m) for m in models], rows["y"][first], clusters, rows["study_id"][first],
                rows["slice_id"][first])


def model_arrays(
    joined: pd.DataFrame, cluster: str | None,
) -> Iterator[tuple[dict[str, Any], str, np.ndarray, np.ndarray, np.ndarray | None]]:
    """Yield ``(group, model, y, scores, clusters)`` per group and model, over the cases the model scored.

    ``group`` maps :data:`GROUP_COLUMNS` to the group's values; ``clusters`` is None without ``cluster``.
    """
    for group, wide in groups(joined, cluster):
        for k, model in enumerate(wide.models):
            ok = ~np.isnan(wide.scores[:, k])
            yield (group, model, wide.y[ok], wide.scores[ok, k],
                   None if wide.clusters is None else wide.clusters[ok])


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
    _, wide = next(groups(joined, None))
    keep = ~np.isnan(wide.scores).any(axis=1)
    index = pd.MultiIndex.from_arrays([wide.study_id[keep], wide.slice_id[keep]], names=["study_id", "slice_id"])
    return wide.y[keep], pd.DataFrame(wide.scores[keep], index=index, columns=wide.models)


def reason_join(*parts: Any) -> str | None:
    """The non-empty parts joined by ``"; "`` (None when there is none)."""
    text = "; ".join(str(p) for p in parts if p is not None and p is not pd.NA and p == p and str(p))
    return text if text else None
