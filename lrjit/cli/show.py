"""``lrjit show SPEC... [--steps N]``: one row per config: step 0, peak and its step, final, min, and a
sparkline of the curve."""

from __future__ import annotations

import argparse

import numpy as np

from lrjit.cli.common import SPEC_HELP, labels_of, load, step_count
from lrjit.core import Summary
from lrjit.sweep import curves

__all__ = ["BLOCKS", "add_parser", "run", "sparkline"]

BLOCKS = "▁▂▃▄▅▆▇█"
WIDTH = 40


def add_parser(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "show",
        help="a table of each schedule's landmarks and a sparkline",
        description="One row per schedule (per config of a batch or sweep): the value at step 0, the peak "
        "and its step, the final value, the minimum, and a sparkline of the curve (the mean of each of "
        f"{WIDTH} equal spans of steps, scaled to the row's own range).",
    )
    p.add_argument("specs", nargs="+", metavar="SPEC", help=SPEC_HELP)
    p.add_argument(
        "--steps", type=step_count, default=10_000, metavar="N", help="steps 0..N-1 (default: 10000)"
    )
    p.set_defaults(run=run)


def sparkline(values: np.ndarray, width: int = WIDTH) -> str:
    """The curve in ``width`` characters: the mean of each of ``width`` equal spans of steps, as one of
    eight block heights between the spans' smallest and largest means (a flat curve is mid-height)."""
    y = np.asarray(values, np.float64)
    width = min(width, len(y))
    edges = np.linspace(0, len(y), width + 1).astype(int)
    means = np.add.reduceat(y, edges[:-1]) / np.diff(edges)
    finite = np.isfinite(means)
    if not finite.any():
        return " " * width
    low, high = means[finite].min(), means[finite].max()
    span = high - low
    if span <= 1e-9 * max(abs(high), abs(low)):  # flat (up to float rounding)
        level = np.full(width, 3)
    else:
        level = np.clip(np.floor(np.where(finite, (means - low) / span, 0) * 8), 0, 7).astype(int)
    return "".join(BLOCKS[v] if ok else " " for v, ok in zip(level, finite, strict=True))


def run(args: argparse.Namespace) -> int:
    loaded = [(text, load(text)) for text in args.specs]  # every SPEC checked before any output
    rows = []
    for text, schedule in loaded:
        y = np.atleast_2d(np.asarray(curves(schedule, args.steps)))
        s = Summary.from_curves(y)
        for i, label in enumerate(labels_of(text, schedule)):
            numbers = [s.step0[i], s.peak[i], s.peak_step[i], s.final[i], s.min[i]]
            rows.append([label, *(f"{x:.5g}" for x in numbers), sparkline(y[i])])
    header = ["spec", "step 0", "peak", "at step", "final", "min", f"curve (steps 0..{args.steps - 1})"]
    widths = [max(len(r[c]) for r in [header, *rows]) for c in range(len(header) - 1)]
    for r in [header, *rows]:
        cells = [r[0].ljust(widths[0]), *(v.rjust(w) for v, w in zip(r[1:-1], widths[1:], strict=True))]
        print("  ".join([*cells, r[-1]]).rstrip())
    return 0
