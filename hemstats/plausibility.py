"""Physically plausible acquisition values: a value outside its range is a writing error.

Used by the readers (:mod:`hemstats.io.dicom_header`, :mod:`hemstats.io.tables`) to treat
such values as missing and say so in a note.
"""

from __future__ import annotations

__all__ = ["PHYSICAL_RANGES", "out_of_range"]

#: The one table of physically plausible acquisition values: column -> (low, high, unit),
#: bounds inclusive.  A header value outside its range (a tube current of ``9e99``, a
#: slice thickness of 0) is a writing error, not a measurement: readers such as
#: :func:`hemstats.io.dicom.scan_dicom` treat it as missing and say so in a note.
#: The bounds are deliberately wide (about twice what clinical CT scanners reach) so
#: that no real acquisition is lost:
#:
#: ====================  ======  =======  ======  ========================================
#: column                low     high     unit    why
#: ====================  ======  =======  ======  ========================================
#: kvp                   40      200      kV      CT tubes run 70-150 kV
#: tube_current_ma       1       2000     mA      CT tubes deliver up to about 1,300 mA
#: exposure_mas          1       20000    mAs     per image, long or perfusion exposures
#: slice_thickness_mm    0.1     20       mm      reconstructions of 0.5-10 mm
#: pixel_spacing_*_mm    0.05    5        mm      head CT is 0.2-1 mm per pixel
#: age_years             0       130      years   a person's age
#: ====================  ======  =======  ======  ========================================
PHYSICAL_RANGES: dict[str, tuple[float, float, str]] = {
    "kvp": (40.0, 200.0, "kV"),
    "tube_current_ma": (1.0, 2000.0, "mA"),
    "exposure_mas": (1.0, 20000.0, "mAs"),
    "slice_thickness_mm": (0.1, 20.0, "mm"),
    "pixel_spacing_row_mm": (0.05, 5.0, "mm"),
    "pixel_spacing_col_mm": (0.05, 5.0, "mm"),
    "age_years": (0.0, 130.0, "years"),
}


def out_of_range(column: str, value: float) -> str | None:
    """Why ``value`` of ``column`` is outside :data:`PHYSICAL_RANGES`; None when inside or unchecked.

    Parameters
    ----------
    column : str
        A key of :data:`PHYSICAL_RANGES` (other columns are not checked).
    value : float
        A finite number.

    Returns
    -------
    str or None

    Examples
    --------
    >>> out_of_range("tube_current_ma", 9e99)
    '9e+99 mA is outside the physical range 1-2000 mA'
    >>> out_of_range("kvp", 120.0) is None, out_of_range("rows", -1.0) is None
    (True, True)
    """
    bounds = PHYSICAL_RANGES.get(column)
    if bounds is None:
        return None
    low, high, unit = bounds
    if low <= value <= high:
        return None
    return f"{value:g} {unit} is outside the physical range {low:g}-{high:g} {unit}"
