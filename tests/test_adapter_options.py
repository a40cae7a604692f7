"""Adapter options in a manifest are checked against each adapter's ``load`` signature (issue 10)."""

from __future__ import annotations

import inspect
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal, TypedDict

import pytest
import yaml

import hemstats.datasets
from hemstats._adapter_options import _check, _hints, option_problems
from hemstats.errors import ManifestError
from hemstats.loading import validate
from hemstats.manifest import load_manifest

ADAPTERS = sorted(hemstats.datasets.ADAPTERS)
#: Values a YAML file can hold; for each option the first one its hint refuses is used.
CANDIDATES = [{"k": [1.5]}, 5.5, [1.5], "text", True, None]


def write(folder: Path, entry: dict) -> Path:
    (folder / "data").mkdir(exist_ok=True)
    if entry.get("adapter") != "demo":
        entry = {"path": "data", **entry}
    path = folder / "data_manifest.yaml"
    path.write_text(yaml.safe_dump({"version": 1, "datasets": [{"name": "d", **entry}]}), encoding="utf-8")
    return path


def typed_options(adapter: str) -> list[tuple[str, object]]:
    """(option, a value its type hint refuses) for every hinted keyword option of the adapter."""
    fn = hemstats.datasets.get_adapter(adapter)
    hints = _hints(fn)
    out = []
    for name, param in list(inspect.signature(fn).parameters.items())[1:]:
        if name == "name" or param.kind is not inspect.Parameter.KEYWORD_ONLY or name not in hints:
            continue
        bad = next((v for v in CANDIDATES if _check(v, hints[name], name) is not None and _check(v, hints[name], name)), None)
        bad = bad if bad is not None else next((v for v in CANDIDATES if _check(v, hints[name], name) is None), None)
        if bad is not None:
            out.append((name, bad))
    return out


CASES = [(adapter, option, value) for adapter in ADAPTERS for option, value in typed_options(adapter)]


def test_every_adapter_with_options_is_covered():
    covered = {adapter for adapter, _, _ in CASES}
    with_options = {
        a
        for a in ADAPTERS
        if any(
            p.kind is inspect.Parameter.KEYWORD_ONLY and n != "name"
            for n, p in inspect.signature(hemstats.datasets.get_adapter(a)).parameters.items()
        )
    }
    assert with_options <= covered and len(CASES) >= 20


@pytest.mark.parametrize("adapter, option, value", CASES, ids=[f"{a}-{o}" for a, o, _ in CASES])
def test_a_wrongly_typed_option_is_a_manifest_problem(tmp_path, adapter, option, value):
    path = write(tmp_path, {"adapter": adapter, "options": {option: value}})
    with pytest.raises(ManifestError, match=rf"dataset 'd' \(datasets\[0\]\), key 'options\.{option}[.\[\]\w]*': adapter"):
        load_manifest(path)
    problems = validate(path, progress=False)
    assert problems and all(f"key 'options.{option}" in p.where for p in problems), problems


@pytest.mark.parametrize("adapter", [a for a in ADAPTERS if a != "demo"])
def test_an_unknown_option_is_a_manifest_problem_with_a_suggestion(tmp_path, adapter):
    fn = hemstats.datasets.get_adapter(adapter)
    first = next(n for n in list(inspect.signature(fn).parameters)[1:] if n != "name")
    path = write(tmp_path, {"adapter": adapter, "options": {first + "x": None}})
    with pytest.raises(ManifestError, match=rf"key 'options\.{first}x': adapter '{adapter}': unknown option; "
                                            rf"did you mean '{first}'\?"):
        load_manifest(path)


def test_the_examples_of_the_issue_are_named(tmp_path):
    text = """\
    version: 1
    datasets:
      - {name: c, adapter: cq500, path: data, options: {predictions_file: 5, model: [a, b]}}
      - {name: m, adapter: mosmed_ich, path: data, options: {columns: {study: 5}}}
    """
    (tmp_path / "data").mkdir()
    path = tmp_path / "m.yaml"
    path.write_text(textwrap.dedent(text))
    problems = [str(p) for p in validate(path, progress=False)]
    assert problems == [
        "dataset 'c' (datasets[0]), key 'options.predictions_file': adapter 'cq500': expected text or null, "
        "got int 5 (quote it in the YAML file to make it text)",
        "dataset 'c' (datasets[0]), key 'options.model': adapter 'cq500': expected text, got list ['a', 'b']",
        "dataset 'm' (datasets[1]), key 'options.columns.study': adapter 'mosmed_ich': expected text, got int 5 "
        "(quote it in the YAML file to make it text)",
    ]


class _Table(TypedDict, total=False):
    file: str
    sex_values: Mapping[str, str]


def _load(
    root,
    *,
    name: str = "x",
    n: int = 1,
    share: float = 0.5,
    flag: bool = True,
    how: Literal["a", "b"] = "a",
    dirs: Sequence[str] = (),
    pair: tuple[int, int] = (1, 2),
    table: _Table | None = None,
    anything=None,
    unknown_hint: NoSuchName = None,  # noqa: F821 - an annotation that does not resolve: accepted
):
    """A signature with every kind of hint the checker understands."""


@pytest.mark.parametrize(
    "options, expected",
    [
        ({"n": 2, "share": 1, "flag": False, "how": "b", "dirs": ["x"], "pair": [3, 4], "anything": {1: 2}}, []),
        ({"n": True}, [("n", "expected an integer, got bool True")]),
        ({"n": 2.0}, [("n", "expected an integer, got float 2.0")]),
        ({"share": "0.5"}, [("share", "expected a number, got str '0.5'")]),
        ({"flag": "yes"}, [("flag", "expected true or false, got str 'yes'")]),
        ({"how": "c"}, [("how", "expected one of 'a', 'b', got str 'c'")]),
        ({"dirs": "x"}, [("dirs", "expected a list of text, got str 'x'")]),
        ({"dirs": ["x", 1]}, [("dirs[1]", "expected text, got int 1 (quote it in the YAML file to make it text)")]),
        ({"pair": [1]}, [("pair", "expected a list of 2 values (an integer, an integer), got list [1]")]),
        ({"table": {"sex_values": ["M", "F"]}}, [("table.sex_values", "expected a mapping of text to text, got list ['M', 'F']")]),
        ({"table": {"fil": "a.csv"}}, [("table.fil", "unknown key; did you mean 'file'? expected one of file, sex_values")]),
        ({"unknown_hint": 5, "nn": 1}, [("nn", "unknown option; did you mean 'n'? expected one of n, share, flag, how, "
                                                "dirs, pair, table, anything, unknown_hint")]),
    ],
)
def test_the_checker_on_every_kind_of_hint(options, expected):
    assert option_problems(_load, options) == expected
