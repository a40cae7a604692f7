"""The fast header reader of :func:`hemstats.io.dicom.scan_dicom`: GDCM (``python-gdcm``, C++).

GDCM reads only the :data:`~hemstats.io.dicom_read.HEADER_TAGS` of a file and stops at
the pixel data element without reading it (``gdcm.Reader.ReadSelectedTags``).  The
raw bytes of each element are then converted exactly as the pydicom reader does
(the same :func:`pydicom.values.convert_value` calls, in the file's character set),
so both readers give the same rows, notes and pseudonyms.

Whatever GDCM cannot read plainly goes to pydicom, file by file (:func:`read`
returns None): a file without the ``DICM`` prefix, a big-endian, deflated or unknown
transfer syntax, no pixel data or pixel data cut short, an element GDCM cannot
give as bytes, an explicit VR pydicom would read differently, and any header whose
top-level elements do not chain plainly (tag order, VR, length) to the pixel data
element where GDCM stopped: a corrupt header is read by pydicom, which then gives the
row or the failure reason it would have given anyway.  pydicom then reads
the row or writes the failure reason, so failures are the same with either reader.

GDCM's own warnings and errors are switched off: they could quote header values.

Examples
--------
>>> available() in (True, False)
True
"""

from __future__ import annotations

import struct
from typing import IO

from hemstats.io.dicom_read import Note, _Failure, _row, _tags, _values

__all__ = ["available", "read"]

_STATE: tuple | None = None  # (gdcm, tag set, [(int tag, gdcm.Tag)], RawDataElement, VRs) once per process
_PLAIN = ("1.2.840.10008.1.2", "1.2.840.10008.1.2.1")  # implicit / explicit VR little endian
_ENCAPSULATED = ("1.2.840.10008.1.2.4.", "1.2.840.10008.1.2.5")  # JPEG family, RLE: explicit VR LE headers
_LONG_VRS = frozenset({b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"SV", b"UC", b"UN", b"UR", b"UT", b"UV"})
_SHORT_VRS = frozenset(
    vr.encode() for vr in "AE AS AT CS DA DS DT FD FL IS LO LT PN SH SL SS ST TM UI UL US".split()
)
_MAX_HEADER = 1 << 20  # headers longer than this are left to pydicom


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
        from pydicom.valuerep import EXPLICIT_VR_LENGTH_16, EXPLICIT_VR_LENGTH_32

        for off in (gdcm.Trace.DebugOff, gdcm.Trace.WarningOff, gdcm.Trace.ErrorOff):
            off()
        tags = [(tag, gdcm.Tag(tag >> 16, tag & 0xFFFF)) for tag in _tags().values()]
        selected = gdcm.TagSetType()
        for _, gtag in tags:
            selected.insert(gtag)
        selected.insert(gdcm.Tag(0x7FE0, 0x0000))  # stop at the pixel data element, before its value
        vrs = frozenset(EXPLICIT_VR_LENGTH_16) | frozenset(EXPLICIT_VR_LENGTH_32)
        _STATE = (gdcm, selected, tags, RawDataElement, vrs)
    return _STATE


def _walk_lands(fh: IO[bytes], pos: int, size: int, implicit: bool) -> bool:
    """Whether pydicom's walk over the element headers, from the file meta on, reaches the pixel data at ``pos``.

    GDCM and pydicom recover differently from a corrupt header; a file whose top-level
    elements do not chain plainly (strictly increasing tags, known explicit VRs, defined
    lengths) to an intact (7FE0,0010) element at ``pos`` is left to pydicom.
    """
    if not 132 <= pos <= _MAX_HEADER:
        return False
    fh.seek(0)
    buf = fh.read(pos + 12)
    i, last, meta = 132, -1, True
    while i < pos:
        if i + 8 > len(buf):
            return False
        group, element = struct.unpack_from("<HH", buf, i)
        if meta and group != 2:
            meta, last = False, -1
        tag = group << 16 | element
        if tag <= last:
            return False
        last = tag
        if implicit and not meta:
            length, i = struct.unpack_from("<L", buf, i + 4)[0], i + 8
        elif buf[i + 4 : i + 6] in _LONG_VRS:
            length, i = struct.unpack_from("<L", buf, i + 8)[0], i + 12
        elif buf[i + 4 : i + 6] in _SHORT_VRS:
            length, i = struct.unpack_from("<H", buf, i + 6)[0], i + 8
        else:
            return False
        if length == 0xFFFFFFFF:
            return False
        i += length
    if i != pos or len(buf) < pos + 8 or struct.unpack_from("<HH", buf, pos) != (0x7FE0, 0x0010):
        return False
    if implicit:
        length, start = struct.unpack_from("<L", buf, pos + 4)[0], pos + 8
    elif buf[pos + 4 : pos + 6] in _LONG_VRS and len(buf) >= pos + 12:
        length, start = struct.unpack_from("<L", buf, pos + 8)[0], pos + 12
    else:
        return False
    return length == 0xFFFFFFFF or start + length <= size


def read(fh: IO[bytes], path: str, size: int, salt: str) -> tuple[dict, list[Note]] | None:
    """Row and notes of the open regular file ``fh`` read with GDCM; None to let pydicom read it.

    Raises ``_Failure("no SeriesInstanceUID")`` as the pydicom reader does.
    """
    gdcm, selected, tags, raw_element, vrs = _setup()
    fh.seek(0)
    preamble = fh.read(132)
    if len(preamble) < 132 or preamble[128:] != b"DICM":
        return None
    reader = gdcm.Reader()
    reader.SetFileName(path)
    if not reader.ReadSelectedTags(selected):
        return None
    file = reader.GetFile()
    syntax = str(file.GetHeader().GetDataSetTransferSyntax())
    if not (syntax in _PLAIN or syntax.startswith(_ENCAPSULATED)):
        return None
    implicit = syntax == _PLAIN[0]
    if not _walk_lands(fh, reader.GetStreamCurrentPosition(), size, implicit):
        return None
    ds = file.GetDataSet()
    raw: dict = {}
    for tag, gtag in tags:
        elem = ds.GetDataElement(gtag)  # an empty element with tag (ffff,ffff) when absent
        value = elem.GetByteValue()
        if value is None:
            if not ds.FindDataElement(gtag):
                continue
            if str(elem.GetVL()) != "0":
                return None  # a sequence or undefined length where a value is expected
            data = b""
        else:
            data = value.GetBuffer().encode("utf-8", "surrogateescape")  # SWIG decoded the bytes so
        vr = None if implicit else str(elem.GetVR())
        if vr is not None and vr not in vrs:
            return None
        raw[tag] = raw_element(tag, vr, len(data), data, 0, implicit, True)
    row, notes = _row(_values(_Raw(raw)), salt)
    if row["series_key"] is None:
        raise _Failure("no SeriesInstanceUID")
    return row, notes


class _Raw:
    """The ``get_item`` of a pydicom dataset, over the raw elements GDCM read."""

    __slots__ = ("get_item",)

    def __init__(self, raw: dict) -> None:
        self.get_item = raw.get
