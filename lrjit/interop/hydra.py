"""Hydra ``_target_`` configs and Lightning scheduler dicts imported as lrjit schedules: :func:`from_hydra`.

Neither Hydra, OmegaConf nor Lightning is imported: the input is the config as a dict (an OmegaConf
``DictConfig`` reads the same), e.g. from a YAML file::

    optimizer: {_target_: torch.optim.AdamW, lr: 1.0e-3}
    lr_scheduler:
      scheduler: {_target_: torch.optim.lr_scheduler.CosineAnnealingLR, _partial_: true, T_max: 100}
      interval: step

It reads three shapes:

- **a scheduler** ``{"_target_": ..., **kwargs}`` (``_partial_``, ``_recursive_`` and ``_convert_`` do not
  change it; LightningCLI's ``{"class_path": ..., "init_args": {...}}`` reads the same). Its step is the
  number of ``scheduler.step()`` calls, as in :func:`lrjit.from_torch`.
- **Lightning's scheduler dict** ``{"scheduler": <a scheduler>, "interval": "step" | "epoch", "frequency":
  n}`` (what ``configure_optimizers`` returns as ``"lr_scheduler"``; ``monitor``, ``strict`` and ``name``
  do not change the rate). Its step is the optimizer update (``trainer.global_step``): Lightning steps the
  scheduler after every ``n``-th update of an epoch (``interval='step'``: ``(batch_idx + 1) % n == 0``), or
  after every ``n``-th epoch (``interval='epoch'``, Lightning's default): :class:`lrjit.PerEpoch` of the
  scheduler with ``n`` or ``n * steps_per_epoch`` updates per scheduler step (``steps_per_epoch`` is needed
  for ``'epoch'``; with ``'step'`` and ``n > 1`` the count restarts every epoch, so an epoch length that
  ``n`` does not divide raises). Without gradient accumulation (Lightning's ``batch_idx`` counts batches).
- **a whole config** with ``"lr_scheduler"`` (or ``"scheduler"``) beside an ``"optimizer"``: the
  optimizer's ``lr`` is the rate the scheduler starts from. Its other keys (model, data, ...) are not read.

Targets (``HYDRA_TARGETS``):

- ``torch.optim.lr_scheduler.<Class>``: the keyword arguments (torch's defaults for those left out) become
  a :func:`lrjit.describe_torch` description of the scheduler built fresh on an optimizer of rate ``lr``,
  converted by :func:`lrjit.from_torch`; ``SequentialLR`` / ``ChainedScheduler`` take a list of scheduler
  configs (built in list order on the same optimizer, as Hydra instantiates them).
- ``transformers.<function>`` (``get_cosine_schedule_with_warmup``, ``get_linear_schedule_with_warmup``,
  ... and ``get_scheduler``): read as the ``SchedulerType`` they build, by :func:`lrjit.from_transformers`.
- ``timm.scheduler.<Class>``: ``CosineLRScheduler``, ``TanhLRScheduler``, ``PolyLRScheduler``,
  ``WSDLRScheduler`` (the lrjit families of the same names and arguments, ``base_lr`` = ``lr``), and
  ``StepLRScheduler`` / ``MultiStepLRScheduler`` (through :func:`lrjit.from_timm`); the step is timm's
  ``t``, as its own loop passes it (``step(epoch + 1)``, ``step_update(num_updates)``; in a Lightning dict,
  an ``lr_scheduler_step`` that passes the number of calls so far). ``t_in_epochs`` and ``initialize`` do
  not change the rate.
- ``lrjit.<Family>``: any lrjit family or composition, with its own arguments (nested ``_target_`` dicts
  become sub-schedules; ``lr`` is not used: lrjit families hold their rate).

An unknown target, an unknown argument, a ``last_epoch`` other than -1, positional ``_args_`` and
per-parameter-group lists raise ValueError naming them; metric-driven schedulers (``ReduceLROnPlateau``)
raise :class:`lrjit.UnsupportedScheduleError`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from lrjit.compose import PerEpoch
from lrjit.core import Schedule, fields_of, registry
from lrjit.frontend.importers import Importer, UnsupportedScheduleError, plain_value, register_importer
from lrjit.interop.timm import TIMM_SCHEDULERS, from_timm
from lrjit.interop.torch import from_torch
from lrjit.interop.transformers import from_transformers

__all__ = ["HYDRA_TARGETS", "from_hydra"]

_TORCH = "torch.optim.lr_scheduler."
_TIMM = "timm.scheduler."
_TRANSFORMERS = "transformers."
# torch's constructor keyword arguments (torch 2.13), besides ``optimizer`` and ``last_epoch``.
_TORCH_ARGS: dict[str, tuple[str, ...]] = {
    "StepLR": ("step_size", "gamma"),
    "MultiStepLR": ("milestones", "gamma"),
    "ConstantLR": ("factor", "total_iters"),
    "LinearLR": ("start_factor", "end_factor", "total_iters"),
    "ExponentialLR": ("gamma",),
    "PolynomialLR": ("total_iters", "power"),
    "CosineAnnealingLR": ("T_max", "eta_min"),
    "CosineAnnealingWarmRestarts": ("T_0", "T_mult", "eta_min"),
    "CyclicLR": (
        "base_lr",
        "max_lr",
        "step_size_up",
        "step_size_down",
        "mode",
        "gamma",
        "scale_fn",
        "scale_mode",
        "cycle_momentum",
        "base_momentum",
        "max_momentum",
    ),
    "OneCycleLR": (
        "max_lr",
        "total_steps",
        "epochs",
        "steps_per_epoch",
        "pct_start",
        "anneal_strategy",
        "cycle_momentum",
        "base_momentum",
        "max_momentum",
        "div_factor",
        "final_div_factor",
        "three_phase",
    ),
    "SequentialLR": ("schedulers", "milestones"),
    "ChainedScheduler": ("schedulers",),
}
# Arguments torch also takes as one value per parameter group.
_PER_GROUP = ("base_lr", "max_lr")
# Arguments that only set the momentum, which lrjit's rate does not read.
_MOMENTUM_ARGS = ("base_momentum", "max_momentum")
# transformers' schedule functions (transformers.optimization.TYPE_TO_SCHEDULER_FUNCTION): the
# SchedulerType each builds and its arguments without a default, besides the optimizer.
_HF_FUNCTIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "get_linear_schedule_with_warmup": ("linear", ("num_warmup_steps", "num_training_steps")),
    "get_cosine_schedule_with_warmup": ("cosine", ("num_warmup_steps", "num_training_steps")),
    "get_cosine_with_hard_restarts_schedule_with_warmup": (
        "cosine_with_restarts",
        ("num_warmup_steps", "num_training_steps"),
    ),
    "get_polynomial_decay_schedule_with_warmup": ("polynomial", ("num_warmup_steps", "num_training_steps")),
    "get_constant_schedule": ("constant", ()),
    "get_constant_schedule_with_warmup": ("constant_with_warmup", ("num_warmup_steps",)),
    "get_inverse_sqrt_schedule": ("inverse_sqrt", ("num_warmup_steps",)),
    "get_reduce_on_plateau_schedule": ("reduce_lr_on_plateau", ()),
    "get_cosine_with_min_lr_schedule_with_warmup": (
        "cosine_with_min_lr",
        ("num_warmup_steps", "num_training_steps"),
    ),
    "get_cosine_with_min_lr_schedule_with_warmup_lr_rate": (
        "cosine_warmup_with_min_lr",
        ("num_warmup_steps", "num_training_steps"),
    ),
    "get_wsd_schedule": ("warmup_stable_decay", ("num_warmup_steps", "num_decay_steps")),
    "get_greedy_schedule": ("greedy", ()),
}
# timm's classes with an lrjit family of the same name and arguments (the family's ``reference``), and
# the step decays create_scheduler_v2 names (read by from_timm).
_TIMM_FAMILIES: dict[str, type[Schedule]] = {
    f.reference.removeprefix(_TIMM): f for f in TIMM_SCHEDULERS.values() if f.reference.startswith(_TIMM)
}
_TIMM_STEP = {"StepLRScheduler": "step", "MultiStepLRScheduler": "multistep"}
_TIMM_IGNORED = ("t_in_epochs", "initialize")
# StepLRScheduler / MultiStepLRScheduler's arguments (besides the ignored ones).
_TIMM_STEP_ARGS = (
    "decay_t",
    "decay_rate",
    "warmup_t",
    "warmup_lr_init",
    "warmup_prefix",
    "noise_range_t",
    "noise_pct",
    "noise_std",
    "noise_seed",
)
# get_scheduler's types that take no warmup (the others need num_warmup_steps).
_HF_WITHOUT_WARMUP = ("constant", "reduce_lr_on_plateau", "greedy")
_HYDRA_KEYS = ("_target_", "_partial_", "_recursive_", "_convert_", "_args_")
_LIGHTNING_KEYS = ("scheduler", "interval", "frequency", "monitor", "strict", "name", "reduce_on_plateau")

HYDRA_TARGETS: tuple[str, ...] = (
    *(_TORCH + name for name in _TORCH_ARGS),
    *(_TRANSFORMERS + name for name in (*_HF_FUNCTIONS, "get_scheduler")),
    *(_TIMM + name for name in (*_TIMM_FAMILIES, *_TIMM_STEP, "PlateauLRScheduler")),
    "lrjit.<Family>",
)


def _supported() -> str:
    """The supported targets, grouped by library (for error messages)."""
    groups = {
        _TORCH: list(_TORCH_ARGS),
        _TRANSFORMERS: [*_HF_FUNCTIONS, "get_scheduler"],
        _TIMM: [*_TIMM_FAMILIES, *_TIMM_STEP, "PlateauLRScheduler"],
    }
    listed = "; ".join(f"{prefix}{{{', '.join(names)}}}" for prefix, names in groups.items())
    return f"{listed}; lrjit.<Family> (any lrjit family or composition: lrjit.registry())"


def _plain(obj: Any) -> Any:
    """Plain dicts, lists and Python scalars (from OmegaConf containers, numpy, ...)."""
    if isinstance(obj, Mapping):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, Sequence) and not isinstance(obj, str | bytes):
        return [_plain(v) for v in obj]
    return plain_value(obj)


def _target_dict(obj: Any) -> dict[str, Any] | None:
    """``obj`` as ``{"_target_": ..., **kwargs}`` when it names a target (LightningCLI's ``class_path`` /
    ``init_args`` too), else None."""
    if not isinstance(obj, Mapping):
        return None
    if isinstance(obj.get("_target_"), str):
        return dict(obj)
    if isinstance(obj.get("class_path"), str) and set(obj) <= {"class_path", "init_args"}:
        return {"_target_": obj["class_path"], **dict(obj.get("init_args") or {})}
    return None


def _optimizer_lr(optimizer: Any) -> float | None:
    block = _target_dict(optimizer)
    if block is None or block.get("lr") is None:
        return None
    return float(block["lr"])


def _split(config: Mapping[str, Any]) -> tuple[dict[str, Any], float | None]:
    """(the scheduler or Lightning dict, the optimizer's lr from the config or None)."""
    if _target_dict(config) is not None:
        return dict(config), None
    if "optimizer" in config or "lr_scheduler" in config:
        key = "lr_scheduler" if "lr_scheduler" in config else "scheduler"
        if key not in config:
            raise ValueError(
                "from_hydra: the config has an `optimizer` but no `lr_scheduler` (or `scheduler`) entry"
            )
        entry = config[key]
        if not isinstance(entry, Mapping):
            raise ValueError(f"from_hydra: `{key}` must be a scheduler config (a dict), got {entry!r:.80}")
        return dict(entry), _optimizer_lr(config.get("optimizer"))
    if "scheduler" in config:
        return dict(config), None
    raise ValueError(
        "from_hydra: expected a scheduler config with `_target_`, Lightning's scheduler dict "
        '{"scheduler": ..., "interval": ..., "frequency": ...}, or a config with `optimizer` and '
        f"`lr_scheduler` entries; got keys {', '.join(map(str, config))}"
    )


def from_hydra(
    config: Mapping[str, Any], *, lr: float | None = None, steps_per_epoch: int | None = None
) -> Schedule:
    """The lrjit schedule of a Hydra scheduler config (see the module for the shapes and targets).

    Args:
      config: a scheduler config ``{"_target_": ..., ...}``, Lightning's scheduler dict ``{"scheduler":
        ..., "interval": ..., "frequency": ...}``, or a config with ``optimizer`` and ``lr_scheduler``.
      lr: the optimizer's learning rate (overrides the config's ``optimizer.lr``); needed by the torch,
        transformers and timm schedulers that scale or start from it.
      steps_per_epoch: optimizer updates per epoch, for a Lightning dict with ``interval: epoch`` (and
        checked against ``frequency`` with ``interval: step``).

    Returns:
      For a scheduler, the schedule whose step is the number of ``scheduler.step()`` calls (timm: its
      ``t``); for a Lightning dict, the schedule whose step is the optimizer update.

    Raises:
      ValueError: an unknown target, argument or key, a missing rate or ``steps_per_epoch`` (named).
      UnsupportedScheduleError: metric-driven schedulers and settings lrjit cannot express.

    Example:
      >>> import lrjit
      >>> import numpy as np
      >>> config = {
      ...     "optimizer": {"_target_": "torch.optim.SGD", "lr": 0.1},
      ...     "lr_scheduler": {
      ...         "scheduler": {"_target_": "torch.optim.lr_scheduler.StepLR", "step_size": 2},
      ...         "interval": "epoch",
      ...     },
      ... }
      >>> print(lrjit.from_hydra(config, steps_per_epoch=3)(np.arange(8)))
      [0.1  0.1  0.1  0.1  0.1  0.1  0.01 0.01]
    """
    if not isinstance(config, Mapping):
        raise TypeError(
            f"from_hydra: expected a dict (or an OmegaConf DictConfig), got {type(config).__name__}"
        )
    entry, config_lr = _split(_plain(config))
    rate = config_lr if lr is None else float(lr)
    target = _target_dict(entry)
    if target is not None:
        return _build(target, rate)
    return _lightning(entry, rate, steps_per_epoch)


def _lightning(entry: dict[str, Any], lr: float | None, steps_per_epoch: int | None) -> Schedule:
    """Lightning's scheduler dict: the scheduler, stepped per update or per epoch, every ``frequency``."""
    unknown = sorted(set(entry) - set(_LIGHTNING_KEYS))
    if unknown:
        raise ValueError(
            f"from_hydra: unknown Lightning scheduler key(s) {', '.join(map(repr, unknown))} (Lightning's: "
            f"{', '.join(_LIGHTNING_KEYS)})"
        )
    target = _target_dict(entry["scheduler"])
    if target is None:
        raise ValueError(
            f"from_hydra: `scheduler` must be a config with `_target_`, got {entry['scheduler']!r:.80}"
        )
    if entry.get("reduce_on_plateau"):
        raise UnsupportedScheduleError(
            "from_hydra: reduce_on_plateau is driven by a metric, not by the step: use "
            "lrjit.train.ReduceLROnPlateau"
        )
    interval = entry.get("interval", "epoch")  # Lightning's default
    if interval not in ("step", "epoch"):
        raise ValueError(f"from_hydra: `interval` must be 'step' or 'epoch', got {interval!r}")
    frequency = entry.get("frequency", 1)
    if isinstance(frequency, bool) or not isinstance(frequency, int) or frequency < 1:
        raise ValueError(f"from_hydra: `frequency` must be an integer >= 1, got {frequency!r}")
    if steps_per_epoch is not None and (
        isinstance(steps_per_epoch, bool) or not isinstance(steps_per_epoch, int) or steps_per_epoch < 1
    ):
        raise ValueError(f"from_hydra: `steps_per_epoch` must be an integer >= 1, got {steps_per_epoch!r}")
    schedule = _build(target, lr)
    if interval == "epoch":
        if steps_per_epoch is None:
            raise ValueError(
                "from_hydra: `interval: epoch` steps the scheduler once per epoch: pass steps_per_epoch=... "
                "(optimizer updates per epoch) to give the rate per update"
            )
        return PerEpoch(schedule, steps_per_epoch * frequency)
    if frequency == 1:
        return schedule
    if steps_per_epoch is not None and steps_per_epoch % frequency:
        raise UnsupportedScheduleError(
            f"from_hydra: `interval: step` with frequency {frequency} counts the batches of each epoch anew "
            f"((batch_idx + 1) % frequency): with {steps_per_epoch} steps per epoch, which {frequency} does "
            "not divide, the scheduler steps at no fixed period; lrjit.PerEpoch needs one"
        )
    return PerEpoch(schedule, frequency)


# ------------------------------------------------------------------------------------------------------
# one scheduler config
# ------------------------------------------------------------------------------------------------------
def _build(target: dict[str, Any], lr: float | None) -> Schedule:
    name = target["_target_"]
    if target.get("_args_"):
        raise ValueError(f"from_hydra: {name}: positional `_args_` are not supported; give keyword arguments")
    kwargs = {k: v for k, v in target.items() if k not in _HYDRA_KEYS}
    if lr is None:  # an optimizer config given as the scheduler's argument
        lr = _optimizer_lr(kwargs.get("optimizer"))
    if name.startswith(_TORCH):
        return from_torch(_torch_description(name.removeprefix(_TORCH), kwargs, lr))
    if name.startswith(_TRANSFORMERS) and name.rsplit(".", 1)[-1] in (*_HF_FUNCTIONS, "get_scheduler"):
        return _transformers(name.rsplit(".", 1)[-1], kwargs, lr)
    if name.startswith(_TIMM):
        return _timm(name.rsplit(".", 1)[-1], kwargs, lr)
    if name.startswith("lrjit."):
        return _lrjit(name, kwargs, lr)
    raise ValueError(f"from_hydra: unknown _target_ {name!r}; supported: {_supported()}")


def _check_kwargs(name: str, kwargs: Mapping[str, Any], accepted: Sequence[str]) -> None:
    unknown = sorted(set(kwargs) - set(accepted))
    if unknown:
        raise ValueError(
            f"from_hydra: {name} does not take {', '.join(map(repr, unknown))} "
            f"(it takes: {', '.join(accepted)})"
        )


def _last_epoch(name: str, kwargs: dict[str, Any]) -> None:
    """Drops the arguments that do not change a fresh scheduler's rate; a resumed one raises."""
    kwargs.pop("optimizer", None)  # an interpolation, or a partial's missing argument
    if kwargs.pop("last_epoch", -1) != -1:
        raise ValueError(f"from_hydra: {name} with last_epoch != -1 (resumed) is not supported; use -1")
    kwargs.pop("verbose", None)


def _one_number(name: str, key: str, value: Any) -> Any:
    if key in _PER_GROUP and isinstance(value, list):
        raise ValueError(
            f"from_hydra: {name} `{key}` = {value!r}: per-parameter-group lists are not supported (one group)"
        )
    return value


def _needs_lr(name: str, lr: float | None) -> float:
    if lr is None:
        raise ValueError(
            f"from_hydra: {name} starts from the optimizer's lr: pass lr=... or the whole config with its "
            "`optimizer` block"
        )
    return lr


def _torch_description(name: str, kwargs: dict[str, Any], lr: float | None) -> dict[str, Any]:
    """The :func:`lrjit.describe_torch` description of torch scheduler ``name`` built fresh, with these
    arguments, on an optimizer of rate ``lr`` (see :func:`_torch_pieces`)."""
    return _torch_pieces(name, kwargs, lr, None)[0]


def _torch_pieces(
    name: str, kwargs: dict[str, Any], lr: float | None, initial: float | None
) -> tuple[dict[str, Any], float | None]:
    """(the description, the param group's ``initial_lr`` after construction). ``initial``: the group's
    ``initial_lr`` before (None: not set yet; the scheduler sets it from the group's rate ``lr``)."""
    if name not in _TORCH_ARGS:
        try:  # from_torch says why (LambdaLR: a Python function; ReduceLROnPlateau: metric-driven; ...)
            from_torch({"class_name": name, "base_lrs": [0.0]})
        except UnsupportedScheduleError as e:
            raise UnsupportedScheduleError(f"from_hydra: {_TORCH}{name}: {e}") from None
        raise ValueError(f"from_hydra: {_TORCH}{name} is not supported")
    kwargs = dict(kwargs)
    if name == "ChainedScheduler":
        kwargs.pop("optimizer", None)
    else:
        _last_epoch(name, kwargs)
    _check_kwargs(_TORCH + name, kwargs, _TORCH_ARGS[name])
    if name in ("SequentialLR", "ChainedScheduler"):
        return _torch_combined(name, kwargs, lr, initial)
    config = {k: _one_number(name, k, v) for k, v in kwargs.items() if k not in _MOMENTUM_ARGS}
    if name == "CyclicLR":
        if config.pop("scale_fn", None) is not None:
            raise UnsupportedScheduleError("from_hydra: CyclicLR with a custom scale_fn is not supported")
        config.pop("scale_mode", None)  # read only with a custom scale_fn
        base = float(config["base_lr"])
        # CyclicLR sets the group's rate to base_lr, from which an unset initial_lr is taken.
        initial = base if initial is None else initial
    elif name == "OneCycleLR":
        total, epochs, per_epoch = (config.pop(k, None) for k in ("total_steps", "epochs", "steps_per_epoch"))
        if total is None:
            if epochs is None or per_epoch is None:
                raise ValueError(
                    "from_hydra: OneCycleLR needs `total_steps`, or `epochs` and `steps_per_epoch`"
                )
            total = epochs * per_epoch
        config["total_steps"] = total
        base = initial = float(config["max_lr"]) / float(config.get("div_factor", 25.0))
    else:
        initial = _needs_lr(name, lr) if initial is None else initial
        base = initial
    return {"class_name": name, "config": config, "base_lrs": [base], "initial_lrs": [initial]}, initial


def _torch_combined(
    name: str, kwargs: dict[str, Any], lr: float | None, initial: float | None
) -> tuple[dict[str, Any], float | None]:
    """SequentialLR / ChainedScheduler: the schedulers built in list order on one optimizer (each
    constructor may set the group's ``initial_lr``, which the later ones start from)."""
    subs = kwargs.get("schedulers")
    if not isinstance(subs, list) or not subs:
        raise ValueError(f"from_hydra: {name} needs `schedulers`: a list of scheduler configs")
    descriptions = []
    for i, sub in enumerate(subs):
        target = _target_dict(sub)
        if target is None or not target["_target_"].startswith(_TORCH):
            raise ValueError(
                f"from_hydra: {name} scheduler {i} must be a torch scheduler config, got {sub!r:.80}"
            )
        sub_kwargs = {k: v for k, v in target.items() if k not in _HYDRA_KEYS}
        desc, initial = _torch_pieces(target["_target_"].removeprefix(_TORCH), sub_kwargs, lr, initial)
        descriptions.append(desc)
    out: dict[str, Any] = {"class_name": name, "schedulers": descriptions, "initial_lrs": [initial]}
    if name == "SequentialLR":
        if "milestones" not in kwargs:
            raise ValueError("from_hydra: SequentialLR needs `milestones`")
        out["config"] = {"milestones": list(kwargs["milestones"])}
    return out, initial


def _transformers(function: str, kwargs: dict[str, Any], lr: float | None) -> Schedule:
    """A transformers schedule function, as the Trainer setting of the ``SchedulerType`` it builds."""
    kwargs = dict(kwargs)
    _last_epoch(function, kwargs)
    if function == "get_scheduler":
        kind = kwargs.pop("name", None)
        if kind is None:
            raise ValueError("from_hydra: transformers.get_scheduler needs `name` (the SchedulerType)")
        _check_kwargs(
            function, kwargs, ("num_warmup_steps", "num_training_steps", "scheduler_specific_kwargs")
        )
        extra = dict(kwargs.pop("scheduler_specific_kwargs", None) or {})
        if kind not in _HF_WITHOUT_WARMUP and kwargs.get("num_warmup_steps") is None:
            raise ValueError(f"from_hydra: transformers.get_scheduler({kind!r}) needs `num_warmup_steps`")
    else:
        kind, required = _HF_FUNCTIONS[function]
        missing = [k for k in required if kwargs.get(k) is None]
        if missing:
            raise ValueError(f"from_hydra: {function} needs {', '.join(map(repr, missing))}")
        takes = {*required, *(("num_training_steps",) if kind == "warmup_stable_decay" else ())}
        for key in ("num_warmup_steps", "num_training_steps"):
            if key in kwargs and key not in takes:
                raise ValueError(f"from_hydra: {function} does not take {key!r}")
        extra = {}
    warmup = kwargs.pop("num_warmup_steps", None)
    total = kwargs.pop("num_training_steps", None)
    settings: dict[str, Any] = {
        "lr_scheduler_type": kind,
        "learning_rate": _needs_lr(function, lr),
        "lr_scheduler_kwargs": {**kwargs, **extra},
    }
    if warmup is not None:
        if isinstance(warmup, bool) or not isinstance(warmup, int) or warmup < 0:
            raise ValueError(
                f"from_hydra: {function} `num_warmup_steps` must be an integer >= 0, got {warmup!r}"
            )
        settings["warmup_steps"] = warmup
    if total is not None:
        if isinstance(total, bool) or not isinstance(total, int) or total < 0:
            raise ValueError(
                f"from_hydra: {function} `num_training_steps` must be an integer >= 0, got {total!r}"
            )
        # The Trainer's run length ceil(num_train_epochs * steps_per_epoch): exactly N, 0 included (its
        # max_steps means "not set" at 0).
        settings.update(max_steps=-1, num_train_epochs=total, steps_per_epoch=1)
    return from_transformers(settings)


def _timm(name: str, kwargs: dict[str, Any], lr: float | None) -> Schedule:
    kwargs = dict(kwargs)
    kwargs.pop("optimizer", None)
    for key in _TIMM_IGNORED:
        kwargs.pop(key, None)
    target = f"{_TIMM}{name}"
    if name in _TIMM_FAMILIES:
        family: Any = _TIMM_FAMILIES[name]  # the timm families' constructors: base_lr and timm's arguments
        _check_kwargs(target, kwargs, [k for k in fields_of(family) if k != "base_lr"])
        return family(base_lr=_needs_lr(target, lr), **kwargs)
    if name in _TIMM_STEP:
        _check_kwargs(target, kwargs, _TIMM_STEP_ARGS)
        if kwargs.get("noise_range_t") is not None:
            raise UnsupportedScheduleError(f"from_hydra: {target} with noise_range_t is not supported")
        if "decay_t" not in kwargs:
            raise ValueError(f"from_hydra: {target} needs `decay_t`")
        decay = "decay_epochs" if name == "StepLRScheduler" else "decay_milestones"
        return from_timm(
            {
                "sched": _TIMM_STEP[name],
                "lr": _needs_lr(target, lr),
                decay: kwargs["decay_t"],
                "decay_rate": kwargs.get("decay_rate", 1.0),  # the class's defaults
                "warmup_epochs": kwargs.get("warmup_t", 0),
                "warmup_lr": kwargs.get("warmup_lr_init", 0.0),
                "warmup_prefix": kwargs.get("warmup_prefix", True),
            }
        )
    if name == "PlateauLRScheduler":  # from_timm says what to use instead
        from_timm(
            {
                "sched": "plateau",
                "lr": lr,
                "decay_rate": kwargs.get("decay_rate", 0.1),
                "patience_epochs": kwargs.get("patience_t", 10),
                "min_lr": kwargs.get("lr_min", 0.0),
                "plateau_mode": kwargs.get("mode", "max"),
            }
        )
    raise ValueError(f"from_hydra: unknown _target_ {target!r}; supported: {_supported()}")


def _lrjit(name: str, kwargs: dict[str, Any], lr: float | None) -> Schedule:
    """An lrjit family or composition; nested target dicts are its sub-schedules."""
    cls_name = name.rsplit(".", 1)[-1]
    family = registry().get(cls_name)
    if family is None or name not in (f"lrjit.{cls_name}", f"{family.__module__}.{cls_name}"):
        raise ValueError(
            f"from_hydra: unknown _target_ {name!r}: no lrjit family or composition of that name (see "
            "lrjit.registry())"
        )
    _check_kwargs(name, kwargs, list(fields_of(family)))

    def value(v: Any) -> Any:
        nested = _target_dict(v)
        if nested is not None:
            return _build(nested, lr)
        if isinstance(v, list) and any(_target_dict(x) is not None for x in v):
            return [value(x) for x in v]
        return v

    return family(**{k: value(v) for k, v in kwargs.items()})


def _names_a_target(obj: Any) -> bool:
    """A target dict of a library this module reads (other ``_target_`` dicts are left to other importers;
    :func:`from_hydra` itself names the unknown target and lists the supported ones)."""
    target = _target_dict(obj)
    return target is not None and target["_target_"].startswith((_TORCH, _TRANSFORMERS, _TIMM, "lrjit."))


def _accepts(obj: Any) -> bool:
    """A dict whose ``_target_`` (or LightningCLI's ``class_path``) names a torch, transformers, timm or
    lrjit scheduler, Lightning's scheduler dict around one, or a config whose ``lr_scheduler`` /
    ``scheduler`` entry is one of these (no lrjit ``family``)."""
    if not isinstance(obj, Mapping) or "family" in obj:
        return False
    if _names_a_target(obj):
        return True
    entry = obj.get("lr_scheduler", obj.get("scheduler"))
    if _names_a_target(entry):
        return True
    return isinstance(entry, Mapping) and _names_a_target(entry.get("scheduler"))


register_importer(Importer("hydra", _accepts, from_hydra))
