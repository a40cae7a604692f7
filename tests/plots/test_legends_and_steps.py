"""Legends sit off the data; the ROC curve can be drawn at its exact steps."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from hemstats.plots import prevalence_forest, reliability_diagram, roc_curve, stratum_forest
from hemstats.stats import auc, heterogeneity, prevalence, reader_operating_points, reliability_curve, roc_band


@pytest.fixture(scope="module")
def small_demo():
    from hemstats.datasets import demo

    return demo.load(n_studies=240, seed=1)


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _assert_legend_off_axes(ax):
    fig = ax.figure
    fig.canvas.draw()
    legend = ax.get_legend().get_window_extent()
    box = ax.get_window_extent()
    overlap_w = min(legend.x1, box.x1) - max(legend.x0, box.x0)
    overlap_h = min(legend.y1, box.y1) - max(legend.y0, box.y0)
    assert overlap_w <= 0 or overlap_h <= 0, (legend, box)
    # and inside the figure (not cut off when saved)
    page = fig.bbox
    assert legend.x0 >= page.x0 - 1 and legend.y0 >= page.y0 - 1 and legend.x1 <= page.x1 + 1


def test_roc_legend_is_below_the_axes(small_demo):
    band = roc_band(small_demo, findings="any", level="study", n_resamples=50, rng=0)
    ax = roc_curve(band, readers=reader_operating_points(small_demo, findings="any"),
                   auc=auc(small_demo, findings="any", level="study"))
    _assert_legend_off_axes(ax)


def test_stratum_forest_legend_is_below_the_axes(small_demo):
    ax = stratum_forest(heterogeneity(small_demo, findings="any", n_resamples=20, rng=0))
    _assert_legend_off_axes(ax)


def test_reliability_and_prevalence_legends_are_beside_the_axes(small_demo):
    _assert_legend_off_axes(reliability_diagram(reliability_curve(small_demo, findings="any", level="study",
                                                                  n_bins=5)))
    prev = prevalence(small_demo, findings=["any", "sdh"])
    two = prev.assign(dataset="other")
    import pandas as pd

    _assert_legend_off_axes(prevalence_forest(pd.concat([prev, two], ignore_index=True)))


def test_roc_steps_are_the_empirical_curve(small_demo):
    """steps=True on a table read at every k / n_controls draws the staircase whose area is the AUC."""
    band = roc_band(small_demo, findings="any", level="study", n_resamples=50, rng=0)
    n_controls = int(band["n"].iloc[0] - band["n_positive"].iloc[0])
    exact = roc_band(small_demo, findings="any", level="study", values=np.arange(n_controls + 1) / n_controls,
                     n_resamples=50, rng=0)
    ax = roc_curve(exact, steps=True, band=True)
    lines = [line for line in ax.get_lines() if line.get_label().startswith("model_a")]
    assert len(lines) == 1 and lines[0].get_drawstyle() == "steps-post"
    x, y = lines[0].get_xdata(), lines[0].get_ydata()
    assert x[0] == 0 and y[0] == 0  # rises from the origin
    area = float(np.sum(np.diff(x) * y[:-1]))  # area under the steps-post staircase
    expected = auc(small_demo, findings="any", level="study").set_index("model").loc["model_a", "estimate"]
    assert area == pytest.approx(expected, abs=1e-9)
    # the default (straight lines between grid points) is not a staircase
    plt.close("all")
    ax = roc_curve(band)
    assert all(line.get_drawstyle() == "default" for line in ax.get_lines())
