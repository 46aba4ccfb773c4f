"""Population training: K models, each with its own schedule config, trained by one jitted, vmapped step.

A batched schedule (``lrjit.stack`` of K configs of one family and structure) carries one config per model.
The per-model train step is written for ONE model and ONE config, building its optimizer from the
schedule it is given; :func:`population_step` vmaps it over the K models and their configs
(``in_axes`` from :func:`lrjit.config_axes`) and jits the result. The schedule is an argument of the
jitted function, not a constant closed over, so any other batch of configs of the same structure (family,
static fields, optional fields set, K) reuses the compiled program::

    import jax, jax.numpy as jnp, optax, lrjit
    from lrjit.train.population import population_init, population_step, replicate

    def loss_fn(w, batch):
        x, y = batch
        return jnp.mean((x @ w - y) ** 2)

    def make_optimizer(schedule):           # one config (traced inside the step)
        return optax.sgd(schedule, momentum=0.9)

    def train_step(params, opt_state, schedule, batch):
        loss, grads = jax.value_and_grad(loss_fn)(params, batch)
        updates, opt_state = make_optimizer(schedule).update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, {"loss": loss}

    x = jax.random.normal(jax.random.key(0), (32, 4))
    batch = (x, x @ jnp.arange(4.0))
    schedules = lrjit.stack([lrjit.CosineDecay(r, 100) for r in (0.01, 0.03, 0.1, 0.3)])
    params = replicate(jnp.zeros(4), 4)     # [K, 4]: the same start for every model
    opt_states = population_init(make_optimizer, params, schedules)
    step = population_step(train_step)      # the data batch is shared (data_axes=None)
    for _ in range(100):
        params, opt_states, metrics = step(params, opt_states, schedules, batch)
    metrics["loss"]                         # [K]: one loss per model

:func:`population_run` runs the whole training, T steps of the K models, as one jitted program: a
``jax.lax.scan`` over the steps of the same vmapped ``train_step``, with the data of every step stacked on a
leading axis of T (one host call, no Python loop, no per-step dispatch)::

    run = population_run(train_step)
    batches = jax.tree.map(lambda b: jnp.stack([b] * 100), batch)  # T = 100 steps: leaves [T, ...]
    params, opt_states, metrics = run(params, opt_states, schedules, batches)
    metrics["loss"]                         # [T, K]: one loss per step and model

Pattern reference: ``jax.vmap`` over per-example or per-model functions (JAX "Automatic vectorization");
the schedules are optax schedules, so any ``optax`` optimizer built from one config works per model.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

from lrjit.core import Config, config_axes

__all__ = ["population_init", "population_run", "population_step", "replicate", "schedule_axes"]

TrainStep = Callable[[Any, Any, Any, Any], tuple[Any, Any, Any]]


def schedule_axes(schedules: Any) -> Any:
    """The ``vmap`` ``in_axes`` of a batched schedule, or of a pytree of them.

    Args:
      schedules: a batched lrjit schedule (or config), or a pytree of them, e.g.
        ``{"lr": lrjit.stack(...), "b1": lrjit.stack(...)}``; other leaves (arrays) are taken to have a
        leading axis of K.

    Returns:
      ``in_axes`` for ``schedules``: :func:`lrjit.config_axes` for each config (0 on leaves with a config
      axis, None on shared ones), 0 for every other leaf.
    """
    is_config = lambda x: isinstance(x, Config)  # noqa: E731
    return jax.tree.map(lambda x: config_axes(x) if is_config(x) else 0, schedules, is_leaf=is_config)


def replicate(tree: Any, k: int) -> Any:
    """K copies of a pytree stacked on a new leading axis: the same initial params for every model.

    Args:
      tree: a pytree of arrays (e.g. one model's params).
      k: the number of models.

    Returns:
      The pytree with every leaf of shape ``[k, *leaf.shape]``.
    """
    return jax.tree.map(lambda x: jnp.broadcast_to(x, (k, *jnp.shape(x))), tree)


def population_init(
    make_optimizer: Callable[[Any], optax.GradientTransformation], params: Any, schedules: Any
) -> Any:
    """The K optimizer states: ``make_optimizer(schedule_i).init(params_i)`` for every model i, stacked.

    The schedule goes to the optimizer's ``init`` too, since some states hold values of it
    (``inject_hyperparams`` stores each hyperparameter at count 0).

    Args:
      make_optimizer: builds the optimizer of one model from one config, e.g. ``lambda s: optax.adam(s)``;
        the same builder the train step uses.
      params: the K models' params, every leaf with a leading axis of K (see :func:`replicate`).
      schedules: a batched schedule with K configs, or a pytree of them (see :func:`schedule_axes`).

    Returns:
      The optimizer states, every leaf with a leading axis of K.
    """
    init = lambda p, s: make_optimizer(s).init(p)  # noqa: E731
    # Jitted: one compilation instead of one per operation of an eager vmap.
    return jax.jit(jax.vmap(init, in_axes=(0, schedule_axes(schedules))))(params, schedules)


def population_step(train_step: TrainStep, *, data_axes: Any = None, donate: bool = False) -> TrainStep:
    """One jitted step for K models: ``train_step`` vmapped over the models and their schedule configs.

    ``train_step(params, opt_state, schedule, batch) -> (params, opt_state, metrics)`` is written for one
    model and one config, and builds its optimizer from ``schedule`` (e.g. ``optax.adam(schedule)``).
    The returned function takes the K models' params and optimizer states (leading axis K), a batched
    schedule with K configs and the data, and returns the K updated params, states and metrics (leading
    axis K). The in_axes of the schedule are computed from its structure when the function is traced, so
    a new batch of configs of the same structure reuses the compiled program.

    Args:
      train_step: the step of one model.
      data_axes: the ``vmap`` axes of the data: None (default) for one batch shared by all K models, 0 for
        one batch per model (every leaf with a leading axis of K), or a pytree prefix mixing both.
      donate: donate the params and optimizer-state buffers to the output (``jax.jit``'s
        ``donate_argnums``), so K models' state is updated in place; the inputs are then invalid.

    Returns:
      ``step(params, opt_states, schedules, batch) -> (params, opt_states, metrics)``, jitted.
    """

    return jax.jit(_vmapped(train_step, data_axes), donate_argnums=(0, 1) if donate else ())


def population_run(
    train_step: TrainStep, *, data_axes: Any = None, donate: bool = False, unroll: int = 1
) -> TrainStep:
    """The whole training of K models for T steps as one jitted program: :func:`population_step` under
    ``jax.lax.scan``.

    ``train_step(params, opt_state, schedule, batch) -> (params, opt_state, metrics)`` is the step of one
    model with one config, as for :func:`population_step`. The returned function computes, for t = 0 ..
    T-1 and every model i at once (vmapped)::

        params_i, opt_state_i, metrics[t, i] = train_step(params_i, opt_state_i, schedule_i, batches[t])

    and returns the final params and optimizer states (leading axis K) and the metrics of every step
    stacked on a new leading axis: each metrics leaf ``[T, K, ...]`` (``metrics[t]`` is what
    :func:`population_step` returns at step t). Model i's optimizer counts its own updates, so update t uses
    ``schedule_i(t)`` when the states come fresh from :func:`population_init`; a run continues from any
    states, e.g. those of a previous run (the count carries on).

    The data: ``batches`` is a pytree whose every leaf has a leading axis of T, the number of steps; step t
    sees ``jax.tree.map(lambda b: b[t], batches)``, then split over the models by ``data_axes`` (None: one
    batch shared by all K models, leaves ``[T, ...]``; 0: one batch per model, leaves ``[T, K, ...]``; or
    a pytree prefix mixing both). Data that is a pure function of the step (indices into a dataset the step
    closes over, a random key folded with the step) needs no stacked copy: pass ``jnp.arange(T)`` as
    ``batches`` and compute it from the step index inside ``train_step``.

    The whole run is one XLA program: one compilation per structure of the arguments (shapes, T, the
    schedules' structure), reused for new configs of the same structure as :func:`population_step` is.
    It computes the same operations as T calls of :func:`population_step`; whether the two agree bitwise
    is XLA's business (the loop body may be fused differently from the standalone step).

    Args:
      train_step: the step of one model.
      data_axes: the ``vmap`` axes of one step's data, as in :func:`population_step`.
      donate: donate the params and optimizer-state buffers to the outputs (``donate_argnums``).
      unroll: how many steps ``jax.lax.scan`` unrolls per loop iteration (an integer >= 1; 1 by default).

    Returns:
      ``run(params, opt_states, schedules, batches) -> (params, opt_states, metrics)``, jitted.

    Raises:
      ValueError: for an ``unroll`` that is not an integer >= 1, and (when ``run`` is traced) for
        ``batches`` without arrays or whose leaves do not share one leading length T >= 1.

    Example: K = 3 models minimizing ``(w - 3)**2 / 2`` by plain SGD, each at its own constant rate.

      >>> import jax, jax.numpy as jnp, numpy as np, optax, lrjit
      >>> from lrjit.train.population import population_init, population_run, replicate
      >>> def train_step(w, opt_state, schedule, batch):
      ...     loss, grad = jax.value_and_grad(lambda w: (w - batch) ** 2 / 2)(w)
      ...     updates, opt_state = optax.sgd(schedule).update(grad, opt_state)
      ...     return optax.apply_updates(w, updates), opt_state, {"loss": loss}
      >>> schedules = lrjit.grid(lrjit.ExponentialDecay(0.1, 1, 1.0), initial_learning_rate=[0.25, 0.5, 1.0])
      >>> params = replicate(jnp.float32(0.0), 3)
      >>> opt_states = population_init(optax.sgd, params, schedules)
      >>> run = population_run(train_step)
      >>> params, opt_states, metrics = run(params, opt_states, schedules, jnp.full(4, 3.0))  # T = 4
      >>> print(metrics["loss"].shape, params)
      (4, 3) [2.0507812 2.8125    3.       ]
      >>> print(metrics["loss"][:, 0])
      [4.5       2.53125   1.4238281 0.8009033]
    """
    if isinstance(unroll, bool) or not isinstance(unroll, int | np.integer) or unroll < 1:
        raise ValueError(f"population_run: unroll must be an integer >= 1, got {unroll!r}")
    step = _vmapped(train_step, data_axes)

    def run(params: Any, opt_states: Any, schedules: Any, batches: Any) -> tuple[Any, Any, Any]:
        _check_steps(batches)

        def body(carry: tuple[Any, Any], batch: Any) -> tuple[tuple[Any, Any], Any]:
            params, opt_states, metrics = step(*carry, schedules, batch)
            return (params, opt_states), metrics

        (params, opt_states), metrics = jax.lax.scan(body, (params, opt_states), batches, unroll=int(unroll))
        return params, opt_states, metrics

    return jax.jit(run, donate_argnums=(0, 1) if donate else ())


def _vmapped(train_step: TrainStep, data_axes: Any) -> TrainStep:
    """``train_step`` vmapped over the models, their configs and (by ``data_axes``) the data."""

    def step(params: Any, opt_states: Any, schedules: Any, batch: Any) -> tuple[Any, Any, Any]:
        axes = (0, 0, schedule_axes(schedules), data_axes)
        return jax.vmap(train_step, in_axes=axes)(params, opt_states, schedules, batch)

    return step


def _check_steps(batches: Any) -> int:
    """T, the leading length every leaf of ``batches`` shares."""
    shapes = [jnp.shape(x) for x in jax.tree.leaves(batches)]
    if not shapes:
        raise ValueError(
            "population_run: batches holds no arrays; it needs a leading step axis of T >= 1 "
            "(pass jnp.arange(T) for T steps whose data the train step computes from the step index)"
        )
    lengths = {s[0] if s else 0 for s in shapes}
    if len(lengths) != 1 or 0 in lengths:
        raise ValueError(
            "population_run: every leaf of batches needs a leading step axis of one length T >= 1, "
            f"got leaf shapes {shapes}"
        )
    return int(lengths.pop())
