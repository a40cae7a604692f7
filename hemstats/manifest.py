"""The data manifest: which datasets a report covers, where they are and how to load them.

A manifest is a YAML file (``data_manifest.yaml``) with three top-level keys::

    version: 1
    report:            # optional; defaults shown
      title: hemstats report
      seed: 0                  # every random step of the report derives from it; an integer >= 0
      confidence_level: 0.95   # strictly between 0 and 1
      n_resamples: 2000        # bootstrap resamples, an integer from 200 to 100000
    datasets:
      - name: demo             # becomes the ``dataset`` column
        adapter: demo          # a key of hemstats.datasets.ADAPTERS
        enabled: true          # optional, default true
        path: null             # folder of the dataset; relative to the manifest's folder
        options: {n_studies: 1200, seed: 0}   # keyword arguments of the adapter
        checksums: null        # see hemstats.checksums
        licence: ...
        citation: ...
        source: https://...
        description: ...

:func:`load_manifest` reads it with a safe YAML loader and checks it in one
pass: every problem found (unknown or misspelt keys, wrong types, adapter options
that do not fit the adapter's signature, duplicate names, unknown adapters, missing
folders, YAML syntax errors with their line) is reported together in one
:class:`~hemstats.errors.ManifestError`.  YAML anchors and aliases (``&a``, ``*a``),
tags other than the plain data types (``!!python/...``, ``!!binary``) and files over
1 MB are refused: a few hundred bytes of nested aliases expand to gigabytes.
Messages name files relative to the current folder (or by name only), never by
their absolute path.

The checking of the parsed YAML (keys, types, names, adapters, paths, checksums)
lives in :mod:`hemstats._manifest_schema`; this module holds the classes and the reading.

Examples
--------
>>> manifest = load_manifest()                 # the built-in, demo-only manifest
>>> [entry.name for entry in manifest.enabled]
['demo']
>>> manifest.report.confidence_level
0.95
"""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from hemstats.errors import ManifestError, Problem

__all__ = [
    "DEFAULT_MANIFEST",
    "SECRET_OPTIONS",
    "Manifest",
    "DatasetEntry",
    "ReportSettings",
    "Checksums",
    "TreeChecksum",
    "load_manifest",
    "read_manifest",
    "shown_path",
]

#: The built-in manifest used when none is given: the demo cohort only.
DEFAULT_MANIFEST: Path = Path(__file__).with_name("default_manifest.yaml")

#: Option names whose values are secrets, never shown by ``to_dict``/``to_yaml`` (case-insensitive).
SECRET_OPTIONS: frozenset[str] = frozenset({"salt", "secret", "password", "token", "api_key"})
#: What a secret option is shown as.
REDACTED = "<redacted>"

_REPORT_KEYS = ("title", "seed", "confidence_level", "n_resamples")


class _PlainDumper(yaml.SafeDumper):
    """Writes a value shared by two keys out twice: a manifest may hold no anchors or aliases."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _where_dataset(index: int | None, name: str | None) -> str:
    at = f"datasets[{index}]" if index is not None else None
    if name is None:
        return at or "dataset"
    return f"dataset {name!r} ({at})" if at else f"dataset {name!r}"


# ----------------------------------------------------------------------------------------------
# The parsed manifest
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ReportSettings:
    """The ``report:`` block: settings shared by every page of the report.

    Attributes
    ----------
    title : str
        Title of the report.
    seed : int
        Seed of every random step of the report (bootstrap, permutation ...).
    confidence_level : float
        Confidence level of every interval, in (0, 1).
    n_resamples : int
        Number of bootstrap resamples, from 200 to 100,000.
    """

    title: str = "hemstats report"
    seed: int = 0
    confidence_level: float = 0.95
    n_resamples: int = 2000

    def to_dict(self) -> dict[str, Any]:
        """The settings as a plain dict, in manifest key order."""
        return {key: getattr(self, key) for key in _REPORT_KEYS}


@dataclass(frozen=True)
class TreeChecksum:
    """``checksums.tree``: the digest of every file matching ``pattern`` under the dataset folder.

    The digest is defined by :func:`hemstats.checksums.tree_digest`.
    """

    sha256: str
    pattern: str = "**/*"


@dataclass(frozen=True)
class Checksums:
    """A dataset's ``checksums:`` block.

    Attributes
    ----------
    files : mapping of str to str
        POSIX path relative to the dataset folder -> lower-case SHA-256 hex digest.
    tree : TreeChecksum or None
        The digest of a whole file list, see :func:`hemstats.checksums.tree_digest`.
    """

    files: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    tree: TreeChecksum | None = None

    def to_dict(self) -> dict[str, Any]:
        """The block as plain dicts, as written in a manifest."""
        out: dict[str, Any] = {}
        if self.files:
            out["files"] = dict(self.files)
        if self.tree is not None:
            out["tree"] = {"pattern": self.tree.pattern, "sha256": self.tree.sha256}
        return out


@dataclass(frozen=True)
class DatasetEntry:
    """One item of the manifest's ``datasets:`` list, checked and with its path resolved.

    Attributes
    ----------
    name : str
        The dataset's name, the value of the ``dataset`` column.
    adapter : str
        A key of :data:`hemstats.datasets.ADAPTERS`.
    enabled : bool
        Whether :func:`hemstats.load` loads it.
    path : pathlib.Path or None
        Absolute path of the dataset (relative paths are resolved against the
        manifest's folder, ``~`` is expanded); None for the generated demo.
    options : mapping
        Keyword arguments passed to the adapter (a read-only copy).
    checksums : Checksums or None
        Expected digests of the dataset's files.
    licence, citation, source, description : str or None
        Provenance text, shown on the report's Provenance page.
    index : int or None
        Position in the manifest's ``datasets`` list, used in messages.
    """

    name: str
    adapter: str
    enabled: bool = True
    path: Path | None = None
    options: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    checksums: Checksums | None = None
    licence: str | None = None
    citation: str | None = None
    source: str | None = None
    description: str | None = None
    index: int | None = field(default=None, compare=False)

    @property
    def where(self) -> str:
        """How messages name this entry: ``"dataset 'cq500' (datasets[4])"``."""
        return _where_dataset(self.index, self.name)

    def to_dict(self, *, redact: bool = True, folder: Path | None = None) -> dict[str, Any]:
        """The entry as plain values, in manifest key order, with the resolved path.

        With ``redact`` (the default), options named like secrets (:data:`SECRET_OPTIONS`,
        e.g. the ``salt`` of pseudonymous keys) are replaced by ``"<redacted>"``, and the
        path is shown relative to ``folder`` (the manifest's) or, outside it, by its last
        part only, so the result can be published on a Provenance page without the
        user's folder layout.
        """
        options = copy.deepcopy(dict(self.options))
        path = None if self.path is None else self.path.as_posix()
        if redact:
            options = {k: REDACTED if k.lower() in SECRET_OPTIONS else v for k, v in options.items()}
            if self.path is not None:
                inside = folder is not None and self.path.is_relative_to(folder)
                path = self.path.relative_to(folder).as_posix() if inside else f"<elsewhere>/{self.path.name}"
        return {
            "name": self.name,
            "adapter": self.adapter,
            "enabled": self.enabled,
            "path": path,
            "options": options,
            "checksums": None if self.checksums is None else self.checksums.to_dict(),
            "licence": self.licence,
            "citation": self.citation,
            "source": self.source,
            "description": self.description,
        }


@dataclass(frozen=True)
class Manifest:
    """A checked data manifest.

    Attributes
    ----------
    path : pathlib.Path or None
        Absolute path of the manifest file (None when built from a mapping).
    folder : pathlib.Path
        The folder relative dataset paths are resolved against.
    report : ReportSettings
        The ``report:`` block.
    datasets : tuple of DatasetEntry
        Every dataset listed, enabled or not, in manifest order.
    version : int
        Manifest format version (1).

    Examples
    --------
    >>> manifest = load_manifest()
    >>> manifest.datasets[0].adapter, manifest.datasets[0].path is None
    ('demo', True)
    >>> manifest.to_dict()["datasets"][0]["options"]
    {'n_studies': 1200, 'seed': 0}
    """

    path: Path | None
    folder: Path
    report: ReportSettings = field(default_factory=ReportSettings)
    datasets: tuple[DatasetEntry, ...] = ()
    version: int = 1

    @property
    def enabled(self) -> tuple[DatasetEntry, ...]:
        """The enabled entries, in manifest order."""
        return tuple(entry for entry in self.datasets if entry.enabled)

    @property
    def names(self) -> tuple[str, ...]:
        """Every dataset name, in manifest order."""
        return tuple(entry.name for entry in self.datasets)

    def to_dict(self, *, redact: bool = True) -> dict[str, Any]:
        """The manifest as plain values, for the Provenance page.

        Secret options (:data:`SECRET_OPTIONS`) are shown as ``"<redacted>"`` and dataset
        paths relative to the manifest's folder unless ``redact=False``; then
        :meth:`Manifest.from_dict` of the result (absolute paths) gives an equal manifest.
        """
        return {
            "version": self.version,
            "report": self.report.to_dict(),
            "datasets": [entry.to_dict(redact=redact, folder=self.folder) for entry in self.datasets],
        }

    def to_yaml(self, *, redact: bool = True) -> str:
        """:meth:`to_dict` as YAML text, keys in manifest order.

        Examples
        --------
        >>> print(load_manifest().to_yaml().splitlines()[0])
        version: 1
        """
        return yaml.dump(
            self.to_dict(redact=redact), Dumper=_PlainDumper, sort_keys=False, allow_unicode=True, width=100
        )

    @classmethod
    def from_dict(cls, data: Any, *, folder: str | os.PathLike[str] | None = None) -> Manifest:
        """Check a manifest given as parsed YAML (a mapping) instead of a file.

        Parameters
        ----------
        data : mapping
            The manifest's content; it is not modified.
        folder : path-like, optional
            Folder relative dataset paths resolve against; default the current directory.

        Raises
        ------
        ManifestError
            Listing every problem found.

        Examples
        --------
        >>> m = Manifest.from_dict({"version": 1, "datasets": [{"name": "toy", "adapter": "demo"}]})
        >>> m.enabled[0].name
        'toy'
        """
        from hemstats._manifest_schema import _build  # it builds these classes: imported when used

        base = Path(os.path.abspath(folder if folder is not None else os.getcwd()))
        manifest, problems = _build(data, folder=base, path=None)
        if problems or manifest is None:
            raise ManifestError(problems)
        return manifest


# ----------------------------------------------------------------------------------------------
# Reading
# ----------------------------------------------------------------------------------------------
def load_manifest(path: str | os.PathLike[str] | None = None) -> Manifest:
    """Read and check a data manifest.

    Parameters
    ----------
    path : path-like, optional
        The YAML file.  None reads the built-in manifest, :data:`DEFAULT_MANIFEST`,
        which enables only the generated ``demo`` dataset.

    Returns
    -------
    Manifest
        Relative dataset paths resolved against the manifest's folder (not the
        current directory).

    Raises
    ------
    ManifestError
        Listing every problem found in one pass, each naming the dataset and the key
        (``dataset 'cq500' (datasets[4]), key 'path'``) and what was expected; YAML
        syntax errors name the line.

    Examples
    --------
    >>> manifest = load_manifest()
    >>> manifest.path.name, manifest.version
    ('default_manifest.yaml', 1)
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     bad = pathlib.Path(tmp, "m.yaml")
    ...     _ = bad.write_text("version: 1\\ndatasets:\\n  - name: demo\\n    adaptor: demo\\n")
    ...     load_manifest(bad)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    hemstats.errors.ManifestError: invalid manifest m.yaml: 2 problems
      - dataset 'demo' (datasets[0]), key 'adaptor': unknown key; did you mean 'adapter'? ...
      - dataset 'demo' (datasets[0]), key 'adapter': required key is missing; expected one of ...
    """
    manifest, problems, file = read_manifest(path)
    if problems or manifest is None:
        raise ManifestError(problems, path=shown_path(file))
    return manifest


def read_manifest(
    path: str | os.PathLike[str] | None = None,
) -> tuple[Manifest | None, list[Problem], Path]:
    """Read a manifest without raising: the usable part, every problem, the file read.

    The returned manifest holds the entries that have no problem of their own (None
    when the file cannot be read or parsed).  :func:`hemstats.validate` uses it to go
    on checking the good entries after reporting the bad ones.

    Examples
    --------
    >>> manifest, problems, file = read_manifest()
    >>> problems, file.name
    ([], 'default_manifest.yaml')
    """
    # hemstats._manifest_schema builds the classes above, so it is imported when used.
    from hemstats._manifest_schema import MAX_MANIFEST_BYTES, _build, _describe, _duplicate_keys, _parse, _yaml_problem

    if path is not None and not isinstance(path, (str, os.PathLike)):
        problem = Problem("manifest", f"expected the path of a manifest file, got {_describe(path)}")
        return None, [problem], Path(os.getcwd())
    file = Path(os.path.abspath(os.path.expanduser(os.fspath(path)))) if path is not None else DEFAULT_MANIFEST
    where = shown_path(file)
    if "\x00" in str(file):
        return None, [Problem("manifest", "the manifest's path holds a NUL character; expected a file path")], file
    try:
        size = file.stat().st_size
        if file.is_file() and size > MAX_MANIFEST_BYTES:
            message = f"the manifest is {size:,} bytes; expected a YAML file of at most {MAX_MANIFEST_BYTES:,} bytes"
            return None, [Problem(where, message)], file
        raw = file.read_bytes()
    except FileNotFoundError:
        return None, [Problem(where, "manifest file not found; expected a YAML file (data_manifest.yaml)")], file
    except IsADirectoryError:
        return None, [Problem(where, "is a folder; expected the manifest's YAML file")], file
    except OSError as exc:
        return None, [Problem(where, f"cannot read the manifest: {exc.strerror or type(exc).__name__}")], file
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, [Problem(where, f"not UTF-8 text ({exc.reason} at byte {exc.start}); expected a YAML file")], file
    try:
        data = _parse(text)
    except yaml.YAMLError as exc:
        return None, [_yaml_problem(exc, where)], file
    except RecursionError:
        return None, [Problem(where, "YAML nested too deeply; expected a manifest of a few levels")], file
    problems = _duplicate_keys(text, where)
    manifest, more = _build(data, folder=file.parent, path=file)
    return manifest, problems + more, file


def shown_path(file: str | os.PathLike[str]) -> str:
    """How messages name a file: relative to the current folder when inside it, else its name only.

    No absolute path of the user's machine reaches a message.

    Examples
    --------
    >>> shown_path(Path.cwd() / "sub" / "data_manifest.yaml")
    'sub/data_manifest.yaml'
    >>> shown_path("/somewhere/else/data_manifest.yaml")
    'data_manifest.yaml'
    """
    absolute = Path(os.path.abspath(file))
    try:
        return absolute.relative_to(Path.cwd()).as_posix()
    except (ValueError, OSError):
        return absolute.name
