"""show_figure: files, numbers, captions, links, escaping; roc_steps: the exact ROC vertices."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import re

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from hemstats.errors import ReportError
from hemstats.report import current, save_table, show_figure
from hemstats.report.context import ReportContext
from hemstats.report.figures import chapter_number, figure_files, reset_figure_numbers, roc_steps

TOC = "root: overview\nchapters:\n  - file: cohort\n  - file: prevalence\n  - file: performance\n"


@pytest.fixture()
def ctx(tmp_path):
    reset_figure_numbers()
    c = current(ReportContext.example(tmp_path).write())
    c.src_dir.mkdir(parents=True, exist_ok=True)
    (c.src_dir / "_toc.yml").write_text(TOC)
    yield c
    reset_figure_numbers()
    plt.close("all")


def _fig(label="a"):
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot([0, 1], [0, 1], label=label)
    ax.set_title(label)
    return fig


def test_writes_png_pdf_svg_and_csv(ctx):
    data = pd.DataFrame({"x": [0.0, 1.0], "y": [0.0, 1.0 / 3.0]})
    html = show_figure(_fig(), "fig_one", caption="A line.", data=data, context=ctx, cwd=ctx.src_dir)
    files = figure_files("fig_one", context=ctx)
    assert files["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert files["pdf"].read_bytes()[:5] == b"%PDF-"
    assert b"<svg" in files["svg"].read_bytes()[:2000]
    assert (ctx.tables_dir / "figures" / "fig_one.csv").read_text() == data.to_csv(index=False, lineterminator="\n")
    assert not (ctx.tables_dir / "fig_one.csv").exists()  # beside the figure, not among the tables
    # links relative to the page, like the tables'
    for url in ("tables/figures/fig_one.png", "tables/figures/fig_one.pdf", "tables/figures/fig_one.svg",
                "tables/figures/fig_one.csv"):
        assert f'"{url}"' in html.html
    assert "PDF</a> · <a" in html.html and ">data (CSV)</a>" in html.html
    assert plt.get_fignums() == []  # closed


def test_no_dates_or_paths_in_the_files_and_same_bytes_twice(ctx):
    show_figure(_fig(), "fig_meta", caption="Meta.", context=ctx)
    files = figure_files("fig_meta", context=ctx)
    first = {k: p.read_bytes() for k, p in files.items()}
    show_figure(_fig(), "fig_meta", caption="Meta.", context=ctx)
    assert {k: p.read_bytes() for k, p in files.items()} == first
    for blob in first.values():
        assert str(ctx.out).encode() not in blob and b"/tmp" not in blob and b"/home" not in blob
    assert b"CreationDate" not in first["pdf"] and b"<dc:date" not in first["svg"]
    assert b"<text" in first["svg"] or b"font" in first["svg"]  # text kept as text


def test_numbers_per_page_in_order_and_stable_for_a_name(ctx):
    a = show_figure(_fig(), "fig_a", caption="First.", context=ctx)
    b = show_figure(_fig(), "fig_b", caption="Second.", context=ctx)
    a_again = show_figure(_fig(), "fig_a", caption="First.", context=ctx)
    assert str(a).startswith("Figure 1. First.") and str(b).startswith("Figure 2. Second.")
    assert str(a_again).startswith("Figure 1.")
    c = show_figure(_fig(), "fig_c", caption="Third.", chapter="performance", context=ctx)
    d = show_figure(_fig(), "fig_d", caption="Fourth.", chapter="performance", context=ctx)
    assert str(c).startswith("Figure 3.1. Third.") and str(d).startswith("Figure 3.2. Fourth.")
    assert '<span class="hemstats-figure-number">Figure 3.2.</span> Fourth.' in d.html
    reset_figure_numbers()
    assert str(show_figure(_fig(), "fig_b", caption="Second.", context=ctx)).startswith("Figure 1.")


def test_chapter_number_reads_the_toc(ctx):
    assert chapter_number("overview", context=ctx) == 0
    assert chapter_number("prevalence", context=ctx) == 2
    with pytest.raises(ReportError, match="lists no chapter 'nope'"):
        chapter_number("nope", context=ctx)


def test_caption_and_names_are_escaped(ctx):
    html = show_figure(_fig(), "fig_x", caption='Prevalence in <b>"evil" & co</b>.', context=ctx)
    assert "<b>" not in html.html
    assert "&lt;b&gt;&quot;evil&quot; &amp; co&lt;/b&gt;." in html.html
    alt = re.search(r'alt="([^"]*)"', html.html).group(1)
    assert "<" not in alt and '"' not in alt
    assert "data (CSV)" not in html.html  # no data, no link


def test_data_may_name_a_saved_table(ctx):
    save_table(pd.DataFrame({"a": [1]}), "saved_before", context=ctx)
    html = show_figure(_fig(), "fig_saved", caption="From a table.", data="saved_before", context=ctx)
    assert 'href="tables/saved_before.csv"' in html.html
    assert not (ctx.tables_dir / "figures" / "fig_saved.csv").exists()
    with pytest.raises(ReportError, match="names no saved table"):
        show_figure(_fig(), "fig_missing", caption="x", data="not_saved", context=ctx)


@pytest.mark.parametrize("name", ["../x", "a/b", "", "x.csv", "<script>"])
def test_bad_names_are_refused(ctx, name):
    with pytest.raises(ReportError):
        show_figure(_fig(), name, caption="x", context=ctx)


def test_bad_caption_and_figure_are_refused(ctx):
    with pytest.raises(ReportError, match="caption"):
        show_figure(_fig(), "fig_e", caption="  ", context=ctx)
    with pytest.raises(ReportError, match="matplotlib Figure"):
        show_figure(plt.subplots()[1], "fig_e", caption="x", context=ctx)


def test_roc_steps_are_the_upper_left_corners_of_the_empirical_roc():
    from sklearn.metrics import roc_curve as sk_roc

    from hemstats.datasets import demo
    from hemstats.stats import roc_band

    cohort = demo.load(n_studies=150, seed=3)
    band = roc_band(cohort, findings="any", level="study", n_resamples=50, rng=0)
    steps = roc_steps(cohort, band, confidence_level=0.95, n_resamples=50, rng=0)
    t = cohort.tables()
    lab = t["labels"]
    lab = lab[(lab.rater == "consensus") & (lab.finding == "any") & (lab.level == "study")]
    pred = t["predictions"]
    pred = pred[(pred.model == "model_a") & (pred.finding == "any") & (pred.level == "study")]
    joined = pred.merge(lab[["study_id", "value"]], on="study_id")
    fpr, tpr, _ = sk_roc(joined["value"].astype(int), joined["score"], drop_intermediate=False)
    best = pd.Series(tpr).groupby(np.round(fpr, 12)).max()
    mine = steps[steps.model == "model_a"].assign(fpr=lambda d: np.round(1 - d["value"], 12)).set_index("fpr")
    np.testing.assert_allclose(mine.loc[best.index, "estimate"].to_numpy(), best.to_numpy(), atol=1e-12)
    assert (mine["ci_low"] <= mine["estimate"] + 1e-12).all() and (mine["estimate"] <= mine["ci_high"] + 1e-12).all()
    with pytest.raises(ReportError, match="groups"):
        roc_steps(cohort, roc_band(cohort, level="study", values=[0.5], n_resamples=20, rng=0),
                  confidence_level=0.95, n_resamples=20)


def test_without_a_report_toc_the_shipped_book_numbers_the_chapters(tmp_path):
    reset_figure_numbers()
    c = current(ReportContext.example(tmp_path).write())  # no <src>/_toc.yml
    html = show_figure(_fig(), "fig_shipped", caption="Shipped.", chapter="performance", context=c)
    assert re.match(r"Figure \d+\.1\. Shipped\.", str(html))
    reset_figure_numbers()


@pytest.mark.slow
def test_each_chapter_figure_is_numbered_captioned_and_saved(tmp_path, monkeypatch):
    """sections.figures draws every chapter figure from the chapter's tables (small demo)."""
    from hemstats.datasets import demo
    from hemstats.report.sections import acquisition, agreement, performance, prevalence
    from hemstats.report.sections import figures as sf

    reset_figure_numbers()
    demo.load(n_studies=120, seed=0).to_dir(tmp_path / "cohort")
    c = current(ReportContext.example(tmp_path, datasets=("demo",), n_resamples=30, seed=1).write())
    shown = [sf.prevalence_figure(c, prevalence.by_dataset(c)), sf.combinations_figure(c, prevalence.combinations(c)),
             *sf.kappa_figures(c, agreement.by_finding(c)), sf.acquisition_mix_figure(c, acquisition.mix(c)),
             *sf.kernel_figures(c, acquisition.by_kernel(c)),
             *sf.roc_figures(c, performance.roc_curves(c), performance.auc_table(c)),
             sf.compare_figure(c, performance.compare_table(c)),
             *sf.reliability_figures(c, performance.reliability_table(c, n_bins=10))]
    numbers = [re.match(r"Figure (\d+\.\d+)\. ", str(h)).group(1) for h in shown]
    chapters = [int(n.split(".")[0]) for n in numbers]
    assert chapters == sorted(chapters) and len(set(numbers)) == len(numbers), numbers
    for h in shown:
        assert "data (CSV)" in h.html and "PDF</a>" in h.html
    roc = next(str(h) for h in shown if "ROC curve" in str(h))
    assert "exact steps" in roc and "95%" in roc and "30 resamples" in roc
    folder = c.tables_dir / "figures"
    assert {p.suffix for p in folder.iterdir()} == {".png", ".pdf", ".svg", ".csv"}
    assert len(list(folder.glob("*.png"))) == len(shown)
    assert plt.get_fignums() == []
    reset_figure_numbers()
