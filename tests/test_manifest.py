"""The data manifest (hemstats.manifest) and dataset checksums (hemstats.checksums)."""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import os
import textwrap
from pathlib import Path
from types import MappingProxyType

import pytest
import yaml

import hemstats.datasets
from hemstats.checksums import fingerprint, sha256_file, tree_digest, tree_lines, verify
from hemstats.errors import HemstatsError, ManifestError
from hemstats.manifest import DEFAULT_MANIFEST, DatasetEntry, load_manifest, manifest_from_dict, read_manifest

REPO = Path(__file__).resolve().parents[1]
HEX_A = "a" * 64


def write(folder: Path, text: str, name: str = "data_manifest.yaml") -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def problems_of(path: Path) -> list:
    with pytest.raises(ManifestError) as info:
        load_manifest(path)
    assert f"invalid manifest {path.name}:" in str(info.value)  # the header names the file, not the folders
    return list(info.value.problems)


# ------------------------------------------------------------------------------------------------
# The two shipped manifests
# ------------------------------------------------------------------------------------------------
def test_builtin_manifest_enables_only_the_demo():
    manifest = load_manifest()
    assert manifest.path == DEFAULT_MANIFEST
    assert [e.name for e in manifest.enabled] == ["demo"]
    demo = manifest.enabled[0]
    assert demo.adapter == "demo" and demo.path is None
    assert dict(demo.options) == {"n_studies": 1200, "seed": 0}
    assert manifest.report.confidence_level == 0.95


def test_repo_manifest_lists_every_public_dataset_disabled():
    manifest = load_manifest(REPO / "data_manifest.yaml")
    assert [e.name for e in manifest.enabled] == ["demo"]
    assert dict(manifest.enabled[0].options) == {"n_studies": 1200, "seed": 0}
    disabled = {e.adapter: e for e in manifest.datasets if not e.enabled}
    assert set(disabled) == set(hemstats.datasets.ADAPTERS) - {"demo", "generic"}  # generic is not a dataset
    for entry in disabled.values():
        assert entry.path is not None and entry.path.is_absolute()
        assert entry.path.parent.parent == REPO  # data/<name>, relative to the manifest's folder
        assert entry.licence and entry.citation and entry.description
        assert entry.source.startswith("http")
    assert "CC BY-NC-ND 4.0" in disabled["bhsd"].licence
    assert "CC BY-NC-SA 4.0" in disabled["cq500"].licence
    assert "10.3390/data9020030" in disabled["mosmed_ich"].citation
    assert "Copyright RSNA, 2019" in disabled["rsna_ich"].citation
    assert disabled["kaggle_head_ct"].licence.startswith("unknown")
    assert "report" in yaml.safe_load((REPO / "data_manifest.yaml").read_text())
    assert manifest.report.n_resamples >= 1000


# ------------------------------------------------------------------------------------------------
# Every problem in one pass
# ------------------------------------------------------------------------------------------------
def test_three_mistakes_are_reported_together(tmp_path):
    path = write(
        tmp_path,
        """
        version: 1
        datsets: []
        datasets:
          - name: demo
            adapter: demo
            enabled: "yes"
          - name: cq500
            adapter: cq50
            enabled: false
        """,
    )
    problems = problems_of(path)
    text = [str(p) for p in problems]
    assert len(problems) == 3, text
    assert any("key 'datsets'" in t and "did you mean 'datasets'" in t for t in text)
    assert any("dataset 'demo' (datasets[0]), key 'enabled'" in t and "true or false" in t for t in text)
    assert any("dataset 'cq500' (datasets[1]), key 'adapter'" in t and "did you mean 'cq500'" in t for t in text)


CASES = {
    "unknown top-level key": (
        "version: 1\nreprot: {}\ndatasets: []\n",
        "key 'reprot'",
        "did you mean 'report'",
    ),
    "unknown dataset key": (
        "version: 1\ndatasets:\n  - {name: demo, adapter: demo, licence: x, lisence: y}\n",
        "dataset 'demo' (datasets[0]), key 'lisence'",
        "did you mean 'licence'",
    ),
    "unknown report key": (
        "version: 1\nreport: {sead: 1}\ndatasets: []\n",
        "key 'report.sead'",
        "did you mean 'seed'",
    ),
    "wrong type: enabled": (
        "version: 1\ndatasets:\n  - {name: demo, adapter: demo, enabled: 1}\n",
        "dataset 'demo' (datasets[0]), key 'enabled'",
        "expected true or false",
    ),
    "wrong type: options": (
        "version: 1\ndatasets:\n  - {name: demo, adapter: demo, options: [1, 2]}\n",
        "dataset 'demo' (datasets[0]), key 'options'",
        "expected a mapping",
    ),
    "wrong type: name": (
        "version: 1\ndatasets:\n  - {name: 2019, adapter: demo}\n",
        "datasets[0], key 'name'",
        "quote it",
    ),
    "wrong type: licence": (
        "version: 1\ndatasets:\n  - {name: demo, adapter: demo, licence: [a]}\n",
        "dataset 'demo' (datasets[0]), key 'licence'",
        "expected text",
    ),
    "wrong type: report seed": (
        "version: 1\nreport: {seed: -1}\ndatasets: []\n",
        "key 'report.seed'",
        "integer >= 0",
    ),
    "wrong value: confidence level": (
        "version: 1\nreport: {confidence_level: 95}\ndatasets: []\n",
        "key 'report.confidence_level'",
        "between 0 and 1",
    ),
    "dataset not a mapping": (
        "version: 1\ndatasets:\n  - demo\n",
        "datasets[0]",
        "expected a mapping",
    ),
    "datasets not a list": (
        "version: 1\ndatasets: {name: demo}\n",
        "key 'datasets'",
        "expected a list",
    ),
    "missing version": (
        "datasets: []\n",
        "key 'version'",
        "expected version: 1",
    ),
    "missing adapter": (
        "version: 1\ndatasets:\n  - {name: demo}\n",
        "dataset 'demo' (datasets[0]), key 'adapter'",
        "required key is missing",
    ),
    "duplicate names": (
        "version: 1\ndatasets:\n  - {name: demo, adapter: demo}\n  - {name: demo, adapter: demo}\n",
        "dataset 'demo' (datasets[1]), key 'name'",
        "duplicate dataset name; datasets[0]",
    ),
    "unknown adapter": (
        "version: 1\ndatasets:\n  - {name: x, adapter: rsna, enabled: false}\n",
        "dataset 'x' (datasets[0]), key 'adapter'",
        "unknown adapter 'rsna'",
    ),
    "enabled without path": (
        "version: 1\ndatasets:\n  - {name: cq500, adapter: cq500}\n",
        "dataset 'cq500' (datasets[0]), key 'path'",
        "required for an enabled dataset",
    ),
    "enabled path does not exist": (
        "version: 1\ndatasets:\n  - {name: cq500, adapter: cq500, path: nowhere/cq500}\n",
        "dataset 'cq500' (datasets[0]), key 'path'",
        "does not exist",
    ),
    "demo with a path": (
        "version: 1\ndatasets:\n  - {name: demo, adapter: demo, path: somewhere}\n",
        "dataset 'demo' (datasets[0]), key 'path'",
        "takes no path",
    ),
    "option named name": (
        "version: 1\ndatasets:\n  - {name: demo, adapter: demo, options: {name: other}}\n",
        "dataset 'demo' (datasets[0]), key 'options.name'",
        "entry's 'name' key",
    ),
    "bad checksum digest": (
        "version: 1\ndatasets:\n  - {name: c, adapter: cq500, enabled: false, path: c,"
        " checksums: {files: {reads.csv: abc}}}\n",
        "dataset 'c' (datasets[0]), key 'checksums.files', file 'reads.csv'",
        "64 hexadecimal",
    ),
    "checksum path escapes the folder": (
        f"version: 1\ndatasets:\n  - {{name: c, adapter: cq500, enabled: false, path: c,"
        f" checksums: {{files: {{../x.csv: {HEX_A}}}}}}}\n",
        "dataset 'c' (datasets[0]), key 'checksums.files', file '../x.csv'",
        "relative to the dataset folder",
    ),
    "unknown checksum key": (
        f"version: 1\ndatasets:\n  - {{name: c, adapter: cq500, enabled: false, path: c,"
        f" checksums: {{tree: {{patern: '*', sha256: {HEX_A}}}}}}}\n",
        "dataset 'c' (datasets[0]), key 'checksums.tree.patern'",
        "did you mean 'pattern'",
    ),
    "key written twice": (
        "version: 1\ndatasets:\n  - name: demo\n    adapter: demo\n    adapter: demo\n",
        "dataset 'demo' (datasets[0]), key 'adapter'",
        "written twice (lines 4 and 5",
    ),
}


@pytest.mark.parametrize("text, where, message", list(CASES.values()), ids=list(CASES))
def test_each_error_names_the_dataset_and_key(tmp_path, text, where, message):
    problems = problems_of(write(tmp_path, text))
    assert any(p.where == where and message in p.message for p in problems), [str(p) for p in problems]


def test_yaml_syntax_error_names_the_line(tmp_path):
    path = write(tmp_path, "version: 1\ndatasets:\n  - name: demo\n   adapter: [demo\n")
    (problem,) = problems_of(path)
    assert problem.where.startswith(f"{path.name}, line ")
    assert "YAML syntax error" in problem.message
    line = int(problem.where.split("line ")[1].split(",")[0])
    assert 3 <= line <= 5


@pytest.mark.parametrize(
    "text, message",
    [("", "the manifest is empty"), ("- a\n- b\n", "expected a mapping"), ("just text\n", "expected a mapping")],
)
def test_not_a_mapping(tmp_path, text, message):
    (problem,) = problems_of(write(tmp_path, text))
    assert message in problem.message


def test_missing_and_non_utf8_files(tmp_path):
    (problem,) = problems_of(tmp_path / "absent.yaml")
    assert "not found" in problem.message
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes("version: 1\ndatasets: []\n# caf\xe9\n".encode("latin-1"))
    (problem,) = problems_of(bad)
    assert "UTF-8" in problem.message
    (problem,) = problems_of(tmp_path)
    assert "folder" in problem.message


def test_read_manifest_keeps_the_good_entries(tmp_path):
    path = write(
        tmp_path,
        """
        version: 1
        datasets:
          - {name: good, adapter: demo}
          - {name: bad, adapter: nope}
        """,
    )
    manifest, problems, file = read_manifest(path)
    assert file == path
    assert [e.name for e in manifest.datasets] == ["good"]
    assert [p.where for p in problems] == ["dataset 'bad' (datasets[1]), key 'adapter'"]


# ------------------------------------------------------------------------------------------------
# Paths, options, immutability
# ------------------------------------------------------------------------------------------------
def test_relative_paths_resolve_against_the_manifest_folder_not_the_cwd(tmp_path, monkeypatch):
    project = tmp_path / "project"
    (project / "data" / "cq500").mkdir(parents=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    path = write(project, "version: 1\ndatasets:\n  - {name: cq500, adapter: cq500, path: data/cq500}\n")
    monkeypatch.chdir(elsewhere)
    entry = load_manifest(path).datasets[0]
    assert entry.path == project / "data" / "cq500"
    # and the manifest itself may be given relative to the cwd
    monkeypatch.chdir(tmp_path)
    assert load_manifest(Path("project") / path.name).datasets[0].path == project / "data" / "cq500"


def test_home_folder_is_expanded(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "cq500").mkdir()
    path = write(tmp_path / "", "version: 1\ndatasets:\n  - {name: cq500, adapter: cq500, path: ~/cq500}\n")
    assert load_manifest(path).datasets[0].path == tmp_path / "cq500"


def test_disabled_entry_may_have_a_placeholder_path(tmp_path):
    path = write(
        tmp_path, "version: 1\ndatasets:\n  - {name: cq500, adapter: cq500, enabled: false, path: not/there}\n"
    )
    entry = load_manifest(path).datasets[0]
    assert not entry.enabled and entry.path == tmp_path / "not" / "there"
    assert load_manifest(path).enabled == ()


def test_adapters_are_looked_up_at_call_time(tmp_path, monkeypatch):
    path = write(tmp_path, "version: 1\ndatasets:\n  - {name: x, adapter: fake}\n")
    with pytest.raises(ManifestError, match="unknown adapter 'fake'"):
        load_manifest(path)
    monkeypatch.setattr(hemstats.datasets, "ADAPTERS", MappingProxyType({"fake": "fake_module"}))
    with pytest.raises(ManifestError, match="key 'path': required"):
        load_manifest(path)


def test_manifest_is_frozen_and_does_not_modify_its_input():
    options = {"salt": "x", "pseudonymize_ids": ["study_id"]}
    data = {"version": 1, "datasets": [{"name": "g", "adapter": "generic", "enabled": False, "options": options}]}
    before = copy.deepcopy(data)
    manifest = manifest_from_dict(data)
    assert data == before
    entry = manifest.datasets[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        entry.enabled = False  # type: ignore[misc]
    with pytest.raises(TypeError):
        entry.options["salt"] = "y"  # type: ignore[index]
    data["datasets"][0]["options"]["pseudonymize_ids"].append("patient_id")
    assert entry.options["pseudonymize_ids"] == ["study_id"]


def test_to_dict_and_to_yaml_round_trip(tmp_path):
    (tmp_path / "cq").mkdir()
    path = write(
        tmp_path,
        f"""
        version: 1
        report: {{title: T, seed: 7, confidence_level: 0.9, n_resamples: 500}}
        datasets:
          - name: demo
            adapter: demo
            options: {{n_studies: 50, seed: 3}}
            licence: L
          - name: cq
            adapter: cq500
            path: cq
            checksums: {{files: {{reads.csv: "{HEX_A.upper()}"}}, tree: {{pattern: "**/*.dcm", sha256: "{HEX_A}"}}}}
            citation: C
        """,
    )
    manifest = load_manifest(path)
    data = manifest.to_dict()
    assert data["report"] == {"title": "T", "seed": 7, "confidence_level": 0.9, "n_resamples": 500}
    assert data["datasets"][1]["path"] == "cq"  # relative to the manifest: no local folders published
    assert data["datasets"][1]["checksums"]["files"] == {"reads.csv": HEX_A}  # normalised to lower case
    again = load_manifest(write(tmp_path, manifest.to_yaml(), name="copy.yaml"))
    assert again.datasets == manifest.datasets and again.report == manifest.report
    assert manifest_from_dict(data, folder=tmp_path).datasets == manifest.datasets


def test_secret_options_are_redacted_unless_asked():
    options = {"salt": "s3cret", "pseudonymize_ids": []}
    data = {"version": 1, "datasets": [{"name": "d", "adapter": "generic", "enabled": False, "options": options}]}
    manifest = manifest_from_dict(data)
    assert manifest.datasets[0].options["salt"] == "s3cret"  # the adapter gets the real value
    assert manifest.to_dict()["datasets"][0]["options"] == {"salt": "<redacted>", "pseudonymize_ids": []}
    assert "s3cret" not in manifest.to_yaml()
    assert manifest_from_dict(manifest.to_dict(redact=False)).datasets == manifest.datasets


# ------------------------------------------------------------------------------------------------
# Checksums
# ------------------------------------------------------------------------------------------------
@pytest.fixture()
def tree(tmp_path) -> Path:
    root = tmp_path / "dataset"
    (root / "scans" / "s1").mkdir(parents=True)
    (root / "scans" / "s2").mkdir(parents=True)
    (root / "scans" / "s1" / "1.dcm").write_bytes(b"\x00" * 1000)
    (root / "scans" / "s1" / "2.dcm").write_bytes(b"slice two")
    (root / "scans" / "s2" / "1.dcm").write_bytes(b"")
    (root / "scans" / ".hidden.dcm").write_bytes(b"hidden")
    (root / "reads.csv").write_text("name,ICH\nCQ500-CT-1,1\n")
    return root


def independent_tree_digest(root: Path, suffix: str = "") -> str:
    """The documented definition, computed with os.walk and hashlib only."""
    lines = []
    for folder, _dirs, files in os.walk(root):
        for name in files:
            if not name.endswith(suffix):
                continue
            full = os.path.join(folder, name)
            rel = os.path.relpath(full, root).replace(os.sep, "/")
            with open(full, "rb") as fh:
                content = fh.read()
            lines.append(f"{rel}\t{len(content)}\t{hashlib.sha256(content).hexdigest()}\n")
    return hashlib.sha256("".join(sorted(lines)).encode("utf-8")).hexdigest()


def test_sha256_file_streams_in_chunks(tmp_path):
    data = os.urandom(10_000)
    path = tmp_path / "blob.bin"
    path.write_bytes(data)
    assert sha256_file(path, chunk_size=333) == hashlib.sha256(data).hexdigest()
    with pytest.raises(HemstatsError, match="absent.bin"):
        sha256_file(tmp_path / "absent.bin")


def test_tree_digest_matches_its_definition(tree):
    assert tree_digest(tree, progress=False) == independent_tree_digest(tree)
    assert tree_digest(tree, "**/*.dcm", progress=False) == independent_tree_digest(tree, ".dcm")
    assert tree_lines(tree, "*.csv", progress=False)[0].startswith("reads.csv\t22\t")
    assert tree_digest(tree, "**/*.png", progress=False) == hashlib.sha256(b"").hexdigest()
    before = tree_digest(tree, progress=False)
    (tree / "scans" / "s2" / "1.dcm").write_bytes(b"x")
    assert tree_digest(tree, progress=False) != before


def checked_entry(root: Path, checksums: dict) -> DatasetEntry:
    data = {"version": 1, "datasets": [{"name": "toy", "adapter": "cq500", "path": str(root), "checksums": checksums}]}
    return manifest_from_dict(data).datasets[0]


def test_verify_success(tree):
    entry = checked_entry(
        tree,
        {
            "files": {
                "reads.csv": sha256_file(tree / "reads.csv"),
                "scans/s1/2.dcm": hashlib.sha256(b"slice two").hexdigest(),
            },
            "tree": {"pattern": "**/*.dcm", "sha256": independent_tree_digest(tree, ".dcm")},
        },
    )
    assert verify(entry, progress=False) == []


def test_verify_reports_mismatch_and_missing_files(tree):
    good = sha256_file(tree / "reads.csv")
    entry = checked_entry(
        tree,
        {
            "files": {
                "reads.csv": "0" * 64,
                "scans/s9/1.dcm": good,
                "scans/s1/2.dcm": hashlib.sha256(b"slice two").hexdigest(),
            },
            "tree": {"pattern": "**/*.dcm", "sha256": "1" * 64},
        },
    )
    problems = {p.where: p.message for p in verify(entry, progress=False)}
    assert len(problems) == 3, problems
    mismatch = problems["dataset 'toy' (datasets[0]), file 'reads.csv'"]
    assert good in mismatch and "0" * 64 in mismatch and str(tree) not in mismatch  # the file is named by `where`
    missing = problems["dataset 'toy' (datasets[0]), file 'scans/s9/1.dcm'"]
    assert "not found" in missing and good in missing
    (tree_where,) = [w for w in problems if "**/*.dcm" in w]
    assert "1" * 64 in problems[tree_where] and independent_tree_digest(tree, ".dcm") in problems[tree_where]
    assert "4 files" in problems[tree_where]


def test_fingerprint(tree):
    demo_a = manifest_from_dict({"version": 1, "datasets": [{"name": "d", "adapter": "demo", "options": {"seed": 1}}]})
    demo_b = manifest_from_dict({"version": 1, "datasets": [{"name": "d", "adapter": "demo", "options": {"seed": 2}}]})
    assert fingerprint(demo_a.datasets[0]) != fingerprint(demo_b.datasets[0])
    assert fingerprint(demo_a.datasets[0]) == fingerprint(demo_a.datasets[0])
    entry = checked_entry(tree, {})
    before = fingerprint(entry)
    assert len(before) == 64 and before == fingerprint(entry)
    (tree / "new.txt").write_text("added")
    assert fingerprint(entry) != before


def test_progress_bar_only_on_a_terminal(tree, monkeypatch):
    import io

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    for is_tty, progress, shown in [(True, True, True), (True, False, False), (False, True, False)]:
        err = Terminal() if is_tty else io.StringIO()
        monkeypatch.setattr("sys.stderr", err)
        digest = tree_digest(tree, progress=progress)
        assert digest == independent_tree_digest(tree)
        assert ("sha256" in err.getvalue()) is shown, (is_tty, progress, err.getvalue())


def test_published_paths_do_not_show_the_users_folders(tmp_path):
    (tmp_path / "data" / "cq").mkdir(parents=True)
    outside = tmp_path.parent / "elsewhere_cq"
    text = (
        "version: 1\ndatasets:\n"
        "  - {name: a, adapter: cq500, enabled: false, path: data/cq}\n"
        f"  - {{name: b, adapter: cq500, enabled: false, path: {outside}}}\n"
    )
    (tmp_path / "m.yaml").write_text(text)
    manifest = load_manifest(tmp_path / "m.yaml")
    shown = [d["path"] for d in manifest.to_dict()["datasets"]]
    assert shown == ["data/cq", "<elsewhere>/elsewhere_cq"]
    assert str(tmp_path) not in manifest.to_yaml()
    assert [d["path"] for d in manifest.to_dict(redact=False)["datasets"]] == [
        (tmp_path / "data" / "cq").as_posix(), outside.as_posix()]

