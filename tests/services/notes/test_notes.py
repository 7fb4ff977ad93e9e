"""Session notes without HTTP: versioned saves, three-way merges, conflicts kept, presence,
attendance with consent, the report's read functions."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.config import Settings
from app.errors import Conflict, Invalid, NotFound, PermissionDenied, RateLimited
from app.models.events import Event, Phase
from app.models.notes import (
    NextStep,
    NotesConflict,
    NotesPresence,
    NotesRevision,
    Proposal,
    ProposalVote,
)
from app.models.people import User
from app.models.topics import Topic
from app.services.access import EventAccess
from app.services.convergence import priorities
from app.services.notes import editing, items, reading, shared
from app.services.notes import report as notes_report
from app.services.notes.merge import merge3
from app.services.schedule import checkins
from app.services.topics import topics
from tests.factories import access_as, make_event, make_participant
from tests.marketplace_helpers import as_participant, as_staff, set_phase
from tests.notes_helpers import check_in, publish

# --- merge3 ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("base", "theirs", "mine", "merged"),
    [
        ("a", "a", "b", "b"),
        ("a", "b", "a", "b"),
        ("a", "b", "b", "b"),
        ("one\ntwo\nthree", "ONE\ntwo\nthree", "one\ntwo\nTHREE", "ONE\ntwo\nTHREE"),
        ("one\ntwo", "one\ntwo\nthem", "one\ntwo\nme", "one\ntwo\nthem\nme"),
        ("", "", "first words", "first words"),
        ("a\nb\nc\n", "a\nB\nc\n", "a\nb\nc\nd\n", "a\nB\nc\nd\n"),
        ("a\nb\nc", "x\na\nb\nc", "a\nb\nc\ny", "x\na\nb\nc\ny"),
        ("a\nb\nc", "a\nc", "a\nb\nc\nd", "a\nc\nd"),
        ("a\nb", "a\nX\nb", "a\nX\nb", "a\nX\nb"),
    ],
)
def test_merge3_merges_disjoint_changes(base: str, theirs: str, mine: str, merged: str) -> None:
    assert merge3(base, theirs, mine) == merged


@pytest.mark.parametrize(
    ("base", "theirs", "mine"),
    [
        ("rent caps", "rent caps now", "rent caps later"),
        ("", "their first words", "my first words"),
        ("a\nb\nc", "a\nB1\nc", "a\nB2\nc"),
        ("a\nb\nc", "a\nc", "a\nb!\nc"),
        ("a\nb\nc\nd", "a\nX\nY\nd", "a\nb\nZ\nd"),
    ],
)
def test_merge3_refuses_overlapping_changes(base: str, theirs: str, mine: str) -> None:
    assert merge3(base, theirs, mine) is None


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture
def sessions(session: Session, settings: Settings, event: Event, owner: User) -> list[Topic]:
    return publish(session, settings, event, owner, ["Housing", "Jobs"])


@pytest.fixture
def phone(session: Session, settings: Settings, event: Event) -> EventAccess:
    return as_participant(session, settings, event, "Mira")


@pytest.fixture
def laptop(session: Session, settings: Settings, event: Event) -> EventAccess:
    return as_participant(session, settings, event, "Ivo")


def _tid(topic: Topic) -> int:
    assert topic.id is not None
    return topic.id


def _save(
    session: Session, access: EventAccess, topic: Topic, base: int, **changes: str
) -> editing.SaveResult:
    return editing.save(
        session, access=access, topic_id=_tid(topic), base_revision=base, changes=changes
    )


def _stored(session: Session, topic: Topic) -> dict[str, str]:
    session.expire_all()
    found = reading.notes_of(session, event_id=topic.event_id, topic_id=_tid(topic))
    return shared.values_of(found)


def _conflicts(session: Session) -> list[tuple[str, str, str, int]]:
    return [
        (row.field, row.text, row.author, row.base_revision)
        for row in session.exec(select(NotesConflict).order_by(col(NotesConflict.id))).all()
    ]


# --- saving -----------------------------------------------------------------------------------


def test_first_save_creates_revision_one(
    session: Session, sessions: list[Topic], phone: EventAccess
) -> None:
    result = _save(session, phone, sessions[0], 0, discussion="Rents **rise**", outcome="Act")
    assert (result.revision, result.applied, result.merged, result.conflicts) == (
        1,
        ["discussion", "outcome"],
        [],
        [],
    )
    stored = _stored(session, sessions[0])
    assert (stored["discussion"], stored["outcome"], stored["ideas"]) == (
        "Rents **rise**",
        "Act",
        "",
    )
    revisions = session.exec(select(NotesRevision.revision, NotesRevision.author)).all()
    assert revisions == [(1, "Mira")]


def test_two_clients_editing_different_fields_both_keep_their_text(
    session: Session, sessions: list[Topic], phone: EventAccess, laptop: EventAccess
) -> None:
    # Both opened the notes at revision 0; the phone saves first, the laptop's base is stale.
    _save(session, phone, sessions[0], 0, discussion="From the phone")
    result = _save(session, laptop, sessions[0], 0, ideas="From the laptop")
    assert (result.revision, result.applied, result.conflicts) == (2, ["ideas"], [])
    stored = _stored(session, sessions[0])
    assert (stored["discussion"], stored["ideas"]) == ("From the phone", "From the laptop")


def test_two_clients_editing_different_lines_of_one_field_merge(
    session: Session, sessions: list[Topic], phone: EventAccess, laptop: EventAccess
) -> None:
    _save(session, phone, sessions[0], 0, discussion="- rent\n- deposits\n- agents")
    _save(session, phone, sessions[0], 1, discussion="- rent caps\n- deposits\n- agents")
    result = _save(session, laptop, sessions[0], 1, discussion="- rent\n- deposits\n- agents\n- Q")
    assert (result.revision, result.merged, result.conflicts) == (3, ["discussion"], [])
    assert result.values["discussion"] == "- rent caps\n- deposits\n- agents\n- Q"
    assert _stored(session, sessions[0])["discussion"] == "- rent caps\n- deposits\n- agents\n- Q"


def test_stale_save_of_the_same_line_is_not_applied_and_is_kept(
    session: Session, sessions: list[Topic], phone: EventAccess, laptop: EventAccess
) -> None:
    _save(session, phone, sessions[0], 0, outcome="A pilot in Burgas")
    result = _save(session, laptop, sessions[0], 0, outcome="A pilot in Varna", ideas="More")
    assert (result.revision, result.applied, result.conflicts) == (2, ["ideas"], ["outcome"])
    stored = _stored(session, sessions[0])
    assert (stored["outcome"], stored["ideas"]) == ("A pilot in Burgas", "More")
    assert _conflicts(session) == [("outcome", "A pilot in Varna", "Ivo", 0)]
    page = reading.page(session, access=phone, topic_id=_tid(sessions[0]))
    assert [(c.field, c.text) for c in page.conflicts] == [("outcome", "A pilot in Varna")]
    editing.resolve_conflict(session, access=phone, conflict_id=page.conflicts[0].id or 0)
    assert reading.page(session, access=phone, topic_id=_tid(sessions[0])).conflicts == []
    assert len(_conflicts(session)) == 1  # resolved, still in the database


def test_offline_draft_sent_later_merges_against_its_base(
    session: Session, sessions: list[Topic], phone: EventAccess, laptop: EventAccess
) -> None:
    # The phone loaded revision 1, lost Wi-Fi and kept typing; meanwhile the laptop saved
    # twice. Its draft arrives with base 1 and merges with both.
    _save(session, laptop, sessions[0], 0, questions="Who pays?")
    _save(session, laptop, sessions[0], 1, questions="Who pays?\nWho decides?")
    _save(session, laptop, sessions[0], 2, recommendations="Start small")
    result = _save(session, phone, sessions[0], 1, questions="Who pays?\n\nAsked offline")
    assert result.conflicts == []
    assert _stored(session, sessions[0])["questions"] == "Who pays?\nWho decides?\n\nAsked offline"
    assert _stored(session, sessions[0])["recommendations"] == "Start small"


def test_resending_the_same_save_changes_nothing(
    session: Session, sessions: list[Topic], phone: EventAccess
) -> None:
    first = _save(session, phone, sessions[0], 0, discussion="Once")
    again = _save(session, phone, sessions[0], 0, discussion="Once")
    assert (first.revision, again.revision, again.conflicts) == (1, 1, [])


def test_base_from_the_future_is_refused(
    session: Session, sessions: list[Topic], phone: EventAccess
) -> None:
    with pytest.raises(Conflict):
        _save(session, phone, sessions[0], 5, discussion="x")


def test_text_areas_line_endings_are_stored_as_lf(
    session: Session, sessions: list[Topic], phone: EventAccess
) -> None:
    _save(session, phone, sessions[0], 0, discussion="a\r\nb\rc", title="one\ntwo")
    stored = _stored(session, sessions[0])
    assert (stored["discussion"], stored["title"]) == ("a\nb\nc", "one two")


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        (
            {"participant_count": "twelve"},
            {"participant_count": "Enter a whole number, or leave it empty."},
        ),
        (
            {"participant_count": "-3"},
            {"participant_count": "Enter a whole number, or leave it empty."},
        ),
        (
            {"participant_count": "²"},
            {"participant_count": "Enter a whole number, or leave it empty."},
        ),
        ({"outcome": "x" * 201}, {"outcome": "Use at most 200 characters."}),
        ({"discussion": "x" * 20_001}, {"discussion": "Use at most 20,000 characters."}),
    ],
)
def test_bad_values_are_refused_next_to_the_field(
    session: Session,
    sessions: list[Topic],
    phone: EventAccess,
    changes: dict[str, str],
    errors: dict[str, str],
) -> None:
    with pytest.raises(Invalid) as caught:
        _save(session, phone, sessions[0], 0, **changes)
    assert caught.value.errors == errors
    session.rollback()
    assert _stored(session, sessions[0])["participant_count"] == ""


def test_only_scheduled_sessions_have_notes(
    session: Session, event: Event, sessions: list[Topic], phone: EventAccess
) -> None:
    set_phase(session, event, Phase.MARKETPLACE)
    unplaced = topics.propose(session, access=phone, title="Not on the grid")
    set_phase(session, event, Phase.SESSIONS)
    message = "This topic is not a session in the published agenda, so it has no notes."
    with pytest.raises(NotFound) as caught:
        _save(session, phone, unplaced, 0, discussion="x")
    assert caught.value.message == message
    with pytest.raises(NotFound) as caught:
        reading.page(session, access=phone, topic_id=999_999)
    assert caught.value.message == message
    assert reading.notes_of(session, event_id=event.id or 0, topic_id=_tid(unplaced)) is None


def test_other_events_and_outsiders_cannot_write(
    session: Session, settings: Settings, owner: User, event: Event, sessions: list[Topic]
) -> None:
    other = make_event(session, owner=owner)
    stranger = as_participant(session, settings, other, "Eve")
    with pytest.raises(NotFound):
        _save(session, stranger, sessions[0], 0, discussion="x")
    with pytest.raises(PermissionDenied):
        _save(session, access_as(session, event), sessions[0], 0, discussion="x")
    assert _stored(session, sessions[0])["discussion"] == ""


def test_staff_may_write_notes(
    session: Session, event: Event, owner: User, sessions: list[Topic]
) -> None:
    result = _save(session, as_staff(session, event, owner), sessions[1], 0, ideas="From staff")
    assert (result.revision, _stored(session, sessions[1])["ideas"]) == (1, "From staff")


# --- presence and the live map -------------------------------------------------------------


def test_heartbeats_tell_the_screens_only_when_something_changed(
    session: Session, sessions: list[Topic], phone: EventAccess
) -> None:
    topic_id = _tid(sessions[0])
    beat = editing.heartbeat
    assert beat(session, access=phone, topic_id=topic_id, field="discussion") is True
    assert beat(session, access=phone, topic_id=topic_id, field="discussion") is False
    assert beat(session, access=phone, topic_id=topic_id, field="ideas") is True
    row = session.exec(select(NotesPresence)).one()
    row.seen_at = row.seen_at - dt.timedelta(seconds=editing.PRESENCE_REFRESH + 1)
    session.add(row)
    session.commit()
    assert beat(session, access=phone, topic_id=topic_id, field="ideas") is True
    assert [
        e.name for e in reading.editors(session, event_id=phone.event_id, topic_id=topic_id)
    ] == ["Mira"]
    assert editing.leave(session, access=phone, topic_id=topic_id) is True
    assert reading.editors(session, event_id=phone.event_id, topic_id=topic_id) == []


def test_live_map_has_revisions_and_fresh_editors_only(
    session: Session, sessions: list[Topic], phone: EventAccess, laptop: EventAccess
) -> None:
    _save(session, phone, sessions[0], 0, discussion="x")
    editing.heartbeat(session, access=laptop, topic_id=_tid(sessions[1]), field="ideas")
    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=editing.PRESENCE_SECONDS + 5)
    now_map = reading.live_map(session, event_id=phone.event_id)
    assert {key: (value["r"], [e[0] for e in value["e"]]) for key, value in now_map.items()} == {  # type: ignore[union-attr]
        str(_tid(sessions[0])): (1, ["Mira"]),  # saving counts as being there
        str(_tid(sessions[1])): (0, ["Ivo"]),
    }
    later_map = reading.live_map(session, event_id=phone.event_id, now=later)
    assert {key: value["e"] for key, value in later_map.items()} == {str(_tid(sessions[0])): []}


def test_live_map_lists_open_conflicts_and_headcounts(
    session: Session, sessions: list[Topic], phone: EventAccess, laptop: EventAccess
) -> None:
    housing, jobs = _tid(sessions[0]), _tid(sessions[1])
    _save(session, phone, sessions[0], 0, outcome="A pilot in Burgas")
    _save(session, laptop, sessions[0], 0, outcome="A pilot in Varna")  # kept aside
    for access, topic_id in ((phone, jobs), (laptop, jobs), (phone, housing)):
        checkins.check_in(session, access=access, topic_id=topic_id)  # Mira moves on
    (conflict_id,) = session.exec(select(NotesConflict.id)).all()

    found = reading.live_map(session, event_id=phone.event_id)
    assert {
        key: {k: v for k, v in value.items() if k in "chn"} for key, value in found.items()
    } == {
        str(housing): {"c": [conflict_id], "h": 1, "n": 1},
        str(jobs): {"h": 1, "n": 2},
    }
    editing.resolve_conflict(session, access=laptop, conflict_id=conflict_id or 0)
    assert "c" not in reading.live_map(session, event_id=phone.event_id)[str(housing)]


def test_sessions_with_notes(session: Session, sessions: list[Topic], phone: EventAccess) -> None:
    assert reading.sessions_with_notes(session, event_id=phone.event_id) == set()
    items.add_step(
        session, access=phone, topic_id=_tid(sessions[1]), action="Call", who="", by_when=""
    )
    assert reading.sessions_with_notes(session, event_id=phone.event_id) == {_tid(sessions[1])}
    _save(session, phone, sessions[0], 0, discussion="x")
    assert reading.sessions_with_notes(session, event_id=phone.event_id) == {
        _tid(sessions[0]),
        _tid(sessions[1]),
    }


# --- proposals, next steps, attendance, the report ----------------------------------------


def test_proposals_and_steps_are_checked(
    session: Session, sessions: list[Topic], phone: EventAccess
) -> None:
    topic_id = _tid(sessions[0])
    with pytest.raises(Invalid) as caught:
        items.add_proposal(session, access=phone, topic_id=topic_id, text="  ")
    assert caught.value.errors == {"proposal": "Write the proposal first."}
    with pytest.raises(Invalid) as caught:
        items.add_step(
            session, access=phone, topic_id=topic_id, action="", who="x" * 161, by_when="y" * 81
        )
    assert caught.value.errors == {
        "action": "Write the next step first.",
        "who": "Use at most 160 characters.",
        "by_when": "Use at most 80 characters.",
    }
    proposal = items.add_proposal(
        session, access=phone, topic_id=topic_id, text=" Rent\n guarantee "
    )
    assert proposal.text == "Rent guarantee"
    items.delete_proposal(session, access=phone, proposal_id=proposal.id or 0)
    assert reading.proposals_with_dots(session, event_id=phone.event_id, topic_id=topic_id) == []
    kept = session.get(Proposal, proposal.id)
    assert kept is not None and (kept.text, kept.deleted_by) == ("Rent guarantee", "Mira")


def test_attendance_counts_check_ins_and_names_only_who_consented(
    session: Session, settings: Settings, event: Event, sessions: list[Topic], phone: EventAccess
) -> None:
    people = []
    for name, consent in (("Ana", True), ("Hidden", False), ("Boris", True)):
        _participant, auth = make_participant(
            session, settings, event=event, name=name, consent_report=consent
        )
        people.append(access_as(session, event, auth=auth))
    for access in (*people, people[0]):  # Ana checks in twice: counted once
        check_in(session, access, sessions[0])
    found = reading.attendance(
        session, event_id=event.id or 0, topic_id=_tid(sessions[0]), notes=None
    )
    assert (found.checked_in, found.here, found.count, found.given, found.names) == (
        3, 3, 3, False, ["Ana", "Boris"],
    )  # fmt: skip
    # Boris moves on: no longer here, still counted.
    checkins.check_in(session, access=people[2], topic_id=_tid(sessions[1]))
    _save(session, phone, sessions[0], 0, participant_count="12")
    stored = reading.notes_of(session, event_id=event.id or 0, topic_id=_tid(sessions[0]))
    found = reading.attendance(
        session, event_id=event.id or 0, topic_id=_tid(sessions[0]), notes=stored
    )
    assert (found.checked_in, found.here, found.count, found.given, found.names) == (
        3, 2, 12, True, ["Ana", "Boris"],
    )  # fmt: skip
    # The board's number for the session is the notes' "here now" (one rule).
    here = checkins.attendance(session, event_id=event.id or 0)
    assert here[_tid(sessions[0])] == found.here


def test_report_gives_each_session_raw_and_safe_text(
    session: Session,
    settings: Settings,
    event: Event,
    sessions: list[Topic],
    phone: EventAccess,
    tmp_path: Path,
) -> None:
    _participant, auth = make_participant(session, settings, event=event, name="Secret")
    check_in(session, access_as(session, event, auth=auth), sessions[0])
    _save(
        session,
        phone,
        sessions[0],
        0,
        discussion="**Rents** <script>alert(1)</script>",
        outcome="A pilot",
        title="Housing for all",
    )
    items.add_proposal(session, access=phone, topic_id=_tid(sessions[0]), text="Rent guarantee")
    items.add_step(
        session,
        access=phone,
        topic_id=_tid(sessions[0]),
        action="Draft",
        who="Nov Dom",
        by_when="July",
    )
    found = notes_report.report(session, event_id=event.id or 0, upload_dir=tmp_path)
    # Conny convenes both and did not agree to be named: she is counted.
    assert [(r.title, r.conveners, r.outcome, r.revision) for r in found] == [
        ("Housing for all", "1 convener", "A pilot", 1),
        ("Jobs", "1 convener", "", 0),
    ]
    first = found[0]
    assert first.markdown["discussion"] == "**Rents** <script>alert(1)</script>"
    assert first.html["discussion"] == (
        "<p><strong>Rents</strong> &lt;script&gt;alert(1)&lt;/script&gt;</p>\n"
    )
    assert (first.participant_count, first.participant_names) == (1, [])
    assert [(p.text, dots) for p, dots in first.proposals] == [("Rent guarantee", 0)]
    assert [(s.action, s.who, s.by_when) for s in first.next_steps] == [
        ("Draft", "Nov Dom", "July")
    ]
    assert found[1].updated_at is None


# --- flooding, conflicts piling up, deleting others' rows (audit item 6) -------------------


def test_saves_are_limited_per_person_and_a_refused_save_changes_nothing(
    session: Session,
    sessions: list[Topic],
    phone: EventAccess,
    laptop: EventAccess,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = 1_800_000_000.0
    monkeypatch.setattr(editing, "_clock", lambda: now)
    for number in range(editing.SAVES_PER_WINDOW):
        _save(session, phone, sessions[0], number, ideas=f"idea {number}")
    with pytest.raises(RateLimited):
        _save(session, phone, sessions[0], editing.SAVES_PER_WINDOW, ideas="one too many")
    session.rollback()
    assert _stored(session, sessions[0])["ideas"] == "idea 59"
    # Per person and per event: Ivo saves, and Mira may again in the next minute.
    assert _save(session, laptop, sessions[1], 0, ideas="Ivo's").revision == 1
    now += editing.SAVE_WINDOW
    assert _save(session, phone, sessions[0], 60, ideas="next minute").applied == ["ideas"]
    assert editing.save_wait(1_800_000_045.0) == 15


def test_one_open_conflict_per_editor_and_field_holds_the_latest_text(
    session: Session,
    owner: User,
    event: Event,
    sessions: list[Topic],
    phone: EventAccess,
    laptop: EventAccess,
) -> None:
    staff = as_staff(session, event, owner)
    _save(session, laptop, sessions[0], 0, discussion="theirs", outcome="theirs")
    for text in ("mine 1", "mine 2"):
        assert _save(session, phone, sessions[0], 0, discussion=text).conflicts == ["discussion"]
    _save(session, phone, sessions[0], 0, outcome="my outcome")
    _save(session, staff, sessions[0], 0, discussion="staff's")
    assert _conflicts(session) == [
        ("discussion", "mine 2", "Mira", 0),
        ("outcome", "my outcome", "Mira", 0),
        ("discussion", "staff's", "Olga", 0),
    ]
    # Merged by hand: the next unmerged text is a new box, and the merged one stays stored.
    first = session.exec(select(NotesConflict).order_by(col(NotesConflict.id))).first()
    assert first is not None
    editing.resolve_conflict(session, access=laptop, conflict_id=first.id or 0)
    _save(session, phone, sessions[0], 0, discussion="mine 3")
    assert [row[:2] for row in _conflicts(session)] == [
        ("discussion", "mine 2"),
        ("outcome", "my outcome"),
        ("discussion", "staff's"),
        ("discussion", "mine 3"),
    ]


def test_the_database_refuses_a_second_open_conflict_of_one_editor(
    session: Session, sessions: list[Topic], phone: EventAccess, laptop: EventAccess
) -> None:
    _save(session, laptop, sessions[0], 0, discussion="theirs")
    _save(session, phone, sessions[0], 0, discussion="mine")
    kept = session.exec(select(NotesConflict)).one()
    assert phone.participant is not None
    assert kept.editor == f"p{phone.participant.id}"
    session.add(
        NotesConflict(
            event_id=kept.event_id,
            notes_id=kept.notes_id,
            field="discussion",
            text="a second",
            base_revision=0,
            editor=kept.editor,
        )
    )
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()


def test_only_the_adder_or_staff_delete_and_restore(
    session: Session,
    owner: User,
    event: Event,
    sessions: list[Topic],
    phone: EventAccess,
    laptop: EventAccess,
) -> None:
    staff = as_staff(session, event, owner)
    topic_id = _tid(sessions[0])
    proposal = items.add_proposal(session, access=phone, topic_id=topic_id, text="Guarantee")
    step = items.add_step(
        session, access=phone, topic_id=topic_id, action="Call", who="", by_when=""
    )
    pid, sid = proposal.id or 0, step.id or 0
    with pytest.raises(PermissionDenied):
        items.delete_proposal(session, access=laptop, proposal_id=pid)
    with pytest.raises(PermissionDenied):
        items.delete_step(session, access=laptop, step_id=sid)
    session.rollback()
    items.delete_proposal(session, access=phone, proposal_id=pid)
    items.delete_step(session, access=staff, step_id=sid)
    history = items.deletions(session, access=phone, topic_id=topic_id)
    assert [(d.kind, d.id, d.text, d.by, d.may_restore) for d in history] == [
        ("step", sid, "Call", "Olga", False),  # staff deleted it: staff restore it
        ("proposal", pid, "Guarantee", "Mira", True),
    ]
    assert [d.may_restore for d in items.deletions(session, access=laptop, topic_id=topic_id)] == [
        False,
        False,
    ]
    with pytest.raises(PermissionDenied):
        items.restore_step(session, access=phone, step_id=sid)
    with pytest.raises(PermissionDenied):
        items.restore_proposal(session, access=laptop, proposal_id=pid)
    session.rollback()
    items.restore_proposal(session, access=phone, proposal_id=pid)
    items.restore_step(session, access=staff, step_id=sid)
    assert items.deletions(session, access=staff, topic_id=topic_id) == []
    assert [
        p.text for p, _dots in reading.page(session, access=laptop, topic_id=topic_id).proposals
    ] == ["Guarantee"]


def test_rows_from_before_adders_were_recorded_are_deleted_by_staff_only(
    session: Session, owner: User, event: Event, sessions: list[Topic], phone: EventAccess
) -> None:
    old = Proposal(event_id=event.id or 0, topic_id=_tid(sessions[0]), text="Old", author="Mira")
    session.add(old)
    session.commit()
    page = reading.page(session, access=phone, topic_id=_tid(sessions[0]))
    assert page.deletable == set()
    with pytest.raises(PermissionDenied):
        items.delete_proposal(session, access=phone, proposal_id=old.id or 0)
    session.rollback()
    staff = as_staff(session, event, owner)
    assert items.delete_proposal(session, access=staff, proposal_id=old.id or 0).deleted_by_staff


def test_deleted_rows_leave_every_reader(
    session: Session,
    settings: Settings,
    event: Event,
    sessions: list[Topic],
    phone: EventAccess,
    tmp_path: Path,
) -> None:
    topic_id = _tid(sessions[1])
    proposal = items.add_proposal(session, access=phone, topic_id=topic_id, text="Gone")
    kept = items.add_proposal(session, access=phone, topic_id=topic_id, text="Kept")
    step = items.add_step(
        session, access=phone, topic_id=topic_id, action="Gone", who="", by_when=""
    )
    items.delete_proposal(session, access=phone, proposal_id=proposal.id or 0)
    items.delete_step(session, access=phone, step_id=step.id or 0)
    event_id = event.id or 0
    assert [
        p.text
        for p, _ in reading.proposals_with_dots(session, event_id=event_id, topic_id=topic_id)
    ] == ["Kept"]
    assert reading.next_steps(session, event_id=event_id, topic_id=topic_id) == []
    assert reading.steps_by_topic(session, event_id=event_id) == {}
    report = {
        item.topic_id: item
        for item in notes_report.report(session, event_id=event_id, upload_dir=tmp_path)
    }
    assert [(p.text, dots) for p, dots in report[topic_id].proposals] == [("Kept", 0)]
    assert report[topic_id].next_steps == []
    assert [p.text for p in priorities.priorities(session, event_id=event_id)] == ["Kept"]
    items.delete_proposal(session, access=phone, proposal_id=kept.id or 0)
    assert reading.sessions_with_notes(session, event_id=event_id) == set()
    set_phase(session, event, Phase.CONVERGENCE)
    voter = as_participant(session, settings, event, "Vera")
    with pytest.raises(NotFound):
        priorities.cast(session, access=voter, proposal_id=kept.id or 0)
    session.rollback()
    assert session.exec(select(ProposalVote)).all() == []
    assert len(session.exec(select(Proposal)).all()) == 2  # still stored
    assert len(session.exec(select(NextStep)).all()) == 1
