"""The ERP sandbox's modules import each other in one direction only: no circle, none hidden in a function."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "sandbox" / "erp"
NAME = "sandbox.erp"


def _module_name(path: Path) -> str:
    return NAME if path.name == "__init__.py" else f"{NAME}.{path.stem}"


MODULES = {_module_name(p): p for p in sorted(PACKAGE.glob("*.py"))}


def _imported(node: ast.AST) -> list[str]:
    """The package's modules an import statement loads (`from sandbox.erp import x` loads the submodule x)."""
    if isinstance(node, ast.ImportFrom) and node.module:
        submodules = [f"{node.module}.{a.name}" for a in node.names if f"{node.module}.{a.name}" in MODULES]
        return submodules or [node.module]
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    return []


def _graph() -> dict[str, set[str]]:
    graph = {}
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text())
        graph[name] = {m for node in ast.walk(tree) for m in _imported(node) if m in MODULES and m != name}
    return graph


def test_no_module_imports_inside_a_function() -> None:
    deferred = []
    for name, path in MODULES.items():
        for function in ast.walk(ast.parse(path.read_text())):
            if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                deferred += [f"{name}:{n.lineno}" for n in ast.walk(function) if _imported(n)]
    assert deferred == []


def test_imports_form_no_cycle_type_checking_imports_included() -> None:
    graph, done, cycles = _graph(), set(), []

    def visit(module: str, stack: list[str]) -> None:
        for dependency in sorted(graph[module]):
            if dependency in stack:
                cycles.append(stack[stack.index(dependency) :] + [dependency])
            elif dependency not in done:
                visit(dependency, [*stack, dependency])
        done.add(module)

    for module in sorted(graph):
        visit(module, [module])
    assert cycles == []
