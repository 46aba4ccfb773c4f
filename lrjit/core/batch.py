"""Batches of configs: stacking, unstacking, whole curve matrices, and float-leaf partitions.

``lrjit.stack`` builds a batched schedule (see :mod:`lrjit.core.axes`) from K schedules of the same
structure; ``lrjit.curves`` evaluates it on N steps as one jitted call returning ``[K, N]``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import jax
import jax.numpy as jnp
import numpy as np

from lrjit.core.axes import batch_dims, batch_size
from lrjit.core.config import Config, fields_of
from lrjit.core.fields import default_int_dtype, is_traced
from lrjit.core.schedule import Schedule, record_shared_leaves, resident
from lrjit.core.shared import evaluate_sharing
from lrjit.core.steps import as_step_array

C = TypeVar("C", bound=Config)

__all__ = [
    "combine",
    "curves",
    "curves_at",
    "curves_range",
    "first_difference",
    "is_float_leaf",
    "partition",
    "stack",
    "take",
    "unstack",
]


def stack(schedules: Sequence[C], *, share: bool = True) -> C:
    """Stacks K schedules of one structure into one batched schedule (every leaf gets a leading K axis).

    Args:
      schedules: single (unbatched) schedules of the same family and structure: same static fields, the
        same optional fields set, the same number of boundaries.
      share: record which leaves are equal across the K schedules, so that concrete evaluations (calls,
        :func:`curves`) compute whatever depends on those leaves only once for the batch (see
        :func:`lrjit.core.record_shared_leaves`). Which leaves are equal is then part of the evaluated
        program's structure; ``share=False`` evaluates every leaf batched: one program for any values.

    Returns:
      A schedule of the same family whose leaves have shape ``[K, ...]``.

    Raises:
      ValueError: naming the first field that differs, when the structures differ.
    """
    schedules = list(schedules)
    if not schedules:
        raise ValueError("stack needs at least one schedule")
    first = schedules[0]
    for i, s in enumerate(schedules):
        if not isinstance(s, Config):
            raise TypeError(f"schedules[{i}] is not an lrjit schedule or config: {s!r:.80}")
        if batch_size(s) is not None:
            raise ValueError(f"schedules[{i}] is already batched; unstack it first")
        if i:
            diff = first_difference(first, s)
            if diff:
                raise ValueError(f"cannot stack schedules[0] and schedules[{i}]: {diff}")
    columns = zip(*(jax.tree_util.tree_leaves(s) for s in schedules), strict=True)
    stacked = [
        np.stack(col) if not any(isinstance(x, jax.Array) or is_traced(x) for x in col) else jnp.stack(col)
        for col in columns
    ]
    batch = jax.tree_util.tree_unflatten(jax.tree_util.tree_structure(first), stacked)
    return record_shared_leaves(batch) if share else batch


def first_difference(a: Any, b: Any, path: str = "") -> str | None:
    """A description of the first structural difference between two single schedules (what keeps them
    from stacking: family, static fields, optional fields set, leaf shapes and dtypes), or None."""
    where = path or "schedule"
    if type(a) is not type(b):
        return f"{where}: {type(a).__name__} vs {type(b).__name__}"
    if isinstance(a, tuple | list):
        if len(a) != len(b):
            return f"{where}: {len(a)} vs {len(b)} items"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            d = first_difference(x, y, f"{path}[{i}]")
            if d:
                return d
        return None
    if not isinstance(a, Config):
        return None
    for spec in fields_of(a).values():
        name = spec.name
        x, y = getattr(a, name), getattr(b, name)
        sub = f"{path}.{name}" if path else name
        if spec.static:
            if x != y:
                return f"{sub}: {x!r} vs {y!r}"
        elif (x is None) != (y is None):
            return f"{sub}: {_show(x)} vs {_show(y)}"
        elif isinstance(x, Config | tuple | list):
            d = first_difference(x, y, sub)
            if d:
                return d
        elif x is not None and (np.shape(x) != np.shape(y) or x.dtype != y.dtype):
            return f"{sub}: shape {np.shape(x)} {x.dtype} vs {np.shape(y)} {y.dtype}"
    return None


def _show(x: Any) -> str:
    return "None" if x is None else "a value"


def unstack(schedule: C) -> list[C]:
    """The K single schedules of a batched schedule (shared leaves are repeated)."""
    k = batch_size(schedule)
    return [schedule] if k is None else [take(schedule, i) for i in range(k)]


def map_configs(schedule: C, batched: Callable[[Any], Any], shared: Callable[[Any], Any] | None = None) -> C:
    """``schedule`` with ``batched`` applied to every leaf that has a config axis (at axis 0) and
    ``shared`` (default: unchanged) to the others: the one place that pairs leaves with their batch dims,
    for selecting, slicing, padding or placing configs."""
    leaves, treedef = jax.tree_util.tree_flatten(schedule)
    keep = shared if shared is not None else (lambda x: x)
    mapped = [batched(x) if d == 1 else keep(x) for x, d in zip(leaves, batch_dims(schedule), strict=True)]
    return jax.tree_util.tree_unflatten(treedef, mapped)


def take(schedule: C, index: Any) -> C:
    """Some configs of a batched schedule: ``index`` (an int, a slice or an integer array) applied to the
    config axis of every batched leaf; shared leaves stay shared. An int gives a single config; an index
    array may repeat configs (padding) and may be traced (inside ``jit``).

    Works on NumPy and JAX leaves (PRNG keys included).
    """
    if batch_size(schedule) is None:
        raise ValueError("take needs a batched schedule; this one is a single config")
    return map_configs(schedule, lambda x: x[index])


def _call(schedule: Schedule, steps: jax.Array) -> jax.Array:
    return schedule(steps)


@jax.jit
def curves_at(schedule: Schedule, steps: jax.Array) -> jax.Array:
    """The jitted program behind ``curves(schedule, steps_array)`` (one per structure and step shape)."""
    return evaluate_sharing(_call, schedule, steps)


@functools.partial(jax.jit, static_argnums=1)
def curves_range(schedule: Schedule, n: int) -> jax.Array:
    """The jitted program behind ``curves(schedule, n)`` (one per structure and ``n``)."""
    # The steps are generated inside the kernel (an iota): nothing but the curves touches memory.
    return evaluate_sharing(_call, schedule, jnp.arange(n, dtype=default_int_dtype()))


def curves(schedule: Schedule, steps: int | Any) -> jax.Array:
    """The whole curve matrix in one jitted call.

    Compiled once per structure (family, static fields, leaf shapes and dtypes, number of steps): a new
    config of the same structure reuses the compiled kernel. Shared leaves of a batch (scalars next to
    batched leaves in a batched constructor; leaves :func:`stack` found equal across the configs) are
    evaluated unbatched, so whatever depends on them only (the curve's shape in a sweep over the peak
    rate) is computed once for the batch.

    Args:
      schedule: a single or batched schedule.
      steps: N (evaluates steps 0..N-1) or a 1-D integer array of steps.

    Returns:
      ``[K, N]`` for a batched schedule, ``[N]`` for a single one.
    """
    if not any(is_traced(x) for x in jax.tree_util.tree_leaves(schedule)):
        schedule = resident(schedule)
    if isinstance(steps, int | np.integer) and not isinstance(steps, bool):
        if not 0 <= steps <= np.iinfo(default_int_dtype()).max:
            raise ValueError(f"steps must be a count >= 0 or an array of steps, got {steps}")
        return curves_range(schedule, int(steps))
    steps = as_step_array(steps)
    if steps.ndim != 1:
        raise ValueError(f"steps must be 1-D, got shape {steps.shape}")
    return curves_at(schedule, steps)


def is_float_leaf(x: Any) -> bool:
    """True for floating-point leaves: the hyperparameters that ``jax.grad`` can differentiate."""
    return x is not None and jnp.issubdtype(jnp.result_type(x), jnp.floating)


def partition(tree: Any, predicate: Callable[[Any], bool] = is_float_leaf) -> tuple[Any, Any]:
    """Splits a pytree into (leaves where ``predicate``, the rest), each with None in the other's places.

    ``jax.grad`` needs float inputs only; ``partition`` + :func:`combine` differentiate a schedule with
    respect to all of its float hyperparameters::

        params, rest = lrjit.partition(sched)
        grads = jax.grad(lambda p: lrjit.combine(p, rest)(step))(params)
    """
    leaves, treedef = jax.tree_util.tree_flatten(tree)
    keep = [predicate(x) for x in leaves]
    a = [x if k else None for x, k in zip(leaves, keep, strict=True)]
    b = [None if k else x for x, k in zip(leaves, keep, strict=True)]
    return jax.tree_util.tree_unflatten(treedef, a), jax.tree_util.tree_unflatten(treedef, b)


def combine(*trees: Any) -> Any:
    """Merges trees from :func:`partition`: the first non-None leaf at each position wins."""
    flat = [jax.tree_util.tree_flatten(t, is_leaf=lambda x: x is None) for t in trees]
    treedef = flat[0][1]
    merged = [
        next((x for x in col if x is not None), None) for col in zip(*(f[0] for f in flat), strict=True)
    ]
    return jax.tree_util.tree_unflatten(treedef, merged)
