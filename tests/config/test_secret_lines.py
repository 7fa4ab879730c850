"""Source lines under diagnostics never show a literal credential."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from actionplane.cli import cli
from actionplane.diagnostics import _mask_secret

SECRET = "s3ntinel5ecret0000111122223333"
REFERENCE = "clientSecret: ${ZOHO_CLIENT_SECRET}"


@pytest.mark.parametrize(
    "replacement",
    [
        pytest.param(f"clientSecret: {SECRET}", id="literal"),
        pytest.param("clientSecret: 12345678901234", id="number"),
        pytest.param(f"clientSecret: {SECRET}: y", id="syntax-error"),
        pytest.param(f"{REFERENCE}\n    clientSecret: {SECRET}", id="duplicate-key"),
        pytest.param(f"clientSecret: |\n      {SECRET}", id="block-scalar"),
        pytest.param(f"clientSecret: {{{SECRET}: 1}}", id="mapping-value"),
    ],
)
def test_validate_text_output_masks_secret(workspace: Path, replacement: str) -> None:
    path = workspace / "connectors.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count(REFERENCE) == 1
    path.write_text(text.replace(REFERENCE, replacement), encoding="utf-8")

    result = CliRunner().invoke(cli, ["validate", "--workspace", str(workspace)])

    assert result.exit_code == 1, result.output
    assert "--> connectors.yaml:" in result.output
    assert SECRET not in result.output
    assert "12345678901234" not in result.output


@pytest.mark.parametrize(
    ("lines", "index", "expected"),
    [
        (["    clientSecret: abc"], 0, "    clientSecret: ***"),
        (['    "refreshToken": "abc" # note'], 0, '    "refreshToken": ***'),
        (["  - clientId: abc"], 0, "  - clientId: ***"),
        (["    clientId: ${ZOHO_ID}"], 0, "    clientId: ${ZOHO_ID}"),
        (['    clientId: "${ZOHO_ID}" # ok'], 0, '    clientId: "${ZOHO_ID}" # ok'),
        (["    clientId: ${ZOHO_ID}tail"], 0, "    clientId: ***"),
        (["    x: {clientSecret: abc, a: 1}"], 0, "    x: {clientSecret: ***"),
        (["    x: {clientId: ${A}, a: 1}"], 0, "    x: {clientId: ${A}, a: 1}"),
        (
            ["    x: {clientId: ${A}, refreshToken: b}"],
            0,
            "    x: {clientId: ${A}, refreshToken: ***",
        ),
        (["    refreshToken: |", "      abc", "      def"], 2, "      ***"),
        (["    clientSecret:", "      abc"], 1, "      ***"),
        (["  - clientId: abc", "    isSandbox: yes"], 1, "    isSandbox: yes"),
        (
            ["    refreshToken: |", "      abc", "    isSandbox: yes"],
            2,
            "    isSandbox: yes",
        ),
        (["    clientId: ${A}", "      continued"], 1, "      continued"),
    ],
)
def test_mask_secret_lines(lines: list[str], index: int, expected: str) -> None:
    assert _mask_secret(lines, index) == expected


@pytest.mark.parametrize("output_format", ["text", "json", "github"])
def test_messages_never_quote_secret(workspace: Path, output_format: str) -> None:
    path = workspace / "connectors.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace(REFERENCE, "clientSecret: 01234567890123"), encoding="utf-8"
    )

    result = CliRunner().invoke(
        cli, ["validate", "--workspace", str(workspace), "--format", output_format]
    )

    assert result.exit_code == 1, result.output
    assert "leading zero" in result.output
    assert "01234567890123" not in result.output
    assert "1234567890123" not in result.output


ANCHOR_THEN_ALIAS = f"clientSecret: &sec {SECRET}\n    apiVersion: *sec"


@pytest.mark.parametrize(
    "replacement",
    [
        pytest.param(ANCHOR_THEN_ALIAS, id="anchor-and-alias"),
        pytest.param(f'"client\\u0053ecret": {SECRET}', id="escaped-key"),
        pytest.param(
            f"{REFERENCE}\n    ? clientSecret\n    : {SECRET}", id="explicit-key"
        ),
    ],
)
@pytest.mark.parametrize("output_format", ["text", "json", "github", "sarif"])
def test_unusual_spellings_never_show_secret(
    workspace: Path, replacement: str, output_format: str
) -> None:
    path = workspace / "connectors.yaml"
    text = path.read_text(encoding="utf-8")
    if "apiVersion" in replacement:
        text = text.replace("    apiVersion: v8\n", "", 1)
    path.write_text(text.replace(REFERENCE, replacement, 1), encoding="utf-8")

    result = CliRunner().invoke(
        cli, ["check", "--workspace", str(workspace), "--format", output_format]
    )

    assert result.exit_code == 1, result.output
    assert SECRET not in result.output
