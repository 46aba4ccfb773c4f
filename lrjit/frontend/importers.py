"""The registry of importers: schedules written for other libraries, read as lrjit schedules.

Each interop module (:mod:`lrjit.interop.keras`, :mod:`lrjit.interop.torch`, ...) registers one
:class:`Importer` per format it reads; :func:`lrjit.compile` asks them in turn whether they recognize an
object (by its content: its class and module, or a dict's keys) and hands it to the first that does.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from lrjit.core import Schedule

__all__ = [
    "Importer",
    "UnsupportedScheduleError",
    "find_importer",
    "importers",
    "plain_value",
    "register_importer",
]


class UnsupportedScheduleError(NotImplementedError, ValueError):
    """A schedule lrjit cannot express exactly (a Python function, a metric-driven controller, a torch
    combination whose closed form is not an lrjit composition). Both a NotImplementedError and a
    ValueError."""


@dataclasses.dataclass(frozen=True)
class Importer:
    """One source format lrjit reads.

    Attributes:
      name: the format, e.g. ``"keras"`` (shown in errors).
      accepts: ``accepts(obj) -> bool``: whether ``obj`` is in this format (cheap; imports nothing).
      load: ``load(obj) -> Schedule``.
    """

    name: str
    accepts: Callable[[Any], bool]
    load: Callable[[Any], Schedule]


_IMPORTERS: dict[str, Importer] = {}


def register_importer(importer: Importer) -> Importer:
    """Adds (or replaces, by name) an importer consulted by :func:`lrjit.compile`."""
    _IMPORTERS[importer.name] = importer
    return importer


def importers() -> tuple[Importer, ...]:
    """Every registered importer, in registration order."""
    return tuple(_IMPORTERS.values())


def find_importer(obj: Any) -> Importer | None:
    """The first registered importer that accepts ``obj``, or None."""
    return next((imp for imp in _IMPORTERS.values() if imp.accepts(obj)), None)


def plain_value(value: Any) -> Any:
    """Python scalars / lists from numpy, TF, Keras and torch values and Keras's wrapped numbers."""
    if isinstance(value, Mapping) and value.get("class_name") in ("__numpy__", "__tensor__"):
        return plain_value(value["config"]["value"])
    if hasattr(value, "numpy") and callable(value.numpy):  # tf.Tensor, keras.Variable, torch.Tensor
        value = value.detach().cpu().numpy() if hasattr(value, "detach") else value.numpy()
    if isinstance(value, np.ndarray | np.generic):
        return value.tolist()
    if isinstance(value, list | tuple):
        return [plain_value(v) for v in value]
    return value
