"""Option and input checks of the resampling engine and of every statistic that resamples.

One place decides what ``n_resamples``, ``confidence_level``, ``bootstrap_method`` and
``rng`` may be (:func:`check_bootstrap_options`), how a resampling design is named
(:func:`method_code`) and when a cluster bootstrap has too few clusters
(:func:`check_cluster_count`).  Errors are :class:`InputError` naming the option.

``n_resamples`` has one limit per purpose:

- :data:`MIN_RESAMPLES` to :data:`MAX_RESAMPLES` (2 to 10**7): what any statistic accepts
  (:func:`check_n_resamples`; the engine, agreement, prevalence and the coverage simulations);
- above :data:`LARGE_RESAMPLES` (10**5) the engine warns with the expected run time;
- a report asks for more: its manifest accepts 200 to :data:`LARGE_RESAMPLES` (a report's
  quality floor, and no run-time warning while the book builds).
"""

from __future__ import annotations

import logging
import numbers
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from hemstats.errors import InputError, OneClassError

__all__ = [
    "InputError",
    "OneClassError",
    "METHODS",
    "MIN_RESAMPLES",
    "MAX_RESAMPLES",
    "LARGE_RESAMPLES",
    "MIN_CLUSTERS",
    "check_bootstrap_options",
    "check_n_resamples",
    "check_cluster_count",
    "method_code",
    "check_y",
    "check_scores",
    "check_scores_numeric",
    "check_confidence_level",
    "check_bootstrap_method",
    "check_rng",
    "warn_if_slow",
    "CHUNK_CELLS",
]

_log = logging.getLogger("hemstats.stats.resampling.engine")

METHODS: tuple[str, ...] = ("percentile", "basic", "bca")
CHUNK_CELLS = 1 << 20  # ~1 million weights per chunk: ~8 MB per float64 (b x n) array; peak ~75 MiB
#: Fewest accepted ``n_resamples`` (as :func:`scipy.stats.bootstrap`: an interval needs two replicates).
MIN_RESAMPLES: int = 2
#: Largest accepted ``n_resamples`` (the replicates of one model then take 80 MB).
MAX_RESAMPLES: int = 10**7
#: Above this many resamples a warning (and a log record) gives the expected run time.
LARGE_RESAMPLES: int = 10**5
#: Fewest clusters for a trusted cluster bootstrap: below it the interval carries a warning
#: ``reason``; with one cluster there is no interval at all.
MIN_CLUSTERS: int = 10
_CELLS_PER_SECOND = 1.5e7  # resample x row cells per second (measured: AUC, n = 400-2000, 1 loaded core)


def check_y(y: Any, where: str) -> np.ndarray:
    try:
        arr = np.asarray(pd.Series(y).astype("float64") if isinstance(y, pd.Series) else y, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{where}: expected 0/1 labels, got values that are not numbers ({exc})") from None
    if arr.ndim != 1:
        raise InputError(f"{where}: expected a 1-d array of 0/1 labels, got shape {arr.shape}")
    bad = ~np.isin(arr, (0.0, 1.0))
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"{where}: expected labels 0 or 1; {int(bad.sum())} rows are not, first: row {first} ({arr[first]!r})"
        )
    return arr.astype(np.int8)


def check_scores(score: Any, n: int, where: str) -> tuple[np.ndarray, list[str]]:
    try:
        return check_scores_numeric(score, n, where)
    except (TypeError, ValueError) as exc:
        if isinstance(exc, InputError):
            raise
        raise InputError(f"{where}: expected numeric scores ({exc})") from None


def check_scores_numeric(score: Any, n: int, where: str) -> tuple[np.ndarray, list[str]]:
    if isinstance(score, pd.DataFrame):
        names = [str(c) for c in score.columns]
        arr = score.to_numpy(dtype=np.float64, na_value=np.nan)
    elif isinstance(score, Mapping):
        names = [str(k) for k in score]
        arr = np.column_stack([np.asarray(v, dtype=np.float64) for v in score.values()])
    else:
        arr = np.asarray(pd.Series(score).astype("Float64").to_numpy(dtype=np.float64, na_value=np.nan) if isinstance(score, pd.Series) else score, dtype=np.float64)
        names = []
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or arr.shape[0] != n:
        raise InputError(f"{where}: expected {n} scores (one per label), got shape {arr.shape}")
    bad = ~np.isfinite(arr)
    if bad.any():
        row, col = map(int, np.argwhere(bad)[0])
        raise InputError(
            f"{where}: {int(bad.sum())} scores are NaN or infinite, first: row {row}"
            + (f", column {col}" if arr.shape[1] > 1 else "")
            + f" ({arr[row, col]!r}); drop or impute them first"
        )
    return arr, names


def check_n_resamples(n_resamples: Any) -> int:
    """``n_resamples`` as an int, or :class:`InputError` naming it.

    An integer (not a bool, not a float such as 2.5) in ``[MIN_RESAMPLES, MAX_RESAMPLES]``.

    Examples
    --------
    >>> check_n_resamples(2000)
    2000
    >>> check_n_resamples(2.5)
    Traceback (most recent call last):
    ...
    hemstats.errors.InputError: n_resamples must be an integer in [2, 10000000], got 2.5 (float)
    """
    allowed = f"an integer in [{MIN_RESAMPLES}, {MAX_RESAMPLES}]"
    if isinstance(n_resamples, (bool, np.bool_)) or not isinstance(n_resamples, numbers.Integral):
        raise InputError(f"n_resamples must be {allowed}, got {n_resamples!r} ({type(n_resamples).__name__})")
    if not MIN_RESAMPLES <= int(n_resamples) <= MAX_RESAMPLES:
        raise InputError(f"n_resamples must be {allowed}, got {n_resamples!r}")
    return int(n_resamples)


def check_confidence_level(confidence_level: Any) -> float:
    ok = isinstance(confidence_level, numbers.Real) and not isinstance(confidence_level, (bool, np.bool_))
    if not ok or not 0 < float(confidence_level) < 1:  # NaN fails the comparison too
        hint = " (a fraction: 0.95, not 95)" if ok and 1 < float(confidence_level) <= 100 else ""
        raise InputError(f"confidence_level must be a number in (0, 1), got {confidence_level!r}{hint}")
    return float(confidence_level)


def check_bootstrap_method(bootstrap_method: Any, name: str = "bootstrap_method") -> str:
    if not isinstance(bootstrap_method, str) or bootstrap_method not in METHODS:
        raise InputError(f"{name} must be one of {METHODS} (lower case), got {bootstrap_method!r}")
    return bootstrap_method


def check_rng(rng: Any) -> Any:
    if rng is None or isinstance(rng, (np.random.Generator, np.random.BitGenerator, np.random.SeedSequence)):
        return rng
    if isinstance(rng, numbers.Integral) and not isinstance(rng, (bool, np.bool_)) and int(rng) >= 0:
        return rng
    raise InputError(
        f"rng must be None, a non-negative integer seed or a numpy.random.Generator, got {rng!r} ({type(rng).__name__})"
    )


def check_bootstrap_options(
    *,
    n_resamples: Any = 2000,
    confidence_level: Any = 0.95,
    bootstrap_method: Any = "percentile",
    rng: Any = None,
) -> tuple[int, float, str]:
    """Check the bootstrap options of a public statistic; the one check every statistic calls.

    Returns ``(n_resamples, confidence_level, bootstrap_method)`` normalised; raises
    :class:`InputError` naming the option otherwise.  ``n_resamples`` above
    :data:`LARGE_RESAMPLES` is accepted; the engine then warns with the expected run time.

    Examples
    --------
    >>> check_bootstrap_options(n_resamples=500, confidence_level=0.9, bootstrap_method="bca", rng=0)
    (500, 0.9, 'bca')
    >>> check_bootstrap_options(confidence_level=95)
    Traceback (most recent call last):
    ...
    hemstats.errors.InputError: confidence_level must be a number in (0, 1), got 95 (a fraction: 0.95, not 95)
    """
    n = check_n_resamples(n_resamples)
    level = check_confidence_level(confidence_level)
    method = check_bootstrap_method(bootstrap_method)
    check_rng(rng)
    return n, level, method


def method_code(bootstrap_method: str, *, stratified: bool, clustered: bool) -> str:
    """The ``method`` code of a bootstrap interval, saying the resampling design.

    Examples
    --------
    >>> method_code("percentile", stratified=True, clustered=False)
    'stratified-bootstrap-percentile'
    >>> method_code("bca", stratified=False, clustered=True)
    'cluster-bootstrap-bca'
    """
    return f"{'stratified-' if stratified else ''}{'cluster-' if clustered else ''}bootstrap-{bootstrap_method}"


def check_cluster_count(n_clusters: int, clustered: bool) -> str | None:
    """``None`` when a (cluster) bootstrap has enough clusters, else the ``reason`` text.

    One cluster gives no interval (the caller returns NaN with this reason); fewer than
    :data:`MIN_CLUSTERS` gives an interval with this warning.

    Examples
    --------
    >>> check_cluster_count(3, True)
    'only 3 clusters (fewer than 10): the cluster bootstrap interval is unreliable'
    >>> check_cluster_count(3, False) is None
    True
    """
    if not clustered:
        return None
    if n_clusters <= 1:
        return f"{n_clusters} cluster: a cluster bootstrap needs at least 2 clusters; no interval"
    if n_clusters < MIN_CLUSTERS:
        return (f"only {n_clusters} clusters (fewer than {MIN_CLUSTERS}): the cluster bootstrap interval "
                "is unreliable")
    return None


def warn_if_slow(n_resamples: int, n_rows: int, n_models: int) -> None:
    if n_resamples <= LARGE_RESAMPLES:
        return
    seconds = n_resamples * max(n_rows, 1) * max(n_models, 1) / _CELLS_PER_SECOND
    msg = (f"n_resamples={n_resamples} on {n_rows} rows x {n_models} models: expect roughly {seconds:.0f} s "
           f"(memory stays bounded: chunks of about {CHUNK_CELLS} cells; the replicates take "
           f"{8 * n_resamples * n_models / 2**20:.0f} MiB)")
    _log.warning(msg)
    warnings.warn(msg, UserWarning, stacklevel=4)
