"""``lrjit.compile``: any schedule form (spec string, config dict, Keras or torch object, schedule) into a
compiled evaluator whose optimized program can be inspected."""

from __future__ import annotations

import re
from typing import Any

import jax

from lrjit.core import Schedule, as_step_array, curves
from lrjit.core.batch import curves_range
from lrjit.frontend.config import from_config
from lrjit.frontend.importers import find_importer, importers
from lrjit.frontend.language import parse

__all__ = ["CompiledSchedule", "compile", "to_schedule"]

# One jitted evaluator for every schedule: JAX caches it by structure (family, static fields, leaf shapes
# and dtypes), so configs of one structure share a compiled program.
_evaluate = jax.jit(lambda schedule, step: schedule(step))
_INSTRUCTION = re.compile(r"^\s*(?:ROOT\s+)?%\S+\s*=\s*(\w+)\[([\d,]*)\]\S*\s+(\w[\w-]*)\(")


def to_schedule(spec: Any) -> Schedule:
    """The schedule a spec describes: an lrjit schedule as is; an object, dict or text a registered importer
    recognizes (a Keras schedule or its ``serialize`` dict, a torch scheduler, t5x's gin bindings, ...: see
    :mod:`lrjit.frontend.importers`) through that importer; another string through :func:`lrjit.parse`;
    another dict through :func:`lrjit.from_config`."""
    if isinstance(spec, Schedule):
        return spec
    importer = find_importer(spec)
    if importer is not None:
        return importer.load(spec)
    if isinstance(spec, str):
        return parse(spec)
    if isinstance(spec, dict):
        return from_config(spec)
    formats = ", ".join(imp.name for imp in importers())
    raise TypeError(
        f"cannot compile {type(spec).__name__}: expected an lrjit schedule, a spec string, a config dict "
        f"or an object of a registered format ({formats})"
    )


class CompiledSchedule:
    """A schedule with its jitted evaluator (one compiled program per structure, shared by every config of
    that structure).

    Attributes:
      schedule: the schedule (an ordinary lrjit pytree).
    """

    def __init__(self, schedule: Schedule) -> None:
        self.schedule = schedule

    def __repr__(self) -> str:
        return f"lrjit.compile({self.schedule!r})"

    def __call__(self, step: Any) -> jax.Array:
        """The learning rate at ``step`` (any-shape integer steps), through the jitted evaluator."""
        return _evaluate(self.schedule, as_step_array(step))

    def curves(self, steps: int | Any) -> jax.Array:
        """:func:`lrjit.curves` of the schedule: ``[N]`` (or ``[K, N]`` batched) in one jitted call."""
        return curves(self.schedule, steps)

    def hlo(self, steps: int = 10_000) -> str:
        """The optimized (post-XLA) HLO text of the whole curve over steps ``0..steps-1``."""
        return curves_range.lower(self.schedule, steps).compile().as_text()

    def kernels(self, steps: int = 10_000) -> list[tuple[str, str]]:
        """The instructions of the optimized program's entry computation that do work, as (shape, op):
        fusions and other computations; parameters, constants, tuples and layout-only ops are left out.
        A curve that is one fused kernel lists a single ``fusion`` with the curve's shape (a batched
        schedule may add small per-config fusions of its leaves)."""
        text = self.hlo(steps)
        entry = text[text.index("ENTRY") :].split("\n}", 1)[0]
        free = {"parameter", "constant", "tuple", "get", "bitcast", "copy"}
        out = []
        for line in entry.splitlines()[1:]:
            match = _INSTRUCTION.match(line)
            if match and match.group(3).split("-")[0] not in free:
                out.append((f"{match.group(1)}[{match.group(2)}]", match.group(3)))
        return out

    def curve_kernels(self, steps: int = 10_000) -> int:
        """How many kernels produce (or pass through memory) an array of the curve's full size: 1 when
        the whole curve is one fused kernel."""
        batch = jax.eval_shape(lambda: self.schedule(0)).shape
        size = int(steps) * (batch[0] if batch else 1)
        count = 0
        for shape, _ in self.kernels(steps):
            dims = [int(d) for d in shape[shape.index("[") + 1 : -1].split(",") if d]
            elements = 1
            for d in dims:
                elements *= d
            count += elements >= size
        return count


def compile(spec: Any) -> CompiledSchedule:
    """Compiles a schedule given in any supported form into a :class:`CompiledSchedule`.

    Args:
      spec: an lrjit schedule, a spec string (``"warmup(CosineDecay(0.1, 10_000), steps=500)"``, or a t5x
        factor string), a config dict from ``to_config``, a Keras ``LearningRateSchedule`` (or its
        ``keras.optimizers.schedules.serialize`` dict) or a torch ``LRScheduler``.

    Returns:
      The compiled evaluator: call it on steps; ``.hlo()`` shows the optimized program and
      ``.curve_kernels()`` counts the kernels of curve size (1: the whole curve is one fused kernel).
    """
    return CompiledSchedule(to_schedule(spec))
