"""Shared fixtures of the robustness suite: bad inputs must end in a clear HemstatsError
and must never change or delete the files they came from."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest


def _digests(paths: list[Path]) -> dict[Path, str]:
    out: dict[Path, str] = {}
    for root in paths:
        if root.is_file():
            files = [root]
        else:
            files = sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink())
        for f in files:
            out[f] = hashlib.sha256(f.read_bytes()).hexdigest()
    return out


@pytest.fixture
def frozen_inputs() -> Iterator[Callable[..., None]]:
    """``frozen_inputs(path, ...)`` hashes the files (folders: every file under them) now.

    When the test ends, every one of them must still exist with the same bytes. Call it
    once the test has written its inputs and before hemstats touches them.
    """
    before: dict[Path, str] = {}

    def freeze(*paths: os.PathLike[str] | str) -> None:
        before.update(_digests([Path(p) for p in paths]))

    yield freeze
    changed = []
    for path, digest in before.items():
        if not path.is_file() or hashlib.sha256(path.read_bytes()).hexdigest() != digest:
            changed.append(str(path))
    assert not changed, f"input files changed or deleted by hemstats: {sorted(changed)}"
