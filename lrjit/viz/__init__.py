"""Plots of schedules, batches and sweeps (``lrjit.plot``; matplotlib is the optional ``plot`` extra)."""

from lrjit.viz.plotting import BAND_ABOVE, plot

__all__ = ["BAND_ABOVE", "plot"]
