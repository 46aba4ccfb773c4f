"""Population training throughput: K models x T steps, each model with its own warmup-cosine schedule, as one
lrjit program against the way it is done without lrjit (one optax closure and one jitted step per config).

Run from the repository root::

    python bench/bench_population.py            # K in {16, 64, 256}, T = 200 steps
    python bench/bench_population.py --quick    # K in {2, 4}, T = 10: a CI smoke run of a few seconds
    python bench/bench_population.py --json out.json

The workload is the digits example's (:mod:`lrjit.train.digits`) on synthetic data of the same shapes, so
that no dataset is needed: an MLP 64-64-10 (ReLU, softmax cross-entropy), minibatches of 64 shared by all
models, ``sgd`` with momentum 0.9, every model from the same initial params. The K configs are drawn by
``lrjit.random`` (peak rate log-uniform in [1e-3, 1], warmup 0..T/4 steps, floor alpha in {0, 0.01, 0.1},
the cosine over the rest of the run). Three contenders train the same K models on the same data:

* **population_run**: ``lrjit.train.population_run``: the T steps of the K models are one jitted program
  (``lax.scan`` over a vmapped step), one call;
* **population_step loop**: ``lrjit.train.population_step`` (the K models vmapped, one jitted step) called
  T times from Python;
* **optax closures loop**: per config ``optax.sgd(optax.warmup_cosine_decay_schedule(...), momentum=0.9)``
  built as a closure, with its own ``jax.jit`` train step (a new program per config: the schedule's
  numbers are constants of it), stepped T times from Python, config after config.

Compile time: ``lower`` + ``compile`` of every program the contender needs (1, 1 and K programs), the
persistent compilation cache switched off. Steady state: the compiled programs run on the same inputs,
ending in ``block_until_ready``; median of ``--repeats`` rounds (one warm-up round first). Throughput is
model-steps (K x T) per second of steady state; "end to end" adds the compile time, which is what one
sweep costs. Before timing, the contenders are compared: the K rate curves of both libraries (the same
functions written twice: they agree to float32 rounding, not bitwise), and the last step's losses
(population_run and the population_step loop bitwise; the optax closures to that rounding, which the
high-rate configs amplify over T steps, so the median difference is printed). Nothing here asserts
on a time: the script prints and exits 0.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

import lrjit
from lrjit.train import population_init, population_run, population_step, replicate

D_IN, HIDDEN, CLASSES, BATCH, MOMENTUM = 64, 64, 10, 64, 0.9

Params = dict[str, jax.Array]


def _init_params(key: jax.Array) -> Params:
    k1, k2 = jax.random.split(key)
    return {
        "w1": jax.random.normal(k1, (D_IN, HIDDEN)) * np.sqrt(2.0 / D_IN),
        "b1": jnp.zeros(HIDDEN),
        "w2": jax.random.normal(k2, (HIDDEN, CLASSES)) * np.sqrt(2.0 / HIDDEN),
        "b2": jnp.zeros(CLASSES),
    }


def _loss(params: Params, x: jax.Array, y: jax.Array) -> jax.Array:
    logits = jax.nn.relu(x @ params["w1"] + params["b1"]) @ params["w2"] + params["b2"]
    return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()


def _lrjit_step(params: Params, opt_state: Any, schedule: Any, batch: Any) -> tuple[Params, Any, jax.Array]:
    loss, grads = jax.value_and_grad(_loss)(params, *batch)
    updates, opt_state = optax.sgd(schedule, momentum=MOMENTUM).update(grads, opt_state, params)
    return optax.apply_updates(params, updates), opt_state, loss


def _optax_closure_step(tx: optax.GradientTransformation) -> Callable[..., Any]:
    """The train step of one config, closing over its optimizer (the schedule's numbers are constants)."""

    def step(params: Params, opt_state: Any, batch: Any) -> tuple[Params, Any, jax.Array]:
        loss, grads = jax.value_and_grad(_loss)(params, *batch)
        updates, opt_state = tx.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, loss

    return step


def _configs(k: int, steps: int, seed: int) -> Any:
    template = lrjit.CosineDecay(0.0, decay_steps=steps, warmup_target=0.1, warmup_steps=0)
    space = {
        "warmup_target": lrjit.log_uniform(1e-3, 1.0),
        "warmup_steps": lrjit.integers(0, steps // 4),
        "alpha": lrjit.choice([0.0, 0.01, 0.1]),
    }
    schedules = lrjit.random(template, k, seed, space)
    return schedules.replace(decay_steps=steps - np.asarray(schedules.warmup_steps))


def _optax_schedule(schedules: Any, i: int, steps: int) -> optax.Schedule:
    peak = float(schedules.warmup_target[i])
    return optax.warmup_cosine_decay_schedule(
        init_value=0.0,
        peak_value=peak,
        warmup_steps=int(schedules.warmup_steps[i]),
        decay_steps=steps,  # optax counts the warmup in decay_steps
        end_value=float(schedules.alpha[i]) * peak,
    )


def _data(steps: int, seed: int) -> tuple[jax.Array, jax.Array]:
    """``[T, BATCH, 64]`` inputs and ``[T, BATCH]`` labels: 10 Gaussian clusters, so the loss decreases."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(CLASSES, D_IN))
    y = rng.integers(0, CLASSES, (steps, BATCH))
    x = centers[y] + rng.normal(size=(steps, BATCH, D_IN)) * 2.0
    return jnp.asarray(x, jnp.float32), jnp.asarray(y, jnp.int32)


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    out = jax.block_until_ready(fn())
    return time.perf_counter() - start, out


def bench_k(k: int, steps: int, repeats: int, seed: int) -> dict[str, Any]:
    schedules = _configs(k, steps, seed)
    batches = _data(steps, seed)
    one = _init_params(jax.random.key(seed))
    params = replicate(one, k)
    opt_states = population_init(lambda s: optax.sgd(s, momentum=MOMENTUM), params, schedules)
    batch_at = [jax.tree.map(lambda b, t=t: b[t], batches) for t in range(steps)]  # device slices, made once

    # population_run: one program.
    c_run, run = _timed(
        lambda: population_run(_lrjit_step).lower(params, opt_states, schedules, batches).compile()
    )

    def go_run() -> Any:
        return run(params, opt_states, schedules, batches)

    # population_step in a Python loop: one program, T calls.
    c_step, step = _timed(
        lambda: population_step(_lrjit_step).lower(params, opt_states, schedules, batch_at[0]).compile()
    )

    def go_step() -> Any:
        p, s = params, opt_states
        for t in range(steps):
            p, s, loss = step(p, s, schedules, batch_at[t])
        return p, s, loss

    # optax closures: K programs, K x T calls.
    start = time.perf_counter()
    closures = []
    for i in range(k):
        tx = optax.sgd(_optax_schedule(schedules, i, steps), momentum=MOMENTUM)
        state = tx.init(one)
        compiled = jax.jit(_optax_closure_step(tx)).lower(one, state, batch_at[0]).compile()
        closures.append((compiled, state))
    c_loop = time.perf_counter() - start

    def go_loop() -> Any:
        finals = []
        for compiled, state in closures:
            p, s = one, state
            for t in range(steps):
                p, s, loss = compiled(p, s, batch_at[t])
            finals.append(loss)
        return finals

    # Agreement before timing: the rates of the two libraries' schedules, and the last step's loss of every
    # model three ways (population_run and the population_step loop bitwise; the optax closures to rounding,
    # which high-rate configs amplify over T steps, so the median is the telling number).
    rates = np.asarray(lrjit.curves(schedules, steps))
    theirs = np.stack([np.asarray(_optax_schedule(schedules, i, steps)(jnp.arange(steps))) for i in range(k)])
    rate_diff = float(np.max(np.abs(rates - theirs)) / np.max(theirs))
    last_run = np.asarray(go_run()[2][-1])
    last_step = np.asarray(go_step()[2])
    last_loop = np.asarray(jax.block_until_ready(go_loop()))
    assert np.array_equal(last_run, last_step, equal_nan=True)
    loss_diff = np.abs(last_run - last_loop) / np.maximum(np.abs(last_loop), 1e-3)
    loss_diff = float(np.nanmedian(np.where(np.isfinite(last_loop), loss_diff, np.nan)))

    times: dict[str, list[float]] = {"run": [], "step": [], "loop": []}
    for _ in range(repeats):
        for name, go in (("run", go_run), ("step", go_step), ("loop", go_loop)):
            times[name].append(_timed(go)[0])
    steady = {name: statistics.median(ts) for name, ts in times.items()}
    compile_s = {"run": c_run, "step": c_step, "loop": c_loop}
    return {
        "k": k,
        "steps": steps,
        "compile_s": compile_s,
        "steady_s": steady,
        "rounds_s": times,
        "max_rate_diff_vs_optax": rate_diff,
        "median_rel_diff_final_loss_vs_optax": loss_diff,
    }


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            names = [line.split(":", 1)[1].strip() for line in f if line.startswith("model name")]
        cpu = f"{cpu} ({names[0]})" if names else cpu
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{cpu}, os.cpu_count()={os.cpu_count()} (usable {usable})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="K in {2, 4}, T = 10: a smoke run")
    parser.add_argument("--ks", type=int, nargs="+", default=None, help="the K values (default 16 64 256)")
    parser.add_argument("--steps", type=int, default=None, help="T (default 200, quick 10)")
    parser.add_argument("--repeats", type=int, default=None, help="timed rounds (default 3, quick 1)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, default=None, help="also write every number to this file")
    args = parser.parse_args()
    jax.config.update("jax_enable_compilation_cache", False)
    ks = args.ks or ([2, 4] if args.quick else [16, 64, 256])
    steps = args.steps or (10 if args.quick else 200)
    repeats = args.repeats or (1 if args.quick else 3)

    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    print("# population training: K models x T steps, one schedule config per model\n")
    versions = f"jax {jax.__version__}, jaxlib {jax.lib.__version__}, optax {optax.__version__}"
    print(f"- {versions}, numpy {np.__version__}")
    print(f"- devices: {jax.devices()}; machine: {_machine()}; python {platform.python_version()}")
    print(f"- load average at start: {load}; XLA_FLAGS={os.environ.get('XLA_FLAGS', '')!r}")
    model = f"MLP {D_IN}-{HIDDEN}-{CLASSES}, batch {BATCH}, sgd momentum {MOMENTUM}"
    print(f"- {model}, T = {steps}, median of {repeats} rounds\n")
    print("| K | contender | programs | compile s | steady s | model-steps/s | end to end s | vs closures |")
    print("| ---: | --- | ---: | ---: | ---: | ---: | ---: | --- |")
    results = []
    for k in ks:
        r = bench_k(k, steps, repeats, args.seed)
        results.append(r)
        names = {"run": "population_run", "step": "population_step loop", "loop": "optax closures loop"}
        programs = {"run": 1, "step": 1, "loop": k}
        for key, label in names.items():
            c, s = r["compile_s"][key], r["steady_s"][key]
            speedup = r["steady_s"]["loop"] / s
            print(
                f"| {k} | {label} | {programs[key]} | {c:.2f} | {s:.3f} | {k * steps / s:,.0f} | {c + s:.2f} "
                f"| {speedup:.1f}x steady, {(r['compile_s']['loop'] + r['steady_s']['loop']) / (c + s):.1f}x "
                "end to end |"
            )
    print()
    for r in results:
        print(
            f"- K={r['k']}: rates, lrjit vs optax: max difference {r['max_rate_diff_vs_optax']:.1e} of the "
            f"largest rate; last-step losses vs the optax closures: median relative difference "
            f"{r['median_rel_diff_final_loss_vs_optax']:.1e}; population_run = population_step loop, bitwise"
        )
    print(f"- load average at end: {os.getloadavg() if hasattr(os, 'getloadavg') else None}")
    if args.json:
        args.json.write_text(json.dumps({"versions": {"jax": jax.__version__}, "results": results}, indent=1))


if __name__ == "__main__":
    main()
