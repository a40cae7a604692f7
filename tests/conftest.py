"""Shared fixtures.  Real public files live in ../shared/data; tests using them skip when absent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("HEMSTATS_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data``, or skip the test when it is not beside the repository."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real public data not found at {SHARED_DATA} (set HEMSTATS_SHARED_DATA)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def demo_cohort():
    """The default demo cohort (1,200 studies, seed 0), built once per session."""
    from hemstats.datasets import demo

    return demo.load()


@pytest.fixture(scope="session")
def demo_data():
    """The default demo simulation with its true parameters."""
    from hemstats.datasets import demo

    return demo.simulate()
