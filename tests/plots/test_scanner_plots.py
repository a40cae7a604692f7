"""The acquisition figures draw what their tables say (artists and data, not pixels)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.container import BarContainer, ErrorbarContainer

from hemstats.errors import HemstatsError
from hemstats.plots.acquisition import acquisition_mix_plot, stratum_forest
from hemstats.stats._core.columns import result_frame
from hemstats.stats.acquisition.heterogeneity import HETEROGENEITY_COLUMNS
from hemstats.stats.acquisition.mix import MIX_VARIABLES


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _row(model, value, kind, metric, method, est, lo, hi, p=np.nan):
    return {"dataset": "d", "level": "study", "finding": "any", "model": model, "subgroup": "kernel_family",
            "subgroup_value": value, "kind": kind, "metric": metric, "estimate": est, "ci_low": lo, "ci_high": hi,
            "statistic": np.nan, "df": np.nan, "p_value": p, "p_adjusted": p, "n": 10, "n_positive": 5, "n_clusters": 10,
            "method": method, "confidence_level": 0.95, "reason": pd.NA}


@pytest.fixture
def result() -> pd.DataFrame:
    # a hand-made heterogeneity table: two models, three strata, one NaN stratum for model_b
    rows = [
        _row("model_a", "soft", "stratum", "auc", "delong", 0.93, 0.90, 0.96),
        _row("model_a", "standard", "stratum", "auc", "delong", 0.91, 0.88, 0.94),
        _row("model_a", "bone", "stratum", "auc", "delong", 0.84, 0.79, 0.88),
        _row("model_a", "soft", "stratum", "auc", "stratified-bootstrap-percentile", 0.93, 0.905, 0.955),
        _row("model_a", "soft", "stratum", "sensitivity", "wilson", 0.5, 0.4, 0.6),
        _row("model_a", pd.NA, "heterogeneity", "auc", "auc-heterogeneity", 0.9, np.nan, np.nan, p=0.0005),
        _row("model_b", "soft", "stratum", "auc", "delong", 0.90, 0.86, 0.93),
        _row("model_b", "standard", "stratum", "auc", "delong", 0.87, 0.84, 0.90),
        _row("model_b", "bone", "stratum", "auc", "delong", np.nan, np.nan, np.nan),
        _row("model_b", pd.NA, "heterogeneity", "auc", "auc-heterogeneity", 0.88, np.nan, np.nan, p=0.42),
    ]
    frame = result_frame(rows, extra=("model", "kind"), after=("threshold", "statistic", "df", "p_value", "p_adjusted"))
    assert list(frame.columns) == list(HETEROGENEITY_COLUMNS)
    return frame


def test_stratum_forest_draws_each_auc_and_ci(result):
    ax = stratum_forest(result)
    bars = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    assert len(bars) == 2
    a_x = bars[0].lines[0].get_xdata()
    np.testing.assert_allclose(a_x, [0.93, 0.91, 0.84])
    b_x = bars[1].lines[0].get_xdata()
    np.testing.assert_allclose(b_x, [0.90, 0.87])  # the NaN stratum has no marker
    # the CI whiskers span ci_low..ci_high
    segs = bars[0].lines[2][0].get_segments()
    np.testing.assert_allclose([(s[0][0], s[1][0]) for s in segs], [(0.90, 0.96), (0.88, 0.94), (0.79, 0.88)])
    assert [t.get_text() for t in ax.get_yticklabels()] == ["soft", "standard", "bone"]
    labels = ax.get_legend_handles_labels()[1]
    assert labels == ["model_a (heterogeneity p = 0.0005)", "model_b (heterogeneity p = 0.42)"]
    assert "AUC" in ax.get_xlabel() and ax.get_ylabel() == "kernel family"


def test_stratum_forest_bootstrap_rows_and_given_axes(result):
    fig, ax = plt.subplots()
    out = stratum_forest(result, ax=ax, method="stratified-bootstrap-percentile")
    assert out is ax
    bars = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    assert len(bars) == 1 and list(bars[0].lines[0].get_xdata()) == [0.93]


def test_stratum_forest_rejects_bad_tables(result):
    with pytest.raises(HemstatsError, match="several findings .*; pass findings="):
        stratum_forest(pd.concat([result, result.assign(finding="sdh")]))
    with pytest.raises(HemstatsError, match="no AUC rows"):
        stratum_forest(result, method="bootstrap-bca")
    with pytest.raises(HemstatsError, match="no column"):
        stratum_forest(result.drop(columns=["subgroup_value"]))


@pytest.fixture
def mix() -> pd.DataFrame:
    rows = [
        ("a", "GE", "m1", "soft", "<=1.5", 6),
        ("a", "GE", "m1", "bone", "<=1.5", 2),
        ("a", "SIEMENS", "m2", "standard", "3-5", 2),
        ("b", "Philips", "m3", "standard", ">5", 3),
        ("b", "Philips", "m3", None, ">5", 1),
    ]
    df = pd.DataFrame(rows, columns=["dataset", "vendor", "scanner_model", "kernel_family", "thickness_bin",
                                     "n_positive"])
    df["n"] = df.groupby("dataset")["n_positive"].transform("sum")
    df["estimate"] = df["n_positive"] / df["n"]
    return result_frame(df.assign(metric="share"), extra=MIX_VARIABLES)


def test_acquisition_mix_plot_stacks_shares(mix):
    ax = acquisition_mix_plot(mix)
    bars = [c for c in ax.containers if isinstance(c, BarContainer)]
    labels = [b.get_label() for b in bars]
    assert labels == ["soft", "standard", "bone", "not reported"]  # family order, missing last
    widths = {b.get_label(): [p.get_width() for p in b.patches] for b in bars}
    np.testing.assert_allclose(widths["soft"], [0.6, 0.0])
    np.testing.assert_allclose(widths["standard"], [0.2, 0.75])
    np.testing.assert_allclose(widths["bone"], [0.2, 0.0])
    np.testing.assert_allclose(widths["not reported"], [0.0, 0.25])
    lefts = [p.get_x() for p in bars[1].patches]
    np.testing.assert_allclose(lefts, [0.6, 0.0])  # stacked after 'soft'
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b"]


def test_acquisition_mix_plot_vendor(mix):
    ax = acquisition_mix_plot(mix, variable="vendor")
    bars = [c for c in ax.containers if isinstance(c, BarContainer)]
    assert [b.get_label() for b in bars] == ["GE", "Philips", "SIEMENS"]
    totals = np.sum([[p.get_width() for p in b.patches] for b in bars], axis=0)
    np.testing.assert_allclose(totals, [1.0, 1.0])
    with pytest.raises(HemstatsError, match="no column"):
        acquisition_mix_plot(mix.drop(columns=["vendor"]), variable="vendor")
