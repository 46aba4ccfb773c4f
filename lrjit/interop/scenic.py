"""scenic's ``config.lr_configs`` imported as an lrjit schedule: :func:`from_scenic`.

The input is ``config.lr_configs`` (a dict, or an ``ml_collections.ConfigDict``, read through its
``to_dict()`` without importing ml_collections), or the whole config holding it under ``lr_configs``.
scenic's ``get_learning_rate_fn`` (google-research/scenic ``scenic/train_lib/lr_schedules.py``) is
followed: ``base_learning_rate`` is required; without ``learning_rate_schedule`` the rate is that constant
(any ``factors`` are then unused, as in scenic); ``learning_rate_schedule='compound'`` multiplies the
factors named in ``factors`` (``'constant * cosine_decay * linear_warmup'``, split on ``'*'`` and stripped)
from 1.0, in the string's order. Each factor becomes the family or composition with its formula, read
with scenic's keys and defaults:

- ``constant``: ``Constant(base_learning_rate)``;
- ``linear_warmup``: ``Warmup(Constant(1.0), steps=W, start=warmup_alpha)``, ``W = warmup_steps`` (1
  everywhere for ``W = 0``, as in scenic);
- ``rsqrt_decay``: 1 until ``W``, then ``InverseSqrt(1.0, 0, timescale)`` from there, i.e. ``sqrt(timescale
  / (step - W + timescale))``;
- ``decay_every``: ``ExponentialDecay(1.0, steps_per_decay, decay_factor, staircase=True)``;
- ``exponential_decay``: ``ExponentialDecay(1.0, decay_steps, decay_rate, staircase)``;
- ``polynomial``: ``PolynomialDecay(1.0, decay_steps, end_factor, power)``;
- ``piecewise_constant``: ``PiecewiseConstantDecay(decay_events, [1.0, *decay_factors])`` (equal events
  merged, keeping the value scenic reaches after them);
- ``piecewise_linear``: ``PiecewiseLinearScheduler(decay_events, decay_factors)``;
- ``cosine_decay``: 1 until ``W + start_decay_step``, then ``CosineDecayRestarts(1.0, L, t_mul, m_mul,
  alpha)`` with scenic's cycle ``L = steps_per_cycle - int(W / (total_steps / steps_per_cycle))``; no
  factor at all when ``L <= 0`` (a warmup longer than the run), as in scenic;
- ``linear_decay``: with ``d`` = 1 until ``W``, then ``PolynomialDecay(1.0, total_steps - W, 0.0, 1.0)``:
  the rate so far times ``d``, or, with ``end_learning_rate`` set, scenic's affine update ``(rate - end) *
  d + end``;
- ``linear_cooldown``: ``BigVisionSchedule(total_steps, decay_type='stair', cooldown_steps=C)``, i.e.
  ``min(1, (total_steps - step) / C)``, negative past ``total_steps`` as in scenic; with ``W >
  total_steps - C`` also at most its value at ``W`` (scenic's ``max(step, W)``).

The "1 until k, then S from its step 0" pieces are ``Sequence([Constant(1.0), S], [k])``, built for every
``k`` (also 0), so a warmup of 0 steps and one of 500 give one structure (the configs stack), except where
scenic's result itself changes form (a cosine skipped, the cooldown's cap at ``W``, ``end_learning_rate``
set or not). Step counts
must be whole numbers (``1e4`` is read as 10000). Not supported, raising ValueError naming them: unknown
factors and keys (``ignore_other_keys=True`` skips keys), a ``learning_rate_schedule`` other than
``'compound'`` (scenic's only one), a missing key a factor reads, ``linear_decay`` with ``total_steps <=
warmup_steps`` (scenic asserts), ``warmup_alpha`` outside [0, 1], decreasing or negative
``decay_events``, and values outside the families' domains (a ``cooldown_steps`` of 0, ...).

Deliberate differences: scenic computes in float32, and computes the cosine's restart index with a float
log, which at an exact restart step can give the end of the previous cycle; the counts are exact here
(see ``CosineDecayRestarts``). The factors are those of scenic's current file (older versions divided
``piecewise_linear``'s slope by ``n + 1e-6``, a relative difference of ``1e-6 / n``). The step is scenic's
``train_state.global_step`` (0 for the first update).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping
from typing import Any

from lrjit.compose import Minimum, Sequence, Warmup
from lrjit.core import Constant, Schedule
from lrjit.families.big_vision import BigVisionSchedule
from lrjit.families.keras import (
    CosineDecayRestarts,
    ExponentialDecay,
    PiecewiseConstantDecay,
    PolynomialDecay,
)
from lrjit.families.scenic import PiecewiseLinearScheduler
from lrjit.families.transformers import InverseSqrt
from lrjit.frontend.importers import Importer, plain_value, register_importer

__all__ = ["SCENIC_FACTORS", "from_scenic"]

# The keys scenic's lr_schedules.py reads from lr_configs.
_KEYS = {
    "learning_rate_schedule",
    "factors",
    "base_learning_rate",
    "warmup_steps",
    "warmup_alpha",
    "timescale",
    "decay_steps",
    "end_factor",
    "power",
    "decay_events",
    "decay_factors",
    "steps_per_decay",
    "decay_factor",
    "decay_rate",
    "staircase",
    "steps_per_cycle",
    "t_mul",
    "m_mul",
    "alpha",
    "start_decay_step",
    "total_steps",
    "end_learning_rate",
    "cooldown_steps",
}
_MISSING = object()


def _number(key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"from_scenic: `{key}` must be a number, got {value!r}")
    return float(value)


def _whole(key: str, value: Any) -> int:
    """A step count: an int, or a float holding a whole number (``1e4``)."""
    number = _number(key, value)
    if not math.isfinite(number) or number != int(number) or number < 0:
        raise ValueError(f"from_scenic: `{key}` must be a whole number of steps >= 0, got {value!r}")
    return int(number)


class _Factors:
    """The lr_configs values, read as scenic reads them: ``number`` / ``steps`` without a default for
    scenic's ``config[key]``, with one for ``config.get(key, default)``; numbers checked and converted,
    errors naming the key and the factor that reads it."""

    def __init__(self, c: dict[str, Any]) -> None:
        self.c = c
        self.factor = ""

    def _value(self, key: str, default: Any) -> Any:
        value = self.c.get(key, default)
        if value is _MISSING or value is None:
            raise ValueError(f"from_scenic: the factor `{self.factor}` needs `{key}` in lr_configs")
        return value

    def number(self, key: str, default: Any = _MISSING) -> float:
        return _number(key, self._value(key, default))

    def steps(self, key: str, default: Any = _MISSING) -> int:
        return _whole(key, self._value(key, default))

    def events(self) -> list[int]:
        events = self._value("decay_events", _MISSING)
        if not isinstance(events, list | tuple) or not events:
            raise ValueError(f"from_scenic: `decay_events` must be a non-empty list of steps, got {events!r}")
        out = [_whole("decay_events", e) for e in events]
        if any(b < a for a, b in itertools.pairwise(out)):
            raise ValueError(f"from_scenic: `decay_events` must be non-decreasing, got {events!r}")
        return out

    def factors(self, count: int) -> list[float]:
        values = self._value("decay_factors", _MISSING)
        if not isinstance(values, list | tuple) or len(values) != count:
            raise ValueError(
                f"from_scenic: `decay_factors` must have one entry per `decay_events` entry ({count}), "
                f"got {values!r}"
            )
        return [_number("decay_factors", v) for v in values]


def _after(steps: int, schedule: Schedule) -> Schedule:
    """1 before ``steps``, then ``schedule`` from its step 0: ``schedule(max(0, step - steps))`` for a
    schedule that is 1 at its step 0."""
    return Sequence([Constant(1.0), schedule], [steps])


def _times(rate: Schedule | None, factor: Schedule) -> Schedule:
    return factor if rate is None else rate * factor


# ------------------------------------------------------------------------------------------ the factors
def _constant(f: _Factors, rate: Schedule | None) -> Schedule | None:
    return _times(rate, Constant(f.number("base_learning_rate")))


def _linear_warmup(f: _Factors, rate: Schedule | None) -> Schedule | None:
    alpha = f.number("warmup_alpha", 0)
    if not 0 <= alpha <= 1:
        raise ValueError(f"from_scenic: `warmup_alpha` must be in [0, 1], got {alpha!r}")
    return _times(rate, Warmup(Constant(1.0), steps=f.steps("warmup_steps"), start=alpha))


def _rsqrt_decay(f: _Factors, rate: Schedule | None) -> Schedule | None:
    timescale = f.steps("timescale", 10_000)
    decay = InverseSqrt(base_lr=1.0, num_warmup_steps=0, timescale=timescale)
    return _times(rate, _after(f.steps("warmup_steps", 0), decay))


def _decay_every(f: _Factors, rate: Schedule | None) -> Schedule | None:
    every = ExponentialDecay(1.0, f.steps("steps_per_decay"), f.number("decay_factor"), staircase=True)
    return _times(rate, every)


def _exponential_decay(f: _Factors, rate: Schedule | None) -> Schedule | None:
    staircase = bool(f.c.get("staircase", False))
    decay = ExponentialDecay(1.0, f.steps("decay_steps"), f.number("decay_rate"), staircase=staircase)
    return _times(rate, decay)


def _polynomial(f: _Factors, rate: Schedule | None) -> Schedule | None:
    decay = PolynomialDecay(
        1.0, f.steps("decay_steps"), end_learning_rate=f.number("end_factor"), power=f.number("power")
    )
    return _times(rate, decay)


def _piecewise_constant(f: _Factors, rate: Schedule | None) -> Schedule | None:
    events = f.events()
    values = [1.0, *f.factors(len(events))]
    # scenic takes values[#(events < step)]; equal events keep the value after the last of them.
    unique = sorted(set(events))
    kept = [values[0]] + [values[sum(e <= u for e in events)] for u in unique]
    return _times(rate, PiecewiseConstantDecay(unique, kept))


def _piecewise_linear(f: _Factors, rate: Schedule | None) -> Schedule | None:
    events = f.events()
    return _times(rate, PiecewiseLinearScheduler(events, f.factors(len(events))))


def _cosine_decay(f: _Factors, rate: Schedule | None) -> Schedule | None:
    per_cycle = f.steps("steps_per_cycle")
    warmup = f.number("warmup_steps", 0)
    total = f.number("total_steps", per_cycle)
    if per_cycle == 0 or total == 0:
        raise ValueError(
            f"from_scenic: `steps_per_cycle` and `total_steps` must be >= 1, got {per_cycle} and {total}"
        )
    # scenic: "we make the cos equal and subtract warmup steps for each cycle".
    length = per_cycle - int(warmup / (total / per_cycle))
    if length <= 0:  # scenic skips the factor
        return rate
    cosine = CosineDecayRestarts(
        1.0,
        length,
        t_mul=f.number("t_mul", 1.0),
        m_mul=f.number("m_mul", 1.0),
        alpha=f.number("alpha", 0.0),
    )
    start = f.steps("warmup_steps", 0) + f.steps("start_decay_step", 0)
    return _times(rate, _after(start, cosine))


def _linear_decay(f: _Factors, rate: Schedule | None) -> Schedule | None:
    warmup = f.steps("warmup_steps", 0)
    total = f.steps("total_steps")
    if total <= warmup:
        raise ValueError(
            f"from_scenic: with linear_decay, `total_steps` ({total}) must be higher than `warmup_steps` "
            f"({warmup})"
        )
    decay = _after(warmup, PolynomialDecay(1.0, total - warmup, end_learning_rate=0.0, power=1.0))
    if "end_learning_rate" not in f.c:
        return _times(rate, decay)
    end = f.number("end_learning_rate")
    return ((Constant(1.0) if rate is None else rate) - end) * decay + end


def _linear_cooldown(f: _Factors, rate: Schedule | None) -> Schedule | None:
    total, cooldown = f.steps("total_steps"), f.steps("cooldown_steps")
    warmup = f.steps("warmup_steps", 0)
    if cooldown < 1:
        raise ValueError(f"from_scenic: `cooldown_steps` must be >= 1 with linear_cooldown, got {cooldown}")
    cool: Schedule = BigVisionSchedule(total_steps=total, base=1.0, cooldown_steps=cooldown)
    if warmup > total - cooldown:
        # min(1, (T - max(step, W)) / C) = min(its value at step, its value at W): it never increases.
        cool = Minimum(cool, Constant(min(1.0, (total - warmup) / cooldown)))
    return _times(rate, cool)


_FACTORS: dict[str, Callable[[_Factors, Schedule | None], Schedule | None]] = {
    "constant": _constant,
    "polynomial": _polynomial,
    "piecewise_constant": _piecewise_constant,
    "piecewise_linear": _piecewise_linear,
    "linear_warmup": _linear_warmup,
    "rsqrt_decay": _rsqrt_decay,
    "decay_every": _decay_every,
    "exponential_decay": _exponential_decay,
    "cosine_decay": _cosine_decay,
    "linear_decay": _linear_decay,
    "linear_cooldown": _linear_cooldown,
}
SCENIC_FACTORS = tuple(_FACTORS)


# ------------------------------------------------------------------------------------------ reading
def _keys(obj: Any) -> set[str] | None:
    """The keys of a dict or ConfigDict-like object, or None."""
    if not (isinstance(obj, Mapping) or (hasattr(obj, "to_dict") and hasattr(obj, "keys"))):
        return None
    try:
        return set(obj.keys())
    except Exception:
        return None


def _as_dict(config: Any) -> dict[str, Any]:
    if hasattr(config, "to_dict") and callable(config.to_dict):  # ml_collections.ConfigDict
        config = config.to_dict()
    if not isinstance(config, Mapping):
        raise TypeError(f"from_scenic: expected config.lr_configs (a dict), got {type(config).__qualname__}")
    return {k: plain_value(v) for k, v in config.items()}


def from_scenic(lr_configs: Any, *, ignore_other_keys: bool = False) -> Schedule:
    """The lrjit schedule of scenic's ``get_learning_rate_fn`` for ``config.lr_configs``.

    Args:
      lr_configs: ``config.lr_configs`` (a dict or ConfigDict), or the whole config holding it.
      ignore_other_keys: skip keys that scenic's schedules do not read.

    Returns:
      The product of the factors' schedules (see the module), or ``Constant(base_learning_rate)``.

    Raises:
      ValueError: an unknown factor, key or ``learning_rate_schedule``, a missing key, or an unsupported
        value (each named).
      TypeError: ``lr_configs`` is not a dict.
    """
    keys = _keys(lr_configs)
    if keys is not None and "lr_configs" in keys and "learning_rate_schedule" not in keys:
        lr_configs = lr_configs["lr_configs"]
    c = _as_dict(lr_configs)
    other = sorted(k for k in c if k not in _KEYS)
    if other and not ignore_other_keys:
        raise ValueError(
            f"from_scenic: unknown lr_configs key(s) {', '.join(map(repr, other))} (scenic's keys: "
            f"{', '.join(sorted(_KEYS))}; pass ignore_other_keys=True to skip them)"
        )
    if "base_learning_rate" not in c:
        raise ValueError("from_scenic: `base_learning_rate` has to be defined in lr_configs")
    f = _Factors(c)
    kind = c.get("learning_rate_schedule")
    if kind is None:
        f.factor = "constant"
        return Constant(f.number("base_learning_rate"))
    if kind != "compound":
        raise ValueError(
            f"from_scenic: unknown `learning_rate_schedule` {kind!r} (scenic's schedules: 'compound')"
        )
    factors = c.get("factors")
    if not isinstance(factors, str):
        raise ValueError(
            f"from_scenic: `factors` must be a string such as 'constant * linear_warmup', got {factors!r}"
        )
    names = [n.strip() for n in factors.split("*")]
    unknown = [n for n in names if n not in _FACTORS]
    if unknown:
        raise ValueError(
            f"from_scenic: unknown factor(s) {', '.join(map(repr, unknown))} in `factors` {factors!r} "
            f"(scenic's factors: {', '.join(SCENIC_FACTORS)})"
        )
    rate: Schedule | None = None
    for name in names:
        f.factor = name
        rate = _FACTORS[name](f, rate)
    return Constant(1.0) if rate is None else rate


def _is_scenic(obj: Any) -> bool:
    """A dict (or ConfigDict) with scenic's ``learning_rate_schedule`` and ``factors`` or
    ``base_learning_rate``, or a config holding one under ``lr_configs``."""
    keys = _keys(obj)
    if keys is not None and "lr_configs" in keys and "learning_rate_schedule" not in keys:
        try:
            keys = _keys(obj["lr_configs"])
        except Exception:
            return False
    return (
        keys is not None
        and "family" not in keys
        and "learning_rate_schedule" in keys
        and bool(keys & {"factors", "base_learning_rate"})
    )


register_importer(Importer("scenic", _is_scenic, from_scenic))
