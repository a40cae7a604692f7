"""Contract cases of the diagnostic family (model performance): one Case per public statistic."""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd

from hemstats.stats import (
    auc,
    average_precision,
    calibration,
    compare_auc,
    performance,
    reader_operating_points,
    reliability_curve,
    roc_band,
    segmentation_metrics,
    segmentation_per_case,
    threshold_metrics,
)
from hemstats.stats.diagnostic.auc import AUC_COLUMNS, COMPARE_COLUMNS
from hemstats.stats.diagnostic.calibration import CALIBRATION_COLUMNS, RELIABILITY_COLUMNS
from hemstats.stats.diagnostic.curves import BAND_COLUMNS, READER_COLUMNS
from hemstats.stats.diagnostic.operating_points import PERFORMANCE_COLUMNS, THRESHOLD_COLUMNS
from hemstats.stats.diagnostic.segmentation import SEGMENTATION_CASE_COLUMNS, SEGMENTATION_COLUMNS

from . import Case

TABLES = ("labels", "studies")
QUICK = {"n_resamples": 50}
#: Bad values every predictions statistic refuses, naming the option.
COMMON_BAD = {
    "findings": 3,
    "level": "patient",
    "by": 3,
    "cluster": 5,
    "reference": "",
    "confidence_level": 95,
    "n_resamples": 1,
    "rng": "seed",
}


@cache
def _predicted_lesions() -> pd.DataFrame:
    from hemstats.datasets import demo

    lesions = demo.load(n_studies=120, seed=3).lesions
    factor = np.random.default_rng(0).uniform(0.7, 1.3, len(lesions))
    return lesions.assign(volume_ml=lesions["volume_ml"].to_numpy(dtype=float) * factor, model="seg")


def _per_case() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    refs = [rng.random((6, 6, 3)) > 0.5 for _ in range(12)]
    preds = [r ^ (rng.random(r.shape) > 0.85) for r in refs]
    return segmentation_per_case(refs, preds, voxel_volume_ml=0.01, cluster=np.arange(12) // 2, findings="iph")


CASES = [
    Case(auc, AUC_COLUMNS, table="predictions", keywords=TABLES, kwargs={**QUICK, "findings": ["any", "sdh"]},
         variants=[{"interval": "bootstrap"}, {"by": "site"}, {"by": ["site", "sex"]}, {"level": "slice"},
                   {"cluster": None, "interval": "delong"}, {"bootstrap_method": "bca"}, {"reference": "majority"}],
         bad={**COMMON_BAD, "interval": "wald", "bootstrap_method": "bca2", "stratify": "yes"}),
    Case(average_precision, AUC_COLUMNS, table="predictions", keywords=TABLES, kwargs={**QUICK, "findings": "any"},
         variants=[{"by": "kernel"}, {"cluster": None}, {"level": "slice"}],
         bad={**COMMON_BAD, "bootstrap_method": "bca2", "stratify": "yes"}),
    Case(compare_auc, COMPARE_COLUMNS, table="predictions", keywords=TABLES, kwargs={**QUICK, "findings": "any"},
         variants=[{"cluster": None}, {"interval": "bootstrap"}, {"by": "site"}, {"level": "slice"}],
         bad={**COMMON_BAD, "interval": "wald", "models": "ab", "bootstrap_method": "x"}),
    Case(threshold_metrics, THRESHOLD_COLUMNS, table="predictions", keywords=TABLES,
         kwargs={**QUICK, "findings": "any", "level": "study"},
         variants=[{"target_sensitivity": 0.9}, {"cluster": None, "interval": "clopper-pearson"},
                   {"interval": "bootstrap"}, {"by": "site"}, {"threshold": 2.0}],
         bad={**COMMON_BAD, "interval": "exact", "threshold": "0.5", "target_sensitivity": 1.5,
              "target_specificity": 0.0, "stratify": "yes"}),
    Case(roc_band, BAND_COLUMNS, table="predictions", keywords=TABLES,
         kwargs={**QUICK, "findings": "any", "values": [0.5, 0.9]},
         variants=[{"given": "sensitivity"}, {"by": "site"}, {"level": "slice"}],
         bad={**COMMON_BAD, "given": "ppv", "values": [0.5, 1.2], "stratify": "yes"}),
    Case(reader_operating_points, READER_COLUMNS, table="labels", kwargs={"findings": "any"},
         variants=[{"reference": "majority"}, {"level": None}, {"findings": ["any", "sdh"]}],
         bad={"findings": 3, "level": "patient", "reference": "", "confidence_level": 1.5}, random=False),
    Case(calibration, CALIBRATION_COLUMNS, table="predictions", keywords=TABLES,
         kwargs={**QUICK, "findings": "any", "level": "study"},
         variants=[{"cluster": None}, {"by": "site"}, {"stratify": True}],
         bad={**COMMON_BAD, "stratify": "yes"}),
    Case(reliability_curve, RELIABILITY_COLUMNS, table="predictions", keywords=TABLES,
         kwargs={"findings": "any", "level": "study", "n_bins": 5},
         variants=[{"strategy": "uniform"}, {"by": "site"}, {"level": "slice"}],
         bad={"findings": 3, "level": "patient", "n_bins": 0, "strategy": "kmeans", "confidence_level": 0},
         random=False),
    Case(performance, PERFORMANCE_COLUMNS, table="predictions", keywords=TABLES,
         kwargs={**QUICK, "findings": "any", "level": "study"},
         variants=[{"include": "auc"}, {"include": ["threshold"], "target_specificity": 0.8}, {"by": "site"},
                   {"cluster": None, "auc_interval": "delong", "interval": "wilson"}],
         bad={**COMMON_BAD, "include": ("auc", "kappa"), "auc_interval": "wald", "interval": "exact"}),
    Case(segmentation_per_case, SEGMENTATION_CASE_COLUMNS, table="lesions",
         kwargs={"prediction": _predicted_lesions()},
         variants=[{"findings": "iph"}],
         bad={"findings": 3, "prediction": 3}, random=False, interval=False),
    Case(segmentation_metrics, SEGMENTATION_COLUMNS, kwargs={**QUICK, "per_case": _per_case()},
         variants=[{"cluster": None}, {"bootstrap_method": "bca"}],
         bad={"bootstrap_method": "bca2", "cluster": "patient", "confidence_level": 95, "n_resamples": 1,
              "per_case": "cases"}),
]
