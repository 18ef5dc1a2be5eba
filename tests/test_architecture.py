"""The rooms of the house: imports point down the room table, no import circles, Dagster-only rooms, small modules.

Every `import` is read with `ast`, including those inside functions, so a circle cannot hide behind a
deferred import. The room table is the README's "How the rooms fit".
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ROOMS = ("orchestration", "assets", "sensors", "schedules", "expectations", "resources", "sync", "sandbox")
# room -> the project rooms it may import (besides itself)
MAY_IMPORT = {
    "orchestration": {"assets", "sensors", "schedules", "expectations", "resources", "sync", "sandbox"},
    "assets": {"sync", "resources", "expectations"},
    "sensors": {"assets", "resources", "sync"},
    "schedules": {"assets", "resources", "sync"},
    "expectations": {"sync"},
    "resources": {"sync"},
    "sync": set(),
    "sandbox": set(),
}
# only the launchers and the command line may start the stand-in systems
SANDBOX_USERS = ("orchestration.cli", "orchestration.demo", "orchestration.dev", "orchestration.local_stack")
DAGSTER_ONLY = ("assets", "sensors", "schedules")
MAX_LINES = 400
SIZE_EXEMPT = {"sandbox/catalog.py"}  # the seed catalog is data


def _modules() -> dict[str, Path]:
    found = {}
    for room in ROOMS:
        for path in sorted((ROOT / room).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> Iterator[str]:
    """Project modules imported anywhere in the file (module level or inside functions)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        for target in targets:
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target and target != name:
                yield target


GRAPH = {name: sorted(set(_imports(name, path))) for name, path in MODULES.items()}


def _room(module: str) -> str:
    return module.split(".")[0]


def test_imports_point_down_the_room_table():
    wrong = [
        f"{module} imports {target}"
        for module, targets in GRAPH.items()
        for target in targets
        if _room(target) != _room(module) and _room(target) not in MAY_IMPORT[_room(module)]
    ]
    assert wrong == []


def test_only_launchers_and_the_cli_import_the_sandbox():
    wrong = [
        f"{module} imports {target}"
        for module, targets in GRAPH.items()
        for target in targets
        if _room(module) == "orchestration" and _room(target) == "sandbox" and not module.startswith(SANDBOX_USERS)
    ]
    assert wrong == []


def _cycles() -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in GRAPH[node]:
            # a package importing its own submodules (re-exports) is not a circle of design
            if nxt.startswith(node + "."):
                continue
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(GRAPH):
        if module not in index:
            visit(module)
    return found


def test_no_import_circles_even_behind_deferred_imports():
    assert _cycles() == []


@pytest.mark.parametrize("room", DAGSTER_ONLY)
def test_dagster_rooms_hold_only_dagster_code(room):
    lacking = [
        str(path.relative_to(ROOT))
        for name, path in MODULES.items()
        if _room(name) == room
        and path.name != "__init__.py"
        and "dagster" not in {alias for alias in _top_level_imports(path)}
    ]
    assert lacking == []


def _top_level_imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


def test_no_module_over_400_lines():
    long = [
        f"{path.relative_to(ROOT)}: {count} lines"
        for path in MODULES.values()
        if str(path.relative_to(ROOT)) not in SIZE_EXEMPT
        and (count := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    ]
    assert long == []
