"""Load every enabled dataset of a manifest into one Cohort, or list everything wrong with it.

:func:`load` is what a notebook or the report calls; :func:`validate` is what
``hemstats validate`` prints: every problem of the manifest, of the checksums and
of loading each enabled dataset, in one run.
"""

from __future__ import annotations

import copy
import difflib
import inspect
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import hemstats.checksums as _checksums
import hemstats.datasets as _datasets
from hemstats.cohort import Cohort
from hemstats.errors import AdapterError, ChecksumError, HemstatsError, ManifestError, Problem
from hemstats.manifest import DatasetEntry, Manifest, read_manifest

__all__ = ["load", "validate"]

#: Keys every dataset's ``info`` gains from the manifest.
PROVENANCE_KEYS: tuple[str, ...] = ("adapter", "licence", "citation", "source", "description", "fingerprint")

_UNEXPECTED = re.compile(r"unexpected keyword argument '(\w+)'")

ManifestLike = str | os.PathLike[str] | Manifest | None


def _read(path_or_manifest: ManifestLike) -> tuple[Manifest | None, list[Problem], Path | None]:
    if isinstance(path_or_manifest, Manifest):
        return path_or_manifest, [], path_or_manifest.path
    return read_manifest(path_or_manifest)


def _no_dataset_enabled() -> Problem:
    return Problem("key 'datasets'", "no dataset is enabled; expected at least one entry with enabled: true")


def _adapter(entry: DatasetEntry) -> tuple[Callable[..., Cohort] | None, list[Problem]]:
    """The entry's adapter, and problems with it or with the entry's options."""
    try:
        fn = _datasets.get_adapter(entry.adapter)
    except AdapterError as exc:
        return None, [
            Problem(f"{entry.where}, key 'adapter'", f"{exc}; expected an available adapter, or enabled: false")
        ]
    except ImportError as exc:  # the adapter's module exists but a dependency of it is missing
        return None, [
            Problem(
                f"{entry.where}, key 'adapter'",
                f"adapter {entry.adapter!r} cannot be imported ({exc}); expected its dependencies to be installed",
            )
        ]
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):  # pragma: no cover - builtins without a signature
        return fn, []
    try:
        signature.bind(entry.path, name=entry.name, **entry.options)
    except TypeError as exc:
        params = signature.parameters
        takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
        accepted = [n for n, p in params.items() if p.kind is inspect.Parameter.KEYWORD_ONLY and n != "name"]
        unknown = [] if takes_any else [key for key in entry.options if key not in params]
        if unknown:
            problems = []
            for key in unknown:
                close = difflib.get_close_matches(key, accepted, n=1)
                hint = f"did you mean {close[0]!r}? " if close else ""
                problems.append(
                    Problem(
                        f"{entry.where}, key 'options.{key}'",
                        f"adapter {entry.adapter!r} takes no option {key!r}; {hint}"
                        f"expected one of {', '.join(accepted) or '(no options)'}",
                    )
                )
            return fn, problems
        return fn, [
            Problem(
                f"{entry.where}, key 'options'", f"adapter {entry.adapter!r} cannot be called with these options: {exc}"
            )
        ]
    return fn, []


def _call(entry: DatasetEntry, fn: Callable[..., Cohort], file: Path | None) -> Cohort:
    """Run the adapter on a copy of the options; check it returned this dataset only."""
    try:
        cohort = fn(entry.path, name=entry.name, **copy.deepcopy(dict(entry.options)))
    except TypeError as exc:
        # An adapter taking **options passes them on; a misspelt option surfaces here.
        match = _UNEXPECTED.search(str(exc))
        if match is None or match.group(1) not in entry.options:
            raise
        key = match.group(1)
        problem = Problem(
            f"{entry.where}, key 'options.{key}'",
            f"adapter {entry.adapter!r} takes no option {key!r} ({exc}); expected an option its documentation lists",
        )
        raise ManifestError([problem], path=file) from exc
    if not isinstance(cohort, Cohort):
        raise HemstatsError(
            f"{entry.where}: adapter {entry.adapter!r} returned {type(cohort).__name__}; expected a hemstats Cohort"
        )
    others = [d for d in cohort.datasets if d != entry.name]
    if others:
        raise HemstatsError(
            f"{entry.where}: adapter {entry.adapter!r} returned rows of dataset(s) {others}; "
            f"expected the dataset column to hold the entry's name {entry.name!r}"
        )
    return cohort


def _info(entry: DatasetEntry, cohort: Cohort) -> dict[str, Any]:
    """The adapter's info for this dataset, plus the manifest's provenance (manifest wins unless empty)."""
    info = dict(cohort.info.get(entry.name, {}))
    ours = {key: getattr(entry, key) for key in PROVENANCE_KEYS if key != "fingerprint"}
    for key, value in ours.items():
        if value is not None or key not in info:
            info[key] = value
    info["fingerprint"] = _checksums.fingerprint(entry)
    return info


def load(path_or_manifest: ManifestLike = None, *, verify: bool = True, progress: bool = True) -> Cohort:
    """Load every enabled dataset of a manifest into one :class:`~hemstats.Cohort`.

    For each enabled entry, in manifest order: verify its checksums, call its adapter
    as ``adapter(path, name=name, **options)`` (the demo gets ``path=None``) and
    concatenate the cohorts.

    Parameters
    ----------
    path_or_manifest : path-like or Manifest, optional
        A manifest file, or a :class:`~hemstats.manifest.Manifest`; None uses the
        built-in manifest (the demo cohort only).
    verify : bool, default True
        Check the recorded ``checksums`` before loading anything.
    progress : bool, default True
        Show progress bars on stderr while hashing (only when stderr is a terminal).

    Returns
    -------
    Cohort
        Every enabled dataset; ``cohort.info[name]`` holds what the adapter put there
        plus ``adapter``, ``licence``, ``citation``, ``source``, ``description`` (from the
        manifest; the adapter's value is kept where the manifest has none) and
        ``fingerprint`` (:func:`hemstats.checksums.fingerprint`).

    Raises
    ------
    ManifestError
        When the manifest has problems, no dataset is enabled, an enabled dataset's
        adapter is not available or does not take its options (every problem listed).
    ChecksumError
        When a file is missing or differs from its recorded checksum (every file listed).
    HemstatsError
        Raised by an adapter on a bad file, unchanged: it names the file.

    See Also
    --------
    validate : every problem in one run, without raising.

    Examples
    --------
    >>> cohort = load()
    >>> cohort.info["demo"]["adapter"], len(cohort.info["demo"]["fingerprint"])
    ('demo', 64)
    >>> int(cohort.studies.shape[0])
    1200
    """
    manifest, problems, file = _read(path_or_manifest)
    if problems or manifest is None:
        raise ManifestError(problems, path=file)
    entries = manifest.enabled
    if not entries:
        raise ManifestError([_no_dataset_enabled()], path=file)
    adapters: dict[str, Callable[..., Cohort]] = {}
    for entry in entries:
        fn, found = _adapter(entry)
        problems.extend(found)
        if fn is not None:
            adapters[entry.name] = fn
    if problems:
        raise ManifestError(problems, path=file)
    if verify:
        mismatches = [p for entry in entries for p in _checksums.verify(entry, progress=progress)]
        if mismatches:
            raise ChecksumError(mismatches, path=file)
    cohorts = []
    infos = {}
    for entry in entries:
        cohort = _call(entry, adapters[entry.name], file)
        cohorts.append(cohort)
        infos[entry.name] = _info(entry, cohort)
    return Cohort.concat(cohorts, info=infos)


def validate(path_or_manifest: ManifestLike = None, *, progress: bool = True) -> list[Problem]:
    """Every problem of a manifest and its data, in one run; never raises a HemstatsError.

    Lists, in order: the manifest's problems (an unreadable or unparsable file is one
    problem, naming the line of a YAML syntax error); then, for each enabled entry
    without problems of its own, a missing adapter or unknown option, every checksum
    mismatch or missing file, and any error raised while loading it (one problem per
    dataset, ``where`` naming the dataset).

    Parameters
    ----------
    path_or_manifest : path-like or Manifest, optional
        As for :func:`load`; None checks the built-in manifest.
    progress : bool, default True
        Show progress bars on stderr while hashing (only when stderr is a terminal).

    Returns
    -------
    list of Problem
        Empty when :func:`load` would succeed.

    Examples
    --------
    >>> validate()
    []
    >>> [str(p).split(";")[0] for p in validate("no_such_manifest.yaml")]  # doctest: +ELLIPSIS
    ['.../no_such_manifest.yaml: manifest file not found']
    """
    manifest, problems, file = _read(path_or_manifest)
    problems = list(problems)
    if manifest is None:
        return problems
    if not manifest.enabled and not problems:
        problems.append(_no_dataset_enabled())
    for entry in manifest.enabled:
        fn, found = _adapter(entry)
        problems.extend(found)
        try:
            problems.extend(_checksums.verify(entry, progress=progress))
        except HemstatsError as exc:  # pragma: no cover - verify reports rather than raises
            problems.append(Problem(entry.where, str(exc)))
        if fn is None or found:
            continue
        try:
            _call(entry, fn, file)
        except ManifestError as exc:  # a misspelt option, located by _call
            problems.extend(exc.problems)
        except (HemstatsError, OSError) as exc:
            problems.append(Problem(entry.where, f"loading failed: {exc}"))
    return problems
