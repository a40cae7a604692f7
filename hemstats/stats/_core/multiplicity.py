"""Multiplicity control shared by every family: Holm's step-down adjustment within families.

The arithmetic is statsmodels' (``multipletests(method="holm")``, as R's ``p.adjust``); this
module only applies it per family of rows.

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
from statsmodels.stats.multitest import multipletests

__all__ = ["holm"]


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
            vals[ok] = multipletests(p[ok], method="holm")[1]
            adjusted[pos] = vals
    return adjusted
