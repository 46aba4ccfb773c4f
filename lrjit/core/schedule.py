"""The :class:`Schedule` base: a config evaluated as a pure function of the step, and the registry.

``__call__`` validates and normalizes the step, then hands an integer array to the subclass's
``_evaluate``; every formula is written with ``jnp`` only, so the same code runs under ``jit``, ``vmap``
(one config per lane) and ``grad``. A concrete call (no tracer among the step and the leaves) runs the
jitted program of its structure and step shape, compiled once: the bits of ``jax.jit`` at the cost of
one dispatch. The arithmetic operators build the compositions
of :mod:`lrjit.core.operators`, which register themselves here (this module cannot import them: they are
schedules).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any, ClassVar

import jax
import numpy as np

from lrjit.core.axes import batch_size, share_equal_leaves, vmap_over_configs
from lrjit.core.config import Config
from lrjit.core.fields import FieldTypeError, is_traced
from lrjit.core.steps import as_step_array, concrete_steps

__all__ = [
    "Schedule",
    "Summary",
    "record_shared_leaves",
    "register_config_writer",
    "register_operator",
    "register_sample_role",
    "registry",
    "resident",
    "sample_child",
]

_FAMILIES: dict[str, type[Schedule]] = {}
# "+", "-", "*", "/" -> the composition class that builds ``left op right`` (lrjit.core.operators).
_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {}
# Samplers of sub-schedules for sampled compositions, by role (see ``sample_child``).
_SAMPLE_ROLES: dict[str, Callable[..., Schedule]] = {}
# The JSON config writer behind ``Schedule.to_config`` (lrjit.frontend.config registers it).
_CONFIG_WRITER: list[Callable[[Any], dict[str, Any]]] = []


def registry() -> dict[str, type[Schedule]]:
    """Every concrete schedule family and composition, by class name (the registry the tests and the spec
    compiler use; compositions have ``cls.composite`` set)."""
    return dict(_FAMILIES)


def register_operator(symbol: str, build: Callable[[Any, Any], Any]) -> None:
    """Makes ``schedule <symbol> other`` (and the reflected form) call ``build(left, right)``."""
    _OPERATORS[symbol] = build


def register_config_writer(write: Callable[[Any], dict[str, Any]]) -> None:
    """Sets the function behind :meth:`Schedule.to_config`."""
    _CONFIG_WRITER[:] = [write]


def register_sample_role(role: str, sampler: Callable[..., Schedule]) -> None:
    """Offers ``sampler(rng, vector_len, **role_args)`` for the sub-schedules of sampled compositions."""
    _SAMPLE_ROLES[role] = sampler


def sample_child(
    role: str, rng: np.random.Generator, *, vector_len: int | None = None, **role_args: Any
) -> Schedule:
    """A random sub-schedule for a composition's ``sample``, from the sampler registered for ``role``.

    Compositions hold any schedule; to sample one they need concrete pieces, and the composition layer
    names no family: families offer samplers for roles (``"decay"``: a curve decaying from its step-0
    peak; ``"modulator"``: a positive factor; ``"ramp"``: a linear ramp of ``length`` steps). One role
    always gives one structure, so sampled compositions of one class stack.
    """
    if role not in _SAMPLE_ROLES:
        raise LookupError(f"no schedule family offers the sample role {role!r}; import lrjit")
    return _SAMPLE_ROLES[role](rng, vector_len, **role_args)


def _evaluate_steps(schedule: Schedule, step: jax.Array) -> jax.Array:
    """``schedule`` at an integer step array of any shape (a leading config axis when batched)."""
    if batch_size(schedule) is None:
        return schedule._evaluate(step)
    return vmap_over_configs(lambda s, t: s._evaluate(t), schedule, step)


def resident(schedule: Schedule) -> Schedule:
    """``schedule`` as concrete evaluations run it, made on the first one and kept on the object: leaves
    on the default device (later calls pass device arrays instead of copying each leaf), and the leaves
    :func:`record_shared_leaves` found equal across a batch shared."""
    return _resident_flat(schedule)[0]


def _resident_flat(schedule: Schedule) -> tuple[Schedule, jax.tree_util.PyTreeDef, list[jax.Array]]:
    """:func:`resident`'s schedule with its treedef and leaves: a concrete call passes the leaves (a list
    of arrays, flattened by jit's dispatch without calling back into Python for every node)."""
    # Kept per x64 mode: the transfer canonicalizes dtypes as that mode does (int64 leaves become int32
    # without it), so a twin made in one mode is not the schedule another mode evaluates.
    x64 = bool(jax.config.jax_enable_x64)
    kept = schedule.__dict__.get("_resident_twin")
    if kept is not None and kept[0] == x64:
        return kept[1:]
    # Arrays spread over several processes are already where their program runs (device_put refuses them).
    twin = jax.tree.map(
        lambda x: x if _spans_processes(x) else jax.device_put(x),
        schedule.__dict__.get("_shared_form", schedule),
    )
    leaves, treedef = jax.tree_util.tree_flatten(twin)
    if any(is_traced(x) for x in leaves):
        return twin, treedef, leaves  # made inside a transformation, which traces the transfer: not kept
    object.__setattr__(schedule, "_resident_twin", (x64, twin, treedef, leaves))
    return twin, treedef, leaves


def _spans_processes(x: Any) -> bool:
    return isinstance(x, jax.Array) and not is_traced(x) and not x.is_fully_addressable


def record_shared_leaves(batch: Schedule) -> Schedule:
    """Records on a concrete batch which batched leaves hold K equal values, and returns it.

    Concrete evaluations (calls, ``lrjit.curves``) then pass those leaves unbatched, so whatever depends
    on them only is computed once for the batch (a sweep over the peak rate computes the curve's shape
    at [N], not [K, N]). The leaves keep their K axis: ``jax.vmap`` with ``in_axes=0`` still maps every
    leaf, and jitted code that takes the batch as an argument evaluates it as given.
    """
    shared = share_equal_leaves(batch)
    if shared is not batch:
        object.__setattr__(batch, "_shared_form", shared)
    return batch


@functools.partial(jax.jit, static_argnums=0)
def _evaluate_compiled(
    treedef: jax.tree_util.PyTreeDef, leaves: list[jax.Array], step: jax.Array
) -> jax.Array:
    """The compiled program concrete calls run, one per structure and step shape (cached by jit): no
    op-by-op dispatch, and the bits of ``jax.jit`` with the schedule as an argument (the same trace)."""
    return _evaluate_steps(jax.tree_util.tree_unflatten(treedef, leaves), step)


@dataclasses.dataclass(frozen=True)
class Summary:
    """A curve's landmarks (:meth:`Schedule.summary`): Python numbers for a single schedule, ``[K]`` arrays
    for a batched one. Ties go to the first step.

    Attributes:
      step0: the value at the first step evaluated (step 0 for a count of steps).
      peak, peak_step: the largest value and its step.
      final: the value at the last step evaluated.
      min, min_step: the smallest value and its step.
    """

    step0: Any
    peak: Any
    peak_step: Any
    final: Any
    min: Any
    min_step: Any

    @classmethod
    def from_curves(cls, values: Any, steps: Any = None) -> Summary:
        """The summary of curves already evaluated: ``values`` ``[N]`` or ``[K, N]`` at ``steps`` (a 1-D
        array of the N steps; ``0..N-1`` when None)."""
        y = np.asarray(values)
        if y.ndim not in (1, 2) or y.shape[-1] == 0:
            raise ValueError(f"summary needs [N] or [K, N] values with N >= 1, got shape {y.shape}")
        grid = np.arange(y.shape[-1]) if steps is None else np.asarray(steps)
        out = (y[..., 0], y.max(-1), grid[y.argmax(-1)], y[..., -1], y.min(-1), grid[y.argmin(-1)])
        return cls(*(x.item() if x.ndim == 0 else x for x in out))


class Schedule(Config):
    """A learning-rate schedule: an immutable pytree, evaluated as a pure function of the step.

    Subclasses declare fields with :func:`leaf` / :func:`static` and implement ``_evaluate(step)`` for an
    integer step array of any shape (one config; batching is done by ``vmap``). Every concrete subclass
    is listed by :func:`registry`; pass ``abstract=True`` in the class statement for a shared base.

    Class attributes:
      reference: the source-library object whose values the family reproduces.
      composite: built from other schedules (a composition).
    """

    reference: ClassVar[str] = ""
    composite: ClassVar[bool] = False
    __array_ufunc__ = None  # NumPy scalars defer to the operators below: np.float32(2) * sched

    def __init_subclass__(cls, abstract: bool = False, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not abstract:
            _FAMILIES[cls.__name__] = cls

    # -------------------------------------------------------------------------------- evaluation
    def __call__(self, step: Any) -> jax.Array:
        """The learning rate at ``step``.

        Args:
          step: a Python int, or a NumPy/JAX integer scalar or array of any shape; step 0 is the first
            update. Float steps raise TypeError; concrete negative steps raise ValueError.

        Returns:
          A float array of ``step``'s shape (batched schedules prepend their batch axis), in the dtype of
          the float hyperparameters: float32 by default, float64 under x64 with float64 hyperparameters.
        """
        if is_traced(step) or (
            "_resident_twin" not in self.__dict__  # kept only for concrete leaves, which never change
            and any(is_traced(x) for x in jax.tree_util.tree_leaves(self))
        ):
            return _evaluate_steps(self, as_step_array(step))
        _, treedef, leaves = _resident_flat(self)
        return _evaluate_compiled(treedef, leaves, concrete_steps(step))

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "_resident_twin"}

    def _evaluate(self, step: jax.Array) -> jax.Array:
        raise NotImplementedError

    def summary(self, steps: int | Any) -> Summary:
        """The curve's landmarks over ``steps`` (a count N: steps ``0..N-1``; or a 1-D array of steps):
        the first and last values, the peak and the minimum with their steps (see :class:`Summary`).

        Example:
          >>> import lrjit
          >>> lrjit.warmup(lrjit.CosineDecay(1.0, decay_steps=100), steps=10).summary(120)
          Summary(step0=0.0, peak=1.0, peak_step=10, final=0.0, min=0.0, min_step=0)
        """
        if isinstance(steps, bool) or (np.ndim(steps) == 0 and not isinstance(steps, int | np.integer)):
            raise TypeError(f"summary: steps must be a count or a 1-D array of steps, got {steps!r:.60}")
        grid = np.arange(steps) if np.ndim(steps) == 0 else np.asarray(steps)
        if grid.ndim != 1 or grid.size == 0:
            raise ValueError(
                f"summary: steps must be a count >= 1 or a 1-D array of steps, got {steps!r:.60}"
            )
        return Summary.from_curves(self(grid), grid)

    def to_config(self) -> dict[str, Any]:
        """This schedule as a JSON-safe dict (family, every field, nested compositions, a format version);
        ``lrjit.from_config`` rebuilds it with bit-identical leaves. See :mod:`lrjit.frontend.config`."""
        if not _CONFIG_WRITER:
            raise RuntimeError("no config writer is registered; import lrjit")
        return _CONFIG_WRITER[0](self)

    def _convert_child(self, name: str, layout: str, value: Any) -> Any:
        """A sub-schedule field's value, checked: a schedule, or a tuple of them for the "tuple" layout."""
        owner = type(self).__name__
        if layout == "tuple":
            if not isinstance(value, tuple | list) or not value:
                raise FieldTypeError(
                    owner, name, f"`{name}` must be a non-empty list of lrjit schedules, got {value!r:.60}"
                )
            for i, item in enumerate(value):
                if not isinstance(item, Schedule):
                    raise FieldTypeError(
                        owner, name, f"`{name}` must be a list of lrjit schedules; item {i} is {item!r:.60}"
                    )
            return tuple(value)
        if not isinstance(value, Schedule):
            raise FieldTypeError(owner, name, f"`{name}` must be an lrjit schedule, got {value!r:.80}")
        return value

    # ------------------------------------------------------------------------------- arithmetic
    # ``s1 * s2``, ``0.5 * s``, ``s + 1e-5``...: compositions (lrjit.core.operators); numbers become
    # constants.
    def __add__(self, other: Any) -> Any:
        return _apply("+", self, other)

    def __radd__(self, other: Any) -> Any:
        return _apply("+", other, self)

    def __sub__(self, other: Any) -> Any:
        return _apply("-", self, other)

    def __rsub__(self, other: Any) -> Any:
        return _apply("-", other, self)

    def __mul__(self, other: Any) -> Any:
        return _apply("*", self, other)

    def __rmul__(self, other: Any) -> Any:
        return _apply("*", other, self)

    def __truediv__(self, other: Any) -> Any:
        return _apply("/", self, other)

    def __rtruediv__(self, other: Any) -> Any:
        return _apply("/", other, self)

    def __neg__(self) -> Any:
        return _apply("*", -1.0, self)


def _apply(symbol: str, left: Any, right: Any) -> Any:
    return _OPERATORS[symbol](left, right)
