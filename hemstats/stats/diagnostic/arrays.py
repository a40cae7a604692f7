"""Plain arrays of labels and scores as a Cohort, so every performance statistic takes them.

The statistics of :mod:`hemstats.stats` take a Cohort or a canonical table first; array-level
kernels (:func:`hemstats.stats.bootstrap_ci`, :func:`hemstats.stats.diagnostic.auc.delong`)
take ``y`` first, as scikit-learn does.  :func:`from_arrays` bridges the two: ``y`` first,
then the scores, and it returns a one-dataset Cohort whose studies are the rows.

Examples
--------
>>> from hemstats.stats import auc
>>> cohort = from_arrays([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
>>> float(auc(cohort).estimate[0])
0.75
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from hemstats.errors import InputError
from hemstats.stats._core.options import check_scores, check_y

if TYPE_CHECKING:
    from hemstats.cohort import Cohort

__all__ = ["from_arrays"]


def from_arrays(
    y: Sequence[int] | np.ndarray | pd.Series,
    score: Any,
    *,
    cluster: Sequence[Any] | np.ndarray | None = None,
    dataset: str = "arrays",
    findings: str = "any",
) -> Cohort:
    """A Cohort of one dataset from 0/1 labels and one or several models' scores.

    Parameters
    ----------
    y : array of 0/1, shape (n,)
        The reference labels (rater ``consensus``).
    score : array (n,), array (n, k), DataFrame or mapping name -> array
        One model's scores (model ``score``), or paired models (columns ``score_0``... of an
        array, or the DataFrame's column names / the mapping's keys).
    cluster : array (n,), optional
        Each row's patient: the Cohort's ``patient_id``, so ``cluster="auto"`` (the default of
        every statistic) resamples rows of one patient together.  Default: one patient per row.
    dataset, findings : str
        The dataset name and the one finding code of the Cohort.

    Returns
    -------
    Cohort
        ``studies`` (one per row, ids ``"0000"``...), ``labels`` and ``predictions`` at the
        study level.

    Raises
    ------
    InputError
        Labels not 0/1, scores not numbers, NaN or infinite, lengths that differ, missing
        cluster ids (each naming the argument and the first bad row).

    Examples
    --------
    >>> cohort = from_arrays([0, 1, 1], {"a": [0.2, 0.7, 0.9], "b": [0.5, 0.4, 0.8]}, cluster=[1, 1, 2])
    >>> cohort.predictions.model.astype(str).tolist()
    ['a', 'a', 'a', 'b', 'b', 'b']
    >>> cohort.studies.patient_id.tolist()
    ['1', '1', '2']
    """
    from hemstats.cohort import Cohort

    y_arr = check_y(y, "y")
    if len(y_arr) == 0:
        raise InputError("y: empty; expected one 0/1 label per row")
    arr, names = check_scores(score, len(y_arr), "score")
    n = len(y_arr)
    if cluster is not None:
        ids = np.asarray(cluster, dtype=object).ravel()
        if len(ids) != n:
            raise InputError(f"cluster: expected {n} ids (one per label), got {len(ids)}")
        if pd.isna(pd.Series(ids)).any():
            raise InputError("cluster: some ids are missing; every row needs a cluster id")
    if not isinstance(dataset, str) or not dataset:
        raise InputError(f"dataset must be a non-empty string, got {dataset!r}")
    if not isinstance(findings, str):
        raise InputError(f"findings must be one finding code, got {findings!r}")
    width = len(str(max(n - 1, 0)))
    study_ids = [f"{i:0{width}d}" for i in range(n)]
    patients = study_ids if cluster is None else [str(c) for c in ids]
    names = names or (["score"] if arr.shape[1] == 1 else [f"score_{i}" for i in range(arr.shape[1])])
    studies = pd.DataFrame({"dataset": dataset, "study_id": study_ids, "patient_id": patients})
    labels = pd.DataFrame({"dataset": dataset, "study_id": study_ids, "level": "study", "finding": findings,
                           "rater": "consensus", "value": y_arr})
    predictions = pd.concat(
        [pd.DataFrame({"dataset": dataset, "study_id": study_ids, "level": "study", "finding": findings,
                       "model": name, "score": arr[:, k]}) for k, name in enumerate(names)],
        ignore_index=True,
    )
    return Cohort(studies, labels=labels, predictions=predictions)
