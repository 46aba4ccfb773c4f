"""The optax family (``PiecewiseInterpolate``) against an independent float64 closed form.

The closed form transcribes ``piecewise_interpolate_schedule`` of google-deepmind/optax
``optax/schedules/_schedule.py`` (with ``_linear_interpolate`` and ``_cosine_interpolate``): bounds ``(0,
*boundaries)``, values the running products of ``(init_value, *scales)``, interval sizes ``max(b_{i+1} -
b_i, 1)``, the interval ``b_i <= s < b_{i+1}`` interpolated at ``(s - b_i) / size``, the last value from
the last boundary on, in float64 with exact integer counts. The optax constructors that build it are
compared live with optax in ``test_optax_signatures.py``; the method and the bounds are described in
``accuracy.py``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from accuracy import Config, Stored, check_closed_form, cos2_half, families_of, hand, params

FAMILIES = families_of("lrjit.families.optax")


def ref_piecewise_interpolate(c: Stored, s: np.ndarray) -> np.ndarray:
    bounds = np.concatenate([[0], c.vec("boundaries", np.int64)])
    # The products in the stored dtype, as lrjit and optax take them (float32 unless x64).
    values = np.cumprod(np.concatenate([[c["init_value"]], c["scales"]])).astype(np.float64)
    out = np.where(bounds[-1] <= s, values[-1], 0.0)
    for i in range(len(bounds) - 1):
        inside = (bounds[i] <= s) & (s < bounds[i + 1])
        size = max(int(bounds[i + 1]) - int(bounds[i]), 1)
        pct = (s - bounds[i]) / size
        start, end = values[i], values[i + 1]
        if c["interpolate_type"] == "linear":
            value = (end - start) * pct + start
        else:  # (1 + cos(pi p)) / 2 as cos(pi p / 2)**2: no cancellation near p = 1
            value = end + (start - end) * cos2_half(pct)
        out = np.where(inside, value, out)
    return out


REFERENCES: dict[str, Callable[[Stored, np.ndarray], np.ndarray]] = {
    "PiecewiseInterpolate": ref_piecewise_interpolate
}


def edges(family: str, c: Stored, limit: int) -> list[int]:
    return [0, *c.vec("boundaries", np.int64).tolist()]


HAND: dict[str, list[Config]] = {
    "PiecewiseInterpolate": [
        hand(  # optax.linear_onecycle_schedule(1000, 0.1)'s dict
            "PiecewiseInterpolate",
            "linear_onecycle",
            interpolate_type="linear",
            init_value=0.004,
            boundaries=[300, 850, 1000],
            scales=[25.0, 0.04, 1e-4],
        ),
        hand(  # optax.cosine_onecycle_schedule(10**6, 1.0)'s dict
            "PiecewiseInterpolate",
            "cosine_onecycle_long",
            interpolate_type="cosine",
            init_value=0.04,
            boundaries=[300_000, 1_000_000],
            scales=[25.0, 4e-6],
        ),
        hand(
            "PiecewiseInterpolate",
            "zero_and_equal_boundaries",
            interpolate_type="cosine",
            init_value=0.2,
            boundaries=[0, 50, 50, 200],
            scales=[0.5, 2.0, 3.0, 0.1],
        ),
        hand(
            "PiecewiseInterpolate",
            "negative_boundaries",
            interpolate_type="cosine",
            init_value=0.2,
            boundaries=[-100, -10, 500],
            scales=[2.0, 0.5, 0.01],
        ),
        hand(
            "PiecewiseInterpolate",
            "to_the_top_then_zero",
            interpolate_type="linear",
            init_value=1.0,
            boundaries=[5, 9, 2**31 - 2],
            scales=[0.5, 4.0, 0.0],
        ),
    ],
}


@pytest.mark.parametrize(("cfg", "precision"), params(FAMILIES, HAND))
def test_matches_closed_form(cfg: Config, precision: str) -> None:
    """lrjit within the float32 / x64 bound of the float64 closed form at every tested step."""
    check_closed_form(cfg, precision, REFERENCES, edges)
