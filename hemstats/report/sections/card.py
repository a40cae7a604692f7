"""The Dataset cards chapter's tables: one datasheet per dataset and the loaders' notes by kind.

Examples
--------
>>> from hemstats.datasets import demo
>>> from hemstats.report.sections import Settings
>>> settings = Settings(demo.load(n_studies=40, seed=1))
>>> cards(settings).columns.tolist()
['dataset', 'section', 'question', 'answer']
>>> notes_by_kind(settings).to_dict("records")
[{'dataset': 'demo', 'kind': 'synthetic', 'notes': 1, 'studies': 0}]
"""

from __future__ import annotations

import pandas as pd

from hemstats.report.card import dataset_card
from hemstats.report.sections import SectionInputs

__all__ = ["cards", "notes_by_kind"]


def cards(ctx: SectionInputs) -> pd.DataFrame | None:
    """:func:`~hemstats.report.card.dataset_card` of the cohort (its manifest texts are in
    ``cohort.info``, as loaded for the build); None when there is no dataset."""
    card = dataset_card(ctx.cohort)
    return None if card.empty else card


def notes_by_kind(ctx: SectionInputs) -> pd.DataFrame | None:
    """The loaders' data-quality notes counted per dataset and kind; None when there is none.

    Returns
    -------
    pandas.DataFrame or None
        ``dataset, kind, notes, studies``: the number of notes and of distinct studies they name.
    """
    notes = ctx.cohort.tables()["notes"]
    if notes.empty:
        return None
    return (
        notes.assign(kind=notes["kind"].astype(str), dataset=notes["dataset"].astype(str))
        .groupby(["dataset", "kind"], sort=True)
        .agg(notes=("detail", "size"), studies=("study_id", "nunique"))
        .reset_index()
    )
