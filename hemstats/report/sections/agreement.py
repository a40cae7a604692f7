"""The tables of the Reader agreement chapter (book/agreement.md).

Each function takes the build's settings (a :class:`~hemstats.report.sections.Settings` or the
chapter's :class:`~hemstats.report.context.ReportContext`) and returns one result table, or
None when the cohort has nothing to show (the chapter then says why); :func:`pairs`,
:func:`all_readers` and :func:`heatmap_method` select what the chapter shows of the
agreement table.  A table that draws random numbers takes them from its own stream,
``settings.rng("agreement/<table>")``.

Examples
--------
>>> from hemstats.datasets import demo
>>> from hemstats.report.sections import Settings
>>> settings = Settings(demo.load(n_studies=60), n_resamples=200, seed=1)
>>> multi_reader_datasets(settings.cohort)
['demo']
>>> table = by_finding(settings)
>>> sorted(pairs(table)["metric"].unique())
['cohen_kappa', 'gwet_ac1', 'pabak']
>>> sorted(all_readers(table)["raters"].unique())
['R1|R2|R3']
>>> reader_vs_consensus(settings)[["rater", "reference"]].drop_duplicates().values.tolist()
[['R1', 'consensus'], ['R2', 'consensus'], ['R3', 'consensus']]
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

import hemstats.stats as st
from hemstats.report.chapter import Html, show_table
from hemstats.report.display import VALUE_COLUMNS, decimals, display_name, metric_kind
from hemstats.report.format import MISSING, fmt_estimate, fmt_int, html_text

if TYPE_CHECKING:

    from hemstats.cohort import Cohort
    from hemstats.report.sections import SectionInputs

__all__ = [
    "PAIRWISE",
    "RATER_SET",
    "HIDDEN",
    "shown",
    "multi_reader_datasets",
    "by_finding",
    "pairs",
    "all_readers",
    "heatmap_method",
    "reader_vs_consensus",
    "pairs_view",
    "all_readers_view",
    "reader_view",
    "EXTRA_KINDS",
    "NUMBER_TEXT",
    "View",
    "kind_of",
    "metric_header",
    "estimate_cell",
    "level_text",
    "wide_estimates",
    "footnotes",
    "view",
    "number_columns",
    "joined_reasons",
    "methods_by_metric",
]

#: Coefficients of a pair of readers, in the order the chapter shows them.
PAIRWISE: tuple[str, ...] = ("cohen_kappa", "pabak", "gwet_ac1")
#: Coefficients of all the readers of a dataset together.
RATER_SET: tuple[str, ...] = ("fleiss_kappa", "gwet_ac1", "krippendorff_alpha")
#: Columns the chapter's tables leave out (one value per table, said in the prose or the CSV).
HIDDEN: tuple[str, ...] = ("level", "subgroup", "subgroup_value", "confidence_level", "n_positive")
#: The note of a coefficient without an analytic interval (Krippendorff's alpha).
NO_ANALYTIC = "no analytic interval: use interval='bootstrap'"


def shown(table: pd.DataFrame, *, hide: Iterable[str] = HIDDEN) -> pd.DataFrame:
    """``table`` as the chapter shows it: without the ``hide`` columns and the columns that are all missing.

    Examples
    --------
    >>> import pandas as pd
    >>> shown(pd.DataFrame({"level": ["study"], "estimate": [0.7], "reason": [None]})).columns.tolist()
    ['estimate']
    """
    drop = [c for c in table.columns if c in set(hide) or table[c].isna().all()]
    return table.drop(columns=drop)


def multi_reader_datasets(cohort: Cohort) -> list[str]:
    """Datasets with study-level labels from at least two readers (raters other than the consensus)."""
    labels = cohort.tables()["labels"]
    reads = labels[(labels["level"] == "study") & (labels["rater"] != "consensus")]
    n_readers = reads.groupby("dataset", observed=True)["rater"].nunique()
    return [str(d) for d, k in n_readers.items() if k >= 2]


def _has_consensus(cohort: Cohort, datasets: list[str]) -> bool:
    labels = cohort.tables()["labels"]
    sel = (labels["level"] == "study") & labels["dataset"].isin(datasets) & (labels["rater"] == "consensus")
    return bool(sel.any())


def by_finding(settings: SectionInputs) -> pd.DataFrame | None:
    """Every agreement coefficient of every finding, analytic and bootstrap intervals, per dataset.

    The datasets with at least two readers only (None without any); slices and repeated
    studies are clustered by patient (the Cohort brings ``patient_id``); the bootstrap draws
    from the stream ``"agreement/by_finding"``.
    """
    multi = multi_reader_datasets(settings.cohort)
    if not multi:
        return None
    return st.agreement(settings.cohort.select(multi), interval=["analytic", "bootstrap"],
                        n_resamples=settings.n_resamples, confidence_level=settings.confidence_level,
                        rng=settings.rng("agreement/by_finding"))


def _n_raters(table: pd.DataFrame) -> pd.Series:
    return table["raters"].astype(str).str.count(r"\|") + 1


def pairs(table: pd.DataFrame) -> pd.DataFrame:
    """The pairwise rows of :func:`by_finding` with their analytic intervals (Cohen, PABAK, pairwise AC1).

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"metric": ["cohen_kappa", "cohen_kappa", "fleiss_kappa"], "raters": ["A|B", "A|B", "A|B|C"],
    ...                   "method": ["fleiss-cohen-everitt-1969", "bootstrap-percentile", "gwet-2014"]})
    >>> pairs(t)["method"].tolist()
    ['fleiss-cohen-everitt-1969']
    """
    keep = table["metric"].isin(PAIRWISE) & (_n_raters(table) == 2) & ~table["method"].str.contains("bootstrap")
    return table[keep].reset_index(drop=True)


def all_readers(table: pd.DataFrame) -> pd.DataFrame:
    """The rows of :func:`by_finding` on all the readers together (Fleiss, AC1, alpha), every interval."""
    keep = table["metric"].isin(RATER_SET) & (_n_raters(table) > 2)
    return table[keep].reset_index(drop=True)


def heatmap_method(table: pd.DataFrame, dataset: str) -> str:
    """The analytic ``method`` of Cohen's kappa of ``dataset`` (cluster-robust where units share a patient).

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"dataset": ["d", "d"], "metric": ["cohen_kappa"] * 2,
    ...                   "method": ["cluster-robust-linearised", "cluster-bootstrap-percentile"]})
    >>> heatmap_method(t, "d")
    'cluster-robust-linearised'
    """
    mine = table[(table["dataset"] == dataset) & (table["metric"] == "cohen_kappa")]
    if (mine["method"] == "cluster-robust-linearised").any():
        return "cluster-robust-linearised"
    return "fleiss-cohen-everitt-1969"


def reader_vs_consensus(settings: SectionInputs) -> pd.DataFrame | None:
    """Sensitivity, specificity and Cohen's kappa of each reader against the consensus label.

    None without a dataset of several readers that also has a consensus label.
    """
    multi = multi_reader_datasets(settings.cohort)
    if not multi or not _has_consensus(settings.cohort, multi):
        return None
    return st.reader_vs_reference(settings.cohort.select(multi), reference="consensus",
                                  confidence_level=settings.confidence_level)


# --------------------------------------------------------------------------------------------
# displayed tables: estimate (CI) in one cell, one row per finding / reader / model, notes once
# (shared by the Agreement, Performance and Acquisition chapters)
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


def _readers(raters: object) -> str:
    """``R1|R2`` as ``R1 vs R2``."""
    return " vs ".join(str(raters).split("|"))


def _studies(table: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """``Studies (patients), n`` of each ``keys`` group: the largest ``n`` and its ``n_clusters``."""
    first = table.sort_values("n", ascending=False, kind="stable").drop_duplicates(subset=keys)
    clustered = bool((first["n_clusters"].fillna(first["n"]) < first["n"]).any())
    if clustered:
        head = "Studies (patients), n"
        cells = [f"{fmt_int(n)} ({fmt_int(c)})" for n, c in zip(first["n"], first["n_clusters"], strict=True)]
    else:
        head, cells = "Studies, n", [fmt_int(n) for n in first["n"]]
    return first[keys].astype(object).assign(**{head: cells})


def _constant_studies(v: View) -> View:
    """The studies column moved into the caption when every row has the same count."""
    for col in ("Studies (patients), n", "Studies, n"):
        if col in v.frame.columns and v.frame[col].nunique() == 1 and len(v.frame) > 1:
            count = str(v.frame[col].iloc[0])
            text = count.replace(" (", " studies (").replace(")", " patients)") if "(" in count else f"{count} studies"
            return View(v.frame.drop(columns=col), f"{v.caption}; {text}", v.notes, v.general,
                        tuple(c for c in v.numbers if c != col))
    return v


def pairs_view(table: pd.DataFrame) -> View:
    """The pairs of readers as the chapter shows them: one row per dataset, finding and pair, Cohen's
    kappa, PABAK and Gwet's AC1 each with its analytic interval.

    Examples
    --------
    >>> from hemstats.datasets import demo
    >>> from hemstats.report.sections import Settings
    >>> v = pairs_view(by_finding(Settings(demo.load(n_studies=60), n_resamples=20, seed=1)))
    >>> v.frame.columns.tolist()
    ['Finding', 'Readers', "Cohen's kappa", 'PABAK', "Gwet's AC1"]
    >>> v.caption.split("; ")[-1]
    '60 studies (55 patients)'
    >>> v.frame["Readers"].iloc[0]
    'R1 vs R2'
    """
    rows = pairs(table)
    keys = ["dataset", "finding", "raters"]
    frame = wide_estimates(rows, keys, list(PAIRWISE)).merge(_studies(rows, keys), on=keys, how="left")
    frame["raters"] = [_readers(r) for r in frame["raters"]]
    return _constant_studies(view(
        frame, caption=f"Estimate ({level_text(rows)}), analytic intervals ({methods_by_metric(rows)})",
        reasons=joined_reasons(rows, keys, frame)))


def all_readers_view(table: pd.DataFrame) -> View:
    """All readers together as the chapter shows them: one row per dataset, finding and coefficient; the
    estimate, its analytic and its bootstrap interval."""
    rows = all_readers(table)
    order = {m: i for i, m in enumerate(RATER_SET)}
    findings = {f: i for i, f in enumerate(pd.unique(rows["finding"].astype(str)))}
    rows = rows.assign(_f=rows["finding"].astype(str).map(findings), _m=rows["metric"].astype(str).map(order))
    rows = rows.sort_values(["dataset", "_f", "_m"], kind="stable").drop(columns=["_f", "_m"])
    rows = rows.assign(reason=rows["reason"].replace(NO_ANALYTIC, "no analytic interval (the bootstrap interval is beside it)"))
    keys = ["dataset", "finding", "metric"]
    level = level_text(rows)
    boot = rows["method"].astype(str).str.contains("bootstrap")

    def interval(part: pd.DataFrame, name: str) -> pd.DataFrame:
        cells = [estimate_cell(lo, None, None, m) + " to " + estimate_cell(hi, None, None, m)
                 if pd.notna(lo) and pd.notna(hi) else MISSING
                 for lo, hi, m in zip(part["ci_low"], part["ci_high"], part["metric"], strict=True)]
        return part[keys].astype(object).assign(**{name: cells})

    first = rows.drop_duplicates(subset=keys)
    frame = first[keys].astype(object).assign(
        Estimate=[estimate_cell(e, None, None, m) for e, m in zip(first["estimate"], first["metric"], strict=True)])
    frame = frame.merge(interval(rows[~boot], f"{level}, analytic"), on=keys, how="left")
    frame = frame.merge(interval(rows[boot], f"{level}, bootstrap"), on=keys, how="left")
    frame = frame.merge(_studies(rows, keys), on=keys, how="left")
    frame = frame.astype(object).where(frame.notna(), MISSING)
    methods = ", ".join(m for m in pd.unique(rows["method"].astype(str)) if m != "none")
    return _constant_studies(view(frame, caption=f"All readers together ({methods})",
                                  reasons=joined_reasons(rows, keys, frame)))


def reader_view(vs: pd.DataFrame) -> View:
    """Each reader against the consensus as the chapter shows it: one row per dataset, finding and reader,
    sensitivity, specificity and Cohen's kappa each with its interval.

    Findings without a single reference-positive or reference-negative study in a dataset have no row;
    the caption says how many were left out and which.

    Examples
    --------
    >>> from hemstats.datasets import demo
    >>> from hemstats.report.sections import Settings
    >>> v = reader_view(reader_vs_consensus(Settings(demo.load(n_studies=60))))
    >>> v.frame.columns.tolist()[:6]
    ['Finding', 'Reader', 'Sensitivity, %', 'Specificity, %', "Cohen's kappa", 'Positive / negative, n']
    """
    keys = ["dataset", "finding", "rater"]
    has = vs.groupby(["dataset", "finding"], observed=True, sort=False)["n"].transform(lambda n: (n.fillna(0) > 0).any())
    kept = vs[has.astype(bool)]
    empty = vs[~has.astype(bool)].drop_duplicates(subset=["dataset", "finding"])
    frame = wide_estimates(kept, keys, ["sensitivity", "specificity", "cohen_kappa"])
    counts = {}
    for key, part in kept.groupby(keys, observed=True, sort=False):
        n = dict(zip(part["metric"].astype(str), part["n"], strict=True))
        counts[tuple(str(k) for k in key)] = f"{fmt_int(n.get('sensitivity'))} / {fmt_int(n.get('specificity'))}"
    frame["Positive / negative, n"] = [counts.get(tuple(str(v) for v in row), MISSING)
                                       for row in frame[keys].itertuples(index=False)]
    caption = f"Estimate ({level_text(vs)}) against the consensus ({methods_by_metric(kept)})"
    if len(empty):
        several = vs["dataset"].nunique() > 1
        names = ", ".join((f"{d} " if several else "") + display_name(f)
                          for d, f in zip(empty["dataset"].astype(str), empty["finding"].astype(str), strict=True))
        caption += f"; {len(empty)} finding(s) with no consensus-positive or -negative study left out: {names}"
    return view(frame, caption=caption, reasons=joined_reasons(kept, keys, frame))
