"""Input checks and the joined table of :func:`hemstats.stats.acquisition.heterogeneity.performance_by_stratum`.

Predictions are joined to their reference label, their study's acquisition stratum and their
cluster (patient) id; every bad input raises a :class:`~hemstats.errors.HemstatsError` naming
the table, column, row or option.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from hemstats.errors import HemstatsError
from hemstats.findings import FINDINGS
from hemstats.stats.acquisition.mix import harmonized


def _first_rows(rows: Any) -> str:
    """The first few row positions (0-based, in the table as passed) as text."""
    rows = np.asarray(rows)
    return ", ".join(str(r) for r in rows[:5]) + (", ..." if len(rows) > 5 else "")


def _check_tables(predictions: Any, labels: Any, studies: Any) -> None:
    for name, df, cols in (("predictions", predictions, ["dataset", "study_id", "level", "finding", "model", "score"]),
                           ("labels", labels, ["dataset", "study_id", "level", "finding", "rater", "value"]),
                           ("studies", studies, ["dataset", "study_id"])):
        if not isinstance(df, pd.DataFrame):
            raise HemstatsError(f"{name}: expected a pandas DataFrame, got {type(df).__name__}")
        missing = [c for c in cols if c not in df.columns]
        if missing:
            raise HemstatsError(f"{name}: missing column(s) {missing}")


def _selection(values: str | Sequence[str] | None, name: str) -> list[str] | None:
    if values is None:
        return None
    out = [values] if isinstance(values, str) else list(values)
    if not out or not all(isinstance(v, str) for v in out):
        raise HemstatsError(f"{name}: expected a name or a non-empty list of names, got {values!r}")
    return out


def joined_table(predictions, labels, studies, *, stratum, level, reference, findings, models,
            cluster) -> tuple[pd.DataFrame, str | None]:
    """Predictions joined to their label, stratum and cluster; and a note on the clustering."""
    _check_tables(predictions, labels, studies)
    keys = ["dataset", "study_id", "slice_id", "finding"]

    def prep(df: pd.DataFrame, extra: list[str]) -> pd.DataFrame:
        out = pd.DataFrame({k: (df[k].astype(object) if k in df else None) for k in keys}, index=df.index)
        out["slice_id"] = out["slice_id"].where(out["slice_id"].notna(), "")
        for c in extra:
            out[c] = df[c].to_numpy()
        return out

    wanted = _selection(findings, "findings")
    unknown = [f for f in wanted or [] if f not in FINDINGS]
    if unknown:
        raise HemstatsError(f"findings: unknown finding(s) {unknown}; known: {list(FINDINGS)}")
    wanted_m = _selection(models, "models")
    p = predictions.reset_index(drop=True)
    p = p[p["level"].astype(object) == level]
    if wanted is not None:
        p = p[p["finding"].astype(object).isin(wanted)]
    if wanted_m is not None:
        absent = [m for m in wanted_m if m not in set(p["model"].astype(object))]
        if absent:
            raise HemstatsError(f"models: no {level}-level predictions of model(s) {absent}")
        p = p[p["model"].astype(object).isin(wanted_m)]
    if p.empty:
        raise HemstatsError(f"predictions: no {level}-level predictions"
                            + (f" of findings {wanted}" if wanted is not None else ""))
    score = pd.to_numeric(p["score"].astype(object), errors="coerce").astype(float)
    bad = ~np.isfinite(score.to_numpy())
    if bad.any():
        raise HemstatsError(f"predictions: column 'score' has {int(bad.sum())} missing, non-numeric or infinite "
                            f"value(s) (rows {_first_rows(p.index[bad])}); "
                            "expected numbers")
    p = prep(p.assign(score=score), ["model", "score"])
    p["model"] = p["model"].astype(object)
    dup = p.duplicated(keys + ["model"], keep=False).to_numpy()
    if dup.any():
        raise HemstatsError(f"predictions: duplicate rows for one (study, slice, finding, model): rows "
                            f"{_first_rows(p.index[dup])}")
    lab = labels.reset_index(drop=True)
    lab = lab[(lab["level"].astype(object) == level) & (lab["rater"].astype(object) == reference)]
    value = pd.to_numeric(lab["value"].astype(object), errors="coerce")
    bad = (lab["value"].notna() & ~value.isin([0, 1])).to_numpy()
    if bad.any():
        raise HemstatsError(f"labels: column 'value' must be 0/1 or missing; {int(bad.sum())} other value(s) "
                            f"(rows {_first_rows(lab.index[bad])})")
    lab = prep(lab.assign(value=value), ["value"]).rename(columns={"value": "y"})
    dup = lab.duplicated(keys, keep=False).to_numpy()
    if dup.any():
        raise HemstatsError(f"labels: duplicate {reference!r} labels for one (study, slice, finding): rows "
                            f"{_first_rows(lab.index[dup])}")
    joined = p.merge(lab, on=keys, how="left", validate="many_to_one")
    h = harmonized(studies)
    if stratum not in h.columns:
        raise HemstatsError(f"stratum: {stratum!r} is not a column of studies (or a harmonised column); "
                            f"columns: {list(h.columns)}")
    if h[stratum].isna().all():
        raise HemstatsError(f"stratum: column {stratum!r} of studies has no value (all missing)")
    st = pd.DataFrame({"dataset": h["dataset"].astype(object), "study_id": h["study_id"].astype(object),
                       "__stratum": h[stratum]})
    dup = st.duplicated(["dataset", "study_id"], keep=False).to_numpy()
    if dup.any():
        raise HemstatsError(f"studies: duplicate (dataset, study_id) rows {_first_rows(np.flatnonzero(dup))}")
    note = None
    if cluster is not None:
        if not isinstance(cluster, str):
            raise HemstatsError(f"cluster: expected a column name of studies or None, got {cluster!r}")
        column = cluster
        if cluster == "patient_id" and ("patient_id" not in h.columns or h["patient_id"].isna().all()):
            column, note = "study_id", "no patient_id in studies: clustered by study_id"
        elif cluster not in h.columns:
            raise HemstatsError(f"cluster: {cluster!r} is not a column of studies; columns: {list(h.columns)}")
        ids = h[column].astype(object)
        if ids.isna().any():
            note = f"{int(ids.isna().sum())} studies without {column}: each its own cluster"
            ids = ids.where(ids.notna(), "\0study:" + h["study_id"].astype(str))
        st["__cluster"] = (h["dataset"].astype(str) + "\0" + ids.astype(str)).to_numpy()
    joined = joined.merge(st, on=["dataset", "study_id"], how="left", validate="many_to_one")
    if cluster is not None:
        orphan = joined["__cluster"].isna()  # a prediction whose study is not in studies: its own cluster
        joined.loc[orphan, "__cluster"] = "\0row:" + joined.index[orphan].astype(str)
    return joined, note


def stratum_order(values: pd.Series) -> list[Any]:
    if isinstance(values.dtype, pd.CategoricalDtype):
        present = set(values.dropna().astype(object))
        return [c for c in values.cat.categories if c in present]
    return sorted(values.dropna().astype(object).unique(), key=str)


def check_options(*, threshold, min_per_class, min_clusters, n_resamples, bootstrap_method, confidence_level) -> None:
    def whole(value: Any) -> bool:
        return isinstance(value, (int, np.integer)) and not isinstance(value, bool)

    if not isinstance(threshold, (int, float, np.number)) or isinstance(threshold, bool) or not np.isfinite(threshold):
        raise HemstatsError(f"threshold must be a finite number, got {threshold!r}")
    if not isinstance(confidence_level, (float, int, np.number)) or not 0 < confidence_level < 1:
        raise HemstatsError(f"confidence_level must be in (0, 1), got {confidence_level!r}")
    if not whole(min_per_class) or min_per_class < 1:
        raise HemstatsError(f"min_per_class must be an integer >= 1, got {min_per_class!r}")
    if not whole(min_clusters) or min_clusters < 2:
        raise HemstatsError(f"min_clusters must be an integer >= 2, got {min_clusters!r}")
    if not whole(n_resamples) or n_resamples < 0:
        raise HemstatsError(f"n_resamples must be an integer >= 0, got {n_resamples!r}")
    if bootstrap_method not in ("percentile", "basic", "bca"):
        raise HemstatsError(f"bootstrap_method must be 'percentile', 'basic' or 'bca', got {bootstrap_method!r}")
