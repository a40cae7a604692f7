"""Inter-rater agreement per finding: Cohen, Fleiss, Krippendorff, PABAK, Gwet's AC1, ICC.

Every function takes the long ``labels`` table of a :class:`~hemstats.Cohort` (columns
``dataset, study_id, slice_id, level, finding, rater, value``) and returns one long frame
with the columns of :data:`COLUMNS`: one row per dataset x finding x measure x rater set
x interval method.  ``raters`` names the raters joined by ``"|"`` (``"R1|R2"``); ``se`` is
the standard error behind an analytic interval, the standard deviation of the resampled
values for a bootstrap row, NaN where there is none; ``reason`` says why a value is NaN, or
notes what was left out.

Missing ratings: a rater who did not read a study simply has no row for it.
Pairwise measures (Cohen, PABAK, pairwise AC1) use the studies both raters read
(pairwise complete); Fleiss' kappa and the rater-set AC1 use the studies every rater
read (``n`` counts them, ``reason`` says how many were left out); Krippendorff's alpha
uses every study with at least two ratings.  The reference rater (``"consensus"``) is
left out unless named in ``raters``.

A coefficient that is undefined (chance agreement of 1: every rating in one category)
is NaN with the reason in ``reason``; it is never reported as 0 or 1 (PABAK and AC1 stay
defined there and equal 1, as their definitions give).  Bootstrap
intervals resample studies (at slice level, whole studies with all their slices);
resamples where the coefficient is undefined are left out and counted in ``reason``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Literal

import numpy as np
import pandas as pd

from hemstats.stats._proportion import interval as _interval
from hemstats._coerce import describe_rows
from hemstats.errors import HemstatsError
from hemstats.findings import FINDINGS
from hemstats.stats import kappa as _k

__all__ = [
    "AgreementInputError",
    "COLUMNS",
    "cohen_kappa",
    "fleiss_kappa",
    "krippendorff_alpha",
    "pabak",
    "gwet_ac1",
    "reader_vs_reference",
    "agreement",
    "icc",
]

#: Columns of every frame this module returns, in order.
COLUMNS: tuple[str, ...] = (
    "dataset", "level", "finding", "measure", "raters", "estimate", "se",
    "ci_low", "ci_high", "n", "method", "confidence_level", "reason",
)
_REQUIRED = ("dataset", "study_id", "finding", "rater", "value")
CI = Literal["analytic", "bootstrap", "both"]
Bootstrap = Literal["percentile", "basic"]


class AgreementInputError(HemstatsError, ValueError):
    """The labels cannot be used for agreement: the message names the column, rows and what was expected."""


@dataclass
class _Ratings:
    """One dataset's ratings at one level: ``values[f, u, r]`` (NaN = no rating)."""

    dataset: str
    level: str
    findings: list[str]
    raters: list[str]
    values: np.ndarray
    unit_study: np.ndarray  # unit -> study index (resampling cluster)
    n_studies: int
    categories: dict[str, np.ndarray]


def _finding_order(f: str) -> tuple[int, str]:
    return (FINDINGS.index(f) if f in FINDINGS else len(FINDINGS), f)


def _fail(msg: str) -> None:
    raise AgreementInputError(msg)


def _prepare(
    labels: pd.DataFrame,
    *,
    level: str,
    raters: Sequence[str] | None,
    findings: Sequence[str] | None,
    categories: Sequence[int] | None,
    reference: str | None = "consensus",
    binary: bool = False,
) -> list[_Ratings]:
    if not isinstance(labels, pd.DataFrame):
        _fail(f"labels: expected a pandas DataFrame, got {type(labels).__name__}")
    absent = [c for c in _REQUIRED if c not in labels.columns]
    if absent:
        _fail(f"labels: required column(s) {absent} absent; columns are {list(labels.columns)}")
    if level not in ("study", "slice"):
        _fail(f"level: expected 'study' or 'slice', got {level!r}")
    if level == "slice" and "slice_id" not in labels.columns:
        _fail("labels: level='slice' needs a slice_id column")
    at = labels["level"].astype(object).eq(level).to_numpy() if "level" in labels.columns else np.ones(len(labels), bool)
    if findings is not None:
        at &= labels["finding"].astype(object).isin(list(findings)).to_numpy()
    for col in ("dataset", "study_id", "finding", "rater") + (("slice_id",) if level == "slice" else ()):
        miss = at & labels[col].isna().to_numpy()
        if miss.any():
            _fail(f"labels.{col}: must not be missing; {describe_rows(labels, miss)}")
    value = pd.to_numeric(labels["value"].astype(object), errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    checks = [
        (at & np.isnan(value), "expected a rating (a missing rating is an absent row, not a missing value)"),
        (at & ~np.isnan(value) & ((value != np.round(value)) | (value < 0)), "expected an integer category code >= 0"),
    ]
    if binary:
        checks.append((at & ~np.isnan(value) & ~np.isin(value, (0, 1)), "expected 0 or 1"))
    for bad, what in checks:
        if bad.any():
            _fail(f"labels.value: {what}; {describe_rows(labels, bad, 'value')}")
    if not at.any():
        _fail(f"labels: no rows at level {level!r}" + (f" for findings {list(findings)}" if findings else ""))
    key = ["dataset", "study_id"] + (["slice_id"] if level == "slice" else []) + ["finding", "rater"]
    sub = labels.loc[at, key].astype(object)
    dup = sub.duplicated(keep=False).to_numpy()
    if dup.any():
        mask = np.zeros(len(labels), bool)
        mask[np.flatnonzero(at)[dup]] = True
        _fail(f"labels: more than one rating per ({', '.join(key)}); {describe_rows(labels, mask)}")
    present = sorted(set(sub["rater"]))
    if raters is not None:
        raters = list(dict.fromkeys(raters))
        unknown = [r for r in raters if r not in present]
        if unknown:
            _fail(f"raters: {unknown} have no labels at level {level!r}; raters present: {present}")
        if len(raters) < 2:
            _fail(f"raters: agreement needs at least two raters, got {raters}")
    sub["value"] = value[at]
    out = []
    for ds, d in sub.groupby("dataset", sort=False):
        study_codes, _ = pd.factorize(d["study_id"])
        unit_cols = ["study_id", "slice_id"] if level == "slice" else ["study_id"]
        unit_codes, units = pd.factorize(pd.MultiIndex.from_frame(d[unit_cols]))
        unit_study = np.zeros(len(units), dtype=np.int64)
        unit_study[unit_codes] = study_codes
        rs = raters if raters is not None else [r for r in sorted(set(d["rater"])) if r != reference]
        fs = list(dict.fromkeys(f for f in (findings or sorted(set(d["finding"]), key=_finding_order)) if f in set(d["finding"])))
        vals = np.full((len(fs), len(units), len(rs)), np.nan)
        f_idx = pd.Index(fs).get_indexer(d["finding"])
        r_idx = pd.Index(rs).get_indexer(d["rater"])
        ok = (f_idx >= 0) & (r_idx >= 0)
        vals[f_idx[ok], unit_codes[ok], r_idx[ok]] = d["value"].to_numpy()[ok]
        if findings is None:  # only findings some selected rater rated
            keep = ~np.isnan(vals).all(axis=(1, 2))
            fs, vals = [f for f, k in zip(fs, keep) if k], vals[keep]
        cats = {}
        for i, f in enumerate(fs):
            seen = np.unique(vals[i][~np.isnan(vals[i])])
            if categories is not None:
                cats[f] = np.asarray(sorted(categories), dtype=float)
                extra = np.setdiff1d(seen, cats[f])
                if extra.size:
                    _fail(f"labels.value: finding {f!r} of dataset {ds!r} has values {extra.tolist()} not in categories")
            else:
                cats[f] = np.union1d(seen, [0.0, 1.0]) if np.isin(seen, (0, 1)).all() else seen
        out.append(_Ratings(str(ds), level, fs, list(rs), vals, unit_study, int(study_codes.max()) + 1, cats))
    return out


def _options(ci: str, bootstrap: str, n_resamples: int, confidence_level: float) -> None:
    if ci not in ("analytic", "bootstrap", "both"):
        _fail(f"ci: expected 'analytic', 'bootstrap' or 'both', got {ci!r}")
    if bootstrap not in ("percentile", "basic"):
        _fail(f"bootstrap: expected 'percentile' or 'basic', got {bootstrap!r}")
    if not (isinstance(n_resamples, (int, np.integer)) and n_resamples >= 2):
        _fail(f"n_resamples: expected an integer >= 2, got {n_resamples!r}")
    if not (0 < confidence_level < 1):
        _fail(f"confidence_level: expected a number in (0, 1), got {confidence_level!r}")


def _draws(data: list[_Ratings], ci: str, n_resamples: int, rng) -> dict[str, np.ndarray | None]:
    """Per dataset, the study multiplicities of every resample (None without bootstrap)."""
    if ci == "analytic":
        return {d.dataset: None for d in data}
    gen = np.random.default_rng(rng)
    return {d.dataset: _k.multiplicities(d.n_studies, n_resamples, gen) for d in data}


def _frame(rows: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=list(COLUMNS))
    for col in ("estimate", "se", "ci_low", "ci_high", "confidence_level"):
        df[col] = df[col].astype(np.float64)
    df["n"] = df["n"].astype(np.int64)
    for col in ("dataset", "level", "finding", "measure", "raters", "method"):
        df[col] = df[col].astype(object)
    df["reason"] = df["reason"].astype("string")
    return df


def _emit(rows, d: _Ratings, finding, measure, raters, n, estimate, why, *, ci, analytic, boot,
          W_units, bootstrap, confidence_level, note=None):
    """Append the analytic and/or bootstrap rows of one estimate.

    ``analytic`` is ``(method, se, ci_low, ci_high)`` or ``(method, nan, nan, nan, reason)``;
    ``boot`` maps a unit-weight matrix to the resampled estimates.
    """
    base = dict(dataset=d.dataset, level=d.level, finding=finding, measure=measure, raters="|".join(raters),
                estimate=estimate, n=n, confidence_level=confidence_level)
    reasons = [r for r in (why, note) if r]
    if ci in ("analytic", "both"):
        method, se, lo, hi, *extra = analytic
        if why:
            se = lo = hi = np.nan
        rows.append({**base, "se": se, "ci_low": lo, "ci_high": hi, "method": method,
                     "reason": "; ".join(reasons + extra) or None})
    if ci in ("bootstrap", "both"):
        lo = hi = se = np.nan
        extra = []
        if not why:
            dist = boot(W_units)
            lo, hi, se, dropped = _k.bootstrap_interval(estimate, dist, method=bootstrap, confidence_level=confidence_level)
            if dropped:
                extra.append(f"{dropped} of {dist.size} resamples undefined and left out")
        rows.append({**base, "se": se, "ci_low": lo, "ci_high": hi, "method": f"bootstrap_{bootstrap}",
                     "reason": "; ".join(reasons + extra) or None})


def _codes(x: np.ndarray, cats: np.ndarray) -> np.ndarray:
    return np.searchsorted(cats, x).astype(np.int64)


def _pair_rows(rows, d: _Ratings, measure: str, pairs, *, ci, bootstrap, confidence_level, W, weights=None):
    for fi, f in enumerate(d.findings):
        cats = d.categories[f]
        k = cats.size
        wm = _k.agreement_weights(k, weights) if measure == "cohen_kappa" else None
        for a, b in pairs:
            x, y = d.values[fi, :, d.raters.index(a)], d.values[fi, :, d.raters.index(b)]
            ok = ~np.isnan(x) & ~np.isnan(y)
            n = int(ok.sum())
            cells = _codes(x[ok], cats) * k + _codes(y[ok], cats)
            Wu = None if W is None else W[:, d.unit_study[ok]]
            why = None if n >= 2 else f"fewer than two studies rated by both {a} and {b}"
            if measure == "cohen_kappa":
                est = float(_k.cohen_from_cells(cells, k, weights=wm)[0]) if n else np.nan
                if not why and not np.isfinite(est):
                    why = f"undefined: no variation (both raters gave every study the rating {cats[cells[0] // k]:g})"
                se = np.sqrt(_k.cohen_variance(cells, k, weights=wm)) if not why else np.nan
                analytic = ("fleiss_cohen_everitt_1969", se, *_k.normal_interval(est, se, confidence_level))
                boot = lambda Wx, c=cells: _k.cohen_from_cells(c, k, Wx, weights=wm)  # noqa: E731
            elif measure == "pabak":
                est = float(_k.pabak_from_cells(cells, k)[0]) if n else np.nan
                agree = int((cells // k == cells % k).sum())
                lo, hi = _interval(agree, max(n, 1), confidence_level, "clopper-pearson")
                analytic = ("clopper_pearson", np.nan, (k * lo - 1) / (k - 1), (k * hi - 1) / (k - 1))
                boot = lambda Wx, c=cells: _k.pabak_from_cells(c, k, Wx)  # noqa: E731
            else:  # pairwise AC1 = rater-set AC1 of two raters
                _set_measure(rows, d, "gwet_ac1", [a, b], fi, ci=ci, bootstrap=bootstrap,
                             confidence_level=confidence_level, W=W)
                continue
            _emit(rows, d, f, measure, (a, b), n, est, why, ci=ci, analytic=analytic, boot=boot, W_units=Wu,
                  bootstrap=bootstrap, confidence_level=confidence_level)


def _set_measure(rows, d: _Ratings, measure: str, raters, fi: int, *, ci, bootstrap, confidence_level, W,
                 variance="gwet"):
    f = d.findings[fi]
    cats = d.categories[f]
    k = cats.size
    v = d.values[fi][:, [d.raters.index(r) for r in raters]]
    rated = (~np.isnan(v)).sum(axis=1)
    use = rated >= 2 if measure == "krippendorff_alpha" else rated == len(raters)
    left_out = int(((rated > 0) & ~use).sum())
    unit = "slices" if d.level == "slice" else "studies"
    note = None
    if left_out and measure != "krippendorff_alpha":
        note = f"{left_out} {unit} without a rating from every rater left out"
    elif left_out:
        note = f"{left_out} {unit} with a single rating left out"
    vv = v[use]
    counts = np.zeros((vv.shape[0], k))
    for j in range(vv.shape[1]):
        ok = ~np.isnan(vv[:, j])
        np.add.at(counts, (np.flatnonzero(ok), _codes(vv[ok, j], cats)), 1.0)
    n = int(use.sum())
    fn = {"fleiss_kappa": _k.fleiss_from_counts, "gwet_ac1": _k.ac1_from_counts,
          "krippendorff_alpha": _k.alpha_from_counts}[measure]
    why = None if n >= 2 else f"fewer than two {unit} rated by " + ("every rater" if measure != "krippendorff_alpha" else "two raters")
    est = float(fn(counts)[0]) if n else np.nan
    if not why and not np.isfinite(est):
        only = cats[counts.sum(axis=0) > 0]
        why = f"undefined: no variation (every rating is {', '.join(f'{c:g}' for c in only)})"
    if measure == "fleiss_kappa" and variance == "fleiss_nee_landis":
        se = np.sqrt(_k.fleiss_null_variance(counts)) if not why else np.nan
        analytic = ("fleiss_nee_landis_1979", se, *_k.normal_interval(est, se, confidence_level),
                    "SE under kappa = 0 (a test, not an interval for kappa != 0)")
    elif measure in ("fleiss_kappa", "gwet_ac1"):
        var_fn = _k.fleiss_variance if measure == "fleiss_kappa" else _k.ac1_variance
        se = np.sqrt(var_fn(counts)) if not why else np.nan
        analytic = ("gwet_2014" if measure == "fleiss_kappa" else "gwet_2008", se,
                    *_k.normal_interval(est, se, confidence_level, df=n - 1))
    else:
        analytic = ("none", np.nan, np.nan, np.nan, "no analytic interval: use ci='bootstrap'")
    Wu = None if W is None else W[:, d.unit_study[use]]
    _emit(rows, d, f, measure, raters, n, est, why, ci=ci, analytic=analytic, boot=lambda Wx: fn(counts, Wx),
          W_units=Wu, bootstrap=bootstrap, confidence_level=confidence_level, note=note)


def _run(labels, kind: str, *, level, raters, findings, categories, ci, bootstrap, n_resamples, confidence_level,
         rng, weights=None, pairwise=False, variance="gwet", draws=None, data=None) -> pd.DataFrame:
    _options(ci, bootstrap, n_resamples, confidence_level)
    data = data if data is not None else _prepare(labels, level=level, raters=raters, findings=findings,
                                                  categories=categories)
    draws = draws if draws is not None else _draws(data, ci, n_resamples, rng)
    rows: list[dict] = []
    opts = dict(ci=ci, bootstrap=bootstrap, confidence_level=confidence_level)
    for d in data:
        if len(d.raters) < 2:
            for f in d.findings:
                rows.append(dict(dataset=d.dataset, level=d.level, finding=f, measure=kind, raters="|".join(d.raters),
                                 estimate=np.nan, se=np.nan, ci_low=np.nan, ci_high=np.nan, n=0, method="none",
                                 confidence_level=confidence_level, reason="fewer than two raters in this dataset"))
            continue
        if kind in ("cohen_kappa", "pabak") or pairwise:
            _pair_rows(rows, d, kind, list(combinations(d.raters, 2)), W=draws[d.dataset], weights=weights, **opts)
        else:
            for fi in range(len(d.findings)):
                _set_measure(rows, d, kind, d.raters, fi, W=draws[d.dataset], variance=variance, **opts)
    return _frame(rows)


def cohen_kappa(
    labels: pd.DataFrame,
    *,
    raters: Sequence[str] | None = None,
    weights: Literal["linear", "quadratic"] | None = None,
    level: Literal["study", "slice"] = "study",
    findings: Sequence[str] | None = None,
    categories: Sequence[int] | None = None,
    ci: CI = "analytic",
    bootstrap: Bootstrap = "percentile",
    n_resamples: int = 2000,
    confidence_level: float = 0.95,
    rng: None | int | np.random.Generator = None,
) -> pd.DataFrame:
    """Cohen's kappa for every pair of raters and every finding.

    Parameters
    ----------
    labels : pandas.DataFrame
        The ``labels`` table (long: one row per study x finding x rater).
    raters : sequence of str, optional
        Raters to compare; default every rater except ``"consensus"``.
    weights : {None, "linear", "quadratic"}
        Agreement weights for ordinal ratings (``1 - |i-j|/(k-1)``, ``1 - (i-j)^2/(k-1)^2``).
        With two categories (0/1 labels) every weighting equals the unweighted kappa.
    level : {"study", "slice"}
        Which labels to use.
    findings : sequence of str, optional
        Restrict to these findings.
    categories : sequence of int, optional
        Category codes (default: the values seen, and at least 0 and 1).
    ci : {"analytic", "bootstrap", "both"}
        Analytic interval (Fleiss, Cohen & Everitt 1969 variance, normal quantile, clipped
        to [-1, 1], as ``psych::cohen.kappa``), a study-level bootstrap interval, or both rows.
    bootstrap : {"percentile", "basic"}
        Bootstrap interval method.
    n_resamples : int
        Bootstrap resamples.
    confidence_level : float
        Confidence level of the intervals.
    rng : None, int or numpy.random.Generator
        Seed of the bootstrap.

    Returns
    -------
    pandas.DataFrame
        Columns of :data:`COLUMNS`: ``dataset, level, finding, measure`` (``"cohen_kappa"``),
        ``raters`` (``"R1|R2"``), ``estimate, se, ci_low, ci_high, n`` (studies read by
        both), ``method`` (``"fleiss_cohen_everitt_1969"`` or ``"bootstrap_percentile"``),
        ``confidence_level, reason`` (why an estimate is NaN, or a note).

    Notes
    -----
    Validated against ``psych::cohen.kappa(cbind(a, b))`` (estimate, ``var.kappa``,
    ``confid``) and, on the real CQ500 reads, within 1e-6 (tests/reference/agreement.R).
    Weighted kappa: the estimate against ``psych::cohen.kappa(x, w = ...)``; its SE against
    the Fleiss-Cohen-Everitt formula written out in R and a numerical delta method.
    ``psych``'s ``var.weighted`` is not that variance (0.0091 against 0.0453 on the
    reference data), so it is not used.

    References
    ----------
    Fleiss JL, Cohen J, Everitt BS (1969). Large sample standard errors of kappa and
    weighted kappa. Psychol Bull 72:323-327.

    Examples
    --------
    >>> from hemstats.datasets import demo
    >>> cohort = demo.load(n_studies=200)
    >>> k = cohen_kappa(cohort.labels)
    >>> k.query("finding == 'any'").raters.tolist(), k.n.unique().tolist()
    (['R1|R2', 'R1|R3', 'R2|R3'], [200])
    >>> bool(((k.ci_low <= k.estimate) & (k.estimate <= k.ci_high)).all())
    True
    """
    if weights not in (None, "linear", "quadratic"):
        _fail(f"weights: expected None, 'linear' or 'quadratic', got {weights!r}")
    return _run(labels, "cohen_kappa", level=level, raters=raters, findings=findings, categories=categories, ci=ci,
                bootstrap=bootstrap, n_resamples=n_resamples, confidence_level=confidence_level, rng=rng,
                weights=weights)


def pabak(labels: pd.DataFrame, *, raters: Sequence[str] | None = None, level: Literal["study", "slice"] = "study",
          findings: Sequence[str] | None = None, categories: Sequence[int] | None = None, ci: CI = "analytic",
          bootstrap: Bootstrap = "percentile", n_resamples: int = 2000, confidence_level: float = 0.95,
          rng: None | int | np.random.Generator = None) -> pd.DataFrame:
    """Prevalence- and bias-adjusted kappa ``2 po - 1`` (Byrt et al. 1993) for every pair of raters.

    Parameters are those of :func:`cohen_kappa`.  The analytic interval maps the
    Clopper-Pearson interval of the observed agreement ``po`` (``(k lo - 1)/(k - 1)``).

    Returns
    -------
    pandas.DataFrame
        Columns of :data:`COLUMNS`, ``measure = "pabak"``, ``method = "clopper_pearson"`` or
        ``"bootstrap_..."``; ``se`` is NaN for the analytic rows.

    Notes
    -----
    Validated against ``epiR::epi.kappa(table, method = "fleiss")$pabak``.

    Examples
    --------
    >>> from hemstats.datasets import demo
    >>> p = pabak(demo.load(n_studies=200).labels, findings=["edh"])
    >>> p[["raters", "measure", "method"]].iloc[0].tolist()
    ['R1|R2', 'pabak', 'clopper_pearson']
    """
    return _run(labels, "pabak", level=level, raters=raters, findings=findings, categories=categories, ci=ci,
                bootstrap=bootstrap, n_resamples=n_resamples, confidence_level=confidence_level, rng=rng)


def fleiss_kappa(labels: pd.DataFrame, *, raters: Sequence[str] | None = None,
                 variance: Literal["gwet", "fleiss_nee_landis"] = "gwet", level: Literal["study", "slice"] = "study",
                 findings: Sequence[str] | None = None, categories: Sequence[int] | None = None, ci: CI = "analytic",
                 bootstrap: Bootstrap = "percentile", n_resamples: int = 2000, confidence_level: float = 0.95,
                 rng: None | int | np.random.Generator = None) -> pd.DataFrame:
    """Fleiss' (1971) kappa of a set of raters, per finding, on the studies every rater read.

    Parameters
    ----------
    variance : {"gwet", "fleiss_nee_landis"}
        ``"gwet"`` (default): Gwet's (2014) linearisation variance, valid for any kappa,
        interval with a ``t(n - 1)`` quantile as ``irrCAC::fleiss.kappa.raw``.
        ``"fleiss_nee_landis"``: the Fleiss, Nee & Landis (1979) variance that
        ``irr::kappam.fleiss(detail = TRUE)`` reports.  It holds under kappa = 0 only
        (with two categories it is ``2 / (n m (m - 1))`` whatever the prevalence), so
        its interval is for testing, and under-covers for rare findings (see
        :func:`~hemstats.stats.kappa.kappa_coverage`).
    Other parameters are those of :func:`cohen_kappa`.

    Returns
    -------
    pandas.DataFrame
        Columns of :data:`COLUMNS`, ``measure = "fleiss_kappa"``, ``raters = "R1|R2|R3"``,
        ``n`` = studies rated by every rater (``reason`` counts those left out),
        ``method = "gwet_2014"``, ``"fleiss_nee_landis_1979"`` or ``"bootstrap_..."``.

    Notes
    -----
    Validated against the formulas of ``irr::kappam.fleiss`` and ``irrCAC::fleiss.kappa.raw``
    written out in R (neither package is packaged for Debian), and the estimate against
    ``statsmodels.stats.inter_rater.fleiss_kappa``; on the real CQ500 reads within 1e-6.

    Examples
    --------
    >>> from hemstats.datasets import demo
    >>> f = fleiss_kappa(demo.load(n_studies=200).labels, ci="both", n_resamples=500, rng=0)
    >>> sorted(f.method.unique())
    ['bootstrap_percentile', 'gwet_2014']
    """
    if variance not in ("gwet", "fleiss_nee_landis"):
        _fail(f"variance: expected 'gwet' or 'fleiss_nee_landis', got {variance!r}")
    return _run(labels, "fleiss_kappa", level=level, raters=raters, findings=findings, categories=categories, ci=ci,
                bootstrap=bootstrap, n_resamples=n_resamples, confidence_level=confidence_level, rng=rng,
                variance=variance)


def gwet_ac1(labels: pd.DataFrame, *, raters: Sequence[str] | None = None, pairwise: bool = False,
             level: Literal["study", "slice"] = "study", findings: Sequence[str] | None = None,
             categories: Sequence[int] | None = None, ci: CI = "analytic", bootstrap: Bootstrap = "percentile",
             n_resamples: int = 2000, confidence_level: float = 0.95,
             rng: None | int | np.random.Generator = None) -> pd.DataFrame:
    """Gwet's AC1 of the rater set (or of every pair with ``pairwise=True``), per finding.

    AC1 stays stable when a finding is rare, where kappa collapses (the kappa paradox).
    The analytic interval uses Gwet's (2008) variance with a ``t(n - 1)`` quantile, as
    ``irrCAC::gwet.ac1.raw``; studies not read by every rater of the set are left out.

    Returns
    -------
    pandas.DataFrame
        Columns of :data:`COLUMNS`, ``measure = "gwet_ac1"``, ``method = "gwet_2008"`` or
        ``"bootstrap_..."``.

    Notes
    -----
    Validated against the formula of ``irrCAC::gwet.ac1.raw`` written out in R
    (irrCAC is not packaged for Debian), tests/reference/agreement.R.

    Examples
    --------
    >>> from hemstats.datasets import demo
    >>> a = gwet_ac1(demo.load(n_studies=200).labels, findings=["edh"])
    >>> a[["raters", "method"]].iloc[0].tolist()
    ['R1|R2|R3', 'gwet_2008']
    """
    return _run(labels, "gwet_ac1", level=level, raters=raters, findings=findings, categories=categories, ci=ci,
                bootstrap=bootstrap, n_resamples=n_resamples, confidence_level=confidence_level, rng=rng,
                pairwise=pairwise)


def krippendorff_alpha(labels: pd.DataFrame, *, raters: Sequence[str] | None = None,
                       level: Literal["study", "slice"] = "study", findings: Sequence[str] | None = None,
                       categories: Sequence[int] | None = None, ci: CI = "bootstrap",
                       bootstrap: Bootstrap = "percentile", n_resamples: int = 2000, confidence_level: float = 0.95,
                       rng: None | int | np.random.Generator = None) -> pd.DataFrame:
    """Krippendorff's alpha (nominal) per finding; missing ratings allowed.

    Every study with at least two ratings counts (``n``).  There is no analytic interval:
    the analytic row has NaN bounds and says so; the default is the study bootstrap.

    Returns
    -------
    pandas.DataFrame
        Columns of :data:`COLUMNS`, ``measure = "krippendorff_alpha"``, ``method = "none"``
        (analytic row) or ``"bootstrap_..."``.

    Notes
    -----
    Validated against the coincidence-matrix formula in R (``irr::kripp.alpha`` is not
    packaged for Debian) and the ``krippendorff`` PyPI package.

    Examples
    --------
    >>> from hemstats.datasets import demo
    >>> a = krippendorff_alpha(demo.load(n_studies=200).labels, n_resamples=500, rng=0)
    >>> a.method.unique().tolist()
    ['bootstrap_percentile']
    """
    return _run(labels, "krippendorff_alpha", level=level, raters=raters, findings=findings, categories=categories,
                ci=ci, bootstrap=bootstrap, n_resamples=n_resamples, confidence_level=confidence_level, rng=rng)


def reader_vs_reference(labels: pd.DataFrame, *, reference: str = "consensus", raters: Sequence[str] | None = None,
                        level: Literal["study", "slice"] = "study", findings: Sequence[str] | None = None,
                        confidence_level: float = 0.95) -> pd.DataFrame:
    """Each reader against the reference: sensitivity, specificity (Wilson) and Cohen's kappa.

    Parameters
    ----------
    reference : str
        The reference rater (default ``"consensus"``).
    raters : sequence of str, optional
        Readers to compare; default every rater but the reference.

    Returns
    -------
    pandas.DataFrame
        Columns of :data:`COLUMNS`, ``measure`` in ``sensitivity, specificity, cohen_kappa``,
        ``raters = "R1|consensus"``, ``n`` = reference positives (sensitivity), negatives
        (specificity) or studies (kappa); ``method = "wilson"`` or ``"fleiss_cohen_everitt_1969"``.

    Notes
    -----
    Validated against ``prop.test(x, n, correct = FALSE)$conf.int`` (Wilson) and
    ``psych::cohen.kappa`` (tests/reference/agreement.R).

    Examples
    --------
    >>> from hemstats.datasets import demo
    >>> r = reader_vs_reference(demo.load(n_studies=200).labels, findings=["any"])
    >>> r.pivot(index="raters", columns="measure", values="n").columns.tolist()
    ['cohen_kappa', 'sensitivity', 'specificity']
    """
    _options("analytic", "percentile", 2, confidence_level)
    data = _prepare(labels, level=level, raters=None, findings=findings, categories=None, reference=None, binary=True)
    rows: list[dict] = []
    for d in data:
        if reference not in d.raters:
            _fail(f"reference: no rater {reference!r} in dataset {d.dataset!r}; raters: {d.raters}")
        readers = [r for r in (raters or d.raters) if r != reference]
        unknown = [r for r in readers if r not in d.raters]
        if unknown:
            _fail(f"raters: {unknown} not in dataset {d.dataset!r}; raters: {d.raters}")
        _pair_rows(rows, d, "cohen_kappa", [(r, reference) for r in readers], ci="analytic", bootstrap="percentile",
                   confidence_level=confidence_level, W=None)
        ref = d.values[:, :, d.raters.index(reference)]
        for fi, f in enumerate(d.findings):
            for r in readers:
                x = d.values[fi, :, d.raters.index(r)]
                ok = ~np.isnan(x) & ~np.isnan(ref[fi])
                for measure, truth in (("sensitivity", 1), ("specificity", 0)):
                    sel = ok & (ref[fi] == truth)
                    n = int(sel.sum())
                    hits = int((x[sel] == truth).sum())
                    lo, hi = _interval(hits, n, confidence_level, "wilson") if n else (np.nan,) * 2
                    why = None if n else f"no reference-{'positive' if truth else 'negative'} studies"
                    rows.append(dict(dataset=d.dataset, level=d.level, finding=f, measure=measure,
                                     raters=f"{r}|{reference}", estimate=hits / n if n else np.nan, se=np.nan,
                                     ci_low=lo, ci_high=hi, n=n, method="wilson", confidence_level=confidence_level,
                                     reason=why))
    out = _frame(rows)
    rank = out["measure"].map({"sensitivity": 0, "specificity": 1, "cohen_kappa": 2})
    frank = out["finding"].map(lambda f: _finding_order(f)[0])
    dsrank = out["dataset"].map({d.dataset: i for i, d in enumerate(data)})
    order = np.lexsort((rank.to_numpy(), out["raters"].to_numpy(), frank.to_numpy(), dsrank.to_numpy()))
    return out.iloc[order].reset_index(drop=True)


def agreement(labels: pd.DataFrame, *, level: Literal["study", "slice"] = "study",
              raters: Sequence[str] | None = None, findings: Sequence[str] | None = None, ci: CI = "analytic",
              bootstrap: Bootstrap = "percentile", n_resamples: int = 2000, confidence_level: float = 0.95,
              rng: None | int | np.random.Generator = None) -> pd.DataFrame:
    """Every agreement measure for every finding at once, on the same bootstrap resamples.

    Pairwise: Cohen's kappa, PABAK, Gwet's AC1; rater set: Fleiss' kappa, Gwet's AC1,
    Krippendorff's alpha (whose analytic row has NaN bounds: use ``ci="both"``).

    Parameters
    ----------
    labels : pandas.DataFrame
        The ``labels`` table.
    level : {"study", "slice"}
        Which labels to use.
    raters, findings : sequence of str, optional
        Restrict to these raters (default all but ``"consensus"``) and findings.
    ci, bootstrap, n_resamples, confidence_level, rng
        As in :func:`cohen_kappa`; the study resamples are drawn once per dataset and
        shared by every measure.

    Returns
    -------
    pandas.DataFrame
        Columns of :data:`COLUMNS`; the rows of :func:`cohen_kappa`, :func:`pabak`,
        :func:`gwet_ac1` (pairwise and set), :func:`fleiss_kappa`, :func:`krippendorff_alpha`.

    Notes
    -----
    Validated against R through each measure's function; on the real CQ500 reads every
    Fleiss, AC1, alpha and pairwise Cohen value of this frame matches R within 1e-6.

    Examples
    --------
    >>> from hemstats.datasets import demo
    >>> res = agreement(demo.load(n_studies=200).labels)
    >>> sorted(res.measure.unique())
    ['cohen_kappa', 'fleiss_kappa', 'gwet_ac1', 'krippendorff_alpha', 'pabak']
    """
    _options(ci, bootstrap, n_resamples, confidence_level)
    data = _prepare(labels, level=level, raters=raters, findings=findings, categories=None)
    draws = _draws(data, ci, n_resamples, rng)
    common = dict(level=level, raters=raters, findings=findings, categories=None, ci=ci, bootstrap=bootstrap,
                  n_resamples=n_resamples, confidence_level=confidence_level, rng=None, draws=draws, data=data)
    parts = [_run(labels, "cohen_kappa", **common), _run(labels, "pabak", **common),
             _run(labels, "gwet_ac1", pairwise=True, **common), _run(labels, "fleiss_kappa", **common),
             _run(labels, "gwet_ac1", **common), _run(labels, "krippendorff_alpha", **common)]
    return pd.concat(parts, ignore_index=True)


def _icc_table(x: np.ndarray, confidence_level: float) -> list[tuple[str, float, float, float]]:
    """Shrout & Fleiss / McGraw & Wong ICCs with F-based intervals from an ``n x k`` matrix."""
    from scipy.stats import f as fdist

    n, k = x.shape
    grand = x.mean()
    ssr = k * ((x.mean(axis=1) - grand) ** 2).sum()
    ssc = n * ((x.mean(axis=0) - grand) ** 2).sum()
    sse = ((x - grand) ** 2).sum() - ssr - ssc
    msb, msj = ssr / (n - 1), ssc / (k - 1)
    mse = sse / ((n - 1) * (k - 1))
    msw = (ssc + sse) / (n * (k - 1))
    a = (1 - confidence_level) / 2
    df1, df1kd, df2kd = n - 1, n * (k - 1), (n - 1) * (k - 1)
    icc1 = (msb - msw) / (msb + (k - 1) * msw)
    icc2 = (msb - mse) / (msb + (k - 1) * mse + k * (msj - mse) / n)
    icc3 = (msb - mse) / (msb + (k - 1) * mse)
    f1, f3 = msb / msw, msb / mse
    f1l, f1u = f1 / fdist.ppf(1 - a, df1, df1kd), f1 * fdist.ppf(1 - a, df1kd, df1)
    f3l, f3u = f3 / fdist.ppf(1 - a, df1, df2kd), f3 * fdist.ppf(1 - a, df2kd, df1)
    fj = msj / mse
    vn = df2kd * (k * icc2 * fj + n * (1 + (k - 1) * icc2) - k * icc2) ** 2
    vd = df1 * k**2 * icc2**2 * fj**2 + (n * (1 + (k - 1) * icc2) - k * icc2) ** 2
    v = vn / vd
    f2u, f2l = fdist.ppf(1 - a, n - 1, v), fdist.ppf(1 - a, v, n - 1)
    l2 = n * (msb - f2u * mse) / (f2u * (k * msj + (k * n - k - n) * mse) + n * msb)
    u2 = n * (f2l * msb - mse) / (k * msj + (k * n - k - n) * mse + n * f2l * msb)
    return [
        ("ICC(1,1)", icc1, (f1l - 1) / (f1l + k - 1), (f1u - 1) / (f1u + k - 1)),
        ("ICC(A,1)", icc2, l2, u2),
        ("ICC(C,1)", icc3, (f3l - 1) / (f3l + k - 1), (f3u - 1) / (f3u + k - 1)),
        ("ICC(1,k)", (msb - msw) / msb, 1 - 1 / f1l, 1 - 1 / f1u),
        ("ICC(A,k)", (msb - mse) / (msb + (msj - mse) / n), l2 * k / (1 + l2 * (k - 1)), u2 * k / (1 + u2 * (k - 1))),
        ("ICC(C,k)", (msb - mse) / msb, 1 - 1 / f3l, 1 - 1 / f3u),
    ]


def icc(frame: pd.DataFrame, *, targets: str, raters: str, ratings: str, by: Sequence[str] | None = None,
        confidence_level: float = 0.95) -> pd.DataFrame:
    """Intraclass correlations of continuous ratings (e.g. lesion volumes), per group.

    The six ICCs of ``pingouin.intraclass_corr`` (Shrout & Fleiss 1979; McGraw & Wong
    1996), computed from the two-way ANOVA mean squares with the same formulas, with
    F-based intervals at any ``confidence_level`` (pingouin rounds its 95% bounds to two
    decimals, so the bounds are computed here).  Targets not rated by every rater are
    left out (listwise, as pingouin's ``nan_policy="omit"``).

    Parameters
    ----------
    frame : pandas.DataFrame
        Long table: one row per target x rater.
    targets, raters, ratings : str
        Column names of the rated units, the raters and the (numeric) ratings.
    by : sequence of str, optional
        Grouping columns (default those of ``dataset``, ``finding`` present in ``frame``).
    confidence_level : float
        Confidence level of the intervals.

    Returns
    -------
    pandas.DataFrame
        Columns of :data:`COLUMNS`; ``measure`` is ``ICC(1,1), ICC(A,1), ICC(C,1), ICC(1,k),
        ICC(A,k), ICC(C,k)``, ``n`` the targets rated by every rater, ``method = "f_test"``.

    Notes
    -----
    Validated against ``psych::ICC(x, lmer = FALSE)`` (ICC1 ... ICC3k, bounds) and the
    estimates against ``pingouin.intraclass_corr``.

    Examples
    --------
    >>> import pandas as pd
    >>> fr = pd.DataFrame({"lesion": [1, 1, 2, 2, 3, 3, 4, 4], "reader": list("ABABABAB"),
    ...                    "volume_ml": [1.0, 1.2, 5.0, 4.6, 9.0, 9.5, 2.0, 2.5]})
    >>> res = icc(fr, targets="lesion", raters="reader", ratings="volume_ml")
    >>> res.measure.iloc[0], round(float(res.estimate.iloc[0]), 3)
    ('ICC(1,1)', 0.993)
    """
    if not (0 < confidence_level < 1):
        _fail(f"confidence_level: expected a number in (0, 1), got {confidence_level!r}")
    if not isinstance(frame, pd.DataFrame):
        _fail(f"frame: expected a pandas DataFrame, got {type(frame).__name__}")
    for col in (targets, raters, ratings):
        if col not in frame.columns:
            _fail(f"frame: column {col!r} absent; columns are {list(frame.columns)}")
    value = pd.to_numeric(frame[ratings], errors="coerce")
    bad = frame[ratings].notna().to_numpy() & value.isna().to_numpy()
    if bad.any():
        _fail(f"frame.{ratings}: expected numbers; {describe_rows(frame, bad, ratings)}")
    by = [c for c in ("dataset", "finding") if c in frame.columns] if by is None else list(by)
    rows = []
    data = frame.assign(**{ratings: value})
    groups = data.groupby(by, sort=False, observed=True) if by else [((), data)]
    for key, g in groups:
        key = key if isinstance(key, tuple) else (key,)
        info = dict(zip(by, key))
        wide = g.pivot_table(index=targets, columns=raters, values=ratings, observed=True).dropna()
        n = len(wide)
        base = dict(dataset=info.get("dataset", ""), level="", finding=info.get("finding", ""),
                    raters="|".join(map(str, wide.columns)), se=np.nan, n=n, confidence_level=confidence_level)
        if n < 3 or wide.shape[1] < 2:
            rows.append({**base, "measure": "ICC", "estimate": np.nan, "ci_low": np.nan, "ci_high": np.nan,
                         "method": "none", "reason": "needs at least three targets rated by at least two raters"})
            continue
        for name, est, lo, hi in _icc_table(wide.to_numpy(float), confidence_level):
            rows.append({**base, "measure": name, "estimate": float(est), "ci_low": float(lo), "ci_high": float(hi),
                         "method": "f_test", "reason": None})
    return _frame(rows)
