"""Backend choice, compile error parsing and lazy loading of the CEL engines."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

import pytest

from actionplane.config.model import CEL_BACKEND_ENV
from actionplane.errors import RuleError
from actionplane.rules.backend import (
    CelCompileError,
    CompileProblem,
    get_backend,
    resolve_backend_name,
    shorten_error,
)


@pytest.mark.parametrize(
    ("name", "environment", "workspace_choice", "expected"),
    [
        (None, None, None, "cel-expr-python"),
        (None, None, "cel-python", "cel-python"),
        (None, "cel-expr-python", "cel-python", "cel-expr-python"),
        (None, "cel-python", None, "cel-python"),
        ("cel-expr-python", "cel-python", "cel-python", "cel-expr-python"),
    ],
    ids=[
        "default",
        "workspace",
        "environment-overrides-workspace",
        "environment",
        "explicit-name-wins",
    ],
)
def test_backend_precedence(
    monkeypatch: pytest.MonkeyPatch,
    name: str | None,
    environment: str | None,
    workspace_choice: str | None,
    expected: str,
) -> None:
    if environment is None:
        monkeypatch.delenv(CEL_BACKEND_ENV, raising=False)
    else:
        monkeypatch.setenv(CEL_BACKEND_ENV, environment)
    assert resolve_backend_name(name, workspace_choice) == expected
    assert get_backend(name, workspace_choice).name == expected


@pytest.mark.parametrize(
    ("environment", "workspace_choice", "source"),
    [("cel-go", None, "$ACTIONPLANE_CEL_BACKEND"), (None, "cel-go", "celBackend")],
    ids=["environment", "workspace"],
)
def test_unknown_backend_names_valid_ones(
    monkeypatch: pytest.MonkeyPatch,
    environment: str | None,
    workspace_choice: str | None,
    source: str,
) -> None:
    monkeypatch.delenv(CEL_BACKEND_ENV, raising=False)
    if environment:
        monkeypatch.setenv(CEL_BACKEND_ENV, environment)
    with pytest.raises(RuleError) as caught:
        get_backend(None, workspace_choice)
    assert "unknown CEL backend 'cel-go'" in caught.value.message
    assert source in caught.value.message
    assert caught.value.message.endswith("use one of: cel-expr-python, cel-python")


def test_cel_expr_python_error_blocks() -> None:
    from actionplane.rules.celexpr import parse_errors

    text = (
        "INVALID_ARGUMENT: ERROR: <input>:1:7: undeclared reference to 'requst' "
        "(in container '')\n | requst.x == 1\n | ......^\n"
        "ERROR: <input>:2:7: found no matching overload for '_+_' applied to "
        "'(int, string)'\n |  && 1 + \"a\"\n | ......^ [INVALID_ARGUMENT]"
    )
    assert parse_errors(text) == [
        CompileProblem(1, 7, "undeclared reference to 'requst'"),
        CompileProblem(
            2, 7, "found no matching overload for '_+_' applied to '(int, string)'"
        ),
    ]
    assert parse_errors("INTERNAL: something odd [INTERNAL]") == [
        CompileProblem(1, 1, "something odd")
    ]


@pytest.mark.parametrize("name", ["cel-expr-python", "cel-python"])
def test_non_bool_rule(name: str) -> None:
    backend = get_backend(name)
    now = datetime(2025, 7, 1, tzinfo=UTC)
    activation = backend.activation(request={"n": 1}, record={}, connector={}, now=now)
    if name == "cel-expr-python":
        with pytest.raises(CelCompileError, match="must return bool"):
            backend.compile("r", "1 + 1")
    compiled = backend.compile("r", "request.n")
    [result] = backend.evaluate([compiled], activation)
    assert isinstance(result, str)
    assert "not bool" in result


def test_compile_error_message() -> None:
    error = CelCompileError(
        "my-rule", [CompileProblem(2, 3, "bad"), CompileProblem(4, 1, "worse")]
    )
    assert error.message == (
        "rule 'my-rule' does not compile: 2:3: bad; 4:1: worse; fix the CEL expression"
    )


def test_shorten_error_drops_activation_repr() -> None:
    text = "undeclared reference to 'x' (in activation 'Activation(vars=...)')"
    assert shorten_error(text) == "undeclared reference to 'x'"
    assert len(shorten_error("y" * 1000)) == 300


def test_engines_load_only_when_a_backend_is_created() -> None:
    code = (
        "import sys\n"
        "import actionplane.cli, actionplane.rules.engine, actionplane.rules.lint\n"
        "import actionplane.rules.testing\n"
        "print(sorted(m for m in ('celpy', 'cel_expr_python') if m in sys.modules))"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert output.strip() == "[]"
