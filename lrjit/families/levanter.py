"""The Levanter family: one cycle of ``OptimizerConfig.lr_scheduler`` (``levanter/optim/config.py``) with
Levanter's schedule names.

Levanter joins, per cycle, a linear warmup, a stable phase and a decay (``lr_schedule``: ``cosine``,
``linear``, ``constant``, ``inv``, ``inv_sqrt``) with ``optax.join_schedules``; each piece starts counting
at its boundary. :class:`LevanterSchedule` is one such cycle with its durations in steps; the importer
(:func:`lrjit.interop.levanter.from_levanter`) converts Levanter's fractions-or-steps and joins cycles
(``cycles``, ``cycle_length``, ``rewarmup``) with :func:`lrjit.sequence`. The step is optax's update
count (0 for the first update).
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np  # noqa: F401 (the namespace of the doctests)

from lrjit.core import Check, FloatLike, IntLike, Schedule
from lrjit.core.fields import NONNEG, Domain, Kind, leaf, static
from lrjit.core.numerics import cosine_annealing, ratio, saturating_add

__all__ = ["LevanterSchedule"]

LR_SCHEDULES = ("cosine", "linear", "constant", "inv", "inv_sqrt")
_PHASE = Domain("an integer >= 0", lambda x, xp: x >= 0, lambda rng: int(rng.integers(0, 500)))
_DECAY = Domain("an integer >= 1", lambda x, xp: x >= 1, lambda rng: int(rng.integers(1, 3000)))
_MIN_RATIO = Domain(
    "a float in [0, 1]", lambda x, xp: (x >= 0) & (x <= 1), lambda rng: float(rng.uniform(0.01, 0.5))
)
_TIMESCALE = Domain(
    "a finite float > 0", lambda x, xp: xp.isfinite(x) & (x > 0), lambda rng: float(rng.uniform(10, 20_000))
)
_EXPONENT = Domain(
    "a finite float > 0", lambda x, xp: xp.isfinite(x) & (x > 0), lambda rng: float(rng.uniform(0.5, 3.0))
)


class LevanterSchedule(Schedule):
    """One Levanter cycle: warmup from ``warmup_start_lr`` to ``learning_rate``, stable, then the decay.

    With ``lr = learning_rate``, ``min_lr = lr * min_lr_ratio``, ``W, S, D`` the warmup, stable and decay
    steps: ``s < W``: ``warmup_start_lr + (lr - warmup_start_lr) * s / W``; ``W <= s < W + S``: ``lr``; from
    ``W + S`` on, at ``k = s - W - S``: ``cosine``: ``lr * ((1 - min_lr_ratio) * c ** exponent +
    min_lr_ratio)`` with ``c = 0.5 * (1 + cos(pi * min(k, D) / D))``; ``linear``: ``lr + (min_lr - lr) *
    min(k, D) / D``; ``constant``: ``lr``; ``inv``: ``max(lr * min(1, 1 / ((lr / min_lr - 1) * max(k, 1) /
    D + 1)), min_lr)``; ``inv_sqrt``: ``max(lr * min(1, 1 / sqrt(max(k + W, 1) / timescale)), min_lr)``.
    The decay goes on past ``W + S + D`` (``inv`` / ``inv_sqrt`` keep falling to ``min_lr``).
    Reference: ``levanter.optim.config.OptimizerConfig.lr_scheduler`` (one cycle).

    Args:
      learning_rate: the peak (>= 0).
      warmup_steps: W (>= 0).
      stable_steps: S (>= 0).
      decay_steps: D (>= 1; Levanter's optax cosine requires it).
      min_lr_ratio: the floor as a fraction of ``learning_rate``, in [0, 1] (> 0 for ``inv``, which divides
        by it).
      lr_schedule: ``'cosine'``, ``'linear'``, ``'constant'``, ``'inv'`` or ``'inv_sqrt'``.
      warmup_start_lr: the warmup's start (>= 0): 0 for the first cycle, the previous cycle's last value
        for a re-warmup.
      timescale: ``inv_sqrt``'s time scale (> 0; Levanter's string form uses 10000).
      exponent: ``cosine``'s exponent (> 0; ``CosineLrSchedule(exponent=...)``).

    Example:
      >>> import lrjit
      >>> sched = lrjit.LevanterSchedule(learning_rate=0.1, warmup_steps=10, stable_steps=0,
      ...                                decay_steps=100, min_lr_ratio=0.1)
      >>> print(sched(np.array([0, 5, 10, 60, 110, 500])).round(6))
      [0.    0.05  0.1   0.055 0.01  0.01 ]
    """

    reference = "levanter.optim.config.OptimizerConfig.lr_scheduler"
    learning_rate: FloatLike = leaf(Kind.FLOAT, NONNEG)
    warmup_steps: IntLike = leaf(Kind.INT, _PHASE, default=0)
    stable_steps: IntLike = leaf(Kind.INT, _PHASE, default=0)
    decay_steps: IntLike = leaf(Kind.INT, _DECAY, default=1)
    min_lr_ratio: FloatLike = leaf(Kind.FLOAT, _MIN_RATIO, default=0.1)
    lr_schedule: str = static(default="cosine", choices=LR_SCHEDULES)
    warmup_start_lr: FloatLike = leaf(Kind.FLOAT, NONNEG, default=0.0)
    timescale: FloatLike = leaf(Kind.FLOAT, _TIMESCALE, default=10_000.0)
    exponent: FloatLike = leaf(Kind.FLOAT, _EXPONENT, default=1.0)

    def _checks(self, xp: Any) -> list[Check]:
        if self.lr_schedule != "inv":
            return []
        return [(self.min_lr_ratio > 0, "`min_lr_ratio` must be > 0 for lr_schedule='inv'")]

    def _evaluate(self, step: jax.Array) -> jax.Array:
        lr = self._float(self.learning_rate)
        ratio_min = self._float(self.min_lr_ratio)
        min_lr = lr * ratio_min
        w, d = self.warmup_steps, self.decay_steps
        start = self._float(self.warmup_start_lr)
        warm = start + (lr - start) * ratio(self._float(jnp.minimum(step, w)), self._float(jnp.maximum(w, 1)))
        decay_start = saturating_add(jnp.asarray(w, step.dtype), self.stable_steps)
        k = jnp.maximum(step - decay_start, 0)
        kd = jnp.minimum(k, d)
        if self.lr_schedule == "cosine":
            c = cosine_annealing(ratio(self._float(d - kd), self._float(d)))
            decay = lr * ((1 - ratio_min) * jnp.power(c, self._float(self.exponent)) + ratio_min)
        elif self.lr_schedule == "linear":
            decay = lr + (min_lr - lr) * ratio(self._float(kd), self._float(d))
        elif self.lr_schedule == "constant":
            decay = jnp.broadcast_to(lr, step.shape)
        elif self.lr_schedule == "inv":
            slope = ratio(lr, min_lr) - 1
            f = jnp.minimum(
                1, ratio(jnp.ones_like(lr), slope * ratio(self._float(jnp.maximum(k, 1)), self._float(d)) + 1)
            )
            decay = jnp.maximum(lr * f, min_lr)
        else:  # inv_sqrt; k + W summed in floats (no wrap)
            t = ratio(jnp.maximum(self._float(k) + self._float(w), 1), self._float(self.timescale))
            decay = jnp.maximum(lr * jnp.minimum(1, ratio(jnp.ones_like(t), jnp.sqrt(t))), min_lr)
        return jnp.where(
            step < w, warm, jnp.where(step < decay_start, jnp.broadcast_to(lr, step.shape), decay)
        )
