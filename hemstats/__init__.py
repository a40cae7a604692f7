"""hemstats: statistics of head-CT intracranial hemorrhage datasets.

Load datasets from a manifest into one tidy :class:`Cohort`, compute validated
statistics on it (:mod:`hemstats.stats`), draw paper figures (:mod:`hemstats.plots`)
and build a reproducible report (``hemstats report``).
"""

from hemstats.cohort import TABLE_NAMES, Cohort
from hemstats.errors import (
    AdapterError,
    ChecksumError,
    DataFormatError,
    HemstatsError,
    InputError,
    ManifestError,
    SchemaError,
    UnknownFindingError,
)
from hemstats.findings import FINDINGS, SUBTYPES
from hemstats.loading import load, validate
from hemstats.manifest import Manifest, load_manifest

__version__ = "0.1.0"

__all__ = [
    "load",
    "load_manifest",
    "validate",
    "Manifest",
    "Cohort",
    "TABLE_NAMES",
    "FINDINGS",
    "SUBTYPES",
    "HemstatsError",
    "SchemaError",
    "ManifestError",
    "ChecksumError",
    "AdapterError",
    "DataFormatError",
    "UnknownFindingError",
    "InputError",
    "__version__",
]
