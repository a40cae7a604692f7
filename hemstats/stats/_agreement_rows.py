"""Long-frame assembly of :mod:`hemstats.stats.agreement`: one row per estimate and interval.

:func:`_run` computes one measure on the ratings (:func:`~hemstats.stats._agreement_input._prepare`)
of every dataset: :func:`_pair_rows` for the pairwise measures, :func:`_set_measure` for the
rater-set ones, :func:`_emit` for the analytic and bootstrap rows of one estimate and
:func:`_frame` for the frame with the columns and dtypes of :data:`COLUMNS`.  The numeric
kernels are in :mod:`hemstats.stats.kappa`.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd

from hemstats.stats._proportion import interval as _interval
from hemstats.stats import kappa as _k
from hemstats.stats._agreement_input import _options, _prepare, _Ratings

#: Columns of every frame this module returns, in order.
COLUMNS: tuple[str, ...] = (
    "dataset", "level", "finding", "measure", "raters", "estimate", "se",
    "ci_low", "ci_high", "n", "method", "confidence_level", "reason",
)


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
