"""Forget me (issue 12): once a participant is forgotten, their name and organisation appear in
no page, feed or export of any format, for anyone: organisers, other phones, the board.

Every GET route of the app is walked with the event's real ids, before (to prove the walk sees
the name) and after. The live frames are tested against a real server with real WebSocket
clients at the end."""

from __future__ import annotations

import re
import time
from contextlib import AsyncExitStack
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.config import Settings
from app.models.maps import MapCard
from app.models.notes import Photo
from app.models.people import Participant
from app.models.topics import Topic
from app.services.events.events import board_path
from app.services.people import participants
from app.services.schedule import calendar
from tests.factories import login, post
from tests.realtime.helpers import (
    Browser,
    Server,
    create_event,
    hello,
    join,
    live_socket,
    propose,
    set_phase,
)
from tests.report_helpers import SECRET_NAME, SECRET_ORG, World, add_notes, make_world
from tests.routes.helpers import join as join_by_http
from tests.routes.helpers import sync
from tests.security.helpers import routes
from tests.services.people.test_privacy import add_traces
from tests.services.proceedings.test_report_render import text_of

FORMATS = ("html", "pdf", "docx", "md", "json", "csv")
BINARY = {"application/pdf", "application/zip"}


@pytest.fixture
def world(session: Session, settings: Settings, owner: object, event: object) -> World:
    built = make_world(session, settings, event=event, owner=owner)  # type: ignore[arg-type]
    add_notes(session, built, upload_dir=settings.uploads_path)
    add_traces(session, settings, built)
    session.commit()
    return built


def _ids(session: Session, world: World, settings: Settings) -> dict[str, list[str]]:
    """What each path parameter may be: every real id of the event."""
    event_id = world.event.id

    def all_of(column: object, where: object) -> list[str]:
        return [str(value) for value in session.exec(select(column).where(where)).all()]  # type: ignore[call-overload]

    mira = world.mira.participant
    assert mira is not None
    return {
        "slug": [world.event.slug],
        "topic_id": all_of(Topic.id, Topic.event_id == event_id),
        "participant_id": all_of(Participant.id, Participant.event_id == event_id),
        "photo_id": all_of(Photo.id, Photo.event_id == event_id),
        "map_id": [str(i) for i in {c.map_id for c in session.exec(select(MapCard)).all()}],
        "card_id": all_of(MapCard.id, MapCard.event_id == event_id),
        "room_id": [str(b) for b in range(1, 4)],
        "fmt": list(FORMATS),
        "token": [participants.personal_token(mira, settings.secret)],
        "code": [world.event.join_code],
        "signature": [board_path(world.event, settings.secret).rsplit("/", 1)[1]],
    }


def _addresses(app: FastAPI, ids: dict[str, list[str]]) -> list[str]:
    found = []
    for method, path in routes(app):
        if method != "GET":
            continue
        addresses = [path]
        for name in re.findall(r"{(\w+)}", path):
            addresses = [
                address.replace("{" + name + "}", value)
                for address in addresses
                for value in ids.get(name, ["1"])
            ]
        found += addresses
    return found


def _texts(client: TestClient, addresses: list[str], tmp_path: Path) -> dict[str, str]:
    """Every page, feed and export the client may get, as text."""
    texts = {}
    for address in addresses:
        response = client.get(address, follow_redirects=False)
        if response.status_code != 200:
            continue
        kind = response.headers.get("content-type", "").split(";")[0]
        if kind.startswith("image/") and "svg" not in kind:
            continue
        fmt = address.rsplit(".", 1)[-1] if "/report." in address else ""
        if kind in BINARY or fmt == "docx":
            texts[address] = text_of(fmt, response.content, tmp_path)
        else:
            texts[address] = response.text
    return texts


def test_after_forget_me_no_page_feed_or_export_names_them(
    app: FastAPI,
    session: Session,
    settings: Settings,
    new_client: object,
    world: World,
    tmp_path: Path,
) -> None:
    make = new_client  # a browser per viewer
    organiser, phone, ivos_phone = make(), make(), make()  # type: ignore[operator]
    login(organiser, settings, world.owner)
    join_by_http(phone, settings, world.event, name="Watcher")
    ivo = world.ivo.participant
    mira = world.mira.participant
    assert ivo is not None and mira is not None
    token = participants.personal_token(ivo, settings.secret)
    assert post(ivos_phone, settings, f"/e/{world.event.slug}/p/{token}").status_code == 303
    slug = world.event.slug
    feeds = [
        f"/e/{slug}/calendar.ics?k={calendar.event_feed_key(world.event, settings.secret)}",
        f"/e/{slug}/calendar/{mira.id}.ics?k={calendar.personal_feed_key(mira, settings.secret)}",
        f"/e/{slug}/calendar/{ivo.id}.ics?k={calendar.personal_feed_key(ivo, settings.secret)}",
    ]
    addresses = _addresses(app, _ids(session, world, settings)) + feeds
    viewers = {"organiser": organiser, "phone": phone, "outsider": make()}  # type: ignore[operator]

    before = {
        f"{who} {address}": text
        for who, client in viewers.items()
        for address, text in _texts(client, addresses, tmp_path).items()
    }
    named = [where for where, text in before.items() if SECRET_NAME in text]
    assert any(where.startswith("organiser /o/") for where in named), "the walk must see him"
    assert any(SECRET_ORG in text for text in before.values())
    assert any("/report.pdf" in where for where in before)  # the exports were read

    answer = post(ivos_phone, settings, f"/e/{slug}/me/forget")
    assert answer.status_code == 200, answer.text
    assert "Your data was deleted" in answer.text
    sync(session)

    after = {
        f"{who} {address}": text
        for who, client in viewers.items()
        for address, text in _texts(client, addresses, tmp_path).items()
    }
    assert len(after) >= len(before) - 4  # his own feed, forget page, his participant pages
    for where, text in after.items():
        assert SECRET_NAME not in text, where
        assert SECRET_ORG not in text, where
    # His phone is nobody in the event now.
    assert ivos_phone.get(f"/e/{slug}/me", follow_redirects=False).status_code == 303


# --- live frames, through a real server ------------------------------------------------------


@pytest.mark.anyio
async def test_after_forget_me_no_live_frame_names_them(
    server: Server, organiser_cookies: dict[str, str]
) -> None:
    name, organisation = "Zyxwv Forgetme", "Qponm Collective"
    async with AsyncExitStack() as stack:
        organiser = await stack.enter_async_context(Browser(server, organiser_cookies))
        event = await create_event(organiser, f"forget-live-{int(time.time() * 1000)}")
        await set_phase(organiser, event, "marketplace")
        leaving = await stack.enter_async_context(Browser(server))
        await join(leaving, event, name)
        saved = await leaving.post(
            f"/e/{event.slug}/me",
            {"name": name, "organisation": organisation, "locale": "en", "consent_report": "true"},
        )
        assert saved.status_code == 303, saved.text
        await propose(leaving, event, "Rents and rooms")
        staying = await stack.enter_async_context(Browser(server))
        await join(staying, event, "Staying")

        paths = {
            "board": await organiser.live_path(event.board_path),
            "staff": await organiser.live_path(f"/o/{event.slug}/live"),
            "phone": await staying.live_path(f"/e/{event.slug}"),
        }
        sockets = {
            who: await stack.enter_async_context(live_socket(server, path, greeting=hello()))
            for who, path in paths.items()
        }
        first = {who: await socket.next_frame(within=5) for who, socket in sockets.items()}
        assert any(name in frame for frame in first.values()), "a frame must name them before"

        forgotten = await leaving.post(f"/e/{event.slug}/me/forget")
        assert forgotten.status_code == 200, forgotten.text
        await propose(staying, event, "After the forgetting")

        for who, socket in sockets.items():
            frame = await socket.frame_where(lambda f: "After the forgetting" in f, within=5)
            assert name not in frame, who
            assert organisation not in frame, who
