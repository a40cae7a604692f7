"""The dataset folder of an adapter, and error messages that name files relative to it."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from hemstats.errors import DataFormatError

__all__ = ["dataset_root", "relative_errors"]


def dataset_root(root: str | os.PathLike[str], *, holds: str = "the dataset's files") -> Path:
    """``root`` as a Path, checked to be an existing folder (a path to a file is named as such).

    Messages show only the folder's own name, never the absolute path.

    Examples
    --------
    >>> dataset_root("no/such/folder", holds="reads.csv")
    Traceback (most recent call last):
    ...
    hemstats.errors.DataFormatError: dataset folder 'folder' not found; expected the folder holding reads.csv
    """
    path = Path(root)
    if path.is_file():
        raise DataFormatError(
            f"dataset folder {path.name!r} is a file; expected the folder holding {holds}, not a file in it"
        )
    if not path.is_dir():
        raise DataFormatError(f"dataset folder {path.name!r} not found; expected the folder holding {holds}")
    return path


@contextmanager
def relative_errors(root: Path) -> Iterator[None]:
    """Within the block, paths under ``root`` in a :class:`DataFormatError` become relative to it.

    So an adapter's messages name ``masks/049.nii``, not the user's absolute folders.

    Examples
    --------
    >>> try:
    ...     with relative_errors(Path("data")):
    ...         raise DataFormatError("data/metadata/reads.csv: file not found (see data/x.csv)")
    ... except DataFormatError as exc:
    ...     print(exc)
    metadata/reads.csv: file not found (see x.csv)
    """
    try:
        yield
    except DataFormatError as exc:
        message = str(exc)
        for base in dict.fromkeys([str(root), str(Path(root).resolve()), Path(root).as_posix()]):
            base = base.rstrip("/\\")
            if base in (".", ""):
                continue
            # only where a path starts: not inside a longer name ("metadata/" for a root "data")
            message = re.sub(rf"(?<![\w.\-/\\]){re.escape(base)}[/\\]", "", message)
        if message == str(exc):
            raise
        raise DataFormatError(message) from None
