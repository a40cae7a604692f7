"""NIfTI headers, label volumes and grid checks on files written by nibabel (and the real template)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hemstats.errors import DataFormatError
from hemstats.io.nifti import AFFINE_ATOL, check_same_grid, label_volumes, read_header, read_labels

AFFINE = np.array([[-0.5, 0, 0, 120.0], [0, 0.5, 0, -100.0], [0, 0, 5.0, -40.0], [0, 0, 0, 1]])


def save(path: Path, data: np.ndarray, affine: np.ndarray = AFFINE, unit: str | None = None) -> Path:
    import nibabel as nib

    img = nib.Nifti1Image(data, affine)
    if unit is not None:
        img.header.set_xyzt_units(xyz=unit)
    nib.save(img, path)
    return path


@pytest.fixture()
def mask(tmp_path: Path) -> Path:
    data = np.zeros((10, 12, 4), dtype=np.uint8)
    data[0:2, 0:3, 0] = 1  # 6 voxels
    data[5, 5, 1:4] = 3  # 3 voxels
    return save(tmp_path / "mask.nii.gz", data)


def test_read_header(mask: Path) -> None:
    h = read_header(mask)
    assert h.shape == (10, 12, 4)
    assert h.spacing == (0.5, 0.5, 5.0)
    np.testing.assert_allclose(h.affine, AFFINE)
    assert h.voxel_ml == pytest.approx(1.25 / 1000)
    assert h.dtype == "uint8"


def test_spatial_units_are_converted_to_mm(tmp_path: Path) -> None:
    path = save(tmp_path / "m.nii", np.zeros((2, 2, 2), np.uint8), np.diag([0.001, 0.001, 0.002, 1]), unit="meter")
    assert read_header(path).spacing == pytest.approx((1.0, 1.0, 2.0))


def test_label_volumes_counts_and_ml(mask: Path) -> None:
    out = label_volumes(mask, labels={1: "edh", 2: "iph", 3: "ivh"})
    assert out["label"].tolist() == [1, 2, 3]
    assert out["finding"].tolist() == ["edh", "iph", "ivh"]
    assert out["voxels"].tolist() == [6, 0, 3]
    np.testing.assert_allclose(out["volume_ml"], [6 * 1.25e-3, 0.0, 3 * 1.25e-3])
    present = label_volumes(mask)
    assert present["label"].tolist() == [1, 3]


def test_unknown_label_names_the_file(mask: Path) -> None:
    with pytest.raises(DataFormatError, match=r"mask\.nii\.gz.*\[3\]"):
        label_volumes(mask, labels=[1, 2])
    assert label_volumes(mask, labels=[1, 2], allow_unknown=True)["voxels"].tolist() == [6, 0]


def test_float_masks_must_hold_whole_numbers(tmp_path: Path) -> None:
    ok = save(tmp_path / "ok.nii", np.array([[[0.0, 1.0], [1.0, 0.0]]] * 2, dtype=np.float32))
    assert read_labels(ok)[1].sum() == 4
    bad = save(tmp_path / "bad.nii", np.full((2, 2, 2), 0.5, dtype=np.float32))
    with pytest.raises(DataFormatError, match=r"bad\.nii: mask holds values \[0\.5\] \(8 voxels\)"):
        label_volumes(bad)
    neg = save(tmp_path / "neg.nii", np.full((2, 2, 2), -1, dtype=np.int16))
    with pytest.raises(DataFormatError, match=r"neg\.nii: mask holds values \[-1\].*whole numbers >= 0"):
        label_volumes(neg)


@pytest.mark.parametrize(
    "values, shown",
    [([0, 2], "2"), ([0, 7], "7"), ([0.0, 0.5], "0.5"), ([0.0, np.nan], "nan"), ([1.0, np.inf], "inf")],
)
def test_mask_values_checked_against_the_vocabulary(tmp_path: Path, values, shown) -> None:
    data = np.array(values * 4, dtype=np.float32 if isinstance(values[1], float) else np.uint8).reshape(2, 2, 2)
    path = save(tmp_path / "m.nii", data)
    with pytest.raises(DataFormatError, match=rf"m\.nii: mask holds values \[{shown}\].*expected the labels \[0, 1\]"):
        read_labels(path, allowed={0, 1})
    with pytest.raises(DataFormatError, match=r"masks/049\.nii: mask holds"):
        read_labels(path, allowed={0, 1}, shown="masks/049.nii")


def test_shown_name_replaces_the_path(tmp_path: Path) -> None:
    image = save(tmp_path / "Jane_Doe.nii.gz", np.zeros((4, 4, 3), np.int16))
    mask = save(tmp_path / "Jane_Doe_mask.nii.gz", np.zeros((4, 4, 2), np.uint8))
    with pytest.raises(DataFormatError) as info:
        check_same_grid(read_header(image, shown="exam #1"), read_header(mask, shown="mask of exam #1"))
    assert "Jane" not in str(info.value) and "exam #1" in str(info.value)


def test_check_same_grid(tmp_path: Path) -> None:
    image = save(tmp_path / "ct.nii.gz", np.zeros((10, 12, 4), np.int16))
    same = save(tmp_path / "same.nii.gz", np.zeros((10, 12, 4), np.uint8), AFFINE + AFFINE_ATOL / 10)
    check_same_grid(image, same)  # within tolerance: no error
    short = save(tmp_path / "short.nii.gz", np.zeros((10, 12, 3), np.uint8))
    with pytest.raises(DataFormatError, match=r"short\.nii\.gz has shape \(10, 12, 3\).*ct\.nii\.gz has shape"):
        check_same_grid(image, short)
    shifted = AFFINE.copy()
    shifted[2, 3] += 2.5
    moved = save(tmp_path / "moved.nii.gz", np.zeros((10, 12, 4), np.uint8), shifted)
    with pytest.raises(DataFormatError, match=r"moved\.nii\.gz and its image .*ct\.nii\.gz have different affines"):
        check_same_grid(image, moved)


def test_unreadable_files_name_the_file(tmp_path: Path, mask: Path) -> None:
    with pytest.raises(DataFormatError, match="nope.nii.gz: NIfTI file not found"):
        read_header(tmp_path / "nope.nii.gz")
    junk = tmp_path / "junk.nii"
    junk.write_bytes(b"not a nifti file at all" * 20)
    with pytest.raises(DataFormatError, match="junk.nii: not a readable NIfTI file"):
        read_header(junk)
    cut = tmp_path / "cut.nii.gz"
    cut.write_bytes(mask.read_bytes()[:-40])
    with pytest.raises(DataFormatError, match="cut.nii.gz"):
        label_volumes(cut)


def test_2d_files_are_rejected(tmp_path: Path) -> None:
    flat = save(tmp_path / "flat.nii", np.zeros((4, 4), np.uint8), np.eye(4))
    with pytest.raises(DataFormatError, match="expected a 3D volume"):
        read_header(flat)


@pytest.mark.shared_data
def test_real_template_and_brain_mask(shared_data: Path) -> None:
    folder = shared_data / "sample_nifti"
    image, mask = folder / "scct_unsmooth_SS_0.01.nii.gz", folder / "scct_unsmooth_SS_0.01_Mask.nii.gz"
    h = read_header(image)
    assert h.shape == (181, 217, 181)
    assert h.spacing == pytest.approx((1.0, 1.0, 1.0))
    check_same_grid(image, mask)
    out = label_volumes(mask, labels={1: "brain"})
    voxels = int(out["voxels"].item())
    assert 1_000_000 < voxels < 2_000_000  # an adult brain: 1.0-2.0 litres
    assert out["volume_ml"].item() == pytest.approx(voxels / 1000)
