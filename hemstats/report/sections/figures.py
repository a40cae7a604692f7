"""Each chapter's figures: drawn from the chapter's tables, numbered and captioned by :func:`show_figure`.

One function per figure (or per family of figures, one per dataset); each returns what the
chapter displays.  Captions say what is shown, from which data, with which interval; the
data drawn is saved beside the figure (``<tables>/figures/<name>.csv``).

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> import tempfile
>>> from hemstats.datasets import demo
>>> from hemstats.report.context import ReportContext, current
>>> from hemstats.stats import prevalence
>>> with tempfile.TemporaryDirectory() as tmp:
...     ctx = current(ReportContext.example(tmp).write())
...     print(str(prevalence_figure(ctx, prevalence(demo.load(n_studies=60), findings=["any"])))[:60])
Figure 2.1. Prevalence of each finding per study, by dataset
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import pandas as pd

from hemstats.report.figures import roc_steps, show_figure

if TYPE_CHECKING:
    from hemstats.report.chapter import Html
    from hemstats.report.context import ReportContext
    from hemstats.report.sections.performance import RocCurves

__all__ = [
    "prevalence_figure",
    "combinations_figure",
    "kappa_figures",
    "acquisition_mix_figure",
    "kernel_figures",
    "roc_figures",
    "compare_figure",
    "reliability_figures",
]


def _level(ctx: ReportContext) -> str:
    return f"{ctx.confidence_level:.0%}"


def _methods(table: pd.DataFrame) -> str:
    return ", ".join(sorted(table["method"].dropna().astype(str).unique())) if "method" in table else ""


# --------------------------------------------------------------------------------------------
# prevalence
# --------------------------------------------------------------------------------------------
def prevalence_figure(ctx: ReportContext, prev: pd.DataFrame) -> Html:
    """Forest plot of the prevalence of each finding per study, by dataset, with its interval."""
    from hemstats.plots import prevalence_forest

    ax = prevalence_forest(prev)
    return show_figure(ax.figure, "prevalence_forest", chapter="prevalence", data=prev, context=ctx, caption=(
        f"Prevalence of each finding per study, by dataset: the estimates of the table above with their "
        f"{_level(ctx)} confidence intervals ({_methods(prev)}); studies without a consensus label of a finding "
        "are left out of it."))


def combinations_figure(ctx: ReportContext, combos: pd.DataFrame) -> Html:
    """UpSet plot of the subtype combinations (shares when several datasets, else counts)."""
    from hemstats.plots import cooccurrence_upset

    value: Literal["count", "proportion"] = "proportion" if combos["dataset"].nunique() > 1 else "count"
    fig = cooccurrence_upset(combos, value=value, include_none=False)
    bars = "share of each dataset's studies" if value == "proportion" else "number of studies"
    return show_figure(fig, "prevalence_combinations_upset", chapter="prevalence", data=combos, context=ctx,
                       caption=(
        f"Studies showing exactly each combination of hemorrhage subtypes (UpSet plot: bars {bars}; dots below: "
        "the subtypes of the combination), among the studies labelled for all of the dataset's subtypes, leaving "
        "out those with none; counts without intervals, as in the table above."))


# --------------------------------------------------------------------------------------------
# agreement
# --------------------------------------------------------------------------------------------
def kappa_figures(ctx: ReportContext, res: pd.DataFrame) -> list[Html]:
    """One heatmap of Cohen's kappa (reader pairs by finding) per dataset with several readers."""
    from hemstats.plots import agreement_heatmap
    from hemstats.report.sections.agreement import heatmap_method, multi_reader_datasets

    out = []
    for dataset in multi_reader_datasets(ctx.cohort):
        method = heatmap_method(res, dataset)
        ax = agreement_heatmap(res, metric="cohen_kappa", dataset=dataset, method=method)
        ax.set_title(f"Cohen's kappa, {dataset}")
        drawn = res[(res["dataset"] == dataset) & (res["metric"] == "cohen_kappa") & (res["method"] == method)]
        out.append(show_figure(ax.figure, f"agreement_kappa_{dataset}", chapter="agreement", data=drawn,
                               context=ctx, caption=(
            f"Cohen's kappa of each pair of readers (columns) for each finding (rows) in dataset {dataset}: point "
            f"estimates of the table above (their {_level(ctx)} intervals, {method}, are in the table and the "
            "CSV); an empty cell is an undefined kappa.")))
    return out


# --------------------------------------------------------------------------------------------
# acquisition
# --------------------------------------------------------------------------------------------
def acquisition_mix_figure(ctx: ReportContext, mix: pd.DataFrame) -> Html:
    """Stacked shares of vendor, kernel family and slice-thickness bin per dataset (three panels)."""
    import matplotlib.pyplot as plt

    from hemstats.plots import acquisition_mix_plot

    n_datasets = mix["dataset"].nunique()
    fig, axes = plt.subplots(3, 1, figsize=(7, 3 * (0.75 + 0.3 * n_datasets) + 0.3), layout="constrained")
    variables: list[Literal["vendor", "kernel_family", "thickness_bin"]] = ["vendor", "kernel_family", "thickness_bin"]
    for ax, variable in zip(axes, variables, strict=True):
        acquisition_mix_plot(mix, ax=ax, variable=variable)
    return show_figure(fig, "acquisition_mix_shares", chapter="acquisition", data=mix, context=ctx, caption=(
        "Share of each dataset's studies by scanner vendor, reconstruction-kernel family and slice-thickness bin "
        "(grey: not reported), from the counts of the table above; shares without intervals."))


def kernel_figures(ctx: ReportContext, by_kernel: pd.DataFrame) -> list[Html]:
    """Per dataset, the AUC of the first finding by kernel family (forest plot with the heterogeneity p)."""
    from hemstats.plots import stratum_forest

    first = str(by_kernel["finding"].iloc[0])
    out = []
    for dataset in by_kernel["dataset"].astype(str).unique():
        drawn = by_kernel[(by_kernel["dataset"].astype(str) == dataset) & (by_kernel["finding"] == first)]
        ax = stratum_forest(drawn)
        ax.set_title(f"{dataset}, {first}: AUC by kernel family")
        out.append(show_figure(ax.figure, f"acquisition_auc_by_kernel_{dataset}", chapter="acquisition",
                               data=drawn, context=ctx, caption=(
            f"AUC of each model for {first} in dataset {dataset} by reconstruction-kernel family, with the "
            f"{_level(ctx)} confidence interval named on the x axis; the legend gives the heterogeneity test's p "
            "across the strata (table above). A stratum without a marker has no AUC (one class only).")))
    return out


# --------------------------------------------------------------------------------------------
# performance
# --------------------------------------------------------------------------------------------
def roc_figures(ctx: ReportContext, curves: RocCurves, aucs: pd.DataFrame) -> list[Html]:
    """Per dataset, the empirical ROC curve of each model at its exact steps with its pointwise band, and readers."""
    import matplotlib.pyplot as plt

    from hemstats.plots import roc_curve

    out = []
    for dataset in curves.datasets():
        band, readers = curves.of(dataset)
        finding = band["finding"].iloc[0]
        steps = roc_steps(ctx.cohort, band, confidence_level=ctx.confidence_level, n_resamples=ctx.n_resamples,
                          rng=ctx.rng(f"performance/roc_steps/{dataset}"))
        fig, ax = plt.subplots(figsize=(5, 5.8), layout="constrained")
        roc_curve(steps, ax=ax, readers=readers, steps=True,
                  auc=aucs[(aucs["dataset"].astype(str) == dataset) & (aucs["finding"] == finding)])
        n, n_pos = int(steps["n"].max()), int(steps["n_positive"].max())
        markers = " Markers: each reader against the consensus, with Wilson intervals." if readers is not None else ""
        out.append(show_figure(fig, f"performance_roc_{dataset}", chapter="performance", data=steps, context=ctx,
                               caption=(
            f"ROC curve of {finding} in dataset {dataset} ({n} studies, {n_pos} with the finding): each model's "
            f"empirical curve at its exact steps (every threshold), with the pointwise {_level(ctx)} bootstrap band "
            f"of sensitivity at each specificity ({_methods(steps)}, {ctx.n_resamples} resamples, as "
            f"pROC::ci.se); legend: AUC with its interval (table above).{markers}")))
    return out


def compare_figure(ctx: ReportContext, comp: pd.DataFrame) -> Html:
    """Forest plot of the paired AUC differences with their intervals and p-values."""
    import matplotlib.pyplot as plt

    from hemstats.plots import paired_difference

    fig, ax = plt.subplots(figsize=(6, 0.4 * len(comp) + 1), layout="constrained")
    paired_difference(comp, ax=ax)
    return show_figure(fig, "performance_compare_auc_differences", chapter="performance", data=comp, context=ctx,
                       caption=(
        f"Paired AUC difference (first model minus second) per dataset and finding, with its {_level(ctx)} "
        f"confidence interval and unadjusted p-value from the table above ({_methods(comp)}); dashed line: no "
        "difference."))


def reliability_figures(ctx: ReportContext, rel: pd.DataFrame) -> list[Html]:
    """Per dataset and finding, the reliability diagram of each model."""
    import matplotlib.pyplot as plt

    from hemstats.plots import reliability_diagram

    out = []
    for (dataset, finding), sub in rel.groupby(["dataset", "finding"], observed=True, sort=False):
        fig, ax = plt.subplots(figsize=(4.5, 5.2), layout="constrained")
        reliability_diagram(sub, ax=ax)
        ax.set_title(f"{dataset} / {finding}")
        out.append(show_figure(fig, f"performance_reliability_{dataset}_{finding}", chapter="performance", data=sub,
                               context=ctx, caption=(
            f"Reliability diagram of {finding} in dataset {dataset}: observed fraction of positives against the "
            f"mean predicted probability in up to 10 bins of the score, each with its Wilson {_level(ctx)} "
            "interval; dashed line: perfect calibration.")))
    return out
