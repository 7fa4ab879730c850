"""The loopback control endpoint, `/__sandbox__/...`, for tests and demos.

All bodies are JSON. Only clients on a loopback address are served, even when
the server listens on another interface.

| method       | path                               | effect                                   |
|--------------|------------------------------------|------------------------------------------|
| GET          | /__sandbox__/health                | `{"status": "ok", "url": ...}`           |
| GET          | /__sandbox__/options               | current switches                         |
| PATCH, POST  | /__sandbox__/options               | change the switches named in the body    |
| POST         | /__sandbox__/reset                 | seeded state and start-up switches again |
| POST         | /__sandbox__/expire-tokens         | expire every access token now            |
| POST         | /__sandbox__/grant-codes           | mint a grant code (`scope`, `redirect_uri`, `expires_in_seconds`) |
| GET          | /__sandbox__/calls                 | the call log, oldest first               |
| DELETE       | /__sandbox__/calls                 | empty the call log                       |
| GET          | /__sandbox__/records/{Module}/{id} | a record, without auth or faults         |

Errors return `{"error": "<message>"}` with status 400, 403 or 404.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from actionplane.zoho.hosts import is_loopback
from actionplane.zoho.sandbox.accounts import DEFAULT_CODE_TTL_SECONDS
from actionplane.zoho.sandbox.http_types import Request, Response
from actionplane.zoho.sandbox.options import SandboxOptionError

if TYPE_CHECKING:
    from actionplane.zoho.sandbox.app import SandboxApp

PREFIX = "/__sandbox__/"


def control_error(status: int, message: str) -> Response:
    return Response(status, {"error": message})


def handle(app: SandboxApp, request: Request) -> Response:
    if not is_loopback(f"http://{_bracketed(request.client_host)}"):
        return control_error(
            403, "the sandbox control endpoint serves only loopback clients"
        )
    route = request.path[len(PREFIX) :].strip("/")
    body = _json_object(request)
    if isinstance(body, Response):
        return body
    try:
        return _dispatch(app, request.method, route, body)
    except SandboxOptionError as exc:
        return control_error(400, exc.message)


def _dispatch(
    app: SandboxApp, method: str, route: str, body: dict[str, Any]
) -> Response:
    if (method, route) == ("GET", "health"):
        return Response(200, {"status": "ok", "url": app.own_url})
    if route == "options" and method == "GET":
        return Response(200, app.options.to_dict())
    if route == "options" and method in ("PATCH", "POST"):
        return Response(200, app.configure(body).to_dict())
    if (method, route) == ("POST", "reset"):
        app.reset()
        return Response(200, {"status": "reset"})
    if (method, route) == ("POST", "expire-tokens"):
        return Response(200, {"expired": app.expire_tokens()})
    if (method, route) == ("POST", "grant-codes"):
        return _mint_code(app, body)
    if route == "calls" and method == "GET":
        return Response(200, {"calls": app.calls()})
    if route == "calls" and method == "DELETE":
        app.clear_calls()
        return Response(200, {"calls": []})
    if method == "GET" and route.startswith("records/") and route.count("/") == 2:
        _, module, record_id = route.split("/")
        record = app.record(module, record_id)
        if record is None:
            return control_error(404, f"no {module} record with id {record_id}")
        return Response(200, {"data": [record]})
    return control_error(404, f"no control route {method} {PREFIX}{route}")


def _mint_code(app: SandboxApp, body: dict[str, Any]) -> Response:
    scope = body.get("scope")
    redirect_uri = body.get("redirect_uri")
    expires_in = body.get("expires_in_seconds", DEFAULT_CODE_TTL_SECONDS)
    if scope is not None and not isinstance(scope, str):
        return control_error(400, "scope must be a string of space-separated scopes")
    if redirect_uri is not None and not isinstance(redirect_uri, str):
        return control_error(400, "redirect_uri must be a string")
    if (
        isinstance(expires_in, bool)
        or not isinstance(expires_in, int)
        or expires_in < 1
    ):
        return control_error(
            400, "expires_in_seconds must be a whole number of at least 1"
        )
    code = app.mint_grant_code(
        scope=scope, redirect_uri=redirect_uri, expires_in_seconds=expires_in
    )
    return Response(200, {"code": code, "expires_in": expires_in})


def _json_object(request: Request) -> dict[str, Any] | Response:
    if not request.body.strip():
        return {}
    try:
        body = request.json()
    except ValueError:
        return control_error(400, "the request body is not valid JSON")
    if not isinstance(body, dict):
        return control_error(400, "the request body must be a JSON object")
    return body


def _bracketed(host: str) -> str:
    return f"[{host}]" if ":" in host else host
