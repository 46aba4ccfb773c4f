"""The MXNet 1.9 families (``mxnet/lr_scheduler.py``) and d2l's ``SquareRootScheduler`` against
independent float64 closed forms.

The closed forms follow MXNet 1.9's ``python/mxnet/lr_scheduler.py`` (``LRScheduler.get_warmup_lr``,
``FactorScheduler``, ``MultiFactorScheduler``, ``PolyScheduler``, ``CosineScheduler``; updates counted
from 1) and the d2l book's ``SquareRootScheduler``; the method and the bounds are described in
``accuracy.py``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from accuracy import (
    MAX_STEP,
    Config,
    Stored,
    check_closed_form,
    cos2_half,
    families_of,
    hand,
    multiples,
    params,
)

FAMILIES = families_of("lrjit.families.mxnet")


# ------------------------------------------------------------------------------------------------------
# References: (stored config, int64 steps) -> float64 values
# ------------------------------------------------------------------------------------------------------
def _mxnet_warmup(c: Stored, s: np.ndarray, after: np.ndarray) -> np.ndarray:
    """MXNet LRScheduler.get_warmup_lr for num_update = s + 1 < warmup_steps (n never formed past the
    warmup, so that s + 1 cannot wrap at the top of the int64 range)."""
    w, begin = c.i("warmup_steps"), c.f("warmup_begin_lr")
    n = np.minimum(s, w) + 1
    if c["warmup_mode"] == "linear":
        warm = begin + (c.f("base_lr") - begin) * (n / max(w, 1))
    else:
        warm = np.full(n.shape, begin)
    return np.where(n < w, warm, after)


def ref_factor(c: Stored, s: np.ndarray) -> np.ndarray:
    """MXNet FactorScheduler: base * f ** ((n - 1) // step) floored at stop_factor_lr (after a decay)."""
    k = s // c.i("step")  # (n - 1) // step
    base = c.f("base_lr")
    decayed = np.maximum(base * np.power(c.f("factor"), k.astype(np.float64)), c.f("stop_factor_lr"))
    return _mxnet_warmup(c, s, np.where(k == 0, base, decayed))


def ref_multi_factor(c: Stored, s: np.ndarray) -> np.ndarray:
    """MXNet MultiFactorScheduler: base * f ** #{milestones < n} (= #{milestones <= s})."""
    k = np.searchsorted(c.vec("step", np.int64), s, side="right")
    return _mxnet_warmup(c, s, c.f("base_lr") * np.power(c.f("factor"), k.astype(np.float64)))


def _mxnet_remaining(c: Stored, s: np.ndarray) -> np.ndarray:
    m, w = c.i("max_update"), c.i("warmup_steps")
    n = np.minimum(s, m - 1) + 1  # min(s + 1, m)
    return np.clip((m - n) / (m - w), 0, 1)


def ref_poly(c: Stored, s: np.ndarray) -> np.ndarray:
    """MXNet PolyScheduler, held past max_update; ``1 - p`` as the exact ratio (M - n) / (M - W)."""
    final = c.f("final_lr")
    after = final + (c.f("base_lr") - final) * np.power(_mxnet_remaining(c, s), c.f("pwr"))
    return _mxnet_warmup(c, s, after)


def ref_cosine_scheduler(c: Stored, s: np.ndarray) -> np.ndarray:
    """MXNet CosineScheduler, held past max_update."""
    final = c.f("final_lr")
    after = final + (c.f("base_lr") - final) * cos2_half(1 - _mxnet_remaining(c, s))
    return _mxnet_warmup(c, s, after)


def ref_square_root(c: Stored, s: np.ndarray) -> np.ndarray:
    """d2l SquareRootScheduler: lr * (s + 1) ** -0.5."""
    return c.f("lr") / np.sqrt(s + 1.0)


REFERENCES: dict[str, Callable[[Stored, np.ndarray], np.ndarray]] = {
    "FactorScheduler": ref_factor,
    "MultiFactorScheduler": ref_multi_factor,
    "PolyScheduler": ref_poly,
    "CosineScheduler": ref_cosine_scheduler,
    "SquareRootScheduler": ref_square_root,
}


# ------------------------------------------------------------------------------------------------------
# Edge steps of a config (each is tested with its neighbours +-2)
# ------------------------------------------------------------------------------------------------------
def edges(family: str, c: Stored, limit: int) -> list[int]:
    """Steps where the family's formula switches regime."""
    if family == "FactorScheduler":
        return [c.i("warmup_steps"), *multiples(c.i("step"), limit)]
    if family == "MultiFactorScheduler":
        return [c.i("warmup_steps"), *c.vec("step", np.int64).tolist()]
    if family in ("PolyScheduler", "CosineScheduler"):
        return [c.i("warmup_steps"), c.i("max_update")]
    return []


# ------------------------------------------------------------------------------------------------------
# Configs: hand-picked (the sampled ones come from cls.sample)
# ------------------------------------------------------------------------------------------------------
HAND: dict[str, list[Config]] = {
    "FactorScheduler": [
        hand("FactorScheduler", "step1_to_stop", step=1, factor=0.99, stop_factor_lr=1e-4, base_lr=0.5),
        hand(
            "FactorScheduler",
            "step1e6",
            step=10**6,
            factor=0.5,
            base_lr=1.0,
            warmup_steps=100,
            warmup_begin_lr=0.01,
        ),
        hand(
            "FactorScheduler",
            "constant_warmup",
            step=5,
            factor=0.7,
            base_lr=0.3,
            warmup_steps=13,
            warmup_begin_lr=0.05,
            warmup_mode="constant",
        ),
        hand("FactorScheduler", "stop_above_base", step=6, factor=0.5, stop_factor_lr=5e-4, base_lr=1e-4),
    ],
    "MultiFactorScheduler": [
        hand("MultiFactorScheduler", "three", step=[5, 10, 15], factor=0.5),
        hand(
            "MultiFactorScheduler",
            "far",
            step=[10**5, 10**6, MAX_STEP - 1],
            factor=0.1,
            base_lr=1.0,
            warmup_steps=1000,
            warmup_begin_lr=0.0,
        ),
        hand(
            "MultiFactorScheduler",
            "200_milestones",
            step=list(range(7, 7 + 200 * 40_000, 40_000)),
            factor=0.99,
            warmup_steps=40,
            warmup_begin_lr=0.001,
            warmup_mode="constant",
        ),
    ],
    "PolyScheduler": [
        hand("PolyScheduler", "M1e6_pwr0.5", max_update=10**6, base_lr=0.1, pwr=0.5, final_lr=1e-4),
        hand("PolyScheduler", "M100_pwr2", max_update=100, base_lr=0.1),
        hand(
            "PolyScheduler",
            "M1000_pwr1_warmup",
            max_update=1000,
            base_lr=0.5,
            pwr=1.0,
            final_lr=1e-3,
            warmup_steps=100,
            warmup_begin_lr=0.01,
        ),
        hand(
            "PolyScheduler",
            "M2_pwr3",
            max_update=2,
            base_lr=1.0,
            pwr=3.0,
            warmup_steps=1,
            warmup_begin_lr=0.5,
            warmup_mode="constant",
        ),
    ],
    "CosineScheduler": [
        hand(
            "CosineScheduler",
            "M1e6",
            max_update=10**6,
            base_lr=0.1,
            final_lr=1e-4,
            warmup_steps=10**4,
            warmup_begin_lr=0.0,
        ),
        hand("CosineScheduler", "M1", max_update=1, base_lr=1.0, final_lr=0.25),
        hand(
            "CosineScheduler",
            "M20_constant",
            max_update=20,
            base_lr=0.3,
            warmup_steps=5,
            warmup_begin_lr=0.01,
            warmup_mode="constant",
        ),
    ],
    "SquareRootScheduler": [
        hand("SquareRootScheduler", "lr1", lr=1.0),
        hand("SquareRootScheduler", "lr_small", lr=2.5e-4),
    ],
}


@pytest.mark.parametrize(("cfg", "precision"), params(FAMILIES, HAND))
def test_matches_closed_form(cfg: Config, precision: str) -> None:
    """lrjit within the float32 / x64 bound of the float64 closed form at every tested step."""
    check_closed_form(cfg, precision, REFERENCES, edges)
