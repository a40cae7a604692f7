"""Benchmark: time and peak memory of the bootstrap AUC as ``n_resamples`` grows (issue 10).

Memory must stay bounded whatever ``n_resamples``: resamples are drawn and evaluated in
chunks of about 2**20 cells, so the peak is the chunk's temporaries plus the
``(models x n_resamples)`` replicates (8 bytes each).  Above ``LARGE_RESAMPLES`` the engine
warns with an estimate of the run time; this prints it next to the measured time.

Run: ``.venv/bin/python benchmarks/bootstrap_memory.py [--full]`` (``--full`` adds 10**6).
"""

from __future__ import annotations

import sys
import time
import tracemalloc
import warnings

import numpy as np

from hemstats.stats.resampling.engine import bootstrap_ci


def main(full: bool = False) -> None:
    rng = np.random.default_rng(0)
    n = 400
    y = (rng.random(n) < 0.3).astype(int)
    s = rng.normal(y, 1.0)
    sizes = [10**4, 10**5, 2 * 10**5] + ([10**6] if full else [])
    print(f"n = {n} rows, one model, stratified percentile AUC interval")
    print(f"{'n_resamples':>12} {'cpu s':>8} {'peak MiB':>9}  estimate")
    for b in sizes:
        tracemalloc.start()
        t0 = time.process_time()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            bootstrap_ci(y, s, n_resamples=b, rng=0)
        cpu = time.process_time() - t0
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        est = str(caught[0].message).split(":")[1].split("(")[0].strip() if caught else "-"
        print(f"{b:>12} {cpu:>8.1f} {peak:>9.0f}  {est}")


if __name__ == "__main__":
    main(full="--full" in sys.argv)
