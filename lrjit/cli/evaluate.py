"""``lrjit eval SPEC (--at S,S,... | --steps N) [--format csv|json]``: the learning rate at given steps."""

from __future__ import annotations

import argparse
import json

import numpy as np

from lrjit.cli.common import SPEC_HELP, format_number, load, step_count
from lrjit.sweep import curves

__all__ = ["add_parser", "run", "step_list"]


def step_list(text: str) -> np.ndarray:
    """argparse type of ``--at``: comma-separated integer steps >= 0."""
    try:
        steps = [int(part.strip().replace("_", "")) for part in text.split(",")]
    except ValueError:
        steps = [-1]
    if not steps or min(steps) < 0 or max(steps) > np.iinfo(np.int32).max:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated integer steps from 0 to {np.iinfo(np.int32).max}, got {text!r}"
        )
    return np.asarray(steps)


def add_parser(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "eval",
        help="the learning rate at given steps, as CSV or JSON",
        description="The learning rate at the steps of --at or at steps 0..N-1 (--steps N): CSV with a "
        "`step` column and one `lr` column per config, or JSON {spec, steps, lr} (lr is a list per "
        "config for a batch or sweep). Values are the shortest decimals that read back to the float32 "
        "(or float64) values exactly.",
    )
    p.add_argument("spec", metavar="SPEC", help=SPEC_HELP)
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--at", type=step_list, metavar="S,S,...", help="steps, e.g. 0,100,1000")
    where.add_argument("--steps", type=step_count, metavar="N", help="steps 0..N-1")
    p.add_argument("--format", choices=("csv", "json"), default="csv", help="output format (default csv)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    schedule = load(args.spec)
    steps = args.at if args.at is not None else np.arange(args.steps)
    values = np.asarray(curves(schedule, steps))
    batched = values.ndim == 2
    if args.format == "json":
        rates = [[float(format_number(x)) for x in row] for row in np.atleast_2d(values)]
        print(json.dumps({"spec": args.spec, "steps": steps.tolist(), "lr": rates if batched else rates[0]}))
        return 0
    columns = [f"lr[{i}]" for i in range(values.shape[0])] if batched else ["lr"]
    print(",".join(["step", *columns]))
    for j, step in enumerate(steps):
        cells = values[:, j] if batched else values[j : j + 1]
        print(",".join([str(int(step)), *(format_number(x) for x in cells)]))
    return 0
