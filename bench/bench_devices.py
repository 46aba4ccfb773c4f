"""Benchmark of a sharded sweep: ``lrjit.curves`` of K configs on one device against K / D configs on each
of D forced CPU devices (``lrjit.sweep.devices.shard``).

Run from the repository root::

    python bench/bench_devices.py            # K=4096 CosineDecayRestarts x N=100_000 float32 (1.6 GB/call)
    python bench/bench_devices.py --quick    # K=256 x N=10_000: a smoke run of seconds

The device count is fixed when JAX starts, so each device count runs in its own subprocess of this script
(``XLA_FLAGS=--xla_force_host_platform_device_count=D JAX_PLATFORMS=cpu``). Each child builds the same
seeded sweep, times the first call (trace, compile, run) and then ``--repeats`` calls (each waited for with
``block_until_ready``) and reports their median; the child with D devices also times the unsharded sweep
on its first device. Each child hashes a sample of rows of its curves: the sharded and unsharded results
must be bitwise equal (an AssertionError otherwise).

Forced host devices are not cores: D CPU devices share the machine's cores (and XLA:CPU already spreads one
device's large kernels over several threads), so on a 2-core machine 8 devices cannot run 8 times faster;
the table says how many CPUs there were. On GPUs or TPUs each device is its own chip.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout without installing


def _sweep(k: int, n: int) -> Any:
    import lrjit

    return lrjit.random(
        lrjit.CosineDecayRestarts(0.1, 100),
        k,
        0,
        initial_learning_rate=lrjit.log_uniform(1e-4, 1.0),
        first_decay_steps=lrjit.integers(max(1, n // 1000), max(2, n // 10)),
        m_mul=lrjit.uniform(0.3, 1.0),
        alpha=lrjit.uniform(0.0, 0.5),
    )


def _time(fn: Any, repeats: int) -> tuple[float, float, list[float]]:
    """(first call in s: trace, compile and run; median of ``repeats`` later calls in s; every round)."""
    start = time.perf_counter()
    out = fn()
    out.block_until_ready()
    first = time.perf_counter() - start
    del out
    rounds = []
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        out.block_until_ready()
        rounds.append(time.perf_counter() - start)
        del out  # one [K, N] matrix alive at a time
    return first, statistics.median(rounds), rounds


def _sample_hash(curves: Any, k: int) -> str:
    """SHA-256 of the bits of 64 evenly spaced rows (whole rows, every step), gathered to the host."""
    import numpy as np

    from lrjit.sweep.devices import gather

    rows = gather(curves[:: max(1, k // 64)])
    return hashlib.sha256(np.ascontiguousarray(rows).tobytes()).hexdigest()[:16]


def child(k: int, n: int, repeats: int) -> list[dict[str, Any]]:
    import jax

    import lrjit
    from lrjit.sweep.devices import shard

    devices = jax.device_count()
    sweep = _sweep(k, n)
    runs = []
    contenders: dict[str, Any] = {}
    if devices == 1:
        contenders["unsharded"] = sweep
    else:
        contenders["sharded"] = shard(sweep)
        contenders["unsharded, first device"] = jax.device_put(sweep, jax.devices()[0])
    for label, schedule in contenders.items():
        first, median, rounds = _time(lambda s=schedule: lrjit.curves(s, n), repeats)
        digest = _sample_hash(lrjit.curves(schedule, n), k)
        runs.append(
            {
                "devices": devices,
                "run": label,
                "k": k,
                "n": n,
                "first_s": first,
                "median_s": median,
                "rounds_s": rounds,
                "ns_per_element": median / (k * n) * 1e9,
                "sample_sha256": digest,
            }
        )
    return runs


def _run_child(devices: int, k: int, n: int, repeats: int) -> list[dict[str, Any]]:
    env = dict(os.environ)
    flag = f"--xla_force_host_platform_device_count={devices}"
    env["XLA_FLAGS"] = f"{env.get('XLA_FLAGS', '')} {flag}".strip()
    env["JAX_PLATFORMS"] = "cpu"
    args = [sys.executable, __file__, "--child", str(k), str(n), str(repeats)]
    proc = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"the {devices}-device run failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="K=256 x N=10_000")
    parser.add_argument("--devices", type=int, default=8, help="forced CPU devices of the sharded run")
    parser.add_argument("--repeats", type=int, default=None, help="timed calls per run (default 3)")
    parser.add_argument("--json", type=Path, default=None, help="also write every number to this file")
    parser.add_argument("--child", nargs=3, type=int, metavar=("K", "N", "REPEATS"), help=argparse.SUPPRESS)
    opts = parser.parse_args()
    if opts.child:
        print(json.dumps(child(*opts.child)))
        return
    k, n = (256, 10_000) if opts.quick else (4096, 100_000)
    repeats = opts.repeats or 3  # a full call takes seconds on a CPU
    load_before = os.getloadavg()
    runs = _run_child(1, k, n, repeats) + _run_child(opts.devices, k, n, repeats)
    digests = {r["sample_sha256"] for r in runs}
    assert len(digests) == 1, f"the runs' curves differ: {[(r['run'], r['sample_sha256']) for r in runs]}"

    import jax

    base = runs[0]["median_s"]
    print(f"jax {jax.__version__}, {platform.machine()} {platform.processor() or '?'}, {os.cpu_count()} CPUs")
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"({usable} usable), load average {load_before[0]:.2f} before, ", end="")
    print(f"{os.getloadavg()[0]:.2f} after; CosineDecayRestarts K={k} x N={n:_} float32, median of {repeats}")
    print()
    print("| devices | run | first call (s) | median (ms) | ns/element | time vs 1 device |")
    print("| ---: | --- | ---: | ---: | ---: | ---: |")
    for r in runs:
        print(
            f"| {r['devices']} | {r['run']} | {r['first_s']:.2f} | {r['median_s'] * 1e3:.1f} "
            f"| {r['ns_per_element']:.3f} | {r['median_s'] / base:.2f} |"
        )
    print()
    print(f"curves bitwise equal across runs (sha256 of 64 sampled rows: {digests.pop()})")
    if opts.json:
        opts.json.write_text(json.dumps({"jax": jax.__version__, "runs": runs}, indent=1))


if __name__ == "__main__":
    main()
