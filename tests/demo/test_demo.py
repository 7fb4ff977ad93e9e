from __future__ import annotations

import datetime as dt
import re

import pytest
from PIL import Image
from sqlmodel import Session, SQLModel, func, select

from app.config import Settings
from app.demo import DEMO_EMAIL, DEMO_PASSWORD, FACILITATOR_EMAIL, load_demo
from app.demo import event as demo_event
from app.demo import maps as demo_maps
from app.errors import PermissionDenied
from app.models.base import id_of
from app.models.events import BlockKind, Day, Event, EventMember, Invitation, Room, TimeBlock
from app.models.people import OrgType, Participant, User
from app.models.topics import Vote
from app.services import live
from app.services.events import events, hosts, programme, team
from app.services.maps import export
from app.services.people import accounts
from app.services.proceedings import build
from app.services.schedule import agenda, checkins, grid
from tests.factories import access_as


def _count(session: Session, model: type[SQLModel]) -> int:
    return int(session.exec(select(func.count()).select_from(model)).one())


def _counts(session: Session) -> dict[str, int]:
    models: tuple[type[SQLModel], ...] = (
        User,
        Event,
        EventMember,
        Invitation,
        Day,
        Room,
        TimeBlock,
        Participant,
    )
    return {model.__name__: _count(session, model) for model in models}


def _team(session: Session, event: Event) -> list[tuple[str, str]]:
    return [(user.email, role) for user, role in team.members(session, event_id=event.id or 0)]


def _production(settings: Settings) -> Settings:
    return settings.model_copy(update={"environment": "production"})


def test_load_demo_into_empty_database(session: Session, settings: Settings) -> None:
    event, created = load_demo(session, settings=settings)

    assert created is True
    assert event.slug == "demo"
    assert event.languages == ["bg", "en"]
    assert event.timezone == "Europe/Sofia"
    assert "Sofia" in event.venue
    assert "Лаборатория за сътрудничество" in event.name
    assert event.id is not None
    days = programme.programme(session, event_id=event.id)
    assert [day.day.date for day in days] == [dt.date(2026, 6, 9), dt.date(2026, 6, 10)]
    assert all(day.day.title for day in days)
    assert [len(day.slots) for day in days] == [3, 2]
    rooms = programme.rooms(session, event_id=event.id)
    assert [(room.name, room.capacity) for room in rooms] == [
        ("Big hall", 60),
        ("Room Vitosha", 25),
        ("Room Rila", 20),
        ("Library", 12),
        ("Garden", 15),
    ]
    assert all(room.notes for room in rooms)


def test_load_demo_programme_has_plenaries_and_breaks(session: Session, settings: Settings) -> None:
    event, _created = load_demo(session, settings=settings)

    assert event.id is not None
    day_one, day_two = programme.programme(session, event_id=event.id)
    plenaries = [
        block.title
        for day in (day_one, day_two)
        for block in day.blocks
        if block.kind == BlockKind.PLENARY
    ]
    assert plenaries[0] == "Opening circle"
    assert {
        "Current picture of refugee integration",
        "Good practices from European NGOs",
        "Open Space marketplace",
        "Mapping workshop: opportunities, initiatives and needs",
    } <= set(plenaries)
    assert plenaries[-1].startswith("Closing circle")
    good_practices = next(
        block for block in day_one.blocks if block.title == "Good practices from European NGOs"
    )
    assert good_practices.presenter == "Ingrid Halvorsen, Nordic Welcome Network"
    assert [block.title for block in day_one.blocks if block.kind == BlockKind.BREAK] == [
        "Coffee break",
        "Lunch",
        "Coffee break",
    ]
    assert any(block.title == "Lunch" for block in day_two.blocks)
    for day in (day_one, day_two):
        # Ordered and without overlaps, as the organiser's form would insist.
        for earlier, later in zip(day.blocks, day.blocks[1:], strict=False):
            assert earlier.ends_at <= later.starts_at


def test_load_demo_participants(session: Session, settings: Settings) -> None:
    event, _created = load_demo(session, settings=settings)

    participants = session.exec(select(Participant).where(Participant.event_id == event.id)).all()
    assert len(participants) == 30
    assert sum(participant.consent_report for participant in participants) == 20
    assert events.participant_count(session, event_id=event.id or 0) == 30
    assert {participant.locale for participant in participants} == {"bg", "en"}
    assert {participant.org_type for participant in participants} == {
        OrgType.NGO,
        OrgType.MUNICIPALITY,
        OrgType.STATE,
        OrgType.INTERNATIONAL,
        OrgType.COMMUNITY,
        "",  # left out, as a participant may
    }
    # Each one gets its own personal-link nonce, as a real join would.
    assert len({participant.link_nonce for participant in participants}) == 30


def test_load_demo_team_can_sign_in(session: Session, settings: Settings) -> None:
    event, _created = load_demo(session, settings=settings)

    organiser = accounts.authenticate(
        session, email=DEMO_EMAIL, password=DEMO_PASSWORD, address="127.0.0.1", settings=settings
    )
    facilitator = accounts.authenticate(
        session,
        email=FACILITATOR_EMAIL,
        password=DEMO_PASSWORD,
        address="127.0.0.1",
        settings=settings,
    )
    assert organiser.can_create_events is True
    assert facilitator.can_create_events is False
    assert _team(session, event) == [
        (DEMO_EMAIL, "organiser"),
        (FACILITATOR_EMAIL, "facilitator"),
    ]


def test_load_demo_twice_changes_nothing(session: Session, settings: Settings) -> None:
    first, _created = load_demo(session, settings=settings)
    before = _counts(session)

    second, created = load_demo(session, settings=settings)

    assert created is False
    assert second.id == first.id
    assert second.join_code == first.join_code
    assert _counts(session) == before
    assert before == {
        "User": 2,
        "Event": 1,
        "EventMember": 2,
        "Invitation": 1,
        "Day": 2,
        "Room": 5,
        "TimeBlock": 18,
        "Participant": 30,
    }


def test_load_demo_reuses_existing_accounts(session: Session, settings: Settings) -> None:
    event, _created = load_demo(session, settings=settings)
    organiser = session.exec(select(User).where(User.email == DEMO_EMAIL)).one()
    events.delete_event(
        session,
        access=access_as(session, event, user=organiser),
        confirm_slug="demo",
        upload_dir=settings.uploads_path,
    )

    again, created = load_demo(session, settings=settings)

    assert created is True
    assert again.slug == "demo"
    assert _count(session, User) == 2
    assert _count(session, Event) == 1
    assert [email for email, _role in _team(session, again)] == [DEMO_EMAIL, FACILITATOR_EMAIL]


def test_load_demo_refused_in_production(session: Session, settings: Settings) -> None:
    with pytest.raises(PermissionDenied) as raised:
        load_demo(session, settings=_production(settings))

    assert "production" in raised.value.message
    assert _count(session, User) == 0
    assert _count(session, Event) == 0


def test_load_demo_in_production_returns_existing_event(
    session: Session, settings: Settings
) -> None:
    loaded, _created = load_demo(session, settings=settings)

    event, created = load_demo(session, settings=_production(settings))

    assert (event.id, created) == (loaded.id, False)


def test_load_demo_failure_removes_half_built_event(
    session: Session, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(session: Session, *, event: Event) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(demo_event, "_participants", broken)
    with pytest.raises(RuntimeError):
        load_demo(session, settings=settings)

    assert _count(session, Event) == 0
    assert _count(session, Room) == 0
    assert _count(session, TimeBlock) == 0
    monkeypatch.undo()
    event, created = load_demo(session, settings=settings)
    assert created is True
    assert events.participant_count(session, event_id=event.id or 0) == 30


def test_load_demo_marketplace_has_topics_votes_and_news(
    session: Session, settings: Settings
) -> None:
    event, _created = load_demo(session, settings=settings)
    state = live.load(session, event_id=event.id)  # type: ignore[arg-type]
    assert state is not None
    assert event.phase == "sessions"
    assert len(state.topics) == len(demo_event.TOPICS) == 15
    languages = {topic.language for topic in state.topics}
    assert languages == {"en", "bg"}
    assert all(topic.conveners for topic in state.topics)
    assert state.total_votes == 93
    assert state.ranked[0].title == "Housing for refugee families outside Sofia"
    per_person = session.exec(
        select(Vote.participant_id, func.count()).group_by(Vote.participant_id)
    ).all()
    assert len(per_person) == 26  # four people have not voted yet
    assert max(count for _person, count in per_person) <= event.dots_per_participant
    assert [item.text for item in state.announcements] == [
        "Lunch is served in the garden at 13:00 · Обядът е в градината в 13:00."
    ]


def test_load_demo_publishes_an_agenda_for_both_days_with_check_ins(
    session: Session, settings: Settings
) -> None:
    event, _created = load_demo(session, settings=settings)
    published = agenda.load_published(session, event=event)

    assert published.version is not None and published.version.number == 1
    assert len(published.sessions) == len(demo_event.TOPICS)
    days = {published.day_of(item.block_id).date for item in published.sessions.values()}  # type: ignore[union-attr]
    assert days == {demo_event.FIRST_DAY, demo_event.FIRST_DAY + dt.timedelta(days=1)}
    found = grid.problems(session, grid=published)
    assert found.convener_clash == set()
    attended = checkins.attendees(session, event_id=event.id or 0)
    assert set(attended) <= set(published.by_topic) and sum(attended.values()) > 30
    now = checkins.attendance(session, event_id=event.id or 0)
    last = published.slots[-1].id
    assert now and all(published.by_topic[topic].block_id == last for topic in now)


def test_load_demo_map_has_cards_in_both_languages_clusters_and_plus_ones(
    session: Session, settings: Settings
) -> None:
    event, _created = load_demo(session, settings=settings)
    (report,) = export.report_tables(session, event_id=event.id or 0)
    the_map = report.map
    assert (the_map.uses_places, the_map.uses_org_type, the_map.frozen, the_map.on_board) == (
        True,
        True,
        False,
        False,
    )
    # Categories in the event's main language (Bulgarian), places as the facilitator typed them.
    assert [row.label for row in report.by_category] == ["Възможности", "Инициативи", "Нужди"]
    assert [row.counts[0] for row in report.by_category] == [12, 12, 15]
    assert [row.label for row in report.by_place] == [*demo_maps.MAP_PLACES, "No place given"]
    assert (report.total_cards, report.merged, report.hidden) == (39, 1, 0)
    assert report.total_plus_ones == 98
    assert [(row.name, row.cards) for row in report.clusters] == [
        ("Финансиране / Funding", 3),
        ("Работа / Work", 4),
        ("Общностни центрове / Community centres", 4),
        ("Жилища / Housing", 4),
        ("Език / Language", 3),
    ]
    texts = [card.text for category in report.categories for card in category.cards]
    assert any(re.search("[а-я]", text) for text in texts)
    assert any(re.fullmatch(r"[A-Za-z ,:'()-]+", text) for text in texts)
    assert {row.label for row in report.by_org_type} == {
        "NGO",
        "Municipality",
        "State institution",
        "International organisation",
        "Community or refugee-led group",
        "Not given",
    }


def test_demo_names_its_organisations_with_logos_and_opens_with_a_summary(
    session: Session, settings: Settings
) -> None:
    event, _new = load_demo(session, settings=settings)

    listed = hosts.of_event(session, event_id=id_of(event))
    assert [host.name for host in listed] == [
        "Bulgarian Council on Refugees and Migrants",
        "UNHCR Bulgaria",
    ]
    for host in listed:
        with Image.open(hosts.logo_path(settings.uploads_path, host)) as logo:
            assert (logo.format, logo.mode, logo.size) == ("PNG", "RGBA", (480, 480))
    assert event.languages[0] == "bg"  # the summary and acknowledgement are in Bulgarian
    assert event.report_acknowledgement.startswith("Събитието е организирано")
    assert "фонд „Убежище, миграция и интеграция“" in event.report_acknowledgement
    assert event.report_summary.startswith("На 9 и 10 юни 2026 г. в София")
    assert "петнайсет теми" in event.report_summary
    assert len(demo_event.TOPICS) == 15  # as the summary says
    report = build.build_for_event(session, event=event)
    assert [host.logo for host in report.hosts] == [
        hosts.logo_relative_path(host) for host in listed
    ]
    assert report.summary == event.report_summary
