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
    out = format_table(res, digits=1, percent=["estimate"], p_values=["p"], names=False)
    assert list(out.columns) == ["dataset", "estimate (90% CI)", "n", "p", "flag"]
    assert list(format_table(res, p_values=["p"]).columns) == ["Dataset", "Estimate (90% CI)", "n", "p", "flag"]
    assert out.index.tolist() == [5, 7]
    assert out.iloc[0].tolist() == ["a", "25.0% (20.0% to 30.0%)", "10", "0.200", "yes"]
    assert out.iloc[1].tolist() == ["b", MISSING, MISSING, "<0.001", "no"]


def test_format_table_without_combining():
    res = pd.DataFrame({"estimate": [0.123], "ci_low": [0.1], "ci_high": [0.2]})
    out = format_table(res, combine_ci=False, digits=3, names=False)
    assert out.to_dict("records") == [{"estimate": "0.123", "ci_low": "0.100", "ci_high": "0.200"}]


def test_format_table_does_not_modify_its_input():
    res = pd.DataFrame({"x": [1.23456]})
    before = res.copy()
    format_table(res)
    pd.testing.assert_frame_equal(res, before)


# -- display defaults (hemstats.report.display) ------------------------------------------------------
def test_format_table_uses_display_names_and_labels():
    res = pd.DataFrame(
        {
            "finding": ["edh", "custom"],
            "metric": ["cohen_kappa", "auc"],
            "n_positive": [3, 4],
            "p_value_holm": [0.5, 0.01],
            "age_years": [40.0, 50.0],
            "slice_thickness_mm": [5.0, 0.625],
        }
    )
    out = format_table(res)
    assert list(out.columns) == ["Finding", "Metric", "Positive, n", "p (Holm)", "Age, years", "Slice thickness, mm"]
    assert out["Finding"].tolist() == ["Epidural (EDH)", "custom"]  # unknown codes stay as they are
    assert out["Metric"].tolist() == ["Cohen's kappa", "AUC"]
    assert out["p (Holm)"].tolist() == ["0.500", "0.010"]
    raw = format_table(res, names=False, labels=False)
    assert raw["finding"].tolist() == ["edh", "custom"] and "n_positive" in raw.columns
    assert format_table(res, rename={"finding": "Lesion"}).columns[0] == "Lesion"


def test_format_table_counts_print_as_integers():
    res = pd.DataFrame(
        {"test": ["chi2", "welch"], "df": [2.0, 17.4213], "n": [12.0, 1200.0], "statistic": [3.14159, 2.0]}
    )
    out = format_table(res, names=False)
    assert out["df"].tolist() == ["2", "17.42"]  # Welch's fractional df keeps decimals
    assert out["n"].tolist() == ["12", "1,200"]
    assert out["statistic"].tolist() == ["3.14", "2.00"]


def test_format_table_decimals_by_kind_and_metric():
    res = pd.DataFrame(
        {
            "metric": ["prevalence", "cohen_kappa", "other"],
            "estimate": [0.12345, 0.61234, 1.23456],
            "ci_low": [0.1, 0.5, 1.0],
            "ci_high": [0.15, 0.7, 1.5],
            "smd": [0.1234, 0.2, 0.3],
            "p_value": [0.04567, 0.2, 0.0001],
        }
    )
    out = format_table(res, names=False, labels=False)
    assert out["estimate (CI)"].tolist() == ["12.3% (10.0% to 15.0%)", "0.612 (0.500 to 0.700)",
                                             "1.23 (1.00 to 1.50)"]  # fmt: skip
    assert out["smd"].tolist() == ["0.12", "0.20", "0.30"]
    assert out["p_value"].tolist() == ["0.046", "0.200", "<0.001"]
    # an explicit digits= still wins everywhere (notebooks)
    assert format_table(res, digits=4, names=False)["smd"].tolist() == ["0.1234", "0.2000", "0.3000"]
    # without the interval, the estimate column alone follows the row's metric
    alone = format_table(res[["metric", "estimate"]], names=False)
    assert alone["estimate"].tolist() == ["12.3%", "0.612", "1.23"]


def test_percentages_have_one_decimal_everywhere():
    from hemstats.report.display import DECIMALS

    res = pd.DataFrame({"estimate": [0.5], "ci_low": [0.4], "ci_high": [0.6], "share": [0.25]})
    out = format_table(res, percent=["estimate", "share"], names=False)
    d = DECIMALS["percent"]
    assert out.iloc[0].tolist() == [f"{50:.{d}f}% ({40:.{d}f}% to {60:.{d}f}%)", f"{25:.{d}f}%"]
