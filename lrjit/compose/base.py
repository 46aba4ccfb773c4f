"""The composition base class and the constant schedule that arithmetic coerces numbers into."""

from __future__ import annotations

from typing import Any, ClassVar

import jax
import jax.numpy as jnp
import numpy as np

from lrjit.core.fields import FINITE, Kind, is_traced, leaf
from lrjit.core.schedule import Schedule

__all__ = ["Composite", "Constant"]


class Constant(Schedule):
    """``value`` at every step.

    Numbers in compositions (``2.0 * sched``, ``lrjit.minimum(sched, 1e-3)``) become a ``Constant``, so
    they are leaves like any hyperparameter: traced, vmapped over and differentiated.
    Reference: ``optax.constant_schedule``.

    Args:
      value: the rate (any finite float; compositions may scale or shift by negative numbers).
    """

    reference = "optax.constant_schedule"
    value: Any = leaf(Kind.FLOAT, FINITE)

    def _evaluate(self, step: jax.Array) -> jax.Array:
        return jnp.broadcast_to(self._float(self.value), step.shape)


def is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float | np.integer | np.floating):
        return True
    if isinstance(value, np.ndarray | jax.Array) or is_traced(value):
        return jnp.issubdtype(jnp.result_type(value), jnp.number)
    return False


class Composite(Schedule, abstract=True):
    """A schedule built from other schedules (its ``child`` fields), itself an ordinary schedule.

    Sub-schedules are pytree subtrees, so every hyperparameter of every piece is a leaf of the composition:
    ``jit`` does not recompile for new values, ``vmap`` reaches every leaf (boundaries included) and
    ``grad`` every float. A number given where a schedule is expected becomes a :class:`Constant`.
    Subclasses evaluate their children with ``child._evaluate(step)`` on already-normalized steps.
    """

    composite: ClassVar[bool] = True

    def __post_init__(self) -> None:
        for name in self._leaf_names:
            if self._specs[name].child == "one" and is_number(getattr(self, name)):
                object.__setattr__(self, name, Constant(getattr(self, name)))
        super().__post_init__()

    def _cast(self, value: jax.Array) -> jax.Array:
        """A child's values in this composition's dtype (the widest of its children's)."""
        return value.astype(self.dtype)


def sample_child(family: str, rng: np.random.Generator, **fixed: Any) -> Schedule:
    """A random config of ``family`` for a composition's ``sample`` (a fixed family per field, so that
    sampled compositions of one class share a structure and stack)."""
    from lrjit.core.schedule import registry

    return registry()[family].sample(rng, **fixed)
