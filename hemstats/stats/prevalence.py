"""How common is each finding: prevalence with CIs, co-occurrence, cross-dataset comparison, lesion volumes.

Every function takes a canonical table of a :class:`~hemstats.Cohort` (``labels``,
``lesions``; ``studies`` for patient-level counts) and returns one long DataFrame
with fixed columns.  Interval arithmetic is statsmodels'
(:func:`~hemstats.stats._proportion.proportion_ci`,
:func:`~hemstats.stats._proportion.newcombe_difference`).

Examples
--------
>>> from hemstats.datasets import demo
>>> cohort = demo.load(n_studies=200)
>>> prev = prevalence(cohort.labels)
>>> prev.columns.tolist()
['dataset', 'finding', 'level', 'rater', 'positives', 'n', 'estimate', 'ci_low', 'ci_high', 'method', 'confidence_level']
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations as _pairs
from typing import Literal

import numpy as np
import pandas as pd
from statsmodels.stats.multitest import multipletests

from hemstats._coerce import coerce_column, describe_rows
from hemstats.errors import HemstatsError, Problem, SchemaError
from hemstats.findings import FINDINGS, SUBTYPES
from hemstats.schema import TABLES
from hemstats.stats._proportion import (
    PROPORTION_METHODS,
    ProportionMethod,
    check_confidence_level,
    check_method,
    newcombe_difference,
    proportion_ci,
    proportion_coverage,
    proportions_test,
)

__all__ = [
    "prevalence",
    "cooccurrence",
    "combinations",
    "compare_prevalence",
    "lesion_volumes",
    "proportion_ci",
    "proportion_coverage",
    "newcombe_difference",
    "PROPORTION_METHODS",
]

Level = Literal["patient", "study", "slice"]
_LEVELS = ("patient", "study", "slice")


# -- input checks -------------------------------------------------------------------------------
def _as_list(by: str | Sequence[str] | None, name: str = "by") -> list[str]:
    if by is None:
        return []
    if isinstance(by, str):
        return [by]
    out = list(by)
    if not all(isinstance(b, str) for b in out):
        raise HemstatsError(f"{name} must be a column name or a list of column names, got {by!r}")
    if len(set(out)) != len(out):
        raise HemstatsError(f"{name} names a column twice: {out}")
    return out


def checked_table(df: object, table: str, columns: Sequence[str], *, key: Sequence[str] = ()) -> pd.DataFrame:
    """A copy of ``df[columns]`` in canonical dtypes (ids and categories as text objects).

    Raises :class:`~hemstats.errors.SchemaError` listing every problem: a missing
    column, a value of the wrong kind or range, a duplicated key.  ``df`` itself is
    never modified.
    """
    if not isinstance(df, pd.DataFrame):
        raise SchemaError([Problem(table, f"expected a pandas DataFrame, got {type(df).__name__}")])
    spec = TABLES[table]
    problems: list[Problem] = []
    absent = [c for c in columns if c not in df.columns]
    for c in absent:
        found = ", ".join(map(str, df.columns))
        problems.append(Problem(f"{table}.{c}", f"required column is absent (columns: {found})"))
    if absent:
        raise SchemaError(problems)
    base = df.reset_index(drop=True)
    out = {}
    for c in columns:
        if c in spec.names:
            col = spec.column(c)
            s = coerce_column(base, table, col, problems)
        else:
            s = base[c]
        if isinstance(s.dtype, (pd.CategoricalDtype, pd.StringDtype)):
            s = s.astype(object).where(s.notna(), None)
        out[c] = s
    result = pd.DataFrame(out, index=pd.RangeIndex(len(base)))
    if key and len(result) and not problems:
        dup = result.duplicated(subset=list(key), keep=False).to_numpy()
        if dup.any():
            problems.append(Problem(table, f"key ({', '.join(key)}) is not unique; {describe_rows(result, dup)}"))
    if problems:
        raise SchemaError(problems)
    return result


def _check_level(level: str) -> str:
    if level not in _LEVELS:
        raise HemstatsError(f"level must be one of {list(_LEVELS)}, got {level!r}")
    return level


def unit_values(
    labels: pd.DataFrame,
    *,
    by: Sequence[str],
    level: str,
    rater: str,
    studies: pd.DataFrame | None,
    findings: Sequence[str] | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """One row per (by..., unit, finding) with the 0/1 ``value`` of the unit of analysis.

    The unit is the slice, the study or the patient (positive when any of their
    labelled studies is).  Returns the frame (columns ``*by, unit, finding, value``)
    and the ``by`` columns.
    """
    _check_level(level)
    want = ["dataset", "study_id", "slice_id", "level", "finding", "rater", "value"]
    lab_by = [b for b in by if b in labels.columns and b not in want]
    lab = checked_table(labels, "labels", want + lab_by, key=tuple(want[:-1]))
    raters = sorted(set(lab["rater"].dropna()))
    sel = lab[(lab["rater"] == rater) & (lab["level"] == ("slice" if level == "slice" else "study"))]
    if sel.empty:
        levels = sorted(set(lab.loc[lab["rater"] == rater, "level"].dropna()))
        raise HemstatsError(
            f"labels has no rows with rater {rater!r} at level {'slice' if level == 'slice' else 'study'!r}"
            f" (raters: {raters}; levels of rater {rater!r}: {levels})"
        )
    if findings is not None:
        unknown = [f for f in findings if f not in FINDINGS]
        if unknown:
            raise HemstatsError(f"findings {unknown} are not in the finding vocabulary {list(FINDINGS)}")
        sel = sel[sel["finding"].isin(list(findings))]
    need_studies = level == "patient" or any(b not in labels.columns for b in by)
    if need_studies:
        missing_by = [b for b in by if b not in labels.columns]
        if studies is None:
            if level == "patient":
                why = "level='patient' needs patient_id"
            else:
                why = f"by columns {missing_by} are not in labels"
            raise HemstatsError(f"{why}; pass studies=cohort.studies")
        st_cols = ["dataset", "study_id"] + (["patient_id"] if level == "patient" else [])
        st_cols += [b for b in missing_by if b not in st_cols]
        st = checked_table(studies, "studies", st_cols, key=("dataset", "study_id"))
        merged = sel.merge(st, on=["dataset", "study_id"], how="left", indicator=True, suffixes=("", "_studies"))
        orphan = (merged["_merge"] == "left_only").to_numpy()
        if orphan.any():
            raise SchemaError(
                [
                    Problem(
                        "labels.study_id",
                        f"expected a (dataset, study_id) listed in studies; {describe_rows(merged, orphan, 'study_id')}",
                    )
                ]
            )
        sel = merged.drop(columns="_merge")
    for b in by:
        if sel[b].isna().any():
            rows = sel[b].isna().to_numpy()
            raise HemstatsError(f"grouping column {b!r} is missing for {describe_rows(sel, rows, 'study_id')}")
    if level == "slice":
        sel = sel.assign(unit=sel["study_id"].astype(str) + "/" + sel["slice_id"].astype(str))
    elif level == "study":
        sel = sel.assign(unit=sel["study_id"].astype(str))
    else:
        sel = sel.assign(unit=sel["patient_id"].astype(str))
    keys = list(by) + (["dataset"] if "dataset" not in by else []) + ["unit", "finding"]
    out = sel.groupby(keys, sort=False, dropna=False)["value"].max().reset_index()
    if "dataset" not in by:
        out = out.drop(columns="dataset")
    out["value"] = out["value"].astype("int64")
    return out, list(by)


def _finding_order(values: pd.Series) -> pd.Series:
    return values.map({f: i for i, f in enumerate(FINDINGS)})


def _sorted(df: pd.DataFrame, by: list[str], extra: Sequence[str] = ()) -> pd.DataFrame:
    """Rows in first-appearance order of ``by``, then finding vocabulary order."""
    if df.empty:
        return df.reset_index(drop=True)
    order = pd.DataFrame(index=df.index)
    for b in by:
        order[b] = pd.factorize(df[b])[0]
    order["_f"] = _finding_order(df["finding"]) if "finding" in df else 0
    for i, e in enumerate(extra):
        order[f"_e{i}"] = df[e]
    idx = order.sort_values(list(order.columns), kind="stable").index
    return df.loc[idx].reset_index(drop=True)


# -- prevalence ---------------------------------------------------------------------------------
def prevalence(
    labels: pd.DataFrame,
    *,
    by: str | Sequence[str] | None = "dataset",
    level: Level = "study",
    method: ProportionMethod = "wilson",
    rater: str = "consensus",
    confidence_level: float = 0.95,
    studies: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Prevalence of every finding with a confidence interval, per group.

    Parameters
    ----------
    labels : pandas.DataFrame
        The canonical ``labels`` table (``dataset, study_id, slice_id, level,
        finding, rater, value``).
    by : str, list of str or None
        Grouping columns, looked up in ``labels`` and then in ``studies``
        (for example ``"site"``); None pools everything.
    level : {"study", "patient", "slice"}
        Unit of analysis.  ``study`` and ``slice`` use the label rows of that
        level; ``patient`` uses the study-level rows and counts a patient as
        positive when any of their labelled studies is (needs ``studies`` for
        ``patient_id``).  Study-level rows are never derived from slice rows here.
    method : {"wilson", "clopper-pearson", "jeffreys", "agresti-coull"}
        Interval method, see :func:`~hemstats.stats._proportion.proportion_ci`.
    rater : str
        Which rater's labels (``"consensus"`` or a reader id).
    confidence_level : float
        Level of the intervals.
    studies : pandas.DataFrame, optional
        The canonical ``studies`` table; required for ``level="patient"`` and for
        ``by`` columns that only ``studies`` has.

    Returns
    -------
    pandas.DataFrame
        One row per group x finding (only combinations with labels), columns: the
        ``by`` columns, then ``finding, level, rater, positives`` (int), ``n``
        (labelled units, int), ``estimate`` (positives / n), ``ci_low, ci_high,
        method, confidence_level``.

    Raises
    ------
    SchemaError
        A column is absent, a value is not 0/1, a label key is duplicated, or a
        labelled study is not in ``studies``.
    HemstatsError
        No labels of that rater and level, a bad option, or a missing grouping value.

    Notes
    -----
    Validated against R ``binom.test`` (Clopper-Pearson), ``prop.test(correct=FALSE)``
    (Wilson) and the Jeffreys / Agresti-Coull formulas (tests/reference/prevalence.R).

    Examples
    --------
    >>> from hemstats.datasets import demo
    >>> cohort = demo.load(n_studies=200)
    >>> prev = prevalence(cohort.labels, method="clopper-pearson")
    >>> row = prev.query("finding == 'any'").iloc[0]
    >>> bool(row.ci_low <= row.estimate <= row.ci_high), int(row.n)
    (True, 200)
    >>> by_patient = prevalence(cohort.labels, level="patient", studies=cohort.studies)
    >>> int(by_patient.query("finding == 'any'").n.iloc[0]) == cohort.studies.patient_id.nunique()
    True
    """
    check_method(method)
    level_ = check_confidence_level(confidence_level)
    by_ = _as_list(by)
    units, by_ = unit_values(labels, by=by_, level=level, rater=rater, studies=studies)
    grouped = units.groupby(by_ + ["finding"], sort=False, dropna=False)["value"]
    out = grouped.agg(positives="sum", n="size").reset_index()
    out = _sorted(out, by_)
    out["positives"] = out["positives"].astype("int64")
    out["n"] = out["n"].astype("int64")
    low, high = proportion_ci(out["positives"].to_numpy(), out["n"].to_numpy(), method=method, confidence_level=level_)
    out = out.assign(
        level=level,
        rater=rater,
        estimate=out["positives"] / out["n"],
        ci_low=low,
        ci_high=high,
        method=method,
        confidence_level=level_,
    )
    cols = by_ + ["finding", "level", "rater", "positives", "n", "estimate", "ci_low", "ci_high", "method"]
    cols += ["confidence_level"]
    return out[cols]


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
    return [f for f in findings if f in present]


def cooccurrence(
    labels: pd.DataFrame,
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
    labels : pandas.DataFrame
        The canonical ``labels`` table.
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
    labels: pd.DataFrame,
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
    labels : pandas.DataFrame
        The canonical ``labels`` table.
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


# -- comparison across groups -------------------------------------------------------------------
def compare_prevalence(
    labels: pd.DataFrame,
    *,
    by: str | Sequence[str] = "dataset",
    level: Level = "study",
    test: Literal["auto", "chi-squared", "fisher"] = "auto",
    rater: str = "consensus",
    confidence_level: float = 0.95,
    studies: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Compare each finding's prevalence across groups (datasets, sites...).

    Per finding, one ``overall`` row tests homogeneity across all groups that
    label it, and one ``pairwise`` row per pair of groups gives the difference in
    prevalence with Newcombe's hybrid score CI and a test of the 2 x 2 table.

    Parameters
    ----------
    labels : pandas.DataFrame
        The canonical ``labels`` table.
    by : str or list of str
        Grouping columns (several are crossed; the group label joins their values
        with ``" / "``).
    level, rater, studies
        As in :func:`prevalence`.
    test : {"auto", "chi-squared", "fisher"}
        ``auto``: Fisher's exact test when any expected count is below 5 (any
        table shape: r x 2 tables by exact enumeration, as R's ``fisher.test``),
        else Pearson's chi-squared, with Yates' continuity correction for 2 x 2
        tables (R's ``chisq.test`` default).  See
        :func:`~hemstats.stats._proportion.proportions_test`.
    confidence_level : float
        Level of the difference intervals.

    Returns
    -------
    pandas.DataFrame
        Columns ``finding, level, comparison`` (``overall`` or ``pairwise``),
        ``group_a, group_b`` (None on overall rows), ``positives_a, n_a,
        positives_b, n_b`` (NaN on overall rows), ``estimate`` (prevalence a minus
        b; NaN on overall rows), ``ci_low, ci_high, method`` (``newcombe``),
        ``confidence_level, test, statistic`` (chi-squared, or the odds ratio for a
        2 x 2 Fisher test), ``p_value, p_adjusted`` (Holm, within all overall rows
        and separately within all pairwise rows, across findings), ``reason``
        (why a p value is NaN, else empty).

    Notes
    -----
    Validated against R ``chisq.test``, ``fisher.test``, ``p.adjust(method="holm")``
    and Newcombe's formula on ``prop.test(correct=FALSE)`` limits
    (tests/reference/prevalence.R).

    Examples
    --------
    >>> from hemstats.datasets import demo
    >>> cohort = demo.load(n_studies=200)
    >>> cmp = compare_prevalence(cohort.labels, by="site", studies=cohort.studies)
    >>> cmp.query("finding == 'any' and comparison == 'overall'").test.tolist()
    ['chi-squared']
    >>> int((cmp.comparison == "pairwise").sum() / cmp.finding.nunique())  # 3 sites -> 3 pairs
    3
    """
    if test not in ("auto", "chi-squared", "fisher"):
        raise HemstatsError(f"test must be 'auto', 'chi-squared' or 'fisher', got {test!r}")
    level_ = check_confidence_level(confidence_level)
    by_ = _as_list(by)
    if not by_:
        raise HemstatsError("compare_prevalence needs at least one grouping column in by")
    prev = prevalence(labels, by=by_, level=level, rater=rater, studies=studies)
    prev = prev.assign(group=prev[by_].astype(str).agg(" / ".join, axis=1))
    rows = []
    for finding, block in prev.groupby("finding", sort=False):
        counts = np.column_stack([block["positives"].to_numpy(), (block["n"] - block["positives"]).to_numpy()])
        groups = block["group"].tolist()
        if len(block) < 2:
            name, stat, p, reason = "", np.nan, np.nan, f"only one group ({groups[0]}) labels this finding"
        else:
            name, stat, p, reason = proportions_test(counts, test=test)
        rows.append(
            dict(
                finding=finding, comparison="overall", group_a=None, group_b=None,
                test=name, statistic=stat, p_value=p, reason=reason,
            )  # fmt: skip
        )
        for i, j in _pairs(range(len(block)), 2):
            sub = counts[[i, j]]
            name, stat, p, reason = proportions_test(sub, test=test)
            d, lo, hi = newcombe_difference(sub[0, 0], sub[0].sum(), sub[1, 0], sub[1].sum(), confidence_level=level_)
            rows.append(
                dict(
                    finding=finding,
                    comparison="pairwise",
                    group_a=groups[i],
                    group_b=groups[j],
                    positives_a=float(sub[0, 0]),
                    n_a=float(sub[0].sum()),
                    positives_b=float(sub[1, 0]),
                    n_b=float(sub[1].sum()),
                    estimate=float(d),
                    ci_low=float(lo),
                    ci_high=float(hi),
                    method="newcombe",
                    test=name,
                    statistic=stat,
                    p_value=p,
                    reason=reason,
                )
            )
    cols = [
        "finding", "level", "comparison", "group_a", "group_b", "positives_a", "n_a", "positives_b", "n_b",
        "estimate", "ci_low", "ci_high", "method", "confidence_level", "test", "statistic", "p_value", "p_adjusted", "reason",
    ]  # fmt: skip
    out = pd.DataFrame(rows, columns=cols)
    out["level"] = level
    out["confidence_level"] = level_
    for c in ["positives_a", "n_a", "positives_b", "n_b", "estimate", "ci_low", "ci_high", "statistic", "p_value"]:
        out[c] = out[c].astype(float)
    out["method"] = out["method"].astype(object).where(out["comparison"] == "pairwise", None)
    out["p_adjusted"] = np.nan
    for kind in ("overall", "pairwise"):
        mask = (out["comparison"] == kind) & out["p_value"].notna()
        if mask.any():
            out.loc[mask, "p_adjusted"] = multipletests(out.loc[mask, "p_value"].to_numpy(), method="holm")[1]
    return out


# -- lesion volumes -----------------------------------------------------------------------------
def lesion_volumes(
    lesions: pd.DataFrame,
    *,
    by: str | Sequence[str] | None = "dataset",
    findings: Sequence[str] | None = None,
    include_zero: bool = False,
) -> pd.DataFrame:
    """Summaries of lesion volume (mL) per group and finding.

    Parameters
    ----------
    lesions : pandas.DataFrame
        The canonical ``lesions`` table (``dataset, study_id, finding, volume_ml``).
    by : str, list of str or None
        Grouping columns of ``lesions``.
    findings : sequence of str, optional
        Which findings; default all present.
    include_zero : bool
        Whether volumes of exactly 0 (finding absent on the mask) enter the
        summaries; they are always counted in ``n_zero``.

    Returns
    -------
    pandas.DataFrame
        One row per group x finding, columns: the ``by`` columns, then
        ``finding, n`` (volumes summarised), ``n_zero, n_missing``, ``mean, sd``
        (ddof 1; NaN when n < 2), ``median, q1, q3`` (linear interpolation, R's
        ``quantile(type = 7)``), ``min, max`` (NaN when n is 0).

    Notes
    -----
    Validated against R ``mean``, ``sd``, ``quantile(type = 7)``
    (tests/reference/prevalence.R).

    Examples
    --------
    >>> from hemstats.datasets import demo
    >>> cohort = demo.load(n_studies=200)
    >>> vol = lesion_volumes(cohort.lesions)
    >>> bool((vol.q1 <= vol["median"]).all() and (vol["median"] <= vol.q3).all())
    True
    """
    by_ = _as_list(by)
    les = checked_table(lesions, "lesions", list(dict.fromkeys(["dataset", "study_id", "finding", "volume_ml"] + by_)))
    if findings is not None:
        unknown = [f for f in findings if f not in FINDINGS]
        if unknown:
            raise HemstatsError(f"findings {unknown} are not in the finding vocabulary {list(FINDINGS)}")
        les = les[les["finding"].isin(list(findings))]
    for b in by_:
        if les[b].isna().any():
            rows = describe_rows(les, les[b].isna().to_numpy(), "study_id")
            raise HemstatsError(f"grouping column lesions.{b} is missing for {rows}")
    vol = les["volume_ml"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    les = les.assign(_v=vol)
    rows = []
    for key, block in les.groupby(by_ + ["finding"], sort=False, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        v = block["_v"].to_numpy()
        missing = np.isnan(v)
        zero = v == 0
        use = v[~missing & (include_zero | ~zero)]
        n = len(use)
        q1, med, q3 = np.percentile(use, [25, 50, 75]) if n else (np.nan, np.nan, np.nan)
        rows.append(
            (
                *key,
                n,
                int(zero.sum()),
                int(missing.sum()),
                float(use.mean()) if n else np.nan,
                float(use.std(ddof=1)) if n >= 2 else np.nan,
                float(med),
                float(q1),
                float(q3),
                float(use.min()) if n else np.nan,
                float(use.max()) if n else np.nan,
            )
        )
    cols = by_ + ["finding", "n", "n_zero", "n_missing", "mean", "sd", "median", "q1", "q3", "min", "max"]
    out = pd.DataFrame(rows, columns=cols)
    for c in ["n", "n_zero", "n_missing"]:
        out[c] = out[c].astype("int64")
    return _sorted(out, by_)
