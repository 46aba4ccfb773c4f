"""The core API around the families: stack/unstack/batch_size, curves, checked_call, replace, immutability,
schedules built inside jit, and partition/combine.

Family-by-family properties (jit, vmap, grad, pytree, repr, equality) are in
``test_registry_properties.py``; this file pins the behaviour of the functions that operate on schedules.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.experimental import checkify

import lrjit
from lrjit import Schedule
from lrjit.core import is_float_leaf

STEPS = np.array([0, 1, 5, 99, 100, 101, 250, 1000], dtype=np.int32)


def _close(got: Any, want: Any) -> None:
    """Equal up to XLA's fusion differences: 1e-6 relative, 1e-7 of the largest value."""
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape and got.dtype == want.dtype
    scale = float(np.abs(want).max()) if want.size else 0.0
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7 * scale)


def _examples() -> list[Schedule]:
    """One config of each kind of structure: scalars, bools, an optional leaf, vectors, a static field."""
    return [
        lrjit.ExponentialDecay(0.1, 100, 0.5, staircase=True),
        lrjit.CosineDecay(0.0, 900, alpha=0.1, warmup_target=0.2, warmup_steps=100),
        lrjit.PiecewiseConstantDecay([10, 100, 500], [1.0, 0.5, 0.1, 0.01]),
        lrjit.FactorScheduler(50, 0.5, base_lr=0.1, warmup_steps=10, warmup_mode="constant"),
        lrjit.NoisyLinearCosineDecay(0.1, 1000, key=3),
    ]


def _vary(s: Schedule, i: int) -> Schedule:
    """A config of the same structure as ``s`` with different float values (scaled by 1 / (i + 1))."""
    leaves, treedef = jax.tree_util.tree_flatten(s)
    scaled = [np.asarray(x) / (i + 1) if is_float_leaf(x) else x for x in leaves]
    return jax.tree_util.tree_unflatten(treedef, scaled)


# ------------------------------------------------------------------------------------------------------
# stack
# ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("a", "b", "field"),
    [
        pytest.param(
            lrjit.CosineDecay(0.1, 1000),
            lrjit.CosineDecay(0.1, 1000, warmup_target=0.5, warmup_steps=10),
            "warmup_target",
            id="optional-None-vs-value",
        ),
        pytest.param(
            lrjit.PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1]),
            lrjit.PiecewiseConstantDecay([10, 20, 30], [1.0, 0.5, 0.1, 0.01]),
            "boundaries",
            id="boundary-count",
        ),
        pytest.param(
            lrjit.FactorScheduler(10, 0.5, warmup_steps=5, warmup_mode="linear"),
            lrjit.FactorScheduler(10, 0.5, warmup_steps=5, warmup_mode="constant"),
            "warmup_mode",
            id="static-field",
        ),
        pytest.param(
            lrjit.MultiFactorScheduler([10, 20], 0.5, warmup_mode="linear"),
            lrjit.MultiFactorScheduler([10, 20, 30], 0.5, warmup_mode="constant"),
            "step",
            id="first-of-two-differences",
        ),
    ],
)
def test_stack_error_names_the_first_differing_field(a: Schedule, b: Schedule, field: str) -> None:
    """Configs of different structures do not stack; the error names the first field that differs (in
    declaration order) and which schedule it is."""
    with pytest.raises(ValueError, match=rf"schedules\[1\].*\b{field}\b") as info:
        lrjit.stack([a, b])
    if field == "step":  # the later difference is not the one reported
        assert "warmup_mode" not in str(info.value)
    with pytest.raises(ValueError, match=rf"schedules\[2\].*\b{field}\b"):
        lrjit.stack([a, a, b])


def test_stack_error_for_different_families() -> None:
    """Two families never stack; the message names both."""
    with pytest.raises(ValueError, match=r"ExponentialDecay.*NaturalExpDecay|NaturalExpDecay.*Exponential"):
        lrjit.stack([lrjit.ExponentialDecay(0.1, 100, 0.5), lrjit.NaturalExpDecay(0.1, 100, 0.5)])


def test_stack_rejects_batched_empty_and_foreign_inputs() -> None:
    """An already-batched schedule (stacked or broadcast) must be unstacked first; an empty list and
    non-schedules are rejected."""
    s = lrjit.ExponentialDecay(0.1, 100, 0.5)
    batch = lrjit.stack([s, s])
    with pytest.raises(ValueError, match="already batched"):
        lrjit.stack([batch, batch])
    with pytest.raises(ValueError, match="already batched"):
        lrjit.stack([s, lrjit.ExponentialDecay(np.array([0.1, 0.2], np.float32), 100, 0.5)])
    with pytest.raises(ValueError):
        lrjit.stack([])
    with pytest.raises(TypeError):
        lrjit.stack([s, 0.1])  # type: ignore[list-item]


@pytest.mark.parametrize("s", _examples(), ids=lambda s: type(s).__name__)
def test_unstack_inverts_stack(s: Schedule) -> None:
    """``unstack(stack(xs)) == xs`` (same class, values and hashes); the stacked leaves have a K axis."""
    xs = [_vary(s, i) for i in range(4)]
    batch = lrjit.stack(xs)
    assert type(batch) is type(s)
    assert all(jnp.shape(x)[:1] == (4,) for x in jax.tree_util.tree_leaves(batch))
    back = lrjit.unstack(batch)
    assert back == xs
    assert [hash(x) for x in back] == [hash(x) for x in xs]
    assert lrjit.unstack(s) == [s]
    assert lrjit.stack(lrjit.unstack(batch)) == batch


def test_stack_of_one_and_of_traced_configs() -> None:
    """A batch of one has batch_size 1; configs holding jax arrays (or tracers, inside jit) stack too."""
    s = lrjit.ExponentialDecay(0.1, 100, 0.5)
    one = lrjit.stack([s])
    assert lrjit.batch_size(one) == 1
    _close(one(STEPS), s(STEPS)[None])

    @jax.jit
    def inside(lrs: jax.Array) -> jax.Array:
        batch = lrjit.stack([lrjit.ExponentialDecay(lrs[i], 100, 0.5) for i in range(3)])
        return lrjit.curves(batch, STEPS)

    lrs = jnp.array([0.1, 0.2, 0.3])
    want = jnp.stack([lrjit.ExponentialDecay(float(x), 100, 0.5)(STEPS) for x in lrs])
    _close(inside(lrs), want)


# ------------------------------------------------------------------------------------------------------
# batch_size
# ------------------------------------------------------------------------------------------------------
def test_batch_size() -> None:
    """None for one config; K for a stacked batch and for one batched leaf next to shared ones; a vector
    leaf's own axis is not a batch axis; disagreeing or nested batch axes raise."""
    s = lrjit.ExponentialDecay(0.1, 100, 0.5)
    assert lrjit.batch_size(s) is None
    assert lrjit.batch_size(lrjit.stack([s] * 5)) == 5
    assert lrjit.batch_size(lrjit.ExponentialDecay(np.array([0.1, 0.2, 0.3], np.float32), 100, 0.5)) == 3
    assert lrjit.batch_size(lrjit.ExponentialDecay(0.1, np.array([10, 20]), 0.5)) == 2
    pw = lrjit.PiecewiseConstantDecay([10, 20, 30], [1.0, 0.5, 0.1, 0.01])
    assert lrjit.batch_size(pw) is None
    assert lrjit.batch_size(lrjit.stack([pw, pw])) == 2
    assert lrjit.batch_size(pw.replace(values=np.tile(pw.values, (6, 1)))) == 6
    with pytest.raises(ValueError, match="disagree"):
        lrjit.batch_size(
            lrjit.ExponentialDecay(np.array([0.1, 0.2], np.float32), np.array([10, 20, 30]), 0.5)
        )
    with pytest.raises(ValueError, match="one batch axis"):
        lrjit.batch_size(lrjit.ExponentialDecay(np.ones((2, 2), np.float32), 100, 0.5))


# ------------------------------------------------------------------------------------------------------
# curves
# ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("s", _examples(), ids=lambda s: type(s).__name__)
def test_curves_count_equals_arange(s: Schedule) -> None:
    """``curves(s, N) == curves(s, arange(N)) == s(arange(N))``: [N] for one config, [K, N] for K."""
    n = 1200
    steps = np.arange(n)
    for sched, shape in ((s, (n,)), (lrjit.stack([_vary(s, i) for i in range(3)]), (3, n))):
        by_count = lrjit.curves(sched, n)
        assert by_count.shape == shape and by_count.dtype == jnp.float32
        _close(by_count, lrjit.curves(sched, steps))
        _close(by_count, sched(steps))
        _close(lrjit.curves(sched, np.int64(n)), by_count)
        _close(lrjit.curves(sched, jnp.arange(n)), by_count)
    assert lrjit.curves(s, 0).shape == (0,)
    assert lrjit.curves(lrjit.stack([s, s]), 0).shape == (2, 0)


def test_curves_rejects_bad_steps() -> None:
    """2-D step arrays, negative counts and steps, and non-integer counts or steps are rejected."""
    s = lrjit.ExponentialDecay(0.1, 100, 0.5)
    with pytest.raises(ValueError, match="1-D"):
        lrjit.curves(s, np.zeros((2, 3), np.int32))
    with pytest.raises(ValueError, match="1-D"):
        lrjit.curves(s, np.array(5))  # a 0-d array is not a count
    for bad in (-1, np.int64(-5)):
        with pytest.raises(ValueError):
            lrjit.curves(s, bad)
    with pytest.raises(ValueError):
        lrjit.curves(s, np.array([0, 5, -1]))
    for bad in (5.0, np.float32(3), True, np.array([0.0, 1.0])):
        with pytest.raises(TypeError):
            lrjit.curves(s, bad)


# ------------------------------------------------------------------------------------------------------
# checked_call
# ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("s", _examples(), ids=lambda s: type(s).__name__)
def test_checked_call_valid(s: Schedule) -> None:
    """A valid config and valid steps: no error, and the value of ``s(steps)``; eager and jitted."""
    err, value = lrjit.checked_call(s, STEPS)
    assert err.get() is None
    _close(value, s(STEPS))
    err, value = jax.jit(lrjit.checked_call)(s, STEPS)
    assert err.get() is None
    _close(value, s(STEPS))
    err, value = jax.jit(lrjit.checked_call)(lrjit.stack([s, _vary(s, 1)]), STEPS)
    assert err.get() is None and value.shape == (2, len(STEPS))


def _traced_exponential(lr: Any, decay_steps: Any, rate: Any, steps: Any) -> tuple[Any, jax.Array]:
    return lrjit.checked_call(lrjit.ExponentialDecay(lr, decay_steps, rate), steps)


@pytest.mark.parametrize(
    ("lr", "decay_steps", "rate", "field"),
    [
        (-1.0, 100, 0.5, "initial_learning_rate"),
        (float("nan"), 100, 0.5, "initial_learning_rate"),
        (float("inf"), 100, 0.5, "initial_learning_rate"),
        (0.1, 0, 0.5, "decay_steps"),
        (0.1, -7, 0.5, "decay_steps"),
        (0.1, 100, 0.0, "decay_rate"),
        (0.1, 100, float("nan"), "decay_rate"),
    ],
)
def test_checked_call_reports_traced_bad_hyperparameters(
    lr: float, decay_steps: int, rate: float, field: str
) -> None:
    """A config built inside jit from traced values cannot raise at construction; ``checked_call`` reports
    the violated domain, naming the argument, and ``err.throw()`` raises with that message."""
    f = jax.jit(_traced_exponential)
    err, _ = f(lr, decay_steps, rate, STEPS)
    message = err.get()
    assert message is not None and f"`{field}`" in message and "ExponentialDecay" in message
    with pytest.raises(checkify.JaxRuntimeError, match=field):
        err.throw()
    ok, _ = f(0.1, 100, 0.5, STEPS)
    assert ok.get() is None


def test_checked_call_reports_traced_cross_field_rules() -> None:
    """Rules spanning several fields are checked on traced values too."""
    pw = jax.jit(lambda b, t: lrjit.checked_call(lrjit.PiecewiseConstantDecay(b, [1.0, 0.5, 0.1]), t))
    assert "strictly increasing" in pw(jnp.array([50, 20]), STEPS)[0].get()
    assert pw(jnp.array([20, 50]), STEPS)[0].get() is None
    fs = jax.jit(
        lambda base, begin, t: lrjit.checked_call(
            lrjit.FactorScheduler(10, base_lr=base, warmup_begin_lr=begin, warmup_steps=5), t
        )
    )
    assert "warmup_begin_lr" in fs(0.01, 0.1, STEPS)[0].get()
    assert fs(0.1, 0.01, STEPS)[0].get() is None


def test_checked_call_reports_negative_traced_steps() -> None:
    """A negative step known only under tracing is reported; a concrete one raises at once."""
    s = lrjit.ExponentialDecay(0.1, 100, 0.5)
    err, _ = jax.jit(lrjit.checked_call)(s, jnp.array([3, -1, 5]))
    assert err.get() is not None and "step must be >= 0" in err.get()
    err, _ = jax.jit(lambda t: lrjit.checked_call(s, t))(-4)
    assert "step" in err.get()
    with pytest.raises(ValueError):
        lrjit.checked_call(s, -1)


def test_checked_call_reports_one_bad_config_in_a_traced_batch() -> None:
    """A batch built inside jit with one bad config reports it; an all-good batch does not."""
    f = jax.jit(lambda lrs, t: lrjit.checked_call(lrjit.ExponentialDecay(lrs, 100, 0.5), t))
    err, value = f(jnp.array([0.1, -1.0, 0.3]), STEPS)
    assert "initial_learning_rate" in err.get()
    err, value = f(jnp.array([0.1, 0.2, 0.3]), STEPS)
    assert err.get() is None and value.shape == (3, len(STEPS))


# ------------------------------------------------------------------------------------------------------
# replace, immutability
# ------------------------------------------------------------------------------------------------------
def test_replace_validates_and_copies() -> None:
    """``replace`` builds a validated copy: bad values raise naming the field; the original is unchanged."""
    s = lrjit.ExponentialDecay(0.1, 100, 0.5)
    t = s.replace(decay_steps=200, staircase=True)
    assert type(t) is lrjit.ExponentialDecay and int(t.decay_steps) == 200 and bool(t.staircase)
    assert int(s.decay_steps) == 100 and not bool(s.staircase)
    assert t.decay_steps.dtype == s.decay_steps.dtype
    for changes, field in (
        ({"decay_steps": 0}, "decay_steps"),
        ({"decay_steps": 2.5}, "decay_steps"),
        ({"initial_learning_rate": -0.1}, "initial_learning_rate"),
        ({"decay_rate": float("nan")}, "decay_rate"),
    ):
        with pytest.raises(ValueError, match=field):
            s.replace(**changes)
    with pytest.raises(ValueError, match="warmup_mode"):
        lrjit.FactorScheduler(10).replace(warmup_mode="cubic")
    with pytest.raises(ValueError, match="warmup_begin_lr"):
        lrjit.FactorScheduler(10, base_lr=0.01).replace(warmup_begin_lr=0.1)
    with pytest.raises(ValueError, match="strictly increasing"):
        lrjit.PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1]).replace(boundaries=[20, 10])
    with pytest.raises(TypeError):
        s.replace(no_such_field=1)


@pytest.mark.parametrize("s", _examples(), ids=lambda s: type(s).__name__)
def test_schedules_are_immutable(s: Schedule) -> None:
    """Fields cannot be assigned or deleted (``dataclasses.FrozenInstanceError``)."""
    for f in dataclasses.fields(s):
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(s, f.name, getattr(s, f.name))
        with pytest.raises(dataclasses.FrozenInstanceError):
            delattr(s, f.name)
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.new_attribute = 1  # type: ignore[attr-defined]


# ------------------------------------------------------------------------------------------------------
# schedules built inside jit
# ------------------------------------------------------------------------------------------------------
def test_schedule_built_inside_jit_matches_eager() -> None:
    """Constructing a schedule from traced floats and ints inside jit works (no concrete validation on
    tracers) and evaluates like the eager construction; a schedule can also be returned from jit."""
    f = jax.jit(lambda lr, d, rate, t: lrjit.ExponentialDecay(lr, d, rate)(t))
    _close(f(0.1, 100, 0.5, STEPS), lrjit.ExponentialDecay(0.1, 100, 0.5)(STEPS))

    g = jax.jit(
        lambda lr, peak, w, t: lrjit.CosineDecay(lr, 900, alpha=0.1, warmup_target=peak, warmup_steps=w)(t)
    )
    want = lrjit.CosineDecay(0.01, 900, alpha=0.1, warmup_target=0.2, warmup_steps=100)(STEPS)
    _close(g(0.01, 0.2, 100, STEPS), want)

    h = jax.jit(lambda v, t: lrjit.PiecewiseConstantDecay(jnp.array([10, 100, 500]), v)(t))
    values = jnp.array([1.0, 0.5, 0.1, 0.01])
    _close(h(values, STEPS), lrjit.PiecewiseConstantDecay([10, 100, 500], [1.0, 0.5, 0.1, 0.01])(STEPS))

    built = jax.jit(lambda lr: lrjit.ExponentialDecay(lr, 100, 0.5))(0.3)
    assert type(built) is lrjit.ExponentialDecay
    assert built == lrjit.ExponentialDecay(0.3, 100, 0.5)
    _close(built(STEPS), lrjit.ExponentialDecay(0.3, 100, 0.5)(STEPS))


def test_grad_through_construction() -> None:
    """``jax.grad`` of a learning rate with respect to a value passed to the constructor."""
    g = jax.grad(lambda lr: lrjit.ExponentialDecay(lr, 100, 0.5)(10))(0.1)
    np.testing.assert_allclose(g, 0.5**0.1, rtol=1e-6)
    g = jax.grad(lambda rate: lrjit.ExponentialDecay(0.1, 100, rate)(50))(0.5)
    np.testing.assert_allclose(g, 0.1 * 0.5 * 0.5 ** (0.5 - 1), rtol=1e-5)


# ------------------------------------------------------------------------------------------------------
# partition / combine
# ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("s", _examples(), ids=lambda s: type(s).__name__)
def test_partition_combine_round_trip(s: Schedule) -> None:
    """``partition`` splits the float leaves from the rest (None in the other's places);
    ``combine`` puts them back, for single and batched schedules and a custom predicate."""
    for sched in (s, lrjit.stack([s, _vary(s, 1)])):
        params, rest = lrjit.partition(sched)
        assert type(params) is type(sched) and type(rest) is type(sched)
        p_leaves = jax.tree_util.tree_leaves(params)
        r_leaves = jax.tree_util.tree_leaves(rest)
        assert p_leaves and all(is_float_leaf(x) for x in p_leaves)
        assert not any(is_float_leaf(x) for x in r_leaves)
        assert len(p_leaves) + len(r_leaves) == len(jax.tree_util.tree_leaves(sched))
        back = lrjit.combine(params, rest)
        assert type(back) is type(sched) and back == sched
        assert lrjit.combine(rest, params) == sched
        _close(back(STEPS), sched(STEPS))
    ints, others = lrjit.partition(s, lambda x: jnp.issubdtype(jnp.result_type(x), jnp.integer))
    assert all(jnp.issubdtype(jnp.result_type(x), jnp.integer) for x in jax.tree_util.tree_leaves(ints))
    assert lrjit.combine(ints, others) == s


def test_partition_params_are_what_grad_differentiates() -> None:
    """The float half of a partition is a valid ``jax.grad`` argument; its gradient has its structure."""
    s = lrjit.CosineDecay(0.0, 900, alpha=0.1, warmup_target=0.2, warmup_steps=100)
    params, rest = lrjit.partition(s)
    grads = jax.grad(lambda p: lrjit.combine(p, rest)(STEPS).sum())(params)
    assert jax.tree_util.tree_structure(grads) == jax.tree_util.tree_structure(params)
    assert grads.decay_steps is None and grads.warmup_steps is None
    assert all(np.isfinite(np.asarray(g)) for g in jax.tree_util.tree_leaves(grads))
