"""RSNA 2019 ICH adapter: the long ID,Label table, its errors, and metadata linking with hashed UIDs."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from hemstats.datasets import get_adapter, rsna_ich
from hemstats.errors import DataFormatError
from hemstats.privacy import pseudonymize

SUBS = ("epidural", "intraparenchymal", "intraventricular", "subarachnoid", "subdural", "any")
CODE = {"epidural": "edh", "intraparenchymal": "iph", "intraventricular": "ivh", "subarachnoid": "sah",
        "subdural": "sdh", "any": "any"}


def _table(n_images=40, seed=7):
    rng = np.random.default_rng(seed)
    images = [f"ID_{v:09x}" for v in rng.choice(16**9, n_images, replace=False)]
    values = rng.integers(0, 2, (n_images, 6))
    rows = [(f"{img}_{s}", int(values[i, k])) for i, img in enumerate(images) for k, s in enumerate(SUBS)]
    return images, values, pd.DataFrame(rows, columns=["ID", "Label"])


def _write(root, df, name="stage_2_train.csv", shuffle=None):
    if shuffle is not None:
        df = df.sample(frac=1, random_state=shuffle)
    df.to_csv(root / name, index=False)


@pytest.mark.parametrize("shuffle", [None, 1])
def test_labels_pivot(tmp_path, shuffle):
    images, values, df = _table()
    _write(tmp_path, df, shuffle=shuffle)
    cohort = rsna_ich.load(tmp_path)
    lab = cohort.labels
    assert len(lab) == 40 * 6
    assert set(lab["level"].astype(str)) == {"slice"} and set(lab["rater"].astype(str)) == {"consensus"}
    assert (lab["study_id"] == lab["slice_id"]).all()
    got = lab.set_index(["slice_id", "finding"])["value"]
    for i in (0, 17, 39):
        for k, s in enumerate(SUBS):
            assert got[(images[i], CODE[s])] == values[i, k]
    st = cohort.studies
    assert sorted(st["study_id"]) == sorted(images)
    assert (st["patient_id"] == st["study_id"]).all()
    assert (st["n_slices"] == 1).all()


def test_small_blocks_and_image_straddling_blocks(tmp_path):
    images, values, df = _table(n_images=300)
    _write(tmp_path, df)
    im, mat = rsna_ich._read_long(tmp_path / "stage_2_train.csv", block_size=1000)
    assert list(im) == images
    order = [SUBS.index(s) for s in rsna_ich.SUBTYPE_ORDER]
    assert (mat == values[:, order]).all()


def test_bom_and_crlf(tmp_path):
    _, _, df = _table(n_images=3)
    text = "\ufeffID,Label\r\n" + "".join(f"{a},{b}\r\n" for a, b in df.itertuples(index=False))
    (tmp_path / "stage_2_train.csv").write_bytes(text.encode())
    assert len(get_adapter("rsna_ich")(tmp_path).labels) == 18


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda df: pd.concat([df, df.iloc[[7]]]), r"expected each ID once; 2 rows hold a repeated ID, first: row 9 \(ID_\w+_intraparenchymal\), again at row 242"),
        (lambda df: df.drop(index=[8]), r"every image needs all 6 subtypes; 1 missing, first: ID_\w+_intraventricular"),
        (lambda df: df.assign(Label=df["Label"].astype(str).where(df.index != 5, "2")), r"column 'Label': expected 0 or 1; first: row 7 \('ID_\w+_any', '2'\)"),
        (lambda df: df.assign(Label=df["Label"].astype(str).where(df.index != 5, "")), r"column 'Label': expected 0 or 1; first: row 7"),
        (lambda df: df.assign(ID=df["ID"].where(df.index != 3, "nounderscore")), r"column 'ID': expected ID_<image>_<subtype>; first: row 5 \('nounderscore'\)"),
        (lambda df: df.assign(ID=df["ID"].str.replace("subdural", "chronic")), r"unknown subtype 'chronic'.* first: row 6"),
        (lambda df: df.rename(columns={"Label": "Target"}), r"expected the columns ID,Label; found \['ID', 'Target'\]"),
    ],
)
def test_bad_table(tmp_path, edit, message):
    _, _, df = _table()
    _write(tmp_path, edit(df))
    with pytest.raises(DataFormatError, match=message):
        rsna_ich.load(tmp_path)


def test_empty_and_missing_file(tmp_path):
    with pytest.raises(DataFormatError, match="stage_2_train.csv: file not found"):
        rsna_ich.load(tmp_path)
    (tmp_path / "stage_2_train.csv").write_text("ID,Label\n")
    with pytest.raises(DataFormatError, match="no label rows"):
        rsna_ich.load(tmp_path)
    (tmp_path / "stage_2_train.csv").write_text("ID,Label\nID_a_any,1,3\n")
    with pytest.raises(DataFormatError, match="cannot be read"):
        rsna_ich.load(tmp_path)


def _metadata(images, extra_rows=0):
    # 40 images -> 8 studies of 5 images, 6 patients (studies 0,1 and 2,3 share a patient)
    study = [f"1.2.840.{i // 5}" for i in range(len(images))]
    patient = [f"PAT-{[0, 0, 1, 1, 2, 3, 4, 5][i // 5]}" for i in range(len(images))]
    z = [f"[-125.0, -8.0, {float(10 * (i % 5))}]" for i in range(len(images))]
    meta = pd.DataFrame({"SOPInstanceUID": images, "StudyInstanceUID": study, "PatientID": patient,
                         "ImagePositionPatient": z})
    if extra_rows:
        meta = pd.concat([meta, pd.DataFrame({"SOPInstanceUID": [f"ID_test{i}" for i in range(extra_rows)],
                                              "StudyInstanceUID": "9.9", "PatientID": "PAT-X",
                                              "ImagePositionPatient": "[0, 0, 1]"})])
    return meta.sample(frac=1, random_state=3)


def test_metadata_links_studies_and_hashes_uids(tmp_path):
    images, values, df = _table()
    _write(tmp_path, df)
    meta = _metadata(images, extra_rows=3)
    meta.to_csv(tmp_path / "meta.csv", index=False)
    cohort = rsna_ich.load(tmp_path, metadata_file="meta.csv", salt="test-salt")
    st = cohort.studies
    assert len(st) == 8 and st["n_slices"].tolist() == [5] * 8
    assert st["patient_id"].nunique() == 6
    expected = set(pseudonymize([f"1.2.840.{k}" for k in range(8)], salt="test-salt", prefix="st-"))
    assert set(st["study_id"]) == expected
    # no raw UID or patient id anywhere in the tables
    for table in cohort.tables().values():
        text = table.astype(str).to_csv()
        assert "1.2.840" not in text and "PAT-" not in text
    lab = cohort.labels
    first_study = pseudonymize(["1.2.840.0"], salt="test-salt", prefix="st-")[0]
    assert set(lab.loc[lab.study_id == first_study, "slice_id"]) == set(images[:5])
    img = cohort.images.set_index("slice_id")
    assert img.loc[images[3], "position_z"] == 30.0
    assert cohort.notes["kind"].tolist() == ["unlabelled_images"]
    assert cohort.notes["detail"].iloc[0].startswith("3 image(s) of meta.csv have no label")


def test_metadata_errors(tmp_path):
    images, _, df = _table()
    _write(tmp_path, df)
    meta = _metadata(images)
    meta.iloc[1:].to_csv(tmp_path / "meta.csv", index=False)
    with pytest.raises(DataFormatError, match=r"1 labelled image\(s\) have no metadata, first"):
        rsna_ich.load(tmp_path, metadata_file="meta.csv", salt="s")
    meta.drop(columns="PatientID").to_csv(tmp_path / "meta.csv", index=False)
    with pytest.raises(DataFormatError, match=r"expected a column 'PatientID'"):
        rsna_ich.load(tmp_path, metadata_file="meta.csv", salt="s")
    meta.assign(PatientID=meta["PatientID"].where(meta["SOPInstanceUID"] != images[0], "PAT-other")).to_csv(
        tmp_path / "meta.csv", index=False
    )
    with pytest.raises(DataFormatError, match="has images of several patients"):
        rsna_ich.load(tmp_path, metadata_file="meta.csv", salt="s")
    err = None
    try:
        rsna_ich.load(tmp_path, metadata_file="meta.csv", salt="s")
    except DataFormatError as exc:
        err = str(exc)
    assert "1.2.840" not in err and "PAT-" not in err  # the message names a hashed study only


def test_benchmark_script_small(tmp_path):
    # the benchmark's generator writes the RSNA shape; load it to keep the two in step
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location(
        "rsna_memory", Path(__file__).resolve().parents[2] / "benchmarks" / "rsna_memory.py"
    )
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    rows = bench.write_table(tmp_path / "stage_2_train.csv", 500, seed=0)
    cohort = rsna_ich.load(tmp_path)
    assert len(cohort.labels) == rows == 3000
    anyv = cohort.labels.query("finding == 'any'")["value"]
    assert 0.05 < anyv.mean() < 0.25


def _dcm(path, *, study, patient, series="1.2.3.9", **fields):
    from pydicom.dataset import FileDataset, FileMetaDataset
    from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = CTImageStorage
    meta.MediaStorageSOPInstanceUID = "1.2.3." + str(abs(hash(path.stem)) % 10**12)
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset(str(path), {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID = CTImageStorage
    with warnings.catch_warnings():  # "ID_..." is not a valid UI value; the RSNA files are like that
        warnings.simplefilter("ignore", UserWarning)
        ds.SOPInstanceUID = path.stem  # RSNA keeps the image id here, as the file name
    ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.PatientID = study, series, patient
    ds.PatientName = "Doe^Jane"
    ds.Modality = "CT"
    for keyword, value in fields.items():
        setattr(ds, keyword, value)
    ds.Rows, ds.Columns, ds.SamplesPerPixel = 4, 4, 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 1
    ds.PixelData = np.zeros(16, dtype=np.int16).tobytes()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        ds.save_as(str(path), enforce_file_format=True)


def test_dicom_header_scan_links_images(tmp_path):
    images, _, df = _table(n_images=6)
    _write(tmp_path, df)
    folder = tmp_path / "stage_2_train"
    folder.mkdir()
    for i, img in enumerate(images):
        _dcm(folder / f"{img}.dcm", study=f"1.2.840.{i // 3}", patient=f"PAT-{i // 3}",
             Manufacturer="GE MEDICAL SYSTEMS" if i != 2 else "OTHER", SliceThickness="5", KVP="120")
    _dcm(folder / "ID_unlabelled.dcm", study="1.2.840.7", patient="PAT-7")
    (folder / "ID_broken.dcm").write_bytes(b"not dicom at all")
    cohort = rsna_ich.load(tmp_path, dicom_dir="stage_2_train", salt="k", progress=False)
    st = cohort.studies
    assert st["study_id"].tolist() == pseudonymize(["1.2.840.0", "1.2.840.1"], salt="k", prefix="st-").tolist()
    assert st["patient_id"].tolist() == pseudonymize(["PAT-0", "PAT-1"], salt="k", prefix="p-").tolist()
    assert st["n_slices"].tolist() == [3, 3]
    assert st["manufacturer"].astype(str).tolist() == ["GE MEDICAL SYSTEMS"] * 2  # the most frequent
    assert st["slice_thickness_mm"].tolist() == [5.0, 5.0] and st["kvp"].tolist() == [120.0, 120.0]
    # same keys as the metadata-CSV route
    meta = pd.DataFrame({"SOPInstanceUID": images, "StudyInstanceUID": [f"1.2.840.{i // 3}" for i in range(6)],
                         "PatientID": [f"PAT-{i // 3}" for i in range(6)]})
    meta.to_csv(tmp_path / "meta.csv", index=False)
    via_csv = rsna_ich.load(tmp_path, metadata_file="meta.csv", salt="k")
    assert via_csv.studies["study_id"].tolist() == st["study_id"].tolist()
    assert via_csv.labels["study_id"].tolist() == cohort.labels["study_id"].tolist()
    kinds = cohort.notes["kind"].astype(str).tolist()
    assert kinds == ["unreadable_dicom", "unlabelled_images"]
    assert cohort.notes["detail"].iloc[0].startswith("ID_broken.dcm: ")
    for table in cohort.tables().values():
        text = table.astype(str).to_csv()
        assert "1.2.840" not in text and "PAT-" not in text and "Doe" not in text
    (folder / f"{images[0]}.dcm").unlink()
    with pytest.raises(DataFormatError, match=rf"stage_2_train: 1 labelled image\(s\) have no metadata, first: '{images[0]}'"):
        rsna_ich.load(tmp_path, dicom_dir="stage_2_train", salt="k", progress=False)


def test_metadata_and_dicom_dir_exclusive(tmp_path):
    from hemstats.errors import ManifestError

    _, _, df = _table(n_images=2)
    _write(tmp_path, df)
    with pytest.raises(ManifestError, match="not both"):
        rsna_ich.load(tmp_path, metadata_file="m.csv", dicom_dir="d", salt="k")


def test_header_values_read_as_missing_reach_the_cohort_notes(tmp_path):
    """A tube current of 9e99 mA is missing in the table and a ``dicom_value_missing`` note names its study."""
    images, _, df = _table(n_images=3)
    _write(tmp_path, df)
    folder = tmp_path / "stage_2_train"
    folder.mkdir()
    for i, img in enumerate(images):
        _dcm(folder / f"{img}.dcm", study="1.2.840.0", patient="PAT-0", KVP="120",
             XRayTubeCurrent="9e99" if i == 0 else "200")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # pydicom: '9e99' is not a valid IS
        cohort = rsna_ich.load(tmp_path, dicom_dir="stage_2_train", salt="k", progress=False)
    notes = cohort.notes[cohort.notes["kind"].astype(str) == "dicom_value_missing"]
    assert len(notes) == 1
    assert notes["study_id"].tolist() == cohort.studies["study_id"].tolist()
    assert "XRayTubeCurrent read as missing in 1 file(s)" in notes["detail"].iloc[0]
    assert cohort.studies["tube_current_ma"].tolist() == [200.0]
    assert "PAT-" not in notes.to_csv() and "1.2.840" not in notes.to_csv()
