"""Contract cases of the reliability family (inter-rater agreement, ICC, and their coverage simulations)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from hemstats.stats import (
    agreement,
    cluster_coverage,
    cohen_kappa,
    fleiss_kappa,
    gwet_ac1,
    icc,
    krippendorff_alpha,
    pabak,
    reader_vs_reference,
)
from hemstats.stats.coverage.agreement import CLUSTER_COVERAGE_COLUMNS, KAPPA_COVERAGE_COLUMNS, kappa_coverage
from hemstats.stats.reliability.agreement import COLUMNS, READER_COLUMNS
from hemstats.stats.reliability.icc import ICC_COLUMNS

from . import Case

#: Both interval families, on few resamples: the rng matters, the run stays quick.
BOTH: dict[str, Any] = {"interval": ["analytic", "bootstrap"], "n_resamples": 200}
#: Option sets every agreement statistic must answer with the same columns.
VARIANTS: list[dict[str, Any]] = [
    {"interval": "analytic"},
    {"interval": "bootstrap", "bootstrap_method": "bca", "n_resamples": 50},
    {"interval": "bootstrap", "bootstrap_method": "basic", "n_resamples": 50, "cluster": False},
    {"findings": "any"},
    {"findings": ["any", "sdh"], "raters": ["R1", "R2"]},
    {"level": "slice"},  # the demo's slices have one rater (the consensus): no estimate, same columns
]
#: Bad values every agreement statistic refuses, naming the option.
BAD: dict[str, Any] = {"interval": "both", "bootstrap_method": "bootstrap-bca", "confidence_level": 95, "n_resamples": 1,
       "findings": "bleed", "level": "series", "raters": ["R9"], "cluster": "hospital", "rng": -1}


def _volumes() -> pd.DataFrame:
    """Continuous ratings: two readers' volumes of 12 lesions in two findings (a lesions table with a rater)."""
    rng = np.random.default_rng(0)
    truth = rng.lognormal(2.0, 1.0, 12)
    rows = [("demo", f"S{i:02d}", "sdh" if i < 6 else "iph", reader, float(v * (1 + 0.1 * rng.normal())), "A" if i % 2 else "B")
            for i, v in enumerate(truth) for reader in ("R1", "R2")]
    return pd.DataFrame(rows, columns=["dataset", "study_id", "finding", "rater", "volume_ml", "site"])


AGREEMENT: list[tuple[Callable[..., Any], dict[str, Any]]] = [
    (agreement, {}),
    (cohen_kappa, {"weights": "cubic"}),
    (pabak, {}),
    (fleiss_kappa, {"variance": "exact"}),
    (gwet_ac1, {"pairwise": "yes"}),
    (krippendorff_alpha, {}),
]

CASES = [
    *[
        Case(func, COLUMNS, table="labels", keywords=("studies",), kwargs=BOTH, variants=VARIANTS,
             bad={**BAD, **extra_bad})
        for func, extra_bad in AGREEMENT
    ],
    Case(
        reader_vs_reference,
        READER_COLUMNS,
        table="labels",
        keywords=("studies",),
        variants=[{"reference": "majority"}, {"findings": "any", "raters": "R1"}, {"cluster": False},
                  {"level": "slice"}],
        bad={"reference": "R9", "raters": ["R9"], "confidence_level": 95, "findings": "bleed", "level": "series",
             "cluster": "hospital"},
        random=False,
    ),
    Case(
        icc,
        ICC_COLUMNS,
        kwargs={"ratings": _volumes()},
        variants=[{"by": "site"}, {"by": ["site"], "target": "study_id"}],
        bad={"rater": "reader", "rating": "volume", "target": "lesion", "by": "hospital", "confidence_level": 95},
        random=False,
    ),
    Case(
        kappa_coverage,
        KAPPA_COVERAGE_COLUMNS,
        kwargs={"n": (30,), "prevalence": (0.3,), "n_simulations": 10, "n_resamples": 20},
        variants=[{"n": (20, 40), "prevalence": (0.1, 0.4)}],
        bad={"n_simulations": 0, "n_resamples": 1, "confidence_level": 95, "prevalence": (1.5,), "kappa": 2.0},
        interval=False,
    ),
    Case(
        cluster_coverage,
        CLUSTER_COVERAGE_COLUMNS,
        kwargs={"n_patients": 20, "n_slices": 3, "icc": (0.5,), "n_simulations": 5},
        variants=[{"icc": (0.0, 0.3)}],
        bad={"n_simulations": 0, "icc": (1.0,), "confidence_level": 95, "n_patients": 1, "prevalence": 0.0},
        interval=False,
    ),
]
