"""Schedule families, grouped by the library whose names and values they reproduce: one module per
source library, each listing its public families in ``__all__`` (re-exported here and by ``lrjit``)."""

from lrjit.families import (
    big_vision,
    deepspeed,
    keras,
    levanter,
    maxtext,
    mxnet,
    nemo,
    optax,
    praxis,
    scenic,
    t5x,
    tf_compat,
    timm,
    torch,
    transformers,
)
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

# Concatenated (a form type checkers follow through ``from lrjit.families import *``).
__all__ = (
    keras.__all__
    + mxnet.__all__
    + t5x.__all__
    + tf_compat.__all__
    + timm.__all__
    + torch.__all__
    + transformers.__all__
    + deepspeed.__all__
    + maxtext.__all__
    + big_vision.__all__
    + levanter.__all__
    + nemo.__all__
    + optax.__all__
    + praxis.__all__
    + scenic.__all__
)
