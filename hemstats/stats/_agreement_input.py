"""Input handling of :mod:`hemstats.stats.agreement`: checks, and the ratings cube of each dataset.

:func:`_prepare` checks the long ``labels`` table and turns each dataset's rows at one
level into a :class:`_Ratings` array ``values[finding, unit, rater]`` (NaN = no rating);
:func:`_options` checks the interval options.  Every bad input raises
:class:`AgreementInputError` naming the column, rows and what was expected.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hemstats._coerce import describe_rows
from hemstats.errors import HemstatsError
from hemstats.findings import FINDINGS

_REQUIRED = ("dataset", "study_id", "finding", "rater", "value")


class AgreementInputError(HemstatsError, ValueError):
    """The labels cannot be used for agreement: the message names the column, rows and what was expected."""

    __module__ = "hemstats.stats.agreement"  # its public home (re-exported there), as tracebacks show it


@dataclass
class _Ratings:
    """One dataset's ratings at one level: ``values[f, u, r]`` (NaN = no rating)."""

    dataset: str
    level: str
    findings: list[str]
    raters: list[str]
    values: np.ndarray
    unit_study: np.ndarray  # unit -> study index (resampling cluster)
    n_studies: int
    categories: dict[str, np.ndarray]


def _finding_order(f: str) -> tuple[int, str]:
    return (FINDINGS.index(f) if f in FINDINGS else len(FINDINGS), f)


def _fail(msg: str) -> None:
    raise AgreementInputError(msg)


def _prepare(
    labels: pd.DataFrame,
    *,
    level: str,
    raters: Sequence[str] | None,
    findings: Sequence[str] | None,
    categories: Sequence[int] | None,
    reference: str | None = "consensus",
    binary: bool = False,
) -> list[_Ratings]:
    if not isinstance(labels, pd.DataFrame):
        _fail(f"labels: expected a pandas DataFrame, got {type(labels).__name__}")
    absent = [c for c in _REQUIRED if c not in labels.columns]
    if absent:
        _fail(f"labels: required column(s) {absent} absent; columns are {list(labels.columns)}")
    if level not in ("study", "slice"):
        _fail(f"level: expected 'study' or 'slice', got {level!r}")
    if level == "slice" and "slice_id" not in labels.columns:
        _fail("labels: level='slice' needs a slice_id column")
    at = labels["level"].astype(object).eq(level).to_numpy() if "level" in labels.columns else np.ones(len(labels), bool)
    if findings is not None:
        at &= labels["finding"].astype(object).isin(list(findings)).to_numpy()
    for col in ("dataset", "study_id", "finding", "rater") + (("slice_id",) if level == "slice" else ()):
        miss = at & labels[col].isna().to_numpy()
        if miss.any():
            _fail(f"labels.{col}: must not be missing; {describe_rows(labels, miss)}")
    value = pd.to_numeric(labels["value"].astype(object), errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    checks = [
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
    key = ["dataset", "study_id"] + (["slice_id"] if level == "slice" else []) + ["finding", "rater"]
    sub = labels.loc[at, key].astype(object)
    dup = sub.duplicated(keep=False).to_numpy()
    if dup.any():
        mask = np.zeros(len(labels), bool)
        mask[np.flatnonzero(at)[dup]] = True
        _fail(f"labels: more than one rating per ({', '.join(key)}); {describe_rows(labels, mask)}")
    present = sorted(set(sub["rater"]))
    if raters is not None:
        raters = list(dict.fromkeys(raters))
        unknown = [r for r in raters if r not in present]
        if unknown:
            _fail(f"raters: {unknown} have no labels at level {level!r}; raters present: {present}")
        if len(raters) < 2:
            _fail(f"raters: agreement needs at least two raters, got {raters}")
    sub["value"] = value[at]
    out = []
    for ds, d in sub.groupby("dataset", sort=False):
        study_codes, _ = pd.factorize(d["study_id"])
        unit_cols = ["study_id", "slice_id"] if level == "slice" else ["study_id"]
        unit_codes, units = pd.factorize(pd.MultiIndex.from_frame(d[unit_cols]))
        unit_study = np.zeros(len(units), dtype=np.int64)
        unit_study[unit_codes] = study_codes
        rs = raters if raters is not None else [r for r in sorted(set(d["rater"])) if r != reference]
        fs = list(dict.fromkeys(f for f in (findings or sorted(set(d["finding"]), key=_finding_order)) if f in set(d["finding"])))
        vals = np.full((len(fs), len(units), len(rs)), np.nan)
        f_idx = pd.Index(fs).get_indexer(d["finding"])
        r_idx = pd.Index(rs).get_indexer(d["rater"])
        ok = (f_idx >= 0) & (r_idx >= 0)
        vals[f_idx[ok], unit_codes[ok], r_idx[ok]] = d["value"].to_numpy()[ok]
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
                    _fail(f"labels.value: finding {f!r} of dataset {ds!r} has values {extra.tolist()} not in categories")
            else:
                cats[f] = np.union1d(seen, [0.0, 1.0]) if np.isin(seen, (0, 1)).all() else seen
        out.append(_Ratings(str(ds), level, fs, list(rs), vals, unit_study, int(study_codes.max()) + 1, cats))
    return out


def _options(ci: str, bootstrap: str, n_resamples: int, confidence_level: float) -> None:
    if ci not in ("analytic", "bootstrap", "both"):
        _fail(f"ci: expected 'analytic', 'bootstrap' or 'both', got {ci!r}")
    if bootstrap not in ("percentile", "basic"):
        _fail(f"bootstrap: expected 'percentile' or 'basic', got {bootstrap!r}")
    if not (isinstance(n_resamples, (int, np.integer)) and n_resamples >= 2):
        _fail(f"n_resamples: expected an integer >= 2, got {n_resamples!r}")
    if not (0 < confidence_level < 1):
        _fail(f"confidence_level: expected a number in (0, 1), got {confidence_level!r}")
