"""The Overview chapter's tables: key results and warnings first, then the datasets, rows and findings.

Each function takes the build's context (or a :class:`~hemstats.report.sections.Settings`)
and returns what one cell of ``book/overview.md`` shows; the computations on the cohort
live in :mod:`hemstats.report.pages`, the key results in
:mod:`hemstats.report.sections.key_results`.

Examples
--------
>>> from hemstats.datasets import demo
>>> from hemstats.report.sections import Settings
>>> settings = Settings(demo.load(n_studies=40, seed=1))
>>> datasets(settings)[["dataset", "synthetic", "studies"]].to_dict("records")
[{'dataset': 'demo', 'synthetic': True, 'studies': 40}]
>>> counts(settings).query("table == 'studies'")[["dataset", "rows"]].to_dict("records")
[{'dataset': 'demo', 'rows': 40}]
"""

from __future__ import annotations

import pandas as pd

from hemstats.report import pages
from hemstats.report.format import fmt_int, html_text
from hemstats.report.sections import SectionInputs
from hemstats.report.sections.key_results import ChapterTables, chapter_tables, key_results, result_warnings

__all__ = ["summary_html", "chapter_tables", "key_results", "key_results_html", "data_warnings",
           "data_warnings_html", "interval_notes", "interval_notes_html", "datasets", "datasets_html", "counts", "counts_shown", "findings"]


def summary_html(ctx: SectionInputs) -> str:
    """The opening paragraph: studies, patients, datasets and the interval settings, escaped.

    Examples
    --------
    >>> from hemstats.datasets import demo
    >>> from hemstats.report.sections import Settings
    >>> print(summary_html(Settings(demo.load(n_studies=40, seed=1), confidence_level=0.9, seed=7)))
    ... # doctest: +NORMALIZE_WHITESPACE
    <p>The cohort holds <strong>40 studies</strong> of <strong>37 patients</strong> from 1 dataset
    (<code>demo</code>). Intervals are 90% confidence intervals; resampling uses 2,000 resamples and seed 7.</p>
    """
    cohort = ctx.cohort
    n_studies = len(cohort.studies)
    n_patients = cohort.studies["patient_id"].nunique()
    names = ", ".join(f"<code>{html_text(d)}</code>" for d in cohort.datasets)
    n = len(cohort.datasets)
    return (
        f"<p>The cohort holds <strong>{fmt_int(n_studies)} studies</strong> of <strong>{fmt_int(n_patients)} "
        f"patients</strong> from {n} dataset{'s' * (n != 1)} ({names}). "
        f"Intervals are {fmt_int(100 * ctx.confidence_level)}% confidence intervals; "
        f"resampling uses {fmt_int(ctx.n_resamples)} resamples and seed {ctx.seed}.</p>"
    )


def key_results_html(ctx: SectionInputs, results: pd.DataFrame) -> str:
    """The key-results table of :func:`key_results` at the build's confidence level (every text escaped)."""
    from hemstats.report.sections.key_results import key_results_html as html

    return html(results, ctx.confidence_level)


def data_warnings(ctx: SectionInputs) -> pd.DataFrame:
    """Missing, derived or one-class labels and telling loader notes (:func:`hemstats.report.pages.data_warnings`)."""
    return pages.data_warnings(ctx.cohort)


def data_warnings_html(warnings: pd.DataFrame) -> str:
    """The warnings box of :func:`data_warnings` ('' when there is none)."""
    return pages.data_warnings_html(warnings)


def interval_notes(ctx: SectionInputs, tables: ChapterTables | None = None) -> pd.DataFrame:
    """The chapters' rows that carry a reason (undefined or approximate intervals, few clusters), per dataset
    and chapter (:func:`~hemstats.report.sections.key_results.result_warnings`)."""
    return result_warnings(tables if tables is not None else chapter_tables(ctx))


def interval_notes_html(notes: pd.DataFrame) -> str:
    """The box of :func:`interval_notes` ('' when there is none), each entry linked to its chapter's section."""
    return pages.data_warnings_html(
        notes, title="Notes on the numbers",
        intro="Some rows of the chapters' tables carry a note that changes how their interval or test should be read.")


def datasets(ctx: SectionInputs) -> pd.DataFrame:
    """One row per dataset: adapter, synthetic, studies, patients, licence, citation, source."""
    return pages.datasets_table(ctx.cohort)


def datasets_html(ctx: SectionInputs) -> str:
    """Each dataset's description, licence, citation and source as the manifest gives them, escaped."""
    return pages.datasets_html(ctx.cohort)


def counts(ctx: SectionInputs) -> pd.DataFrame:
    """Rows per dataset and canonical table, long (:meth:`Cohort.counts <hemstats.Cohort.counts>`)."""
    return ctx.cohort.counts()


def counts_shown(counts: pd.DataFrame) -> pd.DataFrame:
    """:func:`counts` as datasets x tables with a total row, for display."""
    return pages.counts_wide(counts).reset_index()


def findings(ctx: SectionInputs) -> pd.DataFrame | None:
    """The finding vocabulary as the cohort uses it; None when no dataset labels or scores a finding."""
    table = pages.findings_table(ctx.cohort)
    return None if table.empty else table
