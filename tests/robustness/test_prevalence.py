"""Bad inputs to prevalence, compare_prevalence, proportion_ci, cooccurrence, lesion_volumes and table1.

Every case must end in a HemstatsError subclass whose message names the argument, column or rows
at fault; none may modify the caller's frames.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from hemstats.errors import HemstatsError, InputError, SchemaError
from hemstats.stats._core.cluster import clustered_proportion
from hemstats.stats._core.intervals import newcombe_difference, proportion_ci
from hemstats.stats.coverage.proportion import clustered_proportion_coverage, proportion_coverage
from hemstats.stats.descriptive.cooccurrence import combinations, cooccurrence
from hemstats.stats.descriptive.prevalence import compare_prevalence, prevalence
from hemstats.stats.descriptive.table1 import table1
from hemstats.stats.descriptive.volumes import lesion_volumes


def _labels() -> pd.DataFrame:
    rows = []
    for s in range(8):
        study = f"S{s}"
        for finding in ("any", "sdh"):
            rows.append(("d1", study, None, "study", finding, "consensus", int(s % 3 == 0)))
        for k in range(3):
            rows.append(("d1", study, f"{study}-{k}", "slice", "any", "consensus", int(s % 3 == 0 and k > 0)))
    return pd.DataFrame(rows, columns=["dataset", "study_id", "slice_id", "level", "finding", "rater", "value"])


def _studies() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "dataset": "d1",
            "study_id": [f"S{s}" for s in range(8)],
            "patient_id": [f"P{s // 2}" for s in range(8)],
            "site": ["A", "B"] * 4,
            "age_years": [50.0, 61.0, np.nan, 70.0, 45.0, 38.0, 80.0, 66.0],
            "sex": ["F", "M", "F", None, "M", "F", "M", "F"],
        }
    )


def _lesions() -> pd.DataFrame:
    return pd.DataFrame({"dataset": "d1", "study_id": ["S0", "S3", "S6"], "finding": "sdh", "volume_ml": [3.5, 0.0, 12.0]})


def _with(df: pd.DataFrame, row: int, column: str, value: object) -> pd.DataFrame:
    out = df.copy()
    out[column] = out[column].astype(object)
    out.loc[row, column] = value
    return out


L, S, V = _labels(), _studies(), _lesions()


def _cohort():
    from hemstats.datasets import demo

    return demo.load(n_studies=20)

CASES: list[tuple[str, Callable[[], object], type[HemstatsError], str]] = [
    # -- prevalence
    ("prevalence-unknown-rater", lambda: prevalence(L, rater="R9"), InputError, r"prevalence: labels has no rows with rater 'R9'.*raters: \['consensus'\]"),
    ("prevalence-rater-not-text", lambda: prevalence(L, rater=["R1"]), InputError, r"prevalence: rater must be one rater id"),
    ("prevalence-unknown-by", lambda: prevalence(L, by="hospital"), InputError, r"prevalence: by columns \['hospital'\] are not in labels \(pass studies="),
    ("prevalence-by-absent-from-studies", lambda: prevalence(L, by="hospital", studies=S), InputError, r"by columns \['hospital'\] are not in labels or studies"),
    ("prevalence-bad-interval", lambda: prevalence(L, interval="wald"), InputError, r"interval must be one of .*'wald'"),
    ("prevalence-unknown-findings", lambda: prevalence(L, findings="bleed"), InputError, r"findings \['bleed'\] are not in the finding vocabulary"),
    ("prevalence-findings-not-labelled", lambda: prevalence(L, findings="edh"), InputError, r"no labels of findings \['edh'\]"),
    ("prevalence-cohort-and-studies", lambda: prevalence(_cohort(), studies=S), InputError, r"prevalence: got a Cohort and studies= as well"),
    ("prevalence-confidence-0", lambda: prevalence(L, confidence_level=0), HemstatsError, r"confidence_level must be .* got 0"),
    ("prevalence-confidence-1", lambda: prevalence(L, confidence_level=1), HemstatsError, r"confidence_level must be .* got 1"),
    ("prevalence-confidence-95", lambda: prevalence(L, confidence_level=95), HemstatsError, r"confidence_level must be .* got 95"),
    ("prevalence-bad-unit", lambda: prevalence(L, unit="exam"), InputError, r"prevalence: unit must be one of .*'exam'"),
    ("prevalence-duplicated-rows", lambda: prevalence(pd.concat([L, L.iloc[[4, 9]]], ignore_index=True)), SchemaError,
     r"key \(dataset, study_id, slice_id, level, finding, rater\) is not unique; 4 rows, first: row 4, row 9"),
    ("prevalence-missing-column", lambda: prevalence(L.drop(columns="value")), InputError, r"prevalence: the labels table is missing column\(s\) \['value'\]"),
    ("prevalence-value-not-binary", lambda: prevalence(_with(L, 3, "value", 2)), SchemaError, r"labels\.value: expected 0 or 1; 1 row, first: row 3 \(2\)"),
    ("prevalence-unknown-finding", lambda: prevalence(_with(L, 2, "finding", "bleed")), SchemaError, r"labels\.finding: .*row 2 \('bleed'\)"),
    ("prevalence-unknown-cluster", lambda: prevalence(L, unit="slice", cluster="hospital"), InputError, r"prevalence: cluster column 'hospital' is not in labels"),
    ("prevalence-bad-cluster-interval", lambda: prevalence(L, unit="slice", cluster_interval="bca"), InputError, r"cluster_interval must be one of .*'bca'"),
    ("prevalence-n-resamples-float", lambda: prevalence(L, n_resamples=2000.5), HemstatsError, r"n_resamples must be an integer in \[2, 10000000\], got 2000.5"),
    ("prevalence-n-resamples-negative", lambda: prevalence(L, n_resamples=-5), HemstatsError, r"n_resamples must be an integer in \[2, 10000000\], got -5"),
    ("prevalence-not-a-table", lambda: prevalence("labels.csv"), InputError, r"prevalence: the first argument must be a Cohort or the labels table \(a pandas DataFrame\), got str"),
    ("prevalence-studies-not-a-table", lambda: prevalence(L, studies="studies.csv"), InputError, r"prevalence: studies= must be the canonical studies table"),
    ("prevalence-orphan-study", lambda: prevalence(L, studies=S.iloc[2:]), SchemaError, r"labels\.study_id: expected a \(dataset, study_id\) listed in studies; 4 rows, first: row 0 \('S0'\)"),
    ("prevalence-missing-group-value", lambda: prevalence(L, by="site", studies=_with(S, 5, "site", None)), InputError,
     r"grouping column 'site' is missing for 2 rows, first: row \d+ \('S5'\)"),
    ("prevalence-patient-without-studies", lambda: prevalence(L, unit="patient"), InputError, r"prevalence: unit='patient' needs patient_id; pass a Cohort or studies="),
    # -- compare_prevalence
    ("compare-bad-test", lambda: compare_prevalence(L, by="site", studies=S, test="t-test"), InputError, r"compare_prevalence: test must be .*'t-test'"),
    ("compare-no-by", lambda: compare_prevalence(L, by=None), InputError, r"compare_prevalence: by= needs at least one grouping column"),
    ("compare-confidence-95", lambda: compare_prevalence(L, by="site", studies=S, confidence_level=95), InputError, r"confidence_level .* got 95"),
    ("compare-by-twice", lambda: compare_prevalence(L, by=["site", "site"], studies=S), InputError, r"compare_prevalence: by names a column twice"),
    ("compare-bad-unit", lambda: compare_prevalence(L, unit="exam"), InputError, r"compare_prevalence: unit must be one of"),
    # -- proportion_ci and newcombe_difference
    ("ci-count-above-nobs", lambda: proportion_ci(5, 3), HemstatsError, r"0 <= count <= nobs; 1 bad pair\(s\), first: count=5.0, nobs=3.0"),
    ("ci-negative-count", lambda: proportion_ci([-1, 2], [4, 4]), HemstatsError, r"count <= nobs; 1 bad pair\(s\), first: count=-1.0"),
    ("ci-non-integer-count", lambda: proportion_ci(1.5, 3), HemstatsError, r"expected whole counts.* count=1.5"),
    ("ci-nan-count", lambda: proportion_ci(np.nan, 3), HemstatsError, r"expected whole counts.* count=nan"),
    ("ci-text-count", lambda: proportion_ci("five", 10), HemstatsError, r"count and nobs must be numbers, got 'five'"),
    ("ci-bad-interval", lambda: proportion_ci(1, 3, interval="exact"), InputError, r"interval must be one of .*'exact'"),
    ("ci-confidence-1", lambda: proportion_ci(1, 3, confidence_level=1.0), HemstatsError, r"confidence_level .* got 1.0"),
    ("newcombe-count-above-nobs", lambda: newcombe_difference(4, 3, 1, 2), HemstatsError, r"count=4.0, nobs=3.0"),
    ("cluster-positives-above-size", lambda: clustered_proportion([1, 5], [3, 4]), HemstatsError,
     r"0 <= positives <= sizes .* first: cluster 1 \(positives=5.0, sizes=4.0\)"),
    ("cluster-empty-cluster", lambda: clustered_proportion([0, 0], [3, 0]), HemstatsError, r"sizes >= 1 .* cluster 1"),
    ("cluster-lengths-differ", lambda: clustered_proportion([1, 2, 0], [3, 4]), HemstatsError, r"of one length, got shapes \(3,\) and \(2,\)"),
    ("cluster-bad-interval", lambda: clustered_proportion([1, 2], [3, 4], interval="bca"), InputError, r"^interval must be one of"),
    # -- coverage
    ("coverage-bad-interval", lambda: proportion_coverage(intervals=["exact"], n_simulations=10), InputError, r"intervals must be one of .*'exact'"),
    ("coverage-n-simulations", lambda: proportion_coverage(n_simulations=0), InputError, r"n_simulations must be a positive whole number, got 0"),
    ("cluster-coverage-bad-interval", lambda: clustered_proportion_coverage(interval="bca", n_simulations=5), InputError, r"interval must be one of"),
    ("cluster-coverage-icc", lambda: clustered_proportion_coverage(icc=(1.5,), n_simulations=5), InputError, r"icc must hold numbers strictly between 0 and 1"),
    # -- cooccurrence and combinations
    ("cooccurrence-unknown-finding", lambda: cooccurrence(L, findings=["sdh", "bleed"]), InputError, r"cooccurrence: findings \['bleed'\] are not in the finding vocabulary"),
    ("cooccurrence-unknown-by", lambda: cooccurrence(L, by="hospital"), InputError, r"cooccurrence: by columns \['hospital'\] are not in labels"),
    ("combinations-bad-unit", lambda: combinations(L, unit="exam"), InputError, r"combinations: unit must be one of .*'exam'"),
    ("cooccurrence-by-not-text", lambda: cooccurrence(L, by=["dataset", 3]), InputError, r"cooccurrence: by must be a column name or a list of column names"),
    # -- lesion_volumes
    ("volumes-unknown-finding", lambda: lesion_volumes(V, findings=["bleed"]), InputError, r"lesion_volumes: findings \['bleed'\] are not in the finding vocabulary"),
    ("volumes-missing-column", lambda: lesion_volumes(V.drop(columns="finding")), InputError, r"lesion_volumes: the lesions table is missing column\(s\) \['finding'\]"),
    ("volumes-missing-volume", lambda: lesion_volumes(V.drop(columns="volume_ml")), SchemaError, r"lesions\.volume_ml: required column is absent"),
    ("volumes-include-zero", lambda: lesion_volumes(V, include_zero="yes"), InputError, r"include_zero must be True or False"),
    ("volumes-negative", lambda: lesion_volumes(_with(V, 1, "volume_ml", -2.0)), SchemaError, r"lesions\.volume_ml: .*row 1 \(-2\.0\)"),
    ("volumes-text", lambda: lesion_volumes(_with(V, 2, "volume_ml", "big")), SchemaError, r"lesions\.volume_ml: .*row 2 \('big'\)"),
    ("volumes-unknown-by", lambda: lesion_volumes(V, by="site"), InputError, r"lesion_volumes: by columns \['site'\] are not in lesions \(pass studies="),
    ("volumes-by-absent-from-studies", lambda: lesion_volumes(V, by="hospital", studies=S), InputError, r"by columns \['hospital'\] are not in lesions or studies"),
    # -- table1
    ("table1-unknown-by", lambda: table1(S, by="hospital"), InputError, r"table1: by columns \['hospital'\] are not in studies"),
    ("table1-unknown-column", lambda: table1(S, columns=["weight"]), InputError, r"table1: columns \['weight'\] are not in studies"),
    ("table1-confidence-0", lambda: table1(S, confidence_level=0), HemstatsError, r"confidence_level .* got 0"),
    ("table1-nonnormal-categorical", lambda: table1(S, columns=["sex", "age_years"], nonnormal=["sex"]), HemstatsError, r"nonnormal names \['sex'\]"),
    ("table1-categorical-not-a-column", lambda: table1(S, columns=["sex"], categorical=["weight"]), HemstatsError, r"categorical names \['weight'\]"),
    ("table1-bad-t-test", lambda: table1(S, by="site", t_test="pooled"), InputError, r"t_test must be 'welch' or 'student', got 'pooled'"),
    ("table1-text-in-continuous", lambda: table1(_with(S, 6, "age_years", "old"), columns=["age_years"]), SchemaError, r"studies\.age_years: .*row 6 \('old'\)"),
    ("table1-not-a-table", lambda: table1([1, 2, 3]), InputError, r"table1: the first argument must be a Cohort or the studies table \(a pandas DataFrame\), got list"),
    ("table1-labels-without-consensus", lambda: table1(S, labels=L.assign(rater="R1")), InputError, r"table1: labels has no study-level rows of rater 'consensus'"),
    ("table1-duplicated-labels", lambda: table1(S, labels=pd.concat([L, L.iloc[[0]]], ignore_index=True)), SchemaError,
     r"key \(dataset, study_id, slice_id, level, finding, rater\) is not unique; 2 rows, first: row 0, row 40"),
    ("table1-orphan-label", lambda: table1(S.iloc[1:], labels=L), SchemaError, r"labels\.study_id: expected a \(dataset, study_id\) listed in studies"),
    ("table1-column-twice", lambda: table1(S, columns=["sex", "sex"]), InputError, r"table1: columns names a column twice"),
]


@pytest.mark.parametrize("call, error, match", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_raises_named_error(call, error, match):
    before = (L.copy(), S.copy(), V.copy())
    with pytest.raises(error, match=match):
        call()
    for a, b in zip(before, (L, S, V)):
        pd.testing.assert_frame_equal(a, b)  # the caller's frames are never modified


def test_a_string_is_one_name_never_its_characters():
    # DESIGN: `findings=` / `columns=` take one name or a list; a string is never split into characters
    assert cooccurrence(L, findings="any").empty  # one finding: no pair
    assert table1(S, columns="age_years").table.variable.unique().tolist() == ["n", "age_years"]
    t = table1(S, columns=["sex", "age_years"], categorical="sex").table
    assert set(t.loc[t.variable == "sex", "measure"]) == {"proportion"}


def test_inputs_read_from_files_are_left_alone(tmp_path, frozen_inputs):
    labels_csv, studies_csv = tmp_path / "labels.csv", tmp_path / "studies.csv"
    L.to_csv(labels_csv, index=False)
    _with(S, 5, "site", None).to_csv(studies_csv, index=False)
    frozen_inputs(labels_csv, studies_csv)
    labels, studies = pd.read_csv(labels_csv), pd.read_csv(studies_csv)
    with pytest.raises(HemstatsError, match=r"grouping column 'site' is missing"):
        prevalence(labels, by="site", studies=studies)
