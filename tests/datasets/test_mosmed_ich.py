"""MosMedData ICH adapter: English and Russian registries written with openpyxl, DICOMs with pydicom."""

from __future__ import annotations

from pathlib import Path

import dicom_files
import pandas as pd
import pytest

from hemstats.datasets import get_adapter, mosmed_ich
from hemstats.errors import DataFormatError
from hemstats.privacy import pseudonymize

SALT = "mosmed-test"

EN_HEADER = [
    "Study ID",
    "Sex",
    "Age",
    "Signs of ICH",
    "Epidural hemorrhage",
    "Subdural hemorrhage",
    "Subarachnoid hemorrhage",
    "Intracerebral hemorrhage",
    "Multiple hemorrhages",
    "Skull fracture",
    "SliceThickness",
    "kVp",
    "XRayTubeCurrent",
    "Convolution kernel",
    "Manufacturer",
]
EN_ROWS = [
    ["CT_001", "M", 64, 1, 0, 1, 0, 1, 1, 0, 5.0, 120, 300, "FC23", "TOSHIBA"],
    ["CT_002", "F", 35, "no", "no", "no", "no", "no", "no", "yes", 2.0, None, 250, "FC23", "Toshiba"],
    ["CT_003", None, None, True, False, True, None, False, False, None, None, 100, None, None, None],
]
RU_HEADER = [
    "ID исследования",
    "Пол",
    "Возраст, лет",
    "Признаки ВЧК",
    "Эпидуральная гематома",
    "Субдуральная гематома",
    "Субарахноидальное кровоизлияние",
    "Внутримозговая гематома",
    "Множественные кровоизлияния",
    "Перелом костей черепа",
    "Толщина среза, мм",
    "Напряжение, кВ",
    "Сила тока, мА",
    "Ядро свертки",
    "Производитель",
]
RU_ROWS = [
    ["CT_001", "М", 64, "да", "нет", "да", "нет", "да", "да", "нет", 5.0, 120, 300, "FC23", "TOSHIBA"],
    ["CT_002", "Ж", 35, "нет", "нет", "нет", "нет", "нет", "нет", "да", 2.0, None, 250, "FC23", "Toshiba"],
    ["CT_003", None, None, "Да", "НЕТ", "да", None, "нет", "нет", None, None, 100, None, None, None],
]


def write_registry(path: Path, header: list, rows: list, *, title: str | None = "Registry") -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    if title:
        ws.append([title])  # a title row above the header, as passports often have
        ws.append([])
    ws.append(header)
    for row in rows:
        ws.append(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def write_ct(path: Path, *, study: str, series: str, instance: int = 1, **fields) -> Path:
    header = {
        "Modality": "CT",
        "Manufacturer": "TOSHIBA",
        "ManufacturerModelName": "Aquilion ONE",
        "ConvolutionKernel": "FC23",
        "SliceThickness": "5.0",
        "KVP": "120",
        "XRayTubeCurrent": 300,
        "PatientID": "PID",
        "PatientSex": "M",
        "PatientAge": "064Y",
        "StudyInstanceUID": study,
        "SeriesInstanceUID": series,
        "InstanceNumber": instance,
    }
    return dicom_files.write_ct(path, header={**header, **fields})


@pytest.fixture()
def english(tmp_path: Path) -> Path:
    write_registry(tmp_path / "dataset_registry.xlsx", EN_HEADER, EN_ROWS)
    return tmp_path


@pytest.fixture()
def russian(tmp_path: Path) -> Path:
    write_registry(tmp_path / "dataset_registry.xlsx", RU_HEADER, RU_ROWS, title="Реестр датасета")
    return tmp_path


def _labels(cohort) -> dict[tuple[str, str], int]:
    lab = cohort.labels
    return {(s, f): v for s, f, v in zip(lab.study_id, lab.finding.astype(str), lab.value)}


@pytest.mark.parametrize("registry", ["english", "russian"])
def test_registry_fills_studies_and_labels(registry: str, request) -> None:
    root = request.getfixturevalue(registry)
    cohort = mosmed_ich.load(root, salt=SALT)
    s = cohort.studies.set_index("study_id")
    assert s.index.tolist() == ["CT_001", "CT_002", "CT_003"]
    assert s["sex"].astype(object).tolist()[:2] == ["M", "F"] and pd.isna(s.loc["CT_003", "sex"])
    assert s["age_years"].tolist()[:2] == [64.0, 35.0] and pd.isna(s.loc["CT_003", "age_years"])
    assert s["slice_thickness_mm"].tolist()[:2] == [5.0, 2.0]
    assert pd.isna(s.loc["CT_002", "kvp"]) and s.loc["CT_003", "kvp"] == 100.0
    assert s.loc["CT_001", "tube_current_ma"] == 300.0 and s.loc["CT_001", "kernel"] == "FC23"
    assert s.loc["CT_002", "manufacturer"] == "Toshiba"
    assert s["patient_id"].tolist() == s.index.tolist()  # no patient column: one patient per study
    lab = _labels(cohort)
    assert lab[("CT_001", "any")] == 1 and lab[("CT_001", "sdh")] == 1 and lab[("CT_001", "iph")] == 1
    assert lab[("CT_001", "edh")] == 0 and lab[("CT_002", "fracture")] == 1
    assert lab[("CT_003", "any")] == 1 and lab[("CT_003", "edh")] == 0
    assert ("CT_003", "sah") not in lab and ("CT_003", "fracture") not in lab  # blanks stay missing
    assert len(lab) == 6 + 6 + 4  # any + 4 subtypes (no IVH column) + fracture; CT_003 has 2 blanks
    assert set(cohort.labels.level) == {"study"} and set(cohort.labels.rater) == {"consensus"}
    assert cohort.info["mosmed_ich"]["columns"]["iph"] in ("Intracerebral hemorrhage", "Внутримозговая гематома")
    assert len(cohort.notes) == 0


def test_csv_registry_and_columns_override(tmp_path: Path) -> None:
    (tmp_path / "reg.csv").write_text("folder_name,bleed,sdh flag,gender\nA,1,1,male\nB,0,0,female\n")
    cohort = mosmed_ich.load(
        tmp_path, registry="reg.csv", salt=SALT, columns={"study": "folder_name", "any": "bleed", "sdh": "sdh flag"}
    )
    assert _labels(cohort) == {("A", "any"): 1, ("A", "sdh"): 1, ("B", "any"): 0, ("B", "sdh"): 0}
    assert cohort.studies["sex"].astype(object).tolist() == ["M", "F"]
    with pytest.raises(DataFormatError, match=r"maps 'any' to 'ICH', which is not a column"):
        mosmed_ich.load(tmp_path, registry="reg.csv", salt=SALT, columns={"study": "folder_name", "any": "ICH"})


def test_unmapped_columns_are_listed_not_copied(tmp_path: Path) -> None:
    write_registry(
        tmp_path / "dataset_registry.xlsx",
        ["study_id", "ФИО", "Comment", "ICH"],
        [["s1", "Иванов Иван", "see scan", 1]],
    )
    cohort = mosmed_ich.load(tmp_path, salt=SALT)
    assert cohort.info["mosmed_ich"]["unmapped_columns"] == ["ФИО", "Comment"]
    assert "ФИО" not in cohort.studies.columns and "Comment" not in cohort.studies.columns


def test_patient_column_is_hashed(tmp_path: Path) -> None:
    write_registry(
        tmp_path / "dataset_registry.xlsx", ["study_id", "patient_id", "ICH"], [["s1", "P-77", 1], ["s2", "P-77", 0]]
    )
    cohort = mosmed_ich.load(tmp_path, salt=SALT)
    assert cohort.studies["patient_id"].tolist() == pseudonymize(["P-77", "P-77"], salt=SALT).tolist()


def test_bad_registry_cells_name_column_and_row_not_value(tmp_path: Path) -> None:
    write_registry(
        tmp_path / "dataset_registry.xlsx",
        ["study_id", "Sex", "ICH"],
        [["s1", "M", 1], ["s2", "F", "Petrov Petr"]],
        title=None,
    )
    with pytest.raises(DataFormatError, match=r"column 'ICH': expected 0/1.*spreadsheet row 3$") as info:
        mosmed_ich.load(tmp_path, salt=SALT)
    assert "Petrov" not in str(info.value)
    write_registry(tmp_path / "dataset_registry.xlsx", ["study_id", "Sex", "Age"], [["s1", "X", 3]], title=None)
    with pytest.raises(DataFormatError, match=r"column 'Sex': expected M/F"):
        mosmed_ich.load(tmp_path, salt=SALT)
    write_registry(tmp_path / "dataset_registry.xlsx", ["study_id", "Age"], [["s1", "forty"]], title=None)
    with pytest.raises(DataFormatError, match=r"column 'Age': expected a number; 1 row, spreadsheet row 2"):
        mosmed_ich.load(tmp_path, salt=SALT)
    write_registry(tmp_path / "dataset_registry.xlsx", ["study_id", "ICH"], [["s1", 1], ["s1", 0]], title=None)
    with pytest.raises(DataFormatError, match=r"expected unique study ids; 2 rows, spreadsheet row 2, 3"):
        mosmed_ich.load(tmp_path, salt=SALT)
    write_registry(tmp_path / "dataset_registry.xlsx", ["Sex", "ICH"], [["M", 1]], title=None)
    with pytest.raises(DataFormatError, match=r"expected a study id column"):
        mosmed_ich.load(tmp_path, salt=SALT)
    write_registry(
        tmp_path / "dataset_registry.xlsx", ["study_id", "ICH", "intracranial hemorrhage"], [["s1", 1, 1]], title=None
    )
    with pytest.raises(DataFormatError, match=r"all look like 'any'"):
        mosmed_ich.load(tmp_path, salt=SALT)
    with pytest.raises(DataFormatError, match=r"nope\.xlsx: registry not found"):
        mosmed_ich.load(tmp_path, registry="nope.xlsx", salt=SALT)


def test_multiple_flag_is_checked_against_subtypes(english: Path) -> None:
    rows = [r.copy() for r in EN_ROWS]
    rows[1][8] = 1  # CT_002: "multiple" but no subtype positive
    write_registry(english / "dataset_registry.xlsx", EN_HEADER, rows)
    notes = mosmed_ich.load(english, salt=SALT).notes
    assert notes[["study_id", "kind"]].values.tolist() == [["CT_002", "registry_inconsistent"]]


@pytest.fixture()
def with_dicom(english: Path) -> Path:
    studies = english / "studies"
    # CT_001 agrees (thin bone series + 5 mm series; registry 5 mm matches one of them)
    for i in range(2):
        write_ct(
            studies / "CT_001" / "thin" / f"{i}.dcm",
            study="1.1",
            series="1.1.1",
            instance=i,
            SliceThickness="1.0",
            ConvolutionKernel="FC30",
        )
        write_ct(studies / "CT_001" / "thick" / f"{i}.dcm", study="1.1", series="1.1.2", instance=i)
    # CT_002: planted disagreement (registry 2.0 mm, DICOM 5.0 mm) and kVp missing in registry
    write_ct(
        studies / "CT_002" / "s" / "0.dcm",
        study="1.2",
        series="1.2.1",
        KVP="135",
        XRayTubeCurrent=252,
        PatientSex="F",
        PatientAge="035Y",
    )
    # a folder without a registry row and an unreadable file
    write_ct(studies / "CT_999" / "s" / "0.dcm", study="1.9", series="1.9.1")
    (studies / "CT_002" / "s" / "junk.dcm").write_bytes(b"junk" * 10)
    return english


def test_dicom_headers_fill_and_cross_check_the_registry(with_dicom: Path) -> None:
    cohort = mosmed_ich.load(with_dicom, salt=SALT)
    s = cohort.studies.set_index("study_id")
    assert s.loc["CT_002", "kvp"] == 135.0  # filled from DICOM
    assert s.loc["CT_002", "slice_thickness_mm"] == 2.0  # registry value kept, disagreement noted
    assert s.loc["CT_002", "scanner_model"] == "Aquilion ONE"  # filled
    assert s.loc["CT_001", "scanner_model"] == "Aquilion ONE"
    assert s.loc["CT_001", "patient_id"] == pseudonymize(["PID"], salt=SALT)[0]  # from the DICOM key
    assert cohort.info["mosmed_ich"]["filled_from_dicom"]["kvp"] == 1
    notes = cohort.notes
    cross = notes[notes.kind == "registry_vs_dicom"]
    planted = cross[cross.study_id == "CT_002"]
    assert planted["detail"].tolist() == ["slice_thickness_mm: registry 2, DICOM 5"]
    assert planted["field"].tolist() == ["slice_thickness_mm"]
    assert "CT_001" not in set(cross.study_id.dropna())  # manufacturer case, kernel of one series: agree
    assert cross[cross.study_id.isna()]["detail"].tolist() == ["DICOM folder studies/CT_999 has no registry row"]
    assert cross[cross.study_id == "CT_003"]["detail"].tolist() == ["registry study has no DICOM series under studies/"]
    failure = notes[notes.kind == "dicom_failure"]
    assert failure["study_id"].tolist() == ["CT_002"]
    assert failure["detail"].item().startswith("studies/CT_002/s/junk.dcm: not a DICOM file")
    assert cohort.info["mosmed_ich"]["n_series_scanned"] == 4


def test_dicom_scan_can_be_skipped(with_dicom: Path) -> None:
    cohort = mosmed_ich.load(with_dicom, salt=SALT, studies_dir=None)
    assert len(cohort.notes) == 0 and pd.isna(cohort.studies.set_index("study_id").loc["CT_002", "kvp"])


def test_registered_as_adapter(english: Path) -> None:
    assert get_adapter("mosmed_ich")(english, salt=SALT, name="mosmed").datasets == ("mosmed",)


def test_wrong_sheet_names_the_sheet_and_the_sheets_present(tmp_path: Path) -> None:
    write_registry(tmp_path / "dataset_registry.xlsx", ["study_id", "Age"], [["s1", 40]], title=None)
    with pytest.raises(DataFormatError, match=r"^dataset_registry\.xlsx: no sheet 'Реестр' \(option sheet\); "
                       r"the workbook has 1 sheet\(s\): 'Sheet'"):
        mosmed_ich.load(tmp_path, salt=SALT, sheet="Реестр")
    with pytest.raises(DataFormatError, match=r"no sheet 3 \(option sheet\)"):
        mosmed_ich.load(tmp_path, salt=SALT, sheet=3)


def test_out_of_range_ages_become_missing_with_a_note(tmp_path: Path) -> None:
    write_registry(tmp_path / "dataset_registry.xlsx", ["study_id", "Age"], [["s1", 40], ["s2", -1], ["s3", 131]],
                   title=None)
    cohort = mosmed_ich.load(tmp_path, salt=SALT)
    assert cohort.studies.set_index("study_id")["age_years"].isna().to_dict() == {"s1": False, "s2": True, "s3": True}
    notes = cohort.notes.query("kind == 'out_of_range'")
    assert notes["study_id"].tolist() == ["s2", "s3"]
    assert "column 'Age', row 3: age -1 is outside 0-130 years; kept missing" in notes["detail"].iloc[0]


def test_option_types_and_root_file(tmp_path: Path) -> None:
    from hemstats.errors import ManifestError

    path = write_registry(tmp_path / "dataset_registry.xlsx", ["study_id", "Age"], [["s1", 40]], title=None)
    with pytest.raises(ManifestError, match=r"options.columns.study: expected text, got int 5"):
        mosmed_ich.load(tmp_path, salt=SALT, columns={"study": 5})
    with pytest.raises(DataFormatError, match=r"^dataset folder 'dataset_registry.xlsx' is a file"):
        mosmed_ich.load(path, salt=SALT)


def test_header_values_read_as_missing_reach_the_cohort_notes(english: Path) -> None:
    """A kVp of 9000 is no kVp: missing in the table, and a ``dicom_value_missing`` note names its study."""
    write_ct(english / "studies" / "CT_002" / "s" / "0.dcm", study="1.2", series="1.2.1", KVP="9000")
    cohort = mosmed_ich.load(english, salt=SALT)
    notes = cohort.notes[cohort.notes.kind == "dicom_value_missing"]
    assert notes["study_id"].tolist() == ["CT_002"]
    assert notes["detail"].item().startswith("KVP read as missing in 1 file(s) of series ")
    assert pd.isna(cohort.studies.set_index("study_id").loc["CT_002", "kvp"])
