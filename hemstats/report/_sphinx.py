"""Child process of :func:`hemstats.report.build_report`: one Jupyter Book 1.x HTML build.

Run as ``python -m hemstats.report._sphinx '<json>'``; Sphinx mutates docutils'
global registries, so each build gets a fresh interpreter.  The JSON holds ``src``,
``html``, ``doctrees``, ``config``, ``overrides``, ``force_all`` and optionally ``jobs``
(Sphinx's parallel read and write).  Exit status 0 on success.

The module is also the Sphinx extension the book's ``_config.yml`` lists: it escapes
the manifest's report title on every page, sets the theme's colour mode (light), and it serves MathJax from the report
itself, only to the pages with math.  Sphinx adds the MathJax script to pages with
equations and to the pages whose table of contents holds one (the front page of a book
whose chapter has math); this extension takes it off the latter, and copies
into ``_static/mathjax`` the part of MathJax those pages load (the TeX-to-CHTML
component, its web fonts and the TeX extensions it may load on demand, about 2 MB,
from the ``sphinx-mathjax-offline`` package) and nothing when no page has math.  It
also removes from ``_static`` what no page loads (:func:`prune_static`: the themes'
source maps, translation catalogues and the TrueType twins of WOFF2 fonts), which
halves what the themes ship.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
from pathlib import Path
from typing import Any

#: Where pages load MathJax from, relative to ``_static``.
MATHJAX_PATH = "mathjax/tex-chtml.js"
#: The parts of MathJax 3 that ``tex-chtml.js`` loads: itself, its fonts, TeX extensions on demand.
MATHJAX_PARTS = ("tex-chtml.js", "output/chtml/fonts/woff-v2", "input/tex/extensions")


def main(argv: list[str]) -> int:
    """Build the book described by ``argv[1]``; return the exit status."""
    args = json.loads(argv[1])
    from jupyter_book.sphinx import build_sphinx

    if (args.get("jobs") or 1) > 1:
        _declare_parallel_safe("sphinx_multitoc_numbering")
        cache = args["overrides"].get("nb_execution_cache_path")
        if cache:  # create the execution cache's database here, not in two workers at once
            from jupyter_cache import get_cache

            get_cache(cache).list_cache_records()

    result = build_sphinx(
        args["src"],
        args["html"],
        doctreedir=args["doctrees"],
        noconfig=True,
        path_config=args["config"],
        confoverrides=args["overrides"],
        builder="html",
        warningiserror=True,
        keep_going=True,
        force_all=bool(args["force_all"]),
        freshenv=bool(args["force_all"]),
        jobs=args.get("jobs") or None,
    )
    if isinstance(result, BaseException):
        print(f"Jupyter Book raised {type(result).__name__}: {result}", flush=True)
        return 2
    return int(result or 0)


def _declare_parallel_safe(module: str) -> None:
    """Make the extension ``module`` declare itself safe for parallel reading and writing.

    ``sphinx_external_toc`` always loads ``sphinx_multitoc_numbering``, whose ``setup``
    declares nothing; Sphinx then warns (an error under ``-W``) and reads serially.  It
    renumbers sections once, in the main process, after the parallel reads are merged.
    """
    import importlib

    ext = importlib.import_module(module)
    setup = ext.setup
    if getattr(setup, "_hemstats_parallel", False):
        return

    def declared(app: Any) -> dict[str, Any]:
        meta = setup(app) or {}
        return {**meta, "parallel_read_safe": True, "parallel_write_safe": True}

    declared._hemstats_parallel = True  # type: ignore[attr-defined]
    ext.setup = declared  # type: ignore[attr-defined]


def _escaped_titles(app: Any, pagename: str, templatename: str, context: dict[str, Any], doctree: Any) -> None:
    """Sphinx ``html-page-context`` handler: the report title as escaped HTML on every page.

    Themes print the title both raw (the sidebar, the search page) and through
    Jinja's ``|e`` (the ``<title>``); escaped text marked safe
    (:class:`markupsafe.Markup`) reads right in both and can never become markup.

    Examples
    --------
    >>> context = {"docstitle": "<script>x</script>", "project": "<b>"}
    >>> _escaped_titles(None, "index", "page.html", context, None)
    >>> str(context["docstitle"]), str(context["project"])
    ('&lt;script&gt;x&lt;/script&gt;', '&lt;b&gt;')
    """
    from markupsafe import Markup

    from hemstats.report.format import html_text

    for key in ("docstitle", "project", "shorttitle"):
        value = context.get(key)
        if isinstance(value, str) and not isinstance(value, Markup):
            context[key] = Markup(html_text(value))


def mathjax_source() -> Path:
    """The folder of MathJax 3's files that the ``sphinx-mathjax-offline`` package ships.

    Raises
    ------
    ReportBuildError
        When the package is not installed.

    Examples
    --------
    >>> (mathjax_source() / "tex-chtml.js").is_file()
    True
    """
    from hemstats.errors import ReportBuildError

    spec = importlib.util.find_spec("sphinx-mathjax-offline")
    folder = None if spec is None or not spec.submodule_search_locations else Path(
        next(iter(spec.submodule_search_locations)), "static", "mathjax"
    )
    if folder is None or not (folder / MATHJAX_PARTS[0]).is_file():
        raise ReportBuildError(
            "a page of the report has math, but MathJax is missing: install the package "
            "sphinx-mathjax-offline (pip install sphinx-mathjax-offline)"
        )
    return folder


def copy_mathjax(static: Path, source: Path | None) -> list[Path]:
    """Make ``static/mathjax`` hold :data:`MATHJAX_PARTS` of ``source``; nothing when it is None.

    Returns the files copied.  A ``mathjax`` folder an earlier build left is removed
    first (the build folder is hemstats'): a report without math ships none.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     static = Path(tmp, "_static")
    ...     files = copy_mathjax(static, mathjax_source())
    ...     had = (static / MATHJAX_PATH).is_file() and len(files) > 10
    ...     _ = copy_mathjax(static, None)
    ...     had, (static / "mathjax").exists()
    (True, False)
    """
    target = static / Path(MATHJAX_PATH).parent
    if target.exists():
        shutil.rmtree(target)
    if source is None:
        return []
    copied = []
    for part in MATHJAX_PARTS:
        src, dst = source / part, target / part
        files = sorted(p for p in src.rglob("*") if p.is_file()) if src.is_dir() else [src]
        for file in files:
            out = dst / file.relative_to(src) if src.is_dir() else dst
            out.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(file, out)
            copied.append(out)
    return copied


def prune_static(static: Path) -> list[Path]:
    """Remove from ``static`` the files the pages never load; return them.

    Source maps (``*.map``: fetched only by a browser's developer tools), the themes'
    translation catalogues (``locales/``: used by Sphinx while it writes, never by a
    page) and TrueType fonts beside a WOFF2 twin (every browser the themes support
    takes the WOFF2 file first).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     static = Path(tmp)
    ...     for name in ("a.js", "a.js.map", "f.woff2", "f.ttf", "g.ttf", "locales/de/x.mo"):
    ...         (static / name).parent.mkdir(parents=True, exist_ok=True)
    ...         _ = (static / name).write_text("x")
    ...     removed = prune_static(static)
    ...     sorted(p.relative_to(static).as_posix() for p in static.rglob("*") if p.is_file())
    ['a.js', 'f.woff2', 'g.ttf']
    """
    removed = [p for p in static.rglob("*.map") if p.is_file()]
    removed += [p for p in static.rglob("*.ttf") if p.with_suffix(".woff2").is_file()]
    locales = static / "locales"
    if locales.is_dir():
        removed += [p for p in locales.rglob("*") if p.is_file()]
    for path in removed:
        path.unlink()
    if locales.is_dir():
        shutil.rmtree(locales)
    return removed


def _report_config(app: Any, config: Any) -> None:
    """``config-inited``: MathJax from ``_static`` (the report's own copy, never a CDN); light theme.

    The theme's colour mode defaults to light unless the book sets one: the
    pydata theme's default (an empty mode) makes every first visit log a console
    error, and the figures are drawn on white.
    """
    config.mathjax_path = MATHJAX_PATH
    context = dict(config.html_context or {})  # the pydata theme reads its mode from the page context
    if not context.get("default_mode"):
        context["default_mode"] = "light"
    config.html_context = context


def _mathjax_only_where_used(app: Any, pagename: str, templatename: str, context: dict[str, Any], doctree: Any) -> None:
    """``html-page-context`` (after Sphinx's): no MathJax on a page without equations of its own."""
    if app.env.get_domain("math").data["has_equations"].get(pagename, False):
        return
    scripts = context.get("script_files")
    if not isinstance(scripts, list):
        return

    path = str(app.config.mathjax_path)

    def is_mathjax(js: Any) -> bool:  # Sphinx stores the file as "_static/<mathjax_path>"
        body = str(getattr(js, "attributes", {}).get("body", ""))
        filename = str(getattr(js, "filename", None))
        return filename in (path, f"_static/{path}") or body.startswith("window.MathJax")

    scripts[:] = [js for js in scripts if not is_mathjax(js)]


def _ship_mathjax(app: Any, exc: BaseException | None) -> None:
    """``build-finished``: MathJax only when some page has math; no file that no page loads."""
    if exc is not None or getattr(app.builder, "format", None) != "html":
        return
    needed = bool(app.env.get_domain("math").has_equations())
    static = Path(app.outdir, "_static")
    copy_mathjax(static, mathjax_source() if needed else None)
    prune_static(static)


def setup(app: Any) -> dict[str, Any]:
    """Sphinx extension (listed in the book's ``_config.yml``): escaped title, local MathJax on math pages."""
    app.connect("html-page-context", _escaped_titles)
    app.connect("html-page-context", _mathjax_only_where_used, priority=600)
    app.connect("config-inited", _report_config)
    app.connect("build-finished", _ship_mathjax)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


if __name__ == "__main__":  # pragma: no cover - exercised through build_report
    sys.exit(main(sys.argv))
