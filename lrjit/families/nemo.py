"""The NVIDIA NeMo families: ``nemo.core.optim.lr_scheduler`` with NeMo's class and argument names.

Steps: NeMo's schedulers are torch ``_LRScheduler`` subclasses stepped after every optimizer step
(``interval: step``); the constructor takes the first ``step()``, so the first update runs at
``last_epoch = 0``. The step here is ``last_epoch``: ``sched(s)`` is the rate of update ``s``, and each
``get_lr`` below is NeMo's at ``step = last_epoch``, with its conditions and off-by-ones (the warmup
``(step + 1) / (warmup_steps + 1)`` for ``step <= warmup_steps``, ``min_lr`` for ``step > max_steps``).

Arguments: NeMo's names, with the optimizer's learning rate explicit as ``base_lr`` (NeMo's
``base_lrs``). Durations are step counts: NeMo's ``warmup_ratio`` / ``hold_ratio`` / ``constant_ratio``
become ``int(ratio * max_steps)`` in NeMo's constructors, and :func:`lrjit.interop.nemo.from_nemo`
converts them so (as it reads a resumed scheduler's ``last_epoch``: ``lrjit.Offset(sched, last_epoch +
1)``). Where NeMo divides zero by zero (a decay of no steps that a step still reaches, e.g. ``max_steps =
warmup_steps = 0`` at step 0) it raises ZeroDivisionError; the value is NaN at that step here.

NeMo computes in Python floats; the counts here are integer arithmetic (the steps left of a decay, the
cycle of a polynomial decay), so boundary steps are exact and large steps lose nothing to rounding.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np  # noqa: F401 (the namespace of the doctests)
from jax.typing import ArrayLike

from lrjit.core import BoolLike, Check, FloatLike, IntLike, Schedule
from lrjit.core.fields import BOOLEAN, NONNEG, POWER, Domain, FieldGroup, Kind, leaf
from lrjit.core.numerics import cosine_annealing, noam, periods_and_remainder, ratio, saturating_add

__all__ = [
    "CosineAnnealing",
    "InverseSquareRootAnnealing",
    "NoamAnnealing",
    "NoamHoldAnnealing",
    "PolynomialDecayAnnealing",
    "PolynomialHoldDecayAnnealing",
    "SquareAnnealing",
    "SquareRootAnnealing",
    "T5InverseSquareRootAnnealing",
    "WarmupAnnealing",
    "WarmupHoldPolicy",
    "WarmupPolicy",
]

_MAX_STEPS = Domain("an integer >= 0", lambda x, xp: x >= 0, lambda rng: int(rng.integers(0, 3000)))
_WARMUP = Domain("an integer >= 0", lambda x, xp: x >= 0, lambda rng: int(rng.choice([0, 1, 10, 100, 300])))
_HOLD = Domain("an integer >= 0", lambda x, xp: x >= 0, lambda rng: int(rng.choice([0, 1, 50, 500])))
_CONSTANT = Domain("an integer >= 0", lambda x, xp: x >= 0, lambda rng: int(rng.choice([0, 0, 1, 100, 500])))
_POSITIVE_WARMUP = Domain("an integer >= 1", lambda x, xp: x >= 1, lambda rng: int(rng.choice([1, 10, 300])))
_POSITIVE_CONSTANT = Domain(
    "an integer >= 1", lambda x, xp: x >= 1, lambda rng: int(rng.choice([1, 100, 1000]))
)
_D_MODEL = Domain("an integer >= 1", lambda x, xp: x >= 1, lambda rng: int(rng.choice([64, 256, 512, 1024])))
_MIN_LR = Domain("a finite float >= 0", NONNEG.predicate, lambda rng: float(rng.choice([0.0, 1e-6, 1e-4])))
_DECAY_RATE = Domain("a finite float >= 0", NONNEG.predicate, lambda rng: float(rng.uniform(0.5, 1.0)))

# The defaulted arguments the classes share (the required ones, base_lr and max_steps, are declared in each
# class: a type checker sees a group's field as one with a default).
NEMO = FieldGroup(
    warmup_steps=leaf(Kind.INT, _WARMUP, default=0),
    hold_steps=leaf(Kind.INT, _HOLD, default=0),
    min_lr=leaf(Kind.FLOAT, _MIN_LR, default=0.0),
    power=leaf(Kind.FLOAT, POWER, default=1.0),
    cycle=leaf(Kind.BOOL, BOOLEAN, default=False),
)


# ------------------------------------------------------------------------------------------ helpers
def _get_lr(
    s: Any,
    step: jax.Array,
    middle: jax.Array,
    *,
    end: ArrayLike | None,
    hold_end: ArrayLike | None = None,
    warm: jax.Array | None = None,
) -> jax.Array:
    """NeMo's ``WarmupPolicy.get_lr`` (``WarmupHoldPolicy.get_lr`` with ``hold_end``), in its order: the
    warmup ``base_lr * (step + 1) / (W + 1)`` (or ``warm``) for ``step <= W`` when ``W > 0``; then
    ``base_lr`` for ``W <= step < hold_end``; then ``min_lr`` for ``step > end``; else ``middle``."""
    lr, w = s._float(s.base_lr), s.warmup_steps
    out = middle if end is None else jnp.where(step > end, s._float(s.min_lr), middle)
    if hold_end is not None:
        out = jnp.where((step >= w) & (step < hold_end), lr, out)
    if warm is None:
        warm = lr * ratio(s._float(step) + 1, s._float(w) + 1)  # + 1 in float: no wrap at the top step
    return jnp.where((step <= w) & (w > 0), warm, out)


def _hold_end(s: Any) -> jax.Array:
    """``warmup_steps + hold_steps`` (NeMo's ``hold_steps`` attribute), the integer dtype's largest value
    where the sum would wrap (no step reaches it)."""
    return saturating_add(jnp.asarray(s.warmup_steps), jnp.asarray(s.hold_steps))


def _left(s: Any, step: jax.Array, end: ArrayLike, span: ArrayLike) -> jax.Array:
    """``(end - step) / span`` from integers, clipped to [0, 1] (NeMo's ``1 - (step - start) / span`` inside
    its decay; clipped outside it, where the value is not used); NaN where ``span`` is 0, where NeMo
    divides 0 by 0 at the one step such a config reaches its decay."""
    safe = jnp.maximum(span, 1)
    remaining = jnp.minimum(end - jnp.minimum(step, end), safe)  # no wrap: step is only subtracted below end
    return jnp.where(span == 0, jnp.nan, ratio(s._float(remaining), s._float(safe)))


def _poly_left(s: Any, k: jax.Array, span: ArrayLike, cycle: ArrayLike) -> jax.Array:
    """``1 - p`` of NeMo's ``_poly_decay`` ``k`` steps into a decay of ``span`` steps, from integers:
    ``(span - min(k, span)) / span``, or with ``cycle`` (the span stretched to ``q = ceil(k / span)`` spans,
    ``q = 1`` at ``k = 0``) ``(q span - k) / (q span)``; NaN where ``span`` is 0 (NeMo's 0 / 0)."""
    safe = jnp.maximum(span, 1)
    k = jnp.maximum(k, 0)
    flat = ratio(s._float(safe - jnp.minimum(k, safe)), s._float(safe))
    q, r = periods_and_remainder(jnp.maximum(k - 1, 0), safe)  # k - 1 = q span + r: ceil(k / span) = q + 1
    cycled = ratio(s._float(safe - 1 - r), s._float(safe) * s._float(q + 1))  # float product: no wrap
    cycled = jnp.where(k == 0, jnp.ones_like(cycled), cycled)
    return jnp.where(span == 0, jnp.nan, jnp.where(cycle, cycled, flat))


def _poly(s: Any, left: jax.Array) -> jax.Array:
    """NeMo's ``_poly_decay`` value ``(base_lr - min_lr) * (1 - p) ** power + min_lr``."""
    m = s._float(s.min_lr)
    return (s._float(s.base_lr) - m) * jnp.power(left, s._float(s.power)) + m


# ----------------------------------------------------------------------------------------- families
class WarmupPolicy(Schedule):
    """NeMo's warmup, then the constant ``base_lr``; ``min_lr`` past ``max_steps``.

    With ``W = warmup_steps``: ``base_lr * (step + 1) / (W + 1)`` for ``step <= W`` (when ``W > 0``: the
    peak at ``step = W``), ``min_lr`` for ``step > max_steps`` (never with ``max_steps=None``), else
    ``base_lr``. The warmup goes first: with ``W > max_steps`` it runs to its end.
    Reference: ``nemo.core.optim.lr_scheduler.WarmupPolicy``.

    Args:
      base_lr: the optimizer's learning rate (>= 0).
      warmup_steps: W (>= 0; NeMo's ``warmup_ratio`` is ``int(warmup_ratio * max_steps)`` steps).
      max_steps: the last step before ``min_lr`` (>= 0), or None for no end.
      min_lr: the rate past ``max_steps`` (>= 0).

    Example:
      >>> import lrjit
      >>> sched = lrjit.WarmupPolicy(base_lr=0.1, warmup_steps=4, max_steps=10, min_lr=0.01)
      >>> print(sched(np.array([0, 1, 4, 10, 11])))
      [0.02 0.04 0.1  0.1  0.01]
    """

    reference = "nemo.core.optim.lr_scheduler.WarmupPolicy"
    base_lr: FloatLike = leaf(Kind.FLOAT, NONNEG)
    warmup_steps: IntLike = NEMO.warmup_steps
    max_steps: IntLike | None = leaf(Kind.INT, _MAX_STEPS, default=None, optional=True)
    min_lr: FloatLike = NEMO.min_lr

    def _evaluate(self, step: jax.Array) -> jax.Array:
        middle = jnp.broadcast_to(self._float(self.base_lr), step.shape)
        return _get_lr(self, step, middle, end=self.max_steps)


class WarmupHoldPolicy(Schedule):
    """:class:`WarmupPolicy` with a hold of ``base_lr`` for ``hold_steps`` steps after the warmup, which
    goes on past ``max_steps``.

    With ``W = warmup_steps`` and ``H = W + hold_steps``: the warmup for ``step <= W`` (``W > 0``), then
    ``base_lr`` for ``W <= step < H``, then ``min_lr`` for ``step > max_steps``, else ``base_lr``. NeMo's
    ``hold_steps=None`` gives the curve of 0 here.
    Reference: ``nemo.core.optim.lr_scheduler.WarmupHoldPolicy``.

    Args:
      base_lr: the optimizer's learning rate (>= 0).
      max_steps: the last step before ``min_lr`` (>= 0).
      warmup_steps: W (>= 0).
      hold_steps: the hold after the warmup (>= 0; NeMo's ``hold_ratio`` is ``int(hold_ratio * max_steps)``).
      min_lr: the rate past ``max_steps`` and the hold (>= 0).

    Example:
      >>> import lrjit
      >>> sched = lrjit.WarmupHoldPolicy(base_lr=0.1, max_steps=10, warmup_steps=4, hold_steps=10)
      >>> print(sched(np.array([0, 4, 11, 13, 14])))
      [0.02 0.1  0.1  0.1  0.  ]
    """

    reference = "nemo.core.optim.lr_scheduler.WarmupHoldPolicy"
    base_lr: FloatLike = leaf(Kind.FLOAT, NONNEG)
    max_steps: IntLike = leaf(Kind.INT, _MAX_STEPS)
    warmup_steps: IntLike = NEMO.warmup_steps
    hold_steps: IntLike = NEMO.hold_steps
    min_lr: FloatLike = NEMO.min_lr

    def _evaluate(self, step: jax.Array) -> jax.Array:
        middle = jnp.broadcast_to(self._float(self.base_lr), step.shape)
        hold_end = _hold_end(self)
        return _get_lr(self, step, middle, end=self.max_steps, hold_end=hold_end)


class SquareAnnealing(Schedule):
    """NeMo's warmup, then ``max(base_lr * ((M - step) / (M - W)) ** 2, min_lr)`` down to ``step = M``,
    then ``min_lr``.

    With ``W = warmup_steps`` and ``M = max_steps``: the warmup ``base_lr * (step + 1) / (W + 1)`` for
    ``step <= W`` (``W > 0``); ``min_lr`` for ``step > M``. NaN at step 0 for ``M = W = 0`` (NeMo: 0 / 0).
    Reference: ``nemo.core.optim.lr_scheduler.SquareAnnealing``.

    Args:
      base_lr: the optimizer's learning rate (>= 0).
      max_steps: M (>= 0).
      warmup_steps: W (>= 0).
      min_lr: the floor and the rate past M (>= 0; NeMo's default 1e-5).

    Example:
      >>> import lrjit
      >>> sched = lrjit.SquareAnnealing(base_lr=0.1, max_steps=12, warmup_steps=2, min_lr=0.001)
      >>> print(sched(np.array([0, 2, 7, 12, 13])).round(6))
      [0.033333 0.1      0.025    0.001    0.001   ]
    """

    reference = "nemo.core.optim.lr_scheduler.SquareAnnealing"
    base_lr: FloatLike = leaf(Kind.FLOAT, NONNEG)
    max_steps: IntLike = leaf(Kind.INT, _MAX_STEPS)
    warmup_steps: IntLike = NEMO.warmup_steps
    min_lr: FloatLike = leaf(Kind.FLOAT, _MIN_LR, default=1e-5)

    def _evaluate(self, step: jax.Array) -> jax.Array:
        left = _left(self, step, self.max_steps, self.max_steps - self.warmup_steps)
        middle = jnp.maximum(self._float(self.base_lr) * left * left, self._float(self.min_lr))
        return _get_lr(self, step, middle, end=self.max_steps)


class SquareRootAnnealing(Schedule):
    """NeMo's warmup, then ``max(base_lr * sqrt((M - step) / M), min_lr)`` down to ``step = M``, then
    ``min_lr``: the square root counts from step 0, not from the warmup's end (NeMo's), so the rate drops
    to ``base_lr * sqrt((M - W - 1) / M)`` right after it.

    With ``W = warmup_steps`` and ``M = max_steps``: the warmup ``base_lr * (step + 1) / (W + 1)`` for
    ``step <= W`` (``W > 0``); ``min_lr`` for ``step > M``. NaN at step 0 for ``M = W = 0`` (NeMo: 0 / 0).
    Reference: ``nemo.core.optim.lr_scheduler.SquareRootAnnealing``.

    Args:
      base_lr: the optimizer's learning rate (>= 0).
      max_steps: M (>= 0).
      warmup_steps: W (>= 0).
      min_lr: the floor and the rate past M (>= 0).

    Example:
      >>> import lrjit
      >>> sched = lrjit.SquareRootAnnealing(base_lr=0.1, max_steps=100, warmup_steps=3)
      >>> print(sched(np.array([0, 3, 4, 75, 100, 101])))
      [0.025      0.1        0.09797959 0.05       0.         0.        ]
    """

    reference = "nemo.core.optim.lr_scheduler.SquareRootAnnealing"
    base_lr: FloatLike = leaf(Kind.FLOAT, NONNEG)
    max_steps: IntLike = leaf(Kind.INT, _MAX_STEPS)
    warmup_steps: IntLike = NEMO.warmup_steps
    min_lr: FloatLike = NEMO.min_lr

    def _evaluate(self, step: jax.Array) -> jax.Array:
        left = _left(self, step, self.max_steps, self.max_steps)
        middle = jnp.maximum(self._float(self.base_lr) * jnp.sqrt(left), self._float(self.min_lr))
        return _get_lr(self, step, middle, end=self.max_steps)


class CosineAnnealing(Schedule):
    """NeMo's cosine annealing: a warmup, a half cosine from ``base_lr`` to ``min_lr``, then ``min_lr``
    (with ``constant_steps``: Megatron's variant, a warmup from 0 and ``min_lr`` for the last
    ``constant_steps`` steps up to ``max_steps``).

    With ``W = warmup_steps``, ``C = constant_steps``, ``M = max_steps`` and the decay ``D = M - C - W``:
    the warmup for ``step <= W`` (``W > 0``): ``base_lr * (step + 1) / (W + 1)`` for ``C = 0``,
    ``base_lr * step / W`` for ``C > 0``; then ``min_lr + (base_lr - min_lr) * 0.5 * (1 + cos(pi * (step
    - W) / D))`` up to ``step = W + D``, then ``min_lr``. NaN at step 0 for ``D = W = 0`` (NeMo: 0 / 0).
    NeMo raises for ``base_lr < min_lr`` (and, with ``C > 0``, ``base_lr == min_lr``); so does this.
    Reference: ``nemo.core.optim.lr_scheduler.CosineAnnealing``.

    Args:
      base_lr: the optimizer's learning rate, the peak (>= 0).
      max_steps: M (>= 0).
      warmup_steps: W (>= 0).
      constant_steps: C (>= 0; NeMo's ``constant_ratio`` is ``int(constant_ratio * max_steps)``).
      min_lr: the end of the cosine and the rate after it (>= 0).

    Example:
      >>> import lrjit
      >>> sched = lrjit.CosineAnnealing(base_lr=0.1, max_steps=109, warmup_steps=9, min_lr=0.01)
      >>> print(sched(np.array([0, 9, 59, 108, 109, 110])).round(6))
      [0.01     0.1      0.055    0.010022 0.01     0.01    ]
    """

    reference = "nemo.core.optim.lr_scheduler.CosineAnnealing"
    base_lr: FloatLike = leaf(Kind.FLOAT, NONNEG)
    max_steps: IntLike = leaf(Kind.INT, _MAX_STEPS)
    warmup_steps: IntLike = NEMO.warmup_steps
    constant_steps: IntLike = leaf(Kind.INT, _CONSTANT, default=0)
    min_lr: FloatLike = NEMO.min_lr

    def _checks(self, xp: Any) -> list[Check]:
        lr, m, c = self.base_lr, self.min_lr, self.constant_steps
        return [
            (
                (m < lr) | ((m == lr) & (c == 0)),
                "`min_lr` must be <= `base_lr`, and < `base_lr` when `constant_steps` > 0",
            )
        ]

    def _evaluate(self, step: jax.Array) -> jax.Array:
        lr, m = self._float(self.base_lr), self._float(self.min_lr)
        w = self.warmup_steps
        end = self.max_steps - self.constant_steps  # W + D
        cosine = m + (lr - m) * cosine_annealing(_left(self, step, end, end - w))
        from_zero = lr * ratio(self._float(step), self._float(jnp.maximum(w, 1)))
        from_one = lr * ratio(self._float(step) + 1, self._float(w) + 1)
        warm = jnp.where(self.constant_steps > 0, from_zero, from_one)
        return _get_lr(self, step, cosine, end=end, warm=warm)


class NoamAnnealing(Schedule):
    """The Noam schedule (Vaswani et al. 2017) times ``base_lr``, floored at ``min_lr`` after the warmup.

    With ``n = max(1, step)`` and ``W = warmup_steps``: ``base_lr * d_model ** -0.5 * min(n ** -0.5, n * W
    ** -1.5)`` (``n ** -0.5`` for ``W = 0``), and ``max(that, min_lr)`` for ``n > W``: the peak
    ``base_lr * (d_model * W) ** -0.5`` at ``n = W``. Steps 0 and 1 share a rate. NeMo raises for ``base_lr
    < min_lr``; so does this. NeMo's ``max_steps`` only converts ``warmup_ratio`` (see the module).
    Reference: ``nemo.core.optim.lr_scheduler.NoamAnnealing``.

    Args:
      base_lr: the optimizer's learning rate, a multiplier here (>= 0).
      d_model: the model width (an integer >= 1).
      warmup_steps: W (>= 0).
      min_lr: the floor after the warmup (>= 0).

    Example:
      >>> import lrjit
      >>> sched = lrjit.NoamAnnealing(base_lr=1.0, d_model=256, warmup_steps=100)
      >>> print(sched(np.array([0, 1, 50, 100, 400])))
      [6.250e-05 6.250e-05 3.125e-03 6.250e-03 3.125e-03]
    """

    reference = "nemo.core.optim.lr_scheduler.NoamAnnealing"
    base_lr: FloatLike = leaf(Kind.FLOAT, NONNEG)
    d_model: IntLike = leaf(Kind.INT, _D_MODEL)
    warmup_steps: IntLike = NEMO.warmup_steps
    min_lr: FloatLike = NEMO.min_lr

    def _checks(self, xp: Any) -> list[Check]:
        return [(self.min_lr <= self.base_lr, "`min_lr` must be <= `base_lr`")]

    def _evaluate(self, step: jax.Array) -> jax.Array:
        n = self._float(jnp.maximum(step, 1))
        w = self.warmup_steps
        mult = noam(n, self._float(w))  # no warmup (W = 0): n ** -0.5, as NeMo
        out = self._float(self.base_lr) * (
            ratio(jnp.ones_like(n), jnp.sqrt(self._float(self.d_model))) * mult
        )
        return jnp.where(jnp.maximum(step, 1) > w, jnp.maximum(out, self._float(self.min_lr)), out)


class NoamHoldAnnealing(Schedule):
    """NeMo's warmup and hold (:class:`WarmupHoldPolicy`), then the decay of Squeezeformer:
    ``max(base_lr * max(1, W ** r) / max(1, (step - hold_steps) ** r), min_lr)``, ``r = decay_rate``.

    With ``W = warmup_steps`` and ``H = W + hold_steps``: the warmup for ``step <= W``, ``base_lr`` for
    ``W <= step < H``, ``min_lr`` for ``step > max_steps``, else the decay, which starts at ``base_lr``
    (``step - hold_steps = W`` at the hold's end). ``r = 0.5`` is the Noam decay. NeMo raises without a
    warmup, hence ``warmup_steps >= 1``. Reference: ``nemo.core.optim.lr_scheduler.NoamHoldAnnealing``.

    Args:
      base_lr: the optimizer's learning rate, the peak (>= 0).
      max_steps: the last step before ``min_lr`` (>= 0).
      warmup_steps: W (>= 1).
      hold_steps: the hold after the warmup (>= 0; NeMo's None gives the curve of 0).
      decay_rate: r (>= 0).
      min_lr: the floor (>= 0).

    Example:
      >>> import lrjit
      >>> sched = lrjit.NoamHoldAnnealing(base_lr=0.1, max_steps=1000, warmup_steps=4, hold_steps=10)
      >>> print(sched(np.array([0, 4, 13, 14, 26, 1001])))
      [0.02 0.1  0.1  0.1  0.05 0.  ]
    """

    reference = "nemo.core.optim.lr_scheduler.NoamHoldAnnealing"
    base_lr: FloatLike = leaf(Kind.FLOAT, NONNEG)
    max_steps: IntLike = leaf(Kind.INT, _MAX_STEPS)
    warmup_steps: IntLike = leaf(Kind.INT, _POSITIVE_WARMUP)
    hold_steps: IntLike = NEMO.hold_steps
    decay_rate: FloatLike = leaf(Kind.FLOAT, _DECAY_RATE, default=0.5)
    min_lr: FloatLike = NEMO.min_lr

    def _evaluate(self, step: jax.Array) -> jax.Array:
        r = self._float(self.decay_rate)
        since = self._float(jnp.maximum(step - self.hold_steps, 1))  # >= W in the decay
        t_warmup = jnp.maximum(1, jnp.power(self._float(self.warmup_steps), r))
        t_hold = jnp.maximum(1, jnp.power(since, r))
        middle = jnp.maximum(ratio(self._float(self.base_lr) * t_warmup, t_hold), self._float(self.min_lr))
        hold_end = _hold_end(self)
        return _get_lr(self, step, middle, end=self.max_steps, hold_end=hold_end)


class WarmupAnnealing(Schedule):
    """NeMo's warmup, then a linear decay from ``base_lr`` at ``step = W`` to ``min_lr`` at ``max_steps``,
    then ``min_lr``.

    With ``W = warmup_steps`` and ``M = max_steps``: the warmup ``base_lr * (step + 1) / (W + 1)`` for
    ``step <= W`` (``W > 0``), ``min_lr + (base_lr - min_lr) * (M - step) / (M - W)`` up to ``M``, then
    ``min_lr``. NaN at step 0 for ``M = W = 0`` (NeMo: 0 / 0).
    Reference: ``nemo.core.optim.lr_scheduler.WarmupAnnealing``.

    Args:
      base_lr: the optimizer's learning rate, the peak (>= 0).
      max_steps: M (>= 0).
      warmup_steps: W (>= 0).
      min_lr: the end of the decay and the rate after it (>= 0).

    Example:
      >>> import lrjit
      >>> sched = lrjit.WarmupAnnealing(base_lr=0.1, max_steps=14, warmup_steps=4)
      >>> print(sched(np.array([0, 4, 9, 14, 15])))
      [0.02 0.1  0.05 0.   0.  ]
    """

    reference = "nemo.core.optim.lr_scheduler.WarmupAnnealing"
    base_lr: FloatLike = leaf(Kind.FLOAT, NONNEG)
    max_steps: IntLike = leaf(Kind.INT, _MAX_STEPS)
    warmup_steps: IntLike = NEMO.warmup_steps
    min_lr: FloatLike = NEMO.min_lr

    def _evaluate(self, step: jax.Array) -> jax.Array:
        m = self._float(self.min_lr)
        left = _left(self, step, self.max_steps, self.max_steps - self.warmup_steps)
        return _get_lr(self, step, m + left * (self._float(self.base_lr) - m), end=self.max_steps)


class InverseSquareRootAnnealing(Schedule):
    """NeMo's warmup, then ``base_lr / sqrt((step + 1) / (W + 1))`` (no floor), then ``min_lr`` past
    ``max_steps``.

    With ``W = warmup_steps``: the warmup ``base_lr * (step + 1) / (W + 1)`` for ``step <= W`` (``W >
    0``), the inverse square root for ``step <= max_steps``, then ``min_lr``.
    Reference: ``nemo.core.optim.lr_scheduler.InverseSquareRootAnnealing``.

    Args:
      base_lr: the optimizer's learning rate, the peak (>= 0).
      max_steps: the last step before ``min_lr`` (>= 0).
      warmup_steps: W (>= 0).
      min_lr: the rate past ``max_steps`` (>= 0).

    Example:
      >>> import lrjit
      >>> sched = lrjit.InverseSquareRootAnnealing(base_lr=0.1, max_steps=1000, warmup_steps=3)
      >>> print(sched(np.array([0, 3, 15, 1000, 1001])))
      [0.025     0.1       0.05      0.0063214 0.       ]
    """

    reference = "nemo.core.optim.lr_scheduler.InverseSquareRootAnnealing"
    base_lr: FloatLike = leaf(Kind.FLOAT, NONNEG)
    max_steps: IntLike = leaf(Kind.INT, _MAX_STEPS)
    warmup_steps: IntLike = NEMO.warmup_steps
    min_lr: FloatLike = NEMO.min_lr

    def _evaluate(self, step: jax.Array) -> jax.Array:
        stretch = ratio(self._float(step) + 1, self._float(self.warmup_steps) + 1)
        return _get_lr(self, step, ratio(self._float(self.base_lr), jnp.sqrt(stretch)), end=self.max_steps)


class T5InverseSquareRootAnnealing(Schedule):
    """T5's inverse square root as NeMo writes it: ``1 / sqrt(constant_steps)`` for ``step <=
    constant_steps``, ``min_lr`` for ``step > max_steps``, else ``1 / sqrt(step)``.

    The optimizer's learning rate does not enter NeMo's formula (the rate is the schedule), so there is no
    ``base_lr``. NeMo divides by ``constant_steps ** 0.5`` (from the argument: its ``constant_ratio``
    fails), hence ``constant_steps >= 1``. The constant goes first: with ``constant_steps > max_steps`` it
    runs to its end. Reference: ``nemo.core.optim.lr_scheduler.T5InverseSquareRootAnnealing``.

    Args:
      max_steps: the last step before ``min_lr`` (>= 0).
      constant_steps: the constant phase (>= 1).
      min_lr: the rate past ``max_steps`` (>= 0).

    Example:
      >>> import lrjit
      >>> sched = lrjit.T5InverseSquareRootAnnealing(max_steps=100_000, constant_steps=10_000)
      >>> print(sched(np.array([0, 10_000, 40_000, 100_001])))
      [0.01  0.01  0.005 0.   ]
    """

    reference = "nemo.core.optim.lr_scheduler.T5InverseSquareRootAnnealing"
    max_steps: IntLike = leaf(Kind.INT, _MAX_STEPS)
    constant_steps: IntLike = leaf(Kind.INT, _POSITIVE_CONSTANT)
    min_lr: FloatLike = NEMO.min_lr

    def _evaluate(self, step: jax.Array) -> jax.Array:
        c = self.constant_steps
        n = self._float(jnp.maximum(step, c))  # step, past the constant phase (where it is used)
        rsqrt = ratio(jnp.ones_like(n), jnp.sqrt(n))
        out = jnp.where(step > self.max_steps, self._float(self.min_lr), rsqrt)
        return jnp.where(step <= c, ratio(jnp.ones_like(n), jnp.sqrt(self._float(c))), out)


class PolynomialDecayAnnealing(Schedule):
    """NeMo's warmup, then ``(base_lr - min_lr) * (1 - p) ** power + min_lr``, ``p = (step - W) / (M -
    W)``, then ``min_lr`` past ``M = max_steps``.

    With ``W = warmup_steps``: the warmup ``base_lr * (step + 1) / (W + 1)`` for ``step <= W`` (``W >
    0``). ``cycle`` (NeMo's restart of the decay, its span stretched to ``ceil(p)`` spans) never changes
    the curve: the decay ends at ``M``, where NeMo switches to ``min_lr``. NaN at step 0 for ``M = W = 0``
    (NeMo: 0 / 0). Reference: ``nemo.core.optim.lr_scheduler.PolynomialDecayAnnealing``.

    Args:
      base_lr: the optimizer's learning rate, the peak (>= 0).
      max_steps: M (>= 0).
      warmup_steps: W (>= 0).
      min_lr: the end of the decay and the rate after it (>= 0).
      power: the polynomial's power (>= 0).
      cycle: NeMo's ``cycle`` (see above).

    Example:
      >>> import lrjit
      >>> sched = lrjit.PolynomialDecayAnnealing(base_lr=0.1, max_steps=14, warmup_steps=4, power=2.0)
      >>> print(sched(np.array([0, 4, 9, 14, 15])))
      [0.02  0.1   0.025 0.    0.   ]
    """

    reference = "nemo.core.optim.lr_scheduler.PolynomialDecayAnnealing"
    base_lr: FloatLike = leaf(Kind.FLOAT, NONNEG)
    max_steps: IntLike = leaf(Kind.INT, _MAX_STEPS)
    warmup_steps: IntLike = NEMO.warmup_steps
    min_lr: FloatLike = NEMO.min_lr
    power: FloatLike = NEMO.power
    cycle: BoolLike = NEMO.cycle

    def _evaluate(self, step: jax.Array) -> jax.Array:
        w, big_m = self.warmup_steps, self.max_steps
        left = _poly_left(self, step - w, big_m - w, self.cycle)
        return _get_lr(self, step, _poly(self, left), end=big_m)


class PolynomialHoldDecayAnnealing(Schedule):
    """NeMo's warmup and hold (:class:`WarmupHoldPolicy`), then :class:`PolynomialDecayAnnealing`'s decay
    from the hold's end to ``max_steps``.

    With ``W = warmup_steps``, ``H = W + hold_steps`` and ``M = max_steps``: the warmup for ``step <=
    W``, ``base_lr`` for ``W <= step < H``, ``min_lr`` for ``step > M``, else ``(base_lr - min_lr) * (1 -
    p) ** power + min_lr`` with ``p = (step - H) / (M - H)`` (NaN at ``step = M`` for ``M = H`` where that
    step is not the warmup: NeMo's 0 / 0). With ``hold_steps=None`` (NeMo's default, not the same as 0)
    NeMo takes ``p = step / (M - W)``: the decay counts from step 0, reaches ``min_lr`` at ``step = M - W``
    and, with ``cycle``, restarts there on a span stretched to ``ceil(step / (M - W))`` spans.
    Reference: ``nemo.core.optim.lr_scheduler.PolynomialHoldDecayAnnealing``.

    Args:
      base_lr: the optimizer's learning rate, the peak (>= 0).
      max_steps: M (>= 0).
      warmup_steps: W (>= 0).
      hold_steps: the hold after the warmup (>= 0), or None (see above; structural).
      min_lr: the end of the decay and the rate after it (>= 0).
      power: the polynomial's power (>= 0).
      cycle: restart the decay (see above).

    Example:
      >>> import lrjit
      >>> sched = lrjit.PolynomialHoldDecayAnnealing(base_lr=0.1, max_steps=20, warmup_steps=4,
      ...                                            hold_steps=6)
      >>> print(sched(np.array([0, 4, 9, 10, 15, 20, 21])))
      [0.02 0.1  0.1  0.1  0.05 0.   0.  ]
    """

    reference = "nemo.core.optim.lr_scheduler.PolynomialHoldDecayAnnealing"
    base_lr: FloatLike = leaf(Kind.FLOAT, NONNEG)
    max_steps: IntLike = leaf(Kind.INT, _MAX_STEPS)
    warmup_steps: IntLike = NEMO.warmup_steps
    hold_steps: IntLike | None = leaf(Kind.INT, _HOLD, default=None, optional=True)
    min_lr: FloatLike = NEMO.min_lr
    power: FloatLike = NEMO.power
    cycle: BoolLike = NEMO.cycle

    def _evaluate(self, step: jax.Array) -> jax.Array:
        w, big_m = self.warmup_steps, self.max_steps
        if self.hold_steps is None:  # structure: NeMo's hold end is then 0, its decay counts from step 0
            left = _poly_left(self, step, big_m - w, self.cycle)
            return _get_lr(self, step, _poly(self, left), end=big_m)
        hold_end = _hold_end(self)
        left = _poly_left(self, step - hold_end, big_m - hold_end, self.cycle)
        return _get_lr(self, step, _poly(self, left), end=big_m, hold_end=hold_end)
