"""The timm families against independent float64 closed forms.

The closed forms follow timm's ``timm/scheduler/cosine_lr.py``, ``tanh_lr.py``, ``poly_lr.py`` and
``scheduler.py`` (``_get_lr`` and ``_add_noise``), with the SGDR cycle index and positions as exact
``fractions.Fraction`` counts; the method and the bounds are described in ``accuracy.py``.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from fractions import Fraction

import numpy as np
import pytest

from accuracy import Config, Stored, check_closed_form, families_of, hand, on_padded, params

FAMILIES = families_of("lrjit.families.timm")


# ------------------------------------------------------------------------------------------------------
# References: (stored config, int64 steps) -> float64 values
# ------------------------------------------------------------------------------------------------------
def _cycles_left(d0: int, t_mul: float, s: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """SGDR (index, fraction done, fraction left) of each step, exactly (NaN past a t_mul < 1 horizon)."""
    if t_mul == 1.0:
        r = s % d0
        return (s // d0).astype(np.float64), r / d0, (d0 - r) / d0
    t = Fraction(t_mul)
    horizon = Fraction(d0) / (1 - t) if t < 1 else None
    last = max((int(x) for x in s if horizon is None or x < horizon), default=0)
    starts, lengths = [Fraction(0)], [Fraction(d0)]
    while starts[-1] + lengths[-1] <= last:
        starts.append(starts[-1] + lengths[-1])
        lengths.append(lengths[-1] * t)
    index, done, left = (np.full(s.shape, np.nan) for _ in range(3))
    for k, x in enumerate(s.tolist()):
        if horizon is not None and x >= horizon:
            continue
        i = bisect.bisect_right(starts, x) - 1
        index[k] = i
        done[k] = float((x - starts[i]) / lengths[i])
        left[k] = float((starts[i] + lengths[i] - x) / lengths[i])
    return index, done, left


def _timm(c: Stored, s: np.ndarray, shape: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> np.ndarray:
    """timm ``_get_lr`` plus ``_add_noise`` (lrjit's draw ``noise(step)``); ``shape(done, left)`` is the
    cycle curve in [0, 1]. Past a cycle_mul < 1 horizon every cycle is over: lr_min."""
    base, lr_min, w = c.f("base_lr"), c.f("lr_min"), c.i("warmup_t")
    prefix = c.b("warmup_prefix")

    def after(t: np.ndarray) -> np.ndarray:
        index, done, left = _cycles_left(c.i("t_initial"), c.f("cycle_mul"), t)
        finished = ~(index < c.i("cycle_limit"))
        index = np.where(np.isnan(index), 0.0, index)
        lr_max = base * np.power(c.f("cycle_decay"), index)
        with np.errstate(invalid="ignore"):
            value = lr_min + (lr_max - lr_min) * shape(done, left)
        return np.where(finished, lr_min, value)

    main = after(np.maximum(s - w, 0) if prefix else s)
    if type(c.sched).__name__ == "TanhLRScheduler" and not prefix:
        target = float(after(np.array([w]))[0])
    else:
        target = base
    init = c.f("warmup_lr_init")
    lr = np.where(s < w, init + s * ((target - init) / max(w, 1)), main)
    if c["noise_range_t"] is None:
        return lr
    x = np.asarray(on_padded(c.sched.noise, s), dtype=np.float64)
    return lr + lr * x


def _one_minus_pow_k(c: Stored, done: np.ndarray, left: np.ndarray) -> np.ndarray:
    """1 - done**k, as -expm1(k * log1p(-left)) (exact-left form; 1 at a cycle start)."""
    with np.errstate(divide="ignore"):
        out = -np.expm1(c.f("k_decay") * np.log1p(-left))
    return np.where(done == 0, 1.0, out)


def ref_timm_cosine(c: Stored, s: np.ndarray) -> np.ndarray:
    """timm CosineLRScheduler: lr_min + 0.5 (lr_max - lr_min) (1 + cos(pi t_cur**k / t_i**k))."""
    return _timm(c, s, lambda done, left: np.sin(np.pi / 2 * _one_minus_pow_k(c, done, left)) ** 2)


def ref_timm_tanh(c: Stored, s: np.ndarray) -> np.ndarray:
    """timm TanhLRScheduler: lr_min + 0.5 (lr_max - lr_min) (1 - tanh(lb (1 - r) + ub r))."""
    lb, ub = c.f("lb"), c.f("ub")
    return _timm(c, s, lambda done, left: 0.5 * (1 - np.tanh(lb * left + ub * done)))


def ref_timm_poly(c: Stored, s: np.ndarray) -> np.ndarray:
    """timm PolyLRScheduler: lr_min + (lr_max - lr_min) (1 - t_cur**k / t_i**k) ** power."""
    return _timm(c, s, lambda done, left: np.power(_one_minus_pow_k(c, done, left), c.f("power")))


REFERENCES: dict[str, Callable[[Stored, np.ndarray], np.ndarray]] = {
    "CosineLRScheduler": ref_timm_cosine,
    "TanhLRScheduler": ref_timm_tanh,
    "PolyLRScheduler": ref_timm_poly,
    "WSDLRScheduler": None,  # set below
}


def ref_timm_wsd(c: Stored, s: np.ndarray) -> np.ndarray:
    """timm WSDLRScheduler._get_lr (noise off), the decay fraction from integer counts; 1 - f**k as
    -expm1(k log1p(-left)) and (r**f - r) / (1 - r) as r expm1(-left ln r) / (1 - r) (no cancellation)."""
    base, lr_min, w, t0, d = c.f("base_lr"), c.f("lr_min"), c.i("warmup_t"), c.i("t_initial"), c.i("decay_t")
    init = c.f("warmup_lr_init")
    warm = init + s * ((base - init) / max(w, 1))
    t_s = np.maximum(s - w, 0).astype(np.float64)
    if c["stable_fn"] == "constant":
        g = np.ones_like(t_s)
    else:
        p = 0.5 if c["stable_fn"] == "rsqrt" else c.f("stable_power")
        g = (1 + t_s / c.f("stable_timescale")) ** -p
    stable = np.maximum(base * g, lr_min)
    k = np.clip(s - w - (t0 - d), 0, d)
    done, left = k / d, (d - k) / d
    fn = c["decay_fn"]
    with np.errstate(divide="ignore", invalid="ignore"):
        h = {
            "linear": left,
            "1-sqrt": left / (1 + np.sqrt(done)),
            "cosine": np.sin(np.pi / 2 * left) ** 2,
            "power": np.where(
                left >= 1, 1.0, -np.expm1(c.f("decay_power") * np.log1p(-np.where(left >= 1, 0.5, left)))
            ),
            "exp": c.f("decay_ratio")
            * np.expm1(-left * np.log(c.f("decay_ratio")))
            / (1 - c.f("decay_ratio")),
        }[fn]
    out = np.where(s - w - (t0 - d) <= 0, stable, lr_min + (stable - lr_min) * h)
    out = np.where(s < w, warm, out)
    if c["noise_range_t"] is not None:
        r = c.vec("noise_range_t", np.int64)
        on = (s >= r[0]) & (s < r[1]) if r.size == 2 else s >= r[0]
        assert not on.any(), "the closed form has no noise"
    return out


REFERENCES["WSDLRScheduler"] = ref_timm_wsd


# ------------------------------------------------------------------------------------------------------
# Edge steps of a config (each is tested with its neighbours +-2)
# ------------------------------------------------------------------------------------------------------
def _timm_edges(c: Stored, limit: int) -> list[int]:
    w, d0, t = c.i("warmup_t"), c.i("t_initial"), Fraction(c.f("cycle_mul"))
    shift = w if c.b("warmup_prefix") else 0
    out, start, length = [w, shift], Fraction(0), Fraction(d0)
    for _ in range(c.i("cycle_limit") + 1):
        start += length
        length *= t
        if start + shift > limit or length < 1:
            break
        out += [int(start) + shift, -(-start.numerator // start.denominator) + shift]
    if c["noise_range_t"] is not None:
        out += c.vec("noise_range_t", np.int64).tolist()
    return out


def edges(family: str, c: Stored, limit: int) -> list[int]:
    """Warmup end, cycle starts (both integer neighbours of a non-integer start), noise range; WSD: the
    warmup, decay start and end."""
    if family == "WSDLRScheduler":
        w, t0, d = c.i("warmup_t"), c.i("t_initial"), c.i("decay_t")
        return [w, w + t0 - d, w + t0]
    return _timm_edges(c, limit)


# ------------------------------------------------------------------------------------------------------
# Configs: hand-picked (the sampled ones come from cls.sample)
# ------------------------------------------------------------------------------------------------------
HAND: dict[str, list[Config]] = {
    "WSDLRScheduler": [
        hand(
            "WSDLRScheduler", "defaults_1e6", base_lr=0.1, t_initial=10**6, decay_t=2 * 10**5, warmup_t=1000
        ),
        hand(
            "WSDLRScheduler",
            "rsqrt_linear",
            base_lr=1.0,
            t_initial=5000,
            decay_t=1000,
            lr_min=1e-4,
            stable_fn="rsqrt",
            decay_fn="linear",
            warmup_t=100,
            warmup_lr_init=1e-3,
        ),
        hand(
            "WSDLRScheduler",
            "power_exp_no_stable",
            base_lr=0.3,
            t_initial=77,
            decay_t=77,
            stable_fn="power",
            stable_timescale=10.0,
            stable_power=0.8,
            decay_fn="exp",
            decay_ratio=0.05,
        ),
        hand(
            "WSDLRScheduler",
            "cosine_warmup_past",
            base_lr=0.2,
            t_initial=3,
            decay_t=1,
            decay_fn="cosine",
            warmup_t=50,
        ),
        hand(
            "WSDLRScheduler",
            "power_decay",
            base_lr=0.2,
            t_initial=300,
            decay_t=299,
            decay_fn="power",
            decay_power=2.5,
        ),
    ],
    "CosineLRScheduler": [
        hand("CosineLRScheduler", "defaults_t1e6", base_lr=0.1, t_initial=10**6),
        hand(
            "CosineLRScheduler",
            "restarts_t1_k2",
            base_lr=0.5,
            t_initial=1000,
            lr_min=1e-4,
            cycle_decay=0.5,
            cycle_limit=5000,
            warmup_t=100,
            warmup_lr_init=1e-3,
            warmup_prefix=True,
            k_decay=2.0,
        ),
        hand(
            "CosineLRScheduler",
            "mul2_limit3_overlap",
            base_lr=1.0,
            t_initial=7,
            lr_min=0.01,
            cycle_mul=2.0,
            cycle_decay=0.8,
            cycle_limit=3,
            warmup_t=5,
            warmup_lr_init=0.1,
            k_decay=0.5,
        ),
        hand(
            "CosineLRScheduler",
            "mul0.5_horizon_noise",
            3000,
            base_lr=1.0,
            t_initial=1000,
            lr_min=0.05,
            cycle_mul=0.5,
            cycle_limit=100,
            noise_range_t=(100, 1500),
            noise_pct=0.3,
            noise_seed=7,
        ),
    ],
    "TanhLRScheduler": [
        hand("TanhLRScheduler", "defaults_t1e6", base_lr=0.1, t_initial=10**6),
        hand(
            "TanhLRScheduler",
            "overlap_warmup",
            base_lr=0.1,
            t_initial=100,
            lr_min=1e-4,
            warmup_t=30,
            warmup_lr_init=0.01,
        ),
        hand(
            "TanhLRScheduler",
            "prefix_cycles_uniform_noise",
            base_lr=1.0,
            t_initial=50,
            lb=-5.0,
            ub=5.0,
            cycle_mul=2.0,
            cycle_decay=0.7,
            cycle_limit=4,
            warmup_t=10,
            warmup_prefix=True,
            noise_range_t=20,
            noise_type="uniform",
            noise_pct=0.2,
            noise_seed=3,
        ),
    ],
    "PolyLRScheduler": [
        hand("PolyLRScheduler", "defaults_t1e6", base_lr=0.1, t_initial=10**6),
        hand(
            "PolyLRScheduler",
            "pow2_cycles_k1.5",
            base_lr=1.0,
            t_initial=333,
            power=2.0,
            lr_min=1e-3,
            cycle_decay=0.9,
            cycle_limit=10**4,
            k_decay=1.5,
        ),
        hand(
            "PolyLRScheduler",
            "limit0_warmup",
            base_lr=0.3,
            t_initial=10,
            lr_min=0.02,
            cycle_limit=0,
            warmup_t=4,
            warmup_lr_init=0.0,
        ),
    ],
}


@pytest.mark.parametrize(("cfg", "precision"), params(FAMILIES, HAND))
def test_matches_closed_form(cfg: Config, precision: str) -> None:
    """lrjit within the float32 / x64 bound of the float64 closed form at every tested step."""
    check_closed_form(cfg, precision, REFERENCES, edges)
