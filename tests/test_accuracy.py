"""Every family in ``lrjit.registry()`` against an independent float64 closed form.

The references below are written from the families' docstrings and the reference formulas of
``/work/shared/reference/semantics.md`` (Keras 3 ``keras.optimizers.schedules``, ``tf.compat.v1.train``,
MXNet 1.9 ``lr_scheduler.py``, d2l), in NumPy float64, with every count done exactly: integer division for
staircases, cycles and milestones, ``1 - p`` as an integer ratio, and the cycle index and position of
``CosineDecayRestarts`` with ``fractions.Fraction``. They are evaluated on the hyperparameters lrjit stores
(float32-rounded without x64), so the comparison measures lrjit's arithmetic, not the rounding of its
inputs.

Each family is tested on configs drawn with ``cls.sample(rng)`` (so new families are covered as soon as
they are registered, and fail until a reference is added here) and on hand-picked ones (large and small
decay periods, many cycles, every structural switch), at step 0, the config's edges (periods, boundaries,
restarts, warmup ends; each +-2) and a log-spaced set up to 10**7.

Bounds (``peak`` = the largest |reference| over the tested steps; NaN only where the reference is NaN):

- float32: ``|err| <= 1e-6 * |ref| + 1e-7 * peak``;
- x64 (``jax.enable_x64(True)``, config built inside it): ``|err| <= 1e-12 * |ref| + 1e-12 * peak``.
"""

from __future__ import annotations

import bisect
import dataclasses
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import jax
import numpy as np
import pytest

import lrjit

from bounds import F32_ABS, F32_REL, F64_ABS, F64_REL

MAX_STEP = 10**7
SAMPLED_PER_FAMILY = 3
LOG_STEPS = np.unique(np.round(np.logspace(0, 7, 281)).astype(np.int64))
BASE_STEPS = np.unique(np.concatenate([np.arange(0, 40), LOG_STEPS, [MAX_STEP - 1, MAX_STEP]]))


PAD = 1 << 16


def on_padded(fn: Callable[[Any], Any], steps: np.ndarray) -> Any:
    """``fn(steps)``, evaluated on ``steps`` padded to PAD entries (repeating the last one) and cut back:
    every call sees one array shape, so JAX compiles each operation once per dtype."""
    assert steps.size <= PAD, steps.size
    return fn(np.pad(steps, (0, PAD - steps.size), mode="edge"))[: steps.size]


# ------------------------------------------------------------------------------------------------------
# Reading a config's stored values
# ------------------------------------------------------------------------------------------------------
class Stored:
    """The stored hyperparameters of one schedule, as Python/NumPy float64 and int values."""

    def __init__(self, sched: lrjit.Schedule) -> None:
        self.sched = sched
        self.config = sched.config()

    def f(self, name: str) -> float:
        return float(np.asarray(self.config[name], dtype=np.float64))

    def i(self, name: str) -> int:
        return int(np.asarray(self.config[name]))

    def b(self, name: str) -> bool:
        return bool(np.asarray(self.config[name]))

    def vec(self, name: str, dtype: Any) -> np.ndarray:
        return np.asarray(self.config[name], dtype=dtype)

    def __getitem__(self, name: str) -> Any:
        return self.config[name]


def _cos2_half(fraction: np.ndarray) -> np.ndarray:
    """0.5 * (1 + cos(pi * f)), written as cos(pi * f / 2)**2 (no cancellation near f = 1)."""
    return np.cos(np.pi * fraction / 2) ** 2


def _progress(s: np.ndarray, period: int, staircase: bool) -> np.ndarray:
    return (s // period).astype(np.float64) if staircase else s / period


# ------------------------------------------------------------------------------------------------------
# References: (stored config, int64 steps) -> float64 values
# ------------------------------------------------------------------------------------------------------
def ref_exponential(c: Stored, s: np.ndarray) -> np.ndarray:
    """Keras ExponentialDecay: lr0 * r ** (s / D), s // D with staircase."""
    p = _progress(s, c.i("decay_steps"), c.b("staircase"))
    return c.f("initial_learning_rate") * np.power(c.f("decay_rate"), p)


def ref_inverse_time(c: Stored, s: np.ndarray) -> np.ndarray:
    """Keras InverseTimeDecay: lr0 / (1 + r * s / D), s // D with staircase."""
    p = _progress(s, c.i("decay_steps"), c.b("staircase"))
    return c.f("initial_learning_rate") / (1 + c.f("decay_rate") * p)


def ref_natural_exp(c: Stored, s: np.ndarray) -> np.ndarray:
    """tf.compat.v1.train.natural_exp_decay: lr0 * exp(-k * s / D), s // D with staircase."""
    p = _progress(s, c.i("decay_steps"), c.b("staircase"))
    return c.f("initial_learning_rate") * np.exp(-c.f("decay_rate") * p)


def ref_piecewise(c: Stored, s: np.ndarray) -> np.ndarray:
    """Keras PiecewiseConstantDecay: values[#{boundaries < s}] (a boundary step keeps the earlier value)."""
    b = c.vec("boundaries", np.int64)
    return c.vec("values", np.float64)[np.searchsorted(b, s, side="left")]


def ref_polynomial(c: Stored, s: np.ndarray) -> np.ndarray:
    """Keras PolynomialDecay; ``1 - p`` as the exact ratio (D' - s') / D'."""
    d = c.i("decay_steps")
    if c.b("cycle"):
        span = d * np.maximum(1, -(-s // d))
        remaining = (span - s) / span
    else:
        remaining = (d - np.minimum(s, d)) / d
    end = c.f("end_learning_rate")
    return (c.f("initial_learning_rate") - end) * np.power(remaining, c.f("power")) + end


def ref_cosine(c: Stored, s: np.ndarray) -> np.ndarray:
    """Keras CosineDecay, with and without its linear warmup to ``warmup_target``."""
    d, a, lr0 = c.i("decay_steps"), c.f("alpha"), c.f("initial_learning_rate")
    if c["warmup_target"] is None:
        return lr0 * ((1 - a) * _cos2_half(np.minimum(s, d) / d) + a)
    w, target = c.i("warmup_steps"), c.f("warmup_target")
    t = np.minimum(s, d + w)
    warm = lr0 + (target - lr0) * (t / max(w, 1))
    decay = target * ((1 - a) * _cos2_half(np.maximum(t - w, 0) / d) + a)
    return np.where(t < w, warm, decay)


def _cycles(d0: int, t_mul: float, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """SGDR cycle index and position of each step, exactly: cycle i covers [start_i, start_i + d0 t**i)
    with start_i = sum_{j<i} d0 t**j as Fractions; steps past the sum of all cycles (t < 1) give NaN."""
    if t_mul == 1.0:
        return (s // d0).astype(np.float64), (s % d0) / d0
    t = Fraction(t_mul)
    horizon = Fraction(d0) / (1 - t) if t < 1 else None
    inside = [int(x) for x in s if horizon is None or x < horizon]
    last = max(inside, default=0)
    starts, lengths = [Fraction(0)], [Fraction(d0)]
    while starts[-1] + lengths[-1] <= last:
        starts.append(starts[-1] + lengths[-1])
        lengths.append(lengths[-1] * t)
    index = np.full(s.shape, np.nan)
    fraction = np.full(s.shape, np.nan)
    for k, x in enumerate(s.tolist()):
        if horizon is not None and x >= horizon:
            continue
        i = bisect.bisect_right(starts, x) - 1
        index[k] = i
        fraction[k] = float((x - starts[i]) / lengths[i])
    return index, fraction


def ref_cosine_restarts(c: Stored, s: np.ndarray) -> np.ndarray:
    """Keras CosineDecayRestarts: lr0 * ((1 - a) * m**i * 0.5 (1 + cos(pi f)) + a), exact (i, f)."""
    index, fraction = _cycles(c.i("first_decay_steps"), c.f("t_mul"), s)
    a = c.f("alpha")
    return c.f("initial_learning_rate") * ((1 - a) * np.power(c.f("m_mul"), index) * _cos2_half(fraction) + a)


def _linear_cosine(c: Stored, s: np.ndarray, noise: np.ndarray | float = 0.0) -> np.ndarray:
    d = c.i("decay_steps")
    t = np.minimum(s, d)
    linear = (d - t) / d + noise
    cosine = np.cos(np.pi * c.f("num_periods") * (t / d)) ** 2
    return c.f("initial_learning_rate") * ((c.f("alpha") + linear) * cosine + c.f("beta"))


def ref_linear_cosine(c: Stored, s: np.ndarray) -> np.ndarray:
    """tf.compat.v1.train.linear_cosine_decay."""
    return _linear_cosine(c, s)


def ref_noisy_linear_cosine(c: Stored, s: np.ndarray) -> np.ndarray:
    """tf.compat.v1.train.noisy_linear_cosine_decay, with lrjit's N(0, 1) draw ``standard_normal(step)``
    scaled by sqrt(initial_variance / (1 + min(s, D)) ** variance_decay)."""
    t = np.minimum(s, c.i("decay_steps"))
    z = np.asarray(on_padded(c.sched.standard_normal, s), dtype=np.float64)
    std = np.sqrt(c.f("initial_variance") / np.power(1.0 + t, c.f("variance_decay")))
    return _linear_cosine(c, s, std * z)


def _mxnet_warmup(c: Stored, n: np.ndarray, after: np.ndarray) -> np.ndarray:
    """MXNet LRScheduler.get_warmup_lr for num_update < warmup_steps."""
    w, begin = c.i("warmup_steps"), c.f("warmup_begin_lr")
    if c["warmup_mode"] == "linear":
        warm = begin + (c.f("base_lr") - begin) * (n / max(w, 1))
    else:
        warm = np.full(n.shape, begin)
    return np.where(n < w, warm, after)


def ref_factor(c: Stored, s: np.ndarray) -> np.ndarray:
    """MXNet FactorScheduler: base * f ** ((n - 1) // step) floored at stop_factor_lr (after a decay)."""
    n = s + 1
    k = (n - 1) // c.i("step")
    base = c.f("base_lr")
    decayed = np.maximum(base * np.power(c.f("factor"), k.astype(np.float64)), c.f("stop_factor_lr"))
    return _mxnet_warmup(c, n, np.where(k == 0, base, decayed))


def ref_multi_factor(c: Stored, s: np.ndarray) -> np.ndarray:
    """MXNet MultiFactorScheduler: base * f ** #{milestones < n}."""
    n = s + 1
    k = np.searchsorted(c.vec("step", np.int64), n, side="left")
    return _mxnet_warmup(c, n, c.f("base_lr") * np.power(c.f("factor"), k.astype(np.float64)))


def _mxnet_remaining(c: Stored, s: np.ndarray) -> np.ndarray:
    m, w = c.i("max_update"), c.i("warmup_steps")
    n = np.minimum(s + 1, m)
    return np.clip((m - n) / (m - w), 0, 1)


def ref_poly(c: Stored, s: np.ndarray) -> np.ndarray:
    """MXNet PolyScheduler, held past max_update; ``1 - p`` as the exact ratio (M - n) / (M - W)."""
    final = c.f("final_lr")
    after = final + (c.f("base_lr") - final) * np.power(_mxnet_remaining(c, s), c.f("pwr"))
    return _mxnet_warmup(c, s + 1, after)


def ref_cosine_scheduler(c: Stored, s: np.ndarray) -> np.ndarray:
    """MXNet CosineScheduler, held past max_update."""
    final = c.f("final_lr")
    after = final + (c.f("base_lr") - final) * _cos2_half(1 - _mxnet_remaining(c, s))
    return _mxnet_warmup(c, s + 1, after)


def ref_square_root(c: Stored, s: np.ndarray) -> np.ndarray:
    """d2l SquareRootScheduler: lr * (s + 1) ** -0.5."""
    return c.f("lr") / np.sqrt(s + 1.0)


REFERENCES: dict[str, Callable[[Stored, np.ndarray], np.ndarray]] = {
    "ExponentialDecay": ref_exponential,
    "InverseTimeDecay": ref_inverse_time,
    "NaturalExpDecay": ref_natural_exp,
    "PiecewiseConstantDecay": ref_piecewise,
    "PolynomialDecay": ref_polynomial,
    "CosineDecay": ref_cosine,
    "CosineDecayRestarts": ref_cosine_restarts,
    "LinearCosineDecay": ref_linear_cosine,
    "NoisyLinearCosineDecay": ref_noisy_linear_cosine,
    "FactorScheduler": ref_factor,
    "MultiFactorScheduler": ref_multi_factor,
    "PolyScheduler": ref_poly,
    "CosineScheduler": ref_cosine_scheduler,
    "SquareRootScheduler": ref_square_root,
}


# ------------------------------------------------------------------------------------------------------
# timm (timm/scheduler/cosine_lr.py, tanh_lr.py, poly_lr.py, scheduler.py), Hugging Face
# (transformers/optimization.py) and fairseq (tri_stage_lr_scheduler.py)
# ------------------------------------------------------------------------------------------------------
def _cycles_left(d0: int, t_mul: float, s: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """SGDR (index, fraction done, fraction left) of each step, exactly (NaN past a t_mul < 1 horizon)."""
    if t_mul == 1.0:
        r = s % d0
        return (s // d0).astype(np.float64), r / d0, (d0 - r) / d0
    t = Fraction(t_mul)
    horizon = Fraction(d0) / (1 - t) if t < 1 else None
    last = max((int(x) for x in s if horizon is None or x < horizon), default=0)
    starts, lengths = [Fraction(0)], [Fraction(d0)]
    while starts[-1] + lengths[-1] <= last:
        starts.append(starts[-1] + lengths[-1])
        lengths.append(lengths[-1] * t)
    index, done, left = (np.full(s.shape, np.nan) for _ in range(3))
    for k, x in enumerate(s.tolist()):
        if horizon is not None and x >= horizon:
            continue
        i = bisect.bisect_right(starts, x) - 1
        index[k] = i
        done[k] = float((x - starts[i]) / lengths[i])
        left[k] = float((starts[i] + lengths[i] - x) / lengths[i])
    return index, done, left


def _timm(c: Stored, s: np.ndarray, shape: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> np.ndarray:
    """timm ``_get_lr`` plus ``_add_noise`` (lrjit's draw ``noise(step)``); ``shape(done, left)`` is the
    cycle curve in [0, 1]. Past a cycle_mul < 1 horizon every cycle is over: lr_min."""
    base, lr_min, w = c.f("base_lr"), c.f("lr_min"), c.i("warmup_t")
    prefix = c.b("warmup_prefix")

    def after(t: np.ndarray) -> np.ndarray:
        index, done, left = _cycles_left(c.i("t_initial"), c.f("cycle_mul"), t)
        finished = ~(index < c.i("cycle_limit"))
        index = np.where(np.isnan(index), 0.0, index)
        lr_max = base * np.power(c.f("cycle_decay"), index)
        with np.errstate(invalid="ignore"):
            value = lr_min + (lr_max - lr_min) * shape(done, left)
        return np.where(finished, lr_min, value)

    main = after(np.maximum(s - w, 0) if prefix else s)
    if type(c.sched).__name__ == "TanhLRScheduler" and not prefix:
        target = float(after(np.array([w]))[0])
    else:
        target = base
    init = c.f("warmup_lr_init")
    lr = np.where(s < w, init + s * ((target - init) / max(w, 1)), main)
    if c["noise_range_t"] is None:
        return lr
    x = np.asarray(on_padded(c.sched.noise, s), dtype=np.float64)
    return lr + lr * x


def _one_minus_pow_k(c: Stored, done: np.ndarray, left: np.ndarray) -> np.ndarray:
    """1 - done**k, as -expm1(k * log1p(-left)) (exact-left form; 1 at a cycle start)."""
    with np.errstate(divide="ignore"):
        out = -np.expm1(c.f("k_decay") * np.log1p(-left))
    return np.where(done == 0, 1.0, out)


def ref_timm_cosine(c: Stored, s: np.ndarray) -> np.ndarray:
    """timm CosineLRScheduler: lr_min + 0.5 (lr_max - lr_min) (1 + cos(pi t_cur**k / t_i**k))."""
    return _timm(c, s, lambda done, left: np.sin(np.pi / 2 * _one_minus_pow_k(c, done, left)) ** 2)


def ref_timm_tanh(c: Stored, s: np.ndarray) -> np.ndarray:
    """timm TanhLRScheduler: lr_min + 0.5 (lr_max - lr_min) (1 - tanh(lb (1 - r) + ub r))."""
    lb, ub = c.f("lb"), c.f("ub")
    return _timm(c, s, lambda done, left: 0.5 * (1 - np.tanh(lb * left + ub * done)))


def ref_timm_poly(c: Stored, s: np.ndarray) -> np.ndarray:
    """timm PolyLRScheduler: lr_min + (lr_max - lr_min) (1 - t_cur**k / t_i**k) ** power."""
    return _timm(c, s, lambda done, left: np.power(_one_minus_pow_k(c, done, left), c.f("power")))


def _hf_warm(c: Stored, s: np.ndarray, w: int) -> np.ndarray:
    return s / max(1, w)


def ref_wsd(c: Stored, s: np.ndarray) -> np.ndarray:
    """transformers _get_wsd_scheduler_lambda; 1 - sqrt(1 - p) and 1 - sqrt(p) in their cancellation-free
    forms p / (1 + sqrt(1 - p)) and (1 - p) / (1 + sqrt(p)), 1 - p from integer counts."""
    w, st, d = c.i("num_warmup_steps"), c.i("num_stable_steps"), c.i("num_decay_steps")
    m, nc = c.f("min_lr_ratio"), c.f("num_cycles")
    p = np.minimum(s, w) / max(1, w)
    rest = np.maximum(w - s, 0) / max(1, w)
    rise = {"linear": p, "cosine": 0.5 * (1 - np.cos(np.pi * p)), "1-sqrt": p / (1 + np.sqrt(rest))}
    k = np.clip(s - w - st, 0, d)
    q, left = k / max(1, d), (max(1, d) - k) / max(1, d)
    fall = {
        "linear": left,
        "cosine": np.cos(np.pi * nc * q) ** 2,
        "1-sqrt": left / (1 + np.sqrt(q)),
    }
    warm = np.maximum(rise[c["warmup_type"]] * (1 - m) + m, 0)
    decay = np.maximum(fall[c["decay_type"]] * (1 - m) + m, 0)
    out = np.where(s < w, warm, np.where(s < w + st, 1.0, np.where(s < w + st + d, decay, m)))
    return c.f("base_lr") * out


def ref_inverse_sqrt(c: Stored, s: np.ndarray) -> np.ndarray:
    """transformers _get_inverse_sqrt_schedule_lr_lambda."""
    w, ts = c.i("num_warmup_steps"), c.i("timescale")
    decay = 1.0 / np.sqrt((np.maximum(s, w) + (ts - w)) / ts)
    return c.f("base_lr") * np.where(s < w, _hf_warm(c, s, w), decay)


def ref_cosine_min_lr(c: Stored, s: np.ndarray) -> np.ndarray:
    """transformers _get_cosine_schedule_with_warmup_lr_lambda with min_lr_rate; the phase
    2 num_cycles (s - W) / max(1, N - W) reduced modulo 2 with Fractions."""
    w, n, r = c.i("num_warmup_steps"), c.i("num_training_steps"), c.f("min_lr_rate")
    two_nc, span = 2 * Fraction(c.f("num_cycles")), max(1, n - w)
    phase = np.array([float((two_nc * max(x - w, 0) / span) % 2) for x in s.tolist()])
    factor = np.maximum(np.cos(np.pi * phase / 2) ** 2 * (1 - r) + r, 0)
    return c.f("base_lr") * np.where(s < w, _hf_warm(c, s, w), factor)


def ref_hard_restarts(c: Stored, s: np.ndarray) -> np.ndarray:
    """transformers _get_cosine_with_hard_restarts_schedule_with_warmup_lr_lambda, (nc p) mod 1 exactly."""
    w, n, nc = c.i("num_warmup_steps"), c.i("num_training_steps"), c.i("num_cycles")
    span = max(1, n - w)
    k = np.maximum(s - w, 0)
    frac = ((nc * np.minimum(k, span)) % span) / span
    factor = np.where(k >= span, 0.0, np.cos(np.pi * frac / 2) ** 2)
    return c.f("base_lr") * np.where(s < w, _hf_warm(c, s, w), factor)


def ref_poly_warmup(c: Stored, s: np.ndarray) -> np.ndarray:
    """transformers _get_polynomial_decay_schedule_with_warmup_lr_lambda (times lr_init); pct_remaining
    as the exact ratio (N - s) / (N - W); lr_end at s = N = W (where HF divides by zero)."""
    w, n, base, end = c.i("num_warmup_steps"), c.i("num_training_steps"), c.f("base_lr"), c.f("lr_end")
    remaining = np.maximum(n - s, 0) / max(1, n - w)
    decay = np.where(s < n, (base - end) * np.power(remaining, c.f("power")) + end, end)
    return np.where(s < w, base * _hf_warm(c, s, w), decay)


def ref_tri_stage(c: Stored, s: np.ndarray) -> np.ndarray:
    """fairseq TriStageLRSchedule.step_update with _decide_stage (``<=`` closes the decay stage)."""
    w, h, d = c.i("warmup_steps"), c.i("hold_steps"), c.i("decay_steps")
    peak = c.f("base_lr")
    init, final = c.f("init_lr_scale") * peak, c.f("final_lr_scale") * peak
    rate = (peak - init) / w if w else 0.0
    decay_factor = -np.log(c.f("final_lr_scale")) / d
    k = np.clip(s - w - h, 0, d)
    return np.where(
        s < w,
        init + rate * s,
        np.where(s < w + h, peak, np.where(s <= w + h + d, peak * np.exp(-decay_factor * k), final)),
    )


def ref_triangular(c: Stored, s: np.ndarray) -> np.ndarray:
    """fairseq TriangularLRSchedule.step_update; x = |n / S - 2 (c + 1) + 1| from the exact remainder."""
    half = c.i("lr_period_updates") // 2
    cycle = s // (2 * half)
    x = np.abs((s - 2 * half * cycle) - half) / half
    shrink = np.power(c.f("lr_shrink"), cycle.astype(np.float64))
    peak = c.f("max_lr") * shrink
    low = c.f("min_lr") * shrink if c.b("shrink_min") else c.f("min_lr")
    return low + (peak - low) * np.maximum(0, 1 - x)


REFERENCES.update(
    {
        "CosineLRScheduler": ref_timm_cosine,
        "Triangular": ref_triangular,
        "TanhLRScheduler": ref_timm_tanh,
        "PolyLRScheduler": ref_timm_poly,
        "WarmupStableDecay": ref_wsd,
        "InverseSqrt": ref_inverse_sqrt,
        "CosineWithMinLR": ref_cosine_min_lr,
        "CosineWithHardRestarts": ref_hard_restarts,
        "PolynomialWithWarmup": ref_poly_warmup,
        "TriStage": ref_tri_stage,
    }
)


def _timm_edges(c: Stored, limit: int) -> list[int]:
    w, d0, t = c.i("warmup_t"), c.i("t_initial"), Fraction(c.f("cycle_mul"))
    shift = w if c.b("warmup_prefix") else 0
    out, start, length = [w, shift], Fraction(0), Fraction(d0)
    for _ in range(c.i("cycle_limit") + 1):
        start += length
        length *= t
        if start + shift > limit or length < 1:
            break
        out += [int(start) + shift, -(-start.numerator // start.denominator) + shift]
    if c["noise_range_t"] is not None:
        out += c.vec("noise_range_t", np.int64).tolist()
    return out


def _hf_edges(family: str, c: Stored, limit: int) -> list[int]:
    if family == "WarmupStableDecay":
        w, st, d = c.i("num_warmup_steps"), c.i("num_stable_steps"), c.i("num_decay_steps")
        return [w, w + st, w + st + d]
    if family == "InverseSqrt":
        return [c.i("num_warmup_steps")]
    if family == "TriStage":
        w, h, d = c.i("warmup_steps"), c.i("hold_steps"), c.i("decay_steps")
        return [w, w + h, w + h + d]
    if family == "Triangular":
        return _multiples(c.i("lr_period_updates") // 2, limit)
    w, n = c.i("num_warmup_steps"), c.i("num_training_steps")
    out = [w, n]
    if family == "CosineWithHardRestarts":
        span, nc = max(1, n - w), max(1, c.i("num_cycles"))
        out += [w + span * j // nc for j in range(nc + 1)] + [w + -(-span * j // nc) for j in range(nc + 1)]
    if family == "CosineWithMinLR":
        out += [w + k * max(1, n - w) for k in (2, 3, 10)]
    return out


def edges_timm_hf(family: str, c: Stored, limit: int) -> list[int] | None:
    """Edges of the timm / Hugging Face / fairseq families (None for other families)."""
    if family in ("CosineLRScheduler", "TanhLRScheduler", "PolyLRScheduler"):
        return _timm_edges(c, limit)
    if family in REFERENCES and family in (
        "WarmupStableDecay",
        "InverseSqrt",
        "CosineWithMinLR",
        "CosineWithHardRestarts",
        "PolynomialWithWarmup",
        "TriStage",
        "Triangular",
    ):
        return _hf_edges(family, c, limit)
    return None


# ------------------------------------------------------------------------------------------------------
# Edge steps of a config (each is tested with its neighbours +-2)
# ------------------------------------------------------------------------------------------------------
def _multiples(period: int, limit: int, count: int = 4) -> list[int]:
    last = limit // period
    return [period * k for k in (*range(1, count + 1), last - 1, last)]


def _restart_starts(c: Stored, limit: int, most: int = 12_000) -> list[int]:
    """Integer steps at and around each restart up to ``limit`` (the first ``most`` restarts, and the last
    hundred when the cycles have a fixed length)."""
    d0, t = c.i("first_decay_steps"), Fraction(c.f("t_mul"))
    out, start, length = [], Fraction(0), Fraction(d0)
    while start + length <= limit and length >= 1 and len(out) < 2 * most:
        start += length
        length *= t
        out += [int(start), -(-start.numerator // start.denominator)]
    if t == 1:
        out += [d0 * k for k in range(max(1, limit // d0 - 100), limit // d0 + 1)]
    return out


# ------------------------------------------------------------------------------------------------------
# torch.optim.lr_scheduler families (closed forms of torch 2.13's stepped rates; see lrjit/families/torch.py)
# ------------------------------------------------------------------------------------------------------
def ref_step_lr(c: Stored, s: np.ndarray) -> np.ndarray:
    """torch StepLR: base * gamma ** (s // step_size)."""
    return c.f("base_lr") * np.power(c.f("gamma"), (s // c.i("step_size")).astype(np.float64))


def ref_multi_step_lr(c: Stored, s: np.ndarray) -> np.ndarray:
    """torch MultiStepLR: base * gamma ** #{milestones <= s}, repeats counted."""
    m = np.sort(c.vec("milestones", np.int64))
    k = np.searchsorted(m, s, side="right").astype(np.float64)
    return c.f("base_lr") * np.power(c.f("gamma"), k)


def ref_constant_lr(c: Stored, s: np.ndarray) -> np.ndarray:
    """torch ConstantLR (stepped): base * factor before total_iters (always when total_iters == 0)."""
    t = c.i("total_iters")
    return np.where((s < t) | (t == 0), c.f("base_lr") * c.f("factor"), c.f("base_lr"))


def ref_linear_lr(c: Stored, s: np.ndarray) -> np.ndarray:
    """torch LinearLR: base * (sf + (ef - sf) * min(s, T) / T); sf throughout when T == 0."""
    t, sf, ef = c.i("total_iters"), c.f("start_factor"), c.f("end_factor")
    progress = np.minimum(s, t) / t if t > 0 else np.zeros(s.shape)
    return c.f("base_lr") * (sf + (ef - sf) * progress)


def ref_exponential_lr(c: Stored, s: np.ndarray) -> np.ndarray:
    """torch ExponentialLR: base * gamma ** s."""
    return c.f("base_lr") * np.power(c.f("gamma"), s.astype(np.float64))


def ref_polynomial_lr(c: Stored, s: np.ndarray) -> np.ndarray:
    """torch PolynomialLR: base * ((T - min(s, T)) / T) ** power; base throughout when T == 0."""
    t = c.i("total_iters")
    remaining = (t - np.minimum(s, t)) / t if t > 0 else np.ones(s.shape)
    return c.f("base_lr") * np.power(remaining, c.f("power"))


def ref_cosine_annealing_lr(c: Stored, s: np.ndarray) -> np.ndarray:
    """torch CosineAnnealingLR: eta + (base - eta) * 0.5 (1 + cos(pi s / T)), with s reduced mod 2T."""
    t, eta = c.i("T_max"), c.f("eta_min")
    return eta + (c.f("base_lr") - eta) * _cos2_half((s % (2 * t)) / t)


def ref_warm_restarts(c: Stored, s: np.ndarray) -> np.ndarray:
    """torch CosineAnnealingWarmRestarts: eta + (base - eta) * 0.5 (1 + cos(pi T_cur / T_i)), exact cycles."""
    _, fraction = _cycles(c.i("T_0"), c.f("T_mult"), s)
    eta = c.f("eta_min")
    return eta + (c.f("base_lr") - eta) * _cos2_half(fraction)


def ref_cyclic_lr(c: Stored, s: np.ndarray) -> np.ndarray:
    """torch CyclicLR with exact integer cycle positions."""
    up, down = c.i("step_size_up"), c.i("step_size_down")
    total = up + down
    p = s % total
    height = np.where(p <= up, p / up, (total - p) / max(down, 1))
    mode, scale_mode = c["mode"], c["scale_mode"]
    if scale_mode is None:
        scale_mode = "iterations" if mode == "exp_range" else "cycle"
    count = (s // total + 1) if scale_mode == "cycle" else s
    count = count.astype(np.float64)
    if mode == "triangular":
        scale = np.ones(s.shape)
    elif mode == "triangular2":
        scale = np.power(2.0, 1 - count)
    else:
        scale = np.power(c.f("gamma"), count)
    base = c.f("base_lr")
    return base + (c.f("max_lr") - base) * height * scale


def _one_cycle_ref(c: Stored, s: np.ndarray, values: list[float]) -> np.ndarray:
    """torch OneCycleLR.get_lr's phase walk (float phase ends), steps past total_steps held at T - 1."""
    total, pct = c.i("total_steps"), c.f("pct_start")
    ends = [pct * total - 1] + ([2 * pct * total - 2] if c["three_phase"] else []) + [float(total - 1)]
    t = np.where(s > total, total - 1, s).astype(np.float64)
    out = np.empty(s.shape)
    for k, x in enumerate(t.tolist()):
        start = 0.0
        for i, end in enumerate(ends):
            if x <= end or i == len(ends) - 1:
                frac = (x - start) / (end - start) if end != start else 1.0
                a, b = values[i], values[i + 1]
                if c["anneal_strategy"] == "cos":
                    out[k] = b + (a - b) * float(_cos2_half(np.float64(frac)))
                else:
                    out[k] = (b - a) * frac + a
                break
            start = end
    return out


def ref_one_cycle_lr(c: Stored, s: np.ndarray) -> np.ndarray:
    peak = c.f("max_lr")
    initial = peak / c.f("div_factor")
    low = initial / c.f("final_div_factor")
    return _one_cycle_ref(c, s, [initial, peak, initial, low] if c["three_phase"] else [initial, peak, low])


def ref_one_cycle_momentum(c: Stored, s: np.ndarray) -> np.ndarray:
    lo, hi = c.f("base_momentum"), c.f("max_momentum")
    return _one_cycle_ref(c, s, [hi, lo, hi, hi] if c["three_phase"] else [hi, lo, hi])


REFERENCES.update(
    {
        "StepLR": ref_step_lr,
        "MultiStepLR": ref_multi_step_lr,
        "ConstantLR": ref_constant_lr,
        "LinearLR": ref_linear_lr,
        "ExponentialLR": ref_exponential_lr,
        "PolynomialLR": ref_polynomial_lr,
        "CosineAnnealingLR": ref_cosine_annealing_lr,
        "CosineAnnealingWarmRestarts": ref_warm_restarts,
        "CyclicLR": ref_cyclic_lr,
        "OneCycleLR": ref_one_cycle_lr,
        "OneCycleMomentum": ref_one_cycle_momentum,
    }
)


def edges_torch(family: str, c: Stored, limit: int) -> list[int] | None:
    """Regime switches of the torch families (None for other families)."""
    if family == "StepLR":
        return _multiples(c.i("step_size"), limit)
    if family == "MultiStepLR":
        return c.vec("milestones", np.int64).tolist()
    if family in ("ConstantLR", "LinearLR", "PolynomialLR"):
        return [c.i("total_iters")]
    if family == "CosineAnnealingLR":
        return _multiples(c.i("T_max"), limit)
    if family == "CosineAnnealingWarmRestarts":
        d0, t = c.i("T_0"), c.f("T_mult")
        starts, start, length = [], 0.0, float(d0)
        while start + length <= limit and len(starts) < 2000:
            start += length
            length *= t
            starts += [int(start)]
        return starts
    if family == "CyclicLR":
        total = c.i("step_size_up") + c.i("step_size_down")
        return _multiples(total, limit) + [c.i("step_size_up") + total * k for k in range(4)]
    if family in ("OneCycleLR", "OneCycleMomentum"):
        total = c.i("total_steps")
        return [int(c.f("pct_start") * total), int(2 * c.f("pct_start") * total), total]
    return None


# ------------------------------------------------------------------------------------------------------
# t5x / tensor2tensor families (t5x ``create_learning_rate_scheduler``, t2t noam; see lrjit/families/t5x.py)
# ------------------------------------------------------------------------------------------------------
def ref_factor_schedule(c: Stored, s: np.ndarray) -> np.ndarray:
    """The product of the named factors at max(0, s - step_offset), floored at min_learning_rate; the
    cosine's cycle position and the decay periods as exact integer counts."""
    s = np.maximum(s - c.i("step_offset"), 0)
    w, lr0, df = c.i("warmup_steps"), c.f("base_learning_rate"), c.f("decay_factor")
    d, cyc = c.i("steps_per_decay"), c.i("steps_per_cycle")
    ret = np.ones(s.shape)
    for name in (n.strip() for n in c["factors"].split("*")):
        if name == "constant":
            ret = ret * lr0
        elif name == "linear_warmup":
            ret = ret * np.minimum(1.0, s / w)
        elif name == "linear_decay":
            ret = ret * lr0 * np.minimum(s / w, 1 + df * (w - s))
        elif name == "rsqrt_decay":
            ret = ret / np.sqrt(np.maximum(s, w))
        elif name == "rsqrt_normalized_decay":
            ret = ret * np.sqrt(w / np.maximum(s, w))
        elif name == "decay_every":
            ret = ret * np.power(df, (s // d).astype(np.float64))
        elif name == "cosine_decay":
            ret = ret * _cos2_half((np.maximum(s - w, 0) % cyc) / cyc)
        elif name == "rsqrt_hidden_size":
            ret = ret / np.sqrt(c.i("hidden_size"))
        else:
            assert name == "exp_decay", name
            ret = ret * np.power(df, np.maximum(s - w, 0) / d)
    return np.maximum(ret, c.f("min_learning_rate"))


def ref_noam(c: Stored, s: np.ndarray) -> np.ndarray:
    """t2t noam: lr * correction * 5000 * d**-0.5 * min(n W**-1.5, n**-0.5), n = s + 1 (W = 0: inf)."""
    n = s + 1.0
    w = np.float64(c.i("warmup_steps"))
    with np.errstate(divide="ignore"):
        warm = n * w**-1.5
    scale = c.f("learning_rate") * c.f("optimizer_correction") * 5000 / np.sqrt(c.i("hidden_size"))
    return scale * np.minimum(warm, n**-0.5)


REFERENCES.update({"FactorSchedule": ref_factor_schedule, "Noam": ref_noam})


def ref_constant(c: Stored, s: np.ndarray) -> np.ndarray:
    """optax.constant_schedule: the value at every step."""
    return np.full(s.shape, c.f("value"))


REFERENCES["Constant"] = ref_constant

# The families checked here: compositions (lrjit.compose) are checked against these families' values and
# float64 closed forms in tests/test_compose.py.
FAMILIES = sorted(name for name, cls in lrjit.registry().items() if not cls.composite)


def edges_t5x(family: str, c: Stored, limit: int) -> list[int] | None:
    """Warmup ends (after the offset), decay periods, cosine restarts and mid-cycles, the zero of a linear
    decay, Noam's peak (None for other families)."""
    if family == "Noam":
        return [c.i("warmup_steps") - 1]
    if family != "FactorSchedule":
        return None
    off, w = c.i("step_offset"), c.i("warmup_steps")
    d, cyc = c.i("steps_per_decay"), c.i("steps_per_cycle")
    names = {n.strip() for n in c["factors"].split("*")}
    out = [off, off + w]
    if "decay_every" in names:
        out += [off + x for x in _multiples(d, limit)]
    if "exp_decay" in names:
        out += [off + w + x for x in _multiples(d, limit)]
    if "cosine_decay" in names:
        out += [off + w + x for x in _multiples(cyc, limit)] + [off + w + cyc // 2, off + w + cyc + cyc // 2]
    df = c.f("decay_factor")
    if "linear_decay" in names and df * limit > 1:
        out.append(off + w + int(np.ceil(1 / df)))
    return out


def edges(family: str, c: Stored, limit: int) -> list[int]:
    """Steps where the family's formula switches regime, for hand-written families; [] otherwise."""
    if family in ("ExponentialDecay", "InverseTimeDecay", "NaturalExpDecay", "PolynomialDecay"):
        return _multiples(c.i("decay_steps"), limit)
    if family in ("LinearCosineDecay", "NoisyLinearCosineDecay"):
        return [c.i("decay_steps")]
    if family == "PiecewiseConstantDecay":
        return c.vec("boundaries", np.int64).tolist()
    if family == "CosineDecay":
        d, w = c.i("decay_steps"), c.i("warmup_steps")
        return [w, d, d + w]
    if family == "CosineDecayRestarts":
        return _restart_starts(c, limit)
    if family == "FactorScheduler":
        return [c.i("warmup_steps"), *_multiples(c.i("step"), limit)]
    if family == "MultiFactorScheduler":
        return [c.i("warmup_steps"), *c.vec("step", np.int64).tolist()]
    if family in ("PolyScheduler", "CosineScheduler"):
        return [c.i("warmup_steps"), c.i("max_update")]
    extra = edges_timm_hf(family, c, limit)
    if extra is not None:
        return extra
    extra = edges_torch(family, c, limit)
    if extra is not None:
        return extra
    extra = edges_t5x(family, c, limit)
    if extra is not None:
        return extra
    return []


def steps_for(family: str, c: Stored, limit: int) -> np.ndarray:
    near = np.asarray(edges(family, c, limit), dtype=np.int64)
    near = (near[:, None] + np.arange(-2, 3)[None, :]).ravel()
    out = np.unique(np.concatenate([BASE_STEPS, near]))
    return out[(out >= 0) & (out <= limit)]


# ------------------------------------------------------------------------------------------------------
# Configs
# ------------------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Config:
    """A config to build inside the precision context: ``kwargs``, or ``cls.sample(default_rng(seed))``."""

    family: str
    label: str
    kwargs: dict[str, Any] | None = None
    seed: int = 0
    limit: int = MAX_STEP

    def build(self) -> lrjit.Schedule:
        cls = lrjit.registry()[self.family]
        if self.kwargs is None:
            return cls.sample(np.random.default_rng(self.seed))
        return cls(**self.kwargs)


def _hand(family: str, label: str, limit: int = MAX_STEP, **kwargs: Any) -> Config:
    return Config(family, label, kwargs, limit=limit)


_RNG = np.random.default_rng(20240611)
HAND: dict[str, list[Config]] = {
    "ExponentialDecay": [
        _hand("ExponentialDecay", "D1_slow", initial_learning_rate=0.1, decay_steps=1, decay_rate=0.9999),
        _hand("ExponentialDecay", "D1e6", initial_learning_rate=1.0, decay_steps=10**6, decay_rate=0.5),
        _hand(
            "ExponentialDecay",
            "stair_D3",
            initial_learning_rate=0.1,
            decay_steps=3,
            decay_rate=0.96,
            staircase=True,
        ),
        _hand("ExponentialDecay", "grows", initial_learning_rate=2.0, decay_steps=10**6, decay_rate=1.5),
    ],
    "InverseTimeDecay": [
        _hand("InverseTimeDecay", "D1", initial_learning_rate=0.1, decay_steps=1, decay_rate=0.5),
        _hand(
            "InverseTimeDecay",
            "stair_D1e6",
            initial_learning_rate=1.0,
            decay_steps=10**6,
            decay_rate=2.0,
            staircase=True,
        ),
        _hand("InverseTimeDecay", "rate0", initial_learning_rate=0.3, decay_steps=7, decay_rate=0.0),
    ],
    "NaturalExpDecay": [
        _hand("NaturalExpDecay", "D1", initial_learning_rate=0.1, decay_steps=1, decay_rate=0.05),
        _hand("NaturalExpDecay", "D1e6", initial_learning_rate=1.0, decay_steps=10**6, decay_rate=5.0),
        _hand(
            "NaturalExpDecay",
            "stair_D3",
            initial_learning_rate=0.1,
            decay_steps=3,
            decay_rate=0.5,
            staircase=True,
        ),
    ],
    "PiecewiseConstantDecay": [
        _hand("PiecewiseConstantDecay", "one", boundaries=[100_000], values=[1.0, 0.1]),
        _hand(
            "PiecewiseConstantDecay",
            "extremes",
            boundaries=[0, 1, 10**6, MAX_STEP - 1],
            values=[0.5, 0.25, 0.125, 1e-3, 0.0],
        ),
        _hand(
            "PiecewiseConstantDecay",
            "2000_boundaries",
            boundaries=np.arange(1, MAX_STEP, 4999)[:2000].tolist(),
            values=_RNG.uniform(0, 1, 2001).tolist(),
        ),
    ],
    "PolynomialDecay": [
        _hand(
            "PolynomialDecay",
            "D1e6_pow0.5",
            initial_learning_rate=0.1,
            decay_steps=10**6,
            end_learning_rate=1e-4,
            power=0.5,
        ),
        _hand(
            "PolynomialDecay",
            "D1e6_pow2_cycle",
            initial_learning_rate=1.0,
            decay_steps=10**6,
            end_learning_rate=0.0,
            power=2.0,
            cycle=True,
        ),
        _hand(
            "PolynomialDecay",
            "D1_cycle",
            initial_learning_rate=0.1,
            decay_steps=1,
            end_learning_rate=0.01,
            cycle=True,
        ),
        _hand(
            "PolynomialDecay",
            "D3_pow0",
            initial_learning_rate=0.1,
            decay_steps=3,
            end_learning_rate=0.0,
            power=0.0,
        ),
        _hand("PolynomialDecay", "D1000_pow1", initial_learning_rate=0.5, decay_steps=1000),
    ],
    "CosineDecay": [
        _hand("CosineDecay", "D1e6", initial_learning_rate=0.1, decay_steps=10**6),
        _hand("CosineDecay", "D1_alpha", initial_learning_rate=0.1, decay_steps=1, alpha=0.5),
        _hand(
            "CosineDecay",
            "warmup_1e5",
            initial_learning_rate=0.0,
            decay_steps=10**6,
            alpha=0.1,
            warmup_target=1.0,
            warmup_steps=10**5,
        ),
        _hand(
            "CosineDecay",
            "target_no_warmup",
            initial_learning_rate=0.5,
            decay_steps=100,
            warmup_target=0.1,
            warmup_steps=0,
        ),
        _hand(
            "CosineDecay",
            "warmup_1",
            initial_learning_rate=0.01,
            decay_steps=50,
            alpha=1.0,
            warmup_target=0.2,
            warmup_steps=1,
        ),
    ],
    "CosineDecayRestarts": [
        _hand(
            "CosineDecayRestarts",
            "t1_10k_cycles",
            initial_learning_rate=0.1,
            first_decay_steps=1000,
            t_mul=1.0,
            m_mul=0.999,
            alpha=0.1,
        ),
        _hand(
            "CosineDecayRestarts",
            "t2",
            initial_learning_rate=1.0,
            first_decay_steps=1000,
            t_mul=2.0,
            m_mul=0.9,
        ),
        _hand("CosineDecayRestarts", "t1.5", initial_learning_rate=1.0, first_decay_steps=1000, t_mul=1.5),
        _hand(
            "CosineDecayRestarts",
            "t1.5_small",
            100_000,
            initial_learning_rate=0.3,
            first_decay_steps=7,
            t_mul=1.5,
            m_mul=0.8,
            alpha=0.05,
        ),
        _hand(
            "CosineDecayRestarts",
            "t1_D1",
            initial_learning_rate=0.1,
            first_decay_steps=1,
            t_mul=1.0,
            m_mul=1.0,
        ),
        _hand(
            "CosineDecayRestarts",
            "t0.5_horizon",
            3000,
            initial_learning_rate=1.0,
            first_decay_steps=1000,
            t_mul=0.5,
            m_mul=0.5,
            alpha=0.1,
        ),
    ],
    "LinearCosineDecay": [
        _hand("LinearCosineDecay", "D1e6", initial_learning_rate=0.1, decay_steps=10**6),
        _hand(
            "LinearCosineDecay",
            "D1",
            initial_learning_rate=1.0,
            decay_steps=1,
            num_periods=2.5,
            alpha=0.1,
            beta=0.01,
        ),
        _hand(
            "LinearCosineDecay",
            "periods3",
            initial_learning_rate=0.1,
            decay_steps=777,
            num_periods=3.0,
            alpha=0.2,
            beta=0.0,
        ),
        _hand(
            "LinearCosineDecay",
            "negative_periods",
            initial_learning_rate=0.1,
            decay_steps=5000,
            num_periods=-1.5,
        ),
    ],
    "NoisyLinearCosineDecay": [
        _hand(
            "NoisyLinearCosineDecay",
            "variance0_D1e6",
            initial_learning_rate=0.1,
            decay_steps=10**6,
            initial_variance=0.0,
        ),
        _hand("NoisyLinearCosineDecay", "D1000", initial_learning_rate=1.0, decay_steps=1000, key=3),
        _hand(
            "NoisyLinearCosineDecay",
            "D1",
            initial_learning_rate=0.1,
            decay_steps=1,
            initial_variance=0.5,
            variance_decay=1.0,
            num_periods=2.5,
            alpha=0.1,
            beta=0.01,
            key=11,
        ),
    ],
    "FactorScheduler": [
        _hand("FactorScheduler", "step1_to_stop", step=1, factor=0.99, stop_factor_lr=1e-4, base_lr=0.5),
        _hand(
            "FactorScheduler",
            "step1e6",
            step=10**6,
            factor=0.5,
            base_lr=1.0,
            warmup_steps=100,
            warmup_begin_lr=0.01,
        ),
        _hand(
            "FactorScheduler",
            "constant_warmup",
            step=5,
            factor=0.7,
            base_lr=0.3,
            warmup_steps=13,
            warmup_begin_lr=0.05,
            warmup_mode="constant",
        ),
        _hand("FactorScheduler", "stop_above_base", step=6, factor=0.5, stop_factor_lr=5e-4, base_lr=1e-4),
    ],
    "MultiFactorScheduler": [
        _hand("MultiFactorScheduler", "three", step=[5, 10, 15], factor=0.5),
        _hand(
            "MultiFactorScheduler",
            "far",
            step=[10**5, 10**6, MAX_STEP - 1],
            factor=0.1,
            base_lr=1.0,
            warmup_steps=1000,
            warmup_begin_lr=0.0,
        ),
        _hand(
            "MultiFactorScheduler",
            "200_milestones",
            step=list(range(7, 7 + 200 * 40_000, 40_000)),
            factor=0.99,
            warmup_steps=40,
            warmup_begin_lr=0.001,
            warmup_mode="constant",
        ),
    ],
    "PolyScheduler": [
        _hand("PolyScheduler", "M1e6_pwr0.5", max_update=10**6, base_lr=0.1, pwr=0.5, final_lr=1e-4),
        _hand("PolyScheduler", "M100_pwr2", max_update=100, base_lr=0.1),
        _hand(
            "PolyScheduler",
            "M1000_pwr1_warmup",
            max_update=1000,
            base_lr=0.5,
            pwr=1.0,
            final_lr=1e-3,
            warmup_steps=100,
            warmup_begin_lr=0.01,
        ),
        _hand(
            "PolyScheduler",
            "M2_pwr3",
            max_update=2,
            base_lr=1.0,
            pwr=3.0,
            warmup_steps=1,
            warmup_begin_lr=0.5,
            warmup_mode="constant",
        ),
    ],
    "CosineScheduler": [
        _hand(
            "CosineScheduler",
            "M1e6",
            max_update=10**6,
            base_lr=0.1,
            final_lr=1e-4,
            warmup_steps=10**4,
            warmup_begin_lr=0.0,
        ),
        _hand("CosineScheduler", "M1", max_update=1, base_lr=1.0, final_lr=0.25),
        _hand(
            "CosineScheduler",
            "M20_constant",
            max_update=20,
            base_lr=0.3,
            warmup_steps=5,
            warmup_begin_lr=0.01,
            warmup_mode="constant",
        ),
    ],
    "SquareRootScheduler": [
        _hand("SquareRootScheduler", "lr1", lr=1.0),
        _hand("SquareRootScheduler", "lr_small", lr=2.5e-4),
    ],
}

HAND.update(
    {
        "CosineLRScheduler": [
            _hand("CosineLRScheduler", "defaults_t1e6", base_lr=0.1, t_initial=10**6),
            _hand(
                "CosineLRScheduler",
                "restarts_t1_k2",
                base_lr=0.5,
                t_initial=1000,
                lr_min=1e-4,
                cycle_decay=0.5,
                cycle_limit=5000,
                warmup_t=100,
                warmup_lr_init=1e-3,
                warmup_prefix=True,
                k_decay=2.0,
            ),
            _hand(
                "CosineLRScheduler",
                "mul2_limit3_overlap",
                base_lr=1.0,
                t_initial=7,
                lr_min=0.01,
                cycle_mul=2.0,
                cycle_decay=0.8,
                cycle_limit=3,
                warmup_t=5,
                warmup_lr_init=0.1,
                k_decay=0.5,
            ),
            _hand(
                "CosineLRScheduler",
                "mul0.5_horizon_noise",
                3000,
                base_lr=1.0,
                t_initial=1000,
                lr_min=0.05,
                cycle_mul=0.5,
                cycle_limit=100,
                noise_range_t=(100, 1500),
                noise_pct=0.3,
                noise_seed=7,
            ),
        ],
        "TanhLRScheduler": [
            _hand("TanhLRScheduler", "defaults_t1e6", base_lr=0.1, t_initial=10**6),
            _hand(
                "TanhLRScheduler",
                "overlap_warmup",
                base_lr=0.1,
                t_initial=100,
                lr_min=1e-4,
                warmup_t=30,
                warmup_lr_init=0.01,
            ),
            _hand(
                "TanhLRScheduler",
                "prefix_cycles_uniform_noise",
                base_lr=1.0,
                t_initial=50,
                lb=-5.0,
                ub=5.0,
                cycle_mul=2.0,
                cycle_decay=0.7,
                cycle_limit=4,
                warmup_t=10,
                warmup_prefix=True,
                noise_range_t=20,
                noise_type="uniform",
                noise_pct=0.2,
                noise_seed=3,
            ),
        ],
        "PolyLRScheduler": [
            _hand("PolyLRScheduler", "defaults_t1e6", base_lr=0.1, t_initial=10**6),
            _hand(
                "PolyLRScheduler",
                "pow2_cycles_k1.5",
                base_lr=1.0,
                t_initial=333,
                power=2.0,
                lr_min=1e-3,
                cycle_decay=0.9,
                cycle_limit=10**4,
                k_decay=1.5,
            ),
            _hand(
                "PolyLRScheduler",
                "limit0_warmup",
                base_lr=0.3,
                t_initial=10,
                lr_min=0.02,
                cycle_limit=0,
                warmup_t=4,
                warmup_lr_init=0.0,
            ),
        ],
        "WarmupStableDecay": [
            _hand(
                "WarmupStableDecay",
                "big_linear_cosine",
                base_lr=1.0,
                num_warmup_steps=10**4,
                num_stable_steps=10**6,
                num_decay_steps=10**6,
                min_lr_ratio=0.1,
            ),
            _hand(
                "WarmupStableDecay",
                "cosine_1sqrt",
                base_lr=0.1,
                num_warmup_steps=100,
                num_stable_steps=50,
                num_decay_steps=300,
                warmup_type="cosine",
                decay_type="1-sqrt",
            ),
            _hand(
                "WarmupStableDecay",
                "1sqrt_linear_zero_stable",
                base_lr=0.5,
                num_warmup_steps=7,
                num_stable_steps=0,
                num_decay_steps=1,
                warmup_type="1-sqrt",
                decay_type="linear",
                min_lr_ratio=0.25,
            ),
            _hand(
                "WarmupStableDecay",
                "cycles1.5_no_warmup",
                base_lr=0.2,
                num_warmup_steps=0,
                num_stable_steps=10,
                num_decay_steps=1000,
                num_cycles=1.5,
            ),
        ],
        "InverseSqrt": [
            _hand("InverseSqrt", "W4000", base_lr=1e-3, num_warmup_steps=4000),
            _hand("InverseSqrt", "no_warmup", base_lr=0.5, num_warmup_steps=0),
            _hand("InverseSqrt", "timescale", base_lr=0.1, num_warmup_steps=10, timescale=3),
        ],
        "CosineWithMinLR": [
            _hand("CosineWithMinLR", "D1000", base_lr=1.0, num_warmup_steps=0, num_training_steps=1000),
            _hand(
                "CosineWithMinLR",
                "warmup_floor",
                base_lr=0.1,
                num_warmup_steps=100,
                num_training_steps=10**6,
                min_lr_rate=0.1,
            ),
            _hand(
                "CosineWithMinLR",
                "D1_cycles0.3",
                base_lr=0.5,
                num_warmup_steps=3,
                num_training_steps=4,
                num_cycles=0.3,
                min_lr_rate=0.05,
            ),
        ],
        "CosineWithHardRestarts": [
            _hand("CosineWithHardRestarts", "one", base_lr=1.0, num_warmup_steps=0, num_training_steps=1000),
            _hand(
                "CosineWithHardRestarts",
                "seven_cycles",
                base_lr=0.1,
                num_warmup_steps=50,
                num_training_steps=10**6,
                num_cycles=7,
            ),
            _hand(
                "CosineWithHardRestarts",
                "zero_cycles",
                base_lr=0.1,
                num_warmup_steps=5,
                num_training_steps=100,
                num_cycles=0,
            ),
        ],
        "PolynomialWithWarmup": [
            _hand(
                "PolynomialWithWarmup", "linear", base_lr=1.0, num_warmup_steps=100, num_training_steps=10**6
            ),
            _hand(
                "PolynomialWithWarmup",
                "pow0.5",
                base_lr=0.1,
                num_warmup_steps=0,
                num_training_steps=777,
                lr_end=1e-4,
                power=0.5,
            ),
            _hand(
                "PolynomialWithWarmup",
                "N_equals_W",
                base_lr=0.1,
                num_warmup_steps=20,
                num_training_steps=20,
                lr_end=0.01,
                power=2.0,
            ),
        ],
        "Triangular": [
            _hand("Triangular", "fairseq_defaults", max_lr=1.0, min_lr=1e-3),
            _hand("Triangular", "period2", max_lr=0.5, min_lr=0.1, lr_period_updates=2, lr_shrink=0.999),
            _hand(
                "Triangular",
                "odd_period_shrink_min",
                max_lr=0.1,
                min_lr=0.01,
                lr_period_updates=777,
                lr_shrink=0.9,
                shrink_min=True,
            ),
        ],
        "TriStage": [
            _hand(
                "TriStage",
                "fairseq_defaults",
                base_lr=5e-4,
                warmup_steps=1000,
                hold_steps=20000,
                decay_steps=60000,
            ),
            _hand("TriStage", "no_warmup_hold", base_lr=1.0, warmup_steps=0, hold_steps=0, decay_steps=1),
            _hand(
                "TriStage",
                "scales",
                base_lr=0.1,
                warmup_steps=3,
                hold_steps=4,
                decay_steps=10**6,
                init_lr_scale=0.5,
                final_lr_scale=0.001,
            ),
        ],
    }
)

HAND.update(
    {
        "StepLR": [
            _hand("StepLR", "S1", base_lr=0.1, step_size=1, gamma=0.999),
            _hand("StepLR", "S1e5", base_lr=1.0, step_size=10**5, gamma=0.5),
        ],
        "MultiStepLR": [
            _hand("MultiStepLR", "dupes", base_lr=0.1, milestones=[0, 10, 10, 40], gamma=0.5),
            _hand("MultiStepLR", "far_unsorted", base_lr=1.0, milestones=[10**6, 10**5, MAX_STEP - 1]),
        ],
        "ConstantLR": [
            _hand("ConstantLR", "default", base_lr=0.1),
            _hand("ConstantLR", "T0", base_lr=0.3, factor=0.25, total_iters=0),
            _hand("ConstantLR", "factor0", base_lr=0.3, factor=0.0, total_iters=10**6),
        ],
        "LinearLR": [
            _hand("LinearLR", "warmup_1e5", base_lr=0.5, start_factor=0.001, total_iters=10**5),
            _hand("LinearLR", "to_zero", base_lr=0.5, start_factor=1.0, end_factor=0.0, total_iters=777),
            _hand("LinearLR", "T0", base_lr=0.5, start_factor=0.4, total_iters=0),
        ],
        "ExponentialLR": [
            _hand("ExponentialLR", "slow", base_lr=0.1, gamma=0.99999),
            _hand("ExponentialLR", "fast", base_lr=1.0, gamma=0.5),
        ],
        "PolynomialLR": [
            _hand("PolynomialLR", "T1e6_pow0.5", base_lr=0.1, total_iters=10**6, power=0.5),
            _hand("PolynomialLR", "T3_pow0", base_lr=0.1, total_iters=3, power=0.0),
            _hand("PolynomialLR", "T0", base_lr=0.1, total_iters=0, power=2.0),
        ],
        "CosineAnnealingLR": [
            _hand("CosineAnnealingLR", "T1000_periodic", base_lr=0.1, T_max=1000, eta_min=1e-4),
            _hand("CosineAnnealingLR", "T1", base_lr=0.5, T_max=1, eta_min=0.01),
            _hand("CosineAnnealingLR", "T1e6", base_lr=1.0, T_max=10**6),
        ],
        "CosineAnnealingWarmRestarts": [
            _hand("CosineAnnealingWarmRestarts", "T10", base_lr=0.1, T_0=10),
            _hand("CosineAnnealingWarmRestarts", "T10_mult2", base_lr=0.1, T_0=10, T_mult=2.0, eta_min=1e-3),
            _hand("CosineAnnealingWarmRestarts", "T1_mult3", base_lr=1.0, T_0=1, T_mult=3.0),
        ],
        "CyclicLR": [
            _hand("CyclicLR", "tri_10", base_lr=0.001, max_lr=0.1, step_size_up=10),
            _hand(
                "CyclicLR",
                "tri2_5_15",
                base_lr=0.001,
                max_lr=0.1,
                step_size_up=5,
                step_size_down=15,
                mode="triangular2",
            ),
            _hand(
                "CyclicLR",
                "exp_range",
                base_lr=0.01,
                max_lr=0.2,
                step_size_up=2000,
                step_size_down=1,
                mode="exp_range",
                gamma=0.9999,
            ),
            _hand("CyclicLR", "sawtooth", base_lr=0.0, max_lr=0.5, step_size_up=4, step_size_down=0),
        ],
        "OneCycleLR": [
            _hand("OneCycleLR", "T100", max_lr=0.1, total_steps=100),
            _hand("OneCycleLR", "T1e6_linear", max_lr=1.0, total_steps=10**6, anneal_strategy="linear"),
            _hand("OneCycleLR", "three_phase", max_lr=0.3, total_steps=97, pct_start=0.4, three_phase=True),
        ],
        "OneCycleMomentum": [
            _hand("OneCycleMomentum", "T100", total_steps=100),
            _hand(
                "OneCycleMomentum", "three_linear", total_steps=50, anneal_strategy="linear", three_phase=True
            ),
        ],
    }
)

HAND.update(
    {
        "FactorSchedule": [
            _hand("FactorSchedule", "t5x_defaults"),
            _hand(
                "FactorSchedule",
                "T5_rsqrt_10k",
                factors="constant * rsqrt_decay",
                base_learning_rate=1.0,
                warmup_steps=10_000,
            ),
            _hand(
                "FactorSchedule",
                "cosine_C7_offset",
                factors="constant * linear_warmup * cosine_decay",
                base_learning_rate=0.3,
                warmup_steps=3,
                steps_per_cycle=7,
                step_offset=11,
                min_learning_rate=0.0,
            ),
            _hand(
                "FactorSchedule",
                "decay_every_D1",
                factors="constant * decay_every",
                base_learning_rate=0.1,
                decay_factor=0.9999,
                steps_per_decay=1,
                min_learning_rate=0.0,
            ),
            _hand(
                "FactorSchedule",
                "linear_decay_1e-6",
                factors="linear_decay",
                base_learning_rate=0.001,
                warmup_steps=5000,
                decay_factor=1e-6,
                min_learning_rate=0.0,
            ),
            _hand(
                "FactorSchedule",
                "t2t_v3_exp",
                factors="constant * linear_warmup * rsqrt_normalized_decay * exp_decay * rsqrt_hidden_size",
                base_learning_rate=2.0,
                warmup_steps=8000,
                decay_factor=0.5,
                steps_per_decay=100_000,
                hidden_size=1024,
                min_learning_rate=0.0,
            ),
        ],
        "Noam": [
            _hand("Noam", "t2t_defaults"),
            _hand(
                "Noam",
                "sgd_W100",
                learning_rate=0.05,
                hidden_size=64,
                warmup_steps=100,
                optimizer_correction=1.0,
            ),
            _hand("Noam", "W0", learning_rate=0.1, hidden_size=1024, warmup_steps=0),
        ],
    }
)

# float32 CosineDecayRestarts with a non-integer t_mul over millions of steps misses the bound: its cycle
# starts (2 * first_decay_steps * (1.5**i - 1) for t_mul=1.5) are not integers, and float32 holds them to
# about ulp(start) (0.06 to 1 step between 10**6 and 10**7), so a step less than a step before a restart
# can land in the next cycle, and positions inside a cycle carry about ulp(start) / cycle length.
# Measured on ("t1.5": first_decay_steps=1000, t_mul=1.5, to 10**7): 8 of 379 steps over the bound;
# 7 of them lie within a step before a restart and get the next cycle's peak (err/bound 1.0e7, e.g. step
# 9973770, 0.19 before the restart at 9973770.19: lrjit 1.0, exact 8.1e-15); the other, away from a
# restart, 1.17 (step 387239). The sampled config with t_mul=1.5 ("sample2", first_decay_steps=1554): 3 of
# 370 steps, all just before a restart (max err/bound 1.8e5 at step 904208). x64 meets the bound on both;
# t_mul=1 and 2 meet it in float32 at every step to 10**7.
F32_XFAIL_REASON = (
    "float32 CosineDecayRestarts, non-integer t_mul to 10**7: cycle starts held to ~ulp(start) in float32; "
    "t1.5: 8/379 steps over the bound (7 within a step before a restart, err/bound 1.0e7; one at 1.17); "
    "sample2: 3/370 (1.8e5)"
)


def _f32_xfail(cfg: Config) -> bool:
    """float32 CosineDecayRestarts with a non-integer t_mul tested to >= 10**6 steps (the case above)."""
    if cfg.family != "CosineDecayRestarts" or cfg.limit < 10**6:
        return False
    with jax.enable_x64(False):
        t_mul = float(np.asarray(cfg.build().t_mul))
    return t_mul != int(t_mul)


HAND["Constant"] = [_hand("Constant", "small", value=1e-30), _hand("Constant", "negative", value=-2.5)]


def _configs() -> list[Config]:
    out = []
    for family in FAMILIES:
        out += [Config(family, f"sample{k}", seed=1000 + k) for k in range(SAMPLED_PER_FAMILY)]
        out += HAND.get(family, [])
    return out


def _params() -> list[Any]:
    params = []
    for cfg in _configs():
        for precision in ("float32", "x64"):
            marks = []
            if precision == "float32" and _f32_xfail(cfg):
                marks = [pytest.mark.xfail(strict=True, reason=F32_XFAIL_REASON)]
            params.append(
                pytest.param(cfg, precision, id=f"{cfg.family}-{cfg.label}-{precision}", marks=marks)
            )
    return params


def evaluate(cfg: Config, precision: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, Any]:
    """(steps, lrjit values, reference values, the schedule) for one config at one precision."""
    with jax.enable_x64(precision == "x64"):
        sched = cfg.build()
        stored = Stored(sched)
        steps = steps_for(cfg.family, stored, cfg.limit)
        got = on_padded(sched, steps)
        assert got.dtype == (np.float64 if precision == "x64" else np.float32), got.dtype
        ref = REFERENCES[cfg.family](stored, steps)
    return steps, np.asarray(got, dtype=np.float64), np.asarray(ref, dtype=np.float64), sched


def error_ratio(got: np.ndarray, ref: np.ndarray, precision: str) -> np.ndarray:
    """err / bound at each step (inf where exactly one of them is NaN, 0 where both are)."""
    rel, floor = (F64_REL, F64_ABS) if precision == "x64" else (F32_REL, F32_ABS)
    peak = float(np.nanmax(np.abs(ref)))
    bound = rel * np.abs(ref) + floor * peak
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.abs(got - ref) / bound
    both_nan = np.isnan(got) & np.isnan(ref)
    ratio = np.where(both_nan, 0.0, ratio)
    ratio = np.where(~both_nan & (np.isnan(got) | np.isnan(ref)), np.inf, ratio)
    return np.where((got == ref) & ~both_nan, 0.0, ratio)


@pytest.mark.parametrize(("cfg", "precision"), _params())
def test_matches_closed_form(cfg: Config, precision: str) -> None:
    """lrjit within the float32 / x64 bound of the float64 closed form at every tested step."""
    if cfg.family not in REFERENCES:
        pytest.fail(f"no float64 reference for {cfg.family}: add one to tests/test_accuracy.py")
    steps, got, ref, sched = evaluate(cfg, precision)
    assert np.isfinite(ref).any()
    ratio = error_ratio(got, ref, precision)
    bad = np.flatnonzero(~(ratio <= 1))
    if bad.size:
        worst = bad[np.argsort(-ratio[bad])][:8]
        lines = [f"step {steps[i]}: lrjit={got[i]!r} ref={ref[i]!r} err/bound={ratio[i]:.3g}" for i in worst]
        raise AssertionError(
            f"{sched!r} ({precision}): {bad.size} of {steps.size} steps miss; max err/bound "
            f"{ratio[bad].max():.3g}\n  " + "\n  ".join(lines)
        )


def test_every_family_has_a_reference_and_hand_picked_configs() -> None:
    """A newly registered family needs a closed form here (and its sampled configs fail until it has one)."""
    families = set(FAMILIES)
    assert families <= set(REFERENCES), sorted(families - set(REFERENCES))
    assert families <= set(HAND), sorted(families - set(HAND))
    for family in families:
        assert SAMPLED_PER_FAMILY + len(HAND[family]) >= 5, family


def test_restart_configs_cover_many_cycles_and_multipliers() -> None:
    """CosineDecayRestarts is tested with t_mul=1 over 10**4 cycles, t_mul=2 and the non-integer 1.5."""
    hand = {c.label: c.kwargs for c in HAND["CosineDecayRestarts"] if c.kwargs is not None}
    t1 = hand["t1_10k_cycles"]
    assert t1["t_mul"] == 1.0 and MAX_STEP // t1["first_decay_steps"] == 10**4
    assert {k["t_mul"] for k in hand.values()} >= {1.0, 2.0, 1.5}


def test_noiseless_noisy_equals_linear_cosine() -> None:
    """NoisyLinearCosineDecay with initial_variance=0 is LinearCosineDecay (tf.compat.v1.train), bitwise."""
    kwargs = {
        "initial_learning_rate": 0.1,
        "decay_steps": 1000,
        "num_periods": 2.5,
        "alpha": 0.1,
        "beta": 0.01,
    }
    steps = np.concatenate([np.arange(0, 1100), LOG_STEPS])
    for precision in ("float32", "x64"):
        with jax.enable_x64(precision == "x64"):
            noisy = on_padded(lrjit.NoisyLinearCosineDecay(initial_variance=0.0, key=5, **kwargs), steps)
            plain = on_padded(lrjit.LinearCosineDecay(**kwargs), steps)
            np.testing.assert_array_equal(np.asarray(noisy), np.asarray(plain))
