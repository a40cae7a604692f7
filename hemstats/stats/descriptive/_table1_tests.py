"""The rows, tests and standardised differences of :mod:`hemstats.stats.descriptive.table1` (Table 1).

:func:`describe_categorical` and :func:`describe_continuous` give the rows of one variable.
tableone's (and R tableone's) choices: :func:`continuous_test` (Welch t, or Student t
as R tableone, one-way ANOVA or Kruskal-Wallis) and :func:`categorical_test` (chi-squared or Fisher's
exact); :func:`cont_smd` (Cohen's d with the averaged variance), :func:`cat_smd`
(Yang & Dalton's multinomial distance) and :func:`summary_smd`, the one SMD shown
per variable.
"""

from __future__ import annotations

import warnings
from itertools import combinations as _pairs
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as _st

from hemstats.stats._core.intervals import proportion_ci


def continuous_test(values: list[np.ndarray], nonnormal: bool, t_test: str = "welch") -> tuple[float, str]:
    """tableone's rule: Welch t for 2 groups, one-way ANOVA for more; Kruskal-Wallis when nonnormal.

    ``t_test="student"``: Student's t (equal variances) for 2 groups, as R tableone
    (``oneway.test(var.equal = TRUE)``, the same p value).
    """
    if len(values) < 2:
        return np.nan, "not tested (one group)"
    smallest = min(len(v) for v in values)
    if smallest == 0:
        return np.nan, "not tested (a group has no values)"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            if nonnormal:
                return float(_st.kruskal(*values).pvalue), "Kruskal-Wallis"
            if len(values) == 2 and smallest >= 2:
                student = t_test == "student"
                p = float(_st.ttest_ind(*values, equal_var=student).pvalue)
                return p, "Student t-test" if student else "Welch t-test"
            return float(_st.f_oneway(*values).pvalue), "One-way ANOVA"
    except ValueError as exc:  # e.g. Kruskal-Wallis when every value is identical
        return np.nan, f"not tested ({exc})"


def categorical_test(table: np.ndarray) -> tuple[float, str]:
    """tableone's rule: chi-squared (Yates for 2 x 2); Fisher's exact for a 2 x 2 with small counts."""
    if table.shape[0] < 2:
        return np.nan, "not tested (one group)"
    if table.sum(axis=1).min() == 0:
        return np.nan, "not tested (a group has no values)"
    table = table[:, table.sum(axis=0) > 0]  # levels seen only where the group is missing
    if table.shape[1] < 2:
        return np.nan, "not tested (one level)"
    _, p, _, expected = _st.chi2_contingency(table)
    if expected.min() < 5 or table.sum(axis=1).min() < 5:
        if table.shape == (2, 2):
            return float(_st.fisher_exact(table).pvalue), "Fisher's exact"
        return float(p), "Chi-squared (expected count < 5)"
    return float(p), "Chi-squared"


def cont_smd(a: np.ndarray, b: np.ndarray) -> float:
    """(mean_b - mean_a) / sqrt((sd_a^2 + sd_b^2) / 2), SD with ddof 1 (tableone, R tableone)."""
    if len(a) < 2 or len(b) < 2:
        return np.nan
    pooled = np.sqrt((a.var(ddof=1) + b.var(ddof=1)) / 2.0)
    diff = b.mean() - a.mean()
    if pooled == 0:
        return 0.0 if diff == 0 else np.nan
    return float(diff / pooled)


def cat_smd(pa: np.ndarray, pb: np.ndarray) -> float:
    """Yang & Dalton (2012) multi-level SMD: Mahalanobis distance of the level proportions.

    The first level is dropped (R tableone, Python tableone); the pooled covariance is
    inverted with the Moore-Penrose inverse (R tableone's ``MASS::ginv``).
    """
    pa, pb = pa[1:], pb[1:]
    if len(pa) == 0 or np.isnan(pa).any() or np.isnan(pb).any():  # one level, or a group without values
        return np.nan

    def cov(p: np.ndarray) -> np.ndarray:
        c = -np.outer(p, p)
        c[np.diag_indices_from(c)] = p * (1 - p)
        return c

    d = pb - pa
    s = (cov(pa) + cov(pb)) / 2.0
    return float(np.sqrt(max(0.0, d @ np.linalg.pinv(s) @ d)))


def summary_smd(pairs: list[tuple[str, str, str, float]]) -> float:
    """|SMD| for two groups; the mean of the absolute pairwise SMDs for more (R tableone's print)."""
    return float(np.mean([abs(d) for *_, d in pairs])) if pairs else np.nan


# -- the rows of one variable ---------------------------------------------------------------------
Masks = list[tuple[str, np.ndarray]]


def describe_categorical(
    name: str, v: np.ndarray, column: pd.Series, masks: Masks, group_names: list[str], confidence_level: float
) -> tuple[list[dict[str, Any]], list[tuple[str, str, str, float]]]:
    """Rows (one per category x group) and pairwise SMDs of one categorical variable."""
    present = {x for x in v if x is not None}
    if isinstance(column.dtype, pd.CategoricalDtype):
        levels: list[str | None] = [str(x) for x in column.cat.categories if str(x) in present]
    else:
        levels = sorted(present)
    counts = np.array([[np.sum(v[m] == lev) for lev in levels] for _, m in masks], dtype=float)
    counts = counts.reshape(len(masks), len(levels))
    nonmiss = counts.sum(axis=1)
    missing = np.array([int(np.sum(m)) for _, m in masks]) - nonmiss
    pairs: list[tuple[str, str, str, float]] = []
    p, test = np.nan, ""
    if group_names:
        p, test = categorical_test(counts[:-1].astype(np.int64))
        props = [
            counts[i] / nonmiss[i] if nonmiss[i] else np.full(len(levels), np.nan) for i in range(len(group_names))
        ]
        pairs = [
            (name, group_names[i], group_names[j], cat_smd(props[i], props[j]))
            for i, j in _pairs(range(len(group_names)), 2)
        ]
    smd = summary_smd(pairs)
    if not levels:  # every value missing: one row per group says so
        levels = [None]
        counts = np.full((len(masks), 1), np.nan)
    rows = []
    for k, (g, _) in enumerate(masks):
        n = int(nonmiss[k])
        if n:
            lo, hi = proportion_ci(counts[k].astype(np.int64), n, confidence_level=confidence_level)
        else:
            lo = hi = np.full(len(levels), np.nan)
        for j, lev in enumerate(levels):
            rows.append(
                dict(
                    variable=name, category=lev, group=g, measure="proportion", n=n, missing=int(missing[k]),
                    count=float(counts[k, j]), estimate=counts[k, j] / n if n else np.nan, ci_low=float(lo[j]),
                    ci_high=float(hi[j]), confidence_level=confidence_level, p_value=p, test=test, smd=smd,
                )
            )
    return rows, pairs


def describe_continuous(
    name: str, v: np.ndarray, masks: Masks, group_names: list[str], nonnormal: bool, t_test: str = "welch"
) -> tuple[list[dict[str, Any]], list[tuple[str, str, str, float]]]:
    """Rows (one per group) and pairwise SMDs of one continuous variable."""
    groups_vals = [v[m & ~np.isnan(v)] for _, m in masks]
    pairs: list[tuple[str, str, str, float]] = []
    p, test = np.nan, ""
    if group_names:
        p, test = continuous_test(groups_vals[:-1], nonnormal, t_test)
        pairs = [
            (name, group_names[i], group_names[j], cont_smd(groups_vals[i], groups_vals[j]))
            for i, j in _pairs(range(len(group_names)), 2)
        ]
    smd = summary_smd(pairs)
    rows = []
    for (g, m), x in zip(masks, groups_vals):
        n = len(x)
        q1, med, q3 = np.percentile(x, [25, 50, 75]) if n else (np.nan,) * 3
        mean = x.mean() if n else np.nan
        rows.append(
            dict(
                variable=name, category=None, group=g, measure="median" if nonnormal else "mean", n=n,
                missing=int(m.sum()) - n, estimate=float(med if nonnormal else mean),
                sd=float(x.std(ddof=1)) if n >= 2 else np.nan, q1=float(q1), q3=float(q3),
                p_value=p, test=test, smd=smd,
            )
        )
    return rows, pairs
