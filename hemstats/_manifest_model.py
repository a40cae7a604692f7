"""The data manifest as values: dataclasses and constants, no reading and no checking.

The manifest lives in three modules that import only downwards:

- :mod:`hemstats._manifest_model` (this one): :class:`Manifest`, :class:`DatasetEntry`,
  :class:`Checksums`, :class:`TreeChecksum`, :class:`ReportSettings` and the constants;
- :mod:`hemstats._manifest_schema`: parsed YAML -> these classes plus every problem found;
- :mod:`hemstats.manifest`: file -> YAML -> check, the public :func:`~hemstats.manifest.load_manifest`.

Examples
--------
>>> entry = DatasetEntry(name="toy", adapter="demo", options={"salt": "s3cret", "n_studies": 10})
>>> entry.to_dict()["options"]
{'salt': '<redacted>', 'n_studies': 10}
>>> ReportSettings().to_dict()
{'title': 'hemstats report', 'seed': 0, 'confidence_level': 0.95, 'n_resamples': 2000}
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

__all__ = [
    "DEFAULT_MANIFEST",
    "SECRET_OPTIONS",
    "REDACTED",
    "REPORT_KEYS",
    "Manifest",
    "DatasetEntry",
    "ReportSettings",
    "Checksums",
    "TreeChecksum",
    "where_dataset",
]

#: The built-in manifest used when none is given: the demo cohort only.
DEFAULT_MANIFEST: Path = Path(__file__).with_name("default_manifest.yaml")

#: Option names whose values are secrets, never shown by ``to_dict``/``to_yaml`` (case-insensitive).
SECRET_OPTIONS: frozenset[str] = frozenset({"salt", "secret", "password", "token", "api_key"})
#: What a secret option is shown as.
REDACTED = "<redacted>"

#: The keys of the ``report:`` block, in manifest order.
REPORT_KEYS: tuple[str, ...] = ("title", "seed", "confidence_level", "n_resamples")


class _PlainDumper(yaml.SafeDumper):
    """Writes a value shared by two keys out twice: a manifest may hold no anchors or aliases."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def where_dataset(index: int | None, name: str | None) -> str:
    """How messages name a dataset entry: ``"dataset 'cq500' (datasets[4])"``.

    Examples
    --------
    >>> where_dataset(4, "cq500"), where_dataset(2, None), where_dataset(None, "x")
    ("dataset 'cq500' (datasets[4])", 'datasets[2]', "dataset 'x'")
    """
    at = f"datasets[{index}]" if index is not None else None
    if name is None:
        return at or "dataset"
    return f"dataset {name!r} ({at})" if at else f"dataset {name!r}"


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
        return {key: getattr(self, key) for key in REPORT_KEYS}


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
        return where_dataset(self.index, self.name)

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
                if folder is not None and self.path.is_relative_to(folder):
                    path = self.path.relative_to(folder).as_posix()
                else:
                    path = f"<elsewhere>/{self.path.name}"
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
    """A checked data manifest (build one with :func:`hemstats.manifest.load_manifest` or
    :func:`hemstats.manifest.manifest_from_dict`).

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
    >>> manifest = Manifest(path=None, folder=Path("/data"), datasets=(DatasetEntry("toy", "demo"),))
    >>> manifest.names, manifest.to_dict()["datasets"][0]["adapter"]
    (('toy',), 'demo')
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
        :func:`hemstats.manifest.manifest_from_dict` of the result (absolute paths) gives
        an equal manifest.
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
        >>> print(Manifest(path=None, folder=Path("/data")).to_yaml().splitlines()[0])
        version: 1
        """
        return yaml.dump(
            self.to_dict(redact=redact), Dumper=_PlainDumper, sort_keys=False, allow_unicode=True, width=100
        )
