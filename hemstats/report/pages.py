"""The tables behind the Overview and Provenance pages (plain numbers, no formatting),
and the HTML blocks that show their manifest texts (escaped by :func:`~hemstats.report.format.html_text`).

Examples
--------
>>> from hemstats.datasets import demo
>>> cohort = demo.load(n_studies=40)
>>> datasets_table(cohort)[["dataset", "synthetic", "studies"]].to_dict("records")
[{'dataset': 'demo', 'synthetic': True, 'studies': 40}]
>>> int(counts_wide(cohort.counts()).loc["demo", "studies"])
40
"""

from __future__ import annotations

import platform
from collections.abc import Iterable
from importlib import metadata

import pandas as pd

from hemstats.cohort import TABLE_NAMES, Cohort
from hemstats.findings import DATASET_FINDINGS, DESCRIPTIONS, FINDINGS
from hemstats.report.display import display_name
from hemstats.report.format import fmt_int, fmt_percent, html_link, html_text

__all__ = [
    "KEY_PACKAGES",
    "datasets_table",
    "counts_wide",
    "findings_table",
    "versions_table",
    "fingerprints_table",
    "MISSING_LABEL_SHARE",
    "NOTE_WARNINGS",
    "CHAPTER_TITLES",
    "data_warnings",
    "data_warnings_html",
    "datasets_html",
]

#: A finding's study-level labels are flagged when more than this share of a dataset's studies lack one.
MISSING_LABEL_SHARE = 0.1
#: Loader note kinds that change how the numbers should be read: kind -> (chapter, what it means).
NOTE_WARNINGS: dict[str, tuple[str, str]] = {
    "label_disagreement": ("dataset_card", "the dataset's tables disagree on a label"),
    "batch_disagreement": ("agreement", "the readers' label batches disagree"),
    "derived_label": ("prevalence", "labels derived by hemstats, not read from the dataset"),
    "derived_labels": ("prevalence", "labels derived by hemstats (from masks), not read from the dataset"),
    "no_majority": ("agreement", "no majority among the readers: no consensus label there"),
    "blank_flags": ("prevalence", "how blank label cells were read"),
    "registry_vs_dicom": ("acquisition", "the registry and the DICOM headers disagree"),
    "registry_inconsistent": ("dataset_card", "the registry contradicts itself"),
    "out_of_range": ("cohort", "values outside a physical range, read as missing"),
    "dicom_value_missing": ("acquisition", "DICOM header values outside a physical range or unreadable, read as missing"),
    "dicom_failure": ("acquisition", "DICOM files that could not be read"),
    "unreadable_dicom": ("acquisition", "DICOM files that could not be read"),
}
_WARNING_COLUMNS = ["dataset", "kind", "finding", "n", "n_studies", "share", "message", "chapter"]
#: The title of each chapter page, as the warnings box links to it.
CHAPTER_TITLES: dict[str, str] = {
    "overview": "Overview",
    "cohort": "Cohort",
    "prevalence": "Prevalence",
    "agreement": "Reader agreement",
    "acquisition": "Acquisition",
    "performance": "Model performance",
    "methods": "Methods",
    "dataset_card": "Dataset cards",
    "provenance": "Provenance",
}

#: Distributions whose versions the Provenance page lists (after Python).
KEY_PACKAGES: tuple[str, ...] = (
    "hemstats",
    "numpy",
    "pandas",
    "scipy",
    "statsmodels",
    "matplotlib",
    "pyarrow",
    "pydicom",
    "nibabel",
    "jupyter-book",
    "sphinx",
    "myst-nb",
)


def datasets_table(cohort: Cohort) -> pd.DataFrame:
    """One row per dataset: what it is and where it comes from.

    Returns
    -------
    pandas.DataFrame
        ``dataset, adapter, synthetic, studies, patients, licence, citation, source``;
        text missing from the dataset's ``info`` is missing.
    """
    rows = []
    studies = cohort.studies
    for d in cohort.datasets:
        info = cohort.info.get(d, {})
        mine = studies[studies["dataset"] == d]
        rows.append(
            {
                "dataset": d,
                "adapter": info.get("adapter", pd.NA),
                "synthetic": bool(info.get("synthetic", False)),
                "studies": len(mine),
                "patients": int(mine["patient_id"].nunique()),
                "licence": info.get("licence", pd.NA),
                "citation": info.get("citation", pd.NA),
                "source": info.get("source", pd.NA),
            }
        )
    cols = ["dataset", "adapter", "synthetic", "studies", "patients", "licence", "citation", "source"]
    out = pd.DataFrame(rows, columns=cols)
    return out.astype({"studies": "int64", "patients": "int64", "synthetic": "bool"})


def counts_wide(counts: pd.DataFrame) -> pd.DataFrame:
    """:meth:`Cohort.counts <hemstats.Cohort.counts>` as datasets x tables, with a total row.

    Returns
    -------
    pandas.DataFrame
        Index: dataset (plus ``total`` when there are several); one int column per table.
    """
    wide = counts.pivot(index="dataset", columns="table", values="rows")
    wide = wide.reindex(columns=[t for t in TABLE_NAMES if t in wide.columns])
    wide = wide.reindex(pd.unique(counts["dataset"])).astype("int64")
    wide.columns.name = None
    if len(wide) > 1:
        wide.loc["total"] = wide.sum()
    return wide


def findings_table(cohort: Cohort) -> pd.DataFrame:
    """The finding vocabulary as the cohort uses it.

    Returns
    -------
    pandas.DataFrame
        One row per finding code labelled in the cohort, in vocabulary order:
        ``finding, description``, then per dataset the labels (column names or mask
        values) its adapter maps onto the code, ``;``-separated (missing when none).
    """
    tables = cohort.tables()
    used = set(tables["labels"]["finding"].astype(object).dropna()) | set(
        tables["predictions"]["finding"].astype(object).dropna()
    )
    rows = []
    for code in FINDINGS:
        if code not in used:
            continue
        row = {"finding": code, "description": DESCRIPTIONS[code]}
        for d in cohort.datasets:
            adapter = cohort.info.get(d, {}).get("adapter", d)
            mapping = DATASET_FINDINGS.get(adapter, {})
            labels = [str(k) for k, v in mapping.items() if v == code]
            row[d] = "; ".join(labels) if labels else pd.NA
        rows.append(row)
    return pd.DataFrame(rows, columns=["finding", "description", *cohort.datasets])


def versions_table(packages: Iterable[str] = KEY_PACKAGES) -> pd.DataFrame:
    """Python and the installed versions of ``packages`` (missing when not installed).

    Returns
    -------
    pandas.DataFrame
        ``package, version``; the first row is Python.
    """
    rows = [("python", platform.python_version())]
    for name in packages:
        try:
            rows.append((name, metadata.version(name)))
        except metadata.PackageNotFoundError:
            rows.append((name, pd.NA))
    return pd.DataFrame(rows, columns=["package", "version"])


def fingerprints_table(cohort: Cohort) -> pd.DataFrame:
    """Per dataset: the loader's fingerprint of its source and the SHA-256 of its tables.

    Returns
    -------
    pandas.DataFrame
        ``dataset, source_fingerprint, tables_fingerprint``: ``source_fingerprint`` is
        ``cohort.info[dataset]["fingerprint"]`` (missing when the loader gave none),
        ``tables_fingerprint`` is :meth:`Cohort.fingerprint <hemstats.Cohort.fingerprint>`.
    """
    rows = [
        (d, cohort.info.get(d, {}).get("fingerprint", pd.NA), cohort.fingerprint(d)) for d in cohort.datasets
    ]
    return pd.DataFrame(rows, columns=["dataset", "source_fingerprint", "tables_fingerprint"])


def data_warnings(cohort: Cohort) -> pd.DataFrame:
    """What a reader must know before reading the numbers: missing labels and telling loader notes.

    Per dataset, first a row when every consensus label of any hemorrhage is positive (or every
    one negative), then one row per finding where more than :data:`MISSING_LABEL_SHARE` of the
    dataset's studies have no study-level label of a finding the dataset labels per
    study (the consensus label when the dataset has one for it, else any reader's),
    and one row per (dataset, note kind) for the loader notes of :data:`NOTE_WARNINGS`.

    Returns
    -------
    pandas.DataFrame
        ``dataset, kind, finding, n, n_studies, share, message, chapter``: ``kind`` is
        ``missing_label`` or the note kind; ``n`` the studies without a label (or the
        notes), ``n_studies`` the dataset's studies, ``share = n / n_studies`` (missing
        for notes); ``message`` a plain-text sentence; ``chapter`` the page to read next.

    Examples
    --------
    >>> from hemstats.datasets import demo
    >>> cohort = demo.load(n_studies=40)
    >>> data_warnings(cohort).empty
    True
    """
    rows: list[dict[str, object]] = []
    tables = cohort.tables()
    studies, labels, notes = tables["studies"], tables["labels"], tables["notes"]
    for d in cohort.datasets:
        ids = set(studies.loc[studies["dataset"] == d, "study_id"].astype(str))
        n_studies = len(ids)
        rows += _one_class_rows(d, labels, n_studies)
        mine = labels[(labels["dataset"] == d) & (labels["level"] == "study")]
        mine = mine.assign(finding=mine["finding"].astype(str), rater=mine["rater"].astype(str))
        for finding in [f for f in FINDINGS if f in set(mine["finding"])] + sorted(set(mine["finding"]) - set(FINDINGS)):
            rows_f = mine[mine["finding"] == finding]
            consensus = rows_f[rows_f["rater"] == "consensus"]
            source = consensus if len(consensus) else rows_f
            labelled = set(source.loc[source["value"].notna(), "study_id"].astype(str)) & ids
            n = n_studies - len(labelled)
            if n_studies and n / n_studies > MISSING_LABEL_SHARE:
                who = "consensus" if len(consensus) else "reader"
                rows.append({
                    "dataset": d, "kind": "missing_label", "finding": finding, "n": n, "n_studies": n_studies,
                    "share": n / n_studies, "chapter": "prevalence",
                    "message": f"{fmt_int(n)} of {fmt_int(n_studies)} studies ({fmt_percent(n / n_studies)}) have "
                    f"no study-level {who} label of {display_name(finding)}: they are left out of its statistics, "
                    "not counted as negative.",
                })
        mine_notes = notes[notes["dataset"] == d]
        kinds = mine_notes["kind"].astype(str)
        for kind, (chapter, meaning) in NOTE_WARNINGS.items():
            group = mine_notes[kinds == kind]
            if group.empty:
                continue
            n_about = group["study_id"].dropna().nunique()
            text = f"{meaning}: {fmt_int(len(group))} note{'s' * (len(group) != 1)}"
            text += f" about {fmt_int(n_about)} stud{'ies' if n_about != 1 else 'y'}" if n_about else ""
            if len(group) == 1 and isinstance(group["detail"].iloc[0], str):
                text += f" ({' '.join(group['detail'].iloc[0].split())})"
            rows.append({
                "dataset": d, "kind": kind, "finding": pd.NA, "n": len(group), "n_studies": n_studies,
                "share": float("nan"), "chapter": chapter, "message": text + ".",
            })
    out = pd.DataFrame(rows, columns=_WARNING_COLUMNS)
    return out.astype({"n": "int64", "n_studies": "int64", "share": "float64"})


def _one_class_rows(dataset: str, labels: pd.DataFrame, n_studies: int) -> list[dict[str, object]]:
    """A warning when every consensus label of any hemorrhage of ``dataset`` is positive (or every one negative).

    Study-level labels, or slice-level ones where the dataset has no study-level label of ``any``.
    """
    mine = labels[(labels["dataset"] == dataset) & (labels["rater"].astype(str) == "consensus")
                  & (labels["finding"].astype(str) == "any")]
    for level, unit in (("study", "studies"), ("slice", "slices")):
        values = pd.to_numeric(mine.loc[mine["level"].astype(str) == level, "value"], errors="coerce").dropna()
        if values.empty:
            continue
        if values.nunique() > 1:
            return []
        positive = bool(values.iloc[0] == 1)
        share = "100%" if positive else "0%"
        meaning = ("the dataset was selected for hemorrhage: its prevalence describes that selection, not a "
                   "population, and specificity or an AUC cannot be estimated on it alone" if positive else
                   "no positive case: sensitivity or an AUC cannot be estimated on it")
        return [{
            "dataset": dataset, "kind": "all_positive" if positive else "all_negative", "finding": "any",
            "n": len(values), "n_studies": n_studies, "share": 1.0 if positive else 0.0, "chapter": "prevalence",
            "message": f"all {fmt_int(len(values))} labelled {unit} are {'positive' if positive else 'negative'} "
            f"for any hemorrhage ({share} prevalence): {meaning}.",
        }]
    return []


def data_warnings_html(
    warnings: pd.DataFrame, *, title: str = "Data warnings",
    intro: str = "Read the numbers of these datasets with the following in mind.",
) -> str:
    """The Overview's data-warnings box for :func:`data_warnings` ('' when there is none).

    Every text is escaped; each entry links to its chapter's page (to the section named by an
    ``anchor`` column, where the table has one).

    Examples
    --------
    >>> w = pd.DataFrame([{"dataset": "x<y", "kind": "missing_label", "finding": "sdh", "n": 5,
    ...                    "n_studies": 10, "share": 0.5, "message": "<b>5</b> missing", "chapter": "prevalence"}])
    >>> print(data_warnings_html(w))  # doctest: +ELLIPSIS
    <div class="admonition warning hemstats-data-warnings">...<li><strong>x&lt;y</strong>, Subdural (SDH): &lt;b&gt;5&lt;/b&gt; missing (<a href="prevalence.html">Prevalence</a>)</li>...
    """
    if warnings.empty:
        return ""
    items = []
    for row in warnings.to_dict("records"):
        kind = str(row["kind"])
        what = row["finding"] if kind in ("missing_label", "all_positive", "all_negative") else kind
        what = (display_name(what) if kind != "interval_note" and what in FINDINGS else what.replace("_", " ")) \
            if isinstance(what, str) else what
        chapter = str(row["chapter"])
        anchor = row.get("anchor")
        href = f"{chapter}.html" + (f"#{anchor}" if isinstance(anchor, str) and anchor else "")
        items.append(
            f"<li><strong>{html_text(row['dataset'])}</strong>, {html_text(what)}: {html_text(row['message'])} "
            f'(<a href="{html_text(href)}">{html_text(CHAPTER_TITLES.get(chapter, chapter))}</a>)</li>'
        )
    return (
        '<div class="admonition warning hemstats-data-warnings">'
        f'<p class="admonition-title">{html_text(title)}</p><p>{html_text(intro)}</p>'
        f"<ul>{''.join(items)}</ul></div>"
    )


def datasets_html(cohort: Cohort) -> str:
    """Each dataset's description, licence, citation and source as the manifest gives them, escaped.

    A source that is a plain ``http(s)://`` URL becomes a link; no text is ever read as
    Markdown or HTML.

    Examples
    --------
    >>> from hemstats.datasets import demo
    >>> "<strong>demo</strong> (synthetic)" in datasets_html(demo.load(n_studies=40))
    True
    """
    table = datasets_table(cohort)
    parts = []
    for row in table.itertuples(index=False):
        info = cohort.info.get(row.dataset, {})
        parts.append(f"<p><strong>{html_text(row.dataset)}</strong>{' (synthetic)' if row.synthetic else ''}</p>")
        description = info.get("description")
        if isinstance(description, str) and description.strip():
            parts.append(f"<p>{html_text(' '.join(description.split()))}</p>")
        items = []
        for label, value in (("Licence", row.licence), ("Citation", row.citation), ("Source", row.source)):
            if isinstance(value, str) and value.strip():
                shown = html_link(value.strip()) if label == "Source" else html_text(" ".join(value.split()))
            else:
                shown = "not given in the manifest"
            items.append(f"<li>{label}: {shown}</li>")
        parts.append(f"<ul>{''.join(items)}</ul>")
    return f'<div class="hemstats-datasets">{"".join(parts)}</div>'
