"""lrjit's MXNet/d2l families against a literal port of MXNet 1.9's ``python/mxnet/lr_scheduler.py``.

MXNet cannot be installed here, so its scheduler classes are reproduced below line for line (stateful,
Python float64): ``LRScheduler.get_warmup_lr``, the ``while`` loops of ``FactorScheduler`` and
``MultiFactorScheduler``, the ``stop_factor_lr`` clamp, and ``PolyScheduler``/``CosineScheduler`` keeping
``self.base_lr`` once ``num_update > max_update``. Only the ``logging`` calls are left out. d2l's
``SquareRootScheduler`` ("Learning Rate Scheduling" chapter) is reproduced the same way.

Conventions: MXNet's first update calls the scheduler with ``num_update = 1``; lrjit counts steps from 0,
so ``sched(step) == mxnet_scheduler(step + 1)``, with the port called in order n = 1, 2, 3, ... as a
training loop does. d2l calls its square-root scheduler with a 0-based count: ``sched(step) ==
SquareRootScheduler(lr)(step)``.

Bounds (``peak`` = the largest |reference| value over the tested steps):

- x64 (``jax.enable_x64(True)``, config built inside it): ``|err| <= 1e-12 * |ref| + 1e-12 * peak``;
- float32: ``|err| <= 1e-6 * |ref| + 1e-7 * peak``.

In float32 the port is fed the hyperparameters lrjit actually stores (the float32-rounded values, as
Python floats), so the comparison measures lrjit's arithmetic, not the rounding of its inputs.
"""

from __future__ import annotations

import dataclasses
from contextlib import AbstractContextManager
from math import cos, pi
from typing import Any

import jax
import numpy as np
import pytest

import lrjit

from bounds import F32_ABS, F32_REL, F64_ABS, F64_REL
from helpers import on_padded

PRECISIONS = ("float32", "x64")


# ------------------------------------------------------------------------------------------------------
# MXNet 1.9 python/mxnet/lr_scheduler.py, ported literally (logging calls omitted).
# ------------------------------------------------------------------------------------------------------
class LRScheduler:
    """``mxnet.lr_scheduler.LRScheduler``: base rate and the shared warmup."""

    def __init__(self, base_lr=0.01, warmup_steps=0, warmup_begin_lr=0, warmup_mode="linear"):
        self.base_lr = base_lr
        assert isinstance(warmup_steps, int)
        self.warmup_steps = warmup_steps

        self.warmup_final_lr = base_lr
        self.warmup_begin_lr = warmup_begin_lr
        if self.warmup_begin_lr > self.warmup_final_lr:
            raise ValueError("Base lr has to be higher than warmup_begin_lr")
        if self.warmup_steps < 0:
            raise ValueError("Warmup steps has to be positive or 0")
        if warmup_mode not in ["linear", "constant"]:
            raise ValueError("Supports only linear and constant modes of warmup")
        self.warmup_mode = warmup_mode

    def get_warmup_lr(self, num_update):
        assert num_update < self.warmup_steps
        if self.warmup_mode == "linear":
            increase = (
                (self.warmup_final_lr - self.warmup_begin_lr) * float(num_update) / float(self.warmup_steps)
            )
            return self.warmup_begin_lr + increase
        elif self.warmup_mode == "constant":
            return self.warmup_begin_lr
        else:
            raise ValueError(f"Invalid warmup mode {self.warmup_mode}")

    def __call__(self, num_update):
        raise NotImplementedError("must override this")


class FactorScheduler(LRScheduler):
    """``mxnet.lr_scheduler.FactorScheduler``."""

    def __init__(
        self,
        step,
        factor=1,
        stop_factor_lr=1e-8,
        base_lr=0.01,
        warmup_steps=0,
        warmup_begin_lr=0,
        warmup_mode="linear",
    ):
        super().__init__(base_lr, warmup_steps, warmup_begin_lr, warmup_mode)
        if step < 1:
            raise ValueError("Schedule step must be greater or equal than 1 round")
        if factor > 1.0:
            raise ValueError("Factor must be no more than 1 to make lr reduce")
        self.step = step
        self.factor = factor
        self.stop_factor_lr = stop_factor_lr
        self.count = 0

    def __call__(self, num_update):
        if num_update < self.warmup_steps:
            return self.get_warmup_lr(num_update)

        # NOTE: use while rather than if  (for continuing training via load_epoch)
        while num_update > self.count + self.step:
            self.count += self.step
            self.base_lr *= self.factor
            if self.base_lr < self.stop_factor_lr:
                self.base_lr = self.stop_factor_lr
        return self.base_lr


class MultiFactorScheduler(LRScheduler):
    """``mxnet.lr_scheduler.MultiFactorScheduler``."""

    def __init__(self, step, factor=1, base_lr=0.01, warmup_steps=0, warmup_begin_lr=0, warmup_mode="linear"):
        super().__init__(base_lr, warmup_steps, warmup_begin_lr, warmup_mode)
        assert isinstance(step, list) and len(step) >= 1
        for i, _step in enumerate(step):
            if i != 0 and step[i] <= step[i - 1]:
                raise ValueError("Schedule step must be an increasing integer list")
            if _step < 1:
                raise ValueError("Schedule step must be greater or equal than 1 round")
        if factor > 1.0:
            raise ValueError("Factor must be no more than 1 to make lr reduce")
        self.step = step
        self.cur_step_ind = 0
        self.factor = factor
        self.count = 0

    def __call__(self, num_update):
        if num_update < self.warmup_steps:
            return self.get_warmup_lr(num_update)

        # NOTE: use while rather than if  (for continuing training via load_epoch)
        while self.cur_step_ind <= len(self.step) - 1:
            if num_update > self.step[self.cur_step_ind]:
                self.count = self.step[self.cur_step_ind]
                self.cur_step_ind += 1
                self.base_lr *= self.factor
            else:
                return self.base_lr
        return self.base_lr


class PolyScheduler(LRScheduler):
    """``mxnet.lr_scheduler.PolyScheduler``."""

    def __init__(
        self,
        max_update,
        base_lr=0.01,
        pwr=2,
        final_lr=0,
        warmup_steps=0,
        warmup_begin_lr=0,
        warmup_mode="linear",
    ):
        super().__init__(base_lr, warmup_steps, warmup_begin_lr, warmup_mode)
        assert isinstance(max_update, int)
        if max_update < 1:
            raise ValueError("maximum number of updates must be strictly positive")
        self.power = pwr
        self.base_lr_orig = self.base_lr
        self.max_update = max_update
        self.final_lr = final_lr
        self.max_steps = self.max_update - self.warmup_steps

    def __call__(self, num_update):
        if num_update < self.warmup_steps:
            return self.get_warmup_lr(num_update)
        if num_update <= self.max_update:
            self.base_lr = self.final_lr + (self.base_lr_orig - self.final_lr) * pow(
                1 - float(num_update - self.warmup_steps) / float(self.max_steps), self.power
            )
        return self.base_lr


class CosineScheduler(LRScheduler):
    """``mxnet.lr_scheduler.CosineScheduler``."""

    def __init__(
        self, max_update, base_lr=0.01, final_lr=0, warmup_steps=0, warmup_begin_lr=0, warmup_mode="linear"
    ):
        super().__init__(base_lr, warmup_steps, warmup_begin_lr, warmup_mode)
        assert isinstance(max_update, int)
        if max_update < 1:
            raise ValueError("maximum number of updates must be strictly positive")
        self.base_lr_orig = base_lr
        self.max_update = max_update
        self.final_lr = final_lr
        self.max_steps = self.max_update - self.warmup_steps

    def __call__(self, num_update):
        if num_update < self.warmup_steps:
            return self.get_warmup_lr(num_update)
        if num_update <= self.max_update:
            self.base_lr = (
                self.final_lr
                + (self.base_lr_orig - self.final_lr)
                * (1 + cos(pi * (num_update - self.warmup_steps) / self.max_steps))
                / 2
            )
        return self.base_lr


class SquareRootScheduler:
    """d2l.ai "Learning Rate Scheduling": ``lr * pow(num_update + 1.0, -0.5)``, called 0-based."""

    def __init__(self, lr=0.1):
        self.lr = lr

    def __call__(self, num_update):
        return self.lr * pow(num_update + 1.0, -0.5)


MXNET = {
    "FactorScheduler": FactorScheduler,
    "MultiFactorScheduler": MultiFactorScheduler,
    "PolyScheduler": PolyScheduler,
    "CosineScheduler": CosineScheduler,
}


# ------------------------------------------------------------------------------------------------------
# Configs: each (kwargs, number of lrjit steps to compare); the kwargs are valid for MXNet and lrjit alike.
# ------------------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Case:
    family: str
    kwargs: dict[str, Any]
    steps: int
    label: str

    def param(self) -> Any:
        return pytest.param(self, id=f"{self.family}-{self.label}")


CASES = [
    # FactorScheduler: update k uses base_lr * factor**floor((k-1)/step) (strict `>`), clamped at stop.
    Case("FactorScheduler", {"step": 10, "factor": 0.9}, 400, "defaults"),
    Case(
        "FactorScheduler",
        {"step": 250, "factor": 0.5, "stop_factor_lr": 1e-3, "base_lr": 0.1},
        3000,
        "stop_reached",
    ),
    Case(
        "FactorScheduler",
        {"step": 1, "factor": 0.99, "stop_factor_lr": 1e-4, "base_lr": 0.5},
        1200,
        "every_update_to_stop",
    ),
    Case(
        "FactorScheduler",
        {"step": 7, "factor": 0.8, "base_lr": 1.0, "warmup_steps": 20, "warmup_begin_lr": 0.1},
        200,
        "linear_warmup_past_decays",
    ),
    Case(
        "FactorScheduler",
        {
            "step": 5,
            "factor": 0.7,
            "base_lr": 0.3,
            "warmup_steps": 13,
            "warmup_begin_lr": 0.05,
            "warmup_mode": "constant",
        },
        120,
        "constant_warmup",
    ),
    Case("FactorScheduler", {"step": 3, "factor": 1.0, "base_lr": 0.2}, 50, "factor_one"),
    Case(
        "FactorScheduler",
        {"step": 4, "factor": 0.0, "stop_factor_lr": 1e-5, "base_lr": 0.2},
        30,
        "factor_zero",
    ),
    Case(
        "FactorScheduler",
        {"step": 6, "factor": 0.5, "stop_factor_lr": 5e-4, "base_lr": 1e-4},
        40,
        "stop_above_base",
    ),
    # MultiFactorScheduler: multiplied by factor once num_update > each milestone.
    Case("MultiFactorScheduler", {"step": [5, 10, 15], "factor": 0.5}, 40, "three"),
    Case("MultiFactorScheduler", {"step": [1], "factor": 0.1, "base_lr": 1.0}, 10, "at_one"),
    Case(
        "MultiFactorScheduler",
        {"step": [30, 60, 90], "factor": 0.3, "base_lr": 0.1, "warmup_steps": 20, "warmup_begin_lr": 0.001},
        200,
        "linear_warmup",
    ),
    Case(
        "MultiFactorScheduler",
        {
            "step": [30, 60, 90],
            "factor": 0.3,
            "base_lr": 0.1,
            "warmup_steps": 40,
            "warmup_begin_lr": 0.001,
            "warmup_mode": "constant",
        },
        200,
        "milestone_inside_constant_warmup",
    ),
    Case("MultiFactorScheduler", {"step": list(range(3, 300, 6)), "factor": 0.95}, 600, "fifty"),
    Case("MultiFactorScheduler", {"step": [2, 4], "factor": 1.0, "base_lr": 0.7}, 10, "factor_one"),
    # PolyScheduler: final + (base - final) * (1 - (n - W) / (max_update - W))**pwr, held past max_update.
    Case("PolyScheduler", {"max_update": 100, "base_lr": 0.1}, 200, "pwr2_defaults"),
    Case(
        "PolyScheduler", {"max_update": 1000, "base_lr": 0.5, "pwr": 1, "final_lr": 1e-3}, 2000, "pwr1_final"
    ),
    Case(
        "PolyScheduler",
        {"max_update": 500, "base_lr": 0.3, "pwr": 0.5, "warmup_steps": 50, "warmup_begin_lr": 0.01},
        1000,
        "pwr0.5_linear_warmup",
    ),
    Case(
        "PolyScheduler",
        {
            "max_update": 60,
            "base_lr": 0.05,
            "pwr": 2,
            "final_lr": 1e-4,
            "warmup_steps": 10,
            "warmup_begin_lr": 0.002,
            "warmup_mode": "constant",
        },
        120,
        "pwr2_constant_warmup",
    ),
    Case("PolyScheduler", {"max_update": 40, "base_lr": 0.2, "pwr": 0, "final_lr": 0.01}, 80, "pwr0"),
    Case(
        "PolyScheduler",
        {"max_update": 2, "base_lr": 1.0, "pwr": 3, "warmup_steps": 1, "warmup_begin_lr": 0.5},
        6,
        "shortest",
    ),
    # CosineScheduler: final + (base - final) * (1 + cos(pi * (n - W) / (max_update - W))) / 2, held.
    Case("CosineScheduler", {"max_update": 100, "base_lr": 0.1}, 200, "defaults"),
    Case(
        "CosineScheduler",
        {"max_update": 1000, "base_lr": 0.5, "final_lr": 1e-3, "warmup_steps": 100},
        2000,
        "linear_warmup_from_zero",
    ),
    Case(
        "CosineScheduler",
        {
            "max_update": 20,
            "base_lr": 0.3,
            "warmup_steps": 5,
            "warmup_begin_lr": 0.01,
            "warmup_mode": "constant",
        },
        40,
        "constant_warmup",
    ),
    Case("CosineScheduler", {"max_update": 1, "base_lr": 1.0, "final_lr": 0.25}, 4, "max_update_one"),
    Case(
        "CosineScheduler",
        {"max_update": 3000, "base_lr": 2.0, "final_lr": 0.01, "warmup_steps": 1, "warmup_begin_lr": 0.5},
        6000,
        "final_lr_long",
    ),
]


def _precision(name: str) -> AbstractContextManager[Any]:
    return jax.enable_x64(name == "x64")


PAD = 8192


def _padded_curve(sched: lrjit.Schedule, n: int) -> np.ndarray:
    """``sched`` at steps 0..n-1, evaluated on PAD steps and cut back (one array shape for every case, so
    JAX compiles each operation once per dtype)."""
    return np.asarray(on_padded(sched, np.arange(n), PAD))


def _stored_kwargs(sched: lrjit.Schedule, kwargs: dict[str, Any]) -> dict[str, Any]:
    """``kwargs`` with every float replaced by the value lrjit stores (float32-rounded without x64)."""
    out = dict(kwargs)
    for name, value in kwargs.items():
        if isinstance(value, float):
            out[name] = float(np.asarray(getattr(sched, name)))
    return out


def _assert_within(got: np.ndarray, ref: np.ndarray, precision: str, what: str) -> None:
    """``|got - ref| <= rel * |ref| + floor * peak`` at every index (NaN fails); lists the worst misses."""
    rel, floor = (F64_REL, F64_ABS) if precision == "x64" else (F32_REL, F32_ABS)
    peak = float(np.max(np.abs(ref)))
    bound = rel * np.abs(ref) + floor * peak
    err = np.abs(got - ref)
    bad = np.flatnonzero(~(err <= bound))
    if bad.size:
        worst = bad[np.argsort(-(err[bad] / bound[bad]))][:8]
        lines = [
            f"index {i}: lrjit={got[i]!r} ref={ref[i]!r} err/bound={err[i] / bound[i]:.3g}" for i in worst
        ]
        raise AssertionError(f"{what} ({precision}): {bad.size} misses\n  " + "\n  ".join(lines))


@pytest.mark.parametrize("precision", PRECISIONS)
@pytest.mark.parametrize("case", [c.param() for c in CASES])
def test_matches_mxnet_called_in_order(case: Case, precision: str) -> None:
    """``sched(step) == mxnet(step + 1)`` for every step 0..N-1, the port called with n = 1, 2, ..., N.

    Guards the 1-based ``num_update``, the strict ``>`` at milestones, the warmup (``get_warmup_lr``), the
    ``stop_factor_lr`` clamp and the value held past ``max_update``. Reference: MXNet 1.9
    ``python/mxnet/lr_scheduler.py``.
    """
    with _precision(precision):
        sched = getattr(lrjit, case.family)(**case.kwargs)
        got = np.asarray(_padded_curve(sched, case.steps), dtype=np.float64)
        expected_dtype = np.float64 if precision == "x64" else np.float32
        assert sched(0).dtype == expected_dtype
        stored = _stored_kwargs(sched, case.kwargs)
    mx = MXNET[case.family](**stored)
    ref = np.array([mx(n) for n in range(1, case.steps + 1)], dtype=np.float64)
    _assert_within(got, ref, precision, f"{case.family}({case.kwargs})")


@pytest.mark.parametrize("precision", PRECISIONS)
def test_scalar_steps_match_mxnet(precision: str) -> None:
    """Scalar steps, one call at a time: ``sched(k)`` is within the bound of ``mxnet(k + 1)`` (the port
    called in order up to k + 1) at the first, second, middle and last step of every fourth case."""
    for case in CASES[::4]:
        with _precision(precision):
            sched = getattr(lrjit, case.family)(**case.kwargs)
            ks = sorted({0, 1, case.steps // 2, case.steps - 1})
            got = np.array([float(sched(k)) for k in ks])
            stored = _stored_kwargs(sched, case.kwargs)
        mx = MXNET[case.family](**stored)
        curve = [mx(n) for n in range(1, case.steps + 1)]
        ref = np.array([curve[k] for k in ks])
        _assert_within(got, ref, precision, f"{case.family}({case.kwargs}) at scalar steps {ks}")


def test_cases_cover_the_required_knobs() -> None:
    """At least five configs per scheduler, and every knob the port exercises appears somewhere."""
    for family in MXNET:
        cases = [c for c in CASES if c.family == family]
        assert len(cases) >= 5, family
        modes = {c.kwargs.get("warmup_mode", "linear") for c in cases if c.kwargs.get("warmup_steps", 0)}
        assert modes == {"linear", "constant"}, family
        assert any(not c.kwargs.get("warmup_steps", 0) for c in cases), family
    assert any(
        c.kwargs.get("factor", 1) < 1
        and c.kwargs.get("base_lr", 0.01) * c.kwargs["factor"] ** (c.steps // c.kwargs["step"])
        < c.kwargs.get("stop_factor_lr", 1e-8)
        for c in CASES
        if c.family == "FactorScheduler"
    ), "some FactorScheduler case must reach stop_factor_lr"
    assert {c.kwargs.get("pwr", 2) for c in CASES if c.family == "PolyScheduler"} >= {0.5, 1, 2}
    for family in ("PolyScheduler", "CosineScheduler"):
        assert any(c.kwargs.get("final_lr", 0) > 0 for c in CASES if c.family == family)
        assert all(c.steps >= 2 * c.kwargs["max_update"] for c in CASES if c.family == family)
    for c in CASES:
        if c.family == "MultiFactorScheduler":
            assert c.steps > c.kwargs["step"][-1] + 1, "the last milestone must be passed"


# ------------------------------------------------------------------------------------------------------
# d2l's SquareRootScheduler
# ------------------------------------------------------------------------------------------------------
SQRT_STEPS = np.unique(
    np.concatenate([np.arange(0, 2001), np.round(np.logspace(3, 7, 200)).astype(np.int64)])
)


@pytest.mark.parametrize("precision", PRECISIONS)
@pytest.mark.parametrize("lr", [0.1, 1.0, 0.3, 2.5e-4, 7.0])
def test_square_root_scheduler_matches_d2l(lr: float, precision: str) -> None:
    """``sched(step) == lr * (step + 1) ** -0.5``: d2l's ``SquareRootScheduler(lr)(step)`` with its 0-based
    count, steps 0..2000 and log-spaced to 10**7. Reference: d2l.ai, "Learning Rate Scheduling"."""
    with _precision(precision):
        sched = lrjit.SquareRootScheduler(lr)
        got = np.asarray(sched(SQRT_STEPS), dtype=np.float64)
        stored = float(np.asarray(sched.lr))
    d2l = SquareRootScheduler(stored)
    ref = np.array([d2l(int(n)) for n in SQRT_STEPS])
    _assert_within(got, ref, precision, f"SquareRootScheduler({lr})")


def test_square_root_default_lr_is_d2l_default() -> None:
    """d2l's default ``lr=0.1``."""
    assert float(lrjit.SquareRootScheduler()(0)) == pytest.approx(0.1, rel=1e-7)


# ------------------------------------------------------------------------------------------------------
# Construction errors: what MXNet rejects, lrjit rejects with ValueError.
# ------------------------------------------------------------------------------------------------------
BAD = [
    ("FactorScheduler", {"step": 10, "factor": 1.5}, "factor"),
    ("FactorScheduler", {"step": 0}, "step"),
    ("FactorScheduler", {"step": -3}, "step"),
    (
        "FactorScheduler",
        {"step": 5, "base_lr": 0.01, "warmup_steps": 5, "warmup_begin_lr": 0.1},
        "warmup_begin_lr",
    ),
    ("FactorScheduler", {"step": 5, "warmup_steps": 5, "warmup_mode": "cosine"}, "warmup_mode"),
    ("FactorScheduler", {"step": 5, "warmup_steps": -1}, "warmup_steps"),
    ("MultiFactorScheduler", {"step": [5, 10], "factor": 1.01}, "factor"),
    ("MultiFactorScheduler", {"step": [0, 10]}, "step"),
    ("MultiFactorScheduler", {"step": [5, 5]}, "step"),
    ("MultiFactorScheduler", {"step": [10, 5]}, "step"),
    ("MultiFactorScheduler", {"step": [3], "base_lr": 0.1, "warmup_begin_lr": 0.2}, "warmup_begin_lr"),
    ("MultiFactorScheduler", {"step": [3], "warmup_mode": "exp"}, "warmup_mode"),
    ("PolyScheduler", {"max_update": 0}, "max_update"),
    ("PolyScheduler", {"max_update": 100, "base_lr": 0.1, "warmup_begin_lr": 0.5}, "warmup_begin_lr"),
    ("PolyScheduler", {"max_update": 100, "warmup_mode": "exponential"}, "warmup_mode"),
    ("CosineScheduler", {"max_update": -5}, "max_update"),
    ("CosineScheduler", {"max_update": 100, "base_lr": 0.1, "warmup_begin_lr": 0.5}, "warmup_begin_lr"),
    ("CosineScheduler", {"max_update": 100, "warmup_mode": "Linear"}, "warmup_mode"),
]


@pytest.mark.parametrize(
    ("family", "kwargs", "field"), [pytest.param(*b, id=f"{b[0]}-{b[2]}-{i}") for i, b in enumerate(BAD)]
)
def test_mxnet_construction_errors_are_mirrored(family: str, kwargs: dict[str, Any], field: str) -> None:
    """Every config the MXNet constructor rejects with ValueError, lrjit rejects with ValueError naming the
    argument. Reference: the ``raise ValueError`` lines of MXNet 1.9 ``lr_scheduler.py`` (ported above)."""
    with pytest.raises(ValueError):
        MXNET[family](**kwargs)
    with pytest.raises(ValueError, match=f"`{field}`"):
        getattr(lrjit, family)(**kwargs)


@pytest.mark.parametrize("family", ["PolyScheduler", "CosineScheduler"])
@pytest.mark.parametrize("warmup_steps", [10, 20])
def test_max_update_not_after_warmup_is_rejected(family: str, warmup_steps: int) -> None:
    """``max_update <= warmup_steps`` leaves no decay span: lrjit raises ValueError at construction.

    MXNet accepts it: with ``max_update == warmup_steps`` the first post-warmup call divides by
    ``max_steps == 0`` (ZeroDivisionError), and with ``max_update < warmup_steps`` the rate jumps to
    ``base_lr`` and stays there (the port shows both).
    """
    kwargs = {"max_update": 10, "base_lr": 0.1, "warmup_steps": warmup_steps}
    with pytest.raises(ValueError, match="`max_update` must be > `warmup_steps`"):
        getattr(lrjit, family)(**kwargs)
    mx = MXNET[family](**kwargs)
    for n in range(1, warmup_steps):
        mx(n)
    if warmup_steps == 10:
        with pytest.raises(ZeroDivisionError):
            mx(warmup_steps)
    else:
        assert mx(warmup_steps) == 0.1


def test_port_is_stateful_like_mxnet() -> None:
    """The port keeps MXNet's state: PolyScheduler holds its last computed value past ``max_update``, and a
    FactorScheduler called out of order keeps the decays it already applied (the ``while`` loop only moves
    forward). lrjit's values are the in-order ones."""
    poly = PolyScheduler(max_update=10, base_lr=1.0, pwr=1, final_lr=0.1)
    assert [poly(n) for n in (5, 10, 11, 50)][1:] == [pytest.approx(0.1)] * 3
    fresh = PolyScheduler(max_update=10, base_lr=1.0, pwr=1, final_lr=0.1)
    assert fresh(50) == 1.0, "never reached max_update: MXNet returns base_lr"
    factor = FactorScheduler(step=2, factor=0.5, base_lr=1.0)
    assert factor(10) == 0.0625 and factor(1) == 0.0625
