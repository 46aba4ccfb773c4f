"""The schedule compiler front end: JSON configs, the spec language, t5x factor strings, Keras and
PyTorch import, and compiled evaluators."""

from lrjit.spec.compile import CompiledSchedule, compile, to_schedule
from lrjit.spec.config import FORMAT_VERSION, ConfigError, from_config, to_config
from lrjit.spec.imports import UnsupportedScheduleError, describe_torch, from_keras, from_torch
from lrjit.spec.language import SpecError, parse

__all__ = [
    "FORMAT_VERSION",
    "CompiledSchedule",
    "ConfigError",
    "SpecError",
    "UnsupportedScheduleError",
    "compile",
    "describe_torch",
    "from_config",
    "from_keras",
    "from_torch",
    "parse",
    "to_config",
    "to_schedule",
]
