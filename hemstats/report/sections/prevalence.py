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
>>> reading(by_dataset(settings)).columns.tolist()
['Finding', 'Positive / n', 'Prevalence (95% CI)']
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import pandas as pd

import hemstats.stats as st
from hemstats.report.chapter import Html, note, show_table
from hemstats.report.display import DECIMALS, display_name
from hemstats.report.format import MISSING, fmt_estimate, fmt_int, fmt_number, fmt_p, fmt_percent

if TYPE_CHECKING:
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
    "reading",
    "notes",
    "differences",
    "overall_shown",
    "pairs_shown",
    "combinations_shown",
    "volumes_shown",
    "show_with_notes",
    "number_columns",
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


# -- the tables as a reader reads them (text cells; numbers in full in each table's CSV) ---------------
def _pct_ci(estimate: Any, low: Any, high: Any) -> str:
    return fmt_estimate(estimate, low, high, digits=DECIMALS["percent"], percent=True)


def _level_header(table: pd.DataFrame, name: str) -> str:
    levels = pd.unique(table["confidence_level"].dropna()) if "confidence_level" in table else []
    return f"{name} ({fmt_number(100 * levels[0], digits=0)}% CI)" if len(levels) == 1 else f"{name} (CI)"


def _findings(table: pd.DataFrame, column: str = "finding") -> list[str]:
    from hemstats.findings import FINDINGS

    seen = list(dict.fromkeys(table[column].astype(str)))
    return [f for f in FINDINGS if f in seen] + [f for f in seen if f not in FINDINGS]


def reading(prev: pd.DataFrame) -> pd.DataFrame:
    """A prevalence table (:func:`by_dataset`, :func:`by_patient`, :func:`by_slice`) as one row per finding.

    One dataset: ``Finding``, ``Positive / n`` and ``Prevalence (95% CI)``.  Several: a column
    per dataset holding ``positive/n: prevalence (CI)`` (``—`` where the dataset does not
    label the finding).  Percentages take the report's decimals; how each interval was
    computed, and any warning, are in :func:`notes`.

    Examples
    --------
    >>> prev = pd.DataFrame({"dataset": ["a", "a", "b"], "finding": ["any", "edh", "any"],
    ...                      "estimate": [0.25, 0.05, 0.5], "ci_low": [0.2, 0.02, 0.4], "ci_high": [0.3, 0.1, 0.6],
    ...                      "n": [100, 100, 50], "n_positive": [25, 5, 25], "confidence_level": [0.95] * 3})
    >>> reading(prev).values.tolist()
    [['Any ICH', '25/100: 25.0% (20.0% to 30.0%)', '25/50: 50.0% (40.0% to 60.0%)'], ['Epidural (EDH)', '5/100: 5.0% (2.0% to 10.0%)', '—']]
    """
    head = _level_header(prev, "Prevalence")
    datasets = list(dict.fromkeys(prev["dataset"].astype(str)))
    rows = []
    for finding in _findings(prev):
        block = prev[prev["finding"].astype(str) == finding]
        row: dict[str, str] = {"Finding": display_name(finding)}
        if len(datasets) == 1:
            r = block.iloc[0]
            row["Positive / n"] = f"{fmt_int(r['n_positive'])}/{fmt_int(r['n'])}"
            row[head] = _pct_ci(r["estimate"], r["ci_low"], r["ci_high"])
        else:
            for d in datasets:
                hit = block[block["dataset"].astype(str) == d]
                if hit.empty:
                    row[d] = MISSING
                    continue
                r = hit.iloc[0]
                row[d] = (
                    f"{fmt_int(r['n_positive'])}/{fmt_int(r['n'])}: {_pct_ci(r['estimate'], r['ci_low'], r['ci_high'])}"
                )
        rows.append(row)
    return pd.DataFrame(rows)


def notes(table: pd.DataFrame) -> list[str]:
    """One sentence per dataset: how its intervals were computed, and its warnings (the ``reason`` column).

    Examples
    --------
    >>> prev = pd.DataFrame({"dataset": ["a", "a"], "method": ["wilson", "wilson"],
    ...                      "n_clusters": [40, 40], "design_effect": [1.0, 1.2], "reason": ["", "few clusters"]})
    >>> notes(prev)
    ['a: wilson interval; 40 clusters; design effect 1.00 to 1.20; few clusters.']
    """
    out = []
    key = "dataset" if "dataset" in table.columns else None
    groups = table.groupby(key, sort=False, observed=True) if key else [("all", table)]
    for name, block in groups:
        parts = []
        if "method" in block:
            methods = [str(m) for m in pd.unique(block["method"].dropna())]
            if methods:
                parts.append(", ".join(methods) + (" interval" if len(methods) == 1 else " intervals"))
        if "n_clusters" in block and block["n_clusters"].notna().any():
            clusters = sorted({int(c) for c in block["n_clusters"].dropna()})
            parts.append(f"{fmt_int(clusters[0])} clusters" if len(clusters) == 1 else
                         f"{fmt_int(clusters[0])} to {fmt_int(clusters[-1])} clusters")  # fmt: skip
        if "design_effect" in block and block["design_effect"].notna().any():
            de = block["design_effect"].dropna()
            lo, hi = fmt_number(de.min(), digits=DECIMALS["ratio"]), fmt_number(de.max(), digits=DECIMALS["ratio"])
            parts.append(f"design effect {lo}" if lo == hi else f"design effect {lo} to {hi}")
        if "reason" in block:
            parts += [str(r) for r in pd.unique(block["reason"].dropna()) if str(r).strip()]
        if parts:
            label = f"{name}: " if key else ""
            out.append(label + "; ".join(parts) + ".")
    return out


def overall_shown(cmp: pd.DataFrame) -> pd.DataFrame:
    """The overall tests of :func:`comparison` as shown: finding, studies, positives, test, statistic, p, p (Holm).

    The warnings of the ``reason`` column are left to :func:`notes`.
    """
    return overall_tests(cmp).drop(columns=["reason"])


def differences(cmp: pd.DataFrame) -> pd.DataFrame:
    """The pairwise rows of :func:`comparison` for reading: one row per finding and pair of datasets.

    Columns: ``Finding``, ``Datasets`` (``a vs b``), ``a``/``b`` as ``positive/n (prevalence)``,
    the difference ``a - b`` with its interval, ``p`` and ``p (Holm)``.

    Examples
    --------
    >>> cmp = pd.DataFrame({"comparison": ["pairwise"], "finding": ["sdh"], "group_a": ["x"], "group_b": ["y"],
    ...                     "n_a": [80], "n_positive_a": [8], "n_b": [60], "n_positive_b": [3], "estimate": [0.05],
    ...                     "ci_low": [-0.04], "ci_high": [0.13], "confidence_level": [0.95],
    ...                     "p_value": [0.3], "p_adjusted": [0.9]})
    >>> differences(cmp).iloc[0].tolist()
    ['Subdural (SDH)', 'x vs y', '8/80 (10.0%)', '3/60 (5.0%)', '5.0% (-4.0% to 13.0%)', '0.300', '0.900']
    """
    rows = cmp[cmp["comparison"] == "pairwise"]
    head = _level_header(rows, "Difference a - b")
    out = []
    for r in rows.to_dict("records"):

        def share(pos: Any, n: Any) -> str:
            if n is None or pd.isna(n) or int(n) == 0:
                return MISSING
            return f"{fmt_int(pos)}/{fmt_int(n)} ({fmt_percent(int(pos) / int(n), digits=DECIMALS['percent'])})"

        out.append({
            "Finding": display_name(r["finding"]),
            "Datasets (a vs b)": f"{r['group_a']} vs {r['group_b']}",
            "a: positive/n": share(r["n_positive_a"], r["n_a"]),
            "b: positive/n": share(r["n_positive_b"], r["n_b"]),
            head: _pct_ci(r["estimate"], r["ci_low"], r["ci_high"]),
            "p": fmt_p(r["p_value"], digits=DECIMALS["p"]),
            "p (Holm)": fmt_p(r["p_adjusted"], digits=DECIMALS["p"]),
        })  # fmt: skip
    columns = ["Finding", "Datasets (a vs b)", "a: positive/n", "b: positive/n", head, "p", "p (Holm)"]
    return pd.DataFrame(out, columns=columns)


def pairs_shown(pairs: pd.DataFrame) -> pd.DataFrame:
    """The co-occurrence table as shown: the pair, its two-by-two counts, studies and the Jaccard index."""
    columns = ["dataset", "finding_a", "finding_b", "both", "only_a", "only_b", "neither", "n", "estimate"]
    out = pairs[[c for c in columns if c in pairs.columns]]
    if out["dataset"].nunique() < 2:
        out = out.drop(columns="dataset")
    return out.rename(columns={"estimate": "jaccard"})


def combinations_shown(combos: pd.DataFrame) -> pd.DataFrame:
    """The combinations table as shown: subtypes in capitals (``SAH + IVH``), count and share of studies."""
    out = combos.drop(columns=[c for c in ("findings", "level", "unit", "rater", "subgroup", "subgroup_value",
                                            "metric", "confidence_level") if c in combos.columns])  # fmt: skip
    out = shown(out)
    out = out.assign(combination=[str(c).upper().replace("+", " + ") for c in out["combination"]])
    if "dataset" in out and out["dataset"].nunique() < 2:
        out = out.drop(columns="dataset")
    return out


def volumes_shown(volumes: pd.DataFrame) -> pd.DataFrame:
    """Lesion volumes as one row per dataset and finding: lesions, mean (SD), median [Q1, Q3] and range, mL.

    Examples
    --------
    >>> v = pd.DataFrame({"dataset": ["d"] * 7, "finding": ["sdh"] * 7, "n": [4] * 7,
    ...                   "metric": ["mean", "sd", "median", "q1", "q3", "min", "max"],
    ...                   "estimate": [10.0, 2.5, 9.0, 8.0, 12.0, 7.5, 14.25]})
    >>> volumes_shown(v).iloc[0].tolist()
    ['Subdural (SDH)', '4', '10.0 (2.5)', '9.0 [8.0, 12.0]', '7.5 to 14.2']
    """
    d = DECIMALS["volume"]
    datasets = list(dict.fromkeys(volumes["dataset"].astype(str)))
    rows = []
    for (dataset, finding), block in volumes.groupby(["dataset", "finding"], sort=False, observed=True):
        m = dict(zip(block["metric"].astype(str), block["estimate"], strict=False))

        def num(key: str, m: dict[str, Any] = m) -> str:
            return fmt_number(m.get(key), digits=d)

        row = {"Dataset": str(dataset)} if len(datasets) > 1 else {}
        row.update({
            "Finding": display_name(finding),
            "Lesions, n": fmt_int(block["n"].max()),
            "Mean (SD), mL": f"{num('mean')} ({num('sd')})",
            "Median [Q1, Q3], mL": f"{num('median')} [{num('q1')}, {num('q3')}]",
            "Range, mL": f"{num('min')} to {num('max')}",
        })  # fmt: skip
        rows.append(row)
    return pd.DataFrame(rows)


def show_with_notes(
    table: pd.DataFrame, full: pd.DataFrame, csv: str, *, caption: str | None = None, save: bool = True
) -> Html:
    """Save ``full`` as ``csv`` (unless ``save`` is False) and show ``table`` (text cells, final headers) linked to
    it, then the :func:`notes` of ``full``.

    The columns of :func:`number_columns` are right-aligned.
    """
    shown_table = show_table(table, names=False, labels=False, numbers=number_columns(table),
                             csv=csv, save=full if save else False, caption=caption)  # fmt: skip
    lines = [note(line) for line in notes(full)]
    return Html(shown_table.html + "".join(n.html for n in lines), "\n".join([shown_table.text, *map(str, lines)]))


#: Text columns of the reading tables (the others hold numbers written as text).
TEXT_COLUMNS: frozenset[str] = frozenset({"Finding", "Dataset", "Datasets (a vs b)"})


def number_columns(table: pd.DataFrame) -> list[str]:
    """The columns of a reading table (:func:`reading`, :func:`differences`, :func:`volumes_shown`) holding numbers.

    Examples
    --------
    >>> number_columns(pd.DataFrame(columns=["Dataset", "Finding", "Lesions, n", "Range, mL"]))
    ['Lesions, n', 'Range, mL']
    """
    return [str(c) for c in table.columns if c not in TEXT_COLUMNS]
