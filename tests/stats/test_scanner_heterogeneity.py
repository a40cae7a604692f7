"""Patient-clustered heterogeneity tests of heterogeneity() (hemstats.stats.acquisition.clustered).

Reference values: tests/reference/heterogeneity.R (R geepack, pROC, Obuchowski's estimator written
out) on tests/reference/heterogeneity.csv.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hemstats.errors import HemstatsError
from hemstats.stats.acquisition.clustered import (
    clustered_delong,
    interaction_wald,
    stratum_auc_covariance,
)
from hemstats.stats.acquisition.heterogeneity import (
    HETEROGENEITY_COLUMNS,
    auc_heterogeneity,
    correct_interaction,
    heterogeneity,
)
from hemstats.stats.coverage.heterogeneity import heterogeneity_type1_error
from hemstats.stats.diagnostic.auc import delong

REF = Path(__file__).resolve().parents[1] / "reference"


def heterogeneity_frame() -> pd.DataFrame:
    """The data of tests/reference/heterogeneity.csv: 60 patients x 2 studies x 3-6 slices.

    Label and score latents each have a patient effect (ICC 0.5); ``stratum_patient`` is one
    stratum per patient, ``stratum_study`` one per study (30 % of patients in two strata).
    """
    rng = np.random.default_rng(20261201)
    n_pat = 60
    a = rng.standard_normal(n_pat)
    b = rng.standard_normal(n_pat)
    move = rng.random(n_pat) < 0.3
    shift = rng.integers(1, 3, n_pat)
    rows = []
    for g in range(n_pat):
        for st in range(2):
            k = g % 3 if (st == 0 or not move[g]) else (g + shift[g]) % 3
            for sl in range(int(rng.integers(3, 7))):
                rows.append((f"P{g:03d}", f"P{g:03d}-S{st}", f"P{g:03d}-S{st}-{sl}", g, "ABC"[g % 3], "ABC"[k]))
    f = pd.DataFrame(rows, columns=["patient", "study", "slice", "g", "stratum_patient", "stratum_study"])
    gi = f.pop("g").to_numpy()
    y = (a[gi] + rng.standard_normal(len(f)) > 0.4).astype(int)
    latent = 1.6 * y - 0.8 + b[gi] + rng.standard_normal(len(f))
    f["y"] = y
    f["score"] = np.round(1 / (1 + np.exp(-latent)), 2)
    return f


def as_tables(f: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Slice-level predictions, labels and studies tables of a heterogeneity frame."""
    common = {"dataset": "ref", "study_id": f["study"], "slice_id": f["slice"], "level": "slice", "finding": "any"}
    predictions = pd.DataFrame({**common, "model": "m", "score": f["score"]})
    labels = pd.DataFrame({**common, "rater": "consensus", "value": f["y"]})
    studies = f.drop_duplicates("study")[["study", "patient", "stratum_patient", "stratum_study"]].rename(
        columns={"study": "study_id", "patient": "patient_id"}).assign(dataset="ref")
    return predictions, labels, studies


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return heterogeneity_frame()


@pytest.fixture(scope="module")
def r_ref() -> dict:
    return json.loads((REF / "heterogeneity.json").read_text())


def test_reference_csv_is_current(frame):
    written = pd.read_csv(REF / "heterogeneity.csv", float_precision="round_trip")
    pd.testing.assert_frame_equal(written, frame, check_dtype=False, rtol=0, atol=0)


# -- against R --------------------------------------------------------------------------------------
def test_clustered_delong_against_r(frame, r_ref):
    ref = r_ref["all"]
    y, s = frame["y"].to_numpy(), frame["score"].to_numpy()
    a, v, g = clustered_delong(y, s, frame["patient"])
    assert a == pytest.approx(ref["auc"], rel=1e-12)  # R: mean(outer(pos, neg, psi))
    # R: obuchowski(y, score, patient): S10 / M + S01 / N + 2 S11 / (M N), Obuchowski 1997
    assert v == pytest.approx(ref["var_clustered"], rel=1e-9)
    assert g == ref["n_clusters"] == 60
    # one row per cluster: DeLong's variance, R: var(roc(y, score), method="delong")
    _, v1, _ = clustered_delong(y, s, np.arange(len(y)))
    assert v1 == pytest.approx(ref["var_delong"], rel=1e-9)
    assert v1 == pytest.approx(float(delong(y, s)[1][0, 0]), rel=1e-9)


@pytest.mark.parametrize("column", ["stratum_patient", "stratum_study"])
def test_q_test_against_r(frame, r_ref, column):
    ref = r_ref["q_patient" if column == "stratum_patient" else "q_study"]
    strata, a, cov = stratum_auc_covariance(frame["y"].to_numpy(), frame["score"].to_numpy(),
                                            frame[column].to_numpy(), frame["patient"].to_numpy())
    order = np.argsort(strata)
    assert strata[order].tolist() == ref["strata"]
    np.testing.assert_allclose(a[order], ref["auc"], rtol=1e-12)
    # R: diag = obuchowski()$var per stratum; off-diagonal G / (G - 1) crossprod(phi)
    np.testing.assert_allclose(cov[np.ix_(order, order)], np.array(ref["cov"]), rtol=1e-9, atol=1e-15)
    pooled, q, df, p = auc_heterogeneity(a, cov)
    # R: pooled = 1' S^-1 A / 1' S^-1 1; Q = (A - pooled)' S^-1 (A - pooled); pchisq(Q, K - 1, lower.tail=FALSE)
    assert (pooled, q, df, p) == (pytest.approx(ref["pooled"], rel=1e-9), pytest.approx(ref["Q"], rel=1e-9),
                                  ref["df"], pytest.approx(ref["p_value"], rel=1e-9))
    # R: pf(Q / (K - 1), K - 1, m - 1, lower.tail=FALSE), m the fewest clusters with a case / control in a stratum
    assert auc_heterogeneity(a, cov, denominator_df=ref["m"] - 1)[3] == pytest.approx(ref["p_value_f"], rel=1e-9)
    if column == "stratum_patient":  # strata share no patient: the covariance is diagonal, Q is Cochran's
        assert np.count_nonzero(cov - np.diag(np.diag(cov))) == 0


@pytest.mark.parametrize("column", ["stratum_patient", "stratum_study"])
def test_interaction_wald_against_geepack(frame, r_ref, column):
    ref = r_ref["gee_patient" if column == "stratum_patient" else "gee_study"]
    y = frame["y"].to_numpy()
    correct = ((frame["score"].to_numpy() >= 0.5).astype(int) == y).astype(int)
    w, df, p, reason = interaction_wald(y, correct, frame[column], frame["patient"])
    # R: anova(geeglm(correct ~ factor(y) * stratum, id=patient, family=binomial, corstr="independence"),
    #          geeglm(correct ~ factor(y), ...))  -> X2, Df, P(>|Chi|)
    assert w == pytest.approx(ref["statistic"], rel=1e-6)
    assert df == ref["df"] and reason is None
    assert p == pytest.approx(ref["p_value_f"], rel=1e-6)  # R: pf(X2 / Df, Df, m - 1, lower.tail=FALSE)
    assert correct_interaction(y, correct, frame[column], cluster=frame["patient"]) == (w, df, p)


def test_interaction_wald_equals_statsmodels_gee(frame):
    import statsmodels.formula.api as smf
    from statsmodels.genmod import cov_struct, families

    d = frame.assign(correct=((frame["score"] >= 0.5).astype(int) == frame["y"]).astype(int))
    fit = smf.gee("correct ~ C(y) * C(stratum_study)", groups="patient", data=d, family=families.Binomial(),
                  cov_struct=cov_struct.Independence()).fit()
    terms = [t for t in fit.params.index if "stratum" in t]
    ref = fit.wald_test(", ".join(f"{t} = 0" for t in terms), scalar=True)
    w, df, p, _ = interaction_wald(d["y"], d["correct"], d["stratum_study"], d["patient"])
    assert w == pytest.approx(float(ref.statistic), rel=1e-6) and df == len(terms)


# -- through the table -----------------------------------------------------------------------------
def test_slice_level_table_is_clustered_by_patient(frame, r_ref):
    predictions, labels, studies = as_tables(frame)
    res = heterogeneity(predictions, labels=labels, studies=studies, by="stratum_patient", level="slice",
                        n_resamples=20, rng=0)
    assert res.columns.tolist() == list(HETEROGENEITY_COLUMNS)
    het = res[res["kind"] == "heterogeneity"].set_index("metric")
    ref = r_ref["q_patient"]
    assert het.loc["auc", "method"] == "q-test-clustered-delong"
    assert het.loc["auc", "statistic"] == pytest.approx(ref["Q"], rel=1e-9)  # R: see test_q_test_against_r
    assert het.loc["auc", "p_value"] == pytest.approx(ref["p_value_f"], rel=1e-9)
    assert het.loc["sensitivity-specificity", "method"] == "gee-wald-sandwich"
    # R: anova(geeglm(correct ~ factor(y) * stratum_patient, id=patient, corstr="independence"), null)
    assert het.loc["sensitivity-specificity", "statistic"] == pytest.approx(r_ref["gee_patient"]["statistic"], rel=1e-6)
    assert het.loc["sensitivity-specificity", "p_value"] == pytest.approx(r_ref["gee_patient"]["p_value_f"], rel=1e-6)
    assert (het["n_clusters"] == 60).all() and (het["n"] == len(frame)).all() and het["reason"].isna().all()
    auc = res.query("kind == 'stratum' and metric == 'auc'").set_index("subgroup_value")
    assert set(auc["method"]) == {"clustered-delong"}
    assert auc["n_clusters"].tolist() == ref["n_clusters"]
    for k, stratum in enumerate(ref["strata"]):
        half = 1.959963984540054 * np.sqrt(ref["var"][k])  # Wald CI on Obuchowski's variance (R)
        assert auc.loc[stratum, "ci_low"] == pytest.approx(ref["auc"][k] - half, rel=1e-9)
        assert auc.loc[stratum, "ci_high"] == pytest.approx(ref["auc"][k] + half, rel=1e-9)
    # patients spanning strata: the covariance enters the test, and the table says so
    res2 = heterogeneity(predictions, labels=labels, studies=studies, by="stratum_study", level="slice",
                         n_resamples=20, rng=0)
    q2 = res2.query("kind == 'heterogeneity' and metric == 'auc'").iloc[0]
    assert q2["statistic"] == pytest.approx(r_ref["q_study"]["Q"], rel=1e-9)
    assert "clusters in several strata" in q2["reason"]


def test_independent_rows_only_on_request_and_labelled(frame):
    predictions, labels, studies = as_tables(frame)
    res = heterogeneity(predictions, labels=labels, studies=studies, by="stratum_patient", level="slice",
                        n_resamples=20, cluster=None, rng=0)
    het = res[res["kind"] == "heterogeneity"]
    assert set(het["method"]) == {"q-test-delong-independent", "lr-test-independent"}
    assert (het["n_clusters"] == het["n"]).all()
    assert set(res.query("kind == 'stratum' and metric == 'auc'")["method"]) == {"delong"}


def test_without_patient_id_studies_are_the_clusters(frame):
    predictions, labels, studies = as_tables(frame)
    res = heterogeneity(predictions, labels=labels, studies=studies.assign(patient_id=pd.NA), by="stratum_patient",
                        level="slice", n_resamples=20, rng=0)
    het = res[res["kind"] == "heterogeneity"]
    assert (het["n_clusters"] == 120).all()
    assert het["reason"].str.contains("no patient_id in studies: clustered by study_id").all()
    assert set(het["method"]) == {"q-test-clustered-delong", "gee-wald-sandwich"}


def test_few_clusters_left_out_and_two_strata_needed(frame):
    predictions, labels, studies = as_tables(frame)
    # stratum C on 6 patients only: below min_clusters=10, left out; A and B still tested
    keep = ~frame["patient"].isin(sorted(frame.loc[frame["stratum_patient"] == "C", "patient"].unique())[6:])
    predictions, labels = predictions[keep.to_numpy()], labels[keep.to_numpy()]
    res = heterogeneity(predictions, labels=labels, studies=studies, by="stratum_patient", level="slice",
                        n_resamples=20, rng=0)
    c = res.query("subgroup_value == 'C' and metric == 'auc'").iloc[0]
    assert c["n_clusters"] == 6 and "6 clusters < min_clusters=10" in c["reason"]
    het = res[res["kind"] == "heterogeneity"]
    assert het["p_value"].notna().all() and het["reason"].str.contains("strata left out: C").all()
    assert (het["df"].to_numpy() == [1.0, 2.0]).all()
    # min_clusters above every stratum: no test, NaN with a reason
    none = heterogeneity(predictions, labels=labels, studies=studies, by="stratum_patient", level="slice",
                         n_resamples=20, min_clusters=25, rng=0)
    het = none[none["kind"] == "heterogeneity"]
    assert het["p_value"].isna().all() and het["reason"].str.contains("no test").all()


def test_interaction_wald_degenerate_cells():
    y = np.array([1, 1, 0, 0] * 6)
    stratum = np.repeat(["a", "b"], 12)
    cluster = np.repeat(np.arange(12), 2)
    correct = np.ones(24, dtype=int)
    correct[[2, 14]] = 0  # positives always correct: infinite logits
    w, df, p, reason = interaction_wald(y, correct, stratum, cluster)
    assert np.isnan(w) and "all calls correct" in reason and "positives in 'a'" in reason
    w, df, p, reason = interaction_wald(y, correct, np.repeat("a", 24), cluster)
    assert np.isnan(p) and "nothing to compare" in reason
    with pytest.raises(HemstatsError, match="cluster has 1 missing"):
        interaction_wald(y, correct, stratum, np.where(np.arange(24) == 3, None, cluster).astype(object))
    with pytest.raises(HemstatsError, match="needs both classes"):
        clustered_delong([1, 1], [0.2, 0.3], ["a", "b"])
    assert np.isnan(clustered_delong([1, 0, 1, 0], [0.9, 0.1, 0.8, 0.3], [1, 1, 1, 1])[1])  # one cluster: no variance
    assert np.isnan(auc_heterogeneity([0.8, 0.7], [[0.01, 0.02], [0.02, 0.01]])[1])  # not positive definite


# -- type-I error under a clustered null ---------------------------------------------------------------
@pytest.mark.slow
def test_type_one_error_under_clustered_null():
    """100 patients x 10 slices, ICC 0.5, 3 strata per patient: both clustered tests reject 3-7 % at alpha 0.05.

    800 seeded replicates (~15-40 s here, depending on load).  Measured (seed 20261201): equal-AUC
    test 31/800 = 3.9 % (95 % Clopper-Pearson 2.7-5.5 %), interaction test 41/800 = 5.1 % (3.7-6.9 %);
    with 1000 replicates 3.7 % (2.6-5.1 %) and 4.8 % (3.6-6.3 %).  The independent-rows tests on the
    same 1000 data sets reject 32.1 % (DeLong Q) and 50.6 % (LR test):
    ``heterogeneity_type1_error(n_simulations=1000, clustered=(False,))``.  The bounds 3-7 % hold a true 5 % rate with probability ~0.98 per test at
    n = 800; the Q test, referred to F(K - 1, m - 1), is mildly conservative in this design.
    """
    tab = heterogeneity_type1_error(n_simulations=800, clustered=(True,), rng=20261201)
    assert (tab.n == 800).all() and tab.reason.isna().all()  # no NaN p-value
    assert tab.estimate.between(0.03, 0.07).all(), tab
