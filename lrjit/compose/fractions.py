"""Step counts given as fractions of a run: :func:`fractions`."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, TypeVar

import jax
import jax.numpy as jnp
import numpy as np

from lrjit.core import Config, Kind, fields_of, is_traced
from lrjit.core.fields import default_int_dtype, describe_bad

__all__ = ["ROUNDINGS", "fractions"]

ROUNDINGS = ("floor", "ceil", "round")
_NUMPY_ROUNDING = {"floor": np.floor, "ceil": np.ceil, "round": np.rint}
_JAX_ROUNDING = {"floor": jnp.floor, "ceil": jnp.ceil, "round": jnp.rint}
_PYTHON_ROUNDING: dict[str, Callable[[float], int]] = {"floor": math.floor, "ceil": math.ceil, "round": round}
_INT_KINDS = (Kind.INT, Kind.INT_VECTOR)

C = TypeVar("C", bound=Config)


def fractions(family: type[C], /, *args: Any, total_steps: int, rounding: str = "floor", **kwargs: Any) -> C:
    """``family(*args, **kwargs)`` with its step counts given as fractions of a run of ``total_steps``.

    The durations are the arguments of ``family`` declared with an integer kind (``Kind.INT`` /
    ``Kind.INT_VECTOR`` in ``lrjit.fields_of(family)``: ``decay_steps``, ``warmup_steps``, ``T_max``,
    ``milestones``, a composition's ``steps``, ...). Given one of them:

    - a float in [0, 1] (or a float array of them, or a list of floats) is that fraction of
      ``total_steps``: ``rounding(fraction * total_steps)``, computed in float64 (in the traced dtype under
      ``jit`` / ``vmap``); ``rounding`` is ``'floor'`` (the default: ``int(total * fraction)`` as MaxText,
      Levanter and big_vision compute their phases), ``'ceil'`` (Hugging Face's ``warmup_ratio``) or
      ``'round'`` (half to even, as Python's ``round``);
    - an int (or an integer array) is a step count and is kept as given;
    - a float outside [0, 1] (or NaN) raises ValueError naming the argument and the value.

    Arrays of fractions give arrays of steps: a batched config whose fractions vary, e.g. for a sweep.
    A list is converted as a whole (all fractions, or all step counts). Traced fractions are not
    range-checked. The other arguments (rates, factors, sub-schedules) are passed unchanged, so an integer
    argument that is no duration (a cycle count, a seed) must be given as an int. A family with a
    ``total_steps`` argument of its own (``OneCycleLR``) receives ``total_steps`` too.

    Args:
      family: a schedule family or composition class (any lrjit config class).
      *args: positional arguments of ``family``.
      total_steps: the length of the run the fractions are of (an integer >= 0).
      rounding: ``'floor'``, ``'ceil'`` or ``'round'``.
      **kwargs: keyword arguments of ``family``.

    Returns:
      ``family`` built with the durations in steps.

    Raises:
      ValueError: a fraction outside [0, 1], a bad ``total_steps`` or ``rounding``.
      TypeError: more positional arguments than ``family`` takes.

    Example:
      >>> import lrjit
      >>> sched = lrjit.fractions(
      ...     lrjit.CosineDecay, total_steps=10_000, initial_learning_rate=0.0, decay_steps=0.9,
      ...     warmup_steps=0.1, warmup_target=0.1)
      >>> int(sched.decay_steps), int(sched.warmup_steps)
      (9000, 1000)
      >>> batch = lrjit.fractions(lrjit.StepLR, 1.0, np.array([0.25, 0.5]), total_steps=100)
      >>> print(batch.step_size)
      [25 50]
    """
    if isinstance(total_steps, bool) or not isinstance(total_steps, int | np.integer) or total_steps < 0:
        raise ValueError(f"fractions: `total_steps` must be an integer >= 0, got {total_steps!r}")
    if rounding not in ROUNDINGS:
        raise ValueError(f"fractions: `rounding` must be one of {', '.join(ROUNDINGS)}, got {rounding!r}")
    specs = fields_of(family)
    names = list(specs)
    if len(args) > len(names):
        raise TypeError(f"fractions: {family.__name__} takes {len(names)} arguments, got {len(args)}")
    given = dict(zip(names, args, strict=False))
    for name, value in kwargs.items():
        if name in given:
            raise TypeError(f"fractions: {family.__name__} got `{name}` twice (by position and by name)")
        given[name] = value
    if "total_steps" in specs and "total_steps" not in given:
        given["total_steps"] = int(total_steps)
    for name, value in given.items():
        spec = specs.get(name)
        if spec is not None and spec.is_leaf and spec.kind in _INT_KINDS:
            given[name] = _steps(name, value, int(total_steps), rounding)
    return family(**given)


def _steps(name: str, value: Any, total: int, rounding: str) -> Any:
    """One duration argument in steps (see :func:`fractions`)."""
    if value is None or isinstance(value, bool | np.bool_ | int | np.integer):
        return value
    if isinstance(value, float | np.floating):
        _check_unit(name, np.asarray(value, np.float64))
        return _PYTHON_ROUNDING[rounding](float(value) * total)
    if is_traced(value):
        if not jnp.issubdtype(value.dtype, jnp.floating):
            return value
        return _JAX_ROUNDING[rounding](value * total).astype(default_int_dtype())
    arr = np.asarray(jax.device_get(value) if isinstance(value, jax.Array) else value)
    if not np.issubdtype(arr.dtype, np.floating):
        return value  # integer (or non-numeric: the family says what is wrong)
    arr = arr.astype(np.float64)
    _check_unit(name, arr)
    return _NUMPY_ROUNDING[rounding](arr * total).astype(np.int64)


def _check_unit(name: str, arr: np.ndarray) -> None:
    ok = (arr >= 0) & (arr <= 1)  # NaN fails both comparisons
    if not ok.all():
        raise ValueError(
            f"fractions: `{name}` must be a fraction of total_steps in [0, 1] (or a step count as an int), "
            f"got {describe_bad(arr, ok)}"
        )
