"""Errors of the report builder (all :class:`~hemstats.errors.HemstatsError`)."""

from __future__ import annotations

from hemstats.errors import HemstatsError

__all__ = ["ReportError", "ReportBuildError"]


class ReportError(HemstatsError):
    """The report cannot be built or a chapter helper was used outside a report build."""


class ReportBuildError(ReportError, RuntimeError):
    """Jupyter Book (Sphinx or a chapter notebook) failed; the message ends with its log's tail.

    Attributes
    ----------
    log : pathlib.Path or None
        The full build log.
    """

    def __init__(self, message: str, *, log: object = None) -> None:
        super().__init__(message)
        self.log = log
