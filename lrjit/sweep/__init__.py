"""Sweeps: search spaces as data (:mod:`lrjit.sweep.space`), sweeps over several structures
(:mod:`lrjit.sweep.mixed`), evaluation at any size (:mod:`lrjit.sweep.evaluate`) and the config axis over
devices and hosts (:mod:`lrjit.sweep.devices`)."""

from lrjit.sweep.devices import gather, shard
from lrjit.sweep.evaluate import STATS, curves, reduce
from lrjit.sweep.mixed import Sweep
from lrjit.sweep.space import Distribution, choice, grid, integers, log_uniform, random, uniform

__all__ = [
    "STATS",
    "Distribution",
    "Sweep",
    "choice",
    "curves",
    "gather",
    "grid",
    "integers",
    "log_uniform",
    "random",
    "reduce",
    "shard",
    "uniform",
]
