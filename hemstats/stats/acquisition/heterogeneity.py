"""Does a model perform differently by acquisition stratum (kernel family, vendor, slice thickness)?

:func:`performance_by_stratum` gives, per dataset x finding x model and per stratum, the AUC
(DeLong and bootstrap CIs), sensitivity and specificity at a threshold, and two tests of
heterogeneity across the strata, patient-clustered by default
(:mod:`hemstats.stats.acquisition.clustered`):

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

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats as _st
from scipy.special import ndtri

from hemstats.errors import HemstatsError
from hemstats.stats._core.intervals import interval as _interval
from hemstats.stats.acquisition._input import check_options, joined_table, stratum_order
from hemstats.stats.acquisition.clustered import (
    MIN_CLUSTERS,
    clustered_delong,
    interaction_wald,
    min_class_clusters,
    stratum_auc_covariance,
)
from hemstats.stats.acquisition.mix import _join, holm
from hemstats.stats.diagnostic.auc import delong
from hemstats.stats.resampling.engine import bootstrap_ci

__all__ = ["performance_by_stratum", "auc_heterogeneity", "correct_interaction", "STRATUM_COLUMNS"]

#: Columns of :func:`performance_by_stratum`.
STRATUM_COLUMNS: tuple[str, ...] = (
    "dataset", "level", "finding", "model", "stratum", "stratum_value", "kind", "metric", "estimate", "ci_low",
    "ci_high", "statistic", "df", "p_value", "p_adjusted", "n", "n_positive", "method", "confidence_level",
    "n_clusters", "reason",
)


def auc_heterogeneity(estimates: Sequence[float], variances: Any, *,
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
        small-sample reference of a cluster-robust Wald test (``performance_by_stratum`` uses
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
        raise HemstatsError("auc_heterogeneity: variances must be a sequence as long as estimates, "
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


def correct_interaction(y: Sequence[int], correct: Sequence[int], stratum: Sequence[Any], *,
                        cluster: Sequence[Any] | None = None) -> tuple[float, float, float]:
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
class _Rate:
    """Sensitivity (``positive=True``) or specificity at a fixed threshold, over resample weights."""

    def __init__(self, threshold: float, positive: bool) -> None:
        self.threshold, self.positive = threshold, positive
        self.name = "sensitivity" if positive else "specificity"

    def prepare(self, y: np.ndarray, score: np.ndarray):
        cls = (y == 1) if self.positive else (y == 0)
        hit = cls & ((score >= self.threshold) if self.positive else (score < self.threshold))
        cls_f, hit_f = cls.astype(float), hit.astype(float)

        def evaluate(w: np.ndarray) -> np.ndarray:
            den = w @ cls_f
            with np.errstate(invalid="ignore", divide="ignore"):
                return np.where(den > 0, (w @ hit_f) / np.where(den > 0, den, 1.0), np.nan)

        return evaluate

    def __call__(self, y, score, weights):
        return self.prepare(y, score)(weights)


def performance_by_stratum(
    predictions: Any,
    labels: pd.DataFrame | None = None,
    studies: pd.DataFrame | None = None,
    *,
    stratum: str = "kernel_family",
    findings: str | Sequence[str] | None = None,
    models: str | Sequence[str] | None = None,
    level: Literal["study", "slice"] = "study",
    reference: str = "consensus",
    threshold: float = 0.5,
    min_per_class: int = 5,
    cluster: str | None = "patient_id",
    min_clusters: int = MIN_CLUSTERS,
    n_resamples: int = 2000,
    bootstrap_method: Literal["percentile", "basic", "bca"] = "percentile",
    confidence_level: float = 0.95,
    rng: int | np.random.Generator | None = None,
) -> pd.DataFrame:
    """AUC, sensitivity and specificity per acquisition stratum, and tests of heterogeneity.

    Parameters
    ----------
    predictions : pandas.DataFrame or Cohort
        The ``predictions`` table, or a Cohort (then ``labels`` and ``studies`` default to its own).
    labels, studies : pandas.DataFrame
        The ``labels`` and ``studies`` tables; ``studies`` is harmonised
        (:func:`hemstats.acquisition.harmonize`) when it lacks the harmonised columns.
    stratum : str, default "kernel_family"
        A column of the (harmonised) studies: ``kernel_family``, ``kernel_class``, ``vendor``,
        ``thickness_bin``, ``scanner_model``, ``site``...  Studies with a missing stratum are
        left out (counted in ``reason``).
    findings, models : str or list, optional
        Restrict the findings / models (default: all with predictions).
    level : {"study", "slice"}, default "study"
    reference : str, default "consensus"
        The rater whose labels are the truth.
    threshold : float, default 0.5
        A case is called positive when ``score >= threshold``.
    min_per_class : int, default 5
        A stratum with fewer cases (or controls) gets NaN AUC with a reason, and is left out of
        the heterogeneity tests; sensitivity (specificity) needs that many cases (controls).
    cluster : str or None, default "patient_id"
        Studies column whose rows are correlated (a patient's slices and studies): the DeLong
        variances are Obuchowski's clustered ones, the interaction test is a GEE Wald test with
        the sandwich variance, the bootstrap resamples whole clusters.  Without a
        ``patient_id`` column (or all missing) studies are the clusters; a study with a missing
        id is its own cluster.  ``None``: every row independent (DeLong, likelihood-ratio test),
        valid only when no patient contributes two rows; the methods say ``independent``.
    min_clusters : int, default 10
        With clustering, a stratum needs this many clusters to enter the heterogeneity tests
        (sandwich and Obuchowski variances of fewer clusters are unreliable); fewer: left out
        with a ``reason``.  The tests need two strata.
    n_resamples : int, default 2000
        Bootstrap resamples; 0 skips the bootstrap (no bootstrap AUC rows; sensitivity and
        specificity get Wilson intervals, which ignore clustering): the fast path.
    bootstrap_method : {"percentile", "basic", "bca"}
    confidence_level : float, default 0.95
    rng : None, int or numpy.random.Generator

    Returns
    -------
    pandas.DataFrame
        Columns ``dataset, level, finding, model, stratum, stratum_value, kind, metric, estimate,
        ci_low, ci_high, statistic, df, p_value, p_adjusted, n, n_positive, method,
        confidence_level, n_clusters, reason``.

        * ``kind == "stratum"``: one row per stratum and ``metric``: ``auc`` with ``method``
          ``clustered-delong`` (``delong`` when ``cluster=None``), ``auc`` with
          ``cluster-bootstrap-<method>`` (``bootstrap-<method>``); ``sensitivity`` and
          ``specificity`` with the bootstrap or ``wilson``.
        * ``kind == "heterogeneity"`` (``stratum_value`` missing): ``metric == "auc"``, method
          ``q-test-clustered-delong`` (``q-test-delong-independent``): ``estimate`` the pooled
          AUC, ``statistic`` the Wald (Cochran Q) chi-squared of equal AUCs; ``metric ==
          "correct"``, method ``gee-wald-sandwich`` (``lr-test-independent``): do sensitivity
          or specificity differ between strata.  Clustered ``p_value``: ``P(F(df, m - 1) >
          statistic / df)`` (see the module notes); independent: chi-squared.  ``p_adjusted`` is Holm's over every dataset x
          finding x model of the same test.  ``n`` and ``n_clusters`` count the rows and
          clusters of the strata tested.

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
    >>> res = performance_by_stratum(cohort, findings="any", n_resamples=0)
    >>> auc = res.query("kind == 'stratum' and metric == 'auc'")
    >>> auc[["model", "stratum_value", "n", "method"]].values.tolist()[:2]
    [['model_a', 'soft', 176, 'clustered-delong'], ['model_a', 'standard', 271, 'clustered-delong']]
    >>> res.query("kind == 'heterogeneity'")[["model", "method", "df"]].values.tolist()[:2]
    [['model_a', 'q-test-clustered-delong', 2.0], ['model_a', 'gee-wald-sandwich', 4.0]]
    """
    from hemstats.cohort import Cohort

    if isinstance(predictions, Cohort):
        cohort = predictions
        predictions = cohort.predictions
        labels = cohort.labels if labels is None else labels
        studies = cohort.studies if studies is None else studies
    if labels is None or studies is None:
        raise HemstatsError("performance_by_stratum: pass predictions, labels and studies (or a Cohort)")
    if level not in ("study", "slice"):
        raise HemstatsError(f"level must be 'study' or 'slice', got {level!r}")
    check_options(threshold=threshold, min_per_class=min_per_class, min_clusters=min_clusters,
                   n_resamples=n_resamples, bootstrap_method=bootstrap_method, confidence_level=confidence_level)
    n_resamples, min_per_class, min_clusters = int(n_resamples), int(min_per_class), int(min_clusters)
    gen = np.random.default_rng(rng)
    joined, cluster_note = joined_table(predictions, labels, studies, stratum=stratum, level=level, reference=reference,
                                   findings=findings, models=models, cluster=cluster)
    clustered = cluster is not None
    q = -ndtri((1 - confidence_level) / 2)
    boot_label = f"{'cluster-' if clustered else ''}bootstrap-{bootstrap_method}"
    rows: list[dict] = []
    for (dataset, finding, model), part in joined.groupby(["dataset", "finding", "model"], sort=False):
        no_label = int(part["y"].isna().sum())
        no_stratum = int((part["y"].notna() & part["__stratum"].isna()).sum())
        part = part[part["y"].notna() & part["__stratum"].notna()]
        note = _join(f"{no_label} predictions without a {reference!r} label left out" if no_label else None,
                     f"{no_stratum} without {stratum} left out" if no_stratum else None)
        common = {"dataset": dataset, "level": level, "finding": finding, "model": model, "stratum": stratum,
                  "confidence_level": float(confidence_level)}
        tested, q_strata = [], []
        for value in stratum_order(part["__stratum"]):
            sp = part[part["__stratum"].astype(object) == value]
            y = sp["y"].to_numpy(dtype=int)
            s = sp["score"].to_numpy(dtype=float)
            cl = sp["__cluster"].to_numpy() if clustered else None
            n_pos, n_neg = int(y.sum()), int(len(y) - y.sum())
            n_cl = len(pd.unique(cl)) if clustered else len(y)
            base = {**common, "stratum_value": value, "kind": "stratum", "statistic": np.nan, "df": np.nan,
                    "p_value": np.nan, "n": len(y), "n_positive": n_pos, "n_clusters": n_cl}
            few = []
            if n_pos < min_per_class:
                few.append(f"{n_pos} positive < min_per_class={min_per_class}")
            if n_neg < min_per_class:
                few.append(f"{n_neg} negative < min_per_class={min_per_class}")
            if n_pos == 0 or n_neg == 0:
                few.insert(0, "one class only")
            auc_methods = ["clustered-delong" if clustered else "delong"] + ([boot_label] if n_resamples else [])
            if few:
                for m in auc_methods:
                    rows.append({**base, "metric": "auc", "estimate": np.nan, "ci_low": np.nan, "ci_high": np.nan,
                                 "method": m, "reason": _join(note, "; ".join(few))})
            else:
                if clustered:
                    a, v, _ = clustered_delong(y, s, cl)
                else:
                    est, cov = delong(y, s)
                    a, v = float(est[0]), float(cov[0, 0])
                ok = bool(np.isfinite(v) and v > 0)
                sd = np.sqrt(v) if ok else np.nan
                why = None if ok else ("zero DeLong variance (perfect separation): left out of the Q test"
                                       if np.isfinite(v) else "fewer than 2 clusters with a case or a control: "
                                       "no variance")
                small = clustered and n_cl < min_clusters
                rows.append({**base, "metric": "auc", "estimate": a, "ci_low": max(0.0, a - q * sd) if ok else np.nan,
                             "ci_high": min(1.0, a + q * sd) if ok else np.nan, "method": auc_methods[0],
                             "reason": _join(note, why, f"{n_cl} clusters < min_clusters={min_clusters}: left out "
                                                        "of the heterogeneity tests" if small else None)})
                if not small:
                    tested.append(value)
                    if ok:
                        q_strata.append(value)
                if n_resamples:
                    ci = bootstrap_ci("auc", y, s, model=str(model), cluster=cl, method=bootstrap_method,
                                      n_resamples=n_resamples, confidence_level=confidence_level, rng=gen).iloc[0]
                    rows.append({**base, "metric": "auc", "estimate": float(ci["estimate"]), "ci_low": ci["ci_low"],
                                 "ci_high": ci["ci_high"], "method": boot_label, "reason": _join(note, ci["reason"])})
            rows.extend(_rate_rows(base, y, s, cl, note, threshold=threshold, min_per_class=min_per_class,
                                   n_resamples=n_resamples, bootstrap_method=bootstrap_method, boot_label=boot_label,
                                   confidence_level=confidence_level, rng=gen))
        rows.extend(_heterogeneity_rows(common, part, tested, q_strata, note=note, cluster_note=cluster_note,
                                        clustered=clustered, threshold=threshold))
    out = pd.DataFrame(rows, columns=[c for c in STRATUM_COLUMNS if c != "p_adjusted"])
    out.insert(STRATUM_COLUMNS.index("p_adjusted"), "p_adjusted", holm(out, ["kind", "method"]))
    out.loc[out["kind"] != "heterogeneity", "p_adjusted"] = np.nan
    for c in ("dataset", "level", "finding", "model", "stratum", "kind", "metric", "method", "reason"):
        out[c] = out[c].astype("string")
    out["stratum_value"] = out["stratum_value"].astype(object)
    out[["n", "n_positive", "n_clusters"]] = out[["n", "n_positive", "n_clusters"]].astype("int64")
    for c in ("estimate", "ci_low", "ci_high", "statistic", "df", "p_value"):
        out[c] = out[c].astype(float)
    return out


def _rate_rows(base: dict, y: np.ndarray, s: np.ndarray, cl: np.ndarray | None, note: Any, *, threshold: float,
               min_per_class: int, n_resamples: int, bootstrap_method: str, boot_label: str,
               confidence_level: float, rng: np.random.Generator) -> list[dict]:
    """Sensitivity and specificity rows of one stratum."""
    rows = []
    n_pos = int(y.sum())
    for positive, count in ((True, n_pos), (False, len(y) - n_pos)):
        rate = _Rate(threshold, positive)
        cls = (y == 1) if positive else (y == 0)
        hits = int((cls & ((s >= threshold) if positive else (s < threshold))).sum())
        n_cl = len(y) if cl is None else len(pd.unique(cl[cls]))
        row = {**base, "metric": rate.name, "n": count, "n_positive": n_pos if positive else 0, "n_clusters": n_cl}
        if count < min_per_class:
            rows.append({**row, "estimate": np.nan, "ci_low": np.nan, "ci_high": np.nan,
                         "method": boot_label if n_resamples else "wilson",
                         "reason": _join(note, f"{count} {'positive' if positive else 'negative'} < "
                                               f"min_per_class={min_per_class}")})
        elif n_resamples:
            # Bootstrap within the class only: the rate's denominator stays fixed, as pROC's ci.se.
            ci = bootstrap_ci(rate, y[cls], s[cls], model=rate.name, cluster=None if cl is None else cl[cls],
                              stratify=False, method=bootstrap_method, n_resamples=n_resamples,
                              confidence_level=confidence_level, rng=rng).iloc[0]
            rows.append({**row, "estimate": hits / count, "ci_low": ci["ci_low"], "ci_high": ci["ci_high"],
                         "method": boot_label, "reason": _join(note, ci["reason"])})
        else:
            low, high = _interval(hits, count, confidence_level, "wilson")
            rows.append({**row, "estimate": hits / count, "ci_low": float(low), "ci_high": float(high),
                         "method": "wilson", "reason": _join(note, f"Wilson interval ignores clustering ({n_cl} "
                                                                   f"clusters, {count} rows)" if n_cl < count else None)})
    return rows


def _heterogeneity_rows(common: dict, part: pd.DataFrame, tested: list, q_strata: list, *, note: Any,
                        cluster_note: str | None, clustered: bool, threshold: float) -> list[dict]:
    """The Q test of equal AUCs and the interaction test of correct calls, over the tested strata."""
    het = {**common, "stratum_value": pd.NA, "kind": "heterogeneity", "ci_low": np.nan, "ci_high": np.nan}
    values = part["__stratum"].astype(object)
    in_test = values.isin(tested).to_numpy()
    sub = part[in_test]
    n_test, pos_test = int(in_test.sum()), int(sub["y"].sum())
    n_cl = len(pd.unique(sub["__cluster"])) if clustered else n_test
    left = [str(v) for v in stratum_order(part["__stratum"]) if v not in tested]
    left_note = f"strata left out: {', '.join(left)}" if left else None
    y_all = sub["y"].to_numpy(dtype=int)
    s_all = sub["score"].to_numpy(dtype=float)
    st_all = sub["__stratum"].astype(object).to_numpy()
    rows = []
    # -- equal AUCs ----------------------------------------------------------------------------
    on = np.isin(st_all, q_strata)
    why, span = None, None
    if len(q_strata) < 2:
        pooled = stat = df = p = np.nan
        why = f"{len(q_strata)} stratum(s) with an AUC: no test"
    elif clustered:
        cl_on = sub["__cluster"].to_numpy()[on]
        _, a, cov = stratum_auc_covariance(y_all[on], s_all[on], st_all[on], cl_on)
        m = min_class_clusters(y_all[on], st_all[on], cl_on)
        pooled, stat, df, p = auc_heterogeneity(a, cov, denominator_df=m - 1)
        shared = sub[on].groupby("__cluster", sort=False)["__stratum"].nunique()
        span = f"{int((shared > 1).sum())} clusters in several strata (covariance in the test)" if (
            shared > 1).any() else None
        why = None if np.isfinite(stat) else "covariance of the strata's AUCs not positive definite: no test"
    else:
        a, v = [], []
        for value in q_strata:
            est, cov = delong(y_all[st_all == value], s_all[st_all == value])
            a.append(float(est[0]))
            v.append(float(cov[0, 0]))
        pooled, stat, df, p = auc_heterogeneity(a, v)
    rows.append({**het, "metric": "auc", "estimate": pooled, "statistic": stat, "df": df, "p_value": p,
                 "n": int(on.sum()), "n_positive": int(y_all[on].sum()),
                 "n_clusters": len(pd.unique(sub["__cluster"].to_numpy()[on])) if clustered else int(on.sum()),
                 "method": "q-test-clustered-delong" if clustered else "q-test-delong-independent",
                 "reason": _join(note, cluster_note, left_note, span, why)})
    # -- equal sensitivity and specificity --------------------------------------------------------
    correct = ((s_all >= threshold).astype(int) == y_all).astype(int)
    if len(tested) < 2:
        g, gdf, gp, why = np.nan, np.nan, np.nan, f"{len(tested)} stratum(s) tested: no test"
    elif clustered:
        g, gdf, gp, why = interaction_wald(y_all, correct, st_all, sub["__cluster"].to_numpy())
    else:
        g, gdf, gp = correct_interaction(y_all, correct, st_all)
        why = None if np.isfinite(g) else "fewer than 2 strata: no test"
    rows.append({**het, "metric": "correct", "estimate": np.nan, "statistic": g, "df": gdf, "p_value": gp,
                 "n": n_test, "n_positive": pos_test, "n_clusters": n_cl,
                 "method": "gee-wald-sandwich" if clustered else "lr-test-independent",
                 "reason": _join(note, cluster_note, left_note, why)})
    return rows
