"""Evaluation at any size: curve matrices in blocks that fit a memory budget (in memory or streamed to a
``.npy`` file), and reductions over the steps that never hold the K x N matrix.

``lrjit.curves(s, n)`` with no budget is one kernel returning the whole ``[K, N]`` device array. With
``max_bytes`` or ``out`` it evaluates blocks of at most ``max_bytes`` (configs x steps), each one compiled
kernel (the same one for every block: a block's first config and first step are arguments, and the last
block is shifted back to end at K and N rather than padded), and copies each block to host memory or to
a NumPy memmap while the next one runs.

:func:`reduce` gives per-config statistics of the curve over steps ``0..n-1`` (min, max and their steps,
the sum and mean of the rate, values at given steps, the first step below or above a threshold). Blocks
of a few MiB are computed and reduced while they are in cache (per group of 128 steps, then across
groups; sums are added in float64 on the host), so a million configs by 10^5 steps needs memory for the
configs, one block and the results only.

A batched schedule whose leaves are sharded over several devices (``lrjit.sweep.devices``) is evaluated
with all its configs in every block (blocks split the steps only), so every device works on its own
configs; results are gathered to the host.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from lrjit.core import Schedule, batch_size, is_traced, map_configs
from lrjit.core import curves as one_kernel_curves
from lrjit.core.fields import default_int_dtype
from lrjit.core.schedule import resident
from lrjit.core.shared import evaluate_sharing
from lrjit.core.steps import as_step_array
from lrjit.sweep.devices import gather
from lrjit.sweep.mixed import Sweep, in_order

__all__ = ["STATS", "curves", "reduce"]

STATS = ("min", "argmin", "max", "argmax", "sum", "mean")
"""The statistics :func:`reduce` computes by default (``argmin``/``argmax``: the first step of the min
and max)."""

_DEFAULT_BUDGET = 256 * 2**20  # bytes of curve values per block when streaming
_REDUCE_BLOCK = 2**21  # configs x steps per reduction block: 8 MiB of float32, reduced while in cache
_SUM_GROUP = 128  # steps per partial result (a sum of 128 terms in float32, then float64 on the host)


def curves(
    schedule: Schedule | Sweep,
    steps: int | Any,
    *,
    max_bytes: int | None = None,
    out: str | os.PathLike[str] | None = None,
    progress: bool | None = None,
) -> Any:
    """The whole curve matrix: ``[K, N]`` for a batched schedule or a :class:`~lrjit.Sweep`, ``[N]`` for
    a single schedule.

    Args:
      schedule: a single or batched schedule, or a :class:`~lrjit.Sweep`.
      steps: N (steps 0..N-1) or a 1-D integer array of steps.
      max_bytes: evaluate in blocks of at most this many bytes of curve values and return a NumPy array
        (in host memory; the device holds one or two blocks). None: one kernel, a device array.
      out: a ``.npy`` path: stream the blocks into a NumPy memmap there (``np.load(out, mmap_mode="r")``
        reads it back) and return the memmap; the budget defaults to 256 MiB.
      progress: show a progress bar on stderr: None (default) shows one for multi-block runs that last
        more than a second when stderr is a terminal; False never; True always.

    Returns:
      A ``jax.Array`` (no budget, no ``out``), else a NumPy array or memmap.

    Example:
      >>> import lrjit, numpy as np
      >>> batch = lrjit.grid(lrjit.CosineDecay(1.0, 1000), alpha=[0.0, 0.5])
      >>> blocks = lrjit.curves(batch, 1000, max_bytes=2048)   # 2 KiB blocks
      >>> bool(np.array_equal(blocks, np.asarray(lrjit.curves(batch, 1000))))
      True
    """
    if max_bytes is None and out is None:
        if isinstance(schedule, Sweep):
            return in_order(schedule, [one_kernel_curves(g, steps) for g in schedule.groups])
        return one_kernel_curves(schedule, steps)
    budget = _check_budget(max_bytes if max_bytes is not None else _DEFAULT_BUDGET)
    groups, positions = _groups(schedule)
    grid = _StepGrid.of(steps)
    dtype = _rate_dtype(groups[0])
    k = _total(schedule)
    shape = (grid.n,) if k is None else (k, grid.n)
    if out is not None:
        result: np.ndarray = np.lib.format.open_memmap(os.fspath(out), mode="w+", dtype=dtype, shape=shape)
    else:
        result = np.empty(shape, dtype)
    plans = [_Blocks.plan(g, grid.n, budget // dtype.itemsize) for g in groups]
    with _Progress(sum(p.count for p in plans), progress, "curves") as bar:
        for group, where, plan in zip(groups, positions, plans, strict=True):

            def launch(b: _Block, group: Schedule = group, plan: _Blocks = plan) -> jax.Array:
                steps = grid.array_block(b.n_start, plan.nc) if grid.array is not None else b.n_start
                return _curve_block(plan.kc, plan.nc, group, b.k_start, steps, grid.n - 1)

            for b, block in _pipelined(plan, launch):
                values = block[..., b.n0 - b.n_start :]
                if k is None:
                    result[b.n0 : b.n0 + b.nc] = values
                else:
                    rows = slice(b.k0, b.k0 + b.kc) if where is None else where[b.k0 : b.k0 + b.kc]
                    result[rows, b.n0 : b.n0 + b.nc] = values[b.k0 - b.k_start :]
                bar.update(1)
    if isinstance(result, np.memmap):
        result.flush()
    return result


def reduce(
    schedule: Schedule | Sweep,
    steps: int,
    *,
    stats: Sequence[str] = STATS,
    at: Sequence[int] | np.ndarray | None = None,
    first_below: float | Any = None,
    first_above: float | Any = None,
    max_elements: int | None = None,
    progress: bool | None = None,
) -> dict[str, np.ndarray]:
    """Per-config statistics of the curve over steps ``0..steps-1``, without materializing ``[K, N]``.

    Args:
      schedule: a single or batched schedule, or a :class:`~lrjit.Sweep`.
      steps: N, the number of steps (0..N-1) the statistics cover.
      stats: any of :data:`STATS`: ``"min"``, ``"max"`` (the rate's extremes), ``"argmin"``,
        ``"argmax"`` (the first step where they occur), ``"sum"`` (the rate summed over the N steps, the
        area under the curve; partial sums of 128 steps in the rate's dtype, added in float64), and
        ``"mean"`` (the sum / N). NaN rates propagate to min/max (their step is the first NaN's), as
        NumPy's.
      at: steps whose values to return (``"at"``: ``[K, len(at)]``).
      first_below: a threshold (a number, or one per config): ``"first_below"`` is the first step whose
        rate is below it, or -1 when none of the N steps is.
      first_above: likewise, ``"first_above"``: the first step whose rate is above it, or -1.
      max_elements: configs x steps per block (default 2**21, 8 MiB of float32 rates, stored by one
        kernel and reduced by the next while in cache).
      progress: as for :func:`curves`.

    Returns:
      A dict of NumPy arrays with a leading axis of K (scalars for a single schedule), in the sweep's
      order: min and max in the rate's dtype, argmin, argmax and the first-crossing steps as int64, sum
      and mean as float64.

    Example:
      >>> import lrjit
      >>> batch = lrjit.grid(lrjit.CosineDecay(1.0, 1000), alpha=[0.0, 0.5])
      >>> r = lrjit.reduce(batch, 2000, stats=("min", "argmin", "mean"), first_below=0.6)
      >>> print(r["min"], r["argmin"], r["mean"].round(4), r["first_below"])
      [0.  0.5] [1000 1000] [0.2503 0.6251] [436 705]
    """
    unknown = [s for s in stats if s not in STATS]
    if unknown:
        raise ValueError(f"reduce: stats must be among {STATS}, got {unknown[0]!r}")
    grid = _StepGrid.of(_check_steps(steps))
    if grid.n == 0:
        raise ValueError("reduce: steps must be >= 1 (the statistics of no steps are undefined)")
    per_block = max_elements if max_elements is not None else _REDUCE_BLOCK
    if not isinstance(per_block, int) or per_block < _SUM_GROUP:
        raise ValueError(f"reduce: max_elements must be an int >= {_SUM_GROUP}, got {per_block!r}")
    groups, positions = _groups(schedule)
    total = _total(schedule)
    thresholds = {
        name: _per_config(name, value, total)
        for name, value in (("first_below", first_below), ("first_above", first_above))
        if value is not None
    }
    wanted = tuple(dict.fromkeys(stats))
    need = _kernel_outputs(wanted) + tuple(thresholds)
    results: dict[str, np.ndarray] = {}
    plans = [_Blocks.plan(g, grid.n, per_block, align=_SUM_GROUP) for g in groups]
    with _Progress(sum(p.count for p in plans), progress, "reduce") as bar:
        for group, where, plan in zip(groups, positions, plans, strict=True):
            limits = {name: t if where is None else t[where] for name, t in thresholds.items()}

            def launch(b: _Block, group: Schedule = group, plan: _Blocks = plan, lim: Any = limits) -> Any:
                rates = _curve_block(plan.kc, plan.nc, group, b.k_start, b.n_start, grid.n - 1)
                return _reduce_stored(need, rates, b.n_start, _rows(lim, b.k_start, plan))

            acc = _Accumulator(plan.k, need)
            for b, block in _pipelined(plan, launch):
                skip = b.k0 - b.k_start
                acc.add(b, grid.n, {name: np.atleast_1d(v)[skip:] for name, v in block.items()})
                bar.update(1)
            for name, value in acc.finish(grid.n).items():
                if name in wanted or name in thresholds:
                    _place(results, name, value if plan.batched else value[0], where, total)
    if at is not None:
        at_steps = as_step_array(np.asarray(at)).reshape(-1)
        values = [np.asarray(g(at_steps)) for g in groups]
        for value, where in zip(values, positions, strict=True):
            _place(results, "at", value, where, total)
    return {name: results[name] for name in (*wanted, *thresholds, *(("at",) if at is not None else ()))}


# ------------------------------------------------------------------------------------ blocks and steps
class _StepGrid:
    """The steps a run covers: 0..n-1 generated in the kernel, or a given step array sliced on device."""

    def __init__(self, n: int, array: jax.Array | None) -> None:
        self.n, self.array = n, array

    @classmethod
    def of(cls, steps: Any) -> _StepGrid:
        if isinstance(steps, int | np.integer) and not isinstance(steps, bool):
            return cls(_check_steps(steps), None)
        array = as_step_array(steps)
        if array.ndim != 1:
            raise ValueError(f"steps must be N or a 1-D array of steps, got shape {array.shape}")
        return cls(int(array.shape[0]), jax.device_put(array))

    def array_block(self, start: int, size: int) -> jax.Array:
        assert self.array is not None
        return jax.lax.dynamic_slice_in_dim(self.array, start, size)


@dataclasses.dataclass(frozen=True)
class _Block:
    """Configs ``k0 .. k0+kc-1`` x steps ``n0 .. n0+nc-1``, computed by a kernel of the plan's shape
    whose first config and step are ``k_start <= k0`` and ``n_start <= n0``."""

    k0: int
    kc: int
    n0: int
    nc: int
    k_start: int
    n_start: int


class _Blocks:
    """A tiling of K configs x N steps into blocks of kc x nc, every one the same shape (one compiled
    kernel): a block that would run past K starts earlier instead (overlapping the previous one); past
    N, it starts at the last multiple of ``align`` from which nc steps reach N, and steps past N - 1 are
    evaluated at N - 1 (so reductions can work on whole groups of ``align`` steps)."""

    def __init__(self, k: int, kc: int, n: int, nc: int, batched: bool, align: int) -> None:
        self.k, self.kc, self.n, self.nc, self.batched = k, kc, n, nc, batched
        self.end = -(-n // align) * align  # N rounded up to a multiple of align
        self.count = math.ceil(k / kc) * math.ceil(n / nc) if n else 0

    @classmethod
    def plan(cls, group: Schedule, n: int, elements: int, align: int = 1) -> _Blocks:
        size = batch_size(group)
        k = size or 1
        # Sharded configs stay where they are (every device evaluates its own): split the steps only.
        kc = k if _is_sharded(group) else max(1, min(k, elements // max(n, 1)))
        nc = max(1, min(n, elements // kc))
        nc = min(max(align, nc - nc % align), -(-n // align) * align)
        return cls(k, kc, n, nc, size is not None, align)

    def __iter__(self) -> Iterator[_Block]:
        for k0 in range(0, self.k, self.kc):
            for n0 in range(0, self.n, self.nc):
                yield _Block(
                    k0,
                    min(self.kc, self.k - k0),
                    n0,
                    min(self.nc, self.n - n0),
                    max(0, min(k0, self.k - self.kc)),
                    max(0, min(n0, self.end - self.nc)),
                )


def _pipelined(plan: _Blocks, launch: Callable[[_Block], Any]) -> Iterator[tuple[_Block, Any]]:
    """Each block with its host result, the next block already dispatched while this one is copied."""
    pending: tuple[_Block, Any] | None = None
    for block in plan:
        launched = (block, launch(block))
        if pending is not None:
            yield pending[0], gather(pending[1])
        pending = launched
    if pending is not None:
        yield pending[0], gather(pending[1])


def _slice_configs(group: Schedule, k0: Any, kc: int) -> Schedule:
    k = batch_size(group)
    if k is None or kc == k:
        return group
    # A dynamic slice, not an index array: XLA reads the block in place instead of gathering it.
    return map_configs(group, lambda x: jax.lax.dynamic_slice_in_dim(x, k0, kc))


@functools.partial(jax.jit, static_argnums=(0, 1))
def _curve_block(kc: int, nc: int, group: Schedule, k0: Any, steps: Any, last: Any) -> jax.Array:
    """Configs ``k0 .. k0+kc-1`` at ``steps`` (a step array) or at ``steps + j`` for j < nc, capped at
    ``last``."""
    if not (isinstance(steps, jax.Array) and steps.ndim == 1):
        iota = jnp.arange(nc, dtype=default_int_dtype())
        steps = jnp.minimum(jnp.asarray(steps, default_int_dtype()) + iota, last)
    return evaluate_sharing(lambda block, at: block(at), _slice_configs(group, k0, kc), steps)


@functools.partial(jax.jit, static_argnums=0)
def _reduce_stored(
    outputs: tuple[str, ...], rates: jax.Array, n0: Any, limits: dict[str, Any]
) -> dict[str, jax.Array]:
    """Statistics of a block of curve values (``[..., nc]`` at steps ``n0 + j``), computed from the
    block stored by :func:`_curve_block`: in one program XLA fuses the curve into each reduction and
    evaluates it once per statistic.

    Every statistic is taken per group of 128 steps first (plain reductions, fast on every backend);
    the step of an extreme or a crossing is then found among the groups and within the winning group
    only (an argmin over the whole block is a variadic reduction several times slower than the curve).
    Steps the previous block covered may be included (their values are identical, and ties keep the
    first step); the host drops their partial sums.
    """
    nc = rates.shape[-1]
    grouped = rates.reshape(*rates.shape[:-1], nc // _SUM_GROUP, _SUM_GROUP)
    out: dict[str, jax.Array] = {}

    def step_of(g: jax.Array, within: jax.Array) -> jax.Array:
        return n0 + g * _SUM_GROUP + within

    def in_group(g: jax.Array) -> jax.Array:
        return jnp.take_along_axis(grouped, g[..., None, None], axis=-2)[..., 0, :]

    group_min = grouped.min(-1) if {"min", "first_below"} & set(outputs) else None
    group_max = grouped.max(-1) if {"max", "first_above"} & set(outputs) else None
    for name, per_group, arg in (("min", group_min, jnp.argmin), ("max", group_max, jnp.argmax)):
        if name in outputs:
            assert per_group is not None
            g = arg(per_group, axis=-1)
            out[name] = jnp.take_along_axis(per_group, g[..., None], axis=-1)[..., 0]
            out["arg" + name] = step_of(g, arg(in_group(g), axis=-1))
    if "sum" in outputs:
        out["sum"] = grouped.sum(-1)
        out["last"] = rates[..., -1]  # the value the steps past N - 1 repeat
    for name, limit in limits.items():
        below = name == "first_below"
        limit = jnp.asarray(limit, rates.dtype)[..., None]
        per_group = group_min if below else group_max
        assert per_group is not None
        crossed = (per_group < limit) if below else (per_group > limit)
        g = jnp.argmax(crossed, axis=-1)
        values = in_group(g)
        j = jnp.argmax((values < limit) if below else (values > limit), axis=-1)
        out[name] = jnp.where(crossed.any(-1), step_of(g, j), -1)
    return out


def _rows(limits: dict[str, np.ndarray], k0: int, plan: _Blocks) -> dict[str, Any]:
    if not plan.batched:
        return {name: v[0] for name, v in limits.items()}
    return {name: v[k0 : k0 + plan.kc] for name, v in limits.items()}


def _kernel_outputs(stats: tuple[str, ...]) -> tuple[str, ...]:
    out = []
    if {"min", "argmin"} & set(stats):
        out.append("min")
    if {"max", "argmax"} & set(stats):
        out.append("max")
    if {"sum", "mean"} & set(stats):
        out.append("sum")
    return tuple(out)


class _Accumulator:
    """Combines per-block statistics of one group of configs: extremes keep the first step that reached
    them (a NaN wins, as in NumPy), sums add each step's group once in float64, first crossings keep the
    earliest block's."""

    def __init__(self, k: int, outputs: tuple[str, ...]) -> None:
        self.values: dict[str, np.ndarray] = {}
        self.k, self.outputs = k, outputs

    def add(self, b: _Block, n: int, block: dict[str, np.ndarray]) -> None:
        v, rows = self.values, slice(b.k0, b.k0 + b.kc)
        for name in ("min", "max"):
            if name not in block:
                continue
            arg = "arg" + name
            new, at = block[name], block[arg].astype(np.int64)
            if name not in v:
                v[name] = np.full(self.k, np.inf if name == "min" else -np.inf, new.dtype)
                v[arg] = np.full(self.k, -1, np.int64)
            old = v[name][rows]
            better = (new < old) if name == "min" else (new > old)
            better |= np.isnan(new) & ~np.isnan(old)
            v[name][rows] = np.where(better, new, old)
            v[arg][rows] = np.where(better, at, v[arg][rows])
        if "sum" in block:
            # Groups before n0 were summed by the previous block; steps past N - 1 repeat the last value.
            fresh = block["sum"][..., (b.n0 - b.n_start) // _SUM_GROUP :].astype(np.float64).sum(-1)
            repeats = b.n_start + block["sum"].shape[-1] * _SUM_GROUP - n
            if repeats > 0:
                fresh -= repeats * block["last"].astype(np.float64)
            v.setdefault("sum", np.zeros(self.k, np.float64))
            v["sum"][rows] += fresh
        for name in ("first_below", "first_above"):
            if name in block:
                v.setdefault(name, np.full(self.k, -1, np.int64))
                old = v[name][rows]
                v[name][rows] = np.where(old >= 0, old, block[name])

    def finish(self, n: int) -> dict[str, np.ndarray]:
        out = dict(self.values)
        if "sum" in out:
            out["mean"] = out["sum"] / n
        return out


def _place(
    results: dict[str, np.ndarray], name: str, value: np.ndarray, where: np.ndarray | None, total: int | None
) -> None:
    if where is None or total is None:
        results[name] = value
        return
    if name not in results:
        results[name] = np.empty((total, *value.shape[1:]), value.dtype)
    results[name][where] = value


# ------------------------------------------------------------------------------------ inputs
def _total(schedule: Any) -> int | None:
    return len(schedule) if isinstance(schedule, Sweep) else batch_size(schedule)


def _groups(schedule: Any) -> tuple[list[Schedule], list[np.ndarray | None]]:
    """The schedules to evaluate (their device copies) and where their rows go (None: in order)."""
    if isinstance(schedule, Sweep):
        return [resident(g) for g in schedule.groups], list(schedule.positions)
    if not isinstance(schedule, Schedule):
        raise TypeError(f"expected an lrjit schedule or Sweep, got {schedule!r:.80}")
    if any(is_traced(x) for x in jax.tree_util.tree_leaves(schedule)):
        raise TypeError("blocked evaluation needs concrete configs; call lrjit.core.curves inside jit")
    return [resident(schedule)], [None]


def _check_steps(steps: Any) -> int:
    if not isinstance(steps, int | np.integer) or isinstance(steps, bool):
        raise TypeError(f"steps must be an int N (steps 0..N-1), got {steps!r:.60}")
    top = np.iinfo(default_int_dtype()).max
    if not 0 <= steps <= top:
        raise ValueError(f"steps must be in [0, {top}], got {steps}")
    return int(steps)


def _check_budget(max_bytes: Any) -> int:
    if not isinstance(max_bytes, int | np.integer) or isinstance(max_bytes, bool) or max_bytes < 16:
        raise ValueError(f"max_bytes must be an int >= 16, got {max_bytes!r}")
    return int(max_bytes)


def _per_config(name: str, value: Any, k: int | None) -> np.ndarray:
    array = np.asarray(value, dtype=np.float64)
    if array.ndim > 1 or (array.ndim == 1 and (k is None or array.shape[0] != k)):
        raise ValueError(f"{name}: expected a number or one per config ({k}), got shape {array.shape}")
    return np.broadcast_to(array, (k or 1,)).copy()


def _rate_dtype(group: Schedule) -> np.dtype:
    return np.dtype(jax.eval_shape(lambda g: g(jnp.zeros((1,), default_int_dtype())), group).dtype)


def _is_sharded(tree: Any) -> bool:
    return any(
        isinstance(x, jax.Array) and len(x.sharding.device_set) > 1 for x in jax.tree_util.tree_leaves(tree)
    )


class _Progress:
    """A progress bar on stderr (tqdm's when it is installed), for long multi-block runs."""

    def __init__(self, total: int, show: bool | None, what: str) -> None:
        self.total, self.done, self.what = total, 0, what
        interactive = hasattr(sys.stderr, "isatty") and sys.stderr.isatty()
        self.show = bool(show) if show is not None else (interactive and total > 1)
        self.delay = 0.0 if show else 1.0  # auto mode: only runs that last more than a second
        self.start = time.perf_counter()
        self.bar: Any = None

    def __enter__(self) -> _Progress:
        if self.show:
            try:
                from tqdm.auto import tqdm
            except ImportError:
                return self
            self.bar = tqdm(total=self.total, desc=f"lrjit.{self.what}", unit="block", delay=self.delay)
        return self

    def update(self, n: int) -> None:
        self.done += n
        if self.bar is not None:
            self.bar.update(n)
        elif self.show and time.perf_counter() - self.start >= self.delay:
            end = "\n" if self.done == self.total else ""
            print(
                f"\rlrjit.{self.what}: {self.done}/{self.total} blocks", end=end, file=sys.stderr, flush=True
            )

    def __exit__(self, *exc: Any) -> None:
        if self.bar is not None:
            self.bar.close()
