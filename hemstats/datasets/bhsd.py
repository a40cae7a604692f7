"""BHSD, the Brain Hemorrhage Segmentation Dataset (Wu et al. 2023): NIfTI volumes, 5-class masks.

Native layout (nnU-Net style, as ``dataset.json`` lists it)::

    <root>/dataset.json              official split: "training" [{image, label}], "test" [image]
    <root>/imagesTr/<id>.nii.gz      96 training volumes (``<id>_0000.nii.gz`` also accepted)
    <root>/labelsTr/<id>.nii.gz      their masks: 0 background, 1 EDH, 2 IPH, 3 IVH, 4 SAH, 5 SDH
    <root>/imagesTs/<id>.nii.gz      96 test volumes
    <root>/labelsTs/<id>.nii.gz      test masks, when your copy has them

Folder names can be changed with ``image_dirs`` and ``mask_dirs``.  Any part may be
absent: with ``dataset.json`` alone the studies and their split are listed and
everything read from volumes is missing.

``<id>`` is ``ID_<patient>_ID_<study>``, the RSNA 2019 pseudonyms the volumes came
with; ``study_id`` is the whole id and ``patient_id`` its first part (already a
public pseudonym, not a DICOM PatientID of a hospital).

Tables produced:

- ``studies``: ``split`` (``train``/``test`` from dataset.json, missing for a volume it
  does not list), ``n_slices`` (third axis of the volume) and ``slice_thickness_mm``
  (the third voxel size, ``pixdim[3]``: NIfTI stores slice *spacing*; BHSD has no
  separate thickness).
- ``lesions``: one row per study with a mask and subtype, ``voxels`` and ``volume_ml``
  (voxels x voxel volume from the mask header); zero voxels is a measured absence.
- ``labels``: study level, rater ``consensus``, the five subtypes plus ``any``, all
  derived from the masks (value 1 when the subtype has at least one voxel).  Studies
  without a mask have no labels (missing, not negative).

References
----------
Wu B. et al. BHSD: a 3D multi-class brain hemorrhage segmentation dataset. MLMI 2023,
LNCS 14348, 147-156.  arXiv:2308.11298.  https://github.com/White65534/BHSD
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from hemstats.cohort import Cohort
from hemstats.errors import DataFormatError
from hemstats.findings import DATASET_FINDINGS, SUBTYPES
from hemstats.io.nifti import check_same_grid, label_volumes, read_header
from hemstats.io.tables import check_options, dataset_root, relative_errors

__all__ = ["load", "read_split", "study_key"]

_ADAPTER = "bhsd"
_RSNA_ID = re.compile(r"^(ID_[0-9A-Fa-f]+)_(ID_[0-9A-Fa-f]+)$")
_NIFTI = re.compile(r"\.nii(\.gz)?$")


def study_key(path: str | Path) -> str:
    """The study id of a volume or mask file name (extension and ``_0000`` channel suffix dropped).

    Examples
    --------
    >>> study_key("./imagesTr/ID_0237f3c9_ID_40015688b9_0000.nii.gz")
    'ID_0237f3c9_ID_40015688b9'
    """
    name = _NIFTI.sub("", Path(str(path)).name)
    return re.sub(r"_0000$", "", name)


def read_split(path: str | Path) -> pd.Series:
    """The official split of ``dataset.json``: study id -> ``train`` or ``test``.

    Raises
    ------
    DataFormatError
        When the file is not JSON, lacks ``training``/``test``, its counts differ from
        ``numTraining``/``numTest``, or a study is listed twice.

    Examples
    --------
    >>> import tempfile
    >>> spec = {"numTraining": 1, "numTest": 1, "training": [{"image": "./imagesTr/A.nii.gz",
    ...         "label": "./labelsTr/A.nii.gz"}], "test": ["./imagesTs/B.nii.gz"]}
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     p = Path(tmp, "dataset.json")
    ...     _ = p.write_text(json.dumps(spec))
    ...     read_split(p).to_dict()
    {'A': 'train', 'B': 'test'}
    """
    path = Path(path)
    try:
        spec = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataFormatError(f"{path}: split file not found") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataFormatError(f"{path}: not valid JSON ({exc})") from None
    if (
        not isinstance(spec, dict)
        or not isinstance(spec.get("training"), list)
        or not isinstance(spec.get("test"), list)
    ):
        raise DataFormatError(f"{path}: expected a JSON object with 'training' and 'test' lists")
    entries: list[tuple[str, str]] = []
    for split, key, count_key in (("train", "training", "numTraining"), ("test", "test", "numTest")):
        items = spec[key]
        for i, item in enumerate(items):
            image = item.get("image") if isinstance(item, dict) else item
            if not isinstance(image, str) or not _NIFTI.search(image):
                raise DataFormatError(f"{path}: {key}[{i}] is not a NIfTI path: {item!r}")
            entries.append((study_key(image), split))
        declared = spec.get(count_key)
        if declared is not None and declared != len(items):
            raise DataFormatError(f"{path}: {count_key} is {declared} but '{key}' lists {len(items)} volumes")
    ids = [e[0] for e in entries]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise DataFormatError(f"{path}: studies listed more than once (or in both splits): {dupes[:5]}")
    return pd.Series(dict(entries), name="split", dtype=object)


def _files(root: Path, folders: Sequence[str]) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for folder in folders:
        base = root / folder
        if not base.is_dir():
            continue
        for path in sorted(base.iterdir()):
            if path.is_file() and _NIFTI.search(path.name):
                key = study_key(path)
                if key in found:
                    raise DataFormatError(f"{path}: a second file for study {key!r} (the first is {found[key]})")
                found[key] = path
    return found


def load(
    root: str | Path,
    *,
    name: str = _ADAPTER,
    split_file: str | None = "dataset.json",
    image_dirs: Sequence[str] = ("imagesTr", "imagesTs"),
    mask_dirs: Sequence[str] = ("labelsTr", "labelsTs"),
) -> Cohort:
    """Load BHSD from its native layout.

    Parameters
    ----------
    root : str or Path
        The dataset folder.
    name : str
        Value of the ``dataset`` column.
    split_file : str, optional
        The nnU-Net split file relative to ``root``; ``None`` to ignore it.  When given,
        it must exist.
    image_dirs, mask_dirs : sequence of str
        Folders of the volumes and of the masks, relative to ``root`` (absent ones skipped).

    Returns
    -------
    Cohort
        ``studies`` (split, n_slices, slice_thickness_mm), ``labels`` (study level,
        ``consensus``, ``any`` + five subtypes from the masks), ``lesions``
        (voxels, volume_ml per subtype).

    Raises
    ------
    DataFormatError
        A mask whose shape or affine differs from its volume's (naming both files), a
        mask value outside 0-5 or not a finite whole number (naming the file relative
        to ``root`` and the values), an unreadable NIfTI, a malformed split file, or a
        folder with neither volumes nor split file.

    Examples
    --------
    >>> import tempfile, nibabel as nib, numpy as np
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     root = Path(tmp)
    ...     for d in ("imagesTr", "labelsTr"):
    ...         (root / d).mkdir()
    ...     affine = np.diag([0.5, 0.5, 5.0, 1.0])
    ...     mask = np.zeros((8, 8, 4), dtype=np.uint8)
    ...     mask[:2, :2, 1] = 2                      # 4 voxels of IPH
    ...     nib.save(nib.Nifti1Image(np.zeros((8, 8, 4), np.int16), affine), root / "imagesTr/ID_a_ID_b.nii.gz")
    ...     nib.save(nib.Nifti1Image(mask, affine), root / "labelsTr/ID_a_ID_b.nii.gz")
    ...     cohort = load(root, split_file=None)
    >>> cohort.lesions.query("voxels > 0")[["finding", "voxels", "volume_ml"]].values.tolist()
    [['iph', 4, 0.005]]
    >>> cohort.labels.query("value == 1").finding.tolist()
    ['any', 'iph']
    >>> cohort.studies[["study_id", "patient_id", "n_slices", "slice_thickness_mm"]].values.tolist()
    [['ID_a_ID_b', 'ID_a', 4, 5.0]]
    """
    check_options(load, locals())
    root = dataset_root(root, holds="dataset.json, imagesTr/ and labelsTr/")
    with relative_errors(root):
        return _load(root, name, split_file, image_dirs, mask_dirs)


def _load(root: Path, name: str, split_file: str | None, image_dirs: Sequence[str], mask_dirs: Sequence[str]) -> Cohort:
    split = read_split(root / split_file) if split_file is not None else pd.Series(dtype=object)
    images = _files(root, image_dirs)
    masks = _files(root, mask_dirs)
    ids = sorted(set(split.index) | set(images) | set(masks))
    if not ids:
        raise DataFormatError(
            f"{root.name}: expected {split_file or 'a split file'} or NIfTI volumes in {list(image_dirs)}; found neither"
        )

    mapping = DATASET_FINDINGS[_ADAPTER]
    study_rows, lesion_rows, label_rows = [], [], []
    for sid in ids:
        header = read_header(images[sid]) if sid in images else None
        if sid in masks:
            if header is not None:
                check_same_grid(header, masks[sid])
            else:
                header = read_header(masks[sid])
            volumes = label_volumes(masks[sid], labels=mapping)
            for row in volumes.itertuples(index=False):
                lesion_rows.append((sid, row.finding, row.voxels, row.volume_ml))
            present = {row.finding: int(row.voxels > 0) for row in volumes.itertuples(index=False)}
            label_rows.append((sid, "any", int(any(present.values()))))
            label_rows.extend((sid, f, present[f]) for f in SUBTYPES)
        m = _RSNA_ID.match(sid)
        study_rows.append(
            {
                "study_id": sid,
                "patient_id": m.group(1) if m else sid,
                "split": split.get(sid),
                "n_slices": header.shape[2] if header is not None else pd.NA,
                "slice_thickness_mm": header.spacing[2] if header is not None else pd.NA,
            }
        )

    studies = pd.DataFrame(study_rows).assign(dataset=name)
    lesions = pd.DataFrame(lesion_rows, columns=["study_id", "finding", "voxels", "volume_ml"]).assign(dataset=name)
    labels = pd.DataFrame(label_rows, columns=["study_id", "finding", "value"]).assign(
        dataset=name, slice_id=pd.NA, level="study", rater="consensus"
    )
    info = {
        name: {
            "adapter": _ADAPTER,
            "synthetic": False,
            "n_volumes": len(images),
            "n_masks": len(masks),
            "split_file": split_file,
        }
    }
    return Cohort(studies, labels=labels, lesions=lesions, info=info)
