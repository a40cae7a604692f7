"""agreement_heatmap: assert on what is drawn (image data, texts, tick labels), not on pixels."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from hemstats.errors import HemstatsError
from hemstats.plots.reliability import agreement_heatmap


def result(rows):
    cols = ["dataset", "finding", "metric", "raters", "estimate", "method"]
    return pd.DataFrame(rows, columns=cols)


@pytest.fixture
def res():
    return result(
        [
            ("d", "any", "cohen_kappa", "R1|R2", 0.781, "fleiss-cohen-everitt-1969"),
            ("d", "any", "cohen_kappa", "R1|R2", 0.781, "bootstrap-percentile"),
            ("d", "any", "cohen_kappa", "R1|R3", 0.5, "fleiss-cohen-everitt-1969"),
            ("d", "edh", "cohen_kappa", "R1|R2", np.nan, "fleiss-cohen-everitt-1969"),
            ("d", "edh", "cohen_kappa", "R1|R3", 0.25, "fleiss-cohen-everitt-1969"),
            ("d", "any", "fleiss_kappa", "R1|R2|R3", 0.6, "gwet-2014"),
        ]
    )


def test_draws_matrix_labels_and_values(res):
    fig, ax = plt.subplots()
    out = agreement_heatmap(res, ax=ax)
    assert out is ax
    (image,) = ax.get_images()
    data = image.get_array()
    np.testing.assert_allclose(data.filled(np.nan), [[0.781, 0.5], [np.nan, 0.25]])
    assert data.mask.tolist() == [[False, False], [True, False]]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["R1|R2", "R1|R3"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["any", "edh"]
    texts = {(round(t.get_position()[0]), round(t.get_position()[1])): t.get_text() for t in ax.texts}
    assert texts == {(0, 0): "0.78", (1, 0): "0.50", (0, 1): "n/a", (1, 1): "0.25"}
    assert ax.get_title() == "Cohen's kappa"
    assert image.get_clim() == (0.0, 1.0)
    plt.close(fig)


def test_negative_values_widen_scale_and_other_measure(res):
    res.loc[2, "estimate"] = -0.2
    ax = agreement_heatmap(res, annotate=False)
    assert ax.get_images()[0].get_clim() == (-1.0, 1.0)
    assert len(ax.texts) == 0
    ax2 = agreement_heatmap(res, metric="fleiss_kappa")
    assert [t.get_text() for t in ax2.get_xticklabels()] == ["R1|R2|R3"]
    assert [t.get_text() for t in ax2.texts] == ["0.60"]
    plt.close("all")


def test_errors(res):
    with pytest.raises(HemstatsError, match="metric: no rows for 'icc'"):
        agreement_heatmap(res, metric="icc")
    two = pd.concat([res, res.assign(dataset="e")])
    with pytest.raises(HemstatsError, match=r"result holds \['d', 'e'\]"):
        agreement_heatmap(two)
    ax = agreement_heatmap(two, dataset="e")
    assert len(ax.texts) == 4
    with pytest.raises(HemstatsError, match="expected an agreement result"):
        agreement_heatmap(pd.DataFrame({"x": [1]}))
    plt.close("all")
