"""The Methods page's "Statistical analysis": written from what was computed, cited from the shipped BibTeX."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import hemstats
from hemstats import Cohort
from hemstats.errors import ReportError
from hemstats.report.context import ReportContext
from hemstats.report.sections import Settings
from hemstats.report.sections import statistical_analysis as sa

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def demo_parts():
    from hemstats.datasets import demo

    return sa.paragraphs(Settings(demo.load(n_studies=100, seed=2), confidence_level=0.9, n_resamples=150, seed=42))


@pytest.fixture(scope="module")
def independent() -> Cohort:
    """40 studies of 40 patients, two readers and a consensus, one model: nothing is clustered."""
    rng = np.random.default_rng(0)
    ids = [f"s{i}" for i in range(40)]
    truth = (np.arange(40) % 3 == 0).astype(int)
    studies = pd.DataFrame({"dataset": "ind", "study_id": ids, "patient_id": ids})
    rows = []
    for rater, flip in (("R1", 0.1), ("R2", 0.15), ("consensus", 0.0)):
        calls = np.where(rng.random(40) < flip, 1 - truth, truth)
        rows += [("ind", s, "study", "any", rater, int(v)) for s, v in zip(ids, calls, strict=True)]
    labels = pd.DataFrame(rows, columns=["dataset", "study_id", "level", "finding", "rater", "value"])
    preds = pd.DataFrame({"dataset": "ind", "study_id": ids, "level": "study", "finding": "any", "model": "m",
                          "score": np.clip(truth * 0.4 + rng.random(40) * 0.6, 0, 1)})
    return Cohort(studies, labels=labels, predictions=preds)


def _plain(parts) -> str:
    return " ".join(sa._render(p.text) for p in parts)


def test_the_text_states_the_settings_and_versions(demo_parts):
    text = _plain(demo_parts)
    assert "150 resamples" in text and "seed (42)" in text and "two-sided 90% confidence intervals" in text
    for package in ("numpy", "scipy", "statsmodels", "pandas"):
        from importlib.metadata import version

        assert version(package) in text, package
    assert f"hemstats {hemstats.__version__}" in text


def test_the_methods_are_those_the_tables_name(demo_parts, independent):
    demo = _plain(demo_parts)
    assert "resampling whole patients" in demo and "clustered by patient" in demo  # repeated studies
    assert "Wilson 1927" in demo  # readers against the consensus
    alone = _plain(sa.paragraphs(Settings(independent, n_resamples=100, seed=1)))
    assert "the Wilson score interval (Wilson 1927)" in alone and "the DeLong interval (DeLong et al. 1988" in alone
    assert "whole patients" not in alone and "clustered by patient" not in alone
    assert "Acquisition" not in [p.heading for p in sa.paragraphs(Settings(independent, n_resamples=100))]
    assert "Holm" not in alone and "p values are not adjusted" in alone  # one dataset, no family of tests


def test_no_python_or_column_names_in_the_text(demo_parts, independent):
    for parts in (demo_parts, sa.paragraphs(Settings(independent, n_resamples=100))):
        text = _plain(parts)
        assert not re.search(r"\b[a-z0-9]+_[a-z0-9_]+\b", text), re.findall(r"\b[a-z0-9]+_[a-z0-9_]+\b", text)
        assert "hemstats." not in text and "()" not in text and "=" not in text and "[@" not in text
        for column in ("ci_low", "p_adjusted", "n_resamples", "confidence_level", "cluster-logit", "delong"):
            assert column not in text


def test_every_citation_is_a_shipped_bibtex_entry(demo_parts):
    keys = sa.cited_keys(p.text for p in demo_parts)
    assert {"wilson1927", "holm1979", "efron1993", "harris2020", "hemstats"} <= set(keys)
    entries = sa.bibliography().entries
    assert set(keys) <= set(entries)
    assert len(sa.references(keys)) == len(keys)
    for key in entries:  # every shipped entry is cited as (Author Year)
        assert re.fullmatch(r"\([A-Z][^()]+ (\d{4})\)", sa.cite(key)), key
    assert sa.cite("fleiss1969") == "(Fleiss et al. 1969)" and sa.cite("holm1979") == "(Holm 1979)"
    with pytest.raises(ReportError, match="not in"):
        sa.cite("nobody2099")


def test_the_html_escapes_and_offers_the_bibtex(demo_parts, tmp_path, monkeypatch):
    ctx = ReportContext.example(tmp_path)
    path = sa.save_references(ctx)
    assert path == ctx.tables_dir / sa.BIB_DOWNLOAD and path.read_text(encoding="utf-8") == sa.bib_text()
    mtime = path.stat().st_mtime_ns
    sa.save_references(ctx)
    assert path.stat().st_mtime_ns == mtime  # unchanged bytes are not rewritten
    (ctx.src_dir).mkdir(parents=True)
    monkeypatch.chdir(ctx.src_dir)
    url = sa.references_url(ctx)
    assert url == f"tables/{sa.BIB_DOWNLOAD}"
    text = sa.save_text(demo_parts, ctx).read_text(encoding="utf-8")
    assert text.startswith("Prevalence. ") and "\n\nReferences\n\n" in text and "(Holm 1979)" in text
    assert sa.text_url(ctx) == f"tables/{sa.TEXT_DOWNLOAD}"
    html = sa.statistical_analysis_html([*demo_parts, sa.Paragraph("<i>x</i>", "a < b")], url, sa.text_url(ctx))
    assert f'href="{url}"' in html and f'href="tables/{sa.TEXT_DOWNLOAD}"' in html and "&lt;i&gt;x&lt;/i&gt;" in html and "a &lt; b" in html
    assert "How to cite hemstats" in html and "(Holm 1979)" in html


def test_citation_cff_is_valid_and_agrees_with_the_shipped_entry():
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert cff["cff-version"] == "1.2.0"
    for key in ("message", "title", "authors", "version", "type", "license"):
        assert cff.get(key), key
    assert cff["type"] == "software" and all("name" in a or "family-names" in a for a in cff["authors"])
    assert str(cff["version"]) == hemstats.__version__
    assert cff["message"] == sa.HOW_TO_CITE
    entry = sa.bibliography().entries["hemstats"]
    assert entry.fields["version"] == str(cff["version"])
    assert entry.fields["title"].replace("{", "").replace("}", "") == cff["title"]
    assert entry.persons["author"][0].last_names[0].strip("{}") == cff["authors"][0]["name"]
    assert cff["message"] in sa.how_to_cite() and cff["title"] in sa.how_to_cite()
