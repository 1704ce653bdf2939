"""No app path is written by hand in the server's Python: redirects and links are built from route names
(``server.lib.paths``). A path may appear only where a route is declared (its decorator or a controller's
``path``), and in the few places below, each with its reason."""

from __future__ import annotations

import ast
import re
from pathlib import Path

SERVER = Path(__file__).resolve().parents[2] / "server"
APP_PATH = re.compile(r"^/[a-z]")
# (file, the literal's start) -> why it is not built from a route name
ALLOWED = {
    ("plugins.py", "/api/"): "the JSON API's mount, which CSRF exempts and errors answer as JSON",
    ("plugins.py", "/static"): "where the static files router is mounted (static files are not named routes)",
    ("app.py", "/api/schema"): "where Litestar serves the OpenAPI schema",
    ("lib/templates.py", "/static/"): "static files: a content-hashed URL, not a route",
    ("pwa/assets.py", "/static/"): "static files: a content-hashed URL, not a route",
    ("participants/services.py", "/j"): "the two doors, declared once and used by the join routes' declarations",
    ("participants/services.py", "/u"): "the two doors, declared once and used by the join routes' declarations",
    ("participants/services.py", "/p"): "the partners' door (issue 18), declared with the other two",
}


def _declarations(tree: ast.AST) -> set[int]:
    """ids of string nodes inside route decorators, ``path=`` keywords, ``path =`` assignments, docstrings."""
    skip: set[int] = set()
    for node in ast.walk(tree):
        nodes: list[ast.AST] = []
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            nodes += node.decorator_list
        if isinstance(node, ast.keyword) and node.arg == "path":
            nodes.append(node.value)
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "path" for t in node.targets):
            nodes.append(node.value)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            nodes.append(node.value)  # docstrings and other bare strings
        for inner in nodes:
            skip |= {id(n) for n in ast.walk(inner)}
    return skip


def hand_written_paths() -> list[str]:
    found = []
    for file in sorted(SERVER.rglob("*.py")):
        rel = file.relative_to(SERVER).as_posix()
        if rel.startswith("db/piccolo_migrations/"):
            continue
        tree = ast.parse(file.read_text())
        skip = _declarations(tree)
        for node in ast.walk(tree):
            if id(node) in skip or not isinstance(node, ast.Constant) or not isinstance(node.value, str):
                continue
            text = node.value
            if APP_PATH.match(text) and not any(rel == f and text.startswith(p) for f, p in ALLOWED):
                found.append(f"server/{rel}:{node.lineno}: {text!r}")
    return found


def test_redirects_and_links_in_python_are_built_from_route_names():
    found = hand_written_paths()
    assert not found, "build these with server.lib.paths (redirect_to, path_for):\n" + "\n".join(found)
