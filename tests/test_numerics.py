"""Shared numerics of ``lrjit.core.numerics`` against exact references.

The division-free quotient and remainder against Python's ``//`` and ``%``: random and adversarial (step,
period) pairs: exact multiples and their neighbours, the largest steps the integer dtype holds and periods
from 1 to that largest value, in int32 and (x64) int64, also under vmap over periods (one period per
config, as in a batched schedule). The boundary counts against ``np.searchsorted``. ``pick`` (select or
gather) against ``np.take``. The float32 half cosine's polynomial against float64 ``sin``, at every fifth
float32 in [2**-30, 1], its ends, its reduction and its gradient.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lrjit.core.numerics import (
    cosine_annealing,
    count_boundaries_at_or_below,
    count_boundaries_below,
    periods_and_remainder,
    pick,
    reduce_half_turns,
    whole_periods,
)


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


def _half_cosine64(x: np.ndarray) -> np.ndarray:
    return np.sin(np.pi / 2 * x.astype(np.float64)) ** 2


def test_half_cosine_float32_within_three_ulps_everywhere_in_the_unit_interval() -> None:
    bits = np.arange(np.float32(2**-30).view(np.int32), np.float32(1).view(np.int32) + 1, 5, dtype=np.int32)
    x = np.concatenate([bits.view(np.float32), np.float32([0.5, np.nextafter(np.float32(0.5), 0), 1])])
    got = np.asarray(jax.jit(cosine_annealing)(jnp.asarray(x))).astype(np.float64)
    want = _half_cosine64(x)
    ulps = np.abs(got - want) / np.spacing(want.astype(np.float32)).astype(np.float64)
    assert ulps.max() <= 3, (ulps.max(), x[ulps.argmax()])
    # The ends are exact: the peak at a restart, 0 at the end of a decay.
    ends = np.asarray(cosine_annealing(jnp.asarray([0.0, 1.0, -1.0, 2.0], jnp.float32)))
    np.testing.assert_array_equal(ends, [0, 1, 1, 0])


def test_half_cosine_float32_reduces_any_argument_exactly() -> None:
    # Even, with period 2: arguments outside [0, 1] give the value of their exact reduction.
    x = np.float32([-0.25, 1.25, 2.75, -3.5, 1e6 + 0.5, 123456.75, 7.0])
    got = np.asarray(cosine_annealing(jnp.asarray(x))).astype(np.float64)
    reduced = np.abs(x.astype(np.float64) - 2 * np.round(x.astype(np.float64) / 2))
    np.testing.assert_allclose(got, _half_cosine64(reduced), rtol=4e-7, atol=0)
    assert np.isnan(np.asarray(cosine_annealing(jnp.asarray([np.nan, np.inf, -np.inf], jnp.float32)))).all()


@pytest.mark.parametrize("x", [0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0, 1.5])
def test_half_cosine_gradient(x: float) -> None:
    # d/dx sin(pi/2 x)**2 = pi/2 sin(pi x), also at x = 1/2, where the two halves of the polynomial meet.
    got = float(jax.grad(cosine_annealing)(jnp.float32(x)))
    assert got == pytest.approx(np.pi / 2 * np.sin(np.pi * x), rel=2e-6, abs=2e-6)


@pytest.mark.usefixtures("x64_does_not_leak")
def test_half_cosine_float64_is_sin_squared() -> None:
    with jax.enable_x64(True):
        x = np.random.default_rng(0).uniform(0, 1, 1000)
        got = np.asarray(cosine_annealing(jnp.asarray(x)))
        assert got.dtype == np.float64
        np.testing.assert_allclose(got, _half_cosine64(x), rtol=2e-16 * 8, atol=0)


# Boundary counts around each path of the search: none, one row of single boundaries (up to 32), two-level
# rows with the last one partial or full (33 to 1024), and the binary search beyond.
_BOUNDARY_COUNTS = [0, 1, 2, 5, 31, 32, 33, 34, 63, 65, 100, 999, 1000, 1023, 1024, 1025, 3000]


@pytest.mark.usefixtures("x64_does_not_leak")
@pytest.mark.parametrize("x64", [False, True])
@pytest.mark.parametrize("n", _BOUNDARY_COUNTS)
def test_boundary_counts_are_searchsorted(n: int, x64: bool) -> None:
    # Sorted boundaries with repeats (a run at the start, the largest step the dtype holds at the end), at
    # every boundary, its neighbours, 0, negatives and the largest step; three configs under vmap, and a
    # scalar step.
    rng = np.random.default_rng(n)
    with jax.enable_x64(x64):
        dtype = np.dtype(np.int64 if x64 else np.int32)
        top = int(np.iinfo(dtype).max)
        tables = np.sort(rng.integers(0, [[50], [10**5], [top]], size=(3, n), dtype=dtype), axis=-1)
        if n:
            tables[2, : n // 3 + 1] = tables[2, 0]
            tables[2, -1] = top
        near = np.concatenate([tables.ravel() - 1, tables.ravel(), np.minimum(tables.ravel(), top - 1) + 1])
        steps = np.unique(np.concatenate([near, [-3, 0, 1, top - 1, top], rng.integers(0, top, 50)]))
        steps = steps.clip(-3, top).astype(dtype)
        for count, side in ((count_boundaries_below, "left"), (count_boundaries_at_or_below, "right")):
            want = np.stack([np.searchsorted(t, steps, side=side) for t in tables])
            got = jax.jit(jax.vmap(count, in_axes=(None, 0)))(jnp.asarray(steps), jnp.asarray(tables))
            assert got.dtype == dtype
            np.testing.assert_array_equal(got, want, err_msg=side)
            i = len(steps) // 2
            assert int(count(jnp.asarray(steps[i]), jnp.asarray(tables[1]))) == want[1, i]


@pytest.mark.parametrize("n", [1, 2, 33, 34, 100])
def test_pick_is_take_with_clipped_indices(n: int) -> None:
    # Up to 33 entries a select, beyond a gather: the same entries, also vmapped over per-config tables.
    rng = np.random.default_rng(n)
    tables = rng.normal(size=(3, n)).astype(np.float32)
    index = rng.integers(-2, n + 3, size=200).astype(np.int32)
    want = np.take(tables, np.clip(index, 0, n - 1), axis=1)
    got = jax.jit(jax.vmap(pick, in_axes=(0, None)))(jnp.asarray(tables), jnp.asarray(index))
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(pick(jnp.asarray(tables[0]), jnp.asarray(index)), want[0])


@pytest.mark.usefixtures("x64_does_not_leak")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_reduce_half_turns_is_the_exact_remainder(dtype: type) -> None:
    # x minus the nearest even integer, ties to even, bit for bit NumPy's exact x - 2 * round(x / 2).
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.uniform(-4, 4, 500), 10.0 ** rng.uniform(-6, 12, 500), [1, -1, 3, 0.5, 2.5, 0]])
    x = x.astype(dtype)
    with jax.enable_x64(dtype == np.float64):
        got = np.asarray(jax.jit(reduce_half_turns)(jnp.asarray(x)))
    np.testing.assert_array_equal(got, x - 2 * np.round(x / 2))
    assert np.all(np.abs(got) <= 1)
