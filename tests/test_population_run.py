"""``population_run``: T steps of K models as one jitted program (``lax.scan`` over the vmapped step) gives
what T calls of ``population_step`` give; its metrics are stacked ``[T, K, ...]``; the data is stacked per
step (or computed from the step index); and the digits example trains a small sweep.

Bitwise: on CPU the scanned program and the loop of jitted steps agree bitwise (measured for sgd with
momentum and for adam on a tanh MLP whose matmuls are batched over the K models): the loop body is the same
computation as the standalone step. Should a backend fuse the loop body differently, these assertions are
the ones to relax to a tolerance.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import lrjit
from lrjit import Schedule
from lrjit.train import population_init, population_run, population_step
from lrjit.train.bridge import inject_hyperparams

K, T, N_DATA, D_IN, D_HIDDEN = 4, 30, 32, 6, 8

Params = dict[str, jax.Array]
Batch = tuple[jax.Array, jax.Array]


def _batches(seed: int, lead: tuple[int, ...]) -> Batch:
    """Regression data y = sin(x @ w) + noise, with leading axes ``lead`` (T, or T and K)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(*lead, N_DATA, D_IN)).astype(np.float32)
    y = np.sin(x @ rng.normal(size=D_IN)) + 0.1 * rng.normal(size=(*lead, N_DATA))
    return jnp.asarray(x), jnp.asarray(y, jnp.float32)


def _params(seed: int) -> Params:
    rng = np.random.default_rng(seed)
    return {
        "w1": jnp.asarray(rng.normal(size=(K, D_IN, D_HIDDEN)) / np.sqrt(D_IN), jnp.float32),
        "b1": jnp.zeros((K, D_HIDDEN)),
        "w2": jnp.asarray(rng.normal(size=(K, D_HIDDEN)) / np.sqrt(D_HIDDEN), jnp.float32),
    }


def _loss(params: Params, batch: Batch) -> jax.Array:
    x, y = batch
    return jnp.mean((jnp.tanh(x @ params["w1"] + params["b1"]) @ params["w2"] - y) ** 2)


def _sgd_momentum(schedule: Schedule) -> optax.GradientTransformation:
    return inject_hyperparams(optax.sgd)(learning_rate=schedule, momentum=0.9)


def _adam(schedule: Schedule) -> optax.GradientTransformation:
    return inject_hyperparams(optax.adam)(learning_rate=schedule)


def _make_step(make: Callable[[Any], optax.GradientTransformation]) -> Callable[..., Any]:
    def train_step(params: Params, opt_state: Any, schedule: Any, batch: Batch) -> tuple[Any, Any, Any]:
        loss, grads = jax.value_and_grad(_loss)(params, batch)
        updates, opt_state = make(schedule).update(grads, opt_state, params)
        metrics = {"loss": loss, "lr": opt_state.hyperparams["learning_rate"], "w2": params["w2"][:3]}
        return optax.apply_updates(params, updates), opt_state, metrics

    return train_step


COSINE = lrjit.random(
    lrjit.CosineDecay(0.0, decay_steps=T, warmup_target=0.1, warmup_steps=0),
    K,
    0,
    warmup_target=lrjit.log_uniform(0.01, 0.3),
    warmup_steps=lrjit.integers(0, 8),
    alpha=lrjit.choice([0.0, 0.1]),
)
EXPONENTIAL = lrjit.grid(
    lrjit.ExponentialDecay(0.01, decay_steps=5, decay_rate=0.5, staircase=True),
    initial_learning_rate=[0.003, 0.03],
    decay_rate=[0.5, 0.9],
)
CASES = {"cosine-sgd-momentum": (COSINE, _sgd_momentum), "exponential-adam": (EXPONENTIAL, _adam)}


def _loop(
    step: Callable[..., Any], params: Any, states: Any, schedules: Any, batches: Any
) -> tuple[Any, ...]:
    """T calls of a population step, the metrics stacked on a leading T axis."""
    seen = []
    for t in range(T):
        batch = jax.tree.map(lambda b, t=t: b[t], batches)
        params, states, metrics = step(params, states, schedules, batch)
        seen.append(metrics)
    return params, states, jax.tree.map(lambda *m: jnp.stack(m), *seen)


def _assert_trees_equal(a: Any, b: Any) -> None:
    assert jax.tree.structure(a) == jax.tree.structure(b)
    for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("data_axes", [None, 0], ids=["shared-data", "per-model-data"])
def test_run_equals_a_loop_of_population_steps(case: str, data_axes: Any) -> None:
    """Final params, optimizer states and every step's metrics: bitwise those of the Python loop."""
    schedules, make = CASES[case]
    batches = _batches(1, (T,) if data_axes is None else (T, K))
    params = _params(2)
    states = population_init(make, params, schedules)
    want = _loop(population_step(_make_step(make), data_axes=data_axes), params, states, schedules, batches)
    got = population_run(_make_step(make), data_axes=data_axes)(params, states, schedules, batches)
    _assert_trees_equal(got, want)


def test_metrics_are_stacked_steps_by_models() -> None:
    """Each metrics leaf is ``[T, K, ...]``; update t of model i used ``schedule_i(t)``."""
    schedules, make = CASES["cosine-sgd-momentum"]
    params = _params(3)
    run = population_run(_make_step(make))
    _, states, metrics = run(params, population_init(make, params, schedules), schedules, _batches(4, (T,)))
    assert metrics["loss"].shape == (T, K) and metrics["lr"].shape == (T, K)
    assert metrics["w2"].shape == (T, K, 3)
    np.testing.assert_array_equal(metrics["lr"].T, lrjit.curves(schedules, T))
    np.testing.assert_array_equal(states.count, np.full(K, T))
    losses = np.asarray(metrics["loss"])
    assert np.all(np.isfinite(losses)) and np.all(losses[-5:].mean(0) < losses[:5].mean(0))


def test_step_index_as_the_data() -> None:
    """``batches = jnp.arange(T)``: the step computes its data from the step index (here, it picks its
    minibatch from a dataset it closes over), without a stacked copy of the data as an argument."""
    schedules, make = CASES["exponential-adam"]
    pool = _batches(10, (T,))

    def train_step(params: Params, opt_state: Any, schedule: Any, t: jax.Array) -> tuple[Any, Any, Any]:
        return _make_step(make)(params, opt_state, schedule, jax.tree.map(lambda b: b[t], pool))

    params = _params(5)
    states = population_init(make, params, schedules)
    got = population_run(train_step)(params, states, schedules, jnp.arange(T))
    want = population_run(_make_step(make))(params, states, schedules, pool)
    _assert_trees_equal(got, want)


def test_a_run_continues_from_its_states_and_unroll_keeps_the_values() -> None:
    """Two runs of T/2 steps (the second from the first's states) equal one run of T, bitwise; so does a
    run with ``unroll=3`` and one with donated buffers."""
    schedules, make = CASES["cosine-sgd-momentum"]
    batches = _batches(6, (T,))
    params = _params(7)
    states = population_init(make, params, schedules)
    whole = population_run(_make_step(make))(params, states, schedules, batches)
    half = population_run(_make_step(make))
    first = jax.tree.map(lambda b: b[: T // 2], batches)
    second = jax.tree.map(lambda b: b[T // 2 :], batches)
    p, s, m1 = half(params, states, schedules, first)
    p, s, m2 = half(p, s, schedules, second)
    _assert_trees_equal((p, s, jax.tree.map(lambda a, b: jnp.concatenate([a, b]), m1, m2)), whole)
    _assert_trees_equal(population_run(_make_step(make), unroll=3)(params, states, schedules, batches), whole)
    donated = population_run(_make_step(make), donate=True)
    copies = jax.tree.map(jnp.copy, (params, states))
    _assert_trees_equal(donated(*copies, schedules, batches), whole)


def test_new_configs_do_not_recompile() -> None:
    """Another batch of configs of the same structure runs the compiled program: one trace."""
    traces = 0
    make = _adam

    def train_step(params: Params, opt_state: Any, schedule: Any, batch: Batch) -> tuple[Any, Any, Any]:
        nonlocal traces
        traces += 1
        return _make_step(make)(params, opt_state, schedule, batch)

    run = population_run(train_step)
    other = lrjit.grid(
        lrjit.ExponentialDecay(0.01, decay_steps=9, decay_rate=0.5, staircase=False),
        initial_learning_rate=[0.01, 0.001],
        decay_rate=[0.3, 0.7],
    )
    params, batches = _params(8), _batches(9, (T,))
    finals = [run(params, population_init(make, params, s), s, batches)[0] for s in (EXPONENTIAL, other)]
    assert traces == 1 and run._cache_size() == 1
    assert not np.array_equal(finals[0]["w2"], finals[1]["w2"])


@pytest.mark.parametrize(
    ("batches", "message"),
    [
        ({}, "batches holds no arrays"),
        (jnp.float32(1.0), r"leading step axis of one length T >= 1, got leaf shapes \[\(\)\]"),
        ((jnp.zeros((3, 2)), jnp.zeros((4, 2))), r"got leaf shapes \[\(3, 2\), \(4, 2\)\]"),
        (jnp.zeros((0, 2)), r"got leaf shapes \[\(0, 2\)\]"),
    ],
    ids=["empty", "scalar", "lengths-disagree", "zero-steps"],
)
def test_bad_batches_are_named(batches: Any, message: str) -> None:
    schedules, make = CASES["exponential-adam"]
    params = _params(0)
    run = population_run(lambda p, s, sched, b: (p, s, 0.0))
    with pytest.raises(ValueError, match=message):
        run(params, population_init(make, params, schedules), schedules, batches)


@pytest.mark.parametrize("unroll", [0, -1, 1.5, True])
def test_bad_unroll_is_named(unroll: Any) -> None:
    with pytest.raises(ValueError, match=rf"population_run: unroll must be an integer >= 1, got {unroll!r}"):
        population_run(lambda p, s, sched, b: (p, s, 0.0), unroll=unroll)


# ------------------------------------------------------------------------------------------------------
def test_digits_sweep_trains() -> None:
    """8 configs x 60 steps: ``[K]`` results, finite, the swept values those of the schedules; the best
    config reaches 0.9 test accuracy (measured 0.947 / 0.956 / 0.951 for seeds 0 / 1 / 2; 10 classes, so
    chance is 0.1)."""
    pytest.importorskip("sklearn")
    from lrjit.train import digits

    result = digits.run(models=8, steps=60, seed=0)
    assert result.train_loss.shape == result.test_accuracy.shape == (8,)
    assert result.losses.shape == (60, 8)
    assert np.all(np.isfinite(result.train_loss)) and np.all(np.isfinite(result.test_accuracy))
    assert result.test_accuracy.max() >= 0.9
    assert set(result.configs) == {"warmup_target", "warmup_steps", "alpha"}
    np.testing.assert_array_equal(result.configs["warmup_steps"], result.schedules.warmup_steps)
    # Every config's cosine ends with the run: decay_steps + warmup_steps = steps.
    np.testing.assert_array_equal(result.schedules.decay_steps + result.schedules.warmup_steps, 60)
    order = result.ranking()
    assert sorted(order) == list(range(8)) and np.all(np.diff(result.test_accuracy[order]) <= 0)
    table = result.table(3).splitlines()
    assert len(table) == 5 and table[2].startswith("| 1 | ")
    assert f"{result.test_accuracy.max():.4f}" in table[2]


def test_digits_arguments_and_missing_sklearn(monkeypatch: pytest.MonkeyPatch) -> None:
    from lrjit.train import digits

    with pytest.raises(ValueError, match=r"digits.run: models must be an integer >= 1, got 0"):
        digits.run(models=0)
    with pytest.raises(ValueError, match=r"digits.run: steps must be an integer >= 8, got 5"):
        digits.run(models=4, steps=5)
    monkeypatch.setitem(sys.modules, "sklearn", None)  # import sklearn then raises ImportError
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(ImportError, match="pip install scikit-learn"):
        digits.load_data()
