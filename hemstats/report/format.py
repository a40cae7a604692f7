"""Number formatting for the report: the only place hemstats turns numbers into text.

Statistics return floats; the report shows them with these functions, so every
page writes a proportion, an interval or a p-value the same way.  Missing values
show as :data:`MISSING`.

Text from a manifest or a data file (titles, descriptions, licences, dataset and
reader names, loader notes) enters a page's HTML only through :func:`html_text`
(and :func:`html_link` for a URL), never as Markdown or raw HTML.

Examples
--------
>>> fmt_int(12345)
'12,345'
>>> fmt_number(0.123456, digits=3)
'0.123'
>>> fmt_percent(0.0734)
'7.3%'
>>> fmt_estimate(0.912, 0.881, 0.936)
'0.91 (0.88 to 0.94)'
>>> fmt_p(0.00002)
'<0.001'
"""

from __future__ import annotations

import html as _html
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from hemstats.report.display import (
    COUNT_COLUMNS,
    P_COLUMNS,
    VALUE_COLUMNS,
    column_kind,
    decimals,
    display_name,
    metric_kind,
)

__all__ = [
    "MISSING",
    "fmt_number",
    "fmt_int",
    "fmt_percent",
    "fmt_ci",
    "fmt_estimate",
    "fmt_p",
    "fmt_count",
    "column_header",
    "format_table",
    "html_text",
    "html_link",
]

#: How a missing value is shown.
MISSING = "—"


def _missing(x: Any) -> bool:
    if x is None or x is pd.NA or x is pd.NaT:
        return True
    try:
        return bool(math.isnan(x))
    except (TypeError, ValueError):
        return False


def fmt_number(x: Any, *, digits: int = 2) -> str:
    """``x`` with ``digits`` decimals (thousands separated); missing as :data:`MISSING`.

    Examples
    --------
    >>> fmt_number(1234.5678), fmt_number(None), fmt_number(-0.0001)
    ('1,234.57', '—', '0.00')
    """
    if _missing(x):
        return MISSING
    text = f"{float(x):,.{digits}f}"
    # -0.00 reads as a sign that is not there
    return text[1:] if text.startswith("-") and float(text.replace(",", "")) == 0 else text


def fmt_int(x: Any) -> str:
    """A count, thousands separated.

    Examples
    --------
    >>> fmt_int(1200), fmt_int(pd.NA)
    ('1,200', '—')
    """
    return MISSING if _missing(x) else f"{int(x):,}"


def fmt_percent(x: Any, *, digits: int = 1) -> str:
    """A proportion in [0, 1] as a percentage.

    Examples
    --------
    >>> fmt_percent(0.5), fmt_percent(1 / 3, digits=2)
    ('50.0%', '33.33%')
    """
    return MISSING if _missing(x) else fmt_number(100 * float(x), digits=digits) + "%"


def fmt_ci(low: Any, high: Any, *, digits: int = 2, percent: bool = False) -> str:
    """An interval as ``low to high`` ("to" stays readable with negative bounds).

    Examples
    --------
    >>> fmt_ci(-0.1, 0.25)
    '-0.10 to 0.25'
    >>> fmt_ci(0.1, 0.25, percent=True, digits=1)
    '10.0% to 25.0%'
    """
    if _missing(low) and _missing(high):
        return MISSING
    one = (lambda v: fmt_percent(v, digits=digits)) if percent else (lambda v: fmt_number(v, digits=digits))
    return f"{one(low)} to {one(high)}"


def fmt_estimate(estimate: Any, low: Any, high: Any, *, digits: int = 2, percent: bool = False) -> str:
    """An estimate with its interval: ``0.91 (0.88 to 0.94)``.

    Examples
    --------
    >>> fmt_estimate(0.25, 0.2, 0.3, percent=True)
    '25.00% (20.00% to 30.00%)'
    >>> fmt_estimate(0.25, None, None)
    '0.25'
    """
    one = fmt_percent(estimate, digits=digits) if percent else fmt_number(estimate, digits=digits)
    ci = fmt_ci(low, high, digits=digits, percent=percent)
    return one if ci == MISSING else f"{one} ({ci})"


def fmt_p(p: Any, *, digits: int = 3) -> str:
    """A p-value: ``digits`` decimals, ``<0.001`` below the smallest shown.

    Examples
    --------
    >>> fmt_p(0.0456), fmt_p(0.0004), fmt_p(1.0)
    ('0.046', '<0.001', '1.000')
    """
    if _missing(p):
        return MISSING
    floor = 10.0 ** (-digits)
    return f"<{floor:.{digits}f}" if float(p) < floor else f"{float(p):.{digits}f}"


def html_text(value: Any) -> str:
    """``value`` as text safe to put in HTML (element content or a quoted attribute).

    The one escaping helper of the report: every text from a manifest or a data file
    goes through it where it enters HTML.  Missing values show as :data:`MISSING`.

    Examples
    --------
    >>> html_text('<script>alert("x")</script> & more')
    '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; more'
    >>> html_text(None)
    '—'
    """
    return _html.escape(MISSING if _missing(value) else str(value), quote=True)


_URL = re.compile(r"^https?://[^\s<>\"'`]+$", re.IGNORECASE)


def html_link(value: Any) -> str:
    """A hyperlink when ``value`` is a plain ``http(s)://`` URL, else :func:`html_text` of it.

    Any other scheme (``javascript:``, ``data:``, ...) or a URL holding quotes,
    spaces or angle brackets is shown as text, never linked.

    Examples
    --------
    >>> html_link("https://example.org/data")
    '<a href="https://example.org/data">https://example.org/data</a>'
    >>> html_link("javascript:alert(1)")
    'javascript:alert(1)'
    >>> html_link('https://x.org/"><script>')
    'https://x.org/&quot;&gt;&lt;script&gt;'
    """
    text = html_text(value)
    if isinstance(value, str) and _URL.match(value.strip()):
        return f'<a href="{text.strip()}">{text.strip()}</a>'
    return text


def _is_count(x: Any) -> bool:
    try:
        return float(x).is_integer()
    except (TypeError, ValueError, OverflowError):
        return False


def fmt_count(x: Any, *, digits: int | None = None) -> str:
    """A count: an integer as an integer (``2.0`` -> ``2``), otherwise ``digits`` decimals.

    A degrees-of-freedom column holds whole numbers for most tests and fractions for Welch's.

    Examples
    --------
    >>> fmt_count(2.0), fmt_count(1234), fmt_count(17.42), fmt_count(None)
    ('2', '1,234', '17.42', '—')
    """
    if _missing(x):
        return MISSING
    if _is_count(x):
        return fmt_int(x)
    return fmt_number(x, digits=decimals("number") if digits is None else digits)


def _labels(series: pd.Series) -> list[str]:
    return [MISSING if _missing(v) else display_name(v) if isinstance(v, str) else str(v) for v in series]


def column_header(column: object, rename: Mapping[str, str] | None = None) -> str:
    """The header a table shows for ``column``: ``rename`` first, then :mod:`~hemstats.report.display`.

    The combined ``estimate (95% CI)`` column of :func:`format_table` reads ``Estimate (95% CI)``.

    Examples
    --------
    >>> column_header("n_positive"), column_header("estimate (95% CI)"), column_header("x", {"x": "Y"})
    ('Positive, n', 'Estimate (95% CI)', 'Y')
    """
    key = str(column)
    if rename and key in rename:
        return str(rename[key])
    if key.startswith("estimate (") and key.endswith(")"):
        return display_name("estimate") + key[len("estimate") :]
    return display_name(key)


def format_table(
    df: pd.DataFrame,
    *,
    digits: int | None = None,
    percent: Iterable[str] = (),
    integers: Iterable[str] | None = None,
    p_values: Iterable[str] | None = None,
    combine_ci: bool = True,
    names: bool = True,
    labels: bool = True,
    rename: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """A copy of ``df`` with every cell as display text, named and rounded as :mod:`~hemstats.report.display` says.

    Parameters
    ----------
    df : pandas.DataFrame
        A result table (numbers as numbers).
    digits : int, optional
        Decimals of every non-integer number but p-values (percentages included).  Default: the
        decimals of each column's kind (:data:`~hemstats.report.display.DECIMALS`: 1 for a
        percentage, 3 for a p-value or a kappa/AUC-like estimate, 2 for an SMD...).
    percent : iterable of str
        Columns holding proportions, shown as percentages.  With ``combine_ci``,
        naming ``estimate`` also shows its interval as percentages.  Without it, an
        ``estimate`` whose row's ``metric`` is a proportion (prevalence, sensitivity...,
        :data:`~hemstats.report.display.METRIC_KINDS`) is shown as a percentage.
    integers : iterable of str, optional
        Columns shown as counts (whole numbers as integers).  Default: every
        integer-typed column and the count columns of
        :data:`~hemstats.report.display.COUNT_COLUMNS` (``n``, ``n_positive``, ``df``...).
    p_values : iterable of str, optional
        Columns shown as p-values.  Default: those of
        :data:`~hemstats.report.display.P_COLUMNS` (``p_value``, ``p_adjusted``...).
    combine_ci : bool, default True
        When ``df`` has ``estimate``, ``ci_low`` and ``ci_high``, show them as one
        ``estimate (CI)`` column in place of ``estimate``, headed with the
        ``confidence_level`` column's value when it has a single one.
    names : bool, default True
        Head the columns with their display names (:func:`column_header`); False keeps the codes.
    labels : bool, default True
        Show the finding and metric codes of the ``finding`` and ``metric`` columns by
        their display names (``edh`` -> ``Epidural (EDH)``).
    rename : mapping, optional
        Headers of your own, by column code, before the display names.

    Returns
    -------
    pandas.DataFrame
        Same rows; every value a string, missing values as :data:`MISSING`.

    Examples
    --------
    >>> res = pd.DataFrame({"finding": ["any", "edh"], "metric": ["prevalence"] * 2, "estimate": [0.2, 0.013],
    ...                     "ci_low": [0.15, 0.004], "ci_high": [0.26, 0.04], "n": [300.0, 300.0],
    ...                     "confidence_level": [0.95, 0.95]})
    >>> format_table(res).to_dict("records")[1]
    {'Finding': 'Epidural (EDH)', 'Metric': 'Prevalence', 'Estimate (95% CI)': '1.3% (0.4% to 4.0%)', 'n': '300'}
    >>> format_table(res, percent=["estimate"], digits=2, names=False).to_dict("records")[0]
    {'finding': 'Any ICH', 'metric': 'Prevalence', 'estimate (95% CI)': '20.00% (15.00% to 26.00%)', 'n': '300'}
    """
    percent = set(percent)
    p_values = set(P_COLUMNS if p_values is None else p_values)
    if integers is None:
        integers = [
            c
            for c in df.columns
            if str(c) in COUNT_COLUMNS
            or (pd.api.types.is_integer_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c]))
        ]
    integers = set(integers)
    metrics = list(df["metric"]) if "metric" in df.columns else [None] * len(df)

    def kind_digits(kind: str | None) -> int:
        return decimals(kind) if digits is None else digits

    def estimate_text(value: Any, low: Any, high: Any, metric: Any, combined: bool) -> str:
        pct = "estimate" in percent
        kind = "percent" if pct else metric_kind(metric) if isinstance(metric, str) else None
        if kind is None:
            kind = column_kind("estimate") or "number"
        if combined:
            return fmt_estimate(value, low, high, digits=kind_digits(kind), percent=kind == "percent")
        if kind == "percent":
            return fmt_percent(value, digits=kind_digits(kind))
        return fmt_count(value, digits=digits) if kind == "count" else fmt_number(value, digits=kind_digits(kind))

    out: dict[str, list[str]] = {}
    ci_cols = {"estimate", "ci_low", "ci_high"}
    combined = combine_ci and ci_cols <= set(df.columns)
    for col in df.columns:
        s = df[col]
        if combined and col in ("ci_low", "ci_high", "confidence_level"):
            continue
        if combined and col == "estimate":
            levels = pd.unique(df["confidence_level"].dropna()) if "confidence_level" in df else []
            head = f"estimate ({fmt_number(100 * levels[0], digits=0)}% CI)" if len(levels) == 1 else "estimate (CI)"
            out[head] = [
                estimate_text(e, lo, hi, m, True)
                for e, lo, hi, m in zip(s, df["ci_low"], df["ci_high"], metrics, strict=True)
            ]
            continue
        if col in p_values:
            out[str(col)] = [fmt_p(v, digits=decimals("p")) for v in s]  # digits= never rounds p
        elif col in percent:
            out[str(col)] = [fmt_percent(v, digits=kind_digits("percent")) for v in s]
        elif col in integers:
            out[str(col)] = [fmt_count(v, digits=digits) for v in s]
        elif pd.api.types.is_bool_dtype(s):
            out[str(col)] = [MISSING if _missing(v) else ("yes" if v else "no") for v in s]
        elif col in ("estimate", "ci_low", "ci_high") and pd.api.types.is_numeric_dtype(s):
            out[str(col)] = [estimate_text(v, None, None, m, False) for v, m in zip(s, metrics, strict=True)]
        elif pd.api.types.is_numeric_dtype(s):
            out[str(col)] = [fmt_number(v, digits=kind_digits(column_kind(col))) for v in s]
        elif labels and col in VALUE_COLUMNS:
            out[str(col)] = _labels(s)
        else:
            out[str(col)] = [MISSING if _missing(v) else str(v) for v in s]
    shown = pd.DataFrame(out, index=df.index)
    if names:
        shown.columns = [column_header(c, rename) for c in shown.columns]
    elif rename:
        shown = shown.rename(columns=dict(rename))
    return shown
