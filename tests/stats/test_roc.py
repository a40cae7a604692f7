"""AUC, DeLong, paired comparison and average precision against pROC, sklearn and CQ500."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score

from hemstats.errors import InputError, JoinError, OneClassError
from hemstats.stats.diagnostic.arrays import from_arrays
from hemstats.stats.diagnostic.auc import (
    AUC_COLUMNS,
    COMPARE_COLUMNS,
    auc,
    average_precision,
    compare_auc,
    delong,
    paired_scores,
)

REF = json.loads((Path(__file__).resolve().parents[1] / "reference" / "performance.json").read_text())
CASES = ["ties_n80", "ties_n600", "weak_n40"]


def _case(name):
    d = REF[name]["data"]
    return np.array(d["y"]), np.array(d["s1"], dtype=float), np.array(d["s2"], dtype=float)


@pytest.mark.parametrize("name", CASES)
def test_auc_and_delong_ci_match_pROC(name):
    ref = REF[name]
    y, s1, s2 = _case(name)
    # pROC: auc(roc(y, s1, levels=c(0,1), direction="<"))
    res = auc(from_arrays(y, s1))
    assert abs(res.estimate[0] - ref["auc_1"]) < 1e-6
    # pROC: ci.auc(r1, interval="delong", conf.level=0.95)
    assert abs(res.ci_low[0] - ref["ci_delong_95"][0]) < 1e-6
    assert abs(res.ci_high[0] - ref["ci_delong_95"][1]) < 1e-6
    # pROC: ci.auc(r1, interval="delong", conf.level=0.90)
    res90 = auc(from_arrays(y, s1), confidence_level=0.9)
    assert abs(res90.ci_low[0] - ref["ci_delong_90"][0]) < 1e-6
    assert abs(res90.ci_high[0] - ref["ci_delong_90"][1]) < 1e-6
    # pROC: var(r1, interval="delong")
    _, cov = delong(y, s1)
    assert abs(cov[0, 0] - ref["var_delong_1"]) < 1e-9
    # pROC: ci.auc(r2, interval="delong") -- paired call, second model
    both = auc(from_arrays(y, np.column_stack([s1, s2])))
    assert abs(both.estimate[1] - ref["auc_2"]) < 1e-6
    assert abs(both.ci_low[1] - ref["ci_delong_95_model_2"][0]) < 1e-6
    assert abs(both.ci_high[1] - ref["ci_delong_95_model_2"][1]) < 1e-6


@pytest.mark.parametrize("name", CASES)
def test_compare_auc_matches_pROC_roc_test(name):
    ref = REF[name]
    y, s1, s2 = _case(name)
    # pROC: roc.test(r1, r2, paired=TRUE, interval="delong") -> statistic, p.value, conf.int
    res = compare_auc(from_arrays(y, np.column_stack([s1, s2])))
    assert abs(res.z[0] - ref["roc_test_z"]) < 1e-6
    assert abs(res.p_value[0] - ref["roc_test_p"]) < 1e-6
    assert abs(res.ci_low[0] - ref["roc_test_conf_int"][0]) < 1e-6
    assert abs(res.ci_high[0] - ref["roc_test_conf_int"][1]) < 1e-6
    assert abs(res.estimate[0] - (ref["auc_1"] - ref["auc_2"])) < 1e-6
    assert tuple(res.columns) == COMPARE_COLUMNS


@pytest.mark.parametrize("name", CASES)
def test_bootstrap_auc_ci_within_monte_carlo_error_of_pROC(name):
    ref = REF[name]
    y, s1, _ = _case(name)
    # pROC: set.seed(1); ci.auc(r1, interval="bootstrap", boot.n=B, boot.stratified=TRUE)
    res = auc(from_arrays(y, s1), interval="bootstrap", n_resamples=10_000, rng=0)
    dist = auc(from_arrays(y, s1), interval="bootstrap", n_resamples=2000, rng=1)  # only for the spread
    sd = (dist.ci_high[0] - dist.ci_low[0]) / (2 * 1.96)
    # Monte Carlo SE of a 2.5% quantile ~ sd * sqrt(.025 * .975 / B) / phi(1.96), both runs; 4 SE
    mc = lambda b: sd * np.sqrt(0.025 * 0.975 / b) / 0.0584
    tol = 4 * np.hypot(mc(10_000), mc(ref["boot_n"]))
    assert abs(res.ci_low[0] - ref["ci_auc_bootstrap"][0]) < tol
    assert abs(res.ci_high[0] - ref["ci_auc_bootstrap"][1]) < tol


def test_delong_ci_can_fail():
    y, s1, _ = _case("ties_n80")
    res = auc(from_arrays(y, s1 + np.where(y == 1, 0.05, 0)))  # a different predictor: must not match the reference
    assert abs(res.ci_low[0] - REF["ties_n80"]["ci_delong_95"][0]) > 1e-3


def test_average_precision_equals_sklearn():
    y, s1, _ = _case("ties_n600")
    res = average_precision(from_arrays(y, s1), n_resamples=200, rng=0)
    assert abs(res.estimate[0] - average_precision_score(y, s1)) < 1e-12
    # average precision depends on prevalence: unstratified (cohort) resampling by default (issue 11)
    assert res.method[0] == "bootstrap-percentile"
    assert res.ci_low[0] < res.estimate[0] < res.ci_high[0]


# -- tables ------------------------------------------------------------------------------------
def _toy_tables(n=60, seed=0):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.4).astype(int)
    ids = [f"s{i}" for i in range(n)]
    labels = pd.DataFrame({"dataset": "toy", "study_id": ids, "slice_id": pd.NA, "level": "study",
                           "finding": "any", "rater": "consensus", "value": y})
    preds = pd.concat([
        pd.DataFrame({"dataset": "toy", "study_id": ids, "slice_id": pd.NA, "level": "study", "finding": "any",
                      "model": m, "score": np.round(rng.normal(y * d, 1), 2)})
        for m, d in (("m1", 1.5), ("m2", 1.0))
    ], ignore_index=True)
    return preds, labels, y


def test_tables_join_and_equal_sklearn():
    preds, labels, y = _toy_tables()
    before = (preds.copy(), labels.copy())
    res = auc(preds, labels=labels)
    assert tuple(res.columns) == AUC_COLUMNS
    for m in ("m1", "m2"):
        s = preds.loc[preds.model == m, "score"].to_numpy()
        assert abs(res.set_index("model").estimate[m] - roc_auc_score(y, s)) < 1e-12
    pd.testing.assert_frame_equal(preds, before[0])
    pd.testing.assert_frame_equal(labels, before[1])


def test_unmatched_predictions_are_counted_and_nothing_joined_raises():
    preds, labels, _ = _toy_tables()
    res = auc(preds, labels=labels.iloc[5:])
    assert (res.n == 55).all()
    assert res.reason.str.contains("5 predictions without a 'consensus' label").all()
    with pytest.raises(JoinError, match="do not join"):
        auc(preds, labels=labels.assign(dataset="other"))
    with pytest.raises(InputError, match="rater 'R9'"):
        auc(preds, labels=labels, reference="R9")


def test_one_class_group_is_nan_with_reason_and_arrays_are_not_a_cohort():
    preds, labels, _ = _toy_tables()
    res = auc(preds, labels=labels.assign(value=0))
    assert res.estimate.isna().all()
    assert res.reason.str.contains("one class only").all()
    one_class = auc(from_arrays(np.zeros(5), np.arange(5.0)))
    assert one_class.estimate.isna().all() and "one class only" in one_class.reason[0]
    # the issue-12 input rule: statistics take a Cohort or a table; arrays go through from_arrays (y first)
    with pytest.raises(InputError, match="from_arrays"):
        auc(np.arange(5.0), labels=np.zeros(5))
    with pytest.raises(OneClassError):
        delong(np.zeros(5), np.arange(5.0))


def test_nan_score_in_table_names_the_row_not_the_study():
    preds, labels, _ = _toy_tables()
    preds.loc[3, "score"] = np.nan
    with pytest.raises(InputError, match="first: row 3 .*model 'm1'"):
        auc(preds, labels=labels)


def test_delong_refuses_clusters():
    preds, labels, _ = _toy_tables()
    # method="auto" (the default since issue 10) picks the cluster bootstrap; DeLong asked for explicitly refuses
    with pytest.raises(InputError, match="independent rows"):
        auc(preds, labels=labels, cluster="study_id", interval="delong")
    assert auc(preds, labels=labels, cluster="study_id", n_resamples=50, rng=0).method.unique().tolist() == [
        "stratified-cluster-bootstrap-percentile"]
    with pytest.raises(InputError, match="cluster must be"):
        auc(preds, labels=labels, cluster=np.arange(60), interval="bootstrap")


def test_majority_reference():
    preds, labels, y = _toy_tables()
    readers = pd.concat([labels.assign(rater=r, value=v) for r, v in
                         (("R1", y), ("R2", y), ("R3", 1 - y))], ignore_index=True)
    res = auc(preds, labels=readers, reference="majority")
    assert (res.n == 60).all()
    res_c = auc(preds, labels=labels)
    np.testing.assert_allclose(res.estimate, res_c.estimate)


def test_demo_cohort_paired_and_clustered(demo_cohort):
    res = auc(demo_cohort, findings="any")
    assert set(res.level) == {"study", "slice"}
    y, scores = paired_scores(demo_cohort, findings="any")
    assert list(scores.columns) == ["model_a", "model_b"]
    slices = auc(demo_cohort, findings="any", level="slice", interval="bootstrap", cluster="study_id",
                 n_resamples=300, rng=0)
    # cluster=None: independent rows (slices are clustered by patient by default since issue 10)
    rows = auc(demo_cohort, findings="any", level="slice", interval="bootstrap", cluster=None, n_resamples=300, rng=0)
    assert slices.n_clusters[0] < slices.n[0]
    # correlated slices: the patient-clustered interval is wider than the row interval
    assert (slices.ci_high - slices.ci_low)[0] > (rows.ci_high - rows.ci_low)[0]
    by_kernel = auc(demo_cohort, findings="any", level="study", by="kernel")
    assert by_kernel.subgroup.eq("kernel").all() and by_kernel.subgroup_value.notna().all()


# -- real data ---------------------------------------------------------------------------------
PUBLISHED = {"any": 0.94, "iph": 0.95, "ivh": 0.93, "sdh": 0.95, "edh": 0.97, "sah": 0.96}


def _cq500_tables(root: Path):
    reads = pd.read_csv(root / "reads.csv")
    probs = pd.read_csv(root / "prediction_probabilities.csv")
    names = {"ICH": "any", "IPH": "iph", "IVH": "ivh", "SDH": "sdh", "EDH": "edh", "SAH": "sah"}
    labels = pd.concat([
        pd.DataFrame({"dataset": "cq500", "study_id": reads["name"], "slice_id": pd.NA, "level": "study",
                      "finding": f, "rater": r, "value": reads[f"{r}:{col}"]})
        for col, f in names.items() for r in ("R1", "R2", "R3")
    ], ignore_index=True)
    preds = pd.concat([
        pd.DataFrame({"dataset": "cq500", "study_id": probs["name"], "slice_id": pd.NA, "level": "study",
                      "finding": f, "model": "qure.ai", "score": probs[col]})
        for col, f in names.items()
    ], ignore_index=True)
    return preds, labels


@pytest.mark.shared_data
def test_cq500_vendor_auc_reproduces_published_values(shared_data):
    preds, labels = _cq500_tables(shared_data / "cq500")
    res = auc(preds, labels=labels, reference="majority").set_index("finding")
    for finding, published in PUBLISHED.items():
        assert round(res.estimate[finding], 2) == published, finding
        assert res.n[finding] == 491
    assert res.n_positive["any"] == 205  # majority positives per SOURCE.md


def test_compare_auc_bootstrap_difference_uses_paired_resamples():
    from hemstats.stats.resampling.engine import bootstrap_distribution

    y, s1, s2 = _case("ties_n80")
    res = compare_auc(from_arrays(y, np.column_stack([s1, s2])), interval="bootstrap", n_resamples=500, rng=4)
    dist = bootstrap_distribution(statistic="auc", y=y, score=np.column_stack([s1, s2]), n_resamples=500, rng=4)
    diff = dist.distribution[0] - dist.distribution[1]
    assert (res.ci_low[0], res.ci_high[0]) == pytest.approx(tuple(np.quantile(diff, [0.025, 0.975])), abs=1e-12)
    # DeLong z and p are still reported next to the bootstrap interval
    assert abs(res.z[0] - REF["ties_n80"]["roc_test_z"]) < 1e-6
    # the method code says the (stratified) design since issue 11
    assert res.method[0] == "stratified-bootstrap-percentile"


def test_compare_auc_clustered_gives_no_delong_test(demo_cohort):
    res = compare_auc(demo_cohort, findings="any", level="study", interval="bootstrap", cluster="patient_id",
                      n_resamples=200, rng=0)
    # clustered rows: no DeLong z; since issue 10 the paired cluster-bootstrap test (as
    # pROC::roc.test(method = "bootstrap"): D = difference / SD of the bootstrap differences) gives z and p
    assert "not DeLong" in res.reason[0] and "clustered" in res.reason[0]
    assert np.isfinite(res.z[0]) and 0 < res.p_value[0] <= 1
    half = (res.ci_high[0] - res.ci_low[0]) / 2
    assert abs(res.z[0]) == pytest.approx(abs(res.estimate[0]) / (half / 1.96), rel=0.35)  # SD ~ half-width / 1.96
    assert res.n_clusters[0] < res.n[0]
    with pytest.raises(InputError, match="no predictions"):
        compare_auc(demo_cohort, models=("model_a", "model_z"), findings="any", level="study")


# -- issues 10 and 11 ---------------------------------------------------------------------------
def test_compare_auc_p_value_in_log_space_and_holm():
    from scipy.stats import norm
    from statsmodels.stats.multitest import multipletests

    rng = np.random.default_rng(0)
    y = np.r_[np.ones(3000), np.zeros(3000)].astype(int)
    near = y * 4.0 + rng.normal(0, 1, len(y))  # AUC ~ 1
    noise = rng.normal(0, 1, len(y))  # AUC ~ 0.5
    mid = y * 0.3 + rng.normal(0, 1, len(y))
    res = compare_auc(from_arrays(y, np.column_stack([near, noise, mid])))
    assert list(res.columns) == list(COMPARE_COLUMNS)
    first = res.iloc[0]
    assert abs(first.z) > 38.5
    # 2 * ndtr(-|z|) underflows to 0 here; the log-space value is below the smallest float too, and says so
    assert first.p_value == 0.0 and "smallest float" in first.reason and "log10 p" in first.reason
    last = res.iloc[2]
    assert last.p_value == pytest.approx(2 * norm.sf(abs(last.z)), rel=1e-9)
    # R: p.adjust(p, method = "holm")
    np.testing.assert_allclose(res.p_holm, multipletests(res.p_value, method="holm")[1], rtol=1e-12)


def test_slices_are_clustered_by_patient_by_default(demo_cohort):
    res = auc(demo_cohort, findings="any", level="slice", n_resamples=200, rng=0)
    assert (res.method == "stratified-cluster-bootstrap-percentile").all()  # was "delong" on independent slices
    patients = demo_cohort.studies.patient_id.nunique()
    assert (res.n_clusters < res.n).all() and (res.n_clusters <= patients).all()
    # repeated studies of one patient are clustered too (the demo has fewer patients than studies) ...
    studies = auc(demo_cohort, findings="any", level="study", n_resamples=200, rng=0)
    assert (studies.method == "stratified-cluster-bootstrap-percentile").all()
    assert (studies.n_clusters == patients).all() and (studies.n == len(demo_cohort.studies)).all()
    # ... unless each patient has one study: then the rows are independent and DeLong applies
    first = demo_cohort.studies.drop_duplicates("patient_id").study_id
    one_each = demo_cohort.predictions[demo_cohort.predictions.study_id.isin(first)]
    res = auc(one_each, labels=demo_cohort.labels, studies=demo_cohort.studies, findings="any", level="study")
    assert (res.method == "delong").all() and (res.n_clusters == res.n).all() and (res.n == patients).all()
    with pytest.raises(InputError, match="clustered by patient by default"):
        auc(demo_cohort, findings="any", level="slice", interval="delong")
    rows = auc(demo_cohort, findings="any", level="slice", interval="delong", cluster=None)
    assert (rows.method == "delong").all()


def test_majority_reference_is_more_than_half_of_all_readers():
    preds, labels, y = _toy_tables(n=20)
    readers = pd.concat([labels.assign(rater=r, value=y) for r in ("R1", "R2", "R3")], ignore_index=True)
    # study s0: only R1 read it (positive). One reader of three is no majority (the old rule said 1 of 1).
    readers = readers[~((readers.study_id == "s0") & readers.rater.isin(["R2", "R3"]))]
    res = auc(preds, labels=readers, reference="majority")
    assert (res.n == 19).all()
    assert res.reason.str.contains("1 units have no majority").all()


def test_duplicated_predictions_or_labels_are_errors_naming_the_rows():
    preds, labels, _ = _toy_tables()
    dup = pd.concat([preds, preds.iloc[[3]]], ignore_index=True)  # row 120 repeats row 3
    with pytest.raises(InputError, match=r"predictions: 2 duplicated rows .*rows 3, 120"):
        auc(dup, labels=labels)
    dup_labels = pd.concat([labels, labels.iloc[[5]].assign(value=1 - labels.value.iloc[5])], ignore_index=True)
    with pytest.raises(InputError, match=r"labels \(rater 'consensus'\): 2 duplicated rows .*rows 5, 60"):
        auc(preds, labels=dup_labels)


def test_two_sided_p_in_the_far_tail_matches_R():
    from hemstats.stats._core.multiplicity import holm
    from hemstats.stats.diagnostic.auc import _two_sided_p

    ref = REF["tail_p"]  # R: 2 * pnorm(-z); log(2) + pnorm(-z, log.p = TRUE)
    for z, p, log_p in zip(ref["z"], ref["p"], ref["log_p"]):
        ours, note = _two_sided_p(z)
        if p > 0:
            assert ours == pytest.approx(p, rel=1e-9) and note is None
        else:  # z = 40: below the smallest double in R too; the note gives log10 p
            assert ours == 0.0 and f"log10 p = {log_p / np.log(10):.1f}" in note
    # R: p.adjust(c(0.01, 0.04, 0.03), method = "holm"), the helper compare_auc's p_holm uses
    frame = pd.DataFrame({"family": "x", "p_value": ref["holm_in"]})
    np.testing.assert_allclose(holm(frame, ["family"]), ref["holm"], rtol=1e-12)
