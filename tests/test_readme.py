"""The README's sweep and analytics sections run as written: their Python blocks, in order, in one
namespace per section."""

from __future__ import annotations

import pathlib
import re

import pytest

README = (pathlib.Path(__file__).resolve().parents[1] / "README.md").read_text()


def section(title: str) -> str:
    start = README.index(f"## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start : end if end >= 0 else None]


def test_the_sweep_section_runs_as_written(tmp_path, monkeypatch, capsys):
    pytest.importorskip("sklearn")  # the trained sweep's data
    blocks = re.findall(r"```python\n(.*?)```", section("Batches and sweeps"), re.S)
    assert len(blocks) >= 2
    monkeypatch.chdir(tmp_path)  # the streamed curves.npy lands here
    namespace: dict[str, object] = {}
    for block in blocks:
        exec(compile(block, "README.md", "exec"), namespace)
    printed = capsys.readouterr().out
    assert "| rank |" in printed and "test accuracy" in printed
    assert (tmp_path / "curves.npy").stat().st_size == 10_000 * 5_000 * 4 + 128
    stats = namespace["stats"]
    assert stats["argmax"].tolist() == [1000, 1000, 1000, 2999, 0]  # the peaks: warmups' ends, one-cycle's
    result = namespace["result"]
    assert result.test_accuracy.shape == (256,) and result.test_accuracy.max() > 0.95


def test_the_analytics_section_runs_as_written(capsys):
    blocks = re.findall(r"```python\n(.*?)```", section("Schedule analytics"), re.S)
    assert len(blocks) == 1
    namespace: dict[str, object] = {}
    exec(compile(blocks[0], "README.md", "exec"), namespace)
    assert capsys.readouterr().out.split()[:2] == ["True", "[0"]
    result, truth = namespace["result"], namespace["truth"]
    for name in ("L0", "A", "alpha", "C"):  # the fit recovers the law that made the curves
        assert abs(float(getattr(result.law, name)) / float(getattr(truth, name)) - 1) < 1e-3, name
    tuned = namespace["tuned"]
    assert float(tuned.schedule.initial_learning_rate) <= 1.5e-3 * (1 + 1e-6)
    assert tuned.loss < tuned.initial_loss
