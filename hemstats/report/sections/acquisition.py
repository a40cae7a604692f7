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

import pandas as pd

import hemstats.acquisition as acq
from hemstats.report.display import decimals, display_name
from hemstats.report.format import MISSING, fmt_int, fmt_number, fmt_p
from hemstats.report.sections.views import (
    View,
    estimate_cell,
    joined_reasons,
    level_text,
    methods_by_metric,
    view,
    wide_estimates,
)
from hemstats.stats.acquisition.effects import acquisition_effects
from hemstats.stats.acquisition.heterogeneity import heterogeneity
from hemstats.stats.acquisition.mix import acquisition_distribution, acquisition_mix

if TYPE_CHECKING:
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
    "TEST_NAMES",
    "mix_view",
    "distribution_view",
    "associations_view",
    "odds_ratios_view",
    "kernel_tests_view",
    "kernel_strata_view",
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


# --------------------------------------------------------------------------------------------
# displayed tables
# --------------------------------------------------------------------------------------------
def _value(v: object) -> str:
    """A vocabulary value as shown: missing as *not recorded*, ``<=`` as ``≤``."""
    if v is None or v is pd.NA or (isinstance(v, float) and pd.isna(v)):
        return "not recorded"
    return str(v).replace("<=", "≤ ").replace(">=", "≥ ")


def mix_view(table: pd.DataFrame) -> View:
    """The acquisition mix as the chapter shows it: one row per dataset and combination of vendor, scanner
    model, kernel family and slice-thickness bin; its studies and their share of the dataset's.

    Examples
    --------
    >>> t = pd.DataFrame({"dataset": "d", "vendor": ["GE", None], "scanner_model": ["X", None],
    ...                   "kernel_family": ["soft", None], "thickness_bin": ["<=1.5", None],
    ...                   "estimate": [0.75, 0.25], "n_positive": [3, 1], "n": [4, 4]})
    >>> v = mix_view(t)
    >>> v.frame.values.tolist()
    [['GE', 'X', 'soft', '≤ 1.5', '3 (75.0)'], ['not recorded', 'not recorded', 'not recorded', 'not recorded', '1 (25.0)']]
    >>> v.caption
    'd: 4 studies; studies, n (% of the dataset)'
    """
    cols = ["vendor", "scanner_model", "kernel_family", "thickness_bin"]
    frame = table[["dataset"]].astype(object).copy()
    for col in cols:
        frame[col] = [_value(v) for v in table[col]]
    frame["thickness_bin"] = frame["thickness_bin"]
    frame["Studies, n (%)"] = [f"{fmt_int(k)} ({fmt_number(100 * float(s), digits=decimals('percent'))})"
                               for k, s in zip(table["n_positive"], table["estimate"], strict=True)]
    totals = table.drop_duplicates(subset="dataset")
    size = "; ".join(f"{fmt_int(n)} studies" for n in totals["n"]) if len(totals) == 1 else ""
    caption = f"{size}; studies, n (% of the dataset)" if size else "Studies, n (% of the dataset)"
    out = view(frame, caption=caption)
    frame = out.frame.rename(columns={"Slice thickness": "Slice thickness, mm"})
    return View(frame, out.caption, out.notes, out.general)


def distribution_view(table: pd.DataFrame) -> View:
    """kVp, tube current and slice thickness as the chapter shows them: one row per dataset and variable,
    mean (SD), median (Q1 to Q3), range, studies with a value and without.

    Examples
    --------
    >>> t = pd.DataFrame({"dataset": "d", "variable": "kvp", "metric": ["mean", "sd", "median", "q1", "q3", "min", "max"],
    ...                   "estimate": [120.0, 9.2, 120, 120, 120, 100, 140], "n": 30, "n_missing": 2})
    >>> distribution_view(t).frame.values.tolist()
    [['Tube voltage, kVp', '120.00 (9.20)', '120.00 (120.00 to 120.00)', '100.00 to 140.00', '30 (2)']]
    """
    keys = ["dataset", "variable"]
    digits = decimals("number")
    rows = []
    for key, part in table.groupby(keys, observed=True, sort=False):
        v = dict(zip(part["metric"].astype(str), part["estimate"], strict=True))

        def num(m: str, v: dict[str, object] = v) -> str:
            return fmt_number(v.get(m), digits=digits)

        rows.append({"dataset": key[0], "variable": display_name(key[1]),
                     "Mean (SD)": f"{num('mean')} ({num('sd')})",
                     "Median (Q1 to Q3)": f"{num('median')} ({num('q1')} to {num('q3')})",
                     "Range": f"{num('min')} to {num('max')}",
                     "Studies (missing), n": f"{fmt_int(part['n'].iloc[0])} ({fmt_int(part['n_missing'].iloc[0])})"})
    return view(pd.DataFrame(rows), caption="Tube voltage, tube current and slice thickness")


def _term(term: object) -> str:
    """A GEE term as shown: ``vendor: Philips vs GE`` -> ``Vendor: Philips vs GE``, ``kvp (per 10 kV)`` ->
    ``Tube voltage (per 10 kV)``."""
    if term is None or term is pd.NA or (isinstance(term, float) and pd.isna(term)):
        return MISSING
    text = str(term)
    for sep in (": ", " (per"):
        if sep in text:
            code, rest = text.split(sep, 1)
            name = display_name(code)
            if sep == " (per":
                name = name.split(",")[0]
            return f"{name}{sep}{_value(rest) if sep == ': ' else rest}"
    return display_name(text)


def _test(test: object, statistic: object, df: object) -> str:
    """``χ²(2) = 0.62``, ``Fisher``, ``Wald χ²(4) = 6.08``; missing without a statistic."""
    if str(test) == "fisher":
        return "Fisher's exact"
    if statistic is None or pd.isna(statistic):
        return MISSING
    dof = f"({fmt_int(df)})" if df is not None and not pd.isna(df) else ""
    return f"χ²{dof} = {fmt_number(statistic, digits=decimals('statistic'))}"


def _p(values: pd.Series) -> list[str]:
    return [fmt_p(v, digits=decimals("p")) for v in values]


def associations_view(table: pd.DataFrame) -> View:
    """The association rows of :func:`effects` as the chapter shows them: one row per dataset, finding and
    variable; Cramer's V (CI), the test, p and Holm-adjusted p; the notes numbered under the table."""
    rows = table[table["analysis"] == "association"]
    frame = rows[["dataset", "finding"]].astype(object).assign(
        variable=[display_name(v) for v in rows["variable"]],
        **{"Cramér's V": [estimate_cell(e, lo, hi, "cramers-v") for e, lo, hi in zip(
            rows["estimate"], rows["ci_low"], rows["ci_high"], strict=True)],
           "Test": [_test(t, s, d) for t, s, d in zip(rows["test"], rows["statistic"], rows["df"], strict=True)],
           "p": _p(rows["p_value"]), "p (Holm)": _p(rows["p_adjusted"])})
    sizes = pd.unique(rows["n"])
    caption = f"Estimate ({level_text(rows)})"
    if len(sizes) == 1:
        caption += f"; {fmt_int(sizes[0])} studies"
    else:
        frame["Studies, n"] = [fmt_int(n) for n in rows["n"]]
    return view(frame, caption=caption, reasons=list(rows["reason"]))


def odds_ratios_view(table: pd.DataFrame) -> View:
    """The GEE rows of :func:`effects` as the chapter shows them: one row per dataset, finding and term with
    its odds ratio (CI), p and Holm-adjusted p; a finding whose model gave no odds ratio has one row saying why."""
    rows = table[table["analysis"] == "gee"]
    fitted = rows.groupby(["dataset", "finding"], observed=True, sort=False)["estimate"].transform(
        lambda e: e.notna().any()).astype(bool)
    rows = pd.concat([rows[fitted], rows[~fitted].drop_duplicates(subset=["dataset", "finding"]).assign(term=pd.NA)])
    order = {f: i for i, f in enumerate(pd.unique(table["finding"].astype(str)))}
    rows = rows.assign(_o=rows["finding"].astype(str).map(order)).sort_values(["dataset", "_o"], kind="stable")
    frame = rows[["dataset", "finding"]].astype(object).assign(
        Term=[_term(t) for t in rows["term"]],
        **{"Odds ratio": [estimate_cell(e, lo, hi, "odds-ratio") for e, lo, hi in zip(
            rows["estimate"], rows["ci_low"], rows["ci_high"], strict=True)],
           "p": _p(rows["p_value"]), "p (Holm)": _p(rows["p_adjusted"]),
           "Positive / studies, n": [f"{fmt_int(p)} / {fmt_int(n)}" for p, n in zip(rows["n_positive"], rows["n"],
                                                                                     strict=True)]})
    return view(frame, caption=f"Estimate ({level_text(rows)}); {methods_by_metric(rows)}", reasons=list(rows["reason"]))


#: How the chapter names the heterogeneity tests (by ``method``).
TEST_NAMES: dict[str, str] = {
    "q-test-clustered-delong": "Equal AUCs (clustered DeLong)",
    "gee-wald-sandwich": "Equal sensitivity, specificity (GEE)",
}


def kernel_tests_view(table: pd.DataFrame) -> View:
    """The heterogeneity rows of :func:`by_kernel` as the chapter shows them: one row per dataset, finding,
    model and test; its statistic, p and Holm-adjusted p; the notes numbered under the table."""
    rows = table[table["kind"] == "heterogeneity"]
    frame = rows[["dataset", "finding", "model"]].astype(object).assign(
        Test=[TEST_NAMES.get(str(m), str(m)) for m in rows["method"]],
        Statistic=[_test("wald", s, d) for s, d in zip(rows["statistic"], rows["df"], strict=True)],
        p=_p(rows["p_value"]), **{"p (Holm)": _p(rows["p_adjusted"])})
    if frame["model"].nunique() == 1:
        frame = frame.drop(columns="model")
    return view(frame, caption="Does performance differ between kernel families?", reasons=list(rows["reason"]))


def kernel_strata_view(table: pd.DataFrame) -> View:
    """The per-stratum rows of :func:`by_kernel` as the chapter shows them: one row per dataset, finding,
    model and kernel family with its AUC, sensitivity and specificity (each with its interval)."""
    rows = table[table["kind"] == "stratum"].assign(
        subgroup_value=lambda t: [_value(v) for v in t["subgroup_value"]])
    keys = ["dataset", "finding", "model", "subgroup_value"]
    frame = wide_estimates(rows, keys, ["auc", "sensitivity", "specificity"])
    auc_rows = rows[rows["metric"] == "auc"]
    counts = auc_rows[keys].astype(object).assign(**{"Positive / studies, n": [
        f"{fmt_int(p)} / {fmt_int(n)}" for p, n in zip(auc_rows["n_positive"], auc_rows["n"], strict=True)]})
    frame = frame.merge(counts, on=keys, how="left")
    frame = frame.astype(object).where(frame.notna(), MISSING)
    thresholds = pd.unique(rows["threshold"].dropna())
    at = f"; sensitivity and specificity at a score ≥ {fmt_number(thresholds[0], digits=2)}" if len(
        thresholds) == 1 else ""
    reasons = joined_reasons(rows, keys, frame)
    frame = frame.rename(columns={"subgroup_value": "Kernel family"})
    if frame["model"].nunique() == 1:
        frame = frame.drop(columns="model")
    return view(frame, caption=f"Estimate ({level_text(rows)}){at}; {methods_by_metric(rows)}", reasons=reasons)
