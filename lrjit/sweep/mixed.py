"""Sweeps over several structures: cosine vs WSD vs one-cycle in one sweep, in the user's order.

A batched schedule holds configs of one structure (family, static fields, optional fields set, number of
boundaries): one compiled kernel evaluates them all. :class:`Sweep` holds configs of any structures: it
groups them by structure into batched schedules (a group's configs concatenated, its equal leaves
shared), evaluates one kernel per group and returns rows in the order the configs were given.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from lrjit.core import (
    Schedule,
    batch_dims,
    batch_size,
    is_traced,
    record_shared_leaves,
    take,
)
from lrjit.frontend import from_config

__all__ = ["Sweep"]


class Sweep:
    """Configs of several structures in one sweep, evaluated one kernel per structure.

    Args:
      schedules: single or batched schedules, in any mix of families and structures. Config ``i`` of the
        sweep is the ``i``-th config in this order (a batched item contributes its K configs in turn).

    Attributes:
      groups: the batched schedules, one per structure, in order of first appearance.
      positions: per group, the indices of its configs in the sweep (an integer array).

    ``sweep(step)`` and ``lrjit.curves(sweep, n)`` give ``[K, ...]`` rows in the sweep's order;
    ``lrjit.reduce`` and the sharding helpers accept a sweep as they accept a batched schedule.

    Example:
      >>> import lrjit, numpy as np
      >>> sweep = lrjit.Sweep([
      ...     lrjit.grid(lrjit.CosineDecay(0.1, 1000), initial_learning_rate=[0.1, 0.3]),
      ...     lrjit.OneCycleLR(0.1, total_steps=1000),
      ...     lrjit.CosineDecay(0.2, 1000),
      ... ])
      >>> len(sweep), len(sweep.groups), [p.tolist() for p in sweep.positions]
      (4, 2, [[0, 1, 3], [2]])
      >>> print(np.asarray(sweep(500)).round(4))
      [0.05  0.15  0.081 0.1  ]
    """

    __slots__ = ("groups", "positions")

    groups: tuple[Schedule, ...]
    positions: tuple[np.ndarray, ...]

    def __init__(self, schedules: Iterable[Schedule]) -> None:
        keyed: dict[Any, list[tuple[Schedule, np.ndarray]]] = {}
        start = 0
        for i, item in enumerate(schedules):
            if not isinstance(item, Schedule):
                raise TypeError(f"Sweep: schedules[{i}] is not an lrjit schedule: {item!r:.80}")
            if any(is_traced(x) for x in jax.tree_util.tree_leaves(item)):
                raise TypeError(f"Sweep: schedules[{i}] has traced leaves; build a sweep outside jit")
            k = batch_size(item)
            batched = item if k is not None else _as_batch_of_one(item)
            size = 1 if k is None else k
            keyed.setdefault(_structure(batched), []).append((batched, np.arange(start, start + size)))
            start += size
        if not keyed:
            raise ValueError("Sweep needs at least one schedule")
        groups = [_concatenate([b for b, _ in items]) for items in keyed.values()]
        object.__setattr__(self, "groups", tuple(groups))
        object.__setattr__(
            self, "positions", tuple(np.concatenate([p for _, p in v]) for v in keyed.values())
        )

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("a Sweep is immutable")

    def __len__(self) -> int:
        return sum(len(p) for p in self.positions)

    def __getitem__(self, i: int) -> Schedule:
        """Config ``i`` of the sweep, as a single schedule."""
        k = len(self)
        if not isinstance(i, int | np.integer) or isinstance(i, bool):
            raise TypeError(f"Sweep index must be an int, got {i!r:.40}")
        if not -k <= i < k:
            raise IndexError(f"Sweep index {i} is out of range for {k} configs")
        i = int(i) % k
        for group, where in zip(self.groups, self.positions, strict=True):
            hit = np.flatnonzero(where == i)
            if hit.size:
                return take(group, int(hit[0]))
        raise AssertionError("unreachable: every index belongs to a group")

    def __iter__(self) -> Iterator[Schedule]:
        return (self[i] for i in range(len(self)))

    def __call__(self, step: Any) -> jax.Array:
        """The K configs' rates at ``step`` (any shape): ``[K, *step.shape]`` in the sweep's order."""
        return in_order(self, [group(step) for group in self.groups])

    def __repr__(self) -> str:
        parts = ", ".join(
            f"{type(g).__name__} x{len(p)}" for g, p in zip(self.groups, self.positions, strict=True)
        )
        return f"Sweep({len(self)} configs: {parts})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sweep) or len(self.groups) != len(other.groups):
            return NotImplemented if not isinstance(other, Sweep) else False
        return all(
            np.array_equal(p, q) and _same_leaves(a, b)
            for a, b, p, q in zip(self.groups, other.groups, self.positions, other.positions, strict=True)
        )

    __hash__ = None  # type: ignore[assignment]

    def to_config(self) -> dict[str, Any]:
        """The sweep as a JSON-safe dict: each group's batched config with the positions of its configs;
        :meth:`from_config` rebuilds it with bit-identical leaves."""
        return {
            "sweep": [
                {"positions": p.tolist(), "schedule": g.to_config()}
                for g, p in zip(self.groups, self.positions, strict=True)
            ]
        }

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Sweep:
        """Rebuilds a sweep from :meth:`to_config`'s dict (or the same through JSON)."""
        if not isinstance(config, Mapping) or not isinstance(config.get("sweep"), list):
            raise ValueError(f'Sweep.from_config expects {{"sweep": [...]}}, got {config!r:.80}')
        sweep = object.__new__(cls)
        groups, positions = [], []
        for j, entry in enumerate(config["sweep"]):
            if not isinstance(entry, Mapping) or {"positions", "schedule"} - set(entry):
                raise ValueError(f"sweep[{j}]: expected keys 'positions' and 'schedule', got {entry!r:.80}")
            group = from_config(entry["schedule"])
            where = np.asarray(entry["positions"], dtype=np.int64)
            k = batch_size(group)
            if where.ndim != 1 or len(where) != (1 if k is None else k):
                raise ValueError(f"sweep[{j}]: {where.size} positions for {k or 1} configs")
            groups.append(group if k is not None else _as_batch_of_one(group))
            positions.append(where)
        if not positions:
            raise ValueError("sweep: expected at least one group")
        everything = np.sort(np.concatenate(positions))
        if not np.array_equal(everything, np.arange(len(everything))):
            raise ValueError("sweep: the groups' positions must cover 0..K-1 exactly once")
        object.__setattr__(sweep, "groups", tuple(record_shared_leaves(g) for g in groups))
        object.__setattr__(sweep, "positions", tuple(positions))
        return sweep


def in_order(sweep: Sweep, rows: Sequence[Any]) -> jax.Array:
    """Per-group results (``rows[g]`` with a leading axis of group g's size) as one array in the sweep's
    order."""
    order = np.argsort(np.concatenate(sweep.positions), kind="stable")
    return jnp.concatenate([jnp.asarray(r) for r in rows])[order]


def _as_batch_of_one(schedule: Schedule) -> Schedule:
    return jax.tree.map(lambda x: x[None], schedule)


def _structure(batch: Schedule) -> Any:
    """What must agree for configs to share a kernel: the tree (family, static fields, optional fields
    set) and each leaf's shape past the config axis and dtype."""
    leaves, treedef = jax.tree_util.tree_flatten(batch)
    dims = batch_dims(batch)
    return treedef, tuple((np.shape(x)[d:], jnp.result_type(x)) for x, d in zip(leaves, dims, strict=True))


def _concatenate(batches: list[Schedule]) -> Schedule:
    """One batch from several of one structure: shared leaves are broadcast to their batch's size, then
    every leaf is concatenated on the config axis and equal leaves are recorded as shared again."""
    if len(batches) == 1:
        return batches[0]
    columns = []
    for batch in batches:
        k = batch_size(batch)
        dims = batch_dims(batch)
        columns.append(
            [
                x if d == 1 else _broadcast(x, k)
                for x, d in zip(jax.tree_util.tree_leaves(batch), dims, strict=True)
            ]
        )
    merged = [
        jnp.concatenate(col) if any(isinstance(x, jax.Array) for x in col) else np.concatenate(col)
        for col in zip(*columns, strict=True)
    ]
    treedef = jax.tree_util.tree_structure(batches[0])
    return record_shared_leaves(jax.tree_util.tree_unflatten(treedef, merged))


def _broadcast(x: Any, k: int | None) -> Any:
    xp = jnp if isinstance(x, jax.Array) else np  # PRNG key leaves are JAX arrays
    return xp.broadcast_to(x, (k, *np.shape(x)))


def _bits(x: Any) -> np.ndarray:
    if isinstance(x, jax.Array) and jax.dtypes.issubdtype(x.dtype, jax.dtypes.prng_key):
        x = jax.random.key_data(x)
    return np.asarray(x)


def _same_leaves(a: Schedule, b: Schedule) -> bool:
    la, ta = jax.tree_util.tree_flatten(a)
    lb, tb = jax.tree_util.tree_flatten(b)
    return ta == tb and all(np.array_equal(_bits(x), _bits(y)) for x, y in zip(la, lb, strict=True))
