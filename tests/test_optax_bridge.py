"""lrjit schedules inside optax: as the learning rate of ``optax.sgd`` / ``optax.adam``, through
``inject_hyperparams`` (lrjit's float32 default and optax's own), for other hyperparameters (momentum, b1,
weight decay), with bfloat16 params, and under jit with the schedule as an argument.

Eager updates are compared bitwise with NumPy float32 arithmetic: optax multiplies the direction by the
(negated) rate once, so ``update_k == -sched(k) * direction_k`` holds exactly.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import lrjit
from lrjit import Schedule
from lrjit.train.bridge import as_optax_schedule, inject_hyperparams

FAMILIES = sorted(lrjit.registry())
UPDATES = 6  # eager updates per family and optimizer
SCAN_STEPS = 300  # jitted updates per family

# Optimizers taking a learning rate (constant or schedule), by name.
OPTIMIZERS: dict[str, Callable[[Any], optax.GradientTransformation]] = {
    "sgd": lambda lr: optax.sgd(lr),
    "adam": lambda lr: optax.adam(lr),
    "inject_sgd": lambda lr: inject_hyperparams(optax.sgd)(learning_rate=lr, momentum=0.9),
    "inject_adam": lambda lr: inject_hyperparams(optax.adam)(learning_rate=lr),
    "optax_inject_adam": lambda lr: optax.inject_hyperparams(optax.adam)(learning_rate=lr),
}


def _sample(name: str, seed: int = 0) -> Schedule:
    return lrjit.registry()[name].sample(np.random.default_rng(FAMILIES.index(name) + 100 * seed))


def _structure(s: Schedule) -> tuple[Any, ...]:
    leaves, treedef = jax.tree_util.tree_flatten(s)
    return treedef, tuple((jnp.shape(x), jnp.result_type(x)) for x in leaves)


def _same_structure(name: str, like: Schedule) -> Schedule:
    """Another random config of ``like``'s structure (same optional fields, same vector lengths)."""
    for seed in range(1, 500):
        s = _sample(name, seed)
        if _structure(s) == _structure(like) and s != like:
            return s
    raise RuntimeError(f"{name}: no second config of the same structure")


def _grads(k: int, shape: tuple[int, ...] = (3,), dtype: Any = np.float32) -> np.ndarray:
    return np.random.default_rng(1000 + k).normal(size=shape).astype(dtype)


def _close(got: Any, want: Any) -> None:
    """Equal up to XLA's fusion differences: 1e-6 relative, 1e-7 of the largest value."""
    got, want = np.asarray(got), np.asarray(want)
    scale = float(np.nanmax(np.abs(want))) if want.size else 0.0
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7 * scale)


# ------------------------------------------------------------------------------------------------------
# an lrjit schedule is an optax schedule
# ------------------------------------------------------------------------------------------------------
def test_as_optax_schedule_is_the_schedule_itself() -> None:
    s = lrjit.ExponentialDecay(0.1, decay_steps=2, decay_rate=0.5, staircase=True)
    assert as_optax_schedule(s) is s
    # optax's own protocol: a callable of the int32 count, concrete or traced.
    for k in range(5):
        count = jnp.asarray(k, jnp.int32)
        assert float(s(count)) == float(jax.jit(s)(count)) == np.float32(0.1) * 0.5 ** (k // 2)
    tx = optax.sgd(as_optax_schedule(s))
    params = jnp.ones(3)
    state = tx.init(params)
    for k in range(5):
        g = _grads(k)
        updates, state = tx.update(jnp.asarray(g), state, params)
        np.testing.assert_array_equal(np.asarray(updates), -np.asarray(s(k)) * g)


def test_as_optax_schedule_rejects_batches_and_other_objects() -> None:
    batch = lrjit.stack([lrjit.CosineDecay(r, 100) for r in (0.1, 0.2)])
    with pytest.raises(ValueError, match="batched schedule"):
        as_optax_schedule(batch)
    with pytest.raises(TypeError, match="lrjit schedule"):
        as_optax_schedule(optax.constant_schedule(0.1))  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------------------
# every family as the learning rate
# ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
@pytest.mark.parametrize("name", FAMILIES)
def test_family_as_learning_rate(name: str, optimizer: str) -> None:
    """Update k uses ``sched(k)``: it equals ``-sched(k) * direction_k`` bitwise, where the direction is
    the update of the same optimizer with learning rate 1 (for sgd: the gradient); with injection,
    ``state.hyperparams['learning_rate']`` holds ``sched(0)`` after init and ``sched(k)`` after update k."""
    sched = _sample(name)
    make = OPTIMIZERS[optimizer]
    tx, unit = make(sched), make(1.0)
    params = jnp.asarray([0.5, -1.0, 2.0], jnp.float32)
    state, unit_state = tx.init(params), unit.init(params)
    injected = "inject" in optimizer
    if injected:
        assert state.hyperparams["learning_rate"].dtype == jnp.float32
        np.testing.assert_array_equal(state.hyperparams["learning_rate"], sched(0))
    for k in range(UPDATES):
        lr = np.asarray(sched(k))
        g = jnp.asarray(_grads(k))
        updates, state = tx.update(g, state, params)
        unit_updates, unit_state = unit.update(g, unit_state, params)
        direction = -np.asarray(unit_updates)
        if optimizer == "sgd":
            np.testing.assert_array_equal(direction, np.asarray(g))
        np.testing.assert_array_equal(np.asarray(updates), -lr * direction)
        if injected:
            np.testing.assert_array_equal(state.hyperparams["learning_rate"], lr)
        params = optax.apply_updates(params, updates)


@pytest.mark.parametrize("name", FAMILIES)
def test_family_under_jit_reuses_the_program(name: str) -> None:
    """A jitted ``lax.scan`` of injected sgd updates, the schedule an argument: the rates it records are
    the family's curve (``lrjit.curves``, also jitted), and a second config of the same structure runs the
    same compiled program."""
    traces = 0

    def run(sched: Schedule, params: jax.Array) -> jax.Array:
        nonlocal traces
        traces += 1
        tx = inject_hyperparams(optax.sgd)(learning_rate=sched, momentum=0.9)

        def body(carry: Any, g: jax.Array) -> tuple[Any, jax.Array]:
            p, state = carry
            updates, state = tx.update(g, state, p)
            return (optax.apply_updates(p, updates), state), state.hyperparams["learning_rate"]

        grads = jnp.ones((SCAN_STEPS, *params.shape), params.dtype) * 1e-3
        return jax.lax.scan(body, (params, tx.init(params)), grads)[1]

    jitted = jax.jit(run)
    first = _sample(name)
    second = _same_structure(name, first)
    for sched in (first, second):
        rates = jitted(sched, jnp.zeros(3, jnp.float32))
        assert rates.dtype == jnp.float32
        _close(rates, lrjit.curves(sched, SCAN_STEPS))
    assert traces == 1 and jitted._cache_size() == 1


# ------------------------------------------------------------------------------------------------------
# bfloat16 params (optax issue #1414)
# ------------------------------------------------------------------------------------------------------
def _bf16_run(tx: optax.GradientTransformation, n: int = 4) -> tuple[list[Any], list[Any], Any]:
    """``n`` jitted updates on bfloat16 params: (updates, states after each update, the jitted update)."""
    params = jnp.asarray([0.5, -1.0, 2.0, 0.25], jnp.bfloat16)
    update = jax.jit(tx.update)
    state = tx.init(params)
    all_updates, states = [], [state]
    for k in range(n):
        updates, state = update(jnp.asarray(_grads(k, (4,)), jnp.bfloat16), state, params)
        params = optax.apply_updates(params, updates)
        all_updates.append(updates)
        states.append(state)
    return all_updates, states, update


def _dtypes(tree: Any) -> list[str]:
    return [str(jnp.result_type(x)) for x in jax.tree.leaves(tree)]


def test_bf16_params_get_float32_hyperparameters() -> None:
    """lrjit's ``inject_hyperparams``: the scheduled rate and the constant momentum are float32 at every
    step; the updates stay bfloat16; the optimizer state keeps its dtypes, so one compilation serves every
    step."""
    sched = lrjit.CosineDecay(0.1, decay_steps=10, warmup_target=0.3, warmup_steps=2)
    tx = inject_hyperparams(optax.sgd)(learning_rate=sched, momentum=0.9)
    all_updates, states, update = _bf16_run(tx)
    for k, state in enumerate(states):
        lr, momentum = state.hyperparams["learning_rate"], state.hyperparams["momentum"]
        assert lr.dtype == momentum.dtype == jnp.float32
        np.testing.assert_array_equal(lr, sched(max(k - 1, 0)))
        assert float(momentum) == float(np.float32(0.9))
        assert _dtypes(state) == _dtypes(states[0])
    assert all(u.dtype == jnp.bfloat16 for u in all_updates)
    assert update._cache_size() == 1


def test_bf16_rate_is_applied_in_float32_then_rounded_once() -> None:
    """sgd on bfloat16 params with a float32 rate: ``update = bf16(-lr_f32 * f32(g))``, one rounding."""
    sched = lrjit.ExponentialDecay(0.1234567, decay_steps=3, decay_rate=0.77)
    all_updates, _, _ = _bf16_run(inject_hyperparams(optax.sgd)(learning_rate=sched))
    for k, updates in enumerate(all_updates):
        g = jnp.asarray(_grads(k, (4,)), jnp.bfloat16).astype(jnp.float32)
        want = (-np.asarray(sched(k)) * np.asarray(g)).astype(jnp.bfloat16)
        np.testing.assert_array_equal(np.asarray(updates), want)


def test_bf16_adamw_state_dtypes_are_stable_in_scan() -> None:
    """adamw with scheduled rate, b1 and weight decay on bfloat16 params: the moments stay bfloat16, so
    the state is a valid ``lax.scan`` carry (optax's float32 injection promotes them after one update)."""
    sched = lrjit.CosineDecay(1e-3, decay_steps=20)
    b1 = lrjit.CosineScheduler(20, base_lr=0.85, final_lr=0.95)
    tx = inject_hyperparams(optax.adamw)(learning_rate=sched, b1=b1, weight_decay=sched)
    params = jnp.ones(8, jnp.bfloat16)
    state = tx.init(params)

    def body(carry: Any, _: Any) -> tuple[Any, Any]:
        p, s = carry
        updates, s = tx.update(p * 0.1, s, p)
        return (optax.apply_updates(p, updates), s), s.hyperparams

    (params, final), hyper = jax.lax.scan(body, (params, state), None, length=20)
    assert params.dtype == jnp.bfloat16
    assert _dtypes(final) == _dtypes(state)
    steps = np.arange(20, dtype=np.int32)
    for key, s in (("learning_rate", sched), ("b1", b1), ("weight_decay", sched)):
        assert hyper[key].dtype == jnp.float32
        _close(hyper[key], s(steps))


def test_optax_inject_gives_bf16_constants() -> None:
    """optax's own ``inject_hyperparams`` (and ``hyperparam_dtype=None`` here) casts constants to the
    params' dtype: the motivation for the float32 default (optax issue #1414)."""
    params = jnp.ones(4, jnp.bfloat16)
    optax_default = inject_hyperparams(optax.sgd, hyperparam_dtype=None)
    for factory in (optax.inject_hyperparams(optax.sgd), optax_default):
        state = factory(learning_rate=0.1, momentum=0.9).init(params)
        assert state.hyperparams["learning_rate"].dtype == jnp.bfloat16
        assert state.hyperparams["momentum"].dtype == jnp.bfloat16
        assert float(state.hyperparams["momentum"]) != float(np.float32(0.9))
    ours = inject_hyperparams(optax.sgd)(learning_rate=0.1, momentum=0.9).init(params)
    assert ours.hyperparams["learning_rate"].dtype == ours.hyperparams["momentum"].dtype == jnp.float32


def test_user_chosen_bf16_hyperparameters() -> None:
    """``hyperparam_dtype=jnp.bfloat16``: constants and schedule values alike are bfloat16."""
    sched = lrjit.CosineDecay(0.1, decay_steps=10)
    tx = inject_hyperparams(optax.sgd, hyperparam_dtype=jnp.bfloat16)(learning_rate=sched, momentum=0.9)
    all_updates, states, update = _bf16_run(tx)
    for k, state in enumerate(states):
        lr = state.hyperparams["learning_rate"]
        assert lr.dtype == state.hyperparams["momentum"].dtype == jnp.bfloat16
        np.testing.assert_array_equal(lr, np.asarray(sched(max(k - 1, 0))).astype(jnp.bfloat16))
    assert all(u.dtype == jnp.bfloat16 for u in all_updates)
    assert update._cache_size() == 1


def test_float32_params_are_unchanged() -> None:
    """With float32 params lrjit's and optax's injection give the same updates, bit for bit."""
    sched = lrjit.PolynomialDecay(0.3, decay_steps=5, power=2.0)
    ours = inject_hyperparams(optax.sgd)(learning_rate=sched, momentum=0.9, nesterov=True)
    theirs = optax.inject_hyperparams(optax.sgd)(learning_rate=sched, momentum=0.9, nesterov=True)
    params = jnp.ones(3, jnp.float32)
    a, b = ours.init(params), theirs.init(params)
    for k in range(6):
        g = jnp.asarray(_grads(k))
        ua, a = ours.update(g, a, params)
        ub, b = theirs.update(g, b, params)
        assert ua.dtype == jnp.float32
        np.testing.assert_array_equal(ua, ub)
        np.testing.assert_array_equal(a.hyperparams["learning_rate"], b.hyperparams["learning_rate"])


# ------------------------------------------------------------------------------------------------------
# schedules for other hyperparameters
# ------------------------------------------------------------------------------------------------------
# A cosine rising from 0.85 to 0.95 (MXNet's count starts at 1: update k uses the value at k + 1 of 8).
RISING = lrjit.CosineScheduler(8, base_lr=0.85, final_lr=0.95)


@pytest.mark.parametrize(
    ("factory", "name"),
    [(optax.sgd, "momentum"), (optax.adam, "b1"), (optax.adamw, "weight_decay")],
)
def test_scheduled_hyperparameter(factory: Callable[..., Any], name: str) -> None:
    """Any numeric hyperparameter takes an lrjit schedule: its value at update k is the schedule's."""
    tx = inject_hyperparams(factory)(learning_rate=0.01, **{name: RISING})
    params = jnp.ones(3, jnp.float32)
    state = tx.init(params)
    np.testing.assert_array_equal(state.hyperparams[name], RISING(0))
    for k in range(10):
        _, state = tx.update(jnp.asarray(_grads(k)), state, params)
        np.testing.assert_array_equal(state.hyperparams[name], RISING(k))
    rising = np.asarray(RISING(np.arange(10, dtype=np.int32)))
    assert 0.85 < rising[0] and np.all(np.diff(rising[:8]) > 0) and np.all(rising[7:] == np.float32(0.95))


def test_scheduled_momentum_is_applied() -> None:
    """sgd with a scheduled momentum: ``trace_k = g_k + m_k * trace_{k-1}``, ``update_k = -lr * trace_k``."""
    tx = inject_hyperparams(optax.sgd)(learning_rate=0.5, momentum=RISING)
    params = jnp.ones(3, jnp.float32)
    state = tx.init(params)
    trace = np.zeros(3, np.float32)
    for k in range(10):
        g = _grads(k)
        updates, state = tx.update(jnp.asarray(g), state, params)
        trace = g + np.asarray(RISING(k)) * trace
        np.testing.assert_allclose(np.asarray(updates), np.float32(-0.5) * trace, rtol=1e-6)


class _HalvingSchedule:
    """A stateful optax schedule (``init`` / ``update`` / ``__call__``) returning Python floats."""

    def init(self) -> jax.Array:
        return jnp.zeros([], jnp.int32)

    def update(self, state: jax.Array, **extra_args: Any) -> jax.Array:
        return state + 1

    def __call__(self, state: jax.Array, **extra_args: Any) -> Any:
        return 0.5**state  # weakly typed: optax alone would cast it to the params dtype


def test_stateful_schedules_and_static_args() -> None:
    """A stateful schedule's value is cast too; a ``static_args`` callable (a mask) is never called as a
    schedule."""
    assert isinstance(_HalvingSchedule(), optax.schedules.StatefulSchedule)
    mask = lambda p: jax.tree.map(lambda x: x.ndim > 1, p)  # noqa: E731
    tx = inject_hyperparams(optax.adamw, static_args="mask")(learning_rate=_HalvingSchedule(), mask=mask)
    params = {"w": jnp.ones((2, 2), jnp.bfloat16), "b": jnp.ones(2, jnp.bfloat16)}
    state = tx.init(params)
    for k in range(3):
        assert state.hyperparams["learning_rate"].dtype == jnp.float32
        assert float(state.hyperparams["learning_rate"]) == 0.5 ** max(k - 1, 0)
        updates, state = tx.update(params, state, params)
        assert jax.tree.map(lambda u: u.dtype, updates) == {"w": jnp.bfloat16, "b": jnp.bfloat16}
