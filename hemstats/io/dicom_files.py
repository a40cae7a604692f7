"""Which files a DICOM scan reads: the regular files under a folder whose names match a pattern.

One walk, as ``os.walk`` (links to folders are not followed, unreadable folders are passed
over, hidden names are skipped) without a ``stat`` call for the plain regular files; what
is not a regular file is returned beside them with the reason :func:`hemstats.io.dicom.scan_dicom`
lists among its failures.

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> with tempfile.TemporaryDirectory() as tmp:
...     _ = Path(tmp, "a.dcm").write_bytes(b"")
...     files, skipped = walk_files(tmp, "*.dcm")
...     [Path(f).name for f in files], skipped
(['a.dcm'], [])
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Callable
from pathlib import Path

from hemstats.errors import DataFormatError
from hemstats.io.dicom_read import not_regular

__all__ = ["walk_files"]


def _matcher(pattern: str) -> Callable[[str], bool]:
    """``name -> Path(name).match(pattern)``, without a Path per name for a one-part pattern."""
    if pattern == "*":
        return lambda name: True
    if "/" in pattern or pattern.strip(".") == "":
        return lambda name: Path(name).match(pattern)
    return lambda name: fnmatch.fnmatchcase(name, pattern)


def walk_files(root: str | Path, pattern: str) -> tuple[list[str], list[tuple[str, str]]]:
    """Regular files under ``root`` matching ``pattern`` (sorted), and the other entries with why.

    As ``os.walk`` (links to folders are not followed, unreadable folders are passed
    over) without a ``stat`` call for the plain regular files.
    """
    base = Path(root)
    if os.path.isfile(base):
        return [str(base)], []
    if not base.is_dir():
        why = "no such file or folder" if not os.path.lexists(base) else "not a regular file or folder"
        raise DataFormatError(f"{base.name or base}: {why} to scan for DICOM files (root)")
    match = _matcher(pattern)
    files: list[str] = []
    skipped: list[tuple[str, str]] = []
    folders = [os.fspath(base)]
    while folders:
        top = folders.pop()
        prefix = top if top.endswith(os.sep) else top + os.sep
        try:
            with os.scandir(top) as it:
                entries = list(it)
        except OSError:
            continue
        for entry in entries:
            name = entry.name
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            if is_dir:
                if not name.startswith(".") and not entry.is_symlink():
                    folders.append(prefix + name)
                continue
            if name.startswith(".") or not match(name):
                continue
            path = prefix + name
            try:
                if entry.is_file(follow_symlinks=False):
                    files.append(path)
                    continue
            except OSError:
                pass
            reason: str | None
            try:
                reason = not_regular(os.stat(path).st_mode)
            except OSError:
                reason = "broken symbolic link: skipped"
            if reason:
                skipped.append((path, reason))
            else:
                files.append(path)
    return sorted(files), sorted(skipped)
