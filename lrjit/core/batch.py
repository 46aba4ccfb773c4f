"""Batches of configs: stacking, unstacking, vmapping, whole curve matrices, and float-leaf partitions.

A *batched* schedule has a leading axis of size K on some of its leaves (those without it are shared by all
K configs). ``lrjit.stack`` builds one from K schedules of the same structure; ``lrjit.curves`` evaluates it
on N steps as one jitted call returning ``[K, N]``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from lrjit.core.fields import default_int_dtype, is_traced
from lrjit.core.schedule import Config, Schedule
from lrjit.core.steps import as_step_array

__all__ = ["batch_size", "combine", "curves", "is_float_leaf", "partition", "stack", "unstack"]


def _base_ndims(tree: Any) -> list[int]:
    """Per leaf of ``tree`` (in tree_leaves order), the number of dimensions of one unbatched config."""
    out: list[int] = []
    if isinstance(tree, Config):
        for name in tree._leaf_names:
            value = getattr(tree, name)
            if value is None:
                continue
            if tree._specs[name].child == "stacked":  # a leading piece axis on every leaf
                out.extend(d + 1 for d in _base_ndims(value))
            elif isinstance(value, Config | tuple | list):
                out.extend(_base_ndims(value))
            else:
                kind = tree._specs[name].kind
                assert kind is not None
                out.append(kind.base_ndim)
    elif isinstance(tree, tuple | list):
        for item in tree:
            out.extend(_base_ndims(item))
    return out


def _batch_dims(schedule: Schedule) -> list[int]:
    leaves = jax.tree_util.tree_leaves(schedule)
    return [np.ndim(x) - base for x, base in zip(leaves, _base_ndims(schedule), strict=True)]


def batch_size(schedule: Schedule) -> int | None:
    """K for a batched schedule (leaves with a leading config axis), None for a single config.

    Raises:
      ValueError: if leaves disagree on K or have more than one batch axis.
    """
    leaves = jax.tree_util.tree_leaves(schedule)
    dims = _batch_dims(schedule)
    if any(d > 1 for d in dims):
        raise ValueError("schedules support one batch axis; reshape nested batches to [K]")
    if any(d < 0 for d in dims):
        raise ValueError(f"a leaf of {type(schedule).__name__} has fewer dimensions than one config needs")
    sizes = {np.shape(x)[0] for x, d in zip(leaves, dims, strict=True) if d == 1}
    if len(sizes) > 1:
        name = type(schedule).__name__
        raise ValueError(f"batched leaves of {name} disagree on the batch size: {sorted(sizes)}")
    return sizes.pop() if sizes else None


def config_axes(schedule: Config) -> Config:
    """The ``in_axes`` for ``jax.vmap`` over the configs of a batched schedule (or config): 0 on leaves
    with a batch axis, None on shared ones. ``jax.vmap(f, in_axes=(lrjit.config_axes(batch), ...))``
    hands ``f`` one config per lane, e.g. to train K models each with its own schedule."""
    treedef = jax.tree_util.tree_structure(schedule)
    return jax.tree_util.tree_unflatten(treedef, [0 if d == 1 else None for d in _batch_dims(schedule)])


def vmap_over_configs(fn: Callable[[Any, Any], jax.Array], schedule: Schedule, *args: Any) -> jax.Array:
    """``fn(single_config, *args)`` for every config of a batched schedule, stacked on axis 0."""
    # Host (NumPy) leaves become device arrays first: vmap would otherwise batch raw ndarrays, which
    # custom-derivative rules inside the formulas do not accept.
    schedule = jax.tree.map(jnp.asarray, schedule)
    return jax.vmap(fn, in_axes=(config_axes(schedule),) + (None,) * len(args))(schedule, *args)


def stack(schedules: Sequence[Schedule]) -> Schedule:
    """Stacks K schedules of one structure into one batched schedule (every leaf gets a leading K axis).

    Args:
      schedules: single (unbatched) schedules of the same family and structure: same static fields, the
        same optional fields set, the same number of boundaries.

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
            diff = _first_difference(first, s)
            if diff:
                raise ValueError(f"cannot stack schedules[0] and schedules[{i}]: {diff}")
    columns = zip(*(jax.tree_util.tree_leaves(s) for s in schedules), strict=True)
    stacked = [
        np.stack(col) if not any(isinstance(x, jax.Array) or is_traced(x) for x in col) else jnp.stack(col)
        for col in columns
    ]
    return jax.tree_util.tree_unflatten(jax.tree_util.tree_structure(first), stacked)


def _first_difference(a: Any, b: Any, path: str = "") -> str | None:
    """A description of the first structural difference between two single schedules, or None."""
    where = path or "schedule"
    if type(a) is not type(b):
        return f"{where}: {type(a).__name__} vs {type(b).__name__}"
    if isinstance(a, tuple | list):
        if len(a) != len(b):
            return f"{where}: {len(a)} vs {len(b)} items"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            d = _first_difference(x, y, f"{path}[{i}]")
            if d:
                return d
        return None
    if not isinstance(a, Config):
        return None
    for name in type(a)._specs:
        x, y = getattr(a, name), getattr(b, name)
        sub = f"{path}.{name}" if path else name
        if a._specs[name].static:
            if x != y:
                return f"{sub}: {x!r} vs {y!r}"
        elif (x is None) != (y is None):
            return f"{sub}: {_show(x)} vs {_show(y)}"
        elif isinstance(x, Config | tuple | list):
            d = _first_difference(x, y, sub)
            if d:
                return d
        elif x is not None and (np.shape(x) != np.shape(y) or x.dtype != y.dtype):
            return f"{sub}: shape {np.shape(x)} {x.dtype} vs {np.shape(y)} {y.dtype}"
    return None


def _show(x: Any) -> str:
    return "None" if x is None else "a value"


def unstack(schedule: Schedule) -> list[Schedule]:
    """The K single schedules of a batched schedule (shared leaves are repeated)."""
    k = batch_size(schedule)
    if k is None:
        return [schedule]
    leaves, treedef = jax.tree_util.tree_flatten(schedule)
    dims = _batch_dims(schedule)
    return [
        jax.tree_util.tree_unflatten(
            treedef, [x[i] if d == 1 else x for x, d in zip(leaves, dims, strict=True)]
        )
        for i in range(k)
    ]


@jax.jit
def _curves_at(schedule: Schedule, steps: jax.Array) -> jax.Array:
    return schedule(steps)


@functools.partial(jax.jit, static_argnums=1)
def _curves_range(schedule: Schedule, n: int) -> jax.Array:
    # The steps are generated inside the kernel (an iota): nothing but the curves touches memory.
    return schedule(jnp.arange(n, dtype=default_int_dtype()))


def curves(schedule: Schedule, steps: int | Any) -> jax.Array:
    """The whole curve matrix in one jitted call.

    Compiled once per structure (family, static fields, leaf shapes and dtypes, number of steps): a new
    config of the same structure reuses the compiled kernel.

    Args:
      schedule: a single or batched schedule.
      steps: N (evaluates steps 0..N-1) or a 1-D integer array of steps.

    Returns:
      ``[K, N]`` for a batched schedule, ``[N]`` for a single one.
    """
    if isinstance(steps, int | np.integer) and not isinstance(steps, bool):
        if not 0 <= steps <= np.iinfo(default_int_dtype()).max:
            raise ValueError(f"steps must be a count >= 0 or an array of steps, got {steps}")
        return _curves_range(schedule, int(steps))
    steps = as_step_array(steps)
    if steps.ndim != 1:
        raise ValueError(f"steps must be 1-D, got shape {steps.shape}")
    return _curves_at(schedule, steps)


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
