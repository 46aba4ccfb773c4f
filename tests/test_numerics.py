"""The division-free quotient and remainder of ``lrjit.core.numerics`` against Python's ``//`` and ``%``.

Random and adversarial (step, period) pairs: exact multiples and their neighbours, the largest steps the
integer dtype holds and periods from 1 to that largest value, in int32 and (x64) int64, also under vmap
over periods (one period per config, as in a batched schedule).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lrjit.core.numerics import periods_and_remainder, whole_periods


def _pairs(bits: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    top = 2**bits - 1
    rng = np.random.default_rng(seed)
    periods = [1, 2, 3, 7, 1000, 2**30, 2**30 + 1, top - 1, top, 2 ** (bits - 1), 2 ** (bits - 1) + 1]
    periods += [int(x) for x in rng.integers(1, top, 24, endpoint=True)]
    periods += [int(x) for x in 2 ** rng.uniform(0, bits, 24)]
    steps, dividers = [], []
    for d in periods:
        d = min(max(d, 1), top)
        ks = {0, 1, 2, 3, top // d, max(top // d - 1, 0)} | {int(k) for k in rng.integers(0, top // d + 1, 6)}
        cand = {0, 1, d - 1, d, d + 1, top, top - 1, top - 2, 2**31 - 1, 2**31 - 2}
        cand |= {int(x) for x in rng.integers(0, top, 12, endpoint=True)}
        for k in ks:
            cand |= {k * d - 1, k * d, k * d + 1, k * d + d - 1}
        for n in cand:
            if 0 <= n <= top:
                steps.append(n)
                dividers.append(d)
    return np.array(steps, dtype=object), np.array(dividers, dtype=object)


def _check(bits: int, dtype: np.dtype, seed: int) -> None:
    steps, periods = _pairs(bits, seed)
    n, d = jnp.asarray(steps.astype(dtype)), jnp.asarray(periods.astype(dtype))
    q, r = jax.jit(periods_and_remainder)(n, d)
    assert q.dtype == dtype and r.dtype == dtype
    want_q = np.array([int(n) // int(d) for n, d in zip(steps, periods, strict=True)], dtype=dtype)
    want_r = np.array([int(n) % int(d) for n, d in zip(steps, periods, strict=True)], dtype=dtype)
    bad = np.flatnonzero((np.asarray(q) != want_q) | (np.asarray(r) != want_r))
    assert bad.size == 0, [(steps[i], periods[i], int(q[i]), int(r[i])) for i in bad[:5]]


@pytest.mark.parametrize("seed", [0, 1])
def test_int32_quotient_and_remainder(seed: int) -> None:
    _check(31, np.dtype(np.int32), seed)


@pytest.mark.parametrize("seed", [0, 1])
def test_int64_quotient_and_remainder(seed: int) -> None:
    with jax.enable_x64(True):
        _check(63, np.dtype(np.int64), seed)
        _check(31, np.dtype(np.int64), seed + 10)  # int64 steps in the int32 range


def test_dense_small_range() -> None:
    """Every step 0..4095 against every period 1..64: each exact multiple and its neighbours."""
    n = jnp.arange(4096, dtype=jnp.int32)
    d = jnp.arange(1, 65, dtype=jnp.int32)
    q, r = jax.jit(jax.vmap(periods_and_remainder, in_axes=(None, 0)))(n, d)
    nn, dd = np.meshgrid(np.arange(4096), np.arange(1, 65))
    np.testing.assert_array_equal(np.asarray(q), nn // dd)
    np.testing.assert_array_equal(np.asarray(r), nn % dd)


@pytest.mark.parametrize("x64", [False, True])
def test_vmapped_over_periods(x64: bool) -> None:
    """One period per config, steps shared (the layout of ``lrjit.curves``), near the dtype's top."""
    with jax.enable_x64(x64):
        dtype = np.dtype(np.int64 if x64 else np.int32)
        top = int(np.iinfo(dtype).max)
        rng = np.random.default_rng(3)
        periods = np.array([1, 2, 3, 7, 1000, 2**30, top, top - 1, *rng.integers(1, top, 8)], dtype=dtype)
        edges = [0, 1, 999, 1000, 2**30, 2**31 - 2, 2**31 - 1, top - 1, top]
        steps = np.array([*edges, *rng.integers(0, top, 55)]).astype(dtype)
        q = jax.jit(jax.vmap(whole_periods, in_axes=(None, 0)))(jnp.asarray(steps), jnp.asarray(periods))
        want = np.array([[int(n) // int(d) for n in steps] for d in periods], dtype=dtype)
        np.testing.assert_array_equal(np.asarray(q), want)
