"""The spec language (lrjit.frontend.language): examples equal to the schedules built in Python, t5x factor
strings against t5x's formula, every error with its column and message, hostile input rejected fast
without running anything, and two fuzzers (random text; random well-formed expressions)."""

from __future__ import annotations

import ast
import builtins
import contextlib
import math
import operator
import os
import pickle
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any
from unittest import mock

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lrjit
from lrjit.core import schedule as schedule_module
from lrjit.core.fields import NONNEG, Kind, leaf
from lrjit.frontend import language
from lrjit.frontend.language import SpecError, parse

FUZZ = settings(
    max_examples=200, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


# ------------------------------------------------------------------------------------------------------
# A sentinel: nothing outside the whitelist runs while a spec is parsed
# ------------------------------------------------------------------------------------------------------
class Escaped(AssertionError):
    """Raised by the sentinels: parse reached something it must never call."""


_IMPORTABLE = {"lrjit", "jax", "jaxlib", "numpy", "ml_dtypes"}


@contextlib.contextmanager
def sealed() -> Iterator[None]:
    """eval/exec/open/os.system fail; compile only to an AST; imports only of loaded modules or of the
    packages lrjit runs on (the library imports lazily inside functions)."""
    real_import, real_compile = builtins.__import__, builtins.compile

    def guarded_import(
        name: str, globals: Any = None, locals: Any = None, fromlist: Any = (), level: int = 0
    ):
        if level == 0 and name not in sys.modules and name.split(".")[0] not in _IMPORTABLE:
            raise Escaped(f"import {name}")
        return real_import(name, globals, locals, fromlist, level)

    def guarded_compile(source: Any, filename: Any, mode: str, flags: int = 0, *args: Any, **kwargs: Any):
        if not flags & ast.PyCF_ONLY_AST:
            raise Escaped(f"compile({source!r:.40}) to code")
        return real_compile(source, filename, mode, flags, *args, **kwargs)

    def forbidden(name: str) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            raise Escaped(f"{name}{args!r:.40}")

        return call

    patches = {
        "__import__": guarded_import,
        "compile": guarded_compile,
        "eval": forbidden("eval"),
        "exec": forbidden("exec"),
        "open": forbidden("open"),
        "breakpoint": forbidden("breakpoint"),
    }
    with mock.patch.multiple(builtins, **patches), mock.patch.object(os, "system", forbidden("os.system")):
        yield


def sealed_parse(text: str, /, **names: Any) -> Any:
    with sealed():
        return parse(text, **names)


def test_sentinel_catches_escapes() -> None:
    with pytest.raises(Escaped), sealed():
        eval("1")  # the sentinel itself works
    with pytest.raises(Escaped), sealed():
        __import__("antigravity")


# ------------------------------------------------------------------------------------------------------
# Examples: the parsed schedule is the one built in Python
# ------------------------------------------------------------------------------------------------------
EXAMPLES = [
    (
        "warmup(CosineDecay(0.1, decay_steps=10_000), steps=500)",
        lambda: lrjit.warmup(lrjit.CosineDecay(0.1, decay_steps=10_000), steps=500),
    ),
    (
        "sequence([LinearLR(0.1, start_factor=0.01, total_iters=500), CosineDecay(0.1, 9_500)], "
        "boundaries=[500])",
        lambda: lrjit.sequence(
            [lrjit.LinearLR(0.1, start_factor=0.01, total_iters=500), lrjit.CosineDecay(0.1, 9_500)],
            boundaries=[500],
        ),
    ),
    ("0.5 * CosineDecay(1.0, 1000) + 1e-5", lambda: 0.5 * lrjit.CosineDecay(1.0, 1000) + 1e-5),
    (
        "max(ExponentialDecay(0.1, 100, 0.5), 1e-4)",
        lambda: lrjit.maximum(lrjit.ExponentialDecay(0.1, 100, 0.5), 1e-4),
    ),
    (
        "warmup(CosineDecayRestarts(0.1, 1000, t_mul=2.0), steps=200, shape='cosine')",
        lambda: lrjit.warmup(lrjit.CosineDecayRestarts(0.1, 1000, t_mul=2.0), steps=200, shape="cosine"),
    ),
    # more of the grammar
    (
        "min(StepLR(0.1, 30, 0.5), CosineDecay(0.2, 300)) - 1e-3",
        lambda: lrjit.minimum(lrjit.StepLR(0.1, 30, 0.5), lrjit.CosineDecay(0.2, 300)) - 1e-3,
    ),
    (
        "clip(CosineDecay(1.0, 100) / (2 + 2), lower=0.01, upper=0.2)",
        lambda: lrjit.clip(lrjit.CosineDecay(1.0, 100) / 4.0, lower=0.01, upper=0.2),
    ),
    (
        "PiecewiseConstantDecay([100, 200], [0.1, 0.01, 0.001]) * -2",
        lambda: lrjit.PiecewiseConstantDecay([100, 200], [0.1, 0.01, 0.001]) * -2,
    ),
    (
        "Repeat(warmup(CosineDecay(1.0, 90), 10, mode='overlap', start=+1e-3), period=100)",
        lambda: lrjit.Repeat(lrjit.warmup(lrjit.CosineDecay(1.0, 90), 10, mode="overlap", start=1e-3), 100),
    ),
    (
        "-ExponentialDecay(0.1, 10, 0.9, staircase=True) + Constant(1)",
        lambda: -lrjit.ExponentialDecay(0.1, 10, 0.9, staircase=True) + lrjit.Constant(1),
    ),
    (
        "FactorScheduler(step=10, factor=0.5, base_lr=0.1, warmup_steps=5, warmup_mode='constant')",
        lambda: lrjit.FactorScheduler(
            step=10, factor=0.5, base_lr=0.1, warmup_steps=5, warmup_mode="constant"
        ),
    ),
    ("CosineDecay(0.1, 100, warmup_target=None, alpha=0)", lambda: lrjit.CosineDecay(0.1, 100, alpha=0)),
    ("  \n 0.25", lambda: lrjit.Constant(0.25)),  # a number alone is a constant; leading space is fine
    (
        "FactorSchedule(('constant', 'rsqrt_decay'), warmup_steps=10)",
        lambda: lrjit.FactorSchedule("constant * rsqrt_decay", warmup_steps=10),
    ),
    (
        "sequence(\n  [CosineDecay(0.1, 10),  # first\n   CosineDecay(0.2, 20)],\n  [10],\n)",
        lambda: lrjit.sequence([lrjit.CosineDecay(0.1, 10), lrjit.CosineDecay(0.2, 20)], [10]),
    ),
]


@pytest.mark.parametrize(("spec", "build"), EXAMPLES, ids=[s for s, _ in EXAMPLES])
def test_examples_equal_python(spec: str, build: Callable[[], lrjit.Schedule]) -> None:
    parsed, direct = sealed_parse(spec), build()
    assert isinstance(parsed, lrjit.Schedule)
    assert type(parsed) is type(direct)
    assert parsed == direct
    steps = 1200
    np.testing.assert_array_equal(
        np.asarray(lrjit.curves(parsed, steps)), np.asarray(lrjit.curves(direct, steps))
    )


def test_names() -> None:
    base = lrjit.CosineDecay(0.1, 1000)
    assert sealed_parse("warmup(base, steps=w)", base=base, w=500) == lrjit.warmup(base, steps=500)
    got = sealed_parse(
        "PiecewiseConstantDecay(b, values=v) * k", b=[10, 20], v=(0.3, 0.2, 0.1), k=np.float32(2)
    )
    assert got == lrjit.PiecewiseConstantDecay([10, 20], [0.3, 0.2, 0.1]) * np.float32(2)
    pieces = [lrjit.CosineDecay(0.1, 10), lrjit.ExponentialDecay(0.1, 5, 0.5)]
    assert sealed_parse("sequence(p, [10])", p=pieces) == lrjit.sequence(pieces, [10])
    assert sealed_parse("ExponentialDecay(0.1, 5, 0.5, staircase=flag)", flag=True) == lrjit.ExponentialDecay(
        0.1, 5, 0.5, True
    )
    # identifiers joined by "*" are names when passed, not t5x factors
    a, b = lrjit.CosineDecay(0.1, 10), lrjit.Constant(2.0)
    assert sealed_parse("a * b", a=a, b=b) == a * b
    assert sealed_parse("constant * 2", constant=a) == a * 2
    # `text` itself can be a name: the spec is positional-only
    assert sealed_parse("text + 1", text=a) == a + 1


@pytest.mark.parametrize("value", ["cosine", {"a": 1}, [1, "x"], None, np.zeros((2, 2)), lambda: 0])
def test_bad_name_values(value: Any) -> None:
    with pytest.raises(TypeError, match="`w` must be a number"):
        parse("CosineDecay(0.1, w)", w=value)


def test_not_a_string() -> None:
    with pytest.raises(TypeError, match="str"):
        parse(b"CosineDecay(0.1, 10)")  # type: ignore[arg-type]


def test_new_families_are_found(monkeypatch: pytest.MonkeyPatch) -> None:
    class Halved(lrjit.Schedule, abstract=True):  # abstract: kept out of the real registry
        base: Any = leaf(Kind.FLOAT, NONNEG)

        def _evaluate(self, step: jax.Array) -> jax.Array:
            return jnp.broadcast_to(self._float(self.base) / 2, step.shape)

    with pytest.raises(SpecError, match="unknown function `Halved`"):
        parse("Halved(0.5)")
    monkeypatch.setitem(schedule_module._FAMILIES, "Halved", Halved)
    assert parse("Halved(0.5) + 1") == Halved(0.5) + 1


# ------------------------------------------------------------------------------------------------------
# t5x factor strings
# ------------------------------------------------------------------------------------------------------
def t5x_rsqrt(step: int, lr: float, warmup: int, offset: int = 0, floor: float = 1e-8) -> float:
    """constant * linear_warmup * rsqrt_decay as t5x's step_fn computes it, in float64."""
    s = max(0, step - offset)
    return max(lr * min(1.0, s / warmup) / math.sqrt(max(s, warmup)), floor)


def test_factor_string() -> None:
    spec = "constant * linear_warmup * rsqrt_decay"
    parsed = sealed_parse(spec, base_learning_rate=0.5, warmup_steps=1000)
    direct = lrjit.FactorSchedule(spec, base_learning_rate=0.5, warmup_steps=1000)
    assert parsed == direct
    assert parsed.factor_names == ("constant", "linear_warmup", "rsqrt_decay")
    steps = np.array([0, 1, 10, 500, 999, 1000, 1001, 4000, 123_456, 10**7])
    expected = [t5x_rsqrt(int(s), 0.5, 1000) for s in steps]
    np.testing.assert_allclose(np.asarray(parsed(steps), np.float64), expected, rtol=2e-6)
    assert float(parsed(0)) == pytest.approx(1e-8)  # 0 at step 0, floored at t5x's min_learning_rate

    # t5x's defaults for the rest; the step offset restarts the schedule
    shifted = sealed_parse(" constant*linear_warmup *rsqrt_decay ", step_offset=100, warmup_steps=10)
    assert shifted == lrjit.FactorSchedule(spec, step_offset=100, warmup_steps=10)
    got = np.asarray(shifted(steps), np.float64)
    np.testing.assert_allclose(got, [t5x_rsqrt(int(s), 0.5, 10, offset=100) for s in steps], rtol=2e-6)

    for factors in ("constant", "linear_decay", "constant * decay_every * cosine_decay"):
        assert sealed_parse(factors) == lrjit.FactorSchedule(factors)


@pytest.mark.parametrize(
    ("spec", "names", "column", "fragments"),
    [
        ("rsqrt_dcay", {}, 1, ["unknown t5x factor `rsqrt_dcay`", "did you mean `rsqrt_decay`"]),
        (
            "constant * linear_warmup * rsqrt_dcay",
            {},
            28,
            ["unknown t5x factor `rsqrt_dcay`", "did you mean `rsqrt_decay`"],
        ),
        ("constant * lineer_warmup", {}, 12, ["did you mean `linear_warmup`"]),
        ("constant * foo", {}, 12, ["unknown t5x factor `foo`", "the factors are constant, linear_warmup"]),
        ("constant * CosineDecay", {}, 12, ["did you mean `cosine_decay`"]),
        ("constant * rsqrt_decay", {"warmup_step": 10}, 1, ["no argument `warmup_step`", "`warmup_steps`"]),
        ("constant * rsqrt_decay", {"factors": "constant"}, 1, ["the factors are the spec text"]),
        ("constant * rsqrt_decay", {"warmup_steps": 0}, 1, ["`warmup_steps` must be >= 1"]),
        ("constant", {"base_learning_rate": -1.0}, 1, ["`base_learning_rate` must be a finite float >= 0"]),
        ("constant", {"base_learning_rate": "x"}, 1, ["`base_learning_rate` must be numeric"]),
    ],
)
def test_factor_string_errors(spec: str, names: dict[str, Any], column: int, fragments: list[str]) -> None:
    with pytest.raises(SpecError) as info:
        sealed_parse(spec, **names)
    assert info.value.column == column
    for fragment in fragments:
        assert fragment in info.value.message


def test_not_factor_strings() -> None:
    # no factor in sight: an expression, whose unknown names are reported as names
    with pytest.raises(SpecError, match="unknown name `a`"):
        parse("a * b")
    with pytest.raises(SpecError, match="`CosineDecay` is a function"):
        parse("CosineDecay")


# ------------------------------------------------------------------------------------------------------
# Errors: the column of the offending token and a clear message
# ------------------------------------------------------------------------------------------------------
ERRORS = [
    # unknown functions, keywords, arity
    ("CosineDecy(0.1, 10)", 1, ["unknown function `CosineDecy`", "did you mean `CosineDecay`"]),
    ("warmup(CosineDecay(0.1, 10), 5) + cosinedecay(1, 2)", 35, ["did you mean `CosineDecay`"]),
    ("wramup(CosineDecay(0.1, 10), 5)", 1, ["did you mean `warmup`"]),
    ("CosineDecay(0.1, decay_step=10)", 18, ["no argument `decay_step`", "did you mean `decay_steps`"]),
    ("warmup(CosineDecay(0.1, 10), step=10)", 30, ["warmup() has no argument `step`", "`steps`"]),
    ("CosineDecay(0.1, 10, 0.0, None, 0, 5)", 36, ["at most 5 positional arguments", "got 6"]),
    ("min(1, 2, 3)", 11, ["at most 2 positional"]),
    ("CosineDecay(0.1)", 1, ["missing the required argument `decay_steps`"]),
    ("1 + ExponentialDecay(0.1)", 5, ["missing the required arguments `decay_steps`, `decay_rate`"]),
    ("CosineDecay(0.1, 10, decay_steps=3)", 22, ["two values for `decay_steps`"]),
    # strings only for static fields
    ("CosineDecay(0.1, '10')", 18, ["`decay_steps` does not take a string"]),
    (
        "warmup(CosineDecay(0.1, 10), steps='5')",
        36,
        ["`steps` does not take a string", "only `shape`, `mode`"],
    ),
    ("PiecewiseConstantDecay([1, '2'], [1, 2, 3])", 28, ["`boundaries` does not take a string"]),
    ("CosineDecay(0.1, 10) + 'x'", 24, ["arithmetic takes numbers and schedules, not a string"]),
    ("'x'", 1, ["the spec must be a schedule, got a string"]),
    ("[CosineDecay(0.1, 10)]", 1, ["must be a schedule, got a list"]),
    ("None", 1, ["got None"]),
    ("CosineDecay(0.1, 10) * [2]", 24, ["not a list"]),
    ("CosineDecay(0.1, 10) * True", 24, ["not True"]),
    ("+CosineDecay(0.1, 10)", 1, ["unary `+` applies to numbers only"]),
    ("[[1]]", 2, ["a list holds numbers or schedules, not a list"]),
    # constructor errors keep the library's text, at the argument they name
    ("CosineDecay(0.1, 0)", 18, ["CosineDecay: `decay_steps` must be an integer >= 1, got 0"]),
    ("CosineDecay(-0.1, 10)", 13, ["`initial_learning_rate` must be a finite float >= 0"]),
    ("warmup(CosineDecay(0.1, 10), 5, shape='cos')", 39, ["`shape` must be one of 'linear'"]),
    ("warmup(CosineDecay(0.1, 10), 5, shape='exponential')", 1, ["`start` must be > 0"]),
    ("clip(CosineDecay(0.1, 10), lower=0.5, upper=0.1)", 34, ["`lower` must be <= `upper`"]),
    ("sequence([CosineDecay(0.1, 10)], [1, 2])", 34, ["`boundaries` must have one entry fewer"]),
    ("sequence([CosineDecay(0.1, 10), 0.1], [5])", 10, ["item 1 is 0.1"]),
    ("CosineDecay(0.1, 10.5)", 18, ["`decay_steps` must be an integer, got 10.5"]),
    ("1e999", 1, ["Constant: `value` must be a finite float, got inf"]),
    # numbers
    ("CosineDecay(0.1, 10) * (1 / (1 - 1))", 27, ["division by zero"]),
    ("CosineDecay(0.1, 10) / 0 + 1 / 0.0", 30, ["division by zero"]),
    ("CosineDecay(99999999999999999999, 10)", 13, ["integer literal is too large"]),
    ("CosineDecay(9223372036854775807 * 2, 10)", 13, ["integer result is too large"]),
    ("1" * 65, 1, ["number literal is too long"]),
    # names
    ("warmup(base, steps=10)", 8, ["unknown name `base`", "keyword arguments"]),
    ("CosineDecay", 1, ["`CosineDecay` is a function: call it"]),
    ("CosineDecay(0.1, 10)(5)", 1, ["only schedules and composition functions can be called"]),
    # syntax
    ("CosineDecay(0.1, 10) +", 23, ["invalid syntax"]),
    ("CosineDecay(0.1,, 10)", 17, ["invalid syntax"]),
    ("CosineDecay(0.1, 10", 12, ["'(' was never closed"]),
    ("   ", 1, ["the spec is empty"]),
    # forbidden constructs
    ("CosineDecay(0.1, 10).alpha", 22, ["attribute access is not allowed"]),
    ("CosineDecay(0.1, 10) ** 2", 22, ["`**` is not allowed"]),
    ("CosineDecay(0.1, 10) // 2", 22, ["`//` is not allowed"]),
    ("CosineDecay(0.1, 10) % 2", 22, ["`%` is not allowed"]),
    ("CosineDecay(0.1, 10) if 1 else 2", 1, ["conditional expressions are not allowed"]),
    ("CosineDecay(0.1, 10) < 2", 1, ["comparisons are not allowed"]),
    ("CosineDecay(0.1, 10) and 2", 1, ["`and` / `or` are not allowed"]),
    ("not CosineDecay(0.1, 10)", 1, ["`not` is not allowed"]),
    ("~CosineDecay(0.1, 10)", 1, ["`~` is not allowed"]),
    ("CosineDecay(*[0.1, 10])", 13, ["starred arguments"]),
    ("CosineDecay(0.1, **{'decay_steps': 10})", 18, ["`**` unpacking is not allowed"]),
    ("CosineDecay({0.1: 1}, 10)", 13, ["dicts are not allowed"]),
    ("CosineDecay({0.1}, 10)", 13, ["sets are not allowed"]),
    ("(x := CosineDecay(0.1, 10))", 2, ["`:=` is not allowed"]),
    ("CosineDecay(0.1, 10) * 1j", 24, ["complex literals are not allowed"]),
    ("CosineDecay(b'0', 10)", 13, ["bytes literals are not allowed"]),
    ("CosineDecay(..., 10)", 13, ["ellipsis literals are not allowed"]),
    # columns count characters, not UTF-8 bytes
    ("['é', CosineDecay(0.1, 10).alpha]", 28, ["attribute access"]),
]


@pytest.mark.parametrize(("spec", "column", "fragments"), ERRORS, ids=[e[0][:50] for e in ERRORS])
def test_errors(spec: str, column: int, fragments: list[str]) -> None:
    with pytest.raises(SpecError) as info:
        sealed_parse(spec)
    error = info.value
    assert error.column == column, str(error)
    for fragment in fragments:
        assert fragment in error.message, error.message
    assert error.text == spec
    assert isinstance(error, ValueError)


# The hostile list of the brief: each rejected, at the offending token, without running anything.
HOSTILE = [
    ("__import__('os')", 1, "unknown function `__import__`"),
    ("__import__('os').system('ls')", 18, "attribute access is not allowed"),
    ("os.system('ls')", 4, "attribute access is not allowed"),
    ("().__class__", 4, "attribute access is not allowed"),
    ("().__class__.__bases__[0].__subclasses__()", 4, "attribute access is not allowed"),
    ("[x for x in ()]", 1, "comprehensions are not allowed"),
    ("(x for x in ())", 1, "comprehensions are not allowed"),
    ("lambda: 0", 1, "lambda is not allowed"),
    ('f"{x}"', 1, "f-strings are not allowed"),
    ("1 + rf'{__import__(\"os\")}'", 5, "f-strings are not allowed"),
    ("a[0]", 2, "subscripts (`x[...]`) are not allowed"),
    ("9**9**9", 2, "`**` is not allowed"),
    ('eval("1")', 1, "unknown function `eval`"),
    ('exec("1")', 1, "unknown function `exec`"),
    ('open("f")', 1, "unknown function `open`"),
    ("getattr(CosineDecay, 'x')", 1, "unknown function `getattr`"),
    ("CosineDecay(0.1, 10)\x00", 21, "NUL character"),
    ("1" * 5000, 1, "number literal is too long"),
    ("(" * 10_000, 33, "nested too deeply"),
    ("(" * 5_000 + "1" + ")" * 4_999, 33, "nested too deeply"),
    ("(" * 10_000 + ")" * 10_000, 1, "the spec is too long"),
    ("[" * 33 + "]" * 33, 33, "nested too deeply"),
    ("-" * 9_999 + "1", 257, "too many operators and calls"),
    ("1+" * 4_999 + "1", 514, "too many operators and calls"),
    ("f" + "()" * 4_999, 514, "too many operators and calls"),
    ("a" + ".b" * 4_999, 514, "too many operators and calls"),
    ("not " * 2_499 + "1", 1025, "too many operators and calls"),
    ("x" * 1_000_000, 1, "the spec is too long"),
    ("(" * 1_000_000, 1, "the spec is too long"),
]


@pytest.mark.parametrize(("spec", "column", "fragment"), HOSTILE, ids=[h[0][:30] for h in HOSTILE])
def test_hostile(spec: str, column: int, fragment: str) -> None:
    start = time.perf_counter()
    with pytest.raises(SpecError) as info:
        sealed_parse(spec)
    elapsed = time.perf_counter() - start
    assert elapsed < 1.0, elapsed  # typically well under 10 ms: a safety property, not a benchmark
    assert info.value.column == column, str(info.value)
    assert fragment in info.value.message
    str(info.value)  # the rendering is bounded too (an 80-character window)
    assert len(str(info.value)) < 500


def test_limits() -> None:
    # at the limits: accepted
    assert parse("(" * 31 + "CosineDecay(0.1, 10)" + ")" * 31) == lrjit.CosineDecay(0.1, 10)
    assert parse("0.5".ljust(language.MAX_LENGTH)) == lrjit.Constant(0.5)
    assert parse("+".join(["Constant(1)"] * 50)) == sum([lrjit.Constant(1)] * 49, lrjit.Constant(1))
    # beyond: rejected with the limit named
    with pytest.raises(SpecError, match="too long"):
        parse("0.5".ljust(language.MAX_LENGTH + 1))
    with pytest.raises(SpecError, match="more than 2000 syntax nodes"):
        parse("PiecewiseConstantDecay([" + "1," * 2_100 + "], [1])")
    with pytest.raises(SpecError, match="more than 100 levels") as info:
        parse("+".join(["1"] * 150))
    assert info.value.column == 1
    with pytest.raises(SpecError, match="more than 256"):
        parse("max(" + ", ".join(["CosineDecay(0.1, 10)"] * 300) + ")")
    # brackets inside strings and comments are not nesting
    with pytest.raises(SpecError, match="`shape` must be one of"):
        parse("warmup(CosineDecay(0.1, 10), 5, shape='" + "(" * 40 + "')  # " + "[" * 40)


def test_error_rendering() -> None:
    with pytest.raises(SpecError) as info:
        parse("warmup(CosineDecay(0.1, 0), steps=5)")
    error = info.value
    assert (error.line, error.column) == (1, 25)
    lines = str(error).splitlines()
    assert lines[0] == "CosineDecay: `decay_steps` must be an integer >= 1, got 0 (at column 25)"
    assert lines[1].strip() == "warmup(CosineDecay(0.1, 0), steps=5)"
    assert lines[2].index("^") == lines[1].index("0), steps")
    again = pickle.loads(pickle.dumps(error))
    assert (again.message, again.text, again.column, again.line) == (error.message, error.text, 25, 1)

    # multi-line specs report the line, and the caret sits under the token in that line
    spec = "sequence(\n    [CosineDecay(0.1, 10), CosineDecay(0.1, 10)],\n    boundries=[10],\n)"
    with pytest.raises(SpecError) as info:
        parse(spec)
    assert (info.value.line, info.value.column) == (3, 5)
    assert "did you mean `boundaries`" in info.value.message
    lines = str(info.value).splitlines()
    assert "line 3, column 5" in lines[0]
    assert lines[2].index("^") == lines[1].index("boundries")

    # leading whitespace on the first line is counted in the column
    with pytest.raises(SpecError) as info:
        parse("   CosineDecay(0.1, 10).x")
    assert info.value.column == 25

    # long lines are shown as a window around the column
    spec = "min(" + " + ".join(["CosineDecay(0.1, 10)"] * 20) + ", CosineDecay(0.1, 0))"
    with pytest.raises(SpecError) as info:
        parse(spec)
    lines = str(info.value).splitlines()
    assert len(lines[1]) < 100 and lines[1].strip().startswith("...")
    assert lines[1][lines[2].index("^")] == "0"


TOKENS = [
    "CosineDecay", "ExponentialDecay", "PiecewiseConstantDecay", "sequence", "warmup", "min", "max",
    "clip", "Constant", "StepLR", "Sum", "Warmup", "StackedSequence", "FactorSchedule", "Noam",
    "constant", "linear_warmup", "rsqrt_decay", "__import__", "eval", "exec", "open", "os", "system",
    "__class__", "lambda", "for", "in", "if", "else", "not", "and", "True", "False", "None", "x", "base",
    "(", ")", "[", "]", "{", "}", ",", ".", ":", "=", "+", "-", "*", "/", "**", "%", "@", "'", '"',
    "'cosine'", "'overlap'", "f'", "0", "1", "10", "0.1", "1e-3", "1_000", "-1", "1e999", "steps=",
    "shape=", "mode=", "boundaries=", "decay_steps=", " ", "\n", "#", "\\", "\x00", "é",
]  # fmt: skip
ALPHABET = "abcxyz_AZ0123456789 ()[]{}.,:;=+-*/%@'\"\\#!<>~^&|\n\té"


# ------------------------------------------------------------------------------------------------------
# Fuzz (b): random well-formed expressions equal the schedules built in Python
# ------------------------------------------------------------------------------------------------------
Drawn = tuple[str, Any]  # (spec text, the value built in Python)


def _float(lo: float, hi: float) -> st.SearchStrategy[Drawn]:
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False).map(lambda x: (repr(x), x))


def _int(lo: int, hi: int) -> st.SearchStrategy[Drawn]:
    return st.integers(lo, hi).flatmap(lambda n: st.sampled_from([(str(n), n), (f"{n:_}", n)]))


@st.composite
def families(draw: st.DrawFn) -> Drawn:
    kind = draw(st.sampled_from(["cosine", "exponential", "step", "linear", "piecewise", "constant"]))
    lr_text, lr = draw(_float(0.0, 2.0))
    if kind == "cosine":
        n_text, n = draw(_int(1, 100_000))
        if draw(st.booleans()):
            a_text, a = draw(_float(0.0, 1.0))
            return f"CosineDecay({lr_text}, {n_text}, alpha={a_text})", lrjit.CosineDecay(lr, n, alpha=a)
        return f"CosineDecay({lr_text}, decay_steps={n_text})", lrjit.CosineDecay(lr, n)
    if kind == "exponential":
        n_text, n = draw(_int(1, 10_000))
        r_text, r = draw(_float(0.01, 1.0))
        flag = draw(st.booleans())
        text = f"ExponentialDecay({lr_text}, {n_text}, {r_text}, staircase={flag})"
        return text, lrjit.ExponentialDecay(lr, n, r, staircase=flag)
    if kind == "step":
        n_text, n = draw(_int(1, 1000))
        g_text, g = draw(_float(0.01, 1.0))
        return f"StepLR({lr_text}, step_size={n_text}, gamma={g_text})", lrjit.StepLR(
            lr, step_size=n, gamma=g
        )
    if kind == "linear":
        f_text, f = draw(_float(0.01, 1.0))
        n_text, n = draw(_int(0, 1000))
        text = f"LinearLR({lr_text}, start_factor={f_text}, total_iters={n_text})"
        return text, lrjit.LinearLR(lr, start_factor=f, total_iters=n)
    if kind == "piecewise":
        bounds = sorted(draw(st.sets(st.integers(0, 10_000), min_size=1, max_size=4)))
        values = draw(st.lists(st.floats(0.0, 1.0), min_size=len(bounds) + 1, max_size=len(bounds) + 1))
        text = f"PiecewiseConstantDecay({bounds!r}, values={values!r})"
        return text, lrjit.PiecewiseConstantDecay(bounds, values)
    v_text, v = draw(_float(-2.0, 2.0))
    return f"Constant({v_text})", lrjit.Constant(v)


@st.composite
def numbers(draw: st.DrawFn, depth: int = 2) -> Drawn:
    """A number, possibly a folded expression of numbers (|value| < 1e9: finite in float32)."""
    if depth == 0 or draw(st.integers(0, 2)):
        return draw(st.one_of(_float(-10.0, 10.0), _int(-100, 100)))
    (lt, lv), (rt, rv) = draw(numbers(depth - 1)), draw(numbers(depth - 1))
    op = draw(st.sampled_from("+-*/"))
    if op == "/" and abs(rv) < 0.1:  # no division by zero; folds stay well inside float32
        op = "*"
    return f"({lt} {op} {rt})", _apply(op, lv, rv)


def _apply(op: str, left: Any, right: Any) -> Any:
    return {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv}[op](left, right)


@st.composite
def schedules(draw: st.DrawFn, depth: int = 3) -> Drawn:
    if depth == 0:
        return draw(families())
    form = draw(
        st.sampled_from(["family", "warmup", "minmax", "clip", "binary", "number_op", "negate", "seq"])
    )
    sub = schedules(depth - 1)
    if form == "family":
        return draw(families())
    if form == "warmup":
        (st_text, s), (n_text, n) = draw(sub), draw(_int(0, 1000))
        shape = draw(st.sampled_from(["linear", "cosine", "constant", "1-sqrt"]))
        start_text, start = draw(_float(0.0, 0.1))
        mode = draw(st.sampled_from(["prefix", "overlap"]))
        text = f"warmup({st_text}, steps={n_text}, start={start_text}, shape={shape!r}, mode={mode!r})"
        return text, lrjit.warmup(s, steps=n, start=start, shape=shape, mode=mode)
    if form == "minmax":
        name = draw(st.sampled_from(["min", "max", "minimum", "maximum"]))
        (lt, lv), (rt, rv) = draw(sub), draw(st.one_of(sub, numbers()))
        fn = lrjit.minimum if name.startswith("min") else lrjit.maximum
        return f"{name}({lt}, {rt})", fn(lv, rv)
    if form == "clip":
        st_text, s = draw(sub)
        lo_text, lo = draw(_float(0.0, 0.5))
        hi_text, hi = draw(_float(0.5, 1.0))
        return f"clip({st_text}, lower={lo_text}, upper={hi_text})", lrjit.clip(s, lower=lo, upper=hi)
    if form == "binary":
        (lt, lv), (rt, rv) = draw(sub), draw(sub)
        op = draw(st.sampled_from("+-*/"))
        return f"({lt} {op} {rt})", _apply(op, lv, rv)
    if form == "number_op":
        (st_text, s), (nt, nv) = draw(sub), draw(numbers())
        op = draw(st.sampled_from("+-*/"))
        if draw(st.booleans()):
            return f"({nt} {op} {st_text})", _apply(op, nv, s)
        if op == "/" and nv == 0:
            op = "*"
        return f"({st_text} {op} {nt})", _apply(op, s, nv)
    if form == "negate":
        st_text, s = draw(sub)
        return f"-{st_text}", -s
    pieces = draw(st.lists(sub, min_size=1, max_size=3))
    bounds = sorted(draw(st.lists(st.integers(0, 5000), min_size=len(pieces) - 1, max_size=len(pieces) - 1)))
    text = f"sequence([{', '.join(t for t, _ in pieces)}], boundaries={bounds!r})"
    return text, lrjit.sequence([s for _, s in pieces], boundaries=bounds)


@FUZZ
@given(schedules())
def test_fuzz_well_formed(drawn: Drawn) -> None:
    text, expected = drawn
    parsed = sealed_parse(text)
    assert type(parsed) is type(expected)
    assert parsed == expected, text


# ------------------------------------------------------------------------------------------------------
# Fuzz (a): random text never escapes, and never fails with anything but SpecError
# ------------------------------------------------------------------------------------------------------
CALLABLES = [*sorted(lrjit.registry()), "warmup", "sequence", "min", "max", "minimum", "maximum", "clip"]
ATOMS = ["0", "1", "-1", "0.5", "1e-3", "1e999", "10_000", "True", "None", "'cosine'", "'x'", "[]", "[1, 2]",
         "[0.1, 0.2, 0.3]", "base", "(1, 2)", "-base", "2 * base"]  # fmt: skip


@st.composite
def random_calls(draw: st.DrawFn, depth: int = 2) -> str:
    """Calls of any registry class or composition function with arguments of any kind and keywords
    taken from the callee's fields (or misspelt): the evaluator and every constructor's validation."""
    name = draw(st.sampled_from(CALLABLES))
    argument = (
        st.sampled_from(ATOMS) if depth == 0 else st.one_of(st.sampled_from(ATOMS), random_calls(depth - 1))
    )
    args = draw(st.lists(argument, max_size=4))
    fields = (
        list(lrjit.fields_of(lrjit.registry()[name]))
        if name in lrjit.registry()
        else ["schedule", "steps", "shape"]
    )
    keys = draw(st.lists(st.sampled_from([*fields, "stpes"]), max_size=3, unique=True))
    kwargs = [f"{key}={draw(argument)}" for key in keys]
    return f"{name}({', '.join(args + kwargs)})"


@st.composite
def mutated(draw: st.DrawFn) -> str:
    """A well-formed expression (fuzz b) with a few tokens inserted, deleted or replaced."""
    text, _ = draw(schedules(2))
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(text)))
        j = draw(st.integers(i, min(len(text), i + 8)))
        text = text[:i] + draw(st.sampled_from(["", *TOKENS])) + text[j:]
    return text


@FUZZ
@given(
    st.one_of(
        st.text(alphabet=ALPHABET, max_size=60),
        st.lists(st.sampled_from(TOKENS), max_size=25).map("".join),
        st.lists(st.sampled_from(TOKENS), max_size=25).map(" ".join),
        random_calls(),
        mutated(),
    )
)
def test_fuzz_random_text(text: str) -> None:
    try:
        result = sealed_parse(text, base=lrjit.CosineDecay(0.1, 10))
    except SpecError as e:
        assert 1 <= e.column and 1 <= e.line
        str(e)
    else:
        assert isinstance(result, lrjit.Schedule)
