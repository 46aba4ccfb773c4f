"""Train a small MLP with a warmup + cosine learning rate through optax.

The task is synthetic and made here (no downloads): regress ``y = sin(2x) + 0.3x + noise`` on
``x in [-3, 3]`` with a 1-64-64-1 tanh MLP. The schedule is Keras's ``CosineDecay`` with a linear warmup
(0 -> ``peak_lr`` over ``warmup`` steps, then cosine to ``alpha * peak_lr``), injected into AdamW with
lrjit's ``inject_hyperparams`` so the learning rate lives in the optimizer state (float32) and can be
printed and checkpointed. The schedule is an argument of the jitted step: changing its values never
recompiles.

Run ``python examples/train_warmup_cosine.py [--steps 2000]``.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

import lrjit
from lrjit.train import inject_hyperparams

Params = list[tuple[jax.Array, jax.Array]]


def make_data(key: jax.Array, n: int = 4096) -> tuple[jax.Array, jax.Array]:
    """The synthetic regression set: x uniform in [-3, 3], y = sin(2x) + 0.3x + N(0, 0.05^2)."""
    kx, kn = jax.random.split(key)
    x = jax.random.uniform(kx, (n, 1), minval=-3.0, maxval=3.0)
    y = jnp.sin(2 * x) + 0.3 * x + 0.05 * jax.random.normal(kn, (n, 1))
    return x, y


def init_mlp(key: jax.Array, sizes: Sequence[int] = (1, 64, 64, 1)) -> Params:
    """Glorot-uniform weights, zero biases."""
    params = []
    layers = list(itertools.pairwise(sizes))
    for k, (fan_in, fan_out) in zip(jax.random.split(key, len(layers)), layers, strict=True):
        limit = np.sqrt(6 / (fan_in + fan_out))
        w = jax.random.uniform(k, (fan_in, fan_out), minval=-limit, maxval=limit)
        params.append((w, jnp.zeros(fan_out)))
    return params


def mlp(params: Params, x: jax.Array) -> jax.Array:
    for w, b in params[:-1]:
        x = jnp.tanh(x @ w + b)
    w, b = params[-1]
    return x @ w + b


def loss_fn(params: Params, x: jax.Array, y: jax.Array) -> jax.Array:
    return jnp.mean((mlp(params, x) - y) ** 2)


def progress_bar(step: int, total: int, loss: float, lr: float, width: int = 30) -> str:
    """``[#####-----]  step/total  loss  lr`` as one line."""
    filled = round(width * step / total)
    return f"[{'#' * filled}{'-' * (width - filled)}] {step:>5d}/{total}  loss {loss:.5f}  lr {lr:.3e}"


def train(
    steps: int = 2000,
    batch: int = 128,
    peak_lr: float = 1e-2,
    warmup: int = 100,
    seed: int = 0,
    log: Callable[[str], Any] | None = print,
    log_every: int = 100,
) -> dict[str, Any]:
    """Trains the MLP; returns the per-step losses and learning rates and the final full-data loss."""
    schedule = lrjit.CosineDecay(
        0.0, decay_steps=max(steps - warmup, 1), alpha=0.05, warmup_target=peak_lr, warmup_steps=warmup
    )
    data_key, init_key = jax.random.split(jax.random.key(seed))
    x, y = make_data(data_key)
    params = init_mlp(init_key)
    optimizer = inject_hyperparams(optax.adamw)(learning_rate=schedule, weight_decay=1e-4)
    opt_state = optimizer.init(params)

    @jax.jit
    def step_fn(params: Params, opt_state: Any, step: jax.Array) -> tuple[Params, Any, jax.Array, jax.Array]:
        # Minibatch from the step number: the data order is a pure function of (seed, step), so a run
        # resumed from a checkpoint sees the same batches.
        idx = jax.random.randint(jax.random.fold_in(data_key, step), (batch,), 0, x.shape[0])
        loss, grads = jax.value_and_grad(loss_fn)(params, x[idx], y[idx])
        updates, opt_state = optimizer.update(grads, opt_state, params)
        lr = opt_state.hyperparams["learning_rate"]  # written by this update: the rate it used
        return optax.apply_updates(params, updates), opt_state, loss, lr

    losses, lrs = [], []
    interactive = log is print and sys.stdout.isatty()
    for step in range(steps):
        params, opt_state, loss, lr = step_fn(params, opt_state, jnp.asarray(step))
        losses.append(float(loss))
        lrs.append(float(lr))
        if log is not None and (step + 1 == steps or (step + 1) % log_every == 0):
            line = progress_bar(step + 1, steps, float(np.mean(losses[-log_every:])), float(lr))
            if interactive:
                print("\r" + line, end="" if step + 1 < steps else "\n", flush=True)
            else:
                log(line)
    final = float(loss_fn(params, x, y))
    if log is not None:
        log(f"final loss on all {x.shape[0]} points: {final:.5f}")
    return {"losses": np.asarray(losses), "lrs": np.asarray(lrs), "final_loss": final, "schedule": schedule}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--peak-lr", type=float, default=1e-2)
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    train(args.steps, args.batch, args.peak_lr, args.warmup, args.seed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
