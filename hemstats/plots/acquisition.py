"""Figures of :mod:`hemstats.stats.acquisition`: AUC per acquisition stratum, and the acquisition mix.

Each takes the result table of the statistic and draws exactly what is in it.  Legends sit
outside the axes (below the forest plot, right of the bars): on an ``ax`` of your own use
``plt.subplots(layout="constrained")`` or save with ``bbox_inches="tight"``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from hemstats.errors import HemstatsError
from hemstats.plots._checks import legend_below, require_table

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["stratum_forest", "acquisition_mix_plot"]

# Okabe-Ito: distinguishable in colour-vision deficiency.
_COLORS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")


def _need_rows(table: object, columns: Sequence[str], what: str) -> pd.DataFrame:
    return require_table(table, columns, what, allow_empty=True)


def _axes(ax: Axes | None, height: float) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=(6.0, height), layout="constrained")  # legends sit outside the axes
    return ax


def stratum_forest(
    result: pd.DataFrame,
    *,
    ax: Axes | None = None,
    findings: str | None = None,
    dataset: str | None = None,
    method: str | None = None,
) -> Axes:
    """Forest plot of the AUC per acquisition stratum, one marker and CI per model.

    Strata run top to bottom in the table's order; models are offset vertically within a
    stratum and coloured; each model's legend entry carries the heterogeneity p-value of the
    table (its ``kind == "heterogeneity"``, ``metric == "auc"`` row).  Strata with a NaN AUC
    are listed without a marker.

    Parameters
    ----------
    result : pandas.DataFrame
        The table of :func:`hemstats.stats.heterogeneity` (strata in ``subgroup_value``).
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when None.
    findings, dataset : str, optional
        Which finding (one code) / dataset to draw; required when the table holds several.
    method : str, optional
        Which AUC rows to draw (``clustered-delong``, ``delong``,
        ``stratified-cluster-bootstrap-percentile``, ...); default ``clustered-delong`` when the
        table has it, else ``delong``, else the table's only AUC method.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from hemstats.datasets import demo
    >>> from hemstats.stats.acquisition.heterogeneity import heterogeneity
    >>> res = heterogeneity(demo.load(n_studies=400), findings="any", n_resamples=20, rng=0)
    >>> ax = stratum_forest(res)
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['soft', 'standard', 'bone']
    """
    _need_rows(result, ("dataset", "finding", "model", "subgroup", "subgroup_value", "kind", "metric", "method",
                        "estimate", "ci_low", "ci_high", "p_value"), "stratum_forest")
    tab = result
    for col, option, value in (("finding", "findings", findings), ("dataset", "dataset", dataset)):
        if value is not None:
            tab = tab[tab[col].astype(object) == value]
        present = pd.unique(tab[col].astype(object))
        if len(present) > 1:
            raise HemstatsError(f"stratum_forest: the table holds several {col}s {list(present)}; pass {option}=")
    auc_rows = tab[(tab["kind"] == "stratum") & (tab["metric"] == "auc")]
    if method is None:
        present = list(pd.unique(auc_rows["method"].dropna().astype(str)))
        method = next((m for m in ("clustered-delong", "delong") if m in present), present[0] if len(present) == 1
                      else "delong")
    rows = auc_rows[auc_rows["method"] == method]
    if rows.empty:
        raise HemstatsError(f"stratum_forest: no AUC rows with method {method!r} to draw "
                            f"(methods: {sorted(pd.unique(tab['method'].dropna().astype(str)))})")
    strata = list(pd.unique(rows["subgroup_value"].astype(object)))
    models = list(pd.unique(rows["model"].astype(object)))
    het = tab[(tab["kind"] == "heterogeneity") & (tab["metric"] == "auc")]
    het = het.set_index(het["model"].astype(object))
    ax = _axes(ax, 1.0 + 0.5 * len(strata) * max(1, len(models)) ** 0.5)
    step = 0.6 / max(len(models), 1)
    for j, model in enumerate(models):
        part = rows[rows["model"].astype(object) == model].set_index(rows.loc[rows["model"].astype(object) == model,
                                                                              "subgroup_value"].astype(object))
        part = part.reindex(strata)
        y = np.arange(len(strata)) + (j - (len(models) - 1) / 2) * step
        est = part["estimate"].to_numpy(dtype=float)
        low, high = part["ci_low"].to_numpy(dtype=float), part["ci_high"].to_numpy(dtype=float)
        ok = np.isfinite(est)
        label = str(model)
        if model in het.index and np.isfinite(float(het.loc[model, "p_value"])):
            label += f" (heterogeneity p = {float(het.loc[model, 'p_value']):.2g})"
        xerr = np.vstack([est - low, high - est])[:, ok]
        ax.errorbar(est[ok], y[ok], xerr=np.where(np.isfinite(xerr), xerr, 0.0), fmt="o", color=_COLORS[j % len(_COLORS)],
                    capsize=3, label=label)
    ax.set_yticks(np.arange(len(strata)))
    ax.set_yticklabels([str(s) for s in strata])
    ax.set_ylim(len(strata) - 0.5, -0.5)
    ax.set_xlabel(f"AUC ({method} {round(100 * float(rows['confidence_level'].iloc[0]))}% CI)"
                  if "confidence_level" in rows else "AUC")
    ax.set_ylabel(str(rows["subgroup"].iloc[0]).replace("_", " "))
    ax.set_title(f"{rows['finding'].iloc[0]}: AUC by {str(rows['subgroup'].iloc[0]).replace('_', ' ')}")
    legend_below(ax)
    return ax


def acquisition_mix_plot(
    mix: pd.DataFrame,
    *,
    ax: Axes | None = None,
    variable: Literal["vendor", "scanner_model", "kernel_family", "thickness_bin"] = "kernel_family",
) -> Axes:
    """Stacked horizontal bars: each dataset's share of studies per level of ``variable``.

    Parameters
    ----------
    mix : pandas.DataFrame
        The table of :func:`hemstats.stats.acquisition_mix`: ``n_positive`` studies per
        dataset and combination.
    ax : matplotlib.axes.Axes, optional
    variable : {"vendor", "scanner_model", "kernel_family", "thickness_bin"}
        The acquisition variable whose shares are stacked; missing values form a grey
        "not reported" segment.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from hemstats.datasets import demo
    >>> from hemstats.stats import acquisition_mix
    >>> ax = acquisition_mix_plot(acquisition_mix(demo.load(n_studies=200)))
    >>> ax.get_legend_handles_labels()[1]
    ['soft', 'standard', 'bone']
    """
    from hemstats.acquisition import FAMILIES, THICKNESS_BINS

    _need_rows(mix, ("dataset", variable, "n_positive"), "acquisition_mix_plot")
    if mix.empty:
        raise HemstatsError("acquisition_mix_plot: the table is empty; nothing to draw")
    values = mix[variable].astype(object).where(mix[variable].notna(), "not reported")
    counts = mix.assign(__v=values).groupby(["dataset", "__v"], sort=False, observed=True)["n_positive"].sum().unstack(fill_value=0)
    order = {"kernel_family": FAMILIES, "thickness_bin": THICKNESS_BINS}.get(variable)
    cols = list(counts.columns)
    if order is not None:
        cols = [c for c in order if c in cols] + sorted(c for c in cols if c not in order and c != "not reported")
    else:
        cols = sorted(c for c in cols if c != "not reported")
    if "not reported" in counts.columns:
        cols.append("not reported")
    counts = counts[cols]
    shares = counts.div(counts.sum(axis=1), axis=0)
    datasets = list(shares.index)
    ax = _axes(ax, 1.0 + 0.45 * len(datasets))
    left = np.zeros(len(datasets))
    for j, col in enumerate(cols):
        color = "#BBBBBB" if col == "not reported" else _COLORS[j % len(_COLORS)]
        width = shares[col].to_numpy(dtype=float)
        ax.barh(np.arange(len(datasets)), width, left=left, color=color, label=str(col), edgecolor="white")
        left += width
    ax.set_yticks(np.arange(len(datasets)))
    ax.set_yticklabels([str(d) for d in datasets])
    ax.set_ylim(len(datasets) - 0.5, -0.5)
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of studies")
    ax.set_title(variable.replace("_", " "))
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize="small", frameon=False)
    return ax
