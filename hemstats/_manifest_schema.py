"""Checking a parsed data manifest and collecting every problem, for :mod:`hemstats.manifest`.

:func:`build_manifest` checks what :func:`parse_yaml` returned against the manifest schema
(keys, types, names, adapters, paths, checksums) and builds the classes of
:mod:`hemstats._manifest_model` from the entries without problems; :func:`yaml_problem` and
:func:`duplicate_keys` report what the YAML parser rejects or silently drops.  Problems
are collected, never raised, so that one :class:`~hemstats.errors.ManifestError` lists
them all.
"""

from __future__ import annotations

import copy
import datetime
import difflib
import math
import os
import re
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from types import MappingProxyType
from typing import Any

import yaml

import hemstats.datasets as _datasets
from hemstats._adapter_options import option_problems
from hemstats._manifest_model import (
    REPORT_KEYS,
    Checksums,
    DatasetEntry,
    Manifest,
    ReportSettings,
    TreeChecksum,
    where_dataset,
)
from hemstats.errors import Problem

__all__ = [
    "MAX_DEPTH",
    "MAX_MANIFEST_BYTES",
    "N_RESAMPLES_RANGE",
    "ManifestLoader",
    "build_manifest",
    "describe",
    "duplicate_keys",
    "parse_yaml",
    "shown_path",
    "yaml_problem",
]

#: Allowed ``report.n_resamples``: fewer than 200 resamples give unstable percentile
#: intervals (and a bootstrap of 1 fails), more than 100,000 take hours on a laptop.
N_RESAMPLES_RANGE = (200, 100_000)

#: Adapters that generate their data and take no ``path``.
_PATHLESS_ADAPTERS = frozenset({"demo"})

_TOP_KEYS = ("version", "report", "datasets")
_DATASET_KEYS = (
    "name",
    "adapter",
    "enabled",
    "path",
    "options",
    "checksums",
    "licence",
    "citation",
    "source",
    "description",
)
_TEXT_KEYS = ("licence", "citation", "source", "description")
_CHECKSUM_KEYS = ("files", "tree")
_TREE_KEYS = ("pattern", "sha256")
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_SHA256_RE = re.compile(r"^[0-9a-fA-F]{64}$")
_IDENTIFIER_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


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


# ----------------------------------------------------------------------------------------------
# YAML problems
# ----------------------------------------------------------------------------------------------
#: Largest manifest file read, in bytes: a manifest is a few kilobytes of text.
MAX_MANIFEST_BYTES = 1_000_000

#: Deepest nesting of lists and mappings accepted (a manifest uses about six levels).
MAX_DEPTH = 64

#: The only explicit YAML tags a manifest may carry (the plain data types).
_SAFE_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null", "seq", "map")
) | {"!"}


class _Refused(yaml.YAMLError):
    """A YAML feature a manifest may not use, at a line."""

    def __init__(self, mark: yaml.Mark, message: str) -> None:
        super().__init__(message)
        self.problem_mark = mark
        self.message = message


class ManifestLoader(yaml.SafeLoader):
    """A SafeLoader that refuses anchors, aliases and tags other than the plain data types.

    An alias repeats a node without copying it in the file, so a few hundred bytes of
    nested aliases expand into billions of values once a program walks them (a "YAML
    bomb"); a manifest has no use for them.
    """

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            raise _Refused(
                event.start_mark,
                f"YAML alias '*{event.anchor}' is not allowed in a manifest; expected the value written out in full",
            )
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            raise _Refused(
                event.start_mark,
                f"YAML anchor '&{anchor}' is not allowed in a manifest; expected plain values without '&' and '*'",
            )
        tag = getattr(event, "tag", None)
        if tag is not None and not isinstance(event, yaml.DocumentStartEvent) and tag not in _SAFE_TAGS:
            raise _Refused(
                event.start_mark,
                f"YAML tag {tag!r} is not allowed in a manifest; expected plain text, numbers, "
                "true/false, lists and mappings",
            )
        depth = getattr(self, "_depth", 0)
        if depth >= MAX_DEPTH:
            raise _Refused(event.start_mark, f"YAML nested more than {MAX_DEPTH} levels deep; expected a few levels")
        self._depth = depth + 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth = depth


def parse_yaml(text: str) -> Any:
    """The YAML document in ``text``, through :class:`ManifestLoader`.

    Raises yaml.YAMLError (:class:`_Refused` for an anchor, alias or tag).
    """
    loader = ManifestLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def yaml_problem(exc: yaml.YAMLError, where: str) -> Problem:
    mark = getattr(exc, "problem_mark", None)
    if mark is not None:
        where = f"{where}, line {mark.line + 1}, column {mark.column + 1}"
    if isinstance(exc, _Refused):
        return Problem(where, exc.message)
    what = " ".join(str(part) for part in (getattr(exc, "context", None), getattr(exc, "problem", None)) if part)
    return Problem(where, f"YAML syntax error: {what or exc}; expected valid YAML (check indentation and quotes)")


def duplicate_keys(text: str, file: str) -> list[Problem]:
    """A key written twice in one mapping: YAML silently keeps the last one, so report it."""
    try:
        root = yaml.compose(text, Loader=ManifestLoader)
    except yaml.YAMLError:  # pragma: no cover - parse_yaml succeeded on the same text
        return []
    problems: list[Problem] = []

    def label(prefix: str | None, keys: list[str]) -> str:
        dotted = ".".join(keys)
        return f"{prefix}, key {dotted!r}" if prefix else f"key {dotted!r}"

    visited: set[int] = set()  # an alias repeats a node (or makes a cycle): check each node once

    def visit(node: yaml.Node, prefix: str | None, keys: list[str]) -> None:
        if id(node) in visited:
            return
        visited.add(id(node))
        if isinstance(node, yaml.MappingNode):
            seen: dict[str, int] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    continue
                key, line = key_node.value, key_node.start_mark.line + 1
                if key in seen:
                    problems.append(
                        Problem(
                            label(prefix, keys + [key]),
                            f"key written twice (lines {seen[key]} and {line} of {file}); "
                            "YAML keeps only the last one: remove one of them",
                        )
                    )
                else:
                    seen[key] = line
                visit(value_node, prefix, keys + [key])
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                if prefix is None and keys == ["datasets"]:
                    name = None
                    if isinstance(item, yaml.MappingNode):
                        for k, v in item.value:
                            if isinstance(k, yaml.ScalarNode) and k.value == "name" and isinstance(v, yaml.ScalarNode):
                                name = v.value
                    visit(item, where_dataset(i, name), [])
                else:
                    visit(item, prefix, keys[:-1] + [f"{keys[-1]}[{i}]"] if keys else [f"[{i}]"])

    if root is not None:
        visit(root, None, [])
    return problems


# ----------------------------------------------------------------------------------------------
# Checking
# ----------------------------------------------------------------------------------------------
def _did_you_mean(word: str, choices: tuple[str, ...] | list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}? " if close else ""


def describe(value: Any) -> str:
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{type(value).__name__} {text}"


def _quote_hint(value: Any) -> str:
    # YAML 1.1 reads yes/no/on/off as booleans and digits as numbers.
    plain = (bool, int, float, datetime.date)  # YAML reads 2024-01-01 as a date
    return " (quote it in the YAML file to make it text)" if isinstance(value, plain) else ""


class _Checker:
    """Collects problems while a manifest is checked."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, where: str, message: str) -> None:
        self.problems.append(Problem(where, message))

    def unknown_keys(self, data: Mapping[Any, Any], known: tuple[str, ...], where: Any) -> None:
        for key in data:
            if key not in known:
                hint = _did_you_mean(str(key), known) if isinstance(key, str) else ""
                self.add(where(key), f"unknown key; {hint}expected one of {', '.join(known)}")


def build_manifest(data: Any, *, folder: Path, path: Path | None) -> tuple[Manifest | None, list[Problem]]:
    """Check parsed YAML; the manifest of the entries without problems, and every problem."""
    check = _Checker()
    whole = shown_path(path) if path is not None else "manifest"
    if data is None:
        check.add(whole, "the manifest is empty; expected a mapping with keys version, report, datasets")
        return None, check.problems
    if not isinstance(data, Mapping):
        check.add(
            whole, f"expected a mapping with keys version, report, datasets at the top level, got {describe(data)}"
        )
        return None, check.problems

    check.unknown_keys(data, _TOP_KEYS, lambda key: f"key {key!r}")
    version = data.get("version")
    if "version" not in data:
        check.add("key 'version'", "required key is missing; expected version: 1")
    elif version != 1 or isinstance(version, bool):
        check.add("key 'version'", f"unsupported manifest version {version!r}; expected 1")
    report = _report(data.get("report"), check)

    entries: list[DatasetEntry] = []
    raw_datasets = data.get("datasets")
    if "datasets" not in data:
        check.add("key 'datasets'", "required key is missing; expected a list of datasets")
    elif raw_datasets is None:
        raw_datasets = []
    elif not isinstance(raw_datasets, list):
        check.add(
            "key 'datasets'", f"expected a list of datasets (items starting with '- '), got {describe(raw_datasets)}"
        )
        raw_datasets = []
    seen: dict[str, int] = {}
    for i, item in enumerate(raw_datasets or []):
        before = len(check.problems)
        entry = _entry(item, i, folder, check)
        if entry is not None and entry.name in seen:
            check.add(
                f"{entry.where}, key 'name'",
                f"duplicate dataset name; datasets[{seen[entry.name]}] has the same name; expected unique names",
            )
            continue
        if entry is not None:
            seen[entry.name] = i
            if len(check.problems) == before:
                entries.append(entry)
    manifest = Manifest(path=path, folder=folder, report=report, datasets=tuple(entries), version=1)
    return manifest, check.problems


def _report(raw: Any, check: _Checker) -> ReportSettings:
    default = ReportSettings()
    if raw is None:
        return default
    if not isinstance(raw, Mapping):
        check.add(
            "key 'report'", f"expected a mapping (title, seed, confidence_level, n_resamples), got {describe(raw)}"
        )
        return default
    check.unknown_keys(raw, REPORT_KEYS, lambda key: f"key 'report.{key}'")
    values: dict[str, Any] = {}
    title = raw.get("title", default.title)
    if not isinstance(title, str) or not title.strip():
        check.add("key 'report.title'", f"expected non-empty text, got {describe(title)}")
    elif len(title) > 200 or any(ord(c) < 32 or ord(c) == 127 for c in title):
        check.add(
            "key 'report.title'",
            f"expected one line of at most 200 characters (it titles every page), got {describe(title)}",
        )
    else:
        values["title"] = title
    seed = raw.get("seed", default.seed)
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63:
        check.add("key 'report.seed'", f"expected an integer >= 0 (e.g. 20241122), got {describe(seed)}")
    else:
        values["seed"] = seed
    n = raw.get("n_resamples", default.n_resamples)
    low, high = N_RESAMPLES_RANGE
    if isinstance(n, bool) or not isinstance(n, int) or not low <= n <= high:
        check.add(
            "key 'report.n_resamples'",
            f"expected an integer from {low:,} to {high:,} bootstrap resamples (2000 by default), got {describe(n)}",
        )
    else:
        values["n_resamples"] = n
    level = raw.get("confidence_level", default.confidence_level)
    if isinstance(level, bool) or not isinstance(level, (int, float)) or not 0 < level < 1 or not math.isfinite(level):
        check.add(
            "key 'report.confidence_level'", f"expected a number between 0 and 1 (e.g. 0.95), got {describe(level)}"
        )
    else:
        values["confidence_level"] = float(level)
    return ReportSettings(**values)


def _text(raw: Mapping[Any, Any], key: str, where: str, check: _Checker) -> str | None:
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        check.add(f"{where}, key {key!r}", f"expected text, got {describe(value)}{_quote_hint(value)}")
        return None
    return value.strip()


def _entry(item: Any, i: int, folder: Path, check: _Checker) -> DatasetEntry | None:
    """Check one item of ``datasets``; None when it has no usable name.

    The caller drops the entry when this added problems; it is returned anyway so
    that duplicate names are still detected.
    """
    if not isinstance(item, Mapping):
        check.add(f"datasets[{i}]", f"expected a mapping with keys name, adapter, path, ..., got {describe(item)}")
        return None
    name = _entry_name(item, i, check)
    where = where_dataset(i, name)
    check.unknown_keys(item, _DATASET_KEYS, lambda key: f"{where}, key {key!r}")

    adapters = tuple(_datasets.ADAPTERS)
    known = ", ".join(sorted(adapters))
    adapter = item.get("adapter")
    if "adapter" not in item:
        check.add(f"{where}, key 'adapter'", f"required key is missing; expected one of {known}")
    elif not isinstance(adapter, str):
        check.add(f"{where}, key 'adapter'", f"expected an adapter name, got {describe(adapter)}")
    elif adapter not in adapters:
        check.add(
            f"{where}, key 'adapter'",
            f"unknown adapter {adapter!r}; {_did_you_mean(adapter, adapters)}expected one of {known}",
        )
    adapter = adapter if isinstance(adapter, str) else ""

    enabled = item.get("enabled", True)
    if not isinstance(enabled, bool):
        check.add(f"{where}, key 'enabled'", f"expected true or false, got {describe(enabled)}")
        enabled = False

    pathless = adapter in _PATHLESS_ADAPTERS
    known_adapter = adapter if adapter in adapters else None
    path = _entry_path(
        item.get("path"), where, folder, check, enabled=enabled, pathless=pathless, adapter=known_adapter
    )
    options = _entry_options(item.get("options"), where, check)
    if known_adapter is not None:
        _adapter_options(known_adapter, options, where, check)
    checksums = _checksums(item.get("checksums"), where, check)
    if checksums is not None and pathless:
        check.add(f"{where}, key 'checksums'", f"the {adapter!r} adapter has no files to check; remove the key")
    texts = {key: _text(item, key, where, check) for key in _TEXT_KEYS}
    if name is None:
        return None
    return DatasetEntry(
        name=name,
        adapter=adapter,
        enabled=enabled,
        path=path,
        options=options,
        checksums=checksums,
        index=i,
        **texts,
    )


def _entry_name(item: Mapping[Any, Any], i: int, check: _Checker) -> str | None:
    raw = item.get("name")
    where = f"datasets[{i}], key 'name'"
    if "name" not in item:
        check.add(where, "required key is missing; expected the dataset's name")
    elif not isinstance(raw, str):
        check.add(where, f"expected text, got {describe(raw)}{_quote_hint(raw)}")
    elif not _NAME_RE.match(raw):
        check.add(
            where, f"invalid name {raw!r}; expected letters, digits, '_', '-' or '.', starting with a letter or digit"
        )
    else:
        return raw
    return None


def _entry_path(
    raw: Any, where: str, folder: Path, check: _Checker, *, enabled: bool, pathless: bool, adapter: str | None
) -> Path | None:
    """The absolute path (``~`` expanded, relative to ``folder``); checked to exist when enabled."""
    at = f"{where}, key 'path'"
    if raw is None:
        if enabled and adapter is not None and not pathless:
            check.add(at, "required for an enabled dataset; expected the dataset's folder")
        return None
    if not isinstance(raw, str):
        check.add(at, f"expected a folder path as text, got {describe(raw)}{_quote_hint(raw)}")
        return None
    if not raw.strip():
        check.add(at, "empty path; expected the dataset's folder, or no path key at all")
        return None
    if pathless:
        check.add(at, f"the {adapter!r} adapter generates its data and takes no path; remove the key")
        return None
    resolved = Path(os.path.abspath(folder / os.path.expanduser(raw)))
    if not enabled:
        return resolved
    if not resolved.exists():
        check.add(
            at,
            f"{raw!r} does not exist (relative to the manifest's folder); "
            "expected the dataset's folder, or enabled: false",
        )
    elif not resolved.is_dir():
        parent = PurePosixPath(raw.replace("\\", "/")).parent.as_posix()
        check.add(
            at,
            f"{raw!r} is a file, not a folder; expected the dataset's folder (perhaps {parent!r}, "
            "with the file's name in the adapter's options)",
        )
    return resolved


def _entry_options(raw: Any, where: str, check: _Checker) -> Mapping[str, Any]:
    """A read-only deep copy of the adapter's keyword arguments."""
    if raw is None:
        return MappingProxyType({})
    if not isinstance(raw, Mapping):
        check.add(f"{where}, key 'options'", f"expected a mapping of adapter keyword arguments, got {describe(raw)}")
        return MappingProxyType({})
    for key in raw:
        if not isinstance(key, str) or not _IDENTIFIER_RE.match(key):
            check.add(
                f"{where}, key 'options.{key}'", "invalid option name; expected a Python identifier such as n_studies"
            )
        elif key == "name":
            check.add(
                f"{where}, key 'options.name'", "set the dataset's name with the entry's 'name' key, not in options"
            )
    return MappingProxyType(copy.deepcopy(dict(raw)))


def _adapter_options(adapter: str, options: Mapping[str, Any], where: str, check: _Checker) -> None:
    """Check the options against the adapter's ``load`` signature (skipped when it cannot be imported)."""
    try:
        fn = _datasets.get_adapter(adapter)
    except Exception:
        return
    valid = {k: v for k, v in options.items() if isinstance(k, str) and _IDENTIFIER_RE.match(k) and k != "name"}
    for key, message in option_problems(fn, valid):
        check.add(f"{where}, key 'options.{key}'", f"adapter {adapter!r}: {message}")


def _relative_posix(text: str) -> bool:
    pure = PurePosixPath(text)
    return bool(text) and not pure.is_absolute() and ".." not in pure.parts and "\\" not in text and ":" not in text[:2]


def _checksums(raw: Any, where: str, check: _Checker) -> Checksums | None:
    """The parsed block; None when absent, empty or wrong (the problems are added to ``check``)."""
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        check.add(f"{where}, key 'checksums'", f"expected a mapping with 'files' and/or 'tree', got {describe(raw)}")
        return None
    before = len(check.problems)
    check.unknown_keys(raw, _CHECKSUM_KEYS, lambda key: f"{where}, key 'checksums.{key}'")
    files: dict[str, str] = {}
    raw_files = raw.get("files")
    if raw_files is not None and not isinstance(raw_files, Mapping):
        check.add(
            f"{where}, key 'checksums.files'",
            f"expected a mapping of relative path -> sha256, got {describe(raw_files)}",
        )
    elif raw_files is not None:
        for rel, digest in raw_files.items():
            at = f"{where}, key 'checksums.files', file {rel!r}"
            if not isinstance(rel, str) or not _relative_posix(rel):
                check.add(at, "expected a path relative to the dataset folder, with '/' separators and no '..'")
            elif not isinstance(digest, str) or not _SHA256_RE.match(digest):
                check.add(at, f"expected a SHA-256 digest (64 hexadecimal characters, quoted), got {describe(digest)}")
            else:
                files[PurePosixPath(rel).as_posix()] = digest.lower()
    tree: TreeChecksum | None = None
    raw_tree = raw.get("tree")
    if raw_tree is not None and not isinstance(raw_tree, Mapping):
        check.add(
            f"{where}, key 'checksums.tree'",
            f"expected a mapping with 'pattern' and 'sha256', got {describe(raw_tree)}",
        )
    elif raw_tree is not None:
        check.unknown_keys(raw_tree, _TREE_KEYS, lambda key: f"{where}, key 'checksums.tree.{key}'")
        pattern = raw_tree.get("pattern", "**/*")
        digest = raw_tree.get("sha256")
        good = True
        if not isinstance(pattern, str) or not _relative_posix(pattern):
            check.add(
                f"{where}, key 'checksums.tree.pattern'",
                f"expected a relative glob such as '**/*.dcm', got {describe(pattern)}",
            )
            good = False
        if "sha256" not in raw_tree:
            check.add(
                f"{where}, key 'checksums.tree.sha256'",
                "required key is missing; expected the tree digest (hemstats.checksums.tree_digest)",
            )
            good = False
        elif not isinstance(digest, str) or not _SHA256_RE.match(digest):
            check.add(
                f"{where}, key 'checksums.tree.sha256'",
                f"expected a SHA-256 digest (64 hexadecimal characters, quoted), got {describe(digest)}",
            )
            good = False
        if good:
            tree = TreeChecksum(sha256=digest.lower(), pattern=pattern)
    if len(check.problems) > before or (not files and tree is None):
        return None
    return Checksums(files=MappingProxyType(files), tree=tree)
