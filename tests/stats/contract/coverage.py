"""Contract cases of the resampling engine and the diagnostic coverage simulations.

``bootstrap_ci`` is an array kernel and the coverage functions are simulations: they take no
Cohort (``table=None``) and get all their input in ``kwargs``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hemstats.stats import auc_ci_coverage, bootstrap_ci, clustered_auc_coverage, operating_point_coverage
from hemstats.stats.coverage.diagnostic import COVERAGE_COLUMNS, OPERATING_COVERAGE_COLUMNS
from hemstats.stats.resampling.engine import RESULT_COLUMNS

from . import Case

_rng = np.random.default_rng(12)
_Y = np.r_[np.ones(30, dtype=int), np.zeros(50, dtype=int)]
_SCORES = pd.DataFrame({"model_a": _rng.normal(_Y, 1.0), "model_b": _rng.normal(0.5 * _Y, 1.0)})
_PATIENT = np.arange(len(_Y)) % 40

#: Bad values every simulation refuses, naming the option.
SIMULATION_BAD = {"n_simulations": 0, "n_resamples": 1, "confidence_level": 95, "rng": "seed"}

CASES = [
    Case(
        bootstrap_ci,
        RESULT_COLUMNS,
        kwargs={"y": _Y, "score": _SCORES["model_a"], "n_resamples": 200},
        variants=[{"score": _SCORES}, {"bootstrap_method": "bca"}, {"bootstrap_method": "basic", "stratify": False},
                  {"cluster": _PATIENT}, {"statistic": "average_precision"}],
        bad={"bootstrap_method": "bc", "n_resamples": 1, "confidence_level": 95, "statistic": "gini",
             "rng": "seed", "stratify": "yes", "cluster": _PATIENT[:-1], "model": ["a", "b", "c"]},
    ),
    Case(
        auc_ci_coverage,
        COVERAGE_COLUMNS,
        kwargs={"sample_size": [60], "prevalence": [0.3], "n_simulations": 6, "n_resamples": 60},
        variants=[{"intervals": "delong"}, {"intervals": ["bootstrap"], "bootstrap_methods": "bca"},
                  {"sample_size": 40, "prevalence": [0.2, 0.5]}],
        bad={**SIMULATION_BAD, "intervals": "wald", "bootstrap_methods": ["bc"], "sample_size": [2],
             "prevalence": [1.5], "d": float("nan")},
    ),
    Case(
        clustered_auc_coverage,
        COVERAGE_COLUMNS,
        kwargs={"n_patients": 20, "slices_per_patient": 4, "n_simulations": 4, "n_resamples": 50},
        variants=[{"icc": 0.1, "patient_prevalence": 0.5}],
        bad={**SIMULATION_BAD, "n_patients": 1, "slices_per_patient": 0, "icc": 1.0, "patient_prevalence": 0,
             "slice_positive": 2},
    ),
    Case(
        operating_point_coverage,
        OPERATING_COVERAGE_COLUMNS,
        kwargs={"sample_size": 80, "n_simulations": 5, "n_resamples": 60},
        variants=[{"statistics": "ppv", "designs": "cohort"}, {"statistics": ["f1", "youden_j"], "threshold": 0.5}],
        bad={**SIMULATION_BAD, "statistics": ["auc"], "designs": ["bootstrap"], "sample_size": 3, "prevalence": 1.0,
             "threshold": "high"},
    ),
]
