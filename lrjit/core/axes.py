"""The config axis of batched configs: which leaves carry one, the batch size, and ``vmap`` over it.

A *batched* config has a leading axis of size K on some of its leaves (those without it are shared by all
K configs). One config's leaves have the dimensions their kind declares (0 for scalars, 1 for vectors such
as boundaries, one more under a stacked sub-schedule); any extra leading dimension is the config axis.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import jax
import jax.numpy as jnp
import numpy as np

from lrjit.core.config import Config, fields_of

C = TypeVar("C", bound=Config)

__all__ = [
    "base_ndims",
    "batch_dims",
    "batch_size",
    "config_axes",
    "share_equal_leaves",
    "vmap_over_configs",
]


def base_ndims(tree: Any) -> list[int]:
    """Per leaf of ``tree`` (in tree_leaves order), the number of dimensions of one unbatched config."""
    out: list[int] = []
    if isinstance(tree, Config):
        for spec in fields_of(tree).values():
            if spec.static:
                continue
            value = getattr(tree, spec.name)
            if value is None:
                continue
            if spec.child == "stacked":  # a leading piece axis on every leaf
                out.extend(d + 1 for d in base_ndims(value))
            elif isinstance(value, Config | tuple | list):
                out.extend(base_ndims(value))
            else:
                assert spec.kind is not None
                out.append(spec.kind.base_ndim)
    elif isinstance(tree, tuple | list):
        for item in tree:
            out.extend(base_ndims(item))
    return out


def batch_dims(config: Any) -> list[int]:
    """Per leaf (in tree_leaves order), how many leading config axes it has: 0 (shared) or 1 (batched)."""
    leaves = jax.tree_util.tree_leaves(config)
    return [np.ndim(x) - base for x, base in zip(leaves, base_ndims(config), strict=True)]


def batch_size(schedule: Config) -> int | None:
    """K for a batched schedule (leaves with a leading config axis), None for a single config.

    Raises:
      ValueError: if leaves disagree on K or have more than one batch axis.
    """
    leaves = jax.tree_util.tree_leaves(schedule)
    dims = batch_dims(schedule)
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
    return jax.tree_util.tree_unflatten(treedef, [0 if d == 1 else None for d in batch_dims(schedule)])


def share_equal_leaves(schedule: C) -> C:
    """``schedule`` with every batched leaf whose K entries are all equal replaced by one shared entry.

    ``vmap`` leaves shared leaves unbatched, and every operation that depends on shared leaves only (a
    sweep over the peak rate shares the whole curve's shape) is then computed once, at ``[N]``, not ``[K,
    N]``. Traced leaves cannot be compared and stay as they are; when every leaf is equal across the
    batch, the first stays batched, so the batch keeps its size K.
    """
    k = batch_size(schedule)
    if k is None:
        return schedule
    leaves, treedef = jax.tree_util.tree_flatten(schedule)
    dims = batch_dims(schedule)
    shared = [d == 1 and _all_equal(x) for x, d in zip(leaves, dims, strict=True)]
    if not any(shared):
        return schedule
    if all(s or d == 0 for s, d in zip(shared, dims, strict=True)):
        shared[dims.index(1)] = False
    kept = [x[0] if s else x for x, s in zip(leaves, shared, strict=True)]
    return jax.tree_util.tree_unflatten(treedef, kept)


def _all_equal(x: Any) -> bool:
    """Whether a concrete batched leaf holds K bitwise-equal entries (so NaNs and signed zeros count)."""
    if isinstance(x, jax.core.Tracer):
        return False
    host = np.asarray(jax.random.key_data(x) if jax.dtypes.issubdtype(x.dtype, jax.dtypes.prng_key) else x)
    if host.dtype.kind == "f":
        host = host.view(f"u{host.dtype.itemsize}")
    return bool(np.all(host == host[:1]))


def vmap_over_configs(fn: Callable[..., jax.Array], schedule: Config, *args: Any) -> jax.Array:
    """``fn(single_config, *args)`` for every config of a batched schedule, stacked on axis 0."""
    # Host (NumPy) leaves become device arrays first: vmap would otherwise batch raw ndarrays, which
    # custom-derivative rules inside the formulas do not accept.
    schedule = jax.tree.map(jnp.asarray, schedule)
    return jax.vmap(fn, in_axes=(config_axes(schedule),) + (None,) * len(args))(schedule, *args)
