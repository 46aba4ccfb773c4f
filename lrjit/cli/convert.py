"""``lrjit convert FILE_OR_JSON``: any schedule format lrjit reads, as an lrjit config and a spec."""

from __future__ import annotations

import argparse
import json

from lrjit.cli.common import CliError, load
from lrjit.core import unstack
from lrjit.frontend import to_spec
from lrjit.sweep import Sweep

__all__ = ["add_parser", "run"]


def add_parser(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "convert",
        help="a config (lrjit, Keras serialize(), ...) as an lrjit config and a spec",
        description="Reads a schedule in any form lrjit.compile reads (an lrjit JSON config, a Keras "
        "serialize() dict, a sweep config, or a spec) from a JSON file or inline JSON, and prints the "
        "lrjit config (JSON) and the spec (one per config where a batch has no one-line spec).",
    )
    p.add_argument("source", metavar="FILE_OR_JSON", help="a path to a JSON file, inline JSON, or a spec")
    p.add_argument(
        "--to",
        choices=("both", "config", "spec"),
        default="both",
        help="both (default; under '# config' and '# spec' headings), only the config, or only the spec",
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    schedule = load(args.source)
    config = schedule.to_config()
    try:
        if isinstance(schedule, Sweep):
            specs = [to_spec(s) for s in schedule]
        else:
            try:
                specs = [to_spec(schedule)]
            except ValueError:  # a batch whose vector leaves differ: one spec per config
                specs = [to_spec(s) for s in unstack(schedule)]
    except ValueError as e:
        raise CliError(f"FILE_OR_JSON {args.source!r:.80}: {e}") from None
    if args.to in ("both", "config"):
        if args.to == "both":
            print("# config")
        print(json.dumps(config, indent=2))
    if args.to in ("both", "spec"):
        if args.to == "both":
            print("# spec" if len(specs) == 1 else f"# specs ({len(specs)} configs)")
        print("\n".join(specs))
    return 0
