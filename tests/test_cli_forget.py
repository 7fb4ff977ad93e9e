"""`openspace forget EVENT --participant ID`: an operator forgets someone who asked by email."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import redis
from sqlmodel import col, select
from typer.testing import CliRunner

from app.cli import cli
from app.config import Settings
from app.db import make_engine, open_session
from app.models.events import Event
from app.models.notes import Photo
from app.models.people import Participant
from app.realtime.broker import live_channel
from app.security import new_token
from app.services.people import accounts, participants
from tests.test_cli_demo import _env, _run, _settings


def _demo_people(settings: Settings) -> list[tuple[int, str, int]]:
    """(id, name, photos uploaded) of the demo event's participants."""
    engine = make_engine(settings)
    try:
        with open_session(engine) as session:
            event_id = session.exec(select(Event.id).where(Event.slug == "demo")).one()
            people = session.exec(
                select(Participant)
                .where(Participant.event_id == event_id)
                .order_by(col(Participant.id))
            ).all()
            return [
                (
                    person.id or 0,
                    person.name,
                    len(
                        session.exec(
                            select(Photo).where(Photo.uploaded_by_participant == person.id)
                        ).all()
                    ),
                )
                for person in people
            ]
    finally:
        engine.dispose()


def test_forget_a_participant_of_the_demo_event(tmp_path: Path) -> None:
    env = _env(tmp_path)
    assert _run("migrate", env).exit_code == 0
    assert _run("demo", env).exit_code == 0
    settings = _settings(tmp_path)
    people = _demo_people(settings)
    person_id, name, _photos = people[0]

    result = CliRunner().invoke(cli, ["forget", "demo", "--participant", str(person_id)], env=env)

    assert result.exit_code == 0, result.output
    assert f"Participant {person_id} of demo forgotten" in result.output
    assert name not in result.output  # the terminal's scrollback keeps no name either
    assert [p for p in _demo_people(settings) if p[0] == person_id] == []
    assert len(_demo_people(settings)) == len(people) - 1


def test_forget_refuses_unknown_people_and_events_cleanly(tmp_path: Path) -> None:
    env = _env(tmp_path)
    assert _run("migrate", env).exit_code == 0
    assert _run("demo", env).exit_code == 0
    before = _demo_people(_settings(tmp_path))
    for arguments, message in (
        (["forget", "demo", "--participant", "999999"], "no such participant"),
        (["forget", "nowhere", "--participant", "1"], "no such event"),
        (["forget", "demo", "--participant", "0"], "--participant"),
        (["forget", "demo", "--participant", "x"], "--participant"),
        (["forget", "demo"], "--participant"),
    ):
        result = CliRunner().invoke(cli, arguments, env=env)
        assert result.exit_code == 2, (arguments, result.output)
        assert message in result.output, (arguments, result.output)
        assert "Traceback" not in result.output
    assert _demo_people(_settings(tmp_path)) == before


@pytest.mark.redis
def test_forget_tells_a_running_servers_screens_through_redis(tmp_path: Path) -> None:
    """With a shared broker the command reaches the workers: the event's screens update and
    the person's phones are closed, as when they delete their data themselves."""
    url = "redis://127.0.0.1:6379/9"
    env = _env(tmp_path, OPENSPACE_BROADCAST_URL=url)
    assert _run("migrate", env).exit_code == 0
    assert _run("demo", env).exit_code == 0
    settings = _settings(tmp_path)
    person_id = _demo_people(settings)[0][0]
    engine = make_engine(settings)
    try:
        with open_session(engine, write=True) as session:  # their phone
            phone = accounts.start_session(
                session, token=new_token(), user_id=None, settings=settings
            )
            person = session.get(Participant, person_id)
            assert person is not None
            participants.claim(session, participant=person, auth=phone)
    finally:
        engine.dispose()
    listener = redis.Redis.from_url(url, decode_responses=True)
    pubsub = listener.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(live_channel(9))
    try:
        result = CliRunner().invoke(
            cli, ["forget", "demo", "--participant", str(person_id)], env=env
        )
        assert result.exit_code == 0, result.output
        heard = []
        deadline = time.monotonic() + 5
        while len(heard) < 2 and time.monotonic() < deadline:
            message = pubsub.get_message(timeout=0.5)
            if message:
                heard.append(json.loads(message["data"]))
    finally:
        pubsub.close()
        listener.close()
    kinds = [message["t"] for message in heard]
    assert kinds == ["revoke", "dirty"], heard
    assert heard[0]["a"] == "phones" and heard[0]["g"]
    assert heard[0]["e"] == heard[1]["e"]
