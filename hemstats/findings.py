"""The finding vocabulary and each dataset's mapping onto it.

Every table of a :class:`~hemstats.Cohort` names findings with the short codes of
:data:`FINDINGS`; adapters translate their dataset's own label names with
:func:`to_finding`, so a finding means the same thing in every dataset.

Examples
--------
>>> to_finding("cq500", "IPH")
'iph'
>>> to_finding("bhsd", 5)
'sdh'
>>> mapping_table().query("dataset == 'hemorica' and finding == 'iph'").source_label.tolist()
['IPH', 'ICH']
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from types import MappingProxyType
from typing import Any

import pandas as pd

from hemstats.errors import UnknownFindingError

__all__ = ["FINDINGS", "SUBTYPES", "DESCRIPTIONS", "DATASET_FINDINGS", "to_finding", "mapping_table"]

#: One line per finding code, in the order tables and figures show them.
DESCRIPTIONS: Mapping[str, str] = MappingProxyType(
    {
        "any": "any intracranial hemorrhage",
        "edh": "epidural hemorrhage",
        "sdh": "subdural hemorrhage",
        "sah": "subarachnoid hemorrhage",
        "iph": "intraparenchymal (intracerebral) hemorrhage",
        "ivh": "intraventricular hemorrhage",
        "chronic": "chronic bleed",
        "fracture": "any skull fracture",
        "calvarial_fracture": "calvarial fracture",
        "mass_effect": "mass effect",
        "midline_shift": "midline shift",
    }
)

#: Every finding code hemstats knows, in display order.
FINDINGS: tuple[str, ...] = tuple(DESCRIPTIONS)

#: The five hemorrhage subtypes.
SUBTYPES: tuple[str, ...] = ("edh", "sdh", "sah", "iph", "ivh")

#: Per dataset: the dataset's own label name (a str) or mask value (an int, BHSD) -> finding code.
DATASET_FINDINGS: Mapping[str, Mapping[Any, str]] = MappingProxyType(
    {
        "kaggle_head_ct": {"hemorrhage": "any"},
        # BHSD masks: 0 background, 1 EDH, 2 IPH, 3 IVH, 4 SAH, 5 SDH.
        "bhsd": {1: "edh", 2: "iph", 3: "ivh", 4: "sah", 5: "sdh"},
        # Hemorica writes EPH for epidural; one downstream export names intraparenchymal "ICH".
        "hemorica": {
            "hemorrhage_binary": "any",
            "EPH": "edh",
            "EDH": "edh",
            "SDH": "sdh",
            "SAH": "sah",
            "IPH": "iph",
            "ICH": "iph",
            "IVH": "ivh",
        },
        "mosmed_ich": {
            "ICH": "any",
            "epidural": "edh",
            "subdural": "sdh",
            "subarachnoid": "sah",
            "intracerebral": "iph",
            "intraventricular": "ivh",
            "skull_fracture": "fracture",
        },
        "cq500": {
            "ICH": "any",
            "EDH": "edh",
            "SDH": "sdh",
            "SAH": "sah",
            "IPH": "iph",
            "IVH": "ivh",
            "ChronicBleed": "chronic",
            "Fracture": "fracture",
            "CalvarialFracture": "calvarial_fracture",
            "MassEffect": "mass_effect",
            "MidlineShift": "midline_shift",
        },
        "physionet_ct_ich": {
            "Epidural": "edh",
            "Subdural": "sdh",
            "Subarachnoid": "sah",
            "Intraparenchymal": "iph",
            "Intraventricular": "ivh",
            "Fracture_Yes_No": "fracture",
            "Fracture (Yes/No)": "fracture",
        },
        "rsna_ich": {
            "any": "any",
            "epidural": "edh",
            "subdural": "sdh",
            "subarachnoid": "sah",
            "intraparenchymal": "iph",
            "intraventricular": "ivh",
        },
        "demo": {code: code for code in FINDINGS},
    }
)


def to_finding(dataset: str, label: Hashable) -> str:
    """Translate one of a dataset's own label names into a finding code.

    Parameters
    ----------
    dataset : str
        Adapter name, a key of :data:`DATASET_FINDINGS`.
    label : hashable
        The dataset's label: a column name (``"IPH"``) or a mask value (``2``).

    Returns
    -------
    str
        A code of :data:`FINDINGS`.

    Raises
    ------
    UnknownFindingError
        When the dataset or the label has no mapping; the message lists the known ones.

    Examples
    --------
    >>> to_finding("rsna_ich", "intraventricular")
    'ivh'
    """
    try:
        mapping = DATASET_FINDINGS[dataset]
    except KeyError:
        raise UnknownFindingError(
            f"no finding mapping for dataset {dataset!r}; known: {sorted(DATASET_FINDINGS)}"
        ) from None
    try:
        return mapping[label]
    except KeyError:
        raise UnknownFindingError(
            f"dataset {dataset!r} has no finding mapped to label {label!r}; "
            f"known labels: {list(mapping)}"
        ) from None


def mapping_table() -> pd.DataFrame:
    """Every dataset's label mapping as one long table.

    Returns
    -------
    pandas.DataFrame
        Columns ``dataset``, ``source_label`` (as text), ``finding``, ``description``.

    Examples
    --------
    >>> mapping_table().columns.tolist()
    ['dataset', 'source_label', 'finding', 'description']
    """
    rows = [
        (dataset, str(label), code, DESCRIPTIONS[code])
        for dataset, mapping in DATASET_FINDINGS.items()
        for label, code in mapping.items()
    ]
    return pd.DataFrame(rows, columns=["dataset", "source_label", "finding", "description"])
