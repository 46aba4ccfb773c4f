"""Every non-composite family in ``lrjit.registry()`` has an independent float64 closed form.

The closed forms, edge steps and hand-picked configs of each source library are in
``test_accuracy_<library>.py`` (the shared machinery, the method and the bounds in ``accuracy.py``); this
file checks, from the registry, that every registered family is covered by one of them with a closed form
and enough configs. Compositions (``lrjit.compose``) are checked against their children's values and
float64 closed forms in ``test_compose.py``.
"""

from __future__ import annotations

import importlib
from types import ModuleType

import lrjit

from accuracy import SAMPLED_PER_FAMILY

LIBRARIES = (
    "keras",
    "tf_compat",
    "mxnet",
    "timm",
    "transformers",
    "torch",
    "t5x",
    "operators",
    "deepspeed",
    "maxtext",
    "big_vision",
    "levanter",
    "nemo",
    "praxis",
    "scenic",
    "optax",
)
FAMILIES = sorted(name for name, cls in lrjit.registry().items() if not cls.composite)


def _library(name: str) -> ModuleType:
    return importlib.import_module(f"test_accuracy_{name}")


def test_every_family_has_a_reference_and_hand_picked_configs() -> None:
    """A newly registered family needs a closed form in its library's file (and its sampled configs fail
    until it has one); a family outside every library file fails here."""
    covered: dict[str, str] = {}
    for name in LIBRARIES:
        module = _library(name)
        for family in module.FAMILIES:
            assert family not in covered, f"{family} in test_accuracy_{name}.py and {covered[family]}"
            covered[family] = f"test_accuracy_{name}.py"
        families = set(module.FAMILIES)
        assert families <= set(module.REFERENCES), sorted(families - set(module.REFERENCES))
        assert families <= set(module.HAND), sorted(families - set(module.HAND))
        for family in families:
            assert SAMPLED_PER_FAMILY + len(module.HAND[family]) >= 5, family
    missing = sorted(set(FAMILIES) - set(covered))
    assert not missing, f"no float64 reference for {missing}: add a test_accuracy_<library>.py"
