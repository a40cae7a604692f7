"""Which independent implementation each estimator is checked against (R, statsmodels, ...).

Examples
--------
>>> reference_checks().columns.tolist()
['area', 'hemstats', 'reference', 'tolerance', 'script', 'test']
"""

from __future__ import annotations

import pandas as pd

__all__ = ["REFERENCE_CHECKS", "reference_checks"]

#: (area, hemstats function, reference implementation, tolerance, script, test)
REFERENCE_CHECKS: tuple[tuple[str, str, str, str, str, str], ...] = (
    ("Prevalence", "proportion_ci (wilson)", 'R prop.test(x, n, correct = FALSE)$conf.int',
     "1e-6 absolute", "tests/reference/prevalence.R", "tests/stats/test_prevalence.py"),
    ("Prevalence", "proportion_ci (clopper-pearson)", "R binom.test(x, n)$conf.int",
     "1e-6 absolute", "tests/reference/prevalence.R", "tests/stats/test_prevalence.py"),
    ("Prevalence", "proportion_ci (jeffreys, agresti-coull)",
     "R closed forms of Brown, Cai & DasGupta (2001), as DescTools::BinomCI",
     "1e-6 absolute", "tests/reference/prevalence.R", "tests/stats/test_prevalence.py"),
    ("Prevalence", "newcombe_difference, compare_prevalence",
     "R Newcombe hybrid score (method 10) from prop.test limits; chisq.test, fisher.test, p.adjust(method = 'holm')",
     "1e-6 absolute", "tests/reference/prevalence.R", "tests/stats/test_prevalence.py"),
    ("Prevalence", "proportion_coverage (exact coverage, mean width)", "R sum(dbinom(0:n, n, p) * covers)",
     "1e-6 absolute", "tests/reference/prevalence.R", "tests/stats/test_prevalence.py"),
    ("Prevalence", "prevalence (slice level and repeated studies, clustered by patient)",
     'R survey::svyciprop(method = "logit" / "mean") on svydesign(ids = ~patient_id); '
     'deff(svymean(deff = "replace"))', "1e-6 absolute", "tests/reference/prevalence_cluster.R",
     "tests/stats/test_prevalence.py"),
    ("Table 1", "table1 (t_test='student')", "R t.test(var.equal = TRUE)", "1e-6 absolute",
     "tests/reference/table1.R", "tests/stats/test_table1.py"),
    ("Table 1", "table1", "R t.test(var.equal = FALSE), oneway.test, kruskal.test, chisq.test, fisher.test; "
     "SMD as tableone::ExtractSmd", "1e-6 absolute", "tests/reference/table1.R", "tests/stats/test_table1.py"),
    ("Table 1", "table1", "Python tableone.TableOne (summaries, p values, SMD)", "1e-6 absolute",
     "(in the test)", "tests/stats/test_table1.py"),
    ("Agreement", "cohen_kappa", "R psych::cohen.kappa, epiR::epi.kappa", "1e-6 absolute",
     "tests/reference/agreement.R", "tests/stats/test_agreement.py"),
    ("Agreement", "fleiss_kappa", "R formulas of irr::kappam.fleiss and irrCAC::fleiss.kappa.raw; "
     "statsmodels fleiss_kappa", "1e-6 (R), 1e-12 (statsmodels)", "tests/reference/agreement.R",
     "tests/stats/test_agreement.py"),
    ("Agreement", "gwet_ac1", "R formula of irrCAC::gwet.ac1.raw", "1e-6 absolute",
     "tests/reference/agreement.R", "tests/stats/test_agreement.py"),
    ("Agreement", "krippendorff_alpha", "R formula of irr::kripp.alpha; Python krippendorff.alpha",
     "1e-6 (R), 1e-12 (krippendorff)", "tests/reference/agreement.R", "tests/stats/test_agreement.py"),
    ("Agreement", "pabak, reader_vs_reference", "R epiR::epi.kappa; prop.test(correct = FALSE)",
     "1e-6 absolute", "tests/reference/agreement.R", "tests/stats/test_agreement.py"),
    ("Agreement", "cohen_kappa, fleiss_kappa, gwet_ac1, reader_vs_reference (clustered by patient)",
     'R survey::svycontrast(svymean(...)) on svydesign(ids = ~patient_id) (delta method); '
     'svyciprop(method = "beta")', "1e-9 absolute", "tests/reference/agreement_cluster.R",
     "tests/stats/test_agreement.py"),
    ("Agreement", "icc", "R psych::ICC; pingouin.intraclass_corr", "1e-6 (R), 0.005 (pingouin rounds its CI)",
     "tests/reference/agreement.R", "tests/stats/test_agreement.py"),
    ("Model performance", "auc (DeLong CI)", 'R pROC::ci.auc(method = "delong")', "1e-6 absolute",
     "tests/reference/performance.R", "tests/stats/test_roc.py"),
    ("Model performance", "compare_auc", 'R pROC::roc.test(paired = TRUE, method = "delong")', "1e-6 absolute",
     "tests/reference/performance.R", "tests/stats/test_roc.py"),
    ("Model performance", "auc (bootstrap CI)",
     'R pROC::ci.auc(method = "bootstrap", boot.stratified = TRUE)', "4 Monte Carlo standard errors",
     "tests/reference/performance.R", "tests/stats/test_roc.py"),
    ("Model performance", "threshold_metrics", 'R pROC::coords(input = "threshold"); '
     'statsmodels proportion_confint(method = "wilson")', "1e-6 (R), 1e-12 (statsmodels)",
     "tests/reference/performance.R", "tests/stats/test_performance.py"),
    ("Model performance", "roc_band", "R pROC::ci.se, pROC::ci.sp (stratified bootstrap)",
     "4 Monte Carlo standard errors", "tests/reference/performance.R", "tests/stats/test_performance.py"),
    ("Model performance", "calibration", "R glm(y ~ qlogis(p)), glm(y ~ 1, offset = qlogis(p))", "1e-6 absolute",
     "tests/reference/performance.R", "tests/stats/test_performance.py"),
    ("Model performance", "average_precision", "scikit-learn average_precision_score", "exact",
     "(in the test)", "tests/stats/test_roc.py"),
    ("Acquisition", "acquisition_effects (association)", "R chisq.test(correct = FALSE), fisher.test; Cramér's V",
     "1e-6 absolute", "tests/reference/scanner.R", "tests/stats/test_scanner.py"),
    ("Acquisition", "acquisition_effects (logistic model)",
     'R glm(family = binomial) with sandwich::vcovCL(cluster = ~patient_id, type = "HC0")', "1e-6 absolute",
     "tests/reference/scanner.R", "tests/stats/test_scanner.py"),
    ("Acquisition", "auc (by=stratum, cluster=None), heterogeneity (cluster=None)",
     'R pROC::ci.auc(method = "delong") per stratum; inverse-variance heterogeneity Q; '
     "glm interaction likelihood-ratio test", "1e-6 absolute",
     "tests/reference/scanner.R", "tests/stats/test_scanner.py"),
    ("Acquisition", "auc (by=stratum), heterogeneity (clustered by patient, the default)",
     "Obuchowski's clustered DeLong variance written out in R (equals pROC::var with one row per patient); "
     'anova(geepack::geeglm(correct ~ factor(y) * stratum, id = patient, corstr = "independence"))',
     "1e-9 (variance), 1e-6 (Wald statistic)", "tests/reference/heterogeneity.R",
     "tests/stats/test_scanner_heterogeneity.py"),
)


def reference_checks() -> pd.DataFrame:
    """Which independent implementation each estimator is checked against.

    Returns
    -------
    pandas.DataFrame
        ``area, hemstats, reference, tolerance, script, test``: the hemstats function,
        the reference call, the tolerance of the comparison, the script that computed
        the expected values (``Rscript <script>`` from the repository root) and the test
        that compares them.

    Examples
    --------
    >>> reference_checks().area.unique().tolist()
    ['Prevalence', 'Table 1', 'Agreement', 'Model performance', 'Acquisition']
    """
    return pd.DataFrame(list(REFERENCE_CHECKS), columns=["area", "hemstats", "reference", "tolerance", "script", "test"])
