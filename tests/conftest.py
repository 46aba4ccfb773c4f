"""Fixtures shared by the test files (the helpers they import are in ``helpers.py`` and ``bounds.py``), and
a JAX compilation cache shared by the pytest-xdist workers of one run.

The workers of a run (``-n auto``) compile many identical programs (the same family's eager primitives
and jitted calls in tests that land on different workers); a persistent compilation cache in a temporary
folder of that run lets the second worker load what the first compiled. The folder is new for every run
(no state carries over between runs) and is removed at the end.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator

import jax
import pytest

_CACHE_ENV = "LRJIT_TESTS_JAX_CACHE"
_CACHE_KEY = pytest.StashKey[str]()


def pytest_configure(config: pytest.Config) -> None:
    if os.environ.get("PYTEST_XDIST_WORKER") is not None:
        if os.environ.get(_CACHE_ENV):
            jax.config.update("jax_compilation_cache_dir", os.environ[_CACHE_ENV])
            jax.config.update("jax_persistent_cache_min_compile_time_secs", 0)
            jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    elif getattr(config.option, "numprocesses", None):  # the xdist controller: its workers inherit the folder
        os.environ[_CACHE_ENV] = tempfile.mkdtemp(prefix="lrjit-tests-jax-cache-")
        config.stash[_CACHE_KEY] = os.environ[_CACHE_ENV]


def pytest_unconfigure(config: pytest.Config) -> None:
    folder = config.stash.get(_CACHE_KEY, None)
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)
        os.environ.pop(_CACHE_ENV, None)


@pytest.fixture
def x64_does_not_leak() -> Iterator[None]:
    """Fails a test that leaves ``jax_enable_x64`` changed (use with ``pytest.mark.usefixtures``)."""
    before = jax.config.jax_enable_x64
    yield
    assert jax.config.jax_enable_x64 == before, "jax_enable_x64 leaked out of a test"
