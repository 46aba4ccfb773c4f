"""TF-slim's learning-rate flags imported as an lrjit schedule: :func:`from_tf_slim`.

TensorFlow is not imported. TF-slim's image classification trainer (``tensorflow/models``,
``research/slim/train_image_classifier.py``) builds its rate in ``_configure_learning_rate(
num_samples_per_epoch, global_step)`` from these flags (their defaults there):

========================================  =====================================================
``learning_rate_decay_type``              ``'exponential'``: one of ``exponential``, ``fixed``,
                                          ``polynomial``
``learning_rate``                         0.01
``learning_rate_decay_factor``            0.94
``num_epochs_per_decay``                  2.0
``end_learning_rate``                     0.0001
``batch_size``                            32
``sync_replicas``                         False
``replicas_to_aggregate``                 1
``warmup_epochs``                         0 (the current script only)
========================================  =====================================================

The current script computes ``steps_per_epoch = num_samples_per_epoch / batch_size`` (divided by
``replicas_to_aggregate`` with ``sync_replicas``) and ``decay_steps = int(steps_per_epoch *
num_epochs_per_decay)`` in Python floats; earlier revisions (``legacy=True``) computed ``int(
num_samples_per_epoch * num_epochs_per_decay / batch_size)`` and then divided it by
``replicas_to_aggregate`` (a true division: lrjit takes it when it is a whole number of steps). Then:

- ``exponential``: ``tf.compat.v1.train.exponential_decay(learning_rate, global_step, decay_steps,
  learning_rate_decay_factor, staircase=True)``: :class:`lrjit.ExponentialDecay`;
- ``polynomial``: ``polynomial_decay(learning_rate, global_step, decay_steps, end_learning_rate,
  power=1.0, cycle=False)``: :class:`lrjit.PolynomialDecay`;
- ``fixed``: ``learning_rate``: ``lrjit.Constant``;
- with ``warmup_epochs`` > 0 (current script): ``min(learning_rate * global_step / (steps_per_epoch *
  warmup_epochs), rate)``: ``lrjit.minimum`` of a linear ramp and the rate.

The step is ``global_step`` (the number of updates so far). Other flags of a whole flag set (an absl
``FlagValues``, an ``argparse.Namespace``) are not read; in a dict, keys outside these raise ValueError
naming them unless ``ignore_other_keys=True``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from lrjit.compose import Constant, Warmup, minimum
from lrjit.core import Schedule
from lrjit.families import keras
from lrjit.frontend.importers import Importer, UnsupportedScheduleError, plain_value, register_importer

__all__ = ["TF_SLIM_DECAY_TYPES", "TF_SLIM_FLAGS", "from_tf_slim"]

# train_image_classifier.py's learning-rate flags and their defaults.
TF_SLIM_FLAGS: dict[str, Any] = {
    "learning_rate_decay_type": "exponential",
    "learning_rate": 0.01,
    "learning_rate_decay_factor": 0.94,
    "num_epochs_per_decay": 2.0,
    "end_learning_rate": 0.0001,
    "batch_size": 32,
    "sync_replicas": False,
    "replicas_to_aggregate": 1,
    "warmup_epochs": 0.0,
}
TF_SLIM_DECAY_TYPES: dict[str, type[Schedule]] = {
    "exponential": keras.ExponentialDecay,
    "fixed": Constant,
    "polynomial": keras.PolynomialDecay,
}
# What lrjit needs besides the flags: the dataset's size (a keyword argument, or a key of a dict).
_RUN_KEY = "num_samples_per_epoch"


def _read(flags: Any, ignore_other_keys: bool) -> dict[str, Any]:
    """The flags (TF-slim's defaults for those not given) and ``num_samples_per_epoch`` when a dict has it."""
    if isinstance(flags, Mapping):
        given = {k: plain_value(v) for k, v in flags.items()}
        unknown = sorted(set(given) - set(TF_SLIM_FLAGS) - {_RUN_KEY})
        if unknown and not ignore_other_keys:
            raise ValueError(
                f"from_tf_slim: unknown key(s) {', '.join(map(repr, unknown))}; the learning-rate flags are "
                f"{', '.join(TF_SLIM_FLAGS)} (and {_RUN_KEY}); pass ignore_other_keys=True for a whole "
                "flag set"
            )
        return {k: given.get(k, v) for k, v in {**TF_SLIM_FLAGS, _RUN_KEY: None}.items()}
    # absl FlagValues / argparse.Namespace: read by attribute (a flag the script does not define keeps its
    # default, as in a revision without it).
    return {k: plain_value(getattr(flags, k, v)) for k, v in TF_SLIM_FLAGS.items()} | {_RUN_KEY: None}


def _positive(value: Any, name: str, integer: bool) -> Any:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and value > 0
    if ok and integer:
        ok = float(value) == int(value)
    if not ok or not math.isfinite(value):
        kind = "an integer >= 1" if integer else "a number > 0"
        raise ValueError(f"from_tf_slim: `{name}` must be {kind}, got {value!r}")
    return int(value) if integer else float(value)


def from_tf_slim(
    flags: Any,
    *,
    num_samples_per_epoch: int | None = None,
    legacy: bool = False,
    ignore_other_keys: bool = False,
) -> Schedule:
    """The lrjit schedule of TF-slim's ``_configure_learning_rate`` for these flags.

    Args:
      flags: the flags: a dict of the learning-rate flags (see the module; TF-slim's defaults for those left
        out), or an object that has them as attributes (absl ``FLAGS``, an ``argparse.Namespace``).
      num_samples_per_epoch: the training set's size (``dataset.num_samples``); may also be a key of the
        dict. Needed unless the rate is ``fixed`` without warmup.
      legacy: the earlier formula ``int(num_samples_per_epoch * num_epochs_per_decay / batch_size) /
        replicas_to_aggregate`` (no ``warmup_epochs``).
      ignore_other_keys: in a dict, skip keys that are not learning-rate flags.

    Returns:
      The schedule whose step is ``global_step``.

    Raises:
      ValueError: an unknown ``learning_rate_decay_type`` or key, a missing ``num_samples_per_epoch``, flag
        values out of range, a decay period of 0 steps.
      UnsupportedScheduleError: (``legacy``) a decay period that is not a whole number of steps.

    Example:
      >>> import lrjit
      >>> import numpy as np
      >>> sched = lrjit.from_tf_slim({"learning_rate": 0.1, "num_epochs_per_decay": 2.0, "batch_size": 100},
      ...                            num_samples_per_epoch=1000)  # exponential: decay_steps = 20
      >>> print(sched(np.array([0, 19, 20, 40])))
      [0.1    0.1    0.094  0.08836]
    """
    f = _read(flags, ignore_other_keys)
    kind = f["learning_rate_decay_type"]
    if kind not in TF_SLIM_DECAY_TYPES:
        raise ValueError(
            f"from_tf_slim: `learning_rate_decay_type` must be one of {', '.join(TF_SLIM_DECAY_TYPES)}, "
            f"got {kind!r}"
        )
    lr = f["learning_rate"]
    if isinstance(lr, bool) or not isinstance(lr, int | float) or not math.isfinite(lr) or lr < 0:
        raise ValueError(f"from_tf_slim: `learning_rate` must be a number >= 0, got {lr!r}")
    lr = float(lr)
    warmup_epochs = f["warmup_epochs"] or 0.0
    if legacy and warmup_epochs:
        raise ValueError("from_tf_slim: `warmup_epochs` is a flag of the current script, not of legacy=True")
    if kind == "fixed" and not warmup_epochs:
        return Constant(lr)
    n = num_samples_per_epoch if num_samples_per_epoch is not None else f[_RUN_KEY]
    if n is None:
        raise ValueError(
            f"from_tf_slim: `{_RUN_KEY}` (the training set's size, dataset.num_samples) is needed: the decay "
            "period is num_samples_per_epoch * num_epochs_per_decay / batch_size steps"
        )
    n = _positive(n, _RUN_KEY, True)
    batch = _positive(f["batch_size"], "batch_size", True)
    epochs = _positive(f["num_epochs_per_decay"], "num_epochs_per_decay", False)
    replicas = (
        _positive(f["replicas_to_aggregate"], "replicas_to_aggregate", True) if f["sync_replicas"] else 1
    )
    steps_per_epoch = n / batch / replicas
    if legacy:
        exact = int(n * epochs / batch) / replicas
        if exact != int(exact):
            raise UnsupportedScheduleError(
                f"from_tf_slim: decay_steps = int({n} * {epochs} / {batch}) / {replicas} = {exact} is not a "
                "whole number of steps; lrjit's decays count whole steps"
            )
        decay_steps = int(exact)
    else:
        decay_steps = int(steps_per_epoch * epochs)
    if kind != "fixed" and decay_steps < 1:
        raise ValueError(
            f"from_tf_slim: the decay period is {decay_steps} steps ({n} samples per epoch, batch_size "
            f"{batch}, num_epochs_per_decay {epochs}, {replicas} replica(s)); TensorFlow divides by it: it "
            "must be >= 1"
        )
    if kind == "exponential":
        rate: Schedule = keras.ExponentialDecay(
            lr,
            decay_steps,
            _positive(f["learning_rate_decay_factor"], "learning_rate_decay_factor", False),
            True,
        )
    elif kind == "polynomial":
        end = f["end_learning_rate"]
        if isinstance(end, bool) or not isinstance(end, int | float) or not end >= 0:
            raise ValueError(f"from_tf_slim: `end_learning_rate` must be a number >= 0, got {end!r}")
        rate = keras.PolynomialDecay(lr, decay_steps, float(end), 1.0, False)
    else:
        rate = Constant(lr)
    if not warmup_epochs:
        return rate
    span = steps_per_epoch * _positive(warmup_epochs, "warmup_epochs", False)
    # lr * step / span, capped where it passes lr (>= the rate, so the minimum is unchanged): a linear
    # warmup over whole steps ceil(span) to lr * ceil(span) / span.
    whole = math.ceil(span)
    return minimum(Warmup(Constant(lr * whole / span), steps=whole, start=0.0), rate)


def _accepts(obj: Any) -> bool:
    """A dict with ``learning_rate_decay_type`` (and no lrjit ``family``)."""
    return isinstance(obj, Mapping) and "learning_rate_decay_type" in obj and "family" not in obj


register_importer(Importer("tf_slim", _accepts, from_tf_slim))
