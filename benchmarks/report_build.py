"""The demo report built cold (a fresh build folder) and cached (a second build into the same folder).

A cold build loads the cohort, executes every chapter in a Jupyter kernel and writes the
HTML; a cached build finds the execution cache valid (same digest) and re-executes only
the chapters marked ``execution_mode: force`` (Provenance).  The ratio cold / cached is
what the cache saves.  Both builds run the named steps of
:func:`hemstats.report.build_report` one by one, so the profile shows where the time goes:
loading, writing the cohort, Jupyter Book, and within it each chapter's execution (from
the build log); what remains of the Jupyter Book step is Sphinx reading and writing.
The size of the built HTML (``du -sb <out>/html``) is printed too.

Run by hand: ``.venv/bin/python benchmarks/report_build.py [--manifest M] [--out DIR]
[--jobs N]``.  ``--jobs`` is Sphinx's parallel read and write (the chapters then run in
as many kernels at once); the default is the one ``hemstats report`` uses (1).
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from hemstats.report import build as steps
from hemstats.report.jupyter_book import find_book_source

_EXECUTED = re.compile(r"([^/\s]+)\.(?:md|ipynb): Executed notebook in ([\d.]+) seconds")


def du(path: Path) -> int:
    """Bytes of the files under ``path`` (``du -sb`` without the folders' own blocks)."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def build(manifest: str | None, out: Path, jobs: int | None) -> dict[str, float]:
    """One build through the named steps; seconds per step and per executed chapter."""
    times: dict[str, float] = {}

    def timed(name: str, func: Any, *args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        value = func(*args, **kwargs)
        times[name] = time.perf_counter() - start
        return value

    total = time.perf_counter()
    outdir = timed("check folder", steps.check_out_dir, out)
    m = timed("manifest", steps.check_manifest, manifest)
    cohort = timed("load cohort", steps.load_cohort, m, progress=False)
    outdir = timed("write cohort", steps.write_cohort, cohort, outdir)
    timed("copy book", steps.copy_book, find_book_source(), outdir)
    built_at = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    ctx = timed("context (digest)", steps.make_context, m, cohort, outdir, command="benchmark", built_at=built_at)
    force_all = timed("reset cache", steps.reset_cache, ctx)
    timed("write context", steps.write_context, ctx)
    kwargs = {} if jobs is None else {"jobs": jobs}
    timed("jupyter-book", steps.run_book, ctx, force_all=force_all, **kwargs)
    timed("offline check", steps.finish, ctx)
    times["total"] = time.perf_counter() - total
    log = (outdir / "build.log").read_text(encoding="utf-8", errors="replace")
    for chapter, seconds in _EXECUTED.findall(log):
        times[f"  execute {chapter}"] = float(seconds)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--manifest", default=None, help="data manifest (default: the built-in demo)")
    parser.add_argument("--out", default=None, help="build folder, emptied first (default: a temporary one)")
    parser.add_argument("--jobs", type=int, default=None, help="Sphinx parallel jobs (default: hemstats')")
    args = parser.parse_args()
    tmp = None
    if args.out is None:
        tmp = tempfile.TemporaryDirectory(prefix="hemstats-report-bench-")
        out = Path(tmp.name) / "report"
    else:
        out = Path(args.out)
        if out.exists():
            steps.check_out_dir(out)  # refuses a folder hemstats did not create
            shutil.rmtree(out)
    try:
        cold = build(args.manifest, out, args.jobs)
        cached = build(args.manifest, out, args.jobs)
        size = du(out / "html")
    finally:
        if tmp is not None:
            tmp.cleanup()
    names = list(dict.fromkeys([*cold, *cached]))
    print(f"{'step':28s} {'cold s':>8s} {'cached s':>9s}")
    for name in names:
        print(f"{name:28s} {cold.get(name, 0.0):8.2f} {cached.get(name, 0.0):9.2f}")
    print(f"demo report cold {cold['total']:.1f} s, cached {cached['total']:.1f} s: "
          f"cached is {cold['total'] / cached['total']:.1f}x faster")
    print(f"html size {size / 1e6:.2f} MB (du -sb {out.name}/html)")


if __name__ == "__main__":
    main()
