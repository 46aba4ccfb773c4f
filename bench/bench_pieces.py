"""Compile and evaluation time against the number of pieces: lrjit (pieces are leaf arrays or closed forms)
against optax (one ``jnp.where`` per piece).

Run from the repository root::

    python bench/bench_pieces.py            # n in {1, 10, 100, 1000} pieces on N = 10**5 steps
    python bench/bench_pieces.py --quick    # N = 10**4, optax capped at 100 pieces: a CI smoke run
    python bench/bench_pieces.py --json out.json

Four workloads, each with n pieces spread evenly over steps ``0..N-1``:

* ``PiecewiseConstantDecay``: n boundaries, n + 1 values; optax ``piecewise_constant_schedule`` with the
  same values as scale ratios (optax multiplies, Keras picks a value; the boundary moves one step later);
* ``CosineDecayRestarts``: ``t_mul=1``, n cosine cycles of N / n steps; optax ``sgdr_schedule`` with n
  ``warmup_cosine_decay_schedule`` pieces (``warmup_steps=0``);
* ``MultiStepLR``: n milestones, ``gamma``; optax ``piecewise_constant_schedule`` with ``{milestone: gamma}``;
* sequence of cosines: ``lrjit.sequence`` of n ``CosineDecay(0.99**i, L, alpha=0.1)`` with ``L = N // n``
  and n - 1 boundaries ``L, 2L, ...`` (a ``StackedSequence`` for every n); optax ``join_schedules`` of
  n ``cosine_decay_schedule(0.99**i, L, alpha=0.1)``.

For each workload and n, in one process:

* compile time: ``jax.jit(f).lower(*args)`` (tracing and lowering to StableHLO) plus ``.compile()`` (XLA),
  with a fresh Python function (and a fresh optax closure) every time so that no trace, lowering or
  executable cache is hit; the persistent compilation cache is switched off. One discarded compile of the
  1-piece function per library first (it primes per-process caches, such as the traces of jnp's own
  jitted helpers, which a user pays once per process, not per structure); then ``--compile-repeats``
  rounds, round-robin over every (library, n) of the workload (an entry slower than 5 s, 0.75 s with
  ``--quick``, is compiled in the first round only); median reported;
* evaluation time: the compiled executable called on a device ``arange(N)`` (int32), ending in
  ``block_until_ready``; one warm-up call, then ``--repeats`` rounds, each calling every (library, n) once
  in a new random order; median reported;
* agreement: both curves against each other and against a numpy float64 reference, before any timing.

A last table: ``PiecewiseConstantDecay`` with 10**3 ... 10**6 boundaries (10**3, 10**4 with ``--quick``) over
N steps: the compiled program's temporary memory (XLA's memory analysis) and its evaluation time; beyond
1024 boundaries the search is a binary search in O(N + boundaries) memory.

Ratios ``x(n=1)`` are to the 1-piece entry of the same library: for compile times the ratio of the medians,
for evaluation times the median over rounds of the ratio within a round (both entries under the same
background load). Nothing here asserts on a time: the script prints and exits 0. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
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

from bench_curves import environment, print_environment, print_table

import lrjit

try:  # a peer: skipped cleanly when absent
    import optax
except ImportError:  # pragma: no cover - depends on the environment
    optax = None

# Timings must be of real compilations: no persistent (on-disk) executable cache.
jax.config.update("jax_enable_compilation_cache", False)

FULL_PIECES = (1, 10, 100, 1000)
FULL_N = 10**5
QUICK_N = 10**4
QUICK_OPTAX_MAX = 100  # optax at 1000 pieces compiles for seconds to tens of seconds
OPTAX_BUDGET_S = 60.0  # full mode: skip an optax n whose estimated compile time exceeds this
SLOW_COMPILE_S = 5.0  # a compile slower than this is measured once, not --compile-repeats times
QUICK_SLOW_COMPILE_S = 0.75  # --quick: optax's 100-piece cosines (about 1 s each) are compiled once
AGREE_ABS = 1e-4  # |lrjit - optax| above this on a curve of values <= 1 is printed as a disagreement
GAMMA = float(np.float32(0.99))
ALPHA = float(np.float32(0.1))  # the sequence of cosines' floor, float32-representable
SEQUENCE = "sequence of cosines"
WORKLOADS = ("PiecewiseConstantDecay", "CosineDecayRestarts", "MultiStepLR", SEQUENCE)


# ------------------------------------------------------------------------------------------ workloads
def _boundaries(n: int, steps: int) -> list[int]:
    """n strictly increasing steps spread evenly over ``1..steps-1``."""
    return [(i + 1) * steps // (n + 1) for i in range(n)]


def _values(n: int) -> np.ndarray:
    """n + 1 float32-representable values ``0.99**i`` (float64 array)."""
    return np.asarray(GAMMA ** np.arange(n + 1), np.float32).astype(np.float64)


def _starts(n: int, steps: int) -> list[int]:
    """The n - 1 boundaries of n pieces of ``steps // n`` steps each (the last piece takes the rest)."""
    return [i * (steps // n) for i in range(1, n)]


def make_lrjit(workload: str, n: int, steps: int) -> lrjit.Schedule:
    """The lrjit schedule with n pieces over ``steps`` steps, its leaves on the device."""
    if workload == "PiecewiseConstantDecay":
        sched = lrjit.PiecewiseConstantDecay(_boundaries(n, steps), _values(n).tolist())
    elif workload == "CosineDecayRestarts":
        sched = lrjit.CosineDecayRestarts(1.0, steps // n, t_mul=1.0, m_mul=1.0, alpha=0.0)
    elif workload == "MultiStepLR":
        sched = lrjit.MultiStepLR(1.0, _boundaries(n, steps), gamma=GAMMA)
    elif workload == SEQUENCE:
        length, peaks = steps // n, _values(n - 1).tolist()
        pieces = [lrjit.CosineDecay(peaks[i], length, alpha=ALPHA) for i in range(n)]
        sched = lrjit.sequence(pieces, _starts(n, steps))
    else:
        raise ValueError(workload)
    return jax.device_put(sched)


def make_optax(workload: str, n: int, steps: int) -> Callable[[jax.Array], jax.Array]:
    """The optax schedule with the same curve (a fresh closure every call)."""
    if workload == "PiecewiseConstantDecay":
        v = _values(n)
        # Keras keeps values[i] at boundary b (changes after it); optax scales from the boundary on.
        scales = {b + 1: float(v[i + 1] / v[i]) for i, b in enumerate(_boundaries(n, steps))}
        return optax.piecewise_constant_schedule(float(v[0]), scales)
    if workload == "CosineDecayRestarts":
        cycle = {"init_value": 1.0, "peak_value": 1.0, "warmup_steps": 0, "decay_steps": steps // n}
        return optax.sgdr_schedule([dict(cycle, end_value=0.0) for _ in range(n)])
    if workload == "MultiStepLR":
        return optax.piecewise_constant_schedule(1.0, dict.fromkeys(_boundaries(n, steps), GAMMA))
    if workload == SEQUENCE:
        length, peaks = steps // n, _values(n - 1).tolist()
        pieces = [optax.cosine_decay_schedule(peaks[i], length, alpha=ALPHA) for i in range(n)]
        return optax.join_schedules(pieces, _starts(n, steps))
    raise ValueError(workload)


def reference(workload: str, n: int, steps: int) -> np.ndarray:
    """The float64 curve over ``0..steps-1``."""
    s = np.arange(steps)
    if workload == "PiecewiseConstantDecay":
        return _values(n)[np.searchsorted(_boundaries(n, steps), s, side="left")]
    if workload == "CosineDecayRestarts":
        length = steps // n
        return 0.5 * (1 + np.cos(np.pi * (s % length) / length))
    if workload == "MultiStepLR":
        return GAMMA ** np.searchsorted(_boundaries(n, steps), s, side="right").astype(np.float64)
    if workload == SEQUENCE:
        length = steps // n
        piece = np.minimum(s // length, n - 1)
        local = np.minimum(s - piece * length, length)
        return _values(n - 1)[piece] * ((1 - ALPHA) * 0.5 * (1 + np.cos(np.pi * local / length)) + ALPHA)
    raise ValueError(workload)


# ------------------------------------------------------------------------------------------ measuring
def compile_and_time(make_fn: Callable[[], Callable[..., Any]], args: Sequence[Any]) -> dict[str, Any]:
    """Traces, lowers and compiles a fresh function; returns the times and the executable."""
    jitted = jax.jit(make_fn())
    t0 = time.perf_counter()
    lowered = jitted.lower(*args)
    t1 = time.perf_counter()
    compiled = lowered.compile()
    t2 = time.perf_counter()
    return {"lower_s": t1 - t0, "xla_s": t2 - t1, "total_s": t2 - t0, "compiled": compiled}


def _time_call(fn: Callable[[], Any]) -> float:
    t0 = time.perf_counter()
    jax.block_until_ready(fn())
    return time.perf_counter() - t0


def _ratio(rounds: Sequence[float | None], base: Sequence[float | None]) -> float | None:
    """Median over rounds of ``rounds[r] / base[r]``, over rounds where both were measured."""
    pairs = [a / b for a, b in zip(rounds, base, strict=True) if a is not None and b is not None]
    return statistics.median(pairs) if pairs else None


def _over(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a / b


def _median(xs: Sequence[float | None]) -> float | None:
    got = [x for x in xs if x is not None]
    return statistics.median(got) if got else None


def optax_pieces(pieces: Sequence[int], quick: bool) -> list[int]:
    return [n for n in pieces if not quick or n <= QUICK_OPTAX_MAX]


def run_workload(workload: str, pieces: Sequence[int], args: argparse.Namespace) -> dict[str, Any]:
    """Compile rounds, agreement, then evaluation rounds, for every (library, n) of one workload."""
    n_steps = args.steps
    steps = jnp.arange(n_steps, dtype=jnp.int32)
    libs = ["lrjit"] + (["optax"] if optax is not None else [])
    wanted = {"lrjit": list(pieces), "optax": optax_pieces(pieces, args.quick) if optax else []}
    notes: list[str] = []
    if optax is not None and args.quick and max(pieces) > QUICK_OPTAX_MAX:
        notes.append(f"--quick: optax capped at {QUICK_OPTAX_MAX} pieces (seconds of compile beyond)")

    def factory(lib: str, n: int) -> tuple[Callable[[], Callable[..., Any]], tuple[Any, ...]]:
        if lib == "lrjit":
            sched = make_lrjit(workload, n, n_steps)
            return (lambda: lambda s, t: s(t)), (sched, steps)
        return (lambda: make_optax(workload, n, n_steps)), (steps,)

    # Compile rounds, round-robin; a slow entry is measured once; optax is skipped at an n whose compile
    # time, extrapolated from the previous n (x (n / n_prev) ** 1.3, the growth seen from 100 to 1000
    # pieces), would exceed the budget.
    slow_s = QUICK_SLOW_COMPILE_S if args.quick else SLOW_COMPILE_S
    compile_rounds: dict[tuple[str, int], list[dict[str, float] | None]] = {}
    executables: dict[tuple[str, int], Any] = {}
    for lib in libs:  # a discarded compile primes the per-process caches (jnp helpers' own traces)
        compile_and_time(*factory(lib, pieces[0]))
    for lib in libs:
        prev: tuple[int, float] | None = None
        for n in wanted[lib]:
            if lib == "optax" and prev is not None:
                estimate = prev[1] * (n / prev[0]) ** 1.3
                if estimate > OPTAX_BUDGET_S:
                    budget = f"{OPTAX_BUDGET_S:.0f} s"
                    notes.append(
                        f"optax at {n} pieces skipped: estimated compile {estimate:.0f} s > {budget}"
                    )
                    wanted[lib] = [m for m in wanted[lib] if m < n]
                    break
            make_fn, fn_args = factory(lib, n)
            first = compile_and_time(make_fn, fn_args)
            executables[lib, n] = (first.pop("compiled"), fn_args)
            compile_rounds[lib, n] = [first]
            prev = (n, first["total_s"])
    for _ in range(args.compile_repeats - 1):
        for (lib, n), rounds in compile_rounds.items():
            if rounds[0]["total_s"] > slow_s:
                rounds.append(None)
                continue
            make_fn, fn_args = factory(lib, n)
            again = compile_and_time(make_fn, fn_args)
            again.pop("compiled")
            rounds.append(again)
    slow = sorted({f"{lib} n={n}" for (lib, n), r in compile_rounds.items() if None in r})
    if slow:
        notes.append(f"compiled once (slower than {slow_s:g} s): {', '.join(slow)}")

    # Agreement, before timing.
    curves: dict[tuple[str, int], np.ndarray] = {}
    for key, (compiled, fn_args) in executables.items():
        curves[key] = np.asarray(compiled(*fn_args), np.float64)
    rows: list[dict[str, Any]] = []
    for n in pieces:
        ref = reference(workload, n, n_steps)
        row: dict[str, Any] = {"n": n, "lrjit_err": float(np.abs(curves["lrjit", n] - ref).max())}
        if ("optax", n) in curves:
            row["optax_err"] = float(np.abs(curves["optax", n] - ref).max())
            row["lrjit_vs_optax"] = float(np.abs(curves["lrjit", n] - curves["optax", n]).max())
            if row["lrjit_vs_optax"] > AGREE_ABS:
                notes.append(f"DISAGREE at n={n}: max |lrjit - optax| = {row['lrjit_vs_optax']:.2e}")
        rows.append(row)
    del curves

    # Evaluation rounds after one warm-up call each; every round calls every entry once.
    calls = {key: (lambda c=compiled, a=fn_args: c(*a)) for key, (compiled, fn_args) in executables.items()}
    for fn in calls.values():
        _time_call(fn)
    eval_rounds: dict[tuple[str, int], list[float]] = {key: [] for key in calls}
    order = list(calls)
    shuffle = np.random.default_rng(0)
    for _ in range(args.repeats):
        # A new order every round: a call can be slowed by the one before it (a heavy 1000-piece call),
        # so no entry always follows the same one.
        for i in shuffle.permutation(len(order)):
            eval_rounds[order[i]].append(_time_call(calls[order[i]]))

    if workload == SEQUENCE and len(pieces) > 2 and pieces[0] == 1:
        # At n = 1 the stacked pieces have one entry and XLA simplifies the gathers from them: the n = 1
        # base compiles to a smaller program than every n >= 2 (the same jaxpr), so also compare with the
        # second n.
        base, last = ("lrjit", pieces[1]), ("lrjit", pieces[-1])
        compile_x = _over(
            _median([r["total_s"] if r else None for r in compile_rounds[last]]),
            _median([r["total_s"] if r else None for r in compile_rounds[base]]),
        )
        eval_x = _ratio(eval_rounds[last], eval_rounds[base])
        notes.append(
            f"n=1 gathers from one-entry arrays, which XLA simplifies: lrjit {pieces[-1]} "
            f"pieces / {pieces[1]} pieces: compile {_times(compile_x)}, eval {_times(eval_x)}"
        )

    for row in rows:
        n = row["n"]
        for lib in libs:
            if (lib, n) not in compile_rounds:
                continue
            comp = compile_rounds[lib, n]
            base = (lib, pieces[0])
            totals = [r["total_s"] if r else None for r in comp]
            base_totals = [r["total_s"] if r else None for r in compile_rounds.get(base, [None])]
            base_evals = eval_rounds.get(base, [None] * args.repeats)
            row[lib] = {
                "compile_s": _median(totals),
                "lower_s": _median([r["lower_s"] if r else None for r in comp]),
                "xla_compile_s": _median([r["xla_s"] if r else None for r in comp]),
                "compile_x1": _over(_median(totals), _median(base_totals)),
                "compiles": sum(r is not None for r in comp),
                "eval_s": statistics.median(eval_rounds[lib, n]),
                "eval_min_s": min(eval_rounds[lib, n]),
                "eval_x1": _ratio(eval_rounds[lib, n], base_evals),
                "compile_rounds": comp,
                "eval_rounds_s": eval_rounds[lib, n],
            }
        if "optax" in row:
            row["lrjit_over_optax_eval"] = _ratio(eval_rounds["lrjit", n], eval_rounds["optax", n])
    return {"workload": workload, "N": n_steps, "rows": rows, "notes": notes}


# ------------------------------------------------------------------------------------------ output
def _fmt(x: float | None, spec: str) -> str:
    return "-" if x is None else format(x, spec)


def _times(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x:.2f}x" if x >= 0.1 else f"{x:.2g}x"


def report(result: dict[str, Any]) -> None:
    """One table and the headline lines for one workload."""
    table = []
    for r in result["rows"]:
        lr, op = r["lrjit"], r.get("optax", {})
        table.append(
            [
                str(r["n"]),
                _fmt(lr["compile_s"], ".3f"),
                _times(lr["compile_x1"]),
                _fmt(op.get("compile_s"), ".3f"),
                _times(op.get("compile_x1")),
                _fmt(lr["eval_s"] * 1e3, ".2f"),
                _times(lr["eval_x1"]),
                _fmt(op["eval_s"] * 1e3 if op else None, ".2f"),
                _times(op.get("eval_x1")),
                _times(r.get("lrjit_over_optax_eval")),
                _fmt(r.get("lrjit_vs_optax"), ".1e"),
                _fmt(r["lrjit_err"], ".1e"),
                _fmt(r.get("optax_err"), ".1e"),
            ]
        )
    print_table(
        f"{result['workload']}: n pieces over N={result['N']} steps (compile: trace + lower + XLA, median of "
        "rounds; eval: one call, median of rounds)",
        [
            "n",
            "lrjit compile s",
            "x(n=1)",
            "optax compile s",
            "x(n=1)",
            "lrjit eval ms",
            "x(n=1)",
            "optax eval ms",
            "x(n=1)",
            "lrjit/optax eval",
            "max|lrjit-optax|",
            "lrjit err f64",
            "optax err f64",
        ],
        table,
    )
    for note in result["notes"]:
        print(f"  note: {note}")
    rows = result["rows"]
    first = f"{rows[0]['n']} piece" + ("s" if rows[0]["n"] != 1 else "")
    lr, last = rows[-1]["lrjit"], rows[-1]["n"]
    print(
        f"  {result['workload']}: lrjit compile {last} pieces / {first} = {_times(lr['compile_x1'])} "
        f"(target <= 1.5x); lrjit eval = {_times(lr['eval_x1'])}"
    )
    with_optax = [r for r in rows if "optax" in r]
    if with_optax:
        op = with_optax[-1]["optax"]
        print(
            f"  {result['workload']}: optax compile {with_optax[-1]['n']} pieces / {first} = "
            f"{_times(op['compile_x1'])}; optax eval = {_times(op['eval_x1'])}"
        )


def boundary_memory(steps: int, counts: Sequence[int], repeats: int) -> list[dict[str, Any]]:
    """Memory and time of a PiecewiseConstantDecay with many boundaries (K = 1 config over N steps): the
    compiled program's temporary bytes (XLA's memory analysis: what it holds beyond inputs and output) and
    the median evaluation time, against the output's own size."""
    rows = []
    for n in counts:
        rng = np.random.default_rng(n)
        bounds = np.sort(rng.choice(max(10 * n, 10 * steps), n, replace=False))
        sched = lrjit.PiecewiseConstantDecay(bounds, rng.random(n + 1).astype(np.float32))
        compiled = jax.jit(lambda s: s(jnp.arange(steps, dtype=jnp.int32))).lower(sched).compile()
        memory = compiled.memory_analysis()
        jax.block_until_ready(compiled(sched))
        times = [_time_call(lambda c=compiled, s=sched: c(s)) for _ in range(repeats)]
        rows.append(
            {
                "boundaries": n,
                "temp_bytes": int(memory.temp_size_in_bytes),
                "output_bytes": int(memory.output_size_in_bytes),
                "eval_s": statistics.median(times),
            }
        )
    return rows


def report_boundary_memory(rows: Sequence[dict[str, Any]], steps: int) -> None:
    print(f"\nPiecewiseConstantDecay, many boundaries, N={steps}: memory beyond the output and eval time")
    print(f"{'boundaries':>10}  {'temp MB':>9}  {'output MB':>9}  {'eval ms':>8}")
    for r in rows:
        print(
            f"{r['boundaries']:>10}  {r['temp_bytes'] / 1e6:>9.3f}  {r['output_bytes'] / 1e6:>9.3f}  "
            f"{r['eval_s'] * 1e3:>8.2f}"
        )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: runs the benchmark, prints the tables, optionally writes JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="N=10**4, optax capped at 100 pieces")
    parser.add_argument("--json", type=Path, help="also write every number to this JSON file")
    parser.add_argument("--repeats", type=int, help="evaluation rounds (default 7, quick 3)")
    parser.add_argument("--compile-repeats", type=int, help="compile rounds (default 5, quick 3)")
    parser.add_argument("--steps", type=int, help=f"N (default {FULL_N}, quick {QUICK_N})")
    parser.add_argument(
        "--pieces",
        type=int,
        nargs="+",
        help="piece counts, the first one the ratios' base (default 1 10 100 1000)",
    )
    parser.add_argument(
        "--boundaries-only",
        action="store_true",
        help="only the many-boundaries table (memory and time for 10**3 to 10**6 boundaries)",
    )
    args = parser.parse_args(argv)
    args.repeats = args.repeats or (3 if args.quick else 7)
    args.compile_repeats = args.compile_repeats or (3 if args.quick else 5)
    args.steps = args.steps or (QUICK_N if args.quick else FULL_N)
    pieces = tuple(args.pieces or FULL_PIECES)

    env = environment()
    env["compilation_cache"] = bool(jax.config.jax_enable_compilation_cache)
    print_environment(env)
    optax_note = (
        f"optax pieces: {optax_pieces(pieces, args.quick)}" if optax is not None else "optax absent: skipped"
    )
    print(
        f"N={args.steps} steps, lrjit pieces: {list(pieces)}, {optax_note}, compile rounds: "
        f"{args.compile_repeats}, eval rounds: {args.repeats}, persistent compilation cache: "
        f"{'on' if env['compilation_cache'] else 'off'}"
    )

    # Start-up costs (backend init, first dispatch) belong to no workload.
    jax.block_until_ready(jax.jit(lambda s, t: s(t))(lrjit.CosineDecay(0.1, 10), jnp.arange(8)))

    t_start = time.perf_counter()
    results = []
    for workload in () if args.boundaries_only else WORKLOADS:
        t0 = time.perf_counter()
        results.append(run_workload(workload, pieces, args))
        print(f"  measured {workload} in {time.perf_counter() - t0:.1f} s", flush=True)
    if hasattr(os, "getloadavg"):
        env["loadavg_end"] = os.getloadavg()
    env["total_s"] = time.perf_counter() - t_start
    memory_counts = (10**3, 10**4) if args.quick else (10**3, 10**4, 10**5, 10**6)
    memory = boundary_memory(args.steps, memory_counts, args.repeats)
    for result in results:
        report(result)
    report_boundary_memory(memory, args.steps)
    if "loadavg_start" in env:
        print(f"\nload average: start {env['loadavg_start']}, end {env.get('loadavg_end')}")
    print(f"total {env['total_s']:.1f} s")
    if args.json:
        settings = {"quick": args.quick, "N": args.steps, "pieces": list(pieces), "repeats": args.repeats}
        settings["compile_repeats"] = args.compile_repeats
        document = {"environment": env, "settings": settings, "workloads": results, "boundaries": memory}
        args.json.write_text(json.dumps(document, indent=2))
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
