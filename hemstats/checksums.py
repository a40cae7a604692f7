"""Checksums of dataset files: verify downloads and fingerprint what a report used.

A manifest entry may record the expected SHA-256 digests of its files::

    checksums:
      files:                       # single files, paths relative to the dataset folder
        reads.csv: "6f1c...e2"     # 64 hexadecimal characters
      tree:                        # a whole file list
        pattern: "**/*.dcm"
        sha256: "9b0d...41"        # tree_digest(<dataset folder>, "**/*.dcm")

:func:`verify` compares them with the files on disk; :func:`hemstats.load` raises
:class:`~hemstats.errors.ChecksumError` when any differs or is missing.
:func:`fingerprint` identifies the data a report was built from.

Examples
--------
>>> import tempfile, pathlib
>>> with tempfile.TemporaryDirectory() as tmp:
...     _ = pathlib.Path(tmp, "a.txt").write_bytes(b"abc")
...     sha256_file(pathlib.Path(tmp, "a.txt"))
'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from hemstats.errors import HemstatsError, Problem
from hemstats.manifest import SECRET_OPTIONS, DatasetEntry

if TYPE_CHECKING:  # tqdm is imported when a bar is made, so `import hemstats` stays fast
    from tqdm import tqdm

__all__ = ["sha256_file", "tree_digest", "tree_lines", "verify", "fingerprint"]

_CHUNK = 1 << 20  # 1 MiB


def _progress_bar(total: int, *, desc: str, progress: bool) -> tqdm:
    """A byte-count bar on stderr, silent when not a terminal or when progress is False."""
    from tqdm import tqdm

    disable = not progress or not (hasattr(sys.stderr, "isatty") and sys.stderr.isatty())
    return tqdm(total=total, desc=desc, unit="B", unit_scale=True, unit_divisor=1024, disable=disable, leave=False)


def sha256_file(path: str | os.PathLike[str], *, chunk_size: int = _CHUNK, _bar: tqdm | None = None) -> str:
    """The SHA-256 digest of a file's bytes, read in chunks (constant memory).

    Parameters
    ----------
    path : path-like
        The file.
    chunk_size : int, default 1 MiB
        Bytes read at a time.

    Returns
    -------
    str
        64 lower-case hexadecimal characters.

    Raises
    ------
    HemstatsError
        When the file cannot be read (the message names it).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = pathlib.Path(tmp, "empty").write_bytes(b"")
    ...     sha256_file(pathlib.Path(tmp, "empty"))
    'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'
    """
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(chunk_size):
                digest.update(chunk)
                if _bar is not None:
                    _bar.update(len(chunk))
    except OSError as exc:
        raise HemstatsError(
            f"{os.fspath(path)}: cannot read ({exc.strerror or exc}); expected a readable file"
        ) from exc
    return digest.hexdigest()


def _matching_files(root: Path, pattern: str) -> list[tuple[str, Path]]:
    """(posix relative path, path) of the regular files under ``root`` matching ``pattern``."""
    found = {}
    for path in root.glob(pattern):
        if path.is_file():
            found[path.relative_to(root).as_posix()] = path
    return sorted(found.items())


def tree_lines(root: str | os.PathLike[str], pattern: str = "**/*", *, progress: bool = True) -> list[str]:
    """The lines hashed by :func:`tree_digest`, sorted: ``"<path>\\t<size>\\t<sha256>\\n"``.

    Useful to find which file changed when a tree digest differs: compare the lines
    of two copies.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = pathlib.Path(tmp, "a.txt").write_bytes(b"abc")
    ...     tree_lines(tmp)
    ['a.txt\\t3\\tba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\\n']
    """
    base = Path(root)
    if not base.is_dir():
        raise HemstatsError(f"{base}: not a folder; expected the dataset folder to compute a tree digest of")
    files = _matching_files(base, pattern)
    sizes = [(rel, path, path.stat().st_size) for rel, path in files]
    lines = []
    with _progress_bar(sum(s for _, _, s in sizes), desc=f"sha256 {base.name}/{pattern}", progress=progress) as bar:
        for rel, path, size in sizes:
            lines.append(f"{rel}\t{size}\t{sha256_file(path, _bar=bar)}\n")
    return sorted(lines)


def tree_digest(root: str | os.PathLike[str], pattern: str = "**/*", *, progress: bool = True) -> str:
    """The digest of a file list: names, sizes and contents of every file matching a glob.

    Definition: list every regular file ``f`` under ``root`` that
    ``pathlib.Path(root).glob(pattern)`` yields (directories excluded; hidden files
    included; symbolic links to files followed; matching is case-sensitive on POSIX).
    For each, form the line ``"<p>\\t<n>\\t<h>\\n"`` where ``<p>`` is ``f``'s path
    relative to ``root`` with ``/`` separators, ``<n>`` its size in bytes in decimal and
    ``<h>`` the lower-case hex SHA-256 of its bytes.  Sort the lines by code point
    (Python's ``sorted``), join them, encode as UTF-8 and take the SHA-256: the
    lower-case hex digest is the tree digest.  With no matching file it is the
    SHA-256 of no bytes, ``e3b0c442...b855``.  The same digest with coreutils, for
    ``pattern="**/*.dcm"`` and run inside ``root`` (file names without tabs or newlines)::

        find . -type f -name '*.dcm' | sed 's|^\\./||' | while IFS= read -r f; do
          printf '%s\\t%s\\t%s\\n' "$f" "$(stat -c %s "$f")" "$(sha256sum "$f" | cut -d' ' -f1)"
        done | LC_ALL=C sort | sha256sum

    Parameters
    ----------
    root : path-like
        The dataset folder.
    pattern : str, default ``"**/*"``
        A relative glob, e.g. ``"**/*.dcm"``.
    progress : bool, default True
        Show a progress bar on stderr (only when stderr is a terminal).

    Returns
    -------
    str
        64 lower-case hexadecimal characters; record it as ``checksums.tree.sha256``.

    Examples
    --------
    >>> import hashlib, tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = pathlib.Path(tmp, "a.txt").write_bytes(b"abc")
    ...     digest = tree_digest(tmp)
    >>> line = "a.txt\\t3\\t" + hashlib.sha256(b"abc").hexdigest() + "\\n"
    >>> digest == hashlib.sha256(line.encode()).hexdigest()
    True
    """
    return _digest_lines(tree_lines(root, pattern, progress=progress))


def _digest_lines(lines: Iterable[str]) -> str:
    digest = hashlib.sha256()
    for line in lines:
        digest.update(line.encode("utf-8"))
    return digest.hexdigest()


def _base(entry: DatasetEntry) -> Path | None:
    if entry.path is None:
        return None
    return entry.path if entry.path.is_dir() else entry.path.parent


def verify(entry: DatasetEntry, *, progress: bool = True) -> list[Problem]:
    """Compare a dataset's files with the checksums its manifest entry records.

    ``checksums.files`` paths are relative to the dataset's ``path`` (to the folder
    holding it when ``path`` is a file); ``checksums.tree`` is checked with
    :func:`tree_digest`.

    Parameters
    ----------
    entry : DatasetEntry
        A manifest entry (from :func:`hemstats.load_manifest`).
    progress : bool, default True
        Show a progress bar on stderr (only when stderr is a terminal).

    Returns
    -------
    list of Problem
        Empty when everything matches (or nothing is recorded); otherwise one problem
        per missing, unreadable or different file and per differing tree, each naming
        the dataset, the file, the expected and the actual digest.

    Examples
    --------
    >>> import hashlib, tempfile, pathlib
    >>> from hemstats.manifest import manifest_from_dict
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = pathlib.Path(tmp, "labels.csv").write_text("id,value\\n")
    ...     entry = manifest_from_dict({"version": 1, "datasets": [{
    ...         "name": "toy", "adapter": "cq500", "path": tmp,
    ...         "checksums": {"files": {"labels.csv": "0" * 64}}}]}).datasets[0]
    ...     [p.where for p in verify(entry, progress=False)]
    ["dataset 'toy' (datasets[0]), file 'labels.csv'"]
    """
    checksums = entry.checksums
    if checksums is None:
        return []
    base = _base(entry)
    if base is None:
        return [Problem(f"{entry.where}, key 'checksums'", "checksums are recorded but the dataset has no path")]
    problems: list[Problem] = []
    present = {rel: base / rel for rel in checksums.files if (base / rel).is_file()}
    total = sum(path.stat().st_size for path in present.values())
    with _progress_bar(total, desc=f"verify {entry.name}", progress=progress) as bar:
        for rel, expected in checksums.files.items():
            where = f"{entry.where}, file {rel!r}"
            path = base / rel
            if rel not in present:
                what = "is a folder" if path.is_dir() else "not found"
                problems.append(Problem(where, f"{what}; expected a file with sha256 {expected}"))
                continue
            try:
                actual = sha256_file(path, _bar=bar)
            except HemstatsError as exc:
                problems.append(Problem(where, f"{exc}; expected sha256 {expected}"))
                continue
            if actual != expected:
                problems.append(
                    Problem(
                        where,
                        f"sha256 is {actual}, expected {expected} (checksums.files); "
                        "the file differs from the one the manifest records",
                    )
                )
    tree = checksums.tree
    if tree is not None:
        where = f"{entry.where}, files {tree.pattern!r} under the dataset's folder"
        try:
            lines = tree_lines(base, tree.pattern, progress=progress)
        except HemstatsError as exc:
            problems.append(Problem(where, f"{exc}; expected tree sha256 {tree.sha256}"))
        else:
            actual = _digest_lines(lines)
            if actual != tree.sha256:
                problems.append(
                    Problem(
                        where,
                        f"tree digest of {len(lines)} file{'s' * (len(lines) != 1)} is {actual}, "
                        f"expected {tree.sha256} (checksums.tree); a file was added, removed or changed "
                        "(hemstats.checksums.tree_lines lists what was hashed)",
                    )
                )
    return problems


def fingerprint(entry: DatasetEntry) -> str:
    """A SHA-256 identifying the data a manifest entry loads, for the Provenance page.

    It is the SHA-256 of a canonical JSON document (sorted keys, no spaces) holding the
    adapter name and its options, and, for a dataset with a ``path``: the recorded
    checksums (which :func:`hemstats.load` verifies before loading) and the sorted
    ``"<relative path>\\t<size>"`` list of every file under the path.  File contents are
    not read here (a 400 GB dataset would take hours): record ``checksums`` to make
    the fingerprint content-backed.  For the generated demo it is a digest of the
    adapter name and options alone, which fix its content.

    Parameters
    ----------
    entry : DatasetEntry
        A manifest entry.

    Returns
    -------
    str
        64 lower-case hexadecimal characters.

    Examples
    --------
    >>> from hemstats.manifest import load_manifest
    >>> demo = load_manifest().datasets[0]
    >>> fingerprint(demo) == fingerprint(demo)
    True
    >>> len(fingerprint(demo))
    64
    """
    # Secret options (the salt of pseudonymous ids) are left out: a published digest must
    # not let anyone test guesses of them.
    options = {k: v for k, v in entry.options.items() if k.lower() not in SECRET_OPTIONS}
    doc: dict[str, object] = {"adapter": entry.adapter, "options": options}
    if entry.path is not None:
        doc["checksums"] = None if entry.checksums is None else entry.checksums.to_dict()
        doc["files"] = _listing_digest(entry.path)
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"), default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _listing_digest(path: Path) -> str:
    """SHA-256 over the sorted ``"<posix relative path>\\t<size>\\n"`` lines of every file under ``path``."""
    if path.is_file():
        return _digest_lines([f"{path.name}\t{path.stat().st_size}\n"])
    lines = []
    for folder, _dirs, files in os.walk(path):
        for name in files:
            file = Path(folder, name)
            try:
                size = file.stat().st_size
            except OSError:  # broken link: name it without a size
                size = -1
            lines.append(f"{file.relative_to(path).as_posix()}\t{size}\n")
    return _digest_lines(sorted(lines))
