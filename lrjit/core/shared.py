"""Evaluate what a batch shares once: the costly [N] part of a curve matrix goes through memory.

A batch whose configs share some leaves (a sweep over the peak rate shares the curve's shape) hands XLA a
program in which the shared part is computed at [N] and then combined with the per-config leaves at
[K, N]. XLA's fusion then repeats that [N] computation inside the [K, N] kernel, once per row: on the CPU
a shared cosine costs as much as K cosines. :func:`evaluate_sharing` runs the traced program with a
memory write on every costly float value (one that took a transcendental or a division) that does not
have the matrix's shape but feeds an operation that does: XLA computes it once, writes its N values, and
the [K, N] kernel reads them. The values are the same operations on the same inputs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
from jax import lax
from jax.extend import core as jcore

from lrjit.core.axes import batch_dims

__all__ = ["evaluate_sharing"]

# Primitives whose result is worth computing once rather than once per row.
_COSTLY = frozenset(
    {
        "acos", "asin", "atan", "atan2", "cbrt", "cos", "cosh", "digamma", "div", "erf", "erf_inv", "exp",
        "exp2", "lgamma", "log", "log1p", "logistic", "expm1", "pow", "rem", "rsqrt", "sin", "sinh", "sqrt",
        "tan", "tanh",
    }
)  # fmt: skip
# Calls whose body is interpreted in place, so that a shared value inside them is found too.
_INLINED = frozenset({"pjit", "jit", "closed_call", "core_call"})


def evaluate_sharing(fn: Callable[..., jax.Array], batch: Any, *args: Any) -> jax.Array:
    """``fn(batch, *args)`` (one array out), with the costly values shared across its matrix's rows
    evaluated once; the plain program when ``batch`` shares no leaf (a single config, or every leaf
    batched), or when the result is not a matrix."""
    dims = batch_dims(batch)
    if not any(d == 1 for d in dims) or all(d == 1 for d in dims):
        return fn(batch, *args)
    args = (batch, *args)
    flat, tree = jax.tree_util.tree_flatten(args)
    closed = jax.make_jaxpr(lambda *leaves: fn(*jax.tree_util.tree_unflatten(tree, leaves)))(*flat)
    (out,) = closed.jaxpr.outvars
    shape = tuple(out.aval.shape)
    if len(shape) != 2:
        return jcore.jaxpr_as_fun(closed)(*flat)[0]
    (value,), _ = _interpret(closed.jaxpr, closed.consts, flat, [False] * len(flat), shape)
    return value


def _interpret(
    jaxpr: jcore.Jaxpr, consts: list[Any], args: list[Any], costly_args: list[bool], shape: tuple[int, ...]
) -> tuple[list[Any], list[bool]]:
    """Evaluate ``jaxpr`` (as ``jax.core.eval_jaxpr``), tracking which values are costly, and hand each
    operation with a matrix-shaped result the costly non-matrix values it reads through memory."""
    env: dict[Any, Any] = {}
    costly: set[Any] = set()
    shielded: dict[Any, Any] = {}

    def read(v: Any) -> Any:
        return v.val if isinstance(v, jcore.Literal) else env[v]

    for v, x in zip(jaxpr.constvars, consts, strict=True):
        env[v] = x
    for v, x, c in zip(jaxpr.invars, args, costly_args, strict=True):
        env[v] = x
        if c:
            costly.add(v)

    for eqn in jaxpr.eqns:
        costly_in = [isinstance(v, jcore.Var) and v in costly for v in eqn.invars]
        invals = [read(v) for v in eqn.invars]
        if any(tuple(v.aval.shape) == shape for v in eqn.outvars):
            for i, v in enumerate(eqn.invars):
                floating = jnp.issubdtype(v.aval.dtype, jnp.floating)
                if costly_in[i] and floating and tuple(v.aval.shape) != shape and v.aval.size > 1:
                    if v not in shielded:
                        shielded[v] = _through_memory(invals[i])
                    invals[i] = shielded[v]
        name = eqn.primitive.name
        if name in _INLINED and "jaxpr" in eqn.params:
            inner = eqn.params["jaxpr"]
            outs, costly_out = _interpret(inner.jaxpr, inner.consts, invals, costly_in, shape)
        else:
            result = eqn.primitive.bind(*invals, **eqn.primitive.get_bind_params(eqn.params))
            outs = list(result) if eqn.primitive.multiple_results else [result]
            # A call or control flow that is not interpreted counts as costly when anything went in.
            spent = name in _COSTLY or any(costly_in) or _has_body(eqn.params)
            costly_out = [spent] * len(outs)
        for v, x, c in zip(eqn.outvars, outs, costly_out, strict=True):
            env[v] = x
            if c:
                costly.add(v)
    return [read(v) for v in jaxpr.outvars], [isinstance(v, jcore.Var) and v in costly for v in jaxpr.outvars]


def _has_body(params: dict[str, Any]) -> bool:
    return any(isinstance(p, jcore.ClosedJaxpr | jcore.Jaxpr) for p in params.values())


def _through_memory(x: jax.Array) -> jax.Array:
    """``x``, written to memory: XLA fuses through ``optimization_barrier`` on the CPU, never into or out
    of a conditional's branches. Both branches give ``x`` (``x * 1`` is ``x`` bitwise); the predicate
    reads one element, so XLA cannot fold it."""
    return lax.cond(jnp.isnan(x.ravel()[0]), lambda y: y * 1, lambda y: y, x)
