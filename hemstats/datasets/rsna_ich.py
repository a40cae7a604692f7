"""RSNA 2019 Intracranial Hemorrhage Detection: the long per-image label table.

Native layout::

    <root>/stage_2_train.csv     ID,Label
                                 ID_12cadc6af_epidural,0
                                 ID_12cadc6af_intraparenchymal,0
                                 ...   (6 rows per image: epidural, intraparenchymal,
                                        intraventricular, subarachnoid, subdural, any)

The full training table has 4,516,842 rows (752,807 images).  It is read with the
pyarrow CSV reader; ids are split and labels pivoted with vectorised array
operations, so loading it takes a few hundred MB (see ``benchmarks/rsna_memory.py``).

Each image becomes a ``slice``-level label row per finding (rater ``consensus``:
the challenge labels are the organisers' adjudicated reads; findings mapped with
``hemstats.findings.DATASET_FINDINGS["rsna_ich"]``).  The label file does not say
which images belong together, so by default **each image is its own study** and its
own patient (``study_id`` = ``patient_id`` = ``slice_id`` = the image id, a public
pseudonym such as ``ID_12cadc6af``).

Linking images to studies and patients
--------------------------------------
Pass ``metadata_file``: a CSV (or xlsx) with one row per image, e.g. made from the
DICOM headers, with columns (matched without regard to case or punctuation)

* image id: ``SOPInstanceUID`` or ``image_id`` (the ``ID_...`` of the label table);
* ``StudyInstanceUID`` and ``PatientID``;
* optionally a slice position: ``position_z`` (or ``ImagePositionPatient_z``, or
  ``ImagePositionPatient`` written ``[x, y, z]``).

Or pass ``dicom_dir``, the folder of the challenge's ``ID_<image>.dcm`` files: their
headers are scanned (:func:`hemstats.io.dicom.scan_dicom`; headers only, in
parallel) for the same links, and the most frequent manufacturer, model, kernel,
slice thickness, kVp and tube current of each study fill ``studies``.  Unreadable
files are listed in ``notes`` (kind ``unreadable_dicom``), and header values read as missing
(outside :data:`hemstats.acquisition.PHYSICAL_RANGES`, or unreadable) too (kind
``dicom_value_missing``, naming the study, series, field and reason).

Study and patient UIDs are replaced by salted hashes
(:func:`hemstats.privacy.pseudonymize`, prefixes ``st-`` and ``p-``, the same keys
either way; ``salt`` option, or the project salt of
:func:`hemstats.privacy.project_salt`).  ``studies.n_slices`` is then the number of
labelled images of the study, and an ``images`` table lists each image with its
``position_z`` when given.  Images with metadata but no labels (the challenge's test
images) are counted in a ``notes`` row; a labelled image without metadata is an error.

References
----------
Flanders A.E. et al. Construction of a machine learning dataset through collaboration:
the RSNA 2019 Brain CT Hemorrhage Challenge. Radiol Artif Intell 2020;2(3):e190211.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hemstats.cohort import Cohort
from hemstats.errors import DataFormatError, ManifestError, Problem
from hemstats.findings import DATASET_FINDINGS
from hemstats.io.tables import (
    check_options,
    dataset_root,
    find_column,
    first_rows,
    header_key,
    parse_number,
    read_table,
    relative_errors,
)

__all__ = ["load", "SUBTYPE_ORDER"]

_ADAPTER = "rsna_ich"
#: The RSNA subtype names, in the order label rows are written per image.
SUBTYPE_ORDER: tuple[str, ...] = tuple(DATASET_FINDINGS[_ADAPTER])
_ID_PATTERN = r"^(?P<image>.+)_(?P<subtype>[^_]+)$"


def _row(i: int) -> str:
    return f"row {i + 2}"  # header is row 1


def _batches(path: Path, block_size: int) -> Iterator[tuple[Any, Any]]:
    """Record batches of the ``ID,Label`` table, both columns as text; checks the header."""
    import pyarrow as pa
    import pyarrow.csv as pv

    if not path.is_file():
        raise DataFormatError(f"{path}: file not found")
    try:
        reader = pv.open_csv(
            path,
            read_options=pv.ReadOptions(block_size=block_size, use_threads=False),
            convert_options=pv.ConvertOptions(column_types={"ID": pa.string(), "Label": pa.string()}),
        )
    except (pa.ArrowInvalid, OSError, UnicodeDecodeError) as exc:
        raise DataFormatError(f"{path}: cannot be read as an ID,Label table ({exc})") from None
    names = [header_key(c) for c in reader.schema.names]
    if names != ["id", "label"]:
        raise DataFormatError(f"{path}: expected the columns ID,Label; found {reader.schema.names}")
    while True:
        try:
            batch = reader.read_next_batch()
        except StopIteration:
            return
        except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
            raise DataFormatError(f"{path}: cannot be read as an ID,Label table ({exc})") from None
        yield batch.column(0), batch.column(1)


def _read_long(path: Path, *, block_size: int = 1 << 20) -> tuple[np.ndarray, np.ndarray]:
    """Image ids (in order of first appearance) and their labels, an n_images x 6 int8 matrix.

    The file is streamed in blocks, so only the image part of each id (as Arrow
    strings) and two int8 codes per row are kept; the whole ``ID`` column never is.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    subtype_set = pa.array(SUBTYPE_ORDER)
    label_set = pa.array(["0", "1"])
    # Per block: the block's distinct image ids and each row's index into them.
    block_images, block_codes, sub_parts, label_parts = [], [], [], []
    pool = pa.default_memory_pool()
    offset = 0
    for ids, labels in _batches(path, block_size):
        parts = pc.extract_regex(ids, _ID_PATTERN)
        valid = pc.is_valid(parts).to_numpy(zero_copy_only=False)
        if not valid.all():
            i = int(np.flatnonzero(~valid)[0])
            raise DataFormatError(
                f"{path}, column 'ID': expected ID_<image>_<subtype>; first: {_row(offset + i)} ({ids[i].as_py()!r})"
            )
        sub = pc.index_in(pc.struct_field(parts, "subtype"), value_set=subtype_set)
        if sub.null_count:
            i = int(np.flatnonzero(pc.is_null(sub).to_numpy(zero_copy_only=False))[0])
            raise DataFormatError(
                f"{path}, column 'ID': unknown subtype {pc.struct_field(parts, 'subtype')[i].as_py()!r}; "
                f"expected one of {list(SUBTYPE_ORDER)}; first: {_row(offset + i)} ({ids[i].as_py()!r})"
            )
        lab = pc.index_in(labels, value_set=label_set)
        if lab.null_count:
            bad = np.flatnonzero(pc.is_null(lab).to_numpy(zero_copy_only=False))
            i = int(bad[0])
            raise DataFormatError(
                f"{path}, column 'Label': expected 0 or 1; first: {_row(offset + i)} "
                f"({ids[i].as_py()!r}, {labels[i].as_py()!r})"
            )
        encoded = pc.dictionary_encode(pc.struct_field(parts, "image"))
        block_images.append(encoded.dictionary)
        block_codes.append(encoded.indices.to_numpy())
        sub_parts.append(sub.to_numpy().astype(np.int8))
        label_parts.append(lab.to_numpy().astype(np.int8))
        offset += len(ids)
        del parts, ids, labels, sub, lab, encoded
        pool.release_unused()  # Arrow's allocator keeps freed blocks otherwise
    if offset == 0:
        raise DataFormatError(f"{path}: no label rows")

    # One dictionary for all blocks (an image may straddle two blocks).
    merged = pc.dictionary_encode(pa.chunked_array(block_images))
    starts = np.cumsum([0] + [len(d) for d in block_images[:-1]])
    global_code = np.concatenate([c.indices.to_numpy() for c in merged.chunks])
    img = np.concatenate([global_code[start + codes] for start, codes in zip(starts, block_codes)])
    images = np.asarray(merged.chunk(0).dictionary.to_pylist(), dtype=object)
    del merged, block_images, block_codes, global_code
    pool.release_unused()
    sub = np.concatenate(sub_parts)
    is_one = np.concatenate(label_parts)
    del sub_parts, label_parts

    n_sub = len(SUBTYPE_ORDER)
    cell = img * np.int32(n_sub) + sub  # int32: 752,807 images x 6 fits easily
    del img, sub
    counts = np.bincount(cell, minlength=len(images) * n_sub)
    if (counts > 1).any():
        dup_rows = np.flatnonzero(counts[cell] > 1)
        first = int(dup_rows[0])
        again = ", ".join(_row(int(r)) for r in np.flatnonzero(cell == cell[first])[1:4])
        image, subtype = divmod(int(cell[first]), n_sub)
        raise DataFormatError(
            f"{path}, column 'ID': expected each ID once; {len(dup_rows)} rows hold a repeated ID, "
            f"first: {_row(first)} ({images[image]}_{SUBTYPE_ORDER[subtype]!s}), again at {again}"
        )
    if (counts == 0).any():
        holes = np.flatnonzero(counts == 0)
        first_img, first_sub = divmod(int(holes[0]), n_sub)
        raise DataFormatError(
            f"{path}: every image needs all {n_sub} subtypes; {len(holes)} missing, first: "
            f"{images[first_img]}_{SUBTYPE_ORDER[first_sub]}"
        )
    matrix = np.empty(len(images) * n_sub, dtype=np.int8)
    matrix[cell] = is_one
    return images, matrix.reshape(len(images), n_sub)


def _position(values: pd.Series, path: Path, column: str) -> pd.Series:
    if values.astype(str).str.contains(r"[\[,\\]", regex=True).any():
        z = values.astype(object).map(
            lambda v: re.split(r"[\s,\\]+", str(v).strip("[]() "))[-1] if isinstance(v, str) else v
        )
        return parse_number(z, path=path, column=column)
    return parse_number(values, path=path, column=column)


def _metadata_csv(path: Path, salt: str | None) -> pd.DataFrame:
    """One row per image of the metadata table, indexed by image id: hashed study and patient, position."""
    from hemstats.privacy import project_salt, pseudonymize

    table = read_table(path)
    col_img = find_column(table, ["SOPInstanceUID", "image_id", "image", "ID"], path=path)
    col_study = find_column(table, ["StudyInstanceUID", "study_uid", "study_id"], path=path)
    col_patient = find_column(table, ["PatientID", "patient_id"], path=path)
    col_pos = find_column(table, ["position_z", "ImagePositionPatient_z", "ImagePositionPatient2",
                                  "ImagePositionPatient"], path=path, required=False)
    for col in (col_img, col_study, col_patient):
        blank = table[col].isna()
        if blank.any():
            raise DataFormatError(f"{path}, column {col!r}: must not be blank; {first_rows(blank)}")
    dup = table[col_img].duplicated(keep=False)
    if dup.any():
        raise DataFormatError(f"{path}, column {col_img!r}: expected one row per image; {first_rows(dup, table[col_img])}")
    salt = project_salt(salt)
    out = pd.DataFrame(index=pd.Index(table[col_img].astype(str).to_numpy(), name="image"))
    for col, target, prefix in ((col_study, "study_id", "st-"), (col_patient, "patient_id", "p-")):
        codes, uniques = pd.factorize(table[col].astype(str).to_numpy())
        hashed = pseudonymize(pd.Series(uniques), salt=salt, prefix=prefix).to_numpy(dtype=object)
        out[target] = hashed[codes]
    if col_pos is not None:
        out["position_z"] = _position(table[col_pos], path, col_pos).to_numpy()
    return out


_TECHNICAL = ("manufacturer", "scanner_model", "kernel", "slice_thickness_mm", "kvp", "tube_current_ma")


def _metadata_dicom(folder: Path, salt: str | None, progress: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One row per readable DICOM file, indexed by image id (the file name without ``.dcm``); and the failures."""
    from hemstats.io.dicom import scan_dicom
    from hemstats.privacy import project_salt

    if not folder.is_dir():
        raise DataFormatError(f"{folder}: expected the folder of DICOM files")
    scan = scan_dicom(folder, per_instance=True, salt=project_salt(salt), progress=progress)
    inst = scan.instances
    assert inst is not None  # per_instance=True
    image = inst["path"].astype(str).map(lambda p: p.replace("\\", "/").rsplit("/", 1)[-1].removesuffix(".dcm"))
    dup = image.duplicated(keep=False)
    if dup.any():
        raise DataFormatError(
            f"{folder}: expected one file per image id; {int(dup.sum())} files share an id, first: "
            f"{inst.loc[dup.to_numpy(), 'path'].iloc[0]}"
        )
    no_key = inst["study_key"].isna() | inst["patient_key"].isna()
    out = pd.DataFrame(
        {
            "study_id": ("st-" + inst["study_key"].astype(object).where(~no_key, "")).where(~no_key, None).to_numpy(),
            "patient_id": ("p-" + inst["patient_key"].astype(object).where(~no_key, "")).where(~no_key, None).to_numpy(),
            **{c: inst[c].to_numpy() for c in _TECHNICAL if c in inst},
        },
        index=pd.Index(image.to_numpy(), name="image"),
    )
    out.attrs["no_key"] = inst.loc[no_key.to_numpy(), "path"].astype(str).tolist()
    out.attrs["value_notes"] = _value_notes(scan.notes, inst)
    return out, scan.failures


def _value_notes(notes: pd.DataFrame, inst: pd.DataFrame) -> list[tuple[object, str, str]]:
    """The scan's header values read as missing (out of range, unreadable), as ``notes`` rows of their study."""
    if notes.empty:
        return []
    study_of = inst.dropna(subset=["study_key"]).groupby("series_key", observed=True)["study_key"].first()
    out = []
    for row in notes.itertuples(index=False):
        key = study_of.get(row.series_key)
        out.append(("st-" + str(key) if key is not None else pd.NA, "dicom_value_missing",
                    f"{row.field} read as missing in {row.n_files} file(s) of series {row.series_key}: {row.reason}"))
    return out


def _attach(meta: pd.DataFrame, images: np.ndarray, source: Path) -> tuple[pd.DataFrame, int]:
    """``meta`` in the order of ``images``; every labelled image must be there. Returns it and the unlabelled count."""
    known = pd.Index(images).isin(meta.index)
    if not known.all():
        missing = images[~known]
        raise DataFormatError(f"{source}: {len(missing)} labelled image(s) have no metadata, first: {missing[0]!r}")
    unlabelled = int((~meta.index.isin(images)).sum())
    out = meta.loc[images].reset_index(drop=True)
    if out["study_id"].isna().any() or out["patient_id"].isna().any():
        bad = images[(out["study_id"].isna() | out["patient_id"].isna()).to_numpy()]
        raise DataFormatError(f"{source}: image {bad[0]!r} lacks StudyInstanceUID or PatientID")
    per_study = out.groupby("study_id")["patient_id"].nunique()
    if (per_study > 1).any():
        raise DataFormatError(f"{source}: study {per_study.index[per_study > 1][0]} (hashed) has images of several patients")
    return out, unlabelled


def _mode_per_study(per_image: pd.DataFrame, column: str) -> pd.Series:
    """The most frequent present value of ``column`` in each study (ties: the first in sort order)."""
    counts = per_image.groupby(["study_id", column], dropna=True).size().rename("n").reset_index()
    counts = counts.sort_values(["study_id", "n"], ascending=[True, False], kind="stable")
    return counts.drop_duplicates("study_id").set_index("study_id")[column]


def _studies(per_image: pd.DataFrame, name: str) -> pd.DataFrame:
    studies = (
        per_image.groupby("study_id", sort=False)
        .agg(patient_id=("patient_id", "first"), n_slices=("patient_id", "size"))
        .reset_index()
        .assign(dataset=name)
    )
    for column in _TECHNICAL:
        if column in per_image and per_image[column].notna().any():
            studies[column] = studies["study_id"].map(_mode_per_study(per_image, column))
    return studies


def load(
    root: str | Path,
    *,
    name: str = _ADAPTER,
    labels_file: str = "stage_2_train.csv",
    metadata_file: str | None = None,
    dicom_dir: str | None = None,
    salt: str | None = None,
    progress: bool = True,
) -> Cohort:
    """Load the RSNA 2019 ICH training labels (and, optionally, image-to-study links).

    Parameters
    ----------
    root : str or Path
        Folder holding the label table.
    name : str
        Value of the ``dataset`` column.
    labels_file : str
        The long ``ID,Label`` table, relative to ``root``.
    metadata_file : str, optional
        Per-image CSV/xlsx linking image ids to ``StudyInstanceUID`` and ``PatientID``
        (see the module docstring), relative to ``root``.
    dicom_dir : str, optional
        Folder of the challenge's DICOM files (``ID_<image>.dcm``), relative to ``root``:
        their headers link images to studies and patients instead of ``metadata_file``
        (:func:`hemstats.io.dicom.scan_dicom`, headers only, in parallel).
    salt : str, optional
        Salt for hashing study and patient UIDs; the project salt by default.
    progress : bool
        Show the DICOM scan's progress bar.

    Returns
    -------
    Cohort
        ``studies``, ``labels`` (level ``slice``, rater ``consensus``, 6 findings per
        image), and with metadata ``images`` (``position_z`` when given) and ``notes``.

    Raises
    ------
    DataFormatError
        Columns other than ``ID,Label``, an ID not of the form ``ID_<image>_<subtype>``,
        an unknown subtype, a repeated ID, a label that is not 0/1, an image lacking a
        subtype, a labelled image without metadata.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> rows = [f"ID_{img}_{sub},{int(img == 'b' and sub in ('any', 'subdural'))}"
    ...         for img in ("a", "b") for sub in SUBTYPE_ORDER]
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = (pathlib.Path(tmp) / "stage_2_train.csv").write_text("ID,Label\\n" + "\\n".join(rows))
    ...     cohort = load(tmp)
    >>> cohort
    Cohort(datasets=['rsna_ich'], studies=2, labels=12, predictions=0, lesions=0, images=0, notes=0)
    >>> cohort.labels.query("value == 1")[["slice_id", "finding"]].values.tolist()
    [['ID_b', 'any'], ['ID_b', 'sdh']]
    """
    check_options(load, locals())
    root = dataset_root(root, holds=labels_file)
    with relative_errors(root):
        return _load(root, name, labels_file, metadata_file, dicom_dir, salt, progress)


def _load(root: Path, name: str, labels_file: str, metadata_file: str | None, dicom_dir: str | None,
          salt: str | None, progress: bool) -> Cohort:
    images, matrix = _read_long(root / labels_file)
    n_img, n_sub = matrix.shape
    findings = [DATASET_FINDINGS[_ADAPTER][s] for s in SUBTYPE_ORDER]

    images_table = None
    notes: list[tuple[object, str, str]] = []
    if metadata_file is not None and dicom_dir is not None:
        raise ManifestError([Problem("options", "expected metadata_file or dicom_dir, not both")])
    if metadata_file is None and dicom_dir is None:
        study_per_image = images
        studies = pd.DataFrame({"dataset": name, "study_id": images, "patient_id": images, "n_slices": 1})
    else:
        if metadata_file is not None:
            source = root / metadata_file
            meta = _metadata_csv(source, salt)
        else:
            assert dicom_dir is not None  # one of the two, checked above
            source = root / dicom_dir
            meta, failures = _metadata_dicom(source, salt, progress)
            notes += [(pd.NA, "unreadable_dicom", f"{p}: {r}") for p, r in zip(failures["path"], failures["reason"])]
            notes += meta.attrs["value_notes"]
        per_image, unlabelled = _attach(meta, images, source)
        study_per_image = per_image["study_id"].to_numpy(dtype=object)
        studies = _studies(per_image, name)
        if "position_z" in per_image:
            images_table = pd.DataFrame(
                {"dataset": name, "study_id": study_per_image, "slice_id": images, "position_z": per_image["position_z"]}
            )
        if unlabelled:
            notes.append((pd.NA, "unlabelled_images",
                          f"{unlabelled} image(s) of {source.name} have no label in {labels_file} (left out)"))

    image_rows = np.repeat(np.arange(n_img), n_sub)
    labels = pd.DataFrame(
        {
            "dataset": pd.Categorical.from_codes(np.zeros(n_img * n_sub, dtype=np.int8), [name]),
            "study_id": study_per_image[image_rows],
            "slice_id": images[image_rows],
            "level": pd.Categorical.from_codes(np.ones(n_img * n_sub, dtype=np.int8), ["study", "slice"]),
            "finding": pd.Categorical.from_codes(np.tile(np.arange(n_sub, dtype=np.int8), n_img), findings),
            "rater": pd.Categorical.from_codes(np.zeros(n_img * n_sub, dtype=np.int8), ["consensus"]),
            "value": matrix.reshape(-1),
        }
    )
    del image_rows, matrix
    return Cohort(
        studies,
        labels=labels,
        images=images_table,
        notes=pd.DataFrame(notes, columns=["study_id", "kind", "detail"]).assign(dataset=name) if notes else None,
        info={name: {"adapter": _ADAPTER, "synthetic": False,
                     "linked": "metadata_file" if metadata_file else "dicom_dir" if dicom_dir else None}},
    )
