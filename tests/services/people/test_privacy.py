"""Data rights without HTTP: forgetting a participant, and their data as one document."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import Session, col, select

from app.config import Settings
from app.errors import NotFound, PermissionDenied
from app.models.events import Phase
from app.models.maps import MapCard, MapPlusOne
from app.models.notes import (
    Commitment,
    NextStep,
    NotesConflict,
    NotesPresence,
    NotesRevision,
    Photo,
    Proposal,
    ProposalVote,
    SessionNotes,
)
from app.models.people import Participant, ParticipantDevice
from app.models.schedule import CheckIn
from app.models.topics import CohostRequest, Topic, TopicConvener, Vote
from app.services.maps import cards, setup
from app.services.notes import editing, items, photos
from app.services.people import privacy
from app.services.topics import topics, votes
from tests.factories import access_as, make_event, make_participant, make_user
from tests.maps_helpers import category_ids, new_map
from tests.marketplace_helpers import set_phase
from tests.report_helpers import (
    SECRET_NAME,
    SECRET_ORG,
    Notes,
    World,
    add_notes,
    add_plenary_notes,
    flipchart_jpeg,
    make_world,
)


@pytest.fixture
def world(session: Session, settings: Settings) -> World:
    owner = make_user(session)
    return make_world(session, settings, event=make_event(session, owner=owner), owner=owner)


@pytest.fixture
def notes(session: Session, settings: Settings, world: World) -> Notes:
    return add_notes(session, world, upload_dir=settings.uploads_path)


def _ivo(world: World) -> int:
    assert world.ivo.participant is not None
    return world.ivo.participant.id or 0


def _count(session: Session, model: type, *where: object) -> int:
    return session.exec(select(func.count()).select_from(model).where(*where)).one()  # type: ignore[call-overload,no-any-return]


def add_traces(session: Session, settings: Settings, world: World) -> Photo:
    """Ivo also uploads a photo, posts a card, +1s Mira's card and has the notes open."""
    photo = photos.add(
        session,
        access=world.ivo,
        topic_id=world.housing.id or 0,
        data=flipchart_jpeg(),
        caption="Ivo's flipchart",
        upload_dir=settings.uploads_path,
    )
    map_ = new_map(session, world.staff)
    category = category_ids(session, map_)[0]
    cards.post_card(
        session, access=world.ivo, map_id=map_.id or 0, text="Ivo's card", category_id=category
    )
    miras = cards.post_card(
        session, access=world.mira, map_id=map_.id or 0, text="Mira's card", category_id=category
    )
    cards.plus_one(session, access=world.ivo, card_id=miras.id or 0)
    editing.heartbeat(session, access=world.ivo, topic_id=world.housing.id or 0, field="ideas")
    return photo


def test_forgetting_deletes_the_person_and_keeps_what_others_build_on(
    session: Session, settings: Settings, world: World, notes: Notes
) -> None:
    photo = add_traces(session, settings, world)
    ivo = _ivo(world)
    files = [photos.path_of(settings.uploads_path, photo, thumb=thumb) for thumb in (False, True)]
    assert all(path.exists() for path in files)
    before = votes.tallies(session, event_id=world.event.id or 0)
    proposal_dots = _count(session, ProposalVote)

    done = privacy.forget_me(session, access=world.ivo, upload_dir=settings.uploads_path)

    session.expire_all()
    assert session.get(Participant, ivo) is None
    assert (
        done.device_ids
        and _count(session, ParticipantDevice, col(ParticipantDevice.id).in_(done.device_ids)) == 0
    )
    for model in (CheckIn, CohostRequest, TopicConvener):
        assert _count(session, model, model.participant_id == ivo) == 0  # type: ignore[attr-defined]
    assert not any(path.exists() for path in files)
    assert session.get(Photo, photo.id) is None
    assert done.photos_deleted == 1
    assert _count(session, NotesPresence, NotesPresence.editor == f"p{ivo}") == 0
    # What they wrote stays, by nobody.
    tricky = session.get(Topic, world.tricky.id)
    assert tricky is not None and tricky.proposed_by is None
    formula = session.get(Proposal, notes.formula.id)
    assert formula is not None and formula.author == "" and formula.added_by_participant is None
    card = session.exec(select(MapCard).where(MapCard.text == "Ivo's card")).one()
    assert card.participant_id is None
    pledge = session.exec(
        select(Commitment).where(Commitment.action == "I will ask the mayor")
    ).one()
    assert pledge.participant_id is None and pledge.who == ""
    # His revision stays, by nobody: neither his name nor his id points to him.
    assert session.exec(select(NotesRevision).where(NotesRevision.editor == f"p{ivo}")).all() == []
    anonymous = session.exec(
        select(NotesRevision).where(NotesRevision.author == "", NotesRevision.editor == "")
    ).all()
    assert [revision.fields["ideas"] for revision in anonymous] == ["Shared flats"]
    # Mira typed his name as who will do a next step: it became "a participant".
    step = session.exec(select(NextStep).where(NextStep.action == "=Write to the mayor")).one()
    assert step.who == "a participant"
    # Voting had closed: his dots stay, anonymous, and the results do not change.
    assert votes.tallies(session, event_id=world.event.id or 0) == before
    assert _count(session, Vote, col(Vote.participant_id).is_(None)) == 1
    assert _count(session, ProposalVote) == proposal_dots
    # The map was open: his +1 is gone.
    assert _count(session, MapPlusOne) == 0
    assert done.dots_anonymised == 1 and done.dots_removed == 1
    # Nothing stored in the event has his name or organisation any more.
    for model in (
        SessionNotes,
        NotesRevision,
        NotesConflict,
        Proposal,
        NextStep,
        Commitment,
        Topic,
        MapCard,
    ):
        for row in session.exec(select(model)).all():
            dumped = json.dumps(row.model_dump(mode="json"), ensure_ascii=False)
            assert SECRET_NAME not in dumped and SECRET_ORG not in dumped, dumped


def test_dots_on_an_open_vote_go_as_if_never_cast(session: Session, settings: Settings) -> None:
    event = make_event(session)
    _person, auth = make_participant(session, settings, event=event, name="Voter")
    voter = access_as(session, event, auth=auth)
    set_phase(session, event, Phase.MARKETPLACE)
    topic = topics.propose(session, access=voter, title="Open vote")
    set_phase(session, event, Phase.VOTING, dots_per_participant=3, max_dots_per_topic=2)
    for _ in range(2):
        votes.cast(session, access=voter, topic_id=topic.id or 0, key=None)

    done = privacy.forget_me(session, access=voter, upload_dir=settings.uploads_path)

    assert done.dots_removed == 2 and done.dots_anonymised == 0
    assert votes.tallies(session, event_id=event.id or 0) == {}
    assert _count(session, Vote) == 0


def test_a_plus_one_on_a_frozen_map_stays_anonymous(
    session: Session, settings: Settings, world: World
) -> None:
    map_ = new_map(session, world.staff)
    miras = cards.post_card(
        session,
        access=world.mira,
        map_id=map_.id or 0,
        text="Mira's card",
        category_id=category_ids(session, map_)[0],
    )
    cards.plus_one(session, access=world.ivo, card_id=miras.id or 0)
    setup.set_frozen(session, access=world.staff, map_id=map_.id or 0, frozen=True)

    privacy.forget(
        session, access=world.staff, participant_id=_ivo(world), upload_dir=settings.uploads_path
    )

    assert session.exec(select(MapPlusOne.participant_id)).all() == [None]


def test_only_the_person_or_staff_may_forget_and_only_in_their_event(
    session: Session, settings: Settings, world: World
) -> None:
    ivo = _ivo(world)
    for someone in (world.mira, world.ivo):  # staff's way is for staff, even for oneself
        with pytest.raises(PermissionDenied):
            privacy.forget(session, access=someone, participant_id=ivo, upload_dir=Path())
    with pytest.raises(NotFound):
        privacy.forget_me(session, access=world.staff, upload_dir=Path())
    other = make_event(session)
    outsider, _auth = make_participant(session, settings, event=other, name="Elsewhere")
    for wrong in (outsider.id or 0, 0, -3, 10**12):
        with pytest.raises(NotFound):
            privacy.forget(session, access=world.staff, participant_id=wrong, upload_dir=Path())
    session.expire_all()
    assert session.get(Participant, ivo) is not None
    assert session.get(Participant, outsider.id) is not None


def test_their_organisation_goes_from_typed_lists_unless_others_gave_it(
    session: Session, settings: Settings, world: World, notes: Notes
) -> None:
    items.add_step(
        session,
        access=world.mira,
        topic_id=world.housing.id or 0,
        action="Call the city",
        who=f"{SECRET_ORG} and Zaedno",
        by_when="",
    )
    # Nobody else gave Ivo's organisation: it goes with him. Zaedno is Mira's: it stays.
    privacy.forget(
        session, access=world.staff, participant_id=_ivo(world), upload_dir=settings.uploads_path
    )
    step = session.exec(select(NextStep).where(NextStep.action == "Call the city")).one()
    assert step.who == "a participant and Zaedno"
    steps = session.exec(select(NextStep.who)).all()
    assert "Mira and Petya" in steps  # others' names stay


def test_my_data_holds_everything_stored_about_the_person(
    session: Session, settings: Settings, world: World, notes: Notes
) -> None:
    add_traces(session, settings, world)

    data = privacy.my_data(session, access=world.ivo, base_url="https://os.example.org")

    assert data["format"] == "openspace-my-data/1"
    # The keys the README lists, no more and no fewer.
    assert set(data) == {
        "format",
        "event",
        "exported_at",
        "profile",
        "topics_proposed",
        "convening",
        "cohost_requests",
        "votes",
        "check_ins",
        "notes_revisions",
        "notes_kept_aside",
        "photos",
        "proposals",
        "next_steps",
        "priority_dots",
        "commitments",
        "cards",
        "plus_ones",
    }
    assert data["profile"]["name"] == SECRET_NAME
    assert data["profile"]["organisation"] == SECRET_ORG
    assert len(data["profile"]["devices"]) == 1
    assert [t["title"] for t in data["topics_proposed"]] == [world.tricky.title]
    assert [t["topic_id"] for t in data["convening"]] == [world.housing.id, world.tricky.id]
    assert [v["topic_id"] for v in data["votes"]] == [world.housing.id]
    assert [c["topic_id"] for c in data["check_ins"]] == [world.housing.id]
    assert [r["fields"]["ideas"] for r in data["notes_revisions"]] == ["Shared flats"]
    assert [p["text"] for p in data["proposals"]] == [notes.formula.text]
    assert [c["action"] for c in data["commitments"]] == ["I will ask the mayor"]
    assert [c["text"] for c in data["cards"]] == ["Ivo's card"]
    assert len(data["plus_ones"]) == 1
    [photo] = data["photos"]
    assert photo["url"].startswith(f"https://os.example.org/e/{world.event.slug}/photos/")
    json.dumps(data)  # one JSON document
    # Someone else's data is not in it.
    assert "Mira" not in json.dumps(data["profile"]) and "Zaedno" not in json.dumps(data["profile"])
    with pytest.raises(NotFound):
        privacy.my_data(session, access=world.staff, base_url="")


def test_forgetting_covers_plenary_notes_and_photos(
    session: Session, settings: Settings, world: World
) -> None:
    opening = add_plenary_notes(session, world, upload_dir=settings.uploads_path)
    ivo_photo = photos.add(
        session,
        access=world.ivo,
        block_id=opening.id,
        data=flipchart_jpeg(),
        caption="Ivo's welcome",
        upload_dir=settings.uploads_path,
    )
    files = [photos.path_of(settings.uploads_path, ivo_photo, thumb=t) for t in (False, True)]
    editing.heartbeat(session, access=world.ivo, block_id=opening.id, field="outcome")
    ivo = _ivo(world)

    mine = privacy.my_data(session, access=world.ivo, base_url="https://lab.example")
    assert [
        (row["plenary_id"], row["plenary"], row["revision"]) for row in mine["notes_revisions"]
    ] == [(opening.id, "Opening", 2)]
    assert [(row["plenary_id"], row["caption"]) for row in mine["photos"]] == [
        (opening.id, "Ivo's welcome")
    ]

    done = privacy.forget_me(session, access=world.ivo, upload_dir=settings.uploads_path)

    session.expire_all()
    assert done.photos_deleted == 1
    assert [path.exists() for path in files] == [False, False]
    assert [p.caption for p in session.exec(select(Photo)).all()] == ["Welcome"]  # Petya's
    assert _count(session, NotesPresence, NotesPresence.editor == f"p{ivo}") == 0
    revisions = session.exec(select(NotesRevision).order_by(col(NotesRevision.revision))).all()
    # What he wrote stays, by nobody: his revision is no longer linked to him.
    assert [(r.author, r.editor) for r in revisions] == [
        ("Mira", f"p{world.mira.participant.id if world.mira.participant else 0}"),
        ("", ""),
    ]
    assert revisions[1].fields["recommendations"] == "Ask early"
