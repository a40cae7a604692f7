"""scan_dicom on DICOM files written by pydicom, on broken files, through executors, and on real GE data."""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import dicom_files
import pandas as pd
import pytest

from hemstats.errors import DataFormatError, HemstatsError
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
    assert inst is not None
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
    assert scan.instances is not None and scan.instances["path"].tolist() == ["0.dcm", "1.dcm"]
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
    assert scan.instances is not None and list(scan.instances.columns) == list(INSTANCE_COLUMNS) and len(scan.failures) == 0
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


# -- issue 10: silent wrong numbers, options, hangs, interrupts, privacy ---------------------------------
def _one_series(root: Path, n: int = 1, **fields) -> Path:
    for i in range(n):
        write_ct(root / "ser" / f"{i}.dcm", study="1.2.9", series="1.2.9.1", instance=i + 1, **fields)
    return root


def test_out_of_range_numbers_are_missing_with_a_note_naming_series_and_field(tmp_path: Path) -> None:
    _one_series(
        tmp_path,
        n=2,
        XRayTubeCurrent="99999",
        KVP="0",
        SliceThickness="500",
        PixelSpacing=["0.45", "50"],
        Exposure="-5",
        PatientAge="200Y",
    )
    scan = scan_dicom(tmp_path, salt=SALT, progress=False, per_instance=True)
    row = scan.series.iloc[0]
    for col in ("tube_current_ma", "kvp", "slice_thickness_mm", "pixel_spacing_col_mm", "exposure_mas", "age_years"):
        assert pd.isna(row[col]), col
    assert row["pixel_spacing_row_mm"] == 0.45 and len(scan.failures) == 0
    notes = scan.notes
    assert list(notes.columns) == ["series_key", "folder", "field", "n_files", "reason"]
    assert set(notes["series_key"]) == {pseudonym("1.2.9.1", salt=SALT)}
    assert set(notes["folder"]) == {"ser"} and set(notes["n_files"]) == {2}
    by_field = dict(zip(notes["field"], notes["reason"]))
    assert set(by_field) == {"XRayTubeCurrent", "KVP", "SliceThickness", "PixelSpacing", "Exposure", "PatientAge"}
    assert by_field["XRayTubeCurrent"].startswith("99999 mA is outside the physical range 1-2000 mA")
    assert "age_years" in by_field["PatientAge"]


def test_a_tube_current_of_9e99_is_not_a_number_of_milliamperes(tmp_path: Path) -> None:
    path = write_ct(tmp_path / "a.dcm", study="1.2.9", series="1.2.9.1", XRayTubeCurrent="7777")
    path.write_bytes(path.read_bytes().replace(b"7777", b"9e99"))  # IS, as a broken writer left it
    scan = scan_dicom(tmp_path, salt=SALT, progress=False)
    assert pd.isna(scan.series["tube_current_ma"].item())
    assert scan.notes["field"].tolist() == ["XRayTubeCurrent"]
    # a valid XRayTubeCurrentInmA still gives the current
    write_ct(tmp_path / "b" / "a.dcm", study="1.2.9", series="1.2.9.2", XRayTubeCurrent="99999", XRayTubeCurrentInmA=180.5)
    scan = scan_dicom(tmp_path / "b", salt=SALT, progress=False)
    assert scan.series["tube_current_ma"].item() == 180.5 and scan.notes["field"].tolist() == ["XRayTubeCurrent"]


@pytest.mark.parametrize(
    ("fields", "keyword", "reason"),
    [
        ({"KVP": "1\\2"}, "KVP", "has 2 values where one is expected"),
        ({"SliceThickness": "1\\2\\3"}, "SliceThickness", "has 3 values"),
        ({"PixelSpacing": "0.5"}, "PixelSpacing", "has 1 value where 2 are expected"),
        ({"PatientAge": "45"}, "PatientAge", "not a DICOM age string"),
    ],
)
def test_unusable_values_get_a_note(tmp_path: Path, fields, keyword, reason) -> None:
    _one_series(tmp_path, **fields)
    notes = scan_dicom(tmp_path, salt=SALT, progress=False).notes
    assert notes["field"].tolist() == [keyword] and reason in notes["reason"].item()


def test_garbage_numeric_text_is_missing_with_a_note(tmp_path: Path) -> None:
    path = write_ct(tmp_path / "a.dcm", study="1.2.9", series="1.2.9.1", KVP="987")
    path.write_bytes(path.read_bytes().replace(b"987", b"abc"))
    scan = scan_dicom(tmp_path, salt=SALT, progress=False)
    assert pd.isna(scan.series["kvp"].item()) and scan.notes["field"].tolist() == ["KVP"]


def test_a_clean_scan_has_an_empty_notes_table(tree: Path) -> None:
    notes = scan_dicom(tree, salt=SALT, progress=False).notes
    assert len(notes) == 0 and list(notes.columns) == ["series_key", "folder", "field", "n_files", "reason"]


@pytest.mark.parametrize("salt", ["", "   ", 0, b"bytes"])
def test_an_empty_or_non_text_salt_is_an_error_up_front(tree: Path, salt) -> None:
    with pytest.raises(HemstatsError, match="salt must be a non-empty string"):
        scan_dicom(tree, salt=salt, progress=False)


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("max_workers", -1),
        ("max_workers", 0),
        ("max_workers", 2.5),
        ("max_workers", "2"),
        ("max_workers", True),
        ("chunk_size", 0),
        ("chunk_size", -3),
        ("chunk_size", 1.0),
        ("chunk_size", False),
        ("progress", "yes"),
        ("per_instance", 1),
        ("pattern", ""),
        ("pattern", 5),
        ("executor", "pool"),
    ],
)
def test_bad_options_name_the_option(tree: Path, option, value) -> None:
    with pytest.raises(HemstatsError, match=f"scan_dicom: {option} must"):
        scan_dicom(tree, **{"salt": SALT, "progress": False, option: value})


@pytest.mark.parametrize("root", [None, 42, b"/tmp", "", [1, 2], ["a.dcm", None]])
def test_bad_roots_name_root(root) -> None:
    with pytest.raises(HemstatsError, match="root"):
        scan_dicom(root, salt=SALT, progress=False)


def test_friends_check_their_options(tmp_path: Path) -> None:
    from hemstats.io.dicom import instance_row, list_files

    with pytest.raises(HemstatsError, match="list_files: pattern"):
        list_files(tmp_path, pattern="")
    with pytest.raises(HemstatsError, match="list_files: root"):
        list_files(None)  # type: ignore[arg-type]
    with pytest.raises(HemstatsError, match="instance_row: ds"):
        instance_row({"KVP": 120}, salt=SALT)
    import pydicom

    with pytest.raises(HemstatsError, match="instance_row: salt"):
        instance_row(pydicom.Dataset(), salt="")


@pytest.mark.parametrize("pooled", [False, True])
def test_fifos_sockets_devices_and_broken_links_are_listed_not_opened(tmp_path: Path, pooled: bool) -> None:
    import os
    import socket

    root = tmp_path / "t"
    write_ct(root / "good.dcm", study="1.2.9", series="1.2.9.1")
    os.mkfifo(root / "pipe.dcm")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(root / "sock.dcm"))
    (root / "dangling.dcm").symlink_to(root / "nowhere.dcm")
    (root / "loop.dcm").symlink_to(root / "loop.dcm")
    (root / "link.dcm").symlink_to(root / "good.dcm")  # a link to a regular file is read
    (root / "folder.dcm").mkdir()
    try:
        kwargs = {"max_workers": 2, "chunk_size": 1} if pooled else {}
        scan = dicom_files.scan_in_thread(root, salt=SALT, progress=False, per_instance=True, **kwargs)
        # the same through a list of files, including the folder and a device
        listed = dicom_files.scan_in_thread(
            [root / n for n in ("good.dcm", "pipe.dcm", "sock.dcm", "dangling.dcm", "folder.dcm")] + ["/dev/null"],
            salt=SALT,
            progress=False,
        )
    finally:
        sock.close()
    assert sorted(scan.instances["path"]) == ["good.dcm", "link.dcm"]
    reasons = dict(zip(scan.failures["path"], scan.failures["reason"]))
    assert set(reasons) == {"pipe.dcm", "sock.dcm", "dangling.dcm", "loop.dcm"}
    assert reasons["pipe.dcm"].startswith("not a regular file (a FIFO")
    assert reasons["sock.dcm"].startswith("not a regular file (a socket")
    assert reasons["dangling.dcm"].startswith("broken symbolic link")
    reasons = dict(zip(listed.failures["path"], listed.failures["reason"]))
    assert len(reasons) == 5 and listed.series["n_instances"].sum() == 1
    assert "a character device" in reasons["dev/null"] and "a folder" in reasons["tmp" + str(root / "folder.dcm")[4:]]


def test_a_fifo_passed_as_root_is_an_error_not_a_hang(tmp_path: Path) -> None:
    import os

    os.mkfifo(tmp_path / "pipe.dcm")
    with pytest.raises(DataFormatError, match="not a regular file or folder"):
        dicom_files.scan_in_thread(tmp_path / "pipe.dcm", salt=SALT, progress=False)


_INTERRUPTED_SCAN = r"""
import json, os, sys, threading, time
import hemstats.io.dicom_read as reader
from hemstats.io.dicom import scan_dicom

slow_read = reader._read_file
def read_slowly(*args):
    time.sleep(0.5)
    return slow_read(*args)
reader._read_file = read_slowly  # inherited by the forked workers

def children():
    out = set()
    for task in os.listdir(f"/proc/{os.getpid()}/task"):
        try:
            out |= {int(x) for x in open(f"/proc/{os.getpid()}/task/{task}/children").read().split()}
        except OSError:
            pass
    return sorted(out)

def announce():
    while len(children()) < 2:
        time.sleep(0.05)
    time.sleep(0.5)
    print("started", json.dumps(children()), flush=True)

threading.Thread(target=announce, daemon=True).start()
try:
    scan_dicom(sys.argv[1], salt="s", progress=False, max_workers=2, chunk_size=1)
    print("finished", flush=True)
except KeyboardInterrupt:
    t0 = time.perf_counter()
    print("interrupted", json.dumps(children()), flush=True)
"""


def test_an_interrupt_stops_every_worker_of_the_pool(tmp_path: Path) -> None:
    import json
    import os
    import signal
    import subprocess
    import sys
    import time

    src = write_ct(tmp_path / "tree" / "0.dcm", study="1.2.9", series="1.2.9.1")
    for i in range(1, 60):  # 60 files x 0.5 s / 2 workers = 15 s when not interrupted
        (tmp_path / "tree" / f"{i}.dcm").write_bytes(src.read_bytes())
    script = tmp_path / "scan.py"
    script.write_text(_INTERRUPTED_SCAN)
    proc = subprocess.Popen(
        [sys.executable, str(script), str(tmp_path / "tree")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    try:
        assert proc.stdout is not None and proc.stderr is not None
        started = proc.stdout.readline().split(maxsplit=1)
        assert started[0] == "started", started + [proc.stderr.read()]
        workers = json.loads(started[1])
        assert len(workers) >= 2
        t0 = time.perf_counter()
        proc.send_signal(signal.SIGINT)  # the caller only, as when a notebook kernel is interrupted
        line = proc.stdout.readline().split(maxsplit=1)
        elapsed = time.perf_counter() - t0
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert line[0] == "interrupted", line
    assert json.loads(line[1]) == [], "worker processes left running after the interrupt"
    assert elapsed < 5, f"the interrupt waited {elapsed:.1f} s for the remaining chunks"
    for pid in workers:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            continue
        with open(f"/proc/{pid}/stat") as fh:  # a recycled pid would be another program
            assert "python" not in fh.read().split(")")[0], f"worker {pid} still running"


def test_no_identifying_value_in_any_table_note_failure_or_error(tmp_path: Path, capfd) -> None:
    planted = {
        "PatientName": "Smirnova^Olga^Petrovna",
        "PatientID": "MRN-55555-X",
        "PatientBirthDate": "19580317",
        "AccessionNumber": "ACC-777-Q",
        "InstitutionName": "Saint Hildegard Hospital",
        "ReferringPhysicianName": "Dr^Kowalczyk",
        "StudyInstanceUID": "1.2.826.0.1.555.1",
        "SeriesInstanceUID": "1.2.826.0.1.555.1.2",
    }
    root = tmp_path / "p"
    for i, bad in enumerate([{}, {"XRayTubeCurrent": "99999", "PatientAge": "45"}, {"KVP": "1\\2"}]):
        header = {**DEFAULTS, **planted, "InstanceNumber": i + 1, **bad}
        dicom_files.write_ct(root / f"{i}.dcm", header=header)
    whole = (root / "0.dcm").read_bytes()
    (root / "cut.dcm").write_bytes(whole[: whole.index(b"Saint") + 8])
    (root / "bad_uid.dcm").write_bytes(whole.replace(b"1.2.826.0.1.555.1.2", b"1.2.826.0.1.555.1\xff\xfe"))
    (root / "not_dicom.dcm").write_bytes(b"Smirnova Olga " * 50)
    outputs = []
    scans = [scan_dicom(root, salt=SALT, progress=False, per_instance=True, **kw) for kw in ({}, {"max_workers": 2, "chunk_size": 1})]  # type: ignore[arg-type]
    for scan in scans:
        assert len(scan.notes) >= 2 and len(scan.failures) >= 2 and scan.instances is not None
        for df in (scan.series, scan.instances, scan.failures, scan.notes):
            outputs.append(df.astype(str).to_csv(index=False))
    for kwargs in ({"salt": ""}, {"max_workers": "MRN-55555-X"}, {"pattern": ""}):
        with pytest.raises(HemstatsError) as err:
            scan_dicom(root, progress=False, **{"salt": SALT, **kwargs})  # type: ignore[arg-type]
        outputs.append(str(err.value))
    captured = capfd.readouterr()
    outputs.append(captured.out + captured.err)
    text = "\n".join(outputs)
    pieces = [p for v in planted.values() for p in v.replace("^", " ").split()] + ["555", "Hildegard"]
    leaked = sorted({p for p in pieces if len(p) > 3 and p.lower() in text.lower()})
    assert leaked == []


def test_a_worker_that_dies_is_a_clear_error_not_a_broken_pool(tree: Path, monkeypatch) -> None:
    import os

    import hemstats.io.dicom_read as reader

    real = reader._read_file

    def crash_on_bone(path, *args):
        if "bone" in path:
            os._exit(1)  # as a segfault or an out-of-memory kill would end the worker
        return real(path, *args)

    monkeypatch.setattr(reader, "_read_file", crash_on_bone)  # inherited by the forked workers
    with pytest.raises(HemstatsError, match="scan_dicom: a worker process died"):
        scan_dicom(tree, salt=SALT, progress=False, max_workers=2, chunk_size=1)
