"""The sandbox's HTTP server: Zoho's accounts and CRM endpoints on one port."""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from actionplane.errors import ActionPlaneError
from actionplane.zoho.sandbox.accounts import DEFAULT_CODE_TTL_SECONDS
from actionplane.zoho.sandbox.app import SandboxApp
from actionplane.zoho.sandbox.catalog import Catalog
from actionplane.zoho.sandbox.http_types import Request, Response, api_error
from actionplane.zoho.sandbox.options import SandboxOptions
from actionplane.zoho.sandbox.store import SandboxStore

logger = logging.getLogger("actionplane.zoho.sandbox")

JSON_CONTENT_TYPE = "application/json;charset=UTF-8"
NO_BODY_STATUSES = (204, 304)
MAX_LINE_BYTES = 65_536
# How often the serving thread checks for `stop()`, so also how long a stop takes.
SHUTDOWN_POLL_SECONDS = 0.02


class SandboxServerError(ActionPlaneError):
    """The sandbox server cannot listen on the requested address."""


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], app: SandboxApp) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.app = app
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up mid-response is normal for a test server, so it
        # gets a debug line instead of socketserver's traceback on stderr.
        error = sys.exc_info()[1]
        if isinstance(error, (BrokenPipeError, ConnectionResetError)):
            logger.debug("sandbox client %s went away: %s", client_address[0], error)
            return
        logger.exception("sandbox failed on a request from %s", client_address[0])


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ZGS"  # the name Zoho's gateway sends in `Server`
    sys_version = ""
    # Headers and body go out in separate writes. Without TCP_NODELAY, Nagle's
    # algorithm and delayed ACKs added about 40 ms to every response (measured
    # on Linux over loopback).
    disable_nagle_algorithm = True
    server: _HTTPServer

    def do_GET(self) -> None:
        self._dispatch()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def _dispatch(self) -> None:
        parts = urlsplit(self.path)
        try:
            body = self._read_body()
        except ValueError:
            logger.info(
                "sandbox got an unreadable body on %s %s", self.command, parts.path
            )
            self.close_connection = True
            self._send(api_error("INVALID_DATA", {"param_name": "body"}))
            return
        request = Request(
            method=self.command,
            path=parts.path,
            query=parse_qs(parts.query, keep_blank_values=True),
            headers=dict(self.headers.items()),
            body=body,
            client_host=self.client_address[0],
        )
        try:
            response = self.server.app.handle(request)
        except ActionPlaneError as exc:
            logger.error(
                "sandbox failed on %s %s: %s", self.command, parts.path, exc.message
            )
            response = api_error("INTERNAL_ERROR")
        except Exception:
            logger.exception(
                "sandbox failed unexpectedly on %s %s", self.command, parts.path
            )
            response = api_error("INTERNAL_ERROR")
        if response.drop_connection:
            self._drop()
            return
        self._send(response)

    def _read_body(self) -> bytes:
        """Read the request body; raises ValueError when its framing is invalid."""
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            return self._read_chunked()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _read_chunked(self) -> bytes:
        chunks = []
        while True:
            size = int(self.rfile.readline(MAX_LINE_BYTES).split(b";")[0], 16)
            if size == 0:
                break
            chunks.append(self.rfile.read(size))
            self.rfile.readline(MAX_LINE_BYTES)  # the CRLF that ends the chunk
        # Skip trailer fields up to the blank line that ends the message.
        while self.rfile.readline(MAX_LINE_BYTES).strip():
            pass
        return b"".join(chunks)

    def _send(self, response: Response) -> None:
        payload = b"" if response.body is None else _encode(response.body)
        self.send_response(response.status)
        if response.body is not None:
            self.send_header("Content-Type", JSON_CONTENT_TYPE)
        if response.status not in NO_BODY_STATUSES:
            self.send_header("Content-Length", str(len(payload)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if payload:
            self.wfile.write(payload)

    def _drop(self) -> None:
        self.close_connection = True
        # The client may have gone already.
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("sandbox http: " + format, *args)


def _encode(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


class SandboxServer:
    """The embedded Zoho CRM sandbox over real HTTP.

    The socket is bound when the object is made, so `url` is known before
    `start()`. `catalog` replaces the packaged modules and fields (see
    `catalog.build_catalog`). Only packaged modules have seeded records, so
    other modules start empty.
    Use it as a context manager in tests:

        with SandboxServer() as sandbox:
            httpx.post(f"{sandbox.url}/oauth/v2/token", data={...})
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        state_path: Path | None = None,
        options: SandboxOptions | None = None,
        catalog: Catalog | None = None,
    ) -> None:
        self.app = SandboxApp(
            SandboxStore(state_path), options or SandboxOptions(), catalog
        )
        try:
            self._httpd = _HTTPServer((host, port), self.app)
        except OSError as exc:
            raise SandboxServerError(
                f"cannot listen on {host}:{port}: {exc.strerror or exc}; pick another "
                "port with --port, or 0 for any free port"
            ) from exc
        self.app.own_url = self.url
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        host = str(host)
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    @property
    def options(self) -> SandboxOptions:
        return self.app.options

    def start(self) -> SandboxServer:
        """Serve in a background thread; return self."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._httpd.serve_forever,
                kwargs={"poll_interval": SHUTDOWN_POLL_SECONDS},
                name="zoho-sandbox",
                daemon=True,
            )
            self._thread.start()
            logger.info("sandbox listening on %s", self.url)
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted (for the CLI)."""
        logger.info("sandbox listening on %s", self.url)
        try:
            self._httpd.serve_forever()
        finally:
            self._httpd.server_close()

    def stop(self) -> None:
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
            self._thread = None
            logger.info("sandbox on %s stopped", self.url)
        self._httpd.server_close()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def configure(self, **changes: Any) -> SandboxOptions:
        """Change switches at run time, e.g. `configure(latency_ms=200)`."""
        return self.app.configure(changes)

    def reset(self) -> None:
        self.app.reset()

    def expire_tokens(self) -> int:
        return self.app.expire_tokens()

    def mint_grant_code(
        self,
        *,
        scope: str | None = None,
        redirect_uri: str | None = None,
        expires_in_seconds: int = DEFAULT_CODE_TTL_SECONDS,
    ) -> str:
        return self.app.mint_grant_code(
            scope=scope,
            redirect_uri=redirect_uri,
            expires_in_seconds=expires_in_seconds,
        )

    def calls(self) -> list[dict[str, Any]]:
        return self.app.calls()

    def clear_calls(self) -> None:
        self.app.clear_calls()

    def record(self, module: str, record_id: str) -> dict[str, Any] | None:
        return self.app.record(module, record_id)
