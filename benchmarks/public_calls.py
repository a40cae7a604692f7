"""Benchmark: the PUBLIC calls end to end against the loops a user would write, in one run.

Run by hand (not by the tests), from the repository root:

    .venv/bin/python benchmarks/public_calls.py            # full sizes (a few minutes on 2 cores)
    .venv/bin/python benchmarks/public_calls.py --quick    # smaller sizes, a smoke test

Prints, each ratio measured side by side in this run (BLAS single-threaded):

1. ``auc(cohort, interval="bootstrap", n_resamples=2000)`` on n = 5,000 tied scores (a Cohort
   built once with ``from_arrays``) vs a loop of ``sklearn.metrics.roc_auc_score`` on the very
   same resample indices (goal >= 50x); the same with ``bootstrap_method="bca"`` vs that loop
   plus the leave-one-out jackknife loop BCa needs (goal >= 20x).  The engine alone
   (``bootstrap_distribution`` on the arrays) is printed as the bound.
2. ``fleiss_kappa(labels, interval="bootstrap", n_resamples=2000)`` from a long labels table
   (6 findings x 500 studies x 3 readers) vs the statsmodels user loop: pivot once, then
   ``aggregate_raters`` + ``fleiss_kappa`` per resample and finding (goal >= 300x).  The
   kernel alone is printed as the bound: what the public call computes per resample, on the
   very indices of the loop (multiplicities by ``bincount`` and a GEMM of them on every
   finding's integer per-unit sums, ``sums_from_indices``, then ``fleiss_from_sums``); the public call adds the draw of
   the indices (``rng.integers``, ~3 ms), input checks and the result table.
3. The other public calls of issue 14 on the demo Cohort, each timed end to end.

Times are CPU times (``time.process_time``; everything runs on one thread, so they are the wall
times of a quiet machine and do not count waiting for a shared core): the best of ``--repeats``
runs for hemstats, one run for the loops.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import sys
import time
from collections.abc import Callable
from functools import partial
from itertools import pairwise
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.special import ndtr, ndtri
from sklearn.metrics import roc_auc_score
from statsmodels.stats.inter_rater import aggregate_raters
from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss_kappa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bootstrap_auc import tied_data
from fleiss_bootstrap import make_labels, make_ratings, make_tables, vectorised

from hemstats.datasets import demo
from hemstats.stats import auc, compare_auc, fleiss_kappa, prevalence, roc_band, threshold_metrics
from hemstats.stats.diagnostic.arrays import from_arrays
from hemstats.stats.reliability import kappa as K
from hemstats.stats.resampling.engine import bootstrap_distribution, resample_indices


def best(f: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(repeats):
        t = time.process_time()
        out = f()
        times.append(time.process_time() - t)
    return min(times), out


def engine_alone(y: np.ndarray, s: np.ndarray, b: int, method: Literal["percentile", "bca"]) -> pd.DataFrame:
    """The bootstrap engine on the arrays: replicates (and jackknife) and the interval, no table input."""
    return bootstrap_distribution(y, s, n_resamples=b, rng=0, jackknife=method == "bca").ci(bootstrap_method=method)


def sklearn_bca(y: np.ndarray, s: np.ndarray, idx: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """What a user writes for BCa: the bootstrap loop, the jackknife loop, scipy's BCa formula."""
    theta = roc_auc_score(y, s)
    boot = np.array([roc_auc_score(y[i], s[i]) for i in idx])
    keep = np.ones(len(y), bool)
    jack = np.empty(len(y))
    for j in range(len(y)):
        keep[j] = False
        jack[j] = roc_auc_score(y[keep], s[keep])
        keep[j] = True
    z0 = ndtri((np.count_nonzero(boot < theta) + np.count_nonzero(boot <= theta)) / (2 * boot.size))
    u = (len(jack) - 1) * (jack.mean() - jack)
    a = (u**3).sum() / len(jack) ** 3 / 6 / ((u**2).sum() / len(jack) ** 2) ** 1.5
    za = ndtri((1 - level) / 2)
    lo, hi = (ndtr(z0 + (z0 + z) / (1 - a * (z0 + z))) for z in (za, -za))
    return tuple(np.quantile(boot, [lo, hi]))


def statsmodels_loop(labels: pd.DataFrame, idx: np.ndarray) -> np.ndarray:
    """Pivot once, then aggregate_raters + fleiss_kappa per finding and resample."""
    wide = labels.pivot_table(index=["finding", "study_id"], columns="rater", values="value", sort=False)
    out = []
    for _, block in wide.groupby(level="finding", sort=False):
        r = block.to_numpy()
        out.append([sm_fleiss_kappa(aggregate_raters(r[i])[0]) for i in idx])
    return np.array(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--parts", default="123", help="which parts to run, e.g. 2 or 13")
    args = ap.parse_args()
    n, b, subjects = (1000, 400, 200) if args.quick else (5000, 2000, 500)

    if "1" in args.parts:
        auc_part(n, b, args.repeats)
    if "2" in args.parts:
        fleiss_part(subjects, b, args.repeats)
    if "3" in args.parts:
        other_part(args.quick, args.repeats)


def auc_part(n: int, b: int, repeats: int) -> None:
    y, s = tied_data(n)
    cohort = from_arrays(y, s)
    idx = np.vstack(list(resample_indices(y, n_resamples=b, rng=0)))
    print(f"1. auc bootstrap, n = {n} ({len(np.unique(s))} distinct scores), {b} resamples")
    methods: tuple[Literal["percentile", "bca"], ...] = ("percentile", "bca")
    for method in methods:
        t_pub, res = best(partial(auc, cohort, interval="bootstrap", bootstrap_method=method, n_resamples=b, rng=0),
                          repeats)
        t_eng, _ = best(partial(engine_alone, y, s, b, method), repeats)
        t0 = time.process_time()
        if method == "percentile":
            lo, hi = np.quantile([roc_auc_score(y[i], s[i]) for i in idx], [0.025, 0.975])
            what = "sklearn loop on the same indices"
        else:
            lo, hi = sklearn_bca(y, s, idx)
            what = "sklearn loop + jackknife loop"
        t_loop = time.process_time() - t0
        diff = max(abs(lo - res.ci_low[0]), abs(hi - res.ci_high[0]))
        goal = 50 if method == "percentile" else 20
        print(f"   {method:10s} auc(...) {t_pub * 1e3:8.1f} ms | engine alone {t_eng * 1e3:8.1f} ms | {what} "
              f"{t_loop:6.2f} s | ratio {t_loop / t_pub:6.1f}x (goal >= {goal}x; engine bound {t_loop / t_eng:.1f}x)"
              f" | |CI diff| {diff:.1e}")



def fleiss_kernel(tables: dict[str, np.ndarray], idx: np.ndarray) -> np.ndarray:
    """Every finding's bootstrap kappas as the public call computes them: one exact GEMM."""
    feats = [K.set_features(t) for t in tables.values()]
    sums = K.sums_from_indices(idx, idx.shape[1], np.hstack(feats))
    edges = np.cumsum([0] + [f.shape[1] for f in feats])
    return np.stack([K.fleiss_from_sums(sums[:, lo:hi], 3) for lo, hi in pairwise(edges)])


def fleiss_part(subjects: int, b: int, repeats: int) -> None:
    rng = np.random.default_rng(0)
    ratings = make_ratings(subjects, rng)
    labels, tables = make_labels(ratings), make_tables(ratings)
    (fidx,) = resample_indices(np.zeros(subjects, np.int8), stratify=False, n_resamples=b, rng=rng, chunk_size=b)
    t_pub, _ = best(lambda: fleiss_kappa(labels, interval="bootstrap", n_resamples=b, rng=1), repeats)
    t_ker, ker = best(lambda: fleiss_kernel(tables, fidx), repeats)
    np.testing.assert_allclose(ker, vectorised(tables, fidx), rtol=0, atol=1e-12)  # the per-finding kernel
    t0 = time.process_time()
    statsmodels_loop(labels, fidx)
    t_loop = time.process_time() - t0
    print(f"2. fleiss_kappa subject bootstrap, {b} resamples x {len(tables)} findings x {subjects} studies x 3 readers")
    print(f"   fleiss_kappa(labels, ...) {t_pub * 1e3:8.1f} ms | kernel alone {t_ker * 1e3:8.1f} ms | statsmodels "
          f"loop {t_loop:6.2f} s | ratio {t_loop / t_pub:6.1f}x (goal >= 300x; kernel bound {t_loop / t_ker:.0f}x)")



def other_part(quick: bool, repeats: int) -> None:
    c = demo.load(n_studies=400 if quick else 1000)
    assert c.predictions is not None and c.labels is not None
    print(f"3. other public calls on the demo Cohort ({len(c.predictions)} predictions, {len(c.labels)} labels)")
    calls = {
        "auc (DeLong)": lambda: auc(c, cluster=None),
        "compare_auc (DeLong)": lambda: compare_auc(c, cluster=None),
        "threshold_metrics (200 resamples)": lambda: threshold_metrics(c, n_resamples=200, rng=0),
        "roc_band (200 resamples)": lambda: roc_band(c, n_resamples=200, rng=0),
        "prevalence": lambda: prevalence(c),
        "fleiss_kappa (analytic)": lambda: fleiss_kappa(c),
    }
    for name, f in calls.items():
        print(f"   {name:36s} {best(f, repeats)[0] * 1e3:8.1f} ms")


if __name__ == "__main__":
    main()
