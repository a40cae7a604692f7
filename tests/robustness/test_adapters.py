"""Bad inputs to every dataset adapter end in a HemstatsError naming the file, row, column or option.

Each case writes a small layout in tmp_path, freezes it (the adapter must not change or delete
any input), calls the adapter and matches the message.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from hemstats.datasets import (
    bhsd,
    cq500,
    demo,
    generic,
    hemorica,
    kaggle_head_ct,
    mosmed_ich,
    physionet_ct_ich,
    rsna_ich,
)
from hemstats.errors import HemstatsError

SALT = "robustness"


# -- writers ------------------------------------------------------------------------------------------


def _text(path: Path, text: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8", newline="")


def _png(path: Path) -> None:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("L", (8, 6)).save(path)


def _nii(path: Path, data: np.ndarray, zooms=(1.0, 1.0, 5.0)) -> None:
    import nibabel as nib

    path.parent.mkdir(parents=True, exist_ok=True)
    nib.save(nib.Nifti1Image(data, np.diag([*zooms, 1.0])), str(path))


def _xlsx(path: Path, rows: list[list[object]]) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    wb.save(path)


def kaggle(labels: str | bytes = "id, hemorrhage\n0,1\n1,0\n", pngs=("000.png", "001.png")):
    def build(root: Path) -> None:
        if labels is not None:
            _text(root / "labels.csv", labels)
        (root / "head_ct").mkdir(exist_ok=True)
        for name in pngs:
            _png(root / "head_ct" / name)

    return build


CQ_HEADER = "name,Category," + ",".join(f"R{k}:{f}" for k in (1, 2, 3) for f in ("ICH", "SDH"))
CQ_ROWS = "CQ500-CT-1,B1,1,0,1,0,0,0\nCQ500-CT-2,B2,0,0,0,0,0,0\n"


def cq(reads: str = CQ_HEADER + "\n" + CQ_ROWS, predictions: str | None = None):
    def build(root: Path) -> None:
        _text(root / "reads.csv", reads)
        if predictions is not None:
            _text(root / "prediction_probabilities.csv", predictions)

    return build


PN_DEMO = ('Patient Number,"Age\r\n(years)",Gender,Intraventricular,Intraparenchymal,Subarachnoid,Epidural,'
           "Subdural,Fracture (Yes/No),Condition on file,Note\r\n")
PN_DIAG = ("\ufeffPatientNumber,SliceNumber,Intraventricular,Intraparenchymal,Subarachnoid,Epidural,Subdural,"
           "No_Hemorrhage,Fracture_Yes_No\r\n")
PN_PATIENTS = "49,35,Male,,1,,,,,x,\r\n50,60,Female,,,,,,,Normal CT,\r\n"
PN_SLICES = "49,1,0,1,0,0,0,0,0\r\n49,2,0,0,0,0,0,1,0\r\n50,1,0,0,0,0,0,1,0\r\n"


def physionet(patients: str = PN_PATIENTS, slices: str | None = PN_SLICES, mask=None, ct=True):
    def build(root: Path) -> None:
        _text(root / "patient_demographics.csv", PN_DEMO + patients)
        if slices is not None:
            _text(root / "hemorrhage_diagnosis.csv", PN_DIAG + slices)
        if mask is not None:
            if ct:
                _nii(root / "ct_scans" / "049.nii", np.zeros((4, 4, 2), np.int16))
            data = np.zeros((4, 4, 2), np.float32)
            if isinstance(mask, tuple):
                data = np.zeros(mask, np.uint8)
            else:
                data[0, 0, 0] = mask
            _nii(root / "masks" / "049.nii", data)

    return build


def _rsna_rows(images=("a", "b")) -> list[str]:
    return [f"ID_{i}_{s},0" for i in images for s in rsna_ich.SUBTYPE_ORDER]


def rsna(text: str | None = None):
    def build(root: Path) -> None:
        _text(root / "stage_2_train.csv", text if text is not None else "ID,Label\n" + "\n".join(_rsna_rows()) + "\n")

    return build


def mosmed(rows: list[list[object]] | None = None, csv: str | None = None):
    def build(root: Path) -> None:
        if csv is not None:
            _text(root / "dataset_registry.csv", csv)
        else:
            _xlsx(root / "dataset_registry.xlsx", rows or [["study_id", "Age", "ICH"], ["s1", 40, "да"]])

    return build


def files(**contents: str):
    def build(root: Path) -> None:
        for name, text in contents.items():
            _text(root / name.replace("__", "/").replace("_DOT_", "."), text)

    return build


def bhsd_layout(mask=None, split: str | None = None, second=False):
    def build(root: Path) -> None:
        spec = {"numTraining": 1, "numTest": 0, "training": [{"image": "./imagesTr/ID_a_ID_b.nii.gz",
                                                             "label": "./labelsTr/ID_a_ID_b.nii.gz"}], "test": []}
        _text(root / "dataset.json", split if split is not None else json.dumps(spec))
        _nii(root / "imagesTr" / "ID_a_ID_b.nii.gz", np.zeros((4, 4, 2), np.int16))
        data = np.zeros((4, 4, 2), np.float32)
        if mask is not None:
            data[0, 0, 0] = mask
        _nii(root / "labelsTr" / "ID_a_ID_b.nii.gz", data)
        if second:
            _nii(root / "labelsTr" / "ID_a_ID_b_0000.nii.gz", data)

    return build


HEM_EXAM = "patient_name,EPH,SDH,SAH,IPH,IVH\nJane Doe,0,0,0,1,0\n"


def hemorica_layout(exam: str = HEM_EXAM, mask=None, mask_shape=(4, 4, 2)):
    def build(root: Path) -> None:
        _text(root / "exam_labels.csv", exam)
        if mask is not None:
            _nii(root / "images_3d" / "Jane Doe.nii.gz", np.zeros((4, 4, 2), np.int16))
            data = np.zeros(mask_shape, np.uint8)
            data[0, 0, 0] = mask
            _nii(root / "masks_3d" / "Jane Doe.nii.gz", data)

    return build


# -- cases: (build, call, match) ------------------------------------------------------------------------

Call = Callable[[Path], object]
K = kaggle_head_ct.load
CASES: list = [
    # Kaggle Head CT
    ("kaggle-extra-field", kaggle("id, hemorrhage\n0,1,x\n1,0,\n"), K, r"^labels\.csv: data rows have more fields than the header"),
    ("kaggle-text-id", kaggle("id, hemorrhage\n0,1\nx,0\n"), K, r"^labels\.csv, column 'id': .*row 3 \('x'\)"),
    ("kaggle-1e300-id", kaggle("id, hemorrhage\n0,1\n1e300,0\n"), K, r"^labels\.csv, column 'id': .*row 3 \('1e300'\)"),
    ("kaggle-flag-2", kaggle("id, hemorrhage\n0,1\n1,2\n"), K, r"^labels\.csv, column 'hemorrhage': expected 0/1.*row 3"),
    ("kaggle-flag-blank", kaggle("id, hemorrhage\n0,1\n1,\n"), K, r"^labels\.csv, column 'hemorrhage': expected 0 or 1 in every row; 1 row, first: row 3"),
    ("kaggle-duplicate-id", kaggle("id, hemorrhage\n0,1\n000,0\n"), K, r"^labels\.csv, column 'id': expected unique ids; 2 rows, first: row 2"),
    ("kaggle-superscript-png", kaggle(pngs=("000.png", "001.png", "²³.png")), K, r"^head_ct/²³\.png: expected a numbered PNG"),
    ("kaggle-two-pngs-one-id", kaggle(pngs=("000.png", "001.png", "1.png")), K, r"^head_ct/1\.png: a second image of id 001"),
    ("kaggle-label-without-png", kaggle(pngs=("000.png",)), K, r"^labels\.csv: 1 labelled id\(s\) have no image, first: head_ct/001\.png"),
    ("kaggle-png-without-label", kaggle(pngs=("000.png", "001.png", "002.png")), K, r"^head_ct/002\.png: image has no row in labels\.csv"),
    ("kaggle-empty-labels", kaggle(b""), K, r"^labels\.csv: cannot be read as a table"),
    ("kaggle-wrong-header", kaggle("idx,label\n0,1\n1,0\n"), K, r"^labels\.csv: expected a column 'id'"),
    ("kaggle-latin1-bytes", kaggle(b"\xef\xbb\xbfid, hemorrhage\n0,1\n\xe9,0\n"), K, r"^labels\.csv: cannot be read as a table"),
    ("kaggle-no-labels", kaggle(None), K, r"expected labels\.csv \(or head_ct/labels\.csv\); neither exists"),
    ("kaggle-root-is-a-file", kaggle(), lambda r: K(r / "labels.csv"), r"^dataset folder 'labels\.csv' is a file"),
    ("kaggle-missing-root", kaggle(), lambda r: K(r / "nope"), r"^dataset folder 'nope' not found"),
    ("kaggle-option-type", kaggle(), lambda r: K(r, image_dir=5), r"options\.image_dir: expected text, got int 5"),
    ("kaggle-verify-type", kaggle(), lambda r: K(r, verify="yes"), r"options\.verify: expected true or false"),
    # CQ500
    ("cq500-flag-2", cq(CQ_HEADER + "\nCQ500-CT-1,B1,2,0,1,0,0,0\n"), cq500.load, r"^reads\.csv, column 'R1:ICH': expected 0/1.*row 2 \('2'\)"),
    ("cq500-duplicate-name", cq(CQ_HEADER + "\n" + CQ_ROWS + "CQ500-CT-1,B1,1,0,1,0,0,0\n"), cq500.load, r"^reads\.csv, column 'name': expected unique scan names; 2 rows, first: row 2"),
    ("cq500-unknown-field", cq(CQ_HEADER.replace("R1:SDH", "R1:Foo") + "\n" + CQ_ROWS), cq500.load, r"^reads\.csv, column 'R1:Foo': unknown CQ500 field"),
    ("cq500-reader-lacks-field", cq(CQ_HEADER.replace(",R3:SDH", "") + "\nCQ500-CT-1,B1,1,0,1,0,0\n"), cq500.load, r"^reads\.csv: reader R3 lacks columns \['R3:SDH'\]"),
    ("cq500-no-reader-columns", cq("name,Category\nCQ500-CT-1,B1\n"), cq500.load, r"^reads\.csv: expected reader columns such as 'R1:ICH'"),
    ("cq500-blank-name", cq(CQ_HEADER + "\n,B1,1,0,1,0,0,0\n"), cq500.load, r"^reads\.csv, column 'name': must not be blank; 1 row, first: row 2"),
    ("cq500-trailing-comma-value", cq(CQ_HEADER + "\nCQ500-CT-1,B1,1,0,1,0,0,0,7\n"), cq500.load, r"^reads\.csv: data rows have more fields"),
    ("cq500-probability-1.5", cq(predictions="name,ICH\nCQ500-CT-1,1.5\n"), cq500.load, r"^prediction_probabilities\.csv, column 'ICH': expected a probability in \[0, 1\]; 1 row, first: row 2"),
    ("cq500-probability-text", cq(predictions="name,ICH\nCQ500-CT-1,high\n"), cq500.load, r"^prediction_probabilities\.csv, column 'ICH': expected a number; 1 row, first: row 2 \('high'\)"),
    ("cq500-duplicate-prediction", cq(predictions="name,ICH\nCQ500-CT-1,0.1\nCQ500-CT-1,0.2\n"), cq500.load, r"^prediction_probabilities\.csv, column 'name': expected unique scan names; 2 rows"),
    ("cq500-unknown-scan", cq(predictions="name,ICH\nCQ500-CT-9,0.1\n"), cq500.load, r"^prediction_probabilities\.csv: 1 scan\(s\) not in reads\.csv"),
    ("cq500-predictions-file-int", cq(), lambda r: cq500.load(r, predictions_file=5), r"options\.predictions_file: expected text or null, got int 5"),
    ("cq500-model-list", cq(), lambda r: cq500.load(r, model=["a", "b"]), r"options\.model: expected text, got list"),
    ("cq500-root-is-a-file", cq(), lambda r: cq500.load(r / "reads.csv"), r"^dataset folder 'reads\.csv' is a file; expected the folder holding reads\.csv"),
    ("cq500-missing-reads", cq(), lambda r: cq500.load(r, reads_file="other.csv"), r"^other\.csv: file not found"),
    # PhysioNet CT-ICH
    ("physionet-flag-2", physionet("49,35,Male,,2,,,,,x,\r\n"), physionet_ct_ich.load, r"^patient_demographics\.csv, column 'Intraparenchymal': expected 0/1.*row 2 \('2'\)"),
    ("physionet-text-age", physionet("49,old,Male,,1,,,,,x,\r\n"), physionet_ct_ich.load, r"^patient_demographics\.csv, column 'Age \(years\)': expected a number; 1 row, first: row 2"),
    ("physionet-bad-sex", physionet("49,35,X,,1,,,,,x,\r\n"), physionet_ct_ich.load, r"^patient_demographics\.csv, column 'Gender': expected Male or Female"),
    ("physionet-duplicate-patient", physionet(PN_PATIENTS + "49,36,Male,,,,,,,x,\r\n"), physionet_ct_ich.load, r"^patient_demographics\.csv, column 'Patient Number': expected one row per patient; 2 rows"),
    ("physionet-duplicate-slice", physionet(slices=PN_SLICES + "49,1,0,0,0,0,0,1,0\r\n"), physionet_ct_ich.load, r"^hemorrhage_diagnosis\.csv: expected one row per \(patient, slice\); 2 rows, first: row 2"),
    ("physionet-orphan-slice", physionet(slices=PN_SLICES + "77,1,0,0,0,0,0,1,0\r\n"), physionet_ct_ich.load, r"^hemorrhage_diagnosis\.csv: 1 patient\(s\) without a row in patient_demographics\.csv, first: 077"),
    ("physionet-no-hemorrhage-9", physionet(slices="49,1,0,0,0,0,0,9,0\r\n"), physionet_ct_ich.load, r"^hemorrhage_diagnosis\.csv, column 'No_Hemorrhage': expected 0/1"),
    ("physionet-slice-number-text", physionet(slices="49,a,0,0,0,0,0,1,0\r\n"), physionet_ct_ich.load, r"^hemorrhage_diagnosis\.csv, column 'SliceNumber': expected a number"),
    ("physionet-no-slice-table", physionet(slices=None), physionet_ct_ich.load, r"expected the slice diagnosis table"),
    ("physionet-mask-2", physionet(mask=2), physionet_ct_ich.load, r"^masks/049\.nii: mask holds values \[2\] \(1 voxels\); expected the labels \[0, 1\]"),
    ("physionet-mask-7", physionet(mask=7), physionet_ct_ich.load, r"^masks/049\.nii: mask holds values \[7\]"),
    ("physionet-mask-0.5", physionet(mask=0.5), physionet_ct_ich.load, r"^masks/049\.nii: mask holds values \[0\.5\]"),
    ("physionet-mask-nan", physionet(mask=np.nan), physionet_ct_ich.load, r"^masks/049\.nii: mask holds values \[nan\]"),
    ("physionet-mask-shape", physionet(mask=(4, 4, 3)), physionet_ct_ich.load, r"^mask masks/049\.nii has shape \(4, 4, 3\) but its image ct_scans/049\.nii"),
    ("physionet-corrupt-volume", files(patient_demographics_DOT_csv=PN_DEMO + PN_PATIENTS, hemorrhage_diagnosis_DOT_csv=PN_DIAG + PN_SLICES, ct_scans__049_DOT_nii="not a nifti" * 40), physionet_ct_ich.load, r"^ct_scans/049\.nii: not a readable NIfTI"),
    ("physionet-blank-flags-value", physionet(), lambda r: physionet_ct_ich.load(r, blank_flags="zero"), r"options\.blank_flags: expected one of 'missing', 'absent', got str 'zero'"),
    ("physionet-ct-dir-type", physionet(), lambda r: physionet_ct_ich.load(r, ct_dir=None), r"options\.ct_dir: expected text, got NoneType"),
    ("physionet-two-volumes-one-patient", files(patient_demographics_DOT_csv=PN_DEMO + PN_PATIENTS, hemorrhage_diagnosis_DOT_csv=PN_DIAG + PN_SLICES, ct_scans__049_DOT_nii="x", ct_scans__49_DOT_nii_DOT_gz="y"), physionet_ct_ich.load, r"^ct_scans/49\.nii\.gz: a second volume of patient 049 \(the first is ct_scans/049\.nii\)"),
    # RSNA ICH
    ("rsna-wrong-header", rsna("Id,Lbl,x\nID_a_any,0,1\n"), rsna_ich.load, r"^stage_2_train\.csv: expected the columns ID,Label"),
    ("rsna-id-without-subtype", rsna("ID,Label\nIDa,0\n"), rsna_ich.load, r"^stage_2_train\.csv, column 'ID': expected ID_<image>_<subtype>; first: row 2"),
    ("rsna-unknown-subtype", rsna("ID,Label\nID_a_stroke,0\n"), rsna_ich.load, r"^stage_2_train\.csv, column 'ID': unknown subtype 'stroke'"),
    ("rsna-label-2", rsna("ID,Label\nID_a_any,2\n"), rsna_ich.load, r"^stage_2_train\.csv, column 'Label': expected 0 or 1; first: row 2"),
    ("rsna-duplicate-id", rsna("ID,Label\n" + "\n".join(_rsna_rows(("a",)) + ["ID_a_any,1"]) + "\n"), rsna_ich.load, r"^stage_2_train\.csv, column 'ID': expected each ID once; 2 rows hold a repeated ID, first: row 2 \(ID_a_any\), again at row 8"),
    ("rsna-missing-subtype", rsna("ID,Label\n" + "\n".join(_rsna_rows(("a",))[:-1]) + "\n"), rsna_ich.load, r"^stage_2_train\.csv: every image needs all 6 subtypes; 1 missing"),
    ("rsna-header-only", rsna("ID,Label\n"), rsna_ich.load, r"^stage_2_train\.csv: no label rows"),
    ("rsna-metadata-type", rsna(), lambda r: rsna_ich.load(r, metadata_file=5), r"options\.metadata_file: expected text or null, got int 5"),
    ("rsna-missing-labels", rsna(), lambda r: rsna_ich.load(r, labels_file="nope.csv"), r"^nope\.csv: file not found"),
    # MosMed ICH
    ("mosmed-wrong-sheet", mosmed(), lambda r: mosmed_ich.load(r, sheet="Реестр", salt=SALT), r"^dataset_registry\.xlsx: no sheet 'Реестр' \(option sheet\); the workbook has 1 sheet\(s\): 'Sheet'"),
    ("mosmed-duplicate-study", mosmed([["study_id", "Age"], ["s1", 40], ["s1", 41]]), lambda r: mosmed_ich.load(r, salt=SALT), r"^dataset_registry\.xlsx, column 'study_id': expected unique study ids; 2 rows"),
    ("mosmed-bad-flag", mosmed([["study_id", "ICH"], ["s1", "maybe"]]), lambda r: mosmed_ich.load(r, salt=SALT), r"^dataset_registry\.xlsx, column 'ICH': expected 0/1.*spreadsheet row 2"),
    ("mosmed-text-thickness", mosmed([["study_id", "SliceThickness"], ["s1", "thin"]]), lambda r: mosmed_ich.load(r, salt=SALT), r"^dataset_registry\.xlsx, column 'SliceThickness': expected a number >= 0"),
    ("mosmed-no-study-column", mosmed([["Age", "ICH"], [40, 1]]), lambda r: mosmed_ich.load(r, salt=SALT), r"^dataset_registry\.xlsx: expected a study id column"),
    ("mosmed-columns-type", mosmed(), lambda r: mosmed_ich.load(r, columns={"study": 5}, salt=SALT), r"options\.columns\.study: expected text, got int 5"),
    ("mosmed-empty-csv", mosmed(csv=""), lambda r: mosmed_ich.load(r, registry="dataset_registry.csv", salt=SALT), r"^dataset_registry\.csv: the registry is empty"),
    ("mosmed-missing-registry", mosmed(), lambda r: mosmed_ich.load(r, registry="nope.xlsx", salt=SALT), r"^nope\.xlsx: registry not found"),
    # generic
    ("generic-sex-values-list", files(s_DOT_csv="Exam,Sex\nE1,1\n"), lambda r: generic.load(r, studies={"file": "s.csv", "columns": {"study_id": "Exam", "sex": "Sex"}, "sex_values": ["1", "M"]}), r"options\.studies\.sex_values: expected a mapping"),
    ("generic-column-int", files(s_DOT_csv="Exam,Sex\nE1,1\n"), lambda r: generic.load(r, studies={"file": "s.csv", "columns": {"study_id": 5}}), r"options\.studies\.columns: expected text values"),
    ("generic-duplicate-label-rows", files(y_DOT_csv="Exam,ICH\nE1,1\nE1,0\n"), lambda r: generic.load(r, labels={"file": "y.csv", "id_column": "Exam", "findings": {"any": "ICH"}}, salt=SALT), r"^y\.csv: expected one row per id; 2 rows, first: row 2, row 3$"),
    ("generic-text-age", files(s_DOT_csv="Exam,Age\nE1,forty\n"), lambda r: generic.load(r, studies={"file": "s.csv", "columns": {"study_id": "Exam", "age_years": "Age"}}, salt=SALT), r"^s\.csv, column 'Age': expected a number; 1 row, first: row 2$"),
    ("generic-missing-file", files(y_DOT_csv="Exam,ICH\nE1,1\n"), lambda r: generic.load(r, labels={"file": "nope.csv", "id_column": "Exam", "findings": {"any": "ICH"}}), r"^nope\.csv: file not found"),
    ("generic-unknown-finding", files(y_DOT_csv="Exam,ICH\nE1,1\n"), lambda r: generic.load(r, labels={"file": "y.csv", "id_column": "Exam", "findings": {"stroke": "ICH"}}), r"options\.labels\.findings: 'stroke' is not a finding code"),
    ("generic-flag-2", files(y_DOT_csv="Exam,ICH\nE1,2\n"), lambda r: generic.load(r, labels={"file": "y.csv", "id_column": "Exam", "findings": {"any": "ICH"}}, pseudonymize_ids=[]), r"^y\.csv, column 'ICH': expected 0/1.*row 2 \('2'\)"),
    ("generic-pseudonymize-str", files(y_DOT_csv="Exam,ICH\nE1,1\n"), lambda r: generic.load(r, labels={"file": "y.csv", "id_column": "Exam", "findings": {"any": "ICH"}}, pseudonymize_ids="study_id"), r"options\.pseudonymize_ids: expected a list of text"),
    ("generic-labels-number", files(), lambda r: generic.load(r, labels=5), r"options\.labels: expected a mapping of text to any value or a list of a mapping"),
    # BHSD
    ("bhsd-mask-dirs-numbers", bhsd_layout(), lambda r: bhsd.load(r, mask_dirs=[1, 2]), r"options\.mask_dirs\[0\]: expected text, got int 1"),
    ("mosmed-sheet-float", mosmed(), lambda r: mosmed_ich.load(r, sheet=1.5, salt=SALT), r"options\.sheet: expected text or an integer, got float 1\.5"),
    ("hemorica-slice-tables-numbers", hemorica_layout(), lambda r: hemorica.load(r, slice_tables=[1], salt=SALT), r"options\.slice_tables\[0\]: expected text, got int 1"),
    ("rsna-salt-number", rsna(), lambda r: rsna_ich.load(r, salt=42), r"options\.salt: expected text or null, got int 42"),
    ("bhsd-mask-7", bhsd_layout(mask=7), lambda r: bhsd.load(r), r"^labelsTr/ID_a_ID_b\.nii\.gz: mask holds values \[7\] \(1 voxels\); expected the labels \[0, 1, 2, 3, 4, 5\]"),
    ("bhsd-mask-nan", bhsd_layout(mask=np.nan), lambda r: bhsd.load(r), r"^labelsTr/ID_a_ID_b\.nii\.gz: mask holds values \[nan\]"),
    ("bhsd-mask-2.5", bhsd_layout(mask=2.5), lambda r: bhsd.load(r), r"^labelsTr/ID_a_ID_b\.nii\.gz: mask holds values \[2\.5\]"),
    ("bhsd-bad-json", bhsd_layout(split="{not json"), lambda r: bhsd.load(r), r"^dataset\.json: not valid JSON"),
    ("bhsd-image-dirs-str", bhsd_layout(), lambda r: bhsd.load(r, image_dirs="imagesTr"), r"options\.image_dirs: expected a list of text, got str 'imagesTr'"),
    ("bhsd-two-masks-one-study", bhsd_layout(second=True), lambda r: bhsd.load(r), r"labelsTr/ID_a_ID_b_0000\.nii\.gz: a second file for study 'ID_a_ID_b'"),
    # Hemorica
    ("hemorica-columns-type", hemorica_layout(), lambda r: hemorica.load(r, columns={"study": 5}, salt=SALT), r"options\.columns\.study: expected text or a list of text, got int 5"),
    ("hemorica-flag-x", hemorica_layout("patient_name,EPH,SDH,SAH,IPH,IVH\nJane Doe,0,0,0,x,0\n"), lambda r: hemorica.load(r, salt=SALT), r"^exam_labels\.csv, column 'IPH': expected 0/1"),
    ("hemorica-duplicate-exam", hemorica_layout(HEM_EXAM + "Jane Doe,0,0,0,0,0\n"), lambda r: hemorica.load(r, salt=SALT), r"^exam_labels\.csv: expected one row per exam; 2 rows, first: row 2, row 3 repeat"),
    ("hemorica-mask-3-binary", hemorica_layout(mask=3), lambda r: hemorica.load(r, salt=SALT), r"^masks_3d/<exam st-[0-9a-f]+>: mask holds values \[3\]"),
    ("hemorica-mask-shape", hemorica_layout(mask=1, mask_shape=(4, 4, 3)), lambda r: hemorica.load(r, salt=SALT, hash_ids=False), r"^mask masks_3d/<exam st-[0-9a-f]+> has shape \(4, 4, 3\) but its image images_3d/<exam st-"),
    ("hemorica-slice-in-two-tables", files(slice_labels_DOT_csv="patient_name,slice_number,EPH,SDH,SAH,ICH,IVH\nJane Doe,0,0,0,0,0,0\n", train_DOT_csv="patient_name,slice_number,EPH,SDH,SAH,ICH,IVH\nJane Doe,0,0,0,0,1,0\n"), lambda r: hemorica.load(r, salt=SALT), r"^slice_labels\.csv and train\.csv: the same exam slice"),
    ("rsna-trailing-comma-rows", rsna("ID,Label\nID_a_any,0,\n"), rsna_ich.load, r"^stage_2_train\.csv: cannot be read as an ID,Label table .*Expected 2 columns, got 3"),
    # demo
    ("demo-n-studies-text", files(), lambda r: demo.load(n_studies="many"), r"options\.n_studies: expected an integer, got str 'many'"),
]


@pytest.mark.parametrize("build, call, match", [pytest.param(b, c, m, id=i) for i, b, c, m in CASES])
def test_bad_input_is_a_clear_error(tmp_path, frozen_inputs, build, call, match):
    root = tmp_path / "data"
    root.mkdir()
    build(root)
    frozen_inputs(root)
    with pytest.raises(HemstatsError, match=match) as info:
        call(root)
    message = str(info.value)
    assert str(tmp_path) not in message  # no absolute path
    assert "Jane" not in message  # no exam key that is a name


def test_there_are_at_least_50_cases():
    assert len(CASES) >= 50 and len({c[0] for c in CASES}) == len(CASES)
