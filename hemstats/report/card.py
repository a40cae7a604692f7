"""Dataset cards: datasheet-style answers about each dataset, generated from the manifest and the data.

:func:`dataset_card` answers, for every dataset of a cohort, the questions of a
datasheet for datasets (Gebru et al. 2021) that the data can answer: what the dataset
is and where it comes from, what it is made of, how it was collected, how it was
labelled, which problems the loader found, and under which licence it may be used.
The answers are text (this module is in :mod:`hemstats.report`, the only place numbers
become text); a question the data cannot answer says so ("not reported") instead of
guessing.

Examples
--------
>>> from hemstats.datasets import demo
>>> card = dataset_card(demo.load(n_studies=60))
>>> card.columns.tolist()
['dataset', 'section', 'question', 'answer']
>>> card.section.unique().tolist()  # doctest: +NORMALIZE_WHITESPACE
['Motivation and source', 'Composition', 'Collection', 'Labelling', 'Known issues',
 'Licence and citation']
>>> card.set_index("question").loc["How many studies and patients?", "answer"]
'60 studies of 55 patients.'

References
----------
Gebru T., Morgenstern J., Vecchione B., Vaughan J.W., Wallach H., Daumé III H., Crawford K.
Datasheets for datasets. Communications of the ACM 2021;64(12):86-92. doi:10.1145/3458723.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd

from hemstats.errors import ReportError
from hemstats.findings import FINDINGS
from hemstats.report.chapter import synthetic_banner_text
from hemstats.report.format import fmt_int, fmt_number, fmt_percent

if TYPE_CHECKING:
    from hemstats.cohort import Cohort
    from hemstats.manifest import Manifest

__all__ = ["CARD_COLUMNS", "SECTIONS", "CONSENSUS_RULES", "NOT_REPORTED", "dataset_card"]

#: Columns of :func:`dataset_card`.
CARD_COLUMNS: tuple[str, ...] = ("dataset", "section", "question", "answer")
#: The card's sections, in order.
SECTIONS: tuple[str, ...] = (
    "Motivation and source",
    "Composition",
    "Collection",
    "Labelling",
    "Known issues",
    "Licence and citation",
)
#: The answer to a question the manifest and the data do not answer.
NOT_REPORTED = "not reported"

#: How each adapter's ``consensus`` rater is formed, as its documentation states it.
CONSENSUS_RULES: Mapping[str, str] = {
    "cq500": "strict majority of the three readers (at least 2 of 3); no consensus row where the readers "
    "present leave no majority (a 'no_majority' note)",
    "kaggle_head_ct": "the single published label per image; the labelling process is not described",
    "physionet_ct_ich": "the two radiologists of the dataset paper decided each label together",
    "rsna_ich": "the challenge organisers' adjudicated reads (RSNA-ASNR volunteer neuroradiologists)",
    "bhsd": "derived from the voxel masks (a subtype is present when its mask label has voxels)",
    "hemorica": "double reading adjudicated by a neurosurgeon, as the dataset paper states",
    "mosmed_ich": "the registry's labels, as published",
    "demo": "the simulated truth; readers R1-R3 are simulated with known sensitivity and specificity",
}

_TEXT_KEYS = ("licence", "citation", "source", "description")
_COLLECTION = (
    ("site", "Which sites contributed studies?"),
    ("manufacturer", "Which scanner vendors?"),
    ("scanner_model", "Which scanner models?"),
    ("kernel", "Which reconstruction kernels?"),
)
_MAX_LISTED = 8
_MAX_EXAMPLES = 3


def _entry_texts(manifest: Manifest | None, name: str) -> dict[str, Any]:
    """The manifest entry's provenance texts for dataset ``name`` (empty when absent)."""
    if manifest is None:
        return {}
    for entry in getattr(manifest, "datasets", ()):
        if entry.name == name:
            out = {k: getattr(entry, k) for k in _TEXT_KEYS}
            out["adapter"] = entry.adapter
            return {k: v for k, v in out.items() if v is not None}
    return {}


def _count(n: int, word: str) -> str:
    """``1 study``, ``2 studies``, ``1,200 patients``: a formatted count with its noun."""
    plural = {"study": "studies"}.get(word, word + "s")
    return f"{fmt_int(n)} {word if int(n) == 1 else plural}"


def _text(value: Any) -> str | None:
    """``value`` stripped and on one line, or None when it is missing or blank."""
    if value is None or value is pd.NA or not isinstance(value, str) or not value.strip():
        return None
    return " ".join(value.split())


def _listing(values: pd.Series) -> str:
    """``a (12), b (3)``: the distinct values by frequency, at most a few, or NOT_REPORTED."""
    counts = values.dropna().astype(str).value_counts(sort=False)
    if counts.empty:
        return NOT_REPORTED
    counts = counts.sort_index(kind="stable").sort_values(ascending=False, kind="stable")
    shown = [f"{v} ({fmt_int(c)})" for v, c in counts.iloc[:_MAX_LISTED].items()]
    more = len(counts) - _MAX_LISTED
    text = ", ".join(shown) + (f" and {fmt_int(more)} more" if more > 0 else "")
    missing = int(values.isna().sum())
    if missing:
        text += f"; not reported for {_count(missing, 'study')}"
    return f"{fmt_int(len(counts))}: {text}."


def _range(values: pd.Series, unit: str) -> str:
    """``0.6 to 5.0 mm (median 2.5), 10 missing`` or NOT_REPORTED."""
    x = pd.to_numeric(values, errors="coerce").astype("float64").dropna()
    if x.empty:
        return NOT_REPORTED
    text = f"{fmt_number(x.min(), digits=1)} to {fmt_number(x.max(), digits=1)} {unit} (median {fmt_number(x.median(), digits=1)})"
    missing = len(values) - len(x)
    if missing:
        text += f"; not reported for {_count(missing, 'study')}"
    return text + "."


def _findings_order(values: pd.Series) -> list[str]:
    """Finding codes in vocabulary order, then any other code alphabetically."""
    present = set(values.dropna().astype(str))
    return [f for f in FINDINGS if f in present] + sorted(present - set(FINDINGS))


def _split(studies: pd.DataFrame) -> tuple[str, str]:
    """Is there an official train/test split?  Release batches (CQ500's B1 and B2, a ``batch``
    column) are said to be batches, not a split.

    Examples
    --------
    >>> _split(pd.DataFrame({"split": [None, None, None], "batch": ["B1", "B2", "B2"]}))[1]
    'no: the studies come in 2 release batches, not a train/test split: B2 (2), B1 (1).'
    >>> _split(pd.DataFrame({"split": ["train", "test", None]}))[1]
    '2: test (1), train (1); not reported for 1 study.'
    """
    question = "Is there an official train/test split?"
    if studies["split"].notna().any():
        return question, _listing(studies["split"])
    if "batch" in studies.columns and studies["batch"].notna().any():
        batches = studies["batch"].dropna().astype(str).nunique()
        listing = _listing(studies["batch"]).split(": ", 1)[1]
        return question, f"no: the studies come in {fmt_int(batches)} release batches, not a train/test split: {listing}"
    return question, "no split is given."


def _composition(d: str, studies: pd.DataFrame, cohort: Cohort) -> list[tuple[str, str]]:
    tables = {name: t[t["dataset"] == d] for name, t in cohort.tables().items()}
    labels, preds, lesions, images = tables["labels"], tables["predictions"], tables["lesions"], tables["images"]
    out = [("How many studies and patients?",
            f"{_count(len(studies), 'study')} of {_count(studies['patient_id'].nunique(), 'patient')}.")]

    # A slice is a (study, slice) unit: slice numbers repeat in every study.
    slice_units = set()
    for table in (labels[labels["level"] == "slice"], images):
        pairs = table[["study_id", "slice_id"]].dropna()
        slice_units |= set(zip(pairs["study_id"].astype(str), pairs["slice_id"].astype(str), strict=True))
    parts = []
    if slice_units:
        parts.append(f"{fmt_int(len(slice_units))} slices with labels or image files")
    n_slices = pd.to_numeric(studies["n_slices"], errors="coerce").dropna()
    if len(n_slices):
        parts.append(f"{_count(n_slices.sum(), 'slice')} in the series headers of {_count(len(n_slices), 'study')}")
    if not parts and len(images):
        one_each = images["study_id"].nunique() == len(images)
        parts.append(f"{_count(len(images), 'image file')}" + (", one per study" if one_each else ""))
    out.append(("How many slices (images)?", "; ".join(parts) + "." if parts else NOT_REPORTED))

    ages = pd.to_numeric(studies["age_years"], errors="coerce").astype("float64").dropna()
    sex = studies["sex"].dropna().astype(str)
    demo_parts = []
    if len(ages):
        q1, med, q3 = ages.quantile([0.25, 0.5, 0.75])
        demo_parts.append(f"age median {fmt_number(med, digits=0)} years (IQR {fmt_number(q1, digits=0)} to "
                          f"{fmt_number(q3, digits=0)}; {_count(len(ages), 'study')} with an age)")
    if len(sex):
        counts = sex.value_counts().sort_index()
        demo_parts.append("sex " + ", ".join(f"{k} {fmt_int(v)}" for k, v in counts.items()))
    out.append(("What is known about the patients?", "; ".join(demo_parts) + "." if demo_parts else NOT_REPORTED))

    out.append(_split(studies))

    if labels.empty:
        out.append(("Which findings are labelled?", "none: the dataset has no labels."))
    else:
        levels = labels.groupby("finding", observed=True)["level"].agg(lambda s: "/".join(sorted(set(s.astype(str)))))
        items = [f"{f} ({levels[f]})" for f in _findings_order(labels["finding"]) if f in levels.index]
        out.append(("Which findings are labelled?", f"{fmt_int(len(items))}: " + ", ".join(items) + "."))

    cons = labels[(labels["rater"] == "consensus") & (labels["finding"] == "any")]
    study_any = cons[cons["level"] == "study"]
    slice_any = cons[cons["level"] == "slice"]
    if len(study_any):
        k, n = int(study_any["value"].sum()), len(study_any)
        answer = f"{fmt_int(k)} of {fmt_int(n)} studies ({fmt_percent(k / n)}) are positive (consensus label)"
        unlabelled = len(studies) - study_any["study_id"].nunique()
        answer += f"; {_count(unlabelled, 'study')} without this label." if unlabelled > 0 else "."
        if k in (0, n):
            answer += (" Every labelled study is positive: the dataset was selected for hemorrhage, so its "
                       "prevalence describes that selection." if k == n else
                       " No labelled study is positive.")
    elif len(slice_any):
        k, n = int(slice_any["value"].sum()), len(slice_any)
        answer = f"{fmt_int(k)} of {fmt_int(n)} labelled slices ({fmt_percent(k / n)}) are positive (consensus label)."
    else:
        answer = "no consensus label of any hemorrhage."
    out.append(("How common is any intracranial hemorrhage?", answer))

    if preds.empty:
        out.append(("Which models' scores are included?", "none."))
    else:
        parts = []
        for model, group in preds.groupby("model", observed=True, sort=True):
            found = _findings_order(group["finding"])
            parts.append(f"{model} ({_count(len(found), 'finding')}: {', '.join(found)}; {_count(len(group), 'score')})")
        out.append(("Which models' scores are included?", "; ".join(parts) + "."))

    if lesions.empty:
        out.append(("Are lesions segmented?", "no lesion masks."))
    else:
        present = lesions[pd.to_numeric(lesions["volume_ml"], errors="coerce").fillna(0) > 0]
        out.append(("Are lesions segmented?",
                    f"yes: {_count(lesions['study_id'].nunique(), 'study')} with masks, "
                    f"{fmt_int(len(present))} lesions (study x finding) with a volume above 0."))
    return out


def _collection(studies: pd.DataFrame) -> list[tuple[str, str]]:
    out = [(question, _listing(studies[col])) for col, question in _COLLECTION]
    out.append(("Which slice thickness?", _range(studies["slice_thickness_mm"], "mm")))
    out.append(("Which tube voltage?", _range(studies["kvp"], "kVp")))
    if all(answer == NOT_REPORTED for _, answer in out):
        return [("How were the scans acquired?",
                 "not reported: the dataset gives no site, vendor, scanner model, kernel, slice thickness "
                 "or tube voltage.")]
    return out


def _labelling(d: str, adapter: str | None, cohort: Cohort) -> list[tuple[str, str]]:
    all_labels = cohort.tables()["labels"]
    labels = all_labels[all_labels["dataset"] == d]
    if labels.empty:
        return [("Who labelled the data?", "nobody: the dataset has no labels."),
                ("How is the consensus formed?", "no labels."),
                ("At which level are the labels?", "no labels.")]
    raters = sorted(set(labels["rater"].astype(str)) - {"consensus"})
    has_consensus = bool((labels["rater"] == "consensus").any())
    if raters:
        who = f"{_count(len(raters), 'reader')} ({', '.join(raters)})" + (", plus a consensus label" if has_consensus else "")
    else:
        who = "a single consensus label per item; individual readers are not given"
    rule = CONSENSUS_RULES.get(adapter or "", None) if has_consensus else None
    if has_consensus and rule is None:
        rule = "unknown: the loader does not say how the consensus was formed"
    levels = labels.groupby("level", observed=True).size()
    level_text = ", ".join(f"{lvl} ({fmt_int(n)} label rows)" for lvl, n in levels.items() if n)
    return [("Who labelled the data?", who + "."),
            ("How is the consensus formed?", (rule + ".") if rule else "no consensus label."),
            ("At which level are the labels?", level_text + ".")]


def _known_issues(d: str, cohort: Cohort) -> list[tuple[str, str]]:
    all_notes = cohort.tables()["notes"]
    notes = all_notes[all_notes["dataset"] == d]
    if notes.empty:
        return [("Did the loader find problems?", "no: the loader raised no data-quality note.")]
    out = []
    for kind, group in notes.groupby(notes["kind"].astype(str), sort=True):
        n_studies = group["study_id"].dropna().nunique()
        where = f" about {_count(n_studies, 'study')}" if n_studies else ""
        examples = [" ".join(str(x).split()) for x in group["detail"].dropna().astype(str).iloc[:_MAX_EXAMPLES]]
        text = f"{fmt_int(len(group))} note{'s' * (len(group) != 1)}{where}"
        if examples:
            text += "; e.g. " + " | ".join(examples)
        out.append((f"Notes of kind '{kind}'", text + ("" if text.endswith(".") else ".")))
    return out


def dataset_card(cohort: Cohort, manifest: Manifest | None = None) -> pd.DataFrame:
    """Datasheet-style answers about every dataset of ``cohort``.

    Parameters
    ----------
    cohort : Cohort
        The loaded cohort (its tables and ``info``).
    manifest : Manifest, optional
        The manifest it was loaded from; its entries fill the licence, citation,
        source and description where ``cohort.info`` has none.

    Returns
    -------
    pandas.DataFrame
        ``dataset, section, question, answer`` (all text): per dataset, in the order of
        :data:`SECTIONS`, the questions of a datasheet for datasets (Gebru et al. 2021)
        that the data answer: source and description; composition (studies, patients,
        slices, demographics, split, findings, prevalence of any hemorrhage, models,
        lesion masks); collection (sites, vendors, scanner models, kernels, slice
        thickness, tube voltage); labelling (readers, consensus rule, level); known issues
        (the ``notes`` rows of the loader, per kind with counts and examples); licence and
        citation.  What neither the manifest nor the data say is :data:`NOT_REPORTED`;
        synthetic datasets say so first.

    Raises
    ------
    ReportError
        When ``cohort`` is not a Cohort.

    Examples
    --------
    >>> from hemstats.datasets import demo
    >>> card = dataset_card(demo.load(n_studies=40))
    >>> print(card.iloc[0].answer)
    Synthetic data: dataset demo is simulated by hemstats; its numbers describe no real patients.
    """
    from hemstats.cohort import Cohort

    if not isinstance(cohort, Cohort):
        raise ReportError(f"dataset_card: expected a hemstats Cohort, got {type(cohort).__name__}")
    rows: list[tuple[str, str, str, str]] = []
    for d in cohort.datasets:
        info = dict(cohort.info.get(d, {}))
        for key, value in _entry_texts(manifest, d).items():
            if _text(info.get(key)) is None:
                info[key] = value
        adapter = _text(info.get("adapter"))
        generator = _text(info.get("generator"))
        if adapter is None and generator is not None and generator.startswith("hemstats.datasets."):
            adapter = generator.rsplit(".", 1)[1]
        synthetic = bool(info.get("synthetic", False))
        studies = cohort.studies[cohort.studies["dataset"] == d]

        def add(section: str, question: str, answer: str, _d: str = d) -> None:
            rows.append((_d, section, question, answer))

        s = SECTIONS[0]
        add(s, "Is the dataset real or synthetic?",
            synthetic_banner_text([d]) if synthetic else "Real: published data of real patients, not simulated.")
        add(s, "What is it?", _text(info.get("description")) or NOT_REPORTED)
        add(s, "Where does it come from?", _text(info.get("source")) or NOT_REPORTED)
        add(s, "Which hemstats adapter reads it?",
            f"adapter {adapter} of hemstats.datasets" if adapter else "adapter not recorded")
        for question, answer in _composition(d, studies, cohort):
            add(SECTIONS[1], question, answer)
        for question, answer in _collection(studies):
            add(SECTIONS[2], question, answer)
        for question, answer in _labelling(d, adapter, cohort):
            add(SECTIONS[3], question, answer)
        for question, answer in _known_issues(d, cohort):
            add(SECTIONS[4], question, answer)
        add(SECTIONS[5], "Under which licence?", _text(info.get("licence")) or NOT_REPORTED)
        add(SECTIONS[5], "How to cite it?", _text(info.get("citation")) or NOT_REPORTED)
    return pd.DataFrame(rows, columns=list(CARD_COLUMNS))
