"""Hostile or mistyped manifests (issue 10): YAML aliases, anchors, tags and size; report settings;
paths to files; messages without the user's folders."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from hemstats.errors import ManifestError
from hemstats.manifest import load_manifest


def write(folder: Path, text: str, name: str = "data_manifest.yaml") -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def problems_of(path: Path) -> list:
    with pytest.raises(ManifestError) as info:
        load_manifest(path)
    assert f"invalid manifest {path.name}:" in str(info.value)
    return list(info.value.problems)


# ------------------------------------------------------------------------------------------------
# Hostile YAML (issue 10): aliases, anchors, tags, size; messages without the user's folders
# ------------------------------------------------------------------------------------------------
BOMB = """\
version: 1
datasets:
  - name: mosmed
    adapter: mosmed_ich
    path: data
    options:
      columns:
        a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
        b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
        c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
        d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
        e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
        f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
        g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
        h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
        study: [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


def test_yaml_alias_bomb_is_refused_at_its_line(tmp_path):
    (tmp_path / "data").mkdir()
    path = write(tmp_path, BOMB)
    assert path.stat().st_size < 700
    (problem,) = problems_of(path)
    assert problem.where == "data_manifest.yaml, line 8, column 12"
    assert "anchor '&a' is not allowed" in problem.message


@pytest.mark.parametrize(
    "value, message",
    [
        ("*undefined", "alias '*undefined' is not allowed"),
        ("!!python/object/apply:os.system [echo]", "tag 'tag:yaml.org,2002:python/object/apply:os.system'"),
        ("!!binary aGVsbG8=", "tag 'tag:yaml.org,2002:binary' is not allowed"),
        ("!custom 5", "tag '!custom' is not allowed"),
        ("!!set {a, b}", "tag 'tag:yaml.org,2002:set' is not allowed"),
    ],
)
def test_yaml_aliases_and_unsafe_tags_are_refused(tmp_path, value, message):
    path = write(tmp_path, f"version: 1\ndatasets:\n  - name: d\n    adapter: demo\n    description: {value}\n")
    (problem,) = problems_of(path)
    assert problem.where.startswith("data_manifest.yaml, line 5, column ") and message in problem.message


def test_plain_tags_are_allowed(tmp_path):
    path = write(tmp_path, "version: !!int 1\ndatasets:\n  - name: d\n    adapter: demo\n    description: !!str 12\n")
    assert load_manifest(path).datasets[0].description == "12"


def test_a_manifest_over_one_megabyte_is_refused_unread(tmp_path):
    path = write(tmp_path, "version: 1\ndatasets: []\n# " + "x" * 1_000_001 + "\n")
    (problem,) = problems_of(path)
    assert "expected a YAML file of at most 1,000,000 bytes" in problem.message


def test_a_path_to_a_file_says_a_folder_is_expected(tmp_path):
    (tmp_path / "cq500").mkdir()
    (tmp_path / "cq500" / "reads.csv").write_text("name\n")
    path = write(tmp_path, "version: 1\ndatasets:\n  - {name: cq, adapter: cq500, path: cq500/reads.csv}\n")
    (problem,) = problems_of(path)
    assert problem.where == "dataset 'cq' (datasets[0]), key 'path'"
    assert "'cq500/reads.csv' is a file, not a folder; expected the dataset's folder (perhaps 'cq500'" in problem.message
    assert "reads.csv/reads.csv" not in problem.message


def test_messages_name_no_absolute_path(tmp_path, monkeypatch):
    path = write(
        tmp_path,
        "version: 1\ndatasets:\n  - {name: cq, adapter: cq500, path: nowhere}\n  - {name: cq, adapter: cq500, path: x}\n",
    )
    monkeypatch.chdir(tmp_path.parent)  # the manifest is named relative to the current folder
    with pytest.raises(ManifestError) as info:
        load_manifest(path)
    text = str(info.value)
    assert f"invalid manifest {tmp_path.name}/data_manifest.yaml:" in text
    assert str(tmp_path) not in text and "'nowhere' does not exist (relative to the manifest's folder)" in text


@pytest.mark.parametrize(
    "key, value, message",
    [
        ("n_resamples", 1, "expected an integer from 200 to 100,000 bootstrap resamples"),
        ("n_resamples", 2.5, "got float 2.5"),
        ("n_resamples", True, "got bool True"),
        ("n_resamples", 10**12, "from 200 to 100,000"),
        ("seed", -1, "expected an integer >= 0"),
        ("seed", 1.5, "expected an integer >= 0"),
        ("confidence_level", 1, "between 0 and 1"),
        ("confidence_level", 0, "between 0 and 1"),
        ("confidence_level", "95%", "between 0 and 1"),
    ],
)
def test_report_settings_are_checked_against_what_the_report_needs(tmp_path, key, value, message):
    path = write(tmp_path, f"version: 1\nreport: {{{key}: {value!r}}}\ndatasets: []\n".replace("True", "true"))
    (problem,) = problems_of(path)
    assert problem.where == f"key 'report.{key}'" and message in problem.message


def test_a_date_where_text_is_expected_gets_the_quote_hint(tmp_path):
    (tmp_path / "cq").mkdir()
    path = write(tmp_path, "version: 1\ndatasets:\n  - {name: cq, adapter: cq500, path: cq, options: {model: 2024-01-01}}\n")
    (problem,) = problems_of(path)
    assert problem.where == "dataset 'cq' (datasets[0]), key 'options.model'"
    assert "got date datetime.date(2024, 1, 1) (quote it in the YAML file to make it text)" in problem.message


def test_a_manifest_path_with_a_nul_character_is_a_problem():
    with pytest.raises(ManifestError, match="NUL character"):
        load_manifest("data\x00manifest.yaml")


def test_the_fingerprint_does_not_depend_on_secret_options(tmp_path):
    from hemstats.checksums import fingerprint
    from hemstats.manifest import manifest_from_dict

    def entry(salt):
        options = {"salt": salt, "pseudonymize_ids": []}
        data = {"version": 1, "datasets": [{"name": "g", "adapter": "generic", "path": str(tmp_path), "options": options}]}
        return manifest_from_dict(data).datasets[0]

    assert fingerprint(entry("one")) == fingerprint(entry("two"))  # a published digest cannot test salt guesses


def test_to_yaml_writes_shared_values_out_and_reads_back(tmp_path):
    from hemstats.manifest import manifest_from_dict

    spec = {"file": "reads.csv", "id_column": "Exam", "findings": {"any": "ICH"}}
    data = {"version": 1, "datasets": [{"name": "g", "adapter": "generic", "enabled": False,
                                        "options": {"labels": [spec, spec]}}]}
    manifest = manifest_from_dict(data, folder=tmp_path)
    text = manifest.to_yaml()
    assert "&" not in text and "*" not in text
    assert load_manifest(write(tmp_path, text)).datasets == manifest.datasets
