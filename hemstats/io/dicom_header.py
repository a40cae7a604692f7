"""One DICOM header -> one row: the conversion both header readers share.

:mod:`hemstats.io.dicom_read` (pydicom) and :mod:`hemstats.io.dicom_fast` (raw bytes,
through :func:`raw_header_row`) both hand the raw elements of the :data:`HEADER_TAGS` to
:func:`header_values` and turn the values into a row with :func:`header_row`, so both
readers give the same rows, notes and pseudonyms.  Identifying values (PatientID and the
UIDs) are hashed here, before a row leaves the worker; a note is text written by hemstats and never quotes a header value,
except the parsed number of an out-of-range measurement
(:data:`hemstats.acquisition.PHYSICAL_RANGES`).

Examples
--------
>>> parse_age("045Y"), parse_age("006M"), parse_age("bad")
(45.0, 0.5, nan)
"""

from __future__ import annotations

import math
import re
from typing import Any

from hemstats.plausibility import out_of_range
from hemstats.privacy import pseudonym

__all__ = [
    "HEADER_TAGS",
    "Note",
    "ROW_COLUMNS",
    "ReadFailure",
    "clear_cache",
    "header_row",
    "header_tags",
    "header_values",
    "parse_age",
    "raw_header_row",
]

#: The header elements read from each file (keywords).  None of them identifies a
#: person except PatientID and the UIDs, which are hashed before leaving the worker.
HEADER_TAGS: tuple[str, ...] = (
    "SpecificCharacterSet",
    "Modality",
    "Manufacturer",
    "ManufacturerModelName",
    "PatientID",
    "PatientSex",
    "PatientAge",
    "SliceThickness",
    "KVP",
    "ConvolutionKernel",
    "ExposureTime",
    "XRayTubeCurrent",
    "Exposure",
    "XRayTubeCurrentInmA",
    "ExposureInmAs",
    "StudyInstanceUID",
    "SeriesInstanceUID",
    "InstanceNumber",
    "Rows",
    "Columns",
    "PixelSpacing",
)
_TAGS = None  # keyword -> int tag, filled lazily (pydicom is imported inside functions)
_HASHED = frozenset({"PatientID", "StudyInstanceUID", "SeriesInstanceUID"})
_AGE = re.compile(r"^\s*(\d{1,3})\s*([DWMY])\s*$", re.IGNORECASE)
_AGE_UNIT = {"D": 1 / 365.25, "W": 7 / 365.25, "M": 1 / 12, "Y": 1.0}
_UNREADABLE = object()  # a value present in the header but not readable as its VR
_MISS = object()
_CONVERTED: dict = {}  # (tag, VR, raw bytes, encodings, little endian) -> converted value, in this process

#: A note on one field of one file: (DICOM keyword, reason).
Note = tuple[str, str]


def parse_age(value: object) -> float:
    """A DICOM age string (``nnnD``, ``nnnW``, ``nnnM``, ``nnnY``) in years; NaN otherwise.

    A bare number has no unit and is not guessed: it gives NaN.

    Examples
    --------
    >>> parse_age("010W") == 10 * 7 / 365.25, parse_age("  72y"), parse_age("72")
    (True, 72.0, nan)
    """
    if value is None:
        return math.nan
    m = _AGE.match(str(value))
    if not m:
        return math.nan
    return int(m.group(1)) * _AGE_UNIT[m.group(2).upper()]


def header_tags() -> dict[str, int]:
    global _TAGS
    if _TAGS is None:
        from pydicom.datadict import tag_for_keyword

        tags: dict[str, int] = {}
        for keyword in HEADER_TAGS:
            tag = tag_for_keyword(keyword)
            if tag is None:  # pragma: no cover - every keyword of HEADER_TAGS is in pydicom's dictionary
                raise KeyError(keyword)
            tags[keyword] = int(tag)
        _TAGS = tags
    return _TAGS


def header_values(ds) -> dict[str, object]:
    """Keyword -> converted value of the :data:`HEADER_TAGS` present in ``ds`` (None when absent or empty).

    Raw elements are converted with :func:`pydicom.values.convert_value` in the
    dataset's character set, skipping the per-element bookkeeping of ``Dataset.get``;
    a value that cannot be converted is ``_UNREADABLE``.
    """
    from pydicom.charset import convert_encodings, decode_bytes
    from pydicom.datadict import dictionary_VR
    from pydicom.dataelem import RawDataElement
    from pydicom.values import convert_value

    out: dict[str, object] = {}
    encodings: Any = None
    for keyword, tag in header_tags().items():
        elem = ds.get_item(tag)
        value: Any
        if elem is None:
            value = None
        elif isinstance(elem, RawDataElement):
            if encodings is None and keyword != "SpecificCharacterSet":
                charset: Any = out.get("SpecificCharacterSet")
                charset = None if charset is _UNREADABLE else list(charset) if _multi(charset) else charset
                encodings = convert_encodings(charset or "ISO_IR 6")
            if keyword in _HASHED and elem.value is not None:
                # Decoded without pydicom's validation, whose warnings and log records quote the value.
                out[keyword] = decode_bytes(elem.value, encodings, set()).strip("\0 ") or None
                continue
            key = (tag, elem.VR, elem.value, tuple(encodings or ()), elem.is_little_endian)
            value = _CONVERTED.get(key, _MISS)
            if value is _MISS:  # a series repeats most values: each distinct one is converted once
                try:
                    value = None if elem.length == 0 else convert_value(elem.VR or dictionary_VR(tag), elem, encodings)
                except Exception:
                    value = _UNREADABLE
                if len(_CONVERTED) > 4096:
                    _CONVERTED.clear()
                _CONVERTED[key] = value
        else:
            value = elem.value
        if _blank(value):
            value = None
        out[keyword] = value
    return out


def _blank(value: object) -> bool:
    """Whether a converted value holds nothing: padding only, or an empty multi-value."""
    if isinstance(value, str):
        return not value.strip("\0 ")
    if isinstance(value, bytes):
        return not value.strip(b"\0 ")
    return value is not None and hasattr(value, "__len__") and not len(value)


def _multi(value: object) -> bool:
    return isinstance(value, (list, tuple)) or type(value).__name__ == "MultiValue"


def _text(values: dict, keyword: str, sep: str = "/") -> str | None:
    value = values.get(keyword)
    if value is None or value is _UNREADABLE:
        return None
    if _multi(value):
        parts = [str(v).strip() for v in value if str(v).strip()]
        return sep.join(parts) or None
    text = str(value).strip("\0 ")
    return text or None


def _number(values: dict, keyword: str, notes: list[Note], index: int | None = None, column: str = "") -> float:
    """The number in ``keyword`` (item ``index`` of a pair); NaN with a note when unusable."""
    value = values.get(keyword)
    if value is None:
        return math.nan
    if value is _UNREADABLE:
        notes.append((keyword, "not readable as its DICOM value representation: treated as missing"))
        return math.nan
    if index is not None:
        n = len(value) if _multi(value) else 1
        if n != 2:
            if index == 0:
                notes.append((keyword, f"has {n} value{'s' * (n != 1)} where 2 are expected: treated as missing"))
            return math.nan
        value = value[index]
    elif _multi(value):
        notes.append((keyword, f"has {len(value)} values where one is expected: treated as missing"))
        return math.nan
    try:
        number = float(value)
    except (TypeError, ValueError):
        notes.append((keyword, "is not a number: treated as missing"))
        return math.nan
    if not math.isfinite(number):
        notes.append((keyword, "is not a finite number: treated as missing"))
        return math.nan
    problem = out_of_range(column, number)
    if problem:
        notes.append((keyword, f"{problem} of {column}: treated as missing"))
        return math.nan
    return number


def header_row(values: dict, salt: str) -> tuple[dict, list[Note]]:
    """The :data:`~hemstats.io.dicom.INSTANCE_COLUMNS` (without ``path``) and the notes of one header."""
    notes: list[Note] = []
    current = _number(values, "XRayTubeCurrent", notes, column="tube_current_ma")
    if math.isnan(current):
        current = _number(values, "XRayTubeCurrentInmA", notes, column="tube_current_ma")
    exposure = _number(values, "Exposure", notes, column="exposure_mas")
    if math.isnan(exposure):
        exposure = _number(values, "ExposureInmAs", notes, column="exposure_mas")
    keys = {}
    for column, keyword in (
        ("study_key", "StudyInstanceUID"),
        ("series_key", "SeriesInstanceUID"),
        ("patient_key", "PatientID"),
    ):
        raw = _text(values, keyword, sep="\\")
        keys[column] = None if raw is None else pseudonym(raw, salt=salt)
    age_text = _text(values, "PatientAge")
    age = parse_age(age_text)
    if age_text is not None and math.isnan(age):
        notes.append(("PatientAge", "is not a DICOM age string (nnnD, nnnW, nnnM or nnnY): treated as missing"))
    elif not math.isnan(age) and out_of_range("age_years", age):
        notes.append(("PatientAge", f"{out_of_range('age_years', age)} of age_years: treated as missing"))
        age = math.nan
    sex = _text(values, "PatientSex")
    row = {
        **keys,
        "instance_number": _number(values, "InstanceNumber", notes),
        "modality": _text(values, "Modality"),
        "manufacturer": _text(values, "Manufacturer"),
        "scanner_model": _text(values, "ManufacturerModelName"),
        "kernel": _text(values, "ConvolutionKernel"),
        "slice_thickness_mm": _number(values, "SliceThickness", notes, column="slice_thickness_mm"),
        "kvp": _number(values, "KVP", notes, column="kvp"),
        "tube_current_ma": current,
        "exposure_mas": exposure,
        "pixel_spacing_row_mm": _number(values, "PixelSpacing", notes, 0, column="pixel_spacing_row_mm"),
        "pixel_spacing_col_mm": _number(values, "PixelSpacing", notes, 1, column="pixel_spacing_col_mm"),
        "rows": _number(values, "Rows", notes),
        "columns": _number(values, "Columns", notes),
        "age_years": age,
        "sex": sex.upper() if sex and sex.upper() in ("F", "M") else None,
    }
    return row, notes


# -- rows from raw values, each distinct part converted once per chunk -------------------------------
#: The keywords of a row that vary from file to file of a series; each part of a row (its
#: columns and notes) depends only on its own keywords, the character set and the salt.
_PARTS: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("InstanceNumber",), ("instance_number",)),
    (("XRayTubeCurrent", "XRayTubeCurrentInmA"), ("tube_current_ma",)),
    (("Exposure", "ExposureInmAs"), ("exposure_mas",)),
)
_PART_TAGS: list[tuple[int, ...]] = []  # filled with the static part's tags by _parts()
_PART_COLUMNS: list[tuple[str, ...]] = []
_PART_OF_KEYWORD: dict[str, int] = {}
_ROWS: dict = {}  # (part, salt, implicit, charset, raw values...) -> (values, notes); cleared per chunk


def _parts() -> list[tuple[int, ...]]:
    if not _PART_TAGS:
        tags = header_tags()
        varying = [k for keywords, _ in _PARTS for k in keywords]
        static = tuple(k for k in HEADER_TAGS if k not in varying and k != "SpecificCharacterSet")
        varying_columns = [c for _, columns in _PARTS for c in columns]
        static_columns = tuple(c for c in ROW_COLUMNS if c not in varying_columns)
        for p, (keywords, columns) in enumerate([*_PARTS, (static, static_columns)]):
            _PART_TAGS.append(tuple(tags[k] for k in keywords))
            _PART_COLUMNS.append(columns)
            _PART_OF_KEYWORD.update(dict.fromkeys(keywords, p))
    return _PART_TAGS


#: The columns of a row, in the order of :data:`hemstats.io.dicom.INSTANCE_COLUMNS` (without ``path``).
ROW_COLUMNS: tuple[str, ...] = (
    "study_key",
    "series_key",
    "patient_key",
    "instance_number",
    "modality",
    "manufacturer",
    "scanner_model",
    "kernel",
    "slice_thickness_mm",
    "kvp",
    "tube_current_ma",
    "exposure_mas",
    "pixel_spacing_row_mm",
    "pixel_spacing_col_mm",
    "rows",
    "columns",
    "age_years",
    "sex",
)


def raw_header_row(raw: dict[int, tuple[bytes | None, bytes]], implicit: bool, salt: str) -> tuple[dict, list[Note]]:
    """:func:`header_row` of the raw elements ``{tag: (VR bytes or None, value bytes)}`` of a little-endian header.

    The same values as ``header_row(header_values(...))`` on the pydicom dataset of the
    same bytes (it is what runs the first time a value is seen); the columns and notes of
    each part of a row (the instance number, the tube current, the exposure, the rest) are
    then kept, keyed by their raw bytes, character set and salt, until :func:`clear_cache`.

    Examples
    --------
    >>> tags = header_tags()
    >>> raw = {tags["SeriesInstanceUID"]: (b"UI", b"1.2.3"), tags["KVP"]: (b"DS", b"120 ")}
    >>> row, notes = raw_header_row(raw, False, "doctest")
    >>> row["kvp"], len(row["series_key"]), notes
    (120.0, 16, [])
    >>> clear_cache()
    """
    part_tags = _parts()
    charset = raw.get(0x00080005)
    get = raw.get
    keys = [(p, salt, implicit, charset, tuple(map(get, tags))) for p, tags in enumerate(part_tags)]
    rows = _ROWS
    hits = list(map(rows.get, keys))
    if None not in hits:
        row: dict = {}
        notes: list[Note] = []
        for columns, (values, part_notes) in zip(_PART_COLUMNS, hits):  # type: ignore[misc]
            row.update(zip(columns, values))
            notes.extend(part_notes)
        return row, notes
    from pydicom.dataelem import RawDataElement
    from pydicom.tag import BaseTag

    elements = {
        tag: RawDataElement(BaseTag(tag), None if vr is None else vr.decode(), len(value), value, 0, implicit, True)
        for tag, (vr, value) in raw.items()
    }
    row, notes = header_row(header_values(_RawDataset(elements)), salt)
    if len(rows) > 8192:
        rows.clear()
    static = len(part_tags) - 1
    for p, (key, columns) in enumerate(zip(keys, _PART_COLUMNS)):
        rows[key] = (tuple(row[c] for c in columns), tuple(n for n in notes if _PART_OF_KEYWORD.get(n[0], static) == p))
    return row, notes


def clear_cache() -> None:
    """Forget the rows and values kept by :func:`raw_header_row` and :func:`header_values` in this process."""
    _ROWS.clear()
    _CONVERTED.clear()


class _RawDataset:
    """The ``get_item`` of a pydicom dataset, over raw elements."""

    __slots__ = ("get_item",)

    def __init__(self, raw: dict) -> None:
        self.get_item = raw.get


class ReadFailure(Exception):
    """A reason written by hemstats, safe to report as is."""
