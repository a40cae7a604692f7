"""Performance figures: assert on what is drawn (lines, bands, markers, labels), not on pixels."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PolyCollection

from hemstats.errors import HemstatsError
from hemstats.plots.diagnostic import paired_difference, reliability_diagram, roc_curve
from hemstats.stats import auc, compare_auc, reader_operating_points, reliability_curve, roc_band


@pytest.fixture(scope="module")
def small_demo():
    from hemstats.datasets import demo

    return demo.load(n_studies=200)


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def test_roc_curve_draws_curves_bands_and_readers(small_demo):
    band = roc_band(small_demo, findings="any", level="study", n_resamples=200, rng=0)
    readers = reader_operating_points(small_demo, findings="any")
    aucs = auc(small_demo, findings="any", level="study")
    ax = roc_curve(band, readers=readers, auc=aucs)
    lines = {line.get_label(): line for line in ax.get_lines()}
    a = aucs.set_index("model")
    label_a = next(k for k in lines if k.startswith("model_a"))
    assert f"AUC {a.estimate['model_a']:.3f}" in label_a
    # the curve is the table: x = 1 - specificity, y = estimate
    part = band[band.model == "model_a"].sort_values("value", ascending=False)
    np.testing.assert_allclose(lines[label_a].get_xdata(), 1 - part.value)
    np.testing.assert_allclose(lines[label_a].get_ydata(), part.estimate)
    fills = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(fills) == 2  # one band per model
    verts = fills[0].get_paths()[0].vertices
    assert verts[:, 1].min() == pytest.approx(part.ci_low.min()) and verts[:, 1].max() == pytest.approx(part.ci_high.max())
    # readers: one marker each, at (1 - specificity, sensitivity)
    offsets = [c.get_offsets()[0] for c in ax.collections if c.get_label().startswith("reader ")]
    assert len(offsets) == 3
    r1 = readers[readers.rater == "R1"].set_index("metric").estimate
    assert tuple(offsets[0]) == pytest.approx((1 - r1["specificity"], r1["sensitivity"]))
    assert ax.get_xlabel() == "1 - specificity" and ax.get_ylabel() == "sensitivity"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "reader R1" in legend


def test_roc_curve_refuses_mixed_groups_and_wrong_tables(small_demo):
    band = roc_band(small_demo, level="study", values=[0.5, 0.9], n_resamples=50, rng=0)
    with pytest.raises(HemstatsError, match="filter it to one"):
        roc_curve(band)
    with pytest.raises(HemstatsError, match="no column"):
        roc_curve(pd.DataFrame({"model": ["a"]}))
    sens = roc_band(small_demo, findings="any", level="study", given="sensitivity", values=[0.5], n_resamples=50, rng=0)
    with pytest.raises(HemstatsError, match="given='specificity'"):
        roc_curve(sens)


def test_reliability_diagram_draws_the_bins(small_demo):
    rel = reliability_curve(small_demo, findings="any", level="study", n_bins=5)
    ax = reliability_diagram(rel)
    assert "perfect calibration" in [line.get_label() for line in ax.get_lines()]
    series = {c.get_label(): c for c in ax.containers}  # one errorbar container per model
    assert set(series) == {"model_a", "model_b"}
    part = rel[rel.model == "model_b"].sort_values("mean_predicted")
    data_line = series["model_b"].lines[0]
    np.testing.assert_allclose(data_line.get_xdata(), part.mean_predicted)
    np.testing.assert_allclose(data_line.get_ydata(), part.estimate)
    # error bars span the Wilson interval of each bin
    segments = series["model_b"].lines[2][0].get_segments()
    np.testing.assert_allclose([seg[:, 1].min() for seg in segments], part.ci_low)
    np.testing.assert_allclose([seg[:, 1].max() for seg in segments], part.ci_high)


def test_paired_difference_draws_one_row_per_comparison(small_demo):
    res = compare_auc(small_demo, level="study")
    ax = paired_difference(res)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert len(labels) == len(res) and labels[0] == "any: model_a - model_b"
    point = ax.get_lines()[0]
    np.testing.assert_allclose(point.get_xdata(), res.estimate)
    texts = [t.get_text() for t in ax.texts]
    assert texts[0] == f"p = {res.p_value.iloc[0]:.3f}"
    assert ax.get_xlabel() == "AUC difference"
