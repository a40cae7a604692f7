"""Calibration of predicted probabilities: Brier score, calibration intercept and slope, reliability curve.

* Brier score ``mean((p - y)^2)`` with a bootstrap interval (optionally patient-clustered).
* Calibration slope: logistic regression ``logit P(y) = a + b logit(p)``; 1 is ideal.
* Calibration intercept ("calibration-in-the-large"): ``logit P(y) = a + offset(logit(p))``;
  0 is ideal, solved by root finding on its score equation (IRLS, R's ``glm`` included, can
  diverge when scores of exactly 0 or 1 give extreme offsets: on CQ500's IVH probabilities
  ``glm`` returns -4e15 where the MLE is -0.43).  Both with Wald intervals from the Fisher
  information, as R's ``confint.default``.
* :func:`reliability_curve`: observed fraction of positives per bin of predicted probability,
  with Wilson intervals.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from scipy.special import expit, logit, ndtri

from hemstats.errors import InputError
from hemstats.stats._core.columns import result_columns, result_frame
from hemstats.stats._core.intervals import interval as proportion_interval
from hemstats.stats._core.options import check_bootstrap_options, check_confidence_level, method_code
from hemstats.stats._core.types import CONFIDENCE_LEVEL, N_RESAMPLES, By, Findings, Level, Seed
from hemstats.stats.diagnostic._data import model_arrays, prepare, reason_join, unmatched_note
from hemstats.stats.resampling.engine import bootstrap_distribution

if TYPE_CHECKING:
    from hemstats.cohort import Cohort

__all__ = ["calibration", "reliability_curve", "CALIBRATION_COLUMNS", "RELIABILITY_COLUMNS"]

#: Columns of :func:`calibration`.
CALIBRATION_COLUMNS: tuple[str, ...] = tuple(result_columns(extra=("model",)))
_BIN_OWN: tuple[str, ...] = ("model", "bin", "bin_low", "bin_high", "mean_predicted")
#: Columns of :func:`reliability_curve`.
RELIABILITY_COLUMNS: tuple[str, ...] = tuple(result_columns(extra=_BIN_OWN))
_EPS = 1e-6


def _brier(y: np.ndarray, score: np.ndarray, weights: np.ndarray) -> np.ndarray:
    w = np.asarray(weights, dtype=np.float64)
    return (w @ (score - y) ** 2) / w.sum(axis=1)


def _check_probabilities(s: np.ndarray, where: str) -> None:
    bad = (s < 0) | (s > 1)
    if bad.any():
        raise InputError(
            f"{where}: calibration needs probabilities in [0, 1]; {int(bad.sum())} scores are outside "
            f"(first {s[bad][0]!r})"
        )


def _intercept_fit(y: np.ndarray, lp: np.ndarray, confidence_level: float):
    """Calibration-in-the-large: the MLE of ``a`` in ``logit P(y) = a + lp``, by root finding.

    The score equation ``sum(y - expit(a + lp)) = 0`` is monotone in ``a``, so a bracketing
    root finder always converges, where IRLS (R's ``glm``, statsmodels ``GLM``) can diverge when
    offsets are extreme (scores of exactly 0 or 1).  Wald interval from the Fisher information.
    """
    from scipy.optimize import brentq

    n_pos = y.sum()
    if n_pos == 0 or n_pos == len(y):
        return np.nan, np.nan, np.nan, "one class only: logistic fit undefined"

    def score(a: float) -> float:
        return float(np.sum(y - expit(a + lp)))

    lo, hi = -1.0, 1.0
    while score(lo) < 0:
        lo *= 2
    while score(hi) > 0:
        hi *= 2
    a = brentq(score, lo, hi, xtol=1e-14, rtol=1e-14, maxiter=500)
    p = expit(a + lp)
    se = 1 / np.sqrt(np.sum(p * (1 - p)))
    q = -ndtri((1 - confidence_level) / 2)
    return float(a), float(a - q * se), float(a + q * se), None


def _slope_fit(y: np.ndarray, lp: np.ndarray, confidence_level: float):
    """Calibration slope: ``b`` in ``logit P(y) = a + b lp`` (statsmodels ``Logit``, Newton), Wald interval."""
    import warnings

    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationWarning

    if len(np.unique(y)) < 2:
        return np.nan, np.nan, np.nan, "one class only: logistic fit undefined"
    try:
        with warnings.catch_warnings(), np.errstate(over="ignore"):
            warnings.simplefilter("error", PerfectSeparationWarning)
            warnings.simplefilter("error", ConvergenceWarning)
            fit = sm.Logit(y, sm.add_constant(lp, has_constant="add")).fit(disp=0, maxiter=200, tol=1e-12)
    except (PerfectSeparationWarning, ConvergenceWarning, np.linalg.LinAlgError, ValueError) as exc:
        return np.nan, np.nan, np.nan, f"logistic fit of the slope failed: {type(exc).__name__}: {exc}"
    p = expit(fit.params[0] + fit.params[1] * lp)
    if abs(float(np.sum((y - p) * lp))) > 1e-6 * max(1.0, len(y)):
        return np.nan, np.nan, np.nan, "logistic fit of the slope did not converge"
    est, se = float(fit.params[1]), float(fit.bse[1])
    q = -ndtri((1 - confidence_level) / 2)
    return est, est - q * se, est + q * se, None


def calibration(
    data: Cohort | pd.DataFrame,
    *,
    labels: pd.DataFrame | None = None,
    studies: pd.DataFrame | None = None,
    findings: Findings = None,
    level: Level | None = None,
    by: By = None,
    reference: str = "consensus",
    cluster: str | None = "auto",
    stratify: bool | None = None,
    confidence_level: float = CONFIDENCE_LEVEL,
    n_resamples: int = N_RESAMPLES,
    rng: Seed = None,
) -> pd.DataFrame:
    """Brier score, calibration intercept and calibration slope per dataset x finding x model.

    Scores must be probabilities in [0, 1]; for the logistic fits they are clipped to
    ``[1e-6, 1 - 1e-6]`` (the ``reason`` says how many were).

    Parameters
    ----------
    data, labels, studies, findings, level, by, reference
        As :func:`hemstats.stats.auc`: a Cohort, or the predictions table with ``labels=``.
    cluster : "auto", str or None
        Patient-clustered bootstrap for the Brier score (slices by patient by default, as
        :func:`hemstats.stats.auc`).  The Wald intervals of intercept and slope assume
        independent rows: with clustered rows they are NaN with a reason.
    confidence_level, n_resamples, rng
        As :func:`scipy.stats.bootstrap`.
    stratify : bool or None
        The Brier score depends on prevalence, so ``None`` (default) resamples the cohort as
        it was sampled, unstratified (``method`` ``bootstrap-percentile`` or
        ``cluster-bootstrap-percentile``); ``True`` forces a class-stratified bootstrap.

    Returns
    -------
    pandas.DataFrame
        Columns ``dataset, level, finding, subgroup, subgroup_value, model, metric, estimate,
        ci_low, ci_high, n, n_positive, method, confidence_level, n_resamples,
        n_failed_resamples, n_clusters, reason``; ``metric`` is ``brier``,
        ``calibration_intercept`` or ``calibration_slope``.

    Notes
    -----
    Validated against: R ``glm(y ~ qlogis(p), binomial)`` (slope) and ``glm(y ~ 1,
    offset = qlogis(p), binomial)`` (intercept) with ``confint.default`` (within 1e-6, on data
    where ``glm`` converges).

    References
    ----------
    Van Calster B et al. (2019). Calibration: the Achilles heel of predictive analytics.
    BMC Medicine 17:230.

    Examples
    --------
    >>> from hemstats.datasets import demo
    >>> cohort = demo.load(n_studies=200)
    >>> res = calibration(cohort, findings="any", level="study", n_resamples=200, rng=0)
    >>> res.query("model == 'model_a'").metric.tolist()
    ['brier', 'calibration_intercept', 'calibration_slope']
    """
    check_bootstrap_options(n_resamples=n_resamples, confidence_level=confidence_level, rng=rng)
    if stratify is not None and not isinstance(stratify, bool | np.bool_):
        raise InputError(f"calibration: stratify must be True, False or None (unstratified), got {stratify!r}")
    joined, unmatched, cluster_col = prepare(data, where="calibration", labels=labels, studies=studies,
                                             reference=reference, findings=findings, level=level, cluster=cluster,
                                             by=by)
    gen = np.random.default_rng(rng)
    rows: list[dict[str, Any]] = []
    for group, model, y, s, cc in model_arrays(joined, cluster_col):
        _check_probabilities(s, f"predictions.score (dataset {group['dataset']!r}, finding "
                                f"{group['finding']!r}, model {model!r})")
        base = {**group, "model": str(model), "n": len(y), "n_positive": int(y.sum()),
                "n_clusters": len(y) if cc is None else len(pd.unique(cc)),
                "confidence_level": float(confidence_level)}
        note = unmatched_note(unmatched, group, model)
        strat = bool(stratify) and len(np.unique(y)) == 2
        dist = bootstrap_distribution(statistic=_brier, y=y, score=s, model=[str(model)], cluster=cc,
                                      stratify=strat, n_resamples=n_resamples, rng=gen)
        ci = dist.ci(confidence_level=confidence_level, bounds=(0.0, 1.0)).iloc[0]
        rows.append({**base, "metric": "brier", "estimate": float(ci.estimate), "ci_low": ci.ci_low,
                     "ci_high": ci.ci_high, "n_resamples": n_resamples,
                     "method": method_code("percentile", stratified=strat, clustered=cc is not None),
                     "n_failed_resamples": int(ci.n_failed_resamples), "reason": reason_join(note, ci.reason)})
        clipped = int(((s < _EPS) | (s > 1 - _EPS)).sum())
        lp = logit(np.clip(s, _EPS, 1 - _EPS))
        clip_note = f"{clipped} scores clipped to [1e-6, 1 - 1e-6] for the logit" if clipped else None
        for metric, fit in (("calibration_intercept", _intercept_fit), ("calibration_slope", _slope_fit)):
            est, lo, hi, why = fit(y.astype(np.float64), lp, confidence_level)
            if cc is not None:
                lo = hi = np.nan
                why = reason_join(why, "Wald interval assumes independent rows: not given with cluster")
            rows.append({**base, "metric": metric, "estimate": est, "ci_low": lo, "ci_high": hi,
                         "method": "wald", "n_resamples": 0, "n_failed_resamples": 0,
                         "reason": reason_join(note, clip_note, why)})
    return result_frame(rows, extra=("model",))


def reliability_curve(
    data: Cohort | pd.DataFrame,
    *,
    labels: pd.DataFrame | None = None,
    studies: pd.DataFrame | None = None,
    n_bins: int = 10,
    strategy: Literal["quantile", "uniform"] = "quantile",
    findings: Findings = None,
    level: Level | None = None,
    by: By = None,
    reference: str = "consensus",
    confidence_level: float = CONFIDENCE_LEVEL,
) -> pd.DataFrame:
    """Observed fraction of positives per bin of predicted probability, with Wilson intervals.

    Parameters
    ----------
    n_bins : int, default 10
    strategy : {"quantile", "uniform"}
        Bins of equal counts (edges at score quantiles; tied scores share a bin, so there may
        be fewer bins) or of equal width on [0, 1].
    Other parameters
        As :func:`calibration`.

    Returns
    -------
    pandas.DataFrame
        Columns ``dataset, level, finding, subgroup, subgroup_value, model, bin, bin_low,
        bin_high, mean_predicted, metric, estimate, ci_low, ci_high, n, n_positive, method,
        confidence_level, n_resamples, n_failed_resamples, n_clusters, reason``; ``metric`` is
        ``fraction_positive`` (the observed fraction, in ``estimate``); empty bins are left out.  ``n_clusters`` counts the patients of a
        bin when its rows are clustered (slices, repeated studies; see
        :func:`hemstats.stats.auc`): the Wilson interval assumes independent rows, so it is too
        narrow when ``n_clusters`` is well below ``n``.

    Notes
    -----
    Validated against: ``sklearn.calibration.calibration_curve`` (uniform bins: the same
    observed and mean predicted values) and statsmodels ``proportion_confint(method="wilson")``.

    Examples
    --------
    >>> from hemstats.datasets import demo
    >>> cohort = demo.load(n_studies=200)
    >>> rel = reliability_curve(cohort, findings="any", level="study", n_bins=5)
    >>> int(rel.query("model == 'model_a'").n.sum())
    200
    """
    check_confidence_level(confidence_level)
    if strategy not in ("quantile", "uniform"):
        raise InputError(f"reliability_curve: strategy must be 'quantile' or 'uniform', got {strategy!r}")
    if isinstance(n_bins, bool) or not isinstance(n_bins, int | np.integer) or n_bins < 1:
        raise InputError(f"reliability_curve: n_bins must be a positive integer, got {n_bins!r}")
    joined, _, cluster_col = prepare(data, where="reliability_curve", labels=labels, studies=studies,
                                     reference=reference, findings=findings, level=level, cluster="auto", by=by)
    rows: list[dict[str, Any]] = []
    for group, model, y, s, cc in model_arrays(joined, cluster_col):
        _check_probabilities(s, f"predictions.score (model {model!r})")
        if strategy == "uniform":
            edges = np.linspace(0, 1, int(n_bins) + 1)
        else:
            edges = np.unique(np.quantile(s, np.linspace(0, 1, int(n_bins) + 1)))
            edges[0], edges[-1] = min(edges[0], 0.0), max(edges[-1], 1.0)
        # as sklearn: bin = searchsorted(inner edges, s, side="right")
        b = np.searchsorted(edges[1:-1], s, side="right")
        for k in range(len(edges) - 1):
            m = b == k
            if not m.any():
                continue
            n, pos = int(m.sum()), int(y[m].sum())
            lo, hi = proportion_interval(pos, n, confidence_level, "wilson")
            rows.append({**group, "model": model, "bin": k, "bin_low": float(edges[k]),
                         "bin_high": float(edges[k + 1]), "mean_predicted": float(s[m].mean()),
                         "metric": "fraction_positive", "estimate": pos / n, "ci_low": float(lo), "ci_high": float(hi),
                         "n": n, "n_positive": pos, "n_clusters": n if cc is None else len(pd.unique(cc[m])),
                         "method": "wilson", "confidence_level": float(confidence_level), "n_resamples": 0,
                         "n_failed_resamples": 0})
    out = result_frame(rows, extra=_BIN_OWN)
    out["bin"] = out["bin"].astype("Int64")
    return out
