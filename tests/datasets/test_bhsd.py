"""BHSD adapter on an nnU-Net tree written by the test, and the real official split."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hemstats.datasets import bhsd, get_adapter
from hemstats.errors import DataFormatError

AFFINE = np.diag([0.5, 0.5, 5.0, 1.0])
VOXEL_ML = 0.5 * 0.5 * 5.0 / 1000


def save(path: Path, data: np.ndarray, affine: np.ndarray = AFFINE) -> None:
    import nibabel as nib

    path.parent.mkdir(parents=True, exist_ok=True)
    nib.save(nib.Nifti1Image(data, affine), path)


@pytest.fixture()
def root(tmp_path: Path) -> Path:
    """Train A (EDH 4 + SDH 2 voxels), train B (no bleed), test C (no mask), 6 slices each."""
    spec = {
        "labels": {
            "0": "background",
            "1": "epidural",
            "2": "intraparenchymal",
            "3": "intraventricular",
            "4": "subarachnoid",
            "5": "subdural",
        },
        "numTraining": 2,
        "numTest": 1,
        "training": [
            {"image": f"./imagesTr/ID_aa_ID_{s}.nii.gz", "label": f"./labelsTr/ID_aa_ID_{s}.nii.gz"}
            for s in ("01", "02")
        ],
        "test": ["./imagesTs/ID_cc_ID_03.nii.gz"],
    }
    (tmp_path / "dataset.json").write_text(json.dumps(spec))
    volume = np.zeros((8, 8, 6), dtype=np.int16)
    a = np.zeros((8, 8, 6), dtype=np.uint8)
    a[0:2, 0:2, 2] = 1
    a[7, 6:8, 4] = 5
    save(tmp_path / "imagesTr" / "ID_aa_ID_01_0000.nii.gz", volume)  # nnU-Net channel suffix
    save(tmp_path / "labelsTr" / "ID_aa_ID_01.nii.gz", a)
    save(tmp_path / "imagesTr" / "ID_aa_ID_02.nii.gz", volume)
    save(tmp_path / "labelsTr" / "ID_aa_ID_02.nii.gz", np.zeros_like(a))
    save(tmp_path / "imagesTs" / "ID_cc_ID_03.nii.gz", volume[:, :, :5])
    return tmp_path


def test_studies_split_and_geometry(root: Path) -> None:
    cohort = bhsd.load(root)
    s = cohort.studies.set_index("study_id")
    assert s.index.tolist() == ["ID_aa_ID_01", "ID_aa_ID_02", "ID_cc_ID_03"]
    assert s["split"].tolist() == ["train", "train", "test"]
    assert s["patient_id"].tolist() == ["ID_aa", "ID_aa", "ID_cc"]
    assert s["n_slices"].tolist() == [6, 6, 5]
    assert s["slice_thickness_mm"].tolist() == [5.0, 5.0, 5.0]
    assert set(cohort.studies["dataset"]) == {"bhsd"}


def test_lesions_from_mask_voxels_and_header_spacing(root: Path) -> None:
    les = bhsd.load(root).lesions
    a = les[les.study_id == "ID_aa_ID_01"].set_index("finding")
    assert a.loc["edh", "voxels"] == 4 and a.loc["sdh", "voxels"] == 2 and a.loc["iph", "voxels"] == 0
    assert a.loc["edh", "volume_ml"] == pytest.approx(4 * VOXEL_ML)
    assert a.loc["sdh", "volume_ml"] == pytest.approx(2 * VOXEL_ML)
    assert len(les) == 10  # 5 subtypes x 2 masked studies; the unmasked test study has none
    assert "ID_cc_ID_03" not in set(les.study_id)


def test_study_labels_follow_from_masks(root: Path) -> None:
    lab = bhsd.load(root).labels
    assert set(lab["level"]) == {"study"} and set(lab["rater"]) == {"consensus"}
    a = lab[lab.study_id == "ID_aa_ID_01"].set_index("finding")["value"].to_dict()
    assert a == {"any": 1, "edh": 1, "sdh": 1, "sah": 0, "iph": 0, "ivh": 0}
    b = lab[lab.study_id == "ID_aa_ID_02"].set_index("finding")["value"].to_dict()
    assert set(b.values()) == {0} and len(b) == 6
    assert "ID_cc_ID_03" not in set(lab.study_id)  # no mask: missing, not negative


def test_registered_as_adapter(root: Path) -> None:
    assert get_adapter("bhsd")(root, name="bhsd_copy").datasets == ("bhsd_copy",)


def test_mask_off_grid_names_both_files(root: Path) -> None:
    save(root / "labelsTr" / "ID_aa_ID_02.nii.gz", np.zeros((8, 8, 5), np.uint8))
    with pytest.raises(DataFormatError, match=r"labelsTr/ID_aa_ID_02\.nii\.gz.*imagesTr/ID_aa_ID_02\.nii\.gz"):
        bhsd.load(root)
    save(root / "labelsTr" / "ID_aa_ID_02.nii.gz", np.zeros((8, 8, 6), np.uint8), np.diag([0.5, 0.5, 2.5, 1]))
    with pytest.raises(DataFormatError, match=r"labelsTr/ID_aa_ID_02\.nii\.gz and its image .*imagesTr/ID_aa_ID_02"):
        bhsd.load(root)


def test_mask_value_outside_the_five_classes(root: Path) -> None:
    bad = np.zeros((8, 8, 6), np.uint8)
    bad[0, 0, 0] = 7
    save(root / "labelsTr" / "ID_aa_ID_02.nii.gz", bad)
    with pytest.raises(DataFormatError, match=r"^labelsTr/ID_aa_ID_02\.nii\.gz: mask holds values \[7\] \(1 voxels\); expected the labels \[0, 1, 2, 3, 4, 5\]"):
        bhsd.load(root)


def test_split_file_problems(root: Path) -> None:
    spec = json.loads((root / "dataset.json").read_text())
    (root / "dataset.json").write_text(json.dumps({**spec, "numTest": 2}))
    with pytest.raises(DataFormatError, match="numTest is 2 but 'test' lists 1"):
        bhsd.load(root)
    (root / "dataset.json").write_text(json.dumps({**spec, "test": ["./imagesTs/ID_aa_ID_01.nii.gz"]}))
    with pytest.raises(DataFormatError, match=r"more than once.*ID_aa_ID_01"):
        bhsd.load(root)
    (root / "dataset.json").write_text("{not json")
    with pytest.raises(DataFormatError, match="dataset.json: not valid JSON"):
        bhsd.load(root)
    (root / "dataset.json").unlink()
    with pytest.raises(DataFormatError, match="split file not found"):
        bhsd.load(root)
    assert bhsd.load(root, split_file=None).studies["split"].isna().all()


def test_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(DataFormatError, match="found neither"):
        bhsd.load(tmp_path, split_file=None)


def test_input_files_are_not_modified(root: Path) -> None:
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    bhsd.load(root)
    assert before == {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.mark.shared_data
def test_real_official_split_is_96_96(shared_data: Path) -> None:
    cohort = bhsd.load(shared_data / "bhsd")
    assert cohort.studies["split"].value_counts().to_dict() == {"train": 96, "test": 96}
    assert len(cohort.labels) == 0 and len(cohort.lesions) == 0  # volumes are not public here
    headers = pd.read_csv(shared_data / "bhsd" / "BHSD_nifti_headers.csv", usecols=["filename"])
    names = {bhsd.study_key(f) for f in headers["filename"]}
    assert names == set(cohort.studies["study_id"])


@pytest.mark.parametrize("value, shown", [(0.5, "0.5"), (np.nan, "nan"), (-1.0, "-1")])
def test_float_mask_values_are_named(root: Path, value, shown) -> None:
    bad = np.zeros((8, 8, 6), np.float32)
    bad[0, 0, 0] = value
    save(root / "labelsTr" / "ID_aa_ID_02.nii.gz", bad)
    with pytest.raises(DataFormatError, match=rf"^labelsTr/ID_aa_ID_02\.nii\.gz: mask holds values \[{shown}\]"):
        bhsd.load(root, split_file=None)


def test_root_is_a_file_and_option_types(root: Path) -> None:
    from hemstats.errors import ManifestError

    with pytest.raises(DataFormatError, match=r"^dataset folder 'dataset.json' is a file"):
        bhsd.load(root / "dataset.json")
    with pytest.raises(ManifestError, match=r"options.image_dirs: expected a list of text, got str 'imagesTr'"):
        bhsd.load(root, image_dirs="imagesTr")
