"""``from_keras`` / ``from_torch`` (``lrjit.interop``) against Keras 3 and torch 2.13.

Golden (no Keras or torch needed): ``fixtures/imports_golden.json`` (``fixtures/generate_imports.py``) holds
Keras ``serialize()`` dicts with the objects' float32 and float64 values, and torch recipes with
``describe_torch`` descriptions and the stepped rates (after k calls of ``scheduler.step()``, per param
group), at steps 0..200 and a few large steps. Keras replays from the serialized dict; torch from the
description (and, where torch is installed, from the scheduler rebuilt from the recipe, whose description
must equal the recorded one).

Live (skipped without Keras/TensorFlow or torch): the fixture's configs and seeded random ones, from the
live objects.

Bounds (``tests/bounds.py``; ``peak`` = the largest |reference| of the curve, per param group): float32
``1e-6 * |ref| + 1e-7 * peak``, x64 ``1e-12 * |ref| + 1e-15 * peak``. A float32 Keras value may itself be a
few ulps off: lrjit float32 passes a step within the bound of Keras's float32 *or* float64 value (as in
``test_live_keras_tf.py``).
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import lrjit
from lrjit.frontend import UnsupportedScheduleError
from lrjit.interop import describe_torch, from_keras, from_torch

from bounds import bound
from helpers import JIT_CALL, load_module, on_padded

# Before TensorFlow loads (the live Keras tests import it lazily): quiet logs, no oneDNN reordering.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

FIXTURES = Path(__file__).parent / "fixtures"
gen = load_module(FIXTURES / "generate_imports.py")

GOLDEN_PATH = FIXTURES / "imports_golden.json"
GOLDEN: dict[str, Any] = json.loads(GOLDEN_PATH.read_text())
KERAS_CASES: list[dict[str, Any]] = GOLDEN["keras"]
TORCH_CASES: list[dict[str, Any]] = GOLDEN["torch"]
# The torch cases' steps are padded to PAD entries (one array shape: one compilation per structure).
PAD = 256

KERAS_FAMILIES = (
    "ExponentialDecay",
    "InverseTimeDecay",
    "PiecewiseConstantDecay",
    "PolynomialDecay",
    "CosineDecay",
    "CosineDecayRestarts",
)
TORCH_CLASSES = (
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
    "SequentialLR",
    "ChainedScheduler",
)


# every test of this file: jax_enable_x64 is restored on exit (the fixture is in conftest.py)
pytestmark = pytest.mark.usefixtures("x64_does_not_leak")


def _steps(case: dict[str, Any]) -> np.ndarray:
    return np.asarray(list(range(case["n"] + 1)) + case["extra"], dtype=np.int64)


def _worst(got: np.ndarray, ref: np.ndarray, x64: bool, peak: float | None = None) -> tuple[float, int]:
    """max |err| / bound over a curve, and where (NaN counts as a failure)."""
    peak = float(np.max(np.abs(ref))) if peak is None else peak
    ratio = np.abs(got - ref) / np.maximum(bound(ref, peak, x64), np.finfo(np.float64).tiny)
    ratio = np.where(got == ref, 0.0, ratio)
    ratio = np.where(np.isnan(ratio), np.inf, ratio)
    return float(ratio.max()), int(ratio.argmax())


def _check_groups(
    got: np.ndarray, ref: np.ndarray, x64: bool, what: str, peaks: list[float] | None = None
) -> float:
    """``got``: [S] or [G, S] lrjit values; ``ref``: [G, S] torch values; ``peaks``: per group, a peak
    to use when larger than the curve's own. Returns the worst err/bound."""
    got = np.broadcast_to(np.asarray(got, dtype=np.float64).reshape(-1, ref.shape[-1]), ref.shape)
    worst_all = 0.0
    for g in range(ref.shape[0]):
        peak = max(float(np.max(np.abs(ref[g]))), peaks[g] if peaks else 0.0)
        worst, at = _worst(got[g], ref[g], x64, peak)
        assert worst <= 1, (
            f"{what} group {g} x64={x64}: [{at}] lrjit {got[g, at]!r} torch {ref[g, at]!r} ({worst:.3g})"
        )
        worst_all = max(worst_all, worst)
    return worst_all


def _classes(description: dict[str, Any]) -> set[str]:
    subs = description.get("schedulers", [])
    return {description["class_name"]}.union(*(_classes(s) for s in subs))


def _from_torch_warnings(fn: Any) -> tuple[Any, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = fn()
    return out, [str(w.message) for w in caught if str(w.message).startswith("from_torch")]


# ------------------------------------------------------------------------------------------------------
# The fixture
# ------------------------------------------------------------------------------------------------------
def test_fixture_covers_every_family_and_combination() -> None:
    assert GOLDEN["torch_version"].startswith("2.13")
    assert GOLDEN["keras_version"].startswith("3.")
    assert GOLDEN_PATH.stat().st_size < 300_000
    keras_counts = {f: sum(c["serialized"]["class_name"] == f for c in KERAS_CASES) for f in KERAS_FAMILIES}
    assert all(n >= 2 for n in keras_counts.values()), keras_counts
    seen = set().union(*(_classes(c["description"]) for c in TORCH_CASES))
    assert set(TORCH_CLASSES) <= seen, set(TORCH_CLASSES) - seen
    tops = [c["description"]["class_name"] for c in TORCH_CASES]
    assert tops.count("SequentialLR") >= 8 and tops.count("ChainedScheduler") >= 5
    assert any(len(c["lrs"]) > 1 for c in TORCH_CASES if c["description"]["class_name"] == "SequentialLR")
    assert any(len(c["lrs"]) > 1 for c in TORCH_CASES if c["description"]["class_name"] == "ChainedScheduler")
    for case in KERAS_CASES + TORCH_CASES:
        assert max(case["extra"]) > case["n"]


# ------------------------------------------------------------------------------------------------------
# Keras: golden replay from the serialized dicts (no Keras needed)
# ------------------------------------------------------------------------------------------------------
def _check_keras(got: np.ndarray, f32: np.ndarray, f64: np.ndarray, x64: bool, what: str) -> float:
    """x64: against Keras's float64 values. float32: each step within the bound of Keras's float32 or
    float64 value. Returns the worst err/bound (against the nearer of the two in float32)."""
    peak = float(np.max(np.abs(f64)))
    if x64:
        worst, at = _worst(got, f64, True, peak)
        assert worst <= 1, f"{what} x64: step [{at}] lrjit {got[at]!r} keras {f64[at]!r} ({worst:.3g})"
        return worst
    r32 = np.abs(got - f32) / bound(f32, peak, False)
    r64 = np.abs(got - f64) / bound(f64, peak, False)
    ratio = np.where(got == f32, 0.0, np.minimum(r32, r64))
    ratio = np.where(np.isnan(ratio), np.inf, ratio)
    at = int(ratio.argmax())
    assert ratio[at] <= 1, f"{what} float32: [{at}] lrjit {got[at]!r} keras {f32[at]!r} / {f64[at]!r}"
    return float(ratio[at])


@pytest.mark.parametrize("precision", ["float32", "x64"])
@pytest.mark.parametrize("case", KERAS_CASES, ids=[c["id"] for c in KERAS_CASES])
def test_keras_golden_from_serialized(case: dict[str, Any], precision: str) -> None:
    x64 = precision == "x64"
    steps = _steps(case)
    with jax.enable_x64(x64):
        sched = from_keras(case["serialized"])
        got = np.asarray(sched(steps))
    assert type(sched).__name__ == case["serialized"]["class_name"]
    assert got.dtype == (np.float64 if x64 else np.float32)
    f32 = np.asarray(case["f32"], dtype=np.float32).astype(np.float64)
    _check_keras(got.astype(np.float64), f32, np.asarray(case["f64"]), x64, case["id"])


# ------------------------------------------------------------------------------------------------------
# torch: golden replay from the descriptions (no torch needed)
# ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("precision", ["float32", "x64"])
@pytest.mark.parametrize("case", TORCH_CASES, ids=[c["id"] for c in TORCH_CASES])
def test_torch_golden_from_description(case: dict[str, Any], precision: str) -> None:
    x64 = precision == "x64"
    steps = _steps(case)
    ref = np.asarray(case["values"], dtype=np.float64)
    with jax.enable_x64(x64):
        sched = from_torch(case["description"])
        got = np.asarray(on_padded(sched, steps, PAD))
        jitted = np.asarray(on_padded(lambda t: JIT_CALL(sched, jnp.asarray(t)), steps, PAD))
    assert got.dtype == (np.float64 if x64 else np.float32)
    groups = len(case["lrs"])
    assert lrjit.batch_size(sched) == (groups if groups > 1 else None)
    _check_groups(got, ref, x64, case["id"])
    _check_groups(jitted, ref, x64, case["id"] + " (jit)")


def test_torch_description_is_plain_json() -> None:
    for case in TORCH_CASES:
        assert json.loads(json.dumps(case["description"])) == case["description"]


# ------------------------------------------------------------------------------------------------------
# torch, live: the fixture's recipes rebuilt
# ------------------------------------------------------------------------------------------------------
@pytest.mark.filterwarnings("ignore::UserWarning:torch.*")
@pytest.mark.parametrize("case", TORCH_CASES, ids=[c["id"] for c in TORCH_CASES])
def test_torch_live_recipe(case: dict[str, Any]) -> None:
    pytest.importorskip("torch")
    opt, sched = gen.build_torch(case["lrs"], case["recipe"])
    assert describe_torch(sched) == case["description"]
    with jax.enable_x64(True):
        fresh, messages = _from_torch_warnings(lambda: from_torch(sched))
        assert not messages
        assert fresh == from_torch(case["description"])
    steps = _steps(case)
    # torch itself still gives the recorded rates
    values = np.asarray(gen.torch_values(opt, sched, steps.tolist()))
    assert _worst(values.reshape(-1), np.asarray(case["values"]).reshape(-1), True)[0] <= 1
    # Stepped to the last step: the same curve from construction, continued with Offset; no warning.
    with jax.enable_x64(True):
        stepped, messages = _from_torch_warnings(lambda: from_torch(sched))
        assert not messages, messages
        assert stepped == fresh
        last = describe_torch(sched)["last_epoch"]
        assert last == steps[-1]
        now = np.asarray(lrjit.Offset(stepped, last)(0)).reshape(-1)
    current = [g["lr"] for g in opt.param_groups]
    np.testing.assert_allclose(np.broadcast_to(now, (len(current),)), current, rtol=1e-12)


# ------------------------------------------------------------------------------------------------------
# torch, live: seeded random schedulers, SequentialLR and ChainedScheduler
# ------------------------------------------------------------------------------------------------------
def _f32(x: float) -> float:
    return float(np.float32(x))


def _random_leaf(rng: np.random.Generator, kinds: tuple[str, ...]) -> dict[str, Any]:
    """A random recipe. Floats that get raised to large powers are float32-representable; OneCycleLR
    phase ends are whole steps (total_steps a multiple of 20)."""
    k = str(rng.choice(kinds))
    if k == "StepLR":
        return gen.leaf(k, step_size=int(rng.integers(1, 30)), gamma=_f32(rng.uniform(0.3, 1)))
    if k == "MultiStepLR":
        ms = rng.integers(0, 80, size=int(rng.integers(0, 4))).tolist()
        return gen.leaf(k, milestones=ms, gamma=_f32(rng.uniform(0.3, 1)))
    if k == "ConstantLR":
        return gen.leaf(k, factor=_f32(rng.uniform(0.05, 1)), total_iters=int(rng.integers(0, 30)))
    if k == "LinearLR":
        return gen.leaf(
            k,
            start_factor=_f32(rng.uniform(0.05, 1)),
            end_factor=_f32(rng.uniform(0.05, 1)),
            total_iters=int(rng.integers(0, 60)),
        )
    if k == "ExponentialLR":
        return gen.leaf(k, gamma=1 - int(rng.integers(0, 100)) / 2**12)
    if k == "PolynomialLR":
        return gen.leaf(k, total_iters=int(rng.integers(1, 80)), power=_f32(rng.uniform(0.5, 3)))
    if k == "CosineAnnealingLR":
        eta = float(rng.choice([0.0, _f32(rng.uniform(0, 1e-3))]))
        return gen.leaf(k, T_max=int(rng.integers(1, 60)), eta_min=eta)
    if k == "CosineAnnealingWarmRestarts":
        kw = {"T_0": int(rng.integers(1, 40)), "T_mult": int(rng.integers(1, 3))}
        return gen.leaf(k, **kw, eta_min=_f32(rng.uniform(0, 1e-3)))
    if k == "CyclicLR":
        return gen.leaf(
            k,
            base_lr=_f32(rng.uniform(0, 0.05)),
            max_lr=_f32(rng.uniform(0, 0.5)),
            step_size_up=int(rng.integers(1, 20)),
            step_size_down=int(rng.integers(0, 20)),
            mode=str(rng.choice(["triangular", "triangular2", "exp_range"])),
            gamma=1 - int(rng.integers(0, 50)) / 2**12,
            cycle_momentum=bool(rng.integers(2)),
        )
    return gen.leaf(
        k,
        max_lr=_f32(rng.uniform(0.1, 1)),
        total_steps=20 * int(rng.integers(8, 20)),
        pct_start=float(rng.choice([0.25, 0.3, 0.45])),
        three_phase=bool(rng.integers(2)),
        anneal_strategy=str(rng.choice(["cos", "linear"])),
    )


LEAVES = TORCH_CLASSES[:10]
CHAINABLE = TORCH_CLASSES[:7]


def _random_recipe(rng: np.random.Generator, kind: str) -> tuple[list[float], dict[str, Any]]:
    lrs = [_f32(rng.uniform(0.01, 1)) for _ in range(1 if rng.random() < 0.7 else 2)]
    if kind == "SequentialLR":
        pieces = [_random_leaf(rng, LEAVES) for _ in range(int(rng.integers(2, 4)))]
        return lrs, gen.seq(sorted(rng.integers(0, 100, size=len(pieces) - 1).tolist()), *pieces)
    pieces = [_random_leaf(rng, CHAINABLE) for _ in range(int(rng.integers(2, 4)))]
    for p in pieces:  # chains express exactly only eta_min == 0 cosines; keep most of them expressible
        if p["class_name"] == "CosineAnnealingLR":
            p["kwargs"]["eta_min"] = 0.0
        if p["class_name"] in ("StepLR", "ExponentialLR") and rng.random() < 0.5:
            p["kwargs"]["gamma"] = 1.0
    return lrs, gen.chain(*pieces)


def _nominal_peaks(recipe: dict[str, Any], groups: int) -> list[float]:
    """The peaks of the OneCycleLR / CyclicLR pieces (their ``max_lr``), which a SequentialLR may cut
    before they reach it: their float32 rounding is a few ulps of that peak, not of the curve's."""
    peak = max(
        (float(s["kwargs"]["max_lr"]) for s in recipe.get("schedulers", [recipe]) if "max_lr" in s["kwargs"]),
        default=0.0,
    )
    return [peak] * groups


@pytest.mark.filterwarnings("ignore::UserWarning:torch.*")
@pytest.mark.parametrize("kind", ["SequentialLR", "ChainedScheduler"])
def test_torch_live_random_combinations(kind: str) -> None:
    pytest.importorskip("torch")
    rng = np.random.default_rng(sum(map(ord, kind)))
    steps = list(range(151))
    checked = unsupported = 0
    while checked < 20:
        lrs, recipe = _random_recipe(rng, kind)
        curves = {}
        for x64 in (True, False):
            try:
                _, sched = gen.build_torch(lrs, recipe)
                ref = np.asarray(gen.torch_values(*gen.build_torch(lrs, recipe), steps))
            except (ValueError, ZeroDivisionError):  # torch rejects the config or divides by zero
                break
            with jax.enable_x64(x64):
                try:
                    got = np.asarray(from_torch(sched)(np.asarray(steps)))
                except UnsupportedScheduleError as e:
                    assert kind == "ChainedScheduler" and "CosineAnnealingLR" in str(e), e
                    unsupported += 1
                    break
            curves[x64] = (got, ref)
        for x64, (got, ref) in curves.items():
            _check_groups(got, ref, x64, f"{recipe} lrs={lrs}", _nominal_peaks(recipe, len(lrs)))
        checked += bool(curves)
    assert unsupported < checked


# ------------------------------------------------------------------------------------------------------
# torch: the quirks, spelled out
# ------------------------------------------------------------------------------------------------------
def _curve(description: dict[str, Any], n: int) -> list[float]:
    with jax.enable_x64(True):
        return np.asarray(from_torch(description)(np.arange(n + 1))).tolist()


def _golden(case_id: str) -> dict[str, Any]:
    return next(c for c in TORCH_CASES if c["id"] == case_id)


def test_sequential_constantlr_total0_is_restored_at_its_milestone() -> None:
    """ConstantLR(factor=0.5, total_iters=0) after a milestone: _update_lr(0) takes the closed form at 0,
    base * (factor + (0 >= 0) * (1 - factor)) = base; stepped from construction it holds base * factor."""
    case = _golden("Seq-ExponentialLR-ConstantLR-total0")
    values = case["values"][0]
    assert values[10:13] == [0.1, 0.1, 0.1]
    assert _curve(case["description"], 12)[10:] == pytest.approx([0.1, 0.1, 0.1], rel=1e-15)
    standalone = _golden("ConstantLR-total0")["values"][0]
    assert standalone[:3] == [0.15, 0.15, 0.15]  # 0.3 * 0.5, never restored


def test_sequential_first_piece_starts_from_initial_lr() -> None:
    """OneCycleLR's constructor rewrites the groups' initial_lr (max_lr / div_factor = 0.04); SequentialLR
    resets the rate to it, so the LinearLR built before (base_lrs [0.1]) warms up from 0.04 * 0.5."""
    case = _golden("Seq-LinearLR-OneCycleLR")
    desc = case["description"]
    assert desc["initial_lrs"] == [0.04] and desc["schedulers"][0]["base_lrs"] == [0.1]
    assert case["values"][0][0] == pytest.approx(0.02, rel=1e-15)
    assert _curve(desc, 0)[0] == pytest.approx(0.02, rel=1e-15)


def test_sequential_first_cosine_restarts_towards_its_base_lrs() -> None:
    """A first CosineAnnealingLR anneals from initial_lr (0.02 after OneCycleLR's rewrite) but its restart
    step adds (base_lr - eta_min) * (1 - cos(pi / T_max)) / 2 from its own base_lrs (0.1)."""
    case = _golden("Seq-CosineAnnealingLR-OneCycleLR")
    values = case["values"][0]
    assert values[0] == pytest.approx(0.02, rel=1e-15) and values[10] == 0.0
    assert values[20] == pytest.approx(0.1, rel=1e-12)  # the next peak: base_lrs, not initial_lr
    assert _curve(case["description"], 20)[20] == pytest.approx(0.1, rel=1e-12)


def test_chained_cosine_restart_discards_the_other_factors() -> None:
    """LinearLR(0.2 -> 0.5) * CosineAnnealingLR(T_max=15) * MultiStepLR: a product up to T_max, then each
    restart starts from the cosine's own base and the other factors count from there: not the product."""
    case = _golden("Chain-CosineAnnealingLR-LinearLR-MultiStepLR")
    desc = case["description"]
    values = np.asarray(case["values"][0])
    with jax.enable_x64(True):
        naive = lrjit.CosineAnnealingLR(0.1, 15) * lrjit.LinearLR(1.0, 0.2, 0.5, 40)
        naive = naive * lrjit.MultiStepLR(1.0, [10, 35], 0.5)
        naive_values = np.asarray(naive(np.arange(201)))
        built = from_torch(desc)
    np.testing.assert_allclose(naive_values[:16], values[:16], rtol=1e-12)
    assert abs(naive_values[30] - values[30]) > 0.1 * values[30]  # the product is wrong after T_max
    assert type(built).__name__ in ("Sequence", "StackedSequence")
    np.testing.assert_allclose(np.asarray(_curve(desc, 200)), values[:201], rtol=1e-12, atol=1e-17)


# ------------------------------------------------------------------------------------------------------
# torch: param groups, positions, warnings
# ------------------------------------------------------------------------------------------------------
@pytest.mark.filterwarnings("ignore::UserWarning:torch.*")
def test_param_groups() -> None:
    pytest.importorskip("torch")
    recipe = gen.seq(
        [5], gen.leaf("LinearLR", start_factor=0.1, total_iters=5), gen.leaf("StepLR", step_size=3)
    )
    _, sched = gen.build_torch([0.1, 0.1], recipe)
    assert lrjit.batch_size(from_torch(sched)) is None  # equal groups: one schedule
    _, sched = gen.build_torch([0.1, 0.3], recipe)
    batched = from_torch(sched)
    assert lrjit.batch_size(batched) == 2
    assert batched(np.arange(7)).shape == (2, 7)
    for g in (0, 1):
        one = from_torch(sched, param_group=g)
        assert lrjit.batch_size(one) is None
        np.testing.assert_array_equal(np.asarray(one(np.arange(7))), np.asarray(batched(np.arange(7)))[g])
    with pytest.raises(ValueError, match="param_group=2 out of range"):
        from_torch(sched, param_group=2)


@pytest.mark.filterwarnings("ignore::UserWarning:torch.*")
def test_warns_when_the_optimizer_lr_was_changed() -> None:
    pytest.importorskip("torch")
    opt, sched = gen.build_torch([0.1], gen.leaf("StepLR", step_size=3))
    opt.param_groups[0]["lr"] = 0.5
    _, messages = _from_torch_warnings(lambda: from_torch(sched))
    assert len(messages) == 1 and "0.5" in messages[0]
    _, messages = _from_torch_warnings(lambda: from_torch(sched, check=False))
    assert not messages


# ------------------------------------------------------------------------------------------------------
# torch: errors
# ------------------------------------------------------------------------------------------------------
@pytest.mark.filterwarnings("ignore::UserWarning:torch.*")
def test_torch_unsupported_schedulers() -> None:
    torch = pytest.importorskip("torch")
    from torch.optim import lr_scheduler as L

    def opt() -> Any:
        return torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1, momentum=0.9)

    for sched, match in [
        (L.LambdaLR(opt(), lambda e: 1.0 if e < 10 else 0.1), "LambdaLR.*Python function"),
        (L.MultiplicativeLR(opt(), lambda e: 0.9), "MultiplicativeLR.*Python function"),
        (L.ReduceLROnPlateau(opt()), "ReduceLROnPlateau.*lrjit.train.ReduceLROnPlateau"),
        (L.CyclicLR(opt(), 0.01, 0.1, scale_fn=lambda x: 1.0), "CyclicLR with a custom scale_fn"),
    ]:
        with pytest.raises(UnsupportedScheduleError, match=match) as info:
            from_torch(sched)
        assert isinstance(info.value, NotImplementedError) and isinstance(info.value, ValueError)

    class Custom(L.StepLR):
        def get_lr(self) -> list[float]:
            return [0.5]

    with pytest.raises(UnsupportedScheduleError, match="Custom subclasses torch StepLR and overrides get_lr"):
        from_torch(Custom(opt(), 3))

    class Plain(L.StepLR):  # a subclass that steps like StepLR converts like it
        pass

    assert from_torch(Plain(opt(), 3)) == lrjit.StepLR(0.1, 3)

    o = opt()
    with pytest.raises(UnsupportedScheduleError, match="OneCycleLR is not chainable"):
        from_torch(L.ChainedScheduler([L.StepLR(o, 3), L.OneCycleLR(o, 1.0, 100)]))
    o = opt()
    inner = L.ChainedScheduler([L.StepLR(o, 3), L.ExponentialLR(o, 0.9)])
    with pytest.raises(UnsupportedScheduleError, match="SequentialLR of a ChainedScheduler"):
        from_torch(L.SequentialLR(o, [L.StepLR(o, 3), inner], [5]))
    with pytest.raises(TypeError, match=r"expected a torch.optim.lr_scheduler scheduler.*got Adam"):
        from_torch(torch.optim.Adam([torch.zeros(1, requires_grad=True)]))


def _leaf_description(name: str, base: float = 0.1, **config: Any) -> dict[str, Any]:
    return {"class_name": name, "config": config, "base_lrs": [base], "initial_lrs": [base], "last_epoch": 0}


def test_torch_unsupported_descriptions() -> None:
    """Errors decided on the description: no torch needed."""
    cos = _leaf_description("CosineAnnealingLR", T_max=10, eta_min=1e-3)
    exp = _leaf_description("ExponentialLR", gamma=0.9)

    def chained(*subs: dict[str, Any]) -> dict[str, Any]:
        return {
            "class_name": "ChainedScheduler",
            "initial_lrs": [0.1],
            "schedulers": list(subs),
            "last_epoch": 0,
        }

    with pytest.raises(UnsupportedScheduleError, match=r"eta_min != 0.*affine"):
        from_torch(chained(exp, cos))
    cos0 = _leaf_description("CosineAnnealingLR", T_max=10, eta_min=0.0)
    with pytest.raises(UnsupportedScheduleError, match="ExponentialLR is a product only up to T_max=10"):
        from_torch(chained(exp, cos0))
    with pytest.raises(UnsupportedScheduleError, match="several CosineAnnealingLR"):
        from_torch(chained(cos0, cos0))
    assert isinstance(
        from_torch(chained(exp, _leaf_description("StepLR", step_size=3, gamma=0.5))), lrjit.Product
    )
    with pytest.raises(UnsupportedScheduleError, match="LambdaLR"):
        from_torch({"class_name": "LambdaLR", "config": {}, "base_lrs": [0.1]})
    with pytest.raises(UnsupportedScheduleError, match="SWALR is not supported"):
        from_torch({"class_name": "SWALR", "config": {}, "base_lrs": [0.1]})
    with pytest.raises(TypeError, match=r"expected a torch.optim.lr_scheduler scheduler.*got int"):
        from_torch(3)


def test_chained_cosine_with_settling_factors_is_a_sequence() -> None:
    """eta_min == 0 and the other factors constant after some step: exact as rescaled products, then the
    cosine alone; a factor that settles after many restarts needs too many segments."""
    cos = _leaf_description("CosineAnnealingLR", T_max=2, eta_min=0.0)
    late = _leaf_description("LinearLR", start_factor=0.5, end_factor=1.0, total_iters=1000)
    chained = {
        "class_name": "ChainedScheduler",
        "initial_lrs": [0.1],
        "schedulers": [cos, late],
        "last_epoch": 0,
    }
    with pytest.raises(UnsupportedScheduleError, match="more than 16 segments"):
        from_torch(chained)
    early = _leaf_description("LinearLR", start_factor=0.5, end_factor=1.0, total_iters=1)
    chained["schedulers"] = [cos, early]
    with jax.enable_x64(True):
        got = np.asarray(from_torch(chained)(np.arange(7)))
    # product until T_max, then the cosine alone from its base (factors 1 from step 1)
    np.testing.assert_allclose(got, [0.05, 0.05, 0.0, 0.05, 0.1, 0.05, 0.0], rtol=1e-15, atol=1e-17)


# ------------------------------------------------------------------------------------------------------
# Keras, live
# ------------------------------------------------------------------------------------------------------
def _keras() -> Any:
    pytest.importorskip("tensorflow")
    keras = pytest.importorskip("keras")
    if keras.backend.backend() != "tensorflow":
        pytest.skip("the live Keras references run on its TensorFlow backend")
    return keras


def _random_keras(family: str, rng: np.random.Generator) -> dict[str, Any]:
    lr = float(10 ** rng.uniform(-3, 0))
    d = int(rng.integers(1, 300))
    if family in ("ExponentialDecay", "InverseTimeDecay"):
        rate = float(rng.uniform(0.1, 0.99) if family == "ExponentialDecay" else rng.uniform(0.01, 3))
        return {
            "initial_learning_rate": lr,
            "decay_steps": d,
            "decay_rate": rate,
            "staircase": bool(rng.integers(2)),
        }
    if family == "PiecewiseConstantDecay":
        b = np.sort(rng.choice(np.arange(0, 400), size=int(rng.integers(1, 6)), replace=False)).tolist()
        return {"boundaries": b, "values": [float(10 ** rng.uniform(-3, 0)) for _ in range(len(b) + 1)]}
    if family == "PolynomialDecay":
        return {
            "initial_learning_rate": lr,
            "decay_steps": d,
            "end_learning_rate": lr * float(rng.uniform(0, 0.5)),
            "power": float(rng.choice([1.0, 2.0, 0.5])),
            "cycle": bool(rng.integers(2)),
        }
    if family == "CosineDecay":
        kw = {"initial_learning_rate": lr, "decay_steps": d, "alpha": float(rng.choice([0.0, 0.1]))}
        if rng.random() < 0.5:
            kw |= {"warmup_target": lr * float(rng.uniform(1, 10)), "warmup_steps": int(rng.integers(0, 100))}
        return kw
    return {
        "initial_learning_rate": lr,
        "first_decay_steps": d,
        "t_mul": float(rng.choice([1.0, 2.0, 3.0])),
        "m_mul": float(rng.choice([1.0, 0.5])),
        "alpha": float(rng.choice([0.0, 0.05])),
    }


@pytest.mark.parametrize("family", KERAS_FAMILIES)
def test_keras_live(family: str) -> None:
    keras = _keras()
    schedules = keras.optimizers.schedules
    rng = np.random.default_rng(sum(map(ord, family)))
    configs = [kw for f, kw in gen.KERAS_CASES if f == family] + [
        _random_keras(family, rng) for _ in range(3)
    ]
    steps = list(range(gen.N_STEPS + 1)) + gen.KERAS_EXTRA
    for kw in configs:
        obj = getattr(schedules, family)(**kw)
        f32 = gen.keras_values(obj, steps)
        f64 = gen.keras_values(gen.keras_float64(obj), steps)
        for source in (obj, schedules.serialize(obj), obj.get_config()):
            for x64 in (False, True):
                with jax.enable_x64(x64):
                    sched = from_keras(source, class_name=family if source is not obj else None)
                    got = np.asarray(sched(np.asarray(steps)), dtype=np.float64)
                _check_keras(got, f32, f64, x64, f"{family}({kw})")


def test_keras_live_errors() -> None:
    keras = _keras()
    schedules = keras.optimizers.schedules

    class Custom(schedules.LearningRateSchedule):
        def __call__(self, step: Any) -> Any:
            return 0.1

    with pytest.raises(UnsupportedScheduleError, match="Custom is a custom LearningRateSchedule"):
        from_keras(Custom())

    class Shifted(schedules.ExponentialDecay):
        def __call__(self, step: Any) -> Any:
            return super().__call__(step + 1)

    with pytest.raises(UnsupportedScheduleError, match="overrides __call__"):
        from_keras(Shifted(0.1, 10, 0.5))

    class Named(schedules.CosineDecay):  # keeps Keras's __call__: converts as CosineDecay
        pass

    assert from_keras(Named(0.1, 100)) == lrjit.CosineDecay(0.1, 100)
    with pytest.raises(TypeError, match=r"expected a keras.optimizers.schedules object"):
        from_keras(keras.optimizers.SGD())


# ------------------------------------------------------------------------------------------------------
# Keras: dict forms and errors (no Keras needed)
# ------------------------------------------------------------------------------------------------------
COSINE_CONFIG = {
    "initial_learning_rate": 0.1,
    "decay_steps": 100,
    "alpha": 0.1,
    "name": "CosineDecay",
    "warmup_target": None,
    "warmup_steps": 0,
}


def test_keras_dict_forms() -> None:
    expected = lrjit.CosineDecay(0.1, 100, alpha=0.1)
    keras3 = {
        "module": "keras.optimizers.schedules",
        "class_name": "CosineDecay",
        "config": COSINE_CONFIG,
        "registered_name": None,
    }
    assert from_keras(keras3) == expected
    assert from_keras({"class_name": "CosineDecay", "config": COSINE_CONFIG}) == expected  # tf.keras 2
    assert from_keras(COSINE_CONFIG, class_name="CosineDecay") == expected
    assert from_keras({**COSINE_CONFIG, "class_name": "CosineDecay"}) == expected
    assert (
        from_keras({**COSINE_CONFIG, "dtype": "float32", "future_option": None}, class_name="CosineDecay")
        == expected
    )
    wrapped = {
        "boundaries": {"class_name": "__numpy__", "config": {"value": [10, 20], "dtype": "int64"}},
        "values": {"class_name": "__numpy__", "config": {"value": [1.0, 0.5, 0.1], "dtype": "float64"}},
        "name": "PiecewiseConstant",
    }
    assert from_keras(wrapped, class_name="PiecewiseConstantDecay") == lrjit.PiecewiseConstantDecay(
        [10, 20], [1.0, 0.5, 0.1]
    )
    tensor = {"class_name": "__tensor__", "config": {"value": 0.10000000149011612, "dtype": "float32"}}
    config = {"initial_learning_rate": tensor, "decay_steps": 100, "decay_rate": 0.9, "staircase": False}
    assert from_keras(config, class_name="ExponentialDecay") == lrjit.ExponentialDecay(
        0.10000000149011612, 100, 0.9
    )
    # Missing optional keys take Keras's defaults (lrjit's are the same).
    assert from_keras(
        {"initial_learning_rate": 0.1, "first_decay_steps": 10}, class_name="CosineDecayRestarts"
    ) == (lrjit.CosineDecayRestarts(0.1, 10, t_mul=2.0, m_mul=1.0, alpha=0.0))


def test_keras_dict_errors() -> None:
    with pytest.raises(ValueError, match=r"config key 'foo'.*not supported by lrjit.CosineDecay"):
        from_keras({**COSINE_CONFIG, "foo": 3}, class_name="CosineDecay")
    with pytest.raises(ValueError, match="unknown Keras schedule 'LinearCosineDecay'"):
        from_keras({"class_name": "LinearCosineDecay", "config": {}})
    with pytest.raises(UnsupportedScheduleError, match="'my_pkg>Warm' is a custom registered"):
        from_keras({"class_name": "Warm", "config": {}, "registered_name": "my_pkg>Warm"})
    with pytest.raises(ValueError, match="needs class_name"):
        from_keras(COSINE_CONFIG)
    with pytest.raises(ValueError, match=r"lacks required key.*'decay_steps'"):
        from_keras({"initial_learning_rate": 0.1}, class_name="CosineDecay")
    with pytest.raises(ValueError, match="decay_rate"):
        from_keras(
            {"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": -1.0},
            class_name="ExponentialDecay",
        )
    with pytest.raises(TypeError, match=r"expected a keras.optimizers.schedules object.*got str"):
        from_keras("CosineDecay")
