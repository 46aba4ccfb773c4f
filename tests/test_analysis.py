"""Schedule analytics (``lrjit.analysis``) against float64 NumPy transcriptions of the papers' formulas.

References (transcribed here, step by step, in float64 on lrjit's float32 rates):

* Tissue, Wang and Wang, "Scaling Law with Learning Rate Annealing" (arXiv:2408.11029), Eq. 1:
  ``L = L0 + A * S1**(-alpha) - C * S2``, ``S1`` the cumulative sum of the rates, ``S2`` the cumulative
  sum of ``m_i = lambda * m_{i-1} + (eta_{i-1} - eta_i)``.
* Luo et al., "A Multi-Power Law for Loss Curve Prediction Across Learning Rate Schedules"
  (arXiv:2503.12811), as in the authors' repository (``src/models.py``, class ``MPL``): ``L = L0 + A *
  S1**(-alpha) - B * sum_k (eta_{k-1} - eta_k) * (1 - (C * eta_k**(-gamma) * S_k + 1)**(-beta))``,
  ``S_k`` the sum of the rates from step k to the evaluated step.

Tolerances: the areas are accumulated in float64 (blocks, a closed form per 32 steps, carried sums), so
they match the sequential float64 reference to about 1e-15 relative (asserted: 1e-12); predictions in
float64 to 1e-12; the traced final losses run in float32 (1e-5 relative).
"""

from __future__ import annotations

import importlib
import warnings

import jax
import numpy as np
import pytest

import lrjit
from lrjit.analysis import (
    AnnealingLaw,
    FitWarning,
    MultiPowerLaw,
    areas,
    fit,
    optimize,
    rank,
)

pytestmark = pytest.mark.usefixtures("x64_does_not_leak")

LAW = AnnealingLaw(L0=2.5, A=1.0, alpha=0.5, C=2.0)
MPL = MultiPowerLaw(L0=2.4, A=0.65, alpha=0.43, B=520.0, C=2.0, beta=0.6, gamma=0.64)


# ------------------------------------------------------------------------------------------ references
def reference_areas(rates: np.ndarray, decay: float, warmup: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """S1 and S2 at every step, float64, the recurrence step by step (rates ``[..., N]``)."""
    r = np.asarray(rates, np.float64)
    m = np.zeros_like(r)
    for k in range(1, r.shape[-1]):
        drop = r[..., k - 1] - r[..., k] if k > warmup else 0.0
        m[..., k] = decay * m[..., k - 1] + drop
    return np.cumsum(r, axis=-1), np.cumsum(m, axis=-1)


def reference_annealing(law: AnnealingLaw, rates: np.ndarray, at: list[int], warmup: int = 0) -> np.ndarray:
    p = {n: float(np.float64(getattr(law, n))) for n in ("L0", "A", "alpha", "C", "decay")}
    s1, s2 = reference_areas(rates, p["decay"], warmup)
    return p["L0"] + p["A"] * s1[..., at] ** -p["alpha"] - p["C"] * s2[..., at]


def reference_mpl(law: MultiPowerLaw, rates: np.ndarray, at: list[int], warmup: int = 0) -> np.ndarray:
    p = {n: float(np.float64(getattr(law, n))) for n in ("L0", "A", "alpha", "B", "C", "beta", "gamma")}
    r = np.asarray(rates, np.float64)
    out = []
    for s in at:
        k = np.arange(warmup + 1, s + 1)
        span = np.cumsum(r[: s + 1][::-1])[::-1][k]  # S_k(s) = sum_{tau=k..s} eta_tau
        with np.errstate(divide="ignore", invalid="ignore"):
            g = 1 - (p["C"] * r[k] ** -p["gamma"] * span + 1) ** -p["beta"]
        g = np.where((r[k] == 0) & (span == 0), 0.0, g)  # the limit for gamma < 1 (eta**(1 - gamma) -> 0)
        ld = np.sum((r[k - 1] - r[k]) * g)
        out.append(p["L0"] + p["A"] * r[: s + 1].sum() ** -p["alpha"] - p["B"] * ld)
    return np.array(out)


def rates_of(schedule: lrjit.Schedule | lrjit.Sweep, n: int) -> np.ndarray:
    return np.asarray(lrjit.curves(schedule, n), np.float64)


WSD = lrjit.sequence([lrjit.ConstantLR(1e-3, 1.0, 0), lrjit.LinearLR(1e-3, 1.0, 0.0, 300)], [700])
WARM_COSINE = lrjit.CosineDecay(1e-4, 900, warmup_target=1e-3, warmup_steps=100)


# ------------------------------------------------------------------------------------------------ areas
def test_areas_of_one_schedule_at_every_step_in_blocks() -> None:
    """N = 1000 in blocks of 64 steps (the last block partial), every step returned; and in one block."""
    n = 1000
    s1, s2 = reference_areas(rates_of(WSD, n), 0.999)
    for budget in (64 * 48, None):
        got = areas(WSD, n, at=np.arange(n), max_bytes=budget)
        np.testing.assert_allclose(got.s1, s1, rtol=1e-12, atol=0)
        np.testing.assert_allclose(got.s2, s2, rtol=1e-12, atol=1e-15)
    assert got.s2[699] == 0 and got.s2[-1] > 0  # no annealing area before the decay starts
    final = areas(WSD, n, max_bytes=64 * 48)
    assert final.s1.shape == () and final.s1 == pytest.approx(s1[-1], rel=1e-13)
    assert final.s2 == pytest.approx(s2[-1], rel=1e-13)


def test_areas_with_warmup_decay_and_unordered_steps() -> None:
    """The warmup's rises are not drops; S1 keeps the warmup's area; ``at`` in any order, repeated."""
    n = 1000
    r = rates_of(WARM_COSINE, n)
    at = [999, 0, 1, 100, 101, 537, 537]
    for decay in (0.0, 0.9, 1.0):
        got = areas(WARM_COSINE, n, decay=decay, at=at, warmup=100)
        s1, s2 = reference_areas(r, decay, warmup=100)
        np.testing.assert_allclose(got.s1, s1[at], rtol=1e-12)
        np.testing.assert_allclose(got.s2, s2[at], rtol=1e-12, atol=1e-18)
    # decay = 1: S2 is the area between the peak and the curve after the warmup
    assert areas(WARM_COSINE, n, decay=1.0, warmup=100).s2 == pytest.approx(
        np.sum(r[100] - r[100:]), rel=1e-12
    )
    # warmup = 0 counts the warmup's rises as negative drops
    assert areas(WARM_COSINE, n, at=[99]).s2 < 0


def test_areas_of_one_step_and_short_runs() -> None:
    one = areas(WARM_COSINE, 1, max_bytes=1024)
    assert one.s1 == pytest.approx(1e-4, rel=1e-7) and one.s2 == 0
    for n in (2, 17, 63):  # in blocks of 16 steps
        got = areas(WARM_COSINE, n, at=np.arange(n), decay=0.5, max_bytes=1024)
        s1, s2 = reference_areas(rates_of(WARM_COSINE, n), 0.5)
        np.testing.assert_allclose(got.s1, s1, rtol=1e-12)
        np.testing.assert_allclose(got.s2, s2, rtol=1e-12, atol=1e-18)


def test_areas_of_batches_and_sweeps() -> None:
    n = 1000
    batch = lrjit.grid(lrjit.CosineDecay(1e-3, 800), alpha=[0.0, 0.1, 0.5])
    at = [0, 450, 799, 999]
    got = areas(batch, n, at=at, warmup=np.array([0, 5, 50]), max_bytes=64 * 3 * 48)
    r = rates_of(batch, n)
    assert got.s1.shape == (3, 4)
    for i, w in enumerate((0, 5, 50)):
        s1, s2 = reference_areas(r[i], 0.999, w)
        np.testing.assert_allclose(got.s1[i], s1[at], rtol=1e-12)
        np.testing.assert_allclose(got.s2[i], s2[at], rtol=1e-12, atol=1e-18)
    sweep = lrjit.Sweep([lrjit.OneCycleLR(1e-3, total_steps=n), batch, WARM_COSINE])
    got = areas(sweep, n, at=at, warmup="peak")  # each config's first step of its largest rate
    rows = rates_of(sweep, n)
    assert got.s1.shape == (5, 4) and rows.argmax(1).tolist() == [299, 0, 0, 0, 100]
    for i, row in enumerate(rows):
        s1, s2 = reference_areas(row, 0.999, int(row.argmax()))
        np.testing.assert_allclose(got.s1[i], s1[at], rtol=1e-12)
        np.testing.assert_allclose(got.s2[i], s2[at], rtol=1e-12, atol=1e-18)


# ------------------------------------------------------------------------------------------------- laws
def test_annealing_law_against_its_transcription() -> None:
    n = 1000
    at = [9, 500, 700, 850, 999]
    np.testing.assert_allclose(
        LAW.predict(WSD, at), reference_annealing(LAW, rates_of(WSD, n), at), rtol=1e-12
    )
    batch = lrjit.grid(lrjit.CosineDecay(1e-3, 800), alpha=[0.0, 0.5])
    expected = reference_annealing(LAW, rates_of(batch, n), at, warmup=0)
    np.testing.assert_allclose(LAW.predict(batch, at), expected, rtol=1e-12)
    traced = LAW.final_loss(batch, n, block=300)  # in float32: 3 blocks and a rest
    np.testing.assert_allclose(np.asarray(traced), expected[:, -1], rtol=1e-5)
    assert LAW.predict(WSD, 10).shape == (10,)
    with jax.enable_x64(True):  # the traceable form fit() differentiates (float64 rates in, float64 out)
        from_rates = jax.jit(lambda law, r: law.predict_rates(r, np.asarray(at), 100))(LAW, rates_of(WSD, n))
    np.testing.assert_allclose(from_rates, reference_annealing(LAW, rates_of(WSD, n), at, 100), rtol=1e-12)


def test_multi_power_law_against_its_transcription() -> None:
    """With a warmup, a decay to exactly 0 (the limit of G at a zero rate), and a batch."""
    n = 1000
    at = [0, 150, 399, 999]
    warm = lrjit.CosineDecay(1e-4, 900, warmup_target=3e-4, warmup_steps=100)
    np.testing.assert_allclose(
        MPL.predict(warm, at, warmup=100), reference_mpl(MPL, rates_of(warm, n), at, 100), rtol=1e-12
    )
    to_zero = lrjit.sequence([lrjit.ConstantLR(3e-4, 1.0, 0), lrjit.LinearLR(3e-4, 1.0, 0.0, 200)], [799])
    r = rates_of(to_zero, n)
    assert r[-1] == 0 and r[-2] > 0
    got = MPL.predict(to_zero, [*at, 998], max_bytes=1024)
    np.testing.assert_allclose(got, reference_mpl(MPL, r, [*at, 998]), rtol=1e-12)
    batch = lrjit.grid(lrjit.CosineDecay(3e-4, n), alpha=[0.0, 0.2])
    expected = np.stack([reference_mpl(MPL, row, at) for row in rates_of(batch, n)])
    np.testing.assert_allclose(MPL.predict(batch, at), expected, rtol=1e-12)
    final = np.asarray(MPL.final_loss(to_zero, n, block=128))
    np.testing.assert_allclose(final, reference_mpl(MPL, r, [n - 1])[0], rtol=1e-5)


# -------------------------------------------------------------------------------------------------- fit
def test_fit_recovers_an_annealing_law_from_noisy_curves() -> None:
    truth = AnnealingLaw(L0=2.0, A=1.5, alpha=0.6, C=2.0)
    rng = np.random.default_rng(0)
    runs = []
    for schedule in (lrjit.CosineDecay(1e-3, 1000), WSD):
        steps = np.arange(25, 1000, 25)
        clean = truth.predict(schedule, steps)
        runs.append((schedule, steps, clean * np.exp(rng.normal(0.0, 1e-3, steps.shape))))
    result = fit(AnnealingLaw, runs)
    assert result.converged and result.starts >= 4
    assert result.grad_norm <= 1e-6 or result.step_norm <= 1e-8
    fitted = result.law
    for name, tol in (("L0", 0.02), ("A", 0.02), ("alpha", 0.02), ("C", 0.05)):
        assert float(getattr(fitted, name)) == pytest.approx(float(getattr(truth, name)), rel=tol), name
    assert float(fitted.decay) == pytest.approx(0.999)  # fixed by default
    # the objective is the mean Huber loss of the log residuals in units of delta (noise ~ delta: ~0.5)
    assert 0.2 < result.objective < 0.8
    with pytest.warns(FitWarning, match="did not converge"):
        assert not fit(AnnealingLaw, runs, max_iter=2).converged


def test_fit_recovers_a_multi_power_law() -> None:
    """Noise-free curves of a constant rate and two step decays (the drop's saturation identifies C, beta
    and gamma): the parameters come back to 1e-6."""
    truth = MultiPowerLaw(L0=2.4, A=0.65, alpha=0.43, B=520.0, C=2.0, beta=0.6, gamma=0.64)
    schedules = (
        lrjit.ConstantLR(3e-4, 1.0, 0),
        lrjit.MultiStepLR(3e-4, [100], 0.1),
        lrjit.MultiStepLR(3e-4, [150, 250], 0.5),
    )
    steps = np.arange(9, 400, 20)
    runs = [(s, steps, truth.predict(s, steps)) for s in schedules]
    with warnings.catch_warnings():
        warnings.simplefilter("error", FitWarning)
        result = fit(MultiPowerLaw, runs, loss="l2")
    assert result.converged and result.objective < 1e-12
    for name in ("L0", "A", "alpha", "B", "C", "beta", "gamma"):
        assert float(getattr(result.law, name)) == pytest.approx(float(getattr(truth, name)), rel=1e-6), name


# ---------------------------------------------------------------------------------------------- search
def test_rank_orders_a_space_as_the_float64_predictions() -> None:
    n = 800
    grid = lrjit.grid(lrjit.CosineDecay(1e-3, n), initial_learning_rate=[3e-4, 1e-3, 3e-3], alpha=[0.0, 0.2])
    sweep = lrjit.Sweep([grid, lrjit.OneCycleLR(1e-3, total_steps=n), WSD])
    result = rank(MPL, sweep, n, max_bytes=4096 * 64)
    expected = MPL.predict(sweep, [n - 1])[:, 0]
    assert np.min(np.diff(np.sort(expected))) > 1e-4  # well separated: float32 cannot swap them
    np.testing.assert_array_equal(result.order, np.argsort(expected))
    np.testing.assert_allclose(result.losses, expected, rtol=1e-5)


def test_optimize_lowers_the_predicted_loss_within_the_constraints() -> None:
    n = 1000
    start = lrjit.CosineDecay(1e-3, n, alpha=0.5)
    out = optimize(
        LAW,
        start,
        ["initial_learning_rate", "alpha"],
        total_steps=n,
        max_peak=2e-3,
        bounds={"alpha": (0.1, 0.9)},
    )
    assert out.loss < out.initial_loss - 0.5
    assert out.initial_loss == pytest.approx(float(LAW.predict(start, [n - 1])[0]), rel=1e-5)
    assert out.loss == pytest.approx(float(LAW.predict(out.schedule, [n - 1])[0]), rel=1e-5)
    assert np.max(np.asarray(out.schedule(np.arange(n)))) <= np.float32(2e-3)
    assert float(out.schedule.initial_learning_rate) == pytest.approx(2e-3, rel=1e-4)  # on the cap
    assert float(out.schedule.alpha) == pytest.approx(0.1)  # on its bound
    assert out.history.shape == (200,) and out.values["alpha"] == out.schedule.alpha


# A warmup-stable-decay run whose decay length has an interior optimum under this law (D = 381 of 0..450).
WSD_LAW = AnnealingLaw(L0=2.5, A=1.0, alpha=0.5, C=1.0)
HF_WSD = lrjit.WarmupStableDecay(
    base_lr=1e-3, num_warmup_steps=50, num_stable_steps=500, num_decay_steps=200, decay_type="linear"
)


def grid_best(
    law: AnnealingLaw, schedule: lrjit.Schedule, field: str, values: np.ndarray, n: int, warmup: int = 0
) -> int:
    """The best integer of ``field`` by brute force: ``rank`` over a dense grid, checked in float64."""
    space = lrjit.grid(schedule, **{field: values})
    order = rank(law, space, n, warmup=warmup).order
    exact = law.predict(space, [n - 1], warmup=warmup)[:, 0]
    assert exact[order[0]] <= exact.min() + 1e-6  # float32 ranking: the best up to its rounding
    return int(values[np.argmin(exact)])


def test_optimize_an_integer_field_reaches_the_best_of_a_dense_grid() -> None:
    n = 1000
    best = grid_best(WSD_LAW, HF_WSD, "num_decay_steps", np.arange(0, 451), n)
    out = optimize(
        WSD_LAW, HF_WSD, "num_decay_steps", total_steps=n, bounds={"num_decay_steps": (0, 450)}, steps=60
    )
    found = int(out.values["num_decay_steps"])
    assert abs(found - best) <= 3, (found, best)
    assert out.schedule.num_decay_steps == found and out.values["num_decay_steps"].dtype == np.int32
    continuous = float(out.values["num_decay_steps:continuous"])
    assert found in (np.floor(continuous), np.floor(continuous) + 1)  # one of its two neighbours
    exact = WSD_LAW.predict(lrjit.grid(HF_WSD, num_decay_steps=[best, found]), [n - 1])[:, 0]
    assert exact[1] - exact[0] <= 1e-5  # the grid's best up to a few steps of a flat optimum
    assert out.loss <= out.initial_loss
    assert out.initial_loss == pytest.approx(float(WSD_LAW.predict(HF_WSD, [n - 1])[0]), rel=1e-6)
    assert out.loss == pytest.approx(exact[1], rel=1e-6)  # the rounded schedule's own loss


def test_relaxed_objective_is_exact_at_integers_and_multilinear_between() -> None:
    """In float64: the objective equals the law's float64 prediction at integers, interpolates linearly (one
    field) or bilinearly (two) between them, and its gradient is the finite difference of neighbours."""
    from lrjit.analysis import search

    n = 1000
    with jax.enable_x64(True):
        schedule = lrjit.WarmupStableDecay(
            base_lr=1e-3, num_warmup_steps=50, num_stable_steps=500, num_decay_steps=200, decay_type="linear"
        )
        leaves, treedef = jax.tree_util.tree_flatten(schedule)
        paths = search._paths(schedule)
        fields = ["num_warmup_steps", "num_decay_steps"]
        plan = search._Plan(treedef, tuple(paths[f] for f in fields), ((), ()), (0, 1))
        lo, hi = np.array([0.0, 0.0]), np.array([100.0, 450.0])

        @jax.jit
        def relaxed(x: jax.Array) -> jax.Array:
            return search._relaxed_loss(WSD_LAW, leaves, x, lo, hi, 0, plan=plan, n=n, block=4096)

        def exact(w: int, d: int) -> float:
            one = schedule.replace(num_warmup_steps=w, num_decay_steps=d)
            return float(reference_annealing(WSD_LAW, rates_of(one, n), [n - 1])[0])

        for w, d in ((50, 200), (0, 0), (100, 450), (7, 381)):  # corners, bounds included
            assert float(relaxed(np.array([w, d], np.float64))) == pytest.approx(exact(w, d), rel=1e-13)
        for t in (0.25, 0.5, 0.9):
            line = (1 - t) * exact(50, 200) + t * exact(50, 201)
            assert float(relaxed(np.array([50.0, 200 + t]))) == pytest.approx(line, rel=1e-13)
        u, t = 0.3, 0.6
        plane = (
            (1 - u) * (1 - t) * exact(20, 300)
            + u * (1 - t) * exact(21, 300)
            + (1 - u) * t * exact(20, 301)
            + u * t * exact(21, 301)
        )
        assert float(relaxed(np.array([20 + u, 300 + t]))) == pytest.approx(plane, rel=1e-13)
        grad = np.asarray(jax.grad(relaxed)(np.array([50.0, 200.5])))
        assert grad[1] == pytest.approx(exact(50, 201) - exact(50, 200), rel=1e-8)
        at_top = np.asarray(jax.grad(relaxed)(np.array([50.0, 450.0])))  # from below at the upper bound
        assert at_top[1] == pytest.approx(exact(50, 450) - exact(50, 449), rel=1e-8)


def test_optimize_keeps_integer_fields_in_their_bounds() -> None:
    n = 1000
    # the unconstrained optimum (381) is above the box: the result is its upper end, rounded inwards
    out = optimize(
        WSD_LAW, HF_WSD, "num_decay_steps", total_steps=n, bounds={"num_decay_steps": (150, 250.7)}, steps=60
    )
    assert int(out.values["num_decay_steps"]) == 250
    assert 150 <= float(out.values["num_decay_steps:continuous"]) <= 250
    # ... and below it: its lower end
    out = optimize(
        WSD_LAW,
        HF_WSD.replace(num_decay_steps=420),
        "num_decay_steps",
        total_steps=n,
        bounds={"num_decay_steps": (400, 450)},
        steps=60,
    )
    assert int(out.values["num_decay_steps"]) == 400 and out.loss < out.initial_loss
    # an interior optimum inside the box: the warmup length, against a grid over the box
    best = grid_best(WSD_LAW, HF_WSD, "num_warmup_steps", np.arange(20, 81), n)
    out = optimize(
        WSD_LAW, HF_WSD, "num_warmup_steps", total_steps=n, bounds={"num_warmup_steps": (20, 80)}, steps=60
    )
    assert abs(int(out.values["num_warmup_steps"]) - best) <= 2 and out.loss <= out.initial_loss
    # the default box is [0, total_steps] (and the field's domain: CosineDecay's decay_steps >= 1)
    with pytest.raises(ValueError, match=r"num_decay_steps = \[200.0\] is outside its bounds \[0.0, 150.0\]"):
        optimize(WSD_LAW, HF_WSD, "num_decay_steps", total_steps=150)
    with pytest.raises(ValueError, match=r"decay_steps = \[20.0\] is outside its bounds \[30.0, 100.0\]"):
        optimize(
            LAW,
            lrjit.CosineDecay(1e-3, 20),
            "decay_steps",
            total_steps=100,
            bounds={"decay_steps": (30, 500)},
        )
    assert search_box("decay_steps") == (1.0, 100.0)


def search_box(field: str) -> tuple[float, float]:
    from lrjit.analysis import search

    return search._int_box(lrjit.core.fields_of(lrjit.CosineDecay)[field], 100)


def test_optimize_a_float_and_an_integer_field_together() -> None:
    """The peak rate goes to its cap and the decay length to the grid's best at that peak (drops counted
    after the warmup: the loss then falls with the peak rate)."""
    n = 1000
    law = AnnealingLaw(L0=2.5, A=1.0, alpha=0.5, C=0.5)
    start = HF_WSD.replace(num_decay_steps=350)
    out = optimize(law, start, ["base_lr", "num_decay_steps"], total_steps=n, max_peak=2e-3, warmup="peak")
    assert float(out.schedule.base_lr) == pytest.approx(2e-3, rel=1e-4)
    assert np.max(np.asarray(out.schedule(np.arange(n)))) <= np.float32(2e-3)
    best = grid_best(law, start.replace(base_lr=2e-3), "num_decay_steps", np.arange(0, 451), n, warmup=50)
    assert abs(int(out.values["num_decay_steps"]) - best) <= 3, (out.values, best)
    assert out.loss < out.initial_loss
    assert out.loss == pytest.approx(float(law.predict(out.schedule, [n - 1], warmup=50)[0]), rel=1e-5)


# -------------------------------------------------------------------------------------------------- errors
def test_bad_arguments_name_themselves() -> None:
    with pytest.raises(ValueError, match=r"decay must be a float in \[0, 1\], got 1.5"):
        areas(WSD, 10, decay=1.5)
    with pytest.raises(ValueError, match=r"at: steps must be in \[0, 9\].*got 10"):
        areas(WSD, 10, at=[3, 10])
    with pytest.raises(ValueError, match=r"steps must be in \[1, "):
        areas(WSD, 0)
    with pytest.raises(ValueError, match="warmup must be >= 0, got -1"):
        areas(WSD, 10, warmup=-1)
    with pytest.raises(ValueError, match=r"warmup must be an int or one per config \(None\)"):
        areas(WSD, 10, warmup=[1, 2])
    with pytest.raises(ValueError, match="warmup must be an int, one int per config, or 'peak', got 'top'"):
        areas(WSD, 10, warmup="top")
    with pytest.raises(TypeError, match="expected an lrjit schedule or Sweep"):
        areas([1e-3], 10)
    with pytest.raises(ValueError, match="steps must be a count N or a non-empty 1-D array"):
        LAW.predict(WSD, [[1, 2]])
    with pytest.raises(ValueError, match=r"`alpha` must be a finite float >= 0, got -1.0"):
        AnnealingLaw(L0=2.0, A=1.0, alpha=-1.0, C=1.0)
    run = (WSD, np.arange(1, 10), np.ones(9))
    with pytest.raises(ValueError, match=r"loss must be one of \('huber', 'l2'\), got 'l1'"):
        fit(AnnealingLaw, [run], loss="l1")
    with pytest.raises(ValueError, match=r"fixed names 'lambda', not a parameter of AnnealingLaw"):
        fit(AnnealingLaw, [run], fixed=["lambda"])
    with pytest.raises(ValueError, match=r"runs\[0\]: losses must be finite and > 0.*got 0.0"):
        fit(AnnealingLaw, [(WSD, np.arange(3), np.array([1.0, 0.0, 1.0]))])
    with pytest.raises(ValueError, match=r"runs\[0\]: no rate > 0 up to step 0"):
        fit(AnnealingLaw, [(WARM_COSINE.replace(initial_learning_rate=0.0), np.arange(3), np.ones(3))])
    with pytest.raises(ValueError, match=r"boundaries is a INT_VECTOR leaf of shape \(2,\): only float"):
        optimize(
            LAW, lrjit.PiecewiseConstantDecay([10, 20], [1e-3, 5e-4, 1e-4]), "boundaries", total_steps=30
        )
    with pytest.raises(ValueError, match=r"staircase is a BOOL leaf of shape \(\): only float"):
        optimize(LAW, lrjit.ExponentialDecay(1e-3, 100, 0.5), "staircase", total_steps=100)
    two = lrjit.sequence([lrjit.WarmupStableDecay(1e-3, 10, 50, 20), WARM_COSINE], [80])
    ints = [f"schedules.0.{f}" for f in ("num_warmup_steps", "num_stable_steps", "num_decay_steps")]
    with pytest.raises(
        ValueError, match=r"at most 3 integer fields.*got 4; drop \['schedules.1.warmup_steps'\]"
    ):
        optimize(LAW, two, [*ints, "schedules.1.warmup_steps"], total_steps=200)
    with pytest.raises(ValueError, match="has no float or integer leaf 'alfa'; did you mean `alpha`"):
        optimize(LAW, lrjit.CosineDecay(1e-3, 100), "alfa", total_steps=100)
    with pytest.raises(ValueError, match=r"peak 0.00100.* is above max_peak=0.0005"):
        optimize(LAW, lrjit.CosineDecay(1e-3, 100), "alpha", total_steps=100, max_peak=5e-4)
    with pytest.raises(ValueError, match=r"alpha = \[0.5\] is outside its bounds \[0.0, 0.2\]"):
        optimize(
            LAW, lrjit.CosineDecay(1e-3, 100, alpha=0.5), "alpha", total_steps=100, bounds={"alpha": (0, 0.2)}
        )
    with pytest.raises(TypeError, match="rank: law must be a law instance"):
        rank(AnnealingLaw, WSD, 10)


def test_analysis_is_a_module_of_lrjit() -> None:
    assert lrjit.analysis is importlib.import_module("lrjit.analysis")
    assert "analysis" in lrjit.__all__
