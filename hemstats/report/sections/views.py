"""Displayed tables of the report: estimate (CI) in one cell, one row per finding, reader or model, notes once.

Shared by the Agreement, Performance and Acquisition chapters: a chapter's section module
reshapes a result table into a :class:`View` (the frame shown, its caption, its numbered
notes) with these helpers; the full-precision result table is what its CSV keeps.

Examples
--------
>>> kind_of("sensitivity"), kind_of("f1"), kind_of("mystery")
('percent', 'percent', 'number')
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from hemstats.report.chapter import Html, show_table
from hemstats.report.display import VALUE_COLUMNS, decimals, display_name, metric_kind
from hemstats.report.format import MISSING, fmt_estimate, html_text

__all__ = [
    "NUMBER_TEXT",
    "View",
    "kind_of",
    "metric_header",
    "estimate_cell",
    "level_text",
    "wide_estimates",
    "footnotes",
    "view",
    "number_columns",
    "joined_reasons",
    "methods_by_metric",
]

#: A cell of numbers as text (``0.90 (0.85 to 0.95)``, ``12 / 300``, ``<0.001``, ``—``).
NUMBER_TEXT = re.compile(r"^(—|[-<]?\d)")


def kind_of(metric: object) -> str:
    """The kind of number of ``metric``'s estimate (:func:`hemstats.report.display.metric_kind`), else ``number``.

    Examples
    --------
    >>> kind_of("sensitivity"), kind_of("f1"), kind_of("mystery")
    ('percent', 'percent', 'number')
    """
    return metric_kind(metric) or "number"


def metric_header(metric: object) -> str:
    """A metric's column header: its display name, ``, %`` for proportions shown as percentages.

    Examples
    --------
    >>> metric_header("sensitivity"), metric_header("auc")
    ('Sensitivity, %', 'AUC')
    """
    return display_name(metric) + (", %" if kind_of(metric) == "percent" else "")


def estimate_cell(estimate: Any, low: Any, high: Any, metric: object) -> str:
    """``estimate (low to high)`` with the decimals of ``metric``'s kind; proportions as percentages (no sign).

    Examples
    --------
    >>> estimate_cell(0.948276, 0.896552, 0.982759, "sensitivity")
    '94.8 (89.7 to 98.3)'
    >>> estimate_cell(0.9, float("nan"), float("nan"), "auc"), estimate_cell(None, None, None, "auc")
    ('0.900', '—')
    """
    kind = kind_of(metric)
    scale = 100.0 if kind == "percent" else 1.0
    if estimate is None or estimate is pd.NA or pd.isna(estimate):
        return MISSING

    def scaled(v: Any) -> Any:
        return v if v is None or v is pd.NA or pd.isna(v) else scale * float(v)

    return fmt_estimate(scaled(estimate), scaled(low), scaled(high), digits=decimals(kind))


def level_text(table: pd.DataFrame) -> str:
    """``95% CI`` from the table's ``confidence_level`` (``CI`` when it has none or several).

    Examples
    --------
    >>> level_text(pd.DataFrame({"confidence_level": [0.95, 0.95]}))
    '95% CI'
    """
    levels = pd.unique(table["confidence_level"].dropna()) if "confidence_level" in table else []
    return f"{100 * float(levels[0]):g}% CI" if len(levels) == 1 else "CI"


def wide_estimates(table: pd.DataFrame, index: list[str], metrics: list[str] | None = None) -> pd.DataFrame:
    """One row per ``index`` group, one ``estimate (CI)`` text column per ``metric`` (headers by :func:`metric_header`).

    Rows keep the order of their first appearance; a metric a group lacks shows as missing.

    Examples
    --------
    >>> t = pd.DataFrame({"finding": ["any", "any"], "metric": ["auc", "sensitivity"],
    ...                   "estimate": [0.9, 0.8], "ci_low": [0.85, 0.7], "ci_high": [0.95, 0.88]})
    >>> wide_estimates(t, ["finding"]).to_dict("records")
    [{'finding': 'any', 'AUC': '0.900 (0.850 to 0.950)', 'Sensitivity, %': '80.0 (70.0 to 88.0)'}]
    """
    metrics = list(pd.unique(table["metric"].astype(str))) if metrics is None else metrics
    cells = table.assign(_cell=[estimate_cell(e, lo, hi, m) for e, lo, hi, m in zip(
        table["estimate"], table["ci_low"], table["ci_high"], table["metric"], strict=True)])
    keys = cells[index].astype(object).drop_duplicates()
    out = keys.reset_index(drop=True)
    for metric in metrics:
        part = cells[cells["metric"].astype(str) == metric][[*index, "_cell"]].astype(object)
        part = part.drop_duplicates(subset=index).rename(columns={"_cell": metric_header(metric)})
        out = out.merge(part, on=index, how="left")
        head = metric_header(metric)
        out[head] = [v if isinstance(v, str) else MISSING for v in out[head]]
    return out


def _parts(reason: Any) -> list[str]:
    if not isinstance(reason, str):
        return []
    return list(dict.fromkeys(p.strip() for p in reason.split("; ") if p.strip()))


def footnotes(reasons: Iterable[Any]) -> tuple[list[str], list[str], list[str]]:
    """Each row's note marks (``1, 3``), the numbered notes and the notes every row shares (said once, unmarked).

    A reason holding several notes separated by ``; `` gets one mark per note.

    Examples
    --------
    >>> footnotes(["a; b", None, "b"])
    (['1, 2', '', '2'], ['a', 'b'], [])
    >>> footnotes(["x; a", "x"])
    (['1', ''], ['a'], ['x'])
    """
    rows = [_parts(r) for r in reasons]
    common = [p for p in rows[0] if all(p in r for r in rows[1:])] if rows and len(rows) > 1 else []
    notes: list[str] = []
    marks = []
    for parts in rows:
        keys = []
        for part in parts:
            if part in common:
                continue
            if part not in notes:
                notes.append(part)
            keys.append(str(notes.index(part) + 1))
        marks.append(", ".join(keys))
    return marks, notes, common


@dataclass(frozen=True)
class View:
    """A result table as a chapter shows it: the displayed frame, its caption, its numbered notes.

    ``frame`` holds display text (and counts as integers) under display headers; the
    full-precision table is the CSV saved beside it.  :meth:`html` renders it.
    """

    frame: pd.DataFrame
    caption: str = ""
    notes: tuple[str, ...] = ()
    general: tuple[str, ...] = ()
    numbers: tuple[str, ...] = ()

    def html(self, *, csv: str | None = None) -> Html:
        """The table (through :func:`hemstats.report.chapter.show_table`), its notes under it: those of
        every row first, then the numbered ones the ``Notes`` column refers to."""
        table = show_table(self.frame, caption=self.caption or None, csv=csv, numbers=self.numbers)
        if not self.notes and not self.general:
            return table
        html, text = table.html, table.text
        if self.general:
            html += "".join(f'<p class="hemstats-notes">All rows: {html_text(n)}.</p>' for n in self.general)
            text += "".join(f"\nAll rows: {n}." for n in self.general)
        if self.notes:
            html += '<ol class="hemstats-notes">' + "".join(f"<li>{html_text(n)}</li>" for n in self.notes) + "</ol>"
            text += "\nNotes:\n" + "\n".join(f"{i}. {n}" for i, n in enumerate(self.notes, 1))
        return Html(html, text)


def view(frame: pd.DataFrame, *, caption: str = "", reasons: Iterable[Any] | None = None,
         dataset_column: str = "dataset") -> View:
    """A :class:`View` of a display ``frame``: codes shown by display name, the dataset column only with
    several datasets (else named in the caption), ``reasons`` as a notes column and numbered notes.

    Examples
    --------
    >>> v = view(pd.DataFrame({"dataset": ["d", "d"], "finding": ["edh", "any"]}), caption="AUC",
    ...          reasons=["few positives", None])
    >>> v.frame.to_dict("records"), v.caption, v.notes
    ([{'Finding': 'Epidural (EDH)', 'Notes': '1'}, {'Finding': 'Any ICH', 'Notes': ''}], 'd: AUC', ('few positives',))
    """
    out = frame.copy()
    if dataset_column in out.columns and out[dataset_column].nunique(dropna=False) == 1 and len(out):
        name = str(out[dataset_column].iloc[0])
        caption = f"{name}: {caption}" if caption else name
        out = out.drop(columns=dataset_column)
    for col in VALUE_COLUMNS & set(out.columns):
        out[col] = [MISSING if v is None or v is pd.NA or (isinstance(v, float) and pd.isna(v)) else display_name(v)
                    for v in out[col]]
    notes: list[str] = []
    general: list[str] = []
    if reasons is not None:
        marks, notes, general = footnotes(reasons)
        if any(marks):
            out["Notes"] = marks
    out = out.rename(columns={c: display_name(c) for c in out.columns})
    return View(out.reset_index(drop=True), caption, tuple(notes), tuple(general), number_columns(out))


def number_columns(frame: pd.DataFrame) -> tuple[str, ...]:
    """The text columns of ``frame`` whose every cell is a number as text (right-aligned in the page).

    Examples
    --------
    >>> number_columns(pd.DataFrame({"Finding": ["Any ICH"], "AUC": ["0.90 (0.85 to 0.95)"], "p": ["<0.001"]}))
    ('AUC', 'p')
    """
    return tuple(str(c) for c in frame.columns
                 if len(frame) and frame[c].map(lambda v: bool(NUMBER_TEXT.match(str(v)))).all())


def joined_reasons(table: pd.DataFrame, keys: list[str], frame: pd.DataFrame) -> list[str] | None:
    """The distinct ``reason`` notes of each ``keys`` group of ``table``, in the row order of ``frame``."""
    if "reason" not in table or not table["reason"].notna().any():
        return None
    joined = {}
    for key, part in table.groupby(keys, observed=True, sort=False)["reason"]:
        notes = [n for r in part.dropna() for n in str(r).split("; ") if n]
        joined[tuple(str(k) for k in key)] = "; ".join(dict.fromkeys(notes))
    return [joined.get(tuple(str(v) for v in row), "") for row in frame[keys].itertuples(index=False)]


def methods_by_metric(table: pd.DataFrame) -> str:
    """``Metric: method, method; ...`` of a result table, for a caption (``none`` left out).

    Examples
    --------
    >>> methods_by_metric(pd.DataFrame({"metric": ["auc", "ppv"], "method": ["delong", "wilson"]}))
    'AUC: delong; PPV: wilson'
    """
    parts = []
    for metric in pd.unique(table["metric"].astype(str)):
        methods = [str(m) for m in pd.unique(table.loc[table["metric"].astype(str) == metric, "method"].dropna())
                   if str(m) != "none"]
        if methods:
            parts.append(f"{display_name(metric)}: {', '.join(methods)}")
    return "; ".join(parts)
