"""The tables behind the Overview and Provenance pages (plain numbers, no formatting).

Examples
--------
>>> from hemstats.datasets import demo
>>> cohort = demo.load(n_studies=40)
>>> datasets_table(cohort)[["dataset", "synthetic", "studies"]].to_dict("records")
[{'dataset': 'demo', 'synthetic': True, 'studies': 40}]
>>> int(counts_wide(cohort.counts()).loc["demo", "studies"])
40
"""

from __future__ import annotations

import platform
from collections.abc import Iterable
from importlib import metadata

import pandas as pd

from hemstats.cohort import TABLE_NAMES, Cohort
from hemstats.findings import DATASET_FINDINGS, DESCRIPTIONS, FINDINGS

__all__ = [
    "KEY_PACKAGES",
    "datasets_table",
    "counts_wide",
    "findings_table",
    "versions_table",
    "fingerprints_table",
]

#: Distributions whose versions the Provenance page lists (after Python).
KEY_PACKAGES: tuple[str, ...] = (
    "hemstats",
    "numpy",
    "pandas",
    "scipy",
    "statsmodels",
    "scikit-learn",
    "matplotlib",
    "seaborn",
    "pingouin",
    "pyarrow",
    "pydicom",
    "nibabel",
    "jupyter-book",
    "sphinx",
    "myst-nb",
)


def datasets_table(cohort: Cohort) -> pd.DataFrame:
    """One row per dataset: what it is and where it comes from.

    Returns
    -------
    pandas.DataFrame
        ``dataset, adapter, synthetic, studies, patients, licence, citation, source``;
        text missing from the dataset's ``info`` is missing.
    """
    rows = []
    studies = cohort.studies
    for d in cohort.datasets:
        info = cohort.info.get(d, {})
        mine = studies[studies["dataset"] == d]
        rows.append(
            {
                "dataset": d,
                "adapter": info.get("adapter", pd.NA),
                "synthetic": bool(info.get("synthetic", False)),
                "studies": len(mine),
                "patients": int(mine["patient_id"].nunique()),
                "licence": info.get("licence", pd.NA),
                "citation": info.get("citation", pd.NA),
                "source": info.get("source", pd.NA),
            }
        )
    cols = ["dataset", "adapter", "synthetic", "studies", "patients", "licence", "citation", "source"]
    out = pd.DataFrame(rows, columns=cols)
    return out.astype({"studies": "int64", "patients": "int64", "synthetic": "bool"})


def counts_wide(counts: pd.DataFrame) -> pd.DataFrame:
    """:meth:`Cohort.counts <hemstats.Cohort.counts>` as datasets x tables, with a total row.

    Returns
    -------
    pandas.DataFrame
        Index: dataset (plus ``total`` when there are several); one int column per table.
    """
    wide = counts.pivot(index="dataset", columns="table", values="rows")
    wide = wide.reindex(columns=[t for t in TABLE_NAMES if t in wide.columns])
    wide = wide.reindex(pd.unique(counts["dataset"])).astype("int64")
    wide.columns.name = None
    if len(wide) > 1:
        wide.loc["total"] = wide.sum()
    return wide


def findings_table(cohort: Cohort) -> pd.DataFrame:
    """The finding vocabulary as the cohort uses it.

    Returns
    -------
    pandas.DataFrame
        One row per finding code labelled in the cohort, in vocabulary order:
        ``finding, description``, then per dataset the labels (column names or mask
        values) its adapter maps onto the code, ``;``-separated (missing when none).
    """
    used = set(cohort.labels["finding"].astype(object).dropna()) | set(
        cohort.predictions["finding"].astype(object).dropna()
    )
    rows = []
    for code in FINDINGS:
        if code not in used:
            continue
        row = {"finding": code, "description": DESCRIPTIONS[code]}
        for d in cohort.datasets:
            adapter = cohort.info.get(d, {}).get("adapter", d)
            mapping = DATASET_FINDINGS.get(adapter, {})
            labels = [str(k) for k, v in mapping.items() if v == code]
            row[d] = "; ".join(labels) if labels else pd.NA
        rows.append(row)
    return pd.DataFrame(rows, columns=["finding", "description", *cohort.datasets])


def versions_table(packages: Iterable[str] = KEY_PACKAGES) -> pd.DataFrame:
    """Python and the installed versions of ``packages`` (missing when not installed).

    Returns
    -------
    pandas.DataFrame
        ``package, version``; the first row is Python.
    """
    rows = [("python", platform.python_version())]
    for name in packages:
        try:
            rows.append((name, metadata.version(name)))
        except metadata.PackageNotFoundError:
            rows.append((name, pd.NA))
    return pd.DataFrame(rows, columns=["package", "version"])


def fingerprints_table(cohort: Cohort) -> pd.DataFrame:
    """Per dataset: the loader's fingerprint of its source and the SHA-256 of its tables.

    Returns
    -------
    pandas.DataFrame
        ``dataset, source_fingerprint, tables_fingerprint``: ``source_fingerprint`` is
        ``cohort.info[dataset]["fingerprint"]`` (missing when the loader gave none),
        ``tables_fingerprint`` is :meth:`Cohort.fingerprint <hemstats.Cohort.fingerprint>`.
    """
    rows = [
        (d, cohort.info.get(d, {}).get("fingerprint", pd.NA), cohort.fingerprint(d)) for d in cohort.datasets
    ]
    return pd.DataFrame(rows, columns=["dataset", "source_fingerprint", "tables_fingerprint"])
