"""Keras schedules imported as lrjit schedules: :func:`from_keras`.

Keras is not imported by this module: a live object is read through its attributes, and the serialized
form (``keras.optimizers.schedules.serialize(obj)``) is a plain dict that converts without Keras installed.

``from_keras`` maps the six ``keras.optimizers.schedules`` families (``ExponentialDecay``,
``InverseTimeDecay``, ``PiecewiseConstantDecay``, ``PolynomialDecay``, ``CosineDecay``,
``CosineDecayRestarts``) to the lrjit families of the same names and arguments
(:mod:`lrjit.families.keras`), from a live object, from its ``serialize()`` dict (``{"module",
"class_name", "config", "registered_name"}``, Keras 3; ``{"class_name", "config"}`` from tf.keras 2) or
from a plain ``get_config()`` dict with ``class_name=``. Numbers Keras wraps (``{"class_name":
"__numpy__"}`` / ``"__tensor__"``) are unwrapped. ``name`` and ``dtype`` are ignored: lrjit computes in
float32, or float64 under x64, whatever dtype Keras would have used. Any other key lrjit does not know
raises ValueError naming it, unless its value is None.

Code structure: ``_KERAS`` is the adapter table, one :class:`_KerasAdapter` per Keras class (its lrjit
family, the config keys it renames and the ones it ignores); :data:`KERAS_FAMILIES` and the supported
lists in error messages come from it. The importer registered for :func:`lrjit.compile` takes live Keras
schedules and dicts whose ``class_name`` names a class of the table.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from lrjit.core import Schedule, fields_of
from lrjit.families import keras as keras_families
from lrjit.frontend.importers import Importer, UnsupportedScheduleError, plain_value, register_importer

__all__ = ["KERAS_FAMILIES", "from_keras"]

_KERAS_IGNORED = ("name", "dtype")


@dataclasses.dataclass(frozen=True)
class _KerasAdapter:
    """Everything lrjit knows about one Keras schedule class.

    Attributes:
      family: the lrjit family it converts to (:mod:`lrjit.families.keras`).
      renames: Keras config keys whose lrjit field has another name (``{keras_key: lrjit_field}``).
      ignored: config keys dropped whatever their value.
    """

    family: type[Schedule]
    renames: Mapping[str, str] = dataclasses.field(default_factory=dict)
    ignored: tuple[str, ...] = _KERAS_IGNORED


# The adapter table: one entry per supported Keras class (its name, as Keras serializes it).
_KERAS: dict[str, _KerasAdapter] = {
    "CosineDecay": _KerasAdapter(keras_families.CosineDecay),
    "CosineDecayRestarts": _KerasAdapter(keras_families.CosineDecayRestarts),
    "ExponentialDecay": _KerasAdapter(keras_families.ExponentialDecay),
    "InverseTimeDecay": _KerasAdapter(keras_families.InverseTimeDecay),
    "PiecewiseConstantDecay": _KerasAdapter(keras_families.PiecewiseConstantDecay),
    "PolynomialDecay": _KerasAdapter(keras_families.PolynomialDecay),
}
KERAS_FAMILIES: dict[str, type[Schedule]] = {name: adapter.family for name, adapter in _KERAS.items()}


def _class_name(name: Any) -> str:
    """The bare class name of a serialized ``class_name`` (``"package>Name"`` or a dotted path)."""
    return str(name).rsplit(">", 1)[-1].rsplit(".", 1)[-1]


def _is_keras_class(klass: type) -> bool:
    return "keras" in str(klass.__module__) and klass.__name__ in _KERAS


def _keras_class(obj: Any) -> str:
    """The Keras family of a live schedule object (a Keras class, or a subclass that keeps its
    ``__call__``)."""
    for klass in type(obj).__mro__:
        if _is_keras_class(klass):
            if klass is not type(obj) and type(obj).__call__ is not klass.__call__:
                raise UnsupportedScheduleError(
                    f"from_keras: {type(obj).__qualname__} subclasses keras {klass.__name__} and overrides "
                    "__call__; lrjit cannot read a Python method"
                )
            return klass.__name__
    names = [k.__name__ for k in type(obj).__mro__]
    if "LearningRateSchedule" in names:
        raise UnsupportedScheduleError(
            f"from_keras: {type(obj).__qualname__} is a custom LearningRateSchedule (Python code); "
            f"supported: {', '.join(KERAS_FAMILIES)}"
        )
    raise TypeError(
        f"from_keras: expected a keras.optimizers.schedules object or its serialize() / get_config() "
        f"dict, got {type(obj).__qualname__}"
    )


def from_keras(schedule: Any, *, class_name: str | None = None) -> Schedule:
    """The lrjit schedule equal to a Keras learning-rate schedule.

    Args:
      schedule: a live ``keras.optimizers.schedules`` object of the six families; the dict
        ``keras.optimizers.schedules.serialize(obj)`` returns (``class_name`` and ``config`` keys; needs no
        Keras); or a plain ``obj.get_config()`` dict, with ``class_name``.
      class_name: the family of a plain config dict (e.g. ``"CosineDecay"``).

    Returns:
      The lrjit family of the same name with the config's values (``name`` / ``dtype`` dropped), built in
      the current precision mode (float32, or float64 under x64).

    Raises:
      TypeError: for an object that is not a Keras schedule or a dict.
      ValueError: for an unknown class name, a config key lrjit does not support (with a value other than
        None), a missing required key, or values out of the family's domain.
      UnsupportedScheduleError: for custom ``LearningRateSchedule`` classes and registered custom objects.
    """
    if isinstance(schedule, Mapping):
        config = dict(schedule)
        if "config" in config and "class_name" in config:
            registered = config.get("registered_name")
            name = config["class_name"]
            if registered not in (None, name):
                raise UnsupportedScheduleError(
                    f"from_keras: {registered!r} is a custom registered Keras object; supported: "
                    f"{', '.join(KERAS_FAMILIES)}"
                )
            module = config.get("module")
            if module is not None and "keras" not in str(module):
                raise UnsupportedScheduleError(f"from_keras: {module}.{name} is not a Keras schedule")
            config = dict(config["config"])
        elif class_name is not None:
            name = class_name
        elif "class_name" in config:  # a flat config with its class name among the keys
            name = config.pop("class_name")
        else:
            raise ValueError(
                "from_keras: a plain get_config() dict needs class_name=... (or pass "
                "keras.optimizers.schedules.serialize(obj), which names the class)"
            )
    else:
        name = _keras_class(schedule)
        config = dict(schedule.get_config())
    name = _class_name(name)
    if name not in _KERAS:
        raise ValueError(
            f"from_keras: unknown Keras schedule {name!r}; supported: {', '.join(KERAS_FAMILIES)}"
        )
    adapter = _KERAS[name]
    family = adapter.family
    fields = set(fields_of(family))
    kwargs: dict[str, Any] = {}
    for key, value in config.items():
        value = plain_value(value)
        field = adapter.renames.get(key, key)
        if field in fields:
            kwargs[field] = value
        elif key not in adapter.ignored and value is not None:
            raise ValueError(
                f"from_keras: {name} config key {key!r} (= {value!r}) is not supported by lrjit.{name} "
                f"(supported: {', '.join(sorted(fields))})"
            )
    missing = [
        f.name
        for f in family.__dataclass_fields__.values()
        if f.name not in kwargs
        and f.default is dataclasses.MISSING
        and f.default_factory is dataclasses.MISSING
    ]
    if missing:
        raise ValueError(f"from_keras: {name} config lacks required key(s) {', '.join(map(repr, missing))}")
    return family(**kwargs)


def _is_keras(obj: Any) -> bool:
    """A Keras schedule object (a Keras class of the table, or a Keras ``LearningRateSchedule``, among its
    bases: :func:`from_keras` says why a custom one is not supported), or a dict whose ``class_name``
    names a class of the table (a ``serialize()`` dict with ``config``, or a ``get_config()`` dict with
    its class name among the keys), or a Keras 3 ``serialize()`` dict of another class (``module`` is
    Keras's: :func:`from_keras` names the supported ones). Never a torch
    :func:`~lrjit.interop.describe_torch` dict (its classes are torch's, without ``module``) nor an lrjit
    config (``family``)."""
    if isinstance(obj, Mapping):
        if "family" in obj or "class_name" not in obj:
            return False
        if _class_name(obj["class_name"]) in _KERAS:
            return True
        return "config" in obj and "keras" in str(obj.get("module") or "")
    return any(
        _is_keras_class(klass)
        or ("keras" in str(klass.__module__) and klass.__name__ == "LearningRateSchedule")
        for klass in type(obj).__mro__
    )


register_importer(Importer("keras", _is_keras, from_keras))
