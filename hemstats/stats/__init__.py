"""Pure statistics on a Cohort's tables; every function returns one long DataFrame.

One module per question: Table 1 (:mod:`~hemstats.stats.descriptive.table1`), prevalence,
inter-rater agreement, the bootstrap engine, model performance (ROC, thresholds,
calibration, segmentation) and acquisition (scanner and kernel) effects.

Note that ``hemstats.stats.descriptive.prevalence``, ``agreement`` and ``performance`` name the
functions; their modules are reached with ``from hemstats.stats.descriptive.prevalence import ...``.
"""

from hemstats.errors import InputError, JoinError, OneClassError
from hemstats.stats.acquisition.heterogeneity import performance_by_stratum
from hemstats.stats.acquisition.mix import acquisition_distribution, acquisition_effects, acquisition_mix
from hemstats.stats.coverage.agreement import cluster_coverage
from hemstats.stats.coverage.diagnostic import auc_ci_coverage, clustered_auc_coverage, operating_point_coverage
from hemstats.stats.coverage.heterogeneity import heterogeneity_type1_error
from hemstats.stats.descriptive.cooccurrence import combinations, cooccurrence
from hemstats.stats.descriptive.prevalence import (
    clustered_proportion_coverage,
    compare_prevalence,
    newcombe_difference,
    prevalence,
    proportion_ci,
    proportion_coverage,
)
from hemstats.stats.descriptive.table1 import Table1, table1
from hemstats.stats.descriptive.volumes import lesion_volumes
from hemstats.stats.diagnostic.auc import auc, average_precision, compare_auc
from hemstats.stats.diagnostic.calibration import calibration, reliability_curve
from hemstats.stats.diagnostic.curves import reader_operating_points, roc_band
from hemstats.stats.diagnostic.operating_points import performance, threshold_metrics
from hemstats.stats.diagnostic.segmentation import segmentation_metrics, segmentation_per_case
from hemstats.stats.reliability.agreement import (
    agreement,
    cohen_kappa,
    fleiss_kappa,
    gwet_ac1,
    icc,
    krippendorff_alpha,
    pabak,
    reader_vs_reference,
)
from hemstats.stats.reliability.kappa import kappa_coverage
from hemstats.stats.resampling.engine import BootstrapDistribution, bootstrap_ci

__all__ = [
    # Table 1 and prevalence
    "Table1",
    "table1",
    "prevalence",
    "cooccurrence",
    "combinations",
    "compare_prevalence",
    "lesion_volumes",
    "proportion_ci",
    "proportion_coverage",
    "clustered_proportion_coverage",
    "newcombe_difference",
    # inter-rater agreement
    "agreement",
    "cohen_kappa",
    "fleiss_kappa",
    "krippendorff_alpha",
    "pabak",
    "gwet_ac1",
    "reader_vs_reference",
    "icc",
    "kappa_coverage",
    "cluster_coverage",
    # bootstrap engine and model performance
    "bootstrap_ci",
    "BootstrapDistribution",
    "auc",
    "average_precision",
    "compare_auc",
    "threshold_metrics",
    "roc_band",
    "reader_operating_points",
    "calibration",
    "reliability_curve",
    "segmentation_per_case",
    "segmentation_metrics",
    "performance",
    "auc_ci_coverage",
    "clustered_auc_coverage",
    "operating_point_coverage",
    # acquisition effects
    "acquisition_mix",
    "acquisition_distribution",
    "acquisition_effects",
    "performance_by_stratum",
    "heterogeneity_type1_error",
    # errors
    "InputError",
    "OneClassError",
    "JoinError",
]
