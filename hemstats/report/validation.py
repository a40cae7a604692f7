"""Validation of hemstats' estimators: precomputed CI coverage tables and the list of reference checks.

The Methods and validation chapter of the report shows how often each confidence
interval hemstats offers covers the truth.  Those Monte Carlo tables take minutes, so
they are not computed while the report builds: :func:`regenerate` computes them once,
seeded, and writes them as CSV (plus ``metadata.json``: seed, parameters, hemstats
version, run time) into ``hemstats/report/validation/``, where they ship as package
data; the chapter reads them with :func:`coverage_table` and :func:`coverage_metadata`.

Regenerate them (about 2 minutes on two cores) from the repository root with::

    python -m hemstats.report.validation            # rewrites hemstats/report/validation/
    python -m hemstats.report.validation OUT_DIR    # or anywhere else

:func:`reference_checks` lists, for each estimator, the independent implementation its
tests compare it to (an R call, statsmodels, tableone, ...), the tolerance and where the
script and the test live.

Examples
--------
>>> sorted(SPECS) == sorted(COVERAGE_TABLES)
True
>>> table = coverage_table("proportion_coverage")
>>> table.columns[:3].tolist()
['method', 'n', 'prevalence']
>>> int(coverage_metadata().set_index("table").loc["proportion_coverage", "seed"]) == SEED
True
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pandas as pd

from hemstats.errors import ReportError

__all__ = [
    "SEED",
    "DATA_DIR",
    "COVERAGE_TABLES",
    "SPECS",
    "CoverageSpec",
    "compute",
    "regenerate",
    "coverage_table",
    "coverage_metadata",
    "first_cell",
    "reference_checks",
    "REFERENCE_CHECKS",
]

#: Root seed of every coverage table; each table draws from its own stream (see :func:`stream_seed`).
SEED = 20241122
#: The folder holding the shipped tables (package data).
DATA_DIR: Path = Path(__file__).with_name("validation")
_METADATA = "metadata.json"


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
        return int(self.parameters.get("n_simulations", self.parameters.get("n_sim", 0)))

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
              grid=("methods", "n", "prevalence"), columns={"methods": "method", "n": "n", "prevalence": "prevalence"},
              methods=("wilson", "clopper-pearson", "jeffreys", "agresti-coull"), n=(30, 100, 500),
              prevalence=(0.02, 0.1, 0.4), confidence_level=0.95, n_simulations=20_000),
        _spec("kappa_coverage", "kappa_coverage",
              "Kappa and AC1 intervals, three simulated raters with kappa 0.6",
              grid=("n", "prevalence"), columns={"n": "n", "prevalence": "prevalence"},
              n=(30, 100, 500), prevalence=(0.02, 0.1, 0.4), kappa=0.6, n_sim=1000, n_resamples=1000,
              confidence_level=0.95),
        _spec("auc_ci_coverage", "auc_ci_coverage",
              "AUC intervals on independent binormal scores (true AUC 0.856)",
              grid=("n", "prevalence"), columns={"n": "n", "prevalence": "prevalence"},
              n=(50, 200, 1000), prevalence=(0.05, 0.3), d=1.5, methods=("delong", "percentile", "basic", "bca"),
              n_simulations=400, n_resamples=400, confidence_level=0.95),
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
              n_sim=2000, confidence_level=0.95),
        _spec("operating_point_coverage", "operating_point_coverage",
              "PPV and NPV under cohort sampling: cohort versus class-stratified bootstrap",
              n=200, prevalence=0.15, d=1.5, threshold=1.0, metrics=("sensitivity", "specificity", "ppv", "npv"),
              designs=("stratified", "cohort"), n_simulations=400, n_resamples=500, confidence_level=0.95),
        _spec("heterogeneity_type1_error", "heterogeneity_type1_error",
              "Heterogeneity tests across acquisition strata: type-I error under a clustered null",
              n_patients=100, n_slices=10, icc=0.5, n_strata=3, alpha=0.05, n_simulations=800,
              clustered=(True, False)),
    )
})
#: Names of the shipped coverage tables.
COVERAGE_TABLES: tuple[str, ...] = tuple(SPECS)


def _get_spec(name: str) -> CoverageSpec:
    try:
        return SPECS[name]
    except KeyError:
        raise ReportError(f"no coverage table {name!r}; expected one of {list(SPECS)}") from None


def stream_seed(name: str, seed: int = SEED) -> list[int]:
    """The seed sequence of table ``name``: ``[seed, crc32(name)]``, independent of the other tables.

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
    return [int(seed), zlib.crc32(name.encode())]


def _function(spec: CoverageSpec) -> Callable[..., pd.DataFrame]:
    import hemstats.stats as stats

    fn = getattr(stats, spec.function, None)
    if fn is None:
        raise ReportError(f"coverage table {spec.name!r}: hemstats.stats has no function {spec.function!r}")
    return fn


def compute(name: str, *, seed: int = SEED, parameters: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Compute coverage table ``name`` with its shipped parameters (or ``parameters`` over them).

    Parameters
    ----------
    name : str
        One of :data:`COVERAGE_TABLES`.
    seed : int, default SEED
        Root seed; the table uses the stream :func:`stream_seed` ``(name, seed)``.
    parameters : mapping, optional
        Keyword arguments replacing the shipped ones (e.g. a smaller grid).

    Returns
    -------
    pandas.DataFrame
        The function's table, unchanged.
    """
    import numpy as np

    spec = _get_spec(name)
    kwargs = {**spec.parameters, **dict(parameters or {})}
    return _function(spec)(**kwargs, rng=np.random.default_rng(stream_seed(name, seed)))


def first_cell(name: str, table: pd.DataFrame | None = None, *, seed: int = SEED) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The first grid cell of table ``name``, computed afresh, and the same rows of ``table``.

    The coverage functions draw their random numbers cell by cell in grid order, so the
    first cell, computed alone with the shipped seed and simulation sizes, must equal
    the first cell of the full table: a check that runs in seconds.

    Parameters
    ----------
    name : str
        A table with a grid (not ``clustered_auc_coverage``, a single scenario).
    table : pandas.DataFrame, optional
        Default: the shipped table (:func:`coverage_table`).
    seed : int, default SEED

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame)
        The fresh rows and the rows of ``table`` for the same cell, both in the fresh
        rows' order, index reset.
    """
    spec = _get_spec(name)
    if not spec.grid:
        raise ReportError(f"coverage table {name!r} is a single scenario: it has no first cell to recompute")
    first = {arg: (spec.parameters[arg][0],) for arg in spec.grid}
    fresh = compute(name, seed=seed, parameters=first).reset_index(drop=True)
    shipped = coverage_table(name) if table is None else table
    mask = pd.Series(True, index=shipped.index)
    for arg, value in first.items():
        mask &= shipped[spec.columns[arg]] == value[0]
    keys = [c for c in ("scenario", "method", "n", "prevalence") if c in fresh.columns]
    ordered = fresh[keys].merge(shipped[mask], on=keys, how="left")
    return fresh, ordered[list(shipped.columns)].reset_index(drop=True)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return [_jsonable(v) for v in value]
    return value


def regenerate(
    out_dir: str | os.PathLike[str] | None = None,
    *,
    tables: Iterable[str] | None = None,
    seed: int = SEED,
    log: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """Compute the coverage tables and write them, with ``metadata.json``, into ``out_dir``.

    Parameters
    ----------
    out_dir : path-like, optional
        Default :data:`DATA_DIR` (the package's own copy; run from a source checkout).
    tables : iterable of str, optional
        Default all of :data:`COVERAGE_TABLES`; the metadata of the others is kept.
    seed : int, default SEED
    log : callable, optional
        Called with one line per table written (e.g. ``print``).

    Returns
    -------
    pandas.DataFrame
        The metadata of the tables written, as :func:`coverage_metadata` returns it.

    Notes
    -----
    All four tables take about 2 minutes on two cores (proportion 1 s, kappa 100 s,
    AUC 17 s, clustered AUC 6 s; ``metadata.json`` records each run time).  CSVs are written with
    full float precision, so :func:`first_cell` can compare them exactly.
    """
    import numpy as np

    import hemstats

    out = Path(DATA_DIR if out_dir is None else out_dir)
    out.mkdir(parents=True, exist_ok=True)
    names = list(COVERAGE_TABLES if tables is None else tables)
    for n in names:
        _get_spec(n)
    meta_file = out / _METADATA
    meta: dict[str, Any] = json.loads(meta_file.read_text()) if meta_file.is_file() else {}
    meta.setdefault("tables", {})
    for name in names:
        spec = SPECS[name]
        start = time.perf_counter()
        table = compute(name, seed=seed)
        seconds = time.perf_counter() - start
        path = out / f"{name}.csv"
        path.write_text(table.to_csv(index=False, lineterminator="\n"), encoding="utf-8")
        meta["tables"][name] = {
            "function": f"hemstats.stats.{spec.function}",
            "parameters": _jsonable(spec.parameters),
            "seed": int(seed),
            "stream": stream_seed(name, seed),
            "rows": len(table),
            "seconds": round(seconds, 1),
            "hemstats_version": hemstats.__version__,
            "numpy_version": np.__version__,
            "sha256": _sha256(path),
        }
        if log is not None:
            log(f"{path}: {len(table)} rows in {seconds:.1f} s")
    meta["generated_by"] = "python -m hemstats.report.validation (hemstats.report.validation.regenerate)"
    meta["tables"] = {k: meta["tables"][k] for k in COVERAGE_TABLES if k in meta["tables"]}
    meta_file.write_text(json.dumps(meta, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    return _metadata_frame(meta, names, meta_file)


def coverage_table(name: str, *, data_dir: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """The shipped coverage table ``name`` (floats read back exactly).

    Raises
    ------
    ReportError
        When the name is unknown or the file is missing (run :func:`regenerate`).
    """
    _get_spec(name)
    path = Path(DATA_DIR if data_dir is None else data_dir) / f"{name}.csv"
    if not path.is_file():
        raise ReportError(f"{path}: coverage table missing; run `python -m hemstats.report.validation`")
    return pd.read_csv(path, float_precision="round_trip")


def coverage_metadata(data_dir: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """How the shipped tables were made: one row per table.

    Returns
    -------
    pandas.DataFrame
        ``table, function, parameters`` (JSON text), ``seed, n_simulations, n_resamples,
        rows, seconds, hemstats_version, numpy_version, sha256``.

    Raises
    ------
    ReportError
        When ``metadata.json`` is missing or lacks a table.
    """
    path = Path(DATA_DIR if data_dir is None else data_dir) / _METADATA
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ReportError(f"{path}: coverage metadata missing; run `python -m hemstats.report.validation`") from None
    return _metadata_frame(meta, COVERAGE_TABLES, path)


def _metadata_frame(meta: Mapping[str, Any], names: Iterable[str], path: Path) -> pd.DataFrame:
    rows = []
    for name in names:
        m = meta.get("tables", {}).get(name)
        if m is None:
            raise ReportError(f"{path}: no entry for coverage table {name!r}; regenerate it")
        p = m["parameters"]
        rows.append({
            "table": name,
            "function": m["function"],
            "parameters": json.dumps(p, sort_keys=True),
            "seed": int(m["seed"]),
            "n_simulations": int(p.get("n_simulations", p.get("n_sim", 0))),
            "n_resamples": p.get("n_resamples", pd.NA),
            "rows": int(m["rows"]),
            "seconds": float(m["seconds"]),
            "hemstats_version": m["hemstats_version"],
            "numpy_version": m["numpy_version"],
            "sha256": m["sha256"],
        })
    out = pd.DataFrame(rows)
    out["n_resamples"] = out["n_resamples"].astype("Int64")
    return out


# ----------------------------------------------------------------------------------------------
# Reference checks
# ----------------------------------------------------------------------------------------------
#: (area, hemstats function, reference implementation, tolerance, script, test)
REFERENCE_CHECKS: tuple[tuple[str, str, str, str, str, str], ...] = (
    ("Prevalence", "proportion_ci (wilson)", 'R prop.test(x, n, correct = FALSE)$conf.int',
     "1e-6 absolute", "tests/reference/prevalence.R", "tests/stats/test_prevalence.py"),
    ("Prevalence", "proportion_ci (clopper-pearson)", "R binom.test(x, n)$conf.int",
     "1e-6 absolute", "tests/reference/prevalence.R", "tests/stats/test_prevalence.py"),
    ("Prevalence", "proportion_ci (jeffreys, agresti-coull)",
     "R closed forms of Brown, Cai & DasGupta (2001), as DescTools::BinomCI",
     "1e-6 absolute", "tests/reference/prevalence.R", "tests/stats/test_prevalence.py"),
    ("Prevalence", "newcombe_difference, compare_prevalence",
     "R Newcombe hybrid score (method 10) from prop.test limits; chisq.test, fisher.test, p.adjust(method = 'holm')",
     "1e-6 absolute", "tests/reference/prevalence.R", "tests/stats/test_prevalence.py"),
    ("Prevalence", "proportion_coverage (exact coverage, mean width)", "R sum(dbinom(0:n, n, p) * covers)",
     "1e-6 absolute", "tests/reference/prevalence.R", "tests/stats/test_prevalence.py"),
    ("Prevalence", "prevalence (slice level and repeated studies, clustered by patient)",
     'R survey::svyciprop(method = "logit" / "mean") on svydesign(ids = ~patient_id); '
     'deff(svymean(deff = "replace"))', "1e-6 absolute", "tests/reference/prevalence_cluster.R",
     "tests/stats/test_prevalence.py"),
    ("Table 1", "table1 (t_test='student')", "R t.test(var.equal = TRUE)", "1e-6 absolute",
     "tests/reference/table1.R", "tests/stats/test_table1.py"),
    ("Table 1", "table1", "R t.test(var.equal = FALSE), oneway.test, kruskal.test, chisq.test, fisher.test; "
     "SMD as tableone::ExtractSmd", "1e-6 absolute", "tests/reference/table1.R", "tests/stats/test_table1.py"),
    ("Table 1", "table1", "Python tableone.TableOne (summaries, p values, SMD)", "1e-6 absolute",
     "(in the test)", "tests/stats/test_table1.py"),
    ("Agreement", "cohen_kappa", "R psych::cohen.kappa, epiR::epi.kappa", "1e-6 absolute",
     "tests/reference/agreement.R", "tests/stats/test_agreement.py"),
    ("Agreement", "fleiss_kappa", "R formulas of irr::kappam.fleiss and irrCAC::fleiss.kappa.raw; "
     "statsmodels fleiss_kappa", "1e-6 (R), 1e-12 (statsmodels)", "tests/reference/agreement.R",
     "tests/stats/test_agreement.py"),
    ("Agreement", "gwet_ac1", "R formula of irrCAC::gwet.ac1.raw", "1e-6 absolute",
     "tests/reference/agreement.R", "tests/stats/test_agreement.py"),
    ("Agreement", "krippendorff_alpha", "R formula of irr::kripp.alpha; Python krippendorff.alpha",
     "1e-6 (R), 1e-12 (krippendorff)", "tests/reference/agreement.R", "tests/stats/test_agreement.py"),
    ("Agreement", "pabak, reader_vs_reference", "R epiR::epi.kappa; prop.test(correct = FALSE)",
     "1e-6 absolute", "tests/reference/agreement.R", "tests/stats/test_agreement.py"),
    ("Agreement", "cohen_kappa, fleiss_kappa, gwet_ac1, reader_vs_reference (clustered by patient)",
     'R survey::svycontrast(svymean(...)) on svydesign(ids = ~patient_id) (delta method); '
     'svyciprop(method = "beta")', "1e-9 absolute", "tests/reference/agreement_cluster.R",
     "tests/stats/test_agreement.py"),
    ("Agreement", "icc", "R psych::ICC; pingouin.intraclass_corr", "1e-6 (R), 0.005 (pingouin rounds its CI)",
     "tests/reference/agreement.R", "tests/stats/test_agreement.py"),
    ("Model performance", "auc (DeLong CI)", 'R pROC::ci.auc(method = "delong")', "1e-6 absolute",
     "tests/reference/performance.R", "tests/stats/test_roc.py"),
    ("Model performance", "compare_auc", 'R pROC::roc.test(paired = TRUE, method = "delong")', "1e-6 absolute",
     "tests/reference/performance.R", "tests/stats/test_roc.py"),
    ("Model performance", "auc (bootstrap CI)",
     'R pROC::ci.auc(method = "bootstrap", boot.stratified = TRUE)', "4 Monte Carlo standard errors",
     "tests/reference/performance.R", "tests/stats/test_roc.py"),
    ("Model performance", "threshold_metrics", 'R pROC::coords(input = "threshold"); '
     'statsmodels proportion_confint(method = "wilson")', "1e-6 (R), 1e-12 (statsmodels)",
     "tests/reference/performance.R", "tests/stats/test_performance.py"),
    ("Model performance", "roc_band", "R pROC::ci.se, pROC::ci.sp (stratified bootstrap)",
     "4 Monte Carlo standard errors", "tests/reference/performance.R", "tests/stats/test_performance.py"),
    ("Model performance", "calibration", "R glm(y ~ qlogis(p)), glm(y ~ 1, offset = qlogis(p))", "1e-6 absolute",
     "tests/reference/performance.R", "tests/stats/test_performance.py"),
    ("Model performance", "average_precision", "scikit-learn average_precision_score", "exact",
     "(in the test)", "tests/stats/test_roc.py"),
    ("Acquisition", "acquisition_effects (association)", "R chisq.test(correct = FALSE), fisher.test; Cramér's V",
     "1e-6 absolute", "tests/reference/scanner.R", "tests/stats/test_scanner.py"),
    ("Acquisition", "acquisition_effects (logistic model)",
     'R glm(family = binomial) with sandwich::vcovCL(cluster = ~patient_id, type = "HC0")', "1e-6 absolute",
     "tests/reference/scanner.R", "tests/stats/test_scanner.py"),
    ("Acquisition", "performance_by_stratum (cluster=None)", 'R pROC::ci.auc(method = "delong") per stratum; '
     "inverse-variance heterogeneity Q; glm interaction likelihood-ratio test", "1e-6 absolute",
     "tests/reference/scanner.R", "tests/stats/test_scanner.py"),
    ("Acquisition", "performance_by_stratum (clustered by patient, the default)",
     "Obuchowski's clustered DeLong variance written out in R (equals pROC::var with one row per patient); "
     'anova(geepack::geeglm(correct ~ factor(y) * stratum, id = patient, corstr = "independence"))',
     "1e-9 (variance), 1e-6 (Wald statistic)", "tests/reference/heterogeneity.R",
     "tests/stats/test_scanner_heterogeneity.py"),
)


def reference_checks() -> pd.DataFrame:
    """Which independent implementation each estimator is checked against.

    Returns
    -------
    pandas.DataFrame
        ``area, hemstats, reference, tolerance, script, test``: the hemstats function,
        the reference call, the tolerance of the comparison, the script that computed
        the expected values (``Rscript <script>`` from the repository root) and the test
        that compares them.

    Examples
    --------
    >>> reference_checks().area.unique().tolist()
    ['Prevalence', 'Table 1', 'Agreement', 'Model performance', 'Acquisition']
    """
    return pd.DataFrame(list(REFERENCE_CHECKS), columns=["area", "hemstats", "reference", "tolerance", "script", "test"])


def _main(argv: Sequence[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m hemstats.report.validation",
        description="Recompute the CI coverage tables shown in the report's Methods and validation chapter.",
    )
    parser.add_argument("out_dir", nargs="?", default=None, help=f"output folder (default {DATA_DIR})")
    parser.add_argument("--table", action="append", choices=COVERAGE_TABLES, help="only this table (repeatable)")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    regenerate(args.out_dir, tables=args.table, seed=args.seed, log=lambda line: print(line, file=sys.stderr))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(_main())
