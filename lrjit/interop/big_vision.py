"""big_vision's ``config.schedule`` imported as an lrjit schedule: :func:`from_big_vision`.

The input is the schedule dict (a plain dict, or an ``ml_collections.ConfigDict``, read through its
``items()`` / ``to_dict()`` without importing ml_collections) holding big_vision's keys: ``decay_type``,
``mult`` (big_vision's ``base``), ``{warmup,cooldown}_{steps,epochs,examples,percent}``, ``power``,
``end`` / ``linear_end``, ``timescale`` / ``timescale_examples``, ``shift``, ``steps`` / ``mults`` (stair),
``scale_with_batchsize``; and, as in big_vision's trainers (``sched_kw``), ``total_steps``, ``batch_size``
and ``data_size`` (also accepted as keyword arguments), and ``lr`` (``config.lr``, multiplied in; default
1). Durations are converted as ``big_vision.utils.steps`` does (rounded to the nearest step, at least 1
unless 0); a duration that needs a missing ``total_steps`` / ``batch_size`` / ``data_size`` raises naming
it. A ``'stair'`` schedule with steps becomes ``PiecewiseConstantDecay(steps - 1, [1, *mults]) *
BigVisionSchedule(...)``. Per-parameter schedules (a list of ``(pattern, schedule)`` pairs) and unknown keys
raise ValueError naming them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lrjit.core import Schedule
from lrjit.families.big_vision import DECAY_TYPES, BigVisionSchedule
from lrjit.families.keras import PiecewiseConstantDecay
from lrjit.frontend.importers import Importer, plain_value, register_importer

__all__ = ["from_big_vision"]

_DURATIONS = tuple(
    f"{p}_{s}" for p in ("warmup", "cooldown") for s in ("steps", "epochs", "examples", "percent")
)
_KEYS = {
    "decay_type",
    "mult",
    "power",
    "end",
    "linear_end",
    "timescale",
    "timescale_examples",
    "shift",
    "steps",
    "mults",
    "scale_with_batchsize",
    "total_steps",
    "batch_size",
    "data_size",
    "lr",
    *_DURATIONS,
}


def _as_dict(config: Any) -> dict[str, Any]:
    if hasattr(config, "to_dict") and callable(config.to_dict):  # ml_collections.ConfigDict
        config = config.to_dict()
    if not isinstance(config, Mapping):
        raise TypeError(f"from_big_vision: expected a schedule dict, got {type(config).__qualname__}")
    return {k: plain_value(v) for k, v in config.items()}


def _steps(prefix: str, c: dict[str, Any], data_size: Any, batch_size: Any, total_steps: Any) -> int:
    """``big_vision.utils.steps(prefix, c, data_size, batch_size, total_steps, default=0)``, raising
    naming the missing quantity."""
    given = [
        f"{prefix}_{s}"
        for s in ("steps", "examples", "epochs", "percent")
        if c.get(f"{prefix}_{s}") is not None
    ]
    if len(given) > 1:
        raise ValueError(f"from_big_vision: only one of {', '.join(map(repr, given))} may be set")
    if not given:
        return 0
    key = given[0]
    x = c[key]

    def to_integer(v: float) -> int:
        return max(1, round(v)) if v else 0

    if key.endswith("_steps"):
        return int(x)
    if key.endswith("_examples"):
        if not batch_size:
            raise ValueError(f"from_big_vision: `{key}` needs `batch_size`")
        return to_integer(x / batch_size)
    if key.endswith("_epochs"):
        missing = [n for n, v in (("batch_size", batch_size), ("data_size", data_size)) if not v]
        if missing:
            raise ValueError(f"from_big_vision: `{key}` needs {' and '.join(f'`{m}`' for m in missing)}")
        return to_integer(x * (data_size / batch_size))
    if not total_steps:
        raise ValueError(f"from_big_vision: `{key}` needs `total_steps`")
    if not 0.0 <= x <= 1.0:
        raise ValueError(f"from_big_vision: `{key}` must lie in [0, 1], got {x!r}")
    return to_integer(x * total_steps)


def from_big_vision(
    schedule: Any,
    *,
    total_steps: int | None = None,
    batch_size: int | None = None,
    data_size: int | None = None,
    lr: float | None = None,
) -> Schedule:
    """The lrjit schedule of a big_vision ``config.schedule`` (times ``config.lr``).

    Args:
      schedule: the schedule dict or ConfigDict (see the module).
      total_steps: the training steps (big_vision's ``total_steps``), unless in the dict.
      batch_size: the global batch size, unless in the dict.
      data_size: the examples per epoch, unless in the dict.
      lr: ``config.lr``, multiplied in (default 1), unless in the dict.

    Raises:
      ValueError: an unknown key or decay type, a missing quantity (named), or a per-parameter schedule.
    """
    if isinstance(schedule, list | tuple):
        raise ValueError(
            "from_big_vision: per-parameter schedules ((pattern, schedule) pairs) are not supported"
        )
    c = _as_dict(schedule)
    unknown = sorted(set(c) - _KEYS)
    if unknown:
        raise ValueError(f"from_big_vision: unknown schedule key(s) {', '.join(map(repr, unknown))}")
    if "base" in c:
        raise ValueError("from_big_vision: big_vision's schedule takes `mult`, not `base`")
    total = c.get("total_steps", total_steps)
    batch = c.get("batch_size", batch_size)
    data = c.get("data_size", data_size)
    scale = c.get("lr", 1.0 if lr is None else lr)
    if total is None:
        raise ValueError("from_big_vision: `total_steps` is needed (pass total_steps=...)")
    decay_type = c.get("decay_type", "stair")
    if decay_type not in DECAY_TYPES:
        raise ValueError(
            f"from_big_vision: unknown `decay_type` {decay_type!r}; supported: {', '.join(DECAY_TYPES)}"
        )
    base = float(c.get("mult", 1.0)) * float(scale)
    if c.get("scale_with_batchsize"):
        if not batch:
            raise ValueError("from_big_vision: `scale_with_batchsize` needs `batch_size`")
        base = base * batch / 256.0
    if "timescale_examples" in c:
        if not batch:
            raise ValueError("from_big_vision: `timescale_examples` needs `batch_size`")
        timescale = c["timescale_examples"] / batch
    else:
        timescale = c.get("timescale", 10_000)
    sched = BigVisionSchedule(
        total_steps=int(total),
        base=base,
        decay_type=decay_type,
        warmup_steps=_steps("warmup", c, data, batch, total),
        cooldown_steps=_steps("cooldown", c, data, batch, total),
        power=float(c.get("power", 1)),
        end=float(c.get("end", c.get("linear_end", 0))),
        timescale=float(timescale),
        shift=float(c.get("shift", 0)),
    )
    stair_steps, mults = list(c.get("steps") or []), list(c.get("mults") or [])
    if decay_type != "stair" or not stair_steps:
        return sched
    if len(mults) != len(stair_steps):
        raise ValueError(
            f"from_big_vision: `mults` needs one entry per `steps` entry, got {mults} for {stair_steps}"
        )
    if stair_steps[0] < 1:
        raise ValueError(f"from_big_vision: stair `steps` must be >= 1, got {stair_steps}")
    # big_vision: mults[searchsorted(steps, s + 1)] = values[#(steps <= s)] = Keras's values[#(b < s)]
    # with b = steps - 1.
    stairs = PiecewiseConstantDecay([s - 1 for s in stair_steps], [1.0, *map(float, mults)])
    return stairs * sched


def _is_big_vision(obj: Any) -> bool:
    """A dict (or ConfigDict) with ``decay_type`` of big_vision's and only big_vision schedule keys."""
    if not (isinstance(obj, Mapping) or hasattr(obj, "to_dict")):
        return False
    try:
        keys = set(obj.keys())
    except Exception:
        return False
    return "family" not in keys and "decay_type" in keys and keys <= _KEYS


register_importer(Importer("big_vision", _is_big_vision, from_big_vision))
