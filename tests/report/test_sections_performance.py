"""The Model performance chapter's tables, without a book build (hemstats.report.sections.performance)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hemstats.cohort import Cohort
from hemstats.report.sections import Settings, views
from hemstats.report.sections import performance as section
from hemstats.stats import auc, threshold_metrics
from hemstats.stats.diagnostic.auc import AUC_COLUMNS, COMPARE_COLUMNS
from hemstats.stats.diagnostic.calibration import CALIBRATION_COLUMNS, RELIABILITY_COLUMNS
from hemstats.stats.diagnostic.curves import BAND_COLUMNS, READER_COLUMNS
from hemstats.stats.diagnostic.operating_points import THRESHOLD_COLUMNS

B = 60


@pytest.fixture(scope="module")
def one():
    from hemstats.datasets import demo

    return demo.load(n_studies=80, seed=5, name="demo_a")


@pytest.fixture(scope="module")
def two(one):
    from hemstats.datasets import demo

    return Cohort.concat([one, demo.load(n_studies=60, seed=6, name="demo_b")])


@pytest.fixture(scope="module")
def ctx(two):
    return Settings(two, n_resamples=B, seed=3)


def test_every_table_has_its_fixed_columns(ctx):
    assert section.has_predictions(ctx, "study") and section.has_predictions(ctx, "slice") and section.has_pairs(ctx)
    assert list(section.auc_table(ctx).columns) == list(AUC_COLUMNS)
    assert list(section.average_precision_table(ctx).columns) == list(AUC_COLUMNS)
    curves = section.roc_curves(ctx)
    assert list(curves.bands.columns) == list(BAND_COLUMNS) and list(curves.readers.columns) == list(READER_COLUMNS)
    assert list(section.compare_table(ctx).columns) == list(COMPARE_COLUMNS)
    assert list(section.operating_points(ctx).columns) == list(THRESHOLD_COLUMNS)
    assert list(section.calibration_table(ctx).columns) == list(CALIBRATION_COLUMNS)
    assert list(section.reliability_table(ctx, n_bins=5).columns) == list(RELIABILITY_COLUMNS)
    assert list(section.slice_auc(ctx).columns) == [*AUC_COLUMNS, "resampling"]


def test_auc_table_is_auc_of_each_dataset_with_its_own_stream(ctx, two):
    table = section.auc_table(ctx)
    assert set(table.dataset) == {"demo_a", "demo_b"} and (table.level == "study").all()
    expected = auc(two.select("demo_b"), level="study", n_resamples=B, rng=ctx.rng("performance/auc/demo_b"))
    got = table[table.dataset == "demo_b"].reset_index(drop=True)
    pd.testing.assert_frame_equal(got, expected, check_dtype=False, check_categorical=False)


@pytest.mark.parametrize("name", ["auc_table", "average_precision_table", "operating_points", "calibration_table"])
def test_adding_a_dataset_leaves_the_other_intervals_unchanged(name, ctx, one):
    alone = getattr(section, name)(Settings(one, n_resamples=B, seed=3))
    both = getattr(section, name)(ctx)
    both = both[both.dataset == "demo_a"].reset_index(drop=True)
    assert len(alone) and bool(alone["method"].str.contains("bootstrap").any())  # randomness is exercised
    pd.testing.assert_frame_equal(alone, both, check_dtype=False, check_categorical=False)


def test_same_seed_same_tables_another_seed_other_intervals(ctx, two):
    a = section.operating_points(ctx)
    pd.testing.assert_frame_equal(a, section.operating_points(Settings(two, n_resamples=B, seed=3)))
    other = section.operating_points(Settings(two, n_resamples=B, seed=4))
    boot = a["method"].str.contains("bootstrap").to_numpy()
    assert not np.allclose(a.loc[boot, "ci_low"], other.loc[boot, "ci_low"], equal_nan=True)


def test_operating_points_are_threshold_metrics_of_any(ctx, two):
    ops = section.operating_points(ctx, threshold=0.5, target_sensitivity=0.9)
    assert set(ops.finding) == {"any"} and set(ops.operating_point) == {"threshold", "sensitivity>=0.9"}
    expected = threshold_metrics(two.select("demo_a"), findings="any", level="study", threshold=0.5,
                                 target_sensitivity=0.9, n_resamples=B, rng=ctx.rng("performance/operating_points/demo_a"))
    pd.testing.assert_frame_equal(ops[ops.dataset == "demo_a"].reset_index(drop=True), expected,
                                  check_dtype=False, check_categorical=False)
    wide = section.operating_points_wide(ops)
    assert {"sensitivity", "specificity", "ppv", "youden_j"} <= set(wide.columns)
    assert len(wide) == ops.groupby(["dataset", "model", "operating_point"]).ngroups


def test_discrimination_puts_the_average_precision_beside_the_auc(ctx):
    aucs, aps = section.auc_table(ctx), section.average_precision_table(ctx)
    disc = section.discrimination(aucs, aps)
    assert len(disc) == len(aucs)
    np.testing.assert_allclose(disc["auc"], aucs["estimate"])
    np.testing.assert_allclose(disc["ap"], aps["estimate"])


def test_roc_curves_one_finding_per_dataset_with_readers(ctx):
    from hemstats.plots import roc_curve

    curves = section.roc_curves(ctx)
    assert curves.datasets() == ["demo_a", "demo_b"]
    for dataset in curves.datasets():
        band, readers = curves.of(dataset)
        assert set(band.finding) == {"any"} and set(band.metric) == {"sensitivity"}
        assert readers is not None and set(readers.metric) == {"sensitivity", "specificity"}
        ax = roc_curve(band, readers=readers)
        assert ax.get_xlabel() == "1 - specificity"


def test_calibration_and_reliability_only_for_probabilities(ctx, two):
    cal = section.calibration_table(ctx)
    assert set(cal.metric) == {"brier", "calibration_intercept", "calibration_slope"}
    rel = section.reliability_table(ctx, n_bins=5)
    assert set(rel.finding) == {"any"} and (rel.metric == "fraction_positive").all()
    # a model with scores outside [0, 1] has no calibration
    preds = two.predictions.assign(score=two.predictions["score"].astype(float) * 10)
    logits = Cohort(two.studies, labels=two.labels, predictions=preds)
    assert section.calibration_table(Settings(logits, n_resamples=B)).empty
    assert section.reliability_table(Settings(logits)).empty


def test_slice_auc_rows_against_patients(ctx):
    both = section.slice_auc(ctx)
    assert set(both.resampling) == {"slices", "patients"}
    rows = both[both.resampling == "slices"].reset_index(drop=True)
    patients = both[both.resampling == "patients"].reset_index(drop=True)
    assert (rows.method == "stratified-bootstrap-percentile").all()
    assert (patients.method == "stratified-cluster-bootstrap-percentile").all()
    assert (patients.n_clusters < patients.n).all()


def test_a_cohort_without_predictions_gives_empty_tables(one):
    bare = Cohort(one.studies, labels=one.labels)
    ctx = Settings(bare, n_resamples=B)
    assert not section.has_predictions(ctx) and not section.has_pairs(ctx)
    assert section.auc_table(ctx).empty and list(section.auc_table(ctx).columns) == list(AUC_COLUMNS)
    assert section.operating_points(ctx).empty and section.calibration_table(ctx).empty
    assert section.roc_curves(ctx).bands.empty and section.slice_auc(ctx).empty


CHAPTER = Path(__file__).resolve().parents[2] / "book" / "performance.md"


def test_chapter_cells_run(one, tmp_path, monkeypatch):
    """The chapter's code cells, run as the book build runs them (no Jupyter): tables written, figures drawn."""
    import matplotlib.pyplot as plt

    from hemstats.report import context

    one.to_dir(tmp_path / "cohort")
    ctx = context.ReportContext.example(tmp_path, datasets=("demo_a",), n_resamples=50, seed=2)
    monkeypatch.setenv(context.ENV_VAR, str(ctx.write()))
    cells = re.findall(r"```\{code-cell\} python3\n(.*?)```", CHAPTER.read_text(), flags=re.S)
    assert len(cells) == 7
    assert all(len(c.strip().splitlines()) <= 30 for c in cells)  # prose plus a few calls (a figure: its caption) per cell
    namespace: dict = {}
    monkeypatch.setattr(plt, "show", lambda: None)
    for cell in cells:
        exec(compile(re.sub(r"^:tags:.*\n", "", cell, flags=re.M), str(CHAPTER), "exec"), namespace)
    written = {p.stem for p in ctx.tables_dir.glob("*.csv")}
    assert written == {"performance_auc", "performance_average_precision", "performance_roc_band",
                       "performance_reader_points", "performance_compare_auc", "performance_operating_points",
                       "performance_calibration", "performance_reliability", "performance_slice_auc"}
    saved = pd.read_csv(ctx.tables_dir / "performance_auc.csv")
    assert list(saved.columns) == list(AUC_COLUMNS)
    assert "level" not in namespace  # the confidence level is never called `level` in a chapter
    plt.close("all")


RAW = re.compile(r"^[a-z0-9_]+$")


def _no_raw_headers(frame: pd.DataFrame) -> None:
    raw = [c for c in frame.columns if RAW.match(str(c)) and str(c) not in {"n", "p", "z"}]
    assert raw == [], raw


def _cell(row: pd.Series, scale: float, digits: int) -> str:
    return (f"{scale * row.estimate:.{digits}f} ({scale * row.ci_low:.{digits}f} to "
            f"{scale * row.ci_high:.{digits}f})")


def test_operating_views_show_sensitivity_and_specificity_with_their_intervals(ctx):
    ops = section.operating_points(ctx)
    main, summary = section.operating_views(ops)
    n_points = ops.groupby(["dataset", "model", "operating_point"], observed=True).ngroups
    assert len(main.frame) == len(summary.frame) == n_points
    for frame in (main.frame, summary.frame):
        _no_raw_headers(frame)
    metrics = [c for c in main.frame.columns if c.endswith(", %")]
    assert metrics == ["Sensitivity, %", "Specificity, %", "PPV, %", "NPV, %"]
    first = ops[(ops.metric == "sensitivity")].iloc[0]
    assert main.frame["Sensitivity, %"].iloc[0] == _cell(first, 100, 1)
    spec = ops[(ops.metric == "specificity")].iloc[0]
    assert main.frame["Specificity, %"].iloc[0] == _cell(spec, 100, 1)
    assert main.frame["Operating point"].iloc[0] == f"score ≥ {first.threshold:.3f}"
    assert main.frame["Operating point"].str.startswith("sensitivity ≥ 90%: score ≥ ").any()
    assert {"F1 score, %", "Accuracy, %", "Balanced accuracy, %", "Youden's J"} <= set(summary.frame.columns)
    assert "Dataset" in main.frame.columns  # two datasets: the column stays


def test_discrimination_and_calibration_views(ctx):
    aucs, aps = section.auc_table(ctx), section.average_precision_table(ctx)
    disc = section.discrimination_view(aucs, aps)
    assert len(disc.frame) == len(aucs)
    _no_raw_headers(disc.frame)
    assert disc.frame["AUC"].iloc[0] == _cell(aucs.iloc[0], 1, 3)
    assert disc.frame["Average precision"].iloc[0] == _cell(aps.iloc[0], 1, 3)
    assert disc.frame["Positive / studies, n"].iloc[0] == f"{aucs.n_positive.iloc[0]} / {aucs.n.iloc[0]}"
    cal = section.calibration_table(ctx)
    v = section.calibration_view(cal)
    assert len(v.frame) == cal.groupby(["dataset", "finding", "model"], observed=True).ngroups
    assert {"Brier score", "Calibration intercept", "Calibration slope"} <= set(v.frame.columns)


def test_compare_and_slice_views(ctx):
    comp = section.compare_table(ctx)
    v = section.compare_view(comp)
    assert len(v.frame) == len(comp) and "p (Holm)" in v.frame.columns
    assert v.frame["Models"].iloc[0] == f"{comp.model_1.iloc[0]} vs {comp.model_2.iloc[0]}"
    both = section.slice_auc(ctx)
    s = section.slice_view(both)
    assert len(s.frame) == len(both) // 2
    assert {"95% CI, slices resampled", "95% CI, patients resampled", "Slices / patients, n"} <= set(s.frame.columns)


def test_footnotes_number_notes_once_and_say_shared_ones_once():
    marks, notes, common = views.footnotes(["shared; few positives", "shared", "shared; few positives; x"])
    assert common == ["shared"] and notes == ["few positives", "x"]
    assert marks == ["1", "", "1, 2"]
    v = views.view(pd.DataFrame({"dataset": ["d", "e"], "finding": ["any", "sdh"]}), reasons=[None, "why"])
    assert list(v.frame.columns) == ["Dataset", "Finding", "Notes"] and v.notes == ("why",)
    assert "why" in v.html().html and '<ol class="hemstats-notes">' in v.html().html
