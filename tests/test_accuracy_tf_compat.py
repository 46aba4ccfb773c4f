"""The ``tf.compat.v1.train`` families against independent float64 closed forms.

The closed forms follow TensorFlow's ``tensorflow/python/keras/optimizer_v2/legacy_learning_rate_decay.py``
(``natural_exp_decay``, ``linear_cosine_decay``, ``noisy_linear_cosine_decay``) and the families'
docstrings; the method and the bounds are described in ``accuracy.py``.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import numpy as np
import pytest

import lrjit

from accuracy import (
    LOG_STEPS,
    Config,
    Stored,
    check_closed_form,
    families_of,
    hand,
    multiples,
    on_padded,
    params,
    progress,
)

FAMILIES = families_of("lrjit.families.tf_compat")


# ------------------------------------------------------------------------------------------------------
# References: (stored config, int64 steps) -> float64 values
# ------------------------------------------------------------------------------------------------------
def ref_natural_exp(c: Stored, s: np.ndarray) -> np.ndarray:
    """tf.compat.v1.train.natural_exp_decay: lr0 * exp(-k * s / D), s // D with staircase."""
    p = progress(s, c.i("decay_steps"), c.b("staircase"))
    return c.f("initial_learning_rate") * np.exp(-c.f("decay_rate") * p)


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


REFERENCES: dict[str, Callable[[Stored, np.ndarray], np.ndarray]] = {
    "NaturalExpDecay": ref_natural_exp,
    "LinearCosineDecay": ref_linear_cosine,
    "NoisyLinearCosineDecay": ref_noisy_linear_cosine,
}


# ------------------------------------------------------------------------------------------------------
# Edge steps of a config (each is tested with its neighbours +-2)
# ------------------------------------------------------------------------------------------------------
def edges(family: str, c: Stored, limit: int) -> list[int]:
    """Steps where the family's formula switches regime."""
    if family == "NaturalExpDecay":
        return multiples(c.i("decay_steps"), limit)
    if family in ("LinearCosineDecay", "NoisyLinearCosineDecay"):
        return [c.i("decay_steps")]
    return []


# ------------------------------------------------------------------------------------------------------
# Configs: hand-picked (the sampled ones come from cls.sample)
# ------------------------------------------------------------------------------------------------------
HAND: dict[str, list[Config]] = {
    "NaturalExpDecay": [
        hand("NaturalExpDecay", "D1", initial_learning_rate=0.1, decay_steps=1, decay_rate=0.05),
        hand("NaturalExpDecay", "D1e6", initial_learning_rate=1.0, decay_steps=10**6, decay_rate=5.0),
        hand(
            "NaturalExpDecay",
            "stair_D3",
            initial_learning_rate=0.1,
            decay_steps=3,
            decay_rate=0.5,
            staircase=True,
        ),
    ],
    "LinearCosineDecay": [
        hand("LinearCosineDecay", "D1e6", initial_learning_rate=0.1, decay_steps=10**6),
        hand(
            "LinearCosineDecay",
            "D1",
            initial_learning_rate=1.0,
            decay_steps=1,
            num_periods=2.5,
            alpha=0.1,
            beta=0.01,
        ),
        hand(
            "LinearCosineDecay",
            "periods3",
            initial_learning_rate=0.1,
            decay_steps=777,
            num_periods=3.0,
            alpha=0.2,
            beta=0.0,
        ),
        hand(
            "LinearCosineDecay",
            "negative_periods",
            initial_learning_rate=0.1,
            decay_steps=5000,
            num_periods=-1.5,
        ),
    ],
    "NoisyLinearCosineDecay": [
        hand(
            "NoisyLinearCosineDecay",
            "variance0_D1e6",
            initial_learning_rate=0.1,
            decay_steps=10**6,
            initial_variance=0.0,
        ),
        hand("NoisyLinearCosineDecay", "D1000", initial_learning_rate=1.0, decay_steps=1000, key=3),
        hand(
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
}


@pytest.mark.parametrize(("cfg", "precision"), params(FAMILIES, HAND))
def test_matches_closed_form(cfg: Config, precision: str) -> None:
    """lrjit within the float32 / x64 bound of the float64 closed form at every tested step."""
    check_closed_form(cfg, precision, REFERENCES, edges)


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
