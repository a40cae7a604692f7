"""The report's build folder: which folders a build may write into, and paths as pages show them.

A build writes, rewrites and deletes files in its folder (the book source copy, the
cohort, the execution cache), so it only ever uses a folder that hemstats owns: a
new or empty one, which it marks with :data:`MARKER`, or one marked so by an earlier
build.  Any other folder (a project folder, ``.``, the home folder, ``/``) is refused
before anything is written.  Published pages show the build folder, the manifest and
the command without the machine's absolute paths (:func:`public_command`).

Examples
--------
>>> import tempfile, pathlib
>>> with tempfile.TemporaryDirectory() as tmp:
...     out = claim_build_folder(pathlib.Path(tmp, "report"))
...     (out / MARKER).is_file()
True
>>> public_command("hemstats report /home/jdoe/data/m.yaml --out=/home/jdoe/site")
'hemstats report m.yaml --out=site'
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path

from hemstats.errors import ReportError

__all__ = ["MARKER", "check_build_folder", "claim_build_folder", "shown_path", "public_command"]

#: File that marks a folder as a hemstats report build folder.
MARKER = ".hemstats-report"
#: Written by builds before the marker existed (after a successful build).
_LEGACY_MARKER = ".hemstats-digest"
_MARKER_TEXT = (
    "This folder is a hemstats report build folder: `hemstats report` created it and may\n"
    "delete or rewrite anything in it. Keep no other files here.\n"
)


def shown_path(path: str | os.PathLike[str]) -> str:
    """``path`` as messages show it: relative to the current folder, never absolute.

    Examples
    --------
    >>> shown_path("site/build.log")
    'site/build.log'
    """
    p = Path(path)
    if not p.is_absolute():
        return p.as_posix()
    try:
        rel = os.path.relpath(p, Path.cwd())
    except ValueError:  # another drive on Windows
        return p.name or "."
    return Path(rel).as_posix() if not rel.startswith(os.pardir * 3) else (p.name or ".")


def _owned(folder: Path) -> bool:
    return (folder / MARKER).is_file() or (folder / _LEGACY_MARKER).is_file()


def check_build_folder(out: str | os.PathLike[str]) -> Path:
    """The resolved build folder, after checking that a build may write into it; creates nothing.

    Raises
    ------
    ReportError
        When ``out`` is a file, or a non-empty folder that hemstats did not create
        (no :data:`MARKER` in it): a build there would overwrite or delete the files.
    """
    given = Path(out).expanduser()
    folder = given.resolve()
    shown = shown_path(given)
    if folder.exists() and not folder.is_dir():
        raise ReportError(f"report folder {shown!r}: is a file, not a folder; give a new folder, e.g. --out report")
    blocking = next((p for p in folder.parents if p.exists() and not p.is_dir()), None)
    if blocking is not None:
        raise ReportError(
            f"report folder {shown!r}: cannot be created, {shown_path(blocking)!r} is a file; give a new folder, "
            "e.g. --out report"
        )
    if folder.is_dir() and not _owned(folder):
        entries = sorted(p.name for p in folder.iterdir())
        if entries:
            raise ReportError(
                f"report folder {shown!r}: not empty and not created by hemstats (it holds {entries[0]!r}"
                f"{f' and {len(entries) - 1} more' if len(entries) > 1 else ''}); a build deletes and rewrites "
                "files in its folder, so give a new or empty folder, e.g. --out report"
            )
    return folder


def claim_build_folder(out: str | os.PathLike[str]) -> Path:
    """:func:`check_build_folder`, then create the folder and mark it as hemstats'.

    Returns
    -------
    pathlib.Path
        The resolved folder, holding :data:`MARKER`.
    """
    folder = check_build_folder(out)
    folder.mkdir(parents=True, exist_ok=True)
    marker = folder / MARKER
    if not marker.is_file():
        marker.write_text(_MARKER_TEXT, encoding="utf-8")
    return folder


def _public_token(token: str) -> str:
    if token.startswith("-") and "=" in token:
        key, value = token.split("=", 1)
        return f"{key}={_public_token(value)}"
    if token.startswith("~") or os.path.isabs(token):
        return Path(os.path.expanduser(token)).name or "."
    return token


def public_command(command: str) -> str:
    """``command`` with every absolute (or ``~``) path reduced to its last part.

    What the Provenance page shows: the command as typed, without the folders of the
    machine that ran it (which hold user names).
    """
    try:
        tokens = shlex.split(command)
    except ValueError:
        return " ".join(_public_token(t) for t in command.split())
    return shlex.join(_public_token(t) for t in tokens)
