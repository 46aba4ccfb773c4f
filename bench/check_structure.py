"""Checks, on whatever backend JAX runs on, that every family's curve matrix is one fused kernel.

Run from the repository root::

    python bench/check_structure.py            # K=4 configs x N=1000 steps, as tests/test_fusion.py
    python bench/check_structure.py --k 64 --n 100000

For every registered family and composition (``lrjit.registry()``), K configs drawn with
``cls.sample(rng, vector_len=3)`` (the configs of tests/test_fusion.py) and the compositions that test adds,
batched with ``lrjit.stack``, it compiles ``lrjit.curves(batch, N)`` on ``jax.default_backend()`` and reads
the ENTRY computation of the optimized HLO (``bench_curves.parse_hlo``). A family passes when

* exactly one ENTRY fusion has K * N elements or more (the one producing the [K, N] output), and
* no other ENTRY instruction (besides parameters, constants, bitcasts and tuples) has K * N elements or more:
  no curve-sized intermediate buffer goes through memory.

It prints one row per family (fusions in ENTRY, matrix-sized ENTRY instructions, the largest other ENTRY
buffer and its type, ok) and exits 1 if any family fails. tests/test_fusion.py and tests/test_piece_count.py
assert this on CPU (test_piece_count allows a stacked sequence's integer piece index; this script does not):
this script is the check to run on an accelerator.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import jax
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_curves

import lrjit

# ENTRY instructions that hold no buffer of their own (a bitcast aliases its operand).
FREE_OPS = frozenset({"parameter", "constant", "bitcast", "tuple", "get-tuple-element"})


def compositions() -> dict[str, Callable[[np.random.Generator], lrjit.Schedule]]:
    """The compositions tests/test_fusion.py checks beyond the registry (empty if it cannot be imported)."""
    tests = Path(__file__).resolve().parents[1] / "tests"
    sys.path.insert(0, str(tests))
    try:
        import test_fusion
    except Exception as e:  # pragma: no cover - pytest absent, or the test moved
        print(f"note: tests/test_fusion.py not importable ({type(e).__name__}); registry only")
        return {}
    finally:
        sys.path.remove(str(tests))
    return dict(test_fusion.COMPOSITIONS)


def inspect_program(batch: lrjit.Schedule, n: int) -> dict[str, object]:
    """Fusions and the largest non-output buffer of the optimized ENTRY computation of curves(batch, n)."""
    k = lrjit.batch_size(batch) or 1
    text = jax.jit(lrjit.curves, static_argnums=1).lower(batch, n).compile().as_text()
    entry, comps = bench_curves.parse_hlo(text)
    instructions = [i for i in comps.get(entry, []) if i.opcode not in FREE_OPS]
    fusions = [i for i in instructions if i.opcode == "fusion"]
    matrix = [i for i in instructions if i.elements >= k * n]
    output = [i for i in matrix if i.opcode == "fusion" and i.shape.startswith("f")]
    others = [i for i in instructions if not (len(output) == 1 and i is output[0])]
    largest = max(others, key=lambda i: i.elements, default=None)
    ok = len(matrix) == 1 and len(output) == 1
    return {
        "fusions": len(fusions),
        "matrix": len(matrix),
        "largest": largest.elements if largest else 0,
        "largest_what": f"{largest.opcode} {largest.shape.split('{')[0]}" if largest else "-",
        "matrix_what": ", ".join(f"{i.opcode} {i.shape.split('{')[0]}" for i in matrix),
        "ok": ok,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--k", type=int, default=4, help="configs per batch (default 4)")
    parser.add_argument("--n", type=int, default=1000, help="steps (default 1000)")
    parser.add_argument("--seed", type=int, default=7, help="the configs' seed (default 7, as the test)")
    args = parser.parse_args(argv)

    env = bench_curves.environment()
    bench_curves.print_environment(env)
    print(f"backend: {jax.default_backend()}, K={args.k}, N={args.n}")

    builders: dict[str, Callable[[np.random.Generator], lrjit.Schedule]] = {}
    for name, cls in sorted(lrjit.registry().items()):
        builders[name] = lambda rng, cls=cls: cls.sample(rng, vector_len=3)
    for name, build in compositions().items():
        builders[f"composition: {name}"] = build

    rows, failed = [], []
    for name, build in builders.items():
        rng = np.random.default_rng(args.seed)
        try:
            batch = lrjit.stack([build(rng) for _ in range(args.k)])
            r = inspect_program(batch, args.n)
        except Exception as e:  # a family that does not build or compile is a failure, reported
            r = {"fusions": "-", "matrix": "-", "largest": 0, "largest_what": type(e).__name__, "ok": False}
            r["matrix_what"] = str(e).splitlines()[0][:80] if str(e) else ""
        if not r["ok"]:
            failed.append((name, r["matrix_what"]))
        rows.append(
            [
                name,
                str(r["fusions"]),
                str(r["matrix"]),
                str(r["largest"]),
                r["largest_what"],
                f"{r['largest'] / (args.k * args.n):.3g}",
                "ok" if r["ok"] else "FAIL",
            ]
        )
    bench_curves.print_table(
        f"One fused kernel per curve matrix on {jax.default_backend()} (ENTRY of the optimized HLO of "
        f"lrjit.curves, K={args.k}, N={args.n})",
        ["family", "fusions", ">=KxN", "largest other", "its op and type", "/ (K*N)", "ok"],
        rows,
    )
    print(f"\n{len(rows) - len(failed)} of {len(rows)} ok")
    for name, what in failed:
        print(f"FAIL {name}: matrix-sized ENTRY instructions: {what}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
