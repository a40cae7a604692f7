"""The seeded synthetic demo cohort: the embedded default dataset.

:func:`simulate` draws a realistic-looking head-CT hemorrhage cohort (three sites,
four scanner models, soft and sharp reconstruction kernels, correlated hemorrhage
subtypes, three readers, two models, slice-level labels for a subset, lesion
volumes) from a fully specified generative model, and returns the
:class:`~hemstats.Cohort` together with the *true* parameters, so every analysis
can be checked against what it should recover.  :func:`load` is the adapter
entry point used by the manifest.

Nothing here is real patient data: ``cohort.info[name]["synthetic"]`` is ``True``
and the ``notes`` table says so.

Generative model
----------------
Findings
    Each study has a latent factor ``F ~ N(mu(age), 1)`` with
    ``mu(age) = 0.3 (age - 55) / 20`` (0 when age is missing) and a second factor
    ``G ~ N(0, 1)`` shared by IPH and IVH only.  Subtype ``k`` is present when
    ``a F + b_k G + c_k e_k > t_k`` (``e_k ~ N(0, 1)``, ``c_k`` makes the variance 1),
    so subtypes co-occur (IVH with IPH most).  ``any`` is the OR of the five
    subtypes.  ``chronic``, ``fracture`` and ``mass_effect`` are noisy-ORs of the
    subtypes; ``midline_shift`` is a random 60 % of ``mass_effect``.  The true
    prevalences in ``truth["prevalence"]`` are the exact expectations given each
    study's age (Gauss-Hermite quadrature over ``F, G``), averaged over studies.
Readers
    Reader ``r`` labels finding ``f`` with sensitivity ``Se`` and specificity ``Sp``,
    independently of everything else given the truth.  With true prevalence ``p``,
    reader positive rate ``q = p (1 + bias_r (1 - kappa))``, chance agreement
    ``p_e = p q + (1 - p)(1 - q)``, the false-negative and false-positive rates
    (as fractions of all studies) are
    ``FN = ((1 - kappa)(1 - p_e) - (q - p)) / 2`` and
    ``FP = ((1 - kappa)(1 - p_e) + (q - p)) / 2``, so ``Se = 1 - FN / p``,
    ``Sp = 1 - FP / (1 - p)`` and the population Cohen kappa between the reader
    and the truth, ``(p_o - p_e) / (1 - p_e)`` with ``p_o = 1 - FN - FP``, equals
    ``reader_kappa`` exactly.  ``bias`` is 0, +0.15, -0.15 for R1, R2, R3.
Models
    Equal-variance binormal: latent ``s = d y + N(0, 1)``, ``score = logistic(s)``,
    so the AUC is ``Phi(d / sqrt(2))``.  ``model_a``'s ``d`` depends on the kernel
    family (better on soft kernels); ``model_b``'s does not.  The two models'
    noises correlate (rho = 0.5).  Negatives have the same score distribution in
    both families, so the AUC over a mixture is the positives-weighted average
    ``sum_k (n_pos,k / n_pos) Phi(d_k / sqrt(2))``: ``truth["auc"]`` gives it for
    this sample's case mix, and per kernel family.  Slice scores of ``model_a``
    (``any``) add a per-study random effect holding 30 % of the noise variance, so
    slices of one study are correlated (what a patient-clustered bootstrap is for);
    their AUC over pairs from different studies is ``truth["auc_slice"]``.
Slices
    For the ``slice_fraction`` subset, each positive subtype occupies one contiguous
    run of slices whose length follows the lesion's size
    (``extent_factor * cbrt(volume)`` / slice thickness); slice ``any`` is the OR of the
    slice subtypes, so a study is positive exactly when one of its slices is.

Simplifications worth knowing: reader errors are independent across findings, so a
reader's ``any`` is not the OR of that reader's subtypes; slice thickness does not
depend on the kernel family; ages of a patient's second study are the first plus
0 or 1 year.

References
----------
.. [1] J. Cohen, "A coefficient of agreement for nominal scales", Educational and
   Psychological Measurement 20(1), 37-46, 1960.
.. [2] J. A. Hanley, "The robustness of the 'binormal' assumptions used in fitting
   ROC curves", Medical Decision Making 8(3), 197-203, 1988.

Examples
--------
>>> data = simulate(200, seed=1)
>>> data.cohort
Cohort(datasets=['demo'], studies=200, labels=13196, predictions=3666, lesions=101, images=1266, notes=1)
>>> data.cohort.info["demo"]["synthetic"]
True
>>> sorted(data.truth["auc"])
['model_a', 'model_b']
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from hemstats.cohort import Cohort
from hemstats.datasets._demo_model import MODELS, READERS, SCANNERS, _ids
from hemstats.datasets._demo_steps import (
    _draw_acquisition,
    _draw_findings,
    _draw_lesions,
    _draw_patients,
    _draw_predictions,
    _draw_readers,
    _draw_slices,
    _images_table,
    _labels_table,
    _notes_table,
    _predictions_table,
    _studies_table,
    _truth,
)
from hemstats.errors import HemstatsError
from hemstats.io.tables import check_options

__all__ = ["DemoData", "simulate", "load", "SCANNERS", "READERS", "MODELS"]

GENERATOR = "hemstats.datasets.demo"

_STREAMS = ("patients", "scanners", "findings", "readers", "predictions", "lesions", "slices")


@dataclass(frozen=True)
class DemoData:
    """A simulated cohort and the true parameters it was drawn from.

    Attributes
    ----------
    cohort : Cohort
        The canonical tables; ``cohort.info[name]`` also holds ``truth``.
    truth : dict
        JSON-serialisable true values (the same object as ``cohort.info[name]["truth"]``):

        - ``prevalence``: finding -> expected prevalence given the studies' ages;
        - ``readers``: reader -> finding -> ``sensitivity``, ``specificity`` and the
          population ``kappa`` against the truth (= ``reader_kappa``);
        - ``auc``: model -> finding -> ``soft``, ``sharp`` (per kernel family) and
          ``all`` (this sample's case mix; ``None`` without positives);
        - ``auc_slice``: ``{"model_a": {"any": ...}}`` for slices of different studies;
        - ``kernel_family``: study_id -> ``"soft"`` or ``"sharp"``; ``kernel_families``:
          family -> kernel names;
        - ``latent``, ``models``, ``lesions``, ``pixel_spacing_mm``: the model constants.
    """

    cohort: Cohort
    truth: dict[str, Any]


def _check(condition: object, message: str) -> None:
    if not condition:
        raise HemstatsError(message)


def _check_arguments(
    n_studies: object, seed: object, reader_kappa: float, name: object, fractions: dict[str, float]
) -> None:
    """Raise a HemstatsError naming the first argument out of range."""
    _check(isinstance(n_studies, (int, np.integer)) and n_studies >= 1, f"n_studies must be an integer >= 1, got {n_studies!r}")
    _check(isinstance(seed, (int, np.integer)) and seed >= 0, f"seed must be an integer >= 0, got {seed!r}")
    _check(0 <= reader_kappa <= 1, f"reader_kappa must be in [0, 1], got {reader_kappa!r}")
    for arg, value in fractions.items():
        _check(0 <= value <= 1, f"{arg} must be in [0, 1], got {value!r}")
    _check(isinstance(name, str) and name.strip() == name and name != "", f"name must be non-empty text, got {name!r}")


def _streams(seed: int) -> dict[str, np.random.Generator]:
    """One independent generator per part of the simulation (see ``_STREAMS``)."""
    children = np.random.SeedSequence(seed).spawn(len(_STREAMS))
    return dict(zip(_STREAMS, (np.random.default_rng(s) for s in children)))


def simulate(
    n_studies: int = 1200,
    *,
    seed: int = 0,
    reader_kappa: float = 0.75,
    name: str = "demo",
    slice_fraction: float = 0.1,
    repeat_fraction: float = 0.1,
    test_fraction: float = 0.2,
) -> DemoData:
    """Simulate a synthetic head-CT hemorrhage cohort with known true parameters.

    A pure function of its arguments: the same arguments give identical tables,
    value for value and dtype for dtype.  Each part (patients, scanners, findings,
    readers, predictions, lesions, slices) draws from its own child of
    ``numpy.random.SeedSequence(seed)``, so e.g. ``reader_kappa`` changes only the
    reader labels and ``slice_fraction`` only the slice-level tables.

    Parameters
    ----------
    n_studies : int, default 1200
        Number of imaging studies.
    seed : int, default 0
        Seed of every random draw.
    reader_kappa : float, default 0.75
        Population Cohen kappa between each reader (R1, R2, R3) and the truth, for
        ``any`` and each subtype; in [0, 1].
    name : str, default "demo"
        Value of the ``dataset`` column and key of ``cohort.info``.
    slice_fraction : float, default 0.1
        Share of studies (rounded) with slice-level labels, images and predictions.
    repeat_fraction : float, default 0.1
        Share of patients with two studies.
    test_fraction : float, default 0.2
        Probability that a patient (with all their studies) is in the ``test`` split.

    Returns
    -------
    DemoData
        ``cohort``: studies, labels (``consensus`` = truth for every finding; readers
        R1-R3 for ``any`` and the subtypes; slice-level consensus for the subset),
        predictions (``model_a``, ``model_b`` at study level; ``model_a`` ``any`` at
        slice level), lesions (one row per positive study x subtype), images (one
        row per simulated slice), notes (one ``synthetic`` row).
        ``truth``: the true parameters (see the module docstring).

    Raises
    ------
    HemstatsError
        When an argument is out of range.

    Examples
    --------
    >>> data = simulate(300, seed=7, reader_kappa=0.6)
    >>> data.cohort.studies.shape[0]
    300
    >>> data.truth["readers"]["R1"]["any"]["kappa"]
    0.6
    >>> round(data.truth["auc"]["model_a"]["any"]["soft"], 2), round(data.truth["auc"]["model_a"]["any"]["sharp"], 2)
    (0.93, 0.85)
    >>> simulate(300, seed=7, reader_kappa=0.6).cohort.equals(data.cohort)
    True
    """
    fractions = {"slice_fraction": slice_fraction, "repeat_fraction": repeat_fraction, "test_fraction": test_fraction}
    _check_arguments(n_studies, seed, reader_kappa, name, fractions)
    n = int(n_studies)
    parameters = {"n_studies": n, "seed": int(seed), "reader_kappa": float(reader_kappa), "name": name,
                  **{arg: float(value) for arg, value in fractions.items()}}
    rngs = _streams(int(seed))

    patients = _draw_patients(rngs["patients"], n, repeat_fraction, test_fraction)
    acq = _draw_acquisition(rngs["scanners"], patients.site)
    findings = _draw_findings(rngs["findings"], patients.age)
    study_id = _ids("DEMO-S", n)
    patient_id = _ids("DEMO-P", patients.n_patients)[patients.patient]
    reader_values, readers_truth = _draw_readers(rngs["readers"], findings, reader_kappa)
    pred_scores, auc_truth = _draw_predictions(rngs["predictions"], findings.y, acq.sharp)
    lesions, extent_mm = _draw_lesions(rngs["lesions"], name, study_id, findings.y, acq.thickness)
    slices = _draw_slices(rngs["slices"], slice_fraction, study_id, findings.y, extent_mm, acq)

    truth = _truth(findings, readers_truth, auc_truth, study_id, acq.sharp)
    info = {name: {"synthetic": True, "generator": GENERATOR, "seed": int(seed), "parameters": parameters, "truth": truth}}
    cohort = Cohort(
        _studies_table(name, study_id, patient_id, patients, acq),
        labels=_labels_table(name, study_id, findings.y, reader_values, slices),
        predictions=_predictions_table(name, study_id, pred_scores, slices),
        lesions=lesions,
        images=_images_table(name, study_id, slices),
        notes=_notes_table(name, int(seed), GENERATOR),
        info=info,
    )
    return DemoData(cohort=cohort, truth=cohort.info[name]["truth"])


def load(
    root: str | os.PathLike[str] | None = None,
    *,
    name: str = "demo",
    n_studies: int = 1200,
    seed: int = 0,
    reader_kappa: float = 0.75,
    slice_fraction: float = 0.1,
    repeat_fraction: float = 0.1,
    test_fraction: float = 0.2,
) -> Cohort:
    """The demo adapter: the cohort of :func:`simulate` (nothing is read from disk).

    Parameters
    ----------
    root : None
        Must be ``None`` (the signature of every adapter takes a folder): the demo cohort is generated, not read.
    name : str, default "demo"
        Value of the ``dataset`` column.
    n_studies, seed, reader_kappa, slice_fraction, repeat_fraction, test_fraction
        As in :func:`simulate`.

    Returns
    -------
    Cohort

    Raises
    ------
    HemstatsError
        When ``root`` is given.
    ManifestError
        An option of the wrong type (e.g. ``n_studies="many"``).

    Examples
    --------
    >>> load(n_studies=30, seed=3).studies["dataset"].unique().tolist()
    ['demo']
    >>> load("/data/demo")
    Traceback (most recent call last):
    ...
    hemstats.errors.HemstatsError: the demo dataset is generated, not read: root must be None, got '/data/demo'
    """
    if root is not None:
        raise HemstatsError(f"the demo dataset is generated, not read: root must be None, got {str(root)!r}")
    check_options(load, locals())
    return simulate(n_studies, seed=seed, reader_kappa=reader_kappa, name=name, slice_fraction=slice_fraction,
                    repeat_fraction=repeat_fraction, test_fraction=test_fraction).cohort
