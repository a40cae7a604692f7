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
from hemstats._adapter_options import AdapterOption, _check, _hints, adapter_options, option_problems
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
    unknown_hint: NoSuchName = None,  # type: ignore[name-defined]  # noqa: F821 - an annotation that does not resolve: accepted
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


# -- listing the options (`hemstats adapters` and the README) -----------------------------------


@pytest.mark.parametrize("adapter", ADAPTERS)
def test_adapter_options_lists_every_keyword_option_with_its_help(adapter):
    fn = hemstats.datasets.get_adapter(adapter)
    expected = [n for n in list(inspect.signature(fn).parameters)[1:] if n != "name"]
    options = adapter_options(fn)
    assert [o.name for o in options] == expected
    undocumented = [o.name for o in options if not o.help]
    assert not undocumented, f"{adapter}: document {undocumented} in the Parameters section of load"
    assert all("``" not in o.help and ":func:" not in o.help for o in options)


def test_adapter_options_types_defaults_and_help():
    def load(root, *, name: str = "x", must: int, files: Sequence[str] = ("a.csv", "b.csv"), off: str | None = None,
             sheet: str | int = 0, flag: bool = False, how: Literal["a", "b"] = "b"):
        """Load.

        Parameters
        ----------
        root : Path
            The folder.
        must : int
            Required; see :func:`hemstats.privacy.project_salt`.  Second sentence.
        files, off : sequence of str
            Files relative to ``root``; ``None`` to skip, e.g. ``x``.
        sheet : str or int
            As in :func:`_inner`.
        flag : bool
            A *flag*.

        Returns
        -------
        int
        """

    options = {o.name: o for o in adapter_options(load)}
    assert list(options) == ["must", "files", "off", "sheet", "flag", "how"]
    assert options["must"] == AdapterOption("must", "an integer", "required", "Required; see hemstats.privacy.project_salt.")
    assert options["files"] == AdapterOption(
        "files", "a list of text", "[a.csv, b.csv]", "Files relative to root; null to skip, e.g. x."
    )
    assert options["off"].help == options["files"].help and options["off"].default == "null"
    assert options["sheet"].type == "text or an integer" and options["sheet"].default == "0"
    assert options["flag"] == AdapterOption("flag", "true or false", "false", "A flag.")
    assert options["how"] == AdapterOption("how", "one of 'a', 'b'", "b", "")


def test_adapter_options_follow_as_in_to_the_documented_function():
    demo_options = {o.name: o.help for o in adapter_options(hemstats.datasets.get_adapter("demo"))}
    assert demo_options["n_studies"] == "Number of imaging studies."
    assert demo_options["seed"] == "Seed of every random draw."
