"""Organiser and facilitator accounts, and server-side sessions for every browser."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, col, delete, select, update

from app.config import Settings
from app.errors import Invalid, RateLimited
from app.i18n import _, ngettext
from app.models.base import utcnow
from app.models.people import USER_NAME_MAX, AuthSession, ParticipantDevice, User
from app.security import DUMMY_HASH, hash_password, token_hash, verify_password
from app.services import ratelimit
from app.services.text import check_length, too_long

MIN_PASSWORD_LENGTH = 10
PASSWORD_MAX = 200
MIN_LOCAL_PART = 3
LOGIN_DELAY_CAP = 5 * 60  # the longest wait between two guesses at one account
ADDRESS_WINDOW = 10 * 60


def normalise_email(email: str) -> str:
    return email.strip().lower()


def check_password_rules(password: str, *, email: str = "", field: str = "password") -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid({field: _("Use at least 10 characters.")})
    check_length(password, PASSWORD_MAX, field=field)
    if len(set(password)) < 4:
        raise Invalid({field: _("This password is too easy to guess.")})
    local_part = normalise_email(email).split("@")[0]
    # A one- or two-letter local part ("a@…") is in half of all passwords: not a useful check.
    if len(local_part) >= MIN_LOCAL_PART and local_part in password.lower():
        raise Invalid({field: _("The password must not contain your email address.")})


def create_user(
    session: Session, *, email: str, name: str, password: str, can_create_events: bool = False
) -> User:
    """Create an account after checking the email, name and password rules."""
    email = normalise_email(email)
    errors: dict[str, str] = {}
    if "@" not in email or "." not in email.split("@")[-1] or len(email) > 254:
        errors["email"] = _("Enter a valid email address.")
    elif session.exec(select(User).where(User.email == email)).first() is not None:
        errors["email"] = _("An account with this email exists already.")
    if not name.strip():
        errors["name"] = _("Enter your name.")
    elif message := too_long(name.strip(), USER_NAME_MAX):
        errors["name"] = message
    try:
        check_password_rules(password, email=email)
    except Invalid as error:
        errors.update(error.errors)
    if errors:
        raise Invalid(errors)
    user = User(
        email=email,
        name=name.strip(),
        password_hash=hash_password(password),
        can_create_events=can_create_events,
    )
    session.add(user)
    session.commit()
    session.refresh(user)
    return user


def set_password(session: Session, *, email: str, password: str) -> User:
    """Give an account a new password (the operator's reset, e.g. for an imported account)
    and sign it out everywhere: a browser signed in with the old password stays out."""
    email = normalise_email(email)
    user = session.exec(select(User).where(User.email == email)).first()
    if user is None:
        raise Invalid({"email": _("There is no account with this email.")})
    check_password_rules(password, email=email)
    user.password_hash = hash_password(password)
    session.add(user)
    session.execute(delete(AuthSession).where(col(AuthSession.user_id) == user.id))
    session.commit()
    session.refresh(user)
    return user


def _wait(seconds: int) -> RateLimited:
    return RateLimited(
        ngettext(
            "Too many wrong passwords. Try again in %(seconds)d second.",
            "Too many wrong passwords. Try again in %(seconds)d seconds.",
            seconds,
        )
        % {"seconds": seconds},
        field="password",
    )


def authenticate(
    session: Session, *, email: str, password: str, address: str, settings: Settings
) -> User:
    """Check a login. Wrong passwords slow guessing down; nothing locks anyone out.

    Only misses count, so a right password never adds to anything, and it ends its account's
    streak. Two buckets:

    - Per account (``login:<email>``, known or not, so answers do not reveal which exist):
      after ``login_attempts`` wrong passwords in a row (default 3) each next attempt waits
      2^misses seconds, at most ``LOGIN_DELAY_CAP``: 8, 16, 32, 64, 128, 256, then 300 s. Five
      wrong passwords cost 32 seconds, not a 15-minute lockout. An attempt made before the
      delay has passed is refused unchecked, with the seconds to wait; it does not count. The
      streak is forgotten after an hour without a miss. This delay also refuses the right
      password while it runs (otherwise it would not slow guessing at all), so it is short.
    - Per address (``login-addr:<address>``, separate from wrong join codes, ``address_attempts``
      misses per 10 minutes): a room shares one Wi-Fi address, so the ceiling must not refuse
      anyone's right password because of someone else's misses. It refuses nothing by itself;
      past it, the free misses end: every wrong password from that address delays its account
      at once (2, 4, 8 … seconds). A password sprayer from one address thus meets the delay of
      each account from its first guess.

    Guessing stays infeasible because the account's delay does not care where guesses come
    from: with the cap, one account takes at most about 12 guesses an hour (under 300 a day)
    against a password of at least 10 characters. Simultaneous attempts take turns
    (``ratelimit.take_turn``): a burst gets one check, not one each.
    """
    email = normalise_email(email)
    account_key = f"login:{email}"
    wait = ratelimit.take_turn(session, key=account_key)
    if wait:
        raise _wait(wait)
    user = session.exec(select(User).where(User.email == email)).first()
    # Hash something even for an unknown email so timing does not reveal which accounts exist.
    valid = verify_password(password, user.password_hash if user else DUMMY_HASH)
    if user is None or not valid:
        within = ratelimit.hit(
            session,
            key=f"login-addr:{address}",
            limit=settings.address_attempts,
            window=ADDRESS_WINDOW,
        )
        _misses, delay = ratelimit.missed(
            session,
            key=account_key,
            start=settings.login_attempts if within else 1,
            cap=LOGIN_DELAY_CAP,
        )
        if delay:
            message = ngettext(
                "Email or password is wrong. Wait %(seconds)d second before trying again.",
                "Email or password is wrong. Wait %(seconds)d seconds before trying again.",
                delay,
            ) % {"seconds": delay}
            raise Invalid({"password": message})
        raise Invalid({"password": _("Email or password is wrong.")})
    ratelimit.forgive(session, key=account_key)
    return user


def start_session(
    session: Session, *, token: str, user_id: int | None, settings: Settings
) -> AuthSession:
    """Record a signed-in (or joined) browser under the hash of its cookie token.

    A browser may still send the cookie of a session that has expired: its old record goes,
    rather than clashing with the new one.
    """
    stale = session.get(AuthSession, token_hash(token))
    if stale is not None:
        session.delete(stale)
        session.flush()
    auth = AuthSession(
        id=token_hash(token),
        user_id=user_id,
        expires_at=utcnow() + timedelta(days=settings.session_days),
    )
    session.add(auth)
    session.commit()
    return auth


def sign_in(
    session: Session, *, old_token: str | None, new_token: str, user_id: int, settings: Settings
) -> AuthSession:
    """Start a signed-in session under a fresh cookie token (against session fixation).

    Events this browser had joined as a participant move over to the new session.
    """
    auth = start_session(session, token=new_token, user_id=user_id, settings=settings)
    if old_token:
        old_id = token_hash(old_token)
        session.execute(
            update(ParticipantDevice)
            .where(col(ParticipantDevice.session_id) == old_id)
            .values(session_id=auth.id)
        )
        session.execute(delete(AuthSession).where(col(AuthSession.id) == old_id))
        session.commit()
    return auth


def load_session(session: Session, *, token: str | None) -> AuthSession | None:
    if not token:
        return None
    auth = session.get(AuthSession, token_hash(token))
    if auth is None or auth.expires_at <= utcnow():
        return None
    return auth


def end_session(session: Session, *, token: str | None) -> None:
    """Log out for real: the record goes, so the old cookie is worth nothing."""
    if token:
        session.execute(delete(AuthSession).where(col(AuthSession.id) == token_hash(token)))
        session.commit()


def purge_expired_sessions(session: Session) -> int:
    result = session.execute(delete(AuthSession).where(col(AuthSession.expires_at) <= utcnow()))
    session.commit()
    return int(result.rowcount)  # type: ignore[attr-defined]
