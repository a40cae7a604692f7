"""The fast header reader of :func:`hemstats.io.dicom.scan_dicom`: GDCM (``python-gdcm``, C++).

GDCM (C++) parses the header and stops at the pixel data element without reading it
(``gdcm.Reader.ReadSelectedTags``), giving the transfer syntax and where the pixel data
begin.  A short walk over the top-level element headers, the one pydicom makes, checks
that pydicom would reach the same place the same way, and hands over the raw bytes of
the :data:`~hemstats.io.dicom_header.HEADER_TAGS` (taking them from the walk costs less
than asking GDCM for each element through its SWIG binding).  They are converted
exactly as the pydicom reader converts them (the same :func:`pydicom.values.convert_value`
calls, in the file's character set), so both readers give the same rows, notes and
pseudonyms.

Whatever is not plain goes to pydicom, file by file (:func:`read` returns None): no
``DICM`` prefix, a big-endian, deflated or unknown transfer syntax, no pixel data or
pixel data cut short, a header longer than 1 MiB, an undefined length, and any header
whose top-level elements do not chain plainly (tag order, VR, length) to the pixel data
element where GDCM stopped.  pydicom then gives the row or the failure reason it always
gives, so failures are the same with either reader.

GDCM's own warnings and errors are switched off: they could quote header values.

Examples
--------
>>> available() in (True, False)
True
"""

from __future__ import annotations

import struct
from typing import IO, Any

from hemstats.io.dicom_header import Note, ReadFailure, header_row, header_tags, header_values

__all__ = ["available", "read"]

_STATE: tuple | None = None  # (gdcm, tag set, {int tag: BaseTag}, RawDataElement) once per process
_PLAIN = ("1.2.840.10008.1.2", "1.2.840.10008.1.2.1")  # implicit / explicit VR little endian
_ENCAPSULATED = ("1.2.840.10008.1.2.4.", "1.2.840.10008.1.2.5")  # JPEG family, RLE: explicit VR LE headers
_LONG_VRS = frozenset({b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"SV", b"UC", b"UN", b"UR", b"UT", b"UV"})
_SHORT_VRS = frozenset(
    vr.encode() for vr in ["AE", "AS", "AT", "CS", "DA", "DS", "DT", "FD", "FL", "IS", "LO", "LT", "PN", "SH", "SL", "SS", "ST", "TM", "UI", "UL", "US"]
)
_MAX_HEADER = 1 << 20  # headers longer than this are left to pydicom
_HH, _H, _L = struct.Struct("<HH").unpack_from, struct.Struct("<H").unpack_from, struct.Struct("<L").unpack_from


def available() -> bool:
    """Whether ``python-gdcm`` can be imported here."""
    try:
        _setup()
    except ImportError:
        return False
    return True


def _setup() -> tuple:
    global _STATE
    if _STATE is None:
        import gdcm
        from pydicom.dataelem import RawDataElement
        from pydicom.tag import BaseTag

        for off in (gdcm.Trace.DebugOff, gdcm.Trace.WarningOff, gdcm.Trace.ErrorOff):
            off()
        wanted = {tag: BaseTag(tag) for tag in header_tags().values()}
        selected = gdcm.TagSetType()
        for tag in wanted:
            selected.insert(gdcm.Tag(tag >> 16, tag & 0xFFFF))
        selected.insert(gdcm.Tag(0x7FE0, 0x0000))  # stop at the pixel data element, before its value
        _STATE = (gdcm, selected, wanted, RawDataElement)
    return _STATE


def _walk(fh: IO[bytes], pos: int, size: int, implicit: bool, wanted: dict) -> dict | None:
    """The raw :data:`HEADER_TAGS` elements, walking the element headers as pydicom does; None to defer.

    The walk goes from the file meta to ``pos``, where GDCM stopped.  GDCM and pydicom
    recover differently from a corrupt header; a file whose top-level elements do not
    chain plainly (strictly increasing tags, known explicit VRs, defined lengths) to an
    intact (7FE0,0010) element at ``pos`` is left to pydicom (None).  Otherwise the
    elements in ``wanted`` are returned as pydicom's ``RawDataElement`` of the same
    bytes, so both readers convert the very same values.
    """
    raw_element = _setup()[3]
    if not 132 <= pos <= _MAX_HEADER:
        return None
    fh.seek(0)
    buf = fh.read(pos + 12)
    raw = {}
    vr: Any
    i, last, meta = 132, -1, True
    while i < pos:
        if i + 8 > len(buf):
            return None
        group, element = _HH(buf, i)
        if meta and group != 2:
            meta, last = False, -1
        tag = group << 16 | element
        if tag <= last:
            return None
        last, vr = tag, buf[i + 4 : i + 6]
        if implicit and not meta:
            length, start, vr = _L(buf, i + 4)[0], i + 8, None
        elif vr in _LONG_VRS:
            length, start = _L(buf, i + 8)[0], i + 12
        elif vr in _SHORT_VRS:
            length, start = _H(buf, i + 6)[0], i + 8
        else:
            return None
        if length == 0xFFFFFFFF:
            return None
        i = start + length
        if tag in wanted and not meta:
            if vr is not None:
                vr = vr.decode()
            raw[tag] = raw_element(wanted[tag], vr, length, buf[start:i], start, implicit, True)
    if i != pos or len(buf) < pos + 8 or _HH(buf, pos) != (0x7FE0, 0x0010):
        return None
    if implicit:
        length, start = _L(buf, pos + 4)[0], pos + 8
    elif buf[pos + 4 : pos + 6] in _LONG_VRS and len(buf) >= pos + 12:
        length, start = _L(buf, pos + 8)[0], pos + 12
    else:
        return None
    return raw if length == 0xFFFFFFFF or start + length <= size else None


def read(fh: IO[bytes], path: str, size: int, salt: str) -> tuple[dict, list[Note]] | None:
    """Row and notes of the open regular file ``fh`` read with GDCM; None to let pydicom read it.

    Raises ``ReadFailure("no SeriesInstanceUID")`` as the pydicom reader does.
    """
    gdcm, selected, wanted = _setup()[:3]
    fh.seek(0)
    preamble = fh.read(132)
    if len(preamble) < 132 or preamble[128:] != b"DICM":
        return None
    reader = gdcm.Reader()
    reader.SetFileName(path)
    if not reader.ReadSelectedTags(selected):
        return None
    syntax = str(reader.GetFile().GetHeader().GetDataSetTransferSyntax())
    if not (syntax in _PLAIN or syntax.startswith(_ENCAPSULATED)):
        return None
    raw = _walk(fh, reader.GetStreamCurrentPosition(), size, syntax == _PLAIN[0], wanted)
    if raw is None:
        return None
    row, notes = header_row(header_values(_Raw(raw)), salt)
    if row["series_key"] is None:
        raise ReadFailure("no SeriesInstanceUID")
    return row, notes


class _Raw:
    """The ``get_item`` of a pydicom dataset, over the raw elements of the walk."""

    __slots__ = ("get_item",)

    def __init__(self, raw: dict) -> None:
        self.get_item = raw.get
