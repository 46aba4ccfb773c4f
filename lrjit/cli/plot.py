"""``lrjit plot SPEC... [--steps N] [--log] [-o FILE]``: the curves overlaid, written to a PNG, SVG or PDF."""

from __future__ import annotations

import argparse
import os

from lrjit.cli.common import SPEC_HELP, CliError, load, step_count
from lrjit.viz import BAND_ABOVE, plot

__all__ = ["DEFAULT_OUTPUT", "add_parser", "run"]

DEFAULT_OUTPUT = "lrjit_plot.png"
_FORMATS = (".png", ".svg", ".pdf")


def add_parser(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "plot",
        help="the curves overlaid in one figure (needs matplotlib)",
        description="Learning rate against step, one legend entry per SPEC (its text), written to a file "
        f"(default {DEFAULT_OUTPUT}; never a window). A batch or sweep is one line per config, or its "
        f"median and min-max band beyond {BAND_ABOVE} configs (lrjit.plot).",
    )
    p.add_argument("specs", nargs="+", metavar="SPEC", help=SPEC_HELP)
    p.add_argument(
        "--steps", type=step_count, default=10_000, metavar="N", help="steps 0..N-1 (default: 10000)"
    )
    p.add_argument("--log", action="store_true", help="a logarithmic learning-rate axis")
    p.add_argument(
        "-o",
        "--output",
        default=DEFAULT_OUTPUT,
        metavar="FILE",
        help=f"a .png, .svg or .pdf (default {DEFAULT_OUTPUT})",
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if os.path.splitext(args.output)[1].lower() not in _FORMATS:
        raise CliError(f"argument -o/--output: expected a .png, .svg or .pdf file, got {args.output!r}")
    schedules = [load(text) for text in args.specs]
    try:
        import matplotlib

        matplotlib.use("Agg")  # files only: no display needed
        import matplotlib.pyplot as plt
    except ImportError:
        raise CliError("lrjit plot needs matplotlib: pip install 'lrjit[plot]'") from None
    ax = plot(schedules, args.steps, log=args.log, labels=args.specs)
    ax.figure.tight_layout()
    try:
        ax.figure.savefig(args.output, dpi=110)
    except OSError as e:
        raise CliError(f"argument -o/--output: cannot write {args.output!r} ({e.strerror or e})") from None
    finally:
        plt.close(ax.figure)
    print(f"wrote {args.output}")
    return 0
