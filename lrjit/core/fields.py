"""Field declarations for schedule dataclasses: leaves, static structure and their domains.

A schedule's dataclass fields are declared with :func:`leaf` (a numeric hyperparameter: a pytree leaf that
``jit``/``vmap``/``grad`` see) or :func:`static` (structure: part of the pytree definition, so changing it
means a different compiled kernel). Each leaf has a *kind* (how a value is converted and how many trailing
dimensions one config has) and optionally a *domain* (the allowed range, used for the ValueError raised on
concrete input, for ``checkify`` checks on traced input, and for sampling random configs).
"""

from __future__ import annotations

import dataclasses
import enum
import math
import re
from collections.abc import Callable, Sequence
from typing import Any, TypeAlias

import jax
import jax.numpy as jnp
import numpy as np

__all__ = [
    "BoolLike",
    "Domain",
    "FieldError",
    "FieldGroup",
    "FieldSpec",
    "FieldTypeError",
    "FloatLike",
    "FloatVector",
    "IntLike",
    "IntVector",
    "KeyLike",
    "Kind",
    "child",
    "default_float_dtype",
    "default_int_dtype",
    "int_range",
    "is_traced",
    "leaf",
    "log_uniform",
    "static",
    "uniform",
]

_SPEC_KEY = "lrjit"

# What a leaf field accepts, for annotations (editors and type checkers show these in the constructors).
# A leaf may also be an array with a leading config axis (a batch) or a traced value, hence ``jax.Array``.
FloatLike: TypeAlias = float | np.floating | np.ndarray | jax.Array
IntLike: TypeAlias = int | np.integer | np.ndarray | jax.Array
BoolLike: TypeAlias = bool | np.bool_ | np.ndarray | jax.Array
KeyLike: TypeAlias = int | jax.Array | np.ndarray
FloatVector: TypeAlias = Sequence[float] | np.ndarray | jax.Array
IntVector: TypeAlias = Sequence[int] | np.ndarray | jax.Array

_BACKTICKED = re.compile(r"`(\w+)`")


class FieldError(ValueError):
    """A hyperparameter outside its allowed values, or a rule across fields broken.

    Attributes:
      owner: the class that refused the value.
      fields: the fields the error is about, the offending one first (for a rule across fields, every
        field it names).
    """

    def __init__(self, owner: str, fields: str | Sequence[str], message: str) -> None:
        super().__init__(f"{owner}: {message}")
        self.owner = owner
        self.fields = (fields,) if isinstance(fields, str) else tuple(fields)

    @classmethod
    def from_rule(cls, owner: str, message: str) -> FieldError:
        """The error for a broken cross-field rule; its fields are the names the message puts in backticks
        (the convention every rule message follows: "`lb` must be < `ub`")."""
        return cls(owner, tuple(dict.fromkeys(_BACKTICKED.findall(message))), message)


class FieldTypeError(FieldError, TypeError):
    """A hyperparameter of the wrong type (a string for a number, a float for a count held under jit)."""


def is_traced(value: Any) -> bool:
    """True when ``value`` is an abstract value inside a JAX transformation (no concrete number)."""
    return isinstance(value, jax.core.Tracer)


def default_float_dtype() -> np.dtype:
    """float32, or float64 when JAX's x64 mode is on."""
    return np.dtype(jax.dtypes.canonicalize_dtype(np.float64))


def default_int_dtype() -> np.dtype:
    """int32, or int64 when JAX's x64 mode is on."""
    return np.dtype(jax.dtypes.canonicalize_dtype(np.int64))


class Kind(enum.Enum):
    """How a leaf's value is stored, and how many dimensions one (unbatched) config has."""

    FLOAT = ("float", 0)
    INT = ("int", 0)
    BOOL = ("bool", 0)
    KEY = ("key", 0)
    FLOAT_VECTOR = ("float", 1)
    INT_VECTOR = ("int", 1)

    @property
    def scalar_kind(self) -> str:
        return self.value[0]

    @property
    def base_ndim(self) -> int:
        return self.value[1]


@dataclasses.dataclass(frozen=True)
class Domain:
    """The allowed values of a leaf.

    Attributes:
      description: completes "`name` must be ...", e.g. "a finite float >= 0".
      predicate: ``predicate(x, xp) -> bool array``; ``xp`` is numpy for concrete values and jax.numpy
        under tracing. NaN must fail it.
      sample: ``sample(rng) -> Python scalar`` drawn from a representative part of the domain.
    """

    description: str
    predicate: Callable[[Any, Any], Any]
    sample: Callable[[np.random.Generator], Any]

    def check_concrete(self, owner: str, name: str, value: np.ndarray) -> None:
        ok = np.asarray(self.predicate(value, np), dtype=bool)
        if not ok.all():
            raise FieldError(owner, name, f"`{name}` must be {self.description}, got {_first_bad(value, ok)}")


def describe_bad(value: np.ndarray, ok: np.ndarray) -> str:
    """The first value where ``ok`` is False, with its index for arrays (for error messages)."""
    return _first_bad(np.asarray(value), np.asarray(ok))


def _first_bad(value: np.ndarray, ok: np.ndarray) -> str:
    if value.ndim == 0:
        return _fmt(value)
    idx = tuple(int(i) for i in np.argwhere(~np.broadcast_to(ok, value.shape))[0])
    return f"{_fmt(value[idx])} (at index {idx if len(idx) > 1 else idx[0]})"


def _fmt(x: Any) -> str:
    """A value as the user wrote it: the shortest decimal of its dtype (-0.1, not -0.10000000149...)."""
    x = np.asarray(x)
    return str(x[()]) if x.ndim == 0 else np.array2string(x, separator=", ")


# Samplers for domains (``Domain(..., sample=uniform(0.1, 1.0))``): representative values, not the whole
# allowed range.
def log_uniform(lo: float, hi: float) -> Callable[[np.random.Generator], float]:
    """Draws floats log-uniformly in [lo, hi]."""
    return lambda rng: float(math.exp(rng.uniform(math.log(lo), math.log(hi))))


def uniform(lo: float, hi: float) -> Callable[[np.random.Generator], float]:
    """Draws floats uniformly in [lo, hi)."""
    return lambda rng: float(rng.uniform(lo, hi))


def int_range(lo: int, hi: int) -> Callable[[np.random.Generator], int]:
    """Draws integers uniformly in [lo, hi]."""
    return lambda rng: int(rng.integers(lo, hi + 1))


# The domains used by the families. Predicates are written with operators that numpy and jax.numpy share.
NONNEG = Domain("a finite float >= 0", lambda x, xp: xp.isfinite(x) & (x >= 0), log_uniform(1e-4, 1.0))
POSITIVE = Domain("a finite float > 0", lambda x, xp: xp.isfinite(x) & (x > 0), log_uniform(1e-3, 10.0))
FINITE = Domain("a finite float", lambda x, xp: xp.isfinite(x), uniform(-2.0, 2.0))
UNIT = Domain("a float in [0, 1]", lambda x, xp: (x >= 0) & (x <= 1), uniform(0.0, 0.5))
DECAY_RATE = Domain("a finite float > 0", lambda x, xp: xp.isfinite(x) & (x > 0), uniform(0.05, 0.99))
POSITIVE_INT = Domain("an integer >= 1", lambda x, xp: x >= 1, int_range(1, 2000))
NONNEG_INT = Domain("an integer >= 0", lambda x, xp: x >= 0, int_range(0, 500))
POWER = Domain("a finite float >= 0", NONNEG.predicate, uniform(0.5, 3.0))
BOOLEAN = Domain(
    "a bool", lambda x, xp: xp.ones(xp.shape(x), dtype=bool), lambda rng: bool(rng.integers(0, 2))
)


@dataclasses.dataclass(frozen=True)
class FieldSpec:
    """What lrjit knows about one dataclass field (see :func:`lrjit.core.fields_of`).

    Attributes:
      name: the field's name (set when its class is created).
      static: structure (part of the treedef) rather than a leaf.
    """

    static: bool
    kind: Kind | None = None
    domain: Domain | None = None
    optional: bool = False  # None allowed: a structural choice (None has no leaves)
    choices: tuple[Any, ...] | None = None  # allowed values of a static field
    # An open-ended static field (e.g. a product of factor names): ``normalize(owner, value)`` returns the
    # canonical value or raises ValueError naming the field; ``examples`` are representative values.
    normalize: Callable[[str, Any], Any] | None = None
    examples: tuple[Any, ...] | None = None
    # A sub-schedule field (composition): "one" schedule, a "tuple" of schedules, or one schedule
    # "stacked" along a leading piece axis (its leaves have one more dimension than a single config).
    child: str | None = None
    name: str = ""

    @property
    def is_leaf(self) -> bool:
        """A numeric hyperparameter (not structure, not a sub-schedule)."""
        return not self.static and self.child is None


def leaf(
    kind: Kind,
    domain: Domain | None = None,
    *,
    default: Any = dataclasses.MISSING,
    optional: bool = False,
) -> Any:
    """Declares a numeric hyperparameter: a pytree leaf (traced by jit, batched by vmap, seen by grad)."""
    spec = FieldSpec(static=False, kind=kind, domain=domain, optional=optional)
    return dataclasses.field(default=default, metadata={_SPEC_KEY: spec})


def static(
    *,
    default: Any = dataclasses.MISSING,
    choices: tuple[Any, ...] | None = None,
    normalize: Callable[[str, Any], Any] | None = None,
    examples: tuple[Any, ...] | None = None,
) -> Any:
    """Declares structure (a mode name, a layout): part of the pytree definition, never traced.

    Args:
      default: the default value.
      choices: the allowed values of a field with a fixed set of them.
      normalize: for an open-ended field instead, ``normalize(owner, value)`` gives the canonical (hashable)
        value or raises ValueError naming the field.
      examples: representative values of an open-ended field (for tests and sampling).
    """
    spec = FieldSpec(static=True, choices=choices, normalize=normalize, examples=examples)
    return dataclasses.field(default=default, metadata={_SPEC_KEY: spec})


def child(*, layout: str = "one", default: Any = dataclasses.MISSING) -> Any:
    """Declares a sub-schedule: a pytree subtree whose leaves are the sub-schedule's hyperparameters.

    Args:
      layout: ``"one"`` (a schedule), ``"tuple"`` (a tuple of schedules of any families) or ``"stacked"``
        (one schedule whose leaves carry a leading piece axis, as made by ``lrjit.stack``).
    """
    if layout not in ("one", "tuple", "stacked"):
        raise ValueError(f"child layout must be 'one', 'tuple' or 'stacked', got {layout!r}")
    spec = FieldSpec(static=False, child=layout)
    return dataclasses.field(default=default, metadata={_SPEC_KEY: spec})


class FieldGroup:
    """Field declarations several classes share, written once (kind, domain, default, choices).

    Each class still lists the fields it takes, in its own argument order (its source library's
    signature), but takes each declaration from the group::

        TIMM_CYCLES = FieldGroup(lr_min=leaf(Kind.FLOAT, NONNEG, default=0.0), ...)

        class CosineLRScheduler(Schedule):
            lr_min: FloatLike = TIMM_CYCLES.lr_min

    Every attribute access gives a fresh dataclass field, so classes never share a field object.
    """

    def __init__(self, **fields: Any) -> None:
        for name, f in fields.items():
            if not isinstance(f, dataclasses.Field) or field_spec(f) is None:
                raise TypeError(f"FieldGroup: `{name}` must be declared with leaf(), static() or child()")
        self._declared: dict[str, dataclasses.Field] = dict(fields)

    def __getattr__(self, name: str) -> Any:
        declared = self.__dict__.get("_declared", {})
        if name not in declared:
            raise AttributeError(f"this field group declares {sorted(declared)}, not {name!r}")
        f = declared[name]
        return dataclasses.field(default=f.default, default_factory=f.default_factory, metadata=f.metadata)


def field_spec(field: dataclasses.Field) -> FieldSpec | None:
    return field.metadata.get(_SPEC_KEY)


def convert_leaf(owner: str, name: str, kind: Kind, value: Any) -> Any:
    """Converts a user value to the stored leaf: NumPy arrays for concrete input, jax arrays otherwise.

    Python numbers take JAX's default dtypes (float32/int32, or 64-bit under x64); arrays keep a float
    dtype they already have. Integer leaves accept integral floats (``1e4``) and reject fractional ones:
    a step count is never silently floored.
    """
    if kind is Kind.KEY:
        return _convert_key(owner, name, value)
    traced = is_traced(value) or isinstance(value, jax.Array)
    xp = jnp if traced else np
    arr = value if traced else np.asarray(value)
    if jnp.issubdtype(arr.dtype, jnp.floating) and jnp.finfo(arr.dtype).bits < 32:
        # float16, bfloat16, float8: widened exactly; schedules compute in float32 (float64 under x64),
        # never in a narrower float (the optax bridge casts the rate to what the optimizer needs).
        arr = arr.astype(np.float32)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.bool_)):
        raise FieldTypeError(owner, name, f"`{name}` must be numeric, got {value!r}")
    if arr.ndim != kind.base_ndim and kind.base_ndim == 1 and arr.ndim == 0:
        raise FieldError(owner, name, f"`{name}` must be a 1-D sequence, got a scalar {value!r}")
    scalar = kind.scalar_kind
    if scalar == "bool":
        if not np.issubdtype(arr.dtype, np.bool_):
            raise FieldTypeError(owner, name, f"`{name}` must be a bool, got {value!r}")
        return arr
    if np.issubdtype(arr.dtype, np.bool_):
        raise FieldTypeError(owner, name, f"`{name}` must be a number, not a bool, got {value!r}")
    if scalar == "float":
        if np.issubdtype(arr.dtype, np.floating):
            dtype = jax.dtypes.canonicalize_dtype(arr.dtype)
        else:
            dtype = default_float_dtype()
        return xp.asarray(arr, dtype=dtype)
    # integer counts
    if np.issubdtype(arr.dtype, np.floating):
        if traced:
            raise FieldTypeError(
                owner, name, f"`{name}` must be an integer array, got a traced {arr.dtype} value"
            )
        if not np.all(np.isfinite(arr) & (np.floor(arr) == arr)):
            raise FieldError(owner, name, f"`{name}` must be an integer, got {_fmt(arr)}")
    int_dtype = default_int_dtype()
    if not traced:
        info = np.iinfo(int_dtype)
        if arr.size and (np.min(arr) < info.min or np.max(arr) > info.max):
            raise FieldError(
                owner, name, f"`{name}` must fit in {int_dtype} (enable x64 for larger), got {_fmt(arr)}"
            )
    return xp.asarray(arr, dtype=int_dtype)


def _convert_key(owner: str, name: str, value: Any) -> jax.Array:
    """A typed PRNG key from a key, raw uint32[..., 2] key data, or an int seed."""
    if isinstance(value, int | np.integer) and not isinstance(value, bool):
        return jax.random.key(int(value))
    arr = value if isinstance(value, jax.Array) or is_traced(value) else np.asarray(value)
    if jnp.issubdtype(arr.dtype, jax.dtypes.prng_key):
        return arr
    if arr.dtype == np.uint32 and arr.shape[-1:] == (2,):
        return jax.random.wrap_key_data(jnp.asarray(arr))
    raise FieldTypeError(
        owner, name, f"`{name}` must be a PRNG key (jax.random.key(seed)) or an int seed, got {value!r}"
    )
