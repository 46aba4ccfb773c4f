"""The non-composite family of ``lrjit.core.operators`` (``Constant``, which arithmetic on schedules
builds from numbers) against its float64 closed form, ``optax.constant_schedule``'s value at every step;
the method and the bounds are described in ``accuracy.py``. Compositions are checked against their
children's values and float64 closed forms in ``test_compose.py``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from accuracy import (
    Config,
    Stored,
    check_closed_form,
    families_of,
    hand,
    params,
)

FAMILIES = families_of("lrjit.core.operators")


# ------------------------------------------------------------------------------------------------------
# References: (stored config, int64 steps) -> float64 values
# ------------------------------------------------------------------------------------------------------
def ref_constant(c: Stored, s: np.ndarray) -> np.ndarray:
    """optax.constant_schedule: the value at every step."""
    return np.full(s.shape, c.f("value"))


REFERENCES: dict[str, Callable[[Stored, np.ndarray], np.ndarray]] = {
    "Constant": ref_constant,
}


# ------------------------------------------------------------------------------------------------------
# Edge steps of a config (each is tested with its neighbours +-2)
# ------------------------------------------------------------------------------------------------------
def edges(family: str, c: Stored, limit: int) -> list[int]:
    """A constant has no regime switch."""
    return []


# ------------------------------------------------------------------------------------------------------
# Configs: hand-picked (the sampled ones come from cls.sample)
# ------------------------------------------------------------------------------------------------------
HAND: dict[str, list[Config]] = {
    "Constant": [hand("Constant", "small", value=1e-30), hand("Constant", "negative", value=-2.5)],
}


@pytest.mark.parametrize(("cfg", "precision"), params(FAMILIES, HAND))
def test_matches_closed_form(cfg: Config, precision: str) -> None:
    """lrjit within the float32 / x64 bound of the float64 closed form at every tested step."""
    check_closed_form(cfg, precision, REFERENCES, edges)
