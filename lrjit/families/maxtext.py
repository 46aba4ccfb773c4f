"""The MaxText family: ``create_learning_rate_schedule`` of MaxText's ``maxtext_utils.py``, with the keys of
its ``configs/base.yml``.

MaxText builds an ``optax.join_schedules`` of up to four pieces (warmup, cosine or stable + decay, zeros),
each piece evaluated at the step minus its start; here they are one closed form. The step is optax's
update count (0 for the first update). The durations MaxText derives from fractions
(``int(learning_rate_schedule_steps * warmup_steps_fraction)``) are given as step counts: the importer
(:func:`lrjit.interop.maxtext.from_maxtext`) computes them from the YAML keys exactly as MaxText does.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np  # noqa: F401 (the namespace of the doctests)

from lrjit.core import FloatLike, IntLike, Schedule
from lrjit.core.fields import NONNEG, UNIT, Domain, Kind, leaf, static
from lrjit.core.numerics import cosine_annealing, periods_and_remainder, ratio

__all__ = ["MaxTextSchedule"]

_STEPS = Domain("an integer >= 0", lambda x, xp: x >= 0, lambda rng: int(rng.integers(0, 3000)))
_WARMUP = Domain("an integer >= 0", lambda x, xp: x >= 0, lambda rng: int(rng.integers(0, 300)))
_DECAY = Domain("an integer >= 0", lambda x, xp: x >= 0, lambda rng: int(rng.integers(0, 1000)))


def _cosine_piece(k: jax.Array, length: jax.Array, dtype: Any) -> jax.Array:
    """MaxText's ``make_cos_schedule`` weight ``a = 0.5 * (1 + cos(pi * k / (length - 1)))`` (0 for a
    length of 1), the phase reduced exactly: ``k mod 2 (length - 1)`` as integers (the cosine is not
    clamped: past its length it rises again, as MaxText's does)."""
    m = jnp.maximum(length - 1, 1)
    r = periods_and_remainder(k, 2 * m)[1]
    x = jnp.where(r <= m, r, 2 * m - r)  # the same cosine, folded into [0, m]
    a = cosine_annealing(ratio((m - x).astype(dtype), m.astype(dtype)))
    return jnp.where(length > 1, a, jnp.zeros_like(a))


class MaxTextSchedule(Schedule):
    """MaxText's learning-rate schedule (``maxtext_utils.create_learning_rate_schedule``): linear warmup,
    then cosine decay (``lr_schedule_type='cosine'``) or stable + decay (``'wsd'``), then zeros.

    With ``lr = learning_rate``, ``final = lr * learning_rate_final_fraction``, ``W = warmup_steps``,
    ``L = learning_rate_schedule_steps`` and ``N = steps``, the pieces present are joined as optax's
    ``join_schedules`` does (each from its start on, evaluated at ``k = step - start``):

    - warmup (``W > 0``, from 0): ``lr * min(k, W - 1) / (W - 1)`` (0 for ``W = 1``: optax's linear
      schedule of ``W - 1`` transition steps);
    - cosine (``C = L - W > 0``, from ``W``): ``lr * a + final * (1 - a)``, ``a = 0.5 * (1 + cos(pi * k /
      (C - 1)))`` (``a = 0`` for ``C = 1``): ``lr`` at ``W``, ``final`` at ``L - 1``;
    - WSD, with ``D = wsd_decay_steps`` and ``S = L - W - D``: stable ``lr`` (``S > 0``, from ``W``), then
      the decay (``D > 0``, from ``W + max(S, 0)``): ``'linear'``: ``lr + (final - lr) * min(k, D - 1) /
      (D - 1)`` (``lr`` for ``D = 1``), ``'cosine'``: the cosine above over ``D`` steps;
    - zeros from ``L`` on when ``N > L``. With ``N == L`` (MaxText's default ``learning_rate_schedule_steps:
      -1``) the last piece goes on past ``L``: the cosine rises again, the linear decay holds ``final``.

    Reference: ``MaxText.maxtext_utils.create_learning_rate_schedule``.

    Args:
      learning_rate: the peak (>= 0).
      steps: N, the training steps (>= 0).
      learning_rate_schedule_steps: L (>= 0), or None for ``steps`` (MaxText's -1).
      warmup_steps: W, MaxText's ``int(L * warmup_steps_fraction)`` (>= 0).
      lr_schedule_type: ``'cosine'`` or ``'wsd'``.
      learning_rate_final_fraction: ``final / lr``, in [0, 1].
      wsd_decay_steps: D, MaxText's ``int(L * wsd_decay_steps_fraction)`` (>= 0).
      wsd_decay_style: ``'linear'`` or ``'cosine'``.

    Example:
      >>> import lrjit
      >>> sched = lrjit.MaxTextSchedule(learning_rate=0.1, steps=120, learning_rate_schedule_steps=112,
      ...                               warmup_steps=11, learning_rate_final_fraction=0.1)
      >>> print(sched(np.array([0, 5, 10, 61, 111, 112])).round(6))
      [0.    0.05  0.1   0.055 0.01  0.   ]
    """

    reference = "MaxText.maxtext_utils.create_learning_rate_schedule"
    learning_rate: FloatLike = leaf(Kind.FLOAT, NONNEG)
    steps: IntLike = leaf(Kind.INT, _STEPS)
    learning_rate_schedule_steps: IntLike | None = leaf(Kind.INT, _STEPS, default=None)
    warmup_steps: IntLike = leaf(Kind.INT, _WARMUP, default=0)
    lr_schedule_type: str = static(default="cosine", choices=("cosine", "wsd"))
    learning_rate_final_fraction: FloatLike = leaf(Kind.FLOAT, UNIT, default=0.1)
    wsd_decay_steps: IntLike = leaf(Kind.INT, _DECAY, default=0)
    wsd_decay_style: str = static(default="linear", choices=("linear", "cosine"))

    def __post_init__(self) -> None:
        if self.learning_rate_schedule_steps is None:
            object.__setattr__(self, "learning_rate_schedule_steps", self.steps)
        super().__post_init__()

    def _evaluate(self, step: jax.Array) -> jax.Array:
        lr = self._float(self.learning_rate)
        final = lr * self._float(self.learning_rate_final_fraction)
        w, big_l, n = self.warmup_steps, self.learning_rate_schedule_steps, self.steps
        zero = jnp.zeros(step.shape, self.dtype)

        def piece(out: jax.Array, present: jax.Array, start: jax.Array, value: jax.Array) -> jax.Array:
            return jnp.where(present & (step >= start), value, out)

        span = jnp.maximum(w - 1, 1)
        warm = lr * ratio(self._float(jnp.minimum(step, span)), self._float(span))
        out = piece(zero, w > 0, 0, jnp.where(w > 1, warm, zero))
        if self.lr_schedule_type == "cosine":
            c = big_l - w
            a = _cosine_piece(jnp.maximum(step - w, 0), c, self.dtype)
            out = piece(out, c > 0, w, lr * a + final * (1 - a))
        else:
            d = self.wsd_decay_steps
            s = big_l - w - d
            out = piece(out, s > 0, w, jnp.broadcast_to(lr, step.shape))
            start = w + jnp.maximum(s, 0)
            k = jnp.maximum(step - start, 0)
            if self.wsd_decay_style == "linear":
                dspan = jnp.maximum(d - 1, 1)
                lin = lr + (final - lr) * ratio(self._float(jnp.minimum(k, dspan)), self._float(dspan))
                decay = jnp.where(d > 1, lin, jnp.broadcast_to(lr, step.shape))
            else:
                a = _cosine_piece(k, d, self.dtype)
                decay = lr * a + final * (1 - a)
            out = piece(out, d > 0, start, decay)
        return piece(out, n > big_l, big_l, zero)
