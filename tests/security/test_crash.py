"""What the audit found solid stays solid: a dot the server acknowledged survives ``kill -9``.

A real ``openspace serve`` takes a burst of votes from twenty phones and is killed mid-burst
with SIGKILL; every vote it had answered 200 to is in the database afterwards, on SQLite and on
PostgreSQL, and the server starts again on the same data.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session, select

from app.config import Settings
from app.db import make_engine
from app.models.events import Phase
from app.models.people import Participant
from app.models.topics import Vote
from app.services.topics import topics
from app.web import SID_COOKIE, csrf_token
from tests.conftest import SECRET, _create_database, _drop_database
from tests.factories import access_as, make_event, make_user
from tests.marketplace_helpers import set_phase
from tests.servers import free_port, isolated_env, migrate, start, stop, wait_until_healthy

PHONES = 20
TOPICS = 8
KILL_AFTER = 30  # acknowledged votes before the kill, of the 100 the phones send


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'openspace.db'}"
        return
    name = f"openspace_crash_{os.getpid()}"
    yield _create_database(name)
    _drop_database(name)


def _seed(url: str, data_dir: Path) -> tuple[str, str, list[int]]:
    """An event in dot voting with a few topics: its slug, join code and topic ids."""
    engine = make_engine(Settings(database_url=url, secret_key=SECRET, data_dir=data_dir))
    try:
        with Session(engine, expire_on_commit=False) as session:
            owner = make_user(session, email="crash@example.org")
            event = make_event(session, owner=owner, name="Crash lab")
            staff = access_as(session, event, user=owner)
            ids = [
                topics.propose_on_behalf(session, access=staff, title=f"Topic {n}").id or 0
                for n in range(TOPICS)
            ]
            set_phase(session, event, Phase.VOTING, dots_per_participant=5)
            return event.slug, event.join_code, ids
    finally:
        engine.dispose()


def _phone(base: str, code: str, name: str) -> httpx.Client:
    phone = httpx.Client(base_url=base, timeout=10)
    phone.get("/join")
    token = csrf_token(phone.cookies[SID_COOKIE], SECRET.encode())
    joined = phone.post(f"/j/{code}", data={"name": name, "locale": "en", "csrf_token": token})
    assert joined.status_code == 303, joined.text
    phone.headers["X-CSRF-Token"] = token
    phone.headers["HX-Request"] = "true"
    return phone


def _stored_votes(url: str, data_dir: Path) -> set[tuple[str, int]]:
    engine = make_engine(Settings(database_url=url, secret_key=SECRET, data_dir=data_dir))
    try:
        with Session(engine) as session:
            rows = session.exec(
                select(Participant.name, Vote.topic_id).join(
                    Participant,
                    Participant.id == Vote.participant_id,  # type: ignore[arg-type]
                )
            ).all()
            return {(name, topic_id) for name, topic_id in rows}
    finally:
        engine.dispose()


def test_acknowledged_votes_survive_kill_9(database_url: str, tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = isolated_env(
        tmp_path, base, secret=SECRET, database_url=database_url, address_attempts="100000"
    )
    migrate(env, tmp_path)
    slug, code, topic_ids = _seed(database_url, tmp_path)
    log = tmp_path / "server.log"
    server = start(port=port, env=env, cwd=tmp_path, log=log)
    try:
        wait_until_healthy(base, server, log)
        phones = {f"Phone {n}": _phone(base, code, f"Phone {n}") for n in range(PHONES)}
        acknowledged: set[tuple[str, int]] = set()
        enough = threading.Event()
        lock = threading.Lock()

        def vote(name: str, topic_id: int) -> None:
            try:
                answer = phones[name].post(f"/e/{slug}/topics/{topic_id}/vote")
            except httpx.HTTPError:
                return  # the server died before it answered: not acknowledged
            if answer.status_code == 200:
                with lock:
                    acknowledged.add((name, topic_id))
                    if len(acknowledged) >= KILL_AFTER:
                        enough.set()

        ballots = [
            (name, topic_ids[(number + offset) % TOPICS])
            for offset in range(5)
            for number, name in enumerate(phones)
        ]
        with ThreadPoolExecutor(max_workers=8) as pool:
            for ballot in ballots:
                pool.submit(vote, *ballot)
            assert enough.wait(timeout=60), log.read_text()
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)
        for phone in phones.values():
            phone.close()

        with lock:
            answered = set(acknowledged)
        assert len(answered) >= KILL_AFTER
        assert answered <= _stored_votes(database_url, tmp_path)

        server = start(port=port, env=env, cwd=tmp_path, log=log)
        wait_until_healthy(base, server, log)
        assert answered <= _stored_votes(database_url, tmp_path)
    finally:
        stop(server)
