"""Checkpoints and exact resume: ``lrjit.train.checkpoint``.

Round trips are checked bit for bit (raw bytes and dtype of every leaf, JAX weak types, leaf kinds), for
every dtype a training state holds, typed PRNG keys, optax states with an lrjit schedule injected, and every
schedule family, single and batched. Structure mismatches must fail with the first differing path named.
The resume test trains in separate processes (straight through; first half, checkpoint, exit; a fresh
process resuming) and requires the resumed learning rates, parameters and optimizer state to equal the
uninterrupted run's bit for bit.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import lrjit
from lrjit.train.checkpoint import (
    FORMAT_VERSION,
    CheckpointMismatchError,
    load_checkpoint,
    save_checkpoint,
)

REPO = Path(__file__).resolve().parents[1]


# --------------------------------------------------------------------------------------------- helpers
def _bits(x: Any) -> tuple[Any, ...]:
    """Everything that must survive a round trip: kind, dtype, shape, weak type and the raw bytes."""
    if isinstance(x, jax.Array) and jnp.issubdtype(x.dtype, jax.dtypes.prng_key):
        data = np.asarray(jax.random.key_data(x))
        return ("key", str(x.dtype), x.shape, data.tobytes())
    if isinstance(x, jax.Array):
        return ("jax", x.dtype, x.shape, bool(x.weak_type), np.asarray(x).tobytes())
    if isinstance(x, np.ndarray):
        return ("numpy", x.dtype, x.shape, x.tobytes())
    if isinstance(x, np.generic):
        return ("numpy_scalar", x.dtype, np.asarray(x).tobytes())
    return ("python", type(x), x)


def assert_bit_identical(got: Any, want: Any) -> None:
    """Same pytree definition and, leaf by leaf, the same kind, dtype, shape and bytes."""
    got_flat, got_def = jax.tree_util.tree_flatten_with_path(got)
    want_flat, want_def = jax.tree_util.tree_flatten_with_path(want)
    assert got_def == want_def
    for (path, g), (_, w) in zip(got_flat, want_flat, strict=True):
        assert _bits(g) == _bits(w), jax.tree_util.keystr(path)


def roundtrip(tmp_path: Path, state: Any, like: Any | None = None) -> Any:
    path = tmp_path / "ckpt.npz"
    save_checkpoint(path, state)
    return load_checkpoint(path, state if like is None else like)


def mismatch(tmp_path: Path, saved: Any, like: Any) -> CheckpointMismatchError:
    path = tmp_path / "ckpt.npz"
    save_checkpoint(path, saved)
    with pytest.raises(CheckpointMismatchError) as info:
        load_checkpoint(path, like)
    return info.value


def random_bits(shape: tuple[int, ...], dtype: Any, seed: int = 0) -> np.ndarray:
    """An array of ``dtype`` from uniformly random bit patterns: NaN payloads, -0.0, infinities and
    subnormals included, so a lossy conversion anywhere would show."""
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return np.random.default_rng(seed).integers(0, 2, shape).astype(bool)
    raw = np.random.default_rng(seed).integers(0, 256, (*shape, dtype.itemsize), dtype=np.uint8)
    return raw.view(dtype).reshape(shape)


# ---------------------------------------------------------------------------------------- round trips
DTYPES = ["float32", "bfloat16", "float16", "int32", "uint8", "int8", "bool", "complex64", "float8_e4m3fn"]


@pytest.mark.parametrize("dtype", DTYPES)
def test_array_leaves_roundtrip_bit_exact(tmp_path: Path, dtype: str) -> None:
    host = random_bits((3, 5), jnp.dtype(dtype))
    state = {"numpy": host, "jax": jnp.asarray(host), "scalar": jnp.asarray(host[0, 0]), "empty": host[:0]}
    got = roundtrip(tmp_path, state)
    assert_bit_identical(got, state)
    assert got["jax"].dtype == jnp.dtype(dtype) and isinstance(got["numpy"], np.ndarray)


def test_bfloat16_is_stored_as_raw_bits(tmp_path: Path) -> None:
    """NumPy's .npz has no bfloat16: the file holds uint16 bits and the metadata the dtype name."""
    x = jnp.asarray(random_bits((4,), jnp.bfloat16))
    save_checkpoint(tmp_path / "c.npz", {"w": x})
    with np.load(tmp_path / "c.npz", allow_pickle=False) as npz:
        stored = npz["leaf_0"]
        meta = json.loads(npz["__lrjit_checkpoint__"].tobytes())
    assert stored.dtype == np.uint16
    assert stored.tobytes() == np.asarray(x).tobytes()
    assert meta["version"] == FORMAT_VERSION
    assert meta["leaves"][0] == {
        "path": "['w']",
        "kind": "jax",
        "weak_type": False,
        "shape": [4],
        "dtype": "bfloat16",
        "storage": "uint16",
    }
    assert meta["treedef"] == str(jax.tree_util.tree_structure({"w": x}))


def test_x64_leaves_roundtrip_bit_exact(tmp_path: Path) -> None:
    with jax.enable_x64(True):
        state = {
            "f64": jnp.asarray(random_bits((7,), np.float64)),
            "i64": jnp.asarray(random_bits((2, 2), np.int64)),
            "c128": jnp.asarray(random_bits((3,), np.complex128)),
            "schedule": lrjit.CosineDecay(np.float64(0.1), 1000, warmup_target=np.float64(0.3)),
        }
        got = roundtrip(tmp_path, state)
        assert_bit_identical(got, state)
        assert got["f64"].dtype == np.float64


def test_float64_jax_leaf_needs_x64_to_load(tmp_path: Path) -> None:
    """Without x64, JAX would turn float64 into float32: loading refuses instead of casting."""
    with jax.enable_x64(True):
        save_checkpoint(tmp_path / "c.npz", {"x": jnp.arange(3.0, dtype=jnp.float64)})
    with jax.enable_x64(False), pytest.raises(ValueError, match="x64"):
        load_checkpoint(tmp_path / "c.npz", {"x": np.zeros(3, np.float64)})


def test_python_and_numpy_scalars_keep_their_types(tmp_path: Path) -> None:
    state = {"step": 50, "lr": 0.1, "flag": True, "z": 1 - 2j, "np": np.float32(0.25), "ni": np.int64(-3)}
    got = roundtrip(tmp_path, state)
    assert_bit_identical(got, state)
    assert type(got["step"]) is int and type(got["flag"]) is bool and type(got["np"]) is np.float32


def test_weak_type_is_restored(tmp_path: Path) -> None:
    """A weak float32 times a bfloat16 array stays bfloat16; a strong one would promote to float32."""
    state = {"weak": jnp.asarray(0.5), "strong": jnp.float32(0.5), "weak_vec": jnp.full((3,), 2.0)}
    assert state["weak"].weak_type and state["weak_vec"].weak_type and not state["strong"].weak_type
    got = roundtrip(tmp_path, state)
    assert_bit_identical(got, state)
    assert (got["weak"] * jnp.ones(2, jnp.bfloat16)).dtype == jnp.bfloat16


def test_typed_prng_keys_roundtrip(tmp_path: Path) -> None:
    state = {
        "key": jax.random.key(42),
        "split": jax.random.split(jax.random.key(7), 4),
        "rbg": jax.random.key(3, impl="rbg"),
        "raw": jax.random.PRNGKey(5),  # a legacy uint32[2] key is a plain array
    }
    got = roundtrip(tmp_path, state)
    assert_bit_identical(got, state)
    assert str(got["rbg"].dtype) == "key<rbg>"
    # The restored keys draw the same numbers.
    for name in ("key", "rbg"):
        want = jax.random.normal(state[name], (5,))
        assert np.asarray(jax.random.normal(got[name], (5,))).tobytes() == np.asarray(want).tobytes()


def _train_a_little(opt: optax.GradientTransformation, params: Any, steps: int = 3) -> Any:
    state = opt.init(params)
    for i in range(steps):
        grads = jax.tree_util.tree_map(lambda p, i=i: jnp.sin(p + i), params)
        updates, state = opt.update(grads, state, params)
        params = optax.apply_updates(params, updates)
    return params, state


def test_nested_optax_state_with_injected_schedule_roundtrips(tmp_path: Path) -> None:
    sched = lrjit.CosineDecay(0.0, 90, warmup_target=0.05, warmup_steps=10)
    opt = optax.chain(
        optax.clip_by_global_norm(1.0), optax.inject_hyperparams(optax.adam)(learning_rate=sched)
    )
    params = {"w": jnp.linspace(-1.0, 1.0, 12).reshape(3, 4), "b": jnp.zeros(4, jnp.bfloat16)}
    params, opt_state = _train_a_little(opt, params)
    state = {"step": 3, "params": params, "opt_state": opt_state, "schedule": sched}
    got = roundtrip(tmp_path, state)
    assert_bit_identical(got, state)
    assert got["schedule"] == sched
    # The restored state continues exactly as the original does.
    grads = jax.tree_util.tree_map(jnp.cos, params)
    want_updates, want_state = opt.update(grads, opt_state, params)
    got_updates, got_state = opt.update(grads, got["opt_state"], got["params"])
    assert_bit_identical((got_updates, got_state), (want_updates, want_state))


def _sample_family(cls: type[lrjit.Schedule], seed: int) -> lrjit.Schedule:
    # One vector length for every family with vector leaves (boundaries, milestones), so samples stack.
    return cls.sample(np.random.default_rng(seed), vector_len=3)


@pytest.mark.parametrize("name", sorted(lrjit.registry()))
def test_every_schedule_family_roundtrips(tmp_path: Path, name: str) -> None:
    cls = lrjit.registry()[name]
    single = _sample_family(cls, 0)
    # Three sampled configs share the single one's structure (the same optional fields, vector lengths).
    batched = lrjit.stack([single, _sample_family(cls, 1), _sample_family(cls, 2)])
    state = {"single": single, "batched": batched}
    got = roundtrip(tmp_path, state)
    assert_bit_identical(got, state)
    assert got["single"] == single and got["batched"] == batched
    assert repr(got["single"]) == repr(single)
    for key in ("single", "batched"):
        want = np.asarray(lrjit.curves(state[key], 64))
        assert np.asarray(lrjit.curves(got[key], 64)).tobytes() == want.tobytes()


def test_shape_dtype_struct_template(tmp_path: Path) -> None:
    state = {
        "w": jnp.ones((2, 3), jnp.bfloat16),
        "key": jax.random.key(0),
        "schedule": lrjit.CosineDecay(0.1, 9),
    }
    got = roundtrip(tmp_path, state, like=jax.eval_shape(lambda: state))
    assert_bit_identical(got, state)


def test_template_values_are_ignored(tmp_path: Path) -> None:
    state = {"w": jnp.arange(4.0), "schedule": lrjit.ExponentialDecay(0.3, 100, 0.5)}
    like = {"w": jnp.zeros(4), "schedule": lrjit.ExponentialDecay(0.1, 7, 0.9)}
    got = roundtrip(tmp_path, state, like=like)
    assert_bit_identical(got, state)


# ------------------------------------------------------------------------------------- mismatch errors
def test_different_schedule_family_names_the_schedule(tmp_path: Path) -> None:
    err = mismatch(
        tmp_path,
        {"schedule": lrjit.CosineDecay(0.1, 100)},
        {"schedule": lrjit.ExponentialDecay(0.1, 100, 0.5)},
    )
    assert err.where == "schedule"
    assert err.detail == "CosineDecay vs ExponentialDecay"
    assert "schedule: CosineDecay vs ExponentialDecay" in str(err)
    assert isinstance(err, ValueError)


def test_different_static_field_names_the_field(tmp_path: Path) -> None:
    err = mismatch(
        tmp_path,
        {"schedule": lrjit.FactorScheduler(50, 0.5, base_lr=0.1, warmup_steps=5, warmup_mode="constant")},
        {"schedule": lrjit.FactorScheduler(50, 0.5, base_lr=0.1, warmup_steps=5, warmup_mode="linear")},
    )
    assert err.where == "schedule.warmup_mode"
    assert "schedule.warmup_mode: 'constant' vs 'linear'" in str(err)


def test_different_number_of_boundaries(tmp_path: Path) -> None:
    err = mismatch(
        tmp_path,
        {"schedule": lrjit.PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1])},
        {"schedule": lrjit.PiecewiseConstantDecay([10, 20, 30], [1.0, 0.5, 0.1, 0.01])},
    )
    assert err.where == "schedule.boundaries"
    assert "schedule.boundaries: shape (2,) vs (3,)" in str(err)


def test_optional_field_set_vs_unset(tmp_path: Path) -> None:
    err = mismatch(
        tmp_path,
        {"schedule": lrjit.CosineDecay(0.0, 90, warmup_target=0.05, warmup_steps=10)},
        {"schedule": lrjit.CosineDecay(0.0, 90)},
    )
    assert err.where == "schedule.warmup_target"
    assert "vs None" in err.detail


def test_batched_vs_single_schedule(tmp_path: Path) -> None:
    batched = lrjit.stack([lrjit.CosineDecay(r, 100) for r in (0.1, 0.2, 0.3)])
    err = mismatch(tmp_path, {"schedule": batched}, {"schedule": lrjit.CosineDecay(0.1, 100)})
    assert err.where == "schedule.initial_learning_rate"
    assert err.detail == "shape (3,) vs ()"


def test_different_param_shape_and_dtype(tmp_path: Path) -> None:
    saved = {"params": {"b": jnp.zeros(4), "w": jnp.zeros((3, 4))}}
    err = mismatch(tmp_path, saved, {"params": {"b": jnp.zeros(4), "w": jnp.zeros((4, 4))}})
    assert err.where == "params['w']"
    assert "params['w']: shape (3, 4) vs (4, 4)" in str(err)
    err = mismatch(tmp_path, saved, {"params": {"b": jnp.zeros(4), "w": jnp.zeros((3, 4), jnp.bfloat16)}})
    assert "params['w']: dtype float32 vs bfloat16" in str(err)
    err = mismatch(tmp_path, saved, {"params": {"b": jnp.zeros(4), "v": jnp.zeros((3, 4))}})
    assert err.where == "params"
    assert "only in the checkpoint: ['w']" in err.detail and "only in like: ['v']" in err.detail


def test_different_optimizer(tmp_path: Path) -> None:
    params = {"w": jnp.zeros((3, 4))}
    sched = lrjit.CosineDecay(0.1, 100)
    err = mismatch(
        tmp_path, {"opt_state": optax.sgd(sched).init(params)}, {"opt_state": optax.adam(sched).init(params)}
    )
    assert err.where == "opt_state[0]"
    assert err.detail == "EmptyState vs ScaleByAdamState"
    # Injected: the hyperparameter dicts differ first.
    inject = optax.inject_hyperparams
    err = mismatch(
        tmp_path,
        {"opt_state": inject(optax.sgd)(learning_rate=sched).init(params)},
        {"opt_state": inject(optax.adam)(learning_rate=sched).init(params)},
    )
    assert err.where == "opt_state.hyperparams"
    assert "only in like: ['b1'], ['b2']" in err.detail


def test_chain_hyperparam_path_is_named(tmp_path: Path) -> None:
    """The path format of a leaf deep inside a chained, injected optimizer state."""
    params = {"w": jnp.zeros((3, 4))}
    opt = optax.chain(optax.clip(1.0), optax.inject_hyperparams(optax.adam)(learning_rate=0.1))
    saved = {"opt_state": opt.init(params)}
    like = {"opt_state": opt.init({"w": jnp.zeros((3, 4), jnp.bfloat16)})}
    err = mismatch(tmp_path, saved, like)
    assert err.where == "opt_state[1].hyperparams['b1']"
    assert err.detail == "dtype float32 vs bfloat16"


def test_python_number_vs_array(tmp_path: Path) -> None:
    err = mismatch(tmp_path, {"step": 50}, {"step": jnp.int32(0)})
    assert err.where == "step" and err.detail == "dtype python int vs int32"


# ------------------------------------------------------------------------------ file handling, errors
def test_save_is_atomic_and_overwrites(tmp_path: Path) -> None:
    path = tmp_path / "ckpt.npz"
    save_checkpoint(path, {"x": jnp.zeros(3)})
    save_checkpoint(str(path), {"x": jnp.ones(3)})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt.npz"]  # no temp files left behind
    assert np.array_equal(load_checkpoint(path, {"x": jnp.zeros(3)})["x"], np.ones(3))
    # A leaf that cannot be stored fails before any file is touched: the previous checkpoint survives.
    with pytest.raises(TypeError, match="name is a str"):
        save_checkpoint(path, {"x": jnp.zeros(3), "name": "run-1"})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt.npz"]
    assert np.array_equal(load_checkpoint(path, {"x": jnp.zeros(3)})["x"], np.ones(3))


def test_traced_values_are_refused(tmp_path: Path) -> None:
    def save_inside_jit(x: jax.Array) -> jax.Array:
        save_checkpoint(tmp_path / "c.npz", {"x": x})
        return x

    with pytest.raises(TypeError, match="traced"):
        jax.jit(save_inside_jit)(jnp.zeros(2))


def test_not_a_checkpoint(tmp_path: Path) -> None:
    np.savez(tmp_path / "other.npz", a=np.zeros(2))
    with pytest.raises(ValueError, match="not an lrjit checkpoint"):
        load_checkpoint(tmp_path / "other.npz", {"a": np.zeros(2)})


def test_newer_format_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ckpt.npz"
    save_checkpoint(path, {"x": np.zeros(2)})
    with np.load(path, allow_pickle=False) as npz:
        arrays = {name: npz[name] for name in npz.files}
    meta = json.loads(arrays["__lrjit_checkpoint__"].tobytes())
    meta["version"] = FORMAT_VERSION + 1
    arrays["__lrjit_checkpoint__"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    np.savez(path, **arrays)
    with pytest.raises(ValueError, match="format version"):
        load_checkpoint(path, {"x": np.zeros(2)})


# --------------------------------------------------------------------- exact resume across processes
TRAIN_SCRIPT = textwrap.dedent(
    '''
    """Trains a 2-layer MLP with adam and an injected lrjit cosine schedule; see test_resume.py."""
    import sys
    from pathlib import Path

    import jax
    import jax.numpy as jnp
    import numpy as np
    import optax

    import lrjit
    from lrjit.train.checkpoint import load_checkpoint, save_checkpoint

    TOTAL, HALF, BATCH = 100, 50, 32

    # A fixed synthetic regression problem: the same in every process.
    X = jax.random.normal(jax.random.key(2), (512, 4))
    Y = jnp.sin(X @ jnp.array([[1.0], [-2.0], [0.5], [3.0]])) + 0.1 * X[:, :1] ** 2


    def make(sched):
        """The optimizer for ``sched`` and the run's initial state (the template for loading)."""
        opt = optax.inject_hyperparams(optax.adam)(learning_rate=sched)
        k1, k2 = jax.random.split(jax.random.key(0))
        params = {
            "w1": 0.5 * jax.random.normal(k1, (4, 16)),
            "b1": jnp.zeros(16),
            "w2": 0.5 * jax.random.normal(k2, (16, 1)),
            "b2": jnp.zeros(1),
        }
        state = {
            "step": 0,
            "params": params,
            "opt_state": opt.init(params),
            "schedule": sched,
            "data_key": jax.random.key(1),
        }
        return opt, state


    def loss_fn(params, x, y):
        h = jnp.tanh(x @ params["w1"] + params["b1"])
        return jnp.mean((h @ params["w2"] + params["b2"] - y) ** 2)


    def train(opt, state, stop, snapshot=None):
        """Steps ``state["step"]`` .. ``stop - 1``; returns the state and the learning rate of each step.

        ``snapshot``: (step, path) to save a checkpoint at on the way, without stopping.
        """

        @jax.jit
        def train_step(params, opt_state, data_key, step):
            # The minibatch is a function of the step number: data order resumes with the step counter.
            idx = jax.random.choice(jax.random.fold_in(data_key, step), X.shape[0], (BATCH,), replace=False)
            grads = jax.grad(loss_fn)(params, X[idx], Y[idx])
            updates, opt_state = opt.update(grads, opt_state, params)
            return optax.apply_updates(params, updates), opt_state

        lrs = []
        for step in range(state["step"], stop):
            params, opt_state = train_step(state["params"], state["opt_state"], state["data_key"], step)
            state = {**state, "step": step + 1, "params": params, "opt_state": opt_state}
            lrs.append(np.asarray(opt_state.hyperparams["learning_rate"]))
            if snapshot is not None and state["step"] == snapshot[0]:
                save_checkpoint(snapshot[1], state)
        return state, np.stack(lrs)


    def main(mode, out):
        schedule = lrjit.CosineDecay(0.0, 90, warmup_target=0.05, warmup_steps=10)
        if mode == "straight":
            opt, state = make(schedule)
            state, lrs = train(opt, state, TOTAL, snapshot=(HALF, out / "straight_half.npz"))
            np.save(out / "lrs_straight.npy", lrs)
            save_checkpoint(out / "straight_final.npz", state)
        elif mode == "first_half":
            opt, state = make(schedule)
            state, _ = train(opt, state, HALF)
            save_checkpoint(out / "ckpt.npz", state)
        elif mode == "resume":
            _, like = make(schedule)
            state = load_checkpoint(out / "ckpt.npz", like)
            assert state["step"] == HALF, state["step"]
            opt, _ = make(state["schedule"])  # the optimizer of the saved schedule
            state, lrs = train(opt, state, TOTAL)
            np.save(out / "lrs_resumed.npy", lrs)
            save_checkpoint(out / "resumed_final.npz", state)
        elif mode == "wrong_schedule":
            _, like = make(lrjit.ExponentialDecay(0.05, 90, 0.5))
            load_checkpoint(out / "ckpt.npz", like)  # must raise CheckpointMismatchError
        else:
            raise SystemExit(f"unknown mode {mode}")


    if __name__ == "__main__":
        main(sys.argv[1], Path(sys.argv[2]))
    '''
)


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["JAX_PLATFORMS"] = "cpu"
    env["JAX_ENABLE_X64"] = "0"
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    return env


def _start(script: Path, mode: str, out: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(script), mode, str(out)],
        env=_child_env(),
        cwd=out,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(proc: subprocess.Popen[str], expect_ok: bool = True) -> str:
    _, stderr = proc.communicate(timeout=120)
    if expect_ok:
        assert proc.returncode == 0, f"{proc.args} failed:\n{stderr}"
    return stderr


def _stored_leaves(path: Path) -> tuple[list[dict[str, Any]], list[np.ndarray]]:
    """A checkpoint's leaf records and stored arrays, read without a template."""
    with np.load(path, allow_pickle=False) as npz:
        meta = json.loads(npz["__lrjit_checkpoint__"].tobytes())
        return meta["leaves"], [npz[f"leaf_{i}"] for i in range(len(meta["leaves"]))]


def _assert_same_checkpoint(a: Path, b: Path) -> None:
    records_a, arrays_a = _stored_leaves(a)
    records_b, arrays_b = _stored_leaves(b)
    assert records_a == records_b
    for record, x, y in zip(records_a, arrays_a, arrays_b, strict=True):
        assert x.dtype == y.dtype and x.shape == y.shape, record["path"]
        assert x.tobytes() == y.tobytes(), f"{record['path']} differs"


@pytest.fixture(scope="module")
def resume_runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Runs the straight and the interrupted training in separate processes; returns their folder."""
    out = tmp_path_factory.mktemp("resume")
    script = out / "train_mlp.py"
    script.write_text(TRAIN_SCRIPT)
    # The straight run and the first half are independent processes: run them side by side.
    straight, first_half = _start(script, "straight", out), _start(script, "first_half", out)
    _finish(straight)
    _finish(first_half)
    # Fresh processes: one resumes from the checkpoint, one tries it with the wrong schedule.
    resume, wrong = _start(script, "resume", out), _start(script, "wrong_schedule", out)
    _finish(resume)
    (out / "wrong_schedule.stderr").write_text(_finish(wrong, expect_ok=False))
    assert wrong.returncode != 0
    return out


def test_resumed_run_is_bit_identical(resume_runs: Path) -> None:
    out = resume_runs
    lrs_straight = np.load(out / "lrs_straight.npy")
    lrs_resumed = np.load(out / "lrs_resumed.npy")
    assert lrs_straight.shape == (100,) and lrs_resumed.shape == (50,)
    assert lrs_straight.dtype == lrs_resumed.dtype == np.float32
    # The schedule really varies: warmup from 0 to the 0.05 peak at step 10, cosine decay after.
    assert lrs_straight[0] == 0.0 and lrs_straight[10] == np.float32(0.05)
    assert len(np.unique(lrs_straight[50:])) > 40
    # The learning rates of steps 50..99, bit for bit.
    assert lrs_resumed.tobytes() == lrs_straight[50:].tobytes()
    # The interrupted run's checkpoint equals the straight run's state at step 50 ...
    _assert_same_checkpoint(out / "ckpt.npz", out / "straight_half.npz")
    # ... and the resumed run ends where the straight run ends: params, adam moments, counts, schedule, key.
    _assert_same_checkpoint(out / "resumed_final.npz", out / "straight_final.npz")
    records, arrays = _stored_leaves(out / "resumed_final.npz")
    by_path = {r["path"]: a for r, a in zip(records, arrays, strict=True)}
    assert by_path["['step']"] == 100
    assert by_path["['opt_state'].count"] == 100
    assert by_path["['opt_state'].hyperparams_states['learning_rate'].count"] == 100
    # Training moved the parameters in the second half.
    half = dict(zip((r["path"] for r in records), _stored_leaves(out / "ckpt.npz")[1], strict=True))
    assert not np.array_equal(half["['params']['w1']"], by_path["['params']['w1']"])


def test_restore_with_wrong_schedule_fails_in_fresh_process(resume_runs: Path) -> None:
    stderr = (resume_runs / "wrong_schedule.stderr").read_text()
    assert "CheckpointMismatchError" in stderr
    assert "schedule: CosineDecay vs ExponentialDecay (checkpoint vs like)" in stderr
