"""No import circles among tui's modules.

Every import counts: at the top of a module, inside a function (a lazy import) and under
`if TYPE_CHECKING:` (a type-only one). A circle of type-only imports runs fine, but it
still means two modules can't be understood, moved or tested one without the other.
The graph is read from the source with `ast`, so nothing is imported to draw it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

import tui

ROOT = Path(tui.__file__).resolve().parent

#: Circles allowed for now, each with its way out. Empty: any circle fails, and so would an
#: entry here once its circle is gone.
KNOWN: dict[frozenset[str], str] = {}


def modules_under(root: Path, package: str) -> dict[str, Path]:
    """Every module of `package` (rooted at `root`) by dotted name; a package is its
    `__init__`."""
    found = {}
    for path in sorted(root.rglob("*.py")):
        parts = [package, *path.relative_to(root).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imports_of(name: str, path: Path, known: Mapping[str, Path]) -> set[str]:
    """The modules of `known` that `name` imports anywhere in its source. `from pkg import
    mod` imports the module `pkg.mod`; `from mod import thing` imports `mod`."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.add(sub if sub in known else base)
    found.discard(name)
    return found & set(known)


def import_graph(root: Path, package: str) -> dict[str, set[str]]:
    known = modules_under(root, package)
    return {name: imports_of(name, path, known) for name, path in known.items()}


def circles(graph: Mapping[str, Iterable[str]]) -> list[frozenset[str]]:
    """The groups of modules that import one another, directly or around a loop (the
    strongly connected components with more than one module, by Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[frozenset[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in graph.get(node, ()):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(frozenset(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def _described(group: frozenset[str], graph: Mapping[str, Iterable[str]]) -> str:
    edges = [f"{a} -> {b}" for a in sorted(group) for b in sorted(graph[a]) if b in group]
    return "; ".join(edges)


def test_tui_has_no_import_circles():
    graph = import_graph(ROOT, "tui")
    found = circles(graph)
    new = [_described(group, graph) for group in found if group not in KNOWN]
    assert not new, "import circles: " + " | ".join(new)
    gone = [sorted(group) for group in KNOWN if group not in found]
    assert not gone, f"no longer circles, remove them from KNOWN: {gone}"


def test_the_graph_counts_lazy_and_type_only_imports():
    graph = import_graph(ROOT, "tui")
    service = graph["tui.engine.sessions.service"]
    assert "tui.engine.credentials_file.store" in service  # at the top
    assert "tui.engine.profiles.identity_details" in service  # type-only, lazy
    # `from tui.engine.aws import calls` imports the module, not (only) the package.
    assert "tui.engine.aws.calls" in graph["tui.engine.rotation.iam_calls"]
    assert "tui.engine.aws" not in graph["tui.engine.rotation.iam_calls"]


def test_modules_in_folders_are_in_the_graph():
    # The engine's modules live in folders by concern (tui/engine/aws/, .../rotation/, ...):
    # a module in a folder, and the folder's own `__init__`, are nodes like any other.
    graph = import_graph(ROOT, "tui")
    assert {"tui.engine.aws", "tui.engine.aws.calls", "tui.engine.rotation.key_rotation",
            "tui.app.screens.rotation"} <= set(graph)
    assert len(graph) == len(list(ROOT.rglob("*.py")))


def _package(tmp_path: Path, files: dict[str, str]) -> dict[str, set[str]]:
    root = tmp_path / "pkg"
    for name, text in {"__init__.py": "", **files}.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return import_graph(root, "pkg")


def test_a_type_only_circle_is_found(tmp_path):
    graph = _package(tmp_path, {
        "a.py": "from pkg.b import B\n",
        "b.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.a import A\n",
        "c.py": "from pkg import a\n",
    })
    assert circles(graph) == [frozenset({"pkg.a", "pkg.b"})]


def test_a_lazy_circle_through_a_third_module_is_found(tmp_path):
    graph = _package(tmp_path, {
        "a.py": "def f():\n    from pkg import b\n",
        "b.py": "import pkg.sub.c\n",
        "sub/__init__.py": "",
        "sub/c.py": "from .. import a\n",
    })
    assert circles(graph) == [frozenset({"pkg.a", "pkg.b", "pkg.sub.c"})]


def test_a_package_importing_its_own_module_is_no_circle(tmp_path):
    # `pkg/__init__` importing `pkg.a`, and `pkg.a` importing `pkg.b`: no loop.
    graph = _package(tmp_path, {"__init__.py": "from pkg import a\n",
                                "a.py": "from pkg import b\n", "b.py": ""})
    assert circles(graph) == []
