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
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

import hemstats.checksums as _checksums
import hemstats.datasets as _datasets
from hemstats._manifest_schema import ManifestLoader
from hemstats.cohort import Cohort
from hemstats.errors import AdapterError, ChecksumError, HemstatsError, ManifestError, ManifestWarning, Problem
from hemstats.manifest import DatasetEntry, Manifest, read_manifest, shown_path
from hemstats.privacy import DEFAULT_SALT_FILE, project_salt

__all__ = ["load", "validate", "missing_labels", "report_problems"]

#: Keys every dataset's ``info`` gains from the manifest.
PROVENANCE_KEYS: tuple[str, ...] = ("adapter", "licence", "citation", "source", "description", "fingerprint")

_UNEXPECTED = re.compile(r"unexpected keyword argument '(\w+)'")

ManifestLike = str | os.PathLike[str] | Manifest | None


#: Share of a dataset's studies that may lack a label of a finding before :func:`validate` warns.
MISSING_LABELS_WARN = 0.1

#: Fewest studies a dataset needs for the report's intervals and resamples.
MIN_STUDIES = 2


def _read(path_or_manifest: ManifestLike) -> tuple[Manifest | None, list[Problem], str | None]:
    """The manifest, its problems and how messages name its file."""
    if isinstance(path_or_manifest, Manifest):
        file = path_or_manifest.path
        return path_or_manifest, [], None if file is None else shown_path(file)
    manifest, problems, file = read_manifest(path_or_manifest)
    return manifest, problems, shown_path(file)


def _folder(manifest: Manifest) -> Path:
    return manifest.path.parent if manifest.path is not None else manifest.folder


def _relative(text: str, entry: DatasetEntry, folder: Path) -> str:
    """``text`` with the dataset's and the manifest's absolute folders replaced by relative ones."""
    if entry.path is not None:
        try:
            shown = entry.path.relative_to(folder).as_posix()
        except ValueError:
            shown = f"<{entry.name}>"
        text = text.replace(str(entry.path), shown)
    text = text.replace(str(folder) + os.sep, "").replace(str(folder), ".")
    home = os.path.expanduser("~")
    return text.replace(home + os.sep, "~/") if len(home) > 1 else text


def _options(entry: DatasetEntry, fn: Callable[..., Any], folder: Path) -> dict[str, Any]:
    """A copy of the entry's options; an adapter taking ``salt`` gets the project salt beside the manifest.

    Without it, an adapter would fall back to a salt file in the current folder, and the
    pseudonymous ids would change with the folder a command is run from.
    """
    options = copy.deepcopy(dict(entry.options))
    try:
        takes_salt = "salt" in inspect.signature(fn).parameters
    except (TypeError, ValueError):  # pragma: no cover - builtins without a signature
        takes_salt = False
    if takes_salt and options.get("salt") is None:
        options["salt"] = project_salt(path=folder / DEFAULT_SALT_FILE)
    return options


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
    except Exception as exc:
        return None, [
            Problem(
                f"{entry.where}, key 'adapter'",
                f"adapter {entry.adapter!r} cannot be imported ({type(exc).__name__}: {exc}); "
                "expected its dependencies to be installed",
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


def _call(entry: DatasetEntry, fn: Callable[..., Cohort], file: str | None, folder: Path) -> Cohort:
    """Run the adapter on a copy of the options; check it returned this dataset only."""
    options = _options(entry, fn, folder)
    try:
        cohort = fn(entry.path, name=entry.name, **options)
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
        mismatches = [
            Problem(p.where, _relative(p.message, entry, manifest.folder))
            for entry in entries
            for p in _checksums.verify(entry, progress=progress)
        ]
        if mismatches:
            raise ChecksumError(mismatches, path=file)
    cohorts = []
    infos = {}
    for entry in entries:
        try:
            cohort = _call(entry, adapters[entry.name], file, manifest.folder)
        except HemstatsError:
            raise  # it names the file at fault
        except Exception as exc:
            raise HemstatsError(f"{entry.where}: {_failure(entry, exc, manifest.folder)}") from exc
        cohorts.append(cohort)
        infos[entry.name] = _info(entry, cohort)
    return Cohort.concat(cohorts, info=infos)


def _failure(entry: DatasetEntry, exc: BaseException, folder: Path) -> str:
    """What a failed adapter call says, without absolute paths."""
    if isinstance(exc, HemstatsError):
        text = str(exc)
    elif isinstance(exc, MemoryError):
        text = "ran out of memory"
    else:
        text = f"{type(exc).__name__}: {exc}"
    return f"loading failed: {_relative(text, entry, folder)}; expected the adapter {entry.adapter!r} to read it"


def _cohort_problems(entry: DatasetEntry, cohort: Cohort) -> list[Problem]:
    """What the report's chapters need of every dataset: two studies or more, and labels."""
    problems = []
    studies = cohort.studies[cohort.studies["dataset"] == entry.name]
    all_labels = cohort.tables()["labels"]
    labels = all_labels[all_labels["dataset"] == entry.name]
    n = int(studies["study_id"].nunique())
    if n < MIN_STUDIES:
        problems.append(
            Problem(
                entry.where,
                f"{n} stud{'y' if n == 1 else 'ies'} loaded; expected at least {MIN_STUDIES} (the report's intervals "
                "and bootstrap resamples need them): check the path and the adapter's options",
            )
        )
    if labels.empty or labels["value"].isna().all():
        problems.append(
            Problem(
                entry.where,
                "no labels loaded; expected study- or slice-level labels of at least one finding "
                "(check the label files and the adapter's options)",
            )
        )
    return problems + _unscorable_predictions(entry, cohort)


def report_problems(manifest: Manifest, cohort: Cohort) -> list[Problem]:
    """What the report's chapters need of each enabled dataset of a loaded cohort.

    The checks :func:`validate` makes after loading (two studies or more, some labels, a
    consensus label for the finding of every model's scores), run on a cohort already in
    hand, so a report build stops before its chapters with the same problems.

    Examples
    --------
    >>> from hemstats.manifest import load_manifest
    >>> report_problems(load_manifest(), load())
    []
    """
    out: list[Problem] = []
    for entry in manifest.enabled:
        out.extend(_cohort_problems(entry, cohort))
    return out


def _unscorable_predictions(entry: DatasetEntry, cohort: Cohort) -> list[Problem]:
    """Model scores the performance chapter cannot use: none has a consensus label of its finding."""
    tables = cohort.tables()
    predictions = tables["predictions"][tables["predictions"]["dataset"] == entry.name]
    if predictions.empty:
        return []
    keys = ["study_id", "slice_id", "level", "finding"]
    labels = tables["labels"]
    consensus = labels[(labels["dataset"] == entry.name) & (labels["rater"] == "consensus") & labels["value"].notna()]

    def key_index(table: Any) -> pd.MultiIndex:
        return pd.MultiIndex.from_frame(table[keys].astype(object).fillna(""))

    joined = key_index(predictions).isin(key_index(consensus)) if not consensus.empty else False
    scored = predictions.assign(_joined=joined)
    problems = []
    for (level, finding, model), group in scored.groupby(["level", "finding", "model"], observed=True):
        if not group["_joined"].any():
            problems.append(
                Problem(
                    entry.where,
                    f"none of the {len(group)} {level}-level scores of model {str(model)!r} for finding "
                    f"{str(finding)!r} has a consensus label of that finding; expected labels the scores can be "
                    "compared with (the report's performance chapter needs them)",
                )
            )
    return problems


def missing_labels(cohort: Cohort, *, threshold: float = MISSING_LABELS_WARN) -> list[tuple[str, str, int, int]]:
    """Findings a dataset labels per study for some studies but not for more than ``threshold`` of them.

    Parameters
    ----------
    cohort : Cohort
        Loaded datasets.
    threshold : float, default 0.1
        Share of the dataset's studies that may lack a label.

    Returns
    -------
    list of (dataset, finding, n_missing, n_studies)
        A study lacks a label when no rater gives it a present study-level value.

    Examples
    --------
    >>> from hemstats.datasets import demo
    >>> missing_labels(demo.load(n_studies=50, seed=1))
    []
    """
    out = []
    all_labels = cohort.tables()["labels"]
    labels = all_labels[(all_labels["level"] == "study") & all_labels["value"].notna()]
    for dataset in cohort.datasets:
        ids = set(cohort.studies.loc[cohort.studies["dataset"] == dataset, "study_id"].astype(str))
        mine = labels[labels["dataset"] == dataset]
        if not ids or mine.empty:
            continue
        for finding, rows in mine.groupby("finding", observed=True):
            n_missing = len(ids - set(rows["study_id"].astype(str)))
            if n_missing > threshold * len(ids):
                out.append((str(dataset), str(finding), n_missing, len(ids)))
    return out


def _warn_missing_labels(entry: DatasetEntry, cohort: Cohort, file: str | None, manifest: Manifest) -> None:
    """One :class:`~hemstats.errors.ManifestWarning` per dataset listing each finding with many missing labels."""
    gaps = [f"{finding!r} {k} of {n} ({k / n:.0%})" for d, finding, k, n in missing_labels(cohort) if d == entry.name]
    if gaps:
        message = (
            f"{entry.where}: studies without a study-level label of a finding the dataset labels for other "
            f"studies (more than {MISSING_LABELS_WARN:.0%} of them): {', '.join(gaps)}; "
            "the report shows them as missing"
        )
        warnings.warn_explicit(message, ManifestWarning, filename=file or "manifest", lineno=_line(entry, manifest.path))


def _line(entry: DatasetEntry, file: Path | None) -> int:
    """The line of the manifest where the entry starts (0 when unknown), for warnings."""
    if file is None or entry.index is None:
        return 0
    try:
        root = yaml.compose(file.read_text(encoding="utf-8"), Loader=ManifestLoader)
        datasets = next(v for k, v in root.value if k.value == "datasets")
        return int(datasets.value[entry.index].start_mark.line) + 1
    except Exception:
        return 0


def validate(path_or_manifest: ManifestLike = None, *, progress: bool = True) -> list[Problem]:
    """Every problem of a manifest and its data, in one run; never raises a HemstatsError.

    Lists, in order: the manifest's problems (an unreadable or unparsable file is one
    problem, naming the line of a YAML syntax error, an anchor, alias or tag; options
    that do not fit the adapter's signature are named by their key); then, for each
    enabled entry without problems of its own, a missing adapter, every checksum
    mismatch or missing file, any error raised while loading it (one problem per
    dataset, ``where`` naming the dataset, no traceback and no absolute path), and what
    the report's chapters need of a loaded dataset: at least two studies, some labels,
    and a consensus label for the finding of every model's scores.

    Warns (:class:`~hemstats.errors.ManifestWarning`, not a problem) once per dataset in
    which more than a tenth of the studies lack a study-level label of a finding the
    dataset labels for other studies (:func:`missing_labels`); the warning names the
    manifest's line, so ``hemstats validate`` prints it on stderr and still exits 0.

    Parameters
    ----------
    path_or_manifest : path-like or Manifest, optional
        As for :func:`load`; None checks the built-in manifest.
    progress : bool, default True
        Show progress bars on stderr while hashing (only when stderr is a terminal).

    Returns
    -------
    list of Problem
        Empty when :func:`load` would succeed and the report can use every dataset.

    Examples
    --------
    >>> validate()
    []
    >>> [str(p).split(";")[0] for p in validate("no_such_manifest.yaml")]
    ['no_such_manifest.yaml: manifest file not found']
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
            mismatches = _checksums.verify(entry, progress=progress)
        except HemstatsError as exc:  # pragma: no cover - verify reports rather than raises
            mismatches = [Problem(entry.where, str(exc))]
        problems.extend(Problem(p.where, _relative(p.message, entry, manifest.folder)) for p in mismatches)
        if fn is None or found:
            continue
        try:
            cohort = _call(entry, fn, file, manifest.folder)
        except ManifestError as exc:  # a misspelt option, located by _call
            problems.extend(exc.problems)
        except Exception as exc:
            problems.append(Problem(entry.where, _failure(entry, exc, manifest.folder)))
        else:
            problems.extend(_cohort_problems(entry, cohort))
            _warn_missing_labels(entry, cohort, file, manifest)
    return problems
