"""The built-in bootstrap statistics: rank-based AUC and average precision, vectorised over resamples.

A statistic takes labels, scores and a (b, n) matrix of resample multiplicities and returns
one value per resample.  The built-ins also expose ``codes(y, score)``: every row gets a code
(tie group x class) and the statistic follows from how often each code was drawn, so the
engine (:mod:`hemstats.stats.resampling.engine`) counts codes straight from resample indices.
The AUC also has an exact O(n log n) leave-one-unit-out jackknife (for BCa).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np

__all__ = [
    "Statistic",
    "auc_statistic",
    "average_precision_statistic",
    "weighted_auc",
    "weighted_average_precision",
    "tie_group_codes",
    "CodedStatistic",
]


class Statistic(Protocol):
    """A statistic vectorised over resamples.

    ``statistic(y, score, weights)`` takes the labels ``y`` (n,), the scores (n,) and the
    multiplicities ``weights`` (b, n) of ``b`` resamples and returns (b,) values, NaN where
    undefined (e.g. one class).  The original sample is ``weights = np.ones((1, n))``.

    A statistic that depends on the sample only through the summed multiplicities of a few
    row *codes* (tie group x class for the AUC, call x class for a sensitivity) may offer
    ``codes(y, score) -> (codes, n_codes, finalize)``; the engine then counts codes straight
    from the resample indices (one ``bincount`` per chunk) and calls ``finalize(totals)``
    with ``totals`` (b, n_codes).  The built-in statistics all do.
    """

    def __call__(self, y: np.ndarray, score: np.ndarray, weights: np.ndarray) -> np.ndarray: ...


# --------------------------------------------------------------------------------------------
# built-in statistics
# --------------------------------------------------------------------------------------------
def _tie_groups(score: np.ndarray, *, descending: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Stable sort order of ``score`` and the start of each run of tied scores."""
    order = np.argsort(-score if descending else score, kind="stable")
    s = score[order]
    starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
    return order, starts


def _group_ids(order: np.ndarray, starts: np.ndarray, n: int) -> np.ndarray:
    """Tie-group id of every row (in original row order)."""
    sorted_gid = np.zeros(n, dtype=np.int64)
    sorted_gid[starts[1:]] = 1
    sorted_gid = np.cumsum(sorted_gid)
    gid = np.empty(n, dtype=np.int64)
    gid[order] = sorted_gid
    return gid


def tie_group_codes(y: np.ndarray, score: np.ndarray, *, descending: bool = False) -> tuple[np.ndarray, int]:
    """Row codes ``2 * tie_group + y`` (groups in ascending, or descending, score order)."""
    order, starts = _tie_groups(score, descending=descending)
    gid = _group_ids(order, starts, len(score))
    return gid * 2 + y.astype(np.int64), 2 * len(starts)


class CodedStatistic:
    """Base of the statistics that follow from code totals (see :class:`Statistic`).

    A subclass sets ``name`` (the result's ``metric``), ``bounds`` (the parameter's range,
    intervals are clipped to it) and implements ``codes(y, score) -> (codes, n_codes,
    finalize)``; ``__call__`` on weights then goes through the same codes the engine counts.
    The diagnostic family builds its operating-point statistics and ROC bands on it.
    """

    name = "statistic"
    #: The parameter's range (intervals are clipped to it), or None when unbounded.
    bounds: tuple[float, float] | None = (0.0, 1.0)

    def codes(self, y: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, int, Callable[[np.ndarray], np.ndarray]]:
        raise NotImplementedError

    def __call__(self, y: np.ndarray, score: np.ndarray, weights: np.ndarray) -> np.ndarray:
        from scipy.sparse import csr_matrix

        codes, n_codes, finalize = self.codes(np.asarray(y), np.asarray(score, dtype=np.float64))
        onehot = csr_matrix((np.ones(len(codes)), (codes, np.arange(len(codes)))), shape=(n_codes, len(codes)))
        totals = np.asarray(onehot @ np.asarray(weights, dtype=np.float64).T).T
        return finalize(totals)


def _auc_from_totals(totals: np.ndarray) -> np.ndarray:
    """AUC from (b, 2G) totals: negatives in even, positives in odd columns, groups ascending."""
    gn, gp = totals[:, 0::2], totals[:, 1::2]
    below = np.cumsum(gn, axis=1) - gn
    num = np.einsum("bg,bg->b", gp, below + 0.5 * gn)
    denom = gp.sum(axis=1) * gn.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denom > 0, num / np.where(denom > 0, denom, 1.0), np.nan)


def _ap_from_totals(totals: np.ndarray) -> np.ndarray:
    """Average precision from (b, 2G) totals with groups in descending score order."""
    gn, gp = totals[:, 0::2], totals[:, 1::2]
    tp = np.cumsum(gp, axis=1)
    fp = np.cumsum(gn, axis=1)
    p = tp[:, -1]
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(tp + fp > 0, tp / np.where(tp + fp > 0, tp + fp, 1.0), 0.0)
        ap = np.einsum("bg,bg->b", gp, precision) / p
    return np.where((p > 0) & (fp[:, -1] > 0), ap, np.nan)


class _AUC(CodedStatistic):
    """Rank-based (Mann-Whitney) AUC with ties counted 1/2, for weighted resamples."""

    name = "auc"

    def codes(self, y, score):
        codes, n_codes = tie_group_codes(y, score)
        return codes, n_codes, _auc_from_totals

    def jackknife(self, y: np.ndarray, score: np.ndarray, unit_of_row: np.ndarray, n_units: int) -> np.ndarray:
        """Leave-one-unit-out AUCs in O(n log n), from placement values (exact)."""
        y = y.astype(bool)
        order, starts = _tie_groups(score)
        gid = _group_ids(order, starts, len(score))
        n_groups = len(starts)
        gp = np.bincount(gid, weights=y, minlength=n_groups)
        gn = np.bincount(gid, weights=~y, minlength=n_groups)
        below_n = np.cumsum(gn) - gn  # negatives strictly below each group
        above_p = gp.sum() - np.cumsum(gp)  # positives strictly above
        # placement: for a positive, negatives below (+1/2 ties); for a negative, positives above (+1/2 ties)
        place = np.where(y, below_n[gid] + 0.5 * gn[gid], above_p[gid] + 0.5 * gp[gid])
        num = float(np.sum(np.where(y, place, 0.0)))
        n_pos_u = np.bincount(unit_of_row, weights=y, minlength=n_units)
        n_neg_u = np.bincount(unit_of_row, weights=~y, minlength=n_units)
        removed = np.bincount(unit_of_row, weights=place, minlength=n_units)
        # pairs inside one unit were subtracted twice: add them back
        within = _within_unit_pairs(y, gid, unit_of_row, n_units)
        p, q = y.sum(), (~y).sum()
        denom = (p - n_pos_u) * (q - n_neg_u)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(denom > 0, (num - removed + within) / np.where(denom > 0, denom, 1), np.nan)


def _within_unit_pairs(y: np.ndarray, gid: np.ndarray, unit: np.ndarray, n_units: int) -> np.ndarray:
    """Per unit: sum over (positive, negative) pairs of that unit of [pos > neg] + 1/2 [tie]."""
    if n_units == len(y):  # one row per unit: no pairs
        return np.zeros(n_units)
    order = np.lexsort((gid, unit))
    u, g, pos = unit[order], gid[order], y[order]
    # negatives of the same unit strictly below, and tied, for every positive
    key_start = np.flatnonzero(np.r_[True, (u[1:] != u[:-1]) | (g[1:] != g[:-1])])
    neg_in_key = np.add.reduceat((~pos).astype(np.float64), key_start)
    is_start = np.zeros(len(u), dtype=bool)
    is_start[key_start] = True
    key_of_row = np.cumsum(is_start) - 1
    key_unit = u[key_start]
    cum = np.cumsum(neg_in_key)
    unit_first_key = np.flatnonzero(np.r_[True, key_unit[1:] != key_unit[:-1]])
    unit_offset = np.repeat(np.r_[0.0, cum][unit_first_key], np.diff(np.r_[unit_first_key, len(key_start)]))
    below = cum - neg_in_key - unit_offset  # negatives of this unit in lower groups
    contrib = np.where(pos, below[key_of_row] + 0.5 * neg_in_key[key_of_row], 0.0)
    return np.bincount(u, weights=contrib, minlength=n_units)


class _AveragePrecision(CodedStatistic):
    """Average precision as scikit-learn defines it (step-wise, ties grouped), weighted."""

    name = "average_precision"

    def codes(self, y, score):
        codes, n_codes = tie_group_codes(y, score, descending=True)
        return codes, n_codes, _ap_from_totals


#: The rank-based AUC (ties 1/2) as a vectorised statistic; exact leave-one-out jackknife.
auc_statistic = _AUC()
#: Average precision (scikit-learn's definition) as a vectorised statistic.
average_precision_statistic = _AveragePrecision()



def weighted_auc(y: np.ndarray, score: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """AUC of ``score`` for labels ``y`` under each row of multiplicities ``weights`` (b, n).

    Examples
    --------
    >>> import numpy as np
    >>> float(weighted_auc(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8]))[0])
    0.75
    """
    y, score = np.asarray(y), np.asarray(score, dtype=np.float64)
    w = np.ones((1, len(y))) if weights is None else np.atleast_2d(weights)
    return auc_statistic(y, score, w)


def weighted_average_precision(y: np.ndarray, score: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Average precision (as :func:`sklearn.metrics.average_precision_score`) per resample row."""
    y, score = np.asarray(y), np.asarray(score, dtype=np.float64)
    w = np.ones((1, len(y))) if weights is None else np.atleast_2d(weights)
    return average_precision_statistic(y, score, w)
