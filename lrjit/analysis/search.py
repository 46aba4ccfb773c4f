"""Searching schedules with a fitted law: rank a search space, or descend on a schedule's float leaves.

* :func:`rank` predicts the final loss of every config of a search space (``lrjit.grid``,
  ``lrjit.random``, a batched schedule or a :class:`lrjit.Sweep`) in one jitted program (blocks of steps
  in a ``lax.scan``: memory for the configs and one block) and sorts them.
* :func:`optimize` runs projected Adam (optax) on the predicted final loss with respect to named leaves of
  one schedule (lrjit schedules are pytrees: ``jax.grad`` reaches every float leaf; integer step counts go
  through a piecewise-linear relaxation, below), under bounds per field and an optional cap on the
  schedule's peak rate.

Both work in the schedule's dtype (float32 unless JAX's x64 mode is on): configs whose predicted losses
differ by less than about 1e-6 relative may swap places against the float64 :meth:`Law.predict`.

Constraints in :func:`optimize`:

* ``bounds={"field": (low, high)}`` and each field's own domain (``[0, 1]`` for a fraction, ``> 0`` for
  a rate, found by probing the field's declared domain) are a box: every step is clipped into it.
* ``max_peak`` bounds ``max_k eta(k)`` over the run. A step that would exceed it first loses its
  component along the peak's gradient (so the other fields keep moving along the constraint), then is
  shortened by bisection until the peak is within the cap: every iterate stays feasible.

Integer leaves (step counts such as ``warmup_steps`` or ``decay_steps``, at most 3 at once) are relaxed
to continuous values ``x_1..x_m``. With ``f_i = floor(x_i)`` (kept in ``[low_i, high_i - 1]``) and
``t_i = x_i - f_i``, the objective is the multilinear interpolation of the predicted loss ``L`` at the
``2**m`` integer corners::

    L~(x) = sum_{b in {0, 1}**m} prod_i (t_i if b_i else 1 - t_i) * L(f + b)

(the ``2**m`` corner schedules in one vmapped evaluation). It equals ``L`` at integers and is linear
between neighbours, so its gradient along ``x_i`` is the (interpolated) finite difference
``L(f_i + 1) - L(f_i)``: the real effect of one more step, not a made-up derivative. Their box is
``[0, total_steps]`` (and the field's domain, and ``bounds``), rounded inwards to integers. The result
keeps the best of the ``2**m`` corners around the best iterate (``2`` neighbours for one field).
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from lrjit.analysis.areas import check_steps, groups_of, warmup_per_config
from lrjit.analysis.laws import Law
from lrjit.core import Config, Schedule, batch_size, fields_of, is_float_leaf
from lrjit.core.fields import FieldSpec, Kind, default_int_dtype
from lrjit.core.suggest import did_you_mean
from lrjit.sweep import Sweep

__all__ = ["Optimized", "Ranking", "optimize", "rank"]

_BYTES_PER_ELEMENT = 64  # rates and a few temporaries per config and step in a block


class Ranking(NamedTuple):
    """What :func:`rank` found.

    Attributes:
      order: the configs' indices from the lowest predicted final loss to the highest (int64 ``[K]``).
      losses: each config's predicted final loss, in the space's order (``losses[order]`` is sorted).
    """

    order: np.ndarray
    losses: np.ndarray


def rank(
    law: Law,
    space: Schedule | Sweep,
    total_steps: int,
    *,
    warmup: int | Sequence[int] | np.ndarray = 0,
    max_bytes: int = 64 * 2**20,
) -> Ranking:
    """Predicts the final loss of every config of ``space`` after ``total_steps`` steps, and sorts them.

    Args:
      law: a fitted law (:class:`~lrjit.analysis.AnnealingLaw`, :class:`~lrjit.analysis.MultiPowerLaw`).
      space: a batched schedule (``lrjit.grid``, ``lrjit.random``, ``lrjit.stack``) or a
        :class:`lrjit.Sweep` (or a single schedule: one config).
      total_steps: the run's length N; the loss is the one after step N - 1.
      warmup: the step of the peak (an int, one per config, or ``"peak"``: each config's first step of
        its largest rate): drops count after it.
      max_bytes: the memory of one block of steps (rates and temporaries).

    Returns:
      A :class:`Ranking`: ``order`` (best first) and ``losses`` in the space's order.

    Example:
      >>> import lrjit
      >>> from lrjit.analysis import AnnealingLaw, rank
      >>> law = AnnealingLaw(L0=2.5, A=1.0, alpha=0.5, C=2.0)
      >>> space = lrjit.grid(lrjit.CosineDecay(1e-3, 1000), alpha=[0.0, 0.1, 0.5])
      >>> r = rank(law, space, 1000)
      >>> print(r.order, r.losses.round(4))
      [0 1 2] [3.1559 3.166  3.2757]
    """
    if not isinstance(law, Law):
        raise TypeError(f"rank: law must be a law instance (AnnealingLaw, MultiPowerLaw), got {law!r:.80}")
    n = check_steps(total_steps, "total_steps")
    groups = groups_of(space)
    warm = warmup_per_config(warmup, groups.total, space, n)
    warms = tuple(
        jnp.asarray(warm if (warm.ndim == 0 or where is None) else warm[where]) for where in groups.positions
    )
    blocks = tuple(_block(n, batch_size(g) or 1, max_bytes) for g in groups.schedules)
    per_group = _rank_program(law, tuple(groups.schedules), warms, n, blocks)
    losses = groups.place([np.atleast_1d(np.asarray(x)) for x in per_group])
    return Ranking(np.argsort(losses, kind="stable"), losses)


@functools.partial(jax.jit, static_argnums=(3, 4))
def _rank_program(
    law: Law, schedules: tuple[Schedule, ...], warmups: tuple[Any, ...], n: int, blocks: tuple[int, ...]
) -> list[jax.Array]:
    return [
        law.final_loss(s, n, warmup=w, block=b) for s, w, b in zip(schedules, warmups, blocks, strict=True)
    ]


def _block(n: int, k: int, max_bytes: int) -> int:
    if not isinstance(max_bytes, int) or isinstance(max_bytes, bool) or max_bytes < 1024:
        raise ValueError(f"max_bytes must be an int >= 1024, got {max_bytes!r}")
    return max(32, min(n, max_bytes // (k * _BYTES_PER_ELEMENT)))


# ------------------------------------------------------------------------------------------------ optimize
_MAX_INTEGER_FIELDS = 3  # 2**m corner schedules per evaluation


class Optimized(NamedTuple):
    """What :func:`optimize` found.

    Attributes:
      schedule: the schedule with the best values found (validated like a constructed one); integer fields
        hold the best integer corner around the best relaxed iterate.
      values: those values by field path; for an integer field also ``values[f"{path}:continuous"]``, the
        relaxed optimum (float64) it was rounded from.
      loss: its predicted final loss (in the schedule's dtype).
      initial_loss: the starting schedule's.
      history: the predicted (for integer fields: relaxed) final loss at every iterate (``[steps]``).
    """

    schedule: Schedule
    values: dict[str, np.ndarray]
    loss: float
    initial_loss: float
    history: np.ndarray


class _Plan(NamedTuple):
    """The static part of an optimization: where the named leaves are in the flattened schedule, and which
    coordinates of the optimized vector are integer fields (one each) rather than float values."""

    treedef: Any
    indices: tuple[int, ...]
    shapes: tuple[tuple[int, ...], ...]
    integer: tuple[int, ...]


def optimize(
    law: Law,
    schedule: Schedule,
    fields: str | Sequence[str],
    *,
    total_steps: int,
    bounds: Mapping[str, tuple[float, float]] | None = None,
    max_peak: float | None = None,
    warmup: int | str = 0,
    steps: int = 200,
    lr: float = 0.05,
    block: int = 4096,
) -> Optimized:
    """Lowers ``law``'s predicted final loss by gradient descent on leaves of ``schedule``.

    Float leaves (scalars or vectors) are optimized directly. Integer scalar leaves (step counts, at most 3)
    are relaxed to continuous values: the objective is the multilinear interpolation of the predicted loss
    at the surrounding integer corners (exact at integers, linear between neighbours; see the module
    documentation), and the result is rounded to the best corner.

    Args:
      law: a fitted law.
      schedule: one (unbatched) schedule, the starting point; it must meet the constraints.
      fields: the leaves to optimize, by name or dotted path through sub-schedules (``"schedule.alpha"``,
        ``"schedules.1.base_lr"``), as in ``lrjit.grid``: float leaves and integer scalar leaves.
      total_steps: the run's length N; the objective is the predicted loss after step N - 1.
      bounds: ``{field: (low, high)}``; a field's own domain bounds it as well, and an integer field's
        default box is ``[0, total_steps]`` (rounded inwards to integers).
      max_peak: the largest rate the schedule may reach over the N steps (for integer fields: every corner
        schedule with a positive weight).
      warmup: the step of the peak for the law (drops count after it), or ``"peak"``: the starting
        schedule's (kept while a warmup length moves).
      steps: Adam iterations.
      lr: Adam's learning rate, in units of each float field's starting magnitude (``|x0|``, or 1 for a
        field starting at 0): 0.05 moves a field by about 5% per step at first. Integer fields move in
        units of ``total_steps`` (Adam on ``x / total_steps``): 0.05 moves a step count by about 5% of the
        run per step at first.
      block: steps per block of the law's evaluation.

    Returns:
      An :class:`Optimized` with the best feasible iterate.

    Raises:
      ValueError: naming an unknown, static, missing or unsupported field (neither float nor an integer
        scalar), more than 3 integer fields, a bound that excludes the starting value, or a starting
        schedule above ``max_peak``.

    Example:
      >>> import lrjit
      >>> from lrjit.analysis import AnnealingLaw, optimize
      >>> law = AnnealingLaw(L0=2.5, A=1.0, alpha=0.5, C=2.0)
      >>> start = lrjit.CosineDecay(1e-3, 1000, alpha=0.5)
      >>> out = optimize(law, start, ["initial_learning_rate", "alpha"], total_steps=1000, max_peak=2e-3)
      >>> print(round(out.initial_loss, 4), round(out.loss, 4))
      3.2757 1.9842
      >>> print(out.schedule)
      CosineDecay(initial_learning_rate=0.002, decay_steps=1000, alpha=0.0, warmup_target=None,
      warmup_steps=0)

      The decay length of a warmup-stable-decay run (an integer field):

      >>> wsd = lrjit.WarmupStableDecay(base_lr=1e-3, num_warmup_steps=50, num_stable_steps=500,
      ...                               num_decay_steps=200, decay_type="linear")
      >>> law = AnnealingLaw(L0=2.5, A=1.0, alpha=0.5, C=1.0)
      >>> out = optimize(law, wsd, "num_decay_steps", total_steps=1000, bounds={"num_decay_steps": (0, 450)})
      >>> print(out.values["num_decay_steps"], out.values["num_decay_steps:continuous"].round(1))
      381 380.9
      >>> print(round(out.initial_loss, 5), round(out.loss, 5))  # rank over 0..450: 381 as well
      4.09377 4.08138
    """
    if not isinstance(law, Law):
        raise TypeError(
            f"optimize: law must be a law instance (AnnealingLaw, MultiPowerLaw), got {law!r:.80}"
        )
    if not isinstance(schedule, Schedule) or batch_size(schedule) is not None:
        raise TypeError(f"optimize: schedule must be one (unbatched) lrjit schedule, got {schedule!r:.80}")
    n = check_steps(total_steps, "total_steps")
    if not isinstance(steps, int) or isinstance(steps, bool) or steps < 1:
        raise ValueError(f"optimize: steps must be an int >= 1, got {steps!r}")
    if not (isinstance(lr, int | float) and lr > 0):
        raise ValueError(f"optimize: lr must be a number > 0, got {lr!r}")
    if warmup == "peak":  # the starting schedule's peak, kept while the fields move
        warmup = int(warmup_per_config("peak", None, schedule, n))
    if not isinstance(warmup, int) or isinstance(warmup, bool) or warmup < 0:
        raise ValueError(f"optimize: warmup must be an int >= 0 or 'peak', got {warmup!r}")
    names = [fields] if isinstance(fields, str) else list(fields)
    if not names:
        raise ValueError("optimize: fields must name at least one float or integer leaf")
    located = _locate(schedule, names)
    integers = [name for name, (_, _, is_int) in located.items() if is_int]
    if len(integers) > _MAX_INTEGER_FIELDS:
        raise ValueError(
            f"optimize: at most {_MAX_INTEGER_FIELDS} integer fields at once (2**m corner schedules per "
            f"evaluation), got {len(integers)}; drop {integers[_MAX_INTEGER_FIELDS:]} (rank a grid over them)"
        )
    bounds = dict(bounds or {})
    for name in bounds:
        if name not in names:
            raise ValueError(f"optimize: bounds names {name!r}, which is not among fields {names}")
    leaves, treedef = jax.tree_util.tree_flatten(schedule)
    float_leaves = [leaves[i] for i, _, is_int in located.values() if not is_int]
    if float_leaves:
        dtype = jnp.result_type(*float_leaves)
    else:  # the rates' dtype
        dtype = jax.eval_shape(lambda s: s(jnp.zeros((1,), default_int_dtype())), schedule).dtype
    x0: list[np.ndarray] = []
    lo: list[np.ndarray] = []
    hi: list[np.ndarray] = []
    scales: list[np.ndarray] = []
    sizes: list[int] = []
    integer: list[int] = []
    for name, (index, spec, is_int) in located.items():
        value = np.asarray(leaves[index], np.float64).reshape(-1)
        low, high = _int_box(spec, n) if is_int else _box(spec)
        user = bounds.get(name, (-np.inf, np.inf))
        if not (len(user) == 2 and user[0] <= user[1]):
            raise ValueError(f"optimize: bounds[{name!r}] must be (low, high) with low <= high, got {user!r}")
        low, high = max(low, float(user[0])), min(high, float(user[1]))
        if is_int:
            low, high = float(np.ceil(low)), float(np.floor(high))
        if np.any(value < low) or np.any(value > high):
            raise ValueError(f"optimize: {name} = {value.tolist()} is outside its bounds [{low}, {high}]")
        if is_int:
            integer.append(sum(sizes))
        x0.append(value)
        lo.append(np.full(value.shape, low))
        hi.append(np.full(value.shape, high))
        # Integer fields move in units of the run's length; float ones in units of their starting value.
        scales.append(np.full(value.shape, float(n)) if is_int else np.where(value != 0, np.abs(value), 1.0))
        sizes.append(value.size)
    plan = _Plan(
        treedef,
        tuple(i for i, _, _ in located.values()),
        tuple(np.shape(leaves[i]) for i, _, _ in located.values()),
        tuple(integer),
    )
    x = np.concatenate(x0)
    # The cap in the rates' dtype: a schedule whose peak leaf was given as max_peak starts on it.
    cap = np.asarray(np.inf if max_peak is None else max_peak, dtype)
    if max_peak is not None:
        peak = np.max(np.asarray(schedule(np.arange(n))))
        if not peak <= cap:
            raise ValueError(f"optimize: the starting schedule's peak {peak} is above max_peak={max_peak}")
    args = [
        jnp.asarray(a, dtype) for a in (x, np.concatenate(scales), np.concatenate(lo), np.concatenate(hi))
    ]
    best, best_loss, history, corners, corner_losses = _descend(
        law,
        leaves,
        *args,
        jnp.asarray(cap),
        jnp.asarray(lr, dtype),
        jnp.asarray(warmup),
        plan=plan,
        n=n,
        iterations=steps,
        block=block,
        capped=max_peak is not None,
    )
    best = np.asarray(best, np.float64)
    loss = float(best_loss)
    continuous = best.copy()
    if integer:  # the best integer corner around the relaxed optimum (infeasible ones are +inf)
        pick = int(np.argmin(np.asarray(corner_losses)))
        best[list(integer)] = np.asarray(corners, np.float64)[pick]
        loss = float(np.asarray(corner_losses)[pick])
    values = np.split(best, np.cumsum(sizes)[:-1])
    new_leaves = list(leaves)
    out_values = {}
    for (name, (index, _, is_int)), v, offset in zip(
        located.items(), values, np.cumsum([0, *sizes[:-1]]), strict=True
    ):
        original = np.asarray(leaves[index])
        new_leaves[index] = v.reshape(original.shape).astype(original.dtype)
        out_values[name] = new_leaves[index]
        if is_int:
            out_values[f"{name}:continuous"] = continuous[offset].reshape(original.shape)
    result = jax.tree_util.tree_unflatten(treedef, new_leaves)
    result.validate()
    history = np.asarray(history)
    return Optimized(result, out_values, loss, float(history[0]), history)


def _corners(x: jax.Array, lo: jax.Array, hi: jax.Array, integer: tuple[int, ...]) -> tuple[Any, Any]:
    """The ``2**m`` integer corners around the integer coordinates of ``x`` (``[2**m, m]``, as floats)
    and their multilinear weights (``[2**m]``, summing to 1). The lower corner stays in
    ``[lo, hi - 1]``, so ``t`` is in ``[0, 1]`` up to the upper bound, and no corner leaves the box."""
    where = np.asarray(integer)
    v, low, high = x[where], lo[where], hi[where]
    base = jnp.clip(jnp.floor(v), low, jnp.maximum(high - 1, low))  # no gradient: floor is flat
    t = v - base
    bits = np.array(list(itertools.product((0, 1), repeat=where.size)), dtype=bool)
    corners = jnp.minimum(base + bits, high)
    weights = jnp.prod(jnp.where(bits, t, 1 - t), axis=-1)
    return corners, weights


def _relaxed_loss(
    law: Law,
    leaves: list[Any],
    x: jax.Array,
    lo: jax.Array,
    hi: jax.Array,
    warmup: Any,
    *,
    plan: _Plan,
    n: int,
    block: int,
) -> jax.Array:
    """The objective at ``x``: the predicted final loss, interpolated between the integer corners when
    ``plan`` has integer coordinates (traceable, differentiable)."""
    if not plan.integer:
        return law.final_loss(_build(leaves, plan, x), n, warmup=warmup, block=block)
    corners, weights = _corners(x, lo, hi, plan.integer)
    losses = jax.vmap(lambda c: law.final_loss(_build(leaves, plan, x, c), n, warmup=warmup, block=block))(
        corners
    )
    # A zero-weight corner still sets the gradient (the difference to its neighbour): it is not masked out,
    # but an infinite loss (no rate > 0 yet) is brought down to the largest float so that 0 * L stays 0.
    return jnp.sum(weights * jnp.minimum(losses, jnp.finfo(losses.dtype).max))


def _build(leaves: list[Any], plan: _Plan, x: jax.Array, corner: jax.Array | None = None) -> Schedule:
    """The schedule with the optimized leaves taken from ``x`` (the integer ones from ``corner``)."""
    out = list(leaves)
    offset = 0
    for index, shape in zip(plan.indices, plan.shapes, strict=True):
        size = int(np.prod(shape))
        dtype = jnp.result_type(leaves[index])
        if offset in plan.integer:
            assert corner is not None
            value = jnp.round(corner[plan.integer.index(offset)]).astype(dtype).reshape(shape)
        else:
            value = x[offset : offset + size].reshape(shape).astype(dtype)
        out[index] = value
        offset += size
    return jax.tree_util.tree_unflatten(plan.treedef, out)


@functools.partial(jax.jit, static_argnames=("plan", "n", "iterations", "block", "capped"))
def _descend(
    law: Law,
    leaves: list[Any],
    x0: jax.Array,
    scale: jax.Array,
    lo: jax.Array,
    hi: jax.Array,
    cap: jax.Array,
    lr: jax.Array,
    warmup: jax.Array,
    *,
    plan: _Plan,
    n: int,
    iterations: int,
    block: int,
    capped: bool,
) -> tuple[jax.Array, jax.Array, jax.Array, jax.Array, jax.Array]:
    """Projected Adam in the scaled coordinates ``z = (x - x0) / scale``; returns the best feasible iterate,
    its loss, the loss of every iterate, and the integer corners around the best iterate with their
    predicted losses (+inf above the cap; ``[1, 0]`` and ``[1]`` without integer fields)."""

    def loss(x: jax.Array) -> jax.Array:
        return _relaxed_loss(law, leaves, x, lo, hi, warmup, plan=plan, n=n, block=block)

    grid = jnp.arange(n, dtype=default_int_dtype())

    def peak(x: jax.Array) -> jax.Array:
        if not plan.integer:
            return jnp.max(_build(leaves, plan, x)(grid))
        # Every corner the interpolation uses must be feasible: the result is rounded to one of them.
        corners, weights = _corners(x, lo, hi, plan.integer)
        peaks = jax.vmap(lambda c: jnp.max(_build(leaves, plan, x, c)(grid)))(corners)
        return jnp.max(jnp.where(weights > 0, peaks, -jnp.inf))

    def feasible(x: jax.Array) -> jax.Array:
        return peak(x) <= cap

    def furthest(x: jax.Array, target: jax.Array) -> jax.Array:
        # The feasible point furthest along [x, target] (x is feasible), by bisection.
        def halve(_: int, bracket: tuple[jax.Array, jax.Array]) -> tuple[jax.Array, jax.Array]:
            low, high = bracket
            mid = (low + high) / 2
            ok = feasible(x + mid * (target - x))
            return jnp.where(ok, mid, low), jnp.where(ok, high, mid)

        t, _ = jax.lax.fori_loop(0, 40, halve, (jnp.zeros((), x.dtype), jnp.ones((), x.dtype)))
        return x + t * (target - x)

    def project(x: jax.Array, candidate: jax.Array) -> jax.Array:
        # Up to the cap along the step, then the rest of the step without its component along the peak's
        # gradient (sliding along the constraint), shortened again if need be.
        edge = furthest(x, candidate)
        rest = candidate - edge
        normal = jax.grad(peak)(edge)
        along = jnp.vdot(rest, normal) / jnp.maximum(jnp.vdot(normal, normal), jnp.finfo(x.dtype).tiny)
        target = jnp.clip(edge + jnp.where(along > 0, rest - along * normal, rest), lo, hi)
        return jax.lax.cond(feasible(target), lambda: target, lambda: furthest(edge, target))

    optimizer = optax.adam(lr)

    def one(carry: tuple[Any, ...], _: None) -> tuple[tuple[Any, ...], jax.Array]:
        x, state, best, best_loss = carry
        value, grad = jax.value_and_grad(loss)(x)
        update, state = optimizer.update(grad * scale, state)
        candidate = jnp.clip(x + scale * update, lo, hi)
        if capped:
            candidate = jax.lax.cond(feasible(candidate), lambda: candidate, lambda: project(x, candidate))
        better = value < best_loss
        return (candidate, state, jnp.where(better, x, best), jnp.where(better, value, best_loss)), value

    start = (x0, optimizer.init(x0), x0, jnp.asarray(jnp.inf, x0.dtype))
    (x, _, best, best_loss), history = jax.lax.scan(one, start, None, length=iterations)
    last = loss(x)
    better = last < best_loss
    best, best_loss = jnp.where(better, x, best), jnp.where(better, last, best_loss)
    if not plan.integer:
        return best, best_loss, history, jnp.zeros((1, 0), x.dtype), best_loss[None]
    corners, _ = _corners(best, lo, hi, plan.integer)

    def corner_loss(c: jax.Array) -> jax.Array:
        s = _build(leaves, plan, best, c)
        ok = jnp.max(s(grid)) <= cap
        return jnp.where(ok, law.final_loss(s, n, warmup=warmup, block=block), jnp.inf)

    return best, best_loss, history, corners, jax.vmap(corner_loss)(corners)


# ------------------------------------------------------------------------------------------------ fields
def _paths(schedule: Schedule) -> dict[str, int]:
    """Every leaf's dotted path (``lrjit.grid``'s axis names) -> its index in ``tree_leaves``."""
    out = {}
    for i, (keys, _) in enumerate(jax.tree_util.tree_flatten_with_path(schedule)[0]):
        parts = [str(getattr(k, "name", getattr(k, "idx", k))) for k in keys]
        out[".".join(parts)] = i
    return out


def _locate(schedule: Schedule, names: list[str]) -> dict[str, tuple[int, FieldSpec, bool]]:
    """``{name: (leaf index, declaration, is an integer scalar)}`` for float leaves and integer scalar
    leaves; anything else raises naming the field."""
    paths = _paths(schedule)
    leaves = jax.tree_util.tree_leaves(schedule)

    def integer(i: int) -> bool:
        return jnp.issubdtype(jnp.result_type(leaves[i]), jnp.integer) and np.ndim(leaves[i]) == 0

    usable = [p for p, i in paths.items() if is_float_leaf(leaves[i]) or integer(i)]
    out: dict[str, tuple[int, FieldSpec, bool]] = {}
    for name in names:
        if name in out:
            raise ValueError(f"optimize: field {name!r} is named twice")
        spec = _spec(schedule, name)
        if name not in paths:
            raise ValueError(
                f"optimize: {type(schedule).__name__} has no float or integer leaf {name!r}"
                f"{did_you_mean(name, usable) or f' (its float and integer leaves: {usable})'}"
            )
        index = paths[name]
        is_int = spec is not None and spec.kind is Kind.INT and integer(index)
        if not (is_float_leaf(leaves[index]) or is_int):
            kind = spec.kind.name if spec is not None and spec.kind is not None else "non-numeric"
            raise ValueError(
                f"optimize: {name} is a {kind} leaf of shape {np.shape(leaves[index])}: only float leaves "
                "and integer scalar leaves (step counts) can be optimized; rank a grid over it with "
                "lrjit.analysis.rank instead"
            )
        assert spec is not None
        out[name] = (index, spec, is_int)
    return out


def _spec(schedule: Any, path: str) -> FieldSpec | None:
    """The declaration of the field at ``path``: a clear error for static fields and absent ones."""
    node, spec = schedule, None
    for part in path.split("."):
        if isinstance(node, tuple) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
            continue
        if not isinstance(node, Config) or part not in fields_of(node):
            return None
        spec = fields_of(node)[part]
        if spec.static:
            raise ValueError(f"optimize: {path} is a static field (structure), not a leaf gradients reach")
        node = getattr(node, part)
        if node is None:
            raise ValueError(f"optimize: {path} is not set in this schedule (None)")
    return spec


def _box(spec: FieldSpec) -> tuple[float, float]:
    """The interval a field's declared domain allows, as far as probing it at the usual edges finds
    (0 and 1): ``(0, inf)`` for a rate, ``(0, 1)`` for a fraction, ``(-inf, inf)`` for any finite float.
    An open end is moved in by the smallest normal float32."""
    domain = spec.domain
    if domain is None:
        return -np.inf, np.inf

    def ok(v: float) -> bool:
        return bool(np.all(domain.predicate(np.asarray(v, np.float64), np)))

    tiny = float(np.finfo(np.float32).tiny)
    low, high = -np.inf, np.inf
    if not ok(-tiny) and (ok(0.0) or ok(tiny)):
        low = 0.0 if ok(0.0) else tiny
    if ok(1.0 - 1e-6) and not ok(1.0 + 1e-6):
        high = 1.0 if ok(1.0) else 1.0 - 1e-6
    return low, high


def _int_box(spec: FieldSpec, n: int) -> tuple[float, float]:
    """An integer field's interval: ``[0, n]`` within its declared domain (probed at -1, 0 and 1: ``>= 0``
    or ``>= 1``)."""
    domain = spec.domain
    if domain is None:
        return 0.0, float(n)

    def ok(v: int) -> bool:
        return bool(np.all(domain.predicate(np.asarray(v, np.int64), np)))

    low = 1.0 if (not ok(0) and ok(1)) else 0.0
    return low, float(n)
