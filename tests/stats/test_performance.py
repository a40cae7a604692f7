"""Operating-point metrics, ROC bands, calibration, segmentation and the performance aggregate."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

from hemstats.errors import InputError
from hemstats.stats.diagnostic.arrays import from_arrays
from hemstats.stats.diagnostic.operating_points import (
    BAND_COLUMNS,
    METRICS,
    THRESHOLD_COLUMNS,
    reader_operating_points,
    roc_band,
    threshold_metrics,
)

REF = json.loads((Path(__file__).resolve().parents[1] / "reference" / "performance.json").read_text())
CASES = ["ties_n80", "ties_n600", "weak_n40"]


def _case(name):
    d = REF[name]["data"]
    return np.array(d["y"]), np.array(d["s1"], dtype=float)


@pytest.mark.parametrize("name", CASES)
def test_threshold_metrics_match_pROC_coords(name):
    ref = REF[name]
    y, s = _case(name)
    res = threshold_metrics(from_arrays(y, s), threshold=ref["threshold"], n_resamples=100, rng=0).set_index("metric")
    assert tuple(res.reset_index()[list(THRESHOLD_COLUMNS)].columns) == THRESHOLD_COLUMNS
    # pROC: coords(r1, x=threshold, input="threshold", ret=c("sensitivity","specificity","ppv","npv","accuracy"))
    co = ref["coords_at_threshold"]
    for m in ("sensitivity", "specificity", "ppv", "npv", "accuracy"):
        assert abs(res.estimate[m] - co[m]) < 1e-12, m
    tp, fp, tn, fn = co["tp"], co["fp"], co["tn"], co["fn"]
    assert abs(res.estimate["f1"] - 2 * tp / (2 * tp + fp + fn)) < 1e-12
    assert abs(res.estimate["youden_j"] - (co["sensitivity"] + co["specificity"] - 1)) < 1e-12
    # statsmodels: proportion_confint(tp, tp + fn, alpha=0.05, method="wilson")
    lo, hi = proportion_confint(tp, tp + fn, alpha=0.05, method="wilson")
    assert (res.ci_low["sensitivity"], res.ci_high["sensitivity"]) == pytest.approx((lo, hi), abs=1e-12)
    exact = threshold_metrics(from_arrays(y, s), threshold=ref["threshold"], interval="clopper-pearson", n_resamples=50, rng=0)
    lo, hi = proportion_confint(tn, tn + fp, alpha=0.05, method="beta")
    row = exact.set_index("metric").loc["specificity"]
    assert (row.ci_low, row.ci_high) == pytest.approx((lo, hi), abs=1e-12)
    assert row.method == "clopper-pearson"


def test_target_operating_points_reach_their_targets():
    y, s = _case("ties_n600")
    res = threshold_metrics(from_arrays(y, s), threshold=None, target_sensitivity=0.9, target_specificity=0.8,
                            n_resamples=50, rng=0)
    sens = res.query("operating_point == 'sensitivity>=0.9' and metric == 'sensitivity'").iloc[0]
    assert sens.estimate >= 0.9
    # the highest such threshold: any higher observed score falls below the target
    higher = np.unique(s[s > sens.threshold])
    if len(higher):
        assert (s[y == 1] >= higher[0]).mean() < 0.9
    spec = res.query("operating_point == 'specificity>=0.8' and metric == 'specificity'").iloc[0]
    assert spec.estimate >= 0.8
    lower = np.unique(s[s < spec.threshold])
    if len(lower):
        assert (s[y == 0] < lower[-1]).mean() < 0.8


def test_bootstrap_metric_replicates_equal_a_loop_on_the_same_indices():
    from hemstats.stats.diagnostic.operating_points import OperatingPointStatistic
    from hemstats.stats.resampling.engine import bootstrap_distribution, resample_indices

    y, s = _case("ties_n80")
    chunks = list(resample_indices(y, n_resamples=200, rng=3))
    dist = bootstrap_distribution(statistic=OperatingPointStatistic("ppv", 0.6), y=y, score=s, n_resamples=200, rng=3).distribution[0]
    loop = [((s[i] >= 0.6) & (y[i] == 1)).sum() / (s[i] >= 0.6).sum() for c in chunks for i in c]
    np.testing.assert_allclose(dist, loop, atol=1e-12)


def test_threshold_outside_score_range_gives_nan_with_reason():
    y, s = _case("weak_n40")
    res = threshold_metrics(from_arrays(y, s), threshold=2.0, interval="bootstrap", n_resamples=50, rng=0).set_index("metric")
    assert np.isnan(res.estimate["ppv"]) and "zero denominator" in res.reason["ppv"]
    assert res.estimate["sensitivity"] == 0 and res.estimate["specificity"] == 1
    assert res.reason.str.contains("outside the score range").all()


def test_threshold_metrics_bad_input():
    y, s = _case("weak_n40")
    with pytest.raises(InputError, match="interval must be"):
        threshold_metrics(from_arrays(y, s), interval="exact-ish")
    with pytest.raises(InputError, match="target_sensitivity"):
        threshold_metrics(from_arrays(y, s), target_sensitivity=1.5)
    with pytest.raises(InputError, match="threshold must be a finite"):
        threshold_metrics(from_arrays(y, s), threshold=np.nan)
    with pytest.raises(InputError, match="assumes independent rows"):
        # interval="auto" (the default since issue 10) picks the cluster bootstrap; wilson asked for explicitly refuses
        threshold_metrics(from_arrays(y, s, cluster=np.arange(len(y)) // 2), interval="wilson")


def _mc_tol(width, b_ours, b_ref):
    """4 Monte Carlo SEs of the difference of two 2.5% quantiles (normal approximation)."""
    sd = width / (2 * 1.96)
    mc = lambda b: sd * np.sqrt(0.025 * 0.975 / b) / 0.0584
    return 4 * np.hypot(mc(b_ours), mc(b_ref)) + 1e-9


@pytest.mark.parametrize("name", CASES)
def test_roc_band_within_monte_carlo_error_of_pROC_ci_se_and_ci_sp(name):
    ref = REF[name]
    y, s = _case(name)
    # pROC: set.seed(2); ci.se(r1, specificities=..., boot.n=B, boot.stratified=TRUE)
    band = roc_band(from_arrays(y, s), values=ref["ci_se_specificities"], n_resamples=10_000, rng=0)
    assert tuple(band.columns) == BAND_COLUMNS
    expected = np.array(ref["ci_se"])
    tol = _mc_tol((band.ci_high - band.ci_low).to_numpy(), 10_000, ref["boot_n"])
    assert (np.abs(band.ci_low - expected[:, 0]) <= tol).all()
    assert (np.abs(band.ci_high - expected[:, 2]) <= tol).all()
    # pROC: set.seed(3); ci.sp(r1, sensitivities=..., boot.n=B)
    band = roc_band(from_arrays(y, s), given="sensitivity", values=ref["ci_sp_sensitivities"], n_resamples=10_000, rng=0)
    expected = np.array(ref["ci_sp"])
    tol = _mc_tol((band.ci_high - band.ci_low).to_numpy(), 10_000, ref["boot_n"])
    assert (np.abs(band.ci_low - expected[:, 0]) <= tol).all()
    assert (np.abs(band.ci_high - expected[:, 2]) <= tol).all()


def test_roc_band_estimate_reads_the_empirical_curve():
    y = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    s = np.array([0.1, 0.2, 0.3, 0.6, 0.4, 0.7, 0.8, 0.9])
    band = roc_band(from_arrays(y, s), values=[0.0, 0.5, 0.75, 0.875, 1.0], n_resamples=20, rng=0)
    # ROC (ascending threshold): sp 0,.25,.5,.75,.75,1,1,1,1 / se 1,1,1,1,.75,.75,.5,.25,0
    # sp=0.75 is hit exactly: the first (highest-se) point; 0.875 lies halfway between (.75,.75) and (1,.75)
    np.testing.assert_allclose(band.estimate, [1.0, 1.0, 1.0, 0.75, 0.75])


def test_reader_operating_points_on_demo(demo_cohort):
    pts = reader_operating_points(demo_cohort, findings="any")
    assert set(pts.rater) == {"R1", "R2", "R3"}
    assert list(pts.metric.unique()) == ["sensitivity", "specificity"]
    assert ((pts.ci_low <= pts.estimate) & (pts.estimate <= pts.ci_high)).all()


# -- Monte Carlo coverage (slow) --------------------------------------------------------------
# Tolerances: 400 simulations give a Monte Carlo SE of sqrt(.95 * .05 / 400) = 0.0109 for a
# coverage of 0.95; a well-posed cell (>= 50 cases) must lie within 0.035 (~3.2 SE) of 0.95.
# With 3 cases (n = 50, prevalence 5%) every method under-covers badly; with 15 cases only BCa
# reaches 95%: both asserted, and shown in the book.
def _coverage(tab: pd.DataFrame, names: dict[str, str] | None = None) -> pd.DataFrame:
    """A long coverage table with ``coverage`` (its estimate) and ``method`` (the interval, short)."""
    short = tab["interval"].map(names) if names else tab["interval"].str.replace("stratified-bootstrap-", "")
    return tab.assign(coverage=tab["estimate"], method=short)


@pytest.mark.slow
@pytest.mark.parametrize("n", [200, 1000])
def test_auc_interval_coverage_large_samples(n):
    from hemstats.stats.coverage.diagnostic import auc_ci_coverage

    tab = _coverage(auc_ci_coverage(sample_size=[n], prevalence=[0.3] if n == 200 else [0.05, 0.3],
                                    n_simulations=400, n_resamples=300, rng=12345 + n))
    assert set(tab.method) == {"delong", "percentile", "basic", "bca"}
    assert (tab.n_failed_resamples.fillna(0) == 0).all()  # stratified: no one-class resample
    if n == 1000:
        assert len(tab) == 8
        many = tab[tab.prevalence == 0.3]  # 300 cases: every method within 0.03 (~2.7 SE) of 0.95
        assert (abs(many.coverage - 0.95) < 0.03).all(), many[["method", "coverage"]]
        few = tab[tab.prevalence == 0.05].set_index("method").coverage  # 50 cases: basic ~0.92 over 1,000 runs
        assert abs(few["bca"] - 0.95) < 0.035
        assert (few > 0.88).all(), few
    else:  # 60 cases: BCa within 0.035; DeLong, percentile and basic cover ~0.92-0.93 (seen over
        # 1,000 simulations), so within 0.05
        cov = tab.set_index("method").coverage
        assert abs(cov["bca"] - 0.95) < 0.035
        assert (abs(cov - 0.95) < 0.05).all(), cov


@pytest.mark.slow
def test_auc_interval_coverage_small_samples_under_cover():
    from hemstats.stats.coverage.diagnostic import auc_ci_coverage

    tab = _coverage(auc_ci_coverage(sample_size=[50], prevalence=[0.05, 0.3], n_simulations=400, n_resamples=300,
                                    rng=7))
    few = tab[tab.prevalence == 0.05]
    assert (few.coverage < 0.85).all()  # 3 cases: no method reaches 95%
    some = tab[tab.prevalence == 0.3].set_index("method")  # 15 cases
    assert abs(some.coverage["bca"] - 0.95) < 0.04
    assert (some.coverage > 0.82).all() and (some.coverage.drop("bca") < 0.95).all()


@pytest.mark.slow
def test_clustered_bootstrap_covers_where_row_bootstrap_does_not():
    from hemstats.stats.coverage.diagnostic import clustered_auc_coverage

    tab = _coverage(clustered_auc_coverage(n_patients=100, slices_per_patient=10, n_simulations=300, n_resamples=300,
                                           rng=99), {"delong": "delong-rows",
                                                     "stratified-bootstrap-percentile": "row-percentile",
                                                     "stratified-cluster-bootstrap-percentile": "cluster-percentile"})
    tab = tab.set_index("method")
    # 300 simulations: Monte Carlo SE 0.016 at 0.92.  With ~30 positive patients the clustered
    # percentile interval covers 0.91-0.93 (two runs of 500 simulations), a little under 0.95;
    # the row bootstrap and DeLong, blind to the within-patient correlation (ICC 0.5), cover
    # ~0.75.  Tolerances: clustered >= 0.88 (~2 SE under 0.91), rows and DeLong <= 0.85.
    assert tab.coverage["cluster-percentile"] >= 0.88
    assert tab.coverage["row-percentile"] <= 0.85
    assert tab.coverage["delong-rows"] <= 0.85
    assert tab.mean_width["cluster-percentile"] > 1.3 * tab.mean_width["row-percentile"]


# -- calibration -------------------------------------------------------------------------------
def test_calibration_matches_R_glm():
    from hemstats.stats.diagnostic.calibration import CALIBRATION_COLUMNS, calibration

    ref = REF["calibration_n400"]
    y, p = np.array(ref["data"]["y"]), np.array(ref["data"]["p"])
    res = calibration(from_arrays(y, p), n_resamples=200, rng=0).set_index("metric")
    assert tuple(res.reset_index()[list(CALIBRATION_COLUMNS)].columns) == CALIBRATION_COLUMNS
    # R: mean((p - y)^2)
    assert abs(res.estimate["brier"] - ref["brier"]) < 1e-12
    # R: coef(glm(y ~ qlogis(p), binomial))[2]; confint.default(...)[2, ]
    assert abs(res.estimate["calibration_slope"] - ref["slope"]) < 1e-6
    assert abs(res.ci_low["calibration_slope"] - ref["slope_ci"][0]) < 1e-6
    assert abs(res.ci_high["calibration_slope"] - ref["slope_ci"][1]) < 1e-6
    # R: coef(glm(y ~ 1, offset = qlogis(p), binomial)); confint.default(...)
    assert abs(res.estimate["calibration_intercept"] - ref["intercept"]) < 1e-6
    assert abs(res.ci_low["calibration_intercept"] - ref["intercept_ci"][0]) < 1e-6
    assert abs(res.ci_high["calibration_intercept"] - ref["intercept_ci"][1]) < 1e-6
    assert res.ci_low["brier"] < res.estimate["brier"] < res.ci_high["brier"]


def test_calibration_rejects_non_probabilities_and_clips_extremes():
    from hemstats.stats.diagnostic.calibration import calibration

    y, s = _case("weak_n40")
    with pytest.raises(InputError, match=r"probabilities in \[0, 1\]"):
        calibration(from_arrays(y, s * 3))
    res = calibration(from_arrays(y, np.where(s > 0.5, 1.0, s)), n_resamples=50, rng=0)
    assert res.reason.fillna("").str.contains("clipped").any()


def test_reliability_curve_matches_sklearn_and_wilson():
    from sklearn.calibration import calibration_curve

    from hemstats.stats.diagnostic.calibration import reliability_curve

    ref = REF["calibration_n400"]
    y, p = np.array(ref["data"]["y"]), np.array(ref["data"]["p"])
    rel = reliability_curve(from_arrays(y, p), n_bins=10, strategy="uniform")
    prob_true, prob_pred = calibration_curve(y, p, n_bins=10, strategy="uniform")
    np.testing.assert_allclose(rel.estimate, prob_true, atol=1e-12)
    np.testing.assert_allclose(rel.mean_predicted, prob_pred, atol=1e-12)
    row = rel.iloc[0]
    assert (row.ci_low, row.ci_high) == pytest.approx(
        proportion_confint(row.n_positive, row.n, alpha=0.05, method="wilson"), abs=1e-12)
    assert rel.n.sum() == len(y)
    q = reliability_curve(from_arrays(y, p), n_bins=5)
    assert q.n.sum() == len(y) and len(q) == 5


# -- segmentation ------------------------------------------------------------------------------
def test_segmentation_per_case_from_masks_and_tables():
    from hemstats.stats.diagnostic.segmentation import segmentation_per_case

    ref = np.zeros((4, 4, 4), dtype=np.uint8)
    ref[:2, :2] = 2  # label 2
    pred = np.zeros_like(ref)
    pred[:2, :1] = 2
    pred[3, 3, 3] = 1  # another label: ignored with label=2
    out = segmentation_per_case({"a": ref, "b": np.zeros_like(ref)}, {"a": pred, "b": np.zeros_like(ref)},
                                spacing_mm=(0.5, 0.5, 4.0), label=2, dataset="toy", findings="iph")
    a = out.set_index("study_id").loc["a"]
    # 16 reference voxels, 8 predicted, 8 shared; voxel = 1 mm3 = 0.001 ml
    assert a.dice == pytest.approx(2 * 8 / 24) and a.iou == pytest.approx(8 / 16)
    assert a.reference_ml == pytest.approx(0.016) and a.abs_volume_error_ml == pytest.approx(0.008)
    b = out.set_index("study_id").loc["b"]
    assert np.isnan(b.dice) and "both masks empty" in b.reason
    with pytest.raises(InputError, match="shape"):
        segmentation_per_case([ref], [ref[:2]], voxel_volume_ml=0.001)
    with pytest.raises(InputError, match="voxel"):
        segmentation_per_case([ref], [ref])
    lesions = pd.DataFrame({"dataset": "toy", "study_id": ["s1", "s2"], "finding": "iph", "volume_ml": [10.0, 4.0]})
    predicted = pd.DataFrame({"dataset": "toy", "study_id": ["s1", "s3"], "finding": "iph", "volume_ml": [12.5, 1.0]})
    vol = segmentation_per_case(lesions, predicted, model="seg").set_index("study_id")
    assert vol.abs_volume_error_ml.to_dict() == {"s1": 2.5, "s2": 4.0, "s3": 1.0}
    assert vol.dice.isna().all()


def test_segmentation_metrics_clustered_ci_equals_loop_over_patients():
    from hemstats.stats.diagnostic.segmentation import segmentation_metrics, segmentation_per_case
    from hemstats.stats.resampling.engine import resample_indices

    rng = np.random.default_rng(0)
    refs = [rng.random((6, 6, 3)) > 0.4 for _ in range(12)]
    preds = [r ^ (rng.random(r.shape) > 0.85) for r in refs]
    patients = np.repeat(["p1", "p2", "p3", "p4", "p5", "p6"], 2)
    cases = segmentation_per_case(refs, preds, voxel_volume_ml=0.002, cluster=patients)
    res = segmentation_metrics(cases, n_resamples=300, rng=4).set_index("metric")
    assert res.n["dice"] == 12 and res.n_clusters["dice"] == 6
    # the same resamples by hand: whole patients, mean of their cases' Dice
    gen = np.random.default_rng(4)
    idx = np.vstack(list(resample_indices(np.zeros(12), cluster=patients, stratify=False, n_resamples=300, rng=gen)))
    order = pd.unique(patients)
    dice = cases.dice.to_numpy()
    loop = [np.mean(np.concatenate([dice[patients == order[u]] for u in row])) for row in idx]
    assert res.estimate["dice"] == pytest.approx(dice.mean())
    assert (res.ci_low["dice"], res.ci_high["dice"]) == pytest.approx(tuple(np.quantile(loop, [0.025, 0.975])), abs=1e-12)


# -- the aggregate -----------------------------------------------------------------------------
def test_performance_on_demo_has_every_metric(demo_cohort):
    from hemstats.stats.diagnostic.operating_points import PERFORMANCE_COLUMNS, performance

    res = performance(demo_cohort, findings=["any", "sdh"], level="study", n_resamples=200, rng=0)
    assert tuple(res.columns) == PERFORMANCE_COLUMNS
    expected = {"auc", "average_precision", *METRICS, "brier", "calibration_intercept", "calibration_slope"}
    for _, g in res.groupby(["finding", "model"], observed=True):
        assert set(g.metric) == expected
    ok = res.dropna(subset=["ci_low"])
    assert ((ok.ci_low <= ok.estimate + 1e-12) & (ok.estimate <= ok.ci_high + 1e-12)).all()
    clustered = performance(demo_cohort, findings="any", level="slice", cluster="study_id",
                            include=("auc", "threshold"), n_resamples=200, rng=0)
    # method codes say the design since issue 11: stratified for AUC/sensitivity/specificity, cohort for PPV...
    assert clustered.method.str.contains("cluster-bootstrap-percentile").all()
    by_metric = clustered.set_index("metric").method
    assert by_metric["auc"].startswith("stratified-") and not by_metric["ppv"].startswith("stratified-")
    assert (clustered.n_clusters < clustered.n).all()
    with pytest.raises(InputError, match="include"):
        performance(demo_cohort, include=("auc", "kappa"))


def test_performance_is_reproducible_with_a_seed(demo_cohort):
    from hemstats.stats.diagnostic.operating_points import performance

    a = performance(demo_cohort, findings="any", level="study", n_resamples=100, rng=3)
    b = performance(demo_cohort, findings="any", level="study", n_resamples=100, rng=3)
    pd.testing.assert_frame_equal(a, b)


def test_calibration_intercept_survives_extreme_offsets_where_glm_diverges():
    # Scores of exactly 0 for some cases (as CQ500's vendor IVH probabilities): IRLS (R's glm,
    # statsmodels GLM) diverges to about -4e15 there; the MLE solves sum(y - expit(a + lp)) = 0.
    from scipy.special import expit, logit

    from hemstats.stats.diagnostic.calibration import calibration

    rng = np.random.default_rng(5)
    p = np.round(rng.beta(0.3, 3, 500), 2)  # many exact zeros
    y = (rng.random(500) < np.clip(p + 0.02, 0, 1)).astype(int)
    y[np.flatnonzero(p == 0)[:3]] = 1  # positives scored 0: offsets of -13.8
    res = calibration(from_arrays(y, p), n_resamples=50, rng=0).set_index("metric")
    a = res.estimate["calibration_intercept"]
    lp = logit(np.clip(p, 1e-6, 1 - 1e-6))
    assert abs(np.sum(y - expit(a + lp))) < 1e-8
    assert -5 < a < 5 and res.ci_low["calibration_intercept"] < a < res.ci_high["calibration_intercept"]
    assert "clipped" in res.reason["calibration_intercept"]


@pytest.mark.shared_data
def test_cq500_calibration_and_reliability_run_on_real_probabilities(shared_data):
    import matplotlib

    matplotlib.use("Agg")
    from hemstats.datasets import cq500
    from hemstats.plots.diagnostic import reliability_diagram
    from hemstats.stats.diagnostic.calibration import calibration, reliability_curve

    cohort = cq500.load(shared_data / "cq500")
    cal = calibration(cohort, n_resamples=100, rng=0)
    assert np.isfinite(cal.estimate).all() and (cal.estimate.abs() < 10).all()
    rel = reliability_curve(cohort, findings="ivh", n_bins=10)
    ax = reliability_diagram(rel)  # bins with observed 0: error bars must not go negative
    assert len(ax.containers) == 1


# -- issues 10 and 11 ---------------------------------------------------------------------------
def test_degenerate_operating_point_gets_wilson_not_a_zero_width_bootstrap():
    # 6 positives, all above the threshold: the bootstrap printed "1.000 (1.000 to 1.000)"
    y = np.r_[np.ones(6), np.zeros(30)].astype(int)
    s = np.r_[np.linspace(0.7, 0.95, 6), np.linspace(0.0, 0.6, 30)]
    res = threshold_metrics(from_arrays(y, s), threshold=0.5, interval="bootstrap", n_resamples=300, rng=0).set_index("metric")
    sens = res.loc["sensitivity"]
    assert sens.estimate == 1.0 and sens.method == "wilson" and "zero width" in sens.reason
    lo, hi = proportion_confint(6, 6, alpha=0.05, method="wilson")  # statsmodels Wilson, 6 of 6
    assert (sens.ci_low, sens.ci_high) == pytest.approx((lo, hi), abs=1e-12) and sens.ci_low < 1
    assert res.loc["f1"].method.endswith("bootstrap-percentile")


def test_resampling_design_per_metric_is_named_in_method():
    y, s = _case("weak_n40")
    res = threshold_metrics(from_arrays(y, s), interval="bootstrap", n_resamples=200, rng=0).set_index("metric").method
    for m in ("sensitivity", "specificity", "balanced_accuracy", "youden_j"):
        assert res[m] == "stratified-bootstrap-percentile", m
    for m in ("ppv", "npv", "f1", "accuracy"):  # depend on prevalence: cohort (unstratified) resampling
        assert res[m] == "bootstrap-percentile", m
    forced = threshold_metrics(from_arrays(y, s), interval="bootstrap", stratify=True, n_resamples=200, rng=0).set_index("metric")
    assert forced.method["ppv"] == "stratified-bootstrap-percentile"
    from hemstats.stats.diagnostic.calibration import calibration

    cal = calibration(from_arrays(y, np.clip(s / (1 + np.abs(s)) + 0.5, 0, 1)), n_resamples=200, rng=0).set_index("metric")
    assert cal.method["brier"] == "bootstrap-percentile"  # was the class-stratified bootstrap


@pytest.mark.slow
def test_cohort_bootstrap_of_ppv_and_npv_covers_under_cohort_sampling():
    """400 simulated cohorts (n = 200, prevalence 0.15, scores N(1.5 y, 1), threshold 1), 500 resamples.

    Band 93-97% widened by 2 Monte Carlo SE of a 95% coverage over 400 simulations
    (2 * sqrt(0.95 * 0.05 / 400) = 2.2 points): [0.908, 0.992].  Measured with this seed:
    PPV 0.960, NPV 0.958 (the class-stratified bootstrap, the old default: 0.835 and 0.913).
    """
    from hemstats.stats.coverage.diagnostic import operating_point_coverage

    tab = _coverage(operating_point_coverage(sample_size=200, prevalence=0.15, statistics=("ppv", "npv"),
                                             designs=("cohort",), n_simulations=400, n_resamples=500,
                                             rng=20261201)).set_index("statistic")
    mc = 2 * np.sqrt(0.95 * 0.05 / 400)
    for m in ("ppv", "npv"):
        assert tab.n_simulations[m] == 400
        assert 0.93 - mc <= tab.coverage[m] <= 0.97 + mc, (m, tab.coverage[m])


def test_reader_operating_points_count_units_without_a_majority():
    ids = [f"s{i}" for i in range(6)]
    truth = [1, 1, 0, 0, 1, 0]
    rows = []
    for r in ("R1", "R2", "R3"):
        for i, t in zip(ids, truth):
            if r != "R1" and i == "s5":
                continue  # s5: one reader of three, no majority (the old rule: 1 of 1)
            rows.append({"dataset": "d", "study_id": i, "slice_id": pd.NA, "level": "study", "finding": "any",
                         "rater": r, "value": t})
    pts = reader_operating_points(pd.DataFrame(rows), reference="majority")
    units = pts.groupby("rater").n.sum()  # cases (sensitivity) + controls (specificity)
    assert (units == 5).all() and len(pts) == 6
    assert pts.reason.str.startswith("1 units without a majority").all()
    assert (pts.method == "wilson").all()


def test_reliability_curve_counts_clusters(demo_cohort):
    from hemstats.stats.diagnostic.calibration import RELIABILITY_COLUMNS, reliability_curve

    rel = reliability_curve(demo_cohort, findings="any", level="slice", n_bins=4)
    assert tuple(rel.columns) == RELIABILITY_COLUMNS
    assert (rel.n_clusters <= rel.n).all() and (rel.n_clusters < rel.n).any()  # slices share patients
