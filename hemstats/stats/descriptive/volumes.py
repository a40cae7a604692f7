"""How large the lesions are: volume summaries (mL) per group and finding."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from hemstats._coerce import describe_rows
from hemstats.errors import HemstatsError
from hemstats.findings import FINDINGS
from hemstats.stats.descriptive._prevalence_input import _as_list, _sorted, checked_table, cohort_tables

if TYPE_CHECKING:
    from hemstats.cohort import Cohort

__all__ = ["lesion_volumes"]


# -- lesion volumes -----------------------------------------------------------------------------
def lesion_volumes(
    lesions: pd.DataFrame | Cohort,
    *,
    by: str | Sequence[str] | None = "dataset",
    findings: Sequence[str] | None = None,
    include_zero: bool = False,
) -> pd.DataFrame:
    """Summaries of lesion volume (mL) per group and finding.

    Parameters
    ----------
    lesions : Cohort or pandas.DataFrame
        A Cohort (its ``lesions``) or the canonical ``lesions`` table (``dataset, study_id, finding, volume_ml``).
    by : str, list of str or None
        Grouping columns of ``lesions``.
    findings : sequence of str, optional
        Which findings; default all present.
    include_zero : bool
        Whether volumes of exactly 0 (finding absent on the mask) enter the
        summaries; they are always counted in ``n_zero``.

    Returns
    -------
    pandas.DataFrame
        One row per group x finding, columns: the ``by`` columns, then
        ``finding, n`` (volumes summarised), ``n_zero, n_missing``, ``mean, sd``
        (ddof 1; NaN when n < 2), ``median, q1, q3`` (linear interpolation, R's
        ``quantile(type = 7)``), ``min, max`` (NaN when n is 0).

    Notes
    -----
    Validated against R ``mean``, ``sd``, ``quantile(type = 7)``
    (tests/reference/prevalence.R).

    Examples
    --------
    >>> from hemstats.datasets import demo
    >>> cohort = demo.load(n_studies=200)
    >>> vol = lesion_volumes(cohort.lesions)
    >>> bool((vol.q1 <= vol["median"]).all() and (vol["median"] <= vol.q3).all())
    True
    """
    lesions, _ = cohort_tables(lesions, None, "lesions")
    by_ = _as_list(by)
    les = checked_table(lesions, "lesions", list(dict.fromkeys(["dataset", "study_id", "finding", "volume_ml"] + by_)))
    if findings is not None:
        findings = _as_list(findings, "findings")
        unknown = [f for f in findings if f not in FINDINGS]
        if unknown:
            raise HemstatsError(f"findings {unknown} are not in the finding vocabulary {list(FINDINGS)}")
        les = les[les["finding"].isin(list(findings))]
    for b in by_:
        if les[b].isna().any():
            rows = describe_rows(les, les[b].isna().to_numpy(), "study_id")
            raise HemstatsError(f"grouping column lesions.{b} is missing for {rows}")
    vol = les["volume_ml"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    les = les.assign(_v=vol)
    rows = []
    for key, block in les.groupby(by_ + ["finding"], sort=False, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        v = block["_v"].to_numpy()
        missing = np.isnan(v)
        zero = v == 0
        use = v[~missing & (include_zero | ~zero)]
        n = len(use)
        q1, med, q3 = np.percentile(use, [25, 50, 75]) if n else (np.nan, np.nan, np.nan)
        rows.append(
            (
                *key,
                n,
                int(zero.sum()),
                int(missing.sum()),
                float(use.mean()) if n else np.nan,
                float(use.std(ddof=1)) if n >= 2 else np.nan,
                float(med),
                float(q1),
                float(q3),
                float(use.min()) if n else np.nan,
                float(use.max()) if n else np.nan,
            )
        )
    cols = by_ + ["finding", "n", "n_zero", "n_missing", "mean", "sd", "median", "q1", "q3", "min", "max"]
    out = pd.DataFrame(rows, columns=cols)
    for c in ["n", "n_zero", "n_missing"]:
        out[c] = out[c].astype("int64")
    return _sorted(out, by_)
