"""Long-frame assembly of :mod:`hemstats.stats.reliability.agreement`: one row per estimate and interval.

:func:`_run` computes measures on the ratings (:func:`~hemstats.stats.reliability._input._prepare`)
of every dataset: :func:`_pair_rows` for the pairwise measures, :func:`_set_measure` for the
rater-set ones, :func:`_reader_rows` for readers against a reference, :func:`_emit` for the
analytic and bootstrap rows of one estimate, :func:`_bootstrap` for every bootstrap row at
once and :func:`_frame` for the result table (:func:`~hemstats.stats._core.columns.result_frame`
with the columns of :data:`COLUMNS`).  The numeric kernels are in
:mod:`hemstats.stats.reliability.kappa`.

Resampling goes through the one engine: the resample indices are those of
:func:`hemstats.stats.resampling.engine.resample_indices` (whole clusters, unstratified, chunk
by chunk so memory stays bounded; the same resamples for every measure of a dataset), the
intervals those of :func:`hemstats.stats.resampling.engine.interval_from_distribution`
(percentile, basic, BCa with the leave-one-cluster-out jackknife).

Clustering of one estimate: ``n_clusters`` counts the clusters of the units it uses; when
some cluster holds more than one of them the estimate is *clustered* and gets the
cluster-robust analytic interval (``cluster-robust-linearised``, ``cluster-robust-korn-graubard``)
and the cluster bootstrap (``cluster-bootstrap-<method>``); with one unit per cluster the
independent-units methods are exact and keep their names (``fleiss-cohen-everitt-1969``...,
``bootstrap-percentile``); ``cluster=False`` forces them and says so (``...-independent-rows``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from itertools import combinations
from typing import Any, Literal

import numpy as np
import pandas as pd

from hemstats.stats._core.columns import result_columns, result_frame
from hemstats.stats._core.intervals import interval as _proportion_interval
from hemstats.stats._core.options import CHUNK_CELLS, MIN_CLUSTERS, method_code
from hemstats.stats.reliability import kappa as _k
from hemstats.stats.reliability._input import _options, _prepare, _Ratings
from hemstats.stats.resampling.engine import interval_from_distribution, resample_indices

#: The agreement statistics' own fixed columns: ``raters`` (before the estimate), ``se`` (after it).
EXTRA: tuple[str, ...] = ("raters",)
AFTER: tuple[str, ...] = ("se",)
#: Columns of every agreement result (:func:`~hemstats.stats._core.columns.result_columns`).
COLUMNS: tuple[str, ...] = tuple(result_columns(EXTRA, AFTER))
#: The own columns of :func:`~hemstats.stats.reliability.agreement.reader_vs_reference`.
READER_EXTRA: tuple[str, ...] = ("rater", "reference")
READER_COLUMNS: tuple[str, ...] = tuple(result_columns(READER_EXTRA, AFTER))
_CHUNK_CELLS = 4 * CHUNK_CELLS  # weights per bootstrap chunk (~32 MB of float64)


@dataclass
class _Job:
    """One bootstrap row to fill: ``boot`` maps unit weights ``(b, n_used)`` to replicates."""

    row: int
    estimate: float
    boot: Callable[[np.ndarray], np.ndarray]
    clusters: np.ndarray  # cluster index (in the dataset) of each used unit
    parts: list[np.ndarray] = field(default_factory=list)
    #: optional linear form of ``boot``: ``boot(W) == finish(W @ features)`` with integer-valued
    #: ``features`` (n_used, f), so every job of a dataset is one exact GEMM on cluster totals
    linear: tuple[np.ndarray, Callable[[np.ndarray], np.ndarray]] | None = None


def _frame(rows: list[dict[str, Any]], extra: Sequence[str] = EXTRA) -> pd.DataFrame:
    out = result_frame(rows, extra=extra, after=AFTER)
    out["se"] = out["se"].astype(np.float64)
    return out


def _independent(method: str) -> str:
    return method if method == "none" else f"{method}-independent-rows"


def _emit(rows, jobs, d: _Ratings, finding, measure, raters, used, estimate, why, *, intervals, plain, robust, boot,
          bootstrap_method, confidence_level, note=None, robust_name="cluster-robust-linearised", keys=None,
          linear=None):
    """Append the analytic and/or bootstrap rows of one estimate.

    ``plain`` is ``(method, se, ci_low, ci_high, *notes)`` ignoring clusters, ``robust`` a
    callable giving the cluster-robust tuple (method ``robust_name``); ``boot`` maps unit
    weights to replicates; ``keys`` the own columns (default ``raters``); ``linear`` an optional
    ``(features, finish)`` with ``boot(W) == finish(W @ features)`` (see :class:`_Job`).
    """
    clusters = d.unit_cluster[used]
    n_clusters = int(np.unique(clusters).size)
    clustered = not d.independent and n_clusters < clusters.size
    base = dict(dataset=d.dataset, level=d.level, finding=finding, metric=measure,
                **(keys if keys is not None else {"raters": "|".join(raters)}),
                estimate=estimate, n=int(clusters.size), n_clusters=n_clusters, confidence_level=confidence_level)
    reasons = [r for r in (why, note) if r]
    no_interval = None
    if clustered:
        reasons += [d.cluster_note] if d.cluster_note else []
        if n_clusters < 2:
            no_interval = f"fewer than 2 clusters ({n_clusters}): no cluster-robust interval"
        elif n_clusters < MIN_CLUSTERS:
            reasons.append(f"only {n_clusters} clusters: the cluster-robust interval may be unreliable")
    if "analytic" in intervals:
        if clustered and not why and not no_interval:
            method, se, lo, hi, *extra = robust()
        else:
            method, se, lo, hi, *extra = plain
            method = _independent(method) if d.independent else robust_name if clustered else method
        if why or no_interval:
            se = lo = hi = np.nan
        rows.append({**base, "se": se, "ci_low": lo, "ci_high": hi, "method": method,
                     "reason": "; ".join(reasons + extra + ([no_interval] if no_interval else [])) or None})
    if "bootstrap" in intervals:
        method = method_code(bootstrap_method, stratified=False, clustered=clustered)
        method = f"{method}-independent-rows" if d.independent else method
        rows.append({**base, "se": np.nan, "ci_low": np.nan, "ci_high": np.nan, "method": method,
                     "reason": "; ".join(reasons + ([no_interval] if no_interval else [])) or None})
        if not why and not no_interval:
            jobs.setdefault(d.dataset, []).append(_Job(len(rows) - 1, estimate, boot, clusters, linear=linear))


def _multiplicities(idx: np.ndarray, n_units: int) -> np.ndarray:
    """``(b, n_units)`` float multiplicities of the engine's ``(b, n_draws)`` resample indices."""
    return _k.counts_from_indices(idx, n_units)


def _bootstrap(rows, jobs, data: list[_Ratings], *, n_resamples, rng, bootstrap_method, confidence_level) -> None:
    """Fill every bootstrap row: whole clusters resampled by the engine chunk by chunk (memory
    bounded), the same resamples for every measure of a dataset."""
    gen = np.random.default_rng(rng)
    for d in data:  # every dataset draws, so its resamples do not depend on which measures were asked
        todo = jobs.get(d.dataset, [])
        n_units = d.values.shape[1]
        chunk = max(1, _CHUNK_CELLS // max(n_units, d.n_clusters, 1))
        # the engine numbers clusters in order of first appearance, as _prepare does (checked)
        engine_cluster = pd.unique(d.unit_cluster)
        same_order = bool(np.array_equal(engine_cluster, np.arange(d.n_clusters)))
        linear = [job for job in todo if job.linear is not None]
        other = [job for job in todo if job.linear is None]
        stacked, edges = _cluster_totals(linear, d.n_clusters, engine_cluster)
        for idx in resample_indices(np.zeros(n_units, np.int8), cluster=d.unit_cluster, stratify=False,
                                    n_resamples=n_resamples, rng=gen, chunk_size=chunk):
            if not todo:
                continue
            if linear:  # integer sums, exact in any summation order: one GEMM for every linear job
                sums = _k.sums_from_indices(idx, d.n_clusters, stacked)  # the engine's cluster numbers
                for job, lo, hi in zip(linear, edges[:-1], edges[1:]):
                    assert job.linear is not None
                    job.parts.append(np.asarray(job.linear[1](sums[:, lo:hi]), dtype=np.float64))
            if not other:
                continue
            W = _multiplicities(idx, d.n_clusters)  # columns: the engine's cluster numbers
            if not same_order:
                W[:, engine_cluster] = W.copy()
            for job in other:
                job.parts.append(np.asarray(job.boot(W[:, job.clusters]), dtype=np.float64))
        for job in todo:
            dist = np.concatenate(job.parts)
            job.parts = []
            ok = np.isfinite(dist)
            failed = int((~ok).sum())
            lo = hi = se = np.nan
            if ok.sum() >= 2 and np.isfinite(job.estimate):
                lo, hi = interval_from_distribution(
                    job.estimate, dist[ok], bootstrap_method=bootstrap_method,
                    confidence_level=confidence_level,
                    jackknife=_jackknife(job) if bootstrap_method == "bca" else None)
                if bootstrap_method == "basic":  # the reflected interval can leave [-1, 1]
                    lo, hi = max(-1.0, lo), min(1.0, hi)
                se = float(dist[ok].std(ddof=1))
            row = rows[job.row]
            row.update(se=se, ci_low=lo, ci_high=hi, n_resamples=n_resamples, n_failed_resamples=failed)
            if failed:
                more = f"{failed} of {dist.size} resamples undefined and left out"
                row["reason"] = f"{row['reason']}; {more}" if row["reason"] else more


def _cluster_totals(jobs: list[_Job], n_clusters: int, engine_cluster: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-cluster totals of every linear job's features side by side, rows in the engine's
    cluster order (``(n_clusters, sum f)``, C-contiguous), and the column edges of each job."""
    blocks = []
    for job in jobs:
        assert job.linear is not None
        features = np.asarray(job.linear[0], dtype=np.float64)
        totals = np.zeros((n_clusters, features.shape[1]))
        np.add.at(totals, job.clusters, features)
        blocks.append(totals)
    edges = np.cumsum([0] + [b.shape[1] for b in blocks])
    if not blocks:
        return np.zeros((n_clusters, 0)), edges
    return np.ascontiguousarray(np.hstack(blocks)[engine_cluster]), edges


def _jackknife(job: _Job) -> np.ndarray:
    """Leave-one-cluster-out values of the estimate (BCa acceleration), chunk by chunk."""
    uniq = np.unique(job.clusters)
    step = max(1, _CHUNK_CELLS // max(job.clusters.size, 1))
    out = [np.asarray(job.boot((job.clusters[None, :] != uniq[i:i + step, None]).astype(np.float64)))
           for i in range(0, uniq.size, step)]
    return np.concatenate(out)


def _codes(x: np.ndarray, cats: np.ndarray) -> np.ndarray:
    return np.searchsorted(cats, x).astype(np.int64)


def _robust_normal(est: float, infl: np.ndarray, clusters: np.ndarray, confidence_level: float) -> tuple[Any, ...]:
    var, g = _k.cluster_variance(infl, clusters)
    se = float(np.sqrt(var)) if np.isfinite(var) else np.nan
    return ("cluster-robust-linearised", se, *_k.z_interval(est, se, confidence_level, df=g - 1))


def _robust_set(est: float, counts: np.ndarray, kind: Literal["fleiss", "ac1"], clusters: np.ndarray,
                confidence_level: float) -> tuple[Any, ...]:
    return _robust_normal(est, _k.set_influence(counts, kind)[1], clusters, confidence_level)


def _robust_pabak(agree: np.ndarray, clusters: np.ndarray, k: int, confidence_level: float) -> tuple[Any, ...]:
    _, lo, hi = _k.korn_graubard(agree, clusters, confidence_level)
    return ("cluster-robust-korn-graubard", np.nan, (k * lo - 1) / (k - 1), (k * hi - 1) / (k - 1))


def _robust_proportion(hit: np.ndarray, clusters: np.ndarray, confidence_level: float) -> tuple[Any, ...]:
    return ("cluster-robust-korn-graubard", np.nan, *_k.korn_graubard(hit, clusters, confidence_level)[1:])


def _tuple(value: tuple[Any, ...]) -> tuple[Any, ...]:
    return value


def _cohen_boot(cells: np.ndarray, k: int, wm: np.ndarray | None, W: np.ndarray) -> np.ndarray:
    return _k.cohen_from_cells(cells, k, W, weights=wm)


def _pabak_boot(cells: np.ndarray, k: int, W: np.ndarray) -> np.ndarray:
    return _k.pabak_from_cells(cells, k, W)


def _pair_rows(rows, jobs, d: _Ratings, measure: str, pairs, *, intervals, bootstrap_method, confidence_level,
               weights=None):
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
            plain: tuple[Any, ...]
            robust: Callable[[], tuple[Any, ...]]
            boot: Callable[[np.ndarray], np.ndarray]
            if measure == "cohen_kappa":
                est, infl = _k.cohen_influence(cells, k, weights=wm)
                if not why and not np.isfinite(est):
                    why = f"undefined: no variation (both raters gave every unit the rating {cats[cells[0] // k]:g})"
                se = np.sqrt(_k.cohen_variance(cells, k, weights=wm)) if not why else np.nan
                plain = ("fleiss-cohen-everitt-1969", se, *_k.normal_interval(est, se, confidence_level))
                robust = partial(_robust_normal, est, infl, clusters, confidence_level)
                boot = partial(_cohen_boot, cells, k, wm)
            elif measure == "pabak":
                est = float(_k.pabak_from_cells(cells, k)[0]) if n else np.nan
                agree = (cells // k == cells % k).astype(np.float64)
                lo, hi = _proportion_interval(int(agree.sum()), max(n, 1), confidence_level, "clopper-pearson")
                plain = ("clopper-pearson", np.nan, (k * lo - 1) / (k - 1), (k * hi - 1) / (k - 1))

                robust = partial(_robust_pabak, agree, clusters, k, confidence_level)
                boot = partial(_pabak_boot, cells, k)
            else:  # pairwise AC1 = rater-set AC1 of two raters
                _set_measure(rows, jobs, d, "gwet_ac1", [a, b], fi, intervals=intervals,
                             bootstrap_method=bootstrap_method, confidence_level=confidence_level)
                continue
            _emit(rows, jobs, d, f, measure, (a, b), ok, est, why, intervals=intervals, plain=plain, robust=robust,
                  boot=boot, bootstrap_method=bootstrap_method, confidence_level=confidence_level,
                  robust_name="cluster-robust-korn-graubard" if measure == "pabak" else "cluster-robust-linearised")


def _set_measure(rows, jobs, d: _Ratings, measure: str, raters, fi: int, *, intervals, bootstrap_method,
                 confidence_level, variance="gwet"):
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
    why = None if n >= 2 else f"fewer than two {unit} rated by " + (
        "every rater" if measure != "krippendorff_alpha" else "two raters")
    est = float(fn(counts)[0]) if n else np.nan
    if not why and not np.isfinite(est):
        only = cats[counts.sum(axis=0) > 0]
        why = f"undefined: no variation (every rating is {', '.join(f'{c:g}' for c in only)})"
    clusters = d.unit_cluster[use]
    robust_name = "cluster-robust-linearised"
    linear = None
    plain: tuple[Any, ...]
    robust: Callable[[], tuple[Any, ...]]
    if measure == "fleiss_kappa" and variance == "fleiss_nee_landis":
        se = np.sqrt(_k.fleiss_null_variance(counts)) if not why else np.nan
        plain = ("fleiss-nee-landis-1979", se, *_k.normal_interval(est, se, confidence_level),
                 "SE under kappa = 0 (a test, not an interval for kappa != 0)")
        robust_name = _independent(plain[0])
        robust = partial(_tuple, (robust_name, *plain[1:], "ignores clustering"))
    elif measure in ("fleiss_kappa", "gwet_ac1"):
        kind: Literal["fleiss", "ac1"] = "fleiss" if measure == "fleiss_kappa" else "ac1"
        var_fn = _k.fleiss_variance if kind == "fleiss" else _k.ac1_variance
        se = np.sqrt(var_fn(counts)) if not why and "analytic" in intervals else np.nan
        plain = ("gwet-2014" if kind == "fleiss" else "gwet-2008", se,
                 *_k.normal_interval(est, se, confidence_level, df=n - 1))
        robust = partial(_robust_set, est, counts, kind, clusters, confidence_level)
        finish = _k.fleiss_from_sums if kind == "fleiss" else _k.ac1_from_sums
        linear = (_k.set_features(counts), partial(finish, m=float(len(raters))))
    else:
        plain = ("none", np.nan, np.nan, np.nan, "no analytic interval: use interval='bootstrap'")
        robust, robust_name = partial(_tuple, plain), "none"
    _emit(rows, jobs, d, f, measure, raters, use, est, why, intervals=intervals, plain=plain, robust=robust,
          boot=partial(fn, counts), bootstrap_method=bootstrap_method, confidence_level=confidence_level,
          note=note, robust_name=robust_name, linear=linear)


def _reader_rows(rows, d: _Ratings, reference: str, readers, *, confidence_level, notes) -> None:
    """Sensitivity, specificity (Wilson, or Korn-Graubard when clustered) and kappa of each reader."""
    start = len(rows)
    _pair_rows(rows, {}, d, "cohen_kappa", [(r, reference) for r in readers], intervals=("analytic",),
               bootstrap_method="percentile", confidence_level=confidence_level)
    for row in rows[start:]:
        rater, ref = row.pop("raters").split("|")
        row.update(rater=rater, reference=ref)
        if notes.get(row["finding"]):
            row["reason"] = "; ".join(filter(None, [row["reason"], notes[row["finding"]]]))
    ref_values = d.values[:, :, d.raters.index(reference)]
    for fi, f in enumerate(d.findings):
        for r in readers:
            x = d.values[fi, :, d.raters.index(r)]
            ok = ~np.isnan(x) & ~np.isnan(ref_values[fi])
            for measure, truth in (("sensitivity", 1), ("specificity", 0)):
                sel = ok & (ref_values[fi] == truth)
                n = int(sel.sum())
                hit = (x[sel] == truth).astype(np.float64)
                lo, hi = _proportion_interval(int(hit.sum()), n, confidence_level, "wilson") if n else (np.nan,) * 2
                why = None if n else f"no reference-{'positive' if truth else 'negative'} {d.level} units"
                est = float(hit.mean()) if n else np.nan

                _emit(rows, {}, d, f, measure, (r, reference), sel, est, why, intervals=("analytic",),
                      plain=("wilson", np.nan, lo, hi),
                      robust=partial(_robust_proportion, hit, d.unit_cluster[sel], confidence_level), boot=None, bootstrap_method="percentile",
                      confidence_level=confidence_level, note=notes.get(f), robust_name="cluster-robust-korn-graubard",
                      keys={"rater": r, "reference": reference})


def _run(labels: pd.DataFrame, studies: pd.DataFrame | None, specs, *, level, raters, findings, categories,
         interval, bootstrap_method, n_resamples, confidence_level, rng, cluster=None) -> pd.DataFrame:
    """Rows of every ``(kind, options)`` in ``specs`` on the same ratings and bootstrap resamples."""
    intervals, bootstrap_method, n_resamples, confidence_level = _options(
        interval, bootstrap_method, n_resamples, confidence_level, rng)
    data = _prepare(labels, studies, level=level, raters=raters, findings=findings, categories=categories,
                    cluster=cluster)
    rows: list[dict] = []
    jobs: dict[str, list[_Job]] = {}
    opts = dict(intervals=intervals, bootstrap_method=bootstrap_method, confidence_level=confidence_level)
    for kind, extra in specs:
        for d in data:
            if len(d.raters) < 2:
                for f in d.findings:
                    for _family in intervals:
                        rows.append(dict(dataset=d.dataset, level=d.level, finding=f, metric=kind,
                                         raters="|".join(d.raters), estimate=np.nan, se=np.nan, ci_low=np.nan,
                                         ci_high=np.nan, n=0, n_clusters=0, method="none",
                                         confidence_level=confidence_level,
                                         reason="fewer than two raters in this dataset"))
                continue
            if kind in ("cohen_kappa", "pabak") or extra.get("pairwise"):
                _pair_rows(rows, jobs, d, kind, list(combinations(d.raters, 2)), weights=extra.get("weights"), **opts)
            else:
                for fi in range(len(d.findings)):
                    _set_measure(rows, jobs, d, kind, d.raters, fi, variance=extra.get("variance", "gwet"), **opts)
    if "bootstrap" in intervals:
        _bootstrap(rows, jobs, data, n_resamples=n_resamples, rng=rng, bootstrap_method=bootstrap_method,
                   confidence_level=confidence_level)
    return _frame(rows)
