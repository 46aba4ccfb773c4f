"""Training with lrjit: the optax bridge, population training, metric-driven schedules, exact resume.

- :mod:`lrjit.train.bridge`: lrjit schedules in optax; ``inject_hyperparams`` with float32
  hyperparameters whatever the params' dtype.
- :mod:`lrjit.train.population`: K models with K schedule configs in one jitted, vmapped step,
  or a whole training run of them as one jitted program (``population_run``).
- :mod:`lrjit.train.plateau`: torch's ReduceLROnPlateau as a pure state machine and an optax transform;
  Hugging Face's and timm's plateau settings read as one (``plateau_from_config``).
- :mod:`lrjit.train.checkpoint`: bit-exact checkpoints of any training state, structure-checked on load.
"""

from lrjit.train.bridge import as_optax_schedule, inject_hyperparams
from lrjit.train.checkpoint import (
    CheckpointError,
    CheckpointMismatchError,
    load_checkpoint,
    save_checkpoint,
)
from lrjit.train.plateau import (
    PlateauSetup,
    PlateauState,
    ReduceLROnPlateau,
    plateau_from_config,
    reduce_on_plateau,
)
from lrjit.train.plateau import scale as plateau_scale
from lrjit.train.population import (
    population_init,
    population_run,
    population_step,
    replicate,
    schedule_axes,
)

__all__ = [
    "CheckpointError",
    "CheckpointMismatchError",
    "PlateauSetup",
    "PlateauState",
    "ReduceLROnPlateau",
    "as_optax_schedule",
    "inject_hyperparams",
    "load_checkpoint",
    "plateau_from_config",
    "plateau_scale",
    "population_init",
    "population_run",
    "population_step",
    "reduce_on_plateau",
    "replicate",
    "save_checkpoint",
    "schedule_axes",
]
