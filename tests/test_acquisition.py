"""Tests of hemstats.acquisition: vendor names, kernel families, thickness bins, harmonize."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hemstats.acquisition import (
    FAMILIES,
    THICKNESS_BINS,
    first_kernel_value,
    harmonize,
    kernel_class,
    kernel_family,
    normalize_vendor,
    thickness_bin,
    unknown_kernels,
)
from hemstats.datasets import demo
from hemstats.errors import HemstatsError


@pytest.mark.parametrize(
    "name, vendor",
    [
        ("GE MEDICAL SYSTEMS", "GE"),
        ("GE", "GE"),
        ("GE Healthcare", "GE"),
        ("ge medical systems, llc", "GE"),
        ("SIEMENS", "SIEMENS"),
        ("Siemens Healthineers", "SIEMENS"),
        ("Philips", "Philips"),
        ("Philips Medical Systems", "Philips"),
        ("TOSHIBA", "Canon"),
        ("Canon Medical Systems", "Canon"),
        ("  NeuroLogica ", "NeuroLogica"),
        ("GENERIC", "GENERIC"),  # starts with 'GE' but is not GE
    ],
)
def test_normalize_vendor(name, vendor):
    assert normalize_vendor(name) == vendor


def test_normalize_vendor_missing_and_series():
    assert normalize_vendor(None) is pd.NA and normalize_vendor("  ") is pd.NA
    s = pd.Series(["GE MEDICAL SYSTEMS", np.nan, "TOSHIBA"], index=[5, 6, 7])
    out = normalize_vendor(s)
    assert out.index.tolist() == [5, 6, 7] and out.dtype == "string"
    assert out.tolist() == ["GE", pd.NA, "Canon"]


@given(st.sampled_from(["GE MEDICAL SYSTEMS", "SIEMENS", "Philips Medical Systems", "TOSHIBA", "Acme CT"]))
def test_normalize_vendor_is_idempotent(name):
    once = normalize_vendor(name)
    assert normalize_vendor(once) == once


@pytest.mark.parametrize(
    "kernel, manufacturer, family",
    [
        # GE, by name
        ("SOFT", "GE", "soft"), ("STANDARD", "GE", "standard"), ("STD+", "GE", "standard"),
        ("DETAIL", "GE", "sharp"), ("LUNG", "GE", "sharp"), ("BONE", "GE", "bone"), ("BONEPLUS", "GE", "bone"),
        ("HD STANDARD", "GE", "standard"),
        # Siemens, by the number: <30 soft, 30-49 standard, 50-69 sharp, >=70 bone
        ("H20s", "SIEMENS", "soft"), ("H30s", "SIEMENS", "standard"), ("J30s", "SIEMENS", "standard"),
        ("Hr38", "SIEMENS", "standard"), ("J40s", "SIEMENS", "standard"), ("Qr40d", "SIEMENS", "standard"),
        ("H60s", "SIEMENS", "sharp"), ("Hr64", "SIEMENS", "sharp"), ("Br64", "SIEMENS", "sharp"),
        ("H70h", "SIEMENS", "bone"), ("J70h", "SIEMENS", "bone"), ("U90u", "SIEMENS", "bone"),
        ("T20s", "SIEMENS", "unknown"),
        # Philips, by letter
        ("UA", "Philips", "soft"), ("UB", "Philips", "soft"), ("UC", "Philips", "standard"), ("B", "Philips", "standard"),
        ("C", "Philips", "sharp"), ("YA", "Philips", "sharp"), ("YB", "Philips", "bone"), ("YC", "Philips", "bone"),
        ("EC", "Philips", "bone"),
        # Canon / Toshiba, by the FC number
        ("FC01", "TOSHIBA", "soft"), ("FC13", "Canon Medical Systems", "standard"), ("FC23", "TOSHIBA", "soft"),
        ("FC30", "TOSHIBA", "bone"), ("FC52", "TOSHIBA", "sharp"), ("FC81", "TOSHIBA", "bone"),
        ("FC45", "TOSHIBA", "unknown"),
    ],
)
def test_kernel_family_table(kernel, manufacturer, family):
    assert kernel_family(kernel, manufacturer=manufacturer) == family
    assert kernel_family(kernel) in (family, "unknown")  # without the vendor: mapped when the rules agree


def test_kernel_family_vendor_mismatch_and_missing():
    assert kernel_family("H30s", manufacturer="GE MEDICAL SYSTEMS") == "unknown"
    assert kernel_family("BONE", manufacturer="Acme") == "bone"  # unknown vendor: every vendor's rules
    assert kernel_family(None) is pd.NA and kernel_family("") is pd.NA
    assert kernel_family("SUPERSOFT") == "unknown"


@pytest.mark.parametrize(
    "raw, first",
    [("['H30s', '2']", "H30s"), ("J40s\\3", "J40s"), (["Hr38", "3"], "Hr38"), ("('FC23', 'AIDR')", "FC23"),
     (" BONE ", "BONE"), ("[]", pd.NA)],
)
def test_multi_valued_kernels(raw, first):
    assert first_kernel_value(raw) is first if first is pd.NA else first_kernel_value(raw) == first


def test_multi_valued_kernels_map_by_first_value():
    assert kernel_family("['H30s', '2']", manufacturer="SIEMENS") == "standard"
    assert kernel_family("J70h\\3", manufacturer="SIEMENS") == "bone"


def test_kernel_family_vectorised_equals_scalar():
    kernels = pd.Series(["SOFT", "H30s", None, "YC", "FC81", "XYZ", "H30s"], index=list("abcdefg"))
    makers = pd.Series(["GE", "SIEMENS", "GE", "Philips", "TOSHIBA", "GE", "GE"], index=list("abcdefg"))
    out = kernel_family(kernels, manufacturer=makers)
    assert out.index.tolist() == list("abcdefg") and out.dtype == "string"
    expected = [kernel_family(k, manufacturer=m) for k, m in zip(kernels, makers)]
    assert [None if v is pd.NA else v for v in out] == [None if v is pd.NA else v for v in expected]
    assert out.tolist()[1] == "standard" and out.tolist()[6] == "unknown"
    with pytest.raises(HemstatsError, match="manufacturer"):
        kernel_family(kernels, manufacturer=["GE"])


def test_kernel_class():
    assert [kernel_class(f) for f in ("soft", "standard", "sharp", "bone", "unknown")] == [
        "smooth", "smooth", "sharp", "sharp", "unknown"]
    with pytest.raises(HemstatsError):
        kernel_class("crisp")


@pytest.mark.parametrize("mm, label", [(0.5, "<=1.5"), (1.5, "<=1.5"), (1.5001, "1.5-3"), (3.0, "1.5-3"),
                                       (3.2, "3-5"), (5.0, "3-5"), (5.01, ">5"), (10, ">5")])
def test_thickness_bin_edges(mm, label):
    assert thickness_bin(mm) == label
    assert thickness_bin(pd.Series([mm])).iloc[0] == label


@given(st.lists(st.floats(min_value=0.01, max_value=20, allow_nan=False), min_size=1, max_size=30))
def test_thickness_bin_is_monotone(values):
    bins = thickness_bin(pd.Series(values))
    assert bins.cat.ordered and list(bins.cat.categories) == list(THICKNESS_BINS)
    order = np.argsort(values, kind="stable")
    codes = bins.cat.codes.to_numpy()[order]
    assert np.all(np.diff(codes) >= 0)
    assert [thickness_bin(v) for v in values] == bins.astype(str).tolist()


def test_thickness_bin_bad_and_missing():
    assert thickness_bin(None) is pd.NA
    assert thickness_bin(pd.Series([1.0, None])).isna().tolist() == [False, True]
    for bad in (0, -1, "thick"):
        with pytest.raises(HemstatsError):
            thickness_bin(bad)
    with pytest.raises(HemstatsError, match="1 values"):
        thickness_bin(pd.Series([1.0, -2.0]))


def test_harmonize_demo_returns_new_frame():
    data = demo.simulate(300, seed=2)
    studies = data.cohort.studies
    before = studies.copy()
    h = harmonize(studies)
    pd.testing.assert_frame_equal(studies, before)  # never modifies its input
    assert h is not studies and list(h.columns[: len(studies.columns)]) == list(studies.columns)
    assert list(h["kernel_family"].cat.categories) == list(FAMILIES)
    assert set(h["vendor"].astype(str)) == {"GE", "SIEMENS", "Philips"}
    # the simulator's soft kernels are soft/standard here, its sharp kernels sharp/bone
    coarse = h["kernel_class"].astype(str).map({"smooth": "soft", "sharp": "sharp"})
    truth = h["study_id"].astype(str).map(data.truth["kernel_family"])
    assert (coarse == truth).all()
    assert unknown_kernels(studies).empty


def test_unknown_kernels_listed():
    studies = pd.DataFrame({
        "dataset": ["x", "x", "x", "y", "y"],
        "study_id": list("abcde"),
        "manufacturer": ["GE", "GE", "SIEMENS", "Acme", None],
        "kernel": ["FOO", "FOO", "H30s", "K9", None],
        "slice_thickness_mm": [1.0, 2.0, 3.0, 4.0, None],
    })
    unk = unknown_kernels(studies)
    assert unk.to_dict("records") == [
        {"dataset": "x", "vendor": "GE", "kernel": "FOO", "n_studies": 2},
        {"dataset": "y", "vendor": "Acme", "kernel": "K9", "n_studies": 1},
    ]
    h = harmonize(studies)
    assert h["kernel_family"].astype(object).tolist()[:4] == ["unknown", "unknown", "standard", "unknown"]
    assert pd.isna(h["kernel_family"].iloc[4]) and pd.isna(h["thickness_bin"].iloc[4])


def test_harmonize_without_acquisition_columns():
    h = harmonize(pd.DataFrame({"dataset": ["x"], "study_id": ["a"]}))
    assert h[["vendor", "kernel_family", "kernel_class", "thickness_bin"]].isna().all().all()
    with pytest.raises(HemstatsError):
        harmonize([1, 2])


def test_real_dicom_headers(shared_data):
    # Real GE HiSpeed head and Philips Ingenuity head-phantom headers (../shared/data/sample_dicom).
    pydicom = pytest.importorskip("pydicom")
    files = sorted((shared_data / "sample_dicom").rglob("*.dcm"))
    if not files:
        pytest.skip("no DICOM files in sample_dicom")
    rows = []
    for f in files:
        d = pydicom.dcmread(f, stop_before_pixels=True)
        rows.append({"dataset": f.parent.name, "study_id": f.name, "manufacturer": str(d.Manufacturer),
                     "kernel": d.ConvolutionKernel, "slice_thickness_mm": float(d.SliceThickness)})
    h = harmonize(pd.DataFrame(rows))
    fam = h.groupby("vendor", observed=True)["kernel_family"].agg(lambda s: sorted(set(s.astype(str))))
    assert fam.to_dict() == {"GE": ["standard"], "Philips": ["soft"]}  # GE STD+, Philips UB
    expected = h["slice_thickness_mm"].map(thickness_bin)
    assert (h["thickness_bin"].astype(str) == expected).all()
    assert unknown_kernels(pd.DataFrame(rows)).empty


def test_physical_ranges_table_is_one_consistent_table() -> None:
    from hemstats.io.dicom import INSTANCE_COLUMNS
    from hemstats.plausibility import PHYSICAL_RANGES, out_of_range

    assert set(PHYSICAL_RANGES) <= set(INSTANCE_COLUMNS)  # every range is applied by the DICOM scan
    for column, (low, high, unit) in PHYSICAL_RANGES.items():
        assert low < high and unit
        assert out_of_range(column, low) is None and out_of_range(column, high) is None  # bounds inclusive
        assert column in out_of_range(column, high * 10 + 1) or unit in out_of_range(column, high * 10 + 1)
    assert out_of_range("tube_current_ma", 9e99).startswith("9e+99 mA is outside")
    assert out_of_range("not_a_column", -1.0) is None
