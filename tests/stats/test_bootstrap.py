"""The bootstrap engine: exactness against loops and scipy, resampling design, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from sklearn.metrics import average_precision_score, roc_auc_score

from hemstats.errors import HemstatsError, InputError, OneClassError
from hemstats.stats._core.options import method_code
from hemstats.stats.resampling.engine import (
    CI_COLUMNS,
    RESULT_COLUMNS,
    BootstrapDistribution,
    auc_statistic,
    bootstrap_ci,
    bootstrap_distribution,
    interval_from_distribution,
    make_design,
    resample_indices,
    weighted_auc,
    weighted_average_precision,
)


def _data(n=300, prevalence=0.3, seed=1, digits=1):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < prevalence).astype(int)
    s = np.round(rng.normal(y, 1.0), digits)  # heavy ties
    return y, s


def _rows_auc_loop(y, s, idx_chunks):
    return np.array([roc_auc_score(y[i], s[i]) for c in idx_chunks for i in c])


# -- statistics ----------------------------------------------------------------------------
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_weighted_auc_and_ap_equal_sklearn_on_tied_scores(seed):
    y, s = _data(seed=seed)
    assert abs(weighted_auc(y, s)[0] - roc_auc_score(y, s)) < 1e-12
    assert abs(weighted_average_precision(y, s)[0] - average_precision_score(y, s)) < 1e-12
    # integer weights = repeated rows
    w = np.random.default_rng(seed).integers(0, 3, (4, len(y)))
    for row in w:
        rows = np.repeat(np.arange(len(y)), row)
        assert abs(weighted_auc(y, s, row[None])[0] - roc_auc_score(y[rows], s[rows])) < 1e-12
        assert abs(weighted_average_precision(y, s, row[None])[0] - average_precision_score(y[rows], s[rows])) < 1e-12


def test_auc_jackknife_is_exact_leave_one_out():
    y, s = _data(n=120)
    y8 = y.astype(np.int8)
    loo = auc_statistic.jackknife(y8, s, np.arange(len(y)), len(y))
    brute = [roc_auc_score(np.delete(y, i), np.delete(s, i)) for i in range(len(y))]
    assert np.max(np.abs(loo - brute)) < 1e-12
    clusters = np.random.default_rng(3).integers(0, 25, len(y))
    d = make_design(y8, clusters, True)
    loo = auc_statistic.jackknife(y8, s, d.unit_of_row, d.n_units)
    brute = [roc_auc_score(y[d.unit_of_row != u], s[d.unit_of_row != u]) for u in range(d.n_units)]
    assert np.max(np.abs(loo - brute)) < 1e-12


# -- exactness against loops and scipy --------------------------------------------------------
@pytest.mark.parametrize("chunk_size", [None, 37])
def test_percentile_ci_equals_sklearn_loop_on_same_indices(chunk_size):
    y, s = _data()
    chunks = list(resample_indices(y, n_resamples=400, rng=5, chunk_size=chunk_size))
    loop = _rows_auc_loop(y, s, chunks)
    res = bootstrap_ci(y, s, n_resamples=400, rng=5, chunk_size=chunk_size)
    dist = bootstrap_distribution(y, s, n_resamples=400, rng=5, chunk_size=chunk_size).distribution[0]
    assert np.max(np.abs(dist - loop)) < 1e-12
    low, high = np.quantile(loop, [0.025, 0.975])
    assert abs(res.ci_low[0] - low) < 1e-12 and abs(res.ci_high[0] - high) < 1e-12
    # stratified: every resample keeps the class counts
    for c in chunks:
        assert (y[c].sum(axis=1) == y.sum()).all()


def test_resamples_do_not_depend_on_chunk_size():
    y, s = _data()
    a = bootstrap_distribution(y, s, n_resamples=300, rng=2, chunk_size=7)
    b = bootstrap_distribution(y, s, n_resamples=300, rng=2, chunk_size=300)
    np.testing.assert_array_equal(a.distribution, b.distribution)
    pd.testing.assert_frame_equal(bootstrap_ci(y, s, n_resamples=300, rng=2, chunk_size=7),
                                  bootstrap_ci(y, s, n_resamples=300, rng=2, chunk_size=300))


def test_clustered_ci_equals_loop_over_whole_patients():
    y, s = _data(n=200)
    patient = np.random.default_rng(4).integers(0, 40, len(y))
    d = make_design(y.astype(np.int8), patient, True)
    chunks = list(resample_indices(y, cluster=patient, n_resamples=200, rng=9))
    loop = []
    for c in chunks:
        for units in c:
            rows = np.concatenate([np.flatnonzero(d.unit_of_row == u) for u in units])
            loop.append(roc_auc_score(y[rows], s[rows]) if 0 < y[rows].sum() < len(rows) else np.nan)
    dist = bootstrap_distribution(y, s, cluster=patient, n_resamples=200, rng=9)
    np.testing.assert_allclose(dist.distribution[0], loop, atol=1e-12)
    res = bootstrap_ci(y, s, cluster=patient, n_resamples=200, rng=9)
    assert res.n_clusters[0] == 40 and res.n[0] == 200 and res.n_positive[0] == y.sum()
    assert res.method[0] == "stratified-cluster-bootstrap-percentile"


@pytest.mark.parametrize("method", ["percentile", "basic", "bca"])
def test_equals_scipy_bootstrap_unstratified_same_seed(method):
    y, s = _data(n=150)

    def stat(a, b, axis=-1):
        a2, b2 = np.atleast_2d(a), np.atleast_2d(b)
        out = np.array([roc_auc_score(a2[i], b2[i]) for i in range(a2.shape[0])])
        return out if a.ndim > 1 else out[0]

    ref = stats.bootstrap((y, s), stat, paired=True, vectorized=True, n_resamples=300, method=method,
                          rng=np.random.default_rng(9))
    res = bootstrap_ci(y, s, stratify=False, n_resamples=300, rng=9, bootstrap_method=method)
    assert abs(res.ci_low[0] - float(np.squeeze(ref.confidence_interval.low))) < 1e-12
    assert abs(res.ci_high[0] - float(np.squeeze(ref.confidence_interval.high))) < 1e-12


def test_bca_on_a_mean_equals_scipy():
    # a generic (non-AUC) vectorised statistic exercises the chunked jackknife
    x = np.random.default_rng(0).exponential(size=80)

    def weighted_mean(y, score, w):
        return (w * score).sum(axis=1) / w.sum(axis=1)

    y = np.zeros(len(x), dtype=int)
    res = bootstrap_ci(y, x, statistic=weighted_mean, stratify=False, bootstrap_method="bca", n_resamples=500, rng=3)
    ref = stats.bootstrap((x,), np.mean, method="bca", n_resamples=500, rng=np.random.default_rng(3))
    assert abs(res.ci_low[0] - ref.confidence_interval.low) < 1e-12
    assert abs(res.ci_high[0] - ref.confidence_interval.high) < 1e-12


def test_paired_models_share_resamples():
    y, s = _data()
    s2 = s + np.random.default_rng(8).normal(0, 0.5, len(s))
    both = bootstrap_distribution(y, pd.DataFrame({"a": s, "b": s2}), n_resamples=200, rng=1)
    only_b = bootstrap_distribution(y, s2, n_resamples=200, rng=1)
    assert both.models == ("a", "b")
    np.testing.assert_array_equal(both.distribution[1], only_b.distribution[0])
    diff = both.difference("a", "b")
    assert diff.estimate[0] == pytest.approx(both.estimate[0] - both.estimate[1])
    assert diff.ci().model.tolist() == ["a - b"]
    res = bootstrap_ci(y, pd.DataFrame({"a": s, "b": s2}), n_resamples=200, rng=1)
    assert res.model.tolist() == ["a", "b"]
    np.testing.assert_allclose(res.estimate, both.estimate, atol=1e-15)


def test_frame_has_fixed_columns_and_never_modifies_input():
    y, s = _data()
    frame = pd.DataFrame({"y": y, "s": s})
    before = frame.copy()
    for method in ("percentile", "basic", "bca"):
        for stratify, cluster in ((True, None), (False, None), (True, np.arange(len(y)) % 150)):
            res = bootstrap_ci(frame["y"], frame["s"], bootstrap_method=method, stratify=stratify, cluster=cluster,
                               n_resamples=100, rng=0)
            assert tuple(res.columns) == RESULT_COLUMNS
            assert res.method[0] == method_code(method, stratified=stratify, clustered=cluster is not None)
            assert res.metric[0] == "auc" and res.confidence_level[0] == 0.95
            dist = bootstrap_distribution(frame["y"], frame["s"], stratify=stratify, cluster=cluster, n_resamples=100,
                                          rng=0, jackknife=method == "bca")
            assert tuple(dist.ci(bootstrap_method=method).columns) == CI_COLUMNS
    pd.testing.assert_frame_equal(frame, before)


def test_interval_helper():
    dist = np.arange(101)
    assert interval_from_distribution(50.0, dist, confidence_level=0.5) == (25.0, 75.0)
    assert interval_from_distribution(70.0, dist, bootstrap_method="basic", confidence_level=0.5) == (65.0, 115.0)
    assert np.isnan(interval_from_distribution(0.5, np.array([]))[0])


# -- resamples with one class: counted, never dropped silently ---------------------------------
def test_unstratified_one_class_resamples_are_counted():
    y = np.array([1, 0, 0, 0, 0, 0, 0, 0, 0, 0])
    s = np.linspace(0, 1, 10)
    res = bootstrap_ci(y, s, stratify=False, n_resamples=1000, rng=0)
    dist = bootstrap_distribution(y, s, stratify=False, n_resamples=1000, rng=0).distribution[0]
    failed = int(np.isnan(dist).sum())
    assert failed > 250  # P(no case) = 0.9**10 = 0.35
    assert res.n_failed_resamples[0] == failed
    assert "held one class" in res.reason[0]
    assert np.isfinite(res.ci_low[0])
    strat = bootstrap_ci(y, s, n_resamples=1000, rng=0)
    assert strat.n_failed_resamples[0] == 0 and pd.isna(strat.reason[0])


def test_clustered_stratified_by_patient_class_can_still_fail_and_counts_it():
    # every patient has a positive slice: no control patients, so a resample can lack controls
    y = np.array([1, 0, 1, 1, 1, 1])
    s = np.array([0.9, 0.1, 0.8, 0.7, 0.6, 0.5])
    patient = np.array(["p1", "p1", "p2", "p2", "p3", "p3"])
    res = bootstrap_ci(y, s, cluster=patient, n_resamples=500, rng=0)
    assert res.n_failed_resamples[0] > 0


# -- property: clusters of one row are rows -----------------------------------------------------
@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(min_value=4, max_value=40),
    seed=st.integers(min_value=0, max_value=10_000),
    stratify=st.booleans(),
)
def test_cluster_bootstrap_with_one_row_per_patient_equals_row_bootstrap(n, seed, stratify):
    rng = np.random.default_rng(seed)
    y = np.r_[0, 1, rng.integers(0, 2, n - 2)]
    s = np.round(rng.random(n), 1)
    ids = np.array([f"patient-{v}" for v in rng.permutation(10 * n)[:n]])
    a = bootstrap_distribution(y, s, stratify=stratify, n_resamples=50, rng=seed)
    b = bootstrap_distribution(y, s, cluster=ids, stratify=stratify, n_resamples=50, rng=seed)
    np.testing.assert_array_equal(a.distribution, b.distribution)


# -- bad input -----------------------------------------------------------------------------------
def test_bad_input_raises_named_errors():
    y, s = _data(n=20)
    bad = s.copy()
    bad[7] = np.nan
    with pytest.raises(InputError, match="row 7"):
        bootstrap_ci(y, bad)
    bad[7] = np.inf
    with pytest.raises(InputError, match="NaN or infinite"):
        bootstrap_ci(y, bad)
    with pytest.raises(OneClassError, match="needs cases and controls"):
        bootstrap_ci(np.zeros(20), s)
    with pytest.raises(InputError, match="labels 0 or 1"):
        bootstrap_ci(np.r_[y[:-1], 2], s)
    with pytest.raises(InputError, match="expected 20 scores"):
        bootstrap_ci(y, s[:-1])
    with pytest.raises(InputError, match="bootstrap_method"):
        bootstrap_ci(y, s, bootstrap_method="bc")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="confidence_level"):
        bootstrap_ci(y, s, confidence_level=95)
    with pytest.raises(InputError, match="statistic"):
        bootstrap_ci(y, s, statistic="gini")
    assert issubclass(InputError, HemstatsError)


def test_distribution_without_jackknife_refuses_bca():
    y, s = _data(n=50)
    dist = bootstrap_distribution(y, s, n_resamples=50, rng=0)
    with pytest.raises(InputError, match="jackknife"):
        dist.ci(bootstrap_method="bca")


# -- issue 10: options, bounded memory, clusters, parameter range ------------------------------
@pytest.mark.parametrize("bad", [0, 1, 2.5, True, "100", -5, 10**12, 2000.0, None])
def test_n_resamples_must_be_an_integer_in_range(bad):
    # 2.5 ran 2 resamples and 0 gave a raw traceback before issue 10
    y, s = _data(n=40)
    with pytest.raises(InputError, match="n_resamples"):
        bootstrap_ci(y, s, n_resamples=bad, rng=0)
    with pytest.raises(InputError, match="n_resamples"):
        bootstrap_distribution(y, s, n_resamples=bad, rng=0)


@pytest.mark.parametrize("option, bad", [
    ("confidence_level", 0), ("confidence_level", 1), ("confidence_level", 95), ("confidence_level", float("nan")),
    ("confidence_level", True), ("bootstrap_method", "BCA"),
    ("bootstrap_method", "foo"), ("stratify", "yes"), ("rng", 1.5), ("rng", "seed"), ("rng", -1),
])
def test_bootstrap_options_are_checked_and_named(option, bad):
    y, s = _data(n=40)
    with pytest.raises(InputError, match=option):
        bootstrap_ci(y, s, n_resamples=50, **{option: bad})


def test_one_cluster_gives_nan_and_few_clusters_warn():
    y, s = _data(n=60)
    one = bootstrap_ci(y, s, cluster=np.zeros(60), stratify=False, n_resamples=50, rng=0).iloc[0]
    assert np.isnan(one.ci_low) and np.isnan(one.ci_high)  # was a zero-width interval
    assert "1 cluster" in one.reason and one.n_clusters == 1
    few = bootstrap_ci(y, s, cluster=np.arange(60) % 5, n_resamples=200, rng=0).iloc[0]
    assert few.ci_low < few.ci_high and "fewer than 10" in few.reason
    many = bootstrap_ci(y, s, cluster=np.arange(60) % 20, n_resamples=200, rng=0).iloc[0]
    assert pd.isna(many.reason)


def test_basic_interval_is_clipped_to_the_parameter_range():
    rng = np.random.default_rng(3)
    y = np.r_[np.ones(15), np.zeros(15)].astype(int)
    s = np.r_[rng.normal(3.0, 1, 15), rng.normal(0, 1, 15)]  # AUC near 1: the basic interval passes 1
    res = bootstrap_ci(y, s, bootstrap_method="basic", n_resamples=2000, rng=0).iloc[0]
    raw = interval_from_distribution(res.estimate, bootstrap_distribution(y, s, n_resamples=2000, rng=0)
                                     .distribution[0], bootstrap_method="basic")
    assert raw[1] > 1  # the unclipped basic interval leaves [0, 1] ...
    assert 0 <= res.ci_low <= res.ci_high <= 1  # ... the reported one does not
    assert "clipped" in res.reason


def test_large_n_resamples_warns_with_a_time_estimate_in_bounded_memory():
    import tracemalloc

    rng = np.random.default_rng(0)
    y = (rng.random(400) < 0.3).astype(int)
    s = rng.normal(y, 1.0)  # no ties: 800 codes per resample
    tracemalloc.start()
    with pytest.warns(UserWarning, match=r"n_resamples=150000 .* expect roughly \d+ s"):
        res = bootstrap_ci(y, s, n_resamples=150_000, rng=0)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    # the 150000 x 400 index matrix alone would be 480 MB; chunks of 2**20 cells keep the peak near 75 MiB
    assert peak < 150 * 2**20
    assert res.n_resamples[0] == 150_000


def test_wrong_cluster_length_and_text_labels_are_named():
    y, s = _data(n=40)
    with pytest.raises(InputError, match="cluster: expected 40"):
        bootstrap_ci(y, s, cluster=np.arange(39), n_resamples=50)
    with pytest.raises(InputError, match="y: expected 0/1 labels"):
        bootstrap_ci(np.where(y == 1, "pos", "neg"), s, n_resamples=50)


# -- issue 12: one glossary ------------------------------------------------------------------------
def test_y_first_and_the_statistic_is_a_keyword():
    y, s = _data(n=80)
    res = bootstrap_ci(y, s, statistic="average_precision", n_resamples=100, rng=0)
    assert res.metric.tolist() == ["average_precision"]
    assert abs(res.estimate[0] - average_precision_score(y, s)) < 1e-12
    with pytest.raises(TypeError):
        bootstrap_ci(y, s, return_distribution=True)  # type: ignore[call-arg]  # replicates: bootstrap_distribution


def test_interval_options_are_checked_and_named():
    dist = np.arange(101.0)
    with pytest.raises(InputError, match="bootstrap_method"):
        interval_from_distribution(50.0, dist, bootstrap_method="BCA")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="confidence_level"):
        interval_from_distribution(50.0, dist, confidence_level=95)
    with pytest.raises(InputError, match="bootstrap_method='bca' needs jackknife"):
        interval_from_distribution(50.0, dist, bootstrap_method="bca")


def test_the_distribution_keeps_the_design_for_the_method_code():
    y, s = _data(n=60)
    dist = bootstrap_distribution(y, s, cluster=np.arange(60) % 20, n_resamples=50, rng=0, jackknife=True)
    assert isinstance(dist, BootstrapDistribution)
    assert dist.method_code("bca") == "stratified-cluster-bootstrap-bca"
    ci = dist.ci(bootstrap_method="bca", confidence_level=0.9)
    assert ci.method[0] == "stratified-cluster-bootstrap-bca" and ci.confidence_level[0] == 0.9
    assert ci.n_positive[0] == y.sum() and ci.metric[0] == "auc"
    # a generic statistic of one class is not stratified (one stratum)
    mean = bootstrap_distribution(np.zeros(20, dtype=int), np.arange(20.0),
                                  statistic=lambda y, x, w: (w * x).sum(axis=1) / w.sum(axis=1), n_resamples=20, rng=0)
    assert mean.ci().method[0] == "bootstrap-percentile" and mean.ci().metric[0] == "<lambda>"


def test_old_spellings_are_gone():
    y, s = _data(n=60)
    with pytest.raises(TypeError):
        bootstrap_ci("auc", y, s)  # type: ignore[arg-type, call-arg]
    with pytest.raises(TypeError):
        bootstrap_ci(y, s, method="basic")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        interval_from_distribution(70.0, np.arange(101), method="basic")  # type: ignore[call-arg]


# -- Monte Carlo coverage of the intervals (hemstats.stats.coverage.diagnostic) --------------------
# The coverage levels themselves (slow) are asserted in tests/stats/test_performance.py; here the
# tables' vocabulary: the studied interval's code, the Wilson Monte Carlo interval, the counts.
def test_coverage_tables_speak_the_result_vocabulary():
    from hemstats.stats.coverage.diagnostic import (
        COVERAGE_COLUMNS,
        OPERATING_COVERAGE_COLUMNS,
        auc_ci_coverage,
        operating_point_coverage,
    )

    tab = operating_point_coverage(sample_size=120, statistics=("ppv", "sensitivity"), n_simulations=30,
                                   n_resamples=100, rng=3)
    assert tuple(tab.columns) == OPERATING_COVERAGE_COLUMNS
    assert tab.interval.tolist() == ["stratified-bootstrap-percentile", "bootstrap-percentile"] * 2
    assert (tab.metric == "coverage").all() and (tab.method == "wilson").all()
    np.testing.assert_allclose(tab.estimate, tab.n_positive / tab.n)
    assert ((tab.ci_low <= tab.estimate) & (tab.estimate <= tab.ci_high)).all()
    np.testing.assert_allclose(tab.mc_se, np.sqrt(tab.estimate * (1 - tab.estimate) / tab.n))
    auc = auc_ci_coverage(sample_size=[60], prevalence=[0.3], bootstrap_methods="bca", n_simulations=5,
                          n_resamples=50, rng=0)
    assert tuple(auc.columns) == COVERAGE_COLUMNS
    assert auc.interval.tolist() == ["delong", "stratified-bootstrap-bca"]
    assert auc.n_resamples.isna().tolist() == [True, False] and (auc.statistic == "auc").all()
    with pytest.raises(InputError, match="intervals"):
        auc_ci_coverage(intervals="delong-rows")
    with pytest.raises(InputError, match="bootstrap_methods"):
        auc_ci_coverage(bootstrap_methods=["studentized"])


def test_coverage_tables_count_what_they_skip():
    from hemstats.stats.coverage.diagnostic import clustered_auc_coverage

    # 3 patients, prevalence 0.2: many simulated samples have no positive slice and give no interval
    tab = clustered_auc_coverage(n_patients=3, slices_per_patient=2, patient_prevalence=0.2, n_simulations=20,
                                 n_resamples=20, rng=1)
    assert (tab.n < 20).all() and (tab.n_simulations == 20).all()
    assert tab.reason.str.contains("of 20 simulated samples gave no interval").all()
