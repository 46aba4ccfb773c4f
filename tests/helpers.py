"""Small helpers the test files share (one definition each): jitted call wrappers, step padding and the
compare-against-a-reference loop. The accuracy bounds themselves live in ``bounds.py``.

Padding: every config's steps are padded (repeating the last step) to one length and cut back after the
call, so a jitted (or eager, one program per primitive) evaluation compiles once per schedule structure
and precision instead of once per config.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import jax
import numpy as np

import lrjit
from lrjit.core.batch import curves_at

from bounds import assert_within

# The same compiled callable across tests and files, as a training loop would hold it: the jitted
# ``schedule(steps)`` behind ``lrjit.curves`` itself, so that a test comparing the two entry points
# compiles each program once.
JIT_CALL = curves_at
# jax.vmap over a stacked batch (every leaf with the config axis in front), jitted.
JIT_VMAP = jax.jit(jax.vmap(lambda b, t: b(t), in_axes=(0, None)))


def pad_steps(steps: Any, pad: int) -> np.ndarray:
    """``steps`` padded to ``pad`` entries by repeating the last one."""
    steps = np.asarray(steps)
    assert steps.size <= pad, (steps.size, pad)
    return np.pad(steps, (0, pad - steps.size), mode="edge")


def on_padded(fn: Callable[[Any], Any], steps: Any, pad: int) -> Any:
    """``fn(steps)``, evaluated on 1-D ``steps`` padded to ``pad`` entries and cut back (along the last axis:
    a batched schedule's rows keep their config axis in front)."""
    steps = np.asarray(steps)
    assert steps.ndim == 1, steps.shape
    return fn(pad_steps(steps, pad))[..., : steps.size]


def jit_padded(sched: lrjit.Schedule, steps: Any, pad: int) -> np.ndarray:
    """``sched`` at ``steps`` through ``JIT_CALL`` on steps padded to ``pad`` entries, as float64."""
    return np.asarray(on_padded(lambda t: JIT_CALL(sched, t), steps, pad), dtype=np.float64)


def compare_to_reference(
    family: str,
    kwargs: dict[str, Any],
    steps: np.ndarray,
    ref: Callable[[lrjit.Schedule, int], float],
    x64: bool,
    pad: int,
) -> float:
    """``family(**kwargs)`` built in the precision context, evaluated by ``JIT_CALL`` on ``steps`` (padded
    to ``pad``) against ``ref(sched, step)`` at each step; asserts the bound (``bounds.assert_within``)
    and returns the largest err/bound."""
    with jax.enable_x64(x64):
        sched = lrjit.registry()[family](**kwargs)
        got = jit_padded(sched, steps, pad)
        assert sched.dtype == (np.float64 if x64 else np.float32), sched.dtype
        want = np.array([ref(sched, int(t)) for t in steps])
    return assert_within(got, want, x64, f"{family} {kwargs}", steps)


def load_module(path: Path, name: str | None = None) -> ModuleType:
    """The Python file at ``path`` as a module (a fixture's generator script, a worker), named ``name``
    (default: the file's stem)."""
    spec = importlib.util.spec_from_file_location(name or path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
