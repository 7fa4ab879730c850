from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sandbox_testing import bearer, new_access_token

from actionplane.zoho.sandbox import SandboxServer


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer() as server:
        yield server


@pytest.fixture
def client(sandbox: SandboxServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox.url, timeout=10) as http:
        yield http


@pytest.fixture
def auth(client: httpx.Client) -> dict[str, str]:
    return bearer(new_access_token(client))
