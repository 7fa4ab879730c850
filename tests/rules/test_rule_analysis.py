"""Static analysis of rule sources: reads, guards, literals, required fields."""

from __future__ import annotations

from typing import Any

import pytest

from actionplane.rules.analysis import analyze
from actionplane.rules.divergence import find_divergences
from actionplane.rules.literals import find_int_arithmetic
from actionplane.rules.names import undeclared_names
from actionplane.rules.tokens import tokenize

READS = [
    ("select", "request.changes.Amount.after > 1.0", [("Amount", "changes", False)]),
    ("index", 'request.changes["Amount"].after > 1.0', [("Amount", "changes", False)]),
    (
        "optional",
        "request.changes.?Amount.orValue(0) == 0",
        [("Amount", "changes", True)],
    ),
    (
        "in-guard",
        '"Amount" in request.changes && request.changes.Amount.after > 1.0',
        [("Amount", "changes", True)],
    ),
    (
        "has-guard",
        "has(request.changes.Amount) && request.changes.Amount.after > 1.0",
        [("Amount", "changes", True)],
    ),
    (
        "guard-after-read-in-conjunct",
        'request.changes.Amount.after > 1.0 && "Amount" in request.changes',
        [("Amount", "changes", True)],
    ),
    (
        "guard-after-read-in-disjunction",
        'request.changes.Amount.after > 1.0 || "Amount" in request.changes',
        [("Amount", "changes", False)],
    ),
    (
        "guard-for-other-field",
        '"Stage" in request.changes && request.changes.Amount.after > 1.0',
        [("Amount", "changes", False)],
    ),
    (
        "record",
        'record.Stage == "Won" && has(record.Owner) && record.Owner.id == "1"',
        [("Stage", "record", False), ("Owner", "record", True)],
    ),
    ("not-top-level", "foo.request.changes.Amount == 1 && x.record.Stage == 1", []),
    ("bracket-changes-not-recognised", 'request["changes"].Amount.after > 1.0', []),
]


@pytest.mark.parametrize(
    ("source", "reads"), [c[1:] for c in READS], ids=[c[0] for c in READS]
)
def test_reads(source: str, reads: list[tuple[str, str, bool]]) -> None:
    found = [(r.field, r.scope, r.guarded) for r in analyze(source).reads]
    assert found == reads


def test_read_position_is_field_name() -> None:
    [read] = analyze(
        '"A" in request.changes\n  && request.changes.Amount.after > 1.0'
    ).reads[-1:]
    assert (read.line, read.column) == (2, 22)


COMPARISONS = [
    (
        "field-first",
        "request.changes.Amount.after > 100000",
        [("Amount", "after", ">", "int", 100000)],
    ),
    (
        "literal-first",
        "100000.0 <= request.changes.Amount.before",
        [("Amount", "before", ">=", "double", 100000.0)],
    ),
    (
        "negative",
        "request.changes.Amount.after < -5",
        [("Amount", "after", "<", "int", -5)],
    ),
    (
        "string",
        'request.changes.Stage.after == "Closed Won"',
        [("Stage", "after", "==", "string", "Closed Won")],
    ),
    (
        "null",
        "request.changes.Stage.after != null",
        [("Stage", "after", "!=", "null", None)],
    ),
    (
        "bool",
        "true == request.changes.Flag.after",
        [("Flag", "after", "==", "bool", True)],
    ),
    (
        "in-list",
        'request.changes.Stage.after in ["A", "B",]',
        [
            ("Stage", "after", "in", "string", "A"),
            ("Stage", "after", "in", "string", "B"),
        ],
    ),
    (
        "record",
        'record.Type == "Customer"',
        [("Type", None, "==", "string", "Customer")],
    ),
    (
        "parenthesised",
        "(1 < request.changes.Amount.after)",
        [("Amount", "after", ">", "int", 1)],
    ),
    ("arithmetic-on-literal", "request.changes.Amount.after > 100 * 2", []),
    ("arithmetic-on-field", "2 * request.changes.Amount.after > 3", []),
    ("method-on-field", "request.changes.Stage.after.size() > 3", []),
    ("list-with-expression", 'request.changes.Stage.after in ["A", x]', []),
    ("transformed-list", 'request.changes.Stage.after in ["A"].map(v, v)', []),
    ("bare-change", "request.changes.Stage == 1", []),
]


@pytest.mark.parametrize(
    ("source", "expected"),
    [c[1:] for c in COMPARISONS],
    ids=[c[0] for c in COMPARISONS],
)
def test_comparisons(source: str, expected: list[tuple[Any, ...]]) -> None:
    found = [
        (c.field, c.part, c.operator, c.kind, c.value)
        for c in analyze(source).comparisons
    ]
    assert found == expected


def test_comparison_literal_position() -> None:
    [comparison] = analyze(
        '"S" in request.changes &&\n request.changes.S.after == "x y"'
    ).comparisons
    assert (comparison.line, comparison.column, comparison.end_column) == (2, 29, 34)
    assert comparison.text == '"x y"'


REQUIRED = [
    ("in", '"A" in request.changes', {"A"}),
    ("has", "has(request.changes.A)", {"A"}),
    (
        "conjunction",
        '"A" in request.changes && has(request.changes.B) && x > 1',
        {"A", "B"},
    ),
    ("parentheses", '(("A" in request.changes)) && (x)', {"A"}),
    ("disjunction", '"A" in request.changes || x', set()),
    ("disjunction-in-parentheses", '"A" in request.changes && (x || y)', {"A"}),
    ("conditional", '"A" in request.changes && x ? y : z', set()),
    (
        "optional-select-is-not-conditional",
        '"A" in request.changes && request.changes.?B.hasValue()',
        {"A"},
    ),
    ("negated", '!("A" in request.changes)', set()),
    ("guard-inside-call", 'f("A" in request.changes)', set()),
    ("longer-operand", '"A" in request.changes.B', set()),
    ("concatenated-key", '"A" + "B" in request.changes', set()),
    ("nested-has", "has(request.changes.A.after)", set()),
    ("unbalanced-parentheses", '("A" in request.changes) && (x', {"A"}),
]


@pytest.mark.parametrize(
    ("source", "fields"), [c[1:] for c in REQUIRED], ids=[c[0] for c in REQUIRED]
)
def test_required_fields(source: str, fields: set[str]) -> None:
    assert analyze(source).required_fields == fields


def test_int_arithmetic() -> None:
    found = find_int_arithmetic(
        tokenize("request.changes.A.after * 2 + 1 > 0.0 && 3 - record.B > 0")
    )
    assert [(f.field, f.text) for f in found] == [("A", "2"), ("B", "3")]
    assert find_int_arithmetic(tokenize("request.changes.A.after * 2.0 > 1.0")) == []


DIVERGENCES = [
    (
        "strings-extension",
        'request.changes.A.after.lowerAscii() == "x"',
        "strings-extension",
    ),
    ("optional", "request.changes.?A.hasValue()", "optional-syntax"),
    ("triple-quoted", '"""a\nb""" == x', "triple-quoted-newline"),
    ("escape", r'"\X41" == x', "escape"),
    ("backquoted", "record.`a-b` == 1", "backquoted-field"),
    ("map-with-filter", "[1].map(x, x > 0, x) == [1]", "map-with-filter"),
    ("duration-of-data", "duration(request.d) > duration('1h')", "duration-of-data"),
    ("milliseconds", "now.getMilliseconds() == 1", "duration-milliseconds"),
    ("nanoseconds", 'now < timestamp("2025-01-01T00:00:00.1234567Z")', "nanoseconds"),
    ("nested", "a.all(x, b.exists(y, x == y))", "nested-comprehension"),
]


@pytest.mark.parametrize(
    ("source", "construct"),
    [c[1:] for c in DIVERGENCES],
    ids=[c[0] for c in DIVERGENCES],
)
def test_divergences(source: str, construct: str) -> None:
    assert construct in {d.construct for d in find_divergences(source)}


@pytest.mark.parametrize(
    "source",
    [
        'r"""a\nb""" == x',
        r'r"\X" == x',
        '"a".contains("b") && [1].map(x, x) == [1] && duration("1h") > duration("1m")',
        'timestamp("2025-01-01T00:00:00.123456Z") < now && a.all(x, x > 1) && b.exists(y, y)',
    ],
    ids=["raw-triple", "raw-escape", "supported-calls", "flat-comprehensions"],
)
def test_no_divergence(source: str) -> None:
    assert find_divergences(source) == []


UNDECLARED = [
    ("typo-variable", "requst.x == 1", ["requst"]),
    ("typo-function", "sise(request.x) == 1", ["sise"]),
    ("macro-variable", "request.l.exists(item, item == 1)", []),
    ("members-not-checked", "request.anything.size() > 0", []),
    ("type-names", "type(request.x) == string && dyn(1) == 1", []),
    ("map-literal-key", '{"a": 1, b: 2}.size() == 2', []),
]


@pytest.mark.parametrize(
    ("source", "names"), [c[1:] for c in UNDECLARED], ids=[c[0] for c in UNDECLARED]
)
def test_undeclared_names(source: str, names: list[str]) -> None:
    problems = undeclared_names(source, ["request"], ["size", "type"])
    assert [p.message.split("'")[1] for p in problems] == names
