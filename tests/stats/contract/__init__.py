"""The cases of the contract every public statistic meets (run by tests/stats/test_common.py).

Each family lists its statistics in its own module (descriptive.py, reliability.py,
diagnostic.py, acquisition.py, coverage.py) as :class:`Case` objects in a ``CASES`` list.
A new statistic gets the whole contract by adding one Case.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd


@dataclass(frozen=True)
class Case:
    """One public statistic, as the contract calls it.

    Attributes
    ----------
    func : callable
        The public function (from ``hemstats.stats``).
    columns : sequence of str
        The documented fixed columns of its result, in order.
    table : str or None
        The canonical table it takes first (``labels``, ``predictions``, ``studies``,
        ``lesions``); None for array kernels and simulations, which take no Cohort.
    keywords : sequence of str
        Other canonical tables it takes as keywords when given ``table`` rather than a Cohort.
    kwargs : mapping
        Options for a quick run on the small demo cohort (or the whole input when ``table`` is
        None).
    variants : sequence of mappings
        Option sets, each merged into ``kwargs``, that must give the same columns.
    bad : mapping
        Option name -> a value it must refuse with a HemstatsError naming the option.
    random : bool
        It takes ``rng`` (same rng, identical result).
    interval : bool
        Its rows carry ``estimate, ci_low, ci_high, confidence_level``.
    result : callable
        Turns the return value into the long result table (e.g. ``Table1.long``).
    """

    func: Callable[..., Any]
    columns: Sequence[str]
    table: str | None = None
    keywords: Sequence[str] = ()
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    variants: Sequence[Mapping[str, Any]] = ()
    bad: Mapping[str, Any] = field(default_factory=dict)
    random: bool = True
    interval: bool = True
    result: Callable[[Any], pd.DataFrame] = lambda r: r

    @property
    def id(self) -> str:
        return self.func.__name__
