"""An in-memory GitHub REST server for the issue-comment endpoints.

It listens on 127.0.0.1 on a free port and serves the calls the client makes:
list comments (paginated with ``Link`` headers, ``per_page`` up to 100),
create, update and delete, and ``GET /user``. Tokens are checked on every call;
a token marked read-only gets GitHub's 403 "Resource not accessible by
integration" on writes, and bodies over 65,536 characters get GitHub's 422.

Each token posts as an account from ``accounts``, or as github-actions[bot]
like the Actions job token. As at GitHub, ``GET /user`` returns the account of
a token that belongs to a user and 403 for a bot's installation token.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

BODY_LIMIT = 65_536
_LIST = re.compile(r"/repos/([^/]+/[^/]+)/issues/(\d+)/comments")
_ONE = re.compile(r"/repos/([^/]+/[^/]+)/issues/comments/(\d+)")
ACTIONS_BOT = ("github-actions[bot]", "Bot")
_NOT_ACCESSIBLE = {
    "message": "Resource not accessible by integration",
    "documentation_url": "https://docs.github.com/rest",
}


@dataclass
class StoredComment:
    id: int
    repo: str
    number: int
    body: str
    author: str
    author_type: str = "User"

    def to_json(self, base_url: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "body": self.body,
            "user": {"login": self.author, "type": self.author_type},
            "html_url": f"{base_url}/{self.repo}/pull/{self.number}#issuecomment-{self.id}",
        }


@dataclass
class FakeGitHub:
    """Server state: tokens, comments, the request log and injected failures."""

    tokens: dict[str, str] = field(default_factory=dict)  # token -> "write"/"read"
    # token -> (login, type) of the account it posts as; others post as ACTIONS_BOT
    accounts: dict[str, tuple[str, str]] = field(default_factory=dict)
    comments: dict[int, StoredComment] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)
    failures: list[tuple[int, str]] = field(default_factory=list)
    next_id: int = 1000
    lock: threading.Lock = field(default_factory=threading.Lock)
    base_url: str = ""
    # When set, next-page links point here instead of at the server itself.
    link_base: str | None = None

    def add_comment(
        self,
        repo: str,
        number: int,
        body: str,
        author: str = "someone",
        author_type: str = "User",
    ) -> int:
        with self.lock:
            self.next_id += 1
            self.comments[self.next_id] = StoredComment(
                self.next_id, repo, number, body, author, author_type
            )
            return self.next_id

    def authors(self, repo: str, number: int) -> list[str]:
        """Return the comment authors on one pull request, oldest first."""
        return [
            comment.author
            for comment in sorted(self.comments.values(), key=lambda item: item.id)
            if comment.repo == repo and comment.number == number
        ]

    def bodies(self, repo: str, number: int) -> list[str]:
        """Return the bodies on one pull request, oldest first."""
        return [
            comment.body
            for comment in sorted(self.comments.values(), key=lambda item: item.id)
            if comment.repo == repo and comment.number == number
        ]

    def fail_next(self, status: int, message: str, times: int = 1) -> None:
        self.failures.extend([(status, message)] * times)

    def writes(self) -> list[tuple[str, str]]:
        return [(method, path) for method, path in self.requests if method != "GET"]


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output clean."""

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        state = self.server.state
        url = urlsplit(self.path)
        with state.lock:
            state.requests.append((method, self.path))
            failure = state.failures.pop(0) if state.failures else None
        payload = self._read_json()
        if failure is not None:
            return self._send(failure[0], {"message": failure[1]})
        access = self._access()
        if access is None:
            return self._send(401, {"message": "Bad credentials"})
        if url.path == "/user" and method == "GET":
            return self._user()
        if method != "GET" and access != "write":
            return self._send(403, _NOT_ACCESSIBLE)
        if (match := _LIST.fullmatch(url.path)) and method == "GET":
            return self._list(match.group(1), int(match.group(2)), url.query)
        if (match := _LIST.fullmatch(url.path)) and method == "POST":
            return self._create(match.group(1), int(match.group(2)), payload)
        if (match := _ONE.fullmatch(url.path)) and method in {"PATCH", "DELETE"}:
            return self._change(method, match.group(1), int(match.group(2)), payload)
        self._send(404, {"message": "Not Found"})

    def _access(self) -> str | None:
        return self.server.state.tokens.get(self._token())

    def _token(self) -> str:
        header = self.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        return token if scheme.lower() in {"bearer", "token"} else ""

    def _account(self) -> tuple[str, str]:
        return self.server.state.accounts.get(self._token(), ACTIONS_BOT)

    def _user(self) -> None:
        login, kind = self._account()
        if kind == "Bot":
            return self._send(403, _NOT_ACCESSIBLE)
        self._send(200, {"login": login, "id": 583231, "type": kind})

    def _read_json(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        if not length:
            return {}
        return dict(json.loads(self.rfile.read(length)))

    def _list(self, repo: str, number: int, query: str) -> None:
        params = parse_qs(query)
        per_page = min(int(params.get("per_page", ["30"])[0]), 100)
        page = int(params.get("page", ["1"])[0])
        state = self.server.state
        with state.lock:
            matching = [
                comment.to_json(state.base_url)
                for comment in sorted(state.comments.values(), key=lambda c: c.id)
                if comment.repo == repo and comment.number == number
            ]
        start = (page - 1) * per_page
        headers = {}
        if start + per_page < len(matching):
            next_url = (
                f"{state.link_base or state.base_url}/repos/{repo}/issues/{number}/comments"
                f"?per_page={per_page}&page={page + 1}"
            )
            headers["Link"] = f'<{next_url}>; rel="next"'
        self._send(200, matching[start : start + per_page], headers)

    def _create(self, repo: str, number: int, payload: dict[str, Any]) -> None:
        body = str(payload.get("body", ""))
        if len(body) > BODY_LIMIT:
            return self._too_long()
        state = self.server.state
        login, kind = self._account()
        comment_id = state.add_comment(repo, number, body, login, kind)
        self._send(201, state.comments[comment_id].to_json(state.base_url))

    def _change(
        self, method: str, repo: str, comment_id: int, payload: dict[str, Any]
    ) -> None:
        state = self.server.state
        comment = state.comments.get(comment_id)
        if comment is None or comment.repo != repo:
            return self._send(404, {"message": "Not Found"})
        if method == "DELETE":
            with state.lock:
                del state.comments[comment_id]
            return self._send(204, None)
        body = str(payload.get("body", ""))
        if len(body) > BODY_LIMIT:
            return self._too_long()
        comment.body = body
        self._send(200, comment.to_json(state.base_url))

    def _too_long(self) -> None:
        message = f"Body is too long (maximum is {BODY_LIMIT} characters)"
        error = {"resource": "IssueComment", "code": "custom", "message": message}
        self._send(422, {"message": "Validation Failed", "errors": [error]})

    def _send(
        self, status: int, data: Any, headers: dict[str, str] | None = None
    ) -> None:
        raw = b"" if data is None else json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(raw)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, state: FakeGitHub):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state = state


class RunningFakeGitHub:
    """Start the server in a thread; ``url`` is its API base URL."""

    def __init__(self, state: FakeGitHub):
        self.state = state
        self._server = _Server(state)
        host, port = self._server.server_address[:2]
        self.url = f"http://{host}:{port}"
        state.base_url = self.url
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )

    def __enter__(self) -> RunningFakeGitHub:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
