"""The Keras families: ``keras.optimizers.schedules`` with Keras's class names, arguments and values.

Each formula follows Keras 3's operation order in the dtype of the initial learning rate (float32 by
default), so float32 curves match Keras to a few ulps. Two deliberate differences, both towards the exact
value: cycle indices and positions are integer arithmetic (Keras divides in float, which drifts at large
steps), and a step that is exactly a restart of ``CosineDecayRestarts`` starts the new cycle.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from lrjit.core import (
    BoolLike,
    Check,
    FieldError,
    FloatLike,
    FloatVector,
    IntLike,
    IntVector,
    Schedule,
    register_sample_role,
)
from lrjit.core.fields import (
    BOOLEAN,
    DECAY_RATE,
    NONNEG,
    NONNEG_INT,
    POSITIVE_INT,
    POWER,
    UNIT,
    Domain,
    Kind,
    leaf,
)
from lrjit.core.numerics import (
    cosine_annealing,
    count_boundaries_below,
    decay_progress,
    linear_warmup,
    periods_and_remainder,
    power,
    ratio,
    saturating_add,
)
from lrjit.families.shapes import cycle_multiplier, geometric_cycle

__all__ = [
    "CosineDecay",
    "CosineDecayRestarts",
    "ExponentialDecay",
    "InverseTimeDecay",
    "PiecewiseConstantDecay",
    "PolynomialDecay",
]

# Restart multipliers: any positive value is valid; sampling favours the common ones.
T_MUL = cycle_multiplier(0, lambda rng: float(rng.choice([1.0, 1.5, 2.0, 3.0])))
M_MUL = Domain("a finite float >= 0", NONNEG.predicate, lambda rng: float(rng.uniform(0.3, 1.0)))


class ExponentialDecay(Schedule):
    """``initial_learning_rate * decay_rate ** (step / decay_steps)``.

    With ``staircase`` the exponent is ``floor(step / decay_steps)``: the rate drops by ``decay_rate`` every
    ``decay_steps`` steps ("step decay"). Not clamped: it keeps decaying past ``decay_steps``.
    Reference: ``keras.optimizers.schedules.ExponentialDecay``.

    Args:
      initial_learning_rate: the rate at step 0 (>= 0).
      decay_steps: the decay period (>= 1).
      decay_rate: the factor per period (> 0; > 1 grows).
      staircase: decay in whole periods.

    Example:
      >>> import lrjit
      >>> sched = lrjit.ExponentialDecay(initial_learning_rate=0.1, decay_steps=1000, decay_rate=0.5,
      ...                                staircase=True)
      >>> print(sched(np.array([0, 999, 1000, 2500])))
      [0.1   0.1   0.05  0.025]
    """

    reference = "keras.optimizers.schedules.ExponentialDecay"
    initial_learning_rate: FloatLike = leaf(Kind.FLOAT, NONNEG)
    decay_steps: IntLike = leaf(Kind.INT, POSITIVE_INT)
    decay_rate: FloatLike = leaf(Kind.FLOAT, DECAY_RATE)
    staircase: BoolLike = leaf(Kind.BOOL, BOOLEAN, default=False)

    def _evaluate(self, step: jax.Array) -> jax.Array:
        p = decay_progress(step, self.decay_steps, self.staircase, self.dtype)
        return self.initial_learning_rate * power(self._float(self.decay_rate), p)


class InverseTimeDecay(Schedule):
    """``initial_learning_rate / (1 + decay_rate * step / decay_steps)``.

    With ``staircase`` the ratio ``step / decay_steps`` is floored. Not clamped.
    Reference: ``keras.optimizers.schedules.InverseTimeDecay``.

    Args:
      initial_learning_rate: the rate at step 0 (>= 0).
      decay_steps: the decay period (>= 1).
      decay_rate: the decay per period (>= 0).
      staircase: decay in whole periods.

    Example:
      >>> import lrjit
      >>> sched = lrjit.InverseTimeDecay(initial_learning_rate=0.1, decay_steps=100, decay_rate=1.0)
      >>> print(sched(np.array([0, 100, 300])))
      [0.1   0.05  0.025]
    """

    reference = "keras.optimizers.schedules.InverseTimeDecay"
    initial_learning_rate: FloatLike = leaf(Kind.FLOAT, NONNEG)
    decay_steps: IntLike = leaf(Kind.INT, POSITIVE_INT)
    decay_rate: FloatLike = leaf(Kind.FLOAT, NONNEG)
    staircase: BoolLike = leaf(Kind.BOOL, BOOLEAN, default=False)

    def _evaluate(self, step: jax.Array) -> jax.Array:
        p = decay_progress(step, self.decay_steps, self.staircase, self.dtype)
        return self.initial_learning_rate / (1 + self._float(self.decay_rate) * p)


class PiecewiseConstantDecay(Schedule):
    """``values[0]`` for ``step <= boundaries[0]``, ``values[i]`` for ``boundaries[i-1] < step <=
    boundaries[i]``, ``values[-1]`` after the last boundary: a boundary step keeps the earlier value.

    Evaluated as a gather at the count of boundaries below the step: one fused kernel, whatever the number
    of boundaries. Reference: ``keras.optimizers.schedules.PiecewiseConstantDecay``.

    Args:
      boundaries: strictly increasing integer steps (at least one).
      values: the rates, one more than the boundaries (each >= 0).

    Example:
      >>> import lrjit
      >>> sched = lrjit.PiecewiseConstantDecay(boundaries=[100, 200], values=[0.1, 0.01, 0.001])
      >>> print(sched(np.array([0, 100, 101, 200, 201])))
      [0.1   0.1   0.01  0.01  0.001]
    """

    reference = "keras.optimizers.schedules.PiecewiseConstantDecay"
    boundaries: IntVector = leaf(Kind.INT_VECTOR, NONNEG_INT)
    values: FloatVector = leaf(Kind.FLOAT_VECTOR, NONNEG)

    def __post_init__(self) -> None:
        nb, nv = np.shape(self.boundaries)[-1:], np.shape(self.values)[-1:]
        if nb and nv and nv[0] != nb[0] + 1:
            raise FieldError(
                "PiecewiseConstantDecay",
                ("values", "boundaries"),
                f"`values` must have one more entry than `boundaries`, got "
                f"{nv[0]} values for {nb[0]} boundaries",
            )
        if nb == (0,):
            raise FieldError(
                "PiecewiseConstantDecay", "boundaries", "`boundaries` must have at least one entry"
            )
        super().__post_init__()

    def _checks(self, xp: Any) -> list[Check]:
        b = self.boundaries
        return [(b[..., 1:] > b[..., :-1], "`boundaries` must be strictly increasing")]

    @classmethod
    def _sample_fields(cls, rng: np.random.Generator, n: int | None = None) -> dict[str, Any]:
        n = int(rng.integers(1, 8)) if n is None else n
        boundaries = np.sort(rng.choice(np.arange(1, 20 * n + 1), size=n, replace=False))
        return {"boundaries": boundaries.tolist(), "values": [NONNEG.sample(rng) for _ in range(n + 1)]}

    def _evaluate(self, step: jax.Array) -> jax.Array:
        return jnp.take(self.values, count_boundaries_below(step, self.boundaries), mode="clip")


class PolynomialDecay(Schedule):
    """``(initial_learning_rate - end_learning_rate) * (1 - p) ** power + end_learning_rate``.

    Without ``cycle``, ``p = min(step, decay_steps) / decay_steps`` and the rate holds at
    ``end_learning_rate`` afterwards. With ``cycle``, the period stretches to the next multiple of
    ``decay_steps``: ``p = step / (decay_steps * ceil(step / decay_steps))`` (multiplier 1 at step 0), so
    ``step = decay_steps`` gives ``end_learning_rate`` and the next step jumps back up.
    Reference: ``keras.optimizers.schedules.PolynomialDecay``.

    Args:
      initial_learning_rate: the rate at step 0 (>= 0).
      decay_steps: the decay length (>= 1).
      end_learning_rate: the final rate (>= 0).
      power: the polynomial's power (>= 0).
      cycle: restart the decay with a stretched period past ``decay_steps``.

    Example:
      >>> import lrjit
      >>> sched = lrjit.PolynomialDecay(initial_learning_rate=0.1, decay_steps=100, end_learning_rate=0.01)
      >>> print(sched(np.array([0, 50, 100, 500])))
      [0.1   0.055 0.01  0.01 ]
    """

    reference = "keras.optimizers.schedules.PolynomialDecay"
    initial_learning_rate: FloatLike = leaf(Kind.FLOAT, NONNEG)
    decay_steps: IntLike = leaf(Kind.INT, POSITIVE_INT)
    end_learning_rate: FloatLike = leaf(Kind.FLOAT, NONNEG, default=0.0001)
    power: FloatLike = leaf(Kind.FLOAT, POWER, default=1.0)
    cycle: BoolLike = leaf(Kind.BOOL, BOOLEAN, default=False)

    def _evaluate(self, step: jax.Array) -> jax.Array:
        d = self.decay_steps
        # ceil(step / d) as integers, with Keras's multiplier of 1 at step 0.
        whole, into = periods_and_remainder(step, d)  # into: step mod d
        periods = jnp.maximum(whole + (into != 0), 1)
        # 1 - p as an integer count of steps left over the (stretched) period: no cancellation near the end.
        # With cycle: d * periods - step, written so that no sum passes the largest step.
        cycled = jnp.where(step == 0, d, jnp.where(into == 0, 0, d - into))
        left = jnp.where(self.cycle, cycled, d - jnp.minimum(step, d))
        # The stretched period as a float product: d * periods can pass the integer range near the top.
        span = jnp.where(self.cycle, self._float(d) * self._float(periods), self._float(d))
        remaining = ratio(self._float(left), span)
        end = self._float(self.end_learning_rate)
        return (self.initial_learning_rate - end) * jnp.power(remaining, self._float(self.power)) + end


class CosineDecay(Schedule):
    """Cosine decay (SGDR without restarts, Loshchilov & Hutter 2017), with Keras's optional linear warmup.

    Without ``warmup_target``: ``lr(s) = initial_learning_rate * ((1 - alpha) * c(min(s, D) / D) + alpha)``
    with ``c(f) = 0.5 * (1 + cos(pi * f))`` and ``D = decay_steps``; ``warmup_steps`` is then unused, as
    in Keras.

    With ``warmup_target`` T and ``W = warmup_steps``: the rate rises linearly from
    ``initial_learning_rate`` at step 0 to T at step W, then decays as above from T over ``decay_steps``
    steps: ``T * ((1 - alpha) * c((min(s, W + D) - W) / D) + alpha)``, ending at ``alpha * T``.
    Reference: ``keras.optimizers.schedules.CosineDecay``.

    Args:
      initial_learning_rate: the rate at step 0 (>= 0); the warmup's start when ``warmup_target`` is set.
      decay_steps: the decay length (>= 1).
      alpha: the floor, as a fraction of the decayed-from rate, in [0, 1].
      warmup_target: the peak after warmup (>= 0), or None for no warmup (structural: None and a value do
        not stack together).
      warmup_steps: the warmup length (>= 0).

    Example:
      >>> import lrjit
      >>> sched = lrjit.CosineDecay(0.0, decay_steps=100, warmup_target=0.1, warmup_steps=10)
      >>> print(sched(np.array([0, 5, 10, 60, 110, 500])))
      [0.   0.05 0.1  0.05 0.   0.  ]
    """

    reference = "keras.optimizers.schedules.CosineDecay"
    initial_learning_rate: FloatLike = leaf(Kind.FLOAT, NONNEG)
    decay_steps: IntLike = leaf(Kind.INT, POSITIVE_INT)
    alpha: FloatLike = leaf(Kind.FLOAT, UNIT, default=0.0)
    warmup_target: FloatLike | None = leaf(Kind.FLOAT, NONNEG, default=None, optional=True)
    warmup_steps: IntLike = leaf(Kind.INT, NONNEG_INT, default=0)

    def _evaluate(self, step: jax.Array) -> jax.Array:
        d = self.decay_steps
        if self.warmup_target is None:  # structure, not a value: None is a different pytree
            return self._decay(jnp.minimum(step, d), self.initial_learning_rate)
        w = self.warmup_steps
        s = jnp.minimum(step, saturating_add(jnp.asarray(d, step.dtype), w))
        target = self._float(self.warmup_target)
        lr0 = self.initial_learning_rate
        # Keras: (T - lr0) * (s / W) + lr0. max(W, 1) keeps W = 0 free of 0/0 in the unused branch.
        warm = linear_warmup(self._float(s), self._float(jnp.maximum(w, 1)), lr0, target)
        return jnp.where(s < w, warm, self._decay(s - w, target))

    def _decay(self, step: jax.Array, peak: jax.Array) -> jax.Array:
        d = self.decay_steps
        left = ratio(self._float(d - step), self._float(d))
        alpha = self._float(self.alpha)
        return peak * ((1 - alpha) * cosine_annealing(left) + alpha)


class CosineDecayRestarts(Schedule):
    """Cosine decay with warm restarts (SGDR, Loshchilov & Hutter 2017).

    Cycle i lasts ``first_decay_steps * t_mul**i`` steps and peaks at ``initial_learning_rate *
    m_mul**i``; inside a cycle at fraction f: ``initial_learning_rate * ((1 - alpha) * m_mul**i * c(f) +
    alpha)`` with ``c(f) = 0.5 * (1 + cos(pi * f))``. ``m_mul`` does not scale the ``alpha`` floor (as in
    Keras). The cycle index is computed in closed form (see :func:`lrjit.families.shapes.geometric_cycle`):
    exact at restart steps, where Keras's float log may report the end of the previous cycle instead, and
    independent of the number of cycles. With ``t_mul < 1`` the cycles shrink and add up to
    ``first_decay_steps / (1 - t_mul)`` steps; later steps give NaN (Keras also gives NaN there).
    Reference: ``keras.optimizers.schedules.CosineDecayRestarts``.

    Args:
      initial_learning_rate: the first peak (>= 0).
      first_decay_steps: the length of the first cycle (>= 1).
      t_mul: the cycle-length multiplier (> 0).
      m_mul: the peak multiplier per cycle (>= 0).
      alpha: the floor as a fraction of ``initial_learning_rate``, in [0, 1].

    Example:
      >>> import lrjit
      >>> sched = lrjit.CosineDecayRestarts(0.1, first_decay_steps=100, t_mul=2.0, m_mul=0.5)
      >>> print(sched(np.array([0, 50, 100, 200, 300])))
      [0.1   0.05  0.05  0.025 0.025]
    """

    reference = "keras.optimizers.schedules.CosineDecayRestarts"
    initial_learning_rate: FloatLike = leaf(Kind.FLOAT, NONNEG)
    first_decay_steps: IntLike = leaf(Kind.INT, POSITIVE_INT)
    t_mul: FloatLike = leaf(Kind.FLOAT, T_MUL, default=2.0)
    m_mul: FloatLike = leaf(Kind.FLOAT, M_MUL, default=1.0)
    alpha: FloatLike = leaf(Kind.FLOAT, UNIT, default=0.0)

    def _evaluate(self, step: jax.Array) -> jax.Array:
        index, left = geometric_cycle(step, self.first_decay_steps, self.t_mul, self.dtype)
        alpha = self._float(self.alpha)
        decayed = power(self._float(self.m_mul), index) * cosine_annealing(left)
        return self.initial_learning_rate * ((1 - alpha) * decayed + alpha)


# The sub-schedules of sampled compositions (lrjit.core.sample_child): a plain cosine decay and a positive
# exponential factor.
register_sample_role("decay", lambda rng, n: CosineDecay.sample(rng, vector_len=n, warmup_target=None))
register_sample_role("modulator", lambda rng, n: ExponentialDecay.sample(rng, vector_len=n))
