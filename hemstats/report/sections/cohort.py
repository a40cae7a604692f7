"""The tables of the Cohort chapter (book/cohort.md): Table 1 by dataset and by any intracranial hemorrhage.

Each function takes the build's settings (a :class:`~hemstats.report.sections.Settings` or the
chapter's :class:`~hemstats.report.context.ReportContext`) and returns a
:class:`~hemstats.stats.Table1`, or None when the cohort has nothing to show (the chapter then
says why).  Table 1 draws no random numbers.

Examples
--------
>>> from hemstats.datasets import demo
>>> from hemstats.report.sections import Settings
>>> t1 = by_dataset(Settings(demo.load(n_studies=60)))
>>> t1.by, t1.groups
((), ())
>>> by_any(Settings(demo.load(n_studies=60))).groups
('0', '1')
>>> shown = display(by_any(Settings(demo.load(n_studies=60))))
>>> list(shown.columns)
['Variable', 'Category', 'Missing', 'No ICH', 'ICH', 'Overall', 'p', 'Test', 'SMD']
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from hemstats.findings import FINDINGS
from hemstats.report.chapter import Html, note, save_table, show_table
from hemstats.report.display import DECIMALS, DISPLAY_NAMES
from hemstats.stats import Table1, table1

if TYPE_CHECKING:
    from hemstats.report.sections import SectionInputs

__all__ = [
    "SKEWED",
    "DESCRIPTORS",
    "MAX_LEVELS",
    "FREE_TEXT_NAMES",
    "MAX_GROUPS_WITH_CI",
    "skewed",
    "descriptors",
    "free_text",
    "by_dataset",
    "by_any",
    "display",
    "number_columns",
    "group_header",
    "show",
]

#: Count-like columns summarised by median [Q1, Q3] where the studies have them.
SKEWED: tuple[str, ...] = ("n_slices", "tube_current_ma")
#: The study descriptors of the any-ICH table, in display order, where the studies have them.
DESCRIPTORS: tuple[str, ...] = (
    "age_years", "sex", "split", "site", "manufacturer", "kernel", "slice_thickness_mm", "kvp", "tube_current_ma",
    "n_slices",
)  # fmt: skip
#: A text column outside :data:`DESCRIPTORS` with more distinct values than this is free text
#: (a diagnosis, a condition typed by hand): left out of Table 1, said under the table.
MAX_LEVELS = 12
#: Text columns left out of Table 1 whatever their number of values: typed by hand, never categories.
FREE_TEXT_NAMES: frozenset[str] = frozenset({"condition", "diagnosis", "notes", "note", "comment", "comments",
                                             "description", "report", "impression"})  # fmt: skip
_KNOWN = frozenset({*DESCRIPTORS, "dataset", "study_id", "patient_id", "scanner_model", "batch"})


def _present(studies: pd.DataFrame, columns: tuple[str, ...]) -> list[str]:
    return [c for c in columns if c in studies.columns and studies[c].notna().any()]


def skewed(studies: pd.DataFrame) -> list[str]:
    """The :data:`SKEWED` columns ``studies`` has values in."""
    return _present(studies, SKEWED)


def descriptors(studies: pd.DataFrame) -> list[str]:
    """The :data:`DESCRIPTORS` columns ``studies`` has values in."""
    return _present(studies, DESCRIPTORS)


def free_text(studies: pd.DataFrame, *, max_levels: int = MAX_LEVELS) -> list[str]:
    """The free-text columns of ``studies``: text outside :data:`DESCRIPTORS` with more than ``max_levels``
    values, or named as free text (:data:`FREE_TEXT_NAMES`, e.g. PhysioNet's ``condition``).

    Examples
    --------
    >>> studies = pd.DataFrame({"dataset": ["d"] * 20, "sex": ["F", "M"] * 10,
    ...                         "condition": [f"note {i}" for i in range(20)], "age_years": range(20)})
    >>> free_text(studies)
    ['condition']
    """
    out = []
    for c in studies.columns:
        s = studies[c]
        text = isinstance(s.dtype, (pd.CategoricalDtype, pd.StringDtype)) or s.dtype == object
        named = str(c).lower() in FREE_TEXT_NAMES and s.notna().any()
        if c not in _KNOWN and text and (named or s.nunique(dropna=True) > max_levels):
            out.append(str(c))
    return out


def _columns(settings: SectionInputs, leave_out: list[str], by: list[str]) -> list[str] | None:
    """Table 1's default columns without ``leave_out`` (None, the default itself, when nothing is left out)."""
    if not leave_out:
        return None
    studies = settings.cohort.studies
    skip = {"study_id", "patient_id", "dataset", *by, *leave_out}
    columns = [str(c) for c in studies.columns if c not in skip and studies[c].notna().any()]
    labels = settings.cohort.labels
    if labels is not None and not labels.empty:
        rows = labels[(labels["level"] == "study") & (labels["rater"] == "consensus")]
        present = set(rows["finding"].astype(str))
        columns += [f for f in FINDINGS if f in present and f not in by]
    return columns


def _has_any_label(labels: pd.DataFrame | None) -> bool:
    if labels is None or labels.empty:
        return False
    rows = (labels["level"] == "study") & (labels["rater"] == "consensus") & (labels["finding"] == "any")
    return bool(rows.any())


def by_dataset(settings: SectionInputs) -> Table1 | None:
    """Table 1 of every study, per dataset when there are several, with the consensus findings joined.

    Free-text columns (:func:`free_text`) are left out; :func:`show` names them in a note.  None when the cohort has no studies.
    """
    cohort = settings.cohort
    studies = cohort.studies
    if studies.empty:
        return None
    by = "dataset" if studies["dataset"].nunique() > 1 else None
    columns = _columns(settings, free_text(studies), [by] if by else [])
    return table1(cohort, by=by, columns=columns, nonnormal=skewed(studies), confidence_level=settings.confidence_level)


def by_any(settings: SectionInputs) -> Table1 | None:
    """Table 1 of the study descriptors split by the consensus any-ICH label (within each dataset).

    None when no study has a consensus any-ICH label or the studies have no descriptor.
    """
    cohort = settings.cohort
    studies = cohort.studies
    columns = descriptors(studies)
    if not _has_any_label(cohort.labels) or not columns:
        return None
    by = ["dataset", "any"] if studies["dataset"].nunique() > 1 else "any"
    return table1(cohort, by=by, columns=columns, nonnormal=[c for c in skewed(studies) if c in columns],
                  confidence_level=settings.confidence_level)  # fmt: skip


def group_header(t1: Table1, group: str) -> str:
    """The header of ``group``'s column: the any-ICH value as ``ICH`` / ``No ICH``, other values as they are.

    Examples
    --------
    >>> from hemstats.datasets import demo
    >>> t1 = table1(demo.load(n_studies=40), by="any", columns=["sex"])
    >>> group_header(t1, "1"), group_header(t1, "0"), group_header(t1, "Overall")
    ('ICH', 'No ICH', 'Overall')
    """
    if group not in t1.groups or not t1.by:
        return group
    values = group.split(", ") if len(t1.by) > 1 else [group]
    parts = []
    for column, value in zip(t1.by, values, strict=False):
        value = value.split("=", 1)[1] if value.startswith(f"{column}=") else value
        if column == "any":
            value = {"1": "ICH", "0": "No ICH"}.get(value, value)
        parts.append(value)
    return ", ".join(parts)


#: Table 1 shows the interval of each percentage up to this many groups (besides Overall); with more,
#: the columns would not fit the page and the intervals are left to the CSV.
MAX_GROUPS_WITH_CI = 3


def display(t1: Table1, *, ci: bool | None = None) -> pd.DataFrame:
    """Table 1 as the chapter shows it: display names with units, a 0/1 finding as one ``present`` row.

    ``ci`` (default: up to :data:`MAX_GROUPS_WITH_CI` groups) adds the Wilson interval of each
    percentage; the CSV (:attr:`Table1.long`) always has it.

    Headers are final (``Variable``, ``Category``, ``Missing``, a column per group, ``Overall``,
    ``p``, ``Test``, ``SMD``): show it with ``show_table(..., names=False, labels=False)``.
    Percentages and SMDs take the report's decimals (:data:`~hemstats.report.display.DECIMALS`).
    """
    if ci is None:
        ci = len(t1.groups) <= MAX_GROUPS_WITH_CI
    f = t1.formatted(digits=DECIMALS["percent"], p_digits=DECIMALS["p"], ci=ci, names=DISPLAY_NAMES, binary=True,
                     smd_digits=DECIMALS["smd"])  # fmt: skip
    heads = {"variable": "Variable", "category": "Category", "P-Value": "p"}
    heads.update({g: group_header(t1, g) for g in t1.groups})
    return f.rename(columns=heads)


def number_columns(shown: pd.DataFrame) -> list[str]:
    """The columns of a :func:`display` table holding numbers (all but ``Variable``, ``Category`` and ``Test``).

    Examples
    --------
    >>> number_columns(pd.DataFrame(columns=["Variable", "Category", "Missing", "Overall", "p", "Test", "SMD"]))
    ['Missing', 'Overall', 'p', 'SMD']
    """
    return [str(c) for c in shown.columns if c not in ("Variable", "Category", "Test")]


def show(t1: Table1, csv: str, *, studies: pd.DataFrame | None = None) -> Html:
    """Save ``t1``'s long form as ``csv`` (its pairwise SMDs as ``<csv>_smd_pairs``) and show :func:`display`.

    With ``studies``, a note under the table names the free-text columns left out (:func:`free_text`).
    """
    save_table(t1.smd_pairs, f"{csv}_smd_pairs")
    shown = display(t1)
    few = len(t1.groups) <= MAX_GROUPS_WITH_CI
    table = show_table(shown, names=False, labels=False, numbers=number_columns(shown), keep_together=few, csv=csv,
                       save=t1.long)  # fmt: skip
    lines = []
    if len(t1.groups) > MAX_GROUPS_WITH_CI:
        lines.append(f"With {len(t1.groups)} groups the table leaves out the intervals of the percentages: "
                     f"{csv}.csv has them.")  # fmt: skip
    left_out = free_text(studies) if studies is not None else []
    if left_out:
        lines.append(f"Left out as free text (more than {MAX_LEVELS} distinct values): {', '.join(left_out)}.")
    notes = [note(line) for line in lines]
    return Html(table.html + "".join(n.html for n in notes), "\n".join([table.text, *(n.text for n in notes)]))
