"""The notes pages over HTTP: reading and saving (form and autosave), conflicts, photos with
their access rules, the presentation controls, priorities and commitments."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from html import unescape

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlmodel import Session, select

from app.config import Settings
from app.models.base import utcnow
from app.models.events import Event, Phase
from app.models.notes import Commitment, NotesConflict, Photo, ProposalVote
from app.models.people import Participant, User
from app.models.schedule import CheckIn
from app.models.topics import Topic
from app.services.events import events
from app.services.notes import items, photos, reading
from app.web import BOARD_COOKIE
from tests.factories import csrf, field_error, post
from tests.marketplace_helpers import as_staff, set_phase
from tests.notes_helpers import publish
from tests.routes.helpers import join, sync
from tests.services.notes.test_photos import jpeg_with_gps
from tests.services.test_markdown import _Tags


@dataclass
class World:
    event: Event
    housing: Topic
    jobs: Topic
    phone: TestClient  # Mira
    laptop: TestClient  # Ivo
    stranger: TestClient


@pytest.fixture
def world(
    session: Session,
    settings: Settings,
    event: Event,
    owner: User,
    new_client: Callable[[], TestClient],
) -> World:
    housing, jobs = publish(session, settings, event, owner, ["Housing", "Jobs"])
    phone, laptop, stranger = new_client(), new_client(), new_client()
    join(phone, settings, event, "Mira")
    join(laptop, settings, event, "Ivo")
    stranger.get("/")
    return World(event, housing, jobs, phone, laptop, stranger)


def _url(world: World, topic: Topic, tail: str = "") -> str:
    return f"/e/{world.event.slug}/sessions/{topic.id}/notes{tail}"


def _autosave(
    client: TestClient, settings: Settings, url: str, base: int, **fields: str
) -> tuple[int, dict[str, object]]:
    response = client.post(
        url,
        data={"base_revision": str(base), **fields},
        headers={"X-CSRF-Token": csrf(client, settings), "Accept": "application/json"},
    )
    return response.status_code, response.json()


def test_notes_page_for_a_session(world: World, settings: Settings) -> None:
    html = world.phone.get(_url(world, world.housing)).text
    assert '<h1 dir="auto">Housing</h1>' in html
    assert 'data-notes-field="discussion"' in html
    assert 'accept="image/*" capture="environment"' in html
    assert "Nothing saved yet." in html


def test_notes_of_a_topic_not_in_the_grid_is_a_clear_404(
    session: Session, world: World, settings: Settings
) -> None:
    response = world.phone.get(f"/e/{world.event.slug}/sessions/999999/notes")
    assert response.status_code == 404
    assert "This topic is not a session in the published agenda, so it has no notes." in (
        unescape(response.text)
    )


def test_outsiders_cannot_read_notes(world: World) -> None:
    response = world.stranger.get(_url(world, world.housing), follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (303, "/join")


def test_form_save_without_javascript(session: Session, world: World, settings: Settings) -> None:
    response = post(
        world.phone,
        settings,
        _url(world, world.housing),
        {"base_revision": "0", "outcome": "A pilot", "discussion": "**Rents** rise"},
    )
    assert (response.status_code, response.headers["location"]) == (
        303,
        _url(world, world.housing, "#notes-form"),
    )
    html = world.laptop.get(_url(world, world.housing)).text
    assert "<strong>Rents</strong> rise" in html
    assert "Last saved at" in html and "by Mira." in html


def test_autosave_from_two_devices_merges_and_conflicts_are_kept(
    session: Session, world: World, settings: Settings
) -> None:
    url = _url(world, world.housing)
    assert _autosave(world.phone, settings, url, 0, discussion="- rent\n- deposits") == (
        200,
        {
            "revision": 1,
            "values": {"discussion": "- rent\n- deposits"},
            "applied": ["discussion"],
            "merged": [],
            "conflicts": [],
        },
    )
    # The laptop opened the page at revision 0 too, and adds a line at the end.
    status, answer = _autosave(world.laptop, settings, url, 0, discussion="- agents")
    assert (status, answer["conflicts"]) == (200, ["discussion"])  # both typed into empty text
    status, answer = _autosave(world.laptop, settings, url, 1, discussion="- rent\n- deposits\n- Q")
    assert (status, answer["applied"], answer["revision"]) == (200, ["discussion"], 2)
    sync(session)
    stored = reading.notes_of(session, event_id=world.event.id or 0, topic_id=world.housing.id or 0)
    assert stored is not None and stored.discussion == "- rent\n- deposits\n- Q"
    kept = session.exec(select(NotesConflict.text, NotesConflict.author)).all()
    assert kept == [("- agents", "Ivo")]
    html = world.phone.get(url).text
    assert '<pre class="conflict-text" dir="auto">- agents</pre>' in html


def _inside(html: str, element_id: str) -> str:
    """What the <div> or <p> with this id holds, its white space collapsed."""
    after = html.split(f'id="{element_id}"', 1)[1].split(">", 1)[1]
    return " ".join(re.split(r"</(?:div|p)>", after, maxsplit=1)[0].split())


def _field_div(html: str, name: str) -> str:
    """The form's <div class="field"> that holds the field ``name``."""
    start = html.rindex('<div class="field', 0, html.index(f'id="notes-{name}" name='))
    return html[start : html.index('<div class="field', start + 1)]


def test_a_conflict_box_sits_next_to_its_field_and_merging_removes_it(
    session: Session, world: World, settings: Settings
) -> None:
    url = _url(world, world.housing)
    _autosave(world.phone, settings, url, 0, outcome="A pilot in Burgas")
    assert _autosave(world.laptop, settings, url, 0, outcome="A pilot in Varna")[1][
        "conflicts"
    ] == ["outcome"]
    sync(session)
    (conflict_id,) = session.exec(select(NotesConflict.id)).all()
    # The first writer's page has it too, inside the outcome's field, not the others'.
    html = world.phone.get(url).text
    box = _field_div(html, "outcome")
    assert (
        f'<div class="conflict" id="conflict-{conflict_id}" data-conflict-id="{conflict_id}">'
        in box
    )
    assert '<pre class="conflict-text" dir="auto">A pilot in Varna</pre>' in box
    assert f'form="conflict-done-{conflict_id}"' in box
    assert "data-conflict-id=" not in _field_div(html, "title")
    assert f'<form id="conflict-done-{conflict_id}" method="post"' in html

    done = f"/e/{world.event.slug}/notes/conflicts/{conflict_id}/done"
    headers = {"X-CSRF-Token": csrf(world.laptop, settings), "HX-Request": "true"}
    fresh = world.laptop.post(done, headers=headers)
    assert fresh.status_code == 200
    assert _inside(fresh.text, "notes-conflicts-outcome") == ""
    assert _inside(fresh.text, "notes-conflict-forms") == ""
    assert _inside(fresh.text, "notes-status").startswith("Last saved at")  # the fresh regions
    assert "data-conflict-id=" not in world.phone.get(url).text
    again = post(world.phone, settings, done)  # without htmx: back to the field
    assert (again.status_code, again.headers["location"]) == (303, url + "#notes-outcome")


def test_autosave_refuses_bad_values_with_the_field(world: World, settings: Settings) -> None:
    url = _url(world, world.housing)
    assert _autosave(world.phone, settings, url, 0, participant_count="many") == (
        422,
        {"errors": {"participant_count": "Enter a whole number, or leave it empty."}},
    )
    assert _autosave(world.phone, settings, url, 7, discussion="x")[0] == 409
    response = post(world.phone, settings, url, {"base_revision": "x", "discussion": "x"})
    assert (response.status_code, field_error(response.text, "base_revision")) == (
        422,
        "This page is out of date. Reload it and try again.",
    )


def test_fresh_fragment_has_the_saved_values(world: World, settings: Settings) -> None:
    url = _url(world, world.housing)
    _autosave(world.phone, settings, url, 0, ideas="<b>hi</b> & co")
    fresh = world.laptop.get(url + "/fresh").text
    assert '<div id="notes-values" hidden hx-swap-oob="true" data-revision="1">' in fresh
    assert '<span data-field="ideas">&lt;b&gt;hi&lt;/b&gt; &amp; co</span>' in fresh


def test_sanitised_markdown_on_the_page(world: World, settings: Settings) -> None:
    url = _url(world, world.housing)
    text = '[x](javascript:alert(1)) <script>alert(1)</script> <a hx-post="/o/x">y</a> [ok](https://a.org)'
    _autosave(world.phone, settings, url, 0, discussion=text)
    html = world.laptop.get(url).text
    view = html[html.index('<section id="notes-view"') :]
    view = view[: view.index("</section>")]
    found = _Tags()
    found.feed(view)
    tags = {tag for tag, _attributes in found.seen}
    attributes = {name for _tag, attrs in found.seen for name, _value in attrs}
    assert tags == {"section", "h3", "div", "p", "a"}
    # dir="auto": each field's text reads in its own direction (an Arabic note, an English page)
    assert attributes == {"id", "class", "dir", "hx-swap-oob", "aria-label", "href", "rel"}
    assert [value for _tag, attrs in found.seen for name, value in attrs if name == "href"] == [
        "https://a.org"
    ]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in view


def test_presence_heartbeat_and_leave(session: Session, world: World, settings: Settings) -> None:
    url = _url(world, world.housing)
    beat = post(world.phone, settings, url + "/presence", {"field": "discussion"})
    assert beat.status_code == 204
    html = world.laptop.get(url).text
    assert "Editing now: Mira" in html
    assert post(world.phone, settings, url + "/leave").status_code == 204
    assert "Editing now: Mira" not in world.laptop.get(url).text


def _attendance_text(html: str) -> str:
    paragraph = html.split('id="notes-attendance"')[1].split("</p>")[0]
    return " ".join(re.sub(r"<[^>]+>", " ", paragraph.split(">", 1)[1]).split())


def test_attendance_names_only_those_who_consented(
    session: Session, world: World, settings: Settings
) -> None:
    sync(session)
    for participant in session.exec(select(Participant)).all():
        participant.consent_report = participant.name == "Ivo"
        session.add(participant)
        if participant.name in ("Mira", "Ivo"):
            session.add(
                CheckIn(
                    event_id=world.event.id or 0,
                    participant_id=participant.id or 0,
                    topic_id=world.housing.id or 0,
                    # Mira moved on (the law of two feet): she no longer counts as here.
                    left_at=utcnow() if participant.name == "Mira" else None,
                )
            )
    session.commit()
    html = world.phone.get(_url(world, world.housing)).text
    assert _attendance_text(html) == (
        "2 checked in during the session · 1 here now In the report by name: Ivo"
    )
    assert 'data-here="1" data-during="2"' in html


def test_attendance_says_which_number_the_report_counts(
    session: Session, world: World, settings: Settings
) -> None:
    post(
        world.phone,
        settings,
        _url(world, world.housing),
        {"base_revision": "0", "participant_count": "12"},
    )
    html = world.laptop.get(_url(world, world.housing)).text
    assert _attendance_text(html) == (
        "0 checked in during the session · 0 here now"
        " The report counts 12 participants, the number typed above."
    )


def test_proposals_and_steps(session: Session, world: World, settings: Settings) -> None:
    base = f"/e/{world.event.slug}/sessions/{world.housing.id}"
    empty = post(world.phone, settings, base + "/proposals", {"proposal": " "})
    assert (empty.status_code, field_error(empty.text, "proposal")) == (
        422,
        "Write the proposal first.",
    )
    made = post(world.phone, settings, base + "/proposals", {"proposal": "Rent guarantee"})
    assert made.headers["location"] == _url(world, world.housing, "#notes-proposals")
    step = post(
        world.phone,
        settings,
        base + "/steps",
        {"action": "Draft", "who": "Nov Dom", "by_when": "July"},
    )
    assert step.status_code == 303
    html = world.laptop.get(_url(world, world.housing)).text
    assert '<span class="row-text" dir="auto">Rent guarantee</span>' in html
    assert '<span class="row-text" dir="auto">Draft</span>' in html
    sync(session)
    stored = reading.notes_of(session, event_id=world.event.id or 0, topic_id=world.housing.id or 0)
    assert stored is not None and stored.revision == 2  # the screens hear of rows too


# --- photos ----------------------------------------------------------------------------------


def _upload(
    client: TestClient, settings: Settings, world: World, data: bytes, caption: str = ""
) -> object:
    return client.post(
        f"/e/{world.event.slug}/sessions/{world.housing.id}/photos",
        data={"caption": caption, "csrf_token": csrf(client, settings)},
        files={"photo": ("flipchart.jpg", data, "image/jpeg")},
        follow_redirects=False,
    )


def test_photo_upload_strips_gps_and_is_served_to_members_only(
    session: Session, world: World, settings: Settings, owner: User
) -> None:
    upright = jpeg_with_gps(1200, 600, orientation=6)
    response = _upload(world.phone, settings, world, upright, "Wall")
    assert response.status_code == 303, response.text  # type: ignore[attr-defined]
    sync(session)
    photo = session.exec(select(Photo)).one()
    assert (photo.caption, photo.width, photo.height) == ("Wall", 600, 1200)
    full = photos.path_of(settings.uploads_path, photo)
    assert full.parent == settings.uploads_path / str(world.event.id)
    assert re.fullmatch(r"[A-Za-z0-9_-]{32}\.jpg", full.name)
    assert b"PhoneCo" not in full.read_bytes()
    served = world.laptop.get(f"/e/{world.event.slug}/photos/{photo.id}/full")
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/jpeg"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert served.headers["content-disposition"] == "inline"
    assert served.headers["cache-control"] == "no-store"  # a signed-in browser's: not kept
    assert served.content == full.read_bytes()
    assert dict(Image.open(io.BytesIO(served.content)).getexif()) == {}
    thumb = world.laptop.get(f"/e/{world.event.slug}/photos/{photo.id}/thumb")
    assert Image.open(io.BytesIO(thumb.content)).size == (240, 480)
    stranger = world.stranger.get(f"/e/{world.event.slug}/photos/{photo.id}/full")
    assert stranger.status_code == 403 and stranger.headers["content-type"].startswith("text/html")


def test_board_sees_photos_with_its_cookie(
    session: Session, world: World, settings: Settings, new_client: Callable[[], TestClient]
) -> None:
    _upload(world.phone, settings, world, jpeg_with_gps())
    sync(session)
    photo = session.exec(select(Photo)).one()
    board = new_client()
    assert board.get(f"/e/{world.event.slug}/photos/{photo.id}/thumb").status_code == 403
    assert board.get(events.board_path(world.event, settings.secret)).status_code == 200
    assert BOARD_COOKIE.format(event_id=world.event.id) in board.cookies
    assert board.get(f"/e/{world.event.slug}/photos/{photo.id}/thumb").status_code == 200
    board.cookies.set(BOARD_COOKIE.format(event_id=world.event.id), "forged")
    assert board.get(f"/e/{world.event.slug}/photos/{photo.id}/thumb").status_code == 403


def test_fake_and_oversized_photos_get_a_clear_message(
    session: Session, world: World, settings: Settings
) -> None:
    fake = _upload(world.phone, settings, world, b"<html>not a photo</html>")
    assert (fake.status_code, field_error(fake.text, "photo")) == (  # type: ignore[attr-defined]
        422,
        "This file is not a photo we can read. Send a JPEG, PNG or WebP picture.",
    )
    big = world.phone.post(
        f"/e/{world.event.slug}/sessions/{world.housing.id}/photos",
        content=b"x" * (photos.MAX_BYTES + 100 * 1024),
        headers={
            "Content-Type": "multipart/form-data; boundary=zzz",
            "X-CSRF-Token": csrf(world.phone, settings),
        },
    )
    assert big.status_code == 413
    assert "This photo is larger than 15 MB." in big.text
    sync(session)
    assert session.exec(select(Photo)).all() == []
    assert not (settings.uploads_path / str(world.event.id)).exists() or not list(
        (settings.uploads_path / str(world.event.id)).iterdir()
    )


def test_only_the_uploader_or_staff_delete_a_photo(
    session: Session, world: World, settings: Settings, organiser: TestClient
) -> None:
    _upload(world.phone, settings, world, jpeg_with_gps())
    sync(session)
    photo = session.exec(select(Photo)).one()
    path = photos.path_of(settings.uploads_path, photo)
    assert path.is_file()
    url = f"/e/{world.event.slug}/photos/{photo.id}/delete"
    assert post(world.laptop, settings, url).status_code == 403
    assert post(world.phone, settings, url).status_code == 303
    sync(session)
    assert session.exec(select(Photo)).all() == []
    assert not path.exists()


# --- closing, convergence, actions -----------------------------------------------------------


def test_presentation_controls_move_the_board(
    session: Session, world: World, settings: Settings, organiser: TestClient
) -> None:
    slug = world.event.slug
    set_phase(session, world.event, Phase.CLOSING)
    page = organiser.get(f"/o/{slug}/closing").text
    assert "Showing 1 of 2: Housing" in page
    assert post(organiser, settings, f"/o/{slug}/closing/next").status_code == 303
    assert "Showing 2 of 2: Jobs" in organiser.get(f"/o/{slug}/closing").text
    post(organiser, settings, f"/o/{slug}/closing/previous")
    post(organiser, settings, f"/o/{slug}/closing/auto", {"auto_seconds": "30"})
    board = world.stranger.get(events.board_path(world.event, settings.secret)).text
    assert 'data-position="0" data-auto="30"' in board
    assert '<article class="slide" id="slide-0" data-slide="0">' in board
    assert '<article class="slide" id="slide-1" data-slide="1" hidden>' in board
    assert post(world.phone, settings, f"/o/{slug}/closing/next").status_code == 403


def test_priorities_vote_and_commit(
    session: Session, world: World, settings: Settings, owner: User
) -> None:
    proposal = items.add_proposal(
        session, access=as_staff(session, world.event, owner), topic_id=world.housing.id or 0,
        text="Rent guarantee",
    )  # fmt: skip
    set_phase(session, world.event, Phase.CONVERGENCE)
    slug = world.event.slug
    page = world.phone.get(f"/e/{slug}/priorities").text
    key = re.search(
        r'/proposals/\d+/vote" class="inline">\s*<input[^>]*>'
        r'<input type="hidden" name="key" value="([^"]+)"',
        page,
    )
    assert key is not None
    url = f"/e/{slug}/proposals/{proposal.id}/vote"
    for _attempt in range(2):  # a reload that sends the form again counts once
        assert post(world.phone, settings, url, {"key": key.group(1)}).status_code == 303
    sync(session)
    assert len(session.exec(select(ProposalVote)).all()) == 1
    board = world.stranger.get(events.board_path(world.event, settings.secret)).text
    assert 'id="board-priority-' in board and "Rent guarantee" in board
    set_phase(session, world.event, Phase.ACTIONS)
    empty = post(world.phone, settings, f"/e/{slug}/proposals/{proposal.id}/commit", {"who": ""})
    assert empty.status_code == 422
    assert field_error(empty.text, f"p{proposal.id}-who") == (
        "Say who will do it: your organisation or your name."
    )
    made = post(
        world.phone,
        settings,
        f"/e/{slug}/proposals/{proposal.id}/commit",
        {"who": "Nov Dom", "action": "Draft the scheme", "by_when": "July"},
    )
    assert made.status_code == 303
    sync(session)
    assert session.exec(select(Commitment.who, Commitment.action)).all() == [
        ("Nov Dom", "Draft the scheme")
    ]
    board = world.stranger.get(events.board_path(world.event, settings.secret)).text
    # Mira joined without agreeing to be named: the projector does not show what she typed.
    assert "<strong>a participant</strong>: Draft the scheme (July)" in board
    assert "Nov Dom" not in board
    # Her own phone's page (inside the event) lists it as she typed it.
    page = world.phone.get(f"/e/{slug}/priorities").text
    assert "<strong>Nov Dom</strong>: Draft the scheme" in page


def test_sessions_index_marks_sessions_with_notes(world: World, settings: Settings) -> None:
    _autosave(world.phone, settings, _url(world, world.jobs), 0, outcome="Jobs fair")
    html = world.phone.get(f"/e/{world.event.slug}/notes").text
    housing = html.split(f'id="session-{world.housing.id}"')[1].split("</li>")[0]
    jobs = html.split(f'id="session-{world.jobs.id}"')[1].split("</li>")[0]
    assert ("has notes" in housing, "has notes" in jobs) == (False, True)
