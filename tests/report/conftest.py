"""Fixtures shared by the report tests: the small demo report, built once per test session."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from demo_report import MANIFEST

from hemstats.report import build_report


@pytest.fixture(scope="session")
def demo_report(tmp_path_factory) -> tuple[Path, float]:
    """``(index.html, seconds)`` of the small demo report built cold (slow tests only).

    The hemstats source hash is pinned, as in the rebuild tests: other edits to the package
    while the tests run must not invalidate the execution cache.
    """
    root = tmp_path_factory.mktemp("demo_report")
    manifest = root / "data_manifest.yaml"
    manifest.write_text(MANIFEST)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("hemstats.report.build.source_hash", lambda: "pinned-for-tests")
        start = time.perf_counter()
        index = build_report(manifest, out=root / "out", progress=False)
        return index, time.perf_counter() - start
