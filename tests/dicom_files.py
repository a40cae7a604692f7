"""Small, valid CT image files written with pydicom, for the tests that read DICOM."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path

import numpy as np


def write_ct(path: Path, *, header: Mapping[str, object], pixels: tuple[int, int] = (4, 4)) -> Path:
    """Write a CT image of ``pixels`` (rows, columns) to ``path``, creating its folder.

    ``header`` sets DICOM keywords (a value of None leaves the keyword out); the SOP
    instance UID is derived from the path, so every file is its own instance.
    """
    from pydicom.dataset import FileDataset, FileMetaDataset
    from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian

    sop = f"1.2.826.0.1.3680043.10.{int(hashlib.sha1(str(path).encode()).hexdigest()[:12], 16)}"
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID = CTImageStorage, sop
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset(str(path), {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID, ds.SOPInstanceUID = CTImageStorage, sop
    for keyword, value in header.items():
        if value is not None:
            setattr(ds, keyword, value)
    ds.Rows, ds.Columns = pixels
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 1
    ds.PixelData = np.arange(pixels[0] * pixels[1], dtype=np.int16).tobytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=True)
    return path
