"""The big_vision family against an independent float64 closed form.

The closed form follows ``create_learning_rate_schedule`` of google-research/big_vision
``big_vision/utils.py`` (``step_fn``): the decay of ``base`` at ``p = clip((s - W) / (T - W), 0, 1)``,
times ``min(1, s / W)`` and ``min(1, (T - s) / C)`` (negative past ``T``, as big_vision's). The method and
the bounds are described in ``accuracy.py``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from accuracy import Config, Stored, check_closed_form, cos2_half, families_of, hand, params

FAMILIES = families_of("lrjit.families.big_vision")


def ref_big_vision(c: Stored, s: np.ndarray) -> np.ndarray:
    t, w, cool = c.i("total_steps"), c.i("warmup_steps"), c.i("cooldown_steps")
    lr = c.f("base")
    left = (t - np.clip(s, w, t)) / (t - w)  # 1 - p
    kind = c["decay_type"]
    if kind in ("linear", "polynomial"):
        end = c.f("end")
        out = end + (lr - end) * left ** c.f("power")
    elif kind == "cosine":
        out = lr * cos2_half(1 - left)
    elif kind == "rsqrt":
        ts, shift = c.f("timescale"), c.f("shift")
        since = np.maximum(s - w, 0).astype(np.float64)
        out = np.where(w <= s, lr / np.sqrt(1 + (since + shift) / ts), lr / np.sqrt(1 + shift / ts))
    else:
        out = lr * np.ones(s.shape)
    if w:
        out = out * np.minimum(1.0, s / w)
    if cool:
        out = out * np.minimum(1.0, (t - s).astype(np.float64) / cool)
    return out


REFERENCES: dict[str, Callable[[Stored, np.ndarray], np.ndarray]] = {"BigVisionSchedule": ref_big_vision}


def edges(family: str, c: Stored, limit: int) -> list[int]:
    t = c.i("total_steps")
    return [c.i("warmup_steps"), t, t - c.i("cooldown_steps")]


HAND: dict[str, list[Config]] = {
    "BigVisionSchedule": [
        # ViT-B/16 i1k (big_vision configs): cosine, 10k warmup over 300 epochs of 1281167 at batch 4096
        hand(
            "BigVisionSchedule",
            "vit_i1k_cosine",
            total_steps=93_834,
            base=1.0,
            decay_type="cosine",
            warmup_steps=10_000,
        ),
        hand(
            "BigVisionSchedule",
            "rsqrt_cooldown",
            total_steps=100_000,
            base=1.0,
            decay_type="rsqrt",
            warmup_steps=1000,
            cooldown_steps=10_000,
            timescale=10_000.0,
            shift=2000.0,
        ),
        hand(
            "BigVisionSchedule",
            "linear_end",
            total_steps=500,
            base=0.003,
            decay_type="linear",
            warmup_steps=50,
            end=1e-5,
        ),
        hand(
            "BigVisionSchedule", "poly_no_warmup", total_steps=7, base=0.5, decay_type="polynomial", power=2.0
        ),
        hand("BigVisionSchedule", "stair_cooldown_only", total_steps=1000, base=0.1, cooldown_steps=1000),
    ],
}


@pytest.mark.parametrize(("cfg", "precision"), params(FAMILIES, HAND))
def test_matches_closed_form(cfg: Config, precision: str) -> None:
    """lrjit within the float32 / x64 bound of the float64 closed form at every tested step."""
    check_closed_form(cfg, precision, REFERENCES, edges)
