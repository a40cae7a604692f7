"""The report context chapters read: hemstats.report.context.current()."""

from __future__ import annotations

import json

import pytest

from hemstats.errors import ReportError
from hemstats.report import ENV_VAR, current
from hemstats.report.context import ReportContext


def _write(tmp_path, **changes):
    data = ReportContext.example(tmp_path).to_dict()
    data.update(changes)
    file = tmp_path / "context.json"
    file.write_text(json.dumps(data))
    return file


def test_current_reads_the_file_named_by_the_environment(tmp_path, monkeypatch):
    file = _write(tmp_path, seed=7, confidence_level=0.9, n_resamples=99, synthetic=["demo"])
    monkeypatch.setenv(ENV_VAR, str(file))
    ctx = current()
    assert (ctx.seed, ctx.confidence_level, ctx.n_resamples) == (7, 0.9, 99)
    assert ctx.tables_dir == tmp_path / "html" / "tables"
    assert ctx.synthetic == ("demo",)
    assert ctx.manifest_path is None and ctx.manifest is None


def test_current_outside_a_build_says_how_to_get_one(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    with pytest.raises(ReportError, match=f"{ENV_VAR} is not set.*hemstats report"):
        current()


def test_current_names_a_missing_or_broken_file(tmp_path):
    with pytest.raises(ReportError, match="report context not found"):
        current(tmp_path / "nope.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ReportError, match="cannot read the report context"):
        current(bad)
    with pytest.raises(ReportError, match="format_version 99"):
        current(_write(tmp_path, format_version=99))
    data = ReportContext.example(tmp_path).to_dict()
    del data["seed"]
    (tmp_path / "c.json").write_text(json.dumps(data))
    with pytest.raises(ReportError, match="no key 'seed'"):
        current(tmp_path / "c.json")


def test_rng_streams_are_seeded_and_independent(tmp_path):
    ctx = current(_write(tmp_path, seed=3))
    a1 = ctx.rng("prevalence/by_dataset").integers(0, 10**9, 5)
    a2 = ctx.rng("prevalence/by_dataset").integers(0, 10**9, 5)
    b = ctx.rng("prevalence/by_subgroup").integers(0, 10**9, 5)
    assert a1.tolist() == a2.tolist()
    assert a1.tolist() != b.tolist()
    other_seed = current(_write(tmp_path, seed=4)).rng("prevalence/by_dataset").integers(0, 10**9, 5)
    assert other_seed.tolist() != a1.tolist()


def test_cohort_is_read_from_the_cohort_dir_once(tmp_path):
    from hemstats.datasets import demo

    cohort = demo.load(n_studies=30, seed=1)
    cohort.to_dir(tmp_path / "cohort")
    ctx = current(_write(tmp_path))
    assert ctx.cohort.equals(cohort)
    assert ctx.cohort is ctx.cohort


def test_rng_is_the_stream_section_functions_use(tmp_path):
    from hemstats.report.sections import Settings, stream

    ctx = current(_write(tmp_path, seed=3))
    settings = Settings(cohort=None, seed=3)  # the streams need no cohort
    for name in ("performance/auc", "overview/counts"):
        assert ctx.rng(name).random() == stream(3, name).random() == settings.rng(name).random()


def test_the_schema_is_the_dataclass_round_trip(tmp_path):
    ctx = ReportContext.example(tmp_path, datasets=("a", "b"), fingerprints={"a": {"source": None, "tables": "ff"}})
    again = ReportContext.from_json(ctx.to_json(), file=tmp_path / "context.json")
    assert again.to_dict() == ctx.to_dict()
    assert (again.datasets, again.out, again.file) == (("a", "b"), tmp_path, tmp_path / "context.json")
    stored = {f.name for f in ReportContext.stored_fields()}
    assert set(ctx.to_dict()) == stored | {"format_version"}
    assert "file" not in stored


def test_a_value_of_the_wrong_type_names_its_key(tmp_path):
    with pytest.raises(ReportError, match="key 'seed'.*expected int"):
        current(_write(tmp_path, seed=[1]))
    with pytest.raises(ReportError, match="key 'out'.*path"):
        current(_write(tmp_path, out=3))
