"""Benchmark of ``lrjit.curves``: whole [K, N] learning-rate curve matrices, against XLA floors and peers.

Run from the repository root::

    python bench/bench_curves.py            # the full table (a few minutes on a 2-core CPU)
    python bench/bench_curves.py --quick    # small shapes, a smoke run
    python bench/bench_curves.py --json out.json

For each workload (family x shape) it measures, in one process and interleaved round by round:

* lrjit: ``lrjit.curves(lrjit.stack(K random configs), N)``: first-call time (tracing + compiling + one
  run), steady-state time (median of ``--repeats`` runs after a warm-up, each ending in
  ``block_until_ready``) and ns per element;
* two XLA floors of the same [K, N] float32 output: one cos per element (compute floor) and a pure
  broadcast write (memory floor);
* peers, where installed: optax (one closure per config, each jitted, called in a Python loop over a capped
  number of configs) and numpy float64 closed forms vectorized over [rows, N].

It also compiles the lrjit program ahead of time and counts the fusions of its ENTRY computation, and times
single primitive ops so that the per-element cost of a kernel can be read against the ops it contains.
See bench/README.md for the columns and how to read the ratios.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import platform
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

import lrjit

try:  # a peer: skipped cleanly when absent
    import optax
except ImportError:  # pragma: no cover - depends on the environment
    optax = None

FULL_SHAPES: tuple[tuple[int, int], ...] = ((1, 10**6), (256, 10**5), (4096, 10**4))
QUICK_SHAPES: tuple[tuple[int, int], ...] = ((1, 2**14), (64, 2**10))
FAMILIES: tuple[str, ...] = ("CosineDecay", "ExponentialDecay", "CosineDecayRestarts")

# Peers evaluate fewer configs than K: optax compiles one program per config; numpy's per-element cost
# does not depend on K once an array holds a few million elements.
NUMPY_MAX_ELEMENTS = 2**22

# Ops whose cost dominates an elementwise kernel; short names for the census column.
HEAVY_OPS: dict[str, str] = {
    "cosine": "cos",
    "sine": "sin",
    "tan": "tan",
    "power": "pow",
    "exponential": "exp",
    "exponential-minus-one": "expm1",
    "log": "log",
    "log-plus-one": "log1p",
    "sqrt": "sqrt",
    "rsqrt": "rsqrt",
    "atan2": "atan2",
    "tanh": "tanh",
    "divide": "div",
    "remainder": "rem",
    "floor": "floor",
}
# ENTRY instructions that launch no kernel of their own.
TRIVIAL_OPS = frozenset({"parameter", "constant", "bitcast", "tuple", "get-tuple-element"})


# ------------------------------------------------------------------------------------------ timing
def _time_once(fn: Callable[[], Any]) -> float:
    """Seconds for one call of ``fn``, waiting for every array it returns."""
    t0 = time.perf_counter()
    out = fn()
    jax.block_until_ready(out)
    dt = time.perf_counter() - t0
    del out
    return dt


def _interleaved(contenders: dict[str, Callable[[], Any]], repeats: int) -> dict[str, list[float]]:
    """Times each contender ``repeats`` times, round-robin, after one warm-up call each.

    Interleaving puts every contender under the same background load in each round, so that ratios taken
    round by round stay meaningful on a shared machine.
    """
    for fn in contenders.values():
        _time_once(fn)
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(repeats):
        for name, fn in contenders.items():
            times[name].append(_time_once(fn))
    return times


def _per_round_ratio(a: Sequence[float], b: Sequence[float]) -> float:
    """Median over rounds of ``a[r] / b[r]`` (both already per element)."""
    return statistics.median(x / y for x, y in zip(a, b, strict=True))


def _ns_per_element(times: Sequence[float], elements: int) -> list[float]:
    return [t / elements * 1e9 for t in times]


# ------------------------------------------------------------------------------------------ HLO census
@dataclasses.dataclass
class Instruction:
    """One HLO instruction: name, result shape text, opcode and the computations it calls."""

    name: str
    shape: str
    opcode: str
    calls: list[str]

    @property
    def elements(self) -> int:
        """Elements of an array result (the largest member of a tuple result)."""
        sizes = [
            math.prod(int(d) for d in dims.split(",") if d)
            for dims in re.findall(r"\[([\d,]*)\]", self.shape)
        ]
        return max(sizes, default=1)


_COMPUTATION = re.compile(r"^(ENTRY\s+)?%([\w.\-]+)\s*\(.*\{\s*$")
_INSTRUCTION = re.compile(r"^\s*(?:ROOT\s+)?%([\w.\-]+)\s*=\s*(.*)$")
_CALLS = re.compile(r"\b(?:calls|to_apply|body|condition)=%([\w.\-]+)")


def _split_type(rest: str) -> tuple[str, str]:
    """Splits ``'f32[2]{0} add(%a, %b), ...'`` (or a parenthesized tuple type) into (type, remainder)."""
    if rest.startswith("("):
        depth = 0
        for i, ch in enumerate(rest):
            depth += {"(": 1, ")": -1}.get(ch, 0)
            if depth == 0:
                return rest[: i + 1], rest[i + 1 :].lstrip()
    head, _, tail = rest.partition(" ")
    return head, tail


def parse_hlo(text: str) -> tuple[str, dict[str, list[Instruction]]]:
    """The ENTRY computation's name and every computation's instructions, from ``compiled.as_text()``."""
    computations: dict[str, list[Instruction]] = {}
    entry = ""
    current: list[Instruction] | None = None
    for line in text.splitlines():
        m = _COMPUTATION.match(line)
        if m:
            current = computations.setdefault(m.group(2), [])
            if m.group(1):
                entry = m.group(2)
            continue
        if line.startswith("}"):
            current = None
            continue
        if current is None:
            continue
        m = _INSTRUCTION.match(line)
        if not m:
            continue
        shape, rest = _split_type(m.group(2))
        opcode = rest.split("(", 1)[0].strip()
        current.append(Instruction(m.group(1), shape, opcode, _CALLS.findall(rest)))
    return entry, computations


def _ops_under(computations: dict[str, list[Instruction]], name: str, min_elements: int) -> Counter[str]:
    """Heavy-op names (integer ones prefixed ``i``) and the total op count (key ``""``) of computation
    ``name`` and everything it calls, counting only results of at least ``min_elements`` elements."""
    counts: Counter[str] = Counter()
    seen: set[str] = set()
    stack = [name]
    while stack:
        comp = stack.pop()
        if comp in seen or comp not in computations:
            continue
        seen.add(comp)
        for ins in computations[comp]:
            if ins.elements >= min_elements:
                counts[""] += 1
                if ins.opcode in HEAVY_OPS:
                    integer = ins.shape[:1] in ("s", "u")
                    counts[("i" if integer else "") + HEAVY_OPS[ins.opcode]] += 1
            stack.extend(ins.calls)
    return counts


def census(text: str, matrix_elements: int) -> dict[str, Any]:
    """Kernel counts of a compiled program whose output is a curve matrix of ``matrix_elements``.

    Counting rule: in the ENTRY computation, every instruction with opcode ``fusion`` is one kernel;
    a *matrix* fusion is one whose result has ``matrix_elements`` elements (the [K, N] output or an
    intermediate of that size); ``other_ops`` lists ENTRY instructions that are neither fusions nor
    free (parameter, constant, bitcast, tuple, get-tuple-element) - each of those is a kernel too.
    ``heavy_ops`` counts the expensive opcodes evaluated per element inside the matrix fusions.
    """
    entry, comps = parse_hlo(text)
    instructions = comps.get(entry, [])
    fusions = [i for i in instructions if i.opcode == "fusion"]
    matrix = [i for i in fusions if i.elements >= matrix_elements]
    other = [i.opcode for i in instructions if i.opcode not in TRIVIAL_OPS and i.opcode != "fusion"]
    heavy: Counter[str] = Counter()
    for f in matrix:
        for callee in f.calls:
            heavy.update(_ops_under(comps, callee, matrix_elements))
    total = heavy.pop("", 0)
    return {
        "fusions": len(fusions),
        "matrix_fusions": len(matrix),
        "other_ops": other,
        "heavy_ops": dict(heavy),
        "matrix_ops": total,
    }


def _heavy_text(heavy: dict[str, int]) -> str:
    names = list(dict.fromkeys(HEAVY_OPS.values()))
    order = names + ["i" + n for n in names]
    parts = [f"{k}x{heavy[k]}" if heavy[k] > 1 else k for k in order if k in heavy]
    return " ".join(parts) or "-"


# ------------------------------------------------------------------------------------------ workloads
@dataclasses.dataclass
class Workload:
    """One family at one shape: K configs as lrjit, optax and numpy evaluate them."""

    family: str
    k: int
    n: int
    params: dict[str, np.ndarray]  # per-config values, shape [K]; floats are float32-exact
    make_lrjit: Callable[[int], lrjit.Schedule]  # config i -> single schedule
    numpy_curves: Callable[[dict[str, np.ndarray], np.ndarray], np.ndarray]  # rows, steps -> [rows, N]
    make_optax: Callable[[int], Callable[[jax.Array], jax.Array]] | None  # config i -> optax schedule


def _f32(x: np.ndarray) -> np.ndarray:
    """Float32-representable float64 values, so that every implementation starts from the same numbers."""
    return np.asarray(x, dtype=np.float32).astype(np.float64)


def _log_uniform(rng: np.random.Generator, lo: float, hi: float, k: int) -> np.ndarray:
    return np.exp(rng.uniform(math.log(lo), math.log(hi), k))


def np_cosine(p: dict[str, np.ndarray], steps: np.ndarray) -> np.ndarray:
    lr, d, alpha = p["lr"][:, None], p["decay_steps"][:, None], p["alpha"][:, None]
    fraction = np.minimum(steps[None, :], d) / d
    return lr * ((1 - alpha) * 0.5 * (1 + np.cos(np.pi * fraction)) + alpha)


def np_exponential_staircase(p: dict[str, np.ndarray], steps: np.ndarray) -> np.ndarray:
    lr, d, rate = p["lr"][:, None], p["decay_steps"][:, None], p["decay_rate"][:, None]
    return lr * np.power(rate, (steps[None, :] // d).astype(np.float64))


def np_restarts(p: dict[str, np.ndarray], steps: np.ndarray) -> np.ndarray:
    lr, length, alpha = (
        p["lr"][:, None],
        p["first_decay_steps"][:, None].astype(np.float64),
        p["alpha"][:, None],
    )
    m, m_mul = p["t_mul"][:, None], p["m_mul"][:, None]
    s = steps[None, :].astype(np.float64)

    def start(i: np.ndarray) -> np.ndarray:
        return length * (np.power(m, i) - 1) / (m - 1)

    # Keras's closed-form index, corrected against the neighbouring cycle starts (exact restarts).
    index = np.floor(np.log1p(s / length * (m - 1)) / np.log(m))
    index += (s >= start(index + 1)).astype(np.float64) - (s < start(index)).astype(np.float64)
    fraction = (s - start(index)) / (length * np.power(m, index))
    decayed = 0.5 * np.power(m_mul, index) * (1 + np.cos(np.pi * fraction))
    return lr * ((1 - alpha) * decayed + alpha)


def _sgdr_cycles(first: int, t_mul: float, n: int) -> list[int]:
    """Cycle lengths covering steps 0..n-1, the way an optax user spells them for ``sgdr_schedule``."""
    lengths, total, length = [], 0, float(first)
    while total < n:
        lengths.append(round(length))
        total += lengths[-1]
        length *= t_mul
    return lengths


def make_workload(family: str, k: int, n: int, rng: np.random.Generator) -> Workload:
    """K random configs of ``family`` scaled to N steps (decay lengths are drawn relative to N)."""
    lr = _f32(_log_uniform(rng, 1e-4, 1.0, k))
    if family == "CosineDecay":
        p = {
            "lr": lr,
            "decay_steps": rng.integers(max(1, n // 4), n + 1, k),
            "alpha": _f32(rng.uniform(0.0, 0.5, k)),
        }

        def make_lrjit(i: int) -> lrjit.Schedule:
            return lrjit.CosineDecay(float(p["lr"][i]), int(p["decay_steps"][i]), alpha=float(p["alpha"][i]))

        def make_optax(i: int) -> Callable[[jax.Array], jax.Array]:
            return optax.cosine_decay_schedule(
                float(p["lr"][i]), int(p["decay_steps"][i]), float(p["alpha"][i])
            )

        numpy_curves = np_cosine
    elif family == "ExponentialDecay":
        p = {
            "lr": lr,
            "decay_steps": rng.integers(max(1, n // 100), max(2, n // 5) + 1, k),
            "decay_rate": _f32(rng.uniform(0.05, 0.99, k)),
        }

        def make_lrjit(i: int) -> lrjit.Schedule:
            return lrjit.ExponentialDecay(
                float(p["lr"][i]), int(p["decay_steps"][i]), float(p["decay_rate"][i]), staircase=True
            )

        def make_optax(i: int) -> Callable[[jax.Array], jax.Array]:
            return optax.exponential_decay(
                float(p["lr"][i]), int(p["decay_steps"][i]), float(p["decay_rate"][i]), staircase=True
            )

        numpy_curves = np_exponential_staircase
    elif family == "CosineDecayRestarts":
        p = {
            "lr": lr,
            "first_decay_steps": np.maximum(1, np.round(_log_uniform(rng, n / 1000, n / 10, k))).astype(
                np.int64
            ),
            "t_mul": np.full(k, 2.0),
            "m_mul": _f32(rng.uniform(0.3, 1.0, k)),
            "alpha": _f32(rng.uniform(0.0, 0.5, k)),
        }

        def make_lrjit(i: int) -> lrjit.Schedule:
            return lrjit.CosineDecayRestarts(
                float(p["lr"][i]),
                int(p["first_decay_steps"][i]),
                t_mul=2.0,
                m_mul=float(p["m_mul"][i]),
                alpha=float(p["alpha"][i]),
            )

        def make_optax(i: int) -> Callable[[jax.Array], jax.Array]:
            lr_i, a, mm = float(p["lr"][i]), float(p["alpha"][i]), float(p["m_mul"][i])
            kwargs = []
            for c, length in enumerate(_sgdr_cycles(int(p["first_decay_steps"][i]), 2.0, n)):
                peak = lr_i * ((1 - a) * mm**c + a)  # Keras: m_mul scales the cosine part, not the floor
                kwargs.append(
                    {
                        "init_value": peak,
                        "peak_value": peak,
                        "warmup_steps": 0,
                        "decay_steps": length,
                        "end_value": lr_i * a,
                    }
                )
            return optax.sgdr_schedule(kwargs)

        numpy_curves = np_restarts
    else:
        raise ValueError(f"unknown family {family}")
    return Workload(family, k, n, p, make_lrjit, numpy_curves, make_optax if optax is not None else None)


# ------------------------------------------------------------------------------------------ floors
def make_floors(k: int, n: int, rng: np.random.Generator) -> dict[str, Callable[[], jax.Array]]:
    """The two XLA floors for a [K, N] float32 output, each a jitted call on K per-row scalars.

    ``cos``: ``cos(a_k * n + b_k)``: one cos per element; ``a_k`` is scaled so the arguments stay in
    [0, ~pi + 0.1], the range a schedule feeds cos (large arguments cost XLA's cos a slower reduction).
    ``write``: ``broadcast(a_k) + 0``: the output written once, nothing computed.
    """
    a = jnp.asarray((math.pi / n) * rng.uniform(0.5, 1.0, k), dtype=jnp.float32)
    b = jnp.asarray(rng.uniform(0.0, 0.1, k), dtype=jnp.float32)

    @jax.jit
    def cos_floor(a: jax.Array, b: jax.Array) -> jax.Array:
        return jnp.cos(a[:, None] * jnp.arange(n, dtype=jnp.float32)[None, :] + b[:, None])

    @jax.jit
    def write_floor(a: jax.Array) -> jax.Array:
        return jnp.broadcast_to(a[:, None], (k, n)) + 0

    return {"cos": lambda: cos_floor(a, b), "write": lambda: write_floor(a)}


def make_op_kernels(k: int, n: int) -> dict[str, Callable[[], jax.Array]]:
    """One primitive op per element over [K, N] (x = a_k * n in [0, ~3], row scalars b_k, d_k).

    The baseline ``x`` is the iota, convert and multiply every kernel below shares.
    """
    rng = np.random.default_rng(1)
    a = jnp.asarray((3.0 / n) * rng.uniform(0.5, 1.0, k), dtype=jnp.float32)
    b = jnp.asarray(rng.uniform(0.3, 0.99, k), dtype=jnp.float32)
    d = jnp.asarray(rng.integers(1, max(2, n // 10), k), dtype=jnp.int32)

    def x_of(a: jax.Array) -> jax.Array:
        return a[:, None] * jnp.arange(n, dtype=jnp.float32)[None, :]

    def i_of(d: jax.Array) -> jax.Array:
        return jnp.broadcast_to(jnp.arange(n, dtype=jnp.int32)[None, :], (d.shape[0], n))

    bodies: dict[str, Callable[[jax.Array, jax.Array, jax.Array], jax.Array]] = {
        "x (baseline)": lambda a, b, d: x_of(a),
        "cos(x)": lambda a, b, d: jnp.cos(x_of(a)),
        "exp(-x)": lambda a, b, d: jnp.exp(-x_of(a)),
        "expm1(-x)": lambda a, b, d: jnp.expm1(-x_of(a)),
        "log1p(x)": lambda a, b, d: jnp.log1p(x_of(a)),
        "pow(b, x)": lambda a, b, d: jnp.power(b[:, None], x_of(a)),
        "x / b": lambda a, b, d: x_of(a) / b[:, None],
        "floor(x)": lambda a, b, d: jnp.floor(x_of(a)),
        "n // d (int32)": lambda a, b, d: (i_of(d) // d[:, None]).astype(jnp.float32),
        "n % d (int32)": lambda a, b, d: (i_of(d) % d[:, None]).astype(jnp.float32),
        "lax.div(n, d)": lambda a, b, d: jax.lax.div(i_of(d), d[:, None]).astype(jnp.float32),
    }
    out: dict[str, Callable[[], jax.Array]] = {}
    for name, body in bodies.items():
        fn = jax.jit(body)
        out[name] = lambda fn=fn: fn(a, b, d)
    return out


# ------------------------------------------------------------------------------------------ one shape
def max_rel_err(got: np.ndarray, ref: np.ndarray) -> float:
    """max |got - ref| over the matrix, relative to each row's largest |ref| (NaN anywhere -> inf)."""
    got, ref = np.asarray(got, np.float64), np.asarray(ref, np.float64)
    if not np.isfinite(got).all():
        return math.inf
    scale = np.maximum(np.abs(ref).max(axis=1, keepdims=True), np.finfo(np.float64).tiny)
    return float((np.abs(got - ref) / scale).max())


def run_shape(k: int, n: int, args: argparse.Namespace, rng: np.random.Generator) -> list[dict[str, Any]]:
    """Measures every family at one (K, N), floors and peers interleaved, and returns one row per family."""
    floors = make_floors(k, n, rng)
    workloads = [make_workload(f, k, n, rng) for f in FAMILIES]
    steps_np = np.arange(n, dtype=np.int64)
    steps_jax = jnp.arange(n, dtype=jnp.int32)
    contenders: dict[str, Callable[[], Any]] = {f"floor:{name}": fn for name, fn in floors.items()}
    rows: list[dict[str, Any]] = []
    for w in workloads:
        row: dict[str, Any] = {"family": w.family, "K": k, "N": n}
        t0 = time.perf_counter()
        singles = [w.make_lrjit(i) for i in range(k)]
        t1 = time.perf_counter()
        batch = lrjit.stack(singles)
        row["build_s"], row["stack_s"] = t1 - t0, time.perf_counter() - t1
        # The first call of this structure: tracing, lowering, XLA compilation and one run.
        row["first_call_s"] = _time_once(lambda batch=batch: lrjit.curves(batch, n))
        # The same program compiled ahead of time: XLA's compile time alone, and the HLO to count.
        lowered = jax.jit(lrjit.curves, static_argnums=1).lower(batch, n)
        t0 = time.perf_counter()
        compiled = lowered.compile()
        row["xla_compile_s"] = time.perf_counter() - t0
        row["census"] = census(compiled.as_text(), k * n)
        lrjit_out = np.asarray(lrjit.curves(batch, n))
        contenders[f"lrjit:{w.family}"] = lambda batch=batch: lrjit.curves(batch, n)

        k_np = max(1, min(k, NUMPY_MAX_ELEMENTS // n))
        rows_np = {name: v[:k_np] for name, v in w.params.items()}
        row["numpy_K"] = k_np
        reference = w.numpy_curves(rows_np, steps_np)
        row["lrjit_rel_err"] = max_rel_err(lrjit_out[:k_np], reference)
        contenders[f"numpy:{w.family}"] = lambda w=w, rows_np=rows_np: w.numpy_curves(rows_np, steps_np)

        if w.make_optax is not None:
            k_opt = max(1, min(k, args.optax_k))
            jitted = [jax.jit(w.make_optax(i)) for i in range(k_opt)]
            first = [_time_once(lambda g=g: g(steps_jax)) for g in jitted]
            row["optax_K"] = k_opt
            row["optax_first_call_s_per_config"] = statistics.fmean(first)
            optax_out = np.stack([np.asarray(g(steps_jax)) for g in jitted])
            row["optax_rel_err"] = max_rel_err(optax_out, reference[:k_opt])
            contenders[f"optax:{w.family}"] = lambda jitted=jitted: [g(steps_jax) for g in jitted]
        del lrjit_out, reference
        rows.append(row)

    times = _interleaved(contenders, args.repeats)
    elements = k * n
    floor_ns = {name: _ns_per_element(times[f"floor:{name}"], elements) for name in floors}
    for row in rows:
        fam = row["family"]
        ns = _ns_per_element(times[f"lrjit:{fam}"], elements)
        steady = statistics.median(times[f"lrjit:{fam}"])
        row.update(
            steady_s=steady,
            steady_min_s=min(times[f"lrjit:{fam}"]),
            ns_per_elem=statistics.median(ns),
            floor_cos_ns=statistics.median(floor_ns["cos"]),
            floor_write_ns=statistics.median(floor_ns["write"]),
            x_cos_floor=_per_round_ratio(ns, floor_ns["cos"]),
            x_write_floor=_per_round_ratio(ns, floor_ns["write"]),
        )
        row["rounds_s"] = {
            name: times[key]
            for name, key in [
                ("lrjit", f"lrjit:{fam}"),
                ("floor_cos", "floor:cos"),
                ("floor_write", "floor:write"),
                ("optax", f"optax:{fam}"),
                ("numpy", f"numpy:{fam}"),
            ]
            if key in times
        }
        np_ns = _ns_per_element(times[f"numpy:{fam}"], row["numpy_K"] * n)
        row.update(numpy_ns_per_elem=statistics.median(np_ns), lrjit_over_numpy=_per_round_ratio(ns, np_ns))
        if f"optax:{fam}" in times:
            opt_ns = _ns_per_element(times[f"optax:{fam}"], row["optax_K"] * n)
            row.update(
                optax_ns_per_elem=statistics.median(opt_ns), lrjit_over_optax=_per_round_ratio(ns, opt_ns)
            )
    return rows


# ------------------------------------------------------------------------------------------ output
def _fmt(x: Any, spec: str = ".3g") -> str:
    if x is None:
        return "-"
    if isinstance(x, float):
        if math.isinf(x):
            return "inf"
        return format(x, spec)
    return str(x)


def print_table(title: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """A plain fixed-width table: first column left-aligned, the rest right-aligned."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    print(f"\n{title}")
    print(line(header))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print(line(r))


def print_environment(env: dict[str, Any]) -> None:
    """The run's header: devices, versions, CPUs, the load average at the start and XLA_FLAGS."""
    print(f"devices: {env['devices']}")
    print(
        f"jax {env['jax']} (jaxlib {env['jaxlib']}), numpy {env['numpy']}, optax {env['optax'] or 'absent'}, "
        f"lrjit {env['lrjit']}, python {env['python']}"
    )
    print(
        f"cpu_count: {env['cpu_count']} (usable: {env.get('cpus_usable', '?')}), "
        f"load average at start: {env.get('loadavg_start')}, XLA_FLAGS={env['XLA_FLAGS'] or '(unset)'}"
    )


def environment() -> dict[str, Any]:
    """Device, versions, CPU count and load: what a reader needs to compare two runs."""
    info: dict[str, Any] = {
        "devices": [str(d) for d in jax.devices()],
        "jax": jax.__version__,
        "jaxlib": getattr(jax.lib, "__version__", None) or _version("jaxlib"),
        "numpy": np.__version__,
        "optax": getattr(optax, "__version__", None) if optax is not None else None,
        "lrjit": lrjit.__version__,
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "XLA_FLAGS": os.environ.get("XLA_FLAGS", ""),
    }
    if hasattr(os, "sched_getaffinity"):
        info["cpus_usable"] = len(os.sched_getaffinity(0))
    if hasattr(os, "getloadavg"):
        info["loadavg_start"] = os.getloadavg()
    return info


def _version(dist: str) -> str | None:
    try:
        from importlib.metadata import version

        return version(dist)
    except Exception:
        return None


def report(rows: list[dict[str, Any]], op_rows: list[dict[str, Any]], env: dict[str, Any]) -> None:
    """Prints the result tables."""
    have_optax = any("optax_ns_per_elem" in r for r in rows)
    main = []
    for r in rows:
        c = r["census"]
        fus = f"{c['matrix_fusions']}/{c['fusions']}" + (f"+{len(c['other_ops'])}" if c["other_ops"] else "")
        cells = [
            r["family"],
            str(r["K"]),
            str(r["N"]),
            _fmt(r["first_call_s"], ".2f"),
            _fmt(r["steady_s"] * 1e3, ".1f"),
            _fmt(r["ns_per_elem"], ".2f"),
            _fmt(r["x_cos_floor"], ".2f"),
            _fmt(r["x_write_floor"], ".1f"),
            fus,
        ]
        if have_optax:
            cells += [
                f"{_fmt(r.get('optax_ns_per_elem'), '.2f')} (K={r.get('optax_K', '-')})",
                _fmt(r.get("lrjit_over_optax"), ".2f"),
            ]
        cells += [
            f"{_fmt(r['numpy_ns_per_elem'], '.2f')} (K={r['numpy_K']})",
            _fmt(r["lrjit_over_numpy"], ".3f"),
        ]
        main.append(cells)
    header = [
        "family",
        "K",
        "N",
        "1st call s",
        "ms/call",
        "ns/elem",
        "x cos-floor",
        "x write-floor",
        "fusions",
    ]
    if have_optax:
        header += ["optax ns/elem", "lrjit/optax"]
    header += ["numpy64 ns/elem", "lrjit/numpy"]
    print_table("lrjit.curves vs floors and peers (steady state: median of interleaved rounds)", header, main)

    floors = {(r["K"], r["N"]): (r["floor_cos_ns"], r["floor_write_ns"]) for r in rows}
    print_table(
        "XLA floors for the same [K, N] float32 output",
        ["K", "N", "cos-floor ns/elem", "write-floor ns/elem", "cos/write"],
        [
            [str(k), str(n), _fmt(c, ".2f"), _fmt(w, ".2f"), _fmt(c / w, ".1f")]
            for (k, n), (c, w) in floors.items()
        ],
    )

    extra = []
    for r in rows:
        c = r["census"]
        extra.append(
            [
                r["family"],
                str(r["K"]),
                str(r["N"]),
                _fmt(r["xla_compile_s"], ".2f"),
                _fmt(r["build_s"], ".3f"),
                _fmt(r["stack_s"], ".3f"),
                str(c["matrix_ops"]),
                _heavy_text(c["heavy_ops"]),
                ",".join(c["other_ops"]) or "-",
                _fmt(r.get("optax_first_call_s_per_config"), ".3f"),
                _fmt(r["lrjit_rel_err"], ".1e"),
                _fmt(r.get("optax_rel_err"), ".1e"),
            ]
        )
    print_table(
        "Compile, kernel census and agreement with numpy float64",
        [
            "family",
            "K",
            "N",
            "XLA compile s",
            "build s",
            "stack s",
            "KxN ops",
            "heavy ops per element",
            "other kernels",
            "optax 1st call s/cfg",
            "lrjit rel err",
            "optax rel err",
        ],
        extra,
    )

    if op_rows:
        print_table(
            f"Primitive ops over [{op_rows[0]['K']}, {op_rows[0]['N']}] float32 (one jitted kernel each)",
            ["op", "ns/elem", "x write-floor"],
            [[o["op"], _fmt(o["ns_per_elem"], ".2f"), _fmt(o["x_write_floor"], ".1f")] for o in op_rows],
        )
    if "loadavg_start" in env:
        print(f"\nload average: start {env['loadavg_start']}, end {env.get('loadavg_end')}")


def run_ops(k: int, n: int, repeats: int, rng: np.random.Generator) -> list[dict[str, Any]]:
    """Per-element cost of single primitive ops, with the write floor timed in the same rounds."""
    kernels = {"write-floor": make_floors(k, n, rng)["write"], **make_op_kernels(k, n)}
    times = _interleaved(kernels, repeats)
    write = _ns_per_element(times["write-floor"], k * n)
    out = []
    for name in kernels:
        if name == "write-floor":
            continue
        ns = _ns_per_element(times[name], k * n)
        out.append(
            {
                "op": name,
                "K": k,
                "N": n,
                "ns_per_elem": statistics.median(ns),
                "x_write_floor": _per_round_ratio(ns, write),
            }
        )
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: runs the benchmark, prints the tables, optionally writes JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small shapes, a smoke run of a few seconds")
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    parser.add_argument("--repeats", type=int, help="timed rounds per contender (default 7, quick 3)")
    parser.add_argument("--optax-k", type=int, help="configs evaluated through optax (default 16, quick 2)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    args.repeats = args.repeats or (3 if args.quick else 7)
    args.optax_k = args.optax_k or (2 if args.quick else 16)
    shapes = QUICK_SHAPES if args.quick else FULL_SHAPES
    op_shape = (16, 2**12) if args.quick else (64, 2**17)

    env = environment()
    print_environment(env)
    optax_note = (
        f"optax configs per workload: {args.optax_k}" if optax is not None else "optax absent: skipped"
    )
    print(f"shapes: {list(shapes)}, repeats: {args.repeats}, {optax_note}")

    # Start-up costs (backend init, first dispatch) belong to no workload.
    jax.block_until_ready(lrjit.curves(lrjit.CosineDecay(0.1, 10), 8))

    rng = np.random.default_rng(args.seed)
    t_start = time.perf_counter()
    rows: list[dict[str, Any]] = []
    for k, n in shapes:
        t0 = time.perf_counter()
        rows.extend(run_shape(k, n, args, rng))
        print(f"  measured K={k} N={n} in {time.perf_counter() - t0:.1f} s", flush=True)
    op_rows = run_ops(*op_shape, args.repeats, rng)
    if hasattr(os, "getloadavg"):
        env["loadavg_end"] = os.getloadavg()
    env["total_s"] = time.perf_counter() - t_start
    report(rows, op_rows, env)
    print(f"total {env['total_s']:.1f} s")
    if args.json:
        args.json.write_text(json.dumps({"environment": env, "workloads": rows, "ops": op_rows}, indent=2))
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
