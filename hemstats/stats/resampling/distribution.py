"""Bootstrap replicates and their intervals: :class:`BootstrapDistribution` and :func:`interval_from_distribution`.

The engine (:mod:`hemstats.stats.resampling.engine`) draws the replicates; this module reads
intervals off them exactly as :func:`scipy.stats.bootstrap` does (``percentile``, ``basic``,
``bca`` with jackknife acceleration), clips them to the parameter's range, and names the
resampling design in the ``method`` code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import pandas as pd
from scipy.special import ndtr, ndtri

from hemstats.errors import InputError
from hemstats.stats._core.options import (
    check_bootstrap_method,
    check_cluster_count,
    check_confidence_level,
    method_code,
)
from hemstats.stats._core.types import CONFIDENCE_LEVEL, BootstrapMethod

__all__ = ["BootstrapDistribution", "interval_from_distribution", "CI_COLUMNS"]

#: The columns of :meth:`BootstrapDistribution.ci`, in order: a building block for the
#: families' results (the estimate and resampling columns of the result vocabulary, per model).
CI_COLUMNS: tuple[str, ...] = (
    "model",
    "metric",
    "estimate",
    "ci_low",
    "ci_high",
    "n",
    "n_positive",
    "method",
    "confidence_level",
    "n_resamples",
    "n_failed_resamples",
    "n_clusters",
    "reason",
)


# --------------------------------------------------------------------------------------------
# the distribution and its intervals
# --------------------------------------------------------------------------------------------
def _bootstrap_method(bootstrap_method: Any) -> BootstrapMethod:
    return cast(BootstrapMethod, check_bootstrap_method(bootstrap_method))


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
    info : dict
        ``metric`` (the statistic's name), ``n_positive`` (positive rows), ``stratified`` and
        ``clustered`` (the resampling design, for the method code) and ``bounds`` (the
        parameter's range, or None).
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

    def method_code(self, bootstrap_method: BootstrapMethod = "percentile") -> str:
        """The ``method`` code of this design's intervals, e.g. ``stratified-cluster-bootstrap-bca``."""
        return method_code(check_bootstrap_method(bootstrap_method), stratified=bool(self.info.get("stratified")),
                           clustered=bool(self.info.get("clustered")))

    def ci(
        self,
        *,
        bootstrap_method: BootstrapMethod = "percentile",
        confidence_level: float = CONFIDENCE_LEVEL,
        bounds: tuple[float, float] | None = None,
    ) -> pd.DataFrame:
        """The interval of every model, one row each, with the columns :data:`CI_COLUMNS`.

        A light building block (no keys, no grouping) for the families' results;
        :func:`bootstrap_ci` puts it into the result vocabulary.

        Parameters
        ----------
        bootstrap_method : {"percentile", "basic", "bca"}, default "percentile"
            As :func:`scipy.stats.bootstrap`; ``bca`` needs the jackknife
            (``bootstrap_distribution(..., jackknife=True)``).
        confidence_level : float, default 0.95
        bounds : (float, float), optional
            Clip the interval to the parameter's range (default: the statistic's range, e.g.
            [0, 1] for the AUC, when it has one): a ``basic`` interval ``2 * estimate -
            quantile`` can leave it (an AUC basic interval 0.94 to 1.02); the ``reason`` then
            says it was clipped.

        Returns
        -------
        pandas.DataFrame
            Columns :data:`CI_COLUMNS`.  ``method`` is the design's code
            (:meth:`method_code`); with clusters, one cluster gives NaN and a reason, fewer
            than :data:`MIN_CLUSTERS` a warning in ``reason``.
        """
        chosen = _bootstrap_method(bootstrap_method)
        confidence_level = check_confidence_level(confidence_level)
        bounds = self.info.get("bounds") if bounds is None else bounds
        cluster_note = check_cluster_count(self.n_clusters, bool(self.info.get("clustered")))
        if chosen == "bca" and self.jackknife is None:
            raise InputError("bootstrap_method='bca' needs the jackknife: build the distribution with "
                             "bootstrap_distribution(..., jackknife=True)")
        code = self.method_code(chosen)
        rows = []
        for k, model in enumerate(self.models):
            dist = self.distribution[k]
            ok = np.isfinite(dist)
            failed = int((~ok).sum())
            low, high = interval_from_distribution(
                self.estimate[k],
                dist[ok],
                bootstrap_method=chosen,
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
                notes.append(f"{chosen} interval clipped to the parameter range "
                             f"[{bounds[0]:g}, {bounds[1]:g}]")
            if cluster_note is not None:
                notes.append(cluster_note)
                if self.n_clusters <= 1:
                    low = high = np.nan
            reason = "; ".join(notes) if notes else pd.NA
            rows.append(
                (model, self.info.get("metric", "statistic"), float(self.estimate[k]), low, high, self.n,
                 self.info.get("n_positive", pd.NA), code, float(confidence_level), len(dist), failed,
                 self.n_clusters, reason)
            )
        out = pd.DataFrame(rows, columns=list(CI_COLUMNS))
        out["reason"] = out["reason"].astype("string")
        return out


def interval_from_distribution(
    estimate: float,
    distribution: np.ndarray,
    *,
    bootstrap_method: BootstrapMethod = "percentile",
    confidence_level: float = CONFIDENCE_LEVEL,
    jackknife: np.ndarray | None = None,
) -> tuple[float, float]:
    """Percentile, basic or BCa interval from bootstrap replicates, as scipy.stats.bootstrap.

    Quantiles use linear interpolation (``numpy.quantile`` default, R type 7); BCa uses
    the bias correction ``z0 = ndtri(mean of [theta* < theta] and [theta* <= theta])`` and the
    jackknife acceleration of Efron & Tibshirani (1993) eq. 14.15, exactly as scipy does.

    Parameters
    ----------
    estimate : float
        The statistic on the original sample.
    distribution : array
        The finite replicates (an empty array gives NaN).
    bootstrap_method : {"percentile", "basic", "bca"}, default "percentile"
    confidence_level : float, default 0.95
    jackknife : array, optional
        Leave-one-unit-out values; needed by ``bca``.

    Returns
    -------
    (float, float)
        ``(low, high)``.

    Examples
    --------
    >>> import numpy as np
    >>> interval_from_distribution(50.0, np.arange(101), confidence_level=0.5)
    (25.0, 75.0)
    >>> interval_from_distribution(70.0, np.arange(101), bootstrap_method="basic", confidence_level=0.5)
    (65.0, 115.0)
    """
    chosen = _bootstrap_method(bootstrap_method)
    confidence_level = check_confidence_level(confidence_level)
    dist = np.asarray(distribution, dtype=np.float64)
    if dist.size == 0:
        return (np.nan, np.nan)
    alpha = (1 - confidence_level) / 2
    if chosen == "bca":
        if jackknife is None:
            raise InputError("bootstrap_method='bca' needs jackknife values")
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
    if chosen == "basic":
        low, high = 2 * estimate - high, 2 * estimate - low
    return (float(low), float(high))
