"""The coverage tables hemstats ships: which function computes each, with which arguments.

Examples
--------
>>> SPECS["kappa_coverage"].function, SPECS["kappa_coverage"].grid
('kappa_coverage', ('n', 'prevalence'))
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from hemstats.errors import ReportError
from hemstats.report.sections import stream_entropy

__all__ = ["SEED", "DATA_DIR", "COVERAGE_TABLES", "SPECS", "CoverageSpec", "get_spec", "stream_seed"]

#: Root seed of every coverage table; each table draws from its own stream (see :func:`stream_seed`).
SEED = 20241122
#: The folder holding the shipped tables (package data): this package's own folder.
DATA_DIR: Path = Path(__file__).resolve().parent


@dataclass(frozen=True)
class CoverageSpec:
    """One coverage table: which function computes it, with which arguments.

    Attributes
    ----------
    name : str
        Table name, the CSV's file stem.
    function : str
        A function of :mod:`hemstats.stats` taking keyword arguments and ``rng``.
    parameters : mapping
        Its keyword arguments (``rng`` aside), as the shipped table used them.
    grid : tuple of str
        The arguments that form the table's grid, in the order the function loops over
        them; the first value of each is the table's first cell, which the function
        computes first, so it can be recomputed alone (:func:`first_cell`).
    columns : mapping
        For each grid argument, the table column holding its value.
    title : str
        What the table shows, for the chapter.
    """

    name: str
    function: str
    parameters: Mapping[str, Any]
    grid: tuple[str, ...] = ()
    columns: Mapping[str, str] = field(default_factory=dict)
    title: str = ""

    @property
    def n_simulations(self) -> int:
        """Simulated data sets per cell."""
        return int(self.parameters.get("n_simulations", 0))

    @property
    def n_resamples(self) -> int | None:
        """Bootstrap resamples per simulated data set (None: no bootstrap)."""
        value = self.parameters.get("n_resamples")
        return None if value is None else int(value)


def _spec(name: str, function: str, title: str, grid: Sequence[str] = (), columns: Mapping[str, str] | None = None,
          **parameters: Any) -> CoverageSpec:
    return CoverageSpec(name, function, MappingProxyType(parameters), tuple(grid),
                        MappingProxyType(dict(columns or {})), title)


#: The shipped coverage tables, in the order the chapter shows them.
SPECS: Mapping[str, CoverageSpec] = MappingProxyType({
    s.name: s
    for s in (
        _spec("proportion_coverage", "proportion_coverage",
              "Proportion (prevalence, sensitivity) intervals: simulated and exact coverage",
              grid=("intervals", "n", "prevalence"),
              columns={"intervals": "method", "n": "n", "prevalence": "prevalence"},
              intervals=("wilson", "clopper-pearson", "jeffreys", "agresti-coull"), n=(30, 100, 500),
              prevalence=(0.02, 0.1, 0.4), confidence_level=0.95, n_simulations=20_000),
        _spec("kappa_coverage", "kappa_coverage",
              "Kappa and AC1 intervals, three simulated raters with kappa 0.6",
              grid=("n", "prevalence"), columns={"n": "n", "prevalence": "prevalence"},
              n=(30, 100, 500), prevalence=(0.02, 0.1, 0.4), kappa=0.6, n_simulations=1000, n_resamples=1000,
              confidence_level=0.95),
        _spec("auc_ci_coverage", "auc_ci_coverage",
              "AUC intervals on independent binormal scores (true AUC 0.856)",
              grid=("sample_size", "prevalence"), columns={"sample_size": "sample_size", "prevalence": "prevalence"},
              sample_size=(50, 200, 1000), prevalence=(0.05, 0.3), d=1.5, intervals=("delong", "bootstrap"),
              bootstrap_methods=("percentile", "basic", "bca"), n_simulations=400, n_resamples=400, confidence_level=0.95),
        _spec("clustered_auc_coverage", "clustered_auc_coverage",
              "AUC intervals with ten correlated slices per patient (row versus patient bootstrap)",
              n_patients=100, slices_per_patient=10, patient_prevalence=0.3, slice_positive=0.5, d=1.5, icc=0.5,
              n_simulations=300, n_resamples=400, confidence_level=0.95),
        _spec("slice_prevalence_coverage", "clustered_proportion_coverage",
              "Slice-level prevalence: patient-clustered logit interval versus Wilson on slices",
              icc=(0.3, 0.5, 0.7), n_clusters=100, cluster_size=10, prevalence=0.2, interval="logit",
              confidence_level=0.95, n_simulations=4000),
        _spec("slice_agreement_coverage", "cluster_coverage",
              "Slice-level agreement and reader-vs-reference intervals: clustered by patient versus independent rows",
              n_patients=100, n_slices=10, icc=(0.3, 0.5, 0.7), prevalence=0.3, sensitivity=0.85, specificity=0.9,
              n_simulations=2000, confidence_level=0.95),
        _spec("operating_point_coverage", "operating_point_coverage",
              "PPV and NPV under cohort sampling: cohort versus class-stratified bootstrap",
              sample_size=200, prevalence=0.15, d=1.5, threshold=1.0,
              statistics=("sensitivity", "specificity", "ppv", "npv"),
              designs=("stratified", "cohort"), n_simulations=400, n_resamples=500, confidence_level=0.95),
        _spec("heterogeneity_type1_error", "heterogeneity_type1_error",
              "Heterogeneity tests across acquisition strata: type-I error under a clustered null",
              n_patients=100, n_slices=10, icc=0.5, n_strata=3, alpha=0.05, n_simulations=800,
              clustered=(True, False)),
    )
})
#: Names of the shipped coverage tables.
COVERAGE_TABLES: tuple[str, ...] = tuple(SPECS)


def get_spec(name: str) -> CoverageSpec:
    """The spec of table ``name``; a ReportError naming the known tables otherwise."""
    try:
        return SPECS[name]
    except KeyError:
        raise ReportError(f"no coverage table {name!r}; expected one of {list(SPECS)}") from None


def stream_seed(name: str, seed: int = SEED) -> list[int]:
    """The seed sequence of table ``name``: ``[seed, crc32(name)]``, independent of the other tables.

    The same streams as the report's tables (:func:`hemstats.report.sections.stream_entropy`).

    Parameters
    ----------
    name : str
        Table name.
    seed : int, default SEED
        Root seed.

    Returns
    -------
    list of int
        Entropy for :func:`numpy.random.default_rng`.

    Examples
    --------
    >>> stream_seed("kappa_coverage", 1)[0]
    1
    """
    return stream_entropy(seed, name)
