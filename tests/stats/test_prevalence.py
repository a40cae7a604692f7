"""hemstats.stats.descriptive.prevalence and the proportion CIs, checked against R (tests/reference/prevalence.R).

Regenerate the reference with ``Rscript tests/reference/prevalence.R`` from the repository root;
it writes the simulated input tables (prevalence.{labels,studies,lesions}.csv) and the values
(prevalence.json) that every ``ref[...]`` below reads.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hemstats.errors import HemstatsError, InputError, SchemaError
from hemstats.stats._core.cluster import clustered_proportion
from hemstats.stats._core.intervals import (
    BINOMIAL_INTERVALS,
    newcombe_difference,
    proportion_ci,
    proportions_test,
)
from hemstats.stats.coverage.proportion import clustered_proportion_coverage, proportion_coverage
from hemstats.stats.descriptive.cooccurrence import combinations, cooccurrence
from hemstats.stats.descriptive.prevalence import compare_prevalence, prevalence
from hemstats.stats.descriptive.volumes import lesion_volumes

REF = Path(__file__).resolve().parents[1] / "reference"
TOL = 1e-6


@pytest.fixture(scope="module")
def ref() -> dict:
    return json.loads((REF / "prevalence.json").read_text())


@pytest.fixture(scope="module")
def labels() -> pd.DataFrame:
    return pd.read_csv(REF / "prevalence.labels.csv", dtype={"slice_id": "string", "study_id": "string"})


@pytest.fixture(scope="module")
def studies() -> pd.DataFrame:
    return pd.read_csv(REF / "prevalence.studies.csv", dtype=str)


@pytest.fixture(scope="module")
def lesions() -> pd.DataFrame:
    return pd.read_csv(REF / "prevalence.lesions.csv", dtype={"study_id": "string"})


def _index(df: pd.DataFrame, keys: list[str]) -> dict:
    return {tuple(r[k] for k in keys): r for r in df.to_dict("records")}


def _volumes(long: pd.DataFrame) -> pd.DataFrame:
    """lesion_volumes' long table with one column per metric (one row per dataset x finding)."""
    wide = long.pivot_table(index=["dataset", "finding"], columns="metric", values="estimate", dropna=False, sort=False)
    counts = long.groupby(["dataset", "finding"], sort=False)[["n", "n_zero", "n_missing"]].first()
    return counts.join(wide).reset_index()


# -- prevalence against R ---------------------------------------------------------------------------
@pytest.mark.parametrize("confidence_level", [0.95, 0.90])
@pytest.mark.parametrize("method", BINOMIAL_INTERVALS)
def test_study_prevalence_matches_r(labels, ref, method, confidence_level):
    # R, per dataset x finding (consensus, study level), x = sum(value), n = length(value):
    #   wilson:           prop.test(x, n, conf.level = L, correct = FALSE)$conf.int
    #   clopper-pearson:  binom.test(x, n, conf.level = L)$conf.int
    #   jeffreys:         qbeta(c(a/2, 1-a/2), x + .5, n - x + .5), 0 at x = 0, 1 at x = n
    #   agresti-coull:    (x + z^2/2)/(n + z^2) +- z sqrt(pt (1 - pt)/(n + z^2)), clipped to [0, 1]
    expected = [r for r in ref["prevalence"] if r["method"] == method and r["confidence_level"] == confidence_level]
    got = _index(prevalence(labels, interval=method, confidence_level=confidence_level), ["dataset", "finding"])
    assert len(got) == len(expected) == 3 * 6 + 3
    for r in expected:
        row = got[(r["dataset"], r["finding"])]
        assert (row["n_positive"], row["n"]) == (r["positives"], r["n"])
        assert row["estimate"] == pytest.approx(r["estimate"], abs=TOL)
        assert row["ci_low"] == pytest.approx(r["ci_low"], abs=TOL)
        assert row["ci_high"] == pytest.approx(r["ci_high"], abs=TOL)
        assert (row["method"], row["confidence_level"], row["level"], row["rater"]) == (
            method, confidence_level, "study", "consensus",
        )  # fmt: skip


def test_boundaries_are_exercised(ref):
    # the reference includes x = 0 (delta edh) and x = n (delta any): Jeffreys 0 / 1 limits
    rows = {(r["dataset"], r["finding"]): r for r in ref["prevalence"] if r["method"] == "jeffreys" and r["confidence_level"] == 0.95}
    assert rows[("delta", "edh")]["positives"] == 0 and rows[("delta", "edh")]["ci_low"] == 0
    assert rows[("delta", "any")]["positives"] == 8 and rows[("delta", "any")]["ci_high"] == 1


def test_reader_prevalence_matches_r(labels, ref):
    # R: prop.test(x, n, correct = FALSE)$conf.int on rater R1's study labels
    got = _index(prevalence(labels, rater="R1"), ["dataset", "finding"])
    assert len(got) == len(ref["prevalence_r1"])
    for r in ref["prevalence_r1"]:
        row = got[(r["dataset"], r["finding"])]
        assert (row["n_positive"], row["n"]) == (r["positives"], r["n"])
        assert row["ci_low"] == pytest.approx(r["ci_low"], abs=TOL)
        assert row["ci_high"] == pytest.approx(r["ci_high"], abs=TOL)


def test_patient_prevalence_matches_r(labels, studies, ref):
    # R: aggregate(value ~ dataset + patient_id + finding, FUN = max), then binom.test(x, n)$conf.int
    got = _index(prevalence(labels, unit="patient", interval="clopper-pearson", studies=studies), ["dataset", "finding"])
    assert len(got) == len(ref["prevalence_patient"])
    for r in ref["prevalence_patient"]:
        row = got[(r["dataset"], r["finding"])]
        assert (row["n_positive"], row["n"], row["unit"], row["level"]) == (r["positives"], r["n"], "patient", "study")
        assert row["ci_low"] == pytest.approx(r["ci_low"], abs=TOL)
        assert row["ci_high"] == pytest.approx(r["ci_high"], abs=TOL)
    # patients are fewer than studies (some have two) and the patient level differs from the study level
    study = _index(prevalence(labels), ["dataset", "finding"])
    assert all(got[k]["n"] < study[k]["n"] for k in got if k[0] != "delta")


def test_slice_prevalence_matches_r(labels, ref):
    # R: qbeta(c(.025, .975), x + .5, n - x + .5) on the slice-level labels, slices as independent
    # rows: only on request (cluster=None), and labelled so
    got = _index(prevalence(labels, unit="slice", interval="jeffreys", cluster=None), ["dataset", "finding"])
    assert {r["method"] for r in got.values()} == {"jeffreys-independent-rows"}
    assert len(got) == len(ref["prevalence_slice"]) == 3
    for r in ref["prevalence_slice"]:
        row = got[(r["dataset"], r["finding"])]
        assert (row["n_positive"], row["n"]) == (r["positives"], r["n"])
        assert row["ci_low"] == pytest.approx(r["ci_low"], abs=TOL)
        assert row["ci_high"] == pytest.approx(r["ci_high"], abs=TOL)


def test_prevalence_by_studies_column_and_pooled(labels, studies):
    # dataset is always a key; pooling datasets means giving them one name
    pooled = prevalence(labels.assign(dataset="all"))
    assert pooled.query("finding == 'any'").n.item() == 120 + 45 + 300 + 8
    # a grouping column that only studies has: dataset stays, by= adds subgroup / subgroup_value
    st2 = studies.assign(site=np.where(studies["study_id"].str.endswith(("1", "3", "5")), "odd", "even"))
    by_site = prevalence(labels, by="site", studies=st2)
    assert set(by_site.subgroup) == {"site"} and set(by_site.subgroup_value) == {"odd", "even"}
    assert by_site.dataset.notna().all()
    pd.testing.assert_frame_equal(by_site, prevalence(labels, by=["dataset", "site"], studies=st2))
    per_dataset = by_site.groupby(["dataset", "finding"], sort=False)[["n_positive", "n"]].sum()
    direct = prevalence(labels).set_index(["dataset", "finding"])[["n_positive", "n"]]
    pd.testing.assert_frame_equal(per_dataset.sort_index(), direct.sort_index(), check_dtype=False)


# -- co-occurrence and combinations against R --------------------------------------------------------
def test_cooccurrence_matches_r(labels, ref):
    # R: table(factor(w[[a]], levels = 0:1), factor(w[[b]], levels = 0:1)) per dataset and subtype pair
    got = _index(cooccurrence(labels), ["dataset", "finding_a", "finding_b"])
    assert len(got) == len(ref["cooccurrence"])
    for r in ref["cooccurrence"]:
        row = got[(r["dataset"], r["finding_a"], r["finding_b"])]
        for k in ("n", "both", "only_a", "only_b", "neither"):
            assert row[k] == r[k], k
        assert row["n_positive_a"] == r["both"] + r["only_a"]
        assert row["metric"] == "jaccard"


def test_combinations_match_r(labels, ref):
    # R: table(apply(w[, here] , 1, paste of the positive subtypes)) per dataset
    got = combinations(labels)
    idx = _index(got, ["dataset", "combination"])
    assert len(idx) == len(ref["combinations"])
    for r in ref["combinations"]:
        row = idx[(r["dataset"], r["combination"])]
        assert (row["n_positive"], row["n"], row["findings"]) == (r["count"], r["n"], r["findings"])
        assert row["estimate"] == pytest.approx(r["count"] / r["n"])
        assert row["degree"] == (0 if r["combination"] == "none" else len(r["combination"].split("+")))
    # delta labels only sdh and edh among the subtypes
    assert set(got.query("dataset == 'delta'").findings) == {"edh+sdh"}
    # most frequent first within each dataset
    for _, block in got.groupby("dataset", sort=False):
        assert block["n_positive"].is_monotonic_decreasing


# -- comparison across datasets against R -------------------------------------------------------------
def test_compare_prevalence_matches_r(labels, ref):
    # R: chisq.test(tab, correct = TRUE)$p.value or fisher.test(tab)$p.value (Fisher when
    # min(chisq.test(tab)$expected) < 5), then p.adjust(p, method = "holm") per family;
    # differences: Newcombe's formula on prop.test(correct = FALSE)$conf.int limits
    got = compare_prevalence(labels)
    overall = got[got.comparison == "overall"].set_index("finding")
    assert len(overall) == len(ref["compare_overall"])
    for r in ref["compare_overall"]:
        row = overall.loc[r["finding"]]
        assert row["test"] == ("fisher" if r["min_expected"] < 5 else "chi-squared")
        assert row["p_value"] == pytest.approx(r["auto_p"], abs=TOL)
        assert row["p_adjusted"] == pytest.approx(r["holm_p"], abs=TOL)
    pairs = _index(got[got.comparison == "pairwise"], ["finding", "group_a", "group_b"])
    assert len(pairs) == len(ref["compare_pairwise"])
    for r in ref["compare_pairwise"]:
        row = pairs[(r["finding"], r["group_a"], r["group_b"])]
        assert row["estimate"] == pytest.approx(r["estimate"], abs=TOL)
        assert row["ci_low"] == pytest.approx(r["ci_low"], abs=TOL)
        assert row["ci_high"] == pytest.approx(r["ci_high"], abs=TOL)
        if r["auto_p"] is None:  # e.g. edh beta vs delta: no positives at all
            assert math.isnan(row["p_value"]) and row["reason"].startswith("no positives")
            assert math.isnan(row["p_adjusted"])
        else:
            assert row["p_value"] == pytest.approx(r["auto_p"], abs=TOL)
            assert row["p_adjusted"] == pytest.approx(r["holm_p"], abs=TOL)
            assert row["reason"] == ""


def test_forced_tests_match_r(labels, ref):
    # R: chisq.test(tab, correct = TRUE)$p.value and fisher.test(tab)$p.value for every table
    chi = compare_prevalence(labels, test="chi-squared").set_index(["finding", "comparison", "group_a", "group_b"])
    fis = compare_prevalence(labels, test="fisher").set_index(["finding", "comparison", "group_a", "group_b"])
    for r in ref["compare_pairwise"]:
        if r["chisq_p"] is None:
            continue
        key = (r["finding"], "pairwise", r["group_a"], r["group_b"])
        assert chi.loc[key, "p_value"] == pytest.approx(r["chisq_p"], abs=TOL)
        assert fis.loc[key, "p_value"] == pytest.approx(r["fisher_p"], abs=TOL)
    for r in ref["compare_overall"]:
        o_chi = chi.xs((r["finding"], "overall"), level=["finding", "comparison"])["p_value"].item()
        o_fis = fis.xs((r["finding"], "overall"), level=["finding", "comparison"])["p_value"].item()
        assert o_chi == pytest.approx(r["chisq_p"], abs=TOL)
        assert o_fis == pytest.approx(r["fisher_p"], abs=TOL)


def test_fisher_r_by_c_matches_r(ref):
    # R: fisher.test(matrix(c(1, 3, 5, 2, 4, 0), ncol = 2))$p.value
    name, _, p, reason = proportions_test(np.array([[1, 2], [3, 4], [5, 0]]))
    assert (name, reason) == ("fisher", "")
    assert p == pytest.approx(ref["fisher_3x2"], abs=TOL)


def test_compare_single_group_reason(labels):
    only = labels[labels["dataset"] == "alpha"]
    got = compare_prevalence(only)
    assert (got.comparison == "overall").all()
    assert got.p_value.isna().all()
    assert got.reason.str.startswith("only one group").all()


# -- lesion volumes against R ----------------------------------------------------------------------
def test_lesion_volumes_match_r(lesions, ref):
    # R: mean(u), sd(u), quantile(u, c(.25, .5, .75), type = 7), min, max with u = volumes != 0 and not NA
    got = _index(_volumes(lesion_volumes(lesions)), ["dataset", "finding"])
    assert len(got) == len(ref["lesion_volumes"])
    for r in ref["lesion_volumes"]:
        row = got[(r["dataset"], r["finding"])]
        assert (row["n"], row["n_zero"], row["n_missing"]) == (r["n"], r["n_zero"], r["n_missing"])
        for k in ("mean", "sd", "median", "q1", "q3", "min", "max"):
            if r["n"] == 0 or (k == "sd" and r["n"] < 2):
                assert math.isnan(row[k]), k  # R: NaN / NA / Inf for an empty sample; we say NaN
            else:
                assert row[k] == pytest.approx(r[k], abs=TOL), k


def test_lesion_volumes_include_zero(lesions):
    with_zero = _index(_volumes(lesion_volumes(lesions, include_zero=True)), ["dataset", "finding"])
    without = _index(_volumes(lesion_volumes(lesions)), ["dataset", "finding"])
    for k, row in with_zero.items():
        assert row["n"] == without[k]["n"] + without[k]["n_zero"]
        assert row["min"] == 0


# -- coverage ---------------------------------------------------------------------------------------
def test_exact_coverage_matches_r(ref):
    # R: sum(dbinom(0:n, n, p) * covers), covers from the same four interval formulas as above
    got = _index(proportion_coverage(n_simulations=10, rng=0), ["method", "n", "prevalence"])
    assert len(got) == len(ref["coverage"]) == 36
    for r in ref["coverage"]:
        row = got[(r["method"], r["n"], r["prevalence"])]
        assert row["exact_coverage"] == pytest.approx(r["exact_coverage"], abs=TOL)
        assert row["mean_width"] == pytest.approx(r["mean_width"], abs=TOL)


@pytest.mark.slow
def test_monte_carlo_coverage():
    """Seeded simulation, 20,000 data sets per cell (about 2 s in all).

    Tolerances (the measured table is in the report and the book):
    - every cell: simulated coverage within 4 Monte Carlo SE of the exact coverage;
    - Clopper-Pearson: coverage >= 95 % in every cell (it is conservative by construction);
    - Wilson, Jeffreys, Agresti-Coull: coverage >= 92.5 % in every cell and within 2 points
      of 95 % at n = 500.  At n = 30 and 100 they over-cover small prevalences (up to 98.5 %):
      at n = 30, p = 2 % the expected count is 0.6, 55 % of samples have no positive and every
      interval covers 2 % then, so all four methods give 97.8 %; Jeffreys dips to 93.2 % at
      n = 30, p = 10 % and Wilson to 93.6 % at n = 100, p = 10 % (the known oscillation).
    """
    table = proportion_coverage(n_simulations=20_000, rng=20261122)
    assert len(table) == 36
    z = (table["coverage"] - table["exact_coverage"]).abs() / table["mc_se"]
    assert (z < 4).all(), table[z >= 4]
    cp = table[table.method == "clopper-pearson"]
    assert (cp["exact_coverage"] >= 0.95).all()
    assert (cp["coverage"] >= 0.95 - 3 * cp["mc_se"]).all()
    approx = table[table.method != "clopper-pearson"]
    assert (approx["coverage"] >= 0.925).all(), approx[approx["coverage"] < 0.925]
    large = approx[approx.n == 500]
    assert ((large["coverage"] - 0.95).abs() <= 0.02).all(), large


# -- properties -------------------------------------------------------------------------------------
@settings(max_examples=200, deadline=None)
@given(
    n=st.integers(1, 2000),
    frac=st.floats(0, 1),
    method=st.sampled_from(BINOMIAL_INTERVALS),
    confidence_level=st.floats(0.5, 0.999),
)
def test_ci_contains_estimate_and_stays_in_unit_interval(n, frac, method, confidence_level):
    x = round(frac * n)
    low, high = proportion_ci(x, n, interval=method, confidence_level=confidence_level)
    assert 0.0 <= low <= x / n <= high <= 1.0
    # symmetry: swapping successes and failures mirrors the interval
    low2, high2 = proportion_ci(n - x, n, interval=method, confidence_level=confidence_level)
    assert low2 == pytest.approx(1 - high, abs=1e-9) and high2 == pytest.approx(1 - low, abs=1e-9)
    # a higher level gives a wider (nested) interval
    low3, high3 = proportion_ci(x, n, interval=method, confidence_level=min(0.9999, confidence_level + 0.0005))
    assert low3 <= low + 1e-12 and high3 >= high - 1e-12


@settings(max_examples=100, deadline=None)
@given(n1=st.integers(1, 500), n2=st.integers(1, 500), f1=st.floats(0, 1), f2=st.floats(0, 1))
def test_newcombe_contains_difference(n1, n2, f1, f2):
    x1, x2 = round(f1 * n1), round(f2 * n2)
    d, low, high = newcombe_difference(x1, n1, x2, n2)
    assert -1.0 <= low <= d <= high <= 1.0
    # antisymmetry: swapping the groups negates the interval
    d2, low2, high2 = newcombe_difference(x2, n2, x1, n1)
    assert d2 == pytest.approx(-d) and low2 == pytest.approx(-high) and high2 == pytest.approx(-low)


def test_zero_trials_give_nan():
    low, high = proportion_ci([0, 1], [0, 2])
    assert math.isnan(low[0]) and math.isnan(high[0]) and not math.isnan(low[1])


# -- bad input ---------------------------------------------------------------------------------------
def test_input_frames_are_not_modified(labels, studies, lesions):
    before = (labels.copy(), studies.copy(), lesions.copy())
    prevalence(labels, unit="patient", studies=studies)
    cooccurrence(labels)
    combinations(labels)
    compare_prevalence(labels)
    lesion_volumes(lesions)
    for a, b in zip(before, (labels, studies, lesions)):
        pd.testing.assert_frame_equal(a, b)


def test_non_binary_value_names_row(labels):
    bad = labels.copy()
    bad.loc[5, "value"] = 2
    with pytest.raises(SchemaError, match=r"labels\.value: expected 0 or 1; 1 row, first: row 5 \(2\)"):
        prevalence(bad)


def test_missing_column_is_named(labels):
    with pytest.raises(InputError, match=r"prevalence: the labels table is missing column\(s\) \['finding'\]"):
        prevalence(labels.drop(columns="finding"))


def test_duplicated_label_key(labels):
    with pytest.raises(SchemaError, match=r"key \(dataset, study_id, slice_id, level, finding, rater\) is not unique"):
        prevalence(pd.concat([labels, labels.iloc[[0]]]))


def test_unknown_rater_lists_raters(labels):
    with pytest.raises(HemstatsError, match=r"no rows with rater 'R9'.*raters: \['R1', 'consensus'\]"):
        prevalence(labels, rater="R9")


def test_patient_level_needs_studies(labels, studies):
    with pytest.raises(InputError, match="unit='patient' needs patient_id; pass a Cohort or studies="):
        prevalence(labels, unit="patient")
    with pytest.raises(SchemaError, match=r"labels\.study_id: expected a \(dataset, study_id\) listed in studies"):
        prevalence(labels, unit="patient", studies=studies.iloc[5:])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"interval": "wald"}, "interval must be one of"),
        ({"confidence_level": 95}, r"confidence_level must be a number in \(0, 1\)"),
        ({"unit": "exam"}, "unit must be one of"),
        ({"cluster_interval": "bca"}, "cluster_interval must be one of"),
        ({"findings": ["bleed"]}, r"findings \['bleed'\] are not in the finding vocabulary"),
    ],
)
def test_bad_options(labels, kwargs, message):
    with pytest.raises(HemstatsError, match=message):
        prevalence(labels, **kwargs)


def test_bad_counts():
    with pytest.raises(HemstatsError, match="0 <= count <= nobs"):
        proportion_ci(5, 3)
    with pytest.raises(HemstatsError, match="0 <= count <= nobs"):
        proportion_ci(1.5, 3)


def test_demo_cohort_round_trip():
    from hemstats.datasets import demo

    cohort = demo.load(n_studies=200)
    prev = prevalence(cohort.labels, studies=cohort.studies)
    # independent count: consensus study-level positives per finding straight from the table
    lab = cohort.labels.query("level == 'study' and rater == 'consensus'")
    counts = lab.groupby("finding", observed=True)["value"].agg(["sum", "size"])
    for row in prev.itertuples():
        assert (row.n_positive, row.n) == tuple(int(v) for v in counts.loc[row.finding])


# -- real data ---------------------------------------------------------------------------------------
@pytest.mark.shared_data
def test_cq500_reads_match_r(shared_data, ref):
    # R: per reader and for the strict majority of the readers present,
    #    prop.test(x, n, correct = FALSE)$conf.int and binom.test(x, n)$conf.int
    if not ref.get("cq500"):
        pytest.skip("prevalence.json was generated without ../shared/data/cq500/reads.csv")
    reads = pd.read_csv(shared_data / "cq500" / "reads.csv")
    fields = {"ICH": "any", "EDH": "edh", "SDH": "sdh", "SAH": "sah", "IPH": "iph", "IVH": "ivh"}
    rows = []
    for field, finding in fields.items():
        m = reads[[f"R{k}:{field}" for k in (1, 2, 3)]]
        pos, neg = (m == 1).sum(axis=1), (m == 0).sum(axis=1)
        consensus = np.where(pos > neg, 1.0, np.where(neg > pos, 0.0, np.nan))
        for rater, values in [("R1", m.iloc[:, 0]), ("R2", m.iloc[:, 1]), ("R3", m.iloc[:, 2]), ("consensus", consensus)]:
            for name, v in zip(reads["name"], np.asarray(values, dtype=float)):
                if not np.isnan(v):
                    rows.append(("cq500", name, pd.NA, "study", finding, rater, int(v)))
    labels = pd.DataFrame(rows, columns=["dataset", "study_id", "slice_id", "level", "finding", "rater", "value"])
    for method, low, high in [("wilson", "wilson_low", "wilson_high"), ("clopper-pearson", "cp_low", "cp_high")]:
        got = {
            (rater, r.finding): r
            for rater in ("R1", "R2", "R3", "consensus")
            for r in prevalence(labels, rater=rater, interval=method).itertuples()
        }
        for r in ref["cq500"]:
            row = got[(r["rater"], r["finding"])]
            assert (row.n_positive, row.n) == (r["positives"], r["n"])
            assert row.ci_low == pytest.approx(r[low], abs=TOL)
            assert row.ci_high == pytest.approx(r[high], abs=TOL)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_prevalence_ignores_row_order_and_pools_additively(labels, seed):
    shuffled = labels.sample(frac=1.0, random_state=np.random.RandomState(seed % 2**32))
    a = prevalence(labels).sort_values(["dataset", "finding"]).reset_index(drop=True)
    b = prevalence(shuffled).sort_values(["dataset", "finding"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)
    pooled = prevalence(shuffled.assign(dataset="all")).set_index("finding")
    summed = a.groupby("finding")[["n_positive", "n"]].sum()
    pd.testing.assert_frame_equal(pooled.loc[summed.index, ["n_positive", "n"]], summed, check_dtype=False)


# -- patient-clustered intervals (issue 11) -----------------------------------------------------------
# tests/reference/prevalence_cluster.R writes the small cohort (prevalence_cluster.{labels,studies}.csv)
# and the R survey values (prevalence_cluster.json) read below.
@pytest.fixture(scope="module")
def cluster_ref() -> dict:
    return json.loads((REF / "prevalence_cluster.json").read_text())


@pytest.fixture(scope="module")
def cluster_labels() -> pd.DataFrame:
    return pd.read_csv(REF / "prevalence_cluster.labels.csv", dtype={"slice_id": "string", "study_id": "string"})


@pytest.fixture(scope="module")
def cluster_studies() -> pd.DataFrame:
    return pd.read_csv(REF / "prevalence_cluster.studies.csv", dtype=str)


@pytest.mark.parametrize("unit", ["slice", "study"])
@pytest.mark.parametrize("cluster_interval, low, high", [("logit", "logit_low", "logit_high"), ("wald", "mean_low", "mean_high")])
def test_clustered_prevalence_matches_r_survey(cluster_labels, cluster_studies, cluster_ref, unit, cluster_interval, low, high):
    # R: des <- svydesign(ids = ~patient_id, data = d) on the labelled units of one dataset x finding x level;
    #    ci_low, ci_high = confint(svyciprop(~I(value == 1), des, method = "logit" | "mean"))
    #    design_effect  = deff(svymean(~value, des, deff = "replace")); n_clusters = degf(des) + 1
    got = _index(
        prevalence(cluster_labels, unit=unit, studies=cluster_studies, cluster_interval=cluster_interval),
        ["dataset", "finding"],
    )
    expected = [r for r in cluster_ref["clustered"] if r["level"] == unit]
    assert len(got) == len(expected) == 4
    for r in expected:
        row = got[(r["dataset"], r["finding"])]
        assert (row["n_positive"], row["n"], row["n_clusters"]) == (r["positives"], r["n"], r["n_clusters"])
        assert row["method"] == f"cluster-{cluster_interval}"  # studies too: some patients have two
        assert row["estimate"] == pytest.approx(r["estimate"], abs=TOL)
        assert row["ci_low"] == pytest.approx(max(0.0, r[low]), abs=TOL)
        assert row["ci_high"] == pytest.approx(min(1.0, r[high]), abs=TOL)
        assert row["design_effect"] == pytest.approx(r["design_effect"], rel=1e-6)
        # beta has 6 patients: the interval is given, with a warning
        assert row["reason"].startswith("only 6 clusters") == (r["dataset"] == "beta")


def test_slice_prevalence_is_clustered_by_default(cluster_labels, cluster_studies):
    # on main before issue 11 this was a Wilson interval on 372 independent slices (no design columns)
    prev = prevalence(cluster_labels, unit="slice", studies=cluster_studies)
    assert set(prev.method) == {"cluster-logit"}
    row = prev.query("dataset == 'alpha' and finding == 'any'").iloc[0]
    naive = prevalence(cluster_labels, unit="slice", studies=cluster_studies, cluster=None)
    naive_row = naive.query("dataset == 'alpha' and finding == 'any'").iloc[0]
    assert naive_row.method == "wilson-independent-rows" and "design effect 3.84" in naive_row.reason
    assert naive_row.design_effect == pytest.approx(row.design_effect)  # shown whatever the options
    assert row.ci_high - row.ci_low > 1.8 * (naive_row.ci_high - naive_row.ci_low)
    # without studies (no patient_id) the slices of one study are the cluster
    by_study = prevalence(cluster_labels, unit="slice").query("dataset == 'alpha' and finding == 'any'").iloc[0]
    assert by_study.n_clusters == 38 and by_study.method == "cluster-logit"


def test_study_level_without_repeated_patients_is_binomial(cluster_labels, cluster_studies):
    first = cluster_studies.drop_duplicates("patient_id")
    lab = cluster_labels[cluster_labels.study_id.isin(first.study_id)]
    prev = prevalence(lab, studies=first)
    assert set(prev.method) == {"wilson"} and (prev.reason == "").all()
    assert (prev.n_clusters == prev.n).all()
    assert prev.n_resamples.isna().all() and prev.n_failed_resamples.isna().all()
    np.testing.assert_allclose(prev.design_effect, 1.0, rtol=1e-9)
    low, high = proportion_ci(prev.n_positive.astype(int), prev.n.astype(int))
    np.testing.assert_allclose(prev.ci_low, low)
    np.testing.assert_allclose(prev.ci_high, high)


def test_fewer_than_two_clusters_give_nan_with_reason(cluster_labels, cluster_studies):
    one = cluster_labels[cluster_labels.study_id == "beta-S001"]
    row = prevalence(one, unit="slice", studies=cluster_studies).query("finding == 'any'").iloc[0]
    assert row.n_clusters == 1 and math.isnan(row.ci_low) and math.isnan(row.ci_high)
    assert "needs at least 2" in row.reason
    assert row.estimate == pytest.approx(row.n_positive / row.n)


def test_boundary_estimate_uses_clusters_as_units(cluster_labels, cluster_studies):
    neg = cluster_labels.assign(value=0)
    row = prevalence(neg, unit="slice", studies=cluster_studies).query("dataset == 'alpha' and finding == 'any'").iloc[0]
    # R: binom.test(0, 30)$conf.int, the 30 patients as independent units
    assert (row.estimate, row.ci_low) == (0.0, 0.0)
    assert row.ci_high == pytest.approx(0.115703, abs=1e-6)
    assert math.isnan(row.design_effect) and "Clopper-Pearson on the 30 clusters" in row.reason


def test_missing_labels_are_counted(cluster_labels, cluster_studies):
    # the R script drops the sdh label of 7 alpha slices and 2 alpha studies
    for unit, gap in [("slice", 7), ("study", 2)]:
        prev = _index(prevalence(cluster_labels, unit=unit, studies=cluster_studies), ["dataset", "finding"])
        assert prev[("alpha", "sdh")]["n_missing"] == gap
        assert prev[("alpha", "any")]["n_missing"] == prev[("beta", "sdh")]["n_missing"] == 0
    # a study in studies with no label at all is missing for every finding
    extra = pd.concat([cluster_studies, pd.DataFrame({"dataset": ["alpha"], "study_id": ["alpha-S999"], "patient_id": ["alpha-P99"]})])
    prev = _index(prevalence(cluster_labels, studies=extra), ["dataset", "finding"])
    assert (prev[("alpha", "any")]["n_missing"], prev[("alpha", "sdh")]["n_missing"]) == (1, 3)


def test_cohort_is_accepted():
    from hemstats.datasets import demo

    cohort = demo.load(n_studies=200)
    # on main before issue 11: AttributeError: 'Cohort' object has no attribute 'columns'
    pd.testing.assert_frame_equal(prevalence(cohort), prevalence(cohort.labels, studies=cohort.studies))
    pd.testing.assert_frame_equal(
        compare_prevalence(cohort, by="site"), compare_prevalence(cohort.labels, by="site", studies=cohort.studies)
    )
    assert len(cooccurrence(cohort)) == len(cooccurrence(cohort.labels))
    assert len(lesion_volumes(cohort)) == len(lesion_volumes(cohort.lesions))


def test_cluster_bootstrap_is_seeded_and_close_to_logit(cluster_labels, cluster_studies):
    kw = dict(unit="slice", studies=cluster_studies, cluster_interval="bootstrap", n_resamples=2000)
    a = prevalence(cluster_labels, rng=7, **kw)
    pd.testing.assert_frame_equal(a, prevalence(cluster_labels, rng=7, **kw))
    assert set(a.method) == {"cluster-bootstrap-percentile"}
    assert (a.n_resamples == 2000).all() and (a.n_failed_resamples == 0).all()
    logit = prevalence(cluster_labels, unit="slice", studies=cluster_studies)
    alpha = (a.dataset == "alpha").to_numpy()
    np.testing.assert_allclose(a.ci_low[alpha], logit.ci_low[alpha], atol=0.03)
    np.testing.assert_allclose(a.ci_high[alpha], logit.ci_high[alpha], atol=0.03)


@pytest.mark.parametrize("bootstrap_method", ["basic", "bca"])
def test_cluster_bootstrap_methods(cluster_labels, cluster_studies, bootstrap_method):
    # BCa's acceleration from the leave-one-patient-out jackknife of the ratio
    kw = dict(unit="slice", studies=cluster_studies, cluster_interval="bootstrap", n_resamples=2000, rng=3)
    got = prevalence(cluster_labels, bootstrap_method=bootstrap_method, **kw)
    assert set(got.method) == {f"cluster-bootstrap-{bootstrap_method}"}
    logit = prevalence(cluster_labels, unit="slice", studies=cluster_studies)
    alpha = (got.dataset == "alpha").to_numpy()
    np.testing.assert_allclose(got.ci_low[alpha], logit.ci_low[alpha], atol=0.04)
    np.testing.assert_allclose(got.ci_high[alpha], logit.ci_high[alpha], atol=0.04)
    r = clustered_proportion(np.array([0, 3, 1, 5, 2, 0, 4]), np.array([4, 5, 2, 8, 6, 3, 5]), interval="bootstrap",
                             bootstrap_method=bootstrap_method, rng=1)  # fmt: skip
    assert r.ci_low <= r.estimate <= r.ci_high and r.method == f"cluster-bootstrap-{bootstrap_method}"


def test_bad_bootstrap_method_is_named(cluster_labels):
    with pytest.raises(InputError, match="bootstrap_method must be one of"):
        prevalence(cluster_labels, bootstrap_method="studentized")


@pytest.mark.parametrize("bad", [0, 1, 10**7 + 1, 2.5, "2000", True, None])
def test_n_resamples_is_an_integer_in_range(cluster_labels, bad):
    with pytest.raises(HemstatsError, match=r"n_resamples must be an integer in \[2, 10000000\]"):
        prevalence(cluster_labels, unit="slice", n_resamples=bad)


def test_p_values_do_not_underflow_to_zero():
    # chi-squared of 100,000 vs 0 positives out of 100,000 each: scipy's p underflows to 0.0
    name, _, p, reason = proportions_test(np.array([[100_000, 0], [0, 100_000]]))
    assert 0.0 < p <= np.finfo(float).tiny and "underflow" in reason
    name, _, p, reason = proportions_test(np.array([[3000, 0], [0, 3000]]), test="fisher")
    assert p > 0.0 and "underflow" in reason


@pytest.mark.slow
def test_clustered_interval_coverage_under_icc():
    """Seeded Monte Carlo: 100 patients x 10 slices, beta-binomial slice risks, prevalence 0.2.

    4,000 data sets per ICC (about 8 s): the Monte Carlo SE of a 95 % coverage is 0.0034, so
    the 93-97 % band is +-5.8 SE.  Measured (rng 20261201): cluster-logit 0.950 / 0.949 / 0.958
    at ICC 0.3 / 0.5 / 0.7, Wilson on independent slices 0.695 / 0.590 / 0.527.
    """
    table = clustered_proportion_coverage(icc=(0.3, 0.5, 0.7), n_simulations=4000, rng=20261201)
    clustered = table[table.method == "cluster-logit"]
    assert len(clustered) == 3
    assert clustered.coverage.between(0.93, 0.97).all(), clustered
    naive = table[table.method == "wilson-independent-rows"]
    assert (naive.coverage < 0.80).all(), naive  # what the binomial interval did on slices
    assert clustered.mean_design_effect.tolist() == pytest.approx([3.7, 5.5, 7.3], abs=0.2)  # 1 + 9 ICC


@pytest.mark.slow
def test_clustered_interval_coverage_plasmode():
    """Plasmode on the demo cohort's slice labels (demo has them for ``slice_fraction`` of the studies).

    The population is the demo's slice-labelled patients with all their slices (slice_fraction=1,
    600 studies); each replicate draws 100 patients with replacement, with all their slices, and
    the truth is the population's slice prevalence of ``any`` (the ratio of totals): 546 patients,
    43,625 slices, truth 0.114, design effect 48 (about 80 slices per patient).  2,000 replicates,
    Monte Carlo SE 0.005.  Measured: cluster-logit 0.9365 (2.5 SE under 95 %: the ratio estimator
    with very unequal cluster sizes under-covers slightly), Wilson on independent slices 0.235.
    """
    from hemstats.datasets import demo

    cohort = demo.load(n_studies=600, slice_fraction=1.0)
    lab = cohort.labels.query("level == 'slice' and rater == 'consensus' and finding == 'any'")
    lab = lab.merge(cohort.studies[["study_id", "patient_id"]], on="study_id")
    per_patient = lab.groupby("patient_id", observed=True)["value"].agg(["sum", "size"])
    pos, size = per_patient["sum"].to_numpy(), per_patient["size"].to_numpy()
    truth = pos.sum() / size.sum()
    gen = np.random.default_rng(20261201)
    hits, naive_hits, n_sim = 0, 0, 2000
    for _ in range(n_sim):
        idx = gen.integers(0, len(pos), 100)
        r = clustered_proportion(pos[idx], size[idx])
        hits += r.ci_low <= truth <= r.ci_high
        lo, hi = proportion_ci(pos[idx].sum(), size[idx].sum())
        naive_hits += lo <= truth <= hi
    coverage, naive = hits / n_sim, naive_hits / n_sim
    assert 0.93 <= coverage <= 0.97, coverage
    assert naive < 0.80, naive


@pytest.mark.shared_data
def test_physionet_slice_prevalence_is_clustered(shared_data):
    # the PhysioNet CT-ICH excerpt: 4 patients, 125 labelled slices; on the full tables the design
    # effect of slice prevalence is 3 to 15 (any ICH 8.8), here any ICH 8.2
    from hemstats.datasets import physionet_ct_ich

    cohort = physionet_ct_ich.load(shared_data / "physionet_ct_ich")
    prev = prevalence(cohort, unit="slice").set_index("finding")
    assert (prev.method == "cluster-logit").all() and (prev.n_clusters == 4).all()
    assert prev.reason.str.startswith("only 4 clusters").all()
    assert prev.loc["any", "design_effect"] == pytest.approx(8.15, abs=0.01)
    naive = prevalence(cohort, unit="slice", cluster=None).set_index("finding")
    assert (prev.ci_high - prev.ci_low > naive.ci_high - naive.ci_low).all()


def test_compare_prevalence_says_when_units_are_clustered(cluster_labels, cluster_studies):
    got = compare_prevalence(cluster_labels, unit="slice", studies=cluster_studies)
    pair = got[got.comparison == "pairwise"]
    assert set(pair.method) == {"newcombe-independent-rows"}
    assert pair.reason.str.contains(r"units are clustered in patients \(design effect 3.84, 2.02\)").any()
    assert got[got.comparison == "overall"].reason.str.contains("treat them as independent").all()
    # studies without repeated patients: plain Newcombe, no note
    plain = compare_prevalence(cluster_labels)
    assert set(plain.method.dropna()) == {"newcombe"} and not plain.reason.str.contains("clustered").any()


@settings(max_examples=150, deadline=None)
@given(
    clusters=st.lists(st.tuples(st.integers(1, 30), st.floats(0, 1)), min_size=2, max_size=40),
    interval=st.sampled_from(["logit", "wald"]),
    confidence_level=st.floats(0.5, 0.999),
)
def test_clustered_interval_properties(clusters, interval, confidence_level):
    sizes = np.array([m for m, _ in clusters])
    pos = np.array([round(f * m) for m, f in clusters])
    r = clustered_proportion(pos, sizes, interval=interval, confidence_level=confidence_level)
    assert r.estimate == pytest.approx(pos.sum() / sizes.sum())
    assert 0.0 <= r.ci_low <= r.estimate + 1e-12 and r.estimate - 1e-12 <= r.ci_high <= 1.0
    assert r.n_clusters == len(sizes)
    # mirror: counting negatives instead of positives mirrors the interval
    m = clustered_proportion(sizes - pos, sizes, interval=interval, confidence_level=confidence_level)
    assert m.ci_low == pytest.approx(1 - r.ci_high, abs=1e-9) and m.ci_high == pytest.approx(1 - r.ci_low, abs=1e-9)
    # one unit per cluster: the sandwich variance is the binomial one, design effect 1
    ones = clustered_proportion(np.minimum(pos, 1), np.ones_like(sizes), interval=interval, confidence_level=confidence_level)
    assert math.isnan(ones.design_effect) or ones.design_effect == pytest.approx(1.0)
