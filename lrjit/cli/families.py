"""``lrjit families``: every family and composition, its signature and its reference."""

from __future__ import annotations

import argparse
import inspect

from lrjit.core import registry

__all__ = ["add_parser", "run", "signature"]


def add_parser(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "families",
        help="every family and composition with its signature and reference",
        description="Every class of lrjit.registry(): its signature (the spec language's arguments) and "
        "the source-library object it reproduces.",
    )
    p.set_defaults(run=run)


def signature(cls: type) -> str:
    """``Name(arg, arg=default, ...)`` without annotations."""
    params = [
        p.name if p.default is inspect.Parameter.empty else f"{p.name}={p.default!r}"
        for p in inspect.signature(cls).parameters.values()
    ]
    return f"{cls.__name__}({', '.join(params)})"


def run(args: argparse.Namespace) -> int:
    for cls in sorted(registry().values(), key=lambda c: c.composite):  # families, then compositions
        kind = "composition: " if cls.composite else ""
        print(f"{signature(cls)}\n    {kind}{cls.reference}")
    return 0
