"""The `hemstats` command line (click's CliRunner; the real report build is in tests/report)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import hemstats
from hemstats.cli import main
from hemstats.cohort import Cohort
from hemstats.errors import HemstatsError

BAD_MANIFEST = "version: 1\ndatasets:\n  - name: x\n    adaptor: demo\n  - name: y\n    adapter: nope\n"


@pytest.fixture()
def runner():
    return CliRunner()


def test_version(runner):
    result = runner.invoke(main, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"hemstats {hemstats.__version__}"


@pytest.mark.parametrize("args", [[], ["validate"], ["report"], ["demo"], ["adapters"]])
def test_help_on_every_command(runner, args):
    result = runner.invoke(main, [*args, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage: " in result.output


def test_validate_ok_on_the_builtin_manifest(runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no ./data_manifest.yaml: the built-in one
    result = runner.invoke(main, ["validate"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == ["OK built-in manifest: 1 dataset enabled of 1 (demo)"]


def test_validate_lists_every_problem_and_exits_1(runner, tmp_path):
    bad = tmp_path / "m.yaml"
    bad.write_text(BAD_MANIFEST)
    result = runner.invoke(main, ["validate", str(bad)])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 3
    assert "key 'adaptor': unknown key; did you mean 'adapter'?" in lines[0]
    assert "unknown adapter 'nope'" in lines[2]
    assert "3 problems" in result.stderr
    assert "Traceback" not in result.output


def test_validate_a_missing_manifest_is_a_problem(runner, tmp_path):
    result = runner.invoke(main, ["validate", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 1
    assert "not found" in result.stdout


def test_the_manifest_in_the_current_directory_is_the_default(runner, tmp_path, monkeypatch):
    (tmp_path / "data_manifest.yaml").write_text(BAD_MANIFEST)
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(main, ["validate"])
    assert result.exit_code == 1
    assert "data_manifest.yaml: 3 problems" in result.stderr


def test_report_prints_index_html_last(runner, tmp_path, monkeypatch):
    calls: dict[str, object] = {}

    def fake_build(manifest, *, out, progress, command):
        calls.update(manifest=manifest, out=out, progress=progress, command=command)
        index = Path(out) / "html" / "index.html"
        print("building...")
        return index

    monkeypatch.setattr("hemstats.report.build_report", fake_build)
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(main, ["report", "--out", "site", "--no-progress"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == str(Path("site") / "html" / "index.html")
    assert calls["manifest"] is None and calls["progress"] is False
    assert calls["command"] == "hemstats report --out site"


def test_report_bad_manifest_exits_1_with_its_problems(runner, tmp_path):
    bad = tmp_path / "m.yaml"
    bad.write_text(BAD_MANIFEST)
    result = runner.invoke(main, ["report", str(bad), "--out", str(tmp_path / "out"), "--no-progress"])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: invalid manifest m.yaml: 3 problems: ")
    assert len(result.stderr.splitlines()) == 1  # one line, every problem on it
    assert "unknown adapter 'nope'" in result.stderr and str(tmp_path) not in result.stderr
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_hemstats_errors_print_one_clean_message(runner, monkeypatch):
    def broken(*args, **kwargs):
        raise HemstatsError("something precise went wrong")

    monkeypatch.setattr("hemstats.report.build_report", broken)
    result = runner.invoke(main, ["report", "--no-progress"])
    assert result.exit_code == 1
    assert result.stderr == "error: something precise went wrong\n"


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_demo_writes_the_tables(runner, tmp_path, fmt):
    out = tmp_path / "demo"
    result = runner.invoke(main, ["demo", "--out", str(out), "--seed", "3", "--n-studies", "25", "--format", fmt])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == str(out)
    assert (out / f"studies.{fmt}").is_file() and (out / "cohort.json").is_file()
    cohort = Cohort.from_dir(out)
    assert len(cohort.studies) == 25
    from hemstats.datasets import demo

    assert cohort.equals(demo.load(n_studies=25, seed=3))


@pytest.mark.parametrize(
    "args",
    [["demo"], ["demo", "--out", "x", "--format", "xlsx"], ["demo", "--out", "x", "--n-studies", "0"], ["nope"]],
)
def test_usage_errors_exit_2(runner, args):
    result = runner.invoke(main, args)
    assert result.exit_code == 2
    assert "Usage:" in result.output or "Error:" in result.output


def test_adapters_lists_every_adapter_and_every_option(runner):
    import inspect

    from hemstats.datasets import ADAPTERS, get_adapter

    result = runner.invoke(main, ["adapters"])
    assert result.exit_code == 0, result.output
    blocks = result.stdout.strip().split("\n\n")
    assert [b.split(":", 1)[0] for b in blocks] == list(ADAPTERS)
    for block, adapter in zip(blocks, ADAPTERS):
        params = list(inspect.signature(get_adapter(adapter)).parameters.values())[1:]
        options = [p.name for p in params if p.name != "name"]
        listed = [line.split()[0] for line in block.splitlines()[1::2]]  # option lines, then help lines
        assert listed == options, adapter


def test_adapters_shows_type_default_and_help(runner):
    result = runner.invoke(main, ["adapters", "cq500", "physionet_ct_ich"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("cq500: CQ500")
    assert "  predictions_file  text or null; default prediction_probabilities.csv" in lines
    assert lines[lines.index("  model             text; default qure.ai") + 1].strip() == (
        "Value of the model column of predictions."
    )
    assert any("blank_flags" in line and "one of 'missing', 'absent'; default missing" in line for line in lines)
    assert "rsna_ich" not in result.stdout


def test_adapters_markdown_is_a_table_per_adapter(runner):
    result = runner.invoke(main, ["adapters", "demo", "--markdown"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[2:4] == ["| option | type | default | help |", "|---|---|---|---|"]
    assert "| `n_studies` | an integer | `1200` | Number of imaging studies. |" in lines
    assert all(line.count("|") == 5 for line in lines[2:])


def test_adapters_unknown_name_is_a_usage_error(runner):
    result = runner.invoke(main, ["adapters", "cq5000"])
    assert result.exit_code == 2
    assert "unknown adapter 'cq5000'" in result.output and "cq500" in result.output
