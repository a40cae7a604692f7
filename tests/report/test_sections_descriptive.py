"""The Cohort and Prevalence chapters' tables (hemstats.report.sections.cohort / .prevalence), without a book build."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pytest

import hemstats.stats as st
from hemstats.cohort import Cohort
from hemstats.datasets import demo
from hemstats.report.sections import Settings
from hemstats.report.sections import cohort as cohort_tables
from hemstats.report.sections import prevalence as prevalence_tables
from hemstats.stats.descriptive.prevalence import COMPARE_COLUMNS, PREVALENCE_COLUMNS
from hemstats.stats.descriptive.table1 import TABLE1_COLUMNS


@pytest.fixture(scope="module")
def cohort() -> Cohort:
    return demo.load(n_studies=120, seed=3)


@pytest.fixture(scope="module")
def settings(cohort) -> Settings:
    return Settings(cohort, seed=5, n_resamples=200)


@pytest.fixture(scope="module")
def two() -> Cohort:
    return Cohort.concat([demo.load(n_studies=80, seed=3, name="alpha"), demo.load(n_studies=60, seed=4, name="beta")])


def _bare(cohort: Cohort, **tables: pd.DataFrame) -> Cohort:
    """``cohort`` with some tables replaced (e.g. no labels)."""
    frames = {**cohort.tables(), **tables}
    return Cohort(frames["studies"], labels=frames["labels"], lesions=frames["lesions"])


@dataclass
class Recorder:
    """Settings that remember which random streams a section function asks for."""

    cohort: Cohort
    confidence_level: float = 0.95
    n_resamples: int = 200
    seed: int = 0
    asked: list[str] = field(default_factory=list)

    def rng(self, name: str) -> np.random.Generator:
        self.asked.append(name)
        return Settings(self.cohort, seed=self.seed).rng(name)


# -- cohort ----------------------------------------------------------------------------------------
def test_table1_by_dataset(settings, cohort, two):
    t1 = cohort_tables.by_dataset(settings)
    assert t1.by == () and t1.groups == ()  # one dataset: no groups
    assert {"age_years", "sex", "any", "sdh"} <= set(t1.table.variable)
    assert tuple(t1.long.columns) == TABLE1_COLUMNS
    n_slices = t1.table.query("variable == 'n_slices'").measure.unique().tolist()
    assert n_slices == ["median"]  # a skewed count
    pd.testing.assert_frame_equal(t1.table, st.table1(cohort, nonnormal=["n_slices", "tube_current_ma"]).table)
    grouped = cohort_tables.by_dataset(Settings(two))
    assert grouped.by == ("dataset",) and grouped.groups == ("alpha", "beta")


def test_table1_by_any(settings, two):
    t1 = cohort_tables.by_any(settings)
    assert t1.by == ("any",) and t1.groups == ("0", "1")
    assert "any" not in set(t1.table.variable) and "sdh" not in set(t1.table.variable)
    assert list(dict.fromkeys(t1.table.variable))[1:] == cohort_tables.descriptors(settings.cohort.studies)
    crossed = cohort_tables.by_any(Settings(two))
    assert crossed.by == ("dataset", "any") and crossed.groups[0] == "dataset=alpha, any=0"


def test_cohort_tables_say_when_there_is_nothing(cohort):
    no_labels = _bare(cohort, labels=cohort.labels.iloc[:0])
    assert cohort_tables.by_any(Settings(no_labels)) is None
    t1 = cohort_tables.by_dataset(Settings(no_labels))
    assert "any" not in set(t1.table.variable)  # nothing joined
    assert cohort_tables.by_dataset(Settings(_bare(cohort, studies=cohort.studies.iloc[:0],
                                                   labels=cohort.labels.iloc[:0],
                                                   lesions=cohort.lesions.iloc[:0]))) is None  # fmt: skip


def test_table1_leaves_free_text_out(cohort):
    studies = cohort.studies.assign(
        condition=[f"condition {i % 13}" for i in range(len(cohort.studies))],
        reader_note=pd.array(["a", "b"] * (len(cohort.studies) // 2), dtype="string"),
    )
    settings = Settings(_bare(cohort, studies=studies))
    assert cohort_tables.free_text(studies) == ["condition"]  # 13 levels; 2 levels stay
    t1 = cohort_tables.by_dataset(settings)
    variables = list(dict.fromkeys(t1.table.variable))
    assert "condition" not in variables and "reader_note" in variables
    # everything else is Table 1's own default, in its order
    default = list(dict.fromkeys(st.table1(settings.cohort).table.variable))
    assert variables == [v for v in default if v != "condition"]
    assert cohort_tables.free_text(cohort.studies) == []  # the demo's kernel (10 levels, a descriptor) stays
    # a column named as free text is left out even with few values (PhysioNet's 'condition' on a small subset)
    few = cohort.studies.assign(
        condition=pd.array(["skull fracture", "none"] * (len(cohort.studies) // 2), dtype="string")
    )
    assert cohort_tables.free_text(few) == ["condition"]


def test_table1_display(settings, two):
    shown = cohort_tables.display(cohort_tables.by_dataset(settings))
    assert list(shown.columns) == ["Variable", "Category", "Missing", "Overall"]
    assert "Age, years, mean (SD)" in set(shown.Variable) and "Slice thickness, mm, mean (SD)" in set(shown.Variable)
    sdh = shown.index[shown.Variable == "Subdural (SDH), n (%)"]
    assert len(sdh) == 1 and shown.Category[sdh[0]] == "present"
    assert "0" not in set(shown.Category)  # no 'absent' rows for 0/1 findings
    crossed = cohort_tables.display(cohort_tables.by_any(Settings(two)))
    assert list(crossed.columns)[3:7] == ["alpha, No ICH", "alpha, ICH", "beta, No ICH", "beta, ICH"]
    # four groups: the intervals go to the CSV so the columns fit; two groups keep them
    with_ci = r"\(\d+\.\d\) \["  # n (%) [low, high]
    assert not crossed.drop(columns=["Variable", "Category"]).apply(lambda c: c.str.contains(with_ci)).any().any()
    assert cohort_tables.display(cohort_tables.by_dataset(Settings(two))).Overall.str.contains(with_ci).any()
    smd = [v for v in crossed.SMD if v]
    assert smd and all(len(v.split(".")[1]) == 2 for v in smd)


# -- prevalence ------------------------------------------------------------------------------------
def test_prevalence_tables(settings, cohort):
    prev = prevalence_tables.by_dataset(settings)
    assert tuple(prev.columns) == PREVALENCE_COLUMNS
    assert set(prev.unit) == {"study"} and set(prev.dataset) == {"demo"}
    pd.testing.assert_frame_equal(prev, st.prevalence(cohort))
    patient = prevalence_tables.by_patient(settings)
    assert set(patient.unit) == {"patient"}
    assert patient.query("finding == 'any'").n.item() == cohort.studies.patient_id.nunique()
    slices = prevalence_tables.by_slice(settings)
    assert set(slices.level) == {"slice"} and set(slices.method) == {"cluster-logit"}


def test_each_table_draws_from_its_own_stream(cohort):
    recorder = Recorder(cohort)
    for name in ("by_dataset", "by_patient", "by_slice", "interval_coverage"):
        recorder.asked.clear()
        if name == "interval_coverage":
            with pytest.MonkeyPatch.context() as mp:
                mp.setattr(prevalence_tables, "COVERAGE_SIMULATIONS", 50)
                getattr(prevalence_tables, name)(recorder)
        else:
            getattr(prevalence_tables, name)(recorder)
        assert recorder.asked == [f"prevalence/{name}"]


def test_interval_coverage_is_seeded(cohort, monkeypatch):
    monkeypatch.setattr(prevalence_tables, "COVERAGE_SIMULATIONS", 200)
    a = prevalence_tables.interval_coverage(Settings(cohort, seed=1))
    assert len(a) == 36 and set(a.n_simulations) == {200}
    pd.testing.assert_frame_equal(a, prevalence_tables.interval_coverage(Settings(cohort, seed=1)))
    b = prevalence_tables.interval_coverage(Settings(cohort, seed=2))
    assert not np.allclose(a.coverage, b.coverage)
    np.testing.assert_allclose(a.exact_coverage, b.exact_coverage)  # exact: no simulation
    level = prevalence_tables.interval_coverage(Settings(cohort, confidence_level=0.9))
    assert set(level.confidence_level) == {0.9}


def test_comparison_needs_two_datasets(settings, two):
    assert prevalence_tables.comparison(settings) is None
    cmp = prevalence_tables.comparison(Settings(two, confidence_level=0.9))
    assert tuple(cmp.columns) == COMPARE_COLUMNS
    pairs = cmp[cmp.comparison == "pairwise"]
    assert set(pairs.subgroup_value) == {"alpha vs beta"} and pairs.dataset.isna().all()
    assert set(pairs.confidence_level) == {0.9}


def test_subtypes_and_volumes(settings, cohort):
    pairs = prevalence_tables.cooccurrence(settings)
    assert len(pairs) == 10 and set(pairs.metric) == {"jaccard"}
    combos = prevalence_tables.combinations(settings)
    assert combos.n_positive.sum() == 120
    volumes = prevalence_tables.lesion_volumes(settings)
    assert set(volumes.metric) == {"mean", "sd", "median", "q1", "q3", "min", "max"}
    no_subtypes = _bare(cohort, labels=cohort.labels[cohort.labels.finding == "any"], lesions=cohort.lesions.iloc[:0])
    bare = Settings(no_subtypes)
    assert prevalence_tables.cooccurrence(bare) is None and prevalence_tables.combinations(bare) is None
    assert prevalence_tables.lesion_volumes(bare) is None


def test_prevalence_tables_say_when_there_is_nothing(cohort):
    study_only = _bare(cohort, labels=cohort.labels[cohort.labels.level == "study"])
    assert prevalence_tables.by_slice(Settings(study_only)) is None
    one_study_each = cohort.studies.drop_duplicates("patient_id")
    single = _bare(cohort, studies=one_study_each,
                   labels=cohort.labels[cohort.labels.study_id.isin(one_study_each.study_id)],
                   lesions=cohort.lesions[cohort.lesions.study_id.isin(one_study_each.study_id)])  # fmt: skip
    assert prevalence_tables.by_patient(Settings(single)) is None
    no_labels = Settings(_bare(cohort, labels=cohort.labels.iloc[:0]))
    assert prevalence_tables.by_dataset(no_labels) is None and prevalence_tables.by_patient(no_labels) is None


def test_shown_hides_constant_and_empty_columns(settings):
    prev = prevalence_tables.by_dataset(settings)
    table = prevalence_tables.shown(prev)
    assert not set(prevalence_tables.HIDDEN) & set(table.columns)
    assert "n_resamples" not in table.columns  # all missing without a bootstrap
    assert {"dataset", "finding", "estimate", "ci_low", "ci_high", "n", "method"} <= set(table.columns)


def test_prevalence_reads_one_row_per_finding(settings, two):
    prev = prevalence_tables.by_dataset(settings)
    table = prevalence_tables.reading(prev)
    assert list(table.columns) == ["Finding", "Positive / n", "Prevalence (95% CI)"]
    assert len(table) == prev.finding.nunique() and table.Finding.iloc[0] == "Any ICH"
    row = prev.query("finding == 'any'").iloc[0]
    assert table.iloc[0, 1] == f"{row.n_positive}/{row.n}"
    pct = f"{100 * row.estimate:.1f}% ({100 * row.ci_low:.1f}% to {100 * row.ci_high:.1f}%)"
    assert table.iloc[0, 2] == pct
    # every percentage of the table has one decimal
    assert all(re.fullmatch(r"-?\d+\.\d", p) for cell in table.iloc[:, 2] for p in re.findall(r"(-?[\d.]+)%", cell))
    wide = prevalence_tables.reading(prevalence_tables.by_dataset(Settings(two)))
    assert list(wide.columns) == ["Finding", "alpha", "beta"] and wide.alpha.str.contains("/80: ").all()
    assert prevalence_tables.notes(prev) and prevalence_tables.notes(prev)[0].startswith("demo: ")


def test_prevalence_comparison_and_volumes_for_reading(settings, two):
    cmp = prevalence_tables.comparison(Settings(two))
    diff = prevalence_tables.differences(cmp)
    pairs = cmp[cmp.comparison == "pairwise"]
    assert len(diff) == len(pairs) and set(diff["Datasets (a vs b)"]) == {"alpha vs beta"}
    first = pairs.iloc[0]
    assert diff.iloc[0]["a: positive/n"].startswith(f"{first.n_positive_a}/{first.n_a} (")
    assert "reason" not in prevalence_tables.overall_shown(cmp).columns
    volumes = prevalence_tables.lesion_volumes(settings)
    table = prevalence_tables.volumes_shown(volumes)
    assert len(table) == len(volumes.groupby(["dataset", "finding"], observed=True))  # 7 summaries in one row
    sdh = volumes.query("finding == 'sdh'").set_index("metric").estimate
    row = table[table.Finding == "Subdural (SDH)"].iloc[0]
    assert row["Mean (SD), mL"] == f"{sdh['mean']:.1f} ({sdh['sd']:.1f})"
    combos = prevalence_tables.combinations_shown(prevalence_tables.combinations(settings))
    assert "findings" not in combos.columns and "SAH + IPH + IVH" in set(combos.combination) | {"SAH + IPH + IVH"}


# -- the chapters run their cells --------------------------------------------------------------------
CELL = re.compile(r"^```\{code-cell\}[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
CHAPTERS = {
    "cohort": {"cohort_table1_by_dataset", "cohort_table1_by_dataset_smd_pairs", "cohort_table1_by_any",
               "cohort_table1_by_any_smd_pairs"},
    "prevalence": {"prevalence_by_dataset", "prevalence_by_patient", "prevalence_by_slice", "prevalence_cooccurrence",
                   "prevalence_combinations", "prevalence_lesion_volumes", "prevalence_ci_coverage"},
}  # fmt: skip


@pytest.fixture()
def ctx(tmp_path, cohort):
    from hemstats.report.build import dataset_fingerprints
    from hemstats.report.context import ReportContext

    cohort.to_dir(tmp_path / "cohort")
    context = ReportContext.example(tmp_path, seed=5, datasets=tuple(cohort.datasets), synthetic=("demo",),
                                    fingerprints=dataset_fingerprints(cohort))  # fmt: skip
    context.write()
    # as in a build: the book's table of contents beside the chapters (figures are numbered from it)
    from hemstats.report import find_book_source

    context.src_dir.mkdir(parents=True, exist_ok=True)
    (context.src_dir / "_toc.yml").write_bytes((find_book_source() / "_toc.yml").read_bytes())
    return context


@pytest.mark.parametrize("chapter", sorted(CHAPTERS))
def test_the_chapter_cells_run_and_save_their_tables(chapter, ctx, monkeypatch):
    import matplotlib

    from hemstats.report import ENV_VAR, find_book_source

    matplotlib.use("Agg")
    monkeypatch.setenv(ENV_VAR, str(ctx.out / "context.json"))
    monkeypatch.chdir(ctx.out)
    text = (find_book_source() / f"{chapter}.md").read_text(encoding="utf-8")
    cells = [re.sub(r"^:tags:.*\n", "", c) for c in CELL.findall(text)]
    namespace: dict[str, object] = {}
    for cell in cells:
        exec(compile(cell, f"{chapter}.md", "exec"), namespace)
    # every table's CSV (figures add the CSVs of their data beside them)
    assert CHAPTERS[chapter] <= {p.stem for p in ctx.tables_dir.glob("*.csv")}
    # a chapter is prose plus a few calls per cell
    assert sum(len(c.strip().splitlines()) for c in cells) <= 8 * len(cells)
