"""What a report chapter knows about the build it runs in: :func:`current`.

:func:`hemstats.report.build_report` loads the manifest's cohort once, writes it to
``<out>/cohort`` and describes the build in ``<out>/context.json``; it points the
environment variable :data:`ENV_VAR` of the Jupyter Book process (and so of every
chapter's kernel) at that file.  A chapter starts with::

    from hemstats.report import context
    ctx = context.current()
    cohort = ctx.cohort

Examples
--------
>>> import json, tempfile, pathlib
>>> with tempfile.TemporaryDirectory() as tmp:
...     file = pathlib.Path(tmp, "context.json")
...     _ = file.write_text(json.dumps(example_context_dict(tmp)))
...     ctx = current(file)
...     (ctx.seed, ctx.confidence_level, ctx.tables_dir.name)
(0, 0.95, 'tables')
"""

from __future__ import annotations

import json
import os
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hemstats.errors import ReportError

if TYPE_CHECKING:
    import numpy as np

    from hemstats.cohort import Cohort
    from hemstats.manifest import Manifest

__all__ = ["ENV_VAR", "ReportContext", "current"]

#: Environment variable holding the path of the build's ``context.json``.
ENV_VAR = "HEMSTATS_REPORT_CONTEXT"
_FORMAT_VERSION = 1


@dataclass(frozen=True, eq=False)
class ReportContext:
    """One report build, as its chapters see it.

    Attributes
    ----------
    file : pathlib.Path
        The ``context.json`` this was read from.
    title : str
        The report title (manifest ``report.title``).
    manifest_path : pathlib.Path or None
        The manifest file; None for a manifest given as a mapping.
    manifest_yaml : str
        The manifest as checked and resolved, as YAML (for the Provenance page).
    seed : int
        Root seed of every random step; chapters derive their own with :meth:`rng`.
    confidence_level : float
        Confidence level of every interval in the report.
    n_resamples : int
        Bootstrap resamples.
    out : pathlib.Path
        The build folder.
    cohort_dir : pathlib.Path
        The cohort written by :meth:`Cohort.to_dir <hemstats.Cohort.to_dir>`.
    html_dir : pathlib.Path
        The HTML output folder.
    tables_dir : pathlib.Path
        ``<html_dir>/tables``: the CSV behind every table and figure.
    src_dir : pathlib.Path
        The copy of the book source being built.
    datasets : tuple of str
        Dataset names in the cohort.
    synthetic : tuple of str
        The datasets whose ``info`` says ``synthetic: true``.
    fingerprints : mapping
        Per dataset, ``{"source": ..., "tables": ...}``: the loader's fingerprint
        (``cohort.info[d]["fingerprint"]``, None when absent) and
        :meth:`Cohort.fingerprint(d) <hemstats.Cohort.fingerprint>`, computed once by the build.
    digest : str
        SHA-256 of everything the chapters' results depend on (cohort, settings,
        hemstats source); a change empties the execution cache.
    command : str
        The command line that started the build.
    built_at : str
        UTC time the build started, ISO 8601.  Never write it into a table CSV.
    """

    file: Path
    title: str
    manifest_path: Path | None
    manifest_yaml: str
    seed: int
    confidence_level: float
    n_resamples: int
    out: Path
    cohort_dir: Path
    html_dir: Path
    tables_dir: Path
    src_dir: Path
    datasets: tuple[str, ...]
    synthetic: tuple[str, ...]
    fingerprints: Mapping[str, Mapping[str, str | None]]
    digest: str
    command: str
    built_at: str
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, file: str | os.PathLike[str]) -> ReportContext:
        """Build from the mapping stored in ``context.json``.

        Raises
        ------
        ReportError
            When a key is missing or the format version is unknown.
        """
        version = data.get("format_version")
        if version != _FORMAT_VERSION:
            raise ReportError(f"{file}: context format_version {version!r}, expected {_FORMAT_VERSION}")
        try:
            manifest_path = data["manifest_path"]
            return cls(
                file=Path(file),
                title=str(data["title"]),
                manifest_path=None if manifest_path is None else Path(manifest_path),
                manifest_yaml=str(data["manifest_yaml"]),
                seed=int(data["seed"]),
                confidence_level=float(data["confidence_level"]),
                n_resamples=int(data["n_resamples"]),
                out=Path(data["out"]),
                cohort_dir=Path(data["cohort_dir"]),
                html_dir=Path(data["html_dir"]),
                tables_dir=Path(data["tables_dir"]),
                src_dir=Path(data["src_dir"]),
                datasets=tuple(data["datasets"]),
                synthetic=tuple(data["synthetic"]),
                fingerprints={str(k): dict(v) for k, v in data["fingerprints"].items()},
                digest=str(data["digest"]),
                command=str(data["command"]),
                built_at=str(data["built_at"]),
            )
        except KeyError as exc:
            raise ReportError(f"{file}: report context has no key {exc.args[0]!r}") from None

    @property
    def cohort(self) -> Cohort:
        """The report's cohort, read from :attr:`cohort_dir` on first use."""
        if "cohort" not in self._cache:
            from hemstats.cohort import Cohort

            self._cache["cohort"] = Cohort.from_dir(self.cohort_dir)
        return self._cache["cohort"]

    @property
    def manifest(self) -> Manifest | None:
        """The manifest, read again from :attr:`manifest_path` (None when there is no file)."""
        if self.manifest_path is None:
            return None
        if "manifest" not in self._cache:
            from hemstats.manifest import load_manifest

            self._cache["manifest"] = load_manifest(self.manifest_path)
        return self._cache["manifest"]

    def rng(self, stream: str) -> np.random.Generator:
        """A generator seeded by :attr:`seed` and ``stream`` (e.g. the chapter's name).

        Each chapter draws from its own stream, so its numbers do not depend on
        which other chapters ran before it.
        """
        import numpy as np

        return np.random.default_rng([self.seed, zlib.crc32(stream.encode())])


def current(path: str | os.PathLike[str] | None = None) -> ReportContext:
    """The context of the report build this code runs in.

    Parameters
    ----------
    path : path-like, optional
        A ``context.json``; by default the file named by the environment variable
        :data:`ENV_VAR`, which ``hemstats report`` sets for the chapters it executes.

    Returns
    -------
    ReportContext

    Raises
    ------
    ReportError
        Outside a report build (the variable is unset) or when the file is missing
        or unreadable.
    """
    if path is None:
        env = os.environ.get(ENV_VAR)
        if not env:
            raise ReportError(
                f"no report context: {ENV_VAR} is not set. Chapters run inside `hemstats report` "
                "(hemstats.report.build_report), which sets it; to run one by hand, point "
                f"{ENV_VAR} at the context.json of a previous build"
            )
        path = env
    file = Path(path)
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ReportError(f"{file}: report context not found") from None
    except (OSError, ValueError) as exc:
        raise ReportError(f"{file}: cannot read the report context: {exc}") from None
    if not isinstance(data, dict):
        raise ReportError(f"{file}: expected a JSON object")
    return ReportContext.from_dict(data, file=file)


def example_context_dict(out: str | os.PathLike[str]) -> dict[str, Any]:
    """A context mapping for a build in ``out`` (for examples and tests)."""
    root = Path(out)
    return {
        "format_version": _FORMAT_VERSION,
        "title": "hemstats report",
        "manifest_path": None,
        "manifest_yaml": "version: 1\n",
        "seed": 0,
        "confidence_level": 0.95,
        "n_resamples": 2000,
        "out": str(root),
        "cohort_dir": str(root / "cohort"),
        "html_dir": str(root / "html"),
        "tables_dir": str(root / "html" / "tables"),
        "src_dir": str(root / "src"),
        "datasets": [],
        "synthetic": [],
        "fingerprints": {},
        "digest": "",
        "command": "hemstats report",
        "built_at": "1970-01-01T00:00:00Z",
    }
