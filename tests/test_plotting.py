"""``lrjit.plot`` (rendered to PNG with Agg), its missing-matplotlib error, and ``Schedule.summary``."""

from __future__ import annotations

import pathlib
import sys

import numpy as np
import pytest

import lrjit
from lrjit.core import Summary

STEPS = 1000


@pytest.fixture
def plt():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    yield plt
    plt.close("all")


def rendered(ax, path: pathlib.Path) -> np.ndarray:
    import matplotlib.image

    ax.figure.savefig(path, dpi=60)
    assert path.stat().st_size > 0
    image = matplotlib.image.imread(path)
    assert (image[..., :3] < 0.9).any(axis=-1).mean() > 0.01  # not a blank canvas
    return image


def test_single_schedules_are_one_line_each(plt, tmp_path: pathlib.Path) -> None:
    scheds = [lrjit.warmup(lrjit.CosineDecay(0.1, 900), 100), lrjit.StepLR(0.1, 300)]
    ax = lrjit.plot(scheds, STEPS)
    assert len(ax.lines) == 2
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), np.asarray(lrjit.curves(scheds[0], STEPS)))
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [lrjit.to_spec(s) for s in scheds]
    rendered(ax, tmp_path / "a.png")


def test_a_small_batch_is_one_line_per_config_and_labels_and_log(plt, tmp_path: pathlib.Path) -> None:
    batch = lrjit.stack([lrjit.CosineDecay(r, STEPS, alpha=0.01) for r in (0.01, 0.03, 0.1)])
    _, ax = plt.subplots()
    assert lrjit.plot(batch, np.arange(0, STEPS, 10), ax=ax, log=True, labels=["peaks"]) is ax
    assert len(ax.lines) == 3 and ax.get_yscale() == "log"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["peaks (3 configs)"]
    np.testing.assert_array_equal(ax.lines[2].get_xdata(), np.arange(0, STEPS, 10))
    rendered(ax, tmp_path / "b.png")


def test_a_large_batch_and_a_sweep_are_a_median_and_a_band(plt, tmp_path: pathlib.Path) -> None:
    rates = np.geomspace(1e-3, 1e-1, 40)
    sweep = lrjit.Sweep(
        [lrjit.CosineDecay(r, STEPS) for r in rates[:20]] + [lrjit.StepLR(r, 200) for r in rates[20:]]
    )
    ax = lrjit.plot(sweep, STEPS)
    assert len(ax.lines) == 1 and len(ax.collections) == 1  # the median, the min-max band
    y = np.asarray(lrjit.curves(sweep, STEPS))
    np.testing.assert_allclose(ax.lines[0].get_ydata(), np.median(y, 0))
    assert "median and min-max of 40" in ax.get_legend().get_texts()[0].get_text()
    rendered(ax, tmp_path / "c.png")


def test_bad_arguments(plt) -> None:
    with pytest.raises(TypeError, match="item 1 is not an lrjit schedule"):
        lrjit.plot([lrjit.StepLR(0.1, 30), "StepLR(0.1, 30)"], 10)
    with pytest.raises(ValueError, match="1 labels for 2 schedules"):
        lrjit.plot([lrjit.StepLR(0.1, 30)] * 2, 10, labels=["a"])


def test_without_matplotlib_the_error_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"pip install 'lrjit\[plot\]'"):
        lrjit.plot(lrjit.StepLR(0.1, 30), 10)


# ------------------------------------------------------------------------------------------ summary
def test_summary_of_a_single_schedule() -> None:
    sched = lrjit.warmup(lrjit.CosineDecay(0.1, 800, alpha=0.2), 200, start=0.01)
    y = np.asarray(lrjit.curves(sched, STEPS))
    s = sched.summary(STEPS)
    assert s == Summary(
        step0=float(y[0]),
        peak=float(y.max()),
        peak_step=int(y.argmax()),
        final=float(y[-1]),
        min=float(y.min()),
        min_step=int(y.argmin()),
    )
    assert (s.peak_step, s.min_step) == (200, 0) and isinstance(s.peak_step, int)


def test_summary_of_a_batch_and_at_given_steps() -> None:
    batch = lrjit.stack(
        [lrjit.OneCycleLR(r, total_steps=STEPS, pct_start=p) for r, p in [(0.1, 0.3), (1.0, 0.5)]]
    )
    steps = np.arange(0, STEPS, 7)
    y = np.asarray(lrjit.curves(batch, steps))
    s = batch.summary(steps)
    np.testing.assert_array_equal(s.step0, y[:, 0])
    np.testing.assert_array_equal(s.peak, y.max(1))
    np.testing.assert_array_equal(s.peak_step, steps[y.argmax(1)])
    np.testing.assert_array_equal(s.final, y[:, -1])
    np.testing.assert_array_equal(s.min, y.min(1))
    np.testing.assert_array_equal(s.min_step, steps[y.argmin(1)])
    assert s.peak.shape == (2,)


@pytest.mark.parametrize("steps", [0, 2.5, True, np.zeros((2, 2), int)])
def test_summary_rejects_bad_steps(steps) -> None:
    with pytest.raises((ValueError, TypeError), match="summary: steps must be"):
        lrjit.StepLR(0.1, 30).summary(steps)
