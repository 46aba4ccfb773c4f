"""optax's schedule constructors, with optax's names, arguments and values, returning lrjit schedules.

Code written against ``optax.schedules`` ports by changing the module: ``from lrjit.interop import optax
as schedules`` then ``schedules.warmup_cosine_decay_schedule(0.0, 1.0, 500, 10_000)`` is an lrjit pytree
(vmappable over configs, one fused kernel) with optax's curve. Each function maps to the lrjit family or
composition with the same formula, and follows optax's conventions:

- ``transition_begin`` holds ``init_value`` until that step (a :func:`lrjit.sequence` of a
  :class:`~lrjit.Constant` and the decay); a negative one counts as 0, as optax logs;
- a non-positive ``transition_steps`` (and ``exponential_decay``'s ``decay_rate == 0``) gives the constant
  ``init_value``, as optax does;
- ``piecewise_constant_schedule`` scales from the boundary step on (optax compares ``count < threshold``;
  Keras's ``PiecewiseConstantDecay`` keeps the earlier value at a boundary, so its boundaries are optax's
  minus one), with optax's running float32 products of the scales;
- ``warmup_cosine_decay_schedule``'s ``decay_steps`` include the warmup (the cosine runs over
  ``decay_steps - warmup_steps``), ``end_value`` becomes the cosine's floor ``alpha = end_value /
  peak_value``;
- ``join_schedules`` and ``sgdr_schedule`` are :func:`lrjit.sequence` (each piece counts from 0 at its
  boundary, as optax's ``count - boundary``);
- a cosine ``exponent`` other than 1 is Levanter's cosine (:class:`~lrjit.LevanterSchedule`, whose decay
  is optax's ``cosine_decay_schedule``); it must be > 0;
- ``piecewise_interpolate_schedule`` is :class:`~lrjit.PiecewiseInterpolate` (the dict sorted into
  boundaries and scales, as optax sorts it); ``linear_onecycle_schedule`` and ``cosine_onecycle_schedule``
  build optax's own dict of boundaries (``int(pct * transition_steps)``; a later entry at the same step
  replaces an earlier one, as in optax's dict) and interpolate it.

Values agree with optax within the project's float32 bound (``tests/test_optax_signatures.py`` compares
them live).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from lrjit.compose import Offset, maximum, minimum, sequence
from lrjit.core import Constant, Schedule
from lrjit.core.fields import is_traced
from lrjit.families.keras import CosineDecay, ExponentialDecay, PiecewiseConstantDecay, PolynomialDecay
from lrjit.families.levanter import LevanterSchedule
from lrjit.families.optax import INTERPOLATE_TYPES, PiecewiseInterpolate

__all__ = [
    "constant_schedule",
    "cosine_decay_schedule",
    "cosine_onecycle_schedule",
    "exponential_decay",
    "join_schedules",
    "linear_onecycle_schedule",
    "linear_schedule",
    "piecewise_constant_schedule",
    "piecewise_interpolate_schedule",
    "polynomial_schedule",
    "sgdr_schedule",
    "warmup_constant_schedule",
    "warmup_cosine_decay_schedule",
    "warmup_exponential_decay_schedule",
]


def constant_schedule(value: float) -> Schedule:
    """``optax.constant_schedule``: ``value`` at every step."""
    return Constant(value)


def polynomial_schedule(
    init_value: float, end_value: float, power: float, transition_steps: int, transition_begin: int = 0
) -> Schedule:
    """``optax.polynomial_schedule``: ``(init - end) * (1 - t / T)**power + end`` with ``t`` the steps
    since ``transition_begin``, clipped to ``[0, T]`` (Keras's ``PolynomialDecay``)."""
    if transition_steps <= 0:
        return Constant(init_value)
    decay = PolynomialDecay(init_value, transition_steps, end_learning_rate=end_value, power=power)
    return _from(transition_begin, init_value, decay)


def linear_schedule(
    init_value: float, end_value: float, transition_steps: int, transition_begin: int = 0
) -> Schedule:
    """``optax.linear_schedule``: :func:`polynomial_schedule` with power 1.

    Example:
      >>> from lrjit.interop import optax as schedules
      >>> print(schedules.linear_schedule(1.0, 0.0, 4, transition_begin=2)(np.arange(8)))
      [1.   1.   1.   0.75 0.5  0.25 0.   0.  ]
    """
    return polynomial_schedule(init_value, end_value, 1.0, transition_steps, transition_begin)


def warmup_constant_schedule(init_value: float, peak_value: float, warmup_steps: int) -> Schedule:
    """``optax.warmup_constant_schedule``: linear from ``init_value`` to ``peak_value``, then constant."""
    return linear_schedule(init_value, peak_value, warmup_steps)


def exponential_decay(
    init_value: float,
    transition_steps: int,
    decay_rate: float,
    transition_begin: int = 0,
    staircase: bool = False,
    end_value: float | None = None,
) -> Schedule:
    """``optax.exponential_decay``: ``init * rate**(t / T)`` (``floor(t / T)`` with ``staircase``) for the
    ``t`` steps since ``transition_begin``, bounded by ``end_value`` (a floor when ``rate < 1``, a cap
    otherwise); Keras's ``ExponentialDecay``."""
    if transition_steps <= 0 or decay_rate == 0:
        return Constant(init_value)
    decay: Schedule = ExponentialDecay(init_value, transition_steps, decay_rate, staircase=staircase)
    decay = _from(transition_begin, init_value, decay)
    if end_value is None:
        return decay
    return maximum(decay, end_value) if decay_rate < 1.0 else minimum(decay, end_value)


def cosine_decay_schedule(
    init_value: float, decay_steps: int, alpha: float = 0.0, exponent: float = 1.0
) -> Schedule:
    """``optax.cosine_decay_schedule``: ``init * ((1 - alpha) * c**exponent + alpha)`` with ``c = (1 +
    cos(pi t / T)) / 2``, held from ``T`` on (Keras's ``CosineDecay``; Levanter's cosine for an
    ``exponent`` other than 1).

    Example:
      >>> from lrjit.interop import optax as schedules
      >>> sched = schedules.cosine_decay_schedule(1.0, decay_steps=4, exponent=2.0)
      >>> print(np.asarray(sched(np.arange(6)), np.float64).round(4))
      [1.     0.7286 0.25   0.0214 0.     0.    ]
    """
    if not decay_steps > 0:
        raise ValueError(f"cosine_decay_schedule: decay_steps must be > 0, got {decay_steps!r}")
    return _cosine(init_value, decay_steps, alpha, exponent, "cosine_decay_schedule")


def warmup_cosine_decay_schedule(
    init_value: float,
    peak_value: float,
    warmup_steps: int,
    decay_steps: int,
    end_value: float = 0.0,
    exponent: float = 1.0,
) -> Schedule:
    """``optax.warmup_cosine_decay_schedule``: linear from ``init_value`` to ``peak_value`` over
    ``warmup_steps``, then a cosine to ``end_value`` reached at ``decay_steps`` (the warmup included).

    Example:
      >>> from lrjit.interop import optax as schedules
      >>> sched = schedules.warmup_cosine_decay_schedule(0.0, 1.0, warmup_steps=2, decay_steps=6)
      >>> print(np.asarray(sched(np.arange(8)), np.float64).round(4))
      [0.     0.5    1.     0.8536 0.5    0.1464 0.     0.    ]
    """
    if not decay_steps - warmup_steps > 0:
        raise ValueError(
            "warmup_cosine_decay_schedule: decay_steps must exceed warmup_steps (optax's decay_steps "
            f"include the warmup), got decay_steps={decay_steps!r}, warmup_steps={warmup_steps!r}"
        )
    alpha = 0.0 if peak_value == 0.0 else end_value / peak_value
    if warmup_steps <= 0:
        # optax's zero-step linear piece is the constant init_value, never reached; its join evaluates the
        # cosine at count - warmup_steps, so a negative warmup enters the cosine that many steps in.
        decay = _cosine(
            peak_value, decay_steps - warmup_steps, alpha, exponent, "warmup_cosine_decay_schedule"
        )
        return decay if warmup_steps == 0 else Offset(decay, -warmup_steps)
    if _all_one(exponent):
        return CosineDecay(
            init_value,
            decay_steps - warmup_steps,
            alpha=alpha,
            warmup_target=peak_value,
            warmup_steps=warmup_steps,
        )
    _check_exponent(exponent, "warmup_cosine_decay_schedule")
    return LevanterSchedule(
        peak_value,
        warmup_steps,
        0,
        decay_steps - warmup_steps,
        alpha,
        warmup_start_lr=init_value,
        exponent=exponent,
    )


def warmup_exponential_decay_schedule(
    init_value: float,
    peak_value: float,
    warmup_steps: int,
    transition_steps: int,
    decay_rate: float,
    transition_begin: int = 0,
    staircase: bool = False,
    end_value: float | None = None,
) -> Schedule:
    """``optax.warmup_exponential_decay_schedule``: linear warmup to ``peak_value``, then
    :func:`exponential_decay` of ``peak_value`` counted from the end of the warmup."""
    return join_schedules(
        [
            linear_schedule(init_value, peak_value, warmup_steps),
            exponential_decay(
                peak_value, transition_steps, decay_rate, transition_begin, staircase, end_value
            ),
        ],
        [warmup_steps],
    )


def piecewise_constant_schedule(
    init_value: float, boundaries_and_scales: Mapping[int, float] | None = None
) -> Schedule:
    """``optax.piecewise_constant_schedule``: ``init_value``, multiplied by each scale from its boundary
    step on (scales accumulate), as a ``PiecewiseConstantDecay``."""
    if not boundaries_and_scales:
        return Constant(init_value)
    if any(scale < 0.0 for scale in boundaries_and_scales.values()):
        raise ValueError(
            f"piecewise_constant_schedule: scales must be >= 0, got {dict(boundaries_and_scales)!r}"
        )
    value = start = np.float32(init_value)
    boundaries: list[int] = []
    values: list[np.float32] = []
    for threshold, scale in sorted(boundaries_and_scales.items()):
        value = np.float32(value * np.float32(scale))  # optax's running float32 product
        if threshold <= 0:  # every step is at or past it
            start = value
        else:
            boundaries.append(int(threshold) - 1)
            values.append(value)
    if not boundaries:
        return Constant(float(start))
    return PiecewiseConstantDecay(boundaries, [float(v) for v in (start, *values)])


def piecewise_interpolate_schedule(
    interpolate_type: str, init_value: float, boundaries_and_scales: Mapping[int, float] | None = None
) -> Schedule:
    """``optax.piecewise_interpolate_schedule``: ``'linear'`` or ``'cosine'`` interpolation between the
    values ``init_value`` times the scales of the boundaries up to each (the scales accumulate), as a
    :class:`~lrjit.PiecewiseInterpolate` (the boundaries sorted, as optax sorts them).

    Example:
      >>> from lrjit.interop import optax as schedules
      >>> sched = schedules.piecewise_interpolate_schedule("linear", 1.0, {8: 0.01, 4: 0.1})
      >>> print(np.asarray(sched(np.arange(0, 11, 2)), np.float64).round(6))
      [1.     0.55   0.1    0.0505 0.001  0.001 ]
    """
    if interpolate_type not in INTERPOLATE_TYPES:
        raise ValueError(
            "piecewise_interpolate_schedule: interpolate_type must be 'linear' or 'cosine', got "
            f"{interpolate_type!r}"
        )
    if not boundaries_and_scales:
        return Constant(init_value)
    if any(scale < 0.0 for scale in boundaries_and_scales.values()):
        raise ValueError(
            f"piecewise_interpolate_schedule: scales must be >= 0, got {dict(boundaries_and_scales)!r}"
        )
    boundaries, scales = zip(*sorted(boundaries_and_scales.items()), strict=True)
    return PiecewiseInterpolate(interpolate_type, init_value, list(boundaries), list(scales))


def linear_onecycle_schedule(
    transition_steps: int,
    peak_value: float,
    pct_start: float = 0.3,
    pct_final: float = 0.85,
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
) -> Schedule:
    """``optax.linear_onecycle_schedule``: linear from ``peak_value / div_factor`` up to ``peak_value`` at
    step ``int(pct_start * transition_steps)``, back down at ``int(pct_final * transition_steps)``, then to
    ``peak_value / div_factor / final_div_factor`` at ``transition_steps`` (held after)."""
    if transition_steps <= 0:
        raise ValueError(f"linear_onecycle_schedule: transition_steps must be > 0, got {transition_steps!r}")
    return piecewise_interpolate_schedule(
        "linear",
        peak_value / div_factor,
        {  # optax's dict, in its order: an entry at the step of an earlier one replaces it
            int(pct_start * transition_steps): div_factor,
            int(pct_final * transition_steps): 1.0 / div_factor,
            transition_steps: 1.0 / final_div_factor,
        },
    )


def cosine_onecycle_schedule(
    transition_steps: int,
    peak_value: float,
    pct_start: float = 0.3,
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
) -> Schedule:
    """``optax.cosine_onecycle_schedule``: a cosine from ``peak_value / div_factor`` up to ``peak_value``
    at step ``int(pct_start * transition_steps)``, then a cosine down to ``peak_value / (div_factor *
    final_div_factor)`` at ``transition_steps`` (held after)."""
    if transition_steps <= 0:
        raise ValueError(f"cosine_onecycle_schedule: transition_steps must be > 0, got {transition_steps!r}")
    return piecewise_interpolate_schedule(
        "cosine",
        peak_value / div_factor,
        {
            int(pct_start * transition_steps): div_factor,
            int(transition_steps): 1.0 / (div_factor * final_div_factor),
        },
    )


def join_schedules(schedules: Sequence[Schedule], boundaries: Sequence[int]) -> Schedule:
    """``optax.join_schedules``: ``schedules[i]`` from ``boundaries[i - 1]`` on, counting from 0 there."""
    if len(schedules) != len(boundaries) + 1:
        raise ValueError(
            f"join_schedules: expected len(boundaries) + 1 schedules, got {len(schedules)} schedules and "
            f"{len(boundaries)} boundaries"
        )
    return sequence(list(schedules), list(boundaries)) if boundaries else schedules[0]


def sgdr_schedule(cosine_kwargs: Sequence[Mapping[str, Any]]) -> Schedule:
    """``optax.sgdr_schedule``: :func:`warmup_cosine_decay_schedule` cycles joined end to end (each
    cycle's ``decay_steps`` long)."""
    pieces = [warmup_cosine_decay_schedule(**kwargs) for kwargs in cosine_kwargs]
    ends = np.cumsum([kwargs["decay_steps"] for kwargs in cosine_kwargs])
    return join_schedules(pieces, [int(e) for e in ends[:-1]])


def _from(begin: int, init_value: float, decay: Schedule) -> Schedule:
    """``decay`` counted from step ``begin`` (``init_value`` before it; a negative begin is 0)."""
    return decay if begin <= 0 else sequence([Constant(init_value), decay], [begin])


def _cosine(init_value: float, decay_steps: int, alpha: float, exponent: float, caller: str) -> Schedule:
    """optax's cosine decay from ``init_value`` over ``decay_steps`` to the floor ``alpha``, raised to
    ``exponent`` (``caller`` names the constructor in errors)."""
    if _all_one(exponent):
        return CosineDecay(init_value, decay_steps, alpha=alpha)
    _check_exponent(exponent, caller)
    return LevanterSchedule(init_value, decay_steps=decay_steps, min_lr_ratio=alpha, exponent=exponent)


def _all_one(exponent: Any) -> bool:
    """A concrete exponent of 1 (every entry of a batch): the plain cosine."""
    return not is_traced(exponent) and bool(np.all(np.asarray(exponent) == 1.0))


def _check_exponent(exponent: Any, caller: str) -> None:
    if is_traced(exponent):
        return  # checked by the family under checkify
    value = np.asarray(exponent, np.float64)
    if not np.all(np.isfinite(value) & (value > 0)):
        raise ValueError(f"{caller}: exponent must be a finite float > 0, got {exponent!r}")
