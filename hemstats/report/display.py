"""How the report names and rounds things: the one place for display names and decimals.

Result tables keep their codes (``age_years``, ``n_positive``, ``edh``, ``cohen_kappa``) and
full precision; the report shows them through this module:

- :data:`DISPLAY_NAMES` maps a column, finding or metric code to the name a reader sees, with
  its unit (``age_years`` -> ``Age, years``).  :func:`display_name` falls back to the code.
- :data:`DECIMALS` sets the decimals of each *kind* of number once; :data:`COLUMN_KINDS` and
  :data:`METRIC_KINDS` say which kind a column, or a row's ``metric``, is.  Counts (``count``
  kind) are printed as integers.

:func:`hemstats.report.format.format_table` and :func:`hemstats.report.chapter.show_table` use
them by default; their explicit ``digits=``/``percent=``/``rename=`` arguments still win.

Examples
--------
>>> display_name("age_years"), display_name("edh"), display_name("p_value_holm")
('Age, years', 'Epidural (EDH)', 'p (Holm)')
>>> display_name("my_column")
'my_column'
>>> column_kind("n_positive"), column_kind("p_adjusted"), column_kind("estimate")
('count', 'p', None)
>>> metric_kind("sensitivity"), metric_kind("cohen_kappa"), metric_kind("unknown")
('percent', 'estimate', None)
>>> DECIMALS["percent"], DECIMALS["p"]
(1, 3)
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

__all__ = [
    "DISPLAY_NAMES",
    "DECIMALS",
    "COLUMN_KINDS",
    "METRIC_KINDS",
    "COUNT_COLUMNS",
    "P_COLUMNS",
    "VALUE_COLUMNS",
    "display_name",
    "column_kind",
    "metric_kind",
    "decimals",
]

_NAMES: dict[str, str] = {
    # result vocabulary ----------------------------------------------------------------------------
    "dataset": "Dataset",
    "level": "Level",
    "unit": "Unit",
    "finding": "Finding",
    "finding_a": "Finding A",
    "finding_b": "Finding B",
    "subgroup": "Subgroup",
    "subgroup_value": "Subgroup value",
    "group": "Group",
    "group_a": "Group A",
    "group_b": "Group B",
    "dataset_a": "Dataset A",
    "dataset_b": "Dataset B",
    "metric": "Metric",
    "estimate": "Estimate",
    "ci_low": "CI lower",
    "ci_high": "CI upper",
    "se": "SE",
    "sd": "SD",
    "n": "n",
    "n_positive": "Positive, n",
    "n_negative": "Negative, n",
    "n_missing": "Missing, n",
    "n_clusters": "Clusters, n",
    "n_patients": "Patients, n",
    "n_studies": "Studies, n",
    "n_slices": "Slices, n",
    "n_resamples": "Resamples, n",
    "n_failed_resamples": "Failed resamples, n",
    "n_simulations": "Simulations, n",
    "n_strata": "Strata, n",
    "n_zero": "Zero, n",
    "n_a": "n (A)",
    "n_b": "n (B)",
    "n_positive_a": "Positive (A), n",
    "n_positive_b": "Positive (B), n",
    "both": "Both, n",
    "only_a": "Only A, n",
    "only_b": "Only B, n",
    "neither": "Neither, n",
    "degree": "Subtypes, n",
    "count": "Count",
    "method": "Method",
    "confidence_level": "Confidence level",
    "reason": "Note",
    "design_effect": "Design effect",
    "proportion": "Proportion",
    "prevalence": "Prevalence",
    "share": "Share",
    # tests and multiplicity ----------------------------------------------------------------------
    "comparison": "Comparison",
    "test": "Test",
    "statistic": "Statistic",
    "df": "df",
    "p_value": "p",
    "p_adjusted": "p (Holm)",
    "p_value_holm": "p (Holm)",
    "p_holm": "p (Holm)",
    "smd": "SMD",
    # Table 1 -------------------------------------------------------------------------------------
    "variable": "Variable",
    "category": "Category",
    # study descriptors ---------------------------------------------------------------------------
    "age_years": "Age, years",
    "sex": "Sex",
    "split": "Split",
    "site": "Site",
    "batch": "Batch",
    "manufacturer": "Manufacturer",
    "vendor": "Vendor",
    "scanner_model": "Scanner model",
    "kernel": "Kernel",
    "kernel_family": "Kernel family",
    "slice_thickness_mm": "Slice thickness, mm",
    "thickness_bin": "Slice thickness",
    "pixel_spacing_mm": "Pixel spacing, mm",
    "kvp": "Tube voltage, kVp",
    "tube_current_ma": "Tube current, mA",
    "exposure_mas": "Exposure, mAs",
    "volume_ml": "Volume, mL",
    "lesion_volume_ml": "Lesion volume, mL",
    # findings (hemstats.findings) ----------------------------------------------------------------
    "any": "Any ICH",
    "edh": "Epidural (EDH)",
    "sdh": "Subdural (SDH)",
    "sah": "Subarachnoid (SAH)",
    "iph": "Intraparenchymal (IPH)",
    "ivh": "Intraventricular (IVH)",
    "chronic": "Chronic bleed",
    "fracture": "Skull fracture",
    "calvarial_fracture": "Calvarial fracture",
    "mass_effect": "Mass effect",
    "midline_shift": "Midline shift",
    # prevalence and interval checks --------------------------------------------------------------
    "jaccard": "Jaccard index",
    "combination": "Combination",
    "coverage": "Coverage",
    "exact_coverage": "Exact coverage",
    "mc_se": "Monte Carlo SE",
    "mean_width": "Mean width",
    "true_value": "True value",
    "fraction_positive": "Fraction positive",
    "mean": "Mean",
    "median": "Median",
    "q1": "Q1",
    "q3": "Q3",
    "min": "Minimum",
    "max": "Maximum",
    # agreement, performance, acquisition ---------------------------------------------------------
    # (T2 appends entries here)
    "rater": "Reader",
    "rater_a": "Reader A",
    "rater_b": "Reader B",
    "model": "Model",
    "cohen_kappa": "Cohen's kappa",
    "fleiss_kappa": "Fleiss' kappa",
    "krippendorff_alpha": "Krippendorff's alpha",
    "pabak": "PABAK",
    "icc": "ICC",
    "auc": "AUC",
    "auc_difference": "AUC difference",
    "average_precision": "Average precision",
    "brier": "Brier score",
    "calibration_slope": "Calibration slope",
    "calibration_intercept": "Calibration intercept",
    "sensitivity": "Sensitivity",
    "specificity": "Specificity",
    "ppv": "PPV",
    "npv": "NPV",
    "youden_j": "Youden's J",
    "threshold": "Threshold",
    "operating_point": "Operating point",
    "gwet_ac1": "Gwet's AC1",
    "raters": "Readers",
    "reference": "Reference",
    "f1": "F1 score",
    "accuracy": "Accuracy",
    "balanced_accuracy": "Balanced accuracy",
    "model_1": "Model 1",
    "model_2": "Model 2",
    "auc_1": "AUC 1",
    "auc_2": "AUC 2",
    "resampling": "Resampling",
    "analysis": "Analysis",
    "term": "Term",
    "cramers-v": "Cramér's V",
    "odds-ratio": "Odds ratio",
    "converged": "Converged",
    "kind": "Kind",
    "sensitivity-specificity": "Sensitivity and specificity",
}

#: Code (column, finding, metric) -> the name a reader sees, with its unit.
DISPLAY_NAMES: Mapping[str, str] = MappingProxyType(_NAMES)

#: Decimals per kind of number, set once for the whole report.  ``count`` is printed as an
#: integer (a non-integer value of a count column keeps ``number`` decimals).
DECIMALS: Mapping[str, int] = MappingProxyType(
    {
        "percent": 1,  # a proportion shown as a percentage
        "proportion": 3,  # a proportion shown as a fraction
        "estimate": 3,  # kappa-, AUC-, ICC-like estimates
        "smd": 2,
        "p": 3,
        "volume": 1,
        "statistic": 2,
        "ratio": 2,
        "number": 2,  # anything else
        "count": 0,
    }
)

_COUNTS = (
    "n", "n_positive", "n_negative", "n_missing", "n_clusters", "n_patients", "n_studies", "n_slices", "n_resamples",
    "n_failed_resamples", "n_simulations", "n_strata", "n_zero", "n_a", "n_b", "n_positive_a", "n_positive_b",
    "both", "only_a", "only_b", "neither", "degree", "count", "df", "rows", "missing",
)  # fmt: skip
#: Columns holding counts (printed as integers).
COUNT_COLUMNS: frozenset[str] = frozenset(_COUNTS)
#: Columns holding p-values.
P_COLUMNS: frozenset[str] = frozenset({"p_value", "p_adjusted", "p_value_holm", "p_holm"})

_KINDS: dict[str, str] = {c: "count" for c in _COUNTS}
_KINDS.update({c: "p" for c in P_COLUMNS})
_KINDS.update(
    {
        "smd": "smd",
        "jaccard": "estimate",
        "statistic": "statistic",
        "design_effect": "ratio",
        "volume_ml": "volume",
        "lesion_volume_ml": "volume",
    }
)
#: Column -> kind of number (a key of :data:`DECIMALS`); ``estimate`` and interval columns
#: take their kind from the row's ``metric`` (:data:`METRIC_KINDS`).
COLUMN_KINDS: Mapping[str, str] = MappingProxyType(_KINDS)

_PERCENT_METRICS = (
    "prevalence", "proportion", "share", "fraction_positive", "sensitivity", "specificity", "ppv", "npv", "coverage",
    "f1", "accuracy", "balanced_accuracy",
)  # fmt: skip
_ESTIMATE_METRICS = (
    "cohen_kappa", "fleiss_kappa", "krippendorff_alpha", "pabak", "kappa", "icc", "auc", "auc_difference",
    "average_precision", "brier", "jaccard", "youden_j", "calibration_slope", "calibration_intercept",
    "gwet_ac1", "cramers-v",
)  # fmt: skip
_METRICS: dict[str, str] = {m: "percent" for m in _PERCENT_METRICS}
_METRICS.update({m: "estimate" for m in _ESTIMATE_METRICS})
_METRICS.update({"count": "count", "mean": "number", "sd": "number", "median": "number", "odds-ratio": "ratio"})
#: Metric code -> kind of its ``estimate`` (and interval): proportions as percentages.
METRIC_KINDS: Mapping[str, str] = MappingProxyType(_METRICS)

#: Columns whose cell values are codes shown by :func:`display_name` (findings, metrics).
VALUE_COLUMNS: frozenset[str] = frozenset({"finding", "finding_a", "finding_b", "metric"})


def display_name(code: object, rename: Mapping[str, str] | None = None) -> str:
    """The display name of a column, finding or metric ``code``; ``rename`` first, then :data:`DISPLAY_NAMES`.

    An unknown code is shown as it is.

    Examples
    --------
    >>> display_name("slice_thickness_mm"), display_name("n", {"n": "Studies"})
    ('Slice thickness, mm', 'Studies')
    """
    key = str(code)
    if rename and key in rename:
        return str(rename[key])
    return DISPLAY_NAMES.get(key, key)


def column_kind(column: object) -> str | None:
    """The kind of number (a key of :data:`DECIMALS`) in ``column``, None when not known."""
    return COLUMN_KINDS.get(str(column))


def metric_kind(metric: object) -> str | None:
    """The kind of an ``estimate`` of ``metric`` (a key of :data:`DECIMALS`), None when not known."""
    return METRIC_KINDS.get(str(metric))


def decimals(kind: str | None) -> int:
    """The decimals of ``kind`` (:data:`DECIMALS`; ``number`` when None or unknown).

    Examples
    --------
    >>> decimals("percent"), decimals(None), decimals("smd")
    (1, 2, 2)
    """
    return DECIMALS.get(kind or "number", DECIMALS["number"])
