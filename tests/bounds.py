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
