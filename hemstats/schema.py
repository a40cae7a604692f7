"""The canonical tables: their columns, dtypes, keys and value rules.

This module only *describes* the tables; :mod:`hemstats.cohort` enforces it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from hemstats.findings import FINDINGS

__all__ = ["Column", "TableSpec", "TABLES", "LEVELS", "SEXES"]

Kind = Literal["id", "category", "int", "float", "binary"]

#: Values of ``level``: a label or prediction is about a whole study or one slice.
LEVELS: tuple[str, ...] = ("study", "slice")
#: Values of ``sex``; anything else must be mapped by the adapter or left missing.
SEXES: tuple[str, ...] = ("F", "M")


@dataclass(frozen=True)
class Column:
    """One canonical column.

    ``kind`` fixes the dtype: ``id`` -> ``string``, ``category`` -> ``category``
    (fixed ``categories`` or the sorted values present), ``int`` -> ``Int64``,
    ``float`` -> ``Float64``, ``binary`` -> ``int8`` holding 0 or 1.
    """

    name: str
    kind: Kind
    required: bool = False  # must be present as a column and never missing
    categories: tuple[str, ...] | None = None
    minimum: float | None = None
    exclusive_minimum: bool = False


@dataclass(frozen=True)
class TableSpec:
    """A canonical table: its columns, its unique key and its one-row meaning."""

    name: str
    row: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    refers_to_studies: bool = True
    has_level: bool = False
    extra_columns: bool = True

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


_DATASET = Column("dataset", "category", required=True)
_STUDY = Column("study_id", "id", required=True)
_SLICE = Column("slice_id", "id")
_LEVEL = Column("level", "category", required=True, categories=LEVELS)
_FINDING = Column("finding", "category", required=True, categories=FINDINGS)

TABLES: dict[str, TableSpec] = {
    spec.name: spec
    for spec in (
        TableSpec(
            "studies",
            "imaging study (exam)",
            (
                _DATASET,
                _STUDY,
                Column("patient_id", "id", required=True),
                Column("age_years", "float", minimum=0),
                Column("sex", "category", categories=SEXES),
                Column("split", "category"),
                Column("site", "category"),
                Column("manufacturer", "category"),
                Column("scanner_model", "category"),
                Column("kernel", "category"),
                Column("slice_thickness_mm", "float", minimum=0, exclusive_minimum=True),
                Column("kvp", "float", minimum=0, exclusive_minimum=True),
                Column("tube_current_ma", "float", minimum=0, exclusive_minimum=True),
                Column("n_slices", "int", minimum=1),
            ),
            key=("dataset", "study_id"),
            refers_to_studies=False,
        ),
        TableSpec(
            "labels",
            "(study or slice) x finding x rater",
            (
                _DATASET,
                _STUDY,
                _SLICE,
                _LEVEL,
                _FINDING,
                Column("rater", "category", required=True),
                Column("value", "binary", required=True),
            ),
            key=("dataset", "study_id", "slice_id", "level", "finding", "rater"),
            has_level=True,
        ),
        TableSpec(
            "predictions",
            "(study or slice) x finding x model",
            (
                _DATASET,
                _STUDY,
                _SLICE,
                _LEVEL,
                _FINDING,
                Column("model", "category", required=True),
                Column("score", "float", required=True),
            ),
            key=("dataset", "study_id", "slice_id", "level", "finding", "model"),
            has_level=True,
        ),
        TableSpec(
            "lesions",
            "study x finding, measured on masks",
            (
                _DATASET,
                _STUDY,
                _FINDING,
                Column("voxels", "int", minimum=0),
                Column("volume_ml", "float", minimum=0),
            ),
            key=("dataset", "study_id", "finding"),
        ),
        TableSpec(
            "images",
            "image file",
            (
                _DATASET,
                _STUDY,
                _SLICE,
                Column("path", "id"),
                Column("width", "int", minimum=1),
                Column("height", "int", minimum=1),
            ),
            key=("dataset", "study_id", "slice_id"),
        ),
        TableSpec(
            "notes",
            "data-quality note found by a loader (disagreements, derived labels, ...)",
            (
                _DATASET,
                Column("study_id", "id"),
                Column("kind", "category", required=True),
                Column("detail", "id", required=True),
            ),
            key=(),
            refers_to_studies=False,
            extra_columns=True,
        ),
    )
}
