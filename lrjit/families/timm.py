"""The timm families: ``timm.scheduler`` cycle schedulers with timm's class names, arguments and values.

``CosineLRScheduler``, ``TanhLRScheduler`` and ``PolyLRScheduler`` (``timm/scheduler/cosine_lr.py``,
``tanh_lr.py``, ``poly_lr.py``, with the warmup and noise of ``scheduler.py``). lrjit's step is timm's ``t``:
timm steps these schedulers once per epoch by default (``t_in_epochs=True``, ``scheduler.step(epoch)``), so
``t_initial``, ``warmup_t`` and ``noise_range_t`` count epochs there and the step passed here is the epoch;
for per-update stepping (``step_update(num_updates)``) they count updates and the step is the update count.

Common semantics (timm ``_get_lr``):

- warmup: for ``t < warmup_t``, ``warmup_lr_init + t * (target - warmup_lr_init) / warmup_t``; the target
  is ``base_lr`` (the tanh scheduler without ``warmup_prefix`` warms up to its own curve at ``warmup_t``).
  With ``warmup_prefix`` the cycles start after the warmup (``t - warmup_t``); without it they start at 0
  and the warmup overlaps the first cycle (a jump at ``warmup_t`` for cosine and poly).
- cycles: cycle ``i`` lasts ``t_initial * cycle_mul**i`` and peaks at ``lr_max = base_lr * cycle_decay**i``
  (``lr_min`` is not decayed); from cycle ``cycle_limit`` on the rate is ``lr_min``. The cycle index and
  position are computed in closed form (:func:`lrjit.families.shapes.geometric_cycle`), exact at restart
  steps, where timm's float ``math.log`` may put a restart step at the end of the previous cycle. With
  ``cycle_mul < 1`` the cycles add up to ``t_initial / (1 - cycle_mul)``; timm raises a math domain error
  past that horizon, here every cycle is then over and the rate is ``lr_min``.
- precision: with ``cycle_mul`` 1 or an integer, cycle positions are exact and float32 values are within
  a few ulps of the exact curve. A non-integer ``cycle_mul`` (1.5) gives cycle positions with a relative
  error of ~1e-7 in float32 (the closed-form cycle start is not exact), magnified by the curve's slope:
  up to ~1e-6 of the amplitude for the tanh curve (slope ``(ub - lb) / 2``). x64 resolves it.
- noise (``noise_range_t`` set): the rate is multiplied by ``1 + x`` at steps ``t >= noise_range_t`` (an
  int) or ``lo <= t < hi`` (a pair); ``x`` is ``N(0, noise_std)`` truncated to ``|x| < noise_pct``
  (``noise_type='normal'``; timm's torch generator draws a standard normal, i.e. ``noise_std=1``, the
  default) or uniform on ``(-noise_pct, noise_pct)`` (``'uniform'``). timm seeds torch's generator with
  ``noise_seed + t``; torch's stream cannot be reproduced in JAX, so here ``x`` is a pure function of
  (``noise_seed``, step) with the same distribution: deterministic per step, independent of which other
  steps are evaluated, and different seeds give independent draws (see :meth:`noise`).
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jax.scipy.special import ndtr, ndtri

from lrjit.core import BoolLike, FieldError, FieldGroup, FloatLike, IntLike, IntVector, Schedule
from lrjit.core.fields import (
    BOOLEAN,
    NONNEG,
    NONNEG_INT,
    POSITIVE,
    POSITIVE_INT,
    Domain,
    Kind,
    leaf,
    static,
)
from lrjit.core.numerics import (
    cosine_annealing,
    linear_warmup,
    periods_and_remainder,
    power,
    ratio,
    saturating_add,
)
from lrjit.families.shapes import cycle_multiplier, geometric_cycle, hashed_normal

__all__ = ["CosineLRScheduler", "PolyLRScheduler", "TanhLRScheduler", "WSDLRScheduler"]

_T_INITIAL = Domain("an integer >= 1", POSITIVE_INT.predicate, lambda rng: int(rng.integers(1, 500)))
# Cycle multipliers: any positive value is valid. Sampling draws integers, whose cycle starts are exact in
# float32; a non-integer multiplier (1.5) places positions to ~1e-7 of a cycle in float32 (the accuracy and
# float32-gradient tests then sit at their bounds; see the module docstring); x64 is exact to rounding.
_CYCLE_MUL = cycle_multiplier(0, lambda rng: float(rng.integers(1, 5)))
_CYCLE_DECAY = Domain("a finite float >= 0", NONNEG.predicate, lambda rng: float(rng.uniform(0.3, 1.0)))
_CYCLE_LIMIT = Domain("an integer >= 0", NONNEG_INT.predicate, lambda rng: int(rng.integers(1, 5)))
_WARMUP_T = Domain("an integer >= 0", NONNEG_INT.predicate, lambda rng: int(rng.integers(0, 50)))
_LR_MIN = Domain("a finite float >= 0", NONNEG.predicate, lambda rng: float(rng.uniform(0.0, 1e-3)))
_K_DECAY = Domain("a finite float > 0", POSITIVE.predicate, lambda rng: float(rng.uniform(0.5, 2.0)))
_POWER = Domain("a finite float >= 0", NONNEG.predicate, lambda rng: float(rng.uniform(0.5, 3.0)))
_NOISE_PCT = Domain("a finite float > 0", POSITIVE.predicate, lambda rng: float(rng.uniform(0.1, 1.0)))
_NOISE_STD = Domain("a finite float > 0", POSITIVE.predicate, lambda rng: float(rng.uniform(0.5, 2.0)))
_LB = Domain("a finite float", lambda x, xp: xp.isfinite(x), lambda rng: float(rng.uniform(-8.0, -4.0)))
_UB = Domain("a finite float", lambda x, xp: xp.isfinite(x), lambda rng: float(rng.uniform(2.0, 4.0)))
_SEED = Domain("an integer >= 0", NONNEG_INT.predicate, lambda rng: int(rng.integers(0, 1000)))
_NOISE_TYPES = ("normal", "uniform")
_STABLE_FNS = ("constant", "rsqrt", "power")
_DECAY_FNS = ("1-sqrt", "linear", "cosine", "power", "exp")
_TIMESCALE = Domain("a finite float >= 0", NONNEG.predicate, lambda rng: float(rng.uniform(1.0, 200.0)))
_DECAY_RATIO = Domain(
    "a float in (0, 1)", lambda x, xp: (x > 0) & (x < 1), lambda rng: float(rng.uniform(0.01, 0.5))
)
_POW_BITS = 12  # cycle indices up to 4095 in the exact cycle-start computation


def _one_minus_pow(left: jax.Array, k: jax.Array) -> jax.Array:
    """``1 - done ** k`` from the fraction left (``done = 1 - left``), as ``-expm1(k * log1p(-left))`` (full
    relative precision near the end, where it is small); exactly 1 at the start (``left = 1``)."""
    start = left >= 1
    safe = jnp.where(start, jnp.asarray(0.5, left.dtype), left)
    value = -jnp.expm1(k * jnp.log1p(-safe))
    return jnp.where(start, jnp.ones_like(left), value)


# The warmup, cycle and noise fields the three schedulers share (each class lists them in timm's
# argument order).
TIMM_CYCLE = FieldGroup(
    lr_min=leaf(Kind.FLOAT, _LR_MIN, default=0.0),
    cycle_mul=leaf(Kind.FLOAT, _CYCLE_MUL, default=1.0),
    cycle_decay=leaf(Kind.FLOAT, _CYCLE_DECAY, default=1.0),
    cycle_limit=leaf(Kind.INT, _CYCLE_LIMIT, default=1),
    warmup_t=leaf(Kind.INT, _WARMUP_T, default=0),
    warmup_lr_init=leaf(Kind.FLOAT, _LR_MIN, default=0.0),
    warmup_prefix=leaf(Kind.BOOL, BOOLEAN, default=False),
    noise_range_t=leaf(Kind.INT_VECTOR, NONNEG_INT, default=None, optional=True),
    noise_pct=leaf(Kind.FLOAT, _NOISE_PCT, default=0.67),
    noise_std=leaf(Kind.FLOAT, _NOISE_STD, default=1.0),
    noise_type=static(default="normal", choices=_NOISE_TYPES),
    noise_seed=leaf(Kind.INT, _SEED, default=42),
    k_decay=leaf(Kind.FLOAT, _K_DECAY, default=1.0),
)


class _TimmScheduler(Schedule, abstract=True):
    """Warmup, cycles, cycle limit and noise shared by the timm schedulers; subclasses give ``_shape``."""

    def __post_init__(self) -> None:
        owner = type(self).__name__
        r = self.noise_range_t
        if r is not None and not isinstance(r, jax.Array | jax.core.Tracer):
            arr = np.asarray(r)
            if arr.ndim == 0:  # timm: an int means "from this step on"
                object.__setattr__(self, "noise_range_t", [r])
            elif arr.shape[-1] not in (1, 2):  # a trailing (start[, end]) axis; batched configs add axes
                raise FieldError(
                    owner,
                    "noise_range_t",
                    f"`noise_range_t` must be an int or a (start, end) pair, got {r!r}",
                )
        super().__post_init__()

    @classmethod
    def _sample_fields(cls, rng: np.random.Generator, n: int | None = None) -> dict[str, Any]:
        """The scalar leaves from their domains, and an empty noise range ``[lo, lo)``.

        The noise's structure (a two-entry range) is present in sampled configs but switched off: the
        float32 gradient in ``noise_std`` of a truncated normal draw is ill-conditioned (~1e-4 relative,
        as the truncation's dependence on the std nearly cancels the scale's), which the registry's
        gradient test would read as an error. The noise is tested in ``tests/test_timm_hf_families.py``.
        """
        out = super()._sample_fields(rng)
        lo = int(rng.integers(0, 100))
        out["noise_range_t"] = [lo, lo]
        return out

    # ------------------------------------------------------------------------------------- pieces
    def _done(self, t: jax.Array, index: jax.Array) -> jax.Array:
        """The fraction of its cycle done at ``t`` (``t_cur / t_i``), from exact counts where they exist.

        ``cycle_mul == 1``: an integer remainder over ``t_initial``. Otherwise ``t_cur`` is ``t`` minus
        the start ``t_initial * (m**i - 1) / (m - 1)``, with ``m**i`` by binary powering (exact for integer
        and dyadic multipliers while it fits the significand), so near a restart, where ``1 - t_cur / t_i``
        is close to 1, the small fraction keeps its relative precision (the complement of the curve, and so
        the gradient in ``lr_min``, depend on it).
        """
        dtype = self.dtype
        length0 = self.t_initial
        flat = ratio(self._float(periods_and_remainder(t, length0)[1]), self._float(length0))
        mult = self._float(self.cycle_mul)
        m = jnp.where(mult != 1, mult, jnp.asarray(2, dtype))
        big = jnp.asarray(float(np.sqrt(np.finfo(dtype).max)) / 4, dtype)
        i = jnp.clip(index, 0, (1 << _POW_BITS) - 1).astype(jnp.int32)
        power, base = jnp.ones_like(index), jnp.broadcast_to(m, index.shape)
        for bit in range(_POW_BITS):  # static: m**i as a product of m**(2**bit)
            take = ((i >> bit) & 1) == 1
            power = jnp.minimum(power * jnp.where(take, base, jnp.ones_like(base)), big)
            base = jnp.minimum(base * base, big)
        start = self._float(length0) * ratio(power - 1, m - 1)
        geometric = ratio(self._float(t) - start, self._float(length0) * power)
        return jnp.where(mult != 1, jnp.clip(geometric, 0, 1), flat)

    def _after_warmup(self, t: jax.Array) -> jax.Array:
        """The cycle curve at (already warmup-shifted) steps ``t >= 0``: lr_min from ``cycle_limit`` on.

        Written as ``lr_max * shape + lr_min * (1 - shape)`` with both weights computed directly (equal to
        timm's ``lr_min + (lr_max - lr_min) * shape``), so neither loses precision where it is small."""
        index, left = geometric_cycle(t, self.t_initial, self._float(self.cycle_mul), self.dtype)
        done_all = ~(index < self._float(self.cycle_limit))  # NaN index (past a cycle_mul < 1 horizon): done
        left = jnp.where(jnp.isnan(left), 1.0, left).astype(self.dtype)
        index = jnp.where(jnp.isnan(index), 0.0, index).astype(self.dtype)
        done = self._done(t, index)
        lr_min = self._float(self.lr_min)
        lr_max = self.base_lr * power(self._float(self.cycle_decay), index)
        shape, complement = self._shape(left, done)
        return jnp.where(done_all, lr_min, lr_max * shape + lr_min * complement)

    def _pow_k(self, done: jax.Array) -> jax.Array:
        """``done ** k_decay`` (0 at a cycle start, with a finite gradient there)."""
        start = done <= 0
        safe = jnp.where(start, jnp.ones_like(done), done)
        return jnp.where(start, jnp.zeros_like(done), jnp.exp(self._float(self.k_decay) * jnp.log(safe)))

    def _left_k(self, left: jax.Array) -> jax.Array:
        """``1 - (t_cur / t_i) ** k_decay`` (see :func:`_one_minus_pow`)."""
        return _one_minus_pow(left, self._float(self.k_decay))

    def _shape(self, left: jax.Array, done: jax.Array) -> tuple[jax.Array, jax.Array]:
        """(the curve in [0, 1], one minus it), from the fractions of the cycle left and done."""
        raise NotImplementedError

    def _warmup_target(self) -> jax.Array:
        return self._float(self.base_lr)

    def _evaluate(self, step: jax.Array) -> jax.Array:
        w = self.warmup_t
        shifted = jnp.where(self.warmup_prefix, jnp.maximum(step - w, 0), step)
        main = self._after_warmup(shifted)
        warm = linear_warmup(
            self._float(step),
            self._float(jnp.maximum(w, 1)),
            self._float(self.warmup_lr_init),
            self._warmup_target(),
        )
        lr = jnp.where(step < w, warm, main)
        if self.noise_range_t is None:  # structure: no noise leaves in the kernel
            return lr
        return lr + lr * self.noise(step)

    def noise(self, step: Any) -> jax.Array:
        """timm's noise factor ``x`` at each step (the rate is ``lr + lr * x``), 0 outside ``noise_range_t``.

        A pure function of (``noise_seed``, step): a hashed standard normal
        (:func:`lrjit.families.shapes.hashed_normal`) mapped through its CDF to a uniform ``u``; then
        ``'normal'``: the inverse CDF of ``N(0, noise_std)`` truncated to ``(-noise_pct, noise_pct)`` at ``u``
        (timm draws the same truncated law by rejection), ``'uniform'``: ``(2u - 1) * noise_pct``.
        """
        step = jnp.asarray(step)
        if self.noise_range_t is None:
            return jnp.zeros(step.shape, self.dtype)
        key = jax.random.key(self.noise_seed)
        u = ndtr(hashed_normal(key, step, self.dtype))
        pct = self._float(self.noise_pct)
        if self.noise_type == "uniform":
            x = 2 * (u - 0.5) * pct
        else:
            std = self._float(self.noise_std)
            low = ndtr(-pct / std)
            x = std * ndtri(low + u * (1 - 2 * low))
            x = jnp.clip(x, -pct, pct)
        r = self.noise_range_t
        on = step >= r[..., 0]
        if np.shape(r)[-1] == 2:
            on &= step < r[..., 1]
        return jnp.where(on, x, jnp.zeros_like(x))


class CosineLRScheduler(_TimmScheduler):
    """Cosine with warm restarts, k-decay, warmup and noise (timm ``CosineLRScheduler``).

    In cycle i at position ``t_cur`` of ``t_i`` steps:
    ``lr_min + 0.5 * (lr_max - lr_min) * (1 + cos(pi * t_cur**k / t_i**k))`` with
    ``lr_max = base_lr * cycle_decay**i`` and ``k = k_decay`` (k-decay, Zhang et al. 2020); see the module
    docstring for warmup, cycles and noise. Reference: ``timm.scheduler.CosineLRScheduler``.

    Args:
      base_lr: the optimizer's initial lr (timm's base value, >= 0).
      t_initial: the first cycle's length (>= 1).
      lr_min: the floor (>= 0).
      cycle_mul: the cycle-length multiplier (> 0).
      cycle_decay: the peak multiplier per cycle (>= 0).
      cycle_limit: the number of cycles (>= 0); afterwards ``lr_min``.
      warmup_t: the warmup length (>= 0).
      warmup_lr_init: the warmup's start (>= 0).
      warmup_prefix: start the cycles after the warmup.
      noise_range_t: None, an int (noise from that step on) or a (start, end) pair.
      noise_pct: the noise bound (> 0).
      noise_std: the std of the normal noise before truncation (> 0; timm's torch draw: 1).
      noise_type: ``'normal'`` or ``'uniform'``.
      noise_seed: the noise's seed (an integer >= 0; timm's ``noise_seed``).
      k_decay: the k-decay exponent (> 0).

    Example:
      >>> import lrjit
      >>> sched = lrjit.CosineLRScheduler(base_lr=0.1, t_initial=100, lr_min=0.001, cycle_limit=2,
      ...                                 warmup_t=5, warmup_lr_init=0.01)
      >>> print(sched(np.array([0, 5, 50, 100, 200])).round(6))  # restart at 100, lr_min after 2 cycles
      [0.01     0.099391 0.0505   0.1      0.001   ]
    """

    reference = "timm.scheduler.CosineLRScheduler"
    base_lr: FloatLike = leaf(Kind.FLOAT, NONNEG)
    t_initial: IntLike = leaf(Kind.INT, _T_INITIAL)
    lr_min: FloatLike = TIMM_CYCLE.lr_min
    cycle_mul: FloatLike = TIMM_CYCLE.cycle_mul
    cycle_decay: FloatLike = TIMM_CYCLE.cycle_decay
    cycle_limit: IntLike = TIMM_CYCLE.cycle_limit
    warmup_t: IntLike = TIMM_CYCLE.warmup_t
    warmup_lr_init: FloatLike = TIMM_CYCLE.warmup_lr_init
    warmup_prefix: BoolLike = TIMM_CYCLE.warmup_prefix
    noise_range_t: IntVector | int | None = TIMM_CYCLE.noise_range_t
    noise_pct: FloatLike = TIMM_CYCLE.noise_pct
    noise_std: FloatLike = TIMM_CYCLE.noise_std
    noise_type: str = TIMM_CYCLE.noise_type
    noise_seed: IntLike = TIMM_CYCLE.noise_seed
    k_decay: FloatLike = TIMM_CYCLE.k_decay

    def _shape(self, left: jax.Array, done: jax.Array) -> tuple[jax.Array, jax.Array]:
        # 0.5 * (1 + cos(pi * f**k)) = sin(pi/2 * (1 - f**k))**2; one minus it: sin(pi/2 * f**k)**2
        return cosine_annealing(self._left_k(left)), cosine_annealing(self._pow_k(done))


class TanhLRScheduler(_TimmScheduler):
    """Hyperbolic-tangent decay with restarts, warmup and noise (timm ``TanhLRScheduler``).

    In cycle i at fraction ``r = t_cur / t_i``: ``lr_min + 0.5 * (lr_max - lr_min) * (1 - tanh(lb * (1 - r)
    + ub * r))``, computed as ``lr_min + (lr_max - lr_min) * sigmoid(-2 z)`` (the same function, without the
    cancellation of ``1 - tanh``). Without ``warmup_prefix`` the warmup rises to the curve's value at
    ``warmup_t``, so there is no jump (timm computes ``_get_lr(warmup_t)`` for its warmup slope); with it,
    to ``base_lr``.

    Precision: the curve's slope in the cycle position is up to ``(ub - lb) / 2`` times the amplitude
    (5 with the defaults, against pi/2 for the cosine), so a position error is magnified accordingly. With
    an integer ``cycle_mul`` the cycle starts are exact and float32 stays within a few ulps of the exact
    curve; with a non-integer one (e.g. 1.5) the float32 cycle starts carry about an ulp of their size,
    which becomes up to ~1e-6 of the amplitude here; x64 removes it.
    Reference: ``timm.scheduler.TanhLRScheduler``.

    Args:
      base_lr, t_initial, lr_min, cycle_mul, cycle_decay, cycle_limit, warmup_t, warmup_lr_init,
      warmup_prefix, noise_range_t, noise_pct, noise_std, noise_type, noise_seed: as
      :class:`CosineLRScheduler`.
      lb: the tanh argument at a cycle start (timm asserts ``lb < ub``).
      ub: the tanh argument at a cycle end.

    Example:
      >>> import lrjit
      >>> sched = lrjit.TanhLRScheduler(base_lr=0.1, t_initial=100, warmup_t=10, warmup_prefix=True)
      >>> print(sched(np.array([0, 5, 10, 60, 110])).round(6))  # cycles start after the warmup
      [0.       0.05     0.1      0.098201 0.      ]
    """

    reference = "timm.scheduler.TanhLRScheduler"
    base_lr: FloatLike = leaf(Kind.FLOAT, NONNEG)
    t_initial: IntLike = leaf(Kind.INT, _T_INITIAL)
    lb: FloatLike = leaf(Kind.FLOAT, _LB, default=-7.0)
    ub: FloatLike = leaf(Kind.FLOAT, _UB, default=3.0)
    lr_min: FloatLike = TIMM_CYCLE.lr_min
    cycle_mul: FloatLike = TIMM_CYCLE.cycle_mul
    cycle_decay: FloatLike = TIMM_CYCLE.cycle_decay
    cycle_limit: IntLike = TIMM_CYCLE.cycle_limit
    warmup_t: IntLike = TIMM_CYCLE.warmup_t
    warmup_lr_init: FloatLike = TIMM_CYCLE.warmup_lr_init
    warmup_prefix: BoolLike = TIMM_CYCLE.warmup_prefix
    noise_range_t: IntVector | int | None = TIMM_CYCLE.noise_range_t
    noise_pct: FloatLike = TIMM_CYCLE.noise_pct
    noise_std: FloatLike = TIMM_CYCLE.noise_std
    noise_type: str = TIMM_CYCLE.noise_type
    noise_seed: IntLike = TIMM_CYCLE.noise_seed

    def _checks(self, xp: Any) -> list[Any]:
        return [(self.lb < self.ub, "`lb` must be < `ub`")]

    def _shape(self, left: jax.Array, done: jax.Array) -> tuple[jax.Array, jax.Array]:
        z = self._float(self.lb) * left + self._float(self.ub) * done
        return lax.logistic(-2 * z), lax.logistic(2 * z)

    def _warmup_target(self) -> jax.Array:
        at_w = self._after_warmup(jnp.asarray(self.warmup_t))
        return jnp.where(self.warmup_prefix, self._float(self.base_lr), at_w)


class PolyLRScheduler(_TimmScheduler):
    """Polynomial decay with restarts, k-decay, warmup and noise (timm ``PolyLRScheduler``).

    In cycle i: ``lr_min + (lr_max - lr_min) * (1 - t_cur**k / t_i**k) ** power``; otherwise as
    :class:`CosineLRScheduler`. Reference: ``timm.scheduler.PolyLRScheduler``.

    Args:
      base_lr, t_initial, lr_min, cycle_mul, cycle_decay, cycle_limit, warmup_t, warmup_lr_init,
      warmup_prefix, noise_range_t, noise_pct, noise_std, noise_type, noise_seed, k_decay: as
      :class:`CosineLRScheduler`.
      power: the polynomial's power (>= 0).

    Example:
      >>> import lrjit
      >>> sched = lrjit.PolyLRScheduler(base_lr=0.1, t_initial=100, power=1.0, cycle_limit=2, cycle_decay=0.5)
      >>> print(sched(np.array([0, 50, 100, 150, 200])))
      [0.1   0.05  0.05  0.025 0.   ]
    """

    reference = "timm.scheduler.PolyLRScheduler"
    base_lr: FloatLike = leaf(Kind.FLOAT, NONNEG)
    t_initial: IntLike = leaf(Kind.INT, _T_INITIAL)
    power: FloatLike = leaf(Kind.FLOAT, _POWER, default=0.5)
    lr_min: FloatLike = TIMM_CYCLE.lr_min
    cycle_mul: FloatLike = TIMM_CYCLE.cycle_mul
    cycle_decay: FloatLike = TIMM_CYCLE.cycle_decay
    cycle_limit: IntLike = TIMM_CYCLE.cycle_limit
    warmup_t: IntLike = TIMM_CYCLE.warmup_t
    warmup_lr_init: FloatLike = TIMM_CYCLE.warmup_lr_init
    warmup_prefix: BoolLike = TIMM_CYCLE.warmup_prefix
    noise_range_t: IntVector | int | None = TIMM_CYCLE.noise_range_t
    noise_pct: FloatLike = TIMM_CYCLE.noise_pct
    noise_std: FloatLike = TIMM_CYCLE.noise_std
    noise_type: str = TIMM_CYCLE.noise_type
    noise_seed: IntLike = TIMM_CYCLE.noise_seed
    k_decay: FloatLike = TIMM_CYCLE.k_decay

    def _shape(self, left: jax.Array, done: jax.Array) -> tuple[jax.Array, jax.Array]:
        # (1 - f**k) ** power; one minus it as -expm1(power * log1p(-f**k)) near a restart (f**k <= 1/2)
        power = self._float(self.power)
        shape = jnp.power(self._left_k(left), power)
        fk = self._pow_k(done)
        near_start = fk <= 0.5
        safe = jnp.where(near_start, fk, jnp.zeros_like(fk))
        return shape, jnp.where(near_start, -jnp.expm1(power * jnp.log1p(-safe)), 1 - shape)


class WSDLRScheduler(_TimmScheduler):
    """Warmup-stable-decay with selectable stable and decay functions (timm ``WSDLRScheduler``).

    A linear warmup over ``warmup_t`` steps (``warmup_lr_init + t * (base_lr - warmup_lr_init) /
    warmup_t``), then, with ``t_s = t - warmup_t`` and the decay starting at ``t_s = t_initial - decay_t``:

    ``stable = max(base_lr * g(t_s), lr_min)`` with ``g`` = 1 (``'constant'``), ``(1 + t_s / T) ** -0.5``
    (``'rsqrt'``) or ``(1 + t_s / T) ** -stable_power`` (``'power'``), ``T = stable_timescale``; while
    ``t_s <= t_initial - decay_t`` the rate is ``stable``, afterwards ``lr_min + (stable - lr_min) *
    h(f)`` at the decay progress ``f = min((t_s - t_initial + decay_t) / decay_t, 1)``, ``h`` = ``1 -
    sqrt(f)`` (``'1-sqrt'``), ``1 - f`` (``'linear'``), ``0.5 * (1 + cos(pi f))`` (``'cosine'``), ``1 - f **
    decay_power`` (``'power'``) or ``(r ** f - r) / (1 - r)`` with ``r = decay_ratio`` (``'exp'``). The warmup
    is always a prefix: ``lr_min`` from ``warmup_t + t_initial`` on. Noise as :class:`CosineLRScheduler`
    (normal). ``stable_timescale=None`` means ``warmup_t`` (timm's default), resolved at construction.
    The decay progress is an integer count, so ``h`` keeps full relative precision near its end.
    Reference: ``timm.scheduler.WSDLRScheduler`` (a callable ``decay_fn`` is Python code lrjit cannot read).

    Args:
      base_lr: the optimizer's initial lr (timm's base value, >= 0).
      t_initial: the stable + decay length (>= 1).
      decay_t: the decay length, in ``[1, t_initial]``.
      lr_min: the floor (>= 0).
      stable_fn: ``'constant'``, ``'rsqrt'`` or ``'power'``.
      stable_timescale: T (> 0 for ``'rsqrt'`` / ``'power'``), or None for ``warmup_t``.
      stable_power: the ``'power'`` stable exponent (> 0).
      decay_fn: ``'1-sqrt'``, ``'linear'``, ``'cosine'``, ``'power'`` or ``'exp'``.
      decay_power: the ``'power'`` decay exponent (> 0).
      decay_ratio: the ``'exp'`` decay's final fraction before normalization, in (0, 1).
      warmup_t: the warmup length (>= 0).
      warmup_lr_init: the warmup's start (>= 0).
      noise_range_t, noise_pct, noise_std, noise_seed: as :class:`CosineLRScheduler`.

    Example:
      >>> import lrjit
      >>> sched = lrjit.WSDLRScheduler(base_lr=0.1, t_initial=100, decay_t=20, decay_fn='linear',
      ...                              warmup_t=10)
      >>> print(sched(np.array([0, 5, 10, 90, 100, 110, 500])).round(6))
      [0.   0.05 0.1  0.1  0.05 0.   0.  ]
    """

    reference = "timm.scheduler.WSDLRScheduler"
    noise_type = "normal"  # timm's WSD scheduler draws normal noise (no noise_type argument)
    base_lr: FloatLike = leaf(Kind.FLOAT, NONNEG)
    t_initial: IntLike = leaf(Kind.INT, _T_INITIAL)
    decay_t: IntLike = leaf(Kind.INT, _T_INITIAL)
    lr_min: FloatLike = TIMM_CYCLE.lr_min
    stable_fn: str = static(default="constant", choices=_STABLE_FNS)
    stable_timescale: FloatLike | None = leaf(Kind.FLOAT, _TIMESCALE, default=None)  # None: warmup_t
    stable_power: FloatLike = leaf(Kind.FLOAT, _K_DECAY, default=0.5)
    decay_fn: str = static(default="1-sqrt", choices=_DECAY_FNS)
    decay_power: FloatLike = leaf(Kind.FLOAT, _K_DECAY, default=0.5)
    decay_ratio: FloatLike = leaf(Kind.FLOAT, _DECAY_RATIO, default=0.1)
    warmup_t: IntLike = TIMM_CYCLE.warmup_t
    warmup_lr_init: FloatLike = TIMM_CYCLE.warmup_lr_init
    noise_range_t: IntVector | int | None = TIMM_CYCLE.noise_range_t
    noise_pct: FloatLike = TIMM_CYCLE.noise_pct
    noise_std: FloatLike = TIMM_CYCLE.noise_std
    noise_seed: IntLike = TIMM_CYCLE.noise_seed

    def __post_init__(self) -> None:
        if self.stable_timescale is None and self.warmup_t is not None:
            w = self.warmup_t
            xp = jnp if isinstance(w, jax.Array | jax.core.Tracer) else np
            object.__setattr__(self, "stable_timescale", xp.asarray(w) * 1.0)
        super().__post_init__()

    def _checks(self, xp: Any) -> list[Any]:
        out = [(self.decay_t <= self.t_initial, "`decay_t` must be <= `t_initial`")]
        if self.stable_fn != "constant":
            out.append(
                (
                    self.stable_timescale > 0,
                    f"`stable_timescale` must be > 0 for stable_fn={self.stable_fn!r} (it defaults to "
                    "`warmup_t`: set it when there is no warmup)",
                )
            )
        return out

    def _stable(self, t_s: jax.Array) -> jax.Array:
        """The stable factor at ``t_s`` steps after the warmup (1 at 0)."""
        if self.stable_fn == "constant":
            return jnp.ones(t_s.shape, self.dtype)
        power = 0.5 if self.stable_fn == "rsqrt" else self._float(self.stable_power)
        return jnp.exp(-power * jnp.log1p(ratio(self._float(t_s), self._float(self.stable_timescale))))

    def _decay(self, done: jax.Array, left: jax.Array) -> jax.Array:
        """The decay factor from 1 to 0, at the decay's fractions done and left (integer counts)."""
        fn = self.decay_fn
        if fn == "linear":
            return left
        if fn == "1-sqrt":  # 1 - sqrt(f) = (1 - f) / (1 + sqrt(f))
            return left / (1 + jnp.sqrt(done))
        if fn == "cosine":
            return cosine_annealing(left)
        if fn == "power":
            return _one_minus_pow(left, self._float(self.decay_power))
        r = self._float(self.decay_ratio)  # (r**f - r) / (1 - r) = r * (r**-(1 - f) - 1) / (1 - r)
        return ratio(r * jnp.expm1(-left * jnp.log(r)), 1 - r)

    def _evaluate(self, step: jax.Array) -> jax.Array:
        w, d = self.warmup_t, self.decay_t
        warm = linear_warmup(
            self._float(step),
            self._float(jnp.maximum(w, 1)),
            self._float(self.warmup_lr_init),
            self._float(self.base_lr),
        )
        lr_min = self._float(self.lr_min)
        stable = jnp.maximum(self.base_lr * self._stable(jnp.maximum(step - w, 0)), lr_min)
        start = saturating_add(jnp.asarray(w, step.dtype), self.t_initial - d)  # saturated: never wraps
        k = jnp.clip(step - start, 0, d)
        span = self._float(d)
        h = self._decay(ratio(self._float(k), span), ratio(self._float(d - k), span))
        lr = jnp.where(step < w, warm, jnp.where(step <= start, stable, lr_min + (stable - lr_min) * h))
        if self.noise_range_t is None:  # structure: no noise leaves in the kernel
            return lr
        return lr + lr * self.noise(step)

    @classmethod
    def _sample_fields(cls, rng: np.random.Generator, n: int | None = None) -> dict[str, Any]:
        out = super()._sample_fields(rng, n)
        out["decay_t"] = int(rng.integers(1, out["t_initial"] + 1))
        return out
