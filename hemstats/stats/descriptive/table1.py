"""Table 1: who is in the cohort, overall and per group, with tests and standardised differences.

:func:`table1` describes the ``studies`` table (optionally with each study's consensus findings
joined from ``labels``) and returns a :class:`Table1`: ``.table`` is the numeric table Table 1
shows, ``.long`` the same numbers as a long result table; formatting happens only in
:meth:`Table1.to_markdown`, :meth:`~Table1.to_latex`, :meth:`~Table1.to_html` and
:meth:`~Table1.to_csv`.  The function runs as named steps: :func:`_inputs` (tables and joined
findings), :func:`_variables` (which columns, of which kind), :func:`_values` (coerced arrays),
:func:`_groups` (one mask per group) and :func:`_describe` (the rows and SMDs).

Examples
--------
>>> from hemstats.datasets import demo
>>> cohort = demo.load(n_studies=200)
>>> t1 = table1(cohort, by="site", columns=["age_years", "sex"])
>>> t1.table.columns.tolist()  # doctest: +NORMALIZE_WHITESPACE
['variable', 'category', 'group', 'measure', 'n', 'missing', 'count', 'estimate', 'sd', 'q1', 'q3',
 'ci_low', 'ci_high', 'confidence_level', 'p_value', 'test', 'smd']
"""

from __future__ import annotations

import html as _html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from hemstats.errors import InputError
from hemstats.stats._core.columns import result_columns, result_frame, subgroup_name
from hemstats.stats._core.intervals import check_confidence_level
from hemstats.stats._core.types import CONFIDENCE_LEVEL, By
from hemstats.stats.descriptive._prevalence_input import as_list, checked_table
from hemstats.stats.descriptive._table1_inputs import OVERALL, _groups, _inputs, _values, _variables
from hemstats.stats.descriptive._table1_tests import Masks, describe_categorical, describe_continuous

if TYPE_CHECKING:
    from hemstats.cohort import Cohort

__all__ = ["Table1", "table1", "TABLE1_COLUMNS", "TABLE1_EXTRA", "TABLE1_AFTER"]


_WHERE = "table1"
_COLUMNS = [
    "variable", "category", "group", "measure", "n", "missing", "count", "estimate", "sd", "q1", "q3",
    "ci_low", "ci_high", "confidence_level", "p_value", "test", "smd",
]  # fmt: skip
#: The fixed columns of :attr:`Table1.long` besides the result vocabulary.
TABLE1_EXTRA: tuple[str, ...] = ("variable", "category")
TABLE1_AFTER: tuple[str, ...] = ("n_missing", "test", "p_value", "smd")
#: The columns of :attr:`Table1.long`, in order.
TABLE1_COLUMNS: tuple[str, ...] = tuple(result_columns(TABLE1_EXTRA, TABLE1_AFTER))


@dataclass(frozen=True, eq=False)
class Table1:
    """The result of :func:`table1`.

    For display (:meth:`formatted`, :meth:`to_markdown`...) and as numbers: ``.table`` (one
    row per variable x category x group, the columns Table 1 shows) and ``.long`` (the same
    numbers as a result table of the hemstats vocabulary, one row per statistic).

    Attributes
    ----------
    table : pandas.DataFrame
        One row per variable x category x group (columns listed in :func:`table1`).
    smd_pairs : pandas.DataFrame
        Every pairwise standardised difference: ``variable, group_a, group_b, smd``
        (signed ``b - a`` for continuous variables, >= 0 for categorical ones).
    by : tuple of str
        The grouping columns.
    groups : tuple of str
        Group labels in display order (without ``"Overall"``).
    group_keys : mapping
        Group label (and ``"Overall"``) -> ``(dataset, subgroup_value)`` of its rows in
        :attr:`long`: the dataset when all its studies come from one, and the group's
        ``by`` values joined by ``", "``.
    """

    table: pd.DataFrame
    smd_pairs: pd.DataFrame
    by: tuple[str, ...]
    groups: tuple[str, ...]
    group_keys: Mapping[str, tuple[str | None, str | None]] = field(default_factory=dict)

    @property
    def long(self) -> pd.DataFrame:
        """The numbers of :attr:`table` as one long result table (built by ``result_frame``).

        One row per variable x category x group x ``metric``: ``count`` (the ``n`` row: studies
        in the group), ``proportion`` (a category: ``estimate`` with its Wilson interval,
        ``n_positive`` the studies in the category, ``n`` those with a value, ``method``
        ``wilson``), and for a continuous variable ``mean`` or ``median`` (as shown) then
        ``sd``, ``q1`` and ``q3``.  Columns: those of
        :func:`~hemstats.stats._core.columns.result_columns` with ``extra=("variable",
        "category")`` and ``after=("n_missing", "test", "p_value", "smd")``.  ``level`` is
        ``study``; ``finding`` is missing (a joined finding is a ``variable``); the
        ``Overall`` rows have no ``subgroup``; ``test, p_value, smd`` repeat the
        variable's test on each of its rows.

        Examples
        --------
        >>> from hemstats.datasets import demo
        >>> t1 = table1(demo.load(n_studies=100), by="site", columns=["age_years", "sex"])
        >>> long = t1.long
        >>> long.query("variable == 'age_years' and subgroup_value == 'site_A'").metric.tolist()
        ['mean', 'sd', 'q1', 'q3']
        """
        return _long(self)

    # -- formatting -------------------------------------------------------------------------------
    def formatted(
        self,
        *,
        digits: int = 1,
        p_digits: int = 3,
        ci: bool = True,
        names: Mapping[str, str] | None = None,
        binary: bool = False,
        smd_digits: int = 3,
    ) -> pd.DataFrame:
        """The display table: one row per variable (and category), text cells.

        Columns: ``variable``, ``category``, ``Missing`` (overall missing count, on the
        variable's first row), one per group, ``Overall``, and when grouped
        ``P-Value``, ``Test``, ``SMD``.  Every variable (or joined finding) with a gap
        gets a last row of category ``missing`` holding each group's missing count, so
        unlabelled studies are never hidden.  Continuous cells read ``mean (SD)`` or
        ``median [Q1, Q3]``; categorical cells ``n (%)`` and, with ``ci``, the Wilson
        interval of the percentage in brackets.

        Parameters
        ----------
        digits : int, default 1
            Decimals of means, SDs, quantiles and percentages.
        p_digits : int, default 3
            Decimals of p values.
        ci : bool, default True
            Show the Wilson interval of each percentage.
        names : mapping, optional
            Display names of the variables (``{"age_years": "Age, years"}``); others keep their name.
        binary : bool, default False
            Show a two-level variable coded 0/1 (a joined finding), False/True or no/yes as
            one row, category ``present``, the level 1 (True, yes) only.
        smd_digits : int, default 3
            Decimals of the SMD.

        Examples
        --------
        >>> from hemstats.datasets import demo
        >>> t1 = table1(demo.load(n_studies=60), by="any", columns=["age_years", "sdh"])
        >>> f = t1.formatted(names={"age_years": "Age, years", "sdh": "Subdural (SDH)"}, binary=True)
        >>> f[["variable", "category"]].values.tolist()
        [['n', ''], ['Age, years, mean (SD)', ''], ['', 'missing'], ['Subdural (SDH), n (%)', 'present']]
        """
        t = self.table
        groups = list(self.groups) + [OVERALL]
        shown_name = dict(names or {})
        present = _binary_levels(t) if binary else {}
        last_row_of = {v: i for i, v in zip(t.index, t["variable"])}
        rows: list[dict[str, str]] = []
        for (variable, category), block in t.groupby(["variable", "category"], sort=False, dropna=False):
            if variable in present and category != present[variable]:
                continue
            by_group = {g: r for g, r in zip(block["group"], block.to_dict("records"))}
            first = by_group[OVERALL]
            measure = first["measure"]
            is_first = not rows or rows[-1]["_variable"] != variable
            label = shown_name.get(str(variable), str(variable))
            if measure == "count":
                name, lev = "n", ""
            elif measure == "proportion":
                name, lev = f"{label}, n (%)", "" if category is None or pd.isna(category) else str(category)
                if variable in present:
                    lev = "present"
            elif measure == "mean":
                name, lev = f"{label}, mean (SD)", ""
            else:
                name, lev = f"{label}, median [Q1, Q3]", ""
            row = {"_variable": variable, "variable": name if is_first else "", "category": lev}
            row["Missing"] = str(int(first["missing"])) if is_first and measure != "count" else ""
            for g in groups:
                r = by_group.get(g)
                row[g] = "" if r is None else _cell(r, digits, ci)
            if self.by:
                p = first["p_value"]
                row["P-Value"] = _pformat(p, p_digits) if is_first else ""
                row["Test"] = first["test"] if is_first else ""
                row["SMD"] = "" if not is_first or pd.isna(first["smd"]) else f"{first['smd']:.{smd_digits}f}"
            rows.append(row)
            if (block.index[-1] == last_row_of[variable] or variable in present) and measure != "count":
                gaps = t.loc[(t["variable"] == variable)].drop_duplicates("group").set_index("group")["missing"]
                if gaps.any():  # a row that says how many lack the value, per group
                    extra = {"_variable": variable, "variable": "", "category": "missing", "Missing": ""}
                    extra.update({g: str(int(gaps[g])) if g in gaps.index else "" for g in groups})
                    if self.by:
                        extra.update({"P-Value": "", "Test": "", "SMD": ""})
                    rows.append(extra)
        out = pd.DataFrame(rows).drop(columns="_variable")
        return out

    def to_markdown(self, **options: Any) -> str:
        """A GitHub-flavoured Markdown table (options as :meth:`formatted`)."""
        f = self.formatted(**options)
        head = "| " + " | ".join(map(str, f.columns)) + " |"
        rule = "|" + "|".join("---" for _ in f.columns) + "|"
        body = ["| " + " | ".join(v.replace("|", "\\|") for v in row) + " |" for row in f.astype(str).to_numpy()]
        return "\n".join([head, rule, *body]) + "\n"

    def to_latex(self, **options: Any) -> str:
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

    def to_html(self, **options: Any) -> str:
        """An HTML ``<table>`` with class ``hemstats-table1`` (options as :meth:`formatted`)."""
        f = self.formatted(**options)
        head = "".join(f"<th>{_html.escape(str(c))}</th>" for c in f.columns)
        body = "".join(
            "<tr>" + "".join(f"<td>{_html.escape(str(v))}</td>" for v in row) + "</tr>\n" for row in f.to_numpy()
        )
        return f'<table class="hemstats-table1">\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}</tbody>\n</table>\n'

    def to_csv(self, path: str | Path, **options: Any) -> Path:
        """Write the formatted table (as :meth:`formatted`) to ``path``; the numbers are in ``.table``."""
        out = Path(path)
        self.formatted(**options).to_csv(out, index=False, lineterminator="\n")
        return out

    def _repr_html_(self) -> str:
        return self.to_html()

    def __repr__(self) -> str:
        return f"Table1(by={list(self.by)}, groups={list(self.groups)}, rows={len(self.table)})"


def _cell(r: Mapping[str, Any], digits: int, ci: bool) -> str:
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


#: Two-level codings shown as one ``present`` row by ``Table1.formatted(binary=True)``: levels -> the one shown.
_BINARY: dict[frozenset[str], str] = {
    frozenset({"0", "1"}): "1",
    frozenset({"False", "True"}): "True",
    frozenset({"false", "true"}): "true",
    frozenset({"no", "yes"}): "yes",
}


def _binary_levels(t: pd.DataFrame) -> dict[str, str]:
    """Variable -> its level shown as ``present``, for the categorical variables coded as two levels of :data:`_BINARY`."""
    out: dict[str, str] = {}
    cat = t[t["measure"] == "proportion"]
    for variable, block in cat.groupby("variable", sort=False):
        levels = frozenset(str(c) for c in block["category"].dropna().unique())
        for coding, shown in _BINARY.items():
            if shown in levels and levels <= coding:
                out[str(variable)] = shown
    return out


def _pformat(p: float, digits: int) -> str:
    if pd.isna(p):
        return ""
    return f"<{10**-digits:.{digits}f}" if p < 10**-digits else f"{p:.{digits}f}"


def _long(t1: Table1) -> pd.DataFrame:
    """:attr:`Table1.long`: one row per statistic of ``t1.table``."""
    name = subgroup_name(t1.by)
    rows: list[dict[str, Any]] = []
    for r in t1.table.to_dict("records"):
        dataset, value = t1.group_keys.get(r["group"], (None, None))
        base = {
            "dataset": dataset, "level": "study", "subgroup": None if r["group"] == OVERALL else name,
            "subgroup_value": value, "variable": r["variable"], "category": r["category"], "n": r["n"],
            "n_missing": r["missing"], "test": r["test"], "p_value": r["p_value"], "smd": r["smd"],
        }  # fmt: skip
        measure = r["measure"]
        if measure == "count":
            rows.append({**base, "metric": "count", "estimate": float(r["n"])})
        elif measure == "proportion":
            rows.append({**base, "metric": "proportion", "estimate": r["estimate"], "ci_low": r["ci_low"],
                         "ci_high": r["ci_high"], "n_positive": None if pd.isna(r["count"]) else int(r["count"]),
                         "method": "wilson", "confidence_level": r["confidence_level"]})  # fmt: skip
        else:
            rows.append({**base, "metric": measure, "estimate": r["estimate"]})
            rows += [{**base, "metric": m, "estimate": r[m]} for m in ("sd", "q1", "q3")]
    out = result_frame(rows, extra=TABLE1_EXTRA, after=TABLE1_AFTER)
    out["n_missing"] = out["n_missing"].astype("Int64")
    out["p_value"] = out["p_value"].astype(float)
    out["smd"] = out["smd"].astype(float)
    return out


# -- the function, in named steps ----------------------------------------------------------------------
def _describe(
    variables: list[str],
    values: dict[str, np.ndarray],
    data: pd.DataFrame,
    *,
    cat_vars: list[str],
    nonnormal: list[str],
    masks: Masks,
    group_names: list[str],
    confidence_level: float,
    t_test: str,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Step 5: the rows of ``.table`` (the ``n`` row, then each variable) and the pairwise SMDs."""
    rows: list[dict[str, Any]] = []
    smd_rows: list[tuple[str, str, str, float]] = []
    for g, m in masks:
        n_group = int(m.sum())
        rows.append(
            dict(variable="n", category=None, group=g, measure="count", n=n_group, missing=0, estimate=float(n_group))
        )
    for c in variables:
        if c in cat_vars:
            new_rows, pairs = describe_categorical(c, values[c], data[c], masks, group_names, confidence_level)
        else:
            new_rows, pairs = describe_continuous(c, values[c], masks, group_names, c in nonnormal, t_test)
        rows += new_rows
        smd_rows += pairs
    table = pd.DataFrame(rows).reindex(columns=_COLUMNS)
    for c in ["count", "estimate", "sd", "q1", "q3", "ci_low", "ci_high", "confidence_level", "p_value", "smd"]:
        table[c] = table[c].astype(float)
    table["confidence_level"] = table["confidence_level"].where(table["measure"] == "proportion")
    table["n"] = table["n"].astype("int64")
    table["missing"] = table["missing"].astype("int64")
    table["test"] = table["test"].fillna("").astype(object)
    table["category"] = table["category"].astype(object).where(table["category"].notna(), None)
    smd_pairs = pd.DataFrame(smd_rows, columns=["variable", "group_a", "group_b", "smd"])
    smd_pairs["smd"] = smd_pairs["smd"].astype(float)
    return table, smd_pairs


def table1(
    data: Cohort | pd.DataFrame,
    *,
    by: By = None,
    columns: str | Sequence[str] | None = None,
    nonnormal: str | Sequence[str] = (),
    categorical: str | Sequence[str] | None = None,
    confidence_level: float = CONFIDENCE_LEVEL,
    t_test: Literal["welch", "student"] = "welch",
    labels: pd.DataFrame | None = None,
) -> Table1:
    """Table 1 of a cohort: each variable summarised overall and per group.

    Continuous variables: mean (SD), or median [Q1, Q3] for those in ``nonnormal``.
    Categorical variables: count and proportion of each category among the non-missing
    values, with a Wilson confidence interval.  Missing values are never a category:
    they are counted in ``missing``.  With groups, a p value and a standardised mean
    difference per variable, chosen as tableone (and R tableone) choose them.

    Parameters
    ----------
    data : Cohort or pandas.DataFrame
        A Cohort (its ``studies``, with its ``labels`` joined when it has study-level
        consensus labels), or the canonical ``studies`` table.
    by : str, list of str or None
        Grouping columns; several are crossed (``["dataset", "any"]``: one group per
        observed combination, labelled ``"dataset=cq500, any=1"``; a single column's
        groups are labelled by the value).  Rows with a missing grouping value count
        in ``Overall`` only.
    columns : str, list of str, optional
        Variables, in display order.  Default: every column except ``dataset``
        (unless the studies hold several datasets), ``study_id``, ``patient_id``, the
        grouping columns and all-missing columns, followed by the joined findings.
    nonnormal : str or list of str
        Continuous variables summarised by median [Q1, Q3] and tested by Kruskal-Wallis.
    categorical : str or list of str, optional
        Variables treated as categorical.  Default: columns of category, text or
        boolean dtype, and the joined findings.
    confidence_level : float
        Level of the Wilson intervals of proportions.
    t_test : {"welch", "student"}
        Test of a continuous variable between two groups: Welch's unequal-variance t
        (default, as Python tableone) or Student's pooled-variance t (as R tableone,
        whose ``oneway.test(var.equal = TRUE)`` gives the same p value).  Three or more
        groups use one-way ANOVA either way.
    labels : pandas.DataFrame, optional
        With the ``studies`` table (keyword only; a Cohort brings its own): the canonical
        ``labels`` table, whose consensus study-level value of every finding is joined as
        a 0/1 column named by the finding code (missing when the study has no such
        label), usable in ``columns`` and ``by``.

    Returns
    -------
    Table1
        ``.table``: one row per variable x category x group (groups first, then
        ``"Overall"``), with a first variable ``"n"`` holding the group sizes.
        Columns: ``variable``; ``category`` (None for continuous variables); ``group``;
        ``measure`` (``count`` for the n row, ``mean``, ``median`` or ``proportion``);
        ``n`` (non-missing values); ``missing``; ``count`` (studies in the category,
        NaN for continuous); ``estimate`` (the mean, median or proportion 0-1); ``sd``
        (ddof 1, NaN when n < 2), ``q1``, ``q3`` (linear interpolation; both filled for
        every continuous row); ``ci_low, ci_high`` (Wilson, proportions only);
        ``confidence_level``; ``p_value`` and ``test`` (same on every row of a variable;
        NaN and "" when ungrouped); ``smd`` (absolute SMD for two groups, the mean of
        the absolute pairwise SMDs for more, as R tableone prints; NaN when ungrouped).
        ``.smd_pairs`` has every pairwise SMD; ``.long`` the numbers as a long result
        table (see :attr:`Table1.long`).

    Raises
    ------
    InputError
        A bad option (unknown column, a column both grouping and described...).
    SchemaError
        A canonical column breaks the schema, a continuous column holds text, or a
        joined label belongs to no study.

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
    >>> t1 = table1(cohort, by="any", columns=["age_years", "sex", "kernel"], nonnormal="age_years")
    >>> t1.groups
    ('0', '1')
    >>> age = t1.table.query("variable == 'age_years' and group == 'Overall'").iloc[0]
    >>> age.measure, age.test
    ('median', 'Kruskal-Wallis')
    >>> print(t1.to_markdown().splitlines()[0])
    | variable | category | Missing | 0 | 1 | Overall | P-Value | Test | SMD |
    """
    if not isinstance(t_test, str) or t_test not in ("welch", "student"):
        raise InputError(f"{_WHERE}: t_test must be 'welch' or 'student', got {t_test!r}")
    level = check_confidence_level(confidence_level)
    data_, joined, has_labels = _inputs(data, labels)
    where = "studies or the joined labels" if has_labels else "studies"
    by_ = as_list(by, "by", _WHERE)
    variables, cat_vars, skewed = _variables(data_, by=by_, columns=columns, categorical=categorical,
                                             nonnormal=nonnormal, joined=joined, where=where)  # fmt: skip
    keep = list(dict.fromkeys(by_ + variables + (["dataset"] if "dataset" in data_.columns else [])))
    frame = checked_table(data_, "studies", keep)  # canonical coercion; problems name table.column and rows
    values = _values(frame, variables, cat_vars)
    group_names, masks, keys = _groups(data_, frame, by_)
    table, smd_pairs = _describe(variables, values, data_, cat_vars=cat_vars, nonnormal=skewed, masks=masks,
                                 group_names=group_names, confidence_level=level, t_test=t_test)  # fmt: skip
    return Table1(table=table, smd_pairs=smd_pairs, by=tuple(by_), groups=tuple(group_names), group_keys=keys)
