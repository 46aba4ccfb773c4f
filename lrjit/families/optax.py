"""The optax family whose curve no other family draws: ``optax.piecewise_interpolate_schedule`` (in
google-deepmind/optax ``optax/schedules/_schedule.py``), with optax's argument names.

The other ``optax.schedules`` constructors are the same formulas as existing families and compositions;
:mod:`lrjit.interop.optax` maps each of them, with optax's signatures, to those and to this family. The
step is optax's update count (0 for the first update).
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from lrjit.core import Check, FieldError, FloatLike, FloatVector, IntVector, Schedule
from lrjit.core.fields import NONNEG, Domain, Kind, leaf, log_uniform, static
from lrjit.core.numerics import cosine_annealing, count_boundaries_at_or_below, linear_warmup, pick, ratio

__all__ = ["PiecewiseInterpolate"]

INTERPOLATE_TYPES = ("linear", "cosine")
# optax takes any integer boundary: one below 0 starts its interval in the past.
_SCALE = Domain("a finite float >= 0", NONNEG.predicate, log_uniform(0.05, 20.0))


class PiecewiseInterpolate(Schedule):
    """Interpolation between accumulated values: ``v_0 = init_value`` and ``v_i = v_{i-1} * scales[i-1]``
    (the scales multiply up), reached at ``b_0 = 0`` and ``b_i = boundaries[i-1]``.

    On ``b_i <= step < b_{i+1}``, with ``p = (step - b_i) / (b_{i+1} - b_i)``: ``v_i + (v_{i+1} - v_i) *
    p`` (``'linear'``) or ``v_{i+1} + (v_i - v_{i+1}) * (1 + cos(pi p)) / 2`` (``'cosine'``); from the last
    boundary on, the last value. An interval of length zero (a boundary at 0, equal boundaries) is never
    inside: the value jumps to the accumulated value there. A negative boundary starts its interval in the
    past (step 0 is part way through it), and makes the interval from 0 empty, as in optax. ``p`` comes
    from the integer counts of steps done and left in the interval (the cosine from the steps left, with
    no cancellation near its end); optax divides in float32 too, so the values agree with it to float32
    rounding. Reference: ``optax.piecewise_interpolate_schedule``.

    Args:
      interpolate_type: ``'linear'`` or ``'cosine'``.
      init_value: the value at step 0 (>= 0).
      boundaries: the steps where each scale has been applied in full, sorted (non-decreasing; at least
        one). optax takes a dict ``{boundary: scale}`` and sorts it;
        :func:`lrjit.interop.optax.piecewise_interpolate_schedule` takes that signature.
      scales: one factor per boundary (each >= 0), multiplied into the value reached there.

    Example:
      >>> import lrjit
      >>> sched = lrjit.PiecewiseInterpolate("linear", 1.0, boundaries=[4, 8], scales=[0.1, 0.01])
      >>> print(np.asarray(sched(np.array([0, 2, 4, 6, 8, 10])), np.float64).round(6))
      [1.     0.55   0.1    0.0505 0.001  0.001 ]
    """

    reference = "optax.piecewise_interpolate_schedule"
    interpolate_type: str = static(choices=INTERPOLATE_TYPES)
    init_value: FloatLike = leaf(Kind.FLOAT, NONNEG)
    boundaries: IntVector = leaf(Kind.INT_VECTOR)  # any integers, negative ones too (as optax)
    scales: FloatVector = leaf(Kind.FLOAT_VECTOR, _SCALE)

    def __post_init__(self) -> None:
        nb, ns = np.shape(self.boundaries)[-1:], np.shape(self.scales)[-1:]
        if nb and ns and nb != ns:
            raise FieldError(
                "PiecewiseInterpolate",
                ("scales", "boundaries"),
                f"`scales` must have one entry per boundary, got {ns[0]} scales for {nb[0]} boundaries",
            )
        if nb == (0,):
            raise FieldError(
                "PiecewiseInterpolate", "boundaries", "`boundaries` must have at least one entry"
            )
        super().__post_init__()

    def _checks(self, xp: Any) -> list[Check]:
        b = self.boundaries
        return [(b[..., 1:] >= b[..., :-1], "`boundaries` must be sorted (non-decreasing)")]

    @classmethod
    def _sample_fields(cls, rng: np.random.Generator, n: int | None = None) -> dict[str, Any]:
        n = int(rng.integers(1, 6)) if n is None else n
        # Drawn with replacement from a range that holds 0: zero-length intervals now and then.
        boundaries = np.sort(rng.integers(0, 40 * n + 1, size=n))
        return {
            # One structure for every sample (samples stack, as a default static field gives); callers
            # that want the cosine pass interpolate_type="cosine".
            "interpolate_type": "linear",
            "init_value": NONNEG.sample(rng),
            "boundaries": boundaries.tolist(),
            "scales": [_SCALE.sample(rng) for _ in range(n)],
        }

    def _evaluate(self, step: jax.Array) -> jax.Array:
        b = jnp.asarray(self.boundaries)
        n = b.shape[-1]
        init = self._float(self.init_value)
        values = jnp.cumprod(jnp.concatenate([init[None], self._float(self.scales)]))  # optax's cumprod
        starts = jnp.concatenate([jnp.zeros((1,), b.dtype), b])
        i = count_boundaries_at_or_below(step, b)  # the interval: starts[i] <= step < starts[i + 1]
        last = i == n
        # Counts from the interval's ends (no sum of boundaries, which could wrap); from the last
        # boundary on, 0 done and 1 left give the last value exactly.
        done = jnp.where(last, 0, step - pick(starts, i))
        left = jnp.where(last, 1, pick(starts, i + 1) - step)
        length = self._float(done) + self._float(left)
        start = pick(values, i)
        end = pick(values, i + 1)
        if self.interpolate_type == "linear":
            return linear_warmup(self._float(done), length, start, end)
        return end + (start - end) * cosine_annealing(ratio(self._float(left), length))
