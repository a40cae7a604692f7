"""The contract every public statistic meets (the scikit-learn habit of common checks).

Each statistic of ``hemstats.stats.__all__`` has a :class:`contract.Case` in one of the family
modules of ``tests/stats/contract/``; this file runs them all:

- it accepts a Cohort and its canonical table (plus keyword tables) and gives the same result;
- it returns the documented fixed columns whatever the options;
- every interval contains its estimate and carries the ``confidence_level`` asked for;
- the same ``rng`` gives identical results;
- a bad option value raises a HemstatsError naming the option.
"""

from __future__ import annotations

import importlib
import inspect

import numpy as np
import pandas as pd
import pytest

import hemstats.stats as stats
from hemstats.errors import HemstatsError

from .contract import Case

FAMILIES = ("descriptive", "reliability", "diagnostic", "acquisition", "coverage")


def _cases() -> list[Case]:
    out: list[Case] = []
    for family in FAMILIES:
        try:
            module = importlib.import_module(f"{__package__}.contract.{family}")
        except ModuleNotFoundError:  # a family not yet listed
            continue
        out.extend(module.CASES)
    return out


CASES = _cases()
PUBLIC = [n for n in stats.__all__ if inspect.isfunction(getattr(stats, n))]


@pytest.fixture(scope="module")
def cohort():
    from hemstats.datasets import demo

    return demo.load(n_studies=120, seed=3)


def _call(case: Case, cohort, *, as_table: bool = False, **options):
    kwargs = {**case.kwargs, **options}
    if case.table is None:
        return case.result(case.func(**kwargs))
    if as_table:
        tables = cohort.tables()
        extra = {k: tables[k] for k in case.keywords}
        return case.result(case.func(tables[case.table], **extra, **kwargs))
    return case.result(case.func(cohort, **kwargs))


def _rng(case: Case) -> dict:
    return {"rng": 7} if case.random else {}


def test_every_public_statistic_has_a_case():
    covered = {c.func.__name__ for c in CASES}
    assert sorted(set(PUBLIC) - covered) == []


@pytest.mark.parametrize("case", [c for c in CASES if c.table is not None], ids=lambda c: c.id)
def test_accepts_a_cohort_and_its_table(case, cohort):
    a = _call(case, cohort, **_rng(case))
    b = _call(case, cohort, as_table=True, **_rng(case))
    pd.testing.assert_frame_equal(a, b, check_dtype=False, check_categorical=False, rtol=1e-9)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_fixed_columns_whatever_the_options(case, cohort):
    for variant in [{}, *case.variants]:
        result = _call(case, cohort, **_rng(case), **variant)
        assert list(result.columns) == list(case.columns), variant


@pytest.mark.parametrize("case", [c for c in CASES if c.interval], ids=lambda c: c.id)
@pytest.mark.parametrize("confidence_level", [0.9, 0.95])
def test_intervals_contain_their_estimate_at_the_level_asked(case, cohort, confidence_level):
    result = _call(case, cohort, confidence_level=confidence_level, **_rng(case))
    assert len(result), "the contract needs at least one row"
    levels = result["confidence_level"].dropna().unique()
    np.testing.assert_allclose(levels, confidence_level)
    ok = result[["estimate", "ci_low", "ci_high"]].notna().all(axis=1)
    rows = result[ok]
    tol = 1e-9
    assert (rows["ci_low"] <= rows["estimate"] + tol).all() and (rows["estimate"] <= rows["ci_high"] + tol).all()


@pytest.mark.parametrize("case", [c for c in CASES if c.random], ids=lambda c: c.id)
def test_same_rng_same_result(case, cohort):
    a = _call(case, cohort, rng=11)
    b = _call(case, cohort, rng=11)
    pd.testing.assert_frame_equal(a, b)


BAD = [(c, name, value) for c in CASES for name, value in c.bad.items()]


@pytest.mark.parametrize(("case", "option", "value"), BAD, ids=[f"{c.id}-{n}" for c, n, _ in BAD])
def test_bad_option_values_name_the_option(case, option, value, cohort):
    with pytest.raises(HemstatsError, match=option):
        _call(case, cohort, **{option: value})
