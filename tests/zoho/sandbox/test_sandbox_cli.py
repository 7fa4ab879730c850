from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from sandbox_testing import bearer, new_access_token, put_deal

from actionplane.cli import cli, main
from actionplane.zoho.sandbox import SandboxServer, seed
from actionplane.zoho.sandbox.store import SandboxStore


def run_main(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exited:
        main(list(args))
    captured = capsys.readouterr()
    code = exited.value.code
    return (code if isinstance(code, int) else 0), captured.out, captured.err


def start_serve(*args: str) -> tuple[subprocess.Popen[str], list[str]]:
    command = [
        sys.executable,
        "-m",
        "actionplane",
        "sandbox",
        "serve",
        "--port",
        "0",
        *args,
    ]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    banner = [process.stdout.readline() for _ in range(5)]
    return process, banner


@pytest.fixture
def served(
    tmp_path: Path,
) -> Iterator[tuple[str, Path, list[str], subprocess.Popen[str]]]:
    state = tmp_path / "state.json"
    process, banner = start_serve("--state", str(state))
    try:
        match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", banner[0])
        assert match, banner
        yield match.group(1), state, banner, process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def test_serve_then_reset_over_http(served, capsys):
    url, state, _, process = served
    with httpx.Client(base_url=url, timeout=10) as http:
        auth = bearer(new_access_token(http))
        assert put_deal(http, auth, {"Amount": 77.0}).status_code == 200

        code, out, _ = run_main(capsys, "sandbox", "reset", "--url", url)
        record = http.get(f"/__sandbox__/records/Deals/{seed.SAMPLE_DEAL_ID}").json()

    assert code == 0
    assert f"Reset the sandbox at {url}" in out
    assert record["data"][0]["Amount"] == seed.SAMPLE_DEAL["Amount"]
    saved = json.loads(state.read_text())
    assert (
        saved["records"]["Deals"][seed.SAMPLE_DEAL_ID]["Amount"]
        == seed.SAMPLE_DEAL["Amount"]
    )
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=10) == 130


def test_serve_banner_names_variables_not_values(served):
    url, state, banner, _ = served

    text = "".join(banner)
    assert f"loginUrl and instanceUrl: {url}" in text
    assert str(state) in text
    for name in ("ZOHO_CLIENT_ID", "ZOHO_CLIENT_SECRET", "ZOHO_REFRESH_TOKEN"):
        assert name in text
    assert seed.CLIENT_SECRET not in text
    assert seed.REFRESH_TOKEN not in text


def test_serve_prints_exports_on_request(tmp_path: Path):
    process, _ = start_serve("--print-env")
    try:
        assert process.stdout is not None
        exports = [process.stdout.readline().strip() for _ in range(3)]
    finally:
        process.kill()
        process.wait(timeout=10)

    assert exports == [
        f"export ZOHO_CLIENT_ID={seed.CLIENT_ID}",
        f"export ZOHO_CLIENT_SECRET={seed.CLIENT_SECRET}",
        f"export ZOHO_REFRESH_TOKEN={seed.REFRESH_TOKEN}",
    ]


def test_serve_rejects_non_loopback_host(capsys):
    code, _, err = run_main(capsys, "sandbox", "serve", "--host", "0.0.0.0")

    assert code == 2
    assert "--host 0.0.0.0 is not a loopback address" in err
    assert "--allow-remote" in err


def test_serve_reports_busy_port(capsys):
    with SandboxServer() as taken:
        port = taken.url.rsplit(":", 1)[1]
        code, _, err = run_main(capsys, "sandbox", "serve", "--port", port)

    assert code == 1
    assert f"cannot listen on 127.0.0.1:{port}" in err


def test_serve_sets_alter_next_write(monkeypatch, capsys):
    served: list[SandboxServer] = []

    def record_and_stop(server: SandboxServer) -> None:
        served.append(server)
        server.stop()

    monkeypatch.setattr(SandboxServer, "serve_forever", record_and_stop)
    code, _, err = run_main(
        capsys,
        "sandbox",
        "serve",
        "--port",
        "0",
        "--alter-next-write",
        "Next_Step=Set by a workflow",
        "--alter-next-write",
        "Amount=1.5",
    )

    assert code == 0, err
    assert served[0].options.alter_next_write == {
        "Next_Step": "Set by a workflow",
        "Amount": 1.5,
    }


def test_serve_rejects_alteration_without_value(capsys):
    code, _, err = run_main(
        capsys, "sandbox", "serve", "--alter-next-write", "Next_Step"
    )

    assert code == 2
    assert "'Next_Step' is invalid. Use FIELD=VALUE" in err


def test_reset_state_file(tmp_path: Path, capsys):
    state = tmp_path / "state.json"
    store = SandboxStore(state)
    with store.transaction() as data:
        data["records"]["Deals"][seed.SAMPLE_DEAL_ID]["Amount"] = 1.0

    code, out, _ = run_main(capsys, "sandbox", "reset", "--state", str(state))

    saved = json.loads(state.read_text())
    assert code == 0
    assert "Reset the sandbox state" in out
    assert (
        saved["records"]["Deals"][seed.SAMPLE_DEAL_ID]["Amount"]
        == seed.SAMPLE_DEAL["Amount"]
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "give exactly one of --state FILE or --url URL"),
        (["--state", "x.json", "--url", "http://127.0.0.1:1"], "give exactly one"),
        (["--url", "http://192.0.2.1:8765"], "is not a loopback URL"),
    ],
    ids=["neither", "both", "remote-url"],
)
def test_reset_usage_errors(capsys, args: list[str], message: str):
    code, _, err = run_main(capsys, "sandbox", "reset", *args)

    assert code == 2
    assert message in err


def test_reset_unreachable_server(capsys):
    code, _, err = run_main(capsys, "sandbox", "reset", "--url", "http://127.0.0.1:9")

    assert code == 1
    assert "cannot reach the sandbox at http://127.0.0.1:9" in err


def test_sandbox_help_lists_commands():
    result = CliRunner().invoke(cli, ["sandbox", "--help"])

    assert result.exit_code == 0
    assert "serve" in result.output
    assert "reset" in result.output
