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

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from hemstats.report.chapter import Html, show_table
from hemstats.report.display import VALUE_COLUMNS, decimals, display_name, metric_kind
from hemstats.report.format import MISSING, fmt_estimate, fmt_int, fmt_p, html_text
from hemstats.report.sections import SectionInputs
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
    "EXTRA_KINDS",
    "OPERATING_METRICS",
    "SUMMARY_METRICS",
    "View",
    "kind_of",
    "metric_header",
    "estimate_cell",
    "level_text",
    "wide_estimates",
    "footnotes",
    "joined_reasons",
    "methods_by_metric",
    "view",
    "number_columns",
    "NUMBER_TEXT",
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
# displayed tables: estimate (CI) in one cell, one row per finding / model, notes once
# --------------------------------------------------------------------------------------------
#: A cell of numbers as text (``0.90 (0.85 to 0.95)``, ``12 / 300``, ``<0.001``, ``—``).
NUMBER_TEXT = re.compile(r"^(—|[-<]?\d)")
#: Kind of number (a key of :data:`hemstats.report.display.DECIMALS`) of metrics the display
#: module does not classify; its own :data:`~hemstats.report.display.METRIC_KINDS` wins.
EXTRA_KINDS: dict[str, str] = {
    "f1": "percent", "accuracy": "percent", "balanced_accuracy": "percent", "odds-ratio": "ratio",
    "cramers-v": "estimate", "gwet_ac1": "estimate", "fraction_positive": "percent",
}  # fmt: skip


def kind_of(metric: object) -> str:
    """The kind of number of ``metric``'s estimate: :func:`hemstats.report.display.metric_kind`, else
    :data:`EXTRA_KINDS`, else ``number``.

    Examples
    --------
    >>> kind_of("sensitivity"), kind_of("f1"), kind_of("mystery")
    ('percent', 'percent', 'number')
    """
    return metric_kind(metric) or EXTRA_KINDS.get(str(metric), "number")


def metric_header(metric: object) -> str:
    """A metric's column header: its display name, ``, %`` for proportions shown as percentages.

    Examples
    --------
    >>> metric_header("sensitivity"), metric_header("auc")
    ('Sensitivity, %', 'AUC')
    """
    return display_name(metric) + (", %" if kind_of(metric) == "percent" else "")


def estimate_cell(estimate: Any, low: Any, high: Any, metric: object) -> str:
    """``estimate (low to high)`` with the decimals of ``metric``'s kind; proportions as percentages (no sign).

    Examples
    --------
    >>> estimate_cell(0.948276, 0.896552, 0.982759, "sensitivity")
    '94.8 (89.7 to 98.3)'
    >>> estimate_cell(0.9, float("nan"), float("nan"), "auc"), estimate_cell(None, None, None, "auc")
    ('0.900', '—')
    """
    kind = kind_of(metric)
    scale = 100.0 if kind == "percent" else 1.0
    if estimate is None or estimate is pd.NA or pd.isna(estimate):
        return MISSING

    def scaled(v: Any) -> Any:
        return v if v is None or v is pd.NA or pd.isna(v) else scale * float(v)

    return fmt_estimate(scaled(estimate), scaled(low), scaled(high), digits=decimals(kind))


def level_text(table: pd.DataFrame) -> str:
    """``95% CI`` from the table's ``confidence_level`` (``CI`` when it has none or several).

    Examples
    --------
    >>> level_text(pd.DataFrame({"confidence_level": [0.95, 0.95]}))
    '95% CI'
    """
    levels = pd.unique(table["confidence_level"].dropna()) if "confidence_level" in table else []
    return f"{100 * float(levels[0]):g}% CI" if len(levels) == 1 else "CI"


def wide_estimates(table: pd.DataFrame, index: list[str], metrics: list[str] | None = None) -> pd.DataFrame:
    """One row per ``index`` group, one ``estimate (CI)`` text column per ``metric`` (headers by :func:`metric_header`).

    Rows keep the order of their first appearance; a metric a group lacks shows as missing.

    Examples
    --------
    >>> t = pd.DataFrame({"finding": ["any", "any"], "metric": ["auc", "sensitivity"],
    ...                   "estimate": [0.9, 0.8], "ci_low": [0.85, 0.7], "ci_high": [0.95, 0.88]})
    >>> wide_estimates(t, ["finding"]).to_dict("records")
    [{'finding': 'any', 'AUC': '0.900 (0.850 to 0.950)', 'Sensitivity, %': '80.0 (70.0 to 88.0)'}]
    """
    metrics = list(pd.unique(table["metric"].astype(str))) if metrics is None else metrics
    cells = table.assign(_cell=[estimate_cell(e, lo, hi, m) for e, lo, hi, m in zip(
        table["estimate"], table["ci_low"], table["ci_high"], table["metric"], strict=True)])
    keys = cells[index].astype(object).drop_duplicates()
    out = keys.reset_index(drop=True)
    for metric in metrics:
        part = cells[cells["metric"].astype(str) == metric][[*index, "_cell"]].astype(object)
        part = part.drop_duplicates(subset=index).rename(columns={"_cell": metric_header(metric)})
        out = out.merge(part, on=index, how="left")
        head = metric_header(metric)
        out[head] = [v if isinstance(v, str) else MISSING for v in out[head]]
    return out


def _parts(reason: Any) -> list[str]:
    if not isinstance(reason, str):
        return []
    return list(dict.fromkeys(p.strip() for p in reason.split("; ") if p.strip()))


def footnotes(reasons: Iterable[Any]) -> tuple[list[str], list[str], list[str]]:
    """Each row's note marks (``1, 3``), the numbered notes and the notes every row shares (said once, unmarked).

    A reason holding several notes separated by ``; `` gets one mark per note.

    Examples
    --------
    >>> footnotes(["a; b", None, "b"])
    (['1, 2', '', '2'], ['a', 'b'], [])
    >>> footnotes(["x; a", "x"])
    (['1', ''], ['a'], ['x'])
    """
    rows = [_parts(r) for r in reasons]
    common = [p for p in rows[0] if all(p in r for r in rows[1:])] if rows and len(rows) > 1 else []
    notes: list[str] = []
    marks = []
    for parts in rows:
        keys = []
        for part in parts:
            if part in common:
                continue
            if part not in notes:
                notes.append(part)
            keys.append(str(notes.index(part) + 1))
        marks.append(", ".join(keys))
    return marks, notes, common


@dataclass(frozen=True)
class View:
    """A result table as a chapter shows it: the displayed frame, its caption, its numbered notes.

    ``frame`` holds display text (and counts as integers) under display headers; the
    full-precision table is the CSV saved beside it.  :meth:`html` renders it.
    """

    frame: pd.DataFrame
    caption: str = ""
    notes: tuple[str, ...] = ()
    general: tuple[str, ...] = ()
    numbers: tuple[str, ...] = ()

    def html(self, *, csv: str | None = None) -> Html:
        """The table (through :func:`hemstats.report.chapter.show_table`), its notes under it: those of
        every row first, then the numbered ones the ``Notes`` column refers to."""
        table = show_table(self.frame, caption=self.caption or None, csv=csv, numbers=self.numbers)
        if not self.notes and not self.general:
            return table
        html, text = table.html, table.text
        if self.general:
            html += "".join(f'<p class="hemstats-notes">All rows: {html_text(n)}.</p>' for n in self.general)
            text += "".join(f"\nAll rows: {n}." for n in self.general)
        if self.notes:
            html += '<ol class="hemstats-notes">' + "".join(f"<li>{html_text(n)}</li>" for n in self.notes) + "</ol>"
            text += "\nNotes:\n" + "\n".join(f"{i}. {n}" for i, n in enumerate(self.notes, 1))
        return Html(html, text)


def view(frame: pd.DataFrame, *, caption: str = "", reasons: Iterable[Any] | None = None,
         dataset_column: str = "dataset") -> View:
    """A :class:`View` of a display ``frame``: codes shown by display name, the dataset column only with
    several datasets (else named in the caption), ``reasons`` as a notes column and numbered notes.

    Examples
    --------
    >>> v = view(pd.DataFrame({"dataset": ["d", "d"], "finding": ["edh", "any"]}), caption="AUC",
    ...          reasons=["few positives", None])
    >>> v.frame.to_dict("records"), v.caption, v.notes
    ([{'Finding': 'Epidural (EDH)', 'Notes': '1'}, {'Finding': 'Any ICH', 'Notes': ''}], 'd: AUC', ('few positives',))
    """
    out = frame.copy()
    if dataset_column in out.columns and out[dataset_column].nunique(dropna=False) == 1 and len(out):
        name = str(out[dataset_column].iloc[0])
        caption = f"{name}: {caption}" if caption else name
        out = out.drop(columns=dataset_column)
    for col in VALUE_COLUMNS & set(out.columns):
        out[col] = [MISSING if v is None or v is pd.NA or (isinstance(v, float) and pd.isna(v)) else display_name(v)
                    for v in out[col]]
    notes: list[str] = []
    general: list[str] = []
    if reasons is not None:
        marks, notes, general = footnotes(reasons)
        if any(marks):
            out["Notes"] = marks
    out = out.rename(columns={c: display_name(c) for c in out.columns})
    return View(out.reset_index(drop=True), caption, tuple(notes), tuple(general), number_columns(out))


def number_columns(frame: pd.DataFrame) -> tuple[str, ...]:
    """The text columns of ``frame`` whose every cell is a number as text (right-aligned in the page).

    Examples
    --------
    >>> number_columns(pd.DataFrame({"Finding": ["Any ICH"], "AUC": ["0.90 (0.85 to 0.95)"], "p": ["<0.001"]}))
    ('AUC', 'p')
    """
    return tuple(str(c) for c in frame.columns
                 if len(frame) and frame[c].map(lambda v: bool(NUMBER_TEXT.match(str(v)))).all())


def _counts(table: pd.DataFrame, index: list[str]) -> pd.DataFrame:
    """``Positive / studies``: the first row's ``n_positive`` and ``n`` of each ``index`` group."""
    first = table.drop_duplicates(subset=index)
    cell = [f"{fmt_int(p)} / {fmt_int(n)}" for p, n in zip(first["n_positive"], first["n"], strict=True)]
    return first[index].astype(object).assign(**{"Positive / studies, n": cell})


def joined_reasons(table: pd.DataFrame, keys: list[str], frame: pd.DataFrame) -> list[str] | None:
    """The distinct ``reason`` notes of each ``keys`` group of ``table``, in the row order of ``frame``."""
    if "reason" not in table or not table["reason"].notna().any():
        return None
    joined = {}
    for key, part in table.groupby(keys, observed=True, sort=False)["reason"]:
        notes = [n for r in part.dropna() for n in str(r).split("; ") if n]
        joined[tuple(str(k) for k in key)] = "; ".join(dict.fromkeys(notes))
    return [joined.get(tuple(str(v) for v in row), "") for row in frame[keys].itertuples(index=False)]


def methods_by_metric(table: pd.DataFrame) -> str:
    """``Metric: method, method; ...`` of a result table, for a caption (``none`` left out).

    Examples
    --------
    >>> methods_by_metric(pd.DataFrame({"metric": ["auc", "ppv"], "method": ["delong", "wilson"]}))
    'AUC: delong; PPV: wilson'
    """
    parts = []
    for metric in pd.unique(table["metric"].astype(str)):
        methods = [str(m) for m in pd.unique(table.loc[table["metric"].astype(str) == metric, "method"].dropna())
                   if str(m) != "none"]
        if methods:
            parts.append(f"{display_name(metric)}: {', '.join(methods)}")
    return "; ".join(parts)


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
