"""The Keras 3 families (``keras.optimizers.schedules``) against independent float64 closed forms.

The closed forms follow Keras 3's ``keras/src/optimizers/schedules/learning_rate_schedule.py``
(``ExponentialDecay``, ``InverseTimeDecay``, ``PiecewiseConstantDecay``, ``PolynomialDecay``,
``CosineDecay``, ``CosineDecayRestarts``) and the families' docstrings; the method and the bounds are
described in ``accuracy.py``. ``CosineDecayRestarts``' cycle index and position are exact
``fractions.Fraction`` counts.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

import jax
import numpy as np
import pytest

from accuracy import (
    MAX_STEP,
    Config,
    Stored,
    check_closed_form,
    cos2_half,
    cycles,
    families_of,
    hand,
    multiples,
    params,
    progress,
)

FAMILIES = families_of("lrjit.families.keras")


# ------------------------------------------------------------------------------------------------------
# References: (stored config, int64 steps) -> float64 values
# ------------------------------------------------------------------------------------------------------
def ref_exponential(c: Stored, s: np.ndarray) -> np.ndarray:
    """Keras ExponentialDecay: lr0 * r ** (s / D), s // D with staircase."""
    p = progress(s, c.i("decay_steps"), c.b("staircase"))
    return c.f("initial_learning_rate") * np.power(c.f("decay_rate"), p)


def ref_inverse_time(c: Stored, s: np.ndarray) -> np.ndarray:
    """Keras InverseTimeDecay: lr0 / (1 + r * s / D), s // D with staircase."""
    p = progress(s, c.i("decay_steps"), c.b("staircase"))
    return c.f("initial_learning_rate") / (1 + c.f("decay_rate") * p)


def ref_piecewise(c: Stored, s: np.ndarray) -> np.ndarray:
    """Keras PiecewiseConstantDecay: values[#{boundaries < s}] (a boundary step keeps the earlier value)."""
    b = c.vec("boundaries", np.int64)
    return c.vec("values", np.float64)[np.searchsorted(b, s, side="left")]


def ref_polynomial(c: Stored, s: np.ndarray) -> np.ndarray:
    """Keras PolynomialDecay; ``1 - p`` as the exact ratio (D' - s') / D'."""
    d = c.i("decay_steps")
    if c.b("cycle"):
        exact = s.astype(object)  # Python ints: the cycle's end d * ceil(s / d) passes int64 near the top
        span = d * np.maximum(1, -(-exact // d))
        remaining = ((span - exact) / span).astype(np.float64)
    else:
        remaining = (d - np.minimum(s, d)) / d
    end = c.f("end_learning_rate")
    return (c.f("initial_learning_rate") - end) * np.power(remaining, c.f("power")) + end


def ref_cosine(c: Stored, s: np.ndarray) -> np.ndarray:
    """Keras CosineDecay, with and without its linear warmup to ``warmup_target``."""
    d, a, lr0 = c.i("decay_steps"), c.f("alpha"), c.f("initial_learning_rate")
    if c["warmup_target"] is None:
        return lr0 * ((1 - a) * cos2_half(np.minimum(s, d) / d) + a)
    w, target = c.i("warmup_steps"), c.f("warmup_target")
    t = np.minimum(s, d + w)
    warm = lr0 + (target - lr0) * (t / max(w, 1))
    decay = target * ((1 - a) * cos2_half(np.maximum(t - w, 0) / d) + a)
    return np.where(t < w, warm, decay)


def ref_cosine_restarts(c: Stored, s: np.ndarray) -> np.ndarray:
    """Keras CosineDecayRestarts: lr0 * ((1 - a) * m**i * 0.5 (1 + cos(pi f)) + a), exact (i, f)."""
    index, fraction = cycles(c.i("first_decay_steps"), c.f("t_mul"), s)
    a = c.f("alpha")
    return c.f("initial_learning_rate") * ((1 - a) * np.power(c.f("m_mul"), index) * cos2_half(fraction) + a)


REFERENCES: dict[str, Callable[[Stored, np.ndarray], np.ndarray]] = {
    "ExponentialDecay": ref_exponential,
    "InverseTimeDecay": ref_inverse_time,
    "PiecewiseConstantDecay": ref_piecewise,
    "PolynomialDecay": ref_polynomial,
    "CosineDecay": ref_cosine,
    "CosineDecayRestarts": ref_cosine_restarts,
}


# ------------------------------------------------------------------------------------------------------
# Edge steps of a config (each is tested with its neighbours +-2)
# ------------------------------------------------------------------------------------------------------
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


def edges(family: str, c: Stored, limit: int) -> list[int]:
    """Steps where the family's formula switches regime."""
    if family in ("ExponentialDecay", "InverseTimeDecay", "PolynomialDecay"):
        return multiples(c.i("decay_steps"), limit)
    if family == "PiecewiseConstantDecay":
        return c.vec("boundaries", np.int64).tolist()
    if family == "CosineDecay":
        d, w = c.i("decay_steps"), c.i("warmup_steps")
        return [w, d, d + w]
    if family == "CosineDecayRestarts":
        return _restart_starts(c, limit)
    return []


# ------------------------------------------------------------------------------------------------------
# Configs: hand-picked (the sampled ones come from cls.sample)
# ------------------------------------------------------------------------------------------------------
_RNG = np.random.default_rng(20240611)
HAND: dict[str, list[Config]] = {
    "ExponentialDecay": [
        hand("ExponentialDecay", "D1_slow", initial_learning_rate=0.1, decay_steps=1, decay_rate=0.9999),
        hand("ExponentialDecay", "D1e6", initial_learning_rate=1.0, decay_steps=10**6, decay_rate=0.5),
        hand(
            "ExponentialDecay",
            "stair_D3",
            initial_learning_rate=0.1,
            decay_steps=3,
            decay_rate=0.96,
            staircase=True,
        ),
        hand("ExponentialDecay", "grows", initial_learning_rate=2.0, decay_steps=10**6, decay_rate=1.5),
    ],
    "InverseTimeDecay": [
        hand("InverseTimeDecay", "D1", initial_learning_rate=0.1, decay_steps=1, decay_rate=0.5),
        hand(
            "InverseTimeDecay",
            "stair_D1e6",
            initial_learning_rate=1.0,
            decay_steps=10**6,
            decay_rate=2.0,
            staircase=True,
        ),
        hand("InverseTimeDecay", "rate0", initial_learning_rate=0.3, decay_steps=7, decay_rate=0.0),
    ],
    "PiecewiseConstantDecay": [
        hand("PiecewiseConstantDecay", "one", boundaries=[100_000], values=[1.0, 0.1]),
        hand(
            "PiecewiseConstantDecay",
            "extremes",
            boundaries=[0, 1, 10**6, MAX_STEP - 1],
            values=[0.5, 0.25, 0.125, 1e-3, 0.0],
        ),
        hand(
            "PiecewiseConstantDecay",
            "2000_boundaries",
            boundaries=np.arange(1, MAX_STEP, 4999)[:2000].tolist(),
            values=_RNG.uniform(0, 1, 2001).tolist(),
        ),
    ],
    "PolynomialDecay": [
        hand(
            "PolynomialDecay",
            "D1e6_pow0.5",
            initial_learning_rate=0.1,
            decay_steps=10**6,
            end_learning_rate=1e-4,
            power=0.5,
        ),
        hand(
            "PolynomialDecay",
            "D1e6_pow2_cycle",
            initial_learning_rate=1.0,
            decay_steps=10**6,
            end_learning_rate=0.0,
            power=2.0,
            cycle=True,
        ),
        hand(
            "PolynomialDecay",
            "D1_cycle",
            initial_learning_rate=0.1,
            decay_steps=1,
            end_learning_rate=0.01,
            cycle=True,
        ),
        hand(
            "PolynomialDecay",
            "D3_pow0",
            initial_learning_rate=0.1,
            decay_steps=3,
            end_learning_rate=0.0,
            power=0.0,
        ),
        hand("PolynomialDecay", "D1000_pow1", initial_learning_rate=0.5, decay_steps=1000),
    ],
    "CosineDecay": [
        hand("CosineDecay", "D1e6", initial_learning_rate=0.1, decay_steps=10**6),
        hand("CosineDecay", "D1_alpha", initial_learning_rate=0.1, decay_steps=1, alpha=0.5),
        hand(
            "CosineDecay",
            "warmup_1e5",
            initial_learning_rate=0.0,
            decay_steps=10**6,
            alpha=0.1,
            warmup_target=1.0,
            warmup_steps=10**5,
        ),
        hand(
            "CosineDecay",
            "target_no_warmup",
            initial_learning_rate=0.5,
            decay_steps=100,
            warmup_target=0.1,
            warmup_steps=0,
        ),
        hand(
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
        hand(
            "CosineDecayRestarts",
            "t1_10k_cycles",
            initial_learning_rate=0.1,
            first_decay_steps=1000,
            t_mul=1.0,
            m_mul=0.999,
            alpha=0.1,
        ),
        hand(
            "CosineDecayRestarts",
            "t2",
            initial_learning_rate=1.0,
            first_decay_steps=1000,
            t_mul=2.0,
            m_mul=0.9,
        ),
        hand("CosineDecayRestarts", "t1.5", initial_learning_rate=1.0, first_decay_steps=1000, t_mul=1.5),
        hand(
            "CosineDecayRestarts",
            "t1.5_small",
            100_000,
            initial_learning_rate=0.3,
            first_decay_steps=7,
            t_mul=1.5,
            m_mul=0.8,
            alpha=0.05,
        ),
        hand(
            "CosineDecayRestarts",
            "t1_D1",
            initial_learning_rate=0.1,
            first_decay_steps=1,
            t_mul=1.0,
            m_mul=1.0,
        ),
        hand(
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
}

# float32 CosineDecayRestarts with a non-integer t_mul over millions of steps misses the bound: its cycle
# starts (2 * first_decay_steps * (1.5**i - 1) for t_mul=1.5) are not integers, and float32 holds them to
# about ulp(start) (0.06 to 1 step between 10**6 and 10**7), so a step less than a step before a restart
# can land in the next cycle, and positions inside a cycle carry about ulp(start) / cycle length.
# Measured on ("t1.5": first_decay_steps=1000, t_mul=1.5, to 10**7): 6 of 381 steps over the bound;
# 4 of them lie within a step before a restart and get the next cycle's peak (err/bound 1.0e7, e.g. step
# 9973770, 0.19 before the restart at 9973770.19: lrjit 1.0, exact 8.1e-15); the other two, away from a
# restart, 1.16 and 1.07 (steps 4216965, 3981072). The sampled config with t_mul=1.5 ("sample2",
# first_decay_steps=1554): 3 of 372 steps, all just before a restart (max err/bound 1.8e5 at step 904208).
# x64 meets the bound on both; t_mul=1 and 2 meet it in float32 at every step to 10**7.
F32_XFAIL_REASON = (
    "float32 CosineDecayRestarts, non-integer t_mul to 10**7: cycle starts held to ~ulp(start) in float32; "
    "t1.5: 6/381 steps over the bound (4 within a step before a restart, err/bound 1.0e7; two at 1.16 and "
    "1.07); sample2: 3/372 (1.8e5)"
)


def _f32_xfail(cfg: Config) -> bool:
    """float32 CosineDecayRestarts with a non-integer t_mul tested to >= 10**6 steps (the case above)."""
    if cfg.family != "CosineDecayRestarts" or cfg.limit < 10**6:
        return False
    with jax.enable_x64(False):
        t_mul = float(np.asarray(cfg.build().t_mul))
    return t_mul != int(t_mul)


@pytest.mark.parametrize(
    ("cfg", "precision"), params(FAMILIES, HAND, xfail=_f32_xfail, reason=F32_XFAIL_REASON)
)
def test_matches_closed_form(cfg: Config, precision: str) -> None:
    """lrjit within the float32 / x64 bound of the float64 closed form at every tested step."""
    check_closed_form(cfg, precision, REFERENCES, edges)


def test_restart_configs_cover_many_cycles_and_multipliers() -> None:
    """CosineDecayRestarts is tested with t_mul=1 over 10**4 cycles, t_mul=2 and the non-integer 1.5."""
    hand = {c.label: c.kwargs for c in HAND["CosineDecayRestarts"] if c.kwargs is not None}
    t1 = hand["t1_10k_cycles"]
    assert t1["t_mul"] == 1.0 and MAX_STEP // t1["first_decay_steps"] == 10**4
    assert {k["t_mul"] for k in hand.values()} >= {1.0, 2.0, 1.5}
