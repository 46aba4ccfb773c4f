"""lrjit against golden TensorFlow/Keras curves (``tests/fixtures/keras_tf_golden.json``).

The fixture holds, per config and step, the reference's float32 and float64 values and an exact float64
closed form; see ``tests/fixtures/generate_keras_tf.py``. No TensorFlow is needed here.

Bounds (``peak`` is the largest |exact| value over the case's steps):

- float32: ``|lrjit - ref| <= 1e-6 * |ref| + 1e-7 * peak``;
- float64: ``|lrjit - ref| <= 1e-12 * max(|ref|, 1e-12 * peak)``.

lrjit is held to the exact closed form at every step. It is held to the Keras/TF values at every step
where those are themselves within the bound of the exact form: the fixture lists the steps where they are
not (``keras_restart_flips``: the float restart index lands in the wrong cycle; ``keras_f32_inexact`` /
``keras_f64_inexact``: accumulated rounding), and a test below checks that those lists are honest.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Collection
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import lrjit

from bounds import F32_ABS, F32_REL, bound
from helpers import pad_steps

FIXTURE = Path(__file__).parent / "fixtures" / "keras_tf_golden.json"
DATA: dict[str, Any] = json.loads(FIXTURE.read_text())
CASES: list[dict[str, Any]] = DATA["cases"]

FAMILIES = (
    "CosineDecay",
    "CosineDecayRestarts",
    "ExponentialDecay",
    "InverseTimeDecay",
    "PiecewiseConstantDecay",
    "PolynomialDecay",
    "NaturalExpDecay",
    "LinearCosineDecay",
)
MIN_CONFIGS_PER_FAMILY = 6

FLIP_TOL = 1e-3
PADDED_STEPS = 256


def _ids(cases: list[dict[str, Any]]) -> list[str]:
    """``Family-k``: the k-th config of that family in the fixture."""
    seen: Counter[str] = Counter()
    out = []
    for case in cases:
        out.append(f"{case['family']}-{seen[case['family']]}")
        seen[case["family"]] += 1
    return out


CASE_PARAMS = [pytest.param(c, id=i) for c, i in zip(CASES, _ids(CASES), strict=True)]

# float32 with a t_mul that binary floats cannot hold (1.1): every cycle start is rounded to float32, and
# the position in a cycle inherits about ulp(start) / cycle length (Keras's float32 formula has the same
# error). Measured: t_mul=1.1, first_decay_steps=100, step 10**6: |lrjit - exact| = 7.3e-6 (38x the bound).
# x64 meets the bound (test_float64_matches_keras_and_exact); dyadic t_mul (1.5, 2, 3) meet it in float32.
# Whether the rounding lands outside the bound depends on the backend's float32 arithmetic: on the CPU it
# does (strict), on an H200 GPU the same case passed (jax 0.11.2, a run of the whole suite there), so
# elsewhere either outcome is reported (xfail or xpass), not asserted.
F32_NON_DYADIC_T_MUL = pytest.mark.xfail(
    strict=jax.default_backend() == "cpu",
    reason="float32 cycle starts of a non-dyadic t_mul (1.1), step 10**6 (cycle 72); see comment",
)
CASE_PARAMS_F32 = [
    pytest.param(c, id=i, marks=[F32_NON_DYADIC_T_MUL] if i == "CosineDecayRestarts-7" else [])
    for c, i in zip(CASES, _ids(CASES), strict=True)
]


def x64(enabled: bool) -> AbstractContextManager[Any]:
    """A scope with jax_enable_x64 set, restored on exit (thread-local, so it cannot leak).

    ``jax.experimental.enable_x64`` is gone from recent jax; ``jax.enable_x64`` is its successor.
    """
    return jax.enable_x64(enabled)


# every test of this file: jax_enable_x64 is restored on exit (the fixture is in conftest.py)
pytestmark = pytest.mark.usefixtures("x64_does_not_leak")


def _peak(case: dict[str, Any]) -> float:
    return max(abs(v) for v in case["exact"])


def _f32_bound(ref: np.ndarray, peak: float) -> np.ndarray:
    return bound(ref, peak, x64=False)


def _f64_bound(ref: np.ndarray, peak: float) -> np.ndarray:
    return bound(ref, peak, x64=True)


def _lrjit(case: dict[str, Any], dtype: type) -> np.ndarray:
    """lrjit's values at the case's steps, with x64 on for float64."""
    steps = case["steps"]
    # One step-array shape for every case (padded with repeats), so lrjit compiles once per family
    # rather than once per case.
    padded = pad_steps(steps, PADDED_STEPS)
    with x64(dtype == np.float64):
        sched = getattr(lrjit, case["family"])(**case["kwargs"])
        out = sched(jnp.asarray(padded))
        assert out.dtype == dtype, f"lrjit returned {out.dtype}, expected {np.dtype(dtype)}"
        assert out.shape == (PADDED_STEPS,)
        return np.asarray(out, dtype=np.float64)[: len(steps)]


def _misses(
    case: dict[str, Any], got: np.ndarray, column: str, bound: np.ndarray, skip: Collection[int] = ()
) -> list[str]:
    """The steps (not in ``skip``) where |got - case[column]| > bound, one line each."""
    ref = np.asarray(case[column], dtype=np.float64)
    err = np.abs(got - ref)
    return [
        f"vs {column} at step {s}: lrjit={g!r} {column}={r!r} |diff|={e:.3g} bound={b:.3g}"
        for s, g, r, e, b in zip(case["steps"], got, ref, err, bound, strict=True)
        if s not in skip and not e <= b  # `not <=` also catches NaN
    ]


def _report(case: dict[str, Any], misses: list[str]) -> str:
    return f"{case['family']}({case['kwargs']}): {len(misses)} misses\n  " + "\n  ".join(misses[:16])


@pytest.mark.parametrize("case", CASE_PARAMS_F32)
def test_float32_matches_keras_and_exact(case: dict[str, Any]) -> None:
    got = _lrjit(case, np.float32)
    peak = _peak(case)
    skip = set(case["keras_restart_flips"]) | set(case["keras_f32_inexact"])
    misses = _misses(case, got, "f32", _f32_bound(np.asarray(case["f32"]), peak), skip)
    # Exact for the hyperparameters as written or as float32 stores them (t_mul=1.1 is 1.10000002...,
    # which moves restarts after many cycles): a float32 evaluation can only be held to one of the two.
    near_f32_params = {
        st
        for st, g, r in zip(case["steps"], got, case["exact_f32"], strict=True)
        if abs(g - r) <= bound(r, peak, x64=False)
    }
    misses += _misses(case, got, "exact", _f32_bound(np.asarray(case["exact"]), peak), near_f32_params)
    assert not misses, _report(case, misses)


@pytest.mark.parametrize("case", CASE_PARAMS)
def test_float64_matches_keras_and_exact(case: dict[str, Any]) -> None:
    got = _lrjit(case, np.float64)
    peak = _peak(case)
    skip = set(case["keras_restart_flips"]) | set(case["keras_f64_inexact"])
    misses = _misses(case, got, "f64", _f64_bound(np.asarray(case["f64"]), peak), skip)
    misses += _misses(case, got, "exact", _f64_bound(np.asarray(case["exact"]), peak))
    assert not misses, _report(case, misses)


def test_x64_scope_is_restored() -> None:
    with x64(True):
        assert jnp.asarray(1.0).dtype == jnp.float64
    assert jnp.asarray(1.0).dtype == jnp.float32


def test_restart_step_starts_the_new_cycle_where_keras_flips() -> None:
    """t_mul=1.1, first_decay_steps=10: cycles [0, 10), [10, 21), [21, 33.1), ...

    Step 21 starts cycle 2, whose peak is initial_learning_rate * m_mul**2 = 0.25. Keras takes the cycle
    index as floor(log(1 + 0.1 * 2.1) / log(1.1)), which rounds to 1.9999... in float32, so it reports the
    very end of cycle 1 (about 0) instead.
    """
    case = next(
        c
        for c in CASES
        if c["family"] == "CosineDecayRestarts"
        and c["kwargs"] == {"initial_learning_rate": 1.0, "first_decay_steps": 10, "t_mul": 1.1, "m_mul": 0.5}
    )
    i = case["steps"].index(21)
    assert 21 in case["keras_restart_flips"]
    assert abs(case["f32"][i]) < 1e-6, "the fixture no longer shows Keras's float32 flip"
    assert case["exact"][i] == 0.25
    with x64(False):
        got = lrjit.CosineDecayRestarts(1.0, 10, t_mul=1.1, m_mul=0.5)(jnp.asarray([20, 21, 22]))
    assert got.dtype == jnp.float32
    assert abs(float(got[1]) - 0.25) <= F32_REL * 0.25 + F32_ABS
    # The neighbours stay in their cycles: step 20 is the last of cycle 1 (0.25 * (1 + cos(pi * 10/11))
    # ~ 0.0101), step 22 the second of cycle 2 (just below 0.25). Keras agrees with the exact form there.
    for k, step in ((0, 20), (2, 22)):
        j = case["steps"].index(step)
        assert step not in case["keras_restart_flips"]
        assert abs(float(got[k]) - case["exact"][j]) <= F32_REL * case["exact"][j] + F32_ABS
    assert float(got[0]) < 0.011 and 0.24 < float(got[2]) < 0.25


def test_fixture_covers_every_family() -> None:
    counts = Counter(c["family"] for c in CASES)
    assert set(counts) == set(FAMILIES)
    short = {f: counts[f] for f in FAMILIES if counts[f] < MIN_CONFIGS_PER_FAMILY}
    assert not short, f"fewer than {MIN_CONFIGS_PER_FAMILY} configs: {short}"
    assert set(DATA["versions"]) >= {"tensorflow", "keras"}
    assert DATA["generator"].endswith("generate_keras_tf.py")


@pytest.mark.parametrize("case", CASE_PARAMS)
def test_fixture_case_is_consistent(case: dict[str, Any]) -> None:
    """The fixture's own invariants: shapes, float32 values, and the exclusion lists are exactly the steps
    where the reference misses the exact form (so no lrjit check is skipped without cause)."""
    steps = case["steps"]
    assert steps == sorted(set(steps)) and all(isinstance(s, int) and s >= 0 for s in steps)
    for column in ("f32", "f64", "exact"):
        assert len(case[column]) == len(steps)
        assert all(math.isfinite(v) for v in case[column])
    assert all(float(np.float32(v)) == v for v in case["f32"]), "f32 values must be float32-representable"
    exact = np.asarray(case["exact"])
    peak = _peak(case)
    f32_err = np.abs(np.asarray(case["f32"]) - exact)
    f64_err = np.abs(np.asarray(case["f64"]) - exact)
    flips = {s for s, a, b in zip(steps, f32_err, f64_err, strict=True) if max(a, b) > FLIP_TOL * peak}
    assert flips == set(case["keras_restart_flips"])
    ok32 = f32_err <= _f32_bound(exact, peak)
    ok64 = f64_err <= _f64_bound(exact, peak)
    assert {s for s, ok in zip(steps, ok32, strict=True) if not ok} - flips == set(case["keras_f32_inexact"])
    assert {s for s, ok in zip(steps, ok64, strict=True) if not ok} - flips == set(case["keras_f64_inexact"])
