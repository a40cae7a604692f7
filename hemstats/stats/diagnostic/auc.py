"""ROC AUC with DeLong or bootstrap CIs, paired comparison of two models, average precision.

The DeLong variance uses the fast algorithm of Sun & Xu (2014): midranks of the pooled,
the positive and the negative scores give every case's and control's placement value in
O(n log n), for several paired models at once.

Input: a Cohort, or the canonical ``predictions`` table with ``labels=`` (and ``studies=``)
keyword-only; :mod:`hemstats.stats.diagnostic._data` joins them (the reference standard is the
``consensus`` rater by default; ``reference=``: a rater id, or ``"majority"``: more than half
of all the dataset's readers, :mod:`hemstats.consensus`).  Plain arrays become a Cohort with
:func:`hemstats.stats.diagnostic.arrays.from_arrays`; the array kernel is :func:`delong`
(``y`` first).  Slices are clustered by patient by default (``cluster="auto"``).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

import numpy as np
import pandas as pd
from scipy.special import ndtri
from scipy.stats import norm, rankdata

from hemstats.errors import InputError, JoinError, OneClassError
from hemstats.stats._core.columns import result_columns, result_frame
from hemstats.stats._core.multiplicity import holm
from hemstats.stats._core.options import check_bootstrap_options, method_code
from hemstats.stats._core.types import CONFIDENCE_LEVEL, N_RESAMPLES, BootstrapMethod, By, Findings, Level, Seed
from hemstats.stats.diagnostic._data import (
    GROUP_COLUMNS,
    groups,
    paired_scores,
    prepare,
    reason_join,
    unmatched_note,
)
from hemstats.stats.resampling.engine import bootstrap_distribution

if TYPE_CHECKING:
    from hemstats.cohort import Cohort

__all__ = [
    "auc",
    "compare_auc",
    "average_precision",
    "delong",
    "delong_ci",
    "paired_scores",
    "JoinError",
    "AUC_COLUMNS",
    "COMPARE_COLUMNS",
    "AucInterval",
]

#: Interval of an AUC: DeLong, the bootstrap, or ``auto`` (DeLong for independent rows, the
#: cluster bootstrap for clustered ones).
AucInterval: TypeAlias = Literal["auto", "delong", "bootstrap"]
_AUC_INTERVALS: tuple[str, ...] = ("auto", "delong", "bootstrap")

#: Columns of :func:`auc` and :func:`average_precision`.
AUC_COLUMNS: tuple[str, ...] = tuple(result_columns(extra=("model",)))
_COMPARE_AFTER = ("auc_1", "auc_2", "z", "p_value", "p_holm")
#: Columns of :func:`compare_auc`.
COMPARE_COLUMNS: tuple[str, ...] = tuple(result_columns(extra=("model_1", "model_2"), after=_COMPARE_AFTER))


# --------------------------------------------------------------------------------------------
# DeLong
# --------------------------------------------------------------------------------------------
def delong(y: Sequence[int] | np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """AUCs and their DeLong covariance matrix for paired score columns (Sun & Xu 2014).

    Parameters
    ----------
    y : array of 0/1, shape (n,)
    scores : array (n,) or (n, k)

    Returns
    -------
    auc : ndarray (k,)
    cov : ndarray (k, k)
        ``S10 / m + S01 / n`` with sample covariances (ddof 1) of the placement values,
        as ``pROC::var(roc, method="delong")`` and ``pROC::cov``.

    Examples
    --------
    >>> import numpy as np
    >>> a, v = delong([0, 0, 1, 1, 1], np.array([0.1, 0.5, 0.4, 0.8, 0.9]))
    >>> float(a[0]), round(float(v[0, 0]), 6)
    (0.8333333333333334, 0.055556)
    """
    y = np.asarray(y).astype(bool)
    s = np.asarray(scores, dtype=np.float64)
    if s.ndim == 1:
        s = s[:, None]
    x, z = s[y], s[~y]
    m, n = len(x), len(z)
    if m == 0 or n == 0:
        raise OneClassError(f"y: {m} cases and {n} controls; the AUC needs both")
    tx = rankdata(x, axis=0)
    tz = rankdata(z, axis=0)
    t = rankdata(np.vstack([x, z]), axis=0)
    aucs = (t[:m].sum(axis=0) - m * (m + 1) / 2) / (m * n)
    v10 = (t[:m] - tx) / n
    v01 = 1.0 - (t[m:] - tz) / m
    s10 = np.atleast_2d(np.cov(v10, rowvar=False)) if m > 1 else np.zeros((s.shape[1], s.shape[1]))
    s01 = np.atleast_2d(np.cov(v01, rowvar=False)) if n > 1 else np.zeros((s.shape[1], s.shape[1]))
    return aucs, s10 / m + s01 / n


def delong_ci(estimate: float, var: float, confidence_level: float) -> tuple[float, float]:
    """pROC's ``ci.auc(method="delong")``: normal interval, clipped to [0, 1].

    Examples
    --------
    >>> tuple(round(v, 4) for v in delong_ci(0.8, 0.0025, 0.95))
    (0.702, 0.898)
    """
    if not np.isfinite(var) or var < 0:
        return (np.nan, np.nan)
    q = -ndtri((1 - confidence_level) / 2)
    sd = np.sqrt(var)
    return (float(max(0.0, estimate - q * sd)), float(min(1.0, estimate + q * sd)))


# --------------------------------------------------------------------------------------------
# public statistics
# --------------------------------------------------------------------------------------------
def _check_interval(interval: Any, allowed: Sequence[str], where: str) -> str:
    if not isinstance(interval, str) or interval not in allowed:
        raise InputError(f"{where}: interval must be one of {tuple(allowed)}, got {interval!r}")
    return interval


def _stratify(stratify: Any, default: bool, where: str) -> bool:
    """``stratify=None`` is the metric's design: by class only for prevalence-free metrics."""
    if stratify is None:
        return default
    if not isinstance(stratify, bool | np.bool_):
        raise InputError(f"{where}: stratify must be True, False or None (the metric's default), got {stratify!r}")
    return bool(stratify)


def _resolve_interval(interval: str, clustered: bool, explicit_cluster: bool, group: dict[str, Any]) -> str:
    """``auto``: DeLong for independent rows, the cluster bootstrap for clustered ones."""
    if interval == "auto":
        return "bootstrap" if clustered else "delong"
    if interval == "delong" and clustered:
        why = "cluster=" if explicit_cluster else "slices and repeated studies are clustered by patient by default"
        raise InputError(
            f"interval='delong' assumes independent rows, but the {group['level']} rows of dataset "
            f"{group['dataset']!r} are clustered ({why}): use interval='bootstrap' (or 'auto'), or cluster=None"
        )
    return interval


def _ranked_statistic(
    statistic: str,
    data: Any,
    *,
    labels: pd.DataFrame | None,
    studies: pd.DataFrame | None,
    interval: str,
    bootstrap_method: BootstrapMethod,
    reference: str,
    findings: Any,
    level: Any,
    cluster: Any,
    stratify: bool,
    by: Any,
    confidence_level: float,
    n_resamples: int,
    rng: Any,
) -> pd.DataFrame:
    joined, unmatched, cluster_col = prepare(data, where=statistic, labels=labels, studies=studies,
                                             reference=reference, findings=findings, level=level,
                                             cluster=cluster, by=by)
    gen = np.random.default_rng(rng)
    explicit = cluster not in (None, "auto")
    rows: list[dict[str, Any]] = []
    for group, wide in groups(joined, cluster_col):
        how = _resolve_interval(interval, wide.clusters is not None, explicit, group)
        scored = ~np.isnan(wide.scores)
        # paired when every model scored the same cases; otherwise each model on its own cases
        batches = [list(range(len(wide.models)))] if scored.all() else [[k] for k in range(len(wide.models))]
        for columns in batches:
            models = [wide.models[k] for k in columns]
            ok = scored[:, columns].all(axis=1)
            yy, ss = wide.y[ok], wide.scores[np.ix_(ok, columns)]
            cc = None if wide.clusters is None else wide.clusters[ok]
            n_pos = int(yy.sum())
            n_clusters = len(yy) if cc is None else len(pd.unique(cc))
            label = "delong" if how == "delong" else method_code(bootstrap_method, stratified=stratify,
                                                                clustered=cc is not None)
            base = {**group, "metric": statistic, "n": len(yy), "n_positive": n_pos, "n_clusters": n_clusters,
                    "method": label, "confidence_level": float(confidence_level)}
            notes = {m: unmatched_note(unmatched, group, m) for m in models}
            if n_pos == 0 or n_pos == len(yy):
                for m in models:
                    rows.append({**base, "model": str(m), "estimate": np.nan, "ci_low": np.nan, "ci_high": np.nan,
                                 "n_resamples": 0, "n_failed_resamples": 0,
                                 "reason": reason_join(f"one class only ({n_pos} of {len(yy)} positive): "
                                                       f"{statistic} undefined", notes[m])})
                continue
            if how == "delong":
                est, cov = delong(yy, ss)
                for k, m in enumerate(models):
                    lo, hi = delong_ci(float(est[k]), float(cov[k, k]), confidence_level)
                    rows.append({**base, "model": str(m), "estimate": float(est[k]), "ci_low": lo, "ci_high": hi,
                                 "n_resamples": 0, "n_failed_resamples": 0, "reason": reason_join(notes[m])})
            else:
                dist = bootstrap_distribution(statistic=statistic, y=yy, score=ss, model=models,
                                              cluster=cc, stratify=stratify, n_resamples=n_resamples, rng=gen,
                                              jackknife=bootstrap_method == "bca")
                ci = dist.ci(bootstrap_method=bootstrap_method, confidence_level=confidence_level)
                for rec in ci.to_dict("records"):
                    rows.append({**base, "model": rec["model"], "estimate": rec["estimate"], "ci_low": rec["ci_low"],
                                 "ci_high": rec["ci_high"], "n_resamples": rec["n_resamples"],
                                 "n_failed_resamples": rec["n_failed_resamples"],
                                 "reason": reason_join(rec["reason"], notes[rec["model"]])})
    return result_frame(rows, extra=("model",))


def auc(
    data: Cohort | pd.DataFrame,
    *,
    labels: pd.DataFrame | None = None,
    studies: pd.DataFrame | None = None,
    findings: Findings = None,
    level: Level | None = None,
    by: By = None,
    reference: str = "consensus",
    interval: AucInterval = "auto",
    bootstrap_method: BootstrapMethod = "percentile",
    cluster: str | None = "auto",
    stratify: bool | None = None,
    confidence_level: float = CONFIDENCE_LEVEL,
    n_resamples: int = N_RESAMPLES,
    rng: Seed = None,
) -> pd.DataFrame:
    """ROC AUC with a DeLong or bootstrap confidence interval, per dataset x level x finding x model.

    Parameters
    ----------
    data : Cohort or pandas.DataFrame
        A Cohort, or the canonical ``predictions`` table (then ``labels=`` is required).  For
        plain arrays build a Cohort with :func:`hemstats.stats.diagnostic.arrays.from_arrays`.
    labels, studies : pandas.DataFrame, optional
        The canonical labels and studies tables beside a predictions table (a Cohort brings
        its own).  ``studies`` gives ``patient_id`` (clustering) and ``by`` columns.
    findings : str or list of str, optional
        Restrict to these findings (a string is one code).
    level : {"study", "slice"}, optional
        Restrict to this label granularity.
    by : str or list of str, optional
        Subgroup column(s), of predictions or studies (``"kernel_family"``, ``["site", "sex"]``),
        reported in ``subgroup``/``subgroup_value``.  A subgroup with one class gets NaN and a
        ``reason``, never an error.
    reference : str, default "consensus"
        Rater whose labels are the truth, or ``"majority"``: more than half of all the dataset's
        readers (:func:`hemstats.consensus.majority_labels`); units without a majority are left
        out and counted in ``reason``.
    interval : {"auto", "delong", "bootstrap"}
        DeLong (``pROC::ci.auc(method="delong")``) or the bootstrap engine; ``auto`` (default):
        DeLong for independent rows, the cluster bootstrap for clustered ones.
    bootstrap_method : {"percentile", "basic", "bca"}
        Intervals are clipped to [0, 1] (a ``basic`` interval can leave it; ``reason`` says so).
    cluster : "auto", str or None
        ``"auto"`` (default): rows are resampled by the studies' ``patient_id`` when a patient
        holds several of a group's units (slices, or repeated studies), else by row; slices of
        a table without ``patient_id`` by ``study_id``.  A column name (``"patient_id"``)
        clusters every group; ``None``: independent rows.
    stratify : bool or None
        Resampling design.  ``None`` (default): stratified by class (the AUC does not depend on
        prevalence; as pROC): cases and controls (with clusters: case and control patients)
        are resampled separately.  The ``method`` code says the design:
        ``stratified-bootstrap-percentile``, ``stratified-cluster-bootstrap-bca``...
    confidence_level, n_resamples, rng
        As :func:`scipy.stats.bootstrap`; ``n_resamples`` an integer in [2, 10**7].

    Returns
    -------
    pandas.DataFrame
        Columns ``dataset, level, finding, subgroup, subgroup_value, model, metric, estimate,
        ci_low, ci_high, n, n_positive, method, confidence_level, n_resamples,
        n_failed_resamples, n_clusters, reason``; ``metric`` is ``auc``.  A group with one class
        gets NaN and a ``reason``; predictions without a reference label are left out and
        counted in ``reason``.  With one cluster the interval is NaN, with fewer than 10
        ``reason`` warns.

    Raises
    ------
    JoinError
        When no prediction has a reference label.
    InputError
        NaN/inf scores (naming the study and model), labels not 0/1, duplicated predictions or
        labels (naming the rows), DeLong with clusters, bad options (naming the option).

    Notes
    -----
    Validated against: ``pROC::auc``, ``pROC::ci.auc(method="delong")`` (within 1e-6);
    ``pROC::ci.auc(method="bootstrap")`` within Monte Carlo error; the published CQ500 AUCs.

    References
    ----------
    DeLong ER, DeLong DM, Clarke-Pearson DL (1988). Biometrics 44:837-845.
    Sun X, Xu W (2014). Fast implementation of DeLong's algorithm. IEEE Signal Process Lett 21:1389-1393.

    Examples
    --------
    >>> from hemstats.datasets import demo
    >>> cohort = demo.load(n_studies=200)
    >>> res = auc(cohort, findings="any", level="study", cluster=None)
    >>> res[["finding", "model", "n", "method"]].to_string(index=False)
    'finding   model   n method\\n    any model_a 200 delong\\n    any model_b 200 delong'
    >>> bool(((res.ci_low < res.estimate) & (res.estimate < res.ci_high)).all())
    True

    The demo's 200 studies belong to 182 patients, so by default they are resampled by patient:

    >>> res = auc(cohort, findings="any", level="study", n_resamples=200, rng=0)
    >>> str(res.method[0]), int(res.n_clusters[0])
    ('stratified-cluster-bootstrap-percentile', 182)

    Plain arrays, ``y`` first:

    >>> from hemstats.stats.diagnostic.arrays import from_arrays
    >>> float(auc(from_arrays([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])).estimate[0])
    0.75
    """
    _check_interval(interval, _AUC_INTERVALS, "auc")
    check_bootstrap_options(n_resamples=n_resamples, confidence_level=confidence_level,
                            bootstrap_method=bootstrap_method, rng=rng)
    return _ranked_statistic("auc", data, labels=labels, studies=studies, interval=interval,
                             bootstrap_method=bootstrap_method, reference=reference, findings=findings, level=level,
                             cluster=cluster, stratify=_stratify(stratify, True, "auc"), by=by,
                             confidence_level=confidence_level, n_resamples=n_resamples, rng=rng)


def average_precision(
    data: Cohort | pd.DataFrame,
    *,
    labels: pd.DataFrame | None = None,
    studies: pd.DataFrame | None = None,
    findings: Findings = None,
    level: Level | None = None,
    by: By = None,
    reference: str = "consensus",
    bootstrap_method: BootstrapMethod = "percentile",
    cluster: str | None = "auto",
    stratify: bool | None = None,
    confidence_level: float = CONFIDENCE_LEVEL,
    n_resamples: int = N_RESAMPLES,
    rng: Seed = None,
) -> pd.DataFrame:
    """Average precision (area under the precision-recall steps) with a bootstrap CI.

    Arguments as :func:`auc` (the interval is always the bootstrap), except the resampling
    design: average precision depends on prevalence (its chance level *is* the prevalence), so
    ``stratify=None`` (default) resamples the cohort as it was sampled, unstratified
    (``bootstrap-percentile``, ``cluster-bootstrap-percentile``); resamples holding one class
    are counted in ``n_failed_resamples`` and left out.  The estimate is
    :func:`sklearn.metrics.average_precision_score`; intervals are clipped to [0, 1].

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`auc`; ``metric`` is ``average_precision``.

    Notes
    -----
    Validated against: ``sklearn.metrics.average_precision_score`` (estimate and every
    bootstrap replicate, to 1e-12).

    Examples
    --------
    >>> from hemstats.datasets import demo
    >>> cohort = demo.load(n_studies=200)
    >>> res = average_precision(cohort, findings="any", level="study", n_resamples=200, rng=0)
    >>> res.model.tolist(), bool((res.ci_low <= res.estimate).all()), res.method[0]
    (['model_a', 'model_b'], True, 'cluster-bootstrap-percentile')
    """
    check_bootstrap_options(n_resamples=n_resamples, confidence_level=confidence_level,
                            bootstrap_method=bootstrap_method, rng=rng)
    return _ranked_statistic("average_precision", data, labels=labels, studies=studies, interval="bootstrap",
                             bootstrap_method=bootstrap_method, reference=reference, findings=findings, level=level,
                             cluster=cluster, stratify=_stratify(stratify, False, "average_precision"), by=by,
                             confidence_level=confidence_level, n_resamples=n_resamples, rng=rng)


def _two_sided_p(z: float) -> tuple[float, str | None]:
    """``2 * P(Z > |z|)`` computed in log space; exactly 0 only below the smallest float, with a note."""
    log_p = float(np.log(2.0) + norm.logsf(abs(z)))
    p = float(np.exp(log_p))
    if p == 0.0:
        return 0.0, f"p below the smallest float (log10 p = {log_p / np.log(10):.1f})"
    return min(p, 1.0), None


def compare_auc(
    data: Cohort | pd.DataFrame,
    *,
    labels: pd.DataFrame | None = None,
    studies: pd.DataFrame | None = None,
    models: tuple[str, str] | None = None,
    findings: Findings = None,
    level: Level | None = None,
    by: By = None,
    reference: str = "consensus",
    interval: AucInterval = "auto",
    bootstrap_method: BootstrapMethod = "percentile",
    cluster: str | None = "auto",
    stratify: bool | None = None,
    confidence_level: float = CONFIDENCE_LEVEL,
    n_resamples: int = N_RESAMPLES,
    rng: Seed = None,
) -> pd.DataFrame:
    """Paired comparison of two models' AUCs on the cases both scored.

    The DeLong test (``z``, two-sided ``p_value``) is always reported for independent rows;
    for clustered rows (slices, repeated studies) ``z`` is the difference over the standard
    deviation of the paired cluster-bootstrap differences, as ``pROC::roc.test(method =
    "bootstrap")`` does, and ``reason`` says so.  ``p_value`` is computed in log space
    (``scipy.stats.norm.logsf``), so it is exactly 0 only below the smallest float (then
    ``reason`` gives ``log10 p``).  ``p_holm`` adjusts the p-values of all the pairs of one
    dataset x level x finding x subgroup (Holm).  ``estimate, ci_low, ci_high`` are the
    difference ``auc_1 - auc_2`` and its interval: DeLong's normal interval (as ``roc.test``'s
    ``conf.int``) or the paired bootstrap (the same stratified resamples for both models,
    patient-clustered for slices, clipped to [-1, 1]).

    Parameters
    ----------
    models : (str, str), optional
        The pair; default every pair of models present, in order of appearance.
    interval : {"auto", "delong", "bootstrap"}
        ``auto``: DeLong for independent rows, the paired cluster bootstrap for clustered ones.
    Other parameters
        As :func:`auc`.

    Returns
    -------
    pandas.DataFrame
        Columns ``dataset, level, finding, subgroup, subgroup_value, model_1, model_2, metric,
        estimate, ci_low, ci_high, n, n_positive, method, confidence_level, auc_1, auc_2, z,
        p_value, p_holm, n_resamples, n_failed_resamples, n_clusters, reason``; ``metric`` is
        ``auc_difference``.

    Notes
    -----
    Validated against: ``pROC::roc.test(paired=TRUE, method="delong")`` (z, p and conf.int
    within 1e-6); R ``p.adjust(method="holm")``.

    Examples
    --------
    >>> from hemstats.datasets import demo
    >>> cohort = demo.load(n_studies=200)
    >>> res = compare_auc(cohort, findings="any", level="study", cluster=None)
    >>> res[["model_1", "model_2", "n"]].values.tolist()
    [['model_a', 'model_b', 200]]
    >>> bool(0 <= res.p_value[0] <= 1), bool(res.p_holm[0] == res.p_value[0])
    (True, True)
    """
    _check_interval(interval, _AUC_INTERVALS, "compare_auc")
    check_bootstrap_options(n_resamples=n_resamples, confidence_level=confidence_level,
                            bootstrap_method=bootstrap_method, rng=rng)
    if models is not None and (isinstance(models, str) or len(models) != 2):
        raise InputError(f"compare_auc: models must be a pair of model names, got {models!r}")
    strat = _stratify(stratify, True, "compare_auc")
    joined, _, cluster_col = prepare(data, where="compare_auc", labels=labels, studies=studies, reference=reference,
                                     findings=findings, level=level, cluster=cluster, by=by)
    explicit = cluster not in (None, "auto")
    gen = np.random.default_rng(rng)
    rows: list[dict[str, Any]] = []
    q = -ndtri((1 - confidence_level) / 2)
    for group, wide in groups(joined, cluster_col):
        how = _resolve_interval(interval, wide.clusters is not None, explicit, group)
        present = wide.models
        if models is not None:
            missing = [m for m in models if m not in present]
            if missing:
                raise InputError(
                    f"compare_auc: models {missing} have no predictions for dataset {group['dataset']!r}, finding "
                    f"{group['finding']!r}; models present: {present}"
                )
            pairs = [tuple(models)]
        else:
            pairs = list(combinations(present, 2))
        for a, b in pairs:
            columns = [present.index(a), present.index(b)]
            ok = ~np.isnan(wide.scores[:, columns]).any(axis=1)
            yy, ss = wide.y[ok], wide.scores[np.ix_(ok, columns)]
            cc = None if wide.clusters is None else wide.clusters[ok]
            n_pos = int(yy.sum())
            label = "delong" if how == "delong" else method_code(bootstrap_method, stratified=strat,
                                                                clustered=cc is not None)
            base = {**group, "model_1": a, "model_2": b, "metric": "auc_difference", "n": len(yy),
                    "n_positive": n_pos, "n_clusters": len(yy) if cc is None else len(pd.unique(cc)),
                    "method": label, "confidence_level": float(confidence_level)}
            left_out = int((~ok).sum())
            note = f"{left_out} cases scored by only one model left out" if left_out else None
            if n_pos == 0 or n_pos == len(yy):
                rows.append({**base, "auc_1": np.nan, "auc_2": np.nan, "estimate": np.nan, "ci_low": np.nan,
                             "ci_high": np.nan, "z": np.nan, "p_value": np.nan, "n_resamples": 0,
                             "n_failed_resamples": 0,
                             "reason": reason_join(f"one class only ({n_pos} of {len(yy)} positive)", note)})
                continue
            est, cov = delong(yy, ss)
            diff = float(est[0] - est[1])
            var = float(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1])
            z = p = np.nan
            if cc is not None:
                note = reason_join(note, "rows are clustered: z and p from the paired cluster bootstrap "
                                         "(difference / SD of the bootstrap differences), not DeLong")
            elif var > 0:
                z = diff / np.sqrt(var)
                p, p_note = _two_sided_p(z)
                note = reason_join(note, p_note)
            else:
                note = reason_join(note, "the two models rank every pair alike: zero variance, no z")
            if how == "delong":
                sd = np.sqrt(var) if var > 0 else np.nan
                rec = {"estimate": diff, "ci_low": diff - q * sd, "ci_high": diff + q * sd,
                       "n_resamples": 0, "n_failed_resamples": 0}
            else:
                dist = bootstrap_distribution(statistic="auc", y=yy, score=ss, model=[a, b], cluster=cc,
                                              stratify=strat, n_resamples=n_resamples, rng=gen,
                                              jackknife=bootstrap_method == "bca").difference(a, b)
                ci = dist.ci(bootstrap_method=bootstrap_method, confidence_level=confidence_level).iloc[0]
                rec = {"estimate": diff, "ci_low": ci["ci_low"], "ci_high": ci["ci_high"],
                       "n_resamples": int(ci["n_resamples"]), "n_failed_resamples": int(ci["n_failed_resamples"])}
                note = reason_join(note, ci["reason"])
                boot_sd = float(np.nanstd(dist.distribution[0], ddof=1))
                if cc is not None and boot_sd > 0 and np.isfinite(ci["ci_low"]):
                    z = diff / boot_sd  # pROC::roc.test(method = "bootstrap"): D = diff / sd(boot diffs)
                    p, p_note = _two_sided_p(z)
                    note = reason_join(note, p_note)
            rows.append({**base, "auc_1": float(est[0]), "auc_2": float(est[1]), **rec, "z": z, "p_value": p,
                         "reason": reason_join(note)})
    out = result_frame(rows, extra=("model_1", "model_2"), after=_COMPARE_AFTER)
    out["p_holm"] = holm(out, list(GROUP_COLUMNS))
    for c in ("auc_1", "auc_2", "z", "p_value", "p_holm"):
        out[c] = out[c].astype(np.float64)
    return out
