"""Benchmark: the vectorised bootstrap AUC against a scikit-learn loop and scipy.stats.bootstrap.

Run by hand (not by the tests), from the repository root:

    .venv/bin/python benchmarks/bootstrap_auc.py            # full run (about a minute)
    .venv/bin/python benchmarks/bootstrap_auc.py --quick    # smaller sizes, a smoke test

Prints, in one run:
1. 2,000 bootstrap AUCs at n = 5,000 with tied scores (2 decimals): hemstats vs (a) a loop over
   sklearn.metrics.roc_auc_score on the very same resample indices (the percentile CIs must agree
   to 1e-12) and (b) scipy.stats.bootstrap with a vectorised rank-based AUC (paired, percentile;
   compared with hemstats unstratified, the same design).  Goals: >= 50x (a), >= 5x (b).
2. Patient-clustered bootstrap at 50,000 slices / 1,000 patients vs unclustered at the same n
   (goal: within 2x).
3. Peak memory at 10,000 resamples x 100,000 rows, measured in fresh subprocesses
   (VmHWM of a child without tracemalloc, and tracemalloc's peak of the bootstrap call
   in another).  Goal < 1 GB.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

import numpy as np
from scipy import stats
from sklearn.metrics import roc_auc_score

from hemstats.stats.resampling.engine import bootstrap_ci, resample_indices


def tied_data(n: int, seed: int = 0, prevalence: float = 0.3):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < prevalence).astype(np.int8)
    s = np.round(1 / (1 + np.exp(-(1.5 * y + rng.normal(size=n)))), 2)
    return y, s


def timed(f, repeat: int = 1):
    best, out = np.inf, None
    for _ in range(repeat):
        t = time.perf_counter()
        out = f()
        best = min(best, time.perf_counter() - t)
    return best, out


def rank_auc(y, s, axis=-1):
    """Vectorised rank-based AUC (midranks), for scipy.stats.bootstrap."""
    r = stats.rankdata(s, axis=axis)
    p = y.sum(axis=axis)
    q = y.shape[axis] - p
    with np.errstate(invalid="ignore", divide="ignore"):
        return ((r * y).sum(axis=axis) - p * (p + 1) / 2) / (p * q)


MEMORY_CHILD = """
import json, re, time, tracemalloc
import numpy as np
from hemstats.stats.resampling.engine import bootstrap_ci

def rss():
    # VmHWM: peak RSS of this address space (ru_maxrss would carry the parent's peak across exec)
    status = open("/proc/self/status").read()
    return int(re.search(r"VmHWM:\\s+(\\d+) kB", status).group(1)) / 1024

rng = np.random.default_rng(1)
n, b, trace = {n}, {b}, {trace}
y = (rng.random(n) < 0.3).astype(np.int8)
s = np.round(rng.normal(y, 1.0), 2)
before = rss()
if trace:
    tracemalloc.start()
t = time.perf_counter()
res = bootstrap_ci(y, s, n_resamples=b, rng=0)
seconds = time.perf_counter() - t
peak = tracemalloc.get_traced_memory()[1] / 2**20 if trace else None
print(json.dumps({{"seconds": seconds, "tracemalloc_peak_mb": peak, "maxrss_mb": rss(), "rss_before_mb": before,
                  "ci": [float(res.ci_low[0]), float(res.ci_high[0])]}}))
"""


def _child(n: int, b: int, trace: bool) -> dict:
    out = subprocess.run([sys.executable, "-c", MEMORY_CHILD.format(n=n, b=b, trace=trace)], capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="smaller sizes (smoke test)")
    args = ap.parse_args()
    n, b = (1000, 400) if args.quick else (5000, 2000)
    y, s = tied_data(n)
    print(f"1. {b} bootstrap AUCs, n = {n}, {len(np.unique(s))} distinct scores, {int(y.sum())} cases")

    t_engine, res = timed(lambda: bootstrap_ci(y, s, n_resamples=b, rng=0), repeat=3)
    idx = np.vstack(list(resample_indices(y, n_resamples=b, rng=0)))
    t_loop, loop = timed(lambda: np.array([roc_auc_score(y[i], s[i]) for i in idx]))
    lo, hi = np.quantile(loop, [0.025, 0.975])
    diff = max(abs(lo - res.ci_low[0]), abs(hi - res.ci_high[0]))
    print(f"   hemstats (stratified)          {t_engine:8.3f} s   CI [{res.ci_low[0]:.6f}, {res.ci_high[0]:.6f}]")
    print(f"   (a) sklearn loop, same indices {t_loop:8.3f} s   ratio {t_loop / t_engine:6.1f}x (goal >= 50x)")
    print(f"       |CI difference| = {diff:.2e} (goal <= 1e-12)")

    t_un, res_un = timed(lambda: bootstrap_ci(y, s, n_resamples=b, rng=0, stratify=False), repeat=3)
    t_sp, sp = timed(lambda: stats.bootstrap((y, s), rank_auc, paired=True, vectorized=True, n_resamples=b,
                                             method="percentile", rng=np.random.default_rng(0)))
    print(f"   hemstats (unstratified)        {t_un:8.3f} s   CI [{res_un.ci_low[0]:.6f}, {res_un.ci_high[0]:.6f}]")
    print(f"   (b) scipy.stats.bootstrap      {t_sp:8.3f} s   CI [{sp.confidence_interval.low:.6f}, "
          f"{sp.confidence_interval.high:.6f}]   ratio {t_sp / t_un:6.1f}x (goal >= 5x)")

    n_rows, n_pat = (10_000, 200) if args.quick else (50_000, 1_000)
    rng = np.random.default_rng(2)
    patient = np.repeat(np.arange(n_pat), n_rows // n_pat)
    yc = ((rng.random(n_pat) < 0.3)[patient] & (rng.random(n_rows) < 0.5)).astype(np.int8)
    sc = np.round(1.5 * yc + 0.7 * rng.normal(size=n_pat)[patient] + 0.7 * rng.normal(size=n_rows), 2)
    t_c, rc = timed(lambda: bootstrap_ci(yc, sc, cluster=patient, n_resamples=b, rng=0), repeat=2)
    t_r, rr = timed(lambda: bootstrap_ci(yc, sc, n_resamples=b, rng=0), repeat=2)
    print(f"2. {b} resamples, {n_rows} slices / {n_pat} patients")
    print(f"   clustered   {t_c:8.3f} s   CI [{rc.ci_low[0]:.4f}, {rc.ci_high[0]:.4f}]")
    print(f"   unclustered {t_r:8.3f} s   CI [{rr.ci_low[0]:.4f}, {rr.ci_high[0]:.4f}]   "
          f"clustered/unclustered = {t_c / t_r:.2f} (goal <= 2)")

    nm, bm = (20_000, 1_000) if args.quick else (100_000, 10_000)
    mem = _child(nm, bm, trace=False)  # RSS without tracemalloc (its bookkeeping inflates RSS)
    traced = _child(nm, bm, trace=True)
    print(f"3. {bm} resamples x {nm} rows in a fresh subprocess: {mem['seconds']:.1f} s; peak RSS of the whole "
          f"process {mem['maxrss_mb']:.0f} MB ({mem['rss_before_mb']:.0f} MB before the call: interpreter, numpy, "
          f"pandas, scipy, data); tracemalloc peak of the call {traced['tracemalloc_peak_mb']:.0f} MB "
          "(goal < 1024 MB)")


if __name__ == "__main__":
    main()
