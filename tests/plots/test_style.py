"""paper_style sets what it documents inside the block and restores every rcParam after it."""

from __future__ import annotations

import logging
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest
import seaborn as sns
from matplotlib.colors import to_hex, to_rgb
from matplotlib.font_manager import FontProperties, findfont

from hemstats.errors import FigureOptionError, HemstatsError
from hemstats.plots.style import (
    DOUBLE_COLUMN_MM,
    OKABE_ITO,
    SANS_SERIF_FONTS,
    SINGLE_COLUMN_MM,
    figure_size,
    paper_style,
)

SIZE_KEYS = (
    "font.size", "axes.titlesize", "axes.labelsize", "xtick.labelsize", "ytick.labelsize",
    "legend.fontsize", "legend.title_fontsize", "figure.titlesize", "figure.labelsize",
)  # fmt: skip


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def snapshot() -> dict:
    return dict(matplotlib.rcParams)


# ---------------------------------------------------------------- sizes and palette


def test_column_constants_and_figure_size():
    assert (SINGLE_COLUMN_MM, DOUBLE_COLUMN_MM) == (89, 183)
    w, h = figure_size()
    assert w == pytest.approx(89 / 25.4) and h == pytest.approx(0.75 * 89 / 25.4)
    w, h = figure_size("double", aspect=0.5)
    assert w == pytest.approx(183 / 25.4) and h == pytest.approx(183 / 25.4 / 2)
    assert figure_size("single", height_mm=50.8) == pytest.approx((89 / 25.4, 2.0))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"column": "triple"}, "column must be one of"),
        ({"aspect": 0}, "aspect must be a positive"),
        ({"aspect": float("nan")}, "aspect must be a positive"),
        ({"height_mm": -3}, "height_mm must be a positive"),
        ({"height_mm": True}, "height_mm must be a positive"),
    ],
)
def test_figure_size_refuses_bad_options(kwargs, match):
    column = kwargs.pop("column", "single")
    with pytest.raises(FigureOptionError, match=match) as info:
        figure_size(column, **kwargs)
    assert isinstance(info.value, HemstatsError)


def test_okabe_ito_hex_values():
    assert OKABE_ITO == ("#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#000000")


# ---------------------------------------------------------------- inside the block


def test_sets_documented_rcparams():
    with paper_style():
        rc = matplotlib.rcParams
        assert rc["pdf.fonttype"] == 42 and rc["ps.fonttype"] == 42
        assert rc["svg.fonttype"] == "none"
        assert rc["savefig.dpi"] == 600
        assert rc["axes.spines.top"] is False and rc["axes.spines.right"] is False
        assert rc["font.family"] == ["sans-serif"]
        assert rc["font.sans-serif"] == list(SANS_SERIF_FONTS) and rc["font.sans-serif"][-1] == "DejaVu Sans"
        assert rc["figure.constrained_layout.use"] is True and rc["figure.autolayout"] is False
        assert [to_hex(c).upper() for c in rc["axes.prop_cycle"].by_key()["color"]] == list(OKABE_ITO)
        assert tuple(rc["figure.figsize"]) == pytest.approx(figure_size("single"))
        assert rc["axes.labelsize"] == 7 and rc["xtick.labelsize"] == 6 and rc["legend.fontsize"] == 6
        assert rc["axes.linewidth"] <= 1 and rc["lines.linewidth"] <= 1.5


@pytest.mark.parametrize("font_size", [5, 6, 7, 8, 6.5])
def test_text_sizes_stay_within_journal_range(font_size):
    with paper_style(font_size=font_size):
        sizes = [matplotlib.rcParams[k] for k in SIZE_KEYS]
    assert all(isinstance(s, float) and 5 <= s <= 8 for s in sizes), sizes
    assert max(sizes) == font_size


def test_double_column_width():
    with paper_style(column="double"):
        fig = plt.figure()
    assert fig.get_figwidth() * 25.4 == pytest.approx(183)


def test_figure_made_inside_is_drawn_in_style():
    with paper_style():
        fig, ax = plt.subplots()
        (line,) = ax.plot([0, 1], [1, 0])
        (line2,) = ax.plot([0, 1], [0, 1])
        ax.set_xlabel("age")
        fig.canvas.draw()
        ticks = ax.get_xticklabels()
    assert fig.get_layout_engine().__class__.__name__ == "ConstrainedLayoutEngine"
    assert not ax.spines["top"].get_visible() and not ax.spines["right"].get_visible()
    assert ax.spines["left"].get_visible()
    assert to_hex(line.get_color()).upper() == OKABE_ITO[0]
    assert to_hex(line2.get_color()).upper() == OKABE_ITO[1]
    assert ax.xaxis.label.get_fontsize() == 7
    assert ticks and all(t.get_fontsize() == 6 for t in ticks)


def test_font_is_found_locally_without_warnings(caplog):
    with caplog.at_level(logging.WARNING, logger="matplotlib.font_manager"), paper_style():
        path = findfont(FontProperties(family=["sans-serif"]))
        fig, ax = plt.subplots()
        ax.set_title("Intracranial hemorrhage")
        fig.canvas.draw()
    assert path.endswith((".ttf", ".otf", ".ttc"))
    assert not [r for r in caplog.records if "findfont" in r.getMessage()]


def test_custom_palette():
    with paper_style(palette=["black", "#777777"]):
        colours = matplotlib.rcParams["axes.prop_cycle"].by_key()["color"]
    assert colours == ["black", "#777777"]


def test_seaborn_uses_palette_inside_and_is_unaffected_outside():
    before = sns.color_palette()
    with paper_style():
        inside = sns.color_palette()
    assert [to_hex(c).upper() for c in inside] == list(OKABE_ITO)
    assert sns.color_palette() == before
    assert [to_hex(c) for c in sns.color_palette()] != [to_hex(to_rgb(c)) for c in OKABE_ITO]


# ---------------------------------------------------------------- restoring


def test_restores_every_rcparam():
    before = snapshot()
    with paper_style(column="double", font_size=6):
        assert snapshot() != before
        matplotlib.rcParams["lines.linewidth"] = 9.0  # user edits inside are undone too
        plt.style.use("ggplot")
        sns.set_theme()
    assert snapshot() == before


def test_restores_every_rcparam_on_exception():
    before = snapshot()
    with pytest.raises(RuntimeError, match="boom"), paper_style():
        matplotlib.rcParams["axes.grid"] = True
        raise RuntimeError("boom")
    assert snapshot() == before


def test_nested_blocks_restore_layer_by_layer():
    before = snapshot()
    with paper_style(font_size=8):
        outer = snapshot()
        with paper_style(column="double", font_size=5):
            assert matplotlib.rcParams["font.size"] == 5
        assert snapshot() == outer
    assert snapshot() == before


def test_works_as_decorator():
    @paper_style(font_size=6)
    def size() -> float:
        return matplotlib.rcParams["font.size"]

    before = snapshot()
    assert size() == 6
    assert snapshot() == before


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"column": "wide"}, "column must be one of"),
        ({"font_size": 12}, "from 5 to 8"),
        ({"font_size": 4}, "from 5 to 8"),
        ({"font_size": True}, "from 5 to 8"),
        ({"font_size": "7"}, "from 5 to 8"),
        ({"palette": "viridis"}, "'colorblind' \\(Okabe-Ito\\)"),
        ({"palette": []}, "non-empty sequence"),
        ({"palette": ["#E69F00", "not-a-colour"]}, "not matplotlib colours: \\['not-a-colour'\\]"),
    ],
)
def test_refuses_bad_options_before_changing_anything(kwargs, match):
    before = snapshot()
    with pytest.raises(FigureOptionError, match=match), paper_style(**kwargs):
        pass  # pragma: no cover
    assert snapshot() == before


def test_import_has_no_side_effects():
    code = (
        "import matplotlib; before = dict(matplotlib.rcParams); "
        "import hemstats.plots.style, hemstats.plots.export; "
        "assert dict(matplotlib.rcParams) == before"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
