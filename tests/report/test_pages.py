"""hemstats.report.pages: data warnings and the Overview's dataset texts, without a book build."""

from __future__ import annotations

import pandas as pd
import pytest

from hemstats import Cohort
from hemstats.report.pages import MISSING_LABEL_SHARE, data_warnings, data_warnings_html, datasets_html


@pytest.fixture(scope="module")
def partial() -> Cohort:
    """Dataset ``a``: 10 studies, ``any`` labelled on all, ``sdh`` on 8 (20% missing), ``ivh`` on 9 (10%,
    not flagged), ``edh`` read by two readers only, one of them skipping 5 studies; notes of several kinds.
    Dataset ``b``: 3 studies, one without its ``any`` label."""
    ids = [f"s{i}" for i in range(10)]
    studies = pd.DataFrame({
        "dataset": ["a"] * 10 + ["b"] * 3,
        "study_id": ids + ["b0", "b1", "b2"],
        "patient_id": [f"p{i}" for i in range(13)],
    })
    rows = [("a", s, "study", "any", "consensus", i % 2) for i, s in enumerate(ids)]
    rows += [("a", s, "study", "sdh", "consensus", 0) for s in ids[:8]]
    rows += [("a", s, "study", "ivh", "consensus", 0) for s in ids[:9]]
    rows += [("a", s, "study", "edh", "R1", 0) for s in ids]
    rows += [("a", s, "study", "edh", "R2", 0) for s in ids[:5]]
    rows += [("b", s, "study", "any", "consensus", v) for s, v in zip(["b0", "b1"], [1, 0])]
    labels = pd.DataFrame(rows, columns=["dataset", "study_id", "level", "finding", "rater", "value"])
    notes = pd.DataFrame({
        "dataset": ["a", "a", "a", "a", "b"],
        "study_id": ["s1", "s2", pd.NA, "s3", "b0"],
        "kind": ["no_majority", "no_majority", "blank_flags", "harmless_kind", "label_disagreement"],
        "detail": ["sdh: 1 of 2 readers", "sdh: tie", "blank subtype cells read as <missing>", "x",
                   "slice table says <b>SDH</b>"],
    })
    return Cohort(studies, labels=labels, notes=notes)


def test_missing_labels_above_a_tenth_are_flagged_with_count_and_share(partial):
    w = data_warnings(partial)
    missing = w[w["kind"] == "missing_label"].set_index(["dataset", "finding"])
    assert MISSING_LABEL_SHARE == 0.1
    assert sorted(missing.index) == [("a", "sdh"), ("b", "any")]  # ivh: exactly 10%, not more
    assert missing.loc[("a", "sdh"), "n"] == 2 and missing.loc[("a", "sdh"), "n_studies"] == 10
    assert missing.loc[("a", "sdh"), "share"] == pytest.approx(0.2)
    assert missing.loc[("a", "sdh"), "message"].startswith("2 of 10 studies (20.0%) have no study-level consensus")
    assert missing.loc[("b", "any"), "n"] == 1
    assert (missing["chapter"] == "prevalence").all()


def test_findings_read_by_readers_only_count_any_reader(partial):
    w = data_warnings(partial)
    assert not ((w["dataset"] == "a") & (w["finding"] == "edh")).any()  # R1 read every study


def test_one_entry_per_dataset_and_telling_note_kind(partial):
    w = data_warnings(partial)
    notes = w[w["kind"] != "missing_label"]
    assert list(zip(notes["dataset"], notes["kind"])) == [
        ("a", "no_majority"), ("a", "blank_flags"), ("b", "label_disagreement")]
    row = notes.set_index("kind").loc["no_majority"]
    assert row["n"] == 2 and row["chapter"] == "agreement" and "2 notes about 2 studies" in row["message"]
    assert "blank subtype cells read as <missing>" in notes.set_index("kind").loc["blank_flags", "message"]
    assert w.columns.tolist() == ["dataset", "kind", "finding", "n", "n_studies", "share", "message", "chapter"]


def test_no_warning_for_a_complete_cohort():
    from hemstats.datasets import demo

    assert data_warnings(demo.load(n_studies=30)).empty
    assert data_warnings_html(data_warnings(demo.load(n_studies=30))) == ""


def test_the_warnings_box_escapes_every_text_and_links_each_chapter(partial):
    box = data_warnings_html(data_warnings(partial))
    assert box.count("<li>") == 5
    assert "&lt;b&gt;SDH&lt;/b&gt;" in box and "<b>" not in box
    assert "&lt;missing&gt;" in box
    for chapter, title in (("prevalence", "Prevalence"), ("agreement", "Reader agreement")):
        assert f'<a href="{chapter}.html">{title}</a>' in box


def test_one_class_labels_are_a_warning_and_two_classes_are_not(partial):
    assert not data_warnings(partial)["kind"].isin(["all_positive", "all_negative"]).any()
    studies = pd.DataFrame({"dataset": "n", "study_id": ["a", "b", "c"], "patient_id": ["a", "b", "c"]})
    labels = pd.DataFrame({"dataset": "n", "study_id": ["a", "b", "c"], "level": "slice", "slice_id": "1",
                           "finding": "any", "rater": "consensus", "value": 0})
    w = data_warnings(Cohort(studies, labels=labels)).set_index("kind")
    assert w.loc["all_negative", "message"].startswith("all 3 labelled slices are negative for any hemorrhage (0%")
    box = data_warnings_html(w.reset_index())
    assert "n</strong>, Any ICH: all 3" in box


PAYLOAD = {
    "description": "<script>alert(1)</script> **bold** `code`",
    "licence": "<img src=x onerror=alert(2)> [x](javascript:alert(3))",
    "citation": "<a href='javascript:alert(4)'>c</a>",
    "source": 'https://example.org/"><script>alert(5)</script>',
}


@pytest.mark.parametrize("key", list(PAYLOAD))
def test_dataset_texts_are_escaped_never_markup(key):
    from hemstats.datasets import demo

    cohort = demo.load(n_studies=20)
    cohort.info["demo"] = {**cohort.info["demo"], key: PAYLOAD[key]}  # type: ignore[index]
    html = datasets_html(cohort)
    assert "<script" not in html and "<img" not in html and "<a href='" not in html
    assert 'href="javascript' not in html and 'href="https://example.org/"' not in html
    assert "&lt;" in html


def test_a_plain_source_url_is_a_link():
    from hemstats.datasets import demo

    cohort = demo.load(n_studies=20)
    cohort.info["demo"] = {  # type: ignore[index]
        **cohort.info["demo"], "source": "https://physionet.org/content/ct-ich/1.3.1/"}
    assert ('<a href="https://physionet.org/content/ct-ich/1.3.1/">https://physionet.org/content/ct-ich/1.3.1/</a>'
            in datasets_html(cohort))


@pytest.mark.shared_data
def test_real_physionet_excerpt_warns_about_its_missing_labels(shared_data):
    from hemstats.datasets import physionet_ct_ich

    cohort = physionet_ct_ich.load(shared_data / "physionet_ct_ich")
    w = data_warnings(cohort).set_index(["kind", "finding"], drop=False)
    assert cohort.labels is not None
    cons = cohort.labels.query("rater == 'consensus' and level == 'study' and finding == 'any'")
    missing = len(cohort.studies) - cons["study_id"].nunique()
    assert missing / len(cohort.studies) > MISSING_LABEL_SHARE
    assert w.loc[("missing_label", "any"), "n"] == missing
    assert {"blank_flags", "derived_label"} <= set(w["kind"])


def test_values_read_as_missing_and_unreadable_files_are_warnings():
    studies = pd.DataFrame({"dataset": "r", "study_id": ["s0", "s1"], "patient_id": ["p0", "p1"]})
    labels = pd.DataFrame({"dataset": "r", "study_id": ["s0", "s1"], "level": "study", "finding": "any",
                           "rater": "consensus", "value": [0, 1]})
    notes = pd.DataFrame({"dataset": "r", "study_id": ["s0", pd.NA, "s1"],
                          "kind": ["dicom_value_missing", "unreadable_dicom", "out_of_range"],
                          "detail": ["KVP read as missing in 1 file(s) of series se-1: above 200", "x.dcm: truncated",
                                     "age_years 150 outside 0-130, read as missing"]})
    w = data_warnings(Cohort(studies, labels=labels, notes=notes)).set_index("kind")
    assert w.loc["dicom_value_missing", "chapter"] == "acquisition"
    assert w.loc["unreadable_dicom", "chapter"] == "acquisition"
    assert w.loc["out_of_range", "chapter"] == "cohort"
