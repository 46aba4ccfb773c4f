"""What CONTRIBUTING.md asks of a registered family, checked for each entry of ``lrjit.registry()``: it is
exported by ``lrjit``, has a representative config in ``lrjit/examples.py`` (checked in test_demo.py), a
reference test, a README entry and a doctest (checked in test_doctests.py)."""

from __future__ import annotations

import pathlib
import re

import pytest

import lrjit
from lrjit.examples import examples

ROOT = pathlib.Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
# Suites that cover every registered family generically: they do not count as a family's reference test.
GENERIC = {
    "test_cli.py",
    "test_compose.py",
    "test_config.py",
    "test_contributing.py",
    "test_core.py",
    "test_demo.py",
    "test_doctests.py",
    "test_fusion.py",
    "test_layers.py",
    "test_optax_bridge.py",
    "test_piece_count.py",
    "test_plotting.py",
    "test_registry_properties.py",
    "test_resume.py",
    "test_spec_language.py",
    "test_to_spec.py",
    "test_typing.py",
    "test_validation.py",
}
REFERENCE_TESTS = {
    p.name: p.read_text() for p in sorted((ROOT / "tests").rglob("test_*.py")) if p.name not in GENERIC
}
FAMILIES = sorted(name for name, cls in lrjit.registry().items() if not cls.composite)
COMPOSITIONS = sorted(name for name, cls in lrjit.registry().items() if cls.composite)


@pytest.mark.parametrize("name", FAMILIES + COMPOSITIONS)
def test_exported_by_lrjit(name: str) -> None:
    assert getattr(lrjit, name) is lrjit.registry()[name]
    assert name in lrjit.__all__


@pytest.mark.parametrize("name", FAMILIES + COMPOSITIONS)
def test_has_an_example(name: str) -> None:
    assert name in examples(), f"add a representative {name} to lrjit/examples.py"


@pytest.mark.parametrize("name", FAMILIES)
def test_has_a_reference_test(name: str) -> None:
    word = re.compile(rf"\b{name}\b")
    found = [file for file, text in REFERENCE_TESTS.items() if word.search(text)]
    assert found, f"{name}: no reference test names it (a float64 closed form, a live or golden check)"


@pytest.mark.parametrize("name", FAMILIES + COMPOSITIONS)
def test_has_a_readme_entry(name: str) -> None:
    assert re.search(rf"`(lrjit\.)?{name}\b", README), f"{name}: add it to the README (in backticks)"
