"""Loading a manifest into a Cohort (hemstats.loading.load) and validating it in one run."""

from __future__ import annotations

import importlib.util
import os
import sys
import textwrap
import types
from pathlib import Path
from types import MappingProxyType

import pandas as pd
import pytest

import hemstats.datasets
from hemstats.checksums import sha256_file
from hemstats.cohort import Cohort
from hemstats.errors import ChecksumError, DataFormatError, HemstatsError, ManifestError
from hemstats.loading import load, report_problems, validate
from hemstats.manifest import load_manifest

REPO = Path(__file__).resolve().parents[1]
HAS_DEMO = importlib.util.find_spec("hemstats.datasets.demo") is not None
needs_demo = pytest.mark.skipif(
    not HAS_DEMO, reason="hemstats.datasets.demo (the demo adapter) is not written yet; the shipped manifests use it"
)
FAKE_MODULE = "hemstats_tests_fake_adapter"


# ------------------------------------------------------------------------------------------------
# A fake adapter, registered for one test at a time (nothing global)
# ------------------------------------------------------------------------------------------------
def _fake_load(root, *, name="fake", n_rows=2, label_value=1, extra=None):
    """Reads ``root/studies.txt`` (one study id a line); options shape the labels."""
    file = Path(root) / "studies.txt"
    if not file.is_file():
        raise DataFormatError(f"{file}: not found; expected one study id per line")
    ids = file.read_text().split()
    if "BAD" in ids:
        raise DataFormatError(f"{file}, row {ids.index('BAD') + 1}: 'BAD' is not a study id")
    if extra is not None:
        extra.append("mutated by the adapter")  # must not reach the manifest
    studies = pd.DataFrame({"dataset": name, "study_id": ids[:n_rows], "patient_id": ids[:n_rows]})
    labels = studies[["dataset", "study_id"]].assign(level="study", finding="any", rater="consensus", value=label_value)
    info = {name: {"licence": "from the adapter", "n_files": len(ids), "root": str(root)}}
    return Cohort(studies, labels=labels, info=info)


def _wrong_name_load(root, *, name="x"):
    studies = pd.DataFrame({"dataset": ["someone_else"], "study_id": ["s1"], "patient_id": ["p1"]})
    return Cohort(studies)


@pytest.fixture()
def fake_adapters(monkeypatch):
    module = types.ModuleType(FAKE_MODULE)
    module.load = _fake_load
    wrong = types.ModuleType(FAKE_MODULE + "_wrong")
    wrong.load = _wrong_name_load
    monkeypatch.setitem(sys.modules, FAKE_MODULE, module)
    monkeypatch.setitem(sys.modules, FAKE_MODULE + "_wrong", wrong)
    adapters = dict(hemstats.datasets.ADAPTERS)
    adapters.update(
        fake=FAKE_MODULE,
        wrong_name=FAKE_MODULE + "_wrong",
        ghost="hemstats_tests_no_such_module",  # a known name whose module does not exist (yet)
    )
    monkeypatch.setattr(hemstats.datasets, "ADAPTERS", MappingProxyType(adapters))
    return adapters


def write(folder: Path, text: str, name: str = "manifest.yaml") -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def dataset_folder(root: Path, ids: str = "s1 s2 s3") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "studies.txt").write_text(ids.replace(" ", "\n") + "\n")
    return root


# ------------------------------------------------------------------------------------------------
# The shipped manifests
# ------------------------------------------------------------------------------------------------
@needs_demo
def test_builtin_manifest_loads_and_validates():
    assert validate(progress=False) == []
    cohort = load(progress=False)
    assert cohort.datasets == ("demo",)
    assert len(cohort.studies) == 1200
    info = cohort.info["demo"]
    assert {"adapter", "licence", "citation", "source", "description", "fingerprint"} <= set(info)
    assert info["adapter"] == "demo" and len(info["fingerprint"]) == 64


@needs_demo
def test_repo_manifest_validates_and_is_not_modified():
    path = REPO / "data_manifest.yaml"
    before, mtime = path.read_bytes(), path.stat().st_mtime_ns
    assert validate(path, progress=False) == []
    cohort = load(path, progress=False)
    assert cohort.datasets == ("demo",)
    assert path.read_bytes() == before and path.stat().st_mtime_ns == mtime


@needs_demo
def test_demo_option_typo_is_located(tmp_path):
    path = write(tmp_path, "version: 1\ndatasets:\n  - {name: demo, adapter: demo, options: {n_studis: 10}}\n")
    (problem,) = validate(path, progress=False)
    assert problem.where == "dataset 'demo' (datasets[0]), key 'options.n_studis'"
    with pytest.raises(ManifestError, match="n_studis"):
        load(path, progress=False)


# ------------------------------------------------------------------------------------------------
# load
# ------------------------------------------------------------------------------------------------
def test_load_calls_the_adapter_with_resolved_path_name_and_options(tmp_path, fake_adapters, monkeypatch):
    dataset_folder(tmp_path / "data" / "one")
    dataset_folder(tmp_path / "data" / "two", "t1 t2 t3 t4")
    path = write(
        tmp_path,
        """
        version: 1
        datasets:
          - name: one
            adapter: fake
            path: data/one
            options: {n_rows: 3}
            citation: Cite one
          - name: two
            adapter: fake
            path: data/two
            options: {label_value: 0}
            licence: CC BY 4.0
          - name: unused
            adapter: ghost
            enabled: false
        """,
    )
    monkeypatch.chdir(tmp_path / "data")  # paths resolve against the manifest's folder, not here
    cohort = load(path, progress=False)
    assert cohort.datasets == ("one", "two")
    assert cohort.studies.groupby("dataset", observed=True).size().to_dict() == {"one": 3, "two": 2}
    assert cohort.labels.query("dataset == 'two'")["value"].eq(0).all()
    one, two = cohort.info["one"], cohort.info["two"]
    assert one["root"] == str(tmp_path / "data" / "one")
    assert one["n_files"] == 3  # the adapter's own info is kept
    assert one["citation"] == "Cite one" and one["adapter"] == "fake"
    assert one["licence"] == "from the adapter"  # the manifest gives none: the adapter's stays
    assert two["licence"] == "CC BY 4.0"  # the manifest's wins
    assert one["fingerprint"] != two["fingerprint"]


def test_load_accepts_a_manifest_object(tmp_path, fake_adapters):
    dataset_folder(tmp_path / "d")
    manifest = load_manifest(write(tmp_path, "version: 1\ndatasets:\n  - {name: d, adapter: fake, path: d}\n"))
    assert load(manifest, progress=False).datasets == ("d",)


def test_adapter_errors_are_reraised_unchanged(tmp_path, fake_adapters):
    dataset_folder(tmp_path / "d", "s1 BAD")
    path = write(tmp_path, "version: 1\ndatasets:\n  - {name: d, adapter: fake, path: d}\n")
    with pytest.raises(DataFormatError) as info:
        load(path, progress=False)
    assert str(info.value) == f"{tmp_path / 'd' / 'studies.txt'}, row 2: 'BAD' is not a study id"


def test_load_raises_manifest_error_with_every_problem(tmp_path, fake_adapters):
    path = write(
        tmp_path, "version: 1\ndatasets:\n  - {name: a, adapter: fake, path: missing}\n  - {name: b, adapter: nope}\n"
    )
    with pytest.raises(ManifestError) as info:
        load(path, progress=False)
    assert [p.where for p in info.value.problems] == [
        "dataset 'a' (datasets[0]), key 'path'",
        "dataset 'b' (datasets[1]), key 'adapter'",
    ]


def test_enabled_adapter_not_implemented_is_a_problem_disabled_is_fine(tmp_path, fake_adapters):
    dataset_folder(tmp_path / "d")
    enabled = write(tmp_path, "version: 1\ndatasets:\n  - {name: g, adapter: ghost, path: d}\n", name="on.yaml")
    with pytest.raises(ManifestError) as info:
        load(enabled, progress=False)
    (problem,) = info.value.problems
    assert problem.where == "dataset 'g' (datasets[0]), key 'adapter'"
    assert "not implemented" in problem.message
    disabled = write(
        tmp_path,
        "version: 1\ndatasets:\n  - {name: g, adapter: ghost, enabled: false}\n  - {name: d, adapter: fake, path: d}\n",
        name="off.yaml",
    )
    assert validate(disabled, progress=False) == []
    assert load(disabled, progress=False).datasets == ("d",)


def test_unknown_option_is_located_with_a_suggestion(tmp_path, fake_adapters):
    dataset_folder(tmp_path / "d")
    path = write(tmp_path, "version: 1\ndatasets:\n  - {name: d, adapter: fake, path: d, options: {nrows: 1}}\n")
    with pytest.raises(ManifestError) as info:
        load(path, progress=False)
    (problem,) = info.value.problems
    assert problem.where == "dataset 'd' (datasets[0]), key 'options.nrows'"
    assert "did you mean 'n_rows'" in problem.message


def test_no_enabled_dataset(tmp_path, fake_adapters):
    path = write(tmp_path, "version: 1\ndatasets:\n  - {name: g, adapter: ghost, enabled: false}\n")
    with pytest.raises(ManifestError, match="no dataset is enabled"):
        load(path, progress=False)
    assert [p.message.split(";")[0] for p in validate(path, progress=False)] == ["no dataset is enabled"]


def test_adapter_returning_another_dataset_is_an_error(tmp_path, fake_adapters):
    (tmp_path / "d").mkdir()
    path = write(tmp_path, "version: 1\ndatasets:\n  - {name: mine, adapter: wrong_name, path: d}\n")
    with pytest.raises(HemstatsError, match="someone_else"):
        load(path, progress=False)


def test_checksums_are_verified_before_loading(tmp_path, fake_adapters):
    folder = dataset_folder(tmp_path / "d")
    good = sha256_file(folder / "studies.txt")
    path = write(
        tmp_path,
        f"""
        version: 1
        datasets:
          - name: d
            adapter: fake
            path: d
            checksums: {{files: {{studies.txt: "{good}"}}}}
        """,
    )
    assert load(path, progress=False).datasets == ("d",)
    (folder / "studies.txt").write_text("s1\ns2\nchanged\n")
    with pytest.raises(ChecksumError) as info:
        load(path, progress=False)
    (problem,) = info.value.problems
    assert problem.where == "dataset 'd' (datasets[0]), file 'studies.txt'"
    assert good in problem.message and sha256_file(folder / "studies.txt") in problem.message
    assert f"invalid manifest {path.name}:" in str(info.value) and str(tmp_path) not in str(info.value)
    assert load(path, verify=False, progress=False).datasets == ("d",)


def test_loading_modifies_neither_the_file_nor_the_manifest(tmp_path, fake_adapters):
    dataset_folder(tmp_path / "d")
    path = write(tmp_path, "version: 1\ndatasets:\n  - {name: d, adapter: fake, path: d, options: {extra: [keep]}}\n")
    before, mtime = path.read_bytes(), path.stat().st_mtime_ns
    manifest = load_manifest(path)
    snapshot = manifest.to_dict()
    load(manifest, progress=False)
    load(path, progress=False)
    validate(path, progress=False)
    assert manifest.to_dict() == snapshot
    assert manifest.datasets[0].options["extra"] == ["keep"]
    assert path.read_bytes() == before and path.stat().st_mtime_ns == mtime


@pytest.mark.shared_data
def test_real_public_files_through_a_manifest(tmp_path, shared_data):
    """Kaggle and CQ500 files from ../shared/data, with their checksums pinned here."""
    for module in ("kaggle_head_ct", "cq500"):
        if importlib.util.find_spec(f"hemstats.datasets.{module}") is None:
            pytest.skip(f"the {module} adapter is not written yet")
    # Pinned on 2026-11-22; the tree digest was cross-checked with coreutils:
    #   (for f in head_ct/*.png; do printf '%s\t%s\t%s\n' "$f" "$(stat -c %s "$f")" \
    #     "$(sha256sum "$f" | cut -d' ' -f1)"; done) | LC_ALL=C sort | sha256sum
    path = write(
        tmp_path,
        f"""
        version: 1
        datasets:
          - name: kaggle
            adapter: kaggle_head_ct
            path: {shared_data / "kaggle_head_ct"}
            checksums:
              tree:
                pattern: "head_ct/*.png"
                sha256: "bc7629ed22a3aea9dc97130fd60dcc7882ae9e157bc71984e1f6785a456a4c41"
          - name: cq500
            adapter: cq500
            path: {shared_data / "cq500"}
            checksums:
              files: {{reads.csv: "99d5f4efaa94e806f7122cd83abe91be44af1ef9501046e5c6acc3a55cb22a48"}}
        """,
    )
    assert validate(path, progress=False) == []
    cohort = load(path, progress=False)
    assert cohort.datasets == ("kaggle", "cq500")
    assert cohort.studies["dataset"].value_counts().to_dict() == {"cq500": 491, "kaggle": 200}
    assert cohort.info["cq500"]["adapter"] == "cq500" and len(cohort.info["kaggle"]["fingerprint"]) == 64


# ------------------------------------------------------------------------------------------------
# validate
# ------------------------------------------------------------------------------------------------
def test_validate_lists_every_problem_in_one_run(tmp_path, fake_adapters):
    dataset_folder(tmp_path / "ok")
    dataset_folder(tmp_path / "corrupt")
    dataset_folder(tmp_path / "broken", "s1 BAD")
    path = write(
        tmp_path,
        f"""
        version: 1
        extra_key: 1
        datasets:
          - {{name: ok, adapter: fake, path: ok}}
          - {{name: typo, adapter: fak, path: ok}}
          - name: corrupt
            adapter: fake
            path: corrupt
            checksums: {{files: {{studies.txt: "{"0" * 64}", gone.txt: "{"1" * 64}"}}}}
          - {{name: broken, adapter: fake, path: broken}}
          - {{name: ghost, adapter: ghost, path: ok}}
        """,
    )
    problems = validate(path, progress=False)
    wheres = [p.where for p in problems]
    assert wheres == [
        "key 'extra_key'",
        "dataset 'typo' (datasets[1]), key 'adapter'",
        "dataset 'corrupt' (datasets[2]), file 'studies.txt'",
        "dataset 'corrupt' (datasets[2]), file 'gone.txt'",
        "dataset 'broken' (datasets[3])",
        "dataset 'ghost' (datasets[4]), key 'adapter'",
    ], [str(p) for p in problems]
    assert "did you mean 'fake'" in problems[1].message
    assert "'BAD' is not a study id" in problems[4].message and "studies.txt" in problems[4].message


@pytest.mark.parametrize(
    "text, where_part",
    [("version: 1\ndatasets: [\n", "line "), ("", "manifest"), ("[1, 2]\n", "manifest")],
    ids=["yaml syntax", "empty", "a list"],
)
def test_validate_never_raises_on_an_unreadable_manifest(tmp_path, text, where_part):
    path = write(tmp_path, text)
    (problem,) = validate(path, progress=False)
    assert where_part in problem.where


def test_validate_missing_file_and_wrong_argument(tmp_path):
    (problem,) = validate(tmp_path / "absent.yaml", progress=False)
    assert "not found" in problem.message
    (problem,) = validate(42, progress=False)  # type: ignore[arg-type]
    assert "expected the path of a manifest file" in problem.message


# ------------------------------------------------------------------------------------------------
# What the report needs, missing labels, raw errors, the salt (issues 10 and 11)
# ------------------------------------------------------------------------------------------------
def _gappy_load(root, *, name="gappy", n_studies=10, n_sdh=5, n_any=10, fail=""):
    """``n_studies`` studies; ``any`` labelled for the first ``n_any``, ``sdh`` for the first ``n_sdh``."""
    if fail == "value":
        raise ValueError(f"cannot convert {Path(root) / 'labels.csv'} column 'x'")
    if fail == "memory":
        raise MemoryError()
    ids = [f"s{i}" for i in range(n_studies)]
    studies = pd.DataFrame({"dataset": name, "study_id": ids, "patient_id": ids})
    rows = [(s, "any", 1) for s in ids[:n_any]] + [(s, "sdh", 0) for s in ids[:n_sdh]]
    labels = pd.DataFrame(rows, columns=["study_id", "finding", "value"]).assign(
        dataset=name, level="study", rater="consensus"
    )
    return Cohort(studies, labels=labels)


@pytest.fixture()
def gappy(fake_adapters, monkeypatch, tmp_path):
    module = types.ModuleType(FAKE_MODULE + "_gappy")
    module.load = _gappy_load
    monkeypatch.setitem(sys.modules, FAKE_MODULE + "_gappy", module)
    adapters = dict(fake_adapters, gappy=FAKE_MODULE + "_gappy")
    monkeypatch.setattr(hemstats.datasets, "ADAPTERS", MappingProxyType(adapters))
    (tmp_path / "g").mkdir()

    def manifest(**options) -> Path:
        text = f"version: 1\ndatasets:\n  - {{name: g, adapter: gappy, path: g, options: {options}}}\n"
        return write(tmp_path, text.replace("'", '"'))

    return manifest


def test_validate_reports_a_dataset_the_report_cannot_use(gappy):
    (problem,) = validate(gappy(n_studies=1, n_sdh=1), progress=False)
    assert problem.where == "dataset 'g' (datasets[0])" and "1 study loaded; expected at least 2" in problem.message
    (problem,) = validate(gappy(n_sdh=0, n_any=0), progress=False)
    assert problem.where == "dataset 'g' (datasets[0])" and "no labels loaded" in problem.message


def test_validate_warns_when_many_studies_lack_a_label(gappy, recwarn):
    from click.testing import CliRunner

    from hemstats.cli import main
    from hemstats.errors import ManifestWarning

    path = gappy(n_sdh=9)  # one study of ten without an sdh label: not more than a tenth
    assert validate(path, progress=False) == [] and not recwarn.list
    path = gappy(n_sdh=5)
    with pytest.warns(ManifestWarning, match=r"dataset 'g' \(datasets\[0\]\): studies without a study-level label "
                                             r".*: 'sdh' 5 of 10 \(50%\); the report shows") as caught:
        assert validate(path, progress=False) == []
    assert len(caught) == 1 and caught[0].filename == "manifest.yaml"  # the manifest, named without its folders
    assert caught[0].lineno == 3  # the line of the dataset's entry
    with pytest.warns(ManifestWarning):
        result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 0, result.output  # a warning, not an error


@pytest.mark.parametrize("fail, message", [("value", "ValueError: cannot convert g/labels.csv"), ("memory", "ran out")])
def test_raw_adapter_errors_become_problems_without_absolute_paths(gappy, tmp_path, fail, message):
    path = gappy(fail=fail)
    (problem,) = validate(path, progress=False)
    assert message in problem.message and str(tmp_path) not in problem.message
    with pytest.raises(HemstatsError, match=message) as info:
        load(path, progress=False)
    assert str(tmp_path) not in str(info.value)


def test_the_salt_lives_beside_the_manifest_whatever_the_working_folder(tmp_path, monkeypatch):
    project = tmp_path / "project"
    (project / "data").mkdir(parents=True)
    (project / "data" / "reads.csv").write_text("Exam,Patient,ICH\nE1,P1,yes\nE2,P2,no\nE3,P1,no\n")
    path = write(
        project,
        """
        version: 1
        datasets:
          - name: g
            adapter: generic
            path: data
            options:
              labels: {file: reads.csv, id_column: Exam, findings: {any: ICH}}
        """,
    )
    cohorts, prints = [], []
    for cwd in (tmp_path / "one", tmp_path / "two"):
        cwd.mkdir()
        monkeypatch.chdir(cwd)
        cohorts.append(load(os.path.relpath(path), progress=False))
        prints.append(cohorts[-1].info["g"]["fingerprint"])
        assert list(cwd.iterdir()) == []  # nothing written where the command runs
    assert cohorts[0].equals(cohorts[1]) and prints[0] == prints[1]
    assert (project / ".hemstats" / "salt").is_file()
    assert not cohorts[0].labels["study_id"].astype(str).isin(["E1", "E2", "E3"]).any()  # hashed


def _scored_load(root, *, name="scored", label_finding="any", rater="consensus"):
    ids = [f"s{i}" for i in range(6)]
    studies = pd.DataFrame({"dataset": name, "study_id": ids, "patient_id": ids})
    labels = pd.DataFrame(
        {"dataset": name, "study_id": ids, "level": "study", "finding": label_finding, "rater": rater, "value": [0, 1] * 3}
    )
    predictions = pd.DataFrame(
        {"dataset": name, "study_id": ids, "level": "study", "finding": "any", "model": "m", "score": [0.1] * 6}
    )
    return Cohort(studies, labels=labels, predictions=predictions)


@pytest.mark.parametrize("options, bad", [({}, False), ({"label_finding": "sdh"}, True), ({"rater": "R1"}, True)])
def test_validate_reports_scores_without_a_consensus_label(fake_adapters, monkeypatch, tmp_path, options, bad):
    module = types.ModuleType(FAKE_MODULE + "_scored")
    module.load = _scored_load
    monkeypatch.setitem(sys.modules, FAKE_MODULE + "_scored", module)
    monkeypatch.setattr(hemstats.datasets, "ADAPTERS", MappingProxyType(dict(fake_adapters, scored=module.__name__)))
    (tmp_path / "s").mkdir()
    text = f"version: 1\ndatasets:\n  - {{name: s, adapter: scored, path: s, options: {options}}}\n"
    problems = validate(write(tmp_path, text.replace("'", '"')), progress=False)
    if not bad:
        assert problems == []
    else:
        (problem,) = problems
        assert problem.where == "dataset 's' (datasets[0])"
        assert "none of the 6 study-level scores of model 'm' for finding 'any' has a consensus label" in problem.message


def test_the_cli_validate_goes_through_the_same_checks(tmp_path):
    from click.testing import CliRunner

    from hemstats.cli import main

    path = write(tmp_path, "version: 1\nreport: {n_resamples: 1}\ndatasets:\n  - {name: d, adapter: demo, options: {n_studies: 1}}\n")
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 1
    assert "key 'report.n_resamples': expected an integer from 200" in result.output
    assert "dataset 'd' (datasets[0]): 1 study loaded; expected at least 2" in result.output


def test_a_broken_adapter_module_is_a_problem_not_a_traceback(fake_adapters, monkeypatch, tmp_path):
    import importlib

    real_import = importlib.import_module

    def broken(name, *args, **kwargs):
        if name == "hemstats_tests_broken":
            raise SyntaxError("invalid syntax (broken.py, line 3)")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(importlib, "import_module", broken)
    monkeypatch.setattr(hemstats.datasets, "ADAPTERS", MappingProxyType(dict(fake_adapters, broken="hemstats_tests_broken")))
    dataset_folder(tmp_path / "b")
    path = write(tmp_path, "version: 1\ndatasets:\n  - {name: b, adapter: broken, path: b}\n")
    (problem,) = validate(path, progress=False)
    assert problem.where == "dataset 'b' (datasets[0]), key 'adapter'"
    assert "cannot be imported (SyntaxError: invalid syntax" in problem.message
    with pytest.raises(ManifestError, match="adapter 'broken' cannot be imported"):
        load(path, progress=False)


def test_report_build_stops_before_its_chapters_on_what_validate_reports(tmp_path, gappy):
    """A one-study dataset loads, but the chapters would fail on it: the build says so first."""
    from hemstats.report import build_report

    with pytest.raises(ManifestError, match=r"dataset 'g' \(datasets\[0\]\): 1 study loaded; expected at least 2"):
        build_report(gappy(n_studies=1, n_sdh=1), out=tmp_path / "site", progress=False)
    assert not (tmp_path / "site" / "html").exists()  # no chapter ran
    assert report_problems(load_manifest(gappy(n_studies=3, n_sdh=3)), load(gappy(n_studies=3, n_sdh=3))) == []
