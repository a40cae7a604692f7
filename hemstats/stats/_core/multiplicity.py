"""Multiplicity control shared by every family: Holm's step-down adjustment within families.

The arithmetic is statsmodels' ``multipletests(method="holm")`` (as R's ``p.adjust``), written
out here in its four lines: statsmodels' Holm runs a full ``gc.collect()`` on every call, which
cost about 0.1 s per family (over a second for one ``compare_auc`` on the demo Cohort).  The
tests compare it with statsmodels and with R.

Examples
--------
>>> import pandas as pd
>>> frame = pd.DataFrame({"family": ["a", "a", "b"], "p_value": [0.01, 0.04, float("nan")]})
>>> holm(frame, ["family"]).round(3).tolist()
[0.02, 0.04, nan]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["holm"]


def _holm(p: np.ndarray) -> np.ndarray:
    """``multipletests(p, method="holm")[1]``: step-down ``p * (m - rank)``, running maximum, at most 1."""
    order = np.argsort(p)
    adjusted = np.maximum.accumulate(p[order] * np.arange(len(p), 0, -1))
    adjusted[adjusted > 1] = 1
    out = np.empty_like(adjusted)
    out[order] = adjusted
    return out


def holm(frame: pd.DataFrame, family: Sequence[str]) -> np.ndarray:
    """Holm-adjusted ``p_value`` within each family of rows (NaN p-values stay NaN and do not count)."""
    adjusted = np.full(len(frame), np.nan)
    if frame.empty:
        return adjusted
    keys = frame[list(family)].astype(object).where(frame[list(family)].notna(), "\0")
    p_all = frame["p_value"].to_numpy(dtype=float)
    for _, idx in keys.groupby(list(family), sort=False).groups.items():
        pos = frame.index.get_indexer(idx)
        p = p_all[pos]
        ok = np.isfinite(p)
        if ok.any():
            vals = adjusted[pos]
            vals[ok] = _holm(p[ok])
            adjusted[pos] = vals
    return adjusted
