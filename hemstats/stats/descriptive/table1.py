"""Table 1: who is in the cohort, overall and per group, with tests and standardised differences.

:func:`table1` describes the ``studies`` table (optionally with each study's
consensus findings joined from ``labels``) and returns a :class:`Table1` whose
``.table`` is one long numeric DataFrame; formatting happens only in
:meth:`Table1.to_markdown`, :meth:`~Table1.to_latex`, :meth:`~Table1.to_html` and
:meth:`~Table1.to_csv`.

Examples
--------
>>> from hemstats.datasets import demo
>>> cohort = demo.load(n_studies=200)
>>> t1 = table1(cohort.studies, groupby="site", columns=["age_years", "sex"])
>>> t1.table.columns.tolist()
['variable', 'level', 'group', 'measure', 'n', 'missing', 'count', 'estimate', 'sd', 'q1', 'q3', 'ci_low', 'ci_high', 'confidence_level', 'p_value', 'test', 'smd']
"""

from __future__ import annotations

import html as _html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations as _pairs
from itertools import product
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from hemstats._coerce import describe_rows, to_float
from hemstats.errors import HemstatsError, Problem, SchemaError
from hemstats.schema import TABLES
from hemstats.stats._core.intervals import check_confidence_level, proportion_ci
from hemstats.stats.descriptive._table1_tests import (
    _cat_smd,
    _categorical_test,
    _cont_smd,
    _continuous_test,
    _summary_smd,
)
from hemstats.stats.descriptive.prevalence import checked_table

if TYPE_CHECKING:
    from hemstats.cohort import Cohort

__all__ = ["Table1", "table1"]

OVERALL = "Overall"
_ID_COLUMNS = ("dataset", "study_id", "patient_id")
_COLUMNS = [
    "variable", "level", "group", "measure", "n", "missing", "count", "estimate", "sd", "q1", "q3",
    "ci_low", "ci_high", "confidence_level", "p_value", "test", "smd",
]  # fmt: skip


@dataclass(frozen=True, eq=False)
class Table1:
    """The result of :func:`table1`.

    Attributes
    ----------
    table : pandas.DataFrame
        The long table (columns listed in :func:`table1`).
    smd_pairs : pandas.DataFrame
        Every pairwise standardised difference: ``variable, group_a, group_b, smd``
        (signed ``b - a`` for continuous variables, >= 0 for categorical ones).
    groupby : tuple of str
        The grouping columns.
    groups : tuple of str
        Group labels in display order (without ``"Overall"``).
    """

    table: pd.DataFrame
    smd_pairs: pd.DataFrame
    groupby: tuple[str, ...]
    groups: tuple[str, ...]

    # -- formatting -------------------------------------------------------------------------------
    def formatted(self, *, digits: int = 1, p_digits: int = 3, ci: bool = True) -> pd.DataFrame:
        """The display table: one row per variable (and level), text cells.

        Columns: ``variable``, ``level``, ``Missing`` (overall missing count, on the
        variable's first row), one per group, ``Overall``, and when grouped
        ``P-Value``, ``Test``, ``SMD``.  Every variable (or joined finding) with a gap
        gets a last row of level ``missing`` holding each group's missing count, so
        unlabelled studies are never hidden.  Continuous cells read ``mean (SD)`` or
        ``median [Q1, Q3]``; categorical cells ``n (%)`` and, with ``ci``, the Wilson
        interval of the percentage in brackets.
        """
        t = self.table
        groups = list(self.groups) + [OVERALL]
        last_row_of = {v: i for i, v in zip(t.index, t["variable"])}
        rows = []
        for (variable, level), block in t.groupby(["variable", "level"], sort=False, dropna=False):
            by_group = {g: r for g, r in zip(block["group"], block.to_dict("records"))}
            first = by_group[OVERALL]
            measure = first["measure"]
            is_first_level = not rows or rows[-1]["_variable"] != variable
            if measure == "count":
                name, lev = "n", ""
            elif measure == "proportion":
                name, lev = f"{variable}, n (%)", "" if level is None or pd.isna(level) else str(level)
            elif measure == "mean":
                name, lev = f"{variable}, mean (SD)", ""
            else:
                name, lev = f"{variable}, median [Q1, Q3]", ""
            row = {"_variable": variable, "variable": name if is_first_level else "", "level": lev}
            row["Missing"] = str(int(first["missing"])) if is_first_level and measure != "count" else ""
            for g in groups:
                r = by_group.get(g)
                row[g] = "" if r is None else _cell(r, digits, ci)
            if self.groupby:
                p = first["p_value"]
                row["P-Value"] = _pformat(p, p_digits) if is_first_level else ""
                row["Test"] = first["test"] if is_first_level else ""
                row["SMD"] = "" if not is_first_level or pd.isna(first["smd"]) else f"{first['smd']:.3f}"
            rows.append(row)
            if block.index[-1] == last_row_of[variable] and measure != "count":
                gaps = t.loc[(t["variable"] == variable)].drop_duplicates("group").set_index("group")["missing"]
                if gaps.any():  # a row that says how many lack the value, per group
                    extra = {"_variable": variable, "variable": "", "level": "missing", "Missing": ""}
                    extra.update({g: str(int(gaps[g])) if g in gaps.index else "" for g in groups})
                    if self.groupby:
                        extra.update({"P-Value": "", "Test": "", "SMD": ""})
                    rows.append(extra)
        out = pd.DataFrame(rows).drop(columns="_variable")
        return out

    def to_markdown(self, **options: object) -> str:
        """A GitHub-flavoured Markdown table (options as :meth:`formatted`)."""
        f = self.formatted(**options)
        head = "| " + " | ".join(map(str, f.columns)) + " |"
        rule = "|" + "|".join("---" for _ in f.columns) + "|"
        body = ["| " + " | ".join(v.replace("|", "\\|") for v in row) + " |" for row in f.astype(str).to_numpy()]
        return "\n".join([head, rule, *body]) + "\n"

    def to_latex(self, **options: object) -> str:
        """A LaTeX ``tabular`` (booktabs rules; options as :meth:`formatted`)."""
        f = self.formatted(**options)

        def esc(v: object) -> str:
            s = str(v)
            for a, b in (("\\", r"\textbackslash{}"), ("&", r"\&"), ("%", r"\%"), ("_", r"\_"), ("#", r"\#"),
                         ("$", r"\$"), ("{", r"\{"), ("}", r"\}"), ("~", r"\textasciitilde{}"), ("^", r"\^{}")):  # fmt: skip
                s = s.replace(a, b) if a != "\\" else s.replace(a, "\0")
            return s.replace("\0", r"\textbackslash{}")

        lines = [r"\begin{tabular}{ll" + "r" * (f.shape[1] - 2) + "}", r"\toprule"]
        lines.append(" & ".join(esc(c) for c in f.columns) + r" \\")
        lines.append(r"\midrule")
        lines += [" & ".join(esc(v) for v in row) + r" \\" for row in f.astype(str).to_numpy()]
        lines += [r"\bottomrule", r"\end{tabular}"]
        return "\n".join(lines) + "\n"

    def to_html(self, **options: object) -> str:
        """An HTML ``<table>`` with class ``hemstats-table1`` (options as :meth:`formatted`)."""
        f = self.formatted(**options)
        head = "".join(f"<th>{_html.escape(str(c))}</th>" for c in f.columns)
        body = "".join(
            "<tr>" + "".join(f"<td>{_html.escape(str(v))}</td>" for v in row) + "</tr>\n" for row in f.to_numpy()
        )
        return f'<table class="hemstats-table1">\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}</tbody>\n</table>\n'

    def to_csv(self, path: str | Path, **options: object) -> Path:
        """Write the formatted table (as :meth:`formatted`) to ``path``; the numbers are in ``.table``."""
        out = Path(path)
        self.formatted(**options).to_csv(out, index=False, lineterminator="\n")
        return out

    def _repr_html_(self) -> str:
        return self.to_html()

    def __repr__(self) -> str:
        return f"Table1(groupby={list(self.groupby)}, groups={list(self.groups)}, rows={len(self.table)})"


def _cell(r: Mapping[str, object], digits: int, ci: bool) -> str:
    m = r["measure"]
    if m == "count":
        return str(int(r["n"]))
    if r["n"] == 0:
        return "-"
    if m == "proportion":
        s = f"{int(r['count'])} ({100 * r['estimate']:.{digits}f})"
        if ci:
            s += f" [{100 * r['ci_low']:.{digits}f}, {100 * r['ci_high']:.{digits}f}]"
        return s
    if m == "mean":
        sd = "-" if pd.isna(r["sd"]) else f"{r['sd']:.{digits}f}"
        return f"{r['estimate']:.{digits}f} ({sd})"
    return f"{r['estimate']:.{digits}f} [{r['q1']:.{digits}f}, {r['q3']:.{digits}f}]"


def _pformat(p: float, digits: int) -> str:
    if pd.isna(p):
        return ""
    return f"<{10 ** -digits:.{digits}f}" if p < 10**-digits else f"{p:.{digits}f}"


# -- statistics (the tests and SMDs are in hemstats.stats.descriptive._table1_tests) ------------------------------
Masks = list[tuple[str, np.ndarray]]


def _describe_categorical(
    name: str, v: np.ndarray, column: pd.Series, masks: Masks, group_names: list[str], level: float
) -> tuple[list[dict], list[tuple[str, str, str, float]]]:
    """Rows (one per level x group) and pairwise SMDs of one categorical variable."""
    present = {x for x in v if x is not None}
    if isinstance(column.dtype, pd.CategoricalDtype):
        levels: list[str | None] = [str(x) for x in column.cat.categories if str(x) in present]
    else:
        levels = sorted(present)
    counts = np.array([[np.sum(v[m] == lev) for lev in levels] for _, m in masks], dtype=float)
    counts = counts.reshape(len(masks), len(levels))
    nonmiss = counts.sum(axis=1)
    missing = np.array([int(np.sum(m)) for _, m in masks]) - nonmiss
    pairs: list[tuple[str, str, str, float]] = []
    p, test = np.nan, ""
    if group_names:
        p, test = _categorical_test(counts[:-1].astype(np.int64))
        props = [
            counts[i] / nonmiss[i] if nonmiss[i] else np.full(len(levels), np.nan) for i in range(len(group_names))
        ]
        pairs = [
            (name, group_names[i], group_names[j], _cat_smd(props[i], props[j]))
            for i, j in _pairs(range(len(group_names)), 2)
        ]
    smd = _summary_smd(pairs)
    if not levels:  # every value missing: one row per group says so
        levels = [None]
        counts = np.full((len(masks), 1), np.nan)
    rows = []
    for k, (g, _) in enumerate(masks):
        n = int(nonmiss[k])
        if n:
            lo, hi = proportion_ci(counts[k].astype(np.int64), n, confidence_level=level)
        else:
            lo = hi = np.full(len(levels), np.nan)
        for j, lev in enumerate(levels):
            rows.append(
                dict(
                    variable=name, level=lev, group=g, measure="proportion", n=n, missing=int(missing[k]),
                    count=float(counts[k, j]), estimate=counts[k, j] / n if n else np.nan, ci_low=float(lo[j]),
                    ci_high=float(hi[j]), confidence_level=level, p_value=p, test=test, smd=smd,
                )  # fmt: skip
            )
    return rows, pairs


def _describe_continuous(
    name: str, v: np.ndarray, masks: Masks, group_names: list[str], nonnormal: bool, t_test: str = "welch"
) -> tuple[list[dict], list[tuple[str, str, str, float]]]:
    """Rows (one per group) and pairwise SMDs of one continuous variable."""
    groups_vals = [v[m & ~np.isnan(v)] for _, m in masks]
    pairs: list[tuple[str, str, str, float]] = []
    p, test = np.nan, ""
    if group_names:
        p, test = _continuous_test(groups_vals[:-1], nonnormal, t_test)
        pairs = [
            (name, group_names[i], group_names[j], _cont_smd(groups_vals[i], groups_vals[j]))
            for i, j in _pairs(range(len(group_names)), 2)
        ]
    smd = _summary_smd(pairs)
    rows = []
    for (g, m), x in zip(masks, groups_vals):
        n = len(x)
        q1, med, q3 = np.percentile(x, [25, 50, 75]) if n else (np.nan,) * 3
        mean = x.mean() if n else np.nan
        rows.append(
            dict(
                variable=name, level=None, group=g, measure="median" if nonnormal else "mean", n=n,
                missing=int(m.sum()) - n, estimate=float(med if nonnormal else mean),
                sd=float(x.std(ddof=1)) if n >= 2 else np.nan, q1=float(q1), q3=float(q3),
                p_value=p, test=test, smd=smd,
            )  # fmt: skip
        )
    return rows, pairs


# -- the function -------------------------------------------------------------------------------------
def _join_findings(studies: pd.DataFrame, labels: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    lab = checked_table(
        labels,
        "labels",
        ["dataset", "study_id", "slice_id", "level", "finding", "rater", "value"],
        key=("dataset", "study_id", "slice_id", "level", "finding", "rater"),
    )
    lab = lab[(lab["level"] == "study") & (lab["rater"] == "consensus")]
    if lab.empty:
        raise HemstatsError("labels has no study-level rows of rater 'consensus' to join to studies")
    findings = [f for f in TABLES["labels"].column("finding").categories or () if f in set(lab["finding"])]
    clash = [f for f in findings if f in studies.columns]
    if clash:
        raise HemstatsError(
            f"studies already has columns named like findings {clash}; rename them before joining labels"
        )
    wide = lab.pivot(index=["dataset", "study_id"], columns="finding", values="value")
    wide = wide.reindex(columns=findings).reset_index()
    keys = pd.MultiIndex.from_frame(wide[["dataset", "study_id"]])
    known = pd.MultiIndex.from_frame(studies[["dataset", "study_id"]].astype(object))
    orphan = ~keys.isin(known)
    if orphan.any():
        raise SchemaError(
            [
                Problem(
                    "labels.study_id",
                    f"expected a (dataset, study_id) listed in studies; {describe_rows(wide, orphan, 'study_id')}",
                )
            ]
        )
    merged = studies.merge(wide, on=["dataset", "study_id"], how="left")
    for f in findings:
        merged[f] = pd.array(merged[f].to_numpy(dtype=float, na_value=np.nan), dtype="Float64").astype("Int64")
    return merged, findings


def table1(
    studies: pd.DataFrame | Cohort,
    *,
    groupby: str | Sequence[str] | None = None,
    columns: Sequence[str] | None = None,
    nonnormal: Sequence[str] = (),
    categorical: Sequence[str] | None = None,
    labels: pd.DataFrame | None = None,
    confidence_level: float = 0.95,
    t_test: Literal["welch", "student"] = "welch",
) -> Table1:
    """Table 1 of a cohort: each variable summarised overall and per group.

    Continuous variables: mean (SD), or median [Q1, Q3] for those in ``nonnormal``.
    Categorical variables: count and proportion of each level among the non-missing
    values, with a Wilson confidence interval.  Missing values are never a level:
    they are counted in ``missing``.  With groups, a p value and a standardised mean
    difference per variable, chosen as tableone (and R tableone) choose them.

    Parameters
    ----------
    studies : Cohort or pandas.DataFrame
        The canonical ``studies`` table (or any frame of study-level columns), or a
        Cohort: its ``studies``, with its ``labels`` joined (when ``labels`` is not
        given and the Cohort has study-level consensus labels).
    groupby : str, list of str or None
        Grouping columns; several are crossed (``["dataset", "any"]``: one group per
        observed combination, labelled ``"dataset=cq500, any=1"``; a single column's
        groups are labelled by the value).  Rows with a missing grouping value count
        in ``Overall`` only.
    columns : list of str, optional
        Variables, in display order.  Default: every column except ``dataset``
        (unless the studies hold several datasets), ``study_id``, ``patient_id``, the
        grouping columns and all-missing columns, followed by the joined findings.
    nonnormal : list of str
        Continuous variables summarised by median [Q1, Q3] and tested by Kruskal-Wallis.
    categorical : list of str, optional
        Variables treated as categorical.  Default: columns of category, text or
        boolean dtype, and the joined findings.
    labels : pandas.DataFrame, optional
        The canonical ``labels`` table: each study's consensus study-level value of
        every finding is joined as a 0/1 column named by the finding code
        (missing when the study has no such label), usable in ``columns`` and
        ``groupby``.
    confidence_level : float
        Level of the Wilson intervals of proportions.
    t_test : {"welch", "student"}
        Test of a continuous variable between two groups: Welch's unequal-variance t
        (default, as Python tableone) or Student's pooled-variance t (as R tableone,
        whose ``oneway.test(var.equal = TRUE)`` gives the same p value).  Three or more
        groups use one-way ANOVA either way.

    Returns
    -------
    Table1
        ``.table``: one row per variable x level x group (groups first, then
        ``"Overall"``), with a first variable ``"n"`` holding the group sizes.
        Columns: ``variable``; ``level`` (the category, None for continuous
        variables); ``group``; ``measure`` (``count`` for the n row, ``mean``,
        ``median`` or ``proportion``); ``n`` (non-missing values); ``missing``;
        ``count`` (studies in the level, NaN for continuous); ``estimate`` (the
        mean, median or proportion 0-1); ``sd`` (ddof 1, NaN when n < 2), ``q1``,
        ``q3`` (linear interpolation; both filled for every continuous row);
        ``ci_low, ci_high`` (Wilson, proportions only); ``confidence_level``;
        ``p_value`` and ``test`` (same on every row of a variable; NaN and "" when
        ungrouped); ``smd`` (absolute SMD for two groups, the mean of the absolute
        pairwise SMDs for more, as R tableone prints; NaN when ungrouped).
        ``.smd_pairs`` has every pairwise SMD.

    Raises
    ------
    SchemaError
        A canonical column breaks the schema, a column is absent, a continuous
        column holds text, or a joined label belongs to no study.
    HemstatsError
        A bad option (unknown column, a column both grouping and described...).

    Notes
    -----
    Tests: Welch t-test (two groups, each with at least 2 values; Student's with
    ``t_test="student"``) or one-way ANOVA;
    Kruskal-Wallis for ``nonnormal``; chi-squared (Yates-corrected for 2 x 2), or
    Fisher's exact test for a 2 x 2 table with an expected count or a group total
    below 5; larger tables with small counts keep chi-squared, labelled
    ``"Chi-squared (expected count < 5)"``.  SMD: Cohen's d with the averaged
    variance for continuous variables; Yang & Dalton's multinomial distance for
    categorical ones.

    Validated against tableone 0.9.6 (``TableOne(..., pval=True, smd=True,
    include_null=False)``: means, SDs, quartiles, counts, percentages, p values,
    tests and SMDs, tests/stats/test_table1.py) and R ``prop.test(correct=FALSE)``,
    ``t.test``, ``t.test(var.equal=TRUE)``, ``oneway.test(var.equal=TRUE)``,
    ``kruskal.test``, ``chisq.test``,
    ``fisher.test`` (tests/reference/table1.R).

    References
    ----------
    Yang D, Dalton JE (2012). A unified approach to measuring the effect size between
    two groups using SAS. SAS Global Forum, paper 335.

    Examples
    --------
    >>> from hemstats.datasets import demo
    >>> cohort = demo.load(n_studies=200)
    >>> t1 = table1(cohort.studies, groupby="any", labels=cohort.labels,
    ...             columns=["age_years", "sex", "kernel"], nonnormal=["age_years"])
    >>> t1.groups
    ('0', '1')
    >>> age = t1.table.query("variable == 'age_years' and group == 'Overall'").iloc[0]
    >>> age.measure, age.test
    ('median', 'Kruskal-Wallis')
    >>> print(t1.to_markdown().splitlines()[0])
    | variable | level | Missing | 0 | 1 | Overall | P-Value | Test | SMD |
    """
    from hemstats.cohort import Cohort

    if isinstance(studies, Cohort):
        has_labels = studies.labels is not None and (
            (studies.labels["level"] == "study") & (studies.labels["rater"] == "consensus")
        ).any()
        labels = studies.labels if labels is None and has_labels else labels
        studies = studies.studies
    if t_test not in ("welch", "student"):
        raise HemstatsError(f"t_test must be 'welch' or 'student', got {t_test!r}")
    if not isinstance(studies, pd.DataFrame):
        raise SchemaError([Problem("studies", f"expected a pandas DataFrame, got {type(studies).__name__}")])
    level_ = check_confidence_level(confidence_level)
    group_cols = [groupby] if isinstance(groupby, str) else list(groupby or [])
    nonnormal = [nonnormal] if isinstance(nonnormal, str) else list(nonnormal)
    data = studies
    joined: list[str] = []
    if labels is not None:
        need = ["dataset", "study_id"]
        base = checked_table(studies, "studies", need, key=("dataset", "study_id"))
        keyed = studies.reset_index(drop=True).assign(dataset=base["dataset"], study_id=base["study_id"])
        data, joined = _join_findings(keyed, labels)
    where = "studies or the joined labels" if labels is not None else "studies"
    absent = [c for c in group_cols if c not in data.columns]
    if absent:
        raise HemstatsError(f"groupby columns {absent} are not in {where}")
    if columns is None:
        auto = []
        for c in data.columns:
            if c in group_cols or c in joined or c in ("study_id", "patient_id"):
                continue
            if c == "dataset" and data[c].nunique(dropna=True) < 2:
                continue
            if data[c].notna().any():
                auto.append(c)
        variables = auto + [f for f in joined if f not in group_cols]
    else:
        variables = [columns] if isinstance(columns, str) else list(columns)
        absent = [c for c in variables if c not in data.columns]
        if absent:
            raise HemstatsError(f"columns {absent} are not in {where}")
    both = [c for c in variables if c in group_cols]
    if both:
        raise HemstatsError(f"columns {both} are also grouping columns")
    if len(set(variables)) != len(variables):
        raise HemstatsError(f"columns names a variable twice: {variables}")
    if categorical is None:
        cat_vars = [
            c
            for c in variables
            if c in joined
            or isinstance(data[c].dtype, (pd.CategoricalDtype, pd.StringDtype))
            or data[c].dtype == object
            or pd.api.types.is_bool_dtype(data[c].dtype)
        ]
    else:
        cat_vars = [categorical] if isinstance(categorical, str) else list(categorical)
        stray = [c for c in cat_vars if c not in variables]
        if stray:
            raise HemstatsError(f"categorical names {stray}, which are not among the columns {variables}")
    stray = [c for c in nonnormal if c not in variables or c in cat_vars]
    if stray:
        raise HemstatsError(f"nonnormal names {stray}, which are not continuous columns among {variables}")

    # canonical coercion of the columns used (problems name table.column and rows)
    frame = checked_table(data, "studies", list(dict.fromkeys(group_cols + variables)))
    problems: list[Problem] = []
    values: dict[str, np.ndarray] = {}
    for c in variables:
        if c in cat_vars:
            s = frame[c]
            values[c] = np.array([None if pd.isna(v) else str(v) for v in s.to_numpy(dtype=object)], dtype=object)
        else:
            numbers, bad = to_float(frame[c])
            if bad.any():
                problems.append(
                    Problem(
                        f"studies.{c}",
                        "expected numbers in a continuous column (or list it in categorical); "
                        + describe_rows(frame, bad, c),
                    )
                )
            values[c] = numbers
    if problems:
        raise SchemaError(problems)

    # groups
    n_rows = len(frame)
    if group_cols:
        level_lists = []
        for g in group_cols:
            s = data[g]
            present = [v for v in pd.unique(frame[g].dropna())]
            if isinstance(s.dtype, pd.CategoricalDtype):
                order = [v for v in s.cat.categories if v in set(present)]
            else:
                try:
                    order = sorted(present)
                except TypeError:
                    order = sorted(present, key=str)
            level_lists.append(order)
        combos = []
        has_group = frame[group_cols].notna().all(axis=1).to_numpy()
        codes = np.full(n_rows, -1)
        for combo in product(*level_lists):
            mask = has_group.copy()
            for g, v in zip(group_cols, combo):
                mask &= (frame[g] == v).fillna(False).to_numpy(dtype=bool)
            if mask.any():
                codes[mask] = len(combos)
                combos.append(combo)
        if len(group_cols) == 1:
            group_names = [str(c[0]) for c in combos]
        else:
            group_names = [", ".join(f"{g}={v}" for g, v in zip(group_cols, c)) for c in combos]
        if len(set(group_names)) != len(group_names):
            raise HemstatsError(f"group labels are not unique after conversion to text: {group_names}")
    else:
        group_names, codes = [], np.zeros(n_rows, dtype=int)
    masks = [(g, codes == i) for i, g in enumerate(group_names)] + [(OVERALL, np.ones(n_rows, dtype=bool))]

    rows: list[dict] = []
    smd_rows: list[tuple] = []
    for g, m in masks:
        n_group = int(m.sum())
        rows.append(
            dict(variable="n", level=None, group=g, measure="count", n=n_group, missing=0, estimate=float(n_group))
        )
    for c in variables:
        if c in cat_vars:
            new_rows, pairs = _describe_categorical(c, values[c], data[c], masks, group_names, level_)
        else:
            new_rows, pairs = _describe_continuous(c, values[c], masks, group_names, c in nonnormal, t_test)
        rows += new_rows
        smd_rows += pairs
    table = pd.DataFrame(rows).reindex(columns=_COLUMNS)
    for c in ["count", "estimate", "sd", "q1", "q3", "ci_low", "ci_high", "confidence_level", "p_value", "smd"]:
        table[c] = table[c].astype(float)
    table["confidence_level"] = table["confidence_level"].where(table["measure"] == "proportion")
    table["n"] = table["n"].astype("int64")
    table["missing"] = table["missing"].astype("int64")
    table["test"] = table["test"].fillna("").astype(object)
    table["level"] = table["level"].astype(object).where(table["level"].notna(), None)
    smd_pairs = pd.DataFrame(smd_rows, columns=["variable", "group_a", "group_b", "smd"])
    smd_pairs["smd"] = smd_pairs["smd"].astype(float)
    return Table1(table=table, smd_pairs=smd_pairs, groupby=tuple(group_cols), groups=tuple(group_names))
