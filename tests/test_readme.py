"""The README a user reads: the two commands first, every adapter option as the code has it, runnable examples."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

import hemstats.datasets
from hemstats._adapter_options import option_problems
from hemstats.cli import main

README = Path(__file__).resolve().parents[1] / "README.md"
TEXT = README.read_text(encoding="utf-8")
BEGIN = "<!-- adapters: begin"
END = "<!-- adapters: end -->"
#: The two commands CI runs verbatim; changing them needs a measured install-time gain.
COMMANDS = [
    'python3 -m venv .venv && .venv/bin/pip install -q --no-compile -e . && .venv/bin/hemstats report',
    'python3 -m venv .venv && .venv/bin/pip install -q --no-compile -e ".[test]" && .venv/bin/python -m pytest',
]


def fenced(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", TEXT, flags=re.S | re.M)


def keyword_options(adapter: str) -> list[str]:
    """The options of an adapter straight from its signature (independent of hemstats.cli)."""
    params = list(inspect.signature(hemstats.datasets.get_adapter(adapter)).parameters.values())[1:]
    return [p.name for p in params if p.kind is inspect.Parameter.KEYWORD_ONLY and p.name != "name"]


def test_the_readme_opens_with_the_two_commands():
    lines = TEXT.splitlines()
    assert lines[0] == "# hemstats"
    first_block = fenced("bash")[0]
    assert TEXT.index("```bash") < TEXT.index("\n## ")  # before any section
    assert first_block.splitlines() == COMMANDS


def test_the_adapter_section_is_what_hemstats_adapters_prints():
    assert TEXT.count(BEGIN) == 1 and TEXT.count(END) == 1
    section = TEXT[TEXT.index(BEGIN) : TEXT.index(END)].split("\n", 1)[1].strip()
    result = CliRunner().invoke(main, ["adapters", "--markdown"])
    assert result.exit_code == 0, result.output
    assert section == result.stdout.strip(), (
        "README's adapter tables differ from the code: paste the output of `hemstats adapters --markdown` "
        "between the adapters markers"
    )


@pytest.mark.parametrize("adapter", sorted(hemstats.datasets.ADAPTERS))
def test_the_readme_lists_every_option_of_every_adapter(adapter):
    section = TEXT[TEXT.index(BEGIN) : TEXT.index(END)]
    start = section.index(f"**`{adapter}`**")
    following = [section.find(f"**`{a}`**", start + 1) for a in hemstats.datasets.ADAPTERS]
    table = section[start : min([i for i in following if i > start], default=len(section))]
    missing = [name for name in keyword_options(adapter) if f"| `{name}` |" not in table]
    assert not missing, f"README lacks options {missing} of adapter {adapter!r}"


@pytest.mark.parametrize("adapter", sorted(hemstats.datasets.ADAPTERS))
def test_every_dataset_adapter_has_a_manifest_example(adapter):
    adapters_in_examples = {
        entry.get("adapter") for block in fenced("yaml") for entry in (yaml.safe_load(block) or []) if isinstance(entry, dict)
    }
    assert adapter in adapters_in_examples or adapter == "demo"


def test_every_manifest_example_has_valid_options():
    checked = 0
    for block in fenced("yaml"):
        for entry in yaml.safe_load(block) or []:
            fn = hemstats.datasets.get_adapter(entry["adapter"])
            assert option_problems(fn, entry.get("options") or {}) == [], entry["name"]
            assert {"name", "adapter", "path"} <= set(entry)
            checked += 1
    assert checked >= 8


def test_the_python_example_runs():
    block = fenced("python")[0]
    lines = [line for line in block.splitlines() if "data_manifest.yaml" not in line]
    exec(compile("\n".join(lines).replace("demo.load()", "demo.load(n_studies=60)"), "README", "exec"), {})


def test_no_reference_to_files_users_do_not_have():
    for forbidden in ("DESIGN.md", "../shared", "shared folder", "/work/", "shared/layouts"):
        assert forbidden not in TEXT, forbidden
    for match in re.findall(r"`((?:notebooks|benchmarks|tests|book|hemstats)/[\w./-]+)`", TEXT):
        assert (README.parent / match).exists(), match
    for name in ("CITATION.cff", "data_manifest.yaml"):
        assert (README.parent / name).is_file()
