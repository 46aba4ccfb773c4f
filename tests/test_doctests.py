"""The docstring examples run: every family and composition module's doctests pass, and every registered
lrjit schedule (compositions included) shows one (a new family without an example fails here)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil
from types import ModuleType

import pytest

import lrjit
import lrjit.analysis
import lrjit.compose
import lrjit.core.operators
import lrjit.core.schedule
import lrjit.families
import lrjit.sweep
import lrjit.train.population


def _submodules(package: ModuleType) -> list[str]:
    return sorted(
        f"{package.__name__}.{info.name}" for info in pkgutil.iter_modules(package.__path__) if not info.ispkg
    )


MODULES = [
    *_submodules(lrjit.families),
    *_submodules(lrjit.compose),
    *_submodules(lrjit.sweep),
    *_submodules(lrjit.analysis),
    lrjit.core.operators.__name__,
    lrjit.core.schedule.__name__,
    "lrjit.frontend.unparse",
    "lrjit.viz.plotting",
    "lrjit.interop.optax",
    "lrjit.train.plateau",
    lrjit.train.population.__name__,
]
# Modules with no public schedule of their own (shared shapes): nothing to show, so no doctest required.
WITHOUT_EXAMPLES = {"lrjit.families.shapes"}


@pytest.mark.parametrize("name", MODULES)
def test_module_doctests_pass(name: str) -> None:
    if name.startswith("lrjit.viz."):
        pytest.importorskip("matplotlib", reason="lrjit.plot needs matplotlib (the plot extra)")
    module = importlib.import_module(name)
    result = doctest.testmod(
        module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False, report=True
    )
    assert result.failed == 0, f"{result.failed} of {result.attempted} doctest examples failed in {name}"
    if name not in WITHOUT_EXAMPLES:
        assert result.attempted > 0, f"{name} has no doctest examples"


def test_every_registered_schedule_has_an_example() -> None:
    # Test files may register their own toy schedules in the same process: only lrjit's are checked.
    ours = {n: cls for n, cls in lrjit.registry().items() if cls.__module__.startswith("lrjit.")}
    assert len(ours) > 40
    missing = sorted(n for n, cls in ours.items() if ">>>" not in (cls.__doc__ or ""))
    assert not missing, f"schedules without a '>>>' example in their docstring: {missing}"


def test_every_public_composition_function_has_an_example() -> None:
    functions = [getattr(lrjit.compose, n) for n in lrjit.compose.__all__]
    missing = sorted(
        f.__name__ for f in functions if not isinstance(f, type) and ">>>" not in (f.__doc__ or "")
    )
    assert not missing, f"composition functions without a '>>>' example: {missing}"
