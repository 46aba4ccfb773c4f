"""The Hydra / Lightning importer (``lrjit.from_hydra``) and the TF-slim importer (``lrjit.from_tf_slim``).

Hydra / Lightning:

- live (skipped without the library): the scheduler each config names, instantiated as Hydra does
  (``importlib`` of ``_target_``, keyword arguments, nested scheduler lists built first on the same
  optimizer) on a real torch optimizer, its rate read before each ``scheduler.step()`` (torch,
  transformers; timm: ``step(t)`` then the rate), against lrjit in x64 to the float64 bound of
  ``bounds.py``; torch's and transformers' signatures against the importer's argument lists;
- Lightning's stepping, transcribed from ``Lightning-AI/pytorch-lightning``
  ``src/lightning/pytorch/loops/training_epoch_loop.py`` (``update_lr_schedulers`` /
  ``_update_learning_rates``: after each update, ``interval='step'`` schedulers step when ``(batch_idx + 1)
  % frequency == 0``; at an epoch's last batch, ``'epoch'`` ones when ``(current_epoch + 1) % frequency ==
  0``), driving a live torch scheduler and, without torch, a float64 transcription of ``StepLR``;
- the errors: unknown targets, arguments and keys, missing rates and ``steps_per_epoch``.

TF-slim (``tensorflow/models`` ``research/slim/train_image_classifier.py``, ``_configure_learning_rate``):
a float64 transcription of both revisions of the function, and (skipped without TensorFlow) the same
function written with ``tf.compat.v1.train.exponential_decay`` / ``polynomial_decay`` / ``tf.minimum``
in float32, against lrjit in float32; flags as a dict and as an absl ``FlagValues``.
"""

from __future__ import annotations

import importlib
import inspect
import math
import os
import types
from collections.abc import Callable, Mapping
from typing import Any

import jax
import numpy as np
import pytest
from fixtures.generate_hf_timm import load_timm_scheduler

import lrjit
from lrjit.interop.hydra import HYDRA_TARGETS
from lrjit.interop.tf_slim import TF_SLIM_FLAGS

from bounds import assert_within

pytestmark = pytest.mark.usefixtures("x64_does_not_leak")

N = 60
LR = 0.1
TORCH = "torch.optim.lr_scheduler."


def _lrjit(config: Any, n: int = N, **kw: Any) -> np.ndarray:
    with jax.enable_x64(True):
        return np.asarray(lrjit.from_hydra(config, **kw)(np.arange(n)), np.float64)


# ------------------------------------------------------------------------------------------------------
# live: torch / transformers, instantiated as Hydra does
# ------------------------------------------------------------------------------------------------------
def _instantiate(config: dict[str, Any], optimizer: Any) -> Any:
    """``hydra.utils.instantiate`` of a scheduler config (with ``optimizer`` supplied, as for a partial)."""
    kwargs = {k: v for k, v in config.items() if not (k.startswith("_") and k.endswith("_"))}
    module, name = config["_target_"].rsplit(".", 1)
    if "schedulers" in kwargs:
        kwargs["schedulers"] = [_instantiate(s, optimizer) for s in kwargs["schedulers"]]
    return getattr(importlib.import_module(module), name)(optimizer=optimizer, **kwargs)


def _optimizer(torch: Any) -> Any:
    # momentum: CyclicLR / OneCycleLR cycle it by default
    return torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=LR, momentum=0.9)


def _stepped(torch: Any, config: dict[str, Any], n: int = N) -> np.ndarray:
    """The rate of each update: read before each ``scheduler.step()``."""
    optimizer = _optimizer(torch)
    scheduler = _instantiate(config, optimizer)
    out = []
    for _ in range(n):
        out.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return np.asarray(out, np.float64)


TORCH_CONFIGS: list[dict[str, Any]] = [
    {"_target_": TORCH + "CosineAnnealingLR", "_partial_": True, "T_max": 25, "eta_min": 0.01},
    {"_target_": TORCH + "StepLR", "step_size": 7},
    {"_target_": TORCH + "MultiStepLR", "milestones": [0, 10, 30], "gamma": 0.5},
    {"_target_": TORCH + "ConstantLR", "total_iters": 0},  # zero-length phase: holds factor * lr
    {"_target_": TORCH + "LinearLR", "start_factor": 0.1, "total_iters": 80},  # longer than the run
    {"_target_": TORCH + "ExponentialLR", "gamma": 0.95},
    {"_target_": TORCH + "PolynomialLR", "total_iters": 20, "power": 2.0},
    {"_target_": TORCH + "CosineAnnealingWarmRestarts", "T_0": 5, "T_mult": 2, "eta_min": 0.001},
    {
        "_target_": TORCH + "CyclicLR",
        "base_lr": 0.01,
        "max_lr": 0.2,
        "step_size_up": 4,
        "mode": "triangular2",
    },
    {
        "_target_": TORCH + "OneCycleLR",
        "max_lr": 0.5,
        "epochs": 6,
        "steps_per_epoch": 10,
        "three_phase": True,
    },
    {
        "_target_": TORCH + "SequentialLR",
        "schedulers": [
            {"_target_": TORCH + "LinearLR", "start_factor": 0.01, "total_iters": 10},
            {"_target_": TORCH + "CosineAnnealingLR", "T_max": 30},
        ],
        "milestones": [10],
    },
    {  # a CyclicLR built first sets the group's initial_lr: the later StepLR starts from its base_lr
        "_target_": TORCH + "SequentialLR",
        "schedulers": [
            {"_target_": TORCH + "CyclicLR", "base_lr": 0.02, "max_lr": 0.3, "step_size_up": 3},
            {"_target_": TORCH + "StepLR", "step_size": 5, "gamma": 0.5},
        ],
        "milestones": [12],
    },
    {
        "_target_": TORCH + "ChainedScheduler",
        "schedulers": [
            {"_target_": TORCH + "ConstantLR", "factor": 0.5, "total_iters": 4},
            {"_target_": TORCH + "ExponentialLR", "gamma": 0.9},
        ],
    },
]


@pytest.mark.parametrize("config", TORCH_CONFIGS, ids=lambda c: c["_target_"].rsplit(".", 1)[-1])
def test_live_torch_targets(config: dict[str, Any]) -> None:
    torch = pytest.importorskip("torch")
    want = _stepped(torch, config)
    whole = {"optimizer": {"_target_": "torch.optim.SGD", "lr": LR}, "lr_scheduler": config}
    assert_within(_lrjit(whole), want, True, config["_target_"], np.arange(N))
    assert_within(_lrjit(config, lr=LR), want, True, config["_target_"], np.arange(N))


HF = "transformers."
HF_CONFIGS: list[dict[str, Any]] = [
    {"_target_": HF + "get_linear_schedule_with_warmup", "num_warmup_steps": 10, "num_training_steps": 40},
    {"_target_": HF + "get_linear_schedule_with_warmup", "num_warmup_steps": 0, "num_training_steps": 0},
    {"_target_": HF + "get_cosine_schedule_with_warmup", "num_warmup_steps": 50, "num_training_steps": 40},
    {
        "_target_": HF + "get_cosine_schedule_with_warmup",
        "num_warmup_steps": 5,
        "num_training_steps": 50,
        "num_cycles": 1.5,
    },
    {
        "_target_": HF + "get_cosine_with_hard_restarts_schedule_with_warmup",
        "num_warmup_steps": 5,
        "num_training_steps": 45,
        "num_cycles": 3,
    },
    {
        "_target_": HF + "get_polynomial_decay_schedule_with_warmup",
        "num_warmup_steps": 5,
        "num_training_steps": 30,
        "lr_end": 1e-3,
        "power": 2.0,
    },
    {"_target_": HF + "get_constant_schedule"},
    {"_target_": HF + "get_constant_schedule_with_warmup", "num_warmup_steps": 7},
    {"_target_": HF + "get_inverse_sqrt_schedule", "num_warmup_steps": 5, "timescale": 8},
    {
        "_target_": HF + "get_cosine_with_min_lr_schedule_with_warmup",
        "num_warmup_steps": 5,
        "num_training_steps": 40,
        "min_lr": 0.01,
    },
    {
        "_target_": HF + "get_cosine_with_min_lr_schedule_with_warmup_lr_rate",
        "num_warmup_steps": 5,
        "num_training_steps": 40,
        "min_lr_rate": 0.1,
        "warmup_lr_rate": 0.2,
    },
    {
        "_target_": HF + "get_wsd_schedule",
        "num_warmup_steps": 5,
        "num_decay_steps": 10,
        "num_training_steps": 40,
    },
    {
        "_target_": HF + "optimization.get_wsd_schedule",
        "num_warmup_steps": 0,
        "num_decay_steps": 10,
        "num_stable_steps": 8,
        "decay_type": "linear",
    },
    {
        "_target_": HF + "get_scheduler",
        "name": "cosine",
        "num_warmup_steps": 3,
        "num_training_steps": 30,
        "scheduler_specific_kwargs": {"num_cycles": 1.0},
    },
]


@pytest.mark.parametrize("config", HF_CONFIGS, ids=lambda c: c["_target_"].rsplit(".", 1)[-1])
def test_live_transformers_targets(config: dict[str, Any]) -> None:
    torch = pytest.importorskip("torch")
    pytest.importorskip("transformers.optimization")
    want = _stepped(torch, config)
    with np.errstate(invalid="ignore"):  # an all-zero curve (N = 0): err / bound is 0 / 0
        assert_within(_lrjit(config, lr=LR), want, True, config["_target_"], np.arange(N))


def test_transformers_functions_are_all_targets() -> None:
    torch = pytest.importorskip("torch")
    o = pytest.importorskip("transformers.optimization")
    functions = {f.__name__ for f in o.TYPE_TO_SCHEDULER_FUNCTION.values()}
    assert {HF + f for f in functions} | {HF + "get_scheduler"} <= set(HYDRA_TARGETS)
    # every function, given its arguments that have no default: the curve where transformers builds one,
    # an error where it raises
    for f in o.TYPE_TO_SCHEDULER_FUNCTION.values():
        params = inspect.signature(f).parameters
        if any(p.kind is p.VAR_KEYWORD for p in params.values()):  # plateau / greedy: **kwargs
            with pytest.raises(lrjit.UnsupportedScheduleError):
                lrjit.from_hydra({"_target_": HF + f.__name__}, lr=LR)
            continue
        required = [k for k, p in params.items() if p.default is p.empty and k != "optimizer"]
        values = {"num_warmup_steps": 5, "num_training_steps": 20, "num_decay_steps": 10}
        config = {"_target_": HF + f.__name__, **{k: values[k] for k in required}}
        try:
            want = _stepped(torch, config, 30)
        except (TypeError, ValueError):
            with pytest.raises(ValueError):
                lrjit.from_hydra(config, lr=LR)
        else:
            assert_within(_lrjit(config, 30, lr=LR), want, True, f.__name__, np.arange(30))
        for missing in required:
            with pytest.raises(ValueError, match=missing):
                lrjit.from_hydra({k: v for k, v in config.items() if k != missing}, lr=LR)


def test_torch_signatures_are_the_accepted_arguments() -> None:
    torch = pytest.importorskip("torch")
    for target in (t for t in HYDRA_TARGETS if t.startswith(TORCH)):
        cls = getattr(torch.optim.lr_scheduler, target.removeprefix(TORCH))
        expected = set(inspect.signature(cls).parameters) - {"optimizer", "last_epoch"}
        with pytest.raises(ValueError, match=r"does not take 'bogus' \(it takes: (.*)\)") as info:
            lrjit.from_hydra({"_target_": target, "bogus": 1}, lr=LR)
        taken = info.value.args[0].rsplit("(it takes: ", 1)[1].rstrip(")").split(", ")
        assert set(taken) == expected, target


# ------------------------------------------------------------------------------------------------------
# live: timm
# ------------------------------------------------------------------------------------------------------
TIMM = "timm.scheduler."
TIMM_CONFIGS: list[dict[str, Any]] = [
    {
        "_target_": TIMM + "CosineLRScheduler",
        "t_initial": 20,
        "lr_min": 1e-3,
        "cycle_limit": 2,
        "cycle_decay": 0.5,
        "warmup_t": 5,
        "warmup_lr_init": 1e-4,
        "t_in_epochs": False,
    },
    {"_target_": TIMM + "TanhLRScheduler", "t_initial": 30, "warmup_t": 70, "warmup_prefix": True},
    {"_target_": TIMM + "PolyLRScheduler", "t_initial": 25, "power": 2.0, "lr_min": 0.01},
    {"_target_": TIMM + "WSDLRScheduler", "t_initial": 30, "decay_t": 10, "warmup_t": 5},
    {
        "_target_": TIMM + "StepLRScheduler",
        "decay_t": 5,
        "decay_rate": 0.5,
        "warmup_t": 3,
        "warmup_lr_init": 1e-3,
    },
    {
        "_target_": TIMM + "scheduler.MultiStepLRScheduler",  # the module path works too
        "decay_t": [4, 9, 20],
        "decay_rate": 0.5,
        "warmup_t": 2,
        "warmup_prefix": False,
    },
]


@pytest.mark.parametrize("config", TIMM_CONFIGS, ids=lambda c: c["_target_"].rsplit(".", 1)[-1])
def test_live_timm_targets(config: dict[str, Any]) -> None:
    torch = pytest.importorskip("torch")
    try:
        ts = load_timm_scheduler()
    except ImportError:
        pytest.skip("timm is not installed")
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=LR)
    kwargs = {k: v for k, v in config.items() if k != "_target_"}
    scheduler = getattr(ts, config["_target_"].rsplit(".", 1)[-1])(optimizer, **kwargs)
    want = []
    for t in range(N):
        if config.get("t_in_epochs", True):
            scheduler.step(t)
        else:  # stepped per update (step(t) leaves it alone)
            scheduler.step_update(t)
        want.append(optimizer.param_groups[0]["lr"])
    assert_within(_lrjit(config, lr=LR), np.asarray(want), True, config["_target_"], np.arange(N))


# ------------------------------------------------------------------------------------------------------
# Lightning's stepping
# ------------------------------------------------------------------------------------------------------
def _lightning(
    rate: Callable[[], float],
    step: Callable[[], None],
    interval: str,
    frequency: int,
    per_epoch: int,
    n: int,
    update: Callable[[], None] = lambda: None,
) -> np.ndarray:
    """The rate of each update in Lightning's training loop (see the module documentation)."""
    out = []
    for k in range(n):
        epoch, batch_idx = divmod(k, per_epoch)
        out.append(rate())
        update()  # the optimizer step
        if interval == "step" and (batch_idx + 1) % frequency == 0:
            step()
        if interval == "epoch" and batch_idx == per_epoch - 1 and (epoch + 1) % frequency == 0:
            step()
    return np.asarray(out, np.float64)


# (interval, frequency, steps per epoch); an epoch longer than the run: one epoch
LIGHTNING_RUNS = [
    ("step", 1, 7),
    ("step", 3, 6),
    ("step", 4, 1000),
    ("epoch", 1, 5),
    ("epoch", 2, 3),
    ("epoch", 1, 1),
]


@pytest.mark.parametrize(("interval", "frequency", "per_epoch"), LIGHTNING_RUNS)
def test_lightning_stepping_live(interval: str, frequency: int, per_epoch: int) -> None:
    torch = pytest.importorskip("torch")
    scheduler_config = {
        "_target_": TORCH + "CosineAnnealingLR",
        "_partial_": True,
        "T_max": 9,
        "eta_min": 0.01,
    }
    optimizer = _optimizer(torch)
    scheduler = _instantiate(scheduler_config, optimizer)
    n = 90
    rate = lambda: optimizer.param_groups[0]["lr"]  # noqa: E731
    want = _lightning(rate, scheduler.step, interval, frequency, per_epoch, n, optimizer.step)
    config = {
        "optimizer": {"_target_": "torch.optim.SGD", "lr": LR},
        "lr_scheduler": {
            "scheduler": scheduler_config,
            "interval": interval,
            "frequency": frequency,
            "monitor": "x",
        },
    }
    got = _lrjit(config, n, steps_per_epoch=per_epoch)
    assert_within(got, want, True, f"{interval} / {frequency}", np.arange(n))
    if interval == "step":  # steps_per_epoch is optional here (a multiple of the frequency is assumed)
        assert_within(_lrjit(config, n), want, True, f"{interval} / {frequency}", np.arange(n))


@pytest.mark.parametrize(("interval", "frequency", "per_epoch"), LIGHTNING_RUNS)
def test_lightning_stepping_transcribed(interval: str, frequency: int, per_epoch: int) -> None:
    # torch's StepLR closed form (torch/optim/lr_scheduler.py): lr * gamma ** (last_epoch // step_size)
    calls = [0]
    n = 90
    want = _lightning(
        lambda: LR * 0.5 ** (calls[0] // 2),
        lambda: calls.__setitem__(0, calls[0] + 1),
        interval,
        frequency,
        per_epoch,
        n,
    )
    config = {
        "scheduler": {"_target_": TORCH + "StepLR", "step_size": 2, "gamma": 0.5},
        "interval": interval,
        "frequency": frequency,
    }
    assert_within(_lrjit(config, n, lr=LR, steps_per_epoch=per_epoch), want, True, interval, np.arange(n))


def test_lightning_default_interval_is_epoch() -> None:
    config = {"scheduler": {"_target_": TORCH + "StepLR", "step_size": 1, "gamma": 0.5}}
    np.testing.assert_array_equal(_lrjit(config, 6, lr=1.0, steps_per_epoch=2), [1, 1, 0.5, 0.5, 0.25, 0.25])
    with pytest.raises(ValueError, match="steps_per_epoch"):
        lrjit.from_hydra(config, lr=1.0)


# ------------------------------------------------------------------------------------------------------
# shapes, lrjit targets, the importer
# ------------------------------------------------------------------------------------------------------
def test_shapes_and_compile() -> None:
    step = {"_target_": TORCH + "StepLR", "step_size": 3}
    want = lrjit.StepLR(0.2, 3)
    optimizer = {"_target_": "torch.optim.AdamW", "lr": 0.2, "weight_decay": 0.01}
    shapes: list[Mapping[str, Any]] = [
        {"optimizer": optimizer, "lr_scheduler": step},
        {"optimizer": optimizer, "scheduler": step, "net": {"_target_": "my.Net"}},  # other keys not read
        {"optimizer": optimizer, "lr_scheduler": {"scheduler": step, "interval": "step"}},
        {"optimizer": {"class_path": "torch.optim.SGD", "init_args": {"lr": 0.2}}, "lr_scheduler": step},
        {**step, "optimizer": optimizer},  # the optimizer config as the scheduler's argument
        types.MappingProxyType({"optimizer": optimizer, "lr_scheduler": step}),  # any Mapping (DictConfig)
    ]
    for config in shapes:
        assert lrjit.from_hydra(config) == want
        assert lrjit.compile(config).schedule == want
    assert lrjit.from_hydra({"class_path": TORCH + "StepLR", "init_args": {"step_size": 3}}, lr=0.2) == want
    assert lrjit.from_hydra({"optimizer": optimizer, "lr_scheduler": step}, lr=0.5) == lrjit.StepLR(0.5, 3)


def test_lrjit_targets() -> None:
    config = {
        "_target_": "lrjit.Warmup",
        "schedule": {
            "_target_": "lrjit.families.keras.CosineDecay",
            "initial_learning_rate": 0.1,
            "decay_steps": 100,
        },
        "steps": 10,
    }
    assert lrjit.from_hydra(config) == lrjit.Warmup(lrjit.CosineDecay(0.1, 100), 10)
    seq = {
        "_target_": "lrjit.Sequence",
        "schedules": [
            {"_target_": "lrjit.Constant", "value": 1.0},
            {"_target_": TORCH + "StepLR", "step_size": 2},
        ],
        "boundaries": [5],
    }
    assert lrjit.from_hydra(seq, lr=0.5) == lrjit.sequence([lrjit.Constant(1.0), lrjit.StepLR(0.5, 2)], [5])


@pytest.mark.parametrize(
    ("config", "kw", "error", "match"),
    [
        ({"_target_": "my.Scheduler"}, {}, ValueError, r"unknown _target_ 'my.Scheduler'.*CosineAnnealingLR"),
        ({"_target_": "transformers.get_foo"}, {}, ValueError, r"'transformers.get_foo'.*get_scheduler"),
        ({"_target_": "timm.scheduler.FooScheduler"}, {}, ValueError, r"FooScheduler.*CosineLRScheduler"),
        ({"_target_": "lrjit.NoSuchFamily"}, {}, ValueError, r"lrjit.NoSuchFamily.*lrjit.registry"),
        (
            {"_target_": "lrjit.CosineDecay", "initial_learning_rate": 0.1, "decay": 3},
            {},
            ValueError,
            "'decay'",
        ),
        ({"_target_": TORCH + "LambdaLR"}, {}, lrjit.UnsupportedScheduleError, "lr_lambda"),
        ({"_target_": TORCH + "ReduceLROnPlateau"}, {}, lrjit.UnsupportedScheduleError, "metric"),
        ({"_target_": TIMM + "PlateauLRScheduler"}, {}, lrjit.UnsupportedScheduleError, "ReduceLROnPlateau"),
        (
            {"_target_": HF + "get_reduce_on_plateau_schedule"},
            {"lr": LR},
            lrjit.UnsupportedScheduleError,
            "metric",
        ),
        ({"_target_": TORCH + "StepLR", "step_sise": 3}, {"lr": LR}, ValueError, "'step_sise'"),
        ({"_target_": TORCH + "StepLR", "step_size": 3}, {}, ValueError, r"lr=\.\.\."),
        (
            {"_target_": TORCH + "StepLR", "step_size": 3, "last_epoch": 4},
            {"lr": LR},
            ValueError,
            "last_epoch",
        ),
        ({"_target_": TORCH + "StepLR", "_args_": [3]}, {"lr": LR}, ValueError, "_args_"),
        (
            {"_target_": TORCH + "CyclicLR", "base_lr": [0.1, 0.2], "max_lr": 1.0},
            {},
            ValueError,
            "per-parameter",
        ),
        ({"_target_": TORCH + "OneCycleLR", "max_lr": 1.0}, {}, ValueError, "total_steps"),
        (
            {"_target_": TORCH + "SequentialLR", "schedulers": [], "milestones": []},
            {},
            ValueError,
            "schedulers",
        ),
        (
            {"_target_": HF + "get_constant_schedule", "num_warmup_steps": 2},
            {"lr": LR},
            ValueError,
            "num_warmup",
        ),
        (
            {"_target_": HF + "get_linear_schedule_with_warmup", "num_warmup_steps": 2},
            {"lr": LR},
            ValueError,
            "'num_training",
        ),
        (
            {
                "_target_": HF + "get_cosine_schedule_with_warmup",
                "num_warmup_steps": 2,
                "num_training_steps": 9,
                "cycles": 1,
            },
            {"lr": LR},
            ValueError,
            "'cycles'",
        ),
        (
            {"_target_": TIMM + "CosineLRScheduler", "t_initial": 9, "t_max": 3},
            {"lr": LR},
            ValueError,
            "'t_max'",
        ),
        (
            {"scheduler": {"_target_": TORCH + "StepLR", "step_size": 2}, "interval": "batch"},
            {"lr": LR},
            ValueError,
            "interval",
        ),
        (
            {"scheduler": {"_target_": TORCH + "StepLR", "step_size": 2}, "frequency": 0},
            {"lr": LR},
            ValueError,
            "frequency",
        ),
        (
            {"scheduler": {"_target_": TORCH + "StepLR", "step_size": 2}, "every": 2},
            {"lr": LR},
            ValueError,
            "'every'",
        ),
        (
            {"scheduler": {"_target_": TORCH + "StepLR", "step_size": 2}, "interval": "step", "frequency": 3},
            {"lr": LR, "steps_per_epoch": 7},
            lrjit.UnsupportedScheduleError,
            "does not divide",
        ),
        ({"optimizer": {"_target_": "torch.optim.SGD", "lr": LR}}, {}, ValueError, "lr_scheduler"),
        ({"nothing": 1}, {}, ValueError, "_target_"),
    ],
)
def test_errors(config: dict[str, Any], kw: dict[str, Any], error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        lrjit.from_hydra(config, **kw)


# ------------------------------------------------------------------------------------------------------
# TF-slim
# ------------------------------------------------------------------------------------------------------
def _slim_decay_steps(f: dict[str, Any], n: int, legacy: bool) -> tuple[float, float]:
    """(decay_steps, steps_per_epoch) as _configure_learning_rate computes them, in Python floats."""
    if legacy:  # the earlier revision: int(N * E / B), then a true division by the replicas
        decay_steps: float = int(n * f["num_epochs_per_decay"] / f["batch_size"])
        if f["sync_replicas"]:
            decay_steps /= f["replicas_to_aggregate"]
        return decay_steps, math.nan
    steps_per_epoch = n / f["batch_size"]
    if f["sync_replicas"]:
        steps_per_epoch /= f["replicas_to_aggregate"]
    return int(steps_per_epoch * f["num_epochs_per_decay"]), steps_per_epoch


def _slim_f64(flags: dict[str, Any], n: int, steps: np.ndarray, legacy: bool = False) -> np.ndarray:
    """A float64 transcription of _configure_learning_rate (the tf.compat.v1.train formulas)."""
    f = {**TF_SLIM_FLAGS, **flags}
    decay_steps, steps_per_epoch = _slim_decay_steps(f, n, legacy)
    g = steps.astype(np.float64)
    lr = f["learning_rate"]
    if f["learning_rate_decay_type"] == "exponential":  # staircase=True
        rate = lr * f["learning_rate_decay_factor"] ** np.floor(g / decay_steps)
    elif f["learning_rate_decay_type"] == "polynomial":  # power=1.0, cycle=False
        p = np.minimum(g, decay_steps) / decay_steps
        rate = (lr - f["end_learning_rate"]) * (1 - p) + f["end_learning_rate"]
    else:
        rate = np.full(g.shape, lr)
    if f["warmup_epochs"]:
        rate = np.minimum(lr * g / (steps_per_epoch * f["warmup_epochs"]), rate)
    return rate


def _slim_tf(tf: Any, flags: dict[str, Any], n: int, steps: np.ndarray, legacy: bool = False) -> np.ndarray:
    """_configure_learning_rate with TensorFlow's functions (eager: the v1 decays return callables)."""
    f = {**TF_SLIM_FLAGS, **flags}
    decay_steps, steps_per_epoch = _slim_decay_steps(f, n, legacy)
    global_step = tf.constant(steps, tf.int64)
    train = tf.compat.v1.train
    lr = f["learning_rate"]
    if f["learning_rate_decay_type"] == "exponential":
        rate = train.exponential_decay(
            lr, global_step, decay_steps, f["learning_rate_decay_factor"], staircase=True
        )
    elif f["learning_rate_decay_type"] == "polynomial":
        rate = train.polynomial_decay(
            lr, global_step, decay_steps, f["end_learning_rate"], power=1.0, cycle=False
        )
    else:
        rate = tf.constant(lr)
    rate = rate() if callable(rate) else rate
    if f["warmup_epochs"]:
        warmup = lr * tf.cast(global_step, tf.float32) / (steps_per_epoch * f["warmup_epochs"])
        rate = tf.minimum(warmup, rate)
    return np.broadcast_to(np.asarray(rate, np.float64), steps.shape)


# (flags, num_samples_per_epoch)
SLIM_CASES: list[tuple[dict[str, Any], int]] = [
    ({}, 1000),  # the defaults: exponential, 0.94 every int(1000 / 32 * 2) = 62 steps
    ({"learning_rate": 0.1, "num_epochs_per_decay": 0.5, "batch_size": 100}, 1000),  # decay every 5 steps
    (
        {"learning_rate_decay_type": "polynomial", "end_learning_rate": 0.002, "batch_size": 10},
        120,
    ),  # 24 steps
    ({"learning_rate_decay_type": "fixed", "learning_rate": 0.3}, 1000),
    (
        {"sync_replicas": True, "replicas_to_aggregate": 3, "batch_size": 10, "num_epochs_per_decay": 1.0},
        1000,
    ),
    ({"learning_rate_decay_type": "polynomial", "warmup_epochs": 0.5}, 1000),  # a warmup of 15.625 steps
    ({"learning_rate_decay_type": "fixed", "warmup_epochs": 2.0, "batch_size": 50}, 1000),  # 40 steps
    (
        {"learning_rate_decay_type": "exponential", "warmup_epochs": 3.0, "batch_size": 500},
        1000,
    ),  # past decay
]
SLIM_STEPS = np.concatenate([np.arange(130), [200, 1000, 12_345]])


@pytest.mark.parametrize(("flags", "n"), SLIM_CASES)
def test_tf_slim_transcription(flags: dict[str, Any], n: int) -> None:
    want = _slim_f64(flags, n, SLIM_STEPS)
    with jax.enable_x64(True):
        got = np.asarray(lrjit.from_tf_slim(flags, num_samples_per_epoch=n)(SLIM_STEPS))
        compiled = np.asarray(
            lrjit.compile(
                {
                    **flags,
                    "learning_rate_decay_type": flags.get("learning_rate_decay_type", "exponential"),
                    "num_samples_per_epoch": n,
                }
            )(SLIM_STEPS)
        )
    assert_within(got, want, True, str(flags), SLIM_STEPS)
    np.testing.assert_array_equal(compiled, got)


def test_tf_slim_legacy_revision() -> None:
    flags = {"sync_replicas": True, "replicas_to_aggregate": 4, "batch_size": 10, "num_epochs_per_decay": 1.0}
    with jax.enable_x64(True):
        got = np.asarray(lrjit.from_tf_slim(flags, num_samples_per_epoch=1000, legacy=True)(SLIM_STEPS))
    assert_within(got, _slim_f64(flags, 1000, SLIM_STEPS, legacy=True), True, "legacy", SLIM_STEPS)
    with pytest.raises(lrjit.UnsupportedScheduleError, match="whole number"):  # 100 / 3 steps
        lrjit.from_tf_slim({**flags, "replicas_to_aggregate": 3}, num_samples_per_epoch=1000, legacy=True)
    with pytest.raises(ValueError, match="warmup_epochs"):
        lrjit.from_tf_slim({"warmup_epochs": 1.0}, num_samples_per_epoch=1000, legacy=True)


def test_tf_slim_live() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    tf = pytest.importorskip("tensorflow")
    for flags, n in SLIM_CASES:
        want = _slim_tf(tf, flags, n, SLIM_STEPS)
        got = np.asarray(lrjit.from_tf_slim(flags, num_samples_per_epoch=n)(SLIM_STEPS))
        assert_within(got, want, False, str(flags), SLIM_STEPS)


def test_tf_slim_absl_flags() -> None:
    absl_flags = pytest.importorskip("absl.flags")
    fv = absl_flags.FlagValues()  # the script's definitions (train_image_classifier.py)
    absl_flags.DEFINE_string("learning_rate_decay_type", "exponential", "", flag_values=fv)
    absl_flags.DEFINE_float("learning_rate", 0.01, "", flag_values=fv)
    absl_flags.DEFINE_float("end_learning_rate", 0.0001, "", flag_values=fv)
    absl_flags.DEFINE_float("learning_rate_decay_factor", 0.94, "", flag_values=fv)
    absl_flags.DEFINE_float("num_epochs_per_decay", 2.0, "", flag_values=fv)
    absl_flags.DEFINE_bool("sync_replicas", False, "", flag_values=fv)
    absl_flags.DEFINE_integer("replicas_to_aggregate", 1, "", flag_values=fv)
    absl_flags.DEFINE_integer("batch_size", 32, "", flag_values=fv)
    absl_flags.DEFINE_string("optimizer", "rmsprop", "", flag_values=fv)  # other flags are not read
    fv(["train", "--learning_rate_decay_type=polynomial", "--learning_rate=0.05", "--batch_size=16"])
    got = lrjit.from_tf_slim(fv, num_samples_per_epoch=800)
    flags = {"learning_rate_decay_type": "polynomial", "learning_rate": 0.05, "batch_size": 16}
    assert got == lrjit.from_tf_slim(flags, num_samples_per_epoch=800)
    assert isinstance(got, lrjit.PolynomialDecay) and int(got.decay_steps) == 100  # int(800 / 16 * 2.0)


@pytest.mark.parametrize(
    ("flags", "kw", "error", "match"),
    [
        (
            {"learning_rate_decay_type": "cosine"},
            {"num_samples_per_epoch": 10},
            ValueError,
            r"`learning_rate_decay_type` must be one of exponential, fixed, polynomial, got 'cosine'",
        ),
        ({"learning_rate_decay_type": "fixed", "optimizer": "sgd"}, {}, ValueError, "'optimizer'"),
        ({"learning_rate_decay_type": "exponential"}, {}, ValueError, "num_samples_per_epoch"),
        ({"batch_size": 0}, {"num_samples_per_epoch": 10}, ValueError, "batch_size"),
        ({"batch_size": 64}, {"num_samples_per_epoch": 10}, ValueError, "decay period is 0 steps"),
        ({"learning_rate": -1.0}, {"num_samples_per_epoch": 10}, ValueError, "learning_rate"),
    ],
)
def test_tf_slim_errors(flags: dict[str, Any], kw: dict[str, Any], error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        lrjit.from_tf_slim(flags, **kw)
    fixed = lrjit.from_tf_slim(
        {"learning_rate_decay_type": "fixed", "optimizer": "sgd"}, ignore_other_keys=True
    )
    assert fixed == lrjit.Constant(0.01)


def test_importer_recognizes_known_targets_only() -> None:
    from lrjit.frontend.importers import find_importer

    step = {"_target_": TORCH + "StepLR", "step_size": 3}
    for config in (step, {"scheduler": step, "interval": "step"}, {"optimizer": {}, "lr_scheduler": step}):
        importer = find_importer(config)
        assert importer is not None and importer.name == "hydra"
    other = find_importer({"_target_": "my_package.MyScheduler", "x": 1})  # left to other importers
    assert other is None or other.name != "hydra"
