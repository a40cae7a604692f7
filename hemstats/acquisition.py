"""Harmonised acquisition columns: vendor, reconstruction-kernel family, slice-thickness bin.

DICOM headers spell the same scanner vendor many ways (``GE MEDICAL SYSTEMS``, ``GE
Healthcare``...) and every vendor names its reconstruction kernels differently.  This
module maps them onto one vocabulary so that acquisition can be compared across datasets:

* :func:`normalize_vendor`: ``GE``, ``SIEMENS``, ``Philips``, ``Canon`` (Toshiba), ...
* :func:`kernel_family`: ``soft``, ``standard``, ``sharp``, ``bone`` or ``unknown``,
  from the table :data:`KERNEL_TABLE` (below); :func:`kernel_class` coarsens it to
  ``smooth`` (soft + standard) and ``sharp`` (sharp + bone).
* :func:`thickness_bin`: ``<=1.5``, ``1.5-3``, ``3-5``, ``>5`` mm, an ordered categorical.
* :func:`harmonize` adds all of them to a ``studies`` table (a new frame);
  :func:`unknown_kernels` lists the kernels no rule maps.

Missing stays missing: a study without a kernel gets a missing family, not ``unknown``;
``unknown`` means a kernel was recorded but no rule of its vendor knows it.

Kernel families
---------------
The families sort kernels by the spatial frequencies they keep, as the vendors' own
naming does; they are a coarse, documented convention of hemstats, not a vendor standard,
and a site's protocol book may name a kernel differently (add to the table when it does).

======== =========================================================================
vendor   rule
======== =========================================================================
GE       by name: ``SOFT`` soft; ``STANDARD``, ``STD+``, ``STND``, ``HEAD`` standard;
         ``DETAIL``, ``CHEST``, ``LUNG``, ``EDGE`` sharp; ``BONE``, ``BONEPLUS``,
         ``BONE PLUS`` bone (GE names kernels by their clinical use; ``HD`` prefix and
         spaces are ignored).
SIEMENS  ``<letter(s)><number><suffix>`` (``H30s``, ``J40s``, ``Hr38``, ``Qr40d``,
         ``Br64``, ``H70h``, ``U90u``): letters name the application (H/Hr/Hf/J/Jr head,
         B/Br/Bf/Bv/I/Q/Qr/D/C...), the two-digit number the sharpness.  Siemens'
         convention is 10-20 very smooth/smooth, 30 medium smooth, 40 medium, 50 medium
         sharp, 60 sharp, 70 very sharp, 80-90 ultra sharp; hemstats cuts
         ``< 30`` soft, ``30-49`` standard (the brain kernels H30s, J30s, Hr38, H40s,
         J40s, Hr40), ``50-69`` sharp (H60s, Hr64, Hr68), ``>= 70`` bone (H70h, J70h, U90u).
         ``T`` (topogram) kernels are unknown.
Philips  by letter: ``A`` soft, ``B`` standard, ``C``, ``D``, ``L`` sharp, ``E``, ``EA``,
         ``EB``, ``EC``, ``Y*`` bone except ``YA`` sharp; the brain kernels ``UA``,
         ``UB`` soft and ``UC`` standard (Philips: within a series, later letters are
         sharper).
Canon    ``FC<number>`` (Toshiba/Canon): ``FC01``-``FC19`` body soft tissue standard
         (``FC01``-``FC09`` are the smoother abdomen kernels: soft), ``FC20``-``FC29``
         brain soft, ``FC30``-``FC39`` head bone bone, ``FC50``-``FC59`` lung sharp,
         ``FC80``-``FC89`` high-resolution bone bone; other numbers unknown.
======== =========================================================================

Multi-valued kernels (a DICOM ``ConvolutionKernel`` with several values, as written by
pydicom ``"['H30s', '2']"``, a list, or the backslash form ``"J40s\\\\3"``; the second value
is an iterative-reconstruction strength) are mapped by their first value.  Without a
``manufacturer``, a kernel is looked up in every vendor's rules and mapped when they agree.

Sources
-------
The vendors' kernel naming conventions (Siemens: application letter, two-digit sharpness,
suffix; Philips: letter series, later letters sharper; Canon/Toshiba: ``FC`` numbers by body
region).  The cut-offs above are hemstats' own reading of those conventions; they have not
been checked against each vendor's protocol manual, so correct the table (and its tests)
where a manual says otherwise.  Checked on real headers: GE HiSpeed ``STD+`` and Philips
Ingenuity ``UB`` (``../shared/data/sample_dicom``).

Examples
--------
>>> normalize_vendor("GE MEDICAL SYSTEMS"), normalize_vendor("TOSHIBA")
('GE', 'Canon')
>>> kernel_family("J40s\\\\3", manufacturer="SIEMENS"), kernel_family("BONEPLUS")
('standard', 'bone')
>>> thickness_bin(2.5)
'1.5-3'
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from typing import Any, Literal, TypeAlias, overload

import numpy as np
import pandas as pd

from hemstats.errors import HemstatsError

__all__ = [
    "FAMILIES",
    "THICKNESS_BINS",
    "KERNEL_TABLE",
    "VENDORS",
    "normalize_vendor",
    "kernel_family",
    "kernel_class",
    "thickness_bin",
    "harmonize",
    "unknown_kernels",
]

Family = Literal["soft", "standard", "sharp", "bone", "unknown"]
#: Kernel families, smoothest first.
FAMILIES: tuple[str, ...] = ("soft", "standard", "sharp", "bone", "unknown")
#: Slice-thickness bins (upper bounds inclusive: 1.5 mm is ``<=1.5``, 3 mm is ``1.5-3``).
THICKNESS_BINS: tuple[str, ...] = ("<=1.5", "1.5-3", "3-5", ">5")
_THICKNESS_EDGES = (0.0, 1.5, 3.0, 5.0, np.inf)

# -- vendors ----------------------------------------------------------------------------------
#: Regular expression (matched case-insensitively at the start of the stripped name) -> vendor.
VENDORS: tuple[tuple[str, str], ...] = (
    (r"ge\b|ge[ _-]|general electric|gems\b", "GE"),
    (r"siemens", "SIEMENS"),
    (r"philips", "Philips"),
    (r"toshiba|canon", "Canon"),
    (r"hitachi|fujifilm", "Fujifilm"),
    (r"neusoft", "Neusoft"),
    (r"united imaging|uih\b", "United Imaging"),
    (r"imatron", "Imatron"),
    (r"picker|marconi", "Philips"),
)
_VENDOR_RE = [(re.compile(p, re.IGNORECASE), v) for p, v in VENDORS]


#: A column of values: the scalar functions below map each element and return a Series.
ValueColumn: TypeAlias = "pd.Series | np.ndarray | pd.Index | pd.Categorical"


def _missing(x: Any) -> bool:
    if x is None or x is pd.NA:
        return True
    if isinstance(x, float) and np.isnan(x):
        return True
    return isinstance(x, str) and not x.strip()


def _vendor_one(name: Any) -> Any:
    if _missing(name):
        return pd.NA
    text = str(name).strip()
    for pattern, vendor in _VENDOR_RE:
        if pattern.match(text):
            return vendor
    return text


def _elementwise(func: Callable[..., Any], x: Any, *args: Any, dtype: str | None = None) -> Any:
    """Apply ``func`` to a scalar, or to each element of a Series / sequence (a Series back)."""
    if isinstance(x, pd.Series):
        values = x.astype(object)
        # Map the distinct values only: columns of a million studies have a handful of kernels.
        uniq = pd.unique(values.where(values.notna(), None))
        table = {u: func(u, *args) for u in uniq}
        out = values.where(values.notna(), None).map(lambda v: table[v])
        return out.astype(dtype) if dtype else out
    if isinstance(x, (np.ndarray, pd.Index, pd.Categorical)):
        return _elementwise(func, pd.Series(np.asarray(x, dtype=object)), *args, dtype=dtype)
    return func(x, *args)


@overload
def normalize_vendor(name: ValueColumn) -> pd.Series: ...
@overload
def normalize_vendor(name: object) -> Any: ...  # str, or pandas.NA when missing
def normalize_vendor(name: object) -> Any:
    """The vendor of a DICOM ``Manufacturer`` value: ``GE``, ``SIEMENS``, ``Philips``, ``Canon``, ...

    Parameters
    ----------
    name : str, missing, or a Series / array of them
        ``GE MEDICAL SYSTEMS``, ``GE Healthcare``, ``SIEMENS``, ``Siemens Healthineers``,
        ``Philips Medical Systems``, ``TOSHIBA``, ``Canon Medical Systems``...

    Returns
    -------
    str, pandas.NA or pandas.Series (``string`` dtype)
        The vendor (rules: :data:`VENDORS`, case-insensitive); a name no rule knows is
        returned stripped, unchanged otherwise; missing stays missing.

    Notes
    -----
    Validated against: the ``Manufacturer`` of real GE HiSpeed and Philips Ingenuity headers
    (``../shared/data/sample_dicom``, tests) and the demo cohort's manufacturers.

    Examples
    --------
    >>> normalize_vendor(" GE Healthcare "), normalize_vendor("Siemens Healthineers")
    ('GE', 'SIEMENS')
    >>> normalize_vendor("Philips Medical Systems"), normalize_vendor("Canon Medical Systems")
    ('Philips', 'Canon')
    >>> normalize_vendor(" NeuroLogica ")
    'NeuroLogica'
    >>> import pandas as pd
    >>> normalize_vendor(pd.Series(["GE", None, "TOSHIBA"])).tolist()
    ['GE', <NA>, 'Canon']
    """
    return _elementwise(_vendor_one, name, dtype="string")


# -- kernels ----------------------------------------------------------------------------------
_GE = {
    "SOFT": "soft",
    "STANDARD": "standard",
    "STD": "standard",
    "STD+": "standard",
    "STND": "standard",
    "HEAD": "standard",
    "DETAIL": "sharp",
    "CHEST": "sharp",
    "LUNG": "sharp",
    "EDGE": "sharp",
    "BONE": "bone",
    "BONEPLUS": "bone",
    "BONE+": "bone",
}
_PHILIPS = {
    "A": "soft",
    "B": "standard",
    "C": "sharp",
    "D": "sharp",
    "L": "sharp",
    "E": "bone",
    "EA": "bone",
    "EB": "bone",
    "EC": "bone",
    "UA": "soft",
    "UB": "soft",
    "UC": "standard",
    "YA": "sharp",
    "YB": "bone",
    "YC": "bone",
    "YD": "bone",
    "YE": "bone",
    "YF": "bone",
}
_SIEMENS_RE = re.compile(r"^([A-Z])([a-z]?)(\d{2})([a-z]?)$")
_CANON_RE = re.compile(r"^FC(\d{2})$", re.IGNORECASE)


def _siemens(kernel: str) -> str | None:
    m = _SIEMENS_RE.match(kernel)
    if m is None:
        return None
    if m.group(1) == "T":  # topogram
        return "unknown"
    number = int(m.group(3))
    if number < 30:
        return "soft"
    if number < 50:
        return "standard"
    if number < 70:
        return "sharp"
    return "bone"


def _canon(kernel: str) -> str | None:
    m = _CANON_RE.match(kernel)
    if m is None:
        return None
    number = int(m.group(1))
    if 1 <= number <= 9 or 20 <= number <= 29:
        return "soft"
    if 10 <= number <= 19:
        return "standard"
    if 30 <= number <= 39 or 80 <= number <= 89:
        return "bone"
    if 50 <= number <= 59:
        return "sharp"
    return "unknown"


def _ge(kernel: str) -> str | None:
    key = re.sub(r"\s+", "", kernel.upper())
    key = key[2:] if key.startswith("HD") and key[2:] in _GE else key
    return _GE.get(key)


def _philips(kernel: str) -> str | None:
    return _PHILIPS.get(kernel.strip().upper())


#: Vendor -> rule (kernel text -> family, or None when the rule does not know the kernel).
KERNEL_TABLE: dict[str, Callable[[str], str | None]] = {
    "GE": _ge,
    "SIEMENS": _siemens,
    "Philips": _philips,
    "Canon": _canon,
}


def first_kernel_value(kernel: object) -> Any:
    """The first value of a possibly multi-valued DICOM kernel (``"['H30s', '2']"``, ``"J40s\\\\3"``).

    Examples
    --------
    >>> first_kernel_value("['H30s', '2']"), first_kernel_value("J40s\\\\3"), first_kernel_value(["Hr38", "3"])
    ('H30s', 'J40s', 'Hr38')
    """
    if isinstance(kernel, (list, tuple, np.ndarray)):
        return first_kernel_value(kernel[0]) if len(kernel) else pd.NA
    if _missing(kernel):
        return pd.NA
    text = str(kernel).strip()
    if (text.startswith("[") and text.endswith("]")) or (text.startswith("(") and text.endswith(")")):
        try:
            parsed = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            parsed = [p.strip(" '\"") for p in text[1:-1].split(",")]
        return first_kernel_value(list(parsed))
    text = text.split("\\")[0].strip()
    return text if text else pd.NA


def _family_one(kernel: Any, manufacturer: Any) -> Any:
    value = first_kernel_value(kernel)
    if value is pd.NA:
        return pd.NA
    vendor = _vendor_one(manufacturer)
    if vendor is not pd.NA and vendor in KERNEL_TABLE:
        rules = [KERNEL_TABLE[vendor]]
    else:
        rules = list(KERNEL_TABLE.values())
    found = {f for f in (rule(value) for rule in rules) if f is not None}
    return found.pop() if len(found) == 1 else "unknown"


@overload
def kernel_family(kernel: ValueColumn, *, manufacturer: object = None) -> pd.Series: ...
@overload
def kernel_family(kernel: object, *, manufacturer: object = None) -> Any: ...  # str, or pandas.NA when missing
def kernel_family(kernel: Any, *, manufacturer: Any = None) -> Any:
    """The family of a reconstruction kernel: ``soft``, ``standard``, ``sharp``, ``bone`` or ``unknown``.

    Parameters
    ----------
    kernel : str, list, missing, or a Series / array of them
        The DICOM ``ConvolutionKernel`` (multi-valued kernels by their first value).
    manufacturer : str or a Series / array aligned with ``kernel``, optional
        The DICOM ``Manufacturer`` (any spelling :func:`normalize_vendor` knows).  When its
        vendor has rules, only those apply (an ``H30s`` on a GE scanner is ``unknown``);
        otherwise every vendor's rules are tried and the kernel is mapped when they agree.

    Returns
    -------
    str, pandas.NA or pandas.Series (``string`` dtype)
        The family (rules in the module docstring); missing kernels stay missing.

    Notes
    -----
    Validated against: the demo simulator's soft/sharp split (``truth["kernel_families"]``):
    every soft kernel maps to ``soft`` or ``standard``, every sharp one to ``sharp`` or ``bone``;
    real GE (``STD+``) and Philips (``UB``) headers in ``../shared/data/sample_dicom`` (tests).
    The family table is hemstats' convention from the vendors' naming, not a vendor standard.

    Examples
    --------
    >>> [kernel_family(k) for k in ["SOFT", "STD+", "DETAIL", "BONE"]]
    ['soft', 'standard', 'sharp', 'bone']
    >>> [kernel_family(k, manufacturer="SIEMENS") for k in ["H30s", "Hr38", "H60s", "J70h"]]
    ['standard', 'standard', 'sharp', 'bone']
    >>> [kernel_family(k) for k in ["UB", "YC", "FC23", "FC81", "XYZ"]]
    ['soft', 'bone', 'soft', 'bone', 'unknown']
    >>> kernel_family("['H30s', '2']"), kernel_family("H30s", manufacturer="GE MEDICAL SYSTEMS")
    ('standard', 'unknown')
    """
    if isinstance(kernel, (pd.Series, np.ndarray, pd.Index, pd.Categorical)):
        k = pd.Series(np.asarray(kernel, dtype=object), index=kernel.index if isinstance(kernel, pd.Series) else None)
        if manufacturer is None or np.ndim(manufacturer) == 0:
            m = pd.Series([manufacturer] * len(k), index=k.index, dtype=object)
        else:
            values = np.asarray(manufacturer, dtype=object)
            if len(values) != len(k):
                raise HemstatsError(f"manufacturer: expected {len(k)} values (one per kernel), got {len(values)}")
            m = pd.Series(values, index=k.index)
        kk = k.map(lambda v: first_kernel_value(v))
        mm = m.map(lambda v: _vendor_one(v))
        pairs = pd.DataFrame({"k": kk.astype(object), "m": mm.astype(object)})
        pairs = pairs.where(pairs.notna(), None)
        cache: dict[tuple[Any, Any], Any] = {}
        out = []
        for kv, mv in zip(pairs["k"], pairs["m"]):
            key = (kv, mv)
            if key not in cache:
                cache[key] = pd.NA if kv is None else _family_one(kv, mv)
            out.append(cache[key])
        return pd.Series(out, index=k.index, dtype="string")
    return _family_one(kernel, manufacturer)


@overload
def kernel_class(family: ValueColumn) -> pd.Series: ...
@overload
def kernel_class(family: object) -> Any: ...  # str, or pandas.NA when missing
def kernel_class(family: object) -> Any:
    """Coarsen kernel families: ``smooth`` (soft, standard), ``sharp`` (sharp, bone), ``unknown``.

    Examples
    --------
    >>> kernel_class("standard"), kernel_class("bone"), kernel_class("unknown")
    ('smooth', 'sharp', 'unknown')
    """
    table = {"soft": "smooth", "standard": "smooth", "sharp": "sharp", "bone": "sharp", "unknown": "unknown"}

    def one(f: Any) -> Any:
        if _missing(f):
            return pd.NA
        if f not in table:
            raise HemstatsError(f"kernel_class: expected a family of {FAMILIES}, got {f!r}")
        return table[f]

    return _elementwise(one, family, dtype="string")


# -- slice thickness ----------------------------------------------------------------------------
@overload
def thickness_bin(mm: ValueColumn | list[Any] | tuple[Any, ...]) -> pd.Series: ...
@overload
def thickness_bin(mm: object) -> Any: ...  # str, or pandas.NA when missing
def thickness_bin(mm: Any) -> Any:
    """Slice-thickness bin: ``<=1.5``, ``1.5-3``, ``3-5`` or ``>5`` mm (upper bounds inclusive).

    Parameters
    ----------
    mm : float, missing, or a Series / array of them
        Slice thickness in millimetres (> 0).

    Returns
    -------
    str, pandas.NA, or pandas.Series (ordered categorical with categories :data:`THICKNESS_BINS`)

    Raises
    ------
    HemstatsError
        For a thickness that is not a positive number.

    Notes
    -----
    Validated against: ``pandas.cut`` with right-closed edges (0, 1.5, 3, 5, inf], scalar and
    vectorised forms agreeing (property test).

    Examples
    --------
    >>> thickness_bin(0.625), thickness_bin(1.5), thickness_bin(3.0), thickness_bin(5.0), thickness_bin(7.5)
    ('<=1.5', '<=1.5', '1.5-3', '3-5', '>5')
    >>> import pandas as pd
    >>> thickness_bin(pd.Series([1.0, None, 5.0])).tolist()
    ['<=1.5', nan, '3-5']
    """
    if isinstance(mm, (pd.Series, np.ndarray, list, tuple, pd.Index)):
        index = mm.index if isinstance(mm, pd.Series) else None
        values = pd.to_numeric(pd.Series(np.asarray(mm, dtype=object), index=index), errors="coerce").astype(float)
        given = pd.Series(np.asarray(mm, dtype=object), index=index).map(lambda v: not _missing(v))
        bad = (given & values.isna()) | (values <= 0)
        if bad.any():
            first = pd.Series(np.asarray(mm, dtype=object), index=index)[bad].iloc[0]
            raise HemstatsError(
                f"slice thickness: expected positive numbers of millimetres; {int(bad.sum())} values are not, first {first!r}"
            )
        cut = pd.cut(values, bins=list(_THICKNESS_EDGES), labels=list(THICKNESS_BINS), right=True)
        return pd.Series(pd.Categorical(cut, categories=list(THICKNESS_BINS), ordered=True), index=values.index)
    if _missing(mm) or mm is None:
        return pd.NA
    try:
        x = float(mm)
    except (TypeError, ValueError):
        raise HemstatsError(f"slice thickness: expected a positive number of millimetres, got {mm!r}") from None
    if not x > 0:
        raise HemstatsError(f"slice thickness: expected a positive number of millimetres, got {mm!r}")
    return THICKNESS_BINS[int(np.searchsorted(_THICKNESS_EDGES[1:-1], x, side="left"))]


# -- tables ---------------------------------------------------------------------------------------
#: Columns :func:`harmonize` adds.
HARMONIZED_COLUMNS: tuple[str, ...] = ("vendor", "kernel_family", "kernel_class", "thickness_bin")


def harmonize(studies: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``studies`` with harmonised acquisition columns added (the input is not modified).

    Parameters
    ----------
    studies : pandas.DataFrame
        A canonical ``studies`` table; uses ``manufacturer``, ``kernel``,
        ``slice_thickness_mm`` where present (absent ones give missing columns).

    Returns
    -------
    pandas.DataFrame
        The input columns plus ``vendor`` (category), ``kernel_family`` (category with
        categories :data:`FAMILIES`), ``kernel_class`` (category: ``smooth``, ``sharp``,
        ``unknown``), ``thickness_bin`` (ordered category); existing columns of these names
        are replaced.  ``kvp`` and ``tube_current_ma`` are made floats (NaN when missing).

    Examples
    --------
    >>> from hemstats.datasets import demo
    >>> studies = harmonize(demo.load(n_studies=200).studies)
    >>> studies["vendor"].value_counts().sort_index().to_dict()
    {'GE': 103, 'Philips': 35, 'SIEMENS': 62}
    >>> sorted(studies["kernel_family"].dropna().unique())
    ['bone', 'soft', 'standard']
    """
    if not isinstance(studies, pd.DataFrame):
        raise HemstatsError(f"studies: expected a pandas DataFrame, got {type(studies).__name__}")
    out = studies.copy()
    n = len(out)
    manufacturer = out["manufacturer"] if "manufacturer" in out else pd.Series([None] * n, index=out.index, dtype=object)
    kernel = out["kernel"] if "kernel" in out else pd.Series([None] * n, index=out.index, dtype=object)
    thick = out["slice_thickness_mm"] if "slice_thickness_mm" in out else pd.Series([np.nan] * n, index=out.index)
    vendor = normalize_vendor(manufacturer.astype(object))
    out["vendor"] = pd.Categorical(vendor.astype(object).where(vendor.notna(), None))
    fam = kernel_family(kernel.astype(object), manufacturer=manufacturer.astype(object))
    out["kernel_family"] = pd.Categorical(fam.astype(object).where(fam.notna(), None), categories=list(FAMILIES))
    cls = kernel_class(fam)
    out["kernel_class"] = pd.Categorical(cls.astype(object).where(cls.notna(), None), categories=["smooth", "sharp", "unknown"])
    out["thickness_bin"] = thickness_bin(pd.Series(np.asarray(thick, dtype=object), index=out.index))
    for col in ("kvp", "tube_current_ma"):
        if col in out:
            out[col] = pd.to_numeric(out[col].astype(object), errors="coerce").astype(float)
    return out


def unknown_kernels(studies: pd.DataFrame) -> pd.DataFrame:
    """The recorded kernels that no rule maps to a family (family ``unknown``), with counts.

    Parameters
    ----------
    studies : pandas.DataFrame
        A ``studies`` table (harmonised or not).

    Returns
    -------
    pandas.DataFrame
        Columns ``dataset, vendor, kernel, n_studies``, one row per unmapped
        (dataset, vendor, kernel), most frequent first; empty when every kernel is known.

    Examples
    --------
    >>> import pandas as pd
    >>> studies = pd.DataFrame({"dataset": "x", "manufacturer": ["GE", "GE", "SIEMENS"],
    ...                         "kernel": ["BONE", "SUPERSOFT", "H31s"]})
    >>> unknown_kernels(studies).to_dict("records")
    [{'dataset': 'x', 'vendor': 'GE', 'kernel': 'SUPERSOFT', 'n_studies': 1}]
    """
    h = harmonize(studies)
    cols = ["dataset", "vendor", "kernel", "n_studies"]
    unknown = h[h["kernel_family"] == "unknown"]
    if unknown.empty:
        return pd.DataFrame({c: pd.Series(dtype="int64" if c == "n_studies" else object) for c in cols})
    frame = pd.DataFrame(
        {
            "dataset": unknown["dataset"].astype(object) if "dataset" in unknown else None,
            "vendor": unknown["vendor"].astype(object),
            "kernel": unknown["kernel"].astype(object).map(str),
        }
    )
    frame = frame.where(frame.notna(), None)
    out = frame.groupby(["dataset", "vendor", "kernel"], dropna=False, sort=True).size().rename("n_studies").reset_index()
    out = out.sort_values(["n_studies", "dataset", "vendor", "kernel"], ascending=[False, True, True, True], kind="stable")
    return out.reset_index(drop=True)[cols]
