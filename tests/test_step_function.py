"""``lrjit.StepFunction``: a user's jax.numpy function of the step as a schedule, and torch's ``LambdaLR``
read through it (``lrjit.from_torch``).

The function's values are checked against the same function evaluated in NumPy float64, alone and inside
compositions (products, sequences, warmup), jitted, batched and differentiated; ``LambdaLR`` is compared
live with torch (installed in the venv; skipped without it), stepped as a training loop steps it (the
optimizer's rate read before each ``optimizer.step(); scheduler.step()``), over every step of the run.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import lrjit
from lrjit.frontend import UnsupportedScheduleError
from lrjit.train import load_checkpoint, save_checkpoint

from bounds import assert_within

STEPS = np.concatenate([np.arange(0, 400), [999, 1000, 10**6, 2**31 - 1]])


def decay(step: Any) -> Any:
    """An exponential decay written once for jax.numpy (lrjit) and NumPy float64 (the reference): both
    namespaces have ``exp``."""
    xp = jnp if isinstance(step, jax.Array) else np
    return xp.exp(step * -2e-3)


def warm_then_halve(step: Any) -> Any:
    xp = jnp if isinstance(step, jax.Array) else np
    return xp.minimum(1.0, step / 50 + 0.02) * xp.where(step < 300, 1.0, 0.5)


def reference(fn: Any, steps: np.ndarray) -> np.ndarray:
    return np.asarray(fn(np.asarray(steps, np.float64)), np.float64)


# ------------------------------------------------------------------------------------------------------
# values
# ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("x64", [False, True])
@pytest.mark.parametrize("fn", [decay, warm_then_halve])
def test_values_are_the_function_of_the_step(fn: Any, x64: bool) -> None:
    with jax.enable_x64(x64):
        got = lrjit.StepFunction(fn)(STEPS)
        assert got.dtype == (np.float64 if x64 else np.float32) and got.shape == STEPS.shape
    assert_within(got, reference(fn, STEPS), x64=x64, what=fn.__name__, steps=STEPS)


def test_scalar_integer_and_bool_values() -> None:
    steps = np.arange(5)
    np.testing.assert_array_equal(lrjit.StepFunction(lambda s: 0.25)(steps), np.full(5, 0.25, np.float32))
    np.testing.assert_array_equal(lrjit.StepFunction(lambda s: s // 2)(steps), [0.0, 0.0, 1.0, 1.0, 2.0])
    np.testing.assert_array_equal(lrjit.StepFunction(lambda s: s < 2)(steps), [1.0, 1.0, 0.0, 0.0, 0.0])
    assert lrjit.StepFunction(lambda s: 0.25)(np.int32(7)).shape == ()


def test_compositions_of_a_step_function() -> None:
    f = lrjit.StepFunction(decay)
    s = STEPS.astype(np.float64)
    cases = {
        "product": (0.1 * f, 0.1 * decay(s)),
        "sum": (f + lrjit.Constant(1e-3), decay(s) + 1e-3),
        "sequence": (
            lrjit.sequence([lrjit.StepFunction(warm_then_halve), 0.5 * f], [100]),
            np.where(s < 100, warm_then_halve(s), 0.5 * decay(np.maximum(s - 100, 0))),
        ),
        "warmup": (
            lrjit.warmup(0.1 * f, 20),
            np.where(s < 20, 0.1 * s / 20, 0.1 * decay(np.maximum(s - 20, 0))),
        ),
        "minimum": (lrjit.minimum(f, lrjit.CosineDecay(1.0, 500)), None),
    }
    for name, (sched, want) in cases.items():
        if want is None:  # against the family's own values
            want = np.minimum(decay(s), np.asarray(lrjit.CosineDecay(1.0, 500)(STEPS), np.float64))
        assert_within(sched(STEPS), want, x64=False, what=name, steps=STEPS)


# ------------------------------------------------------------------------------------------------------
# transformations: jit, vmap next to other schedules' leaves, grad
# ------------------------------------------------------------------------------------------------------
def test_jit_takes_the_schedule_as_an_argument_and_recompiles_only_for_a_new_function() -> None:
    traces = []

    @jax.jit
    def rate(sched: lrjit.Schedule, step: jax.Array) -> jax.Array:
        traces.append(1)
        return sched(step)

    steps = jnp.arange(8)
    first = rate(0.1 * lrjit.StepFunction(decay), steps)
    second = rate(0.3 * lrjit.StepFunction(decay), steps)  # a new leaf value: the same program
    assert len(traces) == 1
    np.testing.assert_allclose(second, 3 * np.asarray(first), rtol=1e-6)
    rate(0.1 * lrjit.StepFunction(warm_then_halve), steps)  # a new function: a new structure
    assert len(traces) == 2


def test_a_batch_through_the_other_schedules_leaves() -> None:
    peaks = np.array([0.1, 0.3, 1.0])
    batch = lrjit.stack([p * lrjit.StepFunction(decay) for p in peaks])
    assert lrjit.batch_size(batch) == 3
    want = peaks[:, None] * decay(np.arange(500, dtype=np.float64))[None, :]
    assert_within(lrjit.curves(batch, 500), want, x64=False, what="curves")
    vmapped = jax.vmap(lambda b: b(jnp.arange(500)))(batch)
    assert_within(vmapped, want, x64=False, what="vmap")


def test_grad_reaches_the_leaves_around_it() -> None:
    def total(peak: jax.Array) -> jax.Array:
        return jnp.sum((peak * lrjit.StepFunction(decay))(jnp.arange(100)))

    np.testing.assert_allclose(jax.grad(total)(jnp.float32(0.5)), decay(np.arange(100.0)).sum(), rtol=1e-5)


# ------------------------------------------------------------------------------------------------------
# the function as structure: not called when built, identity, errors naming it
# ------------------------------------------------------------------------------------------------------
def test_the_function_is_not_called_when_the_schedule_is_built() -> None:
    calls = []

    def noisy(step: jax.Array) -> jax.Array:
        calls.append(step)
        return 0.5 + 0.0 * step

    sched = lrjit.StepFunction(noisy)
    _ = 0.1 * sched
    assert calls == []
    np.testing.assert_array_equal(sched(np.arange(3)), [0.5, 0.5, 0.5])
    assert len(calls) == 1  # traced once for its compiled program


def test_equality_and_hash_follow_the_function() -> None:
    assert lrjit.StepFunction(decay) == lrjit.StepFunction(decay)
    assert hash(lrjit.StepFunction(decay)) == hash(lrjit.StepFunction(decay))
    assert lrjit.StepFunction(decay) != lrjit.StepFunction(warm_then_halve)
    assert "StepFunction" not in lrjit.registry()  # no config or spec can rebuild a function
    assert "fn=<function decay" in repr(lrjit.StepFunction(decay))


class _Unhashable:
    __hash__ = None  # type: ignore[assignment]

    def __call__(self, step: jax.Array) -> jax.Array:
        return step


@pytest.mark.parametrize(
    ("fn", "error", "message"),
    [
        (0.1, lrjit.FieldError, "StepFunction: `fn` must be a function of the step array, got 0.1"),
        (_Unhashable(), TypeError, "`fn` must be hashable"),
    ],
)
def test_construction_errors(fn: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        lrjit.StepFunction(fn)


def python_cosine(step: Any) -> float:
    return math.cos(step)


def python_branch(step: Any) -> float:
    return 1.0 if step < 10 else 0.1


@pytest.mark.parametrize(
    ("fn", "error", "message"),
    [
        (python_cosine, TypeError, r"fn=python_cosine failed on an array of steps .*jnp\.cos for math\.cos"),
        (python_branch, TypeError, r"fn=python_branch failed on an array of steps .*jnp\.where for `if`"),
        (lambda s: jnp.stack([s, s]), ValueError, r"returned shape \(2, 4\) for steps of shape \(4,\)"),
        (lambda s: 1j * s, TypeError, "returned complex64 values; it must return real numbers"),
        (lambda s: None, TypeError, "returned None, not numbers"),
    ],
)
def test_evaluation_errors_name_the_function(fn: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        (0.1 * lrjit.StepFunction(fn))(np.arange(4))


def test_configs_and_specs_refuse_it() -> None:
    sched = lrjit.warmup(0.1 * lrjit.StepFunction(decay), 10)
    with pytest.raises(TypeError, match=r"StepFunction\.fn .*Python function"):
        sched.to_config()
    with pytest.raises(ValueError, match=r"StepFunction\.fn .*Python function"):
        lrjit.to_spec(sched)


def test_a_checkpoint_holds_the_leaves_and_takes_the_function_from_the_template(tmp_path: Any) -> None:
    state = {"schedule": lrjit.stack([0.1 * lrjit.StepFunction(decay), 0.2 * lrjit.StepFunction(decay)])}
    save_checkpoint(tmp_path / "ckpt.npz", state)
    like = {"schedule": lrjit.stack([0.5 * lrjit.StepFunction(decay), 0.5 * lrjit.StepFunction(decay)])}
    back = load_checkpoint(tmp_path / "ckpt.npz", like)
    assert back["schedule"] == state["schedule"]


# ------------------------------------------------------------------------------------------------------
# torch's LambdaLR, live
# ------------------------------------------------------------------------------------------------------
def _torch() -> Any:
    return pytest.importorskip("torch")


def _optimizer(torch: Any, lrs: list[float]) -> Any:
    groups = [{"params": [torch.zeros(1, requires_grad=True)], "lr": lr} for lr in lrs]
    return torch.optim.SGD(groups, lr=lrs[0])


def _stepped(scheduler: Any, steps: int) -> np.ndarray:
    """The rate of every param group before each update, stepped as a training loop steps it:
    ``[steps, groups]``."""
    out = []
    for _ in range(steps):
        out.append([float(g["lr"]) for g in scheduler.optimizer.param_groups])
        scheduler.optimizer.step()
        scheduler.step()
    return np.asarray(out, np.float64)


def _exponential(epoch: Any) -> Any:
    return 0.95**epoch  # a Python float for torch's int, a jax array for lrjit's steps


def _warmup_cosine(epoch: Any) -> Any:
    warm = jnp.minimum(1.0, (epoch + 1) / 40)
    return warm * 0.5 * (1 + jnp.cos(jnp.pi * jnp.minimum(epoch, 300) / 300))


def _staircase(epoch: Any) -> Any:
    return jnp.where(epoch < 100, 1.0, jnp.where(epoch < 250, 0.1, 0.01))


N = 400


@pytest.mark.filterwarnings("ignore::UserWarning:torch.*")
@pytest.mark.parametrize("lam", [_exponential, _warmup_cosine, _staircase])
def test_lambda_lr_matches_torch(lam: Any) -> None:
    torch = _torch()
    with jax.enable_x64(True):  # torch multiplies in float64; the lambdas' jnp values are float64 here
        scheduler = torch.optim.lr_scheduler.LambdaLR(_optimizer(torch, [0.1, 0.3]), lam)
        want = _stepped(scheduler, N)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # the schedule at its current step is the optimizer's rate
            got64 = lrjit.from_torch(scheduler)
        assert lrjit.batch_size(got64) == 2  # one config per group (their base rates)
        assert_within(got64(np.arange(N)).T, want, x64=True, what=lam.__name__)
    got32 = lrjit.from_torch(scheduler)
    assert got32(np.arange(N)).dtype == np.float32
    assert_within(got32(np.arange(N)).T, want, x64=False, what=lam.__name__)


@pytest.mark.filterwarnings("ignore::UserWarning:torch.*")
def test_lambda_lr_per_group_functions_and_inside_a_sequential() -> None:
    torch = _torch()
    L = torch.optim.lr_scheduler
    with jax.enable_x64(True):
        scheduler = L.LambdaLR(_optimizer(torch, [0.1, 0.3]), [_exponential, _staircase])
        want = _stepped(scheduler, N)
        with pytest.raises(ValueError, match="different structures"):
            lrjit.from_torch(scheduler)  # two functions: two structures, no batch
        for g in (0, 1):
            got = lrjit.from_torch(scheduler, param_group=g)(np.arange(N))
            assert_within(got, want[:, g], x64=True, what=f"group {g}")

        opt = _optimizer(torch, [0.2])
        warm = L.LambdaLR(opt, _warmup_cosine)
        scheduler = L.SequentialLR(opt, [warm, L.ExponentialLR(opt, 0.99)], milestones=[150])
        want = _stepped(scheduler, N)
        got = lrjit.from_torch(scheduler)(np.arange(N))
        assert_within(got, want[:, 0], x64=True, what="SequentialLR")


@pytest.mark.filterwarnings("ignore::UserWarning:torch.*")
def test_lambda_lr_that_lrjit_cannot_run_says_how_to_write_it() -> None:
    torch = _torch()
    L = torch.optim.lr_scheduler
    opt = _optimizer(torch, [0.1])
    for lam in (python_cosine, python_branch):
        with pytest.raises(
            UnsupportedScheduleError, match=r"must accept a jax\.numpy array.*jnp\.cos for math"
        ):
            lrjit.from_torch(L.LambdaLR(opt, lam))
    with pytest.raises(UnsupportedScheduleError, match="LambdaLR needs its lr_lambda"):
        lrjit.from_torch({"class_name": "LambdaLR", "config": {}, "base_lrs": [0.1]})
    with pytest.raises(UnsupportedScheduleError, match="LambdaLR needs its lr_lambda"):
        lrjit.from_torch(L.LambdaLR(opt, _exponential).state_dict(), class_name="LambdaLR")
    with pytest.raises(
        UnsupportedScheduleError,
        match="MultiplicativeLR is not supported: its rate is an arbitrary Python function",
    ):
        lrjit.from_torch(L.MultiplicativeLR(opt, lambda e: 0.9))
