"""The praxis families: ``praxis/schedules.py`` (google/praxis, the Pax schedules) with praxis's class and
attribute names.

A praxis schedule is a *multiplier*: the optimizer's ``learning_rate`` multiplies it
(``praxis.optimizers.BaseOptimizer.get_learning_rate``: ``lr_schedule.value(step) * learning_rate``). Here
that rate is the ``base_lr`` argument, last and 1.0 by default: ``base_lr=1.0`` gives praxis's
``value_at`` itself, ``base_lr=learning_rate`` the rate the optimizer applies. The step is optax's update
count (0 for the first update), the one praxis's optimizers pass.

praxis builds the ``LinearRampup*`` schedules as an ``optax.join_schedules`` of a ramp, a constant and a
decay, each evaluated at the step minus its start; here each is one closed form with the same values.
praxis computes in float32 from a float32 step; here the boundaries (``warmup_steps``, ``decay_start``,
``decay_end``, ``boundaries``) are compared with the integer step and the positions in a phase come from
integer differences, so large steps lose nothing to rounding (praxis's float32 step is 1 ulp off past
2**24), and the dtype is that of the float hyperparameters (float64 under x64).

Validation: what praxis refuses (its asserts and ``ValueError``) raises ``FieldError`` at construction
here, naming the argument; the praxis defaults that cannot run (``max=0.0``, ``decay_end=0``, ``Cosine``'s
``total_steps=0``, which divides by zero) are kept as defaults and raise until set, as praxis's asserts
do. Multipliers (``min_ratio``, ``values``, ``multiplier``, ...) must be >= 0 here, where praxis checks
none.

Not added, because existing lrjit calls express them: ``Constant`` (``lrjit.Constant``);
``PiecewiseSchedule`` (``optax.join_schedules``: ``lrjit.sequence(schedules, boundaries)``);
``CycleSchedule`` (each sub-schedule at the absolute step, picked by ``step mod sum(steps)``: for
constants ``lrjit.Repeat(lrjit.sequence([lrjit.Constant(v) for v in values], cumulative_steps),
sum(steps))``, in general the sum of each sub-schedule times such a repeated 0/1 indicator). praxis's
two-point pieces between ``start=(x0, y0)`` and ``limit=(x1, y1)`` (y0 before x0, y1 from x1 on) are the
decays below without ramp: ``Polynomial(power=p)`` (``origin='start'``; ``Linear``: ``p = 1``),
``DelayedCosine`` and ``Exponential`` are ``LinearRampupPolynomialDecay(0, x0, x1, p, y1 / y0, y0)``,
``LinearRampupCosineDecay(0, x0, x1, y1 / y0, y0)`` and ``LinearRampupExponentialDecay(0, x0, x1, y1 / y0,
y0)`` (for ``y0 > 0``); ``Polynomial(origin='limit')`` is optax's ``polynomial_schedule(y0, y1, p,
x1 - x0, x0)`` (``lrjit.interop.optax``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from lrjit.core import Check, FieldError, FloatLike, FloatVector, IntLike, IntVector, Schedule
from lrjit.core.fields import (
    FINITE,
    NONNEG,
    NONNEG_INT,
    POSITIVE,
    POWER,
    Domain,
    FieldGroup,
    Kind,
    int_range,
    leaf,
    log_uniform,
    uniform,
)
from lrjit.core.numerics import cosine_annealing, count_boundaries_at_or_below, noam, ratio

__all__ = [
    "ContinuousSchedule",
    "Cosine",
    "LinearRampupCosineDecay",
    "LinearRampupExponentialDecay",
    "LinearRampupPiecewiseConstant",
    "LinearRampupPolynomialDecay",
    "LinearRampupSqrtDecay",
    "PiecewiseConstant",
    "SqrtDecay",
    "Transformer",
]

_STEPS = Domain("an integer >= 0", NONNEG_INT.predicate, int_range(0, 500))
_PERIOD = Domain("an integer >= 1", lambda x, xp: x >= 1, int_range(1, 3000))
_PEAK = Domain("a finite float > 0", POSITIVE.predicate, uniform(0.5, 2.0))
_RATIO = Domain("a finite float >= 0", NONNEG.predicate, uniform(0.0, 0.5))
_POSITIVE_RATIO = Domain("a finite float > 0", POSITIVE.predicate, log_uniform(1e-3, 0.5))
_BELOW_ONE = Domain("a float in (0, 1)", lambda x, xp: (x > 0) & (x < 1), log_uniform(1e-3, 0.5))
_MULTIPLIER = Domain("a finite float >= 0", NONNEG.predicate, uniform(0.5, 2.0))
_OFFSET = Domain("a finite float", FINITE.predicate, lambda rng: float(rng.choice([0.0, 0.0, 500.0, -200.0])))
_MODEL_DIM = Domain(
    "an integer >= 1", lambda x, xp: x >= 1, lambda rng: int(rng.choice([128, 256, 512, 1024, 4096]))
)
_REPLICAS = Domain("an integer >= 1", lambda x, xp: x >= 1, int_range(1, 8))
_WARMUP = Domain("an integer >= 0", NONNEG_INT.predicate, int_range(0, 8000))
_BASE_LR = Domain("a finite float >= 0", NONNEG.predicate, log_uniform(1e-4, 1.0))

# The optimizer's learning_rate, which multiplies every praxis schedule (1.0: praxis's value_at itself).
BASE_LR = leaf(Kind.FLOAT, _BASE_LR, default=1.0)


# ------------------------------------------------------------------------------------------------------
# LinearRampup{Polynomial,Cosine,Exponential}Decay
# ------------------------------------------------------------------------------------------------------
RAMPUP = FieldGroup(
    warmup_steps=leaf(Kind.INT, _STEPS, default=0),
    decay_start=leaf(Kind.INT, _STEPS, default=0),
    decay_end=leaf(Kind.INT, _STEPS, default=0),
    max=leaf(Kind.FLOAT, _PEAK, default=0.0),
)


def _rampup_checks(s: Any) -> list[Check]:
    # praxis asserts decay_start >= warmup_steps and decay_end >= decay_start, then its decay piece
    # (Polynomial, DelayedCosine, Exponential from 0 to decay_end - decay_start) refuses a zero length.
    return [
        (s.decay_start >= s.warmup_steps, "`decay_start` must be >= `warmup_steps`"),
        (s.decay_end > s.decay_start, "`decay_end` must be > `decay_start`"),
    ]


def _sample_rampup(rng: np.random.Generator) -> dict[str, Any]:
    """Phases that meet praxis's rules, warmup <= decay_start < decay_end, with room to vary each alone
    (the hold is never empty here: the hand-picked configs of the tests cover that)."""
    w = 0 if rng.random() < 0.2 else int(rng.integers(1, 500))
    start = w + int(rng.integers(1, 1000))
    return {
        "warmup_steps": w,
        "decay_start": start,
        "decay_end": start + int(rng.integers(1, 3000)),
        "max": _PEAK.sample(rng),
        "base_lr": _BASE_LR.sample(rng),
    }


def _rampup(
    s: Any, step: jax.Array, decay: Callable[[jax.Array, jax.Array, jax.Array], jax.Array]
) -> jax.Array:
    """praxis's join of ``Linear((0, 0), (W, max))`` until ``warmup_steps``, ``max`` until ``decay_start``
    and the decay from ``decay_start`` on, ``max * decay(done, left, past_half)``: ``done`` and ``left`` the
    fractions of the decay done and left, from integer counts (1 and 0 from ``decay_end`` on), and whether
    more than half of it is done (an integer compare, so a decay reads each fraction once)."""
    w, start = s.warmup_steps, s.decay_start
    length = s.decay_end - start
    peak = s._float(s.max)
    ramp = peak * ratio(s._float(jnp.minimum(step, w)), s._float(jnp.maximum(w, 1)))
    k = jnp.minimum(jnp.maximum(step - start, 0), length)  # the step inside the decay, in integers
    done = ratio(s._float(k), s._float(length))
    left = ratio(s._float(length - k), s._float(length))
    past_half = k > length - k
    out = jnp.where(step < w, ramp, jnp.where(step < start, peak, peak * decay(done, left, past_half)))
    return s.base_lr * out


def _one_minus_power(done: jax.Array, left: jax.Array, near_end: jax.Array, power: jax.Array) -> jax.Array:
    """``1 - done ** power``: directly until half the decay is done, then as ``-expm1(power *
    log1p(-left))`` from the fraction left, so the value keeps its relative precision near the end of the
    decay (where it is small and the subtraction would cancel). ``0 ** 0 = 1``, as in praxis."""
    safe_left = jnp.where(near_end, left, jnp.full_like(left, 0.5))  # keeps log1p(-1) out of the gradient
    return jnp.where(near_end, -jnp.expm1(power * jnp.log1p(-safe_left)), 1 - jnp.power(done, power))


class LinearRampupPolynomialDecay(Schedule):
    """A linear ramp from 0 to ``max``, ``max`` until ``decay_start``, then a polynomial decay to
    ``max * min_ratio`` at ``decay_end``, held after.

    With ``W, S, E`` the three steps and ``f = (step - S) / (E - S)`` (clamped to 1):
    ``base_lr * max * step / W`` for ``step < W``; ``base_lr * max`` for ``W <= step < S``; then
    ``base_lr * (max + f ** power * (max * min_ratio - max))`` (praxis's ``Polynomial`` with
    ``origin='start'``: ``power > 1`` decays slowly first). Reference:
    ``praxis.schedules.LinearRampupPolynomialDecay`` (a multiplier of the optimizer's rate; see the module).

    Args:
      warmup_steps: W (>= 0; 0: no ramp).
      decay_start: S (>= W, as praxis asserts).
      decay_end: E (> S: praxis's decay piece refuses a zero length).
      power: the polynomial's power (>= 0).
      min_ratio: the end value as a fraction of ``max`` (>= 0).
      max: the peak multiplier (> 0; praxis's default 0.0 raises until set, as praxis's ``'Must set max.'``).
      base_lr: the optimizer's ``learning_rate`` (>= 0; 1.0 gives praxis's multiplier itself).

    Example:
      >>> import lrjit
      >>> sched = lrjit.LinearRampupPolynomialDecay(warmup_steps=10, decay_start=20, decay_end=120,
      ...                                           power=2, min_ratio=0.1, max=1.0)
      >>> print(sched(np.array([0, 5, 10, 20, 70, 120, 500])))
      [0.    0.5   1.    1.    0.775 0.1   0.1  ]
    """

    reference = "praxis.schedules.LinearRampupPolynomialDecay"
    warmup_steps: IntLike = RAMPUP.warmup_steps
    decay_start: IntLike = RAMPUP.decay_start
    decay_end: IntLike = RAMPUP.decay_end
    power: FloatLike = leaf(Kind.FLOAT, POWER, default=1.0)
    min_ratio: FloatLike = leaf(Kind.FLOAT, _RATIO, default=0.01)
    max: FloatLike = RAMPUP.max
    base_lr: FloatLike = BASE_LR

    def _checks(self, xp: Any) -> list[Check]:
        return _rampup_checks(self)

    @classmethod
    def _sample_fields(cls, rng: np.random.Generator, n: int | None = None) -> dict[str, Any]:
        power = float(rng.choice([1.0, 2.0, 3.0, 0.5]))
        return {**_sample_rampup(rng), "power": power, "min_ratio": _RATIO.sample(rng)}

    def _evaluate(self, step: jax.Array) -> jax.Array:
        r = self._float(self.min_ratio)
        p = self._float(self.power)
        return _rampup(
            self, step, lambda done, left, half: r + (1 - r) * _one_minus_power(done, left, half, p)
        )


class LinearRampupCosineDecay(Schedule):
    """A linear ramp from 0 to ``max``, ``max`` until ``decay_start``, then a half cosine to
    ``max * min_ratio`` at ``decay_end``, held after.

    With ``W, S, E`` the three steps and ``f = (step - S) / (E - S)`` (clamped to 1):
    ``base_lr * max * step / W`` for ``step < W``; ``base_lr * max`` for ``W <= step < S``; then
    ``base_lr * max * (min_ratio + (1 - min_ratio) * 0.5 * (1 + cos(pi * f)))`` (praxis's
    ``DelayedCosine``). Reference: ``praxis.schedules.LinearRampupCosineDecay`` (a multiplier of the
    optimizer's rate; see the module).

    Args:
      warmup_steps: W (>= 0; 0: no ramp).
      decay_start: S (>= W, as praxis asserts).
      decay_end: E (> S: praxis's ``DelayedCosine`` refuses a zero length).
      min_ratio: the floor as a fraction of ``max`` (>= 0, as praxis asserts).
      max: the peak multiplier (> 0; praxis's default 0.0 raises until set).
      base_lr: the optimizer's ``learning_rate`` (>= 0; 1.0 gives praxis's multiplier itself).

    Example:
      >>> import lrjit
      >>> sched = lrjit.LinearRampupCosineDecay(warmup_steps=10, decay_start=10, decay_end=110,
      ...                                       min_ratio=0.1, max=1.0, base_lr=0.1)
      >>> print(sched(np.array([0, 5, 10, 60, 110, 500])).round(6))
      [0.    0.05  0.1   0.055 0.01  0.01 ]
    """

    reference = "praxis.schedules.LinearRampupCosineDecay"
    warmup_steps: IntLike = RAMPUP.warmup_steps
    decay_start: IntLike = RAMPUP.decay_start
    decay_end: IntLike = RAMPUP.decay_end
    min_ratio: FloatLike = leaf(Kind.FLOAT, _RATIO, default=0.01)
    max: FloatLike = RAMPUP.max
    base_lr: FloatLike = BASE_LR

    def _checks(self, xp: Any) -> list[Check]:
        return _rampup_checks(self)

    @classmethod
    def _sample_fields(cls, rng: np.random.Generator, n: int | None = None) -> dict[str, Any]:
        return {**_sample_rampup(rng), "min_ratio": _RATIO.sample(rng)}

    def _evaluate(self, step: jax.Array) -> jax.Array:
        r = self._float(self.min_ratio)
        return _rampup(self, step, lambda done, left, half: r + (1 - r) * cosine_annealing(left))


class LinearRampupExponentialDecay(Schedule):
    """A linear ramp from 0 to ``max``, ``max`` until ``decay_start``, then an exponential decay to
    ``max * min_ratio`` at ``decay_end``, held after.

    With ``W, S, E`` the three steps and ``f = (step - S) / (E - S)`` (clamped to 1):
    ``base_lr * max * step / W`` for ``step < W``; ``base_lr * max`` for ``W <= step < S``; then
    ``base_lr * max * min_ratio ** f`` (praxis's ``Exponential``: ``exp`` of the line between ``log(max)``
    and ``log(max * min_ratio)``). Reference: ``praxis.schedules.LinearRampupExponentialDecay`` (a
    multiplier of the optimizer's rate; see the module).

    Args:
      warmup_steps: W (>= 0; 0: no ramp).
      decay_start: S (>= W, as praxis asserts).
      decay_end: E (> S: praxis's ``Exponential`` refuses a zero length).
      min_ratio: the end value as a fraction of ``max`` (> 0, as praxis asserts: it takes its log).
      max: the peak multiplier (> 0; praxis's default 0.0 raises until set).
      base_lr: the optimizer's ``learning_rate`` (>= 0; 1.0 gives praxis's multiplier itself).

    Example:
      >>> import lrjit
      >>> sched = lrjit.LinearRampupExponentialDecay(warmup_steps=10, decay_start=10, decay_end=110,
      ...                                            min_ratio=0.01, max=1.0)
      >>> print(sched(np.array([0, 5, 10, 60, 110, 500])).round(6))
      [0.   0.5  1.   0.1  0.01 0.01]
    """

    reference = "praxis.schedules.LinearRampupExponentialDecay"
    warmup_steps: IntLike = RAMPUP.warmup_steps
    decay_start: IntLike = RAMPUP.decay_start
    decay_end: IntLike = RAMPUP.decay_end
    min_ratio: FloatLike = leaf(Kind.FLOAT, _POSITIVE_RATIO, default=0.01)
    max: FloatLike = RAMPUP.max
    base_lr: FloatLike = BASE_LR

    def _checks(self, xp: Any) -> list[Check]:
        return _rampup_checks(self)

    @classmethod
    def _sample_fields(cls, rng: np.random.Generator, n: int | None = None) -> dict[str, Any]:
        return {**_sample_rampup(rng), "min_ratio": _POSITIVE_RATIO.sample(rng)}

    def _evaluate(self, step: jax.Array) -> jax.Array:
        r = self._float(self.min_ratio)
        return _rampup(self, step, lambda done, left, half: jnp.power(r, done))


# ------------------------------------------------------------------------------------------------------
# PiecewiseConstant, LinearRampupPiecewiseConstant
# ------------------------------------------------------------------------------------------------------
def _praxis_piecewise(step: jax.Array, boundaries: jax.Array, values: jax.Array) -> jax.Array:
    """praxis's ``PiecewiseConstant.value_at`` at integer steps, for sorted ``boundaries`` (n) and
    ``values`` (n + 1).

    praxis walks the boundaries keeping the first *positive* value met (``where(v > 0, v, ...)``), so a
    step in interval ``i < n`` whose value is 0 gets the next positive value among ``values[i..n-1]``,
    or 0 when there is none; from the last boundary on it is ``values[n]``. These effective values are
    one reverse running minimum over the config's values; the step then gathers at its count of
    boundaries passed.
    """
    n = boundaries.shape[-1]
    if n == 0:
        return jnp.broadcast_to(values[0], step.shape)
    head = values[:n]
    index = jnp.where(head > 0, jnp.arange(n), n)  # n: no positive value from here on
    first_positive = lax.cummin(index, axis=0, reverse=True)
    padded = jnp.concatenate([head, jnp.zeros_like(head[:1])])
    effective = jnp.concatenate([jnp.take(padded, first_positive), values[n:]])
    return jnp.take(effective, count_boundaries_at_or_below(step, boundaries), mode="clip")


class PiecewiseConstant(Schedule):
    """``values[i]`` for ``boundaries[i-1] <= step < boundaries[i]``: a boundary step takes the new value
    (unlike Keras's ``PiecewiseConstantDecay``), ``values[-1]`` from the last boundary on.

    As in praxis, a value of 0 in an interval before the last boundary gives way to the next positive
    value after it (praxis keeps the first positive value it meets), or stays 0 if there is none.
    Reference: ``praxis.schedules.PiecewiseConstant`` (a multiplier of the optimizer's rate; see the
    module); praxis compares the steps in float32, here as integers.

    Args:
      boundaries: the steps where the value changes (non-decreasing, as praxis checks; may be empty).
      values: one more than the boundaries (each >= 0).
      base_lr: the optimizer's ``learning_rate`` (>= 0; 1.0 gives praxis's multiplier itself).

    Example:
      >>> import lrjit
      >>> sched = lrjit.PiecewiseConstant(boundaries=[100, 200], values=[1.0, 0.1, 0.01])
      >>> print(sched(np.array([0, 99, 100, 199, 200, 500])))
      [1.   1.   0.1  0.1  0.01 0.01]
    """

    reference = "praxis.schedules.PiecewiseConstant"
    boundaries: IntVector = leaf(Kind.INT_VECTOR, NONNEG_INT)
    values: FloatVector = leaf(Kind.FLOAT_VECTOR, NONNEG)
    base_lr: FloatLike = BASE_LR

    def __post_init__(self) -> None:
        nb, nv = np.shape(self.boundaries)[-1:], np.shape(self.values)[-1:]
        if nb and nv and nv[0] != nb[0] + 1:
            raise FieldError(
                "PiecewiseConstant",
                ("values", "boundaries"),
                f"`values` must have one more entry than `boundaries`, got "
                f"{nv[0]} values for {nb[0]} boundaries",
            )
        super().__post_init__()

    def _checks(self, xp: Any) -> list[Check]:
        b = self.boundaries
        return [(b[..., 1:] >= b[..., :-1], "`boundaries` must be sorted (non-decreasing)")]

    @classmethod
    def _sample_fields(cls, rng: np.random.Generator, n: int | None = None) -> dict[str, Any]:
        n = int(rng.integers(1, 6)) if n is None else n
        boundaries = np.sort(rng.integers(1, 400 * n + 1, size=n))
        values = [float(v) for v in rng.uniform(0.01, 1.0, size=n + 1)]
        return {"boundaries": boundaries.tolist(), "values": values, "base_lr": _BASE_LR.sample(rng)}

    def _evaluate(self, step: jax.Array) -> jax.Array:
        return self.base_lr * _praxis_piecewise(step, self.boundaries, self.values)


class LinearRampupPiecewiseConstant(Schedule):
    """A linear ramp from 0 to ``values[0]`` at ``boundaries[0]``, then ``values[i]`` for
    ``boundaries[i] <= step < boundaries[i+1]`` and ``values[-1]`` from the last boundary on.

    praxis joins ``Linear((0, 0), (boundaries[0], values[0]))`` with a :class:`PiecewiseConstant` of
    ``boundaries[1:] - boundaries[0]`` and all the values, evaluated from ``boundaries[0]`` on (so its
    zero-value rule applies here too). Reference: ``praxis.schedules.LinearRampupPiecewiseConstant`` (a
    multiplier of the optimizer's rate; see the module).

    Args:
      boundaries: at least one step; ``boundaries[0]`` (the ramp's length) >= 1 and ``boundaries[1:]``
        non-decreasing, as praxis requires.
      values: as many as the boundaries (each >= 0).
      base_lr: the optimizer's ``learning_rate`` (>= 0; 1.0 gives praxis's multiplier itself).

    Example:
      >>> import lrjit
      >>> sched = lrjit.LinearRampupPiecewiseConstant(boundaries=[10, 100, 200], values=[1.0, 0.1, 0.01])
      >>> print(sched(np.array([0, 5, 10, 99, 100, 200, 500])))
      [0.   0.5  1.   1.   0.1  0.01 0.01]
    """

    reference = "praxis.schedules.LinearRampupPiecewiseConstant"
    boundaries: IntVector = leaf(Kind.INT_VECTOR, NONNEG_INT)
    values: FloatVector = leaf(Kind.FLOAT_VECTOR, NONNEG)
    base_lr: FloatLike = BASE_LR

    def __post_init__(self) -> None:
        nb, nv = np.shape(self.boundaries)[-1:], np.shape(self.values)[-1:]
        if nb and nv and nv[0] != nb[0]:
            raise FieldError(
                "LinearRampupPiecewiseConstant",
                ("values", "boundaries"),
                f"`values` must have as many entries as `boundaries`, got {nv[0]} values for {nb[0]} "
                "boundaries",
            )
        if nb == (0,):
            raise FieldError(
                "LinearRampupPiecewiseConstant", "boundaries", "`boundaries` must have at least one entry"
            )
        super().__post_init__()

    def _checks(self, xp: Any) -> list[Check]:
        b = self.boundaries
        return [
            (b[..., 0] >= 1, "`boundaries` must start at a step >= 1 (the ramp's length)"),
            (b[..., 2:] >= b[..., 1:-1], "`boundaries` after the first must be sorted (non-decreasing)"),
        ]

    @classmethod
    def _sample_fields(cls, rng: np.random.Generator, n: int | None = None) -> dict[str, Any]:
        n = int(rng.integers(1, 6)) if n is None else n
        boundaries = np.sort(rng.integers(1, 400 * n + 1, size=n))
        values = [float(v) for v in rng.uniform(0.01, 1.0, size=n)]
        return {"boundaries": boundaries.tolist(), "values": values, "base_lr": _BASE_LR.sample(rng)}

    def _evaluate(self, step: jax.Array) -> jax.Array:
        b0 = self.boundaries[0]
        ramp = self.values[0] * ratio(self._float(jnp.minimum(step, b0)), self._float(b0))
        # praxis's piecewise part runs at step - b0 over boundaries[1:] - b0: the same count as the step
        # over boundaries[1:], without the subtraction.
        rest = _praxis_piecewise(step, self.boundaries[1:], self.values)
        return self.base_lr * jnp.where(step < b0, ramp, rest)


# ------------------------------------------------------------------------------------------------------
# Transformer, SqrtDecay, LinearRampupSqrtDecay
# ------------------------------------------------------------------------------------------------------
class Transformer(Schedule):
    """The Transformer ("Noam") schedule: ``model_dim ** -0.5 * min((s + 1) * W ** -1.5, (s + 1) ** -0.5)``.

    ``W = warmup_steps * worker_replicas`` and ``s = min(step, decay_end)`` (``s = step`` without
    ``decay_end``): a linear rise to its peak at ``s + 1 = W``, then ``1 / sqrt(s + 1)``, frozen from
    ``decay_end`` on. ``W = 0`` is allowed as in praxis (``0 ** -1.5`` is inf: the decay from step 0).
    Reference: ``praxis.schedules.Transformer`` (a multiplier of the optimizer's rate; see the module).
    tensor2tensor's form with its constant and optimizer correction is :class:`lrjit.Noam`.

    Args:
      warmup_steps: the warmup per replica (>= 0).
      model_dim: the model width (>= 1).
      worker_replicas: the number of replicas, multiplying the warmup (>= 1).
      decay_end: the step after which the value is held (>= 0), or None.
      base_lr: the optimizer's ``learning_rate`` (>= 0; 1.0 gives praxis's multiplier itself).

    Example:
      >>> import lrjit
      >>> sched = lrjit.Transformer(warmup_steps=4000, model_dim=512)
      >>> print(np.asarray(sched(np.array([0, 3999, 15999])), np.float64).round(10))  # peak: s + 1 = 4000
      [1.747000e-07 6.987712e-04 3.493856e-04]
    """

    reference = "praxis.schedules.Transformer"
    warmup_steps: IntLike = leaf(Kind.INT, _WARMUP, default=4000)
    model_dim: IntLike = leaf(Kind.INT, _MODEL_DIM, default=512)
    worker_replicas: IntLike = leaf(Kind.INT, _REPLICAS, default=1)
    decay_end: IntLike | None = leaf(Kind.INT, NONNEG_INT, default=None, optional=True)
    base_lr: FloatLike = BASE_LR

    def _evaluate(self, step: jax.Array) -> jax.Array:
        held = step if self.decay_end is None else jnp.minimum(step, self.decay_end)
        n = self._float(held) + 1  # in float: no int overflow at the largest step
        w = self._float(self.warmup_steps) * self._float(self.worker_replicas)  # W = 0: n**-0.5, as praxis
        return self.base_lr * ratio(noam(n, w), jnp.sqrt(self._float(self.model_dim)))


class SqrtDecay(Schedule):
    """``multiplier / sqrt(max(step - offset, decay_start))``: constant until ``offset + decay_start``,
    then an inverse square-root decay.

    Reference: ``praxis.schedules.SqrtDecay`` (a multiplier of the optimizer's rate; see the module).

    Args:
      decay_start: the floor of the square root's argument (>= 1: praxis's 0 gives ``rsqrt(0) = inf``
        at ``step <= offset``, refused here).
      multiplier: the scale (>= 0).
      offset: steps subtracted before the decay (a finite float, as praxis's).
      base_lr: the optimizer's ``learning_rate`` (>= 0; 1.0 gives praxis's multiplier itself).

    Example:
      >>> import lrjit
      >>> sched = lrjit.SqrtDecay(decay_start=100, multiplier=1.0)
      >>> print(sched(np.array([0, 100, 400, 10000])))
      [0.1  0.1  0.05 0.01]
    """

    reference = "praxis.schedules.SqrtDecay"
    decay_start: IntLike = leaf(Kind.INT, _PERIOD, default=10000)
    multiplier: FloatLike = leaf(Kind.FLOAT, _MULTIPLIER, default=1.0)
    offset: FloatLike = leaf(Kind.FLOAT, _OFFSET, default=0.0)
    base_lr: FloatLike = BASE_LR

    def _evaluate(self, step: jax.Array) -> jax.Array:
        x = jnp.maximum(self._float(step) - self._float(self.offset), self._float(self.decay_start))
        return self.base_lr * ratio(self._float(self.multiplier), jnp.sqrt(x))


class LinearRampupSqrtDecay(Schedule):
    """``peak * min(s / warmup_steps, sqrt(warmup_steps / s))`` with ``s = max(step, 1)``: a linear rise to
    ``peak`` at ``warmup_steps``, then an inverse square-root decay.

    The Transformer schedule parameterized by its peak (praxis: the Transformer's is
    ``1 / sqrt(model_dim * warmup_steps)``); step 0 takes step 1's value. ``warmup_steps=0`` gives 0 at
    every step, as in praxis (``min(inf, 0)``). Reference: ``praxis.schedules.LinearRampupSqrtDecay`` (a
    multiplier of the optimizer's rate; see the module).

    Args:
      peak: the value at ``warmup_steps`` (>= 0).
      warmup_steps: the warmup length (>= 0).
      base_lr: the optimizer's ``learning_rate`` (>= 0; 1.0 gives praxis's multiplier itself).

    Example:
      >>> import lrjit
      >>> sched = lrjit.LinearRampupSqrtDecay(peak=1.0, warmup_steps=100)
      >>> print(sched(np.array([0, 1, 50, 100, 400])))
      [0.01 0.01 0.5  1.   0.5 ]
    """

    reference = "praxis.schedules.LinearRampupSqrtDecay"
    peak: FloatLike = leaf(Kind.FLOAT, _MULTIPLIER, default=1.0)
    warmup_steps: IntLike = leaf(Kind.INT, _WARMUP, default=4000)
    base_lr: FloatLike = BASE_LR

    def _evaluate(self, step: jax.Array) -> jax.Array:
        s = self._float(jnp.maximum(step, 1))
        w = self._float(self.warmup_steps)
        return self.base_lr * self.peak * jnp.minimum(ratio(s, w), jnp.sqrt(ratio(w, s)))


# ------------------------------------------------------------------------------------------------------
# Cosine, ContinuousSchedule
# ------------------------------------------------------------------------------------------------------
class Cosine(Schedule):
    """A half cosine from ``initial_value`` to ``final_value`` over ``total_steps``, then ``final_value``:
    ``final_value + 0.5 * (initial_value - final_value) * (1 + cos(pi * min(1, step / total_steps)))``.

    Reference: ``praxis.schedules.Cosine`` (a multiplier of the optimizer's rate; see the module).

    Args:
      initial_value: the value at step 0 (>= 0).
      final_value: the value from ``total_steps`` on (>= 0; above ``initial_value`` it rises).
      total_steps: the cosine's length (>= 1: praxis's default 0 divides by zero, NaN at step 0; it
        raises here until set).
      base_lr: the optimizer's ``learning_rate`` (>= 0; 1.0 gives praxis's multiplier itself).

    Example:
      >>> import lrjit
      >>> sched = lrjit.Cosine(initial_value=1.0, final_value=0.1, total_steps=100)
      >>> print(sched(np.array([0, 50, 100, 500])).round(6))
      [1.   0.55 0.1  0.1 ]
    """

    reference = "praxis.schedules.Cosine"
    initial_value: FloatLike = leaf(Kind.FLOAT, _MULTIPLIER, default=1.0)
    final_value: FloatLike = leaf(Kind.FLOAT, _RATIO, default=0.0)
    total_steps: IntLike = leaf(Kind.INT, _PERIOD, default=0)
    base_lr: FloatLike = BASE_LR

    def _evaluate(self, step: jax.Array) -> jax.Array:
        t = self.total_steps
        left = ratio(self._float(t - jnp.minimum(step, t)), self._float(t))  # 1 - min(1, step / T)
        final = self._float(self.final_value)
        return self.base_lr * (final + (self._float(self.initial_value) - final) * cosine_annealing(left))


class ContinuousSchedule(Schedule):
    """``initial_value`` until ``start_step``, then halved every ``half_life_steps`` steps down to
    ``initial_value * min``: ``initial_value * max(min, 0.5 ** ((step - start_step) / half_life_steps))``.

    praxis writes it as an ``Exponential`` from ``(start_step, 1)`` to ``(start_step + half_life_steps *
    log(min) / log(0.5), min)``, the same curve. Reference: ``praxis.schedules.ContinuousSchedule`` (a
    multiplier of the optimizer's rate; see the module).

    Args:
      initial_value: the value before ``start_step`` (>= 0).
      start_step: where the decay starts (>= 0).
      half_life_steps: the steps per halving (>= 1).
      min: the floor as a fraction of ``initial_value``, in (0, 1) (praxis asserts the decay has a
        positive length and a positive end).
      base_lr: the optimizer's ``learning_rate`` (>= 0; 1.0 gives praxis's multiplier itself).

    Example:
      >>> import lrjit
      >>> sched = lrjit.ContinuousSchedule(start_step=100, half_life_steps=100, min=0.1)
      >>> print(sched(np.array([0, 100, 200, 300, 1000])))
      [1.   1.   0.5  0.25 0.1 ]
    """

    reference = "praxis.schedules.ContinuousSchedule"
    initial_value: FloatLike = leaf(Kind.FLOAT, _MULTIPLIER, default=1.0)
    start_step: IntLike = leaf(Kind.INT, _WARMUP, default=400_000)
    half_life_steps: IntLike = leaf(Kind.INT, _PERIOD, default=100_000)
    min: FloatLike = leaf(Kind.FLOAT, _BELOW_ONE, default=0.01)
    base_lr: FloatLike = BASE_LR

    def _evaluate(self, step: jax.Array) -> jax.Array:
        since = self._float(jnp.maximum(step - self.start_step, 0))  # the difference in integers
        halvings = ratio(since, self._float(self.half_life_steps))
        decay = jnp.maximum(self._float(self.min), jnp.power(jnp.asarray(0.5, self.dtype), halvings))
        return self.base_lr * self.initial_value * decay
