"""The torch families against torch 2.13's stepped rates.

``fixtures/torch_golden.json`` (written by ``fixtures/generate_torch.py``) holds, per config, the rate torch's
optimizer holds after k calls of ``scheduler.step()`` (k = 0..N, Python float64), at milestones (repeated
ones too), ``T_max`` and the periods past it, restarts, cycle boundaries and ``total_steps - 1`` /
``total_steps`` of OneCycleLR. Bounds (``peak`` = the largest |torch value| of the curve, ``bound`` in
``tests/bounds.py``): float32 ``1e-6 * |ref| + 1e-7 * peak``, x64 ``1e-12 * |ref| + 1e-15 * peak``.

Factors raised to large powers (``gamma`` of StepLR / ExponentialLR over hundreds of steps) are
float32-representable in the fixtures and in the live configs, so that float32 results measure lrjit's
arithmetic and not the rounding of ``gamma`` to float32 (which ``gamma ** t`` amplifies t-fold).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jax
import numpy as np
import pytest

import lrjit

from bounds import bound
from helpers import JIT_CALL, on_padded

GOLDEN = json.loads((Path(__file__).parent / "fixtures" / "torch_golden.json").read_text())
CASES = GOLDEN["cases"]
# Every golden case's and live config's steps are padded to PAD entries (one array shape: each family
# compiles once per precision).
PAD = 2560
TORCH_FAMILIES = (
    "StepLR",
    "MultiStepLR",
    "ConstantLR",
    "LinearLR",
    "ExponentialLR",
    "PolynomialLR",
    "CosineAnnealingLR",
    "CosineAnnealingWarmRestarts",
    "CyclicLR",
    "OneCycleLR",
    "OneCycleMomentum",
)


def _id(case: dict[str, Any]) -> str:
    return case["family"] + "-" + "-".join(f"{k}={v}" for k, v in case["kwargs"].items())


def _worst(got: np.ndarray, ref: np.ndarray, x64: bool) -> tuple[float, int]:
    """max err / bound over the curve, and where."""
    peak = float(np.max(np.abs(ref)))
    ratio = np.abs(got - ref) / np.maximum(bound(ref, peak, x64), np.finfo(np.float64).tiny)
    ratio = np.where(got == ref, 0.0, ratio)
    return float(ratio.max()), int(ratio.argmax())


def test_fixture_covers_every_torch_family() -> None:
    assert GOLDEN["torch_version"].startswith("2.13")
    counts = {f: sum(c["family"] == f for c in CASES) for f in TORCH_FAMILIES}
    assert all(n >= 5 for n in counts.values()), counts
    assert set(TORCH_FAMILIES) <= set(lrjit.registry())


@pytest.mark.parametrize("precision", ["float32", "x64"])
@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_matches_torch_golden(case: dict[str, Any], precision: str) -> None:
    x64 = precision == "x64"
    ref = np.asarray(case["values"], dtype=np.float64)
    steps = np.arange(ref.size)
    with jax.enable_x64(x64):
        sched = lrjit.registry()[case["family"]](**case["kwargs"])
        got = np.asarray(on_padded(sched, steps, PAD))
        jitted = np.asarray(on_padded(lambda t: JIT_CALL(sched, t), steps, PAD))
    assert got.dtype == (np.float64 if x64 else np.float32)
    if case["family"] in ("OneCycleLR", "OneCycleMomentum"):
        # The fixture's last step is total_steps, where torch extrapolates past the end: lrjit holds.
        total = case["kwargs"]["total_steps"]
        assert steps[-1] == total
        assert got[total] == got[total - 1] and jitted[total] == jitted[total - 1]
        got, jitted, ref = got[:total], jitted[:total], ref[:total]
    for how, values in (("eager", got), ("jit", jitted)):
        worst, at = _worst(values.astype(np.float64), ref, x64)
        assert worst <= 1, (
            f"{sched!r} ({how}): step {at}: lrjit {values[at]!r} torch {ref[at]!r} (err/bound {worst:.3g})"
        )


# ------------------------------------------------------------------------------------------------------
# Live cross-check with random configs
# ------------------------------------------------------------------------------------------------------
def _f32(x: float) -> float:
    return float(np.float32(x))


def _random_config(family: str, rng: np.random.Generator) -> tuple[dict[str, Any], int]:
    """(lrjit kwargs, number of steps) with float32-representable floats."""
    lr = _f32(rng.uniform(1e-3, 1.0))
    if family == "StepLR":
        return {"base_lr": lr, "step_size": int(rng.integers(1, 60)), "gamma": _f32(rng.uniform(0.1, 1))}, 300
    if family == "MultiStepLR":
        ms = sorted(rng.integers(0, 200, size=int(rng.integers(1, 6))).tolist())
        return {"base_lr": lr, "milestones": ms, "gamma": _f32(rng.uniform(0.1, 1))}, 250
    if family == "ConstantLR":
        return {
            "base_lr": lr,
            "factor": _f32(rng.uniform(0.01, 1)),
            "total_iters": int(rng.integers(0, 50)),
        }, 80
    if family == "LinearLR":
        kw = {"start_factor": _f32(rng.uniform(0.01, 1)), "end_factor": _f32(rng.uniform(0, 1))}
        return {"base_lr": lr, **kw, "total_iters": int(rng.integers(0, 200))}, 250
    if family == "ExponentialLR":
        return {"base_lr": lr, "gamma": 1 - int(rng.integers(1, 200)) / 2**12}, 300
    if family == "PolynomialLR":
        kw = {"total_iters": int(rng.integers(0, 200)), "power": _f32(rng.uniform(0, 3))}
        return {"base_lr": lr, **kw}, 250
    if family == "CosineAnnealingLR":
        t_max = int(rng.integers(1, 400))
        return {"base_lr": lr, "T_max": t_max, "eta_min": _f32(rng.uniform(0, 0.01))}, 5 * t_max + 3
    if family == "CosineAnnealingWarmRestarts":
        kw = {"T_0": int(rng.integers(1, 100)), "T_mult": int(rng.integers(1, 4))}
        return {"base_lr": lr, **kw, "eta_min": _f32(rng.uniform(0, 0.01))}, 600
    if family == "CyclicLR":
        mode = str(rng.choice(["triangular", "triangular2", "exp_range"]))
        up, down = int(rng.integers(1, 100)), int(rng.integers(0, 100))
        kw = {
            "step_size_up": up,
            "step_size_down": down,
            "mode": mode,
            "gamma": 1 - int(rng.integers(0, 50)) / 2**12,
        }
        return {"base_lr": lr, "max_lr": _f32(rng.uniform(0, 1)), **kw}, 6 * (up + down) + 2
    total = int(rng.integers(1, 400))
    kw = {
        "total_steps": total,
        "pct_start": _f32(rng.uniform(0.05, 0.95)),
        "anneal_strategy": str(rng.choice(["cos", "linear"])),
        "three_phase": bool(rng.integers(0, 2)),
    }
    if family == "OneCycleLR":
        kw |= {
            "max_lr": lr,
            "div_factor": _f32(rng.uniform(2, 50)),
            "final_div_factor": _f32(rng.uniform(2, 1e4)),
        }
    else:
        kw |= {"base_momentum": _f32(rng.uniform(0.5, 0.9)), "max_momentum": _f32(rng.uniform(0.9, 0.99))}
    return kw, total - 1  # the last scheduled step (torch extrapolates at total_steps, lrjit holds)


def _torch_curve(torch: Any, family: str, kw: dict[str, Any], n: int) -> np.ndarray | None:
    """torch's stepped values, or None where torch itself fails (a zero-length OneCycle phase)."""
    from torch.optim import lr_scheduler

    kw = dict(kw)
    param = [torch.zeros(1, requires_grad=True)]
    key = "lr"
    if family in ("OneCycleLR", "OneCycleMomentum"):
        opt = torch.optim.SGD(param, lr=0.1, momentum=0.9)
        kw.setdefault("max_lr", 0.1)
        key = "momentum" if family == "OneCycleMomentum" else "lr"
        make = lambda: lr_scheduler.OneCycleLR(opt, **kw)  # noqa: E731
    elif family == "CyclicLR":
        opt = torch.optim.SGD(param, lr=kw["base_lr"])
        make = lambda: lr_scheduler.CyclicLR(opt, cycle_momentum=False, **kw)  # noqa: E731
    else:
        opt = torch.optim.SGD(param, lr=kw.pop("base_lr"))
        make = lambda: getattr(lr_scheduler, family)(opt, **kw)  # noqa: E731
    try:
        sched = make()
        out = [opt.param_groups[0][key]]
        for _ in range(n):
            opt.step()
            sched.step()
            out.append(opt.param_groups[0][key])
    except ZeroDivisionError:
        return None
    return np.asarray(out, dtype=np.float64)


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("family", TORCH_FAMILIES)
def test_live_random_configs_match_torch(family: str) -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(sum(map(ord, family)))
    checked = 0
    for _ in range(12):
        kw, n = _random_config(family, rng)
        ref = _torch_curve(torch, family, kw, n)
        if ref is None:
            continue
        steps = np.arange(n + 1)
        for x64 in (False, True):
            with jax.enable_x64(x64):
                got = np.asarray(on_padded(lrjit.registry()[family](**kw), steps, PAD), dtype=np.float64)
            worst, at = _worst(got, ref, x64)
            assert worst <= 1, (
                f"{family}({kw}) x64={x64}: step {at}: {got[at]!r} vs {ref[at]!r} ({worst:.3g})"
            )
        checked += 1
    assert checked >= 8


# ------------------------------------------------------------------------------------------------------
# Behaviour past torch's range and bad input
# ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("anneal_strategy", ["cos", "linear"])
def test_one_cycle_past_total_steps_holds_the_last_scheduled_value(anneal_strategy: str) -> None:
    # OneCycleLR(0.1, 100) at step 100 was 5.07e-5 (cos) / -1.43e-3 (linear), between 4e-7 on both sides:
    # torch's extrapolation at total_steps. Every step from total_steps - 1 on is the minimum now.
    sched = lrjit.OneCycleLR(0.1, 100, anneal_strategy=anneal_strategy)
    values = np.asarray(sched(np.arange(0, 300)))
    minimum = np.float32(0.1) / np.float32(25) / np.float32(1e4)
    np.testing.assert_allclose(values[99:], minimum, rtol=1e-6)
    np.testing.assert_array_equal(values[99:], values[99])
    assert values.min() == values[99]
    mom = np.asarray(sched.momentum()(np.arange(0, 300)))
    np.testing.assert_array_equal(mom[99:], np.float32(0.95))


def test_momentum_method_matches_family() -> None:
    sched = lrjit.OneCycleLR(0.1, 97, pct_start=0.4, three_phase=True)
    direct = lrjit.OneCycleMomentum(97, pct_start=0.4, three_phase=True)
    steps = np.arange(120)
    np.testing.assert_array_equal(np.asarray(sched.momentum()(steps)), np.asarray(direct(steps)))


def test_cyclic_step_size_down_none_is_stored_resolved() -> None:
    sched = lrjit.CyclicLR(0.001, 0.1, step_size_up=7)
    assert int(sched.step_size_down) == 7
    stacked = lrjit.stack([sched, lrjit.CyclicLR(0.001, 0.2, step_size_up=5, step_size_down=9)])
    assert np.asarray(stacked(np.arange(20))).shape == (2, 20)


@pytest.mark.parametrize(
    ("family", "kwargs", "name"),
    [
        ("StepLR", {"base_lr": 0.1, "step_size": 0}, "step_size"),
        ("StepLR", {"base_lr": 0.1, "step_size": 5, "gamma": 0.0}, "gamma"),
        ("StepLR", {"base_lr": 0.1, "step_size": 5, "gamma": -0.5}, "gamma"),
        ("StepLR", {"base_lr": -0.1, "step_size": 5}, "base_lr"),
        ("MultiStepLR", {"base_lr": 0.1, "milestones": [3, -1]}, "milestones"),
        ("MultiStepLR", {"base_lr": 0.1, "milestones": [3], "gamma": 0.0}, "gamma"),
        ("ConstantLR", {"base_lr": 0.1, "factor": 1.5}, "factor"),
        ("ConstantLR", {"base_lr": 0.1, "total_iters": -1}, "total_iters"),
        ("LinearLR", {"base_lr": 0.1, "start_factor": 0.0}, "start_factor"),
        ("LinearLR", {"base_lr": 0.1, "end_factor": 1.5}, "end_factor"),
        ("ExponentialLR", {"base_lr": 0.1, "gamma": 0.0}, "gamma"),
        ("PolynomialLR", {"base_lr": 0.1, "power": -1.0}, "power"),
        ("CosineAnnealingLR", {"base_lr": 0.1, "T_max": 0}, "T_max"),
        ("CosineAnnealingLR", {"base_lr": 0.1, "T_max": 10, "eta_min": -1.0}, "eta_min"),
        ("CosineAnnealingWarmRestarts", {"base_lr": 0.1, "T_0": 0}, "T_0"),
        ("CosineAnnealingWarmRestarts", {"base_lr": 0.1, "T_0": 5, "T_mult": 0.5}, "T_mult"),
        ("CyclicLR", {"base_lr": 0.1, "max_lr": 1.0, "step_size_up": 0}, "step_size_up"),
        ("CyclicLR", {"base_lr": 0.1, "max_lr": 1.0, "step_size_down": -1}, "step_size_down"),
        ("CyclicLR", {"base_lr": 0.1, "max_lr": 1.0, "mode": "exp_range", "gamma": 0.0}, "gamma"),
        ("CyclicLR", {"base_lr": 0.1, "max_lr": 1.0, "mode": "cosine"}, "mode"),
        ("CyclicLR", {"base_lr": 0.1, "max_lr": 1.0, "scale_mode": "epoch"}, "scale_mode"),
        ("OneCycleLR", {"max_lr": 0.1, "total_steps": 0}, "total_steps"),
        ("OneCycleLR", {"max_lr": 0.1, "total_steps": 10, "pct_start": 0.0}, "pct_start"),
        ("OneCycleLR", {"max_lr": 0.1, "total_steps": 10, "pct_start": 1.0}, "pct_start"),
        ("OneCycleLR", {"max_lr": 0.1, "total_steps": 10, "anneal_strategy": "cosine"}, "anneal_strategy"),
        ("OneCycleLR", {"max_lr": 0.1, "total_steps": 10, "div_factor": 0.0}, "div_factor"),
        ("OneCycleMomentum", {"total_steps": 10, "base_momentum": -0.1}, "base_momentum"),
    ],
)
def test_bad_input_raises_naming_the_argument(family: str, kwargs: dict[str, Any], name: str) -> None:
    with pytest.raises(ValueError, match=f"`{name}`"):
        lrjit.registry()[family](**kwargs)
