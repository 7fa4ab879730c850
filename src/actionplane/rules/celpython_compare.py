"""Spec-conformant equality, ordering and `in` for cel-python 0.5.0.

cel-python 0.5.0 compares numbers only within one type: `150000 > 100000.0`,
`1 == 1.0` and `x in [1.0]` with an int `x` are errors, and the outcome depends
on operand order. It also treats `true == 1` as true and `"a" == 1` as an error.
The CEL specification compares int, uint and double by numeric value, and makes
`==` between values of different kinds false. These functions replace the
interpreter's `_==_`, `_!=_`, `_<_`, `_<=_`, `_>_`, `_>=_` and `_in_` so rules
mean on cel-python what they mean on cel-expr-python.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from celpy import celtypes, evaluation

_NUMBER_TYPES = (celtypes.IntType, celtypes.UintType, celtypes.DoubleType)


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, celtypes.BoolType):
        return "bool"
    if isinstance(value, _NUMBER_TYPES):
        return "number"
    if isinstance(value, celtypes.ListType):
        return "list"
    if isinstance(value, celtypes.MapType):
        return "map"
    return type(value).__name__


def _plain_number(value: Any) -> int | float:
    if isinstance(value, celtypes.DoubleType):
        return float(value)
    return int(value)


def cel_equals(left: Any, right: Any) -> bool:
    """Compare two CEL values the way the specification's `==` does."""
    left_kind = _kind(left)
    if left_kind != _kind(right):
        return False
    if left_kind == "number":
        # Python compares int with float exactly, without rounding the int.
        return _plain_number(left) == _plain_number(right)
    if left_kind == "list":
        return len(left) == len(right) and all(
            cel_equals(a, b) for a, b in zip(left, right, strict=True)
        )
    if left_kind == "map":
        return left.keys() == right.keys() and all(
            cel_equals(value, right[key]) for key, value in left.items()
        )
    return bool(left == right)


def _equals(left: Any, right: Any) -> Any:
    if isinstance(left, evaluation.CELEvalError):
        return left
    if isinstance(right, evaluation.CELEvalError):
        return right
    return celtypes.BoolType(cel_equals(left, right))


def _not_equals(left: Any, right: Any) -> Any:
    result = _equals(left, right)
    if isinstance(result, celtypes.BoolType):
        return celtypes.BoolType(not result)
    return result


def _ordering(
    compare: Callable[[Any, Any], bool], original: Callable[[Any, Any], Any]
) -> Callable[[Any, Any], Any]:
    def ordered(left: Any, right: Any) -> Any:
        if (
            isinstance(left, _NUMBER_TYPES)
            and isinstance(right, _NUMBER_TYPES)
            and type(left) is not type(right)
        ):
            return celtypes.BoolType(compare(_plain_number(left), _plain_number(right)))
        return original(left, right)

    return ordered


def _contains(item: Any, container: Any) -> Any:
    if isinstance(item, evaluation.CELEvalError):
        return item
    if isinstance(container, celtypes.ListType):
        return celtypes.BoolType(any(cel_equals(item, each) for each in container))
    return evaluation.operator_in(item, container)


def conformant_functions() -> dict[str, Callable[..., Any]]:
    """Return the operator overrides to pass to `Environment.program`."""
    return {
        "_==_": _equals,
        "_!=_": _not_equals,
        "_<_": _ordering(operator.lt, evaluation.bool_lt),
        "_<=_": _ordering(operator.le, evaluation.bool_le),
        "_>_": _ordering(operator.gt, evaluation.bool_gt),
        "_>=_": _ordering(operator.ge, evaluation.bool_ge),
        "_in_": _contains,
    }
