"""Range and precision checks for requested number values.

Zoho currency, decimal and percent values travel as JSON numbers, which
ActionPlane stores as Python floats (IEEE 754 doubles). The metadata snapshot
gives each number field a ``length`` and, for non-integer types, ``decimals``.
For non-integer types ``length`` counts the digits before the decimal point, as
the embedded sandbox reads it, and for integer types the digits of the whole
number. A value beyond those limits is rejected here, before it reaches the
rules: rules read integers above 2**53 as strings, so a rule such as
``Amount.after > 100000.0`` would fail at evaluation and name no approver.
"""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation
from typing import Any

from actionplane.metadata.snapshot import NUMBER_TYPES
from actionplane.metadata.values import INTEGER_TYPES
from actionplane.rules.normalize import MAX_EXACT_INT


def number_text(value: Any) -> str:
    """Return a number as json.dumps writes it, NaN and infinities included."""
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    if isinstance(value, float) and math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return repr(value)


def non_finite_problem(name: str, value: Any, text: str | None) -> str | None:
    """Return why a value holding NaN or an infinity cannot be stored, or None.

    Run evidence is JSON, which has no NaN or infinity, so this applies to every
    field, also those that the allowlist denies.
    """
    if not _has_non_finite(value):
        return None
    written = text if text is not None else number_text(value)
    return (
        f"{name}={written} is infinite or NaN as a double; run evidence is stored as"
        " JSON, which cannot hold it"
    )


def number_problem(entry: dict[str, Any], value: Any, text: str | None) -> str | None:
    """Return why a number does not fit the field's length and decimals, or None.

    ``text`` is the number as the user wrote it, when known; it shows digits that
    a double would drop. Values of other types are left to the type checks.
    """
    data_type = entry.get("dataType")
    if data_type not in NUMBER_TYPES:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    name = str(entry.get("apiName"))
    written = text if text is not None else number_text(value)
    exact = _exact_value(value, text)
    allowed = _allowed_numbers(entry)
    if not exact.is_finite():
        return f"{name}={written} is not a finite number; {allowed}"

    length = entry.get("length")
    digits = _integer_digits(exact)
    if isinstance(length, int) and digits > length:
        return (
            f"{name}={written} is out of range: it has {digits} digits before the"
            f" decimal point; {allowed}"
        )
    if data_type in INTEGER_TYPES:
        return None

    decimals = entry.get("decimals")
    places = _decimal_places(exact)
    if isinstance(decimals, int) and places > decimals:
        return f"{name}={written} has {places} decimal places; {allowed}"
    sent = float(exact)
    if not math.isfinite(sent) or Decimal(repr(sent)) != exact:
        return (
            f"{name}={written} has more significant digits than a double keeps, so"
            f" it would be sent as {number_text(sent)}; {allowed}. Up to 15"
            " significant digits always fit"
        )
    return None


def double_safe(entry: dict[str, Any] | None, value: Any) -> Any:
    """Return a checked value in the form rules compare as a number.

    Rules read integers beyond 2**53 as strings, so such an integer requested
    for a currency, decimal or percent field becomes the float it equals. Call
    this only after ``number_problem`` passed, which makes the float exact.
    """
    if entry is None or entry.get("dataType") not in NUMBER_TYPES - INTEGER_TYPES:
        return value
    if isinstance(value, bool) or not isinstance(value, int):
        return value
    if abs(value) > MAX_EXACT_INT:
        return float(value)
    return value


def _allowed_numbers(entry: dict[str, Any]) -> str:
    name = entry.get("apiName")
    data_type = entry.get("dataType")
    length = entry.get("length")
    decimals = entry.get("decimals")
    label = f"{name} ({data_type})"
    if data_type in INTEGER_TYPES:
        if not isinstance(length, int):
            return f"{label} takes whole numbers"
        largest = "9" * length
        return (
            f"{label} takes whole numbers of at most {length} digits, from"
            f" -{largest} to {largest}"
        )
    parts = []
    if isinstance(length, int):
        parts.append(f"at most {length} digits before the decimal point")
    if isinstance(decimals, int):
        parts.append(f"at most {decimals} decimal places")
    if not parts:
        return f"{label} takes finite numbers that a double holds exactly"
    return f"{label} takes numbers with {' and '.join(parts)}"


def _exact_value(value: int | float, text: str | None) -> Decimal:
    """Return the number as written when ``text`` spells it, else the parsed value."""
    if text is not None:
        try:
            return Decimal(text.strip())
        except InvalidOperation:
            pass
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(value)


def _integer_digits(value: Decimal) -> int:
    # adjusted() is the exponent of the leading digit, so 150000.5 gives 5. It
    # avoids building the integer of a value such as 1E+999999999.
    if value == 0 or abs(value) < 1:
        return 0
    return value.adjusted() + 1


def _decimal_places(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    if not isinstance(exponent, int):  # "n", "N" or "F" for NaN and infinity
        return 0
    return max(0, -exponent)


def _has_non_finite(value: Any) -> bool:
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, dict):
        return any(_has_non_finite(item) for item in value.values())
    if isinstance(value, list):
        return any(_has_non_finite(item) for item in value)
    return False
