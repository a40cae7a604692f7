"""Subject-level bootstrap of Fleiss' kappa: hemstats (vectorised) vs a loop over statsmodels.

2,000 resamples x 6 findings x 500 subjects x 3 raters.  Both sides use the *same*
resample index matrix (one ``(2000, 500)`` draw shared by the six findings, as a
subject-level bootstrap must); the loop calls ``statsmodels.stats.inter_rater.fleiss_kappa``
on ``table[idx[b]]`` for every finding and resample, hemstats turns the indices into
multiplicities once (one ``bincount``) and evaluates every resample of a finding with three
matrix-vector products.  Printed: both times, their ratio (goal >= 300x) and the largest
absolute difference of the 12,000 kappa values.

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
from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss_kappa

from hemstats.stats.reliability import kappa as K

FINDINGS = {"any": 0.40, "edh": 0.03, "sdh": 0.10, "sah": 0.12, "iph": 0.27, "ivh": 0.06}


def make_tables(n_subjects: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Per finding, the ``(n_subjects, 2)`` table of how many of 3 raters said 0 / 1."""
    out = {}
    for finding, prevalence in FINDINGS.items():
        r = K.simulate_ratings(n_subjects, prevalence, 0.7, n_raters=3, rng=rng)[0]
        ones = r.sum(axis=1).astype(float)
        out[finding] = np.column_stack([3 - ones, ones])
    return out


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
    tables = make_tables(args.subjects, rng)
    idx = rng.integers(0, args.subjects, size=(args.resamples, args.subjects))

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


if __name__ == "__main__":
    main()
