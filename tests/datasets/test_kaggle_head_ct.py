"""Kaggle Head CT - hemorrhage adapter: quirks on tiny generated files, then the real 200 PNGs."""

from __future__ import annotations

import hashlib

import pytest
from PIL import Image

from hemstats.datasets import get_adapter, kaggle_head_ct
from hemstats.errors import DataFormatError


def _layout(root, labels="id, hemorrhage\n0,1\n1,0\n2,1\n", sizes=((40, 30, "RGB"), (20, 10, "RGBA"), (8, 9, "L"))):
    (root / "head_ct").mkdir(parents=True, exist_ok=True)
    if labels is not None:
        (root / "labels.csv").write_text(labels)
    for i, (w, h, mode) in enumerate(sizes):
        Image.new(mode, (w, h)).save(root / "head_ct" / f"{i:03d}.png")
    return root


def test_leading_space_header_unpadded_ids(tmp_path):
    cohort = kaggle_head_ct.load(_layout(tmp_path))
    assert cohort.studies["study_id"].tolist() == ["000", "001", "002"]
    assert cohort.studies["patient_id"].tolist() == ["000", "001", "002"]
    lab = cohort.labels
    assert set(lab["finding"]) == {"any"} and set(lab["rater"]) == {"consensus"} and set(lab["level"]) == {"study"}
    assert lab["value"].tolist() == [1, 0, 1]
    assert lab["slice_id"].isna().all()
    img = cohort.images
    assert img[["width", "height"]].values.tolist() == [[40, 30], [20, 10], [8, 9]]
    assert img["mode"].astype(str).tolist() == ["RGB", "RGBA", "L"]
    assert img["path"].tolist() == ["head_ct/000.png", "head_ct/001.png", "head_ct/002.png"]


def test_padded_ids_labels_inside_image_dir_and_crlf(tmp_path):
    _layout(tmp_path, labels=None)
    (tmp_path / "head_ct" / "labels.csv").write_bytes(b"id, hemorrhage\r\n002,1\r\n000,0\r\n001,0\r\n")
    cohort = get_adapter("kaggle_head_ct")(tmp_path, name="kaggle")
    assert cohort.datasets == ("kaggle",)
    assert cohort.labels["value"].tolist() == [0, 0, 1]  # sorted by id


def test_label_without_png(tmp_path):
    _layout(tmp_path, labels="id, hemorrhage\n0,1\n1,0\n2,1\n3,0\n")
    with pytest.raises(DataFormatError, match=r"1 labelled id\(s\) have no image.*003\.png does not exist"):
        kaggle_head_ct.load(tmp_path)


def test_png_without_label(tmp_path):
    _layout(tmp_path, labels="id, hemorrhage\n0,1\n1,0\n")
    with pytest.raises(DataFormatError, match=r"002\.png: image has no row in .*labels\.csv"):
        kaggle_head_ct.load(tmp_path)


def test_truncated_png(tmp_path):
    _layout(tmp_path, sizes=((64, 64, "RGB"), (20, 10, "RGB"), (8, 9, "L")))
    p = tmp_path / "head_ct" / "000.png"
    Image.effect_noise((64, 64), 50).save(p)  # noise so the data chunk is long
    p.write_bytes(p.read_bytes()[:-200])
    with pytest.raises(DataFormatError, match=r"000\.png: unreadable or truncated PNG"):
        kaggle_head_ct.load(tmp_path)


def test_not_an_image(tmp_path):
    _layout(tmp_path)
    (tmp_path / "head_ct" / "001.png").write_bytes(b"hello")
    with pytest.raises(DataFormatError, match=r"001\.png: unreadable or truncated PNG"):
        kaggle_head_ct.load(tmp_path)


@pytest.mark.parametrize(
    "labels, message",
    [
        ("id, hemorrhage\n0,1\n0,0\n2,1\n", r"column 'id': expected unique ids; 2 rows, first: row 2"),
        ("id, hemorrhage\n0,1\n1,2\n2,1\n", r"column 'hemorrhage': expected 0/1.*row 3 \('2'\)"),
        ("id, hemorrhage\n0,1\n1,\n2,1\n", r"column 'hemorrhage': expected 0 or 1 in every row; 1 row, first: row 3"),
        ("id, hemorrhage\n0,1\nx,0\n2,1\n", r"column 'id': expected a non-negative integer; 1 row, first: row 3 \('x'\)"),
        ("id,label\n0,1\n", r"expected a column 'hemorrhage'"),
    ],
)
def test_bad_labels(tmp_path, labels, message):
    _layout(tmp_path, labels=labels)
    with pytest.raises(DataFormatError, match=message):
        kaggle_head_ct.load(tmp_path)


def test_no_labels_file(tmp_path):
    _layout(tmp_path, labels=None)
    with pytest.raises(DataFormatError, match="expected labels.csv"):
        kaggle_head_ct.load(tmp_path)


def _digest(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.shared_data
def test_real_files(shared_data):
    root = shared_data / "kaggle_head_ct"
    # This copy keeps labels.csv inside head_ct/ with zero-padded ids; load() finds it there.
    before = _digest(root)
    cohort = kaggle_head_ct.load(root)
    assert len(cohort.studies) == 200
    assert int(cohort.labels["value"].sum()) == 100
    pos = cohort.labels.loc[cohort.labels["value"] == 1, "study_id"]
    assert pos.tolist() == [f"{i:03d}" for i in range(100)]
    img = cohort.images
    assert len(img) == 200
    assert img["mode"].astype(str).value_counts().to_dict() == {"RGB": 188, "RGBA": 12}
    assert (img["width"].min(), img["width"].max()) == (134, 821)
    assert (img["height"].min(), img["height"].max()) == (135, 957)
    assert _digest(root) == before


def test_superscript_png_name_and_huge_id(tmp_path):
    _layout(tmp_path)
    Image.new("L", (4, 4)).save(tmp_path / "head_ct" / "²³.png")
    with pytest.raises(DataFormatError, match=r"^head_ct/²³\.png: expected a numbered PNG such as 000\.png"):
        kaggle_head_ct.load(tmp_path)
    (tmp_path / "head_ct" / "²³.png").unlink()
    (tmp_path / "labels.csv").write_text("id, hemorrhage\n0,1\n1,0\n1e300,1\n")
    with pytest.raises(DataFormatError, match=r"^labels\.csv, column 'id': expected a non-negative integer; 1 row, first: row 4 \('1e300'\)"):
        kaggle_head_ct.load(tmp_path)


def test_trailing_comma_on_every_row_is_read(tmp_path):
    _layout(tmp_path, labels="id, hemorrhage\n0,1,\n1,0,\n2,1,\n")
    assert kaggle_head_ct.load(tmp_path).labels["value"].tolist() == [1, 0, 1]


def test_two_images_of_one_id(tmp_path):
    _layout(tmp_path)
    Image.new("L", (4, 4)).save(tmp_path / "head_ct" / "1.png")
    with pytest.raises(DataFormatError, match=r"^head_ct/1\.png: a second image of id 001 \(the first is 001\.png\)"):
        kaggle_head_ct.load(tmp_path)
