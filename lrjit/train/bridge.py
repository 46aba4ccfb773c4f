"""lrjit schedules in optax optimizers, with float32 hyperparameters whatever the params' dtype.

An lrjit schedule already is an optax schedule (a callable of the integer update count), so it goes
straight into any optax optimizer::

    sched = lrjit.CosineDecay(0.1, decay_steps=10_000, warmup_target=1.0, warmup_steps=500)
    tx = optax.adam(learning_rate=sched)               # update k uses sched(k)

To read or change hyperparameters through the optimizer state, optax offers ``optax.inject_hyperparams``.
Its default picks the hyperparameters' dtype from the params (optax issue #1414): with bfloat16 params a
constant learning rate of ``1e-3`` is stored as ``0.000999451``, a momentum of ``0.9`` as ``0.898438``,
while a schedule's float32 output is kept, so one optimizer mixes two precisions. And with
``hyperparam_dtype=jnp.float32`` the float32 hyperparameters promote bfloat16 updates and optimizer state
to float32 after the first update, so the state's dtypes drift (a ``lax.scan`` carry then fails, a jitted
step retraces). :func:`inject_hyperparams` here injects every float hyperparameter in float32 and keeps
the updates and the optimizer state in the dtypes optax would use without injection::

    from lrjit.train.bridge import inject_hyperparams

    tx = inject_hyperparams(optax.sgd)(
        learning_rate=lrjit.CosineDecay(0.1, 10_000),
        momentum=lrjit.CosineScheduler(10_000, base_lr=0.85, final_lr=0.95),  # cosine rising 0.85 -> 0.95
    )
    state = tx.init(params)
    state.hyperparams["learning_rate"]                 # float32, the rate of the latest update
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

from lrjit.core import Schedule, batch_size

__all__ = ["as_optax_schedule", "inject_hyperparams"]


def as_optax_schedule(sched: Schedule) -> optax.Schedule:
    """An lrjit schedule as an optax schedule: the schedule itself, checked to be a single config.

    Nothing is wrapped: ``sched(count)`` takes optax's int32 update count (traced or concrete) and returns
    a float32 scalar, which is the ``optax.Schedule`` protocol. ``optax.sgd(as_optax_schedule(s))`` and
    ``optax.sgd(s)`` are the same optimizer; update k (counting from 0) scales by ``-s(k)``::

        s = lrjit.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
        tx = optax.sgd(as_optax_schedule(s))           # the same as optax.sgd(s)
        updates, state = tx.update(grads, tx.init(params))   # -s(0) * grads

    A batched schedule (K configs) returns ``[K]`` rates per count, which optax would broadcast against the
    params; train K models with :mod:`lrjit.train.population` instead.

    Reference: ``optax.Schedule`` (``Callable[[chex.Numeric], chex.Numeric]``).

    Args:
      sched: a single (unbatched) lrjit schedule.

    Returns:
      ``sched``, unchanged.

    Raises:
      TypeError: if ``sched`` is not an lrjit schedule.
      ValueError: if ``sched`` is batched.
    """
    if not isinstance(sched, Schedule):
        raise TypeError(f"expected an lrjit schedule, got {type(sched).__name__}")
    k = batch_size(sched)
    if k is not None:
        raise ValueError(
            f"a batched schedule ({k} configs) gives {k} rates per step; pick one config with "
            "lrjit.unstack, or vmap over the configs (lrjit.train.population)"
        )
    return sched


def inject_hyperparams(
    inner_factory: Callable[..., optax.GradientTransformation],
    *,
    static_args: str | Iterable[str] = (),
    hyperparam_dtype: Any = jnp.float32,
) -> Callable[..., optax.GradientTransformationExtraArgs]:
    """``optax.inject_hyperparams`` with float32 hyperparameters by default, whatever the params' dtype.

    Every numeric argument of ``inner_factory`` may be a constant, an lrjit schedule (any callable of the
    update count) or an optax stateful schedule: ``learning_rate``, ``momentum``, ``b1``,
    ``weight_decay``... Update k (counting from 0) uses each schedule's value at k, which
    ``state.hyperparams[name]`` holds after that update (and the value at 0 after ``init``).

    With a ``hyperparam_dtype`` (float32 by default), compared with optax's own wrapper:

    * every float hyperparameter is cast to it: constants, schedule outputs and strongly typed arrays
      (optax casts only weakly typed values, so ``hyperparam_dtype=jnp.bfloat16`` would leave a float32
      schedule in float32);
    * the updates keep the dtype of the incoming updates and the inner optimizer state keeps the dtypes of
      its ``init``, as without injection: the float32 hyperparameters take part in the arithmetic, whose
      result is rounded once to the stored dtype, instead of promoting bfloat16 state to float32 after the
      first update (which breaks a ``lax.scan`` carry and retraces a jitted step).

    ``hyperparam_dtype=None`` returns ``optax.inject_hyperparams`` unchanged: constants take the params'
    highest float dtype (bfloat16 params, bfloat16 constants; optax issue #1414).

    Reference: ``optax.inject_hyperparams``; https://github.com/google-deepmind/optax/issues/1414.

    Args:
      inner_factory: a function returning an ``optax.GradientTransformation``, e.g. ``optax.adamw``.
      static_args: names of ``inner_factory``'s arguments that are not hyperparameters (passed as given,
        never called as schedules), e.g. a callable ``mask``.
      hyperparam_dtype: the dtype of every float hyperparameter, or None for optax's choice.

    Returns:
      A factory taking ``inner_factory``'s arguments (constants or schedules) and returning an
      ``optax.GradientTransformationExtraArgs`` whose state is an ``optax.InjectStatefulHyperparamsState``.
    """
    injected = optax.inject_hyperparams(
        inner_factory, static_args=static_args, hyperparam_dtype=hyperparam_dtype
    )
    if hyperparam_dtype is None:
        return injected
    dtype = jnp.dtype(hyperparam_dtype)
    static = {static_args} if isinstance(static_args, str) else set(static_args)
    signature = inspect.signature(inner_factory)

    @functools.wraps(inner_factory)
    def factory(*args: Any, **kwargs: Any) -> optax.GradientTransformationExtraArgs:
        bound = signature.bind(*args, **kwargs)
        for name, value in bound.arguments.items():
            if name not in static:
                bound.arguments[name] = _cast_hyperparameter(value, dtype)
        return _keep_dtypes(injected(*bound.args, **bound.kwargs))

    return factory


def _cast_float(x: Any, dtype: np.dtype) -> Any:
    """``x`` as a ``dtype`` array if it is a float (weak or strong), else unchanged (ints stay ints)."""
    if jnp.issubdtype(jnp.result_type(x), jnp.floating):
        return jnp.asarray(x).astype(dtype)
    return x


class _CastStatefulSchedule:
    """An optax stateful schedule whose value is cast to a dtype (same ``init`` / ``update``)."""

    def __init__(self, inner: optax.schedules.StatefulSchedule, dtype: np.dtype) -> None:
        self.inner, self.dtype = inner, dtype

    def init(self) -> Any:
        return self.inner.init()

    def update(self, state: Any, **extra_args: Any) -> Any:
        return self.inner.update(state, **extra_args)

    def __call__(self, state: Any, **extra_args: Any) -> Any:
        return _cast_float(self.inner(state, **extra_args), self.dtype)


def _cast_hyperparameter(value: Any, dtype: np.dtype) -> Any:
    """One argument of the inner factory with its float value(s) in ``dtype``, sorted as optax sorts them."""
    if isinstance(value, bool):  # a flag (optax never injects bools)
        return value
    if isinstance(value, optax.schedules.StatefulSchedule):
        return _CastStatefulSchedule(value, dtype)
    if isinstance(value, Schedule):
        value = as_optax_schedule(value)  # one config: a batch would give one rate per config
    if callable(value):
        return lambda count: _cast_float(value(count), dtype)
    if isinstance(value, int | float | np.ndarray | np.generic | jax.Array):
        return _cast_float(value, dtype)
    return value  # None, strings, masks given as pytrees: optax passes them through


def _keep_dtypes(tx: optax.GradientTransformationExtraArgs) -> optax.GradientTransformationExtraArgs:
    """``tx`` with its updates cast to the incoming updates' dtypes and its inner state to its old dtypes."""

    def update(
        updates: optax.Updates, state: Any, params: optax.Params | None = None, **extra_args: Any
    ) -> tuple[optax.Updates, Any]:
        new_updates, new_state = tx.update(updates, state, params, **extra_args)
        new_updates = jax.tree.map(_astype_like, new_updates, updates)
        inner = jax.tree.map(_astype_like, new_state.inner_state, state.inner_state)
        return new_updates, new_state._replace(inner_state=inner)

    return optax.GradientTransformationExtraArgs(tx.init, update)


def _astype_like(x: Any, like: Any) -> Any:
    """``x`` in ``like``'s dtype; untouched when the dtypes already agree (keeping its weak type)."""
    dtype = jnp.result_type(like)
    return x if jnp.result_type(x) == dtype else jnp.asarray(x).astype(dtype)
