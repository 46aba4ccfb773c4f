"""The :class:`Schedule` base: a frozen dataclass registered as a JAX pytree.

Subclassing ``Schedule`` turns a class body of annotated fields into a frozen dataclass whose
:func:`~lrjit.core.fields.leaf` fields are pytree children and whose :func:`~lrjit.core.fields.static`
fields are the pytree's auxiliary data. ``__call__`` validates and normalizes the step, then hands an
integer array to the subclass's ``_evaluate``; every formula is written with ``jnp`` only, so the same code
runs eagerly, under ``jit``, under ``vmap`` (one config per lane) and under ``grad``.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Iterator
from typing import Any, ClassVar

import jax
import jax.numpy as jnp
import numpy as np
from jax.experimental import checkify

from lrjit.core.fields import FieldSpec, Kind, convert_leaf, field_spec, is_traced
from lrjit.core.steps import as_step_array

__all__ = ["Check", "Config", "Schedule", "registry"]

_FAMILIES: dict[str, type[Schedule]] = {}

# A cross-field rule: (ok, message). ``ok`` is a bool array computed with numpy or jax.numpy.
Check = tuple[Any, str]


def registry() -> dict[str, type[Schedule]]:
    """Every concrete schedule family and composition, by class name (the registry the tests and the spec
    compiler use; compositions have ``cls.composite`` set)."""
    return dict(_FAMILIES)


class Config:
    """An immutable pytree dataclass: the machinery schedules (and other configs, such as metric-driven
    controllers) share.

    Subclasses declare fields with :func:`leaf` (a numeric hyperparameter: a pytree leaf) and
    :func:`static` (structure: part of the treedef) and may add ``_checks(xp)`` for rules that span several
    fields. Construction converts and validates concrete values; transformations rebuild instances without
    running ``__init__``.
    """

    _specs: ClassVar[dict[str, FieldSpec]]
    _leaf_names: ClassVar[tuple[str, ...]]
    _static_names: ClassVar[tuple[str, ...]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        dataclasses.dataclass(frozen=True, eq=False, repr=False)(cls)
        specs: dict[str, FieldSpec] = {}
        for f in dataclasses.fields(cls):
            spec = field_spec(f)
            if spec is None:
                raise TypeError(f"{cls.__name__}.{f.name}: declare fields with lrjit leaf() or static()")
            specs[f.name] = spec
        cls._specs = specs
        cls._leaf_names = tuple(n for n, s in specs.items() if not s.static)
        cls._static_names = tuple(n for n, s in specs.items() if s.static)
        jax.tree_util.register_pytree_with_keys(
            cls, cls._tree_flatten_with_keys, cls._tree_unflatten, cls._tree_flatten
        )

    # ----------------------------------------------------------------------------------------- pytree
    def _tree_flatten(self) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
        return tuple(getattr(self, n) for n in self._leaf_names), self._static_values()

    def _tree_flatten_with_keys(self) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
        children = tuple((jax.tree_util.GetAttrKey(n), getattr(self, n)) for n in self._leaf_names)
        return children, self._static_values()

    @classmethod
    def _tree_unflatten(cls, aux: tuple[Any, ...], children: tuple[Any, ...]) -> Config:
        # Bypasses __init__: under jit/vmap children are tracers or placeholders, not user input.
        obj = object.__new__(cls)
        for name, value in zip(cls._leaf_names, children, strict=True):
            object.__setattr__(obj, name, value)
        for name, value in zip(cls._static_names, aux, strict=True):
            object.__setattr__(obj, name, value)
        return obj

    def _static_values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, n) for n in self._static_names)

    # ------------------------------------------------------------------------------ construction
    def __post_init__(self) -> None:
        owner = type(self).__name__
        for name in self._leaf_names:
            spec = self._specs[name]
            value = getattr(self, name)
            if value is None:
                if not spec.optional:
                    raise ValueError(f"{owner}: `{name}` is required, got None")
                continue
            if spec.child is not None:
                object.__setattr__(self, name, _check_child(owner, name, spec.child, value))
                continue
            assert spec.kind is not None
            object.__setattr__(self, name, convert_leaf(owner, name, spec.kind, value))
        for name in self._static_names:
            spec = self._specs[name]
            if spec.normalize is not None:
                object.__setattr__(self, name, spec.normalize(owner, getattr(self, name)))
            choices = spec.choices
            if choices is not None and getattr(self, name) not in choices:
                allowed = " | ".join(repr(c) for c in choices)
                raise ValueError(f"{owner}: `{name}` must be one of {allowed}, got {getattr(self, name)!r}")
        self._validate_concrete()

    def _validate_concrete(self) -> None:
        """Raises ValueError for concrete values outside their domain; traced values are left to checkify."""
        owner = type(self).__name__
        for name, value, spec in self._own_leaves():
            if spec.domain is not None and not is_traced(value) and spec.kind is not Kind.KEY:
                spec.domain.check_concrete(owner, name, np.asarray(value))
        if not any(is_traced(x) for x in jax.tree_util.tree_leaves(self)):
            for ok, message in self._checks(np):
                if not np.all(ok):
                    raise ValueError(f"{owner}: {message}")

    def _own_leaves(self) -> Iterator[tuple[str, Any, FieldSpec]]:
        """(name, value, spec) of the numeric leaves declared by this class (not those of sub-schedules)."""
        for name in self._leaf_names:
            value = getattr(self, name)
            if value is not None and self._specs[name].child is None:
                yield name, value, self._specs[name]

    def children(self) -> list[Config]:
        """The sub-schedules held by this config (compositions), in field order."""
        out: list[Config] = []
        for name in self._leaf_names:
            value = getattr(self, name)
            if self._specs[name].child is not None and value is not None:
                out.extend(value if isinstance(value, tuple) else (value,))
        return out

    def _checks(self, xp: Any) -> list[Check]:
        """Rules spanning several fields, as (ok, message) pairs; ``xp`` is numpy or jax.numpy."""
        return []

    def emit_checks(self) -> None:
        """Emits every domain and cross-field rule as a ``checkify.check`` (for traced configs).

        Call inside a function transformed by ``jax.experimental.checkify.checkify``; see
        :func:`lrjit.checked_call`.
        """
        owner = type(self).__name__
        for name, value, spec in self._own_leaves():
            if spec.domain is not None and spec.kind is not Kind.KEY:
                ok = jnp.all(spec.domain.predicate(jnp.asarray(value), jnp))
                checkify.check(ok, f"{owner}: `{name}` must be {spec.domain.description}")
        for ok, message in self._checks(jnp):
            checkify.check(jnp.all(ok), f"{owner}: {message}")
        for sub in self.children():
            sub.emit_checks()

    @property
    def dtype(self) -> np.dtype:
        """The float dtype the schedule computes in (that of its float hyperparameters)."""
        floats = [
            v
            for _, v, spec in self._own_leaves()
            if spec.kind is not None and spec.kind.scalar_kind == "float"
        ]
        floats += [np.zeros((), sub.dtype) for sub in self.children()]
        return np.dtype(jnp.result_type(*floats)) if floats else np.dtype(jnp.float32)

    def _float(self, value: Any) -> jax.Array:
        """``value`` (a leaf or an integer step array) in the schedule's compute dtype."""
        return jnp.asarray(value).astype(self.dtype)

    # ------------------------------------------------------------------------------- sampling
    @classmethod
    def sample(cls, rng: np.random.Generator, *, vector_len: int | None = None, **fixed: Any) -> Config:
        """A random valid config: each leaf drawn from its domain, cross-field rules met by redrawing.

        Args:
          rng: a NumPy generator.
          vector_len: the length of vector leaves (boundaries, milestones) for families that draw them;
            random when None. Configs of one structure (to stack) need one length.
          **fixed: fields to hold at given values (static fields keep their defaults unless given;
            optional leaves are drawn as present unless given, e.g. ``warmup_target=None``).
        """
        sized = vector_len is not None and "n" in inspect.signature(cls._sample_fields).parameters
        last: Exception | None = None
        for _ in range(200):
            kwargs = dict(cls._sample_fields(rng, n=vector_len) if sized else cls._sample_fields(rng))
            kwargs.update(fixed)
            try:
                return cls(**kwargs)
            except ValueError as e:  # a cross-field rule: draw again
                last = e
        raise RuntimeError(f"{cls.__name__}.sample found no valid config: {last}")

    @classmethod
    def _sample_fields(cls, rng: np.random.Generator) -> dict[str, Any]:
        """Draws every scalar leaf from its domain; families with vector leaves extend this."""
        out: dict[str, Any] = {}
        for name in cls._leaf_names:
            spec = cls._specs[name]
            if spec.kind is Kind.KEY:
                out[name] = int(rng.integers(0, 2**31 - 1))
            elif spec.domain is not None and spec.kind is not None and spec.kind.base_ndim == 0:
                out[name] = spec.domain.sample(rng)
        return out

    # ------------------------------------------------------------------------- repr, eq, hash
    def config(self) -> dict[str, Any]:
        """The field values by name (leaves as stored, static values as given)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    def replace(self, **changes: Any) -> Config:
        """A copy with some fields changed (validated like a new construction)."""
        return dataclasses.replace(self, **changes)

    def __repr__(self) -> str:
        parts = ", ".join(f"{k}={_repr_value(v)}" for k, v in self.config().items())
        return f"{type(self).__name__}({parts})"

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        a, ta = jax.tree_util.tree_flatten(self)
        b, tb = jax.tree_util.tree_flatten(other)
        if ta != tb:
            return False
        if any(is_traced(x) for x in a + b):
            raise TypeError("cannot compare traced schedules with ==; compare their leaves with jnp")
        return all(_leaf_equal(x, y) for x, y in zip(a, b, strict=True))

    def __hash__(self) -> int:
        leaves, treedef = jax.tree_util.tree_flatten(self)
        if any(is_traced(x) for x in leaves):
            raise TypeError("cannot hash a traced schedule")
        return hash((treedef, tuple(_leaf_key(x) for x in leaves)))


class Schedule(Config):
    """A learning-rate schedule: an immutable pytree, evaluated as a pure function of the step.

    Subclasses declare fields with :func:`leaf` / :func:`static` and implement ``_evaluate(step)`` for an
    integer step array of any shape (one config; batching is done by ``vmap``). Every concrete subclass
    is listed by :func:`registry`; pass ``abstract=True`` in the class statement for a shared base.

    Class attributes:
      reference: the source-library object whose values the family reproduces.
    """

    reference: ClassVar[str] = ""
    composite: ClassVar[bool] = False  # built from other schedules (lrjit.compose)
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
        from lrjit.core.batch import batch_size, vmap_over_configs

        step = as_step_array(step)
        if batch_size(self) is None:
            return self._evaluate(step)
        return vmap_over_configs(lambda s, t: s._evaluate(t), self, step)

    def _evaluate(self, step: jax.Array) -> jax.Array:
        raise NotImplementedError

    def to_config(self) -> dict[str, Any]:
        """This schedule as a JSON-safe dict (family, every field, nested compositions, a format version);
        ``lrjit.from_config`` rebuilds it with bit-identical leaves. See :mod:`lrjit.spec.config`."""
        from lrjit.spec.config import to_config

        return to_config(self)

    # ------------------------------------------------------------------------------- arithmetic
    # ``s1 * s2``, ``0.5 * s``, ``s + 1e-5``...: compositions (lrjit.compose), numbers become constants.
    def __add__(self, other: Any) -> Any:
        return _arithmetic("Sum", self, other)

    def __radd__(self, other: Any) -> Any:
        return _arithmetic("Sum", other, self)

    def __sub__(self, other: Any) -> Any:
        return _arithmetic("Difference", self, other)

    def __rsub__(self, other: Any) -> Any:
        return _arithmetic("Difference", other, self)

    def __mul__(self, other: Any) -> Any:
        return _arithmetic("Product", self, other)

    def __rmul__(self, other: Any) -> Any:
        return _arithmetic("Product", other, self)

    def __truediv__(self, other: Any) -> Any:
        return _arithmetic("Quotient", self, other)

    def __rtruediv__(self, other: Any) -> Any:
        return _arithmetic("Quotient", other, self)

    def __neg__(self) -> Any:
        return _arithmetic("Product", -1.0, self)


def _arithmetic(name: str, left: Any, right: Any) -> Any:
    from lrjit.compose import arithmetic
    from lrjit.compose.base import is_number

    if not all(isinstance(x, Schedule) or is_number(x) for x in (left, right)):
        return NotImplemented
    return getattr(arithmetic, name)(left, right)


def _check_child(owner: str, name: str, layout: str, value: Any) -> Any:
    """A sub-schedule field's value, checked: a schedule, or a tuple of them for the "tuple" layout."""
    if layout == "tuple":
        if not isinstance(value, tuple | list) or not value:
            raise TypeError(
                f"{owner}: `{name}` must be a non-empty list of lrjit schedules, got {value!r:.60}"
            )
        for i, item in enumerate(value):
            if not isinstance(item, Schedule):
                raise TypeError(
                    f"{owner}: `{name}` must be a list of lrjit schedules; item {i} is {item!r:.60}"
                )
        return tuple(value)
    if not isinstance(value, Schedule):
        raise TypeError(f"{owner}: `{name}` must be an lrjit schedule, got {value!r:.80}")
    return value


def _host(x: Any) -> np.ndarray:
    if isinstance(x, jax.Array) and jnp.issubdtype(x.dtype, jax.dtypes.prng_key):
        return np.asarray(jax.random.key_data(x))
    return np.asarray(x)


def _leaf_equal(x: Any, y: Any) -> bool:
    x, y = _host(x), _host(y)
    if x.shape != y.shape or x.dtype != y.dtype:
        return False
    return bool(np.array_equal(x, y, equal_nan=np.issubdtype(x.dtype, np.floating)))


def _leaf_key(x: Any) -> tuple[Any, ...]:
    h = _host(x)
    return (h.shape, h.dtype.str, h.tobytes())


def _repr_value(v: Any) -> str:
    if isinstance(v, Config | str | bool) or v is None:
        return repr(v)
    if isinstance(v, tuple | list):
        return "[" + ", ".join(_repr_value(x) for x in v) + "]"
    if is_traced(v):
        return f"{v.dtype.name}{list(v.shape)}"
    if isinstance(v, jax.Array) and jnp.issubdtype(v.dtype, jax.dtypes.prng_key):
        data = np.asarray(jax.random.key_data(v))
        return f"key{list(v.shape)}" if v.ndim else f"key({data.tolist()})"
    arr = np.asarray(v)
    if arr.ndim == 0:
        return str(arr[()])
    if arr.ndim == 1 and arr.size <= 8:
        return "[" + ", ".join(str(x) for x in arr) + "]"
    return f"{arr.dtype.name}{list(arr.shape)}"
