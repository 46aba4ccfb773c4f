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
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from lrjit.core import Config, Domain, FloatLike, IntLike, Kind, is_traced, leaf, static
from lrjit.core.fields import NONNEG, int_range

__all__ = ["PlateauState", "ReduceLROnPlateau", "reduce_on_plateau", "scale"]


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
