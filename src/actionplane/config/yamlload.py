"""Strict, located YAML loading for workspace files.

PyYAML composes the node tree, with libyaml when PyYAML has it. This module
builds plain Python values from it with YAML 1.2 core-schema rules instead of
PyYAML's YAML 1.1 ones, and records where every value came from. The readings that differ from YAML 1.1:

- `yes`, `no`, `on`, `off`, `y` and `n` stay strings. A schema that wants a
  boolean then reports them with the fix (`true` or `false`).
- Unquoted dates and times such as `2025-06-30` stay strings, exactly as written.
- Integers with leading zeros (`007`) are rejected: YAML 1.1 reads them as octal
  and YAML 1.2 as decimal, so the author has to say which by quoting or trimming.
- Merge keys (`<<`) are rejected: YAML 1.2 has none.

Duplicate keys, tabs, unknown tags, several documents in one file, oversized
files and alias expansion beyond a small budget are errors with a location.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from actionplane.diagnostics import Diagnostic, Location, error

MAX_FILE_BYTES = 1024 * 1024
MAX_NODES = 100_000
MAX_ALIAS_EXPANSIONS = 1_000

KeyPath = tuple[str | int, ...]

_NULL = {"", "~", "null", "Null", "NULL"}
_TRUE = {"true", "True", "TRUE"}
_FALSE = {"false", "False", "FALSE"}
YAML11_BOOLEANS = {"yes", "no", "on", "off", "y", "n"}
_INT = re.compile(r"[-+]?[0-9]+")
_INT_OCT = re.compile(r"0o[0-7]+")
_INT_HEX = re.compile(r"0x[0-9a-fA-F]+")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_LEADING_ZERO = re.compile(r"[-+]?0[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?")
_INF = {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"}
_NEG_INF = {"-.inf", "-.Inf", "-.INF"}
_NAN = {".nan", ".NaN", ".NAN"}

_CORE_TAG_PREFIX = "tag:yaml.org,2002:"
_ALLOWED_TAGS = {
    _CORE_TAG_PREFIX + name
    for name in ("str", "int", "float", "bool", "null", "map", "seq")
}


_PLAIN_TAG = "tag:actionplane,2026:plain"


class _StrictLoader(yaml.SafeLoader):
    """A loader that tags every plain scalar as plain, so no YAML 1.1 typing runs.

    The builder then types plain scalars by the YAML 1.2 core schema, while
    quoted scalars and explicit `!!str` keep PyYAML's string tag.
    """

    yaml_implicit_resolvers: dict[Any, list[tuple[str, re.Pattern[str]]]] = {
        None: [(_PLAIN_TAG, re.compile(r".*", re.DOTALL))]
    }


# libyaml's composer, when PyYAML was built with it, with the same resolver.
_FastStrictLoader: type[Any] | None = None
if getattr(yaml, "__with_libyaml__", False):

    class _CStrictLoader(yaml.CSafeLoader):
        yaml_implicit_resolvers = _StrictLoader.yaml_implicit_resolvers

    _FastStrictLoader = _CStrictLoader


class YamlLoadError(Exception):
    """Raised inside the builder; carries one located diagnostic."""

    def __init__(self, diagnostic: Diagnostic):
        super().__init__(diagnostic.summary)
        self.diagnostic = diagnostic


@dataclass(frozen=True)
class Span:
    """Where a value, and the key that names it, sit in the file."""

    value: Location
    key: Location | None = None
    style: str | None = None  # scalar style: None (plain), "'", '"', "|" or ">"


@dataclass
class YamlDocument:
    path: str
    data: Any
    spans: dict[KeyPath, Span] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)
    # Errors that did not stop loading, such as a duplicate key (the first entry
    # is kept) or a number with leading zeros (kept as the text written).
    problems: list[Diagnostic] = field(default_factory=list)

    def span(self, key_path: KeyPath) -> Span | None:
        """Return the span of `key_path`, or of its nearest ancestor that has one."""
        path = tuple(key_path)
        while path:
            if path in self.spans:
                return self.spans[path]
            path = path[:-1]
        return self.spans.get(())

    def location(self, key_path: KeyPath, *, key: bool = False) -> Location:
        span = self.span(key_path)
        if span is None:
            return Location(self.path)
        if key and span.key is not None and tuple(key_path) in self.spans:
            return span.key
        return span.value


def format_key_path(key_path: KeyPath) -> str:
    out = ""
    for part in key_path:
        out += (
            f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
        )
    return out


def load_yaml_file(
    path: Path, display_path: str
) -> tuple[YamlDocument | None, Diagnostic | None]:
    """Load one YAML file; return the document or the diagnostic that stopped it."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return None, error(
                "yaml.too-large",
                f"file is {size:,} bytes, above the {MAX_FILE_BYTES:,}-byte limit",
                "Workspace files are small by design; split policies into several files.",
                location=Location(display_path),
            )
        raw = path.read_bytes()
    except OSError as exc:
        return None, error(
            "yaml.unreadable",
            f"cannot read file: {exc.strerror or exc}",
            "Check that the file exists and is readable.",
            location=Location(display_path),
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, error(
            "yaml.encoding",
            f"file is not valid UTF-8 (byte {exc.start})",
            "Save the file as UTF-8.",
            location=Location(display_path),
        )
    return load_yaml_text(text, display_path)


def load_yaml_text(
    text: str, display_path: str
) -> tuple[YamlDocument | None, Diagnostic | None]:
    try:
        root = _compose_single(text, display_path)
    except YamlLoadError as exc:
        return None, exc.diagnostic
    except yaml.MarkedYAMLError as exc:
        return None, _syntax_diagnostic(exc, display_path)
    except yaml.YAMLError as exc:
        return None, error(
            "yaml.syntax",
            f"invalid YAML: {exc}",
            "Fix the YAML syntax.",
            location=Location(display_path),
        )
    document = YamlDocument(path=display_path, data=None, lines=text.splitlines())
    if root is None:
        return document, None
    builder = _Builder(document)
    try:
        document.data = builder.build(root, ())
    except YamlLoadError as exc:
        return None, exc.diagnostic
    return document, None


def _compose_single(text: str, display_path: str) -> yaml.Node | None:
    # libyaml composes about six times faster than PyYAML's pure-Python composer,
    # which dominates `check` on large workspaces (benchmarks/bench_check.py). Any
    # document libyaml rejects is composed again in pure Python, so every error
    # message and position comes from one composer.
    # NOTE: libyaml also accepts a few documents the pure-Python composer rejects,
    # such as a tab after a value or `Why?` inside a flow mapping. Both are valid
    # YAML 1.2, so such a file loads on machines with libyaml and fails without it.
    if _FastStrictLoader is not None:
        fast = _FastStrictLoader(text)
        try:
            node: yaml.Node | None = fast.get_single_node()
        except yaml.YAMLError:
            pass
        else:
            return node
        finally:
            fast.dispose()
    return compose_pure(text, display_path)


def compose_pure(text: str, display_path: str) -> yaml.Node | None:
    """Compose one document with PyYAML's pure-Python composer."""
    loader = _StrictLoader(text)
    try:
        node = loader.get_single_node()
    except yaml.composer.ComposerError as exc:
        if "expected a single document" in f"{exc.problem} {exc.context}":
            raise YamlLoadError(
                error(
                    "yaml.multiple-documents",
                    "file holds more than one YAML document",
                    "Keep one document per file: remove the extra `---` separator.",
                    location=_mark_location(display_path, exc.problem_mark),
                )
            ) from None
        raise
    finally:
        loader.dispose()
    return node


def _mark_location(display_path: str, mark: Any) -> Location:
    if mark is None:
        return Location(display_path)
    return Location(display_path, mark.line + 1, mark.column + 1)


def _syntax_diagnostic(exc: yaml.MarkedYAMLError, display_path: str) -> Diagnostic:
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or "invalid YAML"
    if "'\\t'" in problem or "\\t" in problem:
        return error(
            "yaml.tab",
            "tab character where YAML expects spaces",
            "YAML indentation must use spaces; replace the tab with spaces.",
            location=_mark_location(display_path, mark),
        )
    context = f" ({exc.context})" if exc.context else ""
    return error(
        "yaml.syntax",
        f"invalid YAML: {problem}{context}",
        "Fix the YAML syntax at the marked position; check indentation and quoting.",
        location=_mark_location(display_path, mark),
    )


class _Builder:
    """Build values from nodes, recording spans and enforcing the limits."""

    def __init__(self, document: YamlDocument):
        self.document = document
        self.nodes = 0
        self.expansions = 0
        self.seen_anchored: set[int] = set()
        self.stack: set[int] = set()

    def location(self, node: yaml.Node) -> Location:
        start, end = node.start_mark, node.end_mark
        return Location(
            self.document.path,
            start.line + 1,
            start.column + 1,
            end.line + 1,
            end.column + 1,
        )

    def fail(
        self, code: str, summary: str, detail: str, node: yaml.Node
    ) -> YamlLoadError:
        return YamlLoadError(error(code, summary, detail, location=self.location(node)))

    def build(
        self, node: yaml.Node, key_path: KeyPath, key_loc: Location | None = None
    ) -> Any:
        self._count(node)
        # libyaml marks plain scalars with style '' and PyYAML with None.
        style = (node.style or None) if isinstance(node, yaml.ScalarNode) else None
        self.document.spans[key_path] = Span(self.location(node), key_loc, style)
        self._check_tag(node)
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node)
        if id(node) in self.stack:
            raise self.fail(
                "yaml.recursive-alias",
                "alias refers to a node that contains it",
                "Remove the recursive anchor and alias.",
                node,
            )
        self.stack.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                return [
                    self.build(item, (*key_path, i))
                    for i, item in enumerate(node.value)
                ]
            assert isinstance(node, yaml.MappingNode)
            return self._mapping(node, key_path)
        finally:
            self.stack.discard(id(node))

    def _count(self, node: yaml.Node) -> None:
        self.nodes += 1
        if id(node) in self.seen_anchored:
            self.expansions += 1
        elif not isinstance(node, yaml.ScalarNode):
            self.seen_anchored.add(id(node))
        if self.nodes > MAX_NODES or self.expansions > MAX_ALIAS_EXPANSIONS:
            raise self.fail(
                "yaml.alias-limit",
                "aliases expand beyond the limit "
                f"({MAX_ALIAS_EXPANSIONS:,} expansions or {MAX_NODES:,} values)",
                "Write the values out instead of nesting aliases.",
                node,
            )

    def _check_tag(self, node: yaml.Node) -> None:
        tag = node.tag or ""
        if tag in _ALLOWED_TAGS or tag == _PLAIN_TAG:
            return
        raise self.fail(
            "yaml.unsupported-tag",
            f"unsupported YAML tag {tag.replace(_CORE_TAG_PREFIX, '!!')!r}",
            "Remove the tag; workspace files hold plain maps, lists and scalars.",
            node,
        )

    def _scalar(self, node: yaml.ScalarNode) -> Any:
        if node.tag == _PLAIN_TAG:
            return self._plain(node.value, node)
        if node.tag == _CORE_TAG_PREFIX + "str":
            return node.value
        # An explicit core tag such as `!!int 5` or `!!null ""`: read the text as plain
        # and require that it has the type the tag names.
        value = self._plain(node.value, node)
        expected: dict[str, type | tuple[type, ...]] = {
            "int": int,
            "float": (int, float),
            "bool": bool,
            "null": type(None),
        }
        wanted = node.tag.removeprefix(_CORE_TAG_PREFIX)
        kind = expected.get(wanted)
        if kind is None or (
            isinstance(value, kind)
            and not (wanted == "int" and isinstance(value, bool))
        ):
            return float(value) if wanted == "float" else value
        raise self.fail(
            "yaml.tag-mismatch",
            f"value {node.value!r} is not a valid !!{wanted}",
            f"Remove the tag or write a value of type {wanted}.",
            node,
        )

    def _plain(self, value: str, node: yaml.ScalarNode) -> Any:
        if value in _NULL:
            return None
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
        if _LEADING_ZERO.fullmatch(value):
            self.document.problems.append(
                self.fail(
                    "yaml.leading-zero",
                    f"number {value} has a leading zero",
                    "YAML 1.1 reads it as octal and YAML 1.2 as decimal. Quote it "
                    f"('{value}') to keep the text, or remove the leading zeros.",
                    node,
                ).diagnostic
            )
            return value
        if _INT.fullmatch(value):
            return int(value)
        if _INT_OCT.fullmatch(value):
            return int(value[2:], 8)
        if _INT_HEX.fullmatch(value):
            return int(value[2:], 16)
        if _FLOAT.fullmatch(value):
            return float(value)
        if value in _INF:
            return float("inf")
        if value in _NEG_INF:
            return float("-inf")
        if value in _NAN:
            return float("nan")
        return value

    def _mapping(self, node: yaml.MappingNode, key_path: KeyPath) -> dict[str, Any]:
        result: dict[str, Any] = {}
        first_seen: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            key = self._key(key_node)
            if key in first_seen:
                first = first_seen[key].start_mark.line + 1
                self.document.problems.append(
                    self.fail(
                        "yaml.duplicate-key",
                        f"duplicate key {key!r} (first defined on line {first})",
                        "Remove one of the two entries. Until then ActionPlane reads "
                        "the first one.",
                        key_node,
                    ).diagnostic
                )
                continue
            first_seen[key] = key_node
            result[key] = self.build(
                value_node, (*key_path, key), self.location(key_node)
            )
        return result

    def _key(self, node: yaml.Node) -> str:
        if not isinstance(node, yaml.ScalarNode):
            raise self.fail(
                "yaml.complex-key",
                "mapping key is a list or map",
                "Use a plain string as the key.",
                node,
            )
        if node.value == "<<" and node.tag == _PLAIN_TAG:
            raise self.fail(
                "yaml.merge-key",
                "merge key `<<` is not supported",
                "YAML 1.2 has no merge keys; write the keys out in this map.",
                node,
            )
        return str(node.value)
