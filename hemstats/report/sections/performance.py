"""The Model performance chapter's tables, computed without a book build.

Each function takes the build's settings (:class:`~hemstats.report.sections.Settings` or the
chapter's :class:`~hemstats.report.context.ReportContext`) and returns the table(s) the
chapter shows; the chapter's cells only call them, save and show the result.  Every random
table draws, per dataset, from its own stream ``ctx.rng("performance/<table>/<dataset>")``,
so adding a dataset or a table never changes another one's intervals.  A table with
nothing to show is empty (its columns fixed); :func:`has_predictions` and :func:`has_pairs`
say which "no data" sentence the chapter shows instead.

Examples
--------
>>> from hemstats.datasets import demo
>>> from hemstats.report.sections import Settings
>>> ctx = Settings(demo.load(n_studies=80, seed=1), n_resamples=100, seed=1)
>>> aucs = auc_table(ctx)
>>> aucs[["finding", "model", "metric"]].head(2).values.tolist()
[['any', 'model_a', 'auc'], ['any', 'model_b', 'auc']]
>>> aucs.equals(auc_table(ctx))
True
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from hemstats.report.display import decimals
from hemstats.report.format import MISSING, fmt_estimate, fmt_int, fmt_p
from hemstats.report.sections import SectionInputs
from hemstats.report.sections.views import (
    View,
    estimate_cell,
    joined_reasons,
    kind_of,
    level_text,
    view,
    wide_estimates,
)
from hemstats.stats import (
    auc,
    average_precision,
    calibration,
    compare_auc,
    reader_operating_points,
    reliability_curve,
    roc_band,
    threshold_metrics,
)
from hemstats.stats.diagnostic.auc import AUC_COLUMNS, COMPARE_COLUMNS
from hemstats.stats.diagnostic.calibration import CALIBRATION_COLUMNS, RELIABILITY_COLUMNS
from hemstats.stats.diagnostic.curves import BAND_COLUMNS, READER_COLUMNS
from hemstats.stats.diagnostic.operating_points import THRESHOLD_COLUMNS

if TYPE_CHECKING:
    from hemstats.cohort import Cohort

__all__ = [
    "NO_PREDICTIONS",
    "RocCurves",
    "has_predictions",
    "has_pairs",
    "auc_table",
    "average_precision_table",
    "discrimination",
    "roc_curves",
    "curve_finding",
    "compare_table",
    "operating_points",
    "operating_points_wide",
    "calibration_table",
    "reliability_table",
    "slice_auc",
    "OPERATING_METRICS",
    "SUMMARY_METRICS",
    "discrimination_view",
    "compare_view",
    "operating_views",
    "calibration_view",
    "slice_view",
]

#: The sentence shown when no dataset has model predictions.
NO_PREDICTIONS = "No dataset in this manifest has model predictions, so there is no model performance to report."
CHAPTER = "performance"


def _predictions(cohort: Cohort, level: str | None = None) -> pd.DataFrame:
    preds = cohort.tables()["predictions"]
    return preds if level is None else preds[preds["level"].astype(object) == level]


def has_predictions(ctx: SectionInputs, level: str = "study") -> bool:
    """Does some dataset have model predictions at ``level``?"""
    return not _predictions(ctx.cohort, level).empty


def has_pairs(ctx: SectionInputs) -> bool:
    """Does some dataset have two models scoring the same finding at the study level?"""
    preds = _predictions(ctx.cohort, "study")
    if preds.empty:
        return False
    n_models = preds.groupby(["dataset", "finding"], observed=True)["model"].nunique()
    return bool((n_models > 1).any())


def _per_dataset(
    ctx: SectionInputs, table: str, level: str, columns: tuple[str, ...],
    call: Callable[[Cohort, Any], pd.DataFrame],
) -> pd.DataFrame:
    """``call(cohort of one dataset, rng)`` for each dataset with predictions at ``level``, stacked.

    Dataset ``d`` draws from ``ctx.rng("performance/<table>/<d>")``.
    """
    cohort = ctx.cohort
    datasets = list(pd.unique(_predictions(cohort, level)["dataset"].astype(str)))
    frames = [call(cohort.select(d), ctx.rng(f"{CHAPTER}/{table}/{d}")) for d in datasets]
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame(columns=list(columns))
    return pd.concat(frames, ignore_index=True)


# --------------------------------------------------------------------------------------------
# discrimination
# --------------------------------------------------------------------------------------------
def auc_table(ctx: SectionInputs) -> pd.DataFrame:
    """Study-level AUC of every dataset, finding and model (:func:`hemstats.stats.auc`).

    DeLong for independent studies; a patient-clustered, class-stratified bootstrap where
    patients have several studies (the ``method`` column says which).
    """
    return _per_dataset(ctx, "auc", "study", AUC_COLUMNS, lambda c, rng: auc(
        c, level="study", confidence_level=ctx.confidence_level, n_resamples=ctx.n_resamples, rng=rng))


def average_precision_table(ctx: SectionInputs) -> pd.DataFrame:
    """Study-level average precision with its (cohort-sampling) bootstrap interval."""
    return _per_dataset(ctx, "average_precision", "study", AUC_COLUMNS, lambda c, rng: average_precision(
        c, level="study", confidence_level=ctx.confidence_level, n_resamples=ctx.n_resamples, rng=rng))


def discrimination(aucs: pd.DataFrame, aps: pd.DataFrame) -> pd.DataFrame:
    """The displayed table: AUC (its ``method``, ``n``, ``n_positive``, ``n_clusters``) beside the average precision.

    Examples
    --------
    >>> a = pd.DataFrame({"dataset": ["d"], "level": ["study"], "finding": ["any"], "model": ["m"],
    ...                   "estimate": [0.9], "ci_low": [0.8], "ci_high": [0.95], "n": [10], "n_positive": [4],
    ...                   "n_clusters": [10], "method": ["delong"]})
    >>> p = a.assign(estimate=0.7, ci_low=0.5, ci_high=0.85)
    >>> discrimination(a, p).columns.tolist()
    ['dataset', 'finding', 'model', 'auc', 'ci_low', 'ci_high', 'method', 'ap', 'ap_ci_low', 'ap_ci_high', 'n', 'n_positive', 'n_clusters']
    """
    keys = ["dataset", "finding", "model"]
    left = aucs[[*keys, "estimate", "ci_low", "ci_high", "method", "n", "n_positive", "n_clusters"]].rename(
        columns={"estimate": "auc"})
    right = aps[[*keys, "estimate", "ci_low", "ci_high"]].rename(
        columns={"estimate": "ap", "ci_low": "ap_ci_low", "ci_high": "ap_ci_high"})
    out = left.merge(right, on=keys, how="left")
    return out[[*keys, "auc", "ci_low", "ci_high", "method", "ap", "ap_ci_low", "ap_ci_high", "n", "n_positive",
                "n_clusters"]]


# --------------------------------------------------------------------------------------------
# ROC curves and readers
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RocCurves:
    """The ROC figure of each dataset: its finding, the pointwise bands and the readers' points."""

    bands: pd.DataFrame
    readers: pd.DataFrame

    def datasets(self) -> list[str]:
        """The datasets with a curve, in order."""
        return list(pd.unique(self.bands["dataset"].astype(str)))

    def of(self, dataset: str) -> tuple[pd.DataFrame, pd.DataFrame | None]:
        """The band and the readers (None without any) of one dataset."""
        band = self.bands[self.bands["dataset"].astype(str) == dataset]
        readers = self.readers[self.readers["dataset"].astype(str) == dataset]
        return band, (readers if not readers.empty else None)


def curve_finding(findings: list[str]) -> str:
    """The finding a dataset's ROC figure shows: ``any`` hemorrhage, or the first one with predictions.

    Examples
    --------
    >>> curve_finding(["sdh", "any"]), curve_finding(["sdh", "iph"])
    ('any', 'sdh')
    """
    return "any" if "any" in findings else findings[0]


def roc_curves(ctx: SectionInputs) -> RocCurves:
    """Sensitivity at fixed specificities with a pointwise band (``pROC::ci.se``), and each reader's point.

    One finding per dataset (:func:`curve_finding`); readers against the consensus with
    Wilson intervals (:func:`hemstats.stats.reader_operating_points`).
    """
    cohort = ctx.cohort
    preds = _predictions(cohort, "study")

    def band(c: Cohort, rng: Any) -> pd.DataFrame:
        finding = curve_finding(list(pd.unique(_predictions(c, "study")["finding"].astype(str))))
        return roc_band(c, findings=finding, level="study", confidence_level=ctx.confidence_level,
                        n_resamples=ctx.n_resamples, rng=rng)

    bands = _per_dataset(ctx, "roc_band", "study", BAND_COLUMNS, band)
    readers = []
    for dataset in pd.unique(preds["dataset"].astype(str)):
        part = bands[bands["dataset"].astype(str) == dataset]
        if part.empty or cohort.tables()["labels"].empty:
            continue
        r = reader_operating_points(cohort.select(dataset), findings=str(part["finding"].iloc[0]),
                                    confidence_level=ctx.confidence_level)
        if not r.empty:
            readers.append(r)
    reader_table = pd.concat(readers, ignore_index=True) if readers else pd.DataFrame(columns=list(READER_COLUMNS))
    return RocCurves(bands=bands, readers=reader_table)


# --------------------------------------------------------------------------------------------
# paired comparison, operating points
# --------------------------------------------------------------------------------------------
def compare_table(ctx: SectionInputs) -> pd.DataFrame:
    """Paired AUC differences of every pair of models scoring the same studies (:func:`hemstats.stats.compare_auc`)."""
    return _per_dataset(ctx, "compare_auc", "study", COMPARE_COLUMNS, lambda c, rng: compare_auc(
        c, level="study", confidence_level=ctx.confidence_level, n_resamples=ctx.n_resamples, rng=rng))


def operating_points(ctx: SectionInputs, *, threshold: float = 0.5, target_sensitivity: float = 0.9) -> pd.DataFrame:
    """Operating-point metrics of ``any`` hemorrhage at ``threshold`` and at ``target_sensitivity``.

    Empty when no dataset has study-level predictions of ``any``.
    """
    any_preds = _predictions(ctx.cohort, "study")
    any_preds = any_preds[any_preds["finding"].astype(object) == "any"]
    if any_preds.empty:
        return pd.DataFrame(columns=list(THRESHOLD_COLUMNS))

    def call(c: Cohort, rng: Any) -> pd.DataFrame:
        if not (_predictions(c)["finding"].astype(object) == "any").any():
            return pd.DataFrame(columns=list(THRESHOLD_COLUMNS))
        return threshold_metrics(c, findings="any", level="study", threshold=threshold,
                                 target_sensitivity=target_sensitivity, confidence_level=ctx.confidence_level,
                                 n_resamples=ctx.n_resamples, rng=rng)

    return _per_dataset(ctx, "operating_points", "study", THRESHOLD_COLUMNS, call)


def operating_points_wide(ops: pd.DataFrame) -> pd.DataFrame:
    """The displayed table: one row per dataset x model x operating point, one column per metric."""
    wide = ops.pivot_table(index=["dataset", "model", "operating_point", "threshold"], columns="metric",
                           values="estimate", observed=True, sort=False).reset_index()
    return wide.rename_axis(columns=None)


# --------------------------------------------------------------------------------------------
# calibration
# --------------------------------------------------------------------------------------------
def _probabilities(cohort: Cohort) -> pd.DataFrame:
    """Study-level predictions of the dataset x model pairs whose scores all lie in [0, 1]."""
    preds = _predictions(cohort, "study")
    if preds.empty:
        return preds
    score = preds["score"].astype(float)
    inside = ((score >= 0) & (score <= 1)).groupby([preds["dataset"], preds["model"]], observed=True).transform("all")
    return preds[inside.to_numpy(dtype=bool)]


def calibration_table(ctx: SectionInputs) -> pd.DataFrame:
    """Brier score, calibration intercept and slope of the models that give probabilities.

    Studies are treated as independent rows (no ``studies=``), so intercept and slope keep
    their Wald intervals (with patients' repeated studies clustered they would have none);
    empty when no model's study-level scores are probabilities.
    """
    cohort = ctx.cohort
    prob = _probabilities(cohort)
    if prob.empty:
        return pd.DataFrame(columns=list(CALIBRATION_COLUMNS))
    frames = []
    for dataset in pd.unique(prob["dataset"].astype(str)):
        part = prob[prob["dataset"].astype(str) == dataset]
        frames.append(calibration(part, labels=cohort.labels, level="study",
                                  confidence_level=ctx.confidence_level, n_resamples=ctx.n_resamples,
                                  rng=ctx.rng(f"{CHAPTER}/calibration/{dataset}")))
    return pd.concat(frames, ignore_index=True)


def reliability_table(ctx: SectionInputs, *, n_bins: int = 10) -> pd.DataFrame:
    """Reliability curves (observed fraction positive per bin of predicted probability) of ``any``
    hemorrhage, or of every finding when no model predicts ``any``; no randomness."""
    cohort = ctx.cohort
    prob = _probabilities(cohort)
    if prob.empty:
        return pd.DataFrame(columns=list(RELIABILITY_COLUMNS))
    findings = "any" if (prob["finding"].astype(object) == "any").any() else None
    return reliability_curve(prob, labels=cohort.labels, studies=cohort.studies, level="study", findings=findings,
                             n_bins=n_bins, confidence_level=ctx.confidence_level)


# --------------------------------------------------------------------------------------------
# slices
# --------------------------------------------------------------------------------------------
def slice_auc(ctx: SectionInputs) -> pd.DataFrame:
    """Slice-level AUC by the stratified row bootstrap (``resampling = "slices"``) and by the
    patient-clustered bootstrap (``"patients"``): the row interval is too narrow.

    Its columns are those of :func:`hemstats.stats.auc` and ``resampling``.
    """
    def call(cluster: str | None) -> Callable[[Cohort, Any], pd.DataFrame]:
        return lambda c, rng: auc(c, level="slice", interval="bootstrap", cluster=cluster,
                                  confidence_level=ctx.confidence_level, n_resamples=ctx.n_resamples, rng=rng)

    rows = _per_dataset(ctx, "slice_auc/slices", "slice", AUC_COLUMNS, call(None))
    patients = _per_dataset(ctx, "slice_auc/patients", "slice", AUC_COLUMNS, call("patient_id"))
    return pd.concat([rows.assign(resampling="slices"), patients.assign(resampling="patients")], ignore_index=True)


# --------------------------------------------------------------------------------------------
# displayed tables (the cell helpers live in hemstats.report.sections.agreement)
# --------------------------------------------------------------------------------------------
def _counts(table: pd.DataFrame, index: list[str]) -> pd.DataFrame:
    """``Positive / studies``: the first row's ``n_positive`` and ``n`` of each ``index`` group."""
    first = table.drop_duplicates(subset=index)
    cell = [f"{fmt_int(p)} / {fmt_int(n)}" for p, n in zip(first["n_positive"], first["n"], strict=True)]
    return first[index].astype(object).assign(**{"Positive / studies, n": cell})


def _methods(table: pd.DataFrame) -> str:
    """The table's interval ``method`` codes, for a caption."""
    return ", ".join(str(m) for m in pd.unique(table["method"].dropna().astype(str)))


def discrimination_view(aucs: pd.DataFrame, aps: pd.DataFrame) -> View:
    """The Discrimination table: one row per dataset, finding and model; AUC (CI) and average precision (CI).

    Examples
    --------
    >>> a = pd.DataFrame({"dataset": ["d"], "finding": ["any"], "model": ["m"], "metric": ["auc"],
    ...                   "estimate": [0.9], "ci_low": [0.8], "ci_high": [0.95], "n": [10], "n_positive": [4],
    ...                   "method": ["delong"], "confidence_level": [0.95], "reason": [None]})
    >>> p = a.assign(metric="average_precision", estimate=0.7, ci_low=0.5, ci_high=0.85, method="bootstrap")
    >>> v = discrimination_view(a, p)
    >>> v.frame.to_dict("records")
    [{'Finding': 'Any ICH', 'Model': 'm', 'AUC': '0.900 (0.800 to 0.950)', 'Average precision': '0.700 (0.500 to 0.850)', 'Positive / studies, n': '4 / 10'}]
    >>> v.caption
    'd: Estimate (95% CI); AUC: delong; average precision: bootstrap'
    """
    keys = ["dataset", "finding", "model"]
    both = pd.concat([aucs, aps], ignore_index=True)
    frame = wide_estimates(both, keys, ["auc", "average_precision"]).merge(_counts(aucs, keys), on=keys, how="left")
    caption = f"Estimate ({level_text(aucs)}); AUC: {_methods(aucs)}; average precision: {_methods(aps)}"
    return view(frame, caption=caption, reasons=list(aucs["reason"]) if "reason" in aucs else None)


def compare_view(comp: pd.DataFrame) -> View:
    """The paired comparison: one row per dataset, finding and pair of models; both AUCs, their difference (CI), p."""
    frame = comp[["dataset", "finding"]].astype(object).assign(
        **{"Models": [f"{a} vs {b}" for a, b in zip(comp["model_1"], comp["model_2"], strict=True)],
           "AUCs": [f"{estimate_cell(a, None, None, 'auc')} vs {estimate_cell(b, None, None, 'auc')}"
                    for a, b in zip(comp["auc_1"], comp["auc_2"], strict=True)],
           f"AUC difference ({level_text(comp)})": [estimate_cell(e, lo, hi, "auc_difference") for e, lo, hi in zip(
               comp["estimate"], comp["ci_low"], comp["ci_high"], strict=True)],
           "z": [fmt_estimate(z, None, None, digits=decimals("statistic")) for z in comp["z"]],
           "p": [fmt_p(v, digits=decimals("p")) for v in comp["p_value"]],
           "p (Holm)": [fmt_p(v, digits=decimals("p")) for v in comp["p_holm"]]})
    frame = frame.merge(_counts(comp, ["dataset", "finding"]), on=["dataset", "finding"], how="left")
    return view(frame, caption=f"Paired difference; {_methods(comp)}", reasons=comp["reason"])


#: Metrics of the operating-point tables: the first shows them with intervals beside the threshold,
#: the second the summaries of the same calls.
OPERATING_METRICS: tuple[str, ...] = ("sensitivity", "specificity", "ppv", "npv")
SUMMARY_METRICS: tuple[str, ...] = ("f1", "accuracy", "balanced_accuracy", "youden_j")


def _operating_label(point: Any, threshold: Any) -> str:
    """``score >= 0.50`` or ``sensitivity >= 90%: score >= 0.656``."""
    t = fmt_estimate(threshold, None, None, digits=decimals("proportion"))
    text = str(point)
    if text == "threshold":
        return f"score ≥ {t}"
    if text.startswith("sensitivity>="):
        target = float(text.split(">=", 1)[1])
        return f"sensitivity ≥ {100 * target:g}%: score ≥ {t}"
    return f"{text}: score ≥ {t}"


def operating_views(ops: pd.DataFrame) -> tuple[View, View]:
    """The operating-point tables: sensitivity, specificity, PPV and NPV with their intervals; then F1,
    accuracy, balanced accuracy and Youden's J of the same calls.  One row per dataset, model and operating point.

    Examples
    --------
    >>> ops = pd.DataFrame({"dataset": "d", "model": "m", "operating_point": "threshold", "threshold": 0.5,
    ...                     "metric": ["sensitivity", "specificity"], "estimate": [0.9, 0.6],
    ...                     "ci_low": [0.8, 0.5], "ci_high": [0.95, 0.7], "method": "wilson",
    ...                     "confidence_level": 0.95, "reason": None})
    >>> main, _ = operating_views(ops)
    >>> main.frame.iloc[0].tolist()
    ['m', 'score ≥ 0.500', '90.0 (80.0 to 95.0)', '60.0 (50.0 to 70.0)', '—', '—']
    """
    keys = ["dataset", "model", "operating_point", "threshold"]
    labelled = ops.assign(operating_point=[_operating_label(p, t) for p, t in zip(
        ops["operating_point"], ops["threshold"], strict=True)])
    level = level_text(ops)
    views = []
    for metrics in (OPERATING_METRICS, SUMMARY_METRICS):
        part = labelled[labelled["metric"].astype(str).isin(metrics)]
        frame = wide_estimates(part, keys, list(metrics))
        reasons = joined_reasons(part, keys, frame)
        views.append(view(frame.drop(columns="threshold"), caption=f"Estimate ({level}); {_methods(part)}",
                          reasons=reasons))
    return views[0], views[1]


def calibration_view(cal: pd.DataFrame) -> View:
    """Calibration: one row per dataset, finding and model; Brier score, intercept and slope, each (CI)."""
    keys = ["dataset", "finding", "model"]
    frame = wide_estimates(cal, keys, ["brier", "calibration_intercept", "calibration_slope"])
    frame = frame.merge(_counts(cal, keys), on=keys, how="left")
    return view(frame, caption=f"Estimate ({level_text(cal)}); {_methods(cal)}", reasons=joined_reasons(cal, keys, frame))


def slice_view(both: pd.DataFrame) -> View:
    """Slice-level AUC: one row per dataset, finding and model; the AUC, its interval resampling slices and
    resampling patients, slices and patients counted."""
    keys = ["dataset", "finding", "model"]
    level = level_text(both)
    rows = both[both["resampling"] == "slices"]
    patients = both[both["resampling"] == "patients"]
    ci = decimals(kind_of("auc"))

    def interval(part: pd.DataFrame, name: str) -> pd.DataFrame:
        cells = [MISSING if pd.isna(lo) and pd.isna(hi) else
                 f"{fmt_estimate(lo, None, None, digits=ci)} to {fmt_estimate(hi, None, None, digits=ci)}"
                 for lo, hi in zip(part["ci_low"], part["ci_high"], strict=True)]
        return part[keys].astype(object).assign(**{name: cells})

    frame = rows[keys].astype(object).assign(
        AUC=[estimate_cell(e, None, None, "auc") for e in rows["estimate"]])
    frame = frame.merge(interval(rows, f"{level}, slices resampled"), on=keys, how="left")
    frame = frame.merge(interval(patients, f"{level}, patients resampled"), on=keys, how="left")
    counts = patients[keys].astype(object).assign(**{"Slices / patients, n": [
        f"{fmt_int(n)} / {fmt_int(c)}" for n, c in zip(patients["n"], patients["n_clusters"], strict=True)]})
    frame = frame.merge(counts, on=keys, how="left")
    frame = frame.astype(object).where(frame.notna(), MISSING)
    return view(frame, caption=f"AUC ({level}); {_methods(both)}", reasons=joined_reasons(both, keys, frame))
