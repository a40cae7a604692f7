"""PhysioNet CT-ICH adapter: header with a newline, BOM/CRLF slice table, blank flags, NIfTI, notes."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest

from hemstats.datasets import get_adapter, physionet_ct_ich
from hemstats.errors import DataFormatError

DEMO_HEADER = (
    'Patient Number,"Age\r\n(years)",Gender,Intraventricular,Intraparenchymal,Subarachnoid,Epidural,'
    "Subdural,Fracture (Yes/No),Condition on file,Note\r\n"
)
DIAG_HEADER = (
    "\ufeffPatientNumber,SliceNumber,Intraventricular,Intraparenchymal,Subarachnoid,Epidural,Subdural,"
    "No_Hemorrhage,Fracture_Yes_No\r\n"
)
# IVH, IPH, SAH, EDH, SDH, fracture
PATIENTS = {
    49: ("35", "Male", ",1,,1,,1", "Intracranial HGE+ Extradural HGE "),
    50: ("0.583333333", "Female", ",1,,,,", "Subdural HGE "),
    54: ("60", "Female", ",,,,,", "Normal CT"),
}
# slice rows: patient, slice, IVH, IPH, SAH, EDH, SDH, No_Hemorrhage, fracture
SLICES = [
    (49, 1, 0, 0, 0, 0, 0, 1, 0),
    (49, 2, 0, 1, 0, 1, 0, 0, 1),
    (49, 3, 0, 0, 0, 1, 0, 0, 1),
    (50, 1, 0, 1, 0, 0, 0, 0, 0),
    (50, 2, 0, 0, 0, 0, 1, 0, 1),  # subdural on a slice, flag blank; fracture too
    (54, 1, 0, 0, 0, 0, 0, 1, 0),
]


def _write(root, patients=PATIENTS, slices=SLICES, demo_name="patient_demographics.csv"):
    demo = DEMO_HEADER + "".join(
        f"{pid},{age},{sex},{flags},{cond},\r\n" for pid, (age, sex, flags, cond) in patients.items()
    )
    (root / demo_name).write_bytes(demo.encode("utf-8"))
    diag = DIAG_HEADER + "".join(",".join(map(str, r)) + "\r\n" for r in slices)
    (root / "hemorrhage_diagnosis.csv").write_bytes(diag.encode("utf-8"))
    return root


def _study(cohort, sid):
    lab = cohort.labels
    sel = lab[(lab.level == "study") & (lab.study_id == sid)]
    return dict(zip(sel["finding"].astype(str), sel["value"].astype(int)))


ALL = ("edh", "sdh", "sah", "iph", "ivh", "fracture", "any")


def test_studies_and_study_labels_from_slices(tmp_path):
    cohort = physionet_ct_ich.load(_write(tmp_path))
    st = cohort.studies
    assert st["study_id"].tolist() == ["049", "050", "054"] == st["patient_id"].tolist()
    assert st["age_years"].tolist() == [35.0, 0.583333333, 60.0]
    assert st["sex"].astype(str).tolist() == ["M", "F", "F"]
    assert st["condition"].tolist() == ["Intracranial HGE+ Extradural HGE", "Subdural HGE", "Normal CT"]
    assert st["n_slices"].tolist() == [3, 2, 1]  # no volume: the patient's (patient, slice) rows
    assert _study(cohort, "049") == {**dict.fromkeys(ALL, 0), "edh": 1, "iph": 1, "fracture": 1, "any": 1}
    assert _study(cohort, "054") == dict.fromkeys(ALL, 0)  # blank flags confirmed absent by the slices
    assert _study(cohort, "050") == {**dict.fromkeys(ALL, 0), "iph": 1, "sdh": 1, "fracture": 1, "any": 1}
    blank = cohort.notes.query("kind == 'blank_flags'")["detail"].iloc[0]
    assert blank.startswith("14 blank patient flag(s) in patient_demographics.csv: 12 read as absent")
    derived = cohort.notes.query("kind == 'derived_label'")["detail"].iloc[0]
    assert "maximum over their 6 (patient, slice) rows" in derived


def test_blank_flags_of_patients_without_slices(tmp_path):
    slices = [r for r in SLICES if r[0] != 54]
    cohort = physionet_ct_ich.load(_write(tmp_path, slices=slices))
    assert _study(cohort, "054") == {}  # no slice rows, blank flags: nothing claimed
    cohort = physionet_ct_ich.load(tmp_path, blank_flags="absent")
    assert _study(cohort, "054") == dict.fromkeys(ALL, 0)
    assert "6 of patients without slices read as 0" in cohort.notes.query("kind == 'blank_flags'")["detail"].iloc[0]


def _full_tables(root, n_patients=82, n_slices=2501, n_positive=36):
    """Tables in the exact format of the full release: BOM + CRLF slice table, header with a newline, blank = no."""
    per = [n_slices // n_patients + (i < n_slices % n_patients) for i in range(n_patients)]
    demo, diag = [DEMO_HEADER], [DIAG_HEADER]
    for i in range(n_patients):
        pid = 49 + i
        positive = i < n_positive
        kind = i % 5  # IVH, IPH, SAH, EDH, SDH
        flags = ["1" if positive and k == kind else "" for k in range(5)] + ["1" if positive and i % 2 else ""]
        cond = "Intracranial HGE " if positive else "Normal CT"
        demo.append(f"{pid},{20 + i % 60},{'Male' if i % 2 else 'Female'},{','.join(flags)},{cond},\r\n")
        for s in range(1, per[i] + 1):
            hit = positive and 10 <= s <= 13
            sub = ["1" if hit and k == kind else "0" for k in range(5)]
            diag.append(f"{pid},{s},{','.join(sub)},{0 if hit else 1},{1 if hit and i % 2 else 0}\r\n")
    (root / "patient_demographics.csv").write_bytes("".join(demo).encode("utf-8"))
    (root / "hemorrhage_diagnosis.csv").write_bytes("".join(diag).encode("utf-8"))
    return root


def test_full_size_tables_give_36_of_82(tmp_path):
    cohort = physionet_ct_ich.load(_full_tables(tmp_path))
    study_any = cohort.labels.query("level == 'study' and finding == 'any'")
    assert len(study_any) == 82 and int(study_any["value"].sum()) == 36
    assert len(cohort.labels.query("level == 'slice' and finding == 'any'")) == 2501
    assert int(cohort.studies["n_slices"].sum()) == 2501
    assert cohort.info["physionet_ct_ich"]["n_slices"] == 2501
    for code in ("edh", "sdh", "sah", "iph", "ivh"):
        lab = cohort.labels
        vals = lab.loc[(lab["level"] == "study") & (lab["finding"] == code), "value"]
        assert len(vals) == 82 and 0 < vals.sum() < 82  # no finding shows 100% prevalence
    assert cohort.notes.query("kind == 'label_disagreement'").empty


def test_slice_labels(tmp_path):
    cohort = physionet_ct_ich.load(_write(tmp_path))
    sl = cohort.labels.query("level == 'slice'")
    assert len(sl) == len(SLICES) * 7
    anyv = sl[sl.finding == "any"].set_index(["study_id", "slice_id"])["value"]
    assert anyv.to_dict() == {("049", "1"): 0, ("049", "2"): 1, ("049", "3"): 1, ("050", "1"): 1,
                              ("050", "2"): 1, ("054", "1"): 0}
    edh = sl[(sl.finding == "edh") & (sl.study_id == "049")]["value"].tolist()
    assert edh == [0, 1, 1]
    assert set(sl["rater"].astype(str)) == {"consensus"}


def test_disagreements_are_notes(tmp_path):
    cohort = physionet_ct_ich.load(_write(tmp_path))
    dis = cohort.notes.query("kind == 'label_disagreement'")
    got = sorted(zip(dis["study_id"], dis["finding"], dis["detail"]))
    assert got == [
        ("050", "fracture", "fracture: patient_demographics.csv flag blank, hemorrhage_diagnosis.csv 1 of 2 slices "
         "positive; study label 1 from the slices"),
        ("050", "sdh", "sdh: patient_demographics.csv flag blank, hemorrhage_diagnosis.csv 1 of 2 slices positive; "
         "study label 1 from the slices"),
    ]
    # blank_flags does not change patients with slices
    dis0 = physionet_ct_ich.load(tmp_path, blank_flags="absent").notes.query("kind == 'label_disagreement'")
    assert sorted(dis0["detail"]) == sorted(dis["detail"])


def test_flag_1_but_no_positive_slice_and_no_hemorrhage_contradiction(tmp_path):
    slices = [*SLICES[:-1], (54, 1, 0, 0, 1, 0, 0, 1, 0)]  # SAH on a slice marked No_Hemorrhage
    patients = {**PATIENTS, 54: ("60", "Female", ",,,,1,", "Normal CT")}  # SDH flag without slices
    cohort = physionet_ct_ich.load(_write(tmp_path, patients=patients, slices=slices))
    details = cohort.notes.query("study_id == '054' and kind == 'label_disagreement'")["detail"].tolist()
    assert ("sdh: patient_demographics.csv flag 1, hemorrhage_diagnosis.csv 0 of 1 slices positive; "
            "study label 0 from the slices") in details
    assert any("slice 1 has No_Hemorrhage=1 but subtype flags" in d and "sah=1" in d for d in details)
    assert _study(cohort, "054")["sah"] == 1 and _study(cohort, "054")["any"] == 1


def test_out_of_range_ages_become_missing_with_a_note(tmp_path):
    patients = {**PATIENTS, 54: ("-3", "Female", ",,,,,", "x"), 50: ("450", "Female", ",1,,,,", "x")}
    cohort = physionet_ct_ich.load(_write(tmp_path, patients=patients))
    st = cohort.studies.set_index("study_id")
    assert pd.isna(st.loc["054", "age_years"]) and pd.isna(st.loc["050", "age_years"])
    assert st.loc["049", "age_years"] == 35.0
    notes = cohort.notes.query("kind == 'out_of_range'")
    assert notes["study_id"].tolist() == ["050", "054"]
    assert "column 'Age (years)', row 3: age 450 is outside 0-130 years" in notes["detail"].iloc[0]


def test_capitalised_file_name(tmp_path):
    _write(tmp_path, demo_name="Patient_demographics.csv")
    assert len(get_adapter("physionet_ct_ich")(tmp_path).studies) == 3


@pytest.mark.parametrize(
    "patients, slices, message",
    [
        ({**PATIENTS, 54: ("60", "Female", ",,2,,,", "x")}, SLICES, r"column 'Subarachnoid': expected 0/1.*row 4 \('2'\)"),
        ({**PATIENTS, 54: ("60", "X", ",,,,,", "x")}, SLICES, r"column 'Gender': expected Male or Female"),
        ({**PATIENTS, 54: ("old", "Female", ",,,,,", "x")}, SLICES, r"column 'Age \(years\)': expected a number"),
        (PATIENTS, [*SLICES, (54, 1, 0, 0, 0, 0, 0, 1, 0)], r"expected one row per \(patient, slice\)"),
        (PATIENTS, [*SLICES, (77, 1, 0, 0, 0, 0, 0, 1, 0)], r"1 patient\(s\) without a row in patient_demographics.csv, first: 077"),
        (PATIENTS, [(49, 1, 0, 0, 0, 0, 0, 9, 0)], r"column 'No_Hemorrhage': expected 0/1"),
    ],
)
def test_bad_input(tmp_path, patients, slices, message):
    _write(tmp_path, patients=patients, slices=slices)
    with pytest.raises(DataFormatError, match=message):
        physionet_ct_ich.load(tmp_path)


def test_missing_table(tmp_path):
    _write(tmp_path)
    (tmp_path / "hemorrhage_diagnosis.csv").unlink()
    with pytest.raises(DataFormatError, match="expected the slice diagnosis table"):
        physionet_ct_ich.load(tmp_path)


def _nii(path, shape, zooms, data=None):
    import nibabel as nib

    arr = np.zeros(shape, dtype=np.int16) if data is None else data
    affine = np.diag([*zooms, 1.0])
    nib.save(nib.Nifti1Image(arr, affine), str(path))


def test_nifti_volumes_and_masks(tmp_path):
    _write(tmp_path)
    (tmp_path / "ct_scans").mkdir()
    (tmp_path / "masks").mkdir()
    _nii(tmp_path / "ct_scans" / "049.nii", (8, 8, 3), (0.5, 0.5, 5.0))
    mask = np.zeros((8, 8, 3), dtype=np.uint8)
    mask[2:4, 2:5, 1] = 1  # 6 voxels
    _nii(tmp_path / "masks" / "049.nii", (8, 8, 3), (0.5, 0.5, 5.0), mask)
    _nii(tmp_path / "ct_scans" / "050.nii.gz", (8, 8, 2), (0.4, 0.4, 4.5))
    cohort = physionet_ct_ich.load(tmp_path)
    st = cohort.studies.set_index("study_id")
    assert st.loc["049", "n_slices"] == 3 and st.loc["049", "slice_thickness_mm"] == 5.0
    assert st.loc["050", "n_slices"] == 2 and st.loc["050", "slice_thickness_mm"] == pytest.approx(4.5)
    assert st.loc["054", "n_slices"] == 1  # no volume: its slice rows
    les = cohort.lesions
    assert les[["study_id", "finding", "voxels"]].values.tolist() == [["049", "any", 6]]
    assert les["volume_ml"].iloc[0] == pytest.approx(6 * 0.5 * 0.5 * 5.0 / 1000)


def test_mask_shape_mismatch_and_bad_nifti(tmp_path):
    _write(tmp_path)
    (tmp_path / "ct_scans").mkdir()
    (tmp_path / "masks").mkdir()
    _nii(tmp_path / "ct_scans" / "049.nii", (8, 8, 3), (0.5, 0.5, 5.0))
    _nii(tmp_path / "masks" / "049.nii", (8, 8, 4), (0.5, 0.5, 5.0))
    with pytest.raises(DataFormatError, match=r"^mask masks/049\.nii has shape .* but its image ct_scans/049\.nii"):
        physionet_ct_ich.load(tmp_path)
    (tmp_path / "masks" / "049.nii").unlink()
    (tmp_path / "ct_scans" / "050.nii").write_bytes(b"\x00" * 100)
    with pytest.raises(DataFormatError, match=r"^ct_scans/050\.nii: not a readable NIfTI"):
        physionet_ct_ich.load(tmp_path)


def test_volume_without_patient(tmp_path):
    _write(tmp_path)
    (tmp_path / "ct_scans").mkdir()
    _nii(tmp_path / "ct_scans" / "099.nii", (4, 4, 2), (1.0, 1.0, 5.0))
    with pytest.raises(DataFormatError, match=r"^ct_scans/099\.nii: volume of patient 099"):
        physionet_ct_ich.load(tmp_path)


@pytest.mark.shared_data
def test_real_excerpts(shared_data):
    # Excerpts: 12 of 82 patients, slices of patients 49, 50, 51 and 58 only; no NIfTI files.
    root = shared_data / "physionet_ct_ich"
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in root.iterdir()}
    cohort = physionet_ct_ich.load(root)
    st = cohort.studies.set_index("study_id")
    assert len(st) == 12
    assert st.loc["050", "age_years"] == pytest.approx(0.583333333)
    assert st["sex"].astype(str).value_counts().to_dict() == {"M": 7, "F": 5}
    sl = cohort.labels.query("level == 'slice'")
    assert sl.groupby("study_id").slice_id.nunique().to_dict() == {"049": 33, "050": 26, "051": 32, "058": 34}
    pos = sl.groupby("finding", observed=True)["value"].sum()
    assert pos[["any", "edh", "sdh", "iph", "fracture"]].tolist() == [42, 8, 15, 20, 47]
    # the excerpt's flags agree with its slices, and No_Hemorrhage is the negation of any subtype
    assert cohort.notes.query("kind == 'label_disagreement'").empty
    # "Normal CT" in free text, IPH by flag and slices; blank flags confirmed absent by the slices
    assert _study(cohort, "058") == {**dict.fromkeys(ALL, 0), "iph": 1, "any": 1}
    study_any = cohort.labels.query("level == 'study' and finding == 'any'").set_index("study_id")["value"]
    # patients with slices in the excerpt: labels from the slices; the others keep their flags (blank = missing)
    assert study_any.to_dict() == {"049": 1, "050": 1, "051": 1, "052": 1, "053": 1, "058": 1}
    assert _study(cohort, "054") == {}
    assert before == {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in root.iterdir()}


def test_blank_flags_option_checked(tmp_path):
    from hemstats.errors import ManifestError

    with pytest.raises(ManifestError, match="options.blank_flags: expected one of 'missing', 'absent', got str 'zero'"):
        physionet_ct_ich.load(_write(tmp_path), blank_flags="zero")


@pytest.mark.parametrize("value", [2, 7, 0.5, np.nan])
def test_mask_values_outside_0_1_are_errors(tmp_path, value):
    _write(tmp_path)
    (tmp_path / "ct_scans").mkdir()
    (tmp_path / "masks").mkdir()
    _nii(tmp_path / "ct_scans" / "049.nii", (4, 4, 2), (1.0, 1.0, 5.0))
    mask = np.zeros((4, 4, 2), dtype=np.float32)
    mask[0, 0, 0] = value
    _nii(tmp_path / "masks" / "049.nii", (4, 4, 2), (1.0, 1.0, 5.0), mask)
    shown = "nan" if np.isnan(value) else f"{value:g}"
    with pytest.raises(DataFormatError, match=rf"^masks/049\.nii: mask holds values \[{shown}\] \(1 voxels\); "
                       r"expected the labels \[0, 1\]"):
        physionet_ct_ich.load(tmp_path)


def test_messages_have_no_absolute_path(tmp_path):
    _write(tmp_path)
    (tmp_path / "hemorrhage_diagnosis.csv").write_text("PatientNumber,SliceNumber\n49,x\n")
    with pytest.raises(DataFormatError) as info:
        physionet_ct_ich.load(tmp_path)
    assert str(tmp_path) not in str(info.value) and str(info.value).startswith("hemorrhage_diagnosis.csv")
