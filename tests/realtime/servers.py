"""Servers for the real-time tests: ``openspace serve`` subprocesses (see tests/servers.py)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from app.db import make_engine, open_session
from tests.factories import PASSWORD, make_user
from tests.realtime.helpers import SECRET, Server
from tests.servers import (
    free_port,
    isolated_env,
    start,
    stop,
    wait_until_healthy,
)

ORGANISER_EMAIL = "rita@example.org"
ORGANISER_PASSWORD = PASSWORD


def server_env(data_dir: Path, base_url: str, **settings: str) -> dict[str, str]:
    return isolated_env(data_dir, base_url, secret=SECRET, use_cdn="false", **settings)


@contextmanager
def running_servers(*servers: Server) -> Iterator[None]:
    """Start ``openspace serve`` for each server at once; wait until all answer; stop them."""
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for server in servers:
            processes.append(
                start(port=server.port, env=server.env, cwd=server.data_dir, log=server.log)
            )
        for server, process in zip(servers, processes, strict=True):
            wait_until_healthy(server.url, process, server.log)
        yield
    finally:
        for process in processes:
            stop(process)


def make_server(data_dir: Path, **settings: str) -> Server:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    return Server(
        url=url,
        port=port,
        env=server_env(data_dir, url, **settings),
        data_dir=data_dir,
        database_url=settings.get("database_url", ""),
    )


def create_organiser(server: Server, email: str = ORGANISER_EMAIL) -> None:
    """An organiser account, written straight into the server's database."""
    engine = make_engine(server.settings())
    try:
        with open_session(engine, write=True) as session:
            make_user(session, email=email, name="Rita")
            session.commit()
    finally:
        engine.dispose()
