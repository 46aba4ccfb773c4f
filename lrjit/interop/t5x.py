"""t5x's gin bindings of ``create_learning_rate_scheduler`` imported as an lrjit schedule:
:func:`from_t5x_gin`.

The input is gin text (a whole ``.gin`` file, or the bindings alone) or a dict of binding names to
values. The bindings of ``create_learning_rate_scheduler`` (google-research/t5x ``t5x/utils.py``) are
read, written as ``utils.create_learning_rate_scheduler.<param> = value``, with ``t5x.utils.`` or no
module prefix, or in a block::

    utils.create_learning_rate_scheduler:
      factors = 'constant * linear_warmup * rsqrt_decay'
      base_learning_rate = %LR     # a macro defined in the same text: LR = 0.5
      warmup_steps = 10_000

Its parameters (``factors``, ``base_learning_rate``, ``warmup_steps``, ``decay_factor``,
``steps_per_decay``, ``steps_per_cycle``, ``step_offset``, ``min_learning_rate``, with t5x's defaults for
the rest) build :class:`lrjit.FactorSchedule`, whose constructor reads the factor string. Gin text is read
with Python's tokenizer, as gin reads it: comments, continuation lines (a backslash, or an open bracket),
imports and other configurables' bindings are skipped; a later binding of a parameter overrides an earlier
one. Values are Python literals or macros ``%NAME`` defined by ``NAME = value`` in the same text (a dict's
macros are its keys without a dot). Scoped bindings (``train/utils.create_learning_rate_scheduler...``) are
read with ``scope='train'``, over the unscoped ones, as gin applies them in that scope.

Not supported, raising ValueError naming them: an unknown parameter, a macro the text does not define
(``%gin.REQUIRED``), a reference (``@...``) or other non-literal value, a step count that is not a whole
number, scoped bindings when no ``scope`` is given, a text without ``create_learning_rate_scheduler``
bindings, and what :class:`lrjit.FactorSchedule` rejects (unknown factors; ``warmup_steps=0`` with a factor
that divides by it, where t5x gives inf or NaN).
"""

from __future__ import annotations

import ast
import io
import re
import textwrap
import tokenize
from collections.abc import Mapping
from typing import Any

from lrjit.core import Schedule
from lrjit.families.t5x import FactorSchedule
from lrjit.frontend.importers import Importer, plain_value, register_importer

__all__ = ["T5X_SCHEDULER_PARAMS", "from_t5x_gin"]

# create_learning_rate_scheduler's parameters (t5x/utils.py), with whether each is a step count.
T5X_SCHEDULER_PARAMS = {
    "factors": False,
    "base_learning_rate": False,
    "warmup_steps": True,
    "decay_factor": False,
    "steps_per_decay": True,
    "steps_per_cycle": True,
    "step_offset": True,
    "min_learning_rate": False,
}
_FUNCTION = "create_learning_rate_scheduler"
_SELECTORS = (_FUNCTION, f"utils.{_FUNCTION}", f"t5x.utils.{_FUNCTION}")
# [scope/]selector.param, the selector ending in the function's name.
_BINDING = re.compile(rf"(?:(?P<scope>[\w/]+)/)?(?P<selector>(?:[\w.]+\.)?{_FUNCTION})\.(?P<param>\w+)")
_MACRO = re.compile(r"[A-Za-z_]\w*")
_MACRO_DEPTH = 32


class _Unresolved:
    """A gin value that is not a Python literal (a reference, an expression): its text, for errors."""

    def __init__(self, text: str) -> None:
        self.text = text


class _MacroRef:
    """A gin macro reference ``%NAME``."""

    def __init__(self, name: str) -> None:
        self.name = name


# ------------------------------------------------------------------------------------------ gin text
def _value(text: str) -> Any:
    """A binding's value: a macro reference, a Python literal, or unresolved."""
    text = text.strip()
    if text.startswith("%"):
        return _MacroRef("".join(text[1:].split()))  # the tokens of "%gin.REQUIRED", joined back
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return _Unresolved(text)


def _statements(text: str) -> list[tuple[bool, list[tokenize.TokenInfo]]]:
    """The logical lines of gin text as (indented, tokens), comments and blank lines left out."""
    out: list[tuple[bool, list[tokenize.TokenInfo]]] = []
    current: list[tokenize.TokenInfo] = []
    skip = {tokenize.COMMENT, tokenize.NL, tokenize.INDENT, tokenize.DEDENT, tokenize.ENCODING}
    try:
        for tok in tokenize.generate_tokens(io.StringIO(textwrap.dedent(text)).readline):
            if tok.type in skip:
                continue
            if tok.type in (tokenize.NEWLINE, tokenize.ENDMARKER):
                if current:
                    out.append((current[0].start[1] > 0, current))
                current = []
                continue
            current.append(tok)
    except (tokenize.TokenError, SyntaxError) as e:  # an unclosed bracket or string, a bad dedent
        raise ValueError(f"from_t5x_gin: cannot read the gin text: {e}") from None
    return out


def _split(tokens: list[tokenize.TokenInfo]) -> tuple[str, str] | None:
    """(the key, the value's text) of ``key = value``, or None for another statement."""
    depth = 0
    for i, tok in enumerate(tokens):
        if tok.type == tokenize.OP and tok.string in ("(", "[", "{"):
            depth += 1
        elif tok.type == tokenize.OP and tok.string in (")", "]", "}"):
            depth -= 1
        elif depth == 0 and tok.type == tokenize.OP and tok.string == "=":
            key = "".join(t.string for t in tokens[:i])
            return key, " ".join(t.string for t in tokens[i + 1 :])
    return None


def _gin_bindings(text: str) -> dict[str, Any]:
    """Every ``key = value`` binding of gin text (block bindings with their selector prefixed; a later
    binding of a key replaces an earlier one)."""
    bindings: dict[str, Any] = {}
    block: str | None = None
    for indented, tokens in _statements(text):
        words = [t.string for t in tokens]
        if not indented:
            block = None
            if words[0] in ("import", "from", "include"):
                continue
            if words[-1] == ":" and "=" not in words:  # a block: "selector:"
                block = "".join(words[:-1])
                continue
        pair = _split(tokens)
        if pair is None:
            continue
        key, value = pair
        if indented and block is not None:
            key = f"{block}.{key}"
        bindings.pop(key, None)  # the order of the dict is the order of the last bindings
        bindings[key] = _value(value)
    return bindings


# ------------------------------------------------------------------------------------------ bindings
def _resolve(value: Any, macros: dict[str, Any], where: str) -> Any:
    """A binding's value with its macros replaced by their values."""
    chain = ""
    for _ in range(_MACRO_DEPTH):
        if not isinstance(value, _MacroRef):
            break
        chain += f" = %{value.name}"
        if value.name == "gin.REQUIRED":
            raise ValueError(
                f"from_t5x_gin: `{where}`{chain}: the value is required from outside the text (a launcher "
                "flag); bind it in the text or dict"
            )
        if value.name not in macros:
            raise ValueError(
                f"from_t5x_gin: `{where}`{chain}: the macro `{value.name}` is not defined in the bindings "
                f"(define it, e.g. `{value.name} = 0.5`, or bind the value itself)"
            )
        value = macros[value.name]
    else:
        raise ValueError(
            f"from_t5x_gin: `{where}`{chain[:200]}...: the macros refer to each other in a cycle"
        )
    if isinstance(value, _Unresolved):
        raise ValueError(
            f"from_t5x_gin: `{where}`{chain} = {value.text}: only Python literals and macros are read, not "
            "references or expressions"
        )
    return plain_value(value)


def _argument(param: str, value: Any, where: str) -> Any:
    """A parameter's value, checked: the factor string, a number, or a whole step count."""
    if param == "factors":
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"from_t5x_gin: `{where}` must be a number, got {value!r}")
    if not T5X_SCHEDULER_PARAMS[param]:
        return value
    if isinstance(value, float) and not value.is_integer():
        raise ValueError(f"from_t5x_gin: `{where}` must be a whole number of steps, got {value!r}")
    return int(value)


def _scope_rank(scope: str | None, wanted: str | None) -> int | None:
    """How specific a binding's scope is for ``wanted`` (gin applies a scope's bindings inside nested
    scopes too), or None when it does not apply."""
    if not scope:
        return 0
    if wanted is None:
        return None
    parts, want = scope.split("/"), wanted.split("/")
    return len(parts) if want[: len(parts)] == parts else None


def from_t5x_gin(text_or_dict: str | Mapping[str, Any], *, scope: str | None = None) -> Schedule:
    """The lrjit schedule of t5x's ``create_learning_rate_scheduler`` bound by gin.

    Args:
      text_or_dict: gin text (a ``.gin`` file's content, or binding lines), or a dict of binding names
        (``'utils.create_learning_rate_scheduler.warmup_steps'``) to Python values, and of macro names to
        their values.
      scope: read the bindings of this gin scope (``'train'`` for ``train/utils.create_...``) over the
        unscoped ones; None reads the unscoped ones and raises on scoped ones.

    Returns:
      :class:`lrjit.FactorSchedule` with the bound arguments (t5x's defaults for the rest).

    Raises:
      ValueError: an unknown parameter, an unresolved macro or reference, scoped bindings without
        ``scope``, no binding at all, or arguments FactorSchedule rejects (each named).
      TypeError: the input is neither a str nor a dict.
    """
    if isinstance(text_or_dict, str):
        bindings = _gin_bindings(text_or_dict)
    elif isinstance(text_or_dict, Mapping):
        bindings = {
            str(k): _MacroRef(v[1:].strip()) if isinstance(v, str) and v.startswith("%") else v
            for k, v in text_or_dict.items()
        }
    else:
        what = type(text_or_dict).__qualname__
        raise TypeError(f"from_t5x_gin: expected gin text (str) or a dict of bindings, got {what}")
    macros = {k: v for k, v in bindings.items() if _MACRO.fullmatch(k)}
    chosen: dict[str, tuple[int, str, Any]] = {}  # param -> (scope rank, binding name, value)
    other_scopes: set[str] = set()
    for key, value in bindings.items():
        match = _BINDING.fullmatch(key)
        if match is None:
            continue
        selector, param, binding_scope = match["selector"], match["param"], match["scope"]
        if selector not in _SELECTORS:
            raise ValueError(
                f"from_t5x_gin: `{key}` binds `{selector}`, not t5x.utils.{_FUNCTION} (selectors read: "
                f"{', '.join(_SELECTORS)})"
            )
        if param not in T5X_SCHEDULER_PARAMS:
            raise ValueError(
                f"from_t5x_gin: unknown parameter `{param}` in `{key}` ({_FUNCTION} takes "
                f"{', '.join(T5X_SCHEDULER_PARAMS)})"
            )
        rank = _scope_rank(binding_scope, scope)
        if rank is None:
            other_scopes.add(binding_scope)
            continue
        if param not in chosen or rank >= chosen[param][0]:
            chosen[param] = (rank, key, value)
    if other_scopes and scope is None:
        raise ValueError(
            f"from_t5x_gin: {_FUNCTION} is bound in scope(s) {', '.join(map(repr, sorted(other_scopes)))}; "
            "pass scope=... to read one"
        )
    if not chosen:
        raise ValueError(f"from_t5x_gin: no `{_FUNCTION}.<param>` binding found")
    kwargs = {
        param: _argument(param, _resolve(value, macros, key), key)
        for param, (_, key, value) in chosen.items()
    }
    return FactorSchedule(**kwargs)


_MARKER = re.compile(rf"{_FUNCTION}\s*[.:]")


def _is_t5x_gin(obj: Any) -> bool:
    """Gin text with ``create_learning_rate_scheduler`` bindings, or a dict of such binding names."""
    if isinstance(obj, str):
        return _MARKER.search(obj) is not None
    if isinstance(obj, Mapping) and "family" not in obj:
        return any(isinstance(k, str) and _BINDING.fullmatch(k) for k in obj)
    return False


register_importer(Importer("t5x_gin", _is_t5x_gin, from_t5x_gin))
