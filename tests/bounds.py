"""The accuracy bounds every reference test uses (one place).

float32: ``|lrjit - ref| <= 1e-6 * |ref| + 1e-7 * peak``; x64: ``|lrjit - ref| <= 1e-12 * |ref| + 1e-15 *
peak``, ``peak`` being the largest |ref| of the curve. The absolute terms are a few ulps of the peak in each
precision: they cover values that are tiny next to the peak (the bottom of a cosine whose position comes
from a non-integer cycle start), where a relative bound alone would ask for more than the dtype holds.
"""

from __future__ import annotations

from typing import Any

import numpy as np

F32_REL, F32_ABS = 1e-6, 1e-7
F64_REL, F64_ABS = 1e-12, 1e-15


def bound(ref: Any, peak: float, x64: bool) -> Any:
    """The allowed |error| at reference value(s) ``ref``."""
    rel, floor = (F64_REL, F64_ABS) if x64 else (F32_REL, F32_ABS)
    return rel * np.abs(ref) + floor * peak


def assert_within(got: Any, want: Any, x64: bool, what: str = "", steps: Any = None) -> float:
    """Asserts ``|got - want| <= bound(want, peak, x64)`` everywhere (``peak``: the largest |want|) and
    returns the largest err/bound; the message names the worst point (its step when ``steps`` is given)."""
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    err = np.abs(got - want)
    allowed = bound(want, float(np.max(np.abs(want))), x64)
    ratio = err / allowed
    worst = int(np.argmax(np.where(np.isnan(ratio), np.inf, ratio)))
    where = f"step {np.asarray(steps)[worst]}" if steps is not None else f"index {worst}"
    misses = int(np.sum(~(err <= allowed)))
    assert not misses, (
        f"{what} ({'x64' if x64 else 'float32'}): {misses} of {err.size} miss; worst at {where}: "
        f"lrjit={got[worst]!r} ref={want[worst]!r} err/bound={ratio[worst]:.3g}"
    )
    return float(np.max(ratio))
