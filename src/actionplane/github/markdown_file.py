"""Turn a pre-rendered markdown plan into comment content.

The file is trusted markdown, used as it is. Its structure decides the
layout: a first-line ``# Title`` becomes the title, the text before the first
``## `` heading is the summary, and every ``## Heading`` starts a folded
section that runs to the next one. Headings inside code fences do not count.
"""

from __future__ import annotations

import re

from actionplane.github.content import CommentContent, Section

DEFAULT_TITLE = "ActionPlane plan"

_TITLE = re.compile(r"^# +(.+?)(?: +#+)? *$")
_SECTION = re.compile(r"^## +(.+?)(?: +#+)? *$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def content_from_markdown(text: str, workspace: str) -> CommentContent:
    """Split markdown into title, summary and sections at its headings."""
    lines = text.replace("\r\n", "\n").split("\n")
    title = DEFAULT_TITLE
    first = next((index for index, line in enumerate(lines) if line.strip()), None)
    if first is not None and (match := _TITLE.match(lines[first])):
        title = match.group(1)
        lines = lines[first + 1 :]

    summary: list[str] = []
    sections: list[tuple[str, list[str]]] = []
    for line, heading in _headings(lines):
        if heading is not None:
            sections.append((heading, []))
        elif sections:
            sections[-1][1].append(line)
        else:
            summary.append(line)
    return CommentContent(
        workspace=workspace,
        title=title,
        summary="\n".join(summary).strip("\n"),
        sections=[
            Section(name, "\n".join(body).strip("\n")) for name, body in sections
        ],
        footer="",
    )


def _headings(lines: list[str]) -> list[tuple[str, str | None]]:
    """Pair each line with its section heading text, or None for other lines."""
    fence = ""
    paired: list[tuple[str, str | None]] = []
    for line in lines:
        if fence:
            if _closes_fence(line, fence):
                fence = ""
            paired.append((line, None))
            continue
        opening = _FENCE.match(line)
        if opening:
            fence = opening.group(1)
            paired.append((line, None))
            continue
        heading = _SECTION.match(line)
        paired.append((line, heading.group(1) if heading else None))
    return paired


def _closes_fence(line: str, fence: str) -> bool:
    stripped = line.strip()
    return set(stripped) == {fence[0]} and len(stripped) >= len(fence)
