"""Map positions inside a rule's CEL source to its policy file, and show them.

The loader records where the CEL source starts (`Rule.when_line` and
`Rule.when_column`) and whether it is a block scalar. In a literal block
scalar (`when: |`) CEL line L is file line `when_line + L - 1` and keeps its
columns, shifted by the block's indentation. Other scalars (plain, quoted or
folded) can join several file lines into one CEL line and use escapes, so
their positions are found by walking the file text alongside the CEL source.
"""

from __future__ import annotations

from pathlib import Path

from actionplane.config.model import Rule


def read_lines(root: Path | None, relative_path: str) -> list[str] | None:
    """Return the lines of a workspace file, or None when it cannot be read."""
    path = Path(relative_path) if root is None else root / relative_path
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None


def file_position(
    rule: Rule, line: int, column: int, file_lines: list[str] | None = None
) -> tuple[int, int]:
    """Return the policy file line and column of CEL position (line, column).

    Return (0, 0) when the loader recorded no position for the rule.
    """
    if not rule.when_line:
        return 0, 0
    if rule.when_block and _block_line_matches(rule, line, file_lines):
        return rule.when_line + line - 1, rule.when_column + column - 1
    if file_lines is not None:
        walked = _walk(rule, _offset(rule.when, line, column), file_lines)
        if walked is not None:
            return walked
    if line == 1:
        return rule.when_line, rule.when_column + column - 1
    return rule.when_line, rule.when_column


def _block_line_matches(rule: Rule, line: int, file_lines: list[str] | None) -> bool:
    """Return whether CEL line `line` is where a literal block scalar puts it.

    A folded block (`>`) joins lines, so the check fails and the walk is used.
    Without the file text the literal-block mapping is the best estimate.
    """
    if file_lines is None:
        return True
    cel_lines = rule.when.split("\n")
    if line > len(cel_lines):
        return False
    index = rule.when_line + line - 2
    if index >= len(file_lines):
        return False
    text = cel_lines[line - 1]
    return file_lines[index][rule.when_column - 1 :].rstrip() == text.rstrip()


def _offset(source: str, line: int, column: int) -> int:
    lines = source.split("\n")
    before = sum(len(text) + 1 for text in lines[: max(line - 1, 0)])
    return min(before + max(column - 1, 0), len(source))


def _walk(rule: Rule, target: int, file_lines: list[str]) -> tuple[int, int] | None:
    """Align the CEL source with the file text from the scalar's first character.

    File characters that a YAML scalar drops or merges (line breaks and
    indentation, the backslash of an escape, the doubled quote of `''`) are
    skipped. Return None when the texts stop matching before the target.
    """
    row, col = rule.when_line - 1, rule.when_column - 1
    for index, char in enumerate(rule.when):
        found = _advance_to(file_lines, row, col, char)
        if found is None:
            return None
        row, col = found
        if index == target:
            return row + 1, col + 1
        col += 2 if file_lines[row][col : col + 2] == "''" and char == "'" else 1
    return row + 1, col + 1


def _advance_to(
    file_lines: list[str], row: int, col: int, char: str
) -> tuple[int, int] | None:
    """Find `char` at or after (row, col), skipping only whitespace and escapes."""
    while row < len(file_lines):
        text = file_lines[row]
        if col >= len(text):
            if char == "\n" and row + 1 < len(file_lines):
                return row, col
            row, col = row + 1, 0
            continue
        if text[col] == char:
            return row, col
        if text[col] in " \t" or (text[col] == "\\" and char != "\\"):
            col += 1
            continue
        if char in " \n":
            return row, col
        return None
    return None


def excerpt(source: str, line: int, column: int) -> str:
    """Return the CEL source line with a caret under `column`."""
    lines = source.split("\n")
    if not 1 <= line <= len(lines):
        return ""
    text = lines[line - 1]
    gutter = f"{line:>4} | "
    caret = " " * (len(gutter) + max(column - 1, 0)) + "^"
    return f"{gutter}{text}\n{caret}"
