"""Number formatting: the only place numbers become text."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from hemstats.report.format import (
    MISSING,
    fmt_ci,
    fmt_estimate,
    fmt_int,
    fmt_number,
    fmt_p,
    fmt_percent,
    format_table,
)


@pytest.mark.parametrize("missing", [None, pd.NA, math.nan, float("nan")])
def test_missing_values_show_as_dash(missing):
    assert fmt_number(missing) == MISSING
    assert fmt_int(missing) == MISSING
    assert fmt_percent(missing) == MISSING
    assert fmt_p(missing) == MISSING
    assert fmt_ci(missing, missing) == MISSING
    assert fmt_estimate(missing, missing, missing) == MISSING


def test_numbers():
    assert fmt_number(2.0 / 3.0, digits=3) == "0.667"
    assert fmt_number(-1e-9) == "0.00"  # no "-0.00"
    assert fmt_number(-1.5) == "-1.50"
    assert fmt_int(1234567) == "1,234,567"
    assert fmt_percent(0.12345, digits=2) == "12.35%"
    assert fmt_p(0.05) == "0.050"
    assert fmt_p(0.0009999) == "<0.001"
    assert fmt_p(0.0009, digits=4) == "0.0009"


def test_estimate_with_interval():
    assert fmt_estimate(0.5, 0.4, 0.6) == "0.50 (0.40 to 0.60)"
    assert fmt_estimate(0.5, 0.4, 0.6, percent=True, digits=0) == "50% (40% to 60%)"
    assert fmt_estimate(0.5, None, None) == "0.50"


def test_format_table_combines_ci_and_keeps_rows():
    res = pd.DataFrame(
        {
            "dataset": pd.Categorical(["a", "b"]),
            "estimate": [0.25, None],
            "ci_low": [0.2, None],
            "ci_high": [0.3, None],
            "n": pd.array([10, pd.NA], dtype="Int64"),
            "p": [0.2, 1e-6],
            "flag": [True, False],
            "confidence_level": [0.9, 0.9],
        },
        index=[5, 7],
    )
    out = format_table(res, digits=1, percent=["estimate"], p_values=["p"])
    assert list(out.columns) == ["dataset", "estimate (90% CI)", "n", "p", "flag"]
    assert out.index.tolist() == [5, 7]
    assert out.iloc[0].tolist() == ["a", "25.0% (20.0% to 30.0%)", "10", "0.200", "yes"]
    assert out.iloc[1].tolist() == ["b", MISSING, MISSING, "<0.001", "no"]


def test_format_table_without_combining():
    res = pd.DataFrame({"estimate": [0.123], "ci_low": [0.1], "ci_high": [0.2]})
    out = format_table(res, combine_ci=False, digits=3)
    assert out.to_dict("records") == [{"estimate": "0.123", "ci_low": "0.100", "ci_high": "0.200"}]


def test_format_table_does_not_modify_its_input():
    res = pd.DataFrame({"x": [1.23456]})
    before = res.copy()
    format_table(res)
    pd.testing.assert_frame_equal(res, before)
