"""lrjit: learning-rate schedules as pytrees, compiled by JAX/XLA into one fused kernel.

Every schedule is an immutable pytree whose leaves are all of its numeric hyperparameters and a pure
function of an integer step array, so ``jit``, ``vmap`` over configs and ``grad`` reach every knob::

    import lrjit
    sched = lrjit.CosineDecay(0.1, decay_steps=10_000, warmup_target=1.0, warmup_steps=500)
    lr = sched(step)                                   # any-shape integer steps
    batch = lrjit.stack([lrjit.CosineDecay(r, 10_000) for r in (0.1, 0.3, 1.0)])
    matrix = lrjit.curves(batch, 10_000)               # [3, 10_000], one jitted kernel
"""

import types
from typing import TYPE_CHECKING

from lrjit.compose import *  # noqa: F403
from lrjit.compose import __all__ as _compose_names
from lrjit.core import (
    Config,
    FieldError,
    Schedule,
    batch_size,
    checked_call,
    combine,
    config_axes,
    fields_of,
    partition,
    registry,
    stack,
    unstack,
)
from lrjit.families import __all__ as _family_names

# Star imports from each library module (whose ``__all__`` is a literal list), so that type checkers see
# every family's constructor as ``lrjit.<Family>``.
from lrjit.families.big_vision import *  # noqa: F403
from lrjit.families.deepspeed import *  # noqa: F403
from lrjit.families.keras import *  # noqa: F403
from lrjit.families.levanter import *  # noqa: F403
from lrjit.families.maxtext import *  # noqa: F403
from lrjit.families.mxnet import *  # noqa: F403
from lrjit.families.nemo import *  # noqa: F403
from lrjit.families.optax import *  # noqa: F403
from lrjit.families.praxis import *  # noqa: F403
from lrjit.families.scenic import *  # noqa: F403
from lrjit.families.t5x import *  # noqa: F403
from lrjit.families.tf_compat import *  # noqa: F403
from lrjit.families.timm import *  # noqa: F403
from lrjit.families.torch import *  # noqa: F403
from lrjit.families.transformers import *  # noqa: F403
from lrjit.frontend import (
    CompiledSchedule,
    ConfigError,
    SpecError,
    UnsupportedScheduleError,
    compile,
    from_config,
    parse,
    to_spec,
)
from lrjit.interop import (
    from_big_vision,
    from_deepspeed,
    from_hydra,
    from_keras,
    from_levanter,
    from_maxtext,
    from_nemo,
    from_scenic,
    from_t5x_gin,
    from_tf_slim,
    from_timm,
    from_torch,
    from_transformers,
)
from lrjit.sweep import (
    Distribution,
    Sweep,
    choice,
    curves,
    gather,
    grid,
    integers,
    log_uniform,
    random,
    reduce,
    shard,
    uniform,
)
from lrjit.viz import plot

if TYPE_CHECKING:
    from lrjit import analysis, train

__version__ = "0.1.0"

__all__ = [
    "Config",
    "FieldError",
    "Schedule",
    "batch_size",
    "checked_call",
    "combine",
    "config_axes",
    "curves",
    "fields_of",
    "registry",
    "partition",
    "stack",
    "unstack",
    "CompiledSchedule",
    "ConfigError",
    "SpecError",
    "UnsupportedScheduleError",
    "compile",
    "from_config",
    "from_keras",
    "from_torch",
    "parse",
    "to_spec",
    "plot",
    "Distribution",
    "Sweep",
    "choice",
    "grid",
    "integers",
    "log_uniform",
    "random",
    "reduce",
    "gather",
    "shard",
    "uniform",
    "train",
    *_compose_names,
    *_family_names,
    "from_big_vision",
    "from_deepspeed",
    "from_levanter",
    "from_maxtext",
]
__all__ += ["from_timm", "from_transformers"]
__all__ += ["analysis"]
__all__ += ["from_scenic", "from_t5x_gin"]
__all__ += ["from_hydra", "from_tf_slim"]
__all__ += ["from_nemo"]


def __getattr__(name: str) -> types.ModuleType:
    # ``lrjit.train`` (optax-based training helpers) and ``lrjit.analysis`` (loss-curve laws) load on
    # first use, so ``import lrjit`` stays light.
    if name in ("train", "analysis"):
        import importlib

        return importlib.import_module(f"lrjit.{name}")
    raise AttributeError(f"module 'lrjit' has no attribute {name!r}")
