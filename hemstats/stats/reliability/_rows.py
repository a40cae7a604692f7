"""Long-frame assembly of :mod:`hemstats.stats.reliability.agreement`: one row per estimate and interval.

:func:`_run` computes measures on the ratings (:func:`~hemstats.stats.reliability._input._prepare`)
of every dataset: :func:`_pair_rows` for the pairwise measures, :func:`_set_measure` for the
rater-set ones, :func:`_reader_rows` for readers against a reference, :func:`_emit` for the
analytic and bootstrap rows of one estimate, :func:`_bootstrap` for every bootstrap row at
once (cluster resamples drawn chunk by chunk, shared by every measure of a dataset) and
:func:`_frame` for the frame with the columns and dtypes of :data:`COLUMNS`.  The numeric
kernels are in :mod:`hemstats.stats.reliability.kappa`.

Clustering of one estimate: ``n_clusters`` counts the clusters of the units it uses; when
some cluster holds more than one of them the estimate is *clustered* and gets the
cluster-robust analytic interval (``cluster-robust-linearised``, ``cluster-robust-korn-graubard``)
and the cluster bootstrap (``cluster-bootstrap-<method>``); with one unit per cluster the
independent-units methods are exact and keep their names (``fleiss_cohen_everitt_1969``...,
``bootstrap-percentile``);
``cluster=False`` forces them and says so (``...-independent-rows``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd

from hemstats.stats._core.intervals import interval as _interval
from hemstats.stats._core.options import MIN_CLUSTERS, method_code
from hemstats.stats.reliability import kappa as _k
from hemstats.stats.reliability._input import _check_rng, _options, _prepare, _Ratings
from hemstats.stats.resampling.engine import interval_from_distribution, resample_indices

#: Columns of every frame this module returns, in order.
COLUMNS: tuple[str, ...] = (
    "dataset", "level", "finding", "measure", "raters", "estimate", "se",
    "ci_low", "ci_high", "n", "n_clusters", "method", "confidence_level", "reason",
)
_CHUNK_CELLS = 1 << 22  # weights per bootstrap chunk (~32 MB of float64)


@dataclass
class _Job:
    """One bootstrap row to fill: ``boot`` maps unit weights ``(b, n_used)`` to replicates."""

    row: int
    estimate: float
    boot: Callable[[np.ndarray], np.ndarray]
    clusters: np.ndarray  # cluster index (in the dataset) of each used unit
    parts: list


def _frame(rows: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=list(COLUMNS))
    for col in ("estimate", "se", "ci_low", "ci_high", "confidence_level"):
        df[col] = df[col].astype(np.float64)
    for col in ("n", "n_clusters"):
        df[col] = df[col].astype(np.int64)
    for col in ("dataset", "level", "finding", "measure", "raters", "method"):
        df[col] = df[col].astype(object)
    df["reason"] = df["reason"].astype("string")
    return df


def _independent(method: str) -> str:
    return method if method == "none" else method.replace("_", "-") + "-independent-rows"


def _emit(rows, jobs, d: _Ratings, finding, measure, raters, used, estimate, why, *, ci, plain, robust, boot,
          bootstrap, confidence_level, note=None, robust_name="cluster-robust-linearised"):
    """Append the analytic and/or bootstrap rows of one estimate.

    ``plain`` is ``(method, se, ci_low, ci_high, *notes)`` ignoring clusters, ``robust`` a
    callable giving the cluster-robust tuple (method ``robust_name``); ``boot`` maps unit
    weights to replicates.
    """
    clusters = d.unit_cluster[used]
    n_clusters = int(np.unique(clusters).size)
    clustered = not d.independent and n_clusters < clusters.size
    base = dict(dataset=d.dataset, level=d.level, finding=finding, measure=measure, raters="|".join(raters),
                estimate=estimate, n=int(clusters.size), n_clusters=n_clusters, confidence_level=confidence_level)
    reasons = [r for r in (why, note) if r]
    no_interval = None
    if clustered:
        reasons += [d.cluster_note] if d.cluster_note else []
        if n_clusters < 2:
            no_interval = f"fewer than 2 clusters ({n_clusters}): no cluster-robust interval"
        elif n_clusters < MIN_CLUSTERS:
            reasons.append(f"only {n_clusters} clusters: the cluster-robust interval may be unreliable")
    if ci in ("analytic", "both"):
        if clustered and not why and not no_interval:
            method, se, lo, hi, *extra = robust()
        else:
            method, se, lo, hi, *extra = plain
            method = _independent(method) if d.independent else robust_name if clustered else method
        if why or no_interval:
            se = lo = hi = np.nan
        rows.append({**base, "se": se, "ci_low": lo, "ci_high": hi, "method": method,
                     "reason": "; ".join(reasons + extra + ([no_interval] if no_interval else [])) or None})
    if ci in ("bootstrap", "both"):
        method = method_code(bootstrap, stratified=False, clustered=clustered)
        method = f"{method}-independent-rows" if d.independent else method
        rows.append({**base, "se": np.nan, "ci_low": np.nan, "ci_high": np.nan, "method": method,
                     "reason": "; ".join(reasons + ([no_interval] if no_interval else [])) or None})
        if not why and not no_interval:
            jobs.setdefault(d.dataset, []).append(_Job(len(rows) - 1, estimate, boot, clusters, []))


def _bootstrap(rows, jobs, data: list[_Ratings], *, n_resamples, rng, bootstrap, confidence_level) -> None:
    """Fill every bootstrap row: clusters resampled chunk by chunk (memory bounded), the same
    resamples for every measure of a dataset."""
    gen = np.random.default_rng(rng)
    for d in data:  # every dataset draws, so its resamples do not depend on which measures were asked
        todo = jobs.get(d.dataset, [])
        chunk = max(1, _CHUNK_CELLS // max(d.values.shape[1], d.n_clusters, 1))
        for idx in resample_indices(np.zeros(d.n_clusters, np.int8), stratify=False, n_resamples=n_resamples,
                                    rng=gen, chunk_size=chunk):
            if not todo:
                continue
            W = _k.counts_from_indices(idx, d.n_clusters)
            for job in todo:
                job.parts.append(np.asarray(job.boot(W[:, job.clusters]), dtype=np.float64))
        for job in todo:
            dist = np.concatenate(job.parts)
            job.parts = []
            row = rows[job.row]
            if bootstrap == "bca":
                ok = np.isfinite(dist)
                lo, hi = interval_from_distribution(job.estimate, dist[ok], method="bca",
                                                    confidence_level=confidence_level, jackknife=_jackknife(job))
                se = float(dist[ok].std(ddof=1)) if ok.sum() > 1 else np.nan
                dropped = int((~ok).sum())
            else:
                lo, hi, se, dropped = _k.bootstrap_interval(job.estimate, dist, method=bootstrap,
                                                            confidence_level=confidence_level)
            row.update(se=se, ci_low=lo, ci_high=hi)
            if dropped:
                more = f"{dropped} of {dist.size} resamples undefined and left out"
                row["reason"] = f"{row['reason']}; {more}" if row["reason"] else more


def _jackknife(job: _Job) -> np.ndarray:
    """Leave-one-cluster-out values of the estimate (BCa acceleration), chunk by chunk."""
    uniq = np.unique(job.clusters)
    step = max(1, _CHUNK_CELLS // max(job.clusters.size, 1))
    out = [np.asarray(job.boot((job.clusters[None, :] != uniq[i:i + step, None]).astype(np.float64)))
           for i in range(0, uniq.size, step)]
    return np.concatenate(out)


def _codes(x: np.ndarray, cats: np.ndarray) -> np.ndarray:
    return np.searchsorted(cats, x).astype(np.int64)


def _robust_normal(est, infl, clusters, confidence_level):
    var, g = _k.cluster_variance(infl, clusters)
    se = float(np.sqrt(var)) if np.isfinite(var) else np.nan
    return ("cluster-robust-linearised", se, *_k.z_interval(est, se, confidence_level, df=g - 1))


def _pair_rows(rows, jobs, d: _Ratings, measure: str, pairs, *, ci, bootstrap, confidence_level, weights=None):
    for fi, f in enumerate(d.findings):
        cats = d.categories[f]
        k = cats.size
        wm = _k.agreement_weights(k, weights) if measure == "cohen_kappa" else None
        for a, b in pairs:
            x, y = d.values[fi, :, d.raters.index(a)], d.values[fi, :, d.raters.index(b)]
            ok = ~np.isnan(x) & ~np.isnan(y)
            n = int(ok.sum())
            cells = _codes(x[ok], cats) * k + _codes(y[ok], cats)
            clusters = d.unit_cluster[ok]
            why = None if n >= 2 else f"fewer than two {d.level} units rated by both {a} and {b}"
            if measure == "cohen_kappa":
                est, infl = _k.cohen_influence(cells, k, weights=wm)
                if not why and not np.isfinite(est):
                    why = f"undefined: no variation (both raters gave every unit the rating {cats[cells[0] // k]:g})"
                se = np.sqrt(_k.cohen_variance(cells, k, weights=wm)) if not why else np.nan
                plain = ("fleiss_cohen_everitt_1969", se, *_k.normal_interval(est, se, confidence_level))
                robust = lambda e=est, i=infl, c=clusters: _robust_normal(e, i, c, confidence_level)
                boot = lambda Wx, c=cells: _k.cohen_from_cells(c, k, Wx, weights=wm)
            elif measure == "pabak":
                est = float(_k.pabak_from_cells(cells, k)[0]) if n else np.nan
                agree = (cells // k == cells % k).astype(np.float64)
                lo, hi = _interval(int(agree.sum()), max(n, 1), confidence_level, "clopper-pearson")
                plain = ("clopper_pearson", np.nan, (k * lo - 1) / (k - 1), (k * hi - 1) / (k - 1))

                def robust(g=agree, c=clusters):
                    _, lo_, hi_ = _k.korn_graubard(g, c, confidence_level)
                    return ("cluster-robust-korn-graubard", np.nan, (k * lo_ - 1) / (k - 1), (k * hi_ - 1) / (k - 1))

                boot = lambda Wx, c=cells: _k.pabak_from_cells(c, k, Wx)
            else:  # pairwise AC1 = rater-set AC1 of two raters
                _set_measure(rows, jobs, d, "gwet_ac1", [a, b], fi, ci=ci, bootstrap=bootstrap,
                             confidence_level=confidence_level)
                continue
            _emit(rows, jobs, d, f, measure, (a, b), ok, est, why, ci=ci, plain=plain, robust=robust, boot=boot,
                  bootstrap=bootstrap, confidence_level=confidence_level,
                  robust_name="cluster-robust-korn-graubard" if measure == "pabak" else "cluster-robust-linearised")


def _set_measure(rows, jobs, d: _Ratings, measure: str, raters, fi: int, *, ci, bootstrap, confidence_level,
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
    clusters = d.unit_cluster[use]
    robust_name = "cluster-robust-linearised"
    if measure == "fleiss_kappa" and variance == "fleiss_nee_landis":
        se = np.sqrt(_k.fleiss_null_variance(counts)) if not why else np.nan
        plain = ("fleiss_nee_landis_1979", se, *_k.normal_interval(est, se, confidence_level),
                 "SE under kappa = 0 (a test, not an interval for kappa != 0)")
        robust_name = _independent(plain[0])
        robust = lambda: (robust_name, *plain[1:], "ignores clustering")
    elif measure in ("fleiss_kappa", "gwet_ac1"):
        kind = "fleiss" if measure == "fleiss_kappa" else "ac1"
        var_fn = _k.fleiss_variance if kind == "fleiss" else _k.ac1_variance
        se = np.sqrt(var_fn(counts)) if not why else np.nan
        plain = ("gwet_2014" if kind == "fleiss" else "gwet_2008", se,
                 *_k.normal_interval(est, se, confidence_level, df=n - 1))
        robust = lambda: _robust_normal(est, _k.set_influence(counts, kind)[1], clusters, confidence_level)
    else:
        plain = ("none", np.nan, np.nan, np.nan, "no analytic interval: use ci='bootstrap'")
        robust, robust_name = (lambda: plain), "none"
    _emit(rows, jobs, d, f, measure, raters, use, est, why, ci=ci, plain=plain, robust=robust,
          boot=lambda Wx: fn(counts, Wx), bootstrap=bootstrap, confidence_level=confidence_level, note=note,
          robust_name=robust_name)


def _reader_rows(rows, jobs, d: _Ratings, reference: str, readers, *, confidence_level, notes) -> None:
    """Sensitivity, specificity (Wilson, or Korn-Graubard when clustered) and kappa of each reader."""
    _pair_rows(rows, jobs, d, "cohen_kappa", [(r, reference) for r in readers], ci="analytic",
               bootstrap="percentile", confidence_level=confidence_level)
    for row in rows:
        if row["dataset"] == d.dataset and notes.get(row["finding"]) and row["measure"] == "cohen_kappa":
            row["reason"] = "; ".join(filter(None, [row["reason"], notes[row["finding"]]]))
    ref = d.values[:, :, d.raters.index(reference)]
    for fi, f in enumerate(d.findings):
        for r in readers:
            x = d.values[fi, :, d.raters.index(r)]
            ok = ~np.isnan(x) & ~np.isnan(ref[fi])
            for measure, truth in (("sensitivity", 1), ("specificity", 0)):
                sel = ok & (ref[fi] == truth)
                n = int(sel.sum())
                hit = (x[sel] == truth).astype(np.float64)
                lo, hi = _interval(int(hit.sum()), n, confidence_level, "wilson") if n else (np.nan,) * 2
                why = None if n else f"no reference-{'positive' if truth else 'negative'} {d.level} units"
                est = float(hit.mean()) if n else np.nan

                def robust(h=hit, c=d.unit_cluster[sel]):
                    return ("cluster-robust-korn-graubard", np.nan, *_k.korn_graubard(h, c, confidence_level)[1:])

                _emit(rows, jobs, d, f, measure, (r, reference), sel, est, why, ci="analytic",
                      plain=("wilson", np.nan, lo, hi), robust=robust, boot=None, bootstrap="percentile",
                      confidence_level=confidence_level, note=notes.get(f), robust_name="cluster-robust-korn-graubard")


def _run(labels, specs, *, level, raters, findings, categories, ci, bootstrap, n_resamples, confidence_level,
         rng, cluster=None) -> pd.DataFrame:
    """Rows of every ``(kind, options)`` in ``specs`` on the same ratings and bootstrap resamples."""
    _options(ci, bootstrap, n_resamples, confidence_level)
    _check_rng(rng)
    data = _prepare(labels, level=level, raters=raters, findings=findings, categories=categories, cluster=cluster)
    rows: list[dict] = []
    jobs: dict[str, list[_Job]] = {}
    opts = dict(ci=ci, bootstrap=bootstrap, confidence_level=confidence_level)
    for kind, extra in specs:
        for d in data:
            if len(d.raters) < 2:
                for f in d.findings:
                    rows.append(dict(dataset=d.dataset, level=d.level, finding=f, measure=kind,
                                     raters="|".join(d.raters), estimate=np.nan, se=np.nan, ci_low=np.nan,
                                     ci_high=np.nan, n=0, n_clusters=0, method="none",
                                     confidence_level=confidence_level, reason="fewer than two raters in this dataset"))
                continue
            if kind in ("cohen_kappa", "pabak") or extra.get("pairwise"):
                _pair_rows(rows, jobs, d, kind, list(combinations(d.raters, 2)), weights=extra.get("weights"), **opts)
            else:
                for fi in range(len(d.findings)):
                    _set_measure(rows, jobs, d, kind, d.raters, fi, variance=extra.get("variance", "gwet"), **opts)
    if ci != "analytic":
        _bootstrap(rows, jobs, data, n_resamples=n_resamples, rng=rng, bootstrap=bootstrap,
                   confidence_level=confidence_level)
    return _frame(rows)
