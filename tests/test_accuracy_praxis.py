"""The praxis families against a float64 transcription of praxis's own code.

The references transcribe google/praxis ``praxis/schedules.py`` class by class, in NumPy float64:
``Polynomial`` / ``Linear``, ``Exponential`` (a line between logs, then ``exp``), ``DelayedCosine``,
``PiecewiseConstant.value_at`` (its loop of ``sign`` indicators and ``where(v > 0, ...)``, as written), the
``LinearRampup*`` classes as praxis builds them (the pieces joined by ``optax.join_schedules``, each at the
step minus the boundary before it), ``Transformer``, ``SqrtDecay``, ``LinearRampupSqrtDecay``, ``Cosine``
and ``ContinuousSchedule``, each times the optimizer's rate (``BaseOptimizer.get_learning_rate``: the
schedule's value times ``learning_rate``, ``base_lr`` here). praxis computes in float32; the transcription
keeps its operations in float64, so the comparison measures lrjit's arithmetic. The method and the bounds
are described in ``accuracy.py``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import pytest

from accuracy import Config, Stored, check_closed_form, families_of, hand, params

FAMILIES = families_of("lrjit.families.praxis")

Piece = Callable[[np.ndarray], np.ndarray]


# ------------------------------------------------------------------------------------------------------
# praxis's building blocks (praxis/schedules.py), in float64
# ------------------------------------------------------------------------------------------------------
def polynomial(start: tuple[float, float], limit: tuple[float, float], power: float = 1.0) -> Piece:
    """``Polynomial(start, limit, power, origin='start')`` (``Linear`` for power 1)."""
    x0, y0 = start
    x1, y1 = limit
    if x0 >= x1:
        raise ValueError(f"{x0} must be < {x1}")

    def value_at(x: np.ndarray) -> np.ndarray:
        xf = np.asarray(x, np.float64)
        ratio = (xf - x0) / (x1 - x0)
        with np.errstate(over="ignore", invalid="ignore"):
            y = y0 + ratio**power * (y1 - y0)
        return np.where(xf < x0, y0, np.where(xf >= x1, y1, y))

    return value_at


def exponential(start: tuple[float, float], limit: tuple[float, float]) -> Piece:
    """``Exponential(start, limit)``: ``exp`` of the ``Linear`` between ``log(y0)`` and ``log(y1)``."""
    (x0, y0), (x1, y1) = start, limit
    assert x0 < x1 and y0 > 0 and y1 > 0
    line = polynomial((x0, math.log(y0)), (x1, math.log(y1)))
    return lambda x: np.exp(line(x))


def delayed_cosine(start: tuple[float, float], limit: tuple[float, float]) -> Piece:
    """``DelayedCosine(start, limit)``: ``min + 0.5 (max - min) (1 + cos(Linear((x0, 0), (x1, pi))))``."""
    (x0, y0), (x1, y1) = start, limit
    assert x0 < x1 and y0 > 0 and y1 >= 0
    line = polynomial((x0, 0.0), (x1, math.pi))
    return lambda x: y1 + 0.5 * (y0 - y1) * (1 + np.cos(line(x)))


def piecewise_constant(boundaries: Sequence[int], values: Sequence[float]) -> Piece:
    """``PiecewiseConstant(boundaries, values).value_at``, its loop as written."""
    assert len(values) == len(boundaries) + 1 and sorted(boundaries) == list(boundaries)
    b = [np.float64(x) for x in boundaries]
    v = [np.float64(x) for x in values]

    def value_at(step: np.ndarray) -> np.ndarray:
        count = np.asarray(step, np.float64)
        if not b:
            return v[0] + 0 * count
        out = np.zeros(count.shape)
        for i, threshold in enumerate(b):
            indicator = np.maximum(0.0, np.sign(threshold - count))
            out = np.where(out > 0, out, indicator * v[i])
        indicator = np.maximum(0.0, np.sign(1 + count - b[-1]))
        return np.where(out > 0, out, indicator * v[-1])

    return value_at


def join_schedules(pieces: Sequence[Piece], boundaries: Sequence[int], s: np.ndarray) -> np.ndarray:
    """``optax.join_schedules``: the first piece, then each later one from its boundary, at ``s - b``."""
    out = np.asarray(pieces[0](s), np.float64) * np.ones(s.shape)
    for b, piece in zip(boundaries, pieces[1:], strict=False):
        out = np.where(s < b, out, piece(s - b))
    return out


# ------------------------------------------------------------------------------------------------------
# References: (stored config, int64 steps) -> float64 values
# ------------------------------------------------------------------------------------------------------
def _rampup(c: Stored, s: np.ndarray, decay: Callable[[tuple, tuple], Piece]) -> np.ndarray:
    """The LinearRampup* constructors: ramp, hold and decay pieces joined as praxis joins them."""
    w, start, end, peak = c.i("warmup_steps"), c.i("decay_start"), c.i("decay_end"), c.f("max")
    assert start >= w and end >= start and peak > 0
    pieces: list[Piece] = []
    boundaries: list[int] = []
    if w > 0:
        pieces.append(polynomial((0, 0.0), (w, peak)))
        boundaries.append(w)
    if start > w:
        pieces.append(polynomial((0, peak), (start - w, peak)))
        boundaries.append(start)
    pieces.append(decay((0, peak), (end - start, peak * c.f("min_ratio"))))
    return c.f("base_lr") * join_schedules(pieces, boundaries, s)


def ref_polynomial_decay(c: Stored, s: np.ndarray) -> np.ndarray:
    return _rampup(c, s, lambda a, b: polynomial(a, b, c.f("power")))


def ref_cosine_decay(c: Stored, s: np.ndarray) -> np.ndarray:
    return _rampup(c, s, delayed_cosine)


def ref_exponential_decay(c: Stored, s: np.ndarray) -> np.ndarray:
    return _rampup(c, s, exponential)


def ref_piecewise_constant(c: Stored, s: np.ndarray) -> np.ndarray:
    pc = piecewise_constant(c.vec("boundaries", np.int64).tolist(), c.vec("values", np.float64).tolist())
    return c.f("base_lr") * pc(s)


def ref_rampup_piecewise_constant(c: Stored, s: np.ndarray) -> np.ndarray:
    b = c.vec("boundaries", np.int64).tolist()
    v = c.vec("values", np.float64).tolist()
    assert len(b) >= 1 and len(b) == len(v)
    p0 = polynomial((0, 0.0), (b[0], v[0]))
    p1 = piecewise_constant([x - b[0] for x in b[1:]], v)
    return c.f("base_lr") * join_schedules([p0, p1], b[:1], s)


def ref_transformer(c: Stored, s: np.ndarray) -> np.ndarray:
    current = s.astype(np.float64)
    w = np.float64(c.i("warmup_steps") * c.i("worker_replicas"))
    if c["decay_end"] is not None:
        end = np.float64(c.i("decay_end"))
        current = np.where(current < end, current, end)
    with np.errstate(divide="ignore"):
        warm = (current + 1) * w**-1.5
    return c.f("base_lr") * np.float64(c.i("model_dim")) ** -0.5 * np.minimum(warm, (current + 1) ** -0.5)


def ref_sqrt_decay(c: Stored, s: np.ndarray) -> np.ndarray:
    x = np.maximum(s.astype(np.float64) - c.f("offset"), np.float64(c.i("decay_start")))
    return c.f("base_lr") * (1 / np.sqrt(x)) * c.f("multiplier")


def ref_rampup_sqrt_decay(c: Stored, s: np.ndarray) -> np.ndarray:
    current = np.maximum(s.astype(np.float64), 1)
    w = np.float64(c.i("warmup_steps"))
    with np.errstate(divide="ignore"):
        return c.f("base_lr") * c.f("peak") * np.minimum(current / w, np.sqrt(w / current))


def ref_cosine(c: Stored, s: np.ndarray) -> np.ndarray:
    initial, final, total = c.f("initial_value"), c.f("final_value"), c.i("total_steps")
    f = np.minimum(1.0, s.astype(np.float64) / total)
    return c.f("base_lr") * (final + 0.5 * (initial - final) * (1 + np.cos(math.pi * f)))


def ref_continuous(c: Stored, s: np.ndarray) -> np.ndarray:
    start, half, low = c.i("start_step"), c.i("half_life_steps"), c.f("min")
    limit = start + half * math.log(low) / math.log(0.5)
    decay = exponential((start, 1.0), (limit, low))
    return c.f("base_lr") * c.f("initial_value") * decay(s)


REFERENCES: dict[str, Callable[[Stored, np.ndarray], np.ndarray]] = {
    "LinearRampupPolynomialDecay": ref_polynomial_decay,
    "LinearRampupCosineDecay": ref_cosine_decay,
    "LinearRampupExponentialDecay": ref_exponential_decay,
    "PiecewiseConstant": ref_piecewise_constant,
    "LinearRampupPiecewiseConstant": ref_rampup_piecewise_constant,
    "Transformer": ref_transformer,
    "SqrtDecay": ref_sqrt_decay,
    "LinearRampupSqrtDecay": ref_rampup_sqrt_decay,
    "Cosine": ref_cosine,
    "ContinuousSchedule": ref_continuous,
}


def edges(family: str, c: Stored, limit: int) -> list[int]:
    """Steps where the family's formula switches regime."""
    if family.startswith("LinearRampup") and family.endswith("Decay") and family != "LinearRampupSqrtDecay":
        return [c.i("warmup_steps"), c.i("decay_start"), c.i("decay_end")]
    if family in ("PiecewiseConstant", "LinearRampupPiecewiseConstant"):
        return c.vec("boundaries", np.int64).tolist()
    if family == "Transformer":
        end = [] if c["decay_end"] is None else [c.i("decay_end")]
        return [c.i("warmup_steps") * c.i("worker_replicas") - 1, *end]
    if family == "SqrtDecay":
        return [math.floor(c.f("offset") + c.i("decay_start"))]
    if family == "LinearRampupSqrtDecay":
        return [c.i("warmup_steps")]
    if family == "Cosine":
        return [c.i("total_steps")]
    if family == "ContinuousSchedule":
        start, half = c.i("start_step"), c.i("half_life_steps")
        end = start + half * math.log(c.f("min")) / math.log(0.5)
        return [start, start + half, math.floor(end), math.ceil(end)]
    return []


# ------------------------------------------------------------------------------------------------------
# Configs: hand-picked (the sampled ones come from cls.sample)
# ------------------------------------------------------------------------------------------------------
def _rampups(family: str, **extra: float) -> list[Config]:
    """The phase layouts of the LinearRampup* decays: no warmup, a hold, warmup == decay_start, a long
    decay, a one-step decay."""
    return [
        hand(family, "no_warmup", decay_end=1000, min_ratio=0.01, max=1.0, **extra),
        hand(
            family, "hold", warmup_steps=100, decay_start=500, decay_end=2500, max=1.0, base_lr=3e-4, **extra
        ),
        hand(family, "no_hold", warmup_steps=4000, decay_start=4000, decay_end=10**6, max=2.0, **extra),
        hand(family, "one_step_decay", warmup_steps=3, decay_start=7, decay_end=8, min_ratio=0.5, max=1.0),
    ]


HAND: dict[str, list[Config]] = {
    "LinearRampupPolynomialDecay": [
        *_rampups("LinearRampupPolynomialDecay", power=2.0),
        hand(
            "LinearRampupPolynomialDecay",
            "power0",
            warmup_steps=10,
            decay_start=10,
            decay_end=50,
            power=0.0,
            max=1.0,
        ),
        hand(
            "LinearRampupPolynomialDecay",
            "power_half_to_zero",
            decay_start=20,
            decay_end=777,
            power=0.5,
            min_ratio=0.0,
            max=1.0,
        ),
    ],
    "LinearRampupCosineDecay": [
        *_rampups("LinearRampupCosineDecay"),
        hand(
            "LinearRampupCosineDecay",
            "to_zero",
            warmup_steps=1,
            decay_start=1,
            decay_end=3001,
            min_ratio=0.0,
            max=1.0,
        ),
    ],
    "LinearRampupExponentialDecay": [
        *_rampups("LinearRampupExponentialDecay"),
        hand(
            "LinearRampupExponentialDecay",
            "tiny_ratio",
            warmup_steps=50,
            decay_start=50,
            decay_end=10**5,
            min_ratio=1e-6,
            max=1.0,
        ),
    ],
    "PiecewiseConstant": [
        hand("PiecewiseConstant", "decays", boundaries=[1000, 5000, 9000], values=[1.0, 0.1, 0.01, 0.001]),
        hand("PiecewiseConstant", "no_boundaries", boundaries=[], values=[0.5]),
        hand(
            "PiecewiseConstant",
            "boundary_0_and_repeat",
            boundaries=[0, 10, 10, 20],
            values=[3, 2, 1, 0.5, 0.25],
        ),
        # praxis keeps the first positive value it meets: a 0 takes the next positive one, or stays 0
        hand("PiecewiseConstant", "zeros", boundaries=[10, 20, 30, 40], values=[1.0, 0.0, 0.5, 0.0, 0.25]),
        hand("PiecewiseConstant", "zero_tail", boundaries=[10, 20], values=[1.0, 0.0, 0.0]),
        hand(
            "PiecewiseConstant", "large", boundaries=[10**6, 3 * 10**6], values=[0.1, 0.2, 0.05], base_lr=0.5
        ),
    ],
    "LinearRampupPiecewiseConstant": [
        hand("LinearRampupPiecewiseConstant", "one", boundaries=[100], values=[1.0]),
        hand(
            "LinearRampupPiecewiseConstant",
            "decays",
            boundaries=[500, 10**5, 2 * 10**5],
            values=[1.0, 0.1, 0.01],
            base_lr=1e-3,
        ),
        # praxis sorts only boundaries[1:]: one below boundaries[0] is passed when the ramp ends
        hand(
            "LinearRampupPiecewiseConstant", "unsorted_head", boundaries=[50, 20, 80], values=[1.0, 0.5, 0.25]
        ),
        hand("LinearRampupPiecewiseConstant", "zeros", boundaries=[1, 5, 9], values=[1.0, 0.0, 0.3]),
    ],
    "Transformer": [
        hand("Transformer", "defaults"),
        hand(
            "Transformer",
            "replicas_decay_end",
            warmup_steps=1000,
            model_dim=1024,
            worker_replicas=4,
            decay_end=20_000,
        ),
        hand("Transformer", "no_warmup", warmup_steps=0, model_dim=64, base_lr=2.0),
        hand("Transformer", "decay_end_0", warmup_steps=10, decay_end=0),
    ],
    "SqrtDecay": [
        hand("SqrtDecay", "defaults"),
        hand("SqrtDecay", "offset", decay_start=100, multiplier=3.0, offset=1234.5),
        hand("SqrtDecay", "negative_offset", decay_start=1, offset=-7.0, base_lr=0.1),
    ],
    "LinearRampupSqrtDecay": [
        hand("LinearRampupSqrtDecay", "defaults"),
        hand("LinearRampupSqrtDecay", "short", peak=0.5, warmup_steps=1),
        hand("LinearRampupSqrtDecay", "no_warmup", warmup_steps=0),
    ],
    "Cosine": [
        hand("Cosine", "down", initial_value=1.0, final_value=0.0, total_steps=10_000),
        hand("Cosine", "up", initial_value=0.1, final_value=1.5, total_steps=7),
        hand("Cosine", "one_step", total_steps=1, base_lr=0.01),
    ],
    "ContinuousSchedule": [
        hand("ContinuousSchedule", "defaults"),
        hand("ContinuousSchedule", "from_0", start_step=0, half_life_steps=1000, min=0.25),
        hand("ContinuousSchedule", "tiny_min", start_step=30, half_life_steps=7, min=1e-6, initial_value=2.0),
    ],
}


@pytest.mark.parametrize(("cfg", "precision"), params(FAMILIES, HAND))
def test_matches_closed_form(cfg: Config, precision: str) -> None:
    """lrjit within the float32 / x64 bound of the float64 transcription at every tested step."""
    check_closed_form(cfg, precision, REFERENCES, edges)
