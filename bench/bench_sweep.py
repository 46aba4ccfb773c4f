"""Sweep benchmark: building search spaces, reductions over K x N that never hold the matrix, and streaming
curves to disk, in one process.

Run from the repository root::

    python bench/bench_sweep.py --quick     # small sizes, a smoke run of seconds (asserts no speed)
    python bench/bench_sweep.py             # 10**6 configs: construction, and reduce over 10**5 steps

Sections (one plain-text table each):

1. construction: ``lrjit.random`` and ``lrjit.grid`` of one family with every axis varied, seconds per
   call (median of rounds) for K configs, validation included;
2. reductions: ``lrjit.reduce`` (min, max, their steps, sum, mean, a first crossing) of K configs over
   N steps: wall time, elements per second, ns per element, and the ratio to the one-kernel curve matrix
   of the same family on a [4096, N] shape (the time to write the curves once), with the process's peak
   resident memory before and after (the K x N float32 matrix would need K * N * 4 bytes);
3. streaming: ``lrjit.curves(..., out=path.npy)`` of a [K, N] matrix in 256 MiB blocks, GB/s to disk.

Before timing, the reductions of a small slice are compared with NumPy on the materialized matrix.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import jax
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_curves import environment, print_environment, print_table

import lrjit

TEMPLATE = lrjit.CosineDecay(0.0, decay_steps=90_000, alpha=0.0, warmup_target=0.1, warmup_steps=1_000)


def space(k: int) -> lrjit.Schedule:
    return lrjit.random(
        TEMPLATE,
        k,
        0,
        warmup_target=lrjit.log_uniform(1e-4, 1.0),
        decay_steps=lrjit.integers(1_000, 100_000),
        warmup_steps=lrjit.integers(0, 5_000),
        alpha=lrjit.uniform(0.0, 0.1),
    )


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def median_seconds(fn: Callable[[], Any], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        jax.block_until_ready(fn())
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def construction(k: int, rounds: int) -> list[list[str]]:
    side = round(k**0.5)
    grid_axes = {
        "warmup_target": np.geomspace(1e-4, 1.0, side),
        "decay_steps": np.arange(1_000, 1_000 + side),
    }
    rows = []
    for name, fn in (
        (f"random, 4 axes, K={k:,}", lambda: space(k)),
        (f"grid, 2 axes, K={side * side:,}", lambda: lrjit.grid(TEMPLATE, **grid_axes)),
    ):
        fn()
        rows.append([name, f"{median_seconds(fn, rounds):.3f}"])
    return rows


def check_reduce(n: int) -> None:
    batch = space(64)
    full = np.asarray(lrjit.curves(batch, n))
    r = lrjit.reduce(batch, n, first_below=0.01, max_elements=4096)
    assert np.array_equal(r["max"], full.max(1)) and np.array_equal(r["argmax"], full.argmax(1))
    assert np.array_equal(r["min"], full.min(1)) and np.array_equal(r["argmin"], full.argmin(1))
    assert np.allclose(r["sum"], full.astype(np.float64).sum(1), rtol=1e-6)


def reductions(k: int, n: int, rounds: int) -> list[list[str]]:
    batch = space(k)
    floor_k = min(k, 4096)
    floor = space(floor_k)
    lrjit.curves(floor, n).block_until_ready()
    floor_s = median_seconds(lambda: lrjit.curves(floor, n), rounds)
    floor_ns = floor_s * 1e9 / (floor_k * n)
    lrjit.reduce(floor, n, first_below=0.01)  # compiles the kernels of the run's block shape
    rss_before = peak_rss_mib()
    start = time.perf_counter()
    result = lrjit.reduce(batch, n, first_below=0.01)
    seconds = time.perf_counter() - start
    rss_after = peak_rss_mib()
    elements = k * n
    assert result["argmax"].shape == (k,)
    return [
        [
            f"K={k:,} x N={n:,}",
            f"{seconds:.1f}",
            f"{elements / seconds / 1e9:.2f}",
            f"{seconds * 1e9 / elements:.2f}",
            f"{floor_ns:.2f}",
            f"{seconds * 1e9 / elements / floor_ns:.2f}x",
            f"{rss_before:.0f} -> {rss_after:.0f}",
            f"{elements * 4 / 2**30:,.0f}",
        ]
    ]


def streaming(k: int, n: int) -> list[list[str]]:
    batch = space(k)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "curves.npy")
        lrjit.curves(batch, n, out=path)  # compile, and the file's pages
        start = time.perf_counter()
        lrjit.curves(batch, n, out=path)
        seconds = time.perf_counter() - start
        ok = np.array_equal(
            np.load(path, mmap_mode="r")[-3:],
            np.asarray(lrjit.curves(lrjit.core.take(batch, slice(k - 3, k)), n)),
        )
    assert ok
    gigabytes = k * n * 4 / 1e9
    return [[f"K={k:,} x N={n:,} ({gigabytes:.2f} GB)", f"{seconds:.2f}", f"{gigabytes / seconds:.2f}"]]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--reduce-k", type=int, default=None, help="configs reduced (default 10**6)")
    args = parser.parse_args(argv)
    k_build, k_reduce, n_reduce, k_stream, n_stream = (
        (10**4, 2_000, 10**4, 256, 10**4) if args.quick else (10**6, 10**6, 10**5, 2_000, 10**5)
    )
    k_reduce = args.reduce_k or k_reduce
    print_environment(environment())
    check_reduce(3_000)
    print_table(
        "construction (seconds, median of rounds)",
        ["search space", "seconds"],
        construction(k_build, args.rounds),
    )
    print_table(
        "reductions: lrjit.reduce (min, argmin, max, argmax, sum, mean, first_below), one run",
        [
            "shape",
            "seconds",
            "Gelem/s",
            "ns/elem",
            "curves ns/elem",
            "ratio",
            "peak RSS MiB",
            "K x N f32 GiB",
        ],
        reductions(k_reduce, n_reduce, args.rounds),
    )
    print_table(
        "streaming: lrjit.curves(..., out=.npy), 256 MiB blocks",
        ["shape", "seconds", "GB/s"],
        streaming(k_stream, n_stream),
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
