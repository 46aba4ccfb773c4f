"""The compositions behind the operators: the :class:`Composite` base, :class:`Constant`, and the
sums, differences, products and quotients that ``s1 * s2``, ``s + c``, ``c * s``, ``s - c``, ``s / c``
build (numbers become :class:`Constant` leaves)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import jax
import jax.numpy as jnp
import numpy as np

from lrjit.core.fields import FINITE, FloatLike, Kind, child, is_traced, leaf
from lrjit.core.numerics import ratio
from lrjit.core.schedule import Schedule, register_operator, sample_child

__all__ = ["Binary", "Composite", "Constant", "Difference", "Product", "Quotient", "Sum", "is_number"]


class Constant(Schedule):
    """``value`` at every step.

    Numbers in compositions (``2.0 * sched``, ``lrjit.minimum(sched, 1e-3)``) become a ``Constant``, so
    they are leaves like any hyperparameter: traced, vmapped over and differentiated.
    Reference: ``optax.constant_schedule``.

    Args:
      value: the rate (any finite float; compositions may scale or shift by negative numbers).

    Example:
      >>> import lrjit
      >>> print(lrjit.Constant(value=0.1)(np.array([0, 1000])))
      [0.1 0.1]
    """

    reference = "optax.constant_schedule"
    value: FloatLike = leaf(Kind.FLOAT, FINITE)

    def _evaluate(self, step: jax.Array) -> jax.Array:
        return jnp.broadcast_to(self._float(self.value), step.shape)


def is_number(value: Any) -> bool:
    """A Python, NumPy or JAX number or numeric array (not a bool)."""
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
            if self._fields[name].child == "one" and is_number(getattr(self, name)):
                object.__setattr__(self, name, Constant(getattr(self, name)))
        super().__post_init__()

    def _cast(self, value: jax.Array) -> jax.Array:
        """A child's values in this composition's dtype (the widest of its children's)."""
        return value.astype(self.dtype)


class Binary(Composite, abstract=True):
    """``op(left(step), right(step))`` for two schedules (or numbers, made constants).

    A subclass sets ``_op``, and ``symbol`` when it is the class behind an arithmetic operator.
    """

    left: Schedule | float = child()
    right: Schedule | float = child()
    _op: ClassVar[Callable[[jax.Array, jax.Array], jax.Array]]
    symbol: ClassVar[str | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("symbol"):
            register_operator(cls.symbol, _operands_or_not_implemented(cls))  # type: ignore[arg-type]

    def _evaluate(self, step: jax.Array) -> jax.Array:
        left = self._cast(self.left._evaluate(step))  # type: ignore[union-attr]
        right = self._cast(self.right._evaluate(step))  # type: ignore[union-attr]
        return type(self)._op(left, right)

    @classmethod
    def _sample_fields(cls, rng: np.random.Generator, n: int | None = None) -> dict[str, Any]:
        return {
            "left": sample_child("decay", rng, vector_len=n),
            "right": sample_child("modulator", rng, vector_len=n),
        }


def _operands_or_not_implemented(cls: type[Binary]) -> Callable[[Any, Any], Any]:
    def build(left: Any, right: Any) -> Any:
        if not all(isinstance(x, Schedule) or is_number(x) for x in (left, right)):
            return NotImplemented
        return cls(left, right)

    return build


class Sum(Binary):
    """``left(step) + right(step)``, e.g. a floor added under a decay: ``sched + 1e-5``.

    Example:
      >>> import lrjit
      >>> sched = lrjit.ExponentialLR(base_lr=1.0, gamma=0.5) + 0.25
      >>> type(sched).__name__
      'Sum'
      >>> print(sched(np.arange(5)))
      [1.25   0.75   0.5    0.375  0.3125]
    """

    reference = "lrjit composition"
    symbol = "+"
    _op = staticmethod(jnp.add)


class Difference(Binary):
    """``left(step) - right(step)``.

    Example:
      >>> import lrjit
      >>> sched = lrjit.ExponentialLR(base_lr=1.0, gamma=0.5) - 0.125
      >>> type(sched).__name__
      'Difference'
      >>> print(sched(np.arange(4)))
      [0.875 0.375 0.125 0.   ]
    """

    reference = "lrjit composition"
    symbol = "-"
    _op = staticmethod(jnp.subtract)

    @classmethod
    def _sample_fields(cls, rng: np.random.Generator, n: int | None = None) -> dict[str, Any]:
        # A decay minus a small offset: no cancellation, so samples test lrjit, not float subtraction.
        left = sample_child("decay", rng, vector_len=n)
        offset = float(np.asarray(left(0))) * rng.uniform(0.0, 0.2)
        return {"left": left, "right": Constant.sample(rng, value=offset)}


class Product(Binary):
    """``left(step) * right(step)``: a schedule scaled by a constant (``0.5 * sched``) or modulated by
    another schedule (a restart curve times a staircase peak decay).

    Example:
      >>> import lrjit
      >>> sched = 0.1 * lrjit.ExponentialLR(base_lr=1.0, gamma=0.5)
      >>> type(sched).__name__
      'Product'
      >>> print(sched(np.arange(5)))
      [0.1     0.05    0.025   0.0125  0.00625]
    """

    reference = "lrjit composition (torch ChainedScheduler of multiplicative schedulers)"
    symbol = "*"
    _op = staticmethod(jnp.multiply)


class Quotient(Binary):
    """``left(step) / right(step)`` (an IEEE division; a zero denominator gives inf or NaN as floats do).

    Example:
      >>> import lrjit
      >>> sched = lrjit.Constant(1.0) / lrjit.LinearLR(base_lr=1.0, start_factor=0.25, total_iters=3)
      >>> type(sched).__name__
      'Quotient'
      >>> print(sched(np.arange(5)))
      [4.        2.        1.3333334 1.        1.       ]
    """

    reference = "lrjit composition"
    symbol = "/"
    _op = staticmethod(ratio)
