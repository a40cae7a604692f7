"""Full Jupyter Book builds of the demo report (slow: about 10 to 30 s each on 2 cores)."""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import pytest
from demo_report import MANIFEST, N_STUDIES

from hemstats.errors import ReportBuildError
from hemstats.report import build_report, external_assets, find_book_source
from hemstats.report.format import fmt_int

pytestmark = pytest.mark.slow



@pytest.fixture(scope="module")
def small_demo():
    from hemstats.datasets import demo

    return demo.load(n_studies=N_STUDIES, seed=0)


@pytest.fixture(scope="module")
def two_builds(tmp_path_factory, demo_report):
    """A small demo report built cold into two different folders (``a``: the session's one).

    The hemstats source hash is pinned: other edits to the package while the tests run
    must not invalidate the execution cache the rebuild test checks.
    """
    root = tmp_path_factory.mktemp("reports")
    manifest = root / "data_manifest.yaml"
    manifest.write_text(MANIFEST)
    out = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("hemstats.report.build.source_hash", lambda: "pinned-for-tests")
        out["a"] = demo_report
        start = time.perf_counter()
        out["b"] = (build_report(manifest, out=root / "b", progress=False), time.perf_counter() - start)
        yield out | {"manifest": manifest}


def test_index_and_pages_exist(two_builds):
    index, _ = two_builds["a"]
    assert index.name == "index.html" and index.is_file()
    html = index.parent
    for page in ("overview.html", "provenance.html"):
        assert (html / page).is_file(), page


def test_no_page_needs_the_network(two_builds):
    html = two_builds["a"][0].parent
    assert external_assets(html) == []
    pages = sorted(html.rglob("*.html"))
    assert len(pages) >= 4
    tag = re.compile(r"<(script|link)\b[^>]*>", re.IGNORECASE)
    for page in pages:
        for match in tag.finditer(page.read_text(encoding="utf-8")):
            assert not re.search(r'(src|href)="(https?:)?//', match.group(0)), (page.name, match.group(0))
    text = (html / "overview.html").read_text(encoding="utf-8")
    assert "thebe-launch-button" not in text and "colab" not in text.lower()
    assert "fonts.googleapis" not in text
    # No page of the demo has math: no MathJax at all (test_browser.py builds a page with math).
    assert not (html / "_static" / "mathjax").exists()
    assert not any("tex-chtml" in p.read_text(encoding="utf-8") for p in pages)


def test_report_weight(two_builds):
    """The demo report stays light: no file a page never loads (source maps, catalogues, MathJax)."""
    html = two_builds["a"][0].parent
    files = [p for p in html.rglob("*") if p.is_file()]
    size = sum(p.stat().st_size for p in files)
    assert size < 10_000_000, f"the report is {size / 1e6:.1f} MB (the promise: under 10 MB)"
    assert not [p.name for p in files if p.suffix == ".map"]
    assert not (html / "_static" / "locales").exists()


def test_csvs_are_byte_identical_across_builds(two_builds):
    a = two_builds["a"][0].parent / "tables"
    b = two_builds["b"][0].parent / "tables"
    names = sorted(p.name for p in a.glob("*.csv"))
    assert names == sorted(p.name for p in b.glob("*.csv"))
    assert {"overview_counts.csv", "overview_datasets.csv", "provenance_versions.csv"} <= set(names)
    for name in names:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
        text = (a / name).read_text()
        assert str(a.parent.parent) not in text and str(b.parent.parent) not in text, name


def test_overview_shows_the_counts(two_builds, small_demo):
    text = (two_builds["a"][0].parent / "overview.html").read_text(encoding="utf-8")
    assert "Synthetic data" in text
    for row in small_demo.counts().itertuples(index=False):
        assert f">{fmt_int(row.rows)}<" in text, (row.table, row.rows)
    csv = (two_builds["a"][0].parent / "tables" / "overview_counts.csv").read_text()
    assert csv.splitlines()[0] == "dataset,table,rows"
    assert f"demo,studies,{N_STUDIES}" in csv


def test_provenance_shows_build_time_command_and_fingerprints(two_builds, small_demo):
    index, _ = two_builds["a"]
    text = (index.parent / "provenance.html").read_text(encoding="utf-8")
    assert "build_report" in text
    assert re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", text)
    assert small_demo.fingerprint("demo") in text
    assert "numpy" in text and "statsmodels" in text
    for csv in (index.parent / "tables").glob("*.csv"):
        assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", csv.read_text()), csv.name


def test_rebuild_with_nothing_changed_reuses_executed_chapters(two_builds):
    index, cold = two_builds["b"]
    out = index.parent.parent
    before = (index.parent / "tables" / "overview_counts.csv").read_bytes()
    start = time.perf_counter()
    assert build_report(two_builds["manifest"], out=out, progress=False) == index
    warm = time.perf_counter() - start
    log = (out / "build.log").read_text()
    assert "overview.md: Executing notebook" not in log
    assert "provenance.md: Executing notebook" in log  # shows this build's time: always runs
    assert (index.parent / "tables" / "overview_counts.csv").read_bytes() == before
    print(f"cold build {cold:.1f} s, cached rebuild {warm:.1f} s")


def test_a_failing_chapter_fails_the_build_with_its_traceback(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the error names the log relative to the current folder
    book = tmp_path / "book"
    book.mkdir()
    shutil.copy(find_book_source() / "_config.yml", book / "_config.yml")
    (book / "_toc.yml").write_text("format: jb-book\nroot: broken\n")
    (book / "broken.md").write_text(
        "---\nfile_format: mystnb\nkernelspec:\n  name: python3\n  display_name: Python 3\n---\n\n"
        "# Broken\n\n```{code-cell} python3\nraise ValueError('chapter exploded on purpose')\n```\n"
    )
    with pytest.raises(ReportBuildError) as info:
        build_report(None, out=tmp_path / "out", progress=False, book=book)
    message = str(info.value)
    assert "chapter exploded on purpose" in message
    assert "build.log" in message and isinstance(info.value.log, Path) and info.value.log.is_file()
    # the first line says which chapter failed and why, and where the log is (no absolute path)
    assert info.value.chapter == "broken" and info.value.reason == "ValueError: chapter exploded on purpose"
    assert info.value.summary.startswith("chapter 'broken' failed: ValueError: chapter exploded on purpose; full log: ")
    assert info.value.summary.endswith("out/build.log") and str(tmp_path) not in info.value.summary
