"""The Methods and validation chapter's tables: shipped coverage tables, shaped for reading.

The coverage tables are precomputed (:mod:`hemstats.report.validation`); these functions
read them and build what the chapter shows: the runs' metadata, each family's coverage by
cell, the clustered defaults against the same statistic ignoring clustering, and the
reference checks.  None draws a random number.

Examples
--------
>>> from hemstats.report.context import ReportContext
>>> ctx = ReportContext.example("/tmp/site")
>>> metadata(ctx)["table"].tolist()[:2]
['proportion_coverage', 'kappa_coverage']
>>> wide = by_cell(coverage("proportion_coverage"), value="exact_coverage")
>>> wide.columns[:2].tolist()
['method', 'n=30, p=0.02']
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

import hemstats
from hemstats.report.format import fmt_int, fmt_percent
from hemstats.report.sections import SectionInputs
from hemstats.report.validation import coverage_metadata, coverage_table, reference_checks

__all__ = [
    "metadata",
    "metadata_note",
    "coverage",
    "by_cell",
    "kappa_note",
    "auc_note",
    "slice_coverage",
    "operating_point_coverage",
    "heterogeneity",
    "references",
]

#: Operating-point metrics resampled within each class by default (the others resample the cohort).
STRATIFIED_METRICS = frozenset({"sensitivity", "specificity"})


def metadata(ctx: SectionInputs | None = None) -> pd.DataFrame:
    """How the shipped coverage tables were made: one row per table (seed, sizes, run time, versions)."""
    return coverage_metadata()


def metadata_note(ctx: SectionInputs, meta: pd.DataFrame) -> str:
    """Which hemstats computed the tables, against the one building the report, and their level."""
    versions = sorted(set(meta["hemstats_version"]))
    note = (
        f"The tables were computed with hemstats {', '.join(versions)}; this report was built with "
        f"hemstats {hemstats.__version__}."
    )
    if versions != [hemstats.__version__]:
        note += " Rerun the command below to refresh them for this version."
    return note + f" They use a 95% level, whatever the level of this report ({fmt_int(100 * ctx.confidence_level)}%)."


def coverage(name: str) -> pd.DataFrame:
    """The shipped coverage table ``name`` in the chapter's words (see :data:`~hemstats.report.validation.COVERAGE_TABLES`).

    A coverage function that returns a long result table (``metric`` ``coverage`` or
    ``rejection-rate``, the Monte Carlo estimate in ``estimate`` with its Wilson interval) is
    shown with that estimate as ``coverage`` (or ``rejection_rate``), the interval (or test)
    under study as ``method`` and the simulated sample size as ``n``; the columns of the
    result vocabulary that hold nothing here are dropped.  Other tables are returned as shipped.
    """
    return shown(coverage_table(name))


def shown(table: pd.DataFrame) -> pd.DataFrame:
    """A coverage table in the chapter's words; see :func:`coverage`."""
    kinds = {"coverage": "coverage", "rejection-rate": "rejection_rate"}
    if not {"metric", "estimate"} <= set(table.columns) or not table["metric"].astype(str).isin(kinds).all():
        return table
    t = table.drop(columns=[c for c in table.columns if table[c].isna().all()])
    value = kinds[str(table["metric"].iloc[0])]
    under_study = "interval" if "interval" in t.columns else "test_method" if "test_method" in t.columns else None
    t = t.drop(columns=["metric", "method", "n", "ci_low", "ci_high", "n_positive"], errors="ignore")
    t = t.rename(columns={"estimate": value, "sample_size": "n"})
    if under_study is not None:
        t = t.rename(columns={under_study: "method"})
    if "statistic" in t.columns and t["statistic"].nunique() > 1:
        t = t.rename(columns={"statistic": "metric"})
    return t


def by_cell(
    table: pd.DataFrame, *, value: str = "coverage", columns: Sequence[str] = ("n", "prevalence"),
    index: Sequence[str] = ("method",),
) -> pd.DataFrame:
    """``value`` of each method (rows) in each cell of the grid (columns ``"n=.., p=.."``), for display."""
    t = table.copy()
    t["cell"] = [f"n={n}, p={p:g}" for n, p in zip(t[columns[0]], t[columns[1]], strict=True)]
    order = list(dict.fromkeys(t["cell"]))
    wide = t.pivot_table(index=list(index), columns="cell", values=value, sort=False)
    return wide.reindex(columns=order).reset_index().rename_axis(columns=None)


def kappa_note(table: pd.DataFrame) -> str:
    """The lowest coverage of the kappa and AC1 intervals (null-variance interval aside) and the range at the largest n."""
    usable = table[~table["method"].astype(str).str.replace("_", "-").str.startswith("fleiss-nee-landis")]
    worst = usable.loc[usable["coverage"].idxmin()]
    large = usable[usable["n"] == usable["n"].max()]
    return (
        f"Apart from the Fleiss-Nee-Landis interval, the lowest coverage is {fmt_percent(worst.coverage)} "
        f"({_name(worst)}, {fmt_int(worst.n)} studies, prevalence {fmt_percent(worst.prevalence)}): with a rare "
        f"finding and few studies, no kappa interval can be trusted. With {fmt_int(large['n'].iloc[0])} studies the "
        f"coverage lies between {fmt_percent(large['coverage'].min())} and {fmt_percent(large['coverage'].max())}."
    )


def _name(row: pd.Series) -> str:
    """``"<metric>, <method>"`` of a coverage row (the method alone in tables without a metric)."""
    return f"{row['metric']}, {row['method']}" if "metric" in row.index else str(row["method"])


def auc_note(independent: pd.DataFrame, clustered: pd.DataFrame) -> str:
    """The lowest AUC coverage with independent cases, and the clustered designs side by side."""
    small = independent.loc[independent["coverage"].idxmin()]
    n_cases = max(2, round(small.n * small.prevalence))
    methods = clustered["method"].astype(str)
    patients = clustered.loc[methods.str.contains("cluster"), "coverage"]
    delong = clustered.loc[methods.str.contains("delong"), "coverage"]
    rows = clustered.loc[~methods.str.contains("cluster|delong"), "coverage"]
    return (
        f"The lowest coverage of independent cases, {fmt_percent(small.coverage)} ({small.method}), is at "
        f"{fmt_int(small.n)} cases of which {fmt_int(n_cases)} are positive: with so few positive cases an AUC "
        f"interval says little. With clustered slices, the patient bootstrap covers "
        f"{fmt_percent(patients.iloc[0])}, the row bootstrap {fmt_percent(rows.iloc[0])} "
        f"and DeLong {fmt_percent(delong.iloc[0])}."
    )


def slice_coverage(ctx: SectionInputs | None = None) -> pd.DataFrame:
    """Slice-level defaults (clustered by patient) against the same statistic with independent rows.

    Returns
    -------
    pandas.DataFrame
        ``statistic, icc, method, coverage, mc_se, ignoring clustering``: prevalence (cluster logit
        against Wilson on slices), then each agreement measure.
    """
    prevalence = coverage_table("slice_prevalence_coverage")
    agreement = coverage_table("slice_agreement_coverage")
    rows = []
    for icc, part in prevalence.groupby("icc", sort=True):
        by_method = part.set_index("method")
        rows.append({"statistic": "prevalence", "icc": icc, "method": "cluster-logit",
                     "coverage": by_method.loc["cluster-logit", "coverage"],
                     "mc_se": by_method.loc["cluster-logit", "mc_se"],
                     "ignoring clustering": by_method.loc["wilson-independent-rows", "coverage"]})
    measure_column = "measure" if "measure" in agreement.columns else "metric"
    for (measure, icc), part in agreement.groupby([measure_column, "icc"], sort=False):
        default = part[part["method"] != "independent-rows"].iloc[0]
        naive = part[part["method"] == "independent-rows"].iloc[0]
        rows.append({"statistic": measure, "icc": icc, "method": default["method"],
                     "coverage": default["coverage"], "mc_se": default["mc_se"],
                     "ignoring clustering": naive["coverage"]})
    return pd.DataFrame(rows, columns=["statistic", "icc", "method", "coverage", "mc_se", "ignoring clustering"])


def operating_point_coverage(ctx: SectionInputs | None = None) -> pd.DataFrame:
    """Each operating-point metric: its default resampling design's coverage and the other design's.

    Returns
    -------
    pandas.DataFrame
        ``metric, resampling (default), coverage, mc_se, other design``.
    """
    op = coverage("operating_point_coverage")
    rows = []
    for metric, part in op.groupby("metric", sort=False):
        by_method = part.set_index("method")
        stratified = metric in STRATIFIED_METRICS
        default = "stratified-bootstrap-percentile" if stratified else "bootstrap-percentile"
        other = "bootstrap-percentile" if stratified else "stratified-bootstrap-percentile"
        rows.append({"metric": metric, "resampling (default)": "within class" if stratified else "cohort",
                     "coverage": by_method.loc[default, "coverage"], "mc_se": by_method.loc[default, "mc_se"],
                     "other design": by_method.loc[other, "coverage"]})
    return pd.DataFrame(rows, columns=["metric", "resampling (default)", "coverage", "mc_se", "other design"])


def heterogeneity(ctx: SectionInputs | None = None) -> pd.DataFrame:
    """Type-I error of the heterogeneity tests: the clustered default against ignoring clustering.

    Returns
    -------
    pandas.DataFrame
        ``test, method, rejection rate, mc_se, ignoring clustering``.
    """
    het = coverage("heterogeneity_type1_error")
    rows = []
    for test, part in het.groupby("test", sort=False):
        naive = part["method"].astype(str).str.contains("independent")
        clustered_row, naive_row = part[~naive].iloc[0], part[naive].iloc[0]
        rows.append({"test": test, "method": clustered_row["method"],
                     "rejection rate": clustered_row["rejection_rate"], "mc_se": clustered_row["mc_se"],
                     "ignoring clustering": naive_row["rejection_rate"]})
    return pd.DataFrame(rows, columns=["test", "method", "rejection rate", "mc_se", "ignoring clustering"])


def references(ctx: SectionInputs | None = None) -> pd.DataFrame:
    """Which independent implementation each estimator is checked against
    (:func:`hemstats.report.validation.reference_checks`)."""
    return reference_checks()
