"""Shared input checks of the prevalence questions: canonical tables, grouping columns, units of analysis.

Used by :mod:`hemstats.stats.prevalence`, :mod:`hemstats.stats.prevalence_cooccurrence`,
:mod:`hemstats.stats.prevalence_volumes` and :mod:`hemstats.stats.cohort`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import pandas as pd

from hemstats._coerce import coerce_column, describe_rows
from hemstats.errors import HemstatsError, Problem, SchemaError
from hemstats.findings import FINDINGS
from hemstats.schema import TABLES

Level = Literal["patient", "study", "slice"]
_LEVELS = ("patient", "study", "slice")


# -- input checks -------------------------------------------------------------------------------
def _as_list(by: str | Sequence[str] | None, name: str = "by") -> list[str]:
    if by is None:
        return []
    if isinstance(by, str):
        return [by]
    out = list(by)
    if not all(isinstance(b, str) for b in out):
        raise HemstatsError(f"{name} must be a column name or a list of column names, got {by!r}")
    if len(set(out)) != len(out):
        raise HemstatsError(f"{name} names a column twice: {out}")
    return out


def checked_table(df: object, table: str, columns: Sequence[str], *, key: Sequence[str] = ()) -> pd.DataFrame:
    """A copy of ``df[columns]`` in canonical dtypes (ids and categories as text objects).

    Raises :class:`~hemstats.errors.SchemaError` listing every problem: a missing
    column, a value of the wrong kind or range, a duplicated key.  ``df`` itself is
    never modified.
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
        if c in spec.names:
            col = spec.column(c)
            s = coerce_column(base, table, col, problems)
        else:
            s = base[c]
        if isinstance(s.dtype, (pd.CategoricalDtype, pd.StringDtype)):
            s = s.astype(object).where(s.notna(), None)
        out[c] = s
    result = pd.DataFrame(out, index=pd.RangeIndex(len(base)))
    if key and len(result) and not problems:
        dup = result.duplicated(subset=list(key), keep=False).to_numpy()
        if dup.any():
            problems.append(Problem(table, f"key ({', '.join(key)}) is not unique; {describe_rows(result, dup)}"))
    if problems:
        raise SchemaError(problems)
    return result


def _check_level(level: str) -> str:
    if level not in _LEVELS:
        raise HemstatsError(f"level must be one of {list(_LEVELS)}, got {level!r}")
    return level


def unit_values(
    labels: pd.DataFrame,
    *,
    by: Sequence[str],
    level: str,
    rater: str,
    studies: pd.DataFrame | None,
    findings: Sequence[str] | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """One row per (by..., unit, finding) with the 0/1 ``value`` of the unit of analysis.

    The unit is the slice, the study or the patient (positive when any of their
    labelled studies is).  Returns the frame (columns ``*by, unit, finding, value``)
    and the ``by`` columns.
    """
    _check_level(level)
    want = ["dataset", "study_id", "slice_id", "level", "finding", "rater", "value"]
    lab_by = [b for b in by if b in labels.columns and b not in want]
    lab = checked_table(labels, "labels", want + lab_by, key=tuple(want[:-1]))
    raters = sorted(set(lab["rater"].dropna()))
    sel = lab[(lab["rater"] == rater) & (lab["level"] == ("slice" if level == "slice" else "study"))]
    if sel.empty:
        levels = sorted(set(lab.loc[lab["rater"] == rater, "level"].dropna()))
        raise HemstatsError(
            f"labels has no rows with rater {rater!r} at level {'slice' if level == 'slice' else 'study'!r}"
            f" (raters: {raters}; levels of rater {rater!r}: {levels})"
        )
    if findings is not None:
        unknown = [f for f in findings if f not in FINDINGS]
        if unknown:
            raise HemstatsError(f"findings {unknown} are not in the finding vocabulary {list(FINDINGS)}")
        sel = sel[sel["finding"].isin(list(findings))]
    need_studies = level == "patient" or any(b not in labels.columns for b in by)
    if need_studies:
        missing_by = [b for b in by if b not in labels.columns]
        if studies is None:
            if level == "patient":
                why = "level='patient' needs patient_id"
            else:
                why = f"by columns {missing_by} are not in labels"
            raise HemstatsError(f"{why}; pass studies=cohort.studies")
        st_cols = ["dataset", "study_id"] + (["patient_id"] if level == "patient" else [])
        st_cols += [b for b in missing_by if b not in st_cols]
        st = checked_table(studies, "studies", st_cols, key=("dataset", "study_id"))
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
        sel = merged.drop(columns="_merge")
    for b in by:
        if sel[b].isna().any():
            rows = sel[b].isna().to_numpy()
            raise HemstatsError(f"grouping column {b!r} is missing for {describe_rows(sel, rows, 'study_id')}")
    if level == "slice":
        sel = sel.assign(unit=sel["study_id"].astype(str) + "/" + sel["slice_id"].astype(str))
    elif level == "study":
        sel = sel.assign(unit=sel["study_id"].astype(str))
    else:
        sel = sel.assign(unit=sel["patient_id"].astype(str))
    keys = list(by) + (["dataset"] if "dataset" not in by else []) + ["unit", "finding"]
    out = sel.groupby(keys, sort=False, dropna=False)["value"].max().reset_index()
    if "dataset" not in by:
        out = out.drop(columns="dataset")
    out["value"] = out["value"].astype("int64")
    return out, list(by)


def _finding_order(values: pd.Series) -> pd.Series:
    return values.map({f: i for i, f in enumerate(FINDINGS)})


def _sorted(df: pd.DataFrame, by: list[str], extra: Sequence[str] = ()) -> pd.DataFrame:
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
