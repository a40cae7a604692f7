"""Pure statistics on a Cohort's tables; every function returns one long DataFrame."""

from hemstats.stats.cohort import Table1, table1  # issue 4: Table 1
from hemstats.stats.prevalence import (  # issue 4: prevalence
    combinations,
    compare_prevalence,
    cooccurrence,
    lesion_volumes,
    newcombe_difference,
    prevalence,
    proportion_ci,
    proportion_coverage,
)
from hemstats.stats.agreement import (  # issue 4: inter-rater agreement
    AgreementInputError,
    agreement,
    cohen_kappa,
    fleiss_kappa,
    gwet_ac1,
    icc,
    krippendorff_alpha,
    pabak,
    reader_vs_reference,
)
from hemstats.stats.kappa import kappa_coverage  # issue 4: inter-rater agreement
from hemstats.stats.scanner import acquisition_distribution, acquisition_effects, acquisition_mix  # issue 6: acquisition
from hemstats.stats.scanner_performance import performance_by_stratum  # issue 6: acquisition
from hemstats.stats.bootstrap import BootstrapDistribution, OneClassError, PerformanceInputError, bootstrap_ci  # issue 5
from hemstats.stats.roc import JoinError, auc, average_precision, compare_auc  # issue 5
from hemstats.stats.performance import performance, reader_operating_points, roc_band, threshold_metrics  # issue 5
from hemstats.stats.performance_calibration import calibration, reliability_curve  # issue 5
from hemstats.stats.performance_segmentation import segmentation_metrics, segmentation_per_case  # issue 5
from hemstats.stats.performance_coverage import auc_ci_coverage, clustered_auc_coverage  # issue 5

__all__: list[str] = []
__all__ += [  # issue 4: Table 1 and prevalence
    "Table1",
    "table1",
    "prevalence",
    "cooccurrence",
    "combinations",
    "compare_prevalence",
    "lesion_volumes",
    "proportion_ci",
    "proportion_coverage",
    "newcombe_difference",
]
__all__ += [  # issue 4: inter-rater agreement
    "agreement",
    "cohen_kappa",
    "fleiss_kappa",
    "krippendorff_alpha",
    "pabak",
    "gwet_ac1",
    "reader_vs_reference",
    "icc",
    "kappa_coverage",
    "AgreementInputError",
]
__all__ += ["acquisition_mix", "acquisition_distribution", "acquisition_effects", "performance_by_stratum"]  # issue 6
__all__ += [  # issue 5: bootstrap engine and model performance
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
    "PerformanceInputError",
    "OneClassError",
    "JoinError",
]
