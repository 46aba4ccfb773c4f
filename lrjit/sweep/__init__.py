"""Sweeps: search spaces as data (:mod:`lrjit.sweep.space`), sweeps over several structures
(:mod:`lrjit.sweep.mixed`) and evaluation at any size (:mod:`lrjit.sweep.evaluate`)."""

from lrjit.sweep.evaluate import STATS, curves, reduce
from lrjit.sweep.mixed import Sweep
from lrjit.sweep.space import Distribution, choice, grid, integers, log_uniform, random, uniform

__all__ = [
    "STATS",
    "Distribution",
    "Sweep",
    "choice",
    "curves",
    "grid",
    "integers",
    "log_uniform",
    "random",
    "reduce",
    "uniform",
]
