"""Intraclass correlations of continuous ratings (e.g. lesion volumes read by several readers).

:func:`icc` takes the long table of continuous ratings (one row per target x rater: a lesions
table with a ``rater`` column, or any such table) or a Cohort (its lesions table), and returns
one long result (:func:`~hemstats.stats._core.columns.result_frame`) per dataset, finding and
``by=`` group.  ``rater=`` names the rater *column* here; ``raters`` in a result is the rater
set (``"A|B"``), as in the agreement statistics.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from hemstats._coerce import describe_rows
from hemstats.cohort import Cohort
from hemstats.stats._core.columns import result_columns, result_frame, subgroup_name, subgroup_value
from hemstats.stats._core.options import check_confidence_level
from hemstats.stats._core.types import CONFIDENCE_LEVEL
from hemstats.stats.reliability._input import _fail, _names

__all__ = ["ICC_COLUMNS", "icc"]

#: Columns of :func:`icc` (its own column ``raters`` before the estimate).
ICC_COLUMNS: tuple[str, ...] = tuple(result_columns(("raters",)))


def _icc_table(x: np.ndarray, confidence_level: float) -> list[tuple[str, float, float, float]]:
    """Shrout & Fleiss / McGraw & Wong ICCs with F-based intervals from an ``n x k`` matrix."""
    from scipy.stats import f as fdist

    n, k = x.shape
    grand = x.mean()
    ssr = k * ((x.mean(axis=1) - grand) ** 2).sum()
    ssc = n * ((x.mean(axis=0) - grand) ** 2).sum()
    sse = ((x - grand) ** 2).sum() - ssr - ssc
    msb, msj = ssr / (n - 1), ssc / (k - 1)
    mse = sse / ((n - 1) * (k - 1))
    msw = (ssc + sse) / (n * (k - 1))
    a = (1 - confidence_level) / 2
    df1, df1kd, df2kd = n - 1, n * (k - 1), (n - 1) * (k - 1)
    icc1 = (msb - msw) / (msb + (k - 1) * msw)
    icc2 = (msb - mse) / (msb + (k - 1) * mse + k * (msj - mse) / n)
    icc3 = (msb - mse) / (msb + (k - 1) * mse)
    f1, f3 = msb / msw, msb / mse
    f1l, f1u = f1 / fdist.ppf(1 - a, df1, df1kd), f1 * fdist.ppf(1 - a, df1kd, df1)
    f3l, f3u = f3 / fdist.ppf(1 - a, df1, df2kd), f3 * fdist.ppf(1 - a, df2kd, df1)
    fj = msj / mse
    vn = df2kd * (k * icc2 * fj + n * (1 + (k - 1) * icc2) - k * icc2) ** 2
    vd = df1 * k**2 * icc2**2 * fj**2 + (n * (1 + (k - 1) * icc2) - k * icc2) ** 2
    v = vn / vd
    f2u, f2l = fdist.ppf(1 - a, n - 1, v), fdist.ppf(1 - a, v, n - 1)
    l2 = n * (msb - f2u * mse) / (f2u * (k * msj + (k * n - k - n) * mse) + n * msb)
    u2 = n * (f2l * msb - mse) / (k * msj + (k * n - k - n) * mse + n * f2l * msb)
    return [
        ("ICC(1,1)", icc1, (f1l - 1) / (f1l + k - 1), (f1u - 1) / (f1u + k - 1)),
        ("ICC(A,1)", icc2, l2, u2),
        ("ICC(C,1)", icc3, (f3l - 1) / (f3l + k - 1), (f3u - 1) / (f3u + k - 1)),
        ("ICC(1,k)", (msb - msw) / msb, 1 - 1 / f1l, 1 - 1 / f1u),
        ("ICC(A,k)", (msb - mse) / (msb + (msj - mse) / n), l2 * k / (1 + l2 * (k - 1)), u2 * k / (1 + u2 * (k - 1))),
        ("ICC(C,k)", (msb - mse) / msb, 1 - 1 / f3l, 1 - 1 / f3u),
    ]




def _icc_input(ratings: Any, rater: str) -> pd.DataFrame:
    """The ratings table of :func:`icc`: a DataFrame, or a Cohort's lesions table (with a rater column)."""
    if isinstance(ratings, Cohort):
        lesions = ratings.tables().get("lesions")
        if lesions is None:
            _fail("icc: the Cohort has no lesions table; pass a table of ratings (one row per target x rater)")
        if rater not in lesions.columns:
            _fail(f"icc: the Cohort's lesions table has no {rater!r} column (rater=); pass a table of ratings "
                  "(one row per target x rater)")
        return lesions
    if not isinstance(ratings, pd.DataFrame):
        _fail(f"ratings: expected a Cohort or a pandas DataFrame, got {type(ratings).__name__}")
    return ratings


def icc(
    ratings: Cohort | pd.DataFrame,
    *,
    target: str = "study_id",
    rater: str = "rater",
    rating: str = "volume_ml",
    by: str | Sequence[str] | None = None,
    confidence_level: float = CONFIDENCE_LEVEL,
) -> pd.DataFrame:
    """Intraclass correlations of continuous ratings (e.g. lesion volumes), per dataset, finding and group.

    The six ICCs of ``pingouin.intraclass_corr`` (Shrout & Fleiss 1979; McGraw & Wong
    1996), computed from the two-way ANOVA mean squares with the same formulas, with
    F-based intervals at any ``confidence_level`` (pingouin rounds its 95% bounds to two
    decimals, so the bounds are computed here).  Targets not rated by every rater are
    left out (listwise, as pingouin's ``nan_policy="omit"``).

    Parameters
    ----------
    ratings : Cohort or pandas.DataFrame
        The long table of continuous ratings: one row per target x rater (e.g. a lesions
        table with a ``rater`` column: one volume per study, finding and reader), or a
        Cohort, whose lesions table is used (it needs the ``rater`` column).
    target, rater, rating : str
        Column names of the rated units (default ``study_id``), of the rater (default
        ``rater``; the column, while ``raters`` elsewhere is a list of rater names) and of
        the numeric rating (default ``volume_ml``).
    by : str or sequence of str, optional
        Grouping columns, reported in ``subgroup`` / ``subgroup_value``; ``dataset`` and
        ``finding``, when ``ratings`` has them, always split the table (they are keys).
    confidence_level : float
        Confidence level of the intervals.

    Returns
    -------
    pandas.DataFrame
        Columns of :data:`ICC_COLUMNS`; ``metric`` is ``ICC(1,1), ICC(A,1), ICC(C,1), ICC(1,k),
        ICC(A,k), ICC(C,k)``, ``raters`` the rater set (``"A|B"``), ``n`` (and ``n_clusters``)
        the targets rated by every rater, ``method = "f-test"``.  ``level`` is missing, as are
        ``dataset`` and ``finding`` when ``ratings`` has no such column.  Two ratings of one
        target by one rater are an error naming the rows (never averaged).

    Notes
    -----
    Validated against ``psych::ICC(x, lmer = FALSE)`` (ICC1 ... ICC3k, bounds) and the
    estimates against ``pingouin.intraclass_corr``.

    Examples
    --------
    >>> import pandas as pd
    >>> fr = pd.DataFrame({"lesion": [1, 1, 2, 2, 3, 3, 4, 4], "reader": list("ABABABAB"),
    ...                    "volume_ml": [1.0, 1.2, 5.0, 4.6, 9.0, 9.5, 2.0, 2.5]})
    >>> res = icc(fr, target="lesion", rater="reader")
    >>> res.metric.iloc[0], round(float(res.estimate.iloc[0]), 3)
    ('ICC(1,1)', 0.993)
    """
    confidence_level = check_confidence_level(confidence_level)
    frame = _icc_input(ratings, rater)
    for name, col in (("target", target), ("rater", rater), ("rating", rating)):
        if not isinstance(col, str) or col not in frame.columns:
            _fail(f"{name}: column {col!r} absent from ratings; columns are {list(frame.columns)}")
    value = pd.to_numeric(frame[rating], errors="coerce")
    bad = (frame[rating].notna().to_numpy() & value.isna().to_numpy()) | np.isinf(value.to_numpy(float, na_value=0))
    if bad.any():
        _fail(f"ratings.{rating}: expected finite numbers; {describe_rows(frame, bad, rating)}")
    if frame[rater].nunique() < 2:
        _fail(f"ratings.{rater}: ICC needs at least two raters, got {frame[rater].nunique()}")
    keys = [c for c in ("dataset", "finding") if c in frame.columns]
    extra_by = [c for c in (_names(by, "by") or []) if c not in keys]
    absent = [c for c in extra_by if c not in frame.columns]
    if absent:
        _fail(f"by: column(s) {absent} absent from ratings; columns are {list(frame.columns)}")
    groups_by = keys + extra_by
    dup = frame.duplicated(groups_by + [target, rater], keep=False).to_numpy()
    if dup.any():
        _fail(f"ratings: more than one rating per ({', '.join(groups_by + [target, rater])}); "
              f"{describe_rows(frame, dup)}")
    rows = []
    data = frame.assign(**{rating: value})
    groups = data.groupby(groups_by, sort=False, observed=True) if groups_by else [((), data)]
    for key, g in groups:
        key = key if isinstance(key, tuple) else (key,)
        info = dict(zip(groups_by, key))
        wide = g.pivot_table(index=target, columns=rater, values=rating, observed=True).dropna()
        n = len(wide)
        base = dict(dataset=info.get("dataset"), level=None, finding=info.get("finding"),
                    subgroup=subgroup_name(extra_by),
                    subgroup_value=subgroup_value(tuple(info[c] for c in extra_by)) if extra_by else None,
                    raters="|".join(map(str, wide.columns)), n=n, n_clusters=n, confidence_level=confidence_level)
        if n < 3 or wide.shape[1] < 2:
            rows.append({**base, "metric": "ICC", "estimate": np.nan, "ci_low": np.nan, "ci_high": np.nan,
                         "method": "none", "reason": "needs at least three targets rated by at least two raters"})
            continue
        for name, est, lo, hi in _icc_table(wide.to_numpy(float), confidence_level):
            rows.append({**base, "metric": name, "estimate": float(est), "ci_low": float(lo), "ci_high": float(hi),
                         "method": "f-test", "reason": None})
    return result_frame(rows, extra=("raters",))
