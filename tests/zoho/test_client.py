from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest

from actionplane.zoho.client import ZohoClient
from actionplane.zoho.errors import (
    ZohoApiError,
    ZohoAuthError,
    ZohoConflictError,
    ZohoConnectionError,
    ZohoNotFoundError,
    ZohoRateLimitError,
    ZohoRequestError,
    ZohoServerError,
)
from actionplane.zoho.tokens import FileTokenCache
from actionplane.zoho.transport import RetryPolicy, ZohoExchange
from actionplane.zoho.writes import WriteOutcome

from .zoho_client_testing import (
    CLIENT_SECRET,
    DEAL_ID,
    MODIFIED_TIME,
    REFRESH_TOKEN,
    FakeZoho,
    deal,
    json_body,
    json_response,
    no_wait_retry,
    zoho_error,
)

RECORD_PATH = f"/crm/v8/Deals/{DEAL_ID}"
OTHER_ID = "4200017000000527011"
SUCCESS_ITEM = {
    "code": "SUCCESS",
    "details": {"Modified_Time": "2025-03-02T09:00:00+00:00", "id": DEAL_ID},
    "message": "record updated",
    "status": "success",
}


def invalid_data(field: str) -> dict[str, Any]:
    return {
        "code": "INVALID_DATA",
        "details": {"api_name": field, "json_path": f"$.data[0].{field}"},
        "message": "invalid data",
        "status": "error",
    }


@pytest.fixture
def fake() -> FakeZoho:
    return FakeZoho()


@pytest.fixture
def client(fake: FakeZoho) -> ZohoClient:
    return fake.client()


# Reads


def test_list_modules(fake: FakeZoho, client: ZohoClient) -> None:
    modules = [{"api_name": "Deals", "api_supported": True}]
    fake.on("GET", "/crm/v8/settings/modules", json_response(200, {"modules": modules}))

    assert client.list_modules() == modules


def test_get_fields_sends_module(fake: FakeZoho, client: ZohoClient) -> None:
    fields = [{"api_name": "Stage", "data_type": "picklist"}]
    fake.on("GET", "/crm/v8/settings/fields", json_response(200, {"fields": fields}))

    assert client.get_fields("Deals") == fields
    assert fake.crm_requests()[0].url.params["module"] == "Deals"


def test_get_fields_no_content_is_empty(fake: FakeZoho, client: ZohoClient) -> None:
    fake.on("GET", "/crm/v8/settings/fields", httpx.Response(204))

    assert client.get_fields("Deals") == []


def test_get_current_user(fake: FakeZoho, client: ZohoClient) -> None:
    user = {"id": "1", "email": "avery@example.com"}
    fake.on("GET", "/crm/v8/users", json_response(200, {"users": [user]}))

    assert client.get_current_user() == user
    assert fake.crm_requests()[0].url.params["type"] == "CurrentUser"


def test_get_org(fake: FakeZoho, client: ZohoClient) -> None:
    org = {"id": "9", "company_name": "Northwind"}
    fake.on("GET", "/crm/v8/org", json_response(200, {"org": [org]}))

    assert client.get_org() == org


def test_get_record_strips_dollar_keys(fake: FakeZoho, client: ZohoClient) -> None:
    record = deal(Subform=[{"id": "5", "$in_merge": False, "Qty": 2}])
    fake.on("GET", RECORD_PATH, json_response(200, {"data": [record]}))

    result = client.get_record("Deals", DEAL_ID)

    assert result["Stage"] == "Qualification"
    assert result["Subform"] == [{"id": "5", "Qty": 2}]
    assert not [key for key in result if key.startswith("$")]


def test_get_record_sends_fields(fake: FakeZoho, client: ZohoClient) -> None:
    fake.on("GET", RECORD_PATH, json_response(200, {"data": [deal()]}))

    client.get_record("Deals", DEAL_ID, fields=["Stage", "Amount"])

    assert fake.crm_requests()[0].url.params["fields"] == "Stage,Amount"


@pytest.mark.parametrize(
    "reply",
    [
        httpx.Response(204),
        zoho_error(400, "INVALID_DATA", "the id given seems to be invalid"),
        json_response(200, {"data": []}),
    ],
    ids=["no-content", "invalid-id", "empty-data"],
)
def test_missing_record_raises_not_found(
    fake: FakeZoho, client: ZohoClient, reply: httpx.Response
) -> None:
    fake.on("GET", RECORD_PATH, reply)

    with pytest.raises(ZohoNotFoundError, match=DEAL_ID):
        client.get_record("Deals", DEAL_ID)


@pytest.mark.parametrize(
    ("module", "record_id"),
    [("Deals/../users", DEAL_ID), ("Deals", "12?x=1"), ("", DEAL_ID), ("Deals", "")],
    ids=["module-path", "id-query", "empty-module", "empty-id"],
)
def test_bad_path_segments_are_rejected(
    fake: FakeZoho, client: ZohoClient, module: str, record_id: str
) -> None:
    with pytest.raises(ZohoRequestError):
        client.get_record(module, record_id)

    assert fake.requests == []


@pytest.mark.parametrize(
    ("reply", "error_class", "code"),
    [
        (
            zoho_error(
                401, "OAUTH_SCOPE_MISMATCH", "invalid oauth scope to access this URL"
            ),
            ZohoAuthError,
            "OAUTH_SCOPE_MISMATCH",
        ),
        (
            zoho_error(401, "AUTHENTICATION_FAILURE", "Authentication failed"),
            ZohoAuthError,
            "AUTHENTICATION_FAILURE",
        ),
        (
            zoho_error(
                403,
                "NO_PERMISSION",
                "Permission denied",
                permissions=["Crm_Implied_View_Deals"],
            ),
            ZohoApiError,
            "NO_PERMISSION",
        ),
        (
            zoho_error(
                400, "INVALID_MODULE", "the module name given seems to be invalid"
            ),
            ZohoApiError,
            "INVALID_MODULE",
        ),
        (
            zoho_error(404, "INVALID_URL_PATTERN", "Please check the URL"),
            ZohoApiError,
            "INVALID_URL_PATTERN",
        ),
        (
            json_response(400, {"data": [invalid_data("Stage")]}),
            ZohoApiError,
            "INVALID_DATA",
        ),
        (httpx.Response(418, text="teapot"), ZohoApiError, "HTTP_418"),
    ],
    ids=[
        "scope",
        "authentication",
        "no-permission",
        "invalid-module",
        "url-pattern",
        "data-shape",
        "no-body",
    ],
)
def test_error_shapes_become_typed_errors(
    fake: FakeZoho,
    client: ZohoClient,
    reply: httpx.Response,
    error_class: type[ZohoApiError],
    code: str,
) -> None:
    fake.on("GET", RECORD_PATH, reply)

    with pytest.raises(error_class) as raised:
        client.get_record("Deals", DEAL_ID)

    assert raised.value.code == code
    assert raised.value.http_status == reply.status_code
    assert f"GET {RECORD_PATH}" in str(raised.value)
    assert str(raised.value).endswith(".")


def test_permission_error_keeps_details(fake: FakeZoho, client: ZohoClient) -> None:
    reply = zoho_error(
        403,
        "NO_PERMISSION",
        "Permission denied",
        permissions=["Crm_Implied_View_Deals"],
    )
    fake.on("GET", RECORD_PATH, reply)

    with pytest.raises(ZohoApiError) as raised:
        client.get_record("Deals", DEAL_ID)

    assert raised.value.details == {"permissions": ["Crm_Implied_View_Deals"]}
    assert raised.value.zoho_message == "Permission denied"


# Retries on reads


@pytest.mark.parametrize(
    "failures",
    [
        [zoho_error(429, "TOO_MANY_REQUESTS")],
        [zoho_error(500, "INTERNAL_ERROR"), httpx.Response(502, text="bad gateway")],
        [httpx.ConnectError("refused"), httpx.ReadTimeout("slow")],
    ],
    ids=["429", "5xx", "transport"],
)
def test_reads_recover_after_retries(fake: FakeZoho, failures: list[Any]) -> None:
    retry, delays = no_wait_retry(attempts=3)
    fake.on("GET", RECORD_PATH, *failures, json_response(200, {"data": [deal()]}))

    record = fake.client(retry=retry).get_record("Deals", DEAL_ID)

    assert record["id"] == DEAL_ID
    assert len(delays) == len(failures)
    assert len(fake.crm_requests()) == len(failures) + 1


@pytest.mark.parametrize(
    ("reply", "error_class"),
    [
        (zoho_error(429, "TOO_MANY_REQUESTS", "limit"), ZohoRateLimitError),
        (zoho_error(500, "INTERNAL_ERROR", "Internal Server Error"), ZohoServerError),
        (httpx.ReadTimeout("slow"), ZohoConnectionError),
    ],
    ids=["429", "500", "timeout"],
)
def test_reads_give_up_after_attempts(
    fake: FakeZoho, reply: Any, error_class: type[Exception]
) -> None:
    retry, delays = no_wait_retry(attempts=3)
    fake.default("GET", RECORD_PATH, reply)

    with pytest.raises(error_class):
        fake.client(retry=retry).get_record("Deals", DEAL_ID)

    assert len(fake.crm_requests()) == 3
    assert delays == [0.375, 0.75]


def test_retry_delay_grows_with_jitter_bounds() -> None:
    low = RetryPolicy(base_delay=1.0, max_delay=5.0, random=lambda: 0.0)
    high = RetryPolicy(base_delay=1.0, max_delay=5.0, random=lambda: 1.0)

    assert [low.delay(n) for n in (1, 2, 3, 4)] == [0.5, 1.0, 2.0, 2.5]
    assert [high.delay(n) for n in (1, 2, 3, 4)] == [1.0, 2.0, 4.0, 5.0]


def test_retry_policy_needs_one_attempt() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        RetryPolicy(attempts=0)


def test_timeout_applies_to_calls(fake: FakeZoho) -> None:
    seen: list[dict[str, Any]] = []

    def reply(request: httpx.Request) -> httpx.Response:
        seen.append(request.extensions["timeout"])
        return json_response(200, {"data": [deal()]})

    fake.on("GET", RECORD_PATH, reply)
    fake.client(timeout=2.5).get_record("Deals", DEAL_ID)

    assert seen == [{"connect": 2.5, "read": 2.5, "write": 2.5, "pool": 2.5}]
    assert fake.token_requests()[0].extensions["timeout"]["read"] == 2.5


# Concurrency


def test_concurrency_limit_holds_across_threads(fake: FakeZoho) -> None:
    in_flight = 0
    peak = 0
    lock = threading.Lock()

    def slow(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        with lock:
            in_flight += 1
            peak = max(peak, in_flight)
        time.sleep(0.02)
        with lock:
            in_flight -= 1
        return json_response(200, {"data": [deal()]})

    fake.default("GET", RECORD_PATH, slow)
    client = fake.client(max_concurrency=3)
    threads = [
        threading.Thread(target=client.get_record, args=("Deals", DEAL_ID))
        for _ in range(12)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert peak == 3
    assert len(fake.crm_requests()) == 12


def test_default_concurrency_is_five(client: ZohoClient) -> None:
    assert client.max_concurrency == 5


# Single-record updates


def test_update_record_sends_values_and_condition(
    fake: FakeZoho, client: ZohoClient
) -> None:
    fake.on("PUT", RECORD_PATH, json_response(200, {"data": [SUCCESS_ITEM]}))
    since = datetime(
        2025, 3, 1, 15, 30, tzinfo=timezone(timedelta(hours=5, minutes=30))
    )

    result = client.update_record(
        "Deals", DEAL_ID, {"Stage": "Closed Won"}, if_unmodified_since=since, trigger=[]
    )

    [request] = fake.crm_requests("PUT")
    assert json_body(request) == {"data": [{"Stage": "Closed Won"}], "trigger": []}
    assert request.headers["If-Unmodified-Since"] == "2025-03-01T15:30:00+05:30"
    assert result.outcome is WriteOutcome.LANDED
    assert result.source == "response"
    assert result.code == "SUCCESS"
    assert result.modified_time == "2025-03-02T09:00:00+00:00"


def test_update_record_leaves_trigger_out_by_default(
    fake: FakeZoho, client: ZohoClient
) -> None:
    fake.on("PUT", RECORD_PATH, json_response(200, {"data": [SUCCESS_ITEM]}))

    client.update_record("Deals", DEAL_ID, {"Stage": "Closed Won", "id": DEAL_ID})

    [request] = fake.crm_requests("PUT")
    assert json_body(request) == {"data": [{"Stage": "Closed Won"}]}
    assert "If-Unmodified-Since" not in request.headers


@pytest.mark.parametrize(
    ("since", "header"),
    [
        ("2025-03-01T10:00:00+00:00", "2025-03-01T10:00:00+00:00"),
        ("2025-03-01T10:00:00Z", "2025-03-01T10:00:00+00:00"),
        (
            datetime(2025, 3, 1, 10, 0, 0, 123456, tzinfo=UTC),
            "2025-03-01T10:00:00+00:00",
        ),
    ],
    ids=["offset-string", "z-string", "datetime-microseconds"],
)
def test_if_unmodified_since_formats(
    fake: FakeZoho, client: ZohoClient, since: Any, header: str
) -> None:
    fake.on("PUT", RECORD_PATH, json_response(200, {"data": [SUCCESS_ITEM]}))

    client.update_record(
        "Deals", DEAL_ID, {"Stage": "Closed Won"}, if_unmodified_since=since
    )

    assert fake.crm_requests("PUT")[0].headers["If-Unmodified-Since"] == header


@pytest.mark.parametrize(
    "since",
    [datetime(2025, 3, 1, 10, 0), "2025-03-01T10:00:00", "yesterday"],
    ids=["naive-datetime", "naive-string", "not-a-time"],
)
def test_bad_if_unmodified_since_is_rejected(
    fake: FakeZoho, client: ZohoClient, since: Any
) -> None:
    with pytest.raises(ZohoRequestError, match="if_unmodified_since"):
        client.update_record(
            "Deals", DEAL_ID, {"Stage": "Closed Won"}, if_unmodified_since=since
        )

    assert fake.requests == []


def test_update_record_id_mismatch_is_rejected(
    fake: FakeZoho, client: ZohoClient
) -> None:
    with pytest.raises(ZohoRequestError, match="differs from record_id"):
        client.update_record("Deals", DEAL_ID, {"id": OTHER_ID, "Stage": "Closed Won"})

    assert fake.requests == []


def test_stale_update_raises_conflict(fake: FakeZoho, client: ZohoClient) -> None:
    item = {
        "code": "ALREADY_MODIFIED",
        "message": "record updated time has already passed if-unmodified-since time",
        "status": "error",
        "details": {"Modified_Time": "2025-03-05T12:00:24+05:30", "id": DEAL_ID},
    }
    fake.on("PUT", RECORD_PATH, json_response(412, {"data": [item]}))

    with pytest.raises(ZohoConflictError) as raised:
        client.update_record(
            "Deals", DEAL_ID, {"Stage": "Closed Won"}, if_unmodified_since=MODIFIED_TIME
        )

    assert raised.value.modified_time == "2025-03-05T12:00:24+05:30"
    assert raised.value.record_id == DEAL_ID
    assert raised.value.http_status == 412
    assert "2025-03-05T12:00:24+05:30" in str(raised.value)
    assert len(fake.crm_requests("PUT")) == 1


def test_rejected_update_raises_with_field(fake: FakeZoho, client: ZohoClient) -> None:
    fake.on("PUT", RECORD_PATH, json_response(400, {"data": [invalid_data("Amount")]}))

    with pytest.raises(ZohoApiError) as raised:
        client.update_record("Deals", DEAL_ID, {"Amount": "many"})

    assert raised.value.code == "INVALID_DATA"
    assert raised.value.details["api_name"] == "Amount"
    assert "Amount" in str(raised.value)


def test_top_level_write_error_raises(fake: FakeZoho, client: ZohoClient) -> None:
    fake.on(
        "PUT",
        RECORD_PATH,
        zoho_error(400, "INVALID_MODULE", "the module name given seems to be invalid"),
    )

    with pytest.raises(ZohoApiError, match="INVALID_MODULE"):
        client.update_record("Deals", DEAL_ID, {"Stage": "Closed Won"})


def test_write_is_resent_after_429(fake: FakeZoho) -> None:
    retry, delays = no_wait_retry(attempts=3)
    fake.on(
        "PUT",
        RECORD_PATH,
        zoho_error(429, "TOO_MANY_REQUESTS"),
        json_response(200, {"data": [SUCCESS_ITEM]}),
    )

    result = fake.client(retry=retry).update_record(
        "Deals", DEAL_ID, {"Stage": "Closed Won"}
    )

    assert result.landed
    assert len(fake.crm_requests("PUT")) == 2
    assert len(delays) == 1


def test_write_429_gives_up(fake: FakeZoho) -> None:
    retry, _ = no_wait_retry(attempts=2)
    fake.default("PUT", RECORD_PATH, zoho_error(429, "TOO_MANY_REQUESTS", "limit"))

    with pytest.raises(ZohoRateLimitError):
        fake.client(retry=retry).update_record(
            "Deals", DEAL_ID, {"Stage": "Closed Won"}
        )

    assert len(fake.crm_requests("PUT")) == 2


def test_write_is_resent_when_connection_never_opened(fake: FakeZoho) -> None:
    fake.on(
        "PUT",
        RECORD_PATH,
        httpx.ConnectError("refused"),
        json_response(200, {"data": [SUCCESS_ITEM]}),
    )

    assert fake.client().update_record("Deals", DEAL_ID, {"Stage": "Closed Won"}).landed
    assert len(fake.crm_requests("PUT")) == 2


def test_write_after_expired_token_is_resent_once(
    fake: FakeZoho, client: ZohoClient
) -> None:
    fake.on("GET", RECORD_PATH, json_response(200, {"data": [deal()]}))
    client.get_record("Deals", DEAL_ID)
    fake.expire_tokens()
    fake.on("PUT", RECORD_PATH, json_response(200, {"data": [SUCCESS_ITEM]}))

    assert client.update_record("Deals", DEAL_ID, {"Stage": "Closed Won"}).landed
    assert len(fake.crm_requests("PUT")) == 2
    assert len(fake.token_requests()) == 2


# Ambiguous writes are read back, never resent


@pytest.mark.parametrize(
    ("failure", "read_back", "since", "outcome"),
    [
        (
            httpx.ReadTimeout("slow"),
            deal(Stage="Closed Won", Modified_Time="2025-03-02T09:00:00+00:00"),
            MODIFIED_TIME,
            WriteOutcome.LANDED,
        ),
        (
            httpx.RemoteProtocolError("dropped"),
            deal(),
            MODIFIED_TIME,
            WriteOutcome.NOT_LANDED,
        ),
        (
            zoho_error(500, "INTERNAL_ERROR"),
            deal(Stage="Closed Won"),
            None,
            WriteOutcome.LANDED,
        ),
        (
            httpx.Response(503, text="unavailable"),
            deal(),
            None,
            WriteOutcome.NOT_LANDED,
        ),
        (
            httpx.ReadTimeout("slow"),
            deal(Stage="Negotiation/Review", Modified_Time="2025-03-02T09:00:00+00:00"),
            MODIFIED_TIME,
            WriteOutcome.UNKNOWN,
        ),
        (
            httpx.ReadTimeout("slow"),
            {"id": DEAL_ID, "Modified_Time": MODIFIED_TIME},
            MODIFIED_TIME,
            WriteOutcome.UNKNOWN,
        ),
    ],
    ids=[
        "timeout-landed",
        "dropped-not-landed",
        "500-landed",
        "503-not-landed",
        "changed-by-others",
        "field-not-returned",
    ],
)
def test_ambiguous_write_is_read_back(
    fake: FakeZoho,
    failure: Any,
    read_back: dict[str, Any],
    since: str | None,
    outcome: WriteOutcome,
) -> None:
    fake.on("PUT", RECORD_PATH, failure)
    fake.on("GET", RECORD_PATH, json_response(200, {"data": [read_back]}))

    result = fake.client().update_record(
        "Deals", DEAL_ID, {"Stage": "Closed Won"}, if_unmodified_since=since
    )

    assert result.outcome is outcome
    assert result.source == "read_back"
    assert result.ambiguity
    assert len(fake.crm_requests("PUT")) == 1
    assert len(fake.crm_requests("GET")) == 1


def test_failed_read_back_is_unknown(fake: FakeZoho) -> None:
    retry, _ = no_wait_retry(attempts=2)
    fake.on("PUT", RECORD_PATH, httpx.ReadTimeout("slow"))
    fake.default("GET", RECORD_PATH, httpx.ConnectError("refused"))

    result = fake.client(retry=retry).update_record(
        "Deals", DEAL_ID, {"Stage": "Closed Won"}
    )

    assert result.outcome is WriteOutcome.UNKNOWN
    assert "read-back failed" in result.message
    assert len(fake.crm_requests("PUT")) == 1


# Bulk updates


def test_bulk_partial_success_gives_per_record_results(
    fake: FakeZoho, client: ZohoClient
) -> None:
    second = {
        **invalid_data("Amount"),
        "details": {"api_name": "Amount", "json_path": "$.data[1].Amount"},
    }
    fake.on(
        "PUT", "/crm/v8/Deals", json_response(207, {"data": [SUCCESS_ITEM, second]})
    )
    records = [
        {"id": DEAL_ID, "Stage": "Closed Won"},
        {"id": OTHER_ID, "Amount": "many"},
    ]

    result = client.update_records("Deals", records)

    assert result.http_status == 207
    assert [r.outcome for r in result.results] == [
        WriteOutcome.LANDED,
        WriteOutcome.NOT_LANDED,
    ]
    assert [r.record_id for r in result.results] == [DEAL_ID, OTHER_ID]
    assert result.results[1].error is not None
    assert result.results[1].error.details["api_name"] == "Amount"
    assert not result.all_landed
    assert json_body(fake.crm_requests("PUT")[0])["data"] == records


def test_bulk_all_failed_returns_results(fake: FakeZoho, client: ZohoClient) -> None:
    conflict = {
        "code": "ALREADY_MODIFIED",
        "message": "stale",
        "status": "error",
        "details": {"Modified_Time": "2025-03-09T00:00:00+00:00"},
    }
    fake.on(
        "PUT",
        "/crm/v8/Deals",
        json_response(400, {"data": [invalid_data("Stage"), conflict]}),
    )

    result = client.update_records(
        "Deals", [{"id": DEAL_ID, "Stage": "x"}, {"id": OTHER_ID, "Stage": "y"}]
    )

    assert result.http_status == 400
    assert result.with_outcome(WriteOutcome.NOT_LANDED) == result.results
    assert isinstance(result.results[1].error, ZohoConflictError)
    assert result.results[1].error.modified_time == "2025-03-09T00:00:00+00:00"


def test_bulk_success_ignoring_item_status_is_checked(
    fake: FakeZoho, client: ZohoClient
) -> None:
    fake.on(
        "PUT",
        "/crm/v8/Deals",
        json_response(200, {"data": [SUCCESS_ITEM, invalid_data("Stage")]}),
    )

    result = client.update_records(
        "Deals", [{"id": DEAL_ID, "Stage": "a"}, {"id": OTHER_ID, "Stage": "b"}]
    )

    assert [r.landed for r in result.results] == [True, False]


def test_bulk_missing_item_is_read_back(fake: FakeZoho, client: ZohoClient) -> None:
    fake.on("PUT", "/crm/v8/Deals", json_response(200, {"data": [SUCCESS_ITEM]}))
    fake.on(
        "GET",
        f"/crm/v8/Deals/{OTHER_ID}",
        json_response(200, {"data": [deal(id=OTHER_ID, Stage="b")]}),
    )

    result = client.update_records(
        "Deals", [{"id": DEAL_ID, "Stage": "a"}, {"id": OTHER_ID, "Stage": "b"}]
    )

    assert result.results[1].source == "read_back"
    assert result.results[1].landed


def test_bulk_over_limit_raises_before_calling(
    fake: FakeZoho, client: ZohoClient
) -> None:
    records = [{"id": str(4200017000000000000 + n), "Stage": "a"} for n in range(101)]

    with pytest.raises(ZohoRequestError, match="101 records"):
        client.update_records("Deals", records)

    assert fake.requests == []


def test_bulk_of_exactly_100_is_sent(fake: FakeZoho, client: ZohoClient) -> None:
    records = [{"id": str(4200017000000000000 + n), "Stage": "a"} for n in range(100)]
    fake.on("PUT", "/crm/v8/Deals", json_response(200, {"data": [SUCCESS_ITEM] * 100}))

    assert client.update_records("Deals", records).all_landed


def test_bulk_record_without_id_is_rejected(fake: FakeZoho, client: ZohoClient) -> None:
    with pytest.raises(ZohoRequestError, match="Record 1 of the update has no 'id'"):
        client.update_records("Deals", [{"id": DEAL_ID}, {"Stage": "a"}])

    assert fake.requests == []


def test_empty_bulk_makes_no_call(fake: FakeZoho, client: ZohoClient) -> None:
    result = client.update_records("Deals", [])

    assert result.results == []
    assert fake.requests == []


def test_bulk_ambiguous_reads_back_each_record(
    fake: FakeZoho, client: ZohoClient
) -> None:
    fake.on("PUT", "/crm/v8/Deals", httpx.ReadTimeout("slow"))
    fake.on("GET", RECORD_PATH, json_response(200, {"data": [deal(Stage="a")]}))
    fake.on(
        "GET",
        f"/crm/v8/Deals/{OTHER_ID}",
        json_response(200, {"data": [deal(id=OTHER_ID)]}),
    )

    result = client.update_records(
        "Deals", [{"id": DEAL_ID, "Stage": "a"}, {"id": OTHER_ID, "Stage": "b"}]
    )

    assert result.http_status is None
    assert [r.outcome for r in result.results] == [
        WriteOutcome.LANDED,
        WriteOutcome.NOT_LANDED,
    ]
    assert len(fake.crm_requests("PUT")) == 1


# Logging, evidence and secrets


def test_one_info_line_per_call(
    fake: FakeZoho, client: ZohoClient, caplog: pytest.LogCaptureFixture
) -> None:
    fake.on("GET", RECORD_PATH, json_response(200, {"data": [deal()]}))
    caplog.set_level(logging.INFO, logger="actionplane.zoho")

    client.get_record("Deals", DEAL_ID)

    lines = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert len(lines) == 2
    assert lines[0].startswith(
        "POST https://accounts.zoho.com/oauth/v2/token -> 200 in "
    )
    assert lines[1].startswith(f"GET https://www.zohoapis.com{RECORD_PATH} -> 200 in ")
    assert lines[1].endswith(" ms")
    assert all(r.name == "actionplane.zoho" for r in caplog.records)


def test_recorder_receives_redacted_exchanges(fake: FakeZoho) -> None:
    exchanges: list[ZohoExchange] = []
    fake.on("PUT", RECORD_PATH, json_response(200, {"data": [SUCCESS_ITEM]}))
    client = fake.client(recorder=exchanges.append)

    client.update_record(
        "Deals", DEAL_ID, {"Stage": "Closed Won"}, if_unmodified_since=MODIFIED_TIME
    )

    token_call, write = exchanges
    assert token_call.path == "/oauth/v2/token"
    assert token_call.request_body["client_secret"] == "[REDACTED]"
    assert token_call.request_body["refresh_token"] == "[REDACTED]"
    assert token_call.request_body["grant_type"] == "refresh_token"
    assert token_call.response_body["access_token"] == "[REDACTED]"
    assert write.method == "PUT"
    assert write.origin == "https://www.zohoapis.com"
    assert write.path == RECORD_PATH
    assert write.request_headers["authorization"] == "[REDACTED]"
    assert write.request_headers["if-unmodified-since"] == MODIFIED_TIME
    assert write.request_body == {"data": [{"Stage": "Closed Won"}]}
    assert write.status == 200
    assert write.response_body == {"data": [SUCCESS_ITEM]}
    assert write.duration_ms >= 0
    assert write.error is None


def test_recorder_sees_transport_failures(fake: FakeZoho) -> None:
    exchanges: list[ZohoExchange] = []
    fake.on("PUT", RECORD_PATH, httpx.ReadTimeout("slow"))
    fake.on("GET", RECORD_PATH, json_response(200, {"data": [deal()]}))

    fake.client(recorder=exchanges.append).update_record(
        "Deals", DEAL_ID, {"Stage": "Closed Won"}
    )

    failed = [e for e in exchanges if e.method == "PUT"]
    assert failed[0].status is None
    assert failed[0].error == "ReadTimeout: slow"


def test_secrets_never_leak(
    fake: FakeZoho, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    caplog.set_level(logging.DEBUG, logger="actionplane.zoho")
    exchanges: list[ZohoExchange] = []
    echo = {"error": "invalid_scope", "detail": f"got {CLIENT_SECRET} {REFRESH_TOKEN}"}
    fake.token_replies.append(json_response(200, echo))
    fake.on("GET", RECORD_PATH, echo_access_token)
    client = fake.client(FileTokenCache(tmp_path), recorder=exchanges.append)

    with pytest.raises(ZohoAuthError) as raised:
        client.get_record("Deals", DEAL_ID)
    client.get_record("Deals", DEAL_ID)

    texts = [r.getMessage() for r in caplog.records]
    texts += [str(raised.value), repr(raised.value)]
    texts += [repr(exchange) for exchange in exchanges]
    assert len(exchanges) == 3
    for secret in (CLIENT_SECRET, REFRESH_TOKEN, *fake.issued):
        for text in texts:
            assert secret not in text
    cache_text = (tmp_path / "zoho-tokens.json").read_text()
    assert CLIENT_SECRET not in cache_text
    assert REFRESH_TOKEN not in cache_text


def echo_access_token(request: httpx.Request) -> httpx.Response:
    """Scripted with a record that repeats the request's access token."""
    token = request.headers["Authorization"].removeprefix("Zoho-oauthtoken ")
    return json_response(200, {"data": [deal(Description=f"token {token}")]})
