"""Hemorica (Davoodi et al. 2025): exam- and slice-level labels, 3D masks for five ICH subtypes.

No copy of the release was available when this adapter was written (see
``shared/layouts/hemorica.md``), so the layout below is an *expected* one, built from
the paper's list of annotation levels and the only concrete export seen (the CSVs of
the downstream Bayesian-Fusion code).  Every file and column name is an option, so a
manifest can describe the real release without code changes::

    <root>/exam_labels.csv        optional; one row per exam: exam key + subtype flags
    <root>/slice_labels.csv       slice table(s), one row per slice: exam key, slice
    <root>/train.csv ...          number, hemorrhage_binary and the subtype flags;
                                  files named train/val/test give the ``split``
    <root>/images_3d/<exam>.nii.gz   optional 3D volumes (give n_slices)
    <root>/masks_3d/<exam>.nii.gz    optional 3D masks (give ``lesions``)

Columns are matched ignoring case, spaces and punctuation; defaults (first found wins):

==========  ==================================================================
role        accepted headers
==========  ==================================================================
study       patient_name, exam_id, exam, study_id, patient_id, patient
slice       slice_number, slice_index, slice, slice_id
any         hemorrhage_binary, any, hemorrhage
edh         EPH, EDH, epidural          (the paper writes EPH)
sdh         SDH, subdural
sah         SAH, subarachnoid
iph         IPH, ICH, intraparenchymal  ("ICH" in the derived export means IPH)
ivh         IVH, intraventricular
==========  ==================================================================

Flags accept 0/1, true/false, yes/no (:func:`hemstats.io.tables.parse_flag`); blanks
stay missing and give no label row.  Labels are the adjudicated reads (rater
``consensus``).  When the exam-level table is absent, study labels are derived from
the slice labels (1 when any slice is positive, 0 when every slice is read negative,
otherwise missing) and a ``notes`` row of kind ``derived_labels`` says so.  An exam
table without an ``any`` column gets ``any`` from its subtypes the same way.

Masks: ``mask_labels`` maps mask values to findings (e.g. ``{1: "edh", 2: "iph"}``);
by default a mask is binary (values 0 and 1) and every 1 counts as ``any``.  A mask
holding another value (or a non-integer, NaN) is an error naming the values; a mask
whose shape or affine differs from its volume is an error naming both files.

Privacy: the derived export keys exams by ``patient_name``; ``study_id`` and
``patient_id`` are therefore salted hashes of the exam key (``hash_ids=True``, the
default), one patient per exam (the abstract counts exams, not patients).  Error
messages name files, columns and row numbers, never an exam key: a volume or mask
file (named by its exam key) is shown as ``images_3d/<exam st-…>``, the salted
pseudonym of its key, whatever ``hash_ids`` says.

Not read (no canonical table holds them): the subtype bounding boxes and the 2D
per-slice ``.npy`` masks (no voxel spacing, so no volume).

References
----------
Davoodi K. et al. Hemorica: a comprehensive CT scan dataset for automated brain
hemorrhage classification, segmentation, and detection. arXiv:2509.22993, 2025.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal, overload

import pandas as pd

from hemstats.cohort import Cohort
from hemstats.errors import DataFormatError
from hemstats.findings import SUBTYPES
from hemstats.io.nifti import check_same_grid, label_volumes, read_header
from hemstats.io.tables import (
    check_options,
    dataset_root,
    find_column,
    first_rows,
    header_key,
    parse_flag,
    parse_number,
    read_table,
    relative_errors,
)
from hemstats.privacy import project_salt, pseudonymize

__all__ = ["DEFAULT_COLUMNS", "load"]

_ADAPTER = "hemorica"
_SPLITS = {"train": "train", "val": "val", "valid": "val", "validation": "val", "test": "test"}

#: Role -> accepted headers, in order of preference (override with ``columns=``).
DEFAULT_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "study": ("patient_name", "exam_id", "exam", "study_id", "patient_id", "patient"),
    "slice": ("slice_number", "slice_index", "slice", "slice_id"),
    "any": ("hemorrhage_binary", "any", "hemorrhage"),
    "edh": ("EPH", "EDH", "epidural"),
    "sdh": ("SDH", "subdural"),
    "sah": ("SAH", "subarachnoid"),
    "iph": ("IPH", "ICH", "intraparenchymal"),
    "ivh": ("IVH", "intraventricular"),
}
_FINDING_ROLES = ("any", *SUBTYPES)


def _roles(columns: Mapping[str, str | Sequence[str]] | None) -> dict[str, tuple[str, ...]]:
    roles = dict(DEFAULT_COLUMNS)
    for role, given in (columns or {}).items():
        if role not in roles:
            raise DataFormatError(f"columns option: unknown role {role!r}; expected one of {list(roles)}")
        roles[role] = (given,) if isinstance(given, str) else tuple(given)
    return roles


@overload
def _match(df: pd.DataFrame, path: Path, roles: dict[str, tuple[str, ...]], role: str, *, required: Literal[True]) -> str: ...
@overload
def _match(df: pd.DataFrame, path: Path, roles: dict[str, tuple[str, ...]], role: str, *, required: bool) -> str | None: ...
def _match(df: pd.DataFrame, path: Path, roles: dict[str, tuple[str, ...]], role: str, *, required: bool) -> str | None:
    """The column of ``role``; two different matching columns are ambiguous."""
    hits = [c for c in df.columns if header_key(c) in {header_key(n) for n in roles[role]}]
    if len(hits) > 1:
        raise DataFormatError(
            f"{path}: columns {hits} all match {role!r}; say which one with the option columns={{'{role}': ...}}"
        )
    return find_column(df, roles[role], path=path, required=required)


def _read_labels(path: Path, roles: dict[str, tuple[str, ...]], *, slice_level: bool) -> pd.DataFrame:
    """Long frame ``key, slice, finding, value`` (value Int8, may be missing) from one table."""
    table = read_table(path)
    key_col = _match(table, path, roles, "study", required=True)
    keys = table[key_col].astype(object).map(lambda v: None if pd.isna(v) else str(v).strip())
    if keys.isna().any():
        raise DataFormatError(
            f"{path}, column {key_col!r}: expected an exam key in every row; {first_rows(keys.isna())}"
        )
    if slice_level:
        slice_col = _match(table, path, roles, "slice", required=True)
        numbers = parse_number(table[slice_col], path=path, column=slice_col, minimum=0)
        bad = numbers.isna() | (numbers != numbers.round())
        if bad.any():
            raise DataFormatError(
                f"{path}, column {slice_col!r}: expected a whole slice number; {first_rows(bad, table[slice_col])}"
            )
        slices = numbers.astype("Int64").astype(str)
    else:
        slices = pd.Series([None] * len(table), dtype=object)
    ident = pd.DataFrame({"key": keys, "slice": slices})
    dup = ident.duplicated(keep=False)
    if dup.any():
        what = "exam and slice" if slice_level else "exam"
        raise DataFormatError(f"{path}: expected one row per {what}; {first_rows(dup)} repeat")
    found = {role: _match(table, path, roles, role, required=False) for role in _FINDING_ROLES}
    if not any(found[r] for r in SUBTYPES):
        expected = ", ".join(roles[r][0] for r in SUBTYPES)
        cols = ", ".join(map(repr, table.columns))
        raise DataFormatError(f"{path}: expected subtype columns ({expected}); columns are {cols}")
    frames = []
    for role, col in found.items():
        if col is None:
            continue
        value = parse_flag(table[col], path=path, column=col)
        frames.append(ident.assign(finding=role, value=value.to_numpy()))
    return pd.concat(frames, ignore_index=True)


def _study_from(long: pd.DataFrame, *, fill_any: bool) -> pd.DataFrame:
    """Study-level values: 1 if any positive, 0 if all present and 0, else missing."""
    grouped = long.groupby(["key", "finding"], sort=True)["value"]
    out = pd.DataFrame({"pos": grouped.max(), "missing": grouped.apply(lambda s: s.isna().any())}).reset_index()
    out["value"] = out["pos"].where((out["pos"] == 1) | ~out["missing"], pd.NA)
    out = out[["key", "finding", "value"]]
    if fill_any and not (out["finding"] == "any").any():
        subtypes = out[out["finding"].isin(SUBTYPES)]
        anys = _study_from(subtypes.assign(slice=None), fill_any=False).groupby("key")["value"]
        pos = anys.max()
        missing = anys.apply(lambda s: s.isna().any())
        any_value = pos.where((pos == 1) | ~missing, pd.NA)
        out = pd.concat([out, pd.DataFrame({"key": any_value.index, "finding": "any", "value": any_value.values})])
    return out.reset_index(drop=True)


def load(
    root: str | Path,
    *,
    name: str = _ADAPTER,
    exam_table: str | None = "exam_labels.csv",
    slice_tables: str | Sequence[str] = ("slice_labels.csv", "train.csv", "val.csv", "test.csv"),
    columns: Mapping[str, str | Sequence[str]] | None = None,
    image_dir: str = "images_3d",
    mask_dir: str = "masks_3d",
    mask_labels: Mapping[int, str] | None = None,
    salt: str | None = None,
    hash_ids: bool = True,
) -> Cohort:
    """Load Hemorica from the layout described in the module docstring.

    Parameters
    ----------
    root : str or Path
        The dataset folder.
    name : str
        Value of the ``dataset`` column.
    exam_table : str, optional
        Exam-level label table (csv/xlsx) relative to ``root``; when absent (or
        ``None``) study labels are derived from the slice labels, with a note.
    slice_tables : str or sequence of str
        Slice-level tables relative to ``root``; those present are read.  Files named
        ``train``/``val``/``test`` set the ``split`` of their exams.
    columns : mapping, optional
        Role (``study``, ``slice``, ``any``, ``edh``, ``sdh``, ``sah``, ``iph``, ``ivh``)
        -> header or list of headers, replacing the defaults of :data:`DEFAULT_COLUMNS`.
    image_dir, mask_dir : str
        Folders of ``<exam>.nii[.gz]`` volumes and masks, relative to ``root``.
    mask_labels : mapping, optional
        Mask value -> finding code; default: binary mask, non-zero = ``any``.
    salt : str, optional
        Salt of the hashed ids; default :func:`hemstats.privacy.project_salt`.
    hash_ids : bool
        Replace exam keys by salted hashes (default).  ``False`` keeps them as given.

    Returns
    -------
    Cohort
        ``studies`` (split, n_slices), ``labels`` (study and slice level, ``consensus``),
        ``lesions`` (from 3D masks) and ``notes`` (``derived_labels``).

    Raises
    ------
    DataFormatError
        No label table at all, a missing key or slice column, a flag that is not
        0/1, a repeated exam or slice, an exam in two split files, a mask off its
        volume's grid: each names the file and the column or rows.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = Path(tmp, "train.csv").write_text(
    ...         "patient_name,slice_number,hemorrhage_binary,EPH,SDH,SAH,ICH,IVH\\n"
    ...         "p1,0,0,0,0,0,0,0\\np1,1,1,0,0,0,1,0\\np2,0,0,0,0,0,0,0\\n")
    ...     cohort = load(tmp, salt="doctest", hash_ids=False)
    >>> cohort.labels.query("level == 'study' and value == 1")[["study_id", "finding"]].values.tolist()
    [['p1', 'any'], ['p1', 'iph']]
    >>> cohort.notes.kind.tolist(), cohort.studies.split.tolist()
    (['derived_labels'], ['train', 'train'])
    """
    check_options(load, locals())
    root = dataset_root(root, holds="the Hemorica label tables")
    with relative_errors(root):
        return _load(root, name, exam_table, slice_tables, columns, image_dir, mask_dir, mask_labels, salt, hash_ids)


def _nifti_files(folder: Path, shown: dict[str, str]) -> dict[str, Path]:
    """Exam key -> file; a second file of one exam is an error naming the exam by its pseudonym."""
    found: dict[str, Path] = {}
    if not folder.is_dir():
        return found
    for path in sorted(folder.glob("*.nii*")):
        key = path.name.split(".nii")[0]
        if key in found:
            raise DataFormatError(
                f"{folder.name}/<exam {shown[key]}>: two files for one exam; expected one .nii or .nii.gz per exam"
            )
        found[key] = path
    return found


def _table_paths(root: Path, exam_table: str | None, slice_tables: str | Sequence[str]) -> tuple[list[Path], Path | None]:
    """The slice tables present and the exam table when present; neither is an error."""
    names = [slice_tables] if isinstance(slice_tables, str) else list(slice_tables)
    slice_paths = [root / n for n in names if (root / n).is_file()]
    exam_path = root / exam_table if exam_table is not None else None
    if exam_path is not None and not exam_path.is_file():
        exam_path = None
    if not slice_paths and exam_path is None:
        raise DataFormatError(
            f"{root.name}: expected an exam table ({exam_table}) or slice tables ({', '.join(names)}); found none"
        )
    return slice_paths, exam_path


def _read_slice_tables(
    slice_paths: list[Path], roles: dict[str, tuple[str, ...]]
) -> tuple[pd.DataFrame, dict[str, tuple[str, Path]]]:
    """All slice labels (long) and each exam's split (from the file names); an exam in two splits or a slice in
    two tables is an error."""
    slice_long = []
    split_of: dict[str, tuple[str, Path]] = {}
    for path in slice_paths:
        long = _read_labels(path, roles, slice_level=True)
        split = _SPLITS.get(path.stem.lower())
        if split is not None:
            for key in long["key"].unique():
                if split_of.setdefault(key, (split, path))[0] != split:
                    rows = first_rows(long.drop_duplicates(["key", "slice"])["key"].eq(key).to_numpy())
                    raise DataFormatError(
                        f"{path}: the exam of {rows} is also in {split_of[key][1]}; expected one split per exam"
                    )
        slice_long.append(long.assign(table=path.name))
    slices = (
        pd.concat(slice_long, ignore_index=True)
        if slice_long
        else pd.DataFrame(columns=["key", "slice", "finding", "value"])
    )
    dup = slices.duplicated(["key", "slice", "finding"], keep=False)
    if dup.any():
        tables = " and ".join(sorted(set(slices.loc[dup, "table"])))
        raise DataFormatError(
            f"{tables}: the same exam slice is in more than one slice table ({int(dup.sum())} label rows); "
            "expected each slice in one table"
        )
    return slices.drop(columns="table", errors="ignore"), split_of


def _study_labels(
    exam_path: Path | None, slices: pd.DataFrame, roles: dict[str, tuple[str, ...]], exam_table: str | None
) -> tuple[pd.DataFrame, list[str]]:
    """Study labels from the exam table, or derived from the slices (with the note saying so)."""
    if exam_path is not None:
        return _study_from(_read_labels(exam_path, roles, slice_level=False), fill_any=True), []
    study = _study_from(slices, fill_any=True)
    note = (
        f"study-level labels derived from slice labels (1 if any slice positive, 0 if all read negative) "
        f"for {study['key'].nunique()} exams; no exam-level table {exam_table or ''} found"
    )
    return study, [note]


def _file_pseudonyms(root: Path, image_dir: str, mask_dir: str, key_salt: str) -> dict[str, str]:
    """Exam key of every NIfTI file -> its ``st-`` pseudonym, to name files in messages without the key."""
    file_keys = sorted({p.name.split(".nii")[0] for d in (image_dir, mask_dir) if (root / d).is_dir()
                        for p in (root / d).glob("*.nii*")})
    return dict(zip(file_keys, pseudonymize(file_keys, salt=key_salt, prefix="st-"))) if file_keys else {}


def _measure_volumes(
    keys: list[str],
    images: dict[str, Path],
    masks: dict[str, Path],
    hidden: dict[str, str],
    dirs: tuple[str, str],
    vocabulary: Mapping[int, str],
) -> tuple[list[tuple[str, str, int, float]], dict[str, int]]:
    """Lesion rows (key, finding, voxels, ml) from the masks, and the slice count of each exam's volume."""
    image_dir, mask_dir = dirs
    lesion_rows: list[tuple[str, str, int, float]] = []
    n_slices: dict[str, int] = {}
    for key in keys:
        image_shown = f"{image_dir}/<exam {hidden.get(key)}>"
        mask_shown = f"{mask_dir}/<exam {hidden.get(key)}>"
        header = read_header(images[key], shown=image_shown) if key in images else None
        if key in masks:
            mask_header = read_header(masks[key], shown=mask_shown)
            if header is not None:
                check_same_grid(header, mask_header)
            vols = label_volumes(masks[key], labels=vocabulary, shown=mask_shown)
            lesion_rows.extend((key, r.finding, r.voxels, r.volume_ml) for r in vols.itertuples(index=False))
            header = header or mask_header
        if header is not None:
            n_slices[key] = header.shape[2]
    return lesion_rows, n_slices


def _labels_table(name: str, study: pd.DataFrame, slices: pd.DataFrame, ids: dict[str, str]) -> pd.DataFrame:
    """Study- and slice-level consensus labels; missing values give no row."""
    study = study.dropna(subset=["value"])
    slices = slices.dropna(subset=["value"])
    return pd.concat(
        [
            pd.DataFrame(
                {
                    "study_id": study["key"].map(ids),
                    "slice_id": pd.NA,
                    "level": "study",
                    "finding": study["finding"],
                    "value": study["value"].astype("int8"),
                }
            ),
            pd.DataFrame(
                {
                    "study_id": slices["key"].map(ids),
                    "slice_id": slices["slice"],
                    "level": "slice",
                    "finding": slices["finding"],
                    "value": slices["value"].astype("int8"),
                }
            ),
        ],
        ignore_index=True,
    ).assign(dataset=name, rater="consensus")


def _load(root: Path, name: str, exam_table: str | None, slice_tables: str | Sequence[str],
          columns: Mapping[str, str | Sequence[str]] | None, image_dir: str, mask_dir: str,
          mask_labels: Mapping[int, str] | None, salt: str | None, hash_ids: bool) -> Cohort:
    roles = _roles(columns)
    slice_paths, exam_path = _table_paths(root, exam_table, slice_tables)
    slices, split_of = _read_slice_tables(slice_paths, roles)
    study, notes = _study_labels(exam_path, slices, roles, exam_table)

    key_salt = project_salt(salt)
    hidden = _file_pseudonyms(root, image_dir, mask_dir, key_salt)
    images = _nifti_files(root / image_dir, hidden)
    masks = _nifti_files(root / mask_dir, hidden)
    keys = sorted(set(study["key"]) | set(slices["key"]) | set(images) | set(masks))
    vocabulary = mask_labels if mask_labels is not None else {1: "any"}
    lesion_rows, n_slices = _measure_volumes(keys, images, masks, hidden, (image_dir, mask_dir), vocabulary)
    counted = slices.groupby("key")["slice"].nunique() if len(slices) else pd.Series(dtype=int)

    ids = dict(zip(keys, pseudonymize(keys, salt=key_salt) if hash_ids else keys))
    studies = pd.DataFrame(
        {
            "dataset": name,
            "study_id": [ids[k] for k in keys],
            "patient_id": [ids[k] for k in keys],
            "split": [split_of.get(k, (None,))[0] for k in keys],
            "n_slices": [n_slices.get(k, counted.get(k, pd.NA)) for k in keys],
        }
    )
    lesions = pd.DataFrame(lesion_rows, columns=["key", "finding", "voxels", "volume_ml"])
    lesions = lesions.assign(dataset=name, study_id=lesions["key"].map(ids)).drop(columns="key")
    notes_df = pd.DataFrame({"dataset": name, "study_id": pd.NA, "kind": "derived_labels", "detail": notes})
    info = {
        name: {"adapter": _ADAPTER, "synthetic": False, "derived_study_labels": exam_path is None,
               "hashed_ids": hash_ids}
    }
    return Cohort(studies, labels=_labels_table(name, study, slices, ids), lesions=lesions, notes=notes_df, info=info)
