"""Sharded sweeps on forced CPU devices, checked against one device (run by ``tests/test_devices.py``).

Run with ``XLA_FLAGS=--xla_force_host_platform_device_count=8 JAX_PLATFORMS=cpu`` and the repository
root on ``PYTHONPATH``. Every check is a function registered with ``@check``: it raises (an
AssertionError with a message) when the sharded result differs, and returns a dict of what it measured.
The script prints one JSON line per check, ``{"check": name, "ok": ..., ...}``, and exits 1 if any
failed. A new check is one more decorated function.
"""

from __future__ import annotations

import json
import sys
import traceback
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

import lrjit
from lrjit.sweep.devices import config_mesh, gather, pad, shard, shard_configs, share
from lrjit.train.population import population_init, population_step

DEVICES = 8
N = 2000  # steps per curve: several restarts and every boundary of the sweeps below fall inside

Check = Callable[[], dict[str, Any]]
CHECKS: list[Check] = []


def check(fn: Check) -> Check:
    CHECKS.append(fn)
    return fn


# ------------------------------------------------------------------------------------------------------
# The sweeps: built deterministically, as every host of a multi-host run would build them.
def cosine_restarts() -> lrjit.Schedule:
    return lrjit.random(
        lrjit.CosineDecayRestarts(0.1, 100),
        64,
        0,
        initial_learning_rate=lrjit.log_uniform(1e-4, 1.0),
        first_decay_steps=lrjit.integers(20, 400),
        m_mul=lrjit.uniform(0.3, 1.0),
        alpha=lrjit.uniform(0.0, 0.5),
    )


def piecewise() -> lrjit.Schedule:
    """PiecewiseConstantDecay with a grid over the boundaries and the values: 8 x 8 = 64 configs."""
    rng = np.random.default_rng(1)
    boundaries = [np.sort(rng.choice(N, 3, replace=False)).tolist() for _ in range(8)]
    values = [np.sort(rng.uniform(1e-4, 1.0, 4))[::-1].tolist() for _ in range(8)]
    return lrjit.grid(
        lrjit.PiecewiseConstantDecay([1, 2, 3], [1.0, 0.5, 0.2, 0.1]), boundaries=boundaries, values=values
    )


def multistep() -> lrjit.Schedule:
    """MultiStepLR stacked from 64 single configs (varied milestones, some gammas equal across the batch:
    ``lrjit.stack`` records those as shared)."""
    rng = np.random.default_rng(2)
    return lrjit.stack(
        [
            lrjit.MultiStepLR(float(rng.uniform(0.01, 1.0)), np.sort(rng.choice(N, 4, replace=False)), 0.5)
            for _ in range(64)
        ]
    )


def warmup_cosine() -> lrjit.Schedule:
    """A linear warmup into a cosine decay, with a grid over the warmup length, the peak and the decay
    length: 4 x 4 x 4 = 64 configs."""
    return lrjit.grid(
        lrjit.warmup(lrjit.CosineDecay(1.0, 1000), 100),
        {
            "steps": [50, 100, 200, 400],
            "schedule.initial_learning_rate": [0.01, 0.03, 0.1, 0.3],
            "schedule.decay_steps": [500, 1000, 1500, 1900],
        },
    )


def ramp_cosine_sequence() -> lrjit.Schedule:
    """A Sequence of two families (a LinearLR ramp, then a cosine decay counting from 0 at the boundary),
    with a grid over the boundary, the peak and the decay length: 4 x 4 x 4 = 64 configs."""
    template = lrjit.sequence([lrjit.LinearLR(1.0, 0.01, 1.0, 100), lrjit.CosineDecay(1.0, 1000)], [100])
    return lrjit.grid(
        template,
        {
            "boundaries": [[50], [100], [200], [400]],
            "schedules.1.initial_learning_rate": [0.01, 0.03, 0.1, 0.3],
            "schedules.1.decay_steps": [500, 1000, 1500, 1900],
        },
    )


SWEEPS: dict[str, Callable[[], lrjit.Schedule]] = {
    "cosine_restarts": cosine_restarts,
    "piecewise": piecewise,
    "multistep": multistep,
    "warmup_cosine": warmup_cosine,
    "ramp_cosine_sequence": ramp_cosine_sequence,
}


# ------------------------------------------------------------------------------------------------------
def one_device(tree: Any) -> Any:
    """``tree`` committed to the first device: the single-device reference."""
    return jax.device_put(tree, jax.devices()[0])


def bits(x: Any) -> np.ndarray:
    host = np.asarray(x)
    return host.view(f"u{host.dtype.itemsize}") if host.dtype.kind == "f" else host


def assert_bitwise(got: Any, want: Any, what: str) -> None:
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape and got.dtype == want.dtype, f"{what}: {got.shape} {got.dtype} vs " + (
        f"{want.shape} {want.dtype}"
    )
    differ = bits(got) != bits(want)
    if differ.any():
        at = tuple(int(i) for i in np.argwhere(differ)[0])
        raise AssertionError(
            f"{what}: {int(differ.sum())} elements differ, first at {at}: {got[at]!r} vs {want[at]!r}"
        )


def assert_sharded_over_configs(x: jax.Array, what: str) -> dict[str, Any]:
    sharding = x.sharding
    assert len(sharding.device_set) == DEVICES, f"{what}: on {len(sharding.device_set)} devices"
    assert not sharding.is_fully_replicated, f"{what}: replicated, not sharded"
    shapes = {s.data.shape for s in x.addressable_shards}
    assert shapes == {(x.shape[0] // DEVICES, *x.shape[1:])}, f"{what}: shard shapes {shapes}"
    return {"devices": len(sharding.device_set), "shard_shape": list(shapes.pop())}


def curves_check(name: str) -> Check:
    def run() -> dict[str, Any]:
        sweep = SWEEPS[name]()
        want = lrjit.curves(one_device(sweep), N)
        assert len(want.sharding.device_set) == 1
        got = lrjit.curves(shard(sweep), N)
        out = assert_sharded_over_configs(got, name)
        assert_bitwise(gather(got), want, name)
        # The host batch on the default device, as users evaluate it (with the leaves lrjit.stack found
        # equal across the batch evaluated once: the sharded batch evaluates them per config).
        assert_bitwise(gather(got), lrjit.curves(sweep, N), f"{name} (default device)")
        return {"k": int(lrjit.batch_size(sweep)), "n": N, **out}

    run.__name__ = f"curves_{name}"
    return run


for _name in SWEEPS:
    check(curves_check(_name))


@check
def eager_call() -> dict[str, Any]:
    """A call of a sharded schedule runs sharded (``Schedule.__call__``'s cached program), not on one
    device, and gives the unsharded values; a scalar step too."""
    sweep = cosine_restarts()
    sharded = shard(sweep)
    got = sharded(np.arange(10))
    out = assert_sharded_over_configs(got, "call on np.arange(10)")
    assert_bitwise(gather(got), one_device(sweep)(np.arange(10)), "call on np.arange(10)")
    scalar = sharded(7)
    assert_sharded_over_configs(scalar, "call on 7")
    assert_bitwise(gather(scalar), one_device(sweep)(7), "call on 7")
    return out


@check
def reductions() -> dict[str, Any]:
    """lrjit.reduce and blocked lrjit.curves of a sharded sweep: blocks split the steps only (every device
    keeps its configs), and the results equal the unsharded ones bitwise."""
    sweep = cosine_restarts()
    sharded = shard(sweep)
    threshold = np.linspace(0.001, 0.01, int(lrjit.batch_size(sweep)))
    got = lrjit.reduce(sharded, N, first_below=threshold, max_elements=64 * 512, at=[0, N - 1])
    want = lrjit.reduce(sweep, N, first_below=threshold, max_elements=64 * 512, at=[0, N - 1])
    for name in want:
        assert_bitwise(got[name], want[name], f"reduce {name}")
    blocked = lrjit.curves(sharded, N, max_bytes=64 * 512 * 4)
    assert_bitwise(blocked, lrjit.curves(sweep, N), "blocked curves")
    return {"stats": sorted(want)}


@check
def padded() -> dict[str, Any]:
    """K=60 is padded to 64 by repeating the last config; the first 60 rows are the unsharded curves."""
    sweep = lrjit.random(
        lrjit.CosineDecay(0.1, 100),
        60,
        3,
        initial_learning_rate=lrjit.uniform(0.1, 1.0),
        decay_steps=lrjit.integers(100, 1000),
    )
    try:
        shard(sweep)
    except ValueError as e:
        assert all(part in str(e) for part in ("K=60", "8 devices", "'configs'", "pad(")), str(e)
    else:
        raise AssertionError("shard accepted K=60 on 8 devices")
    got = gather(lrjit.curves(shard(pad(sweep, DEVICES)), N))
    assert got.shape == (64, N)
    assert_bitwise(got[:60], lrjit.curves(one_device(sweep), N), "padded")
    assert_bitwise(got[60:], np.broadcast_to(got[59], (4, N)), "the repeated last config")
    return {"k": 60, "padded_to": 64}


# ------------------------------------------------------------------------------------------------------
def _loss(w: jax.Array, batch: tuple[jax.Array, jax.Array]) -> jax.Array:
    x, y = batch
    return jnp.mean((x @ w - y) ** 2)


def _make_optimizer(schedule: Any) -> optax.GradientTransformation:
    return optax.sgd(schedule, momentum=0.9)


def _train_step(params: Any, opt_state: Any, schedule: Any, batch: Any) -> tuple[Any, Any, Any]:
    loss, grads = jax.value_and_grad(_loss)(params, batch)
    updates, opt_state = _make_optimizer(schedule).update(grads, opt_state, params)
    return optax.apply_updates(params, updates), opt_state, {"loss": loss}


def linear_regression(k: int = 16, steps: int = 20) -> tuple[Any, Any, Any, Any]:
    """The population module's linear regression: K models, one CosineDecay config each (host values)."""
    rng = np.random.default_rng(4)
    x = rng.normal(size=(32, 4)).astype(np.float32)
    batch = (x, x @ np.arange(4.0, dtype=np.float32))
    schedules = lrjit.random(
        lrjit.CosineDecay(0.01, steps),
        k,
        5,
        initial_learning_rate=lrjit.log_uniform(1e-3, 0.1),
        alpha=lrjit.uniform(0.0, 0.3),
    )
    params = np.zeros((k, 4), np.float32)
    return params, schedules, batch, steps


def train(params: Any, schedules: Any, batch: Any, steps: int) -> tuple[Any, Any, Any]:
    opt_states = population_init(_make_optimizer, params, schedules)
    step = population_step(_train_step)
    losses = []
    for _ in range(steps):
        params, opt_states, metrics = step(params, opt_states, schedules, batch)
        losses.append(metrics["loss"])
    return params, opt_states, jnp.stack(losses, axis=1)


@check
def population_training() -> dict[str, Any]:
    """Sharded population training (params, optimizer states and schedules sharded over the models,
    the data replicated) gives the single-device params and losses bitwise."""
    params, schedules, batch, steps = linear_regression()
    want_params, _, want_losses = train(one_device(params), one_device(schedules), one_device(batch), steps)
    mesh = config_mesh()
    got_params, got_states, got_losses = train(
        shard_configs(params, mesh), shard(schedules, mesh), share(batch, mesh), steps
    )
    out = assert_sharded_over_configs(got_params, "params")
    assert_sharded_over_configs(got_losses, "losses")
    for i, leaf in enumerate(jax.tree.leaves(got_states)):  # population_init followed the params
        assert_sharded_over_configs(leaf, f"optimizer state leaf {i}")
    assert_bitwise(gather(got_params), want_params, "params")
    assert_bitwise(gather(got_losses), want_losses, "losses")
    return {"k": int(params.shape[0]), "steps": steps, **out}


# ------------------------------------------------------------------------------------------------------
def main() -> int:
    if jax.device_count() != DEVICES:
        print(json.dumps({"check": "devices", "ok": False, "error": f"{jax.devices()}"}), flush=True)
        return 1
    failed = 0
    for fn in CHECKS:
        try:
            result = {"check": fn.__name__, "ok": True, **fn()}
        except Exception as e:  # report every check, then fail
            failed += 1
            result = {"check": fn.__name__, "ok": False, "error": f"{type(e).__name__}: {e}"}
            traceback.print_exc(file=sys.stderr)
        print(json.dumps(result), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
