"""Moving a schedule along the step axis: offset, hold, repeat and per-epoch stepping."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from lrjit.core import Composite, IntLike, Schedule, child, leaf, sample_child
from lrjit.core.fields import NONNEG_INT, POSITIVE_INT, Kind
from lrjit.core.numerics import periods_and_remainder, saturating_add

__all__ = ["Hold", "Offset", "PerEpoch", "Repeat"]


class _StepMap(Composite, abstract=True):
    """``schedule(g(step))`` for an integer map ``g`` of the step."""

    schedule: Schedule = child()

    def _evaluate(self, step: jax.Array) -> jax.Array:
        return self._cast(self.schedule._evaluate(self._map(step)))

    def _map(self, step: jax.Array) -> jax.Array:
        raise NotImplementedError

    @classmethod
    def _sample_fields(cls, rng: np.random.Generator, n: int | None = None) -> dict[str, Any]:
        fields = super()._sample_fields(rng, n)  # the integer leaf of the subclass
        fields["schedule"] = sample_child("decay", rng, vector_len=n)
        return fields


class Offset(_StepMap):
    """``schedule(step + steps)``: the schedule entered ``steps`` steps in, e.g. fine-tuning that resumes
    a pre-training schedule where it stopped.

    Args:
      schedule: the schedule.
      steps: how far into ``schedule`` step 0 is (>= 0). Where ``step + steps`` would pass the largest step
        the integer dtype holds (2**31 - 1, or 2**63 - 1 under x64), the schedule is evaluated there: its
        value at the end of the step range, not a wrapped negative step.

    Example:
      >>> import lrjit
      >>> sched = lrjit.Offset(lrjit.StepLR(base_lr=1.0, step_size=10, gamma=0.5), steps=15)
      >>> print(sched(np.array([0, 4, 5, 15])))
      [0.5   0.5   0.25  0.125]
    """

    reference = "lrjit composition (torch last_epoch / optax step offset)"
    steps: IntLike = leaf(Kind.INT, NONNEG_INT)

    def _map(self, step: jax.Array) -> jax.Array:
        return saturating_add(step, self.steps)


class Hold(_StepMap):
    """``schedule(min(step, steps))``: the schedule until ``steps``, then its value there, held.

    Args:
      schedule: the schedule.
      steps: the step whose value is held from then on (>= 0).

    Example:
      >>> import lrjit
      >>> sched = lrjit.Hold(lrjit.ExponentialLR(base_lr=1.0, gamma=0.5), steps=2)
      >>> print(sched(np.array([0, 1, 2, 3, 100])))
      [1.   0.5  0.25 0.25 0.25]
    """

    reference = "lrjit composition"
    steps: IntLike = leaf(Kind.INT, NONNEG_INT)

    def _map(self, step: jax.Array) -> jax.Array:
        return jnp.minimum(step, jnp.asarray(self.steps, step.dtype))


class Repeat(_StepMap):
    """``schedule(step mod period)``: the first ``period`` steps of the schedule, over and over (restarts
    of any schedule; times a staircase decay for decaying peaks).

    Args:
      schedule: the schedule.
      period: the repeat length (>= 1).

    Example:
      >>> import lrjit
      >>> sched = lrjit.Repeat(lrjit.ExponentialLR(base_lr=1.0, gamma=0.5), period=3)
      >>> print(sched(np.arange(7)))
      [1.   0.5  0.25 1.   0.5  0.25 1.  ]
    """

    reference = "lrjit composition (SGDR warm restarts with a fixed period)"
    period: IntLike = leaf(Kind.INT, POSITIVE_INT)

    def _map(self, step: jax.Array) -> jax.Array:
        return periods_and_remainder(step, self.period)[1]


class PerEpoch(_StepMap):
    """``schedule(step // steps_per_epoch)``: a schedule stepped once per epoch, its rate constant inside an
    epoch, as a training loop that calls torch's ``scheduler.step()`` (or Keras's
    ``LearningRateScheduler`` callback) once per epoch gives it to every update of that epoch.

    Args:
      schedule: the schedule, in epochs (its step is the epoch index).
      steps_per_epoch: the updates per epoch (>= 1).

    Example:
      >>> import lrjit
      >>> sched = lrjit.PerEpoch(lrjit.StepLR(base_lr=1.0, step_size=2, gamma=0.5), steps_per_epoch=3)
      >>> print(sched(np.arange(13)))
      [1.   1.   1.   1.   1.   1.   0.5  0.5  0.5  0.5  0.5  0.5  0.25]
    """

    reference = "lrjit composition (torch / Keras schedulers stepped per epoch)"
    steps_per_epoch: IntLike = leaf(Kind.INT, POSITIVE_INT)

    def _map(self, step: jax.Array) -> jax.Array:
        return periods_and_remainder(step, self.steps_per_epoch)[0]
