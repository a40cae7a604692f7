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
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hemstats.stats import Table1, table1

if TYPE_CHECKING:
    import pandas as pd

    from hemstats.report.sections import SectionInputs

__all__ = ["SKEWED", "DESCRIPTORS", "skewed", "descriptors", "by_dataset", "by_any"]

#: Count-like columns summarised by median [Q1, Q3] where the studies have them.
SKEWED: tuple[str, ...] = ("n_slices", "tube_current_ma")
#: The study descriptors of the any-ICH table, in display order, where the studies have them.
DESCRIPTORS: tuple[str, ...] = (
    "age_years", "sex", "split", "site", "manufacturer", "kernel", "slice_thickness_mm", "kvp", "tube_current_ma",
    "n_slices",
)  # fmt: skip


def _present(studies: pd.DataFrame, columns: tuple[str, ...]) -> list[str]:
    return [c for c in columns if c in studies.columns and studies[c].notna().any()]


def skewed(studies: pd.DataFrame) -> list[str]:
    """The :data:`SKEWED` columns ``studies`` has values in."""
    return _present(studies, SKEWED)


def descriptors(studies: pd.DataFrame) -> list[str]:
    """The :data:`DESCRIPTORS` columns ``studies`` has values in."""
    return _present(studies, DESCRIPTORS)


def _has_any_label(labels: pd.DataFrame | None) -> bool:
    if labels is None or labels.empty:
        return False
    rows = (labels["level"] == "study") & (labels["rater"] == "consensus") & (labels["finding"] == "any")
    return bool(rows.any())


def by_dataset(settings: SectionInputs) -> Table1 | None:
    """Table 1 of every study, per dataset when there are several, with the consensus findings joined.

    None when the cohort has no studies.
    """
    cohort = settings.cohort
    studies = cohort.studies
    if studies.empty:
        return None
    by = "dataset" if studies["dataset"].nunique() > 1 else None
    return table1(cohort, by=by, nonnormal=skewed(studies), confidence_level=settings.confidence_level)


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
