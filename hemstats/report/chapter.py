"""Helpers for report chapters: save a table, show it, say there is no data, flag synthetic data.

A chapter (one MyST notebook in ``book/``) computes result tables with
:mod:`hemstats.stats`, writes each with :func:`save_table` (the CSV is what a
reader downloads and what stays byte-identical between builds) and displays it
with :func:`show_table` (the only place its numbers become text, through
:mod:`hemstats.report.format`).

Examples
--------
>>> import pandas as pd, tempfile
>>> from hemstats.report.context import current
>>> df = pd.DataFrame({"finding": ["any", "sdh"], "estimate": [0.1 + 0.2, 1 / 3]})
>>> with tempfile.TemporaryDirectory() as tmp:
...     ctx = current(ReportContext.example(tmp).write())
...     print(save_table(df, "example", context=ctx).read_text(), end="")
finding,estimate
any,0.30000000000000004
sdh,0.3333333333333333
>>> print(show_table(df, digits=3))
       Finding Estimate
       Any ICH    0.300
Subdural (SDH)    0.333
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from hemstats.errors import ReportError
from hemstats.report.context import ReportContext, current
from hemstats.report.format import column_header, format_table, html_link, html_text

if TYPE_CHECKING:
    from hemstats.cohort import Cohort

__all__ = [
    "Html",
    "save_table",
    "save_download",
    "show_table",
    "table_url",
    "no_data",
    "note",
    "synthetic_datasets",
    "synthetic_banner",
    "synthetic_banner_text",
]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class Html:
    """A piece of HTML that notebooks display as such (and print as plain text)."""

    def __init__(self, html_text: str, text: str) -> None:
        self.html = html_text
        self.text = text

    def _repr_html_(self) -> str:
        return self.html

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return self.text


def _check_name(name: str) -> str:
    if not isinstance(name, str) or not _NAME.match(name) or ".." in name or name.endswith(".csv"):
        raise ReportError(
            f"table name {name!r}: expected letters, digits, '_', '-' or '.', starting with a letter "
            "or digit, without the .csv suffix (e.g. 'prevalence_by_dataset')"
        )
    return name


def save_table(
    df: pd.DataFrame,
    name: str,
    *,
    index: bool = False,
    context: ReportContext | None = None,
) -> Path:
    """Write ``df`` as ``<html>/tables/<name>.csv``, byte-identical for an equal frame.

    Floats are written in full (shortest round-trip) precision, missing values as
    empty cells, lines end with ``\\n``, text is UTF-8.  The file is rewritten only
    when its bytes change.  Never put the build time or paths in a saved table.

    Parameters
    ----------
    df : pandas.DataFrame
        The result table, numbers unformatted.
    name : str
        File name without ``.csv``; unique within the report.
    index : bool, default False
        Also write the index (for a frame whose index carries data).
    context : ReportContext, optional
        Default :func:`~hemstats.report.context.current`.

    Returns
    -------
    pathlib.Path
        The CSV written.
    """
    if not isinstance(df, pd.DataFrame):
        raise ReportError(f"save_table({name!r}): expected a pandas DataFrame, got {type(df).__name__}")
    _check_name(name)
    return save_download(df.to_csv(index=index, lineterminator="\n"), f"{name}.csv", context=context)


def save_download(text: str, filename: str, *, context: ReportContext | None = None) -> Path:
    """Write ``text`` (UTF-8) as ``<html>/tables/<filename>``, rewritten only when its bytes change.

    The one writer of the report's downloads (tables, BibTeX, plain text): a rebuild that
    computes the same text leaves the file, and its timestamp, as it was.

    Examples
    --------
    >>> import tempfile
    >>> from hemstats.report.context import current
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     ctx = current(ReportContext.example(tmp).write())
    ...     save_download("x", "note.txt", context=ctx).read_text()
    'x'
    """
    ctx = context if context is not None else current()
    data = text.encode("utf-8")
    path = ctx.tables_dir / filename
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.is_file() or path.read_bytes() != data:
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
    return path


def table_url(name: str, *, context: ReportContext | None = None, cwd: str | os.PathLike[str] | None = None) -> str:
    """The link from the page being executed to the CSV saved as ``name``.

    Chapters execute with their own folder as working directory, so the link is
    relative to it, as the HTML page sits at the same place in the output.
    """
    _check_name(name)
    ctx = context if context is not None else current()
    here = Path(cwd if cwd is not None else os.getcwd()).resolve()
    try:
        rel = here.relative_to(ctx.src_dir.resolve())
    except ValueError:
        rel = Path()
    up = "../" * len(rel.parts)
    return f"{up}{ctx.tables_dir.relative_to(ctx.html_dir).as_posix()}/{name}.csv"


_NBSP = "\u00a0"


def _keep_together(text: str) -> str:
    """``text`` with the spaces inside a number and its interval made non-breaking.

    A cell such as ``12 (5.0) [3.1, 8.0]`` or ``25.0% (20.0% to 30.0%)`` may then break only
    before its interval (``[``, or the ``(`` of an interval written with "to").
    """
    interval = " to " in text and "[" not in text
    text = text.replace(" to ", f"{_NBSP}to{_NBSP}").replace(", ", f",{_NBSP}").replace(": ", f":{_NBSP}")
    return text if interval else text.replace(" (", f"{_NBSP}(")


def show_table(
    df: pd.DataFrame,
    *,
    caption: str | None = None,
    digits: int | None = None,
    percent: Iterable[str] = (),
    integers: Iterable[str] | None = None,
    p_values: Iterable[str] | None = None,
    links: Iterable[str] = (),
    code: Iterable[str] = (),
    numbers: Iterable[str] = (),
    keep_together: bool = True,
    combine_ci: bool = True,
    rename: Mapping[str, str] | None = None,
    names: bool = True,
    labels: bool = True,
    csv: str | None = None,
    save: bool | pd.DataFrame = False,
    context: ReportContext | None = None,
) -> Html:
    """Display ``df`` as an HTML table, numbers formatted by :func:`~hemstats.report.format.format_table`.

    Headers, finding and metric names and decimals come from :mod:`hemstats.report.display`
    unless given here.

    Parameters
    ----------
    df : pandas.DataFrame
        The result table (numbers as numbers).
    caption : str, optional
        Shown above the table.
    digits, percent, integers, p_values, combine_ci, names, labels
        Passed to :func:`~hemstats.report.format.format_table` (default: the decimals of
        each kind of number, display names as headers and for findings and metrics).
    links : iterable of str
        Columns whose ``http(s)://`` values become hyperlinks.
    code : iterable of str
        Columns shown in a monospace font, broken anywhere (hashes, identifiers).
    numbers : iterable of str
        Text columns holding numbers (``n (%) [CI]`` cells of Table 1): right-aligned, and
        allowed to break between a number and its interval.
    keep_together : bool, default True
        In ``estimate (CI)`` and ``numbers`` cells, break only before the interval (non-breaking
        spaces elsewhere).  False lets a table of many columns break them at any space to fit.
    rename : mapping, optional
        Headers of your own, by column code (or by the formatted name, e.g.
        ``"estimate (95% CI)"``), in place of the display names.
    csv : str, optional
        Name of the table's CSV (see :func:`save_table`): adds a link to it beside the table.
    save : bool or pandas.DataFrame, default False
        With ``csv``: also write the CSV, of ``df`` (True) or of the frame given (the full
        result when ``df`` shows some of its columns), so one call saves and shows.
    context : ReportContext, optional
        Needed only with ``csv``; default :func:`~hemstats.report.context.current`.

    Returns
    -------
    Html
        Displayed by Jupyter as the table; ``str()`` gives it as plain text.

    Examples
    --------
    >>> res = pd.DataFrame({"finding": ["edh"], "n_positive": [3.0], "p_value": [0.01234]})
    >>> print(show_table(res))
           Finding Positive, n     p
    Epidural (EDH)           3 0.012
    """
    if not isinstance(df, pd.DataFrame):
        raise ReportError(f"show_table: expected a pandas DataFrame, got {type(df).__name__}")
    if save is not False and csv is None:
        raise ReportError("show_table: save= needs csv=, the name of the CSV to write")
    if isinstance(save, pd.DataFrame):
        save_table(save, csv or "", context=context)
    elif save is True:
        save_table(df, csv or "", context=context)
    elif save is not False:
        raise ReportError(f"show_table: save must be True, False or a DataFrame, got {type(save).__name__}")
    shown = format_table(
        df, digits=digits, percent=percent, integers=integers, p_values=p_values, combine_ci=combine_ci,
        names=False, labels=labels,
    ).reset_index(drop=True)  # fmt: skip
    numeric = {
        c
        for c in shown.columns
        if (c in df.columns and pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c]))
        or (c not in df.columns and str(c).startswith("estimate ("))
    }
    link_cols = set(links)
    code_cols = set(code)
    text_numbers = set(numbers)
    combined = {c for c in shown.columns if c not in df.columns and str(c).startswith("estimate (")}
    if names:
        headers = [column_header(c, rename) for c in shown.columns]
    else:
        headers = [str((rename or {}).get(c, c)) for c in shown.columns]
    num_th = ' class="hemstats-num"'
    head = "".join(
        f"<th{num_th if c in numeric else ''}>{html_text(h)}</th>" for c, h in zip(shown.columns, headers, strict=True)
    )
    body = []
    for row in shown.itertuples(index=False):
        cells = []
        for col, value in zip(shown.columns, row, strict=True):
            text = html_link(value) if col in link_cols else html_text(value)
            if keep_together and (col in combined or col in text_numbers):
                text = _keep_together(text)
            cls = (
                ' class="hemstats-num hemstats-ci"' if col in combined
                else ' class="hemstats-num"' if col in numeric
                else ' class="hemstats-code"' if col in code_cols
                else ' class="hemstats-numtext"' if col in text_numbers
                else ""
            )  # fmt: skip
            cells.append(f"<td{cls}>{text}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    cap = f"<caption>{html_text(caption)}</caption>" if caption else ""
    parts = [
        '<div class="hemstats-table">',
        f'<table class="table">{cap}<thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>',
    ]
    if csv is not None:
        url = table_url(csv, context=context)
        parts.append(
            f'<p class="hemstats-csv">CSV, full precision: <a href="{html_text(url)}">{html_text(csv)}.csv</a></p>'
        )
    parts.append("</div>")
    plain = shown.set_axis(headers, axis=1)
    text = plain.to_string(index=False) if len(plain.columns) else "(no columns)"
    if caption:
        text = f"{caption}\n{text}"
    return Html("".join(parts), text)


def no_data(sentence: str) -> Html:
    """The one sentence a chapter shows instead of its analysis when the manifest has no data for it.

    Examples
    --------
    >>> print(no_data("No dataset in this manifest has model scores."))
    No data: No dataset in this manifest has model scores.
    """
    if not isinstance(sentence, str) or not sentence.strip():
        raise ReportError("no_data: expected one non-empty sentence saying which data are missing")
    s = sentence.strip()
    return Html(
        f'<div class="admonition note hemstats-no-data"><p class="admonition-title">No data</p>'
        f"<p>{html_text(s)}</p></div>",
        f"No data: {s}",
    )


def note(sentence: str) -> Html:
    """A short note under a table (what was left out, how to read it); the text is escaped.

    Examples
    --------
    >>> print(note("Left out of Table 1 as free text: condition."))
    Note: Left out of Table 1 as free text: condition.
    """
    if not isinstance(sentence, str) or not sentence.strip():
        raise ReportError("note: expected one non-empty sentence")
    s = sentence.strip()
    return Html(f'<p class="hemstats-note">{html_text(s)}</p>', f"Note: {s}")


def synthetic_datasets(cohort: Cohort) -> tuple[str, ...]:
    """The datasets of ``cohort`` whose ``info`` marks them ``synthetic``."""
    return tuple(d for d in cohort.datasets if bool(cohort.info.get(d, {}).get("synthetic", False)))


def synthetic_banner_text(names: Iterable[str]) -> str:
    """The banner sentence for the synthetic datasets ``names`` ('' when there are none).

    Examples
    --------
    >>> synthetic_banner_text(["demo"])
    'Synthetic data: dataset demo is simulated by hemstats; its numbers describe no real patients.'
    >>> synthetic_banner_text([])
    ''
    """
    names = list(names)
    if not names:
        return ""
    if len(names) == 1:
        return f"Synthetic data: dataset {names[0]} is simulated by hemstats; its numbers describe no real patients."
    return (
        f"Synthetic data: datasets {', '.join(names)} are simulated by hemstats; "
        "their numbers describe no real patients."
    )


def synthetic_banner(source: Cohort | ReportContext | None = None) -> Html | None:
    """A warning box when the cohort has a synthetic dataset, else None (which displays nothing).

    ``hemstats report`` already shows the same sentence at the top of every page;
    use this in notebooks outside the report.

    Parameters
    ----------
    source : Cohort or ReportContext, optional
        Default: the current report context.
    """
    if source is None:
        source = current()
    names = source.synthetic if isinstance(source, ReportContext) else synthetic_datasets(source)
    text = synthetic_banner_text(names)
    if not text:
        return None
    return Html(
        f'<div class="admonition warning hemstats-synthetic"><p class="admonition-title">Synthetic data</p>'
        f"<p>{html_text(text)}</p></div>",
        text,
    )
