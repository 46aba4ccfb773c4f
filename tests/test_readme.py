"""The README's sweep section runs as written: its Python blocks, in order, in one namespace."""

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
