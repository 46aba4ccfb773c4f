"""Minimum, maximum and clipping of schedules (the sums, differences, products and quotients that the
operators build are :mod:`lrjit.core.operators`); numbers become :class:`~lrjit.Constant` leaves."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from lrjit.core import Binary, Check, Composite, FloatLike, Schedule, child, leaf, sample_child
from lrjit.core.fields import FINITE, Kind

__all__ = ["Clip", "Maximum", "Minimum", "clip", "maximum", "minimum"]


class Minimum(Binary):
    """``min(left(step), right(step))``: e.g. a cap, ``lrjit.minimum(sched, 1e-3)``.

    Example:
      >>> import lrjit
      >>> sched = lrjit.Minimum(lrjit.ExponentialLR(base_lr=1.0, gamma=0.5), 0.3)
      >>> print(sched(np.array([0, 1, 2, 3])))
      [0.3   0.3   0.25  0.125]
    """

    reference = "lrjit composition"
    _op = staticmethod(jnp.minimum)


class Maximum(Binary):
    """``max(left(step), right(step))``: e.g. a floor, ``lrjit.maximum(sched, 1e-5)``.

    Example:
      >>> import lrjit
      >>> sched = lrjit.Maximum(lrjit.ExponentialLR(base_lr=1.0, gamma=0.5), 0.2)
      >>> print(sched(np.array([0, 1, 2, 3])))
      [1.   0.5  0.25 0.2 ]
    """

    reference = "lrjit composition"
    _op = staticmethod(jnp.maximum)


class Clip(Composite):
    """``schedule(step)`` clipped to ``[lower, upper]`` (either bound may be None: no bound on that side).

    Args:
      schedule: the schedule to clip.
      lower: the floor (finite float) or None.
      upper: the cap (finite float, >= lower) or None.

    Example:
      >>> import lrjit
      >>> sched = lrjit.Clip(lrjit.ExponentialLR(base_lr=1.0, gamma=0.5), lower=0.2, upper=0.6)
      >>> print(sched(np.array([0, 1, 2, 3])))
      [0.6  0.5  0.25 0.2 ]
    """

    reference = "lrjit composition (jnp.clip)"
    schedule: Schedule = child()
    lower: FloatLike | None = leaf(Kind.FLOAT, FINITE, default=None, optional=True)
    upper: FloatLike | None = leaf(Kind.FLOAT, FINITE, default=None, optional=True)

    def _checks(self, xp: Any) -> list[Check]:
        if self.lower is None or self.upper is None:
            return []
        return [(self.lower <= self.upper, "`lower` must be <= `upper`")]

    def _evaluate(self, step: jax.Array) -> jax.Array:
        value = self._cast(self.schedule._evaluate(step))
        if self.lower is not None:
            value = jnp.maximum(value, self._float(self.lower))
        if self.upper is not None:
            value = jnp.minimum(value, self._float(self.upper))
        return value

    @classmethod
    def _sample_fields(cls, rng: np.random.Generator, n: int | None = None) -> dict[str, Any]:
        sched = sample_child("decay", rng, vector_len=n)
        peak = float(np.asarray(sched(0)))
        lower, upper = peak * rng.uniform(0.0, 0.4), peak * rng.uniform(0.5, 1.0)
        return {"schedule": sched, "lower": lower, "upper": upper}


def minimum(left: Schedule | float, right: Schedule | float) -> Minimum:
    """The elementwise minimum of two schedules (or a schedule and a number): a cap.

    Example:
      >>> import lrjit
      >>> sched = lrjit.minimum(lrjit.LinearLR(base_lr=1.0, start_factor=0.25, total_iters=3), 0.5)
      >>> print(sched(np.array([0, 1, 2, 3])))
      [0.25 0.5  0.5  0.5 ]
    """
    return Minimum(left, right)


def maximum(left: Schedule | float, right: Schedule | float) -> Maximum:
    """The elementwise maximum of two schedules (or a schedule and a number): a floor.

    Example:
      >>> import lrjit
      >>> sched = lrjit.maximum(lrjit.ExponentialLR(base_lr=1.0, gamma=0.1), 1e-3)
      >>> print(sched(np.array([0, 1, 2, 3, 4])))
      [1.    0.1   0.01  0.001 0.001]
    """
    return Maximum(left, right)


def clip(schedule: Schedule, lower: float | None = None, upper: float | None = None) -> Clip:
    """``schedule`` clipped to ``[lower, upper]``; see :class:`Clip`.

    Example:
      >>> import lrjit
      >>> sched = lrjit.clip(lrjit.ExponentialLR(base_lr=1.0, gamma=0.5), lower=0.2)
      >>> print(sched(np.array([0, 1, 2, 3])))
      [1.   0.5  0.25 0.2 ]
    """
    return Clip(schedule, lower, upper)
