"""The Provenance chapter's tables: the build, the software, the settings and the fingerprints.

They read the build's :class:`~hemstats.report.context.ReportContext` (its time, command,
manifest and fingerprints); none of the CSV tables holds a time or a path of the machine.

Examples
--------
>>> from hemstats.report.context import ReportContext
>>> ctx = ReportContext.example("/home/someone/site", seed=7)
>>> build(ctx).to_dict("list")["value"]
['1970-01-01T00:00:00Z', '(built-in)', 'site']
>>> settings(ctx).to_dict("list")
{'setting': ['seed', 'confidence_level', 'n_resamples'], 'value': ['7', '0.95', '2000']}
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from hemstats.report.pages import KEY_PACKAGES, versions_table
from hemstats.report.sections import statistical_analysis

if TYPE_CHECKING:
    from hemstats.report.context import ReportContext

__all__ = ["build", "versions", "settings", "fingerprints", "how_to_cite"]


def build(ctx: ReportContext) -> pd.DataFrame:
    """When and from what the report was built: ``item, value`` (names only, never a folder above them).

    Shown, not saved: the build time would make two builds' CSVs differ.
    """
    manifest = ctx.manifest_path.name if ctx.manifest_path else "(built-in)"
    return pd.DataFrame({"item": ["built at (UTC)", "manifest", "report folder"],
                         "value": [ctx.built_at, manifest, ctx.out.name]})


def versions(ctx: ReportContext | None = None) -> pd.DataFrame:
    """Python and the versions of :data:`~hemstats.report.pages.KEY_PACKAGES`: ``package, version``."""
    return versions_table(KEY_PACKAGES)


def settings(ctx: ReportContext) -> pd.DataFrame:
    """The report settings every table used: ``setting, value`` (values as text, exactly)."""
    return pd.DataFrame({
        "setting": ["seed", "confidence_level", "n_resamples"],
        "value": [str(ctx.seed), repr(ctx.confidence_level), str(ctx.n_resamples)],
    })


def fingerprints(ctx: ReportContext) -> pd.DataFrame:
    """Per dataset, the loader's source fingerprint and the SHA-256 of its tables: ``dataset, fingerprint, sha256``."""
    rows = [(d, kind, value) for d, f in ctx.fingerprints.items() for kind, value in f.items()]
    return pd.DataFrame(rows, columns=["dataset", "fingerprint", "sha256"])


def how_to_cite(ctx: ReportContext | None = None) -> str:
    """How to cite hemstats (the message of ``CITATION.cff`` and the shipped reference), plain text.

    Examples
    --------
    >>> how_to_cite().startswith("If you use hemstats in a publication")
    True
    """
    return statistical_analysis.how_to_cite()
