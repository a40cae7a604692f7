"""A parallel scan of DICOM headers: one row per series (and optionally per file).

Only the header elements hemstats needs are read (``pydicom.dcmread`` with
``stop_before_pixels=True`` and ``specific_tags``), from the first bytes of each
file; pixel data are never read.  Files are split into chunks and read by a local
:class:`~concurrent.futures.ProcessPoolExecutor`, or by any
:class:`concurrent.futures.Executor` you pass, e.g. a Dask cluster's
``Client.get_executor()``.

Privacy: the patient, study and series keys are hashed with the project salt
(:mod:`hemstats.privacy`) inside the process that reads the file, so the raw
PatientID and UIDs never leave it (they are decoded without pydicom's value
validation, whose warnings and log records would quote them); names, birth dates,
accession numbers and institution or physician names are not read at all.  The salt
travels to the workers with each task.  Paths are reported relative to the scanned
folder; a tree whose folder names hold patient names will show them in ``folder``
and ``path``: rename such folders first.

A file is listed in ``failures`` (and the scan goes on) when it is not DICOM, when
its header is cut short, when it ends before the end its pixel data element
declares (checked from the element's length, without reading the pixels), or when
it has no SeriesInstanceUID.  A value that cannot be read as its VR (a KVP of
``"1x0"``) is missing, not a failure.

Examples
--------
>>> parse_age("045Y"), parse_age("006M"), parse_age("bad")
(45.0, 0.5, nan)
>>> import shutil, tempfile
>>> from pydicom.data import get_testdata_file
>>> with tempfile.TemporaryDirectory() as tmp:
...     _ = shutil.copy(get_testdata_file("CT_small.dcm"), tmp)
...     _ = Path(tmp, "notes.txt").write_text("not a DICOM file")
...     scan = scan_dicom(tmp, salt="doctest", progress=False)
>>> scan.series[["manufacturer", "kernel", "kvp", "tube_current_ma", "n_instances"]]
         manufacturer    kernel    kvp  tube_current_ma  n_instances
0  GE MEDICAL SYSTEMS  STANDARD  120.0            170.0            1
>>> scan.failures.path.tolist()
['notes.txt']
"""

from __future__ import annotations

import io
import math
import os
import re
from collections.abc import Iterable, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from hemstats.errors import DataFormatError, HemstatsError
from hemstats.privacy import project_salt, pseudonym

__all__ = [
    "HEADER_TAGS",
    "INSTANCE_COLUMNS",
    "SERIES_COLUMNS",
    "FAILURE_COLUMNS",
    "ScanResult",
    "scan_dicom",
    "parse_age",
    "list_files",
    "instance_row",
]

#: The header elements read from each file (keywords).  None of them identifies a
#: person except PatientID and the UIDs, which are hashed before leaving the worker.
HEADER_TAGS: tuple[str, ...] = (
    "SpecificCharacterSet",
    "Modality",
    "Manufacturer",
    "ManufacturerModelName",
    "PatientID",
    "PatientSex",
    "PatientAge",
    "SliceThickness",
    "KVP",
    "ConvolutionKernel",
    "ExposureTime",
    "XRayTubeCurrent",
    "Exposure",
    "XRayTubeCurrentInmA",
    "ExposureInmAs",
    "StudyInstanceUID",
    "SeriesInstanceUID",
    "InstanceNumber",
    "Rows",
    "Columns",
    "PixelSpacing",
)
_TAGS = None  # keyword -> int tag, filled lazily (pydicom is imported inside functions)
_HASHED = frozenset({"PatientID", "StudyInstanceUID", "SeriesInstanceUID"})

#: Columns of :attr:`ScanResult.instances`, one row per readable file.
INSTANCE_COLUMNS: tuple[str, ...] = (
    "path",
    "study_key",
    "series_key",
    "patient_key",
    "instance_number",
    "modality",
    "manufacturer",
    "scanner_model",
    "kernel",
    "slice_thickness_mm",
    "kvp",
    "tube_current_ma",
    "exposure_mas",
    "pixel_spacing_row_mm",
    "pixel_spacing_col_mm",
    "rows",
    "columns",
    "age_years",
    "sex",
)
#: Columns of :attr:`ScanResult.series`, one row per series.
SERIES_COLUMNS: tuple[str, ...] = (
    "study_key",
    "series_key",
    "patient_key",
    "folder",
    "n_instances",
    "modality",
    "manufacturer",
    "scanner_model",
    "kernel",
    "slice_thickness_mm",
    "slice_thickness_min_mm",
    "slice_thickness_max_mm",
    "kvp",
    "tube_current_ma",
    "exposure_mas",
    "pixel_spacing_row_mm",
    "pixel_spacing_col_mm",
    "rows",
    "columns",
    "age_years",
    "sex",
    "varying",
)
#: Columns of :attr:`ScanResult.failures`.
FAILURE_COLUMNS: tuple[str, ...] = ("path", "reason")

_TEXT = ("study_key", "series_key", "patient_key", "modality", "manufacturer", "scanner_model", "kernel", "sex")
_INT = ("instance_number", "rows", "columns")
_HEAD_BYTES = 32 * 1024
_AGE = re.compile(r"^\s*(\d{1,3})\s*([DWMY])\s*$", re.IGNORECASE)
_AGE_UNIT = {"D": 1 / 365.25, "W": 7 / 365.25, "M": 1 / 12, "Y": 1.0}


def parse_age(value: object) -> float:
    """A DICOM age string (``nnnD``, ``nnnW``, ``nnnM``, ``nnnY``) in years; NaN otherwise.

    A bare number has no unit and is not guessed: it gives NaN.

    Examples
    --------
    >>> parse_age("010W") == 10 * 7 / 365.25, parse_age("  72y"), parse_age("72")
    (True, 72.0, nan)
    """
    if value is None:
        return math.nan
    m = _AGE.match(str(value))
    if not m:
        return math.nan
    return int(m.group(1)) * _AGE_UNIT[m.group(2).upper()]


@dataclass(frozen=True)
class ScanResult:
    """What :func:`scan_dicom` found.

    Attributes
    ----------
    series : pandas.DataFrame
        One row per series (:data:`SERIES_COLUMNS`).  Categorical fields hold the
        most frequent value in the series; ``slice_thickness_mm`` and ``kvp`` the most
        frequent value (ties: the smallest), with the thickness range beside it;
        ``tube_current_ma`` and ``exposure_mas`` the median (tube current modulation
        varies them per slice).  ``varying`` names the fields with more than one
        value in the series, joined by ``/`` (missing when none).  ``folder`` is the
        folder of the series' first file, relative to the scanned root.
    instances : pandas.DataFrame or None
        One row per readable file (:data:`INSTANCE_COLUMNS`), when ``per_instance=True``.
    failures : pandas.DataFrame
        ``path, reason``: every file that is not DICOM, is truncated or has no
        SeriesInstanceUID; the scan went on without them.
    """

    series: pd.DataFrame
    instances: pd.DataFrame | None
    failures: pd.DataFrame

    @property
    def n_files(self) -> int:
        """Files looked at (read and failed)."""
        return int(self.series["n_instances"].sum()) + len(self.failures)


def list_files(root: str | Path, *, pattern: str = "*") -> list[Path]:
    """Every file under ``root`` (recursively) whose name matches ``pattern``, sorted.

    Hidden files and folders (names starting with ``.``) are skipped.  ``root`` may
    be a single file.
    """
    base = Path(root)
    if base.is_file():
        return [base]
    if not base.is_dir():
        raise DataFormatError(f"{base}: no such file or folder to scan for DICOM files")
    out = []
    for dirpath, dirnames, filenames in os.walk(base):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in filenames:
            if not name.startswith(".") and Path(name).match(pattern):
                out.append(Path(dirpath, name))
    return sorted(out)


# -- reading (runs in the worker processes) -------------------------------------------------------
def _tags() -> dict[str, int]:
    global _TAGS
    if _TAGS is None:
        from pydicom.datadict import tag_for_keyword

        _TAGS = {k: int(tag_for_keyword(k)) for k in HEADER_TAGS}
    return _TAGS


def _values(ds) -> dict[str, object]:
    """Keyword -> converted value of the :data:`HEADER_TAGS` present in ``ds`` (None when absent or empty).

    Raw elements are converted with :func:`pydicom.values.convert_value` in the
    dataset's character set, skipping the per-element bookkeeping of ``Dataset.get``.
    """
    from pydicom.charset import convert_encodings, decode_bytes
    from pydicom.datadict import dictionary_VR
    from pydicom.dataelem import RawDataElement
    from pydicom.values import convert_value

    out: dict[str, object] = {}
    encodings = None
    for keyword, tag in _tags().items():
        elem = ds.get_item(tag)
        if elem is None:
            value = None
        elif isinstance(elem, RawDataElement):
            if encodings is None and keyword != "SpecificCharacterSet":
                charset = out.get("SpecificCharacterSet")
                encodings = convert_encodings(list(charset) if isinstance(charset, list) else charset or "ISO_IR 6")
            if keyword in _HASHED and elem.value is not None:
                # Decoded without pydicom's validation, whose warnings and log records quote the value.
                out[keyword] = decode_bytes(elem.value, encodings, set()).strip("\0 ") or None
                continue
            try:
                value = None if elem.length == 0 else convert_value(elem.VR or dictionary_VR(tag), elem, encodings)
            except Exception:  # noqa: BLE001 - a value unreadable as its VR is missing, not a failed file
                value = None
        else:
            value = elem.value
        if isinstance(value, (bytes, str)) and not value.strip():
            value = None
        elif value is not None and not isinstance(value, (str, bytes)) and hasattr(value, "__len__") and not len(value):
            value = None
        out[keyword] = value
    return out


def _text(values: dict, keyword: str, sep: str = "/") -> str | None:
    value = values.get(keyword)
    if value is None:
        return None
    if isinstance(value, (list, tuple)) or type(value).__name__ == "MultiValue":
        parts = [str(v).strip() for v in value if str(v).strip()]
        return sep.join(parts) or None
    text = str(value).strip()
    return text or None


def _number(values: dict, keyword: str, index: int | None = None) -> float:
    value = values.get(keyword)
    if value is not None and index is not None:
        try:
            value = value[index]  # type: ignore[index]
        except (IndexError, TypeError):
            return math.nan
    elif isinstance(value, (list, tuple)) or type(value).__name__ == "MultiValue":
        return math.nan  # a multi-valued field where one number is expected
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan
    return number if math.isfinite(number) else math.nan


def instance_row(ds, *, salt: str) -> dict:
    """The :data:`INSTANCE_COLUMNS` (without ``path``) of one pydicom dataset; ids hashed.

    Values that cannot be read as their VR (e.g. a KVP of ``"1x0"``) are missing.
    """
    ds = _values(ds)
    sex = _text(ds, "PatientSex")
    current = _number(ds, "XRayTubeCurrent")
    if math.isnan(current):
        current = _number(ds, "XRayTubeCurrentInmA")
    exposure = _number(ds, "Exposure")
    if math.isnan(exposure):
        exposure = _number(ds, "ExposureInmAs")
    keys = {}
    for column, keyword, prefix in (
        ("study_key", "StudyInstanceUID", ""),
        ("series_key", "SeriesInstanceUID", ""),
        ("patient_key", "PatientID", ""),
    ):
        raw = _text(ds, keyword, sep="\\")
        keys[column] = None if raw is None else pseudonym(raw, salt=salt, prefix=prefix)
    return {
        **keys,
        "instance_number": _number(ds, "InstanceNumber"),
        "modality": _text(ds, "Modality"),
        "manufacturer": _text(ds, "Manufacturer"),
        "scanner_model": _text(ds, "ManufacturerModelName"),
        "kernel": _text(ds, "ConvolutionKernel"),
        "slice_thickness_mm": _number(ds, "SliceThickness"),
        "kvp": _number(ds, "KVP"),
        "tube_current_ma": current,
        "exposure_mas": exposure,
        "pixel_spacing_row_mm": _number(ds, "PixelSpacing", 0),
        "pixel_spacing_col_mm": _number(ds, "PixelSpacing", 1),
        "rows": _number(ds, "Rows"),
        "columns": _number(ds, "Columns"),
        "age_years": parse_age(_text(ds, "PatientAge")),
        "sex": sex.upper() if sex and sex.upper() in ("F", "M") else None,
    }


def _pixel_data_problem(stream, ds, size: int) -> str | None:
    """Why the pixel data after the header at ``stream.tell()`` are absent or cut short."""
    from pydicom.filereader import data_element_generator

    encoding = getattr(ds, "original_encoding", None) or (ds.is_implicit_VR, ds.is_little_endian)
    try:
        elem = next(data_element_generator(stream, *encoding, defer_size=0), None)
    except Exception:  # noqa: BLE001 - any parse failure of the element header means truncation
        elem = None
    if elem is None or (int(elem.tag) >> 16) != 0x7FE0:
        return None if elem is not None else "missing"
    if elem.length != 0xFFFFFFFF and elem.value_tell + elem.length > size:
        return f"pixel data end at byte {elem.value_tell + elem.length} but the file has {size} bytes"
    return None


def _read_file(path: str, salt: str) -> dict:
    """Header row of one file; raises with a reason on failure."""
    import pydicom

    specific = list(_tags().values())
    with open(path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        head = fh.read(_HEAD_BYTES)
        stream: io.IOBase = io.BytesIO(head)
        try:
            ds = pydicom.dcmread(stream, stop_before_pixels=True, specific_tags=specific)
            problem = _pixel_data_problem(stream, ds, size)
        except Exception:  # noqa: BLE001 - e.g. a sequence cut by the end of the first bytes
            if size <= len(head):
                raise
            problem = "missing"
        if problem == "missing" and size > len(head):  # header longer than the first bytes
            fh.seek(0)
            stream = fh
            ds = pydicom.dcmread(fh, stop_before_pixels=True, specific_tags=specific)
            problem = _pixel_data_problem(fh, ds, size)
    if problem == "missing":
        raise _Failure(f"truncated or not an image: the file ends after {size} bytes without pixel data")
    if problem:
        raise _Failure(f"truncated: {problem}")
    row = instance_row(ds, salt=salt)
    if row["series_key"] is None:
        raise _Failure("no SeriesInstanceUID")
    return row


class _Failure(Exception):
    """A reason written by hemstats, safe to report as is."""


def _reason(exc: BaseException) -> str:
    if isinstance(exc, _Failure):
        return str(exc)
    name = type(exc).__name__
    if name == "InvalidDicomError":
        return "not a DICOM file (no 'DICM' prefix after the 128-byte preamble)"
    if isinstance(exc, (EOFError, OSError)):
        return f"unreadable or truncated ({name})"
    # Library messages may quote element values: report the error type only.
    return f"unreadable DICOM header ({name})"


def _scan_chunk(paths: Sequence[str], salt: str) -> tuple[list[dict], list[tuple[str, str]]]:
    """Read the headers of ``paths``; runs in a worker process."""
    rows, failures = [], []
    for path in paths:
        try:
            row = _read_file(path, salt)
        except Exception as exc:  # noqa: BLE001 - every failure is listed, the scan goes on
            failures.append((path, _reason(exc)))
        else:
            row["path"] = path
            rows.append(row)
    return rows, failures


# -- assembling (runs in the calling process) -------------------------------------------------------
def _mode(values: pd.Series):
    present = values.dropna()
    if present.empty:
        return None
    counts = present.value_counts(sort=False)
    top = counts[counts == counts.max()].index
    return sorted(top)[0]


def _median(values: pd.Series) -> float:
    present = pd.to_numeric(values, errors="coerce").dropna()
    return float(present.median()) if len(present) else math.nan


def _instances_frame(rows: list[dict], root: Path) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=list(INSTANCE_COLUMNS))
    df["path"] = [_relative(p, root) for p in df["path"]]
    return _typed(df)


def _typed(df: pd.DataFrame) -> pd.DataFrame:
    out = {}
    for col in df.columns:
        if col in _TEXT or col in ("path", "folder", "varying"):
            out[col] = df[col].astype(object).where(df[col].notna(), None).astype("string")
        elif col in _INT or col == "n_instances":
            out[col] = pd.array(df[col].astype(float), dtype="Float64").round().astype("Int64")
        else:
            out[col] = pd.array(df[col].astype(float), dtype="Float64")
    return pd.DataFrame(out, index=pd.RangeIndex(len(df)))


def _series_frame(instances: pd.DataFrame) -> pd.DataFrame:
    inst = instances.astype(object).where(instances.notna(), None)
    inst["folder"] = [str(Path(p).parent.as_posix()) for p in inst["path"]]
    rows = []
    varied_fields = [c for c in INSTANCE_COLUMNS if c not in ("path", "series_key", "instance_number")] + ["folder"]
    for series_key, g in inst.groupby("series_key", sort=False):
        row = {c: _mode(g[c]) for c in SERIES_COLUMNS if c in g.columns and c != "series_key"}
        thickness = pd.to_numeric(g["slice_thickness_mm"], errors="coerce").dropna()
        row.update(
            series_key=series_key,
            folder=g["folder"].iloc[0],
            n_instances=len(g),
            slice_thickness_min_mm=thickness.min() if len(thickness) else None,
            slice_thickness_max_mm=thickness.max() if len(thickness) else None,
            tube_current_ma=_median(g["tube_current_ma"]),
            exposure_mas=_median(g["exposure_mas"]),
        )
        varying = [c for c in varied_fields if g[c].dropna().nunique() > 1]
        row["varying"] = "/".join(varying) or None
        rows.append(row)
    return _typed(pd.DataFrame(rows, columns=list(SERIES_COLUMNS)))


def _relative(path: str, root: Path) -> str:
    try:
        return Path(path).relative_to(root).as_posix()
    except ValueError:
        return Path(path).as_posix()


def _chunks(items: Sequence[str], size: int) -> list[Sequence[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def scan_dicom(
    root: str | Path | Iterable[str | Path],
    *,
    executor: Executor | None = None,
    max_workers: int | None = None,
    chunk_size: int | None = None,
    progress: bool = True,
    per_instance: bool = False,
    salt: str | None = None,
    pattern: str = "*",
) -> ScanResult:
    """Read the headers of every DICOM file under ``root``, one row per series.

    Parameters
    ----------
    root : path or iterable of paths
        A folder (scanned recursively, hidden entries skipped), one file, or a list of files.
    executor : concurrent.futures.Executor, optional
        Runs the chunks.  Default: a local ``ProcessPoolExecutor`` with ``max_workers``
        processes, created and shut down here (a scan that fits in one chunk runs in
        this process).  Pass ``dask.distributed.Client(...).get_executor()`` to run on a
        Dask cluster; an executor you pass is not shut down.
    max_workers : int, optional
        Processes of the default pool; default ``os.cpu_count()``.
    chunk_size : int, optional
        Files per task; default enough for about four tasks per worker, at most 512.
    progress : bool
        Show a tqdm progress bar (files done).
    per_instance : bool
        Also return one row per file in :attr:`ScanResult.instances`.
    salt : str, optional
        Salt of the pseudonymous keys; default :func:`hemstats.privacy.project_salt`.
    pattern : str
        Only files whose name matches this glob pattern are read (default all).

    Returns
    -------
    ScanResult
        ``series`` (:data:`SERIES_COLUMNS`), ``instances`` (:data:`INSTANCE_COLUMNS`, or
        None) and ``failures`` (``path, reason``); paths are relative to ``root``.
        Keys (``study_key``, ``series_key``, ``patient_key``) are HMAC-SHA256 of
        StudyInstanceUID, SeriesInstanceUID and PatientID under ``salt``.
        ``kernel`` joins a multi-valued ConvolutionKernel with ``/``; ``age_years``
        comes from PatientAge (``045Y`` -> 45, ``006M`` -> 0.5).

    Raises
    ------
    DataFormatError
        When ``root`` does not exist.  Unreadable files do not raise: they are listed
        in ``failures`` with the reason.

    Examples
    --------
    >>> import shutil, tempfile
    >>> from pydicom.data import get_testdata_file
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     src = get_testdata_file("CT_small.dcm")
    ...     _ = shutil.copy(src, Path(tmp, "a.dcm"))
    ...     _ = Path(tmp, "cut.dcm").write_bytes(Path(src).read_bytes()[:5000])
    ...     scan = scan_dicom(tmp, salt="doctest", progress=False, per_instance=True)
    >>> len(scan.instances), scan.failures.reason.str.startswith("truncated").tolist()
    (1, [True])
    """
    import pydicom  # noqa: F401 - imported once here, inherited by forked worker processes
    from tqdm.auto import tqdm

    _tags()
    if salt is None:
        salt = project_salt()
    if isinstance(root, (str, os.PathLike)):
        base = Path(root)
        files = [str(p) for p in list_files(base, pattern=pattern)]
        base = base if base.is_dir() else base.parent
    else:
        files = sorted(str(p) for p in root)
        base = Path(os.path.commonpath(files)) if files else Path(".")
        if files and Path(files[0]) == base:
            base = base.parent
    workers = max_workers or os.cpu_count() or 1
    if chunk_size is None:
        chunk_size = max(1, min(512, math.ceil(len(files) / (4 * workers))))
    if chunk_size < 1:
        raise HemstatsError(f"chunk_size must be at least 1, got {chunk_size}")
    chunks = _chunks(files, chunk_size)
    results: list[tuple[list[dict], list[tuple[str, str]]] | None] = [None] * len(chunks)
    bar = tqdm(total=len(files), unit="file", desc="DICOM headers", disable=not progress)
    try:
        if executor is None and len(chunks) <= 1:
            for i, chunk in enumerate(chunks):
                results[i] = _scan_chunk(chunk, salt)
                bar.update(len(chunk))
        elif executor is None:
            with ProcessPoolExecutor(max_workers=workers) as pool:
                _collect(pool, chunks, salt, results, bar)
        else:
            _collect(executor, chunks, salt, results, bar)
    finally:
        bar.close()
    rows = [r for res in results if res for r in res[0]]
    failed = [(_relative(p, base), why) for res in results if res for p, why in res[1]]
    instances = _instances_frame(rows, base)
    series = _series_frame(instances)
    failures = pd.DataFrame(failed, columns=list(FAILURE_COLUMNS)).astype("string")
    return ScanResult(series=series, instances=instances if per_instance else None, failures=failures)


def _collect(executor: Executor, chunks, salt: str, results: list, bar) -> None:
    futures: dict[Future, int] = {executor.submit(_scan_chunk, list(chunk), salt): i for i, chunk in enumerate(chunks)}
    for future in as_completed(futures):
        i = futures[future]
        results[i] = future.result()
        bar.update(len(chunks[i]))
