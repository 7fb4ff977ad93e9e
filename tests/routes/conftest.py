"""Route test fixtures (cheap password hashing for every test is in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.config import Settings
from app.models.events import Event
from app.models.people import User
from tests.factories import login, make_event, make_user

# --- shared route fixtures ---------------------------------------------------------------


@pytest.fixture
def new_client(app: FastAPI) -> Iterator[Callable[[], TestClient]]:
    """Make more browsers (each with its own cookies) for the same app."""
    clients: list[TestClient] = []

    def make() -> TestClient:
        client = TestClient(app, base_url="http://testserver")
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


# On SQLite the test session must not keep a transaction open while the app writes: its
# snapshot would go stale, and its next write would fail with "database is locked". So every
# fixture that writes ends with commit() (objects stay loaded: expire_on_commit is off), and
# tests call sync(session) before reading what a request changed.


@pytest.fixture
def owner(session: Session) -> User:
    user = make_user(session, email="owner@example.org", name="Olga")
    session.commit()
    return user


@pytest.fixture
def event(session: Session, owner: User) -> Event:
    event = make_event(session, owner=owner, name="Lab Sofia")
    session.commit()
    return event


@pytest.fixture
def organiser(client: TestClient, settings: Settings, owner: User) -> TestClient:
    """The ``client`` browser, signed in as the event's organiser."""
    login(client, settings, owner)
    return client
