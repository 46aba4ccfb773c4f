"""Sweeps over several structures (``lrjit.Sweep``) and evaluation at any size: ``lrjit.curves`` in blocks
(in memory or streamed to a .npy file) and ``lrjit.reduce``, against the one-kernel curve matrix and
NumPy's reductions of it."""

from __future__ import annotations

import json

import numpy as np
import pytest

import lrjit

RESTARTS = lrjit.random(
    lrjit.CosineDecayRestarts(1.0, 100),
    37,
    0,
    initial_learning_rate=lrjit.log_uniform(1e-3, 1.0),
    first_decay_steps=lrjit.integers(5, 300),
    alpha=lrjit.uniform(0.0, 0.5),
)


def mixed_sweep() -> lrjit.Sweep:
    return lrjit.Sweep(
        [
            lrjit.grid(lrjit.CosineDecay(0.1, 1000), initial_learning_rate=[0.1, 0.3]),
            lrjit.OneCycleLR(0.1, total_steps=1000),
            lrjit.NoisyLinearCosineDecay(0.1, decay_steps=500, key=3),
            lrjit.grid(lrjit.CosineDecay(0.2, 1000, alpha=0.1), decay_steps=[500, 2000]),
            lrjit.MultiStepLR(0.1, milestones=[100, 300]),
            lrjit.NoisyLinearCosineDecay(0.2, decay_steps=500, key=4),
        ]
    )


# ------------------------------------------------------------------------------------------- Sweep
def test_sweep_groups_configs_by_structure_and_keeps_the_users_order():
    sweep = mixed_sweep()
    assert len(sweep) == 8
    assert [type(g).__name__ for g in sweep.groups] == [
        "CosineDecay",
        "OneCycleLR",
        "NoisyLinearCosineDecay",
        "MultiStepLR",
    ]
    assert [p.tolist() for p in sweep.positions] == [[0, 1, 4, 5], [2], [3, 7], [6]]
    steps = np.array([0, 7, 150, 499, 999, 4000])
    rows = np.asarray(sweep(steps))
    assert rows.shape == (8, 6)
    for i, config in enumerate(sweep):
        np.testing.assert_array_equal(rows[i], np.asarray(config(steps)), err_msg=f"config {i}")
    # Each config is the schedule the user gave, value for value.
    np.testing.assert_array_equal(rows[5], np.asarray(lrjit.CosineDecay(0.2, 2000, alpha=0.1)(steps)))
    np.testing.assert_array_equal(rows[7], np.asarray(lrjit.NoisyLinearCosineDecay(0.2, 500, key=4)(steps)))
    assert sweep[-1] == sweep[7]


def test_sweep_curves_are_one_kernel_per_structure_in_the_sweeps_order():
    sweep = mixed_sweep()
    full = np.asarray(lrjit.curves(sweep, 1000))
    assert full.shape == (8, 1000)
    for group, where in zip(sweep.groups, sweep.positions, strict=True):
        np.testing.assert_array_equal(full[where], np.asarray(lrjit.curves(group, 1000)))


def test_sweep_round_trips_through_json_with_identical_values():
    sweep = mixed_sweep()
    again = lrjit.Sweep.from_config(json.loads(json.dumps(sweep.to_config())))
    assert again == sweep
    np.testing.assert_array_equal(np.asarray(again(np.arange(600))), np.asarray(sweep(np.arange(600))))


def test_sweep_errors_name_the_item():
    with pytest.raises(TypeError, match=r"schedules\[1\] is not an lrjit schedule"):
        lrjit.Sweep([lrjit.CosineDecay(0.1, 10), 0.1])
    with pytest.raises(ValueError, match="at least one schedule"):
        lrjit.Sweep([])
    with pytest.raises(IndexError, match="index 8 is out of range for 8 configs"):
        mixed_sweep()[8]
    config = mixed_sweep().to_config()
    config["sweep"][0]["positions"] = [0, 1, 4, 4]
    with pytest.raises(ValueError, match=r"cover 0\.\.K-1 exactly once"):
        lrjit.Sweep.from_config(config)


# ------------------------------------------------------------------------------------------ curves
@pytest.mark.parametrize("n", [1, 129, 1000])
@pytest.mark.parametrize("max_bytes", [64, 1000, 2**30])
def test_blocked_curves_equal_the_one_kernel_matrix(n, max_bytes):
    full = np.asarray(lrjit.curves(RESTARTS, n))
    blocks = lrjit.curves(RESTARTS, n, max_bytes=max_bytes)
    assert isinstance(blocks, np.ndarray)
    np.testing.assert_array_equal(blocks, full)


def test_blocked_curves_of_a_single_schedule_a_step_array_and_a_sweep():
    single = lrjit.CosineDecay(1.0, 100)
    np.testing.assert_array_equal(
        lrjit.curves(single, 300, max_bytes=100), np.asarray(lrjit.curves(single, 300))
    )
    steps = np.array([5, 3, 1000, 2**20, 0, 77, 12])
    np.testing.assert_array_equal(
        lrjit.curves(RESTARTS, steps, max_bytes=64), np.asarray(lrjit.curves(RESTARTS, steps))
    )
    sweep = mixed_sweep()
    np.testing.assert_array_equal(
        lrjit.curves(sweep, 700, max_bytes=3000), np.asarray(lrjit.curves(sweep, 700))
    )


def test_curves_stream_to_a_npy_file(tmp_path):
    path = tmp_path / "curves.npy"
    written = lrjit.curves(RESTARTS, 500, out=path, max_bytes=999)
    assert isinstance(written, np.memmap)
    np.testing.assert_array_equal(np.load(path, mmap_mode="r"), np.asarray(lrjit.curves(RESTARTS, 500)))


def test_progress_bar_only_when_asked_or_interactive(capsys):
    lrjit.curves(RESTARTS, 300, max_bytes=1000, progress=True)
    shown = capsys.readouterr().err
    assert "lrjit.curves" in shown and ("12/12" in shown or "100%" in shown)
    lrjit.curves(RESTARTS, 300, max_bytes=1000)  # stderr is captured, not a terminal: quiet
    lrjit.reduce(RESTARTS, 300, max_elements=1000, progress=False)
    assert capsys.readouterr().err == ""


def test_curves_checks_its_arguments():
    with pytest.raises(ValueError, match="max_bytes must be an int >= 16, got 0"):
        lrjit.curves(RESTARTS, 10, max_bytes=0)
    with pytest.raises(ValueError, match=r"1-D array of steps, got shape \(2, 2\)"):
        lrjit.curves(RESTARTS, np.zeros((2, 2), int), max_bytes=1000)


# ------------------------------------------------------------------------------------------ reduce
def first_crossing(mask: np.ndarray) -> np.ndarray:
    return np.where(mask.any(-1), mask.argmax(-1), -1)


@pytest.mark.parametrize("n", [1, 129, 2051])
@pytest.mark.parametrize("max_elements", [128, 1000, 2**25])
def test_reduce_equals_numpy_on_the_whole_matrix(n, max_elements):
    full = np.asarray(lrjit.curves(RESTARTS, n))
    threshold = full.max(1) * 0.5  # one per config
    at = [0, min(5, n - 1), n - 1]
    r = lrjit.reduce(RESTARTS, n, max_elements=max_elements, first_below=threshold, first_above=0.3, at=at)
    np.testing.assert_array_equal(r["min"], full.min(1))
    np.testing.assert_array_equal(r["argmin"], full.argmin(1))
    np.testing.assert_array_equal(r["max"], full.max(1))
    np.testing.assert_array_equal(r["argmax"], full.argmax(1))
    exact = full.astype(np.float64).sum(1)
    np.testing.assert_allclose(r["sum"], exact, rtol=1e-6)
    np.testing.assert_allclose(r["mean"], exact / n, rtol=1e-6)
    below = full < threshold.astype(np.float32)[:, None]
    np.testing.assert_array_equal(r["first_below"], first_crossing(below))
    np.testing.assert_array_equal(r["first_above"], first_crossing(full > np.float32(0.3)))
    np.testing.assert_array_equal(r["at"], full[:, at])
    assert r["sum"].dtype == np.float64 and r["argmin"].dtype == np.int64 and r["min"].dtype == np.float32


def test_reduce_of_a_single_schedule_gives_scalars():
    sched = lrjit.PiecewiseConstantDecay([100, 200], [0.3, 0.1, 0.3])
    r = lrjit.reduce(sched, 300, max_elements=128, first_below=0.2)
    assert (float(r["min"]), int(r["argmin"]), float(r["max"]), int(r["argmax"])) == (
        pytest.approx(0.1),
        101,
        pytest.approx(0.3),
        0,
    )
    assert r["sum"] == pytest.approx(101 * 0.3 + 100 * 0.1 + 99 * 0.3, rel=1e-6)
    assert int(r["first_below"]) == 101


def test_reduce_propagates_nan_as_numpy():
    sched = lrjit.CosineDecayRestarts(0.1, 10, t_mul=0.5)  # NaN from step 20 (the cycles sum to 20 steps)
    full = np.asarray(lrjit.curves(sched, 300))
    r = lrjit.reduce(sched, 300, max_elements=128)
    assert np.isnan(r["min"]) and np.isnan(r["max"]) and np.isnan(r["sum"])
    assert int(r["argmin"]) == int(np.argmin(full)) == 20 and int(r["argmax"]) == 20


def test_reduce_over_a_sweep_keeps_its_order():
    sweep = mixed_sweep()
    full = np.asarray(lrjit.curves(sweep, 1000))
    r = lrjit.reduce(sweep, 1000, max_elements=1000, first_below=0.05)
    np.testing.assert_array_equal(r["argmax"], full.argmax(1))
    np.testing.assert_array_equal(r["min"], full.min(1))
    np.testing.assert_array_equal(r["first_below"], first_crossing(full < np.float32(0.05)))


def test_reduce_checks_its_arguments():
    with pytest.raises(ValueError, match=r"stats must be among .* got 'median'"):
        lrjit.reduce(RESTARTS, 10, stats=("min", "median"))
    with pytest.raises(ValueError, match="steps must be >= 1"):
        lrjit.reduce(RESTARTS, 0)
    with pytest.raises(TypeError, match="steps must be an int N"):
        lrjit.reduce(RESTARTS, np.arange(4))
    with pytest.raises(
        ValueError, match=r"first_below: expected a number or one per config \(37\), got shape \(3,\)"
    ):
        lrjit.reduce(RESTARTS, 10, first_below=[0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="max_elements must be an int >= 128, got 5"):
        lrjit.reduce(RESTARTS, 10, max_elements=5)
