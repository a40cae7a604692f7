"""Reading the CSV and Excel tables datasets ship with, tolerantly and with clear errors.

Adapters read their label and registry files through these helpers, so every
dataset gets the same handling of real-world quirks:

* a UTF-8 byte-order mark, CRLF line ends and quoted header cells with an embedded
  newline (``"Age\\n(years)"``) are read as if they were not there;
* header cells are cleaned (:func:`clean_header`: surrounding spaces dropped, inner
  runs of white space, newlines included, made one space) and matched tolerantly
  (:func:`header_key`: case, spacing and punctuation ignored, any script);
* every cell is read as text (CSV) or as stored (Excel), blanks stay missing (rows
  with every cell blank are dropped), and
  the parsers :func:`parse_flag` and :func:`parse_number` turn a column into
  nullable ``Int8``/``Float64`` or raise :class:`~hemstats.errors.DataFormatError`
  naming the file, the column and the first offending rows.

Row numbers in messages are spreadsheet rows: the header is row 1, the first data
row is row 2.  No input file is ever modified.

Examples
--------
>>> import pandas as pd
>>> header_key(" Age\\n(years) ")
'age_years'
>>> parse_flag(pd.Series(["1", "0", "", "yes", "НЕТ", None]), path="t.csv", column="ICH").tolist()
[1, 0, <NA>, 1, 0, <NA>]
"""

from __future__ import annotations

import inspect
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Literal, overload

import numpy as np
import pandas as pd

from hemstats.errors import DataFormatError, ManifestError, Problem
from hemstats.io._paths import dataset_root, relative_errors
from hemstats.plausibility import PHYSICAL_RANGES

__all__ = [
    "TRUE_WORDS",
    "FALSE_WORDS",
    "SEX_WORDS",
    "sex_codes",
    "clean_header",
    "header_key",
    "read_table",
    "find_column",
    "require_columns",
    "parse_flag",
    "parse_number",
    "first_rows",
    "check_options",
    "check_sheet",
    "dataset_root",
    "relative_errors",
    "AGE_RANGE",
    "age_in_range",
]

#: Text read as 1 by :func:`parse_flag` (after trimming and case folding).
TRUE_WORDS: frozenset[str] = frozenset({"1", "1.0", "true", "t", "yes", "y", "да"})
#: Text read as 0 by :func:`parse_flag` (after trimming and case folding).
FALSE_WORDS: frozenset[str] = frozenset({"0", "0.0", "false", "f", "no", "n", "нет"})

_EXCEL_SUFFIXES = (".xlsx", ".xlsm")
_MAX_SHOWN = 5


def clean_header(name: object) -> str:
    """A header cell as text without surrounding spaces and with inner white space made one space.

    Examples
    --------
    >>> clean_header(" hemorrhage")
    'hemorrhage'
    >>> clean_header("Age\\r\\n(years)")
    'Age (years)'
    """
    return re.sub(r"\s+", " ", str(name)).strip()


def header_key(name: object) -> str:
    """The matching key of a header: case-folded, every run of non-word characters made ``_``.

    Two headers that differ only in case, spacing or punctuation share a key; letters
    of any script are kept (``"Пол"`` -> ``"пол"``).

    Examples
    --------
    >>> header_key("Fracture (Yes/No)"), header_key("fracture_yes_no")
    ('fracture_yes_no', 'fracture_yes_no')
    >>> header_key("R1:ICH")
    'r1_ich'
    """
    return re.sub(r"[\W_]+", "_", str(name).casefold()).strip("_")


def first_rows(mask: np.ndarray | pd.Series, values: pd.Series | None = None) -> str:
    """``"3 rows, first: row 2 ('x'), row 5 ('y')"`` for the rows where ``mask`` holds.

    Rows are spreadsheet rows of a table whose header is row 1: the integer index
    label + 2 of ``values`` (or of ``mask`` when it is a Series), so rows that
    :func:`read_table` dropped as blank do not shift the numbers; position + 2 otherwise.

    Examples
    --------
    >>> first_rows(np.array([False, True, True]), pd.Series(["a", "b", "c"]))
    "2 rows, first: row 3 ('b'), row 4 ('c')"
    >>> first_rows(pd.Series([True], index=[7]))
    '1 row, first: row 9'
    """
    positions = np.flatnonzero(np.asarray(mask, dtype=bool))
    source = values if values is not None else mask if isinstance(mask, pd.Series) else None
    labels = source.index if source is not None and pd.api.types.is_integer_dtype(source.index) else None
    shown = []
    for pos in positions[:_MAX_SHOWN]:
        row = f"row {(labels[pos] if labels is not None else pos) + 2}"
        shown.append(row if values is None else f"{row} ({values.iloc[pos]!r})")
    more = ", ..." if len(positions) > _MAX_SHOWN else ""
    return f"{len(positions)} row{'s' * (len(positions) != 1)}, first: {', '.join(shown)}{more}"


def read_table(
    path: str | Path,
    *,
    sheet: str | int | None = None,
    required: Sequence[str] = (),
    usecols: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Read a ``.csv`` or ``.xlsx`` file with cleaned headers and every blank cell missing.

    CSV cells are read as text (``object`` dtype, ``NaN`` where blank), so no value
    is reinterpreted before an adapter parses it; Excel cells keep the type they are
    stored with.  A byte-order mark, CRLF line ends and quoted newlines are handled.

    Parameters
    ----------
    path : str or Path
        A ``.csv`` (or ``.txt``/``.tsv``: comma separated unless ``.tsv``) or ``.xlsx`` file.
    sheet : str or int, optional
        Excel sheet name or index; the first sheet by default.  Ignored for CSV.
    required : sequence of str
        Columns that must be present, matched with :func:`header_key`; the returned
        frame names them exactly as given here.
    usecols : sequence of str, optional
        Keep only these columns (matched like ``required``; all must exist).

    Returns
    -------
    pandas.DataFrame
        Columns named by :func:`clean_header` (or as in ``required``/``usecols``).

    Raises
    ------
    DataFormatError
        The file is missing, unreadable, not of its claimed format, has duplicate
        headers after cleaning, or lacks a required column.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     p = pathlib.Path(tmp) / "labels.csv"
    ...     _ = p.write_bytes(b'\\xef\\xbb\\xbfid, hemorrhage\\r\\n000,1\\r\\n001,\\r\\n')
    ...     df = read_table(p, required=["hemorrhage"])
    >>> df.columns.tolist(), df["hemorrhage"].tolist()
    (['id', 'hemorrhage'], ['1', nan])
    """
    path = Path(path)
    if not path.is_file():
        raise DataFormatError(f"{path}: file not found")
    try:
        if path.suffix.lower() in _EXCEL_SUFFIXES:
            if sheet is not None:
                check_sheet(path, sheet)
            df = pd.read_excel(path, sheet_name=0 if sheet is None else sheet, dtype=object, engine="openpyxl")
        else:
            df = pd.read_csv(
                path,
                sep="\t" if path.suffix.lower() == ".tsv" else ",",
                dtype=str,
                encoding="utf-8-sig",
                keep_default_na=False,
                na_values=[""],
                skipinitialspace=False,
            )
    except DataFormatError:
        raise
    except Exception as exc:  # decoding, CSV parser, zipfile and XML errors of a corrupt workbook
        raise DataFormatError(f"{path}: cannot be read as a table ({type(exc).__name__}: {exc})") from None
    if not isinstance(df.index, pd.RangeIndex):
        df = _one_field_too_many(df, path)
    # A trailing comma on the header too: an unnamed, entirely blank last column.
    while len(df.columns) and str(df.columns[-1]).startswith("Unnamed: ") and df[df.columns[-1]].isna().all():
        df = df.drop(columns=df.columns[-1])
    df.columns = [clean_header(c) for c in df.columns]
    keys = [header_key(c) for c in df.columns]
    dupes = sorted({c for c, k in zip(df.columns, keys) if keys.count(k) > 1})
    if dupes:
        raise DataFormatError(f"{path}: columns {dupes} are the same header after cleaning; expected unique headers")
    # Text cells: strip surrounding spaces, so " 1" and "1 " read as "1" (blank -> missing).
    for col in df.columns:
        if df[col].dtype == object:
            s = df[col]
            is_text = s.map(lambda v: isinstance(v, str))
            if is_text.any():
                stripped = s[is_text].str.strip()
                s = s.copy()
                s[is_text] = stripped.where(stripped != "", np.nan)
                df[col] = s
    # Rows with every cell blank (trailing ",,,," lines, formatted empty Excel rows) are
    # dropped; the index keeps the original positions so messages name the right row.
    df = df[df.notna().any(axis=1)]
    wanted = list(dict.fromkeys([*required, *(usecols or ())]))
    if wanted:
        found = {name: find_column(df, [name], path=path) for name in wanted}
        df = df.rename(columns={v: k for k, v in found.items()})
        if usecols is not None:
            df = df[list(usecols)]
    return df


def check_sheet(path: str | Path, sheet: str | int) -> None:
    """Raise naming the sheet asked for and the sheets present when ``sheet`` is not in the workbook.

    ``sheet`` is a sheet name or a (0-based, possibly negative) position.
    """
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True)
    try:
        names = list(book.sheetnames)
    finally:
        book.close()
    ok = sheet in names if isinstance(sheet, str) else -len(names) <= sheet < len(names)
    if not ok:
        raise DataFormatError(
            f"{path}: no sheet {sheet!r} (option sheet); the workbook has {len(names)} sheet(s): "
            + ", ".join(repr(n) for n in names)
        )


def _one_field_too_many(df: pd.DataFrame, path: Path) -> pd.DataFrame:
    """The rows had one field more than the header (pandas made the first column the index).

    A trailing comma on every data row (the extra field blank everywhere) is read as if
    it were not there; an extra field holding values is an error naming the rows.
    """
    extra = df.iloc[:, -1] if df.shape[1] else pd.Series(np.nan, index=df.index)
    filled = extra.notna().to_numpy()
    if filled.any() or isinstance(df.index, pd.MultiIndex):
        raise DataFormatError(
            f"{path}: data rows have more fields than the header ({len(df.columns)} columns); "
            f"expected one field per header cell; {first_rows(filled)}"
        )
    fixed = df.reset_index()
    fixed.columns = [*df.columns, "__trailing__"]  # the header names, shifted back onto their fields
    return fixed.drop(columns="__trailing__")


@overload
def find_column(
    df: pd.DataFrame, candidates: Iterable[str], *, path: str | Path, required: Literal[True] = ...
) -> str: ...
@overload
def find_column(df: pd.DataFrame, candidates: Iterable[str], *, path: str | Path, required: bool) -> str | None: ...
def find_column(
    df: pd.DataFrame,
    candidates: Iterable[str],
    *,
    path: str | Path,
    required: bool = True,
) -> str | None:
    """The first column of ``df`` whose :func:`header_key` equals a candidate's.

    Parameters
    ----------
    df : pandas.DataFrame
        A table read by :func:`read_table`.
    candidates : iterable of str
        Acceptable headers, in order of preference (English, Russian, ...).
    path : str or Path
        The file the table came from, for the error message.
    required : bool
        Raise when nothing matches (default); otherwise return ``None``.

    Examples
    --------
    >>> df = pd.DataFrame(columns=["Patient Number", "Age (years)"])
    >>> find_column(df, ["age_years", "возраст"], path="demo.csv")
    'Age (years)'
    >>> find_column(df, ["sex", "пол"], path="demo.csv")
    Traceback (most recent call last):
    ...
    hemstats.errors.DataFormatError: demo.csv: expected a column 'sex' (or 'пол'); columns are 'Patient Number', 'Age (years)'
    """
    candidates = list(candidates)
    by_key: dict[str, str] = {}
    for col in df.columns:
        by_key.setdefault(header_key(col), col)
    for name in candidates:
        hit = by_key.get(header_key(name))
        if hit is not None:
            return hit
    if not required:
        return None
    alts = "".join(f" (or {c!r})" for c in candidates[1:])
    cols = ", ".join(repr(str(c)) for c in df.columns)
    raise DataFormatError(f"{path}: expected a column {candidates[0]!r}{alts}; columns are {cols}")


def require_columns(df: pd.DataFrame, names: Iterable[str], *, path: str | Path) -> dict[str, str]:
    """Map each wanted name to its column in ``df`` (tolerant match) or raise naming all missing ones.

    Examples
    --------
    >>> require_columns(pd.DataFrame(columns=["ID", " Label"]), ["id", "label"], path="t.csv")
    {'id': 'ID', 'label': ' Label'}
    """
    names = list(names)
    found = {n: find_column(df, [n], path=path, required=False) for n in names}
    missing = [n for n, c in found.items() if c is None]
    if missing:
        cols = ", ".join(repr(str(c)) for c in df.columns)
        raise DataFormatError(f"{path}: expected columns {missing}; columns are {cols}")
    return found  # type: ignore[return-value]


def _words(values: pd.Series) -> pd.Series:
    """Values as trimmed, case-folded text; missing stays missing; 1.0 and True read as '1'."""
    def one(v: object) -> object:
        if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
            return None
        if isinstance(v, (bool, np.bool_)):
            return "1" if v else "0"
        if isinstance(v, (int, np.integer)):
            return str(int(v))
        if isinstance(v, (float, np.floating)):
            return str(int(v)) if float(v).is_integer() else repr(float(v))
        text = str(v).strip().casefold()
        return text or None

    return values.astype(object).map(one)


#: Sex as registries write it (any case, a trailing "." ignored) -> ``F``/``M``; None: a
#: recognised answer that is neither (kept missing).
SEX_WORDS: Mapping[str, str | None] = MappingProxyType(
    {
        "m": "M", "male": "M", "man": "M", "м": "M", "муж": "M", "мужской": "M",
        "f": "F", "female": "F", "woman": "F", "ж": "F", "жен": "F", "женский": "F",
        "o": None, "other": None,
    }
)


def sex_codes(values: pd.Series, *, extra: Mapping[str, str] | None = None) -> tuple[pd.Series, np.ndarray]:
    """Map sex words onto ``F``/``M``; blanks and "other" stay missing.

    Parameters
    ----------
    values : pandas.Series
        Cells as read (text or missing).
    extra : mapping, optional
        A dataset's own coding (e.g. ``{"1": "M", "2": "F"}``), tried before :data:`SEX_WORDS`.

    Returns
    -------
    (pandas.Series, numpy.ndarray)
        The codes (object: ``"F"``, ``"M"`` or ``pd.NA``) and a mask of the cells that
        are none of the known words, for the caller's error message (which decides
        whether quoting a cell is safe).

    Examples
    --------
    >>> codes, bad = sex_codes(pd.Series(["Male", "ж", None, "other", "x"]))
    >>> codes.tolist(), bad.tolist()
    (['M', 'F', <NA>, <NA>, <NA>], [False, False, False, False, True])
    """
    words = {**SEX_WORDS, **{str(k).strip().casefold(): v for k, v in (extra or {}).items()}}
    text = values.map(lambda v: None if pd.isna(v) else str(v).strip().casefold().rstrip("."))
    known = text.isna() | text.isin(list(words))
    codes = text.map(lambda w: pd.NA if w is None or words.get(w) is None else words[w])
    return codes.astype(object), ~known.to_numpy(dtype=bool)


def parse_flag(values: pd.Series, *, path: str | Path, column: str, blank: int | None = None) -> pd.Series:
    """Parse a 0/1 column: 0/1, true/false, yes/no, y/n, да/нет (any case); blanks stay missing.

    Parameters
    ----------
    values : pandas.Series
        Cells as read by :func:`read_table` (text, numbers or booleans).
    path, column : str
        Where the values come from, for the error message.
    blank : {None, 0, 1}
        What a blank cell means.  ``None`` (default) keeps it missing (``pd.NA``);
        pass ``0`` only where the dataset documents that blank means "no".

    Returns
    -------
    pandas.Series
        ``Int8`` with 0, 1 and ``<NA>``, same index as ``values``.

    Raises
    ------
    DataFormatError
        Naming the file, the column and the first rows that are none of the above.

    Examples
    --------
    >>> parse_flag(pd.Series([1, 0.0, True, "Да", " no "]), path="r.xlsx", column="SAH").tolist()
    [1, 0, 1, 1, 0]
    >>> parse_flag(pd.Series(["1", "2"]), path="r.csv", column="SAH")
    Traceback (most recent call last):
    ...
    hemstats.errors.DataFormatError: r.csv, column 'SAH': expected 0/1, true/false, yes/no or да/нет; 1 row, first: row 3 ('2')
    """
    words = _words(values)
    out = pd.Series(pd.NA, index=values.index, dtype="Int8")
    is_true = words.isin(TRUE_WORDS).to_numpy()
    is_false = words.isin(FALSE_WORDS).to_numpy()
    missing = words.isna().to_numpy()
    bad = ~(is_true | is_false | missing)
    if bad.any():
        raise DataFormatError(
            f"{path}, column {column!r}: expected 0/1, true/false, yes/no or да/нет; {first_rows(bad, values)}"
        )
    out[is_true] = 1
    out[is_false] = 0
    if blank is not None:
        if blank not in (0, 1):
            raise ValueError(f"blank must be None, 0 or 1, not {blank!r}")
        out[missing] = blank
    return out


def parse_number(
    values: pd.Series,
    *,
    path: str | Path,
    column: str,
    minimum: float | None = None,
) -> pd.Series:
    """Parse a numeric column to ``Float64``; blanks stay missing; a decimal comma is accepted.

    Parameters
    ----------
    values : pandas.Series
        Cells as read by :func:`read_table`.
    path, column : str
        Where the values come from, for the error message.
    minimum : float, optional
        Smallest allowed value; smaller ones are an error.

    Raises
    ------
    DataFormatError
        Naming the file, the column and the first rows that are not numbers (or too small).

    Examples
    --------
    >>> parse_number(pd.Series(["0.583333333", "2,5", "", 44]), path="d.csv", column="Age").tolist()
    [0.583333333, 2.5, <NA>, 44.0]
    """
    def one(v: object) -> object:
        if isinstance(v, str):
            v = v.strip()
            return re.sub(r"^(-?\d+),(\d+)$", r"\1.\2", v) if v else None
        return v

    text = values.astype(object).map(one)
    was_blank = text.isna().to_numpy()
    numbers = pd.to_numeric(text, errors="coerce")
    bad = numbers.isna().to_numpy() & ~was_blank
    finite = np.isfinite(numbers.to_numpy(dtype=float, na_value=np.nan))
    bad |= ~finite & ~numbers.isna().to_numpy()
    if bad.any():
        raise DataFormatError(f"{path}, column {column!r}: expected a number; {first_rows(bad, values)}")
    out = numbers.astype("Float64")
    if minimum is not None:
        low = (out < minimum).fillna(False).to_numpy(bool)
        if low.any():
            raise DataFormatError(
                f"{path}, column {column!r}: expected a number >= {minimum:g}; {first_rows(low, values)}"
            )
    return out


#: Ages (years) outside this closed range are not physical: :func:`age_in_range` makes them missing.
#: The one table of physical ranges, :data:`hemstats.acquisition.PHYSICAL_RANGES`, also used for DICOM ages.
AGE_RANGE: tuple[float, float] = PHYSICAL_RANGES["age_years"][:2]


def age_in_range(ages: pd.Series, *, path: str | Path, column: str) -> tuple[pd.Series, list[str]]:
    """Ages outside :data:`AGE_RANGE` made missing, and one note text per such row.

    Parameters
    ----------
    ages : pandas.Series
        Ages in years as parsed by :func:`parse_number` (``Float64``).
    path, column : str
        Where the values come from, for the notes.

    Returns
    -------
    (pandas.Series, list of str)
        The ages with the impossible ones missing, and the note details, each naming
        the file, column and spreadsheet row (never a value next to an identifier).

    Examples
    --------
    >>> ages, notes = age_in_range(pd.Series([35.0, -1.0, 0.5, 450.0], dtype="Float64"), path="d.csv", column="Age")
    >>> ages.tolist(), notes
    ([35.0, <NA>, 0.5, <NA>], ["d.csv, column 'Age', row 3: age -1 is outside 0-130 years; kept missing", "d.csv, column 'Age', row 5: age 450 is outside 0-130 years; kept missing"])
    """
    low, high = AGE_RANGE
    out = ages.astype("Float64")
    bad = ((out < low) | (out > high)).fillna(False).to_numpy(bool)
    labels = ages.index if pd.api.types.is_integer_dtype(ages.index) else pd.RangeIndex(len(ages))
    notes = [
        f"{path}, column {column!r}, row {labels[i] + 2}: age {float(out.iloc[i]):g} is outside "
        f"{low:g}-{high:g} years; kept missing"
        for i in np.flatnonzero(bad)
    ]
    out = out.mask(pd.Series(bad, index=out.index))
    return out, notes


# -- options of an adapter's load() ---------------------------------------------------------------


def check_options(load: Callable[..., object], values: Mapping[str, object]) -> None:
    """Check an adapter's arguments against the type hints of its ``load`` signature.

    ``values`` is ``locals()`` at the top of ``load``.  Every parameter with a hint is
    checked (``str``, ``int``, ``bool``, ``Literal[...]``, ``Sequence[str]``,
    ``Mapping[str, str]``, unions such as ``str | None``; a string is never taken for
    a sequence of strings), so a manifest option or a direct call with a wrong type
    ends in one error listing every bad option, not in a raw ``TypeError`` later.

    Raises
    ------
    ManifestError
        One problem per option of the wrong type, located as ``options.<name>``.

    Examples
    --------
    >>> def load(root: str | Path, *, model: str = "m", dirs: Sequence[str] = ("a",)) -> None:
    ...     check_options(load, locals())
    >>> load("x", model="ok", dirs=["a", "b"])
    >>> load("x", model=["a", "b"], dirs="ab")
    Traceback (most recent call last):
    ...
    hemstats.errors.ManifestError: invalid manifest: 2 problems
      - options.model: expected text, got list ['a', 'b']
      - options.dirs: expected a list of text, got str 'ab'
    """
    from hemstats._adapter_options import option_problems

    params = inspect.signature(load).parameters
    problems = []
    root = values.get("root")
    if "root" in params and root is not None and not isinstance(root, (str, os.PathLike)):
        problems.append(Problem("root", f"expected a path (text), got {type(root).__name__}"))
    options = {n: values[n] for n in params if n in values and n not in ("root", "name")}
    problems += [Problem(f"options.{key}", message) for key, message in option_problems(load, options)]
    if problems:
        raise ManifestError(problems)
