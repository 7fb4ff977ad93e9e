"""Real ``openspace serve`` subprocesses for tests, started as an operator would.

Each server runs in a process group of its own, ended at teardown (and when pytest dies,
through PR_SET_PDEATHSIG), so nothing outlives the run.
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
from pathlib import Path

OPENSPACE = Path(sys.executable).with_name("openspace")
STARTUP_SECONDS = 20
PR_SET_PDEATHSIG = 1  # from <sys/prctl.h>


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def isolated_env(data_dir: Path, base_url: str, *, secret: str, **settings: str) -> dict[str, str]:
    """The server's environment. Nothing from the developer's shell may leak in (a
    DATABASE_URL would be fatal); ``settings`` become OPENSPACE_* variables."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("OPENSPACE_")}
    env.pop("PORT", None)
    env.update(
        OPENSPACE_DATA_DIR=str(data_dir),
        OPENSPACE_BASE_URL=base_url,
        OPENSPACE_SECRET_KEY=secret,
        OPENSPACE_ENVIRONMENT="test",
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


def start(*, port: int, env: dict[str, str], cwd: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as handle:
        return subprocess.Popen(
            [str(OPENSPACE), "serve", "--port", str(port)],
            env=env,
            cwd=cwd,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=1) as response:  # noqa: S310
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def wait_until_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while not healthy(url):
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"The server did not start:\n{log.read_text()}")
        time.sleep(0.05)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)
