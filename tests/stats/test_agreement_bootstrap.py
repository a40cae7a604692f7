"""The Fleiss / AC1 bootstrap as one exact GEMM on integer cluster totals (reliability/_rows.py).

The multiplicities of a resample are integers and so are the per-unit sums Fleiss' kappa and
Gwet's AC1 need (:func:`~hemstats.stats.reliability.kappa.set_features`): their weighted sums are
exact in any summation order.  These tests check that the fast path gives the values of the
unit-weight path, that the result does not depend on the order of the units, and the clustering
of labels whose ``patient_id`` is sometimes missing.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hemstats.stats.reliability import _rows
from hemstats.stats.reliability import kappa as K
from hemstats.stats.reliability.agreement import agreement, fleiss_kappa, gwet_ac1

CLUSTER_CSV = Path(__file__).resolve().parents[1] / "reference" / "agreement_cluster.csv"


def _counts(rng: np.random.Generator, n: int, m: int = 3, k: int = 3) -> np.ndarray:
    codes = rng.integers(0, k, size=(n, m))
    return np.stack([(codes == c).sum(axis=1) for c in range(k)], axis=1).astype(float)


def test_set_features_sums_give_fleiss_and_ac1():
    counts = _counts(np.random.default_rng(0), 40)
    sums = K.set_features(counts).sum(axis=0)
    assert sums[0] == 40 and sums[1] == (counts * (counts - 1)).sum()
    assert K.fleiss_from_sums(sums, 3)[0] == pytest.approx(K.fleiss_from_counts(counts)[0], abs=1e-12)
    assert K.ac1_from_sums(sums, 3)[0] == pytest.approx(K.ac1_from_counts(counts)[0], abs=1e-12)


def test_replicates_do_not_depend_on_unit_order():
    # integer sums are exact: permuting the units (and the columns of W with them) gives the very
    # same bits, so a replicate equal to the estimate is equal to it, not off by rounding
    rng = np.random.default_rng(1)
    counts = _counts(rng, 300)
    W = K.counts_from_indices(rng.integers(0, 300, size=(200, 300)), 300)
    perm = rng.permutation(300)
    for fn in (K.fleiss_from_counts, K.ac1_from_counts):
        np.testing.assert_array_equal(fn(counts, W), fn(counts[perm], W[:, perm]))
        ident = fn(counts, np.ones((1, 300)))[0]
        assert fn(counts[perm])[0] == ident


def _unit_weight_path(monkeypatch):
    """Force every bootstrap job through ``boot(W[:, clusters])`` (the path without the GEMM)."""
    emit = _rows._emit
    monkeypatch.setattr(_rows, "_emit", lambda *a, **kw: emit(*a, **{**kw, "linear": None}))


@pytest.fixture(scope="module")
def slice_labels() -> pd.DataFrame:
    d = pd.read_csv(CLUSTER_CSV)
    long = d.melt(id_vars=["patient_id", "study_id", "slice_id"], value_vars=["R1", "R2", "R3"],
                  var_name="rater", value_name="value").assign(dataset="toy", level="slice", finding="any")
    return long[["dataset", "patient_id", "study_id", "slice_id", "level", "finding", "rater", "value"]]


@pytest.mark.parametrize("fn", [fleiss_kappa, gwet_ac1])
def test_cluster_bootstrap_gemm_equals_unit_weights(monkeypatch, slice_labels, fn):
    # clusters of several slices, numbered by the engine in another order than the units: the GEMM
    # on per-cluster totals gives the intervals of the unit weights W[:, clusters]
    shuffled = slice_labels.sample(frac=1.0, random_state=4).reset_index(drop=True)
    fast = fn(shuffled, level="slice", interval="bootstrap", n_resamples=300, rng=7)
    assert fast.method.iloc[0] == "cluster-bootstrap-percentile" and fast.n_clusters.iloc[0] == 40
    _unit_weight_path(monkeypatch)
    slow = fn(shuffled, level="slice", interval="bootstrap", n_resamples=300, rng=7)
    for col in ("estimate", "se", "ci_low", "ci_high"):
        np.testing.assert_allclose(fast[col].to_numpy(float), slow[col].to_numpy(float), rtol=0, atol=1e-12)


def test_agreement_bootstrap_gemm_equals_unit_weights(monkeypatch, slice_labels):
    study = slice_labels.drop(columns="slice_id").groupby(
        ["dataset", "patient_id", "study_id", "level", "finding", "rater"], as_index=False)["value"].max()
    study["level"] = "study"
    study = pd.concat([study, study.assign(finding="sdh", value=1 - study["value"])], ignore_index=True)
    fast = agreement(study, interval="bootstrap", n_resamples=200, rng=1)
    _unit_weight_path(monkeypatch)
    slow = agreement(study, interval="bootstrap", n_resamples=200, rng=1)
    assert len(fast) == len(slow) > 0
    for col in ("estimate", "se", "ci_low", "ci_high"):
        np.testing.assert_allclose(fast[col].to_numpy(float), slow[col].to_numpy(float), rtol=0, atol=1e-12)


def test_missing_patient_id_is_its_own_cluster(slice_labels):
    lab = slice_labels.copy()
    first = lab.study_id == lab.study_id.iloc[0]
    lab.loc[first, "patient_id"] = None
    r = fleiss_kappa(lab, level="slice").iloc[0]
    assert "1 studies without patient_id counted as their own cluster" in r.reason
    # the same as giving that study a patient id of its own
    own = lab.assign(patient_id=lab.patient_id.where(~first, "own"))
    ref = fleiss_kappa(own, level="slice").iloc[0]
    assert (r.n_clusters, r.se) == (ref.n_clusters, pytest.approx(ref.se, abs=1e-12))
