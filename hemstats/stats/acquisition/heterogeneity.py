"""Does a model perform differently by acquisition stratum (kernel family, vendor, slice thickness)?

:func:`heterogeneity` is :func:`hemstats.stats.auc` and :func:`hemstats.stats.threshold_metrics`
with ``by=`` the stratum (the per-stratum rows) plus two tests of heterogeneity across the
strata, patient-clustered by default (:mod:`hemstats.stats.acquisition.clustered`):

* equal AUCs: the Wald test ``Q = (A - pooled)' S^-1 (A - pooled)`` with ``S`` the strata's
  clustered DeLong covariance (Obuchowski 1997; diagonal when no patient spans two strata,
  then Cochran's Q of a fixed-effect meta-analysis), ``K - 1`` df (:func:`auc_heterogeneity`);
* equal sensitivity and specificity: the GEE (independence, sandwich) Wald test of every
  ``stratum`` and ``class:stratum`` term of ``logit P(correct) ~ class * stratum``, where
  ``correct`` says whether the call ``score >= threshold`` matches the label.

Both clustered statistics are referred to ``F(df, m - 1)``, ``m`` the fewest clusters holding a
case (or a control) in a tested stratum: the small-sample reference of cluster-robust Wald tests.

With ``cluster=None`` (independent rows, on request) they are the DeLong Q test and the
likelihood-ratio test of the same models (:func:`correct_interaction`), whose statistic has the
closed form ``G = 2 sum x log(p_kc / p_c) + (n - x) log((1 - p_kc) / (1 - p_c))``.
Holm's method controls the family-wise error over every dataset x finding x model of a test.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats as _st
from scipy.special import ndtri

from hemstats.errors import InputError, JoinError
from hemstats.findings import FINDINGS
from hemstats.stats._core.columns import SUBGROUP_SEPARATOR, result_columns, result_frame, subgroup_name
from hemstats.stats._core.multiplicity import holm
from hemstats.stats._core.options import check_bootstrap_options
from hemstats.stats._core.resolve import resolve
from hemstats.stats._core.types import CONFIDENCE_LEVEL, LEVELS, N_RESAMPLES, BootstrapMethod, By, Findings, Level, Seed
from hemstats.stats.acquisition.clustered import (
    MIN_CLUSTERS,
    clustered_delong,
    interaction_wald,
    min_class_clusters,
    stratum_auc_covariance,
)
from hemstats.stats.acquisition.effects import _join
from hemstats.stats.acquisition.mix import harmonized, names
from hemstats.stats.diagnostic.auc import auc, delong, paired_scores
from hemstats.stats.diagnostic.operating_points import threshold_metrics

if TYPE_CHECKING:
    from hemstats.cohort import Cohort

__all__ = ["heterogeneity", "auc_heterogeneity", "correct_interaction", "HETEROGENEITY_COLUMNS", "StratumInterval"]

#: Interval of the per-stratum AUC: DeLong's (Obuchowski's clustered DeLong with clusters) or
#: the bootstrap of :func:`hemstats.stats.auc`.
StratumInterval: TypeAlias = Literal["delong", "bootstrap"]
_EXTRA: tuple[str, ...] = ("model", "kind")
_AFTER: tuple[str, ...] = ("threshold", "statistic", "df", "p_value", "p_adjusted")
#: Columns of :func:`heterogeneity`.
HETEROGENEITY_COLUMNS: tuple[str, ...] = tuple(result_columns(extra=_EXTRA, after=_AFTER))
#: ``metric`` of the test of equal sensitivity and specificity across strata.
CALLS_METRIC = "sensitivity-specificity"


def auc_heterogeneity(estimates: ArrayLike, variances: ArrayLike, *,
                      denominator_df: float | None = None) -> tuple[float, float, float, float]:
    """Chi-squared test of equal AUCs across strata (inverse-variance Cochran Q, or its Wald form).

    Parameters
    ----------
    estimates : sequence of float
        Each stratum's AUC.
    variances : sequence of float, or 2-D array
        Their variances (> 0; independent strata), or their covariance matrix (strata sharing
        patients, :func:`hemstats.stats.acquisition.clustered.stratum_auc_covariance`).
    denominator_df : float, optional
        With clustered variances: ``p_value = P(F(K - 1, denominator_df) > Q / (K - 1))``, the
        small-sample reference of a cluster-robust Wald test (:func:`heterogeneity` uses
        the fewest clusters holding a case, or a control, in a stratum, minus 1).  None: chi-squared.

    Returns
    -------
    (pooled, Q, df, p_value) : tuple of float
        ``pooled = 1' S^-1 A / 1' S^-1 1`` (``sum w_k AUC_k / sum w_k`` with ``w_k = 1 / var_k``
        for variances); ``Q = (A - pooled)' S^-1 (A - pooled)``; ``df = K - 1``;
        ``p_value = P(chi2_df > Q)``.  NaN when fewer than 2 strata, a variance is not
        positive or the covariance is not positive definite.

    Notes
    -----
    Validated against: the same sums in R (``pchisq(Q, K - 1, lower.tail=FALSE)`` on
    ``pROC::var(roc(...), method="delong")`` per stratum, tests/reference/scanner.R; on
    Obuchowski's variances, tests/reference/heterogeneity.R).

    Examples
    --------
    >>> pooled, q, df, p = auc_heterogeneity([0.9, 0.8], [0.0004, 0.0004])
    >>> round(pooled, 3), round(q, 3), df, round(p, 5)
    (0.85, 12.5, 1.0, 0.00041)
    """
    a = np.asarray(estimates, dtype=float)
    s = np.asarray(variances, dtype=float)
    if a.ndim != 1 or s.shape not in ((len(a),), (len(a), len(a))):
        raise InputError("auc_heterogeneity: variances must be a sequence as long as estimates, "
                            "or a square covariance matrix of that size")
    cov = np.diag(s) if s.ndim == 1 else s
    if len(a) < 2 or not np.all(np.isfinite(a)) or not np.all(np.isfinite(cov)) or not np.all(np.diag(cov) > 0):
        return (np.nan, np.nan, np.nan, np.nan)
    try:
        chol = np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        return (np.nan, np.nan, np.nan, np.nan)
    w = np.linalg.solve(chol.T, np.linalg.solve(chol, np.ones(len(a))))  # S^-1 1
    pooled = float(w @ a / w.sum())
    r = np.linalg.solve(chol, a - pooled)
    q = float(r @ r)
    df = float(len(a) - 1)
    if denominator_df is not None:
        return pooled, q, df, float(_st.f.sf(q / df, df, denominator_df)) if denominator_df > 0 else np.nan
    return pooled, q, df, float(_st.chi2.sf(q, df))


def correct_interaction(y: ArrayLike, correct: ArrayLike, stratum: ArrayLike, *,
                        cluster: ArrayLike | None = None) -> tuple[float, float, float]:
    """Test of ``correct ~ class * stratum`` against ``correct ~ class`` (logistic models).

    Parameters
    ----------
    y, correct : sequences of 0/1
        Class of each row, and whether its call is correct.
    stratum : sequence
    cluster : sequence, optional
        Cluster (patient) of each row: the cluster-robust GEE Wald test
        (:func:`hemstats.stats.acquisition.clustered.interaction_wald`).  None: the likelihood-ratio
        test, which assumes independent rows.

    Returns
    -------
    (G, df, p_value) : tuple of float
        NaN when ``df`` is 0 (a single stratum), or, clustered, for an infinite cell logit.

    Notes
    -----
    Validated against: ``anova(glm(correct ~ y, binomial), glm(correct ~ y * stratum,
    binomial), test="LRT")`` in R (tests/reference/scanner.R), within 1e-6; clustered:
    ``anova()`` of ``geepack::geeglm`` (tests/reference/heterogeneity.R).

    Examples
    --------
    >>> g, df, p = correct_interaction([1, 1, 1, 1, 0, 0, 0, 0], [1, 1, 0, 0, 1, 1, 1, 1], list("aabbaabb"))
    >>> round(g, 4), df
    (5.5452, 2.0)
    """
    if cluster is not None:
        return interaction_wald(y, correct, stratum, cluster)[:3]
    yy = np.asarray(y, dtype=int)
    cc = np.asarray(correct, dtype=float)
    codes, _ = pd.factorize(pd.Series(np.asarray(stratum, dtype=object)))
    g = 0.0
    df = 0
    for c in (0, 1):
        on = yy == c
        if not on.any():
            continue
        n_k = np.bincount(codes[on], minlength=codes.max() + 1).astype(float)
        x_k = np.bincount(codes[on], weights=cc[on], minlength=codes.max() + 1)
        have = n_k > 0
        n_k, x_k = n_k[have], x_k[have]
        p_c = x_k.sum() / n_k.sum()
        p_k = x_k / n_k
        with np.errstate(divide="ignore", invalid="ignore"):
            t1 = np.where(x_k > 0, x_k * np.log(p_k / p_c), 0.0)
            t2 = np.where(n_k - x_k > 0, (n_k - x_k) * np.log((1 - p_k) / (1 - p_c)), 0.0)
        g += 2 * float(np.sum(t1 + t2))
        df += int(have.sum()) - 1
    if df == 0:
        return (np.nan, np.nan, np.nan)
    g = max(g, 0.0)
    return g, float(df), float(_st.chi2.sf(g, df))


# -- the table ---------------------------------------------------------------------------------
def heterogeneity(
    data: Cohort | pd.DataFrame,
    *,
    labels: pd.DataFrame | None = None,
    studies: pd.DataFrame | None = None,
    by: By = "kernel_family",
    findings: Findings = None,
    models: str | Sequence[str] | None = None,
    level: Level = "study",
    reference: str = "consensus",
    threshold: float = 0.5,
    interval: StratumInterval = "delong",
    cluster: str | None = "patient_id",
    min_per_class: int = 5,
    min_clusters: int = MIN_CLUSTERS,
    bootstrap_method: BootstrapMethod = "percentile",
    confidence_level: float = CONFIDENCE_LEVEL,
    n_resamples: int = N_RESAMPLES,
    rng: Seed = None,
) -> pd.DataFrame:
    """AUC, sensitivity and specificity per acquisition stratum, and tests of heterogeneity.

    The per-stratum rows are :func:`hemstats.stats.auc` and
    :func:`hemstats.stats.threshold_metrics` (sensitivity and specificity) with ``by`` the
    stratum; two rows per dataset x finding x model test whether they differ across strata.

    Parameters
    ----------
    data : Cohort or pandas.DataFrame
        A Cohort, or the canonical ``predictions`` table (then ``labels=`` and ``studies=``).
    labels, studies : pandas.DataFrame, optional
        The canonical tables beside a predictions table (a Cohort brings its own).
        ``studies`` is harmonised (:func:`hemstats.acquisition.harmonize`) when it lacks the
        harmonised columns.
    by : str or list of str, default "kernel_family"
        The stratum: column(s) of the (harmonised) studies, ``kernel_family``,
        ``kernel_class``, ``vendor``, ``thickness_bin``, ``scanner_model``, ``site``...
        (``subgroup``/``subgroup_value``).  Studies with a missing stratum are left out.
    findings : str or list of str, optional
        Restrict the findings (default: all with predictions).
    models : str or list of str, optional
        Restrict the models.
    level : {"study", "slice"}, default "study"
    reference : str, default "consensus"
        The rater whose labels are the truth (or ``"majority"``, as :func:`hemstats.stats.auc`).
    threshold : float, default 0.5
        A case is called positive when ``score >= threshold``.
    interval : {"delong", "bootstrap"}, default "delong"
        Interval of the per-stratum AUC.  ``delong``: with clusters Obuchowski's clustered
        DeLong variance (``clustered-delong``, the variance the Q test uses), without them
        :func:`~hemstats.stats.auc`'s DeLong (``delong``).  ``bootstrap``:
        :func:`~hemstats.stats.auc`'s (cluster) bootstrap.  Sensitivity and specificity get
        :func:`~hemstats.stats.threshold_metrics`'s Wilson interval for independent rows, its
        cluster bootstrap otherwise.
    cluster : str or None, default "patient_id"
        Studies column whose rows are correlated (a patient's slices and studies): the DeLong
        variances are Obuchowski's clustered ones, the interaction test is a GEE Wald test with
        the sandwich variance, the bootstrap resamples whole clusters.  Without any
        ``patient_id`` studies are the clusters; a study with a missing id is its own cluster.
        ``None``: every row independent (DeLong, likelihood-ratio test), valid only when no
        patient contributes two rows; the methods say ``independent``.
    min_per_class : int, default 5
        A stratum with fewer cases (or controls) is left out of the heterogeneity tests (its
        rows say so in ``reason``).
    min_clusters : int, default 10
        With clustering, a stratum needs this many clusters to enter the tests (sandwich and
        Obuchowski variances of fewer clusters are unreliable).  The tests need two strata.
    bootstrap_method : {"percentile", "basic", "bca"}
    confidence_level : float, default 0.95
    n_resamples : int, default 2000
        Bootstrap resamples (an integer in [2, 10**7]).
    rng : None, int or numpy.random.Generator

    Returns
    -------
    pandas.DataFrame
        :data:`HETEROGENEITY_COLUMNS`: the result columns with ``model, kind`` before the
        estimate and ``threshold, statistic, df, p_value, p_adjusted`` after it.

        * ``kind == "stratum"``: the rows of :func:`~hemstats.stats.auc` (``metric`` ``auc``;
          with clusters and ``interval="delong"`` the ``clustered-delong`` rows) and of
          :func:`~hemstats.stats.threshold_metrics` (``sensitivity``, ``specificity``).
        * ``kind == "heterogeneity"`` (``subgroup_value`` missing): ``metric == "auc"``,
          method ``q-test-clustered-delong`` (``q-test-delong-independent``): ``estimate`` the
          pooled AUC, ``statistic`` the Wald (Cochran Q) chi-squared of equal AUCs;
          ``metric == "sensitivity-specificity"``, method ``gee-wald-sandwich``
          (``lr-test-independent``): do sensitivity or specificity differ between strata.
          Clustered ``p_value``: ``P(F(df, m - 1) > statistic / df)`` (see the module notes);
          independent: chi-squared.  ``p_adjusted`` is Holm's over every dataset x finding x
          model of the same test.  ``n`` and ``n_clusters`` count the rows and clusters of the
          strata tested.

    Notes
    -----
    Validated against: per-stratum ``pROC::auc`` / ``pROC::ci.auc(method="delong")`` and the
    Q test on ``pROC::var``, the LR test by ``anova(glm)`` (``cluster=None``,
    tests/reference/scanner.R); Obuchowski's variance written out in R and the GEE Wald test by
    ``anova(geepack::geeglm(corstr="independence"))`` (tests/reference/heterogeneity.R).
    Under a clustered null (100 patients x 10 slices, ICC 0.5, 3 strata by patient) the
    clustered tests reject 3.9 % (AUC) and 5.1 % (interaction) at alpha 0.05, the
    independent-rows ones 32 % and 51 % (tests/stats/test_scanner_heterogeneity.py).

    References
    ----------
    DeLong ER, DeLong DM, Clarke-Pearson DL (1988). Biometrics 44:837-845.
    Obuchowski NA (1997). Nonparametric analysis of clustered ROC curve data. Biometrics 53:567-578.
    Liang KY, Zeger SL (1986). Biometrika 73:13-22.
    Holm S (1979). Scand J Statist 6:65-70.

    Examples
    --------
    >>> from hemstats.datasets import demo
    >>> cohort = demo.load(n_studies=600)
    >>> res = heterogeneity(cohort, findings="any", n_resamples=50, rng=0)
    >>> per = res.query("kind == 'stratum' and metric == 'auc'")
    >>> per[["model", "subgroup_value", "n", "method"]].values.tolist()[:2]
    [['model_a', 'soft', 176, 'clustered-delong'], ['model_a', 'standard', 271, 'clustered-delong']]
    >>> res.query("kind == 'heterogeneity'")[["model", "method", "df"]].values.tolist()[:2]
    [['model_a', 'q-test-clustered-delong', 2.0], ['model_a', 'gee-wald-sandwich', 4.0]]
    """
    where = "heterogeneity"
    tables = resolve(data, "predictions", where=where, need=("labels", "studies"), labels=labels, studies=studies)
    assert tables.labels is not None and tables.studies is not None
    strata_cols = names(by, "by")
    if not strata_cols:
        raise InputError(f"{where}: by must name the stratum column(s) of studies, got {by!r}")
    _check_options(where, level=level, threshold=threshold, interval=interval, cluster=cluster,
                   min_per_class=min_per_class, min_clusters=min_clusters)
    check_bootstrap_options(n_resamples=n_resamples, confidence_level=confidence_level,
                            bootstrap_method=bootstrap_method, rng=rng)
    wanted = _findings(findings, where)
    predictions = _models(tables.main, models, where)
    h, cluster_col, cluster_note = _strata_table(tables.studies, strata_cols, cluster, where)
    gen = np.random.default_rng(rng)
    common: dict[str, Any] = {"labels": tables.labels, "studies": h, "findings": wanted, "level": level,
                              "by": strata_cols, "reference": reference, "bootstrap_method": bootstrap_method,
                              "confidence_level": confidence_level, "n_resamples": n_resamples}
    clustered = cluster_col is not None
    per_stratum = []
    if interval == "bootstrap" or not clustered:
        per_stratum.append(auc(predictions, interval=interval, cluster=cluster_col, rng=gen, **common))
    rates = threshold_metrics(predictions, threshold=threshold, interval="auto" if clustered else "wilson",
                              cluster=cluster_col, rng=gen, **common)
    per_stratum.append(rates[rates["metric"].isin(["sensitivity", "specificity"])])
    stratum_rows = pd.concat([f for f in per_stratum if len(f)], ignore_index=True)
    stratum_rows["kind"] = "stratum"
    order = _stratum_order(h, strata_cols)
    rows: list[dict] = []
    notes: dict[tuple, str] = {}
    q = -ndtri((1 - confidence_level) / 2)
    groups = stratum_rows[["dataset", "level", "finding", "model"]].drop_duplicates()
    for dataset, lev, finding, model in groups.itertuples(index=False):
        arrays = _arrays(predictions, tables.labels, h, strata_cols, cluster_col, dataset=dataset, level=lev,
                         finding=finding, model=model, reference=reference)
        if arrays is None:
            continue
        y_all, s_all, st_all, cl_all = arrays
        base = {"dataset": dataset, "level": lev, "finding": finding, "subgroup": subgroup_name(strata_cols),
                "model": model, "confidence_level": float(confidence_level)}
        tested, q_strata = [], []
        for value in [v for v in order if v in set(st_all)]:
            on = st_all == value
            y, s = y_all[on], s_all[on]
            cl = cl_all[on] if cl_all is not None else None
            n_pos, n_neg = int(y.sum()), int(len(y) - y.sum())
            n_cl = len(pd.unique(cl)) if cl is not None else len(y)
            why = []
            if n_pos < min_per_class:
                why.append(f"{n_pos} positive < min_per_class={min_per_class}")
            if n_neg < min_per_class:
                why.append(f"{n_neg} negative < min_per_class={min_per_class}")
            if clustered and n_cl < min_clusters:
                why.append(f"{n_cl} clusters < min_clusters={min_clusters}")
            var = np.nan
            if n_pos and n_neg:
                if cl is not None:
                    a, var, _ = clustered_delong(y, s, cl)
                else:
                    est, cov = delong(y, s)
                    a, var = float(est[0]), float(cov[0, 0])
            ok = bool(np.isfinite(var) and var > 0)
            if clustered and interval == "delong":
                rows.append(_clustered_delong_row(base, value, y, a if n_pos and n_neg else np.nan, var, n_cl, q))
            if why:
                notes[(dataset, lev, finding, model, value)] = "left out of the heterogeneity tests: " + "; ".join(why)
                continue
            tested.append(value)
            if ok:
                q_strata.append(value)
        rows.extend(_heterogeneity_rows(base, y_all, s_all, st_all, cl_all, tested, q_strata, order,
                                        cluster_note=cluster_note, threshold=threshold))
    out = pd.concat([stratum_rows, pd.DataFrame(rows)], ignore_index=True) if rows else stratum_rows
    out = _annotate(out, notes, order, threshold)
    out = result_frame(out, extra=_EXTRA, after=_AFTER)
    out["p_adjusted"] = holm(out, ["kind", "method"])
    out.loc[out["kind"] != "heterogeneity", "p_adjusted"] = np.nan
    for c in ("threshold", "statistic", "df", "p_value", "p_adjusted"):
        out[c] = out[c].astype(float)
    return out


def _check_options(where: str, *, level: Any, threshold: Any, interval: Any, cluster: Any, min_per_class: Any,
                   min_clusters: Any) -> None:
    def whole(value: Any) -> bool:
        return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))

    if level not in LEVELS:
        raise InputError(f"{where}: level must be 'study' or 'slice', got {level!r}")
    if not isinstance(threshold, numbers.Real) or isinstance(threshold, (bool, np.bool_)) \
            or not np.isfinite(float(threshold)):
        raise InputError(f"{where}: threshold must be a finite number, got {threshold!r}")
    if interval not in ("delong", "bootstrap"):
        raise InputError(f"{where}: interval must be 'delong' or 'bootstrap', got {interval!r}")
    if cluster is not None and not isinstance(cluster, str):
        raise InputError(f"{where}: cluster must be a column name of studies or None, got {cluster!r}")
    if not whole(min_per_class) or min_per_class < 1:
        raise InputError(f"{where}: min_per_class must be an integer >= 1, got {min_per_class!r}")
    if not whole(min_clusters) or min_clusters < 2:
        raise InputError(f"{where}: min_clusters must be an integer >= 2, got {min_clusters!r}")


def _findings(findings: Findings, where: str) -> list[str] | None:
    if findings is None:
        return None
    wanted = [findings] if isinstance(findings, str) else list(findings) if isinstance(findings, Sequence) else []
    if not wanted or not all(isinstance(f, str) for f in wanted):
        raise InputError(f"{where}: findings must be a finding code or a list of them, got {findings!r}")
    unknown = [f for f in wanted if f not in FINDINGS]
    if unknown:
        raise InputError(f"{where}: findings: unknown finding(s) {unknown}; expected codes of {list(FINDINGS)}")
    return wanted


def _models(predictions: pd.DataFrame, models: str | Sequence[str] | None, where: str) -> pd.DataFrame:
    wanted = names(models, "models")
    if not wanted:
        return predictions
    present = set(predictions["model"].astype(object))
    absent = [m for m in wanted if m not in present]
    if absent:
        raise InputError(f"{where}: models: no predictions of model(s) {absent}; models present: {sorted(present)}")
    return predictions[predictions["model"].astype(object).isin(wanted)]


def _strata_table(studies: pd.DataFrame, by: list[str], cluster: str | None,
                  where: str) -> tuple[pd.DataFrame, str | None, str | None]:
    """Harmonised studies (a copy) with the cluster column completed, the cluster column and a note."""
    h = harmonized(studies)
    for col in by:
        if col not in h.columns:
            raise InputError(f"{where}: by: {col!r} is not a column of studies (or a harmonised column); "
                             f"expected one of {list(h.columns)}")
        if h[col].isna().all():
            raise InputError(f"{where}: by: column {col!r} of studies has no value (all missing)")
    dup = h.duplicated(["dataset", "study_id"], keep=False).to_numpy()
    if dup.any():
        rows = ", ".join(str(r) for r in np.flatnonzero(dup)[:5])
        raise InputError(f"{where}: studies: duplicate (dataset, study_id) rows {rows}; expected one row per study")
    if cluster is None:
        return h, None, None
    column, note = cluster, None
    if cluster == "patient_id" and ("patient_id" not in h.columns or h["patient_id"].isna().all()):
        column, note = "study_id", "no patient_id in studies: clustered by study_id"
    elif cluster not in h.columns:
        raise InputError(f"{where}: cluster: {cluster!r} is not a column of studies; expected one of {list(h.columns)}")
    ids = h[column].astype(object)
    if ids.isna().any():
        note = f"{int(ids.isna().sum())} studies without {column}: each its own cluster"
        h[column] = ids.where(ids.notna(), "study:" + h["study_id"].astype(str))
    return h, column, note


def _stratum_order(h: pd.DataFrame, by: list[str]) -> list[str]:
    """The strata as ``subgroup_value`` texts: category order for categorical columns, else sorted."""
    def levels(col: str) -> list[Any]:
        values = h[col]
        if isinstance(values.dtype, pd.CategoricalDtype):
            present = set(values.dropna().astype(object))
            return [c for c in values.cat.categories if c in present]
        return sorted(values.dropna().astype(object).unique(), key=str)

    combos: list[tuple[Any, ...]] = [()]
    for col in by:
        combos = [(*c, v) for c in combos for v in levels(col)]
    return [SUBGROUP_SEPARATOR.join(str(v) for v in c) for c in combos]


def _arrays(predictions: pd.DataFrame, labels: pd.DataFrame, h: pd.DataFrame, by: list[str], cluster: str | None, *,
            dataset: Any, level: Any, finding: Any, model: Any,
            reference: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None] | None:
    """``(y, score, stratum, cluster)`` of one dataset x finding x model (rows with a stratum)."""
    mine = predictions[(predictions["model"].astype(object) == model)
                       & (predictions["dataset"].astype(object) == dataset)]
    try:
        y, scores = paired_scores(mine, labels=labels, findings=str(finding), dataset=dataset, level=str(level),
                                  reference=reference)
    except JoinError:
        return None
    study = scores.index.get_level_values("study_id").astype(object)
    own = h[h["dataset"].astype(object) == dataset].assign(study_id=lambda d: d["study_id"].astype(object))
    own = own.drop_duplicates("study_id").set_index("study_id", drop=False)
    parts = [own[c].astype(object).reindex(study) for c in by]
    missing = np.zeros(len(study), dtype=bool)
    for part in parts:
        missing |= part.isna().to_numpy()
    text = parts[0].map(str).to_numpy(dtype=object)
    for part in parts[1:]:
        text = text + SUBGROUP_SEPARATOR + part.map(str).to_numpy(dtype=object)
    keep = ~missing
    cl = None
    if cluster is not None:
        ids = own[cluster].astype(object).reindex(study).to_numpy()
        ids = np.where(pd.isna(ids), "row:" + pd.Series(np.arange(len(ids))).astype(str).to_numpy(), ids)
        cl = ids[keep]
    return (y[keep].astype(int), scores.iloc[:, 0].to_numpy(dtype=float)[keep], text[keep], cl)


def _clustered_delong_row(base: dict, value: str, y: np.ndarray, a: float, var: float, n_cl: int, q: float) -> dict:
    ok = bool(np.isfinite(var) and var > 0)
    n_pos = int(y.sum())
    if n_pos == 0 or n_pos == len(y):
        why = f"one class only ({n_pos} of {len(y)} positive): auc undefined"
    elif not ok:
        why = ("zero DeLong variance (perfect separation): no interval" if np.isfinite(var)
               else "fewer than 2 clusters with a case or a control: no variance")
    else:
        why = None
    sd = np.sqrt(var) if ok else np.nan
    return {**base, "subgroup_value": value, "kind": "stratum", "metric": "auc", "estimate": a,
            "ci_low": max(0.0, a - q * sd) if ok else np.nan, "ci_high": min(1.0, a + q * sd) if ok else np.nan,
            "n": len(y), "n_positive": n_pos, "n_clusters": n_cl, "method": "clustered-delong", "reason": why}


def _annotate(out: pd.DataFrame, notes: dict[tuple, str], order: list[str], threshold: float) -> pd.DataFrame:
    """Notes of strata left out of the tests in ``reason``; rows sorted stratum by stratum, tests last."""
    out = out.copy()
    if "operating_point" in out:
        out = out.drop(columns="operating_point")
    sens = out["metric"].isin(["sensitivity", "specificity", CALLS_METRIC])
    out["threshold"] = np.where(sens, float(threshold), np.nan)
    keys = list(zip(out["dataset"], out["level"], out["finding"], out["model"], out["subgroup_value"]))
    extra = pd.Series([notes.get(k) for k in keys], index=out.index, dtype=object)
    out["reason"] = [_join(r, e) for r, e in zip(out["reason"], extra)]
    rank = {v: i for i, v in enumerate(order)}
    metric_rank = {"auc": 0, "sensitivity": 1, "specificity": 2, CALLS_METRIC: 3}
    group_rank = {k: i for i, k in enumerate(dict.fromkeys(zip(out["dataset"], out["level"], out["finding"],
                                                                out["model"])))}
    out["__g"] = [group_rank[k] for k in zip(out["dataset"], out["level"], out["finding"], out["model"])]
    out["__s"] = [len(order) if pd.isna(v) else rank.get(v, len(order)) for v in out["subgroup_value"]]
    out["__m"] = out["metric"].map(metric_rank).fillna(9)
    out["__b"] = out["method"].astype(str).str.contains("bootstrap").astype(int)
    out = out.sort_values(["__g", "__s", "__m", "__b"], kind="stable")
    return out.drop(columns=["__g", "__s", "__m", "__b"]).reset_index(drop=True)


def _heterogeneity_rows(base: dict, y_all: np.ndarray, s_all: np.ndarray, st_all: np.ndarray,
                        cl_all: np.ndarray | None, tested: list, q_strata: list, order: list[str], *,
                        cluster_note: str | None, threshold: float) -> list[dict]:
    """The Q test of equal AUCs and the interaction test of correct calls, over the tested strata."""
    clustered = cl_all is not None
    het = {**base, "subgroup_value": None, "kind": "heterogeneity", "ci_low": np.nan, "ci_high": np.nan}
    in_test = np.isin(st_all, tested)
    y_t, s_t, st_t = y_all[in_test], s_all[in_test], st_all[in_test]
    cl_t = cl_all[in_test] if cl_all is not None else None
    n_cl = len(pd.unique(cl_t)) if cl_t is not None else int(in_test.sum())
    left = [v for v in order if v in set(st_all) and v not in tested]
    left_note = f"strata left out: {', '.join(left)}" if left else None
    rows = []
    # -- equal AUCs ----------------------------------------------------------------------------
    on = np.isin(st_t, q_strata)
    why, span = None, None
    if len(q_strata) < 2:
        pooled = stat = df = p = np.nan
        why = f"{len(q_strata)} stratum(s) with an AUC: no test"
    elif cl_t is not None:
        cl_on = cl_t[on]
        _, a, cov = stratum_auc_covariance(y_t[on], s_t[on], st_t[on], cl_on)
        m = min_class_clusters(y_t[on], st_t[on], cl_on)
        pooled, stat, df, p = auc_heterogeneity(a, cov, denominator_df=m - 1)
        shared = pd.Series(st_t[on]).groupby(pd.Series(cl_on)).nunique()
        span = f"{int((shared > 1).sum())} clusters in several strata (covariance in the test)" if (
            shared > 1).any() else None
        why = None if np.isfinite(stat) else "covariance of the strata's AUCs not positive definite: no test"
    else:
        a_list, v_list = [], []
        for value in q_strata:
            est, cov = delong(y_t[st_t == value], s_t[st_t == value])
            a_list.append(float(est[0]))
            v_list.append(float(cov[0, 0]))
        pooled, stat, df, p = auc_heterogeneity(a_list, v_list)
    rows.append({**het, "metric": "auc", "estimate": pooled, "statistic": stat, "df": df, "p_value": p,
                 "n": int(on.sum()), "n_positive": int(y_t[on].sum()),
                 "n_clusters": len(pd.unique(cl_t[on])) if cl_t is not None else int(on.sum()),
                 "method": "q-test-clustered-delong" if clustered else "q-test-delong-independent",
                 "reason": _join(cluster_note, left_note, span, why)})
    # -- equal sensitivity and specificity --------------------------------------------------------
    correct = ((s_t >= threshold).astype(int) == y_t).astype(int)
    if len(tested) < 2:
        g, gdf, gp, why = np.nan, np.nan, np.nan, f"{len(tested)} stratum(s) tested: no test"
    elif cl_t is not None:
        g, gdf, gp, why = interaction_wald(y_t, correct, st_t, cl_t)
    else:
        g, gdf, gp = correct_interaction(y_t, correct, st_t)
        why = None if np.isfinite(g) else "fewer than 2 strata: no test"
    rows.append({**het, "metric": CALLS_METRIC, "estimate": np.nan, "statistic": g, "df": gdf, "p_value": gp,
                 "n": int(in_test.sum()), "n_positive": int(y_t.sum()), "n_clusters": n_cl,
                 "method": "gee-wald-sandwich" if clustered else "lr-test-independent",
                 "reason": _join(cluster_note, left_note, why)})
    return rows


