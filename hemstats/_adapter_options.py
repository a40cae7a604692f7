"""Checking a manifest entry's adapter ``options`` against the adapter's ``load`` signature.

Every keyword parameter of an adapter's ``load(root, *, name, ...)`` is an option; its
type hint says what the manifest may give.  :func:`option_problems` reads the signature
(:func:`inspect.signature` and :func:`typing.get_type_hints`) and returns one
``(key, message)`` pair per unknown option (with a did-you-mean) and per value of the
wrong type, nested keys included (``columns.study``), so that ``hemstats validate``
reports them all before any adapter runs.

Understood hints: ``str``, ``int``, ``float``, ``bool``, ``None``, ``Any``,
``Literal[...]``, unions, ``Sequence[X]`` / ``list[X]`` / ``tuple[X, ...]`` (a text is
not a sequence of text), ``Mapping[K, V]`` / ``dict[K, V]``, ``TypedDict`` classes and
path types (``os.PathLike``, ``pathlib.Path``: the manifest gives them as text).  Any
other hint is accepted as is.

Examples
--------
>>> def load(root, *, name: str = "x", model: str = "m", cols: Mapping[str, str] | None = None):
...     ...
>>> option_problems(load, {"model": ["a", "b"], "cols": {"study": 5}, "modle": "m"})
[('modle', "unknown option; did you mean 'model'? expected one of model, cols"), \
('model', "expected text, got list ['a', 'b']"), ('cols.study', 'expected text, got int 5 (quote it in the YAML file \
to make it text)')]
"""

from __future__ import annotations

import collections.abc as cabc
import datetime
import difflib
import inspect
import numbers
import os
import pathlib
import re
import sys
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

__all__ = ["option_problems", "AdapterOption", "adapter_options"]

#: Parameters every adapter has that the manifest sets through other keys.
_RESERVED = ("root", "name")

_SEQUENCES = (cabc.Sequence, cabc.Collection, cabc.Iterable, list, tuple, cabc.MutableSequence, frozenset, set)
_MAPPINGS = (cabc.Mapping, cabc.MutableMapping, dict)
_PATHS = (os.PathLike, pathlib.Path, pathlib.PurePath)

Found = list[tuple[str, str]]


def _describe(value: Any) -> str:
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{type(value).__name__} {text}"


def _quote_hint(value: Any, expected: str = "text") -> str:
    plain = (bool, int, float, datetime.date)  # YAML reads 2024-01-01 as a date
    wants_text = "text" in expected.split(" or ")
    return " (quote it in the YAML file to make it text)" if isinstance(value, plain) and wants_text else ""


def _hints(fn: Callable[..., Any]) -> dict[str, Any]:
    """The function's resolved type hints; a hint that cannot be resolved is left out (accepted)."""
    try:
        return typing.get_type_hints(fn, include_extras=False)
    except Exception:
        pass
    module = sys.modules.get(getattr(fn, "__module__", ""), None)
    namespace = dict(vars(typing))
    namespace.update(vars(module) if module is not None else {})
    out: dict[str, Any] = {}
    for key, raw in getattr(fn, "__annotations__", {}).items():
        if not isinstance(raw, str):
            out[key] = raw
            continue
        try:
            out[key] = eval(raw, namespace)
        except Exception:
            continue
    return out


def _is_bool(value: Any) -> bool:
    return isinstance(value, bool) or type(value).__name__ == "bool_"  # numpy.bool_ without importing numpy


def _is_typeddict(hint: Any) -> bool:
    return isinstance(hint, type) and issubclass(hint, dict) and hasattr(hint, "__required_keys__")


def _expect(hint: Any) -> str:
    """What a hint asks for, in words."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any or hint is object:
        return "any value"
    if hint is type(None) or hint is None:
        return "null"
    if hint is str:
        return "text"
    if hint is bool:
        return "true or false"
    if hint is int:
        return "an integer"
    if hint is float:
        return "a number"
    if (isinstance(hint, type) and issubclass(hint, _PATHS)) or origin in _PATHS:
        return "a path (text)"
    if origin is typing.Literal:
        return "one of " + ", ".join(repr(a) for a in args)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(dict.fromkeys(_expect(a) for a in args))
    if _is_typeddict(hint) or origin in _MAPPINGS or hint in _MAPPINGS:
        return "a mapping" + (f" of {_expect(args[0])} to {_expect(args[1])}" if len(args) == 2 else "")
    if origin is tuple and args and args[-1] is not Ellipsis:
        return f"a list of {len(args)} values ({', '.join(_expect(a) for a in args)})"
    if origin in _SEQUENCES or hint in _SEQUENCES:
        item = args[0] if args else Any
        return "a list" + (f" of {_expect(item)}" if item is not Any else "")
    return getattr(hint, "__name__", str(hint))


def _check(value: Any, hint: Any, key: str) -> Found | None:
    """Problems of ``value`` against ``hint``: [] fits, a list names nested keys, None: no fit at all."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any or hint is object:
        return []
    if hint is type(None) or hint is None:
        return [] if value is None else None
    if hint is bool:
        return [] if _is_bool(value) else None
    if hint is int:  # numbers.Integral: Python and numpy integers, never a bool
        return [] if isinstance(value, numbers.Integral) and not _is_bool(value) else None
    if hint is float:
        return [] if isinstance(value, numbers.Real) and not _is_bool(value) else None
    if hint is str:
        return [] if isinstance(value, str) else None
    if (isinstance(hint, type) and issubclass(hint, _PATHS)) or origin in _PATHS:
        return [] if isinstance(value, (str, os.PathLike)) else None
    if origin is typing.Literal:
        return [] if any(type(value) is type(a) and value == a for a in args) else None
    if origin in (typing.Union, types.UnionType):
        nested: Found | None = None
        for arg in args:
            found = _check(value, arg, key)
            if found == []:
                return []
            if found and nested is None:  # the branch of the right shape: report inside it
                nested = found
        return nested
    if _is_typeddict(hint):
        return _check_typeddict(value, hint, key)
    if origin in _MAPPINGS or hint in _MAPPINGS:
        if not isinstance(value, Mapping):
            return None
        found = []
        k_hint, v_hint = args if len(args) == 2 else (Any, Any)
        for k, v in value.items():
            at = f"{key}.{k}"
            if _check(k, k_hint, at) is None:
                found.append((at, f"key {_describe(k)}: expected {_expect(k_hint)}"))
                continue
            inner = _check(v, v_hint, at)
            found.extend([(at, f"expected {_expect(v_hint)}, got {_describe(v)}{_quote_hint(v, _expect(v_hint))}")] if inner is None else inner)
        return found
    if origin in _SEQUENCES or hint in _SEQUENCES:
        if not isinstance(value, (list, tuple)):  # a text is not a list of characters
            return None
        if origin is tuple and args and args[-1] is not Ellipsis:
            if len(value) != len(args):
                return None
            item_hints = list(args)
        else:
            item_hints = [args[0] if args else Any] * len(value)
        found = []
        for i, (item, item_hint) in enumerate(zip(value, item_hints)):
            at = f"{key}[{i}]"
            inner = _check(item, item_hint, at)
            found.extend(
                [(at, f"expected {_expect(item_hint)}, got {_describe(item)}{_quote_hint(item, _expect(item_hint))}")]
                if inner is None
                else inner
            )
        return found
    return []  # a hint this checker does not know: accept


def _check_typeddict(value: Any, hint: Any, key: str) -> Found | None:
    if not isinstance(value, Mapping):
        return None
    hints = _hints(hint)
    known = list(hints)
    found: Found = []
    for k, v in value.items():
        at = f"{key}.{k}"
        if k not in hints:
            close = difflib.get_close_matches(str(k), known, n=1)
            hint_text = f"did you mean {close[0]!r}? " if close else ""
            found.append((at, f"unknown key; {hint_text}expected one of {', '.join(known)}"))
            continue
        inner = _check(v, hints[k], at)
        found.extend([(at, f"expected {_expect(hints[k])}, got {_describe(v)}{_quote_hint(v, _expect(hints[k]))}")] if inner is None else inner)
    for k in sorted(getattr(hint, "__required_keys__", ())):
        if k not in value:
            found.append((f"{key}.{k}", f"required key is missing; expected {_expect(hints.get(k, Any))}"))
    return found


def option_problems(fn: Callable[..., Any], options: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Every unknown or wrongly typed option of a call ``fn(root, name=..., **options)``.

    Parameters
    ----------
    fn : callable
        An adapter's ``load``.
    options : mapping
        The manifest entry's ``options``.

    Returns
    -------
    list of (str, str)
        ``(key, message)``: the option's (dotted) key and what is wrong; empty when the
        call fits the signature.  Unknown options come first, then type mismatches in
        option order.  A ``**kwargs`` parameter accepts any name.

    Examples
    --------
    >>> def load(root, *, name: str = "x", blank: Literal["missing", "absent"] = "missing"):
    ...     ...
    >>> option_problems(load, {"blank": "zero"})
    [('blank', "expected one of 'missing', 'absent', got str 'zero'")]
    >>> option_problems(load, {"blank": "absent"})
    []
    """
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):  # pragma: no cover - builtins without a signature
        return []
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    first = next(iter(params.values()), None)
    root = first.name if first is not None and first.kind in positional else None  # the dataset folder
    accepted = [
        n
        for n, p in params.items()
        if p.kind in (inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        and n != root
        and n not in _RESERVED
    ]
    hints = _hints(fn)
    found: Found = []
    for key in options:
        if key not in accepted and not takes_any:
            close = difflib.get_close_matches(str(key), accepted, n=1)
            hint_text = f"did you mean {close[0]!r}? " if close else ""
            found.append((str(key), f"unknown option; {hint_text}expected one of {', '.join(accepted) or '(no options)'}"))
    for key, value in options.items():
        if key not in accepted or key not in hints:
            continue
        inner = _check(value, hints[key], str(key))
        if inner is None:
            found.append((str(key), f"expected {_expect(hints[key])}, got {_describe(value)}{_quote_hint(value, _expect(hints[key]))}"))
        else:
            found.extend(inner)
    return found


class AdapterOption(NamedTuple):
    """One manifest option of an adapter, as :func:`adapter_options` reads it from the code."""

    name: str
    type: str
    default: str
    help: str


_ROLE = re.compile(r":[\w:]+:`~?([^`<]+?)(?:\s*<[^>]*>)?`")
_DELEGATE = re.compile(r"^(?:As in|Passed to)\s+:\w+:`~?([\w.]+)`\.?$")


def _plain(text: str) -> str:
    """Docstring markup to plain text: roles and literals keep their text, spaces collapse."""
    for python, yaml_word in (("None", "null"), ("True", "true"), ("False", "false")):
        text = text.replace(f"``{python}``", yaml_word)  # the manifest is YAML
    text = _ROLE.sub(r"\1", text).replace("``", "")
    text = re.sub(r"(?<![\w*])\*([^*\s][^*]*)\*(?![\w*])", r"\1", text)  # *emphasis*
    return " ".join(text.split())


def _first_sentence(text: str) -> str:
    head = re.split(r"(?<=[.!?])\s+(?=[A-Z(])", text, maxsplit=1)[0]
    return head.strip()


def _param_docs(fn: Callable[..., Any]) -> dict[str, str]:
    """Parameter name -> its description in the numpydoc ``Parameters`` section of ``fn``."""
    lines = (inspect.getdoc(fn) or "").splitlines()
    out: dict[str, str] = {}
    start = next(
        (i + 2 for i, line in enumerate(lines[:-1]) if line.strip() == "Parameters" and set(lines[i + 1].strip()) == {"-"}),
        None,
    )
    if start is None:
        return out
    names: list[str] = []
    desc: list[str] = []

    def flush() -> None:
        for n in names:
            out[n] = " ".join(desc)

    for i in range(start, len(lines)):
        line = lines[i]
        if line and not line[0].isspace():
            if i + 1 < len(lines) and lines[i + 1].strip() and set(lines[i + 1].strip()) == {"-"}:
                break  # the next section
            flush()
            names = [n.strip().lstrip("*") for n in line.partition(":")[0].split(",") if n.strip()]
            desc = []
        elif line.strip():
            desc.append(line.strip())
    flush()
    return out


def _resolve(fn: Callable[..., Any], target: str) -> Callable[..., Any] | None:
    """The function a docstring refers to: ``name`` in ``fn``'s module or a dotted ``module.name``."""
    import importlib

    module_name, _, attr = target.rpartition(".")
    try:
        module = importlib.import_module(module_name) if module_name else sys.modules[fn.__module__]
    except (ImportError, KeyError):
        return None
    found = getattr(module, attr, None)
    return found if callable(found) else None


def _help(fn: Callable[..., Any], name: str, docs: Mapping[str, str]) -> str:
    raw = docs.get(name, "")
    delegate = _DELEGATE.match(raw.strip())
    if delegate is not None:
        target = _resolve(fn, delegate.group(1))
        inner = _param_docs(target).get(name, "") if target is not None else ""
        if inner:
            raw = inner
    return _first_sentence(_plain(raw))


def _yaml_default(value: Any) -> str:
    """A default as it would be written in the manifest (YAML flow style)."""
    import yaml

    if isinstance(value, (tuple, frozenset, set)):
        value = list(value)
    try:
        text = yaml.safe_dump(value, default_flow_style=True, width=10_000)
    except yaml.YAMLError:
        return repr(value)
    return text.removesuffix("\n").removesuffix("\n...").strip()


def adapter_options(fn: Callable[..., Any]) -> list[AdapterOption]:
    """The options a manifest may give an adapter, read from its ``load`` signature and docstring.

    Parameters
    ----------
    fn : callable
        An adapter's ``load(root, *, name, ...)``.

    Returns
    -------
    list of AdapterOption
        One per keyword parameter except the dataset folder and ``name`` (set by the
        manifest's ``path`` and ``name`` keys), in signature order: the option's name,
        the type the manifest must give (in the words of ``hemstats validate``), its
        default as YAML (``required`` when it has none) and the first sentence of its
        description in the docstring.

    Examples
    --------
    >>> def load(root, *, name: str = "x", blank: Literal["missing", "absent"] = "missing",
    ...          dirs: Sequence[str] = ("a", "b")):
    ...     '''Load.
    ...
    ...     Parameters
    ...     ----------
    ...     blank : {"missing", "absent"}
    ...         How blank flags are read.  More detail.
    ...     dirs : sequence of str
    ...         Folders relative to ``root``.
    ...     '''
    >>> for option in adapter_options(load):
    ...     print(option)
    AdapterOption(name='blank', type="one of 'missing', 'absent'", default='missing', help='How blank flags are read.')
    AdapterOption(name='dirs', type='a list of text', default='[a, b]', help='Folders relative to root.')
    """
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):  # pragma: no cover - builtins without a signature
        return []
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    first = next(iter(params.values()), None)
    root = first.name if first is not None and first.kind in positional else None
    hints = _hints(fn)
    docs = _param_docs(fn)
    out = []
    for n, p in params.items():
        if p.kind not in (inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD):
            continue
        if n == root or n in _RESERVED:
            continue
        kind = _expect(hints[n]) if n in hints else "any value"
        default = "required" if p.default is inspect.Parameter.empty else _yaml_default(p.default)
        out.append(AdapterOption(n, kind, default, _help(fn, n, docs)))
    return out
