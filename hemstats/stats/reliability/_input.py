"""Input handling of :mod:`hemstats.stats.reliability.agreement`: checks, and the ratings cube of each dataset.

:func:`_tables` applies the one input rule (:func:`~hemstats.stats._core.resolve.resolve`: a
Cohort, or the canonical ``labels`` table with ``studies=`` keyword-only); :func:`_prepare`
checks the labels and turns each dataset's rows at one level into a :class:`_Ratings` array
``values[finding, unit, rater]`` (NaN = no rating) together with the cluster (patient) of
every unit; :func:`_options` checks the interval options.  Every bad input raises
:class:`InputError` naming the argument or column, the rows and what was expected.

Clusters: ``cluster=None`` takes ``patient_id`` (a column of ``labels``, or of ``studies``
joined on ``dataset, study_id``), else ``study_id`` (a bare labels table has no patient:
slices are then clustered by study, and the rows say so); ``cluster="col"`` names the
column; ``cluster=False`` treats every unit as independent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

import numpy as np
import pandas as pd

from hemstats._coerce import describe_rows
from hemstats.errors import InputError
from hemstats.findings import FINDINGS
from hemstats.stats._core.options import check_bootstrap_method, check_confidence_level, check_n_resamples, check_rng
from hemstats.stats._core.resolve import resolve

#: The interval families of the agreement statistics.
INTERVALS: tuple[str, ...] = ("analytic", "bootstrap")


@dataclass
class _Ratings:
    """One dataset's ratings at one level: ``values[f, u, r]`` (NaN = no rating)."""

    dataset: str
    level: str
    findings: list[str]
    raters: list[str]
    values: np.ndarray
    unit_cluster: np.ndarray  # unit -> cluster index (resampled / summed together)
    n_clusters: int
    categories: dict[str, np.ndarray]
    independent: bool = False  # cluster=False: every unit its own cluster, on request
    cluster_note: str | None = None  # how clusters were formed, when not by patient_id


def _finding_order(f: str) -> tuple[int, str]:
    return (FINDINGS.index(f) if f in FINDINGS else len(FINDINGS), f)


def _fail(msg: str) -> NoReturn:
    raise InputError(msg)


def _names(value: Any, what: str) -> list[str] | None:
    """A sequence of names; one string is one name, never split into characters."""
    if value is None:
        return None
    if isinstance(value, str):
        return [value]
    if not isinstance(value, (Sequence, pd.Index, np.ndarray, pd.Series)) or isinstance(value, bytes):
        _fail(f"{what}: expected a name or a list of names, got {type(value).__name__}")
    out = list(value)
    bad = [v for v in out if not isinstance(v, str)]
    if bad:
        _fail(f"{what}: expected names (str), got {bad[:3]!r}")
    if not out:
        _fail(f"{what}: expected at least one name, got an empty list")
    return out


def _tables(data: Any, studies: pd.DataFrame | None, where: str) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """(labels, studies or None) of a Cohort or a labels table, by the one input rule."""
    t = resolve(data, "labels", where=where, studies=studies)
    return t.main, t.studies


def _intervals(interval: Any) -> tuple[str, ...]:
    """``interval=``: one family or a list of them, in the order :data:`INTERVALS` gives."""
    given = [interval] if isinstance(interval, str) else interval
    ok = isinstance(given, (list, tuple)) and len(given) > 0 and all(
        isinstance(v, str) and v in INTERVALS for v in given)
    if not ok:
        _fail(f"interval: expected 'analytic', 'bootstrap' or a list of them, got {interval!r}")
    return tuple(v for v in INTERVALS if v in given)


def _cluster_ids(labels: pd.DataFrame, studies: pd.DataFrame | None, at: np.ndarray, level: str,
                 cluster: Any, coded: dict[str, tuple[np.ndarray, Any]]) -> tuple[np.ndarray | None, str | None]:
    """Cluster code of every row at the level (int64, equal exactly when the cluster ids are; a
    missing id is its study's own cluster), and a note on how they were formed.  ``coded``: the
    factorised key columns of the rows at the level (``study_id`` is reused as is)."""
    if cluster is False:
        return None, None
    if cluster is not None and not isinstance(cluster, str):
        _fail(f"cluster: expected None, False or a column name, got {cluster!r}")
    name = cluster or ("patient_id" if "patient_id" in labels.columns or studies is not None else "study_id")
    note = None
    if name == "study_id" and cluster is None and level == "slice":
        note = "clustered by study_id (labels carry no patient_id: pass the Cohort or studies= to cluster by patient)"
    if name == "study_id":  # never missing (checked): its codes are the cluster codes
        return coded["study_id"][0].astype(np.int64), note
    if name in labels.columns:
        ids = labels[name].to_numpy(dtype=object)[at]
    elif studies is not None and name in studies.columns:
        rows = labels.loc[at]
        key = pd.MultiIndex.from_frame(studies[["dataset", "study_id"]].astype(object))
        pos = key.get_indexer(pd.MultiIndex.from_frame(rows[["dataset", "study_id"]].astype(object)))
        vals = studies[name].astype(object).to_numpy()
        ids = np.where(pos >= 0, vals[np.maximum(pos, 0)], None)
    else:
        _fail(f"cluster: column {name!r} is in neither labels nor studies")
    miss = pd.isna(ids)
    if miss.any():
        study = labels["study_id"].to_numpy(dtype=object)[at]
        n_miss = len(set(zip(labels["dataset"].to_numpy(dtype=object)[at][miss], study[miss])))
        ids = np.where(miss, np.array(["\x00study:" + str(s) for s in study], dtype=object), ids)
        note = f"{n_miss} studies without {name} counted as their own cluster"
    return pd.factorize(ids)[0].astype(np.int64), note


def _fold(codes: Sequence[np.ndarray], sizes: Sequence[int]) -> np.ndarray:
    """One int64 per row, equal exactly when every column's code is (renumbered as it goes: no overflow)."""
    key = np.zeros(len(codes[0]) if codes else 0, dtype=np.int64)
    for c, size in zip(codes, sizes, strict=True):
        key, _ = pd.factorize(key * (size + 1) + c + 1)
    return key


def _duplicated(codes: Sequence[np.ndarray], sizes: Sequence[int]) -> np.ndarray:
    """Rows whose codes are all repeated in another row (``DataFrame.duplicated(keep=False)``)."""
    return pd.Series(_fold(codes, sizes)).duplicated(keep=False).to_numpy()


def _prepare(
    labels: pd.DataFrame,
    studies: pd.DataFrame | None,
    *,
    level: str,
    raters: Sequence[str] | None,
    findings: str | Sequence[str] | None,
    categories: Sequence[int] | None,
    reference: str | None = "consensus",
    binary: bool = False,
    cluster: Any = None,
) -> list[_Ratings]:
    raters, findings = _names(raters, "raters"), _names(findings, "findings")
    if not isinstance(level, str) or level not in ("study", "slice"):
        _fail(f"level: expected 'study' or 'slice', got {level!r}")
    if level == "slice" and "slice_id" not in labels.columns:
        _fail("labels: level='slice' needs a slice_id column")
    at = labels["level"].astype(object).eq(level).to_numpy()
    if findings is not None:
        present_f = set(labels.loc[at, "finding"].astype(object))
        unknown = [f for f in findings if f not in present_f]
        if unknown:
            _fail(f"findings: {unknown} have no labels at level {level!r}; findings present: "
                  f"{sorted(present_f, key=_finding_order)}")
        at &= labels["finding"].astype(object).isin(findings).to_numpy()
    key = ["dataset", "study_id"] + (["slice_id"] if level == "slice" else []) + ["finding", "rater"]
    # every key column factorised once: the codes give missing values, duplicates, units, findings and raters
    at_rows = np.flatnonzero(at)
    coded = {c: pd.factorize(labels[c].to_numpy(dtype=object)[at_rows]) for c in key}
    for col in ("dataset", "study_id", "finding", "rater") + (("slice_id",) if level == "slice" else ()):
        if (coded[col][0] < 0).any():  # factorize's code of a missing value
            miss = np.zeros(len(labels), bool)
            miss[at_rows[coded[col][0] < 0]] = True
            _fail(f"labels.{col}: must not be missing; {describe_rows(labels, miss)}")
    raw = labels["value"]
    if raw.dtype.kind in "iuf":  # numbers already: no text, missing = NaN
        value = raw.to_numpy(dtype=float, na_value=np.nan)
        text = np.zeros(len(value), bool)
    else:
        value = pd.to_numeric(raw.astype(object), errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        text = at & np.isnan(value) & raw.notna().to_numpy()
    checks = [
        (text, "expected a number (a category code), got text"),
        (at & np.isnan(value), "expected a rating (a missing rating is an absent row, not a missing value)"),
        (at & ~np.isnan(value) & ((value != np.round(value)) | (value < 0)), "expected an integer category code >= 0"),
    ]
    if binary:
        checks.append((at & ~np.isnan(value) & ~np.isin(value, (0, 1)), "expected 0 or 1"))
    for bad, what in checks:
        if bad.any():
            _fail(f"labels.value: {what}; {describe_rows(labels, bad, 'value')}")
    if not at.any():
        _fail(f"labels: no rows at level {level!r}" + (f" for findings {list(findings)}" if findings else ""))
    dup = _duplicated([codes for codes, _ in coded.values()], [len(uniques) for _, uniques in coded.values()])
    if dup.any():
        mask = np.zeros(len(labels), bool)
        mask[np.flatnonzero(at)[dup]] = True
        _fail(f"labels: more than one rating per ({', '.join(key)}); {describe_rows(labels, mask)}")
    present = sorted(set(coded["rater"][1]))
    if raters is not None:
        raters = list(dict.fromkeys(raters))
        unknown = [r for r in raters if r not in present]
        if unknown:
            _fail(f"raters: {unknown} have no labels at level {level!r}; raters present: {present}")
        if len(raters) < 2:
            _fail(f"raters: agreement needs at least two raters, got {raters}")
    ids, note = _cluster_ids(labels, studies, at, level, cluster, coded)
    value = value[at]
    (ds_codes, datasets), (f_codes, f_names), (r_codes, r_names) = coded["dataset"], coded["finding"], coded["rater"]
    unit_cols = [c for c in key if c in ("study_id", "slice_id")]
    unit_key = _fold([coded[c][0] for c in unit_cols], [len(coded[c][1]) for c in unit_cols])
    out = []
    for g, ds in enumerate(datasets):  # in order of appearance, as groupby(sort=False)
        rows = np.flatnonzero(ds_codes == g)
        unit_codes, units = pd.factorize(unit_key[rows])
        if cluster is False:
            unit_cluster = np.arange(len(units), dtype=np.int64)
        else:
            assert ids is not None  # cluster is not False
            cl_codes, _ = pd.factorize(ids[rows])
            unit_cluster = np.zeros(len(units), dtype=np.int64)
            unit_cluster[unit_codes] = cl_codes
        rated_raters = set(r_names[np.unique(r_codes[rows])])
        rated = set(f_names[np.unique(f_codes[rows])])
        rs = raters if raters is not None else [r for r in sorted(rated_raters) if r != reference]
        fs = list(dict.fromkeys(f for f in (findings or sorted(rated, key=_finding_order)) if f in rated))
        f_idx = pd.Index(fs).get_indexer(f_names)[f_codes[rows]]
        r_idx = pd.Index(rs).get_indexer(r_names)[r_codes[rows]]
        ok = (f_idx >= 0) & (r_idx >= 0)
        vals = np.full((len(fs), len(units), len(rs)), np.nan)
        vals[f_idx[ok], unit_codes[ok], r_idx[ok]] = value[rows][ok]
        if findings is None:  # only findings some selected rater rated
            keep = ~np.isnan(vals).all(axis=(1, 2))
            fs, vals = [f for f, k in zip(fs, keep) if k], vals[keep]
        cats = {}
        for i, f in enumerate(fs):
            seen = np.unique(vals[i][~np.isnan(vals[i])])
            if categories is not None:
                cats[f] = np.asarray(sorted(categories), dtype=float)
                extra = np.setdiff1d(seen, cats[f])
                if extra.size:
                    _fail(f"categories: finding {f!r} of dataset {ds!r} has values {extra.tolist()} not in categories")
            else:
                cats[f] = np.union1d(seen, [0.0, 1.0]) if np.isin(seen, (0, 1)).all() else seen
        out.append(_Ratings(str(ds), level, fs, list(rs), vals, unit_cluster, int(unit_cluster.max()) + 1, cats,
                            independent=cluster is False, cluster_note=note))
    return out


def _options(interval: Any, bootstrap_method: Any, n_resamples: Any, confidence_level: Any,
             rng: Any = None) -> tuple[tuple[str, ...], str, int, float]:
    """The checked interval options: (interval families, bootstrap_method, n_resamples, confidence_level)."""
    families = _intervals(interval)
    method = check_bootstrap_method(bootstrap_method, "bootstrap_method")
    n = check_n_resamples(n_resamples)
    level = check_confidence_level(confidence_level)
    check_rng(rng)
    return families, method, n, level
