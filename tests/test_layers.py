"""The package's layers point down, and no two modules import each other.

``lrjit.core`` (config machinery, fields, steps, numerics, batching, operators) imports nothing else from
lrjit; ``families`` and ``compose`` import only core (and not each other); ``frontend`` (configs, the spec
language, compile, the importer registry) imports those; ``interop`` (one module per source library)
imports the front end; ``train``, ``viz`` (plots) and the command line sit on top; the package's top-level
modules (``lrjit/__init__.py``, the demo, the examples) may import anything. Every import counts, also one
inside a function. CONTRIBUTING.md describes the layers.
"""

from __future__ import annotations

import ast
import pathlib

import pytest

import lrjit

PACKAGE = pathlib.Path(lrjit.__file__).parent
# Subpackage -> layer; a module may import its own subpackage and lower layers only.
LAYERS = {
    "core": 0,
    "families": 1,
    "compose": 1,
    "frontend": 2,
    "interop": 3,
    "sweep": 3,
    "train": 4,
    "viz": 4,
    "analysis": 4,
    "cli": 5,
}
TOP = max(LAYERS.values()) + 1  # lrjit/__init__.py, lrjit/demo.py, lrjit/examples.py, ...


def module_name(path: pathlib.Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def layer_of(module: str) -> tuple[int, str]:
    """(layer, subpackage) of an lrjit module; top-level modules are the top layer."""
    parts = module.split(".")
    if len(parts) > 1 and parts[1] in LAYERS:
        return LAYERS[parts[1]], parts[1]
    if len(parts) > 1 and module not in MODULES:
        raise AssertionError(f"{module} is not a module of lrjit")
    if len(parts) > 1 and (PACKAGE / parts[1]).is_dir():
        raise AssertionError(f"lrjit/{parts[1]}/ has no layer: add it to LAYERS (and to CONTRIBUTING.md)")
    return TOP, parts[1] if len(parts) > 1 else ""


def imports_in(source: str, where: str) -> list[tuple[str, int]]:
    """The lrjit modules a module's source imports, anywhere in its code, with line numbers."""
    out: list[tuple[str, int]] = []
    for node in ast.walk(ast.parse(source, filename=where)):
        if isinstance(node, ast.Import):
            out += [(a.name, node.lineno) for a in node.names if a.name.split(".")[0] == "lrjit"]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] != "lrjit":
                continue
            for a in node.names:  # ``from lrjit import compose`` imports the subpackage
                sub = f"{node.module}.{a.name}"
                out.append((sub if sub in MODULES else node.module, node.lineno))
        elif isinstance(node, ast.ImportFrom) and node.level:
            raise AssertionError(f"{where}:{node.lineno}: use absolute imports (from lrjit.x import y)")
    return out


def imports_of(module: str) -> list[tuple[str, int]]:
    return imports_in(MODULES[module].read_text(), str(MODULES[module]))


def upward_imports(module: str, source: str) -> list[str]:
    """The imports of ``module`` (given its source) that break the layer rule, described."""
    layer, package = layer_of(module)
    out = []
    for target, line in imports_in(source, module):
        target_layer, target_package = layer_of(target)
        if layer == TOP or (target_package == package) or target_layer < layer:
            continue
        out.append(
            f"{module}:{line} imports {target}: lrjit.{package} (layer {layer}) may import only lower "
            "layers; see the layer table in CONTRIBUTING.md"
        )
    return out


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_point_down(module: str) -> None:
    assert upward_imports(module, MODULES[module].read_text()) == []


def test_no_module_imports_itself_back() -> None:
    """No import cycles between modules (a package's ``__init__`` counts as a module)."""
    graph = {m: {t for t, _ in imports_of(m) if t != m} for m in MODULES}
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> None:
        if module in path:
            cycle = [*path[path.index(module) :], module]
            raise AssertionError("import cycle: " + " -> ".join(cycle))
        if module in done:
            return
        for target in sorted(graph.get(module, ())):
            visit(target, [*path, module])
        done.add(module)

    for module in sorted(graph):
        visit(module, [])


def test_the_rule_catches_upward_and_sideways_imports() -> None:
    """Imports inside functions count; core -> compose, families <-> compose and frontend -> interop are
    refused; downward imports pass."""
    inside = "def f():\n    from lrjit.compose import warmup\n    return warmup\n"
    assert len(upward_imports("lrjit.core.config", inside)) == 1
    assert len(upward_imports("lrjit.families.keras", "import lrjit.compose.warmup\n")) == 1
    assert len(upward_imports("lrjit.compose.warmup", "from lrjit.families import keras\n")) == 1
    assert len(upward_imports("lrjit.frontend.compile", "from lrjit.interop import from_torch\n")) == 1
    assert len(upward_imports("lrjit.core.batch", "import lrjit\n")) == 1
    assert upward_imports("lrjit.compose.warmup", "from lrjit.core import Schedule\n") == []
    assert upward_imports("lrjit.interop.torch", "from lrjit.frontend import importers\n") == []


def test_train_is_reachable_from_import_lrjit() -> None:
    assert lrjit.train.inject_hyperparams.__module__ == "lrjit.train.bridge"
    assert "train" in lrjit.__all__


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_private_name_is_imported_from_another_module(module: str) -> None:
    """Internals stay private: what another module needs is public in its module's ``__all__``."""
    tree = ast.parse(MODULES[module].read_text())
    private = [
        f"{node.module}.{a.name} (line {node.lineno})"
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "lrjit"
        for a in node.names
        if a.name.startswith("_") and not a.name.startswith("__")
    ]
    assert private == []
