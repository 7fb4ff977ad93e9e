"""Fixtures for the WebSocket tests: one real server (SQLite, memory broadcast) for the run.

The two-worker test (PostgreSQL + Redis) starts its own pair, see test_two_workers.py.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.realtime.helpers import Server, sign_in_cookies
from tests.realtime.servers import (
    ORGANISER_EMAIL,
    ORGANISER_PASSWORD,
    create_organiser,
    make_server,
    running_servers,
)
from tests.servers import migrate


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One real server (SQLite, memory broadcast) for the run, with an organiser account."""
    server = make_server(tmp_path_factory.mktemp("realtime-server"))
    migrate(server.env, server.data_dir)
    create_organiser(server)
    with running_servers(server):
        yield server


@pytest.fixture(scope="session")
def organiser_cookies(server: Server) -> dict[str, str]:
    """The cookies of the organiser signed in once (Argon2 makes every sign-in slow)."""
    with httpx.Client(base_url=server.url) as client:
        return sign_in_cookies(client, ORGANISER_EMAIL, ORGANISER_PASSWORD)
