"""The import contract (docs/plugins.md, "The SDK"), checked by ``make lint`` and a test.

1. A plugin imports ``web.sdk`` and nothing else of core or web (besides itself, the
   plugins it declares in ``PluginInfo.requires``, and libraries).
2. core never imports web: the domain does not know it is served over HTTP.
3. core has no import cycles, counting imports inside functions (a lazy import hides a
   cycle from Python, not from the design); imports under ``if TYPE_CHECKING:`` do not
   count, they never run.

Run as ``python -m tests.contracts.imports``: prints every breach and exits 1 if any.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SDK = "web.sdk"
FIRST_PARTY = ("core", "web", "plugins")


@dataclass(frozen=True)
class Import:
    importer: str  # dotted module name
    target: str  # dotted module name imported (the module, not the attribute)
    line: int
    typing_only: bool


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _walk(node: ast.AST, typing_only: bool = False) -> Iterator[tuple[ast.AST, bool]]:
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _is_type_checking(child.test):
            for sub in child.body:
                yield sub, True
                yield from _walk(sub, True)
            for sub in child.orelse:
                yield sub, typing_only
                yield from _walk(sub, typing_only)
            continue
        yield child, typing_only
        yield from _walk(child, typing_only)


def imports_of(path: Path, known: set[str], root: Path = ROOT) -> list[Import]:
    """Every first-party module ``path`` imports. ``from a import b`` counts as an import
    of ``a.b`` when that is a module (in ``known``), else of ``a``."""
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found = []
    for node, typing_only in _walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*up, base] if base else up)
            subs = [f"{base}.{alias.name}" for alias in node.names]
            targets = [s for s in subs if s in known] or [base]
        for target in targets:
            if target.split(".")[0] in FIRST_PARTY:
                found.append(Import(name, target, node.lineno, typing_only))
    return found


def python_files(root: Path = ROOT) -> Iterator[Path]:
    for top in FIRST_PARTY:
        for path in sorted((root / top).rglob("*.py")):
            if top == "plugins" or "piccolo_migrations" not in path.parts:
                yield path  # a plugin's migrations are held to the contract too


def _within(target: str, prefix: str) -> bool:
    return target == prefix or target.startswith(prefix + ".")


def plugin_requires(plugin: str, root: Path = ROOT) -> tuple[str, ...]:
    """The slugs ``plugins/<plugin>/__init__.py`` declares in ``requires=(...)``, read
    from the source (importing the plugin is what this check must not need)."""
    tree = ast.parse((root / "plugins" / plugin / "__init__.py").read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg == "requires":
            return tuple(ast.literal_eval(node.value))
    return ()


def breaches(root: Path = ROOT) -> list[str]:
    """Every breach of the contract, one line each (empty when it holds)."""
    files = list(python_files(root))
    known = {module_name(p, root) for p in files}
    edges = [imp for path in files for imp in imports_of(path, known, root)]
    problems = []
    for imp in edges:
        where = f"{imp.importer}:{imp.line}"
        if imp.importer.startswith("plugins."):
            own = ".".join(imp.importer.split(".")[:2])
            requires = plugin_requires(own.split(".")[1], root)
            allowed = [SDK, own] + [f"plugins.{r}" for r in requires]
            if imp.target != "plugins" and not any(_within(imp.target, a) for a in allowed):
                problems.append(f"{where} imports {imp.target}: a plugin imports only {SDK}")
        elif _within(imp.importer, "core") and _within(imp.target, "web"):
            problems.append(f"{where} imports {imp.target}: core never imports web")
    graph: dict[str, set[str]] = {}
    for imp in edges:
        if _within(imp.importer, "core") and _within(imp.target, "core") and not imp.typing_only:
            target = imp.target if imp.target in known else imp.target.rpartition(".")[0]
            if target != imp.importer:
                graph.setdefault(imp.importer, set()).add(target)
    problems += [f"import cycle in core: {' → '.join(c)}" for c in cycles(graph)]
    return problems


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle through each strongly connected component of more than one module
    (Tarjan), shown as a path that returns to its start."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                item = stack.pop()
                on_stack.discard(item)
                component.append(item)
                if item == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [_path_through(graph, set(c), c[0]) for c in components]


def _path_through(graph: dict[str, set[str]], members: set[str], start: str) -> list[str]:
    """The shortest cycle from ``start`` back to itself inside one component."""
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for nxt in sorted(graph.get(node, ())):
            if nxt == start:
                return [*paths[node], start]
            if nxt in members and nxt not in paths:
                paths[nxt] = [*paths[node], nxt]
                queue.append(nxt)
    return [start]


def main() -> int:
    problems = breaches()
    for line in problems:
        print(line)
    if problems:
        print(f"{len(problems)} breach(es) of the import contract (tests/contracts/imports.py)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
