"""Build the report: manifest -> cohort -> Jupyter Book HTML, offline and cached.

:func:`build_report` loads the manifest's cohort once, writes it with
:meth:`Cohort.to_dir <hemstats.Cohort.to_dir>` to ``<out>/cohort``, describes the
build in ``<out>/context.json`` (read by chapters through
:func:`hemstats.report.context.current`), copies the book source to ``<out>/src``
and runs Jupyter Book 1.x on it in a child process, with warnings as errors,
nit-picky references and no tolerated notebook error.

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
import subprocess
import sys
from collections.abc import Iterable
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hemstats.errors import HemstatsError, ManifestError, ReportBuildError, ReportError
from hemstats.report.context import _FORMAT_VERSION, ENV_VAR
from hemstats.report.outdir import check_build_folder, claim_build_folder, public_command, shown_path

if TYPE_CHECKING:
    from hemstats.cohort import Cohort
    from hemstats.manifest import Manifest

__all__ = ["build_report", "find_book_source", "external_assets"]

_SKIP = {"_build", ".ipynb_checkpoints", "__pycache__", ".jupyter_cache", ".DS_Store", "Thumbs.db"}
_FORCE = re.compile(r"^\s*execution_mode\s*:\s*['\"]?force['\"]?\s*$", re.MULTILINE)
_STAMP = ".hemstats-digest"
_TAIL = 60
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_PROBLEM = re.compile(
    r"^(WARNING|ERROR|CRITICAL|SEVERE)\b|: (WARNING|ERROR|CRITICAL|SEVERE)\b|Traceback \(most recent"
    r"|Exception occurred|Executing notebook failed|Jupyter Book raised"
)


# ----------------------------------------------------------------------------------------------
# The book source
# ----------------------------------------------------------------------------------------------
def _is_book(path: Path) -> bool:
    return (path / "_toc.yml").is_file() and (path / "_config.yml").is_file()


def find_book_source(book: str | os.PathLike[str] | None = None) -> Path:
    """The folder holding the report's Jupyter Book source (``_config.yml``, ``_toc.yml``).

    Looked for, in order: ``book`` when given; ``hemstats/report/book_template``
    (the wheel ships ``book/`` there as package data; in a source checkout it is a
    symbolic link to ``book/``); the ``book/`` folder beside the ``hemstats``
    package (a checkout where the link is not followed, e.g. on Windows).

    Raises
    ------
    ReportError
        When none of them is a book source.

    Examples
    --------
    >>> (find_book_source() / "_toc.yml").is_file()
    True
    """
    if book is not None:
        path = Path(book)
        if not _is_book(path):
            raise ReportError(f"{path}: not a Jupyter Book source; expected _config.yml and _toc.yml in it")
        return path.resolve()
    here = Path(__file__).resolve().parent
    candidates = [here / "book_template", here.parent.parent / "book"]
    for path in candidates:
        if _is_book(path):
            return path.resolve()
    raise ReportError(
        "the report's book source is missing: looked in " + ", ".join(map(str, candidates))
        + "; reinstall hemstats or pass book=<folder>"
    )


def _sync_tree(src: Path, dst: Path) -> list[Path]:
    """Make ``dst`` a copy of ``src``, writing only files whose bytes differ; return those."""
    changed: list[Path] = []
    wanted: set[Path] = set()
    for root, dirs, files in os.walk(src, followlinks=True):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP)
        rel_root = Path(root).relative_to(src)
        (dst / rel_root).mkdir(parents=True, exist_ok=True)
        wanted.add(dst / rel_root)
        for name in sorted(files):
            if name in _SKIP:
                continue
            s, d = Path(root, name), dst / rel_root / name
            wanted.add(d)
            data = s.read_bytes()
            if not d.is_file() or d.read_bytes() != data:
                d.write_bytes(data)
                changed.append(d)
    for root, dirs, files in os.walk(dst, topdown=False):
        for name in files:
            p = Path(root, name)
            if p not in wanted:
                p.unlink()
                changed.append(p)
        for name in dirs:
            p = Path(root, name)
            if p not in wanted and not any(p.iterdir()):
                p.rmdir()
    return changed


# ----------------------------------------------------------------------------------------------
# Digest of what the chapters' results depend on
# ----------------------------------------------------------------------------------------------
def _source_hash() -> str:
    """SHA-256 of hemstats' own source and shipped data (a change re-executes the chapters)."""
    pkg = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for path in sorted(pkg.rglob("*.py")):
        if "book_template" in path.parts or "__pycache__" in path.parts:
            continue
        digest.update(path.relative_to(pkg).as_posix().encode())
        digest.update(path.read_bytes())
    data = [*pkg.rglob("*.yaml"), *(pkg / "report" / "validation").glob("*")]
    for path in sorted(p for p in data if p.is_file()):
        digest.update(path.relative_to(pkg).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _fingerprints(cohort: Cohort) -> dict[str, dict[str, str | None]]:
    """Per dataset: the loader's source fingerprint and the SHA-256 of its tables."""
    out: dict[str, dict[str, str | None]] = {}
    for d in cohort.datasets:
        source = cohort.info.get(d, {}).get("fingerprint")
        out[d] = {"source": None if source is None else str(source), "tables": cohort.fingerprint(d)}
    return out


def _digest(
    fingerprints: dict[str, dict[str, str | None]], info: Any, settings: dict[str, Any], manifest_yaml: str
) -> str:
    from hemstats.report.pages import versions_table

    versions = versions_table().astype(str).to_dict("records")
    payload = {
        "fingerprints": fingerprints,
        "info": info,
        "settings": settings,
        "manifest": manifest_yaml,
        "hemstats_source": _source_hash(),
        "versions": versions,
        "context_format": _FORMAT_VERSION,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


# ----------------------------------------------------------------------------------------------
# Offline check
# ----------------------------------------------------------------------------------------------
_CSS_URL = re.compile(r"""(?:@import\s+(?:url\()?|url\()\s*['"]?(?:https?:)?//[^'")\s]+""", re.IGNORECASE)


class _AssetFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        url = None
        if tag in ("script", "img", "iframe", "embed", "source", "audio", "video"):
            url = a.get("src")
        elif tag == "link":
            url = a.get("href")
        elif tag == "object":
            url = a.get("data")
        if url and re.match(r"^\s*(https?:)?//", url, re.IGNORECASE):
            self.found.append(f"<{tag} {'href' if tag == 'link' else 'src'}={url!r}>")


def external_assets(html_dir: str | os.PathLike[str]) -> list[str]:
    """Every script, stylesheet, image, frame or font the pages would fetch from another host.

    Scans every ``.html`` page (script, link, img, iframe, ... tags) and every
    ``.css`` file (``url(...)`` and ``@import``).  Plain hyperlinks
    (``<a href="https://...">``) are not assets and are not listed.

    Returns
    -------
    list of str
        ``"<file>: <what>"``, one per offending reference; empty for an offline report.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = pathlib.Path(tmp, "a.html").write_text(
    ...         '<script src="https://cdn.example.org/x.js"></script><a href="https://example.org">ok</a>')
    ...     external_assets(tmp)
    ["a.html: <script src='https://cdn.example.org/x.js'>"]
    """
    root = Path(html_dir)
    problems = []
    for page in sorted(root.rglob("*.html")):
        finder = _AssetFinder()
        finder.feed(page.read_text(encoding="utf-8", errors="replace"))
        problems += [f"{page.relative_to(root).as_posix()}: {tag}" for tag in finder.found]
    for sheet in sorted(root.rglob("*.css")):
        text = sheet.read_text(encoding="utf-8", errors="replace")
        problems += [f"{sheet.relative_to(root).as_posix()}: {m.group(0)}" for m in _CSS_URL.finditer(text)]
    return problems


# ----------------------------------------------------------------------------------------------
# Running Jupyter Book
# ----------------------------------------------------------------------------------------------
def _log_excerpt(log: Path) -> str:
    """The part of the log that explains a failure: from the first warning or error, else the end."""
    try:
        lines = _ANSI.sub("", log.read_text(encoding="utf-8", errors="replace")).splitlines()
    except OSError:
        return "(no build log)"
    first = next(
        (i for i, line in enumerate(lines) if _PROBLEM.search(line) and "[IPKernelApp]" not in line), None
    )
    if first is None:
        excerpt = lines[-_TAIL:]
    else:
        excerpt = lines[first : first + _TAIL]
        tail = [line for line in lines[-3:] if line not in excerpt]
        if tail:
            excerpt += ["..."] + tail
    return "\n".join(excerpt)


_STATUS = (
    (re.compile(r"([^/\s]+)\.(?:md|ipynb): Executing notebook"), "executing {0}"),
    (re.compile(r"^(reading sources|writing output)\.\.\. \[\s*\d+%\] (\S+)"), "{0} {1}"),
)


_FAILED_CHAPTER = re.compile(r"([^/\\\s]+)\.(?:md|ipynb): WARNING: Executing notebook failed")
_EXCEPTION_LINE = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Warning|Interrupt|Exit)\w*)(?::\s*(.*))?$")


def _chapter_failures(log_text: str) -> list[tuple[str, str]]:
    """``(chapter, "Type: message")`` of each chapter whose execution failed, from the build log.

    Examples
    --------
    >>> log = ("/x/src/prevalence.md: WARNING: Executing notebook failed: CellExecutionError\\n"
    ...        "nbclient.exceptions.CellExecutionError: An error occurred\\n"
    ...        "KeyError                  Traceback (most recent call last)\\n"
    ...        "KeyError: 'n_missing'\\n\\n [mystnb.exec]\\n")
    >>> _chapter_failures(log)
    [('prevalence', "KeyError: 'n_missing'")]
    """
    lines = _ANSI.sub("", log_text).splitlines()
    out = []
    for i, line in enumerate(lines):
        match = _FAILED_CHAPTER.search(line)
        if not match:
            continue
        reason = None
        for later in lines[i + 1 :]:
            if later.strip().endswith("[mystnb.exec]") or _FAILED_CHAPTER.search(later):
                break
            found = _EXCEPTION_LINE.match(later.strip())
            if found:
                reason = found.group(1) + (f": {found.group(2).strip()}" if found.group(2) else "")
        out.append((match.group(1), reason or "the notebook raised an exception (see the log)"))
    return out


def _failure(log: Path, what: str, outdir: Path) -> ReportBuildError:
    """The error of a failed build: one line saying what failed and why, then the log's relevant part."""
    try:
        text = log.read_text(encoding="utf-8", errors="replace")
    except OSError:
        text = ""
    shown_out, shown_log = shown_path(outdir), shown_path(log)

    def public(s: str) -> str:
        return s.replace(str(outdir), shown_out)

    failures = _chapter_failures(text)
    excerpt = public(_log_excerpt(log))
    if failures:
        chapter, reason = failures[0]
        more = f" (and {len(failures) - 1} more chapter{'s' * (len(failures) > 2)})" if len(failures) > 1 else ""
        summary = f"chapter {chapter!r} failed: {public(reason)}{more}; full log: {shown_log}"
        return ReportBuildError(f"{summary}\n{excerpt}", log=log, chapter=chapter, reason=public(reason))
    first = next((ln.strip() for ln in excerpt.splitlines() if _PROBLEM.search(ln)), "")
    summary = f"the report build failed ({what})" + (f": {first}" if first else "") + f"; full log: {shown_log}"
    return ReportBuildError(f"{summary}\n{excerpt}", log=log)


def _status(line: str) -> str | None:
    """A short progress note from a line of the Sphinx log, or None."""
    for pattern, fmt in _STATUS:
        match = pattern.search(line)
        if match:
            return fmt.format(*match.groups())
    return None


def _run_book(
    *,
    src: Path,
    html: Path,
    doctrees: Path,
    overrides: dict[str, Any],
    force_all: bool,
    env: dict[str, str],
    log: Path,
    bar: Any,
) -> int:
    args = {
        "src": str(src),
        "html": str(html),
        "doctrees": str(doctrees),
        "config": str(src / "_config.yml"),
        "overrides": overrides,
        "force_all": force_all,
    }
    cmd = [sys.executable, "-m", "hemstats.report._sphinx", json.dumps(args)]
    with log.open("w", encoding="utf-8") as fh:
        proc = subprocess.Popen(
            cmd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=src,
            text=True,
            encoding="utf-8",
            errors="replace",
            bufsize=1,
        )
        assert proc.stdout is not None
        for line in proc.stdout:
            line = _ANSI.sub("", line)
            fh.write(line)
            note = _status(line)
            if note and bar is not None:
                bar.set_postfix_str(note[:60], refresh=True)
        return proc.wait()


def _kernel_dir(outdir: Path) -> Path:
    """A Jupyter data folder whose ``python3`` kernel is this interpreter (first on JUPYTER_PATH)."""
    root = outdir / "jupyter"
    spec = {
        "argv": [sys.executable, "-m", "hemstats.report._kernel", "-f", "{connection_file}"],
        "display_name": "Python 3 (hemstats report)",
        "language": "python",
    }
    kernel = root / "kernels" / "python3"
    kernel.mkdir(parents=True, exist_ok=True)
    text = json.dumps(spec, indent=1) + "\n"
    file = kernel / "kernel.json"
    if not file.is_file() or file.read_text() != text:
        file.write_text(text)
    return root


def _banner_html(names: Iterable[str]) -> str:
    from hemstats.report.chapter import synthetic_banner_text
    from hemstats.report.format import html_text

    text = synthetic_banner_text(names)
    return f'<span class="hemstats-synthetic-banner">{html_text(text)}</span>' if text else ""


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
        A book source to build instead of hemstats' own (see :func:`find_book_source`).
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
    from tqdm.auto import tqdm

    from hemstats import loading
    from hemstats.manifest import Manifest, load_manifest
    from hemstats.report.chapter import synthetic_datasets

    outdir = check_build_folder(out)
    src_book = find_book_source(book)
    if command is None:
        command = f"hemstats.report.build_report({_describe(manifest)}, out={outdir.name!r})"
    command = public_command(command)
    built_at = _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")

    steps = ["manifest", "cohort", "write cohort", "book source", "jupyter-book"]
    with tqdm(total=len(steps), desc="hemstats report", unit="step", disable=not progress, file=sys.stderr) as bar:

        def step(i: int) -> None:
            bar.set_description(f"hemstats report: {steps[i]}")
            if i:
                bar.update(1)

        step(0)
        m = manifest if isinstance(manifest, Manifest) else load_manifest(manifest)

        step(1)
        try:
            cohort = loading.load(m, verify=True, progress=progress)
        except HemstatsError as exc:
            problems = loading.validate(m, progress=False)
            if problems:
                raise ManifestError(problems, path=None if m.path is None else Path(m.path).name) from exc
            raise
        problems = loading.report_problems(m, cohort)
        if problems:  # what validate reports: the chapters would fail on it
            raise ManifestError(problems, path=None if m.path is None else Path(m.path).name)

        step(2)
        outdir = claim_build_folder(outdir)
        cohort_dir = outdir / "cohort"
        if cohort_dir.exists():
            shutil.rmtree(cohort_dir)
        cohort.to_dir(cohort_dir, format="parquet")

        step(3)
        src = outdir / "src"
        src.mkdir(exist_ok=True)
        _sync_tree(src_book, src)
        html_dir, doctrees, cache = outdir / "html", outdir / ".doctrees", outdir / ".jupyter_cache"
        settings = dict(m.report.to_dict())
        manifest_yaml = m.to_yaml()
        fingerprints = _fingerprints(cohort)
        digest = _digest(fingerprints, cohort.info, settings, manifest_yaml)
        stamp = outdir / _STAMP
        # A new digest, or a missing report (whose CSVs cached chapters would not rewrite),
        # empties the execution cache and rebuilds everything.
        force_all = (
            not stamp.is_file() or stamp.read_text().strip() != digest or not (html_dir / "index.html").is_file()
        )
        # Tracebacks of failed chapters (absolute paths in them) are written again when a chapter fails.
        if (html_dir / "reports").is_dir():
            shutil.rmtree(html_dir / "reports")
        if force_all:
            for stale in (cache, html_dir / "tables"):
                if stale.exists():
                    shutil.rmtree(stale)
            if stamp.exists():
                stamp.unlink()
        synthetic = synthetic_datasets(cohort)
        context = {
            "format_version": _FORMAT_VERSION,
            "title": str(settings.get("title", "hemstats report")),
            "manifest_path": None if m.path is None else str(m.path),
            "manifest_yaml": manifest_yaml,
            "seed": int(settings.get("seed", 0)),
            "confidence_level": float(settings.get("confidence_level", 0.95)),
            "n_resamples": int(settings.get("n_resamples", 2000)),
            "out": str(outdir),
            "cohort_dir": str(cohort_dir),
            "html_dir": str(html_dir),
            "tables_dir": str(html_dir / "tables"),
            "src_dir": str(src),
            "datasets": list(cohort.datasets),
            "synthetic": list(synthetic),
            "fingerprints": fingerprints,
            "digest": digest,
            "command": command,
            "built_at": built_at,
        }
        context_file = outdir / "context.json"
        context_file.write_text(json.dumps(context, indent=2) + "\n", encoding="utf-8")
        # Pages that show this build's time and command run on every build.
        for page in src.rglob("*.md"):
            if _FORCE.search(page.read_text(encoding="utf-8", errors="replace")):
                os.utime(page)

        step(4)
        overrides: dict[str, Any] = {
            "external_toc_path": str(src / "_toc.yml"),
            "latex_individualpages": False,
            "nitpicky": True,
            "project": context["title"],
            "html_title": context["title"],
            "nb_execution_mode": "cache",
            "nb_execution_cache_path": str(cache),
            "nb_execution_allow_errors": False,
        }
        banner = _banner_html(synthetic)
        if banner:
            overrides["html_theme_options"] = {"announcement": banner}
        env = dict(os.environ)
        env[ENV_VAR] = str(context_file)
        # Chapters run in this interpreter, whatever other "python3" kernel a user has installed.
        env["JUPYTER_PATH"] = os.pathsep.join(
            [str(_kernel_dir(outdir)), *filter(None, [os.environ.get("JUPYTER_PATH")])]
        )
        env["PYTHONHASHSEED"] = "0"
        env["NO_COLOR"] = "1"
        for var in ("COLORTERM", "FORCE_COLOR", "PY_COLORS"):
            env.pop(var, None)
        env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
        env.pop("MPLBACKEND", None)
        log = outdir / "build.log"
        code = _run_book(
            src=src, html=html_dir, doctrees=doctrees, overrides=overrides,
            force_all=force_all, env=env, log=log, bar=bar,
        )
        index = html_dir / "index.html"
        if code != 0 or not index.is_file():
            raise _failure(log, f"exit status {code}" if code != 0 else "no index.html was written", outdir)
        external = external_assets(html_dir)
        if external:
            raise ReportBuildError(
                "the report would need the network: these pages load assets from other hosts:\n  "
                + "\n  ".join(external),
                log=log,
            )
        stamp.write_text(digest + "\n")
        bar.update(1)
        bar.set_description("hemstats report: done")
    return index


def _describe(manifest: object) -> str:
    if manifest is None:
        return "None"
    path = getattr(manifest, "path", manifest)
    return "None" if path is None else repr(Path(str(path)).name)
