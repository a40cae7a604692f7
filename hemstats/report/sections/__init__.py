"""Each chapter's tables, computed without a book build so they are unit-tested.

One module per chapter (``cohort``, ``prevalence``, ``agreement``, ``performance``,
``acquisition``...).  A section function takes the build's :class:`Settings` (or the chapter's
:class:`~hemstats.report.context.ReportContext`, which has the same attributes) and returns
the table(s) the chapter shows; the chapter's cells only call it, save and show the result.
Each table draws its randomness from its own stream, ``settings.rng("<chapter>/<table>")``,
so adding a dataset or a table never changes another table's intervals.

Examples
--------
>>> from hemstats.datasets import demo
>>> settings = Settings(demo.load(n_studies=40), seed=1)
>>> a = settings.rng("performance/auc").random()
>>> a == settings.rng("performance/auc").random(), a == settings.rng("prevalence/by_dataset").random()
(True, False)
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np

if TYPE_CHECKING:
    from hemstats.cohort import Cohort

__all__ = ["Settings", "SectionInputs", "stream", "stream_entropy"]


def stream_entropy(seed: int, name: str) -> list[int]:
    """The seed sequence of stream ``name`` under root ``seed``: ``[seed, crc32(name)]``.

    Examples
    --------
    >>> stream_entropy(1, "kappa_coverage")
    [1, 3102330932]
    """
    return [int(seed), zlib.crc32(name.encode())]


def stream(seed: int, name: str) -> np.random.Generator:
    """The random generator of table ``name`` under root ``seed``: ``default_rng(stream_entropy(seed, name))``.

    The one definition of the report's random streams: :meth:`Settings.rng`,
    :meth:`hemstats.report.context.ReportContext.rng` and the coverage tables of
    :mod:`hemstats.report.validation` all draw from it.
    """
    return np.random.default_rng(stream_entropy(seed, name))


class SectionInputs(Protocol):
    """What a section function reads: the cohort, the interval settings, the root seed and a stream per table."""

    @property
    def cohort(self) -> Cohort: ...

    @property
    def confidence_level(self) -> float: ...

    @property
    def n_resamples(self) -> int: ...

    @property
    def seed(self) -> int: ...

    def rng(self, name: str) -> np.random.Generator: ...


@dataclass(frozen=True)
class Settings:
    """A report build's inputs as section functions see them (for tests and notebooks).

    Parameters
    ----------
    cohort : Cohort
        The cohort of the report.
    confidence_level : float, default 0.95
    n_resamples : int, default 2000
    seed : int, default 0
        Root seed; table ``name`` draws from :func:`stream` ``(seed, name)``.
    """

    cohort: Cohort
    confidence_level: float = 0.95
    n_resamples: int = 2000
    seed: int = 0

    def rng(self, name: str) -> np.random.Generator:
        """The generator of table ``name`` (e.g. ``"performance/auc"``)."""
        return stream(self.seed, name)
