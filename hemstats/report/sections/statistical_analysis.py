"""The Methods page's "Statistical analysis" text: what the report computed, in words a paper can reuse.

:func:`paragraphs` writes, from the chapters' own tables (:func:`hemstats.report.sections.key_results.chapter_tables`)
and the cohort, which statistics were estimated with which intervals, how resampling was done
(number of resamples, clustering by patient, stratification), the seed, the multiplicity
control, the confidence level and the software versions.  Every reference is an entry of the
BibTeX file shipped with hemstats (:data:`BIB_FILE`), cited in the text as (Author Year);
:func:`save_references` copies that file beside the report's tables for download, and
:func:`how_to_cite` says how to cite hemstats (the text of ``CITATION.cff``).

Examples
--------
>>> from hemstats.datasets import demo
>>> from hemstats.report.sections import Settings
>>> settings = Settings(demo.load(n_studies=60, seed=1), n_resamples=50, seed=3)
>>> text = paragraphs(settings)
>>> [p.heading for p in text][:3]
['Prevalence', 'Reader agreement', 'Model performance']
>>> "[@wilson1927]" in " ".join(p.text for p in text), "50 resamples" in text[-3].text
(True, True)
>>> print(plain_text(text[-1:]))  # doctest: +ELLIPSIS
Software. Analyses were run with hemstats ... (The hemstats developers 2026) in Python ...
<BLANKLINE>
References
<BLANKLINE>
...
>>> cite("delong1988", "sun2014")
'(DeLong et al. 1988; Sun and Xu 2014)'
"""

from __future__ import annotations

import functools
import os
import platform
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import metadata, resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from hemstats.errors import ReportError
from hemstats.report.format import fmt_int, html_text
from hemstats.report.sections import SectionInputs
from hemstats.report.sections import acquisition as acquisition_tables
from hemstats.report.sections import performance as performance_tables
from hemstats.report.sections.key_results import ChapterTables, chapter_tables

if TYPE_CHECKING:
    from hemstats.report.context import ReportContext

__all__ = [
    "BIB_FILE",
    "BIB_DOWNLOAD",
    "HOW_TO_CITE",
    "SOFTWARE",
    "Paragraph",
    "bibliography",
    "cite",
    "describe_method",
    "paragraphs",
    "plain_text",
    "cited_keys",
    "references",
    "how_to_cite",
    "save_references",
    "references_url",
    "save_text",
    "text_url",
    "TEXT_DOWNLOAD",
    "statistical_analysis_html",
]

#: The BibTeX file of every reference the text cites (package data of :mod:`hemstats.report`).
BIB_FILE = "references.bib"
#: Its name beside the report's tables.
BIB_DOWNLOAD = "hemstats_references.bib"
#: The name of the plain text of the section (:func:`plain_text`) beside the report's tables.
TEXT_DOWNLOAD = "hemstats_statistical_analysis.txt"
#: How hemstats asks to be cited: the ``message`` of ``CITATION.cff``.
HOW_TO_CITE = (
    "If you use hemstats in a publication, please cite it as below, together with the datasets you analysed "
    "(each dataset's citation is on the report's Provenance page)."
)
#: Packages named in the software sentence, with their BibTeX keys (None: cited as hemstats itself).
SOFTWARE: tuple[tuple[str, str, str], ...] = (
    ("hemstats", "hemstats", "hemstats"),
    ("numpy", "NumPy", "harris2020"),
    ("scipy", "SciPy", "virtanen2020"),
    ("statsmodels", "statsmodels", "seabold2010"),
    ("pandas", "pandas", "mckinney2010"),
)
_CITE = re.compile(r"\[@([A-Za-z0-9_:-]+(?:;\s*@[A-Za-z0-9_:-]+)*)\]")
_STATISTICS = {
    "prevalence": "prevalence",
    "cohen_kappa": "Cohen's kappa",
    "pabak": "the prevalence- and bias-adjusted kappa",
    "gwet_ac1": "Gwet's AC1",
    "fleiss_kappa": "Fleiss' kappa",
    "krippendorff_alpha": "Krippendorff's alpha",
    "auc": "the area under the ROC curve",
    "cramers-v": "Cramer's V",
}
_METHODS = {
    "wilson": ("the Wilson score interval", "[@wilson1927]"),
    "clopper-pearson": ("the exact Clopper-Pearson interval", "[@clopper1934]"),
    "jeffreys": ("the Jeffreys interval", ""),
    "agresti-coull": ("the Agresti-Coull interval", ""),
    "cluster-logit": ("a logit interval with a cluster-robust (Taylor linearisation) variance, clustering by patient",
                      "[@lumley2004]"),
    "cluster-wald": ("a Wald interval with a cluster-robust variance, clustering by patient", "[@lumley2004]"),
    "cluster-robust-korn-graubard": ("the Korn-Graubard interval on the effective sample size, clustering by patient",
                                     "[@korn1998]"),
    "delong": ("the DeLong interval", "[@delong1988; @sun2014]"),
    "fleiss-cohen-everitt-1969": ("the large-sample variance of Fleiss, Cohen and Everitt", "[@fleiss1969]"),
    "gwet-2014": ("Gwet's linearised variance with a t quantile", "[@gwet2014]"),
    "gwet-2008": ("Gwet's variance", "[@gwet2008]"),
    "fleiss-nee-landis-1979": ("the Fleiss-Nee-Landis variance (valid under no agreement beyond chance only)",
                               "[@fleiss1979]"),
    "cluster-robust-linearised": ("a cluster-robust (sandwich) variance of the linearised coefficient with a t "
                                  "quantile, clustering by patient", "[@gwet2014]"),
    "clopper-pearson-transformed": ("the exact interval of the observed agreement, transformed", "[@clopper1934]"),
    "noncentral-chi-squared": ("the interval of the noncentral chi-squared distribution", "[@smithson2003]"),
    "newcombe": ("Newcombe's hybrid score interval", "[@newcombe1998]"),
}
_BOOTSTRAP_KINDS = {"percentile": "percentile", "basic": "basic", "bca": "bias-corrected and accelerated (BCa)"}


@dataclass(frozen=True)
class Paragraph:
    """One paragraph of the text: a heading and plain text whose citations read (Author Year)."""

    heading: str
    text: str


# ---------------------------------------------------------------------------------------------
# References
# ---------------------------------------------------------------------------------------------
def bib_text() -> str:
    """The text of the shipped BibTeX file."""
    return resources.files("hemstats.report").joinpath(BIB_FILE).read_text(encoding="utf-8")


@functools.cache
def bibliography() -> Any:
    """The shipped references as a :class:`pybtex.database.BibliographyData`."""
    from pybtex.database import parse_string

    return parse_string(bib_text(), "bibtex")


def _surname(person: Any) -> str:
    name = " ".join(person.last_names) or " ".join(person.first_names)
    return name.replace("{", "").replace("}", "")


def _short(key: str) -> str:
    """``Author Year``, ``A and B Year`` or ``A et al. Year`` of entry ``key``."""
    entries = bibliography().entries
    if key not in entries:
        raise ReportError(f"reference {key!r} is not in hemstats/report/{BIB_FILE}")
    entry = entries[key]
    authors = [p for p in entry.persons.get("author", []) if _surname(p) != "others"]
    names = [_surname(p) for p in authors]
    many = len(entry.persons.get("author", [])) > 2
    who = names[0] + " et al." if many else " and ".join(names)
    return f"{who} {entry.fields.get('year', 'n.d.')}"


def cite(*keys: str) -> str:
    """``(Author Year; Author Year)`` of the BibTeX ``keys``.

    Raises
    ------
    ReportError
        When a key is not in the shipped file.
    """
    return "(" + "; ".join(_short(k) for k in keys) + ")"


def _render(text: str) -> str:
    """``text`` with its ``[@key; @key]`` markers as (Author Year) citations."""
    return _CITE.sub(lambda m: cite(*[k.strip().lstrip("@") for k in m.group(1).split(";")]), text)


def cited_keys(texts: Iterable[str]) -> list[str]:
    """The BibTeX keys cited by ``[@key]`` markers in ``texts``, in order of first citation."""
    keys: list[str] = []
    for text in texts:
        for m in _CITE.finditer(text):
            keys += [k.strip().lstrip("@") for k in m.group(1).split(";")]
    return list(dict.fromkeys(keys))


def references(keys: Sequence[str]) -> list[str]:
    """The reference list entries of ``keys`` as plain text (pybtex's plain style), sorted as that style sorts."""
    from pybtex.database import BibliographyData
    from pybtex.plugin import find_plugin

    bib = bibliography()
    data = BibliographyData(entries={k: bib.entries[k] for k in keys})
    style = find_plugin("pybtex.style.formatting", "plain")()
    return [e.text.render_as("text") for e in style.format_entries(data.entries.values())]


# ---------------------------------------------------------------------------------------------
# The text
# ---------------------------------------------------------------------------------------------
def describe_method(code: str) -> str:
    """The interval named by a ``method`` code, in words, with its ``[@key]`` citation markers.

    Examples
    --------
    >>> describe_method("stratified-cluster-bootstrap-percentile")
    'a percentile bootstrap interval resampling whole patients within each class [@efron1993; @davison1997]'
    >>> describe_method("wilson")
    'the Wilson score interval [@wilson1927]'
    """
    code = str(code)
    if code in _METHODS:
        words, ref = _METHODS[code]
        return f"{words} {ref}".strip()
    if "bootstrap" in code:
        kind = next((v for k, v in _BOOTSTRAP_KINDS.items() if code.endswith(k)), "percentile")
        how = " resampling whole patients" if "cluster" in code else " resampling studies"
        if code.startswith("stratified"):
            how += " within each class"
        refs = "[@efron1993; @davison1997]" if "cluster" in code else "[@efron1993]"
        return f"a {kind} bootstrap interval{how} {refs}"
    return "the interval " + code.replace("-", " ")


def _intervals(table: pd.DataFrame | None) -> str:
    """The intervals of the (metric, method) pairs of ``table`` in words: per statistic where they
    differ (``for <statistic>, <interval>; ...``), a bootstrap every statistic shares said once."""
    if table is None or table.empty:
        return ""
    pairs = table[["metric", "method"]].dropna().astype(str).drop_duplicates()
    pairs = pairs[pairs["method"] != "none"]
    groups = [(str(m), list(dict.fromkeys(g["method"]))) for m, g in pairs.groupby("metric", sort=False)]
    if not groups:
        return ""
    shared = [c for c in groups[0][1] if "bootstrap" in c and all(c in methods for _, methods in groups)]
    by_interval: dict[str, list[str]] = {}
    for metric, methods in groups:
        own = " or ".join(describe_method(c) for c in methods if c not in shared)
        if own:
            by_interval.setdefault(own, []).append(_STATISTICS.get(metric, metric.replace("_", " ").replace("-", " ")))
    parts = [own if len(groups) == 1 else f"for {_and(names)}, {own}" for own, names in by_interval.items()]
    text = "; ".join(parts) + "." if parts else ""
    if shared:
        both = " or ".join(describe_method(c) for c in shared)
        text += (f" Each also carried {both}." if parts else f"{both[0].upper()}{both[1:]}.")
    return text.strip()


def _and(names: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "(not installed)"


def _acquisition_parts(ctx: SectionInputs, tables: ChapterTables) -> list[str]:
    if tables.associations is None or tables.associations.empty:
        return []
    out = [
        "The association of each acquisition variable (vendor, scanner model, kernel family, slice thickness, tube "
        "voltage) with each finding was tested with Pearson's chi-squared test, or Fisher's exact test for a 2 x 2 "
        "table with an expected count below 5, and measured by Cramer's V with the interval of the noncentral "
        "chi-squared distribution [@smithson2003]; these treat studies as independent. A logistic generalised "
        "estimating equation of each finding on vendor, kernel family, slice thickness, tube voltage, age and sex "
        "(exchangeable working correlation, robust standard errors, clustering by patient) gave adjusted odds "
        "ratios with Wald intervals [@liang1986]."
    ]
    acq = acquisition_tables.acquisition_cohort(ctx)
    if acq is not None and acquisition_tables.model_findings(acq):
        out.append(
            "Model performance was estimated per kernel family (the area under the ROC curve with the DeLong "
            "variance for clustered data [@obuchowski1997]; sensitivity and specificity at a score of 0.5 by a "
            "bootstrap of patients); equal areas across families were tested by a Wald test on their clustered "
            "covariance, and a dependence of the calls' correctness on the family by a Wald test of a logistic "
            "generalised estimating equation [@liang1986]. Strata with fewer than five cases or controls, or fewer "
            "than ten patients, were left out of these tests."
        )
    return out


def _performance_parts(ctx: SectionInputs, tables: ChapterTables) -> list[str]:
    if tables.auc.empty:
        return []
    out = [
        "Discrimination was measured per dataset, finding and model by the area under the ROC curve against the "
        "consensus label, a higher score meaning a more likely positive study. Intervals: "
        + _lower(_intervals(tables.auc))
        + " The average precision carried a percentile bootstrap interval resampling the studies as they were "
        "sampled [@efron1993]."
    ]
    if performance_tables.has_pairs(ctx):
        out.append("Two models scoring the same studies were compared by the paired difference of their areas with "
                   "DeLong's test and interval [@delong1988].")
    out.append(
        "At a score threshold of 0.5 and at the highest threshold reaching 90% sensitivity, a study was called "
        "positive when its score was at least the threshold; sensitivity and specificity carried bootstrap "
        "intervals resampling within each class, and the predictive values, accuracy and F1 bootstrap intervals "
        "resampling the cohort as it was sampled [@efron1993]."
    )
    if _has_probabilities(ctx):
        out.append("For models whose scores are probabilities, calibration was summarised by the Brier score "
                   "[@brier1950] with a bootstrap interval and by the intercept and slope of a logistic "
                   "recalibration on the logit of the score [@cox1958], with Wald intervals.")
    return out


def _has_probabilities(ctx: SectionInputs) -> bool:
    preds = ctx.cohort.tables()["predictions"]
    preds = preds[preds["level"].astype(object) == "study"]
    if preds.empty:
        return False
    score = preds["score"].astype(float)
    inside = ((score >= 0) & (score <= 1)).groupby([preds["dataset"], preds["model"]], observed=True).all()
    return bool(inside.any())


def _clustered(ctx: SectionInputs) -> bool:
    """Does some patient contribute several studies, or does some dataset label slices?"""
    tables = ctx.cohort.tables()
    studies = tables["studies"]
    several = studies.groupby("dataset", observed=True)["patient_id"].nunique() < studies.groupby(
        "dataset", observed=True)["study_id"].nunique()
    return bool(several.any()) or bool((tables["labels"]["level"].astype(object) == "slice").any())


def paragraphs(ctx: SectionInputs, tables: ChapterTables | None = None) -> list[Paragraph]:
    """The "Statistical analysis" text, one :class:`Paragraph` per analysis the report computed.

    Parameters
    ----------
    ctx : SectionInputs
        The build's settings.
    tables : ChapterTables, optional
        The chapters' tables (default :func:`~hemstats.report.sections.key_results.chapter_tables`);
        their ``method`` columns name the intervals the text describes.

    Returns
    -------
    list of Paragraph
        Prevalence, reader agreement, model performance and acquisition (each where the
        report has it), then resampling, multiplicity and confidence level, and software.
        Citations are written as ``[@key]`` markers; :func:`statistical_analysis_html` and
        :func:`plain_text` render them as (Author Year).
    """
    t = tables if tables is not None else chapter_tables(ctx)
    level = fmt_int(100 * ctx.confidence_level)
    out: list[Paragraph] = []
    if t.prevalence is not None and not t.prevalence.empty:
        text = ("The prevalence of each finding in each dataset was the share of its studies whose consensus label "
                "was positive; a study without a label of a finding was left out of that finding, not counted as "
                "negative. Intervals: " + _lower(_intervals(t.prevalence)))
        if t.prevalence["dataset"].nunique() > 1:
            text += (" Prevalences were compared across datasets by Pearson's chi-squared test (Fisher's exact test "
                     "when an expected count was below 5), and each pair of datasets by the difference in prevalence "
                     "with Newcombe's hybrid score interval [@newcombe1998].")
        out.append(Paragraph("Prevalence", text))
    if t.agreement is not None and not t.agreement.empty:
        text = ("Agreement between readers was measured per finding: for each pair of readers by Cohen's kappa "
                "[@cohen1960], the prevalence- and bias-adjusted kappa [@byrt1993] and Gwet's AC1 [@gwet2008]; for "
                "all readers together by Fleiss' kappa [@fleiss1971], Gwet's AC1 and Krippendorff's alpha "
                "[@hayes2007]. Pairwise coefficients used the studies both readers read, Fleiss' kappa and AC1 the "
                "studies every reader read, and alpha every study with at least two reads. Intervals: "
                + _lower(_intervals(t.agreement))
                + " Each reader was also compared with the consensus label by sensitivity and specificity with "
                "Wilson score intervals [@wilson1927]; a consensus formed from the same readers flatters them.")
        out.append(Paragraph("Reader agreement", text))
    perf = _performance_parts(ctx, t)
    if perf:
        out.append(Paragraph("Model performance", " ".join(perf)))
    acq = _acquisition_parts(ctx, t)
    if acq:
        out.append(Paragraph("Acquisition", " ".join(acq)))

    resampling = (f"Bootstrap intervals used {fmt_int(ctx.n_resamples)} resamples [@efron1993]; resamples in which "
                  "a statistic was undefined were left out and counted. ")
    if _clustered(ctx):
        resampling += ("Because the studies (or slices) of one patient are correlated, the intervals of such units "
                       "were clustered by patient: bootstrap resamples drew whole patients with all their units "
                       "[@davison1997] and analytic intervals used cluster-robust variances"
                       + (" (the acquisition association tests, which treat studies as independent, are the "
                          "exception)" if t.associations is not None and not t.associations.empty else "") + ". ")
    resampling += (f"Every random step drew from its own generator, seeded by the report's seed ({ctx.seed}) and the "
                   "name of its table, so each number can be reproduced exactly and does not depend on the other "
                   "analyses.")
    out.append(Paragraph("Resampling and reproducibility", resampling))
    families = []
    if t.prevalence is not None and t.prevalence["dataset"].nunique() > 1:
        families.append("the prevalence tests across datasets, overall and pairwise")
    if t.associations is not None and not t.associations.empty:
        families.append("the acquisition effects across findings")
        acq_cohort = acquisition_tables.acquisition_cohort(ctx)
        if acq_cohort is not None and acquisition_tables.model_findings(acq_cohort):
            families.append("the per-kernel performance tests across findings and models")
    multiplicity = f"All intervals are two-sided {level}% confidence intervals. "
    if families:
        multiplicity += ("p values were adjusted for multiple comparisons with Holm's method [@holm1979] within each "
                         "family: " + "; ".join(families) + "; other p values are not adjusted.")
    else:
        multiplicity += "No analysis of this report made several comparisons of one family; p values are not adjusted."
    out.append(Paragraph("Multiplicity and confidence level", multiplicity))
    versions = [f"{label} {_version(pkg)} [@{key}]" for pkg, label, key in SOFTWARE]
    out.append(Paragraph("Software", (
        f"Analyses were run with {versions[0]} in Python {platform.python_version()}, using "
        + ", ".join(versions[1:-1]) + f" and {versions[-1]}.")))
    return out


def _lower(text: str) -> str:
    return text[:1].lower() + text[1:] if text else "not computed."


def plain_text(parts: Sequence[Paragraph]) -> str:
    """The text to paste into a paper: headings and paragraphs, citations as (Author Year), references last."""
    body = [f"{p.heading}. {_render(p.text)}" for p in parts]
    refs = references(cited_keys(p.text for p in parts))
    return "\n\n".join(body) + "\n\nReferences\n\n" + "\n".join(refs) + "\n"


def how_to_cite() -> str:
    """How to cite hemstats: the message of ``CITATION.cff`` and the reference of the shipped BibTeX entry."""
    return f"{HOW_TO_CITE} {references(['hemstats'])[0]}"


# ---------------------------------------------------------------------------------------------
# The page
# ---------------------------------------------------------------------------------------------
def save_references(context: ReportContext | None = None) -> Path:
    """Write the shipped BibTeX file as ``<html>/tables/`` :data:`BIB_DOWNLOAD` (rewritten only when it changes)."""
    return _write(bib_text(), BIB_DOWNLOAD, context)


def save_text(parts: Sequence[Paragraph], context: ReportContext | None = None) -> Path:
    """Write :func:`plain_text` of ``parts`` as ``<html>/tables/`` :data:`TEXT_DOWNLOAD` (rewritten only when it changes)."""
    return _write(plain_text(parts), TEXT_DOWNLOAD, context)


def _write(text: str, name: str, context: ReportContext | None) -> Path:
    from hemstats.report.chapter import save_download

    return save_download(text, name, context=context)


def references_url(context: ReportContext | None = None, cwd: str | os.PathLike[str] | None = None) -> str:
    """The link from the page being executed to :func:`save_references`' file (as :func:`~hemstats.report.table_url`)."""
    from hemstats.report.chapter import table_url

    csv = table_url("x", context=context, cwd=cwd)
    return csv[: -len("x.csv")] + BIB_DOWNLOAD


def text_url(context: ReportContext | None = None, cwd: str | os.PathLike[str] | None = None) -> str:
    """The link from the page being executed to :func:`save_text`'s file."""
    return references_url(context, cwd)[: -len(BIB_DOWNLOAD)] + TEXT_DOWNLOAD


def statistical_analysis_html(parts: Sequence[Paragraph], bib_url: str | None = None,
                              text_url: str | None = None) -> str:
    """The section as HTML: the paragraphs, the references, the BibTeX link and how to cite hemstats (escaped).

    Examples
    --------
    >>> html = statistical_analysis_html([Paragraph("Tests <b>", "Holm [@holm1979].")], "tables/refs.bib")
    >>> "Tests &lt;b&gt;" in html, "Holm (Holm 1979)." in html, 'href="tables/refs.bib"' in html
    (True, True, True)
    """
    body = [f"<p><strong>{html_text(p.heading)}.</strong> {html_text(_render(p.text))}</p>" for p in parts]
    refs = "".join(f"<li>{html_text(r)}</li>" for r in references(cited_keys(p.text for p in parts)))
    link = (f' <a href="{html_text(bib_url)}" download>Download these references as BibTeX '
            f"({html_text(BIB_DOWNLOAD)})</a>.") if bib_url else ""
    if text_url:
        body.append(f'<p><a href="{html_text(text_url)}" download>This section as plain text '
                    f"({html_text(TEXT_DOWNLOAD)})</a>.</p>")
    return (
        '<div class="hemstats-statistical-analysis">' + "".join(body)
        + f'<p class="hemstats-references-title"><strong>References.</strong>{link}</p><ul>{refs}</ul>'
        + f"<p><strong>How to cite hemstats.</strong> {html_text(how_to_cite())}</p></div>"
    )
