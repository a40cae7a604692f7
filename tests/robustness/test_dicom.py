"""Bad inputs to the DICOM header scan: each ends in a HemstatsError naming the option, a listed
failure or skip with its reason, or a note naming the field, never a raw exception or a hang;
the scanned files are never changed."""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Callable
from pathlib import Path

import dicom_files
import pytest

from hemstats.errors import DataFormatError, HemstatsError

SALT = "robust"
HEADER = {
    "Modality": "CT",
    "Manufacturer": "GE MEDICAL SYSTEMS",
    "ConvolutionKernel": "STANDARD",
    "SliceThickness": "5.0",
    "KVP": "120",
    "XRayTubeCurrent": 200,
    "PixelSpacing": ["0.45", "0.45"],
    "PatientID": "P1",
    "PatientAge": "045Y",
    "StudyInstanceUID": "1.2.3",
    "SeriesInstanceUID": "1.2.3.4",
}


def good(root: Path, name: str = "good.dcm", **fields) -> Path:
    return dicom_files.write_ct(root / name, header={**HEADER, **fields})


def patched(root: Path, old: bytes, new: bytes, **fields) -> None:
    path = good(root, "bad.dcm", **fields)
    path.write_bytes(path.read_bytes().replace(old, new, 1))


def _socket(root: Path) -> None:
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(root / "bad.dcm"))  # the socket file stays after close
    sock.close()


# (name, writer of the bad input into root, outcome): outcome is ("failure", reason regex) for
# root/bad.dcm, or ("note", DICOM keyword, reason regex), or ("value", column, expected).
FILE_CASES: list[tuple[str, Callable[[Path], None], tuple]] = [
    ("cut-header", lambda r: (r / "bad.dcm").write_bytes(good(r).read_bytes()[:300]), ("failure", "^truncated")),
    ("cut-pixels", lambda r: (r / "bad.dcm").write_bytes(good(r).read_bytes()[:-10]), ("failure", "^truncated: pixel data")),
    ("cut-in-meta", lambda r: (r / "bad.dcm").write_bytes(good(r).read_bytes()[:150]), ("failure", "truncated|not a DICOM")),
    ("preamble-only", lambda r: (r / "bad.dcm").write_bytes(b"\0" * 128 + b"DICM"), ("failure", "truncated|unreadable")),
    ("text-file", lambda r: (r / "bad.dcm").write_text("patient list\n"), ("failure", "^not a DICOM file")),
    ("zero-bytes", lambda r: (r / "bad.dcm").write_bytes(b""), ("failure", "not a DICOM file|truncated")),
    ("random-bytes", lambda r: (r / "bad.dcm").write_bytes(os.urandom(4096)), ("failure", "^not a DICOM file")),
    ("png", lambda r: (r / "bad.dcm").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 200), ("failure", "^not a DICOM file")),
    ("fifo", lambda r: os.mkfifo(r / "bad.dcm"), ("failure", r"^not a regular file \(a FIFO")),
    ("socket", _socket, ("failure", r"^not a regular file \(a socket")),
    ("broken-link", lambda r: (r / "bad.dcm").symlink_to(r / "gone.dcm"), ("failure", "^broken symbolic link")),
    ("link-loop", lambda r: (r / "bad.dcm").symlink_to(r / "bad.dcm"), ("failure", "^broken symbolic link")),
    ("no-series-uid", lambda r: good(r, "bad.dcm", SeriesInstanceUID=None), ("failure", "^no SeriesInstanceUID")),
    ("kvp-out-of-range", lambda r: good(r, "bad.dcm", KVP="1200"), ("note", "KVP", "1200 kV is outside")),
    ("ma-9e99", lambda r: patched(r, b"7777", b"9e99", XRayTubeCurrent="7777"), ("note", "XRayTubeCurrent", "9e\\+99 mA")),
    ("mas-negative", lambda r: good(r, "bad.dcm", Exposure="-10"), ("note", "Exposure", "outside the physical range")),
    ("thickness-zero", lambda r: good(r, "bad.dcm", SliceThickness="0"), ("note", "SliceThickness", "0 mm is outside")),
    ("spacing-huge", lambda r: good(r, "bad.dcm", PixelSpacing=["45", "45"]), ("note", "PixelSpacing", "45 mm is outside")),
    ("age-999", lambda r: good(r, "bad.dcm", PatientAge="999Y"), ("note", "PatientAge", "999 years is outside")),
    ("age-garbage", lambda r: patched(r, b"045Y", b"4X5Y"), ("note", "PatientAge", "not a DICOM age string")),
    ("kvp-abc", lambda r: patched(r, b"987", b"abc", KVP="987"), ("note", "KVP", "not a number|not readable")),
    ("kvp-nan", lambda r: patched(r, b"987", b"nan", KVP="987"), ("note", "KVP", "not a finite number|not readable")),
    ("kvp-multi", lambda r: good(r, "bad.dcm", KVP="1\\2"), ("note", "KVP", "has 2 values where one")),
    ("spacing-one", lambda r: good(r, "bad.dcm", PixelSpacing="0.5"), ("note", "PixelSpacing", "has 1 value where 2")),
    ("utf8-charset", lambda r: good(r, "bad.dcm", SpecificCharacterSet="ISO_IR 192", Manufacturer="Сименс Ñ"), ("value", "manufacturer", "Сименс Ñ")),
    ("latin1-charset", lambda r: good(r, "bad.dcm", SpecificCharacterSet="ISO_IR 100", Manufacturer="Müller"), ("value", "manufacturer", "Müller")),
    ("unknown-charset", lambda r: good(r, "bad.dcm", SpecificCharacterSet="ISO_IR 999"), ("value", "kvp", 120.0)),
]


@pytest.mark.parametrize(("write", "outcome"), [c[1:] for c in FILE_CASES], ids=[c[0] for c in FILE_CASES])
def test_bad_files_are_listed_or_noted_never_raised(tmp_path: Path, frozen_inputs, write, outcome) -> None:
    root = tmp_path / "tree"
    root.mkdir()
    write(root)
    if not (root / "good.dcm").exists():
        good(root)
    frozen_inputs(root)
    for kwargs in ({}, {"max_workers": 2, "chunk_size": 1}):
        scan = dicom_files.scan_in_thread(root, salt=SALT, progress=False, per_instance=True, **kwargs)
        failures = dict(zip(scan.failures["path"], scan.failures["reason"]))
        if outcome[0] == "failure":
            assert list(failures) == ["bad.dcm"]
            assert re.search(outcome[1], failures["bad.dcm"]), failures
            assert scan.instances["path"].tolist() == ["good.dcm"]
        elif outcome[0] == "note":
            assert failures == {}
            notes = scan.notes
            assert set(notes["field"]) == {outcome[1]}, notes
            assert notes["reason"].str.contains(outcome[2]).all(), notes["reason"].tolist()
            assert notes["series_key"].notna().all() and set(notes["n_files"]) == {1}
        else:
            assert failures == {}
            bad = scan.instances.set_index("path").loc["bad.dcm"]
            assert bad[outcome[1]] == outcome[2]


OPTION_CASES = [
    ({"max_workers": -1}, "max_workers"),
    ({"max_workers": 0}, "max_workers"),
    ({"max_workers": 2.5}, "max_workers"),
    ({"max_workers": "2"}, "max_workers"),
    ({"max_workers": True}, "max_workers"),
    ({"chunk_size": 0}, "chunk_size"),
    ({"chunk_size": "8"}, "chunk_size"),
    ({"salt": ""}, "salt"),
    ({"salt": 123}, "salt"),
    ({"progress": "no"}, "progress"),
    ({"per_instance": None}, "per_instance"),
    ({"pattern": ""}, "pattern"),
    ({"pattern": ["*.dcm"]}, "pattern"),
    ({"executor": object()}, "executor"),
]


@pytest.mark.parametrize(("kwargs", "option"), OPTION_CASES, ids=[f"{k}={v!r}" for k, v in (next(iter(c[0].items())) for c in OPTION_CASES)])
def test_bad_options_raise_naming_the_option(tmp_path: Path, frozen_inputs, kwargs, option) -> None:
    good(tmp_path)
    frozen_inputs(tmp_path)
    with pytest.raises(HemstatsError, match=f"scan_dicom: {option} must"):
        dicom_files.scan_in_thread(tmp_path, **{"salt": SALT, "progress": False, **kwargs})


@pytest.mark.parametrize(
    ("make_root", "error", "match"),
    [
        (lambda r: r / "missing", DataFormatError, r"missing: no such file or folder .*\(root\)"),
        (lambda r: (os.mkfifo(r / "p.dcm"), r / "p.dcm")[1], DataFormatError, r"p.dcm: not a regular file or folder"),
        (lambda r: 3.5, HemstatsError, "scan_dicom: root must be"),
        (lambda r: [r / "a.dcm", 7], HemstatsError, "scan_dicom: root item 1 is not a file path"),
    ],
    ids=["missing-root", "fifo-root", "number-root", "list-with-number"],
)
def test_bad_roots_raise_naming_root(tmp_path: Path, frozen_inputs, make_root, error, match) -> None:
    good(tmp_path, "a.dcm")
    root = make_root(tmp_path)
    frozen_inputs(tmp_path / "a.dcm")
    with pytest.raises(error, match=match):
        dicom_files.scan_in_thread(root, salt=SALT, progress=False)
