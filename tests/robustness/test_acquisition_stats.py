"""Bad inputs of the acquisition statistics end in a HemstatsError naming the argument, column or row.

heterogeneity, acquisition_mix, acquisition_effects, acquisition_distribution: each case
changes one thing of a small valid input (the demo cohort) and checks the message names it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

from hemstats.datasets import demo
from hemstats.errors import HemstatsError
from hemstats.stats.acquisition.effects import acquisition_effects
from hemstats.stats.acquisition.heterogeneity import heterogeneity
from hemstats.stats.acquisition.mix import acquisition_distribution, acquisition_mix


@pytest.fixture(scope="module")
def cohort():
    return demo.load(n_studies=160, seed=3)


def _pbs(change: Callable[[pd.DataFrame, pd.DataFrame, pd.DataFrame], tuple] | None = None, **options: Any):
    """heterogeneity on the cohort's tables after ``change(predictions, labels, studies)``."""

    def run(c):
        p, lab, s = c.predictions.copy(), c.labels.copy(), c.studies.copy()
        if change is not None:
            p, lab, s = change(p, lab, s)
        return heterogeneity(p, labels=lab, studies=s, **{"findings": "any", "n_resamples": 20, "rng": 0, **options})

    return run


def _text_scores(p, lab, s):
    p = p.assign(score=p["score"].astype(object))
    p.iloc[2, p.columns.get_loc("score")] = "high"
    return p, lab, s


def _nan_score(p, lab, s):
    p = p.copy()
    p.iloc[0, p.columns.get_loc("score")] = np.nan
    return p, lab, s


def _label_two(p, lab, s):
    lab = lab.copy()
    lab["value"] = lab["value"].astype("Int64")
    lab.iloc[0, lab.columns.get_loc("value")] = 2
    return p, lab, s


def _dup_prediction(p, lab, s):
    return pd.concat([p, p.iloc[[0]]], ignore_index=True), lab, s


def _dup_label(p, lab, s):
    return p, pd.concat([lab, lab.iloc[[0]]], ignore_index=True), s


def _dup_study(p, lab, s):
    return p, lab, pd.concat([s, s.iloc[[5]]], ignore_index=True)


def _all_missing_kernel(p, lab, s):
    return p, lab, s.assign(site=pd.NA)


CASES: list[tuple[str, Callable, str]] = [
    # heterogeneity
    ("by column missing", _pbs(by="scanner_room"), r"heterogeneity: by: 'scanner_room' is not a column"),
    ("by all missing", _pbs(_all_missing_kernel, by="site"), r"by: column 'site' .*all missing"),
    ("unknown finding", _pbs(findings="bleed"), r"findings: unknown finding\(s\) \['bleed'\]"),
    ("findings not names", _pbs(findings=[1, 2]), r"findings must be a finding code"),
    ("unknown model", _pbs(models="model_z"), r"models: .*'model_z'"),
    ("wrong cluster column", _pbs(cluster="scanner_serial"), r"cluster: 'scanner_serial' is not a column"),
    ("cluster not a name", _pbs(cluster=3), r"cluster must be a column name"),
    ("text scores", _pbs(_text_scores), r"score"),
    ("missing score", _pbs(_nan_score), r"score"),
    ("labels not 0/1", _pbs(_label_two), r"value"),
    ("duplicate prediction", _pbs(_dup_prediction), r"predictions.*duplicate"),
    ("duplicate label", _pbs(_dup_label), r"labels.*duplicate"),
    ("duplicate study", _pbs(_dup_study), r"studies: duplicate \(dataset, study_id\) rows 5, "),
    ("no score column", _pbs(lambda p, lab, s: (p.drop(columns="score"), lab, s)),
     r"predictions table is missing column\(s\) \['score'\]"),
    ("no value column", _pbs(lambda p, lab, s: (p, lab.drop(columns="value"), s)),
     r"labels table is missing column\(s\) \['value'\]"),
    ("no slice predictions", _pbs(lambda p, lab, s: (p[p["level"] == "study"], lab, s), level="slice"),
     r"slice"),
    ("bad level", _pbs(level="series"), r"level must be 'study' or 'slice'"),
    ("bad interval", _pbs(interval="wilson"), r"interval must be 'delong' or 'bootstrap'"),
    ("bad threshold", _pbs(threshold="high"), r"threshold must be a finite number"),
    ("nan threshold", _pbs(threshold=float("nan")), r"threshold must be a finite number"),
    ("bad confidence_level", _pbs(confidence_level=95), r"confidence_level must be a number in \(0, 1\)"),
    ("min_per_class 0", _pbs(min_per_class=0), r"min_per_class must be an integer >= 1"),
    ("min_clusters 1", _pbs(min_clusters=1), r"min_clusters must be an integer >= 2"),
    ("bad bootstrap_method", _pbs(bootstrap_method="studentized"), r"bootstrap_method must be"),
    ("negative n_resamples", lambda c: heterogeneity(c, n_resamples=-1), r"n_resamples must be"),
    ("predictions not a table", lambda c: heterogeneity([1, 2], labels=c.labels, studies=c.studies),
     r"first argument must be a Cohort or the predictions table"),
    ("no labels", lambda c: heterogeneity(c.predictions, studies=c.studies), r"needs the labels table"),
    ("cohort and tables", lambda c: heterogeneity(c, labels=c.labels), r"got a Cohort and labels= as well"),
    # acquisition_mix
    ("mix: by column missing", lambda c: acquisition_mix(c.studies, by="hospital"), r"missing column\(s\) \['hospital'\]"),
    ("mix: by not names", lambda c: acquisition_mix(c.studies, by=[1]), r"by must be a column name"),
    ("mix: not a table", lambda c: acquisition_mix(c.studies.to_dict()), r"acquisition_mix: the first argument must be"),
    ("mix: a list", lambda c: acquisition_mix([1]), r"a Cohort or the studies table"),
    # acquisition_effects
    ("effects: unknown finding",
     lambda c: acquisition_effects(c.labels, studies=c.studies, findings="bleed"),
     r"findings: unknown finding\(s\) \['bleed'\]"),
    ("effects: wrong cluster column",
     lambda c: acquisition_effects(c.labels, studies=c.studies, findings="any", cluster="family_id"),
     r"missing column\(s\) \['family_id'\]"),
    ("effects: unknown rater", lambda c: acquisition_effects(c, rater="R9"), r"rater 'R9'"),
    ("effects: bad cov_struct", lambda c: acquisition_effects(c, cov_struct="ar1"), r"cov_struct must be"),
    ("effects: column missing", lambda c: acquisition_effects(c, columns=("gantry_tilt",)),
     r"missing column\(s\) \['gantry_tilt'\]"),
    ("effects: no value column",
     lambda c: acquisition_effects(c.labels.drop(columns="value"), studies=c.studies),
     r"labels table is missing column\(s\) \['value'\]"),
    ("effects: no studies", lambda c: acquisition_effects(c.labels), r"needs the studies table"),
    ("effects: bad confidence_level", lambda c: acquisition_effects(c, confidence_level=95), r"confidence_level"),
    # acquisition_distribution
    ("distribution: column missing", lambda c: acquisition_distribution(c, columns=("ctdi",)),
     r"missing column\(s\) \['ctdi'\]"),
    ("distribution: text column", lambda c: acquisition_distribution(c, columns=("manufacturer",)),
     r"columns: column 'manufacturer' is not numeric"),
    ("distribution: by missing", lambda c: acquisition_distribution(c.studies, by="hospital"),
     r"missing column\(s\) \['hospital'\]"),
]


@pytest.mark.parametrize(("call", "match"), [pytest.param(f, m, id=i) for i, f, m in CASES])
def test_bad_input_names_the_problem(cohort, call, match):
    before = {name: getattr(cohort, name).copy() for name in ("predictions", "labels", "studies")}
    with pytest.raises(HemstatsError, match=match):
        call(cohort)
    for name, frame in before.items():  # the caller's tables are never modified
        pd.testing.assert_frame_equal(getattr(cohort, name), frame)
