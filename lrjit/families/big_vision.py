"""The big_vision family: ``big_vision.utils.create_learning_rate_schedule`` with its argument names.

big_vision's optimizer (``big_vision/optax.py``) multiplies the updates by ``config.lr`` and by this
schedule (its ``mult`` is ``base`` here), at optax's update count (0 for the first update). Durations are
step counts here; big_vision's ``{warmup,cooldown}_{steps,epochs,examples,percent}`` are converted by the
importer (:func:`lrjit.interop.big_vision.from_big_vision`) as ``big_vision.utils.steps`` does. The
``'stair'`` decay's ``steps`` / ``mults`` are a ``PiecewiseConstantDecay`` factor the importer multiplies
in (a ``'stair'`` schedule without steps is constant, as in big_vision).
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np  # noqa: F401 (the namespace of the doctests)

from lrjit.core import Check, FloatLike, IntLike, Schedule
from lrjit.core.fields import NONNEG, POWER, Domain, Kind, leaf, static
from lrjit.core.numerics import cosine_annealing, ratio

__all__ = ["BigVisionSchedule"]

DECAY_TYPES = ("stair", "linear", "polynomial", "cosine", "rsqrt")
_TOTAL = Domain("an integer >= 1", lambda x, xp: x >= 1, lambda rng: int(rng.integers(300, 3000)))
_PHASE = Domain("an integer >= 0", lambda x, xp: x >= 0, lambda rng: int(rng.integers(0, 300)))
_TIMESCALE = Domain(
    "a finite float > 0", lambda x, xp: xp.isfinite(x) & (x > 0), lambda rng: float(rng.uniform(10, 20_000))
)
_SHIFT = Domain(
    "a finite float >= 0", NONNEG.predicate, lambda rng: float(rng.choice([0.0, 0.0, 100.0, 5000.0]))
)
_END = Domain("a finite float >= 0", NONNEG.predicate, lambda rng: float(rng.choice([0.0, 1e-5, 0.01])))


class BigVisionSchedule(Schedule):
    """big_vision's ``create_learning_rate_schedule``: a decay of ``base`` with a linear warmup and a linear
    cooldown multiplied on top.

    With ``T = total_steps``, ``W = warmup_steps``, ``C = cooldown_steps`` and ``p = clip((s - W) / (T - W),
    0, 1)``, the decay is: ``'linear'`` / ``'polynomial'``: ``end + (base - end) * (1 - p) ** power``;
    ``'cosine'``: ``base * 0.5 * (1 + cos(pi * p))``; ``'rsqrt'``: ``base / sqrt(1 + (s + shift - W) /
    timescale)`` from ``W`` on, ``base / sqrt(1 + shift / timescale)`` before; ``'stair'``: ``base``
    (its steps and multipliers are a separate factor, see the module). Then, with ``W > 0``, times
    ``min(1, s / W)``, and with ``C > 0`` times ``min(1, (T - s) / C)``: as in big_vision, that factor goes
    negative past ``T`` (training stops at ``T``). big_vision computes in float32; ``(1 - p)`` and the
    cooldown's ``T - s`` are integer counts here.
    Reference: ``big_vision.utils.create_learning_rate_schedule``.

    Args:
      total_steps: T (>= 1; > ``warmup_steps``, as big_vision asserts).
      base: the rate before warmup and cooldown (big_vision's ``mult``, >= 0).
      decay_type: ``'stair'``, ``'linear'``, ``'polynomial'``, ``'cosine'`` or ``'rsqrt'``.
      warmup_steps: W (>= 0).
      cooldown_steps: C (>= 0).
      power: the polynomial's power (>= 0).
      end: the linear / polynomial end value (big_vision's ``end`` or ``linear_end``, >= 0).
      timescale: the rsqrt time scale in steps (> 0; ``timescale_examples / batch_size`` in big_vision).
      shift: the rsqrt shift in steps (>= 0).

    Example:
      >>> import lrjit
      >>> sched = lrjit.BigVisionSchedule(total_steps=110, base=0.1, decay_type='cosine', warmup_steps=10)
      >>> print(sched(np.array([0, 5, 10, 60, 110])).round(6))
      [0.   0.05 0.1  0.05 0.  ]
    """

    reference = "big_vision.utils.create_learning_rate_schedule"
    total_steps: IntLike = leaf(Kind.INT, _TOTAL)
    base: FloatLike = leaf(Kind.FLOAT, NONNEG, default=1.0)
    decay_type: str = static(default="stair", choices=DECAY_TYPES)
    warmup_steps: IntLike = leaf(Kind.INT, _PHASE, default=0)
    cooldown_steps: IntLike = leaf(Kind.INT, _PHASE, default=0)
    power: FloatLike = leaf(Kind.FLOAT, POWER, default=1.0)
    end: FloatLike = leaf(Kind.FLOAT, _END, default=0.0)
    timescale: FloatLike = leaf(Kind.FLOAT, _TIMESCALE, default=10_000.0)
    shift: FloatLike = leaf(Kind.FLOAT, _SHIFT, default=0.0)

    def _checks(self, xp: Any) -> list[Check]:
        return [(self.warmup_steps < self.total_steps, "`warmup_steps` must be < `total_steps`")]

    def _evaluate(self, step: jax.Array) -> jax.Array:
        t, w, c = self.total_steps, self.warmup_steps, self.cooldown_steps
        lr = self._float(self.base)
        span = self._float(jnp.maximum(t - w, 1))
        left = ratio(self._float(t - jnp.clip(step, w, t)), span)  # 1 - p
        if self.decay_type in ("linear", "polynomial"):
            end = self._float(self.end)
            lr = end + (lr - end) * jnp.power(left, self._float(self.power))
        elif self.decay_type == "cosine":
            lr = lr * cosine_annealing(left)
        elif self.decay_type == "rsqrt":
            ts, shift = self._float(self.timescale), self._float(self.shift)
            since = self._float(jnp.maximum(step - w, 0))  # the difference in integers, then its float
            decay = ratio(lr, jnp.sqrt(1 + ratio(since + shift, ts)))
            lr = jnp.where(w <= step, decay, ratio(lr, jnp.sqrt(1 + ratio(shift, ts))))
        else:
            lr = jnp.broadcast_to(lr, step.shape)
        warm = jnp.minimum(1, ratio(self._float(step), self._float(jnp.maximum(w, 1))))
        lr = jnp.where(w > 0, lr * warm, lr)
        # T - s in integers: >= -(largest step), no wrap; negative past T, as big_vision's.
        cool = jnp.minimum(1, ratio(self._float(t - step), self._float(jnp.maximum(c, 1))))
        return jnp.where(c > 0, lr * cool, lr)
