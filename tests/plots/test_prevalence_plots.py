"""The prevalence figures draw what their tables say (artists and data, not pixels)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.container import BarContainer, ErrorbarContainer

from hemstats.errors import HemstatsError
from hemstats.plots.descriptive import cooccurrence_upset, prevalence_forest
from hemstats.stats._core.columns import result_frame


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


@pytest.fixture
def prev() -> pd.DataFrame:
    # a hand-made prevalence table (the plot must only read it): two datasets, three findings
    rows = [
        ("cq500", "any", 0.40, 0.35, 0.45),
        ("cq500", "sdh", 0.10, 0.07, 0.14),
        ("cq500", "edh", 0.03, 0.01, 0.05),
        ("rsna", "any", 0.14, 0.13, 0.15),
        ("rsna", "sdh", 0.06, 0.05, 0.07),
    ]
    df = pd.DataFrame(rows, columns=["dataset", "finding", "estimate", "ci_low", "ci_high"])
    df = df.assign(level="study", unit="study", rater="consensus", metric="prevalence", n_positive=1, n=10,
                   method="wilson", confidence_level=0.95)  # fmt: skip
    return result_frame(df, extra=("unit", "rater"))


def test_forest_draws_each_estimate_and_interval(prev):
    ax = prevalence_forest(prev)
    containers = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    assert [c.get_label() for c in containers] == ["cq500", "rsna"]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    # vocabulary order: any, edh, sdh; within a finding, datasets in table order
    assert labels == ["any · cq500", "any · rsna", "edh · cq500", "sdh · cq500", "sdh · rsna"]
    ticks = dict(zip(labels, ax.get_yticks()))
    for c in containers:
        line, _, (bars,) = c.lines
        xs, ys = line.get_xdata(), line.get_ydata()
        rows = prev[prev.dataset == c.get_label()]
        np.testing.assert_allclose(xs, rows.estimate)
        np.testing.assert_allclose(ys, [ticks[f"{f} · {c.get_label()}"] for f in rows.finding])
        segments = bars.get_segments()
        np.testing.assert_allclose([s[0][0] for s in segments], rows.ci_low)
        np.testing.assert_allclose([s[1][0] for s in segments], rows.ci_high)
    assert ax.get_xlabel() == "Prevalence (per study, 95% CI, wilson)"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["cq500", "rsna"]


def test_forest_on_given_axes_and_subset(prev):
    fig, ax = plt.subplots()
    out = prevalence_forest(prev, ax=ax, findings=["sdh"])
    assert out is ax
    assert [t.get_text() for t in ax.get_yticklabels()] == ["sdh · cq500", "sdh · rsna"]


def test_forest_labels_subgroups(prev):
    one = prev[prev.dataset == "cq500"].assign(subgroup="site", subgroup_value=["A", "B", "A"])
    ax = prevalence_forest(one)
    assert [c.get_label() for c in ax.containers if isinstance(c, ErrorbarContainer)] == ["A", "B"]
    two = prev.assign(subgroup="site", subgroup_value="A")
    ax = prevalence_forest(two)
    assert [c.get_label() for c in ax.containers if isinstance(c, ErrorbarContainer)] == ["cq500 / A", "rsna / A"]


def test_forest_bad_tables(prev):
    with pytest.raises(HemstatsError, match=r"no column\(s\) \['ci_low'\]"):
        prevalence_forest(prev.drop(columns="ci_low"))
    with pytest.raises(HemstatsError, match="empty"):
        prevalence_forest(prev.iloc[:0])
    with pytest.raises(HemstatsError, match="none of findings"):
        prevalence_forest(prev, findings=["ivh"])


@pytest.fixture
def combos() -> pd.DataFrame:
    rows = [
        ("a", "none", 0, 50, 80),
        ("a", "sdh", 1, 15, 80),
        ("a", "sdh+iph", 2, 10, 80),
        ("a", "iph", 1, 5, 80),
        ("b", "none", 0, 20, 30),
        ("b", "iph", 1, 10, 30),
    ]
    df = pd.DataFrame(rows, columns=["dataset", "combination", "degree", "n_positive", "n"])
    df = df.assign(level="study", unit="study", rater="consensus", findings="sdh+iph", metric="proportion",
                   estimate=df["n_positive"] / df["n"])  # fmt: skip
    return result_frame(df, extra=("unit", "rater", "findings", "combination", "degree"))


def test_upset_bars_and_matrix(combos):
    fig = cooccurrence_upset(combos)
    bars_ax, matrix_ax = fig.axes
    containers = [c for c in bars_ax.containers if isinstance(c, BarContainer)]
    assert [c.get_label() for c in containers] == ["a", "b"]
    # combinations by total count: none (70), sdh (15), iph (15, degree 1, 'iph' < 'sdh'), sdh+iph (10)
    order = ["none", "iph", "sdh", "sdh+iph"]
    heights = {c.get_label(): [p.get_height() for p in c.patches] for c in containers}
    assert heights == {"a": [50, 5, 15, 10], "b": [20, 10, 0, 0]}
    assert [t.get_text() for t in matrix_ax.get_yticklabels()] == ["sdh", "iph"]
    # filled dots: one per (combination, member)
    filled = matrix_ax.collections[1].get_offsets()
    ys = dict(zip(["sdh", "iph"], matrix_ax.get_yticks()))
    expected = [(order.index(c), ys[f]) for c in order if c != "none" for f in c.split("+")]
    assert sorted(map(tuple, np.asarray(filled))) == sorted(expected)
    # grey background dots: every finding x combination
    assert len(matrix_ax.collections[0].get_offsets()) == 2 * len(order)
    assert bars_ax.get_ylabel() == "Studies"


def test_upset_proportion_and_limit(combos):
    fig = plt.figure()
    out = cooccurrence_upset(combos, fig=fig, value="proportion", max_combinations=2)
    assert out is fig
    containers = [c for c in fig.axes[0].containers if isinstance(c, BarContainer)]
    heights = {c.get_label(): [p.get_height() for p in c.patches] for c in containers}
    assert heights["a"] == pytest.approx([50 / 80, 5 / 80])
    assert heights["b"] == pytest.approx([20 / 30, 10 / 30])
    assert fig.axes[0].get_ylabel() == "Proportion of studies"


def test_upset_without_none(combos):
    fig = cooccurrence_upset(combos, include_none=False)
    containers = [c for c in fig.axes[0].containers if isinstance(c, BarContainer)]
    heights = {c.get_label(): [p.get_height() for p in c.patches] for c in containers}
    assert heights == {"a": [5, 15, 10], "b": [10, 0, 0]}  # iph, sdh, sdh+iph
    assert len(fig.axes[1].collections[0].get_offsets()) == 2 * 3


def test_upset_bad_input(combos):
    with pytest.raises(HemstatsError, match="value must be"):
        cooccurrence_upset(combos, value="share")
    with pytest.raises(HemstatsError, match=r"no column\(s\) \['degree'\]"):
        cooccurrence_upset(combos.drop(columns="degree"))
    with pytest.raises(HemstatsError, match="other than 'none'"):
        cooccurrence_upset(combos[combos.combination == "none"], include_none=False)


def test_plots_on_the_demo_cohort():
    from hemstats.datasets import demo
    from hemstats.stats.descriptive.cooccurrence import combinations
    from hemstats.stats.descriptive.prevalence import prevalence

    cohort = demo.load(n_studies=200)
    prev = prevalence(cohort)
    ax = prevalence_forest(prev)
    (c,) = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    np.testing.assert_allclose(c.lines[0].get_xdata(), prev.estimate)
    table = combinations(cohort)
    fig = cooccurrence_upset(table)
    (bars,) = [c for c in fig.axes[0].containers if isinstance(c, BarContainer)]
    assert sum(p.get_height() for p in bars.patches) == table["n_positive"].head(20).sum()
    by_site = prevalence(cohort, by="site", findings="any")
    ax = prevalence_forest(by_site)
    assert [t.get_text() for t in ax.get_yticklabels()] == [f"any · {v}" for v in by_site.subgroup_value]
