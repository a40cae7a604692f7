"""Turn user-given columns into canonical dtypes, collecting every problem found.

Private helpers of :mod:`hemstats.cohort`.  Nothing here modifies its input.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hemstats.errors import Problem
from hemstats.schema import Column

MAX_ROWS_SHOWN = 5


def describe_rows(df: pd.DataFrame, mask: np.ndarray | pd.Series, column: str | None = None) -> str:
    """``"3 rows, first: row 4 ('x'), row 9 (2)"`` for the rows where ``mask`` holds."""
    positions = np.flatnonzero(np.asarray(mask, dtype=bool))
    shown = []
    for pos in positions[:MAX_ROWS_SHOWN]:
        if column is None:
            shown.append(f"row {pos}")
        else:
            value = df[column].iloc[pos]
            value = value.item() if isinstance(value, np.generic) else value
            shown.append(f"row {pos} ({value!r})")
    more = "" if len(positions) <= MAX_ROWS_SHOWN else ", ..."
    return f"{len(positions)} row{'s' * (len(positions) != 1)}, first: {', '.join(shown)}{more}"


def to_float(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Parse ``values`` as float64 (NaN where missing) and flag unparseable entries.

    Text is parsed with Python's ``float`` so a value written by ``repr`` comes back
    bit for bit.
    """
    missing = values.isna().to_numpy()
    if values.dtype == object or isinstance(values.dtype, pd.StringDtype):
        out = np.full(len(values), np.nan)
        bad = np.zeros(len(values), dtype=bool)
        for i, v in enumerate(values.to_numpy(dtype=object)):
            if missing[i]:
                continue
            try:
                out[i] = float(v.strip() if isinstance(v, str) else v)
            except (TypeError, ValueError):
                bad[i] = True
        return out, bad
    if isinstance(values.dtype, pd.CategoricalDtype):
        return to_float(values.astype(object))
    try:
        out = values.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError):
        return to_float(values.astype(object))
    return out, np.zeros(len(values), dtype=bool)


def _stripped_text(s: pd.Series, missing: np.ndarray) -> pd.Series:
    """``s`` as stripped ``str`` objects, ``None`` where missing.

    Categorical and all-text columns are converted once per distinct value (fast for
    long tables); anything else element by element, so ``1`` and ``1.0`` stay distinct.
    """
    if isinstance(s.dtype, pd.CategoricalDtype):
        clean = np.array([str(v).strip() for v in s.cat.categories] + [None], dtype=object)
        out = clean[s.cat.codes.to_numpy()]  # code -1 (missing) picks the trailing None
    else:
        obj = s.astype(object)
        if isinstance(s.dtype, pd.StringDtype) or pd.api.types.infer_dtype(obj, skipna=True) in ("string", "empty"):
            codes, uniques = pd.factorize(obj)
            clean = np.array([str(v).strip() for v in uniques] + [None], dtype=object)
            out = clean[codes]
        else:
            return obj.where(~missing, None).map(lambda v: v if v is None else str(v).strip())
    out[missing] = None
    return pd.Series(out, index=s.index, dtype=object, name=s.name)


def coerce_column(df: pd.DataFrame, table: str, col: Column, problems: list[Problem]) -> pd.Series:
    """The canonical version of ``df[col.name]``; problems are appended, not raised."""
    where = f"{table}.{col.name}"
    s = df[col.name]
    missing = s.isna().to_numpy()
    if col.required and missing.any():
        problems.append(Problem(where, f"must not be missing; {describe_rows(df, missing)}"))

    if col.kind in ("id", "category"):
        text = _stripped_text(s, missing)
        empty = (text.to_numpy(dtype=object) == "").astype(bool)
        if empty.any():
            problems.append(Problem(where, f"must not be empty text; {describe_rows(df, empty)}"))
        if col.kind == "id":
            return pd.Series(text, index=df.index, dtype="string", name=col.name)
        cats = col.categories
        if cats is not None:
            outside = ~missing & ~text.isin(cats).to_numpy()
            if outside.any():
                problems.append(
                    Problem(where, f"expected one of {list(cats)}; {describe_rows(df, outside, col.name)}")
                )
                text = text.where(~outside, None)
        else:
            cats = tuple(sorted({v for v in text if v is not None}))
        return pd.Series(pd.Categorical(text, categories=list(cats)), index=df.index, name=col.name)

    numbers, bad = to_float(s)
    if bad.any():
        problems.append(Problem(where, f"expected a number; {describe_rows(df, bad, col.name)}"))
    present = ~np.isnan(numbers)
    checks = []
    if col.kind == "binary":
        checks.append((present & (numbers != 0) & (numbers != 1), "expected 0 or 1"))
    else:
        checks.append((present & ~np.isfinite(numbers), "expected a finite number"))
    if col.kind == "int":
        with np.errstate(invalid="ignore"):
            checks.append((present & np.isfinite(numbers) & (numbers != np.round(numbers)), "expected a whole number"))
    if col.minimum is not None:
        with np.errstate(invalid="ignore"):
            low = numbers <= col.minimum if col.exclusive_minimum else numbers < col.minimum
        op = ">" if col.exclusive_minimum else ">="
        checks.append((present & low, f"expected a number {op} {col.minimum:g}"))
    for mask, expectation in checks:
        if mask.any():
            problems.append(Problem(where, f"{expectation}; {describe_rows(df, mask, col.name)}"))
            numbers = np.where(mask, np.nan, numbers)
    if col.kind == "binary":
        return pd.Series(np.nan_to_num(numbers).astype("int8"), index=df.index, name=col.name)
    if col.kind == "int":
        out = pd.array(np.where(np.isnan(numbers), 0, numbers).astype("int64"), dtype="Int64")
        out[np.isnan(numbers)] = pd.NA
        return pd.Series(out, index=df.index, name=col.name)
    out = pd.array(numbers, dtype="Float64")
    out[np.isnan(numbers)] = pd.NA
    return pd.Series(out, index=df.index, name=col.name)


def empty_column(col: Column, n: int) -> pd.Series:
    """An all-missing column of ``col``'s canonical dtype and length ``n``."""
    if col.kind == "id":
        return pd.Series(pd.array([pd.NA] * n, dtype="string"), name=col.name)
    if col.kind == "category":
        return pd.Series(pd.Categorical([None] * n, categories=list(col.categories or ())), name=col.name)
    if col.kind == "int":
        return pd.Series(pd.array([pd.NA] * n, dtype="Int64"), name=col.name)
    if col.kind == "float":
        return pd.Series(pd.array([pd.NA] * n, dtype="Float64"), name=col.name)
    return pd.Series(np.zeros(n, dtype="int8"), name=col.name)
