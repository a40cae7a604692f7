"""A CSV/xlsx adapter for any other dataset: the column mapping comes from the manifest.

Options (all paths relative to the dataset folder ``root``; headers are matched
without regard to case, spacing or punctuation, see :func:`hemstats.io.tables.header_key`)::

    adapter: generic
    options:
      studies:                       # optional; without it, studies are the ids of the labels
        file: studies.csv            # .csv or .xlsx
        sheet: 0                     # optional, Excel only
        columns:                     # canonical column -> column of the file
          study_id: Exam             # required
          patient_id: Patient        # optional; defaults to the study id
          age_years: Age
          sex: Sex                   # M/F, male/female, м/ж (other values: see sex_values)
          slice_thickness_mm: Thickness
          batch: Batch               # a non-canonical name becomes an extra column
        sex_values: {"1": M, "2": F} # optional extra codings of sex
      labels:                        # one mapping, or a list of them (one per file or rater)
        file: labels.xlsx
        id_column: Exam
        slice_column: Slice          # optional: the labels are slice level
        findings: {any: ICH, sdh: SDH}   # finding code -> 0/1 column (0/1, yes/no, да/нет...)
        rater: consensus             # or rater_column: Reader (one rater per row)
        blank: missing               # or 0: what an empty cell means
      predictions:                   # optional, one mapping or a list
        file: scores.csv
        id_column: Exam
        slice_column: Slice          # optional
        findings: {any: p_ICH}       # finding code -> score column
        model: my-model              # or model_column: Model
      pseudonymize_ids: [study_id, patient_id]   # default; [] when ids are public pseudonyms
      salt: "..."                    # optional; the project salt by default

Ids named in ``pseudonymize_ids`` are replaced everywhere by salted hashes
(:func:`hemstats.privacy.pseudonymize`, prefixes ``st-`` and ``p-``), so an accession
number or hospital patient id never reaches a table.

Examples
--------
>>> import tempfile, pathlib
>>> with tempfile.TemporaryDirectory() as tmp:
...     root = pathlib.Path(tmp)
...     _ = (root / "exams.csv").write_text("Exam,Patient,Age,Sex\\nE1,P1,71,F\\nE2,P2,0.5,m\\n")
...     _ = (root / "reads.csv").write_text("Exam,ICH,SDH\\nE1,yes,no\\nE2,no,\\n")
...     cohort = load(root,
...                   studies={"file": "exams.csv",
...                            "columns": {"study_id": "Exam", "patient_id": "Patient",
...                                        "age_years": "Age", "sex": "Sex"}},
...                   labels={"file": "reads.csv", "id_column": "Exam",
...                           "findings": {"any": "ICH", "sdh": "SDH"}},
...                   pseudonymize_ids=[])
>>> cohort.studies[["study_id", "age_years", "sex"]].values.tolist()
[['E1', 71.0, 'F'], ['E2', 0.5, 'M']]
>>> cohort.labels[["study_id", "finding", "value"]].values.tolist()
[['E1', 'any', 1], ['E2', 'any', 0], ['E1', 'sdh', 0]]
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from hemstats.cohort import Cohort
from hemstats.errors import DataFormatError, ManifestError, Problem, UnknownFindingError
from hemstats.findings import FINDINGS
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
from hemstats.schema import TABLES

__all__ = ["load"]

_ADAPTER = "generic"
_QUOTED_CELL = re.compile(r""" \((?:'[^']*'|"[^"]*")\)""")
#: The type of each key's value in the option mappings, for the messages of :func:`_check_spec`.
_TYPES: dict[str, tuple[tuple[type, ...], str]] = {
    "file": ((str,), "a file name"),
    "sheet": ((str, int), "a sheet name or position"),
    "columns": ((Mapping,), "a mapping canonical column -> column name"),
    "sex_values": ((Mapping,), "a mapping code -> M or F"),
    "id_column": ((str,), "a column name"),
    "slice_column": ((str, type(None)), "a column name"),
    "findings": ((Mapping,), "a mapping finding code -> column name"),
    "rater": ((str,), "a rater name"),
    "rater_column": ((str, type(None)), "a column name"),
    "model": ((str,), "a model name"),
    "model_column": ((str, type(None)), "a column name"),
    "blank": ((str, int), "'missing' or 0"),
}
_KEYS = {
    "studies": {"file", "sheet", "columns", "sex_values"},
    "labels": {"file", "sheet", "id_column", "slice_column", "findings", "rater", "rater_column", "blank"},
    "predictions": {"file", "sheet", "id_column", "slice_column", "findings", "model", "model_column"},
}


def _check_spec(spec: object, part: str, required: Sequence[str]) -> dict[str, Any]:
    where = f"options.{part}"
    if not isinstance(spec, Mapping):
        raise ManifestError([Problem(where, f"expected a mapping, got {type(spec).__name__}")])
    problems = [Problem(f"{where}.{k}", f"unknown key; expected one of {sorted(_KEYS[part])}")
                for k in spec if k not in _KEYS[part]]
    problems += [Problem(f"{where}.{k}", "required key is absent") for k in required if k not in spec]
    for k, v in spec.items():
        if k in _TYPES and (not isinstance(v, _TYPES[k][0]) or isinstance(v, bool)):
            problems.append(Problem(f"{where}.{k}", f"expected {_TYPES[k][1]}, got {type(v).__name__} {v!r:.40}"))
        elif k in ("columns", "findings", "sex_values") and isinstance(v, Mapping):
            odd = [f"{a!r}: {b!r:.20}" for a, b in v.items() if not isinstance(b, str) or not isinstance(a, (str, int))]
            if odd:
                problems.append(Problem(f"{where}.{k}", f"expected text values, got {', '.join(odd[:3])}"))
    if problems:
        raise ManifestError(problems)
    if "findings" in spec:
        if not isinstance(spec["findings"], Mapping) or not spec["findings"]:
            problems.append(Problem(f"{where}.findings", "expected a mapping finding code -> column"))
        else:
            for code in spec["findings"]:
                if code not in FINDINGS:
                    raise UnknownFindingError(f"{where}.findings: {code!r} is not a finding code; known: {list(FINDINGS)}")
    if problems:
        raise ManifestError(problems)
    return dict(spec)


def _as_list(spec: object) -> list[Any]:
    return list(spec) if isinstance(spec, (list, tuple)) else [spec]


def _ids(table: pd.DataFrame, column: str, path: Path) -> pd.Series:
    col = find_column(table, [column], path=path)
    ids = table[col].astype(object).map(lambda v: v if not isinstance(v, float) or not v.is_integer() else int(v))
    ids = ids.map(lambda v: pd.NA if pd.isna(v) else str(v).strip())
    blank = ids.isna()
    if blank.any():
        raise DataFormatError(f"{path}, column {col!r}: ids must not be blank; {first_rows(blank)}")
    return ids


def _read_studies(root: Path, spec: dict[str, Any], name: str, hide: bool, notes: list[tuple]) -> pd.DataFrame:
    spec = _check_spec(spec, "studies", ["file", "columns"])
    columns = spec["columns"]
    if not isinstance(columns, Mapping) or "study_id" not in columns:
        raise ManifestError([Problem("options.studies.columns", "expected a mapping with at least study_id")])
    path = root / spec["file"]
    table = read_table(path, sheet=spec.get("sheet"))
    canonical = {c.name: c for c in TABLES["studies"].columns}
    sex_values = {str(k).strip().casefold(): v for k, v in (spec.get("sex_values") or {}).items()}
    out = pd.DataFrame({"dataset": name, "study_id": _ids(table, columns["study_id"], path)})
    dup = out["study_id"].duplicated(keep=False)
    if dup.any():
        shown = first_rows(dup) if hide else first_rows(dup, out["study_id"])
        raise DataFormatError(f"{path}, column {columns['study_id']!r}: expected one row per study; {shown}")
    for target, source in columns.items():
        if target in ("study_id", "dataset"):
            continue
        col = find_column(table, [source], path=path)
        values = table[col]
        kind = canonical[target].kind if target in canonical else None
        if target == "patient_id":
            out[target] = _ids(table, source, path)
        elif target == "sex":
            mapped, bad = sex_codes(values, extra=sex_values)
            if bad.any():
                raise DataFormatError(f"{path}, column {col!r}: expected M or F (or a sex_values coding); {first_rows(bad, values)}")
            out[target] = mapped
        elif target == "age_years":
            ages, texts = age_in_range(parse_number(values, path=path, column=col), path=path.name, column=col)
            outside = ages.isna() & values.notna()
            ids = out["study_id"][outside.to_numpy()]
            notes += [(pd.NA if hide else sid, "out_of_range", text) for sid, text in zip(ids, texts)]
            out[target] = ages
        elif kind in ("float", "int"):
            out[target] = parse_number(values, path=path, column=col, minimum=canonical[target].minimum)
        else:
            out[target] = values.to_numpy()
    if "patient_id" not in out:
        out["patient_id"] = out["study_id"]
    return out


def _read_scores(root: Path, spec: object, name: str, part: str, hide: bool) -> pd.DataFrame:
    who, who_col = ("rater", "rater_column") if part == "labels" else ("model", "model_column")
    spec = _check_spec(spec, part, ["file", "id_column", "findings"])
    path = root / spec["file"]
    table = read_table(path, sheet=spec.get("sheet"))
    ids = _ids(table, spec["id_column"], path)
    base = pd.DataFrame({"dataset": name, "study_id": ids.to_numpy()})
    if spec.get("slice_column"):
        base["slice_id"] = _ids(table, spec["slice_column"], path).to_numpy()
        base["level"] = "slice"
    else:
        base["slice_id"] = pd.NA
        base["level"] = "study"
    if spec.get(who_col):
        base[who] = _ids(table, spec[who_col], path).to_numpy()
    else:
        base[who] = spec.get(who, "consensus" if part == "labels" else None)
        if base[who].isna().any():
            raise ManifestError([Problem(f"options.{part}", f"expected {who!r} or {who_col!r}")])
    blank = spec.get("blank", "missing")
    if blank not in ("missing", 0):
        raise ManifestError([Problem(f"options.{part}.blank", f"expected 'missing' or 0, got {blank!r}")])
    parts = []
    for code, source in spec["findings"].items():
        col = find_column(table, [source], path=path)
        if part == "labels":
            value = parse_flag(table[col], path=path, column=col, blank=None if blank == "missing" else 0)
            frame = base.assign(finding=code, value=value.to_numpy())
            parts.append(frame.dropna(subset=["value"]).astype({"value": "int8"}))
        else:
            score = parse_number(table[col], path=path, column=col)
            parts.append(base.assign(finding=code, score=score.to_numpy()).dropna(subset=["score"]))
    row_key = base[["study_id", "slice_id", who]].astype(object).fillna("").set_axis(table.index)
    dup = row_key.duplicated(keep=False)
    if dup.any():
        what = f"id{' and slice' * bool(spec.get('slice_column'))}{f' and {who}' * bool(spec.get(who_col))}"
        shown = first_rows(dup) if hide else first_rows(dup, row_key["study_id"])
        raise DataFormatError(f"{path}: expected one row per {what}; {shown}")
    out = pd.concat(parts, ignore_index=True)
    out.attrs["path"] = str(path)
    return out


def load(
    root: str | Path,
    *,
    name: str = _ADAPTER,
    labels: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
    studies: Mapping[str, Any] | None = None,
    predictions: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
    pseudonymize_ids: Sequence[str] = ("study_id", "patient_id"),
    salt: str | None = None,
) -> Cohort:
    """Load a dataset described by column mappings (see the module docstring for the schema).

    Parameters
    ----------
    root : str or Path
        The dataset folder; file names in the options are relative to it.
    name : str
        Value of the ``dataset`` column.
    labels, studies, predictions : mapping (or list of mappings), optional
        Where each table comes from and which column holds what.
    pseudonymize_ids : sequence of {"study_id", "patient_id"}
        Ids replaced by salted hashes everywhere; ``[]`` keeps them as they are.
    salt : str, optional
        The salt for those hashes; the project salt by default.

    Returns
    -------
    Cohort

    Raises
    ------
    ManifestError
        Unknown or missing option keys.
    UnknownFindingError
        A finding code outside the vocabulary.
    DataFormatError
        A file or column that is missing or holds values of the wrong kind, duplicate
        ids, labels or predictions of a study that is not in the studies table.

    Examples
    --------
    Labels only (the studies are their ids), ids hashed with a given salt:

    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = (pathlib.Path(tmp) / "y.csv").write_text("Exam,ICH\\nACC-1,1\\nACC-2,0\\n")
    ...     cohort = load(tmp, labels={"file": "y.csv", "id_column": "Exam", "findings": {"any": "ICH"}},
    ...                   salt="doctest")
    >>> bool(cohort.studies["study_id"].str.startswith("st-").all()), cohort.labels["value"].tolist()
    (True, [1, 0])
    """
    check_options(load, locals())
    root = dataset_root(root, holds="the files the options name")
    with relative_errors(root):
        try:
            return _load(root, name, labels, studies, predictions, pseudonymize_ids, salt)
        except DataFormatError as exc:
            if "study_id" not in pseudonymize_ids and "patient_id" not in pseudonymize_ids:
                raise
            # ids are private: a cell quoted by a parser (a mis-mapped column may hold names) is left out
            raise DataFormatError(_QUOTED_CELL.sub("", str(exc))) from None


def _load(root: Path, name: str, labels: Any, studies: Any, predictions: Any, pseudonymize_ids: Sequence[str],
          salt: str | None) -> Cohort:
    if labels is None and studies is None:
        raise ManifestError([Problem("options", "expected at least 'labels' or 'studies'")])
    unknown = [k for k in pseudonymize_ids if k not in ("study_id", "patient_id")]
    if unknown:
        raise ManifestError([Problem("options.pseudonymize_ids", f"expected study_id and/or patient_id, got {unknown}")])
    hide = "study_id" in pseudonymize_ids  # then no raw study id is shown in a message either
    notes: list[tuple] = []
    label_frames = [_read_scores(root, s, name, "labels", hide) for s in _as_list(labels or [])]
    pred_frames = [_read_scores(root, s, name, "predictions", hide) for s in _as_list(predictions or [])]

    if studies is not None:
        study_table = _read_studies(root, studies, name, hide, notes)
        known = set(study_table["study_id"])
        for frame in [*label_frames, *pred_frames]:
            orphan = ~frame["study_id"].isin(known)
            if orphan.any():
                first = "" if hide else f", first: {frame.loc[orphan, 'study_id'].iloc[0]!r}"
                raise DataFormatError(
                    f"{frame.attrs['path']}: {int(frame.loc[orphan, 'study_id'].nunique())} id(s) not in the studies "
                    f"table {studies['file']}{first}"
                )
    else:
        ids = pd.unique(pd.concat([f["study_id"] for f in label_frames], ignore_index=True))
        study_table = pd.DataFrame({"dataset": name, "study_id": ids, "patient_id": ids})

    for frames, who in ((label_frames, "rater"), (pred_frames, "model")):
        if len(frames) > 1:
            both = pd.concat([f.assign(_file=f.attrs["path"]) for f in frames], ignore_index=True)
            key = both[["study_id", "slice_id", "finding", who]].astype(object).fillna("")
            dup = key.duplicated(keep=False).to_numpy()
            if dup.any():
                files = sorted({Path(f).name for f in both.loc[dup, "_file"]})
                raise DataFormatError(f"{' and '.join(files)}: {int(dup.sum())} {who} rows give the same id, finding "
                                      f"and {who} twice; expected each in one file only")
    lab = pd.concat(label_frames, ignore_index=True) if label_frames else None
    pred = pd.concat(pred_frames, ignore_index=True) if pred_frames else None
    if pseudonymize_ids:
        from hemstats.privacy import project_salt, pseudonymize

        key = project_salt(salt)
        if "study_id" in pseudonymize_ids:
            uniq = pd.unique(study_table["study_id"])
            mapping = dict(zip(uniq, pseudonymize(pd.Series(uniq), salt=key, prefix="st-")))
            study_table["study_id"] = study_table["study_id"].map(mapping)
            for frame in (lab, pred):
                if frame is not None:
                    frame["study_id"] = frame["study_id"].map(mapping)
        if "patient_id" in pseudonymize_ids:
            study_table["patient_id"] = pseudonymize(study_table["patient_id"], salt=key, prefix="p-").to_numpy()
    notes_df = pd.DataFrame(notes, columns=["study_id", "kind", "detail"]).assign(dataset=name) if notes else None
    if notes_df is not None and "study_id" in pseudonymize_ids:
        notes_df["study_id"] = pd.NA  # the raw ids are hidden; the detail names the row
    return Cohort(study_table, labels=lab, predictions=pred, notes=notes_df,
                  info={name: {"adapter": _ADAPTER, "synthetic": False}})
