"""The MaxText family against an independent float64 closed form.

The closed form follows ``create_learning_rate_schedule`` of AI-Hypercomputer/maxtext
``src/MaxText/maxtext_utils.py`` (``MaxText/maxtext_utils.py`` in older trees): optax's ``join_schedules``
of the warmup, cosine or stable + decay, and zero pieces, each evaluated at the step minus the boundary
before it; the cosine's phase ``k / (C - 1)`` is reduced exactly (``k mod 2 (C - 1)``, as integers), since
the last piece goes on past the schedule. The method and the bounds are described in ``accuracy.py``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from accuracy import Config, Stored, check_closed_form, families_of, hand, params

FAMILIES = families_of("lrjit.families.maxtext")


def _cos(k: np.ndarray, length: int) -> np.ndarray:
    """make_cos_schedule's weight a = 0.5 (1 + cos(pi k / (length - 1))); a = 0 for length 1."""
    if length <= 1:
        return np.zeros(k.shape)
    m = length - 1
    r = k % (2 * m)
    return 0.5 * (1 + np.cos(np.pi * np.minimum(r, 2 * m - r) / m))


def ref_maxtext(c: Stored, s: np.ndarray) -> np.ndarray:
    lr = c.f("learning_rate")
    final = lr * c.f("learning_rate_final_fraction")
    w, big_l, n = c.i("warmup_steps"), c.i("learning_rate_schedule_steps"), c.i("steps")
    pieces: list[tuple[int, Callable[[np.ndarray], np.ndarray]]] = []  # (boundary before it, piece)
    if w > 0:
        pieces.append((0, lambda k: lr * np.minimum(k, w - 1) / (w - 1) if w > 1 else 0.0 * k))
    if c["lr_schedule_type"] == "cosine":
        cos_steps = big_l - w
        if cos_steps > 0:
            pieces.append((w, lambda k: lr * _cos(k, cos_steps) + final * (1 - _cos(k, cos_steps))))
    else:
        d = c.i("wsd_decay_steps")
        stable = big_l - w - d
        if stable > 0:
            pieces.append((w, lambda k: lr + 0.0 * k))
        if d > 0:
            if c["wsd_decay_style"] == "linear":
                decay = (
                    (lambda k: lr + (final - lr) * np.minimum(k, d - 1) / (d - 1))
                    if d > 1
                    else (lambda k: lr + 0.0 * k)
                )
            else:
                decay = lambda k: lr * _cos(k, d) + final * (1 - _cos(k, d))  # noqa: E731
            pieces.append((w + max(stable, 0), decay))
    if n > big_l:
        pieces.append((big_l, lambda k: 0.0 * k))
    # optax.join_schedules: the first piece everywhere, each later one from its boundary on.
    out = np.asarray(pieces[0][1](s), np.float64) * np.ones(s.shape)
    for start, piece in pieces[1:]:
        out = np.where(s < start, out, piece(np.maximum(s - start, 0)))
    return out


REFERENCES: dict[str, Callable[[Stored, np.ndarray], np.ndarray]] = {"MaxTextSchedule": ref_maxtext}


def edges(family: str, c: Stored, limit: int) -> list[int]:
    w, big_l, d = c.i("warmup_steps"), c.i("learning_rate_schedule_steps"), c.i("wsd_decay_steps")
    return [w, big_l, big_l - d, w + max(big_l - w - d, 0) + d, c.i("steps"), 2 * big_l - w]


HAND: dict[str, list[Config]] = {
    "MaxTextSchedule": [
        # base.yml: warmup 0.1, final fraction 0.1; learning_rate_schedule_steps = steps
        hand("MaxTextSchedule", "base_yml_cosine", learning_rate=3e-5, steps=150_001, warmup_steps=15_000),
        hand(
            "MaxTextSchedule",
            "cosine_zero_tail",
            learning_rate=1e-3,
            steps=1200,
            learning_rate_schedule_steps=1000,
            warmup_steps=100,
            learning_rate_final_fraction=0.0,
        ),
        hand(
            "MaxTextSchedule",
            "wsd_linear",
            learning_rate=3e-4,
            steps=10_000,
            warmup_steps=500,
            lr_schedule_type="wsd",
            wsd_decay_steps=2000,
        ),
        hand(
            "MaxTextSchedule",
            "wsd_cosine_no_stable",
            learning_rate=3e-4,
            steps=100,
            warmup_steps=60,
            lr_schedule_type="wsd",
            wsd_decay_steps=50,
            wsd_decay_style="cosine",
        ),
        hand(
            "MaxTextSchedule",
            "warmup_1_cos_1",
            learning_rate=0.1,
            steps=5,
            learning_rate_schedule_steps=2,
            warmup_steps=1,
        ),
        hand(
            "MaxTextSchedule",
            "warmup_past_end",
            learning_rate=0.1,
            steps=50,
            learning_rate_schedule_steps=20,
            warmup_steps=30,
        ),
    ],
}


@pytest.mark.parametrize(("cfg", "precision"), params(FAMILIES, HAND))
def test_matches_closed_form(cfg: Config, precision: str) -> None:
    """lrjit within the float32 / x64 bound of the float64 closed form at every tested step."""
    check_closed_form(cfg, precision, REFERENCES, edges)
