"""The front end of the schedule compiler: JSON configs, the spec language and t5x factor strings,
compiled evaluators, and the registry of importers that :mod:`lrjit.interop` fills."""

from lrjit.frontend.compile import CompiledSchedule, compile, to_schedule
from lrjit.frontend.config import FORMAT_VERSION, ConfigError, from_config, to_config
from lrjit.frontend.importers import (
    Importer,
    UnsupportedScheduleError,
    find_importer,
    importers,
    register_importer,
)
from lrjit.frontend.language import SpecError, parse
from lrjit.frontend.unparse import to_spec

__all__ = [
    "FORMAT_VERSION",
    "CompiledSchedule",
    "ConfigError",
    "Importer",
    "SpecError",
    "UnsupportedScheduleError",
    "compile",
    "find_importer",
    "from_config",
    "importers",
    "parse",
    "register_importer",
    "to_config",
    "to_schedule",
    "to_spec",
]
