"""Failover on a real cluster on one machine: three nodes behind HAProxy, one killed mid-burst.

Needs root (network namespaces), ``ip``, ``haproxy`` and ``socat`` (``make os-packages``
installs them). It builds, and on exit, error or Ctrl-C tears down, everything it uses:

- three network namespaces, each joined to the host by a veth pair on a /30 of its own in
  10.213.N.0/24 (N from this process's id), each running one ``openspace serve`` node bound
  to its namespace's address;
- a fresh PostgreSQL database on the shared server, and a private ``redis-server`` on a free
  port (so that the Redis outage below stops nobody else's), both reached from the nodes
  through ``socat`` on the host's end of each veth pair: PostgreSQL keeps listening where it
  did, and cutting those forwarders is a database restart as the nodes see it;
- HAProxy on 127.0.0.1, with ``deploy/haproxy.cfg`` as it is, given the addresses in its
  environment: health checks on ``/healthz``, WebSocket-aware timeouts.

Traffic goes only to these addresses and 127.0.0.0/8. The scenario, through the balancer:
N phones (each a socket that reconnects with the jitter of the phones' htmx extension) and a
board; a vote burst; ``kill -9`` of one node half-way. Then, with ``--outages``, Redis stopped
and started again with votes in between, and the database cut and restored with votes in
between (answered 503 "try again", retried with the same key as the phones do). Prints one
JSON line: acknowledged, lost, duplicated, reconnect_s (until every phone of the dead node
is connected through the others), converge_ms (after the last vote), and the same for each
outage. With ``--repeat N``, N runs on fresh clusters, then a line with their medians.

Everything the cluster runs (nodes, HAProxy, Redis, the forwarders) is pinned to
``--server-cpus`` (default: the first CPU this process may use) and the load generator (this
process and its watcher processes) to ``--client-cpus`` (default: the others), so that the
phones waiting for CPU do not count as phones waiting for the cluster.

    sudo .venv/bin/python bench/cluster.py                       # 3,000 phones, 3,000 votes
    sudo .venv/bin/python bench/cluster.py --phones 300 --votes 300 --seconds 10 --outages
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import json
import multiprocessing
import os
import resource
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import httpx
import psycopg
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: bench.phones is the repository's

from bench import cpus  # noqa: E402
from bench.phones import (  # noqa: E402
    BOARD_TALLY,
    PASSWORD,
    PHONE_TALLY,
    Watcher,
    join_all,
    set_up,
    slug_of,
)

BIN = Path(sys.executable).parent
HAPROXY_CONFIG = ROOT / "deploy" / "haproxy.cfg"
POSTGRES_ADMIN = os.environ.get(
    "OPENSPACE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test"
)
NODE_PORT = 8000
REDIS_PORT = 6379  # on the host's end of each veth pair, forwarded to the private Redis
POSTGRES_PORT = 5432
STARTUP_SECONDS = 60
PR_SET_PDEATHSIG = 1


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _die_with_parent() -> None:
    """In each child: end it if this process dies without tearing down (SIGKILL)."""
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _child_of(allowed: set[int]) -> Callable[[], None]:
    """What each child of the cluster does before it runs: die with us, run on ``allowed``."""

    def prepare() -> None:
        _die_with_parent()
        os.sched_setaffinity(0, allowed)

    return prepare


def _ip(*args: str, namespace: str | None = None) -> None:
    prefix = ["ip", "netns", "exec", namespace] if namespace else []
    subprocess.run([*prefix, "ip", *args], check=True, capture_output=True)


def available() -> str | None:
    """Why a cluster cannot be built here (None: it can)."""
    if os.geteuid() != 0:
        return "needs root (network namespaces)"
    for tool in ("ip", "haproxy", "socat", "redis-server"):
        if shutil.which(tool) is None:
            return f"needs {tool} (make os-packages)"
    return None


@dataclass
class Node:
    name: str  # as HAProxy calls it: app1, app2, app3
    namespace: str
    host_ip: str  # the host's end of the veth pair
    ip: str  # the node's end, where it serves
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.ip}:{NODE_PORT}"


@dataclass
class Cluster:
    """Three nodes, HAProxy, PostgreSQL and Redis, as a context manager that tears down."""

    nodes: int = 3
    # The CPUs of everything the cluster runs (nodes, HAProxy, Redis, the forwarders); the
    # load generator keeps to the others (PostgreSQL, shared, runs where it runs).
    server_cpus: set[int] = field(default_factory=lambda: set(os.sched_getaffinity(0)))
    work: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="osl-cluster-")))
    members: list[Node] = field(default_factory=list)
    url: str = ""  # the balancer's
    database_url: str = ""  # from the host (migrations, counting)
    _undo: list[Callable[[], None]] = field(default_factory=list)
    _children: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    _redis_port: int = 0
    _forwarders: dict[str, list[subprocess.Popen[bytes]]] = field(default_factory=dict)

    # --- lifecycle -------------------------------------------------------------------------

    def __enter__(self) -> Cluster:
        # HAProxy sizes its file-descriptor needs from maxconn (2 per proxied socket): as many
        # as allowed, for it and the nodes, which inherit ours.
        _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        previous = signal.signal(signal.SIGTERM, _terminate)
        self._undo.append(lambda: signal.signal(signal.SIGTERM, previous))
        self._undo.append(lambda: shutil.rmtree(self.work, ignore_errors=True))
        try:
            self._build()
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *_exc: object) -> None:
        while self._undo:
            with contextlib.suppress(Exception):
                self._undo.pop()()

    def _build(self) -> None:
        tag = os.getpid() % 100_000
        subnet = f"10.213.{os.getpid() % 250 + 1}"
        self._start_redis()
        self._create_database(f"openspace_cluster_{os.getpid()}")
        for index in range(self.nodes):
            node = Node(
                name=f"app{index + 1}",
                namespace=f"osl-cluster-{tag}-{index + 1}",
                host_ip=f"{subnet}.{4 * index + 1}",
                ip=f"{subnet}.{4 * index + 2}",
            )
            self._network(node, f"osl{tag}h{index + 1}", f"osl{tag}n{index + 1}")
            self._forward(node)
            self.members.append(node)
        self._run("migrate")
        self._run(
            "create-organiser",
            "bench@example.org",
            "--name",
            "Bench",
            "--password-stdin",
            stdin=PASSWORD + "\n",
        )
        secret = secrets.token_urlsafe(40)
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        for node in self.members:
            self._start_node(node, secret)
        for node in self.members:
            self._wait_healthy(node.url, node.name)
        self._start_haproxy(port)

    def _spawn(self, name: str, command: list[str], **options: Any) -> subprocess.Popen[bytes]:
        log = (self.work / f"{name}.log").open("wb")
        process = subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_child_of(self.server_cpus),
            **options,
        )
        self._children[name] = process
        self._undo.append(lambda: _end(process))
        return process

    def _start_redis(self) -> None:
        self._redis_port = free_port()
        self._spawn_redis()

    def _spawn_redis(self) -> None:
        redis_server = shutil.which("redis-server") or "redis-server"
        command = [redis_server, "--bind", "127.0.0.1", "--port", str(self._redis_port)]
        self._spawn("redis", [*command, "--save", "", "--appendonly", "no"])
        _wait_for_port("127.0.0.1", self._redis_port)

    def _create_database(self, name: str) -> None:
        def admin(sql: str) -> None:
            with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as connection:
                connection.execute(sql)

        admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin(f'CREATE DATABASE "{name}"')
        self._undo.append(lambda: admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        url = make_url(POSTGRES_ADMIN).set(database=name)
        self.database_url = url.render_as_string(hide_password=False)

    def _network(self, node: Node, host_end: str, node_end: str) -> None:
        _ip("netns", "add", node.namespace)
        self._undo.append(lambda: _ip("netns", "del", node.namespace))
        _ip("link", "add", host_end, "type", "veth", "peer", "name", node_end)
        self._undo.append(lambda: _ip("link", "del", host_end))
        _ip("link", "set", node_end, "netns", node.namespace)
        _ip("addr", "add", f"{node.host_ip}/30", "dev", host_end)
        _ip("link", "set", host_end, "up")
        _ip("addr", "add", f"{node.ip}/30", "dev", node_end, namespace=node.namespace)
        _ip("link", "set", node_end, "up", namespace=node.namespace)
        _ip("link", "set", "lo", "up", namespace=node.namespace)

    def _forward(self, node: Node) -> None:
        """PostgreSQL and Redis at the host's end of the node's veth pair (socat)."""
        self._forwarders[node.name] = [
            self._forwarder(node, "redis", REDIS_PORT, f"127.0.0.1:{self._redis_port}"),
            self._forwarder(node, "postgresql", POSTGRES_PORT, _postgres_address()),
        ]

    def _forwarder(
        self, node: Node, service: str, port: int, target: str
    ) -> subprocess.Popen[bytes]:
        listen = f"TCP-LISTEN:{port},bind={node.host_ip},fork,reuseaddr"
        process = self._spawn(f"{service}-{node.name}", ["socat", listen, f"TCP:{target}"])
        _wait_for_port(node.host_ip, port)
        return process

    def _env(self, secret: str, node: Node | None = None) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if not key.startswith("OPENSPACE_")}
        env.update(
            OPENSPACE_ENVIRONMENT="production",
            OPENSPACE_SECRET_KEY=secret,
            OPENSPACE_BASE_URL=self.url or "http://127.0.0.1",
            OPENSPACE_DATA_DIR=str(self.work / (node.name if node else "host")),
            OPENSPACE_USE_CDN="false",
            # A whole room behind one address: the benchmark is that room.
            OPENSPACE_ADDRESS_ATTEMPTS="1000000",
        )
        if node is None:
            env["OPENSPACE_DATABASE_URL"] = self.database_url
            return env
        database = make_url(self.database_url).set(host=node.host_ip, port=POSTGRES_PORT)
        env.update(
            OPENSPACE_DATABASE_URL=database.render_as_string(hide_password=False),
            OPENSPACE_BROADCAST_URL=f"redis://{node.host_ip}:{REDIS_PORT}/0",
            OPENSPACE_FORWARDED_ALLOW_IPS=node.host_ip,
        )
        return env

    def _run(self, *command: str, stdin: str | None = None) -> None:
        subprocess.run(
            [str(BIN / "openspace"), *command],
            env=self._env(secrets.token_urlsafe(40)),
            cwd=self.work,
            check=True,
            input=stdin.encode() if stdin else None,
            capture_output=True,
        )

    def _start_node(self, node: Node, secret: str) -> None:
        command = ["ip", "netns", "exec", node.namespace, str(BIN / "openspace"), "serve"]
        node.process = self._spawn(
            node.name,
            [*command, "--host", node.ip, "--port", str(NODE_PORT)],
            env=self._env(secret, node),
            cwd=self.work,
        )

    def _wait_healthy(self, url: str, name: str) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    return
            process = self._children.get(name)
            if process is not None and process.poll() is not None:
                break
            time.sleep(0.1)
        raise RuntimeError(f"{name} did not start:\n{self.log(name)}")

    def _start_haproxy(self, port: int) -> None:
        env = {
            **os.environ,
            "OPENSPACE_LISTEN": f"127.0.0.1:{port}",
            **{f"OPENSPACE_{node.name.upper()}": f"{node.ip}:{NODE_PORT}" for node in self.members},
        }
        self._spawn("haproxy", ["haproxy", "-db", "-f", str(HAPROXY_CONFIG)], env=env)
        # In service once every node has answered through it (its checks passed).
        seen: set[str] = set()
        deadline = time.monotonic() + STARTUP_SECONDS
        while seen != {node.name for node in self.members}:
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"HAProxy: only {sorted(seen)} in service\n{self.log('haproxy')}"
                )
            with contextlib.suppress(httpx.HTTPError):
                served_by = httpx.get(f"{self.url}/healthz", timeout=1).headers.get("x-served-by")
                seen.add(served_by or "")
                seen.discard("")
            time.sleep(0.05)

    def log(self, name: str) -> str:
        path = self.work / f"{name}.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    # --- what the scenarios do -------------------------------------------------------------

    def kill(self, name: str) -> None:
        """``kill -9`` the node (and anything it started)."""
        process = self._children[name]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def stop_redis(self) -> None:
        self.kill("redis")

    def start_redis(self) -> None:
        self._spawn_redis()  # empty, as after a restart without persistence

    def cut_database(self) -> None:
        """Every node's connections to PostgreSQL break, and new ones are refused."""
        for node in self.members:
            self.kill(f"postgresql-{node.name}")

    def restore_database(self) -> None:
        for node in self.members:
            self._forwarder(node, "postgresql", POSTGRES_PORT, _postgres_address())

    def stored_votes(self) -> int:
        with psycopg.connect(self.database_url.replace("+psycopg", "")) as connection:
            row = connection.execute("SELECT count(*) FROM vote").fetchone()
        return int(row[0]) if row else 0


def _postgres_address() -> str:
    url = make_url(POSTGRES_ADMIN)
    return f"{url.host or '127.0.0.1'}:{url.port or 5432}"


def _terminate(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt  # tear down as on Ctrl-C


def _end(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


def _wait_for_port(host: str, port: int) -> None:
    import socket

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=1):
            return
        time.sleep(0.02)
    raise RuntimeError(f"nothing answers on {host}:{port}")


# --- the phones' side: sockets in processes of their own ------------------------------------


@dataclass(frozen=True)
class Round:
    expected: dict[int, int]  # topic → acknowledged dots
    since: float  # monotonic time converge is measured from
    killed: tuple[float, str] | None = None  # (when, node) for the reconnect figures


async def _converged(
    watchers: list[Watcher], expected: dict[int, int], deadline: float
) -> float | None:
    parsed: dict[tuple[str, int], bool] = {}

    def final(watcher: Watcher) -> bool:
        key = (watcher.epoch, watcher.version)
        if key not in parsed:
            parsed[key] = watcher.tallies == expected
        return parsed[key]

    while time.monotonic() < deadline:
        if all(final(watcher) for watcher in watchers):
            return time.monotonic()
        await asyncio.sleep(0.005)
    return None


@dataclass(frozen=True)
class Away:
    """What the sockets on the killed node went through until they were back."""

    waits: list[float | None]  # per socket: seconds until connected again (None: never)
    failures: Counter[str]  # why its socket and attempts failed (closed 1006, handshake 503 …)
    attempts: list[int]  # per socket: failures until back, the close by the kill included
    waited: list[float]  # per socket back: seconds of its own reconnect waits (the rest of
    # the time away went in handshakes: the balancer, the node, the phone's own process)


def _reconnected(watchers: list[Watcher], killed: tuple[float, str]) -> Away:
    """For each socket that was on the killed node: how long until it was connected again."""
    when, node = killed
    away = Away([], Counter(), [], [])
    for watcher in watchers:
        before = [opened for opened in watcher.opened if opened[0] <= when]
        if not before or before[-1][1] != node:
            continue
        since = before[-1][0]  # its socket on the node opened; it closed with the node
        after = [opened[0] for opened in watcher.opened if opened[0] > when]
        back = after[0] if after else None
        away.waits.append(None if back is None else back - when)
        failed = [why for at, why in watcher.failed if at > since and (back is None or at < back)]
        away.failures.update(failed)
        away.attempts.append(len(failed))
        if back is not None:
            away.waited.append(sum(delay for at, delay in watcher.waited if since < at < back))
    return away


async def _watch(urls: list[str], board: bool, pipe: Connection, settle: float) -> None:
    pattern = BOARD_TALLY if board else PHONE_TALLY
    watchers = [Watcher(url, jitter=True, pattern=pattern) for url in urls]
    tasks = []
    for watcher in watchers:
        tasks.append(asyncio.create_task(watcher.run()))
        await asyncio.sleep(0.001)
    await asyncio.wait_for(asyncio.gather(*(w.connected.wait() for w in watchers)), timeout=600)
    pipe.send("connected")
    while True:
        round_: Round | None = await asyncio.to_thread(pipe.recv)
        if round_ is None:
            break
        done = await _converged(watchers, round_.expected, time.monotonic() + settle)
        away = _reconnected(watchers, round_.killed) if round_.killed else None
        pipe.send(
            (
                None if done is None else (done - round_.since) * 1000,
                watchers[0].tallies,
                away,
                Counter(watcher.gave_up for watcher in watchers if watcher.gave_up),
            )
        )
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def _watcher_process(urls: list[str], board: bool, pipe: Connection, settle: float) -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, len(urls) * 2 + 1024), hard))
    asyncio.run(_watch(urls, board, pipe, settle))


# --- the scenario ---------------------------------------------------------------------------


@dataclass
class Voting:
    """Phones voting through the balancer; a vote that gets no answer, or a 502/503/504, is
    sent again with the same key, as the phones' live.js does."""

    participants: list[tuple[httpx.AsyncClient, str, str]]
    slug: str
    topic_ids: list[int]
    acked: Counter[int] = field(default_factory=Counter)
    refused: Counter[int] = field(default_factory=Counter)
    retried: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    last_ack: float = 0.0
    cast: int = 0

    async def vote(self, who: int, topic: int) -> None:
        client, token, _url = self.participants[who]
        headers = {
            "X-CSRF-Token": token,
            "HX-Request": "true",
            "Idempotency-Key": secrets.token_hex(12),
        }
        began = time.monotonic()
        for _attempt in range(60):
            try:
                response = await client.post(f"/e/{self.slug}/topics/{topic}/vote", headers=headers)
            except httpx.TransportError:
                self.retried["no answer"] += 1
            else:
                if response.status_code not in (502, 503, 504):
                    break
                self.retried[str(response.status_code)] += 1
            await asyncio.sleep(0.25 + secrets.randbelow(500) / 1000)
        else:
            self.refused[0] += 1
            return
        now = time.monotonic()
        if response.status_code == 200:
            self.latencies.append((now - began) * 1000)
            self.acked[topic] += 1
            self.last_ack = max(self.last_ack, now)
        else:
            self.refused[response.status_code] += 1

    async def burst(self, count: int, seconds: float, concurrency: int) -> None:
        """``count`` votes spread over ``seconds``; each phone votes distinct topics in turn."""
        clients = len(self.participants)
        start, first = time.monotonic(), self.cast
        queue: asyncio.Queue[tuple[int, int, float]] = asyncio.Queue()
        for index in range(first, first + count):
            topic = self.topic_ids[(index // clients + index) % len(self.topic_ids)]
            due = start + (index - first) * seconds / max(count, 1)
            queue.put_nowait((index % clients, topic, due))
        self.cast += count

        async def voter() -> None:
            while not queue.empty():
                who, topic, due = queue.get_nowait()
                await asyncio.sleep(max(0.0, due - time.monotonic()))
                await self.vote(who, topic)

        await asyncio.gather(*(voter() for _ in range(concurrency)))

    def expected(self) -> dict[int, int]:
        return {topic: self.acked.get(topic, 0) for topic in self.topic_ids}


@dataclass
class Screens:
    """The board and the phones' sockets, held by ``--watchers`` processes of their own (the
    voters' clock stays honest), asked round by round whether they show the tallies."""

    cluster: Cluster
    voting: Voting
    pipes: list[Connection] = field(default_factory=list)
    processes: list[Any] = field(default_factory=list)

    async def open(self, board: str, phones: list[str], watchers: int, settle: float) -> None:
        share = -(-len(phones) // watchers)
        groups = [([board], True)]
        groups += [(phones[i : i + share], False) for i in range(0, len(phones), share)]
        context = multiprocessing.get_context("spawn")
        for urls, is_board in groups:
            ours, theirs = multiprocessing.Pipe()
            process = context.Process(
                target=_watcher_process, args=(urls, is_board, theirs, settle), daemon=True
            )
            process.start()
            self.processes.append(process)
            self.pipes.append(ours)
        for pipe in self.pipes:
            assert await asyncio.to_thread(pipe.recv) == "connected"

    def close(self) -> None:
        for pipe in self.pipes:
            with contextlib.suppress(OSError):
                pipe.send(None)
        for process in self.processes:
            process.join(timeout=10)
            if process.is_alive():
                process.kill()

    async def round(self, since: float, killed: tuple[float, str] | None = None) -> dict[str, Any]:
        """Wait until every screen shows the acknowledged tallies; what they show, and how long
        after ``since`` it took (with ``killed``: how long the dead node's phones were away)."""
        expected = self.voting.expected()
        for pipe in self.pipes:
            pipe.send(Round(expected, since, killed))
        reports = [await asyncio.to_thread(pipe.recv) for pipe in self.pipes]
        waits = [report[0] for report in reports]
        counted = reports[0][1]  # the board's
        topics = self.voting.topic_ids
        result: dict[str, Any] = {
            "acknowledged": sum(expected.values()),
            "stored": await asyncio.to_thread(self.cluster.stored_votes),
            "lost": sum(max(0, expected[t] - counted.get(t, 0)) for t in topics),
            "duplicated": sum(max(0, counted.get(t, 0) - expected[t]) for t in topics),
            "converge_ms": None if None in waits else round(max(waits)),
        }
        gave_up: Counter[str] = sum((report[3] for report in reports), Counter())
        result["gave_up"] = dict(gave_up)  # sockets closed with a code phones do not retry
        if killed:
            away = [report[2] for report in reports if report[2] is not None]
            waits = [wait for report in away for wait in report.waits]
            back = [wait for wait in waits if wait is not None]
            attempts = sorted(count for report in away for count in report.attempts)
            result["dead_node_phones"] = len(waits)
            result["not_reconnected"] = len(waits) - len(back)
            result["reconnect_s"] = round(max(back), 2) if back else None
            result["reconnect_p50_s"] = round(statistics.median(back), 2) if back else None
            result["failed_attempts_max"] = attempts[-1] if attempts else 0
            waited = [seconds for report in away for seconds in report.waited]
            result["reconnect_waited_max_s"] = round(max(waited), 2) if waited else None
            failures: Counter[str] = sum((report.failures for report in away), Counter())
            result["failed_attempts"] = dict(failures.most_common())
        return result


async def scenario(cluster: Cluster, args: argparse.Namespace) -> dict[str, Any]:
    """Phones and a board through the balancer; a burst; a node killed half-way; outages."""
    votes = args.votes + (2 * args.outage_votes if args.outages else 0)  # enough dots for all
    setup = argparse.Namespace(clients=args.phones, votes=votes, topics=args.topics)
    board_ws, code, topic_ids = await asyncio.to_thread(set_up, cluster.url, setup)
    participants = await join_all(cluster.url, code, args.phones, args.concurrency)
    ws_base = cluster.url.replace("http", "ws", 1)
    voting = Voting(participants, slug_of(board_ws), topic_ids)
    screens = Screens(cluster, voting)
    try:
        await screens.open(
            ws_base + board_ws.replace("&amp;", "&"),
            [ws_base + url.replace("&amp;", "&") for _c, _t, url in participants],
            args.watchers,
            args.settle,
        )
        await asyncio.sleep(2)  # let the snapshots arrive and the sockets settle
        killed: list[tuple[float, str]] = []

        async def kill_later() -> None:
            await asyncio.sleep(args.seconds * args.kill_at)
            await asyncio.to_thread(cluster.kill, args.kill)
            killed.append((time.monotonic(), args.kill))

        killer = asyncio.create_task(kill_later())
        await voting.burst(args.votes, args.seconds, args.concurrency)
        await killer
        result = await screens.round(voting.last_ack, killed[0])
        latencies = sorted(voting.latencies)
        result.update(
            vote_p50_ms=round(statistics.median(latencies), 1) if latencies else None,
            vote_p99_ms=round(latencies[int(len(latencies) * 0.99) - 1], 1) if latencies else None,
        )
        if args.outages:
            result["redis_outage"] = await _redis_outage(cluster, voting, screens, args)
            result["postgresql_outage"] = await _postgresql_outage(cluster, voting, screens, args)
        result["retried"] = dict(voting.retried)
        result["refused"] = {str(code): count for code, count in voting.refused.items()}
        return result
    finally:
        screens.close()
        await asyncio.gather(*(client.aclose() for client, _t, _u in participants))


async def _redis_outage(
    cluster: Cluster, voting: Voting, screens: Screens, args: argparse.Namespace
) -> dict[str, Any]:
    """Votes while Redis is down are acknowledged; screens catch up once it is back."""
    await asyncio.to_thread(cluster.stop_redis)
    before = sum(voting.acked.values())
    await voting.burst(args.outage_votes, 2, min(args.concurrency, args.outage_votes))
    during = sum(voting.acked.values()) - before
    await asyncio.to_thread(cluster.start_redis)
    result: dict[str, Any] = await screens.round(time.monotonic())
    return {"acknowledged_while_down": during, **result}


async def _postgresql_outage(
    cluster: Cluster, voting: Voting, screens: Screens, args: argparse.Namespace
) -> dict[str, Any]:
    """Votes while the database is cut get 503 and are retried with their keys until it is
    back; each counts once."""
    await asyncio.to_thread(cluster.cut_database)
    retried_before = voting.retried["503"]

    async def restore_later() -> None:
        await asyncio.sleep(args.outage_seconds)
        await asyncio.to_thread(cluster.restore_database)

    restorer = asyncio.create_task(restore_later())
    await voting.burst(args.outage_votes, 2, min(args.concurrency, args.outage_votes))
    await restorer
    result: dict[str, Any] = await screens.round(voting.last_ack)
    return {"answered_503": voting.retried["503"] - retried_before, **result}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--phones", type=int, default=3000)
    parser.add_argument("--votes", type=int, default=3000)
    parser.add_argument("--seconds", type=float, default=30.0, help="spread the burst over")
    parser.add_argument("--concurrency", type=int, default=50, help="concurrent HTTP voters")
    parser.add_argument("--topics", type=int, default=20)
    parser.add_argument("--kill", default="app2", help="the node to kill -9 (app1..app3)")
    parser.add_argument("--kill-at", type=float, default=0.5, help="fraction of the burst")
    parser.add_argument("--watchers", type=int, default=2, help="processes holding the phones")
    parser.add_argument("--settle", type=float, default=60.0, help="give up converging after")
    parser.add_argument("--outages", action="store_true", help="then Redis, then PostgreSQL")
    parser.add_argument("--outage-votes", type=int, default=50)
    parser.add_argument("--outage-seconds", type=float, default=3.0, help="database cut for")
    parser.add_argument("--repeat", type=int, default=1, help="runs, each on a fresh cluster")
    cpus.add_options(parser, server="the nodes, HAProxy and Redis", client="the phones and voters")
    args = parser.parse_args()
    reason = available()
    if reason:
        parser.error(reason)
    if args.kill not in ("app1", "app2", "app3") or not 0 < args.kill_at < 1:
        parser.error("--kill app1..app3, --kill-at between 0 and 1")
    if not 1 <= args.repeat <= 20:
        parser.error("repeat 1..20")
    cpus.pin(parser, args)  # the watcher processes inherit the client CPUs
    server_cpus, client_cpus = args.server_cpu_set, args.client_cpu_set
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, args.phones * 3 + 4096)), hard))
    runs = []
    for _run in range(args.repeat):
        with Cluster(server_cpus=server_cpus) as cluster:
            try:
                result = asyncio.run(scenario(cluster, args))
            except BaseException:
                for name in ("app1", "app2", "app3", "haproxy"):
                    print(f"--- {name}\n{cluster.log(name)}", file=sys.stderr)
                raise
        result.update(
            phones=args.phones,
            votes=args.votes,
            seconds=args.seconds,
            killed=args.kill,
            server_cpus=sorted(server_cpus),
            client_cpus=sorted(client_cpus),
            load_average=[round(load, 2) for load in os.getloadavg()],
            cpus=os.cpu_count(),
        )
        print(json.dumps(result), flush=True)
        runs.append(result)
    if len(runs) > 1:
        print(json.dumps({"median": summary(runs)}))


# Of several runs: the worst count (anything lost in one run is lost), the median time.
WORST = ("lost", "duplicated", "not_reconnected", "failed_attempts_max")
MEDIAN = (
    "reconnect_s",
    "reconnect_p50_s",
    "reconnect_waited_max_s",
    "converge_ms",
    "vote_p50_ms",
    "vote_p99_ms",
)


def summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The failover figures of several runs, and of each outage (``--outages``)."""
    result: dict[str, Any] = {"runs": len(runs)}
    for key in WORST:
        if not any(key in run for run in runs):
            continue
        values = [run[key] for run in runs if run.get(key) is not None]
        result[key] = max(values) if values else None
    for key in MEDIAN:
        if not any(key in run for run in runs):
            continue
        values = [run[key] for run in runs if run.get(key) is not None]
        # None in any run (never converged, never back) is the worst: no median hides it.
        missing = len(values) < len(runs)
        result[key] = None if missing or not values else statistics.median(values)
    for outage in ("redis_outage", "postgresql_outage"):
        if all(outage in run for run in runs):
            result[outage] = summary([run[outage] for run in runs])
            del result[outage]["runs"]
    if all("load_average" in run for run in runs):
        result["load_average"] = [run["load_average"] for run in runs]
    return result


if __name__ == "__main__":
    main()
