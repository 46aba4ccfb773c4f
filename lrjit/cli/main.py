"""The ``lrjit`` console script (also ``python -m lrjit``): argparse, one subcommand per module."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from lrjit.cli import convert, evaluate, families, plot, show
from lrjit.cli.common import CliError

__all__ = ["build_parser", "main"]

EXAMPLES = """\
examples:
  lrjit show "warmup(CosineDecay(0.1, 10_000), steps=500)" "OneCycleLR(0.1, total_steps=10_000)"
  lrjit show "CosineDecay([0.1, 0.3, 1.0], 10_000)"      # a batch: one row per config
  lrjit plot "warmup(CosineDecay(0.1, 10_000), steps=500)" config.json --log -o curves.png
  lrjit eval "StepLR(0.1, step_size=1000)" --at 0,999,1000,5000 --format json
  lrjit convert keras_schedule.json                      # a Keras serialize() dict -> lrjit config + spec
  lrjit families

SPEC is the spec language (python -c "import lrjit.frontend.language as m; help(m)") or a JSON config
file. Bad input exits with status 2 and a message on stderr.
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lrjit",
        description="Learning-rate schedules from the command line: tables, plots, values, conversions.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (show, plot, evaluate, convert, families):
        module.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the command line (``argv`` defaults to ``sys.argv[1:]``); returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args))
    except CliError as e:
        print(f"lrjit {args.command}: error: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `lrjit eval ... | head`
        return 0
