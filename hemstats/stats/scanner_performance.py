"""Does a model perform differently by acquisition stratum (kernel family, vendor, slice thickness)?

:func:`performance_by_stratum` gives, per dataset x finding x model and per stratum, the AUC
(DeLong and bootstrap CIs), sensitivity and specificity at a threshold (bootstrap CIs from
:mod:`hemstats.stats.bootstrap`), and two heterogeneity tests across the strata:

* ``auc-heterogeneity``: the DeLong-based chi-squared test of equal AUCs in independent
  strata, ``Q = sum_k w_k (AUC_k - AUC_bar)^2`` with ``w_k = 1 / var_DeLong(AUC_k)`` and
  ``AUC_bar = sum w_k AUC_k / sum w_k``, referred to chi-squared with ``K - 1`` df (the
  Cochran Q of a fixed-effect meta-analysis of the strata's AUCs; :func:`auc_heterogeneity`);
* ``correct-interaction``: the likelihood-ratio test of the logistic models
  ``correct ~ class * stratum`` against ``correct ~ class``, where ``correct`` says whether the
  call ``score >= threshold`` matches the label: do sensitivity or specificity differ between
  strata?  Both models are saturated in their cells, so the LR statistic has the closed form
  ``G = 2 sum x log(p_kc / p_c) + (n - x) log((1 - p_kc) / (1 - p_c))`` over strata ``k`` and
  classes ``c``; ``df = sum_c (K_c - 1)``.  No iterative fit, so no convergence failure, even
  when a stratum's calls are all correct.

Holm's method controls the family-wise error over every dataset x finding x model of a test.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats as _st
from scipy.special import ndtri

from hemstats.stats._proportion import interval as _interval
from hemstats.errors import HemstatsError
from hemstats.stats.bootstrap import bootstrap_ci
from hemstats.stats.roc import delong
from hemstats.stats.scanner import _join, harmonized, holm

__all__ = ["performance_by_stratum", "auc_heterogeneity", "correct_interaction", "STRATUM_COLUMNS"]

#: Columns of :func:`performance_by_stratum`.
STRATUM_COLUMNS: tuple[str, ...] = (
    "dataset", "level", "finding", "model", "stratum", "stratum_value", "kind", "metric", "estimate", "ci_low",
    "ci_high", "statistic", "df", "p_value", "p_adjusted", "n", "n_positive", "method", "confidence_level",
    "reason",
)


def auc_heterogeneity(estimates: Sequence[float], variances: Sequence[float]) -> tuple[float, float, float, float]:
    """Chi-squared test of equal AUCs in independent strata (inverse-variance Cochran Q).

    Parameters
    ----------
    estimates, variances : sequences of float
        Each stratum's AUC and its DeLong variance (> 0).

    Returns
    -------
    (pooled, Q, df, p_value) : tuple of float
        ``pooled = sum w_k AUC_k / sum w_k`` with ``w_k = 1 / var_k``;
        ``Q = sum w_k (AUC_k - pooled)^2``; ``df = K - 1``; ``p_value = P(chi2_df > Q)``.

    Notes
    -----
    Validated against: the same sums in R (``pchisq(Q, K - 1, lower.tail=FALSE)`` on
    ``pROC::var(roc(...), method="delong")`` per stratum, tests/reference/scanner.R).

    Examples
    --------
    >>> pooled, q, df, p = auc_heterogeneity([0.9, 0.8], [0.0004, 0.0004])
    >>> round(pooled, 3), round(q, 3), df, round(p, 5)
    (0.85, 12.5, 1.0, 0.00041)
    """
    a = np.asarray(estimates, dtype=float)
    v = np.asarray(variances, dtype=float)
    if a.shape != v.shape or a.ndim != 1:
        raise HemstatsError("auc_heterogeneity: estimates and variances must be two sequences of the same length")
    if len(a) < 2 or not np.all(np.isfinite(a)) or not np.all(v > 0):
        return (np.nan, np.nan, np.nan, np.nan)
    w = 1.0 / v
    pooled = float(np.sum(w * a) / np.sum(w))
    q = float(np.sum(w * (a - pooled) ** 2))
    df = float(len(a) - 1)
    return pooled, q, df, float(_st.chi2.sf(q, df))


def correct_interaction(y: Sequence[int], correct: Sequence[int], stratum: Sequence[Any]) -> tuple[float, float, float]:
    """LR test of ``correct ~ class * stratum`` against ``correct ~ class`` (logistic models).

    Returns
    -------
    (G, df, p_value) : tuple of float
        NaN when ``df`` is 0 (a single stratum).

    Notes
    -----
    Validated against: ``anova(glm(correct ~ y, binomial), glm(correct ~ y * stratum,
    binomial), test="LRT")`` in R (tests/reference/scanner.R), within 1e-6.

    Examples
    --------
    >>> g, df, p = correct_interaction([1, 1, 1, 1, 0, 0, 0, 0], [1, 1, 0, 0, 1, 1, 1, 1], list("aabbaabb"))
    >>> round(g, 4), df
    (5.5452, 2.0)
    """
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


def _joined(predictions, labels, studies, *, stratum, level, reference, findings, models, cluster) -> pd.DataFrame:
    for name, df, cols in (("predictions", predictions, ["dataset", "study_id", "level", "finding", "model", "score"]),
                           ("labels", labels, ["dataset", "study_id", "level", "finding", "rater", "value"]),
                           ("studies", studies, ["dataset", "study_id"])):
        if not isinstance(df, pd.DataFrame):
            raise HemstatsError(f"{name}: expected a pandas DataFrame, got {type(df).__name__}")
        missing = [c for c in cols if c not in df.columns]
        if missing:
            raise HemstatsError(f"{name}: missing column(s) {missing}")
    keys = ["dataset", "study_id", "slice_id", "finding"]

    def prep(df: pd.DataFrame, extra: list[str]) -> pd.DataFrame:
        out = pd.DataFrame({k: (df[k].astype(object) if k in df else None) for k in keys})
        out["slice_id"] = out["slice_id"].where(out["slice_id"].notna(), "")
        for c in extra:
            out[c] = df[c].to_numpy()
        return out

    p = predictions[predictions["level"].astype(object) == level]
    lab = labels[(labels["level"].astype(object) == level) & (labels["rater"].astype(object) == reference)]
    if findings is not None:
        wanted = [findings] if isinstance(findings, str) else list(findings)
        p = p[p["finding"].astype(object).isin(wanted)]
    if models is not None:
        wanted_m = [models] if isinstance(models, str) else list(models)
        p = p[p["model"].astype(object).isin(wanted_m)]
    p = prep(p, ["model", "score"])
    p["model"] = p["model"].astype(object)
    lab = prep(lab, ["value"]).rename(columns={"value": "y"})
    joined = p.merge(lab, on=keys, how="left", validate="many_to_one")
    h = harmonized(studies)
    if stratum not in h.columns:
        raise HemstatsError(f"stratum: {stratum!r} is not a column of studies (or a harmonised column); "
                            f"columns: {list(h.columns)}")
    st = pd.DataFrame({"dataset": h["dataset"].astype(object), "study_id": h["study_id"].astype(object),
                       "__stratum": h[stratum]})
    if cluster is not None:
        if cluster not in h.columns:
            raise HemstatsError(f"cluster: {cluster!r} is not a column of studies")
        st["__cluster"] = h[cluster].astype(object).to_numpy()
    joined = joined.merge(st, on=["dataset", "study_id"], how="left", validate="many_to_one")
    return joined


def _stratum_order(values: pd.Series) -> list[Any]:
    if isinstance(values.dtype, pd.CategoricalDtype):
        present = set(values.dropna().astype(object))
        return [c for c in values.cat.categories if c in present]
    return sorted(values.dropna().astype(object).unique(), key=str)


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
    cluster: str | None = None,
    n_resamples: int = 2000,
    bootstrap_method: Literal["percentile", "basic", "bca"] = "percentile",
    confidence_level: float = 0.95,
    rng: None | int | np.random.Generator = None,
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
    cluster : str, optional
        Studies column to resample by in the bootstrap (``"patient_id"``); DeLong assumes
        independent rows.
    n_resamples : int, default 2000
        Bootstrap resamples; 0 skips the bootstrap (no ``bootstrap`` AUC rows; sensitivity and
        specificity get Wilson intervals): the fast path for simulation studies.
    bootstrap_method : {"percentile", "basic", "bca"}
    confidence_level : float, default 0.95
    rng : None, int or numpy.random.Generator

    Returns
    -------
    pandas.DataFrame
        Columns ``dataset, level, finding, model, stratum, stratum_value, kind, metric, estimate,
        ci_low, ci_high, statistic, df, p_value, p_adjusted, n, n_positive, method,
        confidence_level, reason``.

        * ``kind == "stratum"``: one row per stratum and ``metric`` (``auc`` with ``method``
          ``delong``; ``auc`` with ``bootstrap-<method>``; ``sensitivity`` and ``specificity``
          with ``bootstrap-<method>`` or ``wilson``);
        * ``kind == "heterogeneity"`` (``stratum_value`` missing): ``metric == "auc"``, ``method
          == "auc-heterogeneity"``: ``estimate`` the pooled AUC, ``statistic`` Q, ``df``,
          ``p_value``; ``metric == "correct"``, ``method == "correct-interaction"``: the LR
          statistic, ``df`` and ``p_value``.  ``p_adjusted`` is Holm's over every dataset x
          finding x model of the same test.  ``n`` counts the rows of the strata tested.

    Notes
    -----
    Validated against: per-stratum ``pROC::auc`` and ``pROC::ci.auc(method="delong")``, the Q
    test by hand on ``pROC::var``, the interaction test by R ``anova(glm)``
    (tests/reference/scanner.R, within 1e-6).  On the demo cohort it recovers ``model_a``'s
    kernel effect and keeps the nominal error rate for ``model_b`` (tests/stats/test_scanner.py).

    References
    ----------
    DeLong ER, DeLong DM, Clarke-Pearson DL (1988). Biometrics 44:837-845.
    Cochran WG (1954). The combination of estimates from different experiments. Biometrics 10:101-129.
    Holm S (1979). Scand J Statist 6:65-70.

    Examples
    --------
    >>> from hemstats.datasets import demo
    >>> cohort = demo.load(n_studies=600)
    >>> res = performance_by_stratum(cohort, findings="any", n_resamples=0)
    >>> auc = res.query("kind == 'stratum' and metric == 'auc'")
    >>> auc[["model", "stratum_value", "n"]].values.tolist()[:3]
    [['model_a', 'soft', 176], ['model_a', 'standard', 271], ['model_a', 'bone', 153]]
    >>> res.query("kind == 'heterogeneity'")[["model", "method", "df"]].values.tolist()[:2]
    [['model_a', 'auc-heterogeneity', 2.0], ['model_a', 'correct-interaction', 4.0]]
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
    if not 0 < confidence_level < 1:
        raise HemstatsError(f"confidence_level must be in (0, 1), got {confidence_level!r}")
    if int(min_per_class) < 1:
        raise HemstatsError(f"min_per_class must be >= 1, got {min_per_class!r}")
    if int(n_resamples) < 0:
        raise HemstatsError(f"n_resamples must be >= 0, got {n_resamples!r}")
    n_resamples, min_per_class = int(n_resamples), int(min_per_class)
    gen = np.random.default_rng(rng)
    joined = _joined(predictions, labels, studies, stratum=stratum, level=level, reference=reference,
                     findings=findings, models=models, cluster=cluster)
    q = -ndtri((1 - confidence_level) / 2)
    boot_label = f"bootstrap-{bootstrap_method}"
    rows: list[dict] = []
    for (dataset, finding, model), part in joined.groupby(["dataset", "finding", "model"], sort=False):
        no_label = int(part["y"].isna().sum())
        no_stratum = int((part["y"].notna() & part["__stratum"].isna()).sum())
        part = part[part["y"].notna() & part["__stratum"].notna()]
        note = _join(f"{no_label} predictions without a {reference!r} label left out" if no_label else None,
                     f"{no_stratum} without {stratum} left out" if no_stratum else None)
        common = {"dataset": dataset, "level": level, "finding": finding, "model": model, "stratum": stratum,
                  "confidence_level": float(confidence_level)}
        estimates, variances, tested = [], [], []
        for value in _stratum_order(part["__stratum"]):
            sp = part[part["__stratum"].astype(object) == value]
            y = sp["y"].to_numpy(dtype=int)
            s = sp["score"].to_numpy(dtype=float)
            cl = None if cluster is None else sp["__cluster"].to_numpy()
            n_pos, n_neg = int(y.sum()), int(len(y) - y.sum())
            base = {**common, "stratum_value": value, "kind": "stratum", "statistic": np.nan, "df": np.nan,
                    "p_value": np.nan, "n": len(y), "n_positive": n_pos}
            few = []
            if n_pos < min_per_class:
                few.append(f"{n_pos} positive < min_per_class={min_per_class}")
            if n_neg < min_per_class:
                few.append(f"{n_neg} negative < min_per_class={min_per_class}")
            if n_pos == 0 or n_neg == 0:
                few.insert(0, "one class only")
            auc_methods = ["delong"] + ([boot_label] if n_resamples else [])
            if few:
                for m in auc_methods:
                    rows.append({**base, "metric": "auc", "estimate": np.nan, "ci_low": np.nan, "ci_high": np.nan,
                                 "method": m, "reason": _join(note, "; ".join(few))})
            else:
                est, cov = delong(y, s)
                a, v = float(est[0]), float(cov[0, 0])
                sd = np.sqrt(v) if v > 0 else np.nan
                why = None if v > 0 else "zero DeLong variance (perfect separation): left out of the Q test"
                rows.append({**base, "metric": "auc", "estimate": a, "ci_low": max(0.0, a - q * sd) if v > 0 else np.nan,
                             "ci_high": min(1.0, a + q * sd) if v > 0 else np.nan, "method": "delong",
                             "reason": _join(note, why)})
                if v > 0:
                    estimates.append(a)
                    variances.append(v)
                tested.append(value)
                if n_resamples:
                    ci = bootstrap_ci("auc", y, s, model=str(model), cluster=cl, method=bootstrap_method,
                                      n_resamples=n_resamples, confidence_level=confidence_level, rng=gen).iloc[0]
                    rows.append({**base, "metric": "auc", "estimate": float(ci["estimate"]), "ci_low": ci["ci_low"],
                                 "ci_high": ci["ci_high"], "method": boot_label, "reason": _join(note, ci["reason"])})
            for positive, count in ((True, n_pos), (False, n_neg)):
                rate = _Rate(threshold, positive)
                cls = (y == 1) if positive else (y == 0)
                hits = int((cls & ((s >= threshold) if positive else (s < threshold))).sum())
                row = {**base, "metric": rate.name, "n": count, "n_positive": n_pos if positive else 0}
                if count < min_per_class:
                    rows.append({**row, "estimate": np.nan, "ci_low": np.nan, "ci_high": np.nan,
                                 "method": boot_label if n_resamples else "wilson",
                                 "reason": _join(note, f"{count} {'positive' if positive else 'negative'} < "
                                                       f"min_per_class={min_per_class}")})
                elif n_resamples:
                    # Bootstrap within the class only: the rate's denominator stays fixed, as pROC's ci.se.
                    ci = bootstrap_ci(rate, y[cls], s[cls], model=rate.name, cluster=None if cl is None else cl[cls],
                                      stratify=False, method=bootstrap_method, n_resamples=n_resamples,
                                      confidence_level=confidence_level, rng=gen).iloc[0]
                    rows.append({**row, "estimate": hits / count, "ci_low": ci["ci_low"], "ci_high": ci["ci_high"],
                                 "method": boot_label, "reason": _join(note, ci["reason"])})
                else:
                    low, high = _interval(hits, count, confidence_level, "wilson")
                    rows.append({**row, "estimate": hits / count, "ci_low": float(low), "ci_high": float(high),
                                 "method": "wilson", "reason": _join(note)})
        het = {**common, "stratum_value": pd.NA, "kind": "heterogeneity", "ci_low": np.nan, "ci_high": np.nan}
        in_test = part["__stratum"].astype(object).isin(tested).to_numpy()
        n_test, pos_test = int(in_test.sum()), int(part.loc[in_test, "y"].sum())
        left = [str(v) for v in _stratum_order(part["__stratum"]) if v not in tested]
        left_note = f"strata left out: {', '.join(left)}" if left else None
        pooled, stat, df, p = auc_heterogeneity(estimates, variances)
        rows.append({**het, "metric": "auc", "estimate": pooled, "statistic": stat, "df": df, "p_value": p,
                     "n": n_test, "n_positive": pos_test, "method": "auc-heterogeneity",
                     "reason": _join(note, left_note, None if np.isfinite(stat) else
                                     f"{len(estimates)} stratum(s) with an AUC: no test")})
        sub = part[in_test]
        y_all = sub["y"].to_numpy(dtype=int)
        correct = ((sub["score"].to_numpy(dtype=float) >= threshold).astype(int) == y_all).astype(int)
        g, gdf, gp = correct_interaction(y_all, correct, sub["__stratum"].astype(object).to_numpy()) if len(sub) else (
            np.nan, np.nan, np.nan)
        rows.append({**het, "metric": "correct", "estimate": np.nan, "statistic": g, "df": gdf, "p_value": gp,
                     "n": n_test, "n_positive": pos_test, "method": "correct-interaction",
                     "reason": _join(note, left_note, None if np.isfinite(g) else "fewer than 2 strata: no test")})
    out = pd.DataFrame(rows, columns=[c for c in STRATUM_COLUMNS if c != "p_adjusted"])
    out.insert(STRATUM_COLUMNS.index("p_adjusted"), "p_adjusted", holm(out, ["kind", "method"]))
    out.loc[out["kind"] != "heterogeneity", "p_adjusted"] = np.nan
    for c in ("dataset", "level", "finding", "model", "stratum", "kind", "metric", "method", "reason"):
        out[c] = out[c].astype("string")
    out["stratum_value"] = out["stratum_value"].astype(object)
    out[["n", "n_positive"]] = out[["n", "n_positive"]].astype("int64")
    for c in ("estimate", "ci_low", "ci_high", "statistic", "df", "p_value"):
        out[c] = out[c].astype(float)
    return out
