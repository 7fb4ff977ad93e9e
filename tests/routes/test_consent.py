"""Consent in everything that leaves the event's staff, through HTTP and the board's socket.

Ivo Secretov (Hidden Municipality) and Dan Hidden did not agree to be named; Mira did. Ivo
convenes both sessions, wrote notes, is named in the notes' conveners line and in a next
step, and made a commitment; Goran Gone agreed, made a commitment and then left (his
participant row is deleted, as forget-me does). Every public output is fetched as its
reader would fetch it: the two calendar feeds without cookies, the door signs and the
printable agenda as the organiser who prints them, the board page and its live frames in
every phase that shows people, the closing slides, and each proceedings download. Only the
organisers' full archive (the JSON export) names Ivo, and it says so at its top.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from html import unescape
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session
from starlette.testclient import WebSocketTestSession

from app.config import Settings
from app.models.events import Event, Phase
from app.models.people import Participant, User
from app.services.convergence import priorities
from app.services.events import events
from app.services.notes import editing, items
from app.services.proceedings.archive.schema import NOTICE
from app.services.schedule import calendar
from app.services.topics import pitches
from tests.factories import access_as, make_participant, post
from tests.report_helpers import SECRET_NAME, SECRET_ORG, Notes, World, add_notes, make_world
from tests.routes.helpers import sync
from tests.services.proceedings.test_report_render import csv_files, docx_text

GONE, GONE_ORG = "Goran Gone", "Gone Org"
HIDDEN = (SECRET_NAME, "Secretov", SECRET_ORG, "Dan Hidden", GONE, GONE_ORG)
FRAME_WAIT = 10.0


@pytest.fixture
def world(session: Session, settings: Settings, event: Event, owner: User) -> World:
    return make_world(session, settings, event=event, owner=owner)


@pytest.fixture
def notes(session: Session, settings: Settings, world: World) -> Notes:
    """add_notes, then Ivo in the notes' conveners line and his organisation in a next step,
    the housing pitch on, and Goran's commitment made before he left."""
    added = add_notes(session, world, upload_dir=settings.uploads_path)
    housing = world.housing.id or 0
    editing.save(
        session,
        access=world.mira,
        topic_id=housing,
        base_revision=3,  # after Mira's, Ivo's and the organiser's saves in add_notes
        changes={"conveners": f"Mira, {SECRET_NAME}"},
    )
    items.add_step(
        session, access=world.mira, topic_id=housing, action="Ask", who=SECRET_ORG, by_when=""
    )
    pitches.advance(session, access=world.staff)  # the housing pitch, lined up by make_world
    goran, auth = make_participant(
        session,
        settings,
        event=world.event,
        name=GONE,
        organisation=GONE_ORG,
        consent_report=True,
    )
    priorities.commit(
        session,
        access=access_as(session, world.event, auth=auth),
        proposal_id=added.desk.id or 0,
        who=GONE,
        action="Call the ministry",
        by_when="",
    )
    session.delete(session.get(Participant, goran.id))
    session.commit()
    sync(session)
    return added


def _flat(text: str) -> str:
    """Whitespace collapsed, so a name wrapped across lines is still found."""
    return " ".join(text.split())


def _ics_text(content: bytes) -> str:
    """An .ics file unfolded (lines are cut at 75 octets) and unescaped."""
    text = content.decode("utf-8").replace("\r\n ", "")
    return text.replace("\\,", ",").replace("\\;", ";").replace("\\n", "\n")


def _pdf_text(content: bytes, tmp_path: Path) -> str:
    # Reading order, not -layout: a layout interleaves the table cells' wrapped lines.
    path = tmp_path / "proceedings.pdf"
    path.write_bytes(content)
    return subprocess.run(
        ["pdftotext", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def _frame_with(socket: WebSocketTestSession, marker: str) -> str:
    """The next frame that holds ``marker``; fails after FRAME_WAIT seconds."""
    pool = ThreadPoolExecutor(1)
    deadline = time.monotonic() + FRAME_WAIT
    try:
        while True:
            frame: str = pool.submit(socket.receive_text).result(
                timeout=max(deadline - time.monotonic(), 0.01)
            )
            if marker in frame:
                return frame
    except FutureTimeout:
        pytest.fail("no such frame reached the board")
    finally:
        pool.shutdown(wait=False)


@pytest.fixture
def board(
    client: TestClient, settings: Settings, world: World, new_client: Callable[[], TestClient]
) -> Iterator[tuple[TestClient, WebSocketTestSession]]:
    """The projector: its browser (no sign-in) and its live socket, greeted.

    The socket is opened through ``client``, the test client whose event loop runs the app's
    lifespan and so the live hub: a socket on another client's loop would get the hello's
    answer but no frame the hub sends later. The board's ticket is in its address, so the
    cookies that client carries play no part."""
    projector = new_client()
    page = projector.get(events.board_path(world.event, settings.secret))
    assert page.status_code == 200
    address = re.search(r'ws-connect="([^"]+)"', page.text)
    assert address
    with client.websocket_connect(unescape(address.group(1))) as socket:
        socket.send_text(json.dumps({"type": "hello", "epoch": "", "version": 0}))
        yield projector, socket


# Per phase: what marks the board's frame of that phase, and the name Mira shows as there.
BOARD_PHASES = (
    (Phase.VOTING, 'class="board-topic-conveners"', "Mira and 2 more"),  # the topic cards
    (Phase.SESSIONS, 'class="board-session-who"', "Mira and 2 more"),  # today's agenda
    (Phase.CLOSING, 'class="slide-conveners"', "Mira and a participant"),  # the slides
    (Phase.ACTIONS, 'class="board-commitments"', "<strong>Mira</strong>"),  # commitments
)


def test_only_people_who_agreed_are_named_outside_the_staff(
    organiser: TestClient,
    new_client: Callable[[], TestClient],
    settings: Settings,
    session: Session,
    world: World,
    notes: Notes,
    board: tuple[TestClient, WebSocketTestSession],
    tmp_path: Path,
) -> None:
    slug = world.event.slug
    outputs: dict[str, str] = {}

    # Calendar apps fetch the feeds without cookies.
    calendar_app = new_client()
    key = calendar.event_feed_key(world.event, settings.secret)
    outputs["event feed"] = _ics_text(calendar_app.get(f"/e/{slug}/calendar.ics?k={key}").content)
    for access in (world.mira, world.ivo):
        person = access.participant
        assert person is not None
        key = calendar.personal_feed_key(person, settings.secret)
        feed = calendar_app.get(f"/e/{slug}/calendar/{person.id}.ics?k={key}").content
        outputs[f"personal feed of {person.name}"] = _ics_text(feed)

    outputs["door signs"] = organiser.get(f"/o/{slug}/signs").text
    outputs["printable agenda"] = organiser.get(f"/o/{slug}/agenda/print").text

    # The board in every phase that shows people: its page, and the frame the change sent.
    projector, socket = board
    _frame_with(socket, 'class="board-commitments"')  # the answer to its hello
    for phase, marker, mira in BOARD_PHASES:
        changed = post(organiser, settings, f"/o/{slug}/phase", {"phase": phase})
        assert changed.status_code == 303
        outputs[f"board frame, {phase}"] = frame = _frame_with(socket, marker)
        outputs[f"board page, {phase}"] = page = projector.get(
            events.board_path(world.event, settings.secret)
        ).text
        for shown in (frame, page):
            assert mira in shown, phase
    assert "Pitching now" in outputs["board page, voting"]

    for fmt in ("html", "md"):
        outputs[fmt] = organiser.get(f"/o/{slug}/report.{fmt}").text
    outputs["pdf"] = _pdf_text(organiser.get(f"/o/{slug}/report.pdf").content, tmp_path)
    outputs["docx"] = docx_text(organiser.get(f"/o/{slug}/report.docx").content)
    tables = csv_files(organiser.get(f"/o/{slug}/report.csv").content)
    outputs["csv"] = "\n".join(data.decode("utf-8-sig") for data in tables.values())
    archive = organiser.get(f"/o/{slug}/report.json").text

    leaks = [
        (where, hidden)
        for where, text in outputs.items()
        for hidden in HIDDEN
        if hidden in _flat(text)
    ]
    assert leaks == []
    unnamed = [where for where, text in outputs.items() if "Mira" not in text]
    assert unnamed == []
    # Goran left: his commitment stays, by nobody named.
    assert "Call the ministry" in outputs["md"]
    assert re.search(r"Call the ministry\s*\|\s*a participant", outputs["md"])
    # The full archive keeps everyone, and says so first.
    assert SECRET_NAME in archive and SECRET_ORG in archive
    assert next(iter(json.loads(archive))) == "notice"


def test_the_full_archive_says_what_it_is_at_its_top(organiser: TestClient, world: World) -> None:
    archive = organiser.get(f"/o/{world.event.slug}/report.json").content
    assert archive.startswith(b'{\n "notice": ' + json.dumps(NOTICE).encode())
    assert list(json.loads(archive))[:3] == ["notice", "format", "version"]
    page = organiser.get(f"/o/{world.event.slug}/report").text
    notice = re.search(r'<p class="hint" id="archive-notice">([^<]*)</p>', page)
    assert notice and "Do not publish it." in unescape(notice.group(1))
