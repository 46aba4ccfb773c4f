"""Schedule families, grouped by the library whose names and values they reproduce."""

from lrjit.families.keras import (
    CosineDecay,
    CosineDecayRestarts,
    ExponentialDecay,
    InverseTimeDecay,
    PiecewiseConstantDecay,
    PolynomialDecay,
)
from lrjit.families.mxnet import (
    CosineScheduler,
    FactorScheduler,
    MultiFactorScheduler,
    PolyScheduler,
    SquareRootScheduler,
)
from lrjit.families.tf_compat import LinearCosineDecay, NaturalExpDecay, NoisyLinearCosineDecay

__all__ = [
    "CosineDecay",
    "CosineDecayRestarts",
    "CosineScheduler",
    "ExponentialDecay",
    "FactorScheduler",
    "InverseTimeDecay",
    "LinearCosineDecay",
    "MultiFactorScheduler",
    "NaturalExpDecay",
    "NoisyLinearCosineDecay",
    "PiecewiseConstantDecay",
    "PolyScheduler",
    "PolynomialDecay",
    "SquareRootScheduler",
]
