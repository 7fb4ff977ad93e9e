"""Fan-out: the app's real-time layer against a raw ``websockets.broadcast`` server.

Both servers run in a subprocess and push FRAMES frames of FRAME_BYTES to CLIENTS sockets as
soon as all are connected; this process holds the clients and counts what arrives. The app
side is the real stack (uvicorn, Starlette's WebSocket, ``app.realtime.hub.Hub`` with its
per-client mailboxes and sender tasks); it only skips the ticket check and the database.

    python bench/fanout.py --clients 2000 --frames 20 --frame-bytes 4000

Prints one JSON line: clients, frames, frame_bytes, app_msgs_per_s, raw_msgs_per_s and their
ratio (what the clients received: app / raw, medians of alternating rounds), and each server's
CPU time per message sent, measured around each frame's fan-out (app_server_cpu_us_per_msg,
raw_server_cpu_us_per_msg; cpu_ratio is raw / app, so 1 means as cheap as
``websockets.broadcast``). The clients' rate also depends on how the clients read; the CPU
figures are the servers' alone.
Both servers run pinned to ``--server-cpus`` (default: the first CPU this process may use) and
the clients to ``--client-cpus`` (default: the others), as in ``bench/vote_burst.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: bench.cpus is the repository's
MARKER = "bench-frame"

from bench import cpus  # noqa: E402


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def frame_body(index: int, size: int) -> str:
    head = f'<div id="{MARKER}" data-n="{index}">'
    return head + "x" * max(size - len(head) - 6, 0) + "</div>"


# --- the two servers (run in a subprocess) -------------------------------------------------


def report_cpu(spent: list[float], clients: int) -> None:
    """Tell the parent the server's CPU time per message sent (median over the frames)."""
    per_frame = sorted(spent)[len(spent) // 2]
    print(json.dumps({"cpu_us_per_msg": per_frame * 1e6 / clients}), flush=True)


def serve_app(port: int, clients: int, frames: int, size: int, ws_impl: str) -> None:
    import uvicorn
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.routing import WebSocketRoute
    from starlette.websockets import WebSocket

    from app.realtime.asgi import FrameSocket, KeepRawSend
    from app.realtime.broker import MemoryBroker
    from app.realtime.hub import ChannelKey, Connection, Frame, Hub
    from app.runtime import tune_process

    key = ChannelKey(1, "board", "en")

    async def renderer(event_id: int, keys: list[ChannelKey]) -> dict[ChannelKey, str]:
        return {k: "<div id='snapshot'></div>" for k in keys}

    hub = Hub(MemoryBroker(), renderer)
    ready = asyncio.Event()
    spent: list[float] = []

    async def endpoint(websocket: WebSocket) -> None:
        await websocket.accept()
        connection = Connection(socket=FrameSocket(websocket), key=key)

        async def receive() -> str | None:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return None
            return str(message.get("text") or "")

        if len(hub.channels.get(key, ())) + 1 >= clients:
            ready.set()
        await hub.serve(connection, receive)

    async def push() -> None:
        await ready.wait()
        await asyncio.sleep(1.0)
        members = list(hub.channels[key])
        for index in range(frames):
            frame = Frame(hub.broker.epoch, 1000 + index, frame_body(index, size))
            started = time.process_time()
            await hub.broadcast(key, frame)  # the path every live frame takes
            spent.append(time.process_time() - started)
            # Wait until every mailbox took this frame, so the next one replaces nothing and
            # both servers deliver the same number of messages (at once when all sends could
            # finish at once, as the raw server's do).
            pending = members
            while True:
                pending = [
                    c
                    for c in pending
                    if c.sent != (frame.epoch, frame.version) and not c.dropped.is_set()
                ]
                if not pending:
                    break
                await asyncio.sleep(0.002)
        report_cpu(spent, clients)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        tune_process()  # as the real server does
        await hub.start()
        task = asyncio.create_task(push())
        yield
        task.cancel()
        await hub.stop()

    application = Starlette(
        routes=[WebSocketRoute("/ws", endpoint)],
        lifespan=lifespan,
        middleware=[Middleware(KeepRawSend)],
    )
    uvicorn.run(
        application, host="127.0.0.1", port=port, log_level="warning", ws=ws_impl, backlog=8192
    )


def serve_raw(port: int, clients: int, frames: int, size: int) -> None:
    from websockets.asyncio.server import ServerConnection, broadcast, serve

    connections: set[ServerConnection] = set()
    ready = asyncio.Event()

    async def handler(connection: ServerConnection) -> None:
        connections.add(connection)
        if len(connections) >= clients:
            ready.set()
        try:
            await connection.wait_closed()
        finally:
            connections.discard(connection)

    async def main() -> None:
        async with serve(handler, "127.0.0.1", port, backlog=8192, compression=None):
            await ready.wait()
            await asyncio.sleep(1.0)
            spent: list[float] = []
            for index in range(frames):
                started = time.process_time()
                broadcast(connections, frame_body(index, size))
                spent.append(time.process_time() - started)
                await asyncio.sleep(0)
            report_cpu(spent, clients)
            await asyncio.Future()

    asyncio.run(main())


# --- the clients (this process) ------------------------------------------------------------


async def measure(port: int, clients: int, frames: int, hello: bool) -> float:
    from websockets.asyncio.client import connect

    expected = clients * frames
    received = 0
    first: float | None = None
    last = 0.0
    done = asyncio.Event()

    async def client() -> None:
        nonlocal received, first, last
        async with connect(
            f"ws://127.0.0.1:{port}/ws",
            compression=None,
            max_size=None,
            open_timeout=60,
            ping_interval=None,
        ) as ws:
            if hello:
                await ws.send(json.dumps({"type": "hello", "epoch": "", "version": 0}))
            async for message in ws:
                if MARKER not in message[:40]:
                    continue
                now = time.perf_counter()
                first = first or now
                last = now
                received += 1
                if received >= expected:
                    done.set()

    tasks = []
    for _ in range(clients):
        tasks.append(asyncio.create_task(client()))
        await asyncio.sleep(0.0005)  # do not flood the accept queue
    try:
        await asyncio.wait_for(done.wait(), timeout=120)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    assert first is not None
    return expected / (last - first)


def run_server(mode: str, args: argparse.Namespace, port: int) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        __file__,
        "--serve",
        mode,
        "--port",
        str(port),
        "--clients",
        str(args.clients),
        "--frames",
        str(args.frames),
        "--frame-bytes",
        str(args.frame_bytes),
        "--ws",
        args.ws,
    ]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        preexec_fn=lambda: os.sched_setaffinity(0, args.server_cpu_set),
    )
    for _ in range(200):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise SystemExit(f"{mode} server did not start")


def one(mode: str, args: argparse.Namespace) -> tuple[float, float]:
    """Messages per second the clients received, and the server's CPU µs per message."""
    port = free_port()
    server = run_server(mode, args, port)
    try:
        rate = asyncio.run(measure(port, args.clients, args.frames, hello=mode == "app"))
        assert server.stdout is not None
        return rate, float(json.loads(server.stdout.readline())["cpu_us_per_msg"])
    finally:
        server.terminate()
        server.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=2000)
    parser.add_argument("--frames", type=int, default=20)
    parser.add_argument("--frame-bytes", type=int, default=4000)
    parser.add_argument(
        "--rounds", type=int, default=3, help="alternating runs of each; medians are printed"
    )
    parser.add_argument(
        "--ws", default="websockets-sansio", help="uvicorn WebSocket implementation"
    )
    cpus.add_options(parser, server="the servers", client="the clients")
    parser.add_argument("--serve", choices=["app", "raw"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not (
        1 <= args.clients <= 20000
        and 1 <= args.frames <= 10000
        and 64 <= args.frame_bytes <= 1 << 20
        and 1 <= args.rounds <= 20
    ):
        parser.error("clients 1..20000, frames 1..10000, frame-bytes 64..1048576, rounds 1..20")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(
        resource.RLIMIT_NOFILE, (min(hard, max(soft, args.clients * 2 + 1024)), hard)
    )
    if args.serve == "app":
        serve_app(args.port, args.clients, args.frames, args.frame_bytes, args.ws)
        return
    if args.serve == "raw":
        serve_raw(args.port, args.clients, args.frames, args.frame_bytes)
        return
    cpus.pin(parser, args)
    runs: dict[str, list[tuple[float, float]]] = {"app": [], "raw": []}
    for _ in range(args.rounds):
        for mode in ("app", "raw"):
            runs[mode].append(one(mode, args))
    app_rate, raw_rate = (_median([rate for rate, _cpu in runs[mode]]) for mode in ("app", "raw"))
    app_cpu, raw_cpu = (_median([cpu for _rate, cpu in runs[mode]]) for mode in ("app", "raw"))
    print(
        json.dumps(
            {
                "clients": args.clients,
                "frames": args.frames,
                "frame_bytes": args.frame_bytes,
                "ws": args.ws,
                "app_msgs_per_s": round(app_rate),
                "raw_msgs_per_s": round(raw_rate),
                "ratio": round(app_rate / raw_rate, 3),
                "app_server_cpu_us_per_msg": round(app_cpu, 2),
                "raw_server_cpu_us_per_msg": round(raw_cpu, 2),
                "cpu_ratio": round(raw_cpu / app_cpu, 3),
                "server_cpus": sorted(args.server_cpu_set),
                "client_cpus": sorted(args.client_cpu_set),
            }
        )
    )


def _median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2]


if __name__ == "__main__":
    main()
