"""Robustness of `hemstats report`: bad build folders, bad manifests, failing chapters, hostile text.

Every bad invocation ends with exit status 1 and ONE line ``error: ...`` naming the
folder, file or key (status 2 for an unexpected exception, with a log to report);
no user file is changed or deleted.  The slow part builds one report from a manifest
whose every text field carries HTML / script payloads, in a folder whose path holds a
fake user name, and checks the published pages and CSVs.
"""

from __future__ import annotations

import getpass
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from hemstats.cli import main
from hemstats.errors import HemstatsError, ReportError
from hemstats.report import build_report, find_book_source
from hemstats.report.outdir import MARKER

REPO = Path(__file__).resolve().parents[2]
GOOD = "version: 1\nreport:\n  title: tiny\n  n_resamples: 200\ndatasets:\n  - name: demo\n    adapter: demo\n    options: {n_studies: 30, seed: 1}\n"


@pytest.fixture()
def runner():
    return CliRunner()


def one_error_line(result, status: int = 1) -> str:
    assert result.exit_code == status, (result.exit_code, result.output, result.exception)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), lines[0]
    assert "Traceback" not in result.output
    return lines[0]


@pytest.fixture()
def project(tmp_path, monkeypatch):
    """A user's project folder, the current directory: source, a cohort and html tables of their own."""
    root = tmp_path / "project"
    for rel, text in {
        "src/x.py": "print('mine')\n",
        "cohort/a.csv": "a,b\n1,2\n",
        "html/tables/t.csv": "x\n1\n",
        "notes.txt": "keep me\n",
        "data_manifest.yaml": GOOD,
    }.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    monkeypatch.chdir(root)
    return root


# ------------------------------------------------------------------------------------------
# Build folders a report must not use
# ------------------------------------------------------------------------------------------
BAD_OUT = {
    "dot": (".", r"report folder '\.': not empty and not created by hemstats"),
    "project-subfolder": ("src", r"report folder 'src': not empty and not created by hemstats \(it holds 'x\.py'\)"),
    "a-file": ("notes.txt", r"report folder 'notes\.txt': is a file"),
    "below-a-file": ("notes.txt/site", r"report folder 'notes\.txt/site': cannot be created, 'notes\.txt' is a file"),
    "html-tables": ("html", r"report folder 'html': not empty and not created by hemstats"),
    "root": ("/", r"report folder '.*': not empty and not created by hemstats"),
    "repo-root": (str(REPO), r"report folder '.*': not empty and not created by hemstats"),
    "home": ("~", r"report folder '.*': not empty and not created by hemstats"),
}


@pytest.mark.parametrize("out, message", list(BAD_OUT.values()), ids=list(BAD_OUT))
def test_report_refuses_a_folder_it_does_not_own(runner, project, frozen_inputs, out, message):
    frozen_inputs(project)
    result = runner.invoke(main, ["report", "--out", out, "--no-progress"])
    line = one_error_line(result)
    assert re.search(message, line), line
    assert "give a new" in line or "new or empty folder" in line
    assert not (project / MARKER).exists()


def test_the_python_api_refuses_too_and_writes_nothing(project, frozen_inputs):
    frozen_inputs(project)
    with pytest.raises(ReportError, match=r"report folder '\.': not empty and not created by hemstats"):
        build_report(project / "data_manifest.yaml", out=".", progress=False)
    assert sorted(p.name for p in project.iterdir()) == ["cohort", "data_manifest.yaml", "html", "notes.txt", "src"]


@pytest.fixture()
def fake_book_run(monkeypatch):
    """Replace the Jupyter Book child process by one that writes an index page."""
    calls = []

    def run(*, src, html, doctrees, overrides, force_all, env, log, bar, jobs=1):
        calls.append(force_all)
        html.mkdir(parents=True, exist_ok=True)
        (html / "index.html").write_text("<html><body>ok</body></html>")
        log.write_text("build succeeded.\n")
        return 0

    monkeypatch.setattr("hemstats.report.jupyter_book.run_jupyter_book", run)
    monkeypatch.setattr("hemstats.report.build.source_hash", lambda: "pinned")
    return calls


def test_a_new_folder_is_marked_and_built_into_again_with_its_cache(runner, project, fake_book_run):
    for _ in range(2):
        result = runner.invoke(main, ["report", "--out", "site", "--no-progress"])
        assert result.exit_code == 0, result.output
        (project / "site" / ".jupyter_cache").mkdir(exist_ok=True)
    assert (project / "site" / MARKER).is_file()
    assert fake_book_run == [True, False]  # the second build reuses the execution cache
    assert (project / "site" / ".jupyter_cache").is_dir()
    assert (project / "src" / "x.py").read_text() == "print('mine')\n"


def test_an_empty_existing_folder_is_accepted(runner, project, fake_book_run):
    (project / "empty").mkdir()
    result = runner.invoke(main, ["report", "--out", "empty", "--no-progress"])
    assert result.exit_code == 0, result.output
    assert (project / "empty" / MARKER).is_file()


# ------------------------------------------------------------------------------------------
# Bad manifests: one line naming the file or key
# ------------------------------------------------------------------------------------------
BAD_MANIFESTS = {
    "unknown-key": (GOOD.replace("adapter: demo", "adaptor: demo"), r"key 'adaptor': unknown key"),
    "unknown-adapter": (GOOD.replace("adapter: demo", "adapter: nope"), r"key 'adapter': unknown adapter 'nope'"),
    "empty-title": (GOOD.replace("title: tiny", "title: ''"), r"key 'report\.title'"),
    "list-title": (GOOD.replace("title: tiny", "title: [a, b]"), r"key 'report\.title'"),
    "confidence-level": (GOOD.replace("title: tiny", "title: tiny\n  confidence_level: 2"),
                         r"key 'report\.confidence_level'"),
    "n-resamples": (GOOD.replace("n_resamples: 20", "n_resamples: -1"), r"key 'report\.n_resamples'"),
    "script-name": (GOOD.replace("name: demo", "name: '<script>alert(1)</script>'"), r"key 'name'"),
    "bad-yaml": ("version: 1\ndatasets: [\n", r"m\.yaml"),
    "bad-option": (GOOD.replace("seed: 1}", "seed: 1, nope: 3}"), r"nope"),
}


@pytest.mark.parametrize("text, message", list(BAD_MANIFESTS.values()), ids=list(BAD_MANIFESTS))
def test_a_bad_manifest_is_one_line_naming_the_key(runner, tmp_path, frozen_inputs, text, message):
    manifest = tmp_path / "m.yaml"
    manifest.write_text(text)
    frozen_inputs(manifest)
    result = runner.invoke(main, ["report", str(manifest), "--out", str(tmp_path / "site"), "--no-progress"])
    line = one_error_line(result)
    assert re.search(message, line), line
    assert "m.yaml" in line and str(tmp_path) not in line
    assert not (tmp_path / "site").exists()


@pytest.mark.parametrize("what", ["missing", "folder"])
def test_a_manifest_path_that_is_no_file(runner, tmp_path, what):
    path = tmp_path / "nope.yaml"
    if what == "folder":
        path.mkdir()
    result = runner.invoke(main, ["report", str(path), "--out", str(tmp_path / "site"), "--no-progress"])
    line = one_error_line(result)
    assert "nope.yaml" in line and ("not found" if what == "missing" else "is a folder") in line


# ------------------------------------------------------------------------------------------
# Failures during the build, and exceptions hemstats did not expect
# ------------------------------------------------------------------------------------------
CHAPTER_LOG = """Running Sphinx v7
{src}/prevalence.md: WARNING: Executing notebook failed: CellExecutionError
Traceback (most recent call last):
  File "/usr/lib/python3/site-packages/nbclient/client.py", line 918, in _check_raise_for_error
nbclient.exceptions.CellExecutionError: An error occurred while executing the following cell:
------------------
prev = prevalence(labels)
------------------
---------------------------------------------------------------------------
KeyError                                  Traceback (most recent call last)
Cell In[3], line 1
----> 1 prev = prevalence(labels)
KeyError: 'n_missing'

 [mystnb.exec]
build finished with problems, 2 warnings.
"""


def test_a_failing_chapter_ends_the_cli_with_one_line(runner, project, monkeypatch):
    def run(*, src, log, **kwargs):
        log.write_text(CHAPTER_LOG.format(src=src))
        return 1

    monkeypatch.setattr("hemstats.report.jupyter_book.run_jupyter_book", run)
    result = runner.invoke(main, ["report", "--out", "site", "--no-progress"])
    line = one_error_line(result)
    assert line == "error: chapter 'prevalence' failed: KeyError: 'n_missing'; full log: site/build.log"


def test_a_sphinx_failure_names_the_first_problem(runner, project, monkeypatch):
    def run(*, log, **kwargs):
        log.write_text("Running Sphinx\nWARNING: undefined label: 'nope'\nbuild finished with problems.\n")
        return 1

    monkeypatch.setattr("hemstats.report.jupyter_book.run_jupyter_book", run)
    line = one_error_line(runner.invoke(main, ["report", "--out", "site", "--no-progress"]))
    assert "exit status 1" in line and "undefined label: 'nope'" in line and "site/build.log" in line


def test_a_multi_line_hemstats_error_prints_one_line(runner, monkeypatch):
    def broken(*args, **kwargs):
        raise HemstatsError("invalid thing x.yaml: 2 problems\n  - key 'a': bad\n  - key 'b': worse")

    monkeypatch.setattr("hemstats.report.build_report", broken)
    line = one_error_line(runner.invoke(main, ["report", "--no-progress"]))
    assert line == "error: invalid thing x.yaml: 2 problems: key 'a': bad; key 'b': worse"


def test_an_unexpected_exception_asks_to_report_it_with_a_log(runner, monkeypatch):
    def broken(*args, **kwargs):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr("hemstats.report.build_report", broken)
    line = one_error_line(runner.invoke(main, ["report", "--no-progress"]), status=2)
    assert "unexpected ZeroDivisionError: division by zero" in line and "please report" in line
    log = Path(re.search(r"the log (\S+?)\)?$", line).group(1))
    assert log.is_file() and "ZeroDivisionError" in log.read_text()
    log.unlink()


@pytest.mark.parametrize("args", [[], ["validate"], ["report"], ["demo"]])
def test_every_command_has_help(runner, args):
    result = runner.invoke(main, [*args, "--help"])
    assert result.exit_code == 0 and "Usage: " in result.output


@pytest.mark.slow
def test_a_chapter_that_fails_in_a_real_build(runner, project, tmp_path, monkeypatch):
    """A real Jupyter Book run of a one-chapter book whose cell raises."""
    book = tmp_path / "book"
    book.mkdir()
    (book / "_config.yml").write_bytes((find_book_source() / "_config.yml").read_bytes())
    (book / "_toc.yml").write_text("format: jb-book\nroot: broken\n")
    (book / "broken.md").write_text(
        "---\nfile_format: mystnb\nkernelspec:\n  name: python3\n  display_name: Python 3\n---\n\n# Broken\n\n"
        "```{code-cell} python3\nfrom hemstats.errors import HemstatsError\n"
        "raise HemstatsError('labels.csv, column value: expected 0 or 1, got 7')\n```\n"
    )
    monkeypatch.setattr("hemstats.report.jupyter_book.find_book_source", lambda book_=None: book)
    line = one_error_line(runner.invoke(main, ["report", "--out", "site", "--no-progress"]))
    assert line == (
        "error: chapter 'broken' failed: HemstatsError: labels.csv, column value: expected 0 or 1, got 7; "
        "full log: site/build.log"
    )


# ------------------------------------------------------------------------------------------
# One real build from a hostile manifest in a folder holding a fake user name
# ------------------------------------------------------------------------------------------
FAKE_USER = "jdoe_private"
PAYLOADS = {
    "title": "Report <script>alert('title')</script><img src=x onerror=alert('t2')>",
    "description": "<script>alert('description')</script> <img src=x onerror=alert('d2')> `code` **b** {eval-rst}`x`",
    "licence": "<script>alert('licence')</script> [x](javascript:alert('l2')) <a href=\"javascript:alert(1)\">l</a>",
    "citation": "<img src=x onerror=alert('citation')> <svg onload=alert('c2')> ```\n</pre><script>alert('c3')</script>",
    "source": 'https://example.org/"><script>alert(\'source\')</script>',
}


def hostile_manifest() -> str:
    import yaml

    entry = {"name": "demo", "adapter": "demo", "options": {"n_studies": 60, "seed": 1}}
    entry.update({k: v for k, v in PAYLOADS.items() if k != "title"})
    data = {"version": 1, "report": {"title": PAYLOADS["title"], "n_resamples": 200}, "datasets": [entry]}
    return yaml.safe_dump(data, sort_keys=False)


#: The event handlers of the book theme's own buttons (print, full screen): the only ones allowed.
THEME_HANDLERS = {"<button onclick='window.print()'>", "<button onclick='toggleFullScreen()'>"}


class _Live(HTMLParser):
    """Scripts, event handlers and javascript: URLs that a browser would run."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.scripts: list[str] = []
        self.handlers: list[str] = []
        self.js_urls: list[str] = []
        self.tags: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "script":
            self._in_script = True
            self.scripts.append(dict(attrs).get("src") or "")
        for name, value in attrs:
            if name.lower().startswith("on"):
                self.handlers.append(f"<{tag} {name}={value!r}>")
            if value and re.match(r"^\s*javascript:", value, re.IGNORECASE):
                self.js_urls.append(f"<{tag} {name}={value!r}>")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and self.scripts:
            self.scripts[-1] += data


@pytest.fixture(scope="module")
def hostile_build(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile") / FAKE_USER
    root.mkdir()
    manifest = root / "m.yaml"
    manifest.write_text(hostile_manifest())
    out = root / "site"
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(root)
        mp.setattr("hemstats.report.build.source_hash", lambda: "pinned-for-tests")
        result = CliRunner().invoke(main, ["report", str(manifest), "--out", str(out), "--no-progress"])
    assert result.exit_code == 0, (result.output, result.exception)
    return out / "html", root


@pytest.mark.slow
def test_no_payload_becomes_a_script_a_handler_or_a_link(hostile_build):
    html, _ = hostile_build
    pages = sorted(html.rglob("*.html"))
    assert len(pages) >= 8
    for page in pages:
        live = _Live()
        live.feed(page.read_text(encoding="utf-8"))
        name = page.relative_to(html).as_posix()
        assert not [s for s in live.scripts if "alert" in s], name
        assert set(live.handlers) <= THEME_HANDLERS, (name, live.handlers)
        assert not live.js_urls, (name, live.js_urls)
        assert "svg" not in live.tags, name
        assert not [s for s in live.scripts if s.startswith(("http:", "https:", "//"))], name


@pytest.mark.slow
def test_the_payloads_are_shown_as_text(hostile_build):
    html, _ = hostile_build
    overview = (html / "overview.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(&#x27;description&#x27;)&lt;/script&gt;" in overview
    assert "&lt;script&gt;alert(&#x27;licence&#x27;)&lt;/script&gt;" in overview
    assert "&lt;script&gt;alert(&#x27;title&#x27;)&lt;/script&gt;" in overview  # the sidebar title
    assert "<title>Overview &#8212; Report &lt;script&gt;" in overview  # escaped once, not twice


@pytest.mark.slow
def test_published_files_hold_no_path_or_user_name_of_the_build_machine(hostile_build):
    html, root = hostile_build
    secrets = {FAKE_USER, str(root.parent), str(Path.home()), str(REPO), str(Path("/tmp").resolve() / "pytest-of")}
    user = getpass.getuser()
    if user != "root":
        secrets.add(user)
    files = [*html.rglob("*.html"), *html.rglob("*.csv"), *html.rglob("*.txt"), *html.rglob("*.ipynb")]
    assert any(f.name == "provenance.html" for f in files)
    for f in files:
        text = f.read_text(encoding="utf-8", errors="replace")
        found = sorted(s for s in secrets if s and s in text)
        assert not found, (f.relative_to(html).as_posix(), found)
    provenance = (html / "provenance.html").read_text(encoding="utf-8")
    assert "m.yaml" in provenance and ">site<" in provenance
    assert "hemstats report m.yaml --out site" in provenance
