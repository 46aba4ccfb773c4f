"""Composition: schedules built from schedules, each itself an ordinary schedule (a pytree whose leaves
are every piece's hyperparameters, evaluated in one fused kernel). The operator compositions (``Sum``,
``Product``, ..., ``Constant``) live in :mod:`lrjit.core.operators` and are re-exported here."""

from lrjit.compose.arithmetic import Clip, Maximum, Minimum, clip, maximum, minimum
from lrjit.compose.fractions import fractions
from lrjit.compose.function import StepFunction
from lrjit.compose.sequence import Sequence, StackedSequence, sequence
from lrjit.compose.timeline import Hold, Offset, PerEpoch, Repeat
from lrjit.compose.warmup import Warmup, warmup
from lrjit.core.operators import Constant, Difference, Product, Quotient, Sum

__all__ = [
    "Clip",
    "Constant",
    "Difference",
    "Hold",
    "Maximum",
    "Minimum",
    "Offset",
    "PerEpoch",
    "Product",
    "Quotient",
    "Repeat",
    "Sequence",
    "StackedSequence",
    "StepFunction",
    "Sum",
    "Warmup",
    "clip",
    "fractions",
    "maximum",
    "minimum",
    "sequence",
    "warmup",
]
