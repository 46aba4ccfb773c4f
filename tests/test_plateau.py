"""``lrjit.train.plateau``: ReduceLROnPlateau against torch 2.13, batching, jit, optax and validation.

Reference comparisons (``torch.optim.lr_scheduler.ReduceLROnPlateau`` stepped on a dummy SGD optimizer):

- live, when torch is installed: 40 random configs x 100 metrics from ``make_cases`` in
  ``tests/fixtures/generate_torch_plateau.py`` (every mode/threshold_mode pair, patience 0-5, cooldown
  0-3, min_lr 0 and > 0, eps up to a blocking size; positive, negative, mixed-sign and flat metrics with
  repeats, NaN and inf);
- committed, without torch: ``tests/fixtures/torch_plateau.json`` from the same generator.

Bounds: x64 ``|lr - torch| <= 1e-12 * |torch|`` (the operations are torch's, so in practice equal) with
``best`` and the counters equal; float32 ``|lr - torch| <= 1e-6 * |torch|`` against torch run on the
float32-rounded inputs, ``best`` and the counters equal.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from jax.experimental import checkify

import lrjit
from lrjit.train.plateau import PlateauState, ReduceLROnPlateau, reduce_on_plateau, scale

from helpers import load_module

FIXTURES = Path(__file__).parent / "fixtures"
gen = load_module(FIXTURES / "generate_torch_plateau.py")

FIXTURE: dict[str, Any] = gen.decode(json.loads((FIXTURES / "torch_plateau.json").read_text()))
LIVE_CASES = gen.make_cases(seed=7, count=40, steps=100)
X64_REL, F32_REL = 1e-12, 1e-6


@jax.jit
def trajectory(cfg: ReduceLROnPlateau, lr0: Any, metrics: jax.Array) -> PlateauState:
    """The state after every metric (stacked on axis 0), from ``cfg.init(lr0)``, in one ``lax.scan``."""

    def body(state: PlateauState, metric: jax.Array) -> tuple[PlateauState, PlateauState]:
        state = cfg.update(state, metric)
        return state, state

    return jax.lax.scan(body, cfg.init(lr0), metrics)[1]


def run_lrjit(config: dict[str, Any], lr0: float, metrics: list[float], x64: bool) -> dict[str, np.ndarray]:
    """lrjit's trajectory for a torch config, with the config built and run in float64 or float32."""
    with jax.enable_x64(x64):
        dtype = np.float64 if x64 else np.float32
        cfg = ReduceLROnPlateau(**config)
        traj = trajectory(cfg, jnp.asarray(lr0, dtype), jnp.asarray(np.asarray(metrics, dtype)))
        assert traj.lr.dtype == dtype and traj.best.dtype == dtype, (traj.lr.dtype, traj.best.dtype)
        return {k: np.asarray(v) for k, v in traj._asdict().items()}


def check_against(got: dict[str, np.ndarray], ref: dict[str, Any], x64: bool) -> float:
    """Asserts lrjit's trajectory matches torch's; returns the largest relative lr difference."""
    ref_lr = np.asarray(ref["lr"])
    rel = np.abs(got["lr"] - ref_lr) / np.abs(ref_lr)
    if not x64:
        # eps = 0 and min_lr = 0 let the rate fall without end; float32 holds it down to its smallest
        # normal number (XLA flushes subnormals to zero), below which it only has to stay there.
        tiny = np.finfo(np.float32).tiny
        below = ref_lr < tiny
        assert np.all(got["lr"][below] <= tiny)
        rel = np.where(below, 0.0, rel)
    worst = int(np.argmax(rel))
    assert rel[worst] <= (X64_REL if x64 else F32_REL), (
        f"lr at update {worst}: {got['lr'][worst]!r} vs torch {ref_lr[worst]!r}"
    )
    dtype = np.float64 if x64 else np.float32
    np.testing.assert_array_equal(got["best"], np.asarray(ref["best"], dtype), err_msg="best")
    np.testing.assert_array_equal(got["num_bad_epochs"], ref["num_bad_epochs"], err_msg="num_bad_epochs")
    np.testing.assert_array_equal(
        got["cooldown_counter"], ref["cooldown_counter"], err_msg="cooldown_counter"
    )
    np.testing.assert_array_equal(got["last_epoch"], np.arange(1, len(ref_lr) + 1))
    if x64 or np.min(ref_lr) >= np.finfo(np.float32).tiny:
        assert got["num_reductions"][-1] == ref["applied"]
    return float(rel[worst])


def _case_id(case: dict[str, Any]) -> str:
    c = case["config"]
    return f"{c['mode']}-{c['threshold_mode']}-{case['kind']}-p{c['patience']}c{c['cooldown']}"


# ------------------------------------------------------------------------------- torch, live
@pytest.mark.parametrize("x64", [True, False], ids=["x64", "f32"])
@pytest.mark.parametrize("index", range(len(LIVE_CASES)))
def test_matches_torch_live(index: int, x64: bool) -> None:
    pytest.importorskip("torch")
    case = LIVE_CASES[index]
    ref = gen.run_torch(case["config"], case["lr0"], case["metrics"], f32=not x64)
    check_against(run_lrjit(case["config"], case["lr0"], case["metrics"], x64), ref, x64)


def test_live_cases_cover_the_behaviours() -> None:
    """The random cases reach what they are meant to: every combo, NaN, signs, eps- and min_lr-blocked
    reductions (checked on torch's own counts)."""
    pytest.importorskip("torch")
    _check_coverage(
        [dict(c, torch=gen.run_torch(c["config"], c["lr0"], c["metrics"])) for c in LIVE_CASES], 30
    )


def _check_coverage(cases: list[dict[str, Any]], min_cases: int) -> None:
    assert len(cases) >= min_cases
    combos = {(c["config"]["mode"], c["config"]["threshold_mode"]) for c in cases}
    assert combos == {("min", "rel"), ("min", "abs"), ("max", "rel"), ("max", "abs")}
    assert {c["config"]["patience"] for c in cases} >= {0, 1, 2, 3, 4}
    assert {c["config"]["cooldown"] for c in cases} == {0, 1, 2, 3}
    assert any(c["config"]["min_lr"] == 0 for c in cases) and any(c["config"]["min_lr"] > 0 for c in cases)
    metrics = [np.asarray(c["metrics"]) for c in cases]
    assert any(np.isnan(m).any() for m in metrics)
    assert any(np.nanmax(m) < 0 for m in metrics) and any(np.nanmin(m) > 0 for m in metrics)
    assert any(np.nanmin(m) < 0 < np.nanmax(m) for m in metrics)
    assert any(len(np.unique(m[np.isfinite(m)])) < 0.5 * m.size for m in metrics)  # repeats
    assert sum(c["torch"]["applied"] for c in cases) > 20
    blocked = [c for c in cases if c["torch"]["attempted"] > c["torch"]["applied"]]
    assert any(c["config"]["eps"] > 1e-6 for c in blocked)  # a large eps skipped a reduction


# --------------------------------------------------------------------------- torch, fixture
@pytest.mark.parametrize("x64", [True, False], ids=["x64", "f32"])
@pytest.mark.parametrize("case", FIXTURE["cases"], ids=[_case_id(c) for c in FIXTURE["cases"]])
def test_matches_torch_fixture(case: dict[str, Any], x64: bool) -> None:
    ref = case["torch"] if x64 else case["torch_f32"]
    check_against(run_lrjit(case["config"], case["lr0"], case["metrics"], x64), ref, x64)


def test_fixture_is_torch_2_13_and_covers_the_behaviours() -> None:
    assert FIXTURE["torch"].startswith("2.13")
    _check_coverage(FIXTURE["cases"], 16)


def test_fixture_inputs_are_reproducible() -> None:
    """The committed configs and metrics are the generator's (so regenerating changes only torch's side)."""
    cases = gen.make_cases(gen.FIXTURE_SEED, gen.FIXTURE_CASES, gen.FIXTURE_STEPS)
    for made, stored in zip(cases, FIXTURE["cases"], strict=True):
        assert made["config"] == stored["config"] and made["lr0"] == stored["lr0"]
        np.testing.assert_array_equal(made["metrics"], stored["metrics"])


# ---------------------------------------------------------------------------- torch quirks
def torch_lrs(config: dict[str, Any], values: list[float]) -> list[float] | None:
    """torch's lr after each ``step(value)`` from lr 1.0, or None without torch (the caller's lrjit
    assertions still run)."""
    try:
        import torch  # noqa: F401
    except ImportError:
        return None
    return gen.run_torch(config, 1.0, values)["lr"]


def test_nan_and_inf_are_bad_epochs() -> None:
    cfg = ReduceLROnPlateau(patience=1, factor=0.5)
    traj = trajectory(cfg, 1.0, jnp.asarray([1.0, math.nan, math.inf, math.nan, 0.5]))
    np.testing.assert_array_equal(traj.num_bad_epochs, [0, 1, 0, 1, 0])
    np.testing.assert_array_equal(traj.lr, [1.0, 1.0, 0.5, 0.5, 0.5])
    np.testing.assert_array_equal(traj.best, [1.0, 1.0, 1.0, 1.0, 0.5])


def test_rel_threshold_of_one_never_improves() -> None:
    """torch: best * (1 - 1) is inf * 0 = NaN at the start, so no metric is ever better than +inf."""
    cfg = ReduceLROnPlateau(patience=0, threshold=1.0)
    traj = trajectory(cfg, 1.0, jnp.asarray([1.0, 0.5, 0.2]))
    np.testing.assert_array_equal(traj.best, [np.inf] * 3)
    np.testing.assert_allclose(traj.lr, [0.1, 0.01, 0.001], rtol=1e-6)


def test_negative_flat_metric_in_rel_mode_never_reduces_like_torch() -> None:
    """torch's rel rule with a negative best: best * (1 - t) > best, so a repeat is an improvement."""
    values = [-1.0] * 12
    traj = trajectory(ReduceLROnPlateau(patience=2), 1.0, jnp.asarray(values))
    np.testing.assert_array_equal(traj.lr, np.ones(12))
    np.testing.assert_array_equal(traj.num_bad_epochs, np.zeros(12))
    ref = torch_lrs({"patience": 2}, values)
    if ref is not None:
        assert ref == [1.0] * 12


def test_magnitude_margin_reduces_on_negative_metrics_and_equals_torch_when_positive() -> None:
    neg = jnp.asarray([-3.0, -3.1, -3.1, -3.1, -3.1, -3.1, -3.0])
    traj = trajectory(ReduceLROnPlateau(patience=1, rel_margin="magnitude"), 1.0, neg)
    np.testing.assert_allclose(traj.lr, [1, 1, 1, 0.1, 0.1, 0.01, 0.01], rtol=1e-6)
    rng = np.random.default_rng(0)
    pos = jnp.asarray(np.abs(rng.normal(1.0, 0.3, 80)), jnp.float32)
    for mode in ("min", "max"):
        a = trajectory(ReduceLROnPlateau(mode=mode, patience=1, threshold=0.05), 1.0, pos)
        b = trajectory(
            ReduceLROnPlateau(mode=mode, patience=1, threshold=0.05, rel_margin="magnitude"), 1.0, pos
        )
        np.testing.assert_allclose(np.asarray(a.lr), np.asarray(b.lr), rtol=1e-6)
        np.testing.assert_array_equal(a.num_bad_epochs, b.num_bad_epochs)


def test_init_state() -> None:
    for mode, best in (("min", np.inf), ("max", -np.inf)):
        s = ReduceLROnPlateau(mode=mode).init(0.3)
        assert isinstance(s, PlateauState) and s.lr.dtype == np.float32 and s.best == best
        assert s.lr == np.float32(0.3)
        for counter in (s.num_bad_epochs, s.cooldown_counter, s.last_epoch, s.num_reductions):
            assert counter.dtype == np.int32 and counter == 0
    with jax.enable_x64(True):
        assert ReduceLROnPlateau().init(0.3).lr.dtype == np.float64


# ------------------------------------------------------------------------------ start_step
def test_updates_before_start_step_are_ignored() -> None:
    rng = np.random.default_rng(3)
    warm = [math.nan, 5.0, 1e9, -1e9, 7.0, 7.0]  # anything: none of it may count
    rest = list(np.round(rng.normal(1.0, 0.2, 40), 2))
    kwargs = {"patience": 1, "cooldown": 1, "factor": 0.5, "threshold_mode": "abs", "threshold": 0.01}
    late = trajectory(ReduceLROnPlateau(start_step=len(warm), **kwargs), 0.1, jnp.asarray(warm + rest))
    fresh = trajectory(ReduceLROnPlateau(**kwargs), 0.1, jnp.asarray(rest))
    w = len(warm)
    np.testing.assert_array_equal(late.lr[:w], np.full(w, np.float32(0.1)))
    np.testing.assert_array_equal(late.best[:w], np.full(w, np.inf))
    np.testing.assert_array_equal(late.num_bad_epochs[:w], np.zeros(w))
    np.testing.assert_array_equal(late.last_epoch, np.arange(1, w + len(rest) + 1))
    for name in ("lr", "best", "num_bad_epochs", "cooldown_counter", "num_reductions"):
        np.testing.assert_array_equal(getattr(late, name)[w:], getattr(fresh, name), err_msg=name)
    assert fresh.num_reductions[-1] > 0


# --------------------------------------------------------------------- vmap, jit, recompiles
def _same_structure_configs(rng: np.random.Generator, k: int) -> list[ReduceLROnPlateau]:
    return [
        ReduceLROnPlateau(
            mode="min",
            threshold_mode="abs",
            factor=float(rng.uniform(0.1, 0.9)),
            patience=int(rng.integers(0, 4)),
            threshold=float(rng.uniform(0.0, 0.05)),
            cooldown=int(rng.integers(0, 3)),
            min_lr=float(rng.choice([0.0, 1e-3])),
            eps=float(rng.choice([1e-8, 5e-3])),
            start_step=int(rng.integers(0, 5)),
        )
        for _ in range(k)
    ]


def _noisy_losses(rng: np.random.Generator, shape: tuple[int, ...]) -> jax.Array:
    t = np.arange(shape[-1])
    x = 0.3 + np.exp(-t / 15.0) + rng.normal(0.0, 0.03, shape)
    x[rng.random(shape) < 0.03] = np.nan
    return jnp.asarray(x, jnp.float32)


def test_vmap_over_stacked_configs_equals_separate_runs() -> None:
    rng = np.random.default_rng(11)
    cfgs = _same_structure_configs(rng, 8)
    metrics = _noisy_losses(rng, (8, 100))
    lr0 = jnp.asarray(rng.uniform(0.01, 1.0, 8), jnp.float32)
    batch = lrjit.stack(cfgs)
    batched = jax.vmap(trajectory, in_axes=(lrjit.config_axes(batch), 0, 0))(batch, lr0, metrics)
    assert batched.lr.shape == (8, 100)
    assert int(batched.num_reductions[:, -1].sum()) > 8
    for i, cfg in enumerate(cfgs):
        single = trajectory(cfg, lr0[i], metrics[i])
        for name, got in batched._asdict().items():
            np.testing.assert_array_equal(got[i], getattr(single, name), err_msg=f"config {i}: {name}")


def test_vmap_over_states() -> None:
    rng = np.random.default_rng(12)
    cfg = ReduceLROnPlateau(patience=2, threshold=0.01)
    metrics = _noisy_losses(rng, (6, 60))
    states = jax.vmap(cfg.init)(jnp.linspace(0.1, 0.6, 6))
    update = jax.jit(jax.vmap(cfg.update))
    for t in range(metrics.shape[1]):
        states = update(states, metrics[:, t])
    for i in range(6):
        single = trajectory(cfg, jnp.linspace(0.1, 0.6, 6)[i], metrics[i])
        assert states.lr[i] == single.lr[-1] and states.best[i] == single.best[-1]
        assert states.num_reductions[i] == single.num_reductions[-1]


def test_jit_equals_eager() -> None:
    rng = np.random.default_rng(13)
    for cfg in [*_same_structure_configs(rng, 2), ReduceLROnPlateau(mode="max", patience=1, cooldown=2)]:
        metrics = _noisy_losses(rng, (40,))
        if cfg.mode == "max":
            metrics = -metrics
        state = cfg.init(0.2)
        eager = []
        for m in metrics:
            state = cfg.update(state, m)
            eager.append(state)
        jitted = trajectory(cfg, 0.2, metrics)
        for name in PlateauState._fields:
            np.testing.assert_array_equal(
                [getattr(s, name) for s in eager], getattr(jitted, name), err_msg=name
            )


def test_no_recompilation_across_configs_of_one_structure() -> None:
    traces = 0

    def step(cfg: ReduceLROnPlateau, state: PlateauState, metric: jax.Array) -> PlateauState:
        nonlocal traces
        traces += 1
        return cfg.update(state, metric)

    jstep = jax.jit(step)
    rng = np.random.default_rng(14)
    for cfg in _same_structure_configs(rng, 5):
        state = jstep(cfg, cfg.init(0.1), jnp.float32(1.0))
        jstep(cfg, state, jnp.float32(2.0))
    assert traces == 1
    jstep(ReduceLROnPlateau(mode="max"), ReduceLROnPlateau(mode="max").init(0.1), jnp.float32(1.0))
    assert traces == 2  # a static field is structure: a new kernel


def test_traced_bad_factor_never_lowers_the_rate() -> None:
    """Traced values are not validated; documented outcome: factor >= 1 leaves lr alone (eps >= 0)."""

    @jax.jit
    def run(factor: jax.Array, eps: jax.Array) -> jax.Array:
        cfg = ReduceLROnPlateau(factor=factor, eps=eps, patience=0)
        return trajectory(cfg, 1.0, jnp.arange(10.0)).lr

    np.testing.assert_array_equal(run(jnp.float32(1.5), jnp.float32(1e-8)), np.ones(10))
    grown = run(jnp.float32(1.5), jnp.float32(-1.0))  # a negative eps lets it grow (while lr/2 < 1)
    np.testing.assert_allclose(grown, [1.0, 1.5, 2.25, *[2.25] * 7], rtol=1e-6)


def test_traced_bad_values_are_reported_by_checkify() -> None:
    def check(factor: jax.Array, patience: jax.Array) -> None:
        ReduceLROnPlateau(factor=factor, patience=patience).emit_checks()

    checked = jax.jit(checkify.checkify(check))
    assert checked(jnp.float32(0.5), jnp.int32(3))[0].get() is None
    with pytest.raises(checkify.JaxRuntimeError, match="`factor` must be a float in \\[0, 1\\)"):
        checked(jnp.float32(1.0), jnp.int32(3))[0].throw()
    with pytest.raises(checkify.JaxRuntimeError, match="`patience`"):
        checked(jnp.float32(0.5), jnp.int32(-1))[0].throw()


# --------------------------------------------------------------------------------- optax
def _quadratic_run(tx: optax.GradientTransformation, values: Any, steps: int) -> tuple[Any, Any]:
    """SGD-style run on 0.5 * |w|^2; returns (effective lr per step, the plateau states).

    ``values`` maps the loss to the monitored value (the loss itself, or a fixed sequence)."""
    w0 = jnp.asarray([1.0, -2.0, 0.5], jnp.float32)

    def body(carry: tuple[jax.Array, Any], t: jax.Array) -> tuple[Any, Any]:
        w, opt_state = carry
        loss = 0.5 * jnp.sum(w * w)
        grads = w
        updates, opt_state = tx.update(grads, opt_state, w, value=values(loss, t))
        return (optax.apply_updates(w, updates), opt_state), (-updates / grads, opt_state[-1])

    _, (eff, states) = jax.jit(lambda: jax.lax.scan(body, (w0, tx.init(w0)), jnp.arange(steps)))()
    return eff, states


def test_optax_chain_effective_lr_is_the_plateau_lr() -> None:
    lr0 = 0.05
    cfg = ReduceLROnPlateau(patience=1, threshold=0.3, cooldown=1, factor=0.5, min_lr=1e-3)
    tx = optax.chain(optax.sgd(lr0), reduce_on_plateau(cfg, base_lr=lr0))
    eff, states = _quadratic_run(tx, lambda loss, t: loss, 60)
    assert isinstance(states, PlateauState)
    # every coordinate sees the same step size: the plateau's lr
    np.testing.assert_allclose(eff, np.repeat(np.asarray(states.lr)[:, None], 3, axis=1), rtol=2e-6)
    assert int(states.num_reductions[-1]) >= 3
    assert float(states.lr[-1]) == pytest.approx(1e-3)
    # and the plateau saw the same values a bare state machine does
    losses = [0.5 * (1.0 + 4.0 + 0.25)]
    for lr in np.asarray(states.lr)[:-1]:
        losses.append(losses[-1] * (1.0 - lr) ** 2)
    bare = trajectory(cfg, lr0, jnp.asarray(losses, jnp.float32))
    np.testing.assert_allclose(bare.lr, states.lr, rtol=1e-6)


def test_optax_plateau_scales_a_cosine() -> None:
    sched = lrjit.CosineDecay(0.1, decay_steps=40, alpha=0.1)
    cfg = ReduceLROnPlateau(patience=0, cooldown=2, factor=0.5)
    values = jnp.asarray([3.0, 2.0, 2.5, 2.5, 1.0, 1.5, 1.5, 1.5, 1.5, 0.5] * 4)
    tx = optax.chain(optax.sgd(sched), reduce_on_plateau(cfg))
    eff, states = _quadratic_run(tx, lambda loss, t: values[t], 40)
    expected = np.asarray(sched(jnp.arange(40))) * np.asarray(scale(states))
    np.testing.assert_allclose(eff, np.repeat(expected[:, None], 3, axis=1), rtol=2e-6)
    assert int(states.num_reductions[-1]) >= 3


def test_optax_warmup_then_plateau() -> None:
    """``start_step = W``: the metric is ignored during a W-step warmup, then the plateau takes over."""
    w = 5
    warmup = lrjit.PolynomialDecay(0.0, decay_steps=w, end_learning_rate=0.1)  # 0 -> 0.1, then holds
    values = jnp.asarray([5.0, 6.0, 7.0, 8.0, 9.0] + [1.0] * 10)  # worsening during the warmup
    lrs = np.asarray(warmup(jnp.arange(15)))
    for start, first_cut in ((w, w + 3), (0, 3)):
        cfg = ReduceLROnPlateau(patience=2, start_step=start)
        tx = optax.chain(optax.sgd(warmup), reduce_on_plateau(cfg))
        eff, states = _quadratic_run(tx, lambda loss, t: values[t], 15)
        assert int(np.argmax(np.asarray(states.num_reductions) > 0)) == first_cut
        np.testing.assert_allclose(eff[:, 0], lrs * np.asarray(scale(states)), rtol=2e-6)
    np.testing.assert_allclose(eff[:w, 0], lrs[:w] * [1, 1, 1, 0.1, 0.1], rtol=2e-6)  # start 0: cut in warmup


@pytest.mark.parametrize("margin", ["abs-mode", "magnitude"])
def test_optax_negative_loss_that_stops_improving_reduces(margin: str) -> None:
    """optax#1767: optax's rule never reduces on negative values. Here a negative loss that improves and
    then stalls reduces after patience + 1 stalled updates, as torch's ``abs`` mode does."""
    values = jnp.asarray([-1.0, -2.0, -3.0] + [-3.0] * 9)
    kwargs = (
        {"threshold_mode": "abs", "threshold": 1e-3} if margin == "abs-mode" else {"rel_margin": "magnitude"}
    )
    cfg = ReduceLROnPlateau(patience=2, **kwargs)
    _, states = _quadratic_run(
        optax.chain(optax.sgd(1.0), reduce_on_plateau(cfg)), lambda loss, t: values[t], 12
    )
    expected = [1, 1, 1, 1, 1, 0.1, 0.1, 0.1, 0.01, 0.01, 0.01, 0.001]
    np.testing.assert_allclose(states.lr, expected, rtol=1e-6)
    ref = torch_lrs({"patience": 2, **kwargs}, np.asarray(values).tolist()) if margin == "abs-mode" else None
    if ref is not None:
        np.testing.assert_allclose(states.lr, ref, rtol=1e-6)


def test_optax_update_keeps_bf16() -> None:
    params = {"w": jnp.asarray([1.0, -2.0, 3.0], jnp.bfloat16), "b": jnp.asarray(0.5, jnp.bfloat16)}
    tx = optax.chain(optax.sgd(0.1), reduce_on_plateau(ReduceLROnPlateau(patience=0, factor=0.5)))
    state = tx.init(params)
    grads = jax.tree.map(lambda p: p * 2, params)
    step = jax.jit(lambda g, s, p, v: tx.update(g, s, p, value=v))
    for v in (1.0, 2.0, 3.0):
        updates, state = step(grads, state, params, jnp.asarray(v, jnp.bfloat16))
    assert state[-1].lr.dtype == np.float32 and float(state[-1].lr) == 0.25
    sgd = optax.sgd(0.1)
    plain, _ = sgd.update(grads, sgd.init(params), params)
    for name in params:
        assert plain[name].dtype == updates[name].dtype == jnp.bfloat16
        want = (np.asarray(plain[name], np.float32) * 0.25).astype(jnp.bfloat16)
        np.testing.assert_array_equal(np.asarray(updates[name]), want)


def test_optax_value_is_required_and_passed_through_chain() -> None:
    tx = optax.chain(optax.scale(-1.0), reduce_on_plateau(ReduceLROnPlateau(patience=0)))
    g = jnp.ones(2)
    state = tx.init(g)
    assert isinstance(tx, optax.GradientTransformationExtraArgs)
    with pytest.raises(TypeError, match="value"):
        tx.update(g, state, g)
    u, state = tx.update(g, state, g, value=1.0)
    u, state = tx.update(g, state, g, value=1.0, other_extra_arg=3)
    np.testing.assert_allclose(u, -0.1 * g, rtol=1e-6)


def test_scale() -> None:
    s = ReduceLROnPlateau().init(0.2)._replace(lr=jnp.float32(0.05))
    assert float(scale(s, 0.2)) == pytest.approx(0.25)
    assert float(scale(s._replace(lr=jnp.float32(0.0)), 0.0)) == 1.0


# ----------------------------------------------------------------------------- validation
@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"factor": 1.0}, "factor"),
        ({"factor": 1.5}, "factor"),
        ({"factor": -0.1}, "factor"),
        ({"factor": math.nan}, "factor"),
        ({"patience": -1}, "patience"),
        ({"patience": 1.5}, "patience"),
        ({"cooldown": -1}, "cooldown"),
        ({"threshold": -1e-4}, "threshold"),
        ({"threshold": math.inf}, "threshold"),
        ({"min_lr": -1.0}, "min_lr"),
        ({"eps": -1e-8}, "eps"),
        ({"start_step": -3}, "start_step"),
        ({"mode": "avg"}, "mode"),
        ({"threshold_mode": "relative"}, "threshold_mode"),
        ({"rel_margin": "abs"}, "rel_margin"),
    ],
)
def test_bad_concrete_values_raise_naming_the_argument(kwargs: dict[str, Any], name: str) -> None:
    with pytest.raises(ValueError, match=f"`{name}`"):
        ReduceLROnPlateau(**kwargs)


def test_defaults_are_torch_defaults() -> None:
    cfg = ReduceLROnPlateau()
    assert (cfg.mode, cfg.threshold_mode, int(cfg.patience), int(cfg.cooldown), int(cfg.start_step)) == (
        "min",
        "rel",
        10,
        0,
        0,
    )
    np.testing.assert_allclose(
        [cfg.factor, cfg.threshold, cfg.min_lr, cfg.eps], [0.1, 1e-4, 0.0, 1e-8], rtol=1e-7
    )
    assert ReduceLROnPlateau() == ReduceLROnPlateau() and hash(ReduceLROnPlateau()) == hash(cfg)
    assert ReduceLROnPlateau.sample(np.random.default_rng(0)).mode == "min"


def test_reduce_on_plateau_rejects_a_non_config() -> None:
    with pytest.raises(TypeError, match="ReduceLROnPlateau"):
        reduce_on_plateau({"patience": 3})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="base_lr"):
        reduce_on_plateau(ReduceLROnPlateau(), base_lr=[0.1, 0.2])
