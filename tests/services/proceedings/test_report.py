"""Building the proceedings: figures, programme, sessions, notes, photos, priorities, action
plans, consent, locale, query count."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from docx import Document
from sqlalchemy import Engine, event
from sqlmodel import Session

from app.config import Settings
from app.demo import event as demo_event
from app.demo import notes as demo_notes
from app.errors import Invalid, NotFound, NotSignedIn, PermissionDenied
from app.i18n import use_locale
from app.models.events import EventUpdate, Phase, RoomCreate, TimeBlockCreate
from app.models.people import User
from app.models.schedule import PublishedPlacement
from app.services.events import events, programme
from app.services.notes import editing, items, photos
from app.services.proceedings import build, report
from app.services.proceedings.render import render
from app.services.proceedings.report import (
    ActionView,
    Figure,
    NoteField,
    OrganisationView,
    PersonView,
    PhotoView,
    PriorityView,
    ProposalView,
    SessionNotesView,
)
from app.services.schedule import agenda
from app.services.topics import topics
from tests.factories import access_as, make_event, make_participant, make_user
from tests.marketplace_helpers import set_phase
from tests.report_helpers import (
    DESK,
    FORMULA,
    HOUSING,
    MEDIATORS,
    SECRET_NAME,
    SECRET_ORG,
    TRICKY,
    World,
    add_notes,
    flipchart_jpeg,
    make_world,
)


@pytest.fixture
def owner(session: Session) -> User:
    user = make_user(session, email="olga@example.org", name="Olga")
    session.commit()
    return user


@pytest.fixture
def world(session: Session, settings: Settings, owner: User) -> World:
    event = make_event(session, owner=owner, name="Lab Sofia")
    return make_world(session, settings, event=event, owner=owner)


def test_report_has_cover_figures_and_programme(session: Session, world: World) -> None:
    built = build.build(session, access=world.staff)
    assert (built.event_name, built.slug, built.language, built.locale) == (
        "Lab Sofia",
        "lab-sofia",
        "en",
        "en",
    )
    assert (built.dates, built.venue, built.organisers, built.acknowledgement) == (
        "9 June 2026",
        "Zaedno Centre",
        ["Olga"],
        "Funded by AMIF.",
    )
    with use_locale("en"):
        # The figures agree with the tables: two of the four are named in the participants
        # table, Ivo's organisation is counted but not named, and neither session has notes
        # or photos, so both are listed as without a report.
        assert built.figures() == [
            Figure("Participants", 4, "2 named"),
            Figure("Organisations", 3, "1 not named"),
            Figure("Topics proposed", 3),  # the merged duplicate is not one
            Figure("Dots cast", 6),
            Figure("Sessions held", 2, "2 without a report"),
            Figure("Sessions with notes", 0),
            Figure("Photos", 0),
        ]
        assert (len(built.participants), len(built.organisations)) == (2, 2)
    assert built.organisations_by_type == [
        Figure("NGO", 1),
        Figure("Municipality", 1),
        Figure("Other", 1),
    ]
    assert built.rooms == ["Hall", "Зала Витоша"]
    [day] = built.days
    assert [(r.kind, r.starts, r.ends, r.title, r.presenter) for r in day.rows] == [
        ("plenary", "09:00", "09:30", "Opening", "Olga"),
        ("slot", "09:30", "10:30", "", ""),
        ("break", "10:30", "11:00", "", ""),
        ("slot", "11:00", "12:00", "", ""),
    ]
    grid = [[cell.title if cell else None for cell in row.cells] for row in day.rows]
    assert grid == [[], [HOUSING, None], [], [None, TRICKY]]
    assert day.rows[0].block_id > 0  # the plenary's entry is plenary-{block_id}


def test_sessions_name_only_consenting_people(session: Session, world: World) -> None:
    built = build.build(session, access=world.staff)
    summary = [
        (
            s.number,
            s.title,
            s.when,
            s.room,
            s.conveners,
            s.other_conveners,
            s.dots,
            s.attendance,
            s.attendees,
        )
        for s in built.sessions
    ]
    assert summary == [
        (1, HOUSING, "9 June 2026, 09:30–10:30", "Hall", ["Mira"], 2, 3, 2, ["Mira"]),
        (2, TRICKY, "9 June 2026, 11:00–12:00", "Зала Витоша", [], 1, 2, 2, ["Mira", "Petya"]),
    ]
    with use_locale("en"):
        assert [report.convener_text(s) for s in built.sessions] == [
            "Mira and 2 more",
            "1 convener",
        ]
    assert [(t.title, t.conveners, t.dots, t.voters, t.session_number) for t in built.topics] == [
        (HOUSING, ["Mira"], 3, 3, 1),
        (TRICKY, [], 2, 2, 2),
        ("Unscheduled idea", ["Petya"], 1, 1, None),
    ]
    assert built.participants == [
        PersonView("Mira", "Zaedno", "NGO"),
        PersonView("Petya", "=1+2", "Other"),
    ]
    assert built.organisations == [
        OrganisationView("=1+2", "Other", 1),
        OrganisationView("Zaedno", "NGO", 1),
    ]
    assert sorted(v.participant for v in built.votes) == ["", "", "Mira", "Mira", "Petya", "Petya"]
    assert [(a.session, a.participant) for a in built.attendance] == [
        (HOUSING, "Mira"),
        (HOUSING, ""),
        (TRICKY, "Petya"),
        (TRICKY, "Mira"),
    ]
    everything = repr(built)
    assert SECRET_NAME not in everything
    assert "Dan Hidden" not in everything
    assert SECRET_ORG not in everything  # his organisation is counted, not named


def test_report_is_for_staff_only(session: Session, world: World) -> None:
    with pytest.raises(PermissionDenied):
        build.build(session, access=world.mira)
    stranger = access_as(session, world.event)
    with pytest.raises(NotSignedIn):
        build.build(session, access=stranger)


@pytest.mark.parametrize(
    ("languages", "locale", "label"),
    [
        (["bg", "en"], "bg", "Участници"),
        (["de", "bg"], "bg", "Участници"),  # the first language we ship
        (["de", "fr"], "en", "Participants"),
        ([], "en", ""),
    ],
)
def test_interface_strings_follow_the_main_language(
    session: Session, world: World, languages: list[str], locale: str, label: str
) -> None:
    world.event.languages = languages
    built = build.build(session, access=world.staff)
    assert (built.locale, built.language) == (locale, languages[0] if languages else "en")
    if label:
        with use_locale(built.locale):
            assert built.figures()[0].label == label


def test_report_in_the_language_asked_for(session: Session, world: World) -> None:
    built = build.build(session, access=world.staff, locale="bg")
    assert (built.locale, built.language, built.dates) == ("bg", "en", "9 юни 2026\u202fг.")
    assert built.sessions[0].when == "9 юни 2026\u202fг., 09:30–10:30"
    assert built.days[0].label == "9 юни 2026\u202fг."
    assert [row.kind_label for row in built.days[0].rows][:2] == [
        "Пленарна сесия",
        "Слот за Отворено пространство",
    ]
    english = build.build(session, access=world.staff, locale="en")
    assert (english.dates, english.sessions[0].when) == ("9 June 2026", "9 June 2026, 09:30–10:30")


def test_report_languages_put_the_events_first(session: Session, world: World) -> None:
    assert build.report_locales(world.event) == ["en", "bg", "pl", "uk", "ar", "fa"]
    world.event.languages = ["de", "bg"]
    assert build.report_locales(world.event) == ["bg", "en", "pl", "uk", "ar", "fa"]
    assert build.report_locale(world.event) == "bg"
    world.event.languages = ["uk", "bg"]
    assert build.report_locales(world.event) == ["uk", "bg", "en", "pl", "ar", "fa"]
    assert build.report_locale(world.event) == "uk"


@pytest.mark.parametrize("requested", ["de", "EN", "bg-BG", "all"])
def test_a_language_we_do_not_ship_is_refused(
    session: Session, world: World, requested: str
) -> None:
    with pytest.raises(NotFound) as refused:
        build.build(session, access=world.staff, locale=requested)
    assert refused.value.message == (
        "The proceedings come in English, Български, Polski, Українська, العربية and فارسی,"
        " not in that language."
    )
    # Staff first: someone else learns nothing about languages.
    with pytest.raises(PermissionDenied):
        build.build(session, access=world.mira, locale=requested)


def test_event_without_grid_has_no_sessions(session: Session, owner: User) -> None:
    event = make_event(session, owner=owner)
    built = build.build(session, access=access_as(session, event, user=owner))
    assert (built.sessions, built.topics, built.has_programme, built.participants) == (
        [],
        [],
        False,
        [],
    )
    assert built.dates == "9 June 2026"


@contextmanager
def counting(engine: Engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _grow(
    session: Session, settings: Settings, world: World, *, extra: int, with_notes: bool
) -> None:
    """More participants, rooms, slots, topics and sessions (with notes, a proposal, a next
    step and a photo each): the query count must not move."""
    staff = world.staff
    day = events.days(session, event_id=staff.event_id)[0]
    version = agenda.latest_version(session, event_id=staff.event_id)
    assert version is not None
    phase = world.event.phase
    set_phase(session, world.event, Phase.MARKETPLACE)
    added = []
    for index in range(extra):
        room = programme.add_room(session, access=staff, data=RoomCreate(name=f"Room {index}"))
        block = programme.add_block(
            session,
            access=staff,
            day_id=day.id,  # type: ignore[arg-type]
            data=TimeBlockCreate(starts_at=dt.time(13 + index), ends_at=dt.time(13 + index, 50)),
        )
        _person, auth = make_participant(
            session, settings, event=world.event, name=f"P{index}", consent_report=True
        )
        proposer = access_as(session, world.event, auth=auth)
        topic = topics.propose(session, access=proposer, title=f"T{index}")
        session.add(
            PublishedPlacement(
                version_id=version.id,  # type: ignore[arg-type]
                event_id=staff.event_id,
                topic_id=topic.id,  # type: ignore[arg-type]
                block_id=block.id,  # type: ignore[arg-type]
                room_id=room.id,  # type: ignore[arg-type]
            )
        )
        added.append((proposer, topic.id or 0))
    session.commit()
    set_phase(session, world.event, phase)
    for proposer, topic_id in added if with_notes else ():
        editing.save(
            session,
            access=proposer,
            topic_id=topic_id,
            base_revision=0,
            changes={"outcome": "Done", "discussion": "- a\n- b"},
        )
        items.add_proposal(session, access=proposer, topic_id=topic_id, text="More")
        items.add_step(
            session, access=proposer, topic_id=topic_id, action="Act", who="Us", by_when=""
        )
        photos.add(
            session,
            access=proposer,
            topic_id=topic_id,
            data=flipchart_jpeg(64, 48),
            caption="",
            upload_dir=settings.uploads_path,
        )


@pytest.mark.parametrize("with_notes", [False, True])
def test_report_reads_in_a_fixed_number_of_queries(
    session: Session, settings: Settings, engine: Engine, world: World, with_notes: bool
) -> None:
    if with_notes:
        add_notes(session, world, upload_dir=settings.uploads_path)
    with counting(engine) as small:
        built = build.build_for_event(session, event=world.event)
    assert len(built.sessions) == 2
    _grow(session, settings, world, extra=6, with_notes=with_notes)
    with counting(engine) as large:
        built = build.build_for_event(session, event=world.event)
    assert len(built.sessions) == 8
    assert built.notes_count == (8 if with_notes else 0)
    assert built.photo_count == (7 if with_notes else 0)
    assert len(large) == len(small)
    assert len(small) <= 25  # one of them reads the organisations that ran the event


def test_acknowledgement_is_at_most_500_characters(session: Session, world: World) -> None:
    with pytest.raises(Invalid) as caught:
        events.update_event(
            session, access=world.staff, data=EventUpdate(report_acknowledgement="x" * 501)
        )
    assert caught.value.errors == {"report_acknowledgement": "Use at most 500 characters."}
    updated = events.update_event(
        session, access=world.staff, data=EventUpdate(report_acknowledgement=" A " + "y" * 497)
    )
    assert updated.report_acknowledgement == "A " + "y" * 497


def test_demo_map_comes_with_its_counts_in_every_format(
    session: Session, settings: Settings, tmp_path: Path
) -> None:
    """The mapping exercise in the proceedings: cards by category and cluster, and the grouped
    counts by category, place and organisation type (the demo's map, in Bulgarian)."""
    event, _created = demo_event.load_demo(session, settings=settings)
    built = build.build_for_event(session, event=event)

    (the_map,) = built.maps
    assert [category.name for category in the_map.categories] == [
        "Възможности",
        "Инициативи",
        "Нужди",
    ]
    assert sum(category.card_count for category in the_map.categories) == 39
    titles = [table.title for table in the_map.tables]
    assert titles == [
        "Картички по категория",
        "Картички по място",
        "Картички по вид организация",
        "Групи",
    ]
    by_category = the_map.tables[0]
    assert [row[:2] for row in by_category.rows] == [
        ["Възможности", 12],
        ["Инициативи", 12],
        ["Нужди", 15],
    ]
    by_place = the_map.tables[1]
    assert sum(int(row[-1]) for row in by_place.rows) == 39

    html = render(built, "html", upload_dir=tmp_path).decode()
    assert "Картички по място" in html and "<caption>Групи</caption>" in html
    markdown = render(built, "md", upload_dir=tmp_path).decode()
    assert "**Картички по категория**" in markdown
    assert "| Възможности | 12 |" in markdown
    document = Document(io.BytesIO(render(built, "docx", upload_dir=tmp_path)))
    cells = {cell.text for table in document.tables for row in table.rows for cell in row.cells}
    assert {"Възможности", "Финансиране / Funding"} <= cells


# --- notes, photos, priorities and action plans ----------------------------------------------


def test_notes_photos_priorities_and_actions_come_from_the_services(
    session: Session, settings: Settings, world: World
) -> None:
    added = add_notes(session, world, upload_dir=settings.uploads_path)
    built = build.build(session, access=world.staff)
    housing, tricky = built.sessions
    assert housing.notes == SessionNotesView(
        fields=[
            NoteField("Outcome", "A housing desk in every town", markdown=False),
            NoteField("Key discussion points", "- **Rents** are high\n- Deposits"),
            NoteField("Ideas and proposals", "Shared flats"),
            NoteField("Recommendations", "Ask the ministry"),
        ],  # the blank open questions are left out
        proposals=[ProposalView(DESK, 2), ProposalView(FORMULA, 1)],
        authors=["Mira"],  # Ivo did not agree to be named; Olga is staff, not a participant
    )
    assert (housing.attendance, housing.attendees) == (12, ["Mira"])  # the note-taker's count
    assert housing.photos == [PhotoView(added.photo_path, "Флипчарт", added.thumb_path)]
    assert (settings.uploads_path / added.photo_path).is_file()
    assert (settings.uploads_path / added.thumb_path).is_file()
    assert tricky.notes == SessionNotesView(proposals=[ProposalView(MEDIATORS, 0)])
    assert (tricky.attendance, tricky.photos) == (2, [])
    # A proposal without a dot or a commitment is not a priority.
    assert built.priorities == [
        PriorityView(1, DESK, 2, HOUSING),
        PriorityView(2, FORMULA, 1, HOUSING),
    ]
    assert built.actions == [
        ActionView("=Write to the mayor", "a participant", "July", HOUSING),
        ActionView("Map the landlords", "Zaedno and a participant", "", HOUSING),
        ActionView("Train mediators", "Mira and Petya", "2027", TRICKY),
        ActionView("Zaedno will host the desk", "Mira", "September", HOUSING, DESK),
        # A commitment by someone who did not agree to be named: neither their name nor
        # their organisation, whatever they typed.
        ActionView("I will ask the mayor", "a participant", "", HOUSING, DESK),
        ActionView("Bring two lawyers", "a participant", "soon", HOUSING, FORMULA),
    ]
    with use_locale("en"):
        assert built.figures()[-2:] == [Figure("Sessions with notes", 2), Figure("Photos", 1)]
    everything = repr(built)
    assert SECRET_NAME not in everything
    assert "Dan" not in everything  # "Dan Hidden", who typed "Dan" for his commitment
    assert SECRET_ORG not in everything  # nor the organisation of one who did not agree


def test_notes_are_labelled_in_the_reports_language(
    session: Session, settings: Settings, world: World
) -> None:
    add_notes(session, world, upload_dir=settings.uploads_path)
    world.event.languages = ["bg", "en"]
    built = build.build(session, access=world.staff)
    notes_view = built.sessions[0].notes
    assert notes_view is not None
    assert [field.label for field in notes_view.fields] == [
        "Резултат",
        "Основни точки от дискусията",
        "Идеи и предложения",
        "Препоръки",
    ]
    assert [action.who for action in built.actions] == [
        "участник",
        "Zaedno и участник",
        "Mira and Petya",
        "Mira",
        "участник",
        "участник",
    ]


def test_proposals_without_a_convergence_vote_have_no_dots(session: Session, world: World) -> None:
    items.add_proposal(session, access=world.mira, topic_id=world.housing.id or 0, text=DESK)
    built = build.build(session, access=world.staff)
    assert built.sessions[0].notes == SessionNotesView(proposals=[ProposalView(DESK, None)])
    assert (built.priorities, built.actions) == ([], [])


def test_demo_report_has_its_notes_photos_priorities_and_action_plans(
    session: Session, settings: Settings, tmp_path: Path
) -> None:
    event, _created = demo_event.load_demo(session, settings=settings)
    built = build.build_for_event(session, event=event)
    assert built.locale == "bg"
    with_notes = [item for item in built.sessions if item.notes is not None]
    outcomes = [item.notes.fields[0] for item in with_notes if item.notes is not None]
    assert sorted(field.text for field in outcomes) == sorted(
        seed.outcome for seed in demo_notes.NOTES
    )
    assert {field.label for field in outcomes} == {"Резултат"}
    assert {field.markdown for field in outcomes} == {False}  # plain, as on the notes page
    everything = repr(built)
    assert "Между решението за статут и личната карта минават **месеци**" in everything
    assert "Landlords outside Sofia fear **unpaid rent**" in everything

    shown = [photo for item in built.sessions for photo in item.photos]
    assert sorted(photo.caption for photo in shown) == sorted(
        caption for seed in demo_notes.NOTES for caption in seed.photos
    )
    for photo in shown:
        assert (settings.uploads_path / photo.path).is_file()
        assert (settings.uploads_path / photo.thumbnail).is_file()
    html = render(built, "html", upload_dir=settings.uploads_path).decode()
    # The sessions' four photos, and the one of a plenary item (app/demo/notes.py).
    assert len(shown) == 4
    assert html.count('<img src="data:image/jpeg;base64,') == len(built.photos) == 5
    assert "The photo file is missing." not in html
    assert "Файлът на снимката липсва." not in html
    document = Document(io.BytesIO(render(built, "docx", upload_dir=settings.uploads_path)))
    # The photos (the sessions' and the plenary item's), and the two organisations' logos.
    assert len(document.inline_shapes) == len(built.photos) + len(built.hosts) == 7

    assert [(p.rank, p.text, p.dots) for p in built.priorities] == [
        (1, "Ръководство за личните лекари за регистриране на бежанци", 13),
        (2, "Rent-guarantee fund run by municipalities with NGOs", 12),
        (3, "A shared list of landlords open to renting to refugee families", 12),
        (4, "A roster of therapists in the mother tongue", 7),
        (5, "Годишна среща на общините за интеграцията", 7),
        (6, "Образец на споразумение между община и НПО", 6),
        (7, "Evening Bulgarian classes with childcare", 4),
    ]
    steps = [(a.what, a.who, a.when) for a in built.actions if not a.priority]
    assert sorted(steps) == sorted(step for seed in demo_notes.NOTES for step in seed.steps)
    assert [(a.what, a.who, a.when, a.priority) for a in built.actions if a.priority] == [
        (
            "We will print the GP guide",
            "Sofia Municipality, social services",
            "July 2026",
            "Ръководство за личните лекари за регистриране на бежанци",
        ),
        (
            "Our foundation will draft the rent-guarantee scheme",
            "Nov Dom Foundation",
            "Sept",
            "Rent-guarantee fund run by municipalities with NGOs",
        ),
        (
            "We will propose a pilot budget to the council",
            "Plovdiv Municipality",
            "Oct",
            "Rent-guarantee fund run by municipalities with NGOs",
        ),
    ]
