"""No silent wrong value at the edges: each reproduction of a value that was silently wrong, or an error a
user could not act on, gives the right value or a clear error (named after the reproduction)."""

from __future__ import annotations

import json
import os
import pathlib
import re
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import lrjit
from lrjit import ConfigError, FieldError, SpecError

_COSINE = {
    "lrjit": 1,
    "dtypes": {"float": "float32", "int": "int32"},
    "family": "CosineDecay",
    "initial_learning_rate": 0.1,
    "decay_steps": 1000,
}


# ------------------------------------------------------------------------------------------ from_config
def test_from_config_refuses_a_count_that_int32_cannot_hold() -> None:
    with pytest.raises(ConfigError, match=r"decay_steps: 4294968296 does not fit int32 \(enable x64"):
        lrjit.from_config({**_COSINE, "decay_steps": 2**32 + 1000})


def test_from_config_refuses_boundaries_that_int32_cannot_hold() -> None:
    config = {"family": "PiecewiseConstantDecay", "boundaries": [2**32 + 10, 2**32 + 20], "values": [1, 2, 3]}
    with pytest.raises(ConfigError, match="boundaries"):
        lrjit.from_config({"lrjit": 1, "dtypes": {"float": "float32", "int": "int32"}, **config})
    with pytest.raises(ConfigError, match="must fit in int32"):
        lrjit.from_config(config)  # no recorded dtypes: the constructor's own range check


def test_from_config_refuses_an_integer_float_dtype() -> None:
    with pytest.raises(ConfigError, match=r"dtypes.float: expected 'float32' or 'float64', got 'int8'"):
        lrjit.from_config({**_COSINE, "dtypes": {"float": "int8", "int": "int32"}})


def test_from_config_refuses_a_uint8_leaf_that_would_wrap() -> None:
    with pytest.raises(ConfigError, match=r"decay_steps.dtype: expected 'int32' or 'int64', got 'uint8'"):
        lrjit.from_config({**_COSINE, "decay_steps": {"dtype": "uint8", "value": 300}})


def test_from_config_refuses_a_float_beyond_float32() -> None:
    with pytest.raises(ConfigError, match=r"initial_learning_rate: 1e\+39 is beyond the range of float32"):
        lrjit.from_config({**_COSINE, "initial_learning_rate": 1e39})


def test_from_config_bounds_the_nesting_depth() -> None:
    config: dict = {"family": "Constant", "value": 1.0}
    for _ in range(600):
        config = {"family": "Offset", "schedule": config, "steps": 1}
    with pytest.raises(ConfigError, match="max_depth=64"):
        lrjit.from_config(config)
    shallow = {"family": "Offset", "schedule": {"family": "Constant", "value": 1.0}, "steps": 1}
    with pytest.raises(ConfigError, match="max_depth=1"):
        lrjit.from_config(shallow, max_depth=1)
    assert float(lrjit.from_config(shallow, max_depth=2)(0)) == 1.0


def test_from_config_bounds_the_number_of_schedules() -> None:
    wide = {"family": "Sequence", "schedules": [{"family": "Constant", "value": 1.0}] * 30}
    wide["boundaries"] = list(range(1, 30))
    with pytest.raises(ConfigError, match="max_schedules=10"):
        lrjit.from_config(wide, max_schedules=10)
    assert lrjit.from_config(wide).boundaries.shape == (29,)


def test_from_config_reads_json_text() -> None:
    text = json.dumps(lrjit.CosineDecay(0.1, 1000).to_config())
    assert lrjit.from_config(text) == lrjit.CosineDecay(0.1, 1000)
    with pytest.raises(ConfigError, match="not valid JSON"):
        lrjit.from_config("{decay_steps: 3")


def test_from_config_points_a_keras_dict_to_compile() -> None:
    keras = {"class_name": "CosineDecay", "config": {"initial_learning_rate": 0.1, "decay_steps": 10}}
    with pytest.raises(ConfigError, match=r"a keras schedule, not an lrjit config.*lrjit.compile"):
        lrjit.from_config(keras)
    assert lrjit.compile(keras).schedule == lrjit.CosineDecay(0.1, 10)


# ----------------------------------------------------------------------------------------- spec language
def test_parse_of_a_hundred_unary_minuses_is_a_spec_error() -> None:
    with pytest.raises(SpecError, match="nested too deeply") as info:
        lrjit.parse("-" * 100 + "1")
    assert info.value.column == 100
    assert float(lrjit.parse("-" * 40 + "1")(0)) == 1.0


# ------------------------------------------------------------------------------------- constructor errors
def test_misspelled_keyword_suggests_the_field() -> None:
    with pytest.raises(
        TypeError, match=r"StepLR: unexpected keyword argument `step_sz`; did you mean `step_size`"
    ):
        lrjit.StepLR(0.1, step_sz=30)
    with pytest.raises(FieldError) as info:
        lrjit.StepLR(0.1, 30, foo=1)
    assert info.value.fields == ("foo",) and "the fields are base_lr, step_size, gamma" in str(info.value)


def test_bad_value_is_echoed_as_written() -> None:
    with pytest.raises(FieldError, match=r"got -0\.1$") as info:
        lrjit.CosineDecay(-0.1, 1000)
    assert info.value.fields == ("initial_learning_rate",)


@pytest.mark.parametrize("dtype", [jnp.bfloat16, jnp.float16])
def test_half_precision_hyperparameters_are_widened_exactly(dtype: type) -> None:
    half = jnp.asarray(0.1, dtype)
    sched = lrjit.CosineDecay(half, 1000)
    assert sched.initial_learning_rate.dtype == np.float32 and sched.dtype == np.float32
    assert float(sched.initial_learning_rate) == float(half)  # exact: every half value is a float32
    assert sched(0).dtype == np.float32


# ---------------------------------------------------------------------------------------------- training
def test_plateau_counters_saturate_instead_of_wrapping() -> None:
    from lrjit.train import ReduceLROnPlateau

    cfg = ReduceLROnPlateau(patience=0, factor=0.5)
    top = jnp.iinfo(jnp.int32).max
    state = cfg.init(0.1)._replace(best=jnp.float32(0.0), last_epoch=jnp.int32(top - 1))
    lrs = []
    for metric in [1.0, 1.0, 1.0]:  # no improvement on 0.0: patience 0 reduces every update
        state = cfg.update(state, metric)
        lrs.append(state.lr)
    assert int(state.last_epoch) == top  # stays at the maximum, never negative
    np.testing.assert_array_equal(lrs, np.float32([0.1, 0.1, 0.1]) * np.float32([0.5, 0.25, 0.125]))
    saturated = state._replace(num_bad_epochs=jnp.int32(top), num_reductions=jnp.int32(top))
    after = ReduceLROnPlateau(patience=int(top)).update(saturated, 2.0)
    assert int(after.num_bad_epochs) == top and int(after.num_reductions) == top


@pytest.mark.parametrize("metric", [1 + 2j, True, np.bool_(False)])
def test_plateau_refuses_metrics_that_are_not_real_numbers(metric: object) -> None:
    from lrjit.train import ReduceLROnPlateau

    cfg = ReduceLROnPlateau()
    with pytest.raises(TypeError, match="`metric` must be a real number"):
        cfg.update(cfg.init(0.1), metric)


def test_bridge_refuses_a_batched_schedule() -> None:
    import optax

    from lrjit.train import inject_hyperparams

    batch = lrjit.CosineDecay(np.array([0.1, 0.2, 0.3, 0.4]), 1000)
    with pytest.raises(ValueError, match=r"a batched schedule \(4 configs\) gives 4 rates per step"):
        inject_hyperparams(optax.sgd)(learning_rate=batch)
    single = inject_hyperparams(optax.sgd)(learning_rate=lrjit.unstack(batch)[1])
    assert float(single.init({"w": jnp.zeros(3)}).hyperparams["learning_rate"]) == pytest.approx(0.2)


# ------------------------------------------------------------------------------------------- checkpoints
def _rewrite(path: pathlib.Path, edit: Callable[[dict, dict], None]) -> None:
    """Rewrites a checkpoint with ``edit(arrays, meta)`` applied (a forged file)."""
    with np.load(path, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    meta = json.loads(arrays["__lrjit_checkpoint__"].tobytes())
    edit(arrays, meta)
    arrays["__lrjit_checkpoint__"] = np.frombuffer(json.dumps(meta).encode(), np.uint8)
    with open(path, "wb") as f:
        np.savez(f, **arrays)


def test_checkpoint_refuses_a_forged_leaf_record(tmp_path: pathlib.Path) -> None:
    from lrjit.train import CheckpointError, load_checkpoint, save_checkpoint

    state = {"w": jnp.zeros(4, jnp.float32)}
    save_checkpoint(tmp_path / "c.npz", state)

    def forge(arrays: dict, meta: dict) -> None:
        arrays["leaf_0"] = np.zeros(1000, np.int32)
        meta["leaves"][0].update(shape=[1000], dtype="int32", storage="int32")

    _rewrite(tmp_path / "c.npz", forge)
    with pytest.raises(CheckpointError, match=r"c.npz: \['w'\] holds int32\[1000\], `like` has float32\[4\]"):
        load_checkpoint(tmp_path / "c.npz", state)


def test_checkpoint_refuses_a_forged_schedule_value(tmp_path: pathlib.Path) -> None:
    from lrjit.train import CheckpointError, load_checkpoint, save_checkpoint

    state = {"schedule": lrjit.CosineDecay(0.1, 100)}
    save_checkpoint(tmp_path / "c.npz", state)
    index = [
        r["path"] for r in json.loads(np.load(tmp_path / "c.npz")["__lrjit_checkpoint__"].tobytes())["leaves"]
    ].index("['schedule'].decay_steps")

    def forge(arrays: dict, meta: dict) -> None:
        arrays[f"leaf_{index}"] = np.zeros((), np.int32)

    _rewrite(tmp_path / "c.npz", forge)
    with pytest.raises(
        CheckpointError, match=r"invalid CosineDecay: .*`decay_steps` must be an integer >= 1, got 0"
    ):
        load_checkpoint(tmp_path / "c.npz", state)


@pytest.mark.parametrize(
    "damage",
    ["truncated", "foreign", "no metadata", "broken metadata", "not a dict", "unknown dtype"],
)
def test_checkpoint_malformed_files_are_checkpoint_errors(tmp_path: pathlib.Path, damage: str) -> None:
    from lrjit.train import CheckpointError, load_checkpoint, save_checkpoint

    state = {"w": jnp.arange(3.0), "schedule": lrjit.ExponentialDecay(0.1, 10, 0.5)}
    path = tmp_path / "c.npz"
    save_checkpoint(path, state)
    data = path.read_bytes()
    if damage == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "foreign":
        path.write_text("these are not the arrays you are looking for")
    elif damage == "no metadata":
        np.savez(path, leaf_0=np.zeros(3))
    elif damage == "broken metadata":
        with np.load(path) as npz:
            arrays = {k: npz[k] for k in npz.files}
        arrays["__lrjit_checkpoint__"] = np.frombuffer(b'{"format": "lrjit.chec', np.uint8)
        with open(path, "wb") as f:
            np.savez(f, **arrays)
    elif damage == "not a dict":
        _rewrite(path, lambda arrays, meta: meta.clear())
    else:
        _rewrite(path, lambda arrays, meta: meta["leaves"][0].update(dtype="float13"))
    with pytest.raises(CheckpointError, match=re.escape(str(path))):
        load_checkpoint(path, state)


def test_checkpoint_saves_through_a_symlink(tmp_path: pathlib.Path) -> None:
    from lrjit.train import load_checkpoint, save_checkpoint

    target = tmp_path / "runs" / "real.npz"
    target.parent.mkdir()
    link = tmp_path / "latest.npz"
    link.symlink_to(target)
    state = {"w": jnp.arange(3.0)}
    save_checkpoint(link, state)
    assert link.is_symlink() and target.is_file()
    np.testing.assert_array_equal(load_checkpoint(link, state)["w"], state["w"])


def test_checkpoint_cleans_stale_temporaries_of_its_path(tmp_path: pathlib.Path) -> None:
    import subprocess

    from lrjit.train import save_checkpoint

    dead_pid = subprocess.Popen(["true"])  # a pid that has exited
    dead_pid.wait()
    stale = tmp_path / f".c.npz.{dead_pid.pid}.0123456789ab.tmp"
    live = tmp_path / f".c.npz.{os.getppid()}.0123456789ab.tmp"  # a running process: a concurrent save
    other = tmp_path / f".d.npz.{dead_pid.pid}.0123456789ab.tmp"  # another checkpoint's temporary
    for p in (stale, live, other):
        p.write_bytes(b"partial")
    save_checkpoint(tmp_path / "c.npz", {"w": jnp.zeros(2)})
    assert not stale.exists() and live.exists() and other.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["c.npz", live.name, other.name])


# ------------------------------------------------------------------------------------- boundary search
@pytest.mark.parametrize("n", [1025, 10**5])
def test_boundary_search_memory_does_not_grow_with_boundaries(n: int) -> None:
    """10**5 boundaries over 10**5 steps held a 1.3 GB intermediate; now O(K*N + K*B), exact."""
    from lrjit.core.batch import curves_range

    rng = np.random.default_rng(n)
    k, steps = 3, 10**5
    bounds = np.sort(np.stack([rng.choice(10**7, n, replace=False) for _ in range(k)]), axis=-1)
    values = rng.random((k, n + 1)).astype(np.float32)
    batch = lrjit.PiecewiseConstantDecay(bounds, values)
    compiled = curves_range.lower(batch, steps).compile()
    temp = compiled.memory_analysis().temp_size_in_bytes
    assert temp <= 8 * k * steps * 4 + 4 * k * (n + 1) * 4  # a few [K, N] and [K, B] int32 arrays
    out = np.asarray(compiled(batch))
    ref = np.stack([values[i][np.searchsorted(bounds[i], np.arange(steps), side="left")] for i in range(k)])
    np.testing.assert_array_equal(out, ref)


# ------------------------------------------------------------------------------------------ checked mode
def test_checked_call_reports_the_step_where_restarts_with_shrinking_cycles_give_nan() -> None:
    import jax

    sched = lrjit.CosineDecayRestarts(0.1, 10, t_mul=0.5)  # the cycles add up to 20 steps
    err, lr = jax.jit(lrjit.checked_call)(sched, jnp.arange(30))
    assert np.isnan(np.asarray(lr)[20:]).all() and np.isfinite(np.asarray(lr)[:20]).all()
    assert (
        err.get() is not None
        and "CosineDecayRestarts: the learning rate is not finite at step 20" in err.get()
    )
    batch = lrjit.stack([lrjit.CosineDecayRestarts(0.1, 10, t_mul=2.0), sched])
    assert "at step 20" in jax.jit(lrjit.checked_call)(batch, jnp.arange(30))[0].get()
    assert lrjit.checked_call(lrjit.CosineDecayRestarts(0.1, 10, t_mul=0.5), jnp.arange(20))[0].get() is None


# ---------------------------------------------------------------------------------------------- import
def test_from_torch_description_takes_torchs_defaults() -> None:
    from lrjit.interop import from_torch

    one_cycle = {
        "class_name": "OneCycleLR",
        "config": {"max_lr": 0.1, "total_steps": 100},
        "initial_lrs": [0.004],
    }
    assert from_torch(one_cycle) == lrjit.OneCycleLR(0.1, 100)  # pct_start 0.3, cos, div 25, final 1e4
    cosine = {"class_name": "CosineAnnealingLR", "config": {"T_max": 10}, "base_lrs": [0.1]}
    assert from_torch(cosine) == lrjit.CosineAnnealingLR(0.1, 10)  # eta_min 0
    with pytest.raises(ValueError, match="lacks 'T_max', which torch's CosineAnnealingLR needs"):
        from_torch({"class_name": "CosineAnnealingLR", "base_lrs": [0.1]})
    assert lrjit.compile(one_cycle).schedule == lrjit.OneCycleLR(0.1, 100)


def test_from_torch_reads_a_state_dict_with_its_class() -> None:
    torch = pytest.importorskip("torch")
    from lrjit.interop import from_torch

    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    step = torch.optim.lr_scheduler.StepLR(opt, 3, 0.5)
    with pytest.raises(ValueError, match=r"no 'class_name'.*for a state_dict\(\) pass class_name"):
        from_torch(step.state_dict())
    assert from_torch(step.state_dict(), class_name="StepLR") == lrjit.StepLR(0.1, 3, 0.5)
    milestones = torch.optim.lr_scheduler.MultiStepLR(opt, [7, 3], 0.5)
    assert from_torch(milestones.state_dict(), class_name="MultiStepLR") == lrjit.MultiStepLR(
        0.1, [3, 7], 0.5
    )


@pytest.mark.parametrize("anneal_strategy", ["cos", "linear"])
def test_from_torch_of_a_one_cycle_stepped_to_its_end_holds_without_warning(anneal_strategy: str) -> None:
    # torch's rate after total_steps steps extrapolates the last phase; lrjit holds the minimum there and
    # from_torch does not call the scheduler's state a mismatch.
    torch = pytest.importorskip("torch")
    import warnings

    from lrjit.interop import from_torch

    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    one_cycle = torch.optim.lr_scheduler.OneCycleLR(opt, 0.1, 100, anneal_strategy=anneal_strategy)
    torch_values = [opt.param_groups[0]["lr"]]
    for _ in range(100):
        opt.step()
        one_cycle.step()
        torch_values.append(opt.param_groups[0]["lr"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with jax.enable_x64(True):
            sched = from_torch(one_cycle)
            ours = np.asarray(sched(np.arange(101)))
    np.testing.assert_allclose(ours[:100], torch_values[:100], rtol=1e-12, atol=1e-15 * 0.1)  # x64 bound
    assert ours[100] == ours[99] == pytest.approx(0.1 / 25 / 1e4, rel=1e-12)
    assert torch_values[100] != pytest.approx(torch_values[99], rel=1e-3)  # torch's extrapolated step


def test_compile_reads_a_torch_description_by_its_content() -> None:
    described = {"class_name": "StepLR", "config": {"step_size": 3, "gamma": 0.5}, "base_lrs": [0.1]}
    assert lrjit.compile(described).schedule == lrjit.StepLR(0.1, 3, 0.5)  # not "unknown Keras schedule"


# -------------------------------------------------------------------------------------- families' edges
def test_polynomial_with_warmup_of_power_zero_holds_base_lr_through_num_training_steps() -> None:
    # transformers: pct_remaining ** power at step N is 0 ** 0 = 1, so the rate is lr_init there.
    sched = lrjit.PolynomialWithWarmup(
        base_lr=0.1, num_warmup_steps=0, num_training_steps=10, lr_end=0.0, power=0.0
    )
    np.testing.assert_array_equal(sched(np.arange(8, 13)), np.float32([0.1, 0.1, 0.1, 0.0, 0.0]))


@pytest.mark.parametrize("t_mul", [1e6, 1e18])
def test_restarts_with_huge_multipliers_stay_finite_at_every_step(t_mul: float) -> None:
    top = np.iinfo(np.int32).max
    steps = np.array([0, 9, 10, 11, 10**6, top - 1, top], np.int32)
    lr = np.asarray(lrjit.CosineDecayRestarts(0.1, 10, t_mul=t_mul)(steps))
    assert np.isfinite(lr).all()
    # float64 closed form: cycle 1 starts at step 10 and lasts 10 * t_mul steps.
    start, length = 10.0, 10.0 * t_mul
    left = np.where(steps < 10, (10 - steps) / 10, 1 - (steps - start) / length)
    if t_mul == 1e6:  # past 10 + 1e7 the second cycle ends and the third starts
        third = steps >= start + length
        left = np.where(third, 1 - (steps - start - length) / (length * t_mul), left)
    np.testing.assert_allclose(lr, 0.1 * np.sin(np.pi / 2 * left) ** 2, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize(
    "family", ["CosineDecayRestarts", "CosineAnnealingWarmRestarts", "CosineLRScheduler"]
)
def test_cycle_multipliers_beyond_1e18_are_refused(family: str) -> None:
    name = {"CosineDecayRestarts": "t_mul", "CosineAnnealingWarmRestarts": "T_mult"}.get(family, "cycle_mul")
    with pytest.raises(FieldError, match=rf"`{name}` must be a float .* and <= 1e18, got 1e\+30"):
        lrjit.registry()[family](0.1, 10, **{name: 1e30})


_TOP = 2**31 - 1


@pytest.mark.parametrize(
    ("sched", "steps"),
    [
        # d * ceil(step / d) passed the integer range: NaN and wrong values near the top.
        (lrjit.PolynomialDecay(0.1, 3000, 0.001, 0.5, True), [2147481000, 2147481001]),
        # step - W + timescale passed it.
        (lrjit.InverseSqrt(0.1, 0), [_TOP - 10000, _TOP]),
        # decay_steps + warmup_steps passed it: -2.1e7 at every step.
        (lrjit.CosineDecay(0.0, _TOP, warmup_target=0.1, warmup_steps=10), [0, 5, 10, _TOP]),
        (lrjit.TriStage(0.1, 10, _TOP - 100, 1000), [_TOP]),
        (lrjit.WarmupStableDecay(0.1, 10, _TOP - 100, 1000), [_TOP]),
        (lrjit.CosineAnnealingLR(0.1, 2**30 + 1), [0, 2**30 + 1, _TOP]),
        (lrjit.CyclicLR(0.0, 1.0, 2**30 + 1, 2**30 + 1), [0, 2**30 + 1, _TOP]),
    ],
    ids=[
        "PolynomialDecay-cycle",
        "InverseSqrt",
        "CosineDecay",
        "TriStage",
        "WSD",
        "CosineAnnealingLR",
        "CyclicLR",
    ],
)
def test_no_integer_sum_passes_the_largest_step(sched: lrjit.Schedule, steps: list[int]) -> None:
    got = np.asarray(sched(np.array(steps, np.int32)), np.float64)
    want = _float64_reference(sched, np.array(steps, np.float64))
    np.testing.assert_allclose(got, want, rtol=2e-6, atol=1e-7 * np.max(np.abs(want)))


def _float64_reference(sched: lrjit.Schedule, s: np.ndarray) -> np.ndarray:
    """The closed forms of the configs above, in float64 from the sources' formulas."""
    name = type(sched).__name__
    if name == "PolynomialDecay":  # Keras, cycle: period stretched to d * ceil(s / d)
        d = 3000.0
        span = d * np.maximum(np.ceil(s / d), 1)
        return (0.1 - 0.001) * (1 - s / span) ** 0.5 + 0.001
    if name == "InverseSqrt":  # transformers, W = 0, timescale 10**4
        return 0.1 / np.sqrt((s + 10**4) / 10**4)
    if name == "CosineDecay":  # Keras: warmup from 0 to 0.1 over 10 steps, then cosine over 2**31 - 1
        decay = 0.1 * 0.5 * (1 + np.cos(np.pi * np.minimum(s - 10, _TOP) / _TOP))
        return np.where(s < 10, 0.1 * s / 10, decay)
    if name == "TriStage":  # fairseq: warmup 10, hold 2**31 - 100, exponential decay over 1000 to 0.01
        k = s - 10 - (_TOP - 100)
        return 0.1 * np.exp(np.log(0.01) * k / 1000)
    if name == "WarmupStableDecay":  # transformers: cosine decay (the default) to 0 over 1000 steps
        k = s - 10 - (_TOP - 100)
        return 0.1 * 0.5 * (1 + np.cos(np.pi * k / 1000))
    if name == "CosineAnnealingLR":  # torch's closed form, period 2 T_max
        return 0.1 * 0.5 * (1 + np.cos(np.pi * s / (2**30 + 1)))
    # CyclicLR, triangular: up 2**30 + 1, down 2**30 + 1 (the whole range is the first cycle)
    up = 2.0**30 + 1
    return np.where(s <= up, s / up, (2 * up - s) / up)


# ------------------------------------------------------------------------------------------- eager path
def test_eager_calls_follow_the_x64_mode_of_each_call() -> None:
    # Concrete calls keep the schedule's leaves on the device; the kept copy is per x64 mode, so a call
    # in the other mode does not reuse leaves canonicalized for the first.
    with jax.enable_x64(True):
        sched = lrjit.ExponentialDecay(0.1, 100, 0.5)
        first = sched(3)
    assert first.dtype == jnp.float64
    assert sched(3).dtype == jnp.float32
    with jax.enable_x64(True):
        again = sched(3)
        assert again.dtype == jnp.float64 and again == first
        assert again == jax.jit(lambda s, t: s(t))(sched, 3)


def test_a_called_schedule_pickles_without_its_device_copy() -> None:
    import pickle

    sched = lrjit.CosineDecay(0.1, 100)
    value = sched(7)
    back = pickle.loads(pickle.dumps(sched))
    assert back == sched and back(7) == value
