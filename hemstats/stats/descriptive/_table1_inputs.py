"""The input steps of :func:`hemstats.stats.descriptive.table1.table1`: the studies with each
study's consensus findings, the variables to describe, their values and the group masks."""

from __future__ import annotations

from itertools import product
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from hemstats._coerce import describe_rows, to_float
from hemstats.errors import InputError, Problem, SchemaError
from hemstats.schema import TABLES
from hemstats.stats._core.columns import subgroup_value
from hemstats.stats._core.resolve import resolve
from hemstats.stats.descriptive._prevalence_input import as_list, checked_table
from hemstats.stats.descriptive._table1_tests import Masks

if TYPE_CHECKING:
    from hemstats.cohort import Cohort

__all__ = ["OVERALL"]


_WHERE = "table1"
OVERALL = "Overall"


def _join_findings(studies: pd.DataFrame, labels: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    lab = checked_table(
        labels,
        "labels",
        ["dataset", "study_id", "slice_id", "level", "finding", "rater", "value"],
        key=("dataset", "study_id", "slice_id", "level", "finding", "rater"),
    )
    lab = lab[(lab["level"] == "study") & (lab["rater"] == "consensus")]
    if lab.empty:
        raise InputError(f"{_WHERE}: labels has no study-level rows of rater 'consensus' to join to studies")
    findings = [f for f in TABLES["labels"].column("finding").categories or () if f in set(lab["finding"])]
    clash = [f for f in findings if f in studies.columns]
    if clash:
        raise InputError(
            f"{_WHERE}: studies already has columns named like findings {clash}; rename them before joining labels"
        )
    wide = lab.pivot(index=["dataset", "study_id"], columns="finding", values="value")
    wide = wide.reindex(columns=findings).reset_index()
    keys = pd.MultiIndex.from_frame(wide[["dataset", "study_id"]])
    known = pd.MultiIndex.from_frame(studies[["dataset", "study_id"]].astype(object))
    orphan = ~keys.isin(known)
    if orphan.any():
        raise SchemaError(
            [
                Problem(
                    "labels.study_id",
                    f"expected a (dataset, study_id) listed in studies; {describe_rows(wide, orphan, 'study_id')}",
                )
            ]
        )
    merged = studies.merge(wide, on=["dataset", "study_id"], how="left")
    for f in findings:
        merged[f] = pd.array(merged[f].to_numpy(dtype=float, na_value=np.nan), dtype="Float64").astype("Int64")
    return merged, findings


def _inputs(data: Cohort | pd.DataFrame, labels: pd.DataFrame | None) -> tuple[pd.DataFrame, list[str], bool]:
    """Step 1: the studies (with the joined findings), the joined finding columns, and whether labels were joined.

    A Cohort's labels are joined when it has study-level consensus labels; a ``labels=``
    table always is.
    """
    tables = resolve(data, "studies", where=_WHERE, labels=labels)
    studies, labels = tables.main, tables.labels
    if tables.trusted and labels is not None:
        has_rows = ((labels["level"] == "study") & (labels["rater"] == "consensus")).any()
        labels = labels if has_rows else None
    if labels is None:
        return studies, [], False
    base = checked_table(studies, "studies", ["dataset", "study_id"], key=("dataset", "study_id"))
    keyed = studies.reset_index(drop=True).assign(dataset=base["dataset"], study_id=base["study_id"])
    data_, joined = _join_findings(keyed, labels)
    return data_, joined, True


def _variables(
    data: pd.DataFrame,
    *,
    by: list[str],
    columns: object,
    categorical: object,
    nonnormal: object,
    joined: list[str],
    where: str,
) -> tuple[list[str], list[str], list[str]]:
    """Step 2: the variables described, the categorical ones and the nonnormal ones (checked)."""
    absent = [c for c in by if c not in data.columns]
    if absent:
        raise InputError(f"{_WHERE}: by columns {absent} are not in {where}")
    if columns is None:
        variables = []
        for c in data.columns:
            if c in by or c in joined or c in ("study_id", "patient_id"):
                continue
            if c == "dataset" and data[c].nunique(dropna=True) < 2:
                continue
            if data[c].notna().any():
                variables.append(c)
        variables += [f for f in joined if f not in by]
    else:
        variables = as_list(columns, "columns", _WHERE) if not isinstance(columns, str) else [columns]
        absent = [c for c in variables if c not in data.columns]
        if absent:
            raise InputError(f"{_WHERE}: columns {absent} are not in {where}")
    both = [c for c in variables if c in by]
    if both:
        raise InputError(f"{_WHERE}: columns {both} are also grouping columns (by)")
    if len(set(variables)) != len(variables):
        raise InputError(f"{_WHERE}: columns names a variable twice: {variables}")
    if categorical is None:
        cat_vars = [
            c
            for c in variables
            if c in joined
            or isinstance(data[c].dtype, (pd.CategoricalDtype, pd.StringDtype))
            or data[c].dtype == object
            or pd.api.types.is_bool_dtype(data[c].dtype)
        ]
    else:
        cat_vars = [categorical] if isinstance(categorical, str) else list(categorical)  # type: ignore[call-overload]
        stray = [c for c in cat_vars if c not in variables]
        if stray:
            raise InputError(f"{_WHERE}: categorical names {stray}, which are not among the columns {variables}")
    skewed = [nonnormal] if isinstance(nonnormal, str) else list(nonnormal)  # type: ignore[call-overload]
    stray = [c for c in skewed if c not in variables or c in cat_vars]
    if stray:
        raise InputError(f"{_WHERE}: nonnormal names {stray}, which are not continuous columns among {variables}")
    return variables, cat_vars, skewed


def _values(frame: pd.DataFrame, variables: list[str], cat_vars: list[str]) -> dict[str, np.ndarray]:
    """Step 3: each variable as an array (text or None for categorical, float with NaN for continuous)."""
    problems: list[Problem] = []
    values: dict[str, np.ndarray] = {}
    for c in variables:
        if c in cat_vars:
            s = frame[c]
            values[c] = np.array([None if pd.isna(v) else str(v) for v in s.to_numpy(dtype=object)], dtype=object)
        else:
            numbers, bad = to_float(frame[c])
            if bad.any():
                problems.append(
                    Problem(
                        f"studies.{c}",
                        "expected numbers in a continuous column (or list it in categorical); "
                        + describe_rows(frame, bad, c),
                    )
                )
            values[c] = numbers
    if problems:
        raise SchemaError(problems)
    return values


def _groups(
    data: pd.DataFrame, frame: pd.DataFrame, by: list[str]
) -> tuple[list[str], Masks, dict[str, tuple[str | None, str | None]]]:
    """Step 4: group labels, one mask per group (then ``Overall``) and each group's (dataset, subgroup_value)."""
    n_rows = len(frame)
    combos: list[tuple[Any, ...]] = []
    codes = np.full(n_rows, -1) if by else np.zeros(n_rows, dtype=int)
    if by:
        level_lists = []
        for g in by:
            s = data[g]
            present = [v for v in pd.unique(frame[g].dropna())]
            if isinstance(s.dtype, pd.CategoricalDtype):
                order = [v for v in s.cat.categories if v in set(present)]
            else:
                try:
                    order = sorted(present)
                except TypeError:
                    order = sorted(present, key=str)
            level_lists.append(order)
        has_group = frame[by].notna().all(axis=1).to_numpy()
        for combo in product(*level_lists):
            mask = has_group.copy()
            for g, v in zip(by, combo):
                mask &= (frame[g] == v).fillna(False).to_numpy(dtype=bool)
            if mask.any():
                codes[mask] = len(combos)
                combos.append(combo)
    if len(by) == 1:
        group_names = [str(c[0]) for c in combos]
    else:
        group_names = [", ".join(f"{g}={v}" for g, v in zip(by, c)) for c in combos]
    if len(set(group_names)) != len(group_names):
        raise InputError(f"{_WHERE}: group labels are not unique after conversion to text: {group_names}")
    masks = [(g, codes == i) for i, g in enumerate(group_names)] + [(OVERALL, np.ones(n_rows, dtype=bool))]
    datasets = frame["dataset"].astype(object) if "dataset" in frame.columns else None
    keys: dict[str, tuple[str | None, str | None]] = {}
    for i, (g, m) in enumerate(masks):
        found = [] if datasets is None else pd.unique(datasets[m].dropna())
        dataset = str(found[0]) if len(found) == 1 else None
        keys[g] = (dataset, subgroup_value(tuple(combos[i])) if i < len(combos) else None)
    return group_names, masks, keys
