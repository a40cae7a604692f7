"""The tables of the Acquisition chapter (book/acquisition.md).

Each function takes the build's settings (a :class:`~hemstats.report.sections.Settings` or the
chapter's :class:`~hemstats.report.context.ReportContext`) and returns one result table, or
None when the cohort has nothing to show (the chapter then says why).  Only the datasets that
record some acquisition (vendor, kernel, slice thickness, kVp or tube current) enter the
chapter.  The one table that draws random numbers, :func:`by_kernel`, takes them from its own
stream, ``settings.rng("acquisition/by_kernel")``.

Examples
--------
>>> from hemstats.datasets import demo
>>> from hemstats.report.sections import Settings
>>> settings = Settings(demo.load(n_studies=60), seed=1, n_resamples=50)
>>> datasets(settings)
['demo']
>>> mix(settings)[["metric", "n"]].drop_duplicates().values.tolist()
[['share', 60]]
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import hemstats.acquisition as acq
from hemstats.stats.acquisition.effects import acquisition_effects
from hemstats.stats.acquisition.heterogeneity import heterogeneity
from hemstats.stats.acquisition.mix import acquisition_distribution, acquisition_mix

if TYPE_CHECKING:
    import pandas as pd

    from hemstats.cohort import Cohort
    from hemstats.report.sections import SectionInputs

__all__ = [
    "ACQUISITION_COLUMNS",
    "STUDY_FINDINGS",
    "COUNTS",
    "NO_ACQUISITION",
    "datasets",
    "acquisition_cohort",
    "read_findings",
    "model_findings",
    "mix",
    "unknown_kernels",
    "distribution",
    "effects",
    "associations",
    "odds_ratios",
    "by_kernel",
    "kernel_tests",
    "kernel_strata",
]

#: Studies columns that say a dataset records its acquisition.
ACQUISITION_COLUMNS: tuple[str, ...] = ("manufacturer", "kernel", "slice_thickness_mm", "kvp", "tube_current_ma")
#: Findings whose study-level labels the chapter relates to acquisition, in this order.
STUDY_FINDINGS: tuple[str, ...] = ("any", "edh", "sdh", "sah", "iph", "ivh")
#: Count columns, shown as whole numbers.
COUNTS: tuple[str, ...] = ("n", "n_positive", "n_missing", "n_clusters", "n_resamples", "n_failed_resamples")
#: What the chapter says when no dataset records its acquisition.
NO_ACQUISITION = "No dataset in this manifest records the scanner, kernel or slice thickness of its studies."


def datasets(settings: SectionInputs) -> list[str]:
    """The datasets whose studies record some acquisition column."""
    studies = settings.cohort.studies
    present = [c for c in ACQUISITION_COLUMNS if c in studies.columns]
    if not present:
        return []
    has = studies[present].notna().any(axis=1).groupby(studies["dataset"], observed=True).any()
    return [str(d) for d, ok in has.items() if ok]


def acquisition_cohort(settings: SectionInputs) -> Cohort | None:
    """The sub-cohort of :func:`datasets`; None when there is none."""
    names = datasets(settings)
    return settings.cohort.select(names) if names else None


def read_findings(cohort: Cohort) -> list[str]:
    """The findings of :data:`STUDY_FINDINGS` with study-level consensus labels."""
    labels = cohort.labels
    if labels is None:
        return []
    study = labels[(labels["level"] == "study") & (labels["rater"] == "consensus")]
    present = set(study["finding"].astype(str))
    return [f for f in STUDY_FINDINGS if f in present]


def model_findings(cohort: Cohort) -> list[str]:
    """The findings of :func:`read_findings` with study-level model scores."""
    predictions = cohort.predictions
    if predictions is None:
        return []
    scored = set(predictions.loc[predictions["level"] == "study", "finding"].astype(str))
    return [f for f in read_findings(cohort) if f in scored]


def mix(settings: SectionInputs) -> pd.DataFrame | None:
    """Share of studies per vendor x scanner model x kernel family x thickness bin, per dataset."""
    cohort = acquisition_cohort(settings)
    return None if cohort is None else acquisition_mix(cohort)


def unknown_kernels(settings: SectionInputs) -> pd.DataFrame | None:
    """The recorded kernels no rule maps to a family (empty when every kernel maps); None without acquisition."""
    cohort = acquisition_cohort(settings)
    return None if cohort is None else acq.unknown_kernels(acq.harmonize(cohort.studies))


def distribution(settings: SectionInputs) -> pd.DataFrame | None:
    """kVp, tube current and slice thickness per dataset."""
    cohort = acquisition_cohort(settings)
    return None if cohort is None else acquisition_distribution(cohort)


def effects(settings: SectionInputs) -> pd.DataFrame | None:
    """Association tests and GEE odds ratios of the labels on acquisition; None without study-level labels."""
    cohort = acquisition_cohort(settings)
    if cohort is None:
        return None
    findings = read_findings(cohort)
    if not findings:
        return None
    return acquisition_effects(cohort, findings=findings, confidence_level=settings.confidence_level)


def associations(table: pd.DataFrame) -> pd.DataFrame:
    """The association rows of :func:`effects` as the chapter shows them (Cramer's V, test, p values)."""
    rows = table[table["analysis"] == "association"]
    return rows[["dataset", "finding", "variable", "estimate", "ci_low", "ci_high", "test", "statistic", "df",
                 "p_value", "p_adjusted", "n", "reason"]]


def odds_ratios(table: pd.DataFrame) -> pd.DataFrame:
    """The GEE rows of :func:`effects` as the chapter shows them (odds ratio per term)."""
    rows = table[table["analysis"] == "gee"]
    return rows[["dataset", "finding", "term", "estimate", "ci_low", "ci_high", "p_value", "p_adjusted", "n",
                 "n_positive", "converged", "reason"]]


def by_kernel(settings: SectionInputs) -> pd.DataFrame | None:
    """AUC, sensitivity and specificity per kernel family and the heterogeneity tests; None without scores."""
    cohort = acquisition_cohort(settings)
    if cohort is None or cohort.predictions is None or cohort.predictions.empty:
        return None
    findings = model_findings(cohort)
    if not findings:
        return None
    return heterogeneity(cohort, by="kernel_family", findings=findings, level="study",
                         confidence_level=settings.confidence_level, n_resamples=settings.n_resamples,
                         rng=settings.rng("acquisition/by_kernel"))


def kernel_tests(table: pd.DataFrame) -> pd.DataFrame:
    """The heterogeneity rows of :func:`by_kernel` as the chapter shows them."""
    rows = table[table["kind"] == "heterogeneity"]
    return rows[["dataset", "finding", "model", "metric", "method", "estimate", "statistic", "df", "p_value",
                 "p_adjusted", "n", "n_clusters", "reason"]]


def kernel_strata(table: pd.DataFrame) -> pd.DataFrame:
    """The per-stratum rows of :func:`by_kernel` as the chapter shows them."""
    rows = table[table["kind"] == "stratum"]
    return rows[["dataset", "finding", "model", "subgroup_value", "metric", "method", "estimate", "ci_low", "ci_high",
                 "n", "n_positive", "reason"]]
