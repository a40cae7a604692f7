"""A parallel scan of DICOM headers: one row per series (and optionally per file).

Only the header elements hemstats needs are read, from the first bytes of each file: by
:mod:`hemstats.io.dicom_fast` (pydicom's element walk on the raw bytes, each distinct
value converted once) and, for a file it cannot read plainly (big-endian, deflated,
truncated, not DICOM, corrupt), by ``pydicom.dcmread`` with ``stop_before_pixels=True``
and ``specific_tags``, so both readers give the same tables.  Pixel data are never read
(nor read ahead).  Files are split into chunks and read by a local
:class:`~concurrent.futures.ProcessPoolExecutor`, or by any
:class:`concurrent.futures.Executor` you pass, e.g. a Dask cluster's
``Client.get_executor()``.  Interrupting the scan (Ctrl-C) cancels the chunks not
started and stops the workers of the local pool before the interrupt goes on.

Privacy: the patient, study and series keys are hashed with the project salt
(:mod:`hemstats.privacy`) inside the process that reads the file, so the raw
PatientID and UIDs never leave it (they are decoded without pydicom's value
validation, whose warnings and log records would quote them); names, birth dates,
accession numbers and institution or physician names are not read at all.  The salt
travels to the workers with each task.  Failure reasons and notes are written by
hemstats and never quote a header value.  Paths are reported relative to the scanned
folder; a tree whose folder names hold patient names will show them in ``folder``
and ``path``: rename such folders first.

A file is listed in ``failures`` (and the scan goes on) when it is not DICOM, when
its header is cut short, when it ends before the end its pixel data element
declares (checked from the element's length, without reading the pixels), when
it has no SeriesInstanceUID, or when it is not a regular file (a FIFO, socket,
device or broken link: listed without being opened, so a FIFO cannot block the
scan).  A value that cannot be read as its VR (a KVP of ``"1x0"``), has several
values where one is expected, or lies outside
:data:`hemstats.acquisition.PHYSICAL_RANGES` (a tube current of ``9e99`` mA) is
missing, and ``notes`` says which series and field.

Examples
--------
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

import math
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from concurrent.futures import BrokenExecutor, Executor, Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from hemstats.errors import HemstatsError
from hemstats.io.dicom_files import walk_files
from hemstats.io.dicom_header import ROW_COLUMNS, header_tags
from hemstats.io.dicom_read import HEADER_TAGS, ChunkResult, _scan_chunk, instance_row, not_regular, parse_age
from hemstats.privacy import project_salt

__all__ = [
    "HEADER_TAGS",
    "INSTANCE_COLUMNS",
    "SERIES_COLUMNS",
    "FAILURE_COLUMNS",
    "NOTE_COLUMNS",
    "ScanResult",
    "scan_dicom",
    "parse_age",
    "list_files",
    "instance_row",
]

#: Columns of :attr:`ScanResult.instances`, one row per readable file.
INSTANCE_COLUMNS: tuple[str, ...] = ("path", *ROW_COLUMNS)
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
#: Columns of :attr:`ScanResult.notes`: one row per (series, DICOM keyword, reason).
NOTE_COLUMNS: tuple[str, ...] = ("series_key", "folder", "field", "n_files", "reason")

_TEXT = ("study_key", "series_key", "patient_key", "modality", "manufacturer", "scanner_model", "kernel", "sex")
_INT = ("instance_number", "rows", "columns")


def _empty_notes() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="Int64" if c == "n_files" else "string") for c in NOTE_COLUMNS})


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
        ``path, reason``: every file that is not DICOM, is truncated, has no
        SeriesInstanceUID or is not a regular file; the scan went on without them.
    notes : pandas.DataFrame
        :data:`NOTE_COLUMNS`: header values read as missing (unreadable, several values
        where one is expected, outside :data:`hemstats.acquisition.PHYSICAL_RANGES`),
        one row per pseudonymous series, DICOM keyword (``field``) and reason, with the
        number of files concerned.
    """

    series: pd.DataFrame
    instances: pd.DataFrame | None
    failures: pd.DataFrame
    notes: pd.DataFrame = field(default_factory=_empty_notes)

    @property
    def n_files(self) -> int:
        """Files looked at (read and failed)."""
        return int(self.series["n_instances"].sum()) + len(self.failures)


def list_files(root: str | Path, *, pattern: str = "*") -> list[Path]:
    """Every regular file under ``root`` (recursively) whose name matches ``pattern``, sorted.

    Hidden files and folders (names starting with ``.``) are skipped, and so are FIFOs,
    sockets, devices and broken links (:func:`scan_dicom` lists them in its failures).
    ``root`` may be a single file.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = Path(tmp, "a.dcm").write_bytes(b"")
    ...     os.mkfifo(Path(tmp, "pipe.dcm"))
    ...     [p.name for p in list_files(tmp, pattern="*.dcm")]
    ['a.dcm']
    """
    _check_root(root, "list_files")
    _check_pattern(pattern, "list_files")
    return [Path(p) for p in walk_files(root, pattern)[0]]


# -- option checks ----------------------------------------------------------------------------------
def _check_int(value: object, name: str) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        got = repr(value) if isinstance(value, (int, float)) else type(value).__name__  # text is not quoted
        raise HemstatsError(f"scan_dicom: {name} must be None or a whole number >= 1, got {got}")


def _check_bool(value: object, name: str) -> None:
    if not isinstance(value, bool):
        raise HemstatsError(f"scan_dicom: {name} must be True or False, got {type(value).__name__}")


def _check_pattern(pattern: object, func: str) -> None:
    if not isinstance(pattern, str) or not pattern:
        got = "an empty string" if pattern == "" else type(pattern).__name__
        raise HemstatsError(f"{func}: pattern must be a non-empty glob pattern such as '*.dcm', got {got}")


def _check_root(root: object, func: str) -> None:
    if not isinstance(root, (str, os.PathLike)):
        raise HemstatsError(f"{func}: root must be a folder or file path, got {type(root).__name__}")
    if str(root) == "":
        raise HemstatsError(f"{func}: root must be a folder or file path, got an empty string")


def _files_from(root: object, pattern: str) -> tuple[list[str], list[tuple[str, str]], Path]:
    """The files to read, the entries skipped without opening, and the folder paths are relative to."""
    if isinstance(root, (str, os.PathLike)):
        _check_root(root, "scan_dicom")
        base = Path(root)
        files, skipped = walk_files(base, pattern)
        return files, skipped, base if base.is_dir() else base.parent
    if isinstance(root, (bytes, Path)) or not isinstance(root, Iterable):
        raise HemstatsError(
            f"scan_dicom: root must be a folder, a file or an iterable of file paths, got {type(root).__name__}"
        )
    items = list(root)
    bad = [i for i, p in enumerate(items) if not isinstance(p, (str, os.PathLike)) or str(p) == ""]
    if bad:
        raise HemstatsError(f"scan_dicom: root item {bad[0]} is not a file path (got {type(items[bad[0]]).__name__})")
    files, skipped = [], []
    for p in sorted(str(p) for p in items):
        try:
            why = not_regular(os.stat(p).st_mode)
        except FileNotFoundError:
            why = "no such file (or a broken link): skipped"
        except OSError as exc:
            why = f"cannot be looked at ({type(exc).__name__}): skipped"
        (skipped.append((p, why)) if why else files.append(p))
    every = sorted(files + [p for p, _ in skipped])
    base = Path(os.path.commonpath(every)) if every else Path(".")
    if every and Path(every[0]) == base:
        base = base.parent
    return files, skipped, base


def _check_reader(reader: object) -> Literal["fast", "pydicom"]:
    """The reader to use: ``fast`` or ``pydicom``."""
    if reader not in ("auto", "fast", "pydicom"):
        got = repr(reader) if isinstance(reader, str) and len(reader) < 20 else type(reader).__name__
        raise HemstatsError(f"scan_dicom: reader must be 'auto', 'fast' or 'pydicom', got {got}")
    return "pydicom" if reader == "pydicom" else "fast"


def _check_executor(executor: object) -> None:
    if executor is not None and not callable(getattr(executor, "submit", None)):
        raise HemstatsError(
            f"scan_dicom: executor must be a concurrent.futures.Executor (with .submit), got {type(executor).__name__}"
        )


# -- assembling (runs in the calling process) -------------------------------------------------------
def _mode(values: list) -> Any:
    """The most frequent value (ties: the smallest); None when there is none."""
    if not values:
        return None
    counts = Counter(values)
    top = max(counts.values())
    return min(v for v, k in counts.items() if k == top)


def _median(values: list) -> float:
    return float(np.median(np.asarray(values, dtype=float))) if values else math.nan


def _instances_frame(rows: list[tuple], root: Path) -> pd.DataFrame:
    columns = list(zip(*rows)) if rows else [()] * len(INSTANCE_COLUMNS)
    data: dict[str, Sequence[Any]] = dict(zip(INSTANCE_COLUMNS, columns))
    data["path"] = _relative_all(data["path"], root)
    return _typed(data)


def _typed(data: dict[str, Any]) -> pd.DataFrame:
    """Columns (lists, with None or NaN for missing) -> the typed frame: string, Int64 or Float64."""
    out = {}
    for col, values in data.items():
        if col in _TEXT or col in ("path", "folder", "varying"):
            out[col] = pd.array(list(values), dtype="string")
        else:
            floats = pd.array(np.asarray(values, dtype=float), dtype="Float64")
            out[col] = floats.round().astype("Int64") if col in _INT or col == "n_instances" else floats
    n = len(next(iter(out.values()))) if out else 0
    return pd.DataFrame(out, index=pd.RangeIndex(n))


_FLOAT_COLUMNS = frozenset(c for c in INSTANCE_COLUMNS if c not in _TEXT and c not in _INT and c != "path")


def _cells(column: str, values: Sequence) -> Sequence:
    """The values of ``column`` as its typed cells hold them (:func:`_typed`), None for missing."""
    if column in _INT:
        return [None if v is None or v != v else round(v) for v in values]
    if column in _FLOAT_COLUMNS:
        return [None if v is None or v != v else v for v in values]
    return values


def _series_frame(rows: list[tuple], root: Path) -> pd.DataFrame:
    """One row per series from the file rows (``path`` and :data:`ROW_COLUMNS`), as :data:`SERIES_COLUMNS`."""
    cols: dict[str, Any] = dict(zip(INSTANCE_COLUMNS, zip(*rows))) if rows else {c: () for c in INSTANCE_COLUMNS}
    for c in INSTANCE_COLUMNS:
        cols[c] = _cells(c, cols[c])
    cols["folder"] = _folders(cols["path"], root)
    groups: dict[Any, list[int]] = {}
    for i, key in enumerate(cols["series_key"]):
        if key is not None:
            groups.setdefault(key, []).append(i)
    mode_columns = [c for c in SERIES_COLUMNS if c in cols and c != "series_key"]
    varied_fields = [c for c in INSTANCE_COLUMNS if c not in ("path", "series_key", "instance_number")] + ["folder"]
    out = []
    for series_key, idx in groups.items():
        values = {}
        for c in {*mode_columns, *varied_fields}:
            col = cols[c]
            values[c] = [v for v in map(col.__getitem__, idx) if v is not None]
        row = {c: _mode(values[c]) for c in mode_columns}
        thickness = values["slice_thickness_mm"]
        row.update(
            series_key=series_key,
            folder=cols["folder"][idx[0]],
            n_instances=len(idx),
            slice_thickness_min_mm=min(thickness) if thickness else None,
            slice_thickness_max_mm=max(thickness) if thickness else None,
            tube_current_ma=_median(values["tube_current_ma"]),
            exposure_mas=_median(values["exposure_mas"]),
        )
        varying = [c for c in varied_fields if len(set(values[c])) > 1]
        row["varying"] = "/".join(varying) or None
        out.append(row)
    return _typed({c: [row[c] for row in out] for c in SERIES_COLUMNS})


def _folders(paths: Sequence[str], root: Path) -> list[str]:
    """The folder of each file relative to ``root`` (``Path(_relative(p, root)).parent``), once per folder."""
    seen: dict[str, str] = {}
    out = []
    for p in paths:
        head = p[: p.rfind(os.sep) + 1]
        folder = seen.get(head)
        if folder is None:
            folder = seen[head] = Path(_relative(p, root)).parent.as_posix()
        out.append(folder)
    return out


def _notes_frame(notes: list[tuple[str, str, str, str]], root: Path) -> pd.DataFrame:
    if not notes:
        return _empty_notes()
    df = pd.DataFrame(notes, columns=["path", "series_key", "field", "reason"])
    df["folder"] = _folders(df["path"].tolist(), root)
    out = (
        df.groupby(["series_key", "field", "reason"], sort=True)
        .agg(folder=("folder", "min"), n_files=("path", "size"))
        .reset_index()
    )
    out = out[list(NOTE_COLUMNS)]
    return out.astype({c: "Int64" if c == "n_files" else "string" for c in NOTE_COLUMNS})


def _relative(path: str, root: Path) -> str:
    try:
        return Path(path).relative_to(root).as_posix()
    except ValueError:
        return Path(path).as_posix()


def _relative_all(paths: Sequence[str], root: Path) -> list[str]:
    """``_relative`` of each path, with one Path per folder (a file name adds nothing to normalise)."""
    seen: dict[str, str | None] = {}
    out = []
    for path in paths:
        head, _, name = path.rpartition(os.sep)
        folder = seen.get(head, "")
        if folder == "":
            folder = seen[head] = _relative(head, root) if head and name not in ("", ".", "..") else None
            if folder is not None and folder.endswith("/"):  # the file system root
                folder = seen[head] = None
        out.append(_relative(path, root) if folder is None else name if folder == "." else f"{folder}/{name}")
    return out


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
    reader: Literal["auto", "fast", "pydicom"] = "auto",
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
        Dask cluster; an executor you pass is not shut down (on an interrupt, the
        chunks it has not started are cancelled).
    max_workers : int, optional
        Processes of the default pool, a whole number >= 1; default ``os.cpu_count()``.
    chunk_size : int, optional
        Files per task, a whole number >= 1; default enough for about four tasks per
        worker, at most 512.
    progress : bool
        Show a tqdm progress bar (files done).
    per_instance : bool
        Also return one row per file in :attr:`ScanResult.instances`.
    salt : str, optional
        Salt of the pseudonymous keys, a non-empty string; default
        :func:`hemstats.privacy.project_salt`.  An empty salt is an error (it would
        make the keys unsalted hashes, which anyone can confirm by hashing a guess).
    pattern : str
        Only files whose name matches this glob pattern are read (default all).
    reader : {"auto", "fast", "pydicom"}
        Header reader: ``fast`` (:mod:`hemstats.io.dicom_fast`; files it cannot read
        plainly go to pydicom one by one), ``pydicom`` only, or ``auto`` (``fast``).
        Both give the same tables.

    Returns
    -------
    ScanResult
        ``series`` (:data:`SERIES_COLUMNS`), ``instances`` (:data:`INSTANCE_COLUMNS`, or
        None), ``failures`` (``path, reason``) and ``notes`` (:data:`NOTE_COLUMNS`);
        paths are relative to ``root``.
        Keys (``study_key``, ``series_key``, ``patient_key``) are HMAC-SHA256 of
        StudyInstanceUID, SeriesInstanceUID and PatientID under ``salt``.
        ``kernel`` joins a multi-valued ConvolutionKernel with ``/``; ``age_years``
        comes from PatientAge (``045Y`` -> 45, ``006M`` -> 0.5).

    Raises
    ------
    DataFormatError
        When ``root`` does not exist.  Unreadable files do not raise: they are listed
        in ``failures`` with the reason.
    HemstatsError
        When an option has the wrong type or value (the message names the option), or
        when a worker process of the pool dies (a crash or an out-of-memory kill).

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
    _check_executor(executor)
    _check_int(max_workers, "max_workers")
    _check_int(chunk_size, "chunk_size")
    _check_bool(progress, "progress")
    _check_bool(per_instance, "per_instance")
    _check_pattern(pattern, "scan_dicom")
    reader = _check_reader(reader)
    if salt is None:
        salt = project_salt()
    elif not isinstance(salt, str) or not salt.strip():
        got = "an empty string" if isinstance(salt, str) else type(salt).__name__
        raise HemstatsError(f"scan_dicom: salt must be a non-empty string (or None for the project salt), got {got}")
    import pydicom  # noqa: F401 - imported once here, inherited by forked worker processes
    from tqdm.auto import tqdm

    header_tags()
    files, skipped, base = _files_from(root, pattern)
    workers = max_workers or os.cpu_count() or 1
    if chunk_size is None:
        chunk_size = max(1, min(512, math.ceil(len(files) / (4 * workers))))
    chunks = _chunks(files, chunk_size)
    results: list[ChunkResult | None] = [None] * len(chunks)
    bar = tqdm(total=len(files), unit="file", desc="DICOM headers", disable=not progress)
    try:
        if executor is None and len(chunks) <= 1:
            for i, chunk in enumerate(chunks):
                results[i] = _scan_chunk(chunk, salt, reader)
                bar.update(len(chunk))
        elif executor is None:
            _run_pool(workers, chunks, (salt, reader), results, bar)
        else:
            _collect(executor, chunks, (salt, reader), results, bar)
    except BrokenExecutor as exc:
        raise HemstatsError(
            f"scan_dicom: a worker process died (crashed or killed, e.g. out of memory) while reading "
            f"headers; rerun with reader='pydicom', or a smaller chunk_size to find the file ({type(exc).__name__})"
        ) from None
    finally:
        bar.close()
    rows = [r for res in results if res for r in res[0]]
    failed = [(p, why) for res in results if res for p, why in res[1]] + skipped
    failed = sorted(zip(_relative_all([p for p, _ in failed], base), [why for _, why in failed]))
    instances = _instances_frame(rows, base) if per_instance else None
    series = _series_frame(rows, base)
    failures = pd.DataFrame(failed, columns=list(FAILURE_COLUMNS)).astype("string")
    notes = _notes_frame([n for res in results if res for n in res[2]], base)
    return ScanResult(
        series=series, instances=instances, failures=failures, notes=notes
    )


def _run_pool(workers: int, chunks: list[Sequence[str]], args: tuple[str, str], results: list[ChunkResult | None], bar: Any) -> None:
    """Run the chunks on a local process pool; on any interrupt, stop every worker before re-raising."""
    pool = ProcessPoolExecutor(max_workers=workers)
    try:
        _collect(pool, chunks, args, results, bar)
    except BaseException:
        processes = list((getattr(pool, "_processes", None) or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.terminate()
        for process in processes:
            process.join(timeout=10)
            if process.is_alive():
                process.kill()
                process.join(timeout=10)
        raise
    pool.shutdown(wait=True)


def _collect(
    executor: Executor, chunks: list[Sequence[str]], args: tuple[str, str], results: list[ChunkResult | None], bar: Any
) -> None:
    futures: dict[Future, int] = {executor.submit(_scan_chunk, list(chunk), *args): i for i, chunk in enumerate(chunks)}
    try:
        for future in as_completed(futures):
            i = futures[future]
            results[i] = future.result()
            bar.update(len(chunks[i]))
    except BaseException:
        for future in futures:
            future.cancel()
        raise
