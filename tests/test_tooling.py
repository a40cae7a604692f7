"""Tooling: ruff and mypy are clean on the package, and CI runs them before the README test command.

A cold mypy run over the package takes about 25 s on the CI machine (2 cores; over a minute when
the machine is busy), so that test is marked ``slow``; ``.ci/run`` runs mypy first anyway.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: What .ci/run lints; the test lints the same.
LINTED = ("hemstats", "tests", "benchmarks")


def _readme_test_command() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = [line for line in readme.splitlines() if line.startswith("python3 -m venv") and "pytest" in line]
    assert len(commands) == 1, f"expected one test command in README.md, found {commands}"
    return commands[0]


def test_ruff_is_clean() -> None:
    if importlib.util.find_spec("ruff") is None:
        pytest.skip("ruff is not installed (it comes with the test extra: pip install -e '.[test]')")
    done = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "--output-format", "concise", *LINTED],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, f"ruff check {' '.join(LINTED)} found problems:\n{done.stdout}{done.stderr}"


@pytest.mark.slow
def test_mypy_is_clean(tmp_path: Path) -> None:
    if importlib.util.find_spec("mypy") is None:
        pytest.skip("mypy is not installed (it comes with the test extra: pip install -e '.[test]')")
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "mypy_cache")],  # files and options: pyproject.toml
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, f"mypy found problems:\n{done.stdout}{done.stderr}"


def test_ci_runs_ruff_mypy_and_the_readme_test_command() -> None:
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    lines = [line.strip() for line in script.splitlines() if not line.lstrip().startswith(("#", "echo"))]
    ruff = next(i for i, line in enumerate(lines) if re.search(r"\bruff check\b", line))
    mypy = next(i for i, line in enumerate(lines) if re.search(r"\bmypy\b", line))
    tests = lines.index(_readme_test_command())  # verbatim
    assert ruff < tests and mypy < tests
    assert lines[ruff].split("ruff check", 1)[1].split() == list(LINTED)


def test_lint_and_type_tools_come_with_the_test_extra_and_mypy_checks_the_package() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    extra = {re.split(r"[<>=\[ ]", req, maxsplit=1)[0].lower() for req in config["project"]["optional-dependencies"]["test"]}
    assert {"ruff", "mypy"} <= extra
    mypy = config["tool"]["mypy"]
    assert mypy["files"] == ["hemstats"]
    assert not mypy.get("ignore_errors", False) and mypy.get("follow_imports") != "skip"
    assert mypy["check_untyped_defs"] is True  # no body goes unchecked for lack of annotations
