"""The curve shapes several families share: SGDR cycles of geometric lengths and per-step noise.

Pure jax.numpy on arrays of steps, on the numerics of :mod:`lrjit.core.numerics`; counts (cycle index,
position in a cycle) are integer arithmetic wherever they can be, so restarts are exact.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from lrjit.core.fields import Domain
from lrjit.core.numerics import periods_and_remainder, power, ratio, whole_periods

__all__ = ["MAX_CYCLE_MULTIPLIER", "cycle_multiplier", "geometric_cycle", "hashed_normal"]

# The largest cycle-length multiplier: with it, every step the integers hold (below 2**63) keeps the cycle
# arithmetic of geometric_cycle finite in float32 (steps * multiplier < 1e37). The second cycle of such a
# multiplier already outlasts any training run.
MAX_CYCLE_MULTIPLIER = 1e18


def cycle_multiplier(least: float, sample: Callable[[np.random.Generator], float]) -> Domain:
    """The domain of a cycle-length multiplier (SGDR's ``t_mul``): finite, above 0 (``least=0``) or at least
    1 (``least=1``, torch's ``T_mult``), and at most :data:`MAX_CYCLE_MULTIPLIER`."""
    low = "> 0" if least == 0 else f">= {least:g}"
    return Domain(
        f"a float {low} and <= 1e18",
        lambda x, xp: ((x > 0) if least == 0 else (x >= least)) & (x <= MAX_CYCLE_MULTIPLIER),
        sample,
    )


@jax.custom_jvp
def _flat_left(step: jax.Array, first_length: jax.Array, mult: jax.Array) -> jax.Array:
    """The fraction of the cycle left for ``mult == 1``, from integer counts."""
    into = periods_and_remainder(step, first_length)[1]
    return ratio((first_length - into).astype(mult.dtype), first_length.astype(mult.dtype))


@_flat_left.defjvp
def _flat_left_jvp(primals: tuple[Any, ...], tangents: tuple[Any, ...]) -> tuple[jax.Array, jax.Array]:
    # The value has no mult in it, yet the curve is smooth through mult = 1: cycle i then starts at
    # L * (i + i (i - 1) / 2 * (mult - 1) + ...), so d(left)/d(mult) = i (i + 1) / 2 - i * left.
    # A custom rule keeps this out of the forward kernel.
    step, first_length, mult = primals
    left = _flat_left(step, first_length, mult)
    i = whole_periods(step, first_length).astype(left.dtype)
    return left, (i * (i + 1) / 2 - i * left) * tangents[2]


def geometric_cycle(
    step: jax.Array, first_length: jax.Array, mult: jax.Array, dtype: jax.typing.DTypeLike
) -> tuple[jax.Array, jax.Array]:
    """The SGDR cycle of each step, for cycles of lengths ``first_length * mult**i``.

    Cycle i starts at ``first_length * (mult**i - 1) / (mult - 1)`` (``first_length * i`` when mult == 1).

    For ``mult == 1`` the index and the position inside the cycle are integer divisions, exact at any step.
    Otherwise the index is estimated from the closed-form inverse ``log(1 + (s/L)(mult - 1)) / log(mult)``
    (Keras's formula) and then corrected by comparing the step with the neighbouring cycle starts, so a step
    that falls on a restart (up to a few ulps of the start's rounding) begins the new cycle: where Keras's
    float log can put step 21 of ``t_mul=1.1, first_decay_steps=10`` at the end of cycle 1, this gives the
    start of cycle 2. No loop: the cost does not depend on the number of cycles.

    For ``mult < 1`` the cycles add up to ``first_length / (1 - mult)``; steps from there on have no cycle
    and give NaN.

    Args:
      step: integer steps (any shape).
      first_length: integer length of cycle 0 (> 0).
      mult: float cycle-length multiplier (> 0).
      dtype: the float dtype to compute in.

    Returns:
      ``(index, left)``: the cycle index (float, integral) and the fraction of the cycle left, in (0, 1].
    """
    # mult == 1: integer arithmetic.
    flat_index = whole_periods(step, first_length)
    flat_left = _flat_left(jnp.asarray(step), jnp.asarray(first_length), jnp.asarray(mult, dtype))

    # mult != 1: geometric; a safe multiplier keeps the unused branch (and its gradient) finite.
    geometric = mult != 1
    m = jnp.where(geometric, mult, jnp.asarray(2, mult.dtype)).astype(dtype)
    s = step.astype(dtype)
    length = first_length.astype(dtype)
    growth = m - 1  # exact for the multipliers one uses, so log1p/expm1 of it do not cancel
    log_m = jnp.log1p(growth)
    # Within one of the index (corrected below), so per-config reciprocals in place of divisions.
    estimate = jnp.floor(jnp.log1p(s * (growth / length)) * (1 / log_m))

    # g(i) = m**i - 1 at the estimate: expm1 where m**i is near 1 (the subtraction would cancel), the
    # power elsewhere (more accurate there; products of per-config powers for the first 256 cycles, as
    # accurate as pow for placing their starts). Its neighbours follow by exact-sign recurrences, so a
    # step costs one transcendental of each kind whatever the correction.
    x = estimate * log_m
    g = jnp.where(jnp.abs(x) < math.log(2), jnp.expm1(x), power(m, estimate, exact_bits=8) - 1)
    g_next = m * g + growth  # m**(i+1) - 1
    g_prev = ratio(g - growth, m)  # m**(i-1) - 1

    # A step within rounding of a computed start is at that start, so the start's own rounding cannot move
    # a restart (t_mul=1.1, first_decay_steps=10 restarts at step 21). The window is ~2 ulps of the start,
    # capped at half a step so that an exactly computed integer start (integer t_mul) never takes the step
    # before it. Past ~10**6 steps in float32 a non-integer t_mul thus places a restart within a step of
    # the exact one; x64 resolves it.
    two_ulps = 2 * jnp.finfo(dtype).eps

    def reached(g_i: jax.Array) -> jax.Array:
        begin = length * ratio(g_i, growth)
        return s >= begin - jnp.minimum(two_ulps * begin, 0.5)

    up = reached(g_next)
    down = ~reached(g)
    index = estimate + up.astype(dtype) - down.astype(dtype)
    g_index = jnp.where(up, g_next, jnp.where(down, g_prev, g))
    end = length * ratio(m * g_index + growth, growth)
    cycle = length * (g_index + 1)
    # A multiplier so large that m**(i+1) passes the float range (t_mul=1e30 in float32): the end from the
    # cycle's start and length instead, which stay finite for every step the integers hold.
    to_end = jnp.where(jnp.isfinite(end), end - s, (length * ratio(g_index, growth) - s) + cycle)
    left = jnp.clip(ratio(to_end, cycle), 0, 1)
    horizon_ok = (m > 1) | (s < ratio(length, 1 - m))
    left = jnp.where(horizon_ok, left, jnp.nan)

    index = jnp.where(geometric, index, flat_index.astype(dtype))
    left = jnp.where(geometric, left, flat_left)
    return index, left


def _mix32(x: jax.Array) -> jax.Array:
    """A 32-bit integer finalizer with full avalanche (Wellons' "lowbias32")."""
    x = x ^ (x >> 16)
    x = x * jnp.uint32(0x7FEB352D)
    x = x ^ (x >> 15)
    x = x * jnp.uint32(0x846CA68B)
    return x ^ (x >> 16)


def hashed_normal(key: jax.Array, step: jax.Array, dtype: jax.typing.DTypeLike) -> jax.Array:
    """A standard normal draw that is a pure function of (key, step), elementwise over ``step``.

    A counter-based generator: the key's words and the step are hashed into two independent 32-bit words
    (integer multiply/xor/shift only), mapped to uniforms in (0, 1) and through Box-Muller. Unlike
    ``jax.random``'s threefry (a loop on CPU), it is plain elementwise arithmetic, so the noise fuses into
    the same kernel as the rest of the curve. A step's draw does not depend on the other steps evaluated,
    their order, shape or device.

    Args:
      key: a typed PRNG key (one config).
      step: integer steps, any shape.
      dtype: the float dtype of the result.
    """
    words = jax.random.key_data(key).astype(jnp.uint32).reshape(-1)
    h = _mix32(step.astype(jnp.uint32) * jnp.uint32(0x9E3779B9) + jnp.uint32(0x632BE5AB))
    for i in range(words.shape[0]):  # static: 2 words for threefry keys
        h = _mix32(h ^ words[i])
    a = _mix32(h ^ jnp.uint32(0x85EBCA6B))
    b = _mix32(h ^ jnp.uint32(0xC2B2AE35))
    # 24-bit uniforms; u1 in (0, 1) so the log is finite.
    scale = 1.0 / (1 << 24)
    u1 = ((a >> 8).astype(dtype) + 0.5) * scale
    u2 = (b >> 8).astype(dtype) * scale
    return jnp.sqrt(-2 * jnp.log(u1)) * jnp.cos(jnp.asarray(2 * math.pi, dtype) * u2)
