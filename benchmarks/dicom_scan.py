"""Header scan vs a serial full ``pydicom.dcmread`` loop on >= 5,000 real head-CT files.

Copies the real 28-slice GE HiSpeed series (``../shared/data/sample_dicom/ge_hispeed_head``)
into a temporary tree of ``--copies`` x 28 files (plain copies), then, in one run:

1. ``scan_dicom`` with the default process pool (``--workers``, default 2);
2. a serial loop of full ``pydicom.dcmread`` (pixel data included) building the same
   instance rows and the same series table;

checks the two series tables are equal and prints rows (files) per second of each,
their ratio and peak memory (max RSS of this process, and of the largest worker).
Both runs are timed twice: with the files in the page cache ("warm") and after
evicting this tree's files only from the cache with ``posix_fadvise(DONTNEED)``
("cold"), which is what a first scan of a freshly copied or network-mounted dataset sees.

Run by hand (heavy: writes ~2.6 GB to the temp folder, deleted at the end)::

    .venv/bin/python benchmarks/dicom_scan.py [--copies 179] [--workers 2]
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


def make_tree(source: Path, dest: Path, copies: int) -> list[Path]:
    files = sorted(source.glob("*.dcm"))
    out = []
    for c in range(copies):
        folder = dest / f"copy_{c:04d}"
        folder.mkdir(parents=True)
        for f in files:
            target = folder / f.name
            shutil.copyfile(f, target)
            out.append(target)
    return out


def evict(paths: list[Path]) -> None:
    """Drop these files (only) from the page cache."""
    os.sync()
    for p in paths:
        fd = os.open(p, os.O_RDONLY)
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def serial_full(paths: list[Path], root: Path) -> pd.DataFrame:
    import pydicom

    from hemstats.io.dicom import _instances_frame, _series_frame, instance_row

    rows = []
    for p in paths:
        ds = pydicom.dcmread(p)  # the whole file, pixel data included
        row = instance_row(ds, salt=SALT)
        row["path"] = str(p)
        rows.append(row)
    return _series_frame(_instances_frame(rows, root))


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--copies", type=int, default=179, help="copies of the 28-file series (179 -> 5,012 files)")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    if not args.source.is_dir():
        print(f"source series not found: {args.source}", file=sys.stderr)
        return 1

    from hemstats.io.dicom import scan_dicom

    with tempfile.TemporaryDirectory(prefix="hemstats-dicom-bench-") as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        paths = make_tree(args.source, root, args.copies)
        print(
            f"tree: {len(paths)} files, {sum(p.stat().st_size for p in paths) / 1e9:.2f} GB, "
            f"copied in {time.perf_counter() - t0:.1f} s; {os.cpu_count()} CPUs, {args.workers} workers"
        )

        print("load average (1, 5, 15 min) at the start: {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))
        results = {}
        for cache in ("cold", "warm"):
            if cache == "cold":
                evict(paths)
            scan, t_scan = timed(lambda: scan_dicom(root, max_workers=args.workers, progress=False, salt=SALT))
            rss_scan = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            rss_workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            if cache == "cold":
                evict(paths)
            serial, t_serial = timed(lambda: serial_full(paths, root))
            rss_serial = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            pd.testing.assert_frame_equal(scan.series, serial)  # same table
            assert len(scan.failures) == 0 and int(scan.series["n_instances"].sum()) == len(paths)
            n = len(paths)
            results[cache] = (n / t_scan, n / t_serial)
            print(
                f"[{cache}] scan_dicom: {n / t_scan:8.0f} rows/s ({t_scan:.2f} s)   "
                f"serial full dcmread: {n / t_serial:8.0f} rows/s ({t_serial:.2f} s)   "
                f"ratio {t_serial / t_scan:.1f}x"
            )
            print(
                f"[{cache}] peak RSS: parent after scan {rss_scan:.0f} MB, largest worker {rss_workers:.0f} MB, "
                f"parent after serial loop {rss_serial:.0f} MB"
            )
        print("series table identical in both methods:", len(scan.series), "series,", len(paths), "rows")
        print("load average (1, 5, 15 min) at the end: {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
