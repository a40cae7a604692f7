"""PhysioNet CT-ICH (Hssayeni et al. 2020): 82 head CTs, slice labels, NIfTI volumes and masks.

Native layout (v1.3.x)::

    <root>/patient_demographics.csv   Patient Number, "Age\\n(years)", Gender, Intraventricular,
                                      Intraparenchymal, Subarachnoid, Epidural, Subdural,
                                      Fracture (Yes/No), Condition on file, Note
    <root>/hemorrhage_diagnosis.csv   PatientNumber, SliceNumber, Intraventricular, ...,
                                      No_Hemorrhage, Fracture_Yes_No   (UTF-8 BOM, CRLF)
    <root>/ct_scans/049.nii           CT volume per patient (optional)
    <root>/masks/049.nii              binary hemorrhage mask (optional)

File names are matched without regard to case (``Patient_demographics.csv`` too);
``hemorrhage_diagnosis_raw_ct.csv`` is accepted for the slice table, ``.nii.gz`` for volumes.

Tables produced:

* ``studies``: one per patient (``study_id`` = ``patient_id`` = the patient number
  padded to three digits, ``"049"``, as in the NIfTI file names; a public pseudonym),
  ``age_years`` (infants as fractions of a year, kept), ``sex``, an extra
  ``condition`` column (the free text "Condition on file", typos kept), and, when
  the volume exists, ``n_slices`` and ``slice_thickness_mm`` from its NIfTI header;
* ``labels``, rater ``consensus`` (the paper's two radiologists decided together):
  level ``study`` from the patient flags (``edh, sdh, sah, iph, ivh, fracture`` and
  ``any``, derived as the maximum of the five subtype flags), and level ``slice``
  from the diagnosis table (``slice_id`` = ``SliceNumber``; the same findings plus
  ``any`` = not ``No_Hemorrhage``);
* ``lesions``: finding ``any``, voxels and volume (ml) of each mask present (the masks
  do not separate subtypes);
* ``notes``: one ``label_disagreement`` row per patient and finding where the patient
  flag and the slices disagree (and per slice where ``No_Hemorrhage`` contradicts the
  subtype flags), one ``blank_flags`` row saying how blanks were read, one
  ``derived_label`` row for the study-level ``any``.

Blank patient flags
-------------------
The subtype flags of ``patient_demographics.csv`` are ``1`` or blank.  The "Normal CT"
rows are all blank, which suggests blank means "not present", but no statement of
the dataset's README or paper confirming this was found.  So by default
(``blank_flags="missing"``) a blank flag stays missing: no study-level label row is
written for it, and a blank flag whose slices show the finding is still reported as
a ``label_disagreement``.  Pass ``blank_flags="absent"`` to read blanks as 0.

References
----------
Hssayeni M.D. et al. Intracranial hemorrhage segmentation using a deep convolutional
model. Data 2020;5(1):14. PhysioNet ct-ich, doi:10.13026/4nae-zg36.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from hemstats.cohort import Cohort
from hemstats.errors import DataFormatError, ManifestError, Problem
from hemstats.findings import DATASET_FINDINGS, SUBTYPES
from hemstats.io.tables import find_column, first_rows, parse_flag, parse_number, read_table, sex_codes

__all__ = ["load"]

_ADAPTER = "physionet_ct_ich"
_DEMOGRAPHICS = ("patient_demographics.csv",)
_DIAGNOSIS = ("hemorrhage_diagnosis.csv", "hemorrhage_diagnosis_raw_ct.csv")
#: Flag columns of both tables: (patient table header, slice table header, finding).
_FLAGS = tuple(
    (label, label, code) for label, code in DATASET_FINDINGS[_ADAPTER].items() if code in SUBTYPES
) + (("Fracture (Yes/No)", "Fracture_Yes_No", "fracture"),)


def _find_file(root: Path, given: str | None, candidates: tuple[str, ...], what: str) -> Path:
    if given is not None:
        return root / given
    if root.is_dir():
        by_name = {p.name.lower(): p for p in root.iterdir() if p.is_file()}
        for c in candidates:
            if c in by_name:
                return by_name[c]
    raise DataFormatError(f"{root}: expected the {what} table ({' or '.join(candidates)})")


def _study_ids(values: pd.Series, path: Path, column: str) -> pd.Series:
    numbers = parse_number(values, path=path, column=column, minimum=0)
    bad = numbers.isna() | (numbers != numbers.round())
    if bad.fillna(True).any():
        raise DataFormatError(f"{path}, column {column!r}: expected a patient number; {first_rows(bad.fillna(True), values)}")
    return numbers.astype(int).map(lambda i: f"{i:03d}")


def _read_patients(path: Path, name: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    table = read_table(path)
    col = {key: find_column(table, cands, path=path) for key, cands in {
        "id": ["Patient Number", "PatientNumber"],
        "age": ["Age (years)", "Age"],
        "sex": ["Gender", "Sex"],
    }.items()}
    ids = _study_ids(table[col["id"]], path, col["id"])
    dup = ids.duplicated(keep=False)
    if dup.any():
        raise DataFormatError(f"{path}, column {col['id']!r}: expected one row per patient; {first_rows(dup, ids)}")
    sex, bad_sex = sex_codes(table[col["sex"]])
    if bad_sex.any():
        raise DataFormatError(f"{path}, column {col['sex']!r}: expected Male or Female; {first_rows(bad_sex, table[col['sex']])}")
    condition_col = find_column(table, ["Condition on file"], path=path, required=False)
    studies = pd.DataFrame(
        {
            "dataset": name,
            "study_id": ids,
            "patient_id": ids,
            "age_years": parse_number(table[col["age"]], path=path, column=col["age"], minimum=0),
            "sex": sex,
            "condition": table[condition_col] if condition_col else pd.NA,
        }
    )
    flags = pd.DataFrame(index=table.index)
    for header, _, code in _FLAGS:
        c = find_column(table, [header], path=path)
        flags[code] = parse_flag(table[c], path=path, column=c)
    flags.index = ids
    return studies, flags


def _derive_any(subtypes: pd.DataFrame) -> pd.Series:
    """1 if any subtype is 1; 0 if all are 0; missing otherwise."""
    out = pd.Series(pd.NA, index=subtypes.index, dtype="Int8")
    out[(subtypes == 1).fillna(False).any(axis=1).to_numpy(bool)] = 1
    out[(subtypes == 0).fillna(False).all(axis=1).to_numpy(bool)] = 0
    return out


def _read_slices(path: Path) -> pd.DataFrame:
    """Slice flags indexed by (study_id, slice_id); columns the findings plus ``any`` and ``no_hemorrhage``."""
    table = read_table(path)
    id_col = find_column(table, ["PatientNumber", "Patient Number"], path=path)
    slice_col = find_column(table, ["SliceNumber", "Slice Number"], path=path)
    no_col = find_column(table, ["No_Hemorrhage"], path=path)
    ids = _study_ids(table[id_col], path, id_col)
    slices = parse_number(table[slice_col], path=path, column=slice_col, minimum=0)
    bad = slices.isna() | (slices != slices.round())
    if bad.fillna(True).any():
        raise DataFormatError(f"{path}, column {slice_col!r}: expected a slice number; {first_rows(bad.fillna(True), table[slice_col])}")
    slice_ids = slices.astype(int).astype(str)
    key = pd.MultiIndex.from_arrays([ids, slice_ids], names=["study_id", "slice_id"])
    dup = key.duplicated(keep=False)
    if dup.any():
        raise DataFormatError(f"{path}: expected one row per (patient, slice); {first_rows(dup, ids + '/' + slice_ids)}")
    out = pd.DataFrame(index=key)
    for _, header, code in _FLAGS:
        c = find_column(table, [header], path=path)
        out[code] = parse_flag(table[c], path=path, column=c).to_numpy()
    no = parse_flag(table[no_col], path=path, column=no_col)
    out["no_hemorrhage"] = no.to_numpy()
    out["any"] = (1 - no).astype("Int8").to_numpy()
    return out


def _nifti(ct_path: Path, mask_path: Path | None) -> tuple[int, float, int | None, float | None]:
    """n_slices and slice thickness of the volume; voxels and ml of the mask (when given)."""
    import nibabel as nib

    try:
        img = nib.load(str(ct_path))
        shape, zooms = img.shape, img.header.get_zooms()
    except Exception as exc:  # nibabel raises several types on a bad header
        raise DataFormatError(f"{ct_path}: unreadable NIfTI ({type(exc).__name__}: {exc})") from None
    if len(shape) < 3:
        raise DataFormatError(f"{ct_path}: expected a 3-D volume, found shape {shape}")
    if mask_path is None:
        return int(shape[2]), float(zooms[2]), None, None
    try:
        mask = nib.load(str(mask_path))
        if mask.shape[:3] != shape[:3] or not np.allclose(mask.affine, img.affine, atol=1e-3):
            raise DataFormatError(
                f"{mask_path}: mask shape {mask.shape} / affine differ from volume {ct_path} shape {shape}"
            )
        voxels = int(np.count_nonzero(np.asanyarray(mask.dataobj)))
    except DataFormatError:
        raise
    except Exception as exc:
        raise DataFormatError(f"{mask_path}: unreadable NIfTI mask ({type(exc).__name__}: {exc})") from None
    voxel_ml = float(np.prod(zooms[:3])) / 1000.0
    return int(shape[2]), float(zooms[2]), voxels, voxels * voxel_ml


def _volumes(root: Path, ct_dir: str, mask_dir: str, known: set[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    rows, lesions = [], []
    folder = root / ct_dir
    if not folder.is_dir():
        return pd.DataFrame(columns=["study_id", "n_slices", "slice_thickness_mm"]), pd.DataFrame()
    for path in sorted(folder.iterdir()):
        stem = path.name.removesuffix(".gz").removesuffix(".nii")
        if stem == path.name or not stem.isdigit():
            continue
        sid = f"{int(stem):03d}"
        if sid not in known:
            raise DataFormatError(f"{path}: volume of patient {sid}, who has no row in patient_demographics.csv")
        mask = next((p for p in (root / mask_dir / path.name, root / mask_dir / f"{stem}.nii",
                                 root / mask_dir / f"{stem}.nii.gz") if p.is_file()), None)
        n, thick, voxels, ml = _nifti(path, mask)
        rows.append((sid, n, thick))
        if voxels is not None:
            lesions.append((sid, "any", voxels, ml))
    return (
        pd.DataFrame(rows, columns=["study_id", "n_slices", "slice_thickness_mm"]),
        pd.DataFrame(lesions, columns=["study_id", "finding", "voxels", "volume_ml"]),
    )


def _disagreements(flags: pd.DataFrame, slices: pd.DataFrame, demo_name: str, diag_name: str) -> list[tuple]:
    notes = []
    by_study = slices.groupby(level="study_id")
    for code in [*SUBTYPES, "fracture", "any"]:
        positive = by_study[code].sum()
        labelled = by_study[code].count()
        for sid in positive.index:
            if sid not in flags.index:
                continue
            flag = flags.at[sid, code]
            n_pos, n = int(positive[sid]), int(labelled[sid])
            if n == 0:
                continue
            seen = int(n_pos > 0)
            if (pd.isna(flag) and seen == 1) or (not pd.isna(flag) and int(flag) != seen):
                shown = "blank (kept missing)" if pd.isna(flag) else str(int(flag))
                notes.append((sid, "label_disagreement",
                              f"{code}: {demo_name} flag {shown}, {diag_name} {n_pos} of {n} slices positive"))
    # slices where No_Hemorrhage contradicts the subtype flags
    sub = slices[list(SUBTYPES)]
    known = sub.notna().all(axis=1) & slices["no_hemorrhage"].notna()
    contra = known & ((sub == 1).any(axis=1) == (slices["no_hemorrhage"] == 1))
    for sid, slc in slices.index[contra.to_numpy(bool)]:
        row = slices.loc[(sid, slc)]
        notes.append((sid, "label_disagreement",
                      f"any: {diag_name} slice {slc} has No_Hemorrhage={int(row['no_hemorrhage'])} but subtype flags "
                      + ", ".join(f"{c}={int(row[c])}" for c in SUBTYPES)))
    return notes


def _long(wide: pd.DataFrame, name: str, level: str) -> pd.DataFrame:
    cols = [*SUBTYPES, "fracture", "any"]
    frame = wide[cols].reset_index()
    id_vars = [c for c in ("study_id", "slice_id") if c in frame.columns]
    out = frame.melt(id_vars=id_vars, var_name="finding", value_name="value").dropna(subset=["value"])
    out = out.assign(dataset=name, level=level, rater="consensus", value=out["value"].astype("int8"))
    if "slice_id" not in out.columns:
        out["slice_id"] = pd.NA
    return out


def load(
    root: str | Path,
    *,
    name: str = _ADAPTER,
    blank_flags: Literal["missing", "absent"] = "missing",
    demographics_file: str | None = None,
    diagnosis_file: str | None = None,
    ct_dir: str = "ct_scans",
    mask_dir: str = "masks",
) -> Cohort:
    """Load PhysioNet CT-ICH from its native layout.

    Parameters
    ----------
    root : str or Path
        The dataset folder.
    name : str
        Value of the ``dataset`` column.
    blank_flags : {"missing", "absent"}
        How blank patient flags are read: kept missing (default, see the module
        docstring) or as 0.
    demographics_file, diagnosis_file : str, optional
        The two tables relative to ``root``; found by their usual names by default.
    ct_dir, mask_dir : str
        Folders of the NIfTI volumes and masks; skipped when absent.

    Returns
    -------
    Cohort
        ``studies``, ``labels`` (study and slice level), ``lesions`` (from masks) and ``notes``.

    Raises
    ------
    DataFormatError
        A missing table or column, a flag that is not 0/1, a duplicate patient or
        slice, a slice of a patient without a demographics row, an unreadable NIfTI,
        a mask whose shape or affine differs from its volume.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     root = pathlib.Path(tmp)
    ...     _ = (root / "patient_demographics.csv").write_bytes(
    ...         b'Patient Number,"Age\\r\\n(years)",Gender,Intraventricular,Intraparenchymal,Subarachnoid,'
    ...         b'Epidural,Subdural,Fracture (Yes/No),Condition on file,Note\\r\\n'
    ...         b'50,0.583333333,Female,,1,,,,1,Subdural HGE ,\\r\\n')
    ...     _ = (root / "hemorrhage_diagnosis.csv").write_bytes(
    ...         b'\\xef\\xbb\\xbfPatientNumber,SliceNumber,Intraventricular,Intraparenchymal,Subarachnoid,'
    ...         b'Epidural,Subdural,No_Hemorrhage,Fracture_Yes_No\\r\\n50,1,0,0,0,0,0,1,0\\r\\n50,2,0,1,0,0,0,0,1\\r\\n')
    ...     cohort = load(root)
    >>> cohort.studies[["study_id", "age_years", "sex"]].values.tolist()
    [['050', 0.583333333, 'F']]
    >>> study = cohort.labels.query("level == 'study'")
    >>> dict(zip(study["finding"].astype(str), study["value"]))
    {'iph': 1, 'fracture': 1, 'any': 1}
    >>> cohort.labels.query("level == 'slice' and finding == 'any'")["value"].tolist()
    [0, 1]
    """
    if blank_flags not in ("missing", "absent"):
        raise ManifestError([Problem("options.blank_flags", f"expected 'missing' or 'absent', got {blank_flags!r}")])
    root = Path(root)
    demo_path = _find_file(root, demographics_file, _DEMOGRAPHICS, "patient demographics")
    diag_path = _find_file(root, diagnosis_file, _DIAGNOSIS, "slice diagnosis")
    studies, flags = _read_patients(demo_path, name)
    n_blank = int(flags.isna().sum().sum())
    if blank_flags == "absent":
        flags = flags.fillna(0)
    flags["any"] = _derive_any(flags[list(SUBTYPES)])
    slices = _read_slices(diag_path)

    orphans = sorted(set(slices.index.get_level_values("study_id")) - set(studies["study_id"]))
    if orphans:
        raise DataFormatError(
            f"{diag_path}: {len(orphans)} patient(s) without a row in {demo_path.name}, first: {orphans[0]}"
        )

    volumes, lesions = _volumes(root, ct_dir, mask_dir, set(studies["study_id"]))
    studies = studies.merge(volumes, on="study_id", how="left")

    labels = pd.concat([_long(flags.rename_axis("study_id"), name, "study"), _long(slices, name, "slice")],
                       ignore_index=True)
    notes = _disagreements(flags, slices, demo_path.name, diag_path.name)
    notes.append((pd.NA, "derived_label", "study-level 'any' is the maximum of the five patient subtype flags"))
    if blank_flags == "missing":
        notes.append((pd.NA, "blank_flags", f"{n_blank} blank patient flag(s) in {demo_path.name} kept missing "
                      "(no study-level label); blank_flags='absent' reads them as 0"))
    else:
        notes.append((pd.NA, "blank_flags", f"{n_blank} blank patient flag(s) in {demo_path.name} read as 0"))
    notes_df = pd.DataFrame(notes, columns=["study_id", "kind", "detail"]).assign(dataset=name)
    if len(lesions):
        lesions = lesions.assign(dataset=name)
    return Cohort(
        studies,
        labels=labels,
        lesions=lesions if len(lesions) else None,
        notes=notes_df,
        info={name: {"adapter": _ADAPTER, "synthetic": False, "blank_flags": blank_flags}},
    )
