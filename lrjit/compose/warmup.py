"""Warmup in front of (or over the start of) any schedule."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from lrjit.core import Check, Composite, FloatLike, IntLike, Schedule, child, leaf, sample_child, static
from lrjit.core.fields import NONNEG, NONNEG_INT, Kind
from lrjit.core.numerics import ratio, warmup_rise

__all__ = ["Warmup", "warmup"]

SHAPES = ("linear", "constant", "exponential", "cosine", "1-sqrt")
MODES = ("prefix", "overlap")


class Warmup(Composite):
    """A warmup of ``steps`` steps from ``start`` to the schedule's value, then the schedule.

    With ``mode='prefix'`` the schedule is shifted: ``schedule(step - steps)`` from ``steps`` on, and the
    warmup ends at ``target = schedule(0)`` (Keras ``CosineDecay(warmup_steps=...)``, Hugging Face's
    ``*_with_warmup``, timm ``warmup_prefix=True``). With ``mode='overlap'`` the schedule keeps its own
    steps: ``schedule(step)`` from ``steps`` on, and the warmup replaces its first ``steps`` steps, ending
    at ``target = schedule(steps)`` so the curve is continuous (timm's ``warmup_prefix=False`` instead
    jumps from the peak; that family reproduces it).

    At ``step < steps``, with ``p = step / steps``:

    - ``linear``: ``start + (target - start) * p``;
    - ``constant``: ``start`` (a low constant rate, then the schedule: Goyal et al. 2017);
    - ``exponential``: ``start * (target / start) ** p`` (geometric; ``start > 0``);
    - ``cosine``: ``start + (target - start) * 0.5 * (1 - cos(pi p))``;
    - ``1-sqrt``: ``start + (target - start) * (1 - sqrt(1 - p))``.

    The warmup reaches ``target`` at step ``steps``, the schedule's first value. Wrapping a restart schedule
    warms up once: ``Warmup(CosineDecayRestarts(...), 500)`` restarts at ``500 + cycle starts`` with no
    further warmups (torch #80308).

    Args:
      schedule: the schedule to warm up into.
      steps: the warmup length (>= 0; 0 is no warmup).
      start: the rate at step 0 (>= 0; > 0 for ``exponential``).
      shape: ``'linear'``, ``'constant'``, ``'exponential'``, ``'cosine'`` or ``'1-sqrt'``.
      mode: ``'prefix'`` or ``'overlap'``.

    Example:
      >>> import lrjit
      >>> sched = lrjit.Warmup(lrjit.ExponentialLR(base_lr=1.0, gamma=0.5), steps=4, start=0.0)
      >>> print(sched(np.array([0, 2, 4, 5, 6])))  # mode='prefix': the schedule starts at step 4
      [0.   0.5  1.   0.5  0.25]
    """

    reference = "Keras CosineDecay warmup / timm warmup_prefix / transformers *_with_warmup (generalized)"
    schedule: Schedule = child()
    steps: IntLike = leaf(Kind.INT, NONNEG_INT)
    start: FloatLike = leaf(Kind.FLOAT, NONNEG, default=0.0)
    shape: str = static(default="linear", choices=SHAPES)
    mode: str = static(default="prefix", choices=MODES)

    def _checks(self, xp: Any) -> list[Check]:
        if self.shape != "exponential":
            return []
        return [(self.start > 0, "`start` must be > 0 for shape='exponential'")]

    def _evaluate(self, step: jax.Array) -> jax.Array:
        w = jnp.asarray(self.steps, step.dtype)
        prefix = self.mode == "prefix"
        after = self._cast(self.schedule._evaluate(jnp.maximum(step - w, 0) if prefix else step))
        target = self._cast(self.schedule._evaluate(jnp.zeros((), step.dtype) if prefix else w))
        start = self._float(self.start)
        span = self._float(jnp.maximum(w, 1))
        done = ratio(self._float(jnp.minimum(step, w)), span)
        if self.shape == "constant":
            warm = jnp.broadcast_to(start, step.shape)
        elif self.shape == "exponential":
            warm = start * jnp.power(ratio(target, start), done)
        else:
            left = ratio(self._float(jnp.maximum(w - step, 0)), span)
            warm = start + (target - start) * warmup_rise(self.shape, done, left)
        return jnp.where(step < w, warm, after)

    @classmethod
    def _sample_fields(cls, rng: np.random.Generator, n: int | None = None) -> dict[str, Any]:
        fields = super()._sample_fields(rng, n)
        fields["schedule"] = sample_child("decay", rng, vector_len=n)
        return fields


def warmup(
    schedule: Schedule,
    steps: int,
    start: float = 0.0,
    shape: str = "linear",
    mode: str = "prefix",
) -> Warmup:
    """``schedule`` with a warmup of ``steps`` steps from ``start``; see :class:`Warmup`.

    Example:
      >>> import lrjit
      >>> sched = lrjit.warmup(lrjit.ExponentialLR(base_lr=1.0, gamma=0.5), 4, mode='overlap')
      >>> print(sched(np.array([0, 2, 4, 5])))  # 'overlap': ends at the schedule's value at step 4
      [0.      0.03125 0.0625  0.03125]
    """
    return Warmup(schedule, steps, start, shape, mode)
