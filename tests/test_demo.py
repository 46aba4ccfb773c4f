"""The demo: covers every family, prints the table from the real curves, writes the gallery."""

from __future__ import annotations

import numpy as np
import pytest

import lrjit
from lrjit import demo
from lrjit.examples import examples


def test_every_family_has_an_example() -> None:
    assert set(examples()) == set(lrjit.registry())
    for name, sched in examples().items():
        assert type(sched).__name__ == name


def test_table_reports_the_curves(capsys: pytest.CaptureFixture[str], tmp_path) -> None:
    assert demo.main(["--out", str(tmp_path), "--steps", "3000", "--train-steps", "40"]) == 0
    out = capsys.readouterr().out
    assert "40/40" in out and "final loss on all" in out  # the training example ran
    y = np.asarray(lrjit.curves(examples()["CosineDecay"], 3000))
    row = next(line for line in out.splitlines() if line.startswith("CosineDecay "))
    step0, peak, at, final = row.split()[1:]
    assert float(step0) == pytest.approx(y[0], abs=1e-6)
    assert float(peak) == pytest.approx(y.max(), rel=1e-4)
    assert int(at) == int(y.argmax()) == 1000  # the end of the example's warmup
    assert float(final) == pytest.approx(y[-1], rel=1e-4)


def test_gallery_png(tmp_path) -> None:
    pytest.importorskip("matplotlib")
    curves = {n: np.asarray(lrjit.curves(s, 500)) for n, s in examples().items()}
    path = tmp_path / "g.png"
    assert demo.write_gallery(curves, str(path))
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
