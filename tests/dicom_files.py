"""Small, valid CT image files written with pydicom, for the tests that read DICOM."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path

import numpy as np


def write_ct(
    path: Path,
    *,
    header: Mapping[str, object],
    pixels: tuple[int, int] = (4, 4),
    transfer_syntax: str = "1.2.840.10008.1.2.1",
) -> Path:
    """Write a CT image of ``pixels`` (rows, columns) to ``path``, creating its folder.

    ``header`` sets DICOM keywords (a value of None leaves the keyword out); the SOP
    instance UID is derived from the path, so every file is its own instance.
    ``transfer_syntax`` is the UID of an uncompressed syntax (default explicit VR little
    endian; implicit VR ``1.2.840.10008.1.2``, big endian ``1.2.840.10008.1.2.2``,
    deflated ``1.2.840.10008.1.2.1.99``).
    """
    from pydicom.dataset import FileDataset, FileMetaDataset
    from pydicom.uid import UID, CTImageStorage

    sop = UID(f"1.2.826.0.1.3680043.10.{int(hashlib.sha1(str(path).encode()).hexdigest()[:12], 16)}")
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID = CTImageStorage, sop
    meta.TransferSyntaxUID = UID(transfer_syntax)
    ds = FileDataset(str(path), {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID, ds.SOPInstanceUID = CTImageStorage, sop
    for keyword, value in header.items():
        if value is not None:
            setattr(ds, keyword, value)
    ds.Rows, ds.Columns = pixels
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 1
    big = transfer_syntax == "1.2.840.10008.1.2.2"
    ds.PixelData = np.arange(pixels[0] * pixels[1], dtype=">i2" if big else "<i2").tobytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    if big:
        from pydicom import dcmwrite

        ds.preamble = b"\0" * 128  # a file with file meta, written big endian
        dcmwrite(path, ds, implicit_vr=False, little_endian=False, force_encoding=True)
    else:
        ds.save_as(path, enforce_file_format=True)
    return path


def scan_in_thread(*args, **kwargs):
    """``hemstats.io.dicom.scan_dicom(*args, **kwargs)`` in a thread that must end within a minute.

    A scan that blocks (on a FIFO, say) fails the test instead of hanging the suite.
    """
    import threading

    from hemstats.io.dicom import scan_dicom

    out: dict = {}

    def run() -> None:
        try:
            out["scan"] = scan_dicom(*args, **kwargs)
        except BaseException as exc:
            out["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout=60)
    assert not thread.is_alive(), "scan_dicom blocked"
    if "error" in out:
        raise out["error"]
    return out["scan"]
