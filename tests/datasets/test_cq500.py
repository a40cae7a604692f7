"""CQ500 adapter: reads -> readers + majority, probabilities -> predictions; real 491 scans."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hemstats.datasets import cq500, get_adapter
from hemstats.errors import DataFormatError

FIELDS = [
    "ICH", "IPH", "IVH", "SDH", "EDH", "SAH", "BleedLocation-Left", "BleedLocation-Right",
    "ChronicBleed", "Fracture", "CalvarialFracture", "OtherFracture", "MassEffect", "MidlineShift",
]


def _reads(tmp_path, n=12, seed=3, edit=None, newline="\r\n"):
    rng = np.random.default_rng(seed)
    cols = {"name": [f"CQ500-CT-{i}" for i in range(n)], "Category": ["B1" if i % 3 else "B2" for i in range(n)]}
    for k in (1, 2, 3):
        for f in FIELDS:
            cols[f"R{k}:{f}"] = rng.integers(0, 2, n).astype(str)
    df = pd.DataFrame(cols)
    if edit is not None:
        df = edit(df)
    text = newline.join([",".join(df.columns)] + [",".join(map(str, r)) for r in df.itertuples(index=False)])
    (tmp_path / "reads.csv").write_text(text, newline="")  # CRLF, no final newline, as shipped
    return df


def test_readers_majority_and_unmapped_fields(tmp_path):
    df = _reads(tmp_path)
    cohort = cq500.load(tmp_path)
    lab = cohort.labels
    assert list(lab["rater"].cat.categories) == ["R1", "R2", "R3", "consensus"]
    assert set(lab["finding"].astype(str)) == {
        "any", "iph", "ivh", "sdh", "edh", "sah", "chronic", "fracture", "calvarial_fracture",
        "mass_effect", "midline_shift",
    }
    assert len(lab) == 12 * 11 * 4
    wide = lab.pivot_table(index=["study_id", "finding"], columns="rater", values="value", observed=True)
    votes = wide[["R1", "R2", "R3"]].sum(axis=1)
    assert (wide["consensus"] == (votes >= 2).astype(int)).all()
    # one cell checked by hand against the file
    row = df.iloc[5]
    r = lab[(lab.study_id == row["name"]) & (lab.finding == "sdh")].set_index("rater")["value"]
    expected = [int(row[f"R{k}:SDH"]) for k in (1, 2, 3)]
    assert r.loc[["R1", "R2", "R3"]].tolist() == expected
    assert r.loc["consensus"] == int(sum(expected) >= 2)


def test_studies_batch_and_split(tmp_path):
    _reads(tmp_path)
    st = get_adapter("cq500")(tmp_path).studies
    assert st["study_id"].iloc[0] == "CQ500-CT-0" == st["patient_id"].iloc[0]
    assert st["split"].isna().all()  # release batches, not a train/test split
    assert st["batch"].astype(str).value_counts().to_dict() == {"B1": 8, "B2": 4}


def test_missing_reader_value_and_no_majority(tmp_path):
    def edit(df):
        df.loc[0, "R3:ICH"] = ""
        df.loc[0, ["R1:ICH", "R2:ICH"]] = ["1", "1"]  # majority still decided
        df.loc[1, "R3:ICH"] = ""
        df.loc[1, ["R1:ICH", "R2:ICH"]] = ["1", "0"]  # no strict majority
        return df

    _reads(tmp_path, edit=edit)
    cohort = cq500.load(tmp_path)
    lab = cohort.labels.query("finding == 'any'")
    s0 = lab[lab.study_id == "CQ500-CT-0"].set_index("rater")["value"]
    assert s0.to_dict() == {"R1": 1, "R2": 1, "consensus": 1}
    s1 = lab[lab.study_id == "CQ500-CT-1"].set_index("rater")["value"]
    assert s1.to_dict() == {"R1": 1, "R2": 0}
    notes = cohort.notes
    assert notes[["study_id", "kind"]].values.tolist() == [["CQ500-CT-1", "no_majority"]]
    assert "R1=1, R2=0, R3=NA" in notes["detail"].iloc[0]


def test_predictions_and_batch_disagreement(tmp_path):
    df = _reads(tmp_path, n=4)
    pred = pd.DataFrame(
        {"name": df["name"], "Category_New": ["B2", "B1", "B2", "B1"], "ICH": [0.99, 0.1, 0.5, ""],
         "CalvarialFracture": [0.02975222953, 0.5, 0.2, 0.9], "MidlineShift": [0, 1, 0.2, 0.3]}
    )
    pred.to_csv(tmp_path / "prediction_probabilities.csv", index=False)
    cohort = cq500.load(tmp_path, model="vendor")
    p = cohort.predictions
    assert set(p["model"].astype(str)) == {"vendor"}
    assert len(p) == 3 + 4 + 4  # the blank ICH score is left out
    got = p[(p.study_id == "CQ500-CT-0") & (p.finding == "calvarial_fracture")]["score"].iloc[0]
    assert got == pytest.approx(0.02975222953)
    # reads.csv batches are B2, B1, B1, B2: rows 2 and 3 disagree with Category_New
    expected = [n for n, c, b in zip(df["name"], pred["Category_New"], df["Category"]) if c != b]
    assert expected == ["CQ500-CT-2", "CQ500-CT-3"]
    assert cohort.notes.query("kind == 'batch_disagreement'")["study_id"].tolist() == expected
    assert cq500.load(tmp_path, predictions_file=None).predictions.empty


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda df: df.assign(**{"R2:ICH": ["2"] + ["0"] * (len(df) - 1)}), r"column 'R2:ICH': expected 0/1.*row 2 \('2'\)"),
        (lambda df: df.drop(columns=["R3:SAH"]), r"reader R3 lacks columns \['R3:SAH'\]"),
        (lambda df: df.rename(columns={"R1:SAH": "R1:SAHX"}), r"column 'R1:SAHX': unknown CQ500 field 'SAHX'"),
        (lambda df: df.assign(name=["CQ500-CT-0"] * len(df)), r"column 'name': expected unique scan names"),
        (lambda df: df.drop(columns=["Category"]), r"expected a column 'Category'"),
    ],
)
def test_bad_reads(tmp_path, edit, message):
    _reads(tmp_path, edit=edit)
    with pytest.raises(DataFormatError, match=message):
        cq500.load(tmp_path)


def test_bad_predictions(tmp_path):
    df = _reads(tmp_path, n=3)
    path = tmp_path / "prediction_probabilities.csv"
    pd.DataFrame({"name": df["name"], "ICH": [0.1, 1.5, 0.2]}).to_csv(path, index=False)
    with pytest.raises(DataFormatError, match=r"column 'ICH': expected a probability in \[0, 1\]; 1 row, first: row 3"):
        cq500.load(tmp_path)
    pd.DataFrame({"name": ["CQ500-CT-99"], "ICH": [0.1]}).to_csv(path, index=False)
    with pytest.raises(DataFormatError, match=r"1 scan\(s\) not in reads.csv, first: 'CQ500-CT-99'"):
        cq500.load(tmp_path)
    pd.DataFrame({"name": df["name"], "Stroke": [0.1] * 3}).to_csv(path, index=False)
    with pytest.raises(DataFormatError, match=r"column 'Stroke': unknown CQ500 finding"):
        cq500.load(tmp_path)


def test_majority_helper_is_the_shared_rule():
    from hemstats.consensus import majority

    votes = pd.DataFrame({"a": [1, 0, 1, pd.NA], "b": [1, 0, 0, pd.NA], "c": [0, 1, pd.NA, pd.NA]}, dtype="Int8")
    assert majority(votes).tolist() == [1, 0, pd.NA, pd.NA]


def test_root_is_a_file_and_option_types(tmp_path):
    from hemstats.errors import ManifestError

    _reads(tmp_path, n=3)
    with pytest.raises(DataFormatError, match=r"^dataset folder 'reads.csv' is a file; expected the folder holding reads.csv"):
        cq500.load(tmp_path / "reads.csv")
    with pytest.raises(ManifestError, match=r"options.predictions_file: expected text or null, got int 5"):
        cq500.load(tmp_path, predictions_file=5)
    with pytest.raises(ManifestError, match=r"options.model: expected text, got list"):
        cq500.load(tmp_path, model=["a", "b"])


def test_duplicate_prediction_rows_are_errors(tmp_path):
    df = _reads(tmp_path, n=3)
    names = [df["name"][0], df["name"][1], df["name"][1]]
    pd.DataFrame({"name": names, "ICH": [0.1, 0.2, 0.3]}).to_csv(tmp_path / "prediction_probabilities.csv", index=False)
    with pytest.raises(DataFormatError, match=r"^prediction_probabilities.csv, column 'name': expected unique scan names; 2 rows, first: row 3"):
        cq500.load(tmp_path)


@pytest.mark.shared_data
def test_real_reads_match_third_party_majority(shared_data):
    root = shared_data / "cq500"
    cohort = cq500.load(root)
    assert len(cohort.studies) == 491
    assert cohort.studies["batch"].astype(str).value_counts().to_dict() == {"B2": 277, "B1": 214}
    cons = cohort.labels.query("rater == 'consensus'")
    per_reader = cohort.labels.query("finding == 'any'").groupby("rater", observed=True)["value"].sum()
    assert per_reader.to_dict() == {"R1": 230, "R2": 196, "R3": 193, "consensus": 205}

    oracle = pd.read_csv(root / "summary_label_convouch_derived.csv", index_col=0)
    oracle = oracle.set_index("name")
    wide = cons.pivot(index="study_id", columns="finding", values="value")
    shared = 0
    for field, code in cq500.DATASET_FINDINGS["cq500"].items():
        if field not in oracle.columns:
            continue
        shared += 1
        theirs = oracle[field].astype(bool).astype(int)
        ours = wide[code].reindex(theirs.index)
        assert ours.notna().all(), field
        assert (ours.astype(int) == theirs).all(), field
    assert shared == 11
    assert cohort.notes.empty  # three readers, no blanks: a majority always exists

    pred = cohort.predictions
    assert len(pred) == 491 * 9
    assert pred["score"].between(0, 1).all()
    assert set(pred["finding"].astype(str)) == {
        "any", "iph", "ivh", "sdh", "edh", "sah", "calvarial_fracture", "mass_effect", "midline_shift"
    }
