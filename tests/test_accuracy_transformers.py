"""The Hugging Face transformers and fairseq families against independent float64 closed forms.

The closed forms follow transformers' ``src/transformers/optimization.py`` (the ``get_*_schedule*``
lambdas) and fairseq's ``fairseq/optim/lr_scheduler/tri_stage_lr_scheduler.py`` and
``triangular_lr_scheduler.py``; the method and the bounds are described in ``accuracy.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

import numpy as np
import pytest

from accuracy import Config, Stored, check_closed_form, families_of, hand, multiples, params

FAMILIES = families_of("lrjit.families.transformers")


# ------------------------------------------------------------------------------------------------------
# References: (stored config, int64 steps) -> float64 values
# ------------------------------------------------------------------------------------------------------
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
    shifted = np.maximum(s, w).astype(object) + (ts - w)  # Python ints: no int64 wrap near the top
    decay = 1.0 / np.sqrt((shifted / ts).astype(np.float64))
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


def ref_linear_warmup(c: Stored, s: np.ndarray) -> np.ndarray:
    """transformers _get_linear_schedule_with_warmup_lr_lambda."""
    w, n = c.i("num_warmup_steps"), c.i("num_training_steps")
    decay = np.maximum(n - s, 0) / max(1, n - w)
    return c.f("base_lr") * np.where(s < w, _hf_warm(c, s, w), decay)


def ref_constant_warmup(c: Stored, s: np.ndarray) -> np.ndarray:
    """transformers _get_constant_schedule_with_warmup_lr_lambda."""
    w = c.i("num_warmup_steps")
    return c.f("base_lr") * np.where(s < w, _hf_warm(c, s, w), 1.0)


def ref_cosine_warmup_min_lr(c: Stored, s: np.ndarray) -> np.ndarray:
    """transformers _get_cosine_with_min_lr_schedule_with_warmup_lr_rate_lambda; the phase
    2 num_cycles (s - W + 1) / max(1, N - W) reduced modulo 2 with Fractions."""
    w, n, r = c.i("num_warmup_steps"), c.i("num_training_steps"), c.f("min_lr_rate")
    q = c["warmup_lr_rate"]
    warm = (
        (s + 1) / max(1, w)
        if q is None
        else c.f("warmup_lr_rate") + (1 - c.f("warmup_lr_rate")) * s / max(1, w - 1)
    )
    two_nc, span = 2 * Fraction(c.f("num_cycles")), max(1, n - w)
    phase = np.array([float((two_nc * (max(x - w, 0) + 1) / span) % 2) for x in s.tolist()])
    factor = np.maximum(np.cos(np.pi * phase / 2) ** 2 * (1 - r) + r, 0)
    return c.f("base_lr") * np.where(s < w, warm, factor)


REFERENCES: dict[str, Callable[[Stored, np.ndarray], np.ndarray]] = {
    "LinearWithWarmup": ref_linear_warmup,
    "ConstantWithWarmup": ref_constant_warmup,
    "CosineWarmupWithMinLR": ref_cosine_warmup_min_lr,
    "Triangular": ref_triangular,
    "WarmupStableDecay": ref_wsd,
    "InverseSqrt": ref_inverse_sqrt,
    "CosineWithMinLR": ref_cosine_min_lr,
    "CosineWithHardRestarts": ref_hard_restarts,
    "PolynomialWithWarmup": ref_poly_warmup,
    "TriStage": ref_tri_stage,
}


# ------------------------------------------------------------------------------------------------------
# Edge steps of a config (each is tested with its neighbours +-2)
# ------------------------------------------------------------------------------------------------------
def edges(family: str, c: Stored, limit: int) -> list[int]:
    """Warmup ends, phase ends, restarts and periods of the family."""
    if family == "WarmupStableDecay":
        w, st, d = c.i("num_warmup_steps"), c.i("num_stable_steps"), c.i("num_decay_steps")
        return [w, w + st, w + st + d]
    if family in ("InverseSqrt", "ConstantWithWarmup"):
        return [c.i("num_warmup_steps")]
    if family == "TriStage":
        w, h, d = c.i("warmup_steps"), c.i("hold_steps"), c.i("decay_steps")
        return [w, w + h, w + h + d]
    if family == "Triangular":
        return multiples(c.i("lr_period_updates") // 2, limit)
    w, n = c.i("num_warmup_steps"), c.i("num_training_steps")
    out = [w, n]
    if family == "CosineWithHardRestarts":
        span, nc = max(1, n - w), max(1, c.i("num_cycles"))
        out += [w + span * j // nc for j in range(nc + 1)] + [w + -(-span * j // nc) for j in range(nc + 1)]
    if family in ("CosineWithMinLR", "CosineWarmupWithMinLR"):
        out += [w + k * max(1, n - w) - 1 for k in (1, 2, 3, 10)]
    return out


# ------------------------------------------------------------------------------------------------------
# Configs: hand-picked (the sampled ones come from cls.sample)
# ------------------------------------------------------------------------------------------------------
HAND: dict[str, list[Config]] = {
    "LinearWithWarmup": [
        hand("LinearWithWarmup", "big", base_lr=1.0, num_warmup_steps=10**4, num_training_steps=10**6),
        hand("LinearWithWarmup", "warmup_past_end", base_lr=0.1, num_warmup_steps=60, num_training_steps=40),
        hand("LinearWithWarmup", "empty", base_lr=0.1, num_warmup_steps=0, num_training_steps=0),
    ],
    "ConstantWithWarmup": [
        hand("ConstantWithWarmup", "no_warmup", base_lr=0.1),
        hand("ConstantWithWarmup", "W1", base_lr=0.5, num_warmup_steps=1),
        hand("ConstantWithWarmup", "W1e6", base_lr=1.0, num_warmup_steps=10**6),
    ],
    "CosineWarmupWithMinLR": [
        hand(
            "CosineWarmupWithMinLR",
            "default_warmup",
            base_lr=0.1,
            num_warmup_steps=100,
            num_training_steps=10**5,
        ),
        hand(
            "CosineWarmupWithMinLR",
            "rate_W1",
            base_lr=0.5,
            num_warmup_steps=1,
            num_training_steps=3,
            min_lr_rate=0.1,
            warmup_lr_rate=0.2,
        ),
        hand(
            "CosineWarmupWithMinLR",
            "warmup_past_end",
            base_lr=1.0,
            num_warmup_steps=50,
            num_training_steps=10,
            num_cycles=1.5,
            warmup_lr_rate=0.0,
        ),
    ],
    "WarmupStableDecay": [
        hand(
            "WarmupStableDecay",
            "big_linear_cosine",
            base_lr=1.0,
            num_warmup_steps=10**4,
            num_stable_steps=10**6,
            num_decay_steps=10**6,
            min_lr_ratio=0.1,
        ),
        hand(
            "WarmupStableDecay",
            "cosine_1sqrt",
            base_lr=0.1,
            num_warmup_steps=100,
            num_stable_steps=50,
            num_decay_steps=300,
            warmup_type="cosine",
            decay_type="1-sqrt",
        ),
        hand(
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
        hand(
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
        hand("InverseSqrt", "W4000", base_lr=1e-3, num_warmup_steps=4000),
        hand("InverseSqrt", "no_warmup", base_lr=0.5, num_warmup_steps=0),
        hand("InverseSqrt", "timescale", base_lr=0.1, num_warmup_steps=10, timescale=3),
    ],
    "CosineWithMinLR": [
        hand("CosineWithMinLR", "D1000", base_lr=1.0, num_warmup_steps=0, num_training_steps=1000),
        hand(
            "CosineWithMinLR",
            "warmup_floor",
            base_lr=0.1,
            num_warmup_steps=100,
            num_training_steps=10**6,
            min_lr_rate=0.1,
        ),
        hand(
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
        hand("CosineWithHardRestarts", "one", base_lr=1.0, num_warmup_steps=0, num_training_steps=1000),
        hand(
            "CosineWithHardRestarts",
            "seven_cycles",
            base_lr=0.1,
            num_warmup_steps=50,
            num_training_steps=10**6,
            num_cycles=7,
        ),
        hand(
            "CosineWithHardRestarts",
            "zero_cycles",
            base_lr=0.1,
            num_warmup_steps=5,
            num_training_steps=100,
            num_cycles=0,
        ),
    ],
    "PolynomialWithWarmup": [
        hand("PolynomialWithWarmup", "linear", base_lr=1.0, num_warmup_steps=100, num_training_steps=10**6),
        hand(
            "PolynomialWithWarmup",
            "pow0.5",
            base_lr=0.1,
            num_warmup_steps=0,
            num_training_steps=777,
            lr_end=1e-4,
            power=0.5,
        ),
        hand(
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
        hand("Triangular", "fairseq_defaults", max_lr=1.0, min_lr=1e-3),
        hand("Triangular", "period2", max_lr=0.5, min_lr=0.1, lr_period_updates=2, lr_shrink=0.999),
        hand(
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
        hand(
            "TriStage",
            "fairseq_defaults",
            base_lr=5e-4,
            warmup_steps=1000,
            hold_steps=20000,
            decay_steps=60000,
        ),
        hand("TriStage", "no_warmup_hold", base_lr=1.0, warmup_steps=0, hold_steps=0, decay_steps=1),
        hand(
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


@pytest.mark.parametrize(("cfg", "precision"), params(FAMILIES, HAND))
def test_matches_closed_form(cfg: Config, precision: str) -> None:
    """lrjit within the float32 / x64 bound of the float64 closed form at every tested step."""
    check_closed_form(cfg, precision, REFERENCES, edges)
