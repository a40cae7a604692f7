"""Tests of hemstats.stats.acquisition (acquisition mix, effects on labels, heterogeneity across strata)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hemstats.acquisition import harmonize
from hemstats.datasets import demo

REF = Path(__file__).resolve().parents[1] / "reference"


def reference_frame() -> pd.DataFrame:
    """The data tests/reference/scanner.R reads (tests/reference/scanner.csv): demo seed 0, 1200 studies."""
    c = demo.load(n_studies=1200, seed=0)
    h = harmonize(c.studies)
    lab = c.labels[(c.labels.level == "study") & (c.labels.rater == "consensus")]
    y = lab.pivot_table(index="study_id", columns="finding", values="value", aggfunc="first", observed=True)
    pr = c.predictions[(c.predictions.level == "study") & (c.predictions.finding == "any")]
    s = pr.pivot_table(index="study_id", columns="model", values="score", aggfunc="first", observed=True)
    out = pd.DataFrame({
        "study_id": h["study_id"].astype(str),
        "patient_id": h["patient_id"].astype(str),
        "vendor": h["vendor"].astype(object),
        "scanner_model": h["scanner_model"].astype(object),
        "kernel_family": h["kernel_family"].astype(object),
        "kernel_class": h["kernel_class"].astype(object),
        "thickness_bin": h["thickness_bin"].astype(object),
        "kvp": h["kvp"].astype(float),
        "age_years": h["age_years"].astype(float),
        "sex": h["sex"].astype(object),
    })
    sid = out["study_id"]
    out["y_any"] = y.loc[sid, "any"].to_numpy().astype(int)
    out["y_edh"] = y.loc[sid, "edh"].to_numpy().astype(int)
    out["score_a"] = s.loc[sid, "model_a"].to_numpy()
    out["score_b"] = s.loc[sid, "model_b"].to_numpy()
    return out


from hemstats.stats.acquisition.effects import EFFECT_COLUMNS, acquisition_effects, cramers_v_interval  # noqa: E402
from hemstats.stats.acquisition.heterogeneity import (  # noqa: E402
    HETEROGENEITY_COLUMNS,
    auc_heterogeneity,
    correct_interaction,
    heterogeneity,
)
from hemstats.stats.acquisition.mix import (  # noqa: E402
    DISTRIBUTION_COLUMNS,
    MIX_COLUMNS,
    acquisition_distribution,
    acquisition_mix,
)
from hemstats.stats.diagnostic.auc import delong  # noqa: E402


@pytest.fixture(scope="module")
def r_ref() -> dict:
    return json.loads((REF / "scanner.json").read_text())


@pytest.fixture(scope="module")
def data():
    return demo.simulate(1200, seed=0)


@pytest.fixture(scope="module")
def cohort(data):
    return data.cohort


def test_reference_csv_is_current(cohort):
    # tests/reference/scanner.csv is what scanner.R read; it must still be the demo cohort's data.
    written = pd.read_csv(REF / "scanner.csv", keep_default_na=False, na_values=[""], float_precision="round_trip")
    fresh = reference_frame()
    pd.testing.assert_frame_equal(written.reset_index(drop=True), fresh.reset_index(drop=True), check_dtype=False,
                                  rtol=0, atol=0)


# -- descriptive ---------------------------------------------------------------------------------
def test_acquisition_mix_matches_crosstab(cohort):
    before = cohort.studies.copy()
    mix = acquisition_mix(cohort.studies)
    pd.testing.assert_frame_equal(cohort.studies, before)  # input not modified
    h = harmonize(cohort.studies)
    ct = h.groupby(["vendor", "scanner_model", "kernel_family", "thickness_bin"], observed=True).size()
    got = mix.set_index(["vendor", "scanner_model", "kernel_family", "thickness_bin"])["n_positive"]
    assert got.sort_index().to_dict() == {k: v for k, v in ct.sort_index().to_dict().items()}
    assert mix["n"].eq(1200).all() and mix["estimate"].sum() == pytest.approx(1.0, abs=1e-12)
    assert (mix["metric"] == "share").all() and mix["n_positive"].is_monotonic_decreasing
    assert list(mix.columns) == list(MIX_COLUMNS)


def test_acquisition_mix_keeps_missing_apart():
    studies = pd.DataFrame({"dataset": "x", "study_id": ["a", "b", "c"], "patient_id": ["p", "q", "r"],
                            "manufacturer": ["GE", None, "GE"],
                            "scanner_model": ["m", "m", "m"], "kernel": ["BONE", "BONE", None],
                            "slice_thickness_mm": [1.0, 1.0, 1.0]})
    mix = acquisition_mix(studies)
    assert len(mix) == 3 and mix["n_positive"].tolist() == [1, 1, 1]
    assert mix["vendor"].isna().sum() == 1 and mix["kernel_family"].isna().sum() == 1


def test_acquisition_distribution_matches_numpy(cohort):
    dist = acquisition_distribution(cohort.studies)
    assert list(dist.columns) == list(DISTRIBUTION_COLUMNS)
    for var in ("kvp", "tube_current_ma", "slice_thickness_mm"):
        x = cohort.studies[var].to_numpy(dtype=float)
        part = dist[dist["variable"] == var]
        row = part.set_index("metric")["estimate"].to_dict()
        row.update(n=part["n"].iloc[0], n_missing=part["n_missing"].iloc[0])
        assert row["n"] == 1200 and row["n_missing"] == 0
        assert row["mean"] == pytest.approx(x.mean(), rel=1e-12)
        assert row["sd"] == pytest.approx(x.std(ddof=1), rel=1e-12)
        assert (row["q1"], row["median"], row["q3"]) == pytest.approx(tuple(np.quantile(x, [0.25, 0.5, 0.75])))
        assert (row["min"], row["max"]) == (x.min(), x.max())


# -- association with labels, against R -------------------------------------------------------------
def test_association_against_r(cohort, r_ref):
    eff = acquisition_effects(cohort.labels, studies=cohort.studies, findings="any", model=False)
    eff = eff.set_index("variable")
    for var, ref in r_ref["association_any"].items():
        row = eff.loc[var]
        # R: chisq.test(table(v, y_any), correct=FALSE); V = sqrt(X2 / (n (min(r, c) - 1)))
        assert row["statistic"] == pytest.approx(ref["statistic"], abs=1e-6)
        assert row["df"] == ref["df"]
        assert row["p_value"] == pytest.approx(ref["p_value"], abs=1e-6)
        assert row["estimate"] == pytest.approx(ref["cramers_v"], abs=1e-6)
        assert row["test"] == "chi-squared" and row["metric"] == "cramers-v"
    assert eff["p_adjusted"].ge(eff["p_value"]).all()


def test_fisher_for_small_2x2_against_r(cohort, r_ref):
    sub = cohort.select("demo")
    first = sub.studies["study_id"].iloc[:200]
    labels = sub.labels[sub.labels["study_id"].isin(first)]
    studies = sub.studies[sub.studies["study_id"].isin(first)]
    eff = acquisition_effects(labels, studies=studies, findings="edh", columns=("kernel_class",), model=False)
    row = eff.iloc[0]
    ref = r_ref["fisher_edh_first200"]
    assert ref["min_expected"] < 5
    assert row["test"] == "fisher"
    assert row["p_value"] == pytest.approx(ref["p_value"], abs=1e-6)  # R: fisher.test(table(kernel_class, y_edh))
    assert row["estimate"] == pytest.approx(ref["cramers_v"], abs=1e-6)
    assert row["statistic"] == pytest.approx(ref["statistic"], abs=1e-6)


_R_TERM = {
    "vendor: Philips vs GE": "vendorPhilips",
    "vendor: SIEMENS vs GE": "vendorSIEMENS",
    "kernel_family: bone vs standard": "kernel_familybone",
    "kernel_family: soft vs standard": "kernel_familysoft",
    "thickness_bin: <=1.5 vs 3-5": "thickness_bin<=1.5",
    "thickness_bin: 1.5-3 vs 3-5": "thickness_bin1.5-3",
    "kvp (per 10 kV)": "kvp10",
    "age_years (per 10 years)": "age10",
    "sex: F vs M": "sexF",
}


def test_independence_gee_equals_r_glm_and_sandwich(cohort, r_ref):
    eff = acquisition_effects(cohort.labels, studies=cohort.studies, findings="any", columns=(),
                              cov_struct="independence")
    ref = r_ref["glm_any"]
    terms = dict(zip(ref["terms"], range(len(ref["terms"]))))
    assert set(eff["term"]) == set(_R_TERM)
    z = 1.959963984540054
    for row in eff.itertuples():
        j = terms[_R_TERM[row.term]]
        # R: exp(coef(glm(y_any ~ vendor + kernel_family + thickness_bin + kvp10 + age10 + sex, binomial)))
        assert row.estimate == pytest.approx(ref["odds_ratio"][j], abs=1e-6)
        # R: sqrt(diag(sandwich::vcovCL(fit, cluster=~patient_id, type="HC0", cadjust=FALSE)))
        se = np.log(row.ci_high / row.estimate) / z
        assert se == pytest.approx(ref["robust_se"][j], abs=1e-6)
        assert row.n == ref["n"] and bool(row.converged)
    assert list(eff.columns) == list(EFFECT_COLUMNS)


def test_exchangeable_gee_equals_statsmodels(cohort):
    import statsmodels.formula.api as smf
    from statsmodels.genmod import cov_struct, families

    eff = acquisition_effects(cohort.labels, studies=cohort.studies, findings="sdh", columns=())
    frame = reference_frame()
    y = cohort.labels.query("level == 'study' and rater == 'consensus' and finding == 'sdh'")
    frame["y"] = y.set_index(y["study_id"].astype(str)).loc[frame["study_id"], "value"].to_numpy()
    frame = frame.dropna(subset=["vendor", "kernel_family", "thickness_bin", "kvp", "age_years", "sex"])
    frame = frame.assign(kvp10=frame.kvp / 10, age10=frame.age_years / 10)
    formula = ("y ~ C(vendor, Treatment('GE')) + C(kernel_family, Treatment('standard'))"
               " + C(thickness_bin, Treatment('3-5')) + kvp10 + age10 + C(sex, Treatment('M'))")
    fit = smf.gee(formula, groups="patient_id", data=frame, family=families.Binomial(),
                  cov_struct=cov_struct.Exchangeable()).fit()
    ours = np.sort(np.log(eff["estimate"].to_numpy()))
    theirs = np.sort(fit.params.to_numpy()[1:])
    np.testing.assert_allclose(ours, theirs, atol=1e-8)
    assert (eff["method"] == "gee-exchangeable-robust-wald").all() and (eff["metric"] == "odds-ratio").all()


def test_gee_nonconvergence_is_reported(cohort):
    # edh made a deterministic function of vendor: complete separation, no finite maximum.
    studies = cohort.studies
    siemens = set(studies.loc[studies["manufacturer"] == "SIEMENS", "study_id"])
    labels = cohort.labels.copy()
    edh = labels["finding"] == "edh"
    labels.loc[edh, "value"] = labels.loc[edh, "study_id"].isin(siemens).astype("int8")
    eff = acquisition_effects(labels, studies=studies, findings=["edh", "any"], columns=())
    bad = eff[eff["finding"] == "edh"]
    assert len(bad) == 9 and (~bad["converged"]).all() and bad["estimate"].isna().all()
    assert bad["reason"].str.contains("did not converge").all()
    good = eff[eff["finding"] == "any"]
    assert good["converged"].all() and good["estimate"].notna().all()


def test_one_class_and_one_level_give_nan_with_reason(cohort):
    labels = cohort.labels.copy()
    labels.loc[labels["finding"] == "edh", "value"] = 0
    before = labels.copy()
    studies = cohort.studies.assign(kvp=120.0)
    eff = acquisition_effects(labels, studies=studies, findings=["edh", "any"])
    pd.testing.assert_frame_equal(labels, before)
    edh = eff[eff["finding"] == "edh"]
    assert edh["estimate"].isna().all() and edh["reason"].str.contains("one class").all()
    kvp = eff[(eff["finding"] == "any") & (eff["variable"] == "kvp")]
    assert kvp["estimate"].isna().all() and kvp["reason"].str.contains("1 level|constant").all()


def test_gee_by_site_warns_about_few_clusters(cohort):
    eff = acquisition_effects(cohort.labels, studies=cohort.studies, findings="any", columns=(),
                              cluster="site", cov_struct="independence")
    assert eff["reason"].str.contains("only 3 clusters of site").all()
    assert (eff["n_clusters"] == 3).all()
    # the point estimates of an independence GEE do not depend on the clusters
    by_patient = acquisition_effects(cohort.labels, studies=cohort.studies, findings="any", columns=(),
                                     cov_struct="independence")
    np.testing.assert_allclose(eff["estimate"], by_patient["estimate"], rtol=1e-8)


def test_aliased_term_listed(cohort):
    # scanner_model is nested in vendor: its indicators are aliased and reported, not a crash.
    eff = acquisition_effects(cohort.labels, studies=cohort.studies, findings="any", columns=(),
                              covariates=("vendor", "scanner_model"))
    aliased = eff[eff["reason"].str.contains("aliased", na=False)]
    assert len(aliased) >= 1 and aliased["estimate"].isna().all()
    assert eff["estimate"].notna().sum() >= 2


def test_cramer_interval_inverts_the_noncentral_chi_squared():
    from scipy import stats

    for chi2, n, k, df in ((10.0, 200, 2, 2.0), (25.0, 120, 2, 4.0), (3.0, 80, 2, 1.0)):
        low, high = cramers_v_interval(chi2, n, k, df, 0.9)
        lam_low, lam_high = low**2 * n * (k - 1), high**2 * n * (k - 1)
        # the observed chi-squared is the upper (lower) 5 % point of the noncentral chi-squared at the bounds
        if lam_low > 0:
            assert stats.ncx2.sf(chi2, df, lam_low) == pytest.approx(0.05, abs=1e-8)
        else:
            assert stats.chi2.sf(chi2, df) >= 0.05
        assert stats.ncx2.cdf(chi2, df, lam_high) == pytest.approx(0.05, abs=1e-8)
        assert low <= np.sqrt(chi2 / (n * (k - 1))) <= high


def test_cramer_ci_contains_estimate_or_says_why(cohort):
    eff = acquisition_effects(cohort.labels, studies=cohort.studies, findings=["any", "sdh", "edh"], model=False)
    assert (eff["method"] == "noncentral-chi-squared").all()
    has = eff["ci_low"].notna()
    assert has.sum() >= 5
    assert ((eff.ci_low <= eff.estimate) & (eff.estimate <= eff.ci_high))[has].all()
    assert eff.loc[~has & eff.estimate.notna(), "reason"].str.contains("no interval, read the test").all()


# -- performance by stratum, against R --------------------------------------------------------------
def test_auc_by_stratum_against_proc(cohort, r_ref):
    # cluster=None: independent rows, the pROC / glm parity path (labelled "independent")
    res = heterogeneity(cohort, findings="any", n_resamples=20, cluster=None, rng=0)
    assert res.columns.tolist() == list(HETEROGENEITY_COLUMNS)
    for model, key in (("model_a", "score_a"), ("model_b", "score_b")):  # noqa: B007 (used in query)
        ref = r_ref["auc_by_kernel_family"][key]
        rows = res.query("model == @model and kind == 'stratum' and metric == 'auc'").set_index("subgroup_value")
        assert set(rows["method"]) == {"delong"}  # hemstats.stats.auc(by="kernel_family") rows
        for k, stratum in enumerate(ref["strata"]):
            # R: auc(roc(y, score)), ci.auc(roc, method="delong") within the stratum
            assert rows.loc[stratum, "estimate"] == pytest.approx(ref["auc"][k], abs=1e-6)
            assert rows.loc[stratum, "ci_low"] == pytest.approx(ref["ci_low"][k], abs=1e-6)
            assert rows.loc[stratum, "ci_high"] == pytest.approx(ref["ci_high"][k], abs=1e-6)
        het = res.query("model == @model and method == 'q-test-delong-independent'").iloc[0]
        # R: Q = sum(w (auc - pooled)^2), w = 1 / var(roc, method="delong"); pchisq(Q, K - 1, lower.tail=FALSE)
        assert het["estimate"] == pytest.approx(ref["pooled"], abs=1e-6)
        assert het["statistic"] == pytest.approx(ref["Q"], abs=1e-6)
        assert het["df"] == ref["df"]
        assert het["p_value"] == pytest.approx(ref["p_value"], abs=1e-6)
        lrt = res.query("model == @model and method == 'lr-test-independent'").iloc[0]
        r_lrt = r_ref["correct_interaction"][key]
        # R: anova(glm(correct ~ y, binomial), glm(correct ~ y * stratum, binomial), test="LRT")
        assert lrt["statistic"] == pytest.approx(r_lrt["statistic"], abs=1e-6)
        assert lrt["df"] == r_lrt["df"]
        assert lrt["p_value"] == pytest.approx(r_lrt["p_value"], abs=1e-6)
    q = res.query("method == 'q-test-delong-independent'").set_index("model")["p_adjusted"]
    # R: p.adjust(c(p_a, p_b), method="holm")
    np.testing.assert_allclose(q[["model_a", "model_b"]].to_numpy(), r_ref["holm_q"], atol=1e-6)


def test_delong_variance_matches_proc(r_ref):
    frame = reference_frame()
    ref = r_ref["auc_by_kernel_family"]["score_a"]
    for k, stratum in enumerate(ref["strata"]):
        sub = frame[frame["kernel_family"] == stratum]
        _, cov = delong(sub["y_any"].to_numpy(), sub["score_a"].to_numpy())
        assert cov[0, 0] == pytest.approx(ref["var"][k], rel=1e-6)  # R: var(roc, method="delong")


def test_auc_heterogeneity_and_interaction_edge_cases():
    assert np.isnan(auc_heterogeneity([0.8], [0.01])[1])
    assert np.isnan(auc_heterogeneity([0.8, 0.9], [0.01, 0.0])[1])
    pooled, q, df, p = auc_heterogeneity([0.8, 0.8, 0.8], [0.01, 0.02, 0.03])
    assert (pooled, q, df, p) == (pytest.approx(0.8), pytest.approx(0.0, abs=1e-15), 2.0, pytest.approx(1.0))
    g, df, p = correct_interaction([1, 1, 0, 0], [1, 1, 1, 1], ["a", "b", "a", "b"])  # all correct: G = 0
    assert g == 0.0 and df == 2.0 and p == pytest.approx(1.0)
    assert np.isnan(correct_interaction([1, 0], [1, 0], ["a", "a"])[0])


def test_recovers_model_a_kernel_effect(data):
    # The simulator's true AUC (soft kernels 0.93: families soft and standard; sharp 0.85: bone) lies in
    # every stratum's DeLong and bootstrap CI; the heterogeneity test rejects for model_a only.
    res = heterogeneity(data.cohort, findings="any", n_resamples=1000, rng=0)
    boot = heterogeneity(data.cohort, findings="any", n_resamples=1000, interval="bootstrap", rng=0)
    truth = data.truth["auc"]
    fam_truth = {"soft": "soft", "standard": "soft", "sharp": "sharp", "bone": "sharp"}
    auc = pd.concat([r.query("kind == 'stratum' and metric == 'auc'") for r in (res, boot)])
    assert set(auc["method"]) == {"clustered-delong", "stratified-cluster-bootstrap-percentile"}
    for row in auc.itertuples():
        true = truth[row.model]["any"][fam_truth[row.subgroup_value]]
        assert row.ci_low <= true <= row.ci_high, row
    het = res.query("method == 'q-test-clustered-delong'").set_index("model")
    assert het.loc["model_a", "p_value"] < 0.01 and het.loc["model_b", "p_value"] > 0.05
    # demo truth: every soft kernel maps to soft/standard, every sharp one to sharp/bone
    h = harmonize(data.cohort.studies)
    simulated = h["study_id"].astype(str).map(data.truth["kernel_family"])
    assert (h["kernel_family"].astype(str).map(fam_truth) == simulated).all()


def test_stratum_with_few_cases_gets_nan_and_reason(cohort):
    studies = cohort.studies.copy()
    before = studies.copy()
    # Three studies on an unrecorded kernel: an 'unknown' stratum far too small to test.
    studies["kernel"] = studies["kernel"].cat.add_categories(["XQ99"])
    studies.loc[studies.index[:3], "kernel"] = "XQ99"
    snapshot = studies.copy()
    res = heterogeneity(cohort.predictions, labels=cohort.labels, studies=studies, findings="any", n_resamples=20,
                        rng=0)
    pd.testing.assert_frame_equal(studies, snapshot)
    pd.testing.assert_frame_equal(cohort.studies, before)
    unk = res.query("subgroup_value == 'unknown'")
    assert set(unk["metric"]) == {"auc", "sensitivity", "specificity"} and (unk["n"] <= 3).all()
    assert unk["reason"].str.contains("left out of the heterogeneity tests: .* < min_per_class=5").all()
    het = res.query("metric == 'auc' and kind == 'heterogeneity'")
    assert het["reason"].str.contains("strata left out: unknown").all() and het["p_value"].notna().all()


def test_one_stratum_gives_no_test(cohort):
    studies = cohort.studies.assign(site="only")
    res = heterogeneity(cohort.predictions, labels=cohort.labels, studies=studies, by="site", findings="any",
                        n_resamples=20, rng=0)
    het = res.query("kind == 'heterogeneity'")
    assert het["p_value"].isna().all() and het["reason"].notna().all()


def test_bootstrap_rows_and_sensitivity(cohort):
    res = heterogeneity(cohort, findings="any", models="model_b", by="kernel_class", n_resamples=300, rng=5)
    sens = res.query("metric == 'sensitivity'")
    assert set(sens["method"]) == {"stratified-cluster-bootstrap-percentile"}
    assert set(res["model"]) == {"model_b"} and set(sens["subgroup_value"]) == {"smooth", "sharp"}
    assert ((sens.ci_low <= sens.estimate) & (sens.estimate <= sens.ci_high)).all()
    assert (sens["n"] == sens["n_positive"]).all()
    again = heterogeneity(cohort, findings="any", models="model_b", by="kernel_class", n_resamples=300, rng=5)
    pd.testing.assert_frame_equal(res, again)


# -- error rate over seeded repetitions -------------------------------------------------------------
@pytest.mark.slow
def test_no_effect_rejection_rate_fast_path():
    """model_b (no kernel effect): the Q test rejects at about 5 % (600 seeded replicates, 99.9 % binomial band).

    The fast path draws only what the test statistic sees, from the demo's generative model: the
    kernel-family shares of the demo cohort (seed 0), ``any`` with the demo prevalence, and
    ``model_b``'s binormal scores (``d = sqrt(2) Phi^-1(AUC)``, the same in every family).
    """
    from scipy import stats

    base = harmonize(demo.load(n_studies=1200, seed=0).studies)["kernel_family"].astype(str).to_numpy()
    auc = demo.MODELS["model_b"]["any"][0]
    d = np.sqrt(2) * stats.norm.ppf(auc)
    prevalence = 0.37
    n_rep, alpha = 600, 0.05
    rejections = 0
    for r in range(n_rep):
        rng = np.random.default_rng([20261122, r])
        fam = rng.permutation(base)
        y = (rng.random(len(fam)) < prevalence).astype(int)
        s = d * y + rng.standard_normal(len(fam))
        est, var = [], []
        for k in ("soft", "standard", "bone"):
            a, v = delong(y[fam == k], s[fam == k])
            est.append(a[0])
            var.append(v[0, 0])
        rejections += auc_heterogeneity(est, var)[3] < alpha
    low, high = stats.binom.ppf([0.0005, 0.9995], n_rep, alpha)
    assert low <= rejections <= high, rejections


@pytest.mark.slow
def test_no_effect_rejection_rate_demo_cohorts():
    """Through the whole table path: 15 demo cohorts; model_b rejects rarely, model_a nearly always."""
    from scipy import stats

    p_a, p_b = [], []
    for seed in range(1, 16):
        cohort = demo.load(n_studies=1200, seed=seed, slice_fraction=0)
        res = heterogeneity(cohort, findings="any", n_resamples=20, rng=seed)
        het = res.query("method == 'q-test-clustered-delong'").set_index("model")["p_value"]
        p_a.append(het["model_a"])
        p_b.append(het["model_b"])
    rej_b = int((np.array(p_b) < 0.05).sum())
    assert rej_b <= stats.binom.ppf(0.999, 15, 0.05), rej_b  # <= 4 of 15
    assert (np.array(p_a) < 0.05).mean() >= 0.8


def test_holm_equals_statsmodels():
    from statsmodels.stats.multitest import multipletests

    from hemstats.stats._core.multiplicity import holm

    rng = np.random.default_rng(4)
    for n in (1, 2, 7, 40):
        p = rng.random(n) ** 3
        p[: n // 3] = p[0]  # ties
        frame = pd.DataFrame({"family": np.repeat(["a", "b"], n), "p_value": np.r_[p, p / 2]})
        frame.loc[0, "p_value"] = np.nan  # missing p-values stay missing and do not count
        got = holm(frame, ["family"])
        assert np.isnan(got[0])
        np.testing.assert_allclose(got[1:n], multipletests(p[1:], method="holm")[1], rtol=1e-12)
        np.testing.assert_allclose(got[n:], multipletests(p / 2, method="holm")[1], rtol=1e-12)


def test_cramer_interval_matches_base_r():
    # reference: tests/reference/cramers_v.R (base R pchisq(ncp=) inverted with uniroot)
    import json
    from pathlib import Path

    cases = json.loads((Path(__file__).parents[1] / "reference" / "cramers_v.json").read_text())
    for c in cases:
        low, high = cramers_v_interval(c["chi2"], int(c["n"]), int(c["k"]), c["df"], c["confidence_level"])
        assert low == pytest.approx(c["ci_low"], abs=1e-7)
        assert high == pytest.approx(c["ci_high"], abs=1e-7)
