"""Statistics on a Cohort's tables: the only public face of :mod:`hemstats.stats`.

Every statistic takes a :class:`~hemstats.Cohort` or the one canonical table its question is
about as its first argument (other tables keyword-only), spells its options with the glossary
of :mod:`hemstats.stats._core.types` (``findings=``, ``by=``, ``unit=``, ``interval=``,
``bootstrap_method=``, ``confidence_level``, ``rng``, ``n_resamples``) and returns one long
table with the fixed columns of :mod:`hemstats.stats._core.columns`.  Bad input raises
:class:`~hemstats.errors.InputError`.

The subpackages answer one question each: ``descriptive`` (Table 1, prevalence,
co-occurrence, volumes), ``reliability`` (inter-rater agreement), ``diagnostic`` (model
performance), ``acquisition`` (scanner and kernel mix, effects, heterogeneity across strata),
``resampling`` (the one bootstrap engine) and ``coverage`` (Monte Carlo coverage of every
interval).
"""

from hemstats.errors import InputError, JoinError, OneClassError
from hemstats.stats._core.intervals import newcombe_difference, proportion_ci
from hemstats.stats.acquisition.effects import acquisition_effects
from hemstats.stats.acquisition.heterogeneity import heterogeneity
from hemstats.stats.acquisition.mix import acquisition_distribution, acquisition_mix
from hemstats.stats.coverage.agreement import cluster_coverage, kappa_coverage
from hemstats.stats.coverage.diagnostic import auc_ci_coverage, clustered_auc_coverage, operating_point_coverage
from hemstats.stats.coverage.heterogeneity import heterogeneity_type1_error
from hemstats.stats.coverage.proportion import clustered_proportion_coverage, proportion_coverage
from hemstats.stats.descriptive.cooccurrence import combinations, cooccurrence
from hemstats.stats.descriptive.prevalence import compare_prevalence, prevalence
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
    "heterogeneity",
    "heterogeneity_type1_error",
    # errors
    "InputError",
    "OneClassError",
    "JoinError",
]
