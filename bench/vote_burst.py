"""Vote burst: thousands of phones, one room, everybody voting at once.

Starts the real server (``openspace serve``) in a subprocess, then through the public HTTP
interface only: creates an organiser, an event and T topics, lets N participants join, opens
voting, connects N participant sockets and one board socket, and sends V votes over S seconds
from C concurrent HTTP clients. Prints one JSON line:

- vote_p50_ms, vote_p99_ms: time to acknowledge a vote (HTTP 200);
- converge_ms: from the last acknowledgement until every socket (phones and board) holds a
  frame whose tallies are the final ones;
- lost: acknowledged votes the final tallies miss; duplicated: counted more than acknowledged;
- server_rss_mb (all worker processes), rss_per_socket_kb (growth per idle socket);
- the CPU each side used from the first vote until every socket converged: the server's
  processes are pinned to ``--server-cpus`` (default: the first CPU this process may use), the
  load generator (this process and its watcher processes) to the others, and server_cpu_s,
  client_cpu_s come from /proc; server_cpu_ms_per_vote and server_cpu_us_per_frame divide
  the server's by the acknowledged votes and by the frames the sockets received.

``--repeat N`` runs each configuration N times, printing each run's line and then a line of
medians. ``--table`` runs each row of the README's table in turn. With ``--synchronous both``
it runs the burst N times with SQLite's ``synchronous=FULL`` and as often with NORMAL,
alternating (each run a fresh server), and prints each mode's medians and the ratio FULL /
NORMAL.

    python bench/vote_burst.py --table --repeat 3        # the README's table
    python bench/vote_burst.py --clients 5000 --votes 2000 --seconds 30 --concurrency 50
    python bench/vote_burst.py --workers 2 --database postgresql --broadcast redis
    python bench/vote_burst.py --synchronous both --repeat 3
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import re
import resource
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, NamedTuple

import httpx
import psycopg
import redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: bench.phones is the repository's

from bench import cpus  # noqa: E402
from bench.cpus import cpu_seconds, process_tree, rss_kb  # noqa: E402
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
POSTGRES_ADMIN = os.environ.get(
    "OPENSPACE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test"
)
REDIS_URL = "redis://127.0.0.1:6379/13"

JOINING = 10  # phones joining at once during the set-up


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    def __init__(self, args: argparse.Namespace, synchronous: str) -> None:
        self.args = args
        self.synchronous = synchronous if args.database == "sqlite" else None
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.data_dir = Path(tempfile.mkdtemp(prefix="osl-bench-"))
        self.database_name = ""
        self.env = {
            **{key: value for key, value in os.environ.items() if not key.startswith("OPENSPACE_")},
            "OPENSPACE_DATA_DIR": str(self.data_dir),
            "OPENSPACE_BASE_URL": self.base,
            "OPENSPACE_SECRET_KEY": secrets.token_urlsafe(40),
            "OPENSPACE_ENVIRONMENT": "test",
            "OPENSPACE_SQLITE_SYNCHRONOUS": synchronous,
            # A whole room behind one address: the benchmark is that room.
            "OPENSPACE_ADDRESS_ATTEMPTS": "1000000",
        }
        if args.database == "postgresql":
            self.database_name = f"openspace_bench_{os.getpid()}"
            with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{self.database_name}" WITH (FORCE)')
                connection.execute(f'CREATE DATABASE "{self.database_name}"')
            self.env["OPENSPACE_DATABASE_URL"] = (
                POSTGRES_ADMIN.rsplit("/", 1)[0] + f"/{self.database_name}"
            )
        if args.broadcast == "redis":
            redis.Redis.from_url(REDIS_URL).flushdb()
            self.env["OPENSPACE_BROADCAST_URL"] = REDIS_URL
        self.process: subprocess.Popen[bytes] | None = None

    def pin(self) -> None:
        os.sched_setaffinity(0, self.args.server_cpu_set)

    def run(self, *command: str, stdin: str | None = None) -> None:
        subprocess.run(
            [str(BIN / "openspace"), *command],
            env=self.env,
            cwd=self.data_dir,
            check=True,
            input=stdin.encode() if stdin else None,
            stdout=subprocess.DEVNULL,
        )

    def start(self) -> None:
        self.run("migrate")
        self.run(
            "create-organiser",
            "bench@example.org",
            "--name",
            "Bench",
            "--password-stdin",
            stdin=PASSWORD + "\n",
        )
        self.log = (self.data_dir / "server.log").open("wb")
        self.process = subprocess.Popen(
            [
                str(BIN / "openspace"),
                "serve",
                "--port",
                str(self.port),
                "--workers",
                str(self.args.workers),
            ],
            env=self.env,
            cwd=self.data_dir,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            # Before exec, so the workers uvicorn starts inherit it too.
            preexec_fn=self.pin,
        )
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if httpx.get(self.base + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise SystemExit("the server did not start")

    def errors(self) -> str:
        """The server's own account of what went wrong (tracebacks only)."""
        log = (self.data_dir / "server.log").read_text(errors="replace")
        start = log.find("Traceback")
        if start < 0:
            return log[-3000:]
        # The first traceback's frames are many (the middleware): keep its top and its end.
        end = re.compile(r"^\S.*$", re.M).search(log, log.find("\n", start) + 1)
        stop = end.end() if end else len(log)
        return log[start : start + 1500] + "\n...\n" + log[max(start, stop - 2500) : stop]

    def stop(self) -> None:
        if self.process is not None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
        if self.database_name:
            with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{self.database_name}" WITH (FORCE)')
        if self.args.broadcast == "redis":
            redis.Redis.from_url(REDIS_URL).flushdb()
        shutil.rmtree(self.data_dir, ignore_errors=True)


class Report(NamedTuple):
    """What a watcher process saw from the start of the burst until every socket converged."""

    converge_ms: float | None
    tallies: dict[int, int]
    reconnects: int
    frames: int
    bytes: int


async def watch(urls: list[str], board: bool, pipe: Connection) -> None:
    """Hold many sockets in a process of its own (the voters' clock stays honest)."""
    pattern = BOARD_TALLY if board else PHONE_TALLY
    watchers = [Watcher(url, pattern=pattern) for url in urls]
    tasks = []
    for watcher in watchers:
        tasks.append(asyncio.create_task(watcher.run()))
        await asyncio.sleep(0.001)
    await asyncio.wait_for(asyncio.gather(*(w.connected.wait() for w in watchers)), timeout=600)
    pipe.send("connected")
    assert await asyncio.to_thread(pipe.recv) == "start"
    frames_before = sum(watcher.frames for watcher in watchers)
    bytes_before = sum(watcher.bytes for watcher in watchers)
    expected, last_ack = await asyncio.to_thread(pipe.recv)
    parsed: dict[tuple[str, int], bool] = {}  # every phone gets the same frame per version

    def final(watcher: Watcher) -> bool:
        key = (watcher.epoch, watcher.version)
        if key not in parsed:
            parsed[key] = watcher.tallies == expected
        return parsed[key]

    converge_ms = None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if all(final(watcher) for watcher in watchers):
            converge_ms = (time.monotonic() - last_ack) * 1000
            break
        await asyncio.sleep(0.005)
    pipe.send(
        Report(
            converge_ms=converge_ms,
            tallies=watchers[0].tallies,
            reconnects=sum(w.reconnects for w in watchers),
            frames=sum(w.frames for w in watchers) - frames_before,
            bytes=sum(w.bytes for w in watchers) - bytes_before,
        )
    )
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def watcher_process(urls: list[str], board: bool, pipe: Connection) -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, len(urls) * 2 + 1024), hard))
    asyncio.run(watch(urls, board, pipe))


async def burst(args: argparse.Namespace, server: Server) -> dict[str, object]:  # noqa: PLR0915
    base = server.base
    board_ws, code, topic_ids = await asyncio.to_thread(set_up, base, args)
    # Joining is set-up, not measured: few at a time, so no join waits long for the database.
    participants = await join_all(base, code, args.clients, min(args.concurrency, JOINING))
    ws_base = base.replace("http", "ws", 1)
    assert server.process is not None
    rss_before = rss_kb(server.process.pid)
    phone_urls = [ws_base + url.replace("&amp;", "&") for _c, _t, url in participants]
    groups = [([ws_base + board_ws.replace("&amp;", "&")], True)]
    share = -(-len(phone_urls) // args.watchers)
    groups += [(phone_urls[i : i + share], False) for i in range(0, len(phone_urls), share)]
    pipes = []
    context = multiprocessing.get_context("spawn")
    # The load generator: this process and the watchers (spawned: they inherit its CPUs).
    client_pids = [os.getpid()]
    for urls, is_board in groups:
        ours, theirs = multiprocessing.Pipe()
        process = context.Process(target=watcher_process, args=(urls, is_board, theirs))
        process.daemon = True
        process.start()
        assert process.pid is not None
        client_pids.append(process.pid)
        pipes.append(ours)
    for pipe in pipes:
        assert await asyncio.to_thread(pipe.recv) == "connected"
    await asyncio.sleep(3)  # let the snapshots arrive and the sockets settle
    rss_idle = rss_kb(server.process.pid)
    server_pids = process_tree(server.process.pid)
    for pipe in pipes:
        pipe.send("start")
    server_cpu_start, client_cpu_start = cpu_seconds(server_pids), cpu_seconds(client_pids)
    wall_start = time.monotonic()

    # Every participant votes distinct topics in turn, so no vote is refused by the rules.
    plan = [
        (index % args.clients, topic_ids[(index // args.clients + index) % len(topic_ids)])
        for index in range(args.votes)
    ]
    latencies: list[float] = []
    acked: Counter[int] = Counter()
    failures: Counter[int] = Counter()
    queue: asyncio.Queue[tuple[int, int, float]] = asyncio.Queue()
    retries = [0]
    start = time.monotonic()
    for index, (who, topic) in enumerate(plan):
        queue.put_nowait((who, topic, start + index * args.seconds / max(args.votes, 1)))
    last_ack = 0.0

    async def voter() -> None:
        nonlocal last_ack
        while True:
            try:
                who, topic, due = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            client, token, _url = participants[who]
            began = time.monotonic()
            headers = {
                "X-CSRF-Token": token,
                "HX-Request": "true",
                "Idempotency-Key": secrets.token_hex(12),
            }
            for attempt in range(3):
                try:
                    response = await client.post(
                        f"/e/{slug_of(board_ws)}/topics/{topic}/vote", headers=headers
                    )
                    break
                except httpx.TransportError:
                    # As a phone does on flaky Wi-Fi: send again with the same key.
                    retries[0] += 1
                    if attempt == 2:
                        raise
            now = time.monotonic()
            if response.status_code == 200:
                latencies.append((now - began) * 1000)
                acked[topic] += 1
                last_ack = max(last_ack, now)
            else:
                failures[response.status_code] += 1

    await asyncio.gather(*(voter() for _ in range(args.concurrency)))
    expected = {topic: acked.get(topic, 0) for topic in topic_ids}
    for pipe in pipes:
        pipe.send((expected, last_ack))
    reports: list[Report] = [await asyncio.to_thread(pipe.recv) for pipe in pipes]
    server_cpu = cpu_seconds(server_pids) - server_cpu_start
    client_cpu = cpu_seconds(client_pids) - client_cpu_start
    wall = time.monotonic() - wall_start
    waits = [report.converge_ms for report in reports]
    converge_ms = None if None in waits else max(w for w in waits if w is not None)
    counted = reports[0].tallies  # the board's
    phones_agree = all(report.converge_ms is not None for report in reports[1:])
    reconnects = sum(report.reconnects for report in reports)
    frames = sum(report.frames for report in reports)
    board_frames = reports[0].frames
    phone_frames = frames - board_frames
    lost = sum(max(0, expected[t] - counted.get(t, 0)) for t in topic_ids)
    duplicated = sum(max(0, counted.get(t, 0) - expected[t]) for t in topic_ids)
    rss_after = rss_kb(server.process.pid)
    await asyncio.gather(*(client.aclose() for client, _t, _u in participants))
    latencies.sort()
    return {
        "clients": args.clients,
        "votes": args.votes,
        "acknowledged": sum(acked.values()),
        "refused": dict(failures),
        "retried": retries[0],
        "seconds": args.seconds,
        "concurrency": args.concurrency,
        "workers": args.workers,
        "database": args.database,
        "broadcast": args.broadcast,
        "synchronous": server.synchronous,
        "vote_p50_ms": round(statistics.median(latencies), 1) if latencies else None,
        "vote_p99_ms": round(latencies[int(len(latencies) * 0.99) - 1], 1) if latencies else None,
        "converge_ms": round(converge_ms) if converge_ms is not None else None,
        "phones_agree": phones_agree,
        "reconnects": reconnects,
        "lost": lost,
        "duplicated": duplicated,
        "server_rss_mb": round(rss_after / 1024, 1),
        "rss_per_socket_kb": round((rss_idle - rss_before) / (len(participants) + 1), 1),
        # From the first vote until every socket showed the final tallies.
        "server_cpus": sorted(args.server_cpu_set),
        "client_cpus": sorted(args.client_cpu_set),
        "wall_s": round(wall, 1),
        "server_cpu_s": round(server_cpu, 2),
        "client_cpu_s": round(client_cpu, 2),
        "server_cpu_ms_per_vote": round(server_cpu * 1000 / max(sum(acked.values()), 1), 2),
        "server_cpu_us_per_frame": round(server_cpu * 1e6 / max(frames, 1), 1),
        "frames_delivered": frames,
        "board_frames": board_frames,
        "frames_per_phone": round(phone_frames / max(len(participants), 1), 1),
        "kb_per_phone_frame": round(
            (sum(r.bytes for r in reports[1:]) / 1024) / max(phone_frames, 1), 2
        ),
        "load_average": [round(load, 2) for load in os.getloadavg()],
    }


COMPARED = ("vote_p50_ms", "vote_p99_ms", "converge_ms")
# A configuration's identity: runs that share these are repeats of one configuration.
SETUP = ("clients", "votes", "seconds", "concurrency", "workers", "database", "broadcast")
SETUP += ("synchronous", "server_cpus", "client_cpus")
# The README's table: one row per configuration, each the median of --repeat runs.
TABLE = (
    {"clients": 2000},
    {"clients": 5000},
    {"clients": 2000, "workers": 2, "database": "postgresql", "broadcast": "redis"},
)


def run(args: argparse.Namespace, synchronous: str) -> dict[str, Any]:
    """One burst against a fresh server; prints its JSON line as soon as it is done."""
    load = [round(value, 2) for value in os.getloadavg()]
    server = Server(args, synchronous)
    try:
        server.start()
        result = {**asyncio.run(burst(args, server)), "load_average_before": load}
    except BaseException:
        print(server.errors(), file=sys.stderr)
        raise
    finally:
        server.stop()
    print(json.dumps(result), flush=True)
    return result


def median(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """One line for runs of one configuration: the median of every measured figure; lost and
    duplicated are the totals over all runs (one loss anywhere must show)."""
    line: dict[str, Any] = {"median_of": len(runs)}
    line.update({key: runs[0][key] for key in SETUP})
    for key, value in runs[0].items():
        if key in SETUP or key in ("lost", "duplicated") or isinstance(value, bool):
            continue
        values = [result[key] for result in runs if isinstance(result[key], int | float)]
        if values and isinstance(value, int | float):
            line[key] = round(statistics.median(values), 2)
    line["lost"] = sum(result["lost"] for result in runs)
    line["duplicated"] = sum(result["duplicated"] for result in runs)
    line["phones_agree"] = all(result["phones_agree"] for result in runs)
    return line


def compare(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Each mode's medians over its runs, and FULL's figures divided by NORMAL's."""
    medians = {mode: median([r for r in runs if r["synchronous"] == mode]) for mode in MODES}
    ratio = {}
    for key in COMPARED:
        full, normal = medians["full"].get(key), medians["normal"].get(key)
        ratio[key] = round(full / normal, 2) if full is not None and normal else None
    return {"median": medians, "ratio_full_to_normal": ratio}


MODES = ("full", "normal")


def configurations(args: argparse.Namespace) -> list[argparse.Namespace]:
    """What to run: the options as given, or with --table each row of the README's table."""
    if not args.table:
        return [args]
    return [argparse.Namespace(**{**vars(args), **row}) for row in TABLE]


def check(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if args.synchronous == "both" and args.database != "sqlite":
        parser.error("--synchronous both compares SQLite's modes: use --database sqlite")
    if args.table and args.synchronous == "both":
        parser.error("--table runs the README's rows; compare SQLite's modes without it")
    if not 1 <= args.repeat <= 20:
        parser.error("repeat 1..20")
    if args.workers > 1 and args.broadcast == "memory":
        parser.error("several workers need --broadcast redis")
    if not (
        1 <= args.clients <= 20000
        and args.votes >= 1
        and 1 <= args.concurrency <= 1000
        and args.topics >= 1
    ):
        parser.error("clients 1..20000, votes ≥ 1, concurrency 1..1000, topics ≥ 1")
    cpus.pin(parser, args)  # the watchers inherit the client CPUs


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--clients", type=int, default=2000, help="participants, each with a socket"
    )
    parser.add_argument("--votes", type=int, default=2000)
    parser.add_argument(
        "--seconds", type=float, default=30.0, help="spread the votes over this time"
    )
    parser.add_argument("--concurrency", type=int, default=50, help="concurrent HTTP voters")
    parser.add_argument("--topics", type=int, default=20)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--broadcast", choices=["memory", "redis"], default="memory")
    parser.add_argument(
        "--watchers", type=int, default=2, help="processes holding the participant sockets"
    )
    parser.add_argument(
        "--synchronous",
        choices=["full", "normal", "both"],
        default="full",
        help="SQLite's synchronous mode; both: alternate the two and compare",
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs of each configuration (and of each mode)"
    )
    parser.add_argument(
        "--table", action="store_true", help="run each row of the README's table in turn"
    )
    cpus.add_options(parser, server="the server", client="the load generator")
    args = parser.parse_args()
    check(parser, args)
    most = max(configuration.clients for configuration in configurations(args))
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, most * 3 + 1024)), hard))
    if args.synchronous == "both":
        runs = [run(args, mode) for _ in range(args.repeat) for mode in MODES]
        print(json.dumps(compare(runs)))
        return
    for configuration in configurations(args):
        runs = [run(configuration, configuration.synchronous) for _ in range(args.repeat)]
        if args.repeat > 1:
            print(json.dumps(median(runs)), flush=True)


if __name__ == "__main__":
    main()
