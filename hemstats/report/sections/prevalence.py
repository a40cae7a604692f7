"""The tables of the Prevalence chapter (book/prevalence.md).

Each function takes the build's settings (a :class:`~hemstats.report.sections.Settings` or the
chapter's :class:`~hemstats.report.context.ReportContext`) and returns one result table, or
None when the cohort has nothing to show (the chapter then says why).  A table that draws
random numbers takes them from its own stream, ``settings.rng("prevalence/<table>")``.

Examples
--------
>>> from hemstats.datasets import demo
>>> from hemstats.report.sections import Settings
>>> settings = Settings(demo.load(n_studies=60), seed=1)
>>> by_dataset(settings).query("finding == 'any'")[["dataset", "metric", "n"]].values.tolist()
[['demo', 'prevalence', 60]]
>>> comparison(settings) is None  # one dataset: nothing to compare
True
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import hemstats.stats as st

if TYPE_CHECKING:
    import pandas as pd

    from hemstats.cohort import Cohort
    from hemstats.report.sections import SectionInputs

__all__ = [
    "SUBTYPES",
    "HIDDEN",
    "COUNTS",
    "shown",
    "overall_tests",
    "pairwise_differences",
    "by_dataset",
    "by_patient",
    "by_slice",
    "comparison",
    "cooccurrence",
    "combinations",
    "lesion_volumes",
    "interval_coverage",
]

#: The hemorrhage subtypes whose co-occurrence the chapter shows.
SUBTYPES: tuple[str, ...] = ("edh", "sdh", "sah", "iph", "ivh")
#: Columns the chapter's tables leave out (one value per table, said in the prose or the CSV).
HIDDEN: tuple[str, ...] = ("level", "unit", "rater", "subgroup", "metric", "confidence_level")
#: Count columns, shown as whole numbers.
COUNTS: tuple[str, ...] = (
    "n", "n_positive", "n_missing", "n_clusters", "n_resamples", "n_failed_resamples", "n_a", "n_positive_a", "n_b",
    "n_positive_b", "both", "only_a", "only_b", "neither", "degree", "n_zero",
)  # fmt: skip
#: Simulated samples per cell of the interval coverage table.
COVERAGE_SIMULATIONS = 20_000


def shown(table: pd.DataFrame, *, hide: Iterable[str] = HIDDEN) -> pd.DataFrame:
    """``table`` as the chapter shows it: without the ``hide`` columns and the columns that are all missing.

    Examples
    --------
    >>> import pandas as pd
    >>> shown(pd.DataFrame({"level": ["study"], "estimate": [0.1], "reason": [None]})).columns.tolist()
    ['estimate']
    """
    drop = [c for c in table.columns if c in set(hide) or table[c].isna().all()]
    return table.drop(columns=drop)


def overall_tests(comparison: pd.DataFrame) -> pd.DataFrame:
    """The overall rows of :func:`comparison` as the chapter shows them (finding, counts, test, p values, reason)."""
    rows = comparison[comparison["comparison"] == "overall"]
    return rows[["finding", "n", "n_positive", "test", "statistic", "p_value", "p_adjusted", "reason"]]


def pairwise_differences(comparison: pd.DataFrame) -> pd.DataFrame:
    """The pairwise rows of :func:`comparison` as the chapter shows them (groups, difference, counts, test)."""
    rows = comparison[comparison["comparison"] == "pairwise"]
    return shown(rows, hide=[*HIDDEN, "dataset", "subgroup_value", "comparison", "statistic"])


def _consensus(cohort: Cohort, level: str) -> pd.DataFrame:
    labels = cohort.tables()["labels"]
    return labels[(labels["rater"] == "consensus") & (labels["level"] == level)]


def by_dataset(settings: SectionInputs) -> pd.DataFrame | None:
    """Study-level prevalence of every finding per dataset; None without study-level consensus labels."""
    if _consensus(settings.cohort, "study").empty:
        return None
    return st.prevalence(settings.cohort, unit="study", confidence_level=settings.confidence_level,
                         n_resamples=settings.n_resamples, rng=settings.rng("prevalence/by_dataset"))  # fmt: skip


def by_patient(settings: SectionInputs) -> pd.DataFrame | None:
    """Patient-level prevalence (a patient is positive when any of their studies is).

    None without study-level consensus labels, or when every patient has a single study (the
    patient level then equals the study level).
    """
    cohort = settings.cohort
    if _consensus(cohort, "study").empty:
        return None
    per_dataset = cohort.studies.groupby("dataset", observed=True)
    if not (per_dataset["patient_id"].nunique() < per_dataset["study_id"].nunique()).any():
        return None
    return st.prevalence(cohort, unit="patient", confidence_level=settings.confidence_level,
                         n_resamples=settings.n_resamples, rng=settings.rng("prevalence/by_patient"))  # fmt: skip


def by_slice(settings: SectionInputs) -> pd.DataFrame | None:
    """Slice-level prevalence, clustered by patient; None without slice-level consensus labels."""
    if _consensus(settings.cohort, "slice").empty:
        return None
    return st.prevalence(settings.cohort, unit="slice", confidence_level=settings.confidence_level,
                         n_resamples=settings.n_resamples, rng=settings.rng("prevalence/by_slice"))  # fmt: skip


def comparison(settings: SectionInputs) -> pd.DataFrame | None:
    """Each finding's study-level prevalence compared across datasets; None with fewer than two datasets."""
    if _consensus(settings.cohort, "study")["dataset"].nunique() < 2:
        return None
    return st.compare_prevalence(settings.cohort, by="dataset", confidence_level=settings.confidence_level)


def _has_subtypes(cohort: Cohort) -> bool:
    return bool(_consensus(cohort, "study")["finding"].isin(SUBTYPES).any())


def cooccurrence(settings: SectionInputs) -> pd.DataFrame | None:
    """Two-by-two counts of every pair of subtypes per dataset; None without study-level subtype labels."""
    if not _has_subtypes(settings.cohort):
        return None
    return st.cooccurrence(settings.cohort, findings=list(SUBTYPES))


def combinations(settings: SectionInputs) -> pd.DataFrame | None:
    """How many studies show exactly each combination of subtypes; None without study-level subtype labels."""
    if not _has_subtypes(settings.cohort):
        return None
    return st.combinations(settings.cohort, findings=list(SUBTYPES))


def lesion_volumes(settings: SectionInputs) -> pd.DataFrame | None:
    """Lesion volume summaries (mL) per dataset and finding, lesions present only; None without volumes."""
    lesions = settings.cohort.lesions
    if lesions is None or lesions.empty or lesions["volume_ml"].isna().all():
        return None
    return st.lesion_volumes(settings.cohort)


def interval_coverage(settings: SectionInputs) -> pd.DataFrame:
    """Coverage of the four binomial intervals at 30, 100 and 500 studies and prevalences of 2, 10 and 40 %."""
    return st.proportion_coverage(confidence_level=settings.confidence_level, n_simulations=COVERAGE_SIMULATIONS,
                                  rng=settings.rng("prevalence/interval_coverage"))  # fmt: skip
