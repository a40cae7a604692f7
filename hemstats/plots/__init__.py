"""Figures: one function per figure, each takes a result table and ``ax=None`` and returns the Axes."""

__all__: list[str] = []
