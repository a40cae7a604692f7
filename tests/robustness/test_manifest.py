"""Bad manifests end in one clear HemstatsError naming the key, and never touch their files.

Each case writes a manifest (and a small data folder) into tmp_path, freezes them, then
checks that :func:`hemstats.validate` lists a problem naming the key without raising and
that :func:`hemstats.load` raises a :class:`~hemstats.errors.ManifestError` (or the
adapter's HemstatsError) whose message names it.
"""

from __future__ import annotations

import re
import time

import pytest

from hemstats.errors import HemstatsError, ManifestError
from hemstats.loading import load, validate

HEAD = "version: 1\ndatasets:\n"
DEMO = "  - name: demo\n    adapter: demo\n    options: {n_studies: 30}\n"


def one(entry: str) -> str:
    """A manifest with one dataset entry (flow mapping text)."""
    return HEAD + f"  - {{{entry}}}\n"


def report(settings: str) -> str:
    return f"version: 1\nreport: {{{settings}}}\ndatasets:\n" + DEMO


BOMB = HEAD + (
    "  - name: c\n    adapter: cq500\n    path: data/cq500\n    options:\n      model:\n"
    '        a: &a ["x","x","x","x","x","x","x","x","x"]\n'
    + "".join(f"        {n}: &{n} [{', '.join([f'*{p}'] * 9)}]\n" for p, n in zip("abcdefg", "bcdefgh"))
)

R = re.escape
CASES: dict[str, tuple[str | bytes, str]] = {
    # top level
    "version as text": ('version: "1"\ndatasets:\n' + DEMO, R("key 'version'")),
    "version 2": ("version: 2\ndatasets:\n" + DEMO, R("key 'version': unsupported manifest version 2")),
    "version true": ("version: true\ndatasets:\n" + DEMO, R("key 'version'")),
    "version missing": ("datasets:\n" + DEMO, R("key 'version': required key is missing")),
    "report a list": ("version: 1\nreport: [1, 2]\ndatasets:\n" + DEMO, R("key 'report': expected a mapping")),
    "report text": ("version: 1\nreport: fast\ndatasets:\n" + DEMO, R("key 'report': expected a mapping")),
    "datasets a mapping": ("version: 1\ndatasets: {demo: demo}\n", R("key 'datasets': expected a list")),
    "datasets text": ("version: 1\ndatasets: demo\n", R("key 'datasets': expected a list")),
    "datasets missing": ("version: 1\n", R("key 'datasets': required key is missing")),
    "datasets empty": ("version: 1\ndatasets: []\n", R("key 'datasets': no dataset is enabled")),
    "unknown top key": ("version: 1\ndataset: []\ndatasets:\n" + DEMO, R("key 'dataset': unknown key; did you mean")),
    # report options
    "title a number": (report("title: 5"), R("key 'report.title': expected non-empty text")),
    "title empty": (report("title: ''"), R("key 'report.title'")),
    "title two lines": (report('title: "a\\nb"'), R("key 'report.title': expected one line")),
    "title too long": (report("title: " + "t" * 201), R("key 'report.title': expected one line of at most 200")),
    "n_resamples 0": (report("n_resamples: 0"), R("key 'report.n_resamples': expected an integer from 200")),
    "n_resamples 1": (report("n_resamples: 1"), R("key 'report.n_resamples'")),
    "n_resamples 2.5": (report("n_resamples: 2.5"), R("key 'report.n_resamples'") + ".*float 2.5"),
    "n_resamples true": (report("n_resamples: true"), R("key 'report.n_resamples'") + ".*bool True"),
    "n_resamples text": (report("n_resamples: x"), R("key 'report.n_resamples'") + ".*str 'x'"),
    "n_resamples 10**12": (report(f"n_resamples: {10**12}"), R("key 'report.n_resamples'")),
    "confidence_level 0": (report("confidence_level: 0"), R("key 'report.confidence_level'")),
    "confidence_level 1": (report("confidence_level: 1"), R("key 'report.confidence_level'")),
    "confidence_level 1.5": (report("confidence_level: 1.5"), R("key 'report.confidence_level'")),
    "confidence_level 95%": (report("confidence_level: 95%"), R("key 'report.confidence_level'")),
    "confidence_level nan": (report("confidence_level: .nan"), R("key 'report.confidence_level'")),
    "seed negative": (report("seed: -1"), R("key 'report.seed': expected an integer >= 0")),
    "seed text": (report("seed: abc"), R("key 'report.seed'")),
    "seed float": (report("seed: 1.5"), R("key 'report.seed'")),
    "unknown report key": (report("n_resample: 500"), R("key 'report.n_resample': unknown key; did you mean")),
    # dataset entries
    "unknown entry key": (one("name: demo, adaptor: demo"), R("key 'adaptor': unknown key; did you mean 'adapter'")),
    "name missing": (one("adapter: demo"), R("datasets[0], key 'name': required key is missing")),
    "name a number": (one("name: 5, adapter: demo"), R("datasets[0], key 'name': expected text")),
    "name with spaces": (one("name: 'my data!', adapter: demo"), R("key 'name': invalid name")),
    "duplicate names": (HEAD + DEMO + DEMO, R("key 'name': duplicate dataset name")),
    "adapter missing": (one("name: demo"), R("key 'adapter': required key is missing")),
    "adapter unknown": (one("name: c, adapter: cq50, path: data/cq500"), R("key 'adapter': unknown adapter 'cq50'")),
    "adapter a list": (one("name: c, adapter: [cq500]"), R("key 'adapter': expected an adapter name")),
    "enabled text": (one("name: demo, adapter: demo, enabled: 'yes'"), R("key 'enabled': expected true or false")),
    "path a number": (one("name: c, adapter: cq500, path: 5"), R("key 'path': expected a folder path as text")),
    "path empty": (one("name: c, adapter: cq500, path: ''"), R("key 'path': empty path")),
    "path missing": (one("name: c, adapter: cq500"), R("key 'path': required for an enabled dataset")),
    "path to nothing": (one("name: c, adapter: cq500, path: data/none"), R("key 'path': 'data/none' does not exist")),
    "path to a file": (one("name: c, adapter: cq500, path: data/cq500/reads.csv"), R("key 'path'") + ".*is a file"),
    "demo with a path": (one("name: demo, adapter: demo, path: data"), R("key 'path': the 'demo' adapter")),
    "options a list": (one("name: demo, adapter: demo, options: [1]"), R("key 'options': expected a mapping")),
    "option named name": (one("name: demo, adapter: demo, options: {name: x}"), R("key 'options.name'")),
    "option not an identifier": (one("name: demo, adapter: demo, options: {n-studies: 5}"), R("key 'options.n-studies'")),
    "licence a number": (one("name: demo, adapter: demo, licence: 4.0"), R("key 'licence': expected text")),
    "source a list": (one("name: demo, adapter: demo, source: [a]"), R("key 'source': expected text")),
    # checksums
    "checksums text": (one("name: c, adapter: cq500, path: data/cq500, checksums: abc"), R("key 'checksums'")),
    "checksum not hex": (
        one("name: c, adapter: cq500, path: data/cq500, checksums: {files: {reads.csv: xyz}}"),
        R("key 'checksums.files', file 'reads.csv': expected a SHA-256 digest"),
    ),
    "checksum digest a number": (
        one("name: c, adapter: cq500, path: data/cq500, checksums: {files: {reads.csv: 12}}"),
        R("file 'reads.csv': expected a SHA-256 digest"),
    ),
    "checksum path escapes": (
        one(f"name: c, adapter: cq500, path: data/cq500, checksums: {{files: {{../x: '{'a' * 64}'}}}}"),
        R("file '../x': expected a path relative to the dataset folder"),
    ),
    "checksum tree without digest": (
        one("name: c, adapter: cq500, path: data/cq500, checksums: {tree: {pattern: '**/*'}}"),
        R("key 'checksums.tree.sha256': required key is missing"),
    ),
    "checksum unknown key": (
        one("name: c, adapter: cq500, path: data/cq500, checksums: {filez: {}}"),
        R("key 'checksums.filez': unknown key"),
    ),
    "checksum on the demo": (
        one(f"name: demo, adapter: demo, checksums: {{files: {{a: '{'a' * 64}'}}}}"),
        R("key 'checksums': the 'demo' adapter has no files"),
    ),
    "checksum mismatch": (
        one(f"name: c, adapter: cq500, path: data/cq500, checksums: {{files: {{reads.csv: '{'a' * 64}'}}}}"),
        R("file 'reads.csv': sha256 is"),
    ),
    "checksum of a missing file": (
        one(f"name: c, adapter: cq500, path: data/cq500, checksums: {{files: {{gone.csv: '{'a' * 64}'}}}}"),
        R("file 'gone.csv': not found"),
    ),
    # YAML itself
    "anchor": (HEAD + "  - &d {name: demo, adapter: demo}\n", R("line 3, column 5: YAML anchor '&d' is not allowed")),
    "alias": (HEAD + "  - {name: demo, adapter: demo, description: *x}\n", R("YAML alias '*x' is not allowed")),
    "python tag": (HEAD + "  - !!python/object:os.system {}\n", R("YAML tag 'tag:yaml.org,2002:python/object:os.")),
    "local tag": (HEAD + "  - {name: demo, adapter: !adapter demo}\n", R("line 3") + ".*" + R("YAML tag '!adapter'")),
    "timestamp tag": (HEAD + "  - {name: demo, adapter: demo, source: !!timestamp 2024-01-01}\n", R("YAML tag")),
    "alias bomb": (BOMB, R("line 8, column 12: YAML anchor '&a' is not allowed")),
    "syntax error": (HEAD + "  - name: demo\n   adapter: [demo\n", r"line \d+, column \d+: YAML syntax error"),
    "key written twice": (HEAD + "  - {name: demo, adapter: demo, adapter: demo, options: {n_studies: 30}}\n", R("key 'adapter': key written twice")),
    "non-UTF-8 bytes": (b"version: 1\ndatasets:\n  - {name: d\xe9mo, adapter: demo}\n", R("not UTF-8 text")),
    "empty file": ("", R("the manifest is empty")),
    "only a comment": ("# nothing yet\n", R("the manifest is empty")),
    "a list": ("- version: 1\n- datasets: []\n", R("expected a mapping with keys version, report, datasets")),
    "a scalar": ("data_manifest\n", R("expected a mapping with keys version, report, datasets")),
    "over one megabyte": (HEAD + DEMO + "#" + "x" * 1_000_001 + "\n", R("at most 1,000,000 bytes")),
    "deeply nested": ("version: 1\ndatasets:\n" + DEMO + "    description: " + "[" * 200 + "]" * 200 + "\n", R("line 6, column ") + ".*" + R("YAML nested more than 64 levels deep")),
}

#: Adapter options of the wrong type, at least one per adapter (issue 10).
OPTIONS = {
    "cq500 predictions_file 5": ("cq500", "{predictions_file: 5}", "options.predictions_file"),
    "cq500 model list": ("cq500", "{model: [a, b]}", "options.model"),
    "cq500 reads_file null": ("cq500", "{reads_file: null}", "options.reads_file"),
    "mosmed columns study 5": ("mosmed_ich", "{columns: {study: 5}}", "options.columns.study"),
    "mosmed sheet float": ("mosmed_ich", "{sheet: 1.5}", "options.sheet"),
    "mosmed progress text": ("mosmed_ich", "{progress: 'no'}", "options.progress"),
    "bhsd image_dirs text": ("bhsd", "{image_dirs: imagesTr}", "options.image_dirs"),
    "bhsd mask_dirs numbers": ("bhsd", "{mask_dirs: [1, 2]}", "options.mask_dirs[0]"),
    "physionet blank_flags zero": ("physionet_ct_ich", "{blank_flags: zero}", "options.blank_flags"),
    "physionet ct_dir list": ("physionet_ct_ich", "{ct_dir: [a]}", "options.ct_dir"),
    "kaggle verify text": ("kaggle_head_ct", "{verify: 'yes'}", "options.verify"),
    "kaggle image_dir number": ("kaggle_head_ct", "{image_dir: 3}", "options.image_dir"),
    "rsna labels_file list": ("rsna_ich", "{labels_file: [a.csv]}", "options.labels_file"),
    "rsna salt number": ("rsna_ich", "{salt: 42}", "options.salt"),
    "hemorica hash_ids text": ("hemorica", "{hash_ids: 'no'}", "options.hash_ids"),
    "hemorica slice_tables numbers": ("hemorica", "{slice_tables: [1]}", "options.slice_tables"),
    "generic pseudonymize_ids text": ("generic", "{pseudonymize_ids: study_id}", "options.pseudonymize_ids"),
    "generic labels number": ("generic", "{labels: 5}", "options.labels"),
    "demo n_studies text": ("demo", "{n_studies: x}", "n_studies"),
    "unknown cq500 option": ("cq500", "{modle: x}", "options.modle': adapter 'cq500': unknown option; did you mean"),
    "unknown bhsd option": ("bhsd", "{split: x}", "options.split'"),
    "unknown demo option": ("demo", "{n_studis: 5}", "options.n_studis"),
}
for _case, (_adapter, _options, _key) in OPTIONS.items():
    _path = "" if _adapter == "demo" else ", path: data/cq500"
    CASES[f"option: {_case}"] = (one(f"name: d, adapter: {_adapter}{_path}, options: {_options}"), R(_key))


@pytest.fixture()
def project(tmp_path, frozen_inputs):
    """A manifest folder with a small CQ500-like data folder; returns a writer of the manifest."""
    data = tmp_path / "data" / "cq500"
    data.mkdir(parents=True)
    (data / "reads.csv").write_text("name,Category,R1:ICH\nCQ500-CT-1,B1,1\n")

    def write(content: str | bytes):
        path = tmp_path / "data_manifest.yaml"
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
        frozen_inputs(tmp_path)
        return path

    return write


@pytest.mark.parametrize("content, match", list(CASES.values()), ids=list(CASES))
def test_a_bad_manifest_is_one_clear_error_naming_the_key(project, tmp_path, content, match):
    path = project(content)
    start = time.perf_counter()
    problems = validate(path, progress=False)  # never raises
    assert problems and any(re.search(match, str(p)) for p in problems), [str(p) for p in problems]
    with pytest.raises(HemstatsError, match=match) as info:
        load(path, progress=False)
    assert time.perf_counter() - start < 60  # a bomb would take minutes or exhaust memory
    text = str(info.value) + "".join(str(p) for p in problems)
    assert str(tmp_path) not in text  # no folder of the user's machine in a message


@pytest.mark.parametrize("given", ["folder", "missing"])
def test_a_manifest_path_that_is_not_a_file(tmp_path, given):
    path = tmp_path if given == "folder" else tmp_path / "nothing.yaml"
    with pytest.raises(ManifestError, match="is a folder" if given == "folder" else "manifest file not found"):
        load(path, progress=False)


def test_there_are_at_least_forty_cases():
    assert len(CASES) >= 40
