"""Bad inputs to the bootstrap engine and the performance statistics end in a clear HemstatsError.

Each case names the argument, column or row the message must point at (``match=``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hemstats.errors import HemstatsError, InputError, JoinError, OneClassError
from hemstats.stats.diagnostic.arrays import from_arrays
from hemstats.stats.diagnostic.auc import auc, average_precision, compare_auc, delong
from hemstats.stats.diagnostic.calibration import calibration
from hemstats.stats.diagnostic.curves import reader_operating_points, roc_band
from hemstats.stats.diagnostic.operating_points import performance, threshold_metrics
from hemstats.stats.diagnostic.segmentation import segmentation_metrics
from hemstats.stats.resampling.engine import bootstrap_ci

N = 40
Y = (np.arange(N) % 3 == 0).astype(int)
S = np.round(np.linspace(0.05, 0.95, N) * 0.5 + Y * 0.4, 3)
COHORT = from_arrays(Y, S)
PAIRED = from_arrays(Y, np.column_stack([S, S[::-1]]))
PROBABILITIES = from_arrays(Y, np.clip(S, 0, 1))


def _tables(n: int = 30) -> tuple[pd.DataFrame, pd.DataFrame]:
    y = (np.arange(n) % 3 == 0).astype(int)
    ids = [f"s{i}" for i in range(n)]
    labels = pd.DataFrame({"dataset": "toy", "study_id": ids, "slice_id": pd.NA, "level": "study",
                           "finding": "any", "rater": "consensus", "value": y})
    preds = pd.concat([pd.DataFrame({"dataset": "toy", "study_id": ids, "slice_id": pd.NA, "level": "study",
                                     "finding": "any", "model": m, "score": np.linspace(0, 1, n) * 0.5 + y * k})
                       for m, k in (("m1", 0.4), ("m2", 0.2))], ignore_index=True)
    return preds, labels


# -- options of every statistic ------------------------------------------------------------------
OPTION_CASES = [
    ("n_resamples", 0), ("n_resamples", 1), ("n_resamples", 2.5), ("n_resamples", True), ("n_resamples", "100"),
    ("n_resamples", -5), ("n_resamples", 10**12), ("n_resamples", None),
    ("confidence_level", 0), ("confidence_level", 1), ("confidence_level", 95), ("confidence_level", float("nan")),
    ("confidence_level", "0.95"),
    ("bootstrap_method", "BCA"), ("bootstrap_method", "foo"),
    ("rng", 1.5), ("rng", "seed"), ("rng", -3),
]


@pytest.mark.parametrize("option, bad", OPTION_CASES, ids=[f"{o}={b!r}" for o, b in OPTION_CASES])
@pytest.mark.parametrize("statistic", ["auc", "average_precision", "compare_auc", "threshold_metrics", "roc_band"])
def test_bad_option_is_named(statistic, option, bad):
    fn = {"auc": lambda **kw: auc(COHORT, interval="bootstrap", **kw),
          "average_precision": lambda **kw: average_precision(COHORT, **kw),
          "compare_auc": lambda **kw: compare_auc(PAIRED, **kw),
          "threshold_metrics": lambda **kw: threshold_metrics(COHORT, **kw),
          "roc_band": lambda **kw: roc_band(COHORT, **kw)}[statistic]
    if statistic == "roc_band" and option == "bootstrap_method":
        pytest.skip("roc_band has no bootstrap_method (always percentile, as pROC)")
    with pytest.raises(InputError, match=option):
        fn(**{option: bad})


@pytest.mark.parametrize("option, bad", [("n_resamples", 1), ("n_resamples", 2.5), ("confidence_level", 95),
                                         ("rng", "seed")])
def test_bad_option_of_calibration_performance_segmentation(option, bad):
    with pytest.raises(InputError, match=option):
        calibration(PROBABILITIES, **{option: bad})
    with pytest.raises(InputError, match=option):
        performance(PROBABILITIES, **{option: bad})
    cases = pd.DataFrame({"dataset": "d", "study_id": list("abcd"), "finding": "any", "model": "m",
                          "cluster": list("abcd"), "dice": [0.5, 0.6, 0.7, 0.8], "iou": 0.5, "reference_ml": 1.0,
                          "predicted_ml": 1.0, "abs_volume_error_ml": 0.0, "reason": None})
    with pytest.raises(InputError, match=option):
        segmentation_metrics(cases, **{option: bad})


# -- plain arrays (through from_arrays, y first) and options ---------------------------------------
ARRAY_CASES = [
    ("arrays as the first argument", lambda: auc(S, labels=Y), "from_arrays"),
    ("text labels", lambda: from_arrays(np.where(Y == 1, "ich", "none"), S), "y: expected 0/1 labels"),
    ("labels 0/2", lambda: from_arrays(Y * 2, S), "y: expected labels 0 or 1"),
    ("NaN score", lambda: from_arrays(Y, np.r_[np.nan, S[1:]]), "NaN or infinite"),
    ("inf score", lambda: from_arrays(Y, np.r_[S[:-1], np.inf]), "NaN or infinite"),
    ("text scores", lambda: from_arrays(Y, np.array(["a"] * N)), "score"),
    ("lengths differ", lambda: from_arrays(Y, S[:-1]), "expected 40 scores"),
    ("cluster too short", lambda: from_arrays(Y, S, cluster=np.arange(N - 3)), "cluster: expected 40"),
    ("cluster with a gap", lambda: from_arrays(Y, S, cluster=np.r_[[None], np.arange(N - 1)]), "cluster"),
    ("cluster ids instead of a column", lambda: auc(COHORT, cluster=np.arange(N)), "cluster"),
    ("one class for the kernel", lambda: delong(np.zeros(N, dtype=int), S), "needs both"),
    ("empty", lambda: from_arrays(np.array([]), np.array([])), "y: empty"),
    ("unknown interval", lambda: auc(COHORT, interval="wald"), "interval"),
    ("stratify text", lambda: auc(COHORT, stratify="yes"), "stratify"),
    ("interval unknown", lambda: threshold_metrics(COHORT, interval="exact"), "interval"),
    ("findings a number", lambda: auc(COHORT, findings=3), "findings"),
    ("by a number", lambda: auc(COHORT, by=3), "by"),
    ("target_sensitivity 1.5", lambda: threshold_metrics(COHORT, target_sensitivity=1.5), "target_sensitivity"),
    ("target_specificity 0", lambda: threshold_metrics(COHORT, target_specificity=0.0), "target_specificity"),
    ("target_specificity text", lambda: threshold_metrics(COHORT, target_specificity="0.9"), "target_specificity"),
    ("threshold NaN", lambda: threshold_metrics(COHORT, threshold=float("nan")), "threshold"),
    ("threshold text", lambda: threshold_metrics(COHORT, threshold="0.5"), "threshold"),
    ("no operating point", lambda: threshold_metrics(COHORT, threshold=None), "threshold"),
    ("roc_band values > 1", lambda: roc_band(COHORT, values=[0.5, 1.2]), "values"),
    ("roc_band given", lambda: roc_band(COHORT, given="ppv"), "given"),
    ("roc_band too many resamples x values", lambda: roc_band(COHORT, n_resamples=10**7, values=np.linspace(0, 1, 51)),
     "n_resamples"),
    ("calibration outside [0, 1]", lambda: calibration(from_arrays(Y, S * 3)), "probabilities in"),
    ("include as unknown", lambda: performance(PROBABILITIES, include=("auc", "kappa")), "include"),
    ("auc_interval unknown", lambda: performance(PROBABILITIES, auc_interval="wald"), "auc_interval"),
    ("compare_auc models not a pair", lambda: compare_auc(PAIRED, models="ab"), "models"),
    ("bootstrap_ci statistic", lambda: bootstrap_ci(y=Y, score=S, statistic="brier"), "statistic"),
]


@pytest.mark.parametrize("call, match", [c[1:] for c in ARRAY_CASES], ids=[c[0] for c in ARRAY_CASES])
def test_bad_arrays_are_named(call, match):
    with pytest.raises(HemstatsError, match=match):
        call()


# -- tables ---------------------------------------------------------------------------------------
def _dup_prediction():
    preds, labels = _tables()
    return pd.concat([preds, preds.iloc[[2]]], ignore_index=True), labels


def _dup_label():
    preds, labels = _tables()
    return preds, pd.concat([labels, labels.iloc[[4]]], ignore_index=True)


def _missing_column(table, column):
    preds, labels = _tables()
    if table == "predictions":
        return preds.drop(columns=column), labels
    return preds, labels.drop(columns=column)


def _text_label():
    preds, labels = _tables()
    labels["value"] = labels["value"].astype(object)
    labels.loc[7, "value"] = "yes"
    return preds, labels


TABLE_CASES = [
    ("label value text", _text_label, {}, InputError, r"labels.value: expected 0 or 1 .*row 7 \('yes'\)"),
    ("duplicated prediction", _dup_prediction, {}, InputError, r"predictions: 2 duplicated rows .*rows 2, 60"),
    ("duplicated label", _dup_label, {}, InputError, r"labels \(rater 'consensus'\): 2 duplicated rows .*rows 4, 30"),
    ("predictions without score", lambda: _missing_column("predictions", "score"), {}, InputError,
     r"auc: the predictions table is missing column\(s\) \['score'\]"),
    ("labels without value", lambda: _missing_column("labels", "value"), {}, InputError,
     r"auc: the labels table is missing column\(s\) \['value'\]"),
    ("unknown finding", _tables, {"findings": "xyz"}, InputError, r"no predictions for findings \['xyz'\]"),
    ("unknown level", _tables, {"level": "series"}, InputError, "level"),
    ("unknown reference rater", _tables, {"reference": "R9"}, InputError, "rater 'R9'"),
    ("cluster column missing", _tables, {"cluster": "patient_id"}, InputError, "patient_id"),
    ("by column missing", _tables, {"by": "kernel"}, InputError, "kernel"),
]


@pytest.mark.parametrize("make, kwargs, error, match", [c[1:] for c in TABLE_CASES], ids=[c[0] for c in TABLE_CASES])
def test_bad_tables_are_named(make, kwargs, error, match):
    preds, labels = make()
    with pytest.raises(error, match=match):
        auc(preds, labels=labels, **kwargs)


def test_tables_that_do_not_join_and_unknown_model():
    preds, labels = _tables()
    with pytest.raises(JoinError, match="do not join"):
        auc(preds.assign(dataset="other"), labels=labels)
    with pytest.raises(InputError, match=r"models \['m9'\]"):
        compare_auc(preds, labels=labels, models=("m1", "m9"))
    with pytest.raises(InputError, match="labels table"):
        reader_operating_points(np.zeros(3))
    with pytest.raises(InputError, match="needs the labels table"):
        auc(preds)
    with pytest.raises(OneClassError):
        delong(np.ones(N, dtype=int), S)


def test_messages_carry_no_identifier():
    # row labels and counts, never a study or patient id, in the messages
    from hemstats.datasets import demo

    cohort = demo.load(n_studies=40, seed=1)
    predictions = cohort.predictions.copy()
    predictions.loc[predictions.index[3], "score"] = float("nan")
    with pytest.raises(HemstatsError) as err:
        auc(predictions, labels=cohort.labels, studies=cohort.studies)
    assert "predictions.score" in str(err.value)
    for ident in (*cohort.studies["study_id"].astype(str), *cohort.studies["patient_id"].astype(str)):
        assert ident not in str(err.value)
