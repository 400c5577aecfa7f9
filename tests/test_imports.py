"""The import graph of hallsim/ (read with the standard-library ast, nothing imported).

Layers: the CLI sits on top and nothing below imports it; the engines produce traces
and know nothing of experiments or results folders; theory.py is pure mathematics; and
no two modules import each other, directly or round a loop, at module level or inside a
function (a lazy import dodges the import-time error, not the tangle).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "hallsim"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _resolve(name: str) -> str | None:
    """The hallsim module an import names (a submodule if it is one, else its package)."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


def imports_of(module: str) -> set[str]:
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for sub in child.orelse:
                    visit(sub)
                continue
            if isinstance(child, ast.Import):
                for alias in child.names:
                    if alias.name.split(".")[0] == "hallsim" and (target := _resolve(alias.name)):
                        found.add(target)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = package.split(".")
                    anchor = anchor[: len(anchor) - (child.level - 1)]
                    base = ".".join([*anchor, base] if base else anchor)
                if base.split(".")[0] != "hallsim":
                    continue
                for alias in child.names:
                    target = _resolve(f"{base}.{alias.name}") or _resolve(base)
                    if target:
                        found.add(target)
            visit(child)

    visit(tree)
    found.discard(module)
    return found


GRAPH = {m: imports_of(m) for m in MODULES}


def _is_cli(module: str) -> bool:
    return module == "hallsim.cli" or module.startswith("hallsim.cli.")


def _is_engine(module: str) -> bool:
    return module.startswith("hallsim.engines")


def test_the_graph_sees_the_package() -> None:
    assert "hallsim.scenario" in GRAPH and "hallsim.experiment" in GRAPH
    assert "hallsim.scenario" in GRAPH["hallsim.experiment"]


def test_nothing_outside_the_cli_imports_it() -> None:
    allowed = {"hallsim.__main__"}  # `python -m hallsim` runs the CLI
    offenders = {
        (m, t)
        for m, targets in GRAPH.items()
        if not _is_cli(m) and m not in allowed
        for t in targets
        if _is_cli(t)
    }
    assert not offenders


def test_engines_import_neither_experiments_nor_results() -> None:
    upward = ("hallsim.experiment", "hallsim.results", "hallsim.results", "hallsim.sweep")
    engines = [m for m in GRAPH if _is_engine(m)]
    assert engines, "no hallsim.engines package"
    offenders = {
        (m, t)
        for m in engines
        for t in GRAPH[m]
        if t == "hallsim.streaming" or t.startswith(upward)
    }
    assert not offenders


def test_theory_imports_nothing_else_from_hallsim() -> None:
    assert GRAPH["hallsim.theory"] <= {"hallsim"}


def _cycle() -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        stack.append(m)
        for t in sorted(GRAPH[m]):
            if state.get(t) == 1:
                return [*stack[stack.index(t) :], t]
            if t not in state and (found := visit(t)):
                return found
        stack.pop()
        state[m] = 2
        return None

    for m in sorted(GRAPH):
        if m not in state and (found := visit(m)):
            return found
    return None


def test_the_import_graph_is_acyclic() -> None:
    cycle = _cycle()
    assert cycle is None, " -> ".join(cycle or [])


@pytest.mark.parametrize("module", ["hallsim.names", "hallsim.metrics.registry"])
def test_light_modules_stay_light(module: str) -> None:
    """What `hallsim --help` and `validate` read must not pull in numpy or pandas."""
    if module not in MODULES:
        pytest.skip(f"{module} does not exist")
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    heavy = {"numpy", "pandas", "scipy", "matplotlib", "simpy"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            assert not {a.name.split(".")[0] for a in node.names} & heavy
        elif isinstance(node, ast.ImportFrom) and node.module:
            assert node.module.split(".")[0] not in heavy
