"""The reproducible report: a Jupyter Book built from a data manifest.

:func:`build_report` (``hemstats report``) builds it; chapters use
:func:`~hemstats.report.context.current`, :func:`save_table`, :func:`show_table`,
:func:`show_figure`, :func:`no_data` and :func:`synthetic_banner`.  Numbers become text only here, in
:mod:`hemstats.report.format`.  Importing this package does not import Jupyter Book.
"""

from hemstats.errors import ReportBuildError, ReportError
from hemstats.report.build import build_report
from hemstats.report.chapter import no_data, save_table, show_table, synthetic_banner, table_url
from hemstats.report.context import ENV_VAR, ReportContext, current
from hemstats.report.figures import show_figure
from hemstats.report.jupyter_book import external_assets, find_book_source

__all__ = [
    "build_report",
    "find_book_source",
    "external_assets",
    "ReportContext",
    "current",
    "ENV_VAR",
    "save_table",
    "show_table",
    "show_figure",
    "table_url",
    "no_data",
    "synthetic_banner",
    "ReportError",
    "ReportBuildError",
]
