"""scan_dicom on DICOM files written by pydicom, on broken files, through executors, and on real GE data."""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest

import dicom_files
from hemstats.errors import DataFormatError
from hemstats.io.dicom import FAILURE_COLUMNS, INSTANCE_COLUMNS, SERIES_COLUMNS, parse_age, scan_dicom
from hemstats.privacy import pseudonym

SALT = "test-salt"


#: Header of the CT files these tests write (override per file; None leaves a keyword out).
DEFAULTS = {
    "Modality": "CT",
    "Manufacturer": "TOSHIBA",
    "ManufacturerModelName": "Aquilion",
    "ConvolutionKernel": "FC23",
    "SliceThickness": "5.0",
    "KVP": "120",
    "XRayTubeCurrent": 200,
    "Exposure": 150,
    "PixelSpacing": ["0.45", "0.45"],
    "PatientID": "PID-1",
    "PatientName": "Doe^John",
    "PatientAge": "045Y",
    "PatientSex": "M",
}


def write_ct(path: Path, *, study: str, series: str, instance: int = 1, **fields) -> Path:
    """A small valid CT image file; ``fields`` set (or, with None, drop) header keywords."""
    header = {**DEFAULTS, "StudyInstanceUID": study, "SeriesInstanceUID": series, "InstanceNumber": instance}
    return dicom_files.write_ct(path, header={**header, **fields}, pixels=(8, 6))


@pytest.fixture()
def tree(tmp_path: Path) -> Path:
    """Two studies, three series, plus a text file, a cut header and cut pixel data."""
    root = tmp_path / "dicom"
    for i in range(3):
        write_ct(
            root / "s1" / "thin" / f"{i}.dcm",
            study="1.2.3.1",
            series="1.2.3.1.1",
            instance=i + 1,
            SliceThickness="1.0" if i < 2 else "2.0",
            XRayTubeCurrent=[100, 200, 400][i],
        )
    for i in range(2):
        write_ct(
            root / "s1" / "bone" / f"{i}.dcm",
            study="1.2.3.1",
            series="1.2.3.1.2",
            instance=i + 1,
            ConvolutionKernel=["FC30", "AIDR 3D"],
        )
    write_ct(
        root / "s2" / "a" / "0.dcm",
        study="1.2.3.2",
        series="1.2.3.2.1",
        PatientID="PID-2",
        PatientAge="006M",
        PatientSex="F",
        Manufacturer="SIEMENS",
        KVP=None,
        Exposure=None,
    )
    (root / "s2" / "readme.txt").write_text("not DICOM")
    good = (root / "s2" / "a" / "0.dcm").read_bytes()
    (root / "s2" / "cut_header.dcm").write_bytes(good[:300])
    (root / "s2" / "cut_pixels.dcm").write_bytes(good[:-20])
    return root


def test_series_rows_hold_the_header_values(tree: Path) -> None:
    scan = scan_dicom(tree, salt=SALT, progress=False)
    s = scan.series.set_index("folder")
    assert list(scan.series.columns) == list(SERIES_COLUMNS)
    assert len(s) == 3
    thin, bone, other = s.loc["s1/thin"], s.loc["s1/bone"], s.loc["s2/a"]
    assert thin["n_instances"] == 3 and bone["n_instances"] == 2 and other["n_instances"] == 1
    assert thin["manufacturer"] == "TOSHIBA" and thin["scanner_model"] == "Aquilion"
    assert thin["kernel"] == "FC23" and bone["kernel"] == "FC30/AIDR 3D"
    assert thin["slice_thickness_mm"] == 1.0  # most frequent
    assert (thin["slice_thickness_min_mm"], thin["slice_thickness_max_mm"]) == (1.0, 2.0)
    assert thin["tube_current_ma"] == 200.0  # median of 100, 200, 400
    assert thin["varying"] == "slice_thickness_mm/tube_current_ma"
    assert pd.isna(bone["varying"])
    assert thin["kvp"] == 120.0 and thin["exposure_mas"] == 150.0
    assert (thin["pixel_spacing_row_mm"], thin["rows"], thin["columns"]) == (0.45, 8, 6)
    assert thin["age_years"] == 45.0 and thin["sex"] == "M"
    assert other["age_years"] == 0.5 and other["sex"] == "F" and other["manufacturer"] == "SIEMENS"
    assert pd.isna(other["kvp"]) and pd.isna(other["exposure_mas"])  # absent stays missing
    assert thin["study_key"] == bone["study_key"] == pseudonym("1.2.3.1", salt=SALT)
    assert thin["series_key"] == pseudonym("1.2.3.1.1", salt=SALT)
    assert thin["patient_key"] == pseudonym("PID-1", salt=SALT) != other["patient_key"]
    assert s["n_instances"].dtype == "Int64" and s["kvp"].dtype == "Float64"


def test_broken_files_are_listed_and_the_scan_goes_on(tree: Path) -> None:
    scan = scan_dicom(tree, salt=SALT, progress=False)
    assert list(scan.failures.columns) == list(FAILURE_COLUMNS)
    reasons = dict(zip(scan.failures["path"], scan.failures["reason"]))
    assert set(reasons) == {"s2/readme.txt", "s2/cut_header.dcm", "s2/cut_pixels.dcm"}
    assert reasons["s2/readme.txt"].startswith("not a DICOM file")
    assert reasons["s2/cut_header.dcm"].startswith("truncated")
    assert reasons["s2/cut_pixels.dcm"].startswith("truncated: pixel data end")
    assert scan.n_files == 9


def test_per_instance_rows(tree: Path) -> None:
    scan = scan_dicom(tree, salt=SALT, progress=False, per_instance=True)
    inst = scan.instances
    assert list(inst.columns) == list(INSTANCE_COLUMNS)
    assert len(inst) == 6
    assert inst["path"].tolist() == sorted(inst["path"].tolist())
    assert inst.loc[inst.path == "s1/thin/2.dcm", "tube_current_ma"].item() == 400.0
    assert scan_dicom(tree, salt=SALT, progress=False).instances is None


def test_salt_changes_every_key(tree: Path) -> None:
    a = scan_dicom(tree, salt="one", progress=False).series
    b = scan_dicom(tree, salt="two", progress=False).series
    for col in ("study_key", "series_key", "patient_key"):
        assert not set(a[col]) & set(b[col])
    pd.testing.assert_frame_equal(
        a.drop(columns=["study_key", "series_key", "patient_key"]),
        b.drop(columns=["study_key", "series_key", "patient_key"]),
    )


def test_process_pool_and_any_executor_give_the_same_table(tree: Path) -> None:
    inline = scan_dicom(tree, salt=SALT, progress=False, per_instance=True)
    pooled = scan_dicom(tree, salt=SALT, progress=False, per_instance=True, max_workers=2, chunk_size=2)
    with ThreadPoolExecutor(max_workers=2) as ex:
        threaded = scan_dicom(tree, salt=SALT, progress=False, per_instance=True, executor=ex, chunk_size=1)
    for other in (pooled, threaded):
        pd.testing.assert_frame_equal(inline.series, other.series)
        pd.testing.assert_frame_equal(inline.instances, other.instances)
        pd.testing.assert_frame_equal(inline.failures, other.failures)


def test_dask_cluster_runs_the_scan_through_get_executor(tree: Path) -> None:
    distributed = pytest.importorskip("distributed")
    inline = scan_dicom(tree, salt=SALT, progress=False)
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
    ) as cluster:
        with distributed.Client(cluster) as client:
            scan = scan_dicom(tree, salt=SALT, progress=False, executor=client.get_executor(), chunk_size=2)
    pd.testing.assert_frame_equal(inline.series, scan.series)
    pd.testing.assert_frame_equal(inline.failures, scan.failures)


def test_list_of_files_and_single_file(tree: Path) -> None:
    files = sorted((tree / "s1" / "bone").glob("*.dcm"))
    scan = scan_dicom(files, salt=SALT, progress=False, per_instance=True)
    assert scan.series["n_instances"].tolist() == [2]
    assert scan.instances["path"].tolist() == ["0.dcm", "1.dcm"]
    single = scan_dicom(files[0], salt=SALT, progress=False)
    assert single.series["n_instances"].tolist() == [1]


def test_pattern_selects_files(tree: Path) -> None:
    scan = scan_dicom(tree, salt=SALT, progress=False, pattern="*.dcm")
    assert "s2/readme.txt" not in scan.failures["path"].tolist()


def test_missing_root_raises(tmp_path: Path) -> None:
    with pytest.raises(DataFormatError, match="no such file or folder"):
        scan_dicom(tmp_path / "nope", salt=SALT, progress=False)


def test_files_are_not_modified(tree: Path) -> None:
    before = {p: p.read_bytes() for p in tree.rglob("*") if p.is_file()}
    scan_dicom(tree, salt=SALT, progress=False, max_workers=2, chunk_size=3)
    assert before == {p: p.read_bytes() for p in tree.rglob("*") if p.is_file()}


@pytest.mark.parametrize(
    ("text", "years"),
    [
        ("045Y", 45.0),
        ("006M", 0.5),
        ("010W", 70 / 365.25),
        ("020D", 20 / 365.25),
        ("045y", 45.0),
        ("45", math.nan),
        ("", math.nan),
        (None, math.nan),
        ("Y045", math.nan),
    ],
)
def test_parse_age(text, years) -> None:
    got = parse_age(text)
    assert (math.isnan(got) and math.isnan(years)) or got == pytest.approx(years)


@pytest.mark.shared_data
def test_real_ge_and_philips_headers(shared_data: Path) -> None:
    scan = scan_dicom(shared_data / "sample_dicom", salt=SALT, progress=False, max_workers=2, chunk_size=8)
    series = scan.series
    ge = series[series["folder"] == "ge_hispeed_head"]
    assert len(ge) == 1
    ge = ge.iloc[0]
    assert ge["manufacturer"] == "GE MEDICAL SYSTEMS"
    assert ge["scanner_model"] == "HiSpeed Dual"
    assert ge["kernel"] == "STD+"
    assert ge["kvp"] == 120.0
    assert ge["n_instances"] == 28
    # two acquisition blocks: 14 slices at 4 mm / 180 mA, 14 at 7 mm / 160 mA (SOURCE.md)
    assert (ge["slice_thickness_min_mm"], ge["slice_thickness_max_mm"], ge["slice_thickness_mm"]) == (4.0, 7.0, 4.0)
    assert ge["tube_current_ma"] == 170.0
    assert ge["pixel_spacing_row_mm"] == pytest.approx(0.4882812)
    philips = series[series["folder"] == "philips_ingenuity_head_phantom"]
    assert set(philips["manufacturer"]) == {"Philips"}
    assert set(philips["scanner_model"]) == {"Ingenuity CT"}
    assert set(philips["kernel"]) == {"UB"}
    assert philips["n_instances"].sum() == 4
    assert scan.failures["path"].tolist() == ["SOURCE.md"]


def test_empty_folder_gives_empty_tables_with_every_column(tmp_path: Path) -> None:
    scan = scan_dicom(tmp_path, salt=SALT, progress=False, per_instance=True)
    assert list(scan.series.columns) == list(SERIES_COLUMNS) and len(scan.series) == 0
    assert list(scan.instances.columns) == list(INSTANCE_COLUMNS) and len(scan.failures) == 0
    assert scan.n_files == 0


def test_headers_longer_than_the_first_read_are_read_whole(tmp_path: Path) -> None:
    from pydicom.dataset import Dataset
    from pydicom.sequence import Sequence

    items = []
    for i in range(1500):  # about 60 KB of sequence before the pixel data
        item = Dataset()
        item.ReferencedSOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
        item.ReferencedSOPInstanceUID = f"1.2.826.0.1.3680043.10.{i}"
        items.append(item)
    write_ct(tmp_path / "big.dcm", study="1.2.3", series="1.2.3.4", ReferencedImageSequence=Sequence(items))
    path = tmp_path / "big.dcm"
    assert path.stat().st_size > 64 * 1024
    # KVP, Rows, UIDs and the pixel data all come after the sequence (0008,1140)
    scan = scan_dicom(tmp_path, salt=SALT, progress=False)
    assert len(scan.failures) == 0
    row = scan.series.iloc[0]
    assert row["n_instances"] == 1 and row["kvp"] == 120.0 and row["rows"] == 8
    cut = tmp_path / "cut" / "big.dcm"
    cut.parent.mkdir()
    cut.write_bytes(path.read_bytes()[:50_000])  # cut inside the long sequence
    failed = scan_dicom(cut.parent, salt=SALT, progress=False).failures
    assert failed["reason"].str.contains("truncated|unreadable").all() and len(failed) == 1
