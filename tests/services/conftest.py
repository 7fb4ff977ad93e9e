"""Service test fixtures: an organiser, their event, and two participants, Mira and Ivo.

A test file that needs the event in another state overrides ``event`` with a fixture of the
same name that takes this one (``def event(session, event): return set_phase(...)``).
"""

from __future__ import annotations

import pytest
from sqlmodel import Session

from app.config import Settings
from app.models.events import Event
from app.models.people import User
from app.services.access import EventAccess
from tests.factories import make_event, make_user
from tests.marketplace_helpers import as_participant, as_staff


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
