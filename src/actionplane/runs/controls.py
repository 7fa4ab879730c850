"""Reject control and bidirectional formatting characters in what a run shows.

Approvers read requested values, reasons and ids in the preview and the
evidence. A right-to-left override (U+202E) or another bidirectional control
makes text display in a different order than it is stored, and C0 and C1
controls (NUL, escape and the like) can hide or rewrite what a terminal shows.
So none of them may appear in a request, with one exception: tab and newline
are allowed in multi-line text, such as a textarea field or the reason.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from typing import Any

# The bidirectional formatting characters: the marks ALM, LRM and RLM, the
# embeddings and overrides LRE, RLE, PDF, LRO and RLO, and the isolates LRI,
# RLI, FSI and PDI.
BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
MULTILINE_ALLOWED = frozenset("\t\n")


def is_rejected(char: str, *, multiline: bool) -> bool:
    """Tell whether ``char`` may not appear in a request's text."""
    if multiline and char in MULTILINE_ALLOWED:
        return False
    return char in BIDI_CONTROLS or unicodedata.category(char) == "Cc"


def code_point(char: str) -> str:
    """Name a character for a message, e.g. "U+202E (RIGHT-TO-LEFT OVERRIDE)"."""
    name = unicodedata.name(char, None)
    label = name if name is not None else "a control character"
    return f"U+{ord(char):04X} ({label})"


def text_problem(label: str, value: Any, *, multiline: bool) -> str | None:
    """Return why ``value`` (text, or a list or object of texts) is rejected, or None.

    ``label`` names the value in the message, e.g. "the value of Next_Step".
    """
    found: dict[str, None] = {}
    for text in _texts(value):
        for char in text:
            if is_rejected(char, multiline=multiline):
                found[char] = None
    if not found:
        return None
    listed = ", ".join(code_point(char) for char in found)
    allowed = (
        " Tab and newline are allowed in it."
        if multiline
        else " It is single-line text, so tab and newline are not allowed either."
    )
    return (
        f"{label} contains {listed}. Control and bidirectional formatting"
        " characters can make the preview read differently from what is written,"
        f" so they are rejected.{allowed} Remove them"
    )


def _texts(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _texts(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _texts(item)


# People, services, agents and groups are named in plain ASCII so that two
# names that look alike on screen ("dana.lee" and "dana.lee " or a copy with a
# zero-width joiner) can never be two different identities.
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+:/-]{0,127}")


def name_problem(value: str) -> str | None:
    """Return why `value` cannot name an actor or group, or None when it can."""
    if _NAME.fullmatch(value):
        return None
    odd = next(
        (
            char
            for char in value
            if not (char.isascii() and (char.isalnum() or char in "._@+:/-"))
        ),
        None,
    )
    where = f"it contains {code_point(char)}" if (char := odd) is not None else ""
    if not where:
        where = "it must start with a letter or digit and be at most 128 characters"
    return (
        f"{value!r} is not a valid name: {where}. Use letters, digits and"
        " . _ @ + : / - only, as the name appears in the workspace's groups."
    )
