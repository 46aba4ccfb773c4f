"""The ``torch.optim.lr_scheduler`` schedulers, with the optimizer's initial rate as ``base_lr``.

PyTorch counts steps from 0: a scheduler built on an optimizer with ``lr=base_lr`` sets the rate of step 0,
and each ``scheduler.step()`` moves to the next step. ``sched(k)`` here is the rate torch's optimizer holds
after ``k`` calls of ``scheduler.step()`` (the *stepped* value, read from ``param_groups[0]['lr']``).

Most torch schedulers update the rate recursively (``lr *= gamma`` and similar) in Python float64; the
recursions telescope to the closed forms below, and the values agree with torch's stepped ones to float64
rounding (checked against torch 2.13 in ``tests/test_torch_families.py``). Where torch raises or divides
by zero, the classes document what lrjit gives instead (a traced step cannot raise).
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from lrjit.core import Check, FloatLike, IntLike, IntVector, Schedule, register_sample_role
from lrjit.core.fields import (
    DECAY_RATE,
    NONNEG,
    NONNEG_INT,
    POSITIVE_INT,
    POWER,
    Domain,
    Kind,
    int_range,
    is_traced,
    leaf,
    static,
    uniform,
)
from lrjit.core.numerics import (
    cosine_annealing,
    count_boundaries_at_or_below,
    periods_and_remainder,
    power,
    ratio,
    whole_periods,
)
from lrjit.families.shapes import cycle_multiplier, geometric_cycle

__all__ = [
    "ConstantLR",
    "CosineAnnealingLR",
    "CosineAnnealingWarmRestarts",
    "CyclicLR",
    "ExponentialLR",
    "LinearLR",
    "MultiStepLR",
    "OneCycleLR",
    "OneCycleMomentum",
    "PolynomialLR",
    "StepLR",
]


_FACTOR = Domain("a float in [0, 1]", lambda x, xp: (x >= 0) & (x <= 1), uniform(0.05, 1.0))
_START_FACTOR = Domain("a float in (0, 1]", lambda x, xp: (x > 0) & (x <= 1), uniform(0.05, 1.0))
_GAMMA = Domain("a finite float > 0", DECAY_RATE.predicate, uniform(0.99, 0.99999))
_CYCLIC_GAMMA = Domain("a finite float > 0", DECAY_RATE.predicate, uniform(0.999, 1.0))
_ETA_MIN = Domain("a finite float >= 0", NONNEG.predicate, uniform(0.0, 1e-3))
_T_MULT = cycle_multiplier(1, lambda rng: float(rng.choice([1.0, 2.0, 3.0])))
_ITERS = Domain("an integer >= 0", NONNEG_INT.predicate, int_range(1, 500))
_HALF_CYCLE = Domain("an integer >= 1", POSITIVE_INT.predicate, int_range(1, 1000))
_DOWN = Domain("an integer >= 0", NONNEG_INT.predicate, int_range(1, 1000))
_TOTAL = Domain("an integer >= 1", POSITIVE_INT.predicate, int_range(10, 3000))
_PCT = Domain("a float in (0, 1)", lambda x, xp: (x > 0) & (x < 1), uniform(0.1, 0.45))
_DIV = Domain("a finite float > 0", lambda x, xp: xp.isfinite(x) & (x > 0), uniform(5.0, 50.0))
_FINAL_DIV = Domain("a finite float > 0", _DIV.predicate, uniform(10.0, 1e4))
_MOMENTUM = Domain("a finite float >= 0", NONNEG.predicate, uniform(0.5, 0.99))

ANNEAL_STRATEGIES = ("cos", "linear")
CYCLIC_MODES = ("triangular", "triangular2", "exp_range")
SCALE_MODES = (None, "cycle", "iterations")


# ------------------------------------------------------------------------------------------------------
class StepLR(Schedule):
    """``base_lr * gamma ** floor(step / step_size)``.

    Reference: ``torch.optim.lr_scheduler.StepLR`` (torch multiplies the rate by ``gamma`` at every
    positive multiple of ``step_size``; the products agree with the power to float64 rounding).

    Args:
      base_lr: the optimizer's initial rate (>= 0).
      step_size: steps between decays (>= 1).
      gamma: the decay factor (> 0).

    Example:
      >>> import lrjit
      >>> sched = lrjit.StepLR(base_lr=0.1, step_size=30, gamma=0.1)
      >>> print(sched(np.array([0, 29, 30, 60])))
      [0.1   0.1   0.01  0.001]
    """

    reference = "torch.optim.lr_scheduler.StepLR"
    base_lr: FloatLike = leaf(Kind.FLOAT, NONNEG)
    step_size: IntLike = leaf(Kind.INT, _HALF_CYCLE)
    gamma: FloatLike = leaf(Kind.FLOAT, DECAY_RATE, default=0.1)

    def _evaluate(self, step: jax.Array) -> jax.Array:
        decays = whole_periods(step, self.step_size)
        return self.base_lr * power(self._float(self.gamma), self._float(decays))


class MultiStepLR(Schedule):
    """``base_lr * gamma ** #{milestones <= step}``, counting repeated milestones with their multiplicity.

    Reference: ``torch.optim.lr_scheduler.MultiStepLR`` (a ``Counter`` of milestones: a milestone given
    twice multiplies by ``gamma ** 2`` at that step; order does not matter; a milestone 0 applies at step 0).

    Args:
      base_lr: the optimizer's initial rate (>= 0).
      milestones: steps (>= 0) at which the rate is multiplied by ``gamma``, in any order, repeats allowed.
      gamma: the decay factor (> 0).

    Example:
      >>> import lrjit
      >>> sched = lrjit.MultiStepLR(base_lr=1.0, milestones=[30, 80, 80], gamma=0.1)
      >>> print(sched(np.array([0, 30, 79, 80])))  # a repeated milestone decays twice
      [1.    0.1   0.1   0.001]
    """

    reference = "torch.optim.lr_scheduler.MultiStepLR"
    base_lr: FloatLike = leaf(Kind.FLOAT, NONNEG)
    milestones: IntVector = leaf(Kind.INT_VECTOR, NONNEG_INT)
    gamma: FloatLike = leaf(Kind.FLOAT, DECAY_RATE, default=0.1)

    def __post_init__(self) -> None:
        super().__post_init__()
        # torch takes milestones in any order (a Counter); the order does not change the curve, so concrete
        # milestones are stored sorted, as the boundary count needs them.
        m = self.milestones
        if not is_traced(m):
            object.__setattr__(
                self, "milestones", jnp.sort(m, axis=-1) if isinstance(m, jax.Array) else np.sort(m)
            )

    def _checks(self, xp: Any) -> list[Check]:
        m = self.milestones
        if not is_traced(m):  # concrete milestones are sorted by the constructor
            return []
        return [(m[..., 1:] >= m[..., :-1], "`milestones` must be sorted (the constructor sorts given ones)")]

    @classmethod
    def _sample_fields(cls, rng: np.random.Generator, n: int | None = None) -> dict[str, Any]:
        n = int(rng.integers(1, 6)) if n is None else n
        fields = super()._sample_fields(rng)
        fields["milestones"] = np.sort(rng.integers(0, 300 * n + 1, size=n)).tolist()
        return fields

    def _evaluate(self, step: jax.Array) -> jax.Array:
        decays = count_boundaries_at_or_below(step, self.milestones)
        at_most = self.milestones.shape[-1]
        return self.base_lr * power(self._float(self.gamma), self._float(decays), at_most=at_most)


class ConstantLR(Schedule):
    """``base_lr * factor`` for ``step < total_iters``, then ``base_lr``.

    Reference: ``torch.optim.lr_scheduler.ConstantLR``. Stepped torch never restores the rate when
    ``total_iters == 0`` (it scales by ``factor`` at step 0 and checks for ``step == total_iters`` only
    afterwards): lrjit follows that, ``base_lr * factor`` at every step. With ``factor == 0`` torch divides
    by zero at step ``total_iters``; lrjit gives ``base_lr`` from there on.

    Args:
      base_lr: the optimizer's initial rate (>= 0).
      factor: the multiplier before ``total_iters``, in [0, 1].
      total_iters: the number of scaled steps (>= 0).

    Example:
      >>> import lrjit
      >>> sched = lrjit.ConstantLR(base_lr=0.1, factor=0.5, total_iters=4)
      >>> print(sched(np.array([0, 3, 4, 10])))
      [0.05 0.05 0.1  0.1 ]
    """

    reference = "torch.optim.lr_scheduler.ConstantLR"
    base_lr: FloatLike = leaf(Kind.FLOAT, NONNEG)
    factor: FloatLike = leaf(Kind.FLOAT, _FACTOR, default=1.0 / 3)
    total_iters: IntLike = leaf(Kind.INT, _ITERS, default=5)

    def _evaluate(self, step: jax.Array) -> jax.Array:
        scaled = (step < self.total_iters) | (self.total_iters == 0)
        return jnp.where(scaled, self.base_lr * self.factor, self.base_lr)


class LinearLR(Schedule):
    """``base_lr * (start_factor + (end_factor - start_factor) * min(step, total_iters) / total_iters)``.

    Reference: ``torch.optim.lr_scheduler.LinearLR`` (a recursive update that telescopes to this line).
    With ``total_iters == 0`` stepped torch holds ``base_lr * start_factor`` forever; lrjit too.

    Args:
      base_lr: the optimizer's initial rate (>= 0).
      start_factor: the multiplier at step 0, in (0, 1].
      end_factor: the multiplier from ``total_iters`` on, in [0, 1].
      total_iters: the length of the ramp (>= 0).

    Example:
      >>> import lrjit
      >>> sched = lrjit.LinearLR(base_lr=0.1, start_factor=0.25, end_factor=1.0, total_iters=4)
      >>> print(sched(np.array([0, 1, 2, 4, 10])))
      [0.025   0.04375 0.0625  0.1     0.1    ]
    """

    reference = "torch.optim.lr_scheduler.LinearLR"
    base_lr: FloatLike = leaf(Kind.FLOAT, NONNEG)
    start_factor: FloatLike = leaf(Kind.FLOAT, _START_FACTOR, default=1.0 / 3)
    end_factor: FloatLike = leaf(Kind.FLOAT, _FACTOR, default=1.0)
    total_iters: IntLike = leaf(Kind.INT, _ITERS, default=5)

    def _evaluate(self, step: jax.Array) -> jax.Array:
        total = self.total_iters
        done = jnp.where(total == 0, 0, jnp.minimum(step, total))
        progress = ratio(self._float(done), self._float(jnp.maximum(total, 1)))
        start, end = self._float(self.start_factor), self._float(self.end_factor)
        return self.base_lr * (start + (end - start) * progress)


class ExponentialLR(Schedule):
    """``base_lr * gamma ** step``.

    Reference: ``torch.optim.lr_scheduler.ExponentialLR`` (one multiplication by ``gamma`` per step in
    float64; it agrees with the power to about ``step * 1e-16`` relative).

    Args:
      base_lr: the optimizer's initial rate (>= 0).
      gamma: the per-step factor (> 0).

    Example:
      >>> import lrjit
      >>> sched = lrjit.ExponentialLR(base_lr=1.0, gamma=0.5)
      >>> print(sched(np.array([0, 1, 2, 3])))
      [1.    0.5   0.25  0.125]
    """

    reference = "torch.optim.lr_scheduler.ExponentialLR"
    base_lr: FloatLike = leaf(Kind.FLOAT, NONNEG)
    gamma: FloatLike = leaf(Kind.FLOAT, _GAMMA)

    def _evaluate(self, step: jax.Array) -> jax.Array:
        return self.base_lr * power(self._float(self.gamma), self._float(step))


class PolynomialLR(Schedule):
    """``base_lr * (1 - min(step, total_iters) / total_iters) ** power``: 0 from ``total_iters`` on
    (``base_lr`` for ``power == 0``).

    Reference: ``torch.optim.lr_scheduler.PolynomialLR``. With ``total_iters == 0`` stepped torch never
    changes the rate: lrjit gives ``base_lr`` at every step.

    Args:
      base_lr: the optimizer's initial rate (>= 0).
      total_iters: the decay length (>= 0).
      power: the polynomial's power (>= 0).

    Example:
      >>> import lrjit
      >>> sched = lrjit.PolynomialLR(base_lr=0.1, total_iters=4, power=2.0)
      >>> print(sched(np.array([0, 2, 4, 10])))
      [0.1   0.025 0.    0.   ]
    """

    reference = "torch.optim.lr_scheduler.PolynomialLR"
    base_lr: FloatLike = leaf(Kind.FLOAT, NONNEG)
    total_iters: IntLike = leaf(Kind.INT, _ITERS, default=5)
    power: FloatLike = leaf(Kind.FLOAT, POWER, default=1.0)

    def _evaluate(self, step: jax.Array) -> jax.Array:
        total = self.total_iters
        left = jnp.where(total == 0, 1, total - jnp.minimum(step, total))
        remaining = ratio(self._float(left), self._float(jnp.maximum(total, 1)))
        return self.base_lr * jnp.power(remaining, self._float(self.power))


# ------------------------------------------------------------------------------------------------------
class CosineAnnealingLR(Schedule):
    """``eta_min + (base_lr - eta_min) * (1 + cos(pi * step / T_max)) / 2``, periodic with period
    ``2 * T_max`` (not clamped at ``T_max``: the rate rises back to ``base_lr`` at ``2 * T_max``).

    Reference: ``torch.optim.lr_scheduler.CosineAnnealingLR``. torch's stepped rate follows a recursion:
    each step multiplies ``lr - eta_min`` by ``(1 + cos(pi t / T_max)) / (1 + cos(pi (t - 1) / T_max))``,
    and the step after each minimum adds ``(base_lr - eta_min) * (1 - cos(pi / T_max)) / 2`` to
    ``eta_min``. It telescopes to this closed form, periodic past ``T_max``; measured against torch 2.13
    (stepped, float64) the two agree to float64 rounding past ``T_max`` as well (the two roundings of
    ``cos`` near +-1 in the restart step and the next ratio cancel).

    Args:
      base_lr: the optimizer's initial rate (>= 0).
      T_max: the half period, in steps (>= 1).
      eta_min: the minimum rate, reached at odd multiples of ``T_max`` (>= 0).

    Example:
      >>> import lrjit
      >>> sched = lrjit.CosineAnnealingLR(base_lr=0.1, T_max=10, eta_min=0.0)
      >>> print(sched(np.array([0, 5, 10, 15, 20])))  # periodic: back up after T_max
      [0.1  0.05 0.   0.05 0.1 ]
    """

    reference = "torch.optim.lr_scheduler.CosineAnnealingLR"
    base_lr: FloatLike = leaf(Kind.FLOAT, NONNEG)
    T_max: IntLike = leaf(Kind.INT, _HALF_CYCLE)
    eta_min: FloatLike = leaf(Kind.FLOAT, _ETA_MIN, default=0.0)

    def _evaluate(self, step: jax.Array) -> jax.Array:
        t_max = jnp.asarray(self.T_max, step.dtype)
        # step mod 2 T_max; where 2 T_max passes the integer range, every step is in the first period.
        beyond = t_max > jnp.iinfo(step.dtype).max - t_max
        period = jnp.where(beyond, 1, 2 * t_max)
        phase = jnp.where(beyond, step, periods_and_remainder(step, period)[1])
        away = jnp.abs(t_max - phase)  # steps from the nearest minimum
        left = ratio(self._float(away), self._float(t_max))
        done = ratio(self._float(t_max - away), self._float(t_max))
        # eta + (base - eta) * c as base * c + eta * (1 - c), 1 - c from its own exact fraction (no
        # cancellation near the peak, in the value or in d/d eta_min)
        return self.base_lr * cosine_annealing(left) + self.eta_min * cosine_annealing(done)


class CosineAnnealingWarmRestarts(Schedule):
    """SGDR: ``eta_min + (base_lr - eta_min) * (1 + cos(pi * T_cur / T_i)) / 2``, with cycles of
    ``T_i = T_0 * T_mult ** i`` steps and ``T_cur`` the step's position in its cycle.

    Reference: ``torch.optim.lr_scheduler.CosineAnnealingWarmRestarts`` (torch requires an integer
    ``T_mult``; lrjit also accepts a float >= 1, the cycles then starting at the non-integer
    ``T_0 * (T_mult**i - 1) / (T_mult - 1)``).

    Args:
      base_lr: the optimizer's initial rate (>= 0).
      T_0: the length of the first cycle (>= 1).
      T_mult: the cycle-length multiplier (>= 1).
      eta_min: the minimum rate (>= 0).

    Example:
      >>> import lrjit
      >>> sched = lrjit.CosineAnnealingWarmRestarts(base_lr=0.1, T_0=10, T_mult=2)
      >>> print(sched(np.array([0, 5, 10, 20, 30])))  # restarts at 10 and 10 + 20
      [0.1  0.05 0.1  0.05 0.1 ]
    """

    reference = "torch.optim.lr_scheduler.CosineAnnealingWarmRestarts"
    base_lr: FloatLike = leaf(Kind.FLOAT, NONNEG)
    T_0: IntLike = leaf(Kind.INT, _HALF_CYCLE)
    T_mult: FloatLike = leaf(Kind.FLOAT, _T_MULT, default=1.0)
    eta_min: FloatLike = leaf(Kind.FLOAT, _ETA_MIN, default=0.0)

    def _evaluate(self, step: jax.Array) -> jax.Array:
        _, left = geometric_cycle(step, self.T_0, self._float(self.T_mult), self.dtype)
        # eta + (base - eta) * c as base * c + eta * (1 - c): no cancellation in d/d eta_min near the peak
        return self.base_lr * cosine_annealing(left) + self.eta_min * cosine_annealing(1 - left)


# ------------------------------------------------------------------------------------------------------
class CyclicLR(Schedule):
    """Cyclical learning rates (Smith 2017): ``base_lr + (max_lr - base_lr) * h(step) * scale``.

    With ``total = step_size_up + step_size_down``, ``cycle = floor(1 + step / total)`` and
    ``x = 1 + step / total - cycle``: ``h = x / r`` while ``x <= r`` (``r = step_size_up / total``), else
    ``(x - 1) / (r - 1)``. ``scale`` is 1 (``'triangular'``), ``1 / 2 ** (c - 1)`` (``'triangular2'``) or
    ``gamma ** c`` (``'exp_range'``), with ``c = cycle`` for ``scale_mode='cycle'`` and ``c = step`` for
    ``'iterations'`` (``scale_mode=None``: ``'cycle'`` for the triangular modes, ``'iterations'`` for
    ``'exp_range'``, as torch's defaults).

    Reference: ``torch.optim.lr_scheduler.CyclicLR`` (its custom ``scale_fn`` and momentum cycling are
    not covered). torch ignores ``scale_mode`` for its three built-in modes (it always uses the mode's
    default; ``scale_mode`` applies only to a custom ``scale_fn``): ``scale_mode=None`` gives torch's
    values, and an explicit ``scale_mode`` gives what torch gives for the mode's ``scale_fn`` passed as a
    custom one with that ``scale_mode``. lrjit takes ``h`` from exact integer positions
    (``(step mod total) / step_size_up`` rising, ``(total - step mod total) / step_size_down`` falling);
    torch computes ``x`` in float64 from ``step / total``, with an error of about ``1e-16 * cycle`` that
    ``h`` amplifies by ``total / step_size_up``: the two agree to float64 rounding for the first thousands
    of cycles.

    Args:
      base_lr: the rate at the start of each cycle (>= 0).
      max_lr: the peak of the first cycle (>= 0).
      step_size_up: steps from the start of a cycle to its peak (>= 1).
      step_size_down: steps from the peak to the end of the cycle (>= 0); None: ``step_size_up`` (stored
        resolved).
      mode: ``'triangular'``, ``'triangular2'`` or ``'exp_range'``.
      gamma: the ``'exp_range'`` factor (> 0).
      scale_mode: ``None``, ``'cycle'`` or ``'iterations'``.

    Example:
      >>> import lrjit
      >>> sched = lrjit.CyclicLR(base_lr=0.1, max_lr=1.0, step_size_up=2, mode='triangular2')
      >>> print(sched(np.arange(9)))
      [0.1   0.55  1.    0.55  0.1   0.325 0.55  0.325 0.1  ]
    """

    reference = "torch.optim.lr_scheduler.CyclicLR"
    base_lr: FloatLike = leaf(Kind.FLOAT, NONNEG)
    max_lr: FloatLike = leaf(Kind.FLOAT, NONNEG)
    step_size_up: IntLike = leaf(Kind.INT, _HALF_CYCLE, default=2000)
    step_size_down: IntLike | None = leaf(Kind.INT, _DOWN, default=None)
    mode: str = static(default="triangular", choices=CYCLIC_MODES)
    gamma: FloatLike = leaf(Kind.FLOAT, _CYCLIC_GAMMA, default=1.0)
    scale_mode: str | None = static(default=None, choices=SCALE_MODES)

    def __post_init__(self) -> None:
        if self.step_size_down is None:
            object.__setattr__(self, "step_size_down", self.step_size_up)
        super().__post_init__()

    def _resolved_scale_mode(self) -> str:
        if self.scale_mode is not None:
            return self.scale_mode
        return "iterations" if self.mode == "exp_range" else "cycle"

    def _evaluate(self, step: jax.Array) -> jax.Array:
        up, down = (jnp.asarray(x, step.dtype) for x in (self.step_size_up, self.step_size_down))
        # Where up + down passes the integer range, every step is in the first cycle.
        beyond = up > jnp.iinfo(step.dtype).max - down
        total = jnp.where(beyond, 1, up + down)
        whole, position = periods_and_remainder(step, total)
        whole = jnp.where(beyond, 0, whole)
        position = jnp.where(beyond, step, position)
        cycle = self._float(whole + 1)
        rising = ratio(self._float(position), self._float(up))
        falling = ratio(self._float(down - (position - up)), self._float(jnp.maximum(down, 1)))
        height = jnp.where(position <= up, rising, falling)
        count = cycle if self._resolved_scale_mode() == "cycle" else self._float(step)
        if self.mode == "triangular":
            scale = jnp.ones_like(count)
        elif self.mode == "triangular2":
            scale = jnp.exp2(1 - count)
        else:
            scale = power(self._float(self.gamma), count)
        base = self._float(self.base_lr)
        return base + (self.max_lr - base) * height * scale


# ------------------------------------------------------------------------------------------------------
def _one_cycle(schedule: Any, step: jax.Array, values: tuple[jax.Array, ...]) -> jax.Array:
    """torch's ``OneCycleLR`` phases through ``values`` (2 or 3 phases: 3 or 4 values).

    Phase ends (floats, as torch): ``pct_start * T - 1``, then ``2 * pct_start * T - 2`` with three phases,
    then ``T - 1``; the next phase starts where the previous one ends; a step belongs to the first phase
    whose end it does not pass. Steps from ``total_steps - 1`` on are the end of the schedule, the last
    phase's end value.
    """
    dtype = schedule.dtype
    total = schedule.total_steps
    t = jnp.minimum(step, total - 1)
    s = t.astype(dtype)
    pct = schedule._float(schedule.pct_start)
    ends = [pct * schedule._float(total) - 1]
    if schedule.three_phase:
        ends.append(2 * pct * schedule._float(total) - 2)
    ends.append(schedule._float(total - 1))
    out = None
    # Walk the phases backwards so that the first matching phase wins.
    for i in reversed(range(len(ends))):
        start = ends[i - 1] if i > 0 else jnp.zeros((), dtype)
        end = ends[i]
        span = end - start
        done = s - start
        left = end - s
        zero = span == 0
        frac = jnp.where(zero, 1, ratio(done, jnp.where(zero, 1, span) + 0 * s))
        frac_left = jnp.where(zero, 0, ratio(left, jnp.where(zero, 1, span) + 0 * s))
        a, b = values[i], values[i + 1]
        if schedule.anneal_strategy == "cos":
            value = b + (a - b) * cosine_annealing(frac_left)
        else:
            # torch's (b - a) * frac + a, as two terms: exactly b at the phase's end (b - a cancels)
            value = a * frac_left + b * frac
        out = value if out is None else jnp.where(s <= end, value, out)
    assert out is not None
    return out


class OneCycleLR(Schedule):
    """The 1cycle policy (Smith & Topin 2018): the rate rises from ``max_lr / div_factor`` to ``max_lr``
    over the first ``pct_start`` of ``total_steps``, then anneals to ``max_lr / div_factor /
    final_div_factor`` at step ``total_steps - 1``; with ``three_phase``, it first returns to the initial
    rate (symmetrically) and then anneals to the minimum.

    Within a phase from ``a`` to ``b`` over fraction ``p``: ``b + (a - b) * (1 + cos(pi p)) / 2``
    (``'cos'``) or ``a + (b - a) * p`` (``'linear'``), phase ends as torch (``pct_start * total_steps - 1``
    and so on, floats).

    Reference: ``torch.optim.lr_scheduler.OneCycleLR``; lrjit equals it at steps ``0 .. total_steps - 1``,
    the steps a run of ``total_steps`` optimizer updates uses. Past the end lrjit holds the value of step
    ``total_steps - 1`` (the minimum) for every step. torch differs there: at ``step == total_steps`` (the
    rate its last ``scheduler.step()`` sets, which no update uses) it extrapolates the last phase (``p >
    1``: above the minimum for ``'cos'``, below it and usually negative for ``'linear'``), and beyond it
    raises. torch accepts
    ``pct_start`` 0 and 1, and divides by zero at some steps for them (and wherever a phase has zero
    length); lrjit requires ``pct_start`` in (0, 1) and gives a zero-length phase's end value.
    ``momentum()`` gives torch's momentum cycling as a schedule.

    Args:
      max_lr: the peak rate (>= 0).
      total_steps: the schedule's length (>= 1).
      pct_start: the fraction of steps spent rising, in (0, 1).
      anneal_strategy: ``'cos'`` or ``'linear'``.
      div_factor: ``initial rate = max_lr / div_factor`` (> 0).
      final_div_factor: ``minimum = initial rate / final_div_factor`` (> 0).
      three_phase: use the three-phase variant.

    Example:
      >>> import lrjit
      >>> sched = lrjit.OneCycleLR(max_lr=1.0, total_steps=100, pct_start=0.25)
      >>> print(sched(np.array([0, 24, 99])).round(6))  # max_lr / 25, max_lr, max_lr / 25 / 1e4
      [4.e-02 1.e+00 4.e-06]
    """

    reference = "torch.optim.lr_scheduler.OneCycleLR"
    max_lr: FloatLike = leaf(Kind.FLOAT, NONNEG)
    total_steps: IntLike = leaf(Kind.INT, _TOTAL)
    pct_start: FloatLike = leaf(Kind.FLOAT, _PCT, default=0.3)
    anneal_strategy: str = static(default="cos", choices=ANNEAL_STRATEGIES)
    div_factor: FloatLike = leaf(Kind.FLOAT, _DIV, default=25.0)
    final_div_factor: FloatLike = leaf(Kind.FLOAT, _FINAL_DIV, default=1e4)
    three_phase: bool = static(default=False, choices=(False, True))

    def _evaluate(self, step: jax.Array) -> jax.Array:
        peak = self._float(self.max_lr)
        initial = peak / self.div_factor
        minimum = initial / self.final_div_factor
        values = (initial, peak, initial, minimum) if self.three_phase else (initial, peak, minimum)
        return _one_cycle(self, step, values)

    def momentum(self, base_momentum: FloatLike = 0.85, max_momentum: FloatLike = 0.95) -> OneCycleMomentum:
        """The momentum torch's ``OneCycleLR`` sets alongside this rate (``cycle_momentum=True``)."""
        return OneCycleMomentum(
            total_steps=self.total_steps,
            pct_start=self.pct_start,
            anneal_strategy=self.anneal_strategy,
            base_momentum=base_momentum,
            max_momentum=max_momentum,
            three_phase=self.three_phase,
        )


class OneCycleMomentum(Schedule):
    """The momentum of torch's ``OneCycleLR`` (``cycle_momentum=True``): it falls from ``max_momentum`` to
    ``base_momentum`` while the rate rises, and returns to ``max_momentum`` while it anneals (three phases:
    down, up, then held at ``max_momentum``), with the phases and annealing of :class:`OneCycleLR`.

    Reference: ``torch.optim.lr_scheduler.OneCycleLR`` (``param_groups[0]['momentum']``, or ``betas[0]``
    for Adam-type optimizers); past the end it holds like :class:`OneCycleLR`.

    Args:
      total_steps: the schedule's length (>= 1).
      pct_start: the fraction of steps spent rising, in (0, 1).
      anneal_strategy: ``'cos'`` or ``'linear'``.
      base_momentum: the momentum at the peak rate (>= 0).
      max_momentum: the momentum at the start and the end (>= 0).
      three_phase: use the three-phase variant.

    Example:
      >>> import lrjit
      >>> momentum = lrjit.OneCycleLR(max_lr=1.0, total_steps=100, pct_start=0.25).momentum()
      >>> print(momentum(np.array([0, 24, 99])))
      [0.95 0.85 0.95]
    """

    reference = "torch.optim.lr_scheduler.OneCycleLR"
    total_steps: IntLike = leaf(Kind.INT, _TOTAL)
    pct_start: FloatLike = leaf(Kind.FLOAT, _PCT, default=0.3)
    anneal_strategy: str = static(default="cos", choices=ANNEAL_STRATEGIES)
    base_momentum: FloatLike = leaf(Kind.FLOAT, _MOMENTUM, default=0.85)
    max_momentum: FloatLike = leaf(Kind.FLOAT, _MOMENTUM, default=0.95)
    three_phase: bool = static(default=False, choices=(False, True))

    def _evaluate(self, step: jax.Array) -> jax.Array:
        low, high = self._float(self.base_momentum), self._float(self.max_momentum)
        values = (high, low, high, high) if self.three_phase else (high, low, high)
        return _one_cycle(self, step, values)


# A linear ramp of a given length, for sampled sequences (lrjit.core.sample_child).
register_sample_role("ramp", lambda rng, n, length: LinearLR.sample(rng, total_iters=length))
