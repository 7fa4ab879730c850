"""Split markdown into size-limited chunks that each render on their own.

A cut happens at a line boundary. When it falls inside a code fence, a
``<details>`` block or a table, the chunk before it closes the construct and
the chunk after it opens it again. A fence reopens with its info string, a
details block with its summary marked "(continued)", a table with its header
rows. A fence that follows a one-line label and a blank line, such as a rule
name above the rule's diff, reopens under that label marked "(continued)".
Only constructs that start within three spaces of the left margin are
recognised, which covers what the plan renderer and the markdown helpers write.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, replace

_FENCE_OPEN = re.compile(r"^( {0,3})(`{3,}|~{3,})(.*)$")
_DETAILS_OPEN = re.compile(r"^ {0,3}<details[\s>]", re.IGNORECASE)
_DETAILS_CLOSE = re.compile(r"</details\s*>", re.IGNORECASE)
_DETAILS_LINE = re.compile(r"^ {0,3}</details\s*>", re.IGNORECASE)
_TABLE_DELIMITER = re.compile(r"^ {0,3}\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$")
# A label longer than this, or than a quarter of the chunk limit, is not
# repeated above a reopened fence.
MAX_LABEL = 200


def measure(text: str) -> int:
    """Return the length of text in UTF-16 code units.

    GitHub states its comment limit in characters without naming the unit.
    UTF-16 code units are never fewer than code points, so a body that fits by
    this measure fits by either reading.
    """
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


@dataclass(frozen=True)
class _Construct:
    kind: str  # "fence", "details" or "table"
    reopen: tuple[str, ...]
    close: tuple[str, ...]
    fence: str = ""


def split_markdown(text: str, limit: int, first_limit: int | None = None) -> list[str]:
    """Split markdown into chunks of at most ``limit`` UTF-16 code units.

    ``first_limit``, when given, applies to the first chunk instead, so the
    text can fill the room left in a comment. The first chunk is empty when
    not even the first line fits there. Text that fits is returned as one
    chunk, unchanged. Raises ``ValueError`` when a limit is too small to hold
    the lines that close and reopen the constructs open at a cut.
    """
    if first_limit is None:
        first_limit = limit
    if measure(text) <= first_limit:
        return [text]
    chunks: list[list[str]] = []
    current: list[str] = []
    current_size = 0
    stack: tuple[_Construct, ...] = ()
    reopened = 0
    # The last two lines of the text placed so far, where a fence's label is.
    placed: list[str] = []
    pending = deque(_Unit(lines) for lines in _units(text.split("\n")))
    while pending:
        unit = pending.popleft()
        chunk_limit = limit if chunks else first_limit
        if unit.after is not None:
            after = unit.after
        else:
            after = _label_fence(stack, _advance_all(stack, unit.lines), placed, limit)
        needed = _size(unit.lines) + _size(_closers(after)) - 1
        fits = current_size + needed <= chunk_limit
        if not fits and (len(current) > reopened or not chunks):
            chunks.append(current + _closers(stack) if current else [])
            current = _reopeners(stack)
            current_size = _size(current)
            reopened = len(current)
            pending.appendleft(unit)
            continue
        if not fits:
            pending.extendleft(
                reversed(_cut_long_unit(unit.lines, stack, after, chunk_limit))
            )
            continue
        current.extend(unit.lines)
        current_size += _size(unit.lines)
        placed = (placed + unit.lines)[-2:]
        stack = after
    chunks.append(current)
    return ["\n".join(chunk) for chunk in chunks]


@dataclass(frozen=True)
class _Unit:
    """Lines that go into one chunk, and the constructs open after them.

    ``after`` is fixed for the pieces of a cut line, which the parser must not
    read as lines of their own.
    """

    lines: list[str]
    after: tuple[_Construct, ...] | None = None


def _units(lines: list[str]) -> list[list[str]]:
    """Group lines that must stay together: a table header and its delimiter."""
    units: list[list[str]] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        following = lines[index + 1] if index + 1 < len(lines) else None
        if following is not None and _starts_table(line, following):
            units.append([line, following])
            index += 2
        else:
            units.append([line])
            index += 1
    return units


def _starts_table(line: str, following: str) -> bool:
    return "|" in line and bool(_TABLE_DELIMITER.match(following))


def _advance_all(
    stack: tuple[_Construct, ...], unit: list[str]
) -> tuple[_Construct, ...]:
    if len(unit) == 2 and not (stack and stack[-1].kind == "fence"):
        table = _Construct("table", reopen=tuple(unit), close=())
        return (*_end_table(stack), table)
    for line in unit:
        stack = _advance(stack, line)
    return stack


def _advance(stack: tuple[_Construct, ...], line: str) -> tuple[_Construct, ...]:
    """Return the constructs open after ``line``, given those open before it."""
    top = stack[-1] if stack else None
    if top is not None and top.kind == "fence":
        return stack[:-1] if _closes_fence(top, line) else stack
    if top is not None and top.kind == "table" and _ends_table(line):
        stack = stack[:-1]
    fence = _FENCE_OPEN.match(line)
    if fence and not (fence.group(2)[0] == "`" and "`" in fence.group(3)):
        indent, marker = fence.group(1), fence.group(2)
        return (*stack, _Construct("fence", (line,), (indent + marker,), marker))
    opens = len(_DETAILS_OPEN.findall(line))
    closes = len(_DETAILS_CLOSE.findall(line))
    if opens > closes:
        return (
            *stack,
            _Construct("details", (_continued(line), ""), ("", "</details>")),
        )
    if closes > opens and stack and stack[-1].kind == "details":
        return stack[:-1]
    return stack


def _label_fence(
    before: tuple[_Construct, ...],
    after: tuple[_Construct, ...],
    placed: list[str],
    limit: int,
) -> tuple[_Construct, ...]:
    """Add the label above a fence that opens here to the lines that reopen it.

    The label is the line before a blank line that directly precedes the fence.
    """
    if not after or after[-1].kind != "fence":
        return after
    if before and before[-1] is after[-1]:
        return after
    if len(placed) < 2 or placed[-1] != "":
        return after
    label = placed[-2]
    if not _is_label(label) or measure(label) > min(MAX_LABEL, limit // 4):
        return after
    fence = after[-1]
    labelled = replace(fence, reopen=(f"(continued) {label}", "", *fence.reopen))
    return (*after[:-1], labelled)


def _is_label(line: str) -> bool:
    stripped = line.strip()
    if not stripped or line.startswith(" " * 4):
        return False
    if stripped.startswith(("|", "<")):
        return False
    return not any(
        pattern.match(line) for pattern in (_FENCE_OPEN, _DETAILS_OPEN, _DETAILS_LINE)
    )


def _closes_fence(fence: _Construct, line: str) -> bool:
    stripped = line.strip()
    if len(line) - len(line.lstrip(" ")) > 3 or not stripped:
        return False
    return set(stripped) == {fence.fence[0]} and len(stripped) >= len(fence.fence)


def _ends_table(line: str) -> bool:
    if not line.strip():
        return True
    return any(
        pattern.match(line) for pattern in (_FENCE_OPEN, _DETAILS_OPEN, _DETAILS_LINE)
    )


def _end_table(stack: tuple[_Construct, ...]) -> tuple[_Construct, ...]:
    return stack[:-1] if stack and stack[-1].kind == "table" else stack


def _continued(opening: str) -> str:
    head, found, tail = opening.rpartition("</summary>")
    if not found or head.endswith(" (continued)"):
        return opening
    return f"{head} (continued)</summary>{tail}"


def _closers(stack: tuple[_Construct, ...]) -> list[str]:
    return [line for construct in reversed(stack) for line in construct.close]


def _reopeners(stack: tuple[_Construct, ...]) -> list[str]:
    return [line for construct in stack for line in construct.reopen]


def _size(lines: list[str]) -> int:
    """Return the size of lines joined with newlines, plus one for a join after."""
    return sum(measure(line) + 1 for line in lines)


def _cut_long_unit(
    lines: list[str],
    before: tuple[_Construct, ...],
    after: tuple[_Construct, ...],
    limit: int,
) -> list[_Unit]:
    """Break lines too long for a chunk of their own into one-line pieces.

    NOTE: a line is cut only when it alone is longer than a whole chunk. The
    extra line break shows as a space in prose and a line break in code, but a
    table row cut this way renders as two rows.
    """
    closing = max(_size(_closers(before)), _size(_closers(after)))
    room = limit - _size(_reopeners(before)) - closing
    if room < 16:
        raise ValueError("the comment limit is too small to hold the reopened blocks")
    pieces: list[str] = []
    for line in lines:
        while measure(line) > room:
            cut = _cut_position(line, room)
            pieces.append(line[:cut])
            line = line[cut:]
        pieces.append(line)
    units = [_Unit([piece], before) for piece in pieces]
    units[-1] = _Unit([pieces[-1]], after)
    return units


def _cut_position(line: str, room: int) -> int:
    """Return an index to cut ``line`` at, with the head under ``room`` units.

    The cut prefers the last space and never splits a character reference or a
    backslash escape.
    """
    end = room // 2 if measure(line[:room]) > room else room
    space = line.rfind(" ", end // 2, end)
    cut = space + 1 if space > 0 else end
    entity_start = line.rfind("&", max(0, cut - 10), cut)
    if entity_start >= 0 and ";" not in line[entity_start:cut]:
        cut = entity_start if entity_start > 0 else cut
    while cut > 1 and line[cut - 1] == "\\":
        cut -= 1
    return max(cut, 1)
