"""The package layout (docs/layout.md): no package reaches into another's private modules or
names, every package states its API in `__all__`, and the dependency graph between packages
points one way, from the interfaces down through the stages to db.

The graph is read from the source (every `import` and `from ... import`, also those inside
functions), so a new upward import or cycle fails here, whoever adds it.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "clearreel"

# Top to bottom: a package may import from packages below it (and from itself) only.
# Several packages on one line share a layer and do not import each other.
LAYERS: list[tuple[str, ...]] = [
    ("__main__",),
    ("cli",),
    ("demo",),
    ("web",),
    ("demo_metric", "sample"),
    ("ledger",),
    ("generate",),
    ("attribution",),
    ("train",),
    ("diffusion",),
    ("curate",),
    ("dataset",),
    ("rights",),
    ("provenance",),
    ("media",),
    ("db",),
    ("config",),
    ("util",),
    ("errors",),
]

# Upward imports that remain: none (issue 9 removed the last). Keep it empty: a lower stage
# that needs a higher one's records is a step for the higher package (or an interface).
KNOWN_UPWARD: set[tuple[str, str]] = set()

# A step that reaches downstream wraps a lower function: `train.downstream` adds what a
# revocation, an import or a dataset deletion reaches in the trained models. Outside its own
# package, only the wrapper may call the lower function, so no interface skips the step.
WRAPPED: dict[tuple[str, str], str] = {
    ("clearreel.rights.consents", "revoke"): "clearreel.train.downstream",
    ("clearreel.rights.catalog", "import_catalog"): "clearreel.train.downstream",
    ("clearreel.rights", "import_catalog"): "clearreel.train.downstream",
    ("clearreel.rights.avails", "import_avails"): "clearreel.train.downstream",
    ("clearreel.rights.shotlists", "import_scenes"): "clearreel.train.downstream",
    ("clearreel.dataset", "delete"): "clearreel.train.downstream",
    ("clearreel.dataset._delete", "delete"): "clearreel.train.downstream",
    ("clearreel.dataset", "delete_rows"): "clearreel.train.downstream",
    ("clearreel.dataset._delete", "delete_rows"): "clearreel.train.downstream",
}


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _modules() -> dict[str, ast.Module]:
    out = {}
    for f in sorted(SRC.rglob("*.py")):
        rel = f.relative_to(SRC.parent).with_suffix("")
        name = ".".join(rel.parts)
        out[name.removesuffix(".__init__")] = ast.parse(f.read_text(), str(f))
    return out


def _imports(tree: ast.Module) -> list[tuple[str, list[str]]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module and \
                node.module.split(".")[0] == "clearreel":
            found.append((node.module, [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            found += [(a.name, []) for a in node.names if a.name.split(".")[0] == "clearreel"]
    return found


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = defaultdict(set)
    for name, tree in _modules().items():
        src = _package(name)
        for target, _names in _imports(tree):
            dst = _package(target)
            if dst not in (src, "__init__"):
                edges[src].add(dst)
    return edges


def test_no_module_imports_another_packages_private_module_or_name() -> None:
    bad = []
    for name, tree in _modules().items():
        for target, names in _imports(tree):
            if _package(target) == _package(name):
                continue
            private = [p for p in target.split(".")[2:] if p.startswith("_")]
            private += [n for n in names if n.startswith("_") and not n.startswith("__")]
            if private:
                bad.append(f"{name} imports {target}: {', '.join(private)}")
    assert bad == [], "\n".join(bad)


def test_every_package_exports_its_api() -> None:
    missing = [p.parent.name for p in sorted(SRC.glob("*/__init__.py"))
               if "__all__" not in {t.id for n in ast.walk(ast.parse(p.read_text()))
                                    if isinstance(n, ast.Assign) for t in n.targets
                                    if isinstance(t, ast.Name)}]
    assert missing == []


def test_every_package_has_a_layer() -> None:
    layered = {p for layer in LAYERS for p in layer}
    packages = {p.parent.name for p in SRC.glob("*/__init__.py")}
    packages |= {p.stem for p in SRC.glob("*.py") if p.stem != "__init__"}
    assert packages - layered == set(), "add the new package to LAYERS and docs/layout.md"


def test_imports_point_down_the_layers(graph: dict[str, set[str]]) -> None:
    rank = {p: i for i, layer in enumerate(LAYERS) for p in layer}
    upward = {(a, b) for a, targets in graph.items() for b in targets if rank[b] <= rank[a]}
    assert upward - KNOWN_UPWARD == set(), "an import points up the layers (or sideways)"
    assert KNOWN_UPWARD - upward == set(), "this upward import is gone: remove it from the list"


def test_no_cycle_between_packages(graph: dict[str, set[str]]) -> None:
    edges = {a: {b for b in bs if (a, b) not in KNOWN_UPWARD} for a, bs in graph.items()}
    seen: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        seen[node] = 1
        for nxt in sorted(edges.get(node, ())):
            assert seen.get(nxt) != 1, f"import cycle: {' -> '.join([*path, node, nxt])}"
            if nxt not in seen:
                visit(nxt, [*path, node])
        seen[node] = 2

    for start in sorted(edges):
        if start not in seen:
            visit(start, [])


def test_a_wrapped_function_is_called_through_its_wrapper() -> None:
    bad = []
    for name, tree in _modules().items():
        for target, names in _imports(tree):
            for n in names:
                wrapper = WRAPPED.get((target, n))
                if wrapper and name != wrapper and _package(name) != _package(target):
                    bad.append(f"{name} imports {target}.{n}: call {wrapper}.{n.split('.')[-1]}"
                               " (it reaches the models downstream)")
    assert bad == [], "\n".join(bad)


def test_the_checks_see_an_upward_import_a_cycle_and_a_bypass() -> None:
    """The checks above on a made-up tree: they fail on what they are there to catch."""
    rank = {p: i for i, layer in enumerate(LAYERS) for p in layer}
    tree = ast.parse("from clearreel.train.models import TrainedModel\n"
                     "from clearreel.dataset import delete\n")
    edges = {_package(t) for t, _ in _imports(tree)}
    assert {b for b in edges if rank[b] <= rank["rights"]} == {"train", "dataset"}
    bypass = [(t, n) for t, ns in _imports(tree) for n in ns if (t, n) in WRAPPED]
    assert bypass == [("clearreel.dataset", "delete")]
    with pytest.raises(AssertionError, match="import cycle: db -> provenance -> db"):
        test_no_cycle_between_packages({"db": {"provenance"}, "provenance": {"db"}})
