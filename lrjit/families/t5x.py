"""The t5x / tensor2tensor rsqrt family: t5x's product of named factors, and tensor2tensor's "noam".

:class:`FactorSchedule` is t5x's ``create_learning_rate_scheduler`` (``t5x/utils.py``): the rate is the
product of the factors named in a ``'*'``-separated string (``"constant * linear_warmup * rsqrt_decay"``),
taken in the string's order from 1.0, at the step ``max(0, step - step_offset)``, then floored at
``min_learning_rate``. :class:`Noam` is tensor2tensor's legacy ``learning_rate_decay_scheme="noam"``
(``tensor2tensor/utils/learning_rate.py``, ``legacy_learning_rate_schedule``), the schedule of "Attention
Is All You Need". Steps are 0-based in both: t5x's train loop and tensor2tensor's ``global_step`` give the
first update step 0 (the noam formula itself adds 1).

Counts are integer arithmetic (the step after the offset, ``step // steps_per_decay``, the position in a
cosine cycle), so boundaries are exact and large steps lose nothing to float rounding; t5x itself computes
``(step - warmup_steps) / steps_per_cycle`` in float32, which places a step to half an ulp of that quotient
(4e-6 of a cycle at 10**7 steps of its default 100000-step cycle, 0.06 of a cycle for a 7-step one), where
here the position in the cycle is exact.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from lrjit.core import Check, FieldError, FieldTypeError, FloatLike, IntLike, Schedule
from lrjit.core.fields import NONNEG, Domain, Kind, leaf, static
from lrjit.core.numerics import cosine_annealing, noam, periods_and_remainder, power, ratio, whole_periods

__all__ = ["FactorSchedule", "Noam"]

# t5x's factors (create_learning_rate_scheduler), then the tensor2tensor factors added here.
T5X_FACTORS = (
    "constant",
    "linear_warmup",
    "linear_decay",
    "rsqrt_decay",
    "rsqrt_normalized_decay",
    "decay_every",
    "cosine_decay",
)
T2T_FACTORS = ("rsqrt_hidden_size", "exp_decay")
FACTORS = T5X_FACTORS + T2T_FACTORS
DEFAULT_FACTORS = "constant * linear_warmup * rsqrt_decay"
# Factors that divide by warmup_steps (or by sqrt(max(step, warmup_steps))): NaN or inf at step 0 for 0.
_NEEDS_WARMUP = ("linear_warmup", "linear_decay", "rsqrt_decay", "rsqrt_normalized_decay")


def _log_int(lo: int, hi: int) -> Any:
    return lambda rng: round(math.exp(rng.uniform(math.log(lo), math.log(hi))))


def _sample_decay_factor(rng: np.random.Generator) -> float:
    """A multiplier per period (``decay_every``, ``exp_decay``) or a slope per step (``linear_decay``)."""
    if rng.random() < 0.5:
        return float(rng.uniform(0.1, 0.95))
    return float(math.exp(rng.uniform(math.log(1e-6), math.log(1e-2))))


_BASE_LR = Domain("a finite float >= 0", NONNEG.predicate, lambda rng: float(rng.uniform(0.01, 2.0)))
_WARMUP = Domain("an integer >= 0", lambda x, xp: x >= 0, _log_int(1, 10_000))
_DECAY_FACTOR = Domain("a finite float >= 0", NONNEG.predicate, _sample_decay_factor)
_PERIOD = Domain("an integer >= 1", lambda x, xp: x >= 1, _log_int(1, 100_000))
_OFFSET = Domain(
    "an integer >= 0",
    lambda x, xp: x >= 0,
    lambda rng: int(rng.integers(1, 5000)) if rng.random() < 0.5 else 0,
)
_MIN_LR = Domain(
    "a finite float >= 0",
    NONNEG.predicate,
    lambda rng: float(math.exp(rng.uniform(math.log(1e-9), math.log(1e-6)))),
)
_HIDDEN = Domain(
    "an integer >= 1", lambda x, xp: x >= 1, lambda rng: int(rng.choice([64, 128, 256, 512, 768, 1024, 2048]))
)


# ------------------------------------------------------------------------------------------ factors
def factor_names(factors: str) -> tuple[str, ...]:
    """The factor names of a (canonical) factor string, in order: t5x's ``[n.strip() for n in
    factors.split('*')]``."""
    return tuple(n.strip() for n in factors.split("*"))


def _canonical_factors(owner: str, value: Any) -> str:
    """``value`` (a ``'*'``-separated string, or a sequence of names) as the canonical string
    ``'a * b * c'``, after checking every name; raises FieldError naming ``factors`` otherwise (a
    FieldTypeError for a value that is not strings)."""
    if isinstance(value, str):
        names = factor_names(value)
    elif isinstance(value, tuple | list):
        if not all(isinstance(n, str) for n in value):
            raise FieldTypeError(
                owner, "factors", f"`factors` must be a string or a sequence of strings, got {value!r}"
            )
        names = tuple(n.strip() for n in value)
        if not names:
            raise FieldError(owner, "factors", f"`factors` must name at least one factor, got {value!r}")
    else:
        raise FieldTypeError(
            owner, "factors", f"`factors` must be a string or a sequence of strings, got {value!r}"
        )
    unknown = [n for n in names if n not in FACTORS]
    if unknown:
        allowed = ", ".join(repr(n) for n in FACTORS)
        what = ", ".join(repr(n) if n else "an empty name" for n in dict.fromkeys(unknown))
        raise FieldError(
            owner,
            "factors",
            f"`factors` must be factor names joined by '*', each one of {allowed}; "
            f"got {value!r} (unknown: {what})",
        )
    return " * ".join(names)


# Representative products (every factor appears in one).
_FACTOR_EXAMPLES = (
    DEFAULT_FACTORS,
    "constant * linear_warmup * rsqrt_normalized_decay",
    "constant * linear_warmup * cosine_decay",
    "constant * decay_every",
    "linear_decay",
    "constant * linear_warmup * exp_decay * rsqrt_hidden_size",
)


class FactorSchedule(Schedule):
    """t5x's ``create_learning_rate_scheduler``: a product of named factors.

    With ``s = max(0, step - step_offset)``, ``W = warmup_steps``, ``lr0 = base_learning_rate``, the rate is
    ``max(f_1(s) * f_2(s) * ..., min_learning_rate)`` over the factors named in ``factors``
    (``"constant * linear_warmup * rsqrt_decay"``, split on ``'*'`` and stripped, multiplied in that order
    from 1.0 as t5x does; a name may repeat):

    - ``constant``: ``lr0``;
    - ``linear_warmup``: ``min(1, s / W)``;
    - ``linear_decay``: ``lr0 * min(s / W, 1 + decay_factor * (W - s))`` (it contains ``lr0``: t5x says not
      to combine it with ``constant`` or ``linear_warmup``); negative past ``W + 1 / decay_factor``, where the
      floor takes over;
    - ``rsqrt_decay``: ``1 / sqrt(max(s, W))``;
    - ``rsqrt_normalized_decay``: ``sqrt(W) / sqrt(max(s, W))`` (1 until ``W``);
    - ``decay_every``: ``decay_factor ** (s // steps_per_decay)``;
    - ``cosine_decay``: ``max(0, 0.5 * (1 + cos(pi * (p mod 1))))`` with
      ``p = max(0, (s - W) / steps_per_cycle)``: cosine cycles restarting every ``steps_per_cycle`` steps
      after the warmup;
    - tensor2tensor's factors (``learning_rate_factor``), an extension over t5x:
      ``rsqrt_hidden_size``: ``hidden_size ** -0.5``; ``exp_decay``:
      ``decay_factor ** max(0, (s - W) / steps_per_decay)`` (t2t's ``learning_rate_decay_rate`` and
      ``learning_rate_decay_steps`` are ``decay_factor`` and ``steps_per_decay`` here; its
      ``learning_rate_decay_staircase`` is not offered: t2t's default, no staircase, is computed). Note that
      t2t's own ``linear_decay`` differs from t5x's; the t5x meaning is kept.

    Reference: ``t5x.utils.create_learning_rate_scheduler`` (its defaults are the defaults here).

    Differences from t5x, deliberate:

    - validation: unknown factor names raise ValueError at construction (t5x raises when the step function
      first runs); ``warmup_steps`` must be >= 1 when a factor divides by it (``linear_warmup``,
      ``linear_decay``, ``rsqrt_decay``, ``rsqrt_normalized_decay``: with 0, t5x returns NaN or inf at step
      0); ``steps_per_decay`` and ``steps_per_cycle`` must be >= 1 even when unused; ``base_learning_rate``,
      ``decay_factor`` and ``min_learning_rate`` must be >= 0 and ``step_offset`` >= 0 (t5x checks none).
    - precision: t5x computes in float32 with Python-float constants, and returns float32; here the dtype
      is that of the float hyperparameters (float32 by default, float64 under x64). The cosine's cycle
      position is the exact integer remainder ``(s - W) mod steps_per_cycle`` over ``steps_per_cycle``
      (t5x's float32 ``p`` is off by up to half an ulp of ``p``: 4e-6 of a cycle at 10**7 steps with the
      default cycle); ``rsqrt_normalized_decay`` is ``sqrt(W / max(s, W))``, exactly 1 during the warmup.
      The factors are still multiplied in the given order, so the string's order changes values only in
      the last ulp, as in t5x.
    - shape: a product of step-independent factors (``"constant"``) has the step's shape here (t5x
      returns a scalar).

    Args:
      factors: the factor names, as t5x's string (``"constant * linear_warmup * rsqrt_decay"``) or a
        sequence of names; stored as the canonical string ``"a * b * c"``, so the two forms are equal
        schedules and the treedef holds a hashable string that reads back in ``repr``
        (:attr:`factor_names` gives the tuple). Structure: a different product is a different compiled
        program.
      base_learning_rate: ``lr0`` (>= 0).
      warmup_steps: ``W`` (>= 0; >= 1 with a factor that divides by it).
      decay_factor: the multiplier per period of ``decay_every`` / ``exp_decay``, the slope of
        ``linear_decay`` (>= 0).
      steps_per_decay: the period of ``decay_every`` / ``exp_decay`` (>= 1).
      steps_per_cycle: the cycle length of ``cosine_decay`` (>= 1).
      step_offset: steps before it evaluate as step 0 (>= 0): the schedule restarts at ``step_offset``.
      min_learning_rate: the floor applied last (>= 0).
      hidden_size: the model width of ``rsqrt_hidden_size`` (>= 1; a t2t extension).

    Example:
      >>> import lrjit
      >>> sched = lrjit.FactorSchedule(factors='constant * linear_warmup * rsqrt_decay',
      ...                              base_learning_rate=1.0, warmup_steps=100)
      >>> print(sched(np.array([0, 50, 100, 400])))  # floored at min_learning_rate at step 0
      [1.e-08 5.e-02 1.e-01 5.e-02]
    """

    reference = "t5x.utils.create_learning_rate_scheduler"
    # Given as a string or a sequence of names; stored as the canonical string.
    factors: str | Sequence[str] = static(
        default=DEFAULT_FACTORS, normalize=_canonical_factors, examples=_FACTOR_EXAMPLES
    )
    base_learning_rate: FloatLike = leaf(Kind.FLOAT, _BASE_LR, default=0.5)
    warmup_steps: IntLike = leaf(Kind.INT, _WARMUP, default=1000)
    decay_factor: FloatLike = leaf(Kind.FLOAT, _DECAY_FACTOR, default=0.5)
    steps_per_decay: IntLike = leaf(Kind.INT, _PERIOD, default=20000)
    steps_per_cycle: IntLike = leaf(Kind.INT, _PERIOD, default=100000)
    step_offset: IntLike = leaf(Kind.INT, _OFFSET, default=0)
    min_learning_rate: FloatLike = leaf(Kind.FLOAT, _MIN_LR, default=1e-8)
    hidden_size: IntLike = leaf(Kind.INT, _HIDDEN, default=512)

    @property
    def factor_names(self) -> tuple[str, ...]:
        """The factors in order, e.g. ``('constant', 'linear_warmup', 'rsqrt_decay')``."""
        return factor_names(self.factors)

    def _checks(self, xp: Any) -> list[Check]:
        names = self.factor_names
        used = [n for n in names if n in _NEEDS_WARMUP]
        if not used:
            return []
        which = ", ".join(repr(n) for n in dict.fromkeys(used))
        return [(self.warmup_steps >= 1, f"`warmup_steps` must be >= 1 with the factor(s) {which}")]

    def _evaluate(self, step: jax.Array) -> jax.Array:
        s = jnp.maximum(step - self.step_offset, 0)
        w = self.warmup_steps
        lr0 = self._float(self.base_learning_rate)
        df = self._float(self.decay_factor)
        ret = jnp.ones(s.shape, self.dtype)
        for name in self.factor_names:
            if name == "constant":
                ret = ret * lr0
            elif name == "linear_warmup":
                ret = ret * jnp.minimum(1, ratio(self._float(s), self._float(w)))
            elif name == "linear_decay":
                down = 1 + df * self._float(w - s)
                ret = ret * (lr0 * jnp.minimum(ratio(self._float(s), self._float(w)), down))
            elif name == "rsqrt_decay":
                ret = ratio(ret, jnp.sqrt(self._float(jnp.maximum(s, w))))
            elif name == "rsqrt_normalized_decay":
                ret = ret * jnp.sqrt(ratio(self._float(w), self._float(jnp.maximum(s, w))))
            elif name == "decay_every":
                periods = whole_periods(s, self.steps_per_decay)
                ret = ret * power(df, self._float(periods))
            elif name == "cosine_decay":
                k = jnp.maximum(s - w, 0)
                c = self.steps_per_cycle
                r = periods_and_remainder(k, c)[1]  # (s - W) mod steps_per_cycle, exact
                left = ratio(self._float(c - r), self._float(c))
                ret = ret * cosine_annealing(left)  # 0.5 (1 + cos(pi r / c)), >= 0
            elif name == "rsqrt_hidden_size":
                ret = ratio(ret, jnp.sqrt(self._float(self.hidden_size)))
            else:  # exp_decay
                p = ratio(self._float(jnp.maximum(s - w, 0)), self._float(self.steps_per_decay))
                ret = ret * power(df, p)
        return jnp.maximum(ret, self._float(self.min_learning_rate))


# ------------------------------------------------------------------------------------------ noam
_NOAM_LR = Domain("a finite float >= 0", NONNEG.predicate, lambda rng: float(rng.uniform(0.05, 1.0)))
_NOAM_WARMUP = Domain(
    "an integer >= 0",
    lambda x, xp: x >= 0,
    lambda rng: 0 if rng.random() < 0.1 else _log_int(10, 16_000)(rng),
)
_CORRECTION = Domain(
    "a finite float >= 0", NONNEG.predicate, lambda rng: float(rng.choice([0.002, 0.002, 1.0]))
)


class Noam(Schedule):
    """tensor2tensor's "noam" schedule (Vaswani et al. 2017, "Attention Is All You Need").

    ``learning_rate * optimizer_correction * 5000 * hidden_size ** -0.5 *
    min((s + 1) * warmup_steps ** -1.5, (s + 1) ** -0.5)``: linear warmup to its peak at
    ``s + 1 = warmup_steps``, then ``1 / sqrt(s + 1)`` decay. tensor2tensor multiplies by
    ``optimizer_correction = 0.002`` when ``hparams.optimizer`` names Adam (its default optimizer, and the
    Transformer's), else by 1.0; with Adam the constant is ``0.002 * 5000 = 10``, so the t2t defaults
    (``learning_rate=0.1``, ``transformer_base_v1``: ``hidden_size=512``, ``learning_rate_warmup_steps=4000``)
    give the paper's ``d_model ** -0.5 * min(n * warmup ** -1.5, n ** -0.5)`` with ``n = s + 1``.
    ``warmup_steps=0`` is allowed as in t2t (``0 ** -1.5`` is inf, so the rate is ``n ** -0.5`` from the
    first step). Reference: ``tensor2tensor.utils.learning_rate.legacy_learning_rate_schedule`` with
    ``learning_rate_decay_scheme="noam"`` (t2t computes in float32; the dtype here is that of the float
    hyperparameters, float64 under x64).

    Args:
      learning_rate: t2t's ``hparams.learning_rate`` (>= 0; t2t's default 0.1).
      hidden_size: t2t's ``hparams.hidden_size``, the model width (an integer >= 1).
      warmup_steps: t2t's ``hparams.learning_rate_warmup_steps`` (>= 0).
      optimizer_correction: 0.002 for t2t's Adam optimizers (``"adam" in hparams.optimizer``; older t2t
        tests ``"Adam"``, its spelling then), 1.0 for any other optimizer (>= 0).

    Example:
      >>> import lrjit
      >>> sched = lrjit.Noam(learning_rate=0.1, hidden_size=512, warmup_steps=4000)
      >>> print(np.asarray(sched(np.array([0, 3999, 15999])), np.float64).round(10))  # peak: s + 1 = 4000
      [1.747000e-07 6.987713e-04 3.493856e-04]
    """

    reference = "tensor2tensor.utils.learning_rate.legacy_learning_rate_schedule"
    learning_rate: FloatLike = leaf(Kind.FLOAT, _NOAM_LR, default=0.1)
    hidden_size: IntLike = leaf(Kind.INT, _HIDDEN, default=512)
    warmup_steps: IntLike = leaf(Kind.INT, _NOAM_WARMUP, default=4000)
    optimizer_correction: FloatLike = leaf(Kind.FLOAT, _CORRECTION, default=0.002)

    def _evaluate(self, step: jax.Array) -> jax.Array:
        n = self._float(step) + 1  # in float: no int overflow at the largest step
        scale = ratio(jnp.full_like(n, 5000), jnp.sqrt(self._float(self.hidden_size)))
        ret = scale * noam(n, self._float(self.warmup_steps))  # W = 0: n**-0.5, as t2t
        return ret * self._float(self.optimizer_correction) * self._float(self.learning_rate)
