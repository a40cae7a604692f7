"""Confidence intervals for one proportion and for a difference of two, and the tests of a groups x 2 table.

Shared by :mod:`hemstats.stats.descriptive.prevalence`, :mod:`hemstats.stats.descriptive.table1`, the
agreement and the diagnostic statistics.  statsmodels does the interval arithmetic; this module fixes
the interval names (``interval=``), the Jeffreys boundary rule and the input checks.  Their coverage
is measured by :mod:`hemstats.stats.coverage.proportion`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, TypeAlias, get_args

import numpy as np
from scipy import special as _sp
from scipy import stats as _st
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from hemstats.errors import InputError
from hemstats.stats._core.options import check_confidence_level

__all__ = [
    "BinomialInterval",
    "BINOMIAL_INTERVALS",
    "check_interval",
    "check_confidence_level",
    "proportion_ci",
    "newcombe_difference",
    "proportions_test",
    "fisher_exact_rx2",
    "interval",
]

#: Intervals of one binomial proportion (independent units).
BinomialInterval: TypeAlias = Literal["wilson", "clopper-pearson", "jeffreys", "agresti-coull"]
#: The intervals :func:`proportion_ci` knows, in the order tables show them.
BINOMIAL_INTERVALS: tuple[str, ...] = get_args(BinomialInterval)
_STATSMODELS = {"wilson": "wilson", "clopper-pearson": "beta", "jeffreys": "jeffreys", "agresti-coull": "agresti_coull"}


def check_interval(interval: object, name: str = "interval") -> str:
    """``interval`` if it is one of :data:`BINOMIAL_INTERVALS`, else :class:`InputError` naming ``name``."""
    if not isinstance(interval, str) or interval not in _STATSMODELS:
        raise InputError(f"{name} must be one of {list(BINOMIAL_INTERVALS)}, got {interval!r}")
    return interval


def _counts(count: object, nobs: object) -> tuple[np.ndarray, np.ndarray]:
    try:
        x = np.asarray(count, dtype=float)
        n = np.asarray(nobs, dtype=float)
        x, n = np.broadcast_arrays(x, n)
    except (TypeError, ValueError) as exc:
        raise InputError(f"count and nobs must be numbers, got {count!r} and {nobs!r} ({exc})") from None
    bad = ~np.isfinite(x) | ~np.isfinite(n) | (x < 0) | (n < 0) | (x > n) | (x != np.round(x)) | (n != np.round(n))
    if bad.any():
        i = int(np.flatnonzero(bad.ravel())[0])
        raise InputError(
            f"expected whole counts with 0 <= count <= nobs; {int(bad.sum())} bad pair(s), "
            f"first: count={float(x.ravel()[i])!r}, nobs={float(n.ravel()[i])!r}"
        )
    return x, n


def proportion_ci(
    count: int | Sequence[int] | np.ndarray,
    nobs: int | Sequence[int] | np.ndarray,
    *,
    interval: BinomialInterval = "wilson",
    confidence_level: float = 0.95,
) -> tuple[np.ndarray, np.ndarray]:
    """Two-sided confidence interval for a binomial proportion ``count / nobs``.

    Vectorised over ``count`` and ``nobs`` (broadcast together).  Where ``nobs`` is 0
    both limits are NaN.

    Parameters
    ----------
    count, nobs : int or array of int
        Successes and trials, ``0 <= count <= nobs``.
    interval : {"wilson", "clopper-pearson", "jeffreys", "agresti-coull"}
        Wilson score (no continuity correction); Clopper-Pearson exact (beta
        quantiles); Jeffreys equal-tailed Beta(x + 1/2, n - x + 1/2) interval with the
        Brown-Cai-DasGupta boundary rule (lower limit 0 when ``count == 0``, upper
        limit 1 when ``count == nobs``, so the interval always contains the estimate);
        Agresti-Coull, clipped to [0, 1].
    confidence_level : float
        Between 0 and 1.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Lower and upper limits, floats in [0, 1].

    Raises
    ------
    InputError
        For an unknown interval, a level outside (0, 1) or counts that are not whole
        numbers with ``0 <= count <= nobs``.

    Notes
    -----
    Validated against R: ``binom.test(x, n)$conf.int`` (Clopper-Pearson),
    ``prop.test(x, n, correct=FALSE)$conf.int`` (Wilson) and the closed-form
    Jeffreys and Agresti-Coull formulas evaluated in R (tests/reference/prevalence.R).

    References
    ----------
    Brown LD, Cai TT, DasGupta A (2001). Interval estimation for a binomial
    proportion. Statistical Science 16(2):101-133.

    Examples
    --------
    >>> low, high = proportion_ci(13, 491, interval="wilson")
    >>> round(float(low), 4), round(float(high), 4)
    (0.0155, 0.0448)
    """
    check_interval(interval)
    level = check_confidence_level(confidence_level)
    x, n = _counts(count, nobs)
    empty = n == 0
    safe_n = np.where(empty, 1.0, n)
    safe_x = np.where(empty, 0.0, x)
    low, high = proportion_confint(safe_x, safe_n, alpha=1.0 - level, method=_STATSMODELS[interval])
    low = np.clip(np.asarray(low, dtype=float), 0.0, 1.0)
    high = np.clip(np.asarray(high, dtype=float), 0.0, 1.0)
    # Exact at the boundaries for every method (Wilson, Clopper-Pearson and Agresti-Coull
    # reach 0 and 1 there analytically, up to rounding); for Jeffreys this is the
    # Brown-Cai-DasGupta modification.
    low = np.where(safe_x == 0, 0.0, low)
    high = np.where(safe_x == safe_n, 1.0, high)
    low = np.where(empty, np.nan, low)
    high = np.where(empty, np.nan, high)
    return low, high


def newcombe_difference(
    count1: int | Sequence[int] | np.ndarray,
    nobs1: int | Sequence[int] | np.ndarray,
    count2: int | Sequence[int] | np.ndarray,
    nobs2: int | Sequence[int] | np.ndarray,
    *,
    confidence_level: float = 0.95,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Difference ``count1/nobs1 - count2/nobs2`` with Newcombe's hybrid score CI.

    Newcombe's method 10 (1998): the square-and-add combination of the two Wilson
    score intervals, without continuity correction; computed by statsmodels
    ``confint_proportions_2indep(method="newcomb")``.  NaN where a ``nobs`` is 0.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray, numpy.ndarray)
        Difference, lower limit, upper limit (floats in [-1, 1]).

    Notes
    -----
    Validated against the Newcombe formula evaluated in R on ``prop.test(...,
    correct=FALSE)`` Wilson limits (tests/reference/prevalence.R).

    References
    ----------
    Newcombe RG (1998). Interval estimation for the difference between independent
    proportions: comparison of eleven methods. Statistics in Medicine 17:873-890.

    Examples
    --------
    >>> d, low, high = newcombe_difference(56, 70, 48, 80)
    >>> round(float(d), 4), round(float(low), 4), round(float(high), 4)
    (0.2, 0.0524, 0.3339)
    """
    level = check_confidence_level(confidence_level)
    x1, n1 = _counts(count1, nobs1)
    x2, n2 = _counts(count2, nobs2)
    x1, n1, x2, n2 = np.broadcast_arrays(x1, n1, x2, n2)
    shape = x1.shape
    diff = np.full(shape, np.nan)
    low = np.full(shape, np.nan)
    high = np.full(shape, np.nan)
    for idx in np.ndindex(shape):
        if n1[idx] == 0 or n2[idx] == 0:
            continue
        diff[idx] = x1[idx] / n1[idx] - x2[idx] / n2[idx]
        lo, hi = confint_proportions_2indep(
            x1[idx], n1[idx], x2[idx], n2[idx], method="newcomb", compare="diff", alpha=1.0 - level
        )
        low[idx], high[idx] = max(float(lo), -1.0), min(float(hi), 1.0)
    if not shape:
        return diff[()], low[()], high[()]
    return diff, low, high


_FISHER_MAX_TABLES = 20_000_000


def fisher_exact_rx2(table: np.ndarray) -> float:
    """Fisher's exact test of an r x 2 table (R's ``fisher.test``), by full enumeration.

    Conditional on the margins the first column is multivariate hypergeometric; the p
    value sums the probabilities of all tables no more probable than the observed one
    (relative tolerance 1e-7, as R).  scipy's r x c ``fisher_exact`` is a Monte Carlo
    approximation, hence this.  NaN when there are more than ``_FISHER_MAX_TABLES``
    tables.

    Validated against R ``fisher.test`` (tests/reference/prevalence.R).

    Examples
    --------
    >>> round(fisher_exact_rx2(np.array([[1, 2], [3, 4], [5, 0]])), 6)
    0.146853
    """
    x = table[:, 0].astype(np.int64)
    sizes = table.sum(axis=1).astype(np.int64)
    k = int(x.sum())

    def logc(n: np.ndarray | int, j: np.ndarray | int) -> np.ndarray:
        n_, j_ = np.asarray(n, dtype=float), np.asarray(j, dtype=float)
        return _sp.gammaln(n_ + 1.0) - _sp.gammaln(j_ + 1.0) - _sp.gammaln(n_ - j_ + 1.0)

    observed = float(np.sum(logc(sizes, x)))
    used = np.zeros(1, dtype=np.int64)
    logp = np.zeros(1)
    for n_i in sizes[:-1]:
        steps = np.arange(min(int(n_i), k) + 1)
        total = used[:, None] + steps[None, :]
        ok = total <= k
        if ok.sum() > _FISHER_MAX_TABLES:
            return float("nan")
        logp = (logp[:, None] + logc(n_i, steps)[None, :])[ok]
        used = total[ok]
    last = k - used
    ok = last <= sizes[-1]
    logp = logp[ok] + logc(sizes[-1], last[ok])
    log_total = float(logc(sizes.sum(), k))
    prob = np.exp(logp - log_total)
    return float(min(1.0, prob[logp <= observed + np.log1p(1e-7)].sum()))


def proportions_test(table: np.ndarray, *, test: str = "auto") -> tuple[str, float, float, str]:
    """Test equal proportions across the rows of a groups x 2 table (positives, negatives).

    ``auto``: Fisher's exact test when an expected count is below 5 (scipy's for
    2 x 2, :func:`fisher_exact_rx2` for more rows), else Pearson's chi-squared with
    Yates' correction for 2 x 2 (R's ``chisq.test`` default).

    Returns
    -------
    (str, float, float, str)
        Test name (``"fisher"``, ``"chi-squared"``, ``"chi-squared (Yates)"`` or ""),
        statistic (chi-squared, or the sample odds ratio of a 2 x 2 Fisher test; NaN
        otherwise), p value, and the reason when the p value is NaN, or when it
        underflowed to 0 and is reported as the smallest normal float, 2.2e-308
        ("" otherwise).

    Notes
    -----
    Validated against R ``chisq.test(correct = TRUE)`` and ``fisher.test``
    (tests/reference/prevalence.R).

    Examples
    --------
    >>> proportions_test(np.array([[0, 10], [0, 12]]))
    ('', nan, nan, 'no positives in any group: nothing to compare')
    """
    if (table.sum(axis=0) == 0).any():
        which = "positives" if table[:, 0].sum() == 0 else "negatives"
        return "", np.nan, np.nan, f"no {which} in any group: nothing to compare"
    expected = _st.contingency.expected_freq(table)
    if test == "fisher" or (test == "auto" and expected.min() < 5):
        if table.shape == (2, 2):
            res = _st.fisher_exact(table)
            return ("fisher", float(res.statistic), *_no_underflow(float(res.pvalue)))
        p = fisher_exact_rx2(table)
        if np.isnan(p):
            why = f"exact test needs more than {_FISHER_MAX_TABLES:,} tables; use test='chi-squared'"
            return "fisher", np.nan, np.nan, why
        return ("fisher", np.nan, *_no_underflow(p))
    chi2, p, _, _ = _st.chi2_contingency(table, correction=True)
    name = "chi-squared (Yates)" if table.shape == (2, 2) else "chi-squared"
    return (name, float(chi2), *_no_underflow(float(p)))


_TINY = float(np.finfo(float).tiny)


def _no_underflow(p: float) -> tuple[float, str]:
    """A p value of exactly 0 is a floating-point underflow: report the bound it is below."""
    if p == 0.0:
        return _TINY, f"p value below {_TINY:.3g} (floating-point underflow): shown as that bound"
    return p, ""


def interval(count: int, nobs: int, confidence_level: float, family: BinomialInterval) -> tuple[float, float]:
    """:func:`proportion_ci` for one proportion, as two floats (exact 0 and 1 at the boundaries)."""
    low, high = proportion_ci(count, nobs, interval=family, confidence_level=confidence_level)
    return float(low), float(high)
