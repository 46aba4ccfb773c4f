"""The schedule core: the pytree base class, field declarations, steps, batches and checked evaluation."""

from lrjit.core.batch import (
    batch_size,
    combine,
    config_axes,
    curves,
    is_float_leaf,
    partition,
    stack,
    unstack,
)
from lrjit.core.checked import checked_call
from lrjit.core.fields import Domain, Kind, child, leaf, static
from lrjit.core.schedule import Config, Schedule, registry
from lrjit.core.steps import as_step_array

__all__ = [
    "Config",
    "Domain",
    "Kind",
    "Schedule",
    "as_step_array",
    "batch_size",
    "checked_call",
    "child",
    "combine",
    "config_axes",
    "curves",
    "is_float_leaf",
    "leaf",
    "partition",
    "registry",
    "stack",
    "static",
    "unstack",
]
