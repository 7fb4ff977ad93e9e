"""Service test fixtures: an organiser, their event, and two participants, Mira and Ivo.

A test file that needs the event in another state overrides ``event`` with a fixture of the
same name that takes this one (``def event(session, event): return set_phase(...)``).
Cheap password hashing too: the production Argon2 cost would make the suite slow.
"""

from __future__ import annotations

import pytest
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlmodel import Session

from app import security
from app.config import Settings
from app.models.events import Event
from app.models.people import User
from app.services.access import EventAccess
from tests.factories import make_event, make_user
from tests.marketplace_helpers import as_participant, as_staff

FAST_HASHER = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1),))


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(security, "password_hasher", FAST_HASHER)


@pytest.fixture
def owner(session: Session) -> User:
    return make_user(session, name="Olga")


@pytest.fixture
def event(session: Session, owner: User) -> Event:
    return make_event(session, owner=owner)


@pytest.fixture
def staff(session: Session, event: Event, owner: User) -> EventAccess:
    return as_staff(session, event, owner)


@pytest.fixture
def mira(session: Session, settings: Settings, event: Event) -> EventAccess:
    return as_participant(session, settings, event, "Mira")


@pytest.fixture
def ivo(session: Session, settings: Settings, event: Event) -> EventAccess:
    return as_participant(session, settings, event, "Ivo")
