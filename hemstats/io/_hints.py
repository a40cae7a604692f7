"""Does a value fit a type hint? The checker behind :func:`hemstats.io.tables.check_options`."""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping, Sequence

import numpy as np

__all__ = ["describe", "fits"]


def describe(hint: object) -> str:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is type(None):
        return "None"
    if origin is typing.Literal:
        return " or ".join(repr(a) for a in args)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(dict.fromkeys(describe(a) for a in args))
    if origin in (Sequence, list, tuple):
        return f"a list of {describe(args[0]) if args else 'values'}"
    if origin in (Mapping, dict):
        return f"a mapping of {describe(args[0])} to {describe(args[1])}" if args else "a mapping"
    if hint is typing.Any:
        return "any value"
    return getattr(hint, "__name__", str(hint))


def fits(value: object, hint: object) -> bool:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is typing.Any:
        return True
    if hint is type(None):
        return value is None
    if origin is typing.Literal:
        return any(type(value) is type(a) and value == a for a in args)
    if origin in (typing.Union, types.UnionType):
        return any(fits(value, a) for a in args)
    if origin in (Sequence, list, tuple):
        if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
            return False
        item = args[0] if args else typing.Any
        return all(fits(v, item) for v in value)
    if origin in (Mapping, dict):
        if not isinstance(value, Mapping):
            return False
        key, val = args if args else (typing.Any, typing.Any)
        return all(fits(k, key) and fits(v, val) for k, v in value.items())
    if hint is bool:
        return isinstance(value, (bool, np.bool_))
    if hint is int:
        return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))
    if hint is float:
        return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))
    if isinstance(hint, type):
        return isinstance(value, hint)
    return True  # a hint this checker does not know: the adapter checks it


def mismatch(value: object, hint: object, where: str) -> tuple[str, str, object] | None:
    """``(where, expected, value)`` of the innermost part of ``value`` that does not fit ``hint``, or None.

    Mapping values are located as ``where.key``, sequence items as ``where[i]``.

    Examples
    --------
    >>> mismatch({"study": 5}, Mapping[str, str | Sequence[str]], "options.columns")
    ('options.columns.study', 'str or a list of str', 5)
    >>> mismatch(["a", 2], Sequence[str], "options.dirs")
    ('options.dirs[1]', 'str', 2)
    """
    if fits(value, hint):
        return None
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        for alt in args:
            alt_origin = typing.get_origin(alt)
            if (alt_origin in (Mapping, dict) and isinstance(value, Mapping)) or (
                alt_origin in (Sequence, list, tuple) and isinstance(value, (list, tuple))
            ):
                return mismatch(value, alt, where)
    elif origin in (Sequence, list, tuple) and isinstance(value, (list, tuple)) and args:
        for i, item in enumerate(value):
            found = mismatch(item, args[0], f"{where}[{i}]")
            if found:
                return found
    elif origin in (Mapping, dict) and isinstance(value, Mapping) and args:
        for key, item in value.items():
            if not fits(key, args[0]):
                return f"{where} (key {key!r})", f"keys of type {describe(args[0])}", key
            found = mismatch(item, args[1], f"{where}.{key}")
            if found:
                return found
    return where, describe(hint), value
