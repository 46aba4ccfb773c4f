"""The DeepSpeed families: ``deepspeed.runtime.lr_schedules`` with DeepSpeed's class and argument names.

Steps: DeepSpeed's engine calls ``scheduler.step()`` after every optimizer step, and a scheduler starts at
``last_batch_iteration = -1``. The step here is the number of ``step()`` calls made before an update (0 for
the first update, as in the torch families): ``step = last_batch_iteration + 1``, so ``sched(s)`` is the
rate the optimizer holds for update ``s``. At step 0 that is the rate the constructor sets (``WarmupLR``:
``warmup_min_lr``; ``WarmupCosineLR``: 0; ``OneCycle``: ``cycle_min_lr``; ``LRRangeTest``:
``lr_range_test_min_lr``).

DeepSpeed computes in Python floats (float64); counts are integer arithmetic here (the position in the
cycle, the stairs, the steps left), so boundaries are exact and large steps lose nothing to rounding.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np  # noqa: F401 (the namespace of the doctests)

from lrjit.core import BoolLike, FloatLike, IntLike, Schedule
from lrjit.core.fields import BOOLEAN, NONNEG, UNIT, Domain, FieldGroup, Kind, leaf, static
from lrjit.core.numerics import cosine_annealing, decay_progress, periods_and_remainder, ratio

__all__ = ["LRRangeTest", "OneCycle", "OneCycleMom", "WarmupCosineLR", "WarmupDecayLR", "WarmupLR"]

WARMUP_TYPES = ("log", "linear")
_WARMUP = Domain("an integer >= 1", lambda x, xp: x >= 1, lambda rng: int(rng.integers(1, 300)))
_TOTAL = Domain("an integer >= 0", lambda x, xp: x >= 0, lambda rng: int(rng.integers(0, 3000)))
_HALF = Domain("an integer >= 1", lambda x, xp: x >= 1, lambda rng: int(rng.integers(1, 1500)))
_SECOND = Domain("an integer >= 0", lambda x, xp: x >= 0, lambda rng: int(rng.integers(0, 1500)))
_STAIRS = Domain("an integer >= 0", lambda x, xp: x >= 0, lambda rng: int(rng.choice([0, 0, 1, 2, 4, 10])))
_DECAY_SIZE = Domain(
    "an integer >= 0", lambda x, xp: x >= 0, lambda rng: int(rng.choice([0, 1, 10, 100, 1000]))
)
_RATE = Domain("a finite float >= 0", NONNEG.predicate, lambda rng: float(rng.choice([0.0, 0.001, 0.1, 1.0])))

ONE_CYCLE = FieldGroup(
    cycle_first_step_size=leaf(Kind.INT, _HALF, default=2000),
    cycle_second_step_size=leaf(Kind.INT, _SECOND, default=None),
    cycle_first_stair_count=leaf(Kind.INT, _STAIRS, default=0),
    cycle_second_stair_count=leaf(Kind.INT, _STAIRS, default=None),
    decay_step_size=leaf(Kind.INT, _DECAY_SIZE, default=0),
)


def resolve_second_half(s: Any) -> None:
    """DeepSpeed's defaults of the second half: ``None`` means the first half's size / stair count."""
    for name, source in (
        ("cycle_second_step_size", "cycle_first_step_size"),
        ("cycle_second_stair_count", "cycle_first_stair_count"),
    ):
        if getattr(s, name) is None:
            object.__setattr__(s, name, getattr(s, source))


WARMUP = FieldGroup(
    warmup_num_steps=leaf(Kind.INT, _WARMUP, default=1000),
    warmup_type=static(default="log", choices=WARMUP_TYPES),
)


def warmup_gamma(step: jax.Array, warmup_num_steps: jax.Array, warmup_type: str, dtype: Any) -> jax.Array:
    """DeepSpeed's warmup fraction at ``step = last_batch_iteration + 1`` for ``step <= W``, ``W =
    max(2, warmup_num_steps)``: ``log(step) / log(W)`` (``'log'``) or ``(step - 1) / W`` (``'linear'``),
    0 at step 0 (the constructor's rate)."""
    w = jnp.maximum(warmup_num_steps, 2)
    if warmup_type == "log":
        return ratio(jnp.log(jnp.maximum(step, 1).astype(dtype)), jnp.log(w.astype(dtype)))
    return ratio((jnp.clip(step, 1, w) - 1).astype(dtype), w.astype(dtype))


class WarmupLR(Schedule):
    """A warmup from ``warmup_min_lr`` to ``warmup_max_lr`` over ``W = max(2, warmup_num_steps)`` steps,
    then ``warmup_max_lr``.

    ``lr(s) = warmup_min_lr + (warmup_max_lr - warmup_min_lr) * g(s)`` with ``g(s) = log(s) / log(W)``
    (``warmup_type='log'``, DeepSpeed's default) or ``(s - 1) / W`` (``'linear'``) for ``1 <= s <= W``,
    ``g(0) = 0`` and ``g(s) = 1`` for ``s > W``; ``s = last_batch_iteration + 1`` (see the module). So the
    log warmup reaches the peak at ``s = W`` and the linear one at ``s = W + 1`` (from ``(W - 1) / W``).
    Reference: ``deepspeed.runtime.lr_schedules.WarmupLR``.

    Args:
      warmup_min_lr: the rate at the start (>= 0).
      warmup_max_lr: the rate after the warmup (>= 0; DeepSpeed's None, the optimizer's rate, is written
        out here).
      warmup_num_steps: the warmup length (>= 1; DeepSpeed uses at least 2).
      warmup_type: ``'log'`` or ``'linear'``.

    Example:
      >>> import lrjit
      >>> sched = lrjit.WarmupLR(warmup_min_lr=0.0, warmup_max_lr=0.1, warmup_num_steps=100)
      >>> print(sched(np.array([0, 1, 10, 100, 500])))
      [0.   0.   0.05 0.1  0.1 ]
    """

    reference = "deepspeed.runtime.lr_schedules.WarmupLR"
    warmup_min_lr: FloatLike = leaf(Kind.FLOAT, NONNEG, default=0.0)
    warmup_max_lr: FloatLike = leaf(Kind.FLOAT, NONNEG, default=0.001)
    warmup_num_steps: IntLike = WARMUP.warmup_num_steps
    warmup_type: str = WARMUP.warmup_type

    def _gamma(self, step: jax.Array) -> jax.Array:
        g = warmup_gamma(step, self.warmup_num_steps, self.warmup_type, self.dtype)
        return jnp.where(step <= jnp.maximum(self.warmup_num_steps, 2), g, jnp.ones_like(g))

    def _evaluate(self, step: jax.Array) -> jax.Array:
        low = self._float(self.warmup_min_lr)
        return low + (self._float(self.warmup_max_lr) - low) * self._gamma(step)


class WarmupDecayLR(Schedule):
    """:class:`WarmupLR`'s warmup, then a linear decay to 0 at ``total_num_steps``.

    After the warmup (``s > W``, ``W = max(2, warmup_num_steps)``): ``g(s) = max(0, (T - s + 1) /
    max(1, T - W))`` with ``T = total_num_steps``: 1 at ``s = W + 1`` and 0 from ``s = T + 1`` on (where
    ``T < W``, 0 right after the warmup). ``lr(s) = warmup_min_lr + (warmup_max_lr - warmup_min_lr) *
    g(s)``. Reference: ``deepspeed.runtime.lr_schedules.WarmupDecayLR``.

    Args:
      total_num_steps: T (>= 0).
      warmup_min_lr: the rate at the start and (added) at the end (>= 0).
      warmup_max_lr: the peak (>= 0).
      warmup_num_steps: the warmup length (>= 1; DeepSpeed uses at least 2).
      warmup_type: ``'log'`` or ``'linear'``.

    Example:
      >>> import lrjit
      >>> sched = lrjit.WarmupDecayLR(total_num_steps=110, warmup_max_lr=0.1, warmup_num_steps=10,
      ...                             warmup_type='linear')
      >>> print(sched(np.array([0, 1, 6, 11, 61, 111, 500])))
      [0.   0.   0.05 0.1  0.05 0.   0.  ]
    """

    reference = "deepspeed.runtime.lr_schedules.WarmupDecayLR"
    total_num_steps: IntLike = leaf(Kind.INT, _TOTAL)
    warmup_min_lr: FloatLike = leaf(Kind.FLOAT, NONNEG, default=0.0)
    warmup_max_lr: FloatLike = leaf(Kind.FLOAT, NONNEG, default=0.001)
    warmup_num_steps: IntLike = WARMUP.warmup_num_steps
    warmup_type: str = WARMUP.warmup_type

    def _gamma(self, step: jax.Array) -> jax.Array:
        w = jnp.maximum(self.warmup_num_steps, 2)
        t = self.total_num_steps
        warm = warmup_gamma(step, self.warmup_num_steps, self.warmup_type, self.dtype)
        # T - last_batch_iteration, from integers (no wrap: both are >= 0); its float only where >= 0.
        left = jnp.maximum(t - (jnp.maximum(step, 1) - 1), 0)
        decay = ratio(self._float(left), self._float(jnp.maximum(t - w, 1)))
        return jnp.where(step <= w, warm, decay)

    def _evaluate(self, step: jax.Array) -> jax.Array:
        low = self._float(self.warmup_min_lr)
        return low + (self._float(self.warmup_max_lr) - low) * self._gamma(step)


class WarmupCosineLR(Schedule):
    """A warmup of ratios, then a cosine decay to ``cos_min_ratio``, all multiplying ``base_lr``.

    With ``W = max(2, warmup_num_steps)``, ``T = total_num_steps`` and ``g`` :class:`WarmupLR`'s warmup
    fraction: ``0`` at ``s = 0`` (DeepSpeed's constructor sets the rate to 0); ``base_lr * (r0 + (1 - r0) *
    g(s))`` for ``1 <= s <= W`` (``r0 = warmup_min_ratio``); then ``base_lr * max(0, c + (1 - c) * 0.5 *
    (1 + cos(pi * p)))`` with ``c = cos_min_ratio`` and ``p = min(1, (s - W) / max(1, T - W))``: the
    floor ``c * base_lr`` from ``s = T`` on. Reference: ``deepspeed.runtime.lr_schedules.WarmupCosineLR``.

    Args:
      base_lr: the optimizer's learning rate (>= 0).
      total_num_steps: T (>= 0).
      warmup_min_ratio: the warmup's start as a fraction of ``base_lr``, in [0, 1].
      warmup_num_steps: the warmup length (>= 1; DeepSpeed uses at least 2).
      cos_min_ratio: the floor as a fraction of ``base_lr``, in [0, 1].
      warmup_type: ``'log'`` or ``'linear'``.

    Example:
      >>> import lrjit
      >>> sched = lrjit.WarmupCosineLR(base_lr=0.1, total_num_steps=110, warmup_num_steps=10,
      ...                              cos_min_ratio=0.0, warmup_type='linear')
      >>> print(sched(np.array([0, 1, 6, 10, 60, 110, 500])).round(6))
      [0.   0.   0.05 0.09 0.05 0.   0.  ]
    """

    reference = "deepspeed.runtime.lr_schedules.WarmupCosineLR"
    base_lr: FloatLike = leaf(Kind.FLOAT, NONNEG)
    total_num_steps: IntLike = leaf(Kind.INT, _TOTAL)
    warmup_min_ratio: FloatLike = leaf(Kind.FLOAT, UNIT, default=0.0)
    warmup_num_steps: IntLike = WARMUP.warmup_num_steps
    cos_min_ratio: FloatLike = leaf(Kind.FLOAT, UNIT, default=0.0001)
    warmup_type: str = WARMUP.warmup_type

    def _evaluate(self, step: jax.Array) -> jax.Array:
        w = jnp.maximum(self.warmup_num_steps, 2)
        r0, c = self._float(self.warmup_min_ratio), self._float(self.cos_min_ratio)
        warm = r0 + warmup_gamma(step, self.warmup_num_steps, self.warmup_type, self.dtype) * (1 - r0)
        span = jnp.maximum(self.total_num_steps - w, 1)
        done = jnp.minimum(jnp.maximum(step - w, 0), span)
        cosine = cosine_annealing(ratio(self._float(span - done), self._float(span)))
        decay = jnp.maximum(c + (1 - c) * cosine, 0)
        mult = jnp.where(step <= w, warm, decay)
        return jnp.where(step == 0, jnp.zeros_like(mult), self.base_lr * mult)


class LRRangeTest(Schedule):
    """The learning-rate range test (Smith 2018): a rate growing linearly (or in stairs) from
    ``lr_range_test_min_lr``.

    ``lr(s) = lr_range_test_min_lr * (1 + lr_range_test_step_rate * i)`` with ``i = s /
    lr_range_test_step_size``, floored with ``lr_range_test_staircase``; ``s = last_batch_iteration + 1``.
    Not bounded: it grows for ever. Reference: ``deepspeed.runtime.lr_schedules.LRRangeTest``.

    Args:
      lr_range_test_min_lr: the rate at step 0 (>= 0).
      lr_range_test_step_size: the steps per unit of increase (>= 1).
      lr_range_test_step_rate: the increase per unit, as a multiple of the start (>= 0).
      lr_range_test_staircase: increase in whole units.

    Example:
      >>> import lrjit
      >>> sched = lrjit.LRRangeTest(lr_range_test_min_lr=0.001, lr_range_test_step_size=100,
      ...                           lr_range_test_step_rate=1.0, lr_range_test_staircase=True)
      >>> print(sched(np.array([0, 99, 100, 250])))
      [0.001 0.001 0.002 0.003]
    """

    reference = "deepspeed.runtime.lr_schedules.LRRangeTest"
    lr_range_test_min_lr: FloatLike = leaf(Kind.FLOAT, NONNEG, default=0.001)
    lr_range_test_step_size: IntLike = leaf(Kind.INT, _HALF, default=2000)
    lr_range_test_step_rate: FloatLike = leaf(Kind.FLOAT, NONNEG, default=1.0)
    lr_range_test_staircase: BoolLike = leaf(Kind.BOOL, BOOLEAN, default=False)

    def _evaluate(self, step: jax.Array) -> jax.Array:
        i = decay_progress(step, self.lr_range_test_step_size, self.lr_range_test_staircase, self.dtype)
        return self.lr_range_test_min_lr * (1 + self._float(self.lr_range_test_step_rate) * i)


class OneCycle(Schedule):
    """DeepSpeed's 1Cycle policy (Smith 2018): one triangle from ``cycle_min_lr`` up to ``cycle_max_lr``
    and back, then an optional inverse-time decay from ``cycle_min_lr``.

    With ``F, S`` the two half lengths (``S`` defaults to ``F``) and ``s = last_batch_iteration + 1``: for
    ``s <= F + S``, ``c = s mod (F + S)`` (0 at ``s = F + S``) and the scale ``c / F`` (``c <= F``) or
    ``(F + S - c) / S``, in stairs with a stair count ``n > 0`` for that half (``floor(c n / F) / n``,
    ``floor((F + S - c) n / S) / n``); ``lr = cycle_min_lr + (cycle_max_lr - cycle_min_lr) * scale``. After
    the cycle, with ``k = s - F - S``: ``cycle_min_lr / (1 + decay_lr_rate * k / decay_step_size)``, or
    ``cycle_min_lr`` when ``decay_step_size`` or ``decay_lr_rate`` is 0. The stairs need ``(F + S) * n``
    to fit the integer dtype. The momentum cycle (``cycle_momentum``, ``cycle_min_mom``, ...) is
    :class:`OneCycleMom`. Reference: ``deepspeed.runtime.lr_schedules.OneCycle``.

    Args:
      cycle_min_lr: the low end of the cycle (>= 0).
      cycle_max_lr: the peak (>= 0).
      decay_lr_rate: the post-cycle decay rate (>= 0).
      cycle_first_step_size: F (>= 1).
      cycle_second_step_size: S (>= 0), or None for F.
      cycle_first_stair_count: stairs in the first half (>= 0; 0 is continuous).
      cycle_second_stair_count: stairs in the second half (>= 0), or None for the first half's count.
      decay_step_size: the decay's period (>= 0; 0 is no decay).

    Example:
      >>> import lrjit
      >>> sched = lrjit.OneCycle(cycle_min_lr=0.01, cycle_max_lr=0.1, cycle_first_step_size=100,
      ...                        decay_lr_rate=1.0, decay_step_size=100)
      >>> print(sched(np.array([0, 50, 100, 150, 200, 300])).round(6))
      [0.01  0.055 0.1   0.055 0.01  0.005]
    """

    reference = "deepspeed.runtime.lr_schedules.OneCycle"
    cycle_min_lr: FloatLike = leaf(Kind.FLOAT, NONNEG)
    cycle_max_lr: FloatLike = leaf(Kind.FLOAT, NONNEG)
    decay_lr_rate: FloatLike = leaf(Kind.FLOAT, _RATE, default=0.0)
    cycle_first_step_size: IntLike = ONE_CYCLE.cycle_first_step_size
    cycle_second_step_size: IntLike | None = ONE_CYCLE.cycle_second_step_size
    cycle_first_stair_count: IntLike = ONE_CYCLE.cycle_first_stair_count
    cycle_second_stair_count: IntLike | None = ONE_CYCLE.cycle_second_stair_count
    decay_step_size: IntLike = ONE_CYCLE.decay_step_size

    def __post_init__(self) -> None:
        resolve_second_half(self)
        super().__post_init__()

    def _evaluate(self, step: jax.Array) -> jax.Array:
        in_cycle, scale, k = one_cycle_position(self, step)
        low = self._float(self.cycle_min_lr)
        cycle = low + (self._float(self.cycle_max_lr) - low) * scale
        size, rate = self.decay_step_size, self._float(self.decay_lr_rate)
        decayed = ratio(low, 1 + rate * ratio(k, self._float(jnp.maximum(size, 1))))
        decay = jnp.where(size == 0, low, decayed)  # rate 0 gives `low` too (DeepSpeed skips it)
        return jnp.where(in_cycle, cycle, decay)


def one_cycle_position(s: Any, step: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
    """OneCycle's ``(in the cycle, scale, steps since the cycle as a float)`` for a schedule ``s`` with
    DeepSpeed's ``cycle_*_step_size`` / ``cycle_*_stair_count`` fields (see :class:`OneCycle`)."""
    f, s2 = s.cycle_first_step_size, s.cycle_second_step_size
    n1, n2 = s.cycle_first_stair_count, s.cycle_second_stair_count
    total = f + s2
    c = jnp.where(step < total, step, 0)  # s mod (F + S) inside the cycle
    rising = c <= f
    down = total - c  # >= 0 where used (c <= F + S)
    s2_safe = jnp.maximum(s2, 1)
    smooth = jnp.where(rising, ratio(s._float(c), s._float(f)), ratio(s._float(down), s._float(s2_safe)))
    n = jnp.where(rising, n1, n2)
    n_safe = jnp.maximum(n, 1)
    num = jnp.where(rising, c, down) * n_safe
    stairs = ratio(s._float(periods_and_remainder(num, jnp.where(rising, f, s2_safe))[0]), s._float(n_safe))
    scale = jnp.where(n > 0, stairs, smooth)
    return step <= total, scale, s._float(jnp.maximum(step - total, 0))


_MOM = Domain("a finite float >= 0", NONNEG.predicate, lambda rng: float(rng.uniform(0.8, 0.99)))


class OneCycleMom(Schedule):
    """The momentum (Adam's beta1) of DeepSpeed's ``OneCycle`` with ``cycle_momentum``: opposite to the
    rate, from ``cycle_max_mom`` down to ``cycle_min_mom`` at the peak rate and back, then
    ``cycle_max_mom * (1 + decay_mom_rate * k / decay_step_size)`` (it grows; ``cycle_max_mom`` when
    ``decay_step_size`` or ``decay_mom_rate`` is 0), with :class:`OneCycle`'s scale and ``k``. At step 0 it is
    ``cycle_min_mom``, as DeepSpeed's constructor sets it (the first ``step()`` then moves it to about
    ``cycle_max_mom``). Reference: ``deepspeed.runtime.lr_schedules.OneCycle.get_mom``.

    Args:
      cycle_min_mom: the momentum at the rate's peak (>= 0).
      cycle_max_mom: the momentum at the cycle's ends (>= 0).
      decay_mom_rate: the post-cycle growth rate (>= 0).
      cycle_first_step_size: F (>= 1).
      cycle_second_step_size: S (>= 0), or None for F.
      cycle_first_stair_count: stairs in the first half (>= 0; 0 is continuous).
      cycle_second_stair_count: stairs in the second half (>= 0), or None for the first half's count.
      decay_step_size: the decay's period (>= 0; 0 is no decay).

    Example:
      >>> import lrjit
      >>> mom = lrjit.OneCycleMom(cycle_min_mom=0.8, cycle_max_mom=0.9, cycle_first_step_size=100)
      >>> print(mom(np.array([0, 1, 50, 100, 200, 300])).round(6))
      [0.8   0.899 0.85  0.8   0.9   0.9  ]
    """

    reference = "deepspeed.runtime.lr_schedules.OneCycle.get_mom"
    cycle_min_mom: FloatLike = leaf(Kind.FLOAT, _MOM, default=0.8)
    cycle_max_mom: FloatLike = leaf(Kind.FLOAT, _MOM, default=0.9)
    decay_mom_rate: FloatLike = leaf(Kind.FLOAT, _RATE, default=0.0)
    cycle_first_step_size: IntLike = ONE_CYCLE.cycle_first_step_size
    cycle_second_step_size: IntLike | None = ONE_CYCLE.cycle_second_step_size
    cycle_first_stair_count: IntLike = ONE_CYCLE.cycle_first_stair_count
    cycle_second_stair_count: IntLike | None = ONE_CYCLE.cycle_second_stair_count
    decay_step_size: IntLike = ONE_CYCLE.decay_step_size

    def __post_init__(self) -> None:
        resolve_second_half(self)
        super().__post_init__()

    def _evaluate(self, step: jax.Array) -> jax.Array:
        in_cycle, scale, k = one_cycle_position(self, step)
        low, high = self._float(self.cycle_min_mom), self._float(self.cycle_max_mom)
        cycle = high - (high - low) * scale
        size, rate = self.decay_step_size, self._float(self.decay_mom_rate)
        decay = jnp.where(size == 0, high, high * (1 + rate * ratio(k, self._float(jnp.maximum(size, 1)))))
        return jnp.where(step == 0, jnp.broadcast_to(low, step.shape), jnp.where(in_cycle, cycle, decay))
