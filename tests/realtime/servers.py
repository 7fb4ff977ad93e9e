"""Real servers: ``openspace serve`` subprocesses on free ports, as an operator starts them.

Each server runs in a process group of its own that is ended at teardown (and when pytest
dies, through PR_SET_PDEATHSIG), so nothing outlives the run.
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from app.db import make_engine, open_session
from tests.factories import PASSWORD, make_user
from tests.realtime.helpers import SECRET, Server

OPENSPACE = Path(sys.executable).with_name("openspace")
STARTUP_SECONDS = 20
PR_SET_PDEATHSIG = 1  # from <sys/prctl.h>
ORGANISER_EMAIL = "rita@example.org"
ORGANISER_PASSWORD = PASSWORD


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def server_env(data_dir: Path, base_url: str, **settings: str) -> dict[str, str]:
    # Nothing from the developer's shell may leak in (a DATABASE_URL would be fatal).
    env = {key: value for key, value in os.environ.items() if not key.startswith("OPENSPACE_")}
    env.pop("PORT", None)
    env.update(
        OPENSPACE_DATA_DIR=str(data_dir),
        OPENSPACE_BASE_URL=base_url,
        OPENSPACE_SECRET_KEY=SECRET,
        OPENSPACE_ENVIRONMENT="test",
        OPENSPACE_USE_CDN="false",
        OPENSPACE_DEFAULT_LOCALE="en",
    )
    env.update({f"OPENSPACE_{name.upper()}": value for name, value in settings.items()})
    return env


def migrate(env: dict[str, str], cwd: Path) -> None:
    # cwd is the data dir, so a developer's ./.env is not read.
    subprocess.run([str(OPENSPACE), "migrate"], env=env, cwd=cwd, check=True, capture_output=True)


def _die_with_parent() -> None:
    """Runs in the server process: end it when pytest dies without running its finalizers."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=1) as response:  # noqa: S310
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


@contextmanager
def running_servers(*servers: Server) -> Iterator[None]:
    """Start ``openspace serve`` for each server at once; wait until all answer; stop them."""
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for server in servers:
            with server.log.open("wb") as log:
                processes.append(
                    subprocess.Popen(
                        [str(OPENSPACE), "serve", "--port", str(server.port)],
                        env=server.env,
                        cwd=server.data_dir,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                        preexec_fn=_die_with_parent if sys.platform == "linux" else None,
                    )
                )
        deadline = time.monotonic() + STARTUP_SECONDS
        for server, process in zip(servers, processes, strict=True):
            while not _healthy(server.url):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"The server did not start:\n{server.log.read_text()}")
                time.sleep(0.05)
        yield
    finally:
        for process in processes:
            _stop(process)


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
