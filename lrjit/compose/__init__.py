"""Composition: schedules built from schedules, each itself an ordinary schedule (a pytree whose leaves
are every piece's hyperparameters, evaluated in one fused kernel)."""

from lrjit.compose.arithmetic import (
    Clip,
    Difference,
    Maximum,
    Minimum,
    Product,
    Quotient,
    Sum,
    clip,
    maximum,
    minimum,
)
from lrjit.compose.base import Constant
from lrjit.compose.sequence import Sequence, StackedSequence, sequence
from lrjit.compose.timeline import Hold, Offset, Repeat
from lrjit.compose.warmup import Warmup, warmup

__all__ = [
    "Clip",
    "Constant",
    "Difference",
    "Hold",
    "Maximum",
    "Minimum",
    "Offset",
    "Product",
    "Quotient",
    "Repeat",
    "Sequence",
    "StackedSequence",
    "Sum",
    "Warmup",
    "clip",
    "maximum",
    "minimum",
    "sequence",
    "warmup",
]
