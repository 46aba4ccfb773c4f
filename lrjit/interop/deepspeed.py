"""DeepSpeed ``ds_config`` scheduler blocks imported as lrjit schedules: :func:`from_deepspeed`.

DeepSpeed is not imported. The input is the JSON block ``{"type": ..., "params": {...}}`` of
``ds_config["scheduler"]``, or the whole ``ds_config`` dict (its ``"optimizer"`` block then gives the
optimizer's ``lr``, which ``WarmupCosineLR`` multiplies and ``WarmupLR`` takes when ``warmup_max_lr`` is
not set). The types map to the families of the same names (:mod:`lrjit.families.deepspeed`), with the
same parameter names. Not supported, and raising ValueError naming them: unknown types and parameter
keys, ``"auto"`` values (the Hugging Face Trainer fills those in: pass the numbers), a
``last_batch_iteration`` other than -1, per-parameter-group lists, and a ``warmup_type`` other than
``'log'`` / ``'linear'`` (DeepSpeed falls back to ``'log'`` with a warning). The momentum parameters of
``OneCycle`` (``cycle_momentum``, ``cycle_min_mom``, ``cycle_max_mom``, ``decay_mom_rate``) do not change
the rate and are ignored; ``from_deepspeed(config, momentum=True)`` gives that momentum instead
(:class:`lrjit.OneCycleMom`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from lrjit.core import Schedule, fields_of
from lrjit.families import deepspeed as ds
from lrjit.frontend.importers import Importer, register_importer

__all__ = ["DEEPSPEED_FAMILIES", "from_deepspeed"]

DEEPSPEED_FAMILIES: dict[str, type[Schedule]] = {
    "WarmupLR": ds.WarmupLR,
    "WarmupDecayLR": ds.WarmupDecayLR,
    "WarmupCosineLR": ds.WarmupCosineLR,
    "OneCycle": ds.OneCycle,
    "LRRangeTest": ds.LRRangeTest,
}
_IGNORED = {"OneCycle": ("cycle_momentum", "cycle_min_mom", "cycle_max_mom", "decay_mom_rate")}


def _scheduler_block(config: Mapping[str, Any]) -> tuple[Mapping[str, Any], Any]:
    """(the scheduler block, the optimizer's lr or None)."""
    if "scheduler" in config:
        block = config["scheduler"]
        lr = ((config.get("optimizer") or {}).get("params") or {}).get("lr")
    else:
        block, lr = config, None
    if not isinstance(block, Mapping) or "type" not in block:
        raise ValueError('from_deepspeed: expected a "scheduler" block {"type": ..., "params": {...}}')
    extra = sorted(set(block) - {"type", "params"})
    if extra:
        raise ValueError(f"from_deepspeed: unknown scheduler key(s) {', '.join(map(repr, extra))}")
    return block, lr


def from_deepspeed(config: Mapping[str, Any], *, lr: float | None = None, momentum: bool = False) -> Schedule:
    """The lrjit schedule of a DeepSpeed scheduler config.

    Args:
      config: a whole ``ds_config`` dict (with ``"scheduler"``, and ``"optimizer"`` for its ``lr``) or just
        its ``"scheduler"`` block.
      lr: the optimizer's learning rate, where the config has no ``"optimizer"`` block (``WarmupCosineLR``
        multiplies it; ``WarmupLR`` / ``WarmupDecayLR`` take it when ``warmup_max_lr`` is absent).
      momentum: for ``OneCycle``, the momentum schedule (:class:`lrjit.OneCycleMom`) instead of the rate.

    Returns:
      The family of the same name (:mod:`lrjit.families.deepspeed`); its step is the number of
      ``scheduler.step()`` calls, i.e. the update index.

    Raises:
      ValueError: an unknown type or key, an unsupported setting (see the module), or a missing rate.
    """
    block, config_lr = _scheduler_block(config)
    lr = config_lr if lr is None else lr
    name = block["type"]
    if name not in DEEPSPEED_FAMILIES:
        raise ValueError(
            f"from_deepspeed: unknown scheduler type {name!r}; supported: {', '.join(DEEPSPEED_FAMILIES)}"
        )
    family = DEEPSPEED_FAMILIES[name]
    if momentum:
        if name != "OneCycle":
            raise ValueError(
                f"from_deepspeed: momentum=True is for OneCycle; {name} has no momentum schedule"
            )
        return _one_cycle_momentum(dict(block.get("params") or {}))
    fields = set(fields_of(family))
    kwargs: dict[str, Any] = {}
    for key, value in dict(block.get("params") or {}).items():
        if key in _IGNORED.get(name, ()):
            continue
        if key == "last_batch_iteration":
            if value != -1:
                raise ValueError(
                    f"from_deepspeed: {name} `last_batch_iteration` = {value!r} is not supported"
                )
            continue
        if key not in fields:
            raise ValueError(
                f"from_deepspeed: {name} parameter {key!r} is not supported "
                f"(supported: {', '.join(sorted(fields))})"
            )
        if value == "auto" or isinstance(value, list | tuple):
            raise ValueError(
                f"from_deepspeed: {name} parameter {key!r} = {value!r} is not supported (pass one number)"
            )
        if key == "warmup_type" and value not in ds.WARMUP_TYPES:
            raise ValueError(f"from_deepspeed: {name} `warmup_type` must be 'log' or 'linear', got {value!r}")
        kwargs[key] = value
    if name in ("WarmupLR", "WarmupDecayLR") and kwargs.get("warmup_max_lr") is None:
        kwargs.pop("warmup_max_lr", None)
        if lr is not None:
            kwargs["warmup_max_lr"] = lr
        elif name == "WarmupLR":
            raise ValueError(
                "from_deepspeed: WarmupLR without `warmup_max_lr` takes the optimizer's lr: pass lr=... or "
                'the whole ds_config with its "optimizer" block'
            )
    if name == "WarmupCosineLR":
        if lr is None:
            raise ValueError(
                "from_deepspeed: WarmupCosineLR multiplies the optimizer's lr: pass lr=... or the whole "
                'ds_config with its "optimizer" block'
            )
        kwargs["base_lr"] = lr
    missing = [
        f.name
        for f in family.__dataclass_fields__.values()
        if f.name not in kwargs and f.default is dataclasses.MISSING
    ]
    if missing:
        raise ValueError(
            f"from_deepspeed: {name} lacks required parameter(s) {', '.join(map(repr, missing))}"
        )
    return family(**kwargs)


def _one_cycle_momentum(params: dict[str, Any]) -> Schedule:
    """OneCycle's momentum schedule from its params (the rate's keys are read and dropped)."""
    fields = set(fields_of(ds.OneCycleMom))
    rate_keys = {"cycle_min_lr", "cycle_max_lr", "decay_lr_rate", "cycle_momentum", "last_batch_iteration"}
    unknown = sorted(set(params) - fields - rate_keys)
    if unknown:
        raise ValueError(
            f"from_deepspeed: OneCycle parameter(s) {', '.join(map(repr, unknown))} not supported"
        )
    if params.get("cycle_momentum") is False:
        raise ValueError("from_deepspeed: this OneCycle has `cycle_momentum` = false")
    return ds.OneCycleMom(**{k: v for k, v in params.items() if k in fields})


def _is_deepspeed(obj: Any) -> bool:
    """A ds_config dict with a ``"scheduler"`` block, or a block ``{"type", "params"}`` of a DeepSpeed
    type."""
    if not isinstance(obj, Mapping) or "family" in obj:
        return False
    block = obj.get("scheduler") if "scheduler" in obj else obj
    return (
        isinstance(block, Mapping)
        and block.get("type") in DEEPSPEED_FAMILIES
        and set(block) <= {"type", "params"}
    )


register_importer(Importer("deepspeed", _is_deepspeed, from_deepspeed))
