"""The Jupyter Book side of a report build: the book source, the child process, its log.

:func:`find_book_source` finds the book, :func:`sync_tree` copies it into the build folder,
:func:`run_jupyter_book` runs Jupyter Book 1.x in a child process (this interpreter as the
chapters' kernel, see :func:`kernel_dir`) and :func:`build_failure` turns its log into the
error a user reads; :func:`external_assets` is the offline check of the HTML it wrote.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from hemstats.errors import ReportBuildError, ReportError
from hemstats.report.outdir import shown_path

__all__ = [
    "build_failure",
    "chapter_failures",
    "external_assets",
    "find_book_source",
    "kernel_dir",
    "log_excerpt",
    "run_jupyter_book",
    "status_note",
    "sync_tree",
]

_SKIP = {"_build", ".ipynb_checkpoints", "__pycache__", ".jupyter_cache", ".DS_Store", "Thumbs.db"}
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


def sync_tree(src: Path, dst: Path) -> list[Path]:
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
def log_excerpt(log: Path) -> str:
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


def chapter_failures(log_text: str) -> list[tuple[str, str]]:
    """``(chapter, "Type: message")`` of each chapter whose execution failed, from the build log.

    Examples
    --------
    >>> log = ("/x/src/prevalence.md: WARNING: Executing notebook failed: CellExecutionError\\n"
    ...        "nbclient.exceptions.CellExecutionError: An error occurred\\n"
    ...        "KeyError                  Traceback (most recent call last)\\n"
    ...        "KeyError: 'n_missing'\\n\\n [mystnb.exec]\\n")
    >>> chapter_failures(log)
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


def build_failure(log: Path, what: str, outdir: Path) -> ReportBuildError:
    """The error of a failed build: one line saying what failed and why, then the log's relevant part."""
    try:
        text = log.read_text(encoding="utf-8", errors="replace")
    except OSError:
        text = ""
    shown_out, shown_log = shown_path(outdir), shown_path(log)

    def public(s: str) -> str:
        return s.replace(str(outdir), shown_out)

    failures = chapter_failures(text)
    excerpt = public(log_excerpt(log))
    if failures:
        chapter, reason = failures[0]
        more = f" (and {len(failures) - 1} more chapter{'s' * (len(failures) > 2)})" if len(failures) > 1 else ""
        summary = f"chapter {chapter!r} failed: {public(reason)}{more}; full log: {shown_log}"
        return ReportBuildError(f"{summary}\n{excerpt}", log=log, chapter=chapter, reason=public(reason))
    first = next((ln.strip() for ln in excerpt.splitlines() if _PROBLEM.search(ln)), "")
    summary = f"the report build failed ({what})" + (f": {first}" if first else "") + f"; full log: {shown_log}"
    return ReportBuildError(f"{summary}\n{excerpt}", log=log)


def status_note(line: str) -> str | None:
    """A short progress note from a line of the Sphinx log, or None."""
    for pattern, fmt in _STATUS:
        match = pattern.search(line)
        if match:
            return fmt.format(*match.groups())
    return None


def run_jupyter_book(
    *,
    src: Path,
    html: Path,
    doctrees: Path,
    overrides: dict[str, Any],
    force_all: bool,
    env: dict[str, str],
    log: Path,
    bar: Any,
    jobs: int | None = None,
) -> int:
    """Run Jupyter Book on ``src`` in a child process (this interpreter); its exit status.

    The child (:mod:`hemstats.report._sphinx`) builds the HTML into ``html`` with the
    ``overrides`` of ``_config.yml``; every line of its output goes to ``log`` and a short
    note of the step to the progress ``bar`` (a tqdm bar, or None).  ``jobs`` > 1 makes
    Sphinx read (and so execute) and write that many pages at once.
    """
    args = {
        "src": str(src),
        "html": str(html),
        "doctrees": str(doctrees),
        "config": str(src / "_config.yml"),
        "overrides": overrides,
        "force_all": force_all,
        "jobs": jobs,
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
            note = status_note(line)
            if note and bar is not None:
                bar.set_postfix_str(note[:60], refresh=True)
        return proc.wait()


def kernel_dir(outdir: Path) -> Path:
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
