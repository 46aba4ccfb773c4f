"""``lrjit.to_spec``: ``lrjit.parse(to_spec(s))`` rebuilds ``s`` (same structure, equal leaves) for every
registered class's example config and random samples, compositions and operator precedence included."""

from __future__ import annotations

import jax
import numpy as np
import pytest

import lrjit
from lrjit.examples import examples

EXAMPLES = examples()


def assert_same(a: lrjit.Schedule, b: lrjit.Schedule) -> None:
    leaves_a, tree_a = jax.tree_util.tree_flatten(a)
    leaves_b, tree_b = jax.tree_util.tree_flatten(b)
    assert tree_a == tree_b
    for x, y in zip(leaves_a, leaves_b, strict=True):
        if jax.dtypes.issubdtype(jax.numpy.result_type(x), jax.dtypes.prng_key):
            x, y = jax.random.key_data(x), jax.random.key_data(y)
        x, y = np.asarray(x), np.asarray(y)
        assert x.dtype == y.dtype and x.shape == y.shape
        np.testing.assert_array_equal(x, y)


def round_trip(schedule: lrjit.Schedule) -> str:
    text = lrjit.to_spec(schedule)
    assert_same(lrjit.parse(text), schedule)
    return text


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_every_example_round_trips(name: str) -> None:
    round_trip(EXAMPLES[name])


@pytest.mark.parametrize("name", sorted(lrjit.registry()))
def test_random_configs_round_trip(name: str) -> None:
    cls = lrjit.registry()[name]
    for seed in range(4):
        round_trip(cls.sample(np.random.default_rng(seed)))


def test_readable_forms() -> None:
    cos = lrjit.CosineDecay(0.1, 10_000)
    assert round_trip(lrjit.warmup(cos, 500)) == (
        "warmup(CosineDecay(initial_learning_rate=0.1, decay_steps=10000), steps=500)"
    )
    assert round_trip(lrjit.Constant(0.05)) == "0.05"
    assert round_trip(lrjit.minimum(cos, 1e-3)).startswith("minimum(CosineDecay(")
    assert round_trip(lrjit.clip(cos, upper=0.05)).endswith("), upper=0.05)")
    assert (
        round_trip(lrjit.FactorSchedule("constant * rsqrt_decay"))
        == "FactorSchedule(factors='constant * rsqrt_decay')"
    )


def test_operators_keep_their_grouping() -> None:
    a, b, c = lrjit.StepLR(0.1, 30), lrjit.ExponentialLR(1.0, 0.99), lrjit.InverseSqrt(0.1, 10)
    texts = [
        round_trip(a - (b + c)),
        round_trip((a + b) * c),
        round_trip(a / (b * c)),
        round_trip(a * b / c),
        round_trip(-0.5 * a + 1e-5),
        round_trip(a - -0.25),
    ]
    assert texts[0].count("(") == 4 and " - (ExponentialLR(" in texts[0]
    assert texts[1].startswith("(StepLR(")
    assert round_trip(lrjit.Constant(0.1) + lrjit.Constant(0.2)) == "Constant(value=0.1) + 0.2"  # no folding
    assert round_trip(lrjit.Constant(1.0) / 3.0) == "Constant(value=1.0) / 3.0"


def test_sequences_keep_their_class() -> None:
    pieces = [lrjit.CosineDecay(0.1, 100), lrjit.CosineDecay(0.05, 100)]
    assert round_trip(lrjit.sequence(pieces, [100])).startswith("sequence([")
    assert round_trip(lrjit.Sequence(pieces, [100])).startswith("Sequence(schedules=[")
    assert round_trip(lrjit.sequence([pieces[0], lrjit.StepLR(0.1, 10)], [50])).startswith("sequence([")


def test_batches_and_keys() -> None:
    assert round_trip(lrjit.stack([lrjit.CosineDecay(r, 100) for r in (0.1, 0.3)])).startswith(
        "CosineDecay(initial_learning_rate=[0.1, 0.3], decay_steps=[100, 100]"
    )
    assert "key=7" in round_trip(lrjit.NoisyLinearCosineDecay(0.1, 100, key=7))
    vectors = lrjit.stack([lrjit.MultiStepLR(0.1, [10, b]) for b in (20, 30)])
    with pytest.raises(ValueError, match="batched vector leaf"):
        lrjit.to_spec(vectors)
    split = jax.random.split(jax.random.key(0))[1]
    with pytest.raises(ValueError, match=r"not made by jax\.random\.key"):
        lrjit.to_spec(lrjit.NoisyLinearCosineDecay(0.1, 100, key=split))
    with pytest.raises(TypeError, match="needs an lrjit schedule"):
        lrjit.to_spec("StepLR(0.1, 30)")  # type: ignore[arg-type]
