"""The DeepSpeed families against independent float64 closed forms.

The closed forms follow ``deepspeed/runtime/lr_schedules.py`` of microsoft/DeepSpeed (``WarmupLR``,
``WarmupDecayLR``, ``WarmupCosineLR``, ``LRRangeTest``, ``OneCycle``: their ``get_lr``), at
``last_batch_iteration = step - 1`` (the step is the number of ``scheduler.step()`` calls; step 0 is the
constructor's rate). The method and the bounds are described in ``accuracy.py``; the per-step
transcriptions and the live cross-check are in ``test_deepspeed_big_vision_maxtext.py``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from accuracy import Config, Stored, check_closed_form, cos2_half, families_of, hand, params

FAMILIES = families_of("lrjit.families.deepspeed")


def _gamma(c: Stored, s: np.ndarray) -> tuple[np.ndarray, int]:
    """The warmup fraction at lbi = s - 1 < W (0 at s = 0), and W = max(2, warmup_num_steps)."""
    w = max(2, c.i("warmup_num_steps"))
    if c["warmup_type"] == "log":
        g = np.log(np.maximum(s, 1).astype(np.float64)) / np.log(w)
    else:
        g = (np.clip(s, 1, w) - 1) / w
    return g, w


def ref_warmup_lr(c: Stored, s: np.ndarray) -> np.ndarray:
    g, w = _gamma(c, s)
    lo, hi = c.f("warmup_min_lr"), c.f("warmup_max_lr")
    return lo + (hi - lo) * np.where(s <= w, g, 1.0)


def ref_warmup_decay_lr(c: Stored, s: np.ndarray) -> np.ndarray:
    g, w = _gamma(c, s)
    t = c.i("total_num_steps")
    lbi = np.maximum(s, 1) - 1
    decay = np.maximum(0.0, (t - lbi).astype(np.float64) / max(1, t - w))
    lo, hi = c.f("warmup_min_lr"), c.f("warmup_max_lr")
    return lo + (hi - lo) * np.where(s <= w, g, decay)


def ref_warmup_cosine_lr(c: Stored, s: np.ndarray) -> np.ndarray:
    g, w = _gamma(c, s)
    r0, cmin, t = c.f("warmup_min_ratio"), c.f("cos_min_ratio"), c.i("total_num_steps")
    warm = r0 + g * (1 - r0)
    real_total = max(1, t - w)
    p = np.minimum(np.maximum(s - w, 0), real_total) / real_total
    decay = np.maximum(0.0, cmin + (1 - cmin) * cos2_half(p))
    return np.where(s == 0, 0.0, c.f("base_lr") * np.where(s <= w, warm, decay))


def ref_lr_range_test(c: Stored, s: np.ndarray) -> np.ndarray:
    size = c.i("lr_range_test_step_size")
    i = (s // size).astype(np.float64) if c.b("lr_range_test_staircase") else s / size
    return c.f("lr_range_test_min_lr") * (1 + c.f("lr_range_test_step_rate") * i)


def ref_one_cycle(c: Stored, s: np.ndarray) -> np.ndarray:
    f, s2 = c.i("cycle_first_step_size"), c.i("cycle_second_step_size")
    n1, n2 = c.i("cycle_first_stair_count"), c.i("cycle_second_stair_count")
    total = f + s2
    ci = np.where(s < total, s, 0)
    rising = ci <= f
    down = total - ci
    smooth = np.where(rising, ci / f, down / max(s2, 1))
    n = np.where(rising, n1, n2)
    half = np.where(rising, f, max(s2, 1))
    stairs = (np.where(rising, ci, down) * np.maximum(n, 1) // half) / np.maximum(n, 1)
    scale = np.where(n > 0, stairs, smooth)
    lo, hi = c.f("cycle_min_lr"), c.f("cycle_max_lr")
    size, rate = c.i("decay_step_size"), c.f("decay_lr_rate")
    k = np.maximum(s - total, 0).astype(np.float64)
    decay = lo if (size == 0 or rate == 0) else lo / (1 + rate * k / size)
    return np.where(s <= total, lo + (hi - lo) * scale, decay)


def ref_one_cycle_mom(c: Stored, s: np.ndarray) -> np.ndarray:
    """OneCycle.get_mom: max - (max - min) * scale in the cycle, max * (1 + rate * k / size) after;
    cycle_min_mom at step 0 (the constructor's)."""
    f, s2 = c.i("cycle_first_step_size"), c.i("cycle_second_step_size")
    n1, n2 = c.i("cycle_first_stair_count"), c.i("cycle_second_stair_count")
    total = f + s2
    ci = np.where(s < total, s, 0)
    rising = ci <= f
    down = total - ci
    smooth = np.where(rising, ci / f, down / max(s2, 1))
    n = np.where(rising, n1, n2)
    half = np.where(rising, f, max(s2, 1))
    stairs = (np.where(rising, ci, down) * np.maximum(n, 1) // half) / np.maximum(n, 1)
    scale = np.where(n > 0, stairs, smooth)
    lo, hi = c.f("cycle_min_mom"), c.f("cycle_max_mom")
    size, rate = c.i("decay_step_size"), c.f("decay_mom_rate")
    k = np.maximum(s - total, 0).astype(np.float64)
    decay = hi if (size == 0 or rate == 0) else hi * (1 + rate * k / size)
    return np.where(s == 0, lo, np.where(s <= total, hi - (hi - lo) * scale, decay))


REFERENCES: dict[str, Callable[[Stored, np.ndarray], np.ndarray]] = {
    "WarmupLR": ref_warmup_lr,
    "WarmupDecayLR": ref_warmup_decay_lr,
    "WarmupCosineLR": ref_warmup_cosine_lr,
    "LRRangeTest": ref_lr_range_test,
    "OneCycle": ref_one_cycle,
    "OneCycleMom": ref_one_cycle_mom,
}


def edges(family: str, c: Stored, limit: int) -> list[int]:
    """Warmup ends, decay ends, cycle halves and ends, range-test periods."""
    if family == "LRRangeTest":
        d = c.i("lr_range_test_step_size")
        return [d, 2 * d, (limit // d) * d]
    if family in ("OneCycle", "OneCycleMom"):
        f, s2 = c.i("cycle_first_step_size"), c.i("cycle_second_step_size")
        return [f, f + s2, f + s2 + c.i("decay_step_size")]
    w = max(2, c.i("warmup_num_steps"))
    out = [w, w + 1]
    if family != "WarmupLR":
        out += [c.i("total_num_steps"), c.i("total_num_steps") + 1]
    return out


HAND: dict[str, list[Config]] = {
    "WarmupLR": [
        hand("WarmupLR", "ds_defaults"),
        hand(
            "WarmupLR",
            "linear_W1",
            warmup_min_lr=0.001,
            warmup_max_lr=0.01,
            warmup_num_steps=1,
            warmup_type="linear",
        ),
    ],
    "WarmupDecayLR": [
        hand("WarmupDecayLR", "ds_docs", total_num_steps=10_000, warmup_max_lr=0.001, warmup_num_steps=1000),
        hand(
            "WarmupDecayLR",
            "warmup_past_end",
            total_num_steps=50,
            warmup_max_lr=0.1,
            warmup_num_steps=100,
            warmup_type="linear",
        ),
    ],
    "WarmupCosineLR": [
        hand("WarmupCosineLR", "ds_defaults", base_lr=3e-4, total_num_steps=100_000),
        hand(
            "WarmupCosineLR",
            "T_below_W",
            base_lr=0.1,
            total_num_steps=5,
            warmup_num_steps=10,
            warmup_min_ratio=0.1,
            cos_min_ratio=0.05,
            warmup_type="linear",
        ),
    ],
    "LRRangeTest": [
        hand("LRRangeTest", "ds_defaults"),
        hand(
            "LRRangeTest",
            "stairs_size1",
            lr_range_test_min_lr=1e-5,
            lr_range_test_step_size=1,
            lr_range_test_step_rate=0.5,
            lr_range_test_staircase=True,
        ),
    ],
    "OneCycle": [
        hand(
            "OneCycle",
            "ds_tutorial",
            cycle_min_lr=0.0001,
            cycle_max_lr=0.001,
            cycle_first_step_size=1000,
            cycle_first_stair_count=500,
            decay_step_size=1000,
            decay_lr_rate=0.001,
        ),
        hand(
            "OneCycle",
            "asym_stairs",
            cycle_min_lr=0.01,
            cycle_max_lr=0.1,
            cycle_first_step_size=7,
            cycle_second_step_size=3,
            cycle_first_stair_count=3,
            cycle_second_stair_count=2,
        ),
        hand(
            "OneCycle",
            "second_0",
            cycle_min_lr=0.01,
            cycle_max_lr=0.1,
            cycle_first_step_size=10,
            cycle_second_step_size=0,
            decay_step_size=5,
            decay_lr_rate=1.0,
        ),
    ],
    "OneCycleMom": [
        hand(
            "OneCycleMom",
            "ds_tutorial",
            cycle_min_mom=0.85,
            cycle_max_mom=0.99,
            cycle_first_step_size=1000,
            cycle_first_stair_count=500,
            decay_step_size=1000,
            decay_mom_rate=0.0,
        ),
        hand(
            "OneCycleMom",
            "growing",
            cycle_first_step_size=7,
            cycle_second_step_size=3,
            decay_step_size=5,
            decay_mom_rate=0.01,
        ),
    ],
}


@pytest.mark.parametrize(("cfg", "precision"), params(FAMILIES, HAND))
def test_matches_closed_form(cfg: Config, precision: str) -> None:
    """lrjit within the float32 / x64 bound of the float64 closed form at every tested step."""
    check_closed_form(cfg, precision, REFERENCES, edges)
