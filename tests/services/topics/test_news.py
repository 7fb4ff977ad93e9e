"""Announcements without HTTP: writing, withdrawing, the newest first."""

from __future__ import annotations

import pytest
from sqlmodel import Session, col, select

from app.config import Settings
from app.errors import Invalid, NotFound, PermissionDenied
from app.models.events import Event, Role
from app.models.people import User
from app.models.topics import Announcement
from app.services.access import EventAccess
from app.services.topics import news
from tests.factories import make_event
from tests.marketplace_helpers import as_participant, as_staff, make_facilitator


def _stored(session: Session) -> list[tuple[str, bool]]:
    return [
        (row.text, row.hidden)
        for row in session.exec(select(Announcement).order_by(col(Announcement.id))).all()
    ]


def test_announce_stores_text_and_author(
    session: Session, event: Event, owner: User, staff: EventAccess
) -> None:
    item = news.announce(session, access=staff, text="  Lunch at 13:00 in the hall \n")
    assert (item.event_id, item.text, item.author_id, item.hidden) == (
        event.id,
        "Lunch at 13:00 in the hall",
        owner.id,
        False,
    )


def test_announce_by_facilitator(session: Session, event: Event, owner: User) -> None:
    facilitator = make_facilitator(session, event, owner)
    item = news.announce(session, access=as_staff(session, event, facilitator), text="Coffee")
    assert item.author_id == facilitator.id


def test_announce_accepts_280_characters(session: Session, staff: EventAccess) -> None:
    assert len(news.announce(session, access=staff, text="n" * 280).text) == 280


@pytest.mark.parametrize(
    ("text", "message"),
    [("", "Write the announcement first."), (" \n ", "Write the announcement first."),
     ("n" * 281, "Use at most 280 characters.")],
)  # fmt: skip
def test_announce_invalid_stores_nothing(
    session: Session, staff: EventAccess, text: str, message: str
) -> None:
    with pytest.raises(Invalid) as caught:
        news.announce(session, access=staff, text=text)
    assert caught.value.errors == {"text": message}
    session.rollback()
    assert _stored(session) == []


def test_announce_refused_for_participant_and_board(
    session: Session, settings: Settings, event: Event
) -> None:
    for access in (
        as_participant(session, settings, event),
        EventAccess(event=event, role=Role.BOARD),
    ):
        with pytest.raises(PermissionDenied):
            news.announce(session, access=access, text="Free beer")
    assert _stored(session) == []


def test_recent_newest_first_limited(session: Session, event: Event, staff: EventAccess) -> None:
    for text in ("one", "two", "three", "four"):
        news.announce(session, access=staff, text=text)
    assert [item.text for item in news.recent(session, event_id=event.id or 0)] == [
        "four",
        "three",
        "two",
    ]
    assert [item.text for item in news.recent(session, event_id=event.id or 0, limit=10)] == [
        "four",
        "three",
        "two",
        "one",
    ]


def test_withdraw_hides_from_recent(session: Session, event: Event, staff: EventAccess) -> None:
    first = news.announce(session, access=staff, text="one")
    second = news.announce(session, access=staff, text="two")
    news.withdraw(session, access=staff, announcement_id=second.id or 0)
    assert [item.id for item in news.recent(session, event_id=event.id or 0)] == [first.id]
    assert _stored(session) == [("one", False), ("two", True)]


def test_withdraw_refused_for_participant(
    session: Session, settings: Settings, event: Event, staff: EventAccess
) -> None:
    item = news.announce(session, access=staff, text="one")
    with pytest.raises(PermissionDenied):
        news.withdraw(
            session, access=as_participant(session, settings, event), announcement_id=item.id or 0
        )
    assert _stored(session) == [("one", False)]


def test_withdraw_other_events_announcement_not_found(
    session: Session, owner: User, event: Event, staff: EventAccess
) -> None:
    other = make_event(session, owner=owner)
    theirs = news.announce(session, access=as_staff(session, other, owner), text="theirs")
    for announcement_id in (theirs.id or 0, 999_999):
        with pytest.raises(NotFound) as caught:
            news.withdraw(session, access=staff, announcement_id=announcement_id)
        assert caught.value.message == "There is no such announcement."
    assert news.recent(session, event_id=event.id or 0) == []
    assert [item.text for item in news.recent(session, event_id=other.id or 0)] == ["theirs"]
