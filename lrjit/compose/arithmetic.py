"""Arithmetic on schedules: sums, differences, products, quotients, minimum, maximum and clipping.

``s1 * s2``, ``s + c``, ``c * s``, ``s - c``, ``s / c`` build these through the operators of
:class:`~lrjit.Schedule`; numbers become :class:`~lrjit.compose.base.Constant` leaves.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import jax
import jax.numpy as jnp
import numpy as np

from lrjit.compose.base import Composite, sample_child
from lrjit.core.fields import FINITE, Kind, child, leaf
from lrjit.core.schedule import Check, Schedule
from lrjit.families.shapes import ratio

__all__ = [
    "Clip",
    "Difference",
    "Maximum",
    "Minimum",
    "Product",
    "Quotient",
    "Sum",
    "clip",
    "maximum",
    "minimum",
]


class _Binary(Composite, abstract=True):
    """``op(left(step), right(step))`` for two schedules (or numbers, made constants)."""

    left: Any = child()
    right: Any = child()
    _op: ClassVar[Callable[[jax.Array, jax.Array], jax.Array]]

    def _evaluate(self, step: jax.Array) -> jax.Array:
        left = self._cast(self.left._evaluate(step))
        right = self._cast(self.right._evaluate(step))
        return type(self)._op(left, right)

    @classmethod
    def _sample_fields(cls, rng: np.random.Generator, n: int | None = None) -> dict[str, Any]:
        return {
            "left": sample_child("CosineDecay", rng, vector_len=n),
            "right": sample_child("ExponentialDecay", rng, vector_len=n),
        }


class Sum(_Binary):
    """``left(step) + right(step)``, e.g. a floor added under a decay: ``sched + 1e-5``."""

    reference = "lrjit composition"
    _op = staticmethod(jnp.add)


class Difference(_Binary):
    """``left(step) - right(step)``."""

    reference = "lrjit composition"
    _op = staticmethod(jnp.subtract)

    @classmethod
    def _sample_fields(cls, rng: np.random.Generator, n: int | None = None) -> dict[str, Any]:
        # A decay minus a small offset: no cancellation, so samples test lrjit, not float subtraction.
        left = sample_child("CosineDecay", rng, vector_len=n)
        offset = float(np.asarray(left.initial_learning_rate)) * rng.uniform(0.0, 0.2)
        return {"left": left, "right": sample_child("Constant", rng, value=offset)}


class Product(_Binary):
    """``left(step) * right(step)``: a schedule scaled by a constant (``0.5 * sched``) or modulated by
    another schedule (a restart curve times a staircase peak decay)."""

    reference = "lrjit composition (torch ChainedScheduler of multiplicative schedulers)"
    _op = staticmethod(jnp.multiply)


class Quotient(_Binary):
    """``left(step) / right(step)`` (an IEEE division; a zero denominator gives inf or NaN as floats do)."""

    reference = "lrjit composition"
    _op = staticmethod(ratio)


class Minimum(_Binary):
    """``min(left(step), right(step))``: e.g. a cap, ``lrjit.minimum(sched, 1e-3)``."""

    reference = "lrjit composition"
    _op = staticmethod(jnp.minimum)


class Maximum(_Binary):
    """``max(left(step), right(step))``: e.g. a floor, ``lrjit.maximum(sched, 1e-5)``."""

    reference = "lrjit composition"
    _op = staticmethod(jnp.maximum)


class Clip(Composite):
    """``schedule(step)`` clipped to ``[lower, upper]`` (either bound may be None: no bound on that side).

    Args:
      schedule: the schedule to clip.
      lower: the floor (finite float) or None.
      upper: the cap (finite float, >= lower) or None.
    """

    reference = "lrjit composition (jnp.clip)"
    schedule: Any = child()
    lower: Any = leaf(Kind.FLOAT, FINITE, default=None, optional=True)
    upper: Any = leaf(Kind.FLOAT, FINITE, default=None, optional=True)

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
        sched = sample_child("CosineDecay", rng, vector_len=n)
        peak = float(np.asarray(sched.initial_learning_rate))
        lower, upper = peak * rng.uniform(0.0, 0.4), peak * rng.uniform(0.5, 1.0)
        return {"schedule": sched, "lower": lower, "upper": upper}


def minimum(left: Schedule | float, right: Schedule | float) -> Minimum:
    """The elementwise minimum of two schedules (or a schedule and a number): a cap."""
    return Minimum(left, right)


def maximum(left: Schedule | float, right: Schedule | float) -> Maximum:
    """The elementwise maximum of two schedules (or a schedule and a number): a floor."""
    return Maximum(left, right)


def clip(schedule: Schedule, lower: float | None = None, upper: float | None = None) -> Clip:
    """``schedule`` clipped to ``[lower, upper]``; see :class:`Clip`."""
    return Clip(schedule, lower, upper)
