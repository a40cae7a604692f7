"""``python -m hemstats.report.validation [OUT_DIR] [--table NAME] [--seed N]``: recompute the coverage tables."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from hemstats.report.validation.coverage import regenerate
from hemstats.report.validation.specs import COVERAGE_TABLES, DATA_DIR, SEED

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` (default the command line), regenerate the tables asked for; the exit status."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m hemstats.report.validation",
        description="Recompute the CI coverage tables shown in the report's Methods and validation chapter.",
    )
    parser.add_argument("out_dir", nargs="?", default=None, help=f"output folder (default {DATA_DIR})")
    parser.add_argument("--table", action="append", choices=COVERAGE_TABLES, help="only this table (repeatable)")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    regenerate(args.out_dir, tables=args.table, seed=args.seed, log=lambda line: print(line, file=sys.stderr))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
