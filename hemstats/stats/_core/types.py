"""The glossary of :mod:`hemstats.stats`, as types: one name per idea, one idea per name.

Every public statistic spells its options with these names and types.

=====================  ==========================================================================
name                   means
=====================  ==========================================================================
``findings=``          one finding code or a list of them (a string is never split into letters)
``by=``                grouping column(s) of the result, reported as ``subgroup``/``subgroup_value``
``level``              label granularity, ``study`` or ``slice`` (a canonical column)
``unit=``              unit of analysis: ``study``, ``patient`` or ``slice``
``cluster=``           column whose rows are resampled / sandwiched together
``interval=``          family of the interval: ``wilson``, ``delong``, ``analytic``, ``bootstrap``...
``bootstrap_method=``  ``percentile``, ``basic`` or ``bca``
``confidence_level``   the nominal level, never shortened
``rng``                ``None``, an int seed or a :class:`numpy.random.Generator` (as scipy)
``n_resamples``        bootstrap resamples (as scipy)
=====================  ==========================================================================

Method codes in results are lower-case and hyphenated (``clopper-pearson``,
``cluster-bootstrap-bca``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, TypeAlias

import numpy as np

__all__ = [
    "Level",
    "Unit",
    "BootstrapMethod",
    "ProportionInterval",
    "Findings",
    "By",
    "Seed",
    "BOOTSTRAP_METHODS",
    "LEVELS",
    "UNITS",
    "CONFIDENCE_LEVEL",
    "N_RESAMPLES",
]

#: Label granularity (the canonical ``level`` column).
Level: TypeAlias = Literal["study", "slice"]
#: Unit of analysis.
Unit: TypeAlias = Literal["study", "patient", "slice"]
#: How a bootstrap interval is read off the resampled statistics.
BootstrapMethod: TypeAlias = Literal["percentile", "basic", "bca"]
#: Intervals of one proportion.
ProportionInterval: TypeAlias = Literal["wilson", "clopper-pearson", "jeffreys", "agresti-coull", "wald", "bootstrap"]
#: One finding code or a list of them; None means every finding present.
Findings: TypeAlias = str | Sequence[str] | None
#: Grouping column(s) of a result; None means no subgroup.
By: TypeAlias = str | Sequence[str] | None
#: Randomness, as scipy takes it.
Seed: TypeAlias = int | np.random.Generator | None

LEVELS: tuple[str, ...] = ("study", "slice")
UNITS: tuple[str, ...] = ("study", "patient", "slice")
BOOTSTRAP_METHODS: tuple[str, ...] = ("percentile", "basic", "bca")
#: Default nominal level of every interval.
CONFIDENCE_LEVEL: float = 0.95
#: Default number of bootstrap resamples.
N_RESAMPLES: int = 2000
