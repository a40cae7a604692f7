"""The tables of the Overview, Provenance, Dataset cards and Methods chapters, without a book build.

The last tests run the code cells of those chapters (book/*.md) in this process, against a
context written for a demo cohort: a chapter is prose plus a few calls per cell.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest

from hemstats.report import ENV_VAR, find_book_source
from hemstats.report.context import ReportContext
from hemstats.report.sections import Settings, card, methods, overview, provenance


@pytest.fixture(scope="module")
def cohort():
    from hemstats.datasets import demo

    return demo.load(n_studies=120, seed=3)


@pytest.fixture()
def settings(cohort):
    return Settings(cohort, confidence_level=0.9, n_resamples=500, seed=11)


@pytest.fixture()
def ctx(tmp_path, cohort):
    from hemstats.report.build import dataset_fingerprints

    cohort.to_dir(tmp_path / "cohort")
    context = ReportContext.example(
        tmp_path, seed=5, datasets=tuple(cohort.datasets), synthetic=("demo",),
        fingerprints=dataset_fingerprints(cohort), manifest_path=tmp_path / "private" / "m.yaml",
        command="hemstats report m.yaml --out site",
    )
    context.write()
    return context


# ------------------------------------------------------------------------------------------
# Overview
# ------------------------------------------------------------------------------------------
def test_overview_summary_counts_and_settings(settings, cohort):
    html = overview.summary_html(settings)
    n_patients = cohort.studies["patient_id"].nunique()
    assert f"<strong>120 studies</strong> of <strong>{n_patients} patients</strong>" in html
    assert "90% confidence intervals" in html and "500 resamples and seed 11" in html


def test_overview_tables(settings, cohort):
    datasets = overview.datasets(settings)
    assert datasets[["dataset", "studies"]].to_dict("records") == [{"dataset": "demo", "studies": 120}]
    counts = overview.counts(settings)
    assert set(counts.columns) >= {"dataset", "table", "rows"}
    shown = overview.counts_shown(counts)
    assert shown.loc[0, "studies"] == 120
    findings = overview.findings(settings)
    assert findings is not None and "any" in set(findings["finding"])
    assert overview.data_warnings(settings).empty and overview.data_warnings_html(overview.data_warnings(settings)) == ""
    assert "<strong>demo</strong>" in overview.datasets_html(settings)


def test_overview_of_two_datasets_has_a_total_row():
    from hemstats import Cohort
    from hemstats.datasets import demo

    both = Cohort.concat([demo.load(n_studies=30, seed=1), demo.load(n_studies=20, seed=2, name="demo2")])
    shown = overview.counts_shown(overview.counts(Settings(both)))
    assert shown["dataset"].tolist() == ["demo", "demo2", "total"]
    assert shown.set_index("dataset").loc["total", "studies"] == 50


# ------------------------------------------------------------------------------------------
# Provenance
# ------------------------------------------------------------------------------------------
def test_provenance_names_files_without_their_folders(ctx, tmp_path):
    build = provenance.build(ctx).set_index("item")["value"]
    assert build["manifest"] == "m.yaml" and build["report folder"] == tmp_path.name
    assert not any(str(tmp_path.parent) in str(v) for v in build)


def test_provenance_settings_versions_and_fingerprints(ctx, cohort):
    assert provenance.settings(ctx).set_index("setting")["value"].to_dict() == {
        "seed": "5", "confidence_level": "0.95", "n_resamples": "2000"}
    versions = provenance.versions(ctx)
    assert versions["package"].iloc[0] == "python" and "hemstats" in set(versions["package"])
    fingerprints = provenance.fingerprints(ctx)
    assert fingerprints.columns.tolist() == ["dataset", "fingerprint", "sha256"]
    tables = fingerprints.set_index(["dataset", "fingerprint"]).loc[("demo", "tables"), "sha256"]
    assert tables == cohort.fingerprint("demo")
    assert "please cite it" in provenance.how_to_cite(ctx) and "version 0.1.0" in provenance.how_to_cite(ctx)


# ------------------------------------------------------------------------------------------
# Dataset cards
# ------------------------------------------------------------------------------------------
def test_cards_and_notes(settings, cohort):
    cards = card.cards(settings)
    assert cards is not None and cards.columns.tolist() == ["dataset", "section", "question", "answer"]
    assert set(cards["dataset"]) == {"demo"}
    notes = card.notes_by_kind(settings)
    assert notes is not None
    assert notes["notes"].sum() == len(cohort.notes)


# ------------------------------------------------------------------------------------------
# Methods
# ------------------------------------------------------------------------------------------
def test_methods_tables_are_shaped_from_the_shipped_coverage(ctx):
    meta = methods.metadata(ctx)
    assert "proportion_coverage" in set(meta["table"])
    assert "95% level" in methods.metadata_note(ctx, meta)
    wide = methods.by_cell(methods.coverage("kappa_coverage"))
    assert wide.columns[0] == "method" and len(wide.columns) == 1 + 9  # 3 sizes x 3 prevalences
    assert "lowest coverage" in methods.kappa_note(methods.coverage("kappa_coverage"))
    assert "patient bootstrap covers" in methods.auc_note(
        methods.coverage("auc_ci_coverage"), methods.coverage("clustered_auc_coverage"))
    for table, share in ((methods.slice_coverage(ctx), "coverage"), (methods.operating_point_coverage(ctx), "coverage"),
                         (methods.heterogeneity(ctx), "rejection rate")):
        assert len(table) and table[share].between(0, 1).all()
    slices = methods.slice_coverage(ctx)
    assert "prevalence" in set(slices["statistic"]) and slices["icc"].notna().all()
    assert set(methods.operating_point_coverage(ctx)["metric"]) == {"sensitivity", "specificity", "ppv", "npv"}
    assert len(methods.references(ctx)) > 10


# ------------------------------------------------------------------------------------------
# The chapters run their cells
# ------------------------------------------------------------------------------------------
CELL = re.compile(r"^```\{code-cell\}[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)


def _run_chapter(name: str) -> None:
    text = (find_book_source() / f"{name}.md").read_text(encoding="utf-8")
    cells = [re.sub(r"^:tags:.*\n", "", c) for c in CELL.findall(text)]
    assert cells, name
    namespace: dict[str, object] = {}
    for cell in cells:
        exec(compile(cell, f"{name}.md", "exec"), namespace)


@pytest.mark.parametrize("chapter", ["overview", "provenance", "dataset_card", "methods"])
def test_the_chapter_cells_run_and_save_their_tables(chapter, ctx, monkeypatch):
    monkeypatch.setenv(ENV_VAR, str(ctx.out / "context.json"))
    monkeypatch.chdir(ctx.out)
    _run_chapter(chapter)
    saved = sorted(p.stem for p in ctx.tables_dir.glob("*.csv"))
    prefix = {"dataset_card": "dataset_card"}.get(chapter, chapter)
    assert saved and all(s.startswith(prefix) for s in saved), saved
    for csv in ctx.tables_dir.glob("*.csv"):
        assert str(ctx.out) not in csv.read_text(), csv.name
    if chapter == "overview":
        assert {"overview_key_results", "overview_data_warnings", "overview_interval_notes"} <= set(saved)
    if chapter == "methods":
        assert (ctx.tables_dir / "hemstats_references.bib").is_file()


def test_the_chapters_hold_few_lines_of_code():
    for name in ("overview", "provenance", "dataset_card", "methods"):
        text = (find_book_source() / f"{name}.md").read_text(encoding="utf-8")
        lines = sum(len(c.strip().splitlines()) for c in CELL.findall(text))
        cells = len(CELL.findall(text))
        assert lines <= 8 * cells, (name, lines, cells)


def test_settings_and_context_give_the_same_tables(settings, ctx):
    as_settings = Settings(ctx.cohort, confidence_level=ctx.confidence_level, n_resamples=ctx.n_resamples,
                           seed=ctx.seed)
    pd.testing.assert_frame_equal(overview.datasets(as_settings), overview.datasets(ctx))
    assert overview.summary_html(as_settings) == overview.summary_html(ctx)
    quick = ReportContext.example(ctx.out, seed=ctx.seed, n_resamples=100, cohort_dir=ctx.cohort_dir)
    pd.testing.assert_frame_equal(
        overview.key_results(quick),
        overview.key_results(Settings(ctx.cohort, confidence_level=0.95, n_resamples=100, seed=ctx.seed)))
