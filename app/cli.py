"""The ``openspace`` command."""

from __future__ import annotations

import getpass
import json
import os
import sqlite3
import sys
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal, NoReturn

import typer
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from app.config import Settings
from app.db import make_engine, open_session
from app.errors import DomainError, Invalid
from app.models.base import id_of
from app.services.schedule.solver.scheduler import DEFAULT_TIME_LIMIT, Engine, parse_instance, solve

if TYPE_CHECKING:
    from sqlmodel import Session

    from app.models.events import Event
    from app.models.people import User

ExportFormat = Literal["html", "pdf", "docx", "md", "json", "csv"]

cli = typer.Typer(
    help="Open Space Lab: run an Open Space workshop live.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        messages = "; ".join(str(item["msg"]) for item in error.errors())
        typer.secho(f"Configuration error: {messages}", fg="red", err=True)
        raise typer.Exit(2) from None


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option(envvar="PORT", help="Port to listen on (or PORT).", min=1, max=65535)
    ] = 8000,
    workers: Annotated[
        int,
        typer.Option(help="Worker processes; more than one needs Redis broadcast.", min=1, max=64),
    ] = 1,
    reload: Annotated[bool, typer.Option(help="Restart on code changes (development).")] = False,
) -> None:
    """Serve the web app with uvicorn."""
    import uvicorn

    settings = _settings()
    if workers > 1 and settings.broadcast_url.startswith("memory"):
        typer.secho(
            "Several workers need a shared broadcast: set OPENSPACE_BROADCAST_URL=redis://…",
            fg="red",
            err=True,
        )
        raise typer.Exit(2)
    if workers > 1 and settings.is_sqlite:
        typer.secho(
            "Note: several workers on SQLite work, but PostgreSQL is the production choice.",
            err=True,
        )
    typer.echo(f"Open Space Lab on http://{host}:{port}  (Ctrl+C stops)")
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        reload=reload,
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        ws_max_size=64 * 1024,
        # Compression would cost a deflate per client per frame; frames go to thousands.
        ws_per_message_deflate=False,
        # Phones keep their connection between taps; the default 5 s drops it mid-thought.
        timeout_keep_alive=30,
        ws="websockets-sansio",
        log_level="info",
    )


@cli.command()
def migrate() -> None:
    """Bring the database schema up to date (Alembic upgrade to head)."""
    from app.migrate import upgrade

    settings = _settings()
    engine = make_engine(settings)
    upgrade(engine)
    engine.dispose()
    typer.echo("Database is up to date.")


@cli.command()
def demo() -> None:
    """Load the demo event (slug "demo") unless it is there already, and print its links."""
    from app.demo import DEMO_EMAIL, DEMO_PASSWORD, load_demo

    settings = _settings()
    engine = make_engine(settings)
    with open_session(engine, write=True) as session:
        try:
            event, created = load_demo(session, settings=settings)
        except DomainError as error:
            typer.secho(error.message, fg="red", err=True)
            raise typer.Exit(2) from None
        from app.services.events.events import board_path
        from app.services.qr import join_url

        typer.echo("Demo event " + ("loaded." if created else "already present."))
        typer.echo(
            f"  Organiser login:  {settings.base_url}/login   ({DEMO_EMAIL} / {DEMO_PASSWORD})"
        )
        typer.echo(f"  Projector board:  {settings.base_url}{board_path(event, settings.secret)}")
        typer.echo(
            f"  Participants:     {join_url(settings, event)}"
            f"   (or {settings.base_url}/join and code {event.join_code})"
        )
    engine.dispose()


def _read_password(from_stdin: bool) -> str:
    """The password from standard input, or asked for twice on the terminal."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    password = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != password:
        typer.secho("The passwords differ.", fg="red", err=True)
        raise typer.Exit(2)
    return password


def _refuse(error: Invalid) -> NoReturn:
    for field, message in error.errors.items():
        typer.secho(f"{field}: {message}", fg="red", err=True)
    raise typer.Exit(2)


def _change_accounts(change: Callable[[Session], User]) -> User:
    """Run an account change in a write transaction; a refused one ends the command with its
    messages and exit code 2."""
    engine = make_engine(_settings())
    try:
        with open_session(engine, write=True) as session:
            try:
                return change(session)
            except Invalid as error:
                _refuse(error)
    finally:
        engine.dispose()


PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from standard input.")
]


@cli.command("create-organiser")
def create_organiser(
    email: Annotated[str, typer.Argument(help="The organiser's email, used to sign in.")],
    name: Annotated[str, typer.Option(help="Name shown to the team.")] = "",
    password_stdin: PasswordStdin = False,
) -> None:
    """Create an organiser account (may create events)."""
    from app.services.people.accounts import create_user

    password = _read_password(password_stdin)
    user = _change_accounts(
        lambda session: create_user(
            session,
            email=email,
            name=name or email.split("@")[0],
            password=password,
            can_create_events=True,
        )
    )
    typer.echo(f"Organiser {user.email} created.")


@cli.command("set-password")
def set_password(
    email: Annotated[str, typer.Argument(help="The account's email.")],
    password_stdin: PasswordStdin = False,
) -> None:
    """Give an account a new password and sign it out everywhere."""
    from app.services.people.accounts import set_password as set_account_password

    password = _read_password(password_stdin)
    user = _change_accounts(
        lambda session: set_account_password(session, email=email, password=password)
    )
    typer.echo(f"Password of {user.email} set; its sessions are signed out.")


@cli.command()
def backup(
    target: Annotated[Path, typer.Argument(help="File to write the copy to.", dir_okay=False)],
) -> None:
    """Copy the SQLite database to a file, safely while the app is serving."""
    settings = _settings()
    if not settings.is_sqlite:
        typer.secho(
            "backup copies SQLite databases; for PostgreSQL use pg_dump.", fg="red", err=True
        )
        raise typer.Exit(2)
    source_path = settings.sqlalchemy_url.removeprefix("sqlite:///")
    if not os.path.exists(source_path):
        typer.secho(f"No database at {source_path}.", fg="red", err=True)
        raise typer.Exit(2)
    if target.exists():
        typer.secho(f"{target} exists already; choose a new file.", fg="red", err=True)
        raise typer.Exit(2)
    if not target.parent.is_dir():
        typer.secho(f"The folder {target.parent} does not exist.", fg="red", err=True)
        raise typer.Exit(2)
    # SQLite's online backup API copies a consistent snapshot while writers keep going.
    with closing(sqlite3.connect(source_path)) as source, closing(sqlite3.connect(target)) as copy:
        source.backup(copy)
    typer.echo(f"Backed up {source_path} to {target}.")


@cli.command()
def schedule(
    instance: Annotated[
        Path,
        typer.Argument(
            help="Problem in the openspace-schedule/1 JSON format.", dir_okay=False, exists=True
        ),
    ],
    engine: Annotated[
        Engine, typer.Option(help="auto: exact (CP-SAT) up to 40 topics, else the heuristic.")
    ] = "auto",
    time_limit: Annotated[
        float, typer.Option(help="Seconds at most.", min=0.1, max=3600)
    ] = DEFAULT_TIME_LIMIT,
    seed: Annotated[int, typer.Option(help="Random seed; same seed, same schedule.")] = 0,
) -> None:
    """Schedule topics into rooms and slots from votes; print the result JSON."""
    try:
        data = json.loads(instance.read_text(encoding="utf-8"))
    except OSError as error:
        typer.secho(f"{instance}: cannot read: {error.strerror}", fg="red", err=True)
        raise typer.Exit(2) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        typer.secho(f"{instance}: not valid JSON: {error}", fg="red", err=True)
        raise typer.Exit(2) from None
    try:
        result = solve(parse_instance(data), engine=engine, time_limit=time_limit, seed=seed)
    except Invalid as error:
        typer.secho(f"{instance}: {error.field}: {error.message}", fg="red", err=True)
        raise typer.Exit(2) from None
    typer.echo(json.dumps(result.to_json(), indent=2))


def _database_error(error: SQLAlchemyError) -> NoReturn:
    cause = getattr(error, "orig", None) or error
    first_line = str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__
    typer.secho(
        f"Database error: {first_line} (has `openspace migrate` been run?)", fg="red", err=True
    )
    raise typer.Exit(2)


def _export_languages(asked: list[str], event: Event) -> list[str]:
    """Each language asked for, in order; ``all`` is each of the event's languages that we
    ship (its default if none); nothing asked for is its default."""
    from app.i18n import LOCALES
    from app.services.proceedings.build import report_locale

    own = [code for code in event.languages if code in LOCALES] or [report_locale(event)]
    chosen: list[str] = []
    for item in asked or [report_locale(event)]:
        chosen += own if item == "all" else [item]
    return list(dict.fromkeys(chosen))


def _export_files(output: Path, languages: list[str], *, several: bool) -> list[tuple[str, Path]]:
    """Where each language's file goes: ``output`` itself, or with several languages, the
    language before its extension (``out.pdf`` → ``out-bg.pdf``, ``out-en.pdf``)."""
    if not several:
        return [(languages[0], output)]
    return [(code, output.with_name(f"{output.stem}-{code}{output.suffix}")) for code in languages]


@cli.command()
def export(
    event: Annotated[str, typer.Argument(help="The event's address (slug).")],
    output: Annotated[Path, typer.Option("--output", "-o", help="File to write.", dir_okay=False)],
    fmt: Annotated[
        ExportFormat,
        typer.Option(
            "--format",
            "-f",
            help="html, pdf, docx, md (the proceedings), json (all "
            "of the event's data) or csv (a zip of tables).",
        ),
    ] = "pdf",
    lang: Annotated[
        list[str] | None,
        typer.Option(
            "--lang",
            "-l",
            help="The proceedings' language (en, bg); again for another, or all for each of "
            "the event's languages, each to its own file (out.pdf → out-bg.pdf). Default: the "
            "event's first language. JSON is the same in every language: one file.",
        ),
    ] = None,
) -> None:
    """Export an event's proceedings, or all of its data as JSON."""
    from app.i18n import LOCALES
    from app.services.access import event_by_slug
    from app.services.proceedings.exports import export_event

    asked = list(dict.fromkeys(lang or []))
    unknown = [code for code in asked if code not in (*LOCALES, "all")]
    if unknown:
        choices = ", ".join((*LOCALES, "all"))
        typer.secho(
            f"Unknown language {unknown[0]!r} for --lang: choose {choices}.", fg="red", err=True
        )
        raise typer.Exit(2)
    settings = _settings()
    if not output.parent.is_dir():
        typer.secho(f"The folder {output.parent} does not exist.", fg="red", err=True)
        raise typer.Exit(2)
    engine = make_engine(settings)
    results = []
    try:
        with open_session(engine) as session:
            try:
                found = event_by_slug(session, event)
            except DomainError:
                typer.secho(f"There is no event with the address {event!r}.", fg="red", err=True)
                raise typer.Exit(2) from None
            languages = _export_languages(asked, found)
            several = fmt != "json" and ("all" in asked or len(languages) > 1)
            if fmt == "json":
                languages = languages[:1]
            for code, target in _export_files(output, languages, several=several):
                result = export_event(
                    session, event=found, fmt=fmt, upload_dir=settings.uploads_path, locale=code
                )
                results.append((target, result.content))
    except SQLAlchemyError as error:
        _database_error(error)
    finally:
        engine.dispose()
    for target, content in results:
        try:
            target.write_bytes(content)
        except OSError as error:
            typer.secho(f"{target}: cannot write: {error.strerror}", fg="red", err=True)
            raise typer.Exit(2) from None
        typer.echo(f"Wrote {target} ({len(content):,} bytes).")


def _tell_live_screens(settings: Settings, event: Event, *, device_ids: list[int]) -> None:
    """Through a shared broker, the running server's screens show the change at once and the
    phones of ``device_ids`` are closed; with the in-process one they cannot be reached."""
    import asyncio

    from app.realtime.broker import announce, make_broker

    if settings.broadcast_url.startswith("memory"):
        typer.echo("Open screens show this at their next update or reload (memory broadcast).")
        return

    async def tell() -> None:
        broker = make_broker(settings.broadcast_url)
        try:
            await announce(broker, id_of(event), revoke_phones=device_ids)
        finally:
            await broker.stop()

    try:
        asyncio.run(tell())
    except Exception as error:  # the deletion is done; only the screens' update failed
        typer.secho(f"Could not tell the live screens: {error}", fg="yellow", err=True)


@cli.command()
def forget(
    event: Annotated[str, typer.Argument(help="The event's address (slug).")],
    participant: Annotated[
        int,
        typer.Option(
            "--participant",
            help="The participant's ID, as the participants page and the JSON export show it.",
            min=1,
        ),
    ],
) -> None:
    """Delete a participant's data (someone who asked to be forgotten): their name,
    organisation, devices, check-ins, photos and open dots; what they wrote stays, by
    "a participant"."""
    from app.services.access import event_by_slug
    from app.services.people.privacy import forget_participant

    settings = _settings()
    engine = make_engine(settings)
    try:
        with open_session(engine, write=True) as session:
            try:
                found = event_by_slug(session, event)
                done = forget_participant(
                    session,
                    event=found,
                    participant_id=participant,
                    upload_dir=settings.uploads_path,
                )
            except DomainError as error:
                typer.secho(f"{event}: {error.message}", fg="red", err=True)
                raise typer.Exit(2) from None
    except SQLAlchemyError as error:
        _database_error(error)
    finally:
        engine.dispose()
    _tell_live_screens(settings, found, device_ids=done.device_ids)
    typer.echo(
        f"Participant {done.participant_id} of {event} forgotten: {done.dots_removed} dots "
        f"removed, {done.dots_anonymised} kept anonymous, {done.photos_deleted} photos deleted, "
        f'{done.unlinked} contributions kept by "a participant".'
    )


@cli.command("import")
def import_(
    source: Annotated[
        Path, typer.Argument(help="An event file made by openspace export --format json.")
    ],
    owner: Annotated[
        str | None,
        typer.Option(help="Email of an existing account to make an organiser of the event."),
    ] = None,
) -> None:
    """Import an event from a JSON export, as a new event (the database may hold others)."""
    from app.services.proceedings.archive import restore

    try:
        raw = source.read_bytes()
    except OSError as error:
        typer.secho(f"{source}: cannot read: {error.strerror}", fg="red", err=True)
        raise typer.Exit(2) from None
    settings = _settings()
    engine = make_engine(settings)
    try:
        with open_session(engine, write=True) as session:
            event = restore.import_event(
                session,
                data=restore.loads(raw),
                owner_email=owner,
                upload_dir=settings.uploads_path,
            )
    except Invalid as error:
        typer.secho(f"{source}: nothing was imported.", fg="red", err=True)
        for where, message in error.errors.items():
            typer.secho(f"  {where}: {message}", fg="red", err=True)
        raise typer.Exit(2) from None
    except SQLAlchemyError as error:
        _database_error(error)
    finally:
        engine.dispose()
    typer.echo(f"Imported {event.name!r} as /o/{event.slug} (join code {event.join_code}).")


@cli.command()
def purge(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only list what would be deleted.")
    ] = False,
) -> None:
    """Delete the events past their retention, with their files, and expired leftovers."""
    from app.services.events.retention import purge as purge_expired

    settings = _settings()
    engine = make_engine(settings)
    try:
        with open_session(engine, write=True) as session:
            result = purge_expired(session, upload_dir=settings.uploads_path, dry_run=dry_run)
    except SQLAlchemyError as error:
        _database_error(error)
    finally:
        engine.dispose()
    verb = "Would delete" if dry_run else "Deleted"
    for event in result.events:
        typer.echo(
            f"{verb} {event.slug} {event.name!r} (last day {event.last_day.isoformat()}):"
            f" {_many(event.rows, 'row')}, {_many(event.files, 'file')}."
        )
    if not result.events:
        typer.echo("No event is past its retention.")
    leftovers = ", ".join(f"{what}: {rows:,}" for what, rows in result.chores)
    typer.echo(f"{'Would also delete' if dry_run else 'Also deleted'}: {leftovers}.")
    for path, files in result.orphans:
        typer.echo(f"{verb} the upload folder {path} of a deleted event: {_many(files, 'file')}.")


def _many(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
