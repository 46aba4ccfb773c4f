"""Schedules of other libraries read as lrjit schedules: one module per source library, each registering
its importers with :mod:`lrjit.frontend.importers` (so :func:`lrjit.compile` recognizes their objects)."""

from lrjit.interop.keras import from_keras
from lrjit.interop.torch import describe_torch, from_torch

__all__ = ["describe_torch", "from_keras", "from_torch"]
