"""Levanter's optimizer config imported as an lrjit schedule: :func:`from_levanter`.

The input is the ``optimizer:`` block of a Levanter config as a dict (``learning_rate``,
``min_lr_ratio``, ``warmup``, ``decay``, ``rewarmup``, ``cycles`` / ``cycle_length``, ``lr_schedule``, and
the optimizer's own keys, which do not change the rate: ``type``, ``weight_decay``, ``beta1``, ...), plus
the trainer's ``num_train_steps``. ``OptimizerConfig.lr_scheduler`` (``levanter/optim/config.py``) is
followed step by step: fractions-or-steps converted as its ``_convert_frac_or_steps``, cycle ends as its
``_get_cycle_minima``, each cycle a :class:`lrjit.LevanterSchedule` re-warming from the previous cycle's
last value, the cycles joined with :func:`lrjit.sequence`. Not supported, raising ValueError naming them:
the deprecated ``cooldown`` and ``haps``, ``lr_schedule`` ``power`` (and unknown names), a cosine or
``inv`` decay of 0 steps (optax / Levanter fail there too), a negative stable phase, unknown keys.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

import numpy as np

from lrjit.compose import sequence
from lrjit.core import Schedule
from lrjit.families.levanter import LR_SCHEDULES, LevanterSchedule
from lrjit.frontend.importers import Importer, register_importer

__all__ = ["from_levanter"]

_SCHEDULE_KEYS = {
    "learning_rate",
    "min_lr_ratio",
    "warmup",
    "decay",
    "rewarmup",
    "cooldown",
    "cycle_length",
    "cycles",
    "lr_schedule",
    "haps",
    "num_train_steps",
}
# OptimizerConfig / AdamConfig / LionConfig keys that do not change the rate.
_OPTIMIZER_KEYS = {
    "type",
    "weight_decay",
    "weight_decay_modules",
    "default_weight_decay_mask",
    "beta1",
    "beta2",
    "epsilon",
    "max_grad_norm",
    "nesterov",
    "update_rms_clipping",
    "clip_update_norm",
    "skip_bad_steps",
    "adamc_weight_decay",
    "decoupled_weight_decay",
    "use_mup",
}
_DEFAULTS = {
    "learning_rate": 6e-4,
    "min_lr_ratio": 0.1,
    "warmup": 0.01,
    "rewarmup": 0.0,
    "lr_schedule": "cosine",
}


def _frac_or_steps(name: str, x: float, n: int) -> int:
    """Levanter's ``_convert_frac_or_steps``: a fraction of ``n`` (<= 1) or whole steps."""
    if x < 0.0 or (x > 1.0 and x % 1 != 0):
        raise ValueError(f"from_levanter: `{name}` = {x!r} must be a fraction in [0, 1] or whole steps")
    return int(x * n) if x <= 1.0 else int(x)


def _cycle_points(c: dict[str, Any], total: int) -> list[int]:
    """Levanter's ``_get_cycle_minima``: 0, the cycle ends, ``total``."""
    length, cycles = c.get("cycle_length"), c.get("cycles")
    if length is not None:
        if cycles is not None:
            raise ValueError("from_levanter: use one of `cycle_length` and `cycles`")
        if isinstance(length, list | tuple):
            points = np.cumsum(length).tolist()
            if points[-1] > total:
                raise ValueError(f"from_levanter: `cycle_length` sums to {points[-1]} > {total} steps")
        else:
            step = _frac_or_steps("cycle_length", length, total)
            points = [i * step for i in range(1, total // step)]
    elif isinstance(cycles, int):
        points = [int(total / cycles * (i + 1)) for i in range(cycles - 1)]
    elif isinstance(cycles, list | tuple):
        points = list(cycles)
    else:
        points = []
    points.insert(0, 0)
    if points[-1] != total:
        points.append(total)
    return points


def from_levanter(optimizer: Mapping[str, Any], *, num_train_steps: int | None = None) -> Schedule:
    """The lrjit schedule of a Levanter optimizer config.

    Args:
      optimizer: the ``optimizer:`` block as a dict (see the module); may hold ``num_train_steps``.
      num_train_steps: the trainer's ``num_train_steps``, unless in the dict.

    Raises:
      ValueError: a missing ``num_train_steps``, an unknown key or schedule, an unsupported setting.
    """
    c = dict(optimizer)
    unknown = sorted(set(c) - _SCHEDULE_KEYS - _OPTIMIZER_KEYS)
    if unknown:
        raise ValueError(f"from_levanter: unknown key(s) {', '.join(map(repr, unknown))}")
    for key in ("cooldown", "haps"):
        if c.get(key) is not None:
            raise ValueError(
                f"from_levanter: the deprecated `{key}` is not supported (use `cycles` / `decay`)"
            )
    total = c.get("num_train_steps", num_train_steps)
    if total is None:
        raise ValueError("from_levanter: `num_train_steps` is needed (pass num_train_steps=...)")
    c = {**_DEFAULTS, **{k: v for k, v in c.items() if v is not None or k == "decay"}}
    kind: Any = c["lr_schedule"]
    extra: dict[str, Any] = {}
    if isinstance(kind, Mapping):  # draccus choice: {"type": "cosine", "exponent": 2.0}
        extra = {k: v for k, v in kind.items() if k != "type"}
        kind = kind.get("type")
        allowed = {"cosine": {"exponent"}, "inv_sqrt": {"timescale"}}.get(kind, set())
        bad = sorted(set(extra) - allowed)
        if bad:
            raise ValueError(f"from_levanter: `lr_schedule` {kind!r} takes no {', '.join(map(repr, bad))}")
    if kind not in LR_SCHEDULES:
        raise ValueError(
            f"from_levanter: `lr_schedule` {kind!r} is not supported; supported: {', '.join(LR_SCHEDULES)}"
        )
    lr, ratio_min = float(c["learning_rate"]), float(c["min_lr_ratio"])
    if kind == "inv" and ratio_min <= 0:
        raise ValueError("from_levanter: `lr_schedule` 'inv' divides by `min_lr_ratio`: it must be > 0")
    points = _cycle_points(c, int(total))
    pieces: list[LevanterSchedule] = []
    previous_end = 0.0
    for i, (start, end) in enumerate(itertools.pairwise(points)):
        cycle_steps = end - start
        w = _frac_or_steps(
            "warmup" if i == 0 else "rewarmup", c["warmup"] if i == 0 else c["rewarmup"], cycle_steps
        )
        d = (
            _frac_or_steps("decay", c["decay"], cycle_steps)
            if c.get("decay") is not None
            else cycle_steps - w
        )
        s = cycle_steps - w - d
        if s < 0:
            raise ValueError(
                f"from_levanter: cycle {i}: warmup {w} + decay {d} steps exceed its {cycle_steps} steps"
            )
        piece_kind = kind
        if d == 0:
            if kind in ("cosine", "inv"):
                raise ValueError(f"from_levanter: cycle {i} has a {kind} decay of 0 steps")
            piece_kind = "constant"  # optax's linear schedule of 0 steps is its start
        piece = LevanterSchedule(
            learning_rate=lr,
            warmup_steps=w,
            stable_steps=s,
            decay_steps=max(d, 1),
            min_lr_ratio=ratio_min,
            lr_schedule=piece_kind,
            warmup_start_lr=previous_end,
            **extra,
        )
        previous_end = float(np.asarray(piece(w + s + d)))
        pieces.append(piece)
    return pieces[0] if len(pieces) == 1 else sequence(pieces, points[1:-1])


def _is_levanter(obj: Any) -> bool:
    """A dict with ``learning_rate``, one of Levanter's schedule keys and only Levanter optimizer keys."""
    if not isinstance(obj, Mapping) or "family" in obj:
        return False
    keys = set(obj)
    markers = {"min_lr_ratio", "warmup", "rewarmup", "cycles", "cycle_length", "lr_schedule"}
    return "learning_rate" in keys and bool(keys & markers) and keys <= _SCHEDULE_KEYS | _OPTIMIZER_KEYS


register_importer(Importer("levanter", _is_levanter, from_levanter))
