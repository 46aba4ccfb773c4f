"""Population training: K tiny MLPs, each with its own config of a batched schedule, trained by one jitted,
vmapped step, give the same params and learning rates as K separate runs with the single schedules, and
new configs of the same structure reuse the compiled step.

Bitwise or not: the rates each model uses are bitwise those of its separate run, and so are the params
of sgd with momentum on a problem whose gradient is elementwise. The MLP's params are not bitwise: XLA
sums a batched matmul (vmapped over the K models) in another order than K single matmuls, so the loss and
the gradients differ in the last bit from the first step on, and 50 steps of training carry that along.
They agree to 1e-6 relative plus 2e-6 of each tensor's largest magnitude (measured on CPU: at most 7.9e-7
of it).
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
from lrjit.train.bridge import inject_hyperparams
from lrjit.train.population import population_init, population_step, replicate, schedule_axes

K, STEPS, N_DATA, D_IN, D_HIDDEN = 4, 50, 64, 8, 16

Params = dict[str, jax.Array]
Batch = tuple[jax.Array, jax.Array]


def _data(seed: int) -> Batch:
    """A synthetic regression problem from a fixed seed: y = sin(x @ w) + noise (NumPy draws, float32)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(N_DATA, D_IN)).astype(np.float32)
    y = np.sin(x @ rng.normal(size=D_IN)) + 0.1 * rng.normal(size=N_DATA)
    return jnp.asarray(x), jnp.asarray(y, jnp.float32)


def _init_params(seed: int) -> Params:
    rng = np.random.default_rng(seed)
    return {
        "w1": jnp.asarray(rng.normal(size=(D_IN, D_HIDDEN)) / np.sqrt(D_IN), jnp.float32),
        "b1": jnp.zeros(D_HIDDEN),
        "w2": jnp.asarray(rng.normal(size=D_HIDDEN) / np.sqrt(D_HIDDEN), jnp.float32),
    }


def _loss(params: Params, batch: Batch) -> jax.Array:
    x, y = batch
    h = jnp.tanh(x @ params["w1"] + params["b1"])
    return jnp.mean((h @ params["w2"] - y) ** 2)


def _sgd_momentum(schedule: Schedule) -> optax.GradientTransformation:
    return inject_hyperparams(optax.sgd)(learning_rate=schedule, momentum=0.9)


def _adam(schedule: Schedule) -> optax.GradientTransformation:
    return inject_hyperparams(optax.adam)(learning_rate=schedule)


def _make_step(
    make_optimizer: Callable[[Any], optax.GradientTransformation],
    loss_fn: Callable[[Params, Batch], jax.Array] = _loss,
) -> Callable[..., Any]:
    """The train step of ONE model with ONE config; it records the rate its update used."""

    def train_step(params: Params, opt_state: Any, schedule: Any, batch: Batch) -> tuple[Any, Any, Any]:
        loss, grads = jax.value_and_grad(loss_fn)(params, batch)
        updates, opt_state = make_optimizer(schedule).update(grads, opt_state, params)
        metrics = {"loss": loss, "lr": opt_state.hyperparams["learning_rate"]}
        return optax.apply_updates(params, updates), opt_state, metrics

    return train_step


COSINE = [
    lrjit.CosineDecay(0.01, decay_steps=40, alpha=0.0, warmup_target=0.1, warmup_steps=5),
    lrjit.CosineDecay(0.02, decay_steps=20, alpha=0.1, warmup_target=0.3, warmup_steps=10),
    lrjit.CosineDecay(0.0, decay_steps=45, alpha=0.05, warmup_target=0.05, warmup_steps=0),
    lrjit.CosineDecay(0.05, decay_steps=30, alpha=0.2, warmup_target=0.2, warmup_steps=20),
]
EXPONENTIAL = [
    lrjit.ExponentialDecay(0.01, decay_steps=10, decay_rate=0.5, staircase=True),
    lrjit.ExponentialDecay(0.03, decay_steps=7, decay_rate=0.8, staircase=False),
    lrjit.ExponentialDecay(0.003, decay_steps=25, decay_rate=0.3, staircase=False),
    lrjit.ExponentialDecay(0.05, decay_steps=3, decay_rate=0.9, staircase=True),
]
CASES = {"cosine-sgd-momentum": (COSINE, _sgd_momentum), "exponential-adam": (EXPONENTIAL, _adam)}


def _population_params() -> Params:
    """K different initial params (leading axis K)."""
    return jax.tree.map(lambda *xs: jnp.stack(xs), *[_init_params(10 + i) for i in range(K)])


def _member(tree: Any, i: int) -> Any:
    return jax.tree.map(lambda x: x[i], tree)


def _separate_runs(
    schedules: list[Schedule],
    make: Callable[[Any], Any],
    params: Params,
    batches: list[Batch],
    loss_fn: Callable[[Params, Batch], jax.Array] = _loss,
) -> tuple[list[Params], np.ndarray]:
    """K independent runs of one jitted single-model step: final params and the rates used, [K, STEPS]."""
    step = jax.jit(_make_step(make, loss_fn))
    finals, rates = [], []
    for i, sched in enumerate(schedules):
        p = _member(params, i)
        state = make(sched).init(p)
        lrs = []
        for _ in range(STEPS):
            p, state, m = step(p, state, sched, batches[i])
            lrs.append(m["lr"])
        finals.append(p)
        rates.append(lrs)
    return finals, np.asarray(rates)


def _assert_same_params(population: Params, finals: list[Params]) -> None:
    """The population's model i equals separate run i: 1e-6 relative, plus 2e-6 of the tensor's largest
    magnitude for elements near 0 (the matmuls' last-bit differences, see the module docstring)."""
    for i, final in enumerate(finals):
        for name, value in final.items():
            atol = 2e-6 * float(np.max(np.abs(value)))
            np.testing.assert_allclose(population[name][i], value, rtol=1e-6, atol=atol, err_msg=name)


@pytest.mark.parametrize("case", sorted(CASES))
def test_population_equals_separate_runs(case: str) -> None:
    """50 steps of the population step (one shared batch) give each model the params of its own separate
    run, and each model's rates are its own schedule's curve."""
    singles, make = CASES[case]
    batched = lrjit.stack(singles)
    batch = _data(0)
    params = _population_params()

    step = population_step(_make_step(make))
    p, states = params, population_init(make, params, batched)
    rates = []
    for _ in range(STEPS):
        p, states, metrics = step(p, states, batched, batch)
        assert metrics["loss"].shape == metrics["lr"].shape == (K,)
        rates.append(metrics["lr"])
    rates_kn = np.asarray(rates).T  # [K, STEPS]

    finals, separate_rates = _separate_runs(lrjit.unstack(batched), make, params, [batch] * K)
    _assert_same_params(p, finals)
    np.testing.assert_array_equal(rates_kn, separate_rates)
    curves = np.asarray(lrjit.curves(batched, STEPS))
    np.testing.assert_allclose(rates_kn, curves, rtol=1e-6, atol=1e-7 * float(curves.max()))
    assert float(jnp.max(metrics["loss"])) < float(_loss(_member(params, 0), batch))


def _quadratic(params: Params, batch: Batch) -> jax.Array:
    """``0.5 * sum(a * (w - c)**2)``: its gradient ``a * (w - c)`` is elementwise (no summation order)."""
    a, c = batch
    return 0.5 * jnp.sum(a * (params["w"] - c) ** 2)


@pytest.mark.parametrize(("case", "bitwise"), [("cosine-sgd-momentum", True), ("exponential-adam", False)])
def test_population_without_matmuls(case: str, bitwise: bool) -> None:
    """With an elementwise gradient, sgd with momentum in the population step and in the separate runs
    agrees bit for bit: the batched schedule and the injected hyperparameters add no difference of their
    own. Adam does not (plain ``optax.adam(schedule)`` neither): XLA fuses its moment updates differently
    in the two programs, a last-bit difference from the second update on."""
    singles, make = CASES[case]
    batched = lrjit.stack(singles)
    rng = np.random.default_rng(5)
    batch = (
        jnp.asarray(rng.uniform(0.5, 2.0, 32), jnp.float32),
        jnp.asarray(rng.normal(size=32), jnp.float32),
    )
    params = {"w": jnp.asarray(rng.normal(size=(K, 32)), jnp.float32)}
    step = population_step(_make_step(make, _quadratic))
    p, states = params, population_init(make, params, batched)
    for _ in range(STEPS):
        p, states, _ = step(p, states, batched, batch)
    finals, _ = _separate_runs(singles, make, params, [batch] * K, _quadratic)
    if bitwise:
        for i, final in enumerate(finals):
            np.testing.assert_array_equal(p["w"][i], final["w"])
    else:
        _assert_same_params(p, finals)


def test_per_model_data() -> None:
    """``data_axes=0``: every model gets its own batch; still the same as separate runs."""
    singles, make = CASES["exponential-adam"]
    batched = lrjit.stack(singles)
    batches = [_data(20 + i) for i in range(K)]
    stacked = jax.tree.map(lambda *xs: jnp.stack(xs), *batches)
    params = _population_params()
    step = population_step(_make_step(make), data_axes=0)
    p, states = params, population_init(make, params, batched)
    for _ in range(STEPS):
        p, states, _ = step(p, states, batched, stacked)
    finals, _ = _separate_runs(singles, make, params, batches)
    _assert_same_params(p, finals)


def test_new_configs_do_not_recompile() -> None:
    """A second batch of configs of the same structure (new values, staircase flags included) runs the
    compiled step: one trace. Here the optimizer takes the schedule directly: ``optax.adam(schedule)``."""
    traces = 0

    def train_step(params: Params, opt_state: Any, schedule: Schedule, batch: Batch) -> tuple[Any, ...]:
        nonlocal traces
        traces += 1
        loss, grads = jax.value_and_grad(_loss)(params, batch)
        updates, opt_state = optax.adam(schedule).update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, loss

    first = lrjit.stack(EXPONENTIAL)
    second = lrjit.stack(
        [
            lrjit.ExponentialDecay(0.02, decay_steps=4, decay_rate=0.7, staircase=False),
            lrjit.ExponentialDecay(0.001, decay_steps=9, decay_rate=0.95, staircase=True),
            lrjit.ExponentialDecay(0.04, decay_steps=2, decay_rate=0.6, staircase=True),
            lrjit.ExponentialDecay(0.008, decay_steps=30, decay_rate=0.1, staircase=False),
        ]
    )
    step = population_step(train_step)
    batch = _data(0)
    params = _population_params()
    results = []
    for batched in (first, second, first):
        p, states = params, population_init(optax.adam, params, batched)
        for _ in range(5):
            p, states, _ = step(p, states, batched, batch)
        results.append(p)
    assert traces == 1 and step._cache_size() == 1
    # The values did reach the compiled program: other configs, other params; the same configs, the same.
    assert not np.array_equal(results[0]["w2"], results[1]["w2"])
    np.testing.assert_array_equal(results[0]["w2"], results[2]["w2"])


def test_pytree_of_schedules_and_replicated_params() -> None:
    """A dict of batched schedules (learning rate and adam's b1) and one start replicated K times: every
    model's hyperparameters follow its own configs."""
    lr = lrjit.stack(COSINE)
    b1 = lrjit.stack([lrjit.CosineScheduler(40, base_lr=0.85, final_lr=f) for f in (0.9, 0.95, 0.97, 0.99)])
    hyper = {"lr": lr, "b1": b1}

    def make(h: dict[str, Schedule]) -> optax.GradientTransformation:
        return inject_hyperparams(optax.adam)(learning_rate=h["lr"], b1=h["b1"])

    def train_step(params: Params, opt_state: Any, h: Any, batch: Batch) -> tuple[Any, ...]:
        grads = jax.grad(_loss)(params, batch)
        updates, opt_state = make(h).update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, opt_state.hyperparams

    assert jax.tree.leaves(schedule_axes(hyper)) == [0] * len(jax.tree.leaves(hyper))
    params = replicate(_init_params(3), K)
    assert params["w1"].shape == (K, D_IN, D_HIDDEN)
    step = population_step(train_step)
    p, states = params, population_init(make, params, hyper)
    seen = []
    for _ in range(STEPS):
        p, states, used = step(p, states, hyper, _data(0))
        seen.append(used)
    for key, sched in (("learning_rate", lr), ("b1", b1)):
        got = np.stack([np.asarray(u[key]) for u in seen], axis=1)
        want = np.asarray(lrjit.curves(sched, STEPS))
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7 * float(want.max()))


def test_donated_buffers_give_the_same_result() -> None:
    """``donate=True`` updates the K models' buffers in place; the values are those of the plain step."""
    singles, make = CASES["cosine-sgd-momentum"]
    batched, batch = lrjit.stack(singles), _data(0)
    out = []
    for donate in (False, True):
        step = population_step(_make_step(make), donate=donate)
        p = _population_params()
        states = population_init(make, p, batched)
        for _ in range(5):
            p, states, _ = step(p, states, batched, batch)
        out.append(p)
    for name in out[0]:
        np.testing.assert_array_equal(out[0][name], out[1][name])
