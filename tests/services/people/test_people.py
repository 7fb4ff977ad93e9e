"""Participants: joining by code, the profile and the personal link, without HTTP."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from app.config import Settings
from app.errors import Invalid, NotFound, PermissionDenied, RateLimited
from app.models.events import Role
from app.models.people import (
    AuthSession,
    Participant,
    ParticipantCreate,
    ParticipantDevice,
    ParticipantUpdate,
)
from app.security import new_token
from app.services.people import accounts, participants
from tests.factories import PASSWORD, access_as, make_event, make_participant, make_user

WRONG_CODE = "ZZZZZZ"  # Z is not in the alphabet, so no event can have it


def _find(session: Session, settings: Settings, code: str, browser: str = "b1", address: str = "a"):  # type: ignore[no-untyped-def]
    return participants.find_event_by_code(
        session, code=code, browser_key=browser, address=address, settings=settings
    )


def _browser(session: Session, settings: Settings) -> AuthSession:
    return accounts.start_session(session, token=new_token(), user_id=None, settings=settings)


# --- finding an event by its code --------------------------------------------------------


@pytest.mark.parametrize("typed", ["{code}", "{lower_dash}", " {spaced} ", "{lower}\n"])
def test_find_event_by_code_normalises(session: Session, settings: Settings, typed: str) -> None:
    event = make_event(session)
    code = event.join_code
    text = typed.format(
        code=code,
        lower=code.lower(),
        lower_dash=f"{code[:3].lower()}-{code[3:].lower()}",
        spaced=f"{code[:3]} {code[3:]}",
    )
    assert _find(session, settings, text).id == event.id


def test_find_event_by_code_empty(session: Session, settings: Settings) -> None:
    with pytest.raises(Invalid) as caught:
        _find(session, settings, " - ")
    assert caught.value.errors == {"code": "Enter the code shown on the screen."}


def test_find_event_by_code_wrong(session: Session, settings: Settings) -> None:
    make_event(session)
    with pytest.raises(Invalid) as caught:
        _find(session, settings, WRONG_CODE)
    assert caught.value.errors == {
        "code": "No event has this code. Check the letters on the screen."
    }


def test_wrong_codes_limited_per_browser(session: Session, settings: Settings) -> None:
    event = make_event(session)
    tight = settings.model_copy(update={"join_attempts": 3})
    for _attempt in range(3):
        with pytest.raises(Invalid):
            _find(session, tight, WRONG_CODE, browser="b1")
    with pytest.raises(RateLimited) as caught:
        _find(session, tight, WRONG_CODE, browser="b1")
    assert caught.value.message == "Too many wrong codes. Wait a few minutes and try again."
    # Once limited, even the right code is refused: otherwise guessing would go on unhindered.
    with pytest.raises(RateLimited):
        _find(session, tight, event.join_code, browser="b1")
    assert _find(session, tight, event.join_code, browser="b2").id == event.id


def test_right_codes_do_not_count(session: Session, settings: Settings) -> None:
    event = make_event(session)
    tight = settings.model_copy(update={"join_attempts": 1})
    for _attempt in range(3):
        assert _find(session, tight, event.join_code).id == event.id
    with pytest.raises(Invalid):
        _find(session, tight, WRONG_CODE)


def test_wrong_codes_past_the_address_ceiling_leave_one_miss_per_browser(
    session: Session, settings: Settings
) -> None:
    event = make_event(session)
    tight = settings.model_copy(update={"join_attempts": 100, "address_attempts": 3})
    for browser in ("b1", "b2", "b3"):
        with pytest.raises(Invalid):
            _find(session, tight, WRONG_CODE, browser=browser, address="wifi")
    # Others' misses never refuse a right code from the same address.
    assert _find(session, tight, event.join_code, browser="b4", address="wifi").id == event.id
    # A browser that missed once is not checked any more there, even with the right code...
    with pytest.raises(RateLimited) as caught:
        _find(session, tight, event.join_code, browser="b1", address="wifi")
    assert caught.value.field == "code"
    # ...and a new browser's first miss is its last one in this window.
    with pytest.raises(Invalid):
        _find(session, tight, WRONG_CODE, browser="b5", address="wifi")
    with pytest.raises(RateLimited):
        _find(session, tight, event.join_code, browser="b5", address="wifi")
    assert _find(session, tight, event.join_code, browser="b1", address="other").id == event.id


def test_wrong_codes_do_not_count_against_logins(session: Session, settings: Settings) -> None:
    tight = settings.model_copy(update={"address_attempts": 1})
    for _attempt in range(3):
        with pytest.raises((Invalid, RateLimited)):
            _find(session, tight, WRONG_CODE, address="wifi")
    user = make_user(session, email="ana@example.org")
    found = accounts.authenticate(
        session, email=user.email, password=PASSWORD, address="wifi", settings=tight
    )
    assert found.id == user.id


# --- joining -----------------------------------------------------------------------------


def test_join_creates_participant_for_this_browser(session: Session, settings: Settings) -> None:
    event = make_event(session)
    auth = _browser(session, settings)
    participant = participants.join(
        session,
        event=event,
        data=ParticipantCreate(
            name="  Mira   K. ",
            organisation=" Council for Refugees ",
            org_type="ngo",
            locale="bg",
            consent_report=True,
        ),
        auth=auth,
    )
    assert (
        participant.name,
        participant.organisation,
        participant.org_type,
        participant.locale,
        participant.consent_report,
        participant.event_id,
    ) == ("Mira K.", "Council for Refugees", "ngo", "bg", True, event.id)
    access = access_as(session, event, auth=auth)
    assert (access.role, access.participant) == (Role.PARTICIPANT, participant)


def test_join_consent_off_by_default(session: Session, settings: Settings) -> None:
    participant, _auth = make_participant(session, settings, event=make_event(session))
    assert (participant.consent_report, participant.org_type) == (False, "")


@pytest.mark.parametrize(
    ("values", "errors"),
    [
        ({"name": "   "}, {"name": "Enter a name; a first name or a nickname is fine."}),
        ({"name": "x" * 81}, {"name": "Use at most 80 characters."}),
        ({"organisation": "x" * 161}, {"organisation": "Use at most 160 characters."}),
        ({"org_type": "company"}, {"org_type": "Choose one of the listed types."}),
        ({"locale": "de"}, {"locale": "Choose one of the listed languages."}),
        (
            {"name": "", "org_type": "x", "locale": ""},
            {
                "name": "Enter a name; a first name or a nickname is fine.",
                "org_type": "Choose one of the listed types.",
                "locale": "Choose one of the listed languages.",
            },
        ),
    ],
)
def test_join_invalid(
    session: Session, settings: Settings, values: dict[str, str], errors: dict[str, str]
) -> None:
    event = make_event(session)
    auth = _browser(session, settings)
    data = ParticipantCreate.model_construct(**{"name": "Mira", **values})  # type: ignore[arg-type]
    with pytest.raises(Invalid) as caught:
        participants.join(session, event=event, data=data, auth=auth)
    assert caught.value.errors == errors
    session.rollback()
    assert session.exec(select(Participant)).all() == []
    assert session.exec(select(ParticipantDevice)).all() == []


def test_update_profile(session: Session, settings: Settings) -> None:
    event = make_event(session)
    _participant, auth = make_participant(session, settings, event=event)
    access = access_as(session, event, auth=auth)
    updated = participants.update_profile(
        session,
        access=access,
        data=ParticipantUpdate(name=" Mira P ", org_type="municipality", consent_report=True),
    )
    assert (updated.name, updated.org_type, updated.consent_report, updated.locale) == (
        "Mira P",
        "municipality",
        True,
        "en",
    )


def test_update_profile_invalid_changes_nothing(session: Session, settings: Settings) -> None:
    event = make_event(session)
    participant, auth = make_participant(session, settings, event=event)
    access = access_as(session, event, auth=auth)
    with pytest.raises(Invalid) as caught:
        participants.update_profile(
            session, access=access, data=ParticipantUpdate(name="Mia", locale="fr")
        )
    assert caught.value.errors == {"locale": "Choose one of the listed languages."}
    session.expire_all()
    assert session.get(Participant, participant.id).name == "Mira"  # type: ignore[union-attr]


def test_update_profile_needs_joining(session: Session) -> None:
    event = make_event(session)
    with pytest.raises(NotFound):
        participants.update_profile(
            session, access=access_as(session, event), data=ParticipantUpdate()
        )


def test_participants_list_is_for_staff(session: Session, settings: Settings) -> None:
    owner = make_user(session)
    event = make_event(session, owner=owner)
    zora, auth = make_participant(session, settings, event=event, name="Zora")
    anna, _auth = make_participant(session, settings, event=event, name="Anna")
    make_participant(session, settings, event=make_event(session), name="Elsewhere")
    assert participants.participants(session, access=access_as(session, event, user=owner)) == [
        anna,
        zora,
    ]
    with pytest.raises(PermissionDenied):
        participants.participants(session, access=access_as(session, event, auth=auth))


# --- the personal link and other devices -------------------------------------------------


def test_personal_token_round_trip(session: Session, settings: Settings) -> None:
    event = make_event(session)
    participant, _auth = make_participant(session, settings, event=event)
    token = participants.personal_token(participant, settings.secret)
    found = participants.participant_by_token(
        session, event=event, token=token, secret=settings.secret
    )
    assert found.id == participant.id


@pytest.mark.parametrize(
    "token", ["", "abc", "1.", ".abc", "²." + "a" * 32, "99999999999999999999.x", "1.ü"]
)
def test_personal_token_junk(session: Session, settings: Settings, token: str) -> None:
    event = make_event(session)
    make_participant(session, settings, event=event)
    with pytest.raises(NotFound) as caught:
        participants.participant_by_token(session, event=event, token=token, secret=settings.secret)
    assert caught.value.message == (
        "This personal link is not valid. Join with the event code instead."
    )


def test_personal_token_tampered_id(session: Session, settings: Settings) -> None:
    event = make_event(session)
    first, _auth = make_participant(session, settings, event=event)
    second, _auth = make_participant(session, settings, event=event)
    signature = participants.personal_token(first, settings.secret).split(".")[1]
    with pytest.raises(NotFound):
        participants.participant_by_token(
            session, event=event, token=f"{second.id}.{signature}", secret=settings.secret
        )


def test_personal_token_of_another_event(session: Session, settings: Settings) -> None:
    event = make_event(session)
    participant, _auth = make_participant(session, settings, event=event)
    token = participants.personal_token(participant, settings.secret)
    with pytest.raises(NotFound):
        participants.participant_by_token(
            session, event=make_event(session), token=token, secret=settings.secret
        )


def test_reset_personal_link_invalidates_old(session: Session, settings: Settings) -> None:
    event = make_event(session)
    participant, auth = make_participant(session, settings, event=event)
    old = participants.personal_token(participant, settings.secret)
    participants.reset_personal_link(session, access=access_as(session, event, auth=auth))
    session.expire_all()
    participant = session.get(Participant, participant.id)  # type: ignore[assignment]
    new = participants.personal_token(participant, settings.secret)
    assert new != old
    with pytest.raises(NotFound):
        participants.participant_by_token(session, event=event, token=old, secret=settings.secret)
    assert (
        participants.participant_by_token(
            session, event=event, token=new, secret=settings.secret
        ).id
        == participant.id
    )


def test_reset_personal_link_needs_joining(session: Session) -> None:
    event = make_event(session)
    with pytest.raises(NotFound):
        participants.reset_personal_link(session, access=access_as(session, event))


def test_claim_binds_second_device(session: Session, settings: Settings) -> None:
    event = make_event(session)
    participant, phone = make_participant(session, settings, event=event)
    laptop = _browser(session, settings)
    assert access_as(session, event, auth=laptop).participant is None
    participants.claim(session, participant=participant, auth=laptop)
    assert access_as(session, event, auth=laptop).participant == participant
    assert access_as(session, event, auth=phone).participant == participant


def test_claim_replaces_other_identity_on_device(session: Session, settings: Settings) -> None:
    event = make_event(session)
    mira, _phone = make_participant(session, settings, event=event, name="Mira")
    _ivo, shared = make_participant(session, settings, event=event, name="Ivo")
    participants.claim(session, participant=mira, auth=shared)
    assert access_as(session, event, auth=shared).participant == mira
    assert len(session.exec(select(ParticipantDevice)).all()) == 2


def test_participant_of_one_event_has_no_access_to_another(
    session: Session, settings: Settings
) -> None:
    event_a = make_event(session)
    event_b = make_event(session)
    participant, auth = make_participant(session, settings, event=event_a)
    access = access_as(session, event_b, auth=auth)
    assert (access.role, access.participant) == (None, None)
    # Even a device row pointing across events gives nothing, under the current link too.
    session.add(
        ParticipantDevice(
            session_id=auth.id,
            event_id=event_b.id,  # type: ignore[arg-type]
            participant_id=participant.id,  # type: ignore[arg-type]
            link_nonce=participant.link_nonce,
        )
    )
    session.commit()
    access = access_as(session, event_b, auth=auth)
    assert (access.role, access.participant) == (None, None)
    with pytest.raises(NotFound):
        participants.update_profile(session, access=access, data=ParticipantUpdate(name="Hacked"))
    session.expire_all()
    assert session.get(Participant, participant.id).name == "Mira"  # type: ignore[union-attr]


def test_one_browser_in_two_events(session: Session, settings: Settings) -> None:
    event_a = make_event(session)
    event_b = make_event(session)
    auth = _browser(session, settings)
    in_a = participants.join(session, event=event_a, data=ParticipantCreate(name="A"), auth=auth)
    in_b = participants.join(session, event=event_b, data=ParticipantCreate(name="B"), auth=auth)
    assert access_as(session, event_a, auth=auth).participant == in_a
    assert access_as(session, event_b, auth=auth).participant == in_b


def test_claim_of_the_old_link_finishing_after_a_reset_grants_nothing(
    session: Session, settings: Settings
) -> None:
    event = make_event(session)
    participant, phone = make_participant(session, settings, event=event)
    token = participants.personal_token(participant, settings.secret)
    laptop = _browser(session, settings)
    session.commit()
    # The laptop's request checks the link; the phone resets it before the laptop's claim
    # commits (PostgreSQL lets them interleave; SQLite's write lock would not).
    with Session(session.get_bind(), expire_on_commit=False) as request:
        checked = participants.participant_by_token(
            request, event=event, token=token, secret=settings.secret
        )
        request.commit()
        participants.reset_personal_link(session, access=access_as(session, event, auth=phone))
        participants.claim(request, participant=checked, auth=laptop)
    session.expire_all()
    assert access_as(session, event, auth=laptop).participant is None
    assert access_as(session, event, auth=phone).participant == participant


@pytest.mark.parametrize(
    ("user_agent", "label"),
    [
        (
            "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko)"
            " Chrome/124.0.0.0 Mobile Safari/537.36",
            "Chrome, Android",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko)"
            " Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.80",
            "Edge, Windows",
        ),
        (
            "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
            "Firefox, Linux",
        ),
        ("curl/8.5.0", ""),
        ("", ""),
    ],
)
def test_device_label_names_browser_and_system_only(user_agent: str, label: str) -> None:
    assert participants.device_label(user_agent) == label
