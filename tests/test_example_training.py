"""The end-to-end example trains: warmup + cosine through optax lowers the loss, and the learning rate
each update used is the schedule's value at that step."""

from __future__ import annotations

import pathlib
import runpy

import numpy as np

EXAMPLE = pathlib.Path(__file__).resolve().parents[1] / "examples" / "train_warmup_cosine.py"


def test_example_trains_with_the_schedule() -> None:
    train = runpy.run_path(str(EXAMPLE))["train"]
    lines: list[str] = []
    out = train(steps=300, warmup=30, log=lines.append, log_every=100)
    # the learning rate of update k is schedule(k) (to float rounding: the step is compiled with the
    # model, so XLA may contract the formula differently): warmup from 0, peak at 30, cosine down after
    expected = np.asarray(out["schedule"](np.arange(300)))
    np.testing.assert_allclose(out["lrs"], expected, rtol=1e-6, atol=1e-9)
    assert out["lrs"][0] == 0.0 and out["lrs"].argmax() == 30
    # it learns: the final loss is a small fraction of the first minibatch losses
    assert out["final_loss"] < 0.2 * np.mean(out["losses"][:10])
    assert any(line.startswith("[") and "300/300" in line for line in lines)
