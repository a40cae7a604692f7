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
  ``condition`` column (the free text "Condition on file", typos kept),
  ``slice_thickness_mm`` and ``n_slices`` from the NIfTI header when the volume
  exists (else ``n_slices`` is the patient's number of rows in the slice table);
* ``labels``, rater ``consensus`` (the paper's two radiologists decided together):
  level ``slice`` from the diagnosis table (``slice_id`` = ``SliceNumber``; findings
  ``edh, sdh, sah, iph, ivh, fracture`` and ``any`` = not ``No_Hemorrhage``), and level
  ``study`` derived from the complete slice table (see below);
* ``lesions``: finding ``any``, voxels and volume (ml) of each mask present (the masks
  do not separate subtypes; their values must be 0 or 1);
* ``notes`` (with a ``finding`` column): one ``label_disagreement`` row per patient and
  finding where the patient flag and the slices disagree (and per slice where
  ``No_Hemorrhage`` contradicts the subtype flags), one ``derived_label`` row saying how
  study labels were derived, one ``blank_flags`` row counting how blanks were read,
  and an ``out_of_range`` row per age outside 0-130 years (kept missing).

Study-level labels
------------------
The subtype flags of ``patient_demographics.csv`` are ``1`` or blank, and no statement
of the dataset's README or paper says what a blank means.  The slice table, in
contrast, is complete (every slice of every patient, 0 or 1).  So study labels are
derived from it: a finding is 1 when any of the patient's slices shows it, 0 when
every slice is read negative (missing when a slice flag is blank and none is positive);
``any`` is 1 when any slice has ``No_Hemorrhage`` = 0 or any subtype.  The patient
flags are cross-checked: a blank flag is read as "absent" where the slices confirm it,
and every disagreement (a blank or 0 flag with positive slices, a 1 flag without one)
is a ``label_disagreement`` note naming the study and finding (the slice-derived value
is the label).  With the full tables this gives 36 of 82 patients with any ICH, as the
dataset paper reports.  Slice counts count (patient, slice) pairs.

A patient without any row in the slice table keeps the patient flags: ``1`` is 1, and
a blank stays missing (``blank_flags="missing"``, default) or reads as 0
(``blank_flags="absent"``); ``any`` is then the maximum of the five subtype flags.

References
----------
Hssayeni M.D. et al. Intracranial hemorrhage segmentation using a deep convolutional
model. Data 2020;5(1):14. PhysioNet ct-ich, doi:10.13026/4nae-zg36.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

import pandas as pd

from hemstats.cohort import Cohort
from hemstats.errors import DataFormatError
from hemstats.findings import DATASET_FINDINGS, SUBTYPES
from hemstats.io.nifti import check_same_grid, label_volumes, read_header
from hemstats.io.tables import (
    age_in_range,
    check_options,
    dataset_root,
    find_column,
    first_rows,
    parse_flag,
    parse_number,
    read_table,
    relative_errors,
    sex_codes,
)

__all__ = ["load"]

_ADAPTER = "physionet_ct_ich"
_DEMOGRAPHICS = ("patient_demographics.csv",)
_DIAGNOSIS = ("hemorrhage_diagnosis.csv", "hemorrhage_diagnosis_raw_ct.csv")
#: Flag columns of both tables: (patient table header, slice table header, finding).
_FLAGS = tuple(
    (label, label, code) for label, code in DATASET_FINDINGS[_ADAPTER].items() if code in SUBTYPES
) + (("Fracture (Yes/No)", "Fracture_Yes_No", "fracture"),)
_FINDINGS = (*SUBTYPES, "fracture")
#: Mask vocabulary: background and hemorrhage.
MASK_VALUES: frozenset[int] = frozenset({0, 1})
_NUMBERED = re.compile(r"[0-9]+")


def _find_file(root: Path, given: str | None, candidates: tuple[str, ...], what: str) -> Path:
    if given is not None:
        return root / given
    if root.is_dir():
        by_name = {p.name.lower(): p for p in root.iterdir() if p.is_file()}
        for c in candidates:
            if c in by_name:
                return by_name[c]
    raise DataFormatError(f"{root.name}: expected the {what} table ({' or '.join(candidates)})")


def _study_ids(values: pd.Series, path: Path, column: str) -> pd.Series:
    numbers = parse_number(values, path=path, column=column, minimum=0)
    bad = numbers.isna() | (numbers != numbers.round())
    if bad.fillna(True).any():
        raise DataFormatError(f"{path}, column {column!r}: expected a patient number; {first_rows(bad.fillna(True), values)}")
    return numbers.astype(int).map(lambda i: f"{i:03d}")


def _read_patients(path: Path, name: str) -> tuple[pd.DataFrame, pd.DataFrame, list[tuple[object, ...]]]:
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
    ages, age_notes = age_in_range(parse_number(table[col["age"]], path=path, column=col["age"]),
                                   path=path.name, column=col["age"])
    condition_col = find_column(table, ["Condition on file"], path=path, required=False)
    studies = pd.DataFrame(
        {
            "dataset": name,
            "study_id": ids,
            "patient_id": ids,
            "age_years": ages,
            "sex": sex,
            "condition": table[condition_col] if condition_col else pd.NA,
        }
    )
    out_of_range: list[tuple[object, ...]] = [(sid, "out_of_range", pd.NA, text)
                    for sid, text in zip(ids[ages.isna() & table[col["age"]].notna()], age_notes)]
    flags = pd.DataFrame(index=table.index)
    for header, _, code in _FLAGS:
        c = find_column(table, [header], path=path)
        flags[code] = parse_flag(table[c], path=path, column=c)
    flags.index = ids
    return studies, flags, out_of_range


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


def _volumes(root: Path, ct_dir: str, mask_dir: str, known: set[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """n_slices and slice thickness of each volume; voxels and ml of each mask (values 0/1)."""
    rows: list[tuple[str, int, float]] = []
    lesions: list[tuple[str, str, int, float]] = []
    volumes: dict[str, tuple[Path, str]] = {}
    folder = root / ct_dir
    if not folder.is_dir():
        return pd.DataFrame(columns=["study_id", "n_slices", "slice_thickness_mm"]), pd.DataFrame()
    for path in sorted(folder.iterdir()):
        stem = path.name.removesuffix(".gz").removesuffix(".nii")
        if stem == path.name or not _NUMBERED.fullmatch(stem):
            continue
        sid = f"{int(stem):03d}"
        if sid in volumes:
            raise DataFormatError(f"{ct_dir}/{path.name}: a second volume of patient {sid} "
                                  f"(the first is {ct_dir}/{volumes[sid][0].name})")
        if sid not in known:
            raise DataFormatError(f"{ct_dir}/{path.name}: volume of patient {sid}, who has no row in "
                                  "patient_demographics.csv")
        volumes[sid] = (path, stem)
    for sid, (path, stem) in volumes.items():
        header = read_header(path, shown=f"{ct_dir}/{path.name}")
        rows.append((sid, header.shape[2], header.spacing[2]))
        mask = next((p for p in (root / mask_dir / path.name, root / mask_dir / f"{stem}.nii",
                                 root / mask_dir / f"{stem}.nii.gz") if p.is_file()), None)
        if mask is not None:
            mask_shown = f"{mask_dir}/{mask.name}"
            check_same_grid(header, read_header(mask, shown=mask_shown))
            vol = label_volumes(mask, labels={1: "any"}, shown=mask_shown).iloc[0]
            lesions.append((sid, "any", int(vol["voxels"]), float(vol["volume_ml"])))
    return (
        pd.DataFrame(rows, columns=["study_id", "n_slices", "slice_thickness_mm"]),
        pd.DataFrame(lesions, columns=["study_id", "finding", "voxels", "volume_ml"]),
    )


def _from_slices(slices: pd.DataFrame) -> pd.DataFrame:
    """Per patient: 1 if any slice is positive, 0 if every slice is read 0, else missing."""
    grouped = slices[[*_FINDINGS, "any"]].astype("Float64").groupby(level="study_id", sort=True)
    pos = grouped.max()
    complete = grouped.count() == grouped.size().to_numpy()[:, None]
    out = pos.where((pos == 1) | complete).astype("Int8")
    sub_any = out[list(SUBTYPES)].max(axis=1)  # a subtype on a slice marked No_Hemorrhage still counts
    out["any"] = out["any"].where(~(sub_any == 1).fillna(False), 1).astype("Int8")
    return out


def _disagreements(flags: pd.DataFrame, derived: pd.DataFrame, slices: pd.DataFrame,
                   demo_name: str, diag_name: str) -> list[tuple]:
    """Patient flags versus slice-derived labels, and slices whose No_Hemorrhage contradicts them."""
    notes = []
    grouped = slices[list(_FINDINGS)].groupby(level="study_id", sort=True)
    n_pos, n_read = grouped.sum(), grouped.count()
    for code in _FINDINGS:
        flag = flags[code].reindex(derived.index)
        value = derived[code]
        differ = (flag.isna() & (value == 1)) | (flag.notna() & value.notna() & (flag != value))
        for sid in derived.index[differ.fillna(False).to_numpy(bool)]:
            shown = "blank" if pd.isna(flag[sid]) else str(int(flag[sid]))
            notes.append((sid, "label_disagreement", code,
                          f"{code}: {demo_name} flag {shown}, {diag_name} {int(n_pos.at[sid, code])} of "
                          f"{int(n_read.at[sid, code])} slices positive; study label {int(value[sid])} from the slices"))
    sub = slices[list(SUBTYPES)]
    known = sub.notna().all(axis=1) & slices["no_hemorrhage"].notna()
    contra = known & ((sub == 1).any(axis=1) == (slices["no_hemorrhage"] == 1))
    for sid, slc in slices.index[contra.to_numpy(bool)]:
        row = slices.loc[(sid, slc)]
        notes.append((sid, "label_disagreement", "any",
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
        How blank patient flags of patients *without slice rows* are read: kept
        missing (default) or as 0.  Patients with slices get labels from their slices
        (module docstring).
    demographics_file, diagnosis_file : str, optional
        The two tables relative to ``root``; found by their usual names by default.
    ct_dir, mask_dir : str
        Folders of the NIfTI volumes and masks; skipped when absent.

    Returns
    -------
    Cohort
        ``studies`` (``n_slices`` from the volume, else the patient's slice rows),
        ``labels`` (study and slice level), ``lesions`` (from masks) and ``notes``.

    Raises
    ------
    DataFormatError
        A missing table or column, a flag that is not 0/1, a duplicate patient or
        slice, a slice of a patient without a demographics row, an unreadable NIfTI,
        a mask whose shape or affine differs from its volume, a mask value other
        than 0 or 1 (naming the file relative to ``root`` and the values).
    ManifestError
        An option of the wrong type or value.

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
    >>> dict(zip(study["finding"].astype(str), study["value"]))  # from the slices: blank flags confirmed absent
    {'edh': 0, 'sdh': 0, 'sah': 0, 'iph': 1, 'ivh': 0, 'fracture': 1, 'any': 1}
    >>> cohort.labels.query("level == 'slice' and finding == 'any'")["value"].tolist()
    [0, 1]
    """
    check_options(load, locals())
    root = dataset_root(root, holds="patient_demographics.csv and hemorrhage_diagnosis.csv")
    with relative_errors(root):
        return _load(root, name, blank_flags, demographics_file, diagnosis_file, ct_dir, mask_dir)


def _load(root: Path, name: str, blank_flags: str, demographics_file: str | None, diagnosis_file: str | None,
          ct_dir: str, mask_dir: str) -> Cohort:
    demo_path = _find_file(root, demographics_file, _DEMOGRAPHICS, "patient demographics")
    diag_path = _find_file(root, diagnosis_file, _DIAGNOSIS, "slice diagnosis")
    studies, flags, notes = _read_patients(demo_path, name)
    slices = _read_slices(diag_path)
    orphans = sorted(set(slices.index.get_level_values("study_id")) - set(studies["study_id"]))
    if orphans:
        raise DataFormatError(
            f"{diag_path}: {len(orphans)} patient(s) without a row in {demo_path.name}, first: {orphans[0]}"
        )

    derived = _from_slices(slices)
    no_slices = flags.index.difference(derived.index)
    fallback = flags.loc[no_slices].fillna(0) if blank_flags == "absent" else flags.loc[no_slices]
    fallback = fallback.assign(any=_derive_any(fallback[list(SUBTYPES)]))
    study_values = pd.concat([derived, fallback.astype("Int8")]).sort_index().rename_axis("study_id")

    volumes, lesions = _volumes(root, ct_dir, mask_dir, set(studies["study_id"]))
    studies = studies.merge(volumes, on="study_id", how="left")
    per_patient = slices.groupby(level="study_id").size()  # (patient, slice) pairs
    studies["n_slices"] = studies["n_slices"].astype("Float64").fillna(
        studies["study_id"].map(per_patient).astype("Float64")).astype("Int64")

    labels = pd.concat([_long(study_values, name, "study"), _long(slices, name, "slice")], ignore_index=True)
    notes += _disagreements(flags, derived, slices, demo_path.name, diag_path.name)
    n_dis = sum(1 for n in notes if n[1] == "label_disagreement")
    notes.append((pd.NA, "derived_label", pd.NA,
                  f"study-level labels of the {len(derived)} patients in {diag_path.name} are the maximum over their "
                  f"{len(slices)} (patient, slice) rows (1 if any slice is positive, 0 if every slice is read 0; any = "
                  f"No_Hemorrhage 0 or a subtype on a slice); the {demo_path.name} flags are cross-checked "
                  f"({n_dis} label_disagreement note(s))"))
    blank = flags.isna()
    confirmed = int((blank.reindex(derived.index) & (derived[list(_FINDINGS)] == 0).fillna(False)).sum().sum())
    rest = ("kept missing" if blank_flags == "missing" else "read as 0")
    notes.append((pd.NA, "blank_flags", pd.NA,
                  f"{int(blank.sum().sum())} blank patient flag(s) in {demo_path.name}: {confirmed} read as absent "
                  f"(confirmed by the slices), {int(blank.loc[no_slices].sum().sum())} of patients without slices "
                  f"{rest} (blank_flags={blank_flags!r})"))
    notes_df = pd.DataFrame(notes, columns=["study_id", "kind", "finding", "detail"]).assign(dataset=name)
    if len(lesions):
        lesions = lesions.assign(dataset=name)
    return Cohort(
        studies,
        labels=labels,
        lesions=lesions if len(lesions) else None,
        notes=notes_df,
        info={name: {"adapter": _ADAPTER, "synthetic": False, "blank_flags": blank_flags,
                     "n_slices": len(slices), "study_labels": "slices"}},
    )
