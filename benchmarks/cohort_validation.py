"""Cohort validation on an RSNA-sized label table (750,000 slices x 6 findings = 4.5 M rows).

Baseline, measured in the same run: the plain pandas checks a first version used
(``DataFrame.duplicated`` on the key columns as given and ``MultiIndex.isin`` for the
links to studies), which hash every text value of every row again.  hemstats factorises
each text column once and checks keys and links on integer codes.

It also times ``Cohort.concat`` (the last step of ``hemstats.load``) against validating the
same valid cohort again, which is what concat did before it reused validated tables.

Run by hand: ``.venv/bin/python benchmarks/cohort_validation.py [--images N]``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from hemstats import Cohort

FINDINGS = ["any", "edh", "sdh", "sah", "iph", "ivh"]


def tables(n_images: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    ids = np.char.add("ID_", np.arange(n_images).astype(str)).astype(object)
    studies = pd.DataFrame({"dataset": "rsna", "study_id": ids, "patient_id": ids})
    n = n_images * len(FINDINGS)
    labels = pd.DataFrame(
        {
            "dataset": pd.Categorical(["rsna"] * n),
            "study_id": np.repeat(ids, len(FINDINGS)),
            "slice_id": np.repeat(ids, len(FINDINGS)),
            "level": pd.Categorical(["slice"] * n),
            "finding": pd.Categorical(np.tile(FINDINGS, n_images)),
            "rater": "consensus",
            "value": np.random.default_rng(0).integers(0, 2, n).astype("int8"),
        }
    )
    return studies, labels


def baseline_checks(studies: pd.DataFrame, labels: pd.DataFrame) -> tuple[int, int]:
    """Duplicate keys and orphan rows, the straightforward pandas way."""
    key = ["dataset", "study_id", "slice_id", "level", "finding", "rater"]
    dup = labels.astype({c: object for c in key}).duplicated(subset=key, keep=False)
    known = pd.MultiIndex.from_frame(studies[["dataset", "study_id"]].astype(object))
    orphan = ~pd.MultiIndex.from_frame(labels[["dataset", "study_id"]].astype(object)).isin(known)
    return int(dup.sum()), int(orphan.sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=750_000)
    args = parser.parse_args()
    studies, labels = tables(args.images)
    t0 = time.perf_counter()
    baseline_checks(studies, labels)
    t_baseline = time.perf_counter() - t0
    t0 = time.perf_counter()
    Cohort(studies, labels=labels)
    t_cohort = time.perf_counter() - t0
    print(f"rows: {len(labels):,} labels, {len(studies):,} studies")
    print(f"baseline key + link checks only (pandas duplicated + MultiIndex.isin): {t_baseline:.2f} s")
    print(f"hemstats Cohort (coercion of every column + all checks):             {t_cohort:.2f} s")
    print(f"ratio baseline / hemstats: {t_baseline / t_cohort:.2f}x")
    cohort = Cohort(studies, labels=labels)
    t0 = time.perf_counter()
    Cohort(**cohort.tables(), info=cohort.info)  # what Cohort.concat used to do: validate every row again
    t_again = time.perf_counter() - t0
    t0 = time.perf_counter()
    Cohort.concat([cohort], info={"rsna": {"licence": "example"}})  # hemstats.load's last step
    t_concat = time.perf_counter() - t0
    print(f"Cohort.concat of a valid cohort: {t_concat:.3f} s, against {t_again:.2f} s to validate it again "
          f"({t_again / t_concat:.0f}x)")


if __name__ == "__main__":
    main()
