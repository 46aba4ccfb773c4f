"""The NeMo families against a float64 transcription of NeMo's schedulers.

The transcription follows ``nemo/core/optim/lr_scheduler.py`` of NVIDIA/NeMo: each class's constructor
(``warmup_steps`` or ``int(warmup_ratio * max_steps)``, WarmupHoldPolicy's ``hold_steps + warmup_steps``
or 0, WarmupAnnealHoldPolicy's ``decay_steps = max_steps - (constant_steps + warmup_steps)``) and its
``get_lr`` at ``step = last_epoch``, branch by branch in NeMo's order, in Python floats (float64), with
NeMo's errors: ZeroDivisionError (a decay of no steps reached) is NaN, ValueError / AssertionError (a
``min_lr`` above the rate, a Noam hold without warmup) propagate. Counts are exact, as the method of
``accuracy.py`` asks: ``1 - p`` of a decay as an integer ratio (``(M - step) / (M - W)`` for NeMo's ``1 -
(step - W) / (M - W)``), the cycle of ``_poly_decay`` as an integer ceiling. :func:`nemo_lr` is also the
reference of the importer tests (``test_nemo.py``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from accuracy import Config, Stored, check_closed_form, families_of, hand, multiples, params

FAMILIES = families_of("lrjit.families.nemo")

# NeMo's min_lr defaults (the constructors' keyword defaults): SquareAnnealing's is 1e-5, the others 0.
MIN_LR_DEFAULT = {"SquareAnnealing": 1e-5}
HOLD_CLASSES = ("WarmupHoldPolicy", "NoamHoldAnnealing", "PolynomialHoldDecayAnnealing")
WARMUP_CLASSES = (
    "WarmupPolicy",
    "SquareAnnealing",
    "SquareRootAnnealing",
    "WarmupAnnealing",
    "InverseSquareRootAnnealing",
    "PolynomialDecayAnnealing",
)


def _steps_of(count: Any, fraction: Any, max_steps: Any) -> int:
    """NeMo's constructors: the count if given, else ``int(fraction * max_steps)`` if given, else 0."""
    if count is not None:
        return count
    if fraction is not None:
        return int(fraction * max_steps)
    return 0


def _poly_decay(lr: float, k: int, span: int, power: float, min_lr: float, cycle: bool) -> float:
    """``_poly_decay`` with ``1 - p`` as an integer ratio (its ``ceil(k / span)`` as an integer ceiling)."""
    if cycle:
        q = 1 if k == 0 else -(-k // span)
        left = (span * q - k) / (span * q)
    else:
        left = (span - min(k, span)) / span
    return (lr - min_lr) * math.pow(left, power) + min_lr


def _cosine(lr: float, done: int, span: int, min_lr: float) -> float:
    """``_cosine_annealing``: ``(lr - min_lr) * 0.5 * (1 + cos(pi * done / span)) + min_lr``."""
    return (lr - min_lr) * 0.5 * (1 + math.cos(math.pi * (done / span))) + min_lr


def _megatron(lr: float, warmup: int, step: int, decay: int, min_lr: float) -> float:
    """``_linear_warmup_with_cosine_annealing`` (CosineAnnealing with constant steps)."""
    assert lr > min_lr
    if warmup > 0 and step <= warmup:
        return lr * step / warmup
    if step > warmup + decay:
        return min_lr
    return min_lr + 0.5 * (math.cos(math.pi * ((step - warmup) / decay)) + 1.0) * (lr - min_lr)


def nemo_lr(name: str, base_lr: float, step: int, **kw: Any) -> float:
    """The rate of NeMo's ``name`` scheduler built with keyword arguments ``kw`` on an optimizer of rate
    ``base_lr``, at ``last_epoch = step``; NaN where NeMo raises ZeroDivisionError."""
    try:
        return _nemo_lr(name, base_lr, step, **kw)
    except ZeroDivisionError:
        return math.nan


def _nemo_lr(name: str, lr: float, step: int, **kw: Any) -> float:
    max_steps = kw.get("max_steps")
    min_lr = kw.get("min_lr", MIN_LR_DEFAULT.get(name, 0.0))
    warmup = _steps_of(kw.get("warmup_steps"), kw.get("warmup_ratio"), max_steps)

    if name == "NoamAnnealing":
        n = max(1, step)
        if lr < min_lr:
            raise ValueError("initial learning rate lower than min_lr")
        scale = kw["d_model"] ** (-0.5)
        mult = scale * (min(n ** (-0.5), n * warmup ** (-1.5)) if warmup > 0 else n ** (-0.5))
        out = lr * mult
        return max(out, min_lr) if n > warmup else out

    if name == "T5InverseSquareRootAnnealing":
        constant = _steps_of(kw.get("constant_steps"), kw.get("constant_ratio"), max_steps)
        constant_lr = 1 / (kw["constant_steps"] ** 0.5)  # NeMo reads the argument here
        if step <= constant:
            return constant_lr
        if step > max_steps:
            return min_lr
        return 1 / (step**0.5)

    if name == "CosineAnnealing":
        constant = _steps_of(kw.get("constant_steps"), kw.get("constant_ratio"), max_steps)
        decay = max_steps - (constant + warmup)
        if warmup > 0 and step <= warmup:
            if constant == 0:
                return lr * (step + 1) / (warmup + 1)
            return _megatron(lr, warmup, step, decay, min_lr)
        if constant > 0 and warmup + decay < step <= max_steps:
            return _megatron(lr, warmup, step, decay, min_lr)
        if step > max_steps:
            return min_lr
        if lr < min_lr:
            raise ValueError("initial learning rate lower than min_lr")
        if constant == 0:
            return _cosine(lr, step - warmup, max_steps - warmup, min_lr)
        return _megatron(lr, warmup, step, decay, min_lr)

    if name in HOLD_CLASSES:
        given = kw.get("hold_steps") is not None or kw.get("hold_ratio") is not None
        hold_end = _steps_of(kw.get("hold_steps"), kw.get("hold_ratio"), max_steps) + warmup if given else 0
        if step <= warmup and warmup > 0:
            return lr * (step + 1) / (warmup + 1)
        if warmup <= step < hold_end:
            return lr
        if step > max_steps:
            return min_lr
        if name == "WarmupHoldPolicy":
            return lr
        if name == "NoamHoldAnnealing":
            if warmup == 0:
                raise ValueError("Noam scheduler cannot be used without warmup steps")
            hold = hold_end - warmup if hold_end > 0 else 0
            rate = kw.get("decay_rate", 0.5)
            out = lr * max(1, warmup**rate) / max(1, (step - hold) ** rate)
            return max(out, min_lr)
        span = max_steps - max(warmup, hold_end)
        power, cycle = kw.get("power", 1.0), kw.get("cycle", False)
        return _poly_decay(lr, step - hold_end, span, power, min_lr, cycle)

    assert name in WARMUP_CLASSES, name
    if step <= warmup and warmup > 0:
        return lr * (step + 1) / (warmup + 1)
    if max_steps is not None and step > max_steps:
        return min_lr
    if name == "WarmupPolicy":
        return lr
    if name == "SquareAnnealing":  # ((M' - step') / M') ** 2 with M' = M - W, step' = step - W
        return max(lr * ((max_steps - step) / (max_steps - warmup)) ** 2, min_lr)
    if name == "SquareRootAnnealing":
        return max(lr * ((max_steps - step) / max_steps) ** 0.5, min_lr)
    if name == "WarmupAnnealing":  # 1 - (step - W) / (M - W)
        return min_lr + (max_steps - step) / (max_steps - warmup) * (lr - min_lr)
    if name == "InverseSquareRootAnnealing":
        return lr / ((step + 1) / (warmup + 1)) ** 0.5
    power, cycle = kw.get("power", 1.0), kw.get("cycle", False)
    return _poly_decay(lr, step - warmup, max_steps - warmup, power, min_lr, cycle)


# ------------------------------------------------------------------------------------------------------
# The families' stored values as NeMo's keyword arguments
# ------------------------------------------------------------------------------------------------------
_INT_ARGS = ("max_steps", "warmup_steps", "hold_steps", "constant_steps", "d_model")
_FLOAT_ARGS = ("min_lr", "decay_rate", "power")


def nemo_kwargs(c: Stored) -> dict[str, Any]:
    """NeMo's keyword arguments for a stored config (``hold_steps=None`` kept absent, as NeMo's None)."""
    kw: dict[str, Any] = {}
    for name in _INT_ARGS:
        if name in c.config and c[name] is not None:
            kw[name] = c.i(name)
    for name in _FLOAT_ARGS:
        if name in c.config:
            kw[name] = c.f(name)
    if "cycle" in c.config:
        kw["cycle"] = c.b("cycle")
    return kw


def _reference(name: str) -> Callable[[Stored, np.ndarray], np.ndarray]:
    def ref(c: Stored, s: np.ndarray) -> np.ndarray:
        lr = c.f("base_lr") if "base_lr" in c.config else 1.0  # T5InverseSquareRootAnnealing has none
        kw = nemo_kwargs(c)
        return np.array([nemo_lr(name, lr, int(x), **kw) for x in s], np.float64)

    return ref


REFERENCES: dict[str, Callable[[Stored, np.ndarray], np.ndarray]] = {n: _reference(n) for n in FAMILIES}


def edges(family: str, c: Stored, limit: int) -> list[int]:
    kw = nemo_kwargs(c)
    w, m = kw.get("warmup_steps", 0), kw.get("max_steps")
    out = [w, kw.get("constant_steps", 0), kw.get("hold_steps") or 0]
    if m is not None:
        out += [m, m - kw.get("constant_steps", 0), w + (kw.get("hold_steps") or 0), m - w]
        if m - w > 0:
            out += [x for x in multiples(m - w, min(m, limit)) if x > 0]
    return [x for x in out if x >= 0]


# ------------------------------------------------------------------------------------------------------
# Hand-picked configs: zero warmup, warmup past max_steps, steps past max_steps, holds, NeMo's 0 / 0
# ------------------------------------------------------------------------------------------------------
HAND: dict[str, list[Config]] = {
    "WarmupPolicy": [
        hand("WarmupPolicy", "no_end", base_lr=0.1, warmup_steps=100),
        hand("WarmupPolicy", "zero_warmup", base_lr=0.1, warmup_steps=0, max_steps=1000, min_lr=1e-3),
        hand("WarmupPolicy", "warmup_past_end", base_lr=0.1, warmup_steps=500, max_steps=100, min_lr=1e-3),
    ],
    "WarmupHoldPolicy": [
        hand("WarmupHoldPolicy", "hold", base_lr=0.1, max_steps=1000, warmup_steps=100, hold_steps=200),
        hand("WarmupHoldPolicy", "hold_past_end", base_lr=0.1, max_steps=50, warmup_steps=10, hold_steps=90),
        hand("WarmupHoldPolicy", "zero_warmup", base_lr=0.1, max_steps=0, hold_steps=7, min_lr=1e-4),
    ],
    "SquareAnnealing": [
        hand("SquareAnnealing", "defaults", base_lr=0.1, max_steps=100_000, warmup_steps=1000),
        hand("SquareAnnealing", "zero_warmup", base_lr=0.1, max_steps=10),
        hand("SquareAnnealing", "zero_by_zero", base_lr=0.1, max_steps=0),
        hand("SquareAnnealing", "warmup_past_end", base_lr=0.1, max_steps=10, warmup_steps=20),
    ],
    "SquareRootAnnealing": [
        hand(
            "SquareRootAnnealing", "big", base_lr=0.1, max_steps=5_000_000, warmup_steps=10_000, min_lr=1e-5
        ),
        hand("SquareRootAnnealing", "zero_warmup", base_lr=0.1, max_steps=10),
        hand("SquareRootAnnealing", "zero_by_zero", base_lr=0.1, max_steps=0),
    ],
    "CosineAnnealing": [
        hand("CosineAnnealing", "big", base_lr=3e-4, max_steps=1_000_000, warmup_steps=2000, min_lr=3e-5),
        hand("CosineAnnealing", "zero_warmup", base_lr=0.1, max_steps=10),
        hand("CosineAnnealing", "min_lr_at_peak", base_lr=0.1, max_steps=10, warmup_steps=3, min_lr=0.1),
        hand(
            "CosineAnnealing", "constant", base_lr=0.1, max_steps=1000, warmup_steps=100, constant_steps=200
        ),
        hand("CosineAnnealing", "constant_no_warmup", base_lr=0.1, max_steps=1000, constant_steps=200),
        hand(
            "CosineAnnealing",
            "constant_no_decay",
            base_lr=0.1,
            max_steps=50,
            warmup_steps=30,
            constant_steps=40,
        ),
        hand("CosineAnnealing", "zero_by_zero", base_lr=0.1, max_steps=5, constant_steps=5),
        hand("CosineAnnealing", "warmup_past_end", base_lr=0.1, max_steps=10, warmup_steps=20),
    ],
    "NoamAnnealing": [
        hand("NoamAnnealing", "paper", base_lr=2.0, d_model=512, warmup_steps=4000),
        hand("NoamAnnealing", "zero_warmup", base_lr=1.0, d_model=256, min_lr=1e-5),
        hand("NoamAnnealing", "floor", base_lr=1.0, d_model=1024, warmup_steps=10, min_lr=1e-3),
    ],
    "NoamHoldAnnealing": [
        hand(
            "NoamHoldAnnealing",
            "squeezeformer",
            base_lr=1e-3,
            max_steps=10**6,
            warmup_steps=5000,
            hold_steps=20_000,
            decay_rate=1.0,
            min_lr=1e-5,
        ),
        hand("NoamHoldAnnealing", "no_hold", base_lr=0.1, max_steps=1000, warmup_steps=1),
        hand("NoamHoldAnnealing", "hold_past_end", base_lr=0.1, max_steps=20, warmup_steps=5, hold_steps=30),
    ],
    "WarmupAnnealing": [
        hand("WarmupAnnealing", "big", base_lr=0.1, max_steps=3_000_000, warmup_steps=1000, min_lr=1e-4),
        hand("WarmupAnnealing", "zero_warmup", base_lr=0.1, max_steps=1),
        hand("WarmupAnnealing", "zero_by_zero", base_lr=0.1, max_steps=0),
        hand("WarmupAnnealing", "warmup_is_end", base_lr=0.1, max_steps=10, warmup_steps=10),
    ],
    "InverseSquareRootAnnealing": [
        hand("InverseSquareRootAnnealing", "big", base_lr=0.1, max_steps=10**9, warmup_steps=4000),
        hand("InverseSquareRootAnnealing", "zero_warmup", base_lr=0.1, max_steps=100, min_lr=1e-3),
        hand("InverseSquareRootAnnealing", "zero_end", base_lr=0.1, max_steps=0, min_lr=1e-3),
    ],
    "T5InverseSquareRootAnnealing": [
        hand("T5InverseSquareRootAnnealing", "t5", max_steps=10**9, constant_steps=10_000),
        hand(
            "T5InverseSquareRootAnnealing", "constant_past_end", max_steps=5, constant_steps=10, min_lr=1e-3
        ),
        hand("T5InverseSquareRootAnnealing", "one", max_steps=100, constant_steps=1),
    ],
    "PolynomialDecayAnnealing": [
        hand("PolynomialDecayAnnealing", "sqrt", base_lr=0.1, max_steps=10**6, warmup_steps=100, power=0.5),
        hand(
            "PolynomialDecayAnnealing",
            "cycle",
            base_lr=0.1,
            max_steps=100,
            warmup_steps=10,
            power=2.0,
            cycle=True,
            min_lr=1e-4,
        ),
        hand("PolynomialDecayAnnealing", "zero_by_zero", base_lr=0.1, max_steps=0, cycle=True),
        hand("PolynomialDecayAnnealing", "power_zero", base_lr=0.1, max_steps=10, power=0.0),
    ],
    "PolynomialHoldDecayAnnealing": [
        hand(
            "PolynomialHoldDecayAnnealing",
            "hold",
            base_lr=0.1,
            max_steps=1000,
            warmup_steps=100,
            hold_steps=300,
            power=2.0,
        ),
        hand(
            "PolynomialHoldDecayAnnealing",
            "no_hold_cycle",
            base_lr=0.1,
            max_steps=100,
            warmup_steps=70,
            cycle=True,
            min_lr=1e-4,
        ),
        hand("PolynomialHoldDecayAnnealing", "no_hold", base_lr=0.1, max_steps=100, warmup_steps=30),
        hand(
            "PolynomialHoldDecayAnnealing",
            "zero_hold",
            base_lr=0.1,
            max_steps=100,
            warmup_steps=30,
            hold_steps=0,
        ),
        hand(
            "PolynomialHoldDecayAnnealing",
            "hold_to_end",
            base_lr=0.1,
            max_steps=40,
            warmup_steps=10,
            hold_steps=30,
        ),
        hand(
            "PolynomialHoldDecayAnnealing",
            "hold_past_end",
            base_lr=0.1,
            max_steps=40,
            warmup_steps=10,
            hold_steps=50,
            min_lr=1e-3,
        ),
    ],
}


@pytest.mark.parametrize(("cfg", "precision"), params(FAMILIES, HAND))
def test_matches_closed_form(cfg: Config, precision: str) -> None:
    """lrjit within the float32 / x64 bound of the float64 transcription at every tested step."""
    check_closed_form(cfg, precision, REFERENCES, edges)
