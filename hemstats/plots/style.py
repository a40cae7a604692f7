"""Journal figure style: :func:`paper_style`, column widths and the Okabe-Ito palette.

Everything here is local: :func:`paper_style` changes matplotlib's ``rcParams`` only
inside its ``with`` block and restores every one of them on exit, exception or not
(design rule 4). Importing this module changes nothing and does not import matplotlib.

Create, annotate *and save* the figure inside the block: text added later (legends,
annotations) takes the sizes in force when it is added, and ``pdf.fonttype``,
``svg.fonttype`` and ``savefig.dpi`` are read when the figure is saved.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from numbers import Real
from typing import Any, Literal

from hemstats.errors import FigureOptionError

__all__ = [
    "FigureOptionError",
    "OKABE_ITO",
    "SANS_SERIF_FONTS",
    "SINGLE_COLUMN_MM",
    "DOUBLE_COLUMN_MM",
    "figure_size",
    "paper_style",
]

SINGLE_COLUMN_MM: float = 89
"""Width of a single-column figure in millimetres (Nature, Cell Press, Elsevier: 85-90 mm)."""

DOUBLE_COLUMN_MM: float = 183
"""Width of a double-column (full-page) figure in millimetres (Nature: 180-183 mm)."""

MM_PER_INCH = 25.4

OKABE_ITO: tuple[str, ...] = (
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#009E73",  # bluish green
    "#F0E442",  # yellow
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#000000",  # black
)
"""The Okabe-Ito colour-blind-safe palette, in the order used as the colour cycle.

Orange ``#E69F00``, sky blue ``#56B4E9``, bluish green ``#009E73``, yellow
``#F0E442``, blue ``#0072B2``, vermillion ``#D55E00``, reddish purple ``#CC79A7``,
black ``#000000`` (Okabe & Ito, *Color Universal Design*, 2008; the order of
Wilke, *Fundamentals of Data Visualization*, 2019, with black last). Yellow is
pale on white: prefer it for fills rather than thin lines.
"""

SANS_SERIF_FONTS: tuple[str, ...] = (
    "Arial",
    "Helvetica",
    "Liberation Sans",  # metric-compatible with Arial (Debian fonts-liberation)
    "Nimbus Sans",  # metric-compatible with Helvetica (Debian fonts-urw-base35)
    "TeX Gyre Heros",
    "DejaVu Sans",  # ships with matplotlib: always found
)
"""Font preference of :func:`paper_style`: the first one installed is used."""

_COLUMNS = ("single", "double")
_FONT_SIZE_RANGE = (5.0, 8.0)


def _positive(value: object, name: str, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value) or value <= 0:
        raise FigureOptionError(f"{where}: {name} must be a positive finite number, got {value!r}")
    return float(value)


def _column_mm(column: object, where: str) -> float:
    if column == "single":
        return SINGLE_COLUMN_MM
    if column == "double":
        return DOUBLE_COLUMN_MM
    raise FigureOptionError(f"{where}: column must be one of {list(_COLUMNS)}, got {column!r}")


def figure_size(
    column: Literal["single", "double"] = "single",
    *,
    aspect: float = 0.75,
    height_mm: float | None = None,
) -> tuple[float, float]:
    """Figure size in inches for a journal column.

    Parameters
    ----------
    column : {"single", "double"}
        ``"single"`` is :data:`SINGLE_COLUMN_MM` (89 mm) wide, ``"double"`` is
        :data:`DOUBLE_COLUMN_MM` (183 mm).
    aspect : float
        Height divided by width, used when `height_mm` is not given.
    height_mm : float, optional
        An explicit height in millimetres (overrides `aspect`).

    Returns
    -------
    tuple of float
        ``(width_in, height_in)``, ready for ``plt.subplots(figsize=...)``.

    Raises
    ------
    FigureOptionError
        For an unknown column or a non-positive aspect or height.

    Examples
    --------
    >>> w, h = figure_size()
    >>> round(w, 3), round(h, 3)
    (3.504, 2.628)
    >>> w, h = figure_size("double", height_mm=60)
    >>> round(w * 25.4, 6), round(h * 25.4, 6)
    (183.0, 60.0)
    """
    width_in = _column_mm(column, "figure_size") / MM_PER_INCH
    if height_mm is not None:
        return width_in, _positive(height_mm, "height_mm", "figure_size") / MM_PER_INCH
    return width_in, width_in * _positive(aspect, "aspect", "figure_size")


def _palette(palette: object) -> list[str]:
    if isinstance(palette, str):
        if palette == "colorblind":
            return list(OKABE_ITO)
        raise FigureOptionError(
            "paper_style: palette must be 'colorblind' (Okabe-Ito) or a sequence of matplotlib colours, "
            f"got {palette!r}"
        )
    from matplotlib.colors import is_color_like

    if not isinstance(palette, Sequence) or len(palette) == 0:
        raise FigureOptionError(
            f"paper_style: palette must be 'colorblind' or a non-empty sequence of colours, got {palette!r}"
        )
    bad = [c for c in palette if not is_color_like(c)]
    if bad:
        raise FigureOptionError(f"paper_style: palette has entries that are not matplotlib colours: {bad!r}")
    return list(palette)


def _paper_rc(column: object, font_size: object, palette: object) -> dict[str, Any]:
    """The rcParams :func:`paper_style` sets (validated)."""
    low, high = _FONT_SIZE_RANGE
    if isinstance(font_size, bool) or not isinstance(font_size, Real) or not low <= float(font_size) <= high:
        raise FigureOptionError(
            f"paper_style: font_size must be a number of points from {low:g} to {high:g} "
            f"(journals ask for 5-8 pt text at print size), got {font_size!r}"
        )
    size = float(font_size)
    small = max(low, size - 1.0)
    width_in = _column_mm(column, "paper_style") / MM_PER_INCH
    colours = _palette(palette)
    from matplotlib.rcsetup import cycler

    return {
        # text: a sans-serif font at print size; editable text in PDF/PS/SVG
        "font.family": "sans-serif",
        "font.sans-serif": list(SANS_SERIF_FONTS),
        "font.size": size,
        "axes.titlesize": size,
        "axes.labelsize": size,
        "xtick.labelsize": small,
        "ytick.labelsize": small,
        "legend.fontsize": small,
        "legend.title_fontsize": size,
        "figure.titlesize": size,
        "figure.labelsize": size,
        "axes.titleweight": "normal",
        "pdf.fonttype": 42,
        "ps.fonttype": 42,
        "svg.fonttype": "none",
        # lines and axes
        "axes.linewidth": 0.6,
        "lines.linewidth": 1.0,
        "lines.markersize": 3.0,
        "lines.markeredgewidth": 0.6,
        "patch.linewidth": 0.5,
        "hatch.linewidth": 0.5,
        "grid.linewidth": 0.4,
        "errorbar.capsize": 1.5,
        "xtick.major.width": 0.6,
        "ytick.major.width": 0.6,
        "xtick.minor.width": 0.4,
        "ytick.minor.width": 0.4,
        "xtick.major.size": 2.5,
        "ytick.major.size": 2.5,
        "xtick.minor.size": 1.5,
        "ytick.minor.size": 1.5,
        "xtick.major.pad": 2.0,
        "ytick.major.pad": 2.0,
        "axes.labelpad": 2.0,
        "axes.titlepad": 4.0,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": False,
        "legend.frameon": False,
        "legend.handlelength": 1.5,
        "legend.borderaxespad": 0.3,
        # colour
        "axes.prop_cycle": cycler(color=colours),
        # layout and output
        "figure.figsize": (width_in, width_in * 0.75),
        "figure.autolayout": False,
        "figure.constrained_layout.use": True,
        "figure.constrained_layout.h_pad": 0.02,
        "figure.constrained_layout.w_pad": 0.02,
        "savefig.dpi": 600,
        "svg.hashsalt": "hemstats",
    }


@contextmanager
def paper_style(
    *,
    column: Literal["single", "double"] = "single",
    font_size: float = 7,
    palette: Literal["colorblind"] | Sequence[str] = "colorblind",
) -> Iterator[None]:
    """Journal figure style for the figures made inside a ``with`` block.

    A :func:`matplotlib.rc_context`: every rcParam, including ones changed by your
    own code inside the block (``plt.rcParams[...] = ...``, ``sns.set_theme()``), is
    restored on exit, also when the block raises. Axes keep the style they were
    created with, but text added after the block (legends, annotations) and the font
    embedding at save time follow the settings in force then: annotate and save
    inside the block. It can also decorate a function.

    What it sets:

    - fonts: sans-serif, the first installed of :data:`SANS_SERIF_FONTS` (Arial,
      Helvetica, Liberation Sans, Nimbus Sans, TeX Gyre Heros, DejaVu Sans); nothing
      is downloaded. Axis labels, titles, legend titles: `font_size`; tick labels and
      legend entries: one point smaller, never below 5 pt.
    - editable text: ``pdf.fonttype`` and ``ps.fonttype`` 42 (TrueType, not Type 3),
      ``svg.fonttype`` ``"none"`` (text stays text).
    - thin lines (axes 0.6 pt, data 1 pt), small ticks, no top and right spines,
      no grid, legends without a frame.
    - colour cycle: `palette` (default :data:`OKABE_ITO`, colour-blind safe); seaborn
      picks it up too, since its default palette is the current cycle.
    - layout: constrained layout, ``figure.figsize`` from :func:`figure_size` for
      `column`; ``savefig.dpi`` 600; ``svg.hashsalt`` fixed so SVG ids are reproducible.

    Parameters
    ----------
    column : {"single", "double"}
        Default figure width: 89 mm or 183 mm (height 0.75 of the width).
    font_size : float
        Base text size in points, from 5 to 8 (journal practice: Nature asks for
        5-7 pt, Cell and Science for 6-8 pt at print size).
    palette : "colorblind" or sequence of str
        ``"colorblind"`` is the Okabe-Ito palette :data:`OKABE_ITO` (not seaborn's
        palette of that name); or any sequence of matplotlib colours.

    Yields
    ------
    None

    Raises
    ------
    FigureOptionError
        For an unknown column or palette name, a colour matplotlib cannot read, or a
        font size outside 5-8 pt; raised on entering the block, before anything changes.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> before = dict(plt.rcParams)
    >>> with paper_style(column="double"):
    ...     fig, ax = plt.subplots()
    ...     line, = ax.plot([0, 1], [0, 1])
    ...     print(plt.rcParams["pdf.fonttype"], plt.rcParams["xtick.labelsize"])
    ...     print(line.get_color(), ax.spines["top"].get_visible())
    ...     print(round(fig.get_figwidth() * 25.4))
    42 6.0
    #E69F00 False
    183
    >>> dict(plt.rcParams) == before
    True
    >>> plt.close(fig)
    """
    import matplotlib as mpl

    rc: dict[Any, Any] = _paper_rc(column, font_size, palette)  # matplotlib types its keys as literals
    with mpl.rc_context(rc):
        yield
