"""Inter-rater agreement per finding: Cohen, Fleiss, Krippendorff, PABAK, Gwet's AC1 (and ICC, from :mod:`~hemstats.stats.reliability.icc`).

Every function takes, as its first argument, a :class:`~hemstats.Cohort` or its canonical
``labels`` table (columns ``dataset, study_id, slice_id, level, finding, rater, value``; the
``studies`` table, which gives ``patient_id``, keyword-only: ``studies=``) and returns one
long table with the columns of :data:`COLUMNS` (:func:`~hemstats.stats._core.columns.result_frame`):
one row per dataset x finding x metric x rater set x interval family.  ``metric`` names the
coefficient (``cohen_kappa``, ``pabak``, ``gwet_ac1``, ``fleiss_kappa``,
``krippendorff_alpha``); ``raters`` names the raters joined by ``"|"`` (``"R1|R2"``); ``se``
is the standard error behind an analytic interval, the standard deviation of the resampled
values for a bootstrap row, NaN where there is none; ``n`` counts the units (studies or
slices), ``n_clusters`` the clusters (patients) they belong to; bootstrap rows carry
``n_resamples`` and ``n_failed_resamples`` (resamples where the coefficient was undefined,
left out); ``reason`` says why a value is NaN, or notes what was left out.  ``subgroup``,
``subgroup_value`` and ``n_positive`` are missing (agreement has no ``by=``).

Options (the glossary of :mod:`hemstats.stats._core.types`): ``findings=`` one code or a list
(a string is one finding); ``level=`` the label granularity, ``"study"`` or ``"slice"``;
``interval=`` the interval family, ``"analytic"`` (the coefficient's own variance: the
``method`` column names which), ``"bootstrap"`` (the engine's (cluster) bootstrap), or a list
of both for one row of each; ``bootstrap_method=`` ``"percentile"``, ``"basic"`` or ``"bca"``;
``n_resamples``, ``confidence_level``, ``rng`` as scipy; ``cluster=`` the column resampled or
sandwiched together.

Clustering. Slices of one patient, or several studies of one patient, are not independent:
treating them so gave 84% coverage for a nominal 95% (100 patients x 10 slices, kappa 0.5).
The unit of resampling and of the variance is the *cluster*: ``cluster=None`` (default)
takes ``patient_id`` (from ``labels`` or from ``studies``: a Cohort brings its own), else
``study_id``; slices of a bare labels table are therefore clustered by study, and the rows
say so. When some cluster holds several units of an estimate, its analytic interval is
cluster-robust: the coefficient's per-unit influence values (its linearisation: for Cohen's
kappa the derivative of ``(po - pe) / (1 - pe)`` in the cell proportions, for Fleiss' kappa
and AC1 Gwet's ``kappa_u* - kappa``) are summed within clusters and the sandwich variance
``G / (G - 1) sum_g T_g^2 / n^2`` (as ``survey::svydesign(ids = ~patient)``) gives a
``t(G - 1)`` interval on Fisher's z scale (:func:`~hemstats.stats.reliability.kappa.z_interval`: it stays in
(-1, 1) and follows the skew near 1), ``method = "cluster-robust-linearised"``; proportions
(sensitivity, specificity, the agreement of PABAK) get the Korn-Graubard interval on the
cluster effective sample size (``survey::svyciprop(method = "beta")``),
``"cluster-robust-korn-graubard"``. The linearisation is the default because it is exact to
the delta method, deterministic and cheap, and its coverage was measured (94.8-96.1% in 100
patients x 10 slices at ICC 0.3-0.7,
:func:`~hemstats.stats.coverage.agreement.cluster_coverage`); the cluster bootstrap
(``interval="bootstrap"``: whole patients drawn with all their units by the one resampling
engine, :func:`hemstats.stats.resampling.engine.resample_indices`, chunk by chunk so memory
stays bounded, intervals by :func:`~hemstats.stats.resampling.engine.interval_from_distribution`;
``method = "cluster-bootstrap-percentile" | "-basic" | "-bca"``, BCa with the
leave-one-cluster-out jackknife) is the choice for Krippendorff's alpha, which has no
linearisation here. With one unit per cluster the independent-units methods are exact and
keep their names (``fleiss-cohen-everitt-1969``, ``gwet-2014``; bootstrap rows
``bootstrap-percentile``...). ``cluster=False`` asks for independent units anyway, labelled
``...-independent-rows``. Fewer than 2 clusters: NaN interval with the reason; fewer than 10:
the interval, with a warning in ``reason``.

Missing ratings: a rater who did not read a study simply has no row for it.
Pairwise measures (Cohen, PABAK, pairwise AC1) use the units both raters read
(pairwise complete); Fleiss' kappa and the rater-set AC1 use the units every rater
read (``n`` counts them, ``reason`` says how many were left out); Krippendorff's alpha
uses every unit with at least two ratings.  The reference rater (``"consensus"``) is
left out unless named in ``raters``.

A coefficient that is undefined (chance agreement of 1: every rating in one category)
is NaN with the reason in ``reason``; it is never reported as 0 or 1 (PABAK and AC1 stay
defined there and equal 1, as their definitions give).  Resamples where the coefficient is
undefined are left out and counted in ``n_failed_resamples``.

The input checks live in :mod:`hemstats.stats.reliability._input`, the assembly of the long
frame in :mod:`hemstats.stats.reliability._rows`, the numeric kernels in :mod:`hemstats.stats.reliability.kappa`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, TypeAlias

import numpy as np
import pandas as pd

from hemstats.cohort import Cohort
from hemstats.consensus import majority_labels
from hemstats.errors import InputError
from hemstats.stats._core.options import check_confidence_level
from hemstats.stats._core.types import CONFIDENCE_LEVEL, N_RESAMPLES, BootstrapMethod, Findings, Level, Seed
from hemstats.stats.reliability._input import INTERVALS, _fail, _finding_order, _names, _prepare, _tables
from hemstats.stats.reliability._rows import (
    COLUMNS,
    READER_COLUMNS,
    READER_EXTRA,
    _frame,
    _reader_rows,
    _run,
)
from hemstats.stats.reliability.icc import ICC_COLUMNS, icc

__all__ = [
    "InputError",
    "COLUMNS",
    "READER_COLUMNS",
    "ICC_COLUMNS",
    "INTERVALS",
    "AgreementInterval",
    "cohen_kappa",
    "fleiss_kappa",
    "krippendorff_alpha",
    "pabak",
    "gwet_ac1",
    "reader_vs_reference",
    "agreement",
    "icc",
]

#: The interval family of an agreement row: the coefficient's analytic variance, or the bootstrap.
AgreementInterval: TypeAlias = Literal["analytic", "bootstrap"]
#: ``interval=``: one family, or a list of them for one row of each.
Intervals: TypeAlias = AgreementInterval | Sequence[AgreementInterval]
#: ``cluster=``: None (patient_id, else study_id), False (independent units) or a column name.
Cluster: TypeAlias = str | Literal[False] | None


def cohen_kappa(
    labels: Cohort | pd.DataFrame,
    *,
    studies: pd.DataFrame | None = None,
    raters: Sequence[str] | None = None,
    weights: Literal["linear", "quadratic"] | None = None,
    level: Level = "study",
    findings: Findings = None,
    categories: Sequence[int] | None = None,
    interval: Intervals = "analytic",
    bootstrap_method: BootstrapMethod = "percentile",
    n_resamples: int = N_RESAMPLES,
    confidence_level: float = CONFIDENCE_LEVEL,
    rng: Seed = None,
    cluster: Cluster = None,
) -> pd.DataFrame:
    """Cohen's kappa for every pair of raters and every finding.

    Parameters
    ----------
    labels : Cohort or pandas.DataFrame
        A Cohort (its ``studies`` give ``patient_id``, which clusters the units), or its
        canonical ``labels`` table (long: one row per study or slice x finding x rater).
    studies : pandas.DataFrame, optional
        The canonical ``studies`` table, with a labels table: its ``patient_id`` clusters the
        units as a Cohort's does.
    raters : sequence of str, optional
        Raters to compare; default every rater except ``"consensus"``.
    weights : {None, "linear", "quadratic"}
        Agreement weights for ordinal ratings (``1 - |i-j|/(k-1)``, ``1 - (i-j)^2/(k-1)^2``).
        With two categories (0/1 labels) every weighting equals the unweighted kappa.
    level : {"study", "slice"}
        Which labels to use.
    findings : str or sequence of str, optional
        Restrict to this finding or these findings (each must have labels); a string is one
        finding.
    categories : sequence of int, optional
        Category codes (default: the values seen, and at least 0 and 1).
    interval : {"analytic", "bootstrap"} or a list of them
        The interval family; a list gives one row of each.  Analytic: with one unit per
        cluster the Fleiss, Cohen & Everitt (1969) variance with a normal quantile, clipped
        to [-1, 1], as ``psych::cohen.kappa``; clustered, the cluster-robust linearised
        variance, ``t(G - 1)`` interval on Fisher's z scale (module notes).  Bootstrap: the
        engine's (cluster) bootstrap.
    bootstrap_method : {"percentile", "basic", "bca"}
        How the bootstrap interval is read off the resamples (BCa: jackknife over clusters,
        as scipy).
    n_resamples : int
        Bootstrap resamples (the engine's range; memory is bounded: chunks of about 4
        million weights, plus 8 bytes per resample and estimate).
    confidence_level : float
        Confidence level of the intervals, in (0, 1).
    rng : None, int or numpy.random.Generator
        Seed of the bootstrap.
    cluster : None, False or str
        Cluster column: default ``patient_id`` (else ``study_id``); ``False`` treats the
        units as independent (``method`` ends in ``-independent-rows``).

    Returns
    -------
    pandas.DataFrame
        Columns of :data:`COLUMNS`: ``dataset, level, finding, subgroup, subgroup_value``,
        ``raters`` (``"R1|R2"``), ``metric`` (``"cohen_kappa"``), ``estimate, ci_low,
        ci_high, n`` (units read by both), ``n_positive`` (missing), ``method``
        (``"fleiss-cohen-everitt-1969"``, ``"cluster-robust-linearised"``,
        ``"bootstrap-percentile"``, ``"cluster-bootstrap-percentile"``...),
        ``confidence_level, se, n_resamples, n_failed_resamples, n_clusters, reason``.

    Notes
    -----
    Validated against ``psych::cohen.kappa(cbind(a, b))`` (estimate, ``var.kappa``,
    ``confid``) and, on the real CQ500 reads, within 1e-6 (tests/reference/agreement.R).
    Weighted kappa: the estimate against ``psych::cohen.kappa(x, w = ...)``; its SE against
    the Fleiss-Cohen-Everitt formula written out in R and a numerical delta method.
    ``psych``'s ``var.weighted`` is not that variance (0.0091 against 0.0453 on the
    reference data), so it is not used.  Cluster-robust SE and interval against
    ``survey::svycontrast`` of ``svymean`` under ``svydesign(ids = ~patient)``
    (tests/reference/agreement_cluster.R).  Bootstrap intervals (percentile, basic, BCa)
    equal :func:`scipy.stats.bootstrap` with the same seed on complete, unclustered pairs.

    References
    ----------
    Fleiss JL, Cohen J, Everitt BS (1969). Large sample standard errors of kappa and
    weighted kappa. Psychol Bull 72:323-327.

    Examples
    --------
    >>> from hemstats.datasets import demo
    >>> cohort = demo.load(n_studies=200)
    >>> k = cohen_kappa(cohort)
    >>> k.query("finding == 'any'").raters.tolist(), k.n.unique().tolist()
    (['R1|R2', 'R1|R3', 'R2|R3'], [200])
    >>> bool(((k.ci_low <= k.estimate) & (k.estimate <= k.ci_high)).all())
    True
    """
    if weights not in (None, "linear", "quadratic"):
        _fail(f"weights: expected None, 'linear' or 'quadratic', got {weights!r}")
    table, studies = _tables(labels, studies, "cohen_kappa")
    return _run(table, studies, [("cohen_kappa", dict(weights=weights))], level=level, raters=raters,
                findings=findings, categories=categories, interval=interval, bootstrap_method=bootstrap_method,
                n_resamples=n_resamples, confidence_level=confidence_level, rng=rng, cluster=cluster)


def pabak(
    labels: Cohort | pd.DataFrame,
    *,
    studies: pd.DataFrame | None = None,
    raters: Sequence[str] | None = None,
    level: Level = "study",
    findings: Findings = None,
    categories: Sequence[int] | None = None,
    interval: Intervals = "analytic",
    bootstrap_method: BootstrapMethod = "percentile",
    n_resamples: int = N_RESAMPLES,
    confidence_level: float = CONFIDENCE_LEVEL,
    rng: Seed = None,
    cluster: Cluster = None,
) -> pd.DataFrame:
    """Prevalence- and bias-adjusted kappa ``2 po - 1`` (Byrt et al. 1993) for every pair of raters.

    Parameters are those of :func:`cohen_kappa`.  The analytic interval maps the
    Clopper-Pearson interval of the observed agreement ``po`` (``(k lo - 1)/(k - 1)``);
    clustered, the Korn-Graubard interval of ``po`` on the cluster effective sample size.

    Returns
    -------
    pandas.DataFrame
        Columns of :data:`COLUMNS`, ``metric = "pabak"``, ``method = "clopper-pearson"``,
        ``"cluster-robust-korn-graubard"`` or a bootstrap method; ``se`` is NaN for the
        analytic rows.

    Notes
    -----
    Validated against ``epiR::epi.kappa(table, method = "fleiss")$pabak``.

    Examples
    --------
    >>> from hemstats.datasets import demo
    >>> p = pabak(demo.load(n_studies=200).labels, findings="edh")
    >>> p[["raters", "metric", "method"]].iloc[0].tolist()
    ['R1|R2', 'pabak', 'clopper-pearson']
    """
    table, studies = _tables(labels, studies, "pabak")
    return _run(table, studies, [("pabak", {})], level=level, raters=raters, findings=findings, categories=categories,
                interval=interval, bootstrap_method=bootstrap_method, n_resamples=n_resamples,
                confidence_level=confidence_level, rng=rng, cluster=cluster)


def fleiss_kappa(
    labels: Cohort | pd.DataFrame,
    *,
    studies: pd.DataFrame | None = None,
    raters: Sequence[str] | None = None,
    variance: Literal["gwet", "fleiss_nee_landis"] = "gwet",
    level: Level = "study",
    findings: Findings = None,
    categories: Sequence[int] | None = None,
    interval: Intervals = "analytic",
    bootstrap_method: BootstrapMethod = "percentile",
    n_resamples: int = N_RESAMPLES,
    confidence_level: float = CONFIDENCE_LEVEL,
    rng: Seed = None,
    cluster: Cluster = None,
) -> pd.DataFrame:
    """Fleiss' (1971) kappa of a set of raters, per finding, on the units every rater read.

    Parameters
    ----------
    variance : {"gwet", "fleiss_nee_landis"}
        The analytic variance. ``"gwet"`` (default): Gwet's (2014) linearisation variance,
        valid for any kappa, interval with a ``t(n - 1)`` quantile as
        ``irrCAC::fleiss.kappa.raw`` (clustered: its per-unit terms summed within clusters,
        ``t(G - 1)``).  ``"fleiss_nee_landis"``: the Fleiss, Nee & Landis (1979) variance
        that ``irr::kappam.fleiss(detail = TRUE)`` reports.  It holds under kappa = 0 only
        (with two categories it is ``2 / (n m (m - 1))`` whatever the prevalence), so its
        interval is for testing, and under-covers for rare findings (see
        :func:`~hemstats.stats.coverage.agreement.kappa_coverage`); it ignores clusters and says so.
    Other parameters are those of :func:`cohen_kappa`.

    Returns
    -------
    pandas.DataFrame
        Columns of :data:`COLUMNS`, ``metric = "fleiss_kappa"``, ``raters = "R1|R2|R3"``,
        ``n`` = units rated by every rater (``reason`` counts those left out),
        ``method = "gwet-2014"``, ``"cluster-robust-linearised"``,
        ``"fleiss-nee-landis-1979"`` or a bootstrap method.

    Notes
    -----
    Validated against the formulas of ``irr::kappam.fleiss`` and ``irrCAC::fleiss.kappa.raw``
    written out in R, and the estimate against ``statsmodels.stats.inter_rater.fleiss_kappa``;
    on the real CQ500 reads within 1e-6.  Cluster-robust SE against ``survey``
    (tests/reference/agreement_cluster.R).

    Examples
    --------
    >>> from hemstats.datasets import demo
    >>> f = fleiss_kappa(demo.load(n_studies=200), interval=["analytic", "bootstrap"], n_resamples=500, rng=0)
    >>> sorted(f.method.unique())  # 200 studies of 182 patients: clustered by patient
    ['cluster-bootstrap-percentile', 'cluster-robust-linearised']
    >>> sorted(fleiss_kappa(demo.load(n_studies=200).labels).method.unique())  # a bare table knows no patient
    ['gwet-2014']
    """
    if variance not in ("gwet", "fleiss_nee_landis"):
        _fail(f"variance: expected 'gwet' or 'fleiss_nee_landis', got {variance!r}")
    table, studies = _tables(labels, studies, "fleiss_kappa")
    return _run(table, studies, [("fleiss_kappa", dict(variance=variance))], level=level, raters=raters,
                findings=findings, categories=categories, interval=interval, bootstrap_method=bootstrap_method,
                n_resamples=n_resamples, confidence_level=confidence_level, rng=rng, cluster=cluster)


def gwet_ac1(
    labels: Cohort | pd.DataFrame,
    *,
    studies: pd.DataFrame | None = None,
    raters: Sequence[str] | None = None,
    pairwise: bool = False,
    level: Level = "study",
    findings: Findings = None,
    categories: Sequence[int] | None = None,
    interval: Intervals = "analytic",
    bootstrap_method: BootstrapMethod = "percentile",
    n_resamples: int = N_RESAMPLES,
    confidence_level: float = CONFIDENCE_LEVEL,
    rng: Seed = None,
    cluster: Cluster = None,
) -> pd.DataFrame:
    """Gwet's AC1 of the rater set (or of every pair with ``pairwise=True``), per finding.

    AC1 stays stable when a finding is rare, where kappa collapses (the kappa paradox).
    The analytic interval uses Gwet's (2008) variance with a ``t(n - 1)`` quantile, as
    ``irrCAC::gwet.ac1.raw`` (clustered: summed within clusters, ``t(G - 1)``); units
    not read by every rater of the set are left out.  Other parameters are those of
    :func:`cohen_kappa`.

    Returns
    -------
    pandas.DataFrame
        Columns of :data:`COLUMNS`, ``metric = "gwet_ac1"``, ``method = "gwet-2008"``,
        ``"cluster-robust-linearised"`` or a bootstrap method.

    Notes
    -----
    Validated against the formula of ``irrCAC::gwet.ac1.raw`` written out in R
    (tests/reference/agreement.R).

    Examples
    --------
    >>> from hemstats.datasets import demo
    >>> a = gwet_ac1(demo.load(n_studies=200), findings=["edh"])
    >>> r = a.iloc[0]
    >>> r.raters, r.method, int(r.n), int(r.n_clusters)
    ('R1|R2|R3', 'cluster-robust-linearised', 200, 182)
    """
    if not isinstance(pairwise, bool):
        _fail(f"pairwise: expected True or False, got {pairwise!r}")
    table, studies = _tables(labels, studies, "gwet_ac1")
    return _run(table, studies, [("gwet_ac1", dict(pairwise=pairwise))], level=level, raters=raters,
                findings=findings, categories=categories, interval=interval, bootstrap_method=bootstrap_method,
                n_resamples=n_resamples, confidence_level=confidence_level, rng=rng, cluster=cluster)


def krippendorff_alpha(
    labels: Cohort | pd.DataFrame,
    *,
    studies: pd.DataFrame | None = None,
    raters: Sequence[str] | None = None,
    level: Level = "study",
    findings: Findings = None,
    categories: Sequence[int] | None = None,
    interval: Intervals = "bootstrap",
    bootstrap_method: BootstrapMethod = "percentile",
    n_resamples: int = N_RESAMPLES,
    confidence_level: float = CONFIDENCE_LEVEL,
    rng: Seed = None,
    cluster: Cluster = None,
) -> pd.DataFrame:
    """Krippendorff's alpha (nominal) per finding; missing ratings allowed.

    Every unit with at least two ratings counts (``n``).  There is no analytic interval:
    the analytic row has NaN bounds and says so; the default is the (cluster) bootstrap.
    Parameters are those of :func:`cohen_kappa`.

    Returns
    -------
    pandas.DataFrame
        Columns of :data:`COLUMNS`, ``metric = "krippendorff_alpha"``, ``method = "none"``
        (analytic row) or a bootstrap method.

    Notes
    -----
    Validated against the coincidence-matrix formula in R and the ``krippendorff`` PyPI package.

    Examples
    --------
    >>> from hemstats.datasets import demo
    >>> a = krippendorff_alpha(demo.load(n_studies=200), n_resamples=500, rng=0)
    >>> a.method.unique().tolist()
    ['cluster-bootstrap-percentile']
    """
    table, studies = _tables(labels, studies, "krippendorff_alpha")
    return _run(table, studies, [("krippendorff_alpha", {})], level=level, raters=raters, findings=findings,
                categories=categories, interval=interval, bootstrap_method=bootstrap_method,
                n_resamples=n_resamples, confidence_level=confidence_level, rng=rng, cluster=cluster)


def reader_vs_reference(
    labels: Cohort | pd.DataFrame,
    *,
    studies: pd.DataFrame | None = None,
    reference: str = "consensus",
    raters: Sequence[str] | None = None,
    level: Level = "study",
    findings: Findings = None,
    confidence_level: float = CONFIDENCE_LEVEL,
    cluster: Cluster = None,
) -> pd.DataFrame:
    """Each reader against the reference: sensitivity, specificity and Cohen's kappa.

    Parameters
    ----------
    labels, studies, level, findings, confidence_level, cluster
        As in :func:`cohen_kappa`.
    reference : str
        The reference rater (default ``"consensus"``), or ``"majority"``: the label given
        by more than half of *all* the dataset's readers (:func:`hemstats.consensus.majority_labels`);
        units without such a majority get no reference label, and ``reason`` counts them.
    raters : sequence of str, optional
        Readers to compare; default every rater but the reference.

    Returns
    -------
    pandas.DataFrame
        Columns of :data:`READER_COLUMNS` (those of :data:`COLUMNS` with ``rater`` and
        ``reference`` in place of ``raters``): ``metric`` in ``sensitivity, specificity,
        cohen_kappa``, ``n`` = reference positives (sensitivity), negatives (specificity)
        or units (kappa); ``method = "wilson"`` or ``"fleiss-cohen-everitt-1969"`` with one
        unit per cluster, else ``"cluster-robust-korn-graubard"`` (proportions) and
        ``"cluster-robust-linearised"`` (kappa).  Analytic intervals only.

    Notes
    -----
    Validated against ``prop.test(x, n, correct = FALSE)$conf.int`` (Wilson),
    ``psych::cohen.kappa`` (tests/reference/agreement.R), and, clustered, against
    ``survey::svyciprop(method = "beta")`` and ``svycontrast`` (agreement_cluster.R).

    Examples
    --------
    >>> from hemstats.datasets import demo
    >>> r = reader_vs_reference(demo.load(n_studies=200), findings="any")
    >>> r.pivot(index="rater", columns="metric", values="n").columns.tolist()
    ['cohen_kappa', 'sensitivity', 'specificity']
    """
    confidence_level = check_confidence_level(confidence_level)
    if not isinstance(reference, str):
        _fail(f"reference: expected a rater name or 'majority', got {reference!r}")
    table, studies = _tables(labels, studies, "reader_vs_reference")
    notes: dict[tuple[str, str], str] = {}
    if reference == "majority":
        table, notes = _with_majority(table, studies, level=level, findings=findings, cluster=cluster)
    data = _prepare(table, studies, level=level, raters=None, findings=findings, categories=None, reference=None,
                    binary=True, cluster=cluster)
    rows: list[dict[str, Any]] = []
    for d in data:
        if reference not in d.raters:
            _fail(f"reference: no rater {reference!r} in dataset {d.dataset!r}; raters: {d.raters}")
        readers = [r for r in (_names(raters, "raters") or d.raters) if r != reference]
        unknown = [r for r in readers if r not in d.raters]
        if unknown:
            _fail(f"raters: {unknown} not in dataset {d.dataset!r}; raters: {d.raters}")
        _reader_rows(rows, d, reference, readers, confidence_level=confidence_level,
                     notes={f: notes.get((d.dataset, f)) for f in d.findings})
    out = _frame(rows, READER_EXTRA)
    rank = out["metric"].map({"sensitivity": 0, "specificity": 1, "cohen_kappa": 2})
    frank = out["finding"].map(lambda f: _finding_order(f)[0])
    dsrank = out["dataset"].map({d.dataset: i for i, d in enumerate(data)})
    order = np.lexsort((rank.to_numpy(), out["rater"].to_numpy(), frank.to_numpy(), dsrank.to_numpy()))
    return out.iloc[order].reset_index(drop=True)


def _with_majority(table: pd.DataFrame, studies: pd.DataFrame | None, *, level, findings, cluster):
    """The labels plus a ``majority`` rater, and per (dataset, finding) a note on the units without one."""
    _prepare(table, studies, level=level, raters=None, findings=findings, categories=None, binary=True,
             cluster=cluster)
    if (table["rater"].astype(object) == "majority").any():
        _fail("reference: 'majority' is computed from the readers, but labels already have a rater named 'majority'")
    decided, undecided = majority_labels(table)
    undecided = undecided[undecided["level"].astype(object) == level] if "level" in undecided else undecided
    notes = {(str(ds), str(f)): f"{len(g)} {level} units without a majority of the {int(g['n_readers'].iloc[0])} "
             "readers have no reference label"
             for (ds, f), g in undecided.groupby([undecided["dataset"].astype(object),
                                                  undecided["finding"].astype(object)], sort=False)}
    merged = pd.concat([table.astype({c: object for c in table.columns if c != "value"}),
                        decided.astype({c: object for c in decided.columns if c != "value"})], ignore_index=True)
    return merged, notes


def agreement(
    labels: Cohort | pd.DataFrame,
    *,
    studies: pd.DataFrame | None = None,
    level: Level = "study",
    raters: Sequence[str] | None = None,
    findings: Findings = None,
    interval: Intervals = "analytic",
    bootstrap_method: BootstrapMethod = "percentile",
    n_resamples: int = N_RESAMPLES,
    confidence_level: float = CONFIDENCE_LEVEL,
    rng: Seed = None,
    cluster: Cluster = None,
) -> pd.DataFrame:
    """Every agreement measure for every finding at once, on the same bootstrap resamples.

    Pairwise: Cohen's kappa, PABAK, Gwet's AC1; rater set: Fleiss' kappa, Gwet's AC1,
    Krippendorff's alpha (whose analytic row has NaN bounds: ask for
    ``interval=["analytic", "bootstrap"]``).

    Parameters
    ----------
    labels : Cohort or pandas.DataFrame
        A Cohort or its canonical ``labels`` table.
    studies : pandas.DataFrame, optional
        With a labels table, the ``studies`` table whose ``patient_id`` clusters the units.
    level : {"study", "slice"}
        Which labels to use.
    raters, findings : str or sequence of str, optional
        Restrict to these raters (default all but ``"consensus"``) and findings.
    interval, bootstrap_method, n_resamples, confidence_level, rng, cluster
        As in :func:`cohen_kappa`; the cluster resamples are drawn once per dataset, chunk
        by chunk, and shared by every measure.

    Returns
    -------
    pandas.DataFrame
        Columns of :data:`COLUMNS`; the rows of :func:`cohen_kappa`, :func:`pabak`,
        :func:`gwet_ac1` (pairwise and set), :func:`fleiss_kappa`, :func:`krippendorff_alpha`.

    Notes
    -----
    Validated against R through each measure's function; on the real CQ500 reads every
    Fleiss, AC1, alpha and pairwise Cohen value of this frame matches R within 1e-6.

    Examples
    --------
    >>> from hemstats.datasets import demo
    >>> res = agreement(demo.load(n_studies=200))
    >>> sorted(res.metric.unique())
    ['cohen_kappa', 'fleiss_kappa', 'gwet_ac1', 'krippendorff_alpha', 'pabak']
    """
    table, studies = _tables(labels, studies, "agreement")
    specs = [("cohen_kappa", {}), ("pabak", {}), ("gwet_ac1", dict(pairwise=True)), ("fleiss_kappa", {}),
             ("gwet_ac1", {}), ("krippendorff_alpha", {})]
    return _run(table, studies, specs, level=level, raters=raters, findings=findings, categories=None,
                interval=interval, bootstrap_method=bootstrap_method, n_resamples=n_resamples,
                confidence_level=confidence_level, rng=rng, cluster=cluster)
