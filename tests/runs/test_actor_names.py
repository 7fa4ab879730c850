"""Actor, approver and group names that could pass for another name are refused."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from actionplane.cli import cli
from actionplane.runs.controls import name_problem

LOOK_ALIKES = [
    pytest.param("dana.lee ", "U+0020", id="trailing-space"),
    pytest.param("dana\u200d.lee", "U+200D", id="zero-width-joiner"),
    pytest.param("dana.le\u0301e", "U+0301", id="combining-accent"),
    pytest.param("dana\u00a0lee", "U+00A0", id="no-break-space"),
    pytest.param("\ufeffdana.lee", "U+FEFF", id="byte-order-mark"),
]


@pytest.mark.parametrize(("name", "code"), LOOK_ALIKES)
@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["run", "submit", "--preset", "zoho-deal", "--actor"], id="actor"),
        pytest.param(["run", "submit", "--preset", "zoho-deal", "--group"], id="group"),
        pytest.param(["run", "approve", "run_x", "--as"], id="approver"),
        pytest.param(
            ["run", "reject", "run_x", "--reason", "no", "--as"], id="rejecter"
        ),
    ],
)
def test_look_alike_names_refused(args: list[str], name: str, code: str) -> None:
    result = CliRunner().invoke(cli, [*args, name])

    assert result.exit_code == 2, result.output
    assert code in result.output
    assert "is not a valid name" in result.output


@pytest.mark.parametrize(
    "name", ["dana.lee", "agent:gpt-4o", "svc/hubspot-sync", "priya+ops@example.com"]
)
def test_plain_names_accepted(name: str) -> None:
    assert name_problem(name) is None
