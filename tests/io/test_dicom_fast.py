"""The fast header reader against the pydicom one: equal tables on real and on edge-case files."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import dicom_files
import pandas as pd
import pytest

from hemstats.errors import HemstatsError
from hemstats.io.dicom import scan_dicom

SALT = "differential"
HEADER = {
    "Modality": "CT",
    "Manufacturer": "SIEMENS",
    "ManufacturerModelName": "SOMATOM Force",
    "ConvolutionKernel": "Hr38",
    "SliceThickness": "1.0",
    "KVP": "120",
    "XRayTubeCurrent": 250,
    "Exposure": 180,
    "PixelSpacing": ["0.43", "0.43"],
    "PatientID": "PID-7",
    "PatientName": "Doe^Jane",
    "PatientAge": "067Y",
    "PatientSex": "F",
    "StudyInstanceUID": "1.2.40.1",
}
IMPLICIT, EXPLICIT, BIG, DEFLATED = "1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2", "1.2.840.10008.1.2.1.99"


def _write(root: Path, name: str, *, series: str, syntax: str = EXPLICIT, **fields) -> Path:
    header = {**HEADER, "SeriesInstanceUID": f"1.2.40.1.{series}", "InstanceNumber": 1, **fields}
    return dicom_files.write_ct(root / name, header=header, pixels=(6, 5), transfer_syntax=syntax)


def _edge_tree(root: Path) -> dict[str, bool]:
    """Edge-case files; returns name -> whether the fast reader should read it (False: pydicom does)."""
    fast = {}
    for i in range(3):
        _write(root, f"plain/{i}.dcm", series="1", InstanceNumber=i + 1, XRayTubeCurrent=200 + 50 * i)
        fast[f"plain/{i}.dcm"] = True
    cases = {
        "multi_kernel.dcm": ({"ConvolutionKernel": ["FC30", "AIDR 3D"]}, EXPLICIT, True),
        "missing_tags.dcm": ({"KVP": None, "PatientID": None, "ConvolutionKernel": None, "PatientAge": None}, EXPLICIT, True),
        "empty_values.dcm": ({"KVP": "", "Manufacturer": "", "PatientSex": ""}, EXPLICIT, True),
        "latin1.dcm": ({"SpecificCharacterSet": "ISO_IR 100", "Manufacturer": "Müller Ärzte"}, EXPLICIT, True),
        "utf8.dcm": ({"SpecificCharacterSet": "ISO_IR 192", "Manufacturer": "Сименс 東芝"}, EXPLICIT, True),
        "cyrillic.dcm": ({"SpecificCharacterSet": "ISO_IR 144", "ManufacturerModelName": "Томограф"}, EXPLICIT, True),
        "japanese.dcm": ({"SpecificCharacterSet": ["", "ISO 2022 IR 87"], "Manufacturer": "東芝"}, EXPLICIT, True),
        "unknown_charset.dcm": ({"SpecificCharacterSet": "ISO_IR 999"}, EXPLICIT, True),
        "out_of_range.dcm": ({"XRayTubeCurrent": "99999", "KVP": "0", "PatientAge": "300Y"}, EXPLICIT, True),
        "multi_values.dcm": ({"KVP": "1\\2", "PixelSpacing": "0.5"}, EXPLICIT, True),
        "no_series.dcm": ({"SeriesInstanceUID": None}, EXPLICIT, True),
        "implicit.dcm": ({}, IMPLICIT, True),
        "implicit_latin1.dcm": ({"SpecificCharacterSet": "ISO_IR 100", "Manufacturer": "Müller"}, IMPLICIT, True),
        "big_endian.dcm": ({}, BIG, False),
        "deflated.dcm": ({}, DEFLATED, False),
    }
    for i, (name, (fields, syntax, by_fast)) in enumerate(cases.items()):
        _write(root, f"edge/{name}", series=str(10 + i), syntax=syntax, **fields)  # type: ignore[arg-type]
        fast[f"edge/{name}"] = by_fast
    whole = (root / "plain" / "0.dcm").read_bytes()
    for name, data in {
        "cut_header.dcm": whole[:300],
        "cut_pixels.dcm": whole[:-9],
        "no_pixels.dcm": whole[: whole.index(b"\xe0\x7f\x10\x00")],
        "preamble_only.dcm": whole[:132],
        "empty.dcm": b"",
        "text.dcm": b"not a DICOM file\n" * 20,
        "no_preamble.dcm": whole[132:],
    }.items():
        (root / "broken" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "broken" / name).write_bytes(data)
        fast[f"broken/{name}"] = False
    os.mkfifo(root / "broken" / "pipe.dcm")
    return fast


def _assert_same(a, b) -> None:
    for table in ("series", "instances", "failures", "notes"):
        pd.testing.assert_frame_equal(getattr(a, table), getattr(b, table), obj=table)


def test_both_readers_give_equal_tables_on_edge_cases(tmp_path: Path) -> None:
    _edge_tree(tmp_path)
    slow = scan_dicom(tmp_path, salt=SALT, progress=False, per_instance=True, reader="pydicom")
    fast = scan_dicom(tmp_path, salt=SALT, progress=False, per_instance=True, reader="fast")
    _assert_same(slow, fast)
    assert len(slow.series) >= 14 and len(slow.failures) >= 8 and len(slow.notes) >= 4  # the cases are live
    assert slow.instances is not None
    decoded = set(slow.instances["manufacturer"].dropna()) | set(slow.instances["scanner_model"].dropna())
    assert {"Müller Ärzte", "Сименс 東芝", "Томограф", "東芝", "Müller"} <= decoded
    pooled = scan_dicom(tmp_path, salt=SALT, progress=False, per_instance=True, reader="fast", max_workers=2, chunk_size=4)
    _assert_same(slow, pooled)


def test_the_fast_reader_reads_the_plain_files_itself_and_hands_the_rest_to_pydicom(tmp_path: Path) -> None:
    from hemstats.io.dicom_read import _fast

    expected = _edge_tree(tmp_path)
    for name, by_fast in expected.items():
        if name.endswith("pipe.dcm"):
            continue
        assert (_fast(str(tmp_path / name), SALT) is not None) == by_fast, name


def test_dask_executor_with_the_fast_reader(tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    _edge_tree(tmp_path)
    inline = scan_dicom(tmp_path, salt=SALT, progress=False, per_instance=True, reader="pydicom")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            scan = scan_dicom(
                tmp_path, salt=SALT, progress=False, per_instance=True, reader="fast", executor=client.get_executor(), chunk_size=5
            )
    _assert_same(inline, scan)


def test_reader_option_is_checked() -> None:
    with pytest.raises(HemstatsError, match="scan_dicom: reader must be"):
        scan_dicom(".", salt=SALT, reader="dcmtk")  # type: ignore[arg-type]


@pytest.mark.shared_data
def test_both_readers_give_equal_tables_on_real_ge_and_philips_series(shared_data: Path) -> None:
    root = shared_data / "sample_dicom"
    slow = scan_dicom(root, salt=SALT, progress=False, per_instance=True, reader="pydicom")
    fast = scan_dicom(root, salt=SALT, progress=False, per_instance=True, reader="fast", max_workers=2, chunk_size=8)
    _assert_same(slow, fast)
    assert fast.series["n_instances"].sum() == 32 and fast.failures["path"].tolist() == ["SOURCE.md"]


@pytest.mark.parametrize("seed", [20261201, 7])
def test_corrupt_headers_give_the_same_row_or_failure_with_both_readers(tmp_path: Path, seed: int) -> None:
    """Seeded random byte flips and cuts in the header: the fast reader hands every file
    pydicom would read differently to pydicom, so rows, notes and failure reasons stay the same."""
    import random

    src = _write(tmp_path / "src", "a.dcm", series="1", ConvolutionKernel=["FC30", "AIDR 3D"]).read_bytes()
    pixels = src.index(b"\xe0\x7f\x10\x00")
    rng = random.Random(seed)
    root = tmp_path / "fuzz"
    root.mkdir()
    for i in range(150):
        data = bytearray(src)
        for _ in range(rng.randint(1, 6)):
            data[rng.randint(0, pixels + 12)] = rng.randrange(256)
        if rng.random() < 0.3:
            data = data[: rng.randint(132, len(data))]
        (root / f"{i:02d}.dcm").write_bytes(bytes(data))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pydicom warns about the corrupt values it reads
        slow = scan_dicom(root, salt=SALT, progress=False, per_instance=True, reader="pydicom")
        fast = scan_dicom(root, salt=SALT, progress=False, per_instance=True, reader="fast")
    _assert_same(slow, fast)
    assert slow.instances is not None and len(slow.instances) > 10 and len(slow.failures) > 10  # both outcomes occur



def test_each_part_of_a_row_is_converted_once_and_gives_the_same_row(tmp_path: Path) -> None:
    """raw_header_row keeps the parts of a row; a file sharing some parts with an earlier one
    (same series, other instance number and tube current) gets exactly the row and notes of
    the uncached conversion."""
    from hemstats.io import dicom_header
    from hemstats.io.dicom_fast import walk
    from hemstats.io.dicom_header import ROW_COLUMNS, clear_cache, header_row, header_values, raw_header_row

    paths = [
        _write(tmp_path, f"{i}.dcm", series="1", InstanceNumber=i + 1, XRayTubeCurrent=[250, 300, 99999][i], KVP="1\\2")
        for i in range(3)
    ]
    clear_cache()
    for path in paths:
        data = path.read_bytes()
        got = walk(data[:8192], len(data))
        assert isinstance(got, tuple)
        implicit, raw = got
        fresh = header_row(header_values(dicom_header._RawDataset(_elements(raw, implicit))), SALT)
        assert raw_header_row(raw, implicit, SALT) == fresh
        assert tuple(fresh[0]) == ROW_COLUMNS  # the order of INSTANCE_COLUMNS
    assert len(dicom_header._ROWS) == 1 + 3 + 3 + 1  # static part and exposure once; instance number and current thrice
    assert {n[0] for n in fresh[1]} == {"KVP", "XRayTubeCurrent"}
    clear_cache()
    assert not dicom_header._ROWS


def _elements(raw: dict, implicit: bool) -> dict:
    from pydicom.dataelem import RawDataElement
    from pydicom.tag import BaseTag

    return {t: RawDataElement(BaseTag(t), vr and vr.decode(), len(v), v, 0, implicit, True) for t, (vr, v) in raw.items()}


def test_instance_columns_follow_the_row_columns() -> None:
    from hemstats.io.dicom import INSTANCE_COLUMNS
    from hemstats.io.dicom_header import ROW_COLUMNS

    assert ("path", *ROW_COLUMNS) == INSTANCE_COLUMNS


def test_long_headers_are_read_on_and_the_walk_stops_where_pydicom_does(tmp_path: Path) -> None:
    from hemstats.io.dicom_fast import MORE, walk

    path = _write(tmp_path, "long.dcm", series="9", ImageComments="x" * 20000)
    data = path.read_bytes()
    assert walk(data[:8192], len(data)) is MORE
    got = walk(data[:65536], len(data))
    assert isinstance(got, tuple)
    implicit, raw = got
    assert not implicit and raw[0x00180060] == (b"DS", b"120 ")  # KVP, after the long comment
    scan = scan_dicom(tmp_path, salt=SALT, progress=False, per_instance=True, reader="fast")
    _assert_same(scan_dicom(tmp_path, salt=SALT, progress=False, per_instance=True, reader="pydicom"), scan)
    # (7FE0,0008) Float Pixel Data before (7FE0,0010): pydicom stops there, so does not the walk
    assert walk(data[:8192].replace(b"\xe0\x7f\x10\x00", b"\xe0\x7f\x08\x00"), len(data)) in (None, MORE)


def test_the_scan_does_not_keep_raw_values_after_a_chunk(tmp_path: Path) -> None:
    from hemstats.io import dicom_fast, dicom_header

    _write(tmp_path, "a.dcm", series="1")
    _write(tmp_path, "b.dcm", series="1")
    scan = scan_dicom(tmp_path, salt=SALT, progress=False, reader="fast")  # one chunk: runs in this process
    assert scan.series["n_instances"].tolist() == [2]
    assert not dicom_header._ROWS and not dicom_header._CONVERTED and not dicom_fast._LAYOUTS  # nor whole headers


@pytest.mark.parametrize("syntax", [EXPLICIT, IMPLICIT])
def test_series_layouts_give_what_the_walk_gives(tmp_path: Path, syntax: str) -> None:
    """Files of a series share a layout; values and lengths that vary (instance number 9 -> 10,
    positions, UIDs) are read where they are, and every file then matches the layout."""
    from hemstats.io import dicom_fast

    heads = []
    for i in range(12):
        path = _write(
            tmp_path, f"{i}.dcm", series="1", syntax=syntax, InstanceNumber=i + 1,
            ImagePositionPatient=["-125", "-125", str(-7.5 * i)], XRayTubeCurrent=[250, 1000][i % 2],
        )  # fmt: skip
        data = path.read_bytes()
        heads.append((data[:8192], len(data)))
    dicom_fast.clear_layouts()
    for _ in range(2):
        for head, size in heads:
            assert dicom_fast.read_raw(head, size) == dicom_fast.walk(head, size)
    assert len(dicom_fast._LAYOUTS) == 1
    layout = dicom_fast._LAYOUTS[0]
    assert all(layout.match(head, size) == dicom_fast.walk(head, size) for head, size in heads)
    assert 1 < len(layout.varying) < len(layout.elements)  # something varies, most does not
    cut = heads[3][0][:-9]
    assert layout.match(cut, len(cut)) is None and dicom_fast.walk(cut, len(cut)) is None  # pixel data cut short
    dicom_fast.clear_layouts()
