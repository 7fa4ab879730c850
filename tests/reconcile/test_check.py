"""`actionplane check` against a metadata snapshot of the embedded sandbox org.

Each test breaks one thing in a copy of the repo's workspace or in the snapshot
that the `synced_workspace` fixture wrote, then reads the diagnostics from the
CLI's JSON, text or SARIF output. Expected lines and columns are computed from
the edited file, so the tests keep working when the example policies move.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from actionplane.cli import cli
from actionplane.metadata.snapshot import load_snapshot, snapshot_path, write_snapshot
from tests.conftest import point_at

CONNECTOR = "zoho-sandbox"
DEALS_FIELDS = "allowedFields: [Stage, Amount, Closing_Date, Next_Step]"
AMOUNT_THRESHOLD = "request.changes.Amount.after > 100000.0"
CLOSING_DATE_TODAY = "request.changes.Closing_Date.after < today"
CLOSED_WON = '"Stage" in request.changes && request.changes.Stage.after == "Closed Won"'
SMALL_AMOUNT_TEST = "changes: {Amount: {before: 1000, after: 2000}}"
LATER_DATE_TEST = "changes: {Closing_Date: {before: 2025-06-30, after: 2025-09-30}}"
# Matches the header and location lines of one text diagnostic.
TEXT_DIAGNOSTIC = re.compile(
    r"^(error|warning|note)\[([a-z.-]+)\]: .*\n  --> ([^:\n]+):(\d+):(\d+)",
    re.MULTILINE,
)


@pytest.fixture(autouse=True)
def no_state_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # `check` opens the state named by ACTIONPLANE_STATE for the promotion gate.
    monkeypatch.delenv("ACTIONPLANE_STATE", raising=False)


def run_check(root: Path, *args: str) -> Result:
    return CliRunner().invoke(
        cli, ["check", "-w", str(root), *args], catch_exceptions=False
    )


def check_json(root: Path) -> tuple[int, dict[str, Any]]:
    result = run_check(root, "--format", "json")
    return result.exit_code, json.loads(result.output)


def errors_of(payload: dict[str, Any]) -> list[dict[str, Any]]:
    return [d for d in payload["diagnostics"] if d["severity"] == "error"]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, f"{old!r} is not in {path.name} exactly once"
    path.write_text(text.replace(old, new))


def position(path: Path, needle: str) -> tuple[int, int]:
    """Return the 1-based line and column where `needle` starts in `path`."""
    found = [
        (number, line.index(needle) + 1)
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if needle in line
    ]
    assert len(found) == 1, f"{needle!r} is on {len(found)} lines of {path.name}"
    return found[0]


def assert_located(diagnostic: dict[str, Any], file: str, line: int, column: int):
    location = diagnostic["location"]
    assert location["file"] == file
    assert location["line"] == line
    assert location["column"] == column


def edit_snapshot(root: Path, change) -> None:
    """Apply `change` to the snapshot's modules and rewrite it with a fresh digest."""
    snapshot = load_snapshot(root, CONNECTOR)
    assert snapshot is not None
    change(snapshot.modules)
    write_snapshot(root, snapshot)


# --- exit codes and output formats -----------------------------------------


def test_clean_workspace_exits_zero(synced_workspace):
    result = run_check(synced_workspace)

    assert result.exit_code == 0, result.output
    assert "The workspace matches Zoho's metadata" in result.output


def test_json_carries_format_version(synced_workspace):
    code, payload = check_json(synced_workspace)

    assert code == 0
    assert payload["format_version"] == "1"
    assert payload["valid"] is True
    assert payload["counts"]["error"] == 0
    assert payload["diagnostics"] == []


def test_json_lists_errors_with_locations(synced_workspace):
    connectors = synced_workspace / "connectors.yaml"
    edit(connectors, DEALS_FIELDS, DEALS_FIELDS.replace("Next_Step", "next_step"))
    line, column = position(connectors, "next_step")

    code, payload = check_json(synced_workspace)

    assert code == 1
    assert payload["format_version"] == "1"
    assert payload["valid"] is False
    assert payload["counts"]["error"] == 1
    [problem] = errors_of(payload)
    assert problem["code"] == "metadata.unknown-field"
    assert_located(problem, "connectors.yaml", line, column)
    assert problem["location"]["end_column"] == column + len("next_step")


def test_warning_alone_exits_zero(synced_workspace):
    # The snapshot comes from sandbox.zohoapis.com. A loopback connector only
    # gets a warning, because the embedded sandbox replaces Zoho while onboarding.
    point_at(synced_workspace, "http://127.0.0.1:9")

    code, payload = check_json(synced_workspace)

    assert code == 0
    assert [d["code"] for d in payload["diagnostics"]] == ["metadata.source-host"]
    assert payload["diagnostics"][0]["severity"] == "warning"


def test_other_data_center_is_an_error(synced_workspace):
    connectors = synced_workspace / "connectors.yaml"
    edit(connectors, "https://accounts.zoho.com", "https://accounts.zoho.eu")
    edit(connectors, "https://sandbox.zohoapis.com", "https://sandbox.zohoapis.eu")

    code, payload = check_json(synced_workspace)

    assert code == 1
    [problem] = errors_of(payload)
    assert problem["code"] == "metadata.source-host"
    assert "connectors sync-metadata zoho-sandbox" in problem["detail"]


def test_sarif_matches_text_locations(synced_workspace):
    connectors = synced_workspace / "connectors.yaml"
    deals = synced_workspace / "policies/deals.yaml"
    edit(connectors, DEALS_FIELDS, DEALS_FIELDS.replace("Next_Step", "next_step"))
    edit(deals, AMOUNT_THRESHOLD, AMOUNT_THRESHOLD.replace("100000.0", '"100000"'))

    text = run_check(synced_workspace)
    sarif_result = run_check(synced_workspace, "--format", "sarif")

    assert text.exit_code == 1
    assert sarif_result.exit_code == 1
    from_text = sorted(
        (code, file, int(line), int(column))
        for _, code, file, line, column in TEXT_DIAGNOSTIC.findall(text.output)
    )
    assert ("metadata.unknown-field", "connectors.yaml") in {
        (code, file) for code, file, _, _ in from_text
    }
    assert ("rule.literal-type", "policies/deals.yaml") in {
        (code, file) for code, file, _, _ in from_text
    }

    log = json.loads(sarif_result.output)
    assert log["version"] == "2.1.0"
    assert "sarif-2.1.0" in log["$schema"]
    assert len(log["runs"]) == 1
    driver = log["runs"][0]["tool"]["driver"]
    assert driver["name"] == "actionplane"
    assert isinstance(driver["version"], str)
    assert driver["version"]
    rule_ids = {rule["id"] for rule in driver["rules"]}
    results = log["runs"][0]["results"]
    from_sarif = []
    for result in results:
        assert result["ruleId"] in rule_ids
        assert result["level"] in ("error", "warning", "note")
        assert result["message"]["text"]
        [location] = result["locations"]
        physical = location["physicalLocation"]
        from_sarif.append(
            (
                result["ruleId"],
                physical["artifactLocation"]["uri"],
                physical["region"]["startLine"],
                physical["region"]["startColumn"],
            )
        )
    assert sorted(from_sarif) == from_text


def test_sarif_of_clean_workspace_has_no_results(synced_workspace):
    result = run_check(synced_workspace, "--format", "sarif")

    assert result.exit_code == 0
    log = json.loads(result.output)
    assert log["version"] == "2.1.0"
    assert log["runs"][0]["tool"]["driver"]["name"] == "actionplane"
    assert log["runs"][0]["results"] == []


# --- allowlisted fields and managed modules --------------------------------


@pytest.mark.parametrize(
    ("written", "api_name"),
    [
        ("next_step", "Next_Step"),
        ("Closing Date", "Closing_Date"),
        ("closing date", "Closing_Date"),
    ],
)
def test_misspelled_field_suggests_api_name(synced_workspace, written, api_name):
    connectors = synced_workspace / "connectors.yaml"
    edit(connectors, DEALS_FIELDS, DEALS_FIELDS.replace(api_name, written))
    line, column = position(connectors, written)

    code, payload = check_json(synced_workspace)

    assert code == 1
    [problem] = errors_of(payload)
    assert problem["code"] == "metadata.unknown-field"
    assert_located(problem, "connectors.yaml", line, column)
    assert f"no field with api_name {written!r}" in problem["summary"]
    assert f"Did you mean {api_name!r}?" in problem["detail"]


def test_read_only_field_names_reason(synced_workspace):
    connectors = synced_workspace / "connectors.yaml"
    edit(connectors, DEALS_FIELDS, DEALS_FIELDS.replace("]", ", Deal_Number]"))
    line, column = position(connectors, "Deal_Number")

    code, payload = check_json(synced_workspace)

    assert code == 1
    [problem] = errors_of(payload)
    assert problem["code"] == "metadata.field-not-writable"
    assert_located(problem, "connectors.yaml", line, column)
    assert "auto-number field" in problem["detail"]


def test_module_missing_from_snapshot(synced_workspace):
    edit_snapshot(synced_workspace, lambda modules: modules.pop("Deals"))
    line, column = position(
        synced_workspace / "connectors.yaml", "objectApiName: Deals"
    )

    code, payload = check_json(synced_workspace)

    assert code == 1
    [problem] = errors_of(payload)
    assert problem["code"] == "metadata.unknown-module"
    assert_located(problem, "connectors.yaml", line, column)
    assert "'Deals' does not exist" in problem["summary"]
    assert "connectors sync-metadata zoho-sandbox" in problem["detail"]


def test_module_without_api_support(synced_workspace):
    # The sandbox catalog lists Visits with api_supported false.
    connectors = synced_workspace / "connectors.yaml"
    edit(
        connectors,
        "      - objectApiName: Contacts\n",
        "      - objectApiName: Visits\n"
        "        displayName: Visits\n"
        "        allowedFields: [Name]\n"
        "      - objectApiName: Contacts\n",
    )
    line, column = position(connectors, "objectApiName: Visits")

    code, payload = check_json(synced_workspace)

    assert code == 1
    [problem] = errors_of(payload)
    assert problem["code"] == "metadata.module-not-api"
    assert_located(problem, "connectors.yaml", line, column)
    assert "'Visits' cannot be used through the Zoho API" in problem["summary"]
    assert "api_supported false" in problem["detail"]


def test_module_not_editable(synced_workspace):
    def lock_contacts(modules: dict[str, Any]) -> None:
        modules["Contacts"]["editable"] = False

    edit_snapshot(synced_workspace, lock_contacts)
    line, column = position(
        synced_workspace / "connectors.yaml", "objectApiName: Contacts"
    )

    code, payload = check_json(synced_workspace)

    assert code == 1
    [problem] = errors_of(payload)
    assert problem["code"] == "metadata.module-not-editable"
    assert_located(problem, "connectors.yaml", line, column)
    assert "'Contacts' is not editable" in problem["summary"]
    assert "editable false" in problem["detail"]


# --- missing, outdated and invalid snapshots --------------------------------


def test_missing_snapshot_names_sync_command(synced_workspace):
    snapshot_path(synced_workspace, CONNECTOR).unlink()
    line, column = position(synced_workspace / "connectors.yaml", "name: zoho-sandbox")

    code, payload = check_json(synced_workspace)

    assert code == 1
    [problem] = errors_of(payload)
    assert problem["code"] == "metadata.missing"
    assert_located(problem, "connectors.yaml", line, column)
    assert "no metadata snapshot" in problem["summary"]
    assert "actionplane connectors sync-metadata zoho-sandbox" in problem["detail"]
    assert ".actionplane/metadata/zoho-sandbox.json" in problem["detail"]


def test_outdated_snapshot_names_sync_command(synced_workspace):
    # A module listed without fields was synced before it became managed.
    edit_snapshot(synced_workspace, lambda modules: modules["Accounts"].pop("fields"))
    line, column = position(
        synced_workspace / "connectors.yaml", "objectApiName: Accounts"
    )

    code, payload = check_json(synced_workspace)

    assert code == 1
    [problem] = errors_of(payload)
    assert problem["code"] == "metadata.outdated"
    assert_located(problem, "connectors.yaml", line, column)
    assert "no fields for 'Accounts'" in problem["summary"]
    assert "actionplane connectors sync-metadata zoho-sandbox" in problem["detail"]


def hand_edit(text: str) -> str:
    return text.replace('"label": "Closing Date"', '"label": "Close Date"', 1)


def truncate(text: str) -> str:
    return text[: len(text) // 2]


def old_format(text: str) -> str:
    return text.replace('"formatVersion": 1', '"formatVersion": 0', 1)


def drop_modules(text: str) -> str:
    data = json.loads(text)
    del data["modules"]
    return json.dumps(data)


@pytest.mark.parametrize(
    ("damage", "cause"),
    [
        (hand_edit, "edited by hand"),
        (truncate, "is not valid JSON"),
        (old_format, "has snapshot format 0"),
        (drop_modules, "missing 'modules'"),
    ],
)
def test_invalid_snapshot_names_sync_command(synced_workspace, damage, cause):
    path = snapshot_path(synced_workspace, CONNECTOR)
    damaged = damage(path.read_text())
    assert damaged != path.read_text()
    path.write_text(damaged)
    line, column = position(synced_workspace / "connectors.yaml", "name: zoho-sandbox")

    code, payload = check_json(synced_workspace)

    assert code == 1
    [problem] = errors_of(payload)
    assert problem["code"] == "metadata.invalid"
    assert_located(problem, "connectors.yaml", line, column)
    assert ".actionplane/metadata/zoho-sandbox.json" in problem["summary"]
    assert cause in problem["summary"]
    assert "actionplane connectors sync-metadata" in problem["summary"]


# --- rules and rule tests ---------------------------------------------------


@pytest.mark.parametrize(
    ("old", "literal", "field", "problem_text"),
    [
        (AMOUNT_THRESHOLD, '"100000"', "Amount", "Amount (currency) needs a number"),
        (
            CLOSING_DATE_TODAY,
            '"30/06/2025"',
            "Closing_Date",
            "needs a date written as yyyy-MM-dd",
        ),
        # Python reads the ISO 8601 basic form, but Zoho needs the dashes.
        (
            CLOSING_DATE_TODAY,
            '"20250630"',
            "Closing_Date",
            "needs a date written as yyyy-MM-dd",
        ),
    ],
)
def test_rule_literal_of_wrong_type(
    synced_workspace, old, literal, field, problem_text
):
    deals = synced_workspace / "policies/deals.yaml"
    new = old.rsplit(" ", 1)[0] + " " + literal
    edit(deals, old, new)
    line, column = position(deals, literal)

    code, payload = check_json(synced_workspace)

    assert code == 1
    [problem] = errors_of(payload)
    assert problem["code"] == "rule.literal-type"
    assert_located(problem, "policies/deals.yaml", line, column)
    assert problem["location"]["end_column"] == column + len(literal)
    assert f"compares {field} with {literal}" in problem["summary"]
    assert problem_text in problem["detail"]


def test_picklist_label_in_rule_names_stored_value(synced_workspace):
    deals = synced_workspace / "policies/deals.yaml"
    edit(deals, '== "Closed Won"', '== "Identify Decision Makers"')
    line, column = position(deals, '"Identify Decision Makers"')

    code, payload = check_json(synced_workspace)

    assert code == 1
    [problem] = errors_of(payload)
    assert problem["code"] == "rule.literal-type"
    assert_located(problem, "policies/deals.yaml", line, column)
    assert "its stored value is 'Id. Decision Makers'" in problem["detail"]


@pytest.mark.parametrize(
    ("old", "new", "field", "problem_text"),
    [
        (
            SMALL_AMOUNT_TEST,
            SMALL_AMOUNT_TEST.replace("after: 2000", 'after: "2000"'),
            "Amount",
            "Amount (currency) needs a number",
        ),
        (
            LATER_DATE_TEST,
            LATER_DATE_TEST.replace("after: 2025-09-30", "after: 30/09/2025"),
            "Closing_Date",
            "needs a date written as yyyy-MM-dd",
        ),
    ],
)
def test_rule_test_value_of_wrong_type(synced_workspace, old, new, field, problem_text):
    deals = synced_workspace / "policies/deals.yaml"
    text = deals.read_text()
    start = text.index(old)
    # The diagnostic points at the name of the rule test that contains the value.
    name_key = text.rindex("- name: ", 0, start)
    test_name = text[name_key + len("- name: ") : text.index("\n", name_key)]
    edit(deals, old, new)
    line, column = position(deals, f"- name: {test_name}")
    column += len("- name: ")

    code, payload = check_json(synced_workspace)

    assert code == 1
    [problem] = errors_of(payload)
    assert problem["code"] == "test.value-type"
    assert_located(problem, "policies/deals.yaml", line, column)
    assert f"rule test {test_name!r}" in problem["summary"]
    assert f"Deals.{field} after value" in problem["summary"]
    assert problem_text in problem["detail"]


@pytest.mark.parametrize(
    ("field", "hint"),
    [("stage", "Did you mean 'Stage'?"), ("Deal_Stage", None)],
)
def test_rule_reading_unknown_field(synced_workspace, field, hint):
    deals = synced_workspace / "policies/deals.yaml"
    edit(deals, CLOSED_WON, CLOSED_WON.replace(".Stage.after", f".{field}.after"))
    line, column = position(deals, f"request.changes.{field}.after")
    column += len("request.changes.")

    code, payload = check_json(synced_workspace)

    assert code == 1
    [problem] = errors_of(payload)
    assert problem["code"] == "rule.unknown-field"
    assert_located(problem, "policies/deals.yaml", line, column)
    assert "agent-closed-won-needs-approval" in problem["summary"]
    assert f"reads field {field!r}, which Deals does not have" in problem["summary"]
    if hint is None:
        assert "Did you mean" not in problem["detail"]
    else:
        assert hint in problem["detail"]


def test_text_output_shows_location_and_fix(synced_workspace):
    deals = synced_workspace / "policies/deals.yaml"
    edit(deals, AMOUNT_THRESHOLD, AMOUNT_THRESHOLD.replace("100000.0", '"100000"'))
    line, column = position(deals, '"100000"')

    result = run_check(synced_workspace)

    assert result.exit_code == 1
    assert "error[rule.literal-type]: rule 'large-amount-needs-approval'" in (
        result.output
    )
    assert f"--> policies/deals.yaml:{line}:{column}" in result.output
    assert "Amount (currency) needs a number, not str '100000'." in result.output
    assert "1 error." in result.output
