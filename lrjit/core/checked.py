"""Checked evaluation: hyperparameter and step rules as ``checkify`` errors, for traced values too."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
from jax.experimental import checkify

from lrjit.core.schedule import Schedule
from lrjit.core.steps import as_step_array

__all__ = ["checked_call"]


def _checked(schedule: Schedule, step: jax.Array) -> jax.Array:
    schedule.emit_checks()
    checkify.check(jnp.all(step >= 0), "step must be >= 0")
    lr = schedule(step)
    # Valid hyperparameters can still give a non-finite rate (a degenerate config past its horizon):
    # report the family and the first such step.
    finite = jnp.isfinite(lr)
    steps = jnp.broadcast_to(step, lr.shape).reshape(-1)
    first = steps[jnp.argmin(finite.reshape(-1))] if lr.size else jnp.zeros((), step.dtype)
    checkify.check(
        jnp.all(finite),
        f"{type(schedule).__name__}: the learning rate is not finite at step {{step}}",
        step=first,
    )
    return lr


def checked_call(schedule: Schedule, step: Any) -> tuple[checkify.Error, jax.Array]:
    """Evaluates ``schedule(step)`` and reports every violated rule, for concrete and traced values alike.

    Values that are only known under tracing (a config passed into a jitted function, a step inside a
    training loop) cannot raise at construction; this runs the same domain rules the constructors use as
    ``checkify`` checks. It is itself jittable and vmappable::

        err, lr = jax.jit(lrjit.checked_call)(sched, step)
        err.throw()  # raises JaxRuntimeError naming the argument and its allowed range

    Besides the hyperparameter and step rules, it reports a learning rate that is not finite (NaN or
    infinite), naming the family and the first step that gave it.

    Returns:
      ``(error, learning_rate)``; ``error.get()`` is None when every rule holds.
    """
    return checkify.checkify(_checked)(schedule, as_step_array(step))
