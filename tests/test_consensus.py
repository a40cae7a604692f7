"""The one majority rule: more than half of ALL the dataset's readers."""

from __future__ import annotations

import pandas as pd
import pytest

from hemstats.consensus import majority, majority_labels
from hemstats.errors import HemstatsError, SchemaError


def _votes(**cols):
    return pd.DataFrame(cols, dtype="Int8")


def test_one_reader_present_of_three_decides_nothing():
    votes = _votes(R1=[1, 0], R2=[pd.NA, pd.NA], R3=[pd.NA, pd.NA])
    assert majority(votes).isna().all()


def test_two_of_three_decide_even_when_the_third_is_missing():
    votes = _votes(R1=[1, 0, 1], R2=[1, 0, 0], R3=[pd.NA, pd.NA, pd.NA])
    assert majority(votes).tolist() == [1, 0, pd.NA]


def test_ties_with_an_even_number_of_readers_give_no_label():
    votes = _votes(R1=[1, 1, 1], R2=[1, 0, 1], R3=[0, 1, 1], R4=[0, 0, pd.NA])
    assert majority(votes).tolist() == [pd.NA, pd.NA, 1]


def test_n_readers_counts_readers_that_are_not_columns():
    votes = _votes(R1=[1], R2=[1])
    assert majority(votes).tolist() == [1]
    assert majority(votes, n_readers=4).tolist() == [pd.NA]  # 2 of 4 is no majority
    with pytest.raises(SchemaError, match="n_readers: expected at least the 2 reader"):
        majority(votes, n_readers=1)


def test_votes_must_be_0_1_or_missing():
    with pytest.raises(HemstatsError, match=r"votes\['R2'\]: expected 0, 1 or missing"):
        majority(pd.DataFrame({"R1": [1], "R2": [2]}))


def _long(rows):
    return pd.DataFrame(rows, columns=["dataset", "study_id", "finding", "rater", "value"]).assign(
        slice_id=pd.NA, level="study"
    )


def test_per_dataset_reader_counts():
    rows = [
        # dataset a has three readers (R3 reads only s2): s1 has 2 positives of 3 -> 1
        ("a", "s1", "any", "R1", 1), ("a", "s1", "any", "R2", 1),
        ("a", "s2", "any", "R1", 1), ("a", "s2", "any", "R3", 0),
        # dataset b has one reader: its single vote decides
        ("b", "t1", "any", "R1", 1),
        # a consensus row is not a reader
        ("b", "t1", "any", "consensus", 0),
    ]
    decided, undecided = majority_labels(_long(rows))
    got = {(r.dataset, r.study_id): r.value for r in decided.itertuples()}
    assert got == {("a", "s1"): 1, ("b", "t1"): 1}
    assert undecided[["dataset", "study_id", "n_readers", "n_positive", "n_negative"]].values.tolist() == [
        ["a", "s2", 3, 1, 1]
    ]
    assert set(decided["rater"]) == {"majority"}


def test_one_of_three_present_is_undecided_in_long_form():
    rows = [("a", "s1", "any", "R1", 1), ("a", "s2", "any", "R2", 0), ("a", "s2", "any", "R3", 0),
            ("a", "s2", "any", "R1", 0)]
    decided, undecided = majority_labels(_long(rows))
    assert decided["study_id"].tolist() == ["s2"] and decided["value"].tolist() == [0]
    assert undecided["study_id"].tolist() == ["s1"]


def test_a_reader_twice_on_one_unit_is_an_error():
    rows = [("a", "s1", "any", "R1", 1), ("a", "s1", "any", "R1", 0), ("a", "s1", "any", "R2", 1)]
    with pytest.raises(SchemaError, match=r"one value per unit and reader; 2 rows repeat one, first rows \(index\) 0, 1"):
        majority_labels(_long(rows))


def test_cq500_uses_the_shared_rule(tmp_path):
    from hemstats.datasets import cq500

    header = "name,Category," + ",".join(f"R{k}:ICH" for k in (1, 2, 3))
    (tmp_path / "reads.csv").write_text(header + "\nCQ500-CT-1,B1,1,,\nCQ500-CT-2,B1,1,1,\n")
    cohort = cq500.load(tmp_path)
    cons = cohort.labels.query("rater == 'consensus'")
    assert cons["study_id"].tolist() == ["CQ500-CT-2"]
    note = cohort.notes.query("kind == 'no_majority'")
    assert note["study_id"].tolist() == ["CQ500-CT-1"]
    assert "no majority of the 3 readers" in note["detail"].iloc[0]
    assert not hasattr(cq500, "majority") or cq500.majority is majority
