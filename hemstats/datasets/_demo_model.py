"""Parameters and closed forms of the generative model of :mod:`hemstats.datasets.demo`.

The cohort's design (sites, scanners and their kernels, readers and their bias, models and
their true AUCs; re-exported by :mod:`hemstats.datasets.demo`) and
the latent findings model (reference prevalences, loadings, age slope, noisy-OR
secondary findings), the score and lesion constants, and the helpers
:func:`~hemstats.datasets.demo.simulate` draws with: study ids, row-wise categorical
draws, the latent thresholds, the exact expected prevalence (Gauss-Hermite
quadrature), the reader sensitivity/specificity giving a target kappa and its
inverse, and the binormal separation of an AUC.  The module docstring of
:mod:`hemstats.datasets.demo` describes the model.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.polynomial.hermite_e import hermegauss
from scipy import special, stats

from hemstats.findings import SUBTYPES

# Subtype prevalence at the reference age (55 y) and the latent loadings; with a = 0.569 and
# b = 0.55 (IPH, IVH) P(any) is 0.35 at the reference age, and among ICH the subtype shares are
# IPH 55 %, SAH 35 %, SDH 30 %, IVH 25 %, EDH 6 %.
_P_REF = {"edh": 0.021, "sdh": 0.105, "sah": 0.1225, "iph": 0.1925, "ivh": 0.0875}
_LOAD_F = 0.569
_LOAD_G = {"edh": 0.0, "sdh": 0.0, "sah": 0.0, "iph": 0.55, "ivh": 0.55}
_AGE_SLOPE = 0.3  # shift of F per 20 years of age, centred at 55
# Noisy-OR secondary findings: baseline probability and per-subtype probabilities.
_NOISY_OR = {
    "chronic": (0.015, {"sdh": 0.30}),
    "fracture": (0.02, {"edh": 0.60, "sdh": 0.15, "sah": 0.12, "iph": 0.05}),
    "mass_effect": (0.01, {"edh": 0.50, "sdh": 0.45, "sah": 0.05, "iph": 0.35, "ivh": 0.15}),
}
_MIDLINE_GIVEN_MASS = 0.6

_MODEL_RHO = 0.5  # correlation of the two models' latent noise
_SLICE_AUC = 0.92  # model_a, slice level, `any`
_SLICE_STUDY_VAR = 0.3  # share of slice-score noise variance shared within a study

# Lesions: lognormal volume (median ml, sigma) and slice extent factor (extent_mm = factor * cbrt(mm3)).
_LESION = {
    "edh": (30.0, 0.8, 1.3),
    "sdh": (25.0, 0.9, 2.5),
    "sah": (8.0, 0.9, 2.0),
    "iph": (15.0, 1.0, 1.3),
    "ivh": (5.0, 0.9, 1.5),
}
_PIXEL_MM = 0.45

# -- the cohort's design ----------------------------------------------------------------------
SITES: tuple[str, ...] = ("site_A", "site_B", "site_C")
_SITE_P = np.array([0.45, 0.35, 0.20])

#: (manufacturer as in DICOM, model, soft kernels, sharp kernels, slice thicknesses mm, their probabilities)
SCANNERS: tuple[tuple[str, str, tuple[str, ...], tuple[str, ...], tuple[float, ...], tuple[float, ...]], ...] = (
    ("GE MEDICAL SYSTEMS", "Revolution CT", ("SOFT", "STANDARD"), ("BONE",), (0.625, 1.25, 2.5, 5.0), (0.15, 0.2, 0.15, 0.5)),
    ("GE MEDICAL SYSTEMS", "Optima CT660", ("SOFT", "STANDARD"), ("BONE",), (0.625, 1.25, 2.5, 5.0), (0.1, 0.15, 0.25, 0.5)),
    ("SIEMENS", "SOMATOM Definition AS", ("H30s", "J40s"), ("H70h", "J70h"), (1.0, 3.0, 5.0), (0.2, 0.3, 0.5)),
    ("Philips", "Ingenuity CT", ("UB", "UC"), ("YC", "YB"), (1.0, 3.0, 5.0), (0.25, 0.25, 0.5)),
)
# Scanner mix per site (rows: sites, columns: SCANNERS) and each site's share of sharp-kernel studies.
_SCANNER_MIX = np.array(
    [
        [0.60, 0.30, 0.00, 0.10],
        [0.00, 0.30, 0.70, 0.00],
        [0.20, 0.00, 0.20, 0.60],
    ]
)
_SHARP_P = np.array([0.25, 0.35, 0.30])

#: Reader ids and their bias: relative excess positive rate per unit of (1 - kappa).
READERS: dict[str, float] = {"R1": 0.0, "R2": 0.15, "R3": -0.15}
READ_FINDINGS: tuple[str, ...] = ("any", *SUBTYPES)
SECONDARY: tuple[str, ...] = ("chronic", "fracture", "mass_effect", "midline_shift")
ALL_FINDINGS: tuple[str, ...] = (*READ_FINDINGS, *SECONDARY)

#: True AUCs: model -> finding -> (soft-kernel AUC, sharp-kernel AUC).
MODELS: dict[str, dict[str, tuple[float, float]]] = {
    "model_a": {
        "any": (0.93, 0.85),
        "edh": (0.90, 0.83),
        "sdh": (0.88, 0.80),
        "sah": (0.87, 0.78),
        "iph": (0.95, 0.88),
        "ivh": (0.96, 0.90),
    },
    "model_b": {
        "any": (0.89, 0.89),
        "edh": (0.85, 0.85),
        "sdh": (0.84, 0.84),
        "sah": (0.83, 0.83),
        "iph": (0.91, 0.91),
        "ivh": (0.93, 0.93),
    },
}


def _ids(prefix: str, n: int) -> np.ndarray:
    width = max(4, len(str(n)))
    return np.array([f"{prefix}{i:0{width}d}" for i in range(1, n + 1)], dtype=object)


def _choice_rows(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One category per row of ``probs`` (each row sums to 1), vectorised."""
    u = rng.random(len(probs))
    cdf = np.cumsum(probs, axis=1)
    return np.minimum((u[:, None] > cdf).sum(axis=1), probs.shape[1] - 1)


def _thresholds() -> dict[str, float]:
    return {k: float(stats.norm.isf(p)) for k, p in _P_REF.items()}


def _expected_prevalence(mu: np.ndarray) -> dict[str, np.ndarray]:
    """Exact P(finding | mu) for every finding, by Gauss-Hermite quadrature over (F, G)."""
    x, w = hermegauss(48)
    w = w / w.sum()
    f = mu[:, None, None] + x[None, :, None]
    g = x[None, None, :]
    weight = (w[:, None] * w[None, :])[None]
    t = _thresholds()
    p = {}
    for k in SUBTYPES:
        c = math.sqrt(1 - _LOAD_F**2 - _LOAD_G[k] ** 2)
        p[k] = special.ndtr((_LOAD_F * f + _LOAD_G[k] * g - t[k]) / c)
    out = {k: (weight * p[k]).sum(axis=(1, 2)) for k in SUBTYPES}
    none = np.prod([1 - p[k] for k in SUBTYPES], axis=0)
    out["any"] = 1 - (weight * none).sum(axis=(1, 2))
    for name, (base, parents) in _NOISY_OR.items():
        neg = (1 - base) * np.prod([1 - q * p[k] for k, q in parents.items()], axis=0)
        out[name] = 1 - (weight * neg).sum(axis=(1, 2))
    out["midline_shift"] = _MIDLINE_GIVEN_MASS * out["mass_effect"]
    return out


def _reader_rates(p: float, kappa: float, bias: float) -> tuple[float, float]:
    """Sensitivity and specificity giving population kappa ``kappa`` at prevalence ``p``."""
    q = min(max(p * (1 + bias * (1 - kappa)), 0.0), 1.0)
    p_e = p * q + (1 - p) * (1 - q)
    fn = ((1 - kappa) * (1 - p_e) - (q - p)) / 2
    fp = ((1 - kappa) * (1 - p_e) + (q - p)) / 2
    se = 1 - fn / p if p > 0 else 1.0
    sp = 1 - fp / (1 - p) if p < 1 else 1.0
    return min(max(se, 0.0), 1.0), min(max(sp, 0.0), 1.0)


def _kappa(p: float, se: float, sp: float) -> float:
    """Population Cohen kappa between the truth (prevalence p) and a reader (se, sp)."""
    q = p * se + (1 - p) * (1 - sp)
    p_o = p * se + (1 - p) * sp
    p_e = p * q + (1 - p) * (1 - q)
    return (p_o - p_e) / (1 - p_e) if p_e < 1 else 1.0


def _d(auc: float) -> float:
    return math.sqrt(2) * float(stats.norm.ppf(auc))
