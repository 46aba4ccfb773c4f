"""NeMo's ``optim`` config (its YAML / Hydra block) imported as an lrjit schedule: :func:`from_nemo`.

NeMo is not imported. The input is a plain dict (or an OmegaConf ``DictConfig``) of one of:

- the ``optim`` block ``{name: adamw, lr: ..., <optimizer args>, sched: {name: CosineAnnealing, ...}}``
  (its ``lr`` is the optimizer's rate; the optimizer's other arguments do not change the rate and are not
  read);
- a model section ``{optim: {...}, ...}`` or a whole config ``{model: {optim: ...}, trainer: {max_steps:
  ...}}`` (a ``trainer.max_steps >= 0`` is written over ``sched.max_steps``, as NeMo's
  ``ModelPT.setup_optimization`` does; the other keys are not read);
- the ``sched`` block alone, with the optimizer's rate as ``lr=...``.

The scheduler names are NeMo's (``nemo.core.optim.lr_scheduler.AVAILABLE_SCHEDULERS``) and map to the
families of the same names (:mod:`lrjit.families.nemo`). The conversion is NeMo's ``prepare_lr_scheduler``
and constructors: ``max_steps`` from ``sched.max_steps`` (``-1``, or none at all, builds no scheduler in
NeMo: that raises here), or from ``t_max_epochs`` and the ``t_*`` keys NeMo stores beside it when the
train data's size is passed (``num_samples=``, ``batch_size=``, ``drop_last=``: NeMo's
``compute_max_steps``); ``warmup_ratio`` / ``hold_ratio`` / ``constant_ratio`` become ``int(ratio *
max_steps)`` steps; a ``last_epoch`` of ``k >= 0`` (a resumed scheduler, whose first update runs at
``last_epoch = k + 1``) gives ``lrjit.Offset(sched, k + 1)``; ``monitor`` and ``reduce_on_plateau`` are
Lightning's and not read. Raising ValueError naming them: unknown keys (NeMo passes them to the
scheduler, which rejects them), a step count given both as steps and as a ratio, a missing ``lr``,
``d_model`` or ``max_steps``, and the ``args`` / ``_target_`` forms; raising UnsupportedScheduleError:
NeMo's torch schedulers (``StepLR``, ``ExponentialLR``, ``CyclicLR``, ``ReduceLROnPlateau``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from lrjit.compose import Offset
from lrjit.core import Schedule
from lrjit.families import nemo
from lrjit.frontend.importers import Importer, UnsupportedScheduleError, plain_value, register_importer

__all__ = ["NEMO_SCHEDULERS", "compute_max_steps", "from_nemo"]

NEMO_SCHEDULERS: dict[str, type[Schedule]] = {
    "WarmupPolicy": nemo.WarmupPolicy,
    "WarmupHoldPolicy": nemo.WarmupHoldPolicy,
    "SquareAnnealing": nemo.SquareAnnealing,
    "CosineAnnealing": nemo.CosineAnnealing,
    "NoamAnnealing": nemo.NoamAnnealing,
    "NoamHoldAnnealing": nemo.NoamHoldAnnealing,
    "WarmupAnnealing": nemo.WarmupAnnealing,
    "InverseSquareRootAnnealing": nemo.InverseSquareRootAnnealing,
    "T5InverseSquareRootAnnealing": nemo.T5InverseSquareRootAnnealing,
    "SquareRootAnnealing": nemo.SquareRootAnnealing,
    "PolynomialDecayAnnealing": nemo.PolynomialDecayAnnealing,
    "PolynomialHoldDecayAnnealing": nemo.PolynomialHoldDecayAnnealing,
}
# The torch schedulers of NeMo's registry (stepped per epoch or by a metric, or with their own rates).
_TORCH_IN_NEMO = ("StepLR", "ExponentialLR", "ReduceLROnPlateau", "CyclicLR")

# Each class's keyword arguments (its own and those it passes on to its NeMo base class).
_WARMUP = frozenset({"warmup_steps", "warmup_ratio", "max_steps", "min_lr", "last_epoch"})
_HOLD = _WARMUP | {"hold_steps", "hold_ratio"}
_POLY = frozenset({"power", "cycle"})
_ARGUMENTS: dict[str, frozenset[str]] = {
    "WarmupPolicy": _WARMUP,
    "WarmupHoldPolicy": _HOLD,
    "SquareAnnealing": _WARMUP,
    "CosineAnnealing": _WARMUP | {"constant_steps", "constant_ratio"},
    "NoamAnnealing": _WARMUP | {"d_model"},
    "NoamHoldAnnealing": _HOLD | {"decay_rate"},
    "WarmupAnnealing": _WARMUP,
    "InverseSquareRootAnnealing": _WARMUP,
    "T5InverseSquareRootAnnealing": frozenset(
        {"constant_steps", "constant_ratio", "max_steps", "min_lr", "last_epoch"}
    ),
    "SquareRootAnnealing": _WARMUP,
    "PolynomialDecayAnnealing": _WARMUP | _POLY,
    "PolynomialHoldDecayAnnealing": _HOLD | _POLY,
}
# Keys prepare_lr_scheduler takes out of the sched block before the constructor sees the rest.
_FRAMEWORK = frozenset(
    {"name", "t_max_epochs", "t_accumulate_grad_batches", "t_limit_train_batches", "t_num_workers"}
    | {"monitor", "reduce_on_plateau"}
)
_SCHED_KEYS = _FRAMEWORK.union(*_ARGUMENTS.values())
# Counts NeMo's constructors take as steps or as a ratio of max_steps (None: not given).
_COUNTS = ("warmup", "hold", "constant")


def compute_max_steps(
    max_epochs: Any,
    accumulate_grad_batches: Any,
    limit_train_batches: Any,
    num_workers: Any,
    num_samples: int,
    batch_size: int,
    drop_last: bool,
) -> int:
    """NeMo's ``compute_max_steps`` (``nemo.core.optim.lr_scheduler``): the updates of ``max_epochs``
    epochs of ``num_samples`` samples shared by ``num_workers`` data-parallel workers, in batches of
    ``batch_size`` (the last one dropped with ``drop_last``), at most ``limit_train_batches`` batches an
    epoch (an int) or that fraction of them (a float), an update every ``accumulate_grad_batches``."""
    rounding = math.floor if drop_last else math.ceil
    per_worker = math.ceil(num_samples / max(1, num_workers))
    per_epoch = rounding(per_worker / batch_size)
    if isinstance(limit_train_batches, int) or limit_train_batches == 0.0:
        per_epoch = min(per_epoch, int(limit_train_batches))
    elif per_epoch != float("inf"):
        per_epoch = int(per_epoch * limit_train_batches)
    return math.ceil(per_epoch / accumulate_grad_batches) * max_epochs


def _holds_optim(section: Any) -> bool:
    return isinstance(section, Mapping) and isinstance(section.get("optim"), Mapping)


def _blocks(config: Mapping[str, Any]) -> tuple[Mapping[str, Any], Any, Any]:
    """(the sched block, the optimizer's lr or None, the trainer's max_steps or None)."""
    trainer_steps = None
    if _holds_optim(config.get("model")):
        if isinstance(config.get("trainer"), Mapping):
            trainer_steps = config["trainer"].get("max_steps")
        config = config["model"]
    if isinstance(config.get("optim"), Mapping):
        config = config["optim"]
    if "sched" in config:
        sched = config["sched"]
        if not isinstance(sched, Mapping):
            raise ValueError(
                f"from_nemo: `sched` is {sched!r:.60}: NeMo then builds no scheduler (the rate stays the "
                "optimizer's lr)"
            )
        return sched, config.get("lr"), trainer_steps
    if "lr" in config:  # an optim block (a sched block has no lr)
        raise ValueError(
            "from_nemo: the optim block has no `sched`: NeMo then builds no scheduler (the rate stays the "
            "optimizer's lr)"
        )
    return config, None, trainer_steps


def _max_steps(sched: Mapping[str, Any], given: Any, data: dict[str, Any]) -> Any:
    """``max_steps`` as NeMo's ``prepare_lr_scheduler`` takes it (``given``: the trainer's, which NeMo
    writes over the block's)."""
    if given is not None and plain_value(given) >= 0:
        return plain_value(given)
    steps = plain_value(sched.get("max_steps"))
    if steps is not None:
        if steps == -1:
            raise ValueError(
                "from_nemo: `max_steps` is -1: NeMo builds no scheduler then (the rate stays the optimizer's "
                "lr); pass max_steps=... (the trainer's max_steps)"
            )
        if steps < 0:
            raise ValueError(f"from_nemo: `max_steps` must be an integer >= 0 (or -1), got {steps!r}")
        return steps
    if sched.get("t_max_epochs") is not None:
        keys = ("t_accumulate_grad_batches", "t_limit_train_batches", "t_num_workers")
        missing = [k for k in keys if sched.get(k) is None] + [
            k for k in ("num_samples", "batch_size") if data[k] is None
        ]
        if missing:
            raise ValueError(
                f"from_nemo: no `max_steps`; computing it from `t_max_epochs` as NeMo does needs "
                f"{', '.join(map(repr, missing))} (pass the train data's num_samples=, batch_size=, "
                "drop_last=), or pass max_steps=..."
            )
        return compute_max_steps(
            plain_value(sched["t_max_epochs"]),
            plain_value(sched["t_accumulate_grad_batches"]),
            plain_value(sched["t_limit_train_batches"]),
            plain_value(sched["t_num_workers"]),
            num_samples=data["num_samples"],
            batch_size=data["batch_size"],
            drop_last=bool(data["drop_last"]),
        )
    raise ValueError(
        "from_nemo: the config has no `max_steps` (NeMo builds no scheduler without it, or without "
        "`t_max_epochs` and the train data): pass max_steps=... (the trainer's max_steps)"
    )


def _count(name: str, args: dict[str, Any], kind: str, max_steps: Any) -> Any:
    """The steps of a ``<kind>_steps`` / ``<kind>_ratio`` pair as NeMo's constructors count them
    (``int(ratio * max_steps)``), or None when neither is given."""
    steps, fraction = args.pop(f"{kind}_steps", None), args.pop(f"{kind}_ratio", None)
    if steps is not None and fraction is not None:
        raise ValueError(
            f"from_nemo: {name} takes `{kind}_steps` or `{kind}_ratio`, not both "
            f"(got {steps!r} and {fraction!r})"
        )
    if fraction is not None:
        return int(fraction * max_steps)
    return steps


def from_nemo(
    config: Mapping[str, Any],
    *,
    lr: float | None = None,
    max_steps: int | None = None,
    num_samples: int | None = None,
    batch_size: int | None = None,
    drop_last: bool = False,
) -> Schedule:
    """The lrjit schedule of a NeMo ``optim`` / ``sched`` config.

    Args:
      config: the ``optim`` block (with ``lr`` and ``sched``), a model section or a whole config holding
        it, or the ``sched`` block alone (see the module).
      lr: the optimizer's learning rate (instead of the ``optim`` block's).
      max_steps: the trainer's ``max_steps`` (>= 0), which NeMo writes over ``sched.max_steps``.
      num_samples, batch_size, drop_last: the train data, for a ``max_steps`` computed from ``t_max_epochs``
        as NeMo's ``compute_max_steps`` does.

    Returns:
      The family of the scheduler's name (:mod:`lrjit.families.nemo`); its step is NeMo's ``last_epoch``
      (0 for the first update). For a resumed scheduler (``last_epoch = k >= 0``): ``lrjit.Offset(family,
      k + 1)``.

    Raises:
      ValueError: an unknown name or key, a setting NeMo rejects, a missing ``lr`` / ``max_steps`` /
        ``d_model`` (see the module).
      UnsupportedScheduleError: one of NeMo's torch schedulers.
    """
    sched, config_lr, trainer_steps = _blocks(config)
    lr = plain_value(config_lr) if lr is None else lr
    name = sched.get("name")
    if name in _TORCH_IN_NEMO:
        raise UnsupportedScheduleError(
            f"from_nemo: {name} is torch's scheduler in NeMo's registry, not supported here (for StepLR / "
            "CyclicLR use lrjit's torch families, e.g. lrjit.StepLR)"
        )
    if name is None:
        raise ValueError(
            "from_nemo: expected NeMo's optim block (with `sched`), a config holding it, or a sched block "
            "(with `name`)"
        )
    if name not in NEMO_SCHEDULERS:
        raise ValueError(f"from_nemo: unknown scheduler {name!r}; supported: {', '.join(NEMO_SCHEDULERS)}")
    for form in ("args", "_target_"):
        if form in sched:
            raise ValueError(
                f"from_nemo: the `{form}` form of the sched block is not supported: give the scheduler's "
                "arguments in the block itself"
            )
    unknown = sorted(set(sched) - _FRAMEWORK - _ARGUMENTS[name])
    if unknown:
        raise ValueError(
            f"from_nemo: {name} does not take {', '.join(map(repr, unknown))} (its arguments: "
            f"{', '.join(sorted(_ARGUMENTS[name]))})"
        )
    data = {"num_samples": num_samples, "batch_size": batch_size, "drop_last": drop_last}
    steps = _max_steps(sched, trainer_steps if max_steps is None else max_steps, data)
    args = {k: plain_value(v) for k, v in sched.items() if k in _ARGUMENTS[name] and k != "max_steps"}
    for kind in _COUNTS:
        if f"{kind}_steps" in _ARGUMENTS[name]:
            args[f"{kind}_steps"] = _count(name, args, kind, steps)
    if args.get("warmup_steps", 0) is None:
        args["warmup_steps"] = 0  # NeMo's constructors: neither steps nor ratio is no warmup
    last_epoch = args.pop("last_epoch", -1)
    for key, value in args.items():
        if value is None and not key.endswith("_steps"):
            raise ValueError(f"from_nemo: {name} `{key}` is None (NeMo needs a value)")
    kwargs = {k: v for k, v in args.items() if v is not None}
    if name == "T5InverseSquareRootAnnealing":
        if sched.get("constant_steps") is None:
            raise ValueError(
                "from_nemo: T5InverseSquareRootAnnealing needs `constant_steps` (NeMo divides by its "
                "square root; its `constant_ratio` fails)"
            )
    elif lr is None:
        raise ValueError(f"from_nemo: {name} needs the optimizer's `lr`: pass the optim block or lr=...")
    else:
        kwargs["base_lr"] = lr
    if name == "NoamAnnealing" and "d_model" not in kwargs:
        raise ValueError("from_nemo: NoamAnnealing needs `d_model`")
    if name != "NoamAnnealing":
        kwargs["max_steps"] = steps
    sched_out = NEMO_SCHEDULERS[name](**kwargs)
    if last_epoch == -1:
        return sched_out
    if not isinstance(last_epoch, int) or isinstance(last_epoch, bool) or last_epoch < -1:
        raise ValueError(f"from_nemo: `last_epoch` must be an integer >= -1, got {last_epoch!r}")
    return Offset(sched_out, last_epoch + 1)


def _is_nemo(obj: Any) -> bool:
    """A dict holding a ``sched`` block of a NeMo scheduler name (the optim block, a model section or a
    whole config), or a sched block itself: a NeMo class name with only NeMo's sched keys."""
    if not isinstance(obj, Mapping) or "family" in obj:
        return False
    if _holds_optim(obj.get("model")):
        obj = obj["model"]
    if isinstance(obj.get("optim"), Mapping):
        obj = obj["optim"]
    sched = obj.get("sched")
    if isinstance(sched, Mapping):
        return sched.get("name") in NEMO_SCHEDULERS or sched.get("name") in _TORCH_IN_NEMO
    return obj.get("name") in NEMO_SCHEDULERS and set(obj) <= _SCHED_KEYS


register_importer(Importer("nemo", _is_nemo, from_nemo))
