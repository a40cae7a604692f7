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

The manifest lives in three modules importing only downwards: the classes in
:mod:`hemstats._manifest_model`, the checking of the parsed YAML (keys, types, names,
adapters, paths, checksums) in :mod:`hemstats._manifest_schema`, and the reading of a
file (or a mapping) in this one, which re-exports the classes.

Examples
--------
>>> manifest = load_manifest()                 # the built-in, demo-only manifest
>>> [entry.name for entry in manifest.enabled]
['demo']
>>> manifest.report.confidence_level
0.95
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from hemstats._manifest_model import (
    DEFAULT_MANIFEST,
    SECRET_OPTIONS,
    Checksums,
    DatasetEntry,
    Manifest,
    ReportSettings,
    TreeChecksum,
)
from hemstats._manifest_schema import (
    MAX_MANIFEST_BYTES,
    build_manifest,
    describe,
    duplicate_keys,
    parse_yaml,
    shown_path,
    yaml_problem,
)
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
    "manifest_from_dict",
    "read_manifest",
    "shown_path",
]


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


def manifest_from_dict(data: Any, *, folder: str | os.PathLike[str] | None = None) -> Manifest:
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
    >>> m = manifest_from_dict({"version": 1, "datasets": [{"name": "toy", "adapter": "demo"}]})
    >>> m.enabled[0].name
    'toy'
    >>> manifest_from_dict(m.to_dict(redact=False)) == m
    True
    """
    base = Path(os.path.abspath(folder if folder is not None else os.getcwd()))
    manifest, problems = build_manifest(data, folder=base, path=None)
    if problems or manifest is None:
        raise ManifestError(problems)
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
    if path is not None and not isinstance(path, (str, os.PathLike)):
        problem = Problem("manifest", f"expected the path of a manifest file, got {describe(path)}")
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
        data = parse_yaml(text)
    except yaml.YAMLError as exc:
        return None, [yaml_problem(exc, where)], file
    except RecursionError:
        return None, [Problem(where, "YAML nested too deeply; expected a manifest of a few levels")], file
    problems = duplicate_keys(text, where)
    manifest, more = build_manifest(data, folder=file.parent, path=file)
    return manifest, problems + more, file
