"""One process of a multi-process sharded sweep (run twice by ``tests/test_devices.py``).

Usage: ``distributed_sweep.py PROCESS_ID NUM_PROCESSES PORT OUT_DIR``, with ``JAX_PLATFORMS=cpu`` and
``XLA_FLAGS=--xla_force_host_platform_device_count=2`` (two local devices per process), the repository
root on ``PYTHONPATH``. Every process builds the same seeded sweep, shards it over the global mesh,
evaluates it (the jitted programs behind ``lrjit.curves`` and calls) and trains a sharded population;
the results are gathered on every process and process 0 writes them to ``OUT_DIR`` as ``curves.npy``,
``call.npy`` and ``params.npy`` for the test to compare with its own single-process run. ``lrjit.curves``
and a call of the sharded schedule are probed too (``front_doors`` in the JSON line each process prints,
and ``front_door_*.npy`` when they work). Exit code 77: CPU collectives (gloo) are unavailable here.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

import lrjit
from lrjit.core.batch import curves_at, curves_range
from lrjit.sweep.devices import config_mesh, gather, shard, shard_configs, share
from lrjit.train.population import population_init, population_step

K, N, STEPS = 64, 3000, 10
POPULATION = 16
GLOO_UNAVAILABLE = 77


def sweep() -> lrjit.Schedule:
    """The sweep every process builds: the same seed gives the same configs on every host."""
    return lrjit.random(
        lrjit.CosineDecayRestarts(0.1, 100),
        K,
        0,
        initial_learning_rate=lrjit.log_uniform(1e-4, 1.0),
        first_decay_steps=lrjit.integers(20, 400),
        m_mul=lrjit.uniform(0.3, 1.0),
    )


def population() -> tuple[np.ndarray, lrjit.Schedule, tuple[np.ndarray, np.ndarray]]:
    """The population's host values (the same on every process and in the test)."""
    rng = np.random.default_rng(4)
    x = rng.normal(size=(32, 4)).astype(np.float32)
    schedules = lrjit.random(
        lrjit.CosineDecay(0.01, STEPS), POPULATION, 5, initial_learning_rate=lrjit.log_uniform(1e-3, 0.1)
    )
    return np.zeros((POPULATION, 4), np.float32), schedules, (x, x @ np.arange(4.0, dtype=np.float32))


def make_optimizer(schedule: Any) -> optax.GradientTransformation:
    return optax.sgd(schedule, momentum=0.9)


def loss_fn(w: jax.Array, batch: tuple[jax.Array, jax.Array]) -> jax.Array:
    x, y = batch
    return jnp.mean((x @ w - y) ** 2)


def train_step(params: Any, opt_state: Any, schedule: Any, batch: Any) -> tuple[Any, Any, Any]:
    loss, grads = jax.value_and_grad(loss_fn)(params, batch)
    updates, opt_state = make_optimizer(schedule).update(grads, opt_state, params)
    return optax.apply_updates(params, updates), opt_state, {"loss": loss}


def train(params: Any, schedules: Any, batch: Any) -> Any:
    opt_states = population_init(make_optimizer, params, schedules)
    step = population_step(train_step)
    for _ in range(STEPS):
        params, opt_states, _ = step(params, opt_states, schedules, batch)
    return params


def _probe(fn: Callable[[], jax.Array]) -> tuple[str, jax.Array | None]:
    """("ok", the result) or (the error, None): every process fails or succeeds alike (the same check on
    the same global arrays), so the collectives that follow stay in step."""
    try:
        return "ok", fn()
    except Exception as e:
        return f"{type(e).__name__}: {str(e)[:300]}", None


def main(process_id: int, num_processes: int, port: int, out: Path) -> int:
    try:
        # The CPU backend's cross-process collectives (the default in recent jax; set for older ones).
        jax.config.update("jax_cpu_collectives_implementation", "gloo")
    except Exception as e:
        print(f"gloo unavailable: {type(e).__name__}: {e}", file=sys.stderr)
        return GLOO_UNAVAILABLE
    jax.distributed.initialize(
        coordinator_address=f"127.0.0.1:{port}",
        num_processes=num_processes,
        process_id=process_id,
        initialization_timeout=60,
    )
    mesh = config_mesh()  # every global device: 2 per process
    sharded = shard(sweep(), mesh)
    # The jitted programs behind lrjit.curves and calls, with the schedule as an argument, and the front
    # doors (lrjit.curves, a call, blocked curves and lrjit.reduce, gathered to every process).
    curves = curves_range(sharded, N)
    called = curves_at(sharded, np.arange(10, dtype=np.int32))
    probes = {
        "lrjit_curves": lambda: lrjit.curves(sharded, N),
        "call": lambda: sharded(np.arange(10)),
        "blocked": lambda: lrjit.curves(sharded, N, max_bytes=4096 * 4),
        "reduce_argmax": lambda: lrjit.reduce(sharded, N, stats=("argmax",), max_elements=4096)["argmax"],
    }
    front_doors = {name: _probe(fn) for name, fn in probes.items()}
    # Re-sharding global arrays (jax.device_put between shardings) and keys (placed as their raw data).
    resharded = curves_range(shard(sharded, config_mesh(devices=jax.devices()[::-1])), N)
    keys = jax.random.split(jax.random.key(0), 8)
    keys_back = gather(shard_configs(keys, mesh))
    params, schedules, batch = population()
    trained = train(shard_configs(params, mesh), shard(schedules, mesh), share(batch, mesh))
    info = {
        "process": jax.process_index(),
        "processes": jax.process_count(),
        "global_devices": jax.device_count(),
        "local_devices": jax.local_device_count(),
        "curves_fully_addressable": curves.is_fully_addressable,
        "curves_devices": len(curves.sharding.device_set),
        "local_shards": [list(s.data.shape) for s in curves.addressable_shards],
        "params_devices": len(trained.sharding.device_set),
        "keys_roundtrip": bool(np.array_equal(jax.random.key_data(keys_back), jax.random.key_data(keys))),
        "front_doors": {name: status for name, (status, _) in front_doors.items()},
    }
    worked = {f"front_door_{name}": value for name, (_, value) in front_doors.items() if value is not None}
    # A collective: every process gathers the same arrays in the same order.
    results = gather({"curves": curves, "call": called, "params": trained, **worked})
    info["reshard_equal"] = bool(np.array_equal(gather(resharded), results["curves"]))
    if jax.process_index() == 0:
        out.mkdir(parents=True, exist_ok=True)
        for name, value in results.items():
            np.save(out / f"{name}.npy", value)
    print(json.dumps(info), flush=True)
    jax.distributed.shutdown()
    return 0


if __name__ == "__main__":
    try:
        code = main(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4]))
    except BaseException:
        traceback.print_exc()
        # Exit now: the interpreter's exit would wait in jax.distributed's shutdown barrier for the other
        # process, which in turn waits for this one in a collective.
        sys.stderr.flush()
        os._exit(1)
    sys.exit(code)
