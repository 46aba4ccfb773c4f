"""The demo: every family at a representative config, as a table and (with matplotlib) a PNG gallery.

Run ``python -m lrjit.demo [--out DIR] [--steps N]``.
"""

from __future__ import annotations

import argparse
import math
import os
import pathlib
import runpy
import sys
from collections.abc import Sequence

import numpy as np

import lrjit
from lrjit.core import Summary
from lrjit.examples import EXAMPLE_STEPS, examples


def curve_table(curves: dict[str, np.ndarray]) -> str:
    """A fixed-width table: family, value at step 0, peak (and its step), final value."""
    header = f"{'family':<24} {'step 0':>11} {'peak':>11} {'at step':>8} {'final':>11}"
    rows = [header, "-" * len(header)]
    for name, y in curves.items():
        s = Summary.from_curves(y)
        rows.append(f"{name:<24} {s.step0:>11.5g} {s.peak:>11.5g} {s.peak_step:>8d} {s.final:>11.5g}")
    return "\n".join(rows)


def write_gallery(curves: dict[str, np.ndarray], path: str) -> bool:
    """Writes one PNG with a panel per family; returns False when matplotlib is absent."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    cols = 4
    rows = math.ceil(len(curves) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 2.6 * rows), squeeze=False)
    for ax, (name, y) in zip(axes.flat, curves.items(), strict=False):
        ax.plot(np.arange(len(y)), y, lw=1.2)
        ax.set_title(name, fontsize=10)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(curves) :]:
        ax.axis("off")
    fig.suptitle("lrjit: every family and composition at a representative config (learning rate vs step)")
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.4 / fig.get_figheight()))  # room for the title
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lrjit.demo", description=__doc__)
    parser.add_argument("--out", default="out", help="folder for gallery.png (default: out)")
    parser.add_argument("--steps", type=int, default=EXAMPLE_STEPS, help="steps per curve")
    parser.add_argument(
        "--train-steps",
        type=int,
        default=1000,
        help="steps of the training example (examples/train_warmup_cosine.py); 0 skips it",
    )
    args = parser.parse_args(argv)

    scheds = examples()
    missing = sorted(set(lrjit.registry()) - set(scheds))
    if missing:
        print(f"note: no example config for {', '.join(missing)}", file=sys.stderr)
    curves = {name: np.asarray(lrjit.curves(s, args.steps)) for name, s in scheds.items()}
    print(f"lrjit {lrjit.__version__}: {len(curves)} families, steps 0..{args.steps - 1}\n")
    print(curve_table(curves))

    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "gallery.png")
    if write_gallery(curves, path):
        print(f"\ngallery: {path}")
    else:
        print("\n(matplotlib not installed: no gallery; pip install 'lrjit[plot]')")
    if args.train_steps > 0:
        run_training_example(args.train_steps)
    return 0


def run_training_example(steps: int) -> None:
    """Runs examples/train_warmup_cosine.py (warmup + cosine through optax) from a source checkout."""
    path = pathlib.Path(__file__).resolve().parents[1] / "examples" / "train_warmup_cosine.py"
    if not path.exists():
        print(f"\n(training example not found at {path}: it ships with the source checkout)")
        return
    print(f"\ntraining a small MLP for {steps} steps with warmup + cosine through optax ({path.name}):")
    example = runpy.run_path(str(path))
    example["train"](steps=steps, warmup=max(steps // 20, 1), log_every=max(steps // 10, 1))


if __name__ == "__main__":
    raise SystemExit(main())
