"""Pure statistics on a Cohort's tables; every function returns one long DataFrame."""

__all__: list[str] = []
