"""The package's layout rules, checked on the source (nothing is imported):

- the import graph of ``hemstats`` has no cycle (imports under ``if TYPE_CHECKING:`` aside);
- private names do not cross a subpackage boundary: a name ``_x`` is imported only from a
  module of the importer's own package, and a private module (``_core``, ``_data``) only
  from inside the package that holds it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "hemstats"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _package(module: str, path: Path) -> str:
    return module if path.name == "__init__.py" else module.rpartition(".")[0]


def _type_checking_lines(tree: ast.AST) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def _imports() -> list[tuple[str, str, str, str | None, int]]:
    """(importer, importer's package, imported module, imported name or None, line)."""
    out = []
    for path in sorted(ROOT.rglob("*.py")):
        module = _module_name(path)
        package = _package(module, path)
        tree = ast.parse(path.read_text())
        skip = _type_checking_lines(tree)
        for node in ast.walk(tree):
            if getattr(node, "lineno", None) in skip:
                continue
            if isinstance(node, ast.Import):
                out += [(module, package, a.name, None, node.lineno) for a in node.names if a.name.startswith("hemstats")]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("hemstats"):
                out += [(module, package, node.module, a.name, node.lineno) for a in node.names]
    return out


MODULES = {_module_name(p) for p in ROOT.rglob("*.py")}


def _target(imported: str, name: str | None) -> str:
    """The module an import binds: ``from pkg import mod`` imports module ``pkg.mod``."""
    if name is not None and f"{imported}.{name}" in MODULES:
        return f"{imported}.{name}"
    return imported


def _private(part: str) -> bool:
    return part.startswith("_") and not part.startswith("__")


def test_private_names_do_not_cross_a_subpackage_boundary():
    bad = []
    for module, package, imported, name, line in _imports():
        target = _target(imported, name)
        parts = target.split(".")
        for i, part in enumerate(parts):
            owner = ".".join(parts[:i])
            if _private(part) and not (package == owner or package.startswith(owner + ".")):
                bad.append(f"{module}:{line} imports private module {target}")
                break
        if name is not None and _private(name) and target == imported:
            owner = imported if f"{imported}.__init__" in MODULES or imported in _packages() else imported.rpartition(".")[0]
            if owner != package:
                bad.append(f"{module}:{line} imports private name {name} from {imported}")
    assert bad == []


def _packages() -> set[str]:
    return {_module_name(p) for p in ROOT.rglob("__init__.py")}


def test_the_import_graph_has_no_cycle():
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for module, _, imported, name, _ in _imports():
        target = _target(imported, name)
        if target in MODULES and target != module:
            graph[module].add(target)
    # a package's __init__ re-exporting its modules is not a cycle of the design
    for pkg in _packages():
        graph[pkg] = {t for t in graph[pkg] if not t.startswith(pkg + ".")}
    seen: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[str] = []

    def visit(node: str) -> None:
        seen[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if seen.get(nxt) == 1:
                cycles.append(" -> ".join([*stack[stack.index(nxt):], nxt]))
            elif nxt not in seen:
                visit(nxt)
        stack.pop()
        seen[node] = 2

    for node in sorted(graph):
        if node not in seen:
            visit(node)
    assert cycles == []


@pytest.mark.parametrize("path", sorted(ROOT.rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT)))
def test_modules_stay_small(path):
    assert len(path.read_text().splitlines()) <= 650, "past ~600 lines a module asks to be split"
