"""The Overview's key results and warnings: the chapters' own numbers, a reason for every gap, links that land."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from hemstats import Cohort
from hemstats.report import find_book_source
from hemstats.report.pages import data_warnings, data_warnings_html
from hemstats.report.sections import Settings, acquisition, agreement, key_results, overview, performance, prevalence
from hemstats.report.sections.key_results import LINKS, ChapterTables, link, result_warnings


@pytest.fixture(scope="module")
def settings():
    from hemstats.datasets import demo

    return Settings(demo.load(n_studies=120, seed=3), confidence_level=0.9, n_resamples=200, seed=11)


@pytest.fixture(scope="module")
def tables(settings):
    return key_results.chapter_tables(settings)


@pytest.fixture(scope="module")
def results(settings, tables):
    return key_results.key_results(settings, tables)


def _one(results: pd.DataFrame, **match: str) -> pd.Series:
    rows = results
    for column, value in match.items():
        rows = rows[rows[column] == value]
    assert len(rows) == 1, (match, rows)
    return rows.iloc[0]


def _close(row: pd.Series, source: pd.Series) -> None:
    for column in ("estimate", "ci_low", "ci_high"):
        assert np.isclose(row[column], source[column], rtol=1e-12, atol=0), column


def test_the_numbers_are_the_chapters_numbers(settings, results):
    studies = settings.cohort.studies
    assert _one(results, result="studies")["estimate"] == len(studies) == 120
    assert _one(results, result="patients")["estimate"] == studies["patient_id"].nunique()

    prev = prevalence.by_dataset(settings)
    assert prev is not None
    _close(_one(results, result="prevalence"), prev[prev["finding"] == "any"].iloc[0])

    table = agreement.by_finding(settings)
    assert table is not None
    agr = agreement.all_readers(table)
    for metric in ("fleiss_kappa", "gwet_ac1"):
        rows = agr[(agr["finding"] == "any") & (agr["metric"] == metric) & ~agr["method"].str.contains("bootstrap")]
        _close(_one(results, result="agreement", metric=metric), rows.iloc[0])

    aucs = performance.auc_table(settings)
    for model in ("model_a", "model_b"):
        _close(_one(results, result="auc", detail=model),
               aucs[(aucs["finding"] == "any") & (aucs["model"] == model)].iloc[0])

    assoc = acquisition.associations(acquisition.effects(settings))
    best = assoc[assoc["finding"] == "any"].sort_values("estimate").iloc[-1]
    row = _one(results, result="acquisition")
    assert row["detail"] == best["variable"]
    _close(row, best)
    assert np.isclose(row["p_adjusted"], best["p_adjusted"])


def test_a_changed_seed_changes_the_bootstrap_numbers(settings, results):
    other = key_results.key_results(Settings(settings.cohort, confidence_level=0.9, n_resamples=200, seed=12))
    a, b = _one(results, result="auc", detail="model_a"), _one(other, result="auc", detail="model_a")
    assert np.isclose(a["estimate"], b["estimate"]) and not np.isclose(a["ci_low"], b["ci_low"], rtol=0, atol=1e-12)


def test_the_html_links_every_cell_to_its_chapter(settings, results):
    html = overview.key_results_html(settings, results)
    assert "90% CI" in html
    for result in ("studies", "prevalence", "agreement", "auc", "acquisition"):
        assert f'href="{link(result)}"' in html
    assert "model_a: 0.9" in html and "Fleiss&#x27; kappa" in html


def test_every_link_lands_on_a_heading_of_its_chapter():
    def slug(heading: str) -> str:
        return re.sub(r"[^a-z0-9]+", "-", heading.lower()).strip("-")

    for page, anchor in LINKS.values():
        text = (find_book_source() / f"{page}.md").read_text(encoding="utf-8")
        headings = {slug(h) for h in re.findall(r"^#+ (.+)$", text, flags=re.MULTILINE)}
        assert not anchor or anchor in headings, (page, anchor, sorted(headings))


@pytest.fixture(scope="module")
def bare() -> Cohort:
    """One dataset named like markup, consensus labels only (all positive), no readers, models or acquisition."""
    studies = pd.DataFrame({"dataset": "<b>x</b>", "study_id": [f"s{i}" for i in range(8)],
                            "patient_id": [f"p{i}" for i in range(8)]})
    labels = pd.DataFrame({"dataset": "<b>x</b>", "study_id": studies["study_id"], "level": "study",
                           "finding": "any", "rater": "consensus", "value": 1})
    return Cohort(studies, labels=labels)


def test_a_dataset_without_readers_models_or_acquisition_says_so(bare):
    s = Settings(bare, n_resamples=50)
    results = key_results.key_results(s)
    notes = results.set_index("result")["note"]
    assert "fewer than two readers" in notes["agreement"] and "no model scores" in notes["auc"]
    assert "no scanner" in notes["acquisition"]
    html = overview.key_results_html(s, results)
    assert "<b>x</b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html
    cells = re.findall(r"<td>(.*?)</td>", html)
    assert len(cells) == 5 and all(c.strip() for c in cells)
    assert "100.0%" in html


def test_the_warnings_name_one_class_labels_and_link_their_chapter(bare):
    w = data_warnings(bare)
    row = w.set_index("kind").loc["all_positive"]
    assert row["n"] == 8 and "100% prevalence" in row["message"] and row["chapter"] == "prevalence"
    box = data_warnings_html(w)
    assert "&lt;b&gt;x&lt;/b&gt;" in box and '<a href="prevalence.html">Prevalence</a>' in box


def test_rows_with_a_reason_become_warnings_linked_to_their_section():
    prev = pd.DataFrame({
        "dataset": ["d", "d", "d", "e"], "finding": ["any", "sdh", "edh", "any"],
        "metric": "prevalence", "estimate": [0.2, 0.0, 0.1, 0.3], "ci_low": [0.1, 0.0, 0.05, 0.2],
        "ci_high": [0.3, 0.0, 0.2, 0.4],
        "reason": [None, "no positive study; 3 clusters", "3 clusters", None],
    })
    agr = pd.DataFrame({"dataset": ["d"], "finding": ["any"], "metric": ["krippendorff_alpha"], "estimate": [0.5],
                        "ci_low": [np.nan], "ci_high": [np.nan],
                        "reason": ["no analytic interval: use interval='bootstrap'"]})
    w = result_warnings(ChapterTables(prevalence=prev, agreement=agr, auc=pd.DataFrame(), associations=None))
    assert w["dataset"].tolist() == ["d"] and w["chapter"].tolist() == ["prevalence"]
    message = w["message"].iloc[0]
    assert message.startswith("2 of 3 prevalence rows") and "3 clusters (2 rows)" in message
    assert "no positive study (1 row)" in message
    assert 'href="prevalence.html#prevalence-by-dataset"' in data_warnings_html(w)


def test_the_overview_has_a_box_of_notes_on_the_numbers(settings, tables):
    assert overview.data_warnings(settings).empty  # the demo's labels are complete
    notes = overview.interval_notes(settings, tables)
    assert set(notes["kind"]) == {"interval_note"} and {"agreement", "acquisition"} <= set(notes["chapter"])
    box = overview.interval_notes_html(notes)
    assert "Notes on the numbers" in box and 'href="acquisition.html#do-the-labels-depend-on-acquisition"' in box
    assert overview.interval_notes_html(notes.iloc[:0]) == ""


def test_an_undefined_coefficient_shows_its_reason_not_an_empty_cell():
    r = pd.DataFrame([
        {"dataset": "d", "result": "agreement", "finding": "any", "metric": "fleiss_kappa", "note": "kappa undefined"},
        {"dataset": "d", "result": "agreement", "finding": "any", "metric": "gwet_ac1", "estimate": 0.9,
         "ci_low": 0.8, "ci_high": 0.95},
        {"dataset": "d", "result": "auc", "finding": "any", "detail": "m", "metric": "auc"},
    ], columns=key_results.RESULT_COLUMNS)
    html = key_results.key_results_html(r)
    assert "Fleiss&#x27; kappa: kappa undefined" in html and "Gwet&#x27;s AC1 0.90 (0.80 to 0.95)" in html
    assert "m: not estimated" in html and "nan" not in html
