"""The arrows of STYLE.md: packages, and the stages inside ``indexer``, import one way; no circles anywhere."""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

from tests.conftest import REPO

PACKAGES = ("indexer", "service", "eval")
FORBIDDEN = {"indexer": {"service", "eval"}, "service": {"eval"}, "eval": {"service"}}

# The stages of ``indexer`` in pipeline order: a module may import its own stage and the stages
# ranked below it. Stages of one rank are siblings and import neither way.
STAGE_RANK = {
    "": 0,  # models, errors, logs at the package root
    "text": 1,
    "sources": 2,
    "encoders": 2,
    "store": 3,
    "build": 4,
    "search": 4,
    "answer": 5,
    "engines": 6,
    "insights": 6,  # the query log on disk and the reports read from it
    "commands": 7,
}


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {module_name(p): p for package in PACKAGES for p in sorted((REPO / package).rglob("*.py"))}


def _resolve(name: str, known: Mapping[str, Path]) -> str | None:
    """The project module ``name`` lives in: itself, or the closest package above it."""
    while name:
        if name in known:
            return name
        name = name.rpartition(".")[0]
    return None


def imports_of(module: str, path: Path, known: Mapping[str, Path]) -> set[str]:
    """Project modules imported anywhere in the file, inside functions too: a lazy import still closes a circle."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            # ``from pkg import module`` imports the module; ``from module import name`` the module.
            names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
        else:
            continue
        found.update(t for t in (_resolve(n, known) for n in names) if t is not None and t != module)
    return found


def import_graph() -> dict[str, set[str]]:
    known = _modules()
    return {module: imports_of(module, path, known) for module, path in known.items()}


def stage_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 else ""


def back_up_imports(graph: Mapping[str, Iterable[str]]) -> list[str]:
    """Imports between ``indexer`` stages that do not run down the pipeline."""
    found = []
    for module, targets in graph.items():
        if not module.startswith("indexer"):
            continue
        for target in targets:
            if not target.startswith("indexer"):
                continue
            source_stage, target_stage = stage_of(module), stage_of(target)
            if source_stage != target_stage and STAGE_RANK[target_stage] >= STAGE_RANK[source_stage]:
                found.append(f"{module} -> {target}")
    return sorted(found)


def circles(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Every strongly connected group of two or more modules (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_imports_follow_the_package_arrows(package: str) -> None:
    graph = import_graph()
    offenders = {
        module: sorted(t for t in targets if t.split(".")[0] in FORBIDDEN[package])
        for module, targets in graph.items()
        if module.split(".")[0] == package
    }
    assert {m: bad for m, bad in offenders.items() if bad} == {}


def test_every_indexer_module_sits_in_a_known_stage() -> None:
    stages = {stage_of(module) for module in import_graph() if module.startswith("indexer.")}
    assert stages <= STAGE_RANK.keys()


def test_indexer_stages_import_down_the_pipeline_only() -> None:
    assert back_up_imports(import_graph()) == []


def test_no_import_circles_in_the_whole_tree() -> None:
    assert circles(import_graph()) == []


def test_the_checks_catch_a_back_up_import_and_a_circle() -> None:
    graph = {
        "indexer.store.reader": {"indexer.search.retriever"},  # store importing search runs back up
        "indexer.search.retriever": {"indexer.store.reader"},
        "indexer.build.sync": {"indexer.sources.state"},  # down the pipeline: fine
    }
    assert back_up_imports(graph) == ["indexer.store.reader -> indexer.search.retriever"]
    assert circles(graph) == [["indexer.search.retriever", "indexer.store.reader"]]
    assert circles({"a": {"b"}, "b": {"c"}, "c": set()}) == []


def test_relative_and_lazy_imports_are_seen(tmp_path: Path) -> None:
    known = {"indexer.store.reader": Path(), "indexer.store.layout": Path(), "indexer.search": Path()}
    source = tmp_path / "reader.py"
    source.write_text("from .layout import CURRENT\n\ndef f():\n    from indexer import search\n", encoding="utf-8")
    assert imports_of("indexer.store.reader", source, known) == {"indexer.store.layout", "indexer.search"}
