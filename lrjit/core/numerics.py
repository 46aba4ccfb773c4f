"""The numerics families and compositions share, each written once.

Every function here is pure jax.numpy on arrays of steps; integer arithmetic is used wherever a count is
involved (periods passed, number of boundaries passed), so that values at exact boundaries are exact and
large steps lose no precision to float rounding.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

__all__ = [
    "cos_pi",
    "cosine_annealing",
    "count_boundaries_at_or_below",
    "count_boundaries_below",
    "decay_progress",
    "exact_exp2",
    "linear_warmup",
    "noam",
    "periods_and_remainder",
    "pick",
    "power",
    "ratio",
    "reduce_half_turns",
    "saturating_add",
    "successor",
    "warmup_rise",
    "whole_periods",
]


def ratio(numerator: jax.Array, denominator: jax.Array) -> jax.Array:
    """``numerator / denominator`` as an IEEE division, also when the denominator is one value per config.

    XLA rewrites ``x / broadcast(d)`` into ``x * (1 / d)``, which is an ulp off for about a quarter of
    quotients (``41 / 41`` gives 0.99999994 in float32, so a decay would never reach its end value, and
    values would depend on whether steps come as a scalar or an array). Adding ``0 * numerator`` makes the
    denominator elementwise, so the division is kept (it is not foldable: ``0 * x`` is NaN for infinite x).
    """
    return numerator / (denominator + 0 * numerator)


# Exponents below 2**_EXACT_BITS take their whole part from products of correctly rounded per-config
# powers base ** (2 ** i), so the first decays equal ``base ** n`` to an ulp (``gamma ** 1`` is exactly
# ``gamma``); beyond that the relative error grows with the exponent, where the power is already small.
_EXACT_BITS = 4


def power(
    base: jax.Array, exponent: jax.Array, *, exact_bits: int = _EXACT_BITS, at_most: int | None = None
) -> jax.Array:
    """``base ** exponent`` for a base >= 0 given once per config and an exponent >= 0 per step.

    XLA's CPU backend evaluates ``pow`` as one scalar library call per element, which alone costs about as
    much as a whole cosine curve. Here the exponent is split into ``lo + hi + f`` (``lo`` its whole part
    modulo 16, ``hi`` a multiple of 16, ``f`` in [0, 1)): ``base ** lo`` is a product of at most four
    per-config powers ``base ** (2 ** i)`` (each a correctly rounded ``pow``, taken once per config) and
    the rest is one vectorized :func:`exact_exp2` of ``(hi + f) * log2(base)``, exactly 1 when ``hi + f``
    is 0. So the first fifteen whole exponents (a staircase's first decays) are within an ulp or two of
    ``pow`` (``base ** 1`` is exactly ``base``), powers of two are exact, and elsewhere the relative error
    is about ``|exponent * log2(base)|`` ulps: 2e-6 where the power is 1e-6, far below the accuracy
    bound's absolute term there.

    ``exact_bits`` (static) moves the split: whole exponents below ``2 ** exact_bits`` take the product.
    ``at_most`` (static) says the exponent is a whole number in ``[0, at_most]`` (a count of at most
    ``at_most`` boundaries, up to the 1024 of the fused boundary search): the product alone is the power,
    with no exp2 and no per-config log. Below ``2 ** exact_bits`` one factor per bit of ``at_most`` (the
    same value as without ``at_most``); from there to 1024, eleven factors (one program for all those
    counts), within half an ulp per factor and per product of the power at every count (2.6 ulps at most
    over tests/test_power.py's bases and counts to 1024; the exp2 route's drift reaches 52 there, 377 in
    float64).
    """
    exponent = exponent.astype(jnp.result_type(base))
    if at_most is not None and at_most <= _FUSED_COUNT_MAX:
        small = at_most < 2**exact_bits
        bits = max(at_most.bit_length(), 1) if small else _FUSED_COUNT_MAX.bit_length()
        lo = jnp.clip(exponent, 0, at_most).astype(jnp.int32)
        return _low_power(base, lo, jnp.ones_like(exponent), bits)
    # The whole part modulo 16 (a whole part past 2**30 is clipped there, a multiple of 16); the rest,
    # ``exponent - lo``, is exact, and infinite where the exponent is.
    lo = jnp.clip(exponent, 0, 2**30).astype(jnp.int32) & (2**exact_bits - 1)
    # log2(0) as the most negative float: 0 ** 0 stays exp2(0) = 1 (not 0 * -inf); the safe argument keeps
    # the unused branch's gradient finite.
    positive = base > 0
    log_base = jnp.where(positive, jnp.log2(jnp.where(positive, base, 1)), jnp.finfo(exponent.dtype).min)
    rest = exact_exp2((exponent - lo.astype(exponent.dtype)) * log_base)
    return _low_power(base, lo, rest, exact_bits)


def exact_exp2(x: jax.Array) -> jax.Array:
    """``2 ** x``, exact where ``x`` is a whole number; results below the smallest normal float are 0.

    XLA lowers ``exp2`` to ``exp(x * ln 2)``, an ulp or so off at most integers; here only the fraction
    ``x - floor(x)`` (exact, in [0, 1)) goes through ``exp2`` and the whole part is written into the
    exponent bits of a power of two. Subnormal results are flushed to 0 (XLA's CPU backend flushes them
    anyway; they are below any accuracy bound).
    """
    info = jnp.finfo(x.dtype)
    bias = info.maxexp - 1
    # Exponent field 0 is the float 0 and all ones is inf: 2 ** x under- or overflowed (NaN stays NaN).
    x = jnp.clip(x, -bias, bias + 1)
    whole = jnp.floor(x)
    fraction_power = jnp.exp2(x - whole)
    field = whole + bias
    itype = jnp.int32 if info.bits == 32 else jnp.int64
    return fraction_power * lax.bitcast_convert_type(field.astype(itype) << info.nmant, x.dtype)


def _low_power(base: jax.Array, lo: jax.Array, value: jax.Array, bits: int) -> jax.Array:
    """``value * base ** lo`` for ``0 <= lo < 2 ** bits``, one factor ``base ** (2 ** i)`` per set bit."""
    # The factors as one per-config vector (one small kernel, not one per factor). A factor past the
    # float range is inf from a safe base, and an unset bit multiplies by 1, so that no gradient meets
    # inf * 0 = NaN where the factor is not used.
    dtype = value.dtype
    limits = jnp.asarray(float(jnp.finfo(dtype).max) ** (0.5 ** np.arange(bits)), dtype)
    b = jnp.expand_dims(base, -1)
    fits = b < limits
    factors = jnp.where(
        fits, jnp.power(jnp.where(fits, b, 1), jnp.asarray(2.0 ** np.arange(bits), dtype)), jnp.inf
    )
    for i in range(bits):
        value = value * jnp.where((lo >> i) & 1 == 1, factors[..., i], 1)
    return value


def cos_pi(fraction: jax.Array) -> jax.Array:
    """cos(pi * fraction); ``pi`` is rounded to the fraction's dtype and multiplied in it, as in Keras/TF.

    The fraction is first reduced exactly to [-1, 1] (cos is 2-periodic in it), so a large phase, as in
    ``LinearCosineDecay`` with many periods, loses no precision in the product with pi. For fractions in
    [0, 1], the Keras range, this is the identity.
    """
    return jnp.cos(jnp.asarray(math.pi, dtype=fraction.dtype) * reduce_half_turns(fraction))


def reduce_half_turns(x: jax.Array) -> jax.Array:
    """``x`` minus the nearest even integer (ties to even): exact, in [-1, 1], so that a function of
    ``pi * x`` with period 2 in ``x`` loses no precision to a large ``x``.

    ``x`` is read once (halved first, exactly for normal floats): XLA does not fuse a costly producer of
    ``x`` (a division) into a kernel that reads it twice, and would put ``x`` in memory. lax, not jnp: no
    nested jit per op for a schedule's first call to trace and lower.
    """
    half = x * 0.5
    return 2 * (half - lax.round(half, lax.RoundingMethod.TO_NEAREST_EVEN))


# sin(pi/2 z) ** 2 = t * S(t) for t = z ** 2, z in [0, 1/2]: the coefficients of S, a minimax fit of
# relative error 2.7e-12 (degree 5), rounded to float32. Evaluated in float32 below, the half cosine is
# within 2.5 ulps of the exact value at every float32 in [0, 1] (tests/test_numerics.py); float32 ``sin``
# of the rounded ``pi/2 * x``, squared, is within 4.3.
_SIN_SQUARED = (
    2.4674010276794434,
    -2.029356002807617,
    0.6676313281059265,
    -0.11766388267278671,
    0.012892489321529865,
    -0.0009259802754968405,
)


def cosine_annealing(left: jax.Array) -> jax.Array:
    """The SGDR half cosine (Loshchilov & Hutter 2017), from 1 down to 0, given the fraction *left*.

    ``0.5 * (1 + cos(pi * f))`` at fraction done ``f``, that is ``sin(pi/2 * left) ** 2`` of the fraction
    left ``1 - f``: callers take that from integer step counts, so the value keeps full relative precision
    down to the end of the decay, where ``1 + cos`` would cancel.

    In float32 it is one short polynomial instead of the library ``sin``, whose general range reduction
    costs as much as the rest of a cosine schedule: the curve is even with period 2 in ``left``, so
    ``left`` is reduced exactly to ``a`` in [0, 1]; with ``z = min(a, 1 - a)`` (exact), ``sin(pi/2 a) ** 2``
    is ``t * S(t)`` for ``a <= 1/2`` and ``1 - t * S(t)`` above (``cos ** 2 = 1 - sin ** 2``), ``t = z ** 2``.
    Both ends are exact (0 at ``left = 0``, 1 at ``left = 1``) and the relative precision near 0 is kept.
    Other dtypes use ``sin``.
    """
    if left.dtype != jnp.float32:
        root = jnp.sin(jnp.asarray(math.pi / 2, dtype=left.dtype) * left)
        return root * root
    # (lax, not jnp: the schedule's first call traces and lowers these ops; no nested jit per op.)
    a = jnp.abs(reduce_half_turns(left))
    # A select, not a minimum: at a = 1/2 the gradient then follows one side (a minimum splits it to 0).
    low = a <= 0.5
    z = lax.select(low, a, 1 - a)
    t = z * z
    s = jnp.asarray(_SIN_SQUARED[-1], left.dtype)
    for c in _SIN_SQUARED[-2::-1]:
        s = s * t + jnp.asarray(c, left.dtype)
    v = t * s
    return lax.select(low, v, 1 - v)


# The boundary search's fan-out: XLA's CPU backend splits a reduction over more than 32 elements into a
# tree of kernels (through a [.., 32+] intermediate in memory), and does not fuse a reduction whose result
# indexes another one, so the search has one reduction, at most 32 wide for up to 32 * 32 boundaries.
_FAN_OUT = 32
# The most boundaries the search counts within the curve's kernel (32 rows of 32); ``power`` raises a count
# of at most this many by products alone.
_FUSED_COUNT_MAX = _FAN_OUT * _FAN_OUT


def count_boundaries_below(step: jax.Array, boundaries: jax.Array) -> jax.Array:
    """The number of boundaries strictly below each step: ``#{i : boundaries[i] < step}``.

    ``boundaries`` must be sorted (non-decreasing). Up to 1024 boundaries, a two-level searchsorted: the
    boundaries are read as 32 rows of ``width = ceil(n / 32)``, and the rows whose first boundary lies
    below the step are counted with 32 compares against per-config scalars (unrolled: elementwise, no
    reduction); then the ``width`` boundaries from that row's start (moved back to ``n - width`` where the
    row would run past the end) are compared and counted, one gather and one reduction at most 32 wide.
    Up to 32 boundaries (one per row) the rows counted are the answer and there is no gather. Rows past
    the last boundary repeat it: counted only where every boundary is, where the count is ``n`` either
    way. No padded copy of the boundaries is made, so the whole search fuses into the curve's kernel; each
    step costs 32 + n/32 compares, and the program is the same for any number of boundaries from 33 to
    1024 (and from 1 to 32; XLA merges the repeated compares of fewer than 32). Beyond 1024 boundaries, a
    binary search (``jnp.searchsorted``, a loop of log2(n) gathers): exact, O(steps + boundaries) memory,
    one program for any count, though no longer fused with the rest of the curve.
    """
    return _count_boundaries(step, boundaries, inclusive=False)


def count_boundaries_at_or_below(step: jax.Array, boundaries: jax.Array) -> jax.Array:
    """The number of boundaries at or below each step: ``#{i : boundaries[i] <= step}`` (the same search as
    :func:`count_boundaries_below`; unlike ``count_boundaries_below(step + 1, ...)``, exact at the largest
    step the integer dtype holds)."""
    return _count_boundaries(step, boundaries, inclusive=True)


def _count_boundaries(step: jax.Array, boundaries: jax.Array, inclusive: bool) -> jax.Array:
    n = boundaries.shape[-1]
    if n == 0:
        return jnp.zeros(step.shape, step.dtype)
    if n > _FUSED_COUNT_MAX:
        # Beyond 1024 the row compare would hold n/32 entries per step in memory (1.3 GB for 10**5
        # boundaries over 10**5 steps): a binary search instead, O(steps + boundaries) memory, exact.
        side = "right" if inclusive else "left"
        return jnp.searchsorted(boundaries, step, side=side, method="scan").astype(step.dtype)
    counted = jnp.less_equal if inclusive else jnp.less
    width = -(-n // _FAN_OUT)
    rows = jnp.zeros(step.shape, step.dtype)
    for i in range(_FAN_OUT):
        rows = rows + counted(boundaries[min(i * width, n - 1)], step).astype(step.dtype)
    if width == 1:  # one boundary per row: the rows counted are the boundaries counted
        return jnp.minimum(rows, n)
    # The last row starting before the step (row 0 if none), its start kept within the boundaries.
    start = jnp.minimum(jnp.maximum(rows - 1, 0) * width, n - width)
    columns = start[..., None] + jnp.arange(width, dtype=step.dtype)
    window = boundaries.at[columns].get(mode="promise_in_bounds")  # in bounds: start <= n - width
    return start + jnp.sum(counted(window, step[..., None]), axis=-1, dtype=step.dtype)


# Up to this many entries, ``pick`` selects rather than gathers (the boundary search's 32 rows, and one).
_PICK_BY_SELECT = _FAN_OUT + 1


def pick(table: jax.Array, index: jax.Array) -> jax.Array:
    """``table[index]``: entries of a per-config vector at integer indices (clipped to its range).

    Up to 33 entries, one select over the entries: elementwise, so XLA fuses it into the curve's kernel
    also where several picks share one index (a boundary count feeding the start and end of a segment),
    where XLA's CPU backend would write the gathers' shared indices to memory first. Beyond, a gather.
    """
    n = table.shape[-1]
    if n > _PICK_BY_SELECT:
        return jnp.take(table, index, mode="clip")
    cases = [jnp.broadcast_to(table[..., j], index.shape) for j in range(n)]
    return cases[0] if n == 1 else lax.select_n(jnp.clip(index, 0, n - 1).astype(jnp.int32), *cases)


def successor(step: jax.Array) -> jax.Array:
    """``step + 1``, saturating at the integer dtype's largest value instead of wrapping negative.

    Only the largest step saturates; in floats it still means the right number (float32 and float64 round
    2**31 - 1 and 2**63 - 1 to the powers of two the true successors are), so ``float(successor(step))`` is
    exact wherever the float can hold the result.
    """
    return jnp.maximum(step, step + 1)


def saturating_add(step: jax.Array, offset: jax.Array) -> jax.Array:
    """``step + offset`` for ``offset >= 0``, in ``step``'s integer dtype (give it the steps' dtype), the
    dtype's largest value where the sum would wrap."""
    offset = jnp.asarray(offset, step.dtype)
    top = jnp.iinfo(step.dtype).max
    return jnp.where(step > top - offset, top, step + offset)


def whole_periods(step: jax.Array, period: jax.Array) -> jax.Array:
    """``floor(step / period)`` for steps >= 0 and periods >= 1, exact (see :func:`periods_and_remainder`)."""
    return periods_and_remainder(step, period)[0]


def periods_and_remainder(step: jax.Array, period: jax.Array) -> tuple[jax.Array, jax.Array]:
    """``(step // period, step % period)`` for ``0 <= step`` and ``1 <= period``, both at most the integer
    dtype's largest value (int32, or int64 under x64): exact, without an integer division.

    An integer division is the dominant cost of a staircase: XLA's CPU backend computes it one element at
    a time (its ``x / 0`` and ``MIN / -1`` semantics are not a vector instruction), and a GPU has no divide
    instruction. Here the quotient is estimated twice in floats, from a reciprocal that is one value per
    config (computed once, outside the per-step work), and each estimate is made exact in integers:

    With ``w`` the integer's value bits (31 or 63), the float of ``p`` significand bits (float32: 24,
    float64: 53, so the estimates are vector multiplies on either backend), ``u = 2**-p``, ``n = step``,
    ``d = period``, ``x = n / d``, ``k = floor(x)``, and ``c = fl(1 - 8u) / fl(d)`` (exact numerator; the
    quotient within two roundings of ``(1 - 8u) / d`` even where XLA takes the reciprocal first):

    1. ``q0 = trunc(fl(fl(n) * c))``. The estimate is ``x (1 - 8u)`` times at most four rounding factors
       in ``[1 - u, 1 + u]``, so it lies in ``[x (1 - 12u), x]``: never above ``x``, so ``q0 <= k`` and
       ``r0 = n - q0 d`` lies in ``[0, n]`` (no product or difference wraps; the float is below ``2**w``,
       so the conversion does not saturate); and ``r0 / d = x - q0 < 12u x + 1 <= 12 * 2**(w - p) + 1``:
       below 1537 (int32 with float32), 12289 (int64 with float64).
    2. ``q1 = trunc(fl(fl(r0) * c))`` likewise lies in ``(y (1 - 12u) - 1, y]`` for ``y = r0 / d``, and
       ``12u y < 0.002``: ``q1`` is ``floor(y)`` or ``floor(y) - 1``, so ``r1 = r0 - q1 d`` lies in
       ``[0, 2d)`` (and in ``[0, n]``).
    3. One compare: ``r1 >= d`` adds 1 to ``q0 + q1`` and takes ``d`` off ``r1``.

    ``n = q d + r`` with ``0 <= r < d`` is then floor division's quotient and remainder, for every step and
    period in range (float32 suffices for int8-int32 steps, float64 for int64). Per step: two
    int-to-float conversions, two float multiplies, two truncations and two integer multiply-subtracts.
    """
    period = jnp.asarray(period, step.dtype)
    ftype = jnp.float32 if jnp.iinfo(step.dtype).bits <= 32 else jnp.float64
    u = 2.0 ** -(jnp.finfo(ftype).nmant + 1)
    # One value per config: biased below 1 / d, so that no estimate exceeds the true quotient.
    scale = jnp.asarray(1 - 8 * u, ftype) / period.astype(ftype)

    def estimate(n: jax.Array) -> jax.Array:
        return (n.astype(ftype) * scale).astype(step.dtype)  # n >= 0: truncation is floor

    q0 = estimate(step)
    r0 = step - q0 * period
    q1 = estimate(r0)
    r1 = r0 - q1 * period
    carry = r1 >= period
    return q0 + q1 + carry.astype(step.dtype), jnp.where(carry, r1 - period, r1)


def decay_progress(
    step: jax.Array, period: jax.Array, staircase: jax.Array, dtype: jax.typing.DTypeLike
) -> jax.Array:
    """``step / period``, or ``floor(step / period)`` with ``staircase`` (an exact integer division)."""
    whole = whole_periods(step, period).astype(dtype)
    return jnp.where(staircase, whole, ratio(step.astype(dtype), period.astype(dtype)))


def linear_warmup(progress: jax.Array, total: jax.Array, start: jax.Array, end: jax.Array) -> jax.Array:
    """start + (end - start) * progress / total: the straight line from ``start`` (at 0) to ``end``."""
    return start + (end - start) * ratio(progress, total)


def noam(n: jax.Array, warmup: jax.Array) -> jax.Array:
    """``min(n * W ** -1.5, n ** -0.5)``: the Transformer's rate factor (Vaswani et al. 2017) at the float
    step count ``n >= 1`` for a float warmup ``W``, as IEEE divisions; ``W = 0`` leaves ``n ** -0.5`` (the
    warmup term is inf)."""
    warm = ratio(n, warmup * jnp.sqrt(warmup))
    decay = ratio(jnp.ones_like(n), jnp.sqrt(n))
    return jnp.minimum(warm, decay)


def warmup_rise(shape: str, done: jax.Array, left: jax.Array) -> jax.Array:
    """A warmup multiplier rising from 0 to 1, at the fraction ``done`` of the warmup (``left = 1 - done``,
    both taken from integer counts by the caller).

    ``linear``: ``done``; ``cosine``: ``0.5 * (1 - cos(pi * done))``; ``1-sqrt``: ``1 - sqrt(1 - done)``,
    computed as ``done / (1 + sqrt(left))`` (no cancellation near the start). These are the warmup shapes
    of Hugging Face's warmup-stable-decay schedule.
    """
    if shape == "linear":
        return done
    if shape == "cosine":
        return cosine_annealing(done)  # sin(pi/2 done)**2 = 0.5 (1 - cos(pi done))
    if shape == "1-sqrt":
        return done / (1 + jnp.sqrt(left))
    raise ValueError(f"unknown warmup shape {shape!r}")
