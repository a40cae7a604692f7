"""How large the lesions are: volume summaries (mL) per dataset, subgroup and finding."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from hemstats._coerce import describe_rows
from hemstats.errors import InputError
from hemstats.stats._core.columns import result_columns, result_frame
from hemstats.stats._core.resolve import resolve
from hemstats.stats._core.types import By, Findings
from hemstats.stats.descriptive._prevalence_input import (
    check_findings,
    checked_table,
    grouping,
    grouping_columns,
    sorted_rows,
)

if TYPE_CHECKING:
    from hemstats.cohort import Cohort

__all__ = ["lesion_volumes", "VOLUME_METRICS", "VOLUMES_COLUMNS", "VOLUMES_AFTER"]

#: The summaries of :func:`lesion_volumes`, in the order of its rows.
VOLUME_METRICS: tuple[str, ...] = ("mean", "sd", "median", "q1", "q3", "min", "max")
#: The fixed columns of :func:`lesion_volumes` after the estimate columns.
VOLUMES_AFTER: tuple[str, ...] = ("n_zero", "n_missing")
#: The columns of :func:`lesion_volumes`, in order.
VOLUMES_COLUMNS: tuple[str, ...] = tuple(result_columns(after=VOLUMES_AFTER))
_WHERE = "lesion_volumes"


def _summaries(v: np.ndarray) -> dict[str, float]:
    n = len(v)
    q1, med, q3 = np.percentile(v, [25, 50, 75]) if n else (np.nan, np.nan, np.nan)
    return {
        "mean": float(v.mean()) if n else np.nan,
        "sd": float(v.std(ddof=1)) if n >= 2 else np.nan,
        "median": float(med),
        "q1": float(q1),
        "q3": float(q3),
        "min": float(v.min()) if n else np.nan,
        "max": float(v.max()) if n else np.nan,
    }


def _with_by(les: pd.DataFrame, by: list[str], studies: pd.DataFrame | None) -> pd.DataFrame:
    """``les`` with the ``by`` columns it lacks joined from ``studies``."""
    missing = [b for b in by if b not in les.columns]
    if not missing:
        return les
    if studies is None or any(b not in studies.columns for b in missing):
        tables = "lesions or studies" if studies is not None else "lesions (pass studies= for its columns)"
        absent = [b for b in missing if studies is None or b not in studies.columns]
        raise InputError(f"{_WHERE}: by columns {absent} are not in {tables}")
    st = checked_table(studies, "studies", ["dataset", "study_id", *missing], key=("dataset", "study_id"))
    return les.merge(st, on=["dataset", "study_id"], how="left")


def lesion_volumes(
    data: Cohort | pd.DataFrame,
    *,
    by: By = None,
    findings: Findings = None,
    include_zero: bool = False,
    studies: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Summaries of lesion volume (mL) per dataset, subgroup and finding.

    Parameters
    ----------
    data : Cohort or pandas.DataFrame
        A Cohort (its ``lesions``) or the canonical ``lesions`` table (``dataset, study_id,
        finding, volume_ml``).
    by : str, list of str or None
        Grouping columns within each dataset, looked up in ``lesions`` and then in
        ``studies``; reported in ``subgroup`` and ``subgroup_value``.
    findings : str, list of str or None
        Which findings; default all present.
    include_zero : bool
        Whether volumes of exactly 0 (finding absent on the mask) enter the
        summaries; they are always counted in ``n_zero``.
    studies : pandas.DataFrame, optional
        The canonical ``studies`` table, for ``by`` columns only it has (a Cohort brings its own).

    Returns
    -------
    pandas.DataFrame
        Seven rows per dataset x subgroup x finding, one per ``metric``: ``mean``, ``sd``
        (ddof 1; NaN when n < 2), ``median``, ``q1``, ``q3`` (linear interpolation, R's
        ``quantile(type = 7)``), ``min``, ``max`` (NaN when n is 0), in ``estimate``; the
        columns of :func:`~hemstats.stats._core.columns.result_columns` with
        ``after=("n_zero", "n_missing")``: ``level`` is ``study``, ``n`` the volumes
        summarised, ``n_zero`` the volumes of 0 and ``n_missing`` the missing ones; no
        interval.

    Notes
    -----
    Validated against R ``mean``, ``sd``, ``quantile(type = 7)``
    (tests/reference/prevalence.R).

    Examples
    --------
    >>> from hemstats.datasets import demo
    >>> cohort = demo.load(n_studies=200)
    >>> vol = lesion_volumes(cohort).pivot_table(index="finding", columns="metric", values="estimate")
    >>> bool((vol.q1 <= vol["median"]).all() and (vol["median"] <= vol.q3).all())
    True
    """
    tables = resolve(data, "lesions", where=_WHERE, studies=studies)
    by_ = grouping(by, _WHERE)
    asked = check_findings(findings, _WHERE)
    if not isinstance(include_zero, (bool, np.bool_)):
        raise InputError(f"{_WHERE}: include_zero must be True or False, got {include_zero!r}")
    in_lesions = [b for b in by_ if b in tables.main.columns]
    les = checked_table(tables.main, "lesions", list(dict.fromkeys(["dataset", "study_id", "finding", "volume_ml",
                                                                   *in_lesions])))  # fmt: skip
    les = _with_by(les, by_, tables.studies)
    if asked is not None:
        les = les[les["finding"].isin(asked)]
    keys = ["dataset", *by_]
    for b in by_:
        if les[b].isna().any():
            where = describe_rows(les, les[b].isna().to_numpy(), "study_id")
            raise InputError(f"{_WHERE}: grouping column {b!r} is missing for {where}")
    les = les.assign(_v=les["volume_ml"].astype("Float64").to_numpy(dtype=float, na_value=np.nan))
    groups = []
    for key, block in les.groupby(keys + ["finding"], sort=False, dropna=False):
        v = block["_v"].to_numpy()
        missing = np.isnan(v)
        zero = v == 0
        use = v[~missing & (include_zero | ~zero)]
        groups.append((*key, len(use), int(zero.sum()), int(missing.sum()), _summaries(use)))
    table = pd.DataFrame([g[:-1] for g in groups], columns=[*keys, "finding", "n", "n_zero", "n_missing"])
    table["_stats"] = [g[-1] for g in groups]
    table = sorted_rows(table, keys)
    groups_of = grouping_columns(table, by_)
    rows: list[dict[str, object]] = []
    for i, record in enumerate(table.to_dict("records")):
        for metric in VOLUME_METRICS:
            rows.append({
                "dataset": record["dataset"], "level": "study", "finding": record["finding"],
                "subgroup": groups_of["subgroup"][i], "subgroup_value": groups_of["subgroup_value"][i],
                "metric": metric, "estimate": record["_stats"][metric], "n": record["n"],
                "n_zero": record["n_zero"], "n_missing": record["n_missing"],
            })  # fmt: skip
    out = result_frame(rows, after=VOLUMES_AFTER)
    for c in VOLUMES_AFTER:
        out[c] = out[c].astype("Int64")
    return out
