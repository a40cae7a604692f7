"""The python3 kernel of report chapters: ``ipykernel_launcher`` with neutral warnings.

A library warning a chapter triggers is shown on the page as ``Category: message``,
without the file path and line of the code that raised it (the path of the build
machine's Python installation, which holds user and folder names).
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path


def _format_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int, line: str | None = None) -> str:
    """``Category: message`` (the signature of :func:`warnings.formatwarning`).

    Examples
    --------
    >>> _format_warning("invalid value", RuntimeWarning, "/home/jdoe/x.py", 3)
    'RuntimeWarning: invalid value\\n'
    """
    return f"{category.__name__}: {message}\n"


def main() -> None:  # pragma: no cover - runs as the chapters' kernel
    """Start the kernel (as ``python -m ipykernel_launcher`` does)."""
    if sys.path and (sys.path[0] == "" or Path(sys.path[0]) == Path.cwd()):
        del sys.path[0]
    warnings.formatwarning = _format_warning
    from ipykernel import kernelapp as app

    app.launch_new_instance()


if __name__ == "__main__":  # pragma: no cover
    main()
