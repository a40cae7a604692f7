"""Exceptions raised by hemstats.

Every error is a :class:`HemstatsError`, so ``except HemstatsError`` catches all of
them, and each message names the file, table, row or column at fault and what
was expected instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "HemstatsError",
    "Problem",
    "SchemaError",
    "ManifestError",
    "ChecksumError",
    "AdapterError",
    "DataFormatError",
    "UnknownFindingError",
    "ManifestWarning",
    "InputError",
    "OneClassError",
    "JoinError",
    "FigureOptionError",
    "ReportError",
    "ReportBuildError",
]


class HemstatsError(Exception):
    """Base class of every error hemstats raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, located as precisely as possible.

    Parameters
    ----------
    where : str
        What holds the problem: ``"labels.value"``, ``"dataset 'cq500', key 'path'"``
        or a file path.
    message : str
        What was found and what was expected.
    """

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


class _ProblemsError(HemstatsError):
    """An error that carries every problem found in one pass."""

    def __init__(self, problems: Sequence[Problem], *, header: str) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        lines = [header] + [f"  - {p}" for p in self.problems]
        super().__init__("\n".join(lines))


class SchemaError(_ProblemsError, ValueError):
    """A cohort table breaks the canonical schema (column, dtype, value or key)."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        n = len(problems)
        super().__init__(problems, header=f"invalid cohort: {n} problem{'s' * (n != 1)}")


class ManifestError(_ProblemsError, ValueError):
    """The data manifest is malformed, or names something that does not exist."""

    def __init__(self, problems: Sequence[Problem], *, path: object = None) -> None:
        n = len(problems)
        src = f" {path}" if path is not None else ""
        super().__init__(problems, header=f"invalid manifest{src}: {n} problem{'s' * (n != 1)}")


class ChecksumError(ManifestError):
    """A file's digest differs from the checksum the manifest records."""


class AdapterError(HemstatsError, LookupError):
    """No dataset adapter is registered under the requested name."""


class DataFormatError(HemstatsError, ValueError):
    """A dataset file does not have the layout its adapter expects.

    The message names the file (and row or column where known).
    """


class UnknownFindingError(HemstatsError, KeyError):
    """A dataset label has no mapping onto the hemstats finding vocabulary."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class ManifestWarning(UserWarning):
    """Something in a manifest's data that the report can show but that deserves a look.

    ``hemstats validate`` warns (it does not fail) e.g. when many studies of a dataset
    lack a label of a finding the dataset otherwise labels.
    """


class InputError(HemstatsError, ValueError):
    """A statistic's input or option is unusable: the message names the argument, column, row or
    option and what was expected.  Every function of :mod:`hemstats.stats` raises this one type."""


class OneClassError(InputError):
    """The labels hold one class only, so a two-class statistic (AUC, sensitivity...) is undefined."""


class JoinError(InputError):
    """Predictions and labels do not join (no prediction has a reference label)."""


class FigureOptionError(HemstatsError, ValueError):
    """An option of a figure helper (style, size or export) has a value it cannot use."""


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
