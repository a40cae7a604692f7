"""The majority rule: one definition of a readers' majority label, used by adapters and statistics.

A value wins when **more than half of all the dataset's readers** give it. A reader who did
not read a study counts against both values, so one reader alone never decides a study that
three readers were meant to read; such studies get no majority label (``<NA>``), and the
long-table form lists them so callers can write a ``notes`` row.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hemstats.errors import Problem, SchemaError

__all__ = ["majority", "majority_labels", "LABEL_KEY"]

#: Columns that identify one labelled unit in the canonical ``labels`` table.
LABEL_KEY: tuple[str, ...] = ("dataset", "study_id", "slice_id", "level", "finding")


def majority(votes: pd.DataFrame, n_readers: int | None = None) -> pd.Series:
    """Majority vote across columns of 0/1/<NA>: 1, 0, or <NA> when no value has a majority.

    Parameters
    ----------
    votes : pandas.DataFrame
        One column per reader, values 0, 1 or missing.
    n_readers : int, optional
        How many readers the dataset has; default the number of columns. A value wins
        when more than ``n_readers / 2`` readers give it.

    Returns
    -------
    pandas.Series
        ``Int8``: 1, 0 or ``<NA>``, indexed like ``votes``.

    Raises
    ------
    SchemaError
        ``n_readers`` smaller than the number of columns, or a vote other than 0, 1 or missing.

    Examples
    --------
    >>> votes = pd.DataFrame({"R1": [1, 1, 0, 1], "R2": [1, 0, 0, pd.NA], "R3": [0, 0, 1, pd.NA]}, dtype="Int8")
    >>> majority(votes).tolist()
    [1, 0, 0, <NA>]
    """
    n = votes.shape[1] if n_readers is None else int(n_readers)
    if n < votes.shape[1] or n < 1:
        raise SchemaError([Problem("n_readers", f"expected at least the {votes.shape[1]} reader column(s), got {n}")])
    numeric = votes.apply(pd.to_numeric, errors="coerce")
    odd = (numeric.notna() & ~numeric.isin([0, 1])) | (numeric.isna() & votes.notna())
    if odd.to_numpy(bool).any():
        col = votes.columns[odd.any().to_numpy(bool)][0]
        raise SchemaError([Problem(f"votes[{col!r}]", "expected 0, 1 or missing")])
    pos = (votes == 1).sum(axis=1).to_numpy()
    neg = (votes == 0).sum(axis=1).to_numpy()
    out = pd.Series(pd.NA, index=votes.index, dtype="Int8")
    out[2 * pos > n] = 1
    out[2 * neg > n] = 0
    return out


def majority_labels(labels: pd.DataFrame, *, rater: str = "majority") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Long reader labels -> one majority label per unit, and the units left without one.

    Readers are the raters other than ``consensus``; a dataset's readers are every such
    rater that appears anywhere in that dataset (all findings, all studies).

    Parameters
    ----------
    labels : pandas.DataFrame
        Canonical ``labels`` table (``dataset, study_id, slice_id, level, finding, rater, value``).
    rater : str
        Rater name given to the majority rows.

    Raises
    ------
    SchemaError
        A reader with two values for the same unit (naming the rows).

    Returns
    -------
    (majority, undecided) : tuple of pandas.DataFrame
        ``majority`` has the key columns, ``rater`` and ``value`` (int8) for units with a
        majority; ``undecided`` has the key columns plus ``n_readers``, ``n_positive`` and
        ``n_negative`` for the units without one.

    Examples
    --------
    >>> labels = pd.DataFrame({"dataset": "d", "study_id": ["a", "a", "b"], "slice_id": pd.NA,
    ...     "level": "study", "finding": "any", "rater": ["R1", "R2", "R1"], "value": [1, 1, 1]})
    >>> decided, undecided = majority_labels(labels)
    >>> decided["study_id"].tolist(), undecided["study_id"].tolist()
    (['a'], ['b'])
    """
    key = [c for c in LABEL_KEY if c in labels.columns]
    readers = labels[labels["rater"].astype(object) != "consensus"]
    keyed = pd.DataFrame({c: readers[c].astype(object) for c in [*key, "rater"]}).fillna("")
    dup = keyed.duplicated(keep=False).to_numpy()
    if dup.any():
        rows = ", ".join(str(i) for i in readers.index[dup][:5])
        raise SchemaError([Problem("labels", f"expected one value per unit and reader; {int(dup.sum())} rows repeat "
                                   f"one, first rows (index) {rows}")])
    n_readers = readers.groupby(readers["dataset"].astype(object), observed=True)["rater"].nunique()
    tmp = pd.DataFrame({c: readers[c].astype(object) for c in key})
    if "slice_id" in tmp:
        tmp["slice_id"] = tmp["slice_id"].where(tmp["slice_id"].notna(), "")
    v = pd.to_numeric(readers["value"]).to_numpy()
    tmp["pos"] = (v == 1).astype(np.int64)
    tmp["neg"] = (v == 0).astype(np.int64)
    agg = tmp.groupby(key, sort=True, dropna=False)[["pos", "neg"]].sum().reset_index()
    n = agg["dataset"].map(n_readers).to_numpy(dtype=np.int64)
    win_pos = 2 * agg["pos"].to_numpy() > n
    win_neg = 2 * agg["neg"].to_numpy() > n
    decided = win_pos | win_neg
    if "slice_id" in agg:
        agg["slice_id"] = agg["slice_id"].where(agg["slice_id"] != "", pd.NA)
    out = agg.loc[decided, key].copy()
    out["rater"] = rater
    out["value"] = win_pos[decided].astype(np.int8)
    undecided = agg.loc[~decided, key].copy()
    undecided["n_readers"] = n[~decided]
    undecided["n_positive"] = agg.loc[~decided, "pos"].to_numpy()
    undecided["n_negative"] = agg.loc[~decided, "neg"].to_numpy()
    return out.reset_index(drop=True), undecided.reset_index(drop=True)
