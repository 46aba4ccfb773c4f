"""The ``torch.optim.lr_scheduler`` families against independent float64 closed forms.

The closed forms are those of torch 2.13's stepped rates (``torch/optim/lr_scheduler.py``: the rate an
optimizer holds after k calls of ``scheduler.step()``; see ``lrjit/families/torch.py``); the method and
the bounds are described in ``accuracy.py``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from accuracy import (
    MAX_STEP,
    Config,
    Stored,
    check_closed_form,
    cos2_half,
    cycles,
    families_of,
    hand,
    multiples,
    params,
)

FAMILIES = families_of("lrjit.families.torch")


# ------------------------------------------------------------------------------------------------------
# References: (stored config, int64 steps) -> float64 values
# ------------------------------------------------------------------------------------------------------
def ref_step_lr(c: Stored, s: np.ndarray) -> np.ndarray:
    """torch StepLR: base * gamma ** (s // step_size)."""
    return c.f("base_lr") * np.power(c.f("gamma"), (s // c.i("step_size")).astype(np.float64))


def ref_multi_step_lr(c: Stored, s: np.ndarray) -> np.ndarray:
    """torch MultiStepLR: base * gamma ** #{milestones <= s}, repeats counted."""
    m = np.sort(c.vec("milestones", np.int64))
    k = np.searchsorted(m, s, side="right").astype(np.float64)
    return c.f("base_lr") * np.power(c.f("gamma"), k)


def ref_constant_lr(c: Stored, s: np.ndarray) -> np.ndarray:
    """torch ConstantLR (stepped): base * factor before total_iters (always when total_iters == 0)."""
    t = c.i("total_iters")
    return np.where((s < t) | (t == 0), c.f("base_lr") * c.f("factor"), c.f("base_lr"))


def ref_linear_lr(c: Stored, s: np.ndarray) -> np.ndarray:
    """torch LinearLR: base * (sf + (ef - sf) * min(s, T) / T); sf throughout when T == 0."""
    t, sf, ef = c.i("total_iters"), c.f("start_factor"), c.f("end_factor")
    progress = np.minimum(s, t) / t if t > 0 else np.zeros(s.shape)
    return c.f("base_lr") * (sf + (ef - sf) * progress)


def ref_exponential_lr(c: Stored, s: np.ndarray) -> np.ndarray:
    """torch ExponentialLR: base * gamma ** s."""
    return c.f("base_lr") * np.power(c.f("gamma"), s.astype(np.float64))


def ref_polynomial_lr(c: Stored, s: np.ndarray) -> np.ndarray:
    """torch PolynomialLR: base * ((T - min(s, T)) / T) ** power; base throughout when T == 0."""
    t = c.i("total_iters")
    remaining = (t - np.minimum(s, t)) / t if t > 0 else np.ones(s.shape)
    return c.f("base_lr") * np.power(remaining, c.f("power"))


def ref_cosine_annealing_lr(c: Stored, s: np.ndarray) -> np.ndarray:
    """torch CosineAnnealingLR: eta + (base - eta) * 0.5 (1 + cos(pi s / T)), with s reduced mod 2T."""
    t, eta = c.i("T_max"), c.f("eta_min")
    return eta + (c.f("base_lr") - eta) * cos2_half((s % (2 * t)) / t)


def ref_warm_restarts(c: Stored, s: np.ndarray) -> np.ndarray:
    """torch CosineAnnealingWarmRestarts: eta + (base - eta) * 0.5 (1 + cos(pi T_cur / T_i)), exact cycles."""
    _, fraction = cycles(c.i("T_0"), c.f("T_mult"), s)
    eta = c.f("eta_min")
    return eta + (c.f("base_lr") - eta) * cos2_half(fraction)


def ref_cyclic_lr(c: Stored, s: np.ndarray) -> np.ndarray:
    """torch CyclicLR with exact integer cycle positions."""
    up, down = c.i("step_size_up"), c.i("step_size_down")
    total = up + down
    p = s % total
    height = np.where(p <= up, p / up, (total - p) / max(down, 1))
    mode, scale_mode = c["mode"], c["scale_mode"]
    if scale_mode is None:
        scale_mode = "iterations" if mode == "exp_range" else "cycle"
    count = (s // total + 1) if scale_mode == "cycle" else s
    count = count.astype(np.float64)
    if mode == "triangular":
        scale = np.ones(s.shape)
    elif mode == "triangular2":
        scale = np.power(2.0, 1 - count)
    else:
        scale = np.power(c.f("gamma"), count)
    base = c.f("base_lr")
    return base + (c.f("max_lr") - base) * height * scale


def _one_cycle_ref(c: Stored, s: np.ndarray, values: list[float]) -> np.ndarray:
    """torch OneCycleLR.get_lr's phase walk (float phase ends), every step from T - 1 on held at T - 1."""
    total, pct = c.i("total_steps"), c.f("pct_start")
    ends = [pct * total - 1] + ([2 * pct * total - 2] if c["three_phase"] else []) + [float(total - 1)]
    t = np.minimum(s, total - 1).astype(np.float64)
    out = np.empty(s.shape)
    for k, x in enumerate(t.tolist()):
        start = 0.0
        for i, end in enumerate(ends):
            if x <= end or i == len(ends) - 1:
                frac = (x - start) / (end - start) if end != start else 1.0
                a, b = values[i], values[i + 1]
                if c["anneal_strategy"] == "cos":
                    out[k] = b + (a - b) * float(cos2_half(np.float64(frac)))
                else:
                    out[k] = (b - a) * frac + a
                break
            start = end
    return out


def ref_one_cycle_lr(c: Stored, s: np.ndarray) -> np.ndarray:
    peak = c.f("max_lr")
    initial = peak / c.f("div_factor")
    low = initial / c.f("final_div_factor")
    return _one_cycle_ref(c, s, [initial, peak, initial, low] if c["three_phase"] else [initial, peak, low])


def ref_one_cycle_momentum(c: Stored, s: np.ndarray) -> np.ndarray:
    lo, hi = c.f("base_momentum"), c.f("max_momentum")
    return _one_cycle_ref(c, s, [hi, lo, hi, hi] if c["three_phase"] else [hi, lo, hi])


REFERENCES: dict[str, Callable[[Stored, np.ndarray], np.ndarray]] = {
    "StepLR": ref_step_lr,
    "MultiStepLR": ref_multi_step_lr,
    "ConstantLR": ref_constant_lr,
    "LinearLR": ref_linear_lr,
    "ExponentialLR": ref_exponential_lr,
    "PolynomialLR": ref_polynomial_lr,
    "CosineAnnealingLR": ref_cosine_annealing_lr,
    "CosineAnnealingWarmRestarts": ref_warm_restarts,
    "CyclicLR": ref_cyclic_lr,
    "OneCycleLR": ref_one_cycle_lr,
    "OneCycleMomentum": ref_one_cycle_momentum,
}


# ------------------------------------------------------------------------------------------------------
# Edge steps of a config (each is tested with its neighbours +-2)
# ------------------------------------------------------------------------------------------------------
def edges(family: str, c: Stored, limit: int) -> list[int]:
    """Regime switches of the torch families ([] for other families)."""
    if family == "StepLR":
        return multiples(c.i("step_size"), limit)
    if family == "MultiStepLR":
        return c.vec("milestones", np.int64).tolist()
    if family in ("ConstantLR", "LinearLR", "PolynomialLR"):
        return [c.i("total_iters")]
    if family == "CosineAnnealingLR":
        return multiples(c.i("T_max"), limit)
    if family == "CosineAnnealingWarmRestarts":
        d0, t = c.i("T_0"), c.f("T_mult")
        starts, start, length = [], 0.0, float(d0)
        while start + length <= limit and len(starts) < 2000:
            start += length
            length *= t
            starts += [int(start)]
        return starts
    if family == "CyclicLR":
        total = c.i("step_size_up") + c.i("step_size_down")
        return multiples(total, limit) + [c.i("step_size_up") + total * k for k in range(4)]
    if family in ("OneCycleLR", "OneCycleMomentum"):
        total = c.i("total_steps")
        return [int(c.f("pct_start") * total), int(2 * c.f("pct_start") * total), total]
    return []


# ------------------------------------------------------------------------------------------------------
# Configs: hand-picked (the sampled ones come from cls.sample)
# ------------------------------------------------------------------------------------------------------
HAND: dict[str, list[Config]] = {
    "StepLR": [
        hand("StepLR", "S1", base_lr=0.1, step_size=1, gamma=0.999),
        hand("StepLR", "S1e5", base_lr=1.0, step_size=10**5, gamma=0.5),
    ],
    "MultiStepLR": [
        hand("MultiStepLR", "dupes", base_lr=0.1, milestones=[0, 10, 10, 40], gamma=0.5),
        hand("MultiStepLR", "far_unsorted", base_lr=1.0, milestones=[10**6, 10**5, MAX_STEP - 1]),
    ],
    "ConstantLR": [
        hand("ConstantLR", "default", base_lr=0.1),
        hand("ConstantLR", "T0", base_lr=0.3, factor=0.25, total_iters=0),
        hand("ConstantLR", "factor0", base_lr=0.3, factor=0.0, total_iters=10**6),
    ],
    "LinearLR": [
        hand("LinearLR", "warmup_1e5", base_lr=0.5, start_factor=0.001, total_iters=10**5),
        hand("LinearLR", "to_zero", base_lr=0.5, start_factor=1.0, end_factor=0.0, total_iters=777),
        hand("LinearLR", "T0", base_lr=0.5, start_factor=0.4, total_iters=0),
    ],
    "ExponentialLR": [
        hand("ExponentialLR", "slow", base_lr=0.1, gamma=0.99999),
        hand("ExponentialLR", "fast", base_lr=1.0, gamma=0.5),
    ],
    "PolynomialLR": [
        hand("PolynomialLR", "T1e6_pow0.5", base_lr=0.1, total_iters=10**6, power=0.5),
        hand("PolynomialLR", "T3_pow0", base_lr=0.1, total_iters=3, power=0.0),
        hand("PolynomialLR", "T0", base_lr=0.1, total_iters=0, power=2.0),
    ],
    "CosineAnnealingLR": [
        hand("CosineAnnealingLR", "T1000_periodic", base_lr=0.1, T_max=1000, eta_min=1e-4),
        hand("CosineAnnealingLR", "T1", base_lr=0.5, T_max=1, eta_min=0.01),
        hand("CosineAnnealingLR", "T1e6", base_lr=1.0, T_max=10**6),
    ],
    "CosineAnnealingWarmRestarts": [
        hand("CosineAnnealingWarmRestarts", "T10", base_lr=0.1, T_0=10),
        hand("CosineAnnealingWarmRestarts", "T10_mult2", base_lr=0.1, T_0=10, T_mult=2.0, eta_min=1e-3),
        hand("CosineAnnealingWarmRestarts", "T1_mult3", base_lr=1.0, T_0=1, T_mult=3.0),
    ],
    "CyclicLR": [
        hand("CyclicLR", "tri_10", base_lr=0.001, max_lr=0.1, step_size_up=10),
        hand(
            "CyclicLR",
            "tri2_5_15",
            base_lr=0.001,
            max_lr=0.1,
            step_size_up=5,
            step_size_down=15,
            mode="triangular2",
        ),
        hand(
            "CyclicLR",
            "exp_range",
            base_lr=0.01,
            max_lr=0.2,
            step_size_up=2000,
            step_size_down=1,
            mode="exp_range",
            gamma=0.9999,
        ),
        hand("CyclicLR", "sawtooth", base_lr=0.0, max_lr=0.5, step_size_up=4, step_size_down=0),
    ],
    "OneCycleLR": [
        hand("OneCycleLR", "T100", max_lr=0.1, total_steps=100),
        hand("OneCycleLR", "T1e6_linear", max_lr=1.0, total_steps=10**6, anneal_strategy="linear"),
        hand("OneCycleLR", "three_phase", max_lr=0.3, total_steps=97, pct_start=0.4, three_phase=True),
    ],
    "OneCycleMomentum": [
        hand("OneCycleMomentum", "T100", total_steps=100),
        hand("OneCycleMomentum", "three_linear", total_steps=50, anneal_strategy="linear", three_phase=True),
    ],
}


@pytest.mark.parametrize(("cfg", "precision"), params(FAMILIES, HAND))
def test_matches_closed_form(cfg: Config, precision: str) -> None:
    """lrjit within the float32 / x64 bound of the float64 closed form at every tested step."""
    check_closed_form(cfg, precision, REFERENCES, edges)
