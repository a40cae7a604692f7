"""Child process of :func:`hemstats.report.build_report`: one Jupyter Book 1.x HTML build.

Run as ``python -m hemstats.report._sphinx '<json>'``; Sphinx mutates docutils'
global registries, so each build gets a fresh interpreter.  The JSON holds ``src``,
``html``, ``doctrees``, ``config``, ``overrides`` and ``force_all``.  Exit status 0
on success.
"""

from __future__ import annotations

import json
import sys


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


if __name__ == "__main__":  # pragma: no cover - exercised through build_report
    sys.exit(main(sys.argv))
