"""NIfTI volumes and label masks read with nibabel: geometry, grid checks, lesion volumes.

Examples
--------
>>> import tempfile, nibabel as nib
>>> mask = np.zeros((4, 4, 3), dtype=np.uint8)
>>> mask[0, 0, :2] = 2
>>> with tempfile.TemporaryDirectory() as tmp:
...     path = Path(tmp, "mask.nii.gz")
...     nib.save(nib.Nifti1Image(mask, np.diag([0.5, 0.5, 5.0, 1.0])), path)
...     header = read_header(path)
...     volumes = label_volumes(path, labels={1: "edh", 2: "iph"})
>>> header.shape, header.spacing
((4, 4, 3), (0.5, 0.5, 5.0))
>>> volumes
   label finding  voxels  volume_ml
0      1     edh       0     0.0000
1      2     iph       2     0.0025
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from hemstats.errors import DataFormatError

__all__ = ["AFFINE_ATOL", "VolumeHeader", "read_header", "read_labels", "label_volumes", "check_same_grid"]

#: Absolute tolerance, in mm, of :func:`check_same_grid` on every affine entry
#: (``np.allclose(a, b, rtol=0, atol=AFFINE_ATOL)``): well below any voxel size,
#: above the float32 rounding of affines written by different tools.
AFFINE_ATOL = 1e-3

_UNIT_TO_MM = {"mm": 1.0, "meter": 1000.0, "micron": 0.001, "unknown": 1.0}


@dataclass(frozen=True)
class VolumeHeader:
    """Geometry of a NIfTI file, from its header only (no voxel data read).

    Attributes
    ----------
    path : pathlib.Path
    shape : tuple of int
        Array shape with trailing singleton dimensions dropped (at least 3 kept).
    spacing : tuple of float
        Voxel size in mm along the first three axes (header ``pixdim``; spatial units
        other than mm converted, unknown units taken as mm).
    affine : numpy.ndarray
        The 4x4 voxel-to-world affine nibabel chooses (sform, else qform).
    dtype : str
        On-disk data type.
    """

    path: Path
    shape: tuple[int, ...]
    spacing: tuple[float, float, float]
    affine: np.ndarray
    dtype: str

    @property
    def voxel_ml(self) -> float:
        """Volume of one voxel in millilitres."""
        return float(np.prod(self.spacing)) / 1000.0


def _load(path: str | Path):
    import nibabel as nib

    p = Path(path)
    if not p.is_file():
        raise DataFormatError(f"{p}: NIfTI file not found")
    try:
        return nib.load(p)
    except Exception as exc:  # noqa: BLE001 - nibabel raises many types for bad files
        raise DataFormatError(f"{p}: not a readable NIfTI file ({type(exc).__name__}: {exc})") from None


def _header_of(img, path: Path) -> VolumeHeader:
    shape = tuple(int(n) for n in img.shape)
    while len(shape) > 3 and shape[-1] == 1:
        shape = shape[:-1]
    if len(shape) < 3:
        raise DataFormatError(f"{path}: expected a 3D volume, got shape {shape}")
    try:
        unit = img.header.get_xyzt_units()[0]
    except Exception:  # noqa: BLE001 - headers without units (e.g. Analyze)
        unit = "unknown"
    zooms = tuple(float(z) * _UNIT_TO_MM.get(unit, 1.0) for z in img.header.get_zooms()[:3])
    if any(not np.isfinite(z) or z <= 0 for z in zooms):
        raise DataFormatError(f"{path}: expected positive voxel sizes in the header, got {zooms}")
    return VolumeHeader(path, shape, zooms, np.asarray(img.affine, dtype=float), str(img.get_data_dtype()))


def read_header(path: str | Path) -> VolumeHeader:
    """Shape, voxel spacing and affine of a NIfTI file (header only).

    Raises
    ------
    DataFormatError
        When the file is missing, unreadable or not 3D.
    """
    return _header_of(_load(path), Path(path))


def read_labels(path: str | Path) -> tuple[VolumeHeader, np.ndarray]:
    """The header and the integer label array of a mask.

    Raises
    ------
    DataFormatError
        When the file cannot be read (e.g. truncated) or holds values that are
        not whole numbers >= 0.
    """
    p = Path(path)
    img = _load(p)
    header = _header_of(img, p)
    try:
        data = np.asanyarray(img.dataobj)
    except Exception as exc:  # noqa: BLE001 - truncated gzip, short file, ...
        raise DataFormatError(f"{p}: cannot read the voxel data ({type(exc).__name__}: {exc})") from None
    data = data.reshape(header.shape)
    if data.dtype.kind == "f":
        finite = np.isfinite(data)
        if not finite.all() or (data != np.round(data)).any():
            raise DataFormatError(f"{p}: expected a label mask of whole numbers, found non-integer or NaN values")
    if data.dtype.kind in "fi" and data.size and data.min() < 0:
        raise DataFormatError(f"{p}: expected labels >= 0, found {data.min()}")
    if data.dtype.kind not in "fiub":
        raise DataFormatError(f"{p}: expected a numeric label mask, got dtype {data.dtype}")
    return header, data.astype(np.int64, copy=False)


def label_volumes(
    mask_path: str | Path,
    *,
    labels: Mapping[int, str] | Sequence[int] | None = None,
    allow_unknown: bool = False,
) -> pd.DataFrame:
    """Voxels and volume in ml per label of a mask, from its header spacing.

    Parameters
    ----------
    mask_path : path
        A NIfTI label map (0 background).
    labels : mapping or sequence, optional
        The labels to report (all get a row, with 0 voxels when absent), with
        finding names when a mapping.  Default: every non-zero value present.
    allow_unknown : bool
        When False (default), a non-zero value not in ``labels`` raises.

    Returns
    -------
    pandas.DataFrame
        ``label`` (int), ``finding`` (text or missing), ``voxels`` (int),
        ``volume_ml`` (float: voxels x voxel volume / 1000).

    Raises
    ------
    DataFormatError
        Naming the file and the unexpected values.
    """
    header, data = read_labels(mask_path)
    counts = np.bincount(data.ravel()) if data.size else np.zeros(1, dtype=np.int64)
    present = [int(v) for v in np.flatnonzero(counts) if v != 0]
    if labels is None:
        names: dict[int, str | None] = {v: None for v in present}
    elif isinstance(labels, Mapping):
        names = {int(k): v for k, v in labels.items()}
    else:
        names = {int(k): None for k in labels}
    unknown = sorted(set(present) - set(names))
    if unknown and not allow_unknown:
        raise DataFormatError(
            f"{header.path}: mask holds label values {unknown} that are not among the expected {sorted(names)}"
        )
    rows = []
    for label, finding in names.items():
        n = int(counts[label]) if label < len(counts) else 0
        rows.append((label, finding, n, n * header.voxel_ml))
    out = pd.DataFrame(rows, columns=["label", "finding", "voxels", "volume_ml"])
    return out.astype({"label": "int64", "finding": "object", "voxels": "int64", "volume_ml": "float64"})


def check_same_grid(
    image: str | Path | VolumeHeader, mask: str | Path | VolumeHeader, *, atol: float = AFFINE_ATOL
) -> None:
    """Raise unless ``image`` and ``mask`` have the same shape and affine.

    Affines are compared with ``np.allclose(a, b, rtol=0, atol=atol)`` (mm).

    Raises
    ------
    DataFormatError
        Naming both files, the shapes or the largest affine difference.

    Examples
    --------
    >>> a = VolumeHeader(Path("ct.nii"), (4, 4, 3), (1.0, 1.0, 1.0), np.eye(4), "int16")
    >>> b = VolumeHeader(Path("mask.nii"), (4, 4, 2), (1.0, 1.0, 1.0), np.eye(4), "uint8")
    >>> check_same_grid(a, b)
    Traceback (most recent call last):
    ...
    hemstats.errors.DataFormatError: mask mask.nii has shape (4, 4, 2) but its image ct.nii has shape (4, 4, 3)
    """
    a = image if isinstance(image, VolumeHeader) else read_header(image)
    b = mask if isinstance(mask, VolumeHeader) else read_header(mask)
    if a.shape != b.shape:
        raise DataFormatError(f"mask {b.path} has shape {b.shape} but its image {a.path} has shape {a.shape}")
    if not np.allclose(a.affine, b.affine, rtol=0, atol=atol):
        worst = float(np.max(np.abs(a.affine - b.affine)))
        raise DataFormatError(
            f"mask {b.path} and its image {a.path} have different affines "
            f"(largest difference {worst:.4g} mm > {atol:g} mm)"
        )
