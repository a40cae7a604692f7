"""The :class:`Cohort`: every dataset's data as the same six tidy tables.

Adapters produce a Cohort, analyses consume its tables.  The tables and their
columns are described in :mod:`hemstats.schema` and in DESIGN.md.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from hemstats._coerce import coerce_column, describe_rows, empty_column, factorize, to_float
from hemstats.errors import HemstatsError, Problem, SchemaError
from hemstats.schema import TABLES, TableSpec

__all__ = ["Cohort", "TABLE_NAMES"]

#: The tables of a Cohort, in the order they are shown and written.
TABLE_NAMES: tuple[str, ...] = tuple(TABLES)
_FORMAT_VERSION = 1


Codes = dict[str, tuple[np.ndarray, np.ndarray]]


def _canonical(spec: TableSpec, given: pd.DataFrame | None, problems: list[Problem], codes: Codes) -> pd.DataFrame:
    """Copy ``given`` with canonical columns first, in canonical dtypes, index 0..n-1.

    ``codes`` receives the integer codes of the id columns (see ``coerce_column``).
    """
    if given is None:
        given = pd.DataFrame()
    if not isinstance(given, pd.DataFrame):
        problems.append(Problem(spec.name, f"expected a pandas DataFrame, got {type(given).__name__}"))
        given = pd.DataFrame()
    df = given.reset_index(drop=True)
    if df.columns.duplicated().any():
        dupes = sorted(set(df.columns[df.columns.duplicated()]))
        problems.append(Problem(spec.name, f"duplicated column names {dupes}"))
        df = df.loc[:, ~df.columns.duplicated()]
    empty_table = df.shape[1] == 0
    out: dict[str, pd.Series] = {}
    for col in spec.columns:
        if col.name in df.columns:
            out[col.name] = coerce_column(df, spec.name, col, problems, codes)
        else:
            if col.required and not empty_table:
                found = ", ".join(map(str, df.columns))
                problems.append(Problem(f"{spec.name}.{col.name}", f"required column is absent (columns: {found})"))
            out[col.name] = empty_column(col, len(df))
    for name in df.columns:
        if name not in out:
            out[name] = df[name].copy()
    return pd.DataFrame(out, index=pd.RangeIndex(len(df)))


def _study_pairs(df: pd.DataFrame, codes: Codes) -> tuple[np.ndarray, pd.Index]:
    """Each row's code into the distinct (dataset, study_id) pairs, and those pairs as text keys."""
    d_codes, datasets = factorize(df["dataset"])
    s_codes, studies = codes["study_id"] if "study_id" in codes else factorize(df["study_id"])
    width = len(studies) + 1
    pair_codes, pairs = pd.factorize(d_codes * width + s_codes)
    keys = [f"{datasets[p // width] if p // width >= 0 else ''}\x00{studies[p % width] if p % width < len(studies) else ''}" for p in pairs]
    return np.asarray(pair_codes), pd.Index(keys, dtype=object)


def _duplicated(columns: Iterable[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """Rows whose combination of codes occurs more than once (missing counts as a value).

    The codes of all columns are folded into one int64 per row (mixed radix, re-numbered
    whenever the next column could overflow), so a key costs one integer array.
    """
    combined: np.ndarray | None = None
    radix = 1
    for codes, values in columns:
        width = len(values) + 1  # code -1 (missing) becomes 0
        if combined is None:
            combined, radix = codes + 1, width
            continue
        if radix * width >= 2**62:
            combined, uniques = pd.factorize(combined)
            radix = len(uniques)
        combined = combined * width + (codes + 1)
        radix *= width
    return pd.Series(combined).duplicated(keep=False).to_numpy()


def _check_rows(spec: TableSpec, df: pd.DataFrame, codes: Codes, known: pd.Index, problems: list[Problem]) -> None:
    """Key uniqueness, level/slice consistency and links to the ``known`` study keys."""
    if spec.key and len(df):
        dup = _duplicated(codes[name] if name in codes else factorize(df[name]) for name in spec.key)
        if dup.any():
            problems.append(
                Problem(spec.name, f"key ({', '.join(spec.key)}) is not unique; {describe_rows(df, dup)}")
            )
    if spec.has_level:
        no_slice = df["slice_id"].isna().to_numpy()
        is_slice = (df["level"] == "slice").to_numpy()
        bad = (is_slice & no_slice) | (~is_slice & df["level"].notna().to_numpy() & ~no_slice)
        if bad.any():
            problems.append(
                Problem(
                    f"{spec.name}.slice_id",
                    f"expected a slice_id exactly when level is 'slice'; {describe_rows(df, bad)}",
                )
            )
    if spec.refers_to_studies and len(df):
        present = df["dataset"].notna().to_numpy() & df["study_id"].notna().to_numpy()
        pair_codes, pairs = _study_pairs(df, codes)
        orphan = present & ~pairs.isin(known)[pair_codes]
        if orphan.any():
            problems.append(
                Problem(
                    f"{spec.name}.study_id",
                    f"expected a (dataset, study_id) listed in studies; {describe_rows(df, orphan, 'study_id')}",
                )
            )


def _json_info(info: Mapping[str, Any], problems: list[Problem]) -> dict[str, Any]:
    """A JSON-clean copy of ``info``; a value JSON cannot hold is a problem."""
    try:
        return json.loads(json.dumps(dict(info), allow_nan=False))
    except (TypeError, ValueError) as exc:
        problems.append(Problem("info", f"expected JSON-serialisable values: {exc}"))
        return {}


def _free_categories(spec: TableSpec) -> list[str]:
    """Canonical category columns whose categories are the sorted values present."""
    return [c.name for c in spec.columns if c.kind == "category" and c.categories is None]


def _stack(spec: TableSpec, frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Rows of canonical ``frames`` of datasets that share none, still canonical.

    Free categories become the sorted union (what construction would give); extra
    categorical columns become objects, as construction leaves extra columns as given.
    """
    union = {col: sorted({str(v) for f in frames for v in f[col].cat.categories}) for col in _free_categories(spec)}
    prepared = []
    for f in frames:
        extra_categoricals = {
            k: object for k, t in f.dtypes.items() if isinstance(t, pd.CategoricalDtype) and k not in spec.names
        }
        f = f.astype(extra_categoricals)
        prepared.append(f.assign(**{col: f[col].cat.set_categories(cats) for col, cats in union.items()}))
    return pd.concat(prepared, ignore_index=True)


@dataclass(frozen=True, eq=False, repr=False)
class Cohort:
    """A validated, immutable set of canonical tables for one or more datasets.

    Construction copies and validates the tables: required columns, dtypes, value
    ranges, unique keys and links to ``studies``.  Canonical columns come first in
    canonical dtypes (ids as ``string``, categories as ``category``, numbers as
    nullable ``Int64``/``Float64``, label values as ``int8``); missing optional
    columns are added empty and extra columns are kept.

    Parameters
    ----------
    studies : pandas.DataFrame
        One row per imaging study; ``dataset``, ``study_id`` and ``patient_id`` required.
    labels, predictions, lesions, images, notes : pandas.DataFrame, optional
        The other canonical tables (see :mod:`hemstats.schema`); absent ones are empty.
    info : mapping, optional
        Per dataset name, JSON-serialisable facts (``synthetic``, ``seed``, ``truth``...).

    Raises
    ------
    SchemaError
        Listing every problem found, each naming the table, the column and the
        first offending rows.

    Examples
    --------
    >>> import pandas as pd
    >>> studies = pd.DataFrame({"dataset": ["toy"] * 2, "study_id": ["s1", "s2"], "patient_id": ["p1", "p2"]})
    >>> labels = pd.DataFrame({"dataset": "toy", "study_id": ["s1", "s2"], "level": "study",
    ...                        "finding": "any", "rater": "consensus", "value": [1, 0]})
    >>> cohort = Cohort(studies, labels=labels)
    >>> cohort
    Cohort(datasets=['toy'], studies=2, labels=2, predictions=0, lesions=0, images=0, notes=0)
    >>> cohort.labels["value"].dtype
    dtype('int8')
    >>> Cohort(studies, labels=labels.assign(value=[1, 2]))
    Traceback (most recent call last):
    ...
    hemstats.errors.SchemaError: invalid cohort: 1 problem
      - labels.value: expected 0 or 1; 1 row, first: row 1 (2)
    """

    studies: pd.DataFrame
    labels: pd.DataFrame | None = None
    predictions: pd.DataFrame | None = None
    lesions: pd.DataFrame | None = None
    images: pd.DataFrame | None = None
    notes: pd.DataFrame | None = None
    info: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        problems: list[Problem] = []
        codes: dict[str, Codes] = {name: {} for name in TABLE_NAMES}
        tables = {name: _canonical(TABLES[name], getattr(self, name), problems, codes[name]) for name in TABLE_NAMES}
        known = _study_pairs(tables["studies"], codes["studies"])[1]
        for name in TABLE_NAMES:
            _check_rows(TABLES[name], tables[name], codes[name], known, problems)
        info = _json_info(self.info, problems)
        if problems:
            raise SchemaError(problems)
        for name, df in tables.items():
            object.__setattr__(self, name, df)
        object.__setattr__(self, "info", info)

    # -- views ------------------------------------------------------------------------------
    @property
    def datasets(self) -> tuple[str, ...]:
        """Dataset names, in order of first appearance in ``studies``."""
        return tuple(pd.unique(self.studies["dataset"].astype(object)))

    def tables(self) -> dict[str, pd.DataFrame]:
        """The six tables by name (the frames themselves, not copies)."""
        return {name: getattr(self, name) for name in TABLE_NAMES}

    def counts(self) -> pd.DataFrame:
        """Rows per dataset and table, a tidy frame (``dataset, table, rows``).

        Examples
        --------
        >>> from hemstats.datasets import demo
        >>> demo.load(n_studies=50).counts().query("table == 'studies'").rows.tolist()
        [50]
        """
        rows = []
        for dataset in self.datasets:
            for name, df in self.tables().items():
                rows.append((dataset, name, int((df["dataset"] == dataset).sum())))
        return pd.DataFrame(rows, columns=["dataset", "table", "rows"])

    def select(self, datasets: str | Iterable[str]) -> Cohort:
        """The sub-cohort of the named datasets."""
        wanted = [datasets] if isinstance(datasets, str) else list(datasets)
        unknown = sorted(set(wanted) - set(self.datasets))
        if unknown:
            raise HemstatsError(f"no dataset {unknown} in this cohort; it has {list(self.datasets)}")
        tables = {}
        for name, df in self.tables().items():
            rows = df[df["dataset"].isin(wanted).to_numpy()].reset_index(drop=True)
            pruned = {col: rows[col].cat.remove_unused_categories() for col in _free_categories(TABLES[name])}
            tables[name] = rows.assign(**pruned)
        # Rows of a valid cohort stay valid: no need to check them again.
        return Cohort._trusted(tables, {k: v for k, v in self.info.items() if k in wanted})

    def fingerprint(self, dataset: str | None = None) -> str:
        """SHA-256 of the tables' content (all datasets, or one), stable across runs."""
        cohort = self if dataset is None else self.select(dataset)
        digest = hashlib.sha256()
        for name, df in cohort.tables().items():
            digest.update(name.encode())
            digest.update(df.to_csv(index=False, lineterminator="\n").encode())
        return digest.hexdigest()

    def equals(self, other: object) -> bool:
        """True when every table (values, dtypes, column order) and ``info`` are equal."""
        if not isinstance(other, Cohort):
            return False
        return self.info == other.info and all(
            getattr(self, n).equals(getattr(other, n))
            and (getattr(self, n).dtypes == getattr(other, n).dtypes).all()
            for n in TABLE_NAMES
        )

    def __repr__(self) -> str:
        sizes = ", ".join(f"{n}={len(getattr(self, n))}" for n in TABLE_NAMES)
        return f"Cohort(datasets={list(self.datasets)}, {sizes})"

    # -- combining ---------------------------------------------------------------------------
    @classmethod
    def concat(cls, cohorts: Iterable[Cohort], *, info: Mapping[str, Mapping[str, Any]] | None = None) -> Cohort:
        """One Cohort holding the rows of all; a dataset may appear in only one of them.

        ``info`` entries are merged over the cohorts' own (per dataset, key by key).

        Examples
        --------
        >>> from hemstats.datasets import demo
        >>> a = demo.load(n_studies=20, seed=1, name="demo_a")
        >>> b = demo.load(n_studies=30, seed=2, name="demo_b")
        >>> Cohort.concat([a, b]).datasets
        ('demo_a', 'demo_b')
        """
        cohorts = list(cohorts)
        if not cohorts:
            raise HemstatsError("Cohort.concat needs at least one cohort")
        seen: dict[str, int] = {}
        for i, c in enumerate(cohorts):
            for d in c.datasets:
                if d in seen:
                    raise HemstatsError(f"dataset {d!r} is in cohorts {seen[d]} and {i}; concat each dataset once")
                seen[d] = i
        # Each cohort is valid and their datasets are disjoint, so every key and link stays
        # valid: only the categories need merging, not a second validation of every row.
        tables = {name: _stack(TABLES[name], [getattr(c, name) for c in cohorts]) for name in TABLE_NAMES}
        merged: dict[str, dict[str, Any]] = {k: dict(v) for c in cohorts for k, v in c.info.items()}
        for dataset, extra in (info or {}).items():
            merged.setdefault(dataset, {}).update(extra)
        problems: list[Problem] = []
        clean = _json_info(merged, problems)
        if problems:
            raise SchemaError(problems)
        return cls._trusted(tables, clean)

    @classmethod
    def _trusted(cls, tables: Mapping[str, pd.DataFrame], info: dict[str, Any]) -> Cohort:
        """A Cohort of tables already in canonical form and valid (no checks)."""
        cohort = object.__new__(cls)
        for name in TABLE_NAMES:
            object.__setattr__(cohort, name, tables[name])
        object.__setattr__(cohort, "info", info)
        return cohort

    # -- files ------------------------------------------------------------------------------
    def to_dir(self, path: str | Path, *, format: Literal["parquet", "csv"] = "parquet") -> Path:
        """Write every table (``<table>.parquet`` or ``.csv``) and ``cohort.json`` to ``path``.

        :meth:`from_dir` reads them back with every value and dtype unchanged.  CSV
        writes missing values as empty cells, so text columns must not hold empty text.

        Examples
        --------
        >>> import tempfile
        >>> from hemstats.datasets import demo
        >>> cohort = demo.load(n_studies=40)
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     Cohort.from_dir(cohort.to_dir(tmp, format="csv")).equals(cohort)
        True
        """
        if format not in ("parquet", "csv"):
            raise HemstatsError(f"format must be 'parquet' or 'csv', got {format!r}")
        out = Path(path)
        out.mkdir(parents=True, exist_ok=True)
        meta: dict[str, Any] = {"format_version": _FORMAT_VERSION, "format": format, "info": self.info, "dtypes": {}}
        for name, df in self.tables().items():
            meta["dtypes"][name] = [
                {"name": col, "dtype": str(t)}
                | ({"categories": list(map(str, t.categories))} if isinstance(t, pd.CategoricalDtype) else {})
                for col, t in df.dtypes.items()
            ]
            if format == "parquet":
                df.to_parquet(out / f"{name}.parquet", index=False)
            else:
                df.to_csv(out / f"{name}.csv", index=False, lineterminator="\n")
        (out / "cohort.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
        return out

    @classmethod
    def from_dir(cls, path: str | Path) -> Cohort:
        """Read a Cohort written by :meth:`to_dir`."""
        root = Path(path)
        meta_path = root / "cohort.json"
        if not meta_path.is_file():
            raise HemstatsError(f"{meta_path}: not found; expected a folder written by Cohort.to_dir")
        meta = json.loads(meta_path.read_text())
        fmt = meta.get("format")
        tables = {}
        for name in TABLE_NAMES:
            file = root / f"{name}.{fmt}"
            if not file.is_file():
                raise HemstatsError(f"{file}: not found; cohort.json says the tables are {fmt}")
            if fmt == "parquet":
                tables[name] = pd.read_parquet(file)
            else:
                raw = pd.read_csv(file, dtype=str, keep_default_na=False, na_values=[""])
                tables[name] = _restore_dtypes(raw, meta["dtypes"][name])
        return cls(**tables, info=meta.get("info", {}))


def _restore_dtypes(raw: pd.DataFrame, columns: list[Mapping[str, Any]]) -> pd.DataFrame:
    """Give text columns read from CSV back the order and dtypes recorded by ``to_dir``."""
    out = {}
    for spec in columns:
        col = spec["name"]
        s = raw[col] if col in raw else pd.Series([pd.NA] * len(raw), dtype=object)
        dtype = spec["dtype"]
        if dtype == "category":
            out[col] = pd.Categorical(s.astype(object).where(s.notna(), None), categories=spec["categories"])
        elif dtype in ("string", "object", "str"):
            out[col] = s.astype(dtype if dtype == "string" else object)
        elif dtype == "bool":
            out[col] = s.map({"True": True, "False": False})
        else:
            numbers, _ = to_float(s)
            if dtype.lower().startswith("int") or dtype.lower().startswith("uint"):
                arr = pd.array(np.where(np.isnan(numbers), 0, numbers).astype("int64"), dtype="Int64")
                arr[np.isnan(numbers)] = pd.NA
                out[col] = arr.astype(dtype) if dtype[0].isupper() else arr.to_numpy(dtype=dtype)
            else:
                arr = pd.array(numbers, dtype="Float64")
                arr[np.isnan(numbers)] = pd.NA
                out[col] = arr if dtype == "Float64" else numbers.astype(dtype)
    return pd.DataFrame(out, index=raw.index)
