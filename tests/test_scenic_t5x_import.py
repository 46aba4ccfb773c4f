"""The scenic and t5x (gin) importers against float64 transcriptions of the sources.

Sources (neither library is installed; their code is transcribed here in NumPy float64, step by step):

- google-research/scenic ``scenic/train_lib/lr_schedules.py``: ``get_learning_rate_fn`` and
  ``compound_lr_scheduler`` with every factor it reads (``constant``, ``polynomial``, ``piecewise_constant``,
  ``piecewise_linear``, ``linear_warmup``, ``rsqrt_decay``, ``decay_every``, ``exponential_decay``,
  ``cosine_decay``, ``linear_decay``, ``linear_cooldown``) and its helper functions
  (``polynomial_lr_scheduler``, ``piecewise_constant_scheduler``, ``piecewise_linear_scheduler``,
  ``linear_warmup_scheduler``, ``decay_every_scheduler``, ``exponential_decay_scheduler``,
  ``cosine_decay_scheduler``): ``scenic_lr``.
- google-research/t5x ``t5x/utils.py``: ``create_learning_rate_scheduler``'s ``step_fn``: ``t5x_lr``. The
  gin text follows t5x's own ``t5x/configs/runs/pretrain.gin`` and ``finetune.gin`` (block bindings of
  ``utils.create_learning_rate_scheduler``).

Each config is checked at step 0, the warmup and cycle edges (+-2), a spread of steps and steps well past
``total_steps``, under x64 (``|err| <= 1e-12 |ref| + 1e-15 peak``) and in float32 (``1e-6 |ref| + 1e-7
peak``), the bounds of ``tests/bounds.py``.
"""

from __future__ import annotations

import math
from typing import Any

import jax
import numpy as np
import pytest

import lrjit
from lrjit.frontend.importers import find_importer

from bounds import assert_within


# ------------------------------------------------------------------------------------------------------
# scenic, transcribed
# ------------------------------------------------------------------------------------------------------
def _polynomial(step: np.ndarray, decay_steps: float, end_factor: float, power: float) -> np.ndarray:
    decay = step <= decay_steps
    return (1 - end_factor) * (decay * (1 - step / decay_steps)) ** power + end_factor


def _piecewise_constant(step: np.ndarray, decay_events: list, decay_factors: list) -> np.ndarray:
    boundaries = np.array(decay_events)
    factors = np.array([1.0, *decay_factors])
    index = np.sum(boundaries[None, :] < step[:, None], axis=1)
    return np.take(factors, index)


def _piecewise_linear(step: np.ndarray, decay_events: list, decay_factors: list) -> np.ndarray:
    out = []
    for s in step.tolist():  # the boundaries hold the step itself
        boundaries = np.array([0, *decay_events, s])
        factors = np.array([1.0, *decay_factors, decay_factors[-1]])
        index = np.sum(boundaries[1:] < s)
        m = factors[index + 1] - factors[index]
        n = boundaries[index + 1] - boundaries[index]
        a = m / np.clip(n, 1, None)
        out.append(a * (s - boundaries[index]) + factors[index])
    return np.array(out)


def _linear_warmup(step: np.ndarray, warmup_steps: float, alpha: float = 0.0) -> Any:
    if warmup_steps > 0:
        return np.minimum(1.0, alpha + step * (1.0 - alpha) / warmup_steps)
    return 1.0


def _decay_every(step: np.ndarray, steps_per_decay: int, decay_factor: float) -> np.ndarray:
    return decay_factor ** (step // steps_per_decay)


def _exponential_decay(step: np.ndarray, decay_steps: int, decay_rate: float, staircase: bool) -> np.ndarray:
    progress = step / float(decay_steps)
    if staircase:
        progress = np.floor(progress)
    return np.power(decay_rate, progress)


def _cosine_decay(step: np.ndarray, steps_per_cycle: int, t_mul: float, m_mul: float, alpha: float) -> Any:
    progress = step / float(steps_per_cycle)
    if t_mul == 1.0:
        i_restart = np.floor(progress)
        progress = progress - i_restart
    else:
        i_restart = np.floor(np.log(1.0 - progress * (1.0 - t_mul)) / np.log(t_mul))
        sum_r = (1.0 - t_mul**i_restart) / (1.0 - t_mul)
        progress = (progress - sum_r) / t_mul**i_restart
    m_fac = m_mul**i_restart
    cosine_decay = np.maximum(0.0, 0.5 * m_fac * (1.0 + np.cos(np.pi * (progress % 1.0))))
    return (1 - alpha) * cosine_decay + alpha


def scenic_lr(config: dict[str, Any], step: np.ndarray) -> np.ndarray:
    """``get_learning_rate_fn(config)(step)`` in float64."""
    step = np.asarray(step, np.int64)
    if "learning_rate_schedule" not in config:
        return np.full(step.shape, float(config["base_learning_rate"]))
    assert config["learning_rate_schedule"] == "compound"
    ratio: Any = 1.0
    for name in [n.strip() for n in config["factors"].split("*")]:
        if name == "constant":
            ratio *= config["base_learning_rate"]
        elif name == "polynomial":
            ratio *= _polynomial(step, config["decay_steps"], config["end_factor"], config["power"])
        elif name == "piecewise_constant":
            ratio *= _piecewise_constant(step, config["decay_events"], config["decay_factors"])
        elif name == "piecewise_linear":
            ratio *= _piecewise_linear(step, config["decay_events"], config["decay_factors"])
        elif name == "linear_warmup":
            ratio *= _linear_warmup(step, config["warmup_steps"], config.get("warmup_alpha", 0))
        elif name == "rsqrt_decay":
            warmup_steps = config.get("warmup_steps", 0.0)
            timescale = config.get("timescale", 10_000)
            shift = timescale - warmup_steps
            ratio *= np.where(warmup_steps < step, np.sqrt(timescale) / np.sqrt(step + shift), 1.0)
        elif name == "decay_every":
            ratio *= _decay_every(step, config["steps_per_decay"], config["decay_factor"])
        elif name == "exponential_decay":
            ratio *= _exponential_decay(
                step, config["decay_steps"], config["decay_rate"], config.get("staircase", False)
            )
        elif name == "cosine_decay":
            steps_per_cycle = config["steps_per_cycle"]
            warmup_steps = config.get("warmup_steps", 0.0)
            adjusted_step = np.maximum(0.0, step - (warmup_steps + config.get("start_decay_step", 0.0)))
            total_steps = config.get("total_steps", steps_per_cycle)
            steps_per_cycle = steps_per_cycle - int(warmup_steps / (total_steps / steps_per_cycle))
            if steps_per_cycle > 0:
                ratio *= _cosine_decay(
                    adjusted_step,
                    steps_per_cycle,
                    config.get("t_mul", 1.0),
                    config.get("m_mul", 1.0),
                    config.get("alpha", 0.0),
                )
        elif name == "linear_decay":
            warmup_steps = config.get("warmup_steps", 0.0)
            total_steps = config.get("total_steps")
            assert total_steps > warmup_steps
            progress = np.maximum(0.0, (step - warmup_steps) / float(total_steps - warmup_steps))
            ratio -= config.get("end_learning_rate", 0.0)
            ratio *= np.maximum(1.0 - progress, 0.0)
            ratio += config.get("end_learning_rate", 0.0)
        elif name == "linear_cooldown":
            adjusted_step = np.maximum(step, config.get("warmup_steps", 0.0))
            ratio *= np.minimum(1.0, (config["total_steps"] - adjusted_step) / config["cooldown_steps"])
        else:
            raise ValueError(f"Unknown factor {name}.")
    return np.broadcast_to(np.asarray(ratio, np.float64), step.shape)


# ------------------------------------------------------------------------------------------------------
# t5x, transcribed
# ------------------------------------------------------------------------------------------------------
def t5x_lr(
    step: np.ndarray,
    factors: str = "constant * linear_warmup * rsqrt_decay",
    base_learning_rate: float = 0.5,
    warmup_steps: int = 1000,
    decay_factor: float = 0.5,
    steps_per_decay: int = 20000,
    steps_per_cycle: int = 100000,
    step_offset: int = 0,
    min_learning_rate: float = 1e-8,
) -> np.ndarray:
    """``create_learning_rate_scheduler(...)(step)`` in float64."""
    names = [n.strip() for n in factors.split("*")]
    step = np.maximum(0, np.asarray(step, np.int64) - step_offset)
    ret: Any = 1.0
    for name in names:
        if name == "constant":
            ret *= base_learning_rate
        elif name == "linear_warmup":
            ret *= np.minimum(1.0, step / warmup_steps)
        elif name == "linear_decay":
            ret *= base_learning_rate * np.minimum(
                step / warmup_steps, 1.0 + decay_factor * (warmup_steps - step)
            )
        elif name == "rsqrt_decay":
            ret /= np.sqrt(np.maximum(step, warmup_steps))
        elif name == "rsqrt_normalized_decay":
            ret *= np.sqrt(warmup_steps)
            ret /= np.sqrt(np.maximum(step, warmup_steps))
        elif name == "decay_every":
            ret *= decay_factor ** (step // steps_per_decay)
        elif name == "cosine_decay":
            progress = np.maximum(0.0, (step - warmup_steps) / float(steps_per_cycle))
            ret *= np.maximum(0.0, 0.5 * (1.0 + np.cos(np.pi * (progress % 1.0))))
        else:
            raise ValueError(f"Unknown factor {name}.")
    ret = np.maximum(ret, min_learning_rate)
    return np.broadcast_to(np.asarray(ret, np.float64), step.shape)


# ------------------------------------------------------------------------------------------------------
# the comparison
# ------------------------------------------------------------------------------------------------------
def steps_around(*edges: float, top: int) -> np.ndarray:
    """0..39, each edge +-2, and a spread up to ``top``."""
    near = [int(e) + d for e in edges for d in range(-2, 3)]
    spread = np.unique(np.round(np.geomspace(1, top, 60)).astype(np.int64))
    out = np.unique(np.concatenate([np.arange(40), np.array(near, np.int64), spread, [top]]))
    return out[out >= 0]


# Also checked in float32 (each precision is one more compilation of the structure).
FLOAT32_TOO = {
    "vit_cosine_warmup",
    "sgdr_t_mul_m_mul_alpha_start",
    "linear_cooldown_past_total",
    "pretrain_gin",
}


def check(build: Any, want: np.ndarray, steps: np.ndarray, float32: bool) -> None:
    """lrjit within the x64 bound of the float64 transcription (and within the float32 one)."""
    with jax.enable_x64(True):
        got64 = np.asarray(build()(steps), np.float64)
    assert_within(got64, want, x64=True, steps=steps)
    if float32:
        got32 = build()(steps)
        assert np.asarray(got32).dtype == np.float32
        assert_within(got32, want, x64=False, steps=steps)


SCENIC_CASES: list[tuple[str, dict[str, Any], tuple[int, ...], int]] = [
    # (label, lr_configs, edges, last step)
    (
        "vit_cosine_warmup",  # scenic's ViT configs: cosine over the run after a linear warmup
        {
            "learning_rate_schedule": "compound",
            "factors": "constant * cosine_decay * linear_warmup",
            "base_learning_rate": 3e-3,
            "warmup_steps": 10_000,
            "steps_per_cycle": 100_000,
            "total_steps": 100_000,
        },
        (10_000, 100_000, 190_000),
        300_000,
    ),
    (
        "rsqrt_default_timescale",
        {
            "learning_rate_schedule": "compound",
            "factors": "constant * linear_warmup * rsqrt_decay",
            "base_learning_rate": 0.5,
            "warmup_steps": 1000,
        },
        (1000,),
        10**6,
    ),
    (
        "rsqrt_zero_warmup",
        {
            "learning_rate_schedule": "compound",
            "factors": "constant * rsqrt_decay",
            "base_learning_rate": 0.1,
            "timescale": 500,
        },
        (),
        10**5,
    ),
    (
        "zero_warmup_is_one",
        {
            "learning_rate_schedule": "compound",
            "factors": "constant * linear_warmup",
            "base_learning_rate": 0.1,
            "warmup_steps": 0,
        },
        (),
        1000,
    ),
    (
        "warmup_alpha_linear_decay_to_end",
        {
            "learning_rate_schedule": "compound",
            "factors": "constant * linear_warmup * linear_decay",
            "base_learning_rate": 0.01,
            "warmup_steps": 500,
            "warmup_alpha": 0.1,
            "total_steps": 5000,
            "end_learning_rate": 1e-5,
        },
        (500, 5000),
        12_000,
    ),
    (
        "linear_decay_first",
        {
            "learning_rate_schedule": "compound",
            "factors": "linear_decay * constant",
            "base_learning_rate": 0.02,
            "warmup_steps": 300,
            "total_steps": 2000,
        },
        (300, 2000),
        5000,
    ),
    (
        "linear_decay_end_no_warmup",
        {
            "learning_rate_schedule": "compound",
            "factors": "constant * linear_decay",
            "base_learning_rate": 1.0,
            "total_steps": 777,
            "end_learning_rate": 0.05,
        },
        (777,),
        3000,
    ),
    (
        "sgdr_t_mul_m_mul_alpha_start",
        {
            "learning_rate_schedule": "compound",
            "factors": "constant * linear_warmup * cosine_decay",
            "base_learning_rate": 0.1,
            "warmup_steps": 100,
            "start_decay_step": 50,
            "steps_per_cycle": 1000,
            "total_steps": 2000,
            "t_mul": 2.0,
            "m_mul": 0.5,
            "alpha": 0.01,
        },
        (100, 150, 150 + 950, 150 + 3 * 950, 150 + 7 * 950),
        20_000,
    ),
    (
        "cosine_m_mul_three_cycles",
        {
            "learning_rate_schedule": "compound",
            "factors": "constant * cosine_decay",
            "base_learning_rate": 0.1,
            "warmup_steps": 90,
            "steps_per_cycle": 1000,
            "total_steps": 3000,
            "m_mul": 0.5,
        },
        (90, 90 + 970, 90 + 2 * 970, 90 + 3 * 970),
        5000,
    ),
    (
        "cosine_no_total_no_warmup",
        {
            "learning_rate_schedule": "compound",
            "factors": "constant * cosine_decay",
            "base_learning_rate": 0.1,
            "steps_per_cycle": 333,
        },
        (333, 666),
        2000,
    ),
    (
        "warmup_longer_than_run",  # scenic skips the cosine (its cycle would be <= 0 steps)
        {
            "learning_rate_schedule": "compound",
            "factors": "constant * linear_warmup * cosine_decay",
            "base_learning_rate": 0.1,
            "warmup_steps": 150,
            "steps_per_cycle": 100,
            "total_steps": 100,
        },
        (100, 150),
        1000,
    ),
    (
        "polynomial",
        {
            "learning_rate_schedule": "compound",
            "factors": "constant * polynomial",
            "base_learning_rate": 0.1,
            "decay_steps": 1000,
            "end_factor": 0.01,
            "power": 2.0,
        },
        (1000,),
        5000,
    ),
    (
        "polynomial_sqrt",
        {
            "learning_rate_schedule": "compound",
            "factors": "polynomial",
            "base_learning_rate": 0.1,
            "decay_steps": 10,
            "end_factor": 0.0,
            "power": 0.5,
        },
        (10,),
        100,
    ),
    (
        "piecewise_constant_equal_events",
        {
            "learning_rate_schedule": "compound",
            "factors": "constant * piecewise_constant",
            "base_learning_rate": 0.1,
            "decay_events": [1000, 2000, 2000, 3000],
            "decay_factors": [0.5, 0.2, 0.1, 0.05],
        },
        (1000, 2000, 3000),
        5000,
    ),
    (
        "piecewise_linear",
        {
            "learning_rate_schedule": "compound",
            "factors": "constant * piecewise_linear",
            "base_learning_rate": 0.1,
            "decay_events": [0, 500, 1500, 1500, 4000],
            "decay_factors": [0.5, 1.0, 0.1, 0.3, 0.0],
        },
        (500, 1500, 4000),
        6000,
    ),
    (
        "decay_every",
        {
            "learning_rate_schedule": "compound",
            "factors": "constant * decay_every",
            "base_learning_rate": 0.1,
            "steps_per_decay": 300,
            "decay_factor": 0.7,
        },
        (300, 600, 3000),
        10_000,
    ),
    (
        "exponential_decay",
        {
            "learning_rate_schedule": "compound",
            "factors": "constant * exponential_decay",
            "base_learning_rate": 0.1,
            "decay_steps": 250,
            "decay_rate": 0.5,
        },
        (250, 500),
        10_000,
    ),
    (
        "exponential_decay_staircase",
        {
            "learning_rate_schedule": "compound",
            "factors": "constant * exponential_decay",
            "base_learning_rate": 0.1,
            "decay_steps": 250,
            "decay_rate": 0.5,
            "staircase": True,
        },
        (250, 500),
        10_000,
    ),
    (
        "linear_cooldown_past_total",  # negative past total_steps, as scenic's
        {
            "learning_rate_schedule": "compound",
            "factors": "constant * linear_warmup * linear_cooldown",
            "base_learning_rate": 0.1,
            "warmup_steps": 200,
            "total_steps": 3000,
            "cooldown_steps": 500,
        },
        (200, 2500, 3000),
        4000,
    ),
    (
        "linear_cooldown_warmup_past_its_start",  # max(step, warmup_steps)
        {
            "learning_rate_schedule": "compound",
            "factors": "constant * linear_warmup * linear_cooldown",
            "base_learning_rate": 0.1,
            "warmup_steps": 700,
            "total_steps": 1000,
            "cooldown_steps": 600,
        },
        (400, 700, 1000),
        2000,
    ),
    (
        "no_schedule_is_constant",
        {"base_learning_rate": 0.3, "factors": "constant * linear_warmup"},
        (),
        100,
    ),
]


@pytest.mark.parametrize(("label", "config", "edges", "top"), SCENIC_CASES, ids=[c[0] for c in SCENIC_CASES])
def test_scenic_matches_transcription(label: str, config: dict[str, Any], edges: tuple, top: int) -> None:
    steps = steps_around(*edges, top=top)
    check(lambda: lrjit.from_scenic(config), scenic_lr(config, steps), steps, label in FLOAT32_TOO)


def same_schedule(a: lrjit.Schedule, b: lrjit.Schedule) -> bool:
    """One structure and equal leaves."""
    la, ta = jax.tree_util.tree_flatten(a)
    lb, tb = jax.tree_util.tree_flatten(b)
    return ta == tb and all(np.array_equal(x, y) for x, y in zip(la, lb, strict=True))


def test_scenic_found_by_compile_and_whole_config() -> None:
    config = SCENIC_CASES[0][1]
    whole = {"lr_configs": config, "model_name": "vit"}
    assert find_importer(config).name == "scenic"
    assert find_importer(whole).name == "scenic"
    assert same_schedule(lrjit.compile(config).schedule, lrjit.from_scenic(config))
    assert same_schedule(lrjit.compile(whole).schedule, lrjit.from_scenic(config))


class _AttrConfig:
    """A ConfigDict stand-in: keys(), to_dict() and item access."""

    def __init__(self, **values: Any) -> None:
        self._values = values

    def keys(self) -> Any:
        return self._values.keys()

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def to_dict(self) -> dict[str, Any]:
        return dict(self._values)


def test_scenic_configdict_like_objects() -> None:
    config = SCENIC_CASES[7][1]
    steps = steps_around(100, 150, 1100, top=5000)
    want = scenic_lr(config, steps)
    attr = _AttrConfig(**{**config, "decay_events": np.array([1, 2])})  # numpy values are read too
    assert find_importer(attr).name == "scenic"
    with jax.enable_x64(True):
        assert_within(lrjit.from_scenic(attr)(steps), want, x64=True)


def test_scenic_ml_collections_configdict() -> None:
    ml_collections = pytest.importorskip("ml_collections")
    config = ml_collections.ConfigDict()
    config.lr_configs = ml_collections.ConfigDict(SCENIC_CASES[0][1])
    steps = steps_around(10_000, 100_000, top=200_000)
    with jax.enable_x64(True):
        assert find_importer(config).name == "scenic"
        assert_within(lrjit.from_scenic(config)(steps), scenic_lr(SCENIC_CASES[0][1], steps), x64=True)


def test_scenic_configs_of_one_structure_stack() -> None:
    """Warmups of 0 and 500 steps give one structure: the configs stack and vmap together."""
    base = dict(SCENIC_CASES[0][1], total_steps=4000, steps_per_cycle=4000)
    configs = [dict(base, warmup_steps=w) for w in (0, 500)]
    scheds = [lrjit.from_scenic(c) for c in configs]
    assert jax.tree_util.tree_structure(scheds[0]) == jax.tree_util.tree_structure(scheds[1])
    steps = steps_around(500, 4000, top=6000)
    with jax.enable_x64(True):
        batch = lrjit.stack([lrjit.from_scenic(c) for c in configs])
        got = np.asarray(lrjit.curves(batch, steps))
    for row, config in zip(got, configs, strict=True):
        assert_within(row, scenic_lr(config, steps), x64=True)


COMPOUND = {"learning_rate_schedule": "compound", "base_learning_rate": 0.1}


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (dict(COMPOUND, factors="constant * constnt"), "'constnt'"),
        (dict(COMPOUND, factors="constant *"), "unknown factor(s) ''"),
        (dict(COMPOUND, factors="constant", warmup_step=10), "'warmup_step'"),
        (dict(COMPOUND, learning_rate_schedule="polynomial", factors="constant"), "'polynomial'"),
        ({"learning_rate_schedule": "compound", "factors": "constant"}, "`base_learning_rate`"),
        (dict(COMPOUND, factors="cosine_decay"), "`cosine_decay` needs `steps_per_cycle`"),
        (dict(COMPOUND, factors="linear_warmup"), "`linear_warmup` needs `warmup_steps`"),
        (dict(COMPOUND, factors="linear_decay", warmup_steps=100), "`linear_decay` needs `total_steps`"),
        (dict(COMPOUND, factors="linear_decay", warmup_steps=100, total_steps=100), "higher than"),
        (dict(COMPOUND, factors="linear_warmup", warmup_steps=10.5), "`warmup_steps` must be a whole"),
        (dict(COMPOUND, factors="linear_warmup", warmup_steps=10, warmup_alpha=1.5), "`warmup_alpha`"),
        (
            dict(COMPOUND, factors="piecewise_constant", decay_events=[20, 10], decay_factors=[0.5, 0.1]),
            "non-decreasing",
        ),
        (
            dict(COMPOUND, factors="piecewise_linear", decay_events=[10, 20], decay_factors=[0.5]),
            "one entry per `decay_events`",
        ),
        (
            dict(COMPOUND, factors="linear_cooldown", total_steps=100, cooldown_steps=0),
            "`cooldown_steps` must be >= 1",
        ),
        (dict(COMPOUND, factors="exponential_decay", decay_steps=10, decay_rate="0.5"), "`decay_rate`"),
    ],
)
def test_scenic_rejects_naming_the_problem(config: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=None) as info:
        lrjit.from_scenic(config)
    assert message in str(info.value)


def test_scenic_ignore_other_keys() -> None:
    config = dict(COMPOUND, factors="constant", num_training_epochs=90)
    with pytest.raises(ValueError, match="num_training_epochs"):
        lrjit.from_scenic(config)
    assert float(lrjit.from_scenic(config, ignore_other_keys=True)(0)) == pytest.approx(0.1)


# ------------------------------------------------------------------------------------------------------
# t5x gin
# ------------------------------------------------------------------------------------------------------
PRETRAIN_GIN = """
from __gin__ import dynamic_registration
from t5x import utils
from t5x import trainer

TRAIN_STEPS = %gin.REQUIRED

trainer.Trainer:
  num_microbatches = None
  learning_rate_fn = @utils.create_learning_rate_scheduler()

utils.create_learning_rate_scheduler:
  factors = 'constant * rsqrt_decay'
  base_learning_rate = 1.0
  warmup_steps = 10000  # 10k to keep consistent with T5/MTF defaults.
"""

MACROS_GIN = """
# Fine-tuning from step 1M with a macro'd rate.
LR = 1e-3
OTHER = %LR
t5x.utils.create_learning_rate_scheduler.factors = \\
    'constant * linear_warmup * rsqrt_normalized_decay'
t5x.utils.create_learning_rate_scheduler.base_learning_rate = %OTHER
t5x.utils.create_learning_rate_scheduler.warmup_steps = (
    2_000
)
utils.create_learning_rate_scheduler.step_offset = 1_000_000  # resume
"""

T5X_CASES: list[tuple[str, Any, dict[str, Any], tuple[int, ...], int]] = [
    # (label, gin text or dict, the t5x arguments it binds, edges, last step)
    (
        "pretrain_gin",
        PRETRAIN_GIN,
        {"factors": "constant * rsqrt_decay", "base_learning_rate": 1.0, "warmup_steps": 10_000},
        (10_000,),
        10**7,
    ),
    (
        "macros_continuations_offset",
        MACROS_GIN,
        {
            "factors": "constant * linear_warmup * rsqrt_normalized_decay",
            "base_learning_rate": 1e-3,
            "warmup_steps": 2000,
            "step_offset": 1_000_000,
        },
        (1_000_000, 1_002_000),
        3_000_000,
    ),
    (
        "cosine_zero_warmup_floor",
        "create_learning_rate_scheduler.factors = 'constant * cosine_decay'\n"
        "create_learning_rate_scheduler.warmup_steps = 0\n"
        "create_learning_rate_scheduler.steps_per_cycle = 1000\n"
        "create_learning_rate_scheduler.min_learning_rate = 1e-5\n",
        {
            "factors": "constant * cosine_decay",
            "warmup_steps": 0,
            "steps_per_cycle": 1000,
            "min_learning_rate": 1e-5,
        },
        (1000, 2000),
        5000,
    ),
    (
        "warmup_cosine",
        "utils.create_learning_rate_scheduler.factors = 'constant * linear_warmup * cosine_decay'\n"
        "utils.create_learning_rate_scheduler.warmup_steps = 100\n"
        "utils.create_learning_rate_scheduler.steps_per_cycle = 900\n",
        {"factors": "constant * linear_warmup * cosine_decay", "warmup_steps": 100, "steps_per_cycle": 900},
        (100, 1000, 1900),
        4000,
    ),
    (
        "decay_every_dict",
        {
            "utils.create_learning_rate_scheduler.factors": "constant * decay_every",
            "utils.create_learning_rate_scheduler.base_learning_rate": "%LR",
            "utils.create_learning_rate_scheduler.steps_per_decay": 300,
            "utils.create_learning_rate_scheduler.decay_factor": 0.25,
            "utils.create_learning_rate_scheduler.warmup_steps": 0,
            "LR": 0.2,
            "trainer.Trainer.num_microbatches": None,
        },
        {
            "factors": "constant * decay_every",
            "base_learning_rate": 0.2,
            "steps_per_decay": 300,
            "decay_factor": 0.25,
            "warmup_steps": 0,
        },
        (300, 600),
        10_000,
    ),
    (
        "linear_decay_to_the_floor",  # negative past warmup + 1 / decay_factor: the floor
        "utils.create_learning_rate_scheduler.factors = 'linear_decay'\n"
        "utils.create_learning_rate_scheduler.base_learning_rate = 0.01\n"
        "utils.create_learning_rate_scheduler.warmup_steps = 100\n"
        "utils.create_learning_rate_scheduler.decay_factor = 1e-3\n",
        {"factors": "linear_decay", "base_learning_rate": 0.01, "warmup_steps": 100, "decay_factor": 1e-3},
        (100, 1100),
        5000,
    ),
    ("defaults", "utils.create_learning_rate_scheduler.base_learning_rate = 0.5", {}, (1000,), 10**6),
]


@pytest.mark.parametrize(
    ("label", "source", "kwargs", "edges", "top"), T5X_CASES, ids=[c[0] for c in T5X_CASES]
)
def test_t5x_gin_matches_transcription(label: str, source: Any, kwargs: dict, edges: tuple, top: int) -> None:
    steps = steps_around(*edges, top=top)
    check(lambda: lrjit.from_t5x_gin(source), t5x_lr(steps, **kwargs), steps, label in FLOAT32_TOO)
    assert find_importer(source).name == "t5x_gin"


def test_t5x_gin_dict_found_by_compile() -> None:
    source = T5X_CASES[4][1]
    assert same_schedule(lrjit.compile(source).schedule, lrjit.from_t5x_gin(source))


def test_t5x_gin_later_bindings_win_and_scopes() -> None:
    text = (
        "utils.create_learning_rate_scheduler.warmup_steps = 10\n"
        "t5x.utils.create_learning_rate_scheduler.warmup_steps = 20\n"
        "utils.create_learning_rate_scheduler.warmup_steps = 30\n"
        "train/utils.create_learning_rate_scheduler.warmup_steps = 40\n"
        "train/fast/utils.create_learning_rate_scheduler.base_learning_rate = 2.0\n"
    )
    with pytest.raises(ValueError, match=r"scope.*'train'.*'train/fast'"):
        lrjit.from_t5x_gin(text)
    assert int(lrjit.from_t5x_gin(text, scope="other").warmup_steps) == 30
    train = lrjit.from_t5x_gin(text, scope="train")
    assert int(train.warmup_steps) == 40 and float(train.base_learning_rate) == 0.5
    fast = lrjit.from_t5x_gin(text, scope="train/fast")
    assert int(fast.warmup_steps) == 40 and float(fast.base_learning_rate) == 2.0


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("utils.create_learning_rate_scheduler.base_learning_rate = %gin.REQUIRED", "= %gin.REQUIRED: the"),
        (
            "S = %gin.REQUIRED\nutils.create_learning_rate_scheduler.warmup_steps = %S",
            "warmup_steps` = %S = %gin.REQUIRED: the value is required",
        ),
        ("A = %B\nB = %A\nutils.create_learning_rate_scheduler.warmup_steps = %A", "in a cycle"),
        ("utils.create_learning_rate_scheduler.warmup_steps = %WARMUP", "`WARMUP` is not defined"),
        ("utils.create_learning_rate_scheduler.warmup = 10", "unknown parameter `warmup`"),
        ("utils.create_learning_rate_scheduler.hidden_size = 512", "unknown parameter `hidden_size`"),
        ("utils.create_learning_rate_scheduler.base_learning_rate = @lr()", "@ lr ( )"),
        ("utils.create_learning_rate_scheduler.warmup_steps = 10.5", "whole number"),
        ("utils.create_learning_rate_scheduler.warmup_steps = '10'", "must be a number"),
        ("my.create_learning_rate_scheduler.warmup_steps = 10", "`my.create_learning_rate_scheduler`"),
        ("trainer.Trainer.num_microbatches = 2", "no `create_learning_rate_scheduler.<param>` binding"),
        ("utils.create_learning_rate_scheduler.factors = 'constant * cosine_decy'", "'cosine_decy'"),
        ("utils.create_learning_rate_scheduler.warmup_steps = 0", "`warmup_steps` must be >= 1"),
        ("utils.create_learning_rate_scheduler.warmup_steps = (10", "cannot read the gin text"),
        ({"utils.create_learning_rate_scheduler.warmup_steps": "%W"}, "`W` is not defined"),
    ],
)
def test_t5x_gin_rejects_naming_the_problem(source: Any, message: str) -> None:
    with pytest.raises(ValueError) as info:
        lrjit.from_t5x_gin(source)
    assert message in str(info.value)


def test_transcriptions_are_not_trivial() -> None:
    """The references move: warmup, decay and restarts show in their values."""
    steps = np.array([0, 5000, 10_000, 60_000, 100_000])
    vit = scenic_lr(SCENIC_CASES[0][1], steps)
    assert vit[0] == 0 and vit[2] == pytest.approx(3e-3) and vit[3] < 3e-3 and vit[4] == pytest.approx(3e-3)
    t5x = t5x_lr(steps, warmup_steps=10_000)
    assert t5x[0] == 1e-8 and t5x[2] == pytest.approx(0.5 / math.sqrt(10_000))
