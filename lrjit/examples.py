"""One representative config per family: the demo's table and gallery, and the docs' examples."""

from __future__ import annotations

import lrjit
from lrjit.core.schedule import Schedule

__all__ = ["EXAMPLE_STEPS", "examples"]

EXAMPLE_STEPS = 10_000


def examples() -> dict[str, Schedule]:
    """A representative config of every family, keyed by family name, over ``EXAMPLE_STEPS`` steps."""
    n = EXAMPLE_STEPS
    return {
        "CosineDecay": lrjit.CosineDecay(0.0, n - 1000, alpha=0.05, warmup_target=0.1, warmup_steps=1000),
        "CosineDecayRestarts": lrjit.CosineDecayRestarts(0.1, 1000, t_mul=2.0, m_mul=0.8, alpha=0.01),
        "ExponentialDecay": lrjit.ExponentialDecay(0.1, 1000, 0.7, staircase=True),
        "InverseTimeDecay": lrjit.InverseTimeDecay(0.1, 1000, 0.5),
        "PiecewiseConstantDecay": lrjit.PiecewiseConstantDecay([3000, 6000, 8000], [0.1, 0.03, 0.01, 0.003]),
        "PolynomialDecay": lrjit.PolynomialDecay(0.1, 3000, end_learning_rate=0.001, power=2.0, cycle=True),
        "NaturalExpDecay": lrjit.NaturalExpDecay(0.1, 1000, 0.3),
        "LinearCosineDecay": lrjit.LinearCosineDecay(0.1, n, num_periods=4.0, alpha=0.0, beta=0.001),
        "NoisyLinearCosineDecay": lrjit.NoisyLinearCosineDecay(
            0.1, n, initial_variance=0.05, variance_decay=0.55, num_periods=4.0, key=0
        ),
        "FactorScheduler": lrjit.FactorScheduler(
            2000, 0.5, base_lr=0.1, warmup_steps=500, warmup_begin_lr=0.01
        ),
        "MultiFactorScheduler": lrjit.MultiFactorScheduler([4000, 7000, 9000], 0.3, base_lr=0.1),
        "PolyScheduler": lrjit.PolyScheduler(n, base_lr=0.1, pwr=2.0, final_lr=0.001, warmup_steps=800),
        "CosineScheduler": lrjit.CosineScheduler(n, base_lr=0.1, final_lr=0.001, warmup_steps=800),
        "SquareRootScheduler": lrjit.SquareRootScheduler(0.1),
    }
