"""The Cohort container: validation, dtypes, concat and the file round trip."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hemstats import Cohort, HemstatsError, SchemaError
from hemstats.cohort import TABLE_NAMES


def _studies(n=3, dataset="toy"):
    return pd.DataFrame(
        {
            "dataset": dataset,
            "study_id": [f"s{i}" for i in range(n)],
            "patient_id": [f"p{i // 2}" for i in range(n)],
            "age_years": np.linspace(0.5, 80, n),
            "sex": (["F", "M"] * n)[:n],
        }
    )


def _labels(study_ids, dataset="toy", **overrides):
    df = pd.DataFrame(
        {
            "dataset": dataset,
            "study_id": list(study_ids),
            "level": "study",
            "finding": "any",
            "rater": "consensus",
            "value": [i % 2 for i in range(len(study_ids))],
        }
    )
    return df.assign(**overrides)


def _problems(excinfo):
    return [str(p) for p in excinfo.value.problems]


def test_canonical_columns_and_dtypes():
    cohort = Cohort(_studies(), labels=_labels(["s0", "s1"]))
    assert list(cohort.studies.columns[:3]) == ["dataset", "study_id", "patient_id"]
    assert cohort.studies["study_id"].dtype == "string"
    assert isinstance(cohort.studies["dataset"].dtype, pd.CategoricalDtype)
    assert cohort.studies["age_years"].dtype == "Float64"
    assert cohort.studies["n_slices"].dtype == "Int64"
    assert cohort.studies["kernel"].isna().all()  # optional column added empty, not invented
    assert cohort.labels["value"].dtype == np.int8
    assert list(cohort.labels["finding"].cat.categories[:2]) == ["any", "edh"]
    for name in TABLE_NAMES:
        assert isinstance(getattr(cohort, name), pd.DataFrame)


def test_input_is_not_modified():
    studies = _studies()
    labels = _labels(["s0", "s1"])
    before = (studies.copy(), labels.copy())
    Cohort(studies, labels=labels)
    pd.testing.assert_frame_equal(studies, before[0])
    pd.testing.assert_frame_equal(labels, before[1])


def test_frozen():
    cohort = Cohort(_studies())
    with pytest.raises(AttributeError):
        cohort.studies = _studies()


def test_extra_columns_are_kept_after_canonical_ones():
    cohort = Cohort(_studies().assign(batch=["B1", "B2", "B1"]))
    assert cohort.studies.columns[-1] == "batch"
    assert cohort.studies["batch"].tolist() == ["B1", "B2", "B1"]


@pytest.mark.parametrize(
    ("table", "frame", "expected"),
    [
        ("labels", _labels(["s0", "s1"], value=[1, 2]), "labels.value: expected 0 or 1; 1 row, first: row 1 (2)"),
        ("labels", _labels(["s0"], value=["yes"]), "labels.value: expected a number; 1 row, first: row 0 ('yes')"),
        ("labels", _labels(["s0"], finding=["bleed"]), "labels.finding: expected one of"),
        ("labels", _labels(["s0"], level=["exam"]), "labels.level: expected one of ['study', 'slice']"),
        ("labels", _labels(["s0", "s0"]), "labels: key (dataset, study_id, slice_id, level, finding, rater) is not unique; 2 rows, first: row 0, row 1"),
        ("labels", _labels(["s0", "zz"]), "labels.study_id: expected a (dataset, study_id) listed in studies; 1 row, first: row 1 ('zz')"),
        ("labels", _labels(["s0"], level=["slice"]), "labels.slice_id: expected a slice_id exactly when level is 'slice'"),
        ("labels", _labels(["s0"]).drop(columns="rater"), "labels.rater: required column is absent"),
        ("predictions", pd.DataFrame({"dataset": "toy", "study_id": ["s0"], "level": "study", "finding": "any", "model": "m", "score": [np.inf]}), "predictions.score: expected a finite number"),
        ("lesions", pd.DataFrame({"dataset": "toy", "study_id": ["s0"], "finding": "sdh", "voxels": [1.5], "volume_ml": [-1.0]}), "lesions.voxels: expected a whole number"),
        ("images", pd.DataFrame({"dataset": "toy", "study_id": ["s0"], "slice_id": ["1"], "width": [0], "height": [512]}), "images.width: expected a number >= 1"),
    ],
)
def test_each_violation_names_table_column_and_rows(table, frame, expected):
    with pytest.raises(SchemaError) as excinfo:
        Cohort(_studies(), **{table: frame})
    assert any(expected in p for p in _problems(excinfo)), _problems(excinfo)
    assert isinstance(excinfo.value, HemstatsError)


def test_every_problem_is_reported_in_one_error():
    studies = _studies().assign(age_years=[1.0, -3.0, 2.0], sex=["F", "X", None])
    labels = _labels(["s0", "nope"], value=[1, 7])
    with pytest.raises(SchemaError) as excinfo:
        Cohort(studies, labels=labels)
    wheres = [p.where for p in excinfo.value.problems]
    assert wheres == ["studies.age_years", "studies.sex", "labels.value", "labels.study_id"]


def test_missing_study_keys_and_empty_ids_are_errors():
    studies = _studies().assign(study_id=["s0", None, "  "])
    with pytest.raises(SchemaError) as excinfo:
        Cohort(studies)
    text = "\n".join(_problems(excinfo))
    assert "studies.study_id: must not be missing; 1 row, first: row 1" in text
    assert "studies.study_id: must not be empty text; 1 row, first: row 2" in text


def test_missing_stays_missing():
    studies = _studies().assign(age_years=[None, 3.0, np.nan], kvp=[120, None, "140"])
    cohort = Cohort(studies)
    assert cohort.studies["age_years"].isna().tolist() == [True, False, True]
    assert cohort.studies["kvp"].tolist()[0] == 120.0 and cohort.studies["kvp"].isna().tolist()[1]
    assert cohort.studies["kvp"].tolist()[2] == 140.0


def test_slice_labels_need_slice_ids():
    labels = _labels(["s0", "s0"], level="slice").assign(slice_id=["s0-1", "s0-2"])
    cohort = Cohort(_studies(), labels=labels)
    assert cohort.labels["slice_id"].tolist() == ["s0-1", "s0-2"]


def test_info_must_be_json():
    with pytest.raises(SchemaError, match="info: expected JSON-serialisable"):
        Cohort(_studies(), info={"toy": {"bad": object()}})


def test_concat_combines_and_recategorises():
    a = Cohort(_studies(dataset="a"), labels=_labels(["s0"], dataset="a"), info={"a": {"x": 1}})
    b = Cohort(_studies(2, dataset="b"), labels=_labels(["s1"], dataset="b", rater="R1"))
    both = Cohort.concat([a, b])
    assert both.datasets == ("a", "b")
    assert list(both.labels["rater"].cat.categories) == ["R1", "consensus"]
    assert both.info == {"a": {"x": 1}}
    assert len(both.studies) == 5


def test_concat_refuses_a_dataset_twice():
    a = Cohort(_studies())
    with pytest.raises(HemstatsError, match="dataset 'toy' is in cohorts 0 and 1"):
        Cohort.concat([a, a])


def test_select_and_counts():
    both = Cohort.concat([Cohort(_studies(dataset="a")), Cohort(_studies(2, dataset="b"))])
    assert both.select("b").datasets == ("b",)
    counts = both.counts().set_index(["dataset", "table"])["rows"]
    assert counts[("a", "studies")] == 3 and counts[("b", "studies")] == 2 and counts[("a", "labels")] == 0
    with pytest.raises(HemstatsError, match="no dataset"):
        both.select("c")


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_round_trip_keeps_every_value_and_dtype(tmp_path, fmt):
    studies = _studies().assign(
        kvp=[120.0, None, 100.0],
        n_slices=[32, None, 40],
        batch=pd.Categorical(["B1", "B2", None]),
        weight=[0.1, 1 / 3, np.nan],
        note=pd.array(["a", None, "c"], dtype="string"),
    )
    preds = pd.DataFrame(
        {"dataset": "toy", "study_id": ["s0", "s1"], "level": "study", "finding": "sdh", "model": "m",
         "score": [0.1 + 0.2, 1e-300]}
    )
    cohort = Cohort(studies, labels=_labels(["s0", "s1"]), predictions=preds, info={"toy": {"seed": 3}})
    back = Cohort.from_dir(cohort.to_dir(tmp_path / "c", format=fmt))
    assert back.equals(cohort)
    assert back.predictions["score"].tolist() == [0.1 + 0.2, 1e-300]  # bit for bit
    assert back.fingerprint() == cohort.fingerprint()


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(allow_nan=False, allow_infinity=False, min_value=0), min_size=1, max_size=20))
def test_csv_round_trip_is_exact_for_any_float(tmp_path_factory, ages):
    n = len(ages)
    studies = pd.DataFrame({"dataset": "toy", "study_id": [f"s{i}" for i in range(n)], "patient_id": "p", "age_years": ages})
    cohort = Cohort(studies)
    back = Cohort.from_dir(cohort.to_dir(tmp_path_factory.mktemp("rt"), format="csv"))
    assert back.studies["age_years"].tolist() == cohort.studies["age_years"].tolist()


def test_from_dir_needs_cohort_json(tmp_path):
    with pytest.raises(HemstatsError, match="cohort.json: not found"):
        Cohort.from_dir(tmp_path)


def test_fingerprint_changes_with_a_value():
    a = Cohort(_studies())
    b = Cohort(_studies().assign(age_years=[0.5, 40.0, 80.1]))
    assert a.fingerprint() != b.fingerprint()
    assert a.fingerprint() == Cohort(_studies()).fingerprint()


def test_key_check_renumbers_before_the_combined_code_could_overflow():
    from hemstats.cohort import _duplicated

    rng = np.random.default_rng(5)
    big = np.empty(2**22, dtype=np.int8)  # only its length (the number of distinct values) matters
    cols = [rng.integers(-1, 3, 400) for _ in range(2)] + [rng.integers(2**22 - 3, 2**22, 400) for _ in range(3)]
    found = _duplicated((c, big) for c in cols)  # 2^22^5 distinct keys possible: must renumber
    expected = pd.DataFrame(np.column_stack(cols)).duplicated(keep=False).to_numpy()
    assert found.any() and (found == expected).all()


def _rebuilt(tables, info):
    """What construction from scratch makes of ``tables`` (the reference for the fast paths)."""
    return Cohort(**tables, info=info)


def test_concat_and_select_equal_a_full_validation():
    from hemstats.datasets import demo

    a = demo.load(n_studies=60, seed=1, name="demo_a")
    b = Cohort(
        _studies(dataset="toy").assign(batch=pd.Categorical(["B2", "B1", "B2"]), site=["x", "a", None]),
        labels=_labels(["s0", "s1"], dataset="toy", rater="R9"),
        info={"toy": {"k": 1}},
    )
    both = Cohort.concat([a, b], info={"toy": {"extra": [1, 2]}})
    plain = {n: pd.concat([getattr(a, n).astype({k: object for k, t in getattr(a, n).dtypes.items()
                                                 if isinstance(t, pd.CategoricalDtype)}),
                           getattr(b, n).astype({k: object for k, t in getattr(b, n).dtypes.items()
                                                 if isinstance(t, pd.CategoricalDtype)})], ignore_index=True)
             for n in TABLE_NAMES}
    assert both.equals(_rebuilt(plain, {**a.info, "toy": {"k": 1, "extra": [1, 2]}}))
    for name in ("demo_a", "toy"):
        part = both.select(name)
        tables = {n: df[df["dataset"] == name] for n, df in both.tables().items()}
        assert part.equals(_rebuilt(tables, {name: both.info[name]}))
    c = demo.load(n_studies=40, seed=2, name="demo_c")  # same columns as a: its slice is a itself
    assert Cohort.concat([a, c]).select("demo_a").fingerprint() == a.fingerprint()


def test_concat_checks_merged_info():
    with pytest.raises(SchemaError, match="info: expected JSON-serialisable"):
        Cohort.concat([Cohort(_studies())], info={"toy": {"bad": {1, 2}}})


def test_free_categories_are_the_values_present_whatever_the_input_dtype():
    site = pd.Categorical(["b", "a", None], categories=["z", "b", "a"])
    from_categorical = Cohort(_studies().assign(site=site))
    from_text = Cohort(_studies().assign(site=["b", "a", None]))
    assert list(from_categorical.studies["site"].cat.categories) == ["a", "b"]
    assert from_categorical.equals(from_text)
