"""The ``tf.compat.v1.train`` decays that Keras 3 dropped, as classes with Keras-style argument names.

``natural_exp_decay``, ``linear_cosine_decay`` and ``noisy_linear_cosine_decay`` (Bello et al. 2017,
"Neural Optimizer Search with Reinforcement Learning"), computed in TF's operation order. TF's noisy
variant draws an unseeded sample per call; here the noise is a pure function of (``key``, step).
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from lrjit.core import BoolLike, FloatLike, IntLike, KeyLike, Schedule
from lrjit.core.fields import BOOLEAN, DECAY_RATE, FINITE, NONNEG, POSITIVE_INT, Domain, Kind, leaf
from lrjit.core.numerics import cos_pi, decay_progress, power, ratio
from lrjit.families.shapes import hashed_normal

__all__ = ["LinearCosineDecay", "NaturalExpDecay", "NoisyLinearCosineDecay"]

_PERIODS = Domain("a finite float", FINITE.predicate, lambda rng: float(rng.choice([0.5, 1.0, 2.5])))
_BETA = Domain("a finite float >= 0", NONNEG.predicate, lambda rng: float(rng.uniform(0.0, 0.01)))
_VARIANCE_DECAY = Domain("a finite float >= 0", NONNEG.predicate, lambda rng: float(rng.uniform(0.3, 1.0)))
_ALPHA = Domain("a finite float >= 0", NONNEG.predicate, lambda rng: float(rng.uniform(0.0, 0.2)))


class NaturalExpDecay(Schedule):
    """``initial_learning_rate * exp(-decay_rate * step / decay_steps)``; ``staircase`` floors the ratio.

    Computed as TF does, as an exponential decay with rate ``exp(-decay_rate)``:
    ``initial_learning_rate * exp(-decay_rate) ** (step / decay_steps)``. This is the survey's
    "exponential decay lr * exp(-gamma * epoch)" with ``decay_steps`` = steps per epoch.
    Reference: ``tf.compat.v1.train.natural_exp_decay``.

    Args:
      initial_learning_rate: the rate at step 0 (>= 0).
      decay_steps: the period of the exponent (>= 1).
      decay_rate: gamma, the exponent per period (> 0).
      staircase: decay in whole periods.

    Example:
      >>> import lrjit
      >>> sched = lrjit.NaturalExpDecay(0.1, decay_steps=100, decay_rate=0.5, staircase=True)
      >>> print(sched(jnp.array([0, 99, 100, 250])))
      [0.1        0.1        0.06065307 0.03678795]
    """

    reference = "tf.compat.v1.train.natural_exp_decay"
    initial_learning_rate: FloatLike = leaf(Kind.FLOAT, NONNEG)
    decay_steps: IntLike = leaf(Kind.INT, POSITIVE_INT)
    decay_rate: FloatLike = leaf(Kind.FLOAT, DECAY_RATE)
    staircase: BoolLike = leaf(Kind.BOOL, BOOLEAN, default=False)

    def _evaluate(self, step: jax.Array) -> jax.Array:
        rate = jnp.exp(-self._float(self.decay_rate))
        return self.initial_learning_rate * power(
            rate, decay_progress(step, self.decay_steps, self.staircase, self.dtype)
        )


def _linear_cosine(schedule: Any, step: jax.Array, linear_offset: Any = 0.0) -> jax.Array:
    """TF's linear-cosine body; ``linear_offset`` is the noise added to the linear term."""
    d = schedule.decay_steps
    s = jnp.minimum(step, d)
    linear = ratio(schedule._float(d - s), schedule._float(d)) + linear_offset
    fraction = 2.0 * schedule._float(schedule.num_periods) * ratio(schedule._float(s), schedule._float(d))
    cosine = 0.5 * (1.0 + cos_pi(fraction))
    decayed = (schedule._float(schedule.alpha) + linear) * cosine + schedule._float(schedule.beta)
    return schedule.initial_learning_rate * decayed


class LinearCosineDecay(Schedule):
    """``initial_learning_rate * ((alpha + linear) * cosine + beta)`` with, for ``s = min(step, D)``,
    ``linear = (D - s) / D`` and ``cosine = 0.5 * (1 + cos(2 * pi * num_periods * s / D))``.

    Holds at ``initial_learning_rate * (alpha * cosine(D) + beta)`` past ``decay_steps``.
    Reference: ``tf.compat.v1.train.linear_cosine_decay``.

    Args:
      initial_learning_rate: the scale (>= 0).
      decay_steps: D, the decay length (>= 1).
      num_periods: cosine periods over the decay.
      alpha: added to the linear term (>= 0).
      beta: the floor added at the end (>= 0).

    Example:
      >>> import lrjit
      >>> sched = lrjit.LinearCosineDecay(1.0, decay_steps=100, num_periods=0.5, alpha=0.0, beta=0.001)
      >>> print(sched(jnp.array([0, 50, 100, 1000])).round(6))  # holds past decay_steps
      [1.001e+00 2.510e-01 1.000e-03 1.000e-03]
    """

    reference = "tf.compat.v1.train.linear_cosine_decay"
    initial_learning_rate: FloatLike = leaf(Kind.FLOAT, NONNEG)
    decay_steps: IntLike = leaf(Kind.INT, POSITIVE_INT)
    num_periods: FloatLike = leaf(Kind.FLOAT, _PERIODS, default=0.5)
    alpha: FloatLike = leaf(Kind.FLOAT, _ALPHA, default=0.0)
    beta: FloatLike = leaf(Kind.FLOAT, _BETA, default=0.001)

    def _evaluate(self, step: jax.Array) -> jax.Array:
        return _linear_cosine(self, step)


class NoisyLinearCosineDecay(Schedule):
    """:class:`LinearCosineDecay` with Gaussian noise on the linear term.

    ``linear -> linear + eps``, ``eps ~ N(0, initial_variance / (1 + s) ** variance_decay)`` with
    ``s = min(step, decay_steps)`` (TF's law). The noise is a pure function of (``key``, step): the
    standard normal is hashed from (``key``, step), so a step has the same value in any batch,
    order, shape or device (the learning rate built on it agrees to float rounding), and the curve is
    reproducible. Different keys give independent curves. The
    draw is a counter-based hash (:func:`lrjit.families.shapes.hashed_normal`), so the noise fuses into
    the curve's kernel.
    Reference: ``tf.compat.v1.train.noisy_linear_cosine_decay``.

    Args:
      initial_learning_rate: the scale (>= 0).
      decay_steps: D, the decay length (>= 1).
      initial_variance: the noise variance at step 0 (>= 0).
      variance_decay: the decay exponent of the variance (>= 0).
      num_periods, alpha, beta: as :class:`LinearCosineDecay`.
      key: a PRNG key (``jax.random.key(seed)``) or an int seed; a leaf, so configs can differ in it.

    Example:
      >>> import lrjit
      >>> sched = lrjit.NoisyLinearCosineDecay(0.1, decay_steps=100, key=7)
      >>> bool(sched(10) == sched(jnp.array([3, 10]))[1])  # the noise is a function of (key, step)
      True
      >>> round(float(sched(10)), 4), round(float(sched(100)), 4)
      (0.1384, 0.0001)
    """

    reference = "tf.compat.v1.train.noisy_linear_cosine_decay"
    initial_learning_rate: FloatLike = leaf(Kind.FLOAT, NONNEG)
    decay_steps: IntLike = leaf(Kind.INT, POSITIVE_INT)
    initial_variance: FloatLike = leaf(Kind.FLOAT, NONNEG, default=1.0)
    variance_decay: FloatLike = leaf(Kind.FLOAT, _VARIANCE_DECAY, default=0.55)
    num_periods: FloatLike = leaf(Kind.FLOAT, _PERIODS, default=0.5)
    alpha: FloatLike = leaf(Kind.FLOAT, _ALPHA, default=0.0)
    beta: FloatLike = leaf(Kind.FLOAT, _BETA, default=0.001)
    key: KeyLike = leaf(Kind.KEY, default=0)

    def _evaluate(self, step: jax.Array) -> jax.Array:
        s = self._float(jnp.minimum(step, self.decay_steps))
        variance = self._float(self.initial_variance) / jnp.power(1.0 + s, self._float(self.variance_decay))
        return _linear_cosine(self, step, jnp.sqrt(variance) * self.standard_normal(step))

    def standard_normal(self, step: jax.Array) -> jax.Array:
        """The N(0, 1) draw at each step, a pure function of (``key``, step); see ``hashed_normal``."""
        return hashed_normal(self.key, jnp.asarray(step), self.dtype)
