"""Figures: one function per figure, each takes a result table and ``ax=None`` and returns the Axes.

Multi-panel figures (``cooccurrence_upset``) take and return a Figure.  Wrap them in
``with paper_style():`` for journal fonts and sizes, and save with ``save_figure``.
The figures mirror :mod:`hemstats.stats`: descriptive, reliability, diagnostic, acquisition.
"""

from hemstats.errors import FigureOptionError
from hemstats.plots.acquisition import acquisition_mix_plot, stratum_forest
from hemstats.plots.descriptive import cooccurrence_upset, group_labels, prevalence_forest
from hemstats.plots.diagnostic import paired_difference, reliability_diagram, roc_curve
from hemstats.plots.export import FIGURE_FORMATS, save_figure
from hemstats.plots.reliability import agreement_heatmap
from hemstats.plots.style import (
    DOUBLE_COLUMN_MM,
    OKABE_ITO,
    SANS_SERIF_FONTS,
    SINGLE_COLUMN_MM,
    figure_size,
    paper_style,
)

__all__ = [
    # descriptive
    "prevalence_forest",
    "cooccurrence_upset",
    "group_labels",
    # reliability
    "agreement_heatmap",
    # diagnostic
    "roc_curve",
    "reliability_diagram",
    "paired_difference",
    # acquisition
    "stratum_forest",
    "acquisition_mix_plot",
    # style and export
    "paper_style",
    "figure_size",
    "OKABE_ITO",
    "SANS_SERIF_FONTS",
    "SINGLE_COLUMN_MM",
    "DOUBLE_COLUMN_MM",
    "save_figure",
    "FIGURE_FORMATS",
    "FigureOptionError",
]
