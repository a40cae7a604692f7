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
    if values.dtype == object or isinstance(values.dtype, (pd.StringDtype, pd.CategoricalDtype)):
        codes, uniques = factorize(values)
        parsed = np.full(len(uniques) + 1, np.nan)
        unparseable = np.zeros(len(uniques) + 1, dtype=bool)
        for i, v in enumerate(uniques):
            try:
                parsed[i] = float(v.strip() if isinstance(v, str) else v)
            except (TypeError, ValueError):
                unparseable[i] = True
        return parsed[codes], unparseable[codes]
    try:
        out = values.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError):
        return to_float(values.astype(object))
    return out, np.zeros(len(values), dtype=bool)


def factorize(s: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes (-1 where missing) and the distinct values they index.

    Categoricals reuse their codes, so long categorical columns cost nothing.
    """
    if isinstance(s.dtype, pd.CategoricalDtype):
        return s.cat.codes.to_numpy(dtype=np.int64), np.asarray(s.cat.categories, dtype=object)
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    return np.asarray(codes, dtype=np.int64), np.asarray(uniques, dtype=object)


def _text_codes(s: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Codes and distinct values of ``s`` as stripped text, converted once per distinct value."""
    codes, uniques = factorize(s)
    clean = np.array([str(v.item() if isinstance(v, np.generic) else v).strip() for v in uniques], dtype=object)
    merged, distinct = pd.factorize(clean)  # stripping may make two values equal
    lookup = np.append(np.asarray(merged, dtype=np.int64), -1)  # code -1 (missing) stays -1
    return lookup[codes], np.asarray(distinct, dtype=object)


def _text_column(
    df: pd.DataFrame, where: str, col: Column, problems: list[Problem], codes_out: dict | None
) -> pd.Series:
    codes, values = _text_codes(df[col.name])
    if codes_out is not None and col.kind == "id":
        codes_out[col.name] = (codes, values)
    empty = np.flatnonzero(values == "")
    if len(empty):
        problems.append(Problem(where, f"must not be empty text; {describe_rows(df, np.isin(codes, empty))}"))
    if col.kind == "id":
        taken = pd.array(values, dtype="string").take(codes, allow_fill=True) if len(values) else pd.array(
            [pd.NA] * len(codes), dtype="string"
        )
        return pd.Series(taken, index=df.index, name=col.name)
    if col.categories is not None:
        categories = list(col.categories)
        position = {c: i for i, c in enumerate(categories)}
        remap = np.array([position.get(v, -1) for v in values] + [-1], dtype=np.int64)
        outside = (codes >= 0) & (remap[codes] < 0)
        if outside.any():
            problems.append(
                Problem(where, f"expected one of {categories}; {describe_rows(df, outside, col.name)}")
            )
    else:  # the sorted values present (a categorical input may carry unused categories)
        used = np.flatnonzero(np.bincount(codes[codes >= 0], minlength=len(values)))
        order = used[np.argsort(values[used].astype(str), kind="stable")]
        categories = values[order].tolist()
        remap = np.full(len(values) + 1, -1, dtype=np.int64)
        remap[order] = np.arange(len(order))
    return pd.Series(pd.Categorical.from_codes(remap[codes], categories=categories), index=df.index, name=col.name)


def coerce_column(
    df: pd.DataFrame, table: str, col: Column, problems: list[Problem], codes_out: dict | None = None
) -> pd.Series:
    """The canonical version of ``df[col.name]``; problems are appended, not raised.

    For id columns, ``codes_out[name]`` receives ``(codes, values)`` so callers can
    check keys without hashing the text again.
    """
    where = f"{table}.{col.name}"
    s = df[col.name]
    missing = s.isna().to_numpy()
    if col.required and missing.any():
        problems.append(Problem(where, f"must not be missing; {describe_rows(df, missing)}"))
    if col.kind in ("id", "category"):
        return _text_column(df, where, col, problems, codes_out)

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
        return pd.Series(pd.array(np.full(n, None, dtype=object), dtype="string"), name=col.name)
    if col.kind == "category":
        codes = np.full(n, -1, dtype=np.int8)
        return pd.Series(pd.Categorical.from_codes(codes, categories=list(col.categories or ())), name=col.name)
    if col.kind == "int":
        return pd.Series(pd.arrays.IntegerArray(np.zeros(n, dtype=np.int64), np.ones(n, dtype=bool)), name=col.name)
    if col.kind == "float":
        return pd.Series(pd.arrays.FloatingArray(np.zeros(n), np.ones(n, dtype=bool)), name=col.name)
    return pd.Series(np.zeros(n, dtype="int8"), name=col.name)
