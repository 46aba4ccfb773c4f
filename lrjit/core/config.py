"""The :class:`Config` base: a frozen dataclass registered as a JAX pytree.

Subclassing ``Config`` turns a class body of annotated fields into a frozen dataclass whose
:func:`~lrjit.core.fields.leaf` fields are pytree children and whose :func:`~lrjit.core.fields.static`
fields are the pytree's auxiliary data. Construction converts and validates concrete values (a
:class:`~lrjit.core.fields.FieldError` names the field); transformations rebuild instances without
running ``__init__``. :func:`fields_of` is the public view of a class's declarations.
"""

from __future__ import annotations

import dataclasses
import functools
import types
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

import jax
import jax.numpy as jnp
import numpy as np
from jax.experimental import checkify

from lrjit.core.fields import (
    FieldError,
    FieldSpec,
    FieldTypeError,
    Kind,
    child,
    convert_leaf,
    field_spec,
    is_traced,
    leaf,
    static,
)
from lrjit.core.suggest import did_you_mean

try:
    from typing import dataclass_transform
except ImportError:  # Python 3.10: the decorator only informs type checkers

    def dataclass_transform(**_: Any) -> Any:
        return lambda cls: cls


__all__ = ["Check", "Config", "fields_of", "leaf_names", "static_names"]

# A cross-field rule: (ok, message). ``ok`` is a bool array computed with numpy or jax.numpy; the message
# completes "Family: ..." and puts the field names it is about in backticks (FieldError.fields reads them).
Check = tuple[Any, str]


def fields_of(config: Config | type[Config]) -> Mapping[str, FieldSpec]:
    """The field declarations of a config class (or instance) by name, in constructor order (read-only).

    ``lrjit.fields_of(lrjit.CosineDecay)["decay_steps"].domain.description`` is "an integer >= 1".
    """
    return types.MappingProxyType(_class_of(config)._fields)


def leaf_names(config: Config | type[Config]) -> tuple[str, ...]:
    """The names of the pytree children (numeric leaves and sub-schedules), in flattening order."""
    return _class_of(config)._leaf_names


def static_names(config: Config | type[Config]) -> tuple[str, ...]:
    """The names of the static (structural) fields, in treedef order."""
    return _class_of(config)._static_names


def _class_of(config: Config | type[Config]) -> type[Config]:
    return config if isinstance(config, type) else type(config)


@dataclass_transform(frozen_default=True, eq_default=False, field_specifiers=(leaf, static, child))
class Config:
    """An immutable pytree dataclass: the machinery schedules (and other configs, such as metric-driven
    controllers) share.

    Subclasses declare fields with :func:`leaf` (a numeric hyperparameter: a pytree leaf) and
    :func:`static` (structure: part of the treedef) and may add ``_checks(xp)`` for rules that span several
    fields. Construction converts and validates concrete values; transformations rebuild instances without
    running ``__init__``.
    """

    _fields: ClassVar[dict[str, FieldSpec]]
    _leaf_names: ClassVar[tuple[str, ...]]
    _static_names: ClassVar[tuple[str, ...]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        dataclasses.dataclass(frozen=True, eq=False, repr=False)(cls)
        specs: dict[str, FieldSpec] = {}
        for f in dataclasses.fields(cls):
            spec = field_spec(f)
            if spec is None:
                raise TypeError(
                    f"{cls.__name__}.{f.name}: declare fields with lrjit leaf(), static() or child()"
                )
            specs[f.name] = dataclasses.replace(spec, name=f.name)
        cls._fields = specs
        cls._leaf_names = tuple(n for n, s in specs.items() if not s.static)
        cls._static_names = tuple(n for n, s in specs.items() if s.static)
        cls.__init__ = _suggesting_keywords(cls.__init__, cls.__name__, tuple(specs))  # type: ignore[method-assign]
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
            spec = self._fields[name]
            value = getattr(self, name)
            if value is None:
                if not spec.optional:
                    raise FieldError(owner, name, f"`{name}` is required, got None")
                continue
            if spec.child is not None:
                object.__setattr__(self, name, self._convert_child(name, spec.child, value))
                continue
            assert spec.kind is not None
            object.__setattr__(self, name, convert_leaf(owner, name, spec.kind, value))
        for name in self._static_names:
            spec = self._fields[name]
            if spec.normalize is not None:
                object.__setattr__(self, name, spec.normalize(owner, getattr(self, name)))
            choices = spec.choices
            if choices is not None and getattr(self, name) not in choices:
                allowed = " | ".join(repr(c) for c in choices)
                raise FieldError(
                    owner, name, f"`{name}` must be one of {allowed}, got {getattr(self, name)!r}"
                )
        self._validate_concrete()

    def validate(self) -> None:
        """Checks every concrete value against its domain and every cross-field rule, sub-schedules
        included, as construction does (for configs rebuilt without ``__init__``: loaded, unflattened).

        Raises:
          FieldError: naming the field, the allowed range and the value.
        """
        self._validate_concrete()
        for sub in self.children():
            sub.validate()

    def _convert_child(self, name: str, layout: str, value: Any) -> Any:
        """A sub-schedule field's value, checked (schedules override this: only they have children)."""
        raise TypeError(f"{type(self).__name__}: `{name}`: only schedules have sub-schedule fields")

    def _validate_concrete(self) -> None:
        """Raises FieldError for concrete values outside their domain; traced values are left to checkify."""
        owner = type(self).__name__
        for name, value, spec in self._own_leaves():
            if spec.domain is not None and not is_traced(value) and spec.kind is not Kind.KEY:
                spec.domain.check_concrete(owner, name, np.asarray(value))
        if not any(is_traced(x) for x in jax.tree_util.tree_leaves(self)):
            for ok, message in self._checks(np):
                if not np.all(ok):
                    raise FieldError.from_rule(owner, message)

    def _own_leaves(self) -> Iterator[tuple[str, Any, FieldSpec]]:
        """(name, value, spec) of the numeric leaves declared by this class (not those of sub-schedules)."""
        for name in self._leaf_names:
            value = getattr(self, name)
            if value is not None and self._fields[name].child is None:
                yield name, value, self._fields[name]

    def children(self) -> list[Config]:
        """The sub-schedules held by this config (compositions), in field order."""
        out: list[Config] = []
        for name in self._leaf_names:
            value = getattr(self, name)
            if self._fields[name].child is not None and value is not None:
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
        last: Exception | None = None
        for _ in range(200):
            kwargs = dict(cls._sample_fields(rng, n=vector_len))
            kwargs.update(fixed)
            try:
                return cls(**kwargs)
            except ValueError as e:  # a cross-field rule: draw again
                last = e
        raise RuntimeError(f"{cls.__name__}.sample found no valid config: {last}")

    @classmethod
    def _sample_fields(cls, rng: np.random.Generator, n: int | None = None) -> dict[str, Any]:
        """Draws every scalar leaf from its domain; families with vector leaves or sub-schedules extend
        this, drawing ``n`` entries per vector leaf (their own choice when None)."""
        out: dict[str, Any] = {}
        for name in cls._leaf_names:
            spec = cls._fields[name]
            if spec.kind is Kind.KEY:
                out[name] = int(rng.integers(0, 2**31 - 1))
            elif spec.domain is not None and spec.kind is not None and spec.kind.base_ndim == 0:
                out[name] = spec.domain.sample(rng)
        return out

    # ------------------------------------------------------------------------- repr, eq, hash
    def config(self) -> dict[str, Any]:
        """The field values by name (leaves as stored, static values as given)."""
        return {name: getattr(self, name) for name in self._fields}

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


def _suggesting_keywords(init: Any, owner: str, names: tuple[str, ...]) -> Any:
    """``init`` refusing an unknown keyword with a FieldTypeError that suggests the closest field."""

    @functools.wraps(init)
    def __init__(self: Config, *args: Any, **kwargs: Any) -> None:
        for key in kwargs:
            if key not in names:
                hint = did_you_mean(key, names) or f" (the fields are {', '.join(names)})"
                raise FieldTypeError(owner, key, f"unexpected keyword argument `{key}`{hint}")
        init(self, *args, **kwargs)

    return __init__


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
