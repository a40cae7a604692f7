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

import pandas as pd

import hemstats.stats as st
from hemstats.report.display import display_name
from hemstats.report.format import MISSING, fmt_int
from hemstats.report.sections.views import (
    View,
    estimate_cell,
    joined_reasons,
    level_text,
    methods_by_metric,
    view,
    wide_estimates,
)

if TYPE_CHECKING:

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
    "pairs_view",
    "all_readers_view",
    "reader_view",
]

#: Coefficients of a pair of readers, in the order the chapter shows them.
PAIRWISE: tuple[str, ...] = ("cohen_kappa", "pabak", "gwet_ac1")
#: Coefficients of all the readers of a dataset together.
RATER_SET: tuple[str, ...] = ("fleiss_kappa", "gwet_ac1", "krippendorff_alpha")
#: Columns the chapter's tables leave out (one value per table, said in the prose or the CSV).
HIDDEN: tuple[str, ...] = ("level", "subgroup", "subgroup_value", "confidence_level", "n_positive")
#: The note of a coefficient without an analytic interval (Krippendorff's alpha).
NO_ANALYTIC = "no analytic interval: use interval='bootstrap'"


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


def _readers(raters: object) -> str:
    """``R1|R2`` as ``R1 vs R2``."""
    return " vs ".join(str(raters).split("|"))


def _studies(table: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """``Studies (patients), n`` of each ``keys`` group: the largest ``n`` and its ``n_clusters``."""
    first = table.sort_values("n", ascending=False, kind="stable").drop_duplicates(subset=keys)
    clustered = bool((first["n_clusters"].fillna(first["n"]) < first["n"]).any())
    if clustered:
        head = "Studies (patients), n"
        cells = [f"{fmt_int(n)} ({fmt_int(c)})" for n, c in zip(first["n"], first["n_clusters"], strict=True)]
    else:
        head, cells = "Studies, n", [fmt_int(n) for n in first["n"]]
    return first[keys].astype(object).assign(**{head: cells})


def _constant_studies(v: View) -> View:
    """The studies column moved into the caption when every row has the same count."""
    for col in ("Studies (patients), n", "Studies, n"):
        if col in v.frame.columns and v.frame[col].nunique() == 1 and len(v.frame) > 1:
            count = str(v.frame[col].iloc[0])
            text = count.replace(" (", " studies (").replace(")", " patients)") if "(" in count else f"{count} studies"
            return View(v.frame.drop(columns=col), f"{v.caption}; {text}", v.notes, v.general,
                        tuple(c for c in v.numbers if c != col))
    return v


def pairs_view(table: pd.DataFrame) -> View:
    """The pairs of readers as the chapter shows them: one row per dataset, finding and pair, Cohen's
    kappa, PABAK and Gwet's AC1 each with its analytic interval.

    Examples
    --------
    >>> from hemstats.datasets import demo
    >>> from hemstats.report.sections import Settings
    >>> v = pairs_view(by_finding(Settings(demo.load(n_studies=60), n_resamples=20, seed=1)))
    >>> v.frame.columns.tolist()
    ['Finding', 'Readers', "Cohen's kappa", 'PABAK', "Gwet's AC1"]
    >>> v.caption.split("; ")[-1]
    '60 studies (55 patients)'
    >>> v.frame["Readers"].iloc[0]
    'R1 vs R2'
    """
    rows = pairs(table)
    keys = ["dataset", "finding", "raters"]
    frame = wide_estimates(rows, keys, list(PAIRWISE)).merge(_studies(rows, keys), on=keys, how="left")
    frame["raters"] = [_readers(r) for r in frame["raters"]]
    return _constant_studies(view(
        frame, caption=f"Estimate ({level_text(rows)}), analytic intervals ({methods_by_metric(rows)})",
        reasons=joined_reasons(rows, keys, frame)))


def all_readers_view(table: pd.DataFrame) -> View:
    """All readers together as the chapter shows them: one row per dataset, finding and coefficient; the
    estimate, its analytic and its bootstrap interval."""
    rows = all_readers(table)
    order = {m: i for i, m in enumerate(RATER_SET)}
    findings = {f: i for i, f in enumerate(pd.unique(rows["finding"].astype(str)))}
    rows = rows.assign(_f=rows["finding"].astype(str).map(findings), _m=rows["metric"].astype(str).map(order))
    rows = rows.sort_values(["dataset", "_f", "_m"], kind="stable").drop(columns=["_f", "_m"])
    rows = rows.assign(reason=rows["reason"].replace(NO_ANALYTIC, "no analytic interval (the bootstrap interval is beside it)"))
    keys = ["dataset", "finding", "metric"]
    level = level_text(rows)
    boot = rows["method"].astype(str).str.contains("bootstrap")

    def interval(part: pd.DataFrame, name: str) -> pd.DataFrame:
        cells = [estimate_cell(lo, None, None, m) + " to " + estimate_cell(hi, None, None, m)
                 if pd.notna(lo) and pd.notna(hi) else MISSING
                 for lo, hi, m in zip(part["ci_low"], part["ci_high"], part["metric"], strict=True)]
        return part[keys].astype(object).assign(**{name: cells})

    first = rows.drop_duplicates(subset=keys)
    frame = first[keys].astype(object).assign(
        Estimate=[estimate_cell(e, None, None, m) for e, m in zip(first["estimate"], first["metric"], strict=True)])
    frame = frame.merge(interval(rows[~boot], f"{level}, analytic"), on=keys, how="left")
    frame = frame.merge(interval(rows[boot], f"{level}, bootstrap"), on=keys, how="left")
    frame = frame.merge(_studies(rows, keys), on=keys, how="left")
    frame = frame.astype(object).where(frame.notna(), MISSING)
    methods = ", ".join(m for m in pd.unique(rows["method"].astype(str)) if m != "none")
    return _constant_studies(view(frame, caption=f"All readers together ({methods})",
                                  reasons=joined_reasons(rows, keys, frame)))


def reader_view(vs: pd.DataFrame) -> View:
    """Each reader against the consensus as the chapter shows it: one row per dataset, finding and reader,
    sensitivity, specificity and Cohen's kappa each with its interval.

    Findings without a single reference-positive or reference-negative study in a dataset have no row;
    the caption says how many were left out and which.

    Examples
    --------
    >>> from hemstats.datasets import demo
    >>> from hemstats.report.sections import Settings
    >>> v = reader_view(reader_vs_consensus(Settings(demo.load(n_studies=60))))
    >>> v.frame.columns.tolist()[:6]
    ['Finding', 'Reader', 'Sensitivity, %', 'Specificity, %', "Cohen's kappa", 'Positive / negative, n']
    """
    keys = ["dataset", "finding", "rater"]
    has = vs.groupby(["dataset", "finding"], observed=True, sort=False)["n"].transform(lambda n: (n.fillna(0) > 0).any())
    kept = vs[has.astype(bool)]
    empty = vs[~has.astype(bool)].drop_duplicates(subset=["dataset", "finding"])
    frame = wide_estimates(kept, keys, ["sensitivity", "specificity", "cohen_kappa"])
    counts = {}
    for key, part in kept.groupby(keys, observed=True, sort=False):
        n = dict(zip(part["metric"].astype(str), part["n"], strict=True))
        counts[tuple(str(k) for k in key)] = f"{fmt_int(n.get('sensitivity'))} / {fmt_int(n.get('specificity'))}"
    frame["Positive / negative, n"] = [counts.get(tuple(str(v) for v in row), MISSING)
                                       for row in frame[keys].itertuples(index=False)]
    caption = f"Estimate ({level_text(vs)}) against the consensus ({methods_by_metric(kept)})"
    if len(empty):
        several = vs["dataset"].nunique() > 1
        names = ", ".join((f"{d} " if several else "") + display_name(f)
                          for d, f in zip(empty["dataset"].astype(str), empty["finding"].astype(str), strict=True))
        caption += f"; {len(empty)} finding(s) with no consensus-positive or -negative study left out: {names}"
    return view(frame, caption=caption, reasons=joined_reasons(kept, keys, frame))
