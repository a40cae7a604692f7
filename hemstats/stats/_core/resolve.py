"""The one input rule of :mod:`hemstats.stats`: a Cohort or the canonical table the question is about.

Every public statistic takes, as its first argument, a :class:`~hemstats.Cohort` or the one
canonical table its question is about (``labels`` for prevalence and agreement, ``predictions``
for model performance, ``studies`` for Table 1 and the acquisition mix, ``lesions`` for
volumes); every other table is keyword-only (``studies=``, ``labels=``...).  :func:`resolve`
turns that input into the tables the function needs and raises one :class:`InputError` with
one message shape: ``<function>: <what>; expected <what>``.  A Cohort's tables were checked
when it was built, so they are not checked again.

Examples
--------
>>> from hemstats.datasets import demo
>>> cohort = demo.load(n_studies=40)
>>> tables = resolve(cohort, "labels", where="prevalence", need=("studies",))
>>> tables.main is cohort.labels, tables.studies is cohort.studies
(True, True)
>>> resolve(cohort.labels.drop(columns="rater"), "labels", where="prevalence")
Traceback (most recent call last):
...
hemstats.errors.InputError: prevalence: the labels table is missing column(s) ['rater']; expected the canonical labels table (dataset, study_id, level, finding, rater, value)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from hemstats.errors import InputError
from hemstats.schema import TABLES

if TYPE_CHECKING:
    from hemstats.cohort import Cohort

__all__ = ["Tables", "resolve", "required_columns", "check_columns"]

_NAMES: tuple[str, ...] = ("studies", "labels", "predictions", "lesions", "images")


@dataclass(frozen=True)
class Tables:
    """The tables a statistic works on: ``main`` (the question's table) and the others given.

    ``trusted`` is True when they come from a Cohort (already checked).
    """

    main: pd.DataFrame
    studies: pd.DataFrame | None = None
    labels: pd.DataFrame | None = None
    predictions: pd.DataFrame | None = None
    lesions: pd.DataFrame | None = None
    trusted: bool = False


def required_columns(table: str) -> tuple[str, ...]:
    """The columns every canonical ``table`` must have.

    Examples
    --------
    >>> required_columns("predictions")
    ('dataset', 'study_id', 'level', 'finding', 'model', 'score')
    """
    return tuple(c.name for c in TABLES[table].columns if c.required)


def check_columns(frame: pd.DataFrame, table: str, *, where: str, columns: Sequence[str] | None = None) -> None:
    """Raise :class:`InputError` naming the columns ``frame`` lacks (default: the required ones of ``table``)."""
    need = tuple(columns) if columns is not None else required_columns(table)
    missing = [c for c in need if c not in frame.columns]
    if missing:
        raise InputError(
            f"{where}: the {table} table is missing column(s) {missing}; expected the canonical {table} table "
            f"({', '.join(need)})"
        )


def resolve(
    data: Any,
    table: str,
    *,
    where: str,
    need: Sequence[str] = (),
    **given: pd.DataFrame | None,
) -> Tables:
    """Turn a statistic's first argument (and its keyword tables) into checked :class:`Tables`.

    Parameters
    ----------
    data : Cohort or pandas.DataFrame
        A Cohort, or the canonical ``table``.
    table : {"studies", "labels", "predictions", "lesions"}
        The table the question is about.
    where : str
        The public function's name, which starts every error message.
    need : sequence of str
        Other tables the function cannot do without (e.g. ``("studies",)``).
    **given : DataFrame or None
        The keyword tables the caller passed (``studies=``, ``labels=``...).  With a Cohort they
        must be None: a Cohort brings its own.

    Raises
    ------
    InputError
        ``data`` is neither a Cohort nor a DataFrame, a table lacks a required column, a
        needed table is absent, or a Cohort comes with keyword tables as well.
    """
    from hemstats.cohort import Cohort

    unknown = sorted(set(given) - set(_NAMES))
    if unknown:  # a programming error of the caller, not of the user
        raise TypeError(f"resolve: unknown tables {unknown}")
    if isinstance(data, Cohort):
        extra = [k for k, v in given.items() if v is not None]
        if extra:
            raise InputError(
                f"{where}: got a Cohort and {', '.join(f'{k}=' for k in extra)} as well; a Cohort brings its own "
                f"tables (pass the {table} table instead to give the others separately)"
            )
        return _from_cohort(data, table, where, need)
    if not isinstance(data, pd.DataFrame):
        raise InputError(
            f"{where}: the first argument must be a Cohort or the {table} table (a pandas DataFrame), "
            f"got {type(data).__name__}"
        )
    tables: dict[str, pd.DataFrame | None] = {k: given.get(k) for k in _NAMES}
    tables[table] = data
    for name, frame in tables.items():
        if frame is None:
            continue
        if not isinstance(frame, pd.DataFrame):
            raise InputError(f"{where}: {name}= must be the canonical {name} table (a pandas DataFrame), "
                             f"got {type(frame).__name__}")
        check_columns(frame, name, where=where)
    for name in need:
        if tables.get(name) is None:
            raise InputError(f"{where}: needs the {name} table; pass a Cohort, or {name}= with the {table} table")
    return Tables(main=data, studies=tables["studies"], labels=tables["labels"],
                  predictions=tables["predictions"], lesions=tables["lesions"])


def _from_cohort(cohort: Cohort, table: str, where: str, need: Sequence[str]) -> Tables:
    frames = cohort.tables()
    for name in (table, *need):
        if name not in frames or frames[name] is None:
            raise InputError(f"{where}: the Cohort has no {name} table")
    return Tables(main=frames[table], studies=frames.get("studies"), labels=frames.get("labels"),
                  predictions=frames.get("predictions"), lesions=frames.get("lesions"), trusted=True)
