"""Search spaces as data: a template schedule and one axis per leaf give one batched schedule.

``grid(template, **axes)`` takes the Cartesian product of the axes' values (the first axis outermost, as
``itertools.product``); ``random(template, n, seed, **axes)`` draws ``n`` configs, each axis from its
distribution (:func:`uniform`, :func:`log_uniform`, :func:`integers`, :func:`choice`) or fixed to a plain
value. The template is a schedule (a family's or a composition's instance), a family class (every field
without a default given by the axes), or a spec string (:func:`lrjit.parse`). An axis names a leaf by its
field name, or by a dotted path through sub-schedules (``"schedule.decay_steps"``; an integer picks an item
of a list of pieces: ``"schedules.1.base_lr"``); dotted names are passed as ``**{"schedule.t_mul": ...}``.

The result is an ordinary batched schedule: the varied leaves carry the config axis, every other leaf is
shared, so whatever depends on shared leaves only is evaluated once for the batch. The values are checked
as the constructor checks them, on whole arrays (a million configs of one family in tens of
milliseconds), and an error names the axis and the first bad value.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from lrjit.core import Schedule, fields_of
from lrjit.core.suggest import did_you_mean
from lrjit.frontend import parse

__all__ = ["Distribution", "choice", "grid", "integers", "log_uniform", "random", "uniform"]


@dataclasses.dataclass(frozen=True)
class Distribution:
    """How :func:`random` draws one axis: ``kind`` is ``"uniform"``, ``"log_uniform"``, ``"integers"``
    (``low`` to ``high`` inclusive) or ``"choice"`` (one of ``values``, equally likely)."""

    kind: str
    low: float = 0.0
    high: float = 0.0
    values: tuple[Any, ...] = ()

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` values, vectorized."""
        if self.kind == "uniform":
            return rng.uniform(self.low, self.high, n)
        if self.kind == "log_uniform":
            return np.exp(rng.uniform(math.log(self.low), math.log(self.high), n))
        if self.kind == "integers":
            return rng.integers(int(self.low), int(self.high), n, endpoint=True)
        return np.asarray(self.values)[rng.integers(0, len(self.values), n)]


def uniform(low: float, high: float) -> Distribution:
    """Floats uniform in ``[low, high)``."""
    _check_order("uniform", low, high)
    return Distribution("uniform", low, high)


def log_uniform(low: float, high: float) -> Distribution:
    """Floats whose logarithm is uniform: ``low`` and ``high`` both > 0 (learning rates, decay rates)."""
    if not 0 < low:
        raise ValueError(f"log_uniform: low must be > 0, got {low!r}")
    _check_order("log_uniform", low, high)
    return Distribution("log_uniform", low, high)


def integers(low: int, high: int) -> Distribution:
    """Integers uniform in ``[low, high]`` (both ends included: step counts, boundaries)."""
    if int(low) != low or int(high) != high:
        raise ValueError(f"integers: low and high must be integers, got {low!r} and {high!r}")
    _check_order("integers", low, high)
    return Distribution("integers", low, high)


def choice(values: Sequence[Any]) -> Distribution:
    """One of ``values``, each equally likely (numbers, booleans, or equal-length boundary lists)."""
    values = tuple(values)
    if not values:
        raise ValueError("choice: values must not be empty")
    return Distribution("choice", values=values)


def _check_order(name: str, low: float, high: float) -> None:
    if not (math.isfinite(low) and math.isfinite(high) and low <= high):
        raise ValueError(f"{name}: expected finite low <= high, got low={low!r}, high={high!r}")


# ------------------------------------------------------------------------------------------------------
def grid(
    template: Any, axes: Mapping[str, Sequence[Any]] | None = None, /, **named: Sequence[Any]
) -> Schedule:
    """Every combination of the axes' values, as one batched schedule of ``prod(len(values))`` configs.

    Args:
      template: a schedule, a family class or a spec string (see the module documentation).
      axes, named: leaf path -> the values it takes (a list; for a vector leaf such as ``boundaries``, a
        list of equal-length lists).

    Example:
      >>> import lrjit
      >>> template = lrjit.CosineDecay(0.1, decay_steps=1000)
      >>> sweep = lrjit.grid(template, initial_learning_rate=[0.1, 0.3], alpha=[0.0, 0.1, 0.2])
      >>> print(lrjit.batch_size(sweep), sweep.initial_learning_rate, sweep.alpha, sweep.decay_steps)
      6 [0.1 0.1 0.1 0.3 0.3 0.3] [0.  0.1 0.2 0.  0.1 0.2] 1000
    """
    values = _axes(axes, named, "grid")
    arrays = {path: _values(path, v) for path, v in values.items()}
    counts = [len(a) for a in arrays.values()]
    index = np.indices(counts).reshape(len(counts), -1)  # row i: axis i's value index per config
    batched = {path: np.take(a, i, axis=0) for (path, a), i in zip(arrays.items(), index, strict=True)}
    return _build(template, batched)


def random(
    template: Any, /, n: int, seed: int, axes: Mapping[str, Any] | None = None, **named: Any
) -> Schedule:
    """``n`` configs with each axis drawn from its :class:`Distribution` (or fixed to a plain value).

    Reproducible: the same ``seed`` gives the same configs. Axes are drawn in the order given (a leaf
    named like an argument, ``n``, ``seed`` or ``axes``, goes in the ``axes`` dict).

    Example:
      >>> import lrjit
      >>> space = {"initial_learning_rate": lrjit.log_uniform(1e-4, 1.0), "alpha": 0.01}
      >>> sweep = lrjit.random(lrjit.CosineDecay(0.1, 1000), 1000, 0, space, decay_steps=lrjit.integers(1, 9))
      >>> print(lrjit.batch_size(sweep), sweep.alpha, sweep.decay_steps[:8])
      1000 0.01 [7 1 5 8 7 5 3 4]
    """
    if not isinstance(n, int | np.integer) or isinstance(n, bool) or n < 1:
        raise ValueError(f"random: n must be an integer >= 1, got {n!r}")
    values = _axes(axes, named, "random")
    rng = np.random.default_rng(seed)
    # A plain value (a number, or a list for a vector leaf such as boundaries) is shared by every config.
    drawn = {
        path: spec.draw(rng, int(n)) if isinstance(spec, Distribution) else spec
        for path, spec in values.items()
    }
    return _build(template, drawn)


def _axes(axes: Mapping[str, Any] | None, named: Mapping[str, Any], who: str) -> dict[str, Any]:
    out = dict(axes or {})
    for path in named:
        if path in out:
            raise ValueError(f"{who}: axis {path!r} is given twice")
    out.update(named)
    if not out:
        raise ValueError(f"{who}: give at least one axis (a leaf name and its values)")
    return out


def _values(path: str, values: Any) -> np.ndarray:
    array = np.asarray(values)
    if array.ndim == 0 or len(array) == 0:
        raise ValueError(f"grid: axis {path!r} needs a non-empty list of values, got {values!r:.60}")
    return array


# ------------------------------------------------------------------------------------------------------
def _build(template: Any, axes: dict[str, Any]) -> Schedule:
    """``template`` with each axis path set to its array (or fixed value), checked by the constructors."""
    if isinstance(template, str):
        template = parse(template)
    if isinstance(template, type) and issubclass(template, Schedule):
        return _construct(template, axes)
    if not isinstance(template, Schedule):
        raise TypeError(
            f"a sweep's template is a schedule, a family class or a spec string, got {template!r:.80}"
        )
    for path, value in axes.items():
        template = _set(template, path.split("."), value, path)
    return template


def _construct(cls: type[Schedule], axes: dict[str, Any]) -> Schedule:
    nested = [p for p in axes if "." in p]
    if nested:
        raise ValueError(f"{cls.__name__}: a family class takes its own field names only, got {nested[0]!r}")
    for name in axes:
        _check_name(cls, name, name)
    try:
        return cls(**axes)
    except TypeError as e:
        raise ValueError(f"{e}; give every field without a default as an axis") from e


def _set(schedule: Any, parts: list[str], value: Any, path: str) -> Any:
    if isinstance(schedule, tuple):
        head = parts[0]
        if not head.isdigit() or int(head) >= len(schedule):
            raise ValueError(f"axis {path!r}: {head!r} is not an index of {len(schedule)} pieces")
        i = int(head)
        return (*schedule[:i], _set(schedule[i], parts[1:], value, path), *schedule[i + 1 :])
    if not isinstance(schedule, Schedule) or not parts:
        raise ValueError(f"axis {path!r} does not name a leaf")
    name = parts[0]
    _check_name(type(schedule), name, path)
    spec = fields_of(type(schedule))[name]
    if spec.static:
        raise ValueError(
            f"axis {path!r}: {name} is a static field (it sets the program's structure); sweep one "
            "structure at a time, or build one sweep per value"
        )
    current = getattr(schedule, name)
    if len(parts) > 1 or spec.child:
        return schedule.replace(**{name: _set(current, parts[1:], value, path)})
    try:
        return schedule.replace(**{name: value})
    except (TypeError, ValueError) as e:
        raise ValueError(f"axis {path!r}: {e}") from e


def _check_name(cls: type[Schedule], name: str, path: str) -> None:
    fields = fields_of(cls)
    if name not in fields:
        raise ValueError(f"{path}: {cls.__name__} has no field {name!r}{did_you_mean(name, list(fields))}")
