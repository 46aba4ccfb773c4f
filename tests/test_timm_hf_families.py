"""The timm, Hugging Face and fairseq families against float64 transcriptions of the libraries' source.

Each ``timm_*`` / ``hf_*`` / ``fairseq_*`` function below is the library's per-step function written out in
Python float64, one step at a time, following the source line by line:

- timm ``timm/scheduler/cosine_lr.py`` ``CosineLRScheduler._get_lr``, ``tanh_lr.py``
  ``TanhLRScheduler._get_lr`` (and its ``__init__`` warmup slope), ``poly_lr.py`` ``PolyLRScheduler._get_lr``;
  ``scheduler.py`` ``Scheduler._add_noise`` for the noise (``lr + lr * noise``). One deliberate
  difference: the cycle index for ``cycle_mul != 1`` is computed exactly with ``fractions.Fraction`` instead
  of timm's ``math.floor(math.log(...))``, which can put an exact restart step at the end of the previous
  cycle; lrjit places restarts exactly.
- Hugging Face ``transformers/optimization.py``: ``_get_wsd_scheduler_lambda``,
  ``_get_inverse_sqrt_schedule_lr_lambda`` (with ``get_inverse_sqrt_schedule``'s timescale default),
  ``_get_cosine_schedule_with_warmup_lr_lambda`` (with ``min_lr_rate``),
  ``_get_cosine_with_hard_restarts_schedule_with_warmup_lr_lambda``,
  ``_get_polynomial_decay_schedule_with_warmup_lr_lambda``, each times the optimizer's lr (``LambdaLR``).
- fairseq ``fairseq/optim/lr_scheduler/tri_stage_lr_scheduler.py``: ``_decide_stage`` and ``step_update``;
  ``triangular_lr_scheduler.py``: ``TriangularLRSchedule.step_update``.

Hyperparameters are read back from the stored config (float32-rounded without x64), so the comparison
measures lrjit's arithmetic. Bounds: ``tests/bounds.py`` (float32 ``1e-6 |ref| + 1e-7 peak``, x64
``1e-12 |ref| + 1e-15 peak``). timm's noise comes from torch's generator, which JAX cannot reproduce; the
noise is tested for its law (truncated normal / uniform), its range, and determinism per (noise_seed, step).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import jax
import numpy as np
import pytest
from scipy import stats

import lrjit
from lrjit.core.batch import curves_range

from helpers import JIT_CALL, compare_to_reference


def _stored(s: lrjit.Schedule) -> dict[str, Any]:
    out = {}
    for k, v in s.config().items():
        if k in lrjit.core.static_names(s) or v is None:
            out[k] = v
        elif np.ndim(v) == 0:
            arr = np.asarray(v)
            out[k] = (
                int(arr)
                if np.issubdtype(arr.dtype, np.integer)
                else (bool(arr) if arr.dtype == bool else float(arr))
            )
        else:
            out[k] = np.asarray(v).tolist()
    return out


# ------------------------------------------------------------------------------------------------------
# timm (per step, float64)
# ------------------------------------------------------------------------------------------------------
def _timm_cycle(t: int, t_initial: int, cycle_mul: float) -> tuple[float, float, float] | None:
    """(i, t_i, t_curr) as timm computes them, with the index exact; None past a cycle_mul < 1 horizon."""
    if cycle_mul == 1:
        i = t // t_initial
        return i, float(t_initial), float(t - t_initial * i)
    m = Fraction(cycle_mul)
    if m < 1 and t >= Fraction(t_initial) / (1 - m):
        return None
    i, start, length = 0, Fraction(0), Fraction(t_initial)
    while start + length <= t:
        start, length, i = start + length, length * m, i + 1
    return i, float(length), float(t - start)


def _timm_get_lr(c: dict[str, Any], t: int, shape: Callable[[float, float, float], float]) -> float:
    """timm ``_get_lr`` for one base value; ``shape(lr_max, t_curr, t_i)`` is the in-cycle formula."""
    base, lr_min = c["base_lr"], c["lr_min"]
    if t < c["warmup_t"]:
        if c.get("_tanh") and not c["warmup_prefix"]:
            target = _timm_get_lr(c, c["warmup_t"], shape)
        else:
            target = base
        warmup_step = (target - c["warmup_lr_init"]) / c["warmup_t"]
        return c["warmup_lr_init"] + t * warmup_step
    if c["warmup_prefix"]:
        t = t - c["warmup_t"]
    cyc = _timm_cycle(t, c["t_initial"], c["cycle_mul"])
    if cyc is None:  # timm raises a math domain error here; lrjit: every cycle is over
        return lr_min
    i, t_i, t_curr = cyc
    if i < c["cycle_limit"]:
        lr_max = base * c["cycle_decay"] ** i
        return shape(lr_max, t_curr, t_i)
    return lr_min


def _timm_noise(c: dict[str, Any], sched: Any, t: int, lr: float) -> float:
    r = c["noise_range_t"]
    if r is None:
        return lr
    on = r[0] <= t < r[1] if len(r) == 2 else t >= r[0]
    if not on:
        return lr
    noise = float(np.asarray(sched.noise(np.array([t])))[0])
    return lr + lr * noise


def timm_cosine(sched: Any, t: int) -> float:
    c = _stored(sched)
    k, lr_min = c["k_decay"], c["lr_min"]

    def shape(lr_max: float, t_curr: float, t_i: float) -> float:
        return lr_min + 0.5 * (lr_max - lr_min) * (1 + math.cos(math.pi * t_curr**k / t_i**k))

    return _timm_noise(c, sched, t, _timm_get_lr(c, t, shape))


def timm_tanh(sched: Any, t: int) -> float:
    c = _stored(sched) | {"_tanh": True}
    lb, ub, lr_min = c["lb"], c["ub"], c["lr_min"]

    def shape(lr_max: float, t_curr: float, t_i: float) -> float:
        tr = t_curr / t_i
        return lr_min + 0.5 * (lr_max - lr_min) * (1 - math.tanh(lb * (1.0 - tr) + ub * tr))

    return _timm_noise(c, sched, t, _timm_get_lr(c, t, shape))


def timm_poly(sched: Any, t: int) -> float:
    c = _stored(sched)
    k, lr_min, power = c["k_decay"], c["lr_min"], c["power"]

    def shape(lr_max: float, t_curr: float, t_i: float) -> float:
        return lr_min + (lr_max - lr_min) * (1 - t_curr**k / t_i**k) ** power

    return _timm_noise(c, sched, t, _timm_get_lr(c, t, shape))


# ------------------------------------------------------------------------------------------------------
# Hugging Face (per step, float64, times the optimizer lr as LambdaLR does)
# ------------------------------------------------------------------------------------------------------
def hf_wsd(sched: Any, current_step: int) -> float:
    c = _stored(sched)
    w, st, d = c["num_warmup_steps"], c["num_stable_steps"], c["num_decay_steps"]
    m, nc = c["min_lr_ratio"], c["num_cycles"]

    def lam() -> float:
        if current_step < w:
            progress = float(current_step) / float(max(1, w))
            if c["warmup_type"] == "linear":
                factor = progress
            elif c["warmup_type"] == "cosine":
                factor = 0.5 * (1.0 - math.cos(math.pi * progress))
            else:
                factor = 1.0 - math.sqrt(1.0 - progress)
            factor = factor * (1.0 - m) + m
            return max(0.0, factor)
        if current_step < w + st:
            return 1.0
        if current_step < w + st + d:
            progress = float(current_step - w - st) / float(max(1, d))
            if c["decay_type"] == "linear":
                factor = 1.0 - progress
            elif c["decay_type"] == "cosine":
                factor = 0.5 * (1.0 + math.cos(math.pi * float(nc) * 2.0 * progress))
            else:
                factor = 1.0 - math.sqrt(progress)
            factor = factor * (1.0 - m) + m
            return max(0.0, factor)
        return m

    return c["base_lr"] * lam()


def hf_inverse_sqrt(sched: Any, current_step: int) -> float:
    c = _stored(sched)
    w, timescale = c["num_warmup_steps"], c["timescale"]
    if current_step < w:
        return c["base_lr"] * float(current_step) / float(max(1, w))
    shift = timescale - w
    return c["base_lr"] * (1.0 / math.sqrt((current_step + shift) / timescale))


def hf_cosine_min_lr(sched: Any, current_step: int) -> float:
    c = _stored(sched)
    w, n, nc, r = c["num_warmup_steps"], c["num_training_steps"], c["num_cycles"], c["min_lr_rate"]
    if current_step < w:
        return c["base_lr"] * float(current_step) / float(max(1, w))
    # The phase as HF computes it (math.cos of 2 pi nc p), reduced exactly first: at 10**7 steps HF's own
    # float64 product loses ~1e-9 of a turn, more than the x64 bound.
    progress = Fraction(current_step - w) / max(1, n - w)
    turns = float((2 * Fraction(nc) * progress) % 2)
    factor = 0.5 * (1.0 + math.cos(math.pi * turns))
    factor = factor * (1 - r) + r
    return c["base_lr"] * max(0, factor)


def hf_hard_restarts(sched: Any, current_step: int) -> float:
    c = _stored(sched)
    w, n, nc = c["num_warmup_steps"], c["num_training_steps"], c["num_cycles"]
    if current_step < w:
        return c["base_lr"] * float(current_step) / float(max(1, w))
    progress = Fraction(current_step - w) / max(1, n - w)
    if progress >= 1:
        return 0.0
    # ((float(num_cycles) * progress) % 1.0), taken exactly (HF's float can give 0.999.. at a restart)
    return c["base_lr"] * max(0.0, 0.5 * (1.0 + math.cos(math.pi * float((nc * progress) % 1))))


def hf_polynomial(sched: Any, current_step: int) -> float:
    c = _stored(sched)
    w, n, lr_end, power, lr_init = (
        c["num_warmup_steps"],
        c["num_training_steps"],
        c["lr_end"],
        c["power"],
        c["base_lr"],
    )
    if current_step < w:
        return lr_init * float(current_step) / float(max(1, w))
    if current_step > n:
        return lr_init * (lr_end / lr_init)
    lr_range = lr_init - lr_end
    decay_steps = n - w
    if decay_steps == 0:  # HF: ZeroDivisionError at current_step == N == W; lrjit gives lr_end
        return lr_end
    pct_remaining = 1 - (current_step - w) / decay_steps
    decay = lr_range * pct_remaining**power + lr_end
    return lr_init * (decay / lr_init)


# ------------------------------------------------------------------------------------------------------
# fairseq
# ------------------------------------------------------------------------------------------------------
def fairseq_tri_stage(sched: Any, num_updates: int) -> float:
    c = _stored(sched)
    peak = c["base_lr"]
    init_lr, final_lr = c["init_lr_scale"] * peak, c["final_lr_scale"] * peak
    w, h, d = c["warmup_steps"], c["hold_steps"], c["decay_steps"]
    warmup_rate = (peak - init_lr) / w if w != 0 else 0
    decay_factor = -math.log(c["final_lr_scale"]) / d

    def decide_stage(update_step: int) -> tuple[int, int]:
        if update_step < w:
            return 0, update_step
        offset = w
        if update_step < offset + h:
            return 1, update_step - offset
        offset += h
        if update_step <= offset + d:
            return 2, update_step - offset
        offset += d
        return 3, update_step - offset

    stage, steps_in_stage = decide_stage(num_updates)
    if stage == 0:
        return init_lr + warmup_rate * steps_in_stage
    if stage == 1:
        return peak
    if stage == 2:
        return peak * math.exp(-decay_factor * steps_in_stage)
    return final_lr


def fairseq_triangular(sched: Any, num_updates: int) -> float:
    c = _stored(sched)
    stepsize = c["lr_period_updates"] // 2
    cycle = math.floor(num_updates / (2 * stepsize))
    lr_shrink = c["lr_shrink"] ** cycle
    max_lr = c["max_lr"] * lr_shrink
    min_lr = c["min_lr"] * lr_shrink if c["shrink_min"] else c["min_lr"]
    x = abs(num_updates / stepsize - 2 * (cycle + 1) + 1)
    return min_lr + (max_lr - min_lr) * max(0, (1 - x))


# ------------------------------------------------------------------------------------------------------
# configs: (family, kwargs, edge steps)
# ------------------------------------------------------------------------------------------------------
REFS: dict[str, Callable[[Any, int], float]] = {
    "CosineLRScheduler": timm_cosine,
    "TanhLRScheduler": timm_tanh,
    "PolyLRScheduler": timm_poly,
    "WarmupStableDecay": hf_wsd,
    "InverseSqrt": hf_inverse_sqrt,
    "CosineWithMinLR": hf_cosine_min_lr,
    "CosineWithHardRestarts": hf_hard_restarts,
    "PolynomialWithWarmup": hf_polynomial,
    "TriStage": fairseq_tri_stage,
    "Triangular": fairseq_triangular,
}

CONFIGS: list[tuple[str, str, dict[str, Any], list[int]]] = [
    # fairseq triangular: troughs, peaks, shrink, odd period
    ("Triangular", "defaults", {"max_lr": 1.0, "min_lr": 0.001}, [0, 2500, 5000, 7500, 10000, 10**6]),
    (
        "Triangular",
        "period10_shrink",
        {"max_lr": 1.0, "min_lr": 0.1, "lr_period_updates": 10, "lr_shrink": 0.5},
        [0, 5, 10, 15, 20, 100],
    ),
    (
        "Triangular",
        "odd_period_shrink_min",
        {"max_lr": 0.1, "min_lr": 0.01, "lr_period_updates": 11, "lr_shrink": 0.9, "shrink_min": True},
        [0, 5, 10, 11, 15, 20, 21],
    ),
    (
        "Triangular",
        "period2",
        {"max_lr": 0.5, "min_lr": 0.0, "lr_period_updates": 2, "lr_shrink": 0.99},
        [0, 1, 2, 3, 1000],
    ),
    (
        "Triangular",
        "period3_no_shrink",
        {"max_lr": 0.5, "min_lr": 0.2, "lr_period_updates": 3, "lr_shrink": 1.0},
        [0, 1, 2, 3],
    ),
    # timm cosine: warmup end (overlapping and prefix), cycle ends, cycle_limit, k_decay, cycle_mul
    ("CosineLRScheduler", "defaults", {"base_lr": 0.1, "t_initial": 100}, [0, 99, 100, 101, 1000]),
    (
        "CosineLRScheduler",
        "warmup_overlap_jump",
        {"base_lr": 0.1, "t_initial": 50, "warmup_t": 10, "warmup_lr_init": 0.01, "lr_min": 1e-3},
        [0, 9, 10, 11, 49, 50, 51],
    ),
    (
        "CosineLRScheduler",
        "prefix_limit3_decay",
        {
            "base_lr": 1.0,
            "t_initial": 20,
            "cycle_limit": 3,
            "cycle_decay": 0.5,
            "warmup_t": 5,
            "warmup_prefix": True,
            "lr_min": 0.01,
        },
        [4, 5, 6, 24, 25, 26, 44, 45, 64, 65, 66, 1000],
    ),
    (
        "CosineLRScheduler",
        "mul2_k2",
        {"base_lr": 0.5, "t_initial": 10, "cycle_mul": 2.0, "cycle_limit": 4, "k_decay": 2.0},
        [9, 10, 11, 29, 30, 31, 69, 70, 149, 150, 151],
    ),
    (
        "CosineLRScheduler",
        "mul1.5_k0.5",
        {"base_lr": 0.5, "t_initial": 8, "cycle_mul": 1.5, "cycle_limit": 5, "k_decay": 0.5, "lr_min": 0.05},
        [7, 8, 9, 19, 20, 21, 38, 39, 40, 65, 66, 200],
    ),
    (
        "CosineLRScheduler",
        "mul0.5_past_horizon",
        {"base_lr": 1.0, "t_initial": 16, "cycle_mul": 0.5, "cycle_limit": 100, "lr_min": 0.1},
        [15, 16, 23, 24, 27, 28, 31, 32, 33, 100],
    ),
    # timm tanh
    ("TanhLRScheduler", "defaults", {"base_lr": 0.1, "t_initial": 100}, [0, 99, 100, 101]),
    (
        "TanhLRScheduler",
        "warmup_to_curve",
        {"base_lr": 0.1, "t_initial": 40, "warmup_t": 8, "warmup_lr_init": 0.001, "lr_min": 1e-4},
        [0, 7, 8, 9, 39, 40],
    ),
    (
        "TanhLRScheduler",
        "prefix_cycles",
        {
            "base_lr": 1.0,
            "t_initial": 30,
            "lb": -4.0,
            "ub": 4.0,
            "cycle_mul": 2.0,
            "cycle_decay": 0.6,
            "cycle_limit": 3,
            "warmup_t": 6,
            "warmup_prefix": True,
        },
        [5, 6, 7, 35, 36, 37, 95, 96, 215, 216, 217],
    ),
    (
        "TanhLRScheduler",
        "limit0",
        {"base_lr": 0.3, "t_initial": 10, "cycle_limit": 0, "lr_min": 0.02, "warmup_t": 3},
        [0, 2, 3, 4, 50],
    ),
    (
        "TanhLRScheduler",
        "t1",
        {"base_lr": 0.3, "t_initial": 1, "cycle_limit": 5, "cycle_decay": 0.5},
        [0, 1, 4, 5, 6],
    ),
    # timm poly
    ("PolyLRScheduler", "defaults", {"base_lr": 0.1, "t_initial": 100}, [0, 99, 100, 101]),
    (
        "PolyLRScheduler",
        "pow2_k1.5_cycles",
        {"base_lr": 1.0, "t_initial": 25, "power": 2.0, "k_decay": 1.5, "cycle_limit": 4, "cycle_decay": 0.9},
        [24, 25, 26, 49, 50, 99, 100, 101],
    ),
    (
        "PolyLRScheduler",
        "warmup_jump_lr_min",
        {
            "base_lr": 0.2,
            "t_initial": 30,
            "warmup_t": 10,
            "warmup_lr_init": 0.0,
            "lr_min": 0.01,
            "power": 1.0,
        },
        [0, 9, 10, 11, 29, 30, 31],
    ),
    (
        "PolyLRScheduler",
        "mul3",
        {"base_lr": 0.2, "t_initial": 4, "cycle_mul": 3.0, "cycle_limit": 4, "power": 0.7},
        [3, 4, 5, 15, 16, 17, 51, 52, 160, 161],
    ),
    (
        "PolyLRScheduler",
        "pow0",
        {"base_lr": 0.2, "t_initial": 5, "power": 0.0, "cycle_limit": 2},
        [0, 4, 5, 9, 10, 11],
    ),
    # Hugging Face WSD
    (
        "WarmupStableDecay",
        "linear_cosine",
        {"base_lr": 1.0, "num_warmup_steps": 10, "num_stable_steps": 20, "num_decay_steps": 30},
        [0, 9, 10, 11, 29, 30, 31, 59, 60, 61, 100],
    ),
    (
        "WarmupStableDecay",
        "cosine_linear_min",
        {
            "base_lr": 0.1,
            "num_warmup_steps": 7,
            "num_stable_steps": 0,
            "num_decay_steps": 13,
            "warmup_type": "cosine",
            "decay_type": "linear",
            "min_lr_ratio": 0.1,
        },
        [0, 6, 7, 8, 19, 20, 21],
    ),
    (
        "WarmupStableDecay",
        "1sqrt_both",
        {
            "base_lr": 0.3,
            "num_warmup_steps": 50,
            "num_stable_steps": 5,
            "num_decay_steps": 50,
            "warmup_type": "1-sqrt",
            "decay_type": "1-sqrt",
            "min_lr_ratio": 0.01,
        },
        [0, 1, 49, 50, 54, 55, 56, 104, 105, 106],
    ),
    (
        "WarmupStableDecay",
        "no_warmup_cycles1.5",
        {
            "base_lr": 0.2,
            "num_warmup_steps": 0,
            "num_stable_steps": 3,
            "num_decay_steps": 40,
            "num_cycles": 1.5,
        },
        [0, 2, 3, 4, 42, 43, 44],
    ),
    (
        "WarmupStableDecay",
        "no_decay",
        {
            "base_lr": 0.2,
            "num_warmup_steps": 4,
            "num_stable_steps": 3,
            "num_decay_steps": 0,
            "min_lr_ratio": 0.5,
        },
        [0, 3, 4, 6, 7, 8],
    ),
    # Hugging Face inverse sqrt
    ("InverseSqrt", "W100", {"base_lr": 1.0, "num_warmup_steps": 100}, [0, 99, 100, 101, 10**6]),
    ("InverseSqrt", "W0_default_timescale", {"base_lr": 0.5, "num_warmup_steps": 0}, [0, 1, 10**4, 10**7]),
    ("InverseSqrt", "timescale7", {"base_lr": 0.1, "num_warmup_steps": 20, "timescale": 7}, [0, 19, 20, 21]),
    ("InverseSqrt", "W1", {"base_lr": 0.1, "num_warmup_steps": 1}, [0, 1, 2, 3]),
    (
        "InverseSqrt",
        "timescale_big",
        {"base_lr": 0.1, "num_warmup_steps": 3, "timescale": 10**6},
        [0, 3, 10**7],
    ),
    # Hugging Face cosine with min lr
    (
        "CosineWithMinLR",
        "warmup_floor",
        {"base_lr": 1.0, "num_warmup_steps": 10, "num_training_steps": 110, "min_lr_rate": 0.1},
        [0, 9, 10, 11, 60, 109, 110, 111, 210, 10**7 + 10],
    ),
    (
        "CosineWithMinLR",
        "cycles2",
        {"base_lr": 0.1, "num_warmup_steps": 0, "num_training_steps": 1000, "num_cycles": 2.0},
        [0, 250, 500, 750, 1000, 1001, 2000, 10**7],
    ),
    (
        "CosineWithMinLR",
        "cycles0.37_late",
        {
            "base_lr": 0.1,
            "num_warmup_steps": 5,
            "num_training_steps": 77,
            "num_cycles": 0.37,
            "min_lr_rate": 0.2,
        },
        [0, 4, 5, 6, 76, 77, 78, 10**6 + 3, 9_999_999],
    ),
    (
        "CosineWithMinLR",
        "N_below_W",
        {"base_lr": 0.1, "num_warmup_steps": 10, "num_training_steps": 5},
        [0, 9, 10, 11, 12, 13],
    ),
    (
        "CosineWithMinLR",
        "N1",
        {"base_lr": 0.1, "num_warmup_steps": 0, "num_training_steps": 1, "min_lr_rate": 0.5},
        [0, 1, 2, 3],
    ),
    # Hugging Face hard restarts
    (
        "CosineWithHardRestarts",
        "three",
        {"base_lr": 1.0, "num_warmup_steps": 0, "num_training_steps": 99, "num_cycles": 3},
        [0, 32, 33, 34, 65, 66, 67, 98, 99, 100],
    ),
    (
        "CosineWithHardRestarts",
        "warmup_one",
        {"base_lr": 0.1, "num_warmup_steps": 10, "num_training_steps": 60},
        [0, 9, 10, 11, 59, 60, 61],
    ),
    (
        "CosineWithHardRestarts",
        "uneven",
        {"base_lr": 0.1, "num_warmup_steps": 3, "num_training_steps": 103, "num_cycles": 7},
        [3, 17, 18, 31, 32, 102, 103],
    ),
    (
        "CosineWithHardRestarts",
        "zero_cycles",
        {"base_lr": 0.1, "num_warmup_steps": 3, "num_training_steps": 13, "num_cycles": 0},
        [0, 3, 12, 13],
    ),
    (
        "CosineWithHardRestarts",
        "long",
        {"base_lr": 0.1, "num_warmup_steps": 100, "num_training_steps": 10**6 + 100, "num_cycles": 5},
        [100, 200_099, 200_100, 200_101, 10**6 + 99, 10**6 + 100],
    ),
    # Hugging Face polynomial
    (
        "PolynomialWithWarmup",
        "linear",
        {"base_lr": 1.0, "num_warmup_steps": 10, "num_training_steps": 100},
        [0, 9, 10, 11, 99, 100, 101],
    ),
    (
        "PolynomialWithWarmup",
        "pow2_end",
        {"base_lr": 0.1, "num_warmup_steps": 0, "num_training_steps": 50, "lr_end": 1e-3, "power": 2.0},
        [0, 1, 49, 50, 51],
    ),
    (
        "PolynomialWithWarmup",
        "pow0.5",
        {"base_lr": 0.1, "num_warmup_steps": 5, "num_training_steps": 1005, "lr_end": 1e-5, "power": 0.5},
        [5, 1003, 1004, 1005, 1006],
    ),
    (
        "PolynomialWithWarmup",
        "N_equals_W",
        {"base_lr": 0.1, "num_warmup_steps": 20, "num_training_steps": 20, "lr_end": 0.01},
        [0, 19, 20, 21],
    ),
    (
        "PolynomialWithWarmup",
        "N_below_W",
        {"base_lr": 0.1, "num_warmup_steps": 20, "num_training_steps": 10, "lr_end": 0.01},
        [0, 10, 11, 19, 20, 21],
    ),
    # fairseq tri-stage
    (
        "TriStage",
        "defaults",
        {"base_lr": 5e-4, "warmup_steps": 100, "hold_steps": 200, "decay_steps": 300},
        [0, 99, 100, 101, 299, 300, 301, 599, 600, 601],
    ),
    (
        "TriStage",
        "no_warmup",
        {"base_lr": 1.0, "warmup_steps": 0, "hold_steps": 5, "decay_steps": 1},
        [0, 4, 5, 6, 7],
    ),
    (
        "TriStage",
        "no_hold",
        {"base_lr": 0.1, "warmup_steps": 7, "hold_steps": 0, "decay_steps": 13, "final_lr_scale": 0.5},
        [0, 6, 7, 8, 19, 20, 21],
    ),
    (
        "TriStage",
        "scales",
        {
            "base_lr": 0.1,
            "warmup_steps": 3,
            "hold_steps": 4,
            "decay_steps": 10**5,
            "init_lr_scale": 0.5,
            "final_lr_scale": 1e-3,
        },
        [0, 2, 3, 7, 50_007, 100_006, 100_007, 100_008],
    ),
    (
        "TriStage",
        "W1",
        {"base_lr": 0.1, "warmup_steps": 1, "hold_steps": 1, "decay_steps": 1, "init_lr_scale": 0.0},
        [0, 1, 2, 3, 4],
    ),
]


PAD = 128


def _steps(edges: list[int]) -> np.ndarray:
    near = np.asarray(edges)[:, None] + np.arange(-2, 3)[None, :]
    out = np.unique(np.concatenate([np.arange(0, 30), near.ravel()]))
    return out[out >= 0].astype(np.int64)


def _compare(family: str, kwargs: dict[str, Any], edges: list[int], x64: bool) -> float:
    """Max err / bound over the steps; asserts it is <= 1."""
    return compare_to_reference(family, kwargs, _steps(edges), REFS[family], x64, PAD)


@pytest.mark.parametrize("x64", [False, True], ids=["float32", "x64"])
@pytest.mark.parametrize(
    ("family", "label", "kwargs", "edges"), CONFIGS, ids=[f"{c[0]}-{c[1]}" for c in CONFIGS]
)
def test_matches_library_source(
    family: str, label: str, kwargs: dict[str, Any], edges: list[int], x64: bool
) -> None:
    _compare(family, kwargs, edges, x64)


def test_at_least_five_configs_per_family() -> None:
    counts = {f: sum(c[0] == f for c in CONFIGS) for f in REFS}
    assert all(n >= 5 for n in counts.values()), counts


# ------------------------------------------------------------------------------------------------------
# behaviours worth pinning
# ------------------------------------------------------------------------------------------------------
def test_timm_overlapping_warmup_jumps_but_tanh_does_not() -> None:
    """Without warmup_prefix, cosine/poly warm up to base_lr and jump down to the curve at warmup_t; tanh
    warms up to its own value at warmup_t (timm's __init__ computes _get_lr(warmup_t))."""
    cos = lrjit.CosineLRScheduler(1.0, 20, warmup_t=10)
    tanh = lrjit.TanhLRScheduler(1.0, 20, warmup_t=10)
    c, t = np.asarray(cos(np.array([9, 10]))), np.asarray(tanh(np.array([9, 10])))
    assert c[0] == pytest.approx(0.9) and c[1] == pytest.approx(0.5)
    slope = t[1] / 10
    assert t[0] == pytest.approx(9 * slope, rel=1e-6)


def test_timm_cycle_limit_and_restart_exact() -> None:
    s = lrjit.CosineLRScheduler(1.0, 10, cycle_mul=2.0, cycle_limit=2, lr_min=0.1)
    y = np.asarray(s(np.array([0, 10, 29, 30, 31, 10**6])))
    assert y[0] == 1.0 and y[1] == 1.0  # restart step 10 is the second cycle's peak
    assert y[2] > 0.1 and np.all(y[3:] == np.float32(0.1))


def test_hf_cosine_keeps_going_past_training_steps() -> None:
    """HF does not clamp the progress: num_cycles=0.5 rises back to the peak at 2 * (N - W) + W."""
    s = lrjit.CosineWithMinLR(1.0, 0, 100)
    y = np.asarray(s(np.array([100, 150, 200, 10**7])))
    np.testing.assert_allclose(y, [0.0, 0.5, 1.0, 1.0], atol=1e-6)


def test_inverse_sqrt_timescale_default() -> None:
    assert int(lrjit.InverseSqrt(0.1, 400).timescale) == 400
    assert int(lrjit.InverseSqrt(0.1, 0).timescale) == 10_000
    assert int(lrjit.InverseSqrt(0.1, 0, timescale=5).timescale) == 5
    s = lrjit.InverseSqrt(0.1, 400)
    assert lrjit.InverseSqrt(**s.config()) == s


def test_cosine_min_lr_num_cycles_gradient_late() -> None:
    """The exact phase reduction keeps d lr / d num_cycles (= -pi (s - W) / (N - W) * sin(...) * ...)."""
    with jax.enable_x64(True):
        s = lrjit.CosineWithMinLR(1.0, 10, 1010, num_cycles=0.37)
        steps = np.array([50, 777, 123_456])
        params, rest = lrjit.partition(s)
        grad = jax.vmap(jax.grad(lambda p, t: lrjit.combine(p, rest)(t)), in_axes=(None, 0))(params, steps)
        h = 1e-7
        up = np.asarray(s.replace(num_cycles=0.37 + h)(steps))
        down = np.asarray(s.replace(num_cycles=0.37 - h)(steps))
        np.testing.assert_allclose(np.asarray(grad.num_cycles), (up - down) / (2 * h), rtol=1e-5)


# ------------------------------------------------------------------------------------------------------
# noise
# ------------------------------------------------------------------------------------------------------
def _noisy(**kw: Any) -> lrjit.CosineLRScheduler:
    args = {"base_lr": 1.0, "t_initial": 10**6, "noise_range_t": 0, "noise_seed": 5} | kw
    return lrjit.CosineLRScheduler(**args)


N_DRAWS = 20_000


def _truncnorm_cdf(x: np.ndarray, pct: float, std: float) -> np.ndarray:
    a = pct / std
    return (stats.norm.cdf(x / std) - stats.norm.cdf(-a)) / (stats.norm.cdf(a) - stats.norm.cdf(-a))


@pytest.mark.parametrize(("pct", "std"), [(0.67, 1.0), (0.1, 1.0), (2.0, 0.5)])
def test_normal_noise_is_truncated_normal(pct: float, std: float) -> None:
    s = _noisy(noise_pct=pct, noise_std=std)
    x = np.asarray(s.noise(np.arange(N_DRAWS)), dtype=np.float64)
    assert np.all(np.abs(x) <= np.float32(pct))
    ks = stats.kstest(x, lambda v: _truncnorm_cdf(v, pct, std))
    assert ks.pvalue > 1e-3, ks
    assert abs(x.mean()) < 4 * x.std() / math.sqrt(N_DRAWS)


def test_uniform_noise_is_uniform() -> None:
    s = _noisy(noise_type="uniform", noise_pct=0.3)
    x = np.asarray(s.noise(np.arange(N_DRAWS)), dtype=np.float64)
    assert np.all(np.abs(x) <= 0.3)
    ks = stats.kstest(x, stats.uniform(loc=-0.3, scale=0.6).cdf)
    assert ks.pvalue > 1e-3, ks


def test_noise_is_multiplicative_in_range_only() -> None:
    base = lrjit.PolyLRScheduler(1.0, 100, power=1.0)
    noisy = lrjit.PolyLRScheduler(1.0, 100, power=1.0, noise_range_t=(10, 20), noise_seed=1)
    steps = np.arange(30)
    b, n, x = (np.asarray(f(steps)) for f in (base, noisy, noisy.noise))
    assert np.all(x[:10] == 0) and np.all(x[20:] == 0) and np.all(x[10:20] != 0)
    np.testing.assert_allclose(n, b + b * x, rtol=1e-6)
    np.testing.assert_array_equal(n[:10], b[:10])
    open_ended = lrjit.PolyLRScheduler(1.0, 100, noise_range_t=15, noise_seed=1)
    y = np.asarray(open_ended.noise(np.array([14, 15, 10**6])))
    assert y[0] == 0 and y[1] != 0 and y[2] != 0


def test_noise_deterministic_per_seed_and_step() -> None:
    s = _noisy(noise_seed=11)
    steps = np.arange(0, 5000, 7)
    a = np.asarray(s(steps))
    b = np.asarray(_noisy(noise_seed=11)(steps[::-1]))[::-1]  # other order
    c = np.array([float(s(int(t))) for t in steps[:50]])  # one at a time
    d = np.asarray(JIT_CALL(s, steps.reshape(-1, 1)))[:, 0]  # jitted, other shape
    np.testing.assert_allclose(b, a, rtol=1e-6)
    np.testing.assert_allclose(c, a[:50], rtol=1e-6)
    np.testing.assert_allclose(d, a, rtol=1e-6)
    other = np.asarray(_noisy(noise_seed=12).noise(steps))
    assert np.corrcoef(other, np.asarray(s.noise(steps)))[0, 1] < 0.1


def test_noisy_configs_batch_and_fuse() -> None:
    configs = [_noisy(noise_seed=k, noise_pct=0.1 * (k + 1)) for k in range(4)]
    batch = lrjit.stack(configs)
    rows = np.asarray(lrjit.curves(batch, 500))
    for i, c in enumerate(configs):
        np.testing.assert_allclose(rows[i], np.asarray(c(np.arange(500))), rtol=1e-6, atol=1e-7)
    hlo = curves_range.lower(batch, 500).compile().as_text()
    entry = hlo[hlo.index("ENTRY") :]
    assert sum("[4,500]" in line for line in entry.splitlines()[1:]) == 1


# ------------------------------------------------------------------------------------------------------
# validation
# ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("family", "kwargs", "name"),
    [
        ("CosineLRScheduler", {"base_lr": 0.1, "t_initial": 0}, "t_initial"),
        ("CosineLRScheduler", {"base_lr": 0.1, "t_initial": 10, "noise_type": "gauss"}, "noise_type"),
        ("CosineLRScheduler", {"base_lr": 0.1, "t_initial": 10, "noise_range_t": [1, 2, 3]}, "noise_range_t"),
        ("CosineLRScheduler", {"base_lr": 0.1, "t_initial": 10, "noise_pct": 0.0}, "noise_pct"),
        ("CosineLRScheduler", {"base_lr": 0.1, "t_initial": 10, "k_decay": 0.0}, "k_decay"),
        ("CosineLRScheduler", {"base_lr": 0.1, "t_initial": 10, "lr_min": -1.0}, "lr_min"),
        ("PolyLRScheduler", {"base_lr": 0.1, "t_initial": 10, "cycle_limit": -1}, "cycle_limit"),
        ("TanhLRScheduler", {"base_lr": 0.1, "t_initial": 10, "lb": 3.0, "ub": 3.0}, "lb"),
        (
            "WarmupStableDecay",
            {
                "base_lr": 0.1,
                "num_warmup_steps": 1,
                "num_stable_steps": 1,
                "num_decay_steps": 1,
                "warmup_type": "exp",
            },
            "warmup_type",
        ),
        (
            "WarmupStableDecay",
            {"base_lr": 0.1, "num_warmup_steps": 1, "num_stable_steps": 1, "num_decay_steps": -1},
            "num_decay_steps",
        ),
        (
            "WarmupStableDecay",
            {
                "base_lr": 0.1,
                "num_warmup_steps": 1,
                "num_stable_steps": 1,
                "num_decay_steps": 1,
                "min_lr_ratio": 1.5,
            },
            "min_lr_ratio",
        ),
        ("InverseSqrt", {"base_lr": 0.1, "num_warmup_steps": 1, "timescale": 0}, "timescale"),
        (
            "CosineWithMinLR",
            {"base_lr": 0.1, "num_warmup_steps": 1, "num_training_steps": 0},
            "num_training_steps",
        ),
        (
            "CosineWithHardRestarts",
            {"base_lr": 0.1, "num_warmup_steps": 1, "num_training_steps": 9, "num_cycles": 1.5},
            "num_cycles",
        ),
        (
            "PolynomialWithWarmup",
            {"base_lr": 0.1, "num_warmup_steps": 1, "num_training_steps": 9, "lr_end": 0.1},
            "lr_end",
        ),
        ("TriStage", {"base_lr": 0.1, "warmup_steps": 1, "hold_steps": 1, "decay_steps": 0}, "decay_steps"),
        ("Triangular", {"max_lr": 0.1, "min_lr": 0.1}, "max_lr"),
        ("Triangular", {"max_lr": 0.1, "min_lr": 0.0, "lr_period_updates": 1}, "lr_period_updates"),
        (
            "TriStage",
            {"base_lr": 0.1, "warmup_steps": 1, "hold_steps": 1, "decay_steps": 3, "final_lr_scale": 0.0},
            "final_lr_scale",
        ),
    ],
)
def test_bad_input_names_the_argument(family: str, kwargs: dict[str, Any], name: str) -> None:
    with pytest.raises(ValueError, match=f"`{name}`"):
        lrjit.registry()[family](**kwargs)


# ------------------------------------------------------------------------------------------------------
# live cross-checks (only where the libraries happen to be installed)
# ------------------------------------------------------------------------------------------------------
def _live_optimizer(torch: Any, lr: float) -> Any:
    return torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)


def test_live_timm() -> None:
    torch = pytest.importorskip("torch")
    timm_scheduler = pytest.importorskip("timm.scheduler")
    cases = [
        (
            timm_scheduler.CosineLRScheduler,
            lrjit.CosineLRScheduler,
            {
                "t_initial": 20,
                "lr_min": 1e-3,
                "cycle_limit": 3,
                "cycle_decay": 0.5,
                "warmup_t": 4,
                "warmup_lr_init": 1e-4,
                "k_decay": 1.5,
            },
        ),
        (
            timm_scheduler.TanhLRScheduler,
            lrjit.TanhLRScheduler,
            {"t_initial": 20, "lr_min": 1e-3, "cycle_limit": 2, "warmup_t": 4, "warmup_lr_init": 1e-4},
        ),
        (
            timm_scheduler.PolyLRScheduler,
            lrjit.PolyLRScheduler,
            {"t_initial": 20, "power": 2.0, "cycle_limit": 2, "warmup_t": 4, "warmup_prefix": True},
        ),
    ]
    for theirs, ours, kw in cases:
        opt = _live_optimizer(torch, 0.1)
        sched = theirs(opt, **kw)
        want = []
        for t in range(80):
            sched.step(t)
            want.append(opt.param_groups[0]["lr"])
        with jax.enable_x64(True):
            got = np.asarray(ours(0.1, **kw)(np.arange(80)))
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)


def test_live_transformers() -> None:
    torch = pytest.importorskip("torch")
    optimization = pytest.importorskip("transformers.optimization")
    cases = [
        (
            lambda o: optimization.get_wsd_schedule(o, 10, 30, num_stable_steps=20, min_lr_ratio=0.1),
            lrjit.WarmupStableDecay(0.1, 10, 20, 30, min_lr_ratio=0.1),
        ),
        (lambda o: optimization.get_inverse_sqrt_schedule(o, 10), lrjit.InverseSqrt(0.1, 10)),
        (
            lambda o: optimization.get_cosine_with_min_lr_schedule_with_warmup(o, 10, 50, min_lr_rate=0.1),
            lrjit.CosineWithMinLR(0.1, 10, 50, min_lr_rate=0.1),
        ),
        (
            lambda o: optimization.get_cosine_with_hard_restarts_schedule_with_warmup(
                o, 10, 50, num_cycles=3
            ),
            lrjit.CosineWithHardRestarts(0.1, 10, 50, num_cycles=3),
        ),
        (
            lambda o: optimization.get_polynomial_decay_schedule_with_warmup(
                o, 10, 50, lr_end=1e-3, power=2.0
            ),
            lrjit.PolynomialWithWarmup(0.1, 10, 50, lr_end=1e-3, power=2.0),
        ),
    ]
    for make, ours in cases:
        opt = _live_optimizer(torch, 0.1)
        sched = make(opt)
        want = []
        for _ in range(80):
            want.append(opt.param_groups[0]["lr"])
            opt.step()
            sched.step()
        got = np.asarray(ours(np.arange(80)), dtype=np.float64)
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7 * 0.1)
