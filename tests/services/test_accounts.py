"""Accounts and server-side sessions, without HTTP."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from app.config import Settings
from app.errors import Invalid, RateLimited
from app.models.base import utcnow
from app.models.people import AuthSession, ParticipantCreate, ParticipantDevice
from app.security import new_token, token_hash
from app.services import accounts, people
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


def test_authenticate_rate_limited_after_failures_even_with_right_password(
    session: Session, settings: Settings
) -> None:
    make_user(session, email="ana@example.org")
    for _attempt in range(settings.login_attempts):
        with pytest.raises(Invalid):
            accounts.authenticate(
                session, email="ana@example.org", password="wrong", address="a", settings=settings
            )
    with pytest.raises(RateLimited) as caught:
        accounts.authenticate(
            session, email="ana@example.org", password=PASSWORD, address="a", settings=settings
        )
    assert caught.value.message == "Too many attempts. Wait a few minutes and try again."


def test_authenticate_limit_is_per_account(session: Session, settings: Settings) -> None:
    make_user(session, email="ana@example.org")
    other = make_user(session, email="ivo@example.org")
    for _attempt in range(settings.login_attempts + 1):
        with pytest.raises((Invalid, RateLimited)):
            accounts.authenticate(
                session, email="ana@example.org", password="wrong", address="a", settings=settings
            )
    found = accounts.authenticate(
        session, email="ivo@example.org", password=PASSWORD, address="a", settings=settings
    )
    assert found.id == other.id


def test_authenticate_success_resets_account_counter(session: Session, settings: Settings) -> None:
    make_user(session, email="ana@example.org")
    for _round in range(2):
        for _attempt in range(settings.login_attempts - 1):
            with pytest.raises(Invalid):
                accounts.authenticate(
                    session, email="ana@example.org", password="no", address="a", settings=settings
                )
        accounts.authenticate(
            session, email="ana@example.org", password=PASSWORD, address="a", settings=settings
        )


def test_authenticate_limit_per_address(session: Session, settings: Settings) -> None:
    tight = settings.model_copy(update={"address_attempts": 2, "login_attempts": 100})
    make_user(session, email="ana@example.org")
    for email in ("x@example.org", "y@example.org"):
        with pytest.raises(Invalid):
            accounts.authenticate(session, email=email, password="no", address="b", settings=tight)
    with pytest.raises(RateLimited):
        accounts.authenticate(
            session, email="ana@example.org", password=PASSWORD, address="b", settings=tight
        )
    found = accounts.authenticate(
        session, email="ana@example.org", password=PASSWORD, address="c", settings=tight
    )
    assert found.email == "ana@example.org"


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
    participant = people.join(
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
