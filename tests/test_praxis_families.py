"""The praxis families at their edges, against the float64 transcription of google/praxis
``praxis/schedules.py`` in ``test_accuracy_praxis.py``: zero-length warmups and holds, a one-step decay,
steps past the end up to the largest int32 step, and the degenerate configs. Where praxis refuses a config
(its asserts, ``Polynomial``'s ``ValueError``) or divides by zero into NaN / inf, the transcription shows
what praxis does and lrjit either gives the same finite values or raises ``FieldError`` naming the field.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
import test_accuracy_praxis as praxis

import lrjit

from accuracy import Stored
from bounds import assert_within

TOP = 2**31 - 1
STEPS = np.array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 99, 100, 101, 999, 1000, 1001, 10**6, TOP - 1, TOP])


def at(values: np.ndarray, *steps: int) -> np.ndarray:
    """``values`` (over STEPS) at the given steps."""
    return np.asarray(values)[[list(STEPS).index(s) for s in steps]]


def _check(sched: lrjit.Schedule, steps: np.ndarray = STEPS) -> np.ndarray:
    """lrjit within the float32 bound of the transcription at ``steps``; returns the reference."""
    ref = praxis.REFERENCES[type(sched).__name__](Stored(sched), steps)
    assert_within(sched(steps), ref, x64=False, what=repr(sched), steps=steps)
    return ref


# ------------------------------------------------------------------------------------------------------
# Phases of zero length, one-step decays, past the end
# ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "family", ["LinearRampupPolynomialDecay", "LinearRampupCosineDecay", "LinearRampupExponentialDecay"]
)
def test_rampup_edges(family: str) -> None:
    cls = lrjit.registry()[family]
    # no warmup and no hold: the decay from step 0 (praxis joins the decay piece alone)
    ref = _check(cls(decay_end=100, min_ratio=0.1, max=1.0))
    assert ref[0] == 1.0 and ref[-1] == pytest.approx(0.1)
    # warmup == decay_start: the ramp ends where the decay starts
    ref = _check(cls(warmup_steps=10, decay_start=10, decay_end=1000, min_ratio=0.1, max=2.0))
    np.testing.assert_array_equal(at(ref, 5, 10), [1.0, 2.0])
    # a one-step decay, then the floor held to the largest step
    sched = cls(warmup_steps=2, decay_start=5, decay_end=6, min_ratio=0.25, max=1.0, base_lr=0.1)
    ref = _check(sched)
    np.testing.assert_allclose(ref[:8], 0.1 * np.array([0, 0.5, 1, 1, 1, 1, 0.25, 0.25]))
    assert float(sched(TOP)) == pytest.approx(0.025, rel=1e-6)


def test_base_lr_multiplies_the_praxis_value() -> None:
    """praxis's optimizer multiplies the schedule by its ``learning_rate``: ``base_lr`` here."""
    kwargs = {"warmup_steps": 100, "decay_start": 100, "decay_end": 1000, "max": 1.0}
    unit = lrjit.LinearRampupCosineDecay(**kwargs)
    _check(unit)
    np.testing.assert_allclose(
        lrjit.LinearRampupCosineDecay(**kwargs, base_lr=3e-4)(STEPS),
        3e-4 * np.asarray(unit(STEPS)),
        rtol=1e-6,
    )


def test_piecewise_edges() -> None:
    _check(lrjit.PiecewiseConstant(boundaries=[], values=[0.3]))
    # a boundary step takes the new value; equal boundaries skip a value; a boundary at 0
    ref = _check(lrjit.PiecewiseConstant(boundaries=[0, 5, 5, 100], values=[9.0, 1.0, 7.0, 0.5, 0.125]))
    np.testing.assert_array_equal(at(ref, 0, 4, 5, 99, 100, TOP), [1.0, 1.0, 0.5, 0.5, 0.125, 0.125])
    # praxis's `where(v > 0, ...)`: a zero value gives way to the next positive one, or stays 0
    ref = _check(lrjit.PiecewiseConstant(boundaries=[3, 6, 9], values=[1.0, 0.0, 0.5, 0.0]))
    np.testing.assert_array_equal(ref[:10], [1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0])
    ref = _check(lrjit.PiecewiseConstant(boundaries=[3, 6], values=[1.0, 0.0, 0.0]))
    np.testing.assert_array_equal(ref[:8], [1, 1, 1, 0, 0, 0, 0, 0])
    # the ramp alone, and boundaries[1:] below boundaries[0] (praxis sorts only those)
    ref = _check(lrjit.LinearRampupPiecewiseConstant(boundaries=[4], values=[2.0]))
    np.testing.assert_array_equal(ref[:6], [0, 0.5, 1, 1.5, 2, 2])
    ref = _check(lrjit.LinearRampupPiecewiseConstant(boundaries=[8, 2, 9], values=[1.0, 0.5, 0.25]))
    np.testing.assert_array_equal(at(ref, 7, 8, 9, 10), [0.875, 0.5, 0.25, 0.25])


def test_inverse_sqrt_edges() -> None:
    # warmup 0: praxis's 0 ** -1.5 is inf, and the min takes the decay from step 0
    ref = _check(lrjit.Transformer(warmup_steps=0, model_dim=16))
    assert np.all(np.isfinite(ref)) and ref[0] == 0.25
    ref = _check(lrjit.Transformer(warmup_steps=3, worker_replicas=2, model_dim=4, decay_end=100))
    assert at(ref, TOP) == at(ref, 100)  # frozen from decay_end on
    # LinearRampupSqrtDecay with warmup 0: min(inf, 0), 0 at every step in praxis
    sched = lrjit.LinearRampupSqrtDecay(peak=1.0, warmup_steps=0)
    ref = praxis.REFERENCES["LinearRampupSqrtDecay"](Stored(sched), STEPS)
    assert np.all(ref == 0) and np.all(np.asarray(sched(STEPS)) == 0)
    _check(lrjit.LinearRampupSqrtDecay(peak=2.0, warmup_steps=1))
    _check(lrjit.SqrtDecay(decay_start=1, offset=-3.5))
    _check(lrjit.Cosine(initial_value=0.0, final_value=1.0, total_steps=1))
    _check(lrjit.ContinuousSchedule(start_step=0, half_life_steps=1, min=0.5))


# ------------------------------------------------------------------------------------------------------
# Degenerate configs: what praxis does, what lrjit does
# ------------------------------------------------------------------------------------------------------
def test_zero_length_decay_is_refused_as_praxis_refuses_it() -> None:
    """praxis asserts decay_end >= decay_start, then its decay piece refuses a zero length."""
    with pytest.raises(ValueError):
        praxis.polynomial((0, 1.0), (0, 0.1))
    with pytest.raises(AssertionError):
        praxis.delayed_cosine((0, 1.0), (0, 0.1))
    for family in ("LinearRampupPolynomialDecay", "LinearRampupCosineDecay", "LinearRampupExponentialDecay"):
        cls = lrjit.registry()[family]
        with pytest.raises(lrjit.FieldError, match="`decay_end` must be > `decay_start`") as info:
            cls(warmup_steps=5, decay_start=10, decay_end=10, max=1.0)
        assert info.value.fields == ("decay_end", "decay_start")
        # a warmup longer than decay_start: praxis asserts
        with pytest.raises(lrjit.FieldError, match="`decay_start` must be >= `warmup_steps`"):
            cls(warmup_steps=20, decay_start=10, decay_end=100, max=1.0)
        # praxis's default max=0.0 ("Must set max.")
        with pytest.raises(lrjit.FieldError, match=re.escape("`max` must be a finite float > 0, got 0.0")):
            cls(decay_end=100)


def test_degenerate_ratios_and_lengths() -> None:
    # Exponential takes log(max * min_ratio): praxis asserts it is > 0
    with pytest.raises(AssertionError):
        praxis.exponential((0, 1.0), (10, 0.0))
    with pytest.raises(lrjit.FieldError, match=re.escape("`min_ratio` must be a finite float > 0, got 0.0")):
        lrjit.LinearRampupExponentialDecay(decay_end=10, min_ratio=0.0, max=1.0)
    # ContinuousSchedule: min = 1 makes the decay zero-length (praxis asserts start < limit)
    with pytest.raises(AssertionError):
        praxis.exponential((0, 1.0), (0 + 10 * math.log(1.0) / math.log(0.5), 1.0))
    with pytest.raises(lrjit.FieldError, match=r"`min` must be a float in \(0, 1\), got 1.0"):
        lrjit.ContinuousSchedule(min=1.0)
    # the ramp of LinearRampupPiecewiseConstant needs boundaries[0] >= 1 (praxis's Linear raises)
    with pytest.raises(ValueError):
        praxis.polynomial((0, 0.0), (0, 1.0))
    with pytest.raises(lrjit.FieldError, match="`boundaries` must start at a step >= 1"):
        lrjit.LinearRampupPiecewiseConstant(boundaries=[0, 10], values=[1.0, 0.5])
    with pytest.raises(lrjit.FieldError, match="`boundaries` after the first must be sorted"):
        lrjit.LinearRampupPiecewiseConstant(boundaries=[5, 10, 7], values=[1.0, 0.5, 0.1])
    with pytest.raises(lrjit.FieldError, match="as many entries as `boundaries`"):
        lrjit.LinearRampupPiecewiseConstant(boundaries=[5, 10], values=[1.0, 0.5, 0.1])
    with pytest.raises(lrjit.FieldError, match="one more entry than `boundaries`"):
        lrjit.PiecewiseConstant(boundaries=[5, 10], values=[1.0, 0.5])
    with pytest.raises(lrjit.FieldError, match=r"`boundaries` must be sorted \(non-decreasing\)"):
        lrjit.PiecewiseConstant(boundaries=[10, 5], values=[1.0, 0.5, 0.1])


def test_divisions_by_zero_are_refused() -> None:
    """praxis's Cosine with its default total_steps=0 is NaN at step 0 (0 / 0), and SqrtDecay with
    decay_start=0 is inf at steps <= offset (rsqrt(0)): lrjit refuses both configs."""
    with np.errstate(invalid="ignore", divide="ignore"):
        stored = {"initial_value": 1.0, "final_value": 0.0, "total_steps": 0, "base_lr": 1.0}
        nan_at_0 = praxis.ref_cosine(_Fake(stored), np.array([0, 1, 5]))
        stored = {"decay_start": 0, "multiplier": 1.0, "offset": 2.0, "base_lr": 1.0}
        inf_early = praxis.ref_sqrt_decay(_Fake(stored), np.array([0, 2, 3]))
    assert np.isnan(nan_at_0[0]) and np.all(nan_at_0[1:] == 0.0)
    assert np.all(np.isinf(inf_early[:2])) and inf_early[2] == 1.0
    with pytest.raises(lrjit.FieldError, match="`total_steps` must be an integer >= 1, got 0"):
        lrjit.Cosine()
    with pytest.raises(lrjit.FieldError, match="`decay_start` must be an integer >= 1, got 0"):
        lrjit.SqrtDecay(decay_start=0, offset=2.0)


class _Fake(Stored):
    """Stored values for a config lrjit refuses to build (only the transcription evaluates it)."""

    def __init__(self, config: dict[str, float]) -> None:
        self.config = config
