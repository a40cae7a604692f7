"""Which findings occur together: two-by-two co-occurrence counts and UpSet-style combinations.

Both take the canonical ``labels`` table of a :class:`~hemstats.Cohort` (``studies`` for
patient-level counts or grouping columns only it has) and return one long DataFrame with
fixed columns; units are counted as in :func:`~hemstats.stats.prevalence`.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations as _pairs
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from hemstats.findings import SUBTYPES

if TYPE_CHECKING:
    from hemstats.cohort import Cohort
from hemstats.stats.descriptive._prevalence_input import Level, _as_list, cohort_tables, unit_values

__all__ = ["cooccurrence", "combinations"]


# -- co-occurrence ------------------------------------------------------------------------------
def _wide(units: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """(by..., unit) x finding matrix of 0/1 with NaN where a finding is not labelled."""
    return units.pivot_table(
        index=by + ["unit"], columns="finding", values="value", aggfunc="max", observed=True, sort=False
    )


def _groups(wide: pd.DataFrame, by: list[str]):
    """Iterate ``(key tuple, block)`` over the ``by`` index levels of ``wide``."""
    if not by:
        return [((), wide)]
    grouped = wide.groupby(level=by[0] if len(by) == 1 else by, sort=False)
    return [((k,) if len(by) == 1 else k, block) for k, block in grouped]


def _default_findings(units: pd.DataFrame, findings: Sequence[str] | None) -> list[str]:
    present = set(units["finding"])
    if findings is None:
        return [f for f in SUBTYPES if f in present]
    return [f for f in _as_list(findings, "findings") if f in present]


def cooccurrence(
    labels: pd.DataFrame | Cohort,
    *,
    by: str | Sequence[str] | None = "dataset",
    level: Level = "study",
    findings: Sequence[str] | None = None,
    rater: str = "consensus",
    studies: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Two-by-two counts for every pair of findings, per group.

    Only units (studies, patients or slices) labelled for both findings of a pair
    count.

    Parameters
    ----------
    labels : Cohort or pandas.DataFrame
        A Cohort or the canonical ``labels`` table.
    by, level, rater, studies
        As in :func:`prevalence`.
    findings : sequence of str, optional
        Findings to pair, in vocabulary order; default the five subtypes
        (``edh, sdh, sah, iph, ivh``) that have labels.

    Returns
    -------
    pandas.DataFrame
        One row per group x pair labelled together at least once, columns: the
        ``by`` columns, then ``finding_a, finding_b, level, n`` (units labelled for
        both), ``both, only_a, only_b, neither`` (int counts summing to ``n``),
        ``n_a, n_b`` (positives of each among the ``n``), ``jaccard`` (both /
        (both + only_a + only_b), NaN when neither is ever positive).

    Notes
    -----
    Validated against R ``table()`` counts (tests/reference/prevalence.R).

    Examples
    --------
    >>> from hemstats.datasets import demo
    >>> cohort = demo.load(n_studies=200)
    >>> pairs = cooccurrence(cohort.labels)
    >>> len(pairs)  # 5 subtypes -> 10 pairs
    10
    >>> bool((pairs.both + pairs.only_a + pairs.only_b + pairs.neither == pairs.n).all())
    True
    """
    labels, studies = cohort_tables(labels, studies)
    by_ = _as_list(by)
    units, by_ = unit_values(labels, by=by_, level=level, rater=rater, studies=studies, findings=findings)
    use = _default_findings(units, findings)
    wide = _wide(units, by_)
    rows = []
    groups = _groups(wide, by_)
    for key, block in groups:
        key = key if isinstance(key, tuple) else (key,)
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
            jaccard = both / union if union else np.nan
            rows.append((*key, a, b, level, len(pair), both, oa, ob, len(pair) - union, both + oa, both + ob, jaccard))
    cols = by_ + ["finding_a", "finding_b", "level", "n", "both", "only_a", "only_b", "neither", "n_a", "n_b"]
    cols += ["jaccard"]
    out = pd.DataFrame(rows, columns=cols)
    for c in ["n", "both", "only_a", "only_b", "neither", "n_a", "n_b"]:
        out[c] = out[c].astype("int64")
    out["jaccard"] = out["jaccard"].astype(float)
    return out


def combinations(
    labels: pd.DataFrame | Cohort,
    *,
    by: str | Sequence[str] | None = "dataset",
    level: Level = "study",
    findings: Sequence[str] | None = None,
    rater: str = "consensus",
    studies: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """UpSet-style table: how many units have exactly each combination of findings.

    Per group, the findings considered are those of ``findings`` that the group
    labels at all; only units labelled for every one of them count, so each unit
    falls in exactly one combination.

    Parameters
    ----------
    labels : Cohort or pandas.DataFrame
        A Cohort or the canonical ``labels`` table.
    by, level, rater, studies
        As in :func:`prevalence`.
    findings : sequence of str, optional
        Default: the five subtypes that have labels.

    Returns
    -------
    pandas.DataFrame
        One row per group x observed combination, most frequent first; columns:
        the ``by`` columns, then ``level``, ``findings`` (the findings considered,
        joined by ``+``), ``combination`` (the positive ones joined by ``+`` in
        vocabulary order, ``"none"`` for none), ``degree`` (how many), ``count``,
        ``n`` (units in the group), ``proportion`` (count / n).

    Notes
    -----
    Validated against R ``table(interaction(...))`` counts (tests/reference/prevalence.R).

    Examples
    --------
    >>> from hemstats.datasets import demo
    >>> cohort = demo.load(n_studies=200)
    >>> combos = combinations(cohort.labels)
    >>> int(combos["count"].sum()) == int(combos["n"].iloc[0]) == 200
    True
    >>> combos.iloc[0].combination
    'none'
    """
    labels, studies = cohort_tables(labels, studies)
    by_ = _as_list(by)
    units, by_ = unit_values(labels, by=by_, level=level, rater=rater, studies=studies, findings=findings)
    use = _default_findings(units, findings)
    wide = _wide(units, by_)
    frames = []
    groups = _groups(wide, by_)
    for key, block in groups:
        key = key if isinstance(key, tuple) else (key,)
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
        degree = pd.Series(combo).map(lambda c: 0 if c == "none" else c.count("+") + 1).groupby(combo).first()
        frame = pd.DataFrame({"combination": counts.index, "count": counts.to_numpy()})
        frame["degree"] = frame["combination"].map(degree).astype("int64")
        frame = frame.sort_values(["count", "degree", "combination"], ascending=[False, True, True], kind="stable")
        for b, v in zip(by_, key):
            frame[b] = v
        frame["level"] = level
        frame["findings"] = "+".join(here)
        frame["n"] = len(complete)
        frames.append(frame)
    cols = by_ + ["level", "findings", "combination", "degree", "count", "n", "proportion"]
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=float if c == "proportion" else object) for c in cols})
    out = pd.concat(frames, ignore_index=True)
    out["count"] = out["count"].astype("int64")
    out["n"] = out["n"].astype("int64")
    out["proportion"] = out["count"] / out["n"]
    return out[cols]
