"""The fast header reader of :func:`hemstats.io.dicom.scan_dicom`: one read, pydicom's walk without its objects.

:func:`walk` follows the element headers of the first bytes of a file (one ``read`` of
8 KiB, more only for a longer header) exactly as ``pydicom.dcmread(stop_before_pixels=True,
specific_tags=...)`` does (tag, VR, length: the same rules, the same stop at the pixel
data element) and keeps the raw bytes of the
:data:`~hemstats.io.dicom_header.HEADER_TAGS`.  They are converted by
:func:`hemstats.io.dicom_header.raw_header_row`, with the same
:func:`pydicom.values.convert_value` calls in the file's character set as the pydicom
reader (each distinct value once per worker: a series repeats most of them), so both
readers give the same rows, notes and pseudonyms.

Whatever is not plain goes to pydicom, file by file (:func:`walk` returns None): no
``DICM`` prefix, a big-endian, deflated or unknown transfer syntax, a dataset whose first
element contradicts the transfer syntax (pydicom then switches encodings), command-set
elements, no pixel data or pixel data cut short, a header longer than 1 MiB, an
undefined length before the pixel data, an unknown VR, a sequence VR on a header tag, and
tags that do not strictly increase.  pydicom then gives the row or the failure reason it
always gives, so failures are the same with either reader.

The files of a series share their header layout: :func:`read_raw` keeps the layouts it
has seen (runs of elements that recur byte for byte, and the elements seen to vary) and
matches a file against them before walking it, a few slice comparisons instead of one
step per element; a file that matches is walked as its layout's first file was, so it
gives what :func:`walk` gives (tested on every file of the differential tests).

Why no C++ reader: measured on this machine (GE head CT, one core, loaded), ``dicomsdl``
0.109 parses a header in ~0.05-0.07 ms and ``gdcm.Reader.ReadSelectedTags`` (or
``gdcm.Scanner``) in ~0.3 ms, but neither tells whether pydicom would read the same
elements from a corrupt header (they recover differently), so identical output needs
this walk anyway (~0.07 ms; ~0.015 ms on a known layout), which alone already yields
the raw values.  ``dicomsdl`` also crashes the process (SIGSEGV) on a file whose pixel
data are cut short, whatever ``load_until`` asks.

Examples
--------
>>> from pydicom.data import get_testdata_file
>>> from pathlib import Path
>>> data = Path(get_testdata_file("CT_small.dcm")).read_bytes()
>>> implicit, raw = walk(data[:8192], len(data))
>>> implicit, raw[0x00080070]  # Manufacturer: (VR, raw bytes)
(False, (b'LO', b'GE MEDICAL SYSTEMS'))
>>> walk(data[:8192], 7000) is None  # a file cut inside its pixel data: pydicom says why
True
"""

from __future__ import annotations

import struct

from hemstats.io.dicom_header import header_tags

__all__ = ["FIRST_READ", "MORE", "MAX_HEADER", "clear_layouts", "read_raw", "walk"]

#: Bytes read first; a header longer than this is read again up to :data:`MAX_HEADER`.
FIRST_READ = 8192
#: Headers longer than this are left to pydicom.
MAX_HEADER = 1 << 20


class _More:
    """The sentinel :data:`MORE`: the header goes on past the bytes given."""

    def __repr__(self) -> str:
        return "MORE"


#: What :func:`walk` returns when the header goes on past the bytes it was given.
MORE = _More()

_IMPLICIT = b"1.2.840.10008.1.2"
_EXPLICIT = b"1.2.840.10008.1.2.1"
_ENCAPSULATED = (b"1.2.840.10008.1.2.4.", b"1.2.840.10008.1.2.5")  # JPEG family, RLE: explicit VR LE
_LONG_VRS = frozenset({b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"SV", b"UC", b"UN", b"UR", b"UT", b"UV"})
_SHORT_VRS = frozenset(
    {b"AE", b"AS", b"AT", b"CS", b"DA", b"DS", b"DT", b"FD", b"FL", b"IS", b"LO"}
    | {b"LT", b"PN", b"SH", b"SL", b"SS", b"ST", b"TM", b"UI", b"UL", b"US"}
)
_HEADER_SIZE = {**dict.fromkeys(_LONG_VRS, 12), **dict.fromkeys(_SHORT_VRS, 8)}  # explicit VR -> header bytes
_PIXEL_STOPS = 0x7FE00008  # pydicom stops before (7FE0,0008), (7FE0,0009) and (7FE0,0010)
_PIXEL_DATA = 0x7FE00010
_EXPLICIT_HEAD = struct.Struct("<HH2sH").unpack_from
_IMPLICIT_HEAD = struct.Struct("<HHL").unpack_from
_LONG = struct.Struct("<L").unpack_from
_WANTED: frozenset[int] | None = None


def _wanted() -> frozenset[int]:
    global _WANTED
    if _WANTED is None:
        _WANTED = frozenset(header_tags().values())
    return _WANTED


def walk(buf: bytes, size: int) -> tuple[bool, dict[int, tuple[bytes | None, bytes]]] | _More | None:
    """``(implicit VR, {tag: (VR bytes or None, raw value)})`` of the :data:`HEADER_TAGS` in ``buf``.

    ``buf`` holds the first bytes of a file of ``size`` bytes.  Returns None when the
    file is not plain (pydicom must read it, see the module docstring) and :data:`MORE`
    when the header goes on past ``buf`` in a longer file.
    """
    n = len(buf)
    if n < 144 or buf[128:132] != b"DICM":
        return None if n >= size or n >= 144 else MORE
    wanted = _wanted()
    long_vrs, short_vrs = _LONG_VRS, _SHORT_VRS
    i, last, syntax = 132, -1, None
    while True:  # file meta: explicit VR little endian, group 0002
        if i + 12 > n:
            return MORE if n < size and n < MAX_HEADER else None
        group, element, vr, length = _EXPLICIT_HEAD(buf, i)
        if group != 2:
            break
        tag = group << 16 | element
        if tag <= last:
            return None
        last = tag
        if vr in long_vrs:
            length, start = _LONG(buf, i + 8)[0], i + 12
        elif vr in short_vrs:
            start = i + 8
        else:
            return None
        if length == 0xFFFFFFFF:
            return None
        i = start + length
        if tag == 0x00020010:
            syntax = buf[start:i]
    if syntax is None or group == 0:  # no transfer syntax; command set elements
        return None
    syntax = syntax.rstrip(b"\0 ")
    if syntax == _IMPLICIT:
        implicit = True
    elif syntax == _EXPLICIT or syntax.startswith(_ENCAPSULATED):
        implicit = False
    else:
        return None
    if (0x40 < buf[i + 4] < 0x5B and 0x40 < buf[i + 5] < 0x5B) == implicit:
        return None  # pydicom would switch VR encoding on the first element
    raw: dict[int, tuple[bytes | None, bytes]] = {}
    last, end = -1, n - 12
    header_size, explicit_head, implicit_head, long = _HEADER_SIZE.get, _EXPLICIT_HEAD, _IMPLICIT_HEAD, _LONG
    while True:
        if i > end:
            return MORE if n < size and n < MAX_HEADER else None
        if implicit:
            group, element, length = implicit_head(buf, i)
            vr, start = None, i + 8
        else:
            group, element, vr, length = explicit_head(buf, i)
            head_size = header_size(vr)
            if head_size is None:
                return None
            if head_size == 12:
                length = long(buf, i + 8)[0]
            start = i + head_size
        tag = group << 16 | element
        # tags must increase; an undefined length is fine on the pixel data only
        if (tag <= last or length == 0xFFFFFFFF) and (tag <= last or tag < _PIXEL_STOPS):
            return None
        if tag >= _PIXEL_STOPS:
            break
        last = tag
        i = start + length
        if tag in wanted:
            if vr == b"SQ":  # a sequence where a value is expected: pydicom says what it makes of it
                return None
            raw[tag] = (vr, buf[start:i])
    if tag != _PIXEL_DATA or not (implicit or vr in long_vrs):
        return None
    return (implicit, raw) if length == 0xFFFFFFFF or start + length <= size else None


# -- layouts: the files of a series share their header layout -----------------------------------------
_SHORT = struct.Struct("<H").unpack_from
_PIXEL_STEP = -2
_MAX_LAYOUTS = 8
_LAYOUTS: list[_Layout] = []  # most recently used first, in this process


class _Layout:
    """The element layout of a header :func:`walk` accepted, with the elements seen to vary.

    ``steps`` go from byte 132 to the pixel data element: a ``bytes`` step is a run of
    whole elements (headers and values) that must recur byte for byte; a tuple step is one
    varying element ``(tag and VR bytes, header size, tag if wanted else -1, VR)`` whose
    length and value may change.  A file matching every step is walked exactly as the
    first one was (same tags, VRs and defined lengths in the same order, the same transfer
    syntax), so :func:`walk` would accept it with the values read here.
    """

    __slots__ = ("buf", "constant", "elements", "implicit", "signature", "steps", "varying")

    def __init__(self, buf: bytes, implicit: bool, elements: list[tuple[int, int, int, int, bytes | None]]) -> None:
        self.buf, self.implicit, self.elements = buf, implicit, elements
        self.signature = [(tag, vr) for _, _, _, tag, vr in elements]
        self.varying: set[int] = {len(elements) - 1}  # the pixel data element
        self.steps: list = []
        self.constant: dict[int, tuple[bytes | None, bytes]] = {}
        self._build()

    def _build(self) -> None:
        wanted, buf = _wanted(), self.buf
        steps: list = []
        constant = {}
        run = None
        for k, (offset, head, length, tag, vr) in enumerate(self.elements):
            if k in self.varying:
                if run is not None:
                    steps.append(buf[run:offset])
                    run = None
                prefix = buf[offset : offset + (4 if vr is None else 6)]
                mark = _PIXEL_STEP if k == len(self.elements) - 1 else tag if tag in wanted else -1
                steps.append((prefix, head, mark, vr))
            else:
                if run is None:
                    run = offset
                if tag in wanted:
                    constant[tag] = (vr, buf[offset + head : offset + head + length])
        self.steps, self.constant = steps, constant

    def learn(self, buf: bytes, elements: list) -> bool:
        """Mark the elements in which the header ``buf`` differs; False when its layout is another."""
        if [(tag, vr) for _, _, _, tag, vr in elements] != self.signature:
            return False
        mine = self.buf
        first = next(k for k, (_, _, _, tag, _) in enumerate(elements) if tag >> 16 != 2)
        changed = set()
        for k, ((o1, h1, n1, tag, _), (o2, h2, n2, _, _)) in enumerate(zip(self.elements, elements)):
            if mine[o1 : o1 + h1 + n1] != buf[o2 : o2 + h2 + n2]:
                if tag == 0x00020010 or (k == first and self.implicit):
                    return False  # another transfer syntax; pydicom's look at the first element's VR
                changed.add(k)
        self.varying |= changed
        self._build()
        return True

    def match(self, buf: bytes, size: int) -> tuple[bool, dict[int, tuple[bytes | None, bytes]]] | None:
        """What :func:`walk` gives for ``buf``, when ``buf`` has this layout; None otherwise."""
        raw = dict(self.constant)
        i = 132
        n = len(buf)
        for step in self.steps:
            if step.__class__ is bytes:
                j = i + len(step)
                if buf[i:j] != step:
                    return None
                i = j
                continue
            prefix, head, tag, vr = step
            if i + 12 > n or buf[i : i + len(prefix)] != prefix:
                return None
            if vr is None:
                length = _LONG(buf, i + 4)[0]
            elif head == 12:
                length = _LONG(buf, i + 8)[0]
            else:
                length = _SHORT(buf, i + 6)[0]
            start = i + head
            if tag == _PIXEL_STEP:
                return (self.implicit, raw) if length == 0xFFFFFFFF or start + length <= size else None
            if length == 0xFFFFFFFF:
                return None
            i = start + length
            if tag >= 0:
                raw[tag] = (vr, buf[start:i])
        return None  # pragma: no cover - the last step is the pixel data element


def _elements(buf: bytes, implicit: bool) -> list[tuple[int, int, int, int, bytes | None]]:
    """``(offset, header size, length, tag, VR)`` of each element from byte 132 to the pixel data, of a
    header :func:`walk` accepted."""
    out = []
    i, meta = 132, True
    while True:
        group, element, vr, length = _EXPLICIT_HEAD(buf, i)
        if meta and group != 2:
            meta = False
        if implicit and not meta:
            group, element, length = _IMPLICIT_HEAD(buf, i)
            vr, head = None, 8
        else:
            head = _HEADER_SIZE[vr]
            if head == 12:
                length = _LONG(buf, i + 8)[0]
        tag = group << 16 | element
        out.append((i, head, length, tag, vr))
        if tag >= _PIXEL_STOPS:
            return out
        i += head + length


def read_raw(buf: bytes, size: int) -> tuple[bool, dict[int, tuple[bytes | None, bytes]]] | _More | None:
    """:func:`walk`, quicker on the files of a series: the layout of the headers seen is kept and matched first.

    Examples
    --------
    >>> from pydicom.data import get_testdata_file
    >>> from pathlib import Path
    >>> data = Path(get_testdata_file("CT_small.dcm")).read_bytes()
    >>> read_raw(data[:8192], len(data)) == walk(data[:8192], len(data))
    True
    >>> read_raw(data[:8192], len(data)) == walk(data[:8192], len(data))  # from the layout this time
    True
    >>> clear_layouts()
    """
    if len(buf) >= 144 and buf[128:132] == b"DICM":
        for k, layout in enumerate(_LAYOUTS):
            matched = layout.match(buf, size)
            if matched is not None:
                if k:
                    _LAYOUTS.insert(0, _LAYOUTS.pop(k))
                return matched
    got = walk(buf, size)
    if isinstance(got, tuple):
        elements = _elements(buf, got[0])
        header = buf[: elements[-1][0] + 12]
        for k, layout in enumerate(_LAYOUTS):
            if layout.implicit == got[0] and layout.learn(header, elements):
                if k:
                    _LAYOUTS.insert(0, _LAYOUTS.pop(k))
                break
        else:
            _LAYOUTS.insert(0, _Layout(header, got[0], elements))
            del _LAYOUTS[_MAX_LAYOUTS:]
    return got


def clear_layouts() -> None:
    """Forget the layouts kept by :func:`read_raw` in this process."""
    _LAYOUTS.clear()
