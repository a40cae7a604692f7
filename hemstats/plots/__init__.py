"""Figures: one function per figure, each takes a result table and ``ax=None`` and returns the Axes."""

from hemstats.plots.agreement import agreement_heatmap  # issue 4: agreement
from hemstats.plots.prevalence import cooccurrence_upset, prevalence_forest  # issue 4
from hemstats.plots.export import FIGURE_FORMATS, save_figure  # issue 7: paper figures
from hemstats.plots.style import (  # issue 7: paper figures
    DOUBLE_COLUMN_MM,
    OKABE_ITO,
    SINGLE_COLUMN_MM,
    FigureOptionError,
    figure_size,
    paper_style,
)
from hemstats.plots.scanner import acquisition_mix_plot, stratum_forest  # issue 6: acquisition
from hemstats.plots.performance import paired_difference, reliability_diagram, roc_curve  # issue 5

__all__: list[str] = []
__all__ += ["prevalence_forest", "cooccurrence_upset"]  # issue 4
__all__ += ["agreement_heatmap"]  # issue 4: agreement
__all__ += ["paper_style", "figure_size", "save_figure", "FIGURE_FORMATS"]  # issue 7: paper figures
__all__ += ["OKABE_ITO", "SINGLE_COLUMN_MM", "DOUBLE_COLUMN_MM", "FigureOptionError"]  # issue 7: paper figures
__all__ += ["stratum_forest", "acquisition_mix_plot"]  # issue 6: acquisition
__all__ += ["roc_curve", "reliability_diagram", "paired_difference"]  # issue 5
