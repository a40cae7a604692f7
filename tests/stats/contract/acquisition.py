"""Contract cases of the acquisition family (scanner mix, effects on labels, heterogeneity across strata)."""

from __future__ import annotations

from hemstats.stats.acquisition.effects import EFFECT_COLUMNS, acquisition_effects
from hemstats.stats.acquisition.heterogeneity import HETEROGENEITY_COLUMNS, heterogeneity
from hemstats.stats.acquisition.mix import (
    DISTRIBUTION_COLUMNS,
    MIX_COLUMNS,
    acquisition_distribution,
    acquisition_mix,
)
from hemstats.stats.coverage.heterogeneity import TYPE1_COLUMNS, heterogeneity_type1_error

from . import Case

CASES = [
    Case(
        acquisition_mix,
        MIX_COLUMNS,
        table="studies",
        variants=({"by": "site"}, {"by": ["site", "sex"]}),
        bad={"by": 3},
        random=False,
        interval=False,
    ),
    Case(
        acquisition_distribution,
        DISTRIBUTION_COLUMNS,
        table="studies",
        variants=({"by": "site"}, {"columns": "kvp"}),
        bad={"by": 3, "columns": 3},
        random=False,
        interval=False,
    ),
    Case(
        acquisition_effects,
        EFFECT_COLUMNS,
        table="labels",
        keywords=("studies",),
        kwargs={"findings": "any"},
        variants=({"model": False}, {"findings": ["any", "sdh"]}, {"cov_struct": "independence"}),
        bad={"findings": 3, "rater": "R9", "columns": 3, "cluster": 5, "cov_struct": "ar1", "confidence_level": 95},
        random=False,
    ),
    Case(
        heterogeneity,
        HETEROGENEITY_COLUMNS,
        table="predictions",
        keywords=("labels", "studies"),
        kwargs={"findings": "any", "n_resamples": 50},
        variants=({"interval": "bootstrap"}, {"cluster": None}, {"by": "vendor"}, {"by": ["vendor", "kernel_class"]}),
        bad={"interval": "wilson", "threshold": "high", "min_per_class": 0, "min_clusters": 1, "level": "patient",
             "by": 3, "cluster": 5, "findings": 3, "models": "model_z", "confidence_level": 95, "n_resamples": 1,
             "bootstrap_method": "studentized", "rng": "seed"},
    ),
    Case(
        heterogeneity_type1_error,
        TYPE1_COLUMNS,
        kwargs={"n_simulations": 5, "n_patients": 40, "clustered": (True,)},
        variants=({"clustered": (True, False)},),
        bad={"n_simulations": 0, "alpha": 2, "confidence_level": 95},
    ),
]
