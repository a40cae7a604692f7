"""The Acquisition chapter's tables (hemstats.report.sections.acquisition), without a book build."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hemstats.cohort import Cohort
from hemstats.datasets import demo
from hemstats.report.sections import Settings
from hemstats.report.sections import acquisition as tables
from hemstats.stats.acquisition.effects import EFFECT_COLUMNS, acquisition_effects
from hemstats.stats.acquisition.heterogeneity import HETEROGENEITY_COLUMNS, heterogeneity
from hemstats.stats.acquisition.mix import (
    DISTRIBUTION_COLUMNS,
    MIX_COLUMNS,
    acquisition_mix,
)

CHAPTER = Path(__file__).resolve().parents[2] / "book" / "acquisition.md"


@pytest.fixture(scope="module")
def cohort() -> Cohort:
    return demo.load(n_studies=120, seed=3)


@pytest.fixture(scope="module")
def settings(cohort) -> Settings:
    return Settings(cohort, seed=5, n_resamples=50)


@dataclass
class Recorder:
    """Settings that remember which random streams a section function asks for."""

    cohort: Cohort
    confidence_level: float = 0.95
    n_resamples: int = 50
    seed: int = 5
    asked: list[str] = field(default_factory=list)

    def rng(self, name: str) -> np.random.Generator:
        self.asked.append(name)
        return Settings(self.cohort, seed=self.seed).rng(name)


def _without_acquisition(cohort: Cohort) -> Cohort:
    frames = cohort.tables()
    studies = frames["studies"].copy()
    for col in tables.ACQUISITION_COLUMNS:
        studies[col] = pd.Series(pd.NA, index=studies.index, dtype=studies[col].dtype)
    return Cohort(studies, labels=frames["labels"], predictions=frames["predictions"], lesions=frames["lesions"])


def test_descriptive_tables_are_the_statistics(settings, cohort):
    assert tables.datasets(settings) == ["demo"]
    mix = tables.mix(settings)
    assert tuple(mix.columns) == MIX_COLUMNS
    pd.testing.assert_frame_equal(mix, acquisition_mix(cohort))
    assert tuple(tables.distribution(settings).columns) == DISTRIBUTION_COLUMNS
    assert list(tables.unknown_kernels(settings).columns)  # a table, empty when every kernel maps


def test_effects_on_every_read_finding(settings, cohort):
    eff = tables.effects(settings)
    assert tuple(eff.columns) == EFFECT_COLUMNS
    assert set(eff["finding"]) == set(tables.read_findings(cohort))
    direct = acquisition_effects(cohort, findings=tables.read_findings(cohort))
    pd.testing.assert_frame_equal(eff, direct)
    assert set(tables.associations(eff)["test"]) <= {"chi-squared", "fisher"}
    gee = tables.odds_ratios(eff)
    assert set(gee["finding"]) == set(eff["finding"])  # one row per term, or one with the reason the fit failed
    assert (gee["term"].notna() | gee["reason"].str.contains("fit failed|one class|separation")).all()


def test_by_kernel_is_heterogeneity_on_its_own_stream(settings, cohort):
    recorder = Recorder(cohort)
    table = tables.by_kernel(recorder)
    assert recorder.asked == ["acquisition/by_kernel"]
    assert tuple(table.columns) == HETEROGENEITY_COLUMNS
    direct = heterogeneity(cohort, by="kernel_family", findings=tables.model_findings(cohort), n_resamples=50,
                           rng=settings.rng("acquisition/by_kernel"))
    pd.testing.assert_frame_equal(table, direct)
    assert set(tables.kernel_tests(table)["method"]) == {"q-test-clustered-delong", "gee-wald-sandwich"}
    assert set(tables.kernel_strata(table)["metric"]) == {"auc", "sensitivity", "specificity"}


def test_sections_say_when_there_is_nothing(cohort):
    bare = Settings(_without_acquisition(cohort))
    assert tables.datasets(bare) == []
    for section in (tables.mix, tables.unknown_kernels, tables.distribution, tables.effects, tables.by_kernel):
        assert section(bare) is None
    frames = cohort.tables()
    unscored = Cohort(frames["studies"], labels=frames["labels"])
    assert tables.by_kernel(Settings(unscored)) is None


def test_chapter_cells_run(cohort, tmp_path, monkeypatch):
    """The chapter's code cells, run as the book build runs them (no Jupyter): tables written, figures drawn."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from hemstats.report import context

    cohort.to_dir(tmp_path / "cohort")
    ctx = context.ReportContext.example(tmp_path, datasets=("demo",), n_resamples=50, seed=2)
    monkeypatch.setenv(context.ENV_VAR, str(ctx.write()))
    cells = re.findall(r"```\{code-cell\} python3\n(.*?)```", CHAPTER.read_text(), flags=re.S)
    assert len(cells) >= 6
    namespace: dict = {}
    monkeypatch.setattr(plt, "show", lambda: None)
    for cell in cells:
        exec(compile(re.sub(r"^:tags:.*\n", "", cell, flags=re.M), str(CHAPTER), "exec"), namespace)
    written = {p.stem for p in ctx.tables_dir.glob("*.csv")}
    assert {"acquisition_mix", "acquisition_distribution", "acquisition_effects",
            "performance_by_kernel_family"} <= written
    saved = pd.read_csv(ctx.tables_dir / "performance_by_kernel_family.csv")
    assert list(saved.columns) == list(HETEROGENEITY_COLUMNS)
    assert "level" not in namespace  # the confidence level is never called `level` in a chapter
    plt.close("all")


RAW = re.compile(r"^[a-z0-9_]+$")


def _no_raw_headers(frame: pd.DataFrame) -> None:
    raw = [c for c in frame.columns if RAW.match(str(c)) and str(c) not in {"n", "p", "z"}]
    assert raw == [], raw


@pytest.fixture(scope="module")
def effects(settings) -> pd.DataFrame:
    return tables.effects(settings)


@pytest.fixture(scope="module")
def kernels(settings) -> pd.DataFrame:
    return tables.by_kernel(settings)


def test_mix_and_distribution_views(settings):
    mix = tables.mix(settings)
    v = tables.mix_view(mix)
    assert len(v.frame) == len(mix)
    _no_raw_headers(v.frame)
    assert list(v.frame.columns) == ["Vendor", "Scanner model", "Kernel family", "Slice thickness, mm", "Studies, n (%)"]
    first = mix.iloc[0]
    assert v.frame["Studies, n (%)"].iloc[0] == f"{first.n_positive} ({100 * first.estimate:.1f})"
    assert v.caption == f"demo: {mix.n.iloc[0]} studies; studies, n (% of the dataset)"
    dist = tables.distribution_view(tables.distribution(settings))
    assert list(dist.frame["Variable"]) == ["Tube voltage, kVp", "Tube current, mA", "Slice thickness, mm"]
    assert dist.frame["Studies (missing), n"].str.fullmatch(r"\d+ \(\d+\)").all()


def test_association_view_prints_degrees_of_freedom_as_integers(effects):
    v = tables.associations_view(effects)
    rows = effects[effects["analysis"] == "association"]
    assert len(v.frame) == len(rows)
    _no_raw_headers(v.frame)
    chi = v.frame["Test"][v.frame["Test"].str.startswith("χ²")]
    assert len(chi) and chi.str.fullmatch(r"χ²\(\d+\) = \d+\.\d\d").all()  # df "2", never "2.000"
    # a note every row shares is said once, not marked on every row
    shared = [n for n in v.general if "treat studies as independent" in n]
    assert shared and not any("treat studies as independent" in n for n in v.notes)
    assert "p (Holm)" in v.frame.columns and "Cramér's V" in v.frame.columns


def test_odds_ratio_view_gives_a_failed_model_one_row(effects):
    v = tables.odds_ratios_view(effects)
    gee = effects[effects["analysis"] == "gee"]
    fitted = gee.groupby("finding", observed=True)["estimate"].apply(lambda e: e.notna().any())
    n_rows = sum(int((gee["finding"] == f).sum()) if ok else 1 for f, ok in fitted.items())
    assert len(v.frame) == n_rows
    failed = [str(f) for f, ok in fitted.items() if not ok]
    if failed:
        from hemstats.report.display import display_name

        row = v.frame[v.frame["Finding"] == display_name(failed[0])]
        assert len(row) == 1 and row["Notes"].iloc[0] != ""


def test_kernel_views(kernels):
    tests = tables.kernel_tests_view(kernels)
    assert len(tests.frame) == int((kernels["kind"] == "heterogeneity").sum())
    assert set(tests.frame["Test"]) == set(tables.TEST_NAMES.values())
    strata = tables.kernel_strata_view(kernels)
    rows = kernels[kernels["kind"] == "stratum"]
    assert len(strata.frame) == rows.groupby(["finding", "model", "subgroup_value"], observed=True).ngroups
    assert {"Kernel family", "AUC", "Sensitivity, %", "Specificity, %"} <= set(strata.frame.columns)
    for frame in (tests.frame, strata.frame):
        _no_raw_headers(frame)
        assert not any(len(str(c)) > 60 for c in frame.to_numpy().ravel())  # long text lives in the notes


def test_odds_ratio_view_on_a_made_table():
    base = {"dataset": "d", "analysis": "gee", "ci_low": 0.5, "ci_high": 2.0, "p_value": 0.5, "p_adjusted": 1.0,
            "n": 100, "n_positive": 30, "confidence_level": 0.95, "metric": "odds-ratio",
            "method": "gee-exchangeable-robust-wald"}
    rows = pd.DataFrame([
        {**base, "finding": "any", "term": "vendor: Philips vs GE", "estimate": 1.5, "reason": "5 left out"},
        {**base, "finding": "any", "term": "kvp (per 10 kV)", "estimate": 0.9, "reason": "5 left out"},
        {**base, "finding": "edh", "term": "vendor: Philips vs GE", "estimate": float("nan"),
         "reason": "5 left out; fit failed: separation"},
        {**base, "finding": "edh", "term": "kvp (per 10 kV)", "estimate": float("nan"),
         "reason": "5 left out; fit failed: separation"},
    ])
    v = tables.odds_ratios_view(rows)
    assert list(v.frame["Term"]) == ["Vendor: Philips vs GE", "Tube voltage (per 10 kV)", "—"]
    assert list(v.frame["Odds ratio"]) == ["1.50 (0.50 to 2.00)", "0.90 (0.50 to 2.00)", "—"]
    assert list(v.frame["Notes"]) == ["", "", "1"]
    assert v.general == ("5 left out",) and v.notes == ("fit failed: separation",)
