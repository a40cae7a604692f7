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
from collections.abc import Iterable
from typing import Any

import pandas as pd

__all__ = [
    "MISSING",
    "fmt_number",
    "fmt_int",
    "fmt_percent",
    "fmt_ci",
    "fmt_estimate",
    "fmt_p",
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


def format_table(
    df: pd.DataFrame,
    *,
    digits: int = 2,
    percent: Iterable[str] = (),
    integers: Iterable[str] | None = None,
    p_values: Iterable[str] = (),
    combine_ci: bool = True,
) -> pd.DataFrame:
    """A copy of ``df`` with every cell as display text.

    Parameters
    ----------
    df : pandas.DataFrame
        A result table (numbers as numbers).
    digits : int, default 2
        Decimals of non-integer numbers.
    percent : iterable of str
        Columns holding proportions, shown as percentages.  With ``combine_ci``,
        naming ``estimate`` also shows its interval as percentages.
    integers : iterable of str, optional
        Columns shown as counts; default: every integer-typed column.
    p_values : iterable of str
        Columns shown as p-values.
    combine_ci : bool, default True
        When ``df`` has ``estimate``, ``ci_low`` and ``ci_high``, show them as one
        ``estimate (CI)`` column in place of ``estimate``, headed with the
        ``confidence_level`` column's value when it has a single one.

    Returns
    -------
    pandas.DataFrame
        Same rows; every value a string, missing values as :data:`MISSING`.

    Examples
    --------
    >>> res = pd.DataFrame({"finding": ["any"], "estimate": [0.2], "ci_low": [0.15],
    ...                     "ci_high": [0.26], "n": [300], "confidence_level": [0.95]})
    >>> format_table(res, percent=["estimate"]).to_dict("records")
    [{'finding': 'any', 'estimate (95% CI)': '20.00% (15.00% to 26.00%)', 'n': '300'}]
    """
    percent = set(percent)
    p_values = set(p_values)
    if integers is None:
        integers = [c for c in df.columns if pd.api.types.is_integer_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])]
    integers = set(integers)
    out: dict[str, list[str]] = {}
    ci_cols = {"estimate", "ci_low", "ci_high"}
    combined = combine_ci and ci_cols <= set(df.columns)
    for col in df.columns:
        s = df[col]
        if combined and col in ("ci_low", "ci_high"):
            continue
        if combined and col == "confidence_level":
            continue
        if combined and col == "estimate":
            levels = pd.unique(df["confidence_level"].dropna()) if "confidence_level" in df else []
            head = f"estimate ({fmt_number(100 * levels[0], digits=0)}% CI)" if len(levels) == 1 else "estimate (CI)"
            pct = "estimate" in percent
            out[head] = [
                fmt_estimate(e, lo, hi, digits=digits, percent=pct)
                for e, lo, hi in zip(s, df["ci_low"], df["ci_high"], strict=True)
            ]
            continue
        if col in p_values:
            out[str(col)] = [fmt_p(v) for v in s]
        elif col in percent:
            out[str(col)] = [fmt_percent(v, digits=digits) for v in s]
        elif col in integers:
            out[str(col)] = [fmt_int(v) for v in s]
        elif pd.api.types.is_bool_dtype(s):
            out[str(col)] = [MISSING if _missing(v) else ("yes" if v else "no") for v in s]
        elif pd.api.types.is_numeric_dtype(s):
            out[str(col)] = [fmt_number(v, digits=digits) for v in s]
        else:
            out[str(col)] = [MISSING if _missing(v) else str(v) for v in s]
    return pd.DataFrame(out, index=df.index)
