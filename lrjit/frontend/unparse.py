"""``to_spec``: a schedule written back in the spec language, so that ``parse(to_spec(s))`` rebuilds ``s``.

Families and compositions are written as calls with keyword arguments (fields left at their defaults are
left out), warmups as ``warmup(schedule, steps=...)``, sequences as ``sequence([...], [...])``, minima,
maxima and clips with ``minimum`` / ``maximum`` / ``clip``, sums, differences, products and quotients with
``+ - * /``, and constants as numbers. Floats are written as the shortest decimal that reads back to the
stored value in its dtype, so the leaves round-trip exactly (in the default dtypes; a float64 leaf reads
back as float64 only under x64).

Example:
  >>> import lrjit
  >>> from lrjit.frontend import to_spec
  >>> to_spec(lrjit.warmup(lrjit.CosineDecay(0.1, 10_000), 500) + 1e-5)
  'warmup(CosineDecay(initial_learning_rate=0.1, decay_steps=10000), steps=500) + 1e-05'
  >>> to_spec(0.5 * lrjit.ExponentialDecay(1.0, 100, 0.5, staircase=True))
  '0.5 * ExponentialDecay(initial_learning_rate=1.0, decay_steps=100, decay_rate=0.5, staircase=True)'
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import jax
import numpy as np

from lrjit.core import Binary, Constant, Kind, Schedule, batch_size, fields_of, first_difference, unstack

__all__ = ["to_spec"]

# Binary compositions written with an operator: class name -> (symbol, precedence).
_INFIX = {"Sum": ("+", 1), "Difference": ("-", 1), "Product": ("*", 2), "Quotient": ("/", 2)}
# Compositions written with their composition function (their fields are its parameters, in order).
_FUNCTIONS = {"Warmup": "warmup", "Minimum": "minimum", "Maximum": "maximum", "Clip": "clip"}


def to_spec(schedule: Schedule) -> str:
    """The spec-language text of ``schedule``: ``lrjit.parse(to_spec(s))`` has the same structure and
    equal leaves.

    A batched schedule is written with lists for its batched scalar leaves (``CosineDecay([0.1, 0.3],
    1000)``, which ``parse`` reads as a batch); batched vector leaves (boundaries) have no spec form: write
    each config, ``[to_spec(s) for s in lrjit.unstack(batch)]``.

    Raises:
      TypeError: ``schedule`` is not an lrjit schedule.
      ValueError: a value the language cannot write (NaN, a PRNG key that is not ``jax.random.key(seed)``,
        batched vector leaves, a stacked sub-schedule outside a sequence).
    """
    if not isinstance(schedule, Schedule):
        raise TypeError(f"to_spec needs an lrjit schedule, got {schedule!r:.80}")
    if any(isinstance(x, jax.core.Tracer) for x in jax.tree_util.tree_leaves(schedule)):
        raise TypeError("to_spec needs concrete values; call it outside jit/vmap/grad")
    return _Writer(batched=batch_size(schedule) is not None).schedule(schedule)


@dataclasses.dataclass
class _Writer:
    batched: bool

    def schedule(self, s: Any, operand: bool = False) -> str:
        """``s`` as an expression; constants as numbers unless ``operand`` holds two constants (numbers
        would fold into one)."""
        name = type(s).__name__
        if isinstance(s, Constant) and not operand and np.ndim(s.value) == 0:
            return self.leaf(s.value, Kind.FLOAT, "value")
        if name in _INFIX and isinstance(s, Binary):
            return self.infix(s, *_INFIX[name])
        if name in _FUNCTIONS:
            return self.function(s, _FUNCTIONS[name])
        if name in ("Sequence", "StackedSequence"):
            return self.sequence(s)
        return self.call(name, s, self.arguments(s, keyword_from=0))

    def infix(self, s: Binary, symbol: str, precedence: int) -> str:
        both_constant = isinstance(s.left, Constant) and isinstance(s.right, Constant)

        def side(child: Any, right: bool) -> str:
            text = self.schedule(child, operand=both_constant and not right)
            inner = _INFIX.get(type(child).__name__)
            looser = inner is not None and (inner[1] < precedence or (right and inner[1] == precedence))
            if isinstance(child, Binary) and looser:
                return f"({text})"
            return text

        return f"{side(s.left, False)} {symbol} {side(s.right, True)}"

    def function(self, s: Any, fn: str) -> str:
        # minimum/maximum take both operands by position; warmup and clip take their schedule by position.
        positional = 2 if fn in ("minimum", "maximum") else 1
        return self.call(fn, s, self.arguments(s, keyword_from=positional))

    def sequence(self, s: Any) -> str:
        if type(s).__name__ == "StackedSequence":
            if self.batched:
                raise ValueError("to_spec: a batched StackedSequence has no spec form; write each config")
            pieces = unstack(s.pieces)
            stacked = True
        else:
            pieces = list(s.schedules)
            # sequence() stacks pieces of one structure: then only the class name keeps a Sequence.
            stacked = all(first_difference(pieces[0], p) is None for p in pieces[1:])
        items = "[" + ", ".join(self.schedule(p) for p in pieces) + "]"
        boundaries = self.leaf(s.boundaries, Kind.INT_VECTOR, "boundaries")
        if stacked and type(s).__name__ == "Sequence":
            return f"Sequence(schedules={items}, boundaries={boundaries})"
        return f"sequence({items}, {boundaries})"

    def arguments(self, s: Any, keyword_from: int) -> list[str]:
        """``s``'s fields as arguments: the first ``keyword_from`` by position, the others by keyword,
        fields at their default left out."""
        out = []
        defaults = {f.name: f.default for f in dataclasses.fields(s)}
        for i, (name, spec) in enumerate(fields_of(s).items()):
            value = getattr(s, name)
            if i >= keyword_from and _is_default(value, defaults.get(name, dataclasses.MISSING), spec):
                continue
            if spec.static:
                if callable(value):  # a function (lrjit.StepFunction): the language has no form for it
                    raise ValueError(
                        f"to_spec: {type(s).__name__}.{name} is a Python function ({value!r:.60}), which the "
                        "spec language cannot write"
                    )
                text = repr(list(value) if isinstance(value, tuple) else value)
            elif value is None:
                text = "None"
            elif spec.child == "tuple":
                text = "[" + ", ".join(self.schedule(v) for v in value) + "]"
            elif spec.child == "stacked":
                raise ValueError(f"to_spec: {type(s).__name__}.{name} is stacked; the language has no form")
            elif spec.child is not None:
                text = self.schedule(value)
            else:
                assert spec.kind is not None  # a leaf
                text = self.leaf(value, spec.kind, name)
            out.append(text if i < keyword_from else f"{name}={text}")
        return out

    @staticmethod
    def call(fn: str, s: Any, arguments: list[str]) -> str:
        return f"{fn}({', '.join(arguments)})"

    def leaf(self, value: Any, kind: Kind, name: str) -> str:
        if kind is Kind.KEY:
            return _seed(value, name)
        arr = np.asarray(value)
        if arr.ndim > kind.base_ndim and kind.base_ndim:
            raise ValueError(
                f"to_spec: `{name}` is a batched vector leaf, which has no spec form; write each config "
                "([to_spec(s) for s in lrjit.unstack(batch)])"
            )
        return _literal(arr, name)


def _is_default(value: Any, default: Any, spec: Any) -> bool:
    if default is dataclasses.MISSING or spec.child is not None:
        return False
    if spec.static or value is None or default is None:
        return value == default if spec.static else value is default
    if spec.kind is Kind.KEY:
        return isinstance(default, int) and _seed(value, spec.name) == str(default)
    arr, ref = np.asarray(value), np.asarray(default)
    return arr.shape == ref.shape and bool(np.all(arr == ref.astype(arr.dtype)))  # in the leaf's dtype


def _literal(arr: np.ndarray, name: str) -> str:
    if arr.ndim:
        return "[" + ", ".join(_literal(x, name) for x in arr) + "]"
    if arr.dtype.kind == "b":
        return repr(bool(arr))
    if arr.dtype.kind in "iu":
        return str(int(arr))
    x = float(str(arr.item() if arr.dtype == np.float64 else arr))  # the shortest decimal in its dtype
    if math.isnan(x):
        raise ValueError(f"to_spec: `{name}` is NaN, which the spec language cannot write")
    if math.isinf(x):
        return "1e999" if x > 0 else "-1e999"
    return repr(x)


def _seed(key: Any, name: str) -> str:
    """The seed ``s`` of ``key == jax.random.key(s)`` (a list of seeds for a batch of keys)."""
    data = np.asarray(jax.random.key_data(key))
    impl = str(jax.random.key_impl(key))
    if "threefry" not in impl or data.shape[-1] != 2 or np.any(data[..., 0] != 0):
        raise ValueError(f"to_spec: `{name}` is a PRNG key not made by jax.random.key(seed); no spec form")
    seeds = data[..., 1].astype(np.int64)
    return str(seeds.tolist())
