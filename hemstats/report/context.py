"""What a report chapter knows about the build it runs in: :func:`current`.

:func:`hemstats.report.build_report` loads the manifest's cohort once, writes it to
``<out>/cohort`` and describes the build in ``<out>/context.json``; it points the
environment variable :data:`ENV_VAR` of the Jupyter Book process (and so of every
chapter's kernel) at that file.  A chapter starts with::

    from hemstats.report import context
    ctx = context.current()
    cohort = ctx.cohort

The :class:`ReportContext` dataclass is the one schema of ``context.json``: the build
writes :meth:`ReportContext.to_json` and the chapters read :meth:`ReportContext.from_json`,
both derived from the dataclass's fields.

Examples
--------
>>> import tempfile
>>> with tempfile.TemporaryDirectory() as tmp:
...     file = ReportContext.example(tmp).write()
...     ctx = current(file)
...     (ctx.seed, ctx.confidence_level, ctx.tables_dir.name)
(0, 0.95, 'tables')
"""

from __future__ import annotations

import dataclasses
import json
import os
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hemstats.errors import ReportError
from hemstats.report.sections import stream

if TYPE_CHECKING:
    import numpy as np

    from hemstats.cohort import Cohort
    from hemstats.manifest import Manifest

__all__ = ["ENV_VAR", "FORMAT_VERSION", "ReportContext", "current"]

#: Environment variable holding the path of the build's ``context.json``.
ENV_VAR = "HEMSTATS_REPORT_CONTEXT"
#: Version of the ``context.json`` layout; a build and its chapters must agree on it.
FORMAT_VERSION = 1

_STORED = {"stored": True}  # field metadata: the field is a key of context.json


@dataclass(frozen=True, eq=False)
class ReportContext:
    """One report build, as its chapters see it; also the schema of ``context.json``.

    Every field but :attr:`file` is a key of ``context.json``: :meth:`to_dict` and
    :meth:`from_dict` are derived from the fields and their types, so a field added here
    is written by the build and read by the chapters without another change.

    Attributes
    ----------
    title : str
        The report title (manifest ``report.title``).
    manifest_path : pathlib.Path or None
        The manifest file; None for a manifest given as a mapping.
    manifest_yaml : str
        The manifest as checked and resolved, as YAML (for the Provenance page).
    seed : int
        Root seed of every random step; each table draws from :meth:`rng` ``("<chapter>/<table>")``.
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
    file : pathlib.Path or None
        The ``context.json`` this was read from (not stored in it).
    """

    title: str = field(metadata=_STORED)
    manifest_path: Path | None = field(metadata=_STORED)
    manifest_yaml: str = field(metadata=_STORED)
    seed: int = field(metadata=_STORED)
    confidence_level: float = field(metadata=_STORED)
    n_resamples: int = field(metadata=_STORED)
    out: Path = field(metadata=_STORED)
    cohort_dir: Path = field(metadata=_STORED)
    html_dir: Path = field(metadata=_STORED)
    tables_dir: Path = field(metadata=_STORED)
    src_dir: Path = field(metadata=_STORED)
    datasets: tuple[str, ...] = field(metadata=_STORED)
    synthetic: tuple[str, ...] = field(metadata=_STORED)
    fingerprints: Mapping[str, Mapping[str, str | None]] = field(metadata=_STORED)
    digest: str = field(metadata=_STORED)
    command: str = field(metadata=_STORED)
    built_at: str = field(metadata=_STORED)
    file: Path | None = None
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    # ------------------------------------------------------------------------------------------
    # The schema
    # ------------------------------------------------------------------------------------------
    @classmethod
    def stored_fields(cls) -> tuple[dataclasses.Field[Any], ...]:
        """The fields written to ``context.json``, in order."""
        return tuple(f for f in dataclasses.fields(cls) if f.metadata.get("stored"))

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready mapping of ``context.json``: ``format_version`` and every stored field.

        Paths become text, tuples lists, mappings dicts.
        """
        out: dict[str, Any] = {"format_version": FORMAT_VERSION}
        for f in self.stored_fields():
            out[f.name] = _encode(getattr(self, f.name))
        return out

    def to_json(self) -> str:
        """:meth:`to_dict` as indented JSON text (what the build writes)."""
        return json.dumps(self.to_dict(), indent=2) + "\n"

    def write(self, file: str | os.PathLike[str] | None = None) -> Path:
        """Write :meth:`to_json` to ``file`` (default ``<out>/context.json``); return its path."""
        path = Path(file) if file is not None else self.out / "context.json"
        path.write_text(self.to_json(), encoding="utf-8")
        return path

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, file: str | os.PathLike[str] | None = None) -> ReportContext:
        """Build from the mapping stored in ``context.json`` (values converted to the field types).

        Raises
        ------
        ReportError
            When the format version is unknown, a key is missing or a value does not fit
            its field.
        """
        where = "report context" if file is None else str(file)
        version = data.get("format_version")
        if version != FORMAT_VERSION:
            raise ReportError(f"{where}: context format_version {version!r}, expected {FORMAT_VERSION}")
        hints = typing.get_type_hints(cls)
        values: dict[str, Any] = {}
        for f in cls.stored_fields():
            if f.name not in data:
                raise ReportError(f"{where}: report context has no key {f.name!r}")
            try:
                values[f.name] = _decode(hints[f.name], data[f.name])
            except (TypeError, ValueError, AttributeError) as exc:
                raise ReportError(f"{where}: report context key {f.name!r}: {exc}") from None
        return cls(**values, file=None if file is None else Path(file))

    @classmethod
    def from_json(cls, text: str, *, file: str | os.PathLike[str] | None = None) -> ReportContext:
        """Parse ``context.json`` text; see :meth:`from_dict`.

        Raises
        ------
        ReportError
            When the text is not a JSON object, or as :meth:`from_dict`.
        """
        where = "report context" if file is None else str(file)
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise ReportError(f"{where}: cannot read the report context: {exc}") from None
        if not isinstance(data, dict):
            raise ReportError(f"{where}: expected a JSON object")
        return cls.from_dict(data, file=file)

    @classmethod
    def example(cls, out: str | os.PathLike[str], **changes: Any) -> ReportContext:
        """The context of a build into ``out`` with the default settings and no dataset (for examples and tests).

        Examples
        --------
        >>> ReportContext.example("/tmp/report", seed=7).tables_dir.as_posix()
        '/tmp/report/html/tables'
        """
        root = Path(out)
        values: dict[str, Any] = {
            "title": "hemstats report",
            "manifest_path": None,
            "manifest_yaml": "version: 1\n",
            "seed": 0,
            "confidence_level": 0.95,
            "n_resamples": 2000,
            "out": root,
            "cohort_dir": root / "cohort",
            "html_dir": root / "html",
            "tables_dir": root / "html" / "tables",
            "src_dir": root / "src",
            "datasets": (),
            "synthetic": (),
            "fingerprints": {},
            "digest": "",
            "command": "hemstats report",
            "built_at": "1970-01-01T00:00:00Z",
        }
        values.update(changes)
        return cls(**values)

    # ------------------------------------------------------------------------------------------
    # What chapters use
    # ------------------------------------------------------------------------------------------
    @property
    def cohort(self) -> Cohort:
        """The report's cohort, read from :attr:`cohort_dir` on first use."""
        if "cohort" not in self._cache:
            from hemstats.cohort import Cohort

            self._cache["cohort"] = Cohort.from_dir(self.cohort_dir)
        cohort: Cohort = self._cache["cohort"]
        return cohort

    @property
    def manifest(self) -> Manifest | None:
        """The manifest, read again from :attr:`manifest_path` (None when there is no file)."""
        if self.manifest_path is None:
            return None
        if "manifest" not in self._cache:
            from hemstats.manifest import load_manifest

            self._cache["manifest"] = load_manifest(self.manifest_path)
        manifest: Manifest = self._cache["manifest"]
        return manifest

    def rng(self, name: str) -> np.random.Generator:
        """The generator of table ``name``, ``"<chapter>/<table>"`` (e.g. ``"prevalence/by_dataset"``).

        :func:`hemstats.report.sections.stream` ``(seed, name)``: each table draws from its
        own stream, so its numbers depend neither on the other tables nor on their order.
        """
        return stream(self.seed, name)


def _encode(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): _encode(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return [_encode(v) for v in value]
    return value


def _decode(tp: Any, value: Any) -> Any:
    """``value`` read from JSON as the field type ``tp`` (Path, str, int, float, optional, tuple, mapping)."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        options = [t for t in typing.get_args(tp) if t is not type(None)]
        if value is None:
            return None
        return _decode(options[0], value)
    if tp is Path:
        if not isinstance(value, str):
            raise TypeError(f"expected a path as text, got {type(value).__name__}")
        return Path(value)
    if tp in (str, int, float):
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise TypeError(f"expected {tp.__name__}, got {type(value).__name__}")
        return tp(value)
    if origin is tuple:
        item = typing.get_args(tp)[0]
        return tuple(_decode(item, v) for v in value)
    if origin in (Mapping, dict, typing.Mapping):
        key_type, value_type = typing.get_args(tp)
        if not isinstance(value, Mapping):
            raise TypeError(f"expected a JSON object, got {type(value).__name__}")
        return {_decode(key_type, k): _decode(value_type, v) for k, v in value.items()}
    return value  # pragma: no cover - every field type is handled above


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
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ReportError(f"{file}: report context not found") from None
    except (OSError, ValueError) as exc:
        raise ReportError(f"{file}: cannot read the report context: {exc}") from None
    return ReportContext.from_json(text, file=file)
