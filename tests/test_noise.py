"""NoisyLinearCosineDecay: reproducible noise with TF's variance law.

Reference: ``tf.compat.v1.train.noisy_linear_cosine_decay`` (Bello et al. 2017): the linear term gets
``eps ~ N(0, initial_variance / (1 + min(step, decay_steps)) ** variance_decay)``; TF draws an unseeded
sample per call, lrjit draws ``normal(fold_in(key, step))`` so the curve is a pure function of (key, step).

Guards: (a) the same key and step give the same draw and value whatever the batch, order, shape or
transformation; (b) different keys give different curves; (c) over 4000 keys the implied noise has mean 0
and TF's variance at a step inside the decay and one past it; (d) ``initial_variance=0`` is exactly
``LinearCosineDecay``.
"""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import lrjit

KW: dict[str, Any] = {"initial_learning_rate": 0.1, "decay_steps": 1000, "initial_variance": 1.0}
STEPS = np.arange(0, 2000, dtype=np.int64)  # inside the decay and past decay_steps
SAMPLE = np.array([0, 1, 2, 499, 999, 1000, 1001, 1999])
N_KEYS = 4000
SIGMAS = 5.0


def _noisy(key: Any = 42, **kw: Any) -> lrjit.NoisyLinearCosineDecay:
    return lrjit.NoisyLinearCosineDecay(key=key, **{**KW, **kw})


# ------------------------------------------------------------------------------------------------------
# (a) determinism
# ------------------------------------------------------------------------------------------------------
def test_draw_is_a_pure_function_of_key_and_step() -> None:
    """``standard_normal(step)`` is bitwise the same for a scalar step, inside a 2-D array, in a shuffled
    array, under jit and under vmap: the draw depends on nothing but (key, step)."""
    sched = _noisy()
    full = np.asarray(sched.standard_normal(jnp.asarray(STEPS)))
    for k in SAMPLE:
        assert np.asarray(sched.standard_normal(jnp.asarray(k))) == full[k]
    np.testing.assert_array_equal(
        np.asarray(sched.standard_normal(jnp.asarray(STEPS.reshape(40, 50)))), full.reshape(40, 50)
    )
    perm = np.random.default_rng(0).permutation(STEPS.size)
    np.testing.assert_array_equal(np.asarray(sched.standard_normal(jnp.asarray(STEPS[perm]))), full[perm])
    np.testing.assert_array_equal(np.asarray(jax.jit(sched.standard_normal)(jnp.asarray(STEPS))), full)
    np.testing.assert_array_equal(np.asarray(jax.vmap(sched.standard_normal)(jnp.asarray(STEPS))), full)


def test_values_agree_across_array_layouts_and_batches() -> None:
    """The learning rate at a step is bitwise the same in a 1-D array, a 2-D array, a shuffled array, a
    repeated array, and as one row of a stacked batch of configs with other keys."""
    sched = _noisy()
    full = np.asarray(sched(STEPS))
    np.testing.assert_array_equal(np.asarray(sched(STEPS.reshape(40, 50))), full.reshape(40, 50))
    perm = np.random.default_rng(1).permutation(STEPS.size)
    np.testing.assert_array_equal(np.asarray(sched(STEPS[perm])), full[perm])
    np.testing.assert_array_equal(np.asarray(sched(np.concatenate([STEPS, STEPS]))), np.tile(full, 2))
    batch = lrjit.stack([_noisy(key=7), sched, _noisy(key=9)])
    rows = np.asarray(batch(STEPS))
    assert rows.shape == (3, STEPS.size)
    np.testing.assert_array_equal(rows[1], full)
    np.testing.assert_array_equal(rows[0], np.asarray(_noisy(key=7)(STEPS)))


def test_int_seed_and_key_object_agree() -> None:
    """``key=42`` is ``key=jax.random.key(42)``."""
    np.testing.assert_array_equal(
        np.asarray(_noisy(42)(STEPS)), np.asarray(_noisy(jax.random.key(42))(STEPS))
    )


def test_values_identical_for_scalar_and_array_steps() -> None:
    """A step gives bitwise the same learning rate alone (a scalar) as inside an array of steps."""
    sched = _noisy()
    full = np.asarray(sched(STEPS))
    got = np.array([np.asarray(sched(int(k))) for k in STEPS[::5]])
    np.testing.assert_array_equal(got, full[::5])


def test_jit_agrees_to_float_rounding() -> None:
    """Under jit XLA fuses the formula (and may contract multiply-adds), so the learning rate agrees with
    the eager value to float rounding, as the docstring says; the noise draw itself is bitwise the same
    (``test_draw_is_a_pure_function_of_key_and_step``)."""
    sched = _noisy()
    full = np.asarray(sched(STEPS))
    got = np.asarray(jax.jit(sched)(STEPS))
    tol = 4 * np.finfo(np.float32).eps * np.max(np.abs(full))
    assert np.max(np.abs(got - full)) <= tol


# ------------------------------------------------------------------------------------------------------
# (b) different keys
# ------------------------------------------------------------------------------------------------------
def test_different_keys_give_different_curves() -> None:
    """Ten keys: every pair differs at every step before decay_steps (the noise is never shared between
    keys), and the draws of one key differ from step to step. (Past decay_steps the default
    ``num_periods=0.5`` makes the cosine factor 0, so TF's formula hides the noise there.)"""
    inside = STEPS[STEPS < KW["decay_steps"]]
    curves = np.stack([np.asarray(_noisy(k)(inside)) for k in range(10)])
    for i in range(10):
        for j in range(i + 1, 10):
            assert np.all(curves[i] != curves[j]), (i, j)
    draws = np.asarray(_noisy(0).standard_normal(jnp.asarray(STEPS)))
    assert np.unique(draws).size == STEPS.size


# ------------------------------------------------------------------------------------------------------
# (c) the variance law
# ------------------------------------------------------------------------------------------------------
VAR_KW = {
    "initial_learning_rate": 0.5,
    "decay_steps": 1000,
    "initial_variance": 0.8,
    "variance_decay": 0.55,
    "num_periods": 1.0,  # cosine(D) = 1, so the noise stays visible past decay_steps
    "alpha": 0.05,
    "beta": 0.002,
}


def _implied_noise(values: np.ndarray, step: int) -> np.ndarray:
    """``(lr / initial_learning_rate - beta) / cosine - alpha - linear`` at ``step`` (float64)."""
    d = VAR_KW["decay_steps"]
    t = min(step, d)
    linear = (d - t) / d
    cosine = 0.5 * (1 + math.cos(2 * math.pi * VAR_KW["num_periods"] * t / d))
    assert cosine > 0.1
    return (values / VAR_KW["initial_learning_rate"] - VAR_KW["beta"]) / cosine - VAR_KW["alpha"] - linear


@pytest.fixture(scope="module")
def many_keys() -> dict[int, np.ndarray]:
    """The implied noise of N_KEYS configs (a batched ``key`` leaf: one config per key) at three steps."""
    with jax.enable_x64(True):
        keys = jax.random.split(jax.random.key(20240611), N_KEYS)
        batch = lrjit.NoisyLinearCosineDecay(key=keys, **VAR_KW)
        assert lrjit.batch_size(batch) == N_KEYS
        steps = np.array([0, 100, 5000])
        values = np.asarray(batch(steps))
        assert values.shape == (N_KEYS, 3) and values.dtype == np.float64
        # the batch is a stack of single configs: spot-check three rows against configs built alone
        for row in (0, 1234, N_KEYS - 1):
            single = lrjit.NoisyLinearCosineDecay(key=keys[row], **VAR_KW)
            np.testing.assert_array_equal(np.asarray(single(steps)), values[row])
    return {int(s): _implied_noise(values[:, k], int(s)) for k, s in enumerate(steps)}


@pytest.mark.parametrize("step", [0, 100, 5000])
def test_noise_variance_follows_tf_law(many_keys: dict[int, np.ndarray], step: int) -> None:
    """Sample variance within 5 sigma of ``initial_variance / (1 + min(step, D)) ** variance_decay``.

    For n normal draws, (n - 1) S^2 / sigma^2 is chi-square with n - 1 degrees of freedom: mean n - 1,
    standard deviation sqrt(2 (n - 1)); so |S^2 / sigma^2 - 1| <= 5 sqrt(2 / (n - 1)) (0.11 for n = 4000).
    Step 5000 is past decay_steps, where TF clamps the step in the variance.
    """
    eps = many_keys[step]
    d = VAR_KW["decay_steps"]
    sigma2 = VAR_KW["initial_variance"] / (1 + min(step, d)) ** VAR_KW["variance_decay"]
    n = eps.size
    ratio = float(np.var(eps, ddof=1)) / sigma2
    assert abs(ratio - 1) <= SIGMAS * math.sqrt(2 / (n - 1)), (step, ratio)
    assert abs(float(np.mean(eps))) <= SIGMAS * math.sqrt(sigma2 / n), (step, float(np.mean(eps)))


def test_noise_is_gaussian_and_independent_across_steps(many_keys: dict[int, np.ndarray]) -> None:
    """The standardized draws look N(0, 1) (share within one sigma ~ 0.683) and draws at different steps
    of one key are uncorrelated (|r| <= 5 / sqrt(n))."""
    d = VAR_KW["decay_steps"]
    z = {
        s: e / math.sqrt(VAR_KW["initial_variance"] / (1 + min(s, d)) ** VAR_KW["variance_decay"])
        for s, e in many_keys.items()
    }
    n = N_KEYS
    p = math.erf(1 / math.sqrt(2))
    for s, zs in z.items():
        share = float(np.mean(np.abs(zs) < 1))
        assert abs(share - p) <= SIGMAS * math.sqrt(p * (1 - p) / n), (s, share)
    for a, b in ((0, 100), (0, 5000), (100, 5000)):
        r = float(np.corrcoef(z[a], z[b])[0, 1])
        assert abs(r) <= SIGMAS / math.sqrt(n), (a, b, r)


# ------------------------------------------------------------------------------------------------------
# (d) no noise
# ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("precision", ["float32", "x64"])
def test_zero_variance_is_linear_cosine_decay(precision: str) -> None:
    """``initial_variance=0`` gives exactly ``LinearCosineDecay`` (tf.compat.v1.train.linear_cosine_decay),
    inside and past decay_steps, for any key."""
    kw = {"initial_learning_rate": 0.3, "decay_steps": 700, "num_periods": 2.5, "alpha": 0.1, "beta": 0.01}
    with jax.enable_x64(precision == "x64"):
        plain = np.asarray(lrjit.LinearCosineDecay(**kw)(STEPS))
        for key in (0, 5, jax.random.key(99)):
            noisy = lrjit.NoisyLinearCosineDecay(initial_variance=0.0, key=key, **kw)
            np.testing.assert_array_equal(np.asarray(noisy(STEPS)), plain)
