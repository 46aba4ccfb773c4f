"""JSON configs: ``sched.to_config()`` and ``lrjit.from_config(d)``, an exact round trip.

A config is a dict of plain JSON values::

    {"lrjit": 1, "family": "Warmup", "dtypes": {"float": "float32", "int": "int32"},
     "schedule": {"family": "CosineDecay", "initial_learning_rate": 0.1, "decay_steps": 10000, ...},
     "steps": 500, "start": 0.0, "shape": "linear", "mode": "prefix"}

``lrjit`` is the format version (top level only); every schedule, nested or not, names its ``family`` and
gives every field by name: numbers, lists (vector leaves; a batched schedule has lists per leaf), strings
for static fields, nested dicts for sub-schedules (lists of them for a sequence), ``null`` for an optional
leaf left out. Floats are written as the exact decimal of the stored value and read back into the recorded
dtype, so ``from_config(json.loads(json.dumps(s.to_config())))`` has bit-identical leaves and curves.
A leaf whose dtype differs from the recorded default is written as ``{"dtype": ..., "value": ...}``; a PRNG
key as ``{"key_data": [...], "impl": ...}``.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from lrjit.core import Config, Kind, Schedule, fields_of, registry
from lrjit.core.fields import describe_bad
from lrjit.core.schedule import register_config_writer
from lrjit.core.suggest import did_you_mean
from lrjit.frontend.importers import find_importer

__all__ = ["FORMAT_VERSION", "ConfigError", "from_config", "to_config"]

FORMAT_VERSION = 1
# Bounds on what from_config builds (compositions evaluate their pieces recursively): generous for real
# schedules, far below Python's recursion limit. Both are arguments of from_config.
MAX_DEPTH = 64
MAX_SCHEDULES = 10_000
# The dtypes leaves are stored in (lrjit computes in float32 or float64, counts in int32 or int64).
_DTYPES = {"float": ("float32", "float64"), "int": ("int32", "int64")}


class ConfigError(ValueError):
    """A config that does not describe a valid schedule; the message starts with the path inside it."""


# ------------------------------------------------------------------------------------------------------
# writing
# ------------------------------------------------------------------------------------------------------
def to_config(schedule: Schedule) -> dict[str, Any]:
    """``schedule`` (single or batched, compositions included) as a JSON-safe dict; see the module doc."""
    if not isinstance(schedule, Schedule):
        raise TypeError(f"to_config needs an lrjit schedule, got {schedule!r:.80}")
    leaves = jax.tree_util.tree_leaves(schedule)
    if any(isinstance(x, jax.core.Tracer) for x in leaves):
        raise TypeError("to_config needs concrete values; call it outside jit/vmap/grad")
    dtypes = {
        "float": _most_common([x for x in leaves if _is_kind(x, "float")], "float32"),
        "int": _most_common([x for x in leaves if _is_kind(x, "int")], "int32"),
    }
    return {"lrjit": FORMAT_VERSION, "dtypes": dtypes, **_write(schedule, dtypes)}


def _is_kind(x: Any, kind: str) -> bool:
    dtype = jnp.result_type(x)
    if jnp.issubdtype(dtype, jax.dtypes.prng_key):
        return False
    return jnp.issubdtype(dtype, jnp.floating if kind == "float" else jnp.integer)


def _most_common(values: list[Any], fallback: str) -> str:
    names = [np.dtype(jnp.result_type(x)).name for x in values]
    return max(set(names), key=names.count) if names else fallback


def _write(schedule: Config, dtypes: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {"family": type(schedule).__name__}
    for spec in fields_of(schedule).values():
        name = spec.name
        value = getattr(schedule, name)
        if value is None:
            out[name] = None
        elif spec.static:
            if callable(value):  # a function (lrjit.StepFunction): code, not a value a config holds
                raise TypeError(
                    f"to_config: {type(schedule).__name__}.{name} is a Python function ({value!r:.60}), "
                    "which a config cannot hold; keep this schedule in code"
                )
            out[name] = list(value) if isinstance(value, tuple) else value
        elif spec.child == "tuple":
            out[name] = [_write(item, dtypes) for item in value]
        elif spec.child is not None:
            out[name] = _write(value, dtypes)
        elif spec.kind is Kind.KEY:
            out[name] = {
                "key_data": np.asarray(jax.random.key_data(value)).tolist(),
                "impl": str(jax.random.key_impl(value)),
            }
        else:
            arr = np.asarray(value)
            default = dtypes["float"] if spec.kind.scalar_kind == "float" else dtypes["int"]
            plain = _shortest(arr)
            out[name] = (
                plain
                if spec.kind.scalar_kind == "bool" or arr.dtype.name == default
                else {
                    "dtype": arr.dtype.name,
                    "value": plain,
                }
            )
    return out


def _shortest(arr: np.ndarray) -> Any:
    """Plain Python values; floats as the shortest decimal that reads back to the same value in their own
    dtype (``0.1``, not float32's exact ``0.10000000149011612``): the reader casts to that dtype."""
    if not np.issubdtype(arr.dtype, np.floating):
        return arr.tolist()
    return np.array([float(str(x)) for x in arr.ravel()], np.float64).reshape(arr.shape).tolist()


# ------------------------------------------------------------------------------------------------------
# reading
# ------------------------------------------------------------------------------------------------------
def from_config(
    config: dict[str, Any] | str, *, max_depth: int = MAX_DEPTH, max_schedules: int = MAX_SCHEDULES
) -> Schedule:
    """Rebuilds a schedule from :func:`to_config`'s dict (or the same dict through JSON, or its JSON text).

    Numbers are read into the recorded dtypes only when they fit them exactly (a count beyond int32, a
    float beyond float32's range, or a dtype that is not a float32/float64 or int32/int64 raises); a
    config of another library (a Keras ``serialize()`` dict, a torch description) is pointed to
    :func:`lrjit.compile`, which reads those.

    Args:
      config: the dict, or its JSON text.
      max_depth: the deepest nesting of sub-schedules accepted (each level is one composition).
      max_schedules: the most schedules (families and compositions, nested ones included) accepted.

    Raises:
      ConfigError: (a ValueError) naming the path inside the config, e.g.
        ``schedules[1].decay_steps: expected an integer >= 1, got -3``.
    """
    if isinstance(config, str):
        try:
            config = json.loads(config)
        except json.JSONDecodeError as e:
            raise ConfigError(f"config: not valid JSON ({e})") from None
    if not isinstance(config, dict):
        raise ConfigError(f"config: expected a dict (or its JSON text), got {type(config).__name__}")
    if "family" not in config:
        importer = find_importer(config)
        if importer is not None:
            raise ConfigError(
                f"config: this is a {importer.name} schedule, not an lrjit config; read it with "
                "lrjit.compile(config)"
            )
        if "class_name" in config:
            raise ConfigError(
                f"config: no 'family': class_name={config['class_name']!r:.60} is no schedule format lrjit "
                "reads (lrjit configs name their 'family'; Keras and torch ones are read by lrjit.compile)"
            )
    config = dict(config)
    version = config.pop("lrjit", FORMAT_VERSION)
    if version != FORMAT_VERSION:
        raise ConfigError(f"lrjit: unsupported config format version {version!r} (this is {FORMAT_VERSION})")
    dtypes = config.pop("dtypes", None) or {}
    if not isinstance(dtypes, dict) or set(dtypes) - {"float", "int"}:
        raise ConfigError(f"dtypes: expected {{'float': ..., 'int': ...}}, got {dtypes!r}")
    for kind, name in dtypes.items():
        _check_dtype(name, kind, f"dtypes.{kind}")
    _check_size(config, max_depth, max_schedules)
    return _read(config, "", {"float": dtypes.get("float"), "int": dtypes.get("int")})


def _check_dtype(name: Any, scalar: str, path: str) -> None:
    allowed = _DTYPES.get(scalar, ())
    if name is not None and name not in allowed:
        raise ConfigError(f"{path}: expected {' or '.join(map(repr, allowed))}, got {name!r}")


def _check_size(config: Any, max_depth: int, max_schedules: int) -> None:
    """Counts the schedules and the nesting without recursion, before anything is built."""
    stack: list[tuple[Any, int]] = [(config, 1)]
    count = 0
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict) and "family" in node:
            count += 1
            if depth > max_depth:
                raise ConfigError(f"config: nested more than max_depth={max_depth} schedules deep")
            if count > max_schedules:
                raise ConfigError(f"config: more than max_schedules={max_schedules} schedules")
            depth += 1
        if isinstance(node, dict):
            stack.extend((v, depth) for v in node.values() if isinstance(v, dict | list))
        elif isinstance(node, list):
            stack.extend((v, depth) for v in node if isinstance(v, dict | list))


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _read(config: Any, path: str, dtypes: dict[str, str | None]) -> Schedule:
    where = path or "config"
    if not isinstance(config, dict):
        raise ConfigError(f"{where}: expected a schedule config (a dict with 'family'), got {config!r:.60}")
    family = config.get("family")
    families = registry()
    if not isinstance(family, str) or family not in families:
        hint = did_you_mean(family, families)
        raise ConfigError(f"{_join(path, 'family')}: unknown family {family!r}{hint}")
    cls = families[family]
    declared = fields_of(cls)
    unknown = [k for k in config if k != "family" and k not in declared]
    if unknown:
        raise ConfigError(
            f"{_join(path, unknown[0])}: unknown field of {family}{did_you_mean(unknown[0], declared)}"
        )
    kwargs: dict[str, Any] = {}
    for field in dataclasses.fields(cls):
        if field.name not in config and field.default is dataclasses.MISSING:
            raise ConfigError(f"{_join(path, field.name)}: missing (a required field of {family})")
    for name, spec in declared.items():
        if name not in config:
            continue  # the field's default
        value, sub = config[name], _join(path, name)
        if value is None:
            kwargs[name] = None
        elif spec.static:
            kwargs[name] = tuple(value) if isinstance(value, list) else value
        elif spec.child == "tuple":
            if not isinstance(value, list):
                raise ConfigError(f"{sub}: expected a list of schedule configs, got {value!r:.60}")
            kwargs[name] = [_read(item, f"{sub}[{i}]", dtypes) for i, item in enumerate(value)]
        elif spec.child is not None:
            kwargs[name] = _read(value, sub, dtypes)
        elif spec.kind is Kind.KEY:
            kwargs[name] = _read_key(value, sub)
        else:
            kwargs[name] = _read_leaf(value, spec.kind, spec.domain, sub, dtypes)
    try:
        return cls(**kwargs)
    except TypeError as e:
        raise ConfigError(f"{where}: {e}") from None
    except ValueError as e:
        raise ConfigError(f"{where}: {e}") from None


def _read_leaf(value: Any, kind: Kind, domain: Any, path: str, dtypes: dict[str, str | None]) -> np.ndarray:
    scalar = kind.scalar_kind
    dtype = dtypes.get(scalar) if scalar != "bool" else "bool"
    if isinstance(value, dict):
        if set(value) != {"dtype", "value"}:
            raise ConfigError(f"{path}: expected a number, a list or {{'dtype', 'value'}}, got {value!r:.60}")
        dtype, value = value["dtype"], value["value"]
        _check_dtype(dtype, scalar, f"{path}.dtype")
    expected = {"float": "a float", "int": "an integer", "bool": "a bool"}[scalar]
    if kind.base_ndim:
        expected = f"a list of {expected.split(' ', 1)[1]}s"
    try:
        arr = np.asarray(value)
    except ValueError:
        raise ConfigError(f"{path}: expected {expected}, got a ragged list {value!r:.60}") from None
    ok_types = {"float": (np.floating, np.integer), "int": (np.integer, np.floating), "bool": (np.bool_,)}
    if (
        arr.dtype == object
        or not any(np.issubdtype(arr.dtype, t) for t in ok_types[scalar])
        or (scalar != "bool" and np.issubdtype(arr.dtype, np.bool_))
    ):
        raise ConfigError(f"{path}: expected {expected}, got {value!r:.60}")
    if arr.ndim < kind.base_ndim:
        raise ConfigError(f"{path}: expected {expected}, got {value!r:.60}")
    if scalar == "int" and np.issubdtype(arr.dtype, np.floating):
        if not np.all(np.isfinite(arr) & (np.floor(arr) == arr)):
            raise ConfigError(f"{path}: expected {expected}, got {describe_bad(arr, np.floor(arr) == arr)}")
    if domain is not None:
        ok = np.asarray(domain.predicate(arr, np), dtype=bool)
        if not ok.all():
            raise ConfigError(f"{path}: expected {domain.description}, got {describe_bad(arr, ok)}")
    if not dtype:
        return arr
    target = np.dtype(dtype)
    if scalar == "int":
        info = np.iinfo(target)
        if arr.size and (arr.min() < info.min or arr.max() > info.max):
            ok = (arr >= info.min) & (arr <= info.max)
            raise ConfigError(f"{path}: {describe_bad(arr, ok)} does not fit {dtype} (enable x64 for int64)")
    elif scalar == "float":
        with np.errstate(over="ignore"):
            ok = np.isfinite(arr.astype(target)) | ~np.isfinite(arr)
        if not ok.all():
            raise ConfigError(f"{path}: {describe_bad(arr, ok)} is beyond the range of {dtype}")
    return arr.astype(target)


def _read_key(value: Any, path: str) -> jax.Array:
    if not (isinstance(value, dict) and set(value) == {"key_data", "impl"}):
        raise ConfigError(f"{path}: expected {{'key_data': [...], 'impl': ...}}, got {value!r:.60}")
    try:
        return jax.random.wrap_key_data(np.asarray(value["key_data"], np.uint32), impl=value["impl"])
    except (TypeError, ValueError) as e:
        raise ConfigError(f"{path}: not a PRNG key: {e}") from None


register_config_writer(to_config)
