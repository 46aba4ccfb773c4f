"""Fitting a loss-curve law to observed runs: robust regression on log losses, in JAX and float64.

``fit(AnnealingLaw, runs)`` (or a law instance as the starting point) finds the parameters that minimize

    J = mean over all observations of rho((log L_predicted - log L_observed) / delta)

with ``rho`` Huber's function (``u**2 / 2`` for ``|u| <= 1``, ``|u| - 1/2`` beyond: the loss both papers
fit with, ``delta = 1e-3`` on log losses) or ``u**2 / 2`` (``loss="l2"``). Each run is ``(schedule,
steps, losses)``: a single schedule, the steps the losses were measured at (lrjit's numbering: the loss
after the update of that step), and the losses.

The method, and why:

1. Positive parameters are optimized as their logarithms and ``decay`` as its logit, so every iterate is a
   valid law and parameters of very different scales (a loss near 3, a multiplier of the drop near 500)
   are searched in relative terms.
2. Starting points: the given law (when an instance is given) and, for each point of a small grid of the
   law's non-linear parameters, the linear ones (``L0``, ``A`` and ``C`` or ``B``) solved by least
   squares on the losses: a cheap global scan that lands each start near its basin.
3. All starts run Levenberg-Marquardt at once (vectorized), in float64, with the Gauss-Newton model of
   the objective (Huber's loss is quadratic inside its threshold and linear outside: the model's
   curvature comes from the residuals inside); after 100 iterations only the best start goes on, until
   it converges or ``max_iter`` iterations. With a handful
   of parameters and hundreds of observations, the Gauss-Newton model converges in tens of iterations
   (quadratically near a good fit), where a first-order method (Adam) needs thousands and an L-BFGS line
   search compiles into a program many times larger.

Convergence: the gradient's largest component is at most ``tol``, or the undamped Gauss-Newton step's
largest component (a relative change of the parameters, as they are optimized as logarithms) is at most
``xtol``. The second criterion is the useful one at a noisy optimum: with residuals in units of
``delta`` the objective is resolved to about ``1e-16 / delta`` per observation, so the last ``1e-6`` of
its gradient can be out of reach while the parameters are already fixed to ``1e-8``. The best start's
result is returned with its objective, iteration count and ``converged`` flag; a fit that does not
converge warns (:class:`FitWarning`). Everything is deterministic.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import warnings
from collections.abc import Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from lrjit.analysis.areas import areas, warmup_per_config
from lrjit.analysis.laws import AnnealingLaw, Law, MultiPowerLaw
from lrjit.core import Schedule, batch_size, leaf_names
from lrjit.core import curves as all_rates

__all__ = ["FitResult", "FitWarning", "fit"]

LOSSES = ("huber", "l2")
_SCOUT = 100  # iterations every start runs before only the best one goes on

# Per law, the grid of starting values of the non-linear parameters (the linear ones are solved for).
_GRIDS: dict[type[Law], dict[str, tuple[float, ...]]] = {
    AnnealingLaw: {"alpha": (0.25, 0.5, 0.75, 1.0), "decay": (0.99, 0.999)},
    MultiPowerLaw: {"alpha": (0.5,), "C": (0.5, 2.0), "beta": (0.3, 0.6), "gamma": (0.3, 0.6)},
}


class FitWarning(UserWarning):
    """A fit that stopped before meeting its convergence criterion."""


class FitResult(NamedTuple):
    """What :func:`fit` found.

    Attributes:
      law: the fitted law (float64 parameters).
      objective: J at the fitted law (the mean of ``rho(residual / delta)`` over every observation).
      iterations: the Levenberg-Marquardt iterations of the best start (tried steps, kept or not).
      converged: whether the largest component of J's gradient (with respect to the log / logit
        parameters) is at most ``tol``, or that of the Gauss-Newton step at most ``xtol``.
      grad_norm: the gradient's largest component.
      step_norm: the Gauss-Newton step's largest component.
      starts: how many starting points were run.
    """

    law: Law
    objective: float
    iterations: int
    converged: bool
    grad_norm: float
    step_norm: float
    starts: int


def fit(
    law: Law | type[Law],
    runs: Sequence[tuple[Schedule, Any, Any]],
    *,
    loss: str = "huber",
    delta: float = 1e-3,
    fixed: Sequence[str] | None = None,
    warmup: int | Sequence[int] | str = 0,
    max_iter: int = 500,
    tol: float = 1e-6,
    xtol: float = 1e-8,
) -> FitResult:
    """Fits a law's parameters to observed loss curves.

    Args:
      law: a law class (started from a built-in grid) or instance (its values are one more starting
        point, and the values of its fixed parameters).
      runs: ``(schedule, steps, losses)`` triples: a single schedule, a 1-D array of steps and the losses
        observed at them (> 0).
      loss: ``"huber"`` (Huber's loss, robust to spikes) or ``"l2"`` (least squares), on log losses.
      delta: the residual scale: Huber's threshold, and the unit of both objectives.
      fixed: parameters kept at the given law's values (default: the law's ``fixed``, ``("decay",)`` for
        :class:`AnnealingLaw`; a class's default for them).
      warmup: the step of the peak, for all runs or one per run, or ``"peak"``: each run's first step of
        its largest rate up to its last observed step (see :mod:`lrjit.analysis.areas`).
      max_iter: the most Levenberg-Marquardt iterations per start.
      tol: convergence when the gradient's largest component is at most this (J is in units of
        ``delta``: about 0.5 per observation at a fit within the noise).
      xtol: convergence when the Gauss-Newton step's largest component (the relative change it would
        make to any parameter) is at most this.

    Returns:
      A :class:`FitResult`; warns :class:`FitWarning` when it did not converge.

    Example:
      >>> import lrjit, numpy as np
      >>> from lrjit.analysis import AnnealingLaw, fit
      >>> truth = AnnealingLaw(L0=2.0, A=1.5, alpha=0.6, C=2.0)
      >>> runs = []
      >>> for sched in (lrjit.CosineDecay(1e-3, 600), lrjit.CosineDecay(1e-3, 600, alpha=0.3)):
      ...     steps = np.arange(20, 600, 20)
      ...     runs.append((sched, steps, truth.predict(sched, steps)))
      >>> result = fit(AnnealingLaw, runs)
      >>> print(result.converged, np.round([result.law.L0, result.law.A, result.law.alpha, result.law.C], 3))
      True [2.  1.5 0.6 2. ]
    """
    cls = law if isinstance(law, type) else type(law)
    if not (isinstance(cls, type) and issubclass(cls, Law)) or cls is Law:
        raise TypeError(
            f"fit: law must be a law class or instance (AnnealingLaw, MultiPowerLaw), got {law!r:.80}"
        )
    if loss not in LOSSES:
        raise ValueError(f"fit: loss must be one of {LOSSES}, got {loss!r}")
    if not (isinstance(delta, int | float) and delta > 0 and np.isfinite(delta)):
        raise ValueError(f"fit: delta must be a finite number > 0, got {delta!r}")
    if not isinstance(max_iter, int) or isinstance(max_iter, bool) or max_iter < 1:
        raise ValueError(f"fit: max_iter must be an int >= 1, got {max_iter!r}")
    for name, given in (("tol", tol), ("xtol", xtol)):
        if isinstance(given, bool) or not (isinstance(given, int | float) and given > 0):
            raise ValueError(f"fit: {name} must be a number > 0, got {given!r}")
    names = leaf_names(cls)
    fixed_names = tuple(cls.fixed if fixed is None else fixed)
    for name in fixed_names:
        if name not in names:
            raise ValueError(
                f"fit: fixed names {name!r}, not a parameter of {cls.__name__} ({', '.join(names)})"
            )
    fixed_values = _fixed_values(law, cls, fixed_names)
    free = tuple(n for n in names if n not in fixed_names)
    if not free:
        raise ValueError(f"fit: every parameter of {cls.__name__} is fixed; nothing to fit")
    data = _runs(runs, warmup)
    with jax.enable_x64(True):
        features = _stacked([(_features(cls, free, fixed_values, run), run.log_loss) for run in data])
        starts = _starts(law, cls, free, fixed_values, features)
        theta0 = jnp.asarray(np.stack([_to_theta(cls, free, s) for s in starts]))
        problem = _Problem(cls, names, free, fixed_values, loss, float(delta))
        out = _solve(problem, theta0, features, max_iter, float(tol), float(xtol))
        theta, value, grad, step, iterations = (np.asarray(x) for x in out)
        value = np.where(np.isfinite(value), value, np.inf)
        best = int(np.argmin(value))
        fitted = cls(**problem.values(theta[best]))
    grad_norm, step_norm = float(np.max(np.abs(grad[best]))), float(step[best])
    converged = bool(np.isfinite(value[best]) and (grad_norm <= tol or step_norm <= xtol))
    if not converged:
        warnings.warn(
            f"fit: {cls.__name__} did not converge in {max_iter} iterations (largest gradient component "
            f"{grad_norm:.3g} > tol={tol:g}, Gauss-Newton step {step_norm:.3g} > xtol={xtol:g}, objective "
            f"{value[best]:.6g}); raise max_iter, loosen the tolerances, or start from a closer law",
            FitWarning,
            stacklevel=2,
        )
    return FitResult(
        fitted, float(value[best]), int(iterations[best]), converged, grad_norm, step_norm, len(starts)
    )


# ------------------------------------------------------------------------------------------------- data
class _Run(NamedTuple):
    schedule: Schedule
    rates: jax.Array  # float64 [N]: eta(0..N-1), N = the last observed step + 1
    at: jax.Array  # int [P]
    log_loss: jax.Array  # float64 [P]
    warmup: jax.Array  # int scalar


def _runs(runs: Any, warmup: Any) -> list[_Run]:
    if isinstance(runs, tuple) and len(runs) == 3 and isinstance(runs[0], Schedule):
        runs = [runs]
    runs = list(runs)
    if not runs:
        raise ValueError("fit: runs must hold at least one (schedule, steps, losses) triple")
    peak = isinstance(warmup, str) and warmup == "peak"
    if not peak:
        warm = np.broadcast_to(
            warmup_per_config(warmup, len(runs) if np.ndim(warmup) else None), (len(runs),)
        )
    out = []
    for i, run in enumerate(runs):
        if not (isinstance(run, tuple | list) and len(run) == 3):
            raise ValueError(f"fit: runs[{i}] must be a (schedule, steps, losses) triple, got {run!r:.80}")
        schedule, steps, losses = run
        if not isinstance(schedule, Schedule) or batch_size(schedule) is not None:
            raise TypeError(f"fit: runs[{i}]: the schedule must be a single (unbatched) lrjit schedule")
        at = np.asarray(steps)
        y = np.asarray(losses, np.float64)
        if at.ndim != 1 or at.size == 0 or not np.issubdtype(at.dtype, np.integer) or at.min() < 0:
            raise ValueError(f"fit: runs[{i}]: steps must be a non-empty 1-D array of integer steps >= 0")
        if y.shape != at.shape:
            raise ValueError(
                f"fit: runs[{i}]: {y.shape[0] if y.ndim else 'a scalar'} losses for {at.size} steps"
            )
        if not np.all(np.isfinite(y) & (y > 0)):
            bad = y[~(np.isfinite(y) & (y > 0))][0]
            raise ValueError(
                f"fit: runs[{i}]: losses must be finite and > 0 (they are fitted as logs), got {bad}"
            )
        rates = np.asarray(all_rates(schedule, int(at.max()) + 1), np.float64)
        w = int(np.argmax(rates)) if peak else int(warm[i])
        zero = np.cumsum(rates)[at] <= 0
        if zero.any():
            raise ValueError(
                f"fit: runs[{i}]: no rate > 0 up to step {at[zero][0]} (S1 = 0, where the laws are "
                "undefined); leave out the steps before the first non-zero rate"
            )
        with jax.enable_x64(True):
            out.append(
                _Run(
                    schedule,
                    jnp.asarray(rates),
                    jnp.asarray(at),
                    jnp.asarray(np.log(y)),
                    jnp.asarray(w),
                )
            )
    return out


# ------------------------------------------------------------------------------------ parameterization
def _fixed_values(law: Any, cls: type[Law], names: tuple[str, ...]) -> dict[str, float]:
    out = {}
    for name in names:
        if isinstance(law, type):
            value = {f.name: f.default for f in dataclasses.fields(cls)}[name]
            if not isinstance(value, int | float):
                raise ValueError(f"fit: {cls.__name__}.{name} is fixed: give a law instance with its value")
        else:
            value = getattr(law, name)
        out[name] = float(np.asarray(value))
    return out


def _to_theta(cls: type[Law], free: tuple[str, ...], values: dict[str, float]) -> np.ndarray:
    out = []
    for name in free:
        v = float(values[name])
        if cls.transforms[name] == "logit":
            v = min(max(v, 1e-12), 1 - 1e-12)
            out.append(np.log(v) - np.log1p(-v))
        else:
            out.append(np.log(max(v, 1e-12)))
    return np.asarray(out, np.float64)


class _Problem:
    """The objective as a function of the unconstrained parameters (static: hashed by identity)."""

    def __init__(
        self,
        cls: type[Law],
        names: tuple[str, ...],
        free: tuple[str, ...],
        fixed: dict[str, float],
        loss: str,
        delta: float,
    ) -> None:
        self.cls, self.names, self.free, self.fixed = cls, names, free, fixed
        self.loss, self.delta = loss, delta
        self.treedef = jax.tree_util.tree_structure(cls(**{n: 0.5 for n in names}))
        self.key = (cls, names, free, tuple(sorted(fixed.items())), loss, delta)

    def __hash__(self) -> int:
        return hash(self.key)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Problem) and self.key == other.key

    def values(self, theta: Any) -> dict[str, Any]:
        """Every parameter's value from the unconstrained ones (``theta``: NumPy or traced)."""
        xp = np if isinstance(theta, np.ndarray) else jnp
        values: dict[str, Any] = {n: xp.asarray(v, xp.float64) for n, v in self.fixed.items()}
        for i, name in enumerate(self.free):
            t = theta[i]
            values[name] = 1 / (1 + xp.exp(-t)) if self.cls.transforms[name] == "logit" else xp.exp(t)
        return values

    def law(self, theta: jax.Array) -> Law:
        values = self.values(theta)
        return jax.tree_util.tree_unflatten(self.treedef, [values[n] for n in self.names])

    def residuals(self, theta: jax.Array, data: list[Any]) -> jax.Array:
        """Every observation's ``(log predicted - log observed) / delta``, runs concatenated."""
        law = self.law(theta)
        out = [(_safe_log(_predict(law, f)) - log_loss).reshape(-1) / self.delta for f, log_loss in data]
        return jnp.concatenate(out)


def _safe_log(x: jax.Array) -> jax.Array:
    # log(x), continued linearly below a tiny floor: a prediction <= 0 gets a large, finite residual whose
    # gradient still points back (rather than NaN).
    floor = 1e-30
    return jnp.where(x > floor, jnp.log(jnp.maximum(x, floor)), jnp.log(floor) + (x - floor) / floor)


def _rho(u: jax.Array, loss: str) -> jax.Array:
    if loss == "l2":
        return 0.5 * u**2
    a = jnp.abs(u)
    return jnp.where(a <= 1, 0.5 * u**2, a - 0.5)


def _starts(
    law: Any, cls: type[Law], free: tuple[str, ...], fixed: dict[str, float], data: list[Any]
) -> list[dict[str, float]]:
    """Starting values: the given law's, then the grid of non-linear values with the linear ones solved
    for by least squares on the losses."""
    starts = []
    if not isinstance(law, type):
        starts.append({n: float(np.asarray(getattr(law, n))) for n in free})
    grid = {n: v for n, v in _GRIDS.get(cls, {}).items() if n in free and n not in cls.linear}
    linear = [n for n in cls.linear if n in free]
    for combo in itertools.product(*grid.values()):
        values = dict(fixed)
        values.update(zip(grid, combo, strict=True))
        for n in free:
            if n not in values and n not in linear:
                values[n] = float(np.asarray(getattr(law, n))) if not isinstance(law, type) else 0.5
        values.update(_least_squares(cls, values, linear, data))
        starts.append({n: values[n] for n in free})
    return starts or [dict.fromkeys(free, 1.0)]


def _least_squares(
    cls: type[Law], values: dict[str, float], linear: list[str], data: list[Any]
) -> dict[str, float]:
    """The linear parameters minimizing the squared error of the losses, the others at ``values`` (the
    prediction is linear in them: its column for one is the prediction with that one at 1, the others 0)."""
    if not linear:
        return {}
    names = leaf_names(cls)
    treedef = jax.tree_util.tree_structure(cls(**{n: 0.5 for n in names}))

    def predict(unit: dict[str, float]) -> np.ndarray:
        v = {**values, **{n: 0.0 for n in linear}, **unit}
        law = jax.tree_util.tree_unflatten(treedef, [jnp.asarray(v[n], jnp.float64) for n in names])
        return np.asarray(_predict_all(law, [features for features, _ in data]))

    columns = np.stack([predict({n: 1.0}) for n in linear], axis=1)
    target = np.concatenate([np.exp(np.asarray(log_loss)).reshape(-1) for _, log_loss in data])
    usable = np.all(np.isfinite(columns), axis=1)
    if usable.sum() < len(linear):
        return dict.fromkeys(linear, 1.0)
    solution = np.linalg.lstsq(columns[usable], target[usable], rcond=None)[0]
    floor = 1e-6 * float(np.max(np.abs(target)))
    return {n: max(float(v), floor) for n, v in zip(linear, solution, strict=True)}


@jax.jit
def _predict_all(law: Law, features: list[Any]) -> jax.Array:
    return jnp.concatenate([_predict(law, f).reshape(-1) for f in features])


class _AreasAt(NamedTuple):
    s1: jax.Array
    s2: jax.Array


class _RatesAt(NamedTuple):
    rates: jax.Array
    at: jax.Array
    warmup: jax.Array


def _features(cls: type[Law], free: tuple[str, ...], fixed: dict[str, float], run: _Run) -> Any:
    """What the objective needs of a run: the areas at its steps when they do not depend on the fitted
    parameters (an annealing law with a fixed decay), else the run's rates."""
    if cls is AnnealingLaw and "decay" not in free:
        n = run.rates.shape[0]
        r = areas(run.schedule, n, decay=fixed["decay"], at=np.asarray(run.at), warmup=int(run.warmup))
        return _AreasAt(jnp.asarray(r.s1), jnp.asarray(r.s2))
    return _RatesAt(run.rates, run.at, run.warmup)


def _stacked(data: list[tuple[Any, jax.Array]]) -> list[tuple[Any, jax.Array]]:
    """Runs of one shape stacked (a leading run axis): the objective evaluates each stack with one
    vectorized copy of the law, not one copy per run."""
    groups: dict[Any, list[tuple[Any, jax.Array]]] = {}
    for features, log_loss in data:
        key = (type(features), tuple(np.shape(x) for x in features), log_loss.shape)
        groups.setdefault(key, []).append((features, log_loss))
    return [jax.tree.map(lambda *xs: jnp.stack(xs), *group) for group in groups.values()]


def _predict(law: Law, features: Any) -> jax.Array:
    """The law at a stack of runs' features (``[R, P]``)."""
    return jax.vmap(lambda f: _predict_one(law, f))(features)


def _predict_one(law: Law, features: Any) -> jax.Array:
    if isinstance(features, _AreasAt):
        assert isinstance(law, AnnealingLaw)
        return law.loss_from_areas(features.s1, features.s2)
    return law.predict_rates(features.rates, features.at, features.warmup)


# ------------------------------------------------------------------------------------------------ solve
@functools.partial(jax.jit, static_argnums=0)
def _solve(
    problem: _Problem, theta0: jax.Array, data: list[Any], max_iter: Any, tol: Any, xtol: Any
) -> tuple[jax.Array, ...]:
    """Levenberg-Marquardt from every start at once (``theta0``: ``[S, F]``).

    With ``u`` the residuals in units of delta and ``J_u`` their Jacobian, J's gradient is ``J_u^T
    rho'(u) / M`` and ``J_u^T diag(rho''(u)) J_u / M`` its Gauss-Newton Hessian (Huber: ``rho' =
    clip(u, -1, 1)``, ``rho'' = 1`` inside the threshold); each iteration solves the damped system, keeps
    the step if J did not increase (then damps less) and otherwise damps more. A start stops when it
    converges (see :func:`fit`), after ``max_iter`` iterations, or when no damping makes progress; after
    ``_SCOUT`` iterations only the start with the lowest J goes on (the others keep their state).

    Returns ``(theta, J, gradient, Gauss-Newton step size, iterations)`` per start.
    """

    def residuals(theta: jax.Array) -> jax.Array:
        return problem.residuals(theta, data)

    def solve(hess: jax.Array, grad: jax.Array, damping: Any) -> jax.Array:
        eye = jnp.eye(hess.shape[0])
        return jnp.linalg.solve(hess + damping * jnp.diag(jnp.diag(hess)) + 1e-12 * eye, grad)

    def linearize(theta: jax.Array) -> tuple[jax.Array, ...]:
        u = residuals(theta)
        jac = jax.jacfwd(residuals)(theta)  # [M, F]
        if problem.loss == "l2":
            slope, curvature = u, jnp.ones_like(u)
        else:
            # rho'' is 0 outside the threshold; kept slightly positive there so that the system stays
            # definite when few residuals are inside.
            slope = jnp.clip(u, -1, 1)
            curvature = jnp.where(jnp.abs(u) <= 1, 1.0, 1e-3 / jnp.maximum(jnp.abs(u), 1.0))
        m = u.shape[0]
        grad, hess = jac.T @ slope / m, (jac.T * curvature) @ jac / m
        newton = jnp.max(jnp.abs(solve(hess, grad, 0.0)))
        return jnp.mean(_rho(u, problem.loss)), grad, hess, jnp.where(jnp.isfinite(newton), newton, jnp.inf)

    def active(carry: tuple[Any, ...]) -> jax.Array:
        _, value, grad, _, newton, damping, count = carry
        done = (jnp.max(jnp.abs(grad), axis=-1) <= tol) | (newton <= xtol)
        going = (count < max_iter) & ~done & jnp.isfinite(value) & (damping < 1e12)
        best = jnp.arange(value.shape[0]) == jnp.argmin(jnp.where(jnp.isfinite(value), value, jnp.inf))
        return (count == 0) | (going & ((count < _SCOUT) | best))

    def step(carry: tuple[Any, ...]) -> tuple[Any, ...]:
        # The first pass has no model yet (grad and hess 0, value inf): its step is 0, and it linearizes at
        # the start (one copy of the model in the compiled loop).
        theta, value, grad, hess, newton, damping, count = carry
        on = active(carry)
        candidate = theta - jax.vmap(solve)(hess, grad, damping)
        new = jax.vmap(linearize)(candidate)
        better = (jnp.isfinite(new[0]) & (new[0] <= value)) | (count == 0)
        keep = on & better

        def pick(new: jax.Array, old: jax.Array) -> jax.Array:
            return jnp.where(keep.reshape(-1, *[1] * (new.ndim - 1)), new, old)

        damping = jnp.where(on, jnp.where(better, damping / 3, damping * 4), damping)
        kept = [
            pick(a, b) for a, b in zip((candidate, *new), (theta, value, grad, hess, newton), strict=True)
        ]
        return (*kept, damping, count + on)

    s, f = theta0.shape
    inf = jnp.full((s,), jnp.inf)
    carry = (
        theta0,
        inf,
        jnp.zeros((s, f)),
        jnp.zeros((s, f, f)),
        inf,
        jnp.full((s,), 1e-3),
        jnp.zeros((s,), int),
    )
    theta, value, grad, _, newton, _, count = jax.lax.while_loop(lambda c: jnp.any(active(c)), step, carry)
    return theta, value, grad, newton, count - 1
