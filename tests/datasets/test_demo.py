"""The seeded demo cohort: determinism, schema, and recovery of its true parameters.

Statistical checks use fixed seeds and tolerances of about 4 standard errors
(binomial for prevalences, Hanley-McNeil for AUCs), so they pass for the seeds used
here and fail when the generator drifts from the truth it reports.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import cohen_kappa_score, roc_auc_score

from hemstats.cohort import Cohort
from hemstats.datasets import _demo_model, demo, get_adapter
from hemstats.errors import HemstatsError
from hemstats.findings import SUBTYPES

READ = ("any", *SUBTYPES)
ALL = (*READ, "chronic", "fracture", "mass_effect", "midline_shift")


def _study_labels(cohort: Cohort, rater: str = "consensus") -> pd.DataFrame:
    """Study x finding 0/1 matrix of one rater, rows in studies order."""
    lab = cohort.labels
    lab = lab[(lab["level"] == "study") & (lab["rater"] == rater)]
    wide = lab.pivot(index="study_id", columns="finding", values="value")
    wide.columns = wide.columns.astype(str)
    return wide.reindex(cohort.studies["study_id"])


def _study_scores(cohort: Cohort, model: str) -> pd.DataFrame:
    pred = cohort.predictions
    pred = pred[(pred["level"] == "study") & (pred["model"] == model)]
    wide = pred.pivot(index="study_id", columns="finding", values="score")
    wide.columns = wide.columns.astype(str)
    return wide.reindex(cohort.studies["study_id"]).astype(float)


def _hanley_mcneil_se(auc: float, n_pos: int, n_neg: int) -> float:
    q1, q2 = auc / (2 - auc), 2 * auc**2 / (1 + auc)
    var = (auc * (1 - auc) + (n_pos - 1) * (q1 - auc**2) + (n_neg - 1) * (q2 - auc**2)) / (n_pos * n_neg)
    return math.sqrt(var)


@pytest.fixture(scope="module")
def big():
    """A larger simulation (no slices) for the tighter statistical checks."""
    return demo.simulate(20000, seed=11, slice_fraction=0.0)


# -- determinism -------------------------------------------------------------------------------
def test_same_arguments_give_identical_cohorts():
    a = demo.simulate(150, seed=3)
    b = demo.simulate(150, seed=3)
    assert a.cohort.equals(b.cohort)
    assert a.cohort.fingerprint() == b.cohort.fingerprint()
    assert a.truth == b.truth
    for name, df in a.cohort.tables().items():
        assert df.dtypes.equals(getattr(b.cohort, name).dtypes), name


def test_different_seed_gives_different_cohort():
    a = demo.simulate(150, seed=3)
    b = demo.simulate(150, seed=4)
    assert not a.cohort.equals(b.cohort)
    assert a.cohort.fingerprint() != b.cohort.fingerprint()


def test_default_cohort_is_pinned(demo_data):
    """Other modules' doctests print numbers from the default demo: changing it is a breaking change."""
    c = demo_data.cohort
    assert repr(c) == (
        "Cohort(datasets=['demo'], studies=1200, labels=83844, predictions=22774, lesions=658, images=8374, notes=1)"
    )
    assert int(_study_labels(c)["any"].sum()) == 445
    first = c.studies.iloc[0]
    assert (first["study_id"], first["patient_id"], first["kernel"], float(first["age_years"])) == (
        "DEMO-S0001",
        "DEMO-P0989",
        "BONE",
        65.0,
    )
    assert float(c.predictions["score"].iloc[0]) == pytest.approx(0.5459970413160047, rel=1e-12)


def test_sub_streams_are_independent():
    base = demo.simulate(200, seed=5)
    other_kappa = demo.simulate(200, seed=5, reader_kappa=0.4)
    for name in ("studies", "predictions", "lesions", "images"):
        assert getattr(base.cohort, name).equals(getattr(other_kappa.cohort, name)), name
    assert _study_labels(base.cohort).equals(_study_labels(other_kappa.cohort))
    assert not _study_labels(base.cohort, "R1").equals(_study_labels(other_kappa.cohort, "R1"))
    more_slices = demo.simulate(200, seed=5, slice_fraction=0.3)
    assert base.cohort.studies.equals(more_slices.cohort.studies)
    assert base.cohort.lesions.equals(more_slices.cohort.lesions)
    study_pred = lambda c: c.predictions[c.predictions["level"] == "study"].reset_index(drop=True)
    assert study_pred(base.cohort).equals(study_pred(more_slices.cohort))
    assert len(more_slices.cohort.images) > len(base.cohort.images)


# -- structure ---------------------------------------------------------------------------------
def test_table_sizes(demo_data):
    c = demo_data.cohort
    n = 1200
    assert len(c.studies) == n
    n_sub = c.images["study_id"].nunique()
    assert n_sub == 120
    n_slices = len(c.images)
    assert n_slices == c.studies.set_index("study_id").loc[c.images["study_id"].unique(), "n_slices"].sum()
    assert len(c.labels) == n * len(ALL) + 3 * n * len(READ) + n_slices * len(READ)
    assert len(c.predictions) == 2 * n * len(READ) + n_slices
    cons = _study_labels(c)
    assert len(c.lesions) == int(cons[list(SUBTYPES)].to_numpy().sum())
    assert c.notes["kind"].astype(str).tolist() == ["synthetic"]
    assert "synthetic" in c.notes["detail"].iloc[0]


def test_studies_look_like_a_head_ct_cohort(demo_data):
    s = demo_data.cohort.studies
    assert set(s["site"].astype(str)) == {"site_A", "site_B", "site_C"}
    assert set(s["manufacturer"].astype(str)) == {"GE MEDICAL SYSTEMS", "SIEMENS", "Philips"}
    assert s["scanner_model"].nunique() == 4
    assert s["study_id"].str.fullmatch(r"DEMO-S\d{4}").all()
    assert s["patient_id"].str.fullmatch(r"DEMO-P\d{4}").all()
    per_patient = s.groupby("patient_id").size()
    assert per_patient.max() == 2 and 50 <= (per_patient == 2).sum() <= 200
    assert (s.groupby("patient_id")["split"].nunique() == 1).all()
    assert (s.groupby("patient_id")["site"].nunique() == 1).all()
    patients_test = s.drop_duplicates("patient_id")["split"].eq("test").mean()
    assert 0.15 <= patients_test <= 0.25
    assert set(s["slice_thickness_mm"].astype(float)) <= {0.625, 1.0, 1.25, 2.5, 3.0, 5.0}
    coverage = (s["n_slices"] * s["slice_thickness_mm"]).astype(float)
    assert coverage.between(115, 185).all()
    assert set(s["kvp"].astype(float)) == {100.0, 120.0, 140.0}
    assert s["tube_current_ma"].between(150, 450).all()
    age = s["age_years"]
    assert 0 < age.isna().mean() < 0.1 and age.min() >= 1 and age.max() <= 96
    assert 0 < (age < 18).mean() < 0.08 and 50 <= age.median() <= 65
    assert 0 < s["sex"].isna().mean() < 0.06 and set(s["sex"].dropna().astype(str)) == {"F", "M"}


def test_kernel_families(demo_data):
    s = demo_data.cohort.studies
    truth = demo_data.truth
    family = s["study_id"].map(truth["kernel_family"])
    assert family.notna().all()
    soft, sharp = set(truth["kernel_families"]["soft"]), set(truth["kernel_families"]["sharp"])
    kernel = s["kernel"].astype(str)
    assert kernel[family == "soft"].isin(soft).all() and kernel[family == "sharp"].isin(sharp).all()
    assert {"SOFT", "STANDARD", "H30s", "J40s", "UB", "UC"} == soft
    assert {"BONE", "H70h", "J70h", "YC", "YB"} == sharp
    assert 0.2 < (family == "sharp").mean() < 0.4
    ge = s["manufacturer"].astype(str) == "GE MEDICAL SYSTEMS"
    assert kernel[ge].isin({"SOFT", "STANDARD", "BONE"}).all()


# -- findings ------------------------------------------------------------------------------------
def test_prevalence_matches_truth(demo_data, big):
    for data in (demo_data, big):
        cons = _study_labels(data.cohort)
        n = len(cons)
        for finding in ALL:
            p = data.truth["prevalence"][finding]
            assert abs(cons[finding].mean() - p) <= 4 * math.sqrt(p * (1 - p) / n), finding
    prev = big.truth["prevalence"]
    assert 0.3 < prev["any"] < 0.4
    share = {k: prev[k] / prev["any"] for k in SUBTYPES}
    assert share["iph"] > share["sah"] > share["ivh"] > share["edh"] and 0.03 < share["edh"] < 0.1


def test_findings_are_logically_consistent(big):
    cons = _study_labels(big.cohort)
    assert (cons["any"] == cons[list(SUBTYPES)].max(axis=1)).all()
    assert (cons["midline_shift"] <= cons["mass_effect"]).all()
    # IVH co-occurs with IPH far more than with anything else; older patients bleed more.
    ivh = cons["ivh"] == 1
    assert cons.loc[ivh, "iph"].mean() > 2 * cons.loc[~ivh, "iph"].mean()
    age = big.cohort.studies["age_years"].astype(float).to_numpy()
    assert cons["any"][age >= 70].mean() > cons["any"][age < 40].mean() + 0.05
    # fractures go with EDH
    assert cons.loc[cons["edh"] == 1, "fracture"].mean() > 0.4


# -- readers -------------------------------------------------------------------------------------
@pytest.mark.parametrize("kappa", [0.75, 0.45])
def test_reader_kappa_is_recovered(kappa):
    data = demo.simulate(5000, seed=21, reader_kappa=kappa, slice_fraction=0.0)
    cons = _study_labels(data.cohort)
    for reader in ("R1", "R2", "R3"):
        read = _study_labels(data.cohort, reader)
        for finding in READ:
            assert data.truth["readers"][reader][finding]["kappa"] == pytest.approx(kappa, abs=1e-9)
            k_hat = cohen_kappa_score(cons[finding], read[finding])
            p = data.truth["prevalence"][finding]
            tol = 0.05 if p > 0.05 else 0.11  # ~4 SE at n = 5,000
            assert abs(k_hat - kappa) <= tol, (reader, finding, k_hat)
            se = data.truth["readers"][reader][finding]["sensitivity"]
            sens_hat = read[finding][cons[finding] == 1].mean()
            n_pos = int(cons[finding].sum())
            assert abs(sens_hat - se) <= 4 * math.sqrt(se * (1 - se) / n_pos) + 1e-9, (reader, finding)


def test_readers_differ_in_sensitivity(demo_data):
    r = demo_data.truth["readers"]
    assert r["R2"]["any"]["sensitivity"] > r["R1"]["any"]["sensitivity"] > r["R3"]["any"]["sensitivity"]
    assert r["R2"]["any"]["specificity"] < r["R1"]["any"]["specificity"] < r["R3"]["any"]["specificity"]


def test_reader_labels_cover_every_study(demo_data):
    lab = demo_data.cohort.labels
    study = lab[lab["level"] == "study"]
    counts = study.groupby(["rater", "finding"], observed=True).size()
    assert (counts == 1200).all()
    assert len(counts) == len(ALL) + 3 * len(READ)


@pytest.mark.parametrize("kappa", [0.0, 0.3, 1.0])
def test_reader_rates_formula(kappa):
    for p in (0.02, 0.2, 0.5):
        for bias in (-0.15, 0.0, 0.15):
            se, sp = _demo_model._reader_rates(p, kappa, bias)
            assert 0 <= se <= 1 and 0 <= sp <= 1
            assert _demo_model._kappa(p, se, sp) == pytest.approx(kappa, abs=1e-12)
    assert _demo_model._reader_rates(0.2, 1.0, 0.15) == pytest.approx((1.0, 1.0))


# -- models --------------------------------------------------------------------------------------
def test_model_auc_is_recovered(demo_data):
    c, truth = demo_data.cohort, demo_data.truth
    cons = _study_labels(c)
    family = c.studies["study_id"].map(truth["kernel_family"]).to_numpy()
    checked = 0
    for model in ("model_a", "model_b"):
        scores = _study_scores(c, model)
        assert ((scores > 0) & (scores < 1)).all().all()
        for finding in READ:
            for part, mask in (("all", np.ones(len(family), bool)), ("soft", family == "soft"), ("sharp", family == "sharp")):
                y = cons[finding].to_numpy()[mask]
                n_pos, n_neg = int(y.sum()), int(len(y) - y.sum())
                if n_pos < 10:
                    continue
                auc = truth["auc"][model][finding][part]
                auc_hat = roc_auc_score(y, scores[finding].to_numpy()[mask])
                assert abs(auc_hat - auc) <= 4 * _hanley_mcneil_se(auc, n_pos, n_neg), (model, finding, part, auc_hat)
                checked += 1
    assert checked >= 30


def test_marginal_auc_is_the_positive_weighted_mixture(demo_data):
    truth = demo_data.truth
    cons = _study_labels(demo_data.cohort)
    sharp = demo_data.cohort.studies["study_id"].map(truth["kernel_family"]).eq("sharp").to_numpy()
    pos = cons["any"].to_numpy() == 1
    w = (pos & sharp).sum() / pos.sum()
    a = truth["auc"]["model_a"]["any"]
    assert a["all"] == pytest.approx(w * a["sharp"] + (1 - w) * a["soft"])
    assert (a["soft"], a["sharp"]) == (0.93, 0.85)
    assert truth["auc"]["model_b"]["any"] == {"all": pytest.approx(0.89), "soft": 0.89, "sharp": 0.89}


def test_kernel_effect_only_for_model_a(big):
    c, truth = big.cohort, big.truth
    cons = _study_labels(c)
    family = c.studies["study_id"].map(truth["kernel_family"]).to_numpy()
    y = cons["any"].to_numpy()
    gap = {}
    for model in ("model_a", "model_b"):
        s = _study_scores(c, model)["any"].to_numpy()
        soft, sharp = family == "soft", family == "sharp"
        gap[model] = roc_auc_score(y[soft], s[soft]) - roc_auc_score(y[sharp], s[sharp])
    assert 0.05 < gap["model_a"] < 0.11
    assert abs(gap["model_b"]) < 0.03


def test_models_are_correlated(demo_data):
    a = _study_scores(demo_data.cohort, "model_a")["any"]
    b = _study_scores(demo_data.cohort, "model_b")["any"]
    assert 0.5 < np.corrcoef(a, b)[0, 1] < 0.95


# -- slices --------------------------------------------------------------------------------------
def test_slice_labels_agree_with_study_labels(demo_data):
    c = demo_data.cohort
    lab = c.labels[c.labels["level"] == "slice"]
    assert set(lab["rater"].astype(str)) == {"consensus"}
    assert set(lab["finding"].astype(str)) == set(READ)
    assert lab["slice_id"].str.fullmatch(r"DEMO-S\d{4}-\d{3}").all()
    assert (lab["slice_id"].str[:10] == lab["study_id"]).all()
    from_slices = lab.groupby(["study_id", "finding"], observed=True)["value"].max().unstack()
    from_slices.columns = from_slices.columns.astype(str)
    cons = _study_labels(c).loc[from_slices.index, list(from_slices.columns)]
    assert (from_slices.to_numpy() == cons.to_numpy()).all()
    assert from_slices["any"].sum() >= 20  # some positive studies in the subset
    wide = lab.pivot(index="slice_id", columns="finding", values="value")
    wide.columns = wide.columns.astype(str)
    assert (wide["any"] == wide[list(SUBTYPES)].max(axis=1)).all()
    # positive slices form one contiguous run per (study, subtype)
    pos = lab[(lab["value"] == 1) & (lab["finding"] != "any")]
    number = pos["slice_id"].str[-3:].astype(int)
    runs = number.groupby([pos["study_id"], pos["finding"]], observed=True).agg(["min", "max", "size"])
    assert (runs["max"] - runs["min"] + 1 == runs["size"]).all()


def test_images_and_slice_predictions(demo_data):
    c = demo_data.cohort
    img = c.images
    assert img["path"].isna().all() and (img["width"] == 512).all() and (img["height"] == 512).all()
    per_study = img.groupby("study_id").size()
    n_slices = c.studies.set_index("study_id").loc[per_study.index, "n_slices"]
    assert (per_study.to_numpy() == n_slices.to_numpy()).all()
    first = img.groupby("study_id")["slice_id"].min()
    assert (first.str[-3:] == "001").all()
    pred = c.predictions[c.predictions["level"] == "slice"]
    assert set(pred["model"].astype(str)) == {"model_a"} and set(pred["finding"].astype(str)) == {"any"}
    assert set(pred["slice_id"]) == set(img["slice_id"])
    lab = c.labels[(c.labels["level"] == "slice") & (c.labels["finding"] == "any")]
    merged = pred.merge(lab, on="slice_id")
    auc_hat = roc_auc_score(merged["value"], merged["score"])
    assert abs(auc_hat - demo_data.truth["auc_slice"]["model_a"]["any"]) < 0.05


# -- lesions -------------------------------------------------------------------------------------
def test_lesions_match_positive_subtypes_and_voxels(demo_data):
    c = demo_data.cohort
    les = c.lesions
    cons = _study_labels(c)
    long = cons[list(SUBTYPES)].stack()
    positive = set(long[long == 1].index)
    assert set(zip(les["study_id"], les["finding"].astype(str))) == positive
    thickness = les["study_id"].map(c.studies.set_index("study_id")["slice_thickness_mm"]).astype(float)
    voxel_ml = 0.45 * 0.45 * thickness / 1000
    assert (les["voxels"] >= 1).all()
    np.testing.assert_allclose(les["voxels"].astype(float) * voxel_ml, les["volume_ml"].astype(float), rtol=1e-12)
    median = les.groupby("finding", observed=True)["volume_ml"].median().astype(float)
    assert median["ivh"] < median["iph"] < median["sdh"]
    assert median["sdh"] > 10 and median["ivh"] < 10


# -- info, files, adapter ------------------------------------------------------------------------
def test_info_is_json_and_labels_the_data_synthetic(demo_data):
    info = demo_data.cohort.info
    assert json.loads(json.dumps(info, allow_nan=False)) == info
    entry = info["demo"]
    assert entry["synthetic"] is True and entry["generator"] == "hemstats.datasets.demo" and entry["seed"] == 0
    assert entry["parameters"] == {
        "n_studies": 1200,
        "seed": 0,
        "reader_kappa": 0.75,
        "name": "demo",
        "slice_fraction": 0.1,
        "repeat_fraction": 0.1,
        "test_fraction": 0.2,
    }
    assert entry["truth"] == demo_data.truth
    assert set(demo_data.truth["kernel_family"]) == set(demo_data.cohort.studies["study_id"])


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_round_trip_through_files(tmp_path, fmt):
    cohort = demo.load(n_studies=120, seed=9, slice_fraction=0.2)
    back = Cohort.from_dir(cohort.to_dir(tmp_path / fmt, format=fmt))
    assert back.equals(cohort)
    assert back.fingerprint() == cohort.fingerprint()


def test_load_is_the_adapter(demo_cohort, demo_data):
    assert get_adapter("demo") is demo.load
    assert demo_cohort.equals(demo_data.cohort)
    renamed = demo.load(n_studies=40, seed=2, name="demo_b")
    assert renamed.datasets == ("demo_b",) and "demo_b" in renamed.info


def test_load_refuses_a_path():
    with pytest.raises(HemstatsError, match="root must be None.*some/path"):
        demo.load("/some/path")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"n_studies": 0},
        {"n_studies": 2.5},
        {"seed": -1},
        {"reader_kappa": 1.5},
        {"slice_fraction": -0.1},
        {"name": ""},
    ],
)
def test_bad_arguments_raise(kwargs):
    with pytest.raises(HemstatsError):
        demo.simulate(**{"n_studies": 20, **kwargs})


def test_tiny_cohorts_work():
    for n in (1, 2, 7):
        data = demo.simulate(n, seed=1)
        assert len(data.cohort.studies) == n
        json.dumps(data.truth, allow_nan=False)
    assert len(demo.simulate(30, slice_fraction=0.0).cohort.images) == 0


def test_load_options_are_typed_and_checked():
    import inspect

    from hemstats.errors import ManifestError

    params = inspect.signature(demo.load).parameters
    assert not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    assert {"n_studies", "seed", "reader_kappa", "slice_fraction"} <= set(params)
    with pytest.raises(ManifestError, match=r"options.n_studies: expected an integer, got str 'many'"):
        demo.load(n_studies="many")
    with pytest.raises(ManifestError, match=r"options.seed: expected an integer, got bool True"):
        demo.load(seed=True)
