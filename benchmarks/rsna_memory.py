"""Peak memory and time of ``hemstats.datasets.rsna_ich.load`` on a full-size generated table.

Writes a ``stage_2_train.csv`` of the RSNA 2019 shape (``ID,Label``, ``ID_<9 hex>_<subtype>``,
6 rows per image; 752,807 images = 4,516,842 rows by default) to a temporary folder,
then loads it in a fresh subprocess and reports that process's peak resident memory
(``resource.getrusage(RUSAGE_SELF).ru_maxrss``, so the table generation does not
count) and the wall time of ``load``.  The goal is a peak below 1 GB (1024 MiB); the exit
status is 1 when the peak is above it.

Run by hand, not by the tests::

    .venv/bin/python benchmarks/rsna_memory.py                 # full size
    .venv/bin/python benchmarks/rsna_memory.py --images 10000  # quick check
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

#: The goal of issue 14: the full RSNA label table loads in less than 1 GB.
GOAL_MIB = 1024.0

SUBTYPES = ("epidural", "intraparenchymal", "intraventricular", "subarachnoid", "subdural", "any")

_CHILD = r"""
import json, resource, sys, time
t0 = time.perf_counter()
from hemstats.datasets import rsna_ich
import_peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
cohort = rsna_ich.load(sys.argv[1], progress=False)
seconds = time.perf_counter() - t0
peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
print(json.dumps({"seconds": seconds, "peak_mib": peak_kib / 1024, "import_peak_mib": import_peak_kib / 1024,
                  "labels": len(cohort.labels),
                  "studies": len(cohort.studies), "positives": int(cohort.labels["value"].sum()),
                  "labels_mib": cohort.labels.memory_usage(deep=True).sum() / 2**20}))
"""


def write_table(path: Path, n_images: int, *, seed: int = 0) -> int:
    """Write the table; about 14% of images positive, subtypes among the positives. Returns rows."""
    rng = np.random.default_rng(seed)
    ids = rng.choice(16**9, size=n_images, replace=False)
    positive = rng.random(n_images) < 0.14
    sub = (rng.random((n_images, 5)) < 0.35) & positive[:, None]
    sub[positive & ~sub.any(axis=1), 0] = True
    labels = np.column_stack([sub, positive]).astype(np.int8)
    with path.open("w", newline="") as fh:
        fh.write("ID,Label\n")
        chunk = 50_000
        for start in range(0, n_images, chunk):
            lines: list[str] = []
            for i in range(start, min(start + chunk, n_images)):
                img = f"ID_{ids[i]:09x}"
                row = labels[i]
                lines.extend(f"{img}_{s},{row[k]}\n" for k, s in enumerate(SUBTYPES))
            fh.write("".join(lines))
    return n_images * len(SUBTYPES)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=752_807, help="images (6 rows each); default the full set")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--goal-mib", type=float, default=GOAL_MIB, help="peak RSS goal in MiB (default 1 GB)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "stage_2_train.csv"
        t0 = time.perf_counter()
        rows = write_table(path, args.images, seed=args.seed)
        gen = time.perf_counter() - t0
        size_mib = path.stat().st_size / 2**20
        out = subprocess.run(
            [sys.executable, "-c", _CHILD, tmp], capture_output=True, text=True, check=False,
            cwd=Path(__file__).resolve().parents[1],
        )
        if out.returncode != 0:
            sys.stderr.write(out.stderr)
            raise SystemExit(out.returncode)
        result = json.loads(out.stdout.strip().splitlines()[-1])
    result.update({"rows": rows, "csv_mib": size_mib, "generate_seconds": gen, "goal_mib": args.goal_mib})
    result["meets_goal"] = result["peak_mib"] < args.goal_mib
    verdict = "meets the goal" if result["meets_goal"] else "ABOVE THE GOAL"
    print(
        f"rows {rows:,} ({size_mib:.0f} MiB CSV, generated in {gen:.1f} s)\n"
        f"load: {result['seconds']:.1f} s, {result['labels']:,} label rows, {result['studies']:,} studies, "
        f"labels table {result['labels_mib']:.0f} MiB in memory\n"
        f"peak RSS {result['peak_mib']:.0f} MiB against the goal of < {args.goal_mib:.0f} MiB "
        f"({result['peak_mib'] / args.goal_mib:.0%} of it; {result['import_peak_mib']:.0f} MiB after the imports alone): "
        f"{verdict}"
    )
    return result


if __name__ == "__main__":
    raise SystemExit(0 if main()["meets_goal"] else 1)
