"""The JSON export and import of an event: every table covered or excluded with a reason, no
secrets out, a round trip that keeps the content (ids aside), clear refusals of bad files."""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column, Engine, ForeignKey, Integer, MetaData, String, Table, insert
from sqlmodel import Session, SQLModel, select

from app.config import Settings
from app.db import make_engine, open_session
from app.errors import Invalid
from app.models.base import id_of
from app.models.events import Event, EventMember, TimeBlock
from app.models.notes import Photo
from app.models.people import Participant, User
from app.services.events import hosts
from app.services.notes import photos
from app.services.proceedings.archive import dump, restore, schema
from app.services.proceedings.archive.schema import (
    EXCLUDED,
    FILE_KEYS,
    ID_FREE_JSON,
    JSON_REFERENCES,
    NOT_SECRET_COLUMNS,
    SECRET_COLUMNS,
    Link,
    plan,
)
from tests.conftest import SECRET
from tests.factories import make_event, make_user
from tests.report_helpers import World, add_hosts, add_plenary_notes, make_world
from tests.routes.helpers import snapshot

AT_1_2 = "line 1 column 2 (char 1)"
SECRET_WORDS = re.compile(r"hash|token|nonce|secret|password|key")


@pytest.fixture
def world(session: Session, settings: Settings) -> World:
    owner = make_user(session, email="olga@example.org", name="Olga")
    event = make_event(session, owner=owner, name="Lab Sofia")
    return make_world(session, settings, event=event, owner=owner)


def fresh_database(tmp_path: Path, name: str, metadata: MetaData = SQLModel.metadata) -> Engine:
    settings = Settings(
        environment="test",
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / name}",
        secret_key=SECRET,
    )
    engine = make_engine(settings)
    metadata.create_all(engine)
    return engine


def canonical(data: dict[str, Any], metadata: MetaData = SQLModel.metadata) -> dict[str, Any]:
    """The file's content with every id replaced by the row's position in its table, so two
    exports compare equal when they hold the same things under other ids."""
    tables = data["tables"]
    position = {
        name: {row["id"]: index for index, row in enumerate(rows)} for name, rows in tables.items()
    }

    def remap(table: str, old: Any) -> Any:
        return position[table].get(old)

    result: dict[str, Any] = {}
    for name, rows in tables.items():
        table = metadata.tables[name]
        links = {fk.parent.name: fk.column.table.name for fk in table.foreign_keys}
        canon = []
        for row in rows:
            row = dict(row)
            row["id"] = position[name][row["id"]]
            for column, target in links.items():
                if row.get(column) is not None:
                    row[column] = ("ref", position[target][row[column]])
            for key, function in JSON_REFERENCES.items():
                table_name, column = key.split(".")
                if table_name == name and row.get(column) is not None:
                    row[column] = function(row[column], remap)
            if name in FILE_KEYS:  # an import gives each file a new key; empty stays empty
                column = FILE_KEYS[name][0]
                row[column] = ("file", bool(row[column]))
            canon.append(row)
        result[name] = canon
    return result


# --- what is exported ----------------------------------------------------------------------


def test_every_table_is_exported_or_excluded_with_a_reason() -> None:
    exported = plan()
    assert set(SQLModel.metadata.tables) == set(exported.order) | set(EXCLUDED)
    assert set(exported.order) & set(EXCLUDED) == set()
    assert all(len(reason) > 20 for reason in EXCLUDED.values())
    assert exported.order[:2] == ["event", "user"]
    assert exported.links["vote"] == Link("event_id", "event", "id")
    # No event_id: through the first required reference, by column name.
    assert exported.links["topic_convener"] == Link("participant_id", "participant", "id")


def test_a_new_table_is_exported_without_changes_or_flagged() -> None:
    metadata = MetaData()
    for table in SQLModel.metadata.sorted_tables:
        table.to_metadata(metadata)
    Table(
        "session_note",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("topic_id", ForeignKey("topic.id"), nullable=False),
    )
    Table(
        "note_photo",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("note_id", ForeignKey("session_note.id"), nullable=False),
    )
    Table("orphan", metadata, Column("id", Integer, primary_key=True))
    found = plan(metadata)
    assert found.links["session_note"] == Link("topic_id", "topic", "id")
    assert found.links["note_photo"] == Link("note_id", "session_note", "id")
    # A table that belongs to no event is neither exported nor excluded: the test above fails.
    assert set(metadata.tables) - set(found.order) - set(EXCLUDED) == {"orphan"}


def test_secret_columns_are_listed_and_never_exported(session: Session, world: World) -> None:
    exported = plan()
    for name in exported.order:
        for column in exported.table(name).columns:
            if SECRET_WORDS.search(column.name):
                assert f"{name}.{column.name}" in SECRET_COLUMNS | NOT_SECRET_COLUMNS
    text = dump.dumps(dump.export_event(session, event=world.event)).decode()
    owner = session.get(User, world.owner.id)
    assert owner is not None
    secrets = [owner.password_hash, world.event.board_nonce]
    secrets += [p.link_nonce for p in session.exec(select(Participant)).all()]
    assert all(secret and secret not in text for secret in secrets)
    for name in ("password_hash", "board_nonce", "link_nonce", "token_hash"):
        assert f'"{name}"' not in text


def test_every_json_column_says_whether_it_holds_ids() -> None:
    exported = plan()
    json_columns = {
        f"{name}.{column.name}"
        for name in exported.order
        for column in exported.table(name).columns
        if schema.column_kind(column) == "json"
    }
    assert json_columns == set(JSON_REFERENCES) | ID_FREE_JSON


def test_export_holds_the_whole_event(session: Session, world: World) -> None:
    data = dump.export_event(session, event=world.event)
    assert (data["format"], data["version"]) == ("openspace-event", 1)
    counts = {name: len(rows) for name, rows in data["tables"].items()}
    assert counts == {
        "event": 1,
        "user": 1,
        "announcement": 1,
        "day": 1,
        "event_member": 1,
        "grid_change": 1,
        "participant": 4,
        "room": 2,
        "schedule_version": 1,
        "time_block": 4,
        "topic": 4,
        "blocked_cell": 1,
        "check_in": 4,
        "pitch_entry": 1,
        "placement": 2,
        "published_placement": 2,
        "topic_convener": 5,
        "vote": 6,
        "event_host": 0,
        "cohost_request": 0,
        # The mapping workshop's tables: this event has no map.
        "map": 0,
        "map_card": 0,
        "map_category": 0,
        "map_cluster": 0,
        "map_place": 0,
        "map_plus_one": 0,
        # Session notes, photos, convergence and action plans: none in this event.
        "session_notes": 0,
        "notes_revision": 0,
        "notes_conflict": 0,
        "notes_presence": 0,
        "proposal": 0,
        "proposal_vote": 0,
        "next_step": 0,
        "photo": 0,
        "commitment": 0,
        "closing_state": 0,
    }
    consent = {row["name"]: row["consent_report"] for row in data["tables"]["participant"]}
    assert consent == {"Mira": True, "Ivo Secretov": False, "Petya": True, "Dan Hidden": False}


def test_export_leaves_other_events_out(session: Session, world: World) -> None:
    other = make_event(session, owner=world.owner, name="Other lab")
    session.commit()
    data = dump.export_event(session, event=other)
    assert [len(data["tables"][name]) for name in ("event", "day", "topic", "participant")] == [
        1,
        1,
        0,
        0,
    ]


# --- round trips ---------------------------------------------------------------------------


def test_round_trip_into_the_same_database(
    session: Session, settings: Settings, world: World
) -> None:
    add_hosts(session, world, upload_dir=settings.uploads_path)  # a logo's file key is new
    first = dump.export_event(session, event=world.event)
    imported = restore.import_event(session, data=json.loads(dump.dumps(first)))
    second = dump.export_event(session, event=imported)
    assert (imported.slug, imported.name) == ("lab-sofia-2", "Lab Sofia")
    assert imported.join_code != world.event.join_code
    assert imported.board_nonce != world.event.board_nonce
    a, b = canonical(first), canonical(second)
    for row in (a["event"][0], b["event"][0]):
        del row["slug"], row["join_code"]
    assert a == b
    assert session.exec(select(User)).all().__len__() == 1  # the team's account is reused


def test_round_trip_into_another_database(session: Session, world: World, tmp_path: Path) -> None:
    first = dump.export_event(session, event=world.event)
    engine = fresh_database(tmp_path, "other.db")
    with open_session(engine, write=True) as other:
        imported = restore.import_event(other, data=json.loads(dump.dumps(first)))
        second = dump.export_event(other, event=imported)
        user = other.exec(select(User)).one()
        assert (user.email, user.password_hash.startswith("$argon2")) == (
            "olga@example.org",
            True,
        )
    engine.dispose()
    assert canonical(first) == canonical(second)
    assert second["tables"]["event"][0]["slug"] == "lab-sofia"


def test_round_trip_covers_a_table_added_later(tmp_path: Path, settings: Settings) -> None:
    metadata = MetaData()
    for table in SQLModel.metadata.sorted_tables:
        table.to_metadata(metadata)
    notes = Table(
        "session_note",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("event_id", ForeignKey("event.id"), nullable=False),
        Column("topic_id", ForeignKey("topic.id"), nullable=False),
        Column("text", String(200), nullable=False),
    )
    photos = Table(
        "note_photo",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("note_id", ForeignKey("session_note.id"), nullable=False),
        Column("path", String(200), nullable=False),
    )
    source = fresh_database(tmp_path, "source.db", metadata)
    with open_session(source, write=True) as session:
        owner = make_user(session, email="olga@example.org")
        event = make_event(session, owner=owner, name="Lab")
        world = make_world(session, settings, event=event, owner=owner)
        note_id = session.execute(
            insert(notes).values(event_id=event.id, topic_id=world.tricky.id, text="Кирилица")
        ).inserted_primary_key[0]  # type: ignore[index]
        session.execute(insert(photos).values(note_id=note_id, path="a.jpg"))
        session.commit()
        first = dump.export_event(session, event=event, metadata=metadata)
    target = fresh_database(tmp_path, "target.db", metadata)
    with open_session(target, write=True) as session:
        restore.import_event(session, data=first, metadata=metadata)
        imported = restore.import_event(session, data=first, metadata=metadata)  # new ids
        second = dump.export_event(session, event=imported, metadata=metadata)
        rows = session.execute(select(notes.c.event_id, notes.c.topic_id)).all()
        assert [tuple(row) for row in rows] == [
            (1, world.tricky.id),
            (2, (world.tricky.id or 0) + 4),  # the second import's topics come after 4 others
        ]
    source.dispose()
    target.dispose()
    assert first["tables"]["session_note"][0]["text"] == "Кирилица"
    assert len(first["tables"]["note_photo"]) == 1
    a, b = canonical(first, metadata), canonical(second, metadata)
    assert (a["event"][0].pop("slug"), b["event"][0].pop("slug")) == ("lab", "lab-2")
    a["event"][0].pop("join_code"), b["event"][0].pop("join_code")
    assert a == b


def test_import_makes_an_owner_organiser(session: Session, world: World) -> None:
    data = dump.export_event(session, event=world.event)
    ana = make_user(session, email="ana@example.org")
    session.commit()
    imported = restore.import_event(session, data=data, owner_email="ANA@example.org ")
    roles = session.exec(
        select(EventMember.user_id, EventMember.role).where(EventMember.event_id == imported.id)
    ).all()
    assert sorted(roles) == sorted([(world.owner.id, "organiser"), (ana.id, "organiser")])
    with pytest.raises(Invalid) as caught:
        restore.import_event(session, data=data, owner_email="nobody@example.org")
    assert caught.value.errors == {"owner": "no account with the email nobody@example.org"}


# --- refusals ------------------------------------------------------------------------------


def _broken(data: dict[str, Any], change: str) -> Any:
    data = copy.deepcopy(data)
    tables = data["tables"]
    if change == "not an object":
        return ["openspace-event"]
    if change == "format":
        data["format"] = "something-else"
    elif change == "version":
        data["version"] = 99
    elif change == "tables":
        data["tables"] = []
    elif change == "dangling reference":
        tables["vote"][2]["topic_id"] = 999
    elif change == "excluded table":
        tables["auth_session"] = []
    elif change == "unknown column":
        tables["topic"][1]["colour"] = "red"
    elif change == "bad date":
        tables["day"][0]["date"] = "9 June"
    elif change == "missing title":
        del tables["topic"][0]["title"]
    elif change == "two events":
        tables["event"].append(dict(tables["event"][0], id=tables["event"][0]["id"] + 1))
    elif change == "wrong type":
        tables["room"][0]["capacity"] = "ten"
    elif change == "duplicate id":
        tables["room"][1]["id"] = tables["room"][0]["id"]
    elif change == "another event":
        tables["day"][0]["event_id"] = 12345
    elif change == "too long":
        tables["topic"][0]["title"] = "x" * 121
    return data


@pytest.mark.parametrize(
    ("change", "errors"),
    [
        (
            "not an object",
            {"format": 'not an Open Space Lab event file (expected "openspace-event")'},
        ),
        ("format", {"format": 'not an Open Space Lab event file (expected "openspace-event")'}),
        (
            "version",
            {
                "version": "version 99 is from a newer Open Space Lab; this installation reads "
                "version 1: update it to import this file"
            },
        ),
        ("tables", {"tables": "missing, or not an object"}),
        ("dangling reference", {"tables.vote[2].topic_id": "no topic with id 999 in the file"}),
        (
            "excluded table",
            {"tables.auth_session": f"not imported ({EXCLUDED['auth_session']})"},
        ),
        (
            "unknown column",
            {
                "tables.topic[1].colour": "not a column this installation knows "
                "(is the file from a newer Open Space Lab?)"
            },
        ),
        ("bad date", {"tables.day[0].date": "expected an ISO date"}),
        ("missing title", {"tables.topic[0].title": "missing"}),
        ("two events", {"tables.event": "must hold exactly one event"}),
        ("wrong type", {"tables.room[0].capacity": "expected a whole number"}),
        ("duplicate id", {"tables.room[1].id": "the id {room} appears twice"}),
        ("another event", {"tables.day[0].event_id": "not the file's event (id 12345)"}),
        ("too long", {"tables.topic[0].title": "longer than 120 characters"}),
    ],
)
def test_bad_files_are_refused_with_the_entry_named_and_nothing_written(
    session: Session, engine: Engine, world: World, change: str, errors: dict[str, str]
) -> None:
    data = dump.export_event(session, event=world.event)
    room_id = data["tables"]["room"][0]["id"]
    before = snapshot(engine)
    with pytest.raises(Invalid) as caught:
        restore.import_event(session, data=_broken(data, change))
    expected = {key: value.replace("{room}", str(room_id)) for key, value in errors.items()}
    assert caught.value.errors == expected
    session.rollback()
    assert snapshot(engine) == before


VERSION_1 = "(this installation reads version 1)"


@pytest.mark.parametrize(
    ("version", "message"),
    [
        (
            2,
            "version 2 is from a newer Open Space Lab; this installation reads version 1: "
            "update it to import this file",
        ),
        (None, f"missing {VERSION_1}"),
        ("1", f'"1" is not a version of the event file {VERSION_1}'),
        (True, f"true is not a version of the event file {VERSION_1}"),
        (0, f"0 is not a version of the event file {VERSION_1}"),
        (1.5, f"1.5 is not a version of the event file {VERSION_1}"),
    ],
)
def test_other_versions_are_refused_before_anything_else(
    session: Session, engine: Engine, world: World, version: object, message: str
) -> None:
    data = dump.export_event(session, event=world.event)
    data["tables"]["vote"][0]["topic_id"] = 999  # not reached: the version comes first
    if version is None:
        del data["version"]
    else:
        data["version"] = version
    before = snapshot(engine)
    with pytest.raises(Invalid) as caught:
        restore.import_event(session, data=data)
    assert caught.value.errors == {"version": message}
    session.rollback()
    assert snapshot(engine) == before


def test_a_table_or_column_this_installation_does_not_know_is_refused(
    session: Session, engine: Engine, world: World
) -> None:
    """What a newer installation added without changing the version (or someone typed in)
    is named, and nothing is imported: never dropped unseen."""
    data = dump.export_event(session, event=world.event)
    data["tables"]["event_logo"] = [{"id": 1, "event_id": data["tables"]["event"][0]["id"]}]
    data["tables"]["topic"][1]["colour"] = "red"
    before = snapshot(engine)
    with pytest.raises(Invalid) as caught:
        restore.import_event(session, data=data)
    unknown = "this installation knows (is the file from a newer Open Space Lab?)"
    assert caught.value.errors == {
        "tables.event_logo": f"not a table {unknown}",
        "tables.topic[1].colour": f"not a column {unknown}",
    }
    session.rollback()
    assert snapshot(engine) == before


def test_what_the_database_refuses_rolls_everything_back(
    session: Session, engine: Engine, world: World
) -> None:
    data = dump.export_event(session, event=world.event)
    data["tables"]["day"].append(dict(data["tables"]["day"][0], id=99))  # the same date twice
    before = snapshot(engine)
    with pytest.raises(Invalid) as caught:
        restore.import_event(session, data=data)
    assert list(caught.value.errors) == ["database"]
    assert caught.value.errors["database"].startswith("refused the data, nothing was imported: ")
    assert snapshot(engine) == before
    assert session.exec(select(Event)).all().__len__() == 1


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"{", "not valid JSON: Expecting property name enclosed in double quotes: " + AT_1_2),
        (b"\xff\xfe", "not UTF-8 text"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    ],
)
def test_unreadable_files_are_refused(raw: bytes, message: str) -> None:
    with pytest.raises(Invalid) as caught:
        restore.loads(raw)
    assert caught.value.errors == {"file": message}


# --- the organisations that ran the event --------------------------------------------------


def test_import_copies_the_logos_and_keeps_an_organisation_without_one(
    session: Session, settings: Settings, world: World
) -> None:
    uploads = settings.uploads_path
    add_hosts(session, world, upload_dir=uploads)
    first = dump.export_event(session, event=world.event)

    imported = restore.import_event(session, data=json.loads(dump.dumps(first)), upload_dir=uploads)

    old = hosts.of_event(session, event_id=id_of(world.event))
    new = hosts.of_event(session, event_id=id_of(imported))
    assert [(host.name, bool(host.logo_key)) for host in new] == [
        ("Council for Refugees", True),
        ("UNHCR Bulgaria", False),
    ]
    assert new[0].logo_key != old[0].logo_key
    copied = hosts.logo_path(uploads, new[0])
    assert copied.read_bytes() == hosts.logo_path(uploads, old[0]).read_bytes()
    assert copied.parent.name == str(id_of(imported))


@pytest.mark.parametrize(("legacy", "names"), [("Old Council", ["Old Council"]), ("", [])])
def test_a_file_naming_one_host_organisation_imports_it_as_the_first(
    session: Session, world: World, legacy: str, names: list[str]
) -> None:
    data = dump.export_event(session, event=world.event)
    data["tables"]["event_host"] = []
    data["tables"]["event"][0]["host_organisation"] = legacy

    imported = restore.import_event(session, data=data)

    assert hosts.names(session, event_id=id_of(imported)) == names


def test_an_organisation_without_a_name_is_refused(
    session: Session, settings: Settings, world: World
) -> None:
    add_hosts(session, world, upload_dir=settings.uploads_path)
    data = dump.export_event(session, event=world.event)
    data["tables"]["event_host"][1]["name"] = "  "

    with pytest.raises(Invalid) as caught:
        restore.import_event(session, data=data)

    assert caught.value.errors == {"tables.event_host[1].name": "an organisation needs a name"}


# --- the file's version --------------------------------------------------------------------


def test_the_file_says_its_format_and_version_first(session: Session, world: World) -> None:
    data = dump.export_event(session, event=world.event)
    assert list(data)[:3] == ["notice", "format", "version"]
    assert (data["format"], data["version"]) == (schema.FORMAT, schema.VERSION)
    assert schema.VERSION == 1  # every file the app has written: a change says how to read 1


def test_a_file_without_the_tables_and_columns_added_since_imports(
    session: Session, world: World
) -> None:
    """Adding a table or a column keeps the version: a file written before them (here, before
    the maps, the notes, co-host requests, the privacy contact and the notice) still imports."""
    data = dump.export_event(session, event=world.event)
    del data["notice"]
    later = ["cohost_request", "map", "session_notes", "photo", "closing_state"]
    later += [name for name in data["tables"] if name.startswith(("map_", "notes_"))]
    for name in later:
        assert data["tables"].pop(name) == []
    event = data["tables"]["event"][0]
    del event["privacy_contact"], event["retention_days"]
    imported = restore.import_event(session, data=data)
    assert (imported.name, imported.privacy_contact, imported.retention_days) == (
        "Lab Sofia",
        "",
        world.event.retention_days,
    )


def test_moments_are_written_in_utc_with_their_offset(session: Session, world: World) -> None:
    data = dump.export_event(session, event=world.event)
    moments = [
        row[column.name]
        for name, rows in data["tables"].items()
        for column in schema.exported_columns(plan().table(name))
        if schema.column_kind(column) == "datetime"
        for row in rows
        if row.get(column.name) is not None
    ]
    assert len(moments) > 20
    for value in [*moments, data["exported_at"]]:
        assert value.endswith("+00:00"), value
        assert dt.datetime.fromisoformat(value).utcoffset() == dt.timedelta(0)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (dt.datetime(2021, 6, 10, 11, 3, 0, 5), "2021-06-10T11:03:00.000005+00:00"),
        (
            dt.datetime(2021, 6, 10, 14, 3, tzinfo=dt.timezone(dt.timedelta(hours=3))),
            "2021-06-10T11:03:00+00:00",
        ),
        (dt.date(2021, 6, 10), "2021-06-10"),
        (dt.time(14, 30), "14:30:00"),
        ("14:30", "14:30"),
    ],
)
def test_dump_value(value: object, text: str) -> None:
    assert schema.dump_value(value) == text


def test_plenary_notes_and_photos_make_the_round_trip(
    session: Session, settings: Settings, world: World, tmp_path: Path
) -> None:
    add_plenary_notes(session, world, upload_dir=settings.uploads_path)
    first = dump.export_event(session, event=world.event)
    (notes,) = first["tables"]["session_notes"]
    (photo,) = first["tables"]["photo"]
    (opening,) = [row for row in first["tables"]["time_block"] if row["title"] == "Opening"]
    assert (notes["topic_id"], notes["block_id"], notes["outcome"]) == (
        None,
        opening["id"],
        "Welcome to the lab",
    )
    assert (photo["topic_id"], photo["block_id"]) == (None, opening["id"])
    engine = fresh_database(tmp_path, "other.db")
    with open_session(engine, write=True) as other:
        imported = restore.import_event(
            other, data=json.loads(dump.dumps(first)), upload_dir=settings.uploads_path
        )
        second = dump.export_event(other, event=imported)
        (block,) = other.exec(select(TimeBlock).where(TimeBlock.title == "Opening")).all()
        (copied,) = other.exec(select(Photo)).all()
        assert (copied.block_id, copied.topic_id) == (block.id, None)
        assert photos.path_of(settings.uploads_path, copied).is_file()
    engine.dispose()
    assert canonical(first)["session_notes"] == canonical(second)["session_notes"]
    assert canonical(first)["photo"][0]["block_id"] == canonical(second)["photo"][0]["block_id"]
    assert canonical(first)["notes_revision"] == canonical(second)["notes_revision"]


def test_a_notes_row_about_nothing_is_refused_on_import(
    session: Session, settings: Settings, world: World
) -> None:
    add_plenary_notes(session, world, upload_dir=settings.uploads_path)
    data = dump.export_event(session, event=world.event)
    data["tables"]["session_notes"][0]["block_id"] = None
    before = session.exec(select(Event)).all().__len__()
    with pytest.raises(Invalid) as caught:
        restore.import_event(session, data=data)
    assert list(caught.value.errors) == ["database"]
    assert "refused the data, nothing was imported" in caught.value.errors["database"]
    assert len(session.exec(select(Event)).all()) == before
