"""hemstats.stats.descriptive.table1.table1 against R (tests/reference/table1.R) and the tableone package.

Regenerate the reference with ``Rscript tests/reference/table1.R`` from the repository root; it
writes the simulated studies table (table1.studies.csv) and the values (table1.json) read below.
"""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hemstats.errors import HemstatsError, SchemaError
from hemstats.stats.descriptive.table1 import Table1, table1

REF = Path(__file__).resolve().parents[1] / "reference"
TOL = 1e-6
COLUMNS = ["age_years", "n_slices", "sex", "kernel", "flag"]
CATEGORICAL = ["sex", "kernel", "flag"]


@pytest.fixture(scope="module")
def ref() -> dict:
    return json.loads((REF / "table1.json").read_text())


@pytest.fixture(scope="module")
def studies() -> pd.DataFrame:
    return pd.read_csv(REF / "table1.studies.csv", dtype={"study_id": str, "patient_id": str})


def _ours(studies: pd.DataFrame, by: str) -> Table1:
    return table1(studies, by=by, columns=COLUMNS, nonnormal=["n_slices"], categorical=CATEGORICAL)


def _row(t: pd.DataFrame, variable: str, group: str, level: str | None = None) -> pd.Series:
    sel = (t.variable == variable) & (t.group == group)
    if level is not None:
        sel &= t.category == level
    out = t[sel]
    assert len(out) == 1, (variable, group, level)
    return out.iloc[0]


# -- against R -----------------------------------------------------------------------------------
@pytest.mark.parametrize("scenario, groupby", [("by_dataset", "dataset"), ("by_site", "site")])
def test_matches_r(studies, ref, scenario, groupby):
    r = ref[scenario]
    result = _ours(studies, groupby)
    t = result.table
    assert list(result.groups) == r["groups"]
    for variable, spec in r["variables"].items():
        # R: t.test(var.equal = FALSE) / oneway.test(var.equal = TRUE) / kruskal.test /
        #    chisq.test(correct = TRUE) / fisher.test, chosen by tableone's rule
        first = _row(
            t, variable, "Overall", None if spec["kind"] == "continuous" else t[t.variable == variable].category.iloc[0]
        )
        assert first["test"] == spec["test"]
        assert first["p_value"] == pytest.approx(spec["p_value"], abs=TOL)
        # R: (mean_b - mean_a) / sqrt((var(a) + var(b)) / 2); sqrt(t(d) %*% MASS::ginv(S) %*% d)
        assert first["smd"] == pytest.approx(spec["smd"], abs=TOL)
        pairs = result.smd_pairs[result.smd_pairs.variable == variable]
        assert len(pairs) == len(spec["smd_pairs"])
        for pr, rp in zip(pairs.itertuples(), spec["smd_pairs"]):
            assert (pr.group_a, pr.group_b) == (rp["group_a"], rp["group_b"])
            assert pr.smd == pytest.approx(rp["smd"], abs=TOL)
        if spec["kind"] == "continuous":
            for group, s in spec["stats"].items():
                row = _row(t, variable, group)
                # R: length, mean, sd, median, quantile(type = 7) of the non-missing values
                assert row["n"] == s["n"]
                expected = s["median"] if variable == "n_slices" else s["mean"]
                assert row["estimate"] == pytest.approx(expected, abs=TOL)
                assert row["sd"] == pytest.approx(s["sd"], abs=TOL)
                assert row["q1"] == pytest.approx(s["q1"], abs=TOL)
                assert row["q3"] == pytest.approx(s["q3"], abs=TOL)
        else:
            for c in spec["cells"]:
                row = _row(t, variable, c["group"], str(c["level"]))
                # R: sum(x == level), prop.test(k, n, correct = FALSE)$conf.int
                assert (row["count"], row["n"], row["missing"]) == (c["count"], c["n"], c["missing"])
                assert row["estimate"] == pytest.approx(c["estimate"], abs=TOL)
                assert row["ci_low"] == pytest.approx(c["ci_low"], abs=TOL)
                assert row["ci_high"] == pytest.approx(c["ci_high"], abs=TOL)


# -- against tableone --------------------------------------------------------------------------------
@pytest.mark.parametrize("groupby", ["dataset", "site"])
def test_matches_tableone(studies, groupby):
    tableone = pytest.importorskip("tableone")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tableone warns about its own defaults
        ref = tableone.TableOne(
            studies,
            columns=COLUMNS,
            categorical=CATEGORICAL,
            nonnormal=["n_slices"],
            groupby=groupby,
            pval=True,
            smd=True,
            include_null=False,
        )
    ours = _ours(studies, groupby)
    t = ours.table
    # tableone.htest_table: 'P-Value' and 'Test' per variable
    names = {"Welch’s T-test": "Welch t-test"}
    for variable in COLUMNS:
        first = t[(t.variable == variable)].iloc[0]
        assert first["p_value"] == pytest.approx(float(ref.htest_table.loc[variable, "P-Value"]), abs=TOL)
        their_test = names.get(ref.htest_table.loc[variable, "Test"], ref.htest_table.loc[variable, "Test"])
        assert first["test"].split(" (")[0] == their_test.split(" (")[0]
    # tableone.cont_describe: mean, std (ddof 1), median, q25, q75, count per group
    cont = ref.cont_describe
    for variable in ["age_years", "n_slices"]:
        for group in ours.groups:
            row = _row(t, variable, group)
            assert row["n"] == cont["count"][group][variable]
            assert row["sd"] == pytest.approx(cont["std"][group][variable], abs=TOL)
            assert row["q1"] == pytest.approx(cont["q25"][group][variable], abs=TOL)
            assert row["q3"] == pytest.approx(cont["q75"][group][variable], abs=TOL)
            key = "median" if variable == "n_slices" else "mean"
            assert row["estimate"] == pytest.approx(cont[key][group][variable], abs=TOL)
    # tableone.cat_describe: freq and percent per (variable, value) and group
    cat = ref.cat_describe
    for (variable, value), rec in cat.iterrows():
        for group in ours.groups:
            row = _row(t, variable, group, str(value))
            assert row["count"] == rec[("freq", group)]
            assert 100 * row["estimate"] == pytest.approx(rec[("percent", group)], abs=TOL)
    # tableone.smd_table: 'SMD (a,b)' columns (signed for continuous; we report |SMD| in smd)
    for col in ref.smd_table.columns:
        a, b = col[len("SMD (") : -1].split(",")
        for variable in COLUMNS:
            pair = ours.smd_pairs.query("variable == @variable and group_a == @a and group_b == @b").smd.item()
            assert abs(pair) == pytest.approx(abs(float(ref.smd_table.loc[variable, col])), abs=TOL)


# -- structure ------------------------------------------------------------------------------------
def test_fixed_columns_and_dtypes(studies):
    for kwargs in ({}, {"by": "site"}, {"by": ["dataset", "site"]}):
        t = table1(studies, columns=COLUMNS, categorical=CATEGORICAL, **kwargs).table
        assert t.columns.tolist() == [
            "variable", "category", "group", "measure", "n", "missing", "count", "estimate", "sd", "q1", "q3",
            "ci_low", "ci_high", "confidence_level", "p_value", "test", "smd",
        ]  # fmt: skip
        for c in ["count", "estimate", "sd", "q1", "q3", "ci_low", "ci_high", "p_value", "smd"]:
            assert t[c].dtype == np.float64, c


def test_missing_is_counted_not_a_level(studies):
    t = table1(studies, columns=["sex", "age_years"]).table
    sex = t[(t.variable == "sex") & (t.group == "Overall")]
    assert set(sex.category) == {"F", "M"}
    assert (sex.missing == 4).all() and (sex.n == len(studies) - 4).all()
    assert sex["count"].sum() == sex.n.iloc[0]
    age = _row(t, "age_years", "Overall")
    assert (age.n, age.missing) == (len(studies) - 3, 3)


def test_crossed_groups(studies):
    result = table1(studies, by=["dataset", "site"], columns=["age_years"])
    observed = studies.groupby(["dataset", "site"]).size()
    assert list(result.groups) == [f"dataset={d}, site={s}" for d, s in observed.index]
    sizes = result.table.query("variable == 'n' and group != 'Overall'").n.tolist()
    assert sizes == observed.tolist()
    # six groups: ANOVA, and 15 pairwise SMDs
    assert result.table.query("variable == 'age_years'").test.iloc[0] == "One-way ANOVA"
    assert len(result.smd_pairs) == 15


def test_ungrouped_has_no_tests(studies):
    t = table1(studies, columns=COLUMNS, categorical=CATEGORICAL).table
    assert set(t.group) == {"Overall"}
    assert t.p_value.isna().all() and t.smd.isna().all() and (t.test == "").all()


def test_labels_join_findings_and_group():
    from hemstats.datasets import demo

    cohort = demo.load(n_studies=200)
    result = table1(cohort.studies, by=["site", "any"], labels=cohort.labels, columns=["age_years", "sdh"])
    consensus = cohort.labels.query("level == 'study' and rater == 'consensus' and finding == 'any'")
    n_pos = int(consensus.value.sum())
    sizes = result.table.query("variable == 'n' and group.str.endswith('any=1')").n.sum()
    assert sizes == n_pos
    # sdh is 0 in every any=0 group (any is the OR of the subtypes)
    sdh = result.table.query("variable == 'sdh' and category == '1' and group.str.endswith('any=0')")
    assert (sdh["count"] == 0).all()


def test_exports(studies, tmp_path):
    result = _ours(studies, "dataset")
    md = result.to_markdown()
    lines = md.splitlines()
    assert lines[0] == "| variable | category | Missing | d1 | d2 | Overall | P-Value | Test | SMD |"
    age = _row(result.table, "age_years", "d1")
    assert f"{age.estimate:.1f} ({age.sd:.1f})" in md
    assert "age\\_years" in result.to_latex() and r"\toprule" in result.to_latex()
    assert '<table class="hemstats-table1">' in result.to_html()
    path = result.to_csv(tmp_path / "t1.csv")
    back = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert back.columns.tolist() == result.formatted().columns.tolist()
    assert len(back) == len(result.formatted())


# -- bad input ------------------------------------------------------------------------------------------
def test_input_not_modified(studies):
    before = studies.copy()
    _ours(studies, "site")
    pd.testing.assert_frame_equal(before, studies)


def test_text_in_continuous_column_names_rows(studies):
    bad = studies.copy()
    bad["n_slices"] = bad["n_slices"].astype(object)
    bad.loc[7, "n_slices"] = "many"
    with pytest.raises(SchemaError, match=r"studies\.n_slices: expected .*row 7 \('many'\)"):
        table1(bad, columns=["n_slices"])


def test_schema_violation_names_column(studies):
    bad = studies.assign(age_years=studies.age_years.where(studies.index != 4, -3.0))
    with pytest.raises(SchemaError, match=r"studies\.age_years: expected a number >= 0; 1 row, first: row 4"):
        table1(bad, columns=["age_years"])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"by": "hospital"}, r"table1: by columns \['hospital'\] are not in studies"),
        ({"columns": ["weight"]}, r"columns \['weight'\] are not in studies"),
        ({"by": "site", "columns": ["site", "age_years"]}, "also grouping columns"),
        ({"columns": ["age_years"], "nonnormal": ["sex"]}, "nonnormal names"),
    ],
)
def test_bad_options(studies, kwargs, message):
    with pytest.raises(HemstatsError, match=message):
        table1(studies, **kwargs)


def test_group_without_values_is_not_tested(studies):
    s = studies.assign(age_years=studies.age_years.where(studies.dataset != "d2"))
    t = table1(s, by="dataset", columns=["age_years"]).table
    row = _row(t, "age_years", "d2")
    assert row.n == 0 and math.isnan(row.estimate)
    assert math.isnan(row.p_value) and row.test.startswith("not tested")


def test_all_missing_variables_keep_their_rows(studies):
    s = studies.assign(sex=None, age_years=np.nan)
    result = table1(s, by="dataset", columns=["sex", "age_years"], categorical=["sex"])
    t = result.table
    for variable in ("sex", "age_years"):
        rows = t[t.variable == variable]
        assert len(rows) == 3  # d1, d2, Overall
        assert (rows.n == 0).all() and (rows.missing == rows.group.map({"d1": 90, "d2": 30, "Overall": 120})).all()
        assert rows.estimate.isna().all() and rows.p_value.isna().all()
        assert rows.test.iloc[0].startswith("not tested")
    assert "| sex, n (%) |  | 120 | - | - | - |" in result.to_markdown()


@settings(max_examples=30, deadline=None)
@given(
    data=st.lists(
        st.tuples(
            st.sampled_from(["g1", "g2", "g3"]), st.sampled_from(["a", "b", "c", None]), st.floats(0, 100) | st.none()
        ),
        min_size=4,
        max_size=60,
    )
)
def test_table1_counting_laws(data):
    df = pd.DataFrame(data, columns=["grp", "cat", "x"])
    df = df.assign(
        dataset="d", study_id=[f"S{i}" for i in range(len(df))], patient_id=[f"P{i}" for i in range(len(df))]
    )
    result = table1(df, by="grp", columns=["cat", "x"], categorical=["cat"])
    t = result.table
    cat = t[t.variable == "cat"]
    for group, block in cat.groupby("group"):
        # level counts add up to the non-missing n; n + missing = the group size
        size = len(df) if group == "Overall" else int((df.grp == group).sum())
        if block.n.iloc[0] > 0:
            assert block["count"].sum() == block.n.iloc[0]
            assert ((block.ci_low <= block.estimate + 1e-12) & (block.estimate <= block.ci_high + 1e-12)).all()
        assert block.n.iloc[0] + block.missing.iloc[0] == size
    # group counts of each level add up to the overall count (no missing group values here)
    by_level = cat[cat.group != "Overall"].groupby("category")["count"].sum()
    overall = cat[cat.group == "Overall"].set_index("category")["count"]
    pd.testing.assert_series_equal(by_level.sort_index(), overall.sort_index(), check_names=False)
    sizes = t[(t.variable == "n") & (t.group != "Overall")].n.sum()
    assert sizes == len(df)


# -- issue 11 ----------------------------------------------------------------------------------------
def test_student_t_option_matches_r(studies, ref):
    # R: t.test(age$d1, age$d2, var.equal = TRUE)$p.value (R tableone's choice; Welch stays the default)
    student = table1(studies, by="dataset", columns=["age_years"], t_test="student").table
    row = _row(student, "age_years", "Overall")
    assert row["test"] == "Student t-test"
    assert row["p_value"] == pytest.approx(ref["student_age_by_dataset"]["p_value"], abs=TOL)
    welch = _row(table1(studies, by="dataset", columns=["age_years"]).table, "age_years", "Overall")
    assert welch["test"] == "Welch t-test"
    assert welch["p_value"] == pytest.approx(ref["by_dataset"]["variables"]["age_years"]["p_value"], abs=TOL)
    assert welch["p_value"] != pytest.approx(row["p_value"], abs=1e-4)
    # three groups: one-way ANOVA whichever t test is asked for
    site = table1(studies, by="site", columns=["age_years"], t_test="student").table
    assert _row(site, "age_years", "Overall")["test"] == "One-way ANOVA"


def test_missing_row_per_variable_and_finding():
    from hemstats.datasets import demo

    cohort = demo.load(n_studies=60)
    labels = cohort.labels
    # 5 studies lack their consensus sdh label: a gap, never a 0
    gone = cohort.studies.study_id.iloc[:5].tolist()
    drop = (
        (labels.finding == "sdh")
        & (labels.rater == "consensus")
        & (labels.level == "study")
        & labels.study_id.isin(gone)
    )
    result = table1(cohort.studies, by="site", labels=labels[~drop], columns=["sex", "sdh", "iph"])
    f = result.formatted()
    sdh_rows = f.index[f.variable.str.startswith("sdh")][0]
    block = f.iloc[sdh_rows : sdh_rows + 3]
    assert block.category.tolist() == ["0", "1", "missing"]
    missing_row = block.iloc[-1]
    sites = cohort.studies.set_index("study_id").loc[gone, "site"].astype(str).value_counts()
    for g in result.groups:
        assert missing_row[g] == str(int(sites.get(g, 0)))
    assert missing_row["Overall"] == "5"
    # iph has no gap: no missing row
    iph = f.index[f.variable.str.startswith("iph")][0]
    assert "missing" not in f.category.iloc[iph:].tolist()
    assert "| missing |" in result.to_markdown()


def test_cohort_is_accepted():
    from hemstats.datasets import demo

    cohort = demo.load(n_studies=60)
    a = table1(cohort, by="site", columns=["age_years", "any"])
    b = table1(cohort.studies, by="site", labels=cohort.labels, columns=["age_years", "any"])
    pd.testing.assert_frame_equal(a.table, b.table)
    pd.testing.assert_frame_equal(a.long, b.long)


def test_long_table_holds_the_same_numbers(studies):
    result = _ours(studies, "dataset")
    long, t = result.long, result.table
    assert long.columns.tolist()[:8] == ["dataset", "level", "finding", "subgroup", "subgroup_value", "variable",
                                         "category", "metric"]  # fmt: skip
    # one dataset per group: the dataset key is filled, the Overall rows (both datasets) have none
    assert set(long.loc[long.subgroup_value == "d1", "dataset"]) == {"d1"}
    overall = long[long.subgroup.isna()]
    assert overall.dataset.isna().all() and overall.subgroup_value.isna().all()
    age = long.query("variable == 'age_years' and subgroup_value == 'd1'").set_index("metric")
    row = _row(t, "age_years", "d1")
    assert age.index.tolist() == ["mean", "sd", "q1", "q3"]
    assert (age.loc["mean", "estimate"], age.loc["sd", "estimate"]) == (row.estimate, row.sd)
    sex = long.query("variable == 'sex' and category == 'F' and subgroup_value == 'd2'").iloc[0]
    cell = _row(t, "sex", "d2", "F")
    assert (sex.metric, sex.method, sex.n_positive, sex.n) == ("proportion", "wilson", cell["count"], cell.n)
    assert (sex.ci_low, sex.ci_high, sex.p_value) == (cell.ci_low, cell.ci_high, cell.p_value)
    slices = long.query("variable == 'n_slices'").metric.unique().tolist()
    assert slices == ["median", "sd", "q1", "q3"]


def test_bad_t_test_option(studies):
    with pytest.raises(HemstatsError, match=r"t_test must be 'welch' or 'student', got 'pooled'"):
        table1(studies, by="dataset", t_test="pooled")


# -- issue 13: display options (no number changes) -------------------------------------------------
def test_formatted_binary_findings_as_one_present_row():
    from hemstats.datasets import demo

    cohort = demo.load(n_studies=80)
    result = table1(cohort, by="site", columns=["sex", "sdh", "iph"])
    plain = result.formatted()
    short = result.formatted(binary=True, names={"sdh": "Subdural (SDH)"})
    sdh = short[short.variable == "Subdural (SDH), n (%)"]
    assert sdh.category.tolist() == ["present"]
    one = plain[(plain.category == "1")]
    # the present row is the '1' row of the plain table, cell for cell
    cells = [*result.groups, "Overall"]
    assert sdh.iloc[0][cells].tolist() == one.iloc[0][cells].tolist()
    # the test, p value and SMD move to the one row shown
    first = plain.index[plain.variable == "sdh, n (%)"][0]
    assert (
        sdh.iloc[0][["P-Value", "Test", "SMD", "Missing"]].tolist()
        == plain.loc[first, ["P-Value", "Test", "SMD", "Missing"]].tolist()
    )
    # sex (F/M) keeps both levels; the 0 rows are gone
    assert (short.category == "0").sum() == 0 and (plain.category == "0").sum() == 2
    assert len(short[short.variable.str.startswith("sex")]) == 1 and "F" in short.category.tolist()
    assert result.table.equals(table1(cohort, by="site", columns=["sex", "sdh", "iph"]).table)  # numbers untouched


def test_formatted_smd_digits():
    from hemstats.datasets import demo

    result = table1(demo.load(n_studies=80), by="any", columns=["age_years"])
    smd = result.table.query("variable == 'age_years' and group == 'Overall'").smd.iloc[0]
    assert result.formatted(smd_digits=2).SMD.iloc[1] == f"{smd:.2f}"
    assert result.formatted().SMD.iloc[1] == f"{smd:.3f}"
