"""Hemorica adapter on the derived CSV layout and on a NIfTI image + mask pair written by the test."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hemstats.datasets import get_adapter, hemorica
from hemstats.errors import DataFormatError
from hemstats.privacy import pseudonymize

SALT = "hemorica-test"
HEADER = "patient_name,slice_number,hemorrhage_binary,EPH,SDH,SAH,ICH,IVH\n"


@pytest.fixture()
def root(tmp_path: Path) -> Path:
    """Derived export: train.csv (2 exams) and test.csv (1 exam), mixed truthy spellings, one blank."""
    (tmp_path / "train.csv").write_text(
        HEADER
        + "Ali Rezaei,0,0,0,0,0,0,0\n"
        + "Ali Rezaei,1,1,true,0,0,YES,0\n"
        + "Ali Rezaei,2,1.0,0,0,0,1,0\n"
        + "Sara K ,0,0,0,0,0,0,\n"  # IVH blank: missing, not 0
        + "Sara K ,1,0,no,0,0,0,0\n"
    )
    (tmp_path / "test.csv").write_text(HEADER + "exam-3,0,1,0,1,0,0,0\nexam-3,1,0,0,0,0,0,0\n")
    return tmp_path


def _by_key(cohort, keys):
    ids = dict(zip(pseudonymize(keys, salt=SALT), keys))
    return cohort.labels.assign(key=cohort.labels["study_id"].map(ids))


def test_slice_labels_map_eph_and_ich(root: Path) -> None:
    cohort = hemorica.load(root, salt=SALT)
    lab = _by_key(cohort, ["Ali Rezaei", "Sara K", "exam-3"])
    sl = lab[lab.level == "slice"]
    ali1 = sl[(sl.key == "Ali Rezaei") & (sl.slice_id == "1")].set_index("finding")["value"].to_dict()
    assert ali1 == {"any": 1, "edh": 1, "sdh": 0, "sah": 0, "iph": 1, "ivh": 0}  # EPH -> edh, ICH -> iph
    sara0 = sl[(sl.key == "Sara K") & (sl.slice_id == "0")]
    assert "ivh" not in set(sara0.finding)  # the blank cell gives no row
    assert len(sl) == 7 * 6 - 1


def test_study_labels_derived_from_slices_with_a_note(root: Path) -> None:
    cohort = hemorica.load(root, salt=SALT)
    lab = _by_key(cohort, ["Ali Rezaei", "Sara K", "exam-3"])
    st = lab[lab.level == "study"]
    ali = st[st.key == "Ali Rezaei"].set_index("finding")["value"].to_dict()
    assert ali == {"any": 1, "edh": 1, "sdh": 0, "sah": 0, "iph": 1, "ivh": 0}
    sara = st[st.key == "Sara K"].set_index("finding")["value"].to_dict()
    assert "ivh" not in sara  # one slice blank, the other 0: unknown at study level
    assert sara["any"] == 0
    exam3 = st[st.key == "exam-3"].set_index("finding")["value"].to_dict()
    assert exam3["sdh"] == 1 and exam3["any"] == 1
    assert cohort.notes["kind"].tolist() == ["derived_labels"]
    assert "3 exams" in cohort.notes["detail"].item()
    assert cohort.info["hemorica"]["derived_study_labels"] is True


def test_split_from_file_names_and_slice_count(root: Path) -> None:
    cohort = hemorica.load(root, salt=SALT, hash_ids=False)
    s = cohort.studies.set_index("study_id")
    assert s["split"].to_dict() == {"Ali Rezaei": "train", "Sara K": "train", "exam-3": "test"}
    assert s["n_slices"].to_dict() == {"Ali Rezaei": 3, "Sara K": 2, "exam-3": 2}


def test_exam_keys_are_hashed_by_default(root: Path) -> None:
    cohort = hemorica.load(root, salt=SALT)
    text = "\n".join(df.astype(str).to_csv() for df in cohort.tables().values())
    assert "Ali Rezaei" not in text and "Sara K" not in text
    assert set(cohort.studies["study_id"]) == set(pseudonymize(["Ali Rezaei", "Sara K", "exam-3"], salt=SALT))


def test_exam_table_is_used_when_present(root: Path) -> None:
    (root / "exam_labels.csv").write_text(
        "Patient_Name,EPH,SDH,SAH,IPH,IVH\nAli Rezaei,0,0,0,1,0\nSara K,0,0,0,0,0\nexam-3,0,1,0,0,\n"
    )
    cohort = hemorica.load(root, salt=SALT, hash_ids=False)
    st = cohort.labels[cohort.labels.level == "study"]
    ali = st[st.study_id == "Ali Rezaei"].set_index("finding")["value"].to_dict()
    assert ali == {"any": 1, "edh": 0, "sdh": 0, "sah": 0, "iph": 1, "ivh": 0}  # edh 0 here, 1 on a slice
    exam3 = st[st.study_id == "exam-3"].set_index("finding")["value"].to_dict()
    assert exam3["any"] == 1 and "ivh" not in exam3  # any from a positive subtype despite a blank
    assert len(cohort.notes) == 0


def test_columns_override_from_the_manifest(tmp_path: Path) -> None:
    (tmp_path / "slices.csv").write_text(
        "case_code,idx,bleed,EDH,SDH,SAH,Intraparenchymal bleed,IVH\nc1,0,1,0,0,0,1,0\n"
    )
    cohort = hemorica.load(
        tmp_path,
        slice_tables="slices.csv",
        columns={"study": "case_code", "slice": "idx", "any": "bleed", "iph": "Intraparenchymal bleed"},
        hash_ids=False,
        salt=SALT,
    )
    sl = cohort.labels[cohort.labels.level == "slice"].set_index("finding")["value"].to_dict()
    assert sl == {"any": 1, "edh": 0, "sdh": 0, "sah": 0, "iph": 1, "ivh": 0}
    assert cohort.studies["split"].isna().all()


def test_bad_input_names_file_and_column(root: Path, tmp_path: Path) -> None:
    (root / "val.csv").write_text(HEADER + "x,0,0,0,0,maybe,0,0\n")
    with pytest.raises(DataFormatError, match=r"val\.csv, column 'SAH': expected 0/1"):
        hemorica.load(root, salt=SALT)
    (root / "val.csv").write_text(HEADER + "exam-3,5,0,0,0,0,0,0\n")
    with pytest.raises(
        DataFormatError, match=r"test\.csv: the exam of 2 rows, first: row 2, row 3 is also in .*val\.csv"
    ):
        hemorica.load(root, salt=SALT)
    (root / "val.csv").write_text("patient_name,slice_number,EPH,IPH,ICH\nx,0,0,0,0\n")
    with pytest.raises(DataFormatError, match=r"columns \['IPH', 'ICH'\] all match 'iph'"):
        hemorica.load(root, salt=SALT)
    (root / "val.csv").write_text("patient_name,slice_number,foo\nx,0,1\n")
    with pytest.raises(DataFormatError, match=r"val\.csv: expected subtype columns"):
        hemorica.load(root, salt=SALT)
    (root / "val.csv").write_text(HEADER + "x,0,0,0,0,0,0,0\nx,0,0,0,0,0,0,0\n")
    with pytest.raises(
        DataFormatError, match=r"val\.csv: expected one row per exam and slice; 2 rows, first: row 2, row 3 repeat"
    ):
        hemorica.load(root, salt=SALT)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DataFormatError, match="found none"):
        hemorica.load(empty, salt=SALT)


AFFINE = np.diag([0.4, 0.4, 5.0, 1.0])


def _save(path: Path, data: np.ndarray, affine: np.ndarray = AFFINE) -> None:
    import nibabel as nib

    path.parent.mkdir(parents=True, exist_ok=True)
    nib.save(nib.Nifti1Image(data, affine), path)


def test_nifti_image_and_mask_pair(tmp_path: Path) -> None:
    (tmp_path / "exam_labels.csv").write_text("exam_id,EPH,SDH,SAH,IPH,IVH\ne1,0,0,0,1,1\n")
    mask = np.zeros((6, 6, 4), np.uint8)
    mask[0:2, 0:2, 1] = 4  # IPH as label 4 in a multi-class map
    mask[5, 5, 2] = 5
    _save(tmp_path / "images_3d" / "e1.nii.gz", np.zeros((6, 6, 4), np.int16))
    _save(tmp_path / "masks_3d" / "e1.nii.gz", mask)
    with pytest.raises(DataFormatError, match=r"^masks_3d/<exam st-[0-9a-f]+>: mask holds values \[4, 5\] \(5 voxels\); "
                       r"expected the labels \[0, 1\]"):
        hemorica.load(tmp_path, salt=SALT, hash_ids=False)  # labels 4, 5 in a mask read as binary
    _save(tmp_path / "masks_3d" / "e1.nii.gz", (mask > 0).astype(np.uint8))
    binary = hemorica.load(tmp_path, salt=SALT, hash_ids=False)
    assert binary.lesions[["study_id", "finding", "voxels"]].values.tolist() == [["e1", "any", 5]]
    assert binary.lesions["volume_ml"].item() == pytest.approx(5 * 0.4 * 0.4 * 5.0 / 1000)
    assert binary.studies["n_slices"].tolist() == [4]
    _save(tmp_path / "masks_3d" / "e1.nii.gz", mask)
    multi = hemorica.load(tmp_path, salt=SALT, hash_ids=False, mask_labels={4: "iph", 5: "ivh"})
    assert multi.lesions.set_index("finding")["voxels"].to_dict() == {"iph": 4, "ivh": 1}
    assert len(binary.notes) == 0  # exam table present: nothing derived
    _save(tmp_path / "masks_3d" / "e1.nii.gz", mask[:, :, :3])
    with pytest.raises(DataFormatError, match=r"^mask masks_3d/<exam st-[0-9a-f]+> has shape .*images_3d/<exam st-") as info:
        hemorica.load(tmp_path, salt=SALT, hash_ids=False)
    assert "e1" not in str(info.value)


def test_exam_keys_never_in_errors(tmp_path: Path) -> None:
    """Files are named by the exam key (a patient name in the derived layout): errors use pseudonyms."""
    (tmp_path / "exam_labels.csv").write_text("patient_name,EPH,SDH,SAH,IPH,IVH\nJane Doe,0,0,0,1,1\n")
    _save(tmp_path / "images_3d" / "Jane Doe.nii.gz", np.zeros((6, 6, 4), np.int16))
    _save(tmp_path / "masks_3d" / "Jane Doe.nii.gz", np.zeros((6, 6, 3), np.uint8))
    for hash_ids in (True, False):
        with pytest.raises(DataFormatError) as info:
            hemorica.load(tmp_path, salt=SALT, hash_ids=hash_ids)
        assert "Jane" not in str(info.value) and "<exam st-" in str(info.value)
    _save(tmp_path / "masks_3d" / "Jane Doe.nii", np.zeros((6, 6, 4), np.uint8))
    with pytest.raises(DataFormatError, match=r"^masks_3d/<exam st-[0-9a-f]+>: two files for one exam") as info:
        hemorica.load(tmp_path, salt=SALT)
    assert "Jane" not in str(info.value)


def test_columns_option_type(tmp_path: Path) -> None:
    from hemstats.errors import ManifestError

    (tmp_path / "exam_labels.csv").write_text("exam_id,EPH,SDH,SAH,IPH,IVH\ne1,0,0,0,1,1\n")
    with pytest.raises(ManifestError, match=r"options.columns.study: expected text or a list of text, got int 5"):
        hemorica.load(tmp_path, salt=SALT, columns={"study": 5})


def test_registered_as_adapter(root: Path) -> None:
    cohort = get_adapter("hemorica")(root, salt=SALT)
    assert cohort.datasets == ("hemorica",)
    assert isinstance(cohort.labels, pd.DataFrame)


def test_a_slice_in_two_tables_names_both_tables(tmp_path: Path) -> None:
    header = "patient_name,slice_number,hemorrhage_binary,EPH,SDH,SAH,ICH,IVH\n"
    (tmp_path / "slice_labels.csv").write_text(header + "Jane Doe,0,0,0,0,0,0,0\n")
    (tmp_path / "train.csv").write_text(header + "Jane Doe,0,1,0,0,0,1,0\n")
    with pytest.raises(DataFormatError, match=r"^slice_labels\.csv and train\.csv: the same exam slice is in more than one") as info:
        hemorica.load(tmp_path, salt=SALT)
    assert "Jane" not in str(info.value)
