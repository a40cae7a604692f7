"""Header scan (GDCM and pydicom readers) vs a serial loop of full ``pydicom.dcmread`` on >= 2,500 real files.

Builds a temporary tree of ``--copies`` x the real 28-slice GE HiSpeed series
(``../shared/data/sample_dicom/ge_hispeed_head``): symbolic links by default (the same
28 files on disk, so a "cold" run is cold for the first copy only), or real copies with
``--copy`` (``--copies 90`` writes ~1.3 GB).  Then, for "cold" (this tree's files
evicted from the page cache with ``posix_fadvise(DONTNEED)``, where possible) and
"warm" (cached) runs:

1. ``scan_dicom(reader="fast")`` and ``scan_dicom(reader="pydicom")``, each with the
   default process pool of ``--workers`` processes (after a scan of four files, so that
   imports are not counted as per-file work: a first call in a fresh interpreter pays
   ~0.5 s of imports once);
2. a serial loop of full ``pydicom.dcmread`` (pixel data included) reading three fields
   (Manufacturer, KVP, SeriesInstanceUID), the way a script without hemstats would;

checks that both readers give the same series table, and prints files per second, the
ratio serial / scan (goal >= 10x), CPU milliseconds per file over all processes (their
ratio is what the scan would gain per core on an idle machine) and peak memory (max RSS
of this process and of the largest worker).  The machine's load average is printed too: on a shared machine the
workers only get the cores nobody else uses.

Run by hand::

    .venv/bin/python benchmarks/dicom_scan.py [--copies 90] [--workers 2] [--copy]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = REPO.parent / "shared" / "data" / "sample_dicom" / "ge_hispeed_head"
SALT = "benchmark"


def make_tree(source: Path, dest: Path, copies: int, *, copy: bool) -> list[Path]:
    files = sorted(source.glob("*.dcm"))
    out = []
    for c in range(copies):
        folder = dest / f"copy_{c:04d}"
        folder.mkdir(parents=True)
        for f in files:
            target = folder / f.name
            if copy:
                shutil.copyfile(f, target)
            else:
                target.symlink_to(f.resolve())
            out.append(target)
    return out


def evict(paths: list[Path]) -> None:
    """Drop these files (their targets, for links) from the page cache."""
    os.sync()
    for p in {p.resolve() for p in paths}:
        fd = os.open(p, os.O_RDONLY)
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def serial_full(paths: list[Path]) -> int:
    import pydicom

    n = 0
    for p in paths:
        ds = pydicom.dcmread(p)  # the whole file, pixel data included
        _ = (ds.Manufacturer, ds.KVP, ds.SeriesInstanceUID)
        n += 1
    return n


def timed(fn):
    """Result, wall seconds and CPU seconds (this process and its finished workers)."""
    t0, c0 = time.perf_counter(), os.times()
    out = fn()
    c1 = os.times()
    cpu = (c1.user + c1.system + c1.children_user + c1.children_system) - (
        c0.user + c0.system + c0.children_user + c0.children_system
    )
    return out, time.perf_counter() - t0, cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--copies", type=int, default=90, help="copies of the 28-file series (90 -> 2,520 files)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--copy", action="store_true", help="real copies instead of symbolic links")
    args = parser.parse_args(argv)
    if not args.source.is_dir():
        print(f"source series not found: {args.source}", file=sys.stderr)
        return 1

    from hemstats.io.dicom import scan_dicom

    readers = ["fast", "pydicom"]
    with tempfile.TemporaryDirectory(prefix="hemstats-dicom-bench-") as tmp:
        root = Path(tmp)
        paths = make_tree(args.source, root, args.copies, copy=args.copy)
        n = len(paths)
        # imports (pydicom, tqdm, the process pool's modules), once
        scan_dicom(paths[:4], progress=False, salt=SALT, max_workers=args.workers, chunk_size=1)
        serial_full(paths[:1])
        print(f"tree: {n} files ({'copies' if args.copy else 'symbolic links'}); {os.cpu_count()} CPUs, {args.workers} workers")
        print("load average (1, 5, 15 min) at the start: {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))
        for cache in ("cold", "warm"):
            tables = {}
            times, cpus = {}, {}
            for reader in readers:
                if cache == "cold":
                    evict(paths)
                scan, times[reader], cpus[reader] = timed(
                    lambda reader=reader: scan_dicom(root, max_workers=args.workers, progress=False, salt=SALT, reader=reader)
                )
                assert len(scan.failures) == 0 and int(scan.series["n_instances"].sum()) == n
                tables[reader] = scan.series
            if cache == "cold":
                evict(paths)
            _, t_serial, c_serial = timed(lambda: serial_full(paths))
            if len(tables) == 2:
                pd.testing.assert_frame_equal(tables["fast"], tables["pydicom"])  # same table
            line = "   ".join(
                f"scan_dicom[{r}]: {n / t:6.0f} files/s ({t:.2f} s, ratio {t_serial / t:.1f}x)" for r, t in times.items()
            )
            print(f"[{cache}] {line}   serial full dcmread: {n / t_serial:6.0f} files/s ({t_serial:.2f} s)")
            cpu = "   ".join(f"scan_dicom[{r}] {1e3 * c / n:.2f}" for r, c in cpus.items())
            print(
                f"[{cache}] CPU ms per file (all processes): {cpu}   serial {1e3 * c_serial / n:.2f}   "
                f"-> CPU ratio {', '.join(f'{r} {c_serial / c:.1f}x' for r, c in cpus.items())}"
            )
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        rss_workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"peak RSS: this process {rss:.0f} MB, largest worker {rss_workers:.0f} MB")
        print("load average (1, 5, 15 min) at the end: {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
