"""Properties every schedule family must have, checked for each entry of ``lrjit.registry()``.

The suite is driven by the registry and by ``cls.sample(rng)`` (a random valid config drawn from the field
domains), so a newly registered family is covered without editing this file. For every family:

- ``jit`` and eager evaluation agree, on steps covering 0, the edges implied by the integer
  hyperparameters, and up to about three times the largest of them;
- a batch of configs built with ``lrjit.stack`` (every leaf varying, or one leaf at a time, stacked or
  broadcast next to unbatched leaves) evaluates, through ``curves``, ``__call__`` and ``jax.vmap``, to the
  rows of the single configs;
- a new config of the same structure never recompiles a jitted function or ``lrjit.curves``;
- the output has the step's shape, float32 by default and float64 under x64; non-integer, bool and
  negative steps are rejected;
- ``jax.grad`` reaches every float hyperparameter and agrees with central finite differences in float64;
- pytree flatten/unflatten, static fields in the treedef, one leaf per numeric hyperparameter;
- ``repr`` shows every field, ``==``/``hash`` follow the values, batched schedules compare without error.

Comparisons between compiled programs use ``rtol=1e-6`` and ``atol=1e-7 * max|value|`` (per config row):
XLA may fuse a jitted, vmapped or eager program differently, which moves the last ulp or two.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import re
from collections.abc import Callable, Iterator
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lrjit
from lrjit import Schedule
from lrjit.core import Kind, is_float_leaf
from lrjit.core.batch import curves_at, curves_range

from helpers import JIT_CALL, JIT_VMAP

FAMILIES = sorted(lrjit.registry())
BATCH = 8
VECTOR_LEN = 3  # length of vector leaves (boundaries, milestones) wherever configs are stacked
PROBE_SIZE = 512  # steps per probed curve
GRAD_STEPS = 8  # steps per config in the gradient test
RTOL, ATOL_FRACTION = 1e-6, 1e-7

# A schedule rebuilt from partition() halves and evaluated: the function finite differences probe.
_EVAL = jax.jit(lambda p, r, t: lrjit.combine(p, r)(t))


# ------------------------------------------------------------------------------------------------------
# helpers
# ------------------------------------------------------------------------------------------------------
def family(name: str) -> type[Schedule]:
    return lrjit.registry()[name]


def sample_fixed(cls: type[Schedule], rng: np.random.Generator, **fixed: Any) -> Schedule:
    """A random valid config whose vector leaves (if any) have ``VECTOR_LEN`` entries.

    ``cls.sample`` draws the number of boundaries at random; stacking needs one structure.
    """
    return cls.sample(rng, vector_len=VECTOR_LEN, **fixed)


def structure(s: Schedule) -> tuple[Any, ...]:
    """What must agree for two single configs to stack: treedef and every leaf's shape and dtype."""
    leaves, treedef = jax.tree_util.tree_flatten(s)
    return (treedef, tuple((jnp.shape(x), jnp.result_type(x)) for x in leaves))


def same_structure_samples(
    cls: type[Schedule], rng: np.random.Generator, k: int, **fixed: Any
) -> list[Schedule]:
    """``k`` independent random configs of one structure (the first one's)."""
    first = sample_fixed(cls, rng, **fixed)
    out = [first]
    for _ in range(500):
        if len(out) == k:
            break
        s = sample_fixed(cls, rng, **fixed)
        if structure(s) == structure(first):
            out.append(s)
    if len(out) < k:
        raise RuntimeError(f"{cls.__name__}: could not draw {k} configs of one structure")
    return out


def leaf_kind(s: Schedule, name: str) -> Kind:
    kind = lrjit.fields_of(type(s))[name].kind
    assert kind is not None
    return kind


def is_child(s: Schedule, name: str) -> bool:
    """True for a sub-schedule field of a composition."""
    return lrjit.fields_of(type(s))[name].child is not None


def declared_leaves(s: Schedule, prefix: str = "", extra: int = 0) -> list[tuple[str, Any, Kind, int]]:
    """(path, value, kind, extra dimensions) of every leaf of ``s`` from the field declarations, recursing
    into sub-schedules (the leaves of a stacked child have one extra, leading, piece dimension)."""
    out: list[tuple[str, Any, Kind, int]] = []
    for name in lrjit.core.leaf_names(s):
        value = getattr(s, name)
        if value is None:
            continue
        layout = lrjit.fields_of(type(s))[name].child
        if layout is None:
            out.append((f"{prefix}.{name}", value, leaf_kind(s, name), extra))
        elif layout == "tuple":
            for i, item in enumerate(value):
                out += declared_leaves(item, f"{prefix}.{name}[{i}]", extra)
        else:
            out += declared_leaves(value, f"{prefix}.{name}", extra + (layout == "stacked"))
    return out


def int_hyperparameters(s: Schedule) -> list[int]:
    """Every integer hyperparameter value (scalars and vector entries, batched or not, sub-schedules'
    included)."""
    out: list[int] = []
    for _, value, kind, _ in declared_leaves(s):
        if kind.scalar_kind == "int":
            out.extend(int(v) for v in np.ravel(np.asarray(value)))
    return out


def edge_steps(s: Schedule) -> set[int]:
    """Steps where a curve may change regime: each integer hyperparameter, pairwise sums (e.g. warmup +
    decay), and their neighbours (MXNet counts updates from 1, so its edges sit one step earlier)."""
    ints = int_hyperparameters(s)
    centres = set(ints) | {a + b for a, b in itertools.combinations(ints, 2)}
    return {c + d for c in centres for d in (-2, -1, 0, 1, 2) if c + d >= 0}


def top_step(s: Schedule) -> int:
    return 3 * max([*int_hyperparameters(s), 10])


def probe_steps(*schedules: Schedule, size: int = PROBE_SIZE) -> np.ndarray:
    """``size`` sorted int32 steps: 0..3, the edges of every schedule, and an even grid filling the rest,
    up to ~3x the largest integer hyperparameter.

    The length is fixed so that eager evaluation (one small XLA program per primitive and shape) compiles
    once per family rather than once per config.
    """
    top = max(top_step(s) for s in schedules)
    points = {0, 1, 2, 3, top}
    for s in schedules:
        points |= edge_steps(s)
    must = sorted(p for p in points if 0 <= p <= top)
    if len(must) > size:  # keep an even subset, 0 and top included
        must = [must[i] for i in np.linspace(0, len(must) - 1, size).round().astype(int)]
    fill = np.linspace(0, top, size - len(must)).round().astype(int)
    return np.sort(np.concatenate([np.array(must, dtype=int), fill])).astype(np.int32)


def assert_curves_close(got: Any, want: Any, what: str = "", scale: float | None = None) -> None:
    """Same shape and dtype; values within RTOL and ATOL_FRACTION * max|row| (per config row), or
    ATOL_FRACTION * ``scale`` when given (a curve's peak, for a few points of it)."""
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape, f"{what}: shape {got.shape} != {want.shape}"
    assert got.dtype == want.dtype, f"{what}: dtype {got.dtype} != {want.dtype}"
    if want.size == 0:
        return
    rows_g = got.reshape(-1, want.shape[-1]) if want.ndim else got.reshape(1, 1)
    rows_w = want.reshape(-1, want.shape[-1]) if want.ndim else want.reshape(1, 1)
    for i, (g, w) in enumerate(zip(rows_g, rows_w, strict=True)):
        finite = np.abs(w[np.isfinite(w)])
        row_scale = scale if scale is not None else (finite.max() if finite.size else 0.0)
        np.testing.assert_allclose(
            g,
            w,
            rtol=RTOL,
            atol=ATOL_FRACTION * row_scale,
            equal_nan=True,
            err_msg=f"{what} (row {i})",
        )


def same_shape(a: Any, b: Any) -> bool:
    """Leaf values of one shape, or sub-schedules of one structure."""
    if isinstance(a, Schedule | tuple):
        return structure(a) == structure(b)
    return jnp.shape(a) == jnp.shape(b)


def stack_column(column: list[Any]) -> Any:
    """One field's values from K configs with a leading K axis on every leaf (sub-schedules included)."""
    return jax.tree_util.tree_map(
        lambda *xs: jnp.stack(xs) if isinstance(xs[0], jax.Array) else np.stack(xs), *column
    )


def alternative_values(base: Schedule, name: str, rng: np.random.Generator, k: int) -> list[Schedule]:
    """``k`` configs equal to ``base`` except ``name``, whose value comes from other random samples.

    Candidates that break a cross-field rule are skipped. At least one result differs from ``base``.
    """
    cls = type(base)
    out: list[Schedule] = []
    for _ in range(50 * k):
        donor = sample_fixed(cls, rng, **{n: getattr(base, n) for n in lrjit.core.static_names(cls)})
        value = getattr(donor, name)
        if value is None or not same_shape(value, getattr(base, name)):
            continue
        try:
            out.append(base.replace(**{name: value}))
        except ValueError:
            continue
        if len(out) == k:
            break
    assert len(out) == k, f"{cls.__name__}.{name}: only {len(out)} valid variations found"
    if all(o == base for o in out):  # e.g. a bool leaf drawn equal every time: force a change
        flipped = np.logical_not(np.asarray(getattr(base, name)))
        out[-1] = base.replace(**{name: flipped})
    assert any(o != base for o in out), f"{cls.__name__}.{name}: no variation"
    return out


def single_rows(schedules: list[Schedule], steps: np.ndarray, *, eager: bool = True) -> np.ndarray:
    """The reference: each single config evaluated on its own (eagerly, or by one jitted program),
    stacked on axis 0."""
    call = (lambda s: s(steps)) if eager else (lambda s: JIT_CALL(s, steps))
    return np.stack([np.asarray(call(s)) for s in schedules])


def python_values(s: Schedule) -> dict[str, Any]:
    """The config as Python numbers and lists (keys and static values as stored, sub-schedules rebuilt
    the same way): rebuilding from them inside ``jax.enable_x64(True)`` gives the same values in float64."""
    out: dict[str, Any] = {}
    for name, value in s.config().items():
        if name in lrjit.core.static_names(s) or value is None:
            out[name] = value
        elif is_child(s, name):
            out[name] = tuple(map(rebuild, value)) if isinstance(value, tuple) else rebuild(value)
        elif leaf_kind(s, name) is Kind.KEY:
            out[name] = value
        else:
            out[name] = np.asarray(value).tolist()
    return out


def rebuild(s: Schedule) -> Schedule:
    """``s`` constructed again from Python values (in the current precision context)."""
    return type(s)(**python_values(s))


# ------------------------------------------------------------------------------------------------------
# registry
# ------------------------------------------------------------------------------------------------------
def test_registry_lists_every_exported_family() -> None:
    """Every Schedule subclass exported by ``lrjit`` is registered under its class name, and vice versa;
    the one exception is ``StepFunction``, whose function no config or spec can name or rebuild."""
    exported = {
        name
        for name in lrjit.__all__
        if isinstance(getattr(lrjit, name), type)
        and issubclass(getattr(lrjit, name), Schedule)
        and getattr(lrjit, name) not in (Schedule, lrjit.StepFunction)
    }
    reg = lrjit.registry()
    assert set(reg) == exported
    assert all(reg[name] is getattr(lrjit, name) and cls.__name__ == name for name, cls in reg.items())
    assert len(reg) >= 14


@pytest.mark.parametrize("name", FAMILIES)
def test_sample_is_valid_and_reproducible(name: str) -> None:
    """``sample`` gives a valid config (re-constructible from its own fields) and is seed-deterministic."""
    cls = family(name)
    for seed in range(5):
        a = cls.sample(np.random.default_rng(seed))
        b = cls.sample(np.random.default_rng(seed))
        assert type(a) is cls and a == b
        assert lrjit.batch_size(a) is None
        assert cls(**a.config()) == a


# ------------------------------------------------------------------------------------------------------
# jit == eager
# ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", FAMILIES)
def test_jit_matches_eager(name: str) -> None:
    """An eager call gives the bits of the jitted evaluation (the schedule and the steps as arguments)
    on 0, small steps, every edge and up to ~3x the largest integer hyperparameter, and for Python-int
    steps up to the largest int32 step; ``curves`` too."""
    cls = family(name)
    rng = np.random.default_rng(1)
    top = np.iinfo(np.int32).max
    for _ in range(4):
        s = cls.sample(rng)
        steps = probe_steps(s)
        eager = s(steps)
        np.testing.assert_array_equal(eager, JIT_CALL(s, steps), err_msg=f"{s!r} jit vs eager")
        np.testing.assert_array_equal(lrjit.curves(s, steps), eager, err_msg=f"{s!r} curves vs eager")
        peak = float(np.nanmax(np.abs(np.asarray(eager))))
        for t in (0, 1, int(steps[len(steps) // 2]), int(steps[-1]), top - 1, top):
            np.testing.assert_array_equal(s(t), JIT_CALL(s, np.int32(t)), err_msg=f"{s!r} at Python int {t}")
        # a step's value does not depend on the array it comes in: each edge step alone (a shape-()
        # program) equals its entry in the whole array
        points = sorted({0, 1, 2, 3, int(steps[-1])} | {t for t in edge_steps(s) if t <= steps[-1]})
        assert set(points) <= set(steps.tolist())
        alone = np.array([np.asarray(JIT_CALL(s, t)) for t in points], dtype=np.float32)
        in_array = np.asarray(eager)[np.searchsorted(steps, points)]
        assert_curves_close(alone, in_array, f"{s!r} steps {points} alone vs in an array", peak)


@pytest.mark.parametrize("name", FAMILIES)
@settings(
    max_examples=6,
    deadline=None,
    database=None,
    derandomize=True,  # deterministic examples: the same run on every machine
    suppress_health_check=[HealthCheck.too_slow],
)
@given(seed=st.integers(0, 2**32 - 1), data=st.data())
def test_jit_eager_vmap_agree_on_random_steps(name: str, seed: int, data: st.DataObject) -> None:
    """For random configs and random step arrays (1-D and 2-D), eager, jit, and a row of a vmapped
    batch are the same curve."""
    cls = family(name)
    rng = np.random.default_rng(seed)
    s, other = same_structure_samples(cls, rng, 2)
    shape = data.draw(st.sampled_from([(5,), (2, 3), (17,)]), label="shape")
    top = max(top_step(s), top_step(other))
    values = data.draw(
        st.lists(st.integers(0, top), min_size=math.prod(shape), max_size=math.prod(shape)),
        label="steps",
    )
    steps = np.array(values, dtype=np.int32).reshape(shape)
    peak_s = float(np.nanmax(np.abs(np.asarray(lrjit.curves(s, probe_steps(s))))))
    peak_o = float(np.nanmax(np.abs(np.asarray(lrjit.curves(other, probe_steps(other))))))
    eager = s(steps)
    assert_curves_close(JIT_CALL(s, steps), eager, f"{s!r} jit vs eager at {steps}", peak_s)
    batch = lrjit.stack([s, other])
    assert_curves_close(JIT_CALL(batch, steps)[0], eager, f"{s!r} batched row 0 vs single", peak_s)
    vmapped = JIT_VMAP(batch, steps)[1]
    assert_curves_close(vmapped, JIT_CALL(other, steps), f"{other!r} vmap row 1 vs single", peak_o)


# ------------------------------------------------------------------------------------------------------
# vmap over configs
# ------------------------------------------------------------------------------------------------------
def check_batch(
    batch: Schedule, singles: list[Schedule], steps: np.ndarray, what: str, *, stacked: bool, eager: bool
) -> None:
    """``batch`` (K configs) evaluates to the single configs' curves through every batched entry point:
    ``curves``, ``__call__`` (eagerly, or jitted when not ``eager``), a loop over ``unstack`` and, when
    every leaf has the K axis (``stacked``), ``jax.vmap`` with ``in_axes=0``."""
    k = len(singles)
    assert lrjit.batch_size(batch) == k, what
    unstacked = lrjit.unstack(batch)
    assert len(unstacked) == k
    assert all(u == s for u, s in zip(unstacked, singles, strict=True)), f"{what}: unstack"
    want = single_rows(singles, steps, eager=eager)
    assert_curves_close(lrjit.curves(batch, steps), want, f"{what}: curves(batch, steps)")
    if eager:
        assert_curves_close(batch(steps), want, f"{what}: batch(steps)")
        loop = jnp.stack([u(steps) for u in unstacked])
        assert_curves_close(loop, want, f"{what}: loop over unstack")
        if stacked:
            assert_curves_close(jax.vmap(lambda b: b(steps))(batch), want, f"{what}: jax.vmap")
    else:
        assert_curves_close(JIT_CALL(batch, steps), want, f"{what}: jit(batch(steps))")
        if stacked:
            assert_curves_close(JIT_VMAP(batch, steps), want, f"{what}: jit(vmap)")


def static_values(cls: type[Schedule], name: str) -> tuple[Any, ...]:
    """The allowed values of a static field, or the examples of an open-ended one."""
    spec = lrjit.fields_of(cls)[name]
    return spec.choices or spec.examples or ()


def static_variants(cls: type[Schedule]) -> list[dict[str, Any]]:
    """Every combination of the static fields' allowed values ({} when there are none)."""
    names = [n for n in lrjit.core.static_names(cls) if static_values(cls, n)]
    choices = [static_values(cls, n) for n in names]
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*choices)] or [{}]


@pytest.mark.parametrize("name", FAMILIES)
def test_vmap_every_leaf_varying(name: str) -> None:
    """8 independent random configs stacked: every leaf differs across the batch (for every combination
    of static fields); the batched curves are the single curves."""
    cls = family(name)
    rng = np.random.default_rng(2)
    for fixed in static_variants(cls):
        singles = same_structure_samples(cls, rng, BATCH, **fixed)
        batch = lrjit.stack(singles)
        check_batch(batch, singles, probe_steps(*singles), f"{name} {fixed}", stacked=True, eager=True)


@pytest.mark.parametrize("name", FAMILIES)
def test_vmap_each_leaf_alone(name: str) -> None:
    """One leaf varies, the others are fixed: both stacked (every leaf gets the K axis) and broadcast (only
    that leaf has the K axis, the others are shared) match the single curves."""
    cls = family(name)
    rng = np.random.default_rng(3)
    base = sample_fixed(cls, rng)
    for leaf_name in lrjit.core.leaf_names(cls):
        if getattr(base, leaf_name) is None:
            continue
        singles = [base, *alternative_values(base, leaf_name, rng, BATCH - 1)]
        steps = probe_steps(*singles)
        check_batch(
            lrjit.stack(singles), singles, steps, f"{name}.{leaf_name} stacked", stacked=True, eager=False
        )
        broadcast = base.replace(**{leaf_name: stack_column([getattr(s, leaf_name) for s in singles])})
        check_batch(broadcast, singles, steps, f"{name}.{leaf_name} broadcast", stacked=False, eager=False)


def test_broadcast_batched_leaf_next_to_scalars() -> None:
    """A batched leaf beside unbatched ones: ``ExponentialDecay([0.1, 0.2, 0.3], 100, 0.5)`` is a batch of
    three configs sharing ``decay_steps`` and ``decay_rate``."""
    sched = lrjit.ExponentialDecay(np.array([0.1, 0.2, 0.3], np.float32), 100, 0.5)
    assert lrjit.batch_size(sched) == 3
    singles = [lrjit.ExponentialDecay(lr, 100, 0.5) for lr in (0.1, 0.2, 0.3)]
    steps = np.arange(0, 400, 7, dtype=np.int32)
    check_batch(sched, singles, steps, "ExponentialDecay broadcast lr", stacked=False, eager=True)
    assert sched(5).shape == (3,)
    assert sched(np.zeros((2, 4), np.int32)).shape == (3, 2, 4)
    assert lrjit.curves(sched, 11).shape == (3, 11)


# ------------------------------------------------------------------------------------------------------
# no recompilation
# ------------------------------------------------------------------------------------------------------
class TraceCounter:
    """``jax.jit(lambda s, t: s(t))`` that counts its traces (one trace = one compilation)."""

    def __init__(self) -> None:
        self.traces = 0
        self.jitted = jax.jit(self._call)

    def _call(self, s: Schedule, t: Any) -> jax.Array:
        self.traces += 1
        return s(t)

    def __call__(self, s: Schedule, t: Any) -> jax.Array:
        return self.jitted(s, t)


@pytest.mark.parametrize("name", FAMILIES)
def test_new_config_does_not_recompile(name: str) -> None:
    """Five random configs of one structure go through one compiled program: for a jitted ``s(t)`` (array
    and Python-int steps), for ``curves(s, N)`` and ``curves(s, steps)``, single and batched."""
    cls = family(name)
    rng = np.random.default_rng(4)
    configs = same_structure_samples(cls, rng, 5)
    steps = np.arange(0, 3000, 37, dtype=np.int32)

    f = TraceCounter()
    for s in configs:
        f(s, steps).block_until_ready()
    assert f.traces == 1 and f.jitted._cache_size() == 1

    g = TraceCounter()
    for t, s in enumerate(configs):
        g(s, t).block_until_ready()
    assert g.traces == 1 and g.jitted._cache_size() == 1

    curves_range.clear_cache()
    curves_at.clear_cache()
    for s in configs:
        lrjit.curves(s, 123).block_until_ready()
        lrjit.curves(s, steps).block_until_ready()
    assert curves_range._cache_size() == 1
    assert curves_at._cache_size() == 1

    # share=False: one structure whatever the values (sharing equal leaves makes the pattern structure)
    batches = [lrjit.stack(same_structure_samples(cls, rng, 4), share=False) for _ in range(3)]
    batches = [b for b in batches if structure(b) == structure(batches[0])]
    assert len(batches) >= 2
    for b in batches:
        lrjit.curves(b, 123).block_until_ready()
    assert curves_range._cache_size() == 2  # the single-config program and the batched one


def test_python_literals_and_arrays_share_a_compiled_program() -> None:
    """Int vs float literals, NumPy vs JAX arrays for the same field: one structure, one compilation."""
    f = TraceCounter()
    steps = np.arange(10, dtype=np.int32)
    configs = [
        lrjit.ExponentialDecay(1, 100, 0.5),
        lrjit.ExponentialDecay(0.1, 100.0, 1),
        lrjit.ExponentialDecay(np.float32(0.3), np.int64(20), jnp.float32(0.9), staircase=True),
        lrjit.ExponentialDecay(jnp.asarray(0.2), jnp.asarray(7), np.asarray(0.7), staircase=np.bool_(True)),
    ]
    for s in configs:
        f(s, steps)
    assert f.traces == 1


# ------------------------------------------------------------------------------------------------------
# dtype and shape rules
# ------------------------------------------------------------------------------------------------------
# (label, make the step, also evaluate eagerly). Eager evaluation compiles one small program per primitive
# and shape, so only a few shapes run eagerly; every input runs under jit and through eval_shape.
STEP_INPUTS: list[tuple[str, Callable[[], Any], bool]] = [
    ("python int", lambda: 7, True),
    ("numpy int64 scalar", lambda: np.int64(7), True),
    ("0-d int16 array", lambda: np.array(7, dtype=np.int16), True),
    ("1-D int8", lambda: np.array([0, 1, 2, 3, 7, 10, 30, 64, 99, 100, 120, 127], dtype=np.int8), True),
    ("1-D int64", lambda: np.arange(0, 6000, 500, dtype=np.int64), True),
    ("1-D uint32", lambda: np.arange(0, 6000, 500, dtype=np.uint32), True),
    ("1-D jax int32", lambda: jnp.arange(0, 1200, 100, dtype=jnp.int32), True),
    ("2-D int16", lambda: np.arange(0, 3000, 250, dtype=np.int16).reshape(3, 4), False),
    ("2-D uint32", lambda: np.arange(0, 6000, 500, dtype=np.uint32).reshape(3, 4), False),
    ("3-D int32", lambda: (np.arange(12, dtype=np.int32) * 111).reshape(2, 3, 2), True),
    ("3-D int64", lambda: (np.arange(12, dtype=np.int64) * 997).reshape(2, 3, 2), True),
    ("empty", lambda: np.zeros((0,), np.int32), True),
]


@pytest.mark.parametrize("name", FAMILIES)
def test_output_shape_and_dtype(name: str) -> None:
    """The output has the step's shape (batched: the batch axis in front), float32 by default, and the same
    values whatever the integer dtype and layout of the steps (eager and jit)."""
    cls = family(name)
    s, other = same_structure_samples(cls, np.random.default_rng(5), 2)
    batch = lrjit.stack([s, other])
    assert s.dtype == np.float32
    flat_steps = np.concatenate([np.ravel(np.asarray(make())).astype(np.int32) for _, make, _ in STEP_INPUTS])
    reference = np.asarray(JIT_CALL(s, flat_steps))
    peak = float(np.nanmax(np.abs(reference)))
    offset = 0
    for label, make, run_eagerly in STEP_INPUTS:
        step = make()
        shape = np.shape(step)
        # shape and dtype of every path, traced abstractly (no compilation per input)
        for what, fn, want_shape in (
            ("single", lambda step=step: s(step), shape),
            ("batched", lambda step=step: batch(step), (2, *shape)),
        ):
            out = jax.eval_shape(fn)
            assert out.shape == want_shape and out.dtype == jnp.float32, f"{label} {what}: {out}"
        # values: eager and jit agree with the int32 reference at the same steps
        want = reference[offset : offset + int(np.prod(shape))].reshape(shape)
        offset += int(np.prod(shape))
        jitted = JIT_CALL(s, step)
        assert jitted.shape == shape and jitted.dtype == jnp.float32, label
        assert_curves_close(jitted, want, f"{name} {label} jit", peak)
        if run_eagerly:
            eager = s(step)
            assert eager.shape == shape and eager.dtype == jnp.float32, label
            assert_curves_close(eager, want, f"{name} {label} eager", peak)
    b = JIT_CALL(batch, np.zeros((2, 3), np.int32))
    assert b.shape == (2, 2, 3) and b.dtype == jnp.float32
    assert lrjit.curves(batch, 7).shape == (2, 7) and lrjit.curves(s, 7).shape == (7,)


BAD_STEPS: list[tuple[str, Callable[[], Any], type[Exception]]] = [
    ("python float", lambda: 3.0, TypeError),
    ("integral python float", lambda: 2.0, TypeError),
    ("numpy float32 scalar", lambda: np.float32(4), TypeError),
    ("float64 array", lambda: np.array([0.0, 1.5]), TypeError),
    ("jax float array", lambda: jnp.array([1.0, 2.0]), TypeError),
    ("python bool", lambda: True, TypeError),
    ("numpy bool", lambda: np.bool_(False), TypeError),
    ("bool array", lambda: np.array([True, False]), TypeError),
    ("complex", lambda: 1 + 0j, TypeError),
    ("negative python int", lambda: -1, ValueError),
    ("negative numpy int8", lambda: np.int8(-3), ValueError),
    ("array with a negative", lambda: np.array([[0, 5], [2, -5]]), ValueError),
    ("jax array with a negative", lambda: jnp.array([4, -1]), ValueError),
]


@pytest.mark.parametrize("name", FAMILIES)
def test_bad_steps_raise(name: str) -> None:
    """Float and bool steps raise TypeError (eagerly and under jit); concrete negative steps raise
    ValueError; the single and the batched schedule behave alike."""
    cls = family(name)
    s, other = same_structure_samples(cls, np.random.default_rng(6), 2)
    for sched in (s, lrjit.stack([s, other])):
        for _label, make, exc in BAD_STEPS:
            with pytest.raises(exc):
                sched(make())
            with pytest.raises(exc):
                lrjit.curves(sched, np.atleast_1d(make()))
        for _label, make, exc in BAD_STEPS:
            if exc is TypeError:  # a traced non-integer step is rejected at trace time
                with pytest.raises(TypeError):
                    JIT_CALL(sched, jnp.asarray(make()))
    with pytest.raises(ValueError):
        lrjit.curves(s, -1)


@pytest.mark.parametrize("name", FAMILIES)
def test_x64_context(name: str) -> None:
    """``jax.enable_x64(True)`` is a context manager that does not leak. Inside it, a config built from
    Python floats computes in float64 (eager, jit, curves, batched); a float32 config built outside stays
    float32; float64 curves agree with the float32 ones to float32 accuracy."""
    cls = family(name)
    assert not jax.config.jax_enable_x64
    s32, other32 = same_structure_samples(cls, np.random.default_rng(7), 2)
    steps = probe_steps(s32, other32)
    ctx = jax.enable_x64(True)
    assert hasattr(ctx, "__enter__") and hasattr(ctx, "__exit__")
    with ctx:
        assert jax.config.jax_enable_x64
        s64 = cls(**python_values(s32))
        other64 = cls(**python_values(other32))
        assert s64.dtype == np.float64
        f64 = np.asarray(s64(steps))
        assert f64.dtype == np.float64
        for out in (JIT_CALL(s64, steps), lrjit.curves(s64, steps), JIT_CALL(s64, 5)):
            assert out.dtype == jnp.float64
        assert jax.eval_shape(lambda: s64(5)).dtype == jnp.float64
        batch = lrjit.stack([s64, other64])
        assert lrjit.curves(batch, steps).dtype == jnp.float64
        assert jax.eval_shape(lambda: batch(steps)) == jax.ShapeDtypeStruct((2, len(steps)), jnp.float64)
        # a config built outside keeps its float32 hyperparameters: float32 output
        assert jax.eval_shape(lambda: s32(steps)).dtype == jnp.float32
        assert JIT_CALL(s32, steps).dtype == jnp.float32
    assert not jax.config.jax_enable_x64
    assert jnp.asarray(1.0).dtype == jnp.float32
    assert jnp.asarray(1).dtype == jnp.int32
    assert lrjit.ExponentialDecay(0.1, 10, 0.5)(3).dtype == jnp.float32
    assert cls(**python_values(s32)).dtype == np.float32
    f32 = np.asarray(s32(steps))
    peak = np.nanmax(np.abs(f64))
    np.testing.assert_allclose(f32, f64, rtol=2e-5, atol=2e-6 * peak, equal_nan=True)


# ------------------------------------------------------------------------------------------------------
# gradients
# ------------------------------------------------------------------------------------------------------
def _grad_overrides(name: str, rng: np.random.Generator) -> dict[str, Any]:
    """Fields held for the gradient test: CosineDecayRestarts' t_mul from a set that includes 1.0 (its
    integer branch) and t_mul < 1."""
    if name == "CosineDecayRestarts":
        return {"t_mul": float(rng.choice([0.7, 1.0, 1.3, 1.5, 2.0, 3.0]))}
    return {}


def grad_steps(s: Schedule, rng: np.random.Generator, count: int = GRAD_STEPS) -> np.ndarray:
    """``count`` distinct steps away from the integer-derived edges (boundaries, warmup end, decay end,
    sums): step 0 when it is not an edge, one in the flat tail past every edge, the rest at random."""
    edges = edge_steps(s)
    pool = [t for t in range(top_step(s) + 1) if t not in edges]
    tail = [t for t in pool if t > max(edges, default=0)]
    chosen = {tail[len(tail) // 2] if tail else pool[-1]}
    if 0 not in edges:
        chosen.add(0)
    rest = [t for t in pool if t not in chosen]
    chosen |= set(rng.choice(rest, size=count - len(chosen), replace=False).tolist())
    return np.array(sorted(chosen), dtype=np.int32)


# d lr(step) / d params for each step (the step axis in front of every leaf), and d sum(lr) / d params.
_PER_STEP_GRAD = jax.jit(jax.vmap(jax.grad(lambda p, r, t: lrjit.combine(p, r)(t)), in_axes=(None, None, 0)))
_GRAD_OF_SUM = jax.jit(jax.grad(lambda p, r, t: lrjit.combine(p, r)(t).sum()))


def _per_step_grad(params: Any, rest: Any, steps: np.ndarray) -> Any:
    return _PER_STEP_GRAD(params, rest, steps)


def _perturbed(leaves: list[Any], i: int, j: tuple[int, ...], delta: float) -> list[Any]:
    x = np.array(leaves[i], dtype=np.asarray(leaves[i]).dtype, copy=True)
    x[j] += delta
    out = list(leaves)
    out[i] = jnp.asarray(x)
    return out


@pytest.mark.parametrize("name", FAMILIES)
def test_grad_matches_finite_differences(name: str) -> None:
    """``jax.grad`` w.r.t. every float hyperparameter (via partition/combine) is finite and equals a
    central finite difference of the same config rebuilt in float64, at steps where the curve is smooth in
    that hyperparameter.

    Smoothness is checked, not assumed: a (step, hyperparameter) pair whose one-sided differences disagree
    (a ``max`` clamp reached, a restart moved by ``t_mul``) is a kink and is left out; every float
    hyperparameter must still be checked at several steps. Bounds, with F the curve's peak and x the
    hyperparameter: float64 AD within 1e-5 relative + 1e-8 F / max(|x|, 1e-3) of the difference; float32 AD
    within 1e-5 relative + 1e-5 F / max(|x|, 1) (float32 rounding of the forward pass)."""
    cls = family(name)
    checked: dict[str, int] = {}
    for seed in range(3):
        rng = np.random.default_rng(100 + seed)
        s = sample_fixed(cls, rng, **_grad_overrides(name, rng))
        expected = [p for p, x, _, _ in declared_leaves(s) if is_float_leaf(x)]
        steps = grad_steps(s, rng)
        params, rest = lrjit.partition(s)
        g32 = _per_step_grad(params, rest, steps)
        g32_leaves = jax.tree_util.tree_leaves(g32)
        assert g32_leaves, f"{name}: no float hyperparameter reached by grad"
        # the summed form of the brief: grad of sum == sum of per-step grads, each term within the
        # float32 AD bound below (the two programs round differently where a derivative cancels, e.g.
        # d/d alpha = 1 - cos early in a cosine decay)
        g_sum = _GRAD_OF_SUM(params, rest, steps)
        peak32 = float(np.nanmax(np.abs(np.asarray(lrjit.curves(s, probe_steps(s)))))) or 1.0
        for a, b, x in zip(
            jax.tree_util.tree_leaves(g_sum), g32_leaves, jax.tree_util.tree_leaves(params), strict=True
        ):
            b = np.asarray(b, np.float64).sum(axis=0)
            atol = 1e-5 * peak32 * len(steps) / np.maximum(np.abs(np.asarray(x, np.float64)), 1.0)
            assert np.all(np.abs(np.asarray(a, np.float64) - b) <= 1e-5 * np.abs(b) + atol), (a, b)
        names = [jax.tree_util.keystr(p) for p, _ in jax.tree_util.tree_flatten_with_path(params)[0]]
        assert names == expected and len(names) == len(g32_leaves)
        assert all(is_float_leaf(x) for x in jax.tree_util.tree_leaves(params))
        for g in g32_leaves:
            assert np.all(np.isfinite(np.asarray(g))), f"{s!r}: non-finite float32 gradient"
        f32_curve = np.asarray(s(steps))

        with jax.enable_x64(True):
            s64 = cls(**python_values(s))
            p64, r64 = lrjit.partition(s64)
            leaves, treedef = jax.tree_util.tree_flatten(p64)
            f0 = np.asarray(_EVAL(p64, r64, steps))
            peak = float(np.nanmax(np.abs(np.asarray(lrjit.curves(s64, probe_steps(s64)))))) or 1.0
            g64_leaves = [np.asarray(g) for g in jax.tree_util.tree_leaves(_per_step_grad(p64, r64, steps))]
            for i, leaf_name in enumerate(names):
                x = np.asarray(leaves[i], dtype=np.float64)
                for j in np.ndindex(x.shape):
                    xj = float(x[j])
                    h = 1e-6 * max(abs(xj), 1e-3)
                    fp = np.asarray(
                        _EVAL(jax.tree_util.tree_unflatten(treedef, _perturbed(leaves, i, j, h)), r64, steps)
                    )
                    fm = np.asarray(
                        _EVAL(jax.tree_util.tree_unflatten(treedef, _perturbed(leaves, i, j, -h)), r64, steps)
                    )
                    fd = (fp - fm) / (2 * h)
                    fwd, bwd = (fp - f0) / h, (f0 - fm) / h
                    smooth = np.abs(fwd - bwd) <= 1e-3 * (np.abs(fwd) + np.abs(bwd)) + 1e-4 * peak / max(
                        abs(xj), 1e-3
                    )
                    smooth &= np.isfinite(fd)
                    ad64 = g64_leaves[i][(slice(None), *j)]
                    ad32 = np.asarray(g32_leaves[i], dtype=np.float64)[(slice(None), *j)]
                    where = f"{s!r} d/d {leaf_name}{list(j) if j else ''} at steps {steps[smooth].tolist()}"
                    np.testing.assert_allclose(
                        ad64[smooth],
                        fd[smooth],
                        rtol=1e-5,
                        atol=1e-8 * peak / max(abs(xj), 1e-3),
                        err_msg=f"float64 AD vs FD: {where}",
                    )
                    np.testing.assert_allclose(
                        ad32[smooth],
                        fd[smooth],
                        rtol=1e-5,
                        atol=1e-5 * peak / max(abs(xj), 1.0),
                        err_msg=f"float32 AD vs float64 FD: {where}",
                    )
                    checked[leaf_name] = checked.get(leaf_name, 0) + int(smooth.sum())
        # the float64 rebuild is the same curve, so its differences apply to the float32 gradient
        np.testing.assert_allclose(f32_curve, f0, rtol=2e-5, atol=2e-6 * peak)
    assert set(checked) == set(names)
    thin = {k: v for k, v in checked.items() if v < 6}
    assert not thin, f"{name}: too few smooth steps checked per hyperparameter: {thin}"


@pytest.mark.parametrize("step", [3, 15, 27, 44])
def test_cosine_restarts_t_mul_gradient_at_one(step: int) -> None:
    """At ``t_mul == 1`` the curve is still differentiable in ``t_mul`` (cycle i starts at
    L * (t^i - 1) / (t - 1), smooth through t = 1), so the gradient matches finite differences even though
    the value comes from the integer branch."""
    s = lrjit.CosineDecayRestarts(0.1, 10, t_mul=1.0)
    params, rest = lrjit.partition(s)
    grad = jax.grad(lambda p: lrjit.combine(p, rest)(step))(params)
    with jax.enable_x64(True):

        def f(t_mul: float) -> float:
            return float(lrjit.CosineDecayRestarts(0.1, 10, t_mul=t_mul)(step))

        fd = (f(1 + 1e-6) - f(1 - 1e-6)) / 2e-6
    np.testing.assert_allclose(float(grad.t_mul), fd, rtol=1e-4, atol=1e-9)


# ------------------------------------------------------------------------------------------------------
# pytree
# ------------------------------------------------------------------------------------------------------
def optional_variants(cls: type[Schedule], rng: np.random.Generator) -> Iterator[Schedule]:
    """A sample, and for each optional leaf a sample with it left out (None)."""
    yield sample_fixed(cls, rng)
    for n in lrjit.core.leaf_names(cls):
        if lrjit.fields_of(cls)[n].optional:
            yield sample_fixed(cls, rng, **{n: None})


@pytest.mark.parametrize("name", FAMILIES)
def test_pytree_round_trip_and_leaves(name: str) -> None:
    """flatten/unflatten gives an equal schedule of the same class; the leaves are exactly the non-None
    leaf fields, in declaration order, each a numeric array; static fields are not leaves."""
    cls = family(name)
    rng = np.random.default_rng(8)
    assert set(lrjit.core.leaf_names(cls)) | set(lrjit.core.static_names(cls)) == {
        f.name for f in dataclasses.fields(cls)
    }
    for s in optional_variants(cls, rng):
        leaves, treedef = jax.tree_util.tree_flatten(s)
        back = jax.tree_util.tree_unflatten(treedef, leaves)
        assert type(back) is cls and back == s and repr(back) == repr(s)
        declared = declared_leaves(s)
        assert len(leaves) == len(declared)
        paths = [p for p, _ in jax.tree_util.tree_flatten_with_path(s)[0]]
        assert [jax.tree_util.keystr(p) for p in paths] == [path for path, _, _, _ in declared]
        for (n, value, kind, extra), x in zip(declared, leaves, strict=True):
            assert isinstance(x, np.ndarray | jax.Array | np.generic) and x is value, n
            assert jnp.ndim(x) == kind.base_ndim + extra, n
            if kind.scalar_kind == "float":
                assert jnp.issubdtype(jnp.result_type(x), jnp.floating), n
            elif kind.scalar_kind == "int":
                assert jnp.issubdtype(jnp.result_type(x), jnp.integer), n
            elif kind.scalar_kind == "bool":
                assert jnp.result_type(x) == jnp.bool_, n
        for n in lrjit.core.static_names(cls):
            value = getattr(s, n)
            assert not isinstance(value, int | float | np.ndarray | np.generic | jax.Array) or isinstance(
                value, bool
            ), f"{n} is static but numeric: {value!r}"
        # the tree maps over hyperparameters
        doubled = jax.tree_util.tree_map(lambda x: x, s)
        assert doubled == s


@pytest.mark.parametrize("name", FAMILIES)
def test_static_fields_are_in_the_treedef(name: str) -> None:
    """Configs differing only in a static field have different treedefs (a different compiled program);
    configs differing only in leaf values share one; an optional leaf left out changes the treedef."""
    cls = family(name)
    rng = np.random.default_rng(9)
    a, b = same_structure_samples(cls, rng, 2)
    assert jax.tree_util.tree_structure(a) == jax.tree_util.tree_structure(b)
    for static_name in lrjit.core.static_names(cls):
        choices = static_values(cls, static_name)
        assert len(choices) >= 2, f"{static_name}: give static fields their choices (or examples)"
        defs = []
        for choice in choices:
            s = a.replace(**{static_name: choice})
            defs.append(jax.tree_util.tree_structure(s))
            leaves_s, leaves_a = jax.tree_util.tree_leaves(s), jax.tree_util.tree_leaves(a)
            assert len(leaves_s) == len(leaves_a)
            assert all(np.array_equal(x, y) for x, y in zip(leaves_s, leaves_a, strict=True))
        assert len(set(defs)) == len(choices), f"{static_name} is not in the treedef"
    for n in lrjit.core.leaf_names(cls):
        if lrjit.fields_of(cls)[n].optional:
            without = a.replace(**{n: None})
            assert jax.tree_util.tree_structure(without) != jax.tree_util.tree_structure(a)


def test_static_field_change_recompiles() -> None:
    """MXNet's ``warmup_mode`` is static: a jitted function retraces for it (and only for it)."""
    f = TraceCounter()
    steps = np.arange(20, dtype=np.int32)
    f(lrjit.FactorScheduler(5, 0.5, warmup_steps=4, warmup_mode="linear"), steps)
    f(lrjit.FactorScheduler(6, 0.7, warmup_steps=3, warmup_mode="linear"), steps)
    assert f.traces == 1
    f(lrjit.FactorScheduler(5, 0.5, warmup_steps=4, warmup_mode="constant"), steps)
    assert f.traces == 2


# ------------------------------------------------------------------------------------------------------
# repr
# ------------------------------------------------------------------------------------------------------
def test_repr_exact() -> None:
    """The documented form: class name, every field as name=value, Python-looking numbers."""
    expected = (
        "CosineDecay(initial_learning_rate=0.1, decay_steps=1000, alpha=0.0, warmup_target=None, "
        "warmup_steps=0)"
    )
    assert repr(lrjit.CosineDecay(0.1, 1000)) == expected


def _repr_segments(text: str, cls: type[Schedule]) -> dict[str, str]:
    names = [f.name for f in dataclasses.fields(cls)]
    assert text.startswith(f"{cls.__name__}(") and text.endswith(")"), text
    body = text[len(cls.__name__) + 1 : -1]
    out: dict[str, str] = {}
    for k, n in enumerate(names):
        assert body.startswith(f"{n}="), f"{text}: expected {n}= at {body[:40]!r}"
        body = body[len(n) + 1 :]
        if k + 1 < len(names):
            end = body.index(f", {names[k + 1]}=")
            out[n], body = body[:end], body[end + 2 :]
        else:
            out[n] = body
    return out


@pytest.mark.parametrize("name", FAMILIES)
def test_repr_shows_every_field(name: str) -> None:
    """``repr`` is ``Class(field=value, ...)`` over every field in order; each shown value reads back to the
    stored one (floats to float32 exactly, ints, bools, vectors, None, static strings, keys)."""
    cls = family(name)
    rng = np.random.default_rng(10)
    for s in optional_variants(cls, rng):
        segments = _repr_segments(repr(s), cls)
        for n, text in segments.items():
            value = getattr(s, n)
            if value is None:
                assert text == "None"
            elif is_child(s, n):
                shown = f"[{', '.join(map(repr, value))}]" if isinstance(value, tuple) else repr(value)
                assert text == shown
            elif n in lrjit.core.static_names(cls):
                assert text == repr(value)
            elif leaf_kind(s, n) is Kind.KEY:
                assert re.fullmatch(r"key\(\[\d+, \d+\]\)", text), text
            elif leaf_kind(s, n).base_ndim == 1:
                assert text.startswith("[") and text.endswith("]"), text
                items = [t.strip() for t in text[1:-1].split(",")]
                stored = np.asarray(value)
                assert np.array_equal(np.array(items, dtype=stored.dtype), stored), (n, text)
            elif leaf_kind(s, n) is Kind.BOOL:
                assert text == str(bool(value))
            else:
                stored = np.asarray(value)
                assert np.asarray(text, dtype=np.str_).astype(stored.dtype) == stored, (n, text)
    batch = lrjit.stack(same_structure_samples(cls, rng, 3))
    text = repr(batch)
    assert text.startswith(f"{name}(") and all(f"{n}=" in text for n in lrjit.fields_of(cls))


# ------------------------------------------------------------------------------------------------------
# equality and hashing
# ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", FAMILIES)
def test_equality_and_hash(name: str) -> None:
    """Equal configs are == with equal hashes (and work as dict keys); changing any one leaf makes them
    !=; batched schedules compare and hash without an ambiguous-truth-value error."""
    cls = family(name)
    rng = np.random.default_rng(11)
    s = sample_fixed(cls, rng)
    rebuilt = cls(**s.config())
    unflattened = jax.tree_util.tree_unflatten(*reversed(jax.tree_util.tree_flatten(s)))
    for copy in (rebuilt, unflattened, s.replace()):
        assert copy == s and not (copy != s) and hash(copy) == hash(s)
    table = {s: "a"}
    assert table[rebuilt] == "a"
    assert s != 1 and s != "s" and s is not None
    for leaf_name in lrjit.core.leaf_names(cls):
        if getattr(s, leaf_name) is None:
            continue
        changed = next(o for o in alternative_values(s, leaf_name, rng, 3) if o != s)
        assert changed != s and not (changed == s), leaf_name
        assert changed not in table, leaf_name
        table[changed] = leaf_name
    for static_name in lrjit.core.static_names(cls):
        for choice in static_values(cls, static_name):
            if choice != getattr(s, static_name):
                assert s.replace(**{static_name: choice}) != s

    singles = same_structure_samples(cls, rng, 4)
    b1 = lrjit.stack(singles)
    b2 = lrjit.stack([cls(**x.config()) for x in singles])
    assert b1 == b2 and hash(b1) == hash(b2)
    b3 = lrjit.stack([*singles[:3], singles[0]])
    assert (b1 == b3) is False and b1 != b3
    assert (b1 == singles[0]) is False
    assert len({b1, b2, b3}) == 2
