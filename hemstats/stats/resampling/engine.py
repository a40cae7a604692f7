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
``[MIN_RESAMPLES, MAX_RESAMPLES]``, ``confidence_level`` in (0, 1), ``bootstrap_method`` one of
:data:`METHODS`, ``rng`` a seed or generator); every public statistic that resamples calls it.

:func:`bootstrap_ci` is the public face (``y`` first, as scikit-learn: ``bootstrap_ci(y, score,
statistic="auc")``) and returns a long result table; :func:`bootstrap_distribution` keeps the
replicates (a :class:`BootstrapDistribution`) for paired differences and for the families that
build their own results from :meth:`BootstrapDistribution.ci`
(:mod:`hemstats.stats.resampling.distribution`).

Memory is bounded whatever ``n_resamples``: resamples are drawn and evaluated ``chunk`` at a
time (about 1 million cells; peak near 75 MiB), so only the ``(models x n_resamples)``
replicates are kept; above :data:`LARGE_RESAMPLES` a warning gives the expected time.

A clustered bootstrap with one cluster has no interval (NaN and a ``reason``); with fewer
than :data:`MIN_CLUSTERS` clusters the interval is given with a ``reason`` warning.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from hemstats.errors import InputError, OneClassError
from hemstats.stats._core.columns import result_columns, result_frame
from hemstats.stats._core.options import (
    CHUNK_CELLS,
    LARGE_RESAMPLES,
    MAX_RESAMPLES,
    METHODS,
    MIN_CLUSTERS,
    MIN_RESAMPLES,
    check_bootstrap_method,
    check_bootstrap_options,
    check_cluster_count,
    check_confidence_level,
    check_n_resamples,
    check_rng,
    check_scores,
    check_y,
    method_code,
    warn_if_slow,
)
from hemstats.stats._core.types import CONFIDENCE_LEVEL, N_RESAMPLES, BootstrapMethod, Seed
from hemstats.stats.resampling.distribution import (
    CI_COLUMNS,
    BootstrapDistribution,
    interval_from_distribution,
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
    "RESULT_COLUMNS",
    "METHODS",
    "MIN_RESAMPLES",
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

#: The columns of :func:`bootstrap_ci`: the result vocabulary with ``model`` as its own column.
RESULT_COLUMNS: tuple[str, ...] = tuple(result_columns(extra=("model",)))

_BUILTIN: dict[str, Any] = {"auc": auc_statistic, "average_precision": average_precision_statistic}


# --------------------------------------------------------------------------------------------
# resampling design
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Design:
    """How rows are resampled: the unit (row or cluster) of each row and the strata of units.

    Built by :func:`make_design`; ``strata`` lists the unit indices of each stratum (controls
    first, then cases, when stratified; one stratum of every unit otherwise).
    """

    n_rows: int
    unit_of_row: np.ndarray  # (n,) unit index of each row
    n_units: int
    strata: tuple[np.ndarray, ...]  # unit indices of each stratum
    clustered: bool


def make_design(y: np.ndarray, cluster: Any, stratify: bool) -> Design:
    """The resampling :class:`Design` of labels ``y`` with optional ``cluster`` ids.

    Units are rows, or clusters in order of first appearance; stratified, a unit is a case
    when any of its rows is positive (an empty stratum is dropped).

    Examples
    --------
    >>> import numpy as np
    >>> d = make_design(np.array([0, 1, 1, 0]), ["p1", "p1", "p2", "p3"], True)
    >>> d.n_units, [s.tolist() for s in d.strata]
    (3, [[2], [0, 1]])
    """
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
    """Resamples evaluated at once: ``chunk_size``, or about :data:`CHUNK_CELLS` cells of ``n_rows``.

    Examples
    --------
    >>> chunk_rows(None, 2**10, 5000)
    1024
    """
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
    children = [] if single else rng.spawn(len(design.strata))
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
    single = len(design.strata) == 1 and len(design.strata[0]) == design.n_units  # positions are the units
    for local in _local_chunks(design, n_resamples, rng, chunk):
        yield local[0] if single else np.concatenate([units[pos] for units, pos in zip(design.strata, local)], axis=1)


def resample_indices(
    y: Sequence[int] | np.ndarray,
    *,
    cluster: Sequence[Any] | np.ndarray | None = None,
    stratify: bool = True,
    n_resamples: int = N_RESAMPLES,
    rng: Seed = None,
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


def _statistic_name(stat: Any) -> str:
    name = getattr(stat, "name", None) or getattr(stat, "__name__", None)
    return str(name) if name else "statistic"


def bootstrap_distribution(
    y: Sequence[int] | np.ndarray,
    score: Any,
    *,
    statistic: str | Statistic = "auc",
    model: Sequence[str] | str | None = None,
    cluster: Sequence[Any] | np.ndarray | None = None,
    stratify: bool = True,
    n_resamples: int = N_RESAMPLES,
    rng: Seed = None,
    chunk_size: int | None = None,
    jackknife: bool = False,
) -> BootstrapDistribution:
    """Bootstrap replicates of ``statistic`` of ``(y, score)``, kept for paired differences and intervals.

    The arguments are those of :func:`bootstrap_ci`; ``jackknife=True`` also computes the
    leave-one-unit-out values BCa needs.  :meth:`BootstrapDistribution.ci` gives the
    intervals, :meth:`BootstrapDistribution.difference` the paired difference of two models.

    Examples
    --------
    >>> import numpy as np
    >>> dist = bootstrap_distribution([0, 0, 1, 1, 0, 1], [0.1, 0.4, 0.35, 0.8, 0.2, 0.7],
    ...                               n_resamples=200, rng=0)
    >>> dist.distribution.shape
    (1, 200)
    >>> dist.ci(confidence_level=0.9)[["model", "metric", "method"]].to_dict("records")
    [{'model': 'score', 'metric': 'auc', 'method': 'stratified-bootstrap-percentile'}]
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
    if not isinstance(stratify, (bool, np.bool_)):
        raise InputError(f"stratify must be True or False, got {stratify!r}")
    if cluster is not None and len(np.asarray(cluster, dtype=object).ravel()) != len(y_arr):
        raise InputError(
            f"cluster: expected {len(y_arr)} ids (one per label), got {len(np.asarray(cluster, dtype=object).ravel())}"
        )
    design = make_design(y_arr, cluster, bool(stratify))
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
        {"metric": _statistic_name(stat), "n_positive": int(y_arr.sum()),
         "stratify": bool(stratify), "stratified": len(design.strata) > 1, "clustered": design.clustered,
         "bounds": getattr(stat, "bounds", None)},
    )


def bootstrap_ci(
    y: Sequence[int] | np.ndarray,
    score: Any,
    *,
    statistic: str | Statistic = "auc",
    model: Sequence[str] | str | None = None,
    cluster: Sequence[Any] | np.ndarray | None = None,
    stratify: bool = True,
    bootstrap_method: BootstrapMethod = "percentile",
    n_resamples: int = N_RESAMPLES,
    confidence_level: float = CONFIDENCE_LEVEL,
    rng: Seed = None,
    chunk_size: int | None = None,
) -> pd.DataFrame:
    """Bootstrap confidence interval of a statistic of ``(y, score)``, for paired models.

    Parameters
    ----------
    y : array of 0/1, shape (n,)
        Labels (first, as scikit-learn's ``y_true``).
    score : array (n,) or (n, k), DataFrame (columns = models) or mapping name -> array
        Scores; several columns are *paired*: every model is evaluated on the same resamples.
        NaN or infinite scores raise :class:`InputError`.
    statistic : {"auc", "average_precision"} or callable, default "auc"
        A name, or a vectorised ``statistic(y, score, weights) -> (b,)`` where ``weights``
        (b, n) are resample multiplicities (see :class:`Statistic`); its ``name`` attribute
        (or ``__name__``) is the result's ``metric``.
    model : str or sequence of str, optional
        Names of the score columns (default: the DataFrame's columns, or ``"score"``).
    cluster : array (n,), optional
        Cluster (patient) id of each row: whole clusters are resampled with all their rows.
    stratify : bool, default True
        Resample cases and controls separately (pROC's default); with ``cluster``, patients
        are stratified by patient class (a case when any of its rows is positive).
    bootstrap_method : {"percentile", "basic", "bca"}, default "percentile"
        How the interval is read off the replicates, as :func:`scipy.stats.bootstrap`.
    n_resamples : int, default 2000
        An integer in ``[MIN_RESAMPLES, MAX_RESAMPLES]``.
    confidence_level : float, default 0.95
    rng : None, int or numpy.random.Generator
        Seed or generator, as scipy (``numpy.random.default_rng(rng)``).
    chunk_size : int, optional
        Resamples evaluated at once (default: about 1 million weights per chunk); the
        result does not depend on it.

    Returns
    -------
    pandas.DataFrame
        One row per model with the columns :data:`RESULT_COLUMNS`: ``dataset, level, finding,
        subgroup, subgroup_value`` (missing: arrays carry no keys), ``model``, ``metric`` (the
        statistic's name), ``estimate, ci_low, ci_high``, ``n`` (rows), ``n_positive``
        (positive rows), ``method`` (the design's code, e.g.
        ``stratified-bootstrap-percentile``, ``cluster-bootstrap-bca``), ``confidence_level,
        n_resamples``, ``n_failed_resamples`` (resamples where the statistic was undefined:
        one class; impossible when stratified without clusters; left out of the interval and
        explained in ``reason``), ``n_clusters`` (resampling units) and ``reason``.
        The replicates themselves: :func:`bootstrap_distribution`.

    Raises
    ------
    OneClassError
        When ``y`` holds one class and the statistic needs both.
    InputError
        NaN/inf scores, labels not 0/1, mismatched lengths, bad options (naming the option).

    Notes
    -----
    Validated against: a loop over :func:`sklearn.metrics.roc_auc_score` on the same indices
    (percentile, to 1e-12); :func:`scipy.stats.bootstrap` (unstratified, same seed: identical
    percentile, basic and BCa intervals); ``pROC::ci.auc(method="bootstrap")`` within Monte Carlo error.

    Examples
    --------
    >>> from hemstats.datasets import demo
    >>> cohort = demo.load(n_studies=200)
    >>> any_study = "finding == 'any' and level == 'study'"
    >>> scores = cohort.predictions.query(any_study).pivot(index="study_id", columns="model", values="score")
    >>> truth = cohort.labels.query(any_study + " and rater == 'consensus'").set_index("study_id")["value"]
    >>> res = bootstrap_ci(truth.reindex(scores.index), scores, n_resamples=500, rng=0)
    >>> res[["model", "metric", "n", "n_positive", "method"]].to_string(index=False)
    '  model metric   n  n_positive                          method\\nmodel_a    auc 200          62 stratified-bootstrap-percentile\\nmodel_b    auc 200          62 stratified-bootstrap-percentile'
    >>> bool((res.ci_low < res.estimate).all() and (res.estimate < res.ci_high).all())
    True
    """
    check_bootstrap_options(n_resamples=n_resamples, confidence_level=confidence_level,
                            bootstrap_method=bootstrap_method, rng=rng)
    stat = _resolve_statistic(statistic)
    y_arr = check_y(y, "y")
    if len(np.unique(y_arr)) < 2 and getattr(stat, "name", None) in ("auc", "average_precision"):
        raise OneClassError(
            f"y: all {len(y_arr)} labels are {int(y_arr[0]) if len(y_arr) else 'absent'}; "
            f"{stat.name} needs cases and controls"
        )
    dist = bootstrap_distribution(
        y_arr, score, statistic=stat, model=model, cluster=cluster, stratify=stratify, n_resamples=n_resamples,
        rng=rng, chunk_size=chunk_size, jackknife=(bootstrap_method == "bca"),
    )
    return result_frame(dist.ci(bootstrap_method=bootstrap_method, confidence_level=confidence_level),
                        extra=("model",))
