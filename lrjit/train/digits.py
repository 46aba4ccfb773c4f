"""A trained sweep: K small MLPs on scikit-learn's digits, each with its own learning-rate schedule, trained
in one jitted program (:func:`lrjit.train.population.population_run`).

Run it::

    python -m lrjit.train.digits                    # 256 configs, 400 steps
    python -m lrjit.train.digits --models 64 --steps 200 --seed 1 --top 5

or call :func:`run` (``run(models=256, steps=400, seed=0)``), which returns the configs and the per-config
results as ``[K]`` arrays. The setup:

* data: ``sklearn.datasets.load_digits`` (1797 8x8 images, 10 classes, bundled with scikit-learn: no
  download), split 75/25 into train and test with a fixed seed (0, stratified, whatever ``seed`` is),
  standardized with the training set's mean and standard deviation;
* model: an MLP 64-64-10 with ReLU, softmax cross-entropy; every model starts from the SAME initial params
  (He-normal from ``seed``), so the models differ only by their schedule;
* optimizer: ``optax.sgd(schedule, momentum=0.9)``, minibatches of 64 shared by all models (one shuffle of
  the training set per epoch, from ``seed``);
* search space (:func:`search_space`): Keras's ``CosineDecay`` with linear warmup from 0, drawn by
  :func:`lrjit.random` with ``seed``: the peak rate ``warmup_target`` log-uniform in [1e-3, 1], the
  warmup length ``warmup_steps`` an integer in [0, steps / 4], the floor ``alpha`` one of 0, 0.01, 0.1; the
  cosine then decays over the rest of the run (``decay_steps = steps - warmup_steps``, per config);
* results: the final loss on the whole training set and the test accuracy of every config, ``[K]`` each.

scikit-learn is needed for the data only (``pip install scikit-learn``); lrjit does not depend on it.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

from lrjit.core import Schedule
from lrjit.families.keras import CosineDecay
from lrjit.sweep import choice, integers, log_uniform
from lrjit.sweep import random as random_configs
from lrjit.train.population import population_init, population_run, replicate

__all__ = ["DigitsResult", "load_data", "run", "search_space"]

HIDDEN = 64
BATCH = 64
MOMENTUM = 0.9
SPLIT_SEED = 0  # the train/test split is fixed, whatever the run's seed

Params = dict[str, jax.Array]


@dataclasses.dataclass(frozen=True)
class DigitsResult:
    """The outcome of a trained sweep; every array has one entry per config (K), in the sweep's order.

    Attributes:
      schedules: the K configs, one batched ``CosineDecay``.
      configs: the swept values per config: ``{"warmup_target": [K], "warmup_steps": [K], "alpha": [K]}``.
      train_loss: the final params' mean cross-entropy on the whole training set, ``[K]``.
      test_accuracy: the final params' accuracy on the test set, ``[K]``.
      losses: the minibatch loss of every step and model, ``[T, K]``.
      compile_seconds: tracing and compiling the training program (``lower`` + ``compile``).
      run_seconds: running the compiled training program, T steps of the K models.
    """

    schedules: Schedule
    configs: dict[str, np.ndarray]
    train_loss: np.ndarray
    test_accuracy: np.ndarray
    losses: np.ndarray
    compile_seconds: float
    run_seconds: float

    def ranking(self) -> np.ndarray:
        """The config indices, best test accuracy first (ties: lower training loss first; NaN last)."""
        loss = np.where(np.isfinite(self.train_loss), self.train_loss, np.inf)
        return np.lexsort((loss, -np.nan_to_num(self.test_accuracy, nan=-1.0)))

    def table(self, top: int = 10) -> str:
        """The ``top`` best configs as a markdown table: rank, swept values, test accuracy, train loss."""
        names = list(self.configs)
        rows = ["| rank | " + " | ".join(names) + " | test accuracy | train loss |"]
        rows.append("|" + " --- |" * (len(names) + 3))
        for rank, i in enumerate(self.ranking()[:top], start=1):
            values = " | ".join(_fmt(self.configs[n][i]) for n in names)
            rows.append(f"| {rank} | {values} | {self.test_accuracy[i]:.4f} | {self.train_loss[i]:.3g} |")
        return "\n".join(rows)


def _fmt(value: Any) -> str:
    if np.issubdtype(np.asarray(value).dtype, np.integer):
        return str(int(value))
    return f"{float(value):.4g}"


def load_data() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(x_train, y_train, x_test, y_test)``: digits split 75/25 (stratified, seed 0), standardized with
    the training set's statistics; float32 features, int32 labels.

    Raises:
      ImportError: without scikit-learn (``pip install scikit-learn``).
    """
    try:
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split
    except ImportError as e:
        raise ImportError(
            "the digits example needs scikit-learn for its data: pip install scikit-learn"
        ) from e
    x, y = load_digits(return_X_y=True)
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=0.25, random_state=SPLIT_SEED, stratify=y
    )
    mean, std = x_train.mean(axis=0), x_train.std(axis=0)
    std = np.where(std > 0, std, 1.0)  # constant pixels (the image's corners) stay 0
    standardize = lambda a: ((a - mean) / std).astype(np.float32)  # noqa: E731
    return standardize(x_train), y_train.astype(np.int32), standardize(x_test), y_test.astype(np.int32)


def search_space(steps: int) -> dict[str, Any]:
    """The swept axes of the default sweep, for a run of ``steps`` steps (see the module docstring)."""
    return {
        "warmup_target": log_uniform(1e-3, 1.0),
        "warmup_steps": integers(0, steps // 4),
        "alpha": choice([0.0, 0.01, 0.1]),
    }


def _init_params(key: jax.Array, d_in: int, d_out: int) -> Params:
    k1, k2 = jax.random.split(key)
    return {
        "w1": jax.random.normal(k1, (d_in, HIDDEN)) * np.sqrt(2.0 / d_in),
        "b1": jnp.zeros(HIDDEN),
        "w2": jax.random.normal(k2, (HIDDEN, d_out)) * np.sqrt(2.0 / HIDDEN),
        "b2": jnp.zeros(d_out),
    }


def _logits(params: Params, x: jax.Array) -> jax.Array:
    h = jax.nn.relu(x @ params["w1"] + params["b1"])
    return h @ params["w2"] + params["b2"]


def _loss(params: Params, x: jax.Array, y: jax.Array) -> jax.Array:
    return optax.softmax_cross_entropy_with_integer_labels(_logits(params, x), y).mean()


def _optimizer(schedule: Schedule) -> optax.GradientTransformation:
    return optax.sgd(schedule, momentum=MOMENTUM)


def _train_step(
    params: Params, opt_state: Any, schedule: Schedule, batch: tuple[jax.Array, jax.Array]
) -> tuple[Params, Any, jax.Array]:
    """One model, one config, one minibatch (the contract of population_run)."""
    loss, grads = jax.value_and_grad(_loss)(params, *batch)
    updates, opt_state = _optimizer(schedule).update(grads, opt_state, params)
    return optax.apply_updates(params, updates), opt_state, loss


@jax.jit
def _evaluate(params: Params, x_train: jax.Array, y_train: jax.Array, x_test: jax.Array, y_test: jax.Array):
    def one(p: Params) -> tuple[jax.Array, jax.Array]:
        accuracy = jnp.mean(jnp.argmax(_logits(p, x_test), axis=-1) == y_test)
        return _loss(p, x_train, y_train), accuracy

    return jax.vmap(one)(params)


def _minibatches(n: int, steps: int, seed: int) -> np.ndarray:
    """``[steps, BATCH]`` training-set indices: epochs of a fresh permutation each (the tail of an epoch
    shorter than a batch is dropped)."""
    rng = np.random.default_rng(seed)
    per_epoch = n // BATCH
    epochs = -(-steps // per_epoch)
    order = np.concatenate([rng.permutation(n)[: per_epoch * BATCH] for _ in range(epochs)])
    return order[: steps * BATCH].reshape(steps, BATCH)


def _check(name: str, value: Any, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
        raise ValueError(f"digits.run: {name} must be an integer >= {low}, got {value!r}")
    return int(value)


def run(models: int = 256, steps: int = 400, seed: int = 0) -> DigitsResult:
    """Train ``models`` MLPs on digits for ``steps`` steps, each with a config drawn from
    :func:`search_space`, as one jitted program; see the module docstring for the setup.

    Args:
      models: K, the number of configs (and models), >= 1.
      steps: T, the number of training steps, >= 8 (the warmup takes up to a quarter of them).
      seed: draws the configs, the initial params (shared by all models) and the minibatch order.

    Returns:
      A :class:`DigitsResult` with ``[K]`` arrays.

    Raises:
      ImportError: without scikit-learn.
      ValueError: for ``models`` < 1 or ``steps`` < 8 (or not integers).
    """
    models, steps = _check("models", models, 1), _check("steps", steps, 8)
    x_train, y_train, x_test, y_test = load_data()

    template = CosineDecay(0.0, decay_steps=steps, warmup_target=0.1, warmup_steps=0)
    schedules: Any = random_configs(template, models, seed, search_space(steps))
    # The cosine takes the rest of the run after each config's warmup.
    schedules = schedules.replace(decay_steps=steps - np.asarray(schedules.warmup_steps))

    params = replicate(_init_params(jax.random.key(seed), x_train.shape[1], 10), models)
    opt_states = population_init(_optimizer, params, schedules)
    index = _minibatches(len(x_train), steps, seed)
    batches = (jnp.asarray(x_train[index]), jnp.asarray(y_train[index]))  # [T, BATCH, 64], [T, BATCH]

    start = time.perf_counter()
    program: Any = population_run(_train_step)  # jitted: lower and compile it apart, to time both parts
    train = program.lower(params, opt_states, schedules, batches).compile()
    compiled = time.perf_counter()
    params, _, losses = jax.block_until_ready(train(params, opt_states, schedules, batches))
    done = time.perf_counter()

    train_loss, accuracy = _evaluate(params, x_train, y_train, x_test, y_test)
    return DigitsResult(
        schedules=schedules,
        configs={name: np.asarray(getattr(schedules, name)) for name in search_space(steps)},
        train_loss=np.asarray(train_loss),
        test_accuracy=np.asarray(accuracy),
        losses=np.asarray(losses),
        compile_seconds=compiled - start,
        run_seconds=done - compiled,
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m lrjit.train.digits", description=__doc__.split("\n")[0])
    parser.add_argument("--models", type=int, default=256, help="K, the number of configs (default 256)")
    parser.add_argument("--steps", type=int, default=400, help="training steps (default 400)")
    parser.add_argument("--seed", type=int, default=0, help="configs, init and minibatch order (default 0)")
    parser.add_argument("--top", type=int, default=10, help="rows of the table (default 10)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    result = run(models=args.models, steps=args.steps, seed=args.seed)
    wall = time.perf_counter() - start
    acc = result.test_accuracy
    print(
        f"{args.models} configs x {args.steps} steps on digits (batch {BATCH}, sgd momentum {MOMENTUM}): "
        f"test accuracy best {np.nanmax(acc):.4f}, median {np.nanmedian(acc):.4f}, worst {np.nanmin(acc):.4f}"
    )
    print(result.table(args.top))
    print(
        f"wall time {wall:.2f} s (compile {result.compile_seconds:.2f} s, training "
        f"{result.run_seconds:.2f} s: {args.models * args.steps / result.run_seconds:,.0f} model-steps/s) "
        f"on {jax.devices()[0].platform}"
    )


if __name__ == "__main__":
    main()
