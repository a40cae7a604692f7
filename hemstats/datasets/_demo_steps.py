"""The steps of :func:`hemstats.datasets.demo.simulate`, one per random stream and one per table.

Each ``_draw_*`` step takes its own generator (a child of ``SeedSequence(seed)``), so a step
changes only what it draws; the ``*_table`` steps and :func:`_truth` only arrange.  The
generative model is described in the docstring of :mod:`hemstats.datasets.demo`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from hemstats.datasets._demo_model import (
    _AGE_SLOPE,
    _LESION,
    _LOAD_F,
    _LOAD_G,
    _MIDLINE_GIVEN_MASS,
    _MODEL_RHO,
    _NOISY_OR,
    _PIXEL_MM,
    _SCANNER_MIX,
    _SHARP_P,
    _SITE_P,
    _SLICE_AUC,
    _SLICE_STUDY_VAR,
    ALL_FINDINGS,
    MODELS,
    READ_FINDINGS,
    READERS,
    SCANNERS,
    SITES,
    _choice_rows,
    _d,
    _expected_prevalence,
    _kappa,
    _reader_rates,
    _thresholds,
)
from hemstats.findings import SUBTYPES


@dataclass(frozen=True)
class _Patients:
    """Per study: its patient (index), whether it is the patient's later study, site, age, sex, test split."""

    n_patients: int
    patient: np.ndarray
    site: np.ndarray
    age: np.ndarray
    sex: np.ndarray
    test: np.ndarray


def _draw_patients(rng: np.random.Generator, n: int, repeat_fraction: float, test_fraction: float) -> _Patients:
    """Patients (some with two studies), their site, split, sex and age; a later study is 0-1 year older."""
    n_pat = math.ceil(n / (1 + repeat_fraction))
    n_two = n - n_pat
    twice = rng.choice(n_pat, size=n_two, replace=False)
    patient = rng.permutation(np.concatenate([np.arange(n_pat), twice]))
    _, first_pos = np.unique(patient, return_index=True)
    second = np.ones(n, dtype=bool)  # a patient's later study
    second[first_pos] = False
    pat_site = rng.choice(len(SITES), size=n_pat, p=_SITE_P)
    pat_test = rng.random(n_pat) < test_fraction
    u_sex = rng.random(n_pat)
    pat_sex = np.where(u_sex < 0.02, np.array(None, dtype=object), np.where(u_sex < 0.49, "F", "M"))
    adult_age = np.floor(np.clip(rng.normal(58, 18, n_pat), 18, 95))
    child_age = rng.integers(1, 18, n_pat).astype(float)
    u_age = rng.random(n_pat)
    pat_age = np.where(u_age < 0.03, child_age, adult_age)
    pat_age[u_age > 0.96] = np.nan
    age = pat_age[patient] + np.where(second, rng.integers(0, 2, n), 0)
    return _Patients(n_pat, patient, pat_site[patient], age, pat_sex[patient], pat_test[patient])


@dataclass(frozen=True)
class _Acquisition:
    """Per study: scanner (index into SCANNERS), sharp kernel or not, kernel name and technique."""

    scanner: np.ndarray
    sharp: np.ndarray
    kernel: np.ndarray
    thickness: np.ndarray
    kvp: np.ndarray
    tube_ma: np.ndarray
    n_slices: np.ndarray


def _draw_acquisition(rng: np.random.Generator, site: np.ndarray) -> _Acquisition:
    """Scanner by site mix, kernel family by site, kernel and slice thickness by scanner, kVp, mA, coverage."""
    n = len(site)
    scanner = _choice_rows(rng, _SCANNER_MIX[site])
    sharp = rng.random(n) < _SHARP_P[site]
    u_kernel = rng.random(n)
    u_thick = rng.random(n)
    kernel = np.empty(n, dtype=object)
    thickness = np.empty(n)
    for j, (_, _, soft_k, sharp_k, thick, thick_p) in enumerate(SCANNERS):
        on = scanner == j
        soft_pick = np.array(soft_k, dtype=object)[np.minimum((u_kernel * len(soft_k)).astype(int), len(soft_k) - 1)]
        sharp_pick = np.array(sharp_k, dtype=object)[np.minimum((u_kernel * len(sharp_k)).astype(int), len(sharp_k) - 1)]
        kernel[on] = np.where(sharp, sharp_pick, soft_pick)[on]
        idx = np.minimum((u_thick[:, None] > np.cumsum(thick_p)[None, :]).sum(axis=1), len(thick) - 1)
        thickness[on] = np.array(thick)[idx][on]
    kvp = np.array([100.0, 120.0, 140.0])[_choice_rows(rng, np.tile([0.1, 0.8, 0.1], (n, 1)))]
    tube_ma = rng.integers(15, 46, n) * 10.0
    coverage = np.clip(rng.normal(150, 10, n), 120, 180)
    n_slices = np.maximum(np.round(coverage / thickness), 1).astype(int)
    return _Acquisition(scanner, sharp, kernel, thickness, kvp, tube_ma, n_slices)


@dataclass(frozen=True)
class _Findings:
    """True findings per study (finding -> bool array), the latent thresholds and the expected prevalences."""

    y: dict[str, np.ndarray]
    thresholds: dict[str, float]
    prevalence: dict[str, float]


def _draw_findings(rng: np.random.Generator, age: np.ndarray) -> _Findings:
    """Subtypes from the two latent factors, ``any`` as their OR, the noisy-OR secondary findings."""
    n = len(age)
    mu = np.where(np.isnan(age), 0.0, _AGE_SLOPE * (np.nan_to_num(age) - 55) / 20)
    f_lat = mu + rng.standard_normal(n)
    g_lat = rng.standard_normal(n)
    t = _thresholds()
    y: dict[str, np.ndarray] = {}
    for k in SUBTYPES:
        c = math.sqrt(1 - _LOAD_F**2 - _LOAD_G[k] ** 2)
        y[k] = _LOAD_F * f_lat + _LOAD_G[k] * g_lat + c * rng.standard_normal(n) > t[k]
    y["any"] = np.logical_or.reduce([y[k] for k in SUBTYPES])
    for fname, (base, parents) in _NOISY_OR.items():
        hit = rng.random(n) < base
        for k, q in parents.items():
            hit |= y[k] & (rng.random(n) < q)
        y[fname] = hit
    y["midline_shift"] = y["mass_effect"] & (rng.random(n) < _MIDLINE_GIVEN_MASS)
    uniq_mu, inverse = np.unique(mu, return_inverse=True)
    expected = {k: v[inverse] for k, v in _expected_prevalence(uniq_mu).items()}
    prevalence = {k: float(expected[k].mean()) for k in ALL_FINDINGS}
    return _Findings(y, t, prevalence)


def _studies_table(name: str, study_id: np.ndarray, patient_id: np.ndarray, patients: _Patients,
                   acq: _Acquisition) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "dataset": name,
            "study_id": study_id,
            "patient_id": patient_id,
            "age_years": patients.age,
            "sex": patients.sex,
            "split": np.where(patients.test, "test", "train"),
            "site": np.array(SITES, dtype=object)[patients.site],
            "manufacturer": np.array([s[0] for s in SCANNERS], dtype=object)[acq.scanner],
            "scanner_model": np.array([s[1] for s in SCANNERS], dtype=object)[acq.scanner],
            "kernel": acq.kernel,
            "slice_thickness_mm": acq.thickness,
            "kvp": acq.kvp,
            "tube_current_ma": acq.tube_ma,
            "n_slices": acq.n_slices,
        }
    )


def _draw_readers(
    rng: np.random.Generator, findings: _Findings, reader_kappa: float
) -> tuple[list[np.ndarray], dict[str, dict[str, dict[str, float]]]]:
    """Each reader's labels (reader-major, then READ_FINDINGS) and their true Se, Sp and kappa."""
    n = len(findings.y["any"])
    readers_truth: dict[str, dict[str, dict[str, float]]] = {}
    reader_values = []
    for r, bias in READERS.items():
        readers_truth[r] = {}
        for k in READ_FINDINGS:
            p = findings.prevalence[k]
            se, sp = _reader_rates(p, reader_kappa, bias)
            u = rng.random(n)
            reader_values.append(np.where(findings.y[k], u < se, u >= sp))
            readers_truth[r][k] = {"sensitivity": se, "specificity": sp, "kappa": round(_kappa(p, se, sp), 12)}
    return reader_values, readers_truth


def _draw_predictions(
    rng: np.random.Generator, y: dict[str, np.ndarray], sharp: np.ndarray
) -> tuple[list[np.ndarray], dict[str, dict[str, dict[str, float | None]]]]:
    """Binormal study scores of both models (model-major, then READ_FINDINGS) and their true AUCs."""
    n = len(sharp)
    noise_a = rng.standard_normal((len(READ_FINDINGS), n))
    noise_b = _MODEL_RHO * noise_a + math.sqrt(1 - _MODEL_RHO**2) * rng.standard_normal((len(READ_FINDINGS), n))
    pred_scores = []
    auc_truth: dict[str, dict[str, dict[str, float | None]]] = {}
    for model, noise in (("model_a", noise_a), ("model_b", noise_b)):
        auc_truth[model] = {}
        for i, k in enumerate(READ_FINDINGS):
            auc_soft, auc_sharp = MODELS[model][k]
            d = np.where(sharp, _d(auc_sharp), _d(auc_soft))
            pred_scores.append(special.expit(d * y[k] + noise[i]))
            n_pos_sharp = int((y[k] & sharp).sum())
            n_pos = int(y[k].sum())
            marginal = (auc_sharp * n_pos_sharp + auc_soft * (n_pos - n_pos_sharp)) / n_pos if n_pos else None
            auc_truth[model][k] = {"all": marginal, "soft": auc_soft, "sharp": auc_sharp}
    return pred_scores, auc_truth


def _draw_lesions(
    rng: np.random.Generator, name: str, study_id: np.ndarray, y: dict[str, np.ndarray], thickness: np.ndarray
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """The lesions table (one row per positive study x subtype) and each lesion's extent in mm (every study)."""
    n = len(study_id)
    lesion_parts = []
    extent_mm = {}
    for k in SUBTYPES:
        median, sigma, factor = _LESION[k]
        volume = median * np.exp(sigma * rng.standard_normal(n))
        voxel_mm3 = _PIXEL_MM * _PIXEL_MM * thickness
        voxels = np.maximum(np.round(volume * 1000 / voxel_mm3), 1).astype(np.int64)
        extent_mm[k] = factor * np.cbrt(voxels * voxel_mm3)
        pos = y[k]
        lesion_parts.append(
            pd.DataFrame(
                {
                    "study_index": np.flatnonzero(pos),
                    "finding": k,
                    "voxels": voxels[pos],
                    "volume_ml": voxels[pos] * voxel_mm3[pos] / 1000,
                }
            )
        )
    lesion_long = pd.concat(lesion_parts, ignore_index=True).sort_values(["study_index", "finding"], kind="stable")
    lesions = pd.DataFrame(
        {
            "dataset": name,
            "study_id": study_id[lesion_long["study_index"].to_numpy()],
            "finding": lesion_long["finding"].to_numpy(),
            "voxels": lesion_long["voxels"].to_numpy(),
            "volume_ml": lesion_long["volume_ml"].to_numpy(),
        }
    )
    return lesions, extent_mm


@dataclass(frozen=True)
class _Slices:
    """Slices of the slice-level subset: study index, id, true findings and ``model_a`` ``any`` score."""

    study: np.ndarray
    slice_id: np.ndarray
    y: dict[str, np.ndarray]
    score: np.ndarray


def _draw_slices(
    rng: np.random.Generator,
    slice_fraction: float,
    study_id: np.ndarray,
    y: dict[str, np.ndarray],
    extent_mm: dict[str, np.ndarray],
    acq: _Acquisition,
) -> _Slices:
    """Slice labels (one contiguous run per positive subtype) and correlated slice scores for a subset."""
    n = len(study_id)
    thickness, n_slices = acq.thickness, acq.n_slices
    n_sub = round(slice_fraction * n)
    sub = np.sort(rng.choice(n, size=n_sub, replace=False))
    counts = n_slices[sub]
    s_study = np.repeat(sub, counts)  # study index of each slice
    starts = np.cumsum(counts) - counts
    s_pos = np.arange(counts.sum()) - np.repeat(starts, counts)  # 0-based position within study
    slice_id = np.array([f"{study_id[i]}-{p + 1:03d}" for i, p in zip(s_study, s_pos)], dtype=object)
    slice_y: dict[str, np.ndarray] = {}
    for k in SUBTYPES:
        run = np.clip(np.round(extent_mm[k][sub] / thickness[sub]), 1, counts).astype(int)
        begin = np.floor(rng.random(n_sub) * (counts - run + 1)).astype(int)
        run_s, begin_s = np.repeat(run, counts), np.repeat(begin, counts)
        slice_y[k] = y[k][s_study] & (s_pos >= begin_s) & (s_pos < begin_s + run_s)
    slice_y["any"] = np.logical_or.reduce([slice_y[k] for k in SUBTYPES]) if n_sub else np.zeros(0, bool)
    u_study = rng.standard_normal(n)[s_study]
    d_slice = _d(_SLICE_AUC)
    slice_score = special.expit(
        d_slice * slice_y["any"]
        + math.sqrt(_SLICE_STUDY_VAR) * u_study
        + math.sqrt(1 - _SLICE_STUDY_VAR) * rng.standard_normal(len(s_study))
    )
    return _Slices(s_study, slice_id, slice_y, slice_score)


def _labels_table(name: str, study_id: np.ndarray, y: dict[str, np.ndarray], reader_values: list[np.ndarray],
                  slices: _Slices) -> pd.DataFrame:
    """Consensus (truth) for every finding, the readers' study labels, the slice-level consensus."""
    n, n_read, n_sl = len(study_id), len(READ_FINDINGS), len(slices.study)
    n_study_rows = n * (len(ALL_FINDINGS) + len(READERS) * n_read)
    return pd.DataFrame(
        {
            "dataset": name,
            "study_id": np.concatenate(
                [np.tile(study_id, len(ALL_FINDINGS)), np.tile(study_id, len(READERS) * n_read),
                 np.tile(study_id[slices.study], n_read)]
            ),
            "slice_id": np.concatenate([np.full(n_study_rows, None), np.tile(slices.slice_id, n_read)]),
            "level": np.repeat(["study", "slice"], [n_study_rows, n_sl * n_read]),
            "finding": np.concatenate(
                [
                    np.repeat(ALL_FINDINGS, n),
                    np.tile(np.repeat(READ_FINDINGS, n), len(READERS)),
                    np.repeat(READ_FINDINGS, n_sl),
                ]
            ),
            "rater": np.concatenate(
                [
                    np.full(n * len(ALL_FINDINGS), "consensus"),
                    np.repeat(list(READERS), n * n_read),
                    np.full(n_sl * n_read, "consensus"),
                ]
            ),
            "value": np.concatenate(
                [np.concatenate([y[k] for k in ALL_FINDINGS]), np.concatenate(reader_values)]
                + [slices.y[k] for k in READ_FINDINGS]
            ).astype(np.int8),
        }
    )


def _predictions_table(name: str, study_id: np.ndarray, pred_scores: list[np.ndarray], slices: _Slices) -> pd.DataFrame:
    """Both models' study scores for READ_FINDINGS, then ``model_a`` ``any`` on the slices."""
    n, n_read, n_sl = len(study_id), len(READ_FINDINGS), len(slices.study)
    return pd.DataFrame(
        {
            "dataset": name,
            "study_id": np.concatenate([np.tile(study_id, 2 * n_read), study_id[slices.study]]),
            "slice_id": np.concatenate([np.full(2 * n_read * n, None), slices.slice_id]),
            "level": np.repeat(["study", "slice"], [2 * n_read * n, n_sl]),
            "finding": np.concatenate([np.tile(np.repeat(READ_FINDINGS, n), 2), np.full(n_sl, "any")]),
            "model": np.concatenate([np.repeat(list(MODELS), n_read * n), np.full(n_sl, "model_a")]),
            "score": np.concatenate(pred_scores + [slices.score]),
        }
    )


def _images_table(name: str, study_id: np.ndarray, slices: _Slices) -> pd.DataFrame:
    return pd.DataFrame(
        {"dataset": name, "study_id": study_id[slices.study], "slice_id": slices.slice_id, "path": None,
         "width": 512, "height": 512}
    )


def _notes_table(name: str, seed: int, generator: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "dataset": [name],
            "study_id": [None],
            "kind": ["synthetic"],
            "detail": [f"synthetic data simulated by {generator} (seed {seed}); no real patient or image"],
        }
    )


def _truth(
    findings: _Findings,
    readers_truth: dict[str, dict[str, dict[str, float]]],
    auc_truth: dict[str, dict[str, dict[str, float | None]]],
    study_id: np.ndarray,
    sharp: np.ndarray,
) -> dict[str, Any]:
    """The JSON-serialisable true parameters (see :class:`DemoData`)."""
    family = np.where(sharp, "sharp", "soft")
    return {
        "prevalence": findings.prevalence,
        "readers": readers_truth,
        "auc": auc_truth,
        "auc_slice": {"model_a": {"any": _SLICE_AUC}},
        "kernel_family": dict(zip(study_id.tolist(), family.tolist())),
        "kernel_families": {
            "soft": sorted({k for s in SCANNERS for k in s[2]}),
            "sharp": sorted({k for s in SCANNERS for k in s[3]}),
        },
        "latent": {
            "thresholds": findings.thresholds,
            "loading_f": _LOAD_F,
            "loading_g": dict(_LOAD_G),
            "age_slope_per_20y": _AGE_SLOPE,
            "age_centre": 55,
            "noisy_or": {k: {"baseline": b, "parents": dict(p)} for k, (b, p) in _NOISY_OR.items()},
            "midline_shift_given_mass_effect": _MIDLINE_GIVEN_MASS,
        },
        "models": {
            "score": "logistic(d * y + N(0, 1)); AUC = Phi(d / sqrt(2))",
            "noise_correlation": _MODEL_RHO,
            "slice_study_variance_share": _SLICE_STUDY_VAR,
        },
        "lesions": {
            k: {"median_ml": m, "sigma_log": s, "extent_factor": f} for k, (m, s, f) in _LESION.items()
        },
        "pixel_spacing_mm": _PIXEL_MM,
    }
