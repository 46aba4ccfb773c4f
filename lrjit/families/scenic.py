"""The scenic family whose curve no other family draws: scenic's ``piecewise_linear_scheduler``
(google-research/scenic ``scenic/train_lib/lr_schedules.py``), with scenic's argument names.

scenic's ``compound`` schedule multiplies named factors; every other factor is the formula of an existing
family or composition, and :func:`lrjit.interop.scenic.from_scenic` maps each of them to those and to this
family. The step is scenic's ``train_state.global_step`` (0 for the first update).
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from lrjit.core import Check, FieldError, FloatVector, IntVector, Schedule
from lrjit.core.fields import NONNEG, NONNEG_INT, Kind, leaf
from lrjit.core.numerics import count_boundaries_below, linear_warmup, pick

__all__ = ["PiecewiseLinearScheduler"]


class PiecewiseLinearScheduler(Schedule):
    """scenic's ``piecewise_linear_scheduler``: straight lines through ``(0, 1)`` and each
    ``(decay_events[i], decay_factors[i])``, then the last factor.

    With ``e_0 = 0``, ``f_0 = 1``, ``e_i = decay_events[i-1]``, ``f_i = decay_factors[i-1]`` (absolute
    multipliers of the initial rate, not relative ones) and ``k`` the number of events strictly below the
    step: on ``e_k < step <= e_{k+1}``, ``f_k + (f_{k+1} - f_k) * (step - e_k) / max(e_{k+1} - e_k, 1)``;
    past the last event, ``f_n``. An event step keeps the value the line before it reaches there, so equal
    events jump one step after the event, and an event at 0 leaves step 0 at 1, as in scenic. It is a
    multiplier: scenic's ``compound`` schedule multiplies it by ``base_learning_rate`` (its ``constant``
    factor). scenic computes ``(f_{k+1} - f_k) / max(e_{k+1} - e_k, 1) * (step - e_k) + f_k`` in float32;
    the order here (the fraction of the segment first) agrees with it to float rounding.
    Reference: ``scenic.train_lib.lr_schedules.piecewise_linear_scheduler``.

    Args:
      decay_events: the event steps, non-decreasing (each >= 0; at least one).
      decay_factors: the multiplier reached at each event (each >= 0; one per event).

    Example:
      >>> import lrjit
      >>> sched = lrjit.PiecewiseLinearScheduler(decay_events=[4, 8], decay_factors=[0.5, 0.1])
      >>> print(np.asarray(sched(np.array([0, 2, 4, 6, 8, 10])), np.float64).round(6))
      [1.   0.75 0.5  0.3  0.1  0.1 ]
    """

    reference = "scenic.train_lib.lr_schedules.piecewise_linear_scheduler"
    decay_events: IntVector = leaf(Kind.INT_VECTOR, NONNEG_INT)
    decay_factors: FloatVector = leaf(Kind.FLOAT_VECTOR, NONNEG)

    def __post_init__(self) -> None:
        ne, nf = np.shape(self.decay_events)[-1:], np.shape(self.decay_factors)[-1:]
        if ne and nf and ne != nf:
            raise FieldError(
                "PiecewiseLinearScheduler",
                ("decay_factors", "decay_events"),
                f"`decay_factors` must have one entry per event, got {nf[0]} factors for {ne[0]} events",
            )
        if ne == (0,):
            raise FieldError(
                "PiecewiseLinearScheduler", "decay_events", "`decay_events` must have at least one entry"
            )
        super().__post_init__()

    def _checks(self, xp: Any) -> list[Check]:
        e = xp.asarray(self.decay_events)
        return [(e[..., 1:] >= e[..., :-1], "`decay_events` must be sorted (non-decreasing)")]

    @classmethod
    def _sample_fields(cls, rng: np.random.Generator, n: int | None = None) -> dict[str, Any]:
        n = int(rng.integers(1, 6)) if n is None else n
        # Drawn with replacement from a range that holds 0: equal events and an event at 0 now and then.
        events = np.sort(rng.integers(0, 40 * n + 1, size=n))
        return {"decay_events": events.tolist(), "decay_factors": [NONNEG.sample(rng) for _ in range(n)]}

    def _evaluate(self, step: jax.Array) -> jax.Array:
        e = jnp.asarray(self.decay_events)
        n = e.shape[-1]
        factors = jnp.concatenate([jnp.ones((1,), self.dtype), self._float(self.decay_factors)])
        starts = jnp.concatenate([jnp.zeros((1,), step.dtype), e.astype(step.dtype)])
        k = count_boundaries_below(step, e)  # the segment: starts[k] < step <= starts[k + 1]
        last = k == n
        # Counts from the segment's ends (no sum of events, which could wrap); past the last event, 0 done
        # gives the last factor exactly.
        done = jnp.where(last, 0, step - pick(starts, k))
        left = jnp.where(last, 0, pick(starts, k + 1) - step)
        length = self._float(jnp.maximum(done + left, 1))  # scenic's clip(n, 1): an event at 0
        start = pick(factors, k)
        end = pick(factors, k + 1)
        return linear_warmup(self._float(done), length, start, end)
