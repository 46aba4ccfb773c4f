"""optax's schedule constructors with optax's signatures (``lrjit.interop.optax``) against optax itself,
live (optax is a dependency), over steps that cover every phase, the boundaries and past the end."""

from __future__ import annotations

import re

import jax
import jax.numpy as jnp
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
    # a cosine raised to a power (Levanter's cosine)
    "cosine_exponent_2": (
        "cosine_decay_schedule",
        dict(init_value=0.5, decay_steps=250, alpha=0.1, exponent=2.0),
    ),
    "cosine_exponent_half": ("cosine_decay_schedule", dict(init_value=1.0, decay_steps=1, exponent=0.5)),
    "warmup_cosine_exponent": (
        "warmup_cosine_decay_schedule",
        dict(init_value=0.01, peak_value=1.0, warmup_steps=30, decay_steps=280, end_value=0.05, exponent=3.0),
    ),
    "warmup_cosine_exponent_no_warmup": (
        "warmup_cosine_decay_schedule",
        dict(init_value=0.3, peak_value=1.0, warmup_steps=0, decay_steps=200, exponent=1.5),
    ),
    "warmup_cosine_negative_warmup": (
        "warmup_cosine_decay_schedule",
        dict(init_value=0.3, peak_value=1.0, warmup_steps=-40, decay_steps=160),
    ),
    "warmup_cosine_negative_warmup_exponent": (
        "warmup_cosine_decay_schedule",
        dict(init_value=0.3, peak_value=1.0, warmup_steps=-40, decay_steps=160, end_value=0.1, exponent=2.0),
    ),
    # interpolation between accumulated values
    "interpolate_linear": (
        "piecewise_interpolate_schedule",
        dict(interpolate_type="linear", init_value=1.0, boundaries_and_scales={200: 0.01, 40: 0.1, 120: 3.0}),
    ),
    "interpolate_cosine": (
        "piecewise_interpolate_schedule",
        dict(interpolate_type="cosine", init_value=0.2, boundaries_and_scales={50: 5.0, 260: 0.001}),
    ),
    "interpolate_at_zero": (
        "piecewise_interpolate_schedule",
        dict(interpolate_type="cosine", init_value=0.2, boundaries_and_scales={0: 0.5, 100: 0.1, 101: 4.0}),
    ),
    "interpolate_negative_boundary": (
        "piecewise_interpolate_schedule",
        dict(interpolate_type="linear", init_value=0.2, boundaries_and_scales={-30: 2.0, 70: 0.1}),
    ),
    "interpolate_negative_boundary_cosine": (
        "piecewise_interpolate_schedule",
        dict(interpolate_type="cosine", init_value=0.2, boundaries_and_scales={-30: 2.0, -5: 0.5, 70: 0.1}),
    ),
    "interpolate_zero_scale": (
        "piecewise_interpolate_schedule",
        dict(interpolate_type="linear", init_value=0.2, boundaries_and_scales={10: 0.0, 20: 7.0}),
    ),
    "interpolate_past_the_grid": (
        "piecewise_interpolate_schedule",
        dict(interpolate_type="cosine", init_value=0.2, boundaries_and_scales={10**6: 0.01}),
    ),
    "interpolate_empty": ("piecewise_interpolate_schedule", dict(interpolate_type="linear", init_value=0.2)),
    # one-cycle schedules: optax's dict of int(pct * transition_steps) boundaries
    "linear_onecycle": ("linear_onecycle_schedule", dict(transition_steps=250, peak_value=0.4)),
    "linear_onecycle_pct_start_0": (
        "linear_onecycle_schedule",
        dict(transition_steps=250, peak_value=0.4, pct_start=0.0, div_factor=10.0),
    ),
    "linear_onecycle_pct_final_1": (
        "linear_onecycle_schedule",
        dict(transition_steps=250, peak_value=0.4, pct_start=0.5, pct_final=1.0),
    ),
    "linear_onecycle_equal_pcts": (  # one boundary replaces the other, as in optax's dict
        "linear_onecycle_schedule",
        dict(transition_steps=250, peak_value=0.4, pct_start=0.4, pct_final=0.4),
    ),
    "linear_onecycle_one_step": ("linear_onecycle_schedule", dict(transition_steps=1, peak_value=0.4)),
    "linear_onecycle_three_steps": (
        "linear_onecycle_schedule",
        dict(transition_steps=3, peak_value=0.4, final_div_factor=5.0),
    ),
    "cosine_onecycle": ("cosine_onecycle_schedule", dict(transition_steps=250, peak_value=0.4)),
    "cosine_onecycle_pct_start_0": (
        "cosine_onecycle_schedule",
        dict(transition_steps=250, peak_value=0.4, pct_start=0.0),
    ),
    "cosine_onecycle_pct_start_1": (
        "cosine_onecycle_schedule",
        dict(transition_steps=250, peak_value=0.4, pct_start=1.0, div_factor=4.0, final_div_factor=100.0),
    ),
    "cosine_onecycle_long": (
        "cosine_onecycle_schedule",
        dict(transition_steps=5000, peak_value=1.0, pct_start=0.25, div_factor=10.0, final_div_factor=1e3),
    ),
    "cosine_onecycle_one_step": ("cosine_onecycle_schedule", dict(transition_steps=1, peak_value=0.4)),
}


def evaluate(name: str, kwargs: dict) -> tuple[np.ndarray, np.ndarray]:
    ours = getattr(schedules, name)(**kwargs)
    assert isinstance(ours, lrjit.Schedule)
    theirs = getattr(optax, name)(**kwargs)
    return np.asarray(ours(STEPS), np.float64), optax_values(theirs, STEPS)


def optax_values(schedule: optax.Schedule, steps: np.ndarray) -> np.ndarray:
    """optax's schedule at each step (int32 counts, as optax gets them without x64), vmapped: some of its
    schedules take a scalar count only."""
    values = jax.vmap(schedule)(jnp.asarray(steps, jnp.int32))
    return np.broadcast_to(np.asarray(values, np.float64), steps.shape)


@pytest.mark.parametrize("case", CASES)
def test_values_match_optax(case: str) -> None:
    name, kwargs = CASES[case]
    got, want = evaluate(name, kwargs)
    keep = np.ones(STEPS.shape, bool)
    if kwargs.get("warmup_steps", 0) < 0:
        # optax's join computes count - warmup_steps in int32, which wraps negative at the top of the
        # step range; lrjit's offset saturates there (the cosine's end value). Compared where it fits.
        keep = STEPS - kwargs["warmup_steps"] <= 2**31 - 1
        assert got[-1] == pytest.approx(kwargs.get("end_value", 0.0), rel=1e-6, abs=1e-7)  # the end value
    assert_within(got[keep], want[keep], x64=False, what=case, steps=STEPS[keep])


def test_join_and_sgdr_match_optax() -> None:
    cycles = [
        dict(init_value=0.0, peak_value=1.0, warmup_steps=10, decay_steps=100, end_value=0.01),
        dict(init_value=0.0, peak_value=0.5, warmup_steps=20, decay_steps=200, end_value=0.0),
        dict(init_value=0.1, peak_value=0.25, warmup_steps=0, decay_steps=150, end_value=0.02),
    ]
    ours, theirs = schedules.sgdr_schedule(cycles), optax.sgdr_schedule(cycles)
    want = optax_values(theirs, STEPS)
    assert_within(np.asarray(ours(STEPS), np.float64), want, x64=False, what="sgdr", steps=STEPS)
    joined = schedules.join_schedules(
        [schedules.linear_schedule(0.0, 1.0, 30), schedules.exponential_decay(1.0, 40, 0.3)], [30]
    )
    reference = optax.join_schedules(
        [optax.linear_schedule(0.0, 1.0, 30), optax.exponential_decay(1.0, 40, 0.3)], [30]
    )
    want = optax_values(reference, STEPS)
    assert_within(np.asarray(joined(STEPS), np.float64), want, x64=False, what="join", steps=STEPS)


def test_a_batch_of_optax_configs_is_one_lrjit_batch() -> None:
    batch = lrjit.stack(
        [schedules.warmup_cosine_decay_schedule(0.0, peak, 50, 1000) for peak in (0.1, 0.3, 1.0)]
    )
    assert lrjit.batch_size(batch) == 3
    for row, peak in zip(np.asarray(lrjit.curves(batch, 1000)), (0.1, 0.3, 1.0), strict=True):
        reference = optax.warmup_cosine_decay_schedule(0.0, peak, 50, 1000)
        assert_within(row, np.asarray(reference(np.arange(1000))), x64=False, what=f"peak {peak}")


def test_a_batch_of_onecycles_is_one_lrjit_batch() -> None:
    peaks = (0.1, 0.3, 1.0)
    batch = lrjit.stack([schedules.cosine_onecycle_schedule(1000, peak) for peak in peaks])
    assert lrjit.batch_size(batch) == 3
    for row, peak in zip(np.asarray(lrjit.curves(batch, 1200)), peaks, strict=True):
        want = optax_values(optax.cosine_onecycle_schedule(1000, peak), np.arange(1200))
        assert_within(row, want, x64=False, what=f"peak {peak}")


@pytest.mark.parametrize(
    ("name", "kwargs", "message"),
    [
        (
            "linear_onecycle_schedule",
            dict(transition_steps=0, peak_value=0.1),
            "transition_steps must be > 0",
        ),
        (
            "cosine_onecycle_schedule",
            dict(transition_steps=-3, peak_value=0.1),
            "transition_steps must be > 0",
        ),
        (
            "piecewise_interpolate_schedule",
            dict(interpolate_type="cubic", init_value=0.1, boundaries_and_scales={10: 0.5}),
            "interpolate_type must be 'linear' or 'cosine', got 'cubic'",
        ),
        (
            "piecewise_interpolate_schedule",
            dict(interpolate_type="linear", init_value=0.1, boundaries_and_scales={10: -0.5}),
            "scales must be >= 0",
        ),
        (
            "cosine_decay_schedule",
            dict(init_value=0.1, decay_steps=100, exponent=0.0),
            "exponent must be a finite float > 0, got 0.0",
        ),
    ],
)
def test_what_optax_refuses_is_refused(name: str, kwargs: dict, message: str) -> None:
    """optax raises a ValueError for these (except a cosine exponent <= 0, which optax takes and lrjit
    does not); lrjit's says what was wrong."""
    if name != "cosine_decay_schedule":
        with pytest.raises(ValueError):
            getattr(optax, name)(**kwargs)(np.arange(3))
    with pytest.raises(ValueError, match=re.escape(message)):
        getattr(schedules, name)(**kwargs)


def test_what_is_wrong_says_so() -> None:
    with pytest.raises(ValueError, match="decay_steps must exceed warmup_steps"):
        schedules.warmup_cosine_decay_schedule(0.0, 1.0, 100, 100)
    with pytest.raises(ValueError, match="scales must be >= 0"):
        schedules.piecewise_constant_schedule(0.1, {10: -1.0})
    with pytest.raises(ValueError, match="expected len\\(boundaries\\) \\+ 1 schedules"):
        schedules.join_schedules([schedules.constant_schedule(0.1)], [10])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(boundaries=[10, 5], scales=[0.5, 0.5]), r"`boundaries` must be sorted \(non-decreasing\)"),
        (dict(boundaries=[10, 20], scales=[0.5]), "got 1 scales for 2 boundaries"),
        (dict(boundaries=[], scales=[]), "`boundaries` must have at least one entry"),
        (dict(boundaries=[10], scales=[-0.5]), r"`scales` must be a finite float >= 0, got -0\.5"),
        (dict(boundaries=[10], scales=[0.5], interpolate_type="cubic"), "`interpolate_type` must be one of"),
    ],
)
def test_piecewise_interpolate_refuses_bad_input(kwargs: dict, message: str) -> None:
    kwargs = {"interpolate_type": "linear", "init_value": 0.1, **kwargs}
    with pytest.raises(lrjit.FieldError, match=message):
        lrjit.PiecewiseInterpolate(**kwargs)
