"""Tests and standardised differences of :mod:`hemstats.stats.descriptive.table1` (Table 1).

tableone's (and R tableone's) choices: :func:`_continuous_test` (Welch t, or Student t
as R tableone, one-way ANOVA or Kruskal-Wallis) and :func:`_categorical_test` (chi-squared or Fisher's
exact); :func:`_cont_smd` (Cohen's d with the averaged variance), :func:`_cat_smd`
(Yang & Dalton's multinomial distance) and :func:`_summary_smd`, the one SMD shown
per variable.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import stats as _st


def _continuous_test(values: list[np.ndarray], nonnormal: bool, t_test: str = "welch") -> tuple[float, str]:
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


def _categorical_test(table: np.ndarray) -> tuple[float, str]:
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


def _cont_smd(a: np.ndarray, b: np.ndarray) -> float:
    """(mean_b - mean_a) / sqrt((sd_a^2 + sd_b^2) / 2), SD with ddof 1 (tableone, R tableone)."""
    if len(a) < 2 or len(b) < 2:
        return np.nan
    pooled = np.sqrt((a.var(ddof=1) + b.var(ddof=1)) / 2.0)
    diff = b.mean() - a.mean()
    if pooled == 0:
        return 0.0 if diff == 0 else np.nan
    return float(diff / pooled)


def _cat_smd(pa: np.ndarray, pb: np.ndarray) -> float:
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


def _summary_smd(pairs: list[tuple[str, str, str, float]]) -> float:
    """|SMD| for two groups; the mean of the absolute pairwise SMDs for more (R tableone's print)."""
    return float(np.mean([abs(d) for *_, d in pairs])) if pairs else np.nan

