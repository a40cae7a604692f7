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


RAW = re.compile(r"^[a-z0-9_]+$")  # a column code (n_positive, ci_low) rather than a display name


def _no_raw_headers(frame: pd.DataFrame) -> None:
    raw = [c for c in frame.columns if RAW.match(str(c)) and str(c) not in {"n", "p", "z"}]
    assert raw == [], raw


def test_pairs_view_one_row_per_finding_and_pair(table):
    v = tables.pairs_view(table)
    pairs = tables.pairs(table)
    assert len(v.frame) == pairs.groupby(["finding", "raters"], observed=True).ngroups
    _no_raw_headers(v.frame)
    assert {"Cohen's kappa", "PABAK", "Gwet's AC1"} <= set(v.frame.columns)
    # estimate (CI) in one cell, three decimals as display.py sets for kappa-like estimates
    first = pairs[(pairs["metric"] == "cohen_kappa")].iloc[0]
    assert v.frame["Cohen's kappa"].iloc[0] == f"{first.estimate:.3f} ({first.ci_low:.3f} to {first.ci_high:.3f})"
    assert v.frame["Readers"].iloc[0] == "R1 vs R2"
    assert v.caption.startswith("demo: ") and "95% CI" in v.caption
    # every pair read the same studies: said once in the caption, as integers
    assert "Studies (patients), n" not in v.frame.columns
    assert re.search(r"; \d[\d,]* studies \(\d[\d,]* patients\)$", v.caption)


def test_all_readers_view_puts_both_intervals_side_by_side(table):
    v = tables.all_readers_view(table)
    assert len(v.frame) == tables.all_readers(table).groupby(["finding", "metric"], observed=True).ngroups
    assert {"95% CI, analytic", "95% CI, bootstrap"} <= set(v.frame.columns)
    alpha = v.frame[v.frame["Metric"] == "Krippendorff's alpha"]
    assert (alpha["95% CI, analytic"] == "—").all() and (alpha["95% CI, bootstrap"] != "—").all()
    assert list(v.frame["Metric"].iloc[:3]) == ["Fleiss' kappa", "Gwet's AC1", "Krippendorff's alpha"]
    assert not any("interval='bootstrap'" in n for n in (*v.notes, *v.general))


def test_reader_view_drops_findings_without_data_and_says_which(settings):
    vs = tables.reader_vs_consensus(settings)
    v = tables.reader_view(vs)
    has_data = vs.groupby("finding", observed=True)["n"].max() > 0
    kept = sorted(has_data[has_data].index.astype(str))
    assert len(v.frame) == 3 * len(kept)  # one row per finding and reader, none "— / n=0"
    assert not v.frame.isin(["—"]).all(axis=1).any()
    assert {"Sensitivity, %", "Specificity, %", "Cohen's kappa", "Positive / negative, n"} <= set(v.frame.columns)
    sens = vs[(vs["metric"] == "sensitivity") & (vs["finding"] == "any") & (vs["rater"] == "R1")].iloc[0]
    assert v.frame["Sensitivity, %"].iloc[0] == (
        f"{100 * sens.estimate:.1f} ({100 * sens.ci_low:.1f} to {100 * sens.ci_high:.1f})")
    left_out = sorted(set(vs["finding"].astype(str)) - set(kept))
    if left_out:
        assert f"{len(left_out)} finding(s)" in v.caption
    # a cohort whose every finding has data leaves nothing out and says nothing
    full = vs[vs["finding"].astype(str).isin(kept)]
    assert "left out" not in tables.reader_view(full).caption


def test_views_escape_what_they_show(table):
    from hemstats.report.sections.views import View

    v = View(pd.DataFrame({"Reader": ["<b>R1</b>"]}), caption="<i>x</i>", notes=("<script>",), general=("a & b",))
    html = v.html().html
    assert "<script>" not in html and "&lt;script&gt;" in html and "a &amp; b" in html and "<b>R1" not in html
