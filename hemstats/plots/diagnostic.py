"""Figures of model performance: ROC curve with a pointwise band and readers, reliability, paired difference.

Each takes the result table of a statistic and draws exactly what is in it:

* :func:`roc_curve` - the table of :func:`hemstats.stats.roc_band` (``given="specificity"``),
  optionally :func:`hemstats.stats.reader_operating_points` and :func:`hemstats.stats.auc`;
* :func:`reliability_diagram` - the table of :func:`hemstats.stats.reliability_curve`;
* :func:`paired_difference` - the table of :func:`hemstats.stats.compare_auc`.

Legends and p-values sit outside the axes, off the data: the figures these functions create
use matplotlib's constrained layout; on an ``ax`` of your own, use
``plt.subplots(layout="constrained")`` or save with ``bbox_inches="tight"`` so they are not cut.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from hemstats.errors import HemstatsError
from hemstats.plots._checks import legend_below, require_table

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["roc_curve", "reliability_diagram", "paired_difference"]

_GROUP = ("dataset", "level", "finding", "subgroup", "subgroup_value")


def _one_group(table: pd.DataFrame, what: str) -> pd.DataFrame:
    cols = [c for c in _GROUP if c in table.columns]
    groups = table[cols].astype(object).where(table[cols].notna(), "").drop_duplicates()
    if len(groups) > 1:
        shown = groups.astype(str).agg(" / ".join, axis=1).tolist()
        raise HemstatsError(f"{what}: the table holds {len(groups)} groups {shown[:4]}; filter it to one "
                            "(dataset, level, finding, subgroup) first")
    return table


def _axes(ax):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(layout="constrained")  # legends sit below or beside the axes
    return ax


def _colours(n: int) -> list[str]:
    from hemstats.plots.style import OKABE_ITO

    palette = list(OKABE_ITO)
    return [palette[(i + 1) % len(palette)] for i in range(n)]  # skip black for lines


def _reader_points(readers: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    """One row per reader of the curve's group: sensitivity, specificity and their bounds."""
    r = require_table(readers, ("rater", "metric", "estimate", "ci_low", "ci_high"), "roc_curve(readers=)")
    for c in ("finding", "level", "dataset"):
        if c in r.columns and c in table.columns and table[c].notna().any():
            r = r[r[c].astype(object) == table[c].dropna().iloc[0]]
    r = r[r["metric"].isin(["sensitivity", "specificity"])]
    if r.empty:
        raise HemstatsError("roc_curve(readers=): no reader row matches the curve's dataset, level and finding")
    wide = r.assign(rater=r["rater"].astype(str)).pivot_table(
        index="rater", columns="metric", values=["estimate", "ci_low", "ci_high"], aggfunc="first", sort=False)
    out = pd.DataFrame(index=wide.index)
    for m in ("sensitivity", "specificity"):
        if ("estimate", m) not in wide.columns:
            raise HemstatsError(f"roc_curve(readers=): the readers table has no {m} rows")
        out[m] = wide[("estimate", m)]
        out[f"{m}_low"] = wide[("ci_low", m)]
        out[f"{m}_high"] = wide[("ci_high", m)]
    return out.reset_index()


def roc_curve(
    result: pd.DataFrame,
    *,
    ax: Axes | None = None,
    readers: pd.DataFrame | None = None,
    auc: pd.DataFrame | None = None,
    band: bool = True,
    steps: bool = False,
) -> Axes:
    """ROC curves with their pointwise bootstrap bands, and readers' operating points.

    Parameters
    ----------
    result : pandas.DataFrame
        The table of :func:`hemstats.stats.roc_band` with ``given="specificity"``, for one
        dataset, level and finding (one curve per model).  The x axis is
        ``1 - specificity``; the band is ``ci_low``..``ci_high`` of sensitivity.
    ax : matplotlib.axes.Axes, optional
    readers : pandas.DataFrame, optional
        The (long) table of :func:`hemstats.stats.reader_operating_points`: each reader is a
        marker at ``(1 - specificity, sensitivity)`` with Wilson error bars.
    auc : pandas.DataFrame, optional
        The table of :func:`hemstats.stats.auc`: the legend then gives each model's AUC and CI.
    band : bool, default True
        Draw the pointwise band.
    steps : bool, default False
        Draw the curve and its band as steps, the empirical ROC curve at its exact steps:
        for a table read at every specificity ``k / n_controls``
        (:func:`hemstats.report.figures.roc_steps`), whose estimates are the upper-left
        corners of the ROC staircase.  ``False`` joins the points by straight lines (a
        table read at a grid of specificities, where the curve is interpolated).

    The legend sits below the axes, off the curves.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from hemstats.datasets import demo
    >>> from hemstats.stats import roc_band, reader_operating_points
    >>> cohort = demo.load(n_studies=200)
    >>> band = roc_band(cohort, findings="any", level="study", n_resamples=200, rng=0)
    >>> ax = roc_curve(band, readers=reader_operating_points(cohort, findings="any"))
    >>> [line.get_label() for line in ax.get_lines()][:2]
    ['model_a', 'model_b']
    """
    table = _one_group(require_table(result, ("model", "given", "value", "estimate", "ci_low", "ci_high"), "roc_curve"),
                       "roc_curve")
    if not (table["given"] == "specificity").all():
        raise HemstatsError("roc_curve: draw a band computed with given='specificity' (sensitivity at fixed specificities)")
    ax = _axes(ax)
    models = list(pd.unique(table["model"]))
    colours = _colours(len(models) + (0 if readers is None else 1))
    auc_by_model = {}
    if auc is not None:
        a = require_table(auc, ("model", "estimate", "ci_low", "ci_high"), "roc_curve(auc=)")
        auc_by_model = {str(r.model): r for r in a.itertuples()}
    for colour, model in zip(colours, models):
        part = table[table["model"] == model].sort_values("value", ascending=False)
        x = 1 - part["value"].to_numpy(dtype=float)
        y = part["estimate"].to_numpy(dtype=float)
        label = str(model)
        if model in auc_by_model:
            r = auc_by_model[model]
            label = f"{model} (AUC {r.estimate:.3f}, {r.ci_low:.3f}-{r.ci_high:.3f})"
        level = f" {part['confidence_level'].iloc[0]:.0%}" if "confidence_level" in part else ""
        if band:
            ax.fill_between(x, part["ci_low"].to_numpy(dtype=float), part["ci_high"].to_numpy(dtype=float),
                            color=colour, alpha=0.2, lw=0, label=f"{model}{level} band",
                            step="post" if steps else None, zorder=1)
        if steps and len(x) and x[0] == 0:  # the first step rises from (0, 0)
            x, y = np.r_[0.0, x], np.r_[0.0, y]
        ax.plot(x, y, color=colour, label=label, lw=1.5, drawstyle="steps-post" if steps else "default", zorder=2)
    if readers is not None:
        r = _reader_points(readers, table)
        fpr = 1 - r["specificity"].to_numpy(dtype=float)
        tpr = r["sensitivity"].to_numpy(dtype=float)
        xerr = np.vstack([fpr - (1 - r["specificity_high"].to_numpy(dtype=float)),
                          (1 - r["specificity_low"].to_numpy(dtype=float)) - fpr])
        yerr = np.vstack([tpr - r["sensitivity_low"].to_numpy(dtype=float),
                          r["sensitivity_high"].to_numpy(dtype=float) - tpr])
        xerr, yerr = np.clip(xerr, 0, None), np.clip(yerr, 0, None)
        ax.errorbar(fpr, tpr, xerr=xerr, yerr=yerr, fmt="none", ecolor="0.3", elinewidth=0.8, capsize=0)
        markers = ["o", "s", "^", "D", "v", "P", "X"]
        for i, (name, x, y) in enumerate(zip(r["rater"].astype(str), fpr, tpr)):
            ax.scatter([x], [y], marker=markers[i % len(markers)], color="black", zorder=3, s=25, label=f"reader {name}")
    ax.plot([0, 1], [0, 1], color="0.6", lw=0.8, ls="--", label="_chance")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.01)
    ax.set_xlabel("1 - specificity")
    ax.set_ylabel("sensitivity")
    ax.set_aspect("equal")
    first = table.iloc[0]
    title = " / ".join(str(first[c]) for c in ("dataset", "finding") if c in table.columns and pd.notna(first[c]))
    if title:
        ax.set_title(title)
    legend_below(ax)
    return ax


def reliability_diagram(result: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Observed fraction of positives against mean predicted probability per bin, with CIs.

    Parameters
    ----------
    result : pandas.DataFrame
        The table of :func:`hemstats.stats.reliability_curve` for one dataset, level and
        finding (one series per model).
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from hemstats.datasets import demo
    >>> from hemstats.stats import reliability_curve
    >>> rel = reliability_curve(demo.load(n_studies=200), findings="any", level="study", n_bins=5)
    >>> ax = reliability_diagram(rel)
    >>> ax.get_xlabel()
    'mean predicted probability'
    """
    table = _one_group(require_table(result, ("model", "mean_predicted", "estimate", "ci_low", "ci_high", "n"),
                             "reliability_diagram"), "reliability_diagram")
    ax = _axes(ax)
    ax.plot([0, 1], [0, 1], color="0.6", lw=0.8, ls="--", label="perfect calibration")
    models = list(pd.unique(table["model"]))
    for colour, model in zip(_colours(len(models)), models):
        part = table[table["model"] == model].sort_values("mean_predicted")
        x = part["mean_predicted"].to_numpy(dtype=float)
        y = part["estimate"].to_numpy(dtype=float)
        # clip: at an observed 0 or 1 the Wilson bound can differ from it by a rounding error
        yerr = np.clip(np.vstack([y - part["ci_low"].to_numpy(dtype=float),
                                  part["ci_high"].to_numpy(dtype=float) - y]), 0, None)
        ax.errorbar(x, y, yerr=yerr, color=colour, marker="o", ms=4, lw=1.2, capsize=2, label=str(model))
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("mean predicted probability")
    ax.set_ylabel("observed fraction positive")
    ax.set_aspect("equal")
    legend_below(ax)
    return ax


def paired_difference(result: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Forest plot of paired AUC differences (model_1 - model_2) with CIs and DeLong p.

    Parameters
    ----------
    result : pandas.DataFrame
        The table of :func:`hemstats.stats.compare_auc`; one row per line, top to bottom.
        Each line's DeLong p-value is written in a column right of the axes.
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from hemstats.datasets import demo
    >>> from hemstats.stats import compare_auc
    >>> ax = paired_difference(compare_auc(demo.load(n_studies=200), level="study"))
    >>> len(ax.get_yticklabels())
    6
    """
    table = require_table(result, ("model_1", "model_2", "estimate", "ci_low", "ci_high", "p_value"), "paired_difference")
    ax = _axes(ax)
    n = len(table)
    ypos = np.arange(n)[::-1]
    est = table["estimate"].to_numpy(dtype=float)
    lo, hi = table["ci_low"].to_numpy(dtype=float), table["ci_high"].to_numpy(dtype=float)
    ax.errorbar(est, ypos, xerr=np.clip(np.vstack([est - lo, hi - est]), 0, None), fmt="o", color="black", ms=4, capsize=2,
                label="difference (CI)")
    ax.axvline(0, color="0.6", lw=0.8, ls="--")
    parts = [c for c in ("dataset", "level", "finding", "subgroup_value") if c in table.columns
             and table[c].notna().any() and table[c].astype(str).nunique() > 1]
    if "finding" in table.columns and "finding" not in parts:
        parts.append("finding")
    labels = []
    for row in table.itertuples():
        head = " / ".join(str(getattr(row, c)) for c in parts if pd.notna(getattr(row, c)))
        labels.append(f"{head}: {row.model_1} - {row.model_2}" if head else f"{row.model_1} - {row.model_2}")
    ax.set_yticks(ypos)
    ax.set_yticklabels(labels)
    from matplotlib.transforms import blended_transform_factory

    beside = blended_transform_factory(ax.transAxes, ax.transData)  # a column right of the axes, off the data
    for y, p in zip(ypos, table["p_value"].to_numpy(dtype=float)):
        if np.isfinite(p):
            ax.text(1.02, y, f"p = {p:.3f}", transform=beside, va="center", ha="left", fontsize="small")
    ax.set_xlabel("AUC difference")
    ax.set_ylim(-0.7, n - 0.3)
    return ax
