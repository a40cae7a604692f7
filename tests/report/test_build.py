"""The report builder's parts that need no Jupyter Book run (the full builds are in test_report_build.py)."""

from __future__ import annotations

import os

import pytest

from hemstats.errors import ReportBuildError, ReportError
from hemstats.report import external_assets, find_book_source
from hemstats.report.jupyter_book import log_excerpt, sync_tree


def test_the_book_source_is_found_and_complete():
    book = find_book_source()
    assert (book / "_config.yml").is_file() and (book / "_toc.yml").is_file()
    assert (book / "overview.md").is_file() and (book / "provenance.md").is_file()


def test_every_page_in_the_toc_exists():
    import yaml

    book = find_book_source()
    toc = yaml.safe_load((book / "_toc.yml").read_text())
    files = [toc["root"]] + [c["file"] for c in toc.get("chapters", [])]
    for name in files:
        assert (book / f"{name}.md").is_file() or (book / f"{name}.ipynb").is_file(), name


def test_book_config_has_no_network_features():
    import yaml

    config = yaml.safe_load((find_book_source() / "_config.yml").read_text())
    assert config["execute"]["allow_errors"] is False
    assert not any(config["launch_buttons"].get(k) for k in ("binderhub_url", "jupyterhub_url", "colab_url", "thebe"))
    extensions = config["sphinx"]["config"]["extensions"]
    assert "sphinx_thebe" not in extensions and "sphinx.ext.intersphinx" not in extensions
    # MathJax from the report itself, only what pages with math load (not the whole of
    # sphinx-mathjax-offline's 24 MB copy)
    assert "hemstats.report._sphinx" in extensions and "sphinx-mathjax-offline" not in extensions
    assert "mathjax_path" not in config["sphinx"]["config"]


def test_an_explicit_book_must_be_a_book(tmp_path):
    with pytest.raises(ReportError, match="not a Jupyter Book source"):
        find_book_source(tmp_path)
    (tmp_path / "_config.yml").write_text("title: x\n")
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: a\n")
    assert find_book_source(tmp_path) == tmp_path.resolve()


def test_sync_tree_writes_only_what_changed(tmp_path):
    src, dst = tmp_path / "src", tmp_path / "dst"
    (src / "sub").mkdir(parents=True)
    (src / "a.md").write_text("a")
    (src / "sub" / "b.md").write_text("b")
    (src / "_build").mkdir()
    (src / "_build" / "junk").write_text("x")
    assert sorted(p.name for p in sync_tree(src, dst)) == ["a.md", "b.md"]
    assert not (dst / "_build").exists()
    os.utime(dst / "a.md", ns=(1, 1))
    assert sync_tree(src, dst) == []
    assert (dst / "a.md").stat().st_mtime_ns == 1  # unchanged file left alone: Sphinx skips it
    (src / "a.md").write_text("A")
    (src / "sub" / "b.md").unlink()
    changed = sync_tree(src, dst)
    assert sorted(p.name for p in changed) == ["a.md", "b.md"]
    assert (dst / "a.md").read_text() == "A" and not (dst / "sub" / "b.md").exists()


def test_external_assets_finds_scripts_styles_and_images_not_links(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "ok.html").write_text(
        '<link rel="stylesheet" href="_static/x.css"><script src="_static/x.js"></script>'
        '<a href="https://physionet.org/">source</a><img src="data:image/png;base64,AAAA">'
    )
    (tmp_path / "sub" / "bad.html").write_text(
        '<script defer src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js"></script>'
        '<link href="//fonts.googleapis.com/css?family=Lato" rel="stylesheet"><img src="http://x.org/a.png">'
    )
    (tmp_path / "ok.css").write_text("a { background: url('img/x.png'); } b { background: url(data:x) }")
    (tmp_path / "sub" / "fonts.css").write_text(
        "@import url(https://fonts.googleapis.com/css2?family=Lato);\n"
        "@font-face { src: url('//cdn.example.org/f.woff2') }"
    )
    found = external_assets(tmp_path)
    assert sum(f.startswith("sub/fonts.css: ") for f in found) == 2
    found = [f for f in found if not f.startswith("sub/fonts.css")]
    assert len(found) == 3
    assert all(f.startswith("sub/bad.html: ") for f in found)
    assert any("fonts.googleapis.com" in f for f in found)


def test_log_excerpt_starts_at_the_first_problem(tmp_path):
    log = tmp_path / "build.log"
    lines = ["Running Sphinx", "myst-nb config execution_raise_on_error=False"]
    lines += ["[IPKernelApp] WARNING | Kernel is running over TCP"]
    lines += ["\x1b[91mWARNING: Executing notebook failed: CellExecutionError\x1b[39;49;00m"]
    lines += ["ZeroDivisionError: division by zero"] + [f"line {i}" for i in range(200)]
    lines += ["build finished with problems, 1 warning."]
    log.write_text("\n".join(lines))
    text = log_excerpt(log)
    assert text.startswith("WARNING: Executing notebook failed")
    assert "ZeroDivisionError" in text
    assert text.endswith("build finished with problems, 1 warning.")
    assert "\x1b" not in text
    assert log_excerpt(tmp_path / "missing.log") == "(no build log)"


def test_progress_notes_from_the_sphinx_log():
    from hemstats.report.jupyter_book import status_note

    assert status_note("/tmp/x/src/overview.md: Executing notebook using local CWD [mystnb]") == "executing overview"
    assert status_note("reading sources... [ 50%] provenance") == "reading sources provenance"
    assert status_note("writing output... [100%] overview") == "writing output overview"
    assert status_note("pickling environment... done") is None


def test_a_bad_manifest_lists_every_problem_before_any_build(tmp_path):
    from hemstats.errors import ManifestError
    from hemstats.report import build_report

    bad = tmp_path / "m.yaml"
    bad.write_text("version: 1\ndatasets:\n  - name: x\n    adaptor: demo\n  - name: y\n    adapter: nope\n")
    with pytest.raises(ManifestError) as info:
        build_report(bad, out=tmp_path / "out", progress=False)
    assert len(info.value.problems) == 3
    assert not (tmp_path / "out").exists()


def test_data_that_fail_to_load_are_reported_as_problems(tmp_path):
    from hemstats.errors import ManifestError
    from hemstats.report import build_report

    bad = tmp_path / "m.yaml"
    bad.write_text("version: 1\ndatasets:\n  - name: demo\n    adapter: demo\n    options: {n_studies: -5}\n")
    with pytest.raises(ManifestError, match="n_studies must be an integer"):
        build_report(bad, out=tmp_path / "out", progress=False)


MANIFEST = """version: 1
report:
  title: tiny report
  seed: {seed}
datasets:
  - name: demo
    adapter: demo
    options: {{n_studies: 40, seed: 1}}
"""


@pytest.fixture()
def fake_book_run(monkeypatch):
    """Replace the Jupyter Book child process; record how it was asked to build."""
    calls = []

    def run(*, src, html, doctrees, overrides, force_all, env, log, bar, jobs=None):
        calls.append({"force_all": force_all, "overrides": overrides, "env": env, "src": src, "jobs": jobs})
        html.mkdir(parents=True, exist_ok=True)
        (html / "index.html").write_text("<html><body>ok</body></html>")
        log.write_text("build succeeded.\n")
        return 0

    monkeypatch.setattr("hemstats.report.jupyter_book.run_jupyter_book", run)
    monkeypatch.setattr("hemstats.report.build.source_hash", lambda: "pinned")
    return calls


def test_the_execution_cache_is_kept_only_while_the_inputs_are_unchanged(tmp_path, fake_book_run):
    import json

    from hemstats.report import ENV_VAR, build_report, current

    manifest = tmp_path / "m.yaml"
    manifest.write_text(MANIFEST.format(seed=0))
    out = tmp_path / "out"
    index = build_report(manifest, out=out, progress=False, command="hemstats report m.yaml")
    assert index == (out / "html" / "index.html").resolve()
    assert fake_book_run[-1]["force_all"] is True
    ctx = current(fake_book_run[-1]["env"][ENV_VAR])
    assert (ctx.title, ctx.seed, ctx.command, ctx.synthetic) == ("tiny report", 0, "hemstats report m.yaml", ("demo",))
    assert ctx.cohort.counts().query("table == 'studies'").rows.tolist() == [40]
    assert ctx.fingerprints["demo"]["tables"] == ctx.cohort.fingerprint("demo")
    assert "Synthetic data" in fake_book_run[-1]["overrides"]["html_theme_options"]["announcement"]
    assert fake_book_run[-1]["overrides"]["nb_execution_cache_path"] == str((out / ".jupyter_cache").resolve())
    assert (out / "src" / "overview.md").is_file()

    (out / ".jupyter_cache").mkdir()
    overview_mtime = (out / "src" / "overview.md").stat().st_mtime_ns
    os.utime(out / "src" / "provenance.md", ns=(1, 1))
    build_report(manifest, out=out, progress=False)
    assert fake_book_run[-1]["force_all"] is False
    assert (out / ".jupyter_cache").is_dir()
    assert (out / "src" / "overview.md").stat().st_mtime_ns == overview_mtime  # Sphinx will not re-read it
    assert (out / "src" / "provenance.md").stat().st_mtime_ns > 1  # always runs: build time and command

    manifest.write_text(MANIFEST.format(seed=5))  # a setting the chapters depend on
    build_report(manifest, out=out, progress=False)
    assert fake_book_run[-1]["force_all"] is True
    assert not (out / ".jupyter_cache").exists()
    assert json.loads((out / "context.json").read_text())["seed"] == 5

    build_report(manifest, out=out, progress=False)
    assert fake_book_run[-1]["force_all"] is False
    (out / "html" / "index.html").unlink()  # report deleted: cached chapters would not rewrite their CSVs
    build_report(manifest, out=out, progress=False)
    assert fake_book_run[-1]["force_all"] is True


def test_a_failed_build_raises_with_the_log_and_forces_the_next_one(tmp_path, monkeypatch):
    from hemstats.report import build_report

    def run(*, log, **kwargs):
        log.write_text("Running Sphinx\nWARNING: something broke\nbuild finished with problems, 1 warning.\n")
        return 1

    monkeypatch.setattr("hemstats.report.jupyter_book.run_jupyter_book", run)
    monkeypatch.setattr("hemstats.report.build.source_hash", lambda: "pinned")
    manifest = tmp_path / "m.yaml"
    manifest.write_text(MANIFEST.format(seed=0))
    with pytest.raises(ReportBuildError, match=r"exit status 1(.|\n)*WARNING: something broke") as info:
        build_report(manifest, out=tmp_path / "out", progress=False)
    assert info.value.log == (tmp_path / "out" / "build.log").resolve()
    assert not (tmp_path / "out" / ".hemstats-digest").exists()


def test_a_page_that_needs_the_network_fails_the_build(tmp_path, monkeypatch):
    from hemstats.report import build_report

    def run(*, html, log, **kwargs):
        html.mkdir(parents=True, exist_ok=True)
        (html / "index.html").write_text('<script src="https://cdn.example.org/x.js"></script>')
        log.write_text("build succeeded.\n")
        return 0

    monkeypatch.setattr("hemstats.report.jupyter_book.run_jupyter_book", run)
    manifest = tmp_path / "m.yaml"
    manifest.write_text(MANIFEST.format(seed=0))
    with pytest.raises(ReportBuildError, match="would need the network(.|\n)*cdn.example.org"):
        build_report(manifest, out=tmp_path / "out", progress=False)


def test_a_failed_chapter_is_named_with_its_exception(tmp_path, monkeypatch):
    """Issue 10: the reason of a failed chapter is on the first line of the error, not only in build.log."""
    from hemstats.report import build_report

    def run(*, src, log, **kwargs):
        log.write_text(
            f"{src}/cohort.md: WARNING: Executing notebook failed: CellExecutionError\n"
            "nbclient.exceptions.CellExecutionError: An error occurred while executing the following cell:\n"
            "ValueError                  Traceback (most recent call last)\n"
            f"ValueError: cannot read {src}/x.csv\n\n [mystnb.exec]\n"
            f"{src}/performance.md: WARNING: Executing notebook failed: CellExecutionError\n"
            "KeyError: 'auc'\n [mystnb.exec]\nbuild finished with problems, 4 warnings.\n"
        )
        return 1

    monkeypatch.setattr("hemstats.report.jupyter_book.run_jupyter_book", run)
    monkeypatch.chdir(tmp_path)
    manifest = tmp_path / "m.yaml"
    manifest.write_text(MANIFEST.format(seed=0))
    with pytest.raises(ReportBuildError) as info:
        build_report(manifest, out=tmp_path / "out", progress=False)
    assert info.value.summary == (
        "chapter 'cohort' failed: ValueError: cannot read out/src/x.csv (and 1 more chapter); full log: out/build.log"
    )
    assert (info.value.chapter, info.value.reason) == ("cohort", "ValueError: cannot read out/src/x.csv")
    assert str(tmp_path) not in str(info.value)


def test_public_command_keeps_no_folder_of_the_machine():
    from hemstats.report.outdir import public_command

    assert public_command("hemstats report /home/jdoe/m.yaml --out /tmp/x/site") == "hemstats report m.yaml --out site"
    assert public_command("hemstats report ~/m.yaml -o=~/site") == "hemstats report m.yaml -o=site"
    assert public_command("hemstats report m.yaml --out site") == "hemstats report m.yaml --out site"
    assert public_command("hemstats report 'my data/m.yaml'") == "hemstats report 'my data/m.yaml'"


def test_tracebacks_of_failed_chapters_do_not_stay_in_the_published_folder(tmp_path, fake_book_run):
    from hemstats.report import build_report

    manifest = tmp_path / "m.yaml"
    manifest.write_text(MANIFEST.format(seed=0))
    out = tmp_path / "out"
    build_report(manifest, out=out, progress=False)
    (out / "html" / "reports").mkdir()
    (out / "html" / "reports" / "cohort.err.log").write_text(f"Traceback: {tmp_path}/x.py\n")
    build_report(manifest, out=out, progress=False)
    assert not (out / "html" / "reports").exists()


def test_the_steps_run_alone_and_the_context_round_trips(tmp_path, monkeypatch):
    """The named steps of build_report, without Jupyter Book: folder, manifest, cohort, book, context."""
    from hemstats.report import build as steps
    from hemstats.report import current

    monkeypatch.setattr("hemstats.report.build.source_hash", lambda: "pinned")
    manifest_file = tmp_path / "m.yaml"
    manifest_file.write_text(MANIFEST.format(seed=3))
    outdir = steps.check_out_dir(tmp_path / "out")
    assert not outdir.exists()  # nothing is written before the cohort loads
    manifest = steps.check_manifest(manifest_file)
    cohort = steps.load_cohort(manifest, progress=False)
    outdir = steps.write_cohort(cohort, outdir)
    src = steps.copy_book(find_book_source(), outdir)
    ctx = steps.make_context(manifest, cohort, outdir, command="hemstats report m.yaml", built_at="2000-01-01T00:00:00Z")
    assert steps.reset_cache(ctx) is True
    file = steps.write_context(ctx)
    again = current(file)
    assert again.to_dict() == ctx.to_dict() and again.src_dir == src
    assert (again.seed, again.title, again.synthetic) == (3, "tiny report", ("demo",))
    assert again.cohort.equals(cohort)
    assert again.digest == steps.make_context(manifest, cohort, outdir, command="x", built_at="y").digest
