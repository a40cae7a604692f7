"""Which findings occur together: two-by-two co-occurrence counts and UpSet-style combinations.

Both take a :class:`~hemstats.Cohort` or its canonical ``labels`` table (``studies=`` for
patient-level counts or grouping columns only it has) and return one long table built from
the result vocabulary; units are counted as in :func:`~hemstats.stats.prevalence`.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import combinations as _pairs
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from hemstats.findings import SUBTYPES
from hemstats.stats._core.columns import result_columns, result_frame, subgroup_name, subgroup_value
from hemstats.stats._core.resolve import resolve
from hemstats.stats._core.types import By, Findings, Unit
from hemstats.stats.descriptive._prevalence_input import check_findings, grouping, unit_values

if TYPE_CHECKING:
    from hemstats.cohort import Cohort

__all__ = [
    "cooccurrence",
    "combinations",
    "COOCCURRENCE_COLUMNS",
    "COOCCURRENCE_EXTRA",
    "COOCCURRENCE_AFTER",
    "COMBINATIONS_COLUMNS",
    "COMBINATIONS_EXTRA",
]

#: The fixed columns of :func:`cooccurrence` besides the result vocabulary.
COOCCURRENCE_EXTRA: tuple[str, ...] = ("unit", "rater", "finding_a", "finding_b")
COOCCURRENCE_AFTER: tuple[str, ...] = ("n_positive_a", "n_positive_b", "both", "only_a", "only_b", "neither")
#: The fixed columns of :func:`combinations` besides the result vocabulary.
COMBINATIONS_EXTRA: tuple[str, ...] = ("unit", "rater", "findings", "combination", "degree")
#: The columns of :func:`cooccurrence` and :func:`combinations`, in order.
COOCCURRENCE_COLUMNS: tuple[str, ...] = tuple(result_columns(COOCCURRENCE_EXTRA, COOCCURRENCE_AFTER))
COMBINATIONS_COLUMNS: tuple[str, ...] = tuple(result_columns(COMBINATIONS_EXTRA))


def _wide(units: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """(keys..., unit) x finding matrix of 0/1 with NaN where a finding is not labelled."""
    return units.pivot_table(
        index=keys + ["unit"], columns="finding", values="value", aggfunc="max", observed=True, sort=False
    )


def _groups(wide: pd.DataFrame, keys: list[str]) -> Iterator[tuple[tuple[Any, ...], pd.DataFrame]]:
    """``(key tuple, block)`` over the ``keys`` index levels of ``wide`` (dataset first)."""
    grouped = wide.groupby(level=keys[0] if len(keys) == 1 else keys, sort=False)
    for k, block in grouped:
        yield (k if isinstance(k, tuple) else (k,)), block


def _default_findings(units: pd.DataFrame, findings: list[str] | None) -> list[str]:
    present = set(units["finding"])
    if findings is None:
        return [f for f in SUBTYPES if f in present]
    return [f for f in findings if f in present]


def _units(data: Cohort | pd.DataFrame, *, by: By, unit: Unit, findings: Findings, rater: str,
           studies: pd.DataFrame | None, where: str) -> tuple[pd.DataFrame, list[str], list[str], list[str] | None]:
    """The units' 0/1 values, the ``by`` columns, the keys (``dataset`` + by) and the findings asked."""
    tables = resolve(data, "labels", where=where, studies=studies)
    by_ = grouping(by, where)
    asked = check_findings(findings, where)
    units, keys = unit_values(tables.main, by=["dataset", *by_], unit=unit, rater=rater, studies=tables.studies,
                              where=where, findings=asked)  # fmt: skip
    return units, by_, keys, asked


def _group_columns(key: tuple[Any, ...], by: list[str]) -> dict[str, Any]:
    return {
        "dataset": key[0],
        "subgroup": subgroup_name(by),
        "subgroup_value": subgroup_value(tuple(key[1:])) if by else None,
    }


def cooccurrence(
    data: Cohort | pd.DataFrame,
    *,
    by: By = None,
    unit: Unit = "study",
    findings: Findings = None,
    rater: str = "consensus",
    studies: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Two-by-two counts and the Jaccard index for every pair of findings, per dataset (and subgroup).

    Only units (studies, patients or slices) labelled for both findings of a pair count.

    Parameters
    ----------
    data : Cohort or pandas.DataFrame
        A Cohort or the canonical ``labels`` table.
    by, unit, rater, studies
        As in :func:`~hemstats.stats.prevalence`.
    findings : str, list of str or None
        Findings to pair, in vocabulary order; default the five subtypes
        (``edh, sdh, sah, iph, ivh``) that have labels.

    Returns
    -------
    pandas.DataFrame
        One row per dataset x subgroup x pair labelled together at least once: the columns
        of :func:`~hemstats.stats._core.columns.result_columns` with
        ``extra=("unit", "rater", "finding_a", "finding_b")`` and ``after=("n_positive_a",
        "n_positive_b", "both", "only_a", "only_b", "neither")``.  ``finding`` is missing
        (a row is about two findings, ``finding_a`` and ``finding_b``); ``metric`` is
        ``jaccard`` with ``estimate`` = both / (both + only_a + only_b) (NaN when neither
        is ever positive) and no interval; ``n`` counts the units labelled for both;
        ``n_positive_a``, ``n_positive_b`` the positives of each among them; ``both, only_a,
        only_b, neither`` (sum ``n``) the two-by-two table.

    Notes
    -----
    Validated against R ``table()`` counts (tests/reference/prevalence.R).

    Examples
    --------
    >>> from hemstats.datasets import demo
    >>> cohort = demo.load(n_studies=200)
    >>> pairs = cooccurrence(cohort)
    >>> len(pairs)  # 5 subtypes -> 10 pairs
    10
    >>> bool((pairs.both + pairs.only_a + pairs.only_b + pairs.neither == pairs.n).all())
    True
    """
    units, by_, keys, asked = _units(data, by=by, unit=unit, findings=findings, rater=rater, studies=studies,
                                     where="cooccurrence")  # fmt: skip
    use = _default_findings(units, asked)
    rows = []
    for key, block in _groups(_wide(units, keys), keys):
        for a, b in _pairs(use, 2):
            if a not in block or b not in block:
                continue
            pair = block[[a, b]].dropna()
            if pair.empty:
                continue
            xa = pair[a].to_numpy() == 1
            xb = pair[b].to_numpy() == 1
            both, oa, ob = int(np.sum(xa & xb)), int(np.sum(xa & ~xb)), int(np.sum(~xa & xb))
            union = both + oa + ob
            rows.append({
                **_group_columns(key, by_), "finding_a": a, "finding_b": b, "metric": "jaccard",
                "estimate": both / union if union else np.nan, "n": len(pair), "n_positive_a": both + oa,
                "n_positive_b": both + ob, "both": both, "only_a": oa, "only_b": ob, "neither": len(pair) - union,
            })  # fmt: skip
    out = result_frame(rows, extra=COOCCURRENCE_EXTRA, after=COOCCURRENCE_AFTER)
    out["level"] = "slice" if unit == "slice" else "study"
    out["unit"] = unit
    out["rater"] = rater
    for c in COOCCURRENCE_AFTER:
        out[c] = out[c].astype("Int64")
    return out.astype({"level": object, "unit": object, "rater": object})


def combinations(
    data: Cohort | pd.DataFrame,
    *,
    by: By = None,
    unit: Unit = "study",
    findings: Findings = None,
    rater: str = "consensus",
    studies: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """UpSet-style table: how many units have exactly each combination of findings.

    Per dataset (and subgroup), the findings considered are those of ``findings`` that
    the group labels at all; only units labelled for every one of them count, so each unit
    falls in exactly one combination.

    Parameters
    ----------
    data : Cohort or pandas.DataFrame
        A Cohort or the canonical ``labels`` table.
    by, unit, rater, studies
        As in :func:`~hemstats.stats.prevalence`.
    findings : str, list of str or None
        Default: the five subtypes that have labels.

    Returns
    -------
    pandas.DataFrame
        One row per dataset x subgroup x observed combination, most frequent first: the
        columns of :func:`~hemstats.stats._core.columns.result_columns` with
        ``extra=("unit", "rater", "findings", "combination", "degree")``.  ``finding`` is
        missing; ``findings`` are the findings considered, joined by ``+``;
        ``combination`` the positive ones joined by ``+`` in vocabulary order (``"none"``
        for none); ``degree`` how many; ``metric`` is ``proportion`` with ``estimate`` =
        ``n_positive / n``, ``n_positive`` the units with exactly this combination and
        ``n`` the units of the group; no interval.

    Notes
    -----
    Validated against R ``table(interaction(...))`` counts (tests/reference/prevalence.R).

    Examples
    --------
    >>> from hemstats.datasets import demo
    >>> cohort = demo.load(n_studies=200)
    >>> combos = combinations(cohort)
    >>> int(combos["n_positive"].sum()) == int(combos["n"].iloc[0]) == 200
    True
    >>> combos.iloc[0].combination
    'none'
    """
    units, by_, keys, asked = _units(data, by=by, unit=unit, findings=findings, rater=rater, studies=studies,
                                     where="combinations")  # fmt: skip
    use = _default_findings(units, asked)
    frames = []
    for key, block in _groups(_wide(units, keys), keys):
        here = [f for f in use if f in block and block[f].notna().any()]
        if not here:
            continue
        complete = block[here].dropna()
        if complete.empty:
            continue
        positive = complete.to_numpy() == 1
        names = np.array(here, dtype=object)
        combo = ["+".join(names[row]) or "none" for row in positive]
        counts = pd.Series(combo).value_counts(sort=False)
        frame = pd.DataFrame({"combination": counts.index, "n_positive": counts.to_numpy()})
        frame["degree"] = [0 if c == "none" else c.count("+") + 1 for c in frame["combination"]]
        frame = frame.sort_values(["n_positive", "degree", "combination"], ascending=[False, True, True], kind="stable")
        frame = frame.assign(**_group_columns(key, by_), findings="+".join(here), n=len(complete), metric="proportion")
        frames.append(frame)
    rows = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["n", "n_positive"])
    out = result_frame(rows, extra=COMBINATIONS_EXTRA)
    out["estimate"] = out["n_positive"].astype(float) / out["n"].astype(float)
    out["degree"] = out["degree"].astype("Int64")
    out["level"] = "slice" if unit == "slice" else "study"
    out["unit"] = unit
    out["rater"] = rater
    return out.astype({"level": object, "unit": object, "rater": object})
