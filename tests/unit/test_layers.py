"""The dependency rule, held by reading the imports (every import, lazy and type-only ones included).

`shared/` is in layers, and a module imports only from layers below its own, or from its own package:

    infra (shared.infra, shared.config), triggers     FC shapes in and out, plumbing
    contract                                          the canonical HR event
    dms, messaging, state, hr                         the clients (state: the person register; hr: HR platforms)
    lifecycle, identity                               desired state, convergence, outcome; who an HR person is
    wiring                                            one instance's object graph
    webhook, worker, replay, reconcile, held, roster  the function cores

Beside it: `functions/` imports only `shared/`; `shared/` never imports `functions/`, the local cloud or the
tests; `localcloud/` imports nothing of the product. And no import cycle anywhere in any of them.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAYERS: Mapping[str, int] = {
    "shared.infra": 0,
    "shared.config": 0,
    "shared.triggers": 0,
    "shared.contract": 1,
    "shared.hr": 2,
    "shared.dms": 2,
    "shared.messaging": 2,
    "shared.state": 2,
    "shared.lifecycle": 3,
    "shared.identity": 3,
    "shared.wiring": 4,
    "shared.webhook": 5,
    "shared.worker": 5,
    "shared.replay": 5,
    "shared.reconcile": 5,
    "shared.held": 5,
    "shared.roster": 5,
}
GROUPS = {"shared.config": "shared.infra"}
"""Parts that count as one package for the rule: configuration is plumbing, read by every layer."""
TREES = ("shared", "functions", "localcloud", "soak", "scripts", "bench")


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def imports_of(source: str, module: str) -> set[str]:
    """Every module `source` imports, absolute, wherever the import stands."""
    found: set[str] = set()
    package = module if module.endswith("__init__") else module.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base]) if base else ".".join(parts)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def graph(trees: Iterable[str] = TREES) -> dict[str, set[str]]:
    modules = {
        module_name(p): p for tree in trees for p in (ROOT / tree).rglob("*.py") if "node_modules" not in p.parts
    }
    return {
        name: {i for i in imports_of(path.read_text(encoding="utf-8"), name) if i in modules}
        for name, path in modules.items()
    }


def part(module: str) -> str | None:
    for prefix in sorted(LAYERS, key=len, reverse=True):
        if module == prefix or module.startswith(prefix + "."):
            return GROUPS.get(prefix, prefix)
    return None


def layer_of(module: str) -> int | None:
    found = part(module)
    return None if found is None else min(level for name, level in LAYERS.items() if GROUPS.get(name, name) == found)


def layer_violations(edges: Mapping[str, set[str]]) -> list[str]:
    wrong = []
    for module, imported in sorted(edges.items()):
        if not module.startswith("shared."):
            continue
        mine, level = part(module), layer_of(module)
        assert level is not None, f"{module} belongs to no layer: add it to LAYERS"
        for target in sorted(imported):
            theirs, their_level = part(target), layer_of(target)
            if not target.startswith("shared.") or theirs == mine or target == "shared":
                continue
            if their_level is None or their_level >= level:
                wrong.append(f"{module} (layer {level}) imports {target} (layer {their_level})")
    return wrong


def cycles(edges: Mapping[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in edges.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
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

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


EDGES = graph()


def test_every_module_of_shared_belongs_to_a_layer() -> None:
    assert [m for m in EDGES if m.startswith("shared.") and layer_of(m) is None] == []


def test_no_layer_of_shared_imports_a_higher_one_or_a_sibling() -> None:
    assert layer_violations(EDGES) == []


def test_the_rule_catches_a_lower_layer_importing_a_higher_one() -> None:
    edges = {
        **EDGES,
        "shared.contract.event": {"shared.lifecycle.plan"},
        "shared.dms.client": {"shared.messaging.client"},
    }
    assert layer_violations(edges) == [
        "shared.contract.event (layer 1) imports shared.lifecycle.plan (layer 3)",
        "shared.dms.client (layer 2) imports shared.messaging.client (layer 2)",
    ]


@pytest.mark.parametrize(
    ("tree", "forbidden"),
    [
        ("shared", ("functions", "localcloud", "tests", "soak", "scripts", "bench")),
        ("functions", ("localcloud", "tests", "soak", "scripts", "bench")),
        ("localcloud", ("shared", "functions", "tests", "soak", "scripts", "bench")),
    ],
)
def test_who_may_import_whom_across_the_repository(tree: str, forbidden: tuple[str, ...]) -> None:
    every = {module: imports for module, imports in graph((*TREES, "tests")).items() if module.split(".")[0] == tree}
    crossing = sorted(
        f"{m} imports {i}" for m, imports in every.items() for i in imports if i.split(".")[0] in forbidden
    )
    assert crossing == []


def test_the_functions_import_only_what_their_packages_ship() -> None:
    """The generated DMS SDKs are development-only reference clients (requirements-dev.txt); code that FC runs
    reaching for one would fail on FC with ModuleNotFoundError."""
    development_only = ("alibabacloud_dms20250414", "alibabacloud_dms_enterprise20181101")
    found = sorted(
        f"{module_name(path)} imports {name}"
        for tree in ("shared", "functions")
        for path in (ROOT / tree).rglob("*.py")
        for name in imports_of(path.read_text(encoding="utf-8"), module_name(path))
        if name.split(".")[0] in development_only
    )
    assert found == []


def test_there_is_no_import_cycle_in_the_product_or_the_local_cloud() -> None:
    assert cycles(EDGES) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
