"""Audit item 6: notes flooded, and others' proposals and next steps deleted without a trace.

Saves are limited per person (not per address: a room shares one Wi-Fi address), a person
keeps at most one open conflict per field, and a proposal or next step is deleted only by
whoever added it or by staff, softly: it stays in the database and in the notes' history, and
can be restored."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from html import unescape

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.config import Settings
from app.models.events import Event
from app.models.notes import NextStep, NotesConflict, Proposal
from app.models.people import User
from app.models.topics import Topic
from app.services.notes import editing, reading
from tests.factories import csrf, field_error, post
from tests.notes_helpers import publish
from tests.routes.helpers import join, sync


@dataclass
class Room:
    event: Event
    topic: Topic
    mira: TestClient
    ivo: TestClient
    organiser: TestClient

    @property
    def notes_url(self) -> str:
        return f"/e/{self.event.slug}/sessions/{self.topic.id}/notes"


@pytest.fixture
def room(
    session: Session,
    settings: Settings,
    event: Event,
    owner: User,
    organiser: TestClient,
    new_client: Callable[[], TestClient],
) -> Room:
    (housing,) = publish(session, settings, event, owner, ["Housing"])
    mira, ivo = new_client(), new_client()
    join(mira, settings, event, "Mira")
    join(ivo, settings, event, "Ivo")
    return Room(event, housing, mira, ivo, organiser)


def _autosave(
    client: TestClient, settings: Settings, url: str, base: int, **fields: str
) -> tuple[int, dict[str, object]]:
    response = client.post(
        url,
        data={"base_revision": str(base), **fields},
        headers={"X-CSRF-Token": csrf(client, settings), "Accept": "application/json"},
    )
    return response.status_code, response.json()


def _rows(html: str, list_id: str) -> list[str]:
    """The texts of the rows in the <ul id=list_id> on a page."""
    match = re.search(rf'<ul id="{list_id}"[^>]*>(.*?)</ul>', html, re.S)
    assert match, f"no list #{list_id}"
    return [
        " ".join(unescape(text).split())
        for text in re.findall(r'<span class="row-text"[^>]*>(.*?)</span>', match.group(1), re.S)
    ]


# --- a flood of saves --------------------------------------------------------------------


def test_a_flood_of_saves_is_cut_off_per_person_and_nothing_is_lost(
    session: Session, settings: Settings, room: Room, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One fixed window: the test must not straddle the minute's end.
    monkeypatch.setattr(editing, "_clock", lambda: 1_800_000_000.0 + 5, raising=False)
    base = 0
    for number in range(editing.SAVES_PER_WINDOW):
        status, answer = _autosave(
            room.mira, settings, room.notes_url, base, discussion=f"line {number}"
        )
        assert status == 200, answer
        base = int(str(answer["revision"]))
    status, answer = _autosave(room.mira, settings, room.notes_url, base, discussion="too fast")
    assert (status, answer) == (
        429,
        {
            "message": "That was a lot of saving at once. "
            "Your text is kept and sent again in a minute.",
            "retry_after": 55,
        },
    )
    sync(session)
    stored = reading.notes_of(session, event_id=room.event.id or 0, topic_id=room.topic.id or 0)
    assert stored is not None
    assert (stored.revision, stored.discussion) == (editing.SAVES_PER_WINDOW, "line 59")

    # The plain form is refused the same way and comes back with what was typed in it.
    refused = post(
        room.mira,
        settings,
        room.notes_url,
        {"base_revision": str(base), "discussion": "typed without script"},
    )
    assert (refused.status_code, refused.headers["retry-after"]) == (429, "55")
    assert field_error(refused.text, "base_revision") == (
        "That was a lot of saving at once. Your text is kept and sent again in a minute."
    )
    assert ">typed without script</textarea>" in refused.text

    # Someone else in the same room (the same address) saves as usual.
    status, answer = _autosave(room.ivo, settings, room.notes_url, base, outcome="A pilot")
    assert (status, answer["revision"], answer["applied"]) == (200, base + 1, ["outcome"])


# --- conflicts -----------------------------------------------------------------------------


def test_repeated_conflicting_saves_keep_one_open_conflict_per_author_and_field(
    session: Session, settings: Settings, room: Room
) -> None:
    url = room.notes_url
    assert _autosave(room.ivo, settings, url, 0, discussion="Ivo", outcome="Ivo")[0] == 200
    for text in ("Mira 1", "Mira 2", "Mira 3"):
        status, answer = _autosave(room.mira, settings, url, 0, discussion=text)
        assert (status, answer["conflicts"]) == (200, ["discussion"])
    assert _autosave(room.mira, settings, url, 0, outcome="Mira's outcome")[0] == 200
    assert _autosave(room.organiser, settings, url, 0, discussion="Olga")[0] == 200
    sync(session)
    kept = session.exec(
        select(NotesConflict.author, NotesConflict.field, NotesConflict.text).order_by(
            col(NotesConflict.id)
        )
    ).all()
    assert kept == [
        ("Mira", "discussion", "Mira 3"),
        ("Mira", "outcome", "Mira's outcome"),
        ("Olga", "discussion", "Olga"),
    ]
    page = room.ivo.get(url).text
    assert "Mira 3" in page and "Mira 1" not in page and "Mira 2" not in page


# --- deleting proposals and next steps -----------------------------------------------------


def _add(session: Session, client: TestClient, settings: Settings, room: Room) -> tuple[int, int]:
    """A proposal and a next step added from this browser: their ids."""
    base = f"/e/{room.event.slug}/sessions/{room.topic.id}"
    assert post(client, settings, f"{base}/proposals", {"proposal": "Rent guarantee"}).is_redirect
    assert post(client, settings, f"{base}/steps", {"action": "Call the mayor"}).is_redirect
    sync(session)
    proposal = session.exec(select(Proposal).order_by(col(Proposal.id).desc())).first()
    step = session.exec(select(NextStep).order_by(col(NextStep.id).desc())).first()
    assert proposal is not None and step is not None
    return proposal.id or 0, step.id or 0


def test_only_the_author_deletes_softly_and_restores(
    session: Session, settings: Settings, room: Room
) -> None:
    slug = room.event.slug
    proposal_id, step_id = _add(session, room.mira, settings, room)

    # Ivo did not add them: refused, with the reason next to the list, and nothing changes.
    for url, where in (
        (f"/e/{slug}/proposals/{proposal_id}/delete", "proposals"),
        (f"/e/{slug}/steps/{step_id}/delete", "steps"),
    ):
        refused = post(room.ivo, settings, url)
        assert refused.status_code == 403
        assert field_error(refused.text, where) is not None
    assert field_error(
        post(room.ivo, settings, f"/e/{slug}/proposals/{proposal_id}/delete").text, "proposals"
    ) == ("Only the person who added this proposal, or the organisers, can delete it.")
    sync(session)
    proposal, step = session.get(Proposal, proposal_id), session.get(NextStep, step_id)
    assert proposal is not None and step is not None
    assert (proposal.deleted_at, proposal.deleted_by, step.deleted_at) == (None, "", None)
    page = room.ivo.get(room.notes_url).text
    assert _rows(page, "notes-proposals") == ["Rent guarantee"]
    assert f"/proposals/{proposal_id}/delete" not in page  # no button Ivo could not use

    # Mira added them: deleted, but only from view.
    assert post(room.mira, settings, f"/e/{slug}/proposals/{proposal_id}/delete").is_redirect
    assert post(room.mira, settings, f"/e/{slug}/steps/{step_id}/delete").is_redirect
    sync(session)
    proposal, step = session.get(Proposal, proposal_id), session.get(NextStep, step_id)
    assert proposal is not None and step is not None
    assert (proposal.text, proposal.deleted_by, proposal.deleted_by_staff) == (
        "Rent guarantee",
        "Mira",
        False,
    )
    assert proposal.deleted_at is not None
    assert (step.action, step.deleted_by) == ("Call the mayor", "Mira")
    assert step.deleted_at is not None

    # Everyone sees it in the history; only Mira may bring it back.
    page = room.ivo.get(room.notes_url).text
    assert _rows(page, "notes-proposals") == []
    assert _rows(page, "notes-steps") == []
    history = _rows(page, "notes-history")
    assert len(history) == 2
    assert history[0].startswith("Mira deleted the next step “Call the mayor” (")
    assert history[1].startswith("Mira deleted the proposal “Rent guarantee” (")
    assert "/restore" not in page
    assert post(room.ivo, settings, f"/e/{slug}/proposals/{proposal_id}/restore").status_code == (
        403
    )
    assert f"/e/{slug}/proposals/{proposal_id}/restore" in room.mira.get(room.notes_url).text
    assert post(room.mira, settings, f"/e/{slug}/proposals/{proposal_id}/restore").is_redirect
    assert post(room.mira, settings, f"/e/{slug}/steps/{step_id}/restore").is_redirect
    page = room.ivo.get(room.notes_url).text
    assert _rows(page, "notes-proposals") == ["Rent guarantee"]
    assert _rows(page, "notes-steps") == ["Call the mayor"]
    assert _rows(page, "notes-history") == []


def test_staff_delete_and_restore_anyones_and_the_author_cannot_undo_it(
    session: Session, settings: Settings, room: Room
) -> None:
    slug = room.event.slug
    proposal_id, step_id = _add(session, room.mira, settings, room)
    assert post(room.organiser, settings, f"/e/{slug}/proposals/{proposal_id}/delete").is_redirect
    assert post(room.organiser, settings, f"/e/{slug}/steps/{step_id}/delete").is_redirect
    sync(session)
    proposal = session.get(Proposal, proposal_id)
    assert proposal is not None
    assert (proposal.deleted_by, proposal.deleted_by_staff) == ("Olga", True)
    history = _rows(room.mira.get(room.notes_url).text, "notes-history")
    assert [line.split(" (")[0] for line in history] == [
        "Olga deleted the next step “Call the mayor”",
        "Olga deleted the proposal “Rent guarantee”",
    ]
    # Moderation is not undone by the person moderated.
    refused = post(room.mira, settings, f"/e/{slug}/steps/{step_id}/restore")
    assert (refused.status_code, field_error(refused.text, "history")) == (
        403,
        "The organisers deleted this next step: only they can restore it.",
    )
    assert post(room.organiser, settings, f"/e/{slug}/proposals/{proposal_id}/restore").is_redirect
    assert post(room.organiser, settings, f"/e/{slug}/steps/{step_id}/restore").is_redirect
    page = room.mira.get(room.notes_url).text
    assert _rows(page, "notes-proposals") == ["Rent guarantee"]
    assert _rows(page, "notes-steps") == ["Call the mayor"]
