"""Every notebook in notebooks/ runs top to bottom in a fresh Jupyter kernel (so the walkthroughs cannot rot).

Each notebook is executed with nbclient in a ``python3`` kernel of the interpreter running the tests, with
this checkout first on ``PYTHONPATH`` (so the kernel imports the lrjit under test, not another install),
in a temporary working directory, with a timeout per cell; an error output fails the test. Skipped when
nbclient, nbformat or ipykernel are missing (the ``dev`` extra installs them).

The notebooks are committed with their outputs. After editing one, refresh its outputs with the same
kernel setup::

    .venv/bin/python tests/test_notebooks.py                      # every notebook, in place
    .venv/bin/python tests/test_notebooks.py sweeps.ipynb         # one
"""

from __future__ import annotations

import contextlib
import json
import os
import pathlib
import sys
import tempfile
import time
from collections.abc import Iterator
from typing import Any

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
CELL_TIMEOUT = 300  # seconds per cell; each notebook runs in under a minute on a 2-core CPU
MAX_BYTES = 1_000_000  # committed notebooks, outputs included
# Appended to the executed copy (not to the file): which lrjit and which Python the kernel ran.
PROBE = "import sys, lrjit; print(repr(lrjit.__file__)); print(repr(sys.executable))"


@contextlib.contextmanager
def kernel_environment() -> Iterator[None]:
    """A ``python3`` kernelspec for this interpreter (first on ``JUPYTER_PATH``) and this checkout first on
    ``PYTHONPATH``, for the kernels started inside the block."""
    saved = {k: os.environ.get(k) for k in ("JUPYTER_PATH", "PYTHONPATH", "PYDEVD_DISABLE_FILE_VALIDATION")}
    with tempfile.TemporaryDirectory() as jupyter_dir:
        spec_dir = pathlib.Path(jupyter_dir) / "kernels" / "python3"
        spec_dir.mkdir(parents=True)
        spec = {
            "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "Python 3",
            "language": "python",
        }
        (spec_dir / "kernel.json").write_text(json.dumps(spec))
        paths = [str(ROOT), *filter(None, [saved["PYTHONPATH"]])]
        os.environ["PYTHONPATH"] = os.pathsep.join(paths)
        os.environ["JUPYTER_PATH"] = os.pathsep.join([jupyter_dir, *filter(None, [saved["JUPYTER_PATH"]])])
        os.environ["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"  # quiets the debugger's frozen-modules warning
        try:
            yield
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


def execute(path: pathlib.Path, cwd: pathlib.Path, probe: bool = False) -> Any:
    """Runs every cell of the notebook at ``path`` in a fresh kernel started in ``cwd``; returns the
    executed notebook (an nbformat node; the file is not written). Raises nbclient's
    ``CellExecutionError`` on the first cell that raises."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    if probe:
        nb.cells.append(nbformat.v4.new_code_cell(PROBE))
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(cwd)}},
        record_timing=False,
    )
    with kernel_environment():
        client.execute()
    return nb


def error_outputs(nb: Any) -> list[str]:
    """The error outputs (and tracebacks printed to stderr) of an executed notebook, as text."""
    found = []
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                found.append(f"cell {i}: {out.get('ename')}: {out.get('evalue')}")
            elif out.get("name") == "stderr" and "Traceback (most recent call last)" in out.get("text", ""):
                found.append(f"cell {i}: traceback on stderr:\n{out['text'][-2000:]}")
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs(path: pathlib.Path, tmp_path: pathlib.Path) -> None:
    pytest.importorskip("nbclient")
    pytest.importorskip("nbformat")
    pytest.importorskip("ipykernel")
    pytest.importorskip("matplotlib")
    nb = execute(path, tmp_path, probe=True)
    assert not error_outputs(nb), "\n".join(error_outputs(nb))
    probe = "".join(o.get("text", "") for o in nb.cells[-1].outputs if o.get("name") == "stdout").split("\n")
    assert pathlib.Path(eval(probe[0])).resolve().is_relative_to(ROOT), f"the kernel imported {probe[0]}"
    assert pathlib.Path(eval(probe[1])).resolve() == pathlib.Path(sys.executable).resolve()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_is_committed_small_and_clean(path: pathlib.Path) -> None:
    assert path.stat().st_size < MAX_BYTES, f"{path.name}: {path.stat().st_size} bytes (keep figures small)"
    cells = json.loads(path.read_text())["cells"]
    code = [c for c in cells if c["cell_type"] == "code"]
    assert all(c.get("execution_count") for c in code), f"{path.name}: commit it executed, with its outputs"
    outputs = [o for c in code for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"], f"{path.name} holds an error output"


def test_there_are_notebooks() -> None:
    assert NOTEBOOKS, "notebooks/ holds the walkthroughs"


def main(argv: list[str]) -> None:
    """Re-executes the named notebooks (default: all) and writes them back with their outputs."""
    import nbformat

    chosen = [NOTEBOOK_DIR / name for name in argv] or NOTEBOOKS
    for path in chosen:
        with tempfile.TemporaryDirectory() as cwd:
            start = time.perf_counter()
            nb = execute(path, pathlib.Path(cwd))
            seconds = time.perf_counter() - start
        if error_outputs(nb):
            raise SystemExit("\n".join(error_outputs(nb)))
        nbformat.write(nb, path)
        print(f"{path.name}: {seconds:.1f} s, {path.stat().st_size / 1e3:.0f} kB")


if __name__ == "__main__":
    main(sys.argv[1:])
