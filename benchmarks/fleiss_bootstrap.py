"""Subject-level bootstrap of Fleiss' kappa: hemstats (vectorised) vs a loop over statsmodels.

2,000 resamples x 6 findings x 500 subjects x 3 raters.  Both sides use the *same*
resample index matrix (one ``(2000, 500)`` draw of the one resampling engine,
:func:`hemstats.stats.resampling.engine.resample_indices`, shared by the six findings, as a
subject-level bootstrap must); the loop calls ``statsmodels.stats.inter_rater.fleiss_kappa``
on ``table[idx[b]]`` for every finding and resample, hemstats turns the indices into
multiplicities once (one ``bincount``) and evaluates every resample of a finding with three
matrix-vector products.  Printed: both times, their ratio (goal >= 300x) and the largest
absolute difference of the 12,000 kappa values; then the whole public call
``fleiss_kappa(labels, interval="bootstrap")`` (percentile and BCa) on the same data.

Run by hand, not by the tests:

    .venv/bin/python benchmarks/fleiss_bootstrap.py [--repeats 5] [--seed 0]

BLAS runs single-threaded (``OPENBLAS_NUM_THREADS=1`` unless already set): on a shared
2-core machine a multi-threaded GEMV is slower, not faster.  The vectorised time is the
median of ``--repeats`` runs (it includes the bincount); the loop runs once.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import time

import numpy as np
import pandas as pd
from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss_kappa

from hemstats.stats import fleiss_kappa
from hemstats.stats.coverage.agreement import simulate_ratings
from hemstats.stats.reliability import kappa as K
from hemstats.stats.resampling.engine import resample_indices

FINDINGS = {"any": 0.40, "edh": 0.03, "sdh": 0.10, "sah": 0.12, "iph": 0.27, "ivh": 0.06}


def make_ratings(n_subjects: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Per finding, the ``(n_subjects, 3)`` 0/1 ratings of 3 raters."""
    return {finding: simulate_ratings(n_subjects, prevalence, 0.7, n_raters=3, rng=rng)[0]
            for finding, prevalence in FINDINGS.items()}


def make_tables(ratings: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Per finding, the ``(n_subjects, 2)`` table of how many of 3 raters said 0 / 1."""
    out = {}
    for finding, r in ratings.items():
        ones = r.sum(axis=1).astype(float)
        out[finding] = np.column_stack([3 - ones, ones])
    return out


def make_labels(ratings: dict[str, np.ndarray]) -> pd.DataFrame:
    """The canonical long labels table of the ratings."""
    frames = []
    for finding, r in ratings.items():
        n, m = r.shape
        frames.append(pd.DataFrame({"dataset": "bench", "study_id": np.repeat([f"s{i}" for i in range(n)], m),
                                    "level": "study", "finding": finding,
                                    "rater": np.tile([f"R{j + 1}" for j in range(m)], n), "value": r.ravel()}))
    return pd.concat(frames, ignore_index=True)


def vectorised(tables: dict[str, np.ndarray], idx: np.ndarray) -> np.ndarray:
    W = K.counts_from_indices(idx, idx.shape[1])
    return np.stack([K.fleiss_from_counts(t, W) for t in tables.values()])


def loop(tables: dict[str, np.ndarray], idx: np.ndarray) -> np.ndarray:
    return np.array([[sm_fleiss_kappa(t[i]) for i in idx] for t in tables.values()])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--resamples", type=int, default=2000)
    ap.add_argument("--subjects", type=int, default=500)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    rng = np.random.default_rng(args.seed)
    ratings = make_ratings(args.subjects, rng)
    tables = make_tables(ratings)
    (idx,) = resample_indices(np.zeros(args.subjects, np.int8), stratify=False, n_resamples=args.resamples, rng=rng,
                              chunk_size=args.resamples)

    times = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        fast = vectorised(tables, idx)
        times.append(time.perf_counter() - t0)
    t_fast = float(np.median(times))

    t0 = time.perf_counter()
    slow = loop(tables, idx)
    t_slow = time.perf_counter() - t0

    point = [K.fleiss_from_counts(t)[0] for t in tables.values()]
    diff = float(np.nanmax(np.abs(fast - slow)))
    print(f"{args.resamples} resamples x {len(tables)} findings x {args.subjects} subjects x 3 raters")
    print("point estimates: " + ", ".join(f"{f} {k:.3f}" for f, k in zip(tables, point)))
    print(f"hemstats vectorised : {t_fast * 1e3:9.2f} ms (median of {args.repeats}; runs: "
          + ", ".join(f"{t * 1e3:.1f}" for t in times) + ")")
    print(f"statsmodels loop    : {t_slow * 1e3:9.2f} ms ({len(tables) * args.resamples} calls)")
    print(f"ratio               : {t_slow / t_fast:9.1f}x (goal >= 300x)")
    print(f"max |difference|    : {diff:.3e}")
    print(f"undefined resamples : {int(np.isnan(fast).sum())} vectorised, {int(np.isnan(slow).sum())} loop")

    labels = make_labels(ratings)
    for method in ("percentile", "bca"):
        times = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            fleiss_kappa(labels, interval="bootstrap", bootstrap_method=method, n_resamples=args.resamples, rng=1)
            times.append(time.perf_counter() - t0)
        print(f"fleiss_kappa(interval='bootstrap', bootstrap_method={method!r}): "
              f"{float(np.median(times)) * 1e3:9.2f} ms (median of {args.repeats}, whole call on the long labels)")


if __name__ == "__main__":
    main()
