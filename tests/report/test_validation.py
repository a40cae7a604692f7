"""hemstats.report.validation: the shipped coverage tables are what the seeded functions compute."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pandas as pd
import pytest

import hemstats
import hemstats.stats
from hemstats.errors import HemstatsError
from hemstats.report import validation as V
from hemstats.report.validation.__main__ import main
from hemstats.report.validation.coverage import jsonable

REPO = Path(__file__).resolve().parents[2]
GRID_TABLES = [name for name, spec in V.SPECS.items() if spec.grid]


def test_every_table_and_metadata_ships():
    assert V.COVERAGE_TABLES == ("proportion_coverage", "kappa_coverage", "auc_ci_coverage", "clustered_auc_coverage",
                                 "slice_prevalence_coverage", "slice_agreement_coverage", "operating_point_coverage",
                                 "heterogeneity_type1_error")
    for name in V.COVERAGE_TABLES:
        assert (V.DATA_DIR / f"{name}.csv").is_file(), name
    assert (V.DATA_DIR / "metadata.json").is_file()


def test_metadata_records_the_shipped_parameters_and_seed():
    meta = json.loads((V.DATA_DIR / "metadata.json").read_text())["tables"]
    assert list(meta) == list(V.COVERAGE_TABLES)
    for name, spec in V.SPECS.items():
        m = meta[name]
        assert m["function"] == f"hemstats.stats.{spec.function}"
        assert m["parameters"] == json.loads(json.dumps(jsonable(spec.parameters))), name
        assert m["seed"] == V.SEED and m["stream"] == V.stream_seed(name)
        assert m["rows"] == len(V.coverage_table(name))
        assert re.fullmatch(r"\d+\.\d+\.\d+\S*", m["hemstats_version"])
    table = V.coverage_metadata().set_index("table")
    assert table.loc["kappa_coverage", "n_simulations"] == V.SPECS["kappa_coverage"].n_simulations == 1000
    assert table.loc["proportion_coverage", "n_resamples"] is pd.NA


def test_shipped_csvs_match_their_recorded_checksums():
    meta = json.loads((V.DATA_DIR / "metadata.json").read_text())["tables"]
    for name in V.COVERAGE_TABLES:
        digest = hashlib.sha256((V.DATA_DIR / f"{name}.csv").read_bytes()).hexdigest()
        assert digest == meta[name]["sha256"], f"{name}.csv was edited by hand: regenerate it"


#: Recomputed Monte Carlo floats (means of widths, BLAS sums) may differ in their last bits
#: on another machine: compare them to a relative tolerance, never exactly.
RTOL = 1e-9


@pytest.mark.parametrize("name", GRID_TABLES)
def test_first_cell_recomputed_equals_the_shipped_rows(name):
    """Same seed, same simulation sizes, first grid cell only: a few seconds per table."""
    fresh, shipped = V.first_cell(name)
    assert len(fresh) >= 1 and not shipped.isna().all(axis=1).any()
    pd.testing.assert_frame_equal(fresh, shipped, check_exact=False, rtol=RTOL, atol=1e-12, check_dtype=False)


def test_first_cell_comparison_can_fail():
    table = V.coverage_table("proportion_coverage")
    fresh, shipped = V.first_cell("proportion_coverage", table.assign(coverage=table["coverage"] + 1e-6))
    with pytest.raises(AssertionError):
        pd.testing.assert_frame_equal(fresh, shipped, check_exact=False, rtol=RTOL, atol=1e-12, check_dtype=False)
    # a last-bit difference, as another machine's BLAS may give, passes
    fresh, shipped = V.first_cell("proportion_coverage", table.assign(mean_width=table["mean_width"] * (1 + 4e-16)))
    pd.testing.assert_frame_equal(fresh, shipped, check_exact=False, rtol=RTOL, atol=1e-12, check_dtype=False)
    other_seed, shipped = V.first_cell("proportion_coverage", seed=V.SEED + 1)
    assert other_seed["coverage"].iloc[0] != shipped["coverage"].iloc[0]


def test_regenerate_reproduces_the_shipped_proportion_table_byte_for_byte(tmp_path):
    meta = V.regenerate(tmp_path, tables=["proportion_coverage"])
    assert (tmp_path / "proportion_coverage.csv").read_bytes() == (V.DATA_DIR / "proportion_coverage.csv").read_bytes()
    written = json.loads((tmp_path / "metadata.json").read_text())
    assert list(written["tables"]) == ["proportion_coverage"]
    assert written["tables"]["proportion_coverage"]["hemstats_version"] == hemstats.__version__
    with pytest.raises(HemstatsError, match="no entry for coverage table 'kappa_coverage'"):
        V.coverage_metadata(tmp_path)
    assert meta["table"].tolist() == ["proportion_coverage"] and meta["seed"].tolist() == [V.SEED]


def test_command_line_writes_one_table(tmp_path, capsys):
    assert main([str(tmp_path), "--table", "proportion_coverage"]) == 0
    assert "proportion_coverage.csv: 36 rows" in capsys.readouterr().err
    assert V.coverage_table("proportion_coverage", data_dir=tmp_path).equals(V.coverage_table("proportion_coverage"))


def test_errors_name_the_problem(tmp_path):
    with pytest.raises(HemstatsError, match="no coverage table 'nope'"):
        V.coverage_table("nope")
    with pytest.raises(HemstatsError, match="coverage table missing"):
        V.coverage_table("kappa_coverage", data_dir=tmp_path)
    with pytest.raises(HemstatsError, match="coverage metadata missing"):
        V.coverage_metadata(tmp_path)
    with pytest.raises(HemstatsError, match="single scenario"):
        V.first_cell("clustered_auc_coverage")


def test_reference_checks_point_at_real_scripts_tests_and_functions():
    checks = V.reference_checks()
    assert checks.columns.tolist() == ["area", "hemstats", "reference", "tolerance", "script", "test"]
    public = set(hemstats.stats.__all__)
    for row in checks.itertuples(index=False):
        names = [n.strip() for n in re.sub(r"\(.*?\)", "", row.hemstats).split(",")]
        assert names and set(names) <= public, row.hemstats
        assert (REPO / row.test).is_file(), row.test
        if row.script.startswith("tests/"):
            script = REPO / row.script
            assert script.is_file(), row.script
            assert row.test.rsplit("/", 1)[1] in script.read_text() or script.with_suffix(".json").is_file()
        # the test really compares against the reference it names
        source = (REPO / row.test).read_text()
        assert any(word in source for word in names), (row.test, names)


def test_shipped_clustered_defaults_keep_their_nominal_level():
    """The Methods chapter's slice-level tables: every default (clustered) row covers 93-97 %
    (type-I error 3-7 %), and ignoring the clustering does not."""
    from hemstats.report.sections.methods import coverage

    prev = coverage("slice_prevalence_coverage")
    assert prev.loc[prev.method == "cluster-logit", "coverage"].between(0.93, 0.97).all()
    assert (prev.loc[prev.method == "wilson-independent-rows", "coverage"] < 0.8).all()
    agree = coverage("slice_agreement_coverage")
    assert agree.loc[agree.method != "independent-rows", "coverage"].between(0.93, 0.97).all()
    assert (agree.loc[agree.method == "independent-rows", "coverage"] < 0.85).all()
    op = coverage("operating_point_coverage").set_index(["metric", "method"])["coverage"]
    for metric in ("ppv", "npv"):
        assert 0.93 <= op[(metric, "bootstrap-percentile")] <= 0.97
    for metric in ("sensitivity", "specificity"):
        assert 0.93 <= op[(metric, "stratified-bootstrap-percentile")] <= 0.97
    het = coverage("heterogeneity_type1_error")
    clustered = het[~het.method.str.contains("independent")]
    assert clustered.rejection_rate.between(0.03, 0.07).all() and len(clustered) == 2
