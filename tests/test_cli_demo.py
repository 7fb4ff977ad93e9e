"""`openspace demo` on a fresh SQLite file, as `make run` does it after `openspace migrate`."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from sqlmodel import func, select
from typer.testing import CliRunner, Result

from app.cli import cli
from app.config import Settings
from app.db import make_engine, open_session
from app.demo import DEMO_EMAIL, DEMO_PASSWORD
from app.models.events import Event
from app.models.people import User
from app.services.events.events import board_path

BASE_URL = "http://lab.example:8000"


def _env(tmp_path: Path, **extra: str) -> dict[str, str | None]:
    # Unset what the surrounding shell might point elsewhere (another database, a real key).
    return {
        "OPENSPACE_DATA_DIR": str(tmp_path),
        "OPENSPACE_DATABASE_URL": None,
        "OPENSPACE_SECRET_KEY": None,
        "OPENSPACE_ENVIRONMENT": "development",
        "OPENSPACE_BASE_URL": BASE_URL,
        **extra,
    }


def _run(command: str, env: Mapping[str, str | None]) -> Result:
    return CliRunner().invoke(cli, [command], env=env)


def _settings(tmp_path: Path) -> Settings:
    """The settings the command saw, read in this process (the same generated secret key)."""
    return Settings(
        environment="development",
        data_dir=tmp_path,
        database_url="",
        secret_key=None,
        base_url=BASE_URL,
    )


def _counts(settings: Settings) -> tuple[int, int]:
    engine = make_engine(settings)
    with open_session(engine) as session:
        events = session.exec(select(func.count()).select_from(Event)).one()
        users = session.exec(select(func.count()).select_from(User)).one()
    engine.dispose()
    return int(events), int(users)


def _demo_event(settings: Settings) -> Event:
    engine = make_engine(settings)
    with open_session(engine) as session:
        event = session.exec(select(Event).where(Event.slug == "demo")).one()
    engine.dispose()
    return event


def test_cli_demo_prints_the_links(tmp_path: Path) -> None:
    env = _env(tmp_path)
    migrated = _run("migrate", env)
    assert migrated.exit_code == 0, migrated.output

    result = _run("demo", env)

    assert result.exit_code == 0, result.output
    settings = _settings(tmp_path)
    event = _demo_event(settings)
    lines = result.output.splitlines()
    assert lines[0] == "Demo event loaded."
    assert lines[1] == (f"  Organiser login:  {BASE_URL}/login   ({DEMO_EMAIL} / {DEMO_PASSWORD})")
    assert board_path(event, settings.secret).startswith("/board/demo/")
    assert lines[2] == f"  Projector board:  {BASE_URL}{board_path(event, settings.secret)}"
    assert lines[3].startswith(f"  Participants:     {BASE_URL}/j/{event.join_code}   ")


def test_cli_demo_twice_keeps_the_event(tmp_path: Path) -> None:
    env = _env(tmp_path)
    assert _run("migrate", env).exit_code == 0
    first = _run("demo", env)

    second = _run("demo", env)

    assert second.exit_code == 0, second.output
    assert second.output.splitlines()[0] == "Demo event already present."
    assert second.output.splitlines()[1:] == first.output.splitlines()[1:]
    assert _counts(_settings(tmp_path)) == (1, 2)


def test_cli_demo_refused_in_production(tmp_path: Path) -> None:
    env = _env(tmp_path, OPENSPACE_ENVIRONMENT="production", OPENSPACE_SECRET_KEY="k" * 40)
    assert _run("migrate", env).exit_code == 0

    result = _run("demo", env)

    assert result.exit_code == 2
    assert "not loaded in production" in result.output
    assert "Traceback" not in result.output
    assert _counts(_settings(tmp_path)) == (0, 0)
