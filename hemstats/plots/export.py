"""Save a figure as PDF, SVG and PNG with reproducible bytes: :func:`save_figure`."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from hemstats.errors import FigureOptionError
from hemstats.plots.style import _positive

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["FIGURE_FORMATS", "save_figure"]

FIGURE_FORMATS: tuple[Literal["pdf", "svg", "png"], ...] = ("pdf", "svg", "png")
"""The formats :func:`save_figure` writes: vector PDF and SVG, raster PNG."""

# the metadata keys each writer knows (matplotlib's PDF Info dictionary and SVG Dublin Core)
_PDF_KEYS = frozenset(
    {"Title", "Author", "Subject", "Keywords", "Creator", "Producer", "CreationDate", "ModDate", "Trapped"}
)
_SVG_KEYS = frozenset(
    {
        "Title", "Coverage", "Date", "Description", "Format", "Identifier", "Language", "Relation",
        "Source", "Creator", "Contributor", "Publisher", "Rights", "Keywords", "Type",
    }
)  # fmt: skip
# what makes two saves byte-identical: no creation date (PNG has none by default)
_REPRODUCIBLE: dict[str, dict[str, Any]] = {"pdf": {"CreationDate": None}, "svg": {"Date": None}, "png": {}}


def _formats(formats: object) -> list[str]:
    if isinstance(formats, str):
        formats = [formats]
    if not isinstance(formats, Iterable):
        raise FigureOptionError(f"save_figure: formats must be a sequence of format names, got {formats!r}")
    out: list[str] = []
    unknown: list[object] = []
    for f in formats:
        name = f.lower().lstrip(".") if isinstance(f, str) else f
        if name not in FIGURE_FORMATS:
            unknown.append(f)
        elif name not in out:
            out.append(name)
    if unknown:
        raise FigureOptionError(
            f"save_figure: unknown format(s) {unknown!r}; allowed formats are {', '.join(FIGURE_FORMATS)}"
        )
    if not out:
        raise FigureOptionError(f"save_figure: no format given; choose from {', '.join(FIGURE_FORMATS)}")
    return out


def _accepts(fmt: str, key: str, value: object) -> bool:
    if fmt == "pdf":
        return key in _PDF_KEYS
    if fmt == "svg":
        return key in _SVG_KEYS
    return value is None or isinstance(value, str)  # png: any text entry


def _metadata(metadata: object, formats: list[str]) -> dict[str, dict[str, Any]]:
    """Each format's metadata: the reproducible defaults, then the user entries it can store."""
    routed = {f: dict(_REPRODUCIBLE[f]) for f in formats}
    if metadata is None:
        return routed
    if not isinstance(metadata, Mapping):
        raise FigureOptionError(
            f"save_figure: metadata must be a mapping of str to value, got {type(metadata).__name__}"
        )
    for key, value in metadata.items():
        if not isinstance(key, str):
            raise FigureOptionError(f"save_figure: metadata keys must be str, got {key!r}")
        takers = [f for f in formats if _accepts(f, key, value)]
        if not takers:
            raise FigureOptionError(
                f"save_figure: metadata entry {key!r} fits none of the formats {formats}: PDF takes "
                f"{sorted(_PDF_KEYS)}, SVG takes {sorted(_SVG_KEYS)}, PNG takes any key with a str value"
            )
        for f in takers:
            routed[f][key] = value
    return routed


def _base(path: object) -> Path:
    if not isinstance(path, (str, os.PathLike)):
        raise FigureOptionError(f"save_figure: path must be a str or path, got {type(path).__name__}")
    base = Path(path)
    if base.suffix.lower().lstrip(".") in FIGURE_FORMATS:
        base = base.with_suffix("")
    if base.name in ("", ".", "..") or base.is_dir():
        raise FigureOptionError(
            f"save_figure: path {str(path)!r} names a folder; give a file name such as 'figures/prevalence'"
        )
    return base


def save_figure(
    fig: Figure,
    path: str | os.PathLike[str],
    *,
    formats: Iterable[Literal["pdf", "svg", "png"]] | str = FIGURE_FORMATS,
    dpi: float = 600,
    metadata: Mapping[str, Any] | None = None,
) -> list[Path]:
    """Write a figure in several formats next to `path`, with reproducible bytes.

    Saving the same figure twice gives byte-identical files: the PDF has no
    ``CreationDate``, the SVG no ``dc:date`` and fixed element ids (``svg.hashsalt``
    is set while saving unless you set one), the PNG no time chunk. The files still
    name the matplotlib version (PDF ``Producer``, PNG ``Software``), so bytes match
    across saves in one environment, not across matplotlib versions.

    Existing files are overwritten. The folder is created when missing. The
    figure's size, fonts and layout come from the figure and ``rcParams``: call it
    inside :func:`~hemstats.plots.style.paper_style` to get editable text
    (TrueType fonts in the PDF, ``<text>`` elements in the SVG).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure to save (``ax.figure`` for an Axes).
    path : str or path-like
        The file name without a suffix, or with one of the format suffixes
        (``.pdf``, ``.svg``, ``.png``), which is replaced: ``figs/prev.pdf`` and
        ``figs/prev`` both write ``figs/prev.pdf``, ``figs/prev.svg``, ``figs/prev.png``.
        Any other suffix is kept (``fig.v2`` writes ``fig.v2.pdf``, ...).
    formats : sequence of {"pdf", "svg", "png"} or str
        Which files to write, in this order; a single name is accepted.
    dpi : float
        Resolution of the PNG (recorded in its ``pHYs`` chunk) and of any rasterized
        artist in the PDF and SVG.
    metadata : mapping, optional
        Document metadata. Each entry goes to every requested format that can store
        it: PDF its Info keys (``Title``, ``Author``, ``Subject``, ``Keywords``,
        ``Creator``, ...), SVG its Dublin Core keys (``Title``, ``Creator``,
        ``Description``, ``Rights``, ...), PNG any key with a ``str`` value. A value
        of None removes a default entry. Passing ``CreationDate`` or ``Date`` gives
        up byte-identical saves.

    Returns
    -------
    list of pathlib.Path
        The files written, one per format, in the order of `formats`.

    Raises
    ------
    FigureOptionError
        For something that is not a Figure, an unknown format (the message lists the
        allowed ones), a non-positive dpi, a path naming a folder, or a metadata entry
        none of the formats can store. Nothing is written in these cases.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import tempfile
    >>> import matplotlib.pyplot as plt
    >>> from pathlib import Path
    >>> from hemstats.plots.style import paper_style
    >>> folder = Path(tempfile.mkdtemp())
    >>> with paper_style():
    ...     fig, ax = plt.subplots()
    ...     _ = ax.bar(["edh", "sdh"], [0.03, 0.10])
    ...     paths = save_figure(fig, folder / "figures" / "prevalence.pdf")
    >>> [p.name for p in paths]
    ['prevalence.pdf', 'prevalence.svg', 'prevalence.png']
    >>> paths[0].read_bytes()[:5]
    b'%PDF-'
    >>> plt.close(fig)
    """
    import matplotlib as mpl
    from matplotlib.figure import Figure

    if not isinstance(fig, Figure):
        hint = "; pass ax.figure" if hasattr(fig, "figure") else ""
        raise FigureOptionError(f"save_figure: fig must be a matplotlib Figure, got {type(fig).__name__}{hint}")
    fmts = _formats(formats)
    resolution = _positive(dpi, "dpi", "save_figure")
    meta = _metadata(metadata, fmts)
    base = _base(path)
    base.parent.mkdir(parents=True, exist_ok=True)
    rc: dict[Any, Any] = {"svg.hashsalt": "hemstats"} if mpl.rcParams["svg.hashsalt"] is None else {}
    written: list[Path] = []
    with mpl.rc_context(rc):
        for fmt in fmts:
            target = base.with_name(f"{base.name}.{fmt}")
            fig.savefig(target, format=fmt, dpi=resolution, metadata=meta[fmt])
            written.append(target)
    return written
