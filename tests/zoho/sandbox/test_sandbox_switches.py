from __future__ import annotations

import json
import socket
import struct
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sandbox_testing import get_deal, new_access_token, put_deal, refresh_form

from actionplane.zoho.sandbox import SandboxOptionError, SandboxServer, seed

DEAL_PATH = f"/crm/v8/Deals/{seed.SAMPLE_DEAL_ID}"


def statuses(client: httpx.Client, auth: dict[str, str], count: int) -> list[int]:
    return [client.get(DEAL_PATH, headers=auth).status_code for _ in range(count)]


def test_latency_delays_responses(
    sandbox: SandboxServer, client: httpx.Client, auth: dict[str, str]
):
    sandbox.configure(latency_ms=200)

    started = time.monotonic()
    client.get(DEAL_PATH, headers=auth)
    client.post("/oauth/v2/token", data=refresh_form())
    elapsed = time.monotonic() - started

    assert elapsed >= 0.4


def test_rate_limit_after_n_calls(
    sandbox: SandboxServer, client: httpx.Client, auth: dict[str, str]
):
    sandbox.configure(rate_limit_after=2)

    seen = [client.get(DEAL_PATH, headers=auth) for _ in range(3)]

    assert [r.status_code for r in seen] == [200, 200, 429]
    assert seen[2].json() == {
        "code": "TOO_MANY_REQUESTS",
        "details": {},
        "message": "Number of API requests for the 24 hour period is exceeded or "
        "the concurrency limit of the user for the app is exceeded.",
        "status": "error",
    }
    sandbox.configure(rate_limit_after=1)
    assert statuses(client, auth, 2) == [200, 429]


def test_concurrency_limit(
    sandbox: SandboxServer, client: httpx.Client, auth: dict[str, str]
):
    sandbox.configure(max_concurrency=1, latency_ms=300)

    with ThreadPoolExecutor(max_workers=2) as pool:
        codes = sorted(pool.map(lambda _: statuses(client, auth, 1)[0], range(2)))

    assert codes == [200, 429]


def test_error_rate_is_deterministic(
    sandbox: SandboxServer, client: httpx.Client, auth: dict[str, str]
):
    sandbox.configure(error_rate=0.5, error_seed=7)
    first = statuses(client, auth, 12)
    sandbox.configure(error_seed=7)
    second = statuses(client, auth, 12)

    assert first == second
    assert set(first) == {200, 500}


def test_error_rate_one_fails_everything(
    sandbox: SandboxServer, client: httpx.Client, auth: dict[str, str]
):
    sandbox.configure(error_rate=1.0)

    response = client.get(DEAL_PATH, headers=auth)

    assert response.status_code == 500
    assert response.json() == {
        "code": "INTERNAL_ERROR",
        "details": {},
        "message": "Internal Server Error",
        "status": "error",
    }


def test_fail_next_reads_counts_down(
    sandbox: SandboxServer, client: httpx.Client, auth: dict[str, str]
):
    sandbox.configure(fail_next_reads=2)

    write = put_deal(client, auth, {"Amount": 10.0})
    reads = statuses(client, auth, 3)

    assert write.status_code == 200
    assert reads == [500, 500, 200]
    assert sandbox.options.fail_next_reads == 0


def test_expire_tokens_now(
    sandbox: SandboxServer, client: httpx.Client, auth: dict[str, str]
):
    expired = sandbox.expire_tokens()

    stale = client.get(DEAL_PATH, headers=auth)
    fresh = client.get(
        DEAL_PATH,
        headers={"Authorization": f"Zoho-oauthtoken {new_access_token(client)}"},
    )

    assert expired == 1
    assert stale.status_code == 401
    assert stale.json()["code"] == "INVALID_TOKEN"
    assert fresh.status_code == 200


def test_drop_next_write_lands_without_response(
    sandbox: SandboxServer, client: httpx.Client, auth: dict[str, str]
):
    sandbox.configure(drop_next_write=True)

    with pytest.raises(httpx.RemoteProtocolError):
        put_deal(client, auth, {"Next_Step": "sent into the void"})
    record = sandbox.record("Deals", seed.SAMPLE_DEAL_ID)
    after = put_deal(client, auth, {"Amount": 11.0})

    assert record is not None
    assert record["Next_Step"] == "sent into the void"
    assert sandbox.options.drop_next_write is False
    assert after.status_code == 200
    assert sandbox.calls()[-2]["dropped"] is True


def test_drop_waits_for_a_write_that_lands(
    sandbox: SandboxServer, client: httpx.Client, auth: dict[str, str]
):
    sandbox.configure(drop_next_write=True)

    rejected = put_deal(client, auth, {"Amount": "lots"})

    assert rejected.status_code == 400
    assert sandbox.options.drop_next_write is True


def test_alter_next_write_stores_other_value(
    sandbox: SandboxServer, client: httpx.Client, auth: dict[str, str]
):
    sandbox.configure(alter_next_write={"Next_Step": "Set by a workflow"})

    altered = put_deal(client, auth, {"Next_Step": "Call the buyer", "Amount": 14.0})
    deal = get_deal(client, auth)
    later = put_deal(client, auth, {"Next_Step": "Call again"})

    assert altered.status_code == 200
    assert altered.json()["data"][0]["code"] == "SUCCESS"
    assert deal["Next_Step"] == "Set by a workflow"
    assert deal["Amount"] == 14.0
    assert sandbox.options.alter_next_write is None
    assert later.status_code == 200
    assert get_deal(client, auth)["Next_Step"] == "Call again"


def test_alter_waits_for_a_write_that_lands(
    sandbox: SandboxServer, client: httpx.Client, auth: dict[str, str]
):
    sandbox.configure(alter_next_write={"Next_Step": "Set by a workflow"})

    rejected = put_deal(client, auth, {"Amount": "lots"})

    assert rejected.status_code == 400
    assert sandbox.options.alter_next_write == {"Next_Step": "Set by a workflow"}
    assert get_deal(client, auth)["Next_Step"] == seed.SAMPLE_DEAL["Next_Step"]


def test_alter_skips_fields_the_module_lacks(
    sandbox: SandboxServer, client: httpx.Client, auth: dict[str, str]
):
    sandbox.configure(alter_next_write={"No_Such_Field": 1, "Amount": 15.0})

    response = put_deal(client, auth, {"Amount": 16.0})
    deal = get_deal(client, auth)

    assert response.status_code == 200
    assert deal["Amount"] == 15.0
    assert "No_Such_Field" not in deal
    assert sandbox.options.alter_next_write is None


def test_alter_option_keeps_its_own_copy(sandbox: SandboxServer):
    values = {"Next_Step": "Set by a workflow"}

    sandbox.configure(alter_next_write=values)
    values["Next_Step"] = "Changed by the caller"

    assert sandbox.options.alter_next_write == {"Next_Step": "Set by a workflow"}


def test_control_sets_alter_next_write(
    sandbox: SandboxServer, client: httpx.Client, auth: dict[str, str]
):
    changed = client.patch(
        "/__sandbox__/options", json={"alter_next_write": {"Amount": 17.0}}
    )
    put_deal(client, auth, {"Amount": 18.0})

    assert changed.status_code == 200
    assert changed.json()["alter_next_write"] == {"Amount": 17.0}
    assert get_deal(client, auth)["Amount"] == 17.0
    assert client.get("/__sandbox__/options").json()["alter_next_write"] is None


def test_unknown_fields_can_be_ignored(
    sandbox: SandboxServer, client: httpx.Client, auth: dict[str, str]
):
    sandbox.configure(unknown_fields="ignore")

    response = put_deal(client, auth, {"Stage_Name": "Closed Won", "Amount": 12.0})

    assert response.status_code == 200
    deal = get_deal(client, auth)
    assert "Stage_Name" not in deal
    assert deal["Amount"] == 12.0


def test_new_picklist_values_can_be_accepted(
    sandbox: SandboxServer, client: httpx.Client, auth: dict[str, str]
):
    sandbox.configure(accept_new_picklist_values=True)

    response = put_deal(client, auth, {"Stage": "Paused"})
    fields = client.get("/crm/v8/settings/fields?module=Deals", headers=auth).json()[
        "fields"
    ]

    stage = next(field for field in fields if field["api_name"] == "Stage")
    assert response.status_code == 200
    assert get_deal(client, auth)["Stage"] == "Paused"
    assert stage["pick_list_values"][-1]["actual_value"] == "Paused"
    assert stage["pick_list_values"][-1]["sequence_number"] == 10


@pytest.mark.parametrize(
    "changes",
    [
        {"latency": 5},
        {"latency_ms": -1},
        {"latency_ms": "fast"},
        {"error_rate": 2},
        {"unknown_fields": "drop"},
        {"api_domain": "zohoapis.eu"},
        {"drop_next_write": 1},
        {"max_concurrency": 0},
        {"alter_next_write": {}},
        {"alter_next_write": "Next_Step"},
        {"alter_next_write": {"id": "1"}},
        {"alter_next_write": {"$state": "draft"}},
    ],
    ids=[
        "unknown-name",
        "negative",
        "text",
        "rate-above-one",
        "bad-mode",
        "domain-not-url",
        "flag-not-bool",
        "zero-concurrency",
        "alter-nothing",
        "alter-not-object",
        "alter-id",
        "alter-dollar-key",
    ],
)
def test_bad_switches_are_rejected(sandbox: SandboxServer, changes: dict[str, object]):
    before = sandbox.options

    with pytest.raises(SandboxOptionError):
        sandbox.configure(**changes)

    assert sandbox.options == before


def test_control_options_round_trip(client: httpx.Client):
    changed = client.patch(
        "/__sandbox__/options", json={"latency_ms": 1, "unknown_fields": "ignore"}
    )
    current = client.get("/__sandbox__/options")

    assert changed.status_code == 200
    assert current.json()["latency_ms"] == 1
    assert current.json()["unknown_fields"] == "ignore"
    assert current.json()["rate_limit_after"] is None


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("PATCH", "/__sandbox__/options", {"latency_ms": -5}, 400),
        ("PATCH", "/__sandbox__/options", {"nope": 1}, 400),
        ("POST", "/__sandbox__/grant-codes", {"expires_in_seconds": 0}, 400),
        ("POST", "/__sandbox__/grant-codes", {"scope": 5}, 400),
        ("GET", "/__sandbox__/records/Deals/1", None, 404),
        ("GET", "/__sandbox__/nothing", None, 404),
    ],
    ids=["bad-value", "bad-name", "bad-ttl", "bad-scope", "no-record", "no-route"],
)
def test_control_errors(
    client: httpx.Client, method: str, path: str, body: object, status: int
):
    response = client.request(method, path, json=body)

    assert response.status_code == status
    assert isinstance(response.json()["error"], str)


def test_control_rejects_non_json(client: httpx.Client):
    response = client.patch("/__sandbox__/options", content=b"latency=5")

    assert response.status_code == 400


def test_control_actions(
    sandbox: SandboxServer, client: httpx.Client, auth: dict[str, str]
):
    health = client.get("/__sandbox__/health").json()
    expired = client.post("/__sandbox__/expire-tokens").json()
    record = client.get(f"/__sandbox__/records/Deals/{seed.SAMPLE_DEAL_ID}").json()

    assert health == {"status": "ok", "url": sandbox.url}
    assert expired == {"expired": 1}
    assert record["data"][0]["Deal_Name"] == seed.SAMPLE_DEAL["Deal_Name"]


def test_control_reset_restores_seed_and_options(
    sandbox: SandboxServer, client: httpx.Client, auth: dict[str, str]
):
    put_deal(client, auth, {"Amount": 13.0})
    sandbox.configure(latency_ms=3)

    response = client.post("/__sandbox__/reset")

    assert response.json() == {"status": "reset"}
    assert sandbox.options.latency_ms == 0
    assert (
        sandbox.record("Deals", seed.SAMPLE_DEAL_ID)["Amount"]
        == seed.SAMPLE_DEAL["Amount"]
    )


def test_call_log_lists_calls_without_tokens(
    sandbox: SandboxServer, client: httpx.Client, auth: dict[str, str]
):
    client.get(f"{DEAL_PATH}?fields=Stage", headers=auth)
    client.get("/crm/v8/org")

    logged = client.get("/__sandbox__/calls").json()["calls"]

    assert [(c["method"], c["path"], c["status"]) for c in logged] == [
        ("POST", "/oauth/v2/token", 200),
        ("GET", DEAL_PATH, 200),
        ("GET", "/crm/v8/org", 401),
    ]
    text = json.dumps(logged)
    assert auth["Authorization"].split()[1] not in text
    assert seed.REFRESH_TOKEN not in text
    assert seed.CLIENT_SECRET not in text
    assert client.delete("/__sandbox__/calls").json() == {"calls": []}
    assert sandbox.calls() == []


def test_control_serves_only_loopback(sandbox: SandboxServer):
    from actionplane.zoho.sandbox.http_types import Request

    request = Request("GET", "/__sandbox__/options", {}, {}, client_host="192.0.2.10")

    response = sandbox.app.handle(request)

    assert response.status == 403


def test_client_hanging_up_prints_no_traceback(
    capfd: pytest.CaptureFixture[str],
) -> None:
    with SandboxServer() as sandbox:
        sandbox.configure(latency_ms=300)
        host, port = sandbox.url.removeprefix("http://").split(":")
        client = socket.create_connection((host, int(port)))
        # Linger 0 makes close() send a reset, so the sandbox's reply fails.
        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        client.sendall(b"GET /crm/v8/Deals HTTP/1.1\r\nHost: sandbox\r\n\r\n")
        client.close()
        time.sleep(0.6)
    assert "Traceback" not in capfd.readouterr().err
