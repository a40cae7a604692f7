"""Build the report: manifest -> cohort -> Jupyter Book HTML, offline and cached.

:func:`build_report` runs named steps, each a small function of this module:

1. :func:`check_out_dir`: the build folder is new, empty or an earlier build's;
2. :func:`check_manifest` and :func:`load_cohort`: the manifest's cohort, loaded once and
   checked as ``validate`` does;
3. :func:`write_cohort`: the folder is claimed and the cohort written with
   :meth:`Cohort.to_dir <hemstats.Cohort.to_dir>` to ``<out>/cohort``;
4. :func:`copy_book`: the book source copied to ``<out>/src``;
5. :func:`make_context` and :func:`write_context`: the build described in
   ``<out>/context.json`` (a :class:`~hemstats.report.context.ReportContext`, read by the
   chapters through :func:`hemstats.report.context.current`), the execution cache emptied
   when what the chapters depend on changed (:func:`reset_cache`);
6. :func:`run_book`: Jupyter Book 1.x in a child process, with warnings as errors,
   nit-picky references and no tolerated notebook error
   (:mod:`hemstats.report.jupyter_book`);
7. :func:`finish`: the offline check, then the digest stamp that lets the next build reuse
   the executed chapters.

The build writes only into a folder hemstats owns: a new or empty one, which it
marks with ``.hemstats-report``, or one an earlier build marked (see
:mod:`hemstats.report.outdir`); any other non-empty folder is refused.

Layout of ``<out>``::

    .hemstats-report  marks the folder as a hemstats build folder
    html/           the report; html/index.html opens it, html/tables/*.csv hold the numbers
    cohort/         the cohort the chapters read
    src/            the book source as built
    context.json    the build, for the chapters
    build.log       Jupyter Book's full log
    jupyter/        the python3 kernel the chapters run in: this interpreter
    .jupyter_cache/ executed chapters, reused while nothing they depend on changes
    .doctrees/      Sphinx's parsed pages

Caching: a chapter is executed again only when its source changed, or when the
*digest* changed: a hash of the cohort's tables and info, the manifest, the report
settings, the hemstats source code and the versions of the key packages.  A digest
change empties the execution cache and rebuilds every page.  Chapters whose front
matter sets ``execution_mode: force`` (Provenance: it shows the build time and
command) run on every build.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import re
import shutil
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hemstats.errors import HemstatsError, ManifestError, ReportBuildError
from hemstats.report import jupyter_book
from hemstats.report.context import ENV_VAR, FORMAT_VERSION, ReportContext
from hemstats.report.outdir import check_build_folder, claim_build_folder, public_command

if TYPE_CHECKING:
    from hemstats.cohort import Cohort
    from hemstats.manifest import Manifest

__all__ = [
    "build_report",
    "check_out_dir",
    "check_manifest",
    "load_cohort",
    "write_cohort",
    "copy_book",
    "make_context",
    "reset_cache",
    "write_context",
    "run_book",
    "finish",
    "build_digest",
    "source_hash",
]

_FORCE = re.compile(r"^\s*execution_mode\s*:\s*['\"]?force['\"]?\s*$", re.MULTILINE)
_STAMP = ".hemstats-digest"
_STEPS = ("manifest", "cohort", "write cohort", "book source", "jupyter-book")
#: Pages Sphinx reads (so chapters it executes) and writes at once by default.  Two run
#: the cold small demo 1.4x faster on 2 cores (benchmarks/report_build.py --jobs 2) but
#: are not the default until the parallel build has passed the report tests.
_JOBS = 1


# ----------------------------------------------------------------------------------------------
# Digest of what the chapters' results depend on
# ----------------------------------------------------------------------------------------------
def source_hash() -> str:
    """SHA-256 of hemstats' own source and shipped data (a change re-executes the chapters)."""
    pkg = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for path in sorted(pkg.rglob("*.py")):
        if "book_template" in path.parts or "__pycache__" in path.parts:
            continue
        digest.update(path.relative_to(pkg).as_posix().encode())
        digest.update(path.read_bytes())
    data = [*pkg.rglob("*.yaml"), *(pkg / "report" / "validation").glob("*")]
    for path in sorted(p for p in data if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".py"):
        digest.update(path.relative_to(pkg).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def dataset_fingerprints(cohort: Cohort) -> dict[str, dict[str, str | None]]:
    """Per dataset: the loader's source fingerprint and the SHA-256 of its tables."""
    out: dict[str, dict[str, str | None]] = {}
    for d in cohort.datasets:
        source = cohort.info.get(d, {}).get("fingerprint")
        out[d] = {"source": None if source is None else str(source), "tables": cohort.fingerprint(d)}
    return out


def build_digest(
    fingerprints: dict[str, dict[str, str | None]], info: Any, settings: dict[str, Any], manifest_yaml: str
) -> str:
    """SHA-256 of everything the chapters' results depend on (see the module's *Caching*)."""
    from hemstats.report.pages import versions_table

    versions = versions_table().astype(str).to_dict("records")
    payload = {
        "fingerprints": fingerprints,
        "info": info,
        "settings": settings,
        "manifest": manifest_yaml,
        "hemstats_source": source_hash(),
        "versions": versions,
        "context_format": FORMAT_VERSION,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


# ----------------------------------------------------------------------------------------------
# The steps
# ----------------------------------------------------------------------------------------------
def check_out_dir(out: str | os.PathLike[str]) -> Path:
    """Step 1: the absolute build folder, refused unless new, empty or an earlier build's.

    Nothing is written yet: a manifest that fails to load leaves no folder behind.
    """
    return check_build_folder(out)


def check_manifest(manifest: str | os.PathLike[str] | Manifest | None) -> Manifest:
    """Step 2a: the checked manifest (a file read with :func:`~hemstats.manifest.load_manifest`).

    Raises
    ------
    ManifestError
        Listing every problem of the file.
    """
    from hemstats.manifest import Manifest, load_manifest

    return manifest if isinstance(manifest, Manifest) else load_manifest(manifest)


def load_cohort(m: Manifest, *, progress: bool) -> Cohort:
    """Step 2b: the manifest's cohort, loaded once with checksums verified.

    Raises
    ------
    ManifestError
        Listing every problem :func:`hemstats.validate` finds when the load fails, or the
        problems of the loaded cohort the chapters would fail on
        (:func:`hemstats.loading.report_problems`).
    """
    from hemstats import loading

    shown = None if m.path is None else Path(m.path).name
    try:
        cohort = loading.load(m, verify=True, progress=progress)
    except HemstatsError as exc:
        problems = loading.validate(m, progress=False)
        if problems:
            raise ManifestError(problems, path=shown) from exc
        raise
    problems = loading.report_problems(m, cohort)
    if problems:  # what validate reports: the chapters would fail on it
        raise ManifestError(problems, path=shown)
    return cohort


def write_cohort(cohort: Cohort, outdir: Path) -> Path:
    """Step 3: claim the build folder (created and marked) and write the cohort to ``<out>/cohort``.

    Returns the build folder as claimed.
    """
    outdir = claim_build_folder(outdir)
    cohort_dir = outdir / "cohort"
    if cohort_dir.exists():
        shutil.rmtree(cohort_dir)
    cohort.to_dir(cohort_dir, format="parquet")
    return outdir


def copy_book(book: Path, outdir: Path) -> Path:
    """Step 4: make ``<out>/src`` a copy of the book source (unchanged files keep their time)."""
    src = outdir / "src"
    src.mkdir(exist_ok=True)
    jupyter_book.sync_tree(book, src)
    return src


def make_context(manifest: Manifest, cohort: Cohort, outdir: Path, *, command: str, built_at: str) -> ReportContext:
    """Step 5a: the build as its chapters see it, with the digest of their inputs."""
    from hemstats.report.chapter import synthetic_datasets

    settings = manifest.report
    manifest_yaml = manifest.to_yaml()
    fingerprints = dataset_fingerprints(cohort)
    html_dir = outdir / "html"
    return ReportContext(
        title=settings.title,
        manifest_path=None if manifest.path is None else Path(manifest.path),
        manifest_yaml=manifest_yaml,
        seed=settings.seed,
        confidence_level=settings.confidence_level,
        n_resamples=settings.n_resamples,
        out=outdir,
        cohort_dir=outdir / "cohort",
        html_dir=html_dir,
        tables_dir=html_dir / "tables",
        src_dir=outdir / "src",
        datasets=tuple(cohort.datasets),
        synthetic=tuple(synthetic_datasets(cohort)),
        fingerprints=fingerprints,
        digest=build_digest(fingerprints, cohort.info, settings.to_dict(), manifest_yaml),
        command=command,
        built_at=built_at,
    )


def reset_cache(ctx: ReportContext) -> bool:
    """Step 5b: whether every chapter must run again; if so, empty the execution cache and tables.

    A new digest, or a missing report (whose CSVs cached chapters would not rewrite), rebuilds
    everything.  Tracebacks of failed chapters (absolute paths in them) are removed on every build.
    """
    stamp = ctx.out / _STAMP
    force_all = (
        not stamp.is_file() or stamp.read_text().strip() != ctx.digest or not (ctx.html_dir / "index.html").is_file()
    )
    if (ctx.html_dir / "reports").is_dir():
        shutil.rmtree(ctx.html_dir / "reports")
    if force_all:
        for stale in (ctx.out / ".jupyter_cache", ctx.tables_dir):
            if stale.exists():
                shutil.rmtree(stale)
        if stamp.exists():
            stamp.unlink()
    return force_all


def write_context(ctx: ReportContext) -> Path:
    """Step 5c: write ``<out>/context.json``; touch the pages that run on every build."""
    file = ctx.write()
    for page in ctx.src_dir.rglob("*.md"):
        if _FORCE.search(page.read_text(encoding="utf-8", errors="replace")):
            os.utime(page)
    return file


def run_book(ctx: ReportContext, *, force_all: bool, bar: Any = None, jobs: int | None = None) -> Path:
    """Step 6: run Jupyter Book on ``<out>/src``; ``<out>/html/index.html``.

    ``jobs`` > 1 reads (executes) and writes that many pages at once (Sphinx's parallel build);
    default one.

    Raises
    ------
    ReportBuildError
        When the build fails or writes no index page, naming the failed chapter and its
        exception, with the relevant part of ``<out>/build.log``.
    """
    overrides: dict[str, Any] = {
        "external_toc_path": str(ctx.src_dir / "_toc.yml"),
        "latex_individualpages": False,
        "nitpicky": True,
        "project": ctx.title,
        "html_title": ctx.title,
        "nb_execution_mode": "cache",
        "nb_execution_cache_path": str(ctx.out / ".jupyter_cache"),
        "nb_execution_allow_errors": False,
    }
    banner = _banner_html(ctx.synthetic)
    if banner:
        overrides["html_theme_options"] = {"announcement": banner}
    log = ctx.out / "build.log"
    code = jupyter_book.run_jupyter_book(
        src=ctx.src_dir,
        html=ctx.html_dir,
        doctrees=ctx.out / ".doctrees",
        overrides=overrides,
        force_all=force_all,
        env=_chapter_env(ctx),
        log=log,
        bar=bar,
        jobs=_JOBS if jobs is None else jobs,
    )
    index = ctx.html_dir / "index.html"
    if code != 0 or not index.is_file():
        raise jupyter_book.build_failure(log, f"exit status {code}" if code != 0 else "no index.html was written", ctx.out)
    return index


def finish(ctx: ReportContext) -> None:
    """Step 7: refuse a report that would need the network; stamp the digest for the next build.

    Raises
    ------
    ReportBuildError
        When a page loads a script, stylesheet, image or font from another host.
    """
    external = jupyter_book.external_assets(ctx.html_dir)
    if external:
        raise ReportBuildError(
            "the report would need the network: these pages load assets from other hosts:\n  " + "\n  ".join(external),
            log=ctx.out / "build.log",
        )
    (ctx.out / _STAMP).write_text(ctx.digest + "\n")


def build_report(
    manifest: str | os.PathLike[str] | Manifest | None = None,
    *,
    out: str | os.PathLike[str] = "_build/report",
    progress: bool = True,
    book: str | os.PathLike[str] | None = None,
    command: str | None = None,
) -> Path:
    """Build the HTML report of a manifest's datasets.

    Parameters
    ----------
    manifest : path-like or Manifest, optional
        The data manifest; None uses the built-in, demo-only one.
    out : path-like, default "_build/report"
        Build folder: a new or empty folder (created and marked as hemstats'), or one an
        earlier build made; rebuilding into the same folder reuses executed chapters.
    progress : bool, default True
        Show the steps on stderr.
    book : path-like, optional
        A book source to build instead of hemstats' own
        (see :func:`~hemstats.report.jupyter_book.find_book_source`).
    command : str, optional
        The command line to record on the Provenance page (absolute paths in it are
        shown by their last part only); default the Python call.

    Returns
    -------
    pathlib.Path
        ``<out>/html/index.html``.

    Raises
    ------
    ManifestError
        When the manifest or its data cannot be loaded, listing every problem found.
    ReportError
        When ``out`` is a file or a non-empty folder hemstats did not create.
    ReportBuildError
        When Jupyter Book fails (a Sphinx warning, a broken reference or an error in
        a chapter), with the relevant part of ``<out>/build.log``, or when a page
        would fetch a script or stylesheet from the network.
    """
    outdir = check_out_dir(out)
    source = jupyter_book.find_book_source(book)
    if command is None:
        command = f"hemstats.report.build_report({_describe(manifest)}, out={outdir.name!r})"
    command = public_command(command)
    built_at = _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    with _progress(progress) as (step, bar):
        step("manifest")
        m = check_manifest(manifest)
        step("cohort")
        cohort = load_cohort(m, progress=progress)
        step("write cohort")
        outdir = write_cohort(cohort, outdir)
        step("book source")
        copy_book(source, outdir)
        ctx = make_context(m, cohort, outdir, command=command, built_at=built_at)
        force_all = reset_cache(ctx)
        write_context(ctx)
        step("jupyter-book")
        index = run_book(ctx, force_all=force_all, bar=bar)
        finish(ctx)
        step("done")
    return index


# ----------------------------------------------------------------------------------------------
# Helpers of the steps
# ----------------------------------------------------------------------------------------------
@contextmanager
def _progress(show: bool) -> Iterator[tuple[Any, Any]]:
    """A tqdm bar over :data:`_STEPS` on stderr and the function that moves it to a named step."""
    from tqdm.auto import tqdm

    with tqdm(total=len(_STEPS), desc="hemstats report", unit="step", disable=not show, file=sys.stderr) as bar:
        done: list[str] = []

        def step(name: str) -> None:
            if done:
                bar.update(1)
            done.append(name)
            bar.set_description(f"hemstats report: {name}")

        yield step, bar


def _chapter_env(ctx: ReportContext) -> dict[str, str]:
    """The environment of the Jupyter Book process: the context file, this interpreter as kernel, no colours."""
    env = dict(os.environ)
    env[ENV_VAR] = str(ctx.out / "context.json")
    # Chapters run in this interpreter, whatever other "python3" kernel a user has installed.
    env["JUPYTER_PATH"] = os.pathsep.join(
        [str(jupyter_book.kernel_dir(ctx.out)), *filter(None, [os.environ.get("JUPYTER_PATH")])]
    )
    env["PYTHONHASHSEED"] = "0"
    env["NO_COLOR"] = "1"
    for var in ("COLORTERM", "FORCE_COLOR", "PY_COLORS"):
        env.pop(var, None)
    env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
    env.pop("MPLBACKEND", None)
    return env


def _banner_html(names: Iterable[str]) -> str:
    from hemstats.report.chapter import synthetic_banner_text
    from hemstats.report.format import html_text

    text = synthetic_banner_text(names)
    return f'<span class="hemstats-synthetic-banner">{html_text(text)}</span>' if text else ""


def _describe(manifest: object) -> str:
    if manifest is None:
        return "None"
    path = getattr(manifest, "path", manifest)
    return "None" if path is None else repr(Path(str(path)).name)
