"""DeepSpeed, big_vision and MaxText: their families against per-step transcriptions of the sources, live
DeepSpeed, the edge cases (zero-length phases, warmup longer than the run, steps past the end) and the
config importers on realistic configs.

Sources:

- microsoft/DeepSpeed ``deepspeed/runtime/lr_schedules.py``: checked live against the installed
  ``deepspeed`` (``WarmupLR``, ``WarmupDecayLR``, ``WarmupCosineLR``, ``OneCycle``, ``LRRangeTest`` driven
  by ``scheduler.step()`` on a torch optimizer; skipped when deepspeed or torch is absent) and, without it,
  by the float64 closed forms of ``test_accuracy_deepspeed.py``.
- google-research/big_vision ``big_vision/utils.py``: ``bv_step_fn`` is ``create_learning_rate_schedule``'s
  ``step_fn`` written out in Python floats (big_vision runs it in jnp float32).
- AI-Hypercomputer/maxtext ``src/MaxText/maxtext_utils.py``: ``maxtext_schedule`` is
  ``create_learning_rate_schedule`` with optax's ``linear_schedule``, ``constant_schedule`` and
  ``join_schedules`` (google-deepmind/optax ``optax/schedules/_schedule.py``, ``_join.py``) written out in
  Python floats.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from typing import Any

import jax
import numpy as np
import pytest

import lrjit

STEPS = np.array(
    sorted({*range(0, 40), 99, 100, 101, 499, 500, 501, 999, 1000, 1001, 1500, 2000, 2001, 5000})
)


def _x64(sched_fn: Callable[[], lrjit.Schedule], steps: Any = STEPS) -> np.ndarray:
    with jax.enable_x64(True):
        return np.asarray(sched_fn()(np.asarray(steps)), np.float64)


# ------------------------------------------------------------------------------------------------------
# DeepSpeed, live
# ------------------------------------------------------------------------------------------------------
DS_CASES = [
    ("WarmupLR", {"warmup_min_lr": 0.0, "warmup_max_lr": 0.001, "warmup_num_steps": 1000}),
    (
        "WarmupLR",
        {"warmup_min_lr": 1e-4, "warmup_max_lr": 0.01, "warmup_num_steps": 1, "warmup_type": "linear"},
    ),
    ("WarmupDecayLR", {"total_num_steps": 2000, "warmup_max_lr": 0.001, "warmup_num_steps": 100}),
    (
        "WarmupDecayLR",
        {"total_num_steps": 30, "warmup_max_lr": 0.1, "warmup_num_steps": 100, "warmup_type": "linear"},
    ),
    ("WarmupCosineLR", {"total_num_steps": 2000, "warmup_num_steps": 100, "warmup_min_ratio": 0.1}),
    (
        "WarmupCosineLR",
        {"total_num_steps": 5, "warmup_num_steps": 20, "cos_min_ratio": 0.05, "warmup_type": "linear"},
    ),
    (
        "OneCycle",
        {
            "cycle_min_lr": 1e-4,
            "cycle_max_lr": 1e-3,
            "cycle_first_step_size": 500,
            "cycle_first_stair_count": 50,
            "cycle_second_step_size": 700,
            "cycle_second_stair_count": 7,
            "decay_step_size": 100,
            "decay_lr_rate": 0.01,
        },
    ),
    (
        "OneCycle",
        {"cycle_min_lr": 0.01, "cycle_max_lr": 0.1, "cycle_first_step_size": 30, "cycle_second_step_size": 0},
    ),
    (
        "LRRangeTest",
        {"lr_range_test_min_lr": 1e-4, "lr_range_test_step_size": 200, "lr_range_test_step_rate": 5.0},
    ),
    (
        "LRRangeTest",
        {"lr_range_test_min_lr": 1e-4, "lr_range_test_step_size": 7, "lr_range_test_staircase": True},
    ),
]


@pytest.mark.parametrize(("name", "params"), DS_CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(DS_CASES)])
def test_deepspeed_live(name: str, params: dict[str, Any]) -> None:
    """The rate DeepSpeed's optimizer holds for update s (after s ``scheduler.step()`` calls) is
    ``sched(s)``, to float64 rounding."""
    torch = pytest.importorskip("torch")
    lr_schedules = pytest.importorskip("deepspeed.runtime.lr_schedules")
    base_lr = 0.003
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=base_lr)
    kwargs = dict(params)
    if name == "OneCycle":
        kwargs["cycle_momentum"] = False
    sched = getattr(lr_schedules, name)(opt, **kwargs)
    n = int(STEPS.max()) + 1
    want = []
    for _ in range(n):
        want.append(opt.param_groups[0]["lr"])
        sched.step()
    want = np.asarray(want)[STEPS]
    extra = {"base_lr": base_lr} if name == "WarmupCosineLR" else {}
    got = _x64(lambda: lrjit.registry()[name](**params, **extra))
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-18)


@pytest.mark.parametrize("case", [0, 1])
def test_deepspeed_momentum_live(case: int) -> None:
    """OneCycle's beta1 (cycle_momentum on an Adam optimizer) after s step() calls is OneCycleMom(s)."""
    torch = pytest.importorskip("torch")
    lr_schedules = pytest.importorskip("deepspeed.runtime.lr_schedules")
    params = [
        {
            "cycle_first_step_size": 500,
            "cycle_second_step_size": 700,
            "cycle_first_stair_count": 50,
            "decay_step_size": 100,
            "decay_mom_rate": 0.001,
            "cycle_min_mom": 0.85,
            "cycle_max_mom": 0.99,
        },
        {"cycle_first_step_size": 30, "cycle_second_step_size": 0},
    ][case]
    opt = torch.optim.Adam([torch.nn.Parameter(torch.zeros(1))], lr=0.01)
    sched = lr_schedules.OneCycle(opt, cycle_min_lr=0.001, cycle_max_lr=0.01, **params)
    want = []
    for _ in range(int(STEPS.max()) + 1):
        want.append(opt.param_groups[0]["betas"][0])
        sched.step()
    got = _x64(lambda: lrjit.OneCycleMom(**params))
    np.testing.assert_allclose(got, np.asarray(want)[STEPS], rtol=1e-12, atol=1e-18)


def test_deepspeed_edges() -> None:
    # zero-length decay: total_num_steps <= warmup -> 0 right after the warmup (WarmupDecayLR), the floor
    # (WarmupCosineLR); the warmup is at least 2 steps (DeepSpeed's max(2, n))
    d = lrjit.WarmupDecayLR(total_num_steps=0, warmup_max_lr=1.0, warmup_num_steps=1, warmup_type="linear")
    np.testing.assert_allclose(d(np.array([0, 1, 2, 3, 10**9])), [0.0, 0.0, 0.5, 0.0, 0.0])
    c = lrjit.WarmupCosineLR(base_lr=1.0, total_num_steps=3, warmup_num_steps=10, cos_min_ratio=0.25)
    np.testing.assert_allclose(c(np.array([0, 10, 11, 2**31 - 1])), [0.0, 1.0, 0.25, 0.25])
    # past the end: WarmupLR holds, LRRangeTest keeps growing, OneCycle decays (or holds cycle_min_lr)
    assert float(lrjit.WarmupLR(warmup_max_lr=0.1)(2**31 - 1)) == pytest.approx(0.1)
    assert float(lrjit.LRRangeTest()(2**31 - 1)) == pytest.approx(1e-3 * (1 + (2**31 - 1) / 2000), rel=1e-6)
    one = lrjit.OneCycle(cycle_min_lr=0.01, cycle_max_lr=0.1, cycle_first_step_size=10)
    np.testing.assert_allclose(one(np.array([0, 10, 20, 21, 2**31 - 1])), [0.01, 0.1, 0.01, 0.01, 0.01])


# ------------------------------------------------------------------------------------------------------
# big_vision: utils.create_learning_rate_schedule's step_fn, per step in Python floats
# ------------------------------------------------------------------------------------------------------
def bv_step_fn(
    step: int,
    total_steps: int,
    base: float,
    decay_type: str,
    warmup_steps: int,
    cooldown_steps: int,
    **kw: Any,
) -> float:
    lr = base
    progress = (step - warmup_steps) / float(total_steps - warmup_steps)
    progress = min(max(progress, 0.0), 1.0)
    if decay_type in ("linear", "polynomial"):
        power = kw.get("power", 1)
        zero = kw.get("end", kw.get("linear_end", 0))
        lr = zero + (lr - zero) * (1.0 - progress) ** power
    elif decay_type == "cosine":
        lr = lr * 0.5 * (1.0 + math.cos(math.pi * progress))
    elif decay_type == "rsqrt":
        t = kw.get("timescale", 10_000)
        shift = kw.get("shift", 0)
        if warmup_steps <= step:
            lr = lr / math.sqrt(1 + (step + shift - warmup_steps) / t)
        else:
            lr = lr / math.sqrt(1 + shift / t)
    elif decay_type == "stair":
        steps = kw.get("steps", [])
        i = int(np.searchsorted(np.array(steps), step + 1))
        lr = lr * [1.0, *kw.get("mults", [])][i]
    if warmup_steps:
        lr = lr * min(1.0, step / warmup_steps)
    if cooldown_steps:
        lr = lr * min(1.0, (total_steps - step) / cooldown_steps)
    return lr


BV_CASES = [
    dict(total_steps=2000, base=1e-3, decay_type="cosine", warmup_steps=100, cooldown_steps=0),
    dict(total_steps=2000, base=1e-3, decay_type="linear", warmup_steps=0, cooldown_steps=0, linear_end=1e-5),
    dict(
        total_steps=1500,
        base=0.5,
        decay_type="polynomial",
        warmup_steps=37,
        cooldown_steps=0,
        power=0.5,
        end=0.01,
    ),
    dict(
        total_steps=5000,
        base=1.0,
        decay_type="rsqrt",
        warmup_steps=500,
        cooldown_steps=1000,
        timescale=300.0,
        shift=50.0,
    ),
    dict(
        total_steps=2000,
        base=0.1,
        decay_type="stair",
        warmup_steps=5,
        cooldown_steps=0,
        steps=[100, 1000],
        mults=[0.1, 0.01],
    ),
    dict(total_steps=1000, base=0.1, decay_type="stair", warmup_steps=0, cooldown_steps=999),
]


@pytest.mark.parametrize("case", BV_CASES, ids=lambda c: f"{c['decay_type']}-{c['total_steps']}")
def test_big_vision_transcription(case: dict[str, Any]) -> None:
    """from_big_vision(schedule dict) against big_vision's step_fn, including steps past total_steps."""
    want = np.array([bv_step_fn(int(s), **case) for s in STEPS])
    sched = {k: v for k, v in case.items() if k not in ("base",)}
    sched["mult"] = case["base"]
    sched["warmup_steps"], sched["cooldown_steps"] = case["warmup_steps"], case["cooldown_steps"]
    got = _x64(lambda: lrjit.from_big_vision(sched))
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)


class _ConfigDict:
    """Just enough of ml_collections.ConfigDict: keys() and to_dict()."""

    def __init__(self, **kw: Any) -> None:
        self._kw = kw

    def keys(self) -> Any:
        return self._kw.keys()

    def to_dict(self) -> dict[str, Any]:
        return dict(self._kw)


def test_big_vision_importer() -> None:
    # big_vision/configs/vit_i1k.py: schedule = dict(warmup_steps=10_000, decay_type='cosine'), lr=0.001,
    # 300 epochs of ImageNet (1281167 images) at batch 4096.
    steps_per_epoch = 1281167 / 4096
    total = round(300 * steps_per_epoch)
    vit = lrjit.from_big_vision(dict(warmup_steps=10_000, decay_type="cosine"), total_steps=total, lr=0.001)
    assert isinstance(vit, lrjit.BigVisionSchedule)
    assert float(vit(10_000)) == pytest.approx(0.001) and float(vit(total)) == pytest.approx(0.0, abs=1e-12)
    # epochs, examples and percent converted as big_vision.utils.steps does; a ConfigDict found by compile
    cfg = _ConfigDict(
        decay_type="linear",
        warmup_epochs=5,
        cooldown_percent=0.1,
        linear_end=1e-5,
        total_steps=total,
        batch_size=4096,
        data_size=1281167,
    )
    sched = lrjit.compile(cfg).schedule
    assert int(sched.warmup_steps) == round(5 * steps_per_epoch) and int(sched.cooldown_steps) == round(
        0.1 * total
    )
    # stair: a PiecewiseConstantDecay factor
    stair = lrjit.from_big_vision(dict(decay_type="stair", steps=[10, 20], mults=[0.1, 0.01]), total_steps=30)
    np.testing.assert_allclose(
        stair(np.array([0, 8, 9, 10, 19, 20, 29])),
        [1, 1, 1, 0.1, 0.1, 0.01, 0.01],  # big_vision: steps <= s count (searchsorted of s + 1)
    )
    # missing quantities and unknown keys are named
    with pytest.raises(ValueError, match="`total_steps`"):
        lrjit.from_big_vision(dict(decay_type="cosine", warmup_percent=0.1))
    with pytest.raises(ValueError, match="`data_size`"):
        lrjit.from_big_vision(dict(decay_type="cosine", warmup_epochs=1), total_steps=100, batch_size=8)
    with pytest.raises(ValueError, match="`batch_size`"):
        lrjit.from_big_vision(dict(decay_type="cosine", warmup_examples=1000), total_steps=100)
    with pytest.raises(ValueError, match="'warmup_stepz'"):
        lrjit.from_big_vision(dict(decay_type="cosine", warmup_stepz=10), total_steps=100)
    with pytest.raises(ValueError, match="warmup_steps"):  # warmup longer than the run (big_vision asserts)
        lrjit.from_big_vision(dict(decay_type="cosine", warmup_steps=100), total_steps=100)


# ------------------------------------------------------------------------------------------------------
# MaxText: maxtext_utils.create_learning_rate_schedule with optax's pieces, per step in Python floats
# ------------------------------------------------------------------------------------------------------
def _linear_schedule(init_value: float, end_value: float, transition_steps: int) -> Callable[[int], float]:
    if transition_steps <= 0:
        return lambda count: init_value

    def schedule(count: int) -> float:
        count = min(max(count, 0), transition_steps)
        frac = 1 - count / transition_steps
        return (init_value - end_value) * frac + end_value

    return schedule


def _join_schedules(schedules: list[Callable[[int], float]], boundaries: list[int]) -> Callable[[int], float]:
    def schedule(step: int) -> float:
        output = schedules[0](step)
        for boundary, sched in zip(boundaries, schedules[1:], strict=False):
            output = output if step < boundary else sched(step - boundary)
        return output

    return schedule


def maxtext_schedule(c: dict[str, Any]) -> Callable[[int], float]:
    def make_cos_schedule(init_lr: float, final_lr: float, len_steps: int) -> Callable[[int], float]:
        def schedule(step: int) -> float:
            pct = step / (len_steps - 1) if len_steps > 1 else 1.0
            a = 0.5 * (math.cos(math.pi * pct) + 1)
            return init_lr * a + final_lr * (1 - a)

        return schedule

    lr = c["learning_rate"]
    final_lr = lr * c["learning_rate_final_fraction"]
    warmup_steps = int(c["learning_rate_schedule_steps"] * c["warmup_steps_fraction"])
    constant_zero_steps = c["steps"] - c["learning_rate_schedule_steps"]
    pieces, boundaries = [], []
    if warmup_steps > 0:
        pieces.append(_linear_schedule(0.0, lr, warmup_steps - 1))
        boundaries.append(warmup_steps)
    if c["lr_schedule_type"] == "cosine":
        cos_steps = c["learning_rate_schedule_steps"] - warmup_steps
        if cos_steps > 0:
            pieces.append(make_cos_schedule(lr, final_lr, cos_steps))
            boundaries.append(warmup_steps + cos_steps)
    else:
        decay_steps = int(c["learning_rate_schedule_steps"] * c["wsd_decay_steps_fraction"])
        stable_steps = c["learning_rate_schedule_steps"] - warmup_steps - decay_steps
        if stable_steps > 0:
            pieces.append(lambda step: lr)
            boundaries.append(warmup_steps + stable_steps)
        if decay_steps > 0:
            if c["wsd_decay_style"] == "linear":
                pieces.append(_linear_schedule(lr, final_lr, decay_steps - 1))
            else:
                pieces.append(make_cos_schedule(lr, final_lr, decay_steps))
            boundaries.append(warmup_steps + stable_steps + decay_steps)
    if constant_zero_steps > 0:
        pieces.append(lambda step: 0.0)
        boundaries.append(c["learning_rate_schedule_steps"])
    return _join_schedules(pieces, boundaries)


MT_BASE = {  # MaxText configs/base.yml
    "learning_rate": 3.0e-5,
    "learning_rate_final_fraction": 0.1,
    "warmup_steps_fraction": 0.1,
    "lr_schedule_type": "cosine",
    "wsd_decay_steps_fraction": 0.1,
    "wsd_decay_style": "linear",
}
MT_CASES = [
    {"steps": 2000, "learning_rate_schedule_steps": 2000},
    {
        "steps": 2001,
        "learning_rate_schedule_steps": 1500,
        "learning_rate": 3e-4,
        "warmup_steps_fraction": 0.03,
    },
    {
        "steps": 2000,
        "learning_rate_schedule_steps": 2000,
        "lr_schedule_type": "wsd",
        "wsd_decay_steps_fraction": 0.2,
    },
    {
        "steps": 1000,
        "learning_rate_schedule_steps": 1000,
        "lr_schedule_type": "wsd",
        "wsd_decay_style": "cosine",
        "warmup_steps_fraction": 0.0,
    },
    # no stable phase: warmup + decay longer than the schedule
    {
        "steps": 100,
        "learning_rate_schedule_steps": 100,
        "lr_schedule_type": "wsd",
        "warmup_steps_fraction": 0.6,
        "wsd_decay_steps_fraction": 0.5,
    },
    # zero-length pieces: a 1-step warmup and a 1-step cosine
    {"steps": 10, "learning_rate_schedule_steps": 2, "warmup_steps_fraction": 0.5},
    # warmup longer than the schedule
    {"steps": 50, "learning_rate_schedule_steps": 20, "warmup_steps_fraction": 1.0, "learning_rate": 0.1},
]


@pytest.mark.parametrize("case", MT_CASES, ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items())[:60])
def test_maxtext_transcription(case: dict[str, Any]) -> None:
    """from_maxtext(keys) against MaxText's join of optax pieces, including steps past the schedule."""
    c = {**MT_BASE, **case}
    ref = maxtext_schedule(c)
    want = np.array([ref(int(s)) for s in STEPS])
    got = _x64(lambda: lrjit.from_maxtext(case))
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)


def test_maxtext_importer() -> None:
    keys = {
        "steps": 10_000,
        "learning_rate": 3e-4,
        "lr_schedule_type": "wsd",
        "warmup_steps_fraction": 0.05,
        "wsd_decay_steps_fraction": 0.2,
        "wsd_decay_style": "cosine",
        "learning_rate_schedule_steps": -1,
    }
    sched = lrjit.compile(keys).schedule
    assert isinstance(sched, lrjit.MaxTextSchedule)
    assert (int(sched.warmup_steps), int(sched.wsd_decay_steps), int(sched.learning_rate_schedule_steps)) == (
        500,
        2000,
        10_000,
    )

    # a whole config with other keys; enum values (pyconfig's LearningRateScheduleType.WSD) read by name
    class _Kind:
        value = "wsd"

    whole = {**keys, "lr_schedule_type": _Kind(), "per_device_batch_size": 8, "base_emb_dim": 2048}
    with pytest.raises(ValueError, match="'base_emb_dim'"):
        lrjit.from_maxtext(whole)
    assert lrjit.from_maxtext(whole, ignore_other_keys=True) == sched
    with pytest.raises(ValueError, match="`steps`"):
        lrjit.from_maxtext({"learning_rate": 1e-3, "warmup_steps_fraction": 0.1})
    with pytest.raises(ValueError, match="`lr_schedule_type`"):
        lrjit.from_maxtext({"steps": 10, "lr_schedule_type": "rsqrt"})


# ------------------------------------------------------------------------------------------------------
# DeepSpeed importer
# ------------------------------------------------------------------------------------------------------
def test_deepspeed_importer() -> None:
    # DeepSpeed's config-json docs: a whole ds_config, WarmupLR
    ds_config = {
        "train_batch_size": 8,
        "optimizer": {"type": "Adam", "params": {"lr": 0.001, "betas": [0.8, 0.999], "eps": 1e-8}},
        "scheduler": {
            "type": "WarmupLR",
            "params": {"warmup_min_lr": 0, "warmup_max_lr": 0.001, "warmup_num_steps": 1000},
        },
    }
    assert lrjit.compile(ds_config).schedule == lrjit.WarmupLR(0.0, 0.001, 1000)
    # the 1-Cycle tutorial's block (momentum keys ignored)
    one_cycle = {
        "type": "OneCycle",
        "params": {
            "cycle_first_step_size": 1000,
            "cycle_first_stair_count": 500,
            "cycle_second_step_size": 1000,
            "cycle_second_stair_count": 500,
            "decay_step_size": 1000,
            "cycle_min_lr": 0.0001,
            "cycle_max_lr": 0.0010,
            "decay_lr_rate": 0.001,
            "cycle_min_mom": 0.85,
            "cycle_max_mom": 0.99,
            "decay_mom_rate": 0.0,
        },
    }
    sched = lrjit.from_deepspeed(one_cycle)
    assert isinstance(sched, lrjit.OneCycle) and float(sched(1000)) == pytest.approx(0.001)
    mom = lrjit.from_deepspeed(one_cycle, momentum=True)
    assert isinstance(mom, lrjit.OneCycleMom) and float(mom(1000)) == pytest.approx(0.85)
    with pytest.raises(ValueError, match="momentum"):
        lrjit.from_deepspeed(ds_config, momentum=True)
    # the LR range test tutorial's block
    lrrt = {
        "type": "LRRangeTest",
        "params": {
            "lr_range_test_min_lr": 0.0001,
            "lr_range_test_step_size": 200,
            "lr_range_test_step_rate": 5,
            "lr_range_test_staircase": False,
        },
    }
    assert float(lrjit.compile(lrrt)(200)) == pytest.approx(0.0006)
    # WarmupCosineLR multiplies the optimizer's lr
    cos = {
        "scheduler": {"type": "WarmupCosineLR", "params": {"total_num_steps": 1000, "warmup_num_steps": 10}},
        "optimizer": {"type": "AdamW", "params": {"lr": 3e-4}},
    }
    assert float(lrjit.compile(cos)(10)) == pytest.approx(3e-4)
    with pytest.raises(ValueError, match="lr="):
        lrjit.from_deepspeed(cos["scheduler"])
    assert float(lrjit.from_deepspeed(cos["scheduler"], lr=1.0)(10)) == pytest.approx(1.0)
    # unsupported settings are named
    for block, match in [
        ({"type": "WarmupLR", "params": {"warmup_max_lr": "auto"}}, "'warmup_max_lr'"),
        ({"type": "WarmupLR", "params": {"warmup_steps": 10}}, "'warmup_steps'"),
        ({"type": "WarmupLR", "params": {"warmup_type": "exp"}}, "`warmup_type`"),
        ({"type": "WarmupLR", "params": {"last_batch_iteration": 5}}, "`last_batch_iteration`"),
        ({"type": "WarmupDecayLR", "params": {"warmup_max_lr": 0.1}}, "'total_num_steps'"),
        ({"type": "CosineAnnealing", "params": {}}, "'CosineAnnealing'"),
    ]:
        with pytest.raises(ValueError, match=match):
            lrjit.from_deepspeed(block)


# ------------------------------------------------------------------------------------------------------
# Levanter: OptimizerConfig.lr_scheduler (marin-community/levanter src/levanter/optim/config.py), written
# out with the real optax schedules (run under x64, so in float64)
# ------------------------------------------------------------------------------------------------------
def _convert_frac_or_steps(frac_or_steps: float, num_train_steps: int) -> int:
    if frac_or_steps < 0.0 or (frac_or_steps > 1.0 and frac_or_steps % 1 != 0):
        raise ValueError(frac_or_steps)
    if frac_or_steps <= 1.0:
        return int(frac_or_steps * num_train_steps)
    return int(frac_or_steps)


def levanter_lr_scheduler(cfg: dict[str, Any], num_train_steps: int) -> Callable[[Any], Any]:
    optax = pytest.importorskip("optax")
    jnp = jax.numpy
    c = {
        "learning_rate": 6e-4,
        "min_lr_ratio": 0.1,
        "warmup": 0.01,
        "decay": None,
        "rewarmup": 0.0,
        "cycle_length": None,
        "cycles": None,
        "lr_schedule": "cosine",
        **cfg,
    }
    total_main_steps = num_train_steps
    # _get_cycle_minima
    if c["cycle_length"] is not None:
        cycle_length = _convert_frac_or_steps(c["cycle_length"], total_main_steps)
        cooldown_points = [i * cycle_length for i in range(1, total_main_steps // cycle_length)]
    elif isinstance(c["cycles"], int):
        cooldown_points = [int(total_main_steps / c["cycles"] * (i + 1)) for i in range(c["cycles"] - 1)]
    elif isinstance(c["cycles"], list):
        cooldown_points = list(c["cycles"])
    else:
        cooldown_points = []
    cooldown_points.insert(0, 0)
    if cooldown_points[-1] != total_main_steps:
        cooldown_points.append(total_main_steps)

    learning_rate = c["learning_rate"]
    min_lr = learning_rate * c["min_lr_ratio"]

    def inv_sqrt(
        lr: float, min_lr: float, warmup_steps: int, timescale: float = 10000
    ) -> Callable[[Any], Any]:
        def schedule(count: Any) -> Any:
            decay = jnp.minimum(1.0, 1.0 / jnp.sqrt(jnp.maximum(count + warmup_steps, 1) / timescale))
            return jnp.maximum(lr * decay, min_lr)

        return schedule

    def inv(lr: float, min_lr: float, decay_steps: int) -> Callable[[Any], Any]:
        def schedule(count: Any) -> Any:
            decay = jnp.minimum(1.0, 1.0 / ((lr / min_lr - 1) * jnp.maximum(count, 1) / decay_steps + 1))
            return jnp.maximum(lr * decay, min_lr)

        return schedule

    schedules, boundaries = [], []
    previous_end = 0.0
    for cycle, (start, end) in enumerate(itertools.pairwise(cooldown_points)):
        cycle_steps = end - start
        if cycle == 0:
            warmup_steps = _convert_frac_or_steps(c["warmup"], cycle_steps)
        else:
            warmup_steps = _convert_frac_or_steps(c["rewarmup"], cycle_steps)
        if warmup_steps != 0:
            schedules.append(optax.linear_schedule(previous_end, learning_rate, warmup_steps))
            boundaries.append(start + warmup_steps)
        lr_decay_steps = (
            _convert_frac_or_steps(c["decay"], cycle_steps)
            if c["decay"] is not None
            else cycle_steps - warmup_steps
        )
        stable_steps = cycle_steps - warmup_steps - lr_decay_steps
        if stable_steps != 0:
            schedules.append(optax.constant_schedule(learning_rate))
            boundaries.append(start + warmup_steps + stable_steps)
        match c["lr_schedule"]:
            case "constant":
                schedule = optax.constant_schedule(learning_rate)
            case "cosine":
                schedule = optax.cosine_decay_schedule(learning_rate, lr_decay_steps, c["min_lr_ratio"])
            case "linear":
                schedule = optax.linear_schedule(learning_rate, min_lr, lr_decay_steps)
            case "inv_sqrt":
                schedule = inv_sqrt(learning_rate, min_lr, warmup_steps, 10000)
            case "inv":
                schedule = inv(learning_rate, min_lr, lr_decay_steps)
        previous_end = schedule(lr_decay_steps)
        schedules.append(schedule)
        boundaries.append(end)
    return optax.join_schedules(schedules, boundaries) if len(schedules) > 1 else schedules[0]


LEV_CASES = [
    {},  # Levanter's defaults: cosine, 1% warmup, min_lr_ratio 0.1
    {"learning_rate": 3e-3, "warmup": 500, "decay": 0.2, "lr_schedule": "linear", "min_lr_ratio": 0.0},
    {"learning_rate": 1e-3, "warmup": 0.1, "cycles": 3, "rewarmup": 0.05, "lr_schedule": "cosine"},
    {"learning_rate": 1e-3, "warmup": 0.0, "cycle_length": 700, "decay": 0.5, "lr_schedule": "linear"},
    {"learning_rate": 1e-3, "warmup": 100, "cycles": [600, 1500], "lr_schedule": "inv_sqrt"},
    {"learning_rate": 1e-3, "warmup": 0.05, "lr_schedule": "inv", "min_lr_ratio": 0.05},
    {"learning_rate": 1e-3, "warmup": 1.0, "lr_schedule": "constant"},  # warmup = the whole run (1 = 100%)
]


@pytest.mark.parametrize(
    "case", LEV_CASES, ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items())[:60] or "defaults"
)
def test_levanter_transcription(case: dict[str, Any]) -> None:
    """from_levanter(optimizer block) against Levanter's lr_scheduler on optax, past the last step too."""
    n = 2000
    with jax.enable_x64(True):
        ref = levanter_lr_scheduler(case, n)
        want = np.asarray([float(ref(int(s))) for s in STEPS])
    got = _x64(lambda: lrjit.from_levanter({**case, "num_train_steps": n}))
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)


def test_levanter_importer() -> None:
    # a Levanter gpt2 config's optimizer block (type adam; weight decay and betas do not change the rate)
    block = {
        "type": "adam",
        "learning_rate": 6e-4,
        "weight_decay": 0.1,
        "beta1": 0.9,
        "beta2": 0.95,
        "min_lr_ratio": 0.1,
        "warmup": 0.01,
        "lr_schedule": "cosine",
    }
    sched = lrjit.compile({**block, "num_train_steps": 10_000}).schedule
    assert sched == lrjit.LevanterSchedule(6e-4, 100, 0, 9900, 0.1, "cosine")
    assert lrjit.from_levanter(block, num_train_steps=10_000) == sched
    cos2 = lrjit.from_levanter(
        {**block, "lr_schedule": {"type": "cosine", "exponent": 2.0}}, num_train_steps=100
    )
    assert float(np.asarray(cos2.exponent)) == 2.0
    for extra, match in [
        ({}, "`num_train_steps`"),
        ({"num_train_steps": 10, "cooldown": 0.1}, "`cooldown`"),
        ({"num_train_steps": 10, "lr_schedule": "power"}, "'power'"),
        ({"num_train_steps": 10, "warmup_ratio": 0.1}, "'warmup_ratio'"),
        ({"num_train_steps": 10, "warmup": 1.5}, "`warmup`"),
        ({"num_train_steps": 100, "warmup": 60, "decay": 60}, "exceed"),
    ]:
        with pytest.raises(ValueError, match=match):
            lrjit.from_levanter({**block, **extra})
