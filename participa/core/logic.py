"""Predicates written once, evaluated two ways.

A rule that must hold the same in Python (a page, a unit test) and in SQL (a pass over a million
rows at close) is written once as a function of its facts and of an :class:`Ops`: given
:data:`PYTHON` and plain values it answers ``True`` or ``False``; given the SQL operations of
:func:`participa.core.db.sql_ops` and columns it builds the SQL expression that the database
evaluates row by row. Nothing is a second copy that could drift.

Only the operations below are allowed inside a rule (no ``and``/``or``/``not``, no ``if``, no
``<`` on values that may be missing): Python's own would not turn into SQL. Comparisons with a
missing value (``None`` / NULL) are false in Python; in SQL they are NULL, which the callers
treat as false (:meth:`Ops.holds`). The two agree as long as a rule never negates a comparison
that may involve a missing value; the rules that use this module are written so, and a parity
test holds them to it on both databases.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Ops:
    """The operations a rule may use."""

    all_of: Callable[..., Any]
    any_of: Callable[..., Any]
    negate: Callable[[Any], Any]
    equal: Callable[[Any, Any], Any]
    less: Callable[[Any, Any], Any]
    at_most: Callable[[Any, Any], Any]
    missing: Callable[[Any], Any]
    present: Callable[[Any], Any]
    # The final yes/no of a rule: NULL (a comparison with a missing value) counts as no.
    holds: Callable[[Any], Any]


def _both(compare: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    return lambda a, b: a is not None and b is not None and compare(a, b)


PYTHON = Ops(
    all_of=lambda *terms: all(terms),
    any_of=lambda *terms: any(terms),
    negate=operator.not_,
    equal=_both(operator.eq),
    less=_both(operator.lt),
    at_most=_both(operator.le),
    missing=lambda value: value is None,
    present=lambda value: value is not None,
    holds=bool,
)
