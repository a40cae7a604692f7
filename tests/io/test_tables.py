"""hemstats.io.tables: tolerant CSV/xlsx reading and 0/1 / number parsing."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

import pandas as pd
import pytest

from hemstats.errors import DataFormatError, ManifestError
from hemstats.io.tables import (
    check_options,
    clean_header,
    find_column,
    header_key,
    parse_flag,
    parse_number,
    read_table,
    require_columns,
)


def test_bom_crlf_embedded_newline_header(tmp_path):
    p = tmp_path / "demo.csv"
    raw = '\ufeffPatient Number,"Age\r\n(years)", Gender ,Subdural\r\n49,35,Male,1\r\n50,0.583333333,Female,\r\n'
    p.write_bytes(raw.encode("utf-8"))
    before = p.read_bytes()
    df = read_table(p)
    assert df.columns.tolist() == ["Patient Number", "Age (years)", "Gender", "Subdural"]
    assert df["Subdural"].isna().tolist() == [False, True]
    assert parse_number(df["Age (years)"], path=p, column="Age").tolist() == [35.0, 0.583333333]
    assert p.read_bytes() == before  # never modified


def test_required_columns_are_renamed_and_missing_ones_named(tmp_path):
    p = tmp_path / "labels.csv"
    p.write_text("id, hemorrhage\n0,1\n")
    df = read_table(p, required=["ID", "Hemorrhage"])
    assert df.columns.tolist() == ["ID", "Hemorrhage"]
    with pytest.raises(DataFormatError, match=r"labels\.csv: expected a column 'sex'.*'id', 'hemorrhage'"):
        read_table(p, required=["sex"])


def test_text_cells_trimmed_blank_is_missing(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("a,b\n 1 ,  \nNA,x\n")
    df = read_table(p)
    assert df["a"].tolist() == ["1", "NA"]  # only blanks are missing, "NA" is text
    assert df["b"].isna().tolist() == [True, False]


def test_missing_file_and_bad_bytes(tmp_path):
    with pytest.raises(DataFormatError, match="nope.csv: file not found"):
        read_table(tmp_path / "nope.csv")
    bad = tmp_path / "latin.csv"
    bad.write_bytes(b"a,b\n\xe9,1\n")
    with pytest.raises(DataFormatError, match="latin.csv: cannot be read"):
        read_table(bad)
    fake = tmp_path / "fake.xlsx"
    fake.write_bytes(b"not a workbook")
    with pytest.raises(DataFormatError, match="fake.xlsx: cannot be read"):
        read_table(fake)


def test_duplicate_headers_after_cleaning(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text("ICH,ich \n1,0\n")
    with pytest.raises(DataFormatError, match="same header after cleaning"):
        read_table(p)


def test_xlsx_with_russian_headers(tmp_path):
    p = tmp_path / "registry.xlsx"
    pd.DataFrame({"Пол": ["М", "Ж"], "Субдуральное ": ["да", None], "Возраст": [34, 0.5]}).to_excel(p, index=False)
    df = read_table(p)
    assert df.columns.tolist() == ["Пол", "Субдуральное", "Возраст"]
    assert parse_flag(df["Субдуральное"], path=p, column="Субдуральное").tolist() == [1, pd.NA]
    assert find_column(df, ["sex", "пол"], path=p) == "Пол"
    assert parse_number(df["Возраст"], path=p, column="Возраст").tolist() == [34.0, 0.5]


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("1", 1), ("0", 0), (1, 1), (0.0, 0), (True, 1), (False, 0), ("TRUE", 1), ("false", 0),
        ("Yes", 1), ("no", 0), ("Y", 1), ("n", 0), ("да", 1), ("НЕТ", 0), (" 1 ", 1), ("1.0", 1),
    ],
)
def test_flag_words(raw, expected):
    assert parse_flag(pd.Series([raw], dtype=object), path="f.csv", column="c").iloc[0] == expected


def test_flag_blanks_missing_unless_told():
    s = pd.Series(["1", None, "", float("nan")], dtype=object)
    out = parse_flag(s, path="f.csv", column="c")
    assert str(out.dtype) == "Int8"
    assert out.isna().tolist() == [False, True, True, True]
    assert parse_flag(s, path="f.csv", column="c", blank=0).tolist() == [1, 0, 0, 0]


def test_flag_bad_value_names_file_column_row():
    with pytest.raises(DataFormatError, match=r"f\.csv, column 'SDH': .* 2 rows, first: row 3 \('2'\), row 4 \('maybe'\)"):
        parse_flag(pd.Series(["1", "2", "maybe"]), path="f.csv", column="SDH")


def test_number_errors():
    with pytest.raises(DataFormatError, match=r"column 'Age': expected a number; 1 row, first: row 3 \('abc'\)"):
        parse_number(pd.Series(["3", "abc"]), path="d.csv", column="Age")
    with pytest.raises(DataFormatError, match=r"expected a number >= 0"):
        parse_number(pd.Series(["-1"]), path="d.csv", column="Age", minimum=0)
    with pytest.raises(DataFormatError, match="expected a number"):
        parse_number(pd.Series(["inf"]), path="d.csv", column="Age")


def test_header_helpers():
    assert clean_header("  Age\n (years)") == "Age (years)"
    assert header_key("Fracture (Yes/No)") == header_key("fracture_yes_no") == "fracture_yes_no"
    assert header_key("Пол ") == "пол"
    with pytest.raises(DataFormatError, match=r"expected columns \['b', 'c'\]"):
        require_columns(pd.DataFrame(columns=["a"]), ["a", "b", "c"], path="x.csv")


def test_blank_rows_dropped_row_numbers_kept(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("id,flag\r\n1,1\r\n,\r\n2,x\r\n,\r\n")
    df = read_table(p)
    assert len(df) == 2
    with pytest.raises(DataFormatError, match=r"1 row, first: row 4 \('x'\)"):
        parse_flag(df["flag"], path=p, column="flag")
    x = tmp_path / "t.xlsx"
    pd.DataFrame({"id": [1, None, 3], "flag": ["yes", None, "?"]}).to_excel(x, index=False)
    with pytest.raises(DataFormatError, match=r"t\.xlsx, column 'flag': .*row 4 \('\?'\)"):
        parse_flag(read_table(x)["flag"], path=x, column="flag")


def test_sex_codes_cover_english_russian_and_a_dataset_coding():
    from hemstats.io.tables import sex_codes

    values = pd.Series(["Male", " f ", "Ж", "муж.", None, "Other", "2", "x"])
    codes, bad = sex_codes(values, extra={"2": "F"})
    assert codes.tolist() == ["M", "F", "F", "M", pd.NA, pd.NA, "F", pd.NA]
    assert bad.tolist() == [False] * 7 + [True]
    assert values.tolist()[0] == "Male"  # input untouched


def test_trailing_comma_on_every_data_row_is_read_correctly(tmp_path):
    p = tmp_path / "labels.csv"
    p.write_text("id,hemorrhage\n000,1,\n001,0,\n")
    df = read_table(p)
    assert df.columns.tolist() == ["id", "hemorrhage"]
    assert df["id"].tolist() == ["000", "001"] and df["hemorrhage"].tolist() == ["1", "0"]
    p.write_text("id,hemorrhage,\n000,1,\n001,0,\n")  # on the header too: the blank column is dropped
    assert read_table(p).columns.tolist() == ["id", "hemorrhage"]


def test_an_extra_field_with_values_is_an_error(tmp_path):
    p = tmp_path / "labels.csv"
    p.write_text("id,hemorrhage\n000,1,x\n001,0,\n")
    with pytest.raises(DataFormatError, match=r"labels\.csv: data rows have more fields than the header.*row 2"):
        read_table(p)


def test_check_options_names_every_bad_option():
    def load(root: str, *, a: str | None = None, b: int = 1, c: Literal["x", "y"] = "x",
             d: Sequence[str] = (), e: Mapping[str, str] | None = None, f: bool = True) -> None:
        check_options(load, locals())

    load("r", a=None, b=2, c="y", d=["p"], e={"k": "v"}, f=False)
    with pytest.raises(ManifestError) as info:
        load("r", a=5, b=True, c="z", d="p", e={"k": 5}, f=1)
    text = str(info.value)
    for option in ("options.a: expected text or null, got int 5", "options.b: expected an integer", "options.c: expected one of 'x', 'y'",
                   "options.d: expected a list of text", "options.e.k: expected text, got int 5",
                   "options.f: expected true or false"):
        assert option in text


def test_dataset_root_names_a_file_as_a_file(tmp_path):
    from hemstats.io.tables import dataset_root

    (tmp_path / "reads.csv").write_text("a\n1\n")
    with pytest.raises(DataFormatError, match=r"dataset folder 'reads.csv' is a file; expected the folder holding reads.csv"):
        dataset_root(tmp_path / "reads.csv", holds="reads.csv")
    assert dataset_root(tmp_path) == tmp_path


def test_age_in_range():
    from hemstats.io.tables import age_in_range

    ages, notes = age_in_range(pd.Series([-2.0, 130.5, 130.0, 0.0], dtype="Float64"), path="d.csv", column="Age")
    assert ages.isna().tolist() == [True, True, False, False]
    assert len(notes) == 2 and "row 2" in notes[0] and "row 3" in notes[1]
