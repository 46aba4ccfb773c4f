"""optax's schedule constructors with optax's signatures (``lrjit.interop.optax``) against optax itself,
live (optax is a dependency), over steps that cover every phase, the boundaries and past the end."""

from __future__ import annotations

import numpy as np
import optax
import pytest

import lrjit
from lrjit.interop import optax as schedules

from bounds import assert_within

STEPS = np.concatenate([np.arange(0, 300), [499, 500, 501, 999, 1000, 1001, 5000, 10**6, 2**31 - 1]])

CASES = {
    "constant": ("constant_schedule", dict(value=0.3)),
    "linear": ("linear_schedule", dict(init_value=0.1, end_value=0.001, transition_steps=200)),
    "linear_begin": (
        "linear_schedule",
        dict(init_value=0.0, end_value=0.5, transition_steps=100, transition_begin=37),
    ),
    "linear_negative_begin": (
        "linear_schedule",
        dict(init_value=0.2, end_value=0.0, transition_steps=100, transition_begin=-5),
    ),
    "linear_zero_steps": ("linear_schedule", dict(init_value=0.2, end_value=0.0, transition_steps=0)),
    "polynomial": (
        "polynomial_schedule",
        dict(init_value=1.0, end_value=0.01, power=2.5, transition_steps=250, transition_begin=10),
    ),
    "exponential": ("exponential_decay", dict(init_value=0.1, transition_steps=30, decay_rate=0.5)),
    "exponential_staircase_begin_floor": (
        "exponential_decay",
        dict(
            init_value=0.1,
            transition_steps=30,
            decay_rate=0.5,
            transition_begin=20,
            staircase=True,
            end_value=0.002,
        ),
    ),
    "exponential_growth_cap": (
        "exponential_decay",
        dict(init_value=0.01, transition_steps=50, decay_rate=2.0, end_value=0.5),
    ),
    "exponential_rate_zero": ("exponential_decay", dict(init_value=0.1, transition_steps=30, decay_rate=0.0)),
    "cosine": ("cosine_decay_schedule", dict(init_value=0.5, decay_steps=250, alpha=0.1)),
    "warmup_cosine": (
        "warmup_cosine_decay_schedule",
        dict(init_value=0.0, peak_value=1.0, warmup_steps=50, decay_steps=280, end_value=0.05),
    ),
    "warmup_cosine_no_warmup": (
        "warmup_cosine_decay_schedule",
        dict(init_value=0.3, peak_value=1.0, warmup_steps=0, decay_steps=200),
    ),
    "warmup_constant": ("warmup_constant_schedule", dict(init_value=0.0, peak_value=0.2, warmup_steps=64)),
    "warmup_exponential": (
        "warmup_exponential_decay_schedule",
        dict(
            init_value=0.0,
            peak_value=0.4,
            warmup_steps=40,
            transition_steps=25,
            decay_rate=0.7,
            transition_begin=10,
            staircase=True,
            end_value=0.01,
        ),
    ),
    "piecewise_constant": (
        "piecewise_constant_schedule",
        dict(init_value=0.1, boundaries_and_scales={100: 0.1, 1: 0.5, 250: 3.0, 501: 0.25}),
    ),
    "piecewise_constant_at_zero": (
        "piecewise_constant_schedule",
        dict(init_value=0.1, boundaries_and_scales={0: 0.5, 100: 0.1}),
    ),
}


def evaluate(name: str, kwargs: dict) -> tuple[np.ndarray, np.ndarray]:
    ours = getattr(schedules, name)(**kwargs)
    assert isinstance(ours, lrjit.Schedule)
    theirs = getattr(optax, name)(**kwargs)
    reference = np.array([float(theirs(np.int64(s))) for s in STEPS])  # optax's own per-step call
    return np.asarray(ours(STEPS), np.float64), reference


@pytest.mark.parametrize("case", CASES)
def test_values_match_optax(case: str) -> None:
    name, kwargs = CASES[case]
    got, want = evaluate(name, kwargs)
    assert_within(got, want, x64=False, what=case, steps=STEPS)


def test_join_and_sgdr_match_optax() -> None:
    cycles = [
        dict(init_value=0.0, peak_value=1.0, warmup_steps=10, decay_steps=100, end_value=0.01),
        dict(init_value=0.0, peak_value=0.5, warmup_steps=20, decay_steps=200, end_value=0.0),
        dict(init_value=0.1, peak_value=0.25, warmup_steps=0, decay_steps=150, end_value=0.02),
    ]
    ours, theirs = schedules.sgdr_schedule(cycles), optax.sgdr_schedule(cycles)
    want = np.array([float(theirs(np.int64(s))) for s in STEPS])
    assert_within(np.asarray(ours(STEPS), np.float64), want, x64=False, what="sgdr", steps=STEPS)
    joined = schedules.join_schedules(
        [schedules.linear_schedule(0.0, 1.0, 30), schedules.exponential_decay(1.0, 40, 0.3)], [30]
    )
    reference = optax.join_schedules(
        [optax.linear_schedule(0.0, 1.0, 30), optax.exponential_decay(1.0, 40, 0.3)], [30]
    )
    want = np.array([float(reference(np.int64(s))) for s in STEPS])
    assert_within(np.asarray(joined(STEPS), np.float64), want, x64=False, what="join", steps=STEPS)


def test_a_batch_of_optax_configs_is_one_lrjit_batch() -> None:
    batch = lrjit.stack(
        [schedules.warmup_cosine_decay_schedule(0.0, peak, 50, 1000) for peak in (0.1, 0.3, 1.0)]
    )
    assert lrjit.batch_size(batch) == 3
    for row, peak in zip(np.asarray(lrjit.curves(batch, 1000)), (0.1, 0.3, 1.0), strict=True):
        reference = optax.warmup_cosine_decay_schedule(0.0, peak, 50, 1000)
        assert_within(row, np.asarray(reference(np.arange(1000))), x64=False, what=f"peak {peak}")


def test_what_is_not_mapped_says_so() -> None:
    with pytest.raises(NotImplementedError, match=r"exponent=2\.0"):
        schedules.cosine_decay_schedule(0.1, 100, exponent=2.0)
    with pytest.raises(ValueError, match="decay_steps must exceed warmup_steps"):
        schedules.warmup_cosine_decay_schedule(0.0, 1.0, 100, 100)
    with pytest.raises(ValueError, match="scales must be >= 0"):
        schedules.piecewise_constant_schedule(0.1, {10: -1.0})
    with pytest.raises(ValueError, match="expected len\\(boundaries\\) \\+ 1 schedules"):
        schedules.join_schedules([schedules.constant_schedule(0.1)], [10])
