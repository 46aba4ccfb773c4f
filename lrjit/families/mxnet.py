"""The MXNet schedulers of d2l's learning-rate chapter, and d2l's square-root scheduler.

MXNet counts updates from 1: the first update calls the scheduler with ``num_update = 1``. lrjit counts
steps from 0, so ``sched(step)`` here equals MXNet's ``scheduler(step + 1)``: the value the n-th update
used is ``sched(n - 1)``, as for every other lrjit family. MXNet's schedulers are stateful (they hold their
last value past ``max_update`` and decay in a ``while`` loop); these are their closed forms for updates
called in order. Shared warmup (MXNet's ``LRScheduler``): for ``num_update < warmup_steps`` the rate is
``warmup_begin_lr + (base_lr - warmup_begin_lr) * num_update / warmup_steps`` (``'linear'``) or
``warmup_begin_lr`` (``'constant'``).
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from lrjit.core import Check, FieldError, FieldGroup, FloatLike, IntLike, IntVector, Schedule
from lrjit.core.fields import NONNEG, NONNEG_INT, POSITIVE_INT, POWER, Domain, Kind, leaf, static
from lrjit.core.numerics import (
    cosine_annealing,
    count_boundaries_at_or_below,
    linear_warmup,
    power,
    ratio,
    successor,
    whole_periods,
)

__all__ = [
    "CosineScheduler",
    "FactorScheduler",
    "MultiFactorScheduler",
    "PolyScheduler",
    "SquareRootScheduler",
]

WARMUP_MODES = ("linear", "constant")
_FACTOR = Domain(
    "a float in [0, 1]", lambda x, xp: (x >= 0) & (x <= 1), lambda rng: float(rng.uniform(0.1, 1.0))
)
_SMALL_WARMUP = Domain("an integer >= 0", NONNEG_INT.predicate, lambda rng: int(rng.integers(0, 50)))
_BEGIN = Domain("a finite float >= 0", NONNEG.predicate, lambda rng: float(rng.uniform(0.0, 1e-3)))
_UPDATES = Domain("an integer >= 1", POSITIVE_INT.predicate, lambda rng: int(rng.integers(60, 2000)))

# The fields of MXNet's ``LRScheduler`` base (the rate and its warmup) that its subclasses share; each
# class lists them in its MXNet argument order.
MXNET_LR_SCHEDULER = FieldGroup(
    base_lr=leaf(Kind.FLOAT, NONNEG, default=0.01),
    warmup_steps=leaf(Kind.INT, _SMALL_WARMUP, default=0),
    warmup_begin_lr=leaf(Kind.FLOAT, _BEGIN, default=0.0),
    warmup_mode=static(default="linear", choices=WARMUP_MODES),
)


def _with_warmup(schedule: Any, step: jax.Array, after: jax.Array) -> jax.Array:
    """MXNet's ``LRScheduler`` warmup in front of ``after`` (the value for ``num_update >= warmup_steps``)."""
    n = successor(step)  # MXNet's 1-based update count
    begin = schedule._float(schedule.warmup_begin_lr)
    if schedule.warmup_mode == "linear":
        w = schedule.warmup_steps
        warm = linear_warmup(
            schedule._float(n), schedule._float(jnp.maximum(w, 1)), begin, schedule._float(schedule.base_lr)
        )
    else:
        warm = jnp.broadcast_to(begin, n.shape)
    return jnp.where(n < schedule.warmup_steps, warm, after)


def _warmup_checks(schedule: Any, xp: Any) -> list[Check]:
    return [(schedule.warmup_begin_lr <= schedule.base_lr, "`warmup_begin_lr` must be <= `base_lr`")]


class FactorScheduler(Schedule):
    """``base_lr * factor ** floor((num_update - 1) / step)``, floored at ``stop_factor_lr``.

    MXNet multiplies by ``factor`` each time ``num_update`` passes another ``step`` updates (strict ``>``:
    updates 1..step use ``base_lr``) and clamps at ``stop_factor_lr`` after each decay.
    Reference: ``mxnet.lr_scheduler.FactorScheduler``.

    Args:
      step: updates between decays (>= 1).
      factor: the decay factor, in [0, 1].
      stop_factor_lr: the lowest rate reached by decaying (>= 0).
      base_lr: the rate before any decay (>= 0).
      warmup_steps, warmup_begin_lr, warmup_mode: MXNet's warmup (see the module docstring).

    Example:
      >>> import lrjit
      >>> sched = lrjit.FactorScheduler(step=10, factor=0.5, base_lr=0.1)
      >>> print(sched(np.array([0, 9, 10, 20])))  # sched(k) is MXNet's scheduler(k + 1)
      [0.1   0.1   0.05  0.025]
    """

    reference = "mxnet.lr_scheduler.FactorScheduler"
    step: IntLike = leaf(Kind.INT, POSITIVE_INT)
    factor: FloatLike = leaf(Kind.FLOAT, _FACTOR, default=1.0)
    stop_factor_lr: FloatLike = leaf(Kind.FLOAT, _BEGIN, default=1e-8)
    base_lr: FloatLike = MXNET_LR_SCHEDULER.base_lr
    warmup_steps: IntLike = MXNET_LR_SCHEDULER.warmup_steps
    warmup_begin_lr: FloatLike = MXNET_LR_SCHEDULER.warmup_begin_lr
    warmup_mode: str = MXNET_LR_SCHEDULER.warmup_mode

    def _checks(self, xp: Any) -> list[Check]:
        return _warmup_checks(self, xp)

    def _evaluate(self, step: jax.Array) -> jax.Array:
        decays = whole_periods(step, self.step)  # (num_update - 1) // step
        decayed = jnp.maximum(
            self.base_lr * power(self._float(self.factor), self._float(decays)),
            self._float(self.stop_factor_lr),
        )
        return _with_warmup(self, step, jnp.where(decays == 0, self.base_lr, decayed))


class MultiFactorScheduler(Schedule):
    """``base_lr * factor ** k``, k = the number of milestones in ``step`` strictly below ``num_update``.

    Reference: ``mxnet.lr_scheduler.MultiFactorScheduler``.

    Args:
      step: strictly increasing update counts (each >= 1) after which the rate is multiplied by ``factor``.
      factor: the decay factor, in [0, 1].
      base_lr: the initial rate (>= 0).
      warmup_steps, warmup_begin_lr, warmup_mode: MXNet's warmup (see the module docstring).

    Example:
      >>> import lrjit
      >>> sched = lrjit.MultiFactorScheduler(step=[10, 30], factor=0.1, base_lr=1.0)
      >>> print(sched(np.array([0, 9, 10, 29, 30])))
      [1.   1.   0.1  0.1  0.01]
    """

    reference = "mxnet.lr_scheduler.MultiFactorScheduler"
    step: IntVector = leaf(Kind.INT_VECTOR, POSITIVE_INT)
    factor: FloatLike = leaf(Kind.FLOAT, _FACTOR, default=1.0)
    base_lr: FloatLike = MXNET_LR_SCHEDULER.base_lr
    warmup_steps: IntLike = MXNET_LR_SCHEDULER.warmup_steps
    warmup_begin_lr: FloatLike = MXNET_LR_SCHEDULER.warmup_begin_lr
    warmup_mode: str = MXNET_LR_SCHEDULER.warmup_mode

    def __post_init__(self) -> None:
        if np.shape(self.step)[-1:] == (0,):
            raise FieldError("MultiFactorScheduler", "step", "`step` must have at least one entry")
        super().__post_init__()

    def _checks(self, xp: Any) -> list[Check]:
        s = self.step
        return [(s[..., 1:] > s[..., :-1], "`step` must be strictly increasing"), *_warmup_checks(self, xp)]

    @classmethod
    def _sample_fields(cls, rng: np.random.Generator, n: int | None = None) -> dict[str, Any]:
        n = 3 if n is None else n
        fields = super()._sample_fields(rng)
        fields["step"] = np.sort(rng.choice(np.arange(1, 30 * n + 1), size=n, replace=False)).tolist()
        return fields

    def _evaluate(self, step: jax.Array) -> jax.Array:
        decays = count_boundaries_at_or_below(step, self.step)  # milestones below num_update = step + 1
        decayed = power(self._float(self.factor), self._float(decays), at_most=self.step.shape[-1])
        return _with_warmup(self, step, self.base_lr * decayed)


def _left(schedule: Any, step: jax.Array) -> jax.Array:
    """The fraction of the decay left, ``(max_update - n) / (max_update - W)``, from integer counts (no
    cancellation near the end); 0 past ``max_update``, where MXNet holds its last value."""
    n = jnp.minimum(successor(step), schedule.max_update)
    span = schedule._float(schedule.max_update - schedule.warmup_steps)
    return ratio(schedule._float(schedule.max_update - n), span)


def _span_checks(schedule: Any, xp: Any) -> list[Check]:
    return [(schedule.max_update > schedule.warmup_steps, "`max_update` must be > `warmup_steps`")]


class PolyScheduler(Schedule):
    """``final_lr + (base_lr - final_lr) * (1 - (n - W) / (max_update - W)) ** pwr``, n = num_update,
    W = warmup_steps; holds ``final_lr`` past ``max_update``.

    Reference: ``mxnet.lr_scheduler.PolyScheduler``.

    Args:
      max_update: the update at which ``final_lr`` is reached (> ``warmup_steps``).
      base_lr: the rate after warmup (>= 0).
      pwr: the power (>= 0).
      final_lr: the final rate (>= 0).
      warmup_steps, warmup_begin_lr, warmup_mode: MXNet's warmup (see the module docstring).

    Example:
      >>> import lrjit
      >>> sched = lrjit.PolyScheduler(max_update=110, base_lr=0.1, pwr=2, warmup_steps=10)
      >>> print(sched(np.array([0, 4, 9, 59, 109, 500])))
      [0.01  0.05  0.1   0.025 0.    0.   ]
    """

    reference = "mxnet.lr_scheduler.PolyScheduler"
    max_update: IntLike = leaf(Kind.INT, _UPDATES)
    base_lr: FloatLike = MXNET_LR_SCHEDULER.base_lr
    pwr: FloatLike = leaf(Kind.FLOAT, POWER, default=2.0)
    final_lr: FloatLike = leaf(Kind.FLOAT, _BEGIN, default=0.0)
    warmup_steps: IntLike = MXNET_LR_SCHEDULER.warmup_steps
    warmup_begin_lr: FloatLike = MXNET_LR_SCHEDULER.warmup_begin_lr
    warmup_mode: str = MXNET_LR_SCHEDULER.warmup_mode

    def _checks(self, xp: Any) -> list[Check]:
        return _span_checks(self, xp) + _warmup_checks(self, xp)

    def _evaluate(self, step: jax.Array) -> jax.Array:
        final = self._float(self.final_lr)
        remaining = _left(self, step)
        return _with_warmup(
            self, step, final + (self.base_lr - final) * jnp.power(remaining, self._float(self.pwr))
        )


class CosineScheduler(Schedule):
    """``final_lr + (base_lr - final_lr) * (1 + cos(pi * (n - W) / (max_update - W))) / 2``,
    n = num_update, W = warmup_steps; holds ``final_lr`` past ``max_update``.

    Reference: ``mxnet.lr_scheduler.CosineScheduler``.

    Args:
      max_update: the update at which ``final_lr`` is reached (> ``warmup_steps``).
      base_lr: the rate after warmup (>= 0).
      final_lr: the final rate (>= 0).
      warmup_steps, warmup_begin_lr, warmup_mode: MXNet's warmup (see the module docstring).

    Example:
      >>> import lrjit
      >>> sched = lrjit.CosineScheduler(max_update=110, base_lr=0.1, final_lr=0.01, warmup_steps=10)
      >>> print(sched(np.array([0, 4, 9, 59, 109, 500])))
      [0.01  0.05  0.1   0.055 0.01  0.01 ]
    """

    reference = "mxnet.lr_scheduler.CosineScheduler"
    max_update: IntLike = leaf(Kind.INT, _UPDATES)
    base_lr: FloatLike = MXNET_LR_SCHEDULER.base_lr
    final_lr: FloatLike = leaf(Kind.FLOAT, _BEGIN, default=0.0)
    warmup_steps: IntLike = MXNET_LR_SCHEDULER.warmup_steps
    warmup_begin_lr: FloatLike = MXNET_LR_SCHEDULER.warmup_begin_lr
    warmup_mode: str = MXNET_LR_SCHEDULER.warmup_mode

    def _checks(self, xp: Any) -> list[Check]:
        return _span_checks(self, xp) + _warmup_checks(self, xp)

    def _evaluate(self, step: jax.Array) -> jax.Array:
        final = self._float(self.final_lr)
        return _with_warmup(self, step, final + (self.base_lr - final) * cosine_annealing(_left(self, step)))


class SquareRootScheduler(Schedule):
    """``lr * (step + 1) ** -0.5``: d2l's square-root scheduler, called there with a 0-based count.

    Reference: d2l.ai, "Learning Rate Scheduling" (``SquareRootScheduler``).

    Args:
      lr: the rate at step 0 (>= 0).

    Example:
      >>> import lrjit
      >>> sched = lrjit.SquareRootScheduler(lr=0.1)
      >>> print(sched(np.array([0, 3, 99])))
      [0.1  0.05 0.01]
    """

    reference = "d2l.SquareRootScheduler"
    lr: FloatLike = leaf(Kind.FLOAT, NONNEG, default=0.1)

    def _evaluate(self, step: jax.Array) -> jax.Array:
        return self.lr * jnp.power(self._float(successor(step)), -0.5)
