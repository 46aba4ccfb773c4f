"""NeMo's ``optim`` / ``sched`` configs read by :func:`lrjit.from_nemo`, against a transcription of NeMo.

Source: NVIDIA/NeMo ``nemo/core/optim/lr_scheduler.py``: the schedulers' constructors and ``get_lr``
(transcribed in float64 as ``nemo_lr`` in ``test_accuracy_nemo.py``, which takes NeMo's own keyword
arguments, ratios included, and converts them as NeMo's constructors do), ``prepare_lr_scheduler`` (which
keys reach the constructor, ``max_steps``) and ``compute_max_steps``; ``nemo/core/classes/modelPT.py``
``setup_optimization`` (the trainer's ``max_steps`` written over the sched block's). The step convention
(``sched(s)`` is the rate of update ``s``, NeMo's ``last_epoch = s``; a scheduler resumed at ``last_epoch =
k`` starts at ``k + 1``) is checked by running the transcription inside torch's own ``LRScheduler`` loop
(skipped without torch), and against NeMo itself where it is installed (skipped otherwise).
"""

from __future__ import annotations

import math
import re
from typing import Any

import jax
import numpy as np
import pytest
from test_accuracy_nemo import nemo_lr

import lrjit
from lrjit.frontend.importers import find_importer
from lrjit.interop.nemo import compute_max_steps

from bounds import assert_within

STEPS = np.array([*range(0, 131), 999, 10**6, 2**31 - 1])

# (NeMo scheduler name, sched block arguments, optimizer lr): ratios whose product truncates (0.29 * 100 is
# 28.999999999999996: 28 steps), zero warmups, warmups past max_steps, holds (past max_steps too), steps
# past max_steps, and a decay NeMo reaches with 0 / 0 (NaN).
CASES: list[tuple[str, dict[str, Any], float | None]] = [
    ("WarmupPolicy", {"warmup_ratio": 0.29, "max_steps": 100, "min_lr": 1e-4}, 0.1),
    ("WarmupHoldPolicy", {"warmup_steps": 10, "hold_ratio": 0.07, "max_steps": 100}, 0.1),
    ("WarmupHoldPolicy", {"warmup_ratio": 0.2, "hold_steps": 200, "max_steps": 100, "min_lr": 1e-3}, 0.1),
    ("SquareAnnealing", {"warmup_steps": 0, "max_steps": 50}, 0.1),
    ("SquareRootAnnealing", {"warmup_ratio": 0.1, "max_steps": 100}, 0.1),
    ("CosineAnnealing", {"warmup_ratio": 0.1, "warmup_steps": None, "min_lr": 1e-5, "max_steps": 100}, 2e-3),
    ("CosineAnnealing", {"warmup_steps": 10, "constant_ratio": 0.29, "min_lr": 1e-5, "max_steps": 100}, 2e-3),
    ("CosineAnnealing", {"warmup_steps": 150, "max_steps": 100}, 0.1),
    ("NoamAnnealing", {"d_model": 256, "warmup_ratio": 0.29, "max_steps": 100, "min_lr": 1e-4}, 2.0),
    ("NoamAnnealing", {"d_model": 64, "max_steps": 100}, 0.5),
    (
        "NoamHoldAnnealing",
        {"warmup_ratio": 0.1, "hold_ratio": 0.29, "max_steps": 100, "decay_rate": 1.0, "min_lr": 1e-3},
        0.1,
    ),
    ("WarmupAnnealing", {"warmup_ratio": 0.29, "max_steps": 100}, 0.1),
    ("WarmupAnnealing", {"warmup_steps": 100, "max_steps": 100}, 0.1),
    ("InverseSquareRootAnnealing", {"warmup_steps": 5, "max_steps": 100, "min_lr": 1e-4}, 0.1),
    ("T5InverseSquareRootAnnealing", {"constant_steps": 20, "max_steps": 100, "min_lr": 1e-4}, None),
    ("PolynomialDecayAnnealing", {"warmup_ratio": 0.29, "max_steps": 100, "power": 2.0, "cycle": True}, 0.1),
    (
        "PolynomialHoldDecayAnnealing",
        {"warmup_steps": 10, "hold_ratio": 0.29, "max_steps": 100, "power": 0.5, "min_lr": 1e-4},
        0.1,
    ),
    ("PolynomialHoldDecayAnnealing", {"warmup_steps": 70, "max_steps": 100, "cycle": True}, 0.1),
    ("PolynomialHoldDecayAnnealing", {"warmup_steps": 10, "hold_steps": 90, "max_steps": 100}, 0.1),
]


def _id(case: tuple[str, dict[str, Any], Any]) -> str:
    return case[0] + "-" + "-".join(f"{k}={v}" for k, v in case[1].items())


def _nemo(name: str, sched: dict[str, Any], lr: float | None, steps: Any) -> np.ndarray:
    kw = {k: v for k, v in sched.items() if v is not None}
    return np.array([nemo_lr(name, 1.0 if lr is None else lr, int(s), **kw) for s in steps])


def _optim(name: str, sched: dict[str, Any], lr: float | None) -> dict[str, Any]:
    out: dict[str, Any] = {"name": "adamw", "betas": [0.9, 0.98], "weight_decay": 1e-3}
    if lr is not None:
        out["lr"] = lr
    out["sched"] = {"name": name, **sched, "monitor": "val_loss", "reduce_on_plateau": False}
    return out


def _compare(got: np.ndarray, want: np.ndarray, x64: bool, what: str) -> None:
    """NaN exactly where the transcription has it (NeMo's ZeroDivisionError), within the bound elsewhere."""
    assert np.array_equal(np.isnan(got), np.isnan(want)), (what, STEPS[np.isnan(got) != np.isnan(want)])
    ok = ~np.isnan(want)
    assert_within(got[ok], want[ok], x64, what, steps=STEPS[ok])


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_optim_block_matches_nemo(case: tuple[str, dict[str, Any], Any]) -> None:
    """In x64 (float32 is the accuracy suite's, on the same families)."""
    name, sched, lr = case
    want = _nemo(name, sched, lr, STEPS)
    with jax.enable_x64(True):
        schedule = lrjit.from_nemo(_optim(name, sched, lr))
        assert type(schedule).__name__ == name
        got = np.asarray(schedule(STEPS), np.float64)
    _compare(got, want, True, repr(schedule))


def test_ratios_truncate_as_nemo() -> None:
    """NeMo's ``int(ratio * max_steps)``: 0.29 * 100 = 28.999999999999996 gives 28 steps, not 29; the hold
    is counted after the warmup."""
    s = lrjit.from_nemo(
        _optim(
            "PolynomialHoldDecayAnnealing", {"warmup_ratio": 0.29, "hold_ratio": 0.07, "max_steps": 100}, 0.1
        )
    )
    assert (int(s.warmup_steps), int(s.hold_steps)) == (int(0.29 * 100), int(0.07 * 100)) == (28, 7)
    c = lrjit.from_nemo(_optim("CosineAnnealing", {"constant_ratio": 0.29, "max_steps": 100}, 0.1))
    assert int(c.constant_steps) == 28


def test_forms_and_compile() -> None:
    """The optim block, the model section and a whole config (the trainer's max_steps written over the
    block's, as ModelPT does), and the sched block with lr=: the same schedule, found by lrjit.compile."""
    sched = {"name": "CosineAnnealing", "warmup_ratio": 0.1, "min_lr": 1e-5, "max_steps": 100}
    optim = {"name": "adamw", "lr": 2e-3, "weight_decay": 0.0, "sched": sched}
    expected = lrjit.CosineAnnealing(base_lr=2e-3, max_steps=100, warmup_steps=10, min_lr=1e-5)
    assert lrjit.from_nemo(optim) == expected
    assert lrjit.from_nemo(sched, lr=2e-3) == expected
    assert lrjit.from_nemo({"optim": optim, "encoder": {"d_model": 256}}) == expected
    assert lrjit.from_nemo(optim, lr=1e-3) == expected.replace(base_lr=1e-3)
    whole = {"trainer": {"max_steps": 60, "max_epochs": 1000}, "model": {"optim": optim}}
    assert lrjit.from_nemo(whole) == expected.replace(max_steps=60, warmup_steps=6)
    assert lrjit.from_nemo(optim, max_steps=60) == expected.replace(max_steps=60, warmup_steps=6)
    unset = {"trainer": {"max_steps": -1, "max_epochs": 3}, "model": {"optim": optim}}
    assert lrjit.from_nemo(unset) == expected  # a trainer without max_steps leaves the block's
    assert lrjit.from_nemo({"model": {"optim": optim}}) == expected
    for form in ({"optim": optim}, whole, sched):
        importer = find_importer(form)
        assert importer is not None and importer.name == "nemo", form
    assert lrjit.compile(whole).schedule == expected.replace(max_steps=60, warmup_steps=6)
    t5 = {"name": "T5InverseSquareRootAnnealing", "constant_steps": 100, "max_steps": 1000}
    assert lrjit.compile(t5).schedule == lrjit.T5InverseSquareRootAnnealing(1000, 100)


def test_compile_recognizes_the_optim_block() -> None:
    """The optim block itself (a ``sched`` mapping of a NeMo name) goes to NeMo's importer, not timm's
    (whose ``sched`` is a string)."""
    optim = {
        "name": "adamw",
        "lr": 2e-3,
        "sched": {"name": "WarmupAnnealing", "warmup_steps": 5, "max_steps": 50},
    }
    importer = find_importer(optim)
    assert importer is not None and importer.name == "nemo"
    assert lrjit.compile(optim).schedule == lrjit.WarmupAnnealing(base_lr=2e-3, max_steps=50, warmup_steps=5)


def test_not_recognized_as_nemo() -> None:
    """Other libraries' dicts are not NeMo's: timm's string ``sched``, an lrjit config, a torch
    description, an optim block without a scheduler."""
    for obj in (
        {"sched": "cosine", "lr": 0.1, "epochs": 10},
        {"family": "CosineAnnealing", "base_lr": 0.1, "max_steps": 10},
        {"class_name": "StepLR", "config": {"step_size": 3}, "base_lrs": [0.1]},
        {"name": "adamw", "lr": 0.1},
        {"name": "CosineAnnealing", "lr": 0.1, "max_steps": 10, "epochs": 3},
    ):
        importer = find_importer(obj)
        assert importer is None or importer.name != "nemo", obj


def test_last_epoch_resumes_one_step_later() -> None:
    """A scheduler built with ``last_epoch = k`` takes its first update at ``last_epoch = k + 1``."""
    sched = {"name": "NoamAnnealing", "d_model": 256, "warmup_steps": 50, "max_steps": 1000, "last_epoch": 29}
    s = lrjit.from_nemo(sched, lr=2.0)
    assert isinstance(s, lrjit.Offset) and int(s.steps) == 30
    with jax.enable_x64(True):
        got = np.asarray(lrjit.from_nemo(sched, lr=2.0)(STEPS[:131]), np.float64)
    want = np.array(
        [nemo_lr("NoamAnnealing", 2.0, 30 + int(t), d_model=256, warmup_steps=50) for t in STEPS[:131]]
    )
    assert_within(got, want, True, "resumed NoamAnnealing")


def test_compute_max_steps() -> None:
    """NeMo's compute_max_steps: 1000 samples on 2 workers are 500 each, ceil(500 / 32) = 16 batches (15
    with drop_last); a float limit is a fraction of them, an int a cap; one update per 2 batches."""
    assert compute_max_steps(3, 1, 1.0, 2, num_samples=1000, batch_size=32, drop_last=False) == 48
    assert compute_max_steps(3, 1, 1.0, 2, num_samples=1000, batch_size=32, drop_last=True) == 45
    assert compute_max_steps(3, 2, 1.0, 2, num_samples=1000, batch_size=32, drop_last=False) == 24
    assert compute_max_steps(3, 1, 10, 2, num_samples=1000, batch_size=32, drop_last=False) == 30
    assert compute_max_steps(3, 1, 0.5, 2, num_samples=1000, batch_size=32, drop_last=False) == 24
    sched = {
        "name": "WarmupAnnealing",
        "warmup_ratio": 0.1,
        "t_max_epochs": 3,
        "t_accumulate_grad_batches": 1,
        "t_limit_train_batches": 1.0,
        "t_num_workers": 2,
    }
    s = lrjit.from_nemo(sched, lr=0.1, num_samples=1000, batch_size=32)
    assert (int(s.max_steps), int(s.warmup_steps)) == (48, 4)
    with pytest.raises(ValueError, match="num_samples"):
        lrjit.from_nemo(sched, lr=0.1)


BAD: list[tuple[dict[str, Any], dict[str, Any], str]] = [
    ({"name": "CosineAnnealing", "max_steps": 10, "foo": 1}, {"lr": 0.1}, "does not take 'foo'"),
    (
        {"name": "CosineAnnealing", "max_steps": 10, "hold_steps": 1},
        {"lr": 0.1},
        "does not take 'hold_steps'",
    ),
    ({"name": "CosineAnnealing", "max_steps": 10, "iters_per_batch": 3}, {"lr": 0.1}, "'iters_per_batch'"),
    ({"name": "Cosine", "max_steps": 10}, {"lr": 0.1}, "unknown scheduler 'Cosine'"),
    ({"name": "adamw", "lr": 0.1}, {}, "the optim block has no `sched`"),
    ({"warmup_steps": 3, "max_steps": 10}, {"lr": 0.1}, "expected NeMo's optim block (with `sched`)"),
    ({"name": "CosineAnnealing", "max_steps": 10}, {}, "needs the optimizer's `lr`"),
    ({"name": "CosineAnnealing"}, {"lr": 0.1}, "no `max_steps`"),
    ({"name": "CosineAnnealing", "max_steps": -1}, {"lr": 0.1}, "`max_steps` is -1"),
    ({"name": "CosineAnnealing", "max_steps": -5}, {"lr": 0.1}, "`max_steps` must be an integer >= 0"),
    (
        {"name": "CosineAnnealing", "max_steps": 10, "warmup_steps": 2, "warmup_ratio": 0.1},
        {"lr": 0.1},
        "`warmup_steps` or `warmup_ratio`, not both",
    ),
    ({"name": "NoamAnnealing", "max_steps": 10}, {"lr": 0.1}, "needs `d_model`"),
    (
        {"name": "T5InverseSquareRootAnnealing", "max_steps": 10, "constant_ratio": 0.5},
        {},
        "needs `constant_steps`",
    ),
    ({"name": "CosineAnnealing", "max_steps": 10, "min_lr": None}, {"lr": 0.1}, "`min_lr` is None"),
    ({"name": "CosineAnnealing", "max_steps": 10, "args": {"name": "auto"}}, {"lr": 0.1}, "`args` form"),
    ({"name": "CosineAnnealing", "max_steps": 10, "last_epoch": -3}, {"lr": 0.1}, "`last_epoch`"),
    (
        {"name": "CosineAnnealing", "max_steps": 10, "min_lr": 0.5},
        {"lr": 0.1},
        "`min_lr` must be <= `base_lr`",
    ),
    ({"name": "NoamHoldAnnealing", "max_steps": 10}, {"lr": 0.1}, "`warmup_steps` must be an integer >= 1"),
    ({"name": "WarmupPolicy", "max_steps": 10, "warmup_steps": 2.5}, {"lr": 0.1}, "warmup_steps"),
]


@pytest.mark.parametrize(("sched", "kwargs", "message"), BAD, ids=[b[2] for b in BAD])
def test_bad_configs_raise_naming_them(sched: dict[str, Any], kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        lrjit.from_nemo(sched, **kwargs)


@pytest.mark.parametrize("name", ["StepLR", "ExponentialLR", "CyclicLR", "ReduceLROnPlateau"])
def test_torch_schedulers_of_nemo_are_unsupported(name: str) -> None:
    optim = {"name": "sgd", "lr": 0.1, "sched": {"name": name, "max_steps": 10}}
    with pytest.raises(lrjit.UnsupportedScheduleError, match=name):
        lrjit.from_nemo(optim)


def test_nemo_rules_in_the_families() -> None:
    """NeMo's own errors, as construction errors naming the fields: CosineAnnealing's ``min_lr`` above the
    rate (ValueError) or equal to it with constant steps (an assertion), NoamAnnealing's ``min_lr`` above
    the rate, NoamHoldAnnealing without warmup, T5's division by ``constant_steps ** 0.5``."""
    lrjit.CosineAnnealing(base_lr=0.1, max_steps=10, min_lr=0.1)  # allowed without constant steps
    with pytest.raises(ValueError, match="`min_lr` must be <= `base_lr`, and < `base_lr`"):
        lrjit.CosineAnnealing(base_lr=0.1, max_steps=10, constant_steps=2, min_lr=0.1)
    with pytest.raises(ValueError, match="`min_lr` must be <= `base_lr`"):
        lrjit.NoamAnnealing(base_lr=0.1, d_model=8, min_lr=0.2)
    with pytest.raises(ValueError, match="`warmup_steps` must be an integer >= 1, got 0"):
        lrjit.NoamHoldAnnealing(base_lr=0.1, max_steps=10, warmup_steps=0)
    with pytest.raises(ValueError, match="`constant_steps` must be an integer >= 1, got 0"):
        lrjit.T5InverseSquareRootAnnealing(max_steps=10, constant_steps=0)
    with pytest.raises(ValueError):
        nemo_lr("CosineAnnealing", 0.1, 5, max_steps=10, min_lr=0.2)  # the transcription raises as NeMo


# ------------------------------------------------------------------------------------------------------
# The step convention, in torch's own scheduler loop; NeMo itself where installed
# ------------------------------------------------------------------------------------------------------
TORCH_STEPS = 140
LIVE_CASES = [c for c in CASES if not np.isnan(_nemo(*c, range(TORCH_STEPS))).any()]
# One of each get_lr frame: WarmupPolicy's, WarmupHoldPolicy's (a hold past max_steps), CosineAnnealing's
# constant steps, NoamAnnealing's max(1, step), T5's constant, PolynomialHoldDecayAnnealing's cycle.
TORCH_CASES = [
    (name, sched, lr)
    for name, sched, lr in LIVE_CASES
    if name in ("WarmupPolicy", "T5InverseSquareRootAnnealing")
    or (name == "WarmupHoldPolicy" and sched.get("hold_steps"))
    or (name == "CosineAnnealing" and "constant_ratio" in sched)
    or (name == "NoamAnnealing" and "warmup_ratio" not in sched)
    or (name == "PolynomialHoldDecayAnnealing" and sched.get("cycle"))
]


def _rates(scheduler: Any, optimizer: Any) -> np.ndarray:
    """The rate of each update of a torch training loop: step the optimizer, then the scheduler."""
    out = []
    for _ in range(TORCH_STEPS):
        out.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return np.array(out)


def _optimizer(torch: Any, lr: float, resumed: bool = False) -> Any:
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)
    if resumed:
        optimizer.param_groups[0]["initial_lr"] = lr
    return optimizer


@pytest.mark.parametrize("case", TORCH_CASES, ids=[_id(c) for c in TORCH_CASES])
def test_torch_loop_with_the_transcription(case: tuple[str, dict[str, Any], Any]) -> None:
    """The transcription as a torch LRScheduler's get_lr (NeMo's classes are ``_LRScheduler``s reading
    ``self.last_epoch``): the rates a training loop sees are the lrjit schedule at steps 0, 1, ...; built
    with ``last_epoch=7`` (resumed), they are the lrjit schedule of ``last_epoch: 7``."""
    torch = pytest.importorskip("torch")
    name, sched, lr = case
    kw = {k: v for k, v in sched.items() if v is not None}
    base = 1.0 if lr is None else lr

    class Transcribed(torch.optim.lr_scheduler.LRScheduler):  # type: ignore[misc, name-defined]
        def get_lr(self) -> list[float]:
            return [nemo_lr(name, base, self.last_epoch, **kw) for _ in self.base_lrs]

    steps = np.arange(TORCH_STEPS)
    for last_epoch in (-1, 7):
        optimizer = _optimizer(torch, base, resumed=last_epoch >= 0)
        rates = _rates(Transcribed(optimizer, last_epoch=last_epoch), optimizer)
        block = {"name": name, **sched, "last_epoch": last_epoch}
        with jax.enable_x64(True):
            got = np.asarray(lrjit.from_nemo(block, lr=lr)(steps), np.float64)
        assert_within(got, rates, True, f"{name} last_epoch={last_epoch}", steps=steps)


@pytest.mark.parametrize("case", LIVE_CASES, ids=[_id(c) for c in LIVE_CASES])
def test_live_nemo(case: tuple[str, dict[str, Any], Any]) -> None:
    """NeMo's own schedulers (``AVAILABLE_SCHEDULERS``) stepped in a torch loop, where NeMo is installed."""
    torch = pytest.importorskip("torch")
    lr_scheduler = pytest.importorskip("nemo.core.optim.lr_scheduler")
    name, sched, lr = case
    optimizer = _optimizer(torch, 1.0 if lr is None else lr)
    scheduler = lr_scheduler.AVAILABLE_SCHEDULERS[name](optimizer, **sched)
    rates = _rates(scheduler, optimizer)
    with jax.enable_x64(True):
        got = np.asarray(lrjit.from_nemo(sched | {"name": name}, lr=lr)(np.arange(TORCH_STEPS)), np.float64)
    assert_within(got, rates, True, name)
    assert not math.isnan(float(got.sum()))
