"""The config axis of a sweep over many devices and many hosts, with JAX's own sharding.

A batched schedule's configs are independent: each row of ``lrjit.curves(batch, n)`` depends on its own
config only. :func:`shard` places the leading config axis of every batched leaf across the devices of a
``jax.sharding.Mesh`` axis (shared leaves are replicated); ``jax.jit`` follows the input shardings, so
``lrjit.curves(shard(batch), n)`` and calls of the sharded schedule compute each device's configs on that
device and return a ``[K, N]`` array sharded over the configs, with no code change. The same holds for
population training: :func:`shard_configs` places the K models' params and optimizer states the same
way, :func:`share` places the inputs every model shares (the data), and
``lrjit.train.population.population_step`` then runs sharded. :func:`gather` brings a sharded result
back as NumPy, on every process.

Many hosts: start one process per host with ``jax.distributed.initialize()``; the default mesh spans the
global devices. Every process builds the same sweep (a seeded ``lrjit.random(..., seed=...)`` or a
``lrjit.grid``) and calls :func:`shard` with it: each process then keeps only the rows of its own devices
(``jax.make_array_from_callback``), and every step after that is the usual single-program code, run by every
process in the same order.

K must be a multiple of the mesh axis size; :func:`pad` repeats the last config up to one, and the
results are sliced back to the first K rows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import numpy as np
from jax.experimental import multihost_utils
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from lrjit.core import Config, batch_size, map_configs, take

__all__ = ["config_mesh", "gather", "pad", "shard", "shard_configs", "share"]


def config_mesh(axis: str = "configs", devices: Any = None) -> Mesh:
    """A one-axis mesh of ``devices`` (default: every global device, of every process) named ``axis``.

    Args:
      axis: the mesh axis name the config axis is sharded over.
      devices: a sequence of devices; default ``jax.devices()``.

    Returns:
      ``Mesh(devices, (axis,))``, whose axis type is JAX's default ``Auto``: ``jit`` propagates the
      input shardings (``jax.make_mesh`` would make an ``Explicit`` axis, part of every array's type).

    Example:
      >>> from lrjit.sweep.devices import config_mesh
      >>> config_mesh().axis_names
      ('configs',)
    """
    if not isinstance(axis, str) or not axis:
        raise ValueError(f"config_mesh: `axis` must be a non-empty string, got {axis!r}")
    devices = jax.devices() if devices is None else list(devices)
    return Mesh(np.array(devices), (axis,))


def shard(schedule: Config, mesh: Mesh | None = None, axis: str = "configs") -> Config:
    """The batched ``schedule`` with its config axis sharded over the devices of ``mesh``'s ``axis``.

    Every batched leaf (leading config axis of size K) is placed with
    ``NamedSharding(mesh, PartitionSpec(axis))``: each device holds K / devices consecutive configs; every
    shared leaf is replicated (``PartitionSpec()``). ``lrjit.curves`` and calls of the result then run on
    all those devices and return arrays sharded over the configs; the values are the unsharded ones.

    Args:
      schedule: a batched schedule (``lrjit.grid``, ``lrjit.random``, ``lrjit.stack``, a batched
        constructor) whose leaves are NumPy arrays, jax arrays or PRNG key arrays. With several processes,
        every process passes the same values (build the sweep the same way, with the same seed, on every
        host): each process reads the rows of its own devices only.
      mesh: the device mesh; default :func:`config_mesh` over every global device.
      axis: the name of the mesh axis that carries the configs (other mesh axes replicate them).

    Returns:
      The schedule, of the same structure, with ``jax.Array`` leaves placed on the mesh.

    Raises:
      ValueError: for a single (unbatched) schedule, an ``axis`` not in the mesh, or a K that the number
        of devices on ``axis`` does not divide (:func:`pad` the batch first).

    Example:
      >>> import lrjit
      >>> from lrjit.sweep.devices import gather, shard
      >>> sweep = lrjit.grid(lrjit.ExponentialLR(base_lr=1.0, gamma=0.5), base_lr=[1.0, 4.0])
      >>> sharded = shard(sweep)              # over every device (here one CPU)
      >>> print(gather(lrjit.curves(sharded, 3)))
      [[1.   0.5  0.25]
       [4.   2.   1.  ]]
    """
    if not isinstance(schedule, Config):
        raise TypeError(f"shard: `schedule` must be a batched lrjit schedule, got {schedule!r:.80}")
    k = batch_size(schedule)
    if k is None:
        raise ValueError(
            f"shard: `schedule` is a single {type(schedule).__name__} (no leaf has a config axis); shard "
            "a batch of configs: lrjit.grid, lrjit.random or lrjit.stack"
        )
    mesh = _mesh(mesh, axis, "shard")
    _check_divides(k, mesh, axis, "shard")
    batched, replicated = NamedSharding(mesh, PartitionSpec(axis)), NamedSharding(mesh, PartitionSpec())
    return map_configs(schedule, lambda x: _place(x, batched), lambda x: _place(x, replicated))


def shard_configs(tree: Any, mesh: Mesh | None = None, axis: str = "configs") -> Any:
    """Any pytree with a leading config axis K on every leaf, sharded over ``mesh``'s ``axis`` like
    :func:`shard`: the K models' params and optimizer states of population training.

    Args:
      tree: a pytree whose leaves all have a leading axis of K (e.g. ``replicate(params, K)`` and
        ``population_init(...)`` of :mod:`lrjit.train.population`); an lrjit schedule inside it is
        sharded by :func:`shard` (its shared leaves replicated). With several processes, every process
        passes the same values.
      mesh: the device mesh; default :func:`config_mesh` over every global device.
      axis: the name of the mesh axis that carries the configs.

    Returns:
      The pytree with every array leaf placed with ``NamedSharding(mesh, PartitionSpec(axis))``.

    Raises:
      ValueError: for a scalar leaf, leaves that disagree on K, an ``axis`` not in the mesh, or a K that
        the number of devices on ``axis`` does not divide.

    Example:
      >>> import numpy as np
      >>> from jax.sharding import PartitionSpec
      >>> from lrjit.sweep.devices import shard_configs
      >>> params = shard_configs({"w": np.zeros((4, 3), np.float32)})
      >>> params["w"].sharding.spec == PartitionSpec("configs")
      True
    """
    mesh = _mesh(mesh, axis, "shard_configs")
    is_config = lambda x: isinstance(x, Config)  # noqa: E731
    items, treedef = jax.tree_util.tree_flatten_with_path(tree, is_leaf=is_config)
    sizes: dict[int, str] = {}
    for path, x in items:
        name = jax.tree_util.keystr(path) or "tree"
        size = batch_size(x) if is_config(x) else (np.shape(x)[0] if np.ndim(x) else None)
        if size is None:
            raise ValueError(
                f"shard_configs: leaf {name} has no leading config axis (shape {np.shape(x)}); every leaf "
                "needs one (replicate it to [K, ...], or pass inputs all models share to share())"
            )
        sizes.setdefault(int(size), name)
    if len(sizes) > 1:
        shown = ", ".join(f"{where}: {k}" for k, where in sizes.items())
        raise ValueError(f"shard_configs: the leaves disagree on the config axis size K ({shown})")
    if sizes:
        _check_divides(next(iter(sizes)), mesh, axis, "shard_configs")
    sharding = NamedSharding(mesh, PartitionSpec(axis))
    placed = [shard(x, mesh, axis) if is_config(x) else _place(x, sharding) for _, x in items]
    return jax.tree_util.tree_unflatten(treedef, placed)


def share(tree: Any, mesh: Mesh | None = None) -> Any:
    """A pytree of arrays replicated on every device of ``mesh`` (``PartitionSpec()``): the inputs all
    configs share, such as the data batch of population training.

    On one process, a plain (uncommitted) array already goes with sharded arguments; with several
    processes, ``jit`` takes global arrays only, and this makes them from each process's copy.

    Args:
      tree: a pytree of NumPy or jax arrays (the same values on every process).
      mesh: the device mesh; default :func:`config_mesh` over every global device.

    Returns:
      The pytree with every array leaf replicated over the mesh.

    Example:
      >>> import numpy as np
      >>> from lrjit.sweep.devices import share
      >>> share(np.ones(3, np.float32)).sharding.is_fully_replicated
      True
    """
    mesh = config_mesh() if mesh is None else mesh
    if not isinstance(mesh, Mesh):
        raise TypeError(f"share: `mesh` must be a jax.sharding.Mesh, got {mesh!r:.80}")
    replicated = NamedSharding(mesh, PartitionSpec())
    return jax.tree.map(lambda x: _place(x, replicated), tree)


def pad(schedule: Config, multiple: int) -> Config:
    """The batched ``schedule`` with its last config repeated until K is a multiple of ``multiple``.

    Sharding needs K divisible by the number of devices; pad, shard, compute, and keep the first K rows
    of the results (``curves[:k]``). A K already a multiple is returned as it is.

    Args:
      schedule: a batched schedule.
      multiple: the number of devices on the mesh axis (an integer >= 1).

    Returns:
      The schedule with ``ceil(K / multiple) * multiple`` configs; shared leaves stay shared.

    Example:
      >>> import lrjit
      >>> from lrjit.sweep.devices import pad
      >>> sweep = lrjit.grid(lrjit.CosineDecay(0.1, 100), alpha=[0.0, 0.1, 0.2])
      >>> print(pad(sweep, 4).alpha)
      [0.  0.1 0.2 0.2]
    """
    if not isinstance(multiple, int | np.integer) or isinstance(multiple, bool) or multiple < 1:
        raise ValueError(f"pad: `multiple` must be an integer >= 1, got {multiple!r}")
    if not isinstance(schedule, Config):
        raise TypeError(f"pad: `schedule` must be a batched lrjit schedule, got {schedule!r:.80}")
    k = batch_size(schedule)
    if k is None:
        raise ValueError(f"pad: `schedule` is a single {type(schedule).__name__}; pad a batch of configs")
    extra = -k % int(multiple)
    if not extra:
        return schedule
    return take(schedule, np.minimum(np.arange(k + extra), k - 1))


def gather(tree: Any) -> Any:
    """A pytree of (possibly multi-process) sharded jax arrays as NumPy arrays holding the whole values,
    on every process.

    An array that spans other processes' devices is gathered with
    ``jax.experimental.multihost_utils.process_allgather(x, tiled=True)``: a collective, so every process
    calls :func:`gather` on the same arrays in the same order. Other arrays are copied to the host. PRNG
    key arrays come back as key arrays (a NumPy array cannot hold keys) on the default device.

    Args:
      tree: a pytree of jax arrays (or NumPy values, returned as arrays).

    Returns:
      The pytree with every leaf a NumPy array of the whole (global) value.

    Example:
      >>> import jax.numpy as jnp
      >>> from lrjit.sweep.devices import gather
      >>> gather({"x": jnp.arange(3)})
      {'x': array([0, 1, 2], dtype=int32)}
    """
    return jax.tree.map(_gather_leaf, tree)


# ------------------------------------------------------------------------------------------------------
def _mesh(mesh: Mesh | None, axis: str, who: str) -> Mesh:
    if not isinstance(axis, str) or not axis:
        raise ValueError(f"{who}: `axis` must be a non-empty string, got {axis!r}")
    if mesh is None:
        return config_mesh(axis)
    if not isinstance(mesh, Mesh):
        raise TypeError(f"{who}: `mesh` must be a jax.sharding.Mesh, got {mesh!r:.80}")
    if axis not in mesh.axis_names:
        raise ValueError(
            f"{who}: `axis` {axis!r} is not an axis of the mesh (its axes: {list(mesh.axis_names)}); pass "
            "axis= one of them"
        )
    return mesh


def _check_divides(k: int, mesh: Mesh, axis: str, who: str) -> None:
    devices = mesh.shape[axis]
    if k % devices:
        padded = -(-k // devices) * devices
        raise ValueError(
            f"{who}: the batch has K={k} configs, which the {devices} devices of mesh axis {axis!r} do not "
            f"divide; pad it to {padded} with lrjit.sweep.devices.pad(schedule, {devices}) and keep the "
            f"first {k} rows of the results, or use a mesh axis whose size divides {k}"
        )


def _is_key(x: Any) -> bool:
    return hasattr(x, "dtype") and jax.dtypes.issubdtype(x.dtype, jax.dtypes.prng_key)


def _place(x: Any, sharding: NamedSharding) -> jax.Array:
    """``x`` as one global array with ``sharding``, each process filling the shards of its own devices."""
    if isinstance(x, jax.core.Tracer):
        raise TypeError(
            "the sharding helpers place concrete values; inside a traced function, use "
            "jax.lax.with_sharding_constraint"
        )
    if _is_key(x):
        # Keys cannot go through a host buffer: their raw data (uint32, trailing key dimensions) is placed,
        # then wrapped again. The spec names the leading axis only, so the key dimensions stay whole.
        data = _place(jax.random.key_data(x), sharding)
        return jax.random.wrap_key_data(data, impl=jax.random.key_impl(x))
    if isinstance(x, jax.Array) and not x.is_fully_addressable:
        return jax.device_put(x, sharding)  # already global: a reshard, run by every process
    host = np.asarray(x)
    # The callback runs for this process's devices only: with several processes each fills its own.
    fill: Callable[[Any], np.ndarray] = lambda index: host[index]  # noqa: E731
    return jax.make_array_from_callback(host.shape, sharding, fill)


def _gather_leaf(x: Any) -> Any:
    if _is_key(x):
        return jax.random.wrap_key_data(_gather_leaf(jax.random.key_data(x)), impl=jax.random.key_impl(x))
    if isinstance(x, jax.Array) and not x.is_fully_addressable:
        return np.asarray(multihost_utils.process_allgather(x, tiled=True))
    return np.asarray(x)
