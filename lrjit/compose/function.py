"""A schedule whose value is a user's own jax.numpy function of the step."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from lrjit.core import Composite, FieldTypeError, static
from lrjit.core.fields import default_float_dtype

__all__ = ["StepFunction"]

StepFn = Callable[[jax.Array], Any]


def _function(owner: str, fn: Any) -> StepFn:
    """``fn`` as the static field: a callable, hashable (the pytree structure holds it; functions hash by
    identity). It is not called: a probe would run its side effects."""
    if not callable(fn):
        raise FieldTypeError(owner, "fn", f"`fn` must be a function of the step array, got {fn!r:.60}")
    try:
        hash(fn)
    except TypeError:
        raise FieldTypeError(
            owner, "fn", f"`fn` must be hashable (functions are; this {type(fn).__name__} is not)"
        ) from None
    return fn


def _name(fn: StepFn) -> str:
    return getattr(fn, "__qualname__", None) or repr(fn)


# Not in lrjit.registry() (abstract=True): the registry lists the classes that specs and configs can name
# and rebuild, and that the generic suites sample and stack by their leaves; a Python function is no
# value a config holds, and a schedule with no leaves has no batch of its own.
class StepFunction(Composite, abstract=True):
    """``fn(step)``: a function of the integer step array, written with ``jax.numpy``, as a schedule.

    ``fn`` receives the steps as an integer array (int32, int64 under x64; traced, since schedules are
    evaluated as compiled programs) and returns one value per step: an array of the steps' shape, or a scalar
    for every step; integer and bool values are taken as floats. The result is in the default float dtype
    (float32, float64 under x64). Integer arithmetic on the steps wraps at the dtype's largest value
    (``step + 1`` at 2**31 - 1 is negative): work in floats (``step / 50``) where steps may reach it.

    ``fn`` is structure, not a hyperparameter: the schedule has no leaves of its own, it is hashed and
    compared by the function's identity, and a new function (a new ``lambda``) is a new structure, compiled
    anew; define it once. It composes like any schedule (``0.1 * StepFunction(f)``, :func:`lrjit.sequence`,
    :func:`lrjit.warmup`) and is batched next to other schedules through their leaves
    (``lrjit.stack([0.1 * s, 0.2 * s])``).

    ``fn`` is not called when the schedule is built (it may have side effects); what it returns is checked
    when the schedule is evaluated, and an error names the function. A Python function of a Python number
    (``math.cos(step)``, ``if step < 10``) cannot run on traced steps: write it with ``jnp.cos`` and
    ``jnp.where``. A config or spec cannot hold a function: ``to_config`` and ``to_spec`` refuse it.
    Reference: torch's ``LambdaLR`` multiplier (``lr_lambda``), as a ``jax.numpy`` function.

    Args:
      fn: the function, ``step array -> values``; hashable.

    Example:
      >>> import jax.numpy as jnp
      >>> import lrjit
      >>> def inverse_sqrt(step):
      ...     return 1.0 / jnp.sqrt(1.0 + step)
      >>> sched = 0.1 * lrjit.StepFunction(inverse_sqrt)
      >>> print(np.asarray(sched(np.array([0, 3, 8, 99])), np.float64).round(6))
      [0.1      0.05     0.033333 0.01    ]
    """

    reference = "lrjit composition (torch LambdaLR's lr_lambda as a jax.numpy function)"
    fn: StepFn = static(normalize=_function)

    @property
    def dtype(self) -> np.dtype:
        """The default float dtype: a function has no hyperparameters to take one from."""
        return default_float_dtype()

    def _evaluate(self, step: jax.Array) -> jax.Array:
        name = _name(self.fn)
        try:
            out = self.fn(step)
        except (TypeError, ValueError) as e:  # mostly: it wanted a Python number (math.cos, `if`)
            first = (str(e).splitlines() or [""])[0]
            raise TypeError(
                f"StepFunction: fn={name} failed on an array of steps ({type(e).__name__}: {first}); it must "
                "take the integer step array and be written with jax.numpy: jnp.cos for math.cos, "
                "jnp.where for `if`"
            ) from e
        try:
            value = jnp.asarray(out)
        except (TypeError, ValueError) as e:
            raise TypeError(f"StepFunction: fn={name} returned {out!r:.60}, not numbers") from e
        if not (jnp.issubdtype(value.dtype, jnp.number) or value.dtype == jnp.bool_) or jnp.issubdtype(
            value.dtype, jnp.complexfloating
        ):
            raise TypeError(
                f"StepFunction: fn={name} returned {value.dtype} values; it must return real numbers"
            )
        if value.shape != step.shape:
            if value.ndim:
                raise ValueError(
                    f"StepFunction: fn={name} returned shape {value.shape} for steps of shape {step.shape}; "
                    "it must give one value per step (or one scalar for every step)"
                )
            value = jnp.broadcast_to(value, step.shape)
        return value.astype(self.dtype)
