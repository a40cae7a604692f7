"""Every notebook in notebooks/ executes top to bottom, says first which datasets it uses, and finds the manifest."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
import yaml
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))


def run(path: Path, cwd: Path) -> nbformat.NotebookNode:
    """Execute the notebook at ``path`` with ``cwd`` as the kernel's working folder; fail on any error output."""
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(cwd)}}).execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors, [f"{e.ename}: {e.evalue}" for e in errors]
    return nb


def first_output(nb: nbformat.NotebookNode) -> str:
    """The text of the notebook's first output (stdout, stderr or a result)."""
    for cell in nb.cells:
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if output.output_type == "stream":
                return str(output.text)
            if "data" in output:
                return str(output.data.get("text/plain", ""))
    return ""


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path, tmp_path, monkeypatch):
    monkeypatch.delenv("HEMSTATS_MANIFEST", raising=False)
    monkeypatch.delenv("HEMSTATS_CQ500", raising=False)
    nb = run(path, tmp_path)  # a folder outside the repository: the repository's manifest is still found
    assert any(c.get("outputs") for c in nb.cells if c.cell_type == "code")
    first = first_output(nb)
    assert first.startswith("Datasets used: "), first
    datasets = first.splitlines()[0].removeprefix("Datasets used: ").split(" (")[0].split(", ")
    if "demo" in datasets:  # never the demo without saying so
        assert "SYNTHETIC" in first or "demo cohort" in first, first
    assert str(tmp_path) not in first


@pytest.mark.slow
def test_a_notebook_opened_from_notebooks_finds_the_repository_manifest(monkeypatch):
    monkeypatch.delenv("HEMSTATS_MANIFEST", raising=False)
    nb = run(REPO / "notebooks" / "quickstart.ipynb", REPO / "notebooks")  # as Jupyter starts it
    first = first_output(nb)
    manifest = yaml.safe_load((REPO / "data_manifest.yaml").read_text(encoding="utf-8"))
    enabled = [d["name"] for d in manifest["datasets"] if d.get("enabled", True)]
    assert first.splitlines()[0] == f"Datasets used: {', '.join(enabled)} (enabled in ../data_manifest.yaml)"


@pytest.mark.slow
@pytest.mark.shared_data
def test_the_cq500_notebook_from_notebooks_reads_the_manifest_s_cq500(tmp_path, monkeypatch, shared_data):
    monkeypatch.delenv("HEMSTATS_MANIFEST", raising=False)
    monkeypatch.delenv("HEMSTATS_CQ500", raising=False)
    repo = tmp_path / "project"
    (repo / "notebooks").mkdir(parents=True)
    shutil.copy(REPO / "notebooks" / "cq500_walkthrough.ipynb", repo / "notebooks")
    entry = {"name": "cq500", "adapter": "cq500", "enabled": True, "path": str(shared_data / "cq500")}
    (repo / "data_manifest.yaml").write_text(yaml.safe_dump({"version": 1, "datasets": [entry]}), encoding="utf-8")
    nb = run(repo / "notebooks" / "cq500_walkthrough.ipynb", repo / "notebooks")
    lines = first_output(nb).splitlines()
    assert lines[0] == "Datasets used: cq500 (CQ500, real data, entry 'cq500' of ../data_manifest.yaml)"
    assert lines[1].startswith("dataset 'cq500': 491 studies; readers ['R1', 'R2', 'R3']; model 'qure.ai'")
    assert not any("SYNTHETIC" in str(o) for c in nb.cells for o in c.get("outputs", []))
