"""The loss-curve fixture (tests/fixtures/loss_curves/loss_curves.npz, written by make_loss_curves.py):
real training runs under many learning-rate schedules. Checks that it loads, that every stored schedule
config rebuilds with ``lrjit.from_config`` and gives the stored rates (within the float32 accuracy bound:
the rates the runs trained with were computed by an earlier version of the numerics, an ulp or two away in
places), that shapes and metadata agree, and that the generating code is deterministic."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import lrjit

from bounds import assert_within
from helpers import load_module

HERE = Path(__file__).parent / "fixtures" / "loss_curves"
FIXTURE = HERE / "loss_curves.npz"


def _maker():
    return load_module(HERE / "make_loss_curves.py")


@pytest.fixture(scope="module")
def data() -> dict[str, np.ndarray]:
    with np.load(FIXTURE, allow_pickle=False) as f:
        return {k: f[k] for k in f.files}


@pytest.fixture(scope="module")
def metadata(data) -> dict:
    return json.loads(str(data["metadata"]))


def test_fixture_is_small_and_has_both_models(data, metadata):
    assert FIXTURE.stat().st_size < 1_000_000
    assert list(data["models"]) == ["digits_mlp", "charlm_mlp"]
    for key in ("python", "jax", "optax", "numpy", "sklearn", "seed", "noise_seeds", "wall_seconds"):
        assert key in metadata
    assert set(metadata["models"]) == {"digits_mlp", "charlm_mlp"}
    charlm = metadata["models"]["charlm_mlp"]
    assert charlm["files"] and len(charlm["text_sha256"]) == 64


@pytest.mark.parametrize("model", ["digits_mlp", "charlm_mlp"])
def test_shapes_and_consistency(data, metadata, model):
    hyper = metadata["models"][model]
    names, lrs = data[f"{model}__names"], data[f"{model}__lrs"]
    k, t = len(names), hyper["steps"]
    assert len(set(names)) == k >= 10
    assert lrs.shape == data[f"{model}__train_loss"].shape == (k, t)
    assert lrs.dtype == data[f"{model}__train_loss"].dtype == np.float32
    steps = data[f"{model}__eval_steps"]
    assert steps[0] == 0 and steps[-1] == t and np.all(np.diff(steps) > 0)
    assert np.all(steps[:-1] % hyper["eval_every"] == 0)
    for key in ("eval_loss", "eval_train_loss"):
        assert data[f"{model}__{key}"].shape == (k, len(steps))
    r = len(data[f"{model}__noise_names"])
    assert r == len(data[f"{model}__noise_seeds"]) > 0
    assert data[f"{model}__noise_eval_loss"].shape == (r, len(steps))
    assert set(data[f"{model}__noise_names"]) <= set(names)
    for key in ("lrs", "train_loss", "eval_loss", "eval_train_loss", "noise_eval_loss"):
        assert np.all(np.isfinite(data[f"{model}__{key}"])), key
    # Every stored run starts from the same init: the same held-out loss at step 0.
    assert np.all(data[f"{model}__eval_loss"][:, 0] == data[f"{model}__eval_loss"][0, 0])
    # Same peak rate for every schedule, and training lowered the held-out loss.
    np.testing.assert_allclose(lrs.max(axis=1), hyper["peak_lr"], rtol=1e-6)
    assert np.all(data[f"{model}__eval_loss"][:, -1] < 0.5 * data[f"{model}__eval_loss"][:, 0])
    floor = hyper["noise_floor"]
    assert set(floor["std"]) == set(data[f"{model}__noise_names"])


@pytest.mark.parametrize("model", ["digits_mlp", "charlm_mlp"])
def test_configs_rebuild_the_stored_rates(data, metadata, model):
    lrs = data[f"{model}__lrs"]
    steps = np.arange(lrs.shape[1], dtype=np.int32)
    for name, config, stored in zip(data[f"{model}__names"], data[f"{model}__configs"], lrs, strict=True):
        rebuilt = lrjit.from_config(str(config))
        assert_within(np.asarray(rebuilt(steps), np.float32), stored, x64=False, what=str(name), steps=steps)


@pytest.mark.parametrize("model", ["digits_mlp", "charlm_mlp"])
def test_schedules_match_the_stored_ones(data, metadata, model):
    """The script's schedule table still builds the stored configs (names, order, values)."""
    hyper = metadata["models"][model]
    table = _maker().schedules(hyper["steps"], hyper["peak_lr"])
    assert list(table) == list(data[f"{model}__names"])
    for (name, sched), config in zip(table.items(), data[f"{model}__configs"], strict=True):
        assert json.dumps(sched.to_config(), sort_keys=True) == str(config), name


def test_tiny_regeneration_is_deterministic():
    """The whole path (data order, init, pixel noise, training, evaluation) gives the same numbers twice."""
    maker = _maker()
    kw = {"names": ["constant", "cosine"], "noise_seeds": (1,), "noise_names": ("cosine",), "eval_every": 10}
    first, second = maker.train_digits(30, **kw), maker.train_digits(30, **kw)
    for key in ("lrs", "train_loss", "eval_loss", "eval_train_loss", "noise_eval_loss"):
        np.testing.assert_array_equal(first[key], second[key], err_msg=key)
    assert first["eval_loss"].shape == (2, 4) and first["train_loss"].shape == (2, 30)
    # Only the schedule differs between the seed-0 runs: same init, and the same first minibatch.
    assert first["eval_loss"][0, 0] == first["eval_loss"][1, 0]
    assert first["train_loss"][0, 0] == first["train_loss"][1, 0]
    assert first["noise_eval_loss"][0, 0] != first["eval_loss"][1, 0]  # another seed: another init
