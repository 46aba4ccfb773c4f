"""Did-you-mean suggestions for misspelled names in specs and configs."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = ["did_you_mean"]


def did_you_mean(word: object, candidates: Iterable[str]) -> str:
    """``"; did you mean `x`?"`` for the candidates closest to ``word`` (a case-insensitive match first),
    or ``""`` when none is close (or ``word`` is not a string)."""
    if not isinstance(word, str):
        return ""
    candidates = list(candidates)
    folded = [c for c in candidates if c.casefold() == word.casefold()]
    matches = folded or difflib.get_close_matches(word, candidates, n=3, cutoff=0.6)
    return "; did you mean " + " or ".join(f"`{m}`" for m in matches) + "?" if matches else ""
