"""The phone's bottom bar: which parts are one tap away in each phase (one rule, one place)."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from app.models.events import Event, Phase
from app.services import navigation
from app.services.access import EventAccess
from app.services.maps import setup
from tests.marketplace_helpers import set_phase
from tests.notes_helpers import publish_topics


def _keys(items: list[navigation.NavItem]) -> list[tuple[str, str]]:
    return [(item.key, item.label) for item in items]


@pytest.mark.parametrize(
    ("phase", "published", "board_map", "expected"),
    [
        (Phase.SETUP, False, None, [("home", "Topics")]),
        (Phase.PROGRAMME, False, None, [("home", "Now"), ("map", "Map")]),
        (Phase.PROGRAMME, False, 4, [("home", "Now"), ("map", "Map")]),
        (Phase.MARKETPLACE, False, None, [("home", "Topics")]),
        (Phase.MARKETPLACE, False, 4, [("home", "Topics"), ("map", "Map")]),
        (Phase.VOTING, False, None, [("home", "Topics")]),
        (Phase.AGENDA, True, None, [("home", "Topics"), ("agenda", "Agenda")]),
        (
            Phase.SESSIONS,
            True,
            4,
            [("home", "Now"), ("agenda", "Agenda"), ("map", "Map"), ("notes", "Notes")],
        ),
        (Phase.SESSIONS, False, None, [("home", "Now")]),
        (Phase.CLOSING, True, None, [("home", "Topics"), ("agenda", "Agenda"), ("notes", "Notes")]),
        (
            Phase.CONVERGENCE,
            True,
            None,
            [
                ("home", "Topics"),
                ("agenda", "Agenda"),
                ("notes", "Notes"),
                ("priorities", "Priorities"),
            ],
        ),
        (
            Phase.FINISHED,
            True,
            None,
            [("home", "Topics"), ("agenda", "Agenda"), ("notes", "Notes")],
        ),
    ],
)
def test_bar_items_follow_the_phase(
    event: Event,
    phase: Phase,
    published: bool,
    board_map: int | None,
    expected: list[tuple[str, str]],
) -> None:
    event.phase = phase
    assert _keys(navigation.items(event=event, published=published, board_map_id=board_map)) == (
        expected
    )


def test_bar_links_are_the_events_pages(event: Event) -> None:
    event.phase = Phase.SESSIONS
    found = navigation.items(event=event, published=True, board_map_id=4)
    slug = event.slug
    assert [item.href for item in found] == [
        f"/e/{slug}", f"/e/{slug}/agenda", f"/e/{slug}/maps/4", f"/e/{slug}/notes",
    ]  # fmt: skip
    event.phase = Phase.PROGRAMME
    assert navigation.items(event=event, published=False, board_map_id=None)[1].href == (
        f"/e/{slug}/maps"
    )


def test_load_reads_the_published_agenda_and_the_map_on_the_board(
    session: Session, event: Event, staff: EventAccess
) -> None:
    set_phase(session, event, Phase.SESSIONS)
    assert _keys(navigation.load(session, event=event)) == [("home", "Now")]
    board_map = setup.create_map(session, access=staff, question="Where?")
    setup.show_on_board(session, access=staff, map_id=board_map.id or 0)
    publish_topics(session, event, [])
    found = navigation.load(session, event=event)
    assert _keys(found) == [
        ("home", "Now"),
        ("agenda", "Agenda"),
        ("map", "Map"),
        ("notes", "Notes"),
    ]
    assert found[2].href == f"/e/{event.slug}/maps/{board_map.id}"
