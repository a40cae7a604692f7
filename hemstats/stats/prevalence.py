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

from hemstats.errors import HemstatsError
# checked_table is re-exported: hemstats.stats.cohort imports it from here
from hemstats.stats._prevalence_input import Level, _as_list, _sorted, checked_table, unit_values  # noqa: F401
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
from hemstats.stats.prevalence_cooccurrence import combinations, cooccurrence
from hemstats.stats.prevalence_volumes import lesion_volumes

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
