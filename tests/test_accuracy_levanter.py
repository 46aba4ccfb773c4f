"""The Levanter family against an independent float64 closed form.

The closed form follows one cycle of ``OptimizerConfig.lr_scheduler`` in marin-community/levanter
``src/levanter/optim/config.py`` (optax's ``linear_schedule`` warmup, ``constant_schedule`` stable phase and
the decay: optax's ``cosine_decay_schedule`` / ``linear_schedule``, Levanter's ``_inv_decay_schedule`` and
``_inv_sqrt_decay_schedule``). The method and the bounds are described in ``accuracy.py``; the whole
multi-cycle schedule is checked against Levanter's code with optax in
``test_deepspeed_big_vision_maxtext.py``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from accuracy import Config, Stored, check_closed_form, cos2_half, families_of, hand, params

FAMILIES = families_of("lrjit.families.levanter")


def ref_levanter(c: Stored, s: np.ndarray) -> np.ndarray:
    lr, r = c.f("learning_rate"), c.f("min_lr_ratio")
    min_lr = lr * r
    w, st, d = c.i("warmup_steps"), c.i("stable_steps"), c.i("decay_steps")
    start = c.f("warmup_start_lr")
    warm = start + (lr - start) * np.minimum(s, w) / max(w, 1)
    k = np.maximum(s - (w + st), 0)
    kind = c["lr_schedule"]
    if kind == "cosine":
        decay = lr * ((1 - r) * cos2_half(np.minimum(k, d) / d) ** c.f("exponent") + r)
    elif kind == "linear":
        decay = lr + (min_lr - lr) * np.minimum(k, d) / d
    elif kind == "constant":
        decay = lr + 0.0 * k
    elif kind == "inv":
        decay = np.maximum(lr * np.minimum(1.0, 1.0 / ((lr / min_lr - 1) * np.maximum(k, 1) / d + 1)), min_lr)
    else:
        t = np.maximum(k.astype(np.float64) + w, 1) / c.f("timescale")
        decay = np.maximum(lr * np.minimum(1.0, 1.0 / np.sqrt(t)), min_lr)
    return np.where(s < w, warm, np.where(s < w + st, lr, decay))


REFERENCES: dict[str, Callable[[Stored, np.ndarray], np.ndarray]] = {"LevanterSchedule": ref_levanter}


def edges(family: str, c: Stored, limit: int) -> list[int]:
    w, st, d = c.i("warmup_steps"), c.i("stable_steps"), c.i("decay_steps")
    return [w, w + st, w + st + d]


HAND: dict[str, list[Config]] = {
    "LevanterSchedule": [
        hand(
            "LevanterSchedule", "defaults_cosine_10k", learning_rate=6e-4, warmup_steps=100, decay_steps=9900
        ),
        hand(
            "LevanterSchedule",
            "wsd_linear",
            learning_rate=3e-3,
            warmup_steps=1000,
            stable_steps=7000,
            decay_steps=2000,
            lr_schedule="linear",
            min_lr_ratio=0.0001,
        ),
        hand(
            "LevanterSchedule", "inv", learning_rate=1e-3, warmup_steps=0, decay_steps=5000, lr_schedule="inv"
        ),
        hand(
            "LevanterSchedule",
            "inv_sqrt_rewarm",
            learning_rate=1e-3,
            warmup_steps=300,
            decay_steps=1,
            lr_schedule="inv_sqrt",
            warmup_start_lr=2e-4,
        ),
        hand("LevanterSchedule", "cosine_exp2_D1", learning_rate=0.1, decay_steps=1, exponent=2.0),
    ],
}


@pytest.mark.parametrize(("cfg", "precision"), params(FAMILIES, HAND))
def test_matches_closed_form(cfg: Config, precision: str) -> None:
    """lrjit within the float32 / x64 bound of the float64 closed form at every tested step."""
    check_closed_form(cfg, precision, REFERENCES, edges)
