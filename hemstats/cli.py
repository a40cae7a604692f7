"""The ``hemstats`` command: a thin layer over the public API.

Commands::

    hemstats validate [MANIFEST]          list every problem of a manifest and its data
    hemstats report [MANIFEST] [--out D]  build the HTML report; prints index.html last
    hemstats demo --out DIR [...]         write the demo cohort's tables
    hemstats adapters [NAME...]           list every adapter and its manifest options

MANIFEST defaults to ``./data_manifest.yaml`` when it exists, else the built-in,
demo-only manifest.  A :class:`~hemstats.errors.HemstatsError` prints as one line
``error: ...`` (no traceback) and exits with status 1; an unexpected exception prints
one line asking to report it, with the path of a log holding its traceback, and exits
with status 2; usage errors exit with status 2.
"""

from __future__ import annotations

import datetime as _dt
import os
import shlex
import tempfile
import traceback
from pathlib import Path
from typing import Any

import click

from hemstats.errors import HemstatsError

__all__ = ["main", "DEFAULT_MANIFEST_NAME"]

#: The manifest used when none is given, if it exists in the current directory.
DEFAULT_MANIFEST_NAME = "data_manifest.yaml"


def _one_line(exc: BaseException) -> str:
    """The message of ``exc`` on one line: a build failure's summary, or its lines joined.

    Examples
    --------
    >>> _one_line(HemstatsError("invalid manifest m.yaml: 2 problems\\n  - a: bad\\n  - b: worse"))
    'invalid manifest m.yaml: 2 problems: a: bad; b: worse'
    """
    summary = getattr(exc, "summary", None)
    if isinstance(summary, str) and summary.strip():
        return " ".join(summary.split())
    lines = [" ".join(line.strip().removeprefix("- ").split()) for line in str(exc).splitlines()]
    lines = [line for line in lines if line]
    if not lines:
        return type(exc).__name__
    return lines[0] + (": " + "; ".join(lines[1:]) if len(lines) > 1 else "")


def _crash_log(exc: BaseException) -> str:
    """Write the traceback of an unexpected exception to a new log file; return its path."""
    from hemstats import __version__

    stamp = _dt.datetime.now(_dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    fd, path = tempfile.mkstemp(prefix=f"hemstats-error-{stamp}-", suffix=".log")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(f"hemstats {__version__}\n")
        fh.write("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
    return path


class _Group(click.Group):
    """A group that ends a HemstatsError with one ``error:`` line and status 1, anything else with status 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except HemstatsError as exc:
            click.echo(f"error: {_one_line(exc)}", err=True)
            ctx.exit(1)
        except Exception as exc:
            log = _crash_log(exc)
            message = _one_line(exc)
            detail = f"{type(exc).__name__}: {message}" if message != type(exc).__name__ else message
            click.echo(
                f"error: unexpected {detail} (a bug in hemstats: please report it with the log {log})", err=True
            )
            ctx.exit(2)


def _manifest_arg(manifest: Path | None) -> Path | None:
    """The manifest given, else ./data_manifest.yaml if present, else None (built-in)."""
    if manifest is not None:
        return manifest
    default = Path(DEFAULT_MANIFEST_NAME)
    return default if default.is_file() else None


def _describe(manifest: Path | None) -> str:
    return str(manifest) if manifest is not None else "built-in manifest"


_MANIFEST = click.argument("manifest", required=False, type=click.Path(path_type=Path))


def _version() -> str:
    from hemstats import __version__

    return __version__


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(version=_version(), prog_name="hemstats", message="%(prog)s %(version)s")
def main() -> None:
    """Statistics of head-CT intracranial hemorrhage datasets.

    MANIFEST (for validate and report) defaults to ./data_manifest.yaml when it
    exists, else the built-in manifest, which covers only the demo cohort.
    """


@main.command()
@_MANIFEST
@click.pass_context
def validate(ctx: click.Context, manifest: Path | None) -> None:
    """Check MANIFEST and its data; print every problem, one per line.

    Exits with status 1 when there is any problem, else prints one OK line.
    """
    from hemstats.loading import validate as _validate
    from hemstats.manifest import load_manifest

    path = _manifest_arg(manifest)
    problems = _validate(path, progress=False)
    if problems:
        for problem in problems:
            click.echo(str(problem))
        n = len(problems)
        click.echo(f"{_describe(path)}: {n} problem{'s' * (n != 1)}", err=True)
        ctx.exit(1)
    m = load_manifest(path)
    n_enabled, n_all = len(m.enabled), len(m.datasets)
    names = ", ".join(e.name for e in m.enabled)
    click.echo(
        f"OK {_describe(path)}: {n_enabled} dataset{'s' * (n_enabled != 1)} enabled"
        f" of {n_all} ({names})"
    )


@main.command()
@_MANIFEST
@click.option(
    "--out",
    "-o",
    default="_build/report",
    show_default=True,
    type=click.Path(path_type=Path),
    help="Build folder: a new or empty folder, or one an earlier build made (rebuilding there "
    "reuses executed chapters). Any other non-empty folder is refused.",
)
@click.option("--progress/--no-progress", default=True, show_default=True, help="Show the build steps on stderr.")
def report(manifest: Path | None, out: Path, progress: bool) -> None:
    """Build the HTML report of MANIFEST's datasets.

    Prints the path of index.html as the last line.  A chapter that fails ends the
    command with one line naming the chapter and its exception, and the path of the
    full log.
    """
    from hemstats.report import build_report

    path = _manifest_arg(manifest)
    # the Provenance page shows the command with file names only (no folders of this machine)
    args = ["hemstats", "report"] + ([path.name] if path is not None else []) + ["--out", out.name or str(out)]
    index = build_report(path, out=out, progress=progress, command=shlex.join(args))
    click.echo(str(index))


@main.command()
@click.option(
    "--out",
    "-o",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write the tables and cohort.json into (created).",
)
@click.option("--seed", default=0, show_default=True, type=int, help="Seed of the simulation.")
@click.option(
    "--n-studies", default=1200, show_default=True, type=click.IntRange(min=1), help="Number of studies."
)
@click.option(
    "--format",
    "fmt",
    default="parquet",
    show_default=True,
    type=click.Choice(["parquet", "csv"]),
    help="Table file format.",
)
def demo(out: Path, seed: int, n_studies: int, fmt: str) -> None:
    """Write the seeded demo cohort's tables (Cohort.to_dir) into OUT."""
    from hemstats.datasets import demo as _demo

    cohort = _demo.load(n_studies=n_studies, seed=seed)
    written = cohort.to_dir(out, format=fmt)  # type: ignore[arg-type]
    counts = cohort.counts()
    sizes = ", ".join(f"{r.table} {r.rows}" for r in counts.itertuples(index=False))
    click.echo(f"demo cohort (seed {seed}): {sizes}")
    click.echo(str(written))


def adapter_table(name: str, *, markdown: bool = False) -> str:
    """The options of adapter ``name`` (from its code), as aligned text or a Markdown table.

    Parameters
    ----------
    name : str
        An adapter name (a key of :data:`hemstats.datasets.ADAPTERS`).
    markdown : bool
        A Markdown table (the README's) instead of plain text.

    Returns
    -------
    str
        A heading line (the adapter's name and summary) and one row per option: name,
        type, default and one-line help.

    Raises
    ------
    AdapterError
        An unknown adapter name.

    Examples
    --------
    >>> print(adapter_table("cq500", markdown=True).splitlines()[4])
    | `reads_file` | text | `reads.csv` | The three-reader table, relative to root. |
    """
    import importlib

    from hemstats._adapter_options import adapter_options
    from hemstats.datasets import ADAPTERS, get_adapter

    fn = get_adapter(name)
    summary = ((importlib.import_module(ADAPTERS[name]).__doc__ or "").strip().splitlines() or [""])[0]
    options = adapter_options(fn)
    if markdown:
        cell = lambda text: text.replace("|", "\\|")
        lines = [f"**`{name}`**: {cell(summary)}", "", "| option | type | default | help |", "|---|---|---|---|"]
        lines += [f"| `{o.name}` | {cell(o.type)} | `{cell(o.default)}` | {cell(o.help)} |" for o in options]
        if not options:
            lines.append("| (none) | | | |")
        return "\n".join(lines)
    lines = [f"{name}: {summary}"]
    if not options:
        return "\n".join([*lines, "  (no options)"])
    width = max(len(o.name) for o in options)
    for o in options:
        lines.append(f"  {o.name:<{width}}  {o.type}; default {o.default}")
        lines.append(f"  {'':<{width}}  {o.help}")
    return "\n".join(lines)


@main.command()
@click.argument("names", nargs=-1, metavar="[NAME]...")
@click.option("--markdown", is_flag=True, help="Markdown tables (as in the README) instead of text.")
def adapters(names: tuple[str, ...], markdown: bool) -> None:
    """List every dataset adapter and its manifest options (or only NAME's).

    The options are read from each adapter's code: name, type, default and a
    one-line description.  A manifest entry sets them under `options:`; `hemstats
    validate` checks them against the same types.
    """
    from hemstats.datasets import ADAPTERS

    unknown = [n for n in names if n not in ADAPTERS]
    if unknown:
        raise click.BadParameter(
            f"unknown adapter {unknown[0]!r}; known adapters: {', '.join(ADAPTERS)}", param_hint="NAME"
        )
    blocks = [adapter_table(n, markdown=markdown) for n in (names or tuple(ADAPTERS))]
    click.echo("\n\n".join(blocks))


if __name__ == "__main__":  # pragma: no cover
    main()
