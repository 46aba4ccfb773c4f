"""timm scheduler settings imported as lrjit schedules: :func:`from_timm`.

timm is not imported by this module. It reads what ``timm.scheduler.create_scheduler_v2`` reads (timm
1.0): a dict of its keyword arguments (``sched``, ``num_epochs``, ``decay_epochs``, ``decay_milestones``,
``cooldown_epochs``, ``patience_epochs``, ``decay_rate``, ``min_lr``, ``warmup_lr``, ``warmup_epochs``,
``warmup_prefix``, ``noise``, ``noise_pct``, ``noise_std``, ``noise_seed``, ``cycle_mul``,
``cycle_decay``, ``cycle_limit``, ``k_decay``, ``decay_fn``, ``stable_timescale``, ``plateau_mode``,
``step_on_epochs``, ``updates_per_epoch``; timm's defaults for those left out) plus the optimizer's rate
``lr``; or an ``argparse.Namespace``-like object of timm's ``train.py`` arguments (``sched``, ``epochs``,
``lr``, ``lr_cycle_mul``, ``sched_on_updates``, ...), translated as ``timm.scheduler.scheduler_kwargs``
does (with its defaults).

As in ``create_scheduler_v2``, with ``step_on_epochs=False`` every length is multiplied by
``updates_per_epoch`` (which must then be given) and the schedule is stepped per update; otherwise its
step is the epoch. Either way lrjit's step ``t`` is the ``t`` timm's train loop passes
(``scheduler.step(epoch)`` / ``step_update(num_updates)``), and the value is the optimizer's rate.

====================  ================================================================================
``cosine``            :class:`lrjit.CosineLRScheduler`
``tanh``              :class:`lrjit.TanhLRScheduler`
``poly``              :class:`lrjit.PolyLRScheduler` (``power=decay_rate``)
``wsd`` / ``rsqrt``   :class:`lrjit.WSDLRScheduler` (``stable_fn`` constant / rsqrt; ``decay_epochs`` a
                      fraction (default 0.2) or a length; ``t_initial`` excludes a non-prefix warmup)
``step``              ``lrjit.StepLR`` after timm's linear warmup (``lrjit.sequence`` of a
                      ``lrjit.Warmup`` and the step decay; an integer ``decay_t`` only)
``multistep``         ``lrjit.MultiStepLR`` at milestones ``m - 1`` (timm's milestone ``m`` applies at
                      ``t = m - 1``), after the warmup
``constant``          the warmup, then ``lr``
``none``              ``lrjit.Constant(lr)`` (timm leaves the optimizer's rate untouched)
``plateau``           :class:`UnsupportedScheduleError` naming ``lrjit.train.ReduceLROnPlateau``
====================  ================================================================================

``noise`` (fractions of the schedule length) becomes ``noise_range_t`` in whole steps (``ceil``: timm
compares the integer step with the float bound). timm draws its noise from torch's generator seeded with
``noise_seed + t``, which lrjit cannot reproduce: lrjit's noise has the same law and range, not the same
draws (see :mod:`lrjit.families.timm`). ``cooldown_epochs`` and ``patience_epochs`` do not change the rate
(timm adds the cooldown to the number of epochs it returns; the schedules hold their floor). Keys outside
these raise ValueError naming them; so does a callable ``decay_fn``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from lrjit.compose import Constant, Offset, Warmup, sequence
from lrjit.core import Schedule
from lrjit.families import timm as timm_families
from lrjit.families import torch as torch_families
from lrjit.frontend.importers import Importer, UnsupportedScheduleError, plain_value, register_importer

__all__ = ["CREATE_SCHEDULER_V2_DEFAULTS", "TIMM_SCHEDULERS", "from_timm", "scheduler_kwargs"]

# create_scheduler_v2's keyword arguments and their defaults (timm 1.0.31).
CREATE_SCHEDULER_V2_DEFAULTS: dict[str, Any] = {
    "sched": "cosine",
    "num_epochs": 300,
    "decay_epochs": None,
    "decay_milestones": (90, 180, 270),
    "cooldown_epochs": 0,
    "patience_epochs": 10,
    "decay_rate": 0.1,
    "min_lr": 0.0,
    "warmup_lr": 1e-5,
    "warmup_epochs": 0,
    "warmup_prefix": False,
    "noise": None,
    "noise_pct": 0.67,
    "noise_std": 1.0,
    "noise_seed": 42,
    "cycle_mul": 1.0,
    "cycle_decay": 0.1,
    "cycle_limit": 1,
    "k_decay": 1.0,
    "decay_fn": None,
    "stable_timescale": None,
    "plateau_mode": "max",
    "step_on_epochs": True,
    "updates_per_epoch": 0,
}
# timm.scheduler.scheduler_kwargs: create_scheduler_v2 name <- (train.py argument, its default there).
_TRAIN_ARGS: dict[str, tuple[str, Any]] = {
    "num_epochs": ("epochs", 100),
    "decay_epochs": ("decay_epochs", 30),
    "decay_milestones": ("decay_milestones", [30, 60]),
    "warmup_epochs": ("warmup_epochs", 5),
    "cooldown_epochs": ("cooldown_epochs", 0),
    "patience_epochs": ("patience_epochs", 10),
    "decay_rate": ("decay_rate", 0.1),
    "min_lr": ("min_lr", 0.0),
    "warmup_lr": ("warmup_lr", 1e-5),
    "warmup_prefix": ("warmup_prefix", False),
    "noise": ("lr_noise", None),
    "noise_pct": ("lr_noise_pct", 0.67),
    "noise_std": ("lr_noise_std", 1.0),
    "noise_seed": ("seed", 42),
    "cycle_mul": ("lr_cycle_mul", 1.0),
    "cycle_decay": ("lr_cycle_decay", 0.1),
    "cycle_limit": ("lr_cycle_limit", 1),
    "k_decay": ("lr_k_decay", 1.0),
    "decay_fn": ("lr_decay_fn", None),
    "stable_timescale": ("lr_stable_timescale", None),
}
_CYCLIC = {
    "cosine": timm_families.CosineLRScheduler,
    "tanh": timm_families.TanhLRScheduler,
    "poly": timm_families.PolyLRScheduler,
}
TIMM_SCHEDULERS: dict[str, type[Schedule]] = {
    **_CYCLIC,
    "wsd": timm_families.WSDLRScheduler,
    "rsqrt": timm_families.WSDLRScheduler,
    "step": torch_families.StepLR,
    "multistep": torch_families.MultiStepLR,
    "constant": Constant,
    "none": Constant,
}


def scheduler_kwargs(args: Any) -> dict[str, Any]:
    """``timm.scheduler.scheduler_kwargs(args)`` plus ``lr``: train.py's argument names (an
    ``argparse.Namespace``) to create_scheduler_v2's, with train.py's defaults for missing ones."""
    out = {"sched": args.sched, "lr": getattr(args, "lr", None)}
    for v2, (name, default) in _TRAIN_ARGS.items():
        out[v2] = getattr(args, name, default)
    eval_metric = getattr(args, "eval_metric", "top1")
    out["plateau_mode"] = "min" if "loss" in eval_metric else "max"
    out["step_on_epochs"] = not getattr(args, "sched_on_updates", False)
    if getattr(args, "updates_per_epoch", None) is not None:
        out["updates_per_epoch"] = args.updates_per_epoch
    return out


def _warmed_up(body: Schedule, lr: float, a: Mapping[str, Any], warmup_t: int) -> Schedule:
    """timm's linear warmup from ``warmup_lr`` to ``lr`` over ``warmup_t`` steps, then ``body`` at ``t -
    warmup_t`` (``warmup_prefix``) or at ``t`` (the warmup overlaps the schedule's first steps)."""
    if not warmup_t:
        return body
    warm = Warmup(Constant(lr), steps=warmup_t, start=a["warmup_lr"])
    return sequence([warm, body if a["warmup_prefix"] else Offset(body, warmup_t)], [warmup_t])


def _noise_range(noise: Any, t_initial: Any) -> list[int] | None:
    """timm's ``noise_range_t`` (fractions of ``t_initial``) in whole steps (``t >= x``: ``t >= ceil(x)``)."""
    if noise is None:
        return None
    bounds = noise if isinstance(noise, list | tuple) else [noise]
    return [math.ceil(n * t_initial) for n in bounds]


def _integer(value: Any, what: str) -> int:
    if float(value) != int(value):
        raise UnsupportedScheduleError(
            f"from_timm: {what} = {value} is not a whole number of steps; lrjit's step schedules count "
            "whole steps (step per update with an updates_per_epoch that makes it whole)"
        )
    return int(value)


def from_timm(args: Any, *, updates_per_epoch: int | None = None) -> Schedule:
    """The lrjit schedule ``timm.scheduler.create_scheduler_v2`` (or ``create_scheduler(args)``) builds.

    Args:
      args: a dict of ``create_scheduler_v2`` keyword arguments plus ``lr`` (the optimizer's rate), or an
        ``argparse.Namespace``-like object with timm ``train.py``'s argument names (``sched``, ``lr``,
        ``epochs``, ...).
      updates_per_epoch: optimizer updates per epoch (needed with ``step_on_epochs=False`` /
        ``--sched-on-updates``); may also be a key of the dict.

    Returns:
      The schedule whose step is timm's ``t`` (the epoch, or the update count when stepped per update).

    Raises:
      ValueError: an unknown scheduler name or key, a missing ``lr`` or ``updates_per_epoch``, values timm
        rejects.
      UnsupportedScheduleError: ``plateau`` (metric-driven), a callable ``decay_fn``, a step decay period
        that is not a whole number of steps.
    """
    if isinstance(args, Mapping):
        given = {k: plain_value(v) for k, v in args.items()}
        unknown = sorted(set(given) - set(CREATE_SCHEDULER_V2_DEFAULTS) - {"lr"})
        if unknown:
            raise ValueError(
                f"from_timm: unknown key(s) {', '.join(map(repr, unknown))}; create_scheduler_v2 takes "
                f"{', '.join(CREATE_SCHEDULER_V2_DEFAULTS)} (and lrjit needs `lr`, the optimizer's rate)"
            )
    elif hasattr(args, "sched"):
        given = scheduler_kwargs(args)
    else:
        raise TypeError(
            f"from_timm: expected a dict of create_scheduler_v2 arguments or timm train.py's argparse "
            f"Namespace, got {type(args).__qualname__}"
        )
    a = {**CREATE_SCHEDULER_V2_DEFAULTS, **given}
    if updates_per_epoch is not None:
        a["updates_per_epoch"] = updates_per_epoch
    sched = a["sched"]
    if sched == "plateau":
        raise UnsupportedScheduleError(
            "from_timm: 'plateau' is driven by a metric, not by the step: "
            "lrjit.train.plateau_from_config(args) reads these settings: timm's warmup and "
            f"lrjit.train.ReduceLROnPlateau(mode={a['plateau_mode']!r}, factor={a['decay_rate']!r}, "
            f"patience={a['patience_epochs']!r}, min_lr={a['min_lr']!r}, start_step={a['warmup_epochs']!r}), "
            "stepped once per epoch with the eval metric (timm's PlateauLRScheduler, deprecated in timm)"
        )
    if sched not in TIMM_SCHEDULERS:
        raise ValueError(
            f"from_timm: unknown scheduler {sched!r}; supported: {', '.join(TIMM_SCHEDULERS)} ('plateau' is "
            "metric-driven)"
        )
    if a.get("lr") is None:
        raise ValueError("from_timm: `lr` (the optimizer's learning rate) is missing")
    lr = float(a["lr"])
    if callable(a["decay_fn"]):
        raise UnsupportedScheduleError("from_timm: a callable decay_fn is Python code lrjit cannot read")

    decay_epochs = a["decay_epochs"]
    if decay_epochs is None:
        decay_epochs = 0.2 if sched in ("wsd", "rsqrt") else 90
    t_initial, warmup_t, decay_t = a["num_epochs"], a["warmup_epochs"], decay_epochs
    milestones = list(a["decay_milestones"])
    timescale = a["stable_timescale"]
    if not a["step_on_epochs"]:
        upe = a["updates_per_epoch"]
        if not upe or upe <= 0:
            raise ValueError(
                "from_timm: step_on_epochs=False (per-update stepping) needs `updates_per_epoch` > 0 (the "
                "number of dataloader batches per epoch)"
            )
        t_initial, warmup_t, decay_t = t_initial * upe, warmup_t * upe, decay_t * upe
        milestones = [m * upe for m in milestones]
        timescale = None if timescale is None else timescale * upe
    warmup_t = _integer(warmup_t, "warmup_t")

    if sched in _CYCLIC:
        kwargs: dict[str, Any] = {
            "lr_min": a["min_lr"],
            "cycle_mul": a["cycle_mul"],
            "cycle_decay": a["cycle_decay"],
            "cycle_limit": a["cycle_limit"],
            "warmup_t": warmup_t,
            "warmup_lr_init": a["warmup_lr"],
            "warmup_prefix": a["warmup_prefix"],
            "noise_range_t": _noise_range(a["noise"], t_initial),
            "noise_pct": a["noise_pct"],
            "noise_std": a["noise_std"],
            "noise_seed": a["noise_seed"],
        }
        if sched != "tanh":
            kwargs["k_decay"] = a["k_decay"]
        if sched == "poly":
            kwargs["power"] = a["decay_rate"]
        return _CYCLIC[sched](lr, t_initial, **kwargs)
    if sched in ("wsd", "rsqrt"):
        t_sched = t_initial if a["warmup_prefix"] else t_initial - warmup_t
        if 0 < decay_epochs < 1:
            decay_t = decay_epochs * t_sched
        decay_t = round(decay_t)  # Python's round, as timm
        if not 0 < decay_t <= t_sched:
            raise ValueError(
                f"from_timm: {sched} needs 0 < decay_epochs <= epochs"
                f"{'' if a['warmup_prefix'] else ' - warmup_epochs'}, got decay {decay_t} and stable + decay "
                f"length {t_sched}"
            )
        return timm_families.WSDLRScheduler(
            lr,
            t_sched,
            decay_t,
            lr_min=a["min_lr"],
            stable_fn="rsqrt" if sched == "rsqrt" else "constant",
            stable_timescale=timescale,
            decay_fn=a["decay_fn"] or ("linear" if sched == "rsqrt" else "1-sqrt"),
            warmup_t=warmup_t,
            warmup_lr_init=a["warmup_lr"],
            noise_range_t=_noise_range(a["noise"], t_initial),
            noise_pct=a["noise_pct"],
            noise_std=a["noise_std"],
            noise_seed=a["noise_seed"],
        )
    if a["noise"] is not None:
        raise UnsupportedScheduleError(
            f"from_timm: lr noise with sched={sched!r} is not supported (lrjit's timm noise is on the cycle "
            "and WSD schedulers)"
        )
    if sched == "none":
        return Constant(lr)
    if sched == "constant":
        body: Schedule = Constant(lr)
    elif sched == "step":
        body = torch_families.StepLR(lr, _integer(decay_t, "decay_t"), a["decay_rate"])
    else:  # multistep: timm's milestone m applies at t = m - 1 (bisect_right(milestones, t + 1))
        whole = [_integer(m, "decay milestone") for m in milestones]
        if whole != sorted(whole):
            raise ValueError(f"from_timm: `decay_milestones` must be sorted (timm bisects them), got {whole}")
        body = torch_families.MultiStepLR(lr, [max(m - 1, 0) for m in whole], a["decay_rate"])
    return _warmed_up(body, lr, a, warmup_t)


def _accepts(obj: Any) -> bool:
    """A dict with a named ``sched`` (not a block of settings, as NeMo's ``optim.sched``; no lrjit
    ``family``), or an ``argparse.Namespace`` with ``sched``."""
    if isinstance(obj, Mapping):
        return "sched" in obj and "family" not in obj and not isinstance(obj["sched"], Mapping)
    return type(obj).__name__ == "Namespace" and hasattr(obj, "sched")


register_importer(Importer("timm", _accepts, from_timm))
