"""Acquisition: the scanner / kernel / slice-thickness mix of each dataset, and its association with labels.

* :func:`acquisition_mix`: the share of studies of each dataset (x subgroup) per vendor x
  scanner model x kernel family x slice-thickness bin.
* :func:`acquisition_distribution`: kVp, tube current and slice thickness (mean, SD,
  median, quartiles, range) per dataset.

Every result is a long table of :func:`hemstats.stats._core.columns.result_frame`.
Whether labels depend on acquisition is :mod:`hemstats.stats.acquisition.effects`; model
performance per acquisition stratum is in :mod:`hemstats.stats.acquisition.heterogeneity`.
The harmonised columns (``vendor``, ``kernel_family``, ``thickness_bin``) come from
:func:`hemstats.acquisition.harmonize`, applied here when a ``studies`` table lacks them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from hemstats.acquisition import HARMONIZED_COLUMNS, harmonize
from hemstats.errors import InputError
from hemstats.stats._core.columns import result_columns, result_frame, subgroup_name, subgroup_value
from hemstats.stats._core.resolve import check_columns, resolve
from hemstats.stats._core.types import By

if TYPE_CHECKING:
    from hemstats.cohort import Cohort

__all__ = [
    "acquisition_mix",
    "acquisition_distribution",
    "MIX_COLUMNS",
    "DISTRIBUTION_COLUMNS",
]

#: Acquisition columns of the cross-classification of :func:`acquisition_mix`.
MIX_VARIABLES: tuple[str, ...] = ("vendor", "scanner_model", "kernel_family", "thickness_bin")
#: Columns of :func:`acquisition_mix`.
MIX_COLUMNS: tuple[str, ...] = tuple(result_columns(extra=MIX_VARIABLES))
#: Statistics (``metric``) of :func:`acquisition_distribution`, in row order.
DISTRIBUTION_METRICS: tuple[str, ...] = ("mean", "sd", "median", "q1", "q3", "min", "max")
#: Columns of :func:`acquisition_distribution`.
DISTRIBUTION_COLUMNS: tuple[str, ...] = tuple(result_columns(extra=("variable",), after=("n_missing",)))
_NUMERIC = ("kvp", "tube_current_ma", "slice_thickness_mm")


def names(value: str | Sequence[str] | None, option: str) -> list[str]:
    """``value`` as a list of names (a str is one name, never split into letters); None gives []."""
    if value is None:
        return []
    out = [value] if isinstance(value, str) else list(value) if isinstance(value, Sequence) else [value]
    if not all(isinstance(v, str) for v in out):
        raise InputError(f"{option} must be a column name or a list of column names, got {value!r}")
    return out


def harmonized(studies: pd.DataFrame) -> pd.DataFrame:
    """``studies`` with the harmonised columns (a new frame; computed only when absent)."""
    if all(c in studies for c in HARMONIZED_COLUMNS):
        return studies.copy()
    return harmonize(studies)


def _need(df: pd.DataFrame, table: str, columns: Sequence[str], where: str) -> None:
    check_columns(df, table, where=where, columns=list(dict.fromkeys(columns)))


def _grouped(frame: pd.DataFrame, by: Sequence[str]) -> list[tuple[Any, Any, pd.DataFrame]]:
    """``(dataset, subgroup values or None, rows)`` per dataset x ``by`` group, in sorted order."""
    keys = ["dataset", *by]
    out = []
    for key, part in frame.groupby(keys, observed=True, sort=True, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        values = None if not by else (key[1] if len(by) == 1 else tuple(key[1:]))
        out.append((key[0], values, part))
    return out


# -- descriptive -------------------------------------------------------------------------------
def acquisition_mix(data: Cohort | pd.DataFrame, *, by: By = None) -> pd.DataFrame:
    """Share of studies per vendor x scanner model x kernel family x thickness bin, per dataset.

    Parameters
    ----------
    data : Cohort or pandas.DataFrame
        A Cohort, or the canonical ``studies`` table (harmonised with
        :func:`hemstats.acquisition.harmonize` when it lacks ``vendor``, ``kernel_family``,
        ``thickness_bin``).
    by : str or list of str, optional
        Grouping columns of ``studies`` within each dataset (``subgroup``/``subgroup_value``);
        shares are within each dataset x group.

    Returns
    -------
    pandas.DataFrame
        :data:`MIX_COLUMNS`: ``dataset, level, finding, subgroup, subgroup_value, vendor,
        scanner_model, kernel_family, thickness_bin, metric, estimate, ci_low, ci_high, n,
        n_positive, method, confidence_level, n_resamples, n_failed_resamples, n_clusters,
        reason``.  One row per combination present (``metric`` ``share``): ``n_positive``
        studies of the ``n`` of the group, ``estimate = n_positive / n``; no interval.
        Missing values form their own, missing, level ("not reported" is kept apart).
        ``level`` and ``finding`` are missing (a study's acquisition is no label).  Sorted by
        dataset and group, then most frequent first.

    Notes
    -----
    Validated against: per-combination counts by ``pandas.DataFrame.groupby(...).size()`` (tests).

    Examples
    --------
    >>> from hemstats.datasets import demo
    >>> mix = acquisition_mix(demo.load(n_studies=200))
    >>> first = mix.iloc[0]
    >>> str(first["kernel_family"]), int(first["n_positive"]), int(first["n"]), str(first["metric"])
    ('standard', 16, 200, 'share')
    >>> int(mix["n_positive"].sum()), float(mix["estimate"].sum())
    (200, 1.0)
    """
    where = "acquisition_mix"
    tables = resolve(data, "studies", where=where)
    by_cols = names(by, "by")
    h = harmonized(tables.main)
    _need(h, "studies", ["dataset", *by_cols, "scanner_model"], where)
    keys = ["dataset", *by_cols, *MIX_VARIABLES]
    frame = h[keys].astype(object)
    frame = frame.where(frame.notna(), None)
    counts = frame.groupby(keys, dropna=False, sort=False).size().rename("n_positive").reset_index()
    counts["n"] = counts.groupby(["dataset", *by_cols], dropna=False)["n_positive"].transform("sum")
    counts = counts.sort_values(["dataset", *by_cols, "n_positive", *MIX_VARIABLES],
                                ascending=[True] * (1 + len(by_cols)) + [False] + [True] * 4,
                                kind="stable", na_position="last")
    for c in keys:
        counts[c] = counts[c].astype(object).where(counts[c].notna(), pd.NA)
    rows = pd.DataFrame({
        "dataset": counts["dataset"],
        "subgroup": subgroup_name(by_cols),
        "subgroup_value": [subgroup_value(tuple(r)) if len(by_cols) > 1 else subgroup_value(r[0])
                           for r in counts[by_cols].itertuples(index=False)] if by_cols else None,
        **{c: counts[c] for c in MIX_VARIABLES},
        "metric": "share",
        "estimate": counts["n_positive"] / counts["n"],
        "n": counts["n"],
        "n_positive": counts["n_positive"],
    })
    return result_frame(rows.reset_index(drop=True), extra=MIX_VARIABLES)


def acquisition_distribution(
    data: Cohort | pd.DataFrame,
    *,
    by: By = None,
    columns: Sequence[str] = _NUMERIC,
) -> pd.DataFrame:
    """Distribution of kVp, tube current and slice thickness per dataset (x subgroup).

    Parameters
    ----------
    data : Cohort or pandas.DataFrame
        A Cohort, or the canonical ``studies`` table.
    by : str or list of str, optional
        Grouping columns of ``studies`` within each dataset.
    columns : sequence of str, default ("kvp", "tube_current_ma", "slice_thickness_mm")
        Numeric columns of ``studies`` to describe (a str is one column).

    Returns
    -------
    pandas.DataFrame
        :data:`DISTRIBUTION_COLUMNS`: the result columns with ``variable`` (the column
        described) and ``n_missing``; one row per dataset x group x variable x ``metric`` of
        :data:`DISTRIBUTION_METRICS` (``mean``, ``sd`` (ddof 1), ``median``, ``q1``, ``q3``,
        ``min``, ``max``); ``n`` counts the studies with a value, ``n_missing`` those without.

    Examples
    --------
    >>> from hemstats.datasets import demo
    >>> dist = acquisition_distribution(demo.load(n_studies=200))
    >>> dist.query("metric == 'median'")[["variable", "n", "estimate"]].values.tolist()
    [['kvp', 200, 120.0], ['tube_current_ma', 200, 295.0], ['slice_thickness_mm', 200, 3.0]]
    """
    where = "acquisition_distribution"
    tables = resolve(data, "studies", where=where)
    studies = tables.main
    by_cols = names(by, "by")
    variables = names(columns, "columns")
    _need(studies, "studies", ["dataset", *by_cols, *variables], where)
    for var in variables:
        given = studies[var].astype(object)
        text = given.notna() & pd.to_numeric(given, errors="coerce").isna()
        if text.any():
            raise InputError(f"{where}: columns: column {var!r} is not numeric ({int(text.sum())} non-numeric "
                             f"value(s), first at row {int(np.flatnonzero(text.to_numpy())[0])}); expected numbers")
    rows = []
    for dataset, values, part in _grouped(studies, by_cols):
        for var in variables:
            x = pd.to_numeric(part[var].astype(object), errors="coerce").to_numpy(dtype=float)
            ok = x[np.isfinite(x)]
            if len(ok):
                q1, med, q3 = np.quantile(ok, [0.25, 0.5, 0.75])
                stats_ = (float(ok.mean()), float(ok.std(ddof=1)) if len(ok) > 1 else np.nan, float(med), float(q1),
                          float(q3), float(ok.min()), float(ok.max()))
            else:
                stats_ = (np.nan,) * 7
            for metric, value in zip(DISTRIBUTION_METRICS, stats_):
                rows.append({"dataset": dataset, "subgroup": subgroup_name(by_cols),
                             "subgroup_value": subgroup_value(values), "variable": var, "metric": metric,
                             "estimate": value, "n": len(ok), "n_missing": len(x) - len(ok)})
    out = result_frame(rows, extra=("variable",), after=("n_missing",))
    out["n_missing"] = out["n_missing"].astype("Int64")
    return out


# -- association with labels ---------------------------------------------------------------------
