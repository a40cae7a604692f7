"""MosMedData CT-ICH (Khoruzhaya et al. 2024): 800 brain CTs, a registry and DICOM series.

Expected layout (the exact names are not public; see ``shared/layouts/mosmed_ich.md``)::

    <root>/dataset_registry.xlsx           one row per study (csv also read)
    <root>/studies/<study>/<series>/*.dcm  DICOM series, optional

The registry's header row is searched in its first 20 rows and its columns are
matched to roles tolerantly, in English or Russian, ignoring case, spacing and
punctuation (:data:`ROLE_PATTERNS`; e.g. "Признаки эпидуральной гематомы" -> ``edh``,
"SliceThickness" -> ``slice_thickness_mm``).  The option ``columns`` (role -> header,
from the manifest) overrides the matching.  Flags read 0/1, true/false, yes/no, да/нет
(:func:`hemstats.io.tables.parse_flag`); blank cells stay missing.  Sex reads M/F,
М/Ж, male/female, муж/жен.  Columns matching no role are never copied (they may hold
names); their headers are listed in ``info[name]["unmapped_columns"]``.  A patient
column, when present, is hashed with the salt.  Errors about registry cells name the
file, column and rows, never the cell values.

Roles: ``study`` (required), ``patient``, ``sex``, ``age``; findings ``any``, ``edh``,
``sdh``, ``sah``, ``iph`` (intracerebral), ``ivh``, ``fracture`` (skull fracture);
``multiple`` (a multiple-hemorrhage flag, checked against the subtypes, not a finding);
technical ``manufacturer``, ``scanner_model``, ``kernel``, ``slice_thickness_mm``,
``kvp``, ``tube_current_ma``.

When ``studies/`` exists, its DICOM headers are scanned (:func:`hemstats.io.dicom.scan_dicom`)
and, per study, every series is compared with the registry:

- a registry value agreeing with *any* series of the study is confirmed; otherwise a
  ``notes`` row of kind ``registry_vs_dicom`` gives the field, the registry value and
  the DICOM values (the registry value is kept);
- a value missing in the registry is filled from the study's *main* series: the
  thinnest slices, then the most images (counted in ``info``);
- text compares case-insensitively, one name being a word prefix of the other
  (``GE`` = ``GE MEDICAL SYSTEMS``); thickness and kVp within 1 % (0.01 mm),
  tube current (the series median) within 5 %, age within one year;
- study folders without a registry row, registry studies without a folder and
  unreadable files are ``notes`` too (kinds ``registry_vs_dicom`` and ``dicom_failure``), and so
  are header values read as missing (kind ``dicom_value_missing``).

Labels are study level, rater ``consensus``.  The registry's ``any`` is used as
given; without it no ``any`` label is invented.
"""

from __future__ import annotations

import csv
import logging
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Executor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from hemstats.cohort import Cohort
from hemstats.errors import DataFormatError
from hemstats.io.tables import (
    age_in_range,
    check_options,
    check_sheet,
    clean_header,
    dataset_root,
    header_key,
    parse_flag,
    parse_number,
    relative_errors,
    sex_codes,
)
from hemstats.privacy import project_salt, pseudonymize

if TYPE_CHECKING:
    from hemstats.io.dicom import ScanResult

__all__ = ["ROLE_PATTERNS", "FINDING_ROLES", "match_columns", "read_registry", "load"]

_ADAPTER = "mosmed_ich"
_log = logging.getLogger(__name__)

#: Role -> regular expressions searched in a header's key (:func:`header_key`:
#: case-folded, punctuation and spaces made ``_``).  The first role whose pattern
#: matches wins, in this order, so "manufacturer model name" is a model.
ROLE_PATTERNS: Mapping[str, tuple[str, ...]] = {
    "study": (r"^(study|study_id|study_uid|id|исследование|id_исследования|номер_исследования|study_folder|folder)$",),
    "patient": (r"^(patient|patient_id|пациент|id_пациента)$",),
    "multiple": (r"multiple", r"множеств"),
    "fracture": (r"fracture", r"перелом"),
    "edh": (r"epidural", r"эпидурал", r"^edh$"),
    "sdh": (r"subdural", r"субдурал", r"^sdh$"),
    "sah": (r"subarachnoid", r"субарахноид", r"^sah$", r"^сак$"),
    "iph": (r"intracerebral", r"intraparenchymal", r"внутримозг", r"паренхим", r"^iph$"),
    "ivh": (r"intraventricular", r"внутрижелудоч", r"^ivh$"),
    "any": (r"(^|_)ich($|_)", r"intracranial", r"внутричереп", r"(^|_)вчк($|_)", r"^hemorrhage$", r"^кровоизлияние$"),
    "scanner_model": (r"model", r"модел"),
    "manufacturer": (r"manufacturer", r"vendor", r"производител"),
    "kernel": (r"kernel", r"convolution", r"ядро", r"ядра", r"фильтр"),
    "slice_thickness_mm": (r"slice_?thickness", r"толщин"),
    "kvp": (r"^kvp$", r"^kv$", r"kvp", r"напряжени"),
    "tube_current_ma": (r"tube_?current", r"^ma$", r"(^|_)ток", r"сила_тока"),
    "sex": (r"^(sex|gender|пол)$", r"(^|_)(sex|gender|пол)($|_)"),
    "age": (r"^age", r"(^|_)age($|_)", r"возраст"),
}
#: Registry roles that become labels, with their finding codes.
FINDING_ROLES: Mapping[str, str] = {
    "any": "any",
    "edh": "edh",
    "sdh": "sdh",
    "sah": "sah",
    "iph": "iph",
    "ivh": "ivh",
    "fracture": "fracture",
}
_TEXT_TECH = ("manufacturer", "scanner_model", "kernel")
_NUM_TECH = ("slice_thickness_mm", "kvp", "tube_current_ma")


def _role_of(header: object) -> str | None:
    key = header_key(header)
    for role, patterns in ROLE_PATTERNS.items():
        if any(re.search(p, key) for p in patterns):
            return role
    return None


def match_columns(
    headers: Sequence[object], *, columns: Mapping[str, str] | None = None, path: str | Path = "registry"
) -> dict[str, str]:
    """Role -> header for a registry's headers; ``columns`` overrides the patterns.

    Raises
    ------
    DataFormatError
        When two headers match one role (say which with ``columns``), an override
        names a header that is absent, or no study column is found.

    Examples
    --------
    >>> match_columns(["ID исследования", "Пол", "Возраст", "Эпидуральная гематома", "Толщина среза"])
    {'study': 'ID исследования', 'sex': 'Пол', 'age': 'Возраст', 'edh': 'Эпидуральная гематома', 'slice_thickness_mm': 'Толщина среза'}
    >>> match_columns(["Study", "Signs of ICH", "Intracerebral hemorrhage", "kVp"])
    {'study': 'Study', 'any': 'Signs of ICH', 'iph': 'Intracerebral hemorrhage', 'kvp': 'kVp'}
    """
    given = {role: str(h) for role, h in (columns or {}).items()}
    unknown = sorted(set(given) - set(ROLE_PATTERNS))
    if unknown:
        raise DataFormatError(f"{path}: columns option names unknown roles {unknown}; roles are {list(ROLE_PATTERNS)}")
    by_key = {header_key(h): str(h) for h in headers}
    out: dict[str, str] = {}
    for role, header in given.items():
        hit = by_key.get(header_key(header))
        if hit is None:
            cols = ", ".join(repr(str(h)) for h in headers)
            raise DataFormatError(
                f"{path}: columns option maps {role!r} to {header!r}, which is not a column; columns are {cols}"
            )
        out[role] = hit
    taken = set(out.values())
    found: dict[str, list[str]] = {}
    for h in headers:
        if str(h) in taken:
            continue
        guess = _role_of(h)
        if guess is not None and guess not in out:
            found.setdefault(guess, []).append(str(h))
    for role, hits in found.items():
        if len(hits) > 1:
            raise DataFormatError(
                f"{path}: columns {hits} all look like {role!r}; choose one with the option columns={{'{role}': ...}}"
            )
        out[role] = hits[0]
    if "study" not in out:
        cols = ", ".join(repr(str(h)) for h in headers)
        raise DataFormatError(
            f"{path}: expected a study id column (e.g. 'study_id' or 'ID исследования'); columns are {cols}"
        )
    return out


def _header_row(raw: pd.DataFrame, columns: Mapping[str, str] | None) -> int:
    """The row (0-based) among the first 20 whose cells match the most roles."""
    best, best_score = 0, -1
    wanted = {header_key(h) for h in (columns or {}).values()}
    for i in range(min(20, len(raw))):
        cells = [c for c in raw.iloc[i].tolist() if isinstance(c, str) and c.strip()]
        score = len({_role_of(c) for c in cells} - {None}) + sum(header_key(c) in wanted for c in cells)
        if score > best_score:
            best, best_score = i, score
    return best


def read_registry(
    path: str | Path, *, columns: Mapping[str, str] | None = None, sheet: str | int = 0
) -> tuple[pd.DataFrame, dict[str, str], list[str]]:
    """The registry as a frame with cleaned headers, its role mapping and its unmapped headers.

    Rows before the header row and fully blank rows are dropped; cells keep their
    Excel type (csv: text).  Values are not parsed here.
    """
    path = Path(path)
    if not path.is_file():
        raise DataFormatError(f"{path}: registry not found")
    try:
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            check_sheet(path, sheet)
            raw = pd.read_excel(path, sheet_name=sheet, header=None, dtype=object, engine="openpyxl")
        else:
            with path.open(newline="", encoding="utf-8-sig") as fh:  # title rows may be shorter
                rows = list(csv.reader(fh))
            width = max((len(r) for r in rows), default=0)
            raw = pd.DataFrame([r + [""] * (width - len(r)) for r in rows], dtype=object).replace("", None)
    except DataFormatError:
        raise
    except Exception as exc:
        raise DataFormatError(f"{path}: cannot be read as a registry table ({type(exc).__name__})") from None
    if raw.empty:
        raise DataFormatError(f"{path}: the registry is empty")
    row = _header_row(raw, columns)
    headers = [clean_header(h) if not pd.isna(h) else f"unnamed_{j}" for j, h in enumerate(raw.iloc[row].tolist())]
    keys = [header_key(h) for h in headers]
    dupes = sorted({h for h, k in zip(headers, keys) if keys.count(k) > 1})
    if dupes:
        raise DataFormatError(f"{path}: columns {dupes} are the same header after cleaning; expected unique headers")
    table = raw.iloc[row + 1 :].copy()
    table.columns = headers
    table = table.map(lambda v: (v.strip() or None) if isinstance(v, str) else v)
    table = table.dropna(how="all").reset_index(drop=True)
    table.attrs["first_row"] = row + 2  # spreadsheet row of the first data row
    mapping = match_columns(headers, columns=columns, path=path)
    unmapped = [h for h in headers if h not in mapping.values()]
    return table, mapping, unmapped


def _rows(mask: Iterable[object], first_row: int) -> str:
    positions = [int(i) for i, m in enumerate(mask) if m]
    shown = ", ".join(str(p + first_row) for p in positions[:5]) + (", ..." if len(positions) > 5 else "")
    return f"{len(positions)} row{'s' * (len(positions) != 1)}, spreadsheet row {shown}"


def _parse(values: pd.Series, kind: str, *, path: Path, column: str, first_row: int) -> pd.Series:
    """parse_flag / parse_number, with errors that name rows but never quote a cell."""

    def parse(v: pd.Series) -> pd.Series:
        if kind == "flag":
            return parse_flag(v, path=path, column=column)
        return parse_number(v, path=path, column=column, minimum=None if kind == "age" else 0)

    try:
        return parse(values)
    except DataFormatError:
        bad = []
        for v in values.tolist():
            try:
                parse(pd.Series([v], dtype=object))
            except DataFormatError:
                bad.append(True)
            else:
                bad.append(False)
    expected = {"flag": "0/1, true/false, yes/no or да/нет", "age": "a number"}.get(kind, "a number >= 0")
    raise DataFormatError(f"{path}, column {column!r}: expected {expected}; {_rows(bad, first_row)}")


def _sex(values: pd.Series, *, path: Path, column: str, first_row: int) -> pd.Series:
    codes, bad = sex_codes(values)
    if bad.any():
        raise DataFormatError(
            f"{path}, column {column!r}: expected M/F, М/Ж, male/female or муж/жен; {_rows(bad, first_row)}"
        )
    return codes


def _text_key(value: object) -> str:
    return re.sub(r"\s+", " ", str(value)).strip().casefold()


def _agree(field: str, registry: object, dicom: object) -> bool:
    if field in _TEXT_TECH or field == "sex":
        a, b = _text_key(registry), _text_key(dicom)
        if field == "kernel":
            return a == b or a in b.split("/")
        return a == b or a.startswith(b + " ") or b.startswith(a + " ")
    x, y = float(registry), float(dicom)  # type: ignore[arg-type]  # numbers: the fields above are text
    if field == "tube_current_ma":
        return math.isclose(x, y, rel_tol=0.05, abs_tol=0.5)
    if field == "age_years":
        return abs(x - y) <= 1.0
    return math.isclose(x, y, rel_tol=0.01, abs_tol=0.01)


def _cross_check(
    studies: pd.DataFrame, series: pd.DataFrame, name: str
) -> tuple[pd.DataFrame, list[dict[str, Any]], dict[str, int]]:
    """Fill missing technical fields from the main series and note disagreements."""
    notes: list[dict[str, Any]] = []
    filled: dict[str, int] = {}
    fields = (*_TEXT_TECH, *_NUM_TECH, "sex", "age_years")
    series = series.assign(study=series["folder"].str.split("/").str[0])
    listed = set(studies["study_id"])
    for study in sorted(set(series["study"]) - listed):
        notes.append(
            {
                "dataset": name,
                "study_id": pd.NA,
                "kind": "registry_vs_dicom",
                "detail": f"DICOM folder studies/{study} has no registry row",
            }
        )
    studies = studies.copy()
    for i, sid in studies["study_id"].items():
        group = series[series["study"] == sid]
        if group.empty:
            notes.append(
                {
                    "dataset": name,
                    "study_id": sid,
                    "kind": "registry_vs_dicom",
                    "detail": "registry study has no DICOM series under studies/",
                }
            )
            continue
        main = group.sort_values(
            ["slice_thickness_mm", "n_instances", "series_key"], ascending=[True, False, True], na_position="last"
        ).iloc[0]
        if pd.isna(studies.at[i, "patient_id"]) and pd.notna(main["patient_key"]):
            studies.at[i, "patient_id"] = main["patient_key"]
        for field in fields:
            reg = studies.at[i, field]
            values = [v for v in group[field].tolist() if pd.notna(v)]
            if pd.isna(reg):
                if pd.notna(main[field]):
                    studies.at[i, field] = main[field]
                    filled[field] = filled.get(field, 0) + 1
                continue
            if values and not any(_agree(field, reg, v) for v in values):
                shown = ", ".join(sorted({f"{v:g}" if isinstance(v, float) else str(v) for v in values}))
                reg_text = f"{reg:g}" if isinstance(reg, float) else str(reg)
                notes.append(
                    {
                        "dataset": name,
                        "study_id": sid,
                        "kind": "registry_vs_dicom",
                        "detail": f"{field}: registry {reg_text}, DICOM {shown}",
                        "field": field,
                    }
                )
    return studies, notes, filled


def load(
    root: str | Path,
    *,
    name: str = _ADAPTER,
    registry: str = "dataset_registry.xlsx",
    sheet: str | int = 0,
    columns: Mapping[str, str] | None = None,
    studies_dir: str | None = "studies",
    executor: Executor | None = None,
    progress: bool = False,
    salt: str | None = None,
) -> Cohort:
    """Load MosMedData CT-ICH from its registry and, when present, its DICOM headers.

    Parameters
    ----------
    root : str or Path
        The dataset folder.
    name : str
        Value of the ``dataset`` column.
    registry : str
        Registry file (xlsx or csv) relative to ``root``.
    sheet : str or int
        Excel sheet of the registry.
    columns : mapping, optional
        Role -> registry header, overriding the tolerant matching (module docstring).
    studies_dir : str, optional
        Folder of ``<study>/<series>/*.dcm`` relative to ``root``; ``None`` skips the scan.
    executor, progress :
        Passed to :func:`hemstats.io.dicom.scan_dicom`.
    salt : str, optional
        Salt of hashed patient keys; default :func:`hemstats.privacy.project_salt`.

    Returns
    -------
    Cohort
        ``studies`` (age, sex and the technical columns), ``labels`` (study level,
        ``consensus``) and ``notes`` (``registry_vs_dicom``, ``dicom_failure``,
        ``registry_inconsistent``, ``out_of_range`` for an age outside 0-130 years,
        kept missing; the ``field`` column names the compared field).

    Raises
    ------
    DataFormatError
        Missing registry, a sheet that is not in the workbook (naming the sheets
        present), no study column, a repeated or blank study id, a flag, number or sex
        it cannot read (naming column and rows, not the value).
    ManifestError
        An option of the wrong type.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = Path(tmp, "registry.csv").write_text(
    ...         "Реестр исследований\\n"
    ...         "ID исследования,Пол,Возраст,Признаки ВЧК,Субдуральная гематома\\n"
    ...         "s1,Ж,71,да,да\\ns2,М,34,нет,\\n", encoding="utf-8")
    ...     cohort = load(tmp, registry="registry.csv", salt="doctest")
    >>> cohort.studies[["study_id", "sex", "age_years"]].values.tolist()
    [['s1', 'F', 71.0], ['s2', 'M', 34.0]]
    >>> cohort.labels[["study_id", "finding", "value"]].values.tolist()
    [['s1', 'any', 1], ['s1', 'sdh', 1], ['s2', 'any', 0]]
    """
    check_options(load, locals())
    root = dataset_root(root, holds=registry)
    with relative_errors(root):
        return _load(root, name, registry, sheet, columns, studies_dir, executor, progress, salt)


def _study_ids(table: pd.DataFrame, column: str, path: Path, first: int) -> pd.Series:
    """Study ids as text (an Excel whole number without ``.0``); blank or repeated ids are errors."""
    sids = table[column].map(
        lambda v: None if pd.isna(v) else (str(int(v)) if isinstance(v, float) and v.is_integer() else str(v).strip())
    )
    if sids.isna().any():
        raise DataFormatError(
            f"{path}, column {column!r}: expected a study id in every row; {_rows(sids.isna(), first)}"
        )
    dup = sids.duplicated(keep=False)
    if dup.any():
        raise DataFormatError(f"{path}, column {column!r}: expected unique study ids; {_rows(dup, first)}")
    return sids


def _registry_studies(
    table: pd.DataFrame, mapping: Mapping[str, str], sids: pd.Series, *, path: Path, first: int, name: str, salt: str
) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """The studies table from the registry (hashed patient, sex, age, technique) and out-of-range age notes."""
    studies = pd.DataFrame({"dataset": name, "study_id": sids})
    studies["patient_id"] = (
        pseudonymize(table[mapping["patient"]], salt=salt).to_numpy() if "patient" in mapping else pd.NA
    )
    studies["sex"] = (
        _sex(table[mapping["sex"]], path=path, column=mapping["sex"], first_row=first) if "sex" in mapping else None
    )
    age_notes: list[dict[str, Any]] = []
    if "age" in mapping:
        ages = _parse(table[mapping["age"]], "age", path=path, column=mapping["age"], first_row=first)
        ages, texts = age_in_range(ages.set_axis(pd.RangeIndex(len(ages)) + first - 2), path=path.name,
                                   column=mapping["age"])
        outside = ages.isna().to_numpy() & table[mapping["age"]].notna().to_numpy()
        age_notes = [{"dataset": name, "study_id": sid, "kind": "out_of_range", "detail": text, "field": "age_years"}
                     for sid, text in zip(sids[outside], texts)]
        studies["age_years"] = ages.to_numpy()
    else:
        studies["age_years"] = pd.NA
    for field in _TEXT_TECH:
        studies[field] = (
            table[mapping[field]].map(lambda v: None if pd.isna(v) else str(v).strip()) if field in mapping else None
        )
    for field in _NUM_TECH:
        studies[field] = (
            _parse(table[mapping[field]], "number", path=path, column=mapping[field], first_row=first).to_numpy()
            if field in mapping
            else pd.NA
        )
    return studies, age_notes


def _registry_flags(table: pd.DataFrame, mapping: Mapping[str, str], *, path: Path, first: int) -> dict[str, pd.Series]:
    """Role -> parsed 0/1 flags, for the finding roles and ``multiple`` the registry has."""
    return {
        role: _parse(table[mapping[role]], "flag", path=path, column=mapping[role], first_row=first)
        for role in (*FINDING_ROLES, "multiple")
        if role in mapping
    }


def _multiple_flag_notes(flags: dict[str, pd.Series], sids: pd.Series, name: str) -> list[dict[str, Any]]:
    """A ``registry_inconsistent`` note where the multiple-hemorrhage flag contradicts the subtype flags."""
    notes: list[dict[str, Any]] = []
    subtypes = [flags[r] for r in ("edh", "sdh", "sah", "iph", "ivh") if r in flags]
    if "multiple" not in flags or not subtypes:
        return notes
    n_pos = pd.concat(subtypes, axis=1).fillna(0).sum(axis=1)
    complete = pd.concat(subtypes, axis=1).notna().all(axis=1)
    implied = (n_pos >= 2).astype("Int8")
    off = complete & flags["multiple"].notna() & (flags["multiple"] != implied)
    for i in off[off.fillna(False)].index:
        notes.append(
            {
                "dataset": name,
                "study_id": sids[i],
                "kind": "registry_inconsistent",
                "detail": f"multiple-hemorrhage flag {int(flags['multiple'][i])} but {int(n_pos[i])} subtypes positive",
                "field": "multiple",
            }
        )
    return notes


def _scan_notes(scan: ScanResult, sids: pd.Series, name: str) -> list[dict[str, Any]]:
    """Notes of the files the scan could not read and of header values read as missing."""
    known = set(sids)
    notes: list[dict[str, Any]] = []
    for row in scan.failures.itertuples(index=False):
        study = row.path.split("/")[0]
        notes.append(
            {
                "dataset": name,
                "study_id": study if study in known else pd.NA,
                "kind": "dicom_failure",
                "detail": f"studies/{row.path}: {row.reason}",
            }
        )
    for row in scan.notes.itertuples(index=False):  # header values read as missing
        study = str(row.folder).split("/")[0]
        notes.append(
            {
                "dataset": name,
                "study_id": study if study in known else pd.NA,
                "kind": "dicom_value_missing",
                "detail": f"{row.field} read as missing in {row.n_files} file(s) of series {row.series_key}: "
                f"{row.reason}",
            }
        )
    return notes


def _labels_table(flags: dict[str, pd.Series], sids: pd.Series, name: str) -> pd.DataFrame:
    """Study-level consensus labels of the finding roles present; blank flags give no row."""
    label_frames = [
        pd.DataFrame({"study_id": sids, "finding": FINDING_ROLES[role], "value": flags[role]}).dropna(subset=["value"])
        for role in FINDING_ROLES
        if role in flags
    ]
    labels = (
        pd.concat(label_frames, ignore_index=True)
        if label_frames
        else pd.DataFrame(columns=["study_id", "finding", "value"])
    )
    return labels.sort_values(["study_id"], kind="stable").assign(
        dataset=name, slice_id=pd.NA, level="study", rater="consensus", value=lambda d: d["value"].astype("int8")
    )


def _load(root: Path, name: str, registry: str, sheet: str | int, columns: Mapping[str, str] | None,
          studies_dir: str | None, executor: Executor | None, progress: bool, salt: str | None) -> Cohort:
    path = root / registry
    table, mapping, unmapped = read_registry(path, columns=columns, sheet=sheet)
    first = table.attrs["first_row"]
    key_salt = project_salt(salt)

    sids = _study_ids(table, mapping["study"], path, first)
    studies, age_notes = _registry_studies(table, mapping, sids, path=path, first=first, name=name, salt=key_salt)
    flags = _registry_flags(table, mapping, path=path, first=first)
    notes = age_notes + _multiple_flag_notes(flags, sids, name)

    filled: dict[str, int] = {}
    n_series = 0
    scan_dir = root / studies_dir if studies_dir is not None else None
    if scan_dir is not None and scan_dir.is_dir():
        from hemstats.io.dicom import scan_dicom

        scan = scan_dicom(scan_dir, executor=executor, progress=progress, salt=key_salt)
        n_series = len(scan.series)
        studies, cross, filled = _cross_check(studies, scan.series, name)
        notes += cross + _scan_notes(scan, sids, name)
        _log.info("%s: %d series scanned, %d notes", name, n_series, len(notes))
    studies["patient_id"] = studies["patient_id"].where(studies["patient_id"].notna(), studies["study_id"])

    labels = _labels_table(flags, sids, name)
    notes_df = pd.DataFrame(notes, columns=["dataset", "study_id", "kind", "detail", "field"])
    info = {
        name: {
            "adapter": _ADAPTER,
            "synthetic": False,
            "columns": mapping,
            "unmapped_columns": unmapped,
            "n_series_scanned": n_series,
            "filled_from_dicom": filled,
        }
    }
    _log.info("%s: %d studies, %d label rows from %s", name, len(studies), len(labels), path.name)
    return Cohort(studies, labels=labels, notes=notes_df, info=info)
