"""The Hugging Face and timm importers (``lrjit.from_transformers``, ``lrjit.from_timm``) and the families
they added (``LinearWithWarmup``, ``ConstantWithWarmup``, ``CosineWarmupWithMinLR``, ``WSDLRScheduler``).

- golden curves (``fixtures/hf_timm_golden.json``, from ``fixtures/generate_hf_timm.py``) replayed without
  either library, in x64, to the float64 bound of ``bounds.py``;
- live cross-checks against the installed libraries, stepped as their training loops step them (a
  ``LambdaLR`` read before each ``scheduler.step()``; timm's ``step(epoch)`` / ``step_update(n)``), with
  zero-length phases, warmups longer than the run and steps past the end; skipped cleanly when a library
  is absent (timm's scheduler modules are loaded without ``timm/__init__.py``, which needs torchvision);
- the errors: unknown keys and settings, missing run lengths, metric-driven schedulers.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

import jax
import numpy as np
import pytest
from fixtures.generate_hf_timm import HF_CASES, STEPS, TIMM_CASES, load_timm_scheduler

import lrjit

from bounds import assert_within

GOLDEN = json.loads((Path(__file__).parent / "fixtures" / "hf_timm_golden.json").read_text())
pytestmark = pytest.mark.usefixtures("x64_does_not_leak")


def _curve(spec: Any, n: int = STEPS, **kw: Any) -> np.ndarray:
    with jax.enable_x64(True):
        sched = spec if isinstance(spec, lrjit.Schedule) else lrjit.compile(spec, **kw)
        return np.asarray(sched(np.arange(n)), np.float64)


# ------------------------------------------------------------------------------------------------------
# golden curves (no library needed)
# ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("case", GOLDEN["hf"], ids=[c["args"]["lr_scheduler_type"] for c in GOLDEN["hf"]])
def test_golden_transformers(case: dict[str, Any]) -> None:
    with jax.enable_x64(True):
        got = np.asarray(lrjit.from_transformers(case["args"])(np.arange(STEPS)))
    assert_within(got, case["values"], True, case["args"]["lr_scheduler_type"])


@pytest.mark.parametrize("case", GOLDEN["timm"], ids=[c["args"]["sched"] for c in GOLDEN["timm"]])
def test_golden_timm(case: dict[str, Any]) -> None:
    assert_within(_curve(case["args"]), case["values"], True, case["args"]["sched"])


def test_golden_fixture_matches_its_generator() -> None:
    assert [c["args"] for c in GOLDEN["hf"]] == HF_CASES
    assert [c["args"] for c in GOLDEN["timm"]] == TIMM_CASES


# ------------------------------------------------------------------------------------------------------
# live: transformers
# ------------------------------------------------------------------------------------------------------
def _stepped_lambda(torch: Any, make: Any, lr: float = 0.1, n: int = 80) -> np.ndarray:
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)
    sched = make(opt)
    out = []
    for _ in range(n):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return np.asarray(out)


# (W, N): warmup inside, none, longer than the run, zero-length run, W == N, W = 1
RUNS = [(10, 50), (0, 30), (60, 40), (0, 0), (5, 5), (1, 3)]


def test_live_transformers_families() -> None:
    torch = pytest.importorskip("torch")
    o = pytest.importorskip("transformers.optimization")
    for w, n in RUNS:
        cases = [
            (
                lambda op, w=w, n=n: o.get_linear_schedule_with_warmup(op, w, n),
                lrjit.LinearWithWarmup,
                (w, n),
                {},
            ),
            (lambda op, w=w: o.get_constant_schedule_with_warmup(op, w), lrjit.ConstantWithWarmup, (w,), {}),
        ]
        if n >= 1:
            for q in (None, 0.2):
                kw = {"min_lr_rate": 0.1, "warmup_lr_rate": q}
                cases.append(
                    (
                        lambda op, kw=kw, w=w, n=n: o.get_cosine_with_min_lr_schedule_with_warmup_lr_rate(
                            op, w, n, **kw
                        ),
                        lrjit.CosineWarmupWithMinLR,
                        (w, n),
                        kw,
                    )
                )
        for make, family, args, kw in cases:
            want = _stepped_lambda(torch, make)
            with jax.enable_x64(True):
                got = np.asarray(family(0.1, *args, **kw)(np.arange(80)))
            with np.errstate(invalid="ignore"):  # an all-zero curve (N = 0): err / bound is 0 / 0
                assert_within(got, want, True, f"{family.__name__}{args}", np.arange(80))


def _training_arguments(**kw: Any) -> Any:
    transformers = pytest.importorskip("transformers")
    try:
        return transformers.TrainingArguments(output_dir="/tmp/lrjit-unused", report_to=[], **kw)
    except ImportError as e:  # TrainingArguments needs accelerate with torch
        pytest.skip(f"TrainingArguments unavailable: {e}")


TYPES = [
    ("linear", {}),
    ("cosine", {"num_cycles": 0.7}),
    ("cosine_with_restarts", {"num_cycles": 2}),
    ("polynomial", {"lr_end": 1e-4, "power": 0.5}),
    ("constant", {}),
    ("constant_with_warmup", {}),
    ("inverse_sqrt", {"timescale": 7}),
    ("cosine_with_min_lr", {"min_lr": 2e-3}),
    ("cosine_warmup_with_min_lr", {"min_lr_rate": 0.05}),
    ("warmup_stable_decay", {"num_decay_steps": 10, "warmup_type": "cosine", "decay_type": "linear"}),
]


@pytest.mark.parametrize(("name", "kwargs"), TYPES, ids=[t[0] for t in TYPES])
def test_live_training_arguments(name: str, kwargs: dict[str, Any]) -> None:
    """A real TrainingArguments against get_scheduler as the Trainer calls it (the warmup a fraction)."""
    torch = pytest.importorskip("torch")
    o = pytest.importorskip("transformers.optimization")
    args = _training_arguments(
        lr_scheduler_type=name, lr_scheduler_kwargs=kwargs, learning_rate=0.1, warmup_steps=0.1, max_steps=40
    )
    total = 40
    want = _stepped_lambda(
        torch,
        lambda op: o.get_scheduler(
            args.lr_scheduler_type,
            op,
            num_warmup_steps=args.get_warmup_steps(total),
            num_training_steps=total,
            scheduler_specific_kwargs=args.lr_scheduler_kwargs,
        ),
    )
    assert_within(_curve(args, 80), want, True, name, np.arange(80))


def test_training_arguments_epochs_need_the_epoch_length() -> None:
    args = _training_arguments(num_train_epochs=2.5, learning_rate=0.1)
    with pytest.raises(ValueError, match=r"steps_per_epoch.*num_examples"):
        lrjit.from_transformers(args)
    a = lrjit.from_transformers(args, steps_per_epoch=13)
    assert int(a.num_training_steps) == math.ceil(2.5 * 13)
    # 1000 examples, batch 8, 2 processes, accumulation 1: ceil(1000 / 16) = 63 updates per epoch
    b = lrjit.from_transformers(args, num_examples=1000, world_size=2)
    assert int(b.num_training_steps) == math.ceil(2.5 * 63)


# ------------------------------------------------------------------------------------------------------
# live: timm
# ------------------------------------------------------------------------------------------------------
def _timm() -> Any:
    pytest.importorskip("torch")
    try:
        return load_timm_scheduler()
    except ImportError:
        pytest.skip("timm is not installed")


def _stepped_timm(torch: Any, sched: Any, per_update: bool, n: int) -> np.ndarray:
    out = []
    for t in range(n):
        if per_update:
            sched.step_update(t)
        else:
            sched.step(t)
        out.append(sched.optimizer.param_groups[0]["lr"])
    return np.asarray(out)


WSD_RUNS = [
    {"t_initial": 30, "decay_t": 10, "warmup_t": 5, "warmup_lr_init": 1e-3, "lr_min": 1e-3},
    {"t_initial": 7, "decay_t": 7, "warmup_t": 0, "stable_timescale": 3.0},  # no stable phase, no warmup
    {  # warmup longer than the run, one-step decay, every exponent set
        "t_initial": 1,
        "decay_t": 1,
        "warmup_t": 40,
        "stable_timescale": 2.5,
        "decay_power": 2.0,
        "decay_ratio": 0.3,
        "stable_power": 0.7,
    },
]


@pytest.mark.parametrize("stable_fn", ["constant", "rsqrt", "power"])
@pytest.mark.parametrize("decay_fn", ["1-sqrt", "linear", "cosine", "power", "exp"])
def test_live_timm_wsd(stable_fn: str, decay_fn: str) -> None:
    ts = _timm()
    import torch

    for kw in WSD_RUNS:
        opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
        theirs = ts.WSDLRScheduler(opt, stable_fn=stable_fn, decay_fn=decay_fn, **kw)
        want = _stepped_timm(torch, theirs, False, 80)
        with jax.enable_x64(True):
            got = np.asarray(
                lrjit.WSDLRScheduler(0.1, stable_fn=stable_fn, decay_fn=decay_fn, **kw)(np.arange(80))
            )
        assert_within(got, want, True, f"{stable_fn}/{decay_fn} {kw}", np.arange(80))


FACTORY_RUNS = [
    {
        "num_epochs": 30,
        "warmup_epochs": 5,
        "decay_epochs": 7,
        "decay_milestones": [3, 10, 25],
        "min_lr": 1e-3,
        "warmup_lr": 1e-4,
        "cycle_limit": 2,
        "cycle_decay": 0.5,
    },
    {
        "num_epochs": 4,
        "warmup_epochs": 3,
        "step_on_epochs": False,
        "updates_per_epoch": 5,
        "decay_epochs": 2,
        "decay_milestones": [1, 2],
        "stable_timescale": 2.0,
    },
    {"num_epochs": 10, "warmup_epochs": 0, "decay_milestones": [0, 5, 5]},
]


@pytest.mark.parametrize("sched", ["cosine", "tanh", "poly", "wsd", "rsqrt", "step", "multistep", "constant"])
@pytest.mark.parametrize("prefix", [False, True], ids=["overlap", "prefix"])
def test_live_timm_create_scheduler_v2(sched: str, prefix: bool) -> None:
    ts = _timm()
    import torch

    for run in FACTORY_RUNS:
        kw = {"sched": sched, "warmup_prefix": prefix, **run}
        opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
        try:
            theirs, _ = ts.create_scheduler_v2(opt, **kw)
        except ValueError:  # timm rejects it (a WSD decay longer than its phase): so does lrjit
            with pytest.raises(ValueError):
                lrjit.from_timm({**kw, "lr": 0.1})
            continue
        want = _stepped_timm(torch, theirs, not kw.get("step_on_epochs", True), 120)
        assert_within(_curve({**kw, "lr": 0.1}, 120), want, True, str(kw), np.arange(120))


def test_live_timm_rejects_what_timm_rejects() -> None:
    ts = _timm()
    import torch

    kw = {"sched": "wsd", "num_epochs": 10, "warmup_epochs": 20}
    with pytest.raises(ValueError):
        ts.create_scheduler_v2(torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1), **kw)
    with pytest.raises(ValueError, match="decay_epochs"):
        lrjit.from_timm({**kw, "lr": 0.1})


# ------------------------------------------------------------------------------------------------------
# recognition and errors (no library needed)
# ------------------------------------------------------------------------------------------------------
def test_compile_recognizes_both_formats() -> None:
    hf = lrjit.compile({"lr_scheduler_type": "cosine", "learning_rate": 0.1, "max_steps": 100})
    assert isinstance(hf.schedule, lrjit.CosineWithMinLR)
    ns = argparse.Namespace(sched="cosine", epochs=50, lr=0.1, warmup_epochs=5, sched_on_updates=True)
    timm = lrjit.from_timm(ns, updates_per_epoch=3)
    assert int(timm.t_initial) == 150 and int(timm.warmup_t) == 15
    assert isinstance(
        lrjit.compile({"sched": "wsd", "lr": 0.1, "num_epochs": 10}).schedule, lrjit.WSDLRScheduler
    )


@pytest.mark.parametrize(
    ("args", "kw", "error", "match"),
    [
        ({"lr_scheduler_type": "linear", "max_step": 10}, {}, ValueError, "'max_step'"),
        ({"lr_scheduler_type": "linear"}, {}, ValueError, "steps_per_epoch"),
        (
            {"lr_scheduler_type": "cosine", "max_steps": 9, "lr_scheduler_kwargs": {"cycles": 2}},
            {},
            ValueError,
            "'cycles'",
        ),
        ({"lr_scheduler_type": "cosine_with_min_lr", "max_steps": 9}, {}, ValueError, "min_lr_rate"),
        ({"lr_scheduler_type": "warmup_stable_decay", "max_steps": 9}, {}, ValueError, "num_decay_steps"),
        (
            {"lr_scheduler_type": "reduce_lr_on_plateau", "lr_scheduler_kwargs": {"patience": 3}},
            {},
            lrjit.UnsupportedScheduleError,
            r"ReduceLROnPlateau\(patience=3\)",
        ),
        ({"lr_scheduler_type": "greedy"}, {}, lrjit.UnsupportedScheduleError, "metric"),
        ({"lr_scheduler_type": "cosine_annealing", "max_steps": 9}, {}, ValueError, "'cosine_annealing'"),
        (
            {"lr_scheduler_type": "constant_with_warmup", "warmup_steps": 0.1},
            {},
            ValueError,
            "`warmup_steps`",
        ),
    ],
)
def test_transformers_errors(args: dict[str, Any], kw: dict[str, Any], error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        lrjit.from_transformers(args, **kw)


def test_transformers_json_kwargs_and_v4_warmup_ratio() -> None:
    s = lrjit.from_transformers(
        {
            "lr_scheduler_type": "cosine_with_restarts",
            "lr_scheduler_kwargs": '{"num_cycles": 3}',
            "learning_rate": 0.1,
            "warmup_ratio": 0.1,
            "num_train_epochs": 2,
            "steps_per_epoch": 50,
        }
    )
    assert (int(s.num_warmup_steps), int(s.num_training_steps), int(s.num_cycles)) == (10, 100, 3)


@pytest.mark.parametrize(
    ("args", "error", "match"),
    [
        ({"sched": "cosine", "lr": 0.1, "epochs": 10}, ValueError, "'epochs'"),
        ({"sched": "cosine"}, ValueError, "`lr`"),
        ({"sched": "plateau", "lr": 0.1}, lrjit.UnsupportedScheduleError, "ReduceLROnPlateau"),
        ({"sched": "cosine", "lr": 0.1, "step_on_epochs": False}, ValueError, "updates_per_epoch"),
        ({"sched": "step", "lr": 0.1, "decay_epochs": 2.4}, lrjit.UnsupportedScheduleError, "decay_t"),
        ({"sched": "multistep", "lr": 0.1, "decay_milestones": [5, 3]}, ValueError, "sorted"),
        ({"sched": "onecycle", "lr": 0.1}, ValueError, "'onecycle'"),
    ],
)
def test_timm_errors(args: dict[str, Any], error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        lrjit.from_timm(args)


def test_timm_noise_range_in_whole_steps() -> None:
    s = lrjit.from_timm({"sched": "cosine", "lr": 0.1, "num_epochs": 30, "noise": [0.25, 0.5]})
    assert np.asarray(s.noise_range_t).tolist() == [8, 15]  # ceil(7.5), 15
