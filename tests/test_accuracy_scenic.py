"""The scenic family against an independent float64 closed form.

The closed form transcribes ``piecewise_linear_scheduler`` of google-research/scenic
``scenic/train_lib/lr_schedules.py``: boundaries ``[0, *decay_events, step]``, factors ``[1.0,
*decay_factors, decay_factors[-1]]``, ``index = sum(boundaries[1:] < step)``, slope ``m / clip(n, 1)`` over
the segment, ``a * (step - boundaries[index]) + factors[index]``; in NumPy float64 on integer steps. The
method and the bounds are described in ``accuracy.py``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from accuracy import Config, Stored, check_closed_form, families_of, hand, params

FAMILIES = families_of("lrjit.families.scenic")


def ref_piecewise_linear(c: Stored, s: np.ndarray) -> np.ndarray:
    events = c.vec("decay_events", np.int64)
    factors = c.vec("decay_factors", np.float64)
    n = events.size
    index = np.searchsorted(events, s, side="left")  # sum(boundaries[1:] < step): the appended step never
    lo = np.concatenate([[0], events])[index]
    hi = np.where(index == n, s, np.concatenate([[0], events, [0]])[index + 1])
    f_lo = np.concatenate([[1.0], factors])[index]
    f_hi = np.concatenate([[1.0], factors, factors[-1:]])[index + 1]
    a = (f_hi - f_lo) / np.maximum(hi - lo, 1).astype(np.float64)
    return a * (s - lo).astype(np.float64) + f_lo


REFERENCES: dict[str, Callable[[Stored, np.ndarray], np.ndarray]] = {
    "PiecewiseLinearScheduler": ref_piecewise_linear
}


def edges(family: str, c: Stored, limit: int) -> list[int]:
    return [int(e) for e in c.vec("decay_events", np.int64)]


HAND: dict[str, list[Config]] = {
    "PiecewiseLinearScheduler": [
        # a decay to 1% over a run of 100k steps, in three segments
        hand(
            "PiecewiseLinearScheduler",
            "three_segments",
            decay_events=[30_000, 60_000, 90_000],
            decay_factors=[0.1, 0.05, 0.01],
        ),
        # an event at 0 (step 0 stays at 1), equal events (a jump one step after them), a rise, a zero
        hand(
            "PiecewiseLinearScheduler",
            "event_at_0_and_equal_events",
            decay_events=[0, 100, 100, 1000, 5000],
            decay_factors=[0.5, 0.2, 0.8, 3.0, 0.0],
        ),
        # one event near the top of the tested range
        hand("PiecewiseLinearScheduler", "late_event", decay_events=[9_999_999], decay_factors=[1e-4]),
    ]
}


@pytest.mark.parametrize(("cfg", "precision"), params(FAMILIES, HAND))
def test_matches_closed_form(cfg: Config, precision: str) -> None:
    """lrjit within the float32 / x64 bound of the float64 closed form at every tested step."""
    check_closed_form(cfg, precision, REFERENCES, edges)
