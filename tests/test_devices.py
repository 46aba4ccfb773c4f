"""Sharding the config axis of a sweep (:mod:`lrjit.sweep.devices`).

In-process tests run on this process's devices (one CPU in CI): placement, padding, gathering and the
errors. The multi-device behaviour runs in subprocesses, since the device count is fixed when JAX starts:
``tests/workers/sharded_sweep.py`` on 8 forced CPU devices (sharded curves, calls and population training
bitwise equal to one device), and ``tests/workers/distributed_sweep.py`` as two ``jax.distributed``
processes of 2 CPU devices each (a global mesh of 4), compared bitwise with this process.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from jax.sharding import Mesh, NamedSharding, PartitionSpec

import lrjit
from lrjit.core import batch_dims
from lrjit.sweep.devices import config_mesh, gather, pad, shard, shard_configs, share

from helpers import load_module

REPO = Path(__file__).resolve().parents[1]
WORKERS = Path(__file__).resolve().parent / "workers"
TIMEOUT_S = 120  # per subprocess: a hang fails the test instead of blocking CI


def _one_device_mesh(axis: str = "configs") -> Mesh:
    return config_mesh(axis, jax.devices()[:1])


def _sweep(k: int = 6) -> lrjit.Schedule:
    return lrjit.random(
        lrjit.CosineDecayRestarts(0.1, 100),
        k,
        0,
        initial_learning_rate=lrjit.log_uniform(1e-3, 1.0),
        first_decay_steps=lrjit.integers(10, 50),
    )


def _bits(x: Any) -> bytes:
    return np.asarray(x).tobytes()


# ------------------------------------------------------------------------------------------ in process
def test_shard_places_batched_leaves_on_the_axis_and_replicates_shared_ones() -> None:
    sweep = _sweep()
    mesh = _one_device_mesh()
    sharded = shard(sweep, mesh)
    assert type(sharded) is type(sweep) and lrjit.batch_size(sharded) == 6
    for leaf, dim in zip(jax.tree.leaves(sharded), batch_dims(sweep), strict=True):
        assert isinstance(leaf, jax.Array)
        want = PartitionSpec("configs") if dim == 1 else PartitionSpec()
        assert leaf.sharding == NamedSharding(mesh, want)
    for got, want in zip(jax.tree.leaves(sharded), jax.tree.leaves(sweep), strict=True):
        assert got.dtype == np.asarray(want).dtype and _bits(got) == _bits(want)


def test_shard_on_one_device_equals_unsharded() -> None:
    sweep = _sweep()
    sharded = shard(sweep, _one_device_mesh())
    got = lrjit.curves(sharded, 300)
    assert isinstance(got.sharding, NamedSharding)  # jit followed the input shardings
    assert _bits(gather(got)) == _bits(lrjit.curves(sweep, 300))
    assert _bits(gather(sharded(np.arange(10)))) == _bits(sweep(np.arange(10)))


def test_shard_of_jax_leaves_and_the_default_mesh() -> None:
    sweep = jax.device_put(_sweep(jax.device_count() * 2))
    sharded = shard(sweep)  # every device, axis "configs"
    assert jax.tree.leaves(sharded)[0].sharding.mesh.axis_names == ("configs",)
    assert _bits(gather(lrjit.curves(sharded, 50))) == _bits(lrjit.curves(sweep, 50))


def test_shard_errors_name_the_argument_and_value() -> None:
    with pytest.raises(ValueError, match=r"`schedule` is a single CosineDecay .*lrjit.grid"):
        shard(lrjit.CosineDecay(0.1, 100))
    with pytest.raises(TypeError, match="`schedule` must be a batched lrjit schedule"):
        shard(np.zeros(4))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"`axis` 'models' is not an axis of the mesh .*\['configs'\]"):
        shard(_sweep(), _one_device_mesh(), axis="models")
    with pytest.raises(ValueError, match="`axis` must be a non-empty string"):
        shard(_sweep(), axis="")
    with pytest.raises(TypeError, match=r"`mesh` must be a jax\.sharding\.Mesh"):
        shard(_sweep(), mesh="cpu")  # type: ignore[arg-type]
    # K not divisible by the devices needs more than one device: the 8-device worker's `padded` check.


def test_pad_repeats_the_last_config() -> None:
    sweep = lrjit.grid(lrjit.CosineDecay(0.1, 100), alpha=[0.0, 0.1, 0.2])
    padded = pad(sweep, 4)
    assert lrjit.batch_size(padded) == 4
    np.testing.assert_array_equal(padded.alpha, np.asarray([0.0, 0.1, 0.2, 0.2], np.float32))
    assert padded.decay_steps == sweep.decay_steps  # shared leaves stay shared
    assert _bits(lrjit.curves(padded, 100)[:3]) == _bits(lrjit.curves(sweep, 100))
    assert pad(sweep, 3) is sweep and pad(sweep, 1) is sweep
    on_device = pad(jax.device_put(sweep), 8)
    assert isinstance(on_device.alpha, jax.Array) and on_device.alpha.shape == (8,)


def test_pad_errors() -> None:
    sweep = _sweep()
    for bad in (0, -2, 1.5, True):
        with pytest.raises(ValueError, match=rf"`multiple` must be an integer >= 1, got {bad!r}"):
            pad(sweep, bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="`schedule` is a single CosineDecay"):
        pad(lrjit.CosineDecay(0.1, 100), 4)


def test_gather_on_one_device() -> None:
    tree = {"x": jnp.arange(6.0).reshape(3, 2), "n": np.int32(3), "sched": _sweep()}
    got = gather(tree)
    assert isinstance(got["x"], np.ndarray) and got["x"].shape == (3, 2)
    np.testing.assert_array_equal(got["x"], np.arange(6.0).reshape(3, 2))
    assert isinstance(got["n"], np.ndarray)
    assert all(isinstance(x, np.ndarray) for x in jax.tree.leaves(got["sched"]))
    keys = jax.random.split(jax.random.key(0), 4)
    back = gather(keys)
    assert jax.dtypes.issubdtype(back.dtype, jax.dtypes.prng_key)
    assert _bits(jax.random.key_data(back)) == _bits(jax.random.key_data(keys))


def test_shard_configs_and_share() -> None:
    mesh = _one_device_mesh()
    keys = jax.random.split(jax.random.key(1), 4)
    opt_state = optax.adam(1e-3).init(jnp.zeros(3))
    tree = {
        "w": np.ones((4, 3), np.float32),
        "keys": keys,
        "state": jax.tree.map(lambda x: jnp.broadcast_to(x, (4, *x.shape)), opt_state),
        "sched": _sweep(4),
    }
    placed = shard_configs(tree, mesh)
    spec = NamedSharding(mesh, PartitionSpec("configs"))
    assert placed["w"].sharding == spec
    assert jax.dtypes.issubdtype(placed["keys"].dtype, jax.dtypes.prng_key)
    assert _bits(jax.random.key_data(placed["keys"])) == _bits(jax.random.key_data(keys))
    assert all(x.sharding == spec for x in jax.tree.leaves(placed["state"]))
    assert _bits(lrjit.curves(placed["sched"], 20)) == _bits(lrjit.curves(tree["sched"], 20))
    shared = share({"x": np.ones((5, 2), np.float32)}, mesh)
    assert shared["x"].sharding == NamedSharding(mesh, PartitionSpec())


def test_shard_configs_errors() -> None:
    with pytest.raises(ValueError, match=r"leaf \['lr'\] has no leading config axis .*share\(\)"):
        shard_configs({"w": np.ones((4, 3)), "lr": 0.1})
    with pytest.raises(ValueError, match=r"disagree on the config axis size K \(\['a'\]: 4, \['b'\]: 2\)"):
        shard_configs({"a": np.ones(4), "b": np.ones(2)})
    with pytest.raises(ValueError, match="`axis` 'models' is not an axis"):
        shard_configs({"a": np.ones(4)}, _one_device_mesh(), "models")


def test_placing_a_traced_value_says_what_to_use() -> None:
    with pytest.raises(TypeError, match="with_sharding_constraint"):
        jax.jit(lambda x: shard_configs(x, _one_device_mesh()))(jnp.ones(4))


# ------------------------------------------------------------------------------------------ subprocesses
def _env(device_count: int) -> dict[str, str]:
    env = dict(os.environ)
    flag = f"--xla_force_host_platform_device_count={device_count}"
    env["XLA_FLAGS"] = f"{env.get('XLA_FLAGS', '')} {flag}".strip()  # the later flag wins
    env["JAX_PLATFORMS"] = "cpu"
    env["JAX_ENABLE_X64"] = "0"
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    return env


def _json_lines(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]


def test_sharded_sweep_on_8_cpu_devices() -> None:
    try:
        proc = subprocess.run(
            [sys.executable, str(WORKERS / "sharded_sweep.py")],
            env=_env(8),
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
        )
    except subprocess.TimeoutExpired as e:  # subprocess.run has killed it
        pytest.fail(f"the 8-device worker did not finish in {TIMEOUT_S} s:\n{e.stdout!s}\n{e.stderr!s}")
    results = _json_lines(proc.stdout)
    shown = f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr[-4000:]}"
    assert proc.returncode == 0, shown
    names = {r["check"] for r in results}
    expected = {
        "curves_cosine_restarts",
        "curves_piecewise",
        "curves_multistep",
        "curves_warmup_cosine",
        "curves_ramp_cosine_sequence",
        "eager_call",
        "padded",
        "population_training",
    }
    assert expected <= names, shown
    assert all(r["ok"] for r in results), shown
    assert all(r["devices"] == 8 for r in results if "devices" in r), shown


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _load_worker(name: str) -> ModuleType:
    return load_module(WORKERS / f"{name}.py", f"lrjit_test_worker_{name}")


@pytest.fixture(scope="module")
def distributed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, list[dict[str, Any]]]]:
    """Two ``jax.distributed`` processes of 2 CPU devices each; their output folder and JSON lines.

    Their output goes to files (no pipe to fill); when one process fails, the other (waiting for it in a
    collective) is killed at once, and a hang is killed after ``TIMEOUT_S``.
    """
    out = tmp_path_factory.mktemp("distributed")
    port = _free_port()
    logs = [(out / f"process{i}.stdout", out / f"process{i}.stderr") for i in range(2)]
    procs = []
    for i, (stdout, stderr) in enumerate(logs):
        with stdout.open("w") as o, stderr.open("w") as e:
            args = [sys.executable, str(WORKERS / "distributed_sweep.py"), str(i), "2", str(port), str(out)]
            procs.append(subprocess.Popen(args, env=_env(2), cwd=REPO, stdout=o, stderr=e))
    deadline = time.monotonic() + TIMEOUT_S
    try:
        while any(p.poll() is None for p in procs):
            if time.monotonic() > deadline or any(p.poll() not in (None, 0) for p in procs):
                break
            time.sleep(0.05)
    finally:
        for p in procs:  # the survivor of a failure, a hang, or an interrupted test: none is left behind
            if p.poll() is None:
                p.kill()
            p.wait()
    outputs = [(o.read_text(), e.read_text()) for o, e in logs]
    codes = [p.returncode for p in procs]
    if 77 in codes:
        pytest.skip(f"CPU collectives (gloo) are unavailable here:\n{_show(outputs)}")
    assert codes == [0, 0], f"exit codes {codes} (negative: killed after a failure or {TIMEOUT_S} s):\n" + (
        _show(outputs)
    )
    yield out, [line for stdout, _ in outputs for line in _json_lines(stdout)]


def _show(outputs: list[tuple[str, str]]) -> str:
    return "\n".join(
        f"--- process {i} stdout:\n{o}\n--- process {i} stderr:\n{e[-4000:]}"
        for i, (o, e) in enumerate(outputs)
    )


def test_two_processes_match_one(distributed: tuple[Path, list[dict[str, Any]]]) -> None:
    out, infos = distributed
    assert [i["process"] for i in infos] == [0, 1]
    for info in infos:
        assert info["processes"] == 2 and info["global_devices"] == 4 and info["local_devices"] == 2
        assert info["curves_fully_addressable"] is False and info["curves_devices"] == 4
        assert info["params_devices"] == 4
        assert info["keys_roundtrip"] and info["reshard_equal"]
    worker = _load_worker("distributed_sweep")
    sweep = worker.sweep()
    curves = lrjit.curves(sweep, worker.N)
    assert all(i["local_shards"] == [[worker.K // 4, worker.N]] * 2 for i in infos)
    assert _bits(np.load(out / "curves.npy")) == _bits(curves)
    assert _bits(np.load(out / "call.npy")) == _bits(sweep(np.arange(10)))
    params, schedules, batch = worker.population()
    assert _bits(np.load(out / "params.npy")) == _bits(worker.train(params, schedules, batch))


def test_lrjit_curves_and_calls_across_processes(distributed: tuple[Path, list[dict[str, Any]]]) -> None:
    out, infos = distributed
    for info in infos:
        assert set(info["front_doors"].values()) == {"ok"}, info["front_doors"]
    curves = np.load(out / "curves.npy")
    assert _bits(np.load(out / "front_door_lrjit_curves.npy")) == _bits(curves)
    assert _bits(np.load(out / "front_door_call.npy")) == _bits(np.load(out / "call.npy"))
    assert _bits(np.load(out / "front_door_blocked.npy")) == _bits(curves)
    np.testing.assert_array_equal(np.load(out / "front_door_reduce_argmax.npy"), curves.argmax(1))
