"""lrjit against the installed TensorFlow/Keras on random configs (float32).

Skipped when tensorflow or keras is not installed. Each test draws one config from a numpy RNG seeded by
(family, index), so a failure reproduces on its own. Steps: random integers in [0, 3 * D] plus the edges
(0, 1, D - 1, D, D + 1, 2D, 3D, boundaries and warmup ends). The bound is the golden tests' float32 bound,
``|lrjit - keras| <= 1e-6 * |keras| + 1e-7 * peak``, with ``peak`` the largest |keras| value sampled (step 0
and the warmup end are always sampled, so it is the schedule's peak).

CosineDecayRestarts draws t_mul from {1, 2, 3}, where the restart steps are tested too, and from
non-integer values, where steps within one step of a restart are left out: Keras takes the cycle index
from a float log, which can land on either side of a restart.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import lrjit

from bounds import bound as accuracy_bound
from helpers import pad_steps

# Before TensorFlow loads: quiet logs, no oneDNN reordering, Keras on its TF backend.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")
if keras.backend.backend() != "tensorflow":
    pytest.skip("the Keras references here run on its TensorFlow backend", allow_module_level=True)

SEED = 20_251_121
CONFIGS_PER_FAMILY = 20
SAMPLED_STEPS = 24
# Every config is evaluated on this many steps (padded with repeats), so lrjit compiles once per
# family and structure instead of once per config.
PADDED_STEPS = 96

Kwargs = dict[str, Any]


def _lr(rng: np.random.Generator) -> float:
    return float(10 ** rng.uniform(-4, 0))


def _decay_steps(rng: np.random.Generator) -> int:
    return max(1, round(10 ** rng.uniform(0, 3.7)))


def _exponential(rng: np.random.Generator) -> Kwargs:
    return dict(
        initial_learning_rate=_lr(rng),
        decay_steps=_decay_steps(rng),
        decay_rate=float(rng.uniform(0.05, 0.99)),
        staircase=bool(rng.integers(2)),
    )


def _inverse_time(rng: np.random.Generator) -> Kwargs:
    return dict(
        initial_learning_rate=_lr(rng),
        decay_steps=_decay_steps(rng),
        decay_rate=float(10 ** rng.uniform(-2, 1)),
        staircase=bool(rng.integers(2)),
    )


def _piecewise(rng: np.random.Generator) -> Kwargs:
    n = int(rng.integers(1, 21))
    boundaries = np.sort(rng.choice(np.arange(0, 5001), size=n, replace=False)).tolist()
    return dict(boundaries=[int(b) for b in boundaries], values=[_lr(rng) for _ in range(n + 1)])


def _polynomial(rng: np.random.Generator) -> Kwargs:
    lr0 = _lr(rng)
    # Mostly decaying towards a smaller end rate; sometimes rising to a larger one.
    end = lr0 * float(rng.uniform(0, 0.5) if rng.random() < 0.8 else rng.uniform(1.5, 10))
    return dict(
        initial_learning_rate=lr0,
        decay_steps=_decay_steps(rng),
        end_learning_rate=end,
        power=float(rng.choice([1.0, 2.0, 0.5, rng.uniform(0.5, 3.0)])),
        cycle=bool(rng.integers(2)),
    )


def _cosine(rng: np.random.Generator) -> Kwargs:
    kw: Kwargs = dict(
        initial_learning_rate=_lr(rng),
        decay_steps=_decay_steps(rng),
        alpha=float(rng.choice([0.0, rng.uniform(0, 0.5)])),
    )
    if rng.random() < 0.6:
        kw["warmup_target"] = kw["initial_learning_rate"] * float(10 ** rng.uniform(-1, 1.5))
        kw["warmup_steps"] = int(rng.integers(0, 2 * kw["decay_steps"] + 1))
    elif rng.random() < 0.5:
        kw["warmup_steps"] = int(rng.integers(1, 100))  # no target: Keras ignores it
    return kw


def _restarts(rng: np.random.Generator) -> Kwargs:
    return dict(
        initial_learning_rate=_lr(rng),
        first_decay_steps=_decay_steps(rng),
        # Dyadic values: float32 holds them, so cycle starts are exact. A decimal such as 1.1 rounds every
        # cycle start in float32 (lrjit and Keras alike); the golden tests cover it, in x64 too.
        t_mul=float(rng.choice([1.0, 2.0, 3.0, 1.25, 1.5, 2.5])),
        m_mul=float(rng.choice([1.0, rng.uniform(0.3, 1.0)])),
        alpha=float(rng.choice([0.0, rng.uniform(0, 0.3)])),
    )


def _natural_exp(rng: np.random.Generator) -> Kwargs:
    return dict(
        initial_learning_rate=_lr(rng),
        decay_steps=_decay_steps(rng),
        decay_rate=float(rng.uniform(0.01, 3.0)),
        staircase=bool(rng.integers(2)),
    )


def _linear_cosine(rng: np.random.Generator) -> Kwargs:
    return dict(
        initial_learning_rate=_lr(rng),
        decay_steps=_decay_steps(rng),
        num_periods=float(rng.choice([0.5, 0.0, 1.0, rng.uniform(0, 3)])),
        alpha=float(rng.choice([0.0, rng.uniform(0, 1)])),
        beta=float(rng.choice([0.001, 0.0, 10 ** rng.uniform(-4, -1)])),
    )


SAMPLERS: dict[str, Callable[[np.random.Generator], Kwargs]] = {
    "ExponentialDecay": _exponential,
    "InverseTimeDecay": _inverse_time,
    "PiecewiseConstantDecay": _piecewise,
    "PolynomialDecay": _polynomial,
    "CosineDecay": _cosine,
    "CosineDecayRestarts": _restarts,
    "NaturalExpDecay": _natural_exp,
    "LinearCosineDecay": _linear_cosine,
}
TF_V1_FUNCTIONS = {"NaturalExpDecay": "natural_exp_decay", "LinearCosineDecay": "linear_cosine_decay"}


def _restart_starts(kw: Kwargs, limit: int) -> list[Fraction]:
    """Exact restart steps (possibly fractional) up to ``limit``; t_mul is taken as written."""
    t = Fraction(str(kw["t_mul"]))
    out, start, length = [], Fraction(0), Fraction(kw["first_decay_steps"])
    while start + length <= limit:
        start += length
        length *= t
        out.append(start)
    return out


def _steps(family: str, kw: Kwargs, rng: np.random.Generator) -> np.ndarray:
    """Random steps in [0, 3D] plus the edges of this config."""
    if family == "PiecewiseConstantDecay":
        d = max(kw["boundaries"][-1], 1)
        edges = {b + k for b in kw["boundaries"] for k in (-1, 0, 1)}
    else:
        d = kw["first_decay_steps"] if family == "CosineDecayRestarts" else kw["decay_steps"]
        edges = {d - 1, d, d + 1, 2 * d, 3 * d}
    if family == "CosineDecay" and "warmup_steps" in kw:
        w = kw["warmup_steps"]
        edges |= {w - 1, w, w + 1, w + d - 1, w + d, w + d + 1}
    steps = {0, 1} | edges | {int(s) for s in rng.integers(0, 3 * d + 1, size=SAMPLED_STEPS)}
    if family == "CosineDecayRestarts" and kw["t_mul"] not in (1.0, 2.0, 3.0):
        near = _restart_starts(kw, 3 * d + 2)
        steps = {s for s in steps if all(abs(s - r) > 1 for r in near)}
    out = sorted(s for s in steps if s >= 0)
    return pad_steps(np.asarray(out, dtype=np.int64), PADDED_STEPS)


def _as_float64(kw: Kwargs) -> Kwargs:
    """Every float argument as np.float64, so Keras/TF compute in float64 (a Python float would pass
    through a float32 tensor first)."""

    def conv(v: Any) -> Any:
        if isinstance(v, float):
            return np.float64(v)
        if isinstance(v, list) and v and isinstance(v[0], float):
            return [np.float64(x) for x in v]
        return v

    return {k: conv(v) for k, v in kw.items()}


def keras_float64(family: str, kw: Kwargs, steps: np.ndarray) -> np.ndarray | None:
    """The reference in float64, or None where TF cannot run it in float64 (linear_cosine_decay)."""
    if family == "LinearCosineDecay":
        return None
    return keras_float32(family, _as_float64(kw), steps, dtype=tf.float64)


def keras_float32(family: str, kw: Kwargs, steps: np.ndarray, dtype: Any = None) -> np.ndarray:
    """The installed reference's float32 values at ``steps`` (int64, as optimizers pass them)."""
    dtype = tf.float32 if dtype is None else dtype
    if family in TF_V1_FUNCTIONS:
        fn = getattr(tf.compat.v1.train, TF_V1_FUNCTIONS[family])
        args = {("learning_rate" if k == "initial_learning_rate" else k): v for k, v in kw.items()}
        # In eager mode the v1 functions return a zero-argument callable.
        out = fn(global_step=tf.constant(steps, tf.int64), **args)()
    else:
        sched = getattr(keras.optimizers.schedules, family)(**kw)
        if family == "CosineDecay" and kw.get("warmup_target") is not None:
            # Keras branches with a scalar cond here: one step at a time.
            out = tf.stack([sched(tf.constant(s, tf.int64)) for s in steps.tolist()])
        else:
            out = sched(tf.constant(steps, tf.int64))
    assert out.dtype == dtype
    return out.numpy().astype(np.float64)


PARAMS = [
    pytest.param(family, k, id=f"{family}-{k}") for family in SAMPLERS for k in range(CONFIGS_PER_FAMILY)
]


@pytest.mark.parametrize(("family", "index"), PARAMS)
def test_float32_matches_live_reference(family: str, index: int) -> None:
    rng = np.random.default_rng([SEED, list(SAMPLERS).index(family), index])
    kw = SAMPLERS[family](rng)
    steps = _steps(family, kw, rng)
    ref = keras_float32(family, kw, steps)
    with jax.enable_x64(False):
        out = getattr(lrjit, family)(**kw)(jnp.asarray(steps, dtype=jnp.int32))
        assert out.dtype == jnp.float32
    got = np.asarray(out, dtype=np.float64)
    peak = float(np.max(np.abs(ref)))
    bound = accuracy_bound(ref, peak, x64=False)
    err = np.abs(got - ref)
    # lrjit may be closer to the exact value than Keras's float32 rounding: a step also passes when it is
    # within the same bound of Keras's float64 value.
    precise = keras_float64(family, kw, steps)
    near_precise = (
        np.abs(got - precise) <= accuracy_bound(precise, peak, x64=False)
        if precise is not None
        else np.zeros_like(got, dtype=bool)
    )
    bad = {  # keyed by step: the padding repeats the last one
        s: f"step {s}: lrjit={g!r} keras={r!r} |diff|={e:.3g} bound={b:.3g}"
        for s, g, r, e, b, ok in zip(steps.tolist(), got, ref, err, bound, near_precise, strict=True)
        if not (e <= b or ok)  # `not <=` also catches NaN
    }
    assert not bad, f"{family}({kw}):\n  " + "\n  ".join(list(bad.values())[:12])
