"""Loss-curve laws: the validation loss of a training run predicted from its learning-rate schedule.

A law is a :class:`~lrjit.core.Config`: an immutable pytree whose leaves are its parameters (so
``jax.grad`` and ``jax.vmap`` reach them), with three ways to evaluate it:

* ``law.predict(schedule, steps)``: the loss at given steps, in float64 on the host, for a single or
  batched schedule or a :class:`lrjit.Sweep` (``[K, P]`` or ``[P]``), in blocks of steps.
* ``law.final_loss(schedule, total_steps)``: the loss after the last step, traceable (inside ``jit``,
  differentiable with respect to the schedule's float leaves), in the schedule's dtype.
* ``law.predict_rates(rates, at)``: the loss from one run's rates (a 1-D array), traceable; what
  :func:`lrjit.analysis.fit` differentiates with respect to the law's parameters.

Steps follow lrjit's numbering (step ``k`` is the update made with ``eta(k) = schedule(k)``): the loss
predicted *at step s* is the loss after that update. ``warmup=W`` says the peak is at step W: drops of
the rate count from step ``W + 1`` on (see :mod:`lrjit.analysis.areas` for the conventions and how they
map onto the papers' indices). Rates are used as they are (not divided by the peak), as both papers do.

Laws:

* :class:`AnnealingLaw`: Tissue, Wang and Wang, "Scaling Law with Learning Rate Annealing" (arXiv:2408.11029),
  Eq. 1: ``L(s) = L0 + A * S1(s)**(-alpha) - C * S2(s)``.
* :class:`MultiPowerLaw`: Luo et al., "A Multi-Power Law for Loss Curve Prediction Across Learning Rate
  Schedules" (ICLR 2025, arXiv:2503.12811; the authors' repository's ``src/models.py``, class ``MPL``).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any, ClassVar

import jax
import jax.numpy as jnp
import numpy as np

from lrjit.analysis.areas import (
    DEFAULT_BYTES,
    area_block,
    areas,
    block_size,
    check_steps,
    final_areas,
    groups_of,
    initial_state,
    rate_blocks,
    warmup_per_config,
)
from lrjit.core import Config, FloatLike, Schedule, batch_size
from lrjit.core.fields import NONNEG, UNIT, Kind, default_int_dtype, leaf
from lrjit.sweep import Sweep

__all__ = ["AnnealingLaw", "Law", "MultiPowerLaw", "steps_of"]


class Law(Config):
    """The base of the loss-curve laws (a pytree of float parameters).

    Class attributes:
      paper: the paper the formula comes from.
      linear: the parameters the prediction is linear in (:func:`lrjit.analysis.fit` solves for them by
        least squares to start its search).
      transforms: how :func:`lrjit.analysis.fit` maps each parameter to an unconstrained number: ``"log"``
        (a positive parameter) or ``"logit"`` (a parameter in (0, 1)).
      fixed: the parameters :func:`lrjit.analysis.fit` keeps at their given values unless told otherwise.
    """

    paper: ClassVar[str] = ""
    linear: ClassVar[tuple[str, ...]] = ()
    transforms: ClassVar[dict[str, str]] = {}
    fixed: ClassVar[tuple[str, ...]] = ()

    def predict(
        self,
        schedule: Schedule | Sweep,
        steps: int | Sequence[int] | np.ndarray,
        *,
        warmup: int | Sequence[int] | np.ndarray = 0,
        max_bytes: int | None = None,
    ) -> np.ndarray:
        """The predicted loss at ``steps`` (float64).

        Args:
          schedule: a single or batched schedule, or a :class:`lrjit.Sweep`.
          steps: a 1-D array of steps (the run lasts until the largest), or N for every step 0..N-1.
          warmup: the step of the peak (an int, one per config, or ``"peak"``: each config's first step
            of its largest rate): drops count after it.
          max_bytes: the working memory of one block of steps (default 64 MiB).

        Returns:
          ``[K, len(steps)]`` for K configs (in the sweep's order), ``[len(steps)]`` for one schedule.
        """
        raise NotImplementedError

    def final_loss(
        self, schedule: Schedule, total_steps: int, *, warmup: Any = 0, block: int = 4096
    ) -> jax.Array:
        """The predicted loss after the last of ``total_steps`` steps, traceable and differentiable, in the
        schedule's dtype (``[K]`` for a batched schedule): blocks of ``block`` steps in a ``lax.scan``
        (one compiled program per structure, run length and block when called outside ``jit``)."""
        n = check_steps(total_steps, "total_steps")
        if not isinstance(block, int) or isinstance(block, bool) or block < 1:
            raise ValueError(f"block must be an int >= 1, got {block!r}")
        return _final_loss(self, schedule, warmup, n, min(block, n))

    def _final(self, schedule: Schedule, n: int, warmup: Any, block: int) -> jax.Array:
        raise NotImplementedError

    def predict_rates(self, rates: jax.Array, at: jax.Array, warmup: Any = 0) -> jax.Array:
        """The predicted loss at steps ``at`` of one run whose rates are ``rates`` (``eta(0..N-1)``, 1-D),
        traceable, in the rates' dtype."""
        raise NotImplementedError

    def cast(self, dtype: Any, xp: Any = jnp) -> Any:
        """The parameters as arrays of ``dtype`` (a pytree like this law): jax arrays, or NumPy arrays with
        ``xp=np`` (host arithmetic)."""
        if xp is np:
            return jax.tree.map(lambda x: np.asarray(x, dtype), self)
        return jax.tree.map(lambda x: jnp.asarray(x).astype(dtype), self)


class AnnealingLaw(Law):
    """The scaling law with learning-rate annealing (Tissue, Wang and Wang 2024, arXiv:2408.11029, Eq. 1):

        L(s) = L0 + A * S1(s)**(-alpha) - C * S2(s)

    with the forward area ``S1(s) = sum_{k<=s} eta(k)`` and the annealing area ``S2(s) = sum_{k<=s}
    m(k)``, ``m(k) = decay * m(k-1) + (eta(k-1) - eta(k))`` (drops after the warmup only; the paper's
    lambda is ``decay``, 0.999 in its fits). :func:`lrjit.analysis.areas` computes S1 and S2. The loss is
    infinite where S1 is 0 (no update with a non-zero rate yet).

    Args:
      L0: the irreducible loss (>= 0).
      A: the scale of the power law in S1 (>= 0).
      alpha: its exponent (>= 0).
      C: the loss removed per unit of annealing area (>= 0).
      decay: the momentum's decay factor lambda, in [0, 1] (:func:`lrjit.analysis.fit` keeps it fixed
        unless it is left out of ``fixed``).

    Example:
      >>> import lrjit, numpy as np
      >>> from lrjit.analysis import AnnealingLaw
      >>> law = AnnealingLaw(L0=2.5, A=1.0, alpha=0.5, C=2.0)
      >>> cosine = lrjit.CosineDecay(1e-3, 1000)
      >>> print(law.predict(cosine, [99, 499, 999]).round(4))
      [5.6735 3.903  3.1559]
      >>> print(np.asarray(law.final_loss(cosine, 1000)).round(4))
      3.1559
    """

    paper: ClassVar[str] = "Tissue, Wang and Wang, Scaling Law with Learning Rate Annealing, arXiv:2408.11029"
    linear: ClassVar[tuple[str, ...]] = ("L0", "A", "C")
    transforms: ClassVar[dict[str, str]] = {
        "L0": "log",
        "A": "log",
        "alpha": "log",
        "C": "log",
        "decay": "logit",
    }
    fixed: ClassVar[tuple[str, ...]] = ("decay",)

    L0: FloatLike = leaf(Kind.FLOAT, NONNEG)
    A: FloatLike = leaf(Kind.FLOAT, NONNEG)
    alpha: FloatLike = leaf(Kind.FLOAT, NONNEG)
    C: FloatLike = leaf(Kind.FLOAT, NONNEG)
    decay: FloatLike = leaf(Kind.FLOAT, UNIT, default=0.999)

    def loss_from_areas(self, s1: Any, s2: Any) -> Any:
        """Eq. 1 from S1 and S2 (any shape; the parameters broadcast), in their dtype (NumPy arrays in,
        NumPy out)."""
        p = self.cast(s1.dtype, np if isinstance(s1, np.ndarray) else jnp)
        return p.L0 + p.A * s1 ** (-p.alpha) - p.C * s2

    def predict(
        self,
        schedule: Schedule | Sweep,
        steps: int | Sequence[int] | np.ndarray,
        *,
        warmup: int | Sequence[int] | np.ndarray = 0,
        max_bytes: int | None = None,
    ) -> np.ndarray:
        at, n = steps_of(steps)
        r = areas(schedule, n, decay=float(self.decay), at=at, warmup=warmup, max_bytes=max_bytes)
        return np.asarray(self.loss_from_areas(np.asarray(r.s1), np.asarray(r.s2)))

    def _final(self, schedule: Schedule, n: int, warmup: Any, block: int) -> jax.Array:
        state = final_areas(schedule, n, self.decay, warmup, block)
        return self.loss_from_areas(state.s1, state.s2)

    def predict_rates(self, rates: jax.Array, at: jax.Array, warmup: Any = 0) -> jax.Array:
        s1, s2, _ = area_block(rates, 0, initial_state((), rates.dtype), self.decay, warmup)
        return self.loss_from_areas(s1[at], s2[at])


class MultiPowerLaw(Law):
    """The multi-power law (Luo et al., ICLR 2025, arXiv:2503.12811):

        L(t) = L0 + A * (S1(t) + S_W)**(-alpha) - LD(t)
        LD(t) = B * sum_{k=1..t} (eta_{k-1} - eta_k) * G(eta_k**(-gamma) * S_k(t))
        S_k(t) = sum_{tau=k..t} eta_tau,    G(x) = 1 - (C * x + 1)**(-beta)

    (the form of the authors' repository, ``src/models.py``, class ``MPL``: the same drops and partial
    sums, with ``lr_gap = eta_k - eta_{k-1}`` and ``+ B * LD``). ``t`` counts the steps after the warmup
    and ``S_W`` is the warmup's area; in lrjit's numbering (peak at step W, see the module documentation)
    ``S1(t) + S_W`` is ``sum_{k<=s} eta(k)`` and the drops are those of steps ``W < k <= s``, with ``S_k(s)
    = sum_{tau=k..s} eta(tau)``.

    Where a rate is 0, ``eta**(-gamma) * S`` is computed as ``exp(log S - gamma * log eta)`` with both
    floored at the dtype's smallest normal number, so ``G`` takes its limits (1 where later rates are
    positive) and gradients stay finite.

    Args:
      L0: the irreducible loss (>= 0).
      A: the scale of the power law in the summed rates (>= 0).
      alpha: its exponent (>= 0).
      B: the scale of the loss drop (>= 0).
      C: the rate of the drop's saturation (>= 0).
      beta: the drop's exponent (>= 0).
      gamma: the exponent of the rate in the drop's argument (>= 0).

    Evaluating ``LD`` at P steps of a run of N steps costs O(N * P) (every drop before each step).

    Example:
      >>> import lrjit, numpy as np
      >>> from lrjit.analysis import MultiPowerLaw
      >>> law = MultiPowerLaw(L0=2.4, A=0.65, alpha=0.43, B=520.0, C=2.0, beta=0.6, gamma=0.64)
      >>> wsd = lrjit.sequence([lrjit.ConstantLR(3e-4, 1.0, 0), lrjit.LinearLR(3e-4, 1.0, 0.0, 200)], [800])
      >>> print(law.predict(wsd, [399, 799, 899, 999]).round(4))
      [4.0176 3.6007 3.5115 3.4546]
      >>> print(np.asarray(law.final_loss(wsd, 1000)).round(4))
      3.4546
    """

    paper: ClassVar[str] = (
        "Luo et al., A Multi-Power Law for Loss Curve Prediction Across Learning Rate Schedules, "
        "arXiv:2503.12811"
    )
    linear: ClassVar[tuple[str, ...]] = ("L0", "A", "B")
    transforms: ClassVar[dict[str, str]] = dict.fromkeys(
        ("L0", "A", "alpha", "B", "C", "beta", "gamma"), "log"
    )

    L0: FloatLike = leaf(Kind.FLOAT, NONNEG)
    A: FloatLike = leaf(Kind.FLOAT, NONNEG)
    alpha: FloatLike = leaf(Kind.FLOAT, NONNEG)
    B: FloatLike = leaf(Kind.FLOAT, NONNEG)
    C: FloatLike = leaf(Kind.FLOAT, NONNEG)
    beta: FloatLike = leaf(Kind.FLOAT, NONNEG)
    gamma: FloatLike = leaf(Kind.FLOAT, NONNEG)

    def drop_terms(self, eta: jax.Array, drop: jax.Array, span: jax.Array) -> jax.Array:
        """``(eta_{k-1} - eta_k) * G(eta_k**(-gamma) * S_k)`` elementwise (broadcasting), without B."""
        p = self.cast(eta.dtype)
        tiny = jnp.finfo(eta.dtype).tiny
        # log(C * x) with x = eta**-gamma * S; G = 1 - exp(-beta * log(1 + C * x)).
        log_cx = jnp.log(p.C) + jnp.log(jnp.maximum(span, tiny)) - p.gamma * jnp.log(jnp.maximum(eta, tiny))
        return drop * -jnp.expm1(-p.beta * jax.nn.softplus(log_cx))

    def loss_from_parts(self, s1: Any, ld: Any) -> Any:
        """``L0 + A * s1**(-alpha) - B * ld`` (``s1`` the summed rates with the warmup's, ``ld`` the sum of
        :meth:`drop_terms`; NumPy arrays in, NumPy out)."""
        p = self.cast(s1.dtype, np if isinstance(s1, np.ndarray) else jnp)
        return p.L0 + p.A * s1 ** (-p.alpha) - p.B * ld

    def predict(
        self,
        schedule: Schedule | Sweep,
        steps: int | Sequence[int] | np.ndarray,
        *,
        warmup: int | Sequence[int] | np.ndarray = 0,
        max_bytes: int | None = None,
    ) -> np.ndarray:
        at, n = steps_of(steps)
        s1 = areas(schedule, n, at=at, warmup=warmup, max_bytes=max_bytes).s1
        groups = groups_of(schedule)
        warm = warmup_per_config(warmup, groups.total, schedule, n)
        budget = DEFAULT_BYTES if max_bytes is None else int(max_bytes)
        rows = []
        # The steps padded to a power of two (repeating the last): runs share compiled kernels.
        p = at.size
        padded = np.concatenate([np.arange(p), np.full((1 << (p - 1).bit_length()) - p, p - 1)])
        law = self.cast(np.float64, np)
        for g, group in enumerate(groups.schedules):
            k = batch_size(group)
            where = groups.positions[g]
            s1_group = s1 if where is None else s1[where]
            w = warm if (warm.ndim == 0 or where is None) else warm[where]
            # Per block: [K, block, P] terms in float64 (and a few temporaries).
            block = block_size(n, (k or 1) * padded.size * 40, budget)
            shape = () if k is None else (k,)
            carry = (np.zeros(shape), np.zeros(shape))
            total = np.zeros((*shape, padded.size))
            for start, rates in rate_blocks(group, n, block):
                with jax.enable_x64(True):
                    part, carry = _drop_kernel(
                        law, rates, start, min(block, n - start), carry, s1_group[..., padded], at[padded], w
                    )
                total += np.asarray(part)
            rows.append(law.loss_from_parts(s1_group, total[..., :p]))
        return groups.place(rows)

    def _final(self, schedule: Schedule, n: int, warmup: Any, block: int) -> jax.Array:
        s1, ld = _final_drop(self, schedule, n, warmup, block)
        return self.loss_from_parts(s1, ld)

    def predict_rates(self, rates: jax.Array, at: jax.Array, warmup: Any = 0) -> jax.Array:
        s1 = jnp.cumsum(rates)
        k = jnp.arange(rates.shape[-1])
        previous = jnp.concatenate([rates[:1], rates[:-1]])
        drop = jnp.where(k > warmup, previous - rates, 0)
        before = s1 - rates  # S1(k - 1)
        span = s1[at][:, None] - before[None, :]  # [P, N]: S_k(s) = S1(s) - S1(k - 1)
        terms = self.drop_terms(rates[None, :], drop[None, :], span)
        ld = jnp.sum(jnp.where(k[None, :] <= at[:, None], terms, 0), axis=-1)
        return self.loss_from_parts(s1[at], ld)


@functools.partial(jax.jit, static_argnums=(3, 4))
def _final_loss(law: Law, schedule: Schedule, warmup: Any, n: int, block: int) -> jax.Array:
    return law._final(schedule, n, warmup, block)


@jax.jit
def _drop_kernel(
    law: MultiPowerLaw,
    rates: jax.Array,
    start: Any,
    valid: Any,
    carry: tuple[jax.Array, jax.Array],
    s1_at: jax.Array,
    at: jax.Array,
    warmup: jax.Array,
) -> tuple[jax.Array, tuple[jax.Array, jax.Array]]:
    """One block's contributions to LD at every step of ``at`` (float64, under x64): ``[..., P]``, and the
    carry (S1 and the rate at the block's last valid step)."""
    eta = rates.astype(jnp.float64)
    s1_before, last = carry
    j = jnp.arange(eta.shape[-1])
    k = jnp.asarray(start) + j
    ok = j < valid
    eta = jnp.where(ok, eta, 0)
    previous = jnp.concatenate([last[..., None], eta[..., :-1]], axis=-1)
    drop = jnp.where((k > warmup[..., None]) & ok, previous - eta, 0)
    before = s1_before[..., None] + jnp.cumsum(eta, axis=-1) - eta  # S1(k - 1)
    span = s1_at[..., None, :] - before[..., :, None]  # [..., block, P]
    terms = law.drop_terms(eta[..., None], drop[..., None], span)
    part = jnp.sum(jnp.where(k[:, None] <= at[None, :], terms, 0), axis=-2)
    end = jnp.asarray(valid) - 1
    s1_end = jax.lax.dynamic_index_in_dim(before + eta, end, axis=-1, keepdims=False)
    last_end = jax.lax.dynamic_index_in_dim(eta, end, axis=-1, keepdims=False)
    return part, (s1_end, last_end)


def _final_drop(
    law: MultiPowerLaw, schedule: Schedule, n: int, warmup: Any, block: int
) -> tuple[jax.Array, jax.Array]:
    """(the sum of all N rates, LD at the last step), traceable: blocks from the end of the run back, so
    each partial sum ``S_k = sum_{tau=k..N-1} eta(tau)`` is a sum of positive terms (no cancellation)."""
    block = max(1, min(int(block), n))
    full, rest = divmod(n, block)
    k_conf = batch_size(schedule)
    int_dtype = default_int_dtype()
    dtype = jax.eval_shape(lambda s: s(jnp.zeros((1,), int_dtype)), schedule).dtype
    shape = () if k_conf is None else (k_conf,)
    w = jnp.asarray(warmup)[..., None]

    def one(carry: tuple[jax.Array, jax.Array], start: jax.Array, size: int) -> tuple[jax.Array, jax.Array]:
        later, ld = carry  # the sum of the rates after this block, LD's terms after it
        k = start + jnp.arange(size, dtype=int_dtype)
        r = schedule(jnp.concatenate([jnp.maximum(k[:1] - 1, 0), k]))
        eta, previous = r[..., 1:], r[..., :-1]
        drop = jnp.where(k > w, previous - eta, 0)
        span = later[..., None] + jnp.flip(jnp.cumsum(jnp.flip(eta, -1), axis=-1), -1)
        return span[..., 0], ld + jnp.sum(law.drop_terms(eta, drop, span), axis=-1)

    carry = (jnp.zeros(shape, dtype), jnp.zeros(shape, dtype))
    if rest:
        carry = one(carry, jnp.asarray(full * block, int_dtype), rest)
    if full:
        starts = jnp.arange(full, dtype=int_dtype) * block
        carry, _ = jax.lax.scan(lambda c, s: (one(c, s, block), None), carry, starts, reverse=True)
    return carry


def steps_of(steps: Any) -> tuple[np.ndarray, int]:
    """``(at, n)``: the steps to predict (int64) and the run's length (the last one plus 1), from a 1-D
    array of steps or a count N (every step 0..N-1)."""
    if isinstance(steps, int | np.integer) and not isinstance(steps, bool):
        n = check_steps(steps)
        return np.arange(n, dtype=np.int64), n
    array = np.asarray(steps)
    if array.ndim != 1 or array.size == 0 or not np.issubdtype(array.dtype, np.integer):
        raise ValueError(
            f"steps must be a count N or a non-empty 1-D array of integer steps, got {steps!r:.60}"
        )
    if array.min() < 0:
        raise ValueError(f"steps must be >= 0, got {array.min()}")
    return array.astype(np.int64), check_steps(int(array.max()) + 1, "the largest step + 1")
