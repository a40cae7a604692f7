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
    summary : str
        The message's first line: what failed and why, and where the full log is.
    chapter : str or None
        The chapter (page name) whose execution failed, when one did.
    reason : str or None
        That chapter's exception, ``"Type: message"``.
    """

    def __init__(
        self, message: str, *, log: object = None, chapter: str | None = None, reason: str | None = None
    ) -> None:
        super().__init__(message)
        self.log = log
        self.summary = message.splitlines()[0] if message else ""
        self.chapter = chapter
        self.reason = reason
