"""MaxText's schedule keys (``configs/base.yml``) imported as an lrjit schedule: :func:`from_maxtext`.

The input is a dict of MaxText's keys (from the YAML, or ``pyconfig``'s values): ``steps`` (required),
``learning_rate``, ``learning_rate_schedule_steps`` (-1: ``steps``), ``warmup_steps_fraction``,
``lr_schedule_type`` (``'cosine'`` / ``'wsd'``), ``learning_rate_final_fraction`` (older MaxText:
``cosine_learning_rate_final_fraction``), ``wsd_decay_steps_fraction``, ``wsd_decay_style``; the defaults
are base.yml's. The step counts are derived as MaxText does, ``int(L * fraction)`` in Python floats, into
:class:`lrjit.MaxTextSchedule`. Other keys raise ValueError naming them, unless ``ignore_other_keys=True``
(for a whole config).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lrjit.core import Schedule
from lrjit.families.maxtext import MaxTextSchedule
from lrjit.frontend.importers import Importer, register_importer

__all__ = ["MAXTEXT_DEFAULTS", "from_maxtext"]

# base.yml's values of the schedule keys (``steps`` has no default here: pass it).
MAXTEXT_DEFAULTS: dict[str, Any] = {
    "learning_rate": 3.0e-5,
    "learning_rate_schedule_steps": -1,
    "warmup_steps_fraction": 0.1,
    "lr_schedule_type": "cosine",
    "learning_rate_final_fraction": 0.1,
    "wsd_decay_steps_fraction": 0.1,
    "wsd_decay_style": "linear",
}
_RENAMED = {"cosine_learning_rate_final_fraction": "learning_rate_final_fraction"}
_KEYS = {"steps", *MAXTEXT_DEFAULTS, *_RENAMED}
_MARKERS = (
    "warmup_steps_fraction",
    "learning_rate_schedule_steps",
    "wsd_decay_steps_fraction",
    "lr_schedule_type",
)


def _choice(value: Any) -> str:
    """An enum value (``LearningRateScheduleType.COSINE``) or a string, as its lower-case name."""
    value = getattr(value, "value", value)
    return str(value).rsplit(".", 1)[-1].lower()


def from_maxtext(config: Mapping[str, Any], *, ignore_other_keys: bool = False) -> Schedule:
    """The lrjit schedule of MaxText's ``create_learning_rate_schedule`` for these config keys.

    Args:
      config: MaxText keys (see the module); ``steps`` is required.
      ignore_other_keys: skip keys that are not schedule keys (a whole MaxText config).

    Raises:
      ValueError: a missing ``steps``, an unknown key (without ``ignore_other_keys``), or an unknown
        ``lr_schedule_type`` / ``wsd_decay_style``.
    """
    other = sorted(k for k in config if k not in _KEYS)
    if other and not ignore_other_keys:
        raise ValueError(
            f"from_maxtext: unknown key(s) {', '.join(map(repr, other))} (schedule keys: "
            f"{', '.join(sorted(_KEYS))}; pass ignore_other_keys=True for a whole config)"
        )
    c = dict(MAXTEXT_DEFAULTS)
    for key, value in config.items():
        if key in _KEYS:
            c[_RENAMED.get(key, key)] = value
    if "steps" not in c:
        raise ValueError("from_maxtext: the config lacks `steps` (the number of training steps)")
    steps = int(c["steps"])
    big_l = int(c["learning_rate_schedule_steps"])
    if big_l == -1:
        big_l = steps
    kind, style = _choice(c["lr_schedule_type"]), _choice(c["wsd_decay_style"])
    if kind not in ("cosine", "wsd"):
        raise ValueError(f"from_maxtext: `lr_schedule_type` must be 'cosine' or 'wsd', got {kind!r}")
    if style not in ("linear", "cosine"):
        raise ValueError(f"from_maxtext: `wsd_decay_style` must be 'linear' or 'cosine', got {style!r}")
    return MaxTextSchedule(
        learning_rate=float(c["learning_rate"]),
        steps=steps,
        learning_rate_schedule_steps=big_l,
        warmup_steps=int(big_l * float(c["warmup_steps_fraction"])),
        lr_schedule_type=kind,
        learning_rate_final_fraction=float(c["learning_rate_final_fraction"]),
        wsd_decay_steps=int(big_l * float(c["wsd_decay_steps_fraction"])),
        wsd_decay_style=style,
    )


def _is_maxtext(obj: Any) -> bool:
    """A dict with ``steps`` and one of MaxText's schedule-only keys, and no lrjit ``family``."""
    return (
        isinstance(obj, Mapping)
        and "family" not in obj
        and "steps" in obj
        and any(k in obj for k in _MARKERS)
    )


register_importer(Importer("maxtext", _is_maxtext, from_maxtext))
