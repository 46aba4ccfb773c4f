"""What the commands share: reading a SPEC argument, the error that exits 2, number formatting."""

from __future__ import annotations

import argparse
import json
import os
from typing import Any

import numpy as np

import lrjit.interop  # noqa: F401  (registers the Keras and torch importers lrjit.frontend.to_schedule asks)
from lrjit.core import Schedule, batch_size
from lrjit.frontend import SpecError, parse, to_schedule
from lrjit.sweep import Sweep

__all__ = ["SPEC_HELP", "CliError", "format_number", "labels_of", "load", "step_count"]

SPEC_HELP = (
    'a schedule in the spec language (e.g. "warmup(CosineDecay(0.1, 10_000), steps=500)"), a path to a '
    "JSON config file (an lrjit config, a Keras serialize() dict, a sweep) or inline JSON"
)


class CliError(Exception):
    """Bad input: the command prints the message to stderr and exits with status 2."""


def step_count(text: str) -> int:
    """argparse type of ``--steps``: an integer >= 1."""
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {text!r}")
    return value


def load(text: str) -> Schedule | Sweep:
    """The schedule (or sweep) a SPEC argument describes: inline JSON, a JSON file, or a spec."""
    where = f"SPEC {text!r:.80}"
    if text.lstrip().startswith("{") or text.endswith(".json") or os.path.isfile(text):
        if text.lstrip().startswith("{"):
            source = text
        else:
            try:
                with open(text, encoding="utf-8") as f:
                    source = f.read()
            except OSError as e:
                raise CliError(f"{where}: cannot read the file ({e.strerror or e})") from None
        try:
            config = json.loads(source)
        except json.JSONDecodeError as e:
            raise CliError(f"{where}: not valid JSON ({e})") from None
        try:
            if isinstance(config, dict) and "sweep" in config:
                return Sweep.from_config(config)
            return to_schedule(config)
        except (ValueError, TypeError, NotImplementedError) as e:
            raise CliError(f"{where}: {e}") from None
    try:
        return parse(text)
    except SpecError as e:
        raise CliError(f"{where}: {e}") from None


def labels_of(text: str, schedule: Schedule | Sweep) -> list[str]:
    """One label per config: the SPEC text, with ``[i]`` for each config of a batch or sweep."""
    k = len(schedule) if isinstance(schedule, Sweep) else batch_size(schedule)
    return [text] if k is None else [f"{text} [{i}]" for i in range(k)]


def format_number(x: Any) -> str:
    """The shortest decimal that reads back to ``x`` in its dtype (``0.1`` for float32's 0.1)."""
    return str(np.asarray(x)[()])
