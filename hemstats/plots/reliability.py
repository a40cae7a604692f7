"""Agreement figures: one function per figure, each takes a result table of
:mod:`hemstats.stats.reliability.agreement` and ``ax=None``, and returns the Axes."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from hemstats.errors import HemstatsError

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["agreement_heatmap"]

_LABELS = {
    "cohen_kappa": "Cohen's kappa",
    "pabak": "PABAK",
    "gwet_ac1": "Gwet's AC1",
    "fleiss_kappa": "Fleiss' kappa",
    "krippendorff_alpha": "Krippendorff's alpha",
}


def agreement_heatmap(
    result: pd.DataFrame,
    *,
    metric: str = "cohen_kappa",
    dataset: str | None = None,
    method: str | None = None,
    annotate: bool = True,
    cmap: str = "viridis",
    ax: Axes | None = None,
) -> Axes:
    """Heatmap of one agreement coefficient: findings (rows) x rater pairs or sets (columns).

    Parameters
    ----------
    result : pandas.DataFrame
        A frame of :func:`hemstats.stats.agreement` (or :func:`~hemstats.stats.cohen_kappa`, ...).
    metric : str
        Which ``metric`` (coefficient) to draw, e.g. ``"cohen_kappa"``.
    dataset : str, optional
        Which dataset; needed when ``result`` holds several.
    method : str, optional
        Which interval ``method`` rows to take the estimates from (the estimate is the
        same in each, e.g. ``"fleiss-cohen-everitt-1969"`` or ``"cluster-robust-linearised"``);
        default the first one present.
    annotate : bool
        Write each value (two decimals) in its cell; an undefined value shows ``n/a``.
    cmap : str
        Matplotlib colour map; the colour scale spans [0, 1], or [-1, 1] when a value is
        negative.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; default a new figure.

    Returns
    -------
    matplotlib.axes.Axes
        The heatmap (an ``AxesImage`` holding the finding x raters matrix, NaN masked), a
        colour bar, the findings as y tick labels and the rater pairs as x tick labels.

    Examples
    --------
    >>> from hemstats.datasets import demo
    >>> from hemstats.stats.reliability.agreement import agreement
    >>> res = agreement(demo.load(n_studies=200))
    >>> ax = agreement_heatmap(res, metric="cohen_kappa")
    >>> [t.get_text() for t in ax.get_xticklabels()]
    ['R1|R2', 'R1|R3', 'R2|R3']
    """
    import matplotlib.pyplot as plt

    need = {"dataset", "finding", "metric", "raters", "estimate", "method"}
    if not isinstance(result, pd.DataFrame) or not need <= set(result.columns):
        raise HemstatsError(f"result: expected an agreement result frame with columns {sorted(need)}")
    sel = result[result["metric"] == metric]
    if sel.empty:
        raise HemstatsError(f"metric: no rows for {metric!r}; metrics present: {sorted(result['metric'].unique())}")
    datasets = list(pd.unique(sel["dataset"]))
    if dataset is None and len(datasets) > 1:
        raise HemstatsError(f"dataset: result holds {datasets}; name one")
    sel = sel[sel["dataset"] == (dataset if dataset is not None else datasets[0])]
    if sel.empty:
        raise HemstatsError(f"dataset: no {metric!r} rows for {dataset!r}; datasets present: {datasets}")
    method = method if method is not None else sel["method"].iloc[0]
    sel = sel[sel["method"] == method]
    findings = list(pd.unique(sel["finding"]))
    raters = list(pd.unique(sel["raters"]))
    mat = sel.pivot_table(index="finding", columns="raters", values="estimate", aggfunc="first", dropna=False)
    mat = mat.reindex(index=findings, columns=raters).to_numpy(dtype=float)
    if ax is None:
        _, ax = plt.subplots(figsize=(1.2 + 1.1 * len(raters), 0.9 + 0.45 * len(findings)))
    vmin = 0.0 if np.nanmin(np.append(mat, 0.0)) >= 0 else -1.0
    image = ax.imshow(np.ma.masked_invalid(mat), cmap=cmap, vmin=vmin, vmax=1.0, aspect="auto")
    ax.figure.colorbar(image, ax=ax, label=_LABELS.get(metric, metric))
    ax.set_xticks(range(len(raters)), labels=raters)
    ax.set_yticks(range(len(findings)), labels=findings)
    ax.set_xlabel("raters")
    ax.set_ylabel("finding")
    ax.set_title(_LABELS.get(metric, metric))
    if annotate:
        cm = plt.get_cmap(cmap)
        for i in range(len(findings)):
            for j in range(len(raters)):
                v = mat[i, j]
                shade = cm((v - vmin) / (1 - vmin)) if np.isfinite(v) else (1, 1, 1, 1)
                light = (0.299 * shade[0] + 0.587 * shade[1] + 0.114 * shade[2]) > 0.5
                ax.text(j, i, f"{v:.2f}" if np.isfinite(v) else "n/a", ha="center", va="center",
                        color="black" if light else "white")
    return ax
