"""The forward area S1 and the annealing area S2 of a learning-rate schedule (Tissue, Wang and Wang, "Scaling
Law with Learning Rate Annealing", arXiv:2408.11029), per step and at the end of a run.

The paper's loss law (its Eq. 1) is ``L(s) = L0 + A * S1(s)**(-alpha) - C * S2(s)`` with, for the rates
``eta_1 .. eta_s`` of the first ``s`` updates and ``eta_0`` the rate the annealing starts from (the
paper's definitions of its two areas),

* the forward area ``S1(s) = sum_{i=1..s} eta_i``, and
* the annealing area ``S2(s) = sum_{i=1..s} m_i``, ``m_i = lambda * m_{i-1} + (eta_{i-1} - eta_i)``,
  ``m_0 = 0``: the drops of the rate accumulated with a momentum of decay factor ``lambda`` (0.999 in the
  paper's fits). With ``lambda = 1``, ``m_i = eta_0 - eta_i`` and S2 is the area between the peak and the
  curve; with ``lambda = 0`` it is the sum of the drops so far.

lrjit's convention, in its own step numbering (step ``k`` is the update made with ``eta(k) =
schedule(k)``, ``k = 0, 1, ...``): the areas *at step s* describe the model after the update of step s,

    S1(s) = sum_{k=0..s} eta(k)
    d(k)  = eta(k-1) - eta(k)  for k > W, else 0           (W: the warmup, default 0)
    m(s)  = lambda * m(s-1) + d(s),  m(-1) = 0
    S2(s) = sum_{k=0..s} m(k)

so ``S1`` is NumPy's ``cumsum`` of the rates. This is the paper's definition with its step ``i`` being
lrjit's step ``i - 1`` and ``eta_0`` the first rate (no drop before the first update, so ``m(0) = 0``).
The warmup is lrjit's explicit choice (``warmup=W``, the step of the peak): the rises of the warmup are
not counted as negative drops (the momentum starts at the peak, the paper's ``eta_0``), while the
warmup's rates stay in ``S1``, as the warmup area ``S_W`` that Luo et al. add to S1 in the multi-power
law (:mod:`lrjit.analysis.laws`). ``warmup=0`` (the default) is the definition as written, rises
included. Rates are used as they are, not divided by the peak.

:func:`areas` evaluates the schedule in blocks of steps on the device (the rates in the schedule's own
dtype, as ``lrjit.curves`` gives them) and accumulates every block in float64 with a carried state (JAX's
x64 mode, on the device that holds the rates). Within a block the recurrence is solved in closed form per
32 steps, ``m_j = lambda**(j+1) * m_in + sum_{i<=j} lambda**(j-i) * d_i`` (a product with a 32 x 32
triangular Toeplitz matrix), and the sub-blocks hand each other ``m``, S1 and S2 in a short scan: no
``[K, N]`` array beyond a block exists and no Python loop runs per step. Against a float64 NumPy
reference on the same rates (``cumsum`` and the recurrence step by step) S1 agrees to the last bit and
S2 to about 5e-15 of its largest value (``tests/test_analysis.py``).

:func:`area_block` and :func:`final_areas` are the same computation for traced code (inside ``jit``, in
the rates' dtype), used by the laws' final-loss predictions.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from lrjit.core import Schedule, batch_size, is_traced
from lrjit.core.fields import default_int_dtype
from lrjit.core.schedule import resident
from lrjit.sweep import Sweep, reduce

__all__ = [
    "AreaState",
    "Areas",
    "Groups",
    "area_block",
    "areas",
    "block_size",
    "check_decay",
    "check_steps",
    "final_areas",
    "groups_of",
    "initial_state",
    "rate_blocks",
    "warmup_per_config",
]

DEFAULT_BYTES = 64 * 2**20  # working memory per block: about 48 bytes per config and step (float64)
_BYTES_PER_ELEMENT = 48
_SUB = 32  # steps per sub-block: three [32, 32] matrix products (32-step sums in closed form)


class Areas(NamedTuple):
    """S1 and S2 (float64 NumPy arrays): ``[K, len(at)]`` for K configs, ``[len(at)]`` for a single
    schedule, ``[K]`` or ``[]`` for the end of the run (``at=None``)."""

    s1: np.ndarray
    s2: np.ndarray


class AreaState(NamedTuple):
    """What one block of steps hands the next: S1, S2 and the momentum ``m`` at the block's last step, and
    that step's rate (the next drop starts from it). Arrays of the config shape (``[K]`` or ``[]``)."""

    s1: jax.Array
    s2: jax.Array
    m: jax.Array
    last: jax.Array


def initial_state(shape: tuple[int, ...], dtype: Any) -> AreaState:
    """The state before step 0: every sum and the momentum at 0."""
    zero = jnp.zeros(shape, dtype)
    return AreaState(zero, zero, zero, zero)


def area_block(
    rates: jax.Array,
    first_step: Any,
    state: AreaState,
    decay: Any,
    warmup: Any = 0,
    valid: Any = None,
) -> tuple[jax.Array, jax.Array, AreaState]:
    """S1 and S2 at the steps of one block, from the state after the previous block (traceable).

    Args:
      rates: ``[..., c]``, the rates at steps ``first_step + j``; the leading shape is the state's.
      first_step: the block's first step (an integer, possibly traced).
      state: the :class:`AreaState` after step ``first_step - 1`` (:func:`initial_state` for step 0).
      decay: the momentum's decay factor ``lambda``.
      warmup: W (a scalar or one per config): drops count from step ``W + 1`` on.
      valid: only the first ``valid`` steps of the block belong to the run: the state returned is the one
        after step ``first_step + valid - 1`` (later values are computed but belong to no run); None: all.

    Returns:
      ``(s1, s2, state)``: S1 and S2 of shape ``[..., c]`` and the state after the block's last valid step,
      in the rates' dtype.
    """
    c = rates.shape[-1]
    dtype = rates.dtype
    b = min(_SUB, c)
    pad = -c % b
    lead = rates.shape[:-1]
    flat = jnp.concatenate([rates, jnp.zeros((*lead, pad), dtype)], axis=-1) if pad else rates
    x = flat.reshape(*lead, -1, b)  # [..., n, b]: n sub-blocks of b steps
    i = jnp.arange(b)
    steps = jnp.asarray(first_step) + jnp.arange(flat.shape[-1]).reshape(-1, b)
    previous = jnp.concatenate([state.last[..., None], flat[..., :-1]], axis=-1).reshape(x.shape)
    drop = jnp.where(steps > jnp.asarray(warmup)[..., None, None], previous - x, 0)
    lam = jnp.asarray(decay, dtype)
    gap = i[None, :] - i[:, None]
    upper = (gap >= 0).astype(dtype)  # v @ upper: the cumulative sum of v
    # m_j = lam**(j+1) * m_in + sum_{i<=j} lam**(j-i) * d_i: the recurrence in closed form per sub-block.
    toeplitz = jnp.where(gap >= 0, lam ** jnp.maximum(gap, 0).astype(dtype), 0)
    powers = lam ** (i + 1).astype(dtype)
    mm = functools.partial(jnp.matmul, precision=jax.lax.Precision.HIGHEST)
    s1 = mm(x, upper)  # the sub-block's own sums (nothing carried in)
    m = mm(drop, toeplitz)
    s2 = mm(m, upper)
    # What each sub-block carries in: m_in[t+1] = lam**b * m_in[t] + m[t, -1] (a short scan over the
    # sub-blocks), S1 and S2 as cumulative sums of the sub-blocks' totals.
    lam_b = lam**b

    def carry(m_in: jax.Array, m_end: jax.Array) -> tuple[jax.Array, jax.Array]:
        return lam_b * m_in + m_end, m_in

    _, m_in = jax.lax.scan(carry, state.m, jnp.moveaxis(m[..., -1], -1, 0))
    m_in = jnp.moveaxis(m_in, 0, -1)  # [..., n]
    s1_in = state.s1[..., None] + _exclusive_cumsum(s1[..., -1])
    s2_in = state.s2[..., None] + _exclusive_cumsum(s2[..., -1] + m_in * jnp.sum(powers))
    m = m + m_in[..., None] * powers
    s1 = (s1 + s1_in[..., None]).reshape(*lead, -1)[..., :c]
    s2 = (s2 + s2_in[..., None] + m_in[..., None] * jnp.cumsum(powers)).reshape(*lead, -1)[..., :c]
    m = m.reshape(*lead, -1)[..., :c]
    end = c - 1 if valid is None else jnp.asarray(valid) - 1

    def at_end(v: jax.Array) -> jax.Array:
        return jax.lax.dynamic_index_in_dim(v, end, axis=-1, keepdims=False)

    return s1, s2, AreaState(at_end(s1), at_end(s2), at_end(m), at_end(rates))


def _exclusive_cumsum(v: jax.Array) -> jax.Array:
    return jnp.cumsum(v, axis=-1) - v


def final_areas(
    schedule: Schedule, total_steps: int, decay: Any, warmup: Any = 0, block: int = 4096
) -> AreaState:
    """The :class:`AreaState` after the last of ``total_steps`` steps, in the schedule's dtype (traceable:
    a ``lax.scan`` over blocks of ``block`` steps, then the remainder; memory for one block)."""
    check_steps(total_steps)
    block = max(1, min(int(block), total_steps))
    full, rest = divmod(total_steps, block)
    k = batch_size(schedule)
    dtype = jax.eval_shape(lambda s: s(jnp.zeros((1,), default_int_dtype())), schedule).dtype
    state = initial_state(() if k is None else (k,), dtype)
    iota = jnp.arange(block, dtype=default_int_dtype())

    def one(state: AreaState, start: jax.Array) -> tuple[AreaState, None]:
        return area_block(schedule(start + iota), start, state, decay, warmup)[2], None

    starts = jnp.arange(full, dtype=default_int_dtype()) * block
    state, _ = jax.lax.scan(one, state, starts)
    if rest:
        start = full * block
        tail = schedule(start + jnp.arange(rest, dtype=default_int_dtype()))
        state = area_block(tail, start, state, decay, warmup)[2]
    return state


# ------------------------------------------------------------------------------------------ host side
def areas(
    schedule: Schedule | Sweep,
    steps: int,
    *,
    decay: float = 0.999,
    at: Sequence[int] | np.ndarray | None = None,
    warmup: int | Sequence[int] | np.ndarray = 0,
    max_bytes: int | None = None,
) -> Areas:
    """S1 (the forward area) and S2 (the annealing area) of a run of ``steps`` steps, in float64.

    See the module documentation for the definitions; at step ``s``: ``S1 = sum_{k<=s} eta(k)``, ``S2 =
    sum_{k<=s} m(k)``, ``m(k) = decay * m(k-1) + d(k)``, ``d(k) = eta(k-1) - eta(k)`` past the warmup.

    Args:
      schedule: a single or batched schedule (``lrjit.stack``, ``lrjit.grid``, ``lrjit.random``) or a
        :class:`lrjit.Sweep`.
      steps: N, the run's number of steps (0..N-1).
      decay: the momentum's decay factor lambda, in [0, 1] (the paper's 0.999 by default).
      at: steps (in 0..N-1, any order) where to return S1 and S2; None: the last step, N - 1.
      warmup: W, the step of the peak: drops count from step W + 1 on (an int, one per config, or
        ``"peak"``: each config's first step of its largest rate).
      max_bytes: the working memory of one block (default 64 MiB, about 48 bytes per config and step).

    Returns:
      :class:`Areas` of float64 arrays: ``[K, len(at)]`` for K configs (in the sweep's order), ``[len(at)]``
      for a single schedule; without ``at``, ``[K]`` or a 0-d array.

    Example:
      >>> import lrjit
      >>> from lrjit.analysis import areas
      >>> wsd = lrjit.sequence([lrjit.ConstantLR(1.0, 1.0, 0), lrjit.LinearLR(1.0, 1.0, 0.0, 4)], [6])
      >>> print(lrjit.curves(wsd, 10))
      [1.   1.   1.   1.   1.   1.   1.   0.75 0.5  0.25]
      >>> r = areas(wsd, 10, decay=0.5, at=[5, 6, 7, 8, 9])
      >>> print(r.s1, r.s2)
      [6.    7.    7.75  8.25  8.5  ] [0.     0.     0.25   0.625  1.0625]
    """
    n = check_steps(steps)
    lam = check_decay(decay)
    where = _at_steps(at, n)
    groups = groups_of(schedule)
    warm = warmup_per_config(warmup, groups.total, schedule, n)
    budget = DEFAULT_BYTES if max_bytes is None else _check_budget(max_bytes)
    s1_rows, s2_rows = [], []
    for group, rows in zip(groups.schedules, groups.positions, strict=True):
        k = batch_size(group)
        block = block_size(n, (k or 1) * _BYTES_PER_ELEMENT, budget)
        w = warm if (warm.ndim == 0 or rows is None) else warm[rows]
        shape = () if k is None else (k,)
        # Host values (NumPy) in and out of the one compiled kernel: no other device operation per block.
        zero = np.zeros(shape)
        state: AreaState = AreaState(zero, zero, zero, zero)  # type: ignore[arg-type]
        s1 = np.empty((*shape, where.size))
        s2 = np.empty_like(s1)
        for start, rates in rate_blocks(group, n, block):
            inside = np.flatnonzero((where >= start) & (where < start + block))
            with jax.enable_x64(True):
                v1, v2, state = _areas_kernel(rates, start, state, lam, w, min(block, n - start))
            if inside.size:
                s1[..., inside] = np.asarray(v1)[..., where[inside] - start]
                s2[..., inside] = np.asarray(v2)[..., where[inside] - start]
        s1_rows.append(s1)
        s2_rows.append(s2)
    s1_all = groups.place(s1_rows)
    s2_all = groups.place(s2_rows)
    if at is None:
        return Areas(s1_all[..., 0], s2_all[..., 0])
    return Areas(s1_all, s2_all)


@jax.jit
def _areas_kernel(
    rates: jax.Array, start: Any, state: AreaState, decay: Any, warmup: Any, valid: Any
) -> tuple[jax.Array, jax.Array, AreaState]:
    """One block in float64 (called under x64): the schedule's rates widened, then accumulated."""
    return area_block(rates.astype(jnp.float64), start, state, decay, warmup, valid)


class Groups(NamedTuple):
    """The batched schedules to evaluate and where their rows go.

    Attributes:
      schedules: one schedule (a single or batched one), or a sweep's groups (each batched).
      positions: per group, the indices of its configs in the sweep; None for a plain schedule.
      total: K for a batched schedule or a sweep, None for a single schedule.
    """

    schedules: list[Schedule]
    positions: list[np.ndarray | None]
    total: int | None

    def place(self, rows: list[np.ndarray]) -> np.ndarray:
        """Per-group results (a leading axis of the group's size) as one array in the sweep's order."""
        if self.positions[0] is None:
            return rows[0]
        assert self.total is not None
        out = np.empty((self.total, *rows[0].shape[1:]), rows[0].dtype)
        for value, where in zip(rows, self.positions, strict=True):
            out[where] = value
        return out


def groups_of(schedule: Any) -> Groups:
    """The :class:`Groups` of a schedule or a sweep (concrete leaves, on the default device)."""
    if isinstance(schedule, Sweep):
        return Groups([resident(g) for g in schedule.groups], list(schedule.positions), len(schedule))
    if not isinstance(schedule, Schedule):
        raise TypeError(f"expected an lrjit schedule or Sweep, got {schedule!r:.80}")
    if any(is_traced(x) for x in jax.tree_util.tree_leaves(schedule)):
        raise TypeError("expected concrete configs; inside jit use a law's final_loss or final_areas")
    return Groups([resident(schedule)], [None], batch_size(schedule))


def rate_blocks(group: Schedule, steps: int, block: int) -> Iterator[tuple[int, jax.Array]]:
    """``(start, rates)`` for the blocks of ``block`` steps covering steps 0..steps-1 (each block one call
    of one compiled kernel; steps past the run repeat step ``steps - 1``). The next block is dispatched
    before the current one is handed out, so the device computes while the caller works."""
    pending = None
    for start in range(0, steps, block):
        launched = (start, _rate_kernel(block, group, start, steps - 1))
        if pending is not None:
            yield pending
        pending = launched
    if pending is not None:
        yield pending


@functools.partial(jax.jit, static_argnums=0)
def _rate_kernel(block: int, group: Schedule, start: Any, last: Any) -> jax.Array:
    iota = jnp.arange(block, dtype=default_int_dtype())
    return group(jnp.minimum(jnp.asarray(start, default_int_dtype()) + iota, last))


# ------------------------------------------------------------------------------------------------ checks
def check_steps(steps: Any, name: str = "steps") -> int:
    """``steps`` as an int >= 1 (a run's number of steps), or a ValueError naming ``name``."""
    if not isinstance(steps, int | np.integer) or isinstance(steps, bool):
        raise TypeError(f"{name} must be an int (the run's number of steps), got {steps!r:.60}")
    top = np.iinfo(default_int_dtype()).max
    if not 1 <= steps <= top:
        raise ValueError(f"{name} must be in [1, {top}], got {steps}")
    return int(steps)


def check_decay(decay: Any) -> float:
    """``decay`` as a float in [0, 1], or a ValueError naming it."""
    if isinstance(decay, bool) or not isinstance(decay, int | float | np.integer | np.floating):
        raise TypeError(f"decay must be a float in [0, 1], got {decay!r:.60}")
    if not 0.0 <= float(decay) <= 1.0:
        raise ValueError(f"decay must be a float in [0, 1], got {decay!r}")
    return float(decay)


def warmup_per_config(warmup: Any, total: int | None, schedule: Any = None, steps: int = 0) -> np.ndarray:
    """``warmup`` as an int64 array: a 0-d array, or one value per config (``[K]``). ``"peak"``: each
    config's first step of its largest rate over steps ``0..steps-1`` (of ``schedule``)."""
    if isinstance(warmup, str):
        if warmup != "peak" or schedule is None:
            raise ValueError(f"warmup must be an int, one int per config, or 'peak', got {warmup!r}")
        return np.asarray(reduce(schedule, steps, stats=("argmax",))["argmax"], np.int64)
    array = np.asarray(warmup)
    if not np.issubdtype(array.dtype, np.integer) or isinstance(warmup, bool):
        raise TypeError(f"warmup must be an int, one int per config, or 'peak', got {warmup!r:.60}")
    if array.ndim > 1 or (array.ndim == 1 and (total is None or array.shape[0] != total)):
        raise ValueError(f"warmup must be an int or one per config ({total}), got shape {array.shape}")
    if array.size and array.min() < 0:
        raise ValueError(f"warmup must be >= 0, got {array.min()}")
    return array.astype(np.int64)


def _at_steps(at: Any, n: int) -> np.ndarray:
    if at is None:
        return np.asarray([n - 1], np.int64)
    array = np.asarray(at)
    if array.ndim != 1 or not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"at must be a 1-D sequence of integer steps, got {at!r:.60}")
    if array.size and (array.min() < 0 or array.max() >= n):
        bad = array[(array < 0) | (array >= n)][0]
        raise ValueError(f"at: steps must be in [0, {n - 1}] (steps={n}), got {bad}")
    return array.astype(np.int64)


def _check_budget(max_bytes: Any) -> int:
    if not isinstance(max_bytes, int | np.integer) or isinstance(max_bytes, bool) or max_bytes < 1024:
        raise ValueError(f"max_bytes must be an int >= 1024, got {max_bytes!r}")
    return int(max_bytes)


def block_size(n: int, bytes_per_step: int, budget: int) -> int:
    """Steps per block: a power of two (runs of similar lengths share compiled kernels), at least 16,
    within the budget where it allows 16, and no more than the run needs."""
    fits = max(16, budget // max(bytes_per_step, 1))
    return 1 << (min(fits, max(n, 16)).bit_length() - 1 if fits < n else (max(n, 16) - 1).bit_length())
