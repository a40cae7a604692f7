"""The Overview's key results: per dataset, the headline numbers of the chapters, and what to distrust.

The numbers are computed by the chapters' own section functions with the chapters' own
random streams (:func:`hemstats.report.sections.prevalence.by_dataset`,
:func:`~hemstats.report.sections.agreement.by_finding`,
:func:`~hemstats.report.sections.performance.auc_table` and the association rows of
:func:`~hemstats.report.sections.acquisition.effects`), so each equals the number its chapter
shows.  :func:`key_results` keeps them as numbers (the CSV); :func:`key_results_html` shows
one row per dataset, each cell linking to its chapter; :func:`result_warnings` lists the rows
of those tables that carry a ``reason`` (undefined or approximate intervals, few clusters),
in the layout of :func:`hemstats.report.pages.data_warnings`.

Examples
--------
>>> from hemstats.datasets import demo
>>> from hemstats.report.sections import Settings
>>> settings = Settings(demo.load(n_studies=60, seed=1), n_resamples=50, seed=1)
>>> tables = chapter_tables(settings)
>>> results = key_results(settings, tables)
>>> results.query("result == 'prevalence'")[["dataset", "metric", "n"]].values.tolist()
[['demo', 'prevalence', 60]]
>>> sorted(results.loc[results["result"] == "auc", "detail"])
['model_a', 'model_b']
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from hemstats.report.display import display_name
from hemstats.report.format import fmt_estimate, fmt_int, fmt_p, html_text
from hemstats.report.sections import SectionInputs
from hemstats.report.sections import acquisition as acquisition_tables
from hemstats.report.sections import agreement as agreement_tables
from hemstats.report.sections import performance as performance_tables
from hemstats.report.sections import prevalence as prevalence_tables
from hemstats.stats.acquisition.effects import acquisition_effects

__all__ = [
    "KEY_FINDING",
    "LINKS",
    "RESULT_COLUMNS",
    "ChapterTables",
    "chapter_tables",
    "key_results",
    "key_results_html",
    "result_warnings",
    "link",
]

#: The finding the key results report (any intracranial hemorrhage).
KEY_FINDING = "any"
#: Where each key result is shown in full: result -> (chapter page, section anchor).
LINKS: dict[str, tuple[str, str]] = {
    "studies": ("cohort", ""),
    "prevalence": ("prevalence", "prevalence-by-dataset"),
    "agreement": ("agreement", "agreement-per-finding"),
    "auc": ("performance", "discrimination"),
    "acquisition": ("acquisition", "do-the-labels-depend-on-acquisition"),
}
#: Columns of :func:`key_results`.
RESULT_COLUMNS: tuple[str, ...] = (
    "dataset", "result", "finding", "metric", "detail", "estimate", "ci_low", "ci_high", "n", "n_positive",
    "n_clusters", "p_adjusted", "method", "note",
)  # fmt: skip
#: Agreement coefficients shown, all readers together first, then a pair of readers.
AGREEMENT_METRICS: tuple[tuple[str, ...], ...] = (("fleiss_kappa", "gwet_ac1"), ("cohen_kappa", "gwet_ac1"))
#: Reasons that only say which interval a row lacks by design (not a warning).
_NOT_WARNINGS: tuple[str, ...] = ("no analytic interval",)
_MAX_REASONS = 3


@dataclass(frozen=True)
class ChapterTables:
    """The chapters' tables the key results are read from (None or empty where a chapter has no data)."""

    prevalence: pd.DataFrame | None
    agreement: pd.DataFrame | None
    auc: pd.DataFrame
    associations: pd.DataFrame | None


def chapter_tables(ctx: SectionInputs) -> ChapterTables:
    """The chapters' tables, computed by their section functions with their streams.

    The acquisition associations are those of :func:`hemstats.report.sections.acquisition.effects`
    (the same findings and Holm families) without the GEE, which they do not depend on.
    """
    auc = performance_tables.auc_table(ctx) if performance_tables.has_predictions(ctx, "study") else pd.DataFrame(
        columns=list(RESULT_COLUMNS))
    associations = None
    acq = acquisition_tables.acquisition_cohort(ctx)
    if acq is not None and acquisition_tables.read_findings(acq):
        effects = acquisition_effects(acq, findings=acquisition_tables.read_findings(acq), model=False,
                                      confidence_level=ctx.confidence_level)
        associations = acquisition_tables.associations(effects)
    return ChapterTables(prevalence=prevalence_tables.by_dataset(ctx), agreement=agreement_tables.by_finding(ctx),
                         auc=auc, associations=associations)


def _rows_of(table: pd.DataFrame | None, dataset: str) -> pd.DataFrame:
    if table is None or table.empty:
        return pd.DataFrame()
    return table[table["dataset"].astype(str) == dataset]


def _finding(rows: pd.DataFrame) -> str | None:
    """:data:`KEY_FINDING` when ``rows`` hold it, else their first finding (None without rows)."""
    if rows.empty:
        return None
    findings = list(pd.unique(rows["finding"].astype(str)))
    return KEY_FINDING if KEY_FINDING in findings else findings[0]


def _row(dataset: str, result: str, source: pd.Series | None = None, **values: object) -> dict[str, object]:
    out: dict[str, object] = dict.fromkeys(RESULT_COLUMNS, np.nan)
    out.update({"dataset": dataset, "result": result})
    if source is not None:
        for column in RESULT_COLUMNS:
            if column in source.index and column not in ("dataset", "result"):
                out[column] = source[column]
    out.update(values)
    return out


def key_results(ctx: SectionInputs, tables: ChapterTables | None = None) -> pd.DataFrame:
    """Per dataset: studies and patients, prevalence of any ICH, reader agreement, model AUCs, largest acquisition effect.

    Parameters
    ----------
    ctx : SectionInputs
        The build's settings.
    tables : ChapterTables, optional
        The chapters' tables (default :func:`chapter_tables` ``(ctx)``).

    Returns
    -------
    pandas.DataFrame
        :data:`RESULT_COLUMNS`, numbers unformatted; ``result`` is ``studies``, ``patients``,
        ``prevalence``, ``agreement`` (one row per coefficient), ``auc`` (one row per model,
        ``detail`` the model) or ``acquisition`` (``detail`` the acquisition variable with
        the largest Cramer's V).  A result a dataset cannot have is one row with a missing
        estimate and ``note`` saying why.
    """
    t = tables if tables is not None else chapter_tables(ctx)
    studies = ctx.cohort.studies
    rows: list[dict[str, object]] = []
    for d in ctx.cohort.datasets:
        mine = studies[studies["dataset"] == d]
        rows.append(_row(d, "studies", estimate=float(len(mine)), n=len(mine)))
        rows.append(_row(d, "patients", estimate=float(mine["patient_id"].nunique()), n=len(mine)))

        prev = _rows_of(t.prevalence, d)
        prev = prev[prev["finding"].astype(str) == KEY_FINDING] if not prev.empty else prev
        if prev.empty:
            rows.append(_row(d, "prevalence", finding=KEY_FINDING,
                             note="no study-level consensus label of any hemorrhage"))
        else:
            rows.append(_row(d, "prevalence", prev.iloc[0]))

        agr = _rows_of(t.agreement, d)
        finding = _finding(agr)
        if finding is None:
            rows.append(_row(d, "agreement", note="fewer than two readers: no reader agreement"))
        else:
            agr = agr[(agr["finding"].astype(str) == finding) & ~agr["method"].astype(str).str.contains("bootstrap")]
            n_raters = agr["raters"].astype(str).str.count(r"\|") + 1
            for metrics, several in zip(AGREEMENT_METRICS, (True, False), strict=True):
                chosen = agr[agr["metric"].isin(metrics) & ((n_raters > 2) if several else (n_raters == 2))]
                if not chosen.empty:
                    break
            if chosen.empty:
                rows.append(_row(d, "agreement", finding=finding, note="no agreement coefficient estimated"))
            for metric in metrics:
                for _, r in chosen[chosen["metric"] == metric].head(1).iterrows():
                    rows.append(_row(d, "agreement", r, detail=str(r["raters"]).replace("|", ", "),
                                     note=r["reason"] if isinstance(r["reason"], str) else np.nan))

        auc = _rows_of(t.auc, d)
        finding = _finding(auc)
        if finding is None:
            rows.append(_row(d, "auc", note="no model scores at the study level"))
        else:
            for _, r in auc[auc["finding"].astype(str) == finding].iterrows():
                rows.append(_row(d, "auc", r, detail=str(r["model"]),
                                 note=r["reason"] if isinstance(r["reason"], str) else np.nan))

        assoc = _rows_of(t.associations, d)
        finding = _finding(assoc)
        if finding is None:
            note = ("no scanner, kernel or slice-thickness data" if t.associations is None
                    or d not in set(t.associations["dataset"].astype(str)) else "no acquisition effect estimated")
            rows.append(_row(d, "acquisition", note=note))
        else:
            candidates = assoc[(assoc["finding"].astype(str) == finding) & assoc["estimate"].notna()]
            if candidates.empty:
                rows.append(_row(d, "acquisition", finding=finding, note="no acquisition effect estimated"))
            else:
                best = candidates.loc[candidates["estimate"].astype(float).idxmax()]
                rows.append(_row(d, "acquisition", best, metric="cramers-v", detail=str(best["variable"]),
                                 note=np.nan))
    out = pd.DataFrame(rows, columns=list(RESULT_COLUMNS))
    for column in ("estimate", "ci_low", "ci_high", "p_adjusted"):
        out[column] = pd.to_numeric(out[column], errors="coerce").astype("float64")
    for column in ("n", "n_positive", "n_clusters"):
        out[column] = pd.to_numeric(out[column], errors="coerce").astype("Int64")
    return out


def link(result: str) -> str:
    """The relative link to the section of the chapter that shows ``result`` in full.

    Examples
    --------
    >>> link("prevalence"), link("studies")
    ('prevalence.html#prevalence-by-dataset', 'cohort.html')
    """
    page, anchor = LINKS[result]
    return f"{page}.html" + (f"#{anchor}" if anchor else "")


def _a(result: str, text: str) -> str:
    """``text`` (already escaped) linked to the chapter of ``result``."""
    return f'<a href="{html_text(link(result))}">{text}</a>'


def _missing_cell(row: pd.Series, prefix: str = "") -> str:
    note = row["note"] if isinstance(row["note"], str) and row["note"].strip() else "not estimated"
    return f'<span class="hemstats-missing">{html_text(prefix + note)}</span>'


def _cell(result: str, rows: pd.DataFrame) -> str:
    if rows.empty:
        return ""
    parts = []
    for _, r in rows.iterrows():
        if pd.isna(r["estimate"]):
            label = r["metric"] if result == "agreement" else r["detail"]
            prefix = f"{display_name(str(label))}: " if isinstance(label, str) else ""
            parts.append(_a(result, _missing_cell(r, prefix)))
            continue
        if result == "prevalence":
            text = (f"{fmt_estimate(r['estimate'], r['ci_low'], r['ci_high'], digits=1, percent=True)}; "
                    f"{fmt_int(r['n_positive'])} of {fmt_int(r['n'])} studies")
        elif result == "agreement":
            text = f"{display_name(str(r['metric']))} {fmt_estimate(r['estimate'], r['ci_low'], r['ci_high'])}"
        elif result == "auc":
            text = f"{display_name(str(r['detail']))}: {fmt_estimate(r['estimate'], r['ci_low'], r['ci_high'], digits=3)}"
        else:
            text = (f"{display_name(str(r['detail']))}: Cramer's V {fmt_estimate(r['estimate'], r['ci_low'], r['ci_high'])}"
                    f"; p (Holm) {fmt_p(r['p_adjusted'])}")
        parts.append(_a(result, html_text(text)))
    finding = rows["finding"].dropna().astype(str)
    if result in ("agreement", "auc", "acquisition") and len(finding) and finding.iloc[0] != KEY_FINDING:
        parts.append(f"<small>({html_text(display_name(finding.iloc[0]))})</small>")
    return "<br>".join(parts)


def key_results_html(results: pd.DataFrame, confidence_level: float = 0.95) -> str:
    """The key-results table: one row per result, one column per dataset, each cell linking to its chapter.

    Every text is escaped.  A result a dataset cannot have says why (e.g. "fewer than two
    readers"), never an empty cell.

    Examples
    --------
    >>> r = pd.DataFrame([{"dataset": "a<b", "result": "studies", "estimate": 10.0, "n": 10},
    ...                   {"dataset": "a<b", "result": "patients", "estimate": 9.0, "n": 10},
    ...                   {"dataset": "a<b", "result": "auc", "note": "no model scores"}], columns=RESULT_COLUMNS)
    >>> html = key_results_html(r)
    >>> "a&lt;b" in html and "no model scores" in html and 'href="performance.html#discrimination"' in html
    True
    """
    level = f"{fmt_int(100 * confidence_level)}% CI"
    names = {"studies": "Studies (patients)", "prevalence": f"Prevalence of any ICH ({level})",
             "agreement": f"Reader agreement on any ICH ({level})", "auc": f"Model AUC for any ICH ({level})",
             "acquisition": "Largest acquisition effect on any ICH labels"}
    datasets = list(pd.unique(results["dataset"].astype(str)))
    cells: dict[str, list[str]] = {r: [] for r in names}
    for d in datasets:
        mine = results[results["dataset"].astype(str) == d]
        studies, patients = mine[mine["result"] == "studies"], mine[mine["result"] == "patients"]
        count = ""
        if not studies.empty:
            count = fmt_int(studies["estimate"].iloc[0])
            if not patients.empty:
                count += f" ({fmt_int(patients['estimate'].iloc[0])})"
        cells["studies"].append(_a("studies", html_text(count)) if count else "")
        for result in ("prevalence", "agreement", "auc", "acquisition"):
            cells[result].append(_cell(result, mine[mine["result"] == result]))
    head = "<th>Result</th>" + "".join(f"<th>{html_text(d)}</th>" for d in datasets)
    body = "".join(
        f"<tr><th>{html_text(name)}</th>" + "".join(f"<td>{c}</td>" for c in cells[result]) + "</tr>"
        for result, name in names.items())
    return ('<div class="hemstats-table hemstats-key-results"><table class="table">'
            "<caption>Key results per dataset; each cell links to the chapter that shows it in full</caption>"
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>")


def _reasons(table: pd.DataFrame | None, result: str, what: str) -> list[dict[str, object]]:
    """One warning per dataset of ``table`` whose rows carry a ``reason`` or a zero-width interval."""
    if table is None or table.empty:
        return []
    rows = []
    chapter, anchor = LINKS[result]
    for d, part in table.groupby(table["dataset"].astype(str), sort=False):
        reason = part["reason"].where(part["reason"].map(lambda x: isinstance(x, str) and bool(x.strip())))
        keep = reason.notna() & ~reason.fillna("").str.startswith(_NOT_WARNINGS)
        low, high = pd.to_numeric(part["ci_low"], errors="coerce"), pd.to_numeric(part["ci_high"], errors="coerce")
        flat = (np.isclose(low, high, rtol=0, atol=1e-12) & low.notna()).to_numpy(bool)
        reason = reason.where(keep, pd.Series(["zero-width interval" if f else None for f in flat], index=part.index, dtype=object))
        flagged = reason.dropna()
        if flagged.empty:
            continue
        notes = flagged.map(lambda s: [" ".join(p.split()) for p in str(s).split("; ") if p.strip()]).explode()
        counts = notes.value_counts()
        shown = "; ".join(f"{text} ({fmt_int(k)} row{'s' * (k != 1)})" for text, k in counts.iloc[:_MAX_REASONS].items())
        more = len(counts) - _MAX_REASONS
        message = (f"{fmt_int(len(flagged))} of {fmt_int(len(part))} {what} rows carry a note on how to read "
                   f"them: {shown}" + (f"; and {fmt_int(more)} other notes" if more > 0 else "") + ".")
        rows.append({"dataset": d, "kind": "interval_note", "finding": pd.NA, "n": len(flagged),
                     "n_studies": pd.NA, "share": float("nan"), "message": message, "chapter": chapter,
                     "anchor": anchor})
    return rows


def result_warnings(tables: ChapterTables) -> pd.DataFrame:
    """The rows of the chapters' tables that carry a ``reason`` (undefined or approximate intervals, few
    clusters, left-out strata) or a zero-width interval, counted per dataset and chapter.

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`hemstats.report.pages.data_warnings` and ``anchor``; ``kind`` is
        ``interval_note``; ``message`` names the most frequent notes with their counts.
    """
    rows = (_reasons(tables.prevalence, "prevalence", "prevalence")
            + _reasons(tables.agreement, "agreement", "agreement")
            + _reasons(tables.auc, "auc", "AUC")
            + _reasons(tables.associations, "acquisition", "acquisition association"))
    columns = ["dataset", "kind", "finding", "n", "n_studies", "share", "message", "chapter", "anchor"]
    return pd.DataFrame(rows, columns=columns)
