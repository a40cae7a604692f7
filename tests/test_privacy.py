"""Identifying values planted in DICOMs and registries never reach a table, a log or an error message."""

from __future__ import annotations

import json
import logging
import os
import stat
import warnings
from pathlib import Path

import dicom_files
import numpy as np
import pandas as pd
import pytest

from hemstats.errors import DataFormatError, HemstatsError
from hemstats.privacy import IDENTIFYING_TAGS, KEY_LENGTH, project_salt, pseudonym, pseudonymize

SALT = "privacy-test"

#: keyword -> planted value; every one must stay out of every output.
PLANTED_DICOM = {
    "PatientName": "Smirnova^Olga^Petrovna",
    "PatientID": "MRN-55555-X",
    "PatientBirthDate": "19580317",
    "AccessionNumber": "ACC98765",
    "InstitutionName": "Saint Hildegard Hospital",
    "InstitutionAddress": "12 Bakerstreet Moscow",
    "ReferringPhysicianName": "Housegood^Greg",
    "PerformingPhysicianName": "Cuddlington^Lisa",
    "OperatorsName": "Wilsonby^James",
    "StudyID": "EXAM4242",
    "StationName": "CTROOM7",
    "StudyInstanceUID": "1.2.999.31415926.1a",  # invalid UI: pydicom's validation would warn and log it
    "SeriesInstanceUID": "1.2.999.31415926.1.2",
}
PLANTED_REGISTRY = {
    "ФИО": "Смирнова Ольга Петровна",
    "patient_id": "MRN-55555-X",
    "Дата рождения": "17.03.1958",
    "Accession number": "ACC98765",
    "Учреждение": "Saint Hildegard Hospital",
}
NEEDLES = sorted(
    {v for v in PLANTED_DICOM.values()}
    | {v for v in PLANTED_REGISTRY.values()}
    | {
        "Smirnova",
        "Olga",
        "Petrovna",
        "Смирнова",
        "Hildegard",
        "Bakerstreet",
        "Housegood",
        "Cuddlington",
        "Wilsonby",
        "31415926",
        "1958",
    }
)


def leaks(text: str) -> list[str]:
    low = text.casefold()
    return [n for n in NEEDLES if n.casefold() in low]


def test_leak_detector_can_fail() -> None:
    assert leaks("patient SMIRNOVA^OLGA seen") == ["Olga", "Smirnova"]
    assert leaks("study 3f2a9c1e00b4d7aa") == []


def write_ct(path: Path, *, instance: int, extra: dict) -> Path:
    header = {
        "InstanceNumber": instance,
        "Modality": "CT",
        "Manufacturer": "SIEMENS",
        "ConvolutionKernel": "H30s",
        "SliceThickness": "5",
        "KVP": "120",
        "XRayTubeCurrent": 210,
        "PatientAge": "071Y",
        "PatientSex": "F",
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the planted UID is invalid on purpose
        return dicom_files.write_ct(path, header={**header, **extra})


@pytest.fixture()
def planted(tmp_path: Path) -> Path:
    from openpyxl import Workbook

    root = tmp_path / "mosmed"
    series = root / "studies" / "CT_1" / "series_a"
    for i in range(3):
        write_ct(series / f"{i}.dcm", instance=i, extra=PLANTED_DICOM)
    whole = (series / "0.dcm").read_bytes()
    (series / "cut.dcm").write_bytes(whole[: whole.index(b"Cuddlington") + 5])  # truncated mid-name
    (series / "bad_vr.dcm").write_bytes(whole.replace(b"120", b"1x0", 1))  # an unreadable KVP
    wb = Workbook()
    ws = wb.active
    ws.append(["study_id", *PLANTED_REGISTRY, "ICH", "Sex", "Age"])
    ws.append(["CT_1", *PLANTED_REGISTRY.values(), 1, "F", 71])
    wb.save(root / "dataset_registry.xlsx")
    return root


def test_planted_values_are_really_in_the_inputs(planted: Path) -> None:
    import pydicom

    ds = pydicom.dcmread(planted / "studies" / "CT_1" / "series_a" / "0.dcm")
    assert str(ds.PatientName) == PLANTED_DICOM["PatientName"] and ds.InstitutionName == "Saint Hildegard Hospital"
    assert leaks((planted / "studies" / "CT_1" / "series_a" / "cut.dcm").read_bytes().decode("latin-1"))
    registry = pd.read_excel(planted / "dataset_registry.xlsx", dtype=str)
    assert registry["ФИО"].item() == PLANTED_REGISTRY["ФИО"]


def _tables_text(frames) -> str:
    return "\n".join(
        df.astype(str).to_csv(index=False) + " ".join(map(str, df.columns)) for df in frames if df is not None
    )


def test_scan_and_adapter_outputs_logs_and_errors_hold_no_identifier(planted: Path, caplog, capfd) -> None:
    from hemstats.datasets import hemorica, mosmed_ich
    from hemstats.io.dicom import scan_dicom

    outputs: list[str] = []
    caplog.set_level(logging.DEBUG)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scan = scan_dicom(planted, salt=SALT, progress=False, per_instance=True, max_workers=2, chunk_size=1)
        inline = scan_dicom(planted, salt=SALT, progress=True, per_instance=True, chunk_size=100)  # this process
        cohort = mosmed_ich.load(planted, salt=SALT)
    pd.testing.assert_frame_equal(scan.instances, inline.instances)
    assert len(scan.instances) == 4 and len(scan.failures) == 2  # bad_vr keeps its row, KVP missing
    assert scan.failures["path"].str.endswith("cut.dcm").any()
    assert cohort.studies["patient_id"].item() == pseudonym(PLANTED_REGISTRY["patient_id"], salt=SALT)
    assert set(scan.series["study_key"]) == {pseudonym(PLANTED_DICOM["StudyInstanceUID"], salt=SALT)}
    outputs.append(_tables_text([scan.series, scan.instances, scan.failures]))
    outputs.append(_tables_text(cohort.tables().values()))
    outputs.append(json.dumps(cohort.info, ensure_ascii=False))
    outputs.append(repr(cohort) + repr(scan.series))

    # forced error paths: identifying text in a flag cell, a wrong column mapping, a bad slice table
    from openpyxl import load_workbook

    wb = load_workbook(planted / "dataset_registry.xlsx")
    wb.active["H2"] = PLANTED_REGISTRY["ФИО"]  # the ICH cell now holds a name
    wb.save(planted / "broken.xlsx")
    for kwargs in (
        {"registry": "broken.xlsx"},
        {"columns": {"any": "ФИО"}},
        {"columns": {"sex": "Учреждение"}},
        {"columns": {"age": "Дата рождения"}},
    ):
        with pytest.raises(DataFormatError) as err:
            mosmed_ich.load(planted, salt=SALT, studies_dir=None, **kwargs)
        outputs.append(str(err.value))
    hemo = planted.parent / "hemorica"
    hemo.mkdir()
    (hemo / "train.csv").write_text(
        "patient_name,slice_number,EPH,SDH,SAH,ICH,IVH\nSmirnova Olga,0,0,0,0,0,0\nSmirnova Olga,0,0,0,0,0,0\n"
    )
    (hemo / "test.csv").write_text("patient_name,slice_number,EPH,SDH,SAH,ICH,IVH\nSmirnova Olga,1,0,0,0,0,0\n")
    with pytest.raises(HemstatsError) as err:
        hemorica.load(hemo, salt=SALT)
    outputs.append(str(err.value))
    (hemo / "train.csv").unlink()
    outputs.append(_tables_text(hemorica.load(hemo, salt=SALT).tables().values()))
    (hemo / "val.csv").write_text("patient_name,slice_number,EPH,SDH,SAH,ICH,IVH\nSmirnova Olga,1,0,0,0,0,0\n")
    with pytest.raises(HemstatsError) as err:
        hemorica.load(hemo, salt=SALT)
    outputs.append(str(err.value))

    outputs.append(caplog.text)
    captured = capfd.readouterr()  # stdout/stderr of this process and of the worker processes
    outputs.append(captured.out + captured.err)
    outputs.append("\n".join(str(w.message) for w in caught))
    found = {i: leaks(text) for i, text in enumerate(outputs) if leaks(text)}
    assert found == {}, f"identifying values leaked: {found}"
    assert caplog.records, "the adapter logs something, so the log check is not vacuous"


def test_identifying_tags_cover_the_basic_profile() -> None:
    from pydicom.datadict import tag_for_keyword

    for keyword in (
        "PatientName",
        "PatientID",
        "PatientBirthDate",
        "AccessionNumber",
        "InstitutionName",
        "InstitutionAddress",
        "ReferringPhysicianName",
        "PerformingPhysicianName",
        "OperatorsName",
    ):
        assert keyword in IDENTIFYING_TAGS
    assert all(tag_for_keyword(k) is not None for k in IDENTIFYING_TAGS)  # real DICOM keywords
    from hemstats.io.dicom import HEADER_TAGS

    read = set(HEADER_TAGS) & set(IDENTIFYING_TAGS)
    assert read == {"PatientID", "StudyInstanceUID", "SeriesInstanceUID"}  # only the keys that are hashed


def test_pseudonymize_is_keyed_stable_and_keeps_missing() -> None:
    s = pseudonymize(
        pd.Series(["A1", None, "A1", " A1 ", np.nan, "", 7], index=list("abcdefg")), salt=SALT, prefix="p-"
    )
    assert list(s.index) == list("abcdefg") and s.dtype == "string"
    assert s["a"] == s["c"] == s["d"] and s["a"].startswith("p-") and len(s["a"]) == 2 + KEY_LENGTH
    assert s[["b", "e", "f"]].isna().all()
    assert s["g"] == pseudonym("7", salt=SALT, prefix="p-")
    assert pseudonym("A1", salt=SALT) != pseudonym("A1", salt=SALT + "x")
    import hmac

    expected = hmac.new(SALT.encode(), b"A1", "sha256").hexdigest()[:KEY_LENGTH]
    assert pseudonym("A1", salt=SALT) == expected
    with pytest.raises(HemstatsError, match="salt must be a non-empty string"):
        pseudonymize(["x"], salt="")


def test_project_salt_is_generated_once_and_kept(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    first = project_salt()
    file = tmp_path / ".hemstats" / "salt"
    assert file.is_file() and len(first) == 64
    assert stat.S_IMODE(os.stat(file).st_mode) == 0o600
    assert project_salt() == first
    other = project_salt(path=tmp_path / "other_salt")
    assert other != first
    assert project_salt("manifest-salt") == "manifest-salt"
    file.write_text("  \n")
    with pytest.raises(HemstatsError, match="salt file is empty"):
        project_salt()


def test_project_salt_in_an_unwritable_place_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("a file where the salt folder should be")
    with pytest.raises(HemstatsError, match=r"not_a_folder/salt: cannot create or read the salt file") as info:
        project_salt(path=blocker / "salt")
    assert str(tmp_path) not in str(info.value)
