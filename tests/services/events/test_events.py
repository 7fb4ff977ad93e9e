"""Events and their team, without HTTP."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from app.config import Settings
from app.errors import Invalid, NotFound, NotSignedIn, PermissionDenied
from app.models.base import utcnow
from app.models.events import (
    Day,
    Event,
    EventCreate,
    EventMember,
    EventUpdate,
    Invitation,
    Role,
    Room,
    RoomCreate,
    TimeBlock,
    TimeBlockCreate,
)
from app.models.people import AuthSession, Participant, ParticipantDevice, User
from app.security import JOIN_CODE_ALPHABET, JOIN_CODE_LENGTH, new_join_code
from app.services.access import EventAccess, board_signature_ok
from app.services.events import events, programme, team
from tests.factories import access_as, make_event, make_participant, make_user


def _data(**values: object) -> EventCreate:
    defaults: dict[str, object] = {
        "name": "Laboratory for Cooperation",
        "languages": ["en", "bg"],
        "timezone": "Europe/Sofia",
        "first_day": dt.date(2026, 6, 9),
    }
    return EventCreate(**{**defaults, **values})  # type: ignore[arg-type]


def _facilitator(session: Session, event: Event) -> tuple[User, EventAccess]:
    user = make_user(session, organiser=False, name="Fatme")
    session.add(EventMember(event_id=event.id, user_id=user.id, role=Role.FACILITATOR))  # type: ignore[arg-type]
    session.commit()
    return user, access_as(session, event, user=user)


def _organiser_access(session: Session, event: Event) -> EventAccess:
    owner_id = session.exec(
        select(EventMember.user_id).where(
            EventMember.event_id == event.id, EventMember.role == Role.ORGANISER
        )
    ).one()
    return access_as(session, event, user=session.get(User, owner_id))


# --- creating ----------------------------------------------------------------------------


def test_create_event_slug_from_cyrillic_name(session: Session) -> None:
    owner = make_user(session)
    event = events.create_event(
        session, owner=owner, data=_data(name="Лаборатория за сътрудничество 2026")
    )
    assert event.slug == "laboratoriya-za-satrudnichestvo-2026"
    assert event.name == "Лаборатория за сътрудничество 2026"


def test_create_event_makes_days_membership_and_codes(session: Session) -> None:
    owner = make_user(session)
    event = events.create_event(
        session, owner=owner, data=_data(slug=" Lab-Sofia ", day_count=2, venue=" Hall ")
    )
    assert (event.slug, event.venue, event.languages) == ("lab-sofia", "Hall", ["en", "bg"])
    assert [day.date for day in events.days(session, event_id=event.id)] == [  # type: ignore[arg-type]
        dt.date(2026, 6, 9),
        dt.date(2026, 6, 10),
    ]
    assert team.members(session, event_id=event.id) == [(owner, Role.ORGANISER)]  # type: ignore[arg-type]
    assert len(event.join_code) == JOIN_CODE_LENGTH
    assert events.events_for_user(session, user=owner) == [(event, Role.ORGANISER)]


@pytest.mark.parametrize(
    ("values", "errors"),
    [
        (
            {"slug": "Bad Slug!"},
            {"slug": "Use lowercase letters, digits and dashes (for example lab-sofia-2026)."},
        ),
        (
            {"slug": "new"},
            {"slug": "Use lowercase letters, digits and dashes (for example lab-sofia-2026)."},
        ),
        ({"languages": []}, {"languages": "List language codes such as en, bg, uk, ar."}),
        ({"languages": ["en", "xx"]}, {"languages": "List language codes such as en, bg, uk, ar."}),
        ({"languages": ["english"]}, {"languages": "List language codes such as en, bg, uk, ar."}),
        ({"timezone": "Europe/Atlantis"}, {"timezone": "Choose a time zone such as Europe/Sofia."}),
        ({"name": "   "}, {"name": "Enter the event's name."}),
        (
            {"name": "مختبر"},  # no letters to make an address from: the organiser types one
            {"slug": "Use lowercase letters, digits and dashes (for example lab-sofia-2026)."},
        ),
        ({"first_day": None}, {"first_day": "Choose the first day."}),
        ({"day_count": 15}, {"day_count": "An event has between 1 and 14 days."}),
        ({"day_count": 0}, {"day_count": "An event has between 1 and 14 days."}),
        (
            {"name": "", "timezone": "Nowhere", "languages": ["??"]},
            {
                "name": "Enter the event's name.",
                "languages": "List language codes such as en, bg, uk, ar.",
                "timezone": "Choose a time zone such as Europe/Sofia.",
            },
        ),
    ],
)
def test_create_event_invalid_fields(
    session: Session, values: dict[str, object], errors: dict[str, str]
) -> None:
    owner = make_user(session)
    with pytest.raises(Invalid) as caught:
        events.create_event(session, owner=owner, data=_data(**values))
    assert caught.value.errors == errors
    assert session.exec(select(Event)).all() == []


def test_create_event_slug_taken(session: Session) -> None:
    owner = make_user(session)
    events.create_event(session, owner=owner, data=_data(slug="lab"))
    with pytest.raises(Invalid) as caught:
        events.create_event(session, owner=owner, data=_data(slug="lab", name="Other"))
    assert caught.value.errors == {"slug": "Another event uses this address already."}


def test_create_event_only_organisers(session: Session) -> None:
    facilitator = make_user(session, organiser=False)
    with pytest.raises(PermissionDenied) as caught:
        events.create_event(session, owner=facilitator, data=_data())
    assert caught.value.message == "Only organisers can create events."
    assert session.exec(select(Event)).all() == []


def test_join_code_alphabet_has_no_look_alikes() -> None:
    assert set("O0I1L").isdisjoint(JOIN_CODE_ALPHABET)
    codes = {new_join_code() for _ in range(200)}
    assert all(len(code) == 6 and set(code) <= set(JOIN_CODE_ALPHABET) for code in codes)
    assert set("".join(codes)).isdisjoint("O0I1L")


def test_join_codes_are_unique(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    first = make_event(session)
    proposals: Iterator[str] = iter([first.join_code, first.join_code, "ACDEFG"])
    monkeypatch.setattr(events, "new_join_code", lambda: next(proposals))
    second = make_event(session)
    assert second.join_code == "ACDEFG"


# --- editing and deleting ----------------------------------------------------------------


def test_update_event_by_facilitator(session: Session) -> None:
    event = make_event(session)
    _user, access = _facilitator(session, event)
    updated = events.update_event(
        session, access=access, data=EventUpdate(name=" New name ", venue="Sofia")
    )
    assert (updated.name, updated.venue, updated.slug) == ("New name", "Sofia", event.slug)


def test_update_event_invalid_changes_nothing(session: Session) -> None:
    event = make_event(session)
    other = make_event(session)
    access = _organiser_access(session, event)
    with pytest.raises(Invalid) as caught:
        events.update_event(
            session, access=access, data=EventUpdate(name="Renamed", slug=other.slug)
        )
    assert caught.value.errors == {"slug": "Another event uses this address already."}
    session.expire_all()
    assert session.get(Event, event.id).name == event.name  # type: ignore[union-attr]


def test_update_event_participant_refused(session: Session, settings: Settings) -> None:
    event = make_event(session)
    _participant, auth = make_participant(session, settings, event=event)
    with pytest.raises(PermissionDenied):
        events.update_event(
            session, access=access_as(session, event, auth=auth), data=EventUpdate(name="X")
        )


def test_facilitator_cannot_delete_or_invite(session: Session, tmp_path: Path) -> None:
    event = make_event(session)
    _user, access = _facilitator(session, event)
    with pytest.raises(PermissionDenied):
        events.delete_event(session, access=access, confirm_slug=event.slug, upload_dir=tmp_path)
    with pytest.raises(PermissionDenied):
        team.invite_facilitator(session, access=access)
    with pytest.raises(PermissionDenied):
        events.regenerate_join_code(session, access=access)
    assert session.get(Event, event.id) is not None
    assert session.exec(select(Invitation)).all() == []


def test_stranger_must_sign_in(session: Session) -> None:
    event = make_event(session)
    with pytest.raises(NotSignedIn):
        events.rotate_board_link(session, access=access_as(session, event))


def test_delete_event_needs_slug_confirmation(session: Session, tmp_path: Path) -> None:
    event = make_event(session)
    access = _organiser_access(session, event)
    with pytest.raises(Invalid) as caught:
        events.delete_event(session, access=access, confirm_slug="x", upload_dir=tmp_path)
    assert caught.value.errors == {"confirm": "Type the event's address to confirm."}
    assert session.get(Event, event.id) is not None


def test_delete_event_cascades(session: Session, settings: Settings) -> None:
    event = make_event(session, days=2)
    other = make_event(session)
    access = _organiser_access(session, event)
    day = events.days(session, event_id=event.id)[0]  # type: ignore[arg-type]
    programme.add_room(session, access=access, data=RoomCreate(name="Hall"))
    programme.add_block(
        session,
        access=access,
        day_id=day.id,  # type: ignore[arg-type]
        data=TimeBlockCreate(starts_at=dt.time(10), ends_at=dt.time(11)),
    )
    make_participant(session, settings, event=event)
    kept, _auth = make_participant(session, settings, event=other)
    team.invite_facilitator(session, access=access)
    _facilitator(session, event)

    events.delete_event(
        session, access=access, confirm_slug=f" {event.slug} ", upload_dir=settings.uploads_path
    )
    session.expire_all()
    for model in (Room, Day, TimeBlock, Participant, ParticipantDevice, Invitation, EventMember):
        rows = session.exec(select(model).where(col(model.event_id) == event.id)).all()  # type: ignore[attr-defined]
        assert rows == [], model
    assert session.get(Event, event.id) is None
    assert session.exec(select(Participant.id)).all() == [kept.id]
    assert len(events.days(session, event_id=other.id)) == 1  # type: ignore[arg-type]
    # Accounts and browser sessions outlive the event.
    assert len(session.exec(select(User)).all()) == 3
    assert len(session.exec(select(AuthSession)).all()) == 2


# --- board link and join code ------------------------------------------------------------


def test_board_link_rotation_invalidates_old_signature(
    session: Session, settings: Settings
) -> None:
    event = make_event(session)
    old_signature = events.board_path(event, settings.secret).rsplit("/", 1)[1]
    assert board_signature_ok(event, old_signature, settings.secret)
    events.rotate_board_link(session, access=_organiser_access(session, event))
    new_signature = events.board_path(event, settings.secret).rsplit("/", 1)[1]
    assert new_signature != old_signature
    assert board_signature_ok(event, new_signature, settings.secret)
    assert not board_signature_ok(event, old_signature, settings.secret)
    assert not board_signature_ok(event, "ü" * 32, settings.secret)


def test_board_signature_is_per_event(session: Session, settings: Settings) -> None:
    event = make_event(session)
    other = make_event(session)
    signature = events.board_path(event, settings.secret).rsplit("/", 1)[1]
    assert not board_signature_ok(other, signature, settings.secret)


def test_regenerate_join_code(session: Session) -> None:
    event = make_event(session)
    old = event.join_code
    updated = events.regenerate_join_code(session, access=_organiser_access(session, event))
    assert updated.join_code != old
    assert set(updated.join_code) <= set(JOIN_CODE_ALPHABET)


# --- invitations and the team ------------------------------------------------------------


def test_invitation_accept_makes_facilitator(session: Session) -> None:
    event = make_event(session)
    token = team.invite_facilitator(
        session, access=_organiser_access(session, event), note=" for Ivo "
    )
    invitation, found = team.invitation_by_token(session, token=token)
    assert (found.id, invitation.note) == (event.id, "for Ivo")
    ivo = make_user(session, organiser=False, name="Ivo")
    accepted = team.accept_invitation(session, token=token, user=ivo)
    assert accepted.id == event.id
    assert access_as(session, event, user=ivo).role == Role.FACILITATOR
    assert team.pending_invitations(session, event_id=event.id) == []  # type: ignore[arg-type]


def test_invitation_used_once(session: Session) -> None:
    event = make_event(session)
    token = team.invite_facilitator(session, access=_organiser_access(session, event))
    team.accept_invitation(session, token=token, user=make_user(session, organiser=False))
    latecomer = make_user(session, organiser=False)
    with pytest.raises(NotFound) as caught:
        team.accept_invitation(session, token=token, user=latecomer)
    assert caught.value.message == (
        "This invitation link is not valid any more. Ask the organiser for a new one."
    )
    assert access_as(session, event, user=latecomer).role is None


def test_invitation_expired(session: Session) -> None:
    event = make_event(session)
    token = team.invite_facilitator(session, access=_organiser_access(session, event))
    invitation = session.exec(select(Invitation)).one()
    invitation.expires_at = utcnow() - dt.timedelta(minutes=1)
    session.add(invitation)
    session.commit()
    with pytest.raises(NotFound):
        team.accept_invitation(session, token=token, user=make_user(session, organiser=False))
    assert team.pending_invitations(session, event_id=event.id) == []  # type: ignore[arg-type]


def test_invitation_unknown_token(session: Session) -> None:
    with pytest.raises(NotFound):
        team.invitation_by_token(session, token="nope")


def test_invitation_accepted_by_organiser_keeps_role(session: Session) -> None:
    event = make_event(session)
    access = _organiser_access(session, event)
    token = team.invite_facilitator(session, access=access)
    assert access.user is not None
    team.accept_invitation(session, token=token, user=access.user)
    assert access_as(session, event, user=access.user).role == Role.ORGANISER


def test_invitation_note_too_long(session: Session) -> None:
    event = make_event(session)
    with pytest.raises(Invalid) as caught:
        team.invite_facilitator(session, access=_organiser_access(session, event), note="x" * 121)
    assert caught.value.errors == {"note": "Use at most 120 characters."}


def test_revoke_invitation(session: Session) -> None:
    event = make_event(session)
    access = _organiser_access(session, event)
    token = team.invite_facilitator(session, access=access)
    invitation = session.exec(select(Invitation)).one()
    team.revoke_invitation(session, access=access, invitation_id=invitation.id)  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        team.invitation_by_token(session, token=token)


def test_revoke_invitation_of_another_event(session: Session) -> None:
    event = make_event(session)
    other = make_event(session)
    team.invite_facilitator(session, access=_organiser_access(session, other))
    invitation = session.exec(select(Invitation)).one()
    with pytest.raises(NotFound):
        team.revoke_invitation(
            session,
            access=_organiser_access(session, event),
            invitation_id=invitation.id,  # type: ignore[arg-type]
        )
    assert session.exec(select(Invitation)).all() == [invitation]


def test_remove_member(session: Session) -> None:
    event = make_event(session)
    access = _organiser_access(session, event)
    facilitator, _access = _facilitator(session, event)
    team.remove_member(session, access=access, user_id=facilitator.id)  # type: ignore[arg-type]
    assert access_as(session, event, user=facilitator).role is None
    assert access.user is not None
    with pytest.raises(Invalid) as caught:
        team.remove_member(session, access=access, user_id=access.user.id)  # type: ignore[arg-type]
    assert caught.value.errors == {"member": "Organisers cannot be removed here."}
    with pytest.raises(NotFound):
        team.remove_member(session, access=access, user_id=facilitator.id)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        (
            "Laboratory for Cooperation of Refugee Integration Programme Partners 2026",
            "laboratory-for-cooperation-of-refugee-integration-programme",
        ),
        # A word that ends exactly at the limit is kept whole.
        ("a" * 55 + " bcde fgh", "a" * 55 + "-bcde"),
        # A single word longer than the limit is the one case cut mid-word.
        ("x" * 70 + " short", "x" * 60),
        ("Лаборатория за сътрудничество", "laboratoriya-za-satrudnichestvo"),
    ],
)
def test_an_address_made_from_a_long_name_is_cut_at_a_word_boundary(name: str, slug: str) -> None:
    made = events.slugify(name)

    assert made == slug
    assert len(made) <= events.SLUG_MAX
    assert events.valid_slug(made)


def test_a_long_name_gives_an_event_a_whole_word_address(session: Session, owner: User) -> None:
    event = events.create_event(
        session,
        owner=owner,
        data=EventCreate(
            name="Laboratory for Cooperation of Refugee Integration Programme Partners 2026",
            first_day=dt.date(2026, 6, 9),
        ),
    )

    assert event.slug == "laboratory-for-cooperation-of-refugee-integration-programme"
