"""Kaggle "Head CT - hemorrhage" (Kitamura 2019): 200 PNG slices and one 0/1 label each.

Native layout::

    <root>/labels.csv          id, hemorrhage   (the header has a space before "hemorrhage")
    <root>/head_ct/000.png ... head_ct/199.png

Some mirrors keep ``labels.csv`` inside ``head_ct/``; both places are looked in.  The
``id`` column is an integer, written ``0`` or ``000`` depending on the copy; file names
are zero-padded to three digits.  Each image is one study of a different person, so
``study_id`` = ``patient_id`` = the padded number (``"007"``), a public pseudonym.

Tables produced: ``studies`` (one per image), ``labels`` (finding ``any``, rater
``consensus``, level ``study``) and ``images`` (``path`` relative to ``root``, ``width``,
``height`` and an extra ``mode`` column, e.g. ``RGB``/``RGBA``, read from the PNG
header with Pillow without decoding pixels).  ``slice_id`` is missing: the image is
the study.

References
----------
Kitamura F.C. Head CT - hemorrhage. Kaggle, 2019.
https://www.kaggle.com/datasets/felipekitamura/head-ct-hemorrhage
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from hemstats.cohort import Cohort
from hemstats.errors import DataFormatError
from hemstats.findings import to_finding
from hemstats.io.tables import check_options, dataset_root, first_rows, parse_flag, read_table, relative_errors

__all__ = ["load"]

_ADAPTER = "kaggle_head_ct"
_NUMBER = re.compile(r"[0-9]+")  # ASCII digits only: str.isdigit() also accepts "²³"


def _labels_path(root: Path, image_dir: str, labels_file: str | None) -> Path:
    if labels_file is not None:
        return root / labels_file
    for candidate in (root / "labels.csv", root / image_dir / "labels.csv"):
        if candidate.is_file():
            return candidate
    raise DataFormatError(f"{root.name}: expected labels.csv (or {image_dir}/labels.csv); neither exists")


def _png_header(path: Path, *, verify: bool) -> tuple[int, int, str]:
    """Width, height and mode from the PNG header; ``verify`` also checks every chunk's CRC."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            if im.format != "PNG":
                raise DataFormatError(f"{path}: expected a PNG image, found {im.format}")
            width, height, mode = im.width, im.height, im.mode
            if verify:
                im.verify()  # reads the chunks and their checksums, decodes no pixels
    except DataFormatError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise DataFormatError(f"{path}: unreadable or truncated PNG ({type(exc).__name__}: {exc})") from None
    return width, height, mode


def load(
    root: str | Path,
    *,
    name: str = _ADAPTER,
    image_dir: str = "head_ct",
    labels_file: str | None = None,
    verify: bool = True,
) -> Cohort:
    """Load the Kaggle Head CT - hemorrhage dataset from its native layout.

    Parameters
    ----------
    root : str or Path
        The dataset folder (holding ``labels.csv`` and ``head_ct/``).
    name : str
        Value of the ``dataset`` column.
    image_dir : str
        Folder of the PNGs, relative to ``root``.
    labels_file : str, optional
        Label table relative to ``root``; by default ``labels.csv`` or ``head_ct/labels.csv``.
    verify : bool
        Check each PNG's chunk checksums (finds truncated files; no pixels decoded).

    Returns
    -------
    Cohort
        ``studies``, ``labels`` (``any``, ``consensus``, ``study``) and ``images``
        (``path, width, height, mode``).

    Raises
    ------
    DataFormatError
        A label without a PNG, a PNG without a label, a duplicate or non-integer id, a
        label that is not 0/1, an unreadable or truncated PNG: each names the file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from PIL import Image
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     root = pathlib.Path(tmp)
    ...     (root / "head_ct").mkdir()
    ...     _ = (root / "labels.csv").write_text("id, hemorrhage\\n0,1\\n1,0\\n")
    ...     Image.new("RGB", (40, 30)).save(root / "head_ct" / "000.png")
    ...     Image.new("RGBA", (20, 10)).save(root / "head_ct" / "001.png")
    ...     cohort = load(root)
    >>> cohort.labels[["study_id", "finding", "value"]].values.tolist()
    [['000', 'any', 1], ['001', 'any', 0]]
    >>> cohort.images[["path", "width", "height", "mode"]].values.tolist()
    [['head_ct/000.png', 40, 30, 'RGB'], ['head_ct/001.png', 20, 10, 'RGBA']]
    """
    check_options(load, locals())
    root = dataset_root(root, holds="labels.csv and head_ct/")
    with relative_errors(root):
        return _load(root, name, image_dir, labels_file, verify)


def _load(root: Path, name: str, image_dir: str, labels_file: str | None, verify: bool) -> Cohort:
    labels_path = _labels_path(root, image_dir, labels_file)
    table = read_table(labels_path, required=["id", "hemorrhage"])

    text = table["id"].astype(object).map(lambda v: v.strip() if isinstance(v, str) else v)
    bad = ~text.map(lambda v: isinstance(v, str) and _NUMBER.fullmatch(v) is not None).astype(bool)
    if bad.any():
        raise DataFormatError(
            f"{labels_path}, column 'id': expected a non-negative integer; {first_rows(bad, table['id'])}; digits are 0-9"
        )
    study_ids = text.map(lambda v: f"{int(v):03d}")
    dup = study_ids.duplicated(keep=False)
    if dup.any():
        raise DataFormatError(f"{labels_path}, column 'id': expected unique ids; {first_rows(dup, table['id'])}")
    value = parse_flag(table["hemorrhage"], path=labels_path, column="hemorrhage")
    if value.isna().any():
        raise DataFormatError(
            f"{labels_path}, column 'hemorrhage': expected 0 or 1 in every row; "
            f"{first_rows(value.isna(), table['hemorrhage'])}"
        )

    image_root = root / image_dir
    if not image_root.is_dir():
        raise DataFormatError(f"{image_root}: expected the folder of PNG images")
    pngs: dict[str, Path] = {}
    for path in sorted(image_root.iterdir()):
        if path.suffix.lower() != ".png":
            continue
        if not _NUMBER.fullmatch(path.stem):
            raise DataFormatError(f"{path}: expected a numbered PNG such as 000.png (digits 0-9)")
        key = f"{int(path.stem):03d}"
        if key in pngs:
            raise DataFormatError(f"{path}: a second image of id {key} (the first is {pngs[key].name})")
        pngs[key] = path
    no_png = sorted(set(study_ids) - set(pngs))
    if no_png:
        first = image_root / f"{no_png[0]}.png"
        raise DataFormatError(
            f"{labels_path}: {len(no_png)} labelled id(s) have no image, first: {first} does not exist"
        )
    no_label = sorted(set(pngs) - set(study_ids))
    if no_label:
        raise DataFormatError(
            f"{pngs[no_label[0]]}: image has no row in {labels_path} ({len(no_label)} unlabelled image(s))"
        )

    order = study_ids.sort_values(kind="stable").index
    study_ids = study_ids.loc[order].reset_index(drop=True)
    value = value.loc[order].reset_index(drop=True)
    headers = [_png_header(pngs[s], verify=verify) for s in study_ids]

    studies = pd.DataFrame({"dataset": name, "study_id": study_ids, "patient_id": study_ids})
    labels = pd.DataFrame(
        {
            "dataset": name,
            "study_id": study_ids,
            "slice_id": pd.NA,
            "level": "study",
            "finding": to_finding(_ADAPTER, "hemorrhage"),
            "rater": "consensus",
            "value": value.astype("int8"),
        }
    )
    images = pd.DataFrame(
        {
            "dataset": name,
            "study_id": study_ids,
            "slice_id": pd.NA,
            "path": [pngs[s].relative_to(root).as_posix() for s in study_ids],
            "width": [h[0] for h in headers],
            "height": [h[1] for h in headers],
            "mode": pd.Categorical([h[2] for h in headers]),
        }
    )
    return Cohort(studies, labels=labels, images=images, info={name: {"adapter": _ADAPTER, "synthetic": False}})
