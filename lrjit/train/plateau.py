"""Reduce-on-plateau: a metric-driven learning-rate controller with torch's rules, as a pure state machine.

``ReduceLROnPlateau`` is a :class:`~lrjit.core.schedule.Config` (an immutable pytree: numeric
hyperparameters are leaves, ``mode`` / ``threshold_mode`` / ``rel_margin`` are structure), and the controller
is two pure functions of it::

    cfg = ReduceLROnPlateau(patience=2, factor=0.5)
    state = cfg.init(0.1)                       # PlateauState(lr=0.1, best=inf, ...)
    state = cfg.update(state, val_loss)         # torch's scheduler.step(val_loss), jnp only

``update`` has no Python branch on values, so it runs eagerly, under ``jit``, in ``lax.scan`` over a metric
sequence, and under ``vmap`` over a stacked batch of configs (``lrjit.stack`` + ``lrjit.config_axes``) and
over states. A new config of the same structure reuses the compiled kernel.

Composition with an open-loop schedule: the plateau contributes a multiplier, ``scale(state, base_lr) =
state.lr / base_lr``, and the learning rate is ``lr(step) = schedule(step) * scale``. As an optax
transformation (:func:`reduce_on_plateau`) that is::

    tx = optax.chain(optax.sgd(lrjit.CosineDecay(0.1, 10_000)), reduce_on_plateau(ReduceLROnPlateau()))
    updates, opt_state = tx.update(grads, opt_state, params, value=loss)

and warmup followed by a plateau controller is a warmup schedule (constant after its warmup) whose plateau
ignores the metric during the warmup (``start_step``; torch's ``SequentialLR`` cannot hand over to
``ReduceLROnPlateau``, pytorch#68978)::

    tx = optax.chain(optax.sgd(warmup_schedule), reduce_on_plateau(ReduceLROnPlateau(start_step=W)))

Reference: ``torch.optim.lr_scheduler.ReduceLROnPlateau`` (torch 2.13), reproduced operation for operation:
in float64 (x64) the learning rates equal torch's bit for bit.

From another library's settings, :func:`plateau_from_config` reads Hugging Face's
``lr_scheduler_type="reduce_lr_on_plateau"`` and timm's ``sched="plateau"`` and returns a
:class:`PlateauSetup`: the open-loop rate (timm's warmup), the controller with the source's arguments, the
rate it starts from and the metric the source steps it with.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Mapping
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from lrjit.compose import Constant, Warmup
from lrjit.core import Config, Domain, FloatLike, IntLike, Kind, Schedule, is_traced, leaf, static
from lrjit.core.fields import NONNEG, int_range
from lrjit.core.numerics import ratio
from lrjit.frontend.importers import UnsupportedScheduleError, plain_value
from lrjit.interop.timm import CREATE_SCHEDULER_V2_DEFAULTS, scheduler_kwargs
from lrjit.interop.transformers import (
    TRAINER_EXTRA_DEFAULTS,
    TRAINING_ARGUMENTS_DEFAULTS,
    is_training_arguments,
)

__all__ = [
    "PlateauSetup",
    "PlateauState",
    "ReduceLROnPlateau",
    "plateau_from_config",
    "reduce_on_plateau",
    "scale",
]


# torch raises for factor >= 1 ("Factor should be < 1.0"); a negative factor would be clamped to min_lr by
# the max() and is no reduction anyone means, so the domain is [0, 1).
FACTOR = Domain(
    "a float in [0, 1)", lambda x, xp: (x >= 0) & (x < 1), lambda rng: float(rng.uniform(0.05, 0.9))
)
# Counts of metric updates: the shared NONNEG_INT samples up to 500, far beyond useful patiences.
PATIENCE = Domain("an integer >= 0", lambda x, xp: x >= 0, int_range(0, 20))
COOLDOWN = Domain("an integer >= 0", lambda x, xp: x >= 0, int_range(0, 10))
START_STEP = Domain("an integer >= 0", lambda x, xp: x >= 0, int_range(0, 100))
EPS = Domain("a finite float >= 0", NONNEG.predicate, lambda rng: float(rng.choice([0.0, 1e-8, 1e-4])))


class PlateauState(NamedTuple):
    """The controller's state: every field a scalar array (or ``[K]`` under ``vmap`` over K states).

    Attributes:
      lr: the current learning rate (float; the dtype of :meth:`ReduceLROnPlateau.init`).
      best: the best metric so far (``+inf`` in ``'min'`` mode, ``-inf`` in ``'max'`` mode before any
        update), torch's ``best``.
      num_bad_epochs: updates since the last improvement, zeroed in cooldown and after a reduction
        (int32), torch's ``num_bad_epochs``.
      cooldown_counter: updates of cooldown left (int32), torch's ``cooldown_counter``.
      last_epoch: updates seen, including those ignored before ``start_step`` (int32); equals torch's
        ``last_epoch`` when ``start_step == 0``.
      num_reductions: reductions actually applied, i.e. that changed ``lr`` (int32).

    The counters saturate at 2**31 - 1 instead of wrapping: past that many updates ``last_epoch`` stays
    there and the controller keeps working.
    """

    lr: jax.Array
    best: jax.Array
    num_bad_epochs: jax.Array
    cooldown_counter: jax.Array
    last_epoch: jax.Array
    num_reductions: jax.Array


class ReduceLROnPlateau(Config):
    """Reduces the learning rate by ``factor`` when a monitored metric stops improving.

    One :meth:`update` is torch's ``scheduler.step(metric)``:

    1. improvement (``a`` the metric, ``t`` the threshold): ``min``/``rel``: ``a < best * (1 - t)``;
       ``min``/``abs``: ``a < best - t``; ``max``/``rel``: ``a > best * (t + 1)``; ``max``/``abs``:
       ``a > best + t``. On improvement ``best = a`` and ``num_bad_epochs = 0``, else ``num_bad_epochs +=
       1``. A NaN metric is never an improvement (every comparison with NaN is false): a bad epoch.
    2. in cooldown (``cooldown_counter > 0``): ``cooldown_counter -= 1`` and ``num_bad_epochs = 0``.
    3. if ``num_bad_epochs > patience``: ``new = max(lr * factor, min_lr)``, applied only if ``lr - new >
       eps``; then, applied or not, ``cooldown_counter = cooldown`` and ``num_bad_epochs = 0``.

    Updates before the ``start_step``-th are ignored (only ``last_epoch`` advances), so a warmup can run
    before the controller starts watching.

    Reference: ``torch.optim.lr_scheduler.ReduceLROnPlateau``. Torch's behaviours kept on purpose (with
    ``rel_margin='torch'``, the default):

    - a negative ``best`` turns the relative margin around: in ``min``/``rel`` mode ``best * (1 - t) >
      best`` when ``best < 0``, so a repeated or slightly worse negative metric counts as an improvement
      and a flat negative loss never triggers a reduction (pytorch#47513; optax's reduce_on_plateau has
      the same rule, optax#1767). ``threshold_mode='abs'`` or ``rel_margin='magnitude'`` avoid it.
    - ``threshold >= 1`` in ``min``/``rel`` mode: ``inf * (1 - t)`` is NaN or ``-inf``, so no metric is
      ever an improvement and every update is a bad epoch.

    ``rel_margin='magnitude'`` (not in torch) measures the relative margin from ``|best|``: ``min``:
    ``a < best - t * |best|``, ``max``: ``a > best + t * |best|`` (the same as torch for ``best >= 0``).

    Concrete out-of-domain values raise ValueError naming the argument. Traced values are not checked
    (``cfg.emit_checks()`` inside ``jax.experimental.checkify.checkify`` checks them); what they yield:
    ``factor >= 1`` never lowers the rate (``lr - new <= 0 <= eps``), a negative ``eps`` with ``factor >
    1`` raises it while ``lr * (factor - 1) < -eps``, ``patience < 0`` reduces on every update outside
    cooldown, a negative ``min_lr`` is no floor.

    Precision: in float32 XLA flushes subnormal numbers to zero, so with ``eps = 0`` and ``min_lr = 0`` a
    rate reduced below about 1.2e-38 becomes 0 (torch's float64 keeps shrinking).

    Args:
      mode: ``'min'`` (lower is better, e.g. a loss) or ``'max'`` (e.g. an accuracy). Static.
      factor: the multiplier of a reduction, in [0, 1).
      patience: bad updates tolerated; the ``patience + 1``-th consecutive one reduces (integer >= 0).
      threshold: the improvement margin (>= 0), relative or absolute per ``threshold_mode``.
      threshold_mode: ``'rel'`` or ``'abs'``. Static.
      cooldown: updates after a reduction during which bad updates are not counted (integer >= 0).
      min_lr: the rate is never reduced below this (>= 0).
      eps: a reduction smaller than or equal to this is skipped (>= 0).
      start_step: metric updates before this many updates are ignored (integer >= 0).
      rel_margin: ``'torch'`` (torch's ``best * (1 -/+ t)``) or ``'magnitude'`` (``best -/+ t * |best|``).
        Static.
    """

    reference = "torch.optim.lr_scheduler.ReduceLROnPlateau"
    mode: str = static(default="min", choices=("min", "max"))
    factor: FloatLike = leaf(Kind.FLOAT, FACTOR, default=0.1)
    patience: IntLike = leaf(Kind.INT, PATIENCE, default=10)
    threshold: FloatLike = leaf(Kind.FLOAT, NONNEG, default=1e-4)
    threshold_mode: str = static(default="rel", choices=("rel", "abs"))
    cooldown: IntLike = leaf(Kind.INT, COOLDOWN, default=0)
    min_lr: FloatLike = leaf(Kind.FLOAT, NONNEG, default=0.0)
    eps: FloatLike = leaf(Kind.FLOAT, EPS, default=1e-8)
    start_step: IntLike = leaf(Kind.INT, START_STEP, default=0)
    rel_margin: str = static(default="torch", choices=("torch", "magnitude"))

    # --------------------------------------------------------------------------------- state
    def init(self, lr: Any) -> PlateauState:
        """The state before any metric: ``lr``, ``best = +inf`` (``min``) or ``-inf`` (``max``), counters 0.

        Args:
          lr: the initial learning rate (a scalar; with ``base_lr=1`` in :func:`reduce_on_plateau` it is a
            multiplier of the optimizer's own rate).

        Returns:
          A :class:`PlateauState` whose float fields have the dtype of ``lr`` promoted with the config's
          float hyperparameters (float32 by default, float64 under x64 with Python-float arguments).
        """
        dtype = jnp.result_type(self.dtype, lr)
        lr = jnp.asarray(lr, dtype=dtype)
        if lr.ndim:
            raise ValueError(f"ReduceLROnPlateau.init: `lr` must be a scalar, got shape {lr.shape}")
        worst = jnp.inf if self.mode == "min" else -jnp.inf
        zero = jnp.zeros((), jnp.int32)
        return PlateauState(
            lr=lr,
            best=jnp.asarray(worst, dtype=dtype),
            num_bad_epochs=zero,
            cooldown_counter=zero,
            last_epoch=zero,
            num_reductions=zero,
        )

    def is_better(self, metric: jax.Array, best: jax.Array) -> jax.Array:
        """torch's ``_is_better(a, best)`` for this config's mode and threshold mode (a bool array).

        The products are formed exactly as torch forms them (``1.0 - threshold`` first), so float64 results
        are identical to torch's Python floats.
        """
        thr = jnp.asarray(self.threshold).astype(best.dtype)
        if self.threshold_mode == "abs":
            return metric < best - thr if self.mode == "min" else metric > best + thr
        if self.rel_margin == "torch":
            return metric < best * (1.0 - thr) if self.mode == "min" else metric > best * (thr + 1.0)
        # |best| is inf before the first improvement: a zero margin there keeps inf - inf (NaN) out.
        margin = jnp.where(jnp.isfinite(best), thr * jnp.abs(best), jnp.zeros_like(best))
        return metric < best - margin if self.mode == "min" else metric > best + margin

    def update(self, state: PlateauState, metric: Any) -> PlateauState:
        """One ``scheduler.step(metric)``: the state after seeing ``metric`` (see the class docstring).

        Args:
          state: the current state (from :meth:`init` or a previous ``update``).
          metric: the monitored value, a scalar (cast to the state's float dtype; NaN is a bad epoch).

        Returns:
          The next :class:`PlateauState`, with the same dtypes and shapes as ``state`` (a ``lax.scan``
          carry). Before ``start_step`` updates only ``last_epoch`` changes.
        """
        dtype = state.lr.dtype
        kind = jnp.result_type(metric)
        if jnp.issubdtype(kind, jnp.complexfloating) or jnp.issubdtype(kind, jnp.bool_):
            raise TypeError(
                f"ReduceLROnPlateau.update: `metric` must be a real number, got {kind} {metric!r:.40}"
            )
        a = jnp.asarray(metric).astype(dtype)
        if a.ndim:
            raise ValueError(f"ReduceLROnPlateau.update: `metric` must be a scalar, got shape {a.shape}")
        i32 = jnp.int32

        better = self.is_better(a, state.best)
        best = jnp.where(better, a, state.best)
        bad = jnp.where(better, jnp.zeros_like(state.num_bad_epochs), _count(state.num_bad_epochs))

        # torch reads in_cooldown after counting the epoch: the epoch that ends a cooldown is not counted.
        in_cooldown = state.cooldown_counter > 0
        cooldown_counter = jnp.where(in_cooldown, state.cooldown_counter - 1, state.cooldown_counter)
        bad = jnp.where(in_cooldown, jnp.zeros_like(bad), bad)

        reduce = bad > self.patience
        old = state.lr
        new = jnp.maximum(
            old * jnp.asarray(self.factor).astype(dtype), jnp.asarray(self.min_lr).astype(dtype)
        )
        # The eps test blocks tiny steps and also any "reduction" that would raise the rate (min_lr > lr).
        applied = reduce & (old - new > jnp.asarray(self.eps).astype(dtype))
        lr = jnp.where(applied, new, old)
        # Cooldown restarts whenever patience runs out, even when eps or min_lr blocked the reduction.
        cooldown_counter = jnp.where(reduce, jnp.asarray(self.cooldown).astype(i32), cooldown_counter)
        bad = jnp.where(reduce, jnp.zeros_like(bad), bad)

        stepped = PlateauState(
            lr=lr,
            best=best,
            num_bad_epochs=bad.astype(i32),
            cooldown_counter=cooldown_counter.astype(i32),
            last_epoch=_count(state.last_epoch),
            num_reductions=_count(state.num_reductions, applied),
        )
        watching = state.last_epoch >= self.start_step
        held = state._replace(last_epoch=_count(state.last_epoch))
        return PlateauState(*(jnp.where(watching, s, h) for s, h in zip(stepped, held, strict=True)))


def _count(counter: jax.Array, step: Any = True) -> jax.Array:
    """``counter + step`` (step a bool), saturating at the dtype's maximum: an int32 counter of updates
    stops at 2**31 - 1 rather than wrapping negative (which would stop the controller for good)."""
    top = jnp.iinfo(counter.dtype).max
    return counter + (jnp.asarray(step) & (counter < top)).astype(counter.dtype)


def scale(state: PlateauState, base_lr: Any = 1.0) -> jax.Array:
    """The plateau's multiplier of an open-loop schedule: ``state.lr / base_lr``.

    Composition: ``lr(step) = schedule(step) * scale(state, base_lr)``, with ``state`` initialised by
    ``config.init(base_lr)``; ``min_lr`` and ``eps`` are then in the units of ``base_lr`` (with ``base_lr =
    1`` they bound the multiplier itself).

    Args:
      state: a :class:`PlateauState`.
      base_lr: the ``lr`` the state was initialised with.

    Returns:
      The ratio, in the state's float dtype; 1 where ``base_lr == 0`` (a zero rate is never reduced).
    """
    base = jnp.asarray(base_lr).astype(state.lr.dtype)
    safe = jnp.where(base == 0, jnp.ones_like(base), base)
    return jnp.where(base == 0, jnp.ones_like(state.lr), state.lr / safe)


def reduce_on_plateau(
    config: ReduceLROnPlateau | None = None, *, base_lr: Any = 1.0
) -> optax.GradientTransformationExtraArgs:
    """An optax transformation that multiplies the updates by the plateau's :func:`scale`.

    ``update(updates, state, params=None, *, value)`` first advances the plateau with the monitored
    ``value`` (one :meth:`ReduceLROnPlateau.update`), then scales every update by the new multiplier, so a
    reduction decided from the loss at the current parameters applies to this step, as torch's
    ``scheduler.step(val_loss)`` applies to the next epoch. Placed after the optimizer in ``optax.chain`` it
    scales the final step, as changing torch's ``lr`` does (momentum buffers are not rescaled)::

        optax.chain(optax.sgd(lrjit.CosineDecay(0.1, 10_000)), reduce_on_plateau(cfg))  # cosine * plateau
        optax.chain(optax.sgd(warmup), reduce_on_plateau(ReduceLROnPlateau(start_step=W)))  # warmup first

    ``optax.chain`` passes ``value=`` through (``tx.update(g, s, p, value=loss)``). Unlike
    ``optax.contrib.reduce_on_plateau`` this follows torch's rules exactly (``patience`` bad updates are
    tolerated, ``eps``, ``max`` mode, ``threshold_mode``) and a negative value can reduce (``abs`` mode or
    ``rel_margin='magnitude'``; see :class:`ReduceLROnPlateau` for torch's ``rel`` rule with negative
    values). Reference: ``torch.optim.lr_scheduler.ReduceLROnPlateau``.

    Dtypes: each update keeps its dtype (bf16 stays bf16): it is multiplied by the scale in the wider of
    the two dtypes and rounded back once.

    Args:
      config: the plateau rules (default ``ReduceLROnPlateau()``: torch's defaults).
      base_lr: the plateau's initial ``lr``; the multiplier is ``lr / base_lr``. Leave it at 1 to make
        ``min_lr`` and ``eps`` bounds on the multiplier.

    Returns:
      A ``GradientTransformationExtraArgs`` whose state is a :class:`PlateauState`.
    """
    cfg = ReduceLROnPlateau() if config is None else config
    if not isinstance(cfg, ReduceLROnPlateau):
        raise TypeError(f"reduce_on_plateau: `config` must be a ReduceLROnPlateau, got {cfg!r:.80}")
    if not is_traced(base_lr) and np.ndim(base_lr) != 0:
        raise ValueError(f"reduce_on_plateau: `base_lr` must be a scalar, got shape {np.shape(base_lr)}")

    def init_fn(params: Any) -> PlateauState:
        del params
        return cfg.init(base_lr)

    def update_fn(
        updates: Any, state: PlateauState, params: Any = None, *, value: Any, **extra_args: Any
    ) -> tuple[Any, PlateauState]:
        del params, extra_args  # optax.chain hands every extra argument to every member
        state = cfg.update(state, value)
        s = scale(state, base_lr)

        def apply(u: jax.Array) -> jax.Array:
            wide = jnp.promote_types(u.dtype, s.dtype)
            return (u.astype(wide) * s.astype(wide)).astype(u.dtype)

        return jax.tree.map(apply, updates), state

    return optax.GradientTransformationExtraArgs(init_fn, update_fn)


# ------------------------------------------------------------------------------- from other libraries
class PlateauSetup(NamedTuple):
    """A metric-driven run of another library, as lrjit parts (built by :func:`plateau_from_config`).

    ``t`` counts the metrics the source has stepped its controller with: the rate between the ``t``-th and
    the ``t + 1``-th metric (timm: the rate of epoch ``t``; transformers: the rate after the ``t``-th
    evaluation) is ``rate(t, state)``, ``state`` being the controller after those ``t`` metrics::

        setup = plateau_from_config(args)
        state = setup.init()
        for epoch in range(num_epochs):
            lr = setup.rate(epoch, state)        # e.g. into inject_hyperparams' opt_state.hyperparams
            ...                                  # train the epoch (or the steps up to an evaluation) at lr
            state = setup.plateau.update(state, eval_metrics[setup.metric])

    As an optax chain updated once per metric (``value=`` the metric), the ``k``-th update applies the rate
    after the ``k + 1``-th metric: ``optax.chain(optax.sgd(lrjit.Offset(setup.schedule, 1)),
    reduce_on_plateau(setup.plateau, base_lr=setup.base_lr))``.

    Attributes:
      schedule: the source's rate before any reduction, a function of ``t``: ``Constant(learning_rate)``
        (transformers), or timm's linear warmup from ``warmup_lr`` over ``warmup_epochs`` epochs, then
        ``lr``.
      plateau: the controller with the source's arguments (torch's defaults for the others); ``min_lr``
        and ``eps`` are rates, so the controller starts from ``base_lr``; timm's warmup is its
        ``start_step`` (the metrics of the warmup epochs are ignored).
      base_lr: the rate the controller starts from: ``learning_rate`` / ``lr``.
      metric: the metric the source steps the controller with: ``'eval_' + metric_for_best_model``
        (``'eval_loss'`` by default) for transformers, ``eval_metric`` for timm's ``train.py`` arguments,
        None for ``create_scheduler_v2`` arguments (the training loop chooses it).
    """

    schedule: Schedule
    plateau: ReduceLROnPlateau
    base_lr: float
    metric: str | None

    def init(self) -> PlateauState:
        """The controller's state before any metric: ``plateau.init(base_lr)``."""
        return self.plateau.init(self.base_lr)

    def rate(self, t: Any, state: PlateauState) -> jax.Array:
        """The rate after ``t`` metrics: ``schedule(t) * state.lr / base_lr``.

        Computed as ``state.lr * (schedule(t) / base_lr)``, so once ``schedule(t)`` is ``base_lr`` (no
        warmup, or past it) the rate is the controller's ``lr`` exactly; ``schedule(t)`` where ``base_lr``
        is 0 (a zero rate is never reduced).

        Args:
          t: the number of metrics seen (an int or an integer array).
          state: the controller after those metrics.

        Returns:
          The rate, in the state's float dtype (broadcast of ``t`` and the state).
        """
        return _rate(self.schedule, state, jnp.asarray(self.base_lr, state.lr.dtype), jnp.asarray(t))

    def rates(self, metrics: Any) -> jax.Array:
        """The rates of a whole run: ``[rate(t, state_t) for t in 0..T]`` for ``T`` metrics (one program).

        Args:
          metrics: the ``T`` metrics the source steps its controller with, in order (a 1-D array).

        Returns:
          ``T + 1`` rates: before any metric, then after each (the rate of every epoch of a timm run).
        """
        values = jnp.asarray(metrics)
        if values.ndim != 1:
            raise ValueError(f"PlateauSetup.rates: `metrics` must be 1-D, got shape {values.shape}")
        return _run_rates(self.schedule, self.plateau, self.init(), values)


def _rate(schedule: Schedule, state: PlateauState, base: jax.Array, t: jax.Array) -> jax.Array:
    sched = schedule(t).astype(base.dtype)
    # schedule / base is exactly 1 where the schedule is at its base rate: the rate is then state.lr itself.
    return jnp.where(base == 0, sched, state.lr * ratio(sched, base))


@jax.jit
def _run_rates(
    schedule: Schedule, plateau: ReduceLROnPlateau, start: PlateauState, metrics: jax.Array
) -> jax.Array:
    def body(state: PlateauState, metric: jax.Array) -> tuple[PlateauState, PlateauState]:
        state = plateau.update(state, metric)
        return state, state

    after = jax.lax.scan(body, start, metrics)[1]
    states = jax.tree.map(lambda s, a: jnp.concatenate([s[None], a]), start, after)
    return _rate(schedule, states, start.lr, jnp.arange(metrics.shape[0] + 1))


# torch.optim.lr_scheduler.ReduceLROnPlateau's keyword arguments (torch 2.13), which transformers'
# get_reduce_on_plateau_schedule passes on as given; `verbose` (torch < 2.7) only printed.
_TORCH_KWARGS = ("mode", "factor", "patience", "threshold", "threshold_mode", "cooldown", "min_lr", "eps")
# The TrainingArguments fields read here, with transformers' defaults: the schedule's (a warmup only to
# warn that it has no effect) and the evaluation's (metric_for_best_model and greater_is_better are set in
# __post_init__: 'loss' for reduce_lr_on_plateau, then `not endswith('loss')`).
_HF_READ: dict[str, Any] = {
    **{
        k: TRAINING_ARGUMENTS_DEFAULTS[k]
        for k in ("lr_scheduler_type", "lr_scheduler_kwargs", "learning_rate", "warmup_steps", "warmup_ratio")
    },
    "metric_for_best_model": None,
    "greater_is_better": None,
    "eval_strategy": None,
}
# Keys a settings dict for lrjit.from_transformers may hold that do not change a plateau run: those that
# set the run's length (the TrainingArguments fields read here aside, and the Trainer's extras), and
# eval_steps.
_HF_UNREAD = (
    frozenset(TRAINING_ARGUMENTS_DEFAULTS) - frozenset(_HF_READ)
    | frozenset(TRAINER_EXTRA_DEFAULTS)
    | {"eval_steps"}
)


def plateau_from_config(config: Any) -> PlateauSetup:
    """The lrjit parts of a Hugging Face or timm reduce-on-plateau run, recognized by content.

    - Hugging Face: a ``transformers.TrainingArguments`` (read by attribute; transformers is not imported)
      or a dict of its fields with ``lr_scheduler_type='reduce_lr_on_plateau'``. transformers'
      ``get_reduce_on_plateau_schedule`` passes ``lr_scheduler_kwargs`` (a dict or its JSON string) to
      torch's ``ReduceLROnPlateau`` unchanged (``mode='min'`` unless given), on an optimizer of rate
      ``learning_rate``, and the ``Trainer`` steps it at each evaluation with ``eval_<metric_for_best_model>``
      (``eval_loss`` by default). ``get_scheduler`` ignores the warmup for this type: ``warmup_steps`` /
      ``warmup_ratio`` change nothing (a warning says so), and ``greater_is_better`` does not set the mode
      (a warning says so when the two disagree; pass ``lr_scheduler_kwargs={'mode': 'max'}``).
    - timm: a dict of ``create_scheduler_v2`` arguments plus ``lr`` (the optimizer's rate), or timm
      ``train.py``'s ``argparse.Namespace`` (read as ``timm.scheduler.scheduler_kwargs`` reads it), with
      ``sched='plateau'``. ``PlateauLRScheduler`` wraps torch's ``ReduceLROnPlateau(factor=decay_rate,
      patience=patience_epochs, threshold=1e-4, cooldown=0, mode=plateau_mode, min_lr=min_lr)`` (torch's
      ``threshold_mode='rel'`` and ``eps=1e-8``; ``cooldown_epochs`` is not passed) and is stepped once per
      epoch, ``step(epoch + 1, metric)``: epochs ``t <= warmup_epochs`` get ``warmup_lr + t * (lr -
      warmup_lr) / warmup_epochs`` and their metrics are ignored (``start_step = warmup_epochs``).

    Args:
      config: the settings, as above.

    Returns:
      A :class:`PlateauSetup` ``(schedule, plateau, base_lr, metric)``; its ``rates(metrics)`` are the
      source's rates for those metrics (equal to torch's in x64 without a warmup; within an ulp or two of
      timm's with one, whose warmup ends at ``warmup_lr + warmup_epochs * step`` rather than at ``lr``).

    Raises:
      ValueError: another scheduler type (use ``lrjit.from_transformers`` / ``lrjit.from_timm``), unknown
        keys, a missing rate, values out of range (named as the source names them), timm's per-update
        stepping (``step_on_epochs=False``: timm asserts it is per epoch), an evaluation strategy of
        ``'no'`` (transformers raises too).
      UnsupportedScheduleError: timm's lr noise (drawn from torch's generator on top of the controller's
        rate), per-group ``min_lr`` lists that differ, a warmup that is not a whole number of epochs.

    Example:
      >>> import lrjit
      >>> setup = lrjit.train.plateau_from_config(
      ...     {"sched": "plateau", "lr": 0.1, "warmup_epochs": 2, "warmup_lr": 0.0, "patience_epochs": 1,
      ...      "decay_rate": 0.5, "plateau_mode": "min"}
      ... )
      >>> setup.plateau.mode, float(setup.plateau.factor), int(setup.plateau.patience), setup.metric
      ('min', 0.5, 1, None)
      >>> print(setup.rates([9.0, 9.0, 3.0, 3.0, 3.0, 3.0]))  # epochs 0-6: warmup, then a cut at epoch 5
      [0.   0.05 0.1  0.1  0.1  0.05 0.05]
    """
    if isinstance(config, Mapping):
        if "lr_scheduler_type" in config and "sched" in config:
            raise ValueError(
                "plateau_from_config: the dict has both `lr_scheduler_type` (Hugging Face) and `sched` "
                "(timm); give one library's settings"
            )
        if "lr_scheduler_type" in config:
            return _from_hf(config)
        if "sched" in config:
            return _from_timm(config)
    elif is_training_arguments(config):
        return _from_hf(config)
    elif hasattr(config, "sched"):
        return _from_timm(config)
    raise TypeError(
        "plateau_from_config: expected Hugging Face TrainingArguments or a dict with `lr_scheduler_type`, or "
        f"timm create_scheduler_v2 arguments (a dict with `sched`) or its train.py Namespace, got "
        f"{type(config).__qualname__}"
    )


def _enum_value(value: Any) -> Any:
    return getattr(value, "value", value)  # transformers' SchedulerType / IntervalStrategy members


def _from_hf(args: Any) -> PlateauSetup:
    if isinstance(args, Mapping):
        given = {k: plain_value(v) for k, v in args.items()}
        if "output_dir" not in given:  # a hand-written dict: every key must mean something
            unknown = sorted(set(given) - set(_HF_READ) - _HF_UNREAD)
            if unknown:
                raise ValueError(
                    f"plateau_from_config: unknown key(s) {', '.join(map(repr, unknown))}; a Hugging Face "
                    f"plateau run reads {', '.join(_HF_READ)}"
                )
    else:
        given = {k: plain_value(getattr(args, k)) for k in _HF_READ if hasattr(args, k)}
    a = {k: given.get(k, v) for k, v in _HF_READ.items()}
    name = str(_enum_value(a["lr_scheduler_type"]))
    if name != "reduce_lr_on_plateau":
        raise ValueError(
            f"plateau_from_config: lr_scheduler_type is {name!r}, not 'reduce_lr_on_plateau'; a step-driven "
            "schedule is read by lrjit.from_transformers(args)"
        )
    if _enum_value(a["eval_strategy"]) == "no":
        raise ValueError(
            "plateau_from_config: reduce_lr_on_plateau is stepped at each evaluation and `eval_strategy` is "
            "'no' (transformers raises: 'lr_scheduler_type reduce_lr_on_plateau requires an eval strategy')"
        )
    if a["learning_rate"] is None:
        raise ValueError("plateau_from_config: `learning_rate` is None")
    kwargs = a["lr_scheduler_kwargs"] or {}
    if isinstance(kwargs, str):
        kwargs = json.loads(kwargs)
    kwargs = {k: plain_value(v) for k, v in dict(kwargs).items()}
    unknown = sorted(set(kwargs) - set(_TORCH_KWARGS) - {"verbose"})
    if unknown:
        raise ValueError(
            f"plateau_from_config: torch's ReduceLROnPlateau does not take lr_scheduler_kwargs "
            f"{', '.join(map(repr, unknown))} (it takes: {', '.join(_TORCH_KWARGS)})"
        )
    kwargs.pop("verbose", None)
    if isinstance(kwargs.get("min_lr"), list):
        per_group = kwargs["min_lr"]
        if not per_group or any(v != per_group[0] for v in per_group):
            raise UnsupportedScheduleError(
                f"plateau_from_config: lr_scheduler_kwargs min_lr={per_group!r} gives the optimizer's "
                "parameter groups different floors; lrjit's controller has one rate (give one min_lr)"
            )
        kwargs["min_lr"] = per_group[0]
    plateau = ReduceLROnPlateau(**kwargs)

    metric = a["metric_for_best_model"] or "loss"
    greater = a["greater_is_better"]
    if greater is None:
        greater = not metric.endswith("loss")
    if bool(greater) != (plateau.mode == "max"):
        warnings.warn(
            f"plateau_from_config: the plateau watches {metric!r} in mode {plateau.mode!r} while "
            f"greater_is_better={bool(greater)}: transformers does not derive the mode from "
            "greater_is_better (torch's default is 'min'); this run reproduces that. Pass "
            f"lr_scheduler_kwargs={{'mode': {'max' if greater else 'min'!r}}} if that is what you mean",
            UserWarning,
            stacklevel=3,
        )
    warm = {k: a[k] for k in ("warmup_steps", "warmup_ratio") if a[k]}
    if warm:
        warnings.warn(
            f"plateau_from_config: {', '.join(f'{k}={v!r}' for k, v in warm.items())} has no effect: "
            "transformers' get_scheduler builds reduce_lr_on_plateau without a warmup",
            UserWarning,
            stacklevel=3,
        )
    lr = float(a["learning_rate"])
    return PlateauSetup(Constant(lr), plateau, lr, metric if metric.startswith("eval_") else f"eval_{metric}")


def _from_timm(args: Any) -> PlateauSetup:
    if isinstance(args, Mapping):
        given = {k: plain_value(v) for k, v in args.items()}
        unknown = sorted(set(given) - set(CREATE_SCHEDULER_V2_DEFAULTS) - {"lr"})
        if unknown:
            raise ValueError(
                f"plateau_from_config: unknown key(s) {', '.join(map(repr, unknown))}; create_scheduler_v2 "
                f"takes {', '.join(sorted(CREATE_SCHEDULER_V2_DEFAULTS))} (and lrjit needs `lr`, the "
                "optimizer's rate)"
            )
        # For the plateau timm reads sched, patience_epochs, decay_rate, min_lr, warmup_lr, warmup_epochs,
        # noise, plateau_mode and step_on_epochs; it pops warmup_prefix, passes cooldown_t=0 whatever
        # cooldown_epochs is (which only lengthens the epoch count it returns), and ignores the rest.
        a = {**CREATE_SCHEDULER_V2_DEFAULTS, "lr": None, **given}
        metric = None
    else:  # train.py's namespace, read as timm.scheduler.scheduler_kwargs reads it
        a = scheduler_kwargs(args)
        metric = getattr(args, "eval_metric", "top1")
    if a["sched"] != "plateau":
        raise ValueError(
            f"plateau_from_config: sched is {a['sched']!r}, not 'plateau'; a step-driven schedule is read "
            "by lrjit.from_timm(args)"
        )
    if a["lr"] is None:
        raise ValueError("plateau_from_config: `lr` (the optimizer's learning rate) is missing")
    if a["noise"] is not None:
        raise UnsupportedScheduleError(
            f"plateau_from_config: noise={a['noise']!r}: timm's plateau scheduler adds noise drawn from "
            "torch's generator to the controller's rate each epoch; lrjit does not reproduce it"
        )
    if not a["step_on_epochs"]:
        raise ValueError(
            "plateau_from_config: step_on_epochs=False (sched_on_updates): timm's plateau scheduler is "
            "stepped per epoch only (create_scheduler_v2 asserts 'Plateau LR only supports step per epoch')"
        )
    if a["plateau_mode"] not in ("min", "max"):
        raise ValueError(
            f"plateau_from_config: `plateau_mode` must be 'min' or 'max', got {a['plateau_mode']!r}"
        )
    w = a["warmup_epochs"]
    if isinstance(w, bool) or not isinstance(w, int | float) or w < 0:
        raise ValueError(f"plateau_from_config: `warmup_epochs` must be an integer >= 0, got {w!r}")
    if w != int(w):
        raise UnsupportedScheduleError(
            f"plateau_from_config: warmup_epochs={w} is not a whole number of epochs (timm's plateau is "
            "stepped with whole epochs and would hand over from a rate below lr)"
        )
    w, lr = int(w), float(a["lr"])
    try:
        plateau = ReduceLROnPlateau(
            mode=a["plateau_mode"],
            factor=a["decay_rate"],
            patience=a["patience_epochs"],
            cooldown=0,
            min_lr=a["min_lr"],
            start_step=w,
        )
        schedule: Schedule = Warmup(Constant(lr), steps=w, start=a["warmup_lr"]) if w else Constant(lr)
    except ValueError as err:
        raise ValueError(
            "plateau_from_config: timm's decay_rate -> factor, patience_epochs -> patience, min_lr -> "
            f"min_lr, warmup_lr -> start: {err}"
        ) from err
    return PlateauSetup(schedule, plateau, lr, metric)
