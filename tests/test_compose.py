"""Composition (``lrjit.compose``): warmup of any schedule, sequences, arithmetic, min/max/clip and moves
along the step axis, against float64 closed forms and identities with the families they generalize.

The registry-driven suites (jit == eager == vmap per leaf, no recompile, grad vs finite differences, one
fused kernel, validation, optax, resume) cover every composition class through ``sample``; here are the
values, the identities and the errors.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import lrjit

from bounds import assert_within
from helpers import JIT_CALL

STEPS = np.arange(0, 1400, dtype=np.int32)


def cosine_decay_ref(lr: float, decay_steps: int, alpha: float, t: np.ndarray) -> np.ndarray:
    """Keras CosineDecay without warmup, in float64."""
    p = np.minimum(t, decay_steps) / decay_steps
    return lr * ((1 - alpha) * 0.5 * (1 + np.cos(np.pi * p)) + alpha)


def f64(x: Any) -> float:
    return float(np.asarray(x, np.float64))


# ------------------------------------------------------------------------------------------------------
# warmup
# ------------------------------------------------------------------------------------------------------
def warmup_ref(shape: str, start: float, target: float, steps: int, t: np.ndarray) -> np.ndarray:
    p = np.minimum(t, steps) / steps
    if shape == "linear":
        return start + (target - start) * p
    if shape == "constant":
        return np.full(t.shape, start)
    if shape == "exponential":
        return start * (target / start) ** p
    if shape == "cosine":
        return start + (target - start) * 0.5 * (1 - np.cos(np.pi * p))
    return start + (target - start) * (1 - np.sqrt(1 - p))


@pytest.mark.parametrize("precision", ["float32", "x64"])
@pytest.mark.parametrize("mode", ["prefix", "overlap"])
@pytest.mark.parametrize("shape", ["linear", "constant", "exponential", "cosine", "1-sqrt"])
def test_warmup_matches_closed_form(shape: str, mode: str, precision: str) -> None:
    """Each warmup shape, prefix (the schedule shifted, target its step-0 value) and overlap (the schedule
    at its own steps, target its value at the warmup end), against float64."""
    x64 = precision == "x64"
    with jax.enable_x64(x64):
        inner = lrjit.CosineDecay(0.1, 1000, alpha=0.1)
        sched = lrjit.warmup(inner, 137, start=0.003, shape=shape, mode=mode)
        got = np.asarray(sched(STEPS))
        assert got.dtype == (np.float64 if x64 else np.float32)
    lr, a, w, start = f64(inner.initial_learning_rate), f64(inner.alpha), 137, f64(sched.start)
    t = STEPS.astype(np.int64)
    if mode == "prefix":
        after, target = cosine_decay_ref(lr, 1000, a, np.maximum(t - w, 0)), cosine_decay_ref(lr, 1000, a, 0)
    else:
        after, target = cosine_decay_ref(lr, 1000, a, t), cosine_decay_ref(lr, 1000, a, np.array(w))
    ref = np.where(t < w, warmup_ref(shape, start, float(target), w, t), after)
    assert_within(got, ref, x64, f"{shape} {mode} {precision}")
    # the warmup formula ends at the schedule's first value, at step w (constant: a deliberate step up)
    if shape != "constant":
        end = warmup_ref(shape, start, float(target), w, np.array(w))
        assert_within(got[w : w + 1], np.array([end]), x64, f"{shape} {mode} hand-over")


def test_warmup_of_zero_steps_is_the_schedule() -> None:
    inner = lrjit.PolynomialDecay(0.2, 500, 0.01, power=2.0)
    for mode in ("prefix", "overlap"):
        np.testing.assert_array_equal(lrjit.warmup(inner, 0, mode=mode)(STEPS), inner(STEPS))


def test_warmup_once_before_restarts() -> None:
    """Warmup of a restart schedule warms up once (torch #80308): from the warmup end on, the restarts run
    shifted, restarting without another warmup; it is timm's CosineLRScheduler with ``warmup_prefix``,
    ``cycle_mul`` and ``cycle_decay``."""
    restarts = lrjit.CosineDecayRestarts(0.1, 200, t_mul=2.0, m_mul=0.5)
    sched = lrjit.warmup(restarts, 100, start=0.001)
    steps = np.arange(0, 3200, dtype=np.int32)
    got = np.asarray(sched(steps))
    np.testing.assert_array_equal(got[100:], np.asarray(restarts(steps[100:] - 100)))
    np.testing.assert_allclose(got[:100], 0.001 + (0.1 - 0.001) * np.arange(100) / 100, rtol=1e-6)
    # restarts at 100 + 200, 100 + 600, 100 + 1400: the value jumps up there, and only there past the warmup
    jumps = np.flatnonzero(np.diff(got[100:]) > 0) + 101
    assert jumps.tolist() == [300, 700, 1500, 3100]
    timm = lrjit.CosineLRScheduler(
        0.1,
        200,
        cycle_mul=2.0,
        cycle_decay=0.5,
        cycle_limit=100,
        warmup_t=100,
        warmup_lr_init=0.001,
        warmup_prefix=True,
    )
    assert_within(got, np.asarray(timm(steps), np.float64), x64=False, what="warmup(restarts) vs timm")


@pytest.mark.parametrize("alpha", [0.0, 0.2])
def test_peak_decay_restarts_from_repeat_times_staircase(alpha: float) -> None:
    """Restarts whose peak decays by ``gamma`` per cycle (torch #62640), built from the algebra:
    ``Repeat(CosineDecay, L) * ExponentialDecay(1, L, gamma, staircase=True)`` plus Keras's undecayed floor
    ``alpha * lr`` is Keras's ``CosineDecayRestarts(t_mul=1, m_mul=gamma, alpha=alpha)``."""
    for precision in ("float32", "x64"):
        with jax.enable_x64(precision == "x64"):
            peaks = lrjit.Repeat(lrjit.CosineDecay(0.1 * (1 - alpha), 250), 250) * lrjit.ExponentialDecay(
                1.0, 250, 0.7, staircase=True
            )
            built = peaks + 0.1 * alpha if alpha else peaks
            keras = lrjit.CosineDecayRestarts(0.1, 250, t_mul=1.0, m_mul=0.7, alpha=alpha)
            steps = np.arange(0, 3000, dtype=np.int32)
            got, want = np.asarray(built(steps)), np.asarray(keras(steps))
        assert_within(got, want, precision == "x64", f"peak-decay restarts {precision}")


# ------------------------------------------------------------------------------------------------------
# sequences
# ------------------------------------------------------------------------------------------------------
def pieces_ref(pieces: list[lrjit.Schedule], boundaries: list[int], steps: np.ndarray) -> np.ndarray:
    """Each step from its piece at ``step - start``, one piece call per step (the definition)."""
    starts = [0, *boundaries]
    index = np.searchsorted(boundaries, steps, side="right")
    return np.array([np.asarray(pieces[i](int(s) - starts[i])) for i, s in zip(index, steps, strict=True)])


def test_sequence_runs_each_piece_from_its_own_step_zero() -> None:
    pieces = [
        lrjit.LinearLR(0.1, start_factor=0.01, end_factor=1.0, total_iters=100),
        lrjit.CosineDecay(0.1, 500, alpha=0.05),
        lrjit.ExponentialDecay(0.005, 50, 0.5),
    ]
    sched = lrjit.sequence(pieces, [100, 600])
    assert type(sched) is lrjit.Sequence
    steps = np.array([0, 1, 50, 99, 100, 101, 350, 599, 600, 601, 700, 1300], np.int32)
    np.testing.assert_array_equal(sched(steps), pieces_ref(pieces, [100, 600], steps))
    # the boundary step belongs to the later piece, which starts at its own step 0
    assert float(sched(100)) == float(pieces[1](0)) and float(sched(600)) == float(pieces[2](0))


def test_equal_boundaries_skip_a_piece() -> None:
    pieces = [lrjit.Constant(1.0), lrjit.Constant(2.0), lrjit.Constant(3.0)]
    sched = lrjit.Sequence(pieces, [10, 10])
    np.testing.assert_array_equal(sched(np.array([0, 9, 10, 11])), [1.0, 1.0, 3.0, 3.0])


def test_sequence_matches_optax_join_schedules() -> None:
    """optax.join_schedules of a linear warmup and a cosine decay, and the same pieces in lrjit."""
    ref = optax.join_schedules(
        [optax.linear_schedule(0.0, 0.1, 300), optax.cosine_decay_schedule(0.1, 2000, alpha=0.1)], [300]
    )
    sched = lrjit.sequence([lrjit.LinearLR(0.1, 1e-30, 1.0, 300), lrjit.CosineDecay(0.1, 2000, 0.1)], [300])
    steps = np.arange(0, 2600, dtype=np.int32)
    want = np.array([float(ref(int(s))) for s in steps[::7]])
    np.testing.assert_allclose(np.asarray(sched(steps))[::7], want, rtol=2e-6, atol=1e-8)


def test_same_structure_pieces_are_stacked_and_equal_the_unstacked_sequence() -> None:
    """``sequence`` stacks pieces of one structure (cost independent of their number); the values are the
    heterogeneous evaluation's, bit for bit; mixed structures stay a ``Sequence``."""
    pieces = [lrjit.CosineDecay(0.1 * (i + 1), 100 + 7 * i, alpha=0.01 * i) for i in range(6)]
    boundaries = [100, 230, 230, 500, 777]
    stacked = lrjit.sequence(pieces, boundaries)
    assert type(stacked) is lrjit.StackedSequence
    assert lrjit.batch_size(stacked) is None
    plain = lrjit.Sequence(pieces, boundaries)
    steps = np.arange(0, 1200, dtype=np.int32)
    np.testing.assert_array_equal(stacked(steps), plain(steps))
    np.testing.assert_array_equal(stacked(steps), pieces_ref(pieces, boundaries, steps))
    np.testing.assert_allclose(lrjit.curves(stacked, 1200), plain(steps), rtol=1e-6, atol=1e-9)
    assert stacked(np.zeros((2, 3), np.int32)).shape == (2, 3) and stacked(7).shape == ()
    mixed = lrjit.sequence(
        [
            lrjit.PiecewiseConstantDecay([10, 20], [3.0, 2.0, 1.0]),
            lrjit.PiecewiseConstantDecay([5], [1.0, 0.5]),
        ],
        [50],
    )
    assert type(mixed) is lrjit.Sequence
    np.testing.assert_array_equal(mixed(np.array([0, 15, 25, 50, 56])), [3.0, 2.0, 1.0, 1.0, 0.5])


def test_vmap_over_boundaries() -> None:
    """Configs differing only in their boundaries batch together (boundaries are leaves)."""
    pieces = [lrjit.CosineDecay(1.0, 50), lrjit.CosineDecay(0.5, 100, alpha=0.1)]
    for build in (lrjit.Sequence, lambda p, b: lrjit.StackedSequence(lrjit.stack(p), b)):
        singles = [build(pieces, [b]) for b in (0, 10, 55, 300)]
        batch = lrjit.stack(singles)
        steps = np.arange(0, 400, dtype=np.int32)
        want = np.stack([np.asarray(s(steps)) for s in singles])
        np.testing.assert_allclose(lrjit.curves(batch, steps), want, rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(
            jax.vmap(lambda s, t: s(t), in_axes=(lrjit.config_axes(batch), None))(batch, steps),
            want,
            rtol=1e-6,
            atol=1e-7,
        )


# ------------------------------------------------------------------------------------------------------
# arithmetic, min / max / clip, step maps
# ------------------------------------------------------------------------------------------------------
A = lrjit.CosineDecay(0.1, 1000, alpha=0.1)
B = lrjit.ExponentialDecay(0.05, 300, 0.5)
A_VALUES = np.asarray(A(STEPS))
B_VALUES = np.asarray(B(STEPS))
F = np.float32

OPERATOR_CASES: list[tuple[str, Callable[[], Any], type, np.ndarray]] = [
    ("0.5 * A", lambda: 0.5 * A, lrjit.Product, F(0.5) * A_VALUES),
    ("A * 0.5", lambda: A * 0.5, lrjit.Product, A_VALUES * F(0.5)),
    ("A * B", lambda: A * B, lrjit.Product, A_VALUES * B_VALUES),
    ("A + 1e-3", lambda: A + 1e-3, lrjit.Sum, A_VALUES + F(1e-3)),
    ("1e-3 + A", lambda: 1e-3 + A, lrjit.Sum, F(1e-3) + A_VALUES),
    ("A + B", lambda: A + B, lrjit.Sum, A_VALUES + B_VALUES),
    ("A - B", lambda: A - B, lrjit.Difference, A_VALUES - B_VALUES),
    ("1 - A", lambda: 1 - A, lrjit.Difference, F(1) - A_VALUES),
    ("A / 4", lambda: A / 4, lrjit.Quotient, A_VALUES / F(4)),
    ("A / B", lambda: A / B, lrjit.Quotient, A_VALUES / B_VALUES),
    ("0.01 / A", lambda: 0.01 / A, lrjit.Quotient, F(0.01) / A_VALUES),
    ("-A", lambda: -A, lrjit.Product, -A_VALUES),
    ("np.float32(3) * A", lambda: np.float32(3) * A, lrjit.Product, F(3) * A_VALUES),
    ("jnp.float32(3) * A", lambda: jnp.float32(3) * A, lrjit.Product, F(3) * A_VALUES),
    ("minimum(A, 0.05)", lambda: lrjit.minimum(A, 0.05), lrjit.Minimum, np.minimum(A_VALUES, F(0.05))),
    ("maximum(A, B)", lambda: lrjit.maximum(A, B), lrjit.Maximum, np.maximum(A_VALUES, B_VALUES)),
    (
        "clip(A, 0.02, 0.08)",
        lambda: lrjit.clip(A, 0.02, 0.08),
        lrjit.Clip,
        np.clip(A_VALUES, F(0.02), F(0.08)),
    ),
    ("clip(A, lower=0.03)", lambda: lrjit.clip(A, lower=0.03), lrjit.Clip, np.maximum(A_VALUES, F(0.03))),
    ("clip(A, upper=0.03)", lambda: lrjit.clip(A, upper=0.03), lrjit.Clip, np.minimum(A_VALUES, F(0.03))),
]


@pytest.mark.parametrize(
    ("label", "build", "cls", "want"), OPERATOR_CASES, ids=[c[0] for c in OPERATOR_CASES]
)
def test_arithmetic_values(label: str, build: Callable[[], Any], cls: type, want: np.ndarray) -> None:
    """Operators and min/max/clip build compositions whose values are the float32 operation on the
    operands' values within the project's float32 bound (the composition is one compiled kernel, where
    XLA may fuse an operand's last multiply with the sum into one rounding), and an eager call gives the
    jitted bits."""
    sched = build()
    assert type(sched) is cls, label
    got = np.asarray(sched(STEPS))
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, np.asarray(JIT_CALL(sched, STEPS)), err_msg=label)
    peak = float(np.max(np.abs(want)))
    np.testing.assert_allclose(got, want.astype(np.float32), rtol=1e-6, atol=1e-7 * peak, err_msg=label)


def test_numbers_become_constant_leaves_that_grad_reaches() -> None:
    sched = 0.5 * A + 1e-3
    assert sched.left.left == lrjit.Constant(0.5) and sched.right == lrjit.Constant(1e-3)
    leaves = jax.tree_util.tree_leaves(sched)
    assert len(leaves) == len(jax.tree_util.tree_leaves(A)) + 2
    params, rest = lrjit.partition(sched)
    grads = jax.grad(lambda p: lrjit.combine(p, rest)(250))(params)
    np.testing.assert_allclose(grads.left.left.value, A(250), rtol=1e-6)
    np.testing.assert_allclose(grads.right.value, 1.0)
    np.testing.assert_allclose(grads.left.right.initial_learning_rate, 0.5 * A(250) / 0.1, rtol=1e-5)


def test_unsupported_operands_raise_type_error() -> None:
    for bad in ("0.1", None, [1.0], True):
        with pytest.raises(TypeError):
            A * bad
        with pytest.raises(TypeError):
            bad + A


@pytest.mark.parametrize(
    ("cls", "kwargs", "step_map"),
    [
        (lrjit.Offset, {"steps": 250}, lambda t: t + 250),
        (lrjit.Hold, {"steps": 400}, lambda t: np.minimum(t, 400)),
        (lrjit.Repeat, {"period": 333}, lambda t: t % 333),
        (lrjit.PerEpoch, {"steps_per_epoch": 97}, lambda t: t // 97),
    ],
    ids=["offset", "hold", "repeat", "per_epoch"],
)
def test_step_maps(cls: type, kwargs: dict[str, int], step_map: Callable[[np.ndarray], np.ndarray]) -> None:
    """Offset, hold, repeat and per-epoch stepping evaluate the schedule at the mapped step, bit for bit."""
    sched = cls(A, **kwargs)
    np.testing.assert_array_equal(sched(STEPS), A(step_map(STEPS).astype(np.int32)))


def test_x64_children_set_the_dtype() -> None:
    with jax.enable_x64(True):
        sched = 2.0 * lrjit.CosineDecay(0.1, 100)
        assert sched.dtype == np.float64 and sched(5).dtype == jnp.float64
        mixed = lrjit.Constant(np.float32(2.0)) * lrjit.CosineDecay(0.1, 100)
        assert mixed.dtype == np.float64 and mixed(5).dtype == jnp.float64
        narrow = lrjit.Constant(np.float32(2.0)) * lrjit.CosineDecay(np.float32(0.1), 100, np.float32(0))
        assert narrow.dtype == np.float32 and narrow(5).dtype == jnp.float32


# ------------------------------------------------------------------------------------------------------
# errors
# ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: lrjit.Sequence([A, B], [10, 20]), "Sequence: `boundaries` must have one entry fewer"),
        (lambda: lrjit.Sequence([A, B, A], [20, 10]), "Sequence: `boundaries` must be non-decreasing"),
        (lambda: lrjit.Sequence([A, B], [-5]), "Sequence: `boundaries` must be an integer >= 0, got -5"),
        (lambda: lrjit.StackedSequence(A, []), "StackedSequence: `pieces` must be stacked"),
        (lambda: lrjit.sequence([A, A, A], [5]), "StackedSequence: `boundaries` must have one entry fewer"),
        (lambda: lrjit.warmup(A, 10, start=0.0, shape="exponential"), "Warmup: `start` must be > 0"),
        (lambda: lrjit.warmup(A, -1), "Warmup: `steps` must be an integer >= 0, got -1"),
        (lambda: lrjit.warmup(A, 10, shape="quadratic"), "Warmup: `shape` must be one of"),
        (lambda: lrjit.warmup(A, 10, mode="both"), "Warmup: `mode` must be one of"),
        (lambda: lrjit.clip(A, 0.5, 0.1), "Clip: `lower` must be <= `upper`"),
        (lambda: lrjit.Repeat(A, 0), "Repeat: `period` must be an integer >= 1, got 0"),
        (lambda: lrjit.PerEpoch(A, 0), "PerEpoch: `steps_per_epoch` must be an integer >= 1, got 0"),
        (lambda: lrjit.Constant(float("nan")), "Constant: `value` must be a finite float"),
    ],
)
def test_bad_compositions_raise_value_error_naming_the_argument(
    build: Callable[[], Any], message: str
) -> None:
    with pytest.raises(ValueError) as info:
        build()
    assert message in str(info.value), str(info.value)


def test_checked_call_reaches_sub_schedules() -> None:
    """A bad hyperparameter of a piece, traced inside jit, is reported by the checked mode."""

    @jax.jit
    def lr_at(initial: jax.Array, step: jax.Array) -> Any:
        return lrjit.checked_call(lrjit.warmup(lrjit.CosineDecay(initial, 100), 10), step)

    err, _ = lr_at(jnp.float32(-0.1), 5)
    assert "CosineDecay: `initial_learning_rate` must be a finite float >= 0" in str(err.get())
    err, lr = lr_at(jnp.float32(0.1), 5)
    assert err.get() is None and math.isclose(float(lr), 0.05, rel_tol=1e-6)


@pytest.mark.parametrize("mode", ["prefix", "overlap"])
@pytest.mark.parametrize("shape", ["linear", "constant", "exponential", "cosine", "1-sqrt"])
def test_every_warmup_shape_batches_and_differentiates(shape: str, mode: str) -> None:
    """Beyond the registry's sampled (linear, prefix) warmups: each shape and mode vmaps over configs that
    differ in every leaf (warmup length, start, the inner schedule's), equal to the single curves, and its
    gradient with respect to ``start`` and the inner rate matches central differences in float64."""
    steps = np.arange(0, 700, 3, dtype=np.int32)
    configs = [
        lrjit.warmup(lrjit.CosineDecay(lr, d, alpha=a), w, start=s0, shape=shape, mode=mode)
        for lr, d, a, w, s0 in [
            (0.1, 500, 0.1, 50, 0.01),
            (0.3, 300, 0.0, 120, 0.002),
            (0.05, 900, 0.2, 1, 0.04),
        ]
    ]
    batch = lrjit.stack(configs)
    want = np.stack([np.asarray(c(steps)) for c in configs])
    np.testing.assert_allclose(lrjit.curves(batch, steps), want, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(jax.jit(lambda b: b(steps))(batch), want, rtol=1e-6, atol=1e-9)
    with jax.enable_x64(True):
        sched = lrjit.warmup(lrjit.CosineDecay(0.1, 500, alpha=0.1), 100, start=0.01, shape=shape, mode=mode)
        t = np.array([0, 13, 50, 99, 100, 101, 400], np.int64)

        def f(start: Any, lr: Any) -> Any:
            return sched.replace(start=start, schedule=sched.schedule.replace(initial_learning_rate=lr))(t)

        d_start, d_lr = jax.jacfwd(f, argnums=(0, 1))(jnp.float64(0.01), jnp.float64(0.1))
        h = 1e-7
        fd_start = (f(0.01 + h, 0.1) - f(0.01 - h, 0.1)) / (2 * h)
        fd_lr = (f(0.01, 0.1 + h) - f(0.01, 0.1 - h)) / (2 * h)
        np.testing.assert_allclose(d_start, fd_start, rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(d_lr, fd_lr, rtol=1e-6, atol=1e-8)
