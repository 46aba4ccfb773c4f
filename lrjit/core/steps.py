"""Normalizing the step argument: integers only, any shape."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from lrjit.core.fields import default_int_dtype, is_traced

__all__ = ["as_step_array", "concrete_steps"]


def as_step_array(step: Any) -> jax.Array:
    """Returns ``step`` as an integer jax array (int32, or int64 under x64), shape preserved.

    Steps count updates from 0. Float steps are rejected with TypeError rather than floored: a
    fractional epoch must be converted to an integer step count by the caller. A concrete negative step,
    or one beyond the integer dtype, raises ValueError. A traced step cannot be checked here: a negative
    traced step is evaluated by the formula as written (e.g. ``ExponentialDecay`` grows above its initial
    rate); use :func:`lrjit.checked_call` to catch it.

    Raises:
      TypeError: for float, bool, complex or non-numeric steps.
      ValueError: for concrete steps < 0 or too large for the integer dtype.
    """
    if is_traced(step):
        if not jnp.issubdtype(step.dtype, jnp.integer):
            raise TypeError(f"step must be an integer array, got a traced {step.dtype} value")
        return step.astype(default_int_dtype())
    return jnp.asarray(concrete_steps(step))


def concrete_steps(step: Any) -> np.ndarray | jax.Array:
    """A concrete ``step``, checked as :func:`as_step_array` checks it, in the integer dtype: a NumPy
    value, or the jax array itself when it already has that dtype (no device transfer either way)."""
    int_dtype = default_int_dtype()
    if type(step) is int:  # the common eager call, checked without building an array first
        _check_range(step, step, int_dtype)
        return np.asarray(step, dtype=int_dtype)
    if isinstance(step, bool | np.bool_):
        raise TypeError(f"step must be an integer, got the bool {step!r}")
    host = np.asarray(step)
    if not np.issubdtype(host.dtype, np.integer):
        raise TypeError(
            f"step must be an integer or integer array, got {host.dtype} {step!r:.60}; "
            "convert fractional epochs to integer steps explicitly"
        )
    if host.size:
        _check_range(host.min(), host.max(), int_dtype)
    if isinstance(step, jax.Array):
        return step if step.dtype == int_dtype else step.astype(int_dtype)
    return host.astype(int_dtype, copy=False)


def _check_range(lo: Any, hi: Any, int_dtype: np.dtype) -> None:
    if lo < 0:
        raise ValueError(f"step must be >= 0, got {lo}")
    limit = np.iinfo(int_dtype).max
    if hi > limit:
        raise ValueError(f"step must be <= {limit} for {int_dtype} steps (enable x64 for more), got {hi}")
