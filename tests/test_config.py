"""JSON configs (``to_config`` / ``from_config``) and compiled evaluators (``lrjit.compile``).

Every registered family and composition round-trips through ``json.dumps``/``json.loads`` to a schedule
with bit-identical leaves (values, dtypes, shapes) and bit-identical curves, single and batched, in float32
and under x64; bad configs raise ``ConfigError`` naming the path inside the config.
"""

from __future__ import annotations

import json
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import lrjit
from lrjit.frontend import compile as compile_schedule
from lrjit.frontend.config import ConfigError, from_config

from helpers import JIT_CALL

FAMILIES = sorted(lrjit.registry())
STEPS = np.unique(np.concatenate([np.arange(0, 300), np.geomspace(300, 10**7, 60).astype(np.int64)]))


def through_json(sched: lrjit.Schedule) -> lrjit.Schedule:
    text = json.dumps(sched.to_config(), allow_nan=False)
    return from_config(json.loads(text))


def assert_identical(a: lrjit.Schedule, b: lrjit.Schedule) -> None:
    """Same structure, every leaf with the same dtype, shape and bits, and the same curve bit for bit."""
    la, ta = jax.tree_util.tree_flatten(a)
    lb, tb = jax.tree_util.tree_flatten(b)
    assert ta == tb, f"{ta} != {tb}"
    for x, y in zip(la, lb, strict=True):
        if jnp.issubdtype(jnp.result_type(x), jax.dtypes.prng_key):
            x, y = jax.random.key_data(x), jax.random.key_data(y)
        x, y = np.asarray(x), np.asarray(y)
        assert x.dtype == y.dtype and x.shape == y.shape
        assert x.tobytes() == y.tobytes()
    steps = STEPS.astype(np.int64 if jax.config.jax_enable_x64 else np.int32)
    np.testing.assert_array_equal(np.asarray(JIT_CALL(a, steps)), np.asarray(JIT_CALL(b, steps)))


def _samples(cls: type[lrjit.Schedule], seed: int, k: int) -> list[lrjit.Schedule]:
    """k configs of one structure (stackable)."""
    rng = np.random.default_rng(seed)
    first = cls.sample(rng, vector_len=2)
    out = [first]
    for _ in range(200):
        if len(out) == k:
            break
        s = cls.sample(rng, vector_len=2)
        if jax.tree_util.tree_structure(s) == jax.tree_util.tree_structure(first) and [
            np.shape(x) for x in jax.tree_util.tree_leaves(s)
        ] == [np.shape(x) for x in jax.tree_util.tree_leaves(first)]:
            out.append(s)
    assert len(out) == k
    return out


@pytest.mark.parametrize("precision", ["float32", "x64"])
@pytest.mark.parametrize("name", FAMILIES)
def test_round_trip_is_exact(name: str, precision: str) -> None:
    cls = lrjit.registry()[name]
    with jax.enable_x64(precision == "x64"):
        singles = _samples(cls, FAMILIES.index(name), 3)
        for s in singles:
            back = through_json(s)
            assert type(back) is cls and back == s
            assert_identical(back, s)
        batch = lrjit.stack(singles)
        back = through_json(batch)
        assert lrjit.batch_size(back) == 3
        assert_identical(back, batch)


def test_the_format() -> None:
    """The documented layout: version, dtypes, family, every field; floats as their shortest decimal."""
    sched = lrjit.warmup(
        lrjit.sequence([lrjit.LinearLR(0.1, 0.01, 1.0, 500), lrjit.CosineDecay(0.1, 9_500)], [500]), 100
    )
    assert sched.to_config() == {
        "lrjit": 1,
        "dtypes": {"float": "float32", "int": "int32"},
        "family": "Warmup",
        "schedule": {
            "family": "Sequence",
            "schedules": [
                {
                    "family": "LinearLR",
                    "base_lr": 0.1,
                    "start_factor": 0.01,
                    "end_factor": 1.0,
                    "total_iters": 500,
                },
                {
                    "family": "CosineDecay",
                    "initial_learning_rate": 0.1,
                    "decay_steps": 9500,
                    "alpha": 0.0,
                    "warmup_target": None,
                    "warmup_steps": 0,
                },
            ],
            "boundaries": [500],
        },
        "steps": 100,
        "start": 0.0,
        "shape": "linear",
        "mode": "prefix",
    }


def test_mixed_dtypes_are_recorded_per_leaf() -> None:
    with jax.enable_x64(True):
        sched = lrjit.ExponentialDecay(np.float32(0.1), 100, 0.5)
        config = sched.to_config()
        assert config["dtypes"]["float"] in ("float32", "float64")
        wrapped = [v for v in config.values() if isinstance(v, dict) and "dtype" in v]
        assert len(wrapped) == 1
        assert_identical(through_json(sched), sched)


def test_hand_written_configs_need_no_version_or_dtypes() -> None:
    sched = from_config({"family": "CosineDecay", "initial_learning_rate": 0.1, "decay_steps": 1000})
    assert sched == lrjit.CosineDecay(0.1, 1000)


BAD: list[tuple[str, Any, str]] = [
    (
        "nested domain",
        {
            "family": "Sequence",
            "schedules": [
                {"family": "CosineDecay", "initial_learning_rate": 0.1, "decay_steps": 10},
                {"family": "CosineDecay", "initial_learning_rate": 0.1, "decay_steps": -3},
            ],
            "boundaries": [5],
        },
        "schedules[1].decay_steps: expected an integer >= 1, got -3",
    ),
    (
        "unknown family",
        {"family": "CosineDeacy"},
        "family: unknown family 'CosineDeacy'; did you mean `CosineDecay`",
    ),
    (
        "unknown field",
        {"family": "Warmup", "schedule": {"family": "Constant", "value": 1.0, "valeu": 2}, "steps": 3},
        "schedule.valeu: unknown field of Constant; did you mean `value`?",
    ),
    (
        "wrong type",
        {"family": "CosineDecay", "initial_learning_rate": "0.1", "decay_steps": 10},
        "initial_learning_rate: expected a float, got '0.1'",
    ),
    (
        "bool for a number",
        {"family": "CosineDecay", "initial_learning_rate": True, "decay_steps": 10},
        "initial_learning_rate: expected a float, got True",
    ),
    (
        "fractional count",
        {"family": "CosineDecay", "initial_learning_rate": 0.1, "decay_steps": 10.5},
        "decay_steps: expected an integer, got 10.5",
    ),
    ("missing field", {"family": "CosineDecay", "initial_learning_rate": 0.1}, "decay_steps: missing"),
    (
        "vector element",
        {"family": "PiecewiseConstantDecay", "boundaries": [10, 20], "values": [1.0, -0.5, 0.1]},
        "values: expected a finite float >= 0, got -0.5 (at index 1)",
    ),
    (
        "cross-field rule",
        {"family": "Clip", "schedule": {"family": "Constant", "value": 1.0}, "lower": 2.0, "upper": 1.0},
        "config: Clip: `lower` must be <= `upper`",
    ),
    (
        "not a schedule",
        {"family": "Warmup", "schedule": 3, "steps": 3},
        "schedule: expected a schedule config",
    ),
    ("version", {"lrjit": 99, "family": "Constant", "value": 1.0}, "unsupported config format version 99"),
    (
        "static choice",
        {"family": "Warmup", "schedule": {"family": "Constant", "value": 1.0}, "steps": 3, "shape": "cubic"},
        "config: Warmup: `shape` must be one of",
    ),
    (
        "key",
        {"family": "NoisyLinearCosineDecay", "initial_learning_rate": 0.1, "decay_steps": 10, "key": 5},
        "key:",
    ),
]


@pytest.mark.parametrize(("label", "config", "message"), BAD, ids=[b[0] for b in BAD])
def test_bad_configs_name_the_path(label: str, config: Any, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        from_config(config)
    assert message in str(info.value), str(info.value)
    assert isinstance(info.value, ValueError)


def test_to_config_refuses_traced_schedules() -> None:
    with pytest.raises(TypeError, match="concrete"):
        jax.jit(lambda s: s.to_config())(lrjit.Constant(1.0))


# ------------------------------------------------------------------------------------------------------
# compile
# ------------------------------------------------------------------------------------------------------
def test_compiled_warmup_restarts_is_one_kernel() -> None:
    """The issue's check: a warmup + restarts composition's whole curve is one fused kernel, shown by the
    optimized HLO; the compiled evaluator gives the schedule's values."""
    sched = lrjit.warmup(lrjit.CosineDecayRestarts(0.1, 1000, t_mul=2.0, m_mul=0.8), 500, shape="cosine")
    compiled = compile_schedule(sched)
    assert compiled.schedule is sched
    assert compiled.curve_kernels(10_000) == 1
    assert [op for shape, op in compiled.kernels(10_000) if shape == "f32[10000]"] == ["fusion"]
    assert "fusion" in compiled.hlo(10_000)
    np.testing.assert_allclose(compiled(STEPS[:200]), sched(STEPS[:200]), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(compiled.curves(1000), sched(np.arange(1000)), rtol=1e-6, atol=1e-9)
    batch = compile_schedule(lrjit.stack([sched, sched.replace(steps=100)]))
    assert batch.curve_kernels(10_000) == 1


def test_compile_accepts_configs_and_shares_programs() -> None:
    a = lrjit.warmup(lrjit.CosineDecay(0.1, 1000), 100)
    b = lrjit.warmup(lrjit.CosineDecay(0.3, 2000), 50)
    from_dict = compile_schedule(b.to_config())
    assert from_dict.schedule == b
    from lrjit.frontend.compile import _evaluate

    _evaluate.clear_cache()
    steps = np.arange(64, dtype=np.int32)
    compile_schedule(a)(steps)
    from_dict(steps)
    assert _evaluate._cache_size() == 1  # one structure, one program
    with pytest.raises(TypeError, match="cannot compile"):
        compile_schedule(3.0)


def test_compile_accepts_every_form() -> None:
    """A spec string, a Keras ``serialize`` dict, a live Keras object and a live torch scheduler all
    compile to the schedule their importer gives (the live ones skip without the libraries)."""
    text = "warmup(CosineDecayRestarts(0.1, 1000, t_mul=2.0), steps=200)"
    assert compile_schedule(text).schedule == lrjit.warmup(
        lrjit.CosineDecayRestarts(0.1, 1000, t_mul=2.0), 200
    )
    serialized = {
        "module": "keras.optimizers.schedules",
        "class_name": "ExponentialDecay",
        "config": {"initial_learning_rate": 0.1, "decay_steps": 30, "decay_rate": 0.9, "staircase": True},
        "registered_name": None,
    }
    assert compile_schedule(serialized).schedule == lrjit.ExponentialDecay(0.1, 30, 0.9, staircase=True)
    keras = pytest.importorskip("keras")
    obj = keras.optimizers.schedules.CosineDecay(0.1, 1000, alpha=0.1)
    assert compile_schedule(obj).schedule == lrjit.CosineDecay(0.1, 1000, alpha=0.1)
    torch = pytest.importorskip("torch")
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    warm = torch.optim.lr_scheduler.LinearLR(opt, 0.1, 1.0, 10)
    cos = torch.optim.lr_scheduler.CosineAnnealingLR(opt, 90)
    compiled = compile_schedule(torch.optim.lr_scheduler.SequentialLR(opt, [warm, cos], [10]))
    want = lrjit.sequence([lrjit.LinearLR(0.1, 0.1, 1.0, 10), lrjit.CosineAnnealingLR(0.1, 90)], [10])
    assert compiled.schedule == want and compiled.curve_kernels(1000) == 1
