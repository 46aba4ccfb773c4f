"""Kernel benchmark of ``lrjit.curves`` per family, against the XLA floors, optax and numpy, in one process.

Run from the repository root::

    python bench/bench_kernels.py --quick         # tiny shapes, a smoke run of seconds (asserts no speed)
    python bench/bench_kernels.py --device cpu    # K=256 x N=10**5 and K=4096 x N=10**4: a few minutes
    python bench/bench_kernels.py --device gpu    # K=4096 and K=65536 x N=10**5

Sections (one plain-text table each):

1. curve matrices, every leaf varying across the K configs: ns/element of ``lrjit.curves(batch, N)`` and its
   ratio to the write floor (``broadcast_to(a[:, None], (K, N)) + 0``) and the one-cos floor
   (``cos(a[:, None] * iota + b[:, None])``), both timed in the same rounds; optax's closest schedule (one
   closure per config, float hyperparameters traced; optax validates step counts as Python ints, so those are
   constants of its program; ``lrjit/optax`` compares the two on the same configs, the same K x N output)
   and float64 numpy, per element; the program's peak memory beyond its inputs (XLA's temporary buffers,
   and the output);
2. peak-only sweeps (only the peak rate varies): a batched constructor against optax vmapped over the peak;
3. eager call cost: microseconds per scalar call, per family of ``lrjit.examples.examples()``;
4. compile: first call (trace, compile, run) of a new structure against optax, and 1000 pieces against one
   (``bench_pieces``'s workloads and compile timer);
5. the targets: each measured ratio against its target, met or not.

Contenders are timed round-robin (``--repeats`` rounds after one warm-up call each) and every ratio is the
median over rounds of the per-round ratio. Before any timing, lrjit's curves are compared with numpy float64
and with optax where both compute the same curve (an AssertionError otherwise). See bench/README.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_curves
import bench_pieces
from bench_curves import _interleaved, _ns_per_element, _per_round_ratio, print_table

import lrjit
from lrjit.examples import examples

optax = bench_curves.optax

SHAPES: dict[str, tuple[tuple[int, int], ...]] = {
    # cpu: K=4096 x N=10**5 is 1.6 GB per output and seconds per call on 2 cores; N=10**4 keeps K=4096
    "cpu": ((256, 10**5), (4096, 10**4)),
    "gpu": ((4096, 10**5), (65536, 10**5)),
    "quick": ((8, 2**10),),
}
F32 = np.float32

# Targets: per workload class, the largest ratio to the cos floor (peak-only: to the write floor).
TARGETS: dict[str, float] = {
    "cosine": 1.2,
    "staircase": 1.3,
    "restarts t_mul 1/2": 3.5,
    "restarts any t_mul": 5.0,
    "other": 2.0,
    "peak-only": 1.3,
}
# optax's staircase divides the step by its (constant) decay_steps in float32 and floors; XLA rewrites the
# division by a constant as a multiplication by its float32 reciprocal, so at some multiples of decay_steps
# the floor lands one step low (floor(121 * (1 / 121)) = 0): optax's curve changes one step late there.
STAIR_NOTE = (
    "staircase: XLA turns optax's step / decay_steps into step * (1 / decay_steps): late at some multiples"
)
EAGER_TARGET_US = 30.0
FIRST_CALL_TARGET = 1.5
PIECES_TARGET = 1.5


# ------------------------------------------------------------------------------------------ workloads
@dataclasses.dataclass
class Workload:
    """One family with K configs: the lrjit batch and the peers' versions of the same (or closest) curves.

    ``optax_make(p)`` builds the optax schedule of one config from ``p``: ``p[name]`` is a traced float32
    (scalar or vector) for the names in ``floats`` and a Python value for the names in ``ints`` (the values
    optax inspects in Python: step counts, boundaries, cycle lengths, and warmup_cosine's peak).
    ``optax_same`` says whether optax computes the same curve (its agreement is asserted) or not.
    """

    name: str
    target: str
    batch: lrjit.Schedule
    params: dict[str, np.ndarray]  # [K] or [K, m] per config
    floats: tuple[str, ...] = ()
    ints: tuple[str, ...] = ()
    optax_make: Callable[[dict[str, Any]], Callable[[jax.Array], jax.Array]] | None = None
    optax_same: bool = True
    optax_note: str = ""
    numpy_curves: Callable[[dict[str, np.ndarray], np.ndarray], np.ndarray] | None = None
    tolerance: float = 2e-6  # max |a - b| / row max, float32 against float64 or float32


def _f32(x: np.ndarray) -> np.ndarray:
    return np.asarray(x, F32)


def _log_uniform(rng: np.random.Generator, lo: float, hi: float, size: Any) -> np.ndarray:
    return np.exp(rng.uniform(math.log(lo), math.log(hi), size))


def _sorted_distinct(rng: np.random.Generator, k: int, m: int, lo: int, hi: int) -> np.ndarray:
    """[K, m] sorted distinct integers in [lo, hi) per row."""
    return np.sort(np.stack([rng.choice(np.arange(lo, hi), m, replace=False) for _ in range(k)]), axis=1)


def _cycles(first: int, t_mul: float, n: int) -> list[int]:
    """Integer cycle lengths ``round(first * t_mul**i)`` covering steps 0..n-1 (exact for integer t_mul)."""
    lengths, total, length = [], 0, float(first)
    while total < n:
        lengths.append(max(1, round(length)))
        total += lengths[-1]
        length *= t_mul
    return lengths


def _sgdr(lr: Any, alpha: Any, m_mul: Any, lengths: Sequence[int]) -> Callable[[jax.Array], jax.Array]:
    """Keras's CosineDecayRestarts as optax's sgdr_schedule: m_mul scales the cosine part, not the floor."""
    kwargs = []
    for c, length in enumerate(lengths):
        peak = lr * ((1 - alpha) * m_mul**c + alpha)
        kwargs.append(
            dict(init_value=peak, peak_value=peak, warmup_steps=0, decay_steps=length, end_value=lr * alpha)
        )
    return optax.sgdr_schedule(kwargs)


def make_workloads(k: int, n: int, rng: np.random.Generator) -> list[Workload]:
    """The all-leaves-vary workloads: K random configs per family, decay lengths drawn relative to N."""
    ws: list[Workload] = []
    lr = _f32(_log_uniform(rng, 1e-4, 1.0, k))

    # cosine
    p = {
        "lr": lr,
        "decay_steps": rng.integers(max(1, n // 4), n + 1, k),
        "alpha": _f32(rng.uniform(0, 0.5, k)),
    }
    ws.append(
        Workload(
            "CosineDecay",
            "cosine",
            lrjit.CosineDecay(p["lr"], p["decay_steps"], p["alpha"]),
            p,
            ("lr", "alpha"),
            ("decay_steps",),
            lambda q: optax.cosine_decay_schedule(q["lr"], q["decay_steps"], q["alpha"]),
            numpy_curves=bench_curves.np_cosine,
        )
    )

    # cosine with warmup (Keras: linear from initial_learning_rate to warmup_target, then the cosine)
    p = {
        "start": _f32(rng.uniform(0, 0.1, k)) * lr,
        "peak": lr,
        "warmup": rng.integers(1, max(2, n // 10), k),
        "decay_steps": rng.integers(max(1, n // 4), n + 1, k),
        "alpha": _f32(rng.uniform(0, 0.5, k)),
    }
    ws.append(
        Workload(
            "CosineDecay + warmup",
            "cosine",
            lrjit.CosineDecay(
                p["start"], p["decay_steps"], p["alpha"], warmup_target=p["peak"], warmup_steps=p["warmup"]
            ),
            p,
            ("start", "alpha"),
            ("peak", "warmup", "decay_steps"),
            lambda q: optax.warmup_cosine_decay_schedule(
                q["start"], q["peak"], q["warmup"], q["warmup"] + q["decay_steps"], q["peak"] * q["alpha"]
            ),
            tolerance=5e-6,
        )
    )

    # exponential staircase
    p = {
        "lr": lr,
        "decay_steps": rng.integers(max(1, n // 100), max(2, n // 5) + 1, k),
        "decay_rate": _f32(rng.uniform(0.05, 0.99, k)),
    }
    ws.append(
        Workload(
            "ExponentialDecay staircase",
            "staircase",
            lrjit.ExponentialDecay(p["lr"], p["decay_steps"], p["decay_rate"], staircase=np.ones(k, bool)),
            p,
            ("lr",),
            ("decay_steps", "decay_rate"),
            lambda q: optax.exponential_decay(q["lr"], q["decay_steps"], q["decay_rate"], staircase=True),
            optax_same=False,
            optax_note=STAIR_NOTE,
            numpy_curves=bench_curves.np_exponential_staircase,
            tolerance=5e-6,
        )
    )

    # restarts, t_mul = 2 and t_mul in {1.5, 2, 3}
    for label, t_muls, target in (
        ("CosineDecayRestarts t_mul=2", np.full(k, 2.0, F32), "restarts t_mul 1/2"),
        (
            "CosineDecayRestarts t_mul in {1.5,2,3}",
            rng.choice(np.array([1.5, 2.0, 3.0], F32), k),
            "restarts any t_mul",
        ),
    ):
        p = {
            "lr": lr,
            "first_decay_steps": np.maximum(1, np.round(_log_uniform(rng, n / 1000, n / 10, k))).astype(
                np.int64
            ),
            "t_mul": t_muls.astype(np.float64),
            "m_mul": _f32(rng.uniform(0.3, 1.0, k)),
            "alpha": _f32(rng.uniform(0.0, 0.5, k)),
        }
        p["cycles"] = np.array(
            [_cycles(int(f), float(t), n) for f, t in zip(p["first_decay_steps"], t_muls, strict=True)],
            object,
        )
        integral = bool(np.all(t_muls == np.round(t_muls)))
        ws.append(
            Workload(
                label,
                target,
                lrjit.CosineDecayRestarts(p["lr"], p["first_decay_steps"], t_muls, p["m_mul"], p["alpha"]),
                p,
                (),
                ("lr", "m_mul", "alpha", "cycles"),
                lambda q: _sgdr(q["lr"], q["alpha"], q["m_mul"], q["cycles"]),
                optax_same=integral,
                optax_note=""
                if integral
                else "sgdr with rounded cycle lengths (t_mul=1.5 starts are not integers)",
                numpy_curves=bench_curves.np_restarts,
                tolerance=5e-6,
            )
        )

    # Warmup-stable-decay (Hugging Face; linear warmup, cosine decay): no optax schedule
    p = {
        "lr": lr,
        "warmup": rng.integers(1, max(2, n // 10), k),
        "stable": rng.integers(1, max(2, n // 2), k),
        "decay": rng.integers(1, max(2, n // 2), k),
        "min_ratio": _f32(rng.uniform(0, 0.2, k)),
    }
    ws.append(
        Workload(
            "WarmupStableDecay",
            "other",
            lrjit.WarmupStableDecay(
                p["lr"], p["warmup"], p["stable"], p["decay"], min_lr_ratio=p["min_ratio"]
            ),
            p,
        )
    )

    # OneCycleLR (torch) against optax's cosine_onecycle_schedule (closest: torch's phase ends differ)
    p = {
        "lr": lr,
        "total": rng.integers(max(2, n // 2), n + 1, k),
        "pct": _f32(rng.uniform(0.1, 0.5, k)),
        "div": _f32(rng.uniform(10, 30, k)),
        "final_div": _f32(rng.uniform(1e3, 1e4, k)),
    }
    ws.append(
        Workload(
            "OneCycleLR",
            "other",
            lrjit.OneCycleLR(
                p["lr"], p["total"], p["pct"], div_factor=p["div"], final_div_factor=p["final_div"]
            ),
            p,
            ("lr",),
            ("total", "pct", "div", "final_div"),
            # optax's interpolation takes one scalar count: mapped over the steps
            lambda q: jax.vmap(
                optax.cosine_onecycle_schedule(q["total"], q["lr"], q["pct"], q["div"], q["final_div"])
            ),
            optax_same=False,
            optax_note="cosine_onecycle_schedule: torch's phases end one step earlier",
        )
    )

    # MultiStepLR: 5 distinct milestones per config
    p = {"lr": lr, "milestones": _sorted_distinct(rng, k, 5, 1, n), "gamma": _f32(rng.uniform(0.1, 0.9, k))}
    ws.append(
        Workload(
            "MultiStepLR (5 milestones)",
            "staircase",
            lrjit.MultiStepLR(p["lr"], p["milestones"], p["gamma"]),
            p,
            ("lr",),
            ("milestones", "gamma"),
            lambda q: optax.piecewise_constant_schedule(
                q["lr"], {int(m): q["gamma"] for m in q["milestones"]}
            ),
            tolerance=5e-6,
        )
    )

    # PiecewiseConstantDecay with 100 boundaries (Keras keeps values[i] at boundary i; optax scales after it)
    p = {
        "boundaries": _sorted_distinct(rng, k, 100, 1, n),
        "values": _f32(_log_uniform(rng, 1e-4, 1.0, (k, 101))),
    }
    ws.append(
        Workload(
            "PiecewiseConstantDecay (100 boundaries)",
            "other",
            lrjit.PiecewiseConstantDecay(p["boundaries"], p["values"]),
            p,
            (),
            ("values", "boundaries"),
            lambda q: optax.piecewise_constant_schedule(
                q["values"][0],
                {
                    int(b) + 1: float(q["values"][i + 1] / q["values"][i])
                    for i, b in enumerate(q["boundaries"])
                },
            ),
            optax_note="optax multiplies 100 float32 ratios: about 1e-5 relative drift",
            tolerance=1e-4,
        )
    )

    # warmup + restarts composition
    p = {
        "lr": lr,
        "first_decay_steps": np.maximum(1, np.round(_log_uniform(rng, n / 1000, n / 10, k))).astype(np.int64),
        "m_mul": _f32(rng.uniform(0.3, 1.0, k)),
        "alpha": _f32(rng.uniform(0.0, 0.5, k)),
        "warmup": rng.integers(1, max(2, n // 10), k),
        "start": _f32(rng.uniform(0, 0.1, k)) * lr,
    }
    p["cycles"] = np.array([_cycles(int(f), 2.0, n) for f in p["first_decay_steps"]], object)
    ws.append(
        Workload(
            "warmup(CosineDecayRestarts t_mul=2)",
            "restarts t_mul 1/2",
            lrjit.warmup(
                lrjit.CosineDecayRestarts(
                    p["lr"], p["first_decay_steps"], np.full(k, 2.0, F32), p["m_mul"], p["alpha"]
                ),
                p["warmup"],
                start=p["start"],
            ),
            p,
            ("start",),
            ("lr", "m_mul", "alpha", "cycles", "warmup"),
            lambda q: optax.join_schedules(
                [
                    optax.linear_schedule(q["start"], q["lr"], q["warmup"]),
                    _sgdr(q["lr"], q["alpha"], q["m_mul"], q["cycles"]),
                ],
                [q["warmup"]],
            ),
            tolerance=5e-6,
        )
    )

    # PolynomialDecay (no cycle)
    p = {
        "lr": lr,
        "decay_steps": rng.integers(max(1, n // 4), n + 1, k),
        "end": _f32(rng.uniform(0, 0.1, k)) * lr,
        "power": _f32(rng.uniform(0.5, 3.0, k)),
    }
    ws.append(
        Workload(
            "PolynomialDecay",
            "other",
            lrjit.PolynomialDecay(p["lr"], p["decay_steps"], p["end"], p["power"]),
            p,
            ("lr", "end", "power"),
            ("decay_steps",),
            lambda q: optax.polynomial_schedule(q["lr"], q["end"], q["power"], q["decay_steps"]),
            optax_same=False,
            optax_note="polynomial_schedule: 1 - step * (1 / decay_steps) < 0 from step decay_steps on, "
            "and a non-integer power of it is NaN",
            tolerance=1e-5,
        )
    )

    # InverseSqrt (Hugging Face): no optax schedule
    p = {
        "lr": lr,
        "warmup": rng.integers(1, max(2, n // 10), k),
        "timescale": rng.integers(1, max(2, n // 10), k),
    }
    ws.append(Workload("InverseSqrt", "other", lrjit.InverseSqrt(p["lr"], p["warmup"], p["timescale"]), p))

    # CosineAnnealingWarmRestarts (torch SGDR), T_mult in {1, 2}
    p = {
        "lr": lr,
        # at most 50 cycles of T_mult=1 within N: optax's sgdr unrolls one cosine per cycle
        "T_0": np.maximum(1, np.round(_log_uniform(rng, n / 50, n / 5, k))).astype(np.int64),
        "T_mult": rng.choice(np.array([1.0, 2.0]), k),
        "eta_min": _f32(rng.uniform(0, 0.1, k)) * lr,
    }
    p["cycles"] = np.array(
        [_cycles(int(t), float(m), n) for t, m in zip(p["T_0"], p["T_mult"], strict=True)], object
    )
    ws.append(
        Workload(
            "CosineAnnealingWarmRestarts T_mult in {1,2}",
            "restarts t_mul 1/2",
            lrjit.CosineAnnealingWarmRestarts(p["lr"], p["T_0"], _f32(p["T_mult"]), p["eta_min"]),
            p,
            (),
            ("lr", "eta_min", "cycles"),
            lambda q: optax.sgdr_schedule(
                [
                    dict(
                        init_value=q["lr"],
                        peak_value=q["lr"],
                        warmup_steps=0,
                        decay_steps=c,
                        end_value=q["eta_min"],
                    )
                    for c in q["cycles"]
                ]
            ),
            tolerance=5e-6,
        )
    )

    # StepLR: the same curve as optax's staircase exponential_decay
    p = {
        "lr": lr,
        "step_size": rng.integers(max(1, n // 100), max(2, n // 5) + 1, k),
        "gamma": _f32(rng.uniform(0.1, 0.99, k)),
    }
    ws.append(
        Workload(
            "StepLR",
            "staircase",
            lrjit.StepLR(p["lr"], p["step_size"], p["gamma"]),
            p,
            ("lr",),
            ("step_size", "gamma"),
            lambda q: optax.exponential_decay(q["lr"], q["step_size"], q["gamma"], staircase=True),
            optax_same=False,
            optax_note=STAIR_NOTE,
            tolerance=5e-6,
        )
    )
    if optax is None:
        for w in ws:
            w.optax_make = None
    return ws


def optax_program(w: Workload, k_opt: int, n: int) -> Callable[[], jax.Array]:
    """One jitted program evaluating optax's schedule of the first ``k_opt`` configs on steps 0..N-1.

    Float hyperparameters are program inputs (traced); optax checks its step counts (``decay_steps``,
    ``transition_steps``, cycle lengths, boundaries) as Python values, so those are per-config constants:
    the configs are unrolled, one closure each, not vmapped.
    """
    floats = {name: jnp.asarray(w.params[name][:k_opt], jnp.float32) for name in w.floats}
    ints = [{name: w.params[name][i] for name in w.ints} for i in range(k_opt)]
    for d in ints:
        for name, v in d.items():
            if not isinstance(v, list | np.ndarray):
                d[name] = float(v) if np.issubdtype(np.asarray(v).dtype, np.floating) else int(v)
    steps = jnp.arange(n, dtype=jnp.int32)
    make = w.optax_make

    @jax.jit
    def run(steps: jax.Array, floats: dict[str, jax.Array]) -> jax.Array:
        rows = [make({**ints[i], **{name: f[i] for name, f in floats.items()}})(steps) for i in range(k_opt)]
        return jnp.stack(rows).astype(jnp.float32)

    return lambda: run(steps, floats)


def _selected(name: str, only: str | None) -> bool:
    return only is None or any(part.strip().lower() in name.lower() for part in only.split(","))


def _memory(batch: lrjit.Schedule, n: int) -> dict[str, float]:
    """The memory of ``lrjit.curves(batch, n)``'s program beyond its inputs (XLA's memory analysis): the
    temporary buffers (about 0 for one fused kernel) and the [K, N] output, in MiB."""
    memory = jax.jit(lambda b: lrjit.curves(b, n)).lower(batch).compile().memory_analysis()
    return {"temp_mib": memory.temp_size_in_bytes / 2**20, "out_mib": memory.output_size_in_bytes / 2**20}


def run_curves(k: int, n: int, args: argparse.Namespace, rng: np.random.Generator) -> list[dict[str, Any]]:
    """Section 1 at one shape: every workload, both floors, optax and numpy, in interleaved rounds."""
    floors = bench_curves.make_floors(k, n, rng)
    workloads = [w for w in make_workloads(k, n, rng) if _selected(w.name, args.only)]
    steps_np = np.arange(n, dtype=np.int64)
    contenders: dict[str, Callable[[], Any]] = {f"floor:{name}": fn for name, fn in floors.items()}
    rows = []
    for w in workloads:
        row: dict[str, Any] = {
            "workload": w.name,
            "target": w.target,
            "K": k,
            "N": n,
            "optax_note": w.optax_note,
        }
        fn = lambda b=w.batch: lrjit.curves(b, n)  # noqa: E731
        t0 = time.perf_counter()
        out = np.asarray(fn())
        row["first_call_s"] = time.perf_counter() - t0
        row.update(_memory(w.batch, n))
        check = min(k, args.check_rows)
        if w.numpy_curves is not None:
            k_np = max(1, min(k, bench_curves.NUMPY_MAX_ELEMENTS // n))
            rows_np = {name: v[:k_np] for name, v in w.params.items() if name != "cycles"}
            row["numpy_K"] = k_np
            ref = w.numpy_curves(rows_np, steps_np)
            row["numpy_err"] = bench_curves.max_rel_err(out[:check], ref[:check])
            assert row["numpy_err"] <= w.tolerance, f"{w.name}: lrjit vs numpy {row['numpy_err']:.2e}"
            contenders[f"numpy:{w.name}"] = lambda f=w.numpy_curves, r=rows_np: f(r, steps_np)
        if w.optax_make is not None:
            k_opt = max(1, min(k, args.optax_k))
            call = optax_program(w, k_opt, n)
            t0 = time.perf_counter()
            opt = np.asarray(call())
            row["optax_first_call_s"] = time.perf_counter() - t0
            row["optax_K"] = k_opt
            finite = np.isfinite(opt[:check])
            row["optax_nonfinite"] = int((~finite).sum())
            row["optax_err"] = bench_curves.max_rel_err(
                out[: min(check, k_opt)], np.where(finite, opt[:check], out[: min(check, k_opt)])
            )
            if w.optax_same:
                assert row["optax_err"] <= w.tolerance, f"{w.name}: lrjit vs optax {row['optax_err']:.2e}"
            contenders[f"optax:{w.name}"] = call
            if k_opt < k:  # lrjit on optax's configs: the same output size, so the same memory traffic
                same = lrjit.core.take(w.batch, slice(0, k_opt))
                contenders[f"lrjit_as_optax:{w.name}"] = lambda b=same: lrjit.curves(b, n)
        del out
        contenders[f"lrjit:{w.name}"] = fn
        rows.append(row)

    times = _interleaved(contenders, args.repeats)
    elements = k * n
    cos = _ns_per_element(times["floor:cos"], elements)
    write = _ns_per_element(times["floor:write"], elements)
    for row in rows:
        ns = _ns_per_element(times[f"lrjit:{row['workload']}"], elements)
        row.update(
            ns=statistics.median(ns),
            cos_ns=statistics.median(cos),
            write_ns=statistics.median(write),
            x_cos=_per_round_ratio(ns, cos),
            x_write=_per_round_ratio(ns, write),
        )
        for peer, count in (("optax", "optax_K"), ("numpy", "numpy_K")):
            key = f"{peer}:{row['workload']}"
            if key in times:
                peer_ns = _ns_per_element(times[key], row[count] * n)
                row[f"{peer}_ns"] = statistics.median(peer_ns)
                row[f"x_{peer}"] = _per_round_ratio(ns, peer_ns)
        same = f"lrjit_as_optax:{row['workload']}"
        if same in times:  # against optax, lrjit on optax's configs (the same K x N output)
            same_ns = _ns_per_element(times[same], row["optax_K"] * n)
            row["same_k_ns"] = statistics.median(same_ns)
            row["x_optax"] = _per_round_ratio(
                same_ns, _ns_per_element(times[f"optax:{row['workload']}"], row["optax_K"] * n)
            )
    return rows


# ------------------------------------------------------------------------------------------ peak-only sweeps
def run_peak_only(k: int, n: int, args: argparse.Namespace, rng: np.random.Generator) -> list[dict[str, Any]]:
    """Section 2 at one shape: only the peak varies; lrjit's batched constructor vs optax vmapped over it."""
    peaks = _f32(_log_uniform(rng, 1e-4, 1.0, k))
    decay, alpha = max(1, int(0.8 * n)), float(F32(0.1))
    first, m_mul = max(1, n // 1000), float(F32(0.8))
    cycles = _cycles(first, 2.0, n)
    steps = jnp.arange(n, dtype=jnp.int32)
    jpeaks = jnp.asarray(peaks)
    unit = _sgdr(1.0, alpha, m_mul, cycles) if optax else None
    cases = {
        "cosine": (
            lrjit.CosineDecay(peaks, decay, alpha=alpha),
            lambda v: optax.cosine_decay_schedule(v, decay, alpha) if optax else None,
        ),
        "restarts t_mul=2": (
            lrjit.CosineDecayRestarts(peaks, first, t_mul=2.0, m_mul=m_mul, alpha=alpha),
            # sgdr_schedule checks its peaks in Python: the peak scales a unit-peak schedule
            lambda v: lambda t: v * unit(t),
        ),
    }
    floors = bench_curves.make_floors(k, n, rng)
    contenders: dict[str, Callable[[], Any]] = {f"floor:{name}": fn for name, fn in floors.items()}
    rows = []
    for name, (batch, make) in cases.items():
        row: dict[str, Any] = {"workload": f"peak-only {name}", "target": "peak-only", "K": k, "N": n}
        fn = lambda b=batch: lrjit.curves(b, n)  # noqa: E731
        out = np.asarray(fn())
        row.update(_memory(batch, n))
        contenders[f"lrjit:{name}"] = fn
        if optax is not None:
            vm = jax.jit(lambda s, pk, make=make: jax.vmap(lambda v: make(v)(s))(pk))
            opt = np.asarray(vm(steps, jpeaks))
            check = min(k, args.check_rows)
            row["optax_err"] = bench_curves.max_rel_err(out[:check], opt[:check])
            assert row["optax_err"] <= 5e-6, f"peak-only {name}: lrjit vs optax {row['optax_err']:.2e}"
            contenders[f"optax:{name}"] = lambda vm=vm: vm(steps, jpeaks)
        del out
        rows.append(row)
    times = _interleaved(contenders, args.repeats)
    cos = _ns_per_element(times["floor:cos"], k * n)
    write = _ns_per_element(times["floor:write"], k * n)
    for row, name in zip(rows, cases, strict=True):
        ns = _ns_per_element(times[f"lrjit:{name}"], k * n)
        row.update(
            ns=statistics.median(ns),
            cos_ns=statistics.median(cos),
            write_ns=statistics.median(write),
            x_cos=_per_round_ratio(ns, cos),
            x_write=_per_round_ratio(ns, write),
        )
        if f"optax:{name}" in times:
            opt_ns = _ns_per_element(times[f"optax:{name}"], k * n)
            row.update(optax_ns=statistics.median(opt_ns), x_optax=_per_round_ratio(ns, opt_ns), optax_K=k)
    return rows


# ------------------------------------------------------------------------------------------ eager calls
def _loop_us(call: Callable[[int], Any], calls: int) -> float:
    """Microseconds per call of ``call(i)`` for i in range(calls), blocking once at the end."""
    t0 = time.perf_counter()
    out = [call(i) for i in range(calls)]
    jax.block_until_ready(out)
    return (time.perf_counter() - t0) / calls * 1e6


def run_eager(args: argparse.Namespace) -> dict[str, Any]:
    """Section 3: per family, scalar-call loops through lrjit's concrete calls and through a user's jit."""
    families = examples()
    if args.quick:
        families = dict(list(families.items())[:6])
    jitted = jax.jit(lambda s, t: s(t))
    contenders: dict[str, Callable[[], float]] = {}
    for name, sched in families.items():
        contenders[f"eager:{name}"] = lambda s=sched: _loop_us(lambda i: s(i), args.eager_calls)
        contenders[f"jit:{name}"] = lambda s=sched: _loop_us(
            lambda i: jitted(s, np.int32(i)), args.eager_calls
        )
    if optax is not None:
        peers = {
            "cosine": optax.cosine_decay_schedule(0.1, 9000, 0.05),
            "exponential": optax.exponential_decay(0.1, 1000, 0.7, staircase=True),
            "piecewise": optax.piecewise_constant_schedule(0.1, {3001: 0.3, 6001: 1 / 3, 8001: 0.3}),
        }
        for name, sched in peers.items():
            contenders[f"optax:{name}"] = lambda s=sched: _loop_us(lambda i: s(i), args.eager_calls)
    for fn in contenders.values():  # first calls compile; then a warm-up loop
        fn()
    rounds: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(args.repeats):
        for name, fn in contenders.items():
            rounds[name].append(fn())
    per = {name: statistics.median(v) for name, v in rounds.items()}
    table = [[name, per[f"eager:{name}"], per[f"jit:{name}"]] for name in families]
    return {"families": table, "optax": {k[6:]: v for k, v in per.items() if k.startswith("optax:")}}


# ------------------------------------------------------------------------------------------ compile
def run_compile(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Section 4: first call of a new structure (trace + lower + compile + one run), fresh functions each
    round (``bench_pieces.compile_and_time``), interleaved over rounds; median per entry."""
    n = 10**4 if args.quick else 10**5
    steps = jnp.arange(n, dtype=jnp.int32)
    b = n // 2
    entries: dict[str, tuple[Callable[[], Callable[..., Any]], tuple[Any, ...]]] = {
        "lrjit PiecewiseConstantDecay 1 boundary": (
            lambda: lambda s, t: s(t),
            (lrjit.PiecewiseConstantDecay([b], [0.1, 0.01]), steps),
        ),
        "optax piecewise_constant_schedule 1 boundary": (
            lambda: optax.piecewise_constant_schedule(0.1, {b + 1: 0.1}),
            (steps,),
        ),
        "lrjit CosineDecay": (lambda: lambda s, t: s(t), (lrjit.CosineDecay(0.1, n, alpha=0.1), steps)),
        "optax cosine_decay_schedule": (lambda: optax.cosine_decay_schedule(0.1, n, 0.1), (steps,)),
    }
    if optax is None:
        entries = {k: v for k, v in entries.items() if not k.startswith("optax")}
    pieces = (1, 2, 1000)
    for workload in ("PiecewiseConstantDecay", "MultiStepLR", bench_pieces.SEQUENCE):
        for count in pieces:
            if count == 2 and workload != bench_pieces.SEQUENCE:
                continue
            sched = bench_pieces.make_lrjit(workload, count, n)
            entries[f"lrjit {workload} {count}"] = (lambda: lambda s, t: s(t), (sched, steps))
    for make_fn, fn_args in entries.values():  # per-process caches (jnp helpers' traces) are paid once
        jax.block_until_ready(bench_pieces.compile_and_time(make_fn, fn_args)["compiled"](*fn_args))
    rounds: dict[str, list[float]] = {name: [] for name in entries}
    for _ in range(args.compile_repeats):
        for name, (make_fn, fn_args) in entries.items():
            t0 = time.perf_counter()
            compiled = bench_pieces.compile_and_time(make_fn, fn_args)["compiled"]
            jax.block_until_ready(compiled(*fn_args))
            rounds[name].append(time.perf_counter() - t0)
    med = {name: statistics.median(v) for name, v in rounds.items()}
    rows = []

    def pair(label: str, a: str, base: str, target: float) -> None:
        if a in rounds and base in rounds:
            ratio = _per_round_ratio(rounds[a], rounds[base])
            rows.append({"what": label, "a_s": med[a], "base_s": med[base], "ratio": ratio, "target": target})

    pair(
        "first call PiecewiseConstantDecay(1) / optax",
        "lrjit PiecewiseConstantDecay 1 boundary",
        "optax piecewise_constant_schedule 1 boundary",
        FIRST_CALL_TARGET,
    )
    pair(
        "first call CosineDecay / optax",
        "lrjit CosineDecay",
        "optax cosine_decay_schedule",
        FIRST_CALL_TARGET,
    )
    for workload in ("PiecewiseConstantDecay", "MultiStepLR", bench_pieces.SEQUENCE):
        pair(f"{workload}: 1000 pieces / 1", f"lrjit {workload} 1000", f"lrjit {workload} 1", PIECES_TARGET)
    pair(
        f"{bench_pieces.SEQUENCE}: 1000 pieces / 2",
        f"lrjit {bench_pieces.SEQUENCE} 1000",
        f"lrjit {bench_pieces.SEQUENCE} 2",
        PIECES_TARGET,
    )
    for row in rows:
        row["N"] = n
    return rows


# ------------------------------------------------------------------------------------------ output
def _x(v: float | None, spec: str = ".2f") -> str:
    return "-" if v is None else f"{v:{spec}}x"


def _n(v: float | None, spec: str = ".3f") -> str:
    return "-" if v is None else format(v, spec)


def header(args: argparse.Namespace, env: dict[str, Any]) -> None:
    print(
        f"machine: {platform.platform()}, {platform.processor() or platform.machine()}, "
        f"cpu_count {os.cpu_count()}, "
        f"backend {jax.default_backend()} {jax.devices()}"
    )
    bench_curves.print_environment(env)
    mode = "quick" if args.quick else args.device
    print(
        f"mode {mode}: shapes {list(SHAPES[mode])}, rounds {args.repeats} (median, after one warm-up call), "
        f"optax configs per workload {args.optax_k}, rows checked for agreement {args.check_rows}"
    )


def print_curves(rows: list[dict[str, Any]], title: str) -> None:
    table = []
    for r in rows:
        table.append(
            [
                r["workload"],
                str(r["K"]),
                str(r["N"]),
                _n(r["ns"]),
                _x(r["x_cos"]),
                _x(r["x_write"]),
                _n(r.get("optax_ns")) + (f" (K={r['optax_K']})" if "optax_K" in r else ""),
                _n(r.get("same_k_ns", r["ns"] if "optax_ns" in r else None)),
                _x(r.get("x_optax"), ".3f"),
                _n(r.get("numpy_ns")) + (f" (K={r['numpy_K']})" if "numpy_K" in r else ""),
                _x(r.get("x_numpy"), ".3f"),
                _n(r.get("optax_err"), ".1e")
                + (f" ({r['optax_nonfinite']} NaN)" if r.get("optax_nonfinite") else "")
                + ("" if r.get("optax_note", "") == "" else " *"),
                _n(r.get("numpy_err"), ".1e"),
                f"{r['temp_mib']:.3f} / {r['out_mib']:.1f}",
            ]
        )
    cos = {(r["K"], r["N"]): (r["cos_ns"], r["write_ns"]) for r in rows}
    print_table(
        title,
        [
            "workload",
            "K",
            "N",
            "ns/elem",
            "x cos",
            "x write",
            "optax ns/elem",
            "lrjit at optax's K",
            "lrjit/optax",
            "numpy64 ns/elem",
            "lrjit/numpy",
            "vs optax",
            "vs numpy",
            "temp / out MiB",
        ],
        table,
    )
    for (k, n), (c, w) in cos.items():
        print(f"  floors at K={k} N={n}: cos {c:.3f} ns/elem, write {w:.3f} ns/elem (cos/write {c / w:.2f})")
    for note in dict.fromkeys(r["optax_note"] for r in rows if r.get("optax_note")):
        print(
            f"  * optax's curve is not lrjit's (agreement not asserted; 'vs optax' over its finite "
            f"values): {note}"
        )


def targets(
    curves: list[dict[str, Any]], eager: dict[str, Any], comp: list[dict[str, Any]]
) -> list[list[str]]:
    out = []
    for r in curves:
        limit = TARGETS[r["target"]]
        value = r["x_write"] if r["target"] == "peak-only" else r["x_cos"]
        floor = "write" if r["target"] == "peak-only" else "cos"
        ok = value <= limit
        vs_optax = r.get("x_optax")
        optax_ok = vs_optax is None or vs_optax <= 1.0
        out.append(
            [
                f"{r['workload']} K={r['K']} N={r['N']}",
                f"<= {limit}x {floor}",
                _x(value),
                "met" if ok else "NOT met",
                _x(vs_optax, ".3f"),
                "-" if vs_optax is None else ("met" if optax_ok else "NOT met"),
            ]
        )
    if eager:
        us = [row[1] for row in eager["families"]]
        worst = max(eager["families"], key=lambda row: row[1])
        out.append(
            [
                "eager scalar call (median / max over families)",
                f"<= {EAGER_TARGET_US:g} us",
                f"{statistics.median(us):.1f} / {max(us):.1f} us ({worst[0]})",
                "met" if max(us) <= EAGER_TARGET_US else "NOT met",
                "-",
                "-",
            ]
        )
    for r in comp:
        out.append(
            [
                r["what"],
                f"<= {r['target']}x",
                _x(r["ratio"]),
                "met" if r["ratio"] <= r["target"] else "NOT met",
                "-",
                "-",
            ]
        )
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="tiny shapes, seconds; asserts nothing about speed"
    )
    parser.add_argument("--device", choices=("cpu", "gpu"), default="cpu", help="the shapes (default cpu)")
    parser.add_argument("--repeats", type=int, help="timed rounds (default 7, quick 3)")
    parser.add_argument("--optax-k", type=int, help="configs evaluated through optax (default 16, quick 2)")
    parser.add_argument("--check-rows", type=int, default=4, help="rows compared before timing (default 4)")
    parser.add_argument("--eager-calls", type=int, help="scalar calls per timed loop (default 200, quick 20)")
    parser.add_argument("--compile-repeats", type=int, help="compile rounds (default 5, quick 2)")
    parser.add_argument("--sections", default="curves,peak,eager,compile", help="comma-separated subset")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", help="section 1: only workloads whose name contains one of these (a,b,..)")
    args = parser.parse_args(argv)
    args.repeats = args.repeats or (3 if args.quick else 7)
    args.optax_k = args.optax_k or (2 if args.quick else 16)
    args.eager_calls = args.eager_calls or (20 if args.quick else 200)
    args.compile_repeats = args.compile_repeats or (2 if args.quick else 5)
    sections = set(args.sections.split(","))
    shapes = SHAPES["quick" if args.quick else args.device]

    env = bench_curves.environment()
    header(args, env)
    jax.block_until_ready(lrjit.curves(lrjit.CosineDecay(0.1, 10), 8))  # backend start-up belongs to no row
    rng = np.random.default_rng(args.seed)
    t_start = time.perf_counter()
    curves: list[dict[str, Any]] = []
    peak: list[dict[str, Any]] = []
    for k, n in shapes:
        t0 = time.perf_counter()
        if "curves" in sections:
            curves.extend(run_curves(k, n, args, rng))
        if "peak" in sections:
            peak.extend(run_peak_only(k, n, args, rng))
        print(f"  measured K={k} N={n} in {time.perf_counter() - t0:.1f} s", flush=True)
    eager = run_eager(args) if "eager" in sections else {}
    comp = run_compile(args) if "compile" in sections else []

    if curves:
        print_curves(
            curves,
            "1. curve matrices, every leaf varying across K configs (ns/elem: median of rounds; "
            "ratios: median of per-round ratios; lrjit/optax: both on optax's K configs; vs optax/numpy: "
            "max |diff| / row max on checked rows)",
        )
    if peak:
        print_curves(peak, "2. peak-only sweeps: batched constructor vs optax vmapped over the peak")
    if eager:
        fam = eager["families"]
        print_table(
            f"3. eager call cost: us per scalar call, loop of {args.eager_calls} calls blocked at the end, "
            "median of rounds",
            ["family", "sched(i)", "jit(lambda s, t: s(t))(sched, i)"],
            [[name, f"{a:.1f}", f"{b:.1f}"] for name, a, b in fam],
        )
        e, j = [r[1] for r in fam], [r[2] for r in fam]
        print(
            f"  sched(i): median {statistics.median(e):.1f} us, max {max(e):.1f} us over {len(fam)} families"
        )
        print(f"  jit(...)(sched, i): median {statistics.median(j):.1f} us, max {max(j):.1f} us")
        for name, us in eager["optax"].items():
            print(f"  optax eager {name}: {us:.1f} us per call")
    if comp:
        print_table(
            "4. compile: first call of a new structure (trace + lower + XLA compile + one run on "
            f"N={comp[0]['N']} steps), median of rounds; ratio: median of per-round ratios",
            ["comparison", "first call s", "base s", "ratio"],
            [[r["what"], f"{r['a_s']:.3f}", f"{r['base_s']:.3f}", _x(r["ratio"])] for r in comp],
        )
    print_table(
        "5. targets",
        ["workload", "target", "measured", "", "lrjit/optax", "not slower than optax"],
        targets(curves + peak, eager, comp),
    )
    if hasattr(os, "getloadavg"):
        print(f"\nload average: start {env.get('loadavg_start')}, end {os.getloadavg()}")
    print(f"total {time.perf_counter() - t_start:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
