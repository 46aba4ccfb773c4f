"""A whole K x N curve matrix is one fused XLA kernel, for every family.

Counts, in the compiled (optimized) HLO of ``lrjit.curves``'s program, the ENTRY instructions whose result
has the full [K, N] shape. XLA may add small per-config fusions (e.g. ``1 / decay_steps`` for K configs);
those are O(K) and are not counted. A second matrix-sized kernel means an intermediate curve went through
memory (it happened once when a gradient-only term made XLA materialize the cycle index).
"""

from __future__ import annotations

import re

import jax
import jax.extend.core
import jax.numpy as jnp
import numpy as np
import pytest

import lrjit
from lrjit.core.batch import curves_range
from lrjit.core.schedule import resident

K, N = 4, 1000
_SHAPE = re.compile(r"=\s*\w+\[(\d+(?:,\d+)*)\]")


def _matrix_instructions(schedule: lrjit.Schedule) -> list[str]:
    hlo = curves_range.lower(schedule, N).compile().as_text()
    entry = hlo[hlo.index("ENTRY") :]
    out = []
    for line in entry.splitlines()[1:]:
        m = _SHAPE.search(line)
        if m and tuple(int(x) for x in m.group(1).split(",")) == (K, N):
            out.append(line.strip())
    return out


@pytest.mark.parametrize("name", sorted(lrjit.registry()))
def test_one_matrix_kernel(name: str) -> None:
    cls = lrjit.registry()[name]
    rng = np.random.default_rng(7)
    configs = [cls.sample(rng, vector_len=3) for _ in range(K)]
    matrix = _matrix_instructions(lrjit.stack(configs))
    assert len(matrix) == 1 and " fusion(" in matrix[0], "\n".join(matrix)


COMPOSITIONS = {
    "warmup of restarts": lambda r: lrjit.warmup(
        lrjit.CosineDecayRestarts(r.uniform(0.01, 1), 100, t_mul=2.0, m_mul=0.8), int(r.integers(10, 200))
    ),
    "sequence of two families": lambda r: lrjit.sequence(
        [lrjit.LinearLR(r.uniform(0.01, 1), 0.01, 1.0, 50), lrjit.CosineAnnealingWarmRestarts(0.1, 40, 2)],
        [int(r.integers(1, 100))],
    ),
    "200 stacked pieces": lambda r: lrjit.sequence(
        [lrjit.CosineDecay(r.uniform(0.01, 1), 10) for _ in range(200)], list(range(5, 1000, 5))
    ),
    "floor under a product": lambda r: lrjit.maximum(
        lrjit.Repeat(lrjit.CosineDecay(0.1, 64), 64) * lrjit.ExponentialDecay(1.0, 64, r.uniform(0.5, 1)),
        1e-4,
    ),
}


@pytest.mark.parametrize("name", sorted(COMPOSITIONS))
def test_composition_is_one_matrix_kernel(name: str) -> None:
    rng = np.random.default_rng(3)
    configs = [COMPOSITIONS[name](rng) for _ in range(K)]
    matrix = _matrix_instructions(lrjit.stack(configs))
    assert len(matrix) == 1 and " fusion(" in matrix[0], "\n".join(matrix)


# ------------------------------------------------------------------------------------------------------
# Shared leaves: what does not vary across a batch is computed once
# ------------------------------------------------------------------------------------------------------
# Transcendentals and divisions (a float32 half cosine is a polynomial of a division).
_COSTLY = {"cos", "sin", "exp", "exp2", "log", "log1p", "expm1", "pow", "tan", "tanh", "atan2", "div"}


def _costly_shapes(jaxpr: jax.extend.core.Jaxpr) -> list[tuple[int, ...]]:
    """The output shapes of every transcendental or division equation in ``jaxpr`` and its sub-jaxprs."""
    out = []
    for eqn in jaxpr.eqns:
        if eqn.primitive.name in _COSTLY:
            out.extend(tuple(v.aval.shape) for v in eqn.outvars)
        for sub in jax.extend.core.jaxprs_in_params(eqn.params):
            out.extend(_costly_shapes(sub))
    return out


_COSTLY_HLO = re.compile(
    r"\b(sine|cosine|tan|tanh|exponential|exponential-minus-one|log|log-plus-one|divide|power|sqrt|rsqrt|atan2)\("
)


def _costly_ops_in_matrix_kernel(schedule: lrjit.Schedule) -> list[str]:
    """The transcendental and division instructions inside the fusion that writes the [K, N] matrix
    (and the computations it calls), in the compiled HLO of ``lrjit.curves``'s program."""
    hlo = curves_range.lower(resident(schedule), N).compile().as_text()
    bodies = dict(re.findall(r"^(?:ENTRY )?%(\S+) [^\n]*\{\n(.*?)\n\}", hlo, flags=re.S | re.M))
    (root,) = [line for line in hlo[hlo.index("ENTRY") :].splitlines() if line.strip().startswith("ROOT")]
    assert f"f32[{K},{N}]" in root and " fusion(" in root, root
    todo, seen, found = re.findall(r"calls=%([\w.\-]+)", root), set(), []
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        body = bodies[name]
        found += [m.group(1) for m in _COSTLY_HLO.finditer(body)]
        todo += re.findall(r"(?:calls|to_apply)=%([\w.\-]+)", body)
    return found


PEAK_SWEEPS = {
    "CosineDecay, constructor": lambda peaks: lrjit.CosineDecay(peaks, 700, alpha=0.01),
    "CosineDecay, stacked": lambda peaks: lrjit.stack([lrjit.CosineDecay(p, 700, alpha=0.01) for p in peaks]),
    "CosineDecayRestarts, stacked": lambda peaks: lrjit.stack(
        [lrjit.CosineDecayRestarts(p, 100, t_mul=2.0, m_mul=0.8) for p in peaks]
    ),
    "warmup + cosine, stacked": lambda peaks: lrjit.stack(
        [lrjit.warmup(lrjit.CosineDecay(p, 900), 100) for p in peaks]
    ),
}


@pytest.mark.parametrize("name", PEAK_SWEEPS)
def test_a_sweep_over_the_peak_computes_the_curve_shape_once(name: str) -> None:
    """A batch whose configs differ in the peak rate only (shared leaves: scalars next to a batched leaf,
    or equal leaves that ``stack`` records) evaluates every cos/exp/log/pow/division at [N] (or per
    config), never at [K, N]: the program lrjit hands XLA computes the curve's shape once for the batch and
    scales it, and the compiled [K, N] kernel holds no transcendental or division (the shared values go
    through memory, lrjit.core.shared). The rows equal the single configs within the bound."""
    peaks = np.linspace(0.01, 1.0, K).astype(np.float32)
    batch = PEAK_SWEEPS[name](peaks)
    evaluated = resident(batch)  # what lrjit.curves(batch, N) runs
    jaxpr = jax.make_jaxpr(lambda s: s(jnp.arange(N, dtype=jnp.int32)))(evaluated).jaxpr
    shapes = _costly_shapes(jaxpr)
    assert (N,) in shapes, shapes
    assert (K, N) not in shapes, shapes
    costly = _costly_ops_in_matrix_kernel(batch)
    assert not costly, costly
    rows = np.asarray(lrjit.curves(batch, N))
    for row, single in zip(rows, lrjit.unstack(batch), strict=True):
        np.testing.assert_allclose(row, lrjit.curves(single, N), rtol=1e-6, atol=1e-7 * float(row.max()))
