"""A vectorised bootstrap engine for statistics of ``(y, score)``: stratified, clustered, paired.

Every resample is a vector of *multiplicities*: how many times each unit (a row, or a
whole patient with all its rows) was drawn.  Resample indices are drawn as an
``(n_resamples x n_units)`` integer matrix, chunk by chunk so memory stays bounded, and
handed to a statistic vectorised over the resample axis.  The built-in statistics (AUC,
average precision, operating-point metrics, ROC bands) depend on a resample only through
how often each *code* (tie group x class) was drawn: the scores are sorted once, each
chunk's codes are counted with one ``bincount`` (or, for patients, one sparse product),
and the AUC of every resample follows from cumulative sums over the tie groups.  There is
no Python loop over resamples.

* **Stratified** (default, as pROC does): cases and controls are resampled separately, so
  every resample keeps the original numbers of each class and never holds one class only.
  With clusters, patients are stratified by *patient class*: a patient is a case when any
  of its rows is positive.  A resample can then still miss a class (if some patients hold
  both); such resamples, and every one-class resample of an unstratified bootstrap, are
  counted in ``n_failed_resamples`` and left out of the interval, never dropped silently.
* **Clustered** (``cluster=``): whole patients are drawn, each with all its slices.
* **Paired**: several score columns (models) are evaluated on the same resamples.

The interval methods follow :func:`scipy.stats.bootstrap` exactly (``percentile``,
``basic``, ``bca`` with jackknife acceleration): unstratified and unclustered, with the
same integer seed, the engine draws the very indices scipy draws and returns its interval.

Options are checked once, by :func:`check_bootstrap_options` (``n_resamples`` an integer in
``[2, MAX_RESAMPLES]``, ``confidence_level`` in (0, 1), ``bootstrap_method`` one of
:data:`METHODS`, ``rng`` a seed or generator); every public statistic of the performance
modules calls it.  Memory is bounded whatever ``n_resamples``: resamples are drawn and
evaluated ``chunk`` at a time (about 1 million cells; peak near 75 MiB), so only the ``(models x n_resamples)``
replicates are kept; above :data:`LARGE_RESAMPLES` a warning gives the expected time.

A clustered bootstrap with one cluster has no interval (NaN and a ``reason``); with fewer
than :data:`MIN_CLUSTERS` clusters the interval is given with a ``reason`` warning.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.special import ndtr, ndtri

from hemstats.errors import InputError, OneClassError
from hemstats.stats._core.options import (
    CHUNK_CELLS,
    LARGE_RESAMPLES,
    MAX_RESAMPLES,
    METHODS,
    MIN_CLUSTERS,
    check_confidence_level,
    check_bootstrap_method,
    check_rng,
    check_scores,
    check_y,
    warn_if_slow,
    check_bootstrap_options,
    check_cluster_count,
    check_n_resamples,
    method_code,
)
from hemstats.stats.resampling.statistics import (
    Statistic,
    auc_statistic,
    average_precision_statistic,
    weighted_auc,
    weighted_average_precision,
)

__all__ = [
    "InputError",
    "OneClassError",
    "BootstrapDistribution",
    "bootstrap_ci",
    "bootstrap_distribution",
    "resample_indices",
    "interval_from_distribution",
    "auc_statistic",
    "average_precision_statistic",
    "weighted_auc",
    "weighted_average_precision",
    "CI_COLUMNS",
    "METHODS",
    "MAX_RESAMPLES",
    "LARGE_RESAMPLES",
    "MIN_CLUSTERS",
    "check_bootstrap_options",
    "check_n_resamples",
    "check_cluster_count",
    "method_code",
    "Design",
    "make_design",
    "chunk_rows",
    "replicates",
    "check_y",
    "check_scores",
    "check_confidence_level",
    "check_bootstrap_method",
    "check_rng",
    "warn_if_slow",
]

Method = Literal["percentile", "basic", "bca"]

#: The columns of every frame :func:`bootstrap_ci` returns, in order.
CI_COLUMNS: tuple[str, ...] = (
    "model",
    "estimate",
    "ci_low",
    "ci_high",
    "n",
    "n_clusters",
    "method",
    "confidence_level",
    "n_resamples",
    "n_failed_resamples",
    "reason",
)

_BUILTIN: dict[str, Any] = {"auc": auc_statistic, "average_precision": average_precision_statistic}


# --------------------------------------------------------------------------------------------
# resampling design
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Design:
    n_rows: int
    unit_of_row: np.ndarray  # (n,) unit index of each row
    n_units: int
    strata: tuple[np.ndarray, ...]  # unit indices of each stratum
    clustered: bool


def make_design(y: np.ndarray, cluster: Any, stratify: bool) -> Design:
    n = len(y)
    if cluster is None:
        unit_of_row = np.arange(n)
        n_units = n
        unit_class = y.astype(bool)
    else:
        codes, uniques = pd.factorize(pd.Series(np.asarray(cluster, dtype=object)), sort=False)
        if (codes < 0).any():
            raise InputError(f"cluster: {int((codes < 0).sum())} rows have no cluster id (missing)")
        unit_of_row = codes.astype(np.int64)
        n_units = len(uniques)
        unit_class = np.bincount(unit_of_row, weights=y, minlength=n_units) > 0
    if stratify:
        strata = tuple(s for s in (np.flatnonzero(~unit_class), np.flatnonzero(unit_class)) if len(s))
    else:
        strata = (np.arange(n_units),)
    return Design(n, unit_of_row, n_units, strata, cluster is not None)


def chunk_rows(chunk_size: int | None, n_rows: int, n_resamples: int) -> int:
    if chunk_size is None:
        chunk_size = max(1, CHUNK_CELLS // max(n_rows, 1))
    if int(chunk_size) < 1:
        raise InputError(f"chunk_size must be a positive integer, got {chunk_size!r}")
    return int(min(chunk_size, max(n_resamples, 1)))


def _local_chunks(design: Design, n_resamples: int, rng: np.random.Generator, chunk: int) -> Iterator[list[np.ndarray]]:
    """Per chunk, one (b, n_s) array of positions within each stratum.

    Unstratified, positions come from ``rng.integers(0, n_units, (b, n_units))`` exactly as
    :func:`scipy.stats.bootstrap` draws them.  Stratified, each stratum draws from its own
    child generator (``rng.spawn``), so the resamples do not depend on the chunk size.
    """
    single = len(design.strata) == 1 and len(design.strata[0]) == design.n_units
    children = None if single else rng.spawn(len(design.strata))
    done = 0
    while done < n_resamples:
        b = min(chunk, n_resamples - done)
        if single:
            yield [rng.integers(0, design.n_units, (b, design.n_units))]
        else:
            yield [child.integers(0, len(units), (b, len(units))) for units, child in zip(design.strata, children)]
        done += b


def _index_chunks(design: Design, n_resamples: int, rng: np.random.Generator, chunk: int) -> Iterator[np.ndarray]:
    """(b, n_units) resample indices (units drawn), chunk by chunk; strata side by side."""
    for local in _local_chunks(design, n_resamples, rng, chunk):
        yield np.concatenate([units[pos] for units, pos in zip(design.strata, local)], axis=1)


def resample_indices(
    y: Sequence[int] | np.ndarray,
    *,
    cluster: Sequence[Any] | np.ndarray | None = None,
    stratify: bool = True,
    n_resamples: int = 2000,
    rng: int | np.random.Generator | None = None,
    chunk_size: int | None = None,
) -> Iterator[np.ndarray]:
    """The resample indices :func:`bootstrap_ci` draws, chunk by chunk.

    Each chunk is a ``(b, n_units)`` integer matrix: row ``r`` lists the units drawn in
    resample ``r``.  Units are rows, or with ``cluster`` the cluster ids in order of first appearance.
    Stratified, the controls' (then the cases') draws come first in each row.  Given the
    same arguments and seed, :func:`bootstrap_ci` uses exactly these resamples.

    Examples
    --------
    >>> import numpy as np
    >>> [c.shape for c in resample_indices([0, 1, 0, 1, 1], n_resamples=5, rng=0, chunk_size=2)]
    [(2, 5), (2, 5), (1, 5)]
    """
    y_arr = check_y(y, "y")
    design = make_design(y_arr, cluster, stratify)
    n_resamples = check_n_resamples(n_resamples)
    gen = np.random.default_rng(check_rng(rng))
    yield from _index_chunks(design, n_resamples, gen, chunk_rows(chunk_size, design.n_rows, n_resamples))


def _counts(idx: np.ndarray, n_units: int) -> np.ndarray:
    b = idx.shape[0]
    flat = (idx + (np.arange(b, dtype=np.int64) * n_units)[:, None]).ravel()
    return np.bincount(flat, minlength=b * n_units).reshape(b, n_units).astype(np.float64)


# --------------------------------------------------------------------------------------------
# input checks
# --------------------------------------------------------------------------------------------
# --------------------------------------------------------------------------------------------
# the distribution and its intervals
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class BootstrapDistribution:
    """Bootstrap replicates of a statistic for one or more paired score columns.

    Attributes
    ----------
    models : tuple of str
        Names of the score columns.
    estimate : ndarray (k,)
        The statistic on the original sample.
    distribution : ndarray (k, n_resamples)
        Replicates; NaN where a resample left the statistic undefined.
    jackknife : ndarray (k, n_units) or None
        Leave-one-unit-out values (for BCa), computed only when asked for.
    n, n_clusters : int
        Rows and resampling units.
    """

    models: tuple[str, ...]
    estimate: np.ndarray
    distribution: np.ndarray
    jackknife: np.ndarray | None
    n: int
    n_clusters: int
    info: dict[str, Any] = field(default_factory=dict)

    def difference(self, first: str, second: str) -> BootstrapDistribution:
        """The paired distribution of ``first - second`` (same resamples, same jackknife)."""
        i, j = self.models.index(first), self.models.index(second)
        jack = None if self.jackknife is None else self.jackknife[[i]] - self.jackknife[[j]]
        info = dict(self.info)
        if info.get("bounds") is not None:
            lo, hi = info["bounds"]
            info["bounds"] = (lo - hi, hi - lo)
        return BootstrapDistribution(
            (f"{first} - {second}",),
            self.estimate[[i]] - self.estimate[[j]],
            self.distribution[[i]] - self.distribution[[j]],
            jack,
            self.n,
            self.n_clusters,
            info,
        )

    def ci(
        self, *, method: Method = "percentile", confidence_level: float = 0.95,
        bounds: tuple[float, float] | None = None,
    ) -> pd.DataFrame:
        """The interval of every model as a frame with :data:`CI_COLUMNS`.

        ``bounds`` (default: the statistic's range, e.g. [0, 1] for the AUC, when it has
        one) clips the interval to the parameter's range: a ``basic`` interval
        ``2 * estimate - quantile`` can leave it (an AUC basic interval 0.94 to 1.02); the
        ``reason`` then says it was clipped.  With clusters, one cluster gives NaN and a
        reason, fewer than :data:`MIN_CLUSTERS` a warning in ``reason``.
        """
        check_bootstrap_method(method, "method")
        check_confidence_level(confidence_level)
        bounds = self.info.get("bounds") if bounds is None else bounds
        cluster_note = check_cluster_count(self.n_clusters, bool(self.info.get("clustered")))
        if method == "bca" and self.jackknife is None:
            raise InputError("method='bca' needs the jackknife: build the distribution with method='bca'")
        rows = []
        for k, model in enumerate(self.models):
            dist = self.distribution[k]
            ok = np.isfinite(dist)
            failed = int((~ok).sum())
            low, high = interval_from_distribution(
                self.estimate[k],
                dist[ok],
                method=method,
                confidence_level=confidence_level,
                jackknife=None if self.jackknife is None else self.jackknife[k],
            )
            notes = []
            if failed:
                notes.append(
                    f"{failed} of {len(dist)} resamples held one class (statistic undefined); "
                    "the interval uses the others"
                )
            if not ok.any():
                notes = ["every resample held one class; no interval"]
            if bounds is not None and np.isfinite(low) and (low < bounds[0] or high > bounds[1]):
                low, high = max(low, bounds[0]), min(high, bounds[1])
                notes.append(f"{method} interval clipped to the parameter range [{bounds[0]:g}, {bounds[1]:g}]")
            if cluster_note is not None:
                notes.append(cluster_note)
                if self.n_clusters <= 1:
                    low = high = np.nan
            reason = "; ".join(notes) if notes else pd.NA
            rows.append(
                (model, float(self.estimate[k]), low, high, self.n, self.n_clusters, method,
                 float(confidence_level), len(dist), failed, reason)
            )
        out = pd.DataFrame(rows, columns=list(CI_COLUMNS))
        out["reason"] = out["reason"].astype("string")
        return out


def interval_from_distribution(
    estimate: float,
    distribution: np.ndarray,
    *,
    method: Method = "percentile",
    confidence_level: float = 0.95,
    jackknife: np.ndarray | None = None,
) -> tuple[float, float]:
    """Percentile, basic or BCa interval from bootstrap replicates, as scipy.stats.bootstrap.

    Quantiles use linear interpolation (``numpy.quantile`` default, R type 7); BCa uses
    the bias correction ``z0 = ndtri(mean of [theta* < theta] and [theta* <= theta])`` and the
    jackknife acceleration of Efron & Tibshirani (1993) eq. 14.15, exactly as scipy does.

    Examples
    --------
    >>> import numpy as np
    >>> interval_from_distribution(50.0, np.arange(101), confidence_level=0.5)
    (25.0, 75.0)
    >>> interval_from_distribution(70.0, np.arange(101), method="basic", confidence_level=0.5)
    (65.0, 115.0)
    """
    dist = np.asarray(distribution, dtype=np.float64)
    if dist.size == 0:
        return (np.nan, np.nan)
    alpha = (1 - confidence_level) / 2
    if method == "bca":
        if jackknife is None:
            raise InputError("method='bca' needs jackknife values")
        jack = np.asarray(jackknife, dtype=np.float64)
        jack = jack[np.isfinite(jack)]
        pct = (np.count_nonzero(dist < estimate) + np.count_nonzero(dist <= estimate)) / (2 * dist.size)
        z0 = ndtri(pct)
        n_j = float(jack.size)
        u = (n_j - 1) * (jack.mean() - jack)
        den = np.sum(u**2) / n_j**2
        with np.errstate(invalid="ignore", divide="ignore"):
            a_hat = (np.sum(u**3) / n_j**3) / 6 / den**1.5 if den > 0 else 0.0
        z_a = float(ndtri(alpha))
        n1, n2 = z0 + z_a, z0 - z_a
        levels = (ndtr(z0 + n1 / (1 - a_hat * n1)), ndtr(z0 + n2 / (1 - a_hat * n2)))
        if not np.all(np.isfinite(levels)):
            return (np.nan, np.nan)
    else:
        levels = (alpha, 1 - alpha)
    low, high = np.quantile(dist, levels)
    if method == "basic":
        low, high = 2 * estimate - high, 2 * estimate - low
    return (float(low), float(high))


def _prepared(statistic: Any, y: np.ndarray, score: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    return lambda w: np.asarray(statistic(y, score, w), dtype=np.float64)


def _bincount_rows(codes: np.ndarray, n_codes: int) -> np.ndarray:
    """Per row of ``codes`` (b, m), a fresh int64 array it overwrites: how often each code
    0..n_codes-1 occurs, (b, n_codes) float."""
    b = codes.shape[0]
    codes += (np.arange(b, dtype=np.int64) * n_codes)[:, None]
    return np.bincount(codes.ravel(), minlength=b * n_codes).reshape(b, n_codes).astype(np.float64)


def _evaluator(stat: Any, y: np.ndarray, score: np.ndarray, design: Design) -> tuple[Callable, bool]:
    """``f(idx, counts) -> replicates`` for one score column, and whether it needs ``counts``."""
    if hasattr(stat, "codes"):
        codes, n_codes, finalize = stat.codes(y, score)
        if not design.clustered:
            return (lambda idx, counts: finalize(_bincount_rows(codes[idx], n_codes))), False  # codes[idx] is a copy
        from scipy.sparse import csr_matrix

        # code totals of a resample = unit multiplicities @ (units x codes) incidence
        incidence = csr_matrix(
            (np.ones(len(codes)), (codes, design.unit_of_row)), shape=(n_codes, design.n_units)
        )
        return (lambda idx, counts: finalize(np.asarray(incidence @ counts.T).T)), True
    f = _prepared(stat, y, score)
    if not design.clustered:
        return (lambda idx, counts: f(counts)), True
    return (lambda idx, counts: f(counts[:, design.unit_of_row])), True


def replicates(
    stat: Any, y: np.ndarray, scores: np.ndarray, design: Design, n_resamples: int,
    gen: np.random.Generator, chunk: int,
) -> list[np.ndarray]:
    """Bootstrap replicates of ``stat`` for every score column, on shared resamples."""
    parts: list[list[np.ndarray]] = [[] for _ in range(scores.shape[1])]
    if hasattr(stat, "codes") and not design.clustered:
        # fast path: codes gathered straight from each stratum's positions (no unit indices)
        coded = [stat.codes(y, scores[:, k]) for k in range(scores.shape[1])]
        by_stratum = [[c[units] for units in design.strata] for c, _, _ in coded]
        for local in _local_chunks(design, n_resamples, gen, chunk):
            for k, (_, n_codes, finalize) in enumerate(coded):
                # code totals per stratum (each a fresh contiguous gather), summed over strata
                totals = sum(_bincount_rows(np.take(cs, pos), n_codes) for cs, pos in zip(by_stratum[k], local))
                parts[k].append(np.asarray(finalize(totals), dtype=np.float64))
        return [np.concatenate(p, axis=0) for p in parts]
    evaluators = [_evaluator(stat, y, scores[:, k], design) for k in range(scores.shape[1])]
    need_counts = any(flag for _, flag in evaluators)
    for idx in _index_chunks(design, n_resamples, gen, chunk):
        counts = _counts(idx, design.n_units) if need_counts else None
        for k, (f, _) in enumerate(evaluators):
            parts[k].append(np.asarray(f(idx, counts), dtype=np.float64))
    return [np.concatenate(p, axis=0) for p in parts]


def _resolve_statistic(statistic: Any) -> Any:
    if isinstance(statistic, str):
        if statistic not in _BUILTIN:
            raise InputError(f"statistic must be one of {tuple(_BUILTIN)} or a callable, got {statistic!r}")
        return _BUILTIN[statistic]
    if not callable(statistic):
        raise InputError(f"statistic must be a name or a callable, got {type(statistic).__name__}")
    return statistic


def _jackknife(statistic: Any, y: np.ndarray, score: np.ndarray, design: Design, chunk: int) -> np.ndarray:
    if hasattr(statistic, "jackknife"):
        return statistic.jackknife(y, score, design.unit_of_row, design.n_units)
    evaluate = _prepared(statistic, y, score)
    out = []
    step = max(1, CHUNK_CELLS // max(design.n_rows, 1))
    for start in range(0, design.n_units, step):
        units = np.arange(start, min(start + step, design.n_units))
        weights = (design.unit_of_row[None, :] != units[:, None]).astype(np.float64)
        out.append(evaluate(weights))
    return np.concatenate(out)


def bootstrap_distribution(
    statistic: str | Statistic,
    y: Sequence[int] | np.ndarray,
    score: Any,
    *,
    model: Sequence[str] | None = None,
    cluster: Sequence[Any] | np.ndarray | None = None,
    stratify: bool = True,
    n_resamples: int = 2000,
    rng: int | np.random.Generator | None = None,
    chunk_size: int | None = None,
    jackknife: bool = False,
) -> BootstrapDistribution:
    """Bootstrap replicates of ``statistic`` (see :func:`bootstrap_ci` for the arguments).

    ``jackknife=True`` also computes the leave-one-unit-out values BCa needs.
    """
    stat = _resolve_statistic(statistic)
    y_arr = check_y(y, "y")
    scores, names = check_scores(score, len(y_arr), "score")
    if model is not None:
        names = [model] if isinstance(model, str) else [str(m) for m in model]
    if not names:
        names = ["score"] if scores.shape[1] == 1 else [f"score_{i}" for i in range(scores.shape[1])]
    if len(names) != scores.shape[1]:
        raise InputError(f"model: {len(names)} names given for {scores.shape[1]} score columns")
    if len(y_arr) < 2:
        raise InputError(f"y: at least 2 rows are needed, got {len(y_arr)}")
    n_resamples = check_n_resamples(n_resamples)
    if cluster is not None and len(np.asarray(cluster, dtype=object).ravel()) != len(y_arr):
        raise InputError(
            f"cluster: expected {len(y_arr)} ids (one per label), got {len(np.asarray(cluster, dtype=object).ravel())}"
        )
    design = make_design(y_arr, cluster, stratify)
    gen = np.random.default_rng(check_rng(rng))
    chunk = chunk_rows(chunk_size, design.n_rows, n_resamples)
    warn_if_slow(n_resamples, design.n_rows, scores.shape[1])
    ones = np.ones((1, design.n_rows))
    estimate = np.array([float(np.asarray(stat(y_arr, scores[:, k], ones)).ravel()[0]) for k in range(scores.shape[1])])
    dist = np.vstack(replicates(stat, y_arr, scores, design, n_resamples, gen, chunk))
    jack = None
    if jackknife:
        jack = np.vstack([_jackknife(stat, y_arr, scores[:, k], design, chunk) for k in range(scores.shape[1])])
    return BootstrapDistribution(
        tuple(names), estimate, dist, jack, design.n_rows, design.n_units,
        {"stratify": stratify, "clustered": design.clustered, "bounds": getattr(stat, "bounds", None)},
    )


def bootstrap_ci(
    statistic: str | Statistic,
    y: Sequence[int] | np.ndarray,
    score: Any,
    *,
    model: Sequence[str] | str | None = None,
    cluster: Sequence[Any] | np.ndarray | None = None,
    stratify: bool = True,
    method: Method = "percentile",
    n_resamples: int = 2000,
    confidence_level: float = 0.95,
    rng: int | np.random.Generator | None = None,
    chunk_size: int | None = None,
    return_distribution: bool = False,
) -> pd.DataFrame:
    """Bootstrap confidence interval of a statistic of ``(y, score)``, for paired models.

    Parameters
    ----------
    statistic : {"auc", "average_precision"} or callable
        A name, or a vectorised ``statistic(y, score, weights) -> (b,)`` where ``weights``
        (b, n) are resample multiplicities (see :class:`Statistic`).
    y : array of 0/1, shape (n,)
        Labels.
    score : array (n,) or (n, k), DataFrame (columns = models) or mapping name -> array
        Scores; several columns are *paired*: every model is evaluated on the same resamples.
        NaN or infinite scores raise :class:`InputError`.
    model : str or sequence of str, optional
        Names of the score columns (default: the DataFrame's columns, or ``"score"``).
    cluster : array (n,), optional
        Cluster (patient) id of each row: whole clusters are resampled with all their rows.
    stratify : bool, default True
        Resample cases and controls separately (pROC's default); with ``cluster``, patients
        are stratified by patient class (a case when any of its rows is positive).
    method : {"percentile", "basic", "bca"}
        Interval method, as :func:`scipy.stats.bootstrap`.
    n_resamples : int, default 2000
    confidence_level : float, default 0.95
    rng : None, int or numpy.random.Generator
        Seed or generator, as scipy (``numpy.random.default_rng(rng)``).
    chunk_size : int, optional
        Resamples evaluated at once (default: about 1 million weights per chunk).
    return_distribution : bool, default False
        Also store the :class:`BootstrapDistribution` in ``result.attrs["distribution"]``
        (the return type does not change).

    Returns
    -------
    pandas.DataFrame
        One row per model with columns ``model, estimate, ci_low, ci_high, n, n_clusters,
        method, confidence_level, n_resamples, n_failed_resamples, reason``.  ``n`` counts rows,
        ``n_clusters`` resampling units; ``n_failed_resamples`` counts resamples where the
        statistic was undefined (one class; impossible when stratified without clusters),
        left out of the interval and explained in ``reason`` (missing otherwise).

    Raises
    ------
    OneClassError
        When ``y`` holds one class and the statistic needs both.
    InputError
        NaN/inf scores, labels not 0/1, mismatched lengths, bad options.

    Notes
    -----
    Validated against: a loop over :func:`sklearn.metrics.roc_auc_score` on the same indices
    (percentile, to 1e-12); :func:`scipy.stats.bootstrap` (unstratified, same seed: identical
    percentile, basic and BCa intervals); ``pROC::ci.auc(method="bootstrap")`` within Monte Carlo error.

    Examples
    --------
    >>> from hemstats.datasets import demo
    >>> from hemstats.stats.diagnostic._data import paired_scores
    >>> cohort = demo.load(n_studies=200)
    >>> y, scores = paired_scores(cohort.predictions, cohort.labels, finding="any")
    >>> res = bootstrap_ci("auc", y, scores, n_resamples=500, rng=0)
    >>> res[["model", "n", "n_failed_resamples"]].to_string(index=False)
    '  model   n  n_failed_resamples\\nmodel_a 200                   0\\nmodel_b 200                   0'
    >>> bool((res.ci_low < res.estimate).all() and (res.estimate < res.ci_high).all())
    True
    """
    check_bootstrap_method(method, "method")
    check_n_resamples(n_resamples)
    check_confidence_level(confidence_level)
    check_rng(rng)
    stat = _resolve_statistic(statistic)
    y_arr = check_y(y, "y")
    if len(np.unique(y_arr)) < 2 and getattr(stat, "name", None) in ("auc", "average_precision"):
        raise OneClassError(
            f"y: all {len(y_arr)} labels are {int(y_arr[0]) if len(y_arr) else 'absent'}; "
            f"{stat.name} needs cases and controls"
        )
    dist = bootstrap_distribution(
        stat, y_arr, score, model=model, cluster=cluster, stratify=stratify, n_resamples=n_resamples,
        rng=rng, chunk_size=chunk_size, jackknife=(method == "bca"),
    )
    out = dist.ci(method=method, confidence_level=confidence_level)
    if return_distribution:
        out.attrs["distribution"] = dist
    return out


# Old private names, kept while other modules switch to the public ones (removed at the end of the session).
_Design = Design
_design = make_design
_chunk = chunk_rows
_replicates = replicates
_check_y = check_y
_check_scores = check_scores
_check_confidence_level = check_confidence_level
_warn_if_slow = warn_if_slow
