"""The transport package has no import circle: auth strategies and the client meet only in hooks.py."""

from __future__ import annotations

import ast
from pathlib import Path

import resources.transport as transport
from resources.transport import ApiClient, BasicAuth, HookClient, RequestHook

PACKAGE = Path(transport.__file__).parent


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at any depth (function bodies and TYPE_CHECKING blocks included)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            found.add("." * node.level + (node.module or ""))
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def project_modules(path: Path) -> set[str]:
    """The transport modules a file imports, by bare name ("client", "auth", ...)."""
    names = imported_modules(path)
    return {m.rsplit(".", 1)[-1] for m in names if m.startswith((".", "resources.transport"))}


def test_auth_never_imports_the_client_not_even_deferred():
    assert "client" not in project_modules(PACKAGE / "auth.py")


def test_hooks_imports_neither_auth_nor_client():
    assert not project_modules(PACKAGE / "hooks.py") & {"auth", "client"}


def test_the_client_is_the_view_hooks_are_written_against():
    with ApiClient("erp", "http://127.0.0.1:9", auth=BasicAuth("user", "a-password")) as client:
        assert isinstance(client, HookClient)
        assert isinstance(client.auth, RequestHook)
