"""Figures of report chapters: numbered, captioned, saved as PNG, PDF and SVG with the data behind them.

:func:`show_figure` is to a figure what :func:`~hemstats.report.chapter.show_table` is to
a table: it writes the figure's files into the report (``<html>/tables/figures/<name>.png``,
``.pdf``, ``.svg``, reproducible bytes, no dates or paths in their metadata), writes the table
drawn beside them (``<name>.csv``, by :func:`~hemstats.report.chapter.save_table`),
closes the figure and returns the HTML that shows it: the image, then
"Figure N. caption" and the links "PDF · SVG · data (CSV)".

Numbering: per page, in reading order.  A figure gets the next number of its chapter the
first time its ``name`` is shown in the running kernel (showing the same name again keeps
its number), so a page executed from the top always numbers its figures 1, 2, ... and a
cached page keeps the numbers of the run it was cached from.  With ``chapter=`` (the
chapter's file name in ``_toc.yml``) the number is prefixed with the chapter's position
there, "Figure 5.2" for the second figure of the fifth chapter (the root page is 0).

:func:`roc_steps` is the data of a ROC figure drawn at its exact steps.

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> import matplotlib.pyplot as plt
>>> import pandas as pd, tempfile
>>> from hemstats.report.context import current
>>> with tempfile.TemporaryDirectory() as tmp:
...     ctx = current(ReportContext.example(tmp).write())
...     fig, ax = plt.subplots()
...     _ = ax.plot([0, 1], [0, 1])
...     html = show_figure(fig, "example_line", caption="A <line>.", data=pd.DataFrame({"x": [0, 1]}),
...                        context=ctx, cwd=ctx.src_dir)
...     print(sorted(p.name for p in (ctx.tables_dir / "figures").iterdir()))
['example_line.csv', 'example_line.pdf', 'example_line.png', 'example_line.svg']
>>> print(html)
Figure 1. A <line>. [PDF, SVG, data: example_line.csv]
>>> "A &lt;line&gt;." in html.html
True
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from hemstats.errors import ReportError
from hemstats.report.chapter import Html, _check_name, save_table, table_url
from hemstats.report.context import ReportContext, current
from hemstats.report.format import html_text

if TYPE_CHECKING:
    from matplotlib.figure import Figure, SubFigure

    from hemstats.cohort import Cohort

__all__ = [
    "FIGURES_FOLDER",
    "PNG_DPI",
    "show_figure",
    "figure_files",
    "chapter_number",
    "reset_figure_numbers",
    "roc_steps",
    "MAX_ROC_STEPS",
]

FIGURES_FOLDER = "figures"
"""The figures' folder, inside the report's tables folder (emptied with it when the data change)."""

PNG_DPI: float = 144
"""Resolution of the PNG shown on the page: 1.5 image pixels per CSS pixel (96 per inch)."""

_CSS_DPI = 96
_numbers: dict[tuple[str, str], dict[str, int]] = {}


def reset_figure_numbers() -> None:
    """Forget every number given in this process: the next figure of each page is number 1 again."""
    _numbers.clear()


def chapter_number(chapter: str, *, context: ReportContext | None = None) -> int:
    """The position of ``chapter`` (a file name of ``_toc.yml``, no suffix) in the report's reading order.

    The root page is 0, the first chapter 1.  The table of contents is the report's
    (``<src>/_toc.yml``), or the shipped book's when the report has none (a chapter run
    outside ``hemstats report``, as the tests do).

    Raises
    ------
    ReportError
        When the table of contents cannot be read or does not list ``chapter``.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     ctx = ReportContext.example(tmp)
    ...     ctx.src_dir.mkdir(parents=True)
    ...     _ = (ctx.src_dir / "_toc.yml").write_text("root: overview\\nchapters:\\n  - file: cohort\\n  - file: roc\\n")
    ...     chapter_number("roc", context=ctx), chapter_number("overview", context=ctx)
    (2, 0)
    """
    import yaml

    from hemstats.report.jupyter_book import find_book_source

    ctx = context if context is not None else current()
    toc = ctx.src_dir / "_toc.yml"
    if not toc.is_file():
        toc = find_book_source() / "_toc.yml"
    try:
        data = yaml.safe_load(toc.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as err:
        raise ReportError(f"chapter_number({chapter!r}): cannot read the report's table of contents _toc.yml "
                          f"({type(err).__name__})") from None
    files: list[str] = []
    if isinstance(data, Mapping):
        files.append(str(data.get("root", "")))
        for entry in data.get("chapters") or []:
            if isinstance(entry, Mapping) and "file" in entry:
                files.append(str(entry["file"]))
    stems = [Path(f).with_suffix("").as_posix() if Path(f).suffix in (".md", ".ipynb") else f for f in files]
    if chapter not in stems:
        raise ReportError(f"chapter_number: _toc.yml lists no chapter {chapter!r}; it lists {stems}")
    return stems.index(chapter)


def _number(name: str, chapter: str | None, ctx: ReportContext) -> str:
    key = (str(ctx.html_dir), chapter or "")
    page = _numbers.setdefault(key, {})
    n = page.setdefault(name, len(page) + 1)
    return f"{chapter_number(chapter, context=ctx)}.{n}" if chapter else str(n)


def figure_files(name: str, *, context: ReportContext | None = None) -> dict[str, Path]:
    """Where :func:`show_figure` writes figure ``name``: ``{"png": ..., "pdf": ..., "svg": ...}``."""
    _check_name(name)
    ctx = context if context is not None else current()
    folder = ctx.tables_dir / FIGURES_FOLDER
    return {fmt: folder / f"{name}.{fmt}" for fmt in ("png", "pdf", "svg")}


def _data_csv(data: pd.DataFrame | str | None, name: str, ctx: ReportContext) -> str | None:
    if data is None:
        return None
    if isinstance(data, str):
        _check_name(data)
        if not (ctx.tables_dir / f"{data}.csv").is_file():
            raise ReportError(f"show_figure({name!r}): data={data!r} names no saved table; save it with "
                              "save_table first, or pass the DataFrame")
        return data
    if not isinstance(data, pd.DataFrame):
        raise ReportError(f"show_figure({name!r}): data must be a DataFrame, the name of a saved table or None, "
                          f"got {type(data).__name__}")
    save_table(data, name, context=dataclasses.replace(ctx, tables_dir=ctx.tables_dir / FIGURES_FOLDER))
    return f"{FIGURES_FOLDER}/{name}"


def show_figure(
    fig: Figure | SubFigure,
    name: str,
    *,
    caption: str,
    data: pd.DataFrame | str | None = None,
    chapter: str | None = None,
    context: ReportContext | None = None,
    cwd: str | os.PathLike[str] | None = None,
) -> Html:
    """Save ``fig`` as PNG, PDF and SVG with the table behind it, close it, and show it numbered and captioned.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure (``ax.figure`` for an Axes; a subfigure stands for its whole figure).
        It is closed afterwards.
    name : str
        File name without a suffix, unique within the report (letters, digits, ``_``,
        ``-``, ``.``): the files are ``<tables>/figures/<name>.png|pdf|svg|csv``.
    caption : str
        What is shown, from which data, with which interval; escaped.
    data : DataFrame or str, optional
        The table drawn: saved as ``<tables>/figures/<name>.csv`` (a DataFrame) or the name of a
        table already saved with :func:`~hemstats.report.chapter.save_table` (a str);
        linked as "data (CSV)".
    chapter : str, optional
        The page's file name in ``_toc.yml``: numbers become "<chapter position>.<n>".
    context : ReportContext, optional
        Default :func:`~hemstats.report.context.current`.
    cwd : path, optional
        The folder of the page (default: the working directory, as chapters execute there).

    Returns
    -------
    Html
        A ``<figure>`` with the image, "Figure N. caption" and the links; ``str()`` gives
        the caption line.

    Raises
    ------
    ReportError
        For a bad name, an empty caption, or ``data`` naming no saved table.
    """
    import matplotlib as mpl
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure, SubFigure

    from hemstats.plots.export import save_figure

    if isinstance(fig, SubFigure):
        fig = fig.figure
    if not isinstance(fig, Figure):
        raise ReportError(f"show_figure({name!r}): expected a matplotlib Figure, got {type(fig).__name__}")
    _check_name(name)
    if not isinstance(caption, str) or not caption.strip():
        raise ReportError(f"show_figure({name!r}): caption must be a non-empty sentence saying what is shown")
    ctx = context if context is not None else current()
    csv = _data_csv(data, name, ctx)
    number = _number(name, chapter, ctx)
    files = figure_files(name, context=ctx)
    # text stays text (smaller, editable files); no dates or paths (save_figure)
    with mpl.rc_context({"svg.fonttype": "none", "pdf.fonttype": 42}):
        save_figure(fig, files["png"].with_suffix(""), formats=("png", "pdf", "svg"), dpi=PNG_DPI)
    width, height = (round(v * _CSS_DPI) for v in fig.get_size_inches())
    plt.close(fig)
    folder = table_url(name, context=ctx, cwd=cwd).rsplit("/", 1)[0]
    url = {fmt: f"{folder}/{FIGURES_FOLDER}/{name}.{fmt}" for fmt in files}
    cap = caption.strip()
    links = [f'<a href="{html_text(url["pdf"])}">PDF</a>', f'<a href="{html_text(url["svg"])}">SVG</a>']
    text_links = ["PDF", "SVG"]
    if csv is not None:
        links.append(f'<a href="{html_text(folder + "/" + csv + ".csv")}">data (CSV)</a>')
        text_links.append(f"data: {csv.rsplit('/', 1)[-1]}.csv")
    html = (
        f'<figure class="hemstats-figure" id="figure-{html_text(name)}">'
        f'<img src="{html_text(url["png"])}" alt="{html_text(f"Figure {number}. {cap}")}" '
        f'width="{width}" height="{height}" style="max-width: 100%; height: auto;">'
        f'<figcaption><span class="hemstats-figure-number">Figure {number}.</span> {html_text(cap)} '
        f'<span class="hemstats-figure-files">{" · ".join(links)}</span></figcaption></figure>'
    )
    return Html(html, f"Figure {number}. {cap} [{', '.join(text_links)}]")


MAX_ROC_STEPS = 2000
"""At most this many specificities are read by :func:`roc_steps` (beyond, a grid of this many vertices)."""


def roc_steps(
    cohort: Cohort,
    band: pd.DataFrame,
    *,
    confidence_level: float,
    n_resamples: int,
    rng: Any = None,
) -> pd.DataFrame:
    """The ROC curve of ``band`` read at every specificity its controls allow, with the pointwise band.

    ``band`` is a table of :func:`hemstats.stats.roc_band` (``given="specificity"``) for one
    dataset, level and finding.  Its ``n - n_positive`` controls allow the specificities
    ``k / n_controls``; :func:`hemstats.stats.roc_band` is called again at all of them (the
    union over the models), so each ``estimate`` is the highest sensitivity reached at that
    specificity: the upper-left corners of the empirical ROC staircase, which
    :func:`hemstats.plots.roc_curve` with ``steps=True`` joins by its exact steps.  Scores
    tied across the classes (a diagonal segment) are drawn as steps of one control.  With more
    than :data:`MAX_ROC_STEPS` controls a grid of that many of these vertices is read.

    Returns
    -------
    pandas.DataFrame
        The table of :func:`hemstats.stats.roc_band` at those specificities.

    Examples
    --------
    >>> from hemstats.datasets import demo
    >>> from hemstats.stats import roc_band
    >>> cohort = demo.load(n_studies=60)
    >>> band = roc_band(cohort, findings="any", level="study", n_resamples=50, rng=0)
    >>> steps = roc_steps(cohort, band, confidence_level=0.95, n_resamples=50, rng=0)
    >>> n_controls = int(band["n"].iloc[0] - band["n_positive"].iloc[0])
    >>> steps["value"].nunique() == n_controls + 1
    True
    """
    from hemstats.stats import roc_band

    need = {"dataset", "level", "finding", "n", "n_positive", "given"}
    if not isinstance(band, pd.DataFrame) or not need <= set(band.columns) or band.empty:
        raise ReportError(f"roc_steps: expected a non-empty table of roc_band with columns {sorted(need)}")
    if not (band["given"] == "specificity").all():
        raise ReportError("roc_steps: the band must be computed with given='specificity'")
    groups = band[["dataset", "level", "finding"]].astype(str).drop_duplicates()
    if len(groups) != 1:
        raise ReportError(f"roc_steps: the band holds {len(groups)} (dataset, level, finding) groups; pass one")
    dataset, level, finding = groups.iloc[0].tolist()
    controls = sorted({int(n) for n in (band["n"] - band["n_positive"]).dropna() if int(n) > 0})
    values: set[float] = set()
    for n_controls in controls:
        ks = np.arange(n_controls + 1)
        if n_controls > MAX_ROC_STEPS:
            ks = np.unique(np.round(np.linspace(0, n_controls, MAX_ROC_STEPS + 1)).astype(int))
        values.update((ks / n_controls).tolist())
    return roc_band(cohort.select(dataset), findings=finding, level=level,
                    values=sorted(values), confidence_level=confidence_level, n_resamples=n_resamples, rng=rng)
