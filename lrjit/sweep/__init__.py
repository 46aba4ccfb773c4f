"""Sweeps: search spaces as data (:mod:`lrjit.sweep.space`)."""

from lrjit.sweep.space import Distribution, choice, grid, integers, log_uniform, random, uniform

__all__ = ["Distribution", "choice", "grid", "integers", "log_uniform", "random", "uniform"]
