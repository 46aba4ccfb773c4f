"""Schedules of other libraries read as lrjit schedules: one module per source library, each an adapter
table (one entry per source class: how to read it and which lrjit schedule it becomes) registering its
importers with :mod:`lrjit.frontend.importers` (so :func:`lrjit.compile` recognizes their objects and
dicts by content)."""

from lrjit.interop import optax as optax  # optax-signature constructors: lrjit.interop.optax.*
from lrjit.interop.big_vision import from_big_vision
from lrjit.interop.deepspeed import from_deepspeed
from lrjit.interop.hydra import from_hydra
from lrjit.interop.keras import from_keras
from lrjit.interop.levanter import from_levanter
from lrjit.interop.maxtext import from_maxtext
from lrjit.interop.nemo import from_nemo
from lrjit.interop.scenic import from_scenic
from lrjit.interop.t5x import from_t5x_gin
from lrjit.interop.tf_slim import from_tf_slim
from lrjit.interop.timm import from_timm
from lrjit.interop.torch import describe_torch, from_torch
from lrjit.interop.transformers import from_transformers

__all__ = [
    "describe_torch",
    "from_big_vision",
    "from_deepspeed",
    "from_hydra",
    "from_keras",
    "from_levanter",
    "from_maxtext",
    "from_nemo",
    "from_scenic",
    "from_t5x_gin",
    "from_tf_slim",
    "from_timm",
    "from_torch",
    "from_transformers",
]
