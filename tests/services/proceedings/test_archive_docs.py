"""README.md's "The event file (JSON)" describes exactly what the export writes: every table
and column from the list the export itself uses (``schema.plan`` and ``exported_columns``),
with its type, reference, null-ness and fixed set of values; nothing that is not exported;
and every table and column left out, with the reason. A table or column added later fails
here until it is described."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import Column, ForeignKey, Integer, MetaData, String, Table
from sqlmodel import SQLModel

from app.services.proceedings.archive import schema
from app.services.proceedings.archive.rules import CHOICES
from app.services.proceedings.archive.schema import (
    EXCLUDED,
    JSON_REFERENCES,
    SECRET_COLUMNS,
    exported_columns,
    plan,
)

README = Path(__file__).resolve().parents[3] / "README.md"
SECTION = "## The event file (JSON)"
TABLE = re.compile(r"^\*\*`(\w+)`\*\*: ")
FIELD = re.compile(r"^- `(\w+)` \(([^)]*)\): ")
LEFT_OUT = re.compile(r"^- `([\w.]+)`: ")
# The words of each kind of value, as "Values:" in the section defines them.
KINDS = {
    "int": "integer",
    "float": "number",
    "str": "text",
    "bool": "true/false",
    "datetime": "moment",
    "date": "date",
    "time": "time",
    "json": "JSON",
}
# Described once for every table, not in each table's list.
EVERY_TABLE = ("id", "event_id")


@dataclass
class Documented:
    fields: dict[str, dict[str, tuple[str, str]]] = field(default_factory=dict)  # type, text
    left_out: set[str] = field(default_factory=set)
    prose: str = ""


def section(text: str) -> str:
    start = text.index(SECTION)
    end = text.find("\n## ", start + len(SECTION))
    return text[start : end if end != -1 else len(text)]


def documented(text: str) -> Documented:
    """The tables and fields the section lists (a bullet's text runs on over the indented
    lines after it), and what it says is left out."""
    result = Documented(prose=text)
    table: str | None = None
    in_left_out = False
    last: tuple[str, str] | None = None
    for line in text.splitlines():
        if line.startswith("### "):
            table, in_left_out, last = None, "Left out" in line, None
        elif match := TABLE.match(line):
            table, last = match[1], None
            assert table not in result.fields, f"{table} is described twice"
            result.fields[table] = {}
        elif in_left_out and (match := LEFT_OUT.match(line)):
            result.left_out.add(match[1])
        elif table is not None and (match := FIELD.match(line)):
            assert match[1] not in result.fields[table], f"{table}.{match[1]} is described twice"
            result.fields[table][match[1]] = (match[2], line)
            last = (table, match[1])
        elif last is not None and line.startswith("  "):
            kind, words = result.fields[last[0]][last[1]]
            result.fields[last[0]][last[1]] = (kind, f"{words} {line.strip()}")
        else:
            last = None
    return result


def problems(metadata: MetaData, text: str) -> list[str]:
    """What the section gets wrong about the file that ``metadata`` makes: one line each."""
    plan_ = plan(metadata)
    docs = documented(text)
    found = []
    exported = {name: exported_columns(plan_.table(name)) for name in plan_.order}
    for name in sorted(set(docs.fields) - set(exported)):
        found.append(f"{name}: described, but not a table of the file")
    for name, columns in exported.items():
        described = docs.fields.get(name)
        if described is None:
            found.append(f"{name}: exported, not described")
            continue
        names = {column.name for column in columns}
        for extra in sorted(set(described) - names):
            found.append(f"{name}.{extra}: described, but not a column of the file")
        for column in columns:
            if column.name in EVERY_TABLE:
                if column.name in described:
                    found.append(f"{name}.{column.name}: described for every table already")
                continue
            if column.name not in described:
                found.append(f"{name}.{column.name}: exported, not described")
                continue
            found += [
                f"{name}.{column.name}: {problem}"
                for problem in field_problems(
                    f"{name}.{column.name}", column, *described[column.name]
                )
            ]
        if "event_id" not in names and name != schema.ROOT:
            # "Every table but `event`, `user` and `topic_convener` has an event_id"
            but = re.search(r"Every table but ([^.]*?) has an \*\*`event_id`\*\*", docs.prose)
            if but is None or f"`{name}`" not in but[1]:
                found.append(f"{name}: has no event_id, and the section does not say so")
    for name in sorted(set(schema.EXCLUDED) | set(SECRET_COLUMNS)):
        if name not in docs.left_out:
            found.append(f"{name}: left out of the file, not said so under 'Left out'")
    for name in sorted(docs.left_out - set(EXCLUDED) - set(SECRET_COLUMNS)):
        found.append(f"{name}: said to be left out, but it is not")
    return found


def field_problems(key: str, column: sa.Column[object], kind: str, words: str) -> list[str]:
    found = []
    targets = [fk.column.table.name for fk in column.foreign_keys]
    if targets:
        expected = f"→ `{targets[0]}`"
    else:
        expected = KINDS.get(schema.column_kind(column), "any")
        length = getattr(column.type, "length", None)
        if schema.column_kind(column) == "str" and length:
            expected += f" ≤ {length}"
    if column.nullable:
        expected += ", or null"
    if kind != expected:
        found.append(f"({kind}) should be ({expected})")
    choice = CHOICES.get(key)
    for value in choice.values if choice else ():
        if f"`{value}`" not in words:
            found.append(f"does not list `{value}`")
    if key in JSON_REFERENCES and "rewrites the ids" not in words:
        found.append("holds ids that import rewrites, and does not say so")
    return found


@pytest.fixture(scope="module")
def readme_section() -> str:
    return section(README.read_text())


def test_the_readme_describes_every_table_and_field_of_the_event_file(
    readme_section: str,
) -> None:
    assert problems(SQLModel.metadata, readme_section) == []
    docs = documented(readme_section)
    assert len(docs.fields) == len(plan().order) > 30
    assert sum(len(fields) for fields in docs.fields.values()) > 200


def test_the_readme_states_the_version_the_app_writes(readme_section: str) -> None:
    assert f'"format": "{schema.FORMAT}",\n "version": {schema.VERSION},' in readme_section
    assert f"`version`: `{schema.VERSION}`, a whole number" in readme_section
    assert schema.NOTICE in readme_section


def test_a_table_or_column_added_later_fails_until_described(readme_section: str) -> None:
    metadata = MetaData()
    for table in SQLModel.metadata.sorted_tables:
        table.to_metadata(metadata)
    Table(
        "event_sponsor",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("event_id", ForeignKey("event.id"), nullable=False),
        Column("name", String(160), nullable=False),
        Column("logo", String(64), nullable=True),
    )
    metadata.tables["event"].append_column(Column("report_footer", String(8000)))
    assert problems(metadata, readme_section) == [
        "event.report_footer: exported, not described",
        "event_sponsor: exported, not described",
    ]
    described = readme_section.replace(
        "### Left out",
        "**`event_sponsor`**: an organisation that paid for the event.\n\n"
        "- `name` (text ≤ 160): its name.\n"
        "- `logo` (text ≤ 64, or null): its logo's file,\n"
        "  in the upload folder.\n\n"
        "### Left out",
    ).replace(
        "- `created_at` (moment): when the event was created.\n",
        "- `created_at` (moment): when the event was created.\n"
        "- `report_footer` (text ≤ 8000, or null): the last page's text.\n",
    )
    assert problems(metadata, described) == []


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (
            ("- `capacity` (integer)", "- `capacity` (text)"),
            "room.capacity: (text) should be (integer)",
        ),
        (
            ("- `author_id` (→ `user`, or null)", "- `author_id` (→ `user`)"),
            "announcement.author_id: (→ `user`) should be (→ `user`, or null)",
        ),
        (
            ("`withdrawn` by its", "withdrawn by its"),
            "topic.status: does not list `withdrawn`",
        ),
        (
            ("- `colour` (text ≤ 7)", "- `color` (text ≤ 7)"),
            "map_category.color: described, but not a column of the file",
        ),
        (
            ("- `invitation`: ", "- `invitations`: "),
            "invitation: left out of the file, not said so under 'Left out'",
        ),
        (
            ("Import rewrites the ids in it.", "Ids."),
            "grid_change.before: holds ids that import rewrites, and does not say so",
        ),
    ],
)
def test_a_wrong_description_is_named(
    readme_section: str, change: tuple[str, str], problem: str
) -> None:
    old, new = change
    assert old in readme_section
    found = problems(SQLModel.metadata, readme_section.replace(old, new, 1))
    assert problem in found
