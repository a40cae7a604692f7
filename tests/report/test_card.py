"""hemstats.report.card.dataset_card: datasheet answers from the manifest and the data."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from hemstats import Cohort
from hemstats.errors import HemstatsError, ReportError
from hemstats.manifest import DatasetEntry, Manifest
from hemstats.report.card import CARD_COLUMNS, CONSENSUS_RULES, NOT_REPORTED, SECTIONS, dataset_card


def answer(card: pd.DataFrame, dataset: str, question: str) -> str:
    rows = card[(card["dataset"] == dataset) & (card["question"] == question)]
    assert len(rows) == 1, (dataset, question, rows)
    return rows["answer"].iloc[0]


@pytest.fixture(scope="module")
def toy() -> Cohort:
    """Two hand-made datasets: ``toy`` (two readers, notes, acquisition) and ``bare`` (studies only)."""
    studies = pd.DataFrame({
        "dataset": ["toy"] * 5 + ["bare"] * 2,
        "study_id": ["s1", "s2", "s3", "s4", "s5", "b1", "b2"],
        "patient_id": ["p1", "p1", "p2", "p3", "p4", "q1", "q2"],
        "manufacturer": ["GE", "GE", "SIEMENS", pd.NA, "GE", pd.NA, pd.NA],
        "slice_thickness_mm": [5.0, 2.5, 0.625, pd.NA, 5.0, pd.NA, pd.NA],
        "split": ["train", "train", "test", "test", "train", pd.NA, pd.NA],
    })
    rows = []
    values = {"R1": [1, 0, 1, 0, 0], "R2": [1, 0, 0, 0, 1], "consensus": [1, 0, 1, 0, 0]}
    for rater, vals in values.items():
        for sid, v in zip(["s1", "s2", "s3", "s4", "s5"], vals):
            rows.append(("toy", sid, "study", "any", rater, v))
    rows.append(("toy", "s1", "study", "sdh", "consensus", 1))
    labels = pd.DataFrame(rows, columns=["dataset", "study_id", "level", "finding", "rater", "value"])
    notes = pd.DataFrame({
        "dataset": "toy",
        "study_id": ["s3", "s3", "s5", "s1", pd.NA],
        "kind": ["label_disagreement"] * 4 + ["derived_labels"],
        "detail": ["slice 3 says SDH, study says none", "slice 7 says SDH, study says none",
                   "diagnosis table lists IVH, masks have none", "fourth disagreement",
                   "study labels derived from slice labels"],
    })
    preds = pd.DataFrame({"dataset": "toy", "study_id": ["s1", "s2", "s3", "s4", "s5"], "level": "study",
                          "finding": "any", "model": "m1", "score": [0.9, 0.1, 0.7, 0.2, 0.4]})
    info = {"toy": {"adapter": "physionet_ct_ich", "licence": "CC BY 4.0", "source": "https://example.org/toy"},
            "bare": {}}
    return Cohort(studies, labels=labels, predictions=preds, notes=notes, info=info)


def test_columns_sections_and_order(toy):
    card = dataset_card(toy)
    assert card.columns.tolist() == list(CARD_COLUMNS)
    assert card["dataset"].unique().tolist() == ["toy", "bare"]
    for _, rows in card.groupby("dataset", sort=False):
        order = [SECTIONS.index(s) for s in rows["section"]]
        assert order == sorted(order) and set(rows["section"]) == set(SECTIONS)
    assert card["answer"].map(lambda a: isinstance(a, str) and a != "").all()
    assert not card.duplicated(["dataset", "question"]).any()


def test_notes_grouped_by_kind_with_counts_and_examples(toy):
    card = dataset_card(toy)
    dis = answer(card, "toy", "Notes of kind 'label_disagreement'")
    assert dis.startswith("4 notes about 3 studies; e.g. slice 3 says SDH, study says none | ")
    assert "fourth disagreement" not in dis  # at most three examples
    assert answer(card, "toy", "Notes of kind 'derived_labels'") == (
        "1 note; e.g. study labels derived from slice labels.")
    assert answer(card, "bare", "Did the loader find problems?").startswith("no:")


def test_composition_and_labelling_from_the_data(toy):
    card = dataset_card(toy)
    assert answer(card, "toy", "How many studies and patients?") == "5 studies of 4 patients."
    assert answer(card, "toy", "How common is any intracranial hemorrhage?") == (
        "2 of 5 studies (40.0%) are positive (consensus label).")
    assert answer(card, "toy", "Which findings are labelled?") == "2: any (study), sdh (study)."
    assert answer(card, "toy", "Which models' scores are included?") == "m1 (1 finding: any; 5 scores)."
    assert answer(card, "toy", "Who labelled the data?") == "2 readers (R1, R2), plus a consensus label."
    assert answer(card, "toy", "How is the consensus formed?") == CONSENSUS_RULES["physionet_ct_ich"] + "."
    assert answer(card, "toy", "Is there an official train/test split?") == "2: train (3), test (2)."
    assert answer(card, "toy", "Which scanner vendors?") == "2: GE (3), SIEMENS (1); not reported for 1 study."
    assert answer(card, "toy", "Which slice thickness?") == (
        "0.6 to 5.0 mm (median 3.8); not reported for 1 study.")
    assert answer(card, "toy", "Which sites contributed studies?") == NOT_REPORTED


def test_dataset_without_tables_says_so(toy):
    card = dataset_card(toy)
    assert answer(card, "bare", "Who labelled the data?").startswith("nobody")
    assert answer(card, "bare", "Which findings are labelled?").startswith("none")
    assert answer(card, "bare", "How common is any intracranial hemorrhage?") == "no consensus label of any hemorrhage."
    assert answer(card, "bare", "How were the scans acquired?").startswith("not reported")
    assert answer(card, "bare", "Under which licence?") == NOT_REPORTED
    assert answer(card, "bare", "Is the dataset real or synthetic?").startswith("Real")


def test_manifest_fills_what_info_lacks(toy):
    entries = (
        DatasetEntry(name="toy", adapter="physionet_ct_ich", licence="from the manifest", citation="Toy et al."),
        DatasetEntry(name="bare", adapter="kaggle_head_ct", licence="CC0", description="A  bare\n dataset."),
    )
    card = dataset_card(toy, Manifest(path=None, folder=Path("."), datasets=entries))
    assert answer(card, "toy", "Under which licence?") == "CC BY 4.0"  # the cohort's info wins
    assert answer(card, "toy", "How to cite it?") == "Toy et al."
    assert answer(card, "bare", "Under which licence?") == "CC0"
    assert answer(card, "bare", "What is it?") == "A bare dataset."
    assert answer(card, "bare", "Which hemstats adapter reads it?") == "adapter kaggle_head_ct of hemstats.datasets"


def test_demo_cohort_is_labelled_synthetic(demo_cohort):
    card = dataset_card(demo_cohort)
    assert answer(card, "demo", "Is the dataset real or synthetic?").startswith("Synthetic data: dataset demo")
    n_patients = demo_cohort.studies["patient_id"].nunique()
    assert answer(card, "demo", "How many studies and patients?") == f"1,200 studies of {n_patients:,} patients."
    assert answer(card, "demo", "How is the consensus formed?") == CONSENSUS_RULES["demo"] + "."
    assert answer(card, "demo", "Which scanner vendors?").startswith("3: ")
    assert answer(card, "demo", "Notes of kind 'synthetic'").startswith("1 note; e.g. synthetic data")
    cons = demo_cohort.labels.query("rater == 'consensus' and level == 'study' and finding == 'any'")
    k = int(cons["value"].sum())
    assert answer(card, "demo", "How common is any intracranial hemorrhage?").startswith(f"{k} of 1,200 studies")


def test_not_a_cohort_raises():
    with pytest.raises(ReportError, match="expected a hemstats Cohort") as info:
        dataset_card(pd.DataFrame())
    assert isinstance(info.value, HemstatsError)


@pytest.mark.shared_data
def test_real_cq500_and_kaggle(shared_data):
    from hemstats.datasets import cq500, kaggle_head_ct

    cohort = Cohort.concat([cq500.load(shared_data / "cq500"), kaggle_head_ct.load(shared_data / "kaggle_head_ct")])
    card = dataset_card(cohort)
    assert answer(card, "cq500", "How many studies and patients?") == "491 studies of 491 patients."
    assert answer(card, "cq500", "Who labelled the data?") == "3 readers (R1, R2, R3), plus a consensus label."
    assert answer(card, "cq500", "How is the consensus formed?").startswith("strict majority")
    assert answer(card, "cq500", "How were the scans acquired?").startswith("not reported")
    assert answer(card, "cq500", "Which models' scores are included?").startswith("qure.ai (")
    assert answer(card, "kaggle_head_ct", "How common is any intracranial hemorrhage?") == (
        "100 of 200 studies (50.0%) are positive (consensus label).")
    assert answer(card, "kaggle_head_ct", "Which models' scores are included?") == "none."
    assert answer(card, "kaggle_head_ct", "How many slices (images)?") == "200 image files, one per study."


@pytest.mark.shared_data
def test_real_physionet_excerpt_notes_and_partial_labels(shared_data):
    from hemstats.datasets import physionet_ct_ich

    cohort = physionet_ct_ich.load(shared_data / "physionet_ct_ich")
    card = dataset_card(cohort)
    assert cohort.notes is not None and cohort.labels is not None
    kinds = sorted(set(cohort.notes["kind"].astype(str)))
    assert kinds  # the excerpt has blank flags and derived labels
    for kind in kinds:
        n = int((cohort.notes["kind"] == kind).sum())
        assert answer(card, "physionet_ct_ich", f"Notes of kind '{kind}'").startswith(f"{n} note")
    cons = cohort.labels.query("rater == 'consensus' and level == 'study' and finding == 'any'")
    missing = len(cohort.studies) - cons["study_id"].nunique()
    assert missing > 0
    prevalence = answer(card, "physionet_ct_ich", "How common is any intracranial hemorrhage?")
    assert "without this label." in prevalence and f"; {missing} stud" in prevalence
    assert "selected for hemorrhage" in prevalence  # the excerpt's labelled studies are all positive
    assert answer(card, "physionet_ct_ich", "How is the consensus formed?") == CONSENSUS_RULES["physionet_ct_ich"] + "."


def test_slices_are_counted_per_study_not_by_slice_number():
    """Issue 10: slice numbers repeat in every study; a slice is a (study, slice) unit."""
    studies = pd.DataFrame({"dataset": "x", "study_id": ["s1", "s2", "s3"], "patient_id": ["p1", "p2", "p3"]})
    rows = [("x", sid, str(k), "slice", "any", "consensus", 0) for sid in ("s1", "s2", "s3") for k in range(1, 5)]
    labels = pd.DataFrame(rows, columns=["dataset", "study_id", "slice_id", "level", "finding", "rater", "value"])
    card = dataset_card(Cohort(studies, labels=labels))
    assert answer(card, "x", "How many slices (images)?") == "12 slices with labels or image files."


@pytest.mark.shared_data
def test_real_physionet_slice_count_is_study_slice_pairs(shared_data):
    from hemstats.datasets import physionet_ct_ich

    cohort = physionet_ct_ich.load(shared_data / "physionet_ct_ich")
    assert cohort.labels is not None
    sl = cohort.labels[cohort.labels["level"] == "slice"][["study_id", "slice_id"]].drop_duplicates()
    assert sl["slice_id"].nunique() < len(sl)  # slice numbers repeat across studies
    text = answer(dataset_card(cohort), "physionet_ct_ich", "How many slices (images)?")
    assert text.startswith(f"{len(sl):,} slices with labels"), text


def test_release_batches_are_not_called_a_split():
    """CQ500 has release batches B1/B2 (``batch``) and no split: the card says they are batches, once."""
    studies = pd.DataFrame({"dataset": "cq", "study_id": ["a", "b", "c"], "patient_id": ["a", "b", "c"],
                            "split": pd.Categorical([None] * 3), "batch": ["B1", "B2", "B2"]})
    card = dataset_card(Cohort(studies))
    text = answer(card, "cq", "Is there an official train/test split?")
    assert text == "no: the studies come in 2 release batches, not a train/test split: B2 (2), B1 (1)."
    assert not card["answer"].str.contains("official split").any()
    assert card["answer"].str.contains("B1 \\(1\\)").sum() == 1


def test_one_class_prevalence_is_said_where_it_is_given():
    studies = pd.DataFrame({"dataset": "p", "study_id": ["a", "b"], "patient_id": ["a", "b"]})
    labels = pd.DataFrame({"dataset": "p", "study_id": ["a", "b"], "level": "study", "finding": "any",
                           "rater": "consensus", "value": 1})
    text = answer(dataset_card(Cohort(studies, labels=labels)), "p", "How common is any intracranial hemorrhage?")
    assert text.startswith("2 of 2 studies (100.0%) are positive") and "selected for hemorrhage" in text
