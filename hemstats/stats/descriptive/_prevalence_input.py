"""Shared input checks of the descriptive questions: canonical tables, grouping columns, units of analysis.

Used by :mod:`hemstats.stats.descriptive.prevalence`, :mod:`hemstats.stats.descriptive.cooccurrence`,
:mod:`hemstats.stats.descriptive.volumes` and :mod:`hemstats.stats.descriptive.table1`.  Every
option error is an :class:`~hemstats.errors.InputError` whose message starts with the public
function's name (``where``); a value that breaks the canonical schema is a
:class:`~hemstats.errors.SchemaError` naming the column and rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hemstats._coerce import coerce_column, describe_rows
from hemstats.errors import InputError, Problem, SchemaError
from hemstats.findings import FINDINGS
from hemstats.schema import TABLES
from hemstats.stats._core.columns import subgroup_name, subgroup_value
from hemstats.stats._core.types import UNITS


# -- input checks -------------------------------------------------------------------------------
def as_list(by: object, name: str = "by", where: str = "") -> list[str]:
    """``by`` (None, one column name or a list of them) as a list; a string is one name, never its letters."""
    prefix = f"{where}: " if where else ""
    if by is None:
        return []
    if isinstance(by, str):
        return [by]
    if not isinstance(by, (list, tuple)) or not all(isinstance(b, str) for b in by):
        raise InputError(f"{prefix}{name} must be a column name or a list of column names, got {by!r}")
    out = list(by)
    if len(set(out)) != len(out):
        raise InputError(f"{prefix}{name} names a column twice: {out}")
    return out


def grouping(by: object, where: str) -> list[str]:
    """The ``by`` columns besides ``dataset`` (always a key of a result, so never a subgroup)."""
    return [b for b in as_list(by, "by", where) if b != "dataset"]


def check_findings(findings: object, where: str) -> list[str] | None:
    """``findings`` (None, one code or a list) as a list of vocabulary codes, or :class:`InputError`."""
    if findings is None:
        return None
    out = as_list(findings, "findings", where)
    unknown = [f for f in out if f not in FINDINGS]
    if unknown:
        raise InputError(f"{where}: findings {unknown} are not in the finding vocabulary {list(FINDINGS)}")
    return out


def check_rater(rater: object, where: str) -> str:
    if not isinstance(rater, str):
        raise InputError(f"{where}: rater must be one rater id (a string, e.g. 'consensus'), got {rater!r}")
    return rater


def grouping_columns(frame: pd.DataFrame, by: Sequence[str]) -> dict[str, list[str | None]]:
    """``subgroup`` and ``subgroup_value`` of each row of ``frame`` grouped by ``by``."""
    name = subgroup_name(by)
    if not by:
        return {"subgroup": [None] * len(frame), "subgroup_value": [None] * len(frame)}
    values = [subgroup_value(v) for v in frame[list(by)].itertuples(index=False, name=None)]
    return {"subgroup": [name] * len(frame), "subgroup_value": values}


def checked_table(
    df: object, table: str, columns: Sequence[str], *, key: Sequence[str] = (), trusted: bool = False,
) -> pd.DataFrame:
    """A copy of ``df[columns]`` in canonical dtypes (ids and categories as text objects).

    Raises :class:`~hemstats.errors.SchemaError` listing every problem: a missing
    column, a value of the wrong kind or range, a duplicated key.  ``df`` itself is
    never modified.  A ``trusted`` table (a Cohort's: canonical and checked when the Cohort
    was built) is not checked again.
    """
    if not isinstance(df, pd.DataFrame):
        raise SchemaError([Problem(table, f"expected a pandas DataFrame, got {type(df).__name__}")])
    spec = TABLES[table]
    problems: list[Problem] = []
    absent = [c for c in columns if c not in df.columns]
    for c in absent:
        found = ", ".join(map(str, df.columns))
        problems.append(Problem(f"{table}.{c}", f"required column is absent (columns: {found})"))
    if absent:
        raise SchemaError(problems)
    base = df.reset_index(drop=True)
    out = {}
    for c in columns:
        if c in spec.names and not trusted:
            col = spec.column(c)
            s = coerce_column(base, table, col, problems)
        else:
            s = base[c]
        if isinstance(s.dtype, (pd.CategoricalDtype, pd.StringDtype)):
            s = s.astype(object).where(s.notna(), None)
        out[c] = s
    result = pd.DataFrame(out, index=pd.RangeIndex(len(base)))
    if key and len(result) and not problems and not trusted:
        dup = result.duplicated(subset=list(key), keep=False).to_numpy()
        if dup.any():
            problems.append(Problem(table, f"key ({', '.join(key)}) is not unique; {describe_rows(result, dup)}"))
    if problems:
        raise SchemaError(problems)
    return result


def check_unit(unit: object, where: str) -> str:
    if not isinstance(unit, str) or unit not in UNITS:
        raise InputError(f"{where}: unit must be one of {list(UNITS)}, got {unit!r}")
    return unit


@dataclass(frozen=True)
class Units:
    """What :func:`units_of_analysis` returns.

    ``values``: one row per (by..., unit, finding) with the 0/1 ``value``, an integer
    ``unit`` id and the unit's integer ``cluster`` id; ``universe``: one row per (by...,
    unit ids) that could carry a label (a
    unit labelled for any finding by any rater at that level, or a study / patient of
    ``studies``), so ``n_missing`` = universe size - labelled units; ``clustered``: whether
    ``cluster`` groups units (False when every unit is its own cluster).
    """

    values: pd.DataFrame
    universe: pd.DataFrame
    by: list[str]
    clustered: bool


def _cluster_source(
    cluster: str | None, unit: str, labels: pd.DataFrame, studies: pd.DataFrame | None, where: str
) -> str | None:
    """The column that holds the cluster id, or None when every unit is its own cluster."""
    if unit == "patient":
        return None
    if cluster is None or cluster == "patient_id":
        if "patient_id" in labels.columns or (studies is not None and "patient_id" in studies.columns):
            return "patient_id"
        return "study_id" if unit == "slice" else None
    if not isinstance(cluster, str):
        raise InputError(f"{where}: cluster must be a column name or None, got {cluster!r}")
    if cluster not in labels.columns and (studies is None or cluster not in studies.columns):
        tables = "labels or studies" if studies is not None else "labels (pass studies= for its columns)"
        raise InputError(f"{where}: cluster column {cluster!r} is not in {tables}")
    return cluster


def units_of_analysis(
    labels: pd.DataFrame,
    *,
    by: Sequence[str],
    unit: str,
    rater: str,
    studies: pd.DataFrame | None,
    where: str,
    findings: Sequence[str] | None = None,
    cluster: str | None = None,
    trusted: bool = False,
) -> Units:
    """The units of analysis (slices, studies or patients), their labels, clusters and universe.

    ``by`` must start with ``dataset`` (a key of every result).  ``cluster`` names the column
    whose values group units (default ``patient_id``, from ``labels`` or ``studies``; without
    either, ``study_id`` for slices and none for studies).  A unit whose cluster value is
    missing is its own cluster.  ``where`` (the public function) starts every error message.
    ``trusted`` tables (a Cohort's) are not validated again.
    """
    unit = check_unit(unit, where)
    rater = check_rater(rater, where)
    level = unit
    target = "slice" if level == "slice" else "study"
    want = ["dataset", "study_id", "slice_id", "level", "finding", "rater", "value"]
    absent = [b for b in by if b not in labels.columns and (studies is None or b not in studies.columns)]
    if absent:
        tables = "labels or studies" if studies is not None else "labels (pass studies= for its columns)"
        raise InputError(f"{where}: by columns {absent} are not in {tables}")
    source = _cluster_source(cluster, level, labels, studies, where)
    extra = [c for c in dict.fromkeys([*by, *([source] if source else [])]) if c in labels.columns and c not in want]
    lab = checked_table(labels, "labels", want + extra, key=tuple(want[:-1]), trusted=trusted)
    raters = sorted(set(lab["rater"].dropna()))
    at_level = lab[lab["level"] == target]
    sel = at_level[at_level["rater"] == rater]
    if sel.empty:
        levels = sorted(set(lab.loc[lab["rater"] == rater, "level"].dropna()))
        raise InputError(
            f"{where}: labels has no rows with rater {rater!r} at level {target!r}"
            f" (raters: {raters}; levels of rater {rater!r}: {levels})"
        )
    findings = check_findings(findings, where)
    if findings is not None:
        sel = sel[sel["finding"].isin(findings)]
        if sel.empty:
            raise InputError(f"{where}: no labels of findings {findings} with rater {rater!r} at level {target!r}")
    missing_by = [b for b in by if b not in labels.columns]
    from_studies = list(dict.fromkeys(
        (["patient_id"] if level == "patient" else [])
        + missing_by
        + ([source] if source and source not in labels.columns else [])
    ))  # fmt: skip
    st = None
    if from_studies or studies is not None:
        if studies is None:
            why = "unit='patient' needs patient_id" if level == "patient" else f"by columns {missing_by} are not in labels"
            raise InputError(f"{where}: {why}; pass a Cohort or studies=")
        st_cols = ["dataset", "study_id"] + [c for c in from_studies if c not in ("dataset", "study_id")]
        st = checked_table(studies, "studies", st_cols, key=("dataset", "study_id"), trusted=trusted)
        sel = _with_studies(sel, st)
        if missing_by or level == "patient":
            at_level = at_level.merge(st, on=["dataset", "study_id"], how="left", suffixes=("", "_studies"))
    for b in by:
        if sel[b].isna().any():
            rows = sel[b].isna().to_numpy()
            raise InputError(f"{where}: grouping column {b!r} is missing for {describe_rows(sel, rows, 'study_id')}")
    ids = _ID_COLUMNS[level]
    keys = list(by) + (["dataset"] if "dataset" not in by else [])
    sel = sel.assign(cluster=_cluster_codes(sel, ids, source))
    values = sel.groupby(keys + ids + ["finding"], sort=False, dropna=False, observed=True).agg(
        value=("value", "max"), cluster=("cluster", "first")
    ).reset_index()
    values["value"] = values["value"].astype("int64")
    values["unit"] = values.groupby(keys + ids, sort=False, dropna=False).ngroup()
    values = values.drop(columns=[c for c in ids if c not in keys])
    frames = [at_level[keys + ids]]
    if st is not None and level != "slice" and all(b in st.columns for b in keys):
        frames.append(st[keys + ids])
    universe = pd.concat(frames, ignore_index=True).dropna(subset=keys).drop_duplicates()
    clustered = bool(values.duplicated(subset=keys + ["finding", "cluster"]).any())
    if "dataset" not in by:
        values = values.drop(columns="dataset")
        universe = universe.drop(columns="dataset")
    return Units(values.reset_index(drop=True), universe.reset_index(drop=True), list(by), bool(clustered))


_ID_COLUMNS = {"slice": ["study_id", "slice_id"], "study": ["study_id"], "patient": ["patient_id"]}


def _with_studies(sel: pd.DataFrame, st: pd.DataFrame) -> pd.DataFrame:
    merged = sel.merge(st, on=["dataset", "study_id"], how="left", indicator=True, suffixes=("", "_studies"))
    orphan = (merged["_merge"] == "left_only").to_numpy()
    if orphan.any():
        raise SchemaError(
            [
                Problem(
                    "labels.study_id",
                    f"expected a (dataset, study_id) listed in studies; {describe_rows(merged, orphan, 'study_id')}",
                )
            ]
        )
    return merged.drop(columns="_merge")


def _cluster_codes(df: pd.DataFrame, ids: list[str], source: str | None) -> np.ndarray:
    """Integer cluster id of each row: (dataset, source) value, or its own unit when missing or no source."""
    if source is None:
        return df.groupby(["dataset"] + ids, sort=False, dropna=False).ngroup().to_numpy()
    values = df[source]
    if values.isna().any():  # a unit without a cluster value is its own cluster
        values = values.astype(object).where(values.notna(), "\0" + df["study_id"].astype(str))
    return df.assign(_cluster=values).groupby(["dataset", "_cluster"], sort=False, dropna=False).ngroup().to_numpy()


def unit_values(
    labels: pd.DataFrame,
    *,
    by: Sequence[str],
    unit: str,
    rater: str,
    studies: pd.DataFrame | None,
    where: str,
    findings: Sequence[str] | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """One row per (by..., unit, finding) with the 0/1 ``value`` of the unit of analysis.

    The unit is the slice, the study or the patient (positive when any of their
    labelled studies is).  Returns the frame (columns ``*by, unit, finding, value``)
    and the ``by`` columns.
    """
    units = units_of_analysis(
        labels, by=by, unit=unit, rater=rater, studies=studies, where=where, findings=findings, cluster="study_id"
    )
    return units.values.drop(columns="cluster"), units.by


def _finding_order(values: pd.Series) -> pd.Series:
    return values.map({f: i for i, f in enumerate(FINDINGS)})


def sorted_rows(df: pd.DataFrame, by: list[str], extra: Sequence[str] = ()) -> pd.DataFrame:
    """Rows in first-appearance order of ``by``, then finding vocabulary order."""
    if df.empty:
        return df.reset_index(drop=True)
    order = pd.DataFrame(index=df.index)
    for b in by:
        order[b] = pd.factorize(df[b])[0]
    order["_f"] = _finding_order(df["finding"]) if "finding" in df else 0
    for i, e in enumerate(extra):
        order[f"_e{i}"] = df[e]
    idx = order.sort_values(list(order.columns), kind="stable").index
    return df.loc[idx].reset_index(drop=True)
