"""``lrjit.core.numerics.power`` and ``exact_exp2`` against float64 NumPy (float32) and ``math.pow`` (x64).

``power`` replaces ``pow`` in the staircases and restarts: whole exponents below 16 must stay within two
ulps of the correctly rounded power (``gamma ** 1`` exactly ``gamma``), powers of two exact, and larger
exponents within ``|exponent * log2(base)|`` ulps plus the fraction's few; a count of at most 1024
boundaries (``at_most``) within eleven ulps at every count; ``exact_exp2`` must be exact at integers,
0 / inf beyond the float range, NaN for NaN.
"""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lrjit.core.numerics import exact_exp2, power

BASES = [0.05, 0.1, 0.3, 0.5, 0.7, 0.9, 0.95, 0.99, 0.999, 0.9999, 1.0, 1.1, 1.5, 2.0, 3.0, 10.0]


def _exponents(rng: np.random.Generator) -> np.ndarray:
    whole = np.r_[np.arange(0, 64), [100, 255, 256, 1000, 4096, 65535, 2**20, 2**24, 2**30, 2**31 - 1]]
    return np.r_[whole, rng.uniform(0, 40, 200), rng.uniform(0, 1, 50)]


def _ulps(got: np.ndarray, want: np.ndarray, dtype: type) -> np.ndarray:
    """|got - want| in ulps of want (of the smallest normal below it); 0 where both are 0 or both inf."""
    info = np.finfo(dtype)
    scale = np.maximum(np.abs(want), info.smallest_normal) * info.eps
    same = (got == want) | (np.isinf(got) & np.isinf(want) & (np.sign(got) == np.sign(want)))
    with np.errstate(invalid="ignore"):  # inf - inf where ``same`` holds
        return np.where(same, 0.0, np.abs(got.astype(np.float64) - want) / scale)


def _exact_power(bases: np.ndarray, exponents: np.ndarray, x64: bool) -> np.ndarray:
    """``bases ** exponents`` (float64 arrays that broadcast), correctly rounded to the tested dtype: math.pow
    (inf past the float64 range) for x64, float64 NumPy rounded to float32 (to ~1e-16) otherwise."""
    if x64:
        return np.vectorize(lambda b, e: math.pow(b, e) if math.log2(b) * e < 1024 else math.inf)(
            bases, exponents
        )
    with np.errstate(over="ignore"):
        return np.power(bases, exponents).astype(np.float32)


@pytest.mark.parametrize("bits", [4, 8])
@pytest.mark.parametrize("x64", [False, True], ids=["float32", "x64"])
def test_power_against_the_exact_power(x64: bool, bits: int) -> None:
    dtype = np.float64 if x64 else np.float32
    rng = np.random.default_rng(0)
    exps = _exponents(rng).astype(dtype)
    with jax.enable_x64(x64):
        bases = np.asarray(BASES, dtype)
        got = np.asarray(
            jax.jit(functools.partial(power, exact_bits=bits))(
                jnp.asarray(bases)[:, None], jnp.asarray(exps)[None, :]
            )
        )
    assert got.dtype == dtype
    b64 = bases.astype(np.float64)[:, None]
    e64 = exps.astype(np.float64)[None, :]
    want = _exact_power(b64, e64, x64)
    err = _ulps(got, want, dtype)
    whole_small = (e64 == np.floor(e64)) & (e64 < 2**bits)
    # The bound of the docstring: two ulps for whole exponents below 16 (half an ulp per factor and per
    # product; ``bits`` ulps below 2**bits), else |exponent * log2(base)| ulps for the product's rounding
    # plus a few for exp2 of the fraction and the factors.
    allowed = np.where(whole_small, bits / 2, 2.0 * np.abs(e64 * np.log2(b64)) + bits)
    normal = np.abs(want) >= np.finfo(dtype).smallest_normal  # subnormal powers flush to 0
    bad = (err > allowed) & normal
    rows, cols = np.nonzero(bad)
    assert not bad.any(), [(b64[i, 0], e64[0, j], got[i, j]) for i, j in zip(rows, cols, strict=True)]
    assert np.all(got[~normal & np.isfinite(want)] <= np.finfo(dtype).smallest_normal)


@pytest.mark.parametrize("x64", [False, True], ids=["float32", "x64"])
def test_power_is_exact_where_the_power_is_representable(x64: bool) -> None:
    """``base ** 1 == base``, ``base ** 0 == 1`` (also for base 0), powers of two exact."""
    dtype = np.float64 if x64 else np.float32
    with jax.enable_x64(x64):
        bases = jnp.asarray(np.asarray([*BASES, 0.0], dtype))[:, None]
        ones = np.asarray(power(bases, jnp.ones((1, 3), dtype)))
        zeros = np.asarray(power(bases, jnp.zeros((1, 3), dtype)))
        k = jnp.arange(0, 120, dtype=dtype)
        twos = np.asarray(power(jnp.asarray([[2.0], [0.5], [4.0]], dtype), k[None, :]))
    np.testing.assert_array_equal(ones, np.broadcast_to(np.asarray([*BASES, 0.0], dtype)[:, None], (17, 3)))
    np.testing.assert_array_equal(zeros, 1.0)
    kk = np.arange(120.0)
    np.testing.assert_array_equal(twos[0], np.exp2(kk).astype(dtype))
    np.testing.assert_array_equal(twos[1], np.exp2(-kk).astype(dtype))
    with np.errstate(over="ignore"):
        np.testing.assert_array_equal(twos[2], np.exp2(2 * kk).astype(dtype))


def test_power_of_zero_and_its_gradient() -> None:
    got = np.asarray(power(jnp.asarray([[0.0]]), jnp.asarray([[0.0, 0.5, 1.0, 3.0, 17.0, 1e9]])))
    np.testing.assert_array_equal(got, [[1.0, 0.0, 0.0, 0.0, 0.0, 0.0]])
    grads = [
        float(jax.grad(lambda b, e=e: power(b, jnp.float32(e)))(jnp.float32(0.0))) for e in (0.0, 1.0, 3.0)
    ]
    assert np.all(np.isfinite(grads)) and grads[0] == 0.0 and grads[1] == 1.0
    b, e = 0.7, 5.0  # d/db b**e and d/de b**e at a whole and at a fractional exponent
    for ee in (e, e + 0.25):
        db, de = jax.grad(lambda b, x: power(b, x), argnums=(0, 1))(jnp.float32(b), jnp.float32(ee))
        np.testing.assert_allclose([db, de], [ee * b ** (ee - 1), b**ee * math.log(b)], rtol=2e-6)


def test_power_of_an_infinite_or_nan_exponent() -> None:
    """As ``pow``: a traced ``decay_steps=0`` makes the exponent inf, and the power 0 below 1, inf above."""
    got = np.asarray(power(jnp.asarray([[0.5], [2.0], [0.0]]), jnp.asarray([[np.inf, np.nan]])))
    np.testing.assert_array_equal(got[:, 0], [0.0, np.inf, 0.0])
    assert np.all(np.isnan(got[:, 1]))


@pytest.mark.parametrize("x64", [False, True], ids=["float32", "x64"])
def test_exact_exp2(x64: bool) -> None:
    dtype = np.float64 if x64 else np.float32
    info = np.finfo(dtype)
    bias = info.maxexp - 1
    whole = np.arange(-bias - 30, bias + 30, dtype=np.float64)
    frac = np.random.default_rng(1).uniform(-60, 60, 5000)
    with jax.enable_x64(x64):
        at_whole = np.asarray(jax.jit(exact_exp2)(jnp.asarray(whole, dtype)))
        at_frac = np.asarray(jax.jit(exact_exp2)(jnp.asarray(frac, dtype)))
        special = np.asarray(exact_exp2(jnp.asarray([-np.inf, np.inf, np.nan, -0.0], dtype)))
    with np.errstate(over="ignore"):
        want = np.exp2(whole).astype(dtype)
    normal_or_beyond = (whole >= -bias + 1) | (whole > 0)
    np.testing.assert_array_equal(at_whole[normal_or_beyond], want[normal_or_beyond])
    assert np.all(at_whole[whole < -bias + 1] <= info.smallest_normal)  # subnormals flush to 0
    np.testing.assert_array_max_ulp(at_frac, np.exp2(frac.astype(dtype).astype(np.float64)).astype(dtype), 3)
    assert special[0] == 0 and special[1] == np.inf and np.isnan(special[2]) and special[3] == 1


@pytest.mark.parametrize("at_most", [0, 1, 2, 5, 15])
def test_a_bounded_count_skips_the_exp2_with_the_same_bits(at_most: int) -> None:
    # A count of at most 15 boundaries: the product of the per-config factors alone, bitwise the general
    # power's value (its exp2 part is exactly 1 there), also batched and in its gradient.
    rng = np.random.default_rng(at_most)
    base = jnp.asarray(rng.uniform(0.05, 3.0, (6, 1)), jnp.float32)
    count = jnp.arange(at_most + 1, dtype=jnp.float32)[None, :]
    bounded = jax.jit(functools.partial(power, at_most=at_most))(base, count)
    np.testing.assert_array_equal(bounded, jax.jit(power)(base, count))
    grad = jax.grad(lambda b: power(b, count[0], at_most=at_most).sum())(base[0, 0])
    want = jax.grad(lambda b: power(b, count[0]).sum())(base[0, 0])
    assert float(grad) == pytest.approx(float(want), rel=1e-6)


@pytest.mark.parametrize("at_most", [16, 100, 1024])
@pytest.mark.parametrize("x64", [False, True], ids=["float32", "x64"])
def test_a_count_up_to_1024_is_a_product_within_its_factors_ulps(x64: bool, at_most: int) -> None:
    # Counts of 16 to 1024 boundaries: eleven per-config factors and no exp2, each count within half an ulp
    # per factor and per product (eleven ulps) of the exact power, where the exp2 route drifts by up to
    # |count * log2(base)| ulps; the same program for every such bound; counts below 16 bitwise the
    # general power's.
    dtype = np.float64 if x64 else np.float32
    count = np.arange(at_most + 1, dtype=np.float64)
    with jax.enable_x64(x64):
        bases = np.asarray(BASES, dtype)
        bounded = jax.jit(functools.partial(power, at_most=at_most))
        got = np.asarray(bounded(jnp.asarray(bases)[:, None], jnp.asarray(count, dtype)[None, :]))
        general = np.asarray(
            jax.jit(power)(jnp.asarray(bases)[:, None], jnp.asarray(count[:16], dtype)[None, :])
        )
        one = (bases[0], count[0].astype(dtype))
        programs = {  # the equations' primitives (the bound itself is a constant of the clip)
            tuple(e.primitive.name for e in jax.make_jaxpr(functools.partial(power, at_most=m))(*one).eqns)
            for m in (16, 1024)
        }
    want = _exact_power(bases.astype(np.float64)[:, None], count[None, :], x64)
    normal = np.abs(want) >= np.finfo(dtype).smallest_normal  # subnormal powers flush to 0
    err = _ulps(got, want, dtype)
    assert err[normal].max() <= 11, float(err[normal].max())
    assert np.all(got[~normal] <= np.finfo(dtype).smallest_normal)
    np.testing.assert_array_equal(got[:, :16], general)
    assert len(programs) == 1
