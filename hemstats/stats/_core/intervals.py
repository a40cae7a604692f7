"""Confidence intervals for one proportion and for a difference of two, and their coverage.

Shared by :mod:`hemstats.stats.descriptive.prevalence`, :mod:`hemstats.stats.descriptive.table1` and the
agreement statistics.  statsmodels does the interval arithmetic; this module fixes
the method names, the Jeffreys boundary rule and the input checks, and measures
coverage.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, get_args

import numpy as np
import pandas as pd
from scipy import special as _sp
from scipy import stats as _st
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from hemstats.errors import HemstatsError

__all__ = [
    "ProportionMethod",
    "PROPORTION_METHODS",
    "proportion_ci",
    "newcombe_difference",
    "proportion_coverage",
    "proportions_test",
    "fisher_exact_rx2",
]

ProportionMethod = Literal["wilson", "clopper-pearson", "jeffreys", "agresti-coull"]
#: The interval methods :func:`proportion_ci` knows, in the order tables show them.
PROPORTION_METHODS: tuple[str, ...] = get_args(ProportionMethod)
_STATSMODELS = {"wilson": "wilson", "clopper-pearson": "beta", "jeffreys": "jeffreys", "agresti-coull": "agresti_coull"}


def check_method(method: str) -> str:
    if method not in _STATSMODELS:
        raise HemstatsError(f"method must be one of {list(PROPORTION_METHODS)}, got {method!r}")
    return method


def check_confidence_level(confidence_level: float) -> float:
    try:
        level = float(confidence_level)
    except (TypeError, ValueError):
        level = float("nan")
    if not 0.0 < level < 1.0:
        raise HemstatsError(f"confidence_level must be a number strictly between 0 and 1, got {confidence_level!r}")
    return level


def _counts(count: object, nobs: object) -> tuple[np.ndarray, np.ndarray]:
    try:
        x = np.asarray(count, dtype=float)
        n = np.asarray(nobs, dtype=float)
        x, n = np.broadcast_arrays(x, n)
    except (TypeError, ValueError) as exc:
        raise HemstatsError(f"count and nobs must be numbers, got {count!r} and {nobs!r} ({exc})") from None
    bad = ~np.isfinite(x) | ~np.isfinite(n) | (x < 0) | (n < 0) | (x > n) | (x != np.round(x)) | (n != np.round(n))
    if bad.any():
        i = int(np.flatnonzero(bad.ravel())[0])
        raise HemstatsError(
            f"expected whole counts with 0 <= count <= nobs; {int(bad.sum())} bad pair(s), "
            f"first: count={float(x.ravel()[i])!r}, nobs={float(n.ravel()[i])!r}"
        )
    return x, n


def proportion_ci(
    count: int | Sequence[int] | np.ndarray,
    nobs: int | Sequence[int] | np.ndarray,
    *,
    method: ProportionMethod = "wilson",
    confidence_level: float = 0.95,
) -> tuple[np.ndarray, np.ndarray]:
    """Two-sided confidence interval for a binomial proportion ``count / nobs``.

    Vectorised over ``count`` and ``nobs`` (broadcast together).  Where ``nobs`` is 0
    both limits are NaN.

    Parameters
    ----------
    count, nobs : int or array of int
        Successes and trials, ``0 <= count <= nobs``.
    method : {"wilson", "clopper-pearson", "jeffreys", "agresti-coull"}
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
    HemstatsError
        For an unknown method, a level outside (0, 1) or counts that are not whole
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
    >>> low, high = proportion_ci(13, 491, method="wilson")
    >>> round(float(low), 4), round(float(high), 4)
    (0.0155, 0.0448)
    """
    check_method(method)
    level = check_confidence_level(confidence_level)
    x, n = _counts(count, nobs)
    empty = n == 0
    safe_n = np.where(empty, 1.0, n)
    safe_x = np.where(empty, 0.0, x)
    low, high = proportion_confint(safe_x, safe_n, alpha=1.0 - level, method=_STATSMODELS[method])
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


def proportion_coverage(
    *,
    methods: Sequence[ProportionMethod] = PROPORTION_METHODS,
    n: Sequence[int] = (30, 100, 500),
    prevalence: Sequence[float] = (0.02, 0.10, 0.40),
    confidence_level: float = 0.95,
    n_simulations: int = 20_000,
    rng: int | np.random.Generator | None = None,
) -> pd.DataFrame:
    """Coverage of each proportion CI: simulated, and exact by summing binomial probabilities.

    For each method, sample size and true prevalence, ``n_simulations`` binomial
    counts are drawn and the share of intervals containing the true prevalence is
    the simulated coverage.  The exact coverage, ``sum_x P(X = x) 1[p in CI(x)]``,
    needs no simulation and checks it.

    Parameters
    ----------
    methods : sequence of str
        Methods of :func:`proportion_ci`.
    n : sequence of int
        Sample sizes.
    prevalence : sequence of float
        True proportions, strictly between 0 and 1.
    confidence_level : float
        Nominal level of every interval.
    n_simulations : int
        Simulated data sets per cell.
    rng : None, int or numpy.random.Generator
        Seed or generator (one stream, cells drawn in table order).

    Returns
    -------
    pandas.DataFrame
        One row per method x n x prevalence with columns ``method, n, prevalence,
        coverage`` (simulated), ``mc_se`` (its Monte Carlo standard error),
        ``exact_coverage``, ``mean_width`` (expected interval width, exact),
        ``n_simulations, confidence_level``.

    Notes
    -----
    Validated against R: ``exact_coverage`` and ``mean_width`` equal
    ``sum(dbinom(0:n, n, p) * covers)`` with the R intervals of :func:`proportion_ci`
    (tests/reference/prevalence.R); the seeded simulation agrees with them within 4
    Monte Carlo standard errors (tests/stats/test_prevalence.py, marked slow).

    Examples
    --------
    >>> table = proportion_coverage(methods=["wilson"], n=[100], prevalence=[0.1], rng=0)
    >>> table[["method", "n", "prevalence", "exact_coverage"]].round(4).to_dict("records")
    [{'method': 'wilson', 'n': 100, 'prevalence': 0.1, 'exact_coverage': 0.9364}]
    """
    level = check_confidence_level(confidence_level)
    for m in methods:
        check_method(m)
    if int(n_simulations) < 1:
        raise HemstatsError(f"n_simulations must be a positive whole number, got {n_simulations!r}")
    generator = np.random.default_rng(rng)
    rows = []
    for method in methods:
        for size in n:
            size = int(size)
            if size < 1:
                raise HemstatsError(f"n must hold positive sample sizes, got {size!r}")
            xs = np.arange(size + 1)
            low, high = proportion_ci(xs, size, method=method, confidence_level=level)
            for p in prevalence:
                p = float(p)
                if not 0.0 < p < 1.0:
                    raise HemstatsError(f"prevalence must hold numbers strictly between 0 and 1, got {p!r}")
                covers = (low <= p) & (p <= high)
                pmf = _st.binom.pmf(xs, size, p)
                exact = float(np.sum(pmf * covers))
                draws = generator.binomial(size, p, size=int(n_simulations))
                simulated = float(np.mean(covers[draws]))
                rows.append(
                    (
                        method,
                        size,
                        p,
                        simulated,
                        float(np.sqrt(exact * (1.0 - exact) / int(n_simulations))),
                        exact,
                        float(np.sum(pmf * (high - low))),
                        int(n_simulations),
                        level,
                    )
                )
    return pd.DataFrame(
        rows,
        columns=[
            "method",
            "n",
            "prevalence",
            "coverage",
            "mc_se",
            "exact_coverage",
            "mean_width",
            "n_simulations",
            "confidence_level",
        ],
    )


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


def interval(count: int, nobs: int, confidence_level: float, method: ProportionMethod) -> tuple[float, float]:
    """:func:`proportion_ci` for one proportion, as two floats (exact 0 and 1 at the boundaries)."""
    low, high = proportion_ci(count, nobs, method=method, confidence_level=confidence_level)
    return float(low), float(high)
