"""The Reader agreement chapter's tables (hemstats.report.sections.agreement), without a book build."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import hemstats.stats as st
from hemstats.cohort import Cohort
from hemstats.datasets import demo
from hemstats.report.sections import Settings
from hemstats.report.sections import agreement as tables
from hemstats.stats.reliability.agreement import COLUMNS, READER_COLUMNS

CHAPTER = Path(__file__).resolve().parents[2] / "book" / "agreement.md"


@pytest.fixture(scope="module")
def cohort() -> Cohort:
    return demo.load(n_studies=120, seed=3)


@pytest.fixture(scope="module")
def settings(cohort) -> Settings:
    return Settings(cohort, seed=5, n_resamples=200)


@pytest.fixture(scope="module")
def table(settings) -> pd.DataFrame:
    return tables.by_finding(settings)


@dataclass
class Recorder:
    """Settings that remember which random streams a section function asks for."""

    cohort: Cohort
    confidence_level: float = 0.95
    n_resamples: int = 200
    seed: int = 5
    asked: list[str] = field(default_factory=list)

    def rng(self, name: str) -> np.random.Generator:
        self.asked.append(name)
        return Settings(self.cohort, seed=self.seed).rng(name)


def _without_readers(cohort: Cohort, keep: tuple[str, ...]) -> Cohort:
    frames = cohort.tables()
    labels = frames["labels"]
    labels = labels[labels["rater"].isin(keep)].reset_index(drop=True)
    return Cohort(frames["studies"], labels=labels, predictions=frames["predictions"], lesions=frames["lesions"])


def test_by_finding_is_agreement_on_its_own_stream(settings, cohort, table):
    recorder = Recorder(cohort)
    again = tables.by_finding(recorder)
    assert recorder.asked == ["agreement/by_finding"]
    pd.testing.assert_frame_equal(table, again)
    direct = st.agreement(cohort, interval=["analytic", "bootstrap"], n_resamples=200,
                          rng=settings.rng("agreement/by_finding"))
    pd.testing.assert_frame_equal(table, direct)
    assert tuple(table.columns) == COLUMNS
    # 120 studies of fewer patients: clustered by patient, analytic and bootstrap
    assert {"cluster-robust-linearised", "cluster-bootstrap-percentile"} <= set(table["method"])
    assert (table.loc[table["method"].str.contains("bootstrap"), "n_resamples"] == 200).all()


def test_pairs_and_all_readers(table):
    pairs = tables.pairs(table)
    assert set(pairs["metric"]) == set(tables.PAIRWISE)
    assert set(pairs["raters"]) == {"R1|R2", "R1|R3", "R2|R3"}
    assert not pairs["method"].str.contains("bootstrap").any()
    every = tables.all_readers(table)
    assert set(every["metric"]) == set(tables.RATER_SET) and set(every["raters"]) == {"R1|R2|R3"}
    assert every["method"].str.contains("bootstrap").any()  # both interval families
    assert len(pairs) + len(every) < len(table)  # the pairwise bootstrap rows are in the CSV only


def test_heatmap_method_follows_the_clustering(table, cohort):
    assert tables.heatmap_method(table, "demo") == "cluster-robust-linearised"
    plain = st.agreement(cohort.labels)  # a bare labels table knows no patient: one study per cluster
    assert tables.heatmap_method(plain, "demo") == "fleiss-cohen-everitt-1969"


def test_reader_vs_consensus(settings, cohort):
    vs = tables.reader_vs_consensus(settings)
    assert tuple(vs.columns) == READER_COLUMNS
    assert set(vs["reference"]) == {"consensus"} and set(vs["rater"]) == {"R1", "R2", "R3"}
    assert set(vs["metric"]) == {"sensitivity", "specificity", "cohen_kappa"}
    pd.testing.assert_frame_equal(vs, st.reader_vs_reference(cohort, reference="consensus"))


def test_sections_say_when_there_is_nothing(cohort):
    one_reader = Settings(_without_readers(cohort, ("consensus", "R1")))
    assert tables.multi_reader_datasets(one_reader.cohort) == []
    assert tables.by_finding(one_reader) is None
    assert tables.reader_vs_consensus(one_reader) is None
    no_consensus = Settings(_without_readers(cohort, ("R1", "R2")), n_resamples=50)
    assert tables.reader_vs_consensus(no_consensus) is None
    assert set(tables.by_finding(no_consensus)["raters"]) == {"R1|R2"}


def test_only_datasets_with_several_readers(cohort):
    other = demo.load(n_studies=40, seed=4, name="single")
    frames = other.tables()
    labels = frames["labels"][frames["labels"]["rater"].isin(["consensus", "R1"])]
    single = Cohort(frames["studies"], labels=labels.reset_index(drop=True))
    both = Cohort.concat([cohort, single])
    assert tables.multi_reader_datasets(both) == ["demo"]
    res = tables.by_finding(Settings(both, n_resamples=50))
    assert set(res["dataset"]) == {"demo"}


def test_chapter_cells_run(cohort, tmp_path, monkeypatch):
    """The chapter's code cells, run as the book build runs them (no Jupyter): tables written, figures drawn."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from hemstats.report import context

    cohort.to_dir(tmp_path / "cohort")
    ctx = context.ReportContext.example(tmp_path, datasets=("demo",), n_resamples=100, seed=2)
    monkeypatch.setenv(context.ENV_VAR, str(ctx.write()))
    cells = re.findall(r"```\{code-cell\} python3\n(.*?)```", CHAPTER.read_text(), flags=re.S)
    assert len(cells) >= 4
    namespace: dict = {}
    monkeypatch.setattr(plt, "show", lambda: None)
    for cell in cells:
        exec(compile(re.sub(r"^:tags:.*\n", "", cell, flags=re.M), str(CHAPTER), "exec"), namespace)
    written = {p.stem for p in ctx.tables_dir.glob("*.csv")}
    assert {"agreement", "reader_vs_consensus"} <= written
    saved = pd.read_csv(ctx.tables_dir / "agreement.csv")
    assert list(saved.columns) == list(COLUMNS)
    assert "level" not in namespace  # the confidence level is never called `level` in a chapter
    plt.close("all")
