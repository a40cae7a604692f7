"""Figures of :mod:`hemstats.stats.descriptive`: a prevalence forest plot and an UpSet-style co-occurrence plot.

Each takes the result table of the statistic (:func:`hemstats.stats.prevalence`,
:func:`hemstats.stats.combinations`) and draws exactly what is in it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from hemstats.errors import HemstatsError
from hemstats.findings import FINDINGS
from hemstats.plots._checks import require_table

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["prevalence_forest", "cooccurrence_upset", "group_labels"]

_FOREST_COLUMNS = ("dataset", "finding", "estimate", "ci_low", "ci_high")
_UPSET_COLUMNS = ("dataset", "findings", "combination", "degree", "n_positive", "n", "estimate")
_UPSET_VALUES = {"count": "n_positive", "proportion": "estimate"}


def group_labels(table: pd.DataFrame) -> pd.Series:
    """One text label per row of a result table: its dataset, and its ``subgroup_value`` if any.

    With one dataset and subgroups the label is the subgroup value alone; with several
    datasets, ``"<dataset> / <subgroup value>"``.

    Examples
    --------
    >>> t = pd.DataFrame({"dataset": ["a", "a"], "subgroup_value": ["x", "y"]})
    >>> group_labels(t).tolist()
    ['x', 'y']
    """
    dataset = table["dataset"].astype(object).where(table["dataset"].notna(), "all").astype(str)
    if "subgroup_value" not in table.columns or table["subgroup_value"].isna().all():
        return dataset
    value = table["subgroup_value"].astype(object).where(table["subgroup_value"].notna(), "").astype(str)
    if dataset.nunique() == 1:
        return value
    return (dataset + " / " + value).str.rstrip(" /")


def prevalence_forest(result: pd.DataFrame, *, ax: Axes | None = None, findings: Sequence[str] | None = None) -> Axes:
    """Forest plot of prevalence: one point and CI per group and finding.

    Findings are stacked top to bottom in vocabulary order; within a finding, one row
    per group (dataset), coloured by group.

    Parameters
    ----------
    result : pandas.DataFrame
        The table of :func:`hemstats.stats.prevalence` (``dataset, finding, estimate,
        ci_low, ci_high``; ``subgroup_value``, ``unit``, ``confidence_level`` and ``method``
        when present).
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when None.
    findings : sequence of str, optional
        Which findings to show (default all in ``result``).

    Returns
    -------
    matplotlib.axes.Axes
        One errorbar container per group (label = the dataset, or the subgroup value,
        see :func:`group_labels`), y tick labels ``"<finding> · <group>"``.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from hemstats.datasets import demo
    >>> from hemstats.stats import prevalence
    >>> cohort = demo.load(n_studies=200)
    >>> ax = prevalence_forest(prevalence(cohort))
    >>> ax.get_yticklabels()[0].get_text()
    'any · demo'
    """
    import matplotlib.pyplot as plt

    table = require_table(result, _FOREST_COLUMNS, "prevalence_forest")
    table = table.assign(_group=group_labels(table).to_numpy())
    if findings is not None:
        table = table[table["finding"].isin(list(findings))]
        if table.empty:
            raise HemstatsError(f"prevalence_forest: none of findings {list(findings)} is in the table")
    rank = {f: i for i, f in enumerate(FINDINGS)}
    order = sorted(pd.unique(table["finding"]), key=lambda f: rank.get(f, len(rank)))
    groups = list(pd.unique(table["_group"]))
    if ax is None:
        _, ax = plt.subplots(figsize=(6.0, 0.28 * len(table) + 1.2), layout="constrained")
    ypos: dict[tuple[str, str], float] = {}
    ticks, ticklabels = [], []
    y = 0.0
    for k, f in enumerate(order):
        here = table[table["finding"] == f]
        for g in groups:
            if (here["_group"] == g).any():
                ypos[(f, g)] = y
                ticks.append(y)
                ticklabels.append(f"{f} · {g}")
                y -= 1.0
        if k < len(order) - 1:
            ax.axhline(y + 0.5, color="0.85", linewidth=0.8, zorder=0)
        y -= 0.5
    colours = plt.rcParams["axes.prop_cycle"].by_key().get("color", ["C0"])
    for i, g in enumerate(groups):
        rows = table[table["_group"] == g]
        est = rows["estimate"].to_numpy(dtype=float)
        lo = rows["ci_low"].to_numpy(dtype=float)
        hi = rows["ci_high"].to_numpy(dtype=float)
        ys = np.array([ypos[(f, g)] for f in rows["finding"]], dtype=float)
        ax.errorbar(
            est, ys, xerr=np.vstack([est - lo, hi - est]), fmt="o", markersize=4, capsize=2,
            color=colours[i % len(colours)], label=g,
        )  # fmt: skip
    ax.set_yticks(ticks)
    ax.set_yticklabels(ticklabels)
    ax.set_xlim(left=0)
    level = table["confidence_level"].iloc[0] if "confidence_level" in table else None
    method = table["method"].iloc[0] if "method" in table else None
    unit = table["unit"].iloc[0] if "unit" in table else table["level"].iloc[0] if "level" in table else None
    detail = ", ".join(s for s in [unit and f"per {unit}", level and f"{float(level):.0%} CI", method] if s)
    ax.set_xlabel(f"Prevalence ({detail})" if detail else "Prevalence")
    if len(groups) > 1:
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize="small", frameon=False)  # off the data
    return ax


def cooccurrence_upset(
    combinations_table: pd.DataFrame,
    *,
    fig: Figure | None = None,
    value: Literal["count", "proportion"] = "count",
    max_combinations: int = 20,
    include_none: bool = True,
) -> Figure:
    """UpSet-style figure: bars of combination frequencies over a dot matrix of findings.

    Parameters
    ----------
    combinations_table : pandas.DataFrame
        The table of :func:`hemstats.stats.combinations`.
    fig : matplotlib.figure.Figure, optional
        Figure to draw in (cleared first); a new one when None.  This figure has two
        panels, so it takes and returns a Figure rather than an Axes.
    value : {"count", "proportion"}
        Bar height: the count (``n_positive``), or the proportion of the group's units
        (``estimate``; comparable across datasets of different sizes).
    max_combinations : int
        Show the most frequent combinations (by total count over groups).
    include_none : bool
        Whether to show the ``"none"`` combination (units with none of the findings),
        which often dwarfs the others.

    Returns
    -------
    matplotlib.figure.Figure
        Two axes: ``fig.axes[0]`` the bars (one bar container per group, label =
        the dataset or subgroup value), ``fig.axes[1]`` the matrix (one row per finding, y tick labels
        the findings; filled dots mark the findings in each combination).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from hemstats.datasets import demo
    >>> from hemstats.stats import combinations
    >>> cohort = demo.load(n_studies=200)
    >>> fig = cooccurrence_upset(combinations(cohort))
    >>> [t.get_text() for t in fig.axes[1].get_yticklabels()]
    ['edh', 'sdh', 'sah', 'iph', 'ivh']
    """
    import matplotlib.pyplot as plt

    table = require_table(combinations_table, _UPSET_COLUMNS, "cooccurrence_upset")
    if value not in ("count", "proportion"):
        raise HemstatsError(f"value must be 'count' or 'proportion', got {value!r}")
    if int(max_combinations) < 1:
        raise HemstatsError(f"max_combinations must be at least 1, got {max_combinations!r}")
    table = table.assign(_group=group_labels(table).to_numpy(), _value=table[_UPSET_VALUES[value]].astype(float))
    groups = list(pd.unique(table["_group"]))
    if not include_none:
        table = table[table["combination"] != "none"]
        if table.empty:
            raise HemstatsError("cooccurrence_upset: no combination other than 'none' to draw")
    totals = table.groupby("combination", sort=False)["n_positive"].sum()
    degree = table.groupby("combination", sort=False)["degree"].first()
    shown = sorted(totals.index, key=lambda c: (-totals[c], degree[c], c))[: int(max_combinations)]
    rank = {f: i for i, f in enumerate(FINDINGS)}
    findings = sorted({f for fs in table["findings"] for f in fs.split("+")}, key=lambda f: rank.get(f, len(rank)))

    if fig is None:
        fig = plt.figure(figsize=(max(4.0, 0.45 * len(shown) + 1.5), 4.5), layout="constrained")
    else:
        fig.clear()
    top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 2]})
    x = np.arange(len(shown), dtype=float)
    width = 0.8 / len(groups)
    for i, g in enumerate(groups):
        rows = table[table["_group"] == g].set_index("combination")
        heights = [float(rows.loc[c, "_value"]) if c in rows.index else 0.0 for c in shown]
        top.bar(x - 0.4 + width * (i + 0.5), heights, width=width, label=g, color=f"C{i % 10}")
    top.set_ylabel("Studies" if value == "count" else "Proportion of studies")
    if len(groups) > 1:
        top.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", frameon=False)  # off the bars
    top.spines[["top", "right"]].set_visible(False)

    ys = {f: float(len(findings) - 1 - j) for j, f in enumerate(findings)}
    grid_x, grid_y = np.meshgrid(x, list(ys.values()))
    bottom.scatter(grid_x.ravel(), grid_y.ravel(), s=30, color="0.85", zorder=1)
    on_x, on_y = [], []
    for xi, c in zip(x, shown):
        members = [] if c == "none" else c.split("+")
        pts = [ys[f] for f in members if f in ys]
        if pts:
            on_x += [xi] * len(pts)
            on_y += pts
            bottom.plot([xi, xi], [min(pts), max(pts)], color="0.15", linewidth=1.5, zorder=2)
    bottom.scatter(on_x, on_y, s=30, color="0.15", zorder=3)
    bottom.set_yticks(list(ys.values()))
    bottom.set_yticklabels(findings)
    bottom.set_ylim(-0.5, len(findings) - 0.5)
    bottom.set_xticks(x)
    bottom.set_xticklabels([])
    bottom.tick_params(axis="x", length=0)
    for side in ("top", "right", "bottom"):
        bottom.spines[side].set_visible(False)
    return fig
