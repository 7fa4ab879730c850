from __future__ import annotations

from pathlib import Path

import pytest

from actionplane.config.load import load_workspace
from actionplane.config.model import Route

SENTINEL = "sentinel-client-secret-5f1c2e"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1))


def codes(diagnostics) -> list[str]:
    return [d.code for d in diagnostics]


def find(diagnostics, code):
    matches = [d for d in diagnostics if d.code == code]
    assert matches, f"no {code} in {codes(diagnostics)}"
    return matches[0]


def test_repo_workspace_is_valid(workspace: Path):
    loaded, diagnostics = load_workspace(workspace)
    assert [d for d in diagnostics if d.is_error] == []
    assert loaded.name == "acme-revops"
    connector = loaded.connector("zoho-sandbox")
    assert connector is not None
    assert connector.managed_object("Deals").allowed_fields == (
        "Stage",
        "Amount",
        "Closing_Date",
        "Next_Step",
    )
    assert loaded.groups["revops-leads"] == ("dana.lee", "sam.ortiz")


def test_rule_model_keeps_positions(workspace: Path):
    loaded, _ = load_workspace(workspace)
    rule = next(r for r in loaded.rules if r.id == "large-amount-needs-approval")
    assert rule.route is Route.REQUIRE_APPROVAL
    assert rule.objects == ("Deals",)
    assert rule.when_block
    source_line = (
        (workspace / rule.policy_file).read_text().splitlines()[rule.when_line - 1]
    )
    assert source_line[rule.when_column - 1 :].startswith('"Amount" in request.changes')


def test_unquoted_test_dates_stay_strings(workspace: Path):
    loaded, _ = load_workspace(workspace)
    test = next(
        t
        for t in loaded.tests
        if t.name == "closing date moved into the past is denied"
    )
    assert test.request["changes"]["Closing_Date"] == {
        "before": "2025-06-30",
        "after": "2025-05-01",
    }


@pytest.mark.parametrize(
    ("file", "old", "new", "code", "text"),
    [
        pytest.param(
            "connectors.yaml",
            "isSandbox: true",
            "isSandbox: yes",
            "schema.type",
            "YAML 1.1",
            id="yaml11-boolean",
        ),
        pytest.param(
            "connectors.yaml",
            "apiVersion: v8",
            "apiVersion: v2",
            "schema.enum",
            "Allowed values: v8",
            id="api-version-enum",
        ),
        pytest.param(
            "connectors.yaml",
            "    isEnabled: true",
            "    isEnabled: true\n    enabled: true",
            "schema.unknown-key",
            "Allowed keys",
            id="unknown-key",
        ),
        pytest.param(
            "connectors.yaml",
            "    type: zoho-crm\n",
            "",
            "schema.missing-key",
            "type",
            id="missing-key",
        ),
        pytest.param(
            "connectors.yaml",
            "loginUrl: https://accounts.zoho.com",
            "loginUrl: not a url",
            "schema.pattern",
            "https://",
            id="url-pattern",
        ),
        pytest.param(
            "connectors.yaml",
            "allowedFields: [Phone, Website, Description]",
            "allowedFields: []",
            "schema.range",
            "at least 1",
            id="empty-allowlist",
        ),
        pytest.param(
            "policies/deals.yaml",
            "route: deny\n    message: Agents may not mark",
            "route: approve\n    message: Agents may not mark",
            "schema.enum",
            "allow, require_approval, deny",
            id="route-approve",
        ),
        pytest.param(
            "policies/deals.yaml",
            "defaultRoute: allow",
            "defaultRoute: allowed",
            "schema.enum",
            "Did you mean 'allow'",
            id="default-route-typo",
        ),
        pytest.param(
            "policies/deals.yaml",
            '    now: "2025-07-01T09:00:00Z"',
            "    now: yesterday",
            "schema.format",
            "date-time",
            id="now-format",
        ),
    ],
)
def test_schema_errors_are_located(workspace, file, old, new, code, text):
    edit(workspace / file, old, new)
    _, diagnostics = load_workspace(workspace)
    diagnostic = find(diagnostics, code)
    assert diagnostic.location.file == file
    assert diagnostic.location.line > 0
    assert text in diagnostic.summary + diagnostic.detail


def test_route_enum_points_at_the_value(workspace):
    path = workspace / "policies/deals.yaml"
    edit(
        path,
        "route: deny\n    message: Agents may not mark",
        "route: approve\n    message: Agents may not mark",
    )
    _, diagnostics = load_workspace(workspace)
    diagnostic = find(diagnostics, "schema.enum")
    line = path.read_text().splitlines()[diagnostic.location.line - 1]
    assert line[diagnostic.location.column - 1 :] == "approve"


@pytest.mark.parametrize(
    ("old", "new", "code", "severity"),
    [
        pytest.param(
            "instanceUrl: https://sandbox.zohoapis.com",
            "instanceUrl: https://www.zohoapis.eu",
            "connector.data-center-mismatch",
            "error",
            id="dc-mismatch",
        ),
        pytest.param(
            "loginUrl: https://accounts.zoho.com",
            "loginUrl: https://accounts.zoho.eu",
            "connector.data-center-mismatch",
            "error",
            id="eu-accounts-us-api",
        ),
        pytest.param(
            "instanceUrl: https://sandbox.zohoapis.com",
            "instanceUrl: https://www.zohoapis.com",
            "connector.sandbox-host",
            "warning",
            id="sandbox-on-www",
        ),
        pytest.param(
            "isSandbox: true",
            "isSandbox: false",
            "connector.sandbox-flag",
            "error",
            id="sandbox-host-not-flagged",
        ),
        pytest.param(
            "loginUrl: https://accounts.zoho.com",
            "loginUrl: http://accounts.zoho.com",
            "connector.insecure-url",
            "error",
            id="plain-http",
        ),
        pytest.param(
            "loginUrl: https://accounts.zoho.com",
            "loginUrl: http://127.0.0.1:8080",
            "connector.mixed-hosts",
            "error",
            id="mixed-loopback",
        ),
        pytest.param(
            "allowedFields: [Title, Phone, Description]",
            "allowedFields: [Title, Phone, Title]",
            "allowlist.duplicate-field",
            "error",
            id="duplicate-field",
        ),
        pytest.param(
            "  data-stewards: [lee.chen, dana.lee]",
            "  data-stewards: []",
            "group.empty",
            "warning",
            id="empty-group",
        ),
    ],
)
def test_connector_semantics(workspace, old, new, code, severity):
    edit(workspace / "connectors.yaml", old, new)
    _, diagnostics = load_workspace(workspace)
    diagnostic = find(diagnostics, code)
    assert diagnostic.severity.value == severity
    assert diagnostic.location.file == "connectors.yaml"


def test_canada_accounts_host_pairs_with_ca_api(workspace):
    edit(
        workspace / "connectors.yaml",
        "https://accounts.zoho.com",
        "https://accounts.zohocloud.ca",
    )
    edit(
        workspace / "connectors.yaml",
        "https://sandbox.zohoapis.com",
        "https://sandbox.zohoapis.ca",
    )
    _, diagnostics = load_workspace(workspace)
    assert [d for d in diagnostics if d.is_error] == []


def test_loopback_sandbox_hosts_are_accepted(workspace):
    edit(
        workspace / "connectors.yaml",
        "https://accounts.zoho.com",
        "http://127.0.0.1:8765",
    )
    edit(
        workspace / "connectors.yaml",
        "https://sandbox.zohoapis.com",
        "http://127.0.0.1:8765",
    )
    _, diagnostics = load_workspace(workspace)
    assert [d for d in diagnostics if d.is_error] == []


def test_literal_secret_is_reported_without_the_value(workspace):
    edit(
        workspace / "connectors.yaml",
        "clientSecret: ${ZOHO_CLIENT_SECRET}",
        f"clientSecret: {SENTINEL}",
    )
    _, diagnostics = load_workspace(workspace)
    diagnostic = find(diagnostics, "connector.literal-secret")
    line = (
        (workspace / "connectors.yaml")
        .read_text()
        .splitlines()[diagnostic.location.line - 1]
    )
    assert line.strip().startswith("clientSecret:")
    assert not diagnostic.show_source
    assert SENTINEL not in repr(diagnostic)


def test_non_string_secret_is_reported_without_the_value(workspace):
    edit(
        workspace / "connectors.yaml",
        "refreshToken: ${ZOHO_REFRESH_TOKEN}",
        "refreshToken: 1000123456789",
    )
    _, diagnostics = load_workspace(workspace)
    diagnostic = find(diagnostics, "schema.type")
    assert "1000123456789" not in repr(diagnostic)


@pytest.mark.parametrize(
    ("old", "new", "code"),
    [
        pytest.param(
            "id: amount-cut-by-half-needs-approval",
            "id: large-amount-needs-approval",
            "rule.duplicate-id",
            id="duplicate-rule-id",
        ),
        pytest.param(
            '    object: Deals\n    actorKinds: [agent]\n    when: |\n      "Stage" in request.changes && ',
            '    object: Deal\n    actorKinds: [agent]\n    when: |\n      "Stage" in request.changes && ',
            "rule.unknown-object",
            id="unknown-object",
        ),
        pytest.param(
            "    approvers: [sales-managers]\n",
            "",
            "rule.missing-approvers",
            id="no-approvers",
        ),
        pytest.param(
            "approvers: [sales-managers]",
            "approvers: [sales-manager]",
            "rule.unknown-group",
            id="unknown-group",
        ),
        pytest.param(
            "approvers: [sales-managers]",
            "approvers: [sales-managers]\n    requiredApprovals: 3",
            "rule.unreachable-approvals",
            id="too-many-approvals",
        ),
        pytest.param(
            "expect: {route: deny, rules: [closing-date-in-past-denied]}",
            "expect: {route: deny, rules: [closing-date-past-denied]}",
            "test.unknown-rule",
            id="test-unknown-rule",
        ),
        pytest.param(
            "  - name: amount of exactly 100k is allowed",
            "  - name: small amount change is allowed",
            "test.duplicate-name",
            id="duplicate-test-name",
        ),
    ],
)
def test_policy_semantics(workspace, old, new, code):
    edit(workspace / "policies/deals.yaml", old, new)
    _, diagnostics = load_workspace(workspace)
    diagnostic = find(diagnostics, code)
    assert diagnostic.location.file == "policies/deals.yaml"
    assert diagnostic.detail


def test_all_problems_are_collected_in_one_run(workspace):
    edit(workspace / "connectors.yaml", "isSandbox: true", "isSandbox: yes")
    edit(
        workspace / "connectors.yaml",
        "clientSecret: ${ZOHO_CLIENT_SECRET}",
        f"clientSecret: {SENTINEL}",
    )
    edit(
        workspace / "policies/accounts.yaml",
        "defaultRoute: allow",
        "defaultRoute: allow\ndefaultRoute: deny",
    )
    edit(
        workspace / "policies/deals.yaml",
        "route: deny\n    message: Agents may not mark",
        "route: approve\n    message: Agents may not mark",
    )
    _, diagnostics = load_workspace(workspace)
    found = set(codes(diagnostics))
    assert {"schema.type", "yaml.duplicate-key", "schema.enum"} <= found
    assert SENTINEL not in repr(diagnostics)


def test_missing_connectors_file(tmp_path):
    _, diagnostics = load_workspace(tmp_path)
    assert codes(diagnostics) == ["config.missing-connectors"]


def test_broken_connectors_file_adds_no_group_errors(workspace):
    edit(workspace / "connectors.yaml", "version: 1", "version: 1\n\tbad: tab")
    _, diagnostics = load_workspace(workspace)
    assert [d.code for d in diagnostics if d.is_error] == ["yaml.tab"]


def test_leading_zero_version_is_one_error(workspace):
    edit(workspace / "connectors.yaml", "version: 1", "version: 007")
    _, diagnostics = load_workspace(workspace)
    assert [d.code for d in diagnostics if d.is_error] == ["yaml.leading-zero"]
