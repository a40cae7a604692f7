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

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hemstats.errors import DataFormatError

__all__ = [
    "AFFINE_ATOL",
    "VolumeHeader",
    "read_header",
    "read_labels",
    "label_volumes",
    "check_same_grid",
    "check_mask_values",
]

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
    shown : str
        How messages name the file (a path relative to the dataset root, or a
        pseudonym when the file name is an identifier); default the path.
    """

    path: Path
    shape: tuple[int, ...]
    spacing: tuple[float, float, float]
    affine: np.ndarray
    dtype: str
    shown: str = ""

    @property
    def name(self) -> str:
        """The file as messages name it."""
        return self.shown or str(self.path)

    @property
    def voxel_ml(self) -> float:
        """Volume of one voxel in millilitres."""
        return float(np.prod(self.spacing)) / 1000.0


def _load(path: str | Path, shown: str) -> Any:
    import nibabel as nib

    p = Path(path)
    if not p.is_file():
        raise DataFormatError(f"{shown}: NIfTI file not found")
    try:
        return nib.load(p)
    except Exception as exc:
        raise DataFormatError(f"{shown}: not a readable NIfTI file ({type(exc).__name__})") from None


def _header_of(img: Any, path: Path, shown: str) -> VolumeHeader:
    shape = tuple(int(n) for n in img.shape)
    while len(shape) > 3 and shape[-1] == 1:
        shape = shape[:-1]
    if len(shape) < 3:
        raise DataFormatError(f"{shown}: expected a 3D volume, got shape {shape}")
    try:
        unit = img.header.get_xyzt_units()[0]
    except Exception:
        unit = "unknown"
    to_mm = _UNIT_TO_MM.get(unit, 1.0)
    zx, zy, zz = (float(z) * to_mm for z in img.header.get_zooms()[:3])
    zooms = (zx, zy, zz)
    if any(not np.isfinite(z) or z <= 0 for z in zooms):
        raise DataFormatError(f"{shown}: expected positive voxel sizes in the header, got {zooms}")
    return VolumeHeader(path, shape, zooms, np.asarray(img.affine, dtype=float), str(img.get_data_dtype()), shown)


def read_header(path: str | Path, *, shown: str | None = None) -> VolumeHeader:
    """Shape, voxel spacing and affine of a NIfTI file (header only).

    ``shown`` is how messages name the file (default: the path).

    Raises
    ------
    DataFormatError
        When the file is missing, unreadable or not 3D.
    """
    name = shown or str(path)
    return _header_of(_load(path, name), Path(path), name)


def check_mask_values(data: np.ndarray, allowed: Collection[int] | None, *, shown: str) -> None:
    """Raise unless every voxel is a finite whole number in ``allowed`` (any whole number >= 0 when None).

    The one check of mask values against an adapter's vocabulary (PhysioNet ``{0, 1}``,
    BHSD ``0..5``, ...).

    Raises
    ------
    DataFormatError
        Naming the file (``shown``), the offending values (up to five) and the expected ones.

    Examples
    --------
    >>> check_mask_values(np.array([0.0, 1.0, 0.5, np.nan, 7.0]), {0, 1}, shown="masks/049.nii")
    Traceback (most recent call last):
    ...
    hemstats.errors.DataFormatError: masks/049.nii: mask holds values [0.5, 7, nan] (3 voxels); expected the labels [0, 1] (finite whole numbers)
    """
    if data.dtype.kind not in "fiub":
        raise DataFormatError(f"{shown}: expected a numeric label mask, got dtype {data.dtype}")
    flat = np.asarray(data).ravel()
    if allowed is None:
        ok_values = None
        expected = "finite whole numbers >= 0"
    else:
        ok_values = np.array(sorted(int(a) for a in allowed))
        expected = f"the labels {ok_values.tolist()} (finite whole numbers)"
    if flat.dtype.kind == "f":
        whole = np.isfinite(flat) & (flat == np.round(flat))
    else:
        whole = np.ones(flat.shape, dtype=bool)
    good = whole & (flat >= 0) if ok_values is None else whole & np.isin(flat, ok_values)
    if good.all():
        return
    bad = np.unique(flat[~good])  # NaN sorts last
    shown_values = ", ".join("nan" if np.isnan(v) else f"{v:g}" for v in bad[:5].astype(float))
    more = ", ..." if len(bad) > 5 else ""
    raise DataFormatError(
        f"{shown}: mask holds values [{shown_values}{more}] ({int((~good).sum())} voxels); expected {expected}"
    )


def read_labels(
    path: str | Path, *, allowed: Collection[int] | None = None, shown: str | None = None
) -> tuple[VolumeHeader, np.ndarray]:
    """The header and the integer label array of a mask.

    Parameters
    ----------
    path : path
        The mask file.
    allowed : collection of int, optional
        The mask vocabulary (background 0 included); default any whole number >= 0.
    shown : str, optional
        How messages name the file (default: the path).

    Raises
    ------
    DataFormatError
        When the file cannot be read (e.g. truncated) or holds values that are not
        finite whole numbers in ``allowed`` (:func:`check_mask_values`).
    """
    name = shown or str(path)
    img = _load(path, name)
    header = _header_of(img, Path(path), name)
    try:
        data = np.asanyarray(img.dataobj)
    except Exception as exc:
        raise DataFormatError(f"{name}: cannot read the voxel data ({type(exc).__name__})") from None
    data = data.reshape(header.shape)
    check_mask_values(data, allowed, shown=name)
    return header, data.astype(np.int64, copy=False)


def label_volumes(
    mask_path: str | Path,
    *,
    labels: Mapping[int, str] | Sequence[int] | None = None,
    allow_unknown: bool = False,
    shown: str | None = None,
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
    shown : str, optional
        How messages name the file (default: the path).

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
    allowed = None if labels is None or allow_unknown else {0, *(int(k) for k in labels)}
    header, data = read_labels(mask_path, allowed=allowed, shown=shown)
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
            f"{header.name}: mask holds label values {unknown} that are not among the expected {sorted(names)}"
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
        raise DataFormatError(f"mask {b.name} has shape {b.shape} but its image {a.name} has shape {a.shape}")
    if not np.allclose(a.affine, b.affine, rtol=0, atol=atol):
        worst = float(np.max(np.abs(a.affine - b.affine)))
        raise DataFormatError(
            f"mask {b.name} and its image {a.name} have different affines "
            f"(largest difference {worst:.4g} mm > {atol:g} mm)"
        )
