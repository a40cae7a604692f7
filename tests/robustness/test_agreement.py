"""Robustness of inter-rater agreement: every bad input ends in a clear InputError.

Each case names the function, the bad input and the argument or column the message must
name.  Nothing may end in a TypeError, KeyError or a silent result; the input frame must be
left unchanged.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hemstats.errors import HemstatsError, InputError
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


def labels(n: int = 12, raters=("R1", "R2", "R3", "consensus"), **cols) -> pd.DataFrame:
    """Study-level 0/1 labels of ``n`` studies, one finding, good unless changed."""
    rows = [("d", f"s{i:02d}", "study", "any", r, int((i + j) % 3 == 0 or i % 4 == 0))
            for i in range(n) for j, r in enumerate(raters)]
    df = pd.DataFrame(rows, columns=["dataset", "study_id", "level", "finding", "rater", "value"])
    return df.assign(**cols)


def with_value(row: int, value) -> pd.DataFrame:
    df = labels()
    df["value"] = df["value"].astype(object)
    df.loc[row, "value"] = value
    return df


def volumes(**change) -> pd.DataFrame:
    fr = pd.DataFrame({"t": [1, 1, 2, 2, 3, 3, 4, 4], "r": list("ABABABAB"),
                       "v": [1.0, 1.2, 5.0, 4.6, 9.0, 9.5, 2.0, 2.5]})
    return fr.assign(**change)


GOOD = labels()
CASES = [
    # (id, function, input, keyword arguments, what the message must name)
    ("one-rater", cohen_kappa, GOOD, dict(raters=["R1"]), r"raters: agreement needs at least two raters"),
    ("rater-as-string", fleiss_kappa, GOOD, dict(raters="R1"), r"raters: agreement needs at least two raters, got \['R1'\]"),
    ("unknown-rater", gwet_ac1, GOOD, dict(raters=["R1", "R9"]), r"raters: \['R9'\] have no labels"),
    ("raters-not-names", pabak, GOOD, dict(raters=[1, 2]), r"raters: expected names"),
    ("raters-empty", agreement, GOOD, dict(raters=[]), r"raters: expected at least one name"),
    ("value-2-binary", reader_vs_reference, with_value(5, 2), {}, r"labels.value: expected 0 or 1; 1 row, first: row 5 \(2\)"),
    ("value-text", cohen_kappa, with_value(3, "yes"), {}, r"labels.value: expected a number .*row 3 \('yes'\)"),
    ("value-fraction", fleiss_kappa, with_value(7, 0.5), {}, r"labels.value: expected an integer category code >= 0; 1 row, first: row 7"),
    ("value-negative", krippendorff_alpha, with_value(2, -1), {}, r"labels.value: expected an integer category code >= 0.*row 2"),
    ("value-missing", gwet_ac1, with_value(4, None), {}, r"labels.value: expected a rating .*row 4"),
    ("duplicated-row", cohen_kappa, pd.concat([GOOD, GOOD.iloc[[6]]], ignore_index=True), {},
     r"labels: more than one rating per \(dataset, study_id, finding, rater\); 2 rows, first: row 6, row 48"),
    ("duplicated-row-majority", reader_vs_reference, pd.concat([GOOD, GOOD.iloc[[1]]], ignore_index=True),
     dict(reference="majority"), r"labels: more than one rating per .*row 1, row 48"),
    ("missing-rater-column", pabak, GOOD.drop(columns="rater"), {}, r"pabak: the labels table is missing column\(s\) \['rater'\]"),
    ("missing-value-column", agreement, GOOD.drop(columns="value"), {}, r"agreement: the labels table is missing column\(s\) \['value'\]"),
    ("missing-level-column", cohen_kappa, GOOD.drop(columns="level"), {}, r"cohen_kappa: the labels table is missing column\(s\) \['level'\]"),
    ("missing-study-id", cohen_kappa, GOOD.assign(study_id=GOOD.study_id.where(GOOD.index != 9, None)), {},
     r"labels.study_id: must not be missing; 1 row, first: row 9"),
    ("not-a-frame", fleiss_kappa, [[0, 1], [1, 1]], {}, r"fleiss_kappa: the first argument must be a Cohort or the labels table .* got list"),
    ("studies-not-a-frame", agreement, GOOD, dict(studies=[1]), r"agreement: studies= must be the canonical studies table"),
    ("studies-without-patient", agreement, GOOD, dict(studies=pd.DataFrame({"dataset": ["d"], "study_id": ["s00"]})),
     r"agreement: the studies table is missing column\(s\) \['patient_id'\]"),
    ("wrong-level", cohen_kappa, GOOD, dict(level="series"), r"level: expected 'study' or 'slice', got 'series'"),
    ("slice-without-slice-id", agreement, GOOD, dict(level="slice"), r"labels: level='slice' needs a slice_id column"),
    ("no-rows-at-level", gwet_ac1, GOOD.assign(slice_id=pd.NA), dict(level="slice"), r"labels: no rows at level 'slice'"),
    ("n-resamples-float", agreement, GOOD, dict(interval="bootstrap", n_resamples=2.5), r"n_resamples must be an integer in \[2, "),
    ("n-resamples-zero", cohen_kappa, GOOD, dict(n_resamples=0), r"n_resamples must be an integer .* got 0"),
    ("n-resamples-bool", fleiss_kappa, GOOD, dict(n_resamples=True), r"n_resamples .* got True"),
    ("n-resamples-text", krippendorff_alpha, GOOD, dict(n_resamples="100"), r"n_resamples .* got '100'"),
    ("n-resamples-huge", agreement, GOOD, dict(interval="bootstrap", n_resamples=10**9), r"n_resamples must be an integer in \[2, 10000000\]"),
    ("confidence-level-above-1", pabak, GOOD, dict(confidence_level=1.5), r"confidence_level must be a number in \(0, 1\)"),
    ("confidence-level-text", reader_vs_reference, GOOD, dict(confidence_level="0.95"), r"confidence_level .* got '0.95'"),
    ("confidence-level-bool", gwet_ac1, GOOD, dict(confidence_level=True), r"confidence_level .* got True"),
    ("rng-text", agreement, GOOD, dict(interval="bootstrap", rng="seed"), r"rng must be None, a non-negative integer seed"),
    ("rng-negative", cohen_kappa, GOOD, dict(interval="bootstrap", rng=-1), r"rng .* got -1"),
    ("rng-float", krippendorff_alpha, GOOD, dict(rng=1.5), r"rng .* got 1.5"),
    ("interval-unknown", fleiss_kappa, GOOD, dict(interval="exact"), r"interval: expected 'analytic', 'bootstrap' or a list of them, got 'exact'"),
    ("interval-none", agreement, GOOD, dict(interval=None), r"interval: expected .* got None"),
    ("interval-empty", agreement, GOOD, dict(interval=[]), r"interval: expected .* got \[\]"),
    ("interval-both-is-not-a-family", agreement, GOOD, dict(interval="both"), r"interval: expected .* got 'both'"),
    ("bootstrap-method-unknown", cohen_kappa, GOOD, dict(interval="bootstrap", bootstrap_method="studentized"),
     r"bootstrap_method must be one of \('percentile', 'basic', 'bca'\)"),
    ("unknown-finding", cohen_kappa, GOOD, dict(findings="xyz"), r"findings: \['xyz'\] have no labels at level 'study'"),
    ("findings-empty", fleiss_kappa, GOOD, dict(findings=[]), r"findings: expected at least one name"),
    ("findings-not-names", agreement, GOOD, dict(findings=[1]), r"findings: expected names"),
    ("weights-unknown", cohen_kappa, GOOD, dict(weights="cubic"), r"weights: expected None, 'linear' or 'quadratic'"),
    ("variance-unknown", fleiss_kappa, GOOD, dict(variance="exact"), r"variance: expected 'gwet' or 'fleiss_nee_landis'"),
    ("categories-too-few", cohen_kappa, GOOD, dict(categories=[0]), r"categories: finding 'any' of dataset 'd' has values \[1.0\]"),
    ("pairwise-text", gwet_ac1, GOOD, dict(pairwise="yes"), r"pairwise: expected True or False"),
    ("cluster-unknown-column", agreement, GOOD, dict(cluster="hospital"), r"cluster: column 'hospital' is in neither"),
    ("findings-any-is-one-finding", cohen_kappa, GOOD, dict(findings="edh"), r"findings: \['edh'\] have no labels"),
    ("cluster-not-a-name", cohen_kappa, GOOD, dict(cluster=1), r"cluster: expected None, False or a column name, got 1"),
    ("unknown-reference", reader_vs_reference, GOOD, dict(reference="R9"), r"reference: no rater 'R9' in dataset 'd'"),
    ("reference-none", reader_vs_reference, GOOD, dict(reference=None), r"reference: expected a rater name or 'majority'"),
    ("reference-unknown-reader", reader_vs_reference, GOOD, dict(raters=["R9"]), r"raters: \['R9'\] not in dataset 'd'"),
    ("majority-name-taken", reader_vs_reference, labels(raters=("R1", "R2", "majority")), dict(reference="majority"),
     r"reference: 'majority' is computed from the readers"),
    ("no-reference-column-value", reader_vs_reference, labels(raters=("R1", "R2")), {}, r"reference: no rater 'consensus'"),
]
ICC_CASES = [
    ("icc-one-rater", volumes(r="A"), {}, r"ratings.r: ICC needs at least two raters"),
    ("icc-unknown-column", volumes(), dict(rating="volume"), r"rating: column 'volume' absent from ratings"),
    ("icc-text-rating", volumes(v=["big"] + [1.0] * 7), {}, r"ratings.v: expected finite numbers; 1 row, first: row 0 \('big'\)"),
    ("icc-infinite-rating", volumes(v=[1.0, np.inf] + [1.0] * 6), {}, r"ratings.v: expected finite numbers; 1 row, first: row 1"),
    ("icc-duplicated-rating", pd.concat([volumes(), volumes().iloc[[2]]], ignore_index=True), {},
     r"ratings: more than one rating per \(t, r\); 2 rows, first: row 2, row 8"),
    ("icc-confidence-level", volumes(), dict(confidence_level=2), r"confidence_level must be a number in \(0, 1\), got 2"),
    ("icc-unknown-by", volumes(), dict(by=["site"]), r"by: column\(s\) \['site'\] absent"),
    ("icc-not-a-frame", {"t": [1]}, {}, r"ratings: expected a Cohort or a pandas DataFrame, got dict"),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bad_agreement_input(case):
    _, fn, data, kwargs, match = case
    before = data.copy() if isinstance(data, pd.DataFrame) else None
    with pytest.raises(InputError, match=match):
        fn(data, **kwargs)
    if before is not None:
        pd.testing.assert_frame_equal(data, before)


@pytest.mark.parametrize("case", ICC_CASES, ids=[c[0] for c in ICC_CASES])
def test_bad_icc_input(case):
    _, frame, kwargs, match = case
    args = dict(target="t", rater="r", rating="v") | kwargs
    with pytest.raises(InputError, match=match):
        icc(frame, **args)


def test_icc_of_a_cohort_needs_a_rater_column_in_its_lesions():
    from hemstats.datasets import demo

    cohort = demo.load(n_studies=40)
    with pytest.raises(InputError, match=r"icc: the Cohort's lesions table has no 'rater' column \(rater=\)"):
        icc(cohort)


def test_agreement_input_error_is_a_hemstats_error():
    assert issubclass(InputError, HemstatsError) and issubclass(InputError, ValueError)
