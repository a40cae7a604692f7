"""Chapter helpers: save_table, show_table, no_data, synthetic_banner."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hemstats.errors import ReportError
from hemstats.report import current, no_data, save_table, show_table, synthetic_banner, table_url
from hemstats.report.chapter import synthetic_datasets
from hemstats.report.context import ReportContext


@pytest.fixture()
def ctx(tmp_path):
    return current(ReportContext.example(tmp_path, synthetic=("demo",)).write())


def _frame(seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "dataset": pd.Categorical(["demo", "demo", "other"]),
            "finding": ["any", "sdh", pd.NA],
            "estimate": rng.random(3),
            "n": pd.array([10, pd.NA, 3], dtype="Int64"),
            "volume": pd.array([1.0 / 3.0, pd.NA, 2.5], dtype="Float64"),
        }
    )


def test_save_table_is_deterministic_and_full_precision(ctx):
    df = _frame()
    path = save_table(df, "t1", context=ctx)
    assert path == ctx.tables_dir / "t1.csv"
    first = path.read_bytes()
    assert b"\r" not in first
    back = pd.read_csv(path, float_precision="round_trip")
    assert back["estimate"].tolist() == df["estimate"].tolist()  # exact round trip
    assert back["volume"].iloc[0] == 1.0 / 3.0
    mtime = path.stat().st_mtime_ns
    save_table(_frame(), "t1", context=ctx)  # an equal frame: same bytes, file not rewritten
    assert path.read_bytes() == first
    assert path.stat().st_mtime_ns == mtime
    save_table(_frame(seed=1), "t1", context=ctx)
    assert path.read_bytes() != first


def test_save_table_missing_values_are_empty_cells(ctx):
    text = save_table(_frame(), "t2", context=ctx).read_text()
    lines = text.splitlines()
    assert lines[0] == "dataset,finding,estimate,n,volume"
    assert lines[2].endswith(",,")  # n and volume missing
    assert lines[3].startswith("other,,")  # finding missing


@pytest.mark.parametrize("name", ["", "../x", "a/b", "x.csv", ".hidden", "with space", 3])
def test_save_table_rejects_bad_names(ctx, name):
    with pytest.raises(ReportError, match="table name"):
        save_table(_frame(), name, context=ctx)


def test_save_table_rejects_non_frames(ctx):
    with pytest.raises(ReportError, match="expected a pandas DataFrame"):
        save_table([1, 2], "x", context=ctx)


def test_show_table_formats_only_for_display(ctx):
    df = pd.DataFrame(
        {
            "finding": ["any", "<b>"],
            "estimate": [0.25, 0.5],
            "ci_low": [0.2, 0.4],
            "ci_high": [0.3, 0.6],
            "n": [1200, 7],
            "source": ["https://example.org/data", "local"],
        }
    )
    shown = show_table(df, percent=["estimate"], digits=1, links=["source"], csv="t3", context=ctx, caption="Cap")
    html = shown._repr_html_()
    assert "25.0% (20.0%\xa0to\xa030.0%)" in html  # breaks only before its interval
    assert "1,200" in html
    assert "&lt;b&gt;" in html and "<b>" not in html  # text is escaped
    assert '<a href="https://example.org/data">' in html
    assert '<a href="tables/t3.csv">t3.csv</a>' in html
    assert "<caption>Cap</caption>" in html
    assert 'class="hemstats-num">1,200' in html
    assert "25.0% (20.0% to 30.0%)" in str(shown)
    assert df["estimate"].tolist() == [0.25, 0.5]  # the frame is untouched


def test_show_table_rename_and_code_columns():
    df = pd.DataFrame({"sha": ["ab" * 32], "x": [1]})
    html = show_table(df, rename={"sha": "sha256"}, code=["sha"])._repr_html_()
    assert "<th>sha256</th>" in html
    assert '<th class="hemstats-num">x</th>' in html  # number headers align with their cells
    assert 'class="hemstats-code">' + "ab" * 32 in html


def test_table_url_is_relative_to_the_page(ctx, tmp_path):
    (ctx.src_dir / "chapters").mkdir(parents=True)
    assert table_url("x", context=ctx, cwd=ctx.src_dir) == "tables/x.csv"
    assert table_url("x", context=ctx, cwd=ctx.src_dir / "chapters") == "../tables/x.csv"


def test_no_data_is_one_sentence():
    note = no_data("No dataset in this manifest has model scores.")
    assert "No dataset in this manifest has model scores." in note._repr_html_()
    assert "admonition" in note._repr_html_()
    with pytest.raises(ReportError, match="one non-empty sentence"):
        no_data("  ")


def test_synthetic_banner(ctx):
    from hemstats.datasets import demo

    cohort = demo.load(n_studies=20)
    assert synthetic_datasets(cohort) == ("demo",)
    banner = synthetic_banner(cohort)
    assert banner is not None and "Synthetic data" in banner._repr_html_()
    assert "demo" in str(synthetic_banner(ctx))
    real = cohort.select("demo")
    object.__setattr__(real, "info", {"demo": {"synthetic": False}})
    assert synthetic_banner(real) is None


def test_show_table_display_names_by_default(ctx):
    df = pd.DataFrame(
        {
            "finding": ["sdh"],
            "n_positive": [4.0],
            "estimate": [0.4],
            "ci_low": [0.2],
            "ci_high": [0.6],
            "confidence_level": [0.95],
            "metric": ["sensitivity"],
        }
    )
    html = show_table(df)._repr_html_()
    assert "<th>Finding</th>" in html and "Positive, n</th>" in html and "Estimate (95% CI)</th>" in html
    assert ">Subdural (SDH)<" in html and ">Sensitivity<" in html
    assert "40.0% (20.0%\xa0to\xa060.0%)" in html and ">4<" in html
    raw = show_table(df, names=False, labels=False)._repr_html_()
    assert "<th>finding</th>" in raw and ">sdh<" in raw


def test_show_table_saves_and_links_in_one_call(ctx):
    full = pd.DataFrame({"finding": ["any"], "estimate": [1 / 3], "extra": [1.0]})
    shown = show_table(full[["finding", "estimate"]], csv="one_call", save=full, context=ctx)
    path = ctx.tables_dir / "one_call.csv"
    assert path.read_text() == "finding,estimate,extra\nany,0.3333333333333333,1.0\n"  # the full frame, full precision
    assert '<a href="tables/one_call.csv">one_call.csv</a>' in shown._repr_html_()
    show_table(full, csv="one_call2", save=True, context=ctx)
    assert (ctx.tables_dir / "one_call2.csv").is_file()
    with pytest.raises(ReportError, match="save= needs csv="):
        show_table(full, save=True, context=ctx)


def test_show_table_cell_classes_for_css():
    df = pd.DataFrame({"estimate": [0.5], "ci_low": [0.4], "ci_high": [0.6], "n": [3], "cell": ["3 (5.0) [1.0, 9.0]"]})
    html = show_table(df, numbers=["cell"])._repr_html_()
    assert '<td class="hemstats-num hemstats-ci">0.50 (0.40\xa0to\xa00.60)</td>' in html  # may break before its CI
    assert '<td class="hemstats-num">3</td>' in html
    assert '<td class="hemstats-numtext">3\xa0(5.0) [1.0,\xa09.0]</td>' in html  # breaks only before the [
    assert "3 (5.0) [1.0, 9.0]" in str(show_table(df, numbers=["cell"]))  # the text form keeps plain spaces
    loose = show_table(df, numbers=["cell"], keep_together=False)._repr_html_()
    assert '<td class="hemstats-numtext">3 (5.0) [1.0, 9.0]</td>' in loose and "\xa0" not in loose
