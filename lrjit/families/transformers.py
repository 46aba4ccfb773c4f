"""Hugging Face ``transformers`` and fairseq schedules, with their names, arguments and values.

The Hugging Face schedules (``transformers/optimization.py``) are ``LambdaLR`` multipliers of the
optimizer's learning rate: here ``base_lr`` is that rate and the family gives ``base_lr * multiplier``.
Steps are 0-based: ``LambdaLR`` calls the multiplier with the number of ``scheduler.step()`` calls so far,
so the first update uses ``lambda(0)``. The Hugging Face linear warmup is ``s / max(1, num_warmup_steps)``
for ``s < num_warmup_steps``. fairseq's ``tri_stage`` is stepped with ``step_update(num_updates)``, also
0-based (its first call, before any update, has ``num_updates = 0``).

Counts (warmup, stable and decay positions, the position inside a restart) are integer arithmetic, so the
boundary steps are exact; the periodic cosine of :class:`CosineWithMinLR` past ``num_training_steps``
reduces its phase exactly, so it stays accurate at any step.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from lrjit.core import BoolLike, Check, FloatLike, IntLike, Schedule
from lrjit.core.fields import BOOLEAN, NONNEG, NONNEG_INT, POSITIVE, UNIT, Domain, Kind, leaf, static
from lrjit.core.numerics import (
    cosine_annealing,
    linear_warmup,
    periods_and_remainder,
    ratio,
    reduce_half_turns,
    saturating_add,
    warmup_rise,
)

__all__ = [
    "ConstantWithWarmup",
    "CosineWarmupWithMinLR",
    "CosineWithHardRestarts",
    "CosineWithMinLR",
    "InverseSqrt",
    "LinearWithWarmup",
    "PolynomialWithWarmup",
    "TriStage",
    "Triangular",
    "WarmupStableDecay",
]

_STEPS = Domain("an integer >= 0", NONNEG_INT.predicate, lambda rng: int(rng.integers(0, 300)))
_LONG = Domain("an integer >= 1", lambda x, xp: x >= 1, lambda rng: int(rng.integers(1, 2000)))
_CYCLES = Domain(
    "a finite float >= 0", NONNEG.predicate, lambda rng: float(rng.choice([0.5, 0.5, 0.75, 1.5]))
)
_INT_CYCLES = Domain("an integer >= 0", NONNEG_INT.predicate, lambda rng: int(rng.integers(1, 6)))
_LR_END = Domain(
    "a finite float >= 0",
    NONNEG.predicate,
    lambda rng: float(np.exp(rng.uniform(np.log(1e-8), np.log(1e-4)))),
)
_POWER = Domain("a finite float >= 0", NONNEG.predicate, lambda rng: float(rng.uniform(0.5, 3.0)))
_FINAL_SCALE = Domain("a finite float > 0", POSITIVE.predicate, lambda rng: float(rng.uniform(0.001, 0.5)))
_INIT_SCALE = Domain("a finite float >= 0", NONNEG.predicate, lambda rng: float(rng.uniform(0.0, 0.5)))
_SHAPES = ("linear", "cosine", "1-sqrt")
_MIN_LR = Domain("a finite float >= 0", NONNEG.predicate, lambda rng: float(rng.uniform(0.0, 1e-4)))
_PERIOD = Domain("an integer >= 2", lambda x, xp: x >= 2, lambda rng: int(rng.integers(2, 2000)))
_WARMUP_RATE = Domain("a finite float >= 0", NONNEG.predicate, lambda rng: float(rng.uniform(0.0, 0.5)))
_SHRINK = Domain("a finite float >= 0", NONNEG.predicate, lambda rng: float(rng.uniform(0.1, 1.0)))


# ------------------------------------------------------------------------------------------ helpers
def _hf_warmup(s: Any, step: jax.Array, warmup: jax.Array) -> jax.Array:
    """Hugging Face's warmup multiplier ``s / max(1, W)``."""
    return ratio(s._float(step), s._float(jnp.maximum(warmup, 1)))


def _raised_cos(half_turns: jax.Array) -> jax.Array:
    """``0.5 * (1 + cos(pi * x))``, as the half cosine of :func:`cosine_annealing` from ``1 - |x mod 2|``."""
    return cosine_annealing(1 - jnp.abs(reduce_half_turns(half_turns)))


@jax.custom_jvp
def _product_half_turns(c: jax.Array, q: jax.Array) -> jax.Array:
    """``c * q`` reduced modulo 2 (to [-1, 1]) without the rounding of the product, for a float ``c`` and
    non-negative integers ``q``.

    ``c`` is split into two halves of its significand and ``q`` into chunks of as many bits as keep every
    partial product exact in ``c``'s dtype; each product is reduced modulo 2 exactly and the (small) parts
    are summed. So the phase of a cosine after millions of periods keeps the precision of the first one.
    """
    dtype = c.dtype
    p = jnp.finfo(dtype).nmant + 1  # significand bits: 24 or 53
    half = p // 2
    chunk = p - (p + 1) // 2
    mant, exp = jnp.frexp(c)
    hi = jnp.ldexp(jnp.round(mant * (1 << half)), exp - half)
    lo = c - hi
    qbits = jnp.iinfo(q.dtype).bits - 1
    mask = (1 << chunk) - 1
    total = jnp.zeros(q.shape, dtype)
    for j in range(-(-qbits // chunk)):  # static: 3 chunks (float32, int32), 2 (float64)
        part = ((q >> (chunk * j)) & mask).astype(dtype)
        scale = jnp.asarray(2.0 ** (chunk * j), dtype)
        for x in (hi, lo):
            total = reduce_half_turns(total + reduce_half_turns(x * part * scale))
    return total


@_product_half_turns.defjvp
def _product_half_turns_jvp(primals: tuple[Any, ...], tangents: tuple[Any, ...]) -> tuple[Any, Any]:
    c, q = primals
    out = _product_half_turns(c, q)
    return out, tangents[0] * q.astype(c.dtype)


def _half_turns(c: jax.Array, m: jax.Array, d: jax.Array, plus: int = 0) -> jax.Array:
    """``c * (m + plus) / d`` modulo 2, in [-1, 1], for a float ``c`` and integers ``m >= 0``, ``d >= 1``,
    ``plus`` 0 or 1: ``c * (m // d)`` exactly reduced plus ``c * (m % d + plus) / d`` (no integer wraps)."""
    q, r = periods_and_remainder(m, d)
    frac = ratio(c * (r + plus).astype(c.dtype), d.astype(c.dtype))
    return reduce_half_turns(_product_half_turns(c, q) + frac)


# ------------------------------------------------------------------------------------------ Hugging Face
class WarmupStableDecay(Schedule):
    """Warmup-stable-decay (Hugging Face ``get_wsd_schedule``), as a multiplier of ``base_lr``.

    With ``W, S, D`` the warmup, stable and decay lengths and ``m = min_lr_ratio``:

    - ``s < W``: ``p = s / max(1, W)``, shape ``p`` (linear), ``0.5 * (1 - cos(pi p))`` (cosine) or
      ``1 - sqrt(1 - p)`` (1-sqrt), mapped through ``f * (1 - m) + m`` (so it starts at ``m``);
    - ``W <= s < W + S``: 1;
    - ``W + S <= s < W + S + D``: ``p = (s - W - S) / max(1, D)``, shape ``1 - p`` (linear),
      ``0.5 * (1 + cos(2 pi num_cycles p))`` (cosine) or ``1 - sqrt(p)`` (1-sqrt), mapped the same way;
    - afterwards ``m``.

    Reference: ``transformers.get_wsd_schedule`` (``num_stable_steps`` given; with ``num_training_steps``
    instead, ``num_stable_steps = num_training_steps - num_warmup_steps - num_decay_steps``).

    Args:
      base_lr: the optimizer's learning rate (>= 0).
      num_warmup_steps: W (>= 0).
      num_stable_steps: S (>= 0).
      num_decay_steps: D (>= 0).
      warmup_type: ``'linear'``, ``'cosine'`` or ``'1-sqrt'``.
      decay_type: ``'cosine'``, ``'linear'`` or ``'1-sqrt'``.
      min_lr_ratio: m, in [0, 1].
      num_cycles: cosine waves over the decay (>= 0; 0.5 is a half cosine).

    Example:
      >>> import lrjit
      >>> sched = lrjit.WarmupStableDecay(base_lr=0.1, num_warmup_steps=10, num_stable_steps=80,
      ...                                 num_decay_steps=10, decay_type='linear')
      >>> print(sched(np.array([0, 5, 10, 89, 95, 100])))
      [0.   0.05 0.1  0.1  0.05 0.  ]
    """

    reference = "transformers.get_wsd_schedule"
    base_lr: FloatLike = leaf(Kind.FLOAT, NONNEG)
    num_warmup_steps: IntLike = leaf(Kind.INT, _STEPS)
    num_stable_steps: IntLike = leaf(Kind.INT, _STEPS)
    num_decay_steps: IntLike = leaf(Kind.INT, _STEPS)
    warmup_type: str = static(default="linear", choices=_SHAPES)
    decay_type: str = static(default="cosine", choices=_SHAPES)
    min_lr_ratio: FloatLike = leaf(Kind.FLOAT, UNIT, default=0.0)
    num_cycles: FloatLike = leaf(Kind.FLOAT, _CYCLES, default=0.5)

    def _evaluate(self, step: jax.Array) -> jax.Array:
        w, st, d = self.num_warmup_steps, self.num_stable_steps, self.num_decay_steps
        m = self._float(self.min_lr_ratio)
        # warmup
        p = _hf_warmup(self, jnp.minimum(step, w), w)
        rest = ratio(self._float(jnp.maximum(w - step, 0)), self._float(jnp.maximum(w, 1)))
        rise = warmup_rise(self.warmup_type, p, rest)
        # decay
        stable_end = saturating_add(jnp.asarray(w, step.dtype), st)  # saturated: never wraps negative
        k = jnp.clip(step - stable_end, 0, d)
        span = self._float(jnp.maximum(d, 1))
        done = ratio(self._float(k), span)
        left = ratio(self._float(jnp.maximum(d, 1) - k), span)
        if self.decay_type == "linear":
            fall = left
        elif self.decay_type == "cosine":
            fall = _raised_cos(2 * self._float(self.num_cycles) * done)
        else:  # 1 - sqrt(p) = (1 - p) / (1 + sqrt(p))
            fall = left / (1 + jnp.sqrt(done))
        mult = jnp.where(
            step < w,
            jnp.maximum(rise * (1 - m) + m, 0),
            jnp.where(
                step < stable_end,
                jnp.ones_like(m),
                jnp.where(step - stable_end < d, jnp.maximum(fall * (1 - m) + m, 0), m),
            ),
        )
        return self.base_lr * mult


class InverseSqrt(Schedule):
    """Inverse square root with linear warmup (Hugging Face ``get_inverse_sqrt_schedule``).

    ``base_lr * s / max(1, W)`` for ``s < W``, then ``base_lr / sqrt((s + timescale - W) / timescale)``:
    ``base_lr`` at ``s = W``, decaying as ``s ** -0.5``. ``timescale=None`` means ``num_warmup_steps``, or
    10000 when that is 0 (Hugging Face's default), resolved at construction.
    Reference: ``transformers.get_inverse_sqrt_schedule``.

    Args:
      base_lr: the optimizer's learning rate (>= 0).
      num_warmup_steps: W (>= 0).
      timescale: the decay's time scale (>= 1), or None for the default.

    Example:
      >>> import lrjit
      >>> sched = lrjit.InverseSqrt(base_lr=0.1, num_warmup_steps=100)
      >>> print(sched(np.array([0, 50, 100, 400])))  # base_lr at W, half of it at 4 W
      [0.   0.05 0.1  0.05]
    """

    reference = "transformers.get_inverse_sqrt_schedule"
    base_lr: FloatLike = leaf(Kind.FLOAT, NONNEG)
    num_warmup_steps: IntLike = leaf(Kind.INT, _STEPS)
    timescale: IntLike | None = leaf(Kind.INT, _LONG, default=None)  # None: resolved in __post_init__

    def __post_init__(self) -> None:
        if self.timescale is None:
            w = self.num_warmup_steps
            xp = jnp if isinstance(w, jax.Array | jax.core.Tracer) else np
            resolved = xp.where(xp.asarray(w) > 0, w, 10_000) if w is not None else None
            object.__setattr__(self, "timescale", resolved)
        super().__post_init__()

    def _evaluate(self, step: jax.Array) -> jax.Array:
        w, ts = self.num_warmup_steps, self.timescale
        warm = _hf_warmup(self, step, w)
        # The sum in floats: near the largest step it would pass the integer range.
        decay = jnp.sqrt(ratio(self._float(ts), self._float(jnp.maximum(step - w, 0)) + self._float(ts)))
        return self.base_lr * jnp.where(step < w, warm, decay)


class CosineWithMinLR(Schedule):
    """Cosine decay to a floor, with linear warmup (Hugging Face
    ``get_cosine_with_min_lr_schedule_with_warmup``).

    ``base_lr * s / max(1, W)`` for ``s < W``; then, with ``p = (s - W) / max(1, N - W)`` (not clamped) and
    ``r = min_lr_rate``: ``base_lr * max(0, 0.5 * (1 + cos(2 pi num_cycles p)) * (1 - r) + r)``. As in
    Hugging Face the cosine goes on past ``num_training_steps`` (with ``num_cycles=0.5`` it rises back
    towards ``base_lr``); its phase is reduced exactly, so late steps keep full precision. Hugging Face's
    ``min_lr`` is ``min_lr_rate * base_lr``. Reference:
    ``transformers.get_cosine_with_min_lr_schedule_with_warmup``.

    Args:
      base_lr: the optimizer's learning rate (>= 0).
      num_warmup_steps: W (>= 0).
      num_training_steps: N (>= 0).
      num_cycles: cosine waves over ``N - W`` steps (>= 0; 0.5 is a half cosine).
      min_lr_rate: the floor as a fraction of ``base_lr``, in [0, 1].

    Example:
      >>> import lrjit
      >>> sched = lrjit.CosineWithMinLR(base_lr=0.1, num_warmup_steps=10, num_training_steps=110,
      ...                               min_lr_rate=0.1)
      >>> print(sched(np.array([0, 5, 10, 60, 110])).round(6))
      [0.    0.05  0.1   0.055 0.01 ]
    """

    reference = "transformers.get_cosine_with_min_lr_schedule_with_warmup"
    base_lr: FloatLike = leaf(Kind.FLOAT, NONNEG)
    num_warmup_steps: IntLike = leaf(Kind.INT, _STEPS)
    num_training_steps: IntLike = leaf(Kind.INT, _LONG)
    num_cycles: FloatLike = leaf(Kind.FLOAT, _CYCLES, default=0.5)
    min_lr_rate: FloatLike = leaf(Kind.FLOAT, UNIT, default=0.0)

    def _evaluate(self, step: jax.Array) -> jax.Array:
        w, n = self.num_warmup_steps, self.num_training_steps
        r = self._float(self.min_lr_rate)
        span = jnp.maximum(n - w, 1)
        phase = _half_turns(2 * self._float(self.num_cycles), jnp.maximum(step - w, 0), span)
        decay = jnp.maximum(_raised_cos(phase) * (1 - r) + r, 0)
        return self.base_lr * jnp.where(step < w, _hf_warmup(self, step, w), decay)


class CosineWithHardRestarts(Schedule):
    """Cosine with ``num_cycles`` hard restarts after a linear warmup (Hugging Face
    ``get_cosine_with_hard_restarts_schedule_with_warmup``).

    ``base_lr * s / max(1, W)`` for ``s < W``; then with ``p = (s - W) / max(1, N - W)``: 0 for ``p >= 1``,
    else ``base_lr * 0.5 * (1 + cos(pi * ((num_cycles * p) mod 1)))``. The position in the cycle is the
    integer ``(num_cycles * (s - W)) mod (N - W)``, so every restart is exact (Hugging Face's float
    ``% 1.0`` can land just below 1 at a restart step and give ~0 instead of the peak).
    Reference: ``transformers.get_cosine_with_hard_restarts_schedule_with_warmup``.

    Args:
      base_lr: the optimizer's learning rate (>= 0).
      num_warmup_steps: W (>= 0).
      num_training_steps: N (>= 0).
      num_cycles: the number of cycles (an integer >= 0, as Hugging Face types it; ``num_cycles *
        (N - W)`` must fit the integer dtype).

    Example:
      >>> import lrjit
      >>> sched = lrjit.CosineWithHardRestarts(base_lr=0.1, num_warmup_steps=10, num_training_steps=210,
      ...                                      num_cycles=2)
      >>> print(sched(np.array([0, 10, 60, 110, 210])).round(6))  # restart at 110, 0 from N on
      [0.   0.1  0.05 0.1  0.  ]
    """

    reference = "transformers.get_cosine_with_hard_restarts_schedule_with_warmup"
    base_lr: FloatLike = leaf(Kind.FLOAT, NONNEG)
    num_warmup_steps: IntLike = leaf(Kind.INT, _STEPS)
    num_training_steps: IntLike = leaf(Kind.INT, _LONG)
    num_cycles: IntLike = leaf(Kind.INT, _INT_CYCLES, default=1)

    def _evaluate(self, step: jax.Array) -> jax.Array:
        w, n = self.num_warmup_steps, self.num_training_steps
        span = jnp.maximum(n - w, 1)
        k = jnp.clip(step - w, 0, span)
        pos = periods_and_remainder(self.num_cycles * k, span)[1]
        decay = cosine_annealing(ratio(self._float(span - pos), self._float(span)))
        decay = jnp.where(k >= span, jnp.zeros_like(decay), decay)
        return self.base_lr * jnp.where(step < w, _hf_warmup(self, step, w), decay)


class PolynomialWithWarmup(Schedule):
    """Polynomial decay to ``lr_end`` after a linear warmup (Hugging Face
    ``get_polynomial_decay_schedule_with_warmup``).

    ``base_lr * s / max(1, W)`` for ``s < W``; ``(base_lr - lr_end) * ((N - s) / (N - W)) ** power +
    lr_end`` for ``W <= s <= N`` (so ``base_lr`` at ``s = N`` when ``power`` is 0, as ``0 ** 0 = 1``
    there); ``lr_end`` for ``s > N`` (and at ``s = N = W``, where Hugging Face divides by zero).
    Reference: ``transformers.get_polynomial_decay_schedule_with_warmup``.

    Args:
      base_lr: the optimizer's learning rate (> ``lr_end``, as Hugging Face requires).
      num_warmup_steps: W (>= 0).
      num_training_steps: N (>= 1).
      lr_end: the final rate (>= 0).
      power: the polynomial's power (>= 0).

    Example:
      >>> import lrjit
      >>> sched = lrjit.PolynomialWithWarmup(base_lr=0.1, num_warmup_steps=10, num_training_steps=110,
      ...                                    lr_end=0.01)
      >>> print(sched(np.array([0, 5, 10, 60, 110, 500])))
      [0.    0.05  0.1   0.055 0.01  0.01 ]
    """

    reference = "transformers.get_polynomial_decay_schedule_with_warmup"
    base_lr: FloatLike = leaf(Kind.FLOAT, NONNEG)
    num_warmup_steps: IntLike = leaf(Kind.INT, _STEPS)
    num_training_steps: IntLike = leaf(Kind.INT, _LONG)
    lr_end: FloatLike = leaf(Kind.FLOAT, _LR_END, default=1e-7)
    power: FloatLike = leaf(Kind.FLOAT, _POWER, default=1.0)

    def _checks(self, xp: Any) -> list[Check]:
        return [(self.lr_end < self.base_lr, "`lr_end` must be < `base_lr`")]

    def _evaluate(self, step: jax.Array) -> jax.Array:
        w, n = self.num_warmup_steps, self.num_training_steps
        end = self._float(self.lr_end)
        span = self._float(jnp.maximum(n - w, 1))
        left = ratio(self._float(jnp.clip(n - step, 0, None)), span)
        decay = (self.base_lr - end) * jnp.power(left, self._float(self.power)) + end
        # Hugging Face evaluates the formula at s = N too: (0 ** power), which is 1 for power 0.
        decay = jnp.where((step < n) | ((step == n) & (w < n)), decay, end)
        return jnp.where(step < w, self.base_lr * _hf_warmup(self, step, w), decay)


class LinearWithWarmup(Schedule):
    """Linear decay to 0 after a linear warmup (Hugging Face ``get_linear_schedule_with_warmup``, the
    ``"linear"`` scheduler type and ``TrainingArguments``' default).

    ``base_lr * s / max(1, W)`` for ``s < W``, then ``base_lr * max(0, (N - s) / max(1, N - W))``: 0 from
    ``N`` on, and from ``W`` on when the warmup is longer than the run (``N < W``).
    Reference: ``transformers.get_linear_schedule_with_warmup``.

    Args:
      base_lr: the optimizer's learning rate (>= 0).
      num_warmup_steps: W (>= 0).
      num_training_steps: N (>= 0).

    Example:
      >>> import lrjit
      >>> sched = lrjit.LinearWithWarmup(base_lr=0.1, num_warmup_steps=10, num_training_steps=110)
      >>> print(sched(np.array([0, 5, 10, 60, 110, 500])))
      [0.   0.05 0.1  0.05 0.   0.  ]
    """

    reference = "transformers.get_linear_schedule_with_warmup"
    base_lr: FloatLike = leaf(Kind.FLOAT, NONNEG)
    num_warmup_steps: IntLike = leaf(Kind.INT, _STEPS)
    num_training_steps: IntLike = leaf(Kind.INT, _STEPS)

    def _evaluate(self, step: jax.Array) -> jax.Array:
        w, n = self.num_warmup_steps, self.num_training_steps
        span = self._float(jnp.maximum(n - w, 1))
        decay = ratio(self._float(jnp.clip(n - step, 0, None)), span)
        return self.base_lr * jnp.where(step < w, _hf_warmup(self, step, w), decay)


class ConstantWithWarmup(Schedule):
    """A constant rate after a linear warmup (Hugging Face ``get_constant_schedule_with_warmup``; with
    ``num_warmup_steps=0`` it is ``get_constant_schedule``).

    ``base_lr * s / max(1, W)`` for ``s < W``, then ``base_lr``.
    Reference: ``transformers.get_constant_schedule_with_warmup``.

    Args:
      base_lr: the optimizer's learning rate (>= 0).
      num_warmup_steps: W (>= 0).

    Example:
      >>> import lrjit
      >>> sched = lrjit.ConstantWithWarmup(base_lr=0.1, num_warmup_steps=10)
      >>> print(sched(np.array([0, 5, 10, 10**6])))
      [0.   0.05 0.1  0.1 ]
    """

    reference = "transformers.get_constant_schedule_with_warmup"
    base_lr: FloatLike = leaf(Kind.FLOAT, NONNEG)
    num_warmup_steps: IntLike = leaf(Kind.INT, _STEPS, default=0)

    def _evaluate(self, step: jax.Array) -> jax.Array:
        w = self.num_warmup_steps
        return self.base_lr * jnp.where(step < w, _hf_warmup(self, step, w), 1)


class CosineWarmupWithMinLR(Schedule):
    """Cosine decay to a floor after a warmup that starts above 0 (Hugging Face
    ``get_cosine_with_min_lr_schedule_with_warmup_lr_rate``, the ``"cosine_warmup_with_min_lr"`` type).

    Shifted by one step against :class:`CosineWithMinLR`, as Hugging Face writes it. For ``s < W``:
    ``base_lr * (s + 1) / max(1, W)`` (``warmup_lr_rate=None``), or ``base_lr * (q + (1 - q) * s /
    max(1, W - 1))`` with ``q = warmup_lr_rate``. Then, with ``p = (s - W + 1) / max(1, N - W)`` (not
    clamped: the cosine goes on past ``N``) and ``r = min_lr_rate``: ``base_lr * max(0, 0.5 * (1 + cos(2 pi
    num_cycles p)) * (1 - r) + r)``, which reaches the floor at ``s = N - 1``. The phase is reduced exactly,
    as in :class:`CosineWithMinLR`. Hugging Face's ``min_lr`` is ``min_lr_rate * base_lr``.
    Reference: ``transformers.get_cosine_with_min_lr_schedule_with_warmup_lr_rate``.

    Args:
      base_lr: the optimizer's learning rate (>= 0).
      num_warmup_steps: W (>= 0).
      num_training_steps: N (>= 1).
      num_cycles: cosine waves over ``N - W`` steps (>= 0; 0.5 is a half cosine).
      min_lr_rate: the floor as a fraction of ``base_lr``, in [0, 1].
      warmup_lr_rate: the warmup's start as a fraction of ``base_lr`` (>= 0), or None (structural) for
        ``1 / W``.

    Example:
      >>> import lrjit
      >>> sched = lrjit.CosineWarmupWithMinLR(base_lr=0.1, num_warmup_steps=10, num_training_steps=110,
      ...                                     min_lr_rate=0.1)
      >>> print(sched(np.array([0, 9, 59, 109])).round(6))  # the floor at N - 1
      [0.01  0.1   0.055 0.01 ]
    """

    reference = "transformers.get_cosine_with_min_lr_schedule_with_warmup_lr_rate"
    base_lr: FloatLike = leaf(Kind.FLOAT, NONNEG)
    num_warmup_steps: IntLike = leaf(Kind.INT, _STEPS)
    num_training_steps: IntLike = leaf(Kind.INT, _LONG)
    num_cycles: FloatLike = leaf(Kind.FLOAT, _CYCLES, default=0.5)
    min_lr_rate: FloatLike = leaf(Kind.FLOAT, UNIT, default=0.0)
    warmup_lr_rate: FloatLike | None = leaf(Kind.FLOAT, _WARMUP_RATE, default=None, optional=True)

    def _evaluate(self, step: jax.Array) -> jax.Array:
        w, n = self.num_warmup_steps, self.num_training_steps
        r = self._float(self.min_lr_rate)
        if self.warmup_lr_rate is None:  # structure: (s + 1) / max(1, W)
            warm = _hf_warmup(self, jnp.minimum(step, w - 1) + 1, w)
        else:
            q = self._float(self.warmup_lr_rate)
            warm = linear_warmup(self._float(step), self._float(jnp.maximum(w - 1, 1)), q, 1)
        span = jnp.maximum(n - w, 1)
        phase = _half_turns(2 * self._float(self.num_cycles), jnp.maximum(step - w, 0), span, plus=1)
        decay = jnp.maximum(_raised_cos(phase) * (1 - r) + r, 0)
        return self.base_lr * jnp.where(step < w, warm, decay)


# ------------------------------------------------------------------------------------------------ fairseq
class TriStage(Schedule):
    """fairseq's tri-stage schedule: linear warmup, hold, exponential decay, then a constant floor.

    With ``W, H, D`` the stage lengths: ``s < W``: linear from ``init_lr_scale * base_lr`` to ``base_lr``
    (``init + s * (base_lr - init) / W``); ``s < W + H``: ``base_lr``; ``s <= W + H + D``:
    ``base_lr * exp(-ln(1 / final_lr_scale) * (s - W - H) / D)``; afterwards ``final_lr_scale * base_lr``.
    Reference: ``fairseq.optim.lr_scheduler.tri_stage_lr_scheduler.TriStageLRSchedule`` (explicit
    step counts; its ``phase_ratio`` gives ``int(max_update * ratio)`` steps per stage).

    Args:
      base_lr: the peak (fairseq's ``lr[0]``, >= 0).
      warmup_steps: W (>= 0).
      hold_steps: H (>= 0).
      decay_steps: D (>= 1).
      init_lr_scale: the warmup's start as a fraction of ``base_lr`` (>= 0).
      final_lr_scale: the floor as a fraction of ``base_lr`` (> 0).

    Example:
      >>> import lrjit
      >>> sched = lrjit.TriStage(base_lr=0.1, warmup_steps=10, hold_steps=20, decay_steps=10,
      ...                        init_lr_scale=0.01, final_lr_scale=0.01)
      >>> print(sched(np.array([0, 10, 29, 35, 40, 100])).round(6))
      [0.001 0.1   0.1   0.01  0.001 0.001]
    """

    reference = "fairseq.optim.lr_scheduler.tri_stage_lr_scheduler.TriStageLRSchedule"
    base_lr: FloatLike = leaf(Kind.FLOAT, NONNEG)
    warmup_steps: IntLike = leaf(Kind.INT, _STEPS)
    hold_steps: IntLike = leaf(Kind.INT, _STEPS)
    decay_steps: IntLike = leaf(Kind.INT, _LONG)
    init_lr_scale: FloatLike = leaf(Kind.FLOAT, _INIT_SCALE, default=0.01)
    final_lr_scale: FloatLike = leaf(Kind.FLOAT, _FINAL_SCALE, default=0.01)

    def _evaluate(self, step: jax.Array) -> jax.Array:
        w, h, d = self.warmup_steps, self.hold_steps, self.decay_steps
        peak = self.base_lr
        init = self._float(self.init_lr_scale) * peak
        final = self._float(self.final_lr_scale)
        warm = linear_warmup(self._float(step), self._float(jnp.maximum(w, 1)), init, peak)
        hold_end = saturating_add(jnp.asarray(w, step.dtype), h)  # saturated: never wraps negative
        k = jnp.clip(step - hold_end, 0, d)
        decay = peak * jnp.exp(jnp.log(final) * ratio(self._float(k), self._float(d)))
        after = jnp.where(step - hold_end <= d, decay, final * peak)
        return jnp.where(step < w, warm, jnp.where(step < hold_end, peak, after))


class Triangular(Schedule):
    """fairseq's triangular cyclical schedule (Smith 2017) with a per-cycle shrink.

    With ``S = lr_period_updates // 2`` and cycle ``c = n // (2 S)``: ``max_c = max_lr * lr_shrink**c``,
    ``min_c = min_lr * lr_shrink**c`` with ``shrink_min`` (else ``min_lr``), and
    ``lr = min_c + (max_c - min_c) * max(0, 1 - |n / S - 2 (c + 1) + 1|)``: from ``min_c`` up to ``max_c``
    at mid-cycle and back down. The position in the cycle is an integer count, so the peak and the troughs
    are exact. fairseq's ``min_lr`` is its ``--lr``. Reference:
    ``fairseq.optim.lr_scheduler.triangular_lr_scheduler.TriangularLRSchedule`` (``step_update``).

    Args:
      max_lr: the first cycle's peak (> ``min_lr``, as fairseq asserts).
      min_lr: the trough (fairseq's ``--lr``, >= 0).
      lr_period_updates: the cycle length (an integer >= 2; fairseq floors its half).
      lr_shrink: the peak multiplier per cycle (>= 0).
      shrink_min: shrink the trough too.

    Example:
      >>> import lrjit
      >>> sched = lrjit.Triangular(max_lr=1.0, min_lr=0.1, lr_period_updates=10, lr_shrink=0.5)
      >>> print(sched(np.array([0, 5, 10, 15, 20])))
      [0.1 1.  0.1 0.5 0.1]
    """

    reference = "fairseq.optim.lr_scheduler.triangular_lr_scheduler.TriangularLRSchedule"
    max_lr: FloatLike = leaf(Kind.FLOAT, NONNEG)
    min_lr: FloatLike = leaf(Kind.FLOAT, _MIN_LR)
    lr_period_updates: IntLike = leaf(Kind.INT, _PERIOD, default=5000)
    lr_shrink: FloatLike = leaf(Kind.FLOAT, _SHRINK, default=0.1)
    shrink_min: BoolLike = leaf(Kind.BOOL, BOOLEAN, default=False)

    def _checks(self, xp: Any) -> list[Check]:
        return [(self.max_lr > self.min_lr, "`max_lr` must be > `min_lr`")]

    def _evaluate(self, step: jax.Array) -> jax.Array:
        half = self.lr_period_updates // 2
        cycle, r = periods_and_remainder(step, 2 * half)  # r: position in the cycle, in [0, 2 S)
        up = ratio(self._float(half - jnp.abs(r - half)), self._float(half))  # 1 - x, in [0, 1]
        shrink = jnp.power(self._float(self.lr_shrink), self._float(cycle))
        peak = self._float(self.max_lr) * shrink
        low = jnp.where(self.shrink_min, self._float(self.min_lr) * shrink, self._float(self.min_lr))
        return low + (peak - low) * jnp.maximum(up, 0)
