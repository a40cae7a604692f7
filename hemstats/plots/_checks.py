"""Checks shared by the figure functions."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from hemstats.errors import HemstatsError


def require_table(table: object, columns: Sequence[str], what: str, *, allow_empty: bool = False) -> pd.DataFrame:
    """``table`` itself, once it is a DataFrame with ``columns`` (and rows, unless ``allow_empty``)."""
    if not isinstance(table, pd.DataFrame):
        raise HemstatsError(f"{what} expects a pandas DataFrame, got {type(table).__name__}")
    absent = [c for c in columns if c not in table.columns]
    if absent:
        raise HemstatsError(f"{what}: the table has no column(s) {absent}; pass the result table of the statistic")
    if table.empty and not allow_empty:
        raise HemstatsError(f"{what}: the table is empty; nothing to draw")
    return table
