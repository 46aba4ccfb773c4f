"""Hugging Face ``transformers`` scheduler settings imported as lrjit schedules: :func:`from_transformers`.

transformers is not imported by this module: a ``TrainingArguments`` object is read through its attributes
(recognized by class name and module), and a plain dict of its fields converts without transformers.

The ``Trainer`` builds its scheduler as ``get_scheduler(args.lr_scheduler_type, optimizer,
num_warmup_steps=args.get_warmup_steps(N), num_training_steps=N,
scheduler_specific_kwargs=args.lr_scheduler_kwargs)`` on an optimizer of rate ``args.learning_rate``
(``transformers/optimization.py``, ``trainer.py``). :func:`from_transformers` does the same arithmetic:

- ``N`` (``num_training_steps``) is ``max_steps`` when it is > 0; otherwise ``ceil(num_train_epochs *
  steps_per_epoch)``, with ``steps_per_epoch`` (optimizer updates per epoch) given, or computed as the
  Trainer does from the dataset length ``num_examples``: ``ceil(batches / gradient_accumulation_steps)``
  with ``batches = ceil(num_examples / (per_device_train_batch_size * world_size))`` (floor with
  ``dataloader_drop_last``). ``steps_per_epoch`` / ``num_examples`` / ``world_size`` are keyword arguments
  (or keys of the dict); a schedule that needs ``N`` without any of them raises naming the missing keys.
- the warmup: ``warmup_steps`` when it is >= 1 (``int``), ``ceil(N * warmup_steps)`` for a fraction in
  (0, 1) (transformers 5); transformers 4's ``warmup_ratio`` gives ``ceil(N * warmup_ratio)`` when
  ``warmup_steps`` is 0.
- the step of the returned schedule is the number of ``scheduler.step()`` calls so far (``LambdaLR``'s
  0-based step: the first update uses step 0), and its value is the optimizer's rate (``learning_rate``
  times the multiplier).

Every ``SchedulerType``:

================================  ====================================================================
``linear`` (default)              :class:`lrjit.LinearWithWarmup`
``cosine``                        :class:`lrjit.CosineWithMinLR` with ``min_lr_rate=0`` (the same lambda)
``cosine_with_restarts``          :class:`lrjit.CosineWithHardRestarts`
``polynomial``                    :class:`lrjit.PolynomialWithWarmup` (``lr_end``, ``power``)
``constant``                      :class:`lrjit.ConstantWithWarmup` with ``num_warmup_steps=0``
``constant_with_warmup``          :class:`lrjit.ConstantWithWarmup`
``inverse_sqrt``                  :class:`lrjit.InverseSqrt` (``timescale``)
``cosine_with_min_lr``            :class:`lrjit.CosineWithMinLR` (``min_lr`` or ``min_lr_rate``)
``cosine_warmup_with_min_lr``     :class:`lrjit.CosineWarmupWithMinLR` (and ``warmup_lr_rate``)
``warmup_stable_decay``           :class:`lrjit.WarmupStableDecay` (``num_stable_steps`` or ``N``)
``reduce_lr_on_plateau``          :class:`UnsupportedScheduleError` naming the equivalent
                                  ``lrjit.train.ReduceLROnPlateau`` (metric-driven, not a function of the
                                  step)
``greedy``                        :class:`UnsupportedScheduleError` (metric-driven)
================================  ====================================================================

A key of ``lr_scheduler_kwargs`` the scheduler function does not take raises ValueError naming it (where
transformers raises a TypeError). In a dict, keys outside the scheduler fields and the batch keys above
raise too, unless the dict is a whole ``TrainingArguments.to_dict()`` (it has ``output_dir``), whose other
fields do not change the schedule.

Code structure: ``_HF`` is the adapter table, one :class:`_HFAdapter` per scheduler type (the lrjit family,
whether it needs ``N``, the ``lr_scheduler_kwargs`` it takes with their defaults, and how it builds);
the registered importer takes ``TrainingArguments`` objects and dicts with ``lr_scheduler_type``.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Callable, Mapping
from typing import Any

from lrjit.core import Schedule
from lrjit.families import transformers as hf
from lrjit.frontend.importers import Importer, UnsupportedScheduleError, plain_value, register_importer

__all__ = [
    "HF_SCHEDULER_TYPES",
    "TRAINER_EXTRA_DEFAULTS",
    "TRAINING_ARGUMENTS_DEFAULTS",
    "from_transformers",
    "is_training_arguments",
]

# The TrainingArguments fields the schedule depends on, with transformers' defaults.
TRAINING_ARGUMENTS_DEFAULTS: dict[str, Any] = {
    "lr_scheduler_type": "linear",
    "lr_scheduler_kwargs": None,
    "learning_rate": 5e-5,
    "warmup_steps": 0,
    "warmup_ratio": 0.0,
    "max_steps": -1,
    "num_train_epochs": 3.0,
    "per_device_train_batch_size": 8,
    "gradient_accumulation_steps": 1,
    "dataloader_drop_last": False,
}
# What the Trainer knows from its data and devices: keyword arguments, or keys of a dict.
TRAINER_EXTRA_DEFAULTS: dict[str, Any] = {"steps_per_epoch": None, "num_examples": None, "world_size": 1}


@dataclasses.dataclass(frozen=True)
class _Run:
    """The resolved run: rate, warmup steps and (where computable) the number of training steps."""

    lr: float
    warmup: int
    total: int | None
    why_no_total: str


@dataclasses.dataclass(frozen=True)
class _HFAdapter:
    """One ``SchedulerType``.

    Attributes:
      family: the lrjit family it becomes (shown in errors and the docs).
      kwargs: the ``lr_scheduler_kwargs`` its transformers function takes, with their defaults.
      build: ``build(run, kwargs) -> Schedule``.
      needs_total: it needs ``num_training_steps`` (``wsd`` only without ``num_stable_steps``).
    """

    family: type[Schedule]
    kwargs: Mapping[str, Any]
    build: Callable[[_Run, dict[str, Any]], Schedule]
    needs_total: Callable[[dict[str, Any]], bool] = lambda kw: True


def _cosine_min_lr_rate(run: _Run, kw: dict[str, Any]) -> float:
    """transformers' ``min_lr`` / ``min_lr_rate`` rule (exactly one of them)."""
    if kw["min_lr"] is not None and kw["min_lr_rate"] is not None:
        raise ValueError(
            "from_transformers: set only one of `min_lr` and `min_lr_rate` in lr_scheduler_kwargs"
        )
    if kw["min_lr"] is not None:
        return float(kw["min_lr"]) / run.lr
    if kw["min_lr_rate"] is None:
        raise ValueError(
            "from_transformers: cosine with min lr needs `min_lr` or `min_lr_rate` in lr_scheduler_kwargs"
        )
    return float(kw["min_lr_rate"])


def _wsd(run: _Run, kw: dict[str, Any]) -> Schedule:
    stable = kw["num_stable_steps"]
    if kw["num_decay_steps"] is None:
        raise ValueError(
            "from_transformers: warmup_stable_decay needs `num_decay_steps` in lr_scheduler_kwargs"
        )
    if stable is None:
        assert run.total is not None
        stable = run.total - run.warmup - kw["num_decay_steps"]
        if stable < 0:
            raise ValueError(
                f"from_transformers: warmup_stable_decay with num_training_steps={run.total}, "
                f"num_warmup_steps={run.warmup} and num_decay_steps={kw['num_decay_steps']} has a negative "
                "stable phase; lrjit.WarmupStableDecay needs `num_stable_steps` >= 0"
            )
    return hf.WarmupStableDecay(
        run.lr,
        run.warmup,
        stable,
        kw["num_decay_steps"],
        warmup_type=kw["warmup_type"],
        decay_type=kw["decay_type"],
        min_lr_ratio=kw["min_lr_ratio"],
        num_cycles=kw["num_cycles"],
    )


_MIN_LR = {"num_cycles": 0.5, "min_lr": None, "min_lr_rate": None}
_HF: dict[str, _HFAdapter] = {
    "linear": _HFAdapter(hf.LinearWithWarmup, {}, lambda r, kw: hf.LinearWithWarmup(r.lr, r.warmup, r.total)),
    "cosine": _HFAdapter(
        hf.CosineWithMinLR,
        {"num_cycles": 0.5},
        lambda r, kw: hf.CosineWithMinLR(r.lr, r.warmup, r.total, num_cycles=kw["num_cycles"]),
    ),
    "cosine_with_restarts": _HFAdapter(
        hf.CosineWithHardRestarts,
        {"num_cycles": 1},
        lambda r, kw: hf.CosineWithHardRestarts(r.lr, r.warmup, r.total, num_cycles=kw["num_cycles"]),
    ),
    "polynomial": _HFAdapter(
        hf.PolynomialWithWarmup,
        {"lr_end": 1e-7, "power": 1.0},
        lambda r, kw: hf.PolynomialWithWarmup(r.lr, r.warmup, r.total, **kw),
    ),
    "constant": _HFAdapter(
        hf.ConstantWithWarmup, {}, lambda r, kw: hf.ConstantWithWarmup(r.lr, 0), lambda kw: False
    ),
    "constant_with_warmup": _HFAdapter(
        hf.ConstantWithWarmup, {}, lambda r, kw: hf.ConstantWithWarmup(r.lr, r.warmup), lambda kw: False
    ),
    "inverse_sqrt": _HFAdapter(
        hf.InverseSqrt,
        {"timescale": None},
        lambda r, kw: hf.InverseSqrt(r.lr, r.warmup, timescale=kw["timescale"]),
        lambda kw: False,
    ),
    "cosine_with_min_lr": _HFAdapter(
        hf.CosineWithMinLR,
        _MIN_LR,
        lambda r, kw: hf.CosineWithMinLR(
            r.lr, r.warmup, r.total, num_cycles=kw["num_cycles"], min_lr_rate=_cosine_min_lr_rate(r, kw)
        ),
    ),
    "cosine_warmup_with_min_lr": _HFAdapter(
        hf.CosineWarmupWithMinLR,
        {**_MIN_LR, "warmup_lr_rate": None},
        lambda r, kw: hf.CosineWarmupWithMinLR(
            r.lr,
            r.warmup,
            r.total,
            num_cycles=kw["num_cycles"],
            min_lr_rate=_cosine_min_lr_rate(r, kw),
            warmup_lr_rate=kw["warmup_lr_rate"],
        ),
    ),
    "warmup_stable_decay": _HFAdapter(
        hf.WarmupStableDecay,
        {
            "num_decay_steps": None,
            "num_stable_steps": None,
            "warmup_type": "linear",
            "decay_type": "cosine",
            "min_lr_ratio": 0.0,
            "num_cycles": 0.5,
        },
        _wsd,
        lambda kw: kw.get("num_stable_steps") is None,
    ),
}
HF_SCHEDULER_TYPES: dict[str, type[Schedule]] = {name: a.family for name, a in _HF.items()}
_METRIC_DRIVEN = ("reduce_lr_on_plateau", "greedy")


def is_training_arguments(obj: Any) -> bool:
    """Whether ``obj`` is a transformers ``TrainingArguments`` (or a subclass), without importing
    transformers."""
    return any(
        "TrainingArguments" in k.__name__ and str(k.__module__).startswith("transformers")
        for k in type(obj).__mro__
    )


def _read(args: Any, extra: Mapping[str, Any]) -> dict[str, Any]:
    """The schedule's fields (transformers' defaults for those not given) and the extra run keys."""
    if isinstance(args, Mapping):
        given = {k: plain_value(v) for k, v in args.items()}
        if "output_dir" not in given:  # a hand-written settings dict: every key must mean something
            unknown = sorted(set(given) - set(TRAINING_ARGUMENTS_DEFAULTS) - set(TRAINER_EXTRA_DEFAULTS))
            if unknown:
                raise ValueError(
                    f"from_transformers: unknown key(s) {', '.join(map(repr, unknown))}; the schedule reads "
                    f"{', '.join(list(TRAINING_ARGUMENTS_DEFAULTS) + list(TRAINER_EXTRA_DEFAULTS))}"
                )
    elif is_training_arguments(args):
        given = {k: plain_value(getattr(args, k)) for k in TRAINING_ARGUMENTS_DEFAULTS if hasattr(args, k)}
    else:
        raise TypeError(
            f"from_transformers: expected a transformers TrainingArguments or a dict with "
            f"`lr_scheduler_type`, got {type(args).__qualname__}"
        )
    out = {k: given.get(k, v) for k, v in TRAINING_ARGUMENTS_DEFAULTS.items()}
    for k, v in TRAINER_EXTRA_DEFAULTS.items():
        out[k] = extra[k] if extra.get(k) is not None else given.get(k, v)
    return out


def _total_steps(a: Mapping[str, Any]) -> tuple[int | None, str]:
    """``num_training_steps`` as the Trainer computes it, or None and the reason."""
    if a["max_steps"] is not None and a["max_steps"] > 0:
        return int(a["max_steps"]), ""
    per_epoch = a["steps_per_epoch"]
    if per_epoch is None and a["num_examples"] is not None:
        per_device = a["per_device_train_batch_size"] * a["world_size"]
        batches = a["num_examples"] // per_device
        if not a["dataloader_drop_last"]:
            batches = -(-a["num_examples"] // per_device)
        accumulate = a["gradient_accumulation_steps"]
        per_epoch = max(-(-batches // accumulate), 1)
    if per_epoch is None:
        return None, (
            f"`max_steps` is {a['max_steps']} (the run is num_train_epochs={a['num_train_epochs']} epochs): "
            "give `steps_per_epoch` (optimizer updates per epoch) or `num_examples` (the dataset length, "
            "with `per_device_train_batch_size`, `gradient_accumulation_steps`, `world_size`)"
        )
    return math.ceil(a["num_train_epochs"] * per_epoch), ""


def _warmup_steps(a: Mapping[str, Any], total: int | None) -> int:
    w, ratio_ = a["warmup_steps"] or 0, a["warmup_ratio"] or 0.0
    if w >= 1:
        if w != int(w):
            raise ValueError(
                f"from_transformers: `warmup_steps` must be an integer >= 1 or a fraction, got {w}"
            )
        return int(w)
    fraction, key = (w, "warmup_steps") if w > 0 else (ratio_, "warmup_ratio")
    if fraction == 0:
        return 0
    if total is None:
        raise ValueError(
            f"from_transformers: `{key}`={fraction} is a fraction of the run, whose length is unknown: "
            + _total_steps(a)[1]
        )
    return math.ceil(total * fraction)


def from_transformers(
    args: Any,
    *,
    steps_per_epoch: int | None = None,
    num_examples: int | None = None,
    world_size: int | None = None,
) -> Schedule:
    """The lrjit schedule of a Hugging Face ``Trainer`` run's learning rate.

    Args:
      args: a ``transformers.TrainingArguments`` (read by attribute; transformers is not imported) or a
        dict of its fields (``lr_scheduler_type``, ``lr_scheduler_kwargs`` (a dict or its JSON string),
        ``learning_rate``, ``warmup_steps``, ``warmup_ratio``, ``max_steps``, ``num_train_epochs``, the
        batch fields), with transformers' defaults for those left out; the keyword arguments below may be
        keys of the dict too.
      steps_per_epoch: optimizer updates per epoch (``len(train_dataloader)`` over the gradient
        accumulation), needed when ``max_steps`` is not set.
      num_examples: the training set's length, instead of ``steps_per_epoch``.
      world_size: the number of data-parallel processes (default 1), with ``num_examples``.

    Returns:
      The schedule whose step ``k`` is the rate of the ``k``-th optimizer update (0-based).

    Raises:
      ValueError: an unknown scheduler type or key, a missing setting (named), values out of range.
      UnsupportedScheduleError: ``reduce_lr_on_plateau`` and ``greedy`` (metric-driven).
    """
    a = _read(
        args, {"steps_per_epoch": steps_per_epoch, "num_examples": num_examples, "world_size": world_size}
    )
    name = a["lr_scheduler_type"]
    name = str(getattr(name, "value", name))  # a SchedulerType member
    kwargs = a["lr_scheduler_kwargs"] or {}
    if isinstance(kwargs, str):
        kwargs = json.loads(kwargs)
    kwargs = {k: plain_value(v) for k, v in dict(kwargs).items()}
    if name == "reduce_lr_on_plateau":
        call = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
        raise UnsupportedScheduleError(
            "from_transformers: reduce_lr_on_plateau is driven by a metric, not by the step: "
            "lrjit.train.plateau_from_config(args) reads these settings: a constant rate "
            f"{a['learning_rate']!r} (no warmup, as in transformers) and "
            f"lrjit.train.ReduceLROnPlateau({call}) (torch's rules; mode='min' unless lr_scheduler_kwargs "
            "sets it), stepped at each evaluation with the metric_for_best_model metric"
        )
    if name in _METRIC_DRIVEN:
        raise UnsupportedScheduleError(
            f"from_transformers: {name!r} is driven by a metric, not by the step; lrjit has no equivalent"
        )
    if name not in _HF:
        raise ValueError(
            f"from_transformers: unknown lr_scheduler_type {name!r}; supported: {', '.join(_HF)}, "
            f"{', '.join(_METRIC_DRIVEN)} (metric-driven: not schedules)"
        )
    adapter = _HF[name]
    unknown = sorted(set(kwargs) - set(adapter.kwargs))
    if unknown:
        takes = ", ".join(adapter.kwargs) or "none"
        raise ValueError(
            f"from_transformers: {name} does not take lr_scheduler_kwargs {', '.join(map(repr, unknown))} "
            f"(it takes: {takes})"
        )
    kw = {**adapter.kwargs, **kwargs}
    total, why = _total_steps(a)
    if total is None and adapter.needs_total(kw):
        raise ValueError(f"from_transformers: {name} needs num_training_steps: {why}")
    if a["learning_rate"] is None:
        raise ValueError("from_transformers: `learning_rate` is None")
    warmup = 0 if name == "constant" else _warmup_steps(a, total)
    return adapter.build(_Run(float(a["learning_rate"]), warmup, total, why), kw)


def _accepts(obj: Any) -> bool:
    """A ``TrainingArguments`` (by class name and module) or a dict with ``lr_scheduler_type``."""
    if isinstance(obj, Mapping):
        return "lr_scheduler_type" in obj and "family" not in obj
    return is_training_arguments(obj)


register_importer(Importer("transformers", _accepts, from_transformers))
