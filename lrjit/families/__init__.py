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
from lrjit.families.torch import (
    ConstantLR,
    CosineAnnealingLR,
    CosineAnnealingWarmRestarts,
    CyclicLR,
    ExponentialLR,
    LinearLR,
    MultiStepLR,
    OneCycleLR,
    OneCycleMomentum,
    PolynomialLR,
    StepLR,
)

__all__ = [
    "ConstantLR",
    "CosineAnnealingLR",
    "CosineAnnealingWarmRestarts",
    "CosineDecay",
    "CosineDecayRestarts",
    "CosineScheduler",
    "CyclicLR",
    "ExponentialDecay",
    "ExponentialLR",
    "FactorScheduler",
    "InverseTimeDecay",
    "LinearCosineDecay",
    "LinearLR",
    "MultiFactorScheduler",
    "MultiStepLR",
    "NaturalExpDecay",
    "NoisyLinearCosineDecay",
    "OneCycleLR",
    "OneCycleMomentum",
    "PiecewiseConstantDecay",
    "PolyScheduler",
    "PolynomialDecay",
    "PolynomialLR",
    "SquareRootScheduler",
    "StepLR",
]

from lrjit.families.t5x import FactorSchedule, Noam
from lrjit.families.timm import CosineLRScheduler, PolyLRScheduler, TanhLRScheduler
from lrjit.families.transformers import (
    CosineWithHardRestarts,
    CosineWithMinLR,
    InverseSqrt,
    PolynomialWithWarmup,
    Triangular,
    TriStage,
    WarmupStableDecay,
)

__all__ += [
    "CosineLRScheduler",
    "CosineWithHardRestarts",
    "CosineWithMinLR",
    "FactorSchedule",
    "InverseSqrt",
    "Noam",
    "PolyLRScheduler",
    "PolynomialWithWarmup",
    "TanhLRScheduler",
    "TriStage",
    "Triangular",
    "WarmupStableDecay",
]
