"""The content of a plan comment, before it is laid out and split."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Section:
    """One folded part of the comment.

    ``title`` is plain text, escaped when the comment is rendered (a
    ``Markdown`` value is used as it is). ``body`` is markdown built with the
    helpers in ``actionplane.github.markdown``. ``open`` shows it unfolded.
    """

    title: str
    body: str
    open: bool = False


@dataclass(frozen=True)
class CommentContent:
    """The text of a plan comment, in reading order.

    ``workspace`` names the sticky comment: one comment thread per workspace
    and pull request. ``title`` is plain text. ``summary`` is markdown that is
    never cut or folded. ``sections`` are folded in ``<details>`` blocks and
    may be split across comments. ``footer`` is markdown with the exact next
    command, placed at the end of the last comment.
    """

    workspace: str
    title: str
    summary: str
    sections: list[Section]
    footer: str
