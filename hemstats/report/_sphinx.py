"""Child process of :func:`hemstats.report.build_report`: one Jupyter Book 1.x HTML build.

Run as ``python -m hemstats.report._sphinx '<json>'``; Sphinx mutates docutils'
global registries, so each build gets a fresh interpreter.  The module is also the
Sphinx extension the book's ``_config.yml`` lists: it escapes the manifest's report
title on every page.  The JSON holds ``src``,
``html``, ``doctrees``, ``config``, ``overrides`` and ``force_all``.  Exit status 0
on success.
"""

from __future__ import annotations

import json
import sys
from typing import Any


def main(argv: list[str]) -> int:
    """Build the book described by ``argv[1]``; return the exit status."""
    args = json.loads(argv[1])
    from jupyter_book.sphinx import build_sphinx


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
    )
    if isinstance(result, BaseException):
        print(f"Jupyter Book raised {type(result).__name__}: {result}", flush=True)
        return 2
    return int(result or 0)


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


def setup(app: Any) -> dict[str, Any]:
    """Sphinx extension (listed in the book's ``_config.yml``): escape the report title on every page."""
    app.connect("html-page-context", _escaped_titles)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


if __name__ == "__main__":  # pragma: no cover - exercised through build_report
    sys.exit(main(sys.argv))
