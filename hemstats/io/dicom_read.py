"""Reading one DICOM file into one row: the part of :mod:`hemstats.io.dicom` that runs in the workers.

Everything here runs in the process that opens the file: it is opened without blocking
(and without read-ahead), its header read by :mod:`hemstats.io.dicom_fast` when asked and
able, else by pydicom, and the values turned into a row by :mod:`hemstats.io.dicom_header`, which
hashes identifying values (PatientID and the UIDs) before a row leaves.  A failure
reason is text written by hemstats and never quotes a header value.

Examples
--------
>>> parse_age("045Y"), parse_age("006M"), parse_age("bad")
(45.0, 0.5, nan)
"""

from __future__ import annotations

import contextlib
import io
import operator
import os
import stat
from collections.abc import Sequence
from typing import Any

from hemstats.errors import HemstatsError
from hemstats.io.dicom_fast import FIRST_READ, MAX_HEADER, MORE, clear_layouts, read_raw
from hemstats.io.dicom_header import (
    HEADER_TAGS,
    ROW_COLUMNS,
    Note,
    ReadFailure,
    clear_cache,
    header_row,
    header_values,
    parse_age,
    raw_header_row,
)
from hemstats.io.dicom_header import header_tags as _tags

__all__ = ["HEADER_TAGS", "instance_row", "parse_age"]

_HEAD_BYTES = 32 * 1024
_FADVISE = hasattr(os, "posix_fadvise")


def instance_row(ds, *, salt: str) -> dict:
    """The :data:`~hemstats.io.dicom.INSTANCE_COLUMNS` (without ``path``) of one pydicom dataset; ids hashed.

    Values that cannot be read as their VR (a KVP of ``"1x0"``), multi-valued where one
    number is expected, or outside :data:`hemstats.acquisition.PHYSICAL_RANGES` are missing
    (:func:`~hemstats.io.dicom.scan_dicom` lists them in its ``notes``).

    Examples
    --------
    >>> from pydicom import Dataset
    >>> ds = Dataset()
    >>> ds.SeriesInstanceUID, ds.KVP, ds.XRayTubeCurrent = "1.2.3", "120", "99999"
    >>> row = instance_row(ds, salt="doctest")  # 99999 mA is outside the physical range
    >>> row["kvp"], row["tube_current_ma"], len(row["series_key"])
    (120.0, nan, 16)
    """
    from pydicom import Dataset

    if not isinstance(ds, Dataset):
        raise HemstatsError(f"instance_row: ds must be a pydicom Dataset, got {type(ds).__name__}")
    if not isinstance(salt, str) or not salt.strip():
        raise HemstatsError("instance_row: salt must be a non-empty string (see hemstats.privacy.project_salt)")
    return header_row(header_values(ds), salt)[0]


def _pixel_data_problem(stream, ds, size: int) -> str | None:
    """Why the pixel data after the header at ``stream.tell()`` are absent or cut short."""
    from pydicom.filereader import data_element_generator

    implicit, little_endian = getattr(ds, "original_encoding", None) or (ds.is_implicit_VR, ds.is_little_endian)
    elem: Any
    try:
        elem = next(data_element_generator(stream, implicit, little_endian, defer_size=0), None)
    except Exception:
        elem = None
    if elem is None or (int(elem.tag) >> 16) != 0x7FE0:
        return None if elem is not None else "missing"
    if elem.length != 0xFFFFFFFF and elem.value_tell + elem.length > size:
        return f"pixel data end at byte {elem.value_tell + elem.length} but the file has {size} bytes"
    return None


_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


def not_regular(mode: int) -> str | None:
    """Why a file of this ``st_mode`` is not read (None for a regular file)."""
    if stat.S_ISREG(mode):
        return None
    kind = next((name for test, name in _KINDS if test(mode)), "not a regular file")
    return f"not a regular file ({kind}): skipped without reading it"


def _open_fd(path: str) -> tuple[int, int]:
    """An open file descriptor of the regular file at ``path`` and its size; never blocks on a FIFO or device.

    Read-ahead is switched off (``POSIX_FADV_RANDOM``): only the header is read, so a cold
    scan does not pull the pixel data from disk.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        st = os.fstat(fd)
        why = not_regular(st.st_mode)
        if why:
            raise ReadFailure(why)
        os.set_blocking(fd, True)
        if _FADVISE:
            with contextlib.suppress(OSError):  # a file system without read-ahead hints
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_RANDOM)
    except BaseException:
        os.close(fd)
        raise
    return fd, st.st_size


def _open(path: str):
    """The open binary file at ``path`` and its size; never blocks on a FIFO or device."""
    fd, size = _open_fd(path)
    return os.fdopen(fd, "rb"), size


def _fast(path: str, salt: str) -> tuple[dict, list[Note]] | None:
    """Row and notes from :func:`hemstats.io.dicom_fast.walk` over the first bytes; None to let pydicom read."""
    fd, size = _open_fd(path)
    try:
        head = os.pread(fd, FIRST_READ, 0)
        got = read_raw(head, size)
        for more in (64 * 1024, MAX_HEADER):
            if got is not MORE:
                break
            head += os.pread(fd, more - len(head), len(head))
            got = read_raw(head, size)
    finally:
        os.close(fd)
    if not isinstance(got, tuple):
        return None
    return raw_header_row(got[1], got[0], salt)


def _read_file(path: str, salt: str, fast: bool = False) -> tuple[dict, list[Note]]:
    """Header row and notes of one file (with :mod:`~hemstats.io.dicom_fast` first when ``fast``); raises with a reason."""
    import pydicom

    if fast:
        try:
            done = _fast(path, salt)
        except (ReadFailure, OSError):  # not a regular file, or cannot be opened: as the pydicom path says
            raise
        except Exception:
            done = None
        if done is not None:
            if done[0]["series_key"] is None:
                raise ReadFailure("no SeriesInstanceUID")
            return done
    specific = list(_tags().values())
    fh, size = _open(path)
    with fh:
        head = fh.read(_HEAD_BYTES)
        stream: io.IOBase = io.BytesIO(head)
        try:
            ds = pydicom.dcmread(stream, stop_before_pixels=True, specific_tags=specific)
            problem = _pixel_data_problem(stream, ds, size)
        except Exception:
            if size <= len(head):
                raise
            problem = "missing"
        if problem == "missing" and size > len(head):  # header longer than the first bytes
            fh.seek(0)
            ds = pydicom.dcmread(fh, stop_before_pixels=True, specific_tags=specific)
            problem = _pixel_data_problem(fh, ds, size)
    if problem == "missing":
        raise ReadFailure(f"truncated or not an image: the file ends after {size} bytes without pixel data")
    if problem:
        raise ReadFailure(f"truncated: {problem}")
    row, notes = header_row(header_values(ds), salt)
    if row["series_key"] is None:
        raise ReadFailure("no SeriesInstanceUID")
    return row, notes


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ReadFailure):
        return str(exc)
    name = type(exc).__name__
    if name == "InvalidDicomError":
        return "not a DICOM file (no 'DICM' prefix after the 128-byte preamble)"
    if isinstance(exc, FileNotFoundError):
        return "no such file (deleted during the scan, or a broken link)"
    if isinstance(exc, (EOFError, OSError)):
        return f"unreadable or truncated ({name})"
    # Library messages may quote element values: report the error type only.
    return f"unreadable DICOM header ({name})"


#: What a chunk gives back: rows (``path`` and the :data:`ROW_COLUMNS`, in order), failures (path,
#: reason) and notes (path, series_key, keyword, reason).
ChunkResult = tuple[list[tuple], list[tuple[str, str]], list[tuple[str, str, str, str]]]


def _scan_chunk(paths: Sequence[str], salt: str, reader: str = "pydicom") -> ChunkResult:
    """Read the headers of ``paths`` with ``reader`` (``fast`` or ``pydicom``); runs in a worker process.

    The values kept while reading (raw header values, among them PatientID and the UIDs)
    are forgotten when the chunk ends.
    """
    rows: list[tuple] = []
    failures: list[tuple[str, str]] = []
    notes: list[tuple[str, str, str, str]] = []
    fast = reader == "fast"
    pick = operator.itemgetter(*ROW_COLUMNS)
    try:
        for path in paths:
            try:
                row, file_notes = _read_file(path, salt, fast)
            except Exception as exc:
                failures.append((path, _reason(exc)))
            else:
                rows.append((path, *pick(row)))
                notes.extend((path, row["series_key"], keyword, why) for keyword, why in file_notes)
    finally:
        clear_cache()
        clear_layouts()
    return rows, failures, notes
