"""The report on the real public CQ500 and Kaggle files in ../shared/data, next to the demo.

One full Jupyter Book build (slow: about 30 to 60 s on 2 cores).  The book built is the
repository's, with the Methods and Dataset card chapters added to its table of contents
when it does not list them yet, so those chapters meet real datasets that lack tables:
Kaggle has no readers, no model scores and no acquisition columns; CQ500 has readers and
model scores but no acquisition columns and no images.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pandas as pd
import pytest

from hemstats.report import build_report, external_assets

pytestmark = [pytest.mark.slow, pytest.mark.shared_data]

DEMO_STUDIES = 300


@pytest.fixture(scope="module")
def real_report(shared_data, tmp_path_factory):
    root = tmp_path_factory.mktemp("real_report")
    manifest = root / "data_manifest.yaml"
    manifest.write_text(textwrap.dedent(f"""\
        version: 1
        report:
          title: "hemstats report on public data"
          seed: 7
          n_resamples: 200
        datasets:
          - name: demo
            adapter: demo
            options: {{n_studies: {DEMO_STUDIES}, seed: 0}}
          - name: cq500
            adapter: cq500
            enabled: true
            path: {shared_data / "cq500"}
            licence: "CC BY-NC-SA 4.0"
            citation: "Chilamkurthy S. et al. Lancet 2018;392:2388-2396."
            source: "http://headctstudy.qure.ai/dataset"
            description: "491 head CT scans read by three radiologists, with the qure.ai probabilities."
          - name: kaggle_head_ct
            adapter: kaggle_head_ct
            enabled: true
            path: {shared_data / "kaggle_head_ct"}
            licence: "unknown"
            citation: "Felipe Campos Kitamura. Head CT - hemorrhage. Kaggle, 2019."
            source: "https://www.kaggle.com/datasets/felipekitamura/head-ct-hemorrhage"
        """), encoding="utf-8")
    index = build_report(manifest, out=root / "out", progress=False)
    return index.parent


def _csv(html, name):
    path = html / "tables" / f"{name}.csv"
    assert path.is_file(), f"{name}.csv was not written"
    return pd.read_csv(path, keep_default_na=False, na_values=[""])


def test_overview_lists_the_real_datasets_with_their_counts(real_report):
    datasets = _csv(real_report, "overview_datasets").set_index("dataset")
    assert datasets.index.tolist() == ["demo", "cq500", "kaggle_head_ct"]
    assert datasets.loc["cq500", "studies"] == 491 and datasets.loc["cq500", "patients"] == 491
    assert datasets.loc["kaggle_head_ct", "studies"] == 200
    assert datasets.loc["demo", "studies"] == DEMO_STUDIES
    assert datasets.loc["cq500", "synthetic"] in (False, "False")
    counts = _csv(real_report, "overview_counts").pivot(index="dataset", columns="table", values="rows")
    assert counts.loc["cq500", "predictions"] > 0 and counts.loc["kaggle_head_ct", "predictions"] == 0
    assert counts.loc["kaggle_head_ct", "images"] == 200
    text = (real_report / "overview.html").read_text(encoding="utf-8")
    for name in ("cq500", "kaggle_head_ct", "http://headctstudy.qure.ai/dataset", "Chilamkurthy"):
        assert name in text, name
    assert external_assets(real_report) == []
    warnings = _csv(real_report, "overview_data_warnings")
    assert set(warnings["dataset"]) <= {"cq500", "kaggle_head_ct"}  # the demo is complete
    assert ("Data warnings" in text) == (len(warnings) > 0)


def test_prevalence_and_agreement_use_the_real_labels(real_report):
    prev = _csv(real_report, "prevalence_by_dataset")
    anyich = prev[prev["finding"] == "any"].set_index("dataset")
    assert set(anyich.index) == {"demo", "cq500", "kaggle_head_ct"}
    assert (anyich.loc["cq500", "n_positive"], anyich.loc["cq500", "n"]) == (205, 491)  # majority of three readers
    assert (anyich.loc["kaggle_head_ct", "n_positive"], anyich.loc["kaggle_head_ct", "n"]) == (100, 200)
    agree = _csv(real_report, "agreement")
    assert "cq500" in set(agree["dataset"]) and "kaggle_head_ct" not in set(agree["dataset"])  # no readers


def test_dataset_card_answers_for_each_real_dataset(real_report):
    card = _csv(real_report, "dataset_card")
    assert card["dataset"].unique().tolist() == ["demo", "cq500", "kaggle_head_ct"]
    ans = card.set_index(["dataset", "question"])["answer"]
    assert ans["cq500", "How many studies and patients?"] == "491 studies of 491 patients."
    assert ans["kaggle_head_ct", "How many studies and patients?"] == "200 studies of 200 patients."
    assert ans["cq500", "How were the scans acquired?"].startswith("not reported")
    assert ans["kaggle_head_ct", "Which models' scores are included?"] == "none."
    assert ans["kaggle_head_ct", "Under which licence?"] == "unknown"
    assert ans["demo", "Is the dataset real or synthetic?"].startswith("Synthetic data")
    assert ans["cq500", "Is the dataset real or synthetic?"].startswith("Real")
    page = (real_report / "dataset_card.html").read_text(encoding="utf-8")
    assert "Dataset card: kaggle_head_ct" in page and "Dataset card: cq500" in page


def test_methods_chapter_shows_the_shipped_tables(real_report):
    from hemstats.report.validation import coverage_table

    shown = _csv(real_report, "methods_kappa_coverage")
    pd.testing.assert_frame_equal(shown, coverage_table("kappa_coverage"), check_dtype=False, check_exact=False,
                                  rtol=1e-12)
    assert len(_csv(real_report, "methods_reference_checks")) >= 10
    assert (real_report / "methods.html").is_file()


def test_cq500_walkthrough_runs_on_the_real_files(shared_data, tmp_path, monkeypatch):
    """With HEMSTATS_CQ500 set, the walk-through reads the real reads and reproduces the paper's AUC."""
    import nbformat
    from nbclient import NotebookClient

    monkeypatch.setenv("HEMSTATS_CQ500", str(shared_data / "cq500"))
    nb = nbformat.read(Path(__file__).resolve().parents[2] / "notebooks" / "cq500_walkthrough.ipynb", as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "\n".join(o.get("text", "") + o.get("data", {}).get("text/plain", "") for o in outputs)
    assert "Datasets used: cq500 (CQ500, real data" in text and "dataset 'cq500': 491 studies" in text
    assert "qure.ai" in text and "0.942" in text  # AUC of any ICH; the paper reports 0.94
    assert "Synthetic data" not in text
