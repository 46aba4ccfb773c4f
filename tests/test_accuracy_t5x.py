"""The t5x / tensor2tensor families against independent float64 closed forms.

The closed forms follow t5x's ``t5x/utils.py`` (``create_learning_rate_scheduler``'s factors) and
tensor2tensor's ``tensor2tensor/utils/learning_rate.py`` (``noam``); the method and the bounds are
described in ``accuracy.py``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from accuracy import Config, Stored, check_closed_form, cos2_half, families_of, hand, multiples, params

FAMILIES = families_of("lrjit.families.t5x")


# ------------------------------------------------------------------------------------------------------
# References: (stored config, int64 steps) -> float64 values
# ------------------------------------------------------------------------------------------------------
def ref_factor_schedule(c: Stored, s: np.ndarray) -> np.ndarray:
    """The product of the named factors at max(0, s - step_offset), floored at min_learning_rate; the
    cosine's cycle position and the decay periods as exact integer counts."""
    s = np.maximum(s - c.i("step_offset"), 0)
    w, lr0, df = c.i("warmup_steps"), c.f("base_learning_rate"), c.f("decay_factor")
    d, cyc = c.i("steps_per_decay"), c.i("steps_per_cycle")
    ret = np.ones(s.shape)
    for name in (n.strip() for n in c["factors"].split("*")):
        if name == "constant":
            ret = ret * lr0
        elif name == "linear_warmup":
            ret = ret * np.minimum(1.0, s / w)
        elif name == "linear_decay":
            ret = ret * lr0 * np.minimum(s / w, 1 + df * (w - s))
        elif name == "rsqrt_decay":
            ret = ret / np.sqrt(np.maximum(s, w))
        elif name == "rsqrt_normalized_decay":
            ret = ret * np.sqrt(w / np.maximum(s, w))
        elif name == "decay_every":
            ret = ret * np.power(df, (s // d).astype(np.float64))
        elif name == "cosine_decay":
            ret = ret * cos2_half((np.maximum(s - w, 0) % cyc) / cyc)
        elif name == "rsqrt_hidden_size":
            ret = ret / np.sqrt(c.i("hidden_size"))
        else:
            assert name == "exp_decay", name
            ret = ret * np.power(df, np.maximum(s - w, 0) / d)
    return np.maximum(ret, c.f("min_learning_rate"))


def ref_noam(c: Stored, s: np.ndarray) -> np.ndarray:
    """t2t noam: lr * correction * 5000 * d**-0.5 * min(n W**-1.5, n**-0.5), n = s + 1 (W = 0: inf)."""
    n = s + 1.0
    w = np.float64(c.i("warmup_steps"))
    with np.errstate(divide="ignore"):
        warm = n * w**-1.5
    scale = c.f("learning_rate") * c.f("optimizer_correction") * 5000 / np.sqrt(c.i("hidden_size"))
    return scale * np.minimum(warm, n**-0.5)


REFERENCES: dict[str, Callable[[Stored, np.ndarray], np.ndarray]] = {
    "FactorSchedule": ref_factor_schedule,
    "Noam": ref_noam,
}


# ------------------------------------------------------------------------------------------------------
# Edge steps of a config (each is tested with its neighbours +-2)
# ------------------------------------------------------------------------------------------------------
def edges(family: str, c: Stored, limit: int) -> list[int]:
    """Warmup ends (after the offset), decay periods, cosine restarts and mid-cycles, the zero of a linear
    decay, Noam's peak ([] for other families)."""
    if family == "Noam":
        return [c.i("warmup_steps") - 1]
    if family != "FactorSchedule":
        return []
    off, w = c.i("step_offset"), c.i("warmup_steps")
    d, cyc = c.i("steps_per_decay"), c.i("steps_per_cycle")
    names = {n.strip() for n in c["factors"].split("*")}
    out = [off, off + w]
    if "decay_every" in names:
        out += [off + x for x in multiples(d, limit)]
    if "exp_decay" in names:
        out += [off + w + x for x in multiples(d, limit)]
    if "cosine_decay" in names:
        out += [off + w + x for x in multiples(cyc, limit)] + [off + w + cyc // 2, off + w + cyc + cyc // 2]
    df = c.f("decay_factor")
    if "linear_decay" in names and df * limit > 1:
        out.append(off + w + int(np.ceil(1 / df)))
    return out


# ------------------------------------------------------------------------------------------------------
# Configs: hand-picked (the sampled ones come from cls.sample)
# ------------------------------------------------------------------------------------------------------
HAND: dict[str, list[Config]] = {
    "FactorSchedule": [
        hand("FactorSchedule", "t5x_defaults"),
        hand(
            "FactorSchedule",
            "T5_rsqrt_10k",
            factors="constant * rsqrt_decay",
            base_learning_rate=1.0,
            warmup_steps=10_000,
        ),
        hand(
            "FactorSchedule",
            "cosine_C7_offset",
            factors="constant * linear_warmup * cosine_decay",
            base_learning_rate=0.3,
            warmup_steps=3,
            steps_per_cycle=7,
            step_offset=11,
            min_learning_rate=0.0,
        ),
        hand(
            "FactorSchedule",
            "decay_every_D1",
            factors="constant * decay_every",
            base_learning_rate=0.1,
            decay_factor=0.9999,
            steps_per_decay=1,
            min_learning_rate=0.0,
        ),
        hand(
            "FactorSchedule",
            "linear_decay_1e-6",
            factors="linear_decay",
            base_learning_rate=0.001,
            warmup_steps=5000,
            decay_factor=1e-6,
            min_learning_rate=0.0,
        ),
        hand(
            "FactorSchedule",
            "t2t_v3_exp",
            factors="constant * linear_warmup * rsqrt_normalized_decay * exp_decay * rsqrt_hidden_size",
            base_learning_rate=2.0,
            warmup_steps=8000,
            decay_factor=0.5,
            steps_per_decay=100_000,
            hidden_size=1024,
            min_learning_rate=0.0,
        ),
    ],
    "Noam": [
        hand("Noam", "t2t_defaults"),
        hand(
            "Noam",
            "sgd_W100",
            learning_rate=0.05,
            hidden_size=64,
            warmup_steps=100,
            optimizer_correction=1.0,
        ),
        hand("Noam", "W0", learning_rate=0.1, hidden_size=1024, warmup_steps=0),
    ],
}


@pytest.mark.parametrize(("cfg", "precision"), params(FAMILIES, HAND))
def test_matches_closed_form(cfg: Config, precision: str) -> None:
    """lrjit within the float32 / x64 bound of the float64 closed form at every tested step."""
    check_closed_form(cfg, precision, REFERENCES, edges)
