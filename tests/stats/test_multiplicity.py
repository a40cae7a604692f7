"""Holm's adjustment (stats/_core/multiplicity.py) equals statsmodels' multipletests(method="holm")."""

from __future__ import annotations

import gc

import numpy as np
import pandas as pd
from statsmodels.stats.multitest import multipletests

from hemstats.stats._core.multiplicity import holm


def test_holm_equals_statsmodels_per_family_with_ties_and_nan(monkeypatch):
    # statsmodels' multipletests runs gc.collect() on every call: seconds in a large test process
    monkeypatch.setattr(gc, "collect", lambda *args: 0)
    rng = np.random.default_rng(0)
    for trial in range(300):
        m = int(rng.integers(1, 25))
        p = rng.random(m) ** int(rng.integers(1, 5))
        if trial % 3 == 0:
            p = np.round(p, 2)  # ties
        family = rng.choice(["a", "b"], m)
        p[rng.random(m) < 0.1] = np.nan
        frame = pd.DataFrame({"family": family, "p_value": p})
        expected = np.full(m, np.nan)
        for f in ("a", "b"):
            rows = np.flatnonzero((family == f) & np.isfinite(p))
            if len(rows):
                expected[rows] = multipletests(p[rows], method="holm")[1]
        np.testing.assert_allclose(holm(frame, ["family"]), expected, rtol=1e-12, atol=0)
