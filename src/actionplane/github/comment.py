"""Lay out a plan comment and split it into bodies GitHub accepts.

Each body starts with a hidden marker line that names the workspace and the
part, so a later run finds and edits the same comments instead of adding new
ones. Part 1 contains the title and the whole summary; folded sections fill the
remaining room and continue in further parts; the footer ends the last part.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

from actionplane.errors import ActionPlaneError
from actionplane.github.content import CommentContent, Section
from actionplane.github.markdown import code_span, details, escape_text
from actionplane.github.split import measure, split_markdown

# GitHub rejects an issue comment body over 65,536 characters with 422
# "Body is too long". The default leaves a margin below it.
GITHUB_COMMENT_LIMIT = 65_536
DEFAULT_MAX_CHARS = 60_000
DEFAULT_MAX_PARTS = 10
# A long section starts in the current part only when this much room is left,
# so a part does not end with a nearly empty folded block.
_MIN_FIRST_PIECE = 2_000

_MARKER = re.compile(
    r"<!-- actionplane:plan workspace=(\S+)(?: part=([1-9][0-9]*))? -->"
)


class CommentTooLargeError(ActionPlaneError):
    """The part of a comment that must not be split is over the size limit."""


@dataclass(frozen=True)
class MarkerInfo:
    """The workspace token and part number read from a comment's marker line."""

    workspace_token: str
    part: int


def workspace_token(workspace: str) -> str:
    """Percent-encode a workspace name so it cannot end the HTML comment."""
    if not workspace:
        raise ValueError("the workspace name of a plan comment is empty")
    return quote(workspace, safe="")


def marker(workspace: str, part: int = 1) -> str:
    """Return the hidden first line of a plan comment body.

    Part 1 reads ``<!-- actionplane:plan workspace=NAME -->``; later parts add
    ``part=N`` before the closing ``-->``.
    """
    suffix = "" if part == 1 else f" part={part}"
    return f"<!-- actionplane:plan workspace={workspace_token(workspace)}{suffix} -->"


def read_marker(body: str) -> MarkerInfo | None:
    """Read the marker from the first line of a body, or return None.

    Only a marker that is the whole first line counts, so a comment that
    quotes a marker further down is never taken for a plan comment.
    """
    first_line = body.split("\n", 1)[0].rstrip("\r")
    match = _MARKER.fullmatch(first_line)
    if match is None:
        return None
    return MarkerInfo(match.group(1), int(match.group(2) or 1))


def render_single(content: CommentContent) -> str:
    """Render the whole comment as one body, with no size limit."""
    pieces = [_fold(section) for section in content.sections]
    return _compose(content, 1, 1, pieces, [content.footer])


def render_comments(
    content: CommentContent,
    *,
    max_chars: int = DEFAULT_MAX_CHARS,
    max_parts: int = DEFAULT_MAX_PARTS,
    artifact: str | None = None,
) -> list[str]:
    """Render the comment as bodies of at most ``max_chars`` each.

    Sizes are UTF-16 code units (see ``measure``). When folded sections do not
    fit in ``max_parts`` bodies, the last body ends with the number of section
    parts left out and a pointer to ``artifact`` (a URL or a path). Raises
    ``CommentTooLargeError`` when the title, summary and footer alone do not
    fit in one body.
    """
    if not 0 < max_chars <= GITHUB_COMMENT_LIMIT:
        raise ValueError(f"max_chars must be 1 to {GITHUB_COMMENT_LIMIT}")
    if max_parts < 1:
        raise ValueError("max_parts must be at least 1")
    single = render_single(content)
    if measure(single) <= max_chars:
        return [single]

    parts, omitted = _pack(content, max_chars, max_parts, artifact)
    total = len(parts)
    tail = [content.footer]
    if omitted:
        tail.insert(0, _pointer(omitted, max_parts, artifact))
    bodies = [
        _compose(content, index, total, pieces, tail if index == total else [])
        for index, pieces in enumerate(parts, start=1)
    ]
    _check_sizes(bodies, max_chars)
    return bodies


def _pack(
    content: CommentContent, max_chars: int, max_parts: int, artifact: str | None
) -> tuple[list[list[str]], int]:
    """Fill parts with folded sections; return the parts and the pieces left out."""
    heading = measure(_heading(content, max_parts, max_parts)) + 2
    reserve = measure(content.footer) + measure(_pointer(10**6, max_parts, artifact))
    reserve += 4
    first_room = max_chars - heading - reserve - measure(content.summary)
    first_room -= measure(_continuation_note(max_parts)) + 4
    room = max_chars - heading - reserve
    if first_room < 0:
        raise _too_large(content, max_chars)

    parts: list[list[str]] = [[]]
    free = first_room
    for section in content.sections:
        first, *rest = split_markdown(
            _fold(section), room - 2, _first_room(section, free, room)
        )
        if first:
            parts[-1].append(first)
            free -= measure(first) + 2
        for piece in rest:
            parts.append([piece])
            free = room - measure(piece) - 2
    omitted = sum(len(part) for part in parts[max_parts:])
    return parts[:max_parts], omitted


def _first_room(section: Section, free: int, room: int) -> int:
    """Return the room for the first piece of a section in the current part.

    A section that fits in a part of its own moves there whole when it does not
    fit the current part. A longer one starts in the current part when enough
    room is left there for a useful first piece.
    """
    size = measure(_fold(section)) + 2
    if size <= free or (size > room and free >= _MIN_FIRST_PIECE):
        return free - 2
    return 0


def _fold(section: Section) -> str:
    return details(section.title, section.body, open=section.open)


def _compose(
    content: CommentContent, part: int, total: int, pieces: list[str], tail: list[str]
) -> str:
    blocks = [_heading(content, part, total)]
    if part == 1:
        blocks.append(content.summary.strip("\n"))
        if total > 1:
            blocks.append(_continuation_note(total))
    blocks.extend(pieces)
    blocks.extend(block.strip("\n") for block in tail)
    return "\n\n".join(block for block in blocks if block)


def _heading(content: CommentContent, part: int, total: int) -> str:
    suffix = f" (part {part} of {total})" if total > 1 else ""
    return f"{marker(content.workspace, part)}\n## {escape_text(content.title)}{suffix}"


def _continuation_note(total: int) -> str:
    remaining = total - 1
    noun = "comment" if remaining == 1 else "comments"
    return f"_The details continue in the next {remaining} {noun}._"


def _pointer(omitted: int, max_parts: int, artifact: str | None) -> str:
    noun = "section part" if omitted == 1 else "section parts"
    text = f"**{omitted} more {noun} did not fit in {max_parts} comments.**"
    if artifact:
        return f"{text} The full plan is at {_artifact_link(artifact)}."
    return f"{text} Run `actionplane plan` to see the full plan."


def _artifact_link(artifact: str) -> str:
    if re.match(r"https?://", artifact):
        destination = quote(artifact, safe="/:?#[]@!$&'*+,;=%~")
        return f"[{escape_text(artifact)}]({destination})"
    return code_span(artifact)


def _too_large(content: CommentContent, max_chars: int) -> CommentTooLargeError:
    return CommentTooLargeError(
        f"The plan comment for workspace {content.workspace!r} has a summary of "
        f"{measure(content.summary)} characters, which with the title and footer "
        f"does not fit in one comment of {max_chars} characters. Shorten the "
        "summary: move long lists into sections, which are folded and split "
        "across comments."
    )


def _check_sizes(bodies: list[str], max_chars: int) -> None:
    for index, body in enumerate(bodies, start=1):
        if measure(body) > max_chars:
            raise AssertionError(
                f"comment part {index} is {measure(body)} characters, "
                f"over the limit of {max_chars}"
            )
