"""Constructor validation: concrete bad values raise errors that name the argument and its allowed range.

Every family in ``lrjit.registry()`` is covered from its field declarations (``lrjit.core.fields``): each
leaf with a domain gets out-of-domain values drawn from a fixed candidate list (those its predicate rejects),
each integer leaf a fractional value, each numeric leaf a bool and a string, and each scalar leaf a batch
with one bad element. The hand-written cases below pin the rules the source libraries enforce (Keras 3
raises ValueError for ``decay_steps <= 0``; MXNet 1.9 ``lr_scheduler.py`` for ``step < 1``, ``factor > 1``
and non-increasing step lists; Keras ``PiecewiseConstantDecay`` requires one more value than boundaries).

Traced values cannot raise at construction; what they give is documented in
``test_traced_bad_values_do_not_raise`` and caught by ``lrjit.checked_call``.
"""

from __future__ import annotations

import math
import re
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import lrjit
from lrjit.core.fields import Kind

FLOAT_CANDIDATES = (-1.0, -0.5, math.nan, math.inf, -math.inf, 0.0, 1.5, 2.0)
INT_CANDIDATES = (-10, -1, 0)
SEED = 7


def _base_kwargs(cls: type[lrjit.Schedule]) -> dict[str, Any]:
    """A valid config of ``cls`` (its sampled one) as constructor arguments."""
    return {k: v for k, v in cls.sample(np.random.default_rng(SEED)).config().items() if v is not None}


def _domain_leaves(cls: type[lrjit.Schedule]) -> list[tuple[str, Any]]:
    """(name, spec) of every leaf whose domain can reject a value (keys and bools have none that does)."""
    out = []
    for name in lrjit.core.leaf_names(cls):
        spec = lrjit.fields_of(cls)[name]
        if spec.domain is None or spec.kind in (Kind.KEY, Kind.BOOL):
            continue
        out.append((name, spec))
    return out


def _bad_values(spec: Any) -> list[Any]:
    """The candidates (scalar) that the leaf's domain predicate rejects."""
    integer = spec.kind.scalar_kind == "int"
    candidates = INT_CANDIDATES if integer else FLOAT_CANDIDATES
    return [c for c in candidates if not bool(np.all(spec.domain.predicate(np.asarray(c), np)))]


def _with_bad(base: dict[str, Any], name: str, spec: Any, bad: Any) -> tuple[dict[str, Any], str]:
    """``base`` with ``name`` set to ``bad`` (for a vector leaf: its last element), and the index shown."""
    kwargs = dict(base)
    if spec.kind.base_ndim == 1:
        vec = np.asarray(base[name]).tolist()
        vec[-1] = bad
        kwargs[name] = vec
        return kwargs, f"(at index {len(vec) - 1})"
    kwargs[name] = bad
    return kwargs, ""


def _domain_cases() -> list[Any]:
    cases = []
    for family, cls in sorted(lrjit.registry().items()):
        for name, spec in _domain_leaves(cls):
            for bad in _bad_values(spec):
                cases.append(pytest.param(family, name, bad, id=f"{family}-{name}-{bad}"))
    return cases


def _message_names(message: str, family: str, name: str, description: str) -> None:
    assert f"{family}: `{name}` must be {description}, got " in message, message


@pytest.mark.parametrize(("family", "name", "bad"), _domain_cases())
def test_out_of_domain_value_raises_naming_argument_and_range(family: str, name: str, bad: Any) -> None:
    """Each out-of-domain value raises ``ValueError("<Family>: `name` must be <domain>, got <value>")``.

    Guards the domain declared on every leaf (lrjit.core.fields) for every registered family.
    """
    cls = lrjit.registry()[family]
    spec = lrjit.fields_of(cls)[name]
    kwargs, index = _with_bad(_base_kwargs(cls), name, spec, bad)
    with pytest.raises(ValueError) as info:
        cls(**kwargs)
    message = str(info.value)
    _message_names(message, family, name, spec.domain.description)
    assert message.endswith(index), message


def test_every_domain_leaf_gets_a_bad_value() -> None:
    """The candidate lists reach every leaf with a domain (so a new family's fields are all exercised)."""
    missing = [
        f"{family}.{name}"
        for family, cls in lrjit.registry().items()
        for name, spec in _domain_leaves(cls)
        if not _bad_values(spec)
    ]
    assert not missing, missing
    assert len(_domain_cases()) >= 3 * len(lrjit.registry())


# ------------------------------------------------------------------------------------------------------
# The rules of the source libraries, by hand
# ------------------------------------------------------------------------------------------------------
POS_INT, NONNEG_FLOAT, POS_FLOAT, UNIT, CYCLE_MULTIPLIER = (
    "an integer >= 1",
    "a finite float >= 0",
    "a finite float > 0",
    "a float in [0, 1]",
    "a float > 0 and <= 1e18",
)
HAND_CASES = [
    # step counts <= 0 (Keras: "decay_steps must be > 0"; MXNet: "step must be greater or equal than 1")
    (
        "ExponentialDecay",
        {"initial_learning_rate": 0.1, "decay_steps": 0, "decay_rate": 0.5},
        "decay_steps",
        POS_INT,
    ),
    (
        "InverseTimeDecay",
        {"initial_learning_rate": 0.1, "decay_steps": -1, "decay_rate": 0.5},
        "decay_steps",
        POS_INT,
    ),
    ("PolynomialDecay", {"initial_learning_rate": 0.1, "decay_steps": 0}, "decay_steps", POS_INT),
    ("CosineDecay", {"initial_learning_rate": 0.1, "decay_steps": 0}, "decay_steps", POS_INT),
    (
        "CosineDecayRestarts",
        {"initial_learning_rate": 0.1, "first_decay_steps": 0},
        "first_decay_steps",
        POS_INT,
    ),
    (
        "CosineDecayRestarts",
        {"initial_learning_rate": 0.1, "first_decay_steps": -5},
        "first_decay_steps",
        POS_INT,
    ),
    ("LinearCosineDecay", {"initial_learning_rate": 0.1, "decay_steps": 0}, "decay_steps", POS_INT),
    (
        "NaturalExpDecay",
        {"initial_learning_rate": 0.1, "decay_steps": 0, "decay_rate": 0.5},
        "decay_steps",
        POS_INT,
    ),
    ("FactorScheduler", {"step": 0}, "step", POS_INT),
    ("MultiFactorScheduler", {"step": [0, 10]}, "step", POS_INT),
    ("PolyScheduler", {"max_update": 0}, "max_update", POS_INT),
    ("CosineScheduler", {"max_update": -3}, "max_update", POS_INT),
    # negative, NaN and infinite rates
    (
        "ExponentialDecay",
        {"initial_learning_rate": -0.1, "decay_steps": 10, "decay_rate": 0.5},
        "initial_learning_rate",
        NONNEG_FLOAT,
    ),
    (
        "CosineDecay",
        {"initial_learning_rate": math.nan, "decay_steps": 10},
        "initial_learning_rate",
        NONNEG_FLOAT,
    ),
    (
        "CosineDecay",
        {"initial_learning_rate": 0.1, "decay_steps": 10, "warmup_target": math.inf, "warmup_steps": 5},
        "warmup_target",
        NONNEG_FLOAT,
    ),
    (
        "PolynomialDecay",
        {"initial_learning_rate": 0.1, "decay_steps": 10, "end_learning_rate": -1e-4},
        "end_learning_rate",
        NONNEG_FLOAT,
    ),
    ("PiecewiseConstantDecay", {"boundaries": [5], "values": [0.1, math.nan]}, "values", NONNEG_FLOAT),
    ("FactorScheduler", {"step": 5, "base_lr": math.inf}, "base_lr", NONNEG_FLOAT),
    ("SquareRootScheduler", {"lr": -1.0}, "lr", NONNEG_FLOAT),
    (
        "ExponentialDecay",
        {"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.0},
        "decay_rate",
        POS_FLOAT,
    ),
    (
        "ExponentialDecay",
        {"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": math.nan},
        "decay_rate",
        POS_FLOAT,
    ),
    # alpha outside [0, 1]
    ("CosineDecay", {"initial_learning_rate": 0.1, "decay_steps": 10, "alpha": -0.1}, "alpha", UNIT),
    ("CosineDecay", {"initial_learning_rate": 0.1, "decay_steps": 10, "alpha": 1.5}, "alpha", UNIT),
    (
        "CosineDecayRestarts",
        {"initial_learning_rate": 0.1, "first_decay_steps": 10, "alpha": math.nan},
        "alpha",
        UNIT,
    ),
    # t_mul <= 0, and beyond 1e18 (where the cycle arithmetic would leave the float range)
    (
        "CosineDecayRestarts",
        {"initial_learning_rate": 0.1, "first_decay_steps": 10, "t_mul": 0.0},
        "t_mul",
        CYCLE_MULTIPLIER,
    ),
    (
        "CosineDecayRestarts",
        {"initial_learning_rate": 0.1, "first_decay_steps": 10, "t_mul": -2.0},
        "t_mul",
        CYCLE_MULTIPLIER,
    ),
    (
        "CosineDecayRestarts",
        {"initial_learning_rate": 0.1, "first_decay_steps": 10, "t_mul": 1e30},
        "t_mul",
        CYCLE_MULTIPLIER,
    ),
    # MXNet: factor > 1
    ("FactorScheduler", {"step": 5, "factor": 1.5}, "factor", UNIT),
    ("MultiFactorScheduler", {"step": [5], "factor": 2.0}, "factor", UNIT),
]


@pytest.mark.parametrize(
    ("family", "kwargs", "name", "description"),
    [pytest.param(*c, id=f"{c[0]}-{c[2]}-{i}") for i, c in enumerate(HAND_CASES)],
)
def test_named_rules(family: str, kwargs: dict[str, Any], name: str, description: str) -> None:
    """The rules named by Keras 3 and MXNet 1.9, with lrjit's message naming argument and range."""
    with pytest.raises(ValueError) as info:
        getattr(lrjit, family)(**kwargs)
    _message_names(str(info.value), family, name, description)


CROSS_FIELD = [
    (
        "PiecewiseConstantDecay",
        {"boundaries": [10, 5], "values": [1.0, 0.5, 0.1]},
        "`boundaries` must be strictly increasing",
    ),
    (
        "PiecewiseConstantDecay",
        {"boundaries": [5, 5], "values": [1.0, 0.5, 0.1]},
        "`boundaries` must be strictly increasing",
    ),
    (
        "PiecewiseConstantDecay",
        {"boundaries": [5, 10], "values": [1.0, 0.5]},
        "`values` must have one more entry than `boundaries`",
    ),
    (
        "PiecewiseConstantDecay",
        {"boundaries": [5], "values": [1.0, 0.5, 0.1]},
        "`values` must have one more entry than `boundaries`",
    ),
    (
        "PiecewiseConstantDecay",
        {"boundaries": [], "values": [1.0]},
        "`boundaries` must have at least one entry",
    ),
    (
        "PiecewiseConstantDecay",
        {"boundaries": 5, "values": [1.0, 0.5]},
        "`boundaries` must be a 1-D sequence",
    ),
    ("MultiFactorScheduler", {"step": [10, 10]}, "`step` must be strictly increasing"),
    ("MultiFactorScheduler", {"step": [20, 10]}, "`step` must be strictly increasing"),
    ("MultiFactorScheduler", {"step": []}, "`step` must have at least one entry"),
    (
        "FactorScheduler",
        {"step": 5, "base_lr": 0.01, "warmup_begin_lr": 0.1},
        "`warmup_begin_lr` must be <= `base_lr`",
    ),
    ("PolyScheduler", {"max_update": 10, "warmup_steps": 10}, "`max_update` must be > `warmup_steps`"),
    ("CosineScheduler", {"max_update": 10, "warmup_steps": 30}, "`max_update` must be > `warmup_steps`"),
    (
        "CosineScheduler",
        {"max_update": 10, "warmup_mode": "cosine"},
        "`warmup_mode` must be one of 'linear' | 'constant'",
    ),
    (
        "ExponentialDecay",
        {"initial_learning_rate": 0.1, "decay_steps": None, "decay_rate": 0.5},
        "`decay_steps` is required",
    ),
]


@pytest.mark.parametrize(
    ("family", "kwargs", "expected"),
    [pytest.param(*c, id=f"{c[0]}-{i}") for i, c in enumerate(CROSS_FIELD)],
)
def test_structure_and_cross_field_rules(family: str, kwargs: dict[str, Any], expected: str) -> None:
    """Boundaries strictly increasing and one fewer than values (Keras PiecewiseConstantDecay); MXNet's
    increasing step list, warmup_begin_lr <= base_lr and warmup mode; a decay span after the warmup."""
    with pytest.raises(ValueError, match=re.escape(expected)):
        getattr(lrjit, family)(**kwargs)


# ------------------------------------------------------------------------------------------------------
# Integer leaves: fractional values rejected, integral floats accepted
# ------------------------------------------------------------------------------------------------------
def _int_leaves() -> list[Any]:
    return [
        pytest.param(family, name, id=f"{family}-{name}")
        for family, cls in sorted(lrjit.registry().items())
        for name in lrjit.core.leaf_names(cls)
        if lrjit.fields_of(cls)[name].kind in (Kind.INT, Kind.INT_VECTOR)
    ]


@pytest.mark.parametrize(("family", "name"), _int_leaves())
def test_integer_leaf_rejects_fractions_and_accepts_integral_floats(family: str, name: str) -> None:
    """A step count is never silently floored: 2.5 (or NaN, inf) raises ValueError naming the argument;
    an integral float (``1e4``-style) is accepted and stored as the integer."""
    cls = lrjit.registry()[family]
    base = _base_kwargs(cls)
    spec = lrjit.fields_of(cls)[name]
    for bad in (2.5, math.nan, math.inf):
        kwargs, _ = _with_bad(base, name, spec, bad)
        with pytest.raises(ValueError, match=re.escape(f"{family}: `{name}` must be an integer")):
            cls(**kwargs)
    as_float = np.asarray(base[name]).astype(np.float64)
    sched = cls(**{**base, name: as_float.tolist()})
    stored = np.asarray(getattr(sched, name))
    assert np.issubdtype(stored.dtype, np.integer)
    np.testing.assert_array_equal(stored, np.asarray(base[name]))


def test_integral_float_decay_steps() -> None:
    """``decay_steps=1e4`` is the integer 10000; ``2.5`` raises (Keras would floor nothing either: it
    divides by 2.5, a period no step count has)."""
    sched = lrjit.ExponentialDecay(0.1, 1e4, 0.5)
    assert int(sched.decay_steps) == 10_000 and np.issubdtype(np.asarray(sched.decay_steps).dtype, np.integer)
    assert float(sched(10_000)) == pytest.approx(0.05, rel=1e-6)
    with pytest.raises(ValueError, match=r"`decay_steps` must be an integer, got 2\.5"):
        lrjit.ExponentialDecay(0.1, 2.5, 0.5)
    with pytest.raises(ValueError, match=r"`boundaries` must be an integer"):
        lrjit.PiecewiseConstantDecay([1.0, 2.5], [1.0, 0.5, 0.1])
    assert np.asarray(lrjit.MultiFactorScheduler([10.0, 20.0]).step).tolist() == [10, 20]


# ------------------------------------------------------------------------------------------------------
# Types: bools where numbers are expected, strings anywhere
# ------------------------------------------------------------------------------------------------------
def _typed_leaves() -> list[Any]:
    return [
        pytest.param(family, name, id=f"{family}-{name}")
        for family, cls in sorted(lrjit.registry().items())
        for name in lrjit.core.leaf_names(cls)
    ]


@pytest.mark.parametrize(("family", "name"), _typed_leaves())
def test_wrong_types_raise_type_error_naming_argument(family: str, name: str) -> None:
    """A bool for a number, a number for a bool, and a string for anything raise TypeError naming the
    argument (``True`` is not silently 1)."""
    cls = lrjit.registry()[family]
    base = _base_kwargs(cls)
    kind = lrjit.fields_of(cls)[name].kind
    if lrjit.fields_of(cls)[name].child is not None:  # a sub-schedule: numbers become constants, nothing else
        wrong: list[Any] = ["CosineDecay", True, {"initial_learning_rate": 0.1}, [lrjit.Constant(1.0), 0.5]]
    elif kind is Kind.BOOL:
        wrong = [1, 0.0, "yes"]
    elif kind is Kind.KEY:
        wrong = [1.5, True, "seed"]
    elif kind.base_ndim == 1:
        wrong = [[True] * len(np.asarray(base[name])), ["a"] * len(np.asarray(base[name]))]
    else:
        wrong = [True, False, "0.1"]
    for value in wrong:
        with pytest.raises(TypeError) as info:
            cls(**{**base, name: value})
        assert f"`{name}`" in str(info.value), f"{family}({name}={value!r}): {info.value}"


# ------------------------------------------------------------------------------------------------------
# Batched leaves: one bad element, reported with its index
# ------------------------------------------------------------------------------------------------------
def _batched_cases() -> list[Any]:
    cases = []
    for family, cls in sorted(lrjit.registry().items()):
        for name, spec in _domain_leaves(cls):
            if spec.kind.base_ndim == 0:
                cases.append(pytest.param(family, name, _bad_values(spec)[0], id=f"{family}-{name}"))
    return cases


@pytest.mark.parametrize(("family", "name", "bad"), _batched_cases())
def test_batched_leaf_with_one_bad_element(family: str, name: str, bad: Any) -> None:
    """A leaf given as a batch ``[good, good, bad, good]`` raises, naming the argument, the range and the
    bad element's index; the all-good batch is accepted."""
    cls = lrjit.registry()[family]
    base = _base_kwargs(cls)
    spec = lrjit.fields_of(cls)[name]
    good = np.asarray(base[name]).item()
    dtype = np.int64 if spec.kind.scalar_kind == "int" else np.float64
    ok = np.asarray([good, good, good, good], dtype=dtype)
    assert lrjit.batch_size(cls(**{**base, name: ok})) == 4
    batch = ok.copy()
    batch[2] = bad
    with pytest.raises(ValueError) as info:
        cls(**{**base, name: batch})
    _message_names(str(info.value), family, name, spec.domain.description)
    assert str(info.value).endswith("(at index 2)"), str(info.value)


def test_batched_vector_leaf_reports_both_indices() -> None:
    """A batch of boundary lists reports (config, position) of the bad entry."""
    with pytest.raises(
        ValueError, match=re.escape("`boundaries` must be an integer >= 0, got -4 (at index (1, 0))")
    ):
        lrjit.PiecewiseConstantDecay([[1, 5], [-4, 6]], [[1.0, 0.5, 0.1], [1.0, 0.5, 0.1]])


# ------------------------------------------------------------------------------------------------------
# Traced values: no error at construction; checked_call reports them
# ------------------------------------------------------------------------------------------------------
def test_traced_bad_values_do_not_raise() -> None:
    """Documented behaviour: a bad value that is only known under tracing cannot raise at construction and
    is evaluated by the formula as written.

    ``ExponentialDecay(0.1, decay_steps=0, 0.5)(10)`` under jit computes ``0.1 * 0.5 ** (10 / 0)`` =
    ``0.1 * 0.5 ** inf`` = 0.0: a finite, silently wrong value (not NaN). With ``staircase=True`` the
    exponent is XLA's integer ``10 // 0`` (-1), giving 0.2, twice the initial rate. ``checked_call``
    reports both.
    """
    value = jax.jit(lambda d: lrjit.ExponentialDecay(0.1, d, 0.5)(10))(0)
    assert value.dtype == jnp.float32
    assert float(value) == 0.0
    stair = jax.jit(lambda d: lrjit.ExponentialDecay(0.1, d, 0.5, staircase=True)(10))(0)
    assert np.isfinite(float(stair)) and float(stair) != pytest.approx(0.1 * 0.5**10)


@pytest.mark.parametrize("staircase", [False, True])
def test_checked_call_reports_traced_bad_values(staircase: bool) -> None:
    """``lrjit.checked_call`` runs the constructor's domain rules as checkify checks: under jit, a traced
    ``decay_steps=0`` is reported with the argument and its range; a good one reports nothing."""

    def run(d: jax.Array) -> tuple[Any, jax.Array]:
        return lrjit.checked_call(lrjit.ExponentialDecay(0.1, d, 0.5, staircase=staircase), 10)

    err, _ = jax.jit(run)(0)
    message = err.get()
    assert message is not None and "`decay_steps` must be an integer >= 1" in message, message
    err, value = jax.jit(run)(5)
    assert err.get() is None
    assert float(value) == pytest.approx(0.1 * 0.5**2, rel=1e-6)


def test_checked_call_reports_traced_cross_field_rules_and_steps() -> None:
    """Cross-field rules (strictly increasing boundaries) and negative traced steps are reported too."""

    def run(b: jax.Array, s: jax.Array) -> tuple[Any, jax.Array]:
        return lrjit.checked_call(lrjit.PiecewiseConstantDecay(b, jnp.asarray([1.0, 0.5, 0.1])), s)

    err, _ = jax.jit(run)(jnp.asarray([10, 5]), jnp.asarray(3))
    assert "`boundaries` must be strictly increasing" in (err.get() or "")
    err, _ = jax.jit(run)(jnp.asarray([5, 10]), jnp.asarray(-1))
    assert "step must be >= 0" in (err.get() or "")
    err, _ = jax.jit(run)(jnp.asarray([5, 10]), jnp.asarray(7))
    assert err.get() is None
