"""The result vocabulary: every statistic's table is built from these column groups.

A result is one long table.  Its columns are, in this order: the keys (``dataset, level,
finding``), the grouping (``subgroup, subgroup_value``), the function's own fixed columns
(e.g. ``model``, ``rater``), the estimate (``metric, estimate, ci_low, ci_high, n,
n_positive, method, confidence_level``), the resampling bookkeeping (``n_resamples,
n_failed_resamples, n_clusters``) and ``reason``.  No column appears or vanishes with an
argument: a column that does not apply holds a missing value.

``by=["site", "sex"]`` is reported as ``subgroup = "site, sex"`` and ``subgroup_value =
"A, F"``; no ``by`` gives missing values in both.

Examples
--------
>>> frame = result_frame([{"dataset": "demo", "finding": "any", "estimate": 0.2}], extra=("rater",))
>>> list(frame.columns[:7])
['dataset', 'level', 'finding', 'subgroup', 'subgroup_value', 'rater', 'metric']
>>> frame["n"].dtype
Int64Dtype()
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "KEYS",
    "GROUPING",
    "ESTIMATE",
    "RESAMPLING",
    "REASON",
    "SUBGROUP_SEPARATOR",
    "result_columns",
    "result_frame",
    "subgroup_name",
    "subgroup_value",
]

KEYS: tuple[str, ...] = ("dataset", "level", "finding")
GROUPING: tuple[str, ...] = ("subgroup", "subgroup_value")
ESTIMATE: tuple[str, ...] = (
    "metric", "estimate", "ci_low", "ci_high", "n", "n_positive", "method", "confidence_level",
)
RESAMPLING: tuple[str, ...] = ("n_resamples", "n_failed_resamples", "n_clusters")
REASON: tuple[str, ...] = ("reason",)
SUBGROUP_SEPARATOR = ", "

_INTEGER = {"n", "n_positive", "n_resamples", "n_failed_resamples", "n_clusters"}
_FLOAT = {"estimate", "ci_low", "ci_high", "confidence_level"}


def result_columns(extra: Sequence[str] = (), after: Sequence[str] = ()) -> list[str]:
    """The fixed column order of a result: keys, grouping, ``extra``, estimate, ``after``, resampling, reason.

    Examples
    --------
    >>> result_columns(extra=("model",))[:6]
    ['dataset', 'level', 'finding', 'subgroup', 'subgroup_value', 'model']
    """
    return [*KEYS, *GROUPING, *extra, *ESTIMATE, *after, *RESAMPLING, *REASON]


def subgroup_name(by: Sequence[str]) -> str | None:
    """``subgroup`` for grouping columns ``by`` (None without any).

    Examples
    --------
    >>> subgroup_name(["site", "sex"])
    'site, sex'
    """
    return SUBGROUP_SEPARATOR.join(by) if by else None


def subgroup_value(values: Any) -> str | None:
    """``subgroup_value`` for one group's values (a scalar or a tuple, as ``groupby`` gives them).

    Examples
    --------
    >>> subgroup_value(("A", "F"))
    'A, F'
    >>> subgroup_value(3)
    '3'
    """
    if values is None:
        return None
    if isinstance(values, tuple):
        return SUBGROUP_SEPARATOR.join("" if pd.isna(v) else str(v) for v in values)
    return "" if pd.isna(values) else str(values)


def result_frame(
    rows: Iterable[Mapping[str, Any]] | pd.DataFrame,
    *,
    extra: Sequence[str] = (),
    after: Sequence[str] = (),
) -> pd.DataFrame:
    """A result table with the fixed columns of :func:`result_columns`, missing ones filled with NA.

    Counts are nullable integers (``Int64``), estimates floats, text columns objects.  A key of a
    row that is not a result column is an error, so a typo cannot add a column.

    Parameters
    ----------
    rows : iterable of mappings or DataFrame
        The result rows.
    extra, after : sequence of str
        The function's own fixed columns, placed before (``extra``) or after (``after``) the
        estimate columns.
    """
    columns = result_columns(extra, after)
    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
    unknown = [c for c in frame.columns if c not in columns]
    if unknown:
        raise KeyError(f"result_frame: columns {unknown} are not result columns; declare them in extra= or after=")
    n = len(frame)
    out: dict[str, Any] = {}
    for col in columns:  # each column converted once, the frame built once
        values = frame[col] if col in frame.columns else pd.Series(np.full(n, np.nan), index=frame.index)
        if col in _INTEGER:
            out[col] = pd.array(pd.to_numeric(values, errors="raise"), dtype="Int64") if n else pd.array([], dtype="Int64")
        elif col in _FLOAT:
            out[col] = values.astype(np.float64).to_numpy()
        elif values.dtype != object and not isinstance(values.dtype, pd.CategoricalDtype) and values.isna().all():
            out[col] = values.astype(object).to_numpy()
        else:
            out[col] = values.array
    return pd.DataFrame(out, index=pd.RangeIndex(n))
