"""Static warnings from analyze_rules, located in the policy file."""

from __future__ import annotations

from pathlib import Path

import pytest
from rule_builders import policy, rule, workspace

from actionplane.config.model import CEL_BACKEND_ENV, Rule
from actionplane.rules.lint import analyze_rules

POLICY_TEXT = """\
version: 1
defaultRoute: allow
rules:
  - id: amount-rule
    when: |
      request.changes.Amount.after * 2 > 1
        && request.changes.Probability.after.lowerAscii() == "x"
    route: deny
"""


def positioned_rule(when: str) -> Rule:
    return rule(
        "amount-rule",
        when,
        objects=("Deals",),
        when_line=6,
        when_column=7,
        when_block=True,
    )


@pytest.fixture
def linted_root(tmp_path: Path) -> Path:
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "test.yaml").write_text(POLICY_TEXT)
    return tmp_path


def codes_at(diagnostics: list, code: str) -> list[tuple[int, int]]:  # type: ignore[type-arg]
    return [(d.location.line, d.location.column) for d in diagnostics if d.code == code]


def test_warnings_on_cel_expr_python(linted_root: Path) -> None:
    when = (
        "request.changes.Amount.after * 2 > 1\n"
        '  && request.changes.Probability.after.lowerAscii() == "x"\n'
    )
    ws = workspace(policy(positioned_rule(when)), root=linted_root)
    found = analyze_rules(ws, "cel-expr-python")
    assert codes_at(found, "rule.unguarded-field") == [(6, 23), (7, 28)]
    assert codes_at(found, "rule.field-not-allowed") == [(7, 28)]
    assert codes_at(found, "rule.int-arithmetic") == [(6, 38)]
    assert codes_at(found, "rule.cel-python-divergence") == []
    lines = POLICY_TEXT.splitlines()
    assert lines[5][22:].startswith("Amount")
    assert lines[6][27:].startswith("Probability")


def test_divergence_only_for_cel_python(linted_root: Path) -> None:
    when = 'request.changes.?Amount.hasValue() && "a".lowerAscii() == "a"'
    ws = workspace(policy(positioned_rule(when)), root=linted_root)
    found = analyze_rules(ws, "cel-python")
    constructs = [
        d.extra["construct"] for d in found if d.code == "rule.cel-python-divergence"
    ]
    assert constructs == ["optional-syntax", "strings-extension"]


def test_backend_from_environment(
    linted_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = workspace(policy(positioned_rule('"a".lowerAscii() == "a"')), root=linted_root)
    monkeypatch.setenv(CEL_BACKEND_ENV, "cel-python")
    assert "rule.cel-python-divergence" in {d.code for d in analyze_rules(ws)}
    monkeypatch.setenv(CEL_BACKEND_ENV, "cel-expr-python")
    assert "rule.cel-python-divergence" not in {d.code for d in analyze_rules(ws)}


def test_guarded_rules_have_no_warnings() -> None:
    clean = rule(
        "clean",
        '"Amount" in request.changes && request.changes.Amount.after > 100000.0'
        ' && record.Stage != "Closed Won"',
        objects=("Deals",),
    )
    assert analyze_rules(workspace(policy(clean)), "cel-python") == []


def test_field_allowed_by_any_object_in_scope() -> None:
    unscoped = rule(
        "phone", '"Phone" in request.changes && request.changes.Phone.after == ""'
    )
    deals_only = rule(
        "deals-phone",
        '"Phone" in request.changes && request.changes.Phone.after == ""',
        objects=("Deals",),
    )
    found = analyze_rules(workspace(policy(unscoped, deals_only)), "cel-expr-python")
    assert [d.summary.split("'")[1] for d in found] == ["deals-phone"]


def test_each_field_warned_once() -> None:
    twice = rule(
        "twice",
        "request.changes.Stage.after == 'a' || request.changes.Stage.before == 'b'",
    )
    found = analyze_rules(workspace(policy(twice)), "cel-expr-python")
    assert [d.code for d in found] == ["rule.unguarded-field"]
