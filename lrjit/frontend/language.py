"""The spec language: schedules written as short, safe expressions.

``parse`` reads one expression and builds the schedule it describes::

    parse("warmup(CosineDecay(0.1, decay_steps=10_000), steps=500, shape='cosine')")
    parse("0.5 * CosineDecay(1.0, 1000) + 1e-5")
    parse("max(ExponentialDecay(0.1, 100, 0.5), 1e-4)")
    parse("warmup(base, steps=w)", base=my_schedule, w=500)
    parse("constant * linear_warmup * rsqrt_decay", warmup_steps=1000)   # a t5x factor string

The grammar, all of it:

- calls of a registry class (``lrjit.registry()``: every family and composition class, e.g.
  ``CosineDecay(0.1, decay_steps=10_000)``) or of the composition functions ``warmup``, ``sequence``,
  ``minimum`` / ``min``, ``maximum`` / ``max`` and ``clip``, with positional and keyword arguments;
- numbers (``1e-3``, ``10_000``, unary ``+`` / ``-``), ``True``, ``False``, ``None``;
- strings, only as values of structural (static) fields: ``shape='cosine'``, ``mode='overlap'``,
  ``warmup_mode='constant'``, ``factors='constant * rsqrt_decay'``;
- lists and tuples of numbers (``boundaries=[500, 1000]``) or of schedules (``sequence([...], [500])``);
- ``+ - * /`` between schedules and numbers (numbers become constants, as with the Python operators;
  ``-schedule`` negates), folded to one number between numbers; parentheses;
- bare names, only those passed to ``parse`` as keyword arguments (numbers, lists of numbers or
  schedules, schedules); a number alone is a :class:`~lrjit.Constant`.

A string made only of identifiers joined by ``*``, each a factor of
:class:`~lrjit.families.t5x.FactorSchedule`, is a t5x factor string: ``parse`` returns that
``FactorSchedule`` and its keyword arguments are the schedule's (t5x's defaults for the rest).

Nothing is executed: the text is parsed with :mod:`ast` and walked against a whitelist of node types;
the only functions ever called are the schedule constructors and composition functions above. Limits are
checked before the parser runs where the parser itself could be made slow or recurse deeply: the length,
the bracket depth, the number of operators and calls, the length of a number literal and f-strings (whose
insides CPython parses separately) are all found by one linear scan of the text; the number of AST nodes
and the AST depth are checked, without recursion, before anything is evaluated.

Every problem raises :class:`SpecError` (a ``ValueError``) with the column of the offending token.
"""

from __future__ import annotations

import ast
import dataclasses
import difflib
import functools
import inspect
import operator
import re
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from lrjit import compose
from lrjit.core import FieldError, Schedule, is_number, registry, static_names
from lrjit.core.suggest import did_you_mean
from lrjit.families import t5x

__all__ = [
    "MAX_AST_DEPTH",
    "MAX_BRACKET_DEPTH",
    "MAX_LENGTH",
    "MAX_NODES",
    "MAX_NUMBER_CHARS",
    "MAX_OPERATORS",
    "SpecError",
    "parse",
]

MAX_LENGTH = 10_000  # characters of spec text
MAX_BRACKET_DEPTH = 32  # nested ( [ {
MAX_OPERATORS = 256  # operators, calls and subscripts: each may nest the AST one level deeper
MAX_NUMBER_CHARS = 64  # characters of one number literal
MAX_NODES = 2_000  # AST nodes (as ast.walk counts them)
MAX_AST_DEPTH = 100  # AST depth: a chain a + b + c + ... nests one level per operator
MAX_INT = 2**63 - 1

# The composition functions the language calls, by spec name: (function in lrjit.compose, the class it
# builds, whose static fields are the parameters that take strings).
_FUNCTIONS = {
    "warmup": ("warmup", "Warmup"),
    "sequence": ("sequence", "Sequence"),
    "minimum": ("minimum", "Minimum"),
    "min": ("minimum", "Minimum"),
    "maximum": ("maximum", "Maximum"),
    "max": ("maximum", "Maximum"),
    "clip": ("clip", "Clip"),
}
_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}
_SYMBOLS = {
    ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**", ast.Mod: "%",
    ast.FloorDiv: "//", ast.MatMult: "@", ast.LShift: "<<", ast.RShift: ">>", ast.BitOr: "|",
    ast.BitXor: "^", ast.BitAnd: "&", ast.UAdd: "+", ast.USub: "-", ast.Not: "not", ast.Invert: "~",
}  # fmt: skip
# Node types the evaluator handles (operators and Load appear as children of BinOp/UnaryOp/Name).
_ALLOWED = (
    ast.Expression, ast.Call, ast.Name, ast.Constant, ast.List, ast.Tuple, ast.BinOp, ast.UnaryOp,
    ast.keyword, ast.Load, ast.Add, ast.Sub, ast.Mult, ast.Div, ast.UAdd, ast.USub,
)  # fmt: skip
_ALLOWED_OPERATORS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.UAdd, ast.USub)
_FORBIDDEN = {
    ast.Attribute: "attribute access is not allowed",
    ast.Subscript: "subscripts (`x[...]`) are not allowed",
    ast.Starred: "starred arguments (`*x`) are not allowed",
    ast.Lambda: "lambda is not allowed",
    ast.ListComp: "comprehensions are not allowed",
    ast.SetComp: "comprehensions are not allowed",
    ast.DictComp: "comprehensions are not allowed",
    ast.GeneratorExp: "comprehensions are not allowed",
    ast.JoinedStr: "f-strings are not allowed",
    ast.FormattedValue: "f-strings are not allowed",
    ast.NamedExpr: "`:=` is not allowed",
    ast.Compare: "comparisons are not allowed",
    ast.BoolOp: "`and` / `or` are not allowed",
    ast.IfExp: "conditional expressions are not allowed",
    ast.Dict: "dicts are not allowed",
    ast.Set: "sets are not allowed",
    ast.Await: "`await` is not allowed",
    ast.Yield: "`yield` is not allowed",
    ast.YieldFrom: "`yield` is not allowed",
}
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_WORD = re.compile(r"\w+")
_NUMBER = re.compile(r"\.?[0-9](?:[eE][+-]|[\w.])*")
_OPERATOR_CHARS = frozenset("+-*/%@&|^~<>!:.")
_WORD_OPERATORS = frozenset({"not", "and", "or", "if", "else", "lambda", "for", "in", "is", "await", "yield"})
_STRING_PREFIX = re.compile(r"[rRbBuUfF]{1,2}")
_FACTOR_STRING = re.compile(r"\s*[A-Za-z_]\w*(?:\s*\*\s*[A-Za-z_]\w*)*\s*", re.ASCII)
_IDENTIFIER = re.compile(r"[A-Za-z_]\w*", re.ASCII)


class SpecError(ValueError):
    """A spec that cannot be parsed or built.

    Attributes:
      message: what is wrong (a constructor's own message, such as "CosineDecay: `decay_steps` must be an
        integer >= 1, got 0", is kept as it is).
      text: the spec.
      line: the 1-based line of the offending token (1 for a one-line spec).
      column: the 1-based column of the offending token in that line.
    """

    def __init__(self, message: str, text: str = "", column: int = 1, line: int = 1) -> None:
        super().__init__(message)
        self.message, self.text, self.column, self.line = message, text, column, line

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), (self.message, self.text, self.column, self.line)

    def __str__(self) -> str:
        lines = _LINE_BREAK.split(self.text)
        source = lines[self.line - 1] if 0 < self.line <= len(lines) else ""
        start = max(0, min(self.column - 1 - 40, len(source) - 80))  # an 80-character window on long lines
        shown = (
            ("..." if start else "")
            + source[start : start + 80]
            + ("..." if start + 80 < len(source) else "")
        )
        caret = self.column - 1 - start + (3 if start else 0)
        where = f"line {self.line}, column {self.column}" if len(lines) > 1 else f"column {self.column}"
        return f"{self.message} (at {where})\n    {shown.expandtabs(1)}\n    {' ' * caret}^"


def parse(text: str, /, **names: Any) -> Schedule:
    """The schedule a spec describes (see the module docstring for the grammar).

    Args:
      text: the spec: an expression of the spec language, or a t5x factor string.
      **names: for an expression, the values of its bare names (numbers, lists of numbers or schedules,
        schedules); for a factor string, ``FactorSchedule``'s arguments (``base_learning_rate``,
        ``warmup_steps``, ...).

    Returns:
      An ``lrjit.Schedule``.

    Raises:
      SpecError: the text is not a valid spec, breaks a limit, or a constructor rejects its arguments.
      TypeError: ``text`` is not a str, or a name's value is not a number, list or schedule.
    """
    if not isinstance(text, str):
        raise TypeError(f"parse() takes the spec as a str, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise SpecError(f"the spec is too long ({len(text)} characters; the limit is {MAX_LENGTH})", text)
    if not text.strip():
        raise SpecError("the spec is empty", text)
    factor_schedule = _factor_string(text, names)
    if factor_schedule is not None:
        return factor_schedule
    _check_names(names)
    _prescan(text)
    source = _Source(text)
    try:
        with warnings.catch_warnings():  # SyntaxWarnings ("is" with a literal, ...) are not our concern
            warnings.simplefilter("ignore")
            tree = ast.parse(source.code, mode="eval")
    except SyntaxError as e:
        if e.lineno and e.offset:
            line, column = e.lineno, source.column(e.lineno, e.offset - 1)
        else:  # the parser ran out of text ("1 +"): point after its end
            line, column = _position(text, len(text.rstrip()))
        message = e.msg if e.msg.startswith("invalid syntax") else f"invalid syntax: {e.msg}"
        raise SpecError(message, text, column, line) from None
    except (ValueError, MemoryError, RecursionError):  # guarded by _prescan; a last resort
        raise SpecError("the spec is too complex to parse", text) from None
    evaluator = _Evaluator(source, names)
    evaluator.check(tree)
    return evaluator.result(tree.body)


# ---------------------------------------------------------------------------------------- t5x strings
def _factor_string(text: str, names: dict[str, Any]) -> Any:
    """The FactorSchedule of a t5x factor string, or None when ``text`` is not one.

    Identifiers joined by ``*`` are a factor string when every one is a factor; when some are factors
    (or close to one) and others are not, the first unknown one is a SpecError with suggestions. Names
    passed to ``parse`` make the text an expression instead (``parse("a * b", a=..., b=...)``).
    """
    if not _FACTOR_STRING.fullmatch(text):
        return None
    words = [(m.group(), m.start()) for m in _IDENTIFIER.finditer(text)]
    if any(word in names for word, _ in words):
        return None
    unknown = [(word, i) for word, i in words if word not in t5x.FACTORS]
    if unknown:
        some_known = len(unknown) < len(words)
        callables = _callables()
        close = [
            (word, i)
            for word, i in unknown
            if word not in callables and difflib.get_close_matches(word, t5x.FACTORS, n=1, cutoff=0.75)
        ]
        if not some_known and not close:
            return None  # not a factor string: an expression (of unknown names)
        word, i = unknown[0] if some_known else close[0]
        hint = did_you_mean(word, t5x.FACTORS) or " (the factors are " + ", ".join(t5x.FACTORS) + ")"
        line, column = _position(text, i)
        raise SpecError(f"unknown t5x factor `{word}`{hint}", text, column, line)
    cls = registry()["FactorSchedule"]
    fields = [f.name for f in dataclasses.fields(cls)]
    for key in names:
        if key == "factors":
            raise SpecError("the factors are the spec text; pass FactorSchedule's other arguments", text)
        if key not in fields:
            raise SpecError(f"FactorSchedule has no argument `{key}`{did_you_mean(key, fields)}", text)
    try:
        return cls(factors=tuple(word for word, _ in words), **names)
    except (ValueError, TypeError) as e:
        raise SpecError(str(e), text) from e


# ---------------------------------------------------------------------------------------- pre-scan
def _position(text: str, index: int) -> tuple[int, int]:
    """The 1-based (line, column) of ``text[index]``."""
    lines = _LINE_BREAK.split(text[:index])
    return len(lines), len(lines[-1]) + 1


def _prescan(text: str) -> None:
    """One linear pass over the text, before the (recursive) parser sees it: the bracket depth, the count
    of operators, calls and subscripts (each can nest the AST one level deeper), number literal lengths,
    f-strings (their insides are parsed separately) and NUL characters."""

    def fail(index: int, message: str) -> SpecError:
        line, column = _position(text, index)
        return SpecError(message, text, column, line)

    depth = operators = 0
    after_value = False  # a "(" or "[" right after a value is a call or a subscript
    i, n = 0, len(text)
    while i < n:
        start, c = i, text[i]
        if c in " \t\f\r\n\\":
            i += 1
            continue
        if c == "#":
            match = _LINE_BREAK.search(text, i)
            i = match.start() if match else n
            continue
        if c in "'\"":
            i, after_value = _skip_string(text, i), True
            continue
        if c in "0123456789" or (c == "." and text[i + 1 : i + 2].isdigit()):
            i, after_value = _NUMBER.match(text, i).end(), True  # type: ignore[union-attr]
            if i - start > MAX_NUMBER_CHARS:
                raise fail(start, f"number literal is too long (more than {MAX_NUMBER_CHARS} characters)")
            continue
        if c.isidentifier():
            i = _WORD.match(text, i).end()  # type: ignore[union-attr]
            word = text[start:i]
            if i < n and text[i] in "'\"" and _STRING_PREFIX.fullmatch(word):
                if "f" in word.lower():
                    raise fail(start, "f-strings are not allowed")
                i, after_value = _skip_string(text, i), True
                continue
            operators += word in _WORD_OPERATORS
            after_value = word not in _WORD_OPERATORS
        else:
            if c in "([{":
                operators += after_value and c != "{"
                depth += 1
                if depth > MAX_BRACKET_DEPTH:
                    raise fail(i, f"the spec is nested too deeply (more than {MAX_BRACKET_DEPTH} brackets)")
            elif c in ")]}":
                depth = max(depth - 1, 0)
            elif c in _OPERATOR_CHARS:
                operators += 1
            elif c == "\0":
                raise fail(i, "the spec contains a NUL character")
            after_value = c in ")]}"
            i += 1
        if operators > MAX_OPERATORS:
            raise fail(start, f"the spec has too many operators and calls (more than {MAX_OPERATORS})")


def _skip_string(text: str, i: int) -> int:
    """The index after the string literal opening at ``text[i]`` (the end of the line or text when it is
    unterminated: the parser reports that)."""
    quote = text[i] * 3 if text.startswith(text[i] * 3, i) else text[i]
    j = i + len(quote)
    while j < len(text):
        if text[j] == "\\":
            j += 2
        elif text.startswith(quote, j):
            return j + len(quote)
        elif len(quote) == 1 and text[j] in "\r\n":
            return j
        else:
            j += 1
    return len(text)


@dataclasses.dataclass
class _Source:
    """The text as parsed: leading whitespace removed from the first line (the parser would read an
    indent), line numbers kept; maps AST positions (UTF-8 byte offsets) to columns of the text."""

    text: str

    def __post_init__(self) -> None:
        body = self.text.lstrip(" \t\f\r\n")
        lead = _LINE_BREAK.split(self.text[: len(self.text) - len(body)])
        self.first_line, self.shift = len(lead), len(lead[-1])
        self.code = "\n" * (len(lead) - 1) + body
        self.lines = _LINE_BREAK.split(self.code)

    def column(self, line: int, char_offset: int) -> int:
        return char_offset + 1 + (self.shift if line == self.first_line else 0)

    def char_offset(self, line: int, byte_offset: int) -> int:
        source = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        return len(source.encode("utf-8")[:byte_offset].decode("utf-8", "ignore"))

    def node_column(self, node: ast.AST) -> tuple[int, int]:
        line = node.lineno  # type: ignore[attr-defined]
        return line, self.column(line, self.char_offset(line, node.col_offset))  # type: ignore[attr-defined]

    def after(self, node: ast.AST) -> tuple[int, int] | None:
        """The (line, column) of the first token after ``node`` that is not ")" or space, on its line."""
        line = node.end_lineno  # type: ignore[attr-defined]
        source = self.lines[line - 1]
        i = self.char_offset(line, node.end_col_offset)  # type: ignore[attr-defined]
        while i < len(source) and source[i] in " \t)":
            i += 1
        return (line, self.column(line, i)) if i < len(source) else None


# ---------------------------------------------------------------------------------------- evaluation
def _callables() -> dict[str, Any]:
    """What the language may call, by name: (callable, the class whose static fields take strings).
    Looked up on each parse, so families defined later are found."""
    families = registry()
    out: dict[str, Any] = {name: (cls, cls) for name, cls in families.items()}
    out.update({name: (getattr(compose, fn), families[cls]) for name, (fn, cls) in _FUNCTIONS.items()})
    return out


@dataclasses.dataclass(frozen=True)
class _Signature:
    params: tuple[str, ...]
    positional: int  # how many may be given by position
    required: tuple[str, ...]
    static: tuple[str, ...]  # the parameters that take strings


@functools.cache
def _signature(fn: Callable[..., Any], built: type) -> _Signature:
    params = [
        p
        for p in inspect.signature(fn).parameters.values()
        if p.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    ]
    return _Signature(
        params=tuple(p.name for p in params),
        positional=sum(p.kind is not inspect.Parameter.KEYWORD_ONLY for p in params),
        required=tuple(p.name for p in params if p.default is inspect.Parameter.empty),
        static=tuple(p.name for p in params if p.name in static_names(built)),
    )


def _is_number(value: Any) -> bool:
    """A scalar number (bools are not numbers here)."""
    return is_number(value) and np.ndim(value) == 0


def _describe(value: Any) -> str:
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, list | tuple):
        return "a list"
    return f"a {type(value).__name__}"


def _check_names(names: dict[str, Any]) -> None:
    def ok(v: Any) -> bool:
        return isinstance(v, Schedule) or _is_number(v)

    for key, value in names.items():
        vector = isinstance(value, np.ndarray) and np.ndim(value) == 1 and value.dtype.kind in "iuf"
        if not (ok(value) or isinstance(value, bool) or vector) and not (
            isinstance(value, list | tuple) and all(ok(v) for v in value)
        ):
            raise TypeError(
                f"parse(): `{key}` must be a number, a list of numbers or schedules, or an lrjit schedule; "
                f"got {value!r:.60}"
            )


class _Evaluator:
    """Checks the AST against the whitelist, then evaluates it: one method per node type."""

    def __init__(self, source: _Source, names: dict[str, Any]) -> None:
        self.source, self.names = source, names
        self.callables = _callables()

    def error(self, where: ast.AST | tuple[int, int] | None, message: str) -> SpecError:
        line, column = (
            (1, 1) if where is None else where if isinstance(where, tuple) else self.source.node_column(where)
        )
        return SpecError(message, self.source.text, column, line)

    # -------------------------------------------------------------------------------- the whitelist
    def check(self, tree: ast.Expression) -> None:
        """Node count, depth and node types, without recursion (forbidden subtrees are walked, never
        evaluated); reports the leftmost forbidden node."""
        # (node, depth, the nearest node with a position: operators and contexts have none)
        stack: list[tuple[ast.AST, int, ast.AST]] = [(tree.body, 1, tree.body)]
        count, problems = 0, []
        while stack:
            node, depth, located = stack.pop()
            count += 1
            if count > MAX_NODES:
                raise self.error(None, f"the spec is too large (more than {MAX_NODES} syntax nodes)")
            if hasattr(node, "lineno"):
                located = node
                problem = self.forbidden(node)
                if problem is not None:
                    problems.append(problem)
            if depth > MAX_AST_DEPTH:
                raise self.error(located, f"the spec is nested too deeply (more than {MAX_AST_DEPTH} levels)")
            children = reversed(list(ast.iter_child_nodes(node)))
            stack.extend((child, depth + 1, located) for child in children)
        if problems:
            where, message = min(problems, key=lambda p: p[0])
            raise self.error(where, message)

    def forbidden(self, node: ast.AST) -> tuple[tuple[int, int], str] | None:
        """((line, column), message) when ``node`` is not allowed, else None."""
        where = self.source.node_column(node)
        if isinstance(node, ast.BinOp | ast.UnaryOp) and not isinstance(node.op, _ALLOWED_OPERATORS):
            symbol = _SYMBOLS.get(type(node.op), type(node.op).__name__)
            if isinstance(node, ast.BinOp):
                where = self.source.after(node.left) or where
            return where, f"`{symbol}` is not allowed (the operators are + - * /)"
        if isinstance(node, ast.Attribute):
            line = node.end_lineno or node.lineno
            offset = self.source.char_offset(line, node.end_col_offset or 0) - len(node.attr)
            return (line, self.source.column(line, offset)), "attribute access is not allowed"
        if isinstance(node, ast.Subscript):
            where = self.source.after(node.value) or where
        if isinstance(node, ast.keyword) and node.arg is None:
            return where, "`**` unpacking is not allowed"
        if isinstance(node, ast.Constant) and not isinstance(node.value, int | float | str | type(None)):
            return where, f"{type(node.value).__name__} literals are not allowed"
        if isinstance(node, _ALLOWED):
            return None
        return where, _FORBIDDEN.get(type(node), f"{type(node).__name__} expressions are not allowed")

    # -------------------------------------------------------------------------------- evaluation
    def result(self, node: ast.expr) -> Any:
        value = self.eval(node)
        if _is_number(value):
            value = self.build(node, registry()["Constant"], (value,), {}, {"value": node})
        if not isinstance(value, Schedule):
            raise self.error(node, f"the spec must be a schedule, got {_describe(value)}")
        return value

    def eval(self, node: ast.AST) -> Any:
        return getattr(self, "eval_" + type(node).__name__)(node)

    def eval_Constant(self, node: ast.Constant) -> Any:
        value = node.value
        if isinstance(value, int) and abs(value) > MAX_INT:
            raise self.error(
                node, "integer literal is too large (beyond int64; write it as a float, e.g. 1e20)"
            )
        return value

    def eval_Name(self, node: ast.Name) -> Any:
        if node.id in self.names:
            value = self.names[node.id]
            return list(value) if isinstance(value, tuple) else value
        if node.id in self.callables:
            raise self.error(node, f"`{node.id}` is a function: call it, e.g. `{node.id}(...)`")
        hint = did_you_mean(node.id, self.names) or " (names are passed to parse() as keyword arguments)"
        raise self.error(node, f"unknown name `{node.id}`{hint}")

    def eval_List(self, node: ast.List | ast.Tuple) -> list[Any]:
        items = [self.eval(item) for item in node.elts]
        for item, value in zip(node.elts, items, strict=True):
            if not (isinstance(value, Schedule | str) or _is_number(value)):
                raise self.error(item, f"a list holds numbers or schedules, not {_describe(value)}")
        return items

    eval_Tuple = eval_List

    def operand(self, node: ast.AST) -> Any:
        value = self.eval(node)
        if not (isinstance(value, Schedule) or _is_number(value)):
            raise self.error(node, f"arithmetic takes numbers and schedules, not {_describe(value)}")
        return value

    def eval_UnaryOp(self, node: ast.UnaryOp) -> Any:
        value = self.operand(node.operand)
        if isinstance(node.op, ast.USub):
            return -value
        if not _is_number(value):
            raise self.error(node, "unary `+` applies to numbers only")
        return +value

    def eval_BinOp(self, node: ast.BinOp) -> Any:
        left, right = self.operand(node.left), self.operand(node.right)
        op = _BINARY[type(node.op)]
        if _is_number(left) and _is_number(right):  # fold
            if isinstance(node.op, ast.Div) and right == 0:
                raise self.error(self.source.after(node.left) or node, "division by zero")
            value = op(left, right)
            if isinstance(value, int) and abs(value) > MAX_INT:
                raise self.error(node, "integer result is too large (beyond int64)")
            return value
        try:
            return op(left, right)
        except (ValueError, TypeError) as e:
            raise self.error(node, str(e)) from e

    def eval_Call(self, node: ast.Call) -> Any:
        if not isinstance(node.func, ast.Name):
            raise self.error(node.func, "only schedules and composition functions can be called, by name")
        name = node.func.id
        if name not in self.callables:
            if name in self.names:
                raise self.error(node.func, f"`{name}` is a value, not a function")
            hint = did_you_mean(name, self.callables) or (
                " (the functions are the schedule classes of lrjit.registry(), such as CosineDecay, and "
                "warmup, sequence, minimum/min, maximum/max, clip)"
            )
            raise self.error(node.func, f"unknown function `{name}`{hint}")
        fn, built = self.callables[name]
        sig = _signature(fn, built)
        if len(node.args) > sig.positional:
            allowed = ", ".join(sig.params[: sig.positional])
            raise self.error(
                node.args[sig.positional],
                f"{name}() takes at most {sig.positional} positional arguments ({allowed}), "
                f"got {len(node.args)}",
            )
        bound: dict[str, ast.AST] = dict(zip(sig.params, node.args, strict=False))
        for kw in node.keywords:
            assert kw.arg is not None  # `**` was rejected by the whitelist
            if kw.arg not in sig.params:
                hint = did_you_mean(kw.arg, sig.params)
                raise self.error(kw, f"{name}() has no argument `{kw.arg}`{hint}")
            if kw.arg in bound:
                raise self.error(kw, f"{name}() got two values for `{kw.arg}`")
            bound[kw.arg] = kw.value
        missing = [p for p in sig.required if p not in bound]
        if missing:
            which = ", ".join(f"`{p}`" for p in missing)
            raise self.error(
                node, f"{name}() is missing the required argument{'s' * (len(missing) > 1)} {which}"
            )
        args = tuple(self.argument(name, sig, p, a) for p, a in zip(sig.params, node.args, strict=False))
        kwargs = {kw.arg: self.argument(name, sig, kw.arg, kw.value) for kw in node.keywords if kw.arg}
        return self.build(node, fn, args, kwargs, bound)

    def argument(self, name: str, sig: _Signature, param: str, node: ast.AST) -> Any:
        """An argument's value; strings only for the static parameters."""
        value = self.eval(node)
        if param not in sig.static:
            items = node.elts if isinstance(node, ast.List | ast.Tuple) else [node]
            values = value if isinstance(node, ast.List | ast.Tuple) else [value]
            for item, v in zip(items, values, strict=True):
                if isinstance(v, str):
                    only = f" (only {', '.join(f'`{p}`' for p in sig.static)} do)" if sig.static else ""
                    raise self.error(item, f"{name}(): `{param}` does not take a string{only}")
        return value

    def build(
        self,
        node: ast.AST,
        fn: Any,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        bound: dict[str, Any],
    ) -> Any:
        """``fn(*args, **kwargs)``; a ValueError/TypeError becomes a SpecError, at the argument a
        :class:`~lrjit.core.FieldError` names (else at the call)."""
        try:
            return fn(*args, **kwargs)
        except (ValueError, TypeError) as e:
            fields = e.fields if isinstance(e, FieldError) else ()
            named = [bound[f] for f in fields if f in bound]
            raise self.error(named[0] if named else node, str(e)) from e
