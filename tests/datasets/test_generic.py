"""Generic CSV/xlsx adapter: column mapping from options, hashing, errors."""

from __future__ import annotations

import pandas as pd
import pytest

from hemstats.datasets import generic, get_adapter
from hemstats.errors import DataFormatError, ManifestError, UnknownFindingError
from hemstats.privacy import pseudonymize

STUDIES = {"file": "exams.xlsx", "columns": {"study_id": "Exam", "patient_id": "Patient", "age_years": "Age",
                                             "sex": "Пол", "slice_thickness_mm": "Thickness", "batch": "Batch"}}
LABELS = {"file": "reads.csv", "id_column": "Exam", "findings": {"any": "ICH", "sdh": "SDH"}}


def _files(root):
    pd.DataFrame(
        {"Exam": ["ACC-001", "ACC-002", "ACC-003"], "Patient": ["MRN-9", "MRN-9", "MRN-7"], "Age": [71, 0.5, None],
         "Пол ": ["Ж", "м", None], "Thickness": ["5", "0,625", ""], "Batch": ["a", "b", "a"]}
    ).to_excel(root / "exams.xlsx", index=False)
    (root / "reads.csv").write_text("exam,ich,sdh\r\nACC-001,да,нет\r\nACC-002,0,\r\nACC-003,1,1\r\n")
    (root / "slices.csv").write_text("Exam,Slice,Reader,ICH\nACC-001,1,A,1\nACC-001,2,A,0\nACC-001,1,B,1\n")
    (root / "scores.csv").write_text("Exam,p_ICH\nACC-001,0.9\nACC-002,\nACC-003,0.2\n")
    return root


def test_mapping_without_hashing(tmp_path):
    cohort = generic.load(_files(tmp_path), studies=STUDIES, labels=LABELS, pseudonymize_ids=[])
    st = cohort.studies
    assert st["study_id"].tolist() == ["ACC-001", "ACC-002", "ACC-003"]
    assert st["age_years"].tolist()[:2] == [71.0, 0.5] and pd.isna(st["age_years"].iloc[2])
    assert st["sex"].astype(object).tolist()[:2] == ["F", "M"] and pd.isna(st["sex"].iloc[2])
    assert st["slice_thickness_mm"].tolist()[:2] == [5.0, 0.625]
    assert st["batch"].tolist() == ["a", "b", "a"]
    lab = cohort.labels.set_index(["study_id", "finding"])["value"]
    assert lab.to_dict() == {("ACC-001", "any"): 1, ("ACC-002", "any"): 0, ("ACC-003", "any"): 1,
                             ("ACC-001", "sdh"): 0, ("ACC-003", "sdh"): 1}  # blank SDH stays missing
    assert set(cohort.labels["rater"].astype(str)) == {"consensus"}


def test_blank_zero_rater_and_slice_level(tmp_path):
    _files(tmp_path)
    cohort = generic.load(
        tmp_path,
        labels=[{**LABELS, "blank": 0, "rater": "R1"},
                {"file": "slices.csv", "id_column": "Exam", "slice_column": "Slice", "rater_column": "Reader",
                 "findings": {"any": "ICH"}}],
        pseudonymize_ids=[],
    )
    lab = cohort.labels
    assert len(lab.query("rater == 'R1'")) == 6
    sl = lab.query("level == 'slice'")
    assert sl[["slice_id", "rater", "value"]].astype(str).values.tolist() == [["1", "A", "1"], ["2", "A", "0"], ["1", "B", "1"]]
    assert cohort.studies["study_id"].tolist() == ["ACC-001", "ACC-002", "ACC-003"]  # from the labels


def test_predictions(tmp_path):
    _files(tmp_path)
    cohort = get_adapter("generic")(
        tmp_path, studies=STUDIES, predictions={"file": "scores.csv", "id_column": "Exam",
                                                "findings": {"any": "p_ICH"}, "model": "m1"},
        pseudonymize_ids=[],
    )
    assert cohort.predictions[["study_id", "model", "score"]].values.tolist() == [["ACC-001", "m1", 0.9], ["ACC-003", "m1", 0.2]]


def test_ids_hashed_everywhere(tmp_path):
    _files(tmp_path)
    cohort = generic.load(tmp_path, studies=STUDIES, labels=LABELS, salt="k")
    st = cohort.studies
    assert st["study_id"].tolist() == pseudonymize(["ACC-001", "ACC-002", "ACC-003"], salt="k", prefix="st-").tolist()
    assert st["patient_id"].nunique() == 2
    for table in cohort.tables().values():
        text = table.astype(str).to_csv()
        assert "ACC-" not in text and "MRN-" not in text
    assert set(cohort.labels["study_id"]) <= set(st["study_id"])


def test_errors_name_file_and_column_without_leaking_ids(tmp_path):
    _files(tmp_path)
    (tmp_path / "bad.csv").write_text("Exam,ICH\nACC-001,maybe\n")
    with pytest.raises(DataFormatError, match=r"bad\.csv, column 'ICH': expected 0/1"):
        generic.load(tmp_path, labels={**LABELS, "file": "bad.csv", "findings": {"any": "ICH"}}, salt="k")
    (tmp_path / "orphan.csv").write_text("Exam,ICH\nACC-999,1\n")
    with pytest.raises(DataFormatError, match=r"orphan\.csv: 1 id\(s\) not in the studies table") as err:
        generic.load(tmp_path, studies=STUDIES, labels={**LABELS, "file": "orphan.csv", "findings": {"any": "ICH"}}, salt="k")
    assert "ACC-999" not in str(err.value)
    with pytest.raises(DataFormatError, match=r"first: 'ACC-999'"):
        generic.load(tmp_path, studies=STUDIES, labels={**LABELS, "file": "orphan.csv", "findings": {"any": "ICH"}},
                     pseudonymize_ids=[])
    (tmp_path / "dup.csv").write_text("Exam,ICH\nACC-001,1\nACC-001,0\n")
    with pytest.raises(DataFormatError, match=r"dup\.csv: expected one row per id; 2 rows, first: row 2, row 3") as err:
        generic.load(tmp_path, labels={**LABELS, "file": "dup.csv", "findings": {"any": "ICH"}}, salt="k")
    assert "ACC-001" not in str(err.value)
    with pytest.raises(DataFormatError, match=r"reads\.csv: expected a column 'Nope'"):
        generic.load(tmp_path, labels={**LABELS, "findings": {"any": "Nope"}}, pseudonymize_ids=[])
    bad_sex = {**STUDIES, "columns": {**STUDIES["columns"], "sex": "Batch"}}
    with pytest.raises(DataFormatError, match=r"column 'Batch': expected M or F"):
        generic.load(tmp_path, studies=bad_sex, pseudonymize_ids=[])
    assert generic.load(tmp_path, studies={**bad_sex, "sex_values": {"a": "F", "b": "M"}},
                        pseudonymize_ids=[]).studies["sex"].astype(str).tolist() == ["F", "M", "F"]


def test_option_errors(tmp_path):
    _files(tmp_path)
    with pytest.raises(ManifestError, match=r"options.labels.colums: unknown key"):
        generic.load(tmp_path, labels={**LABELS, "colums": {}})
    with pytest.raises(ManifestError, match=r"options.labels.id_column: required key is absent"):
        generic.load(tmp_path, labels={"file": "reads.csv", "findings": {"any": "ICH"}})
    with pytest.raises(UnknownFindingError, match="'ich' is not a finding code"):
        generic.load(tmp_path, labels={**LABELS, "findings": {"ich": "ICH"}})
    with pytest.raises(ManifestError, match="expected at least 'labels' or 'studies'"):
        generic.load(tmp_path)
    with pytest.raises(ManifestError, match="pseudonymize_ids"):
        generic.load(tmp_path, labels=LABELS, pseudonymize_ids=["name"])
    with pytest.raises(ManifestError, match="options.predictions"):
        generic.load(tmp_path, labels=LABELS, predictions={"file": "scores.csv", "id_column": "Exam",
                                                           "findings": {"any": "p_ICH"}}, pseudonymize_ids=[])


def test_option_values_of_the_wrong_type_name_the_option(tmp_path):
    from hemstats.errors import ManifestError

    (tmp_path / "s.csv").write_text("Exam,Sex\nE1,1\n")
    with pytest.raises(ManifestError, match=r"options.studies.sex_values: expected a mapping code -> M or F, got list"):
        generic.load(tmp_path, studies={"file": "s.csv", "columns": {"study_id": "Exam", "sex": "Sex"},
                                        "sex_values": ["1", "M"]})
    with pytest.raises(ManifestError, match=r"options.studies.columns: expected text values, got 'study_id': 5"):
        generic.load(tmp_path, studies={"file": "s.csv", "columns": {"study_id": 5}})
    with pytest.raises(ManifestError, match=r"options.labels.file: expected a file name, got int 5"):
        generic.load(tmp_path, labels={"file": 5, "id_column": "Exam", "findings": {"any": "ICH"}})
    with pytest.raises(ManifestError, match=r"options.pseudonymize_ids: expected a list of text, got str"):
        generic.load(tmp_path, labels={"file": "s.csv", "id_column": "Exam", "findings": {"any": "Sex"}},
                     pseudonymize_ids="study_id")


def test_out_of_range_ages_become_missing_with_a_note(tmp_path):
    (tmp_path / "s.csv").write_text("Exam,Age\nE1,40\nE2,-5\nE3,200\n")
    cohort = generic.load(tmp_path, studies={"file": "s.csv", "columns": {"study_id": "Exam", "age_years": "Age"}},
                          pseudonymize_ids=[])
    assert cohort.studies["age_years"].isna().tolist() == [False, True, True]
    notes = cohort.notes.query("kind == 'out_of_range'")
    assert notes["study_id"].tolist() == ["E2", "E3"]
    assert notes["detail"].iloc[0] == "s.csv, column 'Age', row 3: age -5 is outside 0-130 years; kept missing"


def test_trailing_comma_rows_are_not_duplicate_ids(tmp_path):
    (tmp_path / "y.csv").write_text("Exam,ICH\nE1,1,\nE2,0,\n")
    cohort = generic.load(tmp_path, labels={"file": "y.csv", "id_column": "Exam", "findings": {"any": "ICH"}},
                          pseudonymize_ids=[])
    assert cohort.labels[["study_id", "value"]].values.tolist() == [["E1", 1], ["E2", 0]]


def test_wrong_sheet_and_missing_file_are_named(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["Exam", "ICH"])
    wb.active.append(["E1", 1])
    wb.save(tmp_path / "y.xlsx")
    spec = {"file": "y.xlsx", "sheet": "reads", "id_column": "Exam", "findings": {"any": "ICH"}}
    with pytest.raises(DataFormatError, match=r"^y\.xlsx: no sheet 'reads' \(option sheet\); the workbook has 1 sheet\(s\): 'Sheet'"):
        generic.load(tmp_path, labels=spec)
    with pytest.raises(DataFormatError, match=r"^nope\.csv: file not found"):
        generic.load(tmp_path, labels={**spec, "file": "nope.csv"})


def test_duplicate_label_rows_name_the_rows(tmp_path):
    (tmp_path / "y.csv").write_text("Exam,ICH\nE1,1\nE2,0\nE1,0\n")
    spec = {"file": "y.csv", "id_column": "Exam", "findings": {"any": "ICH"}}
    with pytest.raises(DataFormatError, match=r"^y\.csv: expected one row per id; 2 rows, first: row 2 \('E1'\), row 4 \('E1'\)"):
        generic.load(tmp_path, labels=spec, pseudonymize_ids=[])
    with pytest.raises(DataFormatError, match=r"^y\.csv: expected one row per id; 2 rows, first: row 2, row 4$"):
        generic.load(tmp_path, labels=spec, salt="s")  # hashed ids: no raw id in the message


def test_the_same_rater_in_two_label_files_is_an_error(tmp_path):
    (tmp_path / "a.csv").write_text("Exam,ICH\nE1,1\n")
    (tmp_path / "b.csv").write_text("Exam,ICH\nE1,0\n")
    specs = [{"file": f, "id_column": "Exam", "findings": {"any": "ICH"}} for f in ("a.csv", "b.csv")]
    with pytest.raises(DataFormatError, match=r"^a\.csv and b\.csv: 2 rater rows give the same id"):
        generic.load(tmp_path, labels=specs, pseudonymize_ids=[])
    specs[1]["rater"] = "R2"
    assert len(generic.load(tmp_path, labels=specs, pseudonymize_ids=[]).labels) == 2


def test_private_ids_no_cell_is_quoted(tmp_path):
    (tmp_path / "s.csv").write_text("Exam,Name\nE1,Jane Doe\n")
    spec = {"file": "s.csv", "columns": {"study_id": "Exam", "age_years": "Name"}}  # a mis-mapped column
    with pytest.raises(DataFormatError) as info:
        generic.load(tmp_path, studies=spec, salt="s")
    assert "Jane" not in str(info.value) and "column 'Name': expected a number; 1 row, first: row 2" in str(info.value)
    with pytest.raises(DataFormatError, match="Jane Doe"):
        generic.load(tmp_path, studies=spec, pseudonymize_ids=[])  # public ids: the cell is shown
