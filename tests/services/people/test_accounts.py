"""Accounts and server-side sessions, without HTTP."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from app.config import Settings
from app.errors import Invalid, RateLimited
from app.models.base import utcnow
from app.models.people import AuthSession, ParticipantCreate, ParticipantDevice, User
from app.security import new_token, token_hash
from app.services import ratelimit
from app.services.people import accounts, participants
from tests.factories import PASSWORD, make_event, make_participant, make_user


def _create(session: Session, **values: str) -> None:
    accounts.create_user(
        session,
        **{"email": "ana@example.org", "name": "Ana", "password": PASSWORD, **values},  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short1", "Use at least 10 characters."),
        ("x" * 201, "Use at most 200 characters."),
        ("abababababab", "This password is too easy to guess."),
        ("my-mirela.k-password", "The password must not contain your email address."),
    ],
)
def test_create_user_password_rules(session: Session, password: str, message: str) -> None:
    with pytest.raises(Invalid) as caught:
        _create(session, email="Mirela.K@example.org", password=password)
    assert caught.value.errors == {"password": message}


def test_create_user_short_email_name_does_not_forbid_common_letters(session: Session) -> None:
    user = accounts.create_user(session, email="a@example.org", name="A", password=PASSWORD)
    assert user.email == "a@example.org"


def test_create_user_normalises_email_and_hashes_password(session: Session) -> None:
    user = accounts.create_user(
        session, email="  Ana@Example.ORG ", name=" Ana ", password=PASSWORD
    )
    assert (user.email, user.name, user.can_create_events) == ("ana@example.org", "Ana", False)
    assert PASSWORD not in user.password_hash


def test_create_user_duplicate_email(session: Session) -> None:
    _create(session)
    with pytest.raises(Invalid) as caught:
        _create(session, email="ANA@example.org")
    assert caught.value.errors == {"email": "An account with this email exists already."}


def test_create_user_reports_every_bad_field(session: Session) -> None:
    with pytest.raises(Invalid) as caught:
        accounts.create_user(session, email="not-an-email", name="  ", password="short")
    assert caught.value.errors == {
        "email": "Enter a valid email address.",
        "name": "Enter your name.",
        "password": "Use at least 10 characters.",
    }


def test_authenticate_right_password(session: Session, settings: Settings) -> None:
    user = make_user(session, email="ana@example.org")
    found = accounts.authenticate(
        session, email=" ANA@example.org", password=PASSWORD, address="10.0.0.1", settings=settings
    )
    assert found.id == user.id


def test_authenticate_wrong_password(session: Session, settings: Settings) -> None:
    make_user(session, email="ana@example.org")
    with pytest.raises(Invalid) as caught:
        accounts.authenticate(
            session, email="ana@example.org", password="wrong", address="a", settings=settings
        )
    assert caught.value.errors == {"password": "Email or password is wrong."}


def test_authenticate_unknown_email_same_message(session: Session, settings: Settings) -> None:
    with pytest.raises(Invalid) as caught:
        accounts.authenticate(
            session, email="nobody@example.org", password=PASSWORD, address="a", settings=settings
        )
    assert caught.value.errors == {"password": "Email or password is wrong."}


class Clock:
    """The time the rate limits see, moved by hand."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(ratelimit, "clock", fake)
    return fake


def _login(session: Session, settings: Settings, password: str, **kwargs: str) -> User:
    values = {"email": "ana@example.org", "address": "a"} | kwargs
    return accounts.authenticate(session, password=password, settings=settings, **values)


def _miss(session: Session, settings: Settings, **kwargs: str) -> str:
    with pytest.raises(Invalid) as caught:
        _login(session, settings, "wrong", **kwargs)
    return caught.value.errors["password"]


def _refused(session: Session, settings: Settings, password: str, **kwargs: str) -> str:
    with pytest.raises(RateLimited) as caught:
        _login(session, settings, password, **kwargs)
    assert caught.value.field == "password"
    return caught.value.message


def test_authenticate_waits_after_failures_even_with_right_password(
    session: Session, settings: Settings, clock: Clock
) -> None:
    make_user(session, email="ana@example.org")
    assert settings.login_attempts == 3
    assert [_miss(session, settings) for _attempt in range(3)] == [
        "Email or password is wrong.",
        "Email or password is wrong.",
        "Email or password is wrong. Wait 8 seconds before trying again.",
    ]
    assert _refused(session, settings, PASSWORD) == (
        "Too many wrong passwords. Try again in 8 seconds."
    )
    clock.now += 7.5
    assert _refused(session, settings, PASSWORD) == (
        "Too many wrong passwords. Try again in 1 second."
    )
    clock.now += 0.5
    assert _login(session, settings, PASSWORD).email == "ana@example.org"


def test_authenticate_delay_grows_and_is_capped(
    session: Session, settings: Settings, clock: Clock
) -> None:
    make_user(session, email="ana@example.org")
    waits = []
    for _attempt in range(10):
        message = _miss(session, settings)
        waits.append(int(message.split("Wait ")[1].split(" ")[0]) if "Wait" in message else 0)
        # Refused unchecked while the delay runs: those attempts add nothing.
        if waits[-1]:
            _refused(session, settings, "wrong")
        clock.now += waits[-1]
    assert waits == [0, 0, 8, 16, 32, 64, 128, 256, 300, 300]
    assert sum(waits[:5]) == 56  # five wrong passwords cost under a minute, not 15


def test_authenticate_streak_forgotten_after_an_hour(
    session: Session, settings: Settings, clock: Clock
) -> None:
    make_user(session, email="ana@example.org")
    for _attempt in range(4):
        _miss(session, settings)
        clock.now += 16
    clock.now += ratelimit.FORGET + 1
    assert _miss(session, settings) == "Email or password is wrong."


def test_authenticate_limit_is_per_account(
    session: Session, settings: Settings, clock: Clock
) -> None:
    make_user(session, email="ana@example.org")
    other = make_user(session, email="ivo@example.org")
    for _attempt in range(settings.login_attempts):
        _miss(session, settings)
    _refused(session, settings, PASSWORD)
    assert _login(session, settings, PASSWORD, email="ivo@example.org").id == other.id


def test_authenticate_success_resets_account_counter(
    session: Session, settings: Settings, clock: Clock
) -> None:
    make_user(session, email="ana@example.org")
    for _round in range(2):
        for _attempt in range(settings.login_attempts - 1):
            assert _miss(session, settings) == "Email or password is wrong."
        _login(session, settings, PASSWORD)


def test_authenticate_right_password_accepted_past_the_address_ceiling(
    session: Session, settings: Settings, clock: Clock
) -> None:
    tight = settings.model_copy(update={"address_attempts": 2})
    make_user(session, email="ana@example.org")
    for email in ("x@example.org", "y@example.org"):
        assert _miss(session, tight, email=email, address="b") == "Email or password is wrong."
    # Others' misses never refuse a right password from the same address...
    assert _login(session, tight, PASSWORD, address="b").email == "ana@example.org"
    # ...but past the ceiling a wrong one from there delays its account at once.
    assert _miss(session, tight, address="b") == (
        "Email or password is wrong. Wait 2 seconds before trying again."
    )
    assert _refused(session, tight, PASSWORD, address="c").startswith("Too many wrong")
    clock.now += 2
    assert _miss(session, tight, address="c") == "Email or password is wrong."


def test_authenticate_simultaneous_attempts_take_turns(
    session: Session, settings: Settings, clock: Clock
) -> None:
    make_user(session, email="ana@example.org")
    assert ratelimit.take_turn(session, key="login:ana@example.org") == 0
    # A second attempt while the first is being checked waits for it.
    assert _refused(session, settings, PASSWORD) == (
        "Too many wrong passwords. Try again in 2 seconds."
    )


def test_start_and_load_session(session: Session, settings: Settings) -> None:
    user = make_user(session)
    token = new_token()
    auth = accounts.start_session(session, token=token, user_id=user.id, settings=settings)
    assert auth.id == token_hash(token)  # only the hash is stored
    loaded = accounts.load_session(session, token=token)
    assert loaded is not None and loaded.user_id == user.id
    assert accounts.load_session(session, token=new_token()) is None
    assert accounts.load_session(session, token=None) is None


def test_load_session_expired(session: Session, settings: Settings) -> None:
    token = new_token()
    auth = accounts.start_session(session, token=token, user_id=None, settings=settings)
    auth.expires_at = utcnow() - timedelta(seconds=1)
    session.add(auth)
    session.commit()
    assert accounts.load_session(session, token=token) is None
    assert accounts.purge_expired_sessions(session) == 1
    assert session.get(AuthSession, token_hash(token)) is None


def test_start_session_replaces_expired_record(session: Session, settings: Settings) -> None:
    token = new_token()
    auth = accounts.start_session(session, token=token, user_id=None, settings=settings)
    auth.expires_at = utcnow() - timedelta(days=1)
    session.add(auth)
    session.commit()
    renewed = accounts.start_session(session, token=token, user_id=None, settings=settings)
    assert renewed.expires_at > utcnow()
    assert accounts.load_session(session, token=token) is not None


def test_sign_in_moves_participant_devices(session: Session, settings: Settings) -> None:
    user = make_user(session)
    event = make_event(session)
    old_token = new_token()
    old_auth = accounts.start_session(session, token=old_token, user_id=None, settings=settings)
    participant = participants.join(
        session, event=event, data=ParticipantCreate(name="Mira"), auth=old_auth
    )
    new = new_token()
    auth = accounts.sign_in(
        session, old_token=old_token, new_token=new, user_id=user.id, settings=settings
    )  # type: ignore[arg-type]
    session.expire_all()
    assert accounts.load_session(session, token=old_token) is None
    assert session.get(AuthSession, token_hash(old_token)) is None
    devices = session.exec(select(ParticipantDevice)).all()
    assert [(d.session_id, d.participant_id) for d in devices] == [(auth.id, participant.id)]
    loaded = accounts.load_session(session, token=new)
    assert loaded is not None and loaded.user_id == user.id


def test_sign_in_without_old_session(session: Session, settings: Settings) -> None:
    user = make_user(session)
    token = new_token()
    auth = accounts.sign_in(
        session, old_token=None, new_token=token, user_id=user.id, settings=settings
    )  # type: ignore[arg-type]
    assert auth.user_id == user.id
    assert accounts.load_session(session, token=token) == auth


def test_end_session_really_ends(session: Session, settings: Settings) -> None:
    user = make_user(session)
    token = new_token()
    accounts.start_session(session, token=token, user_id=user.id, settings=settings)
    accounts.end_session(session, token=token)
    session.expire_all()
    assert accounts.load_session(session, token=token) is None
    assert session.exec(select(AuthSession)).all() == []


def test_purge_expired_sessions_removes_their_devices(session: Session, settings: Settings) -> None:
    event = make_event(session)
    _participant, auth = make_participant(session, settings, event=event)
    auth.expires_at = utcnow() - timedelta(seconds=1)
    session.add(auth)
    session.commit()
    assert accounts.purge_expired_sessions(session) == 1
    session.expire_all()
    assert session.exec(select(ParticipantDevice)).all() == []


def test_set_password_replaces_the_old_one_and_signs_out_everywhere(
    session: Session, settings: Settings
) -> None:
    user = make_user(session, email="ana@example.org")
    other = make_user(session, email="bo@example.org")
    mine, theirs = new_token(), new_token()
    accounts.start_session(session, token=mine, user_id=user.id, settings=settings)
    accounts.start_session(session, token=theirs, user_id=other.id, settings=settings)

    accounts.set_password(session, email=" Ana@Example.org ", password="a brand new secret")

    assert accounts.load_session(session, token=mine) is None
    assert accounts.load_session(session, token=theirs) is not None  # only that account's
    found = accounts.authenticate(
        session,
        email="ana@example.org",
        password="a brand new secret",
        address="10.0.0.1",
        settings=settings,
    )
    assert found.id == user.id
    with pytest.raises(Invalid):
        accounts.authenticate(
            session,
            email="ana@example.org",
            password=PASSWORD,
            address="10.0.0.2",
            settings=settings,
        )


def test_set_password_refuses_unknown_accounts_and_weak_passwords(session: Session) -> None:
    user = make_user(session, email="ana@example.org")
    before = user.password_hash
    with pytest.raises(Invalid) as unknown:
        accounts.set_password(session, email="nobody@example.org", password="a brand new secret")
    assert unknown.value.errors == {"email": "There is no account with this email."}
    with pytest.raises(Invalid) as weak:
        accounts.set_password(session, email="ana@example.org", password="short")
    assert weak.value.errors == {"password": "Use at least 10 characters."}
    session.refresh(user)
    assert user.password_hash == before
