"""PyTorch schedulers imported as lrjit schedules: :func:`from_torch` and :func:`describe_torch`.

torch is not imported by this module: a live scheduler is read through its attributes, and
:func:`describe_torch` gives a plain dict that converts without torch installed.

``from_torch`` reads a live ``torch.optim.lr_scheduler`` object (its class, its attributes and its
optimizer's ``initial_lr`` / ``lr`` / OneCycleLR entries) and returns the closed form whose step ``k`` is
the rate torch's optimizer holds after ``k`` calls of ``scheduler.step()`` *from construction*
(``param_groups[i]['lr']``, the *stepped* value, as in :mod:`lrjit.families.torch`). Supported:
``StepLR``, ``MultiStepLR``, ``ConstantLR``, ``LinearLR``, ``ExponentialLR``, ``PolynomialLR``,
``CosineAnnealingLR``, ``CosineAnnealingWarmRestarts``, ``CyclicLR`` (built-in modes), ``OneCycleLR``, and
``SequentialLR`` / ``ChainedScheduler`` of these (not nested in each other).

- **Already stepped.** The curve always starts at construction (step 0), whatever ``last_epoch`` the
  scheduler has reached; to continue where it is, offset it: ``lrjit.Offset(sched,
  scheduler.last_epoch)`` (for a ``ChainedScheduler``, the ``last_epoch`` of its schedulers). A scheduler
  built with ``last_epoch >= 0`` (resumed) is converted as if it had been built fresh. With ``check=True``
  (default) the schedule's value at the scheduler's current step is compared with the optimizer's current
  lr, and a mismatch (an lr changed outside the scheduler, an optimizer that was not fresh when the
  scheduler was built) warns. A ``OneCycleLR`` stepped ``total_steps`` times is not compared: torch's rate
  there extrapolates past the schedule's end, where :class:`lrjit.OneCycleLR` holds its last value.
- **Parameter groups.** Each group gets its own schedule (the groups' ``base_lrs`` / ``initial_lr`` /
  ``max_lr`` differ, the rest is shared). ``param_group=i`` returns group ``i``'s. By default, one group, or
  several whose schedules are equal, give one (unbatched) schedule; groups with different rates give a
  *batched* schedule (``lrjit.stack``, one config per group in group order: ``sched(step)`` has a leading
  group axis).
- **SequentialLR** (torch 2.13). At construction it resets the rate to the group's ``initial_lr`` and
  re-runs the initial step of the scheduler active at step 0; at each milestone it calls the next
  scheduler's ``_update_lr(0)``: the closed form at 0 from that scheduler's own ``base_lrs`` (for the
  classes that have one) and its recursive ``step()`` afterwards. So every piece counts its steps from 0 at
  its milestone (``lrjit.sequence(pieces, milestones)``), the first piece from the group's ``initial_lr``
  and the later ones from their ``base_lrs`` (they differ when a ``OneCycleLR`` or ``CyclicLR`` built on the
  same optimizer rewrote ``initial_lr``). Quirks reproduced: a later ``ConstantLR`` with ``total_iters=0``
  holds ``base_lr`` (the closed form at 0 already restores the rate; stepped from construction it holds
  ``base_lr * factor``); a first ``CosineAnnealingLR`` whose ``base_lrs`` differ from ``initial_lr``
  anneals from ``initial_lr`` but restarts (past ``T_max``) towards its ``base_lrs``. A milestone 0 makes
  the next scheduler the one of step 0, and equal milestones skip a scheduler (as ``lrjit.sequence``).
  Where torch divides by zero at a milestone (``LinearLR`` / ``PolynomialLR`` with ``total_iters=0``),
  lrjit gives the scheduler's value stepped from construction.
- **ChainedScheduler.** Every scheduler steps the same rate; chainable (multiplicative) ones give ``lr0 *
  prod f_i(step)``, an lrjit product (``lrjit.StepLR(lr0, ...) * lrjit.ExponentialLR(1.0, gamma)``), with
  ``lr0`` the groups' ``initial_lr`` (the rate before the first scheduler was built on a fresh optimizer;
  each constructor scales it by its factor at 0, in any order).
  ``CosineAnnealingLR`` chains multiplicatively only up to ``T_max``: the step after each minimum *adds*
  ``base_lr * (1 - cos(pi / T_max)) / 2`` from its own ``base_lr``, which restarts the other schedulers'
  factors. With ``eta_min == 0`` and the other factors constant from some step on, that is still exact: a
  sequence of rescaled products (one per restart before the factors settle, at most 16), then the cosine
  alone. ``eta_min > 0`` (an affine recursion), other
  factors that keep changing past ``T_max``, and non-chainable schedulers (``CyclicLR``, ``OneCycleLR``,
  ``CosineAnnealingWarmRestarts`` set the rate from their own base) raise :class:`UnsupportedScheduleError`.
- ``OneCycleLR`` and ``CyclicLR`` convert their rate; torch's momentum cycling of ``OneCycleLR`` is
  ``sched.momentum(base_momentum, max_momentum)`` of the returned :class:`lrjit.OneCycleLR`.
- ``LambdaLR`` gives ``base_lr * lrjit.StepFunction(lr_lambda)`` when its ``lr_lambda`` runs on a
  ``jax.numpy`` array of steps (tried with ``jax.eval_shape``: ``lambda e: 0.95 ** e`` does, ``math.cos`` and
  ``if`` on the step do not and raise :class:`UnsupportedScheduleError`); its description holds the
  function itself, so a JSON description of it cannot be converted.
- ``MultiplicativeLR`` (a running product of an arbitrary Python function), ``ReduceLROnPlateau``
  (metric-driven: see :class:`lrjit.train.ReduceLROnPlateau`), ``CyclicLR`` with a custom ``scale_fn`` and
  subclasses that override the stepping methods raise :class:`UnsupportedScheduleError`.

:func:`describe_torch` gives the JSON-able description ``from_torch`` builds from (class name,
constructor keyword arguments, per-group ``base_lrs``, the groups' ``initial_lr``, sub-schedulers,
``last_epoch``); ``from_torch`` also accepts such a description, without torch installed.

Code structure: ``_TORCH`` is the adapter table, one :class:`_TorchAdapter` per supported class: how to
describe it from a live object (``describe``: the attributes and param-group values it reads), how to
build its closed form from the description (``build``), whether it is chainable (recursive) and, for
``ChainedScheduler``, its factor at step ``t`` and the step it settles from. The supported lists and
error messages come from the table's keys; ``SequentialLR`` and ``ChainedScheduler`` (compositions, in
``_COMBINED``) are described and built by their own functions from the table's pieces. The importer
registered for :func:`lrjit.compile` takes live torch schedulers and :func:`describe_torch` dicts.
"""

from __future__ import annotations

import dataclasses
import math
import types
import warnings
from bisect import bisect_right
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from lrjit.compose import Constant, Offset, StepFunction, sequence
from lrjit.core import Schedule, stack
from lrjit.families import torch as torch_families
from lrjit.frontend.importers import Importer, UnsupportedScheduleError, plain_value, register_importer

__all__ = ["describe_torch", "from_torch"]

_TORCH_MODULE = "torch.optim.lr_scheduler"
# Compositions of other schedulers (their pieces are entries of _TORCH): described and built by
# describe_torch / _sequential / _chained.
_COMBINED = ("SequentialLR", "ChainedScheduler")
_STEPPING_METHODS = ("get_lr", "step", "_get_closed_form_lr", "_update_lr", "_initial_step")
_UNSUPPORTED_TORCH = {
    "MultiplicativeLR": "its rate is an arbitrary Python function (lr_lambda) that lrjit cannot read; write "
    "the product as an lrjit schedule (e.g. lrjit.ExponentialLR for a constant factor)",
    "ReduceLROnPlateau": "it is driven by a metric, not by the step: use lrjit.train.ReduceLROnPlateau "
    "(torch's rules as a pure state machine, bit-exact in x64) or lrjit.train.reduce_on_plateau with optax",
}


# ------------------------------------------------------------------------------------------------------
# PyTorch: the adapter of one scheduler class
# ------------------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class _Piece:
    """What an adapter's ``build`` gets: one scheduler of param group ``g``.

    Attributes:
      cfg: the description's ``config`` (the constructor's keyword arguments).
      desc: the whole description (``base_lrs``, ...).
      g: the param group.
      start: the rate a chainable scheduler starts from (its base).
      at_construction: the scheduler's step 0 is its construction (initial step), not a SequentialLR
        milestone (``_update_lr(0)``, the closed form at 0).
    """

    cfg: Mapping[str, Any]
    desc: Mapping[str, Any]
    g: int
    start: float
    at_construction: bool

    @property
    def base(self) -> Any:
        """The scheduler's own ``base_lr`` of the group."""
        return self.desc["base_lrs"][self.g]

    def per_group(self, key: str) -> Any:
        """The config value ``key`` of the group (a per-group value is a list when groups differ)."""
        return _per_group(self.cfg[key], self.g)


@dataclasses.dataclass(frozen=True)
class _TorchAdapter:
    """Everything lrjit knows about one torch scheduler class.

    Attributes:
      describe: ``describe(scheduler) -> config``: the constructor's keyword arguments read from a live
        scheduler (its attributes, its optimizer's param groups), as plain values.
      build: ``build(piece) -> Schedule``: the closed form of one param group from the description.
      defaults: torch's constructor defaults (torch 2.13) of the config keys that have one: a description
        written by hand may leave them out, as a torch user would.
      chainable: the scheduler updates the rate it finds (``lr *= ratio``): chainable, and started from
        the current rate. Otherwise it sets the rate from its own base values at every step.
      factor: (chainable, for a ChainedScheduler with a cosine) ``factor(config, t)``: the factor at step
        ``t`` (its rate over its base, float64), as torch's closed form (with a ConstantLR of
        ``total_iters == 0`` never restored, as stepped).
      settles: (the same) ``settles(config)``: the step from which the factor no longer changes (None:
        never).
    """

    describe: Callable[[Any], dict[str, Any]]
    build: Callable[[_Piece], Schedule]
    defaults: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    chainable: bool = False
    factor: Callable[[Mapping[str, Any], int], float] | None = None
    settles: Callable[[Mapping[str, Any]], int | None] | None = None


# ------------------------------------------------------------------------------------------------------
# PyTorch: reading a live scheduler (plain, JSON-able data)
# ------------------------------------------------------------------------------------------------------
def _one_or_list(values: list[Any]) -> Any:
    """A per-group value: the value when every group shares it, else the list."""
    return values[0] if all(v == values[0] for v in values) else values


def _group_values(scheduler: Any, key: str) -> list[float]:
    return [float(plain_value(group[key])) for group in scheduler.optimizer.param_groups]


def _shortest(approx: float, ok: Callable[[float], bool]) -> float:
    """The shortest decimal near ``approx`` that ``ok`` accepts (recovers a constructor argument that torch
    only stored through arithmetic, e.g. ``pct_start`` from ``pct_start * total_steps - 1``)."""
    for digits in range(1, 18):
        candidate = float(f"{approx:.{digits}g}")
        if ok(candidate):
            return candidate
    return approx


def _cyclic_config(s: Any) -> dict[str, Any]:
    if getattr(s, "_scale_fn_custom", None) is not None:
        raise UnsupportedScheduleError(
            "from_torch: CyclicLR with a custom scale_fn (a Python function) is not supported; the built-in "
            "modes 'triangular', 'triangular2' and 'exp_range' are"
        )
    total, ratio = float(s.total_size), float(s.step_ratio)
    up = round(total * ratio)
    if abs(total * ratio - up) > 1e-9 * max(total, 1.0) or total != round(total):
        raise UnsupportedScheduleError(
            f"from_torch: CyclicLR step sizes must be integers (lrjit.CyclicLR counts whole steps), got "
            f"step_size_up={total * ratio}, total {total}"
        )
    return {
        "base_lr": _one_or_list([float(plain_value(b)) for b in s.base_lrs]),
        "max_lr": _one_or_list([float(plain_value(m)) for m in s.max_lrs]),
        "step_size_up": up,
        "step_size_down": round(total) - up,
        "mode": str(s.mode),
        "gamma": float(s.gamma),
        "cycle_momentum": bool(s.cycle_momentum),
    }


def _one_cycle_config(s: Any) -> dict[str, Any]:
    phases = s._schedule_phases
    strategy = getattr(s, "_anneal_func_type", None)
    if strategy not in ("cos", "linear"):
        raise UnsupportedScheduleError(
            "from_torch: OneCycleLR without a known anneal_strategy ('cos'/'linear')"
        )
    total = int(s.total_steps)
    three = len(phases) == 3
    ends = [float(p["end_step"]) for p in phases]

    def pct_ok(p: float) -> bool:
        return float(p * total) - 1 == ends[0] and (not three or float(2 * p * total) - 2 == ends[1])

    pct = _shortest((ends[0] + 1) / total, pct_ok)
    max_lrs = _group_values(s, "max_lr")
    initial = _group_values(s, "initial_lr")
    minimum = _group_values(s, "min_lr")
    div = [_shortest(m / i, lambda d, m=m, i=i: m / d == i) for m, i in zip(max_lrs, initial, strict=True)]
    final = [_shortest(i / n, lambda d, i=i, n=n: i / d == n) for i, n in zip(initial, minimum, strict=True)]
    return {
        "max_lr": _one_or_list(max_lrs),
        "total_steps": total,
        "pct_start": pct,
        "anneal_strategy": strategy,
        "div_factor": _one_or_list(div),
        "final_div_factor": _one_or_list(final),
        "three_phase": three,
        "cycle_momentum": bool(s.cycle_momentum),
    }


# ------------------------------------------------------------------------------------------------------
# PyTorch: building one scheduler's closed form; its factor in a chain
# ------------------------------------------------------------------------------------------------------
def _lambda_lr(p: _Piece) -> Schedule:
    """LambdaLR: ``base_lr * lr_lambda(step)``, when ``lr_lambda`` runs on an array of steps under jit."""
    import jax

    from lrjit.core.fields import default_int_dtype

    fn = p.per_group("lr_lambda") if "lr_lambda" in p.cfg else None
    if not callable(fn):
        raise UnsupportedScheduleError(
            "from_torch: LambdaLR needs its lr_lambda, a Python function, which only the live scheduler "
            "holds (a JSON description or state_dict() has none): pass the scheduler itself"
        )
    factor = StepFunction(fn)
    try:
        jax.eval_shape(factor, jax.ShapeDtypeStruct((2,), default_int_dtype()))
    except Exception as e:  # whatever the user's function raises on a traced array
        root = e.__cause__ if e.__cause__ is not None else e  # StepFunction's wrapping adds no news here
        cause = (str(root).splitlines() or [""])[0]
        raise UnsupportedScheduleError(
            "from_torch: LambdaLR's lr_lambda, a Python function, must accept a jax.numpy array of steps "
            "under jax.jit to become base_lr * lrjit.StepFunction(lr_lambda); write it with jax.numpy: "
            "jnp.cos for math.cos, jnp.where(step < k, a, b) for `a if step < k else b`, jnp.minimum for "
            f"min (it failed with {type(root).__name__}: {cause})"
        ) from e
    return p.base * factor


def _per_group(value: Any, g: int) -> Any:
    return value[g] if isinstance(value, list | tuple) else value


def _cosine_from(start: float, base: float, t_max: int, eta_min: float) -> Schedule:
    """torch's recursive CosineAnnealingLR started from the rate ``start``: it anneals from ``start`` to
    ``eta_min`` at ``T_max`` (the ratio recursion scales ``lr - eta_min``), and the step after each
    minimum adds ``(base_lr - eta_min) * (1 - cos(pi / T_max)) / 2`` from its own ``base_lr``: from
    ``T_max + 1`` on, the closed form with ``base_lr``."""
    own = torch_families.CosineAnnealingLR(base, t_max, eta_min)
    if start == base:
        return own
    first = torch_families.CosineAnnealingLR(start, t_max, eta_min)
    return sequence([first, Offset(own, t_max + 1)], [t_max + 1])


def _constant_lr(p: _Piece) -> Schedule:
    if p.cfg["total_iters"] == 0 and not p.at_construction:
        # At a milestone the closed form at 0 is base * (factor + (0 >= 0) * (1 - factor)): restored.
        return Constant(p.start)
    return torch_families.ConstantLR(p.start, p.cfg["factor"], p.cfg["total_iters"])


def _linear_factor(cfg: Mapping[str, Any], t: int) -> float:
    total = cfg["total_iters"]
    if total == 0:
        return cfg["start_factor"]
    return cfg["start_factor"] + (cfg["end_factor"] - cfg["start_factor"]) * min(total, t) / total


def _polynomial_factor(cfg: Mapping[str, Any], t: int) -> float:
    total = cfg["total_iters"]
    return 1.0 if total == 0 else (1.0 - min(total, t) / total) ** cfg["power"]


def _total_iters(cfg: Mapping[str, Any]) -> int | None:
    return int(cfg["total_iters"])


def _gamma_one(cfg: Mapping[str, Any]) -> int | None:
    return 0 if cfg["gamma"] == 1 else None


# ------------------------------------------------------------------------------------------------------
# PyTorch: the adapter table (one entry per supported scheduler class)
# ------------------------------------------------------------------------------------------------------
_TORCH: dict[str, _TorchAdapter] = {
    "StepLR": _TorchAdapter(
        defaults={"gamma": 0.1},
        describe=lambda s: {"step_size": int(s.step_size), "gamma": float(s.gamma)},
        build=lambda p: torch_families.StepLR(p.start, p.cfg["step_size"], p.cfg["gamma"]),
        chainable=True,
        factor=lambda cfg, t: cfg["gamma"] ** (t // cfg["step_size"]),
        settles=_gamma_one,
    ),
    "MultiStepLR": _TorchAdapter(
        defaults={"gamma": 0.1},
        describe=lambda s: {
            "milestones": sorted(int(m) for m in s.milestones.elements()),
            "gamma": float(s.gamma),
        },
        build=lambda p: torch_families.MultiStepLR(p.start, p.cfg["milestones"], p.cfg["gamma"]),
        chainable=True,
        factor=lambda cfg, t: cfg["gamma"] ** bisect_right(sorted(cfg["milestones"]), t),
        settles=lambda cfg: 0 if cfg["gamma"] == 1 or not cfg["milestones"] else max(cfg["milestones"]),
    ),
    "ConstantLR": _TorchAdapter(
        defaults={"factor": 1.0 / 3, "total_iters": 5},
        describe=lambda s: {"factor": float(s.factor), "total_iters": int(s.total_iters)},
        build=_constant_lr,
        chainable=True,
        factor=lambda cfg, t: cfg["factor"] if t < cfg["total_iters"] or cfg["total_iters"] == 0 else 1.0,
        settles=_total_iters,
    ),
    "LinearLR": _TorchAdapter(
        defaults={"start_factor": 1.0 / 3, "end_factor": 1.0, "total_iters": 5},
        describe=lambda s: {
            "start_factor": float(s.start_factor),
            "end_factor": float(s.end_factor),
            "total_iters": int(s.total_iters),
        },
        build=lambda p: torch_families.LinearLR(
            p.start, p.cfg["start_factor"], p.cfg["end_factor"], p.cfg["total_iters"]
        ),
        chainable=True,
        factor=_linear_factor,
        settles=_total_iters,
    ),
    "ExponentialLR": _TorchAdapter(
        describe=lambda s: {"gamma": float(s.gamma)},
        build=lambda p: torch_families.ExponentialLR(p.start, p.cfg["gamma"]),
        chainable=True,
        factor=lambda cfg, t: cfg["gamma"] ** t,
        settles=_gamma_one,
    ),
    "PolynomialLR": _TorchAdapter(
        defaults={"total_iters": 5, "power": 1.0},
        describe=lambda s: {"total_iters": int(s.total_iters), "power": float(s.power)},
        build=lambda p: torch_families.PolynomialLR(p.start, p.cfg["total_iters"], p.cfg["power"]),
        chainable=True,
        factor=_polynomial_factor,
        settles=_total_iters,
    ),
    # Chainable up to T_max only (the step after each minimum adds from its own base_lr): _chained
    # handles it by name, so it has no factor.
    "CosineAnnealingLR": _TorchAdapter(
        defaults={"eta_min": 0.0},
        describe=lambda s: {"T_max": int(s.T_max), "eta_min": float(s.eta_min)},
        build=lambda p: _cosine_from(p.start, p.base, p.cfg["T_max"], p.cfg["eta_min"]),
        chainable=True,
    ),
    "CosineAnnealingWarmRestarts": _TorchAdapter(
        defaults={"T_mult": 1, "eta_min": 0.0},
        describe=lambda s: {"T_0": int(s.T_0), "T_mult": int(s.T_mult), "eta_min": float(s.eta_min)},
        build=lambda p: torch_families.CosineAnnealingWarmRestarts(
            p.base, p.cfg["T_0"], p.cfg["T_mult"], p.cfg["eta_min"]
        ),
    ),
    "CyclicLR": _TorchAdapter(
        defaults={
            "step_size_up": 2000,
            "step_size_down": None,
            "mode": "triangular",
            "gamma": 1.0,
            "cycle_momentum": True,
        },
        describe=_cyclic_config,
        build=lambda p: torch_families.CyclicLR(
            p.per_group("base_lr"),
            p.per_group("max_lr"),
            p.cfg["step_size_up"],
            p.cfg["step_size_down"],
            p.cfg["mode"],
            p.cfg["gamma"],
        ),
    ),
    # Its config holds the function (not JSON-able); see _lambda_lr.
    "LambdaLR": _TorchAdapter(
        describe=lambda s: {"lr_lambda": _one_or_list(list(s.lr_lambdas))},
        build=_lambda_lr,
    ),
    "OneCycleLR": _TorchAdapter(
        defaults={
            "pct_start": 0.3,
            "anneal_strategy": "cos",
            "div_factor": 25.0,
            "final_div_factor": 1e4,
            "three_phase": False,
            "cycle_momentum": True,
        },
        describe=_one_cycle_config,
        build=lambda p: torch_families.OneCycleLR(
            p.per_group("max_lr"),
            p.cfg["total_steps"],
            p.cfg["pct_start"],
            p.cfg["anneal_strategy"],
            p.per_group("div_factor"),
            p.per_group("final_div_factor"),
            p.cfg["three_phase"],
        ),
    ),
}
_CHAINABLE = tuple(name for name, adapter in _TORCH.items() if adapter.chainable)
TORCH_SUPPORTED = (*_TORCH, *_COMBINED)


def _unsupported(name: str) -> UnsupportedScheduleError:
    if name in _UNSUPPORTED_TORCH:
        return UnsupportedScheduleError(f"from_torch: {name} is not supported: {_UNSUPPORTED_TORCH[name]}")
    return UnsupportedScheduleError(
        f"from_torch: {name} is not supported; supported: {', '.join(TORCH_SUPPORTED)}"
    )


# ------------------------------------------------------------------------------------------------------
# PyTorch: description (reads a live scheduler; plain, JSON-able data)
# ------------------------------------------------------------------------------------------------------
def _torch_class(scheduler: Any) -> str:
    """The torch scheduler class ``scheduler`` is (or subclasses without changing how it steps)."""
    mro = type(scheduler).__mro__
    for klass in mro:
        if klass.__module__ != _TORCH_MODULE or klass.__name__ in ("LRScheduler", "_LRScheduler"):
            continue
        name = klass.__name__
        if name not in TORCH_SUPPORTED:
            raise _unsupported(name)
        if klass is not type(scheduler):
            changed = [
                m
                for m in _STEPPING_METHODS
                if getattr(type(scheduler), m, None) is not getattr(klass, m, None)
            ]
            if changed:
                raise UnsupportedScheduleError(
                    f"from_torch: {type(scheduler).__qualname__} subclasses torch {name} and overrides "
                    f"{', '.join(changed)}; lrjit cannot read a Python method"
                )
        return name
    if any(k.__name__ in ("LRScheduler", "_LRScheduler") for k in mro):
        raise UnsupportedScheduleError(
            f"from_torch: {type(scheduler).__qualname__} is a custom LRScheduler (its get_lr is Python "
            f"code); supported: {', '.join(TORCH_SUPPORTED)}"
        )
    raise TypeError(
        f"from_torch: expected a torch.optim.lr_scheduler scheduler or a describe_torch() dict, got "
        f"{type(scheduler).__qualname__}"
    )


def describe_torch(scheduler: Any) -> dict[str, Any]:
    """A plain (JSON-able) description of a live torch scheduler: what :func:`from_torch` builds from.

    Keys: ``class_name``; ``config`` (the constructor's keyword arguments as torch stored them, recovered
    where torch keeps only derived values; per-group values as a list when groups differ);
    ``base_lrs`` (the scheduler's, per group); ``initial_lrs`` (the optimizer groups' ``initial_lr``,
    where a SequentialLR resets the rate and a ChainedScheduler starts); ``schedulers`` (SequentialLR /
    ChainedScheduler: the sub-schedulers' descriptions); ``last_epoch`` (steps taken so far).
    """
    name = _torch_class(scheduler)
    initial = _group_values(scheduler, "initial_lr")
    if name in _COMBINED:
        subs = list(scheduler._schedulers)
        out: dict[str, Any] = {"class_name": name}
        if name == "SequentialLR":
            out["config"] = {"milestones": [int(m) for m in scheduler._milestones]}
        out["initial_lrs"] = initial
        out["schedulers"] = [describe_torch(s) for s in subs]
        out["last_epoch"] = int(scheduler.last_epoch if name == "SequentialLR" else subs[0].last_epoch)
        return out
    return {
        "class_name": name,
        "config": _TORCH[name].describe(scheduler),
        "base_lrs": [float(plain_value(b)) for b in scheduler.base_lrs],
        "initial_lrs": initial,
        "last_epoch": math.floor(scheduler.last_epoch),
    }


# ------------------------------------------------------------------------------------------------------
# PyTorch: building the closed form from a description
# ------------------------------------------------------------------------------------------------------
def _leaf(desc: Mapping[str, Any], g: int, start: float, at_construction: bool) -> Schedule:
    """One scheduler of group ``g``. ``start``: the rate a chainable scheduler starts from (its base);
    ``at_construction``: the scheduler's step 0 is its construction (initial step), not a SequentialLR
    milestone (``_update_lr(0)``, the closed form at 0)."""
    name, cfg = desc["class_name"], desc["config"]
    adapter = _TORCH.get(name)
    if adapter is None:
        raise _unsupported(name)
    return adapter.build(_Piece(cfg, desc, g, start, at_construction))


def _no_nesting(owner: str, subs: list[Mapping[str, Any]]) -> None:
    for i, sub in enumerate(subs):
        if sub["class_name"] in _COMBINED:
            raise UnsupportedScheduleError(
                f"from_torch: {owner} of a {sub['class_name']} (scheduler {i}) is not supported: torch steps "
                "nested combinations inconsistently (a SequentialLR milestone calls _update_lr(0), which a "
                "ChainedScheduler does not implement)"
            )


def _sequential(desc: Mapping[str, Any], g: int) -> Schedule:
    subs = list(desc["schedulers"])
    _no_nesting("SequentialLR", subs)
    milestones = [int(m) for m in desc["config"]["milestones"]]
    if milestones != sorted(milestones):
        raise ValueError(f"from_torch: SequentialLR milestones must be non-decreasing, got {milestones}")
    active = bisect_right(milestones, 0)  # the scheduler whose initial step SequentialLR re-runs
    pieces = [
        _leaf(sub, g, desc["initial_lrs"][g] if i == active else _base(sub, g), i == active)
        for i, sub in enumerate(subs)
    ]
    return sequence(pieces, milestones) if len(pieces) > 1 else pieces[0]


def _base(desc: Mapping[str, Any], g: int) -> float:
    return float(desc["base_lrs"][g]) if "base_lrs" in desc else float(desc["initial_lrs"][g])


def _factor(desc: Mapping[str, Any], t: int) -> float:
    """A chainable scheduler's factor at step ``t`` (see :class:`_TorchAdapter`)."""
    factor = _TORCH[desc["class_name"]].factor
    assert factor is not None, desc["class_name"]
    return factor(desc["config"], t)


def _constant_from(desc: Mapping[str, Any]) -> int | None:
    """The step from which a chainable scheduler's factor no longer changes (None: never)."""
    settles = _TORCH[desc["class_name"]].settles
    assert settles is not None, desc["class_name"]
    return settles(desc["config"])


_MAX_CHAIN_SEGMENTS = 16


def _product(factors: list[Schedule]) -> Schedule:
    out = factors[0]
    for f in factors[1:]:
        out = out * f
    return out


def _chained(desc: Mapping[str, Any], g: int) -> Schedule:
    subs = list(desc["schedulers"])
    _no_nesting("ChainedScheduler", subs)
    lr0 = float(desc["initial_lrs"][g])
    if len(subs) == 1:
        return _leaf(subs[0], g, lr0, True)
    names = [s["class_name"] for s in subs]
    for i, name in enumerate(names):
        adapter = _TORCH.get(name) if isinstance(name, str) else None
        if adapter is None or not adapter.chainable:
            raise UnsupportedScheduleError(
                f"from_torch: ChainedScheduler with {name} (scheduler {i}) is not supported: {name} is not "
                "chainable (it sets the rate from its own base at every step, discarding the factors of the "
                f"other schedulers); chainable: {', '.join(_CHAINABLE)}"
            )
    cosines = [i for i, n in enumerate(names) if n == "CosineAnnealingLR"]
    if not cosines:  # lr0 * prod f_i(step)
        return _product([_leaf(s, g, lr0 if i == 0 else 1.0, True) for i, s in enumerate(subs)])
    if len(cosines) > 1:
        raise UnsupportedScheduleError(
            "from_torch: ChainedScheduler with several CosineAnnealingLR is not supported (each restart adds "
            "its own base rate: not a product)"
        )
    c = cosines[0]
    cos = subs[c]
    t_max, eta_min = int(cos["config"]["T_max"]), float(cos["config"]["eta_min"])
    if eta_min != 0:
        raise UnsupportedScheduleError(
            "from_torch: ChainedScheduler with a CosineAnnealingLR of eta_min != 0 is not supported: its "
            "recursion lr -> eta_min + r * (lr - eta_min) is affine, so the chained rate is no product of "
            "the schedulers' closed forms"
        )
    others = [s for i, s in enumerate(subs) if i != c]
    factors = [_leaf(s, g, 1.0, True) for s in others]
    # Up to T_max (the first minimum, 0 exactly) the chain is a product.
    head = _product([torch_families.CosineAnnealingLR(lr0, t_max), *factors])
    settles = [_constant_from(s) for s in others]
    if any(e is None for e in settles):
        raise UnsupportedScheduleError(
            f"from_torch: ChainedScheduler of CosineAnnealingLR and "
            f"{', '.join(n for i, n in enumerate(names) if i != c)} is a product only up to T_max={t_max}: "
            "the step after each minimum adds the cosine's base_lr * (1 - cos(pi / T_max)) / 2, which "
            "restarts the other factors, and they keep changing (gamma != 1); lrjit expresses it exactly "
            "only when the other factors are constant from some step on"
        )
    settled = max(int(e) for e in settles if e is not None)
    # Restarts r_j = T + 1 + 2T(j - 1); segment j scales by 1 / D_j, D_j = the other factors the restart
    # discards: those stepped before the cosine at r_j, those after it at r_j - 1.
    base = float(cos["base_lrs"][g])
    restarts: list[int] = []
    pieces: list[Schedule] = [head]
    r = t_max + 1
    while True:
        restarts.append(r)
        if r - 1 >= settled:  # the other factors are constant from here: the cosine alone
            pieces.append(Offset(torch_families.CosineAnnealingLR(base, t_max), r))
            break
        if len(restarts) >= _MAX_CHAIN_SEGMENTS:
            raise UnsupportedScheduleError(
                f"from_torch: ChainedScheduler of CosineAnnealingLR(T_max={t_max}) with factors that change "
                f"until step {settled} needs more than {_MAX_CHAIN_SEGMENTS} segments"
            )
        discarded = math.prod(_factor(s, r if i < c else r - 1) for i, s in enumerate(subs) if i != c)
        if discarded == 0:
            raise UnsupportedScheduleError(
                "from_torch: ChainedScheduler of CosineAnnealingLR with a factor that is 0 at a restart is "
                "not supported"
            )
        scaled = torch_families.CosineAnnealingLR(base / discarded, t_max)
        pieces.append(Offset(_product([scaled, *factors]), r))
        r += 2 * t_max
    return sequence(pieces, restarts)


def _build(desc: Mapping[str, Any], g: int) -> Schedule:
    name = desc.get("class_name")
    if name == "SequentialLR":
        return _sequential(desc, g)
    if name == "ChainedScheduler":
        return _chained(desc, g)
    adapter = _TORCH.get(name) if isinstance(name, str) else None
    if adapter is not None and adapter.chainable:
        return _leaf(desc, g, float(desc["base_lrs"][g]), True)
    return _leaf(desc, g, 0.0, True)


def _groups(desc: Mapping[str, Any]) -> int:
    for key in ("initial_lrs", "base_lrs"):
        if key in desc:
            return len(desc[key])
    raise ValueError(
        "from_torch: a description needs 'initial_lrs' or 'base_lrs' (one entry per param group)"
    )


def _from_description(desc: Mapping[str, Any], param_group: int | None) -> Schedule:
    n = _groups(desc)
    if param_group is not None:
        if not 0 <= param_group < n:
            raise ValueError(f"from_torch: param_group={param_group} out of range for {n} param group(s)")
        return _build(desc, param_group)
    scheds = [_build(desc, g) for g in range(n)]
    if all(s == scheds[0] for s in scheds[1:]):
        return scheds[0]
    try:
        return stack(scheds)
    except (TypeError, ValueError) as e:
        raise ValueError(
            f"from_torch: the {n} param groups give schedules of different structures, which do not stack "
            f"({e}); convert one group with param_group=i"
        ) from e


def _at_one_cycle_extra_step(desc: Mapping[str, Any]) -> bool:
    """Whether the active scheduler is a OneCycleLR stepped ``total_steps`` times: torch extrapolates its
    last phase there, where :class:`lrjit.OneCycleLR` holds its end value (no update uses that rate)."""
    if desc["class_name"] == "SequentialLR":
        active = bisect_right(desc["config"]["milestones"], int(desc["last_epoch"]))
        return _at_one_cycle_extra_step(desc["schedulers"][active])
    if desc["class_name"] != "OneCycleLR":
        return False
    return int(desc["last_epoch"]) >= int(desc["config"]["total_steps"])


def _check_position(scheduler: Any, desc: Mapping[str, Any], param_group: int | None) -> None:
    """Warns when the schedule at the scheduler's current step is not the optimizer's current lr."""
    import jax

    step = int(desc["last_epoch"])
    if step < 0 or _at_one_cycle_extra_step(desc):
        return
    groups = scheduler.optimizer.param_groups
    current = np.asarray([float(plain_value(gr["lr"])) for gr in groups])
    with jax.enable_x64(True):
        sched = _from_description(desc, param_group)
        got = np.asarray(sched(step), dtype=np.float64).reshape(-1)
    if param_group is not None:
        current = current[param_group : param_group + 1]
    elif got.size == 1:
        got = np.broadcast_to(got, current.shape)
    scale = max(float(np.max(np.abs(current))), 1e-300)
    if not np.allclose(got, current, rtol=1e-7, atol=1e-12 * scale):
        warnings.warn(
            f"from_torch: {desc['class_name']} after {step} step(s): the optimizer's lr is "
            f"{current.tolist()}, the schedule (from construction) gives {got.tolist()}; the rate was "
            "changed outside the scheduler or the optimizer was not fresh when the scheduler was built, and "
            "the returned curve follows the scheduler as if built on a fresh optimizer",
            stacklevel=3,
        )


def from_torch(
    scheduler: Any, *, param_group: int | None = None, check: bool = True, class_name: str | None = None
) -> Schedule:
    """The lrjit schedule equal to a torch ``lr_scheduler`` stepped from construction.

    ``sched(k)`` is the rate torch's optimizer holds after ``k`` calls of ``scheduler.step()`` from the
    scheduler's construction (the stepped value), whatever step the scheduler is at now: continue from
    where it is with ``lrjit.Offset(sched, scheduler.last_epoch)``. See the module documentation for the
    supported classes, SequentialLR / ChainedScheduler and param groups.

    Args:
      scheduler: a live ``torch.optim.lr_scheduler`` object; or its :func:`describe_torch` dict (needs no
        torch; config keys left out take torch's defaults, as in the constructor); or, with
        ``class_name``, its ``state_dict()`` (taken as a scheduler built fresh on an optimizer whose
        ``initial_lr`` are its ``base_lrs``; classes that read the optimizer's param groups, OneCycleLR,
        need the live scheduler or its description).
      class_name: the scheduler class of a ``state_dict()`` (e.g. ``"StepLR"``).
      param_group: convert this param group only; None: all of them (one schedule when they agree, a
        batched schedule with one config per group otherwise).
      check: compare the schedule at the scheduler's current step with the optimizer's current lr and
        warn on a mismatch (live schedulers only).

    Returns:
      An lrjit schedule (built in the current precision mode: call under ``jax.enable_x64(True)`` for
      torch's float64 values).

    Raises:
      TypeError: for an object that is not a torch scheduler.
      UnsupportedScheduleError: for a LambdaLR whose lr_lambda does not run on a jax.numpy array,
        MultiplicativeLR, ReduceLROnPlateau, custom schedulers and the combinations lrjit cannot express
        (see the module documentation).
      ValueError: for param groups whose schedules do not stack, or values lrjit's families reject.
    """
    if isinstance(scheduler, Mapping):
        desc = _complete(scheduler if class_name is None else _from_state_dict(class_name, scheduler))
        try:
            return _from_description(desc, param_group)
        except KeyError as e:
            raise ValueError(
                f"from_torch: the {desc['class_name']} description lacks {e.args[0]!r}, which torch's "
                f"{desc['class_name']} needs (it has no default)"
            ) from None
    desc = describe_torch(scheduler)
    sched = _from_description(desc, param_group)
    if check:
        _check_position(scheduler, desc, param_group)
    return sched


def _complete(desc: Mapping[str, Any]) -> dict[str, Any]:
    """A description with torch's constructor defaults filled in (recursively for combinations), and the
    rates a hand-written one may give once (``base_lrs`` / ``initial_lrs``: equal for a fresh scheduler)."""
    if "class_name" not in desc:
        raise ValueError(
            "from_torch: the dict has no 'class_name' (a describe_torch() dict names the scheduler class; "
            f"for a state_dict() pass class_name=...); keys: {', '.join(map(str, desc))}"
        )
    name = desc["class_name"]
    if name not in TORCH_SUPPORTED:
        raise _unsupported(str(name))
    out = dict(desc)
    if name in _COMBINED:
        if "schedulers" not in out:
            raise ValueError(f"from_torch: the {name} description lacks 'schedulers'")
        out["schedulers"] = [_complete(sub) for sub in out["schedulers"]]
        if "initial_lrs" not in out and out["schedulers"]:
            out["initial_lrs"] = out["schedulers"][0].get("initial_lrs")
    else:
        out["config"] = {**_TORCH[name].defaults, **dict(out.get("config") or {})}
        if "base_lrs" not in out and "initial_lrs" in out:
            out["base_lrs"] = out["initial_lrs"]
        if "initial_lrs" not in out and "base_lrs" in out:
            out["initial_lrs"] = out["base_lrs"]
    out.setdefault("last_epoch", 0)
    if out.get("initial_lrs") is None:
        raise ValueError(f"from_torch: the {name} description lacks the rates: 'base_lrs' or 'initial_lrs'")
    return out


def _from_state_dict(name: str, state: Mapping[str, Any]) -> dict[str, Any]:
    """The description of a scheduler given as its ``state_dict()`` and class name."""
    if name not in _TORCH:
        if name in _COMBINED:
            raise ValueError(
                f"from_torch: a {name} state_dict() holds its schedulers only as states; pass the live "
                "scheduler or describe_torch() of it"
            )
        raise _unsupported(name)
    try:
        config = _TORCH[name].describe(types.SimpleNamespace(**state))
    except AttributeError as e:
        raise ValueError(
            f"from_torch: a {name} state_dict() lacks what lrjit reads ({e}); pass the live scheduler or "
            "describe_torch() of it"
        ) from None
    rates = [float(plain_value(b)) for b in state["base_lrs"]] if "base_lrs" in state else None
    return {
        "class_name": name,
        "config": config,
        "base_lrs": rates,
        "initial_lrs": rates,
        "last_epoch": math.floor(state.get("last_epoch", 0)),
    }


def _is_torch(obj: Any) -> bool:
    """A live torch scheduler (a class of ``torch.optim.lr_scheduler`` among its bases: supported or not,
    :func:`from_torch` says why not), or a :func:`describe_torch` dict: a torch class name (a supported
    one, or one :func:`from_torch` explains it does not support) with the per-group rates
    (``initial_lrs`` / ``base_lrs``), which neither a Keras ``serialize()`` dict nor an lrjit config
    (``family``) has."""
    if isinstance(obj, Mapping):
        name = obj.get("class_name")
        return (
            (name in TORCH_SUPPORTED or (isinstance(name, str) and name in _UNSUPPORTED_TORCH))
            and ("initial_lrs" in obj or "base_lrs" in obj)
            and "family" not in obj
        )
    return any(klass.__module__ == _TORCH_MODULE for klass in type(obj).__mro__)


register_importer(Importer("torch", _is_torch, from_torch))
