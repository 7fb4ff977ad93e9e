"""Frames straight onto uvicorn's transport: the same bytes as uvicorn's own send, and its own
send whenever the transport is not plainly open for writing."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket
from websockets.asyncio.client import ClientConnection, connect

from app.realtime.asgi import WIRE, FrameSocket, KeepRawSend, wire_message

pytestmark = pytest.mark.anyio

TEXT = '<div id="live-sync" hidden data-epoch="e" data-version="1"></div><p>Ünïcode ✓</p>' * 40


class Endpoint:
    """One socket at a time: the test reaches its FrameSocket and its uvicorn connection."""

    def __init__(self) -> None:
        self.socket: FrameSocket | None = None
        self.ready = asyncio.Event()
        self.done = asyncio.Event()

    async def serve(self, websocket: WebSocket) -> None:
        await websocket.accept()
        self.socket = FrameSocket(websocket)
        self.ready.set()
        await self.done.wait()
        await websocket.close()


@asynccontextmanager
async def connected(
    endpoint: Endpoint, *, deflate: bool = False
) -> AsyncIterator[ClientConnection]:
    """uvicorn with websockets-sansio as ``openspace serve`` runs it, and one client."""
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    listening.listen()  # clients may connect before uvicorn starts accepting
    port = listening.getsockname()[1]
    app = KeepRawSend(Starlette(routes=[WebSocketRoute("/ws", endpoint.serve)]))
    config = uvicorn.Config(
        app, log_level="warning", ws="websockets-sansio", ws_per_message_deflate=deflate
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[listening]))
    try:
        compression = "deflate" if deflate else None
        async with connect(f"ws://127.0.0.1:{port}/ws", compression=compression) as client:
            await endpoint.ready.wait()
            yield client
    finally:
        endpoint.done.set()
        server.should_exit = True
        await asyncio.wait_for(task, timeout=5)
        listening.close()


async def test_a_frame_goes_pre_framed_and_arrives_as_the_same_text() -> None:
    endpoint = Endpoint()
    async with connected(endpoint) as client:
        assert endpoint.socket is not None and endpoint.socket.pre_framed
        await endpoint.socket.send(wire_message(TEXT))
        assert await asyncio.wait_for(client.recv(), timeout=2) == TEXT


async def test_a_paused_transport_gets_the_frame_through_uvicorns_send_once_it_drains() -> None:
    endpoint = Endpoint()
    async with connected(endpoint) as client:
        frame_socket = endpoint.socket
        assert frame_socket is not None
        connection = frame_socket._send.__self__  # type: ignore[attr-defined]
        connection.pause_writing()  # as asyncio does when the client reads too slowly
        sending = asyncio.ensure_future(frame_socket.send(wire_message(TEXT)))
        await asyncio.sleep(0.1)
        assert not sending.done()  # waiting in uvicorn's send, not written past the pause
        connection.resume_writing()
        await asyncio.wait_for(sending, timeout=2)
        assert await asyncio.wait_for(client.recv(), timeout=2) == TEXT


async def test_with_compression_negotiated_frames_take_uvicorns_send() -> None:
    endpoint = Endpoint()
    async with connected(endpoint, deflate=True) as client:
        assert endpoint.socket is not None and not endpoint.socket.pre_framed
        await endpoint.socket.send(wire_message(TEXT))
        assert await asyncio.wait_for(client.recv(), timeout=2) == TEXT


def test_the_wire_bytes_are_an_unmasked_final_text_frame() -> None:
    message = wire_message("hé")
    assert message["text"] == "hé"
    assert message[WIRE] == bytes([0x81, 3]) + "hé".encode()


async def test_a_connection_missing_what_the_fast_path_reads_takes_uvicorns_send() -> None:
    endpoint = Endpoint()
    async with connected(endpoint) as client:
        assert endpoint.socket is not None
        connection = endpoint.socket._send.__self__  # type: ignore[attr-defined]
        websocket = endpoint.socket._websocket  # type: ignore[attr-defined]
        close_sent = connection.close_sent
        del connection.close_sent  # as if a uvicorn release had renamed it
        renamed = FrameSocket(websocket)
        connection.close_sent = close_sent  # uvicorn's own send reads it
        assert not renamed.pre_framed
        await renamed.send(wire_message(TEXT))
        assert await asyncio.wait_for(client.recv(), timeout=2) == TEXT
