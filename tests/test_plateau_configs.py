"""``lrjit.train.plateau_from_config``: Hugging Face's and timm's reduce-on-plateau settings, live.

References, stepped as their training loops step them with a fixed metric sequence:

- transformers 5.24 (``transformers/optimization.py`` ``get_scheduler`` /
  ``get_reduce_on_plateau_schedule``, ``trainer.py`` ``Trainer._evaluate``): the scheduler
  ``get_scheduler(args.lr_scheduler_type, optimizer, num_warmup_steps=args.get_warmup_steps(N),
  num_training_steps=N, scheduler_specific_kwargs=args.lr_scheduler_kwargs)`` on an optimizer of two
  parameter groups (the Trainer's decay / no-decay groups), ``scheduler.step(metric)`` at each evaluation,
  the rate read from ``optimizer.param_groups``;
- timm 1.0.31 (``timm/scheduler/plateau_lr.py`` ``PlateauLRScheduler``, ``scheduler_factory.py``
  ``create_scheduler_v2`` / ``scheduler_kwargs``; loaded without ``timm/__init__.py``, which needs
  torchvision), stepped as timm's ``train.py`` does: ``scheduler.step(epoch + 1, metric)`` after each epoch.

Bounds: x64: transformers bit for bit; timm within 2 ulp (its warmup ends at ``warmup_lr + W * ((lr -
warmup_lr) / W)``, lrjit's at ``lr``; bit for bit without a warmup). float32 (the default): ``bounds.py``'s
float32 bound against the reference fed the float32-rounded metrics.
"""

from __future__ import annotations

import argparse
import json
import math
import warnings
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from fixtures.generate_hf_timm import load_timm_scheduler

import lrjit
from lrjit.train import PlateauSetup, ReduceLROnPlateau, plateau_from_config, reduce_on_plateau

from bounds import assert_within

pytestmark = pytest.mark.usefixtures("x64_does_not_leak")

NAN = math.nan
# A loss: improvements, a value just inside the 1e-4 relative threshold (not an improvement), a NaN, long
# flats that outlast the default patience of 10.
LOSS = [2.0, 1.5, 1.5, 1.49995, 1.6, 1.2, 1.2, 1.2, 1.2, 1.1, NAN, 1.1, 1.1, 1.0, 1.0, 1.0, 1.0, 1.0, 0.9]
LOSS += [0.95] * 21
# An accuracy: rises, then creeps (inside an absolute threshold of 0.01), then flat.
ACC = [0.1, 0.3, 0.5, 0.6, 0.6, 0.605, 0.65, 0.65, 0.655, 0.66, 0.7, 0.7, 0.7, 0.71, 0.712, 0.712]
ACC += [0.72] * 24


def _metrics(values: list[float], x64: bool) -> np.ndarray:
    return np.asarray(values, np.float64 if x64 else np.float32)


def _lrjit_rates(args: Any, metrics: np.ndarray, x64: bool) -> np.ndarray:
    with jax.enable_x64(x64), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the settings transformers ignores
        rates = plateau_from_config(args).rates(metrics)
        assert rates.dtype == (np.float64 if x64 else np.float32)
        return np.asarray(rates, np.float64)


# ------------------------------------------------------------------------------------------------------
# transformers
# ------------------------------------------------------------------------------------------------------
def _trainer_rates(torch: Any, get_scheduler: Any, args: Any, metrics: np.ndarray) -> np.ndarray:
    """The rate before the first evaluation, then after each, as the Trainer creates and steps it."""
    get = args.get if isinstance(args, dict) else lambda k, d=None: getattr(args, k, d)
    groups = [{"params": [torch.nn.Parameter(torch.zeros(1))]} for _ in range(2)]
    opt = torch.optim.SGD(groups, lr=get("learning_rate", 5e-5))
    kwargs = get("lr_scheduler_kwargs")
    if isinstance(kwargs, str):  # TrainingArguments.__post_init__ loads a JSON string
        kwargs = json.loads(kwargs)
    sched = get_scheduler(
        get("lr_scheduler_type"),
        opt,
        num_warmup_steps=int(get("warmup_steps", 0) or 0),
        num_training_steps=100,
        scheduler_specific_kwargs=kwargs,
    )
    assert isinstance(sched, torch.optim.lr_scheduler.ReduceLROnPlateau)
    out = [opt.param_groups[0]["lr"]]
    for m in metrics:
        sched.step(float(m))
        assert opt.param_groups[1]["lr"] == opt.param_groups[0]["lr"]
        out.append(opt.param_groups[0]["lr"])
    return np.asarray(out)


def _hf(kwargs: Any = None, **fields: Any) -> dict[str, Any]:
    return {"lr_scheduler_type": "reduce_lr_on_plateau", "lr_scheduler_kwargs": kwargs, **fields}


# (settings, metrics, reductions in the reference)
HF_CASES = [
    (_hf(learning_rate=0.1), LOSS, 1),  # torch's defaults: patience 10
    (_hf({"patience": 0, "factor": 0.3}, learning_rate=0.007), LOSS, 11),  # patience 0, then eps blocks
    (_hf({"patience": 2, "cooldown": 2, "min_lr": 0.004, "factor": 0.3}, learning_rate=0.05), LOSS, 3),
    (
        _hf(
            {"mode": "max", "threshold": 0.01, "threshold_mode": "abs", "patience": 1, "eps": 1e-3},
            learning_rate=3e-3,
            metric_for_best_model="accuracy",
        ),
        ACC,
        1,  # then eps blocks the next reductions
    ),
    # a JSON string, one min_lr per parameter group, a warmup transformers ignores
    (_hf('{"patience": 1, "min_lr": [0.001, 0.001]}', learning_rate=0.1, warmup_steps=5), LOSS, 2),
    (_hf({"patience": 0}, learning_rate=0.0), LOSS, 0),  # a zero rate stays zero
]


@pytest.mark.parametrize("x64", [True, False], ids=["x64", "f32"])
@pytest.mark.parametrize("index", range(len(HF_CASES)))
def test_transformers_matches_the_trainer_live(index: int, x64: bool) -> None:
    torch = pytest.importorskip("torch")
    get_scheduler = pytest.importorskip("transformers.optimization").get_scheduler
    args, values, reductions = HF_CASES[index]
    metrics = _metrics(values, x64)
    want = _trainer_rates(torch, get_scheduler, args, metrics)
    assert np.sum(np.diff(want) < 0) == reductions  # the case reduces as designed
    got = _lrjit_rates(args, metrics, x64)
    if x64:
        np.testing.assert_array_equal(got, want)
    else:
        with np.errstate(invalid="ignore"):  # an all-zero curve: err / bound is 0 / 0
            assert_within(got, want, False, f"transformers case {index}")


def test_transformers_training_arguments_object_live() -> None:
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    get_scheduler = pytest.importorskip("transformers.optimization").get_scheduler
    try:
        args = transformers.TrainingArguments(
            output_dir="/tmp/lrjit-unused",
            report_to=[],
            eval_strategy="steps",
            eval_steps=10,
            lr_scheduler_type="reduce_lr_on_plateau",
            lr_scheduler_kwargs={"mode": "max", "patience": 1, "factor": 0.5, "cooldown": 1},
            learning_rate=0.02,
            metric_for_best_model="accuracy",
        )
    except ImportError as e:  # TrainingArguments needs accelerate with torch
        pytest.skip(f"TrainingArguments unavailable: {e}")
    metrics = _metrics(ACC, True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # mode 'max' with greater_is_better: nothing to warn about
        setup = plateau_from_config(args)
    assert setup.metric == "eval_accuracy" and setup.base_lr == 0.02
    want = _trainer_rates(torch, get_scheduler, args, metrics)
    assert len(set(want.tolist())) > 3
    np.testing.assert_array_equal(_lrjit_rates(args, metrics, True), want)


def test_transformers_defaults_and_metric_name() -> None:
    setup = plateau_from_config({"lr_scheduler_type": "reduce_lr_on_plateau"})
    assert setup.plateau == ReduceLROnPlateau()  # torch's defaults
    assert (setup.base_lr, setup.metric) == (5e-5, "eval_loss")
    assert setup.schedule == lrjit.Constant(5e-5)
    named = plateau_from_config(_hf({"mode": "max"}, metric_for_best_model="eval_f1"))
    assert named.metric == "eval_f1" and named.plateau.mode == "max"


def test_transformers_warns_where_its_settings_do_nothing() -> None:
    with pytest.warns(UserWarning, match=r"greater_is_better=True.*'mode': 'max'"):
        setup = plateau_from_config(_hf(metric_for_best_model="accuracy"))
    assert setup.plateau.mode == "min"  # as the Trainer's: torch's default, whatever greater_is_better says
    with pytest.warns(UserWarning, match="warmup_ratio=0.1 has no effect"):
        plateau_from_config(_hf(warmup_ratio=0.1))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        plateau_from_config(_hf({"mode": "max"}, metric_for_best_model="accuracy"))
        plateau_from_config(_hf(metric_for_best_model="accuracy", greater_is_better=False))


# ------------------------------------------------------------------------------------------------------
# timm
# ------------------------------------------------------------------------------------------------------
def _timm_scheduler() -> Any:
    """``timm.scheduler``, or a skip where timm is not installed (it is not in the ``reference`` extra)."""
    try:
        return load_timm_scheduler()
    except ImportError:
        pytest.skip("timm is not installed")


def _timm_rates(torch: Any, v2_args: dict[str, Any], lr: float, metrics: np.ndarray) -> np.ndarray:
    """The rate of every epoch: before any metric, then after each ``step(epoch + 1, metric)``."""
    ts = _timm_scheduler()
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # PlateauLRScheduler is deprecated
        sched, _ = ts.create_scheduler_v2(opt, **v2_args)
    out = [opt.param_groups[0]["lr"]]
    for epoch, m in enumerate(metrics):
        sched.step(epoch + 1, float(m))
        out.append(opt.param_groups[0]["lr"])
    return np.asarray(out)


def _timm(**kw: Any) -> dict[str, Any]:
    return {"sched": "plateau", "lr": 0.1, **kw}


# (create_scheduler_v2 arguments + lr, metrics, reductions in the reference)
TIMM_CASES = [
    (_timm(), ACC, 2),  # timm's defaults: mode 'max', patience 10, no warmup
    (  # warmup, then the floor min_lr
        _timm(
            warmup_epochs=3,
            warmup_lr=1e-4,
            patience_epochs=1,
            decay_rate=0.5,
            plateau_mode="min",
            min_lr=0.01,
        ),
        LOSS,
        4,
    ),
    (_timm(patience_epochs=0, decay_rate=0.7, plateau_mode="min", warmup_epochs=1, warmup_lr=0.0), LOSS, 34),
    (_timm(warmup_epochs=50, warmup_lr=0.0, plateau_mode="min", patience_epochs=0), LOSS, 0),  # warmup > run
    (  # cooldown_epochs is not passed to the plateau (cooldown 0); warmup_prefix is popped
        _timm(cooldown_epochs=3, patience_epochs=2, plateau_mode="min", warmup_prefix=True, num_epochs=10),
        LOSS,
        7,
    ),
    (  # NaN metrics, in the warmup (ignored) and after it (bad epochs)
        _timm(warmup_epochs=2, warmup_lr=0.01, plateau_mode="max", patience_epochs=1, lr=0.3),
        [NAN, NAN, 0.5, NAN, NAN, 0.6, 0.6, NAN, 0.7, NAN, NAN, NAN],
        3,
    ),
]


@pytest.mark.parametrize("x64", [True, False], ids=["x64", "f32"])
@pytest.mark.parametrize("index", range(len(TIMM_CASES)))
def test_timm_matches_plateau_scheduler_live(index: int, x64: bool) -> None:
    torch = pytest.importorskip("torch")
    args, values, reductions = TIMM_CASES[index]
    metrics = _metrics(values, x64)
    want = _timm_rates(torch, {k: v for k, v in args.items() if k != "lr"}, args["lr"], metrics)
    assert np.sum(np.diff(want) < 0) == reductions  # the case reduces as designed
    got = _lrjit_rates(args, metrics, x64)
    if x64:
        np.testing.assert_array_max_ulp(got, want, maxulp=0 if not args.get("warmup_epochs") else 2)
    else:
        assert_within(got, want, False, f"timm case {index}")


@pytest.mark.parametrize(
    "namespace",
    [
        # train.py's defaults: warmup_epochs 5, warmup_lr 1e-5, eval_metric 'top1' (mode 'max')
        argparse.Namespace(sched="plateau", lr=0.1),
        argparse.Namespace(
            sched="plateau",
            lr=0.05,
            epochs=40,
            eval_metric="loss",
            patience_epochs=2,
            decay_rate=0.5,
            warmup_epochs=2,
            warmup_lr=0.001,
            min_lr=0.002,
            cooldown_epochs=5,
        ),
    ],
    ids=["defaults", "loss"],
)
def test_timm_train_py_namespace_live(namespace: argparse.Namespace) -> None:
    torch = pytest.importorskip("torch")
    ts = _timm_scheduler()
    metrics = _metrics(LOSS if getattr(namespace, "eval_metric", "top1") == "loss" else ACC, True)
    want = _timm_rates(torch, ts.scheduler_kwargs(namespace), namespace.lr, metrics)
    assert np.sum(np.diff(want) < 0) >= 1
    setup = plateau_from_config(namespace)
    assert setup.metric == getattr(namespace, "eval_metric", "top1")
    np.testing.assert_array_max_ulp(_lrjit_rates(namespace, metrics, True), want, maxulp=2)


def test_timm_defaults() -> None:
    setup = plateau_from_config({"sched": "plateau", "lr": 0.1})
    assert setup.plateau == ReduceLROnPlateau(mode="max", factor=0.1, patience=10, threshold=1e-4)
    assert (setup.base_lr, setup.metric) == (0.1, None)
    assert isinstance(setup.schedule, lrjit.Constant)
    warm = plateau_from_config({"sched": "plateau", "lr": 0.1, "warmup_epochs": 4, "warmup_lr": 0.02})
    assert int(warm.plateau.start_step) == 4
    np.testing.assert_allclose(warm.schedule(np.arange(6)), [0.02, 0.04, 0.06, 0.08, 0.1, 0.1], rtol=1e-6)


# ------------------------------------------------------------------------------------------------------
# composition: rate() and the optax chain
# ------------------------------------------------------------------------------------------------------
def test_rate_steps_like_the_training_loop() -> None:
    args, values, _ = TIMM_CASES[1]
    setup = plateau_from_config(args)
    state, looped = setup.init(), []
    for t, m in enumerate(values):
        looped.append(float(setup.rate(t, state)))
        state = setup.plateau.update(state, m)
    looped.append(float(setup.rate(len(values), state)))
    np.testing.assert_array_equal(looped, setup.rates(np.asarray(values, np.float32)))


@pytest.mark.parametrize("index", [1, 2])
def test_optax_chain_once_per_metric_applies_the_next_epochs_rate(index: int) -> None:
    """``chain(sgd(Offset(schedule, 1)), reduce_on_plateau(plateau, base_lr))`` updated with metric ``k``
    applies the source's rate of epoch ``k + 1`` (timm, live)."""
    torch = pytest.importorskip("torch")
    args, values, _ = TIMM_CASES[index]
    want = _timm_rates(
        torch, {k: v for k, v in args.items() if k != "lr"}, args["lr"], _metrics(values, False)
    )
    setup = plateau_from_config(args)
    tx = optax.chain(
        optax.sgd(lrjit.Offset(setup.schedule, 1)), reduce_on_plateau(setup.plateau, base_lr=setup.base_lr)
    )
    params = jnp.zeros(1)
    opt_state = tx.init(params)
    applied = []
    for m in values:
        updates, opt_state = tx.update(jnp.ones(1), opt_state, params, value=m)
        applied.append(-float(updates[0]))
    assert_within(applied, want[1:], False, "optax chain")


# ------------------------------------------------------------------------------------------------------
# errors and the importers' pointers
# ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("config", "error", "match"),
    [
        (_hf({"patient": 3}), ValueError, r"'patient'.*it takes: mode, factor"),
        (_hf({"factor": 1.0}), ValueError, "`factor`"),
        (_hf({"min_lr": [0.0, 0.1]}), lrjit.UnsupportedScheduleError, "min_lr"),
        (_hf(eval_strategy="no"), ValueError, "eval_strategy"),
        (_hf(learning_rate=None), ValueError, "`learning_rate`"),
        (_hf(max_step=3), ValueError, "'max_step'"),
        ({"lr_scheduler_type": "cosine"}, ValueError, r"'cosine'.*lrjit.from_transformers"),
        ({"sched": "cosine", "lr": 0.1}, ValueError, r"'cosine'.*lrjit.from_timm"),
        (_timm(noise=0.5), lrjit.UnsupportedScheduleError, "noise"),
        (_timm(step_on_epochs=False, updates_per_epoch=10), ValueError, "step per epoch"),
        (_timm(plateau_mode="up"), ValueError, "`plateau_mode`"),
        (_timm(decay_rate=1.5), ValueError, r"decay_rate -> factor.*`factor`"),
        (_timm(warmup_epochs=2.5), lrjit.UnsupportedScheduleError, "warmup_epochs=2.5"),
        (_timm(warmup_epochs=-1), ValueError, "`warmup_epochs`"),
        (_timm(lr=None), ValueError, "`lr`"),
        (_timm(epochs=10), ValueError, "'epochs'"),
        ({"sched": "plateau", "lr_scheduler_type": "reduce_lr_on_plateau"}, ValueError, "both"),
        ([1, 2], TypeError, "TrainingArguments"),
    ],
)
def test_errors_name_the_setting(config: Any, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        plateau_from_config(config)


def test_rates_needs_a_sequence_of_metrics() -> None:
    with pytest.raises(ValueError, match="1-D"):
        plateau_from_config(_timm()).rates(1.0)


def test_importers_point_here() -> None:
    hf = _hf({"patience": 3}, learning_rate=0.1)
    with pytest.raises(lrjit.UnsupportedScheduleError, match=r"plateau_from_config\(args\).*patience=3"):
        lrjit.from_transformers(hf)
    with pytest.raises(lrjit.UnsupportedScheduleError, match=r"plateau_from_config\(args\).*start_step=2"):
        lrjit.from_timm(_timm(warmup_epochs=2))
    assert isinstance(plateau_from_config(hf), PlateauSetup)
    assert json.dumps(hf)  # the same plain dict both ways
