"""The tables of the Reader agreement chapter (book/agreement.md).

Each function takes the build's settings (a :class:`~hemstats.report.sections.Settings` or the
chapter's :class:`~hemstats.report.context.ReportContext`) and returns one result table, or
None when the cohort has nothing to show (the chapter then says why); :func:`pairs`,
:func:`all_readers` and :func:`heatmap_method` select what the chapter shows of the
agreement table.  A table that draws random numbers takes them from its own stream,
``settings.rng("agreement/<table>")``.

Examples
--------
>>> from hemstats.datasets import demo
>>> from hemstats.report.sections import Settings
>>> settings = Settings(demo.load(n_studies=60), n_resamples=200, seed=1)
>>> multi_reader_datasets(settings.cohort)
['demo']
>>> table = by_finding(settings)
>>> sorted(pairs(table)["metric"].unique())
['cohen_kappa', 'gwet_ac1', 'pabak']
>>> sorted(all_readers(table)["raters"].unique())
['R1|R2|R3']
>>> reader_vs_consensus(settings)[["rater", "reference"]].drop_duplicates().values.tolist()
[['R1', 'consensus'], ['R2', 'consensus'], ['R3', 'consensus']]
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
    "PAIRWISE",
    "RATER_SET",
    "HIDDEN",
    "shown",
    "multi_reader_datasets",
    "by_finding",
    "pairs",
    "all_readers",
    "heatmap_method",
    "reader_vs_consensus",
]

#: Coefficients of a pair of readers, in the order the chapter shows them.
PAIRWISE: tuple[str, ...] = ("cohen_kappa", "pabak", "gwet_ac1")
#: Coefficients of all the readers of a dataset together.
RATER_SET: tuple[str, ...] = ("fleiss_kappa", "gwet_ac1", "krippendorff_alpha")
#: Columns the chapter's tables leave out (one value per table, said in the prose or the CSV).
HIDDEN: tuple[str, ...] = ("level", "subgroup", "subgroup_value", "confidence_level", "n_positive")


def shown(table: pd.DataFrame, *, hide: Iterable[str] = HIDDEN) -> pd.DataFrame:
    """``table`` as the chapter shows it: without the ``hide`` columns and the columns that are all missing.

    Examples
    --------
    >>> import pandas as pd
    >>> shown(pd.DataFrame({"level": ["study"], "estimate": [0.7], "reason": [None]})).columns.tolist()
    ['estimate']
    """
    drop = [c for c in table.columns if c in set(hide) or table[c].isna().all()]
    return table.drop(columns=drop)


def multi_reader_datasets(cohort: Cohort) -> list[str]:
    """Datasets with study-level labels from at least two readers (raters other than the consensus)."""
    labels = cohort.tables()["labels"]
    reads = labels[(labels["level"] == "study") & (labels["rater"] != "consensus")]
    n_readers = reads.groupby("dataset", observed=True)["rater"].nunique()
    return [str(d) for d, k in n_readers.items() if k >= 2]


def _has_consensus(cohort: Cohort, datasets: list[str]) -> bool:
    labels = cohort.tables()["labels"]
    sel = (labels["level"] == "study") & labels["dataset"].isin(datasets) & (labels["rater"] == "consensus")
    return bool(sel.any())


def by_finding(settings: SectionInputs) -> pd.DataFrame | None:
    """Every agreement coefficient of every finding, analytic and bootstrap intervals, per dataset.

    The datasets with at least two readers only (None without any); slices and repeated
    studies are clustered by patient (the Cohort brings ``patient_id``); the bootstrap draws
    from the stream ``"agreement/by_finding"``.
    """
    multi = multi_reader_datasets(settings.cohort)
    if not multi:
        return None
    return st.agreement(settings.cohort.select(multi), interval=["analytic", "bootstrap"],
                        n_resamples=settings.n_resamples, confidence_level=settings.confidence_level,
                        rng=settings.rng("agreement/by_finding"))


def _n_raters(table: pd.DataFrame) -> pd.Series:
    return table["raters"].astype(str).str.count(r"\|") + 1


def pairs(table: pd.DataFrame) -> pd.DataFrame:
    """The pairwise rows of :func:`by_finding` with their analytic intervals (Cohen, PABAK, pairwise AC1).

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"metric": ["cohen_kappa", "cohen_kappa", "fleiss_kappa"], "raters": ["A|B", "A|B", "A|B|C"],
    ...                   "method": ["fleiss-cohen-everitt-1969", "bootstrap-percentile", "gwet-2014"]})
    >>> pairs(t)["method"].tolist()
    ['fleiss-cohen-everitt-1969']
    """
    keep = table["metric"].isin(PAIRWISE) & (_n_raters(table) == 2) & ~table["method"].str.contains("bootstrap")
    return table[keep].reset_index(drop=True)


def all_readers(table: pd.DataFrame) -> pd.DataFrame:
    """The rows of :func:`by_finding` on all the readers together (Fleiss, AC1, alpha), every interval."""
    keep = table["metric"].isin(RATER_SET) & (_n_raters(table) > 2)
    return table[keep].reset_index(drop=True)


def heatmap_method(table: pd.DataFrame, dataset: str) -> str:
    """The analytic ``method`` of Cohen's kappa of ``dataset`` (cluster-robust where units share a patient).

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"dataset": ["d", "d"], "metric": ["cohen_kappa"] * 2,
    ...                   "method": ["cluster-robust-linearised", "cluster-bootstrap-percentile"]})
    >>> heatmap_method(t, "d")
    'cluster-robust-linearised'
    """
    mine = table[(table["dataset"] == dataset) & (table["metric"] == "cohen_kappa")]
    if (mine["method"] == "cluster-robust-linearised").any():
        return "cluster-robust-linearised"
    return "fleiss-cohen-everitt-1969"


def reader_vs_consensus(settings: SectionInputs) -> pd.DataFrame | None:
    """Sensitivity, specificity and Cohen's kappa of each reader against the consensus label.

    None without a dataset of several readers that also has a consensus label.
    """
    multi = multi_reader_datasets(settings.cohort)
    if not multi or not _has_consensus(settings.cohort, multi):
        return None
    return st.reader_vs_reference(settings.cohort.select(multi), reference="consensus",
                                  confidence_level=settings.confidence_level)
