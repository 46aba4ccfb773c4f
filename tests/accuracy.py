"""Shared machinery of the float64 closed-form accuracy tests (``test_accuracy_<library>.py``).

Each ``test_accuracy_<library>.py`` holds, for the registered families of one source library, an
independent float64 closed form (``REFERENCES``), the steps where each formula switches regime
(``edges``) and hand-picked configs (``HAND``); ``test_accuracy.py`` checks that every registered family
has one. The closed forms are written from the families' docstrings and the source libraries' reference
formulas (Keras 3 ``keras.optimizers.schedules``, ``tf.compat.v1.train``, MXNet 1.9
``lr_scheduler.py``, d2l, torch, timm, transformers, fairseq, t5x; each file names its source), in NumPy
float64, with every count done exactly: integer division for staircases, cycles and milestones, ``1 - p``
as an integer ratio, and the cycle index and position of restarts with ``fractions.Fraction``. They are
evaluated on the hyperparameters lrjit stores (float32-rounded without x64), so the comparison measures
lrjit's arithmetic, not the rounding of its inputs.

Each family is tested on configs drawn with ``cls.sample(rng)`` (so new families are covered as soon as
they are registered, and fail until a reference is added) and on hand-picked ones (large and small decay
periods, many cycles, every structural switch), at step 0, the config's edges (periods, boundaries,
restarts, warmup ends; each +-2), a log-spaced set up to 10**7 and the top of the step range (the two
largest int32 steps; under x64 also 2**62 and the two largest int64 steps).

Bounds (``peak`` = the largest |reference| over the tested steps; NaN only where the reference is NaN):

- float32: ``|err| <= 1e-6 * |ref| + 1e-7 * peak``;
- x64 (``jax.enable_x64(True)``, config built inside it): ``|err| <= 1e-12 * |ref| + 1e-15 * peak``.
"""

from __future__ import annotations

import bisect
import dataclasses
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import jax
import numpy as np
import pytest

import lrjit

from bounds import F32_ABS, F32_REL, F64_ABS, F64_REL
from helpers import on_padded as _on_padded

MAX_STEP = 10**7
SAMPLED_PER_FAMILY = 3
LOG_STEPS = np.unique(np.round(np.logspace(0, 7, 281)).astype(np.int64))
BASE_STEPS = np.unique(np.concatenate([np.arange(0, 40), LOG_STEPS, [MAX_STEP - 1, MAX_STEP]]))
TOP_STEPS = np.array([2**31 - 2, 2**31 - 1], np.int64)
TOP_STEPS_X64 = np.array([2**31 - 2, 2**31 - 1, 2**62, 2**63 - 2, 2**63 - 1], np.int64)


PAD = 1 << 16

Reference = Callable[["Stored", np.ndarray], np.ndarray]
Edges = Callable[[str, "Stored", int], list[int]]


def on_padded(fn: Callable[[Any], Any], steps: np.ndarray) -> Any:
    """``fn(steps)``, evaluated on ``steps`` padded to PAD entries (repeating the last one) and cut back:
    every call sees one array shape, so JAX compiles each operation once per dtype."""
    return _on_padded(fn, steps, PAD)


def families_of(module: str) -> list[str]:
    """The registered non-composite families defined in ``module`` (registry-driven: a family added there
    is sampled, and fails until its file has a closed form)."""
    return sorted(
        name for name, cls in lrjit.registry().items() if not cls.composite and cls.__module__ == module
    )


# ------------------------------------------------------------------------------------------------------
# Reading a config's stored values
# ------------------------------------------------------------------------------------------------------
class Stored:
    """The stored hyperparameters of one schedule, as Python/NumPy float64 and int values."""

    def __init__(self, sched: lrjit.Schedule) -> None:
        self.sched = sched
        self.config = sched.config()

    def f(self, name: str) -> float:
        return float(np.asarray(self.config[name], dtype=np.float64))

    def i(self, name: str) -> int:
        return int(np.asarray(self.config[name]))

    def b(self, name: str) -> bool:
        return bool(np.asarray(self.config[name]))

    def vec(self, name: str, dtype: Any) -> np.ndarray:
        return np.asarray(self.config[name], dtype=dtype)

    def __getitem__(self, name: str) -> Any:
        return self.config[name]


def cos2_half(fraction: np.ndarray) -> np.ndarray:
    """0.5 * (1 + cos(pi * f)), written as cos(pi * f / 2)**2 (no cancellation near f = 1)."""
    return np.cos(np.pi * fraction / 2) ** 2


def progress(s: np.ndarray, period: int, staircase: bool) -> np.ndarray:
    return (s // period).astype(np.float64) if staircase else s / period


def cycles(d0: int, t_mul: float, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """SGDR cycle index and position of each step, exactly: cycle i covers [start_i, start_i + d0 t**i)
    with start_i = sum_{j<i} d0 t**j as Fractions; steps past the sum of all cycles (t < 1) give NaN."""
    if t_mul == 1.0:
        return (s // d0).astype(np.float64), (s % d0) / d0
    t = Fraction(t_mul)
    horizon = Fraction(d0) / (1 - t) if t < 1 else None
    inside = [int(x) for x in s if horizon is None or x < horizon]
    last = max(inside, default=0)
    starts, lengths = [Fraction(0)], [Fraction(d0)]
    while starts[-1] + lengths[-1] <= last:
        starts.append(starts[-1] + lengths[-1])
        lengths.append(lengths[-1] * t)
    index = np.full(s.shape, np.nan)
    fraction = np.full(s.shape, np.nan)
    for k, x in enumerate(s.tolist()):
        if horizon is not None and x >= horizon:
            continue
        i = bisect.bisect_right(starts, x) - 1
        index[k] = i
        fraction[k] = float((x - starts[i]) / lengths[i])
    return index, fraction


def multiples(period: int, limit: int, count: int = 4) -> list[int]:
    last = limit // period
    return [period * k for k in (*range(1, count + 1), last - 1, last)]


def steps_for(edges: Edges, family: str, c: Stored, limit: int) -> np.ndarray:
    """Steps 0..39, a log grid to ``limit`` (10**7 by default), each edge of the config +-2 and, for the
    default limit, the top of the step range (no count or sum may wrap there): the two largest int32
    steps, and under x64 also 2**62 and the two largest int64 steps."""
    near = np.asarray(edges(family, c, limit), dtype=np.int64)
    near = (near[:, None] + np.arange(-2, 3)[None, :]).ravel()
    out = np.unique(np.concatenate([BASE_STEPS, near]))
    out = out[(out >= 0) & (out <= limit)]
    if limit != MAX_STEP:
        return out
    return np.concatenate([out, TOP_STEPS_X64 if jax.config.jax_enable_x64 else TOP_STEPS])


# ------------------------------------------------------------------------------------------------------
# Configs
# ------------------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Config:
    """A config to build inside the precision context: ``kwargs``, or ``cls.sample(default_rng(seed))``."""

    family: str
    label: str
    kwargs: dict[str, Any] | None = None
    seed: int = 0
    limit: int = MAX_STEP

    def build(self) -> lrjit.Schedule:
        cls = lrjit.registry()[self.family]
        if self.kwargs is None:
            return cls.sample(np.random.default_rng(self.seed))
        return cls(**self.kwargs)


def hand(family: str, label: str, limit: int = MAX_STEP, **kwargs: Any) -> Config:
    return Config(family, label, kwargs, limit=limit)


def params(
    families: list[str],
    hand_picked: dict[str, list[Config]],
    xfail: Callable[[Config], bool] | None = None,
    reason: str = "",
) -> list[Any]:
    """(config, precision) parameters: SAMPLED_PER_FAMILY sampled configs of each family, then its
    hand-picked ones, each in float32 and x64; a float32 config for which ``xfail(cfg)`` holds is a
    strict expected failure (``reason``)."""
    out = []
    for family in families:
        configs = [Config(family, f"sample{k}", seed=1000 + k) for k in range(SAMPLED_PER_FAMILY)]
        for cfg in configs + hand_picked.get(family, []):
            for precision in ("float32", "x64"):
                marks = []
                if precision == "float32" and xfail is not None and xfail(cfg):
                    marks = [pytest.mark.xfail(strict=True, reason=reason)]
                out.append(
                    pytest.param(cfg, precision, id=f"{cfg.family}-{cfg.label}-{precision}", marks=marks)
                )
    return out


def evaluate(
    cfg: Config, precision: str, references: dict[str, Reference], edges: Edges
) -> tuple[np.ndarray, np.ndarray, np.ndarray, Any]:
    """(steps, lrjit values, reference values, the schedule) for one config at one precision."""
    with jax.enable_x64(precision == "x64"):
        sched = cfg.build()
        stored = Stored(sched)
        steps = steps_for(edges, cfg.family, stored, cfg.limit)
        got = on_padded(sched, steps)
        assert got.dtype == (np.float64 if precision == "x64" else np.float32), got.dtype
        ref = references[cfg.family](stored, steps)
    return steps, np.asarray(got, dtype=np.float64), np.asarray(ref, dtype=np.float64), sched


def error_ratio(got: np.ndarray, ref: np.ndarray, precision: str) -> np.ndarray:
    """err / bound at each step (inf where exactly one of them is NaN, 0 where both are)."""
    rel, floor = (F64_REL, F64_ABS) if precision == "x64" else (F32_REL, F32_ABS)
    peak = float(np.nanmax(np.abs(ref)))
    bound = rel * np.abs(ref) + floor * peak
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.abs(got - ref) / bound
    both_nan = np.isnan(got) & np.isnan(ref)
    ratio = np.where(both_nan, 0.0, ratio)
    ratio = np.where(~both_nan & (np.isnan(got) | np.isnan(ref)), np.inf, ratio)
    return np.where((got == ref) & ~both_nan, 0.0, ratio)


def check_closed_form(cfg: Config, precision: str, references: dict[str, Reference], edges: Edges) -> None:
    """lrjit within the float32 / x64 bound of the float64 closed form at every tested step."""
    if cfg.family not in references:
        pytest.fail(f"no float64 reference for {cfg.family}: add one to its test_accuracy_<library>.py")
    steps, got, ref, sched = evaluate(cfg, precision, references, edges)
    assert np.isfinite(ref).any()
    ratio = error_ratio(got, ref, precision)
    bad = np.flatnonzero(~(ratio <= 1))
    if bad.size:
        worst = bad[np.argsort(-ratio[bad])][:8]
        lines = [f"step {steps[i]}: lrjit={got[i]!r} ref={ref[i]!r} err/bound={ratio[i]:.3g}" for i in worst]
        raise AssertionError(
            f"{sched!r} ({precision}): {bad.size} of {steps.size} steps miss; max err/bound "
            f"{ratio[bad].max():.3g}\n  " + "\n  ".join(lines)
        )
