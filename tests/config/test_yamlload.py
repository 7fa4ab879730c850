from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from actionplane.config.yamlload import (
    MAX_FILE_BYTES,
    load_yaml_file,
    load_yaml_text,
)


def load(text: str):
    document, problem = load_yaml_text(text, "f.yaml")
    return document, problem


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("a: yes", {"a": "yes"}, id="yes-stays-string"),
        pytest.param("a: off", {"a": "off"}, id="off-stays-string"),
        pytest.param("a: 2025-06-30", {"a": "2025-06-30"}, id="date-stays-string"),
        pytest.param(
            "a: 2025-06-30T10:00:00Z", {"a": "2025-06-30T10:00:00Z"}, id="datetime"
        ),
        pytest.param("a: 1:30", {"a": "1:30"}, id="sexagesimal-stays-string"),
        pytest.param("a: true", {"a": True}, id="true"),
        pytest.param("a: False", {"a": False}, id="false-capitalised"),
        pytest.param("a: ~", {"a": None}, id="tilde-null"),
        pytest.param("a:", {"a": None}, id="empty-null"),
        pytest.param("a: 0", {"a": 0}, id="zero"),
        pytest.param("a: -12", {"a": -12}, id="negative-int"),
        pytest.param("a: 150000.0", {"a": 150000.0}, id="float"),
        pytest.param("a: 1e3", {"a": 1000.0}, id="exponent-float"),
        pytest.param("a: 0x1F", {"a": 31}, id="hex"),
        pytest.param("a: '007'", {"a": "007"}, id="quoted-leading-zero"),
        pytest.param("a: !!str 12", {"a": "12"}, id="explicit-str"),
        pytest.param('a: "yes"', {"a": "yes"}, id="quoted-yes"),
        pytest.param("yes: 1", {"yes": 1}, id="yes-key"),
        pytest.param("a: |\n  x\n  y\n", {"a": "x\ny\n"}, id="block-scalar"),
    ],
)
def test_scalar_readings(text, expected):
    document, problem = load(text)
    assert problem is None
    assert document.data == expected


@pytest.mark.parametrize(
    ("text", "code", "line", "column"),
    [
        pytest.param("a:\n\t- b\n", "yaml.tab", 2, 1, id="tab"),
        pytest.param("<<: {a: 1}\n", "yaml.merge-key", 1, 1, id="merge-key"),
        pytest.param(
            "a: !!python/object:os.system x\n", "yaml.unsupported-tag", 1, 4, id="tag"
        ),
        pytest.param("a: !!int abc\n", "yaml.tag-mismatch", 1, 4, id="tag-mismatch"),
        pytest.param(
            "a: 1\n---\nb: 2\n", "yaml.multiple-documents", 2, 1, id="two-docs"
        ),
        pytest.param("a: [1, 2\n", "yaml.syntax", 2, 1, id="unclosed-flow"),
        pytest.param("? [a]\n: 1\n", "yaml.complex-key", 1, 3, id="complex-key"),
        pytest.param(
            "a: &x [*x]\n", "yaml.recursive-alias", 1, 4, id="recursive-alias"
        ),
    ],
)
def test_located_errors(text, code, line, column):
    document, problem = load(text)
    assert document is None
    assert problem.code == code
    assert problem.location.file == "f.yaml"
    assert (problem.location.line, problem.location.column) == (line, column)
    assert problem.detail


@pytest.mark.parametrize(
    ("text", "code", "line", "column", "data"),
    [
        pytest.param(
            "a: 1\nb: 2\na: 3\n",
            "yaml.duplicate-key",
            3,
            1,
            {"a": 1, "b": 2},
            id="duplicate-key",
        ),
        pytest.param(
            "x:\n  a: 1\n  a: 2\n",
            "yaml.duplicate-key",
            3,
            3,
            {"x": {"a": 1}},
            id="nested-duplicate",
        ),
        pytest.param(
            "a: 007\n", "yaml.leading-zero", 1, 4, {"a": "007"}, id="leading-zero"
        ),
        pytest.param(
            "a: 01.5\n",
            "yaml.leading-zero",
            1,
            4,
            {"a": "01.5"},
            id="leading-zero-float",
        ),
    ],
)
def test_errors_that_keep_loading(text, code, line, column, data):
    document, problem = load(text)
    assert problem is None
    assert [p.code for p in document.problems] == [code]
    location = document.problems[0].location
    assert (location.line, location.column) == (line, column)
    assert document.data == data


def billion_laughs(levels: int = 9) -> str:
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, levels):
        refs = ", ".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    return "\n".join(lines) + "\n"


def test_billion_laughs_fails_fast_with_bounded_memory():
    tracemalloc.start()
    started = time.perf_counter()
    document, problem = load(billion_laughs())
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert document is None
    assert problem.code == "yaml.alias-limit"
    assert elapsed < 2.0
    assert peak < 50 * 1024 * 1024


def test_small_alias_use_is_accepted():
    document, problem = load("base: &fields [Stage, Amount]\ncopy: *fields\n")
    assert problem is None
    assert document.data["copy"] == ["Stage", "Amount"]


def test_file_over_size_limit(tmp_path: Path):
    path = tmp_path / "big.yaml"
    path.write_text("a: " + "x" * (MAX_FILE_BYTES + 1))
    document, problem = load_yaml_file(path, "big.yaml")
    assert document is None
    assert problem.code == "yaml.too-large"


def test_invalid_utf8(tmp_path: Path):
    path = tmp_path / "bad.yaml"
    path.write_bytes(b"a: \xff\xfe\n")
    _, problem = load_yaml_file(path, "bad.yaml")
    assert problem.code == "yaml.encoding"


def test_spans_locate_keys_and_values():
    document, _ = load("top:\n  when: |\n    a &&\n    b\n  list: [x, 'y']\n")
    when = document.spans[("top", "when")]
    assert when.style == "|"
    assert (when.key.line, when.key.column) == (2, 3)
    item = document.spans[("top", "list", 1)]
    assert (item.value.line, item.value.column, item.style) == (5, 13, "'")


def test_span_falls_back_to_nearest_ancestor():
    document, _ = load("a:\n  b: 1\n")
    assert document.location(("a", "b", "missing")).line == 2


_plain_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=40
)


@given(_plain_text)
def test_quoted_strings_round_trip(value):
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    document, problem = load(f'key: "{escaped}"\n')
    assert problem is None
    assert document.data == {"key": value}


REPO = Path(__file__).resolve().parents[2]
COMPOSER_CASES = [
    "a: yes\nb: 'x'\nc: \"y\\n\"\nd:\ne: ~\n",
    "k: |\n  line one\n  line two\nf: >-\n  folded\n  text\n",
    "list:\n  - {a: 1, b: [x, y]}\n  -\n  - ''\n",
    "base: &b {x: 1}\nuse: *b\nmore: [*b, *b]\n",
    "plain: multi\n  line words\n# comment\nnext: 007\n",
    "dup: 1\ndup: 2\n",
    'uni: "caf\\u00e9 \u2713"\nwide: \u00e9t\u00e9\n',
    "a: [1, 2\n",
    "a:\n\t- b\n",
    "a: 1\n---\nb: 2\n",
]


def _composers_agree(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from actionplane.config import yamlload

    if yamlload._FastStrictLoader is None:
        pytest.skip("PyYAML was built without libyaml")
    fast = load_yaml_text(text, "f.yaml")
    monkeypatch.setattr(yamlload, "_FastStrictLoader", None)
    pure = load_yaml_text(text, "f.yaml")
    monkeypatch.undo()
    assert fast == pure


@pytest.mark.parametrize("text", COMPOSER_CASES)
def test_libyaml_matches_pure_composer(
    text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _composers_agree(text, monkeypatch)


def test_libyaml_matches_pure_on_workspace(monkeypatch: pytest.MonkeyPatch) -> None:
    paths = [REPO / "connectors.yaml", *sorted((REPO / "policies").glob("*.yaml"))]
    for path in paths:
        _composers_agree(path.read_text(encoding="utf-8"), monkeypatch)


_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
)
_DATA = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(min_size=1, max_size=12), inner, max_size=4)
    ),
    max_leaves=20,
)


@given(data=_DATA, flow=st.booleans())
def test_libyaml_matches_pure_on_dumped_data(data: object, flow: bool) -> None:
    import yaml

    text = yaml.safe_dump({"root": data}, default_flow_style=flow, allow_unicode=True)
    with pytest.MonkeyPatch.context() as monkeypatch:
        _composers_agree(text, monkeypatch)
