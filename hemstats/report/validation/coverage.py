"""Compute, write and read the coverage tables (Monte Carlo, seeded, one stream per table).

Examples
--------
>>> table = coverage_table("proportion_coverage")
>>> table.columns[:3].tolist()
['method', 'n', 'prevalence']
>>> int(coverage_metadata().set_index("table").loc["proportion_coverage", "seed"]) == SEED
True
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from hemstats.errors import ReportError
from hemstats.report.validation.specs import COVERAGE_TABLES, DATA_DIR, SEED, SPECS, CoverageSpec, get_spec, stream_seed

__all__ = ["compute", "first_cell", "regenerate", "coverage_table", "coverage_metadata", "jsonable"]

METADATA = "metadata.json"
#: Columns that tell a coverage table's rows apart (with the grid's columns), when present.
IDENTITY: tuple[str, ...] = ("scenario", "statistic", "metric", "measure", "test", "test_method", "interval", "method")


def _function(spec: CoverageSpec) -> Callable[..., pd.DataFrame]:
    import hemstats.stats as stats

    fn = getattr(stats, spec.function, None)
    if fn is None:
        raise ReportError(f"coverage table {spec.name!r}: hemstats.stats has no function {spec.function!r}")
    return fn


def compute(name: str, *, seed: int = SEED, parameters: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Compute coverage table ``name`` with its shipped parameters (or ``parameters`` over them).

    Parameters
    ----------
    name : str
        One of :data:`COVERAGE_TABLES`.
    seed : int, default SEED
        Root seed; the table uses the stream :func:`stream_seed` ``(name, seed)``.
    parameters : mapping, optional
        Keyword arguments replacing the shipped ones (e.g. a smaller grid).

    Returns
    -------
    pandas.DataFrame
        The function's table, unchanged.
    """
    import numpy as np

    spec = get_spec(name)
    kwargs = {**spec.parameters, **dict(parameters or {})}
    return _function(spec)(**kwargs, rng=np.random.default_rng(stream_seed(name, seed)))


def first_cell(name: str, table: pd.DataFrame | None = None, *, seed: int = SEED) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The first grid cell of table ``name``, computed afresh, and the same rows of ``table``.

    The coverage functions draw their random numbers cell by cell in grid order, so the
    first cell, computed alone with the shipped seed and simulation sizes, must equal
    the first cell of the full table: a check that runs in seconds.

    Parameters
    ----------
    name : str
        A table with a grid (not ``clustered_auc_coverage``, a single scenario).
    table : pandas.DataFrame, optional
        Default: the shipped table (:func:`coverage_table`).
    seed : int, default SEED

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame)
        The fresh rows and the rows of ``table`` for the same cell, both in the fresh
        rows' order, index reset.
    """
    spec = get_spec(name)
    if not spec.grid:
        raise ReportError(f"coverage table {name!r} is a single scenario: it has no first cell to recompute")
    first = {arg: (spec.parameters[arg][0],) for arg in spec.grid}
    fresh = _as_written(compute(name, seed=seed, parameters=first))
    shipped = coverage_table(name) if table is None else table
    mask = pd.Series(True, index=shipped.index)
    for arg, value in first.items():
        mask &= shipped[spec.columns[arg]] == value[0]
    keys = [c for c in (*IDENTITY, *(spec.columns[arg] for arg in spec.grid)) if c in fresh.columns]
    keys = list(dict.fromkeys(keys))
    ordered = fresh[keys].merge(shipped[mask], on=keys, how="left")
    return fresh, ordered[list(shipped.columns)].reset_index(drop=True)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def jsonable(value: Any) -> Any:
    """``value`` with mappings as dicts and tuples as lists, as JSON stores it."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return [jsonable(v) for v in value]
    return value


def _as_written(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` as :func:`regenerate` writes it and :func:`coverage_table` reads it back (same types, same NA)."""
    text = table.to_csv(index=False, lineterminator="\n")
    return pd.read_csv(io.StringIO(text), float_precision="round_trip")


def regenerate(
    out_dir: str | os.PathLike[str] | None = None,
    *,
    tables: Iterable[str] | None = None,
    seed: int = SEED,
    log: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """Compute the coverage tables and write them, with ``metadata.json``, into ``out_dir``.

    Parameters
    ----------
    out_dir : path-like, optional
        Default :data:`DATA_DIR` (the package's own copy; run from a source checkout).
    tables : iterable of str, optional
        Default all of :data:`COVERAGE_TABLES`; the metadata of the others is kept.
    seed : int, default SEED
    log : callable, optional
        Called with one line per table written (e.g. ``print``).

    Returns
    -------
    pandas.DataFrame
        The metadata of the tables written, as :func:`coverage_metadata` returns it.

    Notes
    -----
    All four tables take about 2 minutes on two cores (proportion 1 s, kappa 100 s,
    AUC 17 s, clustered AUC 6 s; ``metadata.json`` records each run time).  CSVs are written with
    full float precision, so :func:`first_cell` can compare them exactly.
    """
    import numpy as np

    import hemstats

    out = Path(DATA_DIR if out_dir is None else out_dir)
    out.mkdir(parents=True, exist_ok=True)
    names = list(COVERAGE_TABLES if tables is None else tables)
    for n in names:
        get_spec(n)
    meta_file = out / METADATA
    meta: dict[str, Any] = json.loads(meta_file.read_text()) if meta_file.is_file() else {}
    meta.setdefault("tables", {})
    for name in names:
        spec = SPECS[name]
        start = time.perf_counter()
        table = compute(name, seed=seed)
        seconds = time.perf_counter() - start
        path = out / f"{name}.csv"
        path.write_text(table.to_csv(index=False, lineterminator="\n"), encoding="utf-8")
        meta["tables"][name] = {
            "function": f"hemstats.stats.{spec.function}",
            "parameters": jsonable(spec.parameters),
            "seed": int(seed),
            "stream": stream_seed(name, seed),
            "rows": len(table),
            "seconds": round(seconds, 1),
            "hemstats_version": hemstats.__version__,
            "numpy_version": np.__version__,
            "sha256": _sha256(path),
        }
        if log is not None:
            log(f"{path}: {len(table)} rows in {seconds:.1f} s")
    meta["generated_by"] = "python -m hemstats.report.validation (hemstats.report.validation.regenerate)"
    meta["tables"] = {k: meta["tables"][k] for k in COVERAGE_TABLES if k in meta["tables"]}
    meta_file.write_text(json.dumps(meta, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    return _metadata_frame(meta, names, meta_file)


def coverage_table(name: str, *, data_dir: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """The shipped coverage table ``name`` (floats read back exactly).

    Raises
    ------
    ReportError
        When the name is unknown or the file is missing (run :func:`regenerate`).
    """
    get_spec(name)
    path = Path(DATA_DIR if data_dir is None else data_dir) / f"{name}.csv"
    if not path.is_file():
        raise ReportError(f"{path}: coverage table missing; run `python -m hemstats.report.validation`")
    return pd.read_csv(path, float_precision="round_trip")


def coverage_metadata(data_dir: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """How the shipped tables were made: one row per table.

    Returns
    -------
    pandas.DataFrame
        ``table, function, parameters`` (JSON text), ``seed, n_simulations, n_resamples,
        rows, seconds, hemstats_version, numpy_version, sha256``.

    Raises
    ------
    ReportError
        When ``metadata.json`` is missing or lacks a table.
    """
    path = Path(DATA_DIR if data_dir is None else data_dir) / METADATA
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ReportError(f"{path}: coverage metadata missing; run `python -m hemstats.report.validation`") from None
    return _metadata_frame(meta, COVERAGE_TABLES, path)


def _metadata_frame(meta: Mapping[str, Any], names: Iterable[str], path: Path) -> pd.DataFrame:
    rows = []
    for name in names:
        m = meta.get("tables", {}).get(name)
        if m is None:
            raise ReportError(f"{path}: no entry for coverage table {name!r}; regenerate it")
        p = m["parameters"]
        rows.append({
            "table": name,
            "function": m["function"],
            "parameters": json.dumps(p, sort_keys=True),
            "seed": int(m["seed"]),
            "n_simulations": int(p.get("n_simulations", 0)),
            "n_resamples": p.get("n_resamples", pd.NA),
            "rows": int(m["rows"]),
            "seconds": float(m["seconds"]),
            "hemstats_version": m["hemstats_version"],
            "numpy_version": m["numpy_version"],
            "sha256": m["sha256"],
        })
    out = pd.DataFrame(rows)
    out["n_resamples"] = out["n_resamples"].astype("Int64")
    return out
