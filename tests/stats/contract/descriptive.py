"""Contract cases of the descriptive family (Table 1, prevalence, co-occurrence, volumes, proportion intervals)."""

from __future__ import annotations

import pandas as pd

from hemstats.stats import (
    clustered_proportion_coverage,
    combinations,
    compare_prevalence,
    cooccurrence,
    lesion_volumes,
    newcombe_difference,
    prevalence,
    proportion_ci,
    proportion_coverage,
    table1,
)
from hemstats.stats.coverage.proportion import CLUSTERED_COVERAGE_COLUMNS, PROPORTION_COVERAGE_COLUMNS
from hemstats.stats.descriptive.cooccurrence import COMBINATIONS_COLUMNS, COOCCURRENCE_COLUMNS
from hemstats.stats.descriptive.prevalence import COMPARE_COLUMNS, PREVALENCE_COLUMNS
from hemstats.stats.descriptive.table1 import TABLE1_COLUMNS
from hemstats.stats.descriptive.volumes import VOLUMES_COLUMNS

from . import Case

#: Bad values every labels statistic refuses, naming the option.
LABELS_BAD = {"unit": "exam", "findings": "bleed", "by": "hospital", "rater": 3}


def _interval_frame(result: tuple) -> pd.DataFrame:
    low, high = result
    return pd.DataFrame({"ci_low": low, "ci_high": high})


def _difference_frame(result: tuple) -> pd.DataFrame:
    return pd.DataFrame({"estimate": [float(result[0])], "ci_low": [float(result[1])], "ci_high": [float(result[2])]})


CASES = [
    Case(
        table1,
        TABLE1_COLUMNS,
        table="studies",
        keywords=("labels",),
        kwargs={"by": "site", "columns": ["age_years", "sex", "kernel", "any"]},
        variants=[{"by": None}, {"by": ["site", "sex"], "columns": ["age_years"]}, {"nonnormal": "age_years"},
                  {"t_test": "student", "by": "any", "columns": ["age_years", "sdh"]}],
        bad={"t_test": "pooled", "confidence_level": 95, "by": "hospital", "columns": ["weight"],
             "nonnormal": ["sex"], "categorical": ["weight"]},
        random=False,
        result=lambda t: t.long,
    ),
    Case(
        prevalence,
        PREVALENCE_COLUMNS,
        table="labels",
        keywords=("studies",),
        variants=[{"by": "site"}, {"by": ["site", "manufacturer"], "findings": "any"}, {"unit": "slice"}, {"unit": "patient"},
                  {"interval": "clopper-pearson", "cluster": None}, {"findings": ["any", "sdh"]},
                  {"unit": "slice", "cluster_interval": "bootstrap", "n_resamples": 50},
                  {"unit": "slice", "cluster_interval": "bootstrap", "n_resamples": 50, "bootstrap_method": "bca"}],
        bad={**LABELS_BAD, "interval": "exact", "cluster_interval": "bca", "confidence_level": 95, "n_resamples": 1,
             "cluster": "hospital", "bootstrap_method": "studentized"},
    ),
    Case(
        compare_prevalence,
        COMPARE_COLUMNS,
        table="labels",
        keywords=("studies",),
        kwargs={"by": "site"},
        variants=[{"by": ["manufacturer", "split"]}, {"by": "dataset"}, {"test": "fisher"}, {"unit": "slice"}, {"findings": "any"}],
        bad={**LABELS_BAD, "test": "t-test", "confidence_level": 95},
        random=False,
    ),
    Case(
        cooccurrence,
        COOCCURRENCE_COLUMNS,
        table="labels",
        keywords=("studies",),
        variants=[{"by": "site"}, {"unit": "slice"}, {"unit": "patient"}, {"findings": ["sdh", "iph", "ivh"]}],
        bad=LABELS_BAD,
        random=False,
        interval=False,
    ),
    Case(
        combinations,
        COMBINATIONS_COLUMNS,
        table="labels",
        keywords=("studies",),
        variants=[{"by": "site"}, {"unit": "slice"}, {"findings": "sdh"}],
        bad=LABELS_BAD,
        random=False,
        interval=False,
    ),
    Case(
        lesion_volumes,
        VOLUMES_COLUMNS,
        table="lesions",
        keywords=("studies",),
        variants=[{"by": "site"}, {"include_zero": True}, {"findings": "sdh"}],
        bad={"findings": "bleed", "include_zero": "yes", "by": "hospital"},
        random=False,
        interval=False,
    ),
    Case(
        proportion_ci,
        ("ci_low", "ci_high"),
        kwargs={"count": [0, 3, 20], "nobs": [20, 40, 20]},
        variants=[{"interval": "clopper-pearson"}, {"interval": "jeffreys"}, {"interval": "agresti-coull"}],
        bad={"interval": "exact", "confidence_level": 95},
        random=False,
        interval=False,
        result=_interval_frame,
    ),
    Case(
        newcombe_difference,
        ("estimate", "ci_low", "ci_high"),
        kwargs={"count1": 5, "nobs1": 20, "count2": 9, "nobs2": 25},
        bad={"confidence_level": 95},
        random=False,
        interval=False,
        result=_difference_frame,
    ),
    Case(
        proportion_coverage,
        PROPORTION_COVERAGE_COLUMNS,
        kwargs={"intervals": ["wilson", "jeffreys"], "n": [30], "prevalence": [0.1], "n_simulations": 200},
        variants=[{"intervals": "clopper-pearson"}, {"n": [10, 50], "prevalence": [0.05, 0.5]}],
        bad={"intervals": ["exact"], "n_simulations": 0, "confidence_level": 95, "prevalence": [1.5]},
        interval=False,
    ),
    Case(
        clustered_proportion_coverage,
        CLUSTERED_COVERAGE_COLUMNS,
        kwargs={"icc": (0.5,), "n_clusters": 20, "cluster_size": 5, "n_simulations": 30},
        variants=[{"interval": "wald"}, {"interval": "bootstrap", "n_simulations": 3}],
        bad={"interval": "bca", "n_simulations": 0, "icc": (1.5,), "confidence_level": 95, "prevalence": 2.0},
        interval=False,
    ),
]
