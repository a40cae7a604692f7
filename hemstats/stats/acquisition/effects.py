"""Acquisition effects on labels: does a finding's frequency depend on how the images were taken?

:func:`acquisition_effects`: per dataset x finding, a chi-squared (or Fisher) test and Cramer's V
with its noncentral chi-squared interval for each acquisition column, and a logistic GEE of
``finding ~ vendor + kernel family + thickness + kVp + age + sex`` with odds ratios (clustered by
patient).  p-values are Holm-adjusted within each dataset and analysis.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from scipy import linalg, optimize
from scipy import stats as _st
from scipy.special import ndtri

from hemstats.errors import InputError
from hemstats.findings import FINDINGS
from hemstats.stats._core.columns import result_columns, result_frame
from hemstats.stats._core.multiplicity import holm
from hemstats.stats._core.options import check_confidence_level
from hemstats.stats._core.resolve import check_columns, resolve
from hemstats.stats._core.types import CONFIDENCE_LEVEL, Findings
from hemstats.stats.acquisition.mix import harmonized, names

if TYPE_CHECKING:
    from hemstats.cohort import Cohort

__all__ = ["acquisition_effects", "cramers_v_interval", "EFFECT_COLUMNS"]

_EFFECT_EXTRA: tuple[str, ...] = ("analysis", "variable", "term")
_EFFECT_AFTER: tuple[str, ...] = ("test", "statistic", "df", "p_value", "p_adjusted", "converged")
#: Columns of :func:`acquisition_effects`.
EFFECT_COLUMNS: tuple[str, ...] = tuple(result_columns(extra=_EFFECT_EXTRA, after=_EFFECT_AFTER))
_SCALE = {"kvp": (10.0, "per 10 kV"), "tube_current_ma": (100.0, "per 100 mA"), "age_years": (10.0, "per 10 years"),
          "slice_thickness_mm": (1.0, "per mm")}


def _study_labels(labels: pd.DataFrame, rater: str, findings: Findings, where: str) -> pd.DataFrame:
    lab = labels[(labels["level"].astype(object) == "study") & (labels["rater"].astype(object) == rater)]
    if lab.empty:
        raise InputError(f"{where}: rater: no study-level labels of rater {rater!r}; expected a rater of the labels table")
    if findings is not None:
        ok = isinstance(findings, str) or (isinstance(findings, Sequence) and all(isinstance(f, str) for f in findings))
        if not ok:
            raise InputError(f"{where}: findings must be a finding code or a list of them, got {findings!r}")
        wanted = [findings] if isinstance(findings, str) else list(findings)
        unknown = [f for f in wanted if f not in FINDINGS]
        if unknown or not wanted:
            raise InputError(f"{where}: findings: unknown finding(s) {unknown or wanted}; expected codes of "
                             f"{list(FINDINGS)}")
        lab = lab[lab["finding"].astype(object).isin(wanted)]
    wide = lab.assign(dataset=lab["dataset"].astype(object), study_id=lab["study_id"].astype(object),
                      finding=lab["finding"].astype(object)).pivot_table(
        index=["dataset", "study_id"], columns="finding", values="value", aggfunc="first")
    order = [f for f in FINDINGS if f in wide.columns]
    return wide[order]


def _cramer_from_tables(table: np.ndarray) -> np.ndarray:
    """Cramer's V of (b, r, c) tables; rows or columns with zero total are dropped per table."""
    n = table.sum(axis=(1, 2))
    rows = table.sum(axis=2)
    cols = table.sum(axis=1)
    expected = rows[:, :, None] * cols[:, None, :] / np.where(n > 0, n, 1)[:, None, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        chi2 = np.where(expected > 0, (table - expected) ** 2 / np.where(expected > 0, expected, 1), 0.0).sum(axis=(1, 2))
        k = np.minimum((rows > 0).sum(axis=1), (cols > 0).sum(axis=1)) - 1
        return np.where(k > 0, np.sqrt(chi2 / (n * np.where(k > 0, k, 1))), np.nan)


def cramers_v_interval(chi2: float, n: int, k: int, df: float, confidence_level: float) -> tuple[float, float]:
    """Interval of Cramer's V by inverting the noncentral chi-squared (Smithson 2003).

    The noncentrality ``lambda`` is bounded by the values whose ``chi2(df, lambda)`` puts the
    observed ``chi2`` at its upper (lower) ``(1 - confidence_level) / 2`` tail (0 when none
    does), and each bound becomes ``sqrt(lambda / (n (k - 1)))``, ``k = min(rows, columns)``:
    the interval of R's two-sided ``effectsize::cramers_v`` (without its bias adjustment).
    Near independence V (``sqrt(chi2 / (n (k - 1)))``, biased upward) can lie above the upper
    bound; :func:`acquisition_effects` then gives no interval, with a ``reason``.

    Examples
    --------
    >>> low, high = cramers_v_interval(10.0, 200, 2, 2.0, 0.95)
    >>> round(low, 4), round(high, 4)
    (0.0643, 0.3533)
    """
    alpha = (1 - confidence_level) / 2
    scale = n * (k - 1)

    def tail(lam: float) -> float:  # P(chi2(df, lam) >= chi2)
        return float(_st.ncx2.sf(chi2, df, lam)) if lam > 0 else float(_st.chi2.sf(chi2, df))

    def bound(target: float) -> float:
        # tail() rises with lambda: the lambda where it reaches target (0 when it starts above)
        if tail(0.0) >= target:
            return 0.0
        high = max(chi2, 1.0)
        while tail(high) < target:
            high *= 2
        return float(optimize.brentq(lambda lam: tail(lam) - target, 0.0, high, xtol=1e-10))

    return float(np.sqrt(bound(alpha) / scale)), float(np.sqrt(bound(1 - alpha) / scale))


def _association_row(base: dict, x: pd.Series, y: np.ndarray, patient: np.ndarray, *,
                     confidence_level: float) -> dict:
    ok = x.notna().to_numpy()
    xs, ys, pid = x[ok].astype(str).to_numpy(), y[ok].astype(int), patient[ok]
    left_out = int((~ok).sum())
    note = f"{left_out} studies without {base['variable']} left out" if left_out else None
    levels, codes = np.unique(xs, return_inverse=True)
    n_clusters = len(pd.unique(pid))
    row = {**base, "analysis": "association", "term": pd.NA, "metric": "cramers-v", "n": len(ys),
           "n_positive": int(ys.sum()), "converged": pd.NA, "confidence_level": confidence_level,
           "method": "noncentral-chi-squared", "n_clusters": n_clusters}
    nan = {"estimate": np.nan, "ci_low": np.nan, "ci_high": np.nan, "statistic": np.nan, "df": np.nan,
           "p_value": np.nan, "test": "chi-squared"}
    if ys.min() == ys.max():
        return {**row, **nan, "reason": _join(note, f"one class only ({int(ys.sum())} of {len(ys)} positive)")}
    if len(levels) < 2:
        return {**row, **nan, "reason": _join(note, f"{base['variable']} has {len(levels)} level(s): nothing to compare")}
    table = np.zeros((len(levels), 2))
    np.add.at(table, (codes, ys), 1)
    chi2, p, dof, expected = _st.chi2_contingency(table, correction=False)
    small = int((expected < 5).sum())
    test = "chi-squared"
    if table.shape == (2, 2) and small:
        p = float(_st.fisher_exact(table).pvalue)
        test = "fisher"
    elif small:
        note = _join(note, f"{small} of {expected.size} expected counts < 5: chi-squared p approximate")
    if n_clusters < len(ys):
        note = _join(note, f"{len(ys)} studies of {n_clusters} patients: the test and the interval treat studies "
                           "as independent")
    v = float(_cramer_from_tables(table[None])[0])
    low, high = cramers_v_interval(float(chi2), len(ys), min(table.shape), float(dof), confidence_level)
    if high < v:
        note = _join(note, f"chi-squared {chi2:.3g} small for its {dof} df: the noncentral interval of V ends at "
                           f"{high:.3g}, below V (biased upward near 0); no interval, read the test")
        low = high = np.nan
    return {**row, "estimate": v, "ci_low": low, "ci_high": high, "statistic": float(chi2), "df": float(dof),
            "p_value": float(p), "test": test, "reason": _join(note)}


def _join(*parts: Any) -> Any:
    """The non-empty, non-missing parts joined by ``"; "`` (NA when there is none)."""
    text = "; ".join(str(p) for p in parts if p is not None and p is not pd.NA and p == p and str(p))
    return text if text else pd.NA


def _design(frame: pd.DataFrame, covariates: Sequence[str]) -> tuple[pd.DataFrame, dict[str, str], list[str]]:
    """Design matrix (intercept first), column -> (variable), and notes on dropped variables."""
    cols: dict[str, np.ndarray] = {"(intercept)": np.ones(len(frame))}
    variable_of: dict[str, str] = {"(intercept)": "(intercept)"}
    notes = []
    for var in covariates:
        s = frame[var]
        if pd.api.types.is_numeric_dtype(s.dtype) and not isinstance(s.dtype, pd.CategoricalDtype):
            x = pd.to_numeric(s.astype(object), errors="coerce").to_numpy(dtype=float)
            if np.nanstd(x) == 0:
                notes.append(f"{var} is constant: left out")
                continue
            scale, label = _SCALE.get(var, (1.0, "per unit"))
            name = f"{var} ({label})"
            cols[name] = x / scale
            variable_of[name] = var
            continue
        values = s.astype(object).astype(str)
        counts = values.value_counts()
        if len(counts) < 2:
            notes.append(f"{var} has one level ({counts.index[0]}): left out")
            continue
        ref = counts.index[0]  # the most frequent level is the reference
        levels = sorted(counts.index[1:])
        for lev in levels:
            name = f"{var}: {lev} vs {ref}"
            cols[name] = (values == lev).to_numpy(dtype=float)
            variable_of[name] = var
    return pd.DataFrame(cols, index=frame.index), variable_of, notes


def _gee_rows(base: dict, data: pd.DataFrame, y: np.ndarray, covariates: Sequence[str], *, cluster: str,
              cov_struct: str, confidence_level: float, maxiter: int) -> list[dict]:
    from statsmodels.genmod import cov_struct as _cs
    from statsmodels.genmod import families
    from statsmodels.genmod.generalized_estimating_equations import GEE
    from statsmodels.tools.sm_exceptions import ConvergenceWarning, IterationLimitWarning

    complete = data[list(covariates)].notna().all(axis=1).to_numpy() & data[cluster].notna().to_numpy()
    left_out = int((~complete).sum())
    note = f"{left_out} studies with a missing covariate left out" if left_out else None
    d = data[complete]
    yy = y[complete].astype(float)
    X, variable_of, notes = _design(d, covariates)
    method = f"gee-{cov_struct}-robust-wald"
    n_clusters = int(d[cluster].nunique())
    common = {**base, "analysis": "gee", "metric": "odds-ratio", "df": np.nan, "n": len(yy), "test": "wald",
              "n_positive": int(yy.sum()), "method": method, "confidence_level": confidence_level,
              "n_clusters": n_clusters}

    def empty(reason: str, converged: Any = False) -> list[dict]:
        return [{**common, "variable": pd.NA, "term": pd.NA, "estimate": np.nan, "ci_low": np.nan, "ci_high": np.nan,
                 "statistic": np.nan, "p_value": np.nan, "converged": converged,
                 "reason": _join(note, *notes, reason)}]

    if len(yy) == 0 or yy.min() == yy.max():
        return empty(f"one class only ({int(yy.sum())} of {len(yy)} positive): no model", converged=pd.NA)
    # Aliased columns (e.g. a kernel family seen on one vendor only): drop by pivoted QR.
    Xv = X.to_numpy()
    _, r, piv = linalg.qr(Xv, mode="economic", pivoting=True)
    tol = np.abs(r[0, 0]) * max(Xv.shape) * np.finfo(float).eps * 1e3
    rank = int((np.abs(np.diag(r)) > tol).sum())
    aliased = [X.columns[i] for i in sorted(piv[rank:])]
    keep = [c for c in X.columns if c not in aliased]
    Xk = X[keep]
    groups = pd.factorize(d[cluster].astype(object))[0]
    events_per_param = min(yy.sum(), len(yy) - yy.sum()) / max(len(keep) - 1, 1)
    if events_per_param < 10:
        notes.append(f"{events_per_param:.1f} events per parameter (< 10): estimates unstable")
    structure = _cs.Exchangeable() if cov_struct == "exchangeable" else _cs.Independence()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            model = GEE(yy, Xk.to_numpy(), groups=groups, family=families.Binomial(), cov_struct=structure)
            res = model.fit(maxiter=maxiter)
        except Exception as exc:  # a failed fit is reported in the table, not raised
            return empty(f"fit failed: {type(exc).__name__}: {exc}")
    converged = bool(getattr(res, "converged", True)) and not any(
        issubclass(w.category, (ConvergenceWarning, IterationLimitWarning)) for w in caught)
    params = np.asarray(res.params, dtype=float)
    se = np.asarray(res.bse, dtype=float)
    if not np.all(np.isfinite(params)):
        return empty("fit failed: non-finite estimates")
    q = -ndtri((1 - confidence_level) / 2)
    fit_note = None if converged else f"GEE did not converge in {maxiter} iterations"
    if np.any(np.abs(params[1:]) > 10) or np.any(se[1:] > 50):
        # (Quasi-)complete separation: the likelihood has no finite maximum, the numbers are meaningless.
        rows = empty("did not converge: (quasi-)complete separation, estimates diverge; no odds ratios")
        return [{**rows[0], "variable": variable_of[name], "term": name} for name in keep if name != "(intercept)"]
    if n_clusters < 30:
        notes.append(f"only {n_clusters} clusters of {cluster}: robust SE unreliable")
    rows = []
    for j, name in enumerate(keep):
        if name == "(intercept)":
            continue
        z = params[j] / se[j] if se[j] > 0 else np.nan
        rows.append({**common, "variable": variable_of[name], "term": name, "estimate": float(np.exp(params[j])),
                     "ci_low": float(np.exp(params[j] - q * se[j])), "ci_high": float(np.exp(params[j] + q * se[j])),
                     "statistic": float(z), "p_value": float(2 * _st.norm.sf(abs(z))), "converged": converged,
                     "reason": _join(note, *notes, fit_note)})
    for name in aliased:
        rows.append({**common, "variable": variable_of[name], "term": name, "estimate": np.nan, "ci_low": np.nan,
                     "ci_high": np.nan, "statistic": np.nan, "p_value": np.nan, "converged": converged,
                     "reason": _join(note, *notes, "aliased with other terms (not estimable): left out of the model")})
    return rows


def acquisition_effects(
    data: Cohort | pd.DataFrame,
    *,
    studies: pd.DataFrame | None = None,
    findings: Findings = None,
    rater: str = "consensus",
    columns: Sequence[str] = ("vendor", "scanner_model", "kernel_family", "thickness_bin", "kvp"),
    covariates: Sequence[str] = ("vendor", "kernel_family", "thickness_bin", "kvp", "age_years", "sex"),
    cluster: str = "patient_id",
    cov_struct: Literal["exchangeable", "independence"] = "exchangeable",
    model: bool = True,
    confidence_level: float = CONFIDENCE_LEVEL,
    maxiter: int = 100,
) -> pd.DataFrame:
    """Do labels depend on acquisition? Association tests and a logistic GEE, per dataset x finding.

    The question is about the labels (is a finding more often read on some scanners?), so the
    first argument is a Cohort or the ``labels`` table, as for prevalence and agreement; the
    acquisition comes with ``studies=``.  For each dataset and finding (study-level labels of
    ``rater``):

    * ``analysis == "association"``, one row per column of ``columns`` (each as a category,
      kVp too): Pearson's chi-squared test of the column x label table, or Fisher's exact
      test for a 2 x 2 table with an expected count below 5 (``test``); Cramer's V
      (``metric`` ``cramers-v``) with the interval of the noncentral chi-squared
      (:func:`cramers_v_interval`, ``noncentral-chi-squared``; none when V, biased upward
      near 0, lies above it).  Both treat studies as independent; ``reason`` says when
      patients have several studies.
    * ``analysis == "gee"``, one row per model ``term``: a logistic GEE of the label on
      ``covariates`` (categorical ones by indicators against their most frequent level, kVp per
      10 kV, age per 10 years), clustered by ``cluster``, with robust (sandwich) standard
      errors; odds ratios (``metric`` ``odds-ratio``) with Wald CIs.  Complete cases only.

    Parameters
    ----------
    data : Cohort or pandas.DataFrame
        A Cohort, or the canonical ``labels`` table.
    studies : pandas.DataFrame, optional
        The canonical ``studies`` table (harmonised when needed); required with a labels
        table, a Cohort brings its own.
    findings : str or list, optional
        Default: every finding with study-level labels of ``rater``.
    rater : str, default "consensus"
    columns : sequence of str
        Acquisition columns (of the harmonised studies) tested one by one.
    covariates : sequence of str
        Terms of the GEE.
    cluster : str, default "patient_id"
        Cluster of the GEE (``"site"`` is allowed, but with few sites the robust SEs are
        unreliable; the table says so below 30 clusters).
    cov_struct : {"exchangeable", "independence"}
        GEE working correlation.
    model : bool, default True
        Fit the GEE (False: association rows only; the columns are the same).
    confidence_level : float, default 0.95
    maxiter : int, default 100
        GEE iterations; a fit that stops before converging says so (``converged`` False).

    Returns
    -------
    pandas.DataFrame
        :data:`EFFECT_COLUMNS`: the result columns with ``analysis, variable, term`` before
        the estimate and ``test, statistic, df, p_value, p_adjusted, converged`` after it.
        ``test`` is ``chi-squared`` or ``fisher`` (``statistic`` chi-squared, ``df``) or
        ``wald`` (``statistic`` Wald z).  ``method`` is the interval's:
        ``noncentral-chi-squared`` for V, ``gee-<cov_struct>-robust-wald`` for odds ratios.  ``p_adjusted`` is Holm's, within each dataset x analysis (over findings and
        columns, or findings and terms).  A one-class finding, a one-level column or a failed
        fit gives NaN and a ``reason``; aliased terms are listed with NaN.

    Notes
    -----
    Validated against: ``chisq.test(correct=FALSE)``, ``fisher.test`` (p, statistic) and
    Cramer's V by hand in R; the independence GEE's odds ratios equal R ``glm(binomial)``'s,
    its robust SEs ``sandwich::vcovCL(type="HC0", cadjust=FALSE)`` (within 1e-6); the
    exchangeable GEE equals ``statsmodels.GEE`` called directly (tests/reference/scanner.R).

    Examples
    --------
    >>> from hemstats.datasets import demo
    >>> cohort = demo.load(n_studies=300)
    >>> eff = acquisition_effects(cohort, findings="any")
    >>> eff.groupby("analysis").size().to_dict()
    {'association': 5, 'gee': 9}
    >>> eff.query("analysis == 'gee'")["term"].tolist()[:3]
    ['vendor: Philips vs GE', 'vendor: SIEMENS vs GE', 'kernel_family: bone vs standard']
    """
    where = "acquisition_effects"
    tables = resolve(data, "labels", where=where, need=("studies",), studies=studies)
    assert tables.studies is not None
    if cov_struct not in ("exchangeable", "independence"):
        raise InputError(f"{where}: cov_struct must be 'exchangeable' or 'independence', got {cov_struct!r}")
    confidence_level = check_confidence_level(confidence_level)
    if not isinstance(cluster, str):
        raise InputError(f"{where}: cluster must be a column name of studies, got {cluster!r}")
    variables = names(columns, "columns")
    terms = names(covariates, "covariates")
    wide = _study_labels(tables.main, rater, findings, where)
    h = harmonized(tables.studies)
    check_columns(h, "studies", where=where, columns=list(dict.fromkeys(["dataset", "study_id", cluster, *variables, *(terms if model else [])])))
    h = h.assign(dataset=h["dataset"].astype(object), study_id=h["study_id"].astype(object))
    joined = h.merge(wide.reset_index(), on=["dataset", "study_id"], how="inner", validate="one_to_one")
    rows: list[dict] = []
    for dataset, part in joined.groupby("dataset", sort=False):
        patient = (part["patient_id"] if "patient_id" in part else part["study_id"]).astype(object).to_numpy()
        for finding in wide.columns:
            yv = part[finding]
            has = yv.notna().to_numpy()
            if not has.any():
                continue
            sub, y = part[has], yv[has].to_numpy(dtype=int)
            for var in variables:
                base = {"dataset": dataset, "level": "study", "finding": finding, "variable": var}
                rows.append(_association_row(base, sub[var].astype(object), y, patient[has],
                                             confidence_level=float(confidence_level)))
            if model:
                rows.extend(_gee_rows({"dataset": dataset, "level": "study", "finding": finding}, sub, y, terms,
                                      cluster=cluster, cov_struct=cov_struct, confidence_level=float(confidence_level),
                                      maxiter=int(maxiter)))
    out = result_frame(rows, extra=_EFFECT_EXTRA, after=_EFFECT_AFTER)
    out["p_adjusted"] = holm(out, ["dataset", "analysis"])
    out["converged"] = out["converged"].astype("boolean")
    for c in ("statistic", "df", "p_value", "p_adjusted"):
        out[c] = out[c].astype(float)
    return out
