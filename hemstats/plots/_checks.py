"""Checks shared by the figure functions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

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


def legend_below(ax: Any, **kwargs: Any) -> Any:
    """The Axes' legend placed under its x tick labels and axis label, off the data.

    Anchored in points below the axes (tick labels and the x label take about three
    lines of text), so it clears them whatever the axes' height; the figure's
    constrained layout then makes room for it.
    """
    from matplotlib import rcParams as rc
    from matplotlib.font_manager import FontProperties
    from matplotlib.transforms import offset_copy

    tick = FontProperties(size=rc["xtick.labelsize"]).get_size_in_points()
    label = FontProperties(size=rc["axes.labelsize"]).get_size_in_points()
    drop = 1.3 * (tick + label) + rc["xtick.major.size"] + rc["xtick.major.pad"] + rc["axes.labelpad"] + 4
    where = offset_copy(ax.transAxes, fig=ax.figure, y=-drop, units="points")
    options = {"loc": "upper left", "fontsize": "small", "frameon": False} | kwargs
    return ax.legend(bbox_to_anchor=(0.0, 0.0), bbox_transform=where, **options)
