"""CQ500 (qure.ai): three radiologists' reads of 491 head CTs and the vendor's probabilities.

Native layout::

    <root>/reads.csv                      name, Category, R1:ICH, ..., R3:MidlineShift
    <root>/prediction_probabilities.csv   name, Category_New, ICH, IPH, ..., MidlineShift (optional)

``reads.csv`` has one row per scan (``name`` such as ``CQ500-CT-427``, a public
pseudonym kept as ``study_id`` and ``patient_id``), the batch in ``Category``
(``B1``/``B2``) and, for each reader ``R1``, ``R2``, ``R3``, 14 binary fields named
``R<k>:<field>``.

Tables produced:

* ``studies``: one row per scan, with the release batch as an extra ``batch`` column (``split``
  is missing: CQ500's batches are how the scans were released, not a train/test split);
* ``labels``: level ``study``, one row per scan, finding and reader (raters ``R1``,
  ``R2``, ``R3``) plus a ``consensus`` rater holding the majority of the readers
  (:func:`hemstats.consensus.majority`: more than half of *all* the dataset's readers,
  so 2 of 3).  A reader's blank cell is left out and counts for neither value; when no
  value has a majority (e.g. one reader present of three), the scan gets no consensus
  row for that finding and a ``notes`` row (kind ``no_majority``) says so;
* ``predictions``: the vendor's probabilities (model ``"qure.ai"`` unless renamed),
  level ``study``, findings mapped like the reads;
* ``notes``: also a ``batch_disagreement`` row where ``Category_New`` of the
  probabilities differs from ``Category`` of the reads.

Fields are mapped with ``hemstats.findings.DATASET_FINDINGS["cq500"]`` (``ICH`` ->
``any``, ``ChronicBleed`` -> ``chronic``, ``CalvarialFracture`` ->
``calvarial_fracture``, ...).  ``BleedLocation-Left``, ``BleedLocation-Right`` and
``OtherFracture`` have no finding code and are left out of every table.

References
----------
Chilamkurthy S. et al. Deep learning algorithms for detection of critical findings in
head CT scans: a retrospective study. Lancet 2018;392:2388-2396.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from hemstats.cohort import Cohort
from hemstats.consensus import majority
from hemstats.errors import DataFormatError
from hemstats.findings import DATASET_FINDINGS
from hemstats.io.tables import (
    check_options,
    dataset_root,
    first_rows,
    parse_flag,
    parse_number,
    read_table,
    relative_errors,
)

__all__ = ["load", "UNMAPPED_FIELDS"]

_ADAPTER = "cq500"
#: Reader fields of reads.csv that have no hemstats finding code and are left out.
UNMAPPED_FIELDS: tuple[str, ...] = ("BleedLocation-Left", "BleedLocation-Right", "OtherFracture")
_READER = re.compile(r"^(R\d+)\s*:\s*(.+)$")


def _read_ids(table: pd.DataFrame, path: Path) -> pd.Series:
    names = table["name"]
    if names.isna().any():
        raise DataFormatError(f"{path}, column 'name': must not be blank; {first_rows(names.isna())}")
    dup = names.duplicated(keep=False)
    if dup.any():
        raise DataFormatError(f"{path}, column 'name': expected unique scan names; {first_rows(dup, names)}")
    return names.astype(str)


def _reader_columns(table: pd.DataFrame, path: Path) -> dict[tuple[str, str], str]:
    """(reader, field) -> column for every ``R<k>:<field>`` column; checks the set is complete."""
    mapping = DATASET_FINDINGS[_ADAPTER]
    cols: dict[tuple[str, str], str] = {}
    for col in table.columns:
        m = _READER.match(col)
        if m is None:
            continue
        reader, field = m.group(1), m.group(2).strip()
        if field not in mapping and field not in UNMAPPED_FIELDS:
            raise DataFormatError(
                f"{path}, column {col!r}: unknown CQ500 field {field!r}; "
                f"expected one of {sorted([*mapping, *UNMAPPED_FIELDS])}"
            )
        cols[(reader, field)] = col
    if not cols:
        raise DataFormatError(f"{path}: expected reader columns such as 'R1:ICH'; columns are {list(table.columns)}")
    readers = sorted({r for r, _ in cols}, key=lambda r: int(r[1:]))
    fields = {f for _, f in cols}
    for reader in readers:
        absent = sorted(f for f in fields if (reader, f) not in cols)
        if absent:
            raise DataFormatError(f"{path}: reader {reader} lacks columns {[f'{reader}:{f}' for f in absent]}")
    return cols


def _read_labels(path: Path, name: str) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    table = read_table(path, required=["name", "Category"])
    ids = _read_ids(table, path)
    cols = _reader_columns(table, path)
    mapping = DATASET_FINDINGS[_ADAPTER]
    readers = sorted({r for r, _ in cols}, key=lambda r: int(r[1:]))
    fields = [f for f in dict.fromkeys(f for _, f in cols) if f in mapping]

    long_parts = []
    notes = []
    for field in fields:
        votes = pd.DataFrame(
            {r: parse_flag(table[cols[(r, field)]], path=path, column=cols[(r, field)]) for r in readers}
        )
        votes["consensus"] = majority(votes[readers])
        tie = votes["consensus"].isna().to_numpy()
        for pos in np.flatnonzero(tie):
            present = votes.iloc[pos][readers]
            notes.append(
                (ids.iloc[pos], "no_majority", f"{mapping[field]} ({field}): readers "
                 + ", ".join(f"{r}={'NA' if pd.isna(v) else int(v)}" for r, v in present.items())
                 + f" give no majority of the {len(readers)} readers; no consensus label")
            )
        part = votes.assign(study_id=ids.to_numpy()).melt(id_vars="study_id", var_name="rater", value_name="value")
        part["finding"] = mapping[field]
        long_parts.append(part.dropna(subset=["value"]))
    labels = pd.concat(long_parts, ignore_index=True)
    labels = labels.assign(dataset=name, slice_id=pd.NA, level="study", value=labels["value"].astype("int8"))
    labels["rater"] = pd.Categorical(labels["rater"], categories=[*readers, "consensus"])

    batch = table["Category"]
    studies = pd.DataFrame(
        {
            "dataset": name,
            "study_id": ids,
            "patient_id": ids,
            "split": pd.Categorical([None] * len(batch)),
            "batch": pd.Categorical(batch),
        }
    )
    notes_df = pd.DataFrame(notes, columns=["study_id", "kind", "detail"]).assign(dataset=name)
    return studies, labels, notes_df


def _read_predictions(path: Path, name: str, model: str, studies: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    table = read_table(path, required=["name"])
    ids = _read_ids(table, path)
    unknown = sorted(set(ids) - set(studies["study_id"]))
    if unknown:
        raise DataFormatError(f"{path}: {len(unknown)} scan(s) not in reads.csv, first: {unknown[0]!r}")
    mapping = DATASET_FINDINGS[_ADAPTER]
    category = next((c for c in table.columns if c.lower().startswith("category")), None)
    parts = []
    for col in table.columns:
        if col in ("name", category):
            continue
        if col in UNMAPPED_FIELDS:
            continue
        if col not in mapping:
            raise DataFormatError(f"{path}, column {col!r}: unknown CQ500 finding; expected one of {sorted(mapping)}")
        score = parse_number(table[col], path=path, column=col)
        outside = ((score < 0) | (score > 1)).fillna(False).to_numpy(bool)
        if outside.any():
            raise DataFormatError(f"{path}, column {col!r}: expected a probability in [0, 1]; {first_rows(outside, table[col])}")
        part = pd.DataFrame({"study_id": ids, "finding": mapping[col], "score": score})
        parts.append(part.dropna(subset=["score"]))
    if not parts:
        raise DataFormatError(f"{path}: expected probability columns such as 'ICH'; columns are {list(table.columns)}")
    predictions = pd.concat(parts, ignore_index=True).assign(dataset=name, slice_id=pd.NA, level="study", model=model)

    notes = pd.DataFrame(columns=["dataset", "study_id", "kind", "detail"])
    if category is not None:
        batch = studies.set_index("study_id")["batch"].astype(object)
        given = table[category].set_axis(ids)
        differ = given.notna() & (given != batch.reindex(ids).to_numpy())
        notes = pd.DataFrame(
            {
                "dataset": name,
                "study_id": ids[differ.to_numpy()].to_numpy(),
                "kind": "batch_disagreement",
                "detail": [
                    f"{path.name} {category}={g!r}, reads.csv Category={b!r}"
                    for g, b in zip(given[differ], batch.reindex(ids[differ.to_numpy()]))
                ],
            }
        )
    return predictions, notes


def load(
    root: str | Path,
    *,
    name: str = _ADAPTER,
    reads_file: str = "reads.csv",
    predictions_file: str | None = "prediction_probabilities.csv",
    model: str = "qure.ai",
) -> Cohort:
    """Load CQ500 reads (and the vendor's probabilities when present).

    Parameters
    ----------
    root : str or Path
        Folder holding ``reads.csv``.
    name : str
        Value of the ``dataset`` column.
    reads_file : str
        The three-reader table, relative to ``root``.
    predictions_file : str or None
        The vendor's probabilities, relative to ``root``; skipped when the file does not
        exist or when ``None``.
    model : str
        Value of the ``model`` column of ``predictions``.

    Returns
    -------
    Cohort
        ``studies`` (``split`` = batch, extra ``batch``), ``labels`` (raters
        ``R1``.. and ``consensus``), ``predictions`` and ``notes``.

    Raises
    ------
    DataFormatError
        A missing folder (or a file given as the folder), missing or unknown columns,
        a reader lacking a field, duplicate names (in either file), values that are not
        0/1, probabilities outside [0, 1], predictions for unknown scans.
    ManifestError
        An option of the wrong type.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> header = "name,Category," + ",".join(f"R{k}:{f}" for k in (1, 2, 3) for f in ("ICH", "OtherFracture"))
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = (pathlib.Path(tmp) / "reads.csv").write_text(header + "\\nCQ500-CT-1,B1,1,0,1,0,0,1\\n")
    ...     cohort = load(tmp)
    >>> cohort.labels[["rater", "finding", "value"]].values.tolist()
    [['R1', 'any', 1], ['R2', 'any', 1], ['R3', 'any', 0], ['consensus', 'any', 1]]
    """
    check_options(load, locals())
    root = dataset_root(root, holds=reads_file)
    with relative_errors(root):
        studies, labels, notes = _read_labels(root / reads_file, name)
        predictions = None
        if predictions_file is not None and (root / predictions_file).is_file():
            predictions, batch_notes = _read_predictions(root / predictions_file, name, model, studies)
            notes = pd.concat([notes, batch_notes], ignore_index=True) if len(batch_notes) else notes
    return Cohort(
        studies,
        labels=labels,
        predictions=predictions,
        notes=notes if len(notes) else None,
        info={name: {"adapter": _ADAPTER, "synthetic": False}},
    )
