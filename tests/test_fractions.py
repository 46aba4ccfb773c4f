"""``lrjit.fractions``: step-count arguments given as fractions of a run.

The expected step counts are the sources' own arithmetic on Python floats: ``int(total * fraction)``
(MaxText ``src/MaxText/maxtext_utils.py`` ``create_learning_rate_schedule``: ``int(steps *
warmup_steps_fraction)``; big_vision and Levanter floor the same way), ``math.ceil(total * ratio)``
(transformers ``TrainingArguments.get_warmup_steps``) and Python's ``round`` (half to even, as timm's
``decay_t = round(decay_epochs * t)``).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import lrjit

FRACTIONS = [0.0, 0.1, 0.25, 0.3, 0.7, 0.9, 0.999, 1.0, 1 / 3, 2 / 3, 0.5]
TOTALS = [0, 1, 7, 10, 1000, 10_000, 12_345]
PYTHON: dict[str, Callable[[float], int]] = {"floor": lambda x: int(x), "ceil": math.ceil, "round": round}


@pytest.mark.parametrize("rounding", ["floor", "ceil", "round"])
def test_scalar_fractions_follow_python_arithmetic(rounding: str) -> None:
    for total in TOTALS:
        for f in FRACTIONS:
            cos = lrjit.fractions(
                lrjit.CosineDecay,
                0.1,
                1,  # an int: a step count, kept
                warmup_steps=f,
                warmup_target=1.0,
                total_steps=total,
                rounding=rounding,
            )
            assert int(cos.warmup_steps) == PYTHON[rounding](total * f), (total, f)
            pair = sorted([f, 1 - f])
            milestones = lrjit.fractions(lrjit.MultiStepLR, 1.0, pair, total_steps=total, rounding=rounding)
            assert list(milestones.milestones) == [PYTHON[rounding](total * p) for p in pair]


def test_the_documented_example() -> None:
    sched = lrjit.fractions(
        lrjit.CosineDecay,
        total_steps=10_000,
        initial_learning_rate=0.0,
        decay_steps=0.9,
        warmup_steps=0.1,
        warmup_target=0.1,
    )
    assert sched == lrjit.CosineDecay(0.0, 9000, warmup_steps=1000, warmup_target=0.1)
    # Hugging Face's warmup_ratio: ceil(N * ratio)
    hf = lrjit.fractions(lrjit.LinearWithWarmup, 0.1, 0.03, 1.0, total_steps=1234, rounding="ceil")
    assert int(hf.num_warmup_steps) == math.ceil(1234 * 0.03) == 38 and int(hf.num_training_steps) == 1234


def test_ints_and_other_arguments_are_kept() -> None:
    # an int is a step count; a float rate / factor is no duration; an integer non-duration stays as given
    sched = lrjit.fractions(lrjit.CosineWithHardRestarts, 0.5, 0.1, 900, num_cycles=3, total_steps=1000)
    assert sched == lrjit.CosineWithHardRestarts(0.5, 100, 900, num_cycles=3)
    arr = np.array([10, 20])
    assert np.array_equal(lrjit.fractions(lrjit.StepLR, 1.0, arr, total_steps=5).step_size, arr)
    # a family with its own total_steps gets the run's
    one = lrjit.fractions(lrjit.OneCycleLR, 1.0, pct_start=0.3, total_steps=500)
    assert one == lrjit.OneCycleLR(1.0, 500, pct_start=0.3)
    # vector durations (milestones) and compositions (a warmup's length)
    assert list(lrjit.fractions(lrjit.MultiStepLR, 1.0, [0.5, 0.75], total_steps=1000).milestones) == [
        500,
        750,
    ]
    inner = lrjit.ExponentialLR(1.0, 0.9)
    assert lrjit.fractions(lrjit.Warmup, inner, 0.05, total_steps=1000) == lrjit.Warmup(inner, 50)


def test_batched_fractions_give_batched_steps() -> None:
    fractions = np.array([0.1, 0.25, 0.5])
    batch = lrjit.fractions(lrjit.StepLR, np.ones(3), fractions, gamma=np.full(3, 0.5), total_steps=100)
    assert lrjit.batch_size(batch) == 3
    np.testing.assert_array_equal(batch.step_size, [10, 25, 50])
    steps = np.arange(120)
    want = np.stack([lrjit.StepLR(1.0, s, 0.5)(steps) for s in (10, 25, 50)])
    np.testing.assert_array_equal(np.asarray(batch(steps)), want)


def test_traced_fractions() -> None:
    steps = np.arange(64)

    def curve(f: jax.Array) -> jax.Array:
        return lrjit.fractions(lrjit.StepLR, 1.0, f, gamma=0.5, total_steps=40)(steps)

    fractions = jnp.array([0.1, 0.25, 0.5])
    got = jax.vmap(curve)(fractions)
    want = np.stack([lrjit.StepLR(1.0, s, 0.5)(steps) for s in (4, 10, 20)])
    np.testing.assert_array_equal(np.asarray(got), want)
    np.testing.assert_array_equal(np.asarray(jax.jit(curve)(jnp.float32(0.25))), want[1])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"step_size": 1.5}, r"`step_size` must be a fraction of total_steps in \[0, 1\].*got 1.5"),
        ({"step_size": -0.1}, "got -0.1"),
        ({"step_size": float("nan")}, "got nan"),
        ({"step_size": 100.0}, "got 100.0"),  # a float step count: give it as an int
        ({"step_size": np.array([0.5, 2.0])}, r"got 2.0 \(at index 1\)"),
        ({"step_size": [0.5, 2.0]}, r"got 2.0 \(at index 1\)"),
    ],
)
def test_fractions_outside_the_unit_interval_raise(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        lrjit.fractions(lrjit.StepLR, 1.0, total_steps=100, **kwargs)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="total_steps"):
        lrjit.fractions(lrjit.StepLR, 1.0, 0.5, total_steps=-1)
    with pytest.raises(ValueError, match="total_steps"):
        lrjit.fractions(lrjit.StepLR, 1.0, 0.5, total_steps=100.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="rounding"):
        lrjit.fractions(lrjit.StepLR, 1.0, 0.5, total_steps=100, rounding="nearest")
    with pytest.raises(TypeError, match="twice"):
        lrjit.fractions(lrjit.StepLR, 1.0, 0.5, total_steps=100, step_size=0.5)
    with pytest.raises(lrjit.FieldError, match="step_size"):  # 0.001 * 100 floors to 0 steps: StepLR says why
        lrjit.fractions(lrjit.StepLR, 1.0, 0.001, total_steps=100)
