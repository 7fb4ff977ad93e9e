"""The hub on its own: a fake renderer, fake sockets, the memory broker, no network."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator, Callable, MutableMapping
from contextlib import asynccontextmanager
from typing import Any

import anyio
import pytest

from app.realtime.broker import MemoryBroker
from app.realtime.hub import (
    ChannelKey,
    Connection,
    Frame,
    Hub,
    Part,
    delta,
    make_frame,
    parse_hello,
)
from tests.realtime.helpers import frame_sync

pytestmark = pytest.mark.anyio

EVENT = 7
BOARD = ChannelKey(EVENT, "board", "en")
PHONES = ChannelKey(EVENT, "phones", "en")
PHONES_BG = ChannelKey(EVENT, "phones", "bg")
PING = json.dumps({"type": "ping"})


class FakeRenderer:
    """Renders "<audience>/<locale> #<call>"; can hold its first call until released."""

    def __init__(self, *, delay: float = 0.0, hold_first: bool = False) -> None:
        self.calls: list[list[ChannelKey]] = []
        self.delay = delay
        self.release = asyncio.Event()
        if not hold_first:
            self.release.set()

    async def __call__(self, event_id: int, keys: list[ChannelKey]) -> dict[ChannelKey, str]:
        self.calls.append(list(keys))
        number = len(self.calls)
        if number == 1:
            await self.release.wait()
        await asyncio.sleep(self.delay)
        return {key: f"<p>{key.audience}/{key.locale} #{number}</p>" for key in keys}


class FakeSocket:
    """Records what the hub sends; ``stall`` makes send_text never return."""

    def __init__(self, *, stall: bool = False) -> None:
        self.sent: list[str] = []
        self.sent_at: list[float] = []
        self.closed_with: int | None = None
        self.stall = stall
        self.inbox: asyncio.Queue[str | None] = asyncio.Queue()

    async def send(self, message: MutableMapping[str, Any]) -> None:
        if self.stall:
            await asyncio.Event().wait()
        self.sent.append(message["text"])
        self.sent_at.append(asyncio.get_running_loop().time())

    async def send_text(self, data: str) -> None:
        await self.send({"type": "websocket.send", "text": data})

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        self.closed_with = code

    async def receive(self) -> str | None:
        return await self.inbox.get()

    @property
    def versions(self) -> list[int]:
        return [frame_sync(text)[1] for text in self.sent]


class GatedSocket(FakeSocket):
    """A slow network: each send waits until the test opens ``gate``."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = asyncio.Event()

    async def send(self, message: MutableMapping[str, Any]) -> None:
        await self.gate.wait()
        self.sent.append(message["text"])


class Clients:
    """Fake clients served by a hub, each in its own task, as the WebSocket route runs them."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.tasks: dict[FakeSocket, asyncio.Task[None]] = {}

    def connect(self, key: ChannelKey, *, greeting: str = PING, stall: bool = False) -> FakeSocket:
        socket = FakeSocket(stall=stall)
        socket.inbox.put_nowait(greeting)
        connection = Connection(socket=socket, key=key)
        self.tasks[socket] = asyncio.create_task(
            self.hub.serve(connection, socket.receive, hello_timeout=0.5)
        )
        return socket

    async def disconnect_all(self) -> None:
        for socket in self.tasks:
            socket.inbox.put_nowait(None)
        await asyncio.wait_for(asyncio.gather(*self.tasks.values()), timeout=5)


class FakeClock:
    """The hub's clock for cadences: it moves only when the test moves it."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@asynccontextmanager
async def running_hub(
    renderer: FakeRenderer, *, send_timeout: float = 5.0, **options: Any
) -> AsyncIterator[tuple[Hub, Clients]]:
    hub = Hub(
        MemoryBroker(),
        renderer,
        publish_delay=0.02,
        frame_interval=0.1,
        send_timeout=send_timeout,
        **options,
    )
    await hub.start()
    clients = Clients(hub)
    try:
        yield hub, clients
    finally:
        await clients.disconnect_all()
        await hub.stop()


async def until(condition: Callable[[], bool], *, within: float = 2.0) -> None:
    step = 0.005
    for _ in range(int(within / step)):
        if condition():
            return
        await asyncio.sleep(step)
    raise AssertionError(f"not so within {within} s")


async def test_hub_burst_of_changes_coalesces_into_few_frames() -> None:
    renderer = FakeRenderer()
    async with running_hub(renderer) as (hub, clients):
        sockets = [clients.connect(BOARD) for _ in range(5)]
        await until(lambda: all(len(socket.sent) == 1 for socket in sockets))
        assert len(renderer.calls) == 1  # the snapshot, shared by the five

        def burst() -> None:  # changes are reported from the routes' worker threads
            for _ in range(100):
                hub.changed(EVENT)

        # The loop is held while the thread reports, so all 100 changes are waiting when it
        # runs again, however slow the machine: the count below does not depend on timing.
        reporter = threading.Thread(target=burst)
        reporter.start()
        reporter.join()
        await until(lambda: all(len(socket.sent) == 2 for socket in sockets))
        await asyncio.sleep(0.4)  # room for a second frame, were one (wrongly) coming
        final = await hub.broker.current_version(EVENT)

        assert len(renderer.calls) == 2  # the snapshot, then one frame for the whole burst
        for socket in sockets:
            assert len(socket.sent) == 2
            assert socket.versions[-1] == final == max(socket.versions)
            assert socket.versions == sorted(set(socket.versions))


async def test_hub_phones_get_one_frame_per_phone_interval_and_always_the_last() -> None:
    renderer = FakeRenderer()
    clock = FakeClock()
    async with running_hub(renderer, phone_interval=1.0, clock=clock) as (hub, clients):
        board, phone = clients.connect(BOARD), clients.connect(PHONES)
        await until(lambda: len(board.sent) == len(phone.sent) == 1)  # the snapshots
        hub.changed(EVENT)  # the first change: the phones get it at the first tick too
        await until(lambda: len(board.sent) == len(phone.sent) == 2)

        # A burst: each change waits for the board's frame of the one before. The clock
        # stands still, so no second phone frame falls due, however long the burst takes.
        for count in range(3, 8):
            hub.changed(EVENT)
            await until(lambda count=count: len(board.sent) == count)  # type: ignore[misc]
        assert len(phone.sent) == 2
        final = await hub.broker.current_version(EVENT)

        clock.now += 1.0  # a second later the phones are due: they get the newest frame
        await until(lambda: len(phone.sent) == 3)
        await asyncio.sleep(0.3)  # room for more frames, were any (wrongly) coming

        assert phone.versions[-1] == board.versions[-1] == final
        assert (len(board.sent), len(phone.sent)) == (7, 3)
        assert renderer.calls[3:] == [[BOARD]] * 5 + [[PHONES]]  # never a phone frame unsent

        clock.now += 1.0  # a quiet second: the next change reaches both at once again
        hub.changed(EVENT)
        await until(lambda: len(board.sent) == 8 and len(phone.sent) == 4)
        assert sorted(renderer.calls[-1]) == sorted([BOARD, PHONES])


async def test_hub_renders_each_channel_once_for_all_its_sockets() -> None:
    renderer = FakeRenderer()
    async with running_hub(renderer) as (hub, clients):
        channels = {BOARD: 10, PHONES: 20, PHONES_BG: 5}
        sockets = {key: [clients.connect(key) for _ in range(n)] for key, n in channels.items()}
        everyone = [socket for group in sockets.values() for socket in group]
        await until(lambda: all(len(socket.sent) == 1 for socket in everyone))
        assert sorted(map(tuple, renderer.calls)) == sorted((key,) for key in channels)

        hub.changed(EVENT)
        await until(lambda: all(len(socket.sent) == 2 for socket in everyone))
        await asyncio.sleep(0.25)

        assert len(renderer.calls) == 4
        assert sorted(renderer.calls[-1]) == sorted(channels)
        assert hub.frames_rendered == 6
        for key, group in sockets.items():
            texts = {socket.sent[-1] for socket in group}
            assert len(texts) == 1
            (text,) = texts
            assert text.endswith(f"<p>{key.audience}/{key.locale} #4</p>")
            assert all(len(socket.sent) == 2 for socket in group)


async def test_hub_drops_a_stalled_socket_without_holding_up_the_others() -> None:
    renderer = FakeRenderer()
    async with running_hub(renderer, send_timeout=0.5) as (hub, clients):
        stalled = clients.connect(PHONES, stall=True)
        healthy = [clients.connect(PHONES) for _ in range(3)]
        await until(lambda: all(len(socket.sent) == 1 for socket in healthy))
        loop = asyncio.get_running_loop()

        changed_at = loop.time()
        hub.changed(EVENT)
        await until(lambda: all(len(socket.sent) == 2 for socket in healthy))
        # Delivered while the stalled socket still blocks its own send, far below the timeout.
        assert all(socket.sent_at[-1] - changed_at < 0.4 for socket in healthy)
        assert not clients.tasks[stalled].done()

        await asyncio.wait_for(clients.tasks[stalled], timeout=2)
        assert stalled.closed_with == 1013
        assert stalled.sent == []
        assert len(hub.channels[PHONES]) == 3

        hub.changed(EVENT)
        await until(lambda: all(len(socket.sent) == 3 for socket in healthy))
        assert all(socket.closed_with is None for socket in healthy)


async def test_connection_newest_frame_replaces_an_unsent_older_one() -> None:
    socket = GatedSocket()
    gate, sent = socket.gate, socket.sent

    connection = Connection(socket=socket, key=PHONES)
    connection.offer(Frame("e", 1, "one"))  # its send is stuck on a slow network
    for version in (2, 3, 4):
        connection.offer(Frame("e", version, f"v{version}"))
    await asyncio.sleep(0.01)
    assert sent == []
    gate.set()
    await until(lambda: len(sent) == 2)
    await asyncio.sleep(0.05)

    assert sent == ["one", "v4"]
    assert connection.sent == ("e", 4)


async def test_connection_takes_a_frame_of_another_epoch_whatever_its_version() -> None:
    socket = FakeSocket()
    connection = Connection(socket=socket, key=PHONES, sent=("old", 50))
    connection.offer(Frame("old", 50, "again"))
    connection.offer(Frame("new", 1, "after a restart"))
    await until(lambda: len(socket.sent) == 1)

    assert socket.sent == ["after a restart"]


async def test_hub_snapshot_for_200_connects_at_once_renders_once() -> None:
    renderer = FakeRenderer(delay=0.05)
    async with running_hub(renderer) as (hub, clients):
        sockets = [clients.connect(BOARD) for _ in range(200)]
        await until(lambda: all(len(socket.sent) == 1 for socket in sockets))

        assert len(renderer.calls) == 1
        assert len({socket.sent[0] for socket in sockets}) == 1
        assert hub.frames_rendered == 1


async def test_hub_snapshot_rendered_during_a_change_never_goes_back_in_time() -> None:
    renderer = FakeRenderer(hold_first=True)
    async with running_hub(renderer) as (hub, clients):
        first = clients.connect(BOARD)
        await until(lambda: len(renderer.calls) == 1)  # the snapshot, held while rendering
        hub.changed(EVENT)
        await until(lambda: len(first.sent) == 1)  # the change's frame overtook it
        renderer.release.set()
        await asyncio.sleep(0.1)
        second = clients.connect(BOARD)
        await until(lambda: len(second.sent) == 1)

        assert first.versions == [1]
        assert first.sent[0].endswith("#2</p>")
        assert second.sent == first.sent  # served from the cache, which kept the newer frame
        assert hub.latest[BOARD].version == 1


async def test_hub_hello_with_the_current_frame_gets_nothing_until_the_next_change() -> None:
    renderer = FakeRenderer()
    async with running_hub(renderer) as (hub, clients):
        first = clients.connect(BOARD)
        await until(lambda: len(first.sent) == 1)
        hub.changed(EVENT)
        await until(lambda: len(first.sent) == 2)
        epoch, version = frame_sync(first.sent[-1])
        current = json.dumps({"type": "hello", "epoch": epoch, "version": version})
        stale = json.dumps({"type": "hello", "epoch": epoch, "version": version - 1})
        lost = json.dumps({"type": "hello", "epoch": "another", "version": version})

        up_to_date = clients.connect(BOARD, greeting=current)
        behind = clients.connect(BOARD, greeting=stale)
        lost_epoch = clients.connect(BOARD, greeting=lost)
        await until(lambda: len(behind.sent) == 1 and len(lost_epoch.sent) == 1)
        await asyncio.sleep(0.1)
        assert up_to_date.sent == []
        assert behind.sent == lost_epoch.sent == first.sent[-1:]

        hub.changed(EVENT)
        await until(lambda: len(up_to_date.sent) == 1)
        assert up_to_date.versions == [version + 1]


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ('{"type": "hello", "epoch": "ab12", "version": 3}', ("ab12", 3)),
        ('{"type": "hello", "epoch": "ab12", "version": "3"}', ("ab12", 3)),
        ('{"type": "hello", "epoch": "", "version": 0}', ("", 0)),
        ('{"type": "hello"}', None),
        ('{"type": "hello", "epoch": "ab12", "version": true}', None),
        ('{"type": "hello", "epoch": "ab12", "version": -1.5}', None),
        ('{"type": "hello", "epoch": 12, "version": 3}', None),
        ('{"type": "hello", "epoch": "' + "x" * 65 + '", "version": 3}', None),
        ('{"type": "ping"}', None),
    ],
)
def test_parse_hello_accepts(message: str, expected: tuple[str, int] | None) -> None:
    assert parse_hello(message) == expected


@pytest.mark.parametrize(
    "message",
    ["", "hello", "[]", '"hello"', "{}", '{"type": "subscribe", "event": 2}', '{"type": null}'],
)
def test_parse_hello_rejects(message: str) -> None:
    with pytest.raises(ValueError):
        parse_hello(message)


async def test_hub_nudge_reaches_only_that_persons_other_sockets() -> None:
    renderer = FakeRenderer()
    async with running_hub(renderer) as (hub, clients):
        sockets: dict[tuple[int, int], FakeSocket] = {}
        for subject, grant, key in [(3, 30, PHONES), (3, 31, PHONES_BG), (4, 40, PHONES)]:
            socket = FakeSocket()
            socket.inbox.put_nowait(PING)
            connection = Connection(socket=socket, key=key, grant_id=grant, subject_id=subject)
            clients.tasks[socket] = asyncio.create_task(
                hub.serve(connection, socket.receive, hello_timeout=0.5)
            )
            sockets[(subject, grant)] = socket
        board = clients.connect(BOARD)
        everyone = [*sockets.values(), board]
        await until(lambda: all(len(socket.sent) == 1 for socket in everyone))

        # Participant 3 voted from device 30: their device 31 is nudged, nobody else.
        await anyio.to_thread.run_sync(lambda: hub.nudge(EVENT, "phones", [3], except_grant=30))
        await until(lambda: len(sockets[(3, 31)].sent) == 2)
        await asyncio.sleep(0.1)

        nudge = sockets[(3, 31)].sent[-1]
        assert nudge.startswith('<div id="my-nudge" hidden hx-swap-oob="true" data-at="')
        assert [len(socket.sent) for socket in everyone] == [1, 2, 1, 1]
        assert len(renderer.calls) == 3  # the snapshots only: a nudge renders nothing


async def test_hub_ignores_a_malformed_nudge() -> None:
    renderer = FakeRenderer()
    async with running_hub(renderer) as (hub, clients):
        phone = clients.connect(PHONES)
        await until(lambda: len(phone.sent) == 1)
        for message in [
            {"t": "nudge", "e": EVENT, "a": "phones", "s": ["1"], "x": 0},
            {"t": "nudge", "e": EVENT, "a": "nobody", "s": [1], "x": 0},
            {"t": "nudge", "e": EVENT, "a": "phones", "s": [1], "x": "2"},
        ]:
            await hub.broker.publish(json.dumps(message))
        await asyncio.sleep(0.1)
        assert len(phone.sent) == 1


async def test_connection_nudge_waits_for_a_send_in_flight_and_never_replaces_a_frame() -> None:
    release = asyncio.Event()

    class SlowSocket(FakeSocket):
        async def send(self, message: MutableMapping[str, Any]) -> None:
            await release.wait()
            await super().send(message)

    socket = SlowSocket()
    connection = Connection(socket=socket, key=PHONES)
    nudge = {"type": "websocket.send", "text": "<div id='my-nudge'></div>"}
    connection.offer(Frame("e", 1, "one"))  # in flight
    connection.offer(Frame("e", 2, "two"))  # waiting
    connection.nudge(nudge)  # waits too, beside the frame
    release.set()
    await until(lambda: len(socket.sent) == 3)
    assert socket.sent == ["one", "two", "<div id='my-nudge'></div>"]


# --- deltas: a renderer that cuts bodies into parts -------------------------------------------


def _list(tallies: dict[int, int], *, title: str = "Topics") -> Part:
    pieces = tuple((f"tally-{t}", f'<b id="tally-{t}">{n}</b>') for t, n in tallies.items())
    cards = "".join(f"<li>{t}: {html}</li>" for (_id, html), t in zip(pieces, tallies, strict=True))
    return Part(f'<ul id="list" hx-swap-oob="true"><h2>{title}</h2>{cards}</ul>', pieces)


BANNER = Part('<p id="banner" hx-swap-oob="true">Voting</p>')


def test_delta_leaves_out_what_did_not_change() -> None:
    before = (BANNER, _list({1: 0, 2: 0}))
    assert delta(before, before) == ""


def test_delta_carries_only_the_changed_pieces_of_a_part_whose_rest_is_the_same() -> None:
    changes = delta((BANNER, _list({1: 0, 2: 0})), (BANNER, _list({1: 0, 2: 3})))
    assert changes == '<b id="tally-2" hx-swap-oob="true">3</b>'


def test_delta_carries_the_whole_part_when_more_than_its_pieces_changed() -> None:
    after = (BANNER, _list({1: 0, 2: 3}, title="2 topics"))
    assert delta((BANNER, _list({1: 0, 2: 0})), after) == after[1].html
    added = (BANNER, _list({1: 0, 2: 0, 3: 0}))  # a new topic: a new piece, a new card
    assert delta((BANNER, _list({1: 0, 2: 0})), added) == added[1].html
    changed_banner = Part('<p id="banner" hx-swap-oob="true">Agenda</p>')
    assert delta((BANNER, _list({1: 0})), (changed_banner, _list({1: 0}))) == changed_banner.html


def test_delta_sends_the_whole_part_when_a_piece_is_not_in_its_html() -> None:
    stray = Part(
        '<ul id="list"><b id="tally-1">0</b></ul>', (("tally-1", '<b id="tally-1">9</b>'),)
    )
    later = Part(
        '<ul id="list"><b id="tally-1">1</b></ul>', (("tally-1", '<b id="tally-1">1</b>'),)
    )
    assert delta((stray,), (later,)) == later.html


def test_delta_of_bodies_that_do_not_line_up_is_none() -> None:
    assert delta((BANNER,), (BANNER, _list({1: 0}))) is None


def test_a_frame_goes_as_its_delta_only_to_a_client_holding_the_frame_before() -> None:
    first = make_frame("e", 1, (BANNER, _list({1: 0})))
    second = make_frame("e", 2, (BANNER, _list({1: 1})), first)
    assert first.delta_text is None
    assert second.base == first.serial
    assert second.message_for(first.serial)["text"].endswith(
        '<b id="tally-1" hx-swap-oob="true">1</b>'
    )
    assert 'data-version="2"' in second.message_for(first.serial)["text"]
    assert second.message_for(0) is second.message
    assert second.message_for(first.serial - 1) is second.message
    another_epoch = make_frame("f", 3, (BANNER, _list({1: 2})))
    assert another_epoch.delta_text is None


class PartsRenderer:
    """Phones' bodies in parts: a banner that never changes and a list whose tally counts calls."""

    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self, event_id: int, keys: list[ChannelKey]) -> dict[ChannelKey, Any]:
        self.calls += 1
        return {key: (BANNER, _list({1: self.calls, 2: 0})) for key in keys}


async def test_hub_sends_each_phone_the_changed_tallies_after_its_first_whole_frame() -> None:
    async with running_hub(PartsRenderer()) as (hub, clients):  # type: ignore[arg-type]
        early = clients.connect(PHONES)
        await until(lambda: len(early.sent) == 1)
        hub.changed(EVENT)
        await until(lambda: len(early.sent) == 2)
        late = clients.connect(PHONES)  # gets the cached newest frame whole
        await until(lambda: len(late.sent) == 1)
        hub.changed(EVENT)
        await until(lambda: len(early.sent) == 3 and len(late.sent) == 2)

        whole, first_delta, second_delta = early.sent
        assert "Voting" in whole and '<b id="tally-1">1</b>' in whole
        assert first_delta.endswith('<b id="tally-1" hx-swap-oob="true">2</b>')
        assert "Voting" not in first_delta and "tally-2" not in first_delta
        assert "Voting" in late.sent[0]
        assert late.sent[1] == second_delta
        assert second_delta.endswith('<b id="tally-1" hx-swap-oob="true">3</b>')


async def test_hub_sends_the_whole_frame_to_a_phone_that_only_claims_a_version() -> None:
    async with running_hub(PartsRenderer()) as (hub, clients):  # type: ignore[arg-type]
        first = clients.connect(PHONES)
        await until(lambda: len(first.sent) == 1)
        epoch, version = frame_sync(first.sent[0])
        # A page rendered at that version says so; what it shows is the page's, not a frame.
        page = clients.connect(
            PHONES, greeting=json.dumps({"type": "hello", "epoch": epoch, "version": version})
        )
        await asyncio.sleep(0.1)
        assert page.sent == []
        hub.changed(EVENT)
        await until(lambda: len(page.sent) == 1 and len(first.sent) == 2)

        assert "Voting" in page.sent[0]  # whole
        assert "Voting" not in first.sent[1]  # the delta


async def test_connection_whose_mailbox_skipped_a_frame_gets_the_next_whole() -> None:
    socket = GatedSocket()
    gate, sent = socket.gate, socket.sent

    one = make_frame("e", 1, (BANNER, _list({1: 0})))
    two = make_frame("e", 2, (BANNER, _list({1: 1})), one)
    three = make_frame("e", 3, (BANNER, _list({1: 2})), two)
    four = make_frame("e", 4, (BANNER, _list({1: 3})), three)
    connection = Connection(socket=socket, key=PHONES)
    connection.offer(one)
    connection.offer(two)  # waits, then three replaces it: two never reaches the client
    connection.offer(three)
    gate.set()
    await until(lambda: len(sent) == 2)
    connection.offer(four)
    await until(lambda: len(sent) == 3)

    assert sent[0] == one.text
    assert sent[1] == three.text  # whole: the client does not hold two, three's base
    assert sent[2] == four.delta_text
