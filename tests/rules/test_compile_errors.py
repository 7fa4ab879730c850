"""Compile errors point at the offending character of the policy file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rule_builders import policy, rule, workspace

from actionplane.config.load import load_workspace
from actionplane.config.model import Rule
from actionplane.rules.backend import get_backend
from actionplane.rules.compiler import compile_rules
from actionplane.rules.positions import file_position

BACKENDS = ("cel-expr-python", "cel-python")

POLICY = """\
version: 1
defaultRoute: allow
rules:
  - id: block-rule
    when: |
      "Amount" in request.changes
        && requst.changes.Amount.after > 1.0
    route: deny
  - id: quoted-rule
    when: "\\"Stage\\" in request.changes && requst.changes.Stage.after == 'x'"
    route: deny
  - id: plain-rule
    when: request.changes.Stage.after == "x" &&
      requst.object == "Deals"
    route: deny
  - id: single-quoted-rule
    when: 'request.changes.Stage.after == ''x'' && requst.object == "Deals"'
    route: deny
"""

CONNECTORS = """\
version: 1
workspace: compile-errors
connectors:
  - name: zoho-sandbox
    type: zoho-crm
    loginUrl: http://127.0.0.1:9/accounts
    instanceUrl: http://127.0.0.1:9
    apiVersion: v8
    isSandbox: true
    isEnabled: true
    clientId: ${ZOHO_CLIENT_ID}
    clientSecret: ${ZOHO_CLIENT_SECRET}
    refreshToken: ${ZOHO_REFRESH_TOKEN}
    managedObjects:
      - objectApiName: Deals
        displayName: Deals
        allowedFields: [Stage, Amount]
"""

EXPECTED_LINES = {
    "block-rule": 7,
    "quoted-rule": 10,
    "plain-rule": 14,
    "single-quoted-rule": 17,
}


@pytest.fixture
def policy_root(tmp_path: Path) -> Path:
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "rules.yaml").write_text(POLICY)
    (tmp_path / "connectors.yaml").write_text(CONNECTORS)
    return tmp_path


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_error_points_at_typo_in_file(policy_root: Path, backend_name: str) -> None:
    loaded, problems = load_workspace(policy_root)
    assert not [p for p in problems if p.is_error]
    _, diagnostics = compile_rules(loaded, get_backend(backend_name))
    lines = POLICY.splitlines()
    sources = {r.id: r.when for r in loaded.rules}
    found = {d.summary.split("'")[1]: d for d in diagnostics}
    assert set(found) == set(EXPECTED_LINES)
    for rule_id, diagnostic in found.items():
        location = diagnostic.location
        assert location is not None
        assert location.file == "policies/rules.yaml"
        assert location.line == EXPECTED_LINES[rule_id], rule_id
        cel_line, cel_column = cel_position(diagnostic.detail)
        marked = sources[rule_id].split("\n")[cel_line - 1][cel_column - 1 :]
        in_file = lines[location.line - 1][location.column - 1 :]
        assert in_file.startswith(marked[:6]), rule_id


def cel_position(detail: str) -> tuple[int, int]:
    match = re.search(r"CEL line (\d+), column (\d+)", detail)
    assert match is not None
    return int(match.group(1)), int(match.group(2))


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_detail_has_rule_source_caret_and_fix(
    policy_root: Path, backend_name: str
) -> None:
    loaded, _ = load_workspace(policy_root)
    _, diagnostics = compile_rules(loaded, get_backend(backend_name))
    [block] = [d for d in diagnostics if "'block-rule'" in d.summary]
    assert block.code == "rule.compile-error"
    assert "requst" in block.summary
    detail_lines = block.detail.splitlines()
    assert detail_lines[0].startswith("In rule 'block-rule', CEL line 2")
    assert detail_lines[1] == "   2 |   && requst.changes.Amount.after > 1.0"
    assert detail_lines[2].strip() == "^"
    assert "Check the spelling" in detail_lines[3]


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_several_errors_are_all_reported(backend_name: str, tmp_path: Path) -> None:
    broken = rule("two-errors", "requst.object == 1\n  && recrd.Stage == 2")
    _, diagnostics = compile_rules(
        workspace(policy(broken), root=tmp_path), get_backend(backend_name)
    )
    if backend_name == "cel-expr-python":
        assert len(diagnostics) == 2
        assert "requst" in diagnostics[0].summary
        assert "recrd" in diagnostics[1].summary
    else:
        assert [("requst" in d.summary, "recrd" in d.summary) for d in diagnostics] == [
            (True, False),
            (False, True),
        ]


@pytest.mark.parametrize(
    ("when_block", "cel_position", "expected"),
    [
        (True, (1, 1), (10, 7)),
        (True, (2, 5), (11, 11)),
        (False, (1, 4), (10, 10)),
    ],
    ids=["block-first-line", "block-second-line", "flow-column"],
)
def test_file_position_without_file_text(
    when_block: bool, cel_position: tuple[int, int], expected: tuple[int, int]
) -> None:
    positioned = Rule(
        id="r",
        policy_file="policies/x.yaml",
        when="a &&\n  b",
        route=rule("r", "true").route,
        when_line=10,
        when_column=7,
        when_block=when_block,
    )
    assert file_position(positioned, *cel_position) == expected


def test_file_position_without_recorded_start() -> None:
    assert file_position(rule("r", "true"), 1, 1) == (0, 0)
