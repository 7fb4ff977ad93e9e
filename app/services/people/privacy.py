"""A participant's data rights: to be forgotten (GDPR art. 17) and to have their data (art. 15, 20).

Forgetting deletes the person: the participant row with their name and organisation, their
device links, check-ins, co-host requests, notes presence and photos (the files too, once the
deletion is committed). What they wrote that others build on stays, by "a participant" and no
longer linked to them: topics, cards, notes and their revisions, proposals, next steps and
commitments. Their name copied as text goes where it is theirs: a revision's or conflict's
author, the notes' "last saved by", a "deleted by"; and where a list of people typed by hand (the
notes' conveners line, a next step's or commitment's "who") has a part that is exactly their
name, that part becomes "a participant". Free text (the notes' discussion, a topic's
description) is what others wrote and is left as it is.

Dots follow the vote they belong to. While it is open (topics: until voting ends; proposals:
until the convergence ends; +1s: until the map is frozen) they are deleted, as if never cast. Once
it has closed they stay as anonymous dots (no participant), so published results do not change.

Concurrency: the participant's row is locked first (PostgreSQL: ``SELECT … FOR UPDATE``; SQLite:
the request's ``BEGIN IMMEDIATE`` transaction), as a vote or a check-in locks it, so a dot cast
at the same moment is either counted before and then removed or anonymised, or refused after.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement
from sqlmodel import Session, col, delete, select, update

from app.errors import NotFound
from app.i18n import _, use_locale
from app.models.base import MAX_ID, id_of
from app.models.events import Event, Phase, TimeBlock
from app.models.maps import Map, MapCard, MapPlusOne
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
from app.models.topics import CohostRequest, Topic, TopicConvener, TopicMerge, Vote
from app.services.access import EventAccess
from app.services.events.phases import ORDER
from app.services.notes import photos
from app.services.people.naming import fold, replace_parts

MY_DATA_FORMAT = "openspace-my-data/1"


@dataclass
class Forgotten:
    """What forgetting one participant did."""

    participant_id: int
    # Their device bindings, gone: the sockets they opened are to be closed.
    device_ids: list[int] = field(default_factory=list)
    dots_removed: int = 0
    dots_anonymised: int = 0
    photos_deleted: int = 0
    # What stays, by "a participant": topics, cards, proposals, next steps, commitments,
    # revisions and conflicts of the notes.
    unlinked: int = 0
    files: list[Path] = field(default_factory=list, repr=False)


def _closed_after(event: Event, phase: Phase) -> bool:
    return ORDER.index(Phase(event.phase)) > ORDER.index(phase)


def _lock(session: Session, *, participant_id: int, event_id: int) -> Participant:
    query = select(Participant).where(
        Participant.id == participant_id, Participant.event_id == event_id
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    person = session.exec(query).first() if 0 < participant_id <= MAX_ID else None
    if person is None:
        raise NotFound(_("There is no such participant in this event."))
    return person


def _dots(
    session: Session,
    model: type[Vote] | type[ProposalVote] | type[MapPlusOne],
    *,
    person_id: int,
    closed: ColumnElement[bool] | bool,
    result: Forgotten,
) -> None:
    """Keep the person's dots on closed votes, anonymous; delete those on votes still open.
    ``closed`` says which are closed: all, none, or those a clause picks."""
    mine = col(model.participant_id) == person_id
    if closed is not False:
        picked = [mine] if closed is True else [mine, closed]
        result.dots_anonymised += _count(
            session, update(model).where(*picked).values(participant_id=None)
        )
    result.dots_removed += _count(session, delete(model).where(mine))


def _count(session: Session, statement: Any) -> int:
    return int(session.execute(statement).rowcount or 0)  # type: ignore[attr-defined]


def _unlink(session: Session, *, person: Participant, result: Forgotten) -> None:
    """What they wrote stays, linked to nobody and by nobody's name."""
    person_id, event_id = id_of(person), person.event_id
    statements = [
        update(Topic).where(col(Topic.proposed_by) == person_id).values(proposed_by=None),
        update(MapCard).where(col(MapCard.participant_id) == person_id).values(participant_id=None),
        update(Commitment)
        .where(col(Commitment.participant_id) == person_id)
        .values(participant_id=None, who=""),
    ]
    for item in (Proposal, NextStep):
        statements.append(
            update(item)
            .where(col(item.added_by_participant) == person_id)
            .values(added_by_participant=None, author="")
        )
        statements.append(
            update(item)
            .where(
                col(item.event_id) == event_id,
                col(item.deleted_by) == person.name,
                col(item.deleted_by_staff).is_(False),
            )
            .values(deleted_by="")
        )
    for statement in statements:
        result.unlinked += _count(session, statement)
    _unlink_notes(session, person=person, result=result)


def _unlink_notes(session: Session, *, person: Participant, result: Forgotten) -> None:
    editor, event_id = f"p{id_of(person)}", person.event_id
    for model in (NotesRevision, NotesConflict):
        mine = col(model.editor) == editor
        # Rows from before editors were recorded know only the name.
        legacy = (col(model.editor) == "") & (col(model.author) == person.name)
        # The editor key goes too: SQLite may give a later participant the same id again.
        result.unlinked += _count(
            session,
            update(model)
            .where(col(model.event_id) == event_id, mine | legacy)
            .values(author="", editor=""),
        )
    session.execute(
        delete(NotesPresence).where(
            col(NotesPresence.event_id) == event_id, col(NotesPresence.editor) == editor
        )
    )
    _replace_typed_name(session, person=person)


def _replace_typed_name(session: Session, *, person: Participant) -> None:
    """Where a list of people typed by hand names them (the notes' conveners line, a next
    step's or commitment's "who"), their name becomes "a participant", in the event's
    language; so does their organisation, unless someone still in the event gave it too."""
    event_id = person.event_id
    event = session.get(Event, event_id)
    with use_locale(event.languages[0] if event and event.languages else "en"):
        anonymous = _("a participant")
    others = {
        fold(organisation)
        for organisation in session.exec(
            select(Participant.organisation).where(
                Participant.event_id == event_id, Participant.id != person.id
            )
        ).all()
    }
    theirs = {fold(person.name)} | ({fold(person.organisation)} - others - {""})

    def swap(line: str) -> str:
        return replace_parts(line, theirs, anonymous)

    for notes in session.exec(select(SessionNotes).where(SessionNotes.event_id == event_id)):
        if notes.updated_by == person.name:
            notes.updated_by = ""
        notes.conveners = swap(notes.conveners)
        session.add(notes)
    for revision in session.exec(select(NotesRevision).where(NotesRevision.event_id == event_id)):
        conveners = str(revision.fields.get("conveners", ""))
        if conveners and swap(conveners) != conveners:
            revision.fields = {**revision.fields, "conveners": swap(conveners)}
            session.add(revision)
    for row in (
        *session.exec(select(NextStep).where(NextStep.event_id == event_id)),
        *session.exec(select(Commitment).where(Commitment.event_id == event_id)),
    ):
        if row.who and swap(row.who) != row.who:
            row.who = swap(row.who)
            session.add(row)


def _delete_person(session: Session, *, person: Participant, result: Forgotten) -> None:
    person_id = id_of(person)
    result.device_ids = [
        device_id
        for device_id in session.exec(
            select(ParticipantDevice.id).where(ParticipantDevice.participant_id == person_id)
        ).all()
        if device_id is not None
    ]
    own_photos = session.exec(select(Photo).where(Photo.uploaded_by_participant == person_id)).all()
    for photo in own_photos:
        result.files.extend(photos.path_of(Path(), photo, thumb=thumb) for thumb in (False, True))
        session.delete(photo)
    result.photos_deleted = len(own_photos)
    # The database would cascade these; said here so the list of what goes is in one place.
    for model in (ParticipantDevice, CheckIn, CohostRequest, TopicConvener):
        session.execute(delete(model).where(col(model.participant_id) == person_id))
    # The undo of the event's latest merge may name them (their dots, their co-hosting): it ends.
    session.execute(delete(TopicMerge).where(col(TopicMerge.event_id) == person.event_id))
    session.delete(person)


def forget_participant(
    session: Session, *, event: Event, participant_id: int, upload_dir: Path
) -> Forgotten:
    """Forget one participant of ``event`` (see the module's docstring), commit, then delete
    their photo files. For the operator's command line; the web goes through ``forget``."""
    person = _lock(session, participant_id=participant_id, event_id=id_of(event))
    result = Forgotten(participant_id=id_of(person))
    frozen_maps = select(Map.id).where(Map.event_id == event.id, col(Map.frozen).is_(True))
    closed: list[tuple[type[Vote] | type[ProposalVote] | type[MapPlusOne], Any]] = [
        (Vote, _closed_after(event, Phase.VOTING)),
        (ProposalVote, _closed_after(event, Phase.CONVERGENCE)),
        (
            MapPlusOne,
            col(MapPlusOne.card_id).in_(
                select(MapCard.id).where(col(MapCard.map_id).in_(frozen_maps))
            ),
        ),
    ]
    for model, which in closed:
        _dots(session, model, person_id=result.participant_id, closed=which, result=result)
    _unlink(session, person=person, result=result)
    _delete_person(session, person=person, result=result)
    session.commit()
    # Only now, so a deletion that failed keeps its photos.
    for relative in result.files:
        (upload_dir / relative).unlink(missing_ok=True)
    return result


def forget_me(session: Session, *, access: EventAccess, upload_dir: Path) -> Forgotten:
    """The participant asking is forgotten ("Delete my data" on their profile)."""
    if access.participant is None:
        raise NotFound(_("Join the event first."))
    return forget_participant(
        session, event=access.event, participant_id=id_of(access.participant), upload_dir=upload_dir
    )


def forget(
    session: Session, *, access: EventAccess, participant_id: int, upload_dir: Path
) -> Forgotten:
    """Staff forget a participant of their event (someone who asked by email, say)."""
    access.require_staff()
    return forget_participant(
        session, event=access.event, participant_id=participant_id, upload_dir=upload_dir
    )


# --- my data ---------------------------------------------------------------------------------


def _when(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.replace(tzinfo=dt.UTC).isoformat()


def _titles(session: Session, *, event_id: int) -> dict[int, str]:
    return {
        id_of(topic): topic.title
        for topic in session.exec(select(Topic).where(Topic.event_id == event_id)).all()
    }


def _profile(person: Participant, devices: list[ParticipantDevice]) -> dict[str, Any]:
    return {
        "id": person.id,
        "name": person.name,
        "organisation": person.organisation,
        "organisation_type": person.org_type,
        "language": person.locale,
        "named_in_report": person.consent_report,
        "joined_at": _when(person.created_at),
        "devices": [
            {"label": device.label, "signed_in_at": _when(device.bound_at)} for device in devices
        ],
    }


def _topics_part(session: Session, *, person_id: int, titles: dict[int, str]) -> dict[str, Any]:
    proposed = session.exec(
        select(Topic).where(Topic.proposed_by == person_id).order_by(col(Topic.id))
    ).all()
    convening = session.exec(
        select(TopicConvener.topic_id)
        .where(TopicConvener.participant_id == person_id)
        .order_by(col(TopicConvener.topic_id))
    ).all()
    requests = session.exec(
        select(CohostRequest)
        .where(CohostRequest.participant_id == person_id)
        .order_by(col(CohostRequest.id))
    ).all()
    votes = session.exec(
        select(Vote).where(Vote.participant_id == person_id).order_by(col(Vote.id))
    ).all()
    return {
        "topics_proposed": [
            {
                "topic_id": topic.id,
                "title": topic.title,
                "description": topic.description,
                "status": topic.status,
                "proposed_at": _when(topic.created_at),
            }
            for topic in proposed
        ],
        "convening": [{"topic_id": tid, "title": titles.get(tid, "")} for tid in convening],
        "cohost_requests": [
            {"topic_id": row.topic_id, "title": titles.get(row.topic_id, ""), "status": row.status}
            for row in requests
        ],
        "votes": [
            {
                "topic_id": vote.topic_id,
                "title": titles.get(vote.topic_id, ""),
                "at": _when(vote.created_at),
            }
            for vote in votes
        ],
    }


def _sessions_part(
    session: Session, *, person_id: int, titles: dict[int, str], base_url: str, event: Event
) -> dict[str, Any]:
    editor = f"p{person_id}"
    checkins = session.exec(
        select(CheckIn).where(CheckIn.participant_id == person_id).order_by(col(CheckIn.id))
    ).all()
    plenaries = {
        id_of(block): block.title
        for block in session.exec(select(TimeBlock).where(TimeBlock.event_id == event.id)).all()
    }

    def about(topic_id: int | None, block_id: int | None) -> dict[str, Any]:
        """What a row is about: a session, or a plenary item of the programme."""
        if block_id is not None:
            return {"plenary_id": block_id, "plenary": plenaries.get(block_id, "")}
        assert topic_id is not None
        return {"topic_id": topic_id, "session": titles.get(topic_id, "")}

    revisions = session.exec(
        select(NotesRevision, SessionNotes.topic_id, SessionNotes.block_id)
        .join(SessionNotes, SessionNotes.id == NotesRevision.notes_id)  # type: ignore[arg-type]
        .where(NotesRevision.event_id == event.id, NotesRevision.editor == editor)
        .order_by(col(NotesRevision.id))
    ).all()
    conflicts = session.exec(
        select(NotesConflict, SessionNotes.topic_id, SessionNotes.block_id)
        .join(SessionNotes, SessionNotes.id == NotesConflict.notes_id)  # type: ignore[arg-type]
        .where(NotesConflict.event_id == event.id, NotesConflict.editor == editor)
        .order_by(col(NotesConflict.id))
    ).all()
    own_photos = session.exec(
        select(Photo).where(Photo.uploaded_by_participant == person_id).order_by(col(Photo.id))
    ).all()
    return {
        "check_ins": [
            {
                "topic_id": row.topic_id,
                "session": titles.get(row.topic_id, ""),
                "arrived_at": _when(row.arrived_at),
                "left_at": _when(row.left_at),
            }
            for row in checkins
        ],
        "notes_revisions": [
            {
                **about(topic_id, block_id),
                "revision": revision.revision,
                "saved_at": _when(revision.created_at),
                "fields": revision.fields,
            }
            for revision, topic_id, block_id in revisions
        ],
        "notes_kept_aside": [
            {
                **about(topic_id, block_id),
                "field": conflict.field,
                "text": conflict.text,
                "kept_at": _when(conflict.created_at),
                "merged_at": _when(conflict.resolved_at),
            }
            for conflict, topic_id, block_id in conflicts
        ],
        "photos": [
            {
                **about(photo.topic_id, photo.block_id),
                "caption": photo.caption,
                "url": f"{base_url}/e/{event.slug}/photos/{photo.id}/full",
                "uploaded_at": _when(photo.created_at),
            }
            for photo in own_photos
        ],
    }


def _item_rows(
    rows: Sequence[Proposal] | Sequence[NextStep], titles: dict[int, str]
) -> list[dict[str, Any]]:
    return [
        {
            "topic_id": row.topic_id,
            "session": titles.get(row.topic_id, ""),
            **row.model_dump(include={"text", "action", "who", "by_when"}),
            "added_at": _when(row.created_at),
            "deleted_at": _when(row.deleted_at),
        }
        for row in rows
    ]


def _items_part(
    session: Session, *, person_id: int, event_id: int, titles: dict[int, str]
) -> dict[str, Any]:
    found: dict[str, Any] = {
        "proposals": _item_rows(
            session.exec(
                select(Proposal)
                .where(Proposal.added_by_participant == person_id)
                .order_by(col(Proposal.id))
            ).all(),
            titles,
        ),
        "next_steps": _item_rows(
            session.exec(
                select(NextStep)
                .where(NextStep.added_by_participant == person_id)
                .order_by(col(NextStep.id))
            ).all(),
            titles,
        ),
    }
    texts = dict(
        session.exec(select(Proposal.id, Proposal.text).where(Proposal.event_id == event_id)).all()
    )
    found["priority_dots"] = [
        {"proposal_id": dot.proposal_id, "proposal": texts.get(dot.proposal_id, "")}
        for dot in session.exec(
            select(ProposalVote)
            .where(ProposalVote.participant_id == person_id)
            .order_by(col(ProposalVote.id))
        ).all()
    ]
    found["commitments"] = [
        {
            "proposal_id": row.proposal_id,
            "proposal": texts.get(row.proposal_id, ""),
            "who": row.who,
            "action": row.action,
            "by_when": row.by_when,
            "made_at": _when(row.created_at),
        }
        for row in session.exec(
            select(Commitment)
            .where(Commitment.participant_id == person_id)
            .order_by(col(Commitment.id))
        ).all()
    ]
    return found


def _cards_part(session: Session, *, person_id: int) -> dict[str, Any]:
    cards = session.exec(
        select(MapCard, Map.question)
        .join(Map, Map.id == MapCard.map_id)  # type: ignore[arg-type]
        .where(MapCard.participant_id == person_id)
        .order_by(col(MapCard.id))
    ).all()
    plus_ones = session.exec(
        select(MapPlusOne.card_id).where(MapPlusOne.participant_id == person_id)
    ).all()
    return {
        "cards": [
            {
                "card_id": card.id,
                "map": question,
                "text": card.text,
                "status": card.status,
                "written_at": _when(card.created_at),
            }
            for card, question in cards
        ],
        "plus_ones": [{"card_id": card_id} for card_id in plus_ones],
    }


def my_data(session: Session, *, access: EventAccess, base_url: str) -> dict[str, Any]:
    """Everything stored about the participant asking, in this event, as one JSON document
    (format ``openspace-my-data/1``, its keys listed in the README's "Data rights")."""
    person = access.participant
    if person is None:
        raise NotFound(_("Join the event first."))
    person_id, event = id_of(person), access.event
    titles = _titles(session, event_id=access.event_id)
    devices = list(
        session.exec(
            select(ParticipantDevice)
            .where(ParticipantDevice.participant_id == person_id)
            .order_by(col(ParticipantDevice.id))
        ).all()
    )
    return {
        "format": MY_DATA_FORMAT,
        "event": {"name": event.name, "address": f"{base_url}/e/{event.slug}"},
        "exported_at": _when(dt.datetime.now(dt.UTC).replace(tzinfo=None)),
        "profile": _profile(person, devices),
        **_topics_part(session, person_id=person_id, titles=titles),
        **_sessions_part(
            session, person_id=person_id, titles=titles, base_url=base_url, event=event
        ),
        **_items_part(session, person_id=person_id, event_id=access.event_id, titles=titles),
        **_cards_part(session, person_id=person_id),
    }
