"""Pieces are data, not program: a schedule with 1000 pieces traces to the same program as one with 100,
and one with 10 to a program no larger than with 32 or 1000.

optax's ``piecewise_constant_schedule``, ``join_schedules`` and ``sgdr_schedule`` unroll one ``jnp.where``
per piece, so their program (and compile time) grows with the number of pieces. lrjit keeps pieces in leaf
arrays or in closed forms:

- boundary families (``PiecewiseConstantDecay``, ``MultiStepLR``, ``MultiFactorScheduler``) count the
  boundaries below the step (``lrjit.core.numerics.count_boundaries_below``) and gather: the boundaries
  are a vector leaf, so n changes a leaf's *shape* and the program must not depend on it;
- restart families compute the cycle index in closed form (``geometric_cycle``, integer divisions): the
  number of cycles inside the evaluated steps is set by scalar leaf *values* (cycle length, ``num_cycles``,
  ``cycle_limit``), which tracing cannot see at all. For them the equal-jaxpr check is a guard against a
  future implementation that loops or unrolls over cycles; the value checks are what test the closed form
  at 1000 cycles.

Each entry of ``BUILDERS`` is ``build(n) -> lrjit.Schedule`` with n pieces: n boundaries / milestones, or n
cycles starting inside ``range(RANGE)`` (the steps the value checks evaluate; see each builder for its
exact count). A builder added to ``BUILDERS`` is covered by the jaxpr and HLO tests at once; an entry in
``REFERENCES`` (and, for cycles, ``CYCLE_STARTS``) adds its value checks. The tests assert, per builder:

- the jaxpr of ``lambda s, t: s(t)`` has the same equations (counted recursively through sub-jaxprs:
  ``jit``, ``custom_jvp_call``, ...) for n = 100 and n = 1000, and for n = 10 no more than for n = 32,
  single and batched (``lrjit.stack`` of 3 configs): the program stops growing at a few dozen pieces. Up
  to 32 boundaries the search skips its row gather, a power of a count below 16 is a product of at most
  four factors (eleven from 16 to 1024 boundaries), and up to 33 pieces a stacked sequence selects its
  piece's leaves (``numerics.pick``);
- the 1000-piece values at boundaries, just before and just after them (or over the whole range, for the
  cycle families) equal a numpy float64 reference within ``tests/bounds.py``'s float32 bound (exactly, for
  the gathered ``PiecewiseConstantDecay`` values);
- the optimized HLO of ``lrjit.curves`` over a batch of 1000-piece configs has one fusion producing the
  [K, N] output, and nothing else of that size (the boundary search keeps every reduction within 32
  entries, so XLA does not split it into kernels with a [K, N, n] intermediate).

Compile and evaluation *times* are measured by ``bench/bench_pieces.py``, not asserted here.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.extend import core as jex_core

import lrjit

from bounds import bound

RANGE = 10_000  # the steps the n pieces fall within; divisible by 10 and 1000
SMALL, SELECTED, MEDIUM, LARGE = 10, 32, 100, 1000
STEPS = jnp.arange(RANGE + RANGE // 10, dtype=jnp.int32)  # a tail past the last piece, too
K, N = 3, RANGE  # the curve matrix of the HLO check (N well above the piece counts)


# ------------------------------------------------------------------------------------------ builders
def _even(n: int) -> list[int]:
    """n strictly increasing integer steps spread evenly over ``range(1, RANGE)``."""
    stride = RANGE // (n + 1)
    return [(i + 1) * stride for i in range(n)]


def _f32(x: float) -> float:
    """A float32-representable value, so that lrjit and the float64 reference start from one number."""
    return float(np.float32(x))


def piecewise_constant(n: int) -> lrjit.Schedule:
    """n boundaries, n + 1 distinct values (1 / (i + 1), float32-rounded)."""
    values = [_f32(1.0 / (i + 1)) for i in range(n + 1)]
    return lrjit.PiecewiseConstantDecay(boundaries=_even(n), values=values)


def multi_step(n: int) -> lrjit.Schedule:
    """n milestones, each multiplying by ``gamma``."""
    return lrjit.MultiStepLR(base_lr=_f32(0.5), milestones=_even(n), gamma=_f32(0.99))


def multi_factor(n: int) -> lrjit.Schedule:
    """n update counts (MXNet's 1-based ``num_update``) after which the rate is multiplied by ``factor``."""
    return lrjit.MultiFactorScheduler(step=_even(n), factor=_f32(0.99), base_lr=_f32(0.5))


def cosine_restarts_flat(n: int) -> lrjit.Schedule:
    """``t_mul=1``: n cycles of ``RANGE // n`` steps fill ``range(RANGE)`` (one scalar leaf changes)."""
    return lrjit.CosineDecayRestarts(
        _f32(0.5), first_decay_steps=RANGE // n, t_mul=1.0, m_mul=_f32(0.999), alpha=_f32(0.1)
    )


GEOMETRIC_CAP = math.floor(math.log2(RANGE)) + 1  # cycles of lengths 2**i that can start in range(RANGE)


def cosine_restarts_geometric(n: int) -> lrjit.Schedule:
    """``t_mul=2``: cycle i has ``L * 2**i`` steps, with ``L = ceil(RANGE / (2**n - 1))`` so that cycles
    0..n-1 start inside ``range(RANGE)`` and cycle n does not. Geometric cycles cannot be many: with
    ``L = 1`` only ``GEOMETRIC_CAP`` (14) cycles start below ``RANGE`` (and 31 below 2**31), so n = 1000
    gives ``L = 1`` and 14 cycles; only the scalar ``first_decay_steps`` changes with n."""
    length = max(1, -(-RANGE // (2 ** min(n, 62) - 1)))
    return lrjit.CosineDecayRestarts(
        _f32(0.5), first_decay_steps=length, t_mul=2.0, m_mul=_f32(0.9), alpha=_f32(0.1)
    )


def warm_restarts(n: int) -> lrjit.Schedule:
    """torch SGDR with ``T_mult=1``: n cycles of ``RANGE // n`` steps."""
    return lrjit.CosineAnnealingWarmRestarts(_f32(0.5), T_0=RANGE // n, T_mult=1.0, eta_min=_f32(0.01))


def timm_cosine(n: int) -> lrjit.Schedule:
    """timm cosine with ``cycle_limit=n`` cycles of ``RANGE // n`` steps (then ``lr_min``), peaks decaying."""
    return lrjit.CosineLRScheduler(
        _f32(0.5),
        t_initial=RANGE // n,
        lr_min=_f32(0.01),
        cycle_decay=_f32(0.999),
        cycle_limit=n,
    )


def hard_restarts(n: int) -> lrjit.Schedule:
    """Hugging Face cosine with ``num_cycles=n`` hard restarts over ``RANGE`` training steps."""
    return lrjit.CosineWithHardRestarts(_f32(0.5), num_warmup_steps=0, num_training_steps=RANGE, num_cycles=n)


def cyclic(n: int) -> lrjit.Schedule:
    """torch CyclicLR (triangular): n cycles of ``RANGE // n`` steps (half up, half down)."""
    half = RANGE // (2 * n)
    return lrjit.CyclicLR(_f32(0.05), _f32(0.5), step_size_up=half, step_size_down=half)


def stacked_cosines(n: int) -> lrjit.Schedule:
    """``lrjit.sequence`` of n + 1 cosine decays (one structure: stacked), joined at n boundaries, each
    piece a little lower than the one before."""
    bounds = _even(n)
    length = RANGE // (n + 1)
    pieces = [lrjit.CosineDecay(_f32(0.5 * 0.999**i), length, alpha=_f32(0.1)) for i in range(n + 1)]
    sched = lrjit.sequence(pieces, bounds)
    assert type(sched) is lrjit.StackedSequence
    return sched


BUILDERS: dict[str, Callable[[int], lrjit.Schedule]] = {
    "PiecewiseConstantDecay": piecewise_constant,
    "MultiStepLR": multi_step,
    "MultiFactorScheduler": multi_factor,
    "CosineDecayRestarts(t_mul=1)": cosine_restarts_flat,
    "CosineDecayRestarts(t_mul=2)": cosine_restarts_geometric,
    "CosineAnnealingWarmRestarts": warm_restarts,
    "CosineLRScheduler(cycle_limit)": timm_cosine,
    "CosineWithHardRestarts(num_cycles)": hard_restarts,
    "CyclicLR": cyclic,
    "sequence of cosines": stacked_cosines,
}


def _three_configs(schedule: lrjit.Schedule) -> list[lrjit.Schedule]:
    """Three configs of ``schedule``'s structure: its rate field scaled by 1, 1/2 and 1/4 (the same config
    three times for a family without one of these fields)."""
    for name in ("initial_learning_rate", "base_lr", "values"):
        if name in lrjit.fields_of(type(schedule)):
            value = np.asarray(getattr(schedule, name))
            return [schedule, *(schedule.replace(**{name: value * f}) for f in (0.5, 0.25))]
    return [schedule] * 3


# ------------------------------------------------------------------------------------------ program size
def count_equations(jaxpr: jex_core.Jaxpr) -> Counter[str]:
    """Primitive names of every equation in ``jaxpr`` and, recursively, in the jaxprs its equations carry
    in their params (``jit``'s ``jaxpr``, ``custom_jvp_call``'s ``call_jaxpr``, ``cond``'s ``branches``,
    ``while``'s ``cond_jaxpr`` / ``body_jaxpr``, ...)."""
    counts: Counter[str] = Counter()
    for eqn in jaxpr.eqns:
        counts[eqn.primitive.name] += 1
        for value in eqn.params.values():
            for item in value if isinstance(value, tuple | list) else (value,):
                if isinstance(item, jex_core.ClosedJaxpr):
                    counts.update(count_equations(item.jaxpr))
                elif isinstance(item, jex_core.Jaxpr):
                    counts.update(count_equations(item))
    return counts


def program(schedule: lrjit.Schedule) -> Counter[str]:
    return count_equations(jax.make_jaxpr(lambda s, t: s(t))(schedule, STEPS).jaxpr)


def _diff(a: Counter[str], b: Counter[str], n: int) -> str:
    return f"only at n={n}: {dict(a - b)}, only at n={LARGE}: {dict(b - a)}"


def _assert_no_growth(programs: dict[int, Counter[str]]) -> None:
    medium, large = programs[MEDIUM], programs[LARGE]
    assert medium == large, _diff(medium, large, MEDIUM)
    small, cap = programs[SMALL], max(programs[SELECTED].total(), large.total())
    assert small.total() <= cap, _diff(small, large, SMALL)


@pytest.mark.parametrize("name", BUILDERS)
def test_jaxpr_size_independent_of_pieces(name: str) -> None:
    _assert_no_growth({n: program(BUILDERS[name](n)) for n in (SMALL, SELECTED, MEDIUM, LARGE)})


@pytest.mark.parametrize("name", BUILDERS)
def test_batched_jaxpr_size_independent_of_pieces(name: str) -> None:
    build = BUILDERS[name]
    batches = {n: lrjit.stack(_three_configs(build(n))) for n in (SMALL, SELECTED, MEDIUM, LARGE)}
    _assert_no_growth({n: program(b) for n, b in batches.items()})
    # The batch evaluates each of its configs (the stack is not degenerate).
    probe = STEPS[:: RANGE // 50]
    batched = np.asarray(batches[LARGE](probe))
    singles = np.stack([np.asarray(s(probe)) for s in lrjit.unstack(batches[LARGE])])
    np.testing.assert_array_equal(batched, singles)


# ------------------------------------------------------------------------------------------ values
def _near(points: list[int]) -> np.ndarray:
    """Each point, the step before and the step after (non-negative), sorted and unique."""
    steps = {p + d for p in points for d in (-1, 0, 1)}
    return np.array(sorted(s for s in steps if s >= 0), dtype=np.int64)


def _cosine(left: np.ndarray) -> np.ndarray:
    """0.5 * (1 + cos(pi * (1 - left))): the half cosine from the fraction of the cycle left."""
    return 0.5 * (1 + np.cos(np.pi * (1 - left)))


def ref_piecewise_constant(s: lrjit.Schedule, steps: np.ndarray) -> np.ndarray:
    b, v = np.asarray(s.boundaries).tolist(), np.asarray(s.values, np.float64)
    return np.array([v[bisect_left(b, int(t))] for t in steps])  # a boundary step keeps the earlier value


def ref_multi_step(s: lrjit.Schedule, steps: np.ndarray) -> np.ndarray:
    m = np.asarray(s.milestones).tolist()
    gamma, base = float(s.gamma), float(s.base_lr)
    return np.array([base * gamma ** bisect_right(m, int(t)) for t in steps])  # milestones <= step


def ref_multi_factor(s: lrjit.Schedule, steps: np.ndarray) -> np.ndarray:
    m = np.asarray(s.step).tolist()
    factor, base = float(s.factor), float(s.base_lr)
    # num_update = step + 1; k = milestones strictly below num_update
    return np.array([base * factor ** bisect_left(m, int(t) + 1) for t in steps])


def ref_cosine_restarts(s: lrjit.Schedule, steps: np.ndarray) -> np.ndarray:
    length, mult = int(s.first_decay_steps), float(s.t_mul)
    lr, m_mul, alpha = float(s.initial_learning_rate), float(s.m_mul), float(s.alpha)
    if mult == 1:
        index = steps // length
        start, span = index * length, np.full(steps.shape, length)
    else:  # t_mul = 2: cycle i starts at L * (2**i - 1), exactly in integers
        index = sum((steps >= length * (2**i - 1)).astype(np.int64) for i in range(1, 40))
        start, span = length * (2**index - 1), length * 2**index
    left = (start + span - steps) / span
    return lr * ((1 - alpha) * m_mul**index * _cosine(left) + alpha)


def ref_warm_restarts(s: lrjit.Schedule, steps: np.ndarray) -> np.ndarray:
    t0, base, eta = int(s.T_0), float(s.base_lr), float(s.eta_min)
    left = (t0 - steps % t0) / t0
    return eta + (base - eta) * _cosine(left)


def ref_timm_cosine(s: lrjit.Schedule, steps: np.ndarray) -> np.ndarray:
    t, limit = int(s.t_initial), int(s.cycle_limit)
    base, lr_min, decay = float(s.base_lr), float(s.lr_min), float(s.cycle_decay)
    index = steps // t
    lr_max = base * decay**index
    value = lr_min + (lr_max - lr_min) * _cosine((t - steps % t) / t)
    return np.where(index >= limit, lr_min, value)


def ref_hard_restarts(s: lrjit.Schedule, steps: np.ndarray) -> np.ndarray:
    total, cycles, base = int(s.num_training_steps), int(s.num_cycles), float(s.base_lr)
    pos = (cycles * steps) % total  # (num_cycles * p) mod 1, as an exact integer numerator
    return np.where(steps >= total, 0.0, base * _cosine((total - pos) / total))


def ref_stacked_cosines(s: lrjit.Schedule, steps: np.ndarray) -> np.ndarray:
    bounds = np.asarray(s.boundaries).tolist()
    lr = np.asarray(s.pieces.initial_learning_rate, np.float64)
    alpha = np.asarray(s.pieces.alpha, np.float64)
    length = np.asarray(s.pieces.decay_steps)
    piece = np.array([bisect_right(bounds, int(t)) for t in steps])  # a boundary step starts the next piece
    local = steps - np.array([0, *bounds])[piece]
    left = np.maximum(length[piece] - local, 0) / length[piece]
    return lr[piece] * ((1 - alpha[piece]) * _cosine(left) + alpha[piece])


def ref_cyclic(s: lrjit.Schedule, steps: np.ndarray) -> np.ndarray:
    up, down = int(s.step_size_up), int(s.step_size_down)
    base, peak = float(s.base_lr), float(s.max_lr)
    pos = steps % (up + down)
    height = np.where(pos <= up, pos / up, (up + down - pos) / down)
    return base + (peak - base) * height


Reference = Callable[[lrjit.Schedule, np.ndarray], np.ndarray]

# name -> (float64 values at integer steps, the steps to check for the LARGE-piece schedule)
REFERENCES: dict[str, tuple[Reference, Callable[[lrjit.Schedule], np.ndarray]]] = {
    "PiecewiseConstantDecay": (ref_piecewise_constant, lambda s: _near(np.asarray(s.boundaries).tolist())),
    "MultiStepLR": (ref_multi_step, lambda s: _near(np.asarray(s.milestones).tolist())),
    "MultiFactorScheduler": (ref_multi_factor, lambda s: _near([m - 1 for m in np.asarray(s.step).tolist()])),
    "CosineDecayRestarts(t_mul=1)": (ref_cosine_restarts, lambda s: np.asarray(STEPS)),
    "CosineDecayRestarts(t_mul=2)": (ref_cosine_restarts, lambda s: np.asarray(STEPS)),
    "CosineAnnealingWarmRestarts": (ref_warm_restarts, lambda s: np.asarray(STEPS)),
    "CosineLRScheduler(cycle_limit)": (ref_timm_cosine, lambda s: np.asarray(STEPS)),
    "CosineWithHardRestarts(num_cycles)": (ref_hard_restarts, lambda s: np.asarray(STEPS)),
    "CyclicLR": (ref_cyclic, lambda s: np.asarray(STEPS)),
    "sequence of cosines": (ref_stacked_cosines, lambda s: np.asarray(STEPS)),
}


@pytest.mark.parametrize("name", REFERENCES)
def test_values_with_many_pieces(name: str) -> None:
    """The 1000-piece schedule's values against the float64 reference (boundary families: at every
    boundary, the step before and the step after; cycle families: every step of ``STEPS``)."""
    reference, steps_of = REFERENCES[name]
    schedule = BUILDERS[name](LARGE)
    steps = steps_of(schedule)
    got = np.asarray(schedule(jnp.asarray(steps, jnp.int32)), np.float64)
    want = reference(schedule, steps)
    if name == "PiecewiseConstantDecay":  # a gather: exact
        np.testing.assert_array_equal(got, want)
        return
    err = np.abs(got - want)
    allowed = bound(want, float(np.abs(want).max()), x64=False)
    worst = int(np.argmax(err / allowed))
    assert (err <= allowed).all(), (
        f"step {steps[worst]}: lrjit {got[worst]!r}, reference {want[worst]!r}, "
        f"{int((err > allowed).sum())} steps out of bound"
    )


def _geometric_starts(s: lrjit.Schedule) -> int:
    length = int(s.first_decay_steps)
    return sum(length * (2**i - 1) < RANGE for i in range(64))


# Cycles starting inside range(RANGE), from each config's integers: the n each cycle builder promises.
CYCLE_STARTS: dict[str, Callable[[lrjit.Schedule], int]] = {
    "CosineDecayRestarts(t_mul=1)": lambda s: -(-RANGE // int(s.first_decay_steps)),
    "CosineDecayRestarts(t_mul=2)": _geometric_starts,
    "CosineAnnealingWarmRestarts": lambda s: -(-RANGE // int(s.T_0)),
    "CosineLRScheduler(cycle_limit)": lambda s: min(int(s.cycle_limit), -(-RANGE // int(s.t_initial))),
    "CosineWithHardRestarts(num_cycles)": lambda s: int(s.num_cycles),  # over num_training_steps = RANGE
    "CyclicLR": lambda s: -(-RANGE // int(s.step_size_up + s.step_size_down)),
}


@pytest.mark.parametrize("name", CYCLE_STARTS)
def test_cycle_builders_fill_the_range(name: str) -> None:
    """Each cycle builder puts n cycle starts inside ``range(RANGE)`` (t_mul=2: at most GEOMETRIC_CAP)."""
    for n in (SMALL, LARGE):
        geometric = name == "CosineDecayRestarts(t_mul=2)"
        assert CYCLE_STARTS[name](BUILDERS[name](n)) == (min(n, GEOMETRIC_CAP) if geometric else n)


# ------------------------------------------------------------------------------------------ fused kernel
_INSTRUCTION = re.compile(r"^\s*(?:ROOT\s+)?%[\w.\-]+\s*=\s*(\([^)]*\)|\S+)\s+([\w\-]+)\(")
_ARRAY = re.compile(r"\[([\d,]*)\]")


def _entry_instructions(schedule: lrjit.Schedule) -> list[tuple[str, str, int]]:
    """(result type, opcode, elements of its largest array) per ENTRY instruction of the optimized HLO of
    ``lrjit.curves(schedule, N)``, parameters and constants left out."""
    hlo = jax.jit(lrjit.curves, static_argnums=1).lower(schedule, N).compile().as_text()
    entry = hlo[hlo.index("\nENTRY") :].split("\n}")[0]
    out = []
    for line in entry.splitlines()[1:]:
        m = _INSTRUCTION.match(line)
        if not m or m.group(2) in ("parameter", "constant"):
            continue
        sizes = [math.prod(int(d) for d in dims.split(",") if d) for dims in _ARRAY.findall(m.group(1))]
        out.append((m.group(1).split("{")[0], m.group(2), max(sizes, default=1)))
    return out


def _large_batch(name: str) -> lrjit.Schedule:
    configs = _three_configs(BUILDERS[name](LARGE))
    assert len(configs) == K
    return lrjit.stack(configs)


@pytest.mark.parametrize("name", BUILDERS)
def test_one_output_fusion(name: str) -> None:
    """Exactly one ENTRY instruction has the [K, N] result shape, and it is a fusion."""
    instructions = _entry_instructions(_large_batch(name))
    matrix = [(t, op) for t, op, _ in instructions if re.fullmatch(rf"f\d+\[{K},{N}\]", t)]
    assert matrix and len(matrix) == 1 and matrix[0][1] == "fusion", instructions


# Builders whose per-step piece index feeds several gathers (a stacked sequence gathers each hyperparameter
# of its pieces): the index ends in a reduction (the count within a row of boundaries), which XLA's CPU
# fusion does not fuse into a consumer that reads each of its values more than once (one gather of all the
# hyperparameters packed side by side reads it once per hyperparameter as well, and fares the same), so the
# index ([K, N] step positions with the config index: s32[K, N, 2]) is written once and read by the output
# fusion.
INDEX_THROUGH_MEMORY = {"sequence of cosines"}


@pytest.mark.parametrize("name", BUILDERS)
def test_no_matrix_sized_intermediate(name: str) -> None:
    """The [K, N] output fusion is the only ENTRY instruction with K * N elements or more: no curve-sized
    (or boundary-times-curve-sized) intermediate goes through memory, whatever the number of pieces; a
    stacked sequence of more than 33 pieces writes its integer piece index once (see INDEX_THROUGH_MEMORY),
    nothing else."""
    instructions = _entry_instructions(_large_batch(name))
    big = [(t, op) for t, op, size in instructions if size >= K * N]
    outputs = [(t, op) for t, op in big if t.startswith("f")]
    assert len(outputs) == 1 and outputs[0][1] == "fusion", big
    index = [t for t, _ in big if not t.startswith("f")]
    assert index == ([f"s32[{K},{N},2]"] if name in INDEX_THROUGH_MEMORY else []), big
