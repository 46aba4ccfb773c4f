"""Schedules one after another: each piece runs from its boundary with its own step count from 0."""

from __future__ import annotations

from collections.abc import Sequence as SequenceType
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from lrjit.core import (
    Check,
    Composite,
    FieldError,
    IntVector,
    Schedule,
    batch_dims,
    batch_size,
    child,
    config_axes,
    first_difference,
    leaf,
    map_configs,
    sample_child,
    stack,
)
from lrjit.core.fields import NONNEG_INT, Kind
from lrjit.core.numerics import count_boundaries_at_or_below, pick

__all__ = ["Sequence", "StackedSequence", "sequence"]


def _piece_and_local_step(step: jax.Array, boundaries: jax.Array) -> tuple[jax.Array, jax.Array]:
    """The piece of each step (the number of boundaries at or below it) and the step inside that piece
    (``step - boundaries[piece - 1]``, or ``step`` in piece 0)."""
    piece = count_boundaries_at_or_below(step, boundaries)
    starts = jnp.concatenate([jnp.zeros((1,), step.dtype), jnp.asarray(boundaries, step.dtype)])
    return piece, step - pick(starts, piece)


class _Joined(Composite, abstract=True):
    """Pieces joined at ``boundaries`` (a non-decreasing integer vector leaf, one entry fewer than the
    pieces, declared by each subclass after its pieces)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        pieces, got = self._piece_count(), np.shape(self.boundaries)[-1]
        if got != pieces - 1:
            raise FieldError(
                type(self).__name__,
                "boundaries",
                f"`boundaries` must have one entry fewer than the pieces ({pieces - 1}), got {got}",
            )

    def _piece_count(self) -> int:
        raise NotImplementedError

    def _checks(self, xp: Any) -> list[Check]:
        b = self.boundaries
        return [(b[..., 1:] >= b[..., :-1], "`boundaries` must be non-decreasing")]


class Sequence(_Joined):
    """``schedules[i](step - boundaries[i-1])`` for ``boundaries[i-1] <= step < boundaries[i]``.

    Each piece sees its own step count from 0 at its boundary (as ``optax.join_schedules`` and torch's
    ``SequentialLR`` intend), so ``sequence([warmup, cosine], [500])`` starts the cosine at its step 0 at
    step 500. A boundary step belongs to the later piece; equal boundaries skip a piece. Boundaries are
    leaves: configs with different boundaries vmap together.

    Every piece is evaluated and the piece of each step selected, so the cost grows with the number of
    *different* pieces; pieces of one structure are better joined by :class:`StackedSequence`, whose cost
    does not grow with their number (:func:`sequence` picks it automatically).

    Args:
      schedules: the pieces, any families (at least one).
      boundaries: integer steps where each next piece starts (one fewer than the pieces, each >= 0,
        non-decreasing).

    Example:
      >>> import lrjit
      >>> ramp = lrjit.LinearLR(base_lr=1.0, start_factor=0.5, total_iters=2)
      >>> sched = lrjit.Sequence([ramp, lrjit.ExponentialLR(base_lr=1.0, gamma=0.5)], boundaries=[3])
      >>> print(sched(np.arange(6)))  # the second piece counts from 0 at step 3
      [0.5  0.75 1.   1.   0.5  0.25]
    """

    reference = "optax.join_schedules / torch.optim.lr_scheduler.SequentialLR (closed form)"
    schedules: SequenceType[Schedule] = child(layout="tuple")
    boundaries: IntVector = leaf(Kind.INT_VECTOR, NONNEG_INT)

    def _piece_count(self) -> int:
        return len(self.schedules)

    def _evaluate(self, step: jax.Array) -> jax.Array:
        piece, local = _piece_and_local_step(step, jnp.asarray(self.boundaries))
        values = [self._cast(s._evaluate(local)) for s in self.schedules]
        return values[0] if len(values) == 1 else lax.select_n(piece, *values)

    @classmethod
    def _sample_fields(cls, rng: np.random.Generator, n: int | None = None) -> dict[str, Any]:
        first = int(rng.integers(1, 1000))
        return {
            "schedules": [sample_child("ramp", rng, length=first), sample_child("decay", rng)],
            "boundaries": [first],
        }


class StackedSequence(_Joined):
    """A :class:`Sequence` of pieces of one structure, stored stacked: ``pieces`` is one schedule whose
    leaves have a leading piece axis (``lrjit.stack(schedules)``).

    Each step picks its piece's hyperparameters and evaluates the family's formula once, so the program
    and its cost do not grow with the number of pieces: 1000 cosine pieces compile like one. (Up to 33
    pieces a scalar leaf's pick is a select and the curve one fused kernel; beyond, and for vector leaves,
    gathers, and on the CPU XLA writes the integer piece index of each step to memory once when it feeds
    several of them.)

    Args:
      pieces: the stacked pieces (at least one).
      boundaries: integer steps where each next piece starts (one fewer than the pieces, each >= 0,
        non-decreasing).

    Example:
      >>> import lrjit
      >>> pieces = lrjit.stack([lrjit.StepLR(base_lr=lr, step_size=2, gamma=0.5) for lr in (1.0, 0.1)])
      >>> print(lrjit.StackedSequence(pieces, boundaries=[4])(np.arange(7)))
      [1.   1.   0.5  0.5  0.1  0.1  0.05]
    """

    reference = "optax.join_schedules / torch.optim.lr_scheduler.SequentialLR (closed form)"
    pieces: Schedule = child(layout="stacked")
    boundaries: IntVector = leaf(Kind.INT_VECTOR, NONNEG_INT)

    def _piece_count(self) -> int:
        leaves = jax.tree_util.tree_leaves(self.pieces)
        dims = batch_dims(self.pieces)
        counts = {np.shape(x)[d - 1] for x, d in zip(leaves, dims, strict=True) if d >= 1}
        if not counts:
            raise FieldError(
                type(self).__name__, "pieces", "`pieces` must be stacked (lrjit.stack of the pieces)"
            )
        return counts.pop()

    def _evaluate(self, step: jax.Array) -> jax.Array:
        piece, local = _piece_and_local_step(step, self.boundaries)
        # Each step's piece hyperparameters (a gather per stacked leaf), then the family's formula once,
        # vmapped over the steps: one config per step.
        axes = config_axes(self.pieces)
        flat_piece = piece.reshape(-1)

        def of_piece(x: Any) -> jax.Array:  # a scalar leaf of each piece by pick, a vector leaf by gather
            x = jnp.asarray(x)
            return pick(x, flat_piece) if x.ndim == 1 else jnp.take(x, flat_piece, axis=0, mode="clip")

        per_step = map_configs(self.pieces, of_piece)
        values = jax.vmap(lambda s, t: s._evaluate(t), in_axes=(axes, 0))(per_step, local.reshape(-1))
        return self._cast(values.reshape(step.shape))

    @classmethod
    def _sample_fields(cls, rng: np.random.Generator, n: int | None = None) -> dict[str, Any]:
        n = int(rng.integers(1, 5)) if n is None else n
        pieces = [sample_child("decay", rng) for _ in range(n + 1)]
        boundaries = np.sort(rng.integers(0, 3000, size=n)).tolist()
        return {"pieces": stack(pieces), "boundaries": boundaries}


def sequence(schedules: SequenceType[Schedule], boundaries: Any) -> Sequence | StackedSequence:
    """Joins schedules at boundaries, each piece counting its steps from 0 at its boundary.

    Pieces that all share one structure (family, static fields, vector lengths), a single piece included,
    are stacked into a :class:`StackedSequence` (one program whatever their number); otherwise a
    :class:`Sequence`.

    Args:
      schedules: the pieces, in order (single, unbatched schedules).
      boundaries: the step where each piece after the first starts (``len(schedules) - 1`` integers).

    Returns:
      The joined schedule.

    Example:
      >>> import lrjit
      >>> sched = lrjit.sequence([lrjit.StepLR(base_lr=lr, step_size=2) for lr in (1.0, 0.1)], [3])
      >>> type(sched).__name__
      'StackedSequence'
      >>> print(sched(np.arange(5)))
      [1.  1.  0.1 0.1 0.1]
    """
    schedules = list(schedules)
    uniform = (
        len(schedules) > 0
        and all(isinstance(s, Schedule) and batch_size(s) is None for s in schedules)
        and all(first_difference(schedules[0], s) is None for s in schedules[1:])
    )
    if uniform:
        return StackedSequence(stack(schedules), boundaries)
    return Sequence(schedules, boundaries)
