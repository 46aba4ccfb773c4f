"""The t5x / tensor2tensor families against float64 transcriptions of the libraries' source.

- ``t5x_step_fn`` is ``step_fn`` of ``create_learning_rate_scheduler`` in google-research/t5x
  ``t5x/utils.py``, written out in Python float64 one step at a time, line by line (t5x runs it in
  ``jnp`` float32). The two tensor2tensor factors lrjit adds (``rsqrt_hidden_size``, ``exp_decay``) follow
  ``learning_rate_factor`` in tensorflow/tensor2tensor ``tensor2tensor/utils/learning_rate.py``.
  One deliberate difference: ``progress % 1.0`` of ``cosine_decay`` is taken from the exact remainder
  ``(step - warmup_steps) mod steps_per_cycle``: float64's ``(step - W) / steps_per_cycle`` is rounded to
  an ulp of the quotient, ~1e-9 of a cycle at 10**7 steps of a short cycle, above the x64 bound (lrjit
  computes the exact remainder).
- ``t2t_noam`` is the ``learning_rate_decay_scheme == "noam"`` branch of ``legacy_learning_rate_schedule``
  in ``tensor2tensor/utils/learning_rate.py``, with its ``optimizer_correction`` and
  ``hparams.learning_rate`` factors (``warmup_steps ** -1.5`` in NumPy float64, which gives inf at 0 as
  TensorFlow does, where Python's float power raises).

Hyperparameters are read back from the stored config (float32-rounded without x64), so the comparison
measures lrjit's arithmetic. Bounds: ``tests/bounds.py`` (float32 ``1e-6 |ref| + 1e-7 peak``, x64
``1e-12 |ref| + 1e-15 peak``).
"""

from __future__ import annotations

import itertools
import math
import re
from fractions import Fraction
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import lrjit
from lrjit.families.t5x import FACTORS, T5X_FACTORS

from bounds import bound
from helpers import compare_to_reference

MAX_STEP = 10**7
LOG_STEPS = np.unique(np.round(np.logspace(0, 7, 141)).astype(np.int64))


def _stored(s: lrjit.Schedule) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in s.config().items():
        if k in lrjit.core.static_names(s):
            out[k] = v
        else:
            arr = np.asarray(v)
            out[k] = int(arr) if np.issubdtype(arr.dtype, np.integer) else float(arr)
    return out


# ------------------------------------------------------------------------------------------------------
# t5x/utils.py create_learning_rate_scheduler.step_fn (float64, per step)
# ------------------------------------------------------------------------------------------------------
def t5x_step_fn(sched: Any, step: int) -> float:
    c = _stored(sched)
    base_learning_rate, warmup_steps = c["base_learning_rate"], c["warmup_steps"]
    decay_factor, steps_per_decay = c["decay_factor"], c["steps_per_decay"]
    steps_per_cycle, step_offset = c["steps_per_cycle"], c["step_offset"]
    min_learning_rate, hidden_size = c["min_learning_rate"], c["hidden_size"]
    factors = [n.strip() for n in c["factors"].split("*")]

    step = max(0, step - step_offset)
    ret = 1.0
    for name in factors:
        if name == "constant":
            ret *= base_learning_rate
        elif name == "linear_warmup":
            ret *= min(1.0, step / warmup_steps)
        elif name == "linear_decay":
            ret *= base_learning_rate * min(step / warmup_steps, 1.0 + decay_factor * (warmup_steps - step))
        elif name == "rsqrt_decay":
            ret /= math.sqrt(max(step, warmup_steps))
        elif name == "rsqrt_normalized_decay":
            ret *= math.sqrt(warmup_steps)
            ret /= math.sqrt(max(step, warmup_steps))
        elif name == "decay_every":
            ret *= decay_factor ** (step // steps_per_decay)
        elif name == "cosine_decay":
            # t5x: progress = max(0, (step - W) / steps_per_cycle); progress % 1.0, here exactly
            progress_mod_1 = float(Fraction(max(0, step - warmup_steps), steps_per_cycle) % 1)
            ret *= max(0.0, 0.5 * (1.0 + math.cos(math.pi * progress_mod_1)))
        # tensor2tensor learning_rate_factor (lrjit's extension)
        elif name == "rsqrt_hidden_size":
            ret *= hidden_size**-0.5
        elif name == "exp_decay":
            p = (step - warmup_steps) / steps_per_decay
            p = max(p, 0.0)
            ret *= decay_factor**p
        else:
            raise ValueError("Unknown factor %s." % name)  # noqa: UP031 (as in t5x)
    ret = max(ret, min_learning_rate)
    return ret


# ------------------------------------------------------------------------------------------------------
# tensor2tensor/utils/learning_rate.py legacy_learning_rate_schedule, scheme "noam" (float64, per step)
# ------------------------------------------------------------------------------------------------------
def t2t_noam(sched: Any, step: int) -> float:
    c = _stored(sched)
    step_num = float(step)
    warmup_steps = np.float64(c["warmup_steps"])
    with np.errstate(divide="ignore"):
        w_pow = warmup_steps**-1.5  # inf at 0, as tf.pow
    ret = 5000.0 * c["hidden_size"] ** -0.5 * min((step_num + 1) * w_pow, (step_num + 1) ** -0.5)
    optimizer_correction = c["optimizer_correction"]  # 0.002 if "adam" in hparams.optimizer else 1.0
    return float(ret * optimizer_correction * c["learning_rate"])


REFS = {"FactorSchedule": t5x_step_fn, "Noam": t2t_noam}


# ------------------------------------------------------------------------------------------------------
# configs and steps
# ------------------------------------------------------------------------------------------------------
def _edges(family: str, kwargs: dict[str, Any]) -> list[int]:
    """The steps where a config's curve switches regime (each tested with +-2)."""
    if family == "Noam":
        w = kwargs.get("warmup_steps", 4000)
        return [w - 1, w]
    defaults = lrjit.FactorSchedule()
    get = lambda n: kwargs.get(n, int(np.asarray(getattr(defaults, n))))  # noqa: E731
    off, w = get("step_offset"), get("warmup_steps")
    d, cyc = get("steps_per_decay"), get("steps_per_cycle")
    out = [off, off + w]
    names = lrjit.FactorSchedule(**kwargs).factor_names
    if "decay_every" in names or "exp_decay" in names:
        start = off if "decay_every" in names else off + w
        last = (MAX_STEP - start) // d
        out += [start + d * k for k in (1, 2, 3, last - 1, last)]
    if "cosine_decay" in names:
        last = (MAX_STEP - off - w) // cyc
        out += [off + w + cyc * k for k in (1, 2, 3, last - 1, last)]
        out += [off + w + cyc * k + cyc // 2 for k in (0, 1)]
    if "linear_decay" in names:
        df = kwargs.get("decay_factor", 0.5)
        if df > 0:
            out += [off + w + math.ceil(1 / df)]
    return out


def _steps(family: str, kwargs: dict[str, Any], extra: list[int]) -> np.ndarray:
    near = np.asarray(_edges(family, kwargs) + extra)[:, None] + np.arange(-2, 3)[None, :]
    out = np.unique(np.concatenate([np.arange(0, 40), LOG_STEPS, near.ravel(), [MAX_STEP - 1, MAX_STEP]]))
    return out[(out >= 0) & (out <= MAX_STEP)].astype(np.int64)


F = "FactorSchedule"
CONFIGS: list[tuple[str, str, dict[str, Any], list[int]]] = [
    # t5x's defaults, and its default string written differently
    (F, "defaults", {}, []),
    (F, "default_tuple", {"factors": ("constant", "linear_warmup", "rsqrt_decay")}, []),
    (
        F,
        "T5_pretrain",  # t5x's T5 gin: constant * rsqrt_decay, base 1.0, 10k warmup
        {"factors": "constant * rsqrt_decay", "base_learning_rate": 1.0, "warmup_steps": 10_000},
        [],
    ),
    (F, "W1", {"warmup_steps": 1, "base_learning_rate": 0.01}, []),
    (
        F,
        "offset",
        {"warmup_steps": 100, "step_offset": 1_000_000, "min_learning_rate": 0.0},
        [1_000_050],
    ),
    (
        F,
        "normalized",
        {"factors": "constant * linear_warmup * rsqrt_normalized_decay", "warmup_steps": 4000},
        [],
    ),
    (
        F,
        "normalized_W7",
        {"factors": "rsqrt_normalized_decay", "warmup_steps": 7, "min_learning_rate": 0.0},
        [],
    ),
    (F, "decay_every", {"factors": "constant * decay_every", "warmup_steps": 0}, []),
    (
        F,
        "decay_every_D1",
        {
            "factors": "constant*decay_every",
            "base_learning_rate": 0.1,
            "decay_factor": 0.9999,
            "steps_per_decay": 1,
            "min_learning_rate": 0.0,
        },
        [],
    ),
    (
        F,
        "decay_every_D3_offset",
        {"factors": "constant * decay_every", "decay_factor": 0.9, "steps_per_decay": 3, "step_offset": 17},
        [],
    ),
    (
        F,
        "cosine",
        {"factors": "constant * linear_warmup * cosine_decay", "warmup_steps": 1000},
        [],
    ),
    (
        F,
        "cosine_C1",
        {
            "factors": "constant * cosine_decay",
            "warmup_steps": 0,
            "steps_per_cycle": 1,
            "min_learning_rate": 0.0,
        },
        [],
    ),
    (
        F,
        "cosine_C7_W3",
        {
            "factors": "constant * linear_warmup * cosine_decay",
            "base_learning_rate": 0.3,
            "warmup_steps": 3,
            "steps_per_cycle": 7,
            "min_learning_rate": 0.0,
        },
        [],
    ),
    (
        F,
        "cosine_floor",  # the floor takes over near each cycle's end
        {
            "factors": "constant * cosine_decay",
            "warmup_steps": 0,
            "steps_per_cycle": 100,
            "min_learning_rate": 1e-3,
        },
        [],
    ),
    (F, "linear_decay_default", {"factors": "linear_decay"}, []),
    (
        F,
        "linear_decay_slow",
        {
            "factors": "linear_decay",
            "base_learning_rate": 0.001,
            "warmup_steps": 5000,
            "decay_factor": 1e-6,
            "min_learning_rate": 0.0,
        },
        [],
    ),
    (
        F,
        "linear_decay_times_rsqrt",
        {
            "factors": "linear_decay * rsqrt_decay",
            "base_learning_rate": 2.0,
            "warmup_steps": 100,
            "decay_factor": 1.3e-5,
        },
        [],
    ),
    (
        F,
        "everything",
        {
            "factors": "constant * linear_warmup * rsqrt_normalized_decay * decay_every * cosine_decay",
            "base_learning_rate": 0.7,
            "warmup_steps": 250,
            "decay_factor": 0.8,
            "steps_per_decay": 5000,
            "steps_per_cycle": 30_000,
            "step_offset": 12,
            "min_learning_rate": 1e-9,
        },
        [],
    ),
    (
        F,
        "t2t_transformer_v3",  # t2t transformer_base_v3: constant*linear_warmup*rsqrt_decay*rsqrt_hidden_size
        {
            "factors": "constant*linear_warmup*rsqrt_decay*rsqrt_hidden_size",
            "base_learning_rate": 2.0,
            "warmup_steps": 8000,
            "hidden_size": 512,
            "min_learning_rate": 0.0,
        },
        [],
    ),
    (
        F,
        "t2t_exp_decay",
        {
            "factors": "constant * linear_warmup * exp_decay",
            "base_learning_rate": 0.2,
            "warmup_steps": 300,
            "decay_factor": 0.5,
            "steps_per_decay": 10_000,
            "min_learning_rate": 0.0,
        },
        [],
    ),
    (
        F,
        "constant_only",
        {"factors": "constant", "base_learning_rate": 0.25},
        [],
    ),
    (
        F,
        "repeated",
        {"factors": "constant * constant * rsqrt_decay * rsqrt_decay", "base_learning_rate": 3.0},
        [],
    ),
    # tensor2tensor noam
    ("Noam", "t2t_defaults", {}, []),
    ("Noam", "transformer_base_v2", {"learning_rate": 0.2, "warmup_steps": 8000}, []),
    (
        "Noam",
        "sgd",
        {"learning_rate": 0.05, "hidden_size": 64, "warmup_steps": 100, "optimizer_correction": 1.0},
        [],
    ),
    ("Noam", "W0", {"learning_rate": 0.1, "hidden_size": 1024, "warmup_steps": 0}, []),
    ("Noam", "W1", {"learning_rate": 1.0, "hidden_size": 1, "warmup_steps": 1}, []),
    ("Noam", "W_large", {"learning_rate": 0.1, "hidden_size": 768, "warmup_steps": 2_000_000}, []),
]

PAD = 1024


def _compare(family: str, kwargs: dict[str, Any], extra: list[int], x64: bool) -> float:
    """Max err / bound over the steps; asserts it is <= 1."""
    return compare_to_reference(family, kwargs, _steps(family, kwargs, extra), REFS[family], x64, PAD)


@pytest.mark.parametrize("x64", [False, True], ids=["float32", "x64"])
@pytest.mark.parametrize(
    ("family", "label", "kwargs", "extra"), CONFIGS, ids=[f"{c[0]}-{c[1]}" for c in CONFIGS]
)
def test_matches_library_source(
    family: str, label: str, kwargs: dict[str, Any], extra: list[int], x64: bool
) -> None:
    _compare(family, kwargs, extra, x64)


def test_configs_cover_every_factor() -> None:
    used = set()
    for family, _, kwargs, _ in CONFIGS:
        if family == F:
            used |= set(lrjit.FactorSchedule(**kwargs).factor_names)
    assert used == set(FACTORS)
    assert sum(c[0] == "Noam" for c in CONFIGS) >= 5


@pytest.mark.parametrize("x64", [False, True], ids=["float32", "x64"])
def test_sampled_configs_match(x64: bool) -> None:
    """Random configs (``sample``) of every representative product, against the transcription."""
    rng = np.random.default_rng(0)
    choices = list(lrjit.fields_of(lrjit.FactorSchedule)["factors"].examples or ())
    for factors in choices:
        for _ in range(2):
            kwargs = {
                k: _py(v) for k, v in lrjit.FactorSchedule.sample(rng, factors=factors).config().items()
            }
            _compare(F, kwargs, [], x64)
    for _ in range(4):
        kwargs = {k: _py(v) for k, v in lrjit.Noam.sample(rng).config().items()}
        _compare("Noam", kwargs, [], x64)


def _py(v: Any) -> Any:
    return v if isinstance(v, str) else np.asarray(v).item()


# ------------------------------------------------------------------------------------------------------
# values pinned by hand
# ------------------------------------------------------------------------------------------------------
def test_t5x_defaults() -> None:
    """t5x's signature defaults; the default curve: 0.5 * min(1, s / 1000) / sqrt(max(s, 1000)), floored at
    1e-8 (so step 0 gives 1e-8)."""
    s = lrjit.FactorSchedule()
    assert s.factors == "constant * linear_warmup * rsqrt_decay"
    assert s.factor_names == ("constant", "linear_warmup", "rsqrt_decay")
    want = {
        "base_learning_rate": 0.5,
        "warmup_steps": 1000,
        "decay_factor": 0.5,
        "steps_per_decay": 20000,
        "steps_per_cycle": 100000,
        "step_offset": 0,
        "min_learning_rate": 1e-8,
    }
    for name, value in want.items():
        assert np.asarray(getattr(s, name)) == np.asarray(value, np.asarray(getattr(s, name)).dtype), name
    got = np.asarray(s(np.array([0, 1, 500, 1000, 4000, 250_000])), np.float64)
    np.testing.assert_allclose(
        got,
        [
            1e-8,
            0.5 * 0.001 / math.sqrt(1000),
            0.25 / math.sqrt(1000),
            0.5 / math.sqrt(1000),
            0.5 / math.sqrt(4000),
            0.001,
        ],
        rtol=1e-6,
    )


def test_step_offset_shifts_and_holds() -> None:
    """Steps before ``step_offset`` evaluate as step 0; from it on, as ``step - step_offset`` (bitwise)."""
    kwargs = {"factors": "constant * linear_warmup * cosine_decay", "warmup_steps": 10, "steps_per_cycle": 30}
    plain = lrjit.FactorSchedule(**kwargs)
    shifted = lrjit.FactorSchedule(**kwargs, step_offset=500)
    steps = np.arange(0, 800)
    a, b = np.asarray(shifted(steps)), np.asarray(plain(np.maximum(steps - 500, 0)))
    np.testing.assert_array_equal(a, b)
    assert np.all(a[:501] == a[0]) and a[0] == np.float32(1e-8)
    assert a[510] == np.float32(0.5) and a[540] == np.float32(0.5)  # warmup end, then each cycle's restart


def test_min_learning_rate_floor() -> None:
    """t5x floors the product last: 0 at step 0 of a warmup, and a negative linear decay, give the floor."""
    s = lrjit.FactorSchedule("linear_decay", base_learning_rate=0.1, warmup_steps=10, decay_factor=0.25)
    got = np.asarray(s(np.array([0, 5, 10, 12, 13, 14, 100])), np.float64)
    # min(s / 10, 1 + 0.25 (10 - s)): 0 -> floor, 0.5, 1, 0.5, 0.25, 0 -> floor, negative -> floor
    np.testing.assert_allclose(got, [1e-8, 0.05, 0.1, 0.05, 0.025, 1e-8, 1e-8], rtol=1e-6)
    zero_floor = s.replace(min_learning_rate=0.0)
    assert float(zero_floor(0)) == 0.0 and float(zero_floor(100)) == 0.0


def test_cosine_restarts_exact() -> None:
    """``cosine_decay`` restarts at W + k * steps_per_cycle exactly (the peak), even at 10**7 steps."""
    s = lrjit.FactorSchedule(
        "constant * cosine_decay", base_learning_rate=1.0, warmup_steps=3, steps_per_cycle=7
    )
    k = np.array([0, 1, 2, 1_428_570])
    starts = 3 + 7 * k
    np.testing.assert_array_equal(np.asarray(s(starts)), 1.0)
    np.testing.assert_array_equal(np.asarray(s(np.array([0, 1, 2]))), 1.0)  # before W: progress 0
    mid = np.asarray(s(starts[:, None] + np.arange(1, 7)[None, :]), np.float64)
    want = 0.5 * (1 + np.cos(np.pi * np.arange(1, 7) / 7))
    np.testing.assert_allclose(mid, np.broadcast_to(want, mid.shape), rtol=1e-6)


def test_decay_every_counts_whole_periods() -> None:
    s = lrjit.FactorSchedule(
        "constant * decay_every", base_learning_rate=1.0, decay_factor=0.5, steps_per_decay=4
    )
    got = np.asarray(s(np.arange(13)))
    np.testing.assert_array_equal(got, [1.0] * 4 + [0.5] * 4 + [0.25] * 4 + [0.125])


def test_noam_is_the_papers_formula() -> None:
    """t2t defaults (Adam): 0.1 * 0.002 * 5000 = 1, so the rate is d**-0.5 * min(n W**-1.5, n**-0.5)."""
    s = lrjit.Noam()
    assert (float(s.learning_rate), int(s.hidden_size), int(s.warmup_steps)) == (
        pytest.approx(0.1),
        512,
        4000,
    )
    steps = np.array([0, 1, 3998, 3999, 4000, 10**5, 10**7])
    n = steps + 1.0
    want = 512**-0.5 * np.minimum(n * 4000**-1.5, n**-0.5)
    np.testing.assert_allclose(np.asarray(s(steps), np.float64), want, rtol=2e-6)
    assert int(np.argmax(np.asarray(s(np.arange(8000))))) == 3999  # the peak at s + 1 = W
    # warmup_steps = 0: 0 ** -1.5 is inf, so the minimum is the decay from step 0
    w0 = lrjit.Noam(warmup_steps=0, optimizer_correction=1.0, learning_rate=1.0, hidden_size=1)
    np.testing.assert_allclose(np.asarray(w0(steps), np.float64), 5000 / np.sqrt(n), rtol=2e-6)


# ------------------------------------------------------------------------------------------------------
# factors: string and sequence forms, order, validation
# ------------------------------------------------------------------------------------------------------
def test_string_and_sequence_forms_are_one_schedule() -> None:
    forms = [
        "constant * linear_warmup * rsqrt_decay",
        "constant*linear_warmup*rsqrt_decay",
        "  constant *linear_warmup*   rsqrt_decay ",
        ("constant", "linear_warmup", "rsqrt_decay"),
        ["constant", " linear_warmup", "rsqrt_decay"],
    ]
    built = [lrjit.FactorSchedule(f, base_learning_rate=0.3, warmup_steps=50) for f in forms]
    steps = np.arange(0, 300)
    for b in built:
        assert b.factors == "constant * linear_warmup * rsqrt_decay"
        assert b == built[0] and hash(b) == hash(built[0])
        assert jax.tree_util.tree_structure(b) == jax.tree_util.tree_structure(built[0])
        np.testing.assert_array_equal(np.asarray(b(steps)), np.asarray(built[0](steps)))
    assert lrjit.FactorSchedule("constant * rsqrt_decay") != built[0]
    # the treedef holds the (hashable) factor string: another product is another program
    other = lrjit.FactorSchedule("constant * rsqrt_decay", base_learning_rate=0.3, warmup_steps=50)
    assert jax.tree_util.tree_structure(other) != jax.tree_util.tree_structure(built[0])


def test_factor_order_changes_values_only_by_rounding() -> None:
    """t5x's product is taken in the string's order (``ret *= ...``): a permutation is the same curve up to
    float rounding, as in t5x, and each order matches the transcription."""
    names = ["constant", "linear_warmup", "rsqrt_normalized_decay", "decay_every", "cosine_decay"]
    kwargs = {
        "base_learning_rate": 0.7,
        "warmup_steps": 250,
        "decay_factor": 0.8,
        "steps_per_decay": 500,
        "steps_per_cycle": 3000,
    }
    steps = np.unique(np.concatenate([np.arange(0, 4000, 7), LOG_STEPS]))
    curves = []
    for perm in itertools.permutations(names):
        if len(curves) >= 12:
            break
        s = lrjit.FactorSchedule(perm, **kwargs)
        curves.append(np.asarray(s(steps), np.float64))
    want = np.array([t5x_step_fn(lrjit.FactorSchedule(names, **kwargs), int(t)) for t in steps])
    peak = float(np.max(want))
    for c in curves:
        assert np.all(np.abs(c - want) <= bound(want, peak, False))
    # a repeated name is a square, as in t5x
    sq = lrjit.FactorSchedule("constant * constant", base_learning_rate=0.3)
    assert float(sq(5)) == pytest.approx(0.09, rel=1e-6)


BAD_FACTORS = [
    ("constant * linear_warmup * rsqrt", "unknown: 'rsqrt'"),
    ("constant * Linear_Warmup", "unknown: 'Linear_Warmup'"),
    ("", "unknown: an empty name"),
    ("constant * ", "unknown: an empty name"),
    ("constant ** rsqrt_decay", "unknown: an empty name"),
    (("constant", "legacy"), "unknown: 'legacy'"),
    ((), "must name at least one factor"),
]


@pytest.mark.parametrize(("factors", "detail"), BAD_FACTORS, ids=[repr(b[0]) for b in BAD_FACTORS])
def test_unknown_factor_raises_naming_factors_and_allowed_names(factors: Any, detail: str) -> None:
    with pytest.raises(ValueError) as info:
        lrjit.FactorSchedule(factors)
    message = str(info.value)
    assert message.startswith("FactorSchedule: `factors` must "), message
    assert detail in message, message
    if factors != ():
        assert all(repr(n) in message for n in T5X_FACTORS), message


@pytest.mark.parametrize("factors", [3, None, ("constant", 2), b"constant"])
def test_factors_of_the_wrong_type_raise_type_error(factors: Any) -> None:
    with pytest.raises(TypeError, match=re.escape("FactorSchedule: `factors` must be a string")):
        lrjit.FactorSchedule(factors)


BAD_VALUES = [
    ("FactorSchedule", {"warmup_steps": -1}, "`warmup_steps` must be an integer >= 0, got -1"),
    ("FactorSchedule", {"warmup_steps": 2.5}, "`warmup_steps` must be an integer, got 2.5"),
    ("FactorSchedule", {"base_learning_rate": -0.1}, "`base_learning_rate` must be a finite float >= 0"),
    ("FactorSchedule", {"base_learning_rate": math.nan}, "`base_learning_rate` must be a finite float >= 0"),
    ("FactorSchedule", {"decay_factor": -0.5}, "`decay_factor` must be a finite float >= 0"),
    ("FactorSchedule", {"steps_per_decay": 0}, "`steps_per_decay` must be an integer >= 1, got 0"),
    ("FactorSchedule", {"steps_per_cycle": 0}, "`steps_per_cycle` must be an integer >= 1, got 0"),
    ("FactorSchedule", {"step_offset": -3}, "`step_offset` must be an integer >= 0, got -3"),
    ("FactorSchedule", {"min_learning_rate": -1e-8}, "`min_learning_rate` must be a finite float >= 0"),
    ("FactorSchedule", {"hidden_size": 0}, "`hidden_size` must be an integer >= 1, got 0"),
    # warmup_steps = 0 where a factor divides by it (t5x: NaN or inf at step 0)
    (
        "FactorSchedule",
        {"warmup_steps": 0},
        "`warmup_steps` must be >= 1 with the factor(s) 'linear_warmup', 'rsqrt_decay'",
    ),
    (
        "FactorSchedule",
        {"factors": "linear_decay", "warmup_steps": 0},
        "`warmup_steps` must be >= 1 with the factor(s) 'linear_decay'",
    ),
    (
        "FactorSchedule",
        {"factors": "constant*rsqrt_normalized_decay", "warmup_steps": [5, 0]},
        "`warmup_steps` must be >= 1",
    ),
    ("Noam", {"learning_rate": -0.1}, "`learning_rate` must be a finite float >= 0"),
    ("Noam", {"hidden_size": 0}, "`hidden_size` must be an integer >= 1, got 0"),
    ("Noam", {"warmup_steps": -4000}, "`warmup_steps` must be an integer >= 0, got -4000"),
    ("Noam", {"optimizer_correction": math.inf}, "`optimizer_correction` must be a finite float >= 0"),
]


@pytest.mark.parametrize(
    ("family", "kwargs", "expected"), BAD_VALUES, ids=[f"{b[0]}-{b[1]}" for b in BAD_VALUES]
)
def test_bad_values_raise_naming_the_argument(family: str, kwargs: dict[str, Any], expected: str) -> None:
    with pytest.raises(ValueError, match=re.escape(f"{family}: {expected}")):
        lrjit.registry()[family](**kwargs)


def test_warmup_zero_is_valid_where_nothing_divides_by_it() -> None:
    for factors in ("constant * decay_every", "constant * cosine_decay", "constant * exp_decay", "constant"):
        s = lrjit.FactorSchedule(factors, warmup_steps=0)
        assert np.all(np.isfinite(np.asarray(s(np.arange(100)))))


def test_traced_warmup_zero_is_reported_by_checked_call() -> None:
    def run(w: jax.Array) -> Any:
        return lrjit.checked_call(lrjit.FactorSchedule(warmup_steps=w), jnp.arange(3))

    err, _ = jax.jit(run)(0)
    assert "`warmup_steps` must be >= 1 with the factor(s)" in (err.get() or "")
    err, value = jax.jit(run)(10)
    assert err.get() is None
    np.testing.assert_allclose(
        np.asarray(value), [1e-8, 0.5 * 0.1 / math.sqrt(10), 0.5 * 0.2 / math.sqrt(10)], rtol=1e-6
    )


def test_step_shape_for_a_step_independent_product() -> None:
    """t5x returns a scalar for ``"constant"``; lrjit gives the step's shape (and the floor)."""
    s = lrjit.FactorSchedule("constant", base_learning_rate=0.25)
    out = s(np.zeros((2, 3), np.int32))
    assert out.shape == (2, 3) and out.dtype == jnp.float32
    np.testing.assert_array_equal(np.asarray(out), 0.25)
    assert float(lrjit.FactorSchedule("constant", base_learning_rate=0.0)(7)) == np.float32(1e-8)


def test_batched_products_and_grad() -> None:
    """Configs of one product stack and vmap; grad reaches base_learning_rate, decay_factor and the floor."""
    singles = [
        lrjit.FactorSchedule(
            "constant * linear_warmup * decay_every",
            base_learning_rate=lr,
            warmup_steps=w,
            decay_factor=df,
            steps_per_decay=d,
        )
        for lr, w, df, d in [(0.1, 10, 0.5, 30), (0.3, 1, 0.9, 7), (1.0, 100, 0.1, 1000)]
    ]
    batch = lrjit.stack(singles)
    steps = np.arange(0, 2000, 13)
    got = np.asarray(lrjit.curves(batch, steps))
    for row, s in zip(got, singles, strict=True):
        np.testing.assert_array_equal(row, np.asarray(s(steps)))
    params, rest = lrjit.partition(singles[0])
    g = jax.grad(lambda p: lrjit.combine(p, rest)(65))(params)
    # 0.1 * 1 * 0.5 ** 2: d/d lr = 0.25, d/d df = 0.1 * 2 * 0.5 = 0.1, d/d floor = 0
    assert float(g.base_learning_rate) == pytest.approx(0.25, rel=1e-6)
    assert float(g.decay_factor) == pytest.approx(0.1, rel=1e-6)
    assert float(g.min_learning_rate) == 0.0
