"""Schedules of other libraries read as lrjit schedules: one module per source library, each an adapter
table (one entry per source class: how to read it and which lrjit schedule it becomes) registering its
importers with :mod:`lrjit.frontend.importers` (so :func:`lrjit.compile` recognizes their objects and
dicts by content)."""

from lrjit.interop.keras import from_keras
from lrjit.interop.timm import from_timm
from lrjit.interop.torch import describe_torch, from_torch
from lrjit.interop.transformers import from_transformers

__all__ = ["describe_torch", "from_keras", "from_torch"]
__all__ += ["from_timm", "from_transformers"]
