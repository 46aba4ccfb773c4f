"""The notebooks' code cells run top to bottom (so the walkthroughs cannot rot)."""

from __future__ import annotations

import json
import pathlib

import pytest

NOTEBOOKS = sorted((pathlib.Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs(path: pathlib.Path) -> None:
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    cells = json.loads(path.read_text())["cells"]
    namespace: dict = {}
    for cell in cells:
        if cell["cell_type"] == "code":
            exec(compile("".join(cell["source"]), f"{path.name}", "exec"), namespace)
    if path.name == "quickstart.ipynb":  # the other notebooks end with their own checks
        assert namespace["lrs"].shape == (64, 20_000)
        assert len(namespace["traces"]) == 1


def test_there_are_notebooks() -> None:
    assert NOTEBOOKS, "notebooks/ holds the walkthroughs"
